//! Light and dark: the person's choice (System, Light or Dark), kept in the webview's storage,
//! applied as `data-theme` on the page's root, which the stylesheet's palettes key on.
//! `public/theme.js` applies the same rule before the first paint; this module keeps it true
//! afterwards, following the system live while the choice is System.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Where the choice is kept; `public/theme.js` reads the same key.
const STORAGE_KEY: &str = "atrium-theme";
const SYSTEM_DARK: &str = "(prefers-color-scheme: dark)";

/// What the person chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ThemeChoice {
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    pub(crate) const ALL: [Self; 3] = [Self::System, Self::Light, Self::Dark];

    /// As stored, and as the choice's element ids say it.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::System => "System",
            Self::Light => "Light",
            Self::Dark => "Dark",
        }
    }

    /// A stored value; anything unknown is System.
    pub(crate) fn parse(stored: Option<&str>) -> Self {
        match stored {
            Some("light") => Self::Light,
            Some("dark") => Self::Dark,
            _ => Self::System,
        }
    }

    /// Whether the page is dark under this choice when the system is (or is not) dark.
    pub(crate) fn is_dark(self, system_dark: bool) -> bool {
        match self {
            Self::System => system_dark,
            Self::Light => false,
            Self::Dark => true,
        }
    }
}

/// The page-wide theme; provided as context by the app.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Theme {
    choice: RwSignal<ThemeChoice>,
}

impl Theme {
    /// Reads the kept choice, applies it, and follows the system's changes for the page's life.
    pub(crate) fn start() -> Self {
        let stored = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        let choice = RwSignal::new(ThemeChoice::parse(stored.as_deref()));
        Effect::new(move |_| apply(choice.get()));
        if let Some(query) = web_sys::window().and_then(|w| w.match_media(SYSTEM_DARK).ok().flatten()) {
            // Lives as long as the page, as the query does.
            let on_change = Closure::<dyn FnMut()>::new(move || apply(choice.get_untracked()));
            let _ = query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
            on_change.forget();
        }
        Self { choice }
    }

    pub(crate) fn choice(&self) -> ThemeChoice {
        self.choice.get()
    }

    /// Keeps and applies a new choice.
    pub(crate) fn choose(&self, choice: ThemeChoice) {
        if let Some(storage) = storage() {
            // Without storage (a private window) the choice holds until the page closes.
            let _ = storage.set_item(STORAGE_KEY, choice.key());
        }
        self.choice.set(choice);
    }
}

pub(crate) fn use_theme() -> Theme {
    expect_context::<Theme>()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn apply(choice: ThemeChoice) {
    let Some(window) = web_sys::window() else { return };
    let system_dark = window.match_media(SYSTEM_DARK).ok().flatten().is_some_and(|q| q.matches());
    let theme = if choice.is_dark(system_dark) { "dark" } else { "light" };
    if let Some(root) = window.document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", theme);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_is_kept_by_its_key_and_decides_dark() {
        for choice in ThemeChoice::ALL {
            assert_eq!(ThemeChoice::parse(Some(choice.key())), choice);
        }
        assert_eq!(ThemeChoice::parse(Some("sepia")), ThemeChoice::System);
        assert_eq!(ThemeChoice::parse(None), ThemeChoice::System);
        assert!(ThemeChoice::System.is_dark(true) && !ThemeChoice::System.is_dark(false));
        assert!(ThemeChoice::Dark.is_dark(false), "a choice wins over the system");
        assert!(!ThemeChoice::Light.is_dark(true));
    }
}
