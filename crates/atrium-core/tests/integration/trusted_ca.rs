//! A server with a private CA, through the core: the certificate problem is named, the CA is
//! shown for checking, trusted for that server (REST and WebSocket), still trusted after a
//! restart, and forgotten on request; a certificate for another host or an expired one is never
//! accepted, trusted CA or not.

use crate::common::eventually;
use atrium_core::accounts::MemorySettings;
use atrium_core::secrets::MemorySecrets;
use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{ConnectionState, ErrorCode, LoginArgs, LoginOutcome};
use rcgen::{BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use std::sync::Arc;
use tb_emulator::{Emulator, EmulatorConfig, TlsFront};

struct Ca {
    cert: Certificate,
    key: KeyPair,
}

fn private_ca() -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, "Atrium Test Private CA");
    params.distinguished_name.push(DnType::OrganizationName, "Riverside Facilities");
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Ca { cert: params.self_signed(&key).unwrap(), key }
}

/// A server certificate for "localhost" signed by `ca`; `expired` dates it in the past.
fn leaf(ca: &Ca, expired: bool) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = params.signed_by(&key, &ca.cert, &ca.key).unwrap();
    (cert.pem(), key.serialize_pem())
}

async fn https_emulator(ca: &Ca, expired: bool) -> (Emulator, TlsFront) {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (cert, key) = leaf(ca, expired);
    let front = TlsFront::start(emu.local_addr(), &cert, &key).await.unwrap();
    (emu, front)
}

#[tokio::test]
async fn a_private_ca_is_shown_trusted_kept_and_forgotten() {
    let ca = private_ca();
    let (emu, front) = https_emulator(&ca, false).await;
    let url = front.base_url("localhost");
    let settings = Arc::new(MemorySettings::default());
    let secrets = Arc::new(MemorySecrets::default());
    let start =
        || Core::builder(Arc::new(NoUiEvents)).settings(settings.clone()).secrets(secrets.clone()).build();
    let core = start();

    let err = core.login(LoginArgs::new(&url, "tenant@thingsboard.org", "tenant")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::UntrustedCertificate, "{err:?}");
    assert!(err.message.contains("trust that CA"), "{err:?}");

    let shown = core.inspect_certificate(&ca.cert.pem()).unwrap();
    assert!(shown.subject.contains("Atrium Test Private CA"), "{shown:?}");
    assert_eq!(shown.subject, shown.issuer, "a root CA signs itself");
    assert!(shown.is_ca);
    assert_eq!(shown.sha256.split(':').count(), 32);
    assert!(shown.not_before_ms < shown.not_after_ms);
    assert_eq!(core.inspect_certificate("not a certificate").unwrap_err().code, ErrorCode::Tls);

    let mut args = LoginArgs::new(&url, "tenant@thingsboard.org", "tenant");
    args.trusted_ca_pem = Some(ca.cert.pem());
    assert!(matches!(core.login(args).await.unwrap(), LoginOutcome::SignedIn { .. }));
    assert!(!core.load_tree(|_| {}).await.unwrap().is_empty());
    // The WebSocket trusts it too.
    eventually("the live connection", || core.connection_state() == ConnectionState::Connected).await;
    drop(core);

    // After a restart the CA is still trusted for that server.
    let restarted = start();
    let startup = restarted.startup().await;
    assert!(startup.session.is_some());
    let trusted = startup.accounts[0].trusted_ca.clone().expect("the account shows its CA");
    assert_eq!(trusted.sha256, shown.sha256);
    assert!(!restarted.load_tree(|_| {}).await.unwrap().is_empty());
    let account = startup.accounts[0].id.clone();

    // Forgotten, it is not trusted any more: the next sign-in names the problem again.
    restarted.forget_trusted_ca(&account).unwrap();
    restarted.logout().await;
    let err = restarted.login(LoginArgs::new(&url, "tenant@thingsboard.org", "tenant")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::UntrustedCertificate, "{err:?}");
    front.shutdown();
    emu.shutdown().await;
}

#[tokio::test]
async fn a_wrong_host_or_an_expired_certificate_is_never_accepted() {
    let ca = private_ca();
    let (emu, front) = https_emulator(&ca, false).await;
    let core = Core::new(Arc::new(NoUiEvents));
    // The certificate names "localhost", not 127.0.0.1.
    let mut args = LoginArgs::new(front.base_url("127.0.0.1"), "tenant@thingsboard.org", "tenant");
    args.trusted_ca_pem = Some(ca.cert.pem());
    let err = core.login(args).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Tls, "{err:?}");
    assert!(err.message.contains("another address"), "{err:?}");
    front.shutdown();
    emu.shutdown().await;

    let (emu, front) = https_emulator(&ca, true).await;
    let mut args = LoginArgs::new(front.base_url("localhost"), "tenant@thingsboard.org", "tenant");
    args.trusted_ca_pem = Some(ca.cert.pem());
    let err = core.login(args).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Tls, "{err:?}");
    assert!(err.message.contains("expired"), "{err:?}");
    front.shutdown();
    emu.shutdown().await;
}

#[test]
fn a_certificate_file_is_read_as_pem_or_der() {
    let ca = private_ca();
    let core = Core::new(Arc::new(NoUiEvents));
    let dir = std::env::temp_dir().join(format!("atrium-ca-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem_path = dir.join("ca.pem");
    let der_path = dir.join("ca.cer");
    std::fs::write(&pem_path, ca.cert.pem()).unwrap();
    std::fs::write(&der_path, ca.cert.der()).unwrap();
    let from_pem = core.inspect_certificate(&atrium_core::certificate_file_text(&pem_path).unwrap()).unwrap();
    let from_der = core.inspect_certificate(&atrium_core::certificate_file_text(&der_path).unwrap()).unwrap();
    assert_eq!(from_pem, from_der, "a DER file is the same certificate");
    // Pasted from a page that lost its line breaks, it is still the same certificate.
    let flattened = ca.cert.pem().replace('\n', " ");
    assert_eq!(core.inspect_certificate(&flattened).unwrap(), from_pem);
    let big = dir.join("big.pem");
    std::fs::write(&big, vec![b'a'; 2 * 1024 * 1024]).unwrap();
    assert!(atrium_core::certificate_file_text(&big).unwrap_err().message.contains("too big"));
    let _ = std::fs::remove_dir_all(&dir);
}
