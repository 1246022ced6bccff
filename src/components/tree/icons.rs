//! The pictogram of each kind of node, and the kind as attributes spell it.

use atrium_ipc::NodeKind;
use leptos::prelude::*;

/// `data-kind`: the kind as the contract spells it.
pub(crate) fn kind_name(kind: NodeKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".into())
}

/// The pictogram of a kind: small inline SVG, drawn with the text colour.
pub(crate) fn kind_icon(kind: NodeKind) -> impl IntoView {
    let d = match kind {
        NodeKind::Site => "M8 1.5a4.5 4.5 0 0 0-4.5 4.5c0 3.4 4.5 8.5 4.5 8.5s4.5-5.1 4.5-8.5A4.5 4.5 0 0 0 8 1.5zm0 6.2a1.7 1.7 0 1 1 0-3.4 1.7 1.7 0 0 1 0 3.4z",
        NodeKind::Building => "M3 14.5V2.5h7v12M10 6.5h3v8M1.5 14.5h13M5 4.5h1M7.5 4.5h1M5 7h1M7.5 7h1M5 9.5h1M7.5 9.5h1",
        NodeKind::Floor => "M8 2 1.5 5.2 8 8.4l6.5-3.2L8 2zM1.5 8.2 8 11.4l6.5-3.2M1.5 11 8 14.2l6.5-3.2",
        NodeKind::Room => "M3 14.5v-12h10v12M1.5 14.5h13M10.2 8.5h.6",
        NodeKind::Zone => "M2.5 2.5h3M10.5 2.5h3v3M13.5 10.5v3h-3M5.5 13.5h-3v-3M2.5 5.5v5M13.5 5.5v5M5.5 2.5h5M5.5 13.5h5",
        NodeKind::Device => "M4.5 4.5h7v7h-7zM6.5 1.5v3M9.5 1.5v3M6.5 11.5v3M9.5 11.5v3M1.5 6.5h3M1.5 9.5h3M11.5 6.5h3M11.5 9.5h3",
        _ => "M8 2.5a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11z",
    };
    let filled = matches!(kind, NodeKind::Site);
    view! {
        <svg class="kind-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
            <path
                d=d
                fill=if filled { "currentColor" } else { "none" }
                stroke=if filled { "none" } else { "currentColor" }
                stroke-width="1.3"
                stroke-linecap="round"
                stroke-linejoin="round"
            />
        </svg>
    }
}
