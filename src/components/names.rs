//! A place's or device's name as the person chose to see them (see `hooks::use_names`): the
//! name, with the label beside it, or the other way round.

use crate::hooks::Names;
use leptos::prelude::*;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn NameView(
    name: String,
    label: Option<String>,
    names: Names,
    /// The class of the main name's element.
    #[prop(into)]
    class: String,
) -> impl IntoView {
    let pair = Memo::new(move |_| names.shown(&name, label.as_deref()));
    view! {
        <span class=class>{move || pair.with(|(shown, _)| shown.clone())}</span>
        {move || pair.with(|(_, aside)| aside.clone()).map(|aside| view! { <span class="name-aside">{aside}</span> })}
    }
}
