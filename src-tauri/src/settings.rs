//! The core's settings document kept with `tauri-plugin-store`, in the app's data directory.

use atrium_core::accounts::SettingsStore;
use std::sync::Arc;
use tauri::Runtime;
use tauri_plugin_store::Store;

/// The store file, under the app data directory.
pub(crate) const SETTINGS_FILE: &str = "settings.json";
const ACCOUNTS_KEY: &str = "accounts";

pub(crate) struct PluginSettings<R: Runtime>(pub(crate) Arc<Store<R>>);

impl<R: Runtime> SettingsStore for PluginSettings<R> {
    fn load(&self) -> Option<serde_json::Value> {
        self.0.get(ACCOUNTS_KEY)
    }

    fn save(&self, document: serde_json::Value) -> Result<(), String> {
        self.0.set(ACCOUNTS_KEY, document);
        // Written now rather than on the plugin's debounce: a sign-in must survive a crash right after.
        self.0.save().map_err(|e| e.to_string())
    }
}
