//! The path-style relation lookups answer exactly what the query-style ones do.

use crate::common::{get, start, tenant_token};
use serde_json::Value;

#[tokio::test]
async fn path_style_lookups_match_the_query_style() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let lobby = emulator.asset_id("Lobby").unwrap();
    let light = emulator.device_id("Lobby Light").unwrap();
    let pairs = [
        (
            format!("/api/relations?fromId={lobby}&fromType=ASSET"),
            format!("/api/relations/from/ASSET/{lobby}"),
        ),
        (
            format!("/api/relations?fromId={lobby}&fromType=ASSET&relationType=Contains"),
            format!("/api/relations/from/ASSET/{lobby}/Contains"),
        ),
        (format!("/api/relations?toId={light}&toType=DEVICE"), format!("/api/relations/to/DEVICE/{light}")),
        (
            format!("/api/relations/info?fromId={lobby}&fromType=ASSET"),
            format!("/api/relations/info/from/ASSET/{lobby}"),
        ),
        (
            format!("/api/relations/info?toId={light}&toType=DEVICE"),
            format!("/api/relations/info/to/DEVICE/{light}"),
        ),
    ];
    for (query_style, path_style) in pairs {
        let a: Value = get(&emulator, &token, &query_style).await.json().await.unwrap();
        let b: Value = get(&emulator, &token, &path_style).await.json().await.unwrap();
        assert!(a.as_array().is_some_and(|r| !r.is_empty()), "{query_style}: {a}");
        assert_eq!(a, b, "{path_style}");
    }
    emulator.shutdown().await;
}
