//! How places and devices are called: by their name, with the label beside it when set and
//! different (as ThingsBoard's own screens show them), or label first for buildings whose people
//! know the rooms by their codes. The choice is kept on this device.

use leptos::prelude::*;

const STORAGE_KEY: &str = "atrium-names";

/// The page-wide naming choice; provided as context by the app.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Names {
    label_first: RwSignal<bool>,
}

impl Names {
    /// Reads the kept choice and provides it.
    pub(crate) fn start() -> Self {
        let stored = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        let names = Self { label_first: RwSignal::new(stored.as_deref() == Some("label")) };
        provide_context(names);
        names
    }

    /// Tracked: whether labels go first.
    pub(crate) fn label_first(&self) -> bool {
        self.label_first.get()
    }

    pub(crate) fn choose(&self, label_first: bool) {
        self.label_first.set(label_first);
        if let Some(storage) = storage() {
            let _ = storage.set_item(STORAGE_KEY, if label_first { "label" } else { "name" });
        }
    }

    /// Tracked: what to show for `name` and `label`, and what beside it.
    pub(crate) fn shown(&self, name: &str, label: Option<&str>) -> (String, Option<String>) {
        shown(name, label, self.label_first())
    }
}

pub(crate) fn use_names() -> Names {
    expect_context::<Names>()
}

/// The name and, beside it, the label when it is set, not blank and not the name; swapped when
/// labels go first (a node without a label shows its name either way).
pub(crate) fn shown(name: &str, label: Option<&str>, label_first: bool) -> (String, Option<String>) {
    let label = label.map(str::trim).filter(|l| !l.is_empty() && *l != name.trim());
    match (label, label_first) {
        (Some(label), true) => (label.to_owned(), Some(name.to_owned())),
        (label, _) => (name.to_owned(), label.map(str::to_owned)),
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn names_go_first_with_the_label_beside_unless_labels_are_chosen() {
        let pair = |a: &str, b: Option<&str>| (a.to_owned(), b.map(str::to_owned));
        assert_eq!(shown("North Tower", Some("NT"), false), pair("North Tower", Some("NT")));
        assert_eq!(shown("North Tower", Some("NT"), true), pair("NT", Some("North Tower")));
        assert_eq!(
            shown("Lobby", Some(" Lobby "), true),
            pair("Lobby", None),
            "a label equal to the name says nothing"
        );
        assert_eq!(shown("Lobby", Some("  "), true), pair("Lobby", None));
        assert_eq!(shown("Lobby", None, true), pair("Lobby", None));
    }
}
