//! A two-factor sign-in in the real app: the code screen offers the account's methods, a wrong
//! code says so and keeps the screen, an e-mailed code (read from the emulator) signs in.

use std::time::Duration;

use crate::common;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, APP_START};
use tb_emulator::{Emulator, EmulatorConfig};

const STEP: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_sign_in() {
    common::on_emulator_at_each_size("two_factor", EmulatorConfig::demo(), async |app, emulator| {
        journey(app, emulator, &emulator.base_url()).await
    })
    .await;
}

async fn journey(app: &App, emulator: &Emulator, url: &str) -> Result<()> {
    let c = app.client();
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    action::sign_in(c, url, "twofa@thingsboard.org", "twofa").await?;
    wait::for_element(c, "#two-factor-code", STEP).await.context("the code screen did not appear")?;
    let methods = find::all(c, ".two-factor-provider").await?;
    anyhow::ensure!(methods.len() == 4, "expected four methods, found {}", methods.len());
    check::attr_eq(c, r#".two-factor-provider[data-kind="totp"]"#, "aria-pressed", "true").await?;

    // A wrong code is refused and the screen stays.
    action::fill(c, "#two-factor-code", "000000").await?;
    action::click(c, "#two-factor-verify").await?;
    wait::until("the wrong code's message", STEP, async || {
        check::text_contains(c, "#two-factor-error", "not right").await
    })
    .await?;
    check::exists(c, "#two-factor-code").await?;

    // By e-mail: choosing it sends the code at once, and resending waits its turn.
    action::click(c, r#".two-factor-provider[data-kind="email"]"#).await?;
    wait::until("the resend countdown", STEP, async || {
        check::text_contains(c, "#two-factor-send", "Send a new code in").await
    })
    .await?;
    check::text_contains(c, "#two-factor-prompt", "tw*fa@thingsboard.org").await?;
    let code = emulator.two_factor_code("twofa@thingsboard.org").context("the emulator sent no code")?;
    let shot = app.screenshot("two_factor_code").await?;
    eprintln!("two-factor: code screen {}", shot.display());
    action::fill(c, "#two-factor-code", &code).await?;
    action::click(c, "#two-factor-verify").await?;
    wait::until("the building tree", STEP, async || {
        check::exists(c, r#"#building-tree li.tree-node[data-name="Floor 1"]"#).await
    })
    .await?;
    Ok(())
}
