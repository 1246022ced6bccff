//! The shell's wiring on Tauri's mock runtime: every command `atrium-ipc` names is registered, and
//! an error reaches the webview as the exact `AppError` JSON the UI parses.

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

fn app() -> (tauri::App<tauri::test::MockRuntime>, tauri::WebviewWindow<tauri::test::MockRuntime>) {
    // The app keeps its cache and settings under the XDG directories: point them at a scratch
    // directory so the test never touches the machine's own.
    let home = std::env::temp_dir().join(format!("atrium-shell-test-{}", std::process::id()));
    for (var, dir) in [("XDG_CACHE_HOME", "cache"), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config")]
    {
        std::env::set_var(var, home.join(dir));
    }
    let app =
        atrium_lib::app_builder(mock_builder()).build(mock_context(noop_assets())).expect("the app builds");
    atrium_lib::start(app.handle()).expect("the core starts");
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("a window");
    (app, webview)
}

/// Invokes `cmd` as the UI does; `Err` holds the rejection's JSON.
fn invoke(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    body: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        // On Linux the app's own origin; another one counts as remote and is refused.
        url: "tauri://localhost".parse().expect("a URL"),
        body: InvokeBody::Json(body),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request).map(|body| body.deserialize::<Value>().expect("JSON"))
}

#[test]
fn every_command_of_the_contract_is_registered() {
    let (_app, webview) = app();
    for cmd in atrium_ipc::cmd::ALL {
        // Arguments are left out on purpose: a registered command then rejects them (or, taking
        // none, answers), an unregistered one says it does not exist.
        // These take no argument, so they would run: one starts the demo building, the other
        // opens a native file dialog that waits for a person.
        if [atrium_ipc::cmd::OPEN_DEMO, atrium_ipc::cmd::PICK_CERTIFICATE_FILE].contains(cmd) {
            continue;
        }
        let answer = invoke(&webview, cmd, json!({}));
        let text = format!("{answer:?}");
        assert!(!text.contains("not found") && !text.contains("not allowed"), "{cmd}: {text}");
    }
}

#[test]
fn errors_reach_the_webview_as_app_error_json() {
    let (_app, webview) = app();
    let answer = invoke(
        &webview,
        atrium_ipc::cmd::DEVICE_DETAIL,
        json!({"args": {"deviceId": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"}}),
    );
    assert_eq!(
        answer,
        Err(json!({"code": "not_logged_in", "message": "You are not signed in.", "retryable": false}))
    );
    assert_eq!(invoke(&webview, atrium_ipc::cmd::SESSION, json!({})), Ok(Value::Null));
}
