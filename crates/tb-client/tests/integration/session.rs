//! The session against the emulator: login, single-flight refresh, session end, error mapping.

use std::time::Duration;
use tb_client::proto::DeviceId;
use tb_client::{Client, Error, Secret, SessionEvent};
use tb_emulator::{Emulator, EmulatorConfig};

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::for_tests()).await.expect("emulator starts")
}

async fn tenant(emu: &Emulator) -> Client {
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    client
}

#[tokio::test]
async fn login_reads_the_principal_from_the_token() {
    let emu = emulator().await;
    let client = tenant(&emu).await;
    let me = client.principal().unwrap();
    assert_eq!(me.email, "tenant@thingsboard.org");
    assert_eq!(me.authority, tb_client::proto::auth::Authority::TenantAdmin);
    assert_eq!(me.customer_id, None, "the NULL UUID customer of a tenant admin is no customer");
    assert_eq!(client.current_user().await.unwrap().email, "tenant@thingsboard.org");
}

#[tokio::test]
async fn wrong_password_is_bad_credentials() {
    let emu = emulator().await;
    let client = Client::builder(emu.base_url()).build().unwrap();
    let err = client.login("tenant@thingsboard.org", &Secret::new("nope")).await.unwrap_err();
    assert!(matches!(err, Error::BadCredentials { error_code: 10, .. }), "{err:?}");
    assert!(err.is_auth());
}

#[tokio::test]
async fn a_hundred_concurrent_requests_on_an_expired_token_cause_one_refresh() {
    let emu = emulator().await;
    let client = tenant(&emu).await;
    let device = DeviceId(emu.device_id("Lobby Light").unwrap());
    emu.faults().expire_access_tokens();
    emu.faults().reset_counters();

    let requests = (0..100).map(|_| {
        let client = client.clone();
        async move { client.device(device).await }
    });
    let results = futures_util::future::join_all(requests).await;
    assert!(results.iter().all(Result::is_ok), "{:?}", results.iter().find(|r| r.is_err()));
    assert_eq!(emu.faults().counters().refresh_calls, 1, "exactly one refresh for the whole storm");
    assert_eq!(client.refresh_count(), 1);
}

#[tokio::test]
async fn a_revoked_refresh_token_ends_the_session_once() {
    let emu = emulator().await;
    let client = tenant(&emu).await;
    let mut events = client.events();
    emu.faults().expire_access_tokens();
    emu.faults().revoke_refresh_tokens();
    emu.faults().reset_counters();

    let results = futures_util::future::join_all((0..20).map(|_| client.all_assets())).await;
    assert!(results.iter().all(|r| matches!(r, Err(Error::SessionExpired { .. }))), "{results:?}");
    assert_eq!(emu.faults().counters().refresh_calls, 1, "no retry storm once the session is dead");
    assert!(matches!(events.recv().await.unwrap(), SessionEvent::Expired { .. }));
    // Later calls fail at once without touching the server.
    let before = emu.faults().counters().requests_by_route.values().sum::<u64>();
    assert!(matches!(client.device(DeviceId(uuid::Uuid::nil())).await, Err(Error::SessionExpired { .. })));
    assert_eq!(emu.faults().counters().requests_by_route.values().sum::<u64>(), before);
}

#[tokio::test]
async fn a_token_inside_its_refresh_margin_is_refreshed_before_use() {
    // A 600 s token has a 60 s margin: 545 s on (the client's clock, paused and advanced), the
    // next request refreshes first, and the server never sees a token that is about to expire.
    let config = EmulatorConfig { access_token_ttl: Duration::from_secs(600), ..EmulatorConfig::for_tests() };
    let emu = Emulator::start(config).await.unwrap();
    let client = tenant(&emu).await;
    emu.faults().reset_counters();
    client.all_assets().await.unwrap();
    assert_eq!(emu.faults().counters().refresh_calls, 0, "a fresh token is used as it is");
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(545)).await;
    tokio::time::resume();
    emu.faults().reset_counters();
    client.all_assets().await.unwrap();
    let counters = emu.faults().counters();
    assert_eq!(counters.refresh_calls, 1);
    assert_eq!(counters.requests("GET /api/tenant/assets"), 1, "no request was refused and retried");
}

#[tokio::test]
async fn unknown_device_is_not_found_with_the_servers_text() {
    let emu = emulator().await;
    let client = tenant(&emu).await;
    let err = client.device_info(DeviceId(uuid::Uuid::new_v4())).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn a_refused_connection_says_so() {
    // Bind then drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::builder(format!("http://127.0.0.1:{port}")).build().unwrap();
    let err = client.login("a", &Secret::new("b")).await.unwrap_err();
    assert!(matches!(err, Error::Connect { kind: tb_client::ConnectFailure::Refused, .. }), "{err:?}");
    assert!(err.is_transient());
}
