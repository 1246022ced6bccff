//! Error paths of the REST layer against the emulator's fault controls: server errors, a proxy's
//! HTML page, a slow server, DNS failure, customer scoping, and two-factor login.

use std::time::Duration;
use tb_client::proto::auth::{Authority, TwoFaProviderType};
use tb_client::{Client, ConnectFailure, Error, Secret};
use tb_emulator::{Emulator, EmulatorConfig, FailureKind, TOTP_CODE};

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::for_tests()).await.unwrap()
}

async fn login(emu: &Emulator, user: &str, password: &str) -> Client {
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login(user, &Secret::new(password)).await.unwrap();
    client
}

#[tokio::test]
async fn a_server_error_is_a_transient_api_error() {
    let emu = emulator().await;
    let client = login(&emu, "tenant@thingsboard.org", "tenant").await;
    emu.faults().fail_next_requests(1, FailureKind::ServerError);
    let err = client.all_assets().await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, error_code: Some(2), .. }), "{err:?}");
    assert!(err.is_transient() && !err.is_auth());
    assert_eq!(emu.faults().counters().injected_failures, 1);
    // Not retried behind the caller's back; the next call works.
    assert!(!client.all_assets().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_html_page_from_a_proxy_names_status_content_type_and_title() {
    let emu = emulator().await;
    let client = login(&emu, "tenant@thingsboard.org", "tenant").await;
    emu.faults().fail_next_requests(1, FailureKind::BadGateway);
    let err = client.current_user().await.unwrap_err();
    let Error::UnexpectedResponse { status, content_type, snippet } = &err else { panic!("{err:?}") };
    assert_eq!((*status, content_type.as_str(), snippet.as_str()), (502, "text/html", "502 Bad Gateway"));
    let text = err.to_string();
    for part in ["502", "text/html", "502 Bad Gateway"] {
        assert!(text.contains(part), "{text}");
    }
    assert!(!text.contains("<html>") && !text.contains("expected value"), "no HTML, no serde text: {text}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_slow_server_times_out_once_without_a_retry() {
    let emu = emulator().await;
    let client = Client::builder(emu.base_url()).request_timeout(Duration::from_millis(500)).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    emu.faults().set_latency(Duration::from_secs(2), Duration::ZERO);
    let before = client.request_count();
    let err = client.all_assets().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(client.request_count() - before, 1, "one request, no retry");
}

#[tokio::test]
async fn an_unknown_host_is_a_dns_failure() {
    let client = Client::builder("http://nonexistent.invalid").build().unwrap();
    let err = client.login("a", &Secret::new("b")).await.unwrap_err();
    assert!(matches!(err, Error::Connect { kind: ConnectFailure::Dns, .. }), "{err:?}");
    assert!(err.to_string().contains("nonexistent.invalid"), "{err}");
}

#[tokio::test]
async fn a_customer_user_sees_only_its_customers_assets_and_devices() {
    let emu = emulator().await;
    let tenant = login(&emu, "tenant@thingsboard.org", "tenant").await;
    let customer = login(&emu, "customer@thingsboard.org", "customer").await;
    let me = customer.principal().unwrap();
    assert_eq!(me.authority, Authority::CustomerUser);
    let customer_id = me.customer_id.clone().expect("a customer user has a customer");
    emu.faults().reset_counters();

    let assets = customer.all_assets().await.unwrap();
    let all_assets = tenant.all_assets().await.unwrap();
    assert!(!assets.is_empty() && assets.len() < all_assets.len());
    assert!(assets.iter().all(|a| a.customer_id.is_some_and(|c| c.to_string() == customer_id)));
    let names: Vec<&str> = assets.iter().map(|a| a.name.as_str()).collect();
    assert!(names.contains(&"Lobby") && !names.contains(&"Floor 3"), "{names:?}");
    let counters = emu.faults().counters();
    assert_eq!(counters.requests("GET /api/customer/{customer_id}/assets"), 1);
    assert_eq!(counters.requests("GET /api/tenant/assets"), 1, "only the tenant admin's call");

    let devices = customer.all_devices().await.unwrap();
    assert!(devices.iter().all(|d| d.customer_id.is_some_and(|c| c.to_string() == customer_id)));

    // A device of the other customer: forbidden, by id and through its telemetry.
    let other = login(&emu, "customerb@thingsboard.org", "customer").await;
    let theirs = other.all_devices().await.unwrap()[0].id;
    assert!(devices.iter().all(|d| d.id != theirs));
    let err = customer.device(theirs).await.unwrap_err();
    assert!(err.is_forbidden(), "{err:?}");
    let entity = theirs.entity_id();
    let err = customer.latest_timeseries(entity, &["state"]).await.unwrap_err();
    assert!(err.is_forbidden(), "{err:?}");
}

#[tokio::test]
async fn two_factor_login_is_completed_with_the_code() {
    let emu = emulator().await;
    let client = Client::builder(emu.base_url()).build().unwrap();
    let err = client.login("twofa@thingsboard.org", &Secret::new("twofa")).await.unwrap_err();
    assert!(matches!(err, Error::TwoFactorRequired), "{err:?}");
    assert!(client.principal().is_none());
    assert!(matches!(client.all_assets().await, Err(Error::NotLoggedIn)));

    let err = client.verify_two_factor(TwoFaProviderType::Totp, "000000").await.unwrap_err();
    assert!(matches!(err, Error::TwoFactorRejected { error_code: Some(31), .. }), "{err:?}");
    assert!(err.is_auth());
    assert!(err.to_string().contains("Verification code is incorrect"), "{err}");

    // The pending login survives a wrong code.
    let me = client.verify_two_factor(TwoFaProviderType::Totp, TOTP_CODE).await.unwrap();
    assert_eq!(me.email, "twofa@thingsboard.org");
    assert!(!client.all_assets().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_two_factor_code_never_appears_in_an_error() {
    let emu = emulator().await;
    let client = Client::builder(emu.base_url()).request_timeout(Duration::from_millis(200)).build().unwrap();
    client.login("twofa@thingsboard.org", &Secret::new("twofa")).await.unwrap_err();
    // The server stops answering in time: the request fails inside reqwest, which quotes its URL.
    emu.faults().set_latency(Duration::from_secs(5), Duration::ZERO);
    let err = client.verify_two_factor(TwoFaProviderType::Totp, "987654").await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("987654"), "{err:?}");
    emu.faults().set_latency(Duration::ZERO, Duration::ZERO);
    // A transport error (nothing listens any more) quotes the URL too.
    emu.shutdown().await;
    let err = client.verify_two_factor(TwoFaProviderType::Totp, "987654").await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("987654"), "{err:?}");
}
