//! Trusting a private CA: the person picks the CA's certificate file or pastes it, checks what
//! Atrium read (names, validity, SHA-256 fingerprint) against what their administrator gave
//! them, and only then trusts it for this server. Verification itself is never turned off.

use crate::hooks::use_sign_in::SignIn;
use crate::ipc;
use atrium_ipc::CertificateInfo;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

/// A date as the person's locale writes it.
fn local_date(ms: i64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    String::from(date.to_locale_date_string("default", &JsValue::UNDEFINED))
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(super) fn TrustCa(sign_in: SignIn) -> impl IntoView {
    let pem = RwSignal::new(String::new());
    // What was checked, with the very text that was checked: that text is what gets trusted.
    let info = RwSignal::new(None::<(String, CertificateInfo)>);
    let problem = RwSignal::new(None::<String>);
    let checking = RwSignal::new(false);

    let check = move || {
        let text = pem.get_untracked();
        if text.trim().is_empty() {
            problem.set(Some("Choose the certificate file, or paste its text.".into()));
            return;
        }
        checking.set(true);
        spawn_local(async move {
            let answer = ipc::inspect_certificate(&text).await;
            checking.set(false);
            match answer {
                // The text changed while it was read: that answer is about another text.
                Ok(_) if pem.get_untracked() != text => {}
                Ok(details) => {
                    problem.set(None);
                    info.set(Some((text, details)));
                }
                Err(err) => {
                    info.set(None);
                    problem.set(Some(err.message));
                }
            }
        });
    };
    let pick = move |_| {
        spawn_local(async move {
            match ipc::pick_certificate_file().await {
                Ok(Some(text)) => {
                    pem.set(text);
                    check();
                }
                Ok(None) => {}
                Err(err) => problem.set(Some(err.message)),
            }
        });
    };
    let now = js_sys::Date::now() as i64;

    view! {
        <section id="trust-ca" class="trust-ca" aria-labelledby="trust-ca-title">
            <h2 id="trust-ca-title" class="login-subtitle">"Trust your organisation's certificate authority"</h2>
            <p class="muted">
                "If this server's certificate comes from a private CA, its administrator can give you the CA's certificate (a .pem, .crt or .cer file). Compare its fingerprint with theirs before you trust it."
            </p>
            <button id="ca-pick-file" type="button" class="button secondary wide" on:click=pick>
                "Choose the certificate file…"
            </button>
            <label class="field">
                <span class="field-label">"Or paste it"</span>
                <textarea
                    id="ca-pem"
                    rows="5"
                    spellcheck="false"
                    autocapitalize="off"
                    placeholder="-----BEGIN CERTIFICATE-----"
                    prop:value=move || pem.get()
                    on:input=move |ev| {
                        pem.set(event_target_value(&ev));
                        info.set(None);
                    }
                ></textarea>
            </label>
            <p id="ca-problem" class="form-error" role="alert" hidden=move || problem.with(Option::is_none)>
                {move || problem.get().unwrap_or_default()}
            </p>
            {move || match info.get() {
                None => view! {
                    <button id="ca-check" type="button" class="button secondary wide" disabled=move || checking.get() on:click=move |_| check()>
                        {move || if checking.get() { "Reading…" } else { "Check the certificate" }}
                    </button>
                }
                .into_any(),
                Some((checked, details)) => {
                    let expired = details.not_after_ms < now;
                    let warning = if expired {
                        Some("This certificate has expired: connections through it will fail.")
                    } else if !details.is_ca {
                        Some("This is not a CA certificate. Ask for the certificate of the CA that signed the server's certificate.")
                    } else {
                        None
                    };
                    view! {
                        <dl id="ca-details" class="ca-details">
                            <dt>"Issued to"</dt>
                            <dd id="ca-subject">{details.subject.clone()}</dd>
                            <dt>"Issued by"</dt>
                            <dd>{details.issuer.clone()}</dd>
                            <dt>"Valid"</dt>
                            <dd>{format!("{} to {}", local_date(details.not_before_ms), local_date(details.not_after_ms))}</dd>
                            <dt>"SHA-256"</dt>
                            <dd id="ca-fingerprint" class="fingerprint">{details.sha256.clone()}</dd>
                        </dl>
                        {warning.map(|w| view! { <p class="form-error" role="alert">{w}</p> })}
                        <button
                            id="ca-trust"
                            type="button"
                            class="button primary"
                            disabled=move || sign_in.is_busy()
                            on:click=move |_| sign_in.trust_and_sign_in(checked.clone())
                        >
                            "Trust it and sign in"
                        </button>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
