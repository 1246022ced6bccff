//! A server behind a private CA, in the real app, at phone and desktop sizes: the sign-in names
//! the problem, the person pastes the CA's certificate, checks what Atrium read, trusts it, and
//! the building loads and goes live through it. Also: a password to `http://` on another machine
//! is only sent after the person agrees.

use std::time::Duration;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, wait, App, APP_START};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tb_emulator::{Emulator, EmulatorConfig, TlsFront};

const STEP: Duration = Duration::from_secs(30);

/// A private CA and a "localhost" certificate it signed: `(ca_pem, leaf_pem, key_pem)`.
fn pki() -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "Riverside Facilities Root CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    let leaf_cert = leaf.signed_by(&key, &ca_cert, &ca_key).unwrap();
    (ca_cert.pem(), leaf_cert.pem(), key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_a_private_ca_at_both_sizes() {
    let (ca, leaf, key) = pki();
    let emulator = Emulator::start(EmulatorConfig::demo()).await.expect("the emulator starts");
    let front = TlsFront::start(emulator.local_addr(), &leaf, &key).await.expect("the TLS front starts");
    let url = front.base_url("localhost");
    for size in atrium_e2e::SIZES {
        let result =
            atrium_e2e::run_journey("private_ca", size, async |app| journey(app, &url, &ca).await).await;
        if let Err(err) = result {
            panic!("trusting a private CA at {size} failed: {err:#}");
        }
    }
    front.shutdown();
    emulator.shutdown().await;
}

async fn journey(app: &App, url: &str, ca: &str) -> Result<()> {
    let c = app.client();
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;

    // http:// to another machine: nothing is sent before the person agrees.
    action::fill(c, "#server-url", "http://thingsboard.invalid:8080").await?;
    action::fill(c, "#username", "tenant@thingsboard.org").await?;
    action::fill(c, "#password", "tenant").await?;
    wait::until("the unencrypted address warning", STEP, async || {
        check::attr_eq(c, "#address-hint", "data-tone", "warn").await
    })
    .await?;
    action::click(c, "#sign-in").await?;
    wait::for_element(c, "#plain-http-confirm", STEP).await.context("no confirmation was asked")?;
    app.screenshot("sign_in_plain_http").await?;
    action::click(c, "#plain-http-cancel").await?;

    action::fill(c, "#server-url", url).await?;
    action::click(c, "#sign-in").await?;
    wait::until("the untrusted certificate message", STEP, async || {
        check::text_contains(c, "#login-error", "does not trust").await
    })
    .await?;
    wait::for_element(c, "#trust-ca", STEP).await.context("the trust panel did not open")?;
    action::fill(c, "#ca-pem", ca).await?;
    action::click(c, "#ca-check").await?;
    wait::until("the certificate's details", STEP, async || {
        check::text_contains(c, "#ca-subject", "Riverside Facilities Root CA").await
    })
    .await?;
    check::attr_present(c, "#ca-fingerprint", "class").await?;
    let shot = app.screenshot("sign_in_trust_ca").await?;
    eprintln!("private CA: trust panel {}", shot.display());
    action::click(c, "#ca-trust").await?;
    wait::until("the building tree", STEP, async || {
        check::exists(c, r#"#building-tree li.tree-node[data-name="Floor 1"]"#).await
    })
    .await?;
    wait::until("the live connection through the CA", STEP, async || {
        check::attr_eq(c, "#connection-state", "data-state", "connected").await
    })
    .await?;
    action::click(c, "#account-menu").await?;
    wait::for_element(c, "#account-panel", STEP).await?;
    app.screenshot("building_account_menu").await?;
    Ok(())
}
