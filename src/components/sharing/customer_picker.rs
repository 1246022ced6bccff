//! Who to share with: one of the tenant's customers (a searchable list) or a new one (its name
//! and contact address).

use crate::hooks::use_sharing::{matching, use_customers, Loadable, ShareDraft, SHOWN_CUSTOMERS};
use atrium_ipc::CustomerRef;
use leptos::prelude::*;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn CustomerPicker(draft: RwSignal<ShareDraft>) -> impl IntoView {
    let customers = use_customers();
    // A tenant without customers can only make one.
    Effect::new(move |_| {
        if matches!(customers.get(), Loadable::Loaded(list) if list.is_empty()) {
            draft.update(|d| d.new_customer = true);
        }
    });
    // A memo: the fields below are rebuilt when the kind changes, not with each key typed.
    let is_new = Memo::new(move |_| draft.with(|d| d.new_customer));
    let mode = move |new: bool, id: &'static str, label: &'static str| {
        view! {
            <label class="segment" for=id>
                <input
                    id=id
                    type="radio"
                    name="share-customer-kind"
                    prop:checked=move || is_new.get() == new
                    on:change=move |_| draft.update(|d| d.new_customer = new)
                />
                {label}
            </label>
        }
    };
    view! {
        <fieldset class="flow-fieldset">
            <legend class="field-label">"Share with"</legend>
            <div class="segmented">
                {mode(false, "share-customer-existing", "A customer")}
                {mode(true, "share-customer-new", "A new customer")}
            </div>
            {move || if is_new.get() {
                view! { <NewCustomer draft=draft /> }.into_any()
            } else {
                view! { <ExistingCustomers draft=draft customers=customers.get() /> }.into_any()
            }}
        </fieldset>
    }
}

#[component]
fn NewCustomer(draft: RwSignal<ShareDraft>) -> impl IntoView {
    view! {
        <div class="flow-fields">
            <label class="field" for="share-new-title">
                <span class="field-label">"Name (a flat, a company, a team)"</span>
                <input
                    id="share-new-title"
                    type="text"
                    autocomplete="off"
                    prop:value=move || draft.with(|d| d.new_title.clone())
                    on:input=move |ev| draft.update(|d| d.new_title = event_target_value(&ev))
                />
            </label>
            <label class="field" for="share-new-email">
                <span class="field-label">"Contact e-mail (optional)"</span>
                <input
                    id="share-new-email"
                    type="email"
                    autocomplete="off"
                    prop:value=move || draft.with(|d| d.new_email.clone())
                    on:input=move |ev| draft.update(|d| d.new_email = event_target_value(&ev))
                />
            </label>
        </div>
    }
}

#[component]
fn ExistingCustomers(draft: RwSignal<ShareDraft>, customers: Loadable<Vec<CustomerRef>>) -> impl IntoView {
    let all = match customers {
        Loadable::Idle | Loadable::Loading => {
            return view! {
                <p class="muted loading" aria-busy="true">
                    <span class="spinner" aria-hidden="true"></span>
                    "Reading the customers…"
                </p>
            }
            .into_any()
        }
        Loadable::Failed(err) => {
            return view! { <p id="share-customers-error" class="form-error" role="alert">{err.message}</p> }
                .into_any()
        }
        Loadable::Loaded(all) => all,
    };
    let shown = Memo::new(move |_| draft.with(|d| matching(&all, &d.search)));
    let options = move || {
        let found = shown.get();
        let more = found.len().saturating_sub(SHOWN_CUSTOMERS);
        let items = found
            .into_iter()
            .take(SHOWN_CUSTOMERS)
            .map(|c| view! { <CustomerOption customer=c draft=draft /> });
        view! {
            {items.collect_view()}
            {(more > 0).then(|| view! { <p class="muted">{format!("{more} more: narrow the search.")}</p> })}
        }
    };
    let nothing = move || shown.with(Vec::is_empty);
    view! {
        <div class="flow-fields">
            <label class="field" for="share-customer-search">
                <span class="field-label">"Search customers"</span>
                <input
                    id="share-customer-search"
                    type="search"
                    autocomplete="off"
                    prop:value=move || draft.with(|d| d.search.clone())
                    on:input=move |ev| draft.update(|d| d.search = event_target_value(&ev))
                />
            </label>
            <div id="share-customers" class="choice-list" role="radiogroup" aria-label="Customers">
                {options}
            </div>
            {move || nothing().then(|| view! { <p class="muted">"No customer matches: choose A new customer to make one."</p> })}
        </div>
    }
    .into_any()
}

#[component]
fn CustomerOption(customer: CustomerRef, draft: RwSignal<ShareDraft>) -> impl IntoView {
    let id = customer.id.clone();
    let input_id = format!("share-customer-{id}");
    let checked = {
        let id = id.clone();
        move || draft.with(|d| d.chosen.as_ref().is_some_and(|c| c.id == id))
    };
    let title = customer.title.clone();
    let data_title = title.clone();
    let label_for = input_id.clone();
    let email = customer.email.clone();
    view! {
        <label class="choice customer-option" for=label_for data-title=data_title>
            <input
                id=input_id
                type="radio"
                name="share-customer"
                value=id
                prop:checked=checked
                on:change=move |_| draft.update(|d| d.chosen = Some(customer.clone()))
            />
            <span class="choice-text">
                <span class="choice-title">{title}</span>
                {email.map(|e| view! { <span class="muted choice-detail">{e}</span> })}
            </span>
        </label>
    }
}
