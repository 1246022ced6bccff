//! Atrium's Tauri shell: the window, the command handlers and the event bridge, nothing else.
//!
//! Every handler is a one-liner over `atrium_core::Core` (app logic lives there, testable without
//! a webview). This crate is the only one that depends on `tauri`.
//! Set `ATRIUM_DEMO=1` to start logged in to the embedded demo building.
//!
//! ```no_run
//! atrium_lib::run();
//! ```

mod alarm_notifications;
mod commands;
mod events;
mod settings;
mod startup_probe;

use atrium_core::secrets::OsSecretStore;
use atrium_core::Core;
use std::sync::Arc;

/// Registers state and commands on any runtime, so tests can use the mock runtime.
pub fn app_builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| start(app.handle()))
        .on_page_load(|webview, payload| {
            // A reload (or a navigation) drops the page without running its cleanups: end the
            // watches it held, or each reload would add another set of subscriptions.
            if payload.event() == tauri::webview::PageLoadEvent::Started {
                use tauri::Manager;
                if let Some(core) = webview.try_state::<Core>() {
                    let ended = core.unwatch_all();
                    if ended > 0 {
                        tracing::info!(ended, "the page reloaded: its watches ended");
                    }
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup,
            commands::two_factor_send,
            commands::two_factor_verify,
            commands::two_factor_cancel,
            commands::accounts,
            commands::resume_account,
            commands::forget_account,
            commands::switch_account,
            commands::inspect_certificate,
            commands::pick_certificate_file,
            commands::forget_trusted_ca,
            commands::check_server_address,
            commands::reconnect_now,
            commands::painted,
            commands::app_visibility,
            commands::login,
            commands::open_demo,
            commands::logout,
            commands::session,
            commands::connection_state,
            commands::load_tree,
            commands::device_detail,
            commands::device_attributes,
            commands::watch_device,
            commands::watch_devices,
            commands::watch_connectivity,
            commands::watch_controls,
            commands::unwatch,
            commands::operate_control,
            commands::queue_control,
            commands::queued_control,
            commands::cached_tree,
            commands::watch_node,
            commands::rollup_keys,
            commands::search,
            commands::watch_alarms,
            commands::watch_alarm_badges,
            commands::acknowledge_alarm,
            commands::clear_alarm,
            commands::load_history,
            commands::reporting_intervals,
            commands::customers,
            commands::place_access,
            commands::plan_share,
            commands::share,
            commands::plan_unshare,
            commands::unshare,
        ])
}

/// Creates the core and hands it to the commands: what the app does once its event loop runs.
/// Public so that tests on the mock runtime, which has no event loop, can do it themselves.
pub fn start<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Result<(), Box<dyn std::error::Error>> {
    use tauri::Manager;
    use tauri_plugin_store::StoreExt;
    let events = Arc::new(events::TauriEvents::new(app.clone()));
    let mut core = Core::builder(events)
        .settings(Arc::new(settings::PluginSettings(app.store(settings::SETTINGS_FILE)?)))
        .secrets(Arc::new(OsSecretStore::new(app.config().identifier.clone())));
    // The building and its last values, per server and user, so the next start shows them at once.
    match app.path().app_cache_dir() {
        Ok(dir) => core = core.cache_dir(dir.join("buildings")),
        Err(e) => tracing::warn!("no cache directory ({e}); the building is loaded fresh each time"),
    }
    let core = core.build();
    if std::env::var_os("ATRIUM_DEMO").is_some_and(|v| v != "0") {
        // Opened before the window asks for the session, so the UI starts on the building.
        tauri::async_runtime::block_on(core.open_demo())
            .map_err(|e| Box::<dyn std::error::Error>::from(e.message))?;
    }
    app.manage(core);
    Ok(())
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    startup_probe::started();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(atrium_core::log_filter(
            std::env::var("ATRIUM_LOG").ok().as_deref(),
        )))
        .with_writer(std::io::stderr)
        .init();
    let app = app_builder(tauri::Builder::default()).build(tauri::generate_context!()).unwrap_or_else(|e| {
        eprintln!("Atrium could not start: {e}");
        std::process::exit(1);
    });
    app.run(on_run_event);
}

/// Back in front on a phone: the OS resumes the app, which may not tell the page (the UI's
/// `visibilitychange` covers the desktop and going to the background).
#[cfg(mobile)]
fn on_run_event(app: &tauri::AppHandle, event: tauri::RunEvent) {
    use tauri::Manager;
    if let tauri::RunEvent::Resumed = event {
        if let Some(core) = app.try_state::<Core>() {
            core.app_visible();
        }
    }
}

#[cfg(desktop)]
fn on_run_event(_app: &tauri::AppHandle, _event: tauri::RunEvent) {}
