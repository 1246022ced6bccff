//! Historical time series over REST (`TelemetryController.getTimeseries`).

use crate::common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn history_raw_and_aggregated() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let device = emulator.device_id("Lobby Thermostat").unwrap();
    let base = format!("/api/plugins/telemetry/DEVICE/{device}");
    let points: Vec<Value> =
        (0..6).map(|i| json!({"ts": 1_000_000 + i * 1000, "values": {"humidity": 40 + i}})).collect();
    assert_eq!(
        post(&emulator, &token, &format!("{base}/timeseries/ANY"), &Value::Array(points)).await.status(),
        200
    );

    let raw: Value = get(
        &emulator,
        &token,
        &format!("{base}/values/timeseries?keys=humidity,nothing&startTs=1000000&endTs=1005000&limit=3"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        raw,
        json!({"humidity": [{"ts": 1004000, "value": "44"}, {"ts": 1003000, "value": "43"}, {"ts": 1002000, "value": "42"}]})
    );
    let asc: Value = get(&emulator, &token, &format!("{base}/values/timeseries?keys=humidity&startTs=1000000&endTs=1006000&orderBy=ASC&useStrictDataTypes=true&limit=2"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(asc, json!({"humidity": [{"ts": 1000000, "value": 40}, {"ts": 1001000, "value": 41}]}));
    let avg: Value = get(
        &emulator,
        &token,
        &format!(
            "{base}/values/timeseries?keys=humidity&startTs=1000000&endTs=1006000&interval=3000&agg=AVG"
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        avg,
        json!({"humidity": [{"ts": 1001500, "value": "41.0"}, {"ts": 1004500, "value": "44.0"}]})
    );
    let response = get(
        &emulator,
        &token,
        &format!("{base}/values/timeseries?keys=humidity&startTs=0&endTs=100000000&interval=1000&agg=MAX"),
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().starts_with("Incorrect TsKvQuery"));
    // Without keys the history answer is empty; with one bound only, the latest values answer.
    let none: Value = get(&emulator, &token, &format!("{base}/values/timeseries?startTs=0&endTs=2000000"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!({}));
    let latest: Value = get(&emulator, &token, &format!("{base}/values/timeseries?keys=humidity&startTs=0"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(latest["humidity"].as_array().unwrap().len(), 1);
    emulator.shutdown().await;
}
