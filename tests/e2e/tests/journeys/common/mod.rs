//! What the journeys on an emulator share. The emulator is a dev dependency of this crate, so
//! this lives beside the journeys rather than in the harness.

use anyhow::Result;
use atrium_e2e::App;
use tb_emulator::{Emulator, EmulatorConfig};

/// Runs `journey` at each of [`atrium_e2e::SIZES`], each against an emulator of its own started
/// from `config`, so what one size changes (an acknowledged alarm, a revoked token) never reaches
/// the other; panics with the journey's error and the size it failed at.
pub(crate) async fn on_emulator_at_each_size(
    name: &str,
    config: EmulatorConfig,
    journey: impl AsyncFn(&App, &Emulator) -> Result<()>,
) {
    for size in atrium_e2e::SIZES {
        let emulator = Emulator::start(config.clone()).await.expect("the emulator starts");
        let result = atrium_e2e::run_journey(name, size, async |app| journey(app, &emulator).await).await;
        emulator.shutdown().await;
        if let Err(err) = result {
            panic!("the {name} journey at {size} failed: {err:#}");
        }
    }
}
