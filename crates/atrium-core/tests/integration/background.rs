//! The app in the background and back, through `Core` against the emulator: after the grace
//! period the building is saved and the socket closed (the server sees it go); back in front,
//! a new socket at once and every watched value again from a fresh snapshot.

use crate::common::{eventually, Recorder};
use atrium_core::Core;
use atrium_ipc::{ConnectionState, LoginArgs};
use std::sync::Arc;
use std::time::Duration;
use tb_emulator::{Emulator, EmulatorConfig};

#[tokio::test]
async fn the_background_pauses_live_data_and_the_front_resumes_it_at_once() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("atrium-core-background-{}", std::process::id()));
    let ui = Arc::new(Recorder::default());
    let core = Core::builder(ui.clone()).cache_dir(&dir).background_grace(Duration::from_millis(300)).build();
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant")).await.unwrap();
    core.load_tree(|_| {}).await.unwrap();
    eventually("the live connection", || core.connection_state() == ConnectionState::Connected).await;
    let cache_file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    let saved_before = std::fs::metadata(&cache_file).unwrap().modified().unwrap();
    let sockets = emu.faults().counters().ws_connections;
    let ended = emu.faults().counters().ws_sessions_ended;

    // A glance at another app: back well within the grace period, nothing changes.
    core.app_hidden();
    core.app_visible();
    // Then a longer stay in the background.
    core.app_hidden();
    eventually("the live connection paused", || core.connection_state() == ConnectionState::Paused).await;
    assert!(
        std::fs::metadata(&cache_file).unwrap().modified().unwrap() > saved_before,
        "the building is saved on going to the background"
    );
    eventually("the server to see the socket go", || emu.faults().counters().ws_sessions_ended == ended + 1)
        .await;

    core.app_visible();
    eventually("the live connection back", || core.connection_state() == ConnectionState::Connected).await;
    assert_eq!(emu.faults().counters().ws_connections, sockets + 1, "one new socket, at once");
    let states = ui.states.lock().unwrap().clone();
    assert!(
        !states.iter().any(|s| matches!(s, ConnectionState::Reconnecting { .. })),
        "a pause is not a failure to back off from: {states:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
