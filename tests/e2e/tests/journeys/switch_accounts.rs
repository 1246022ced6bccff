//! Two accounts in the real app: sign in as the tenant, switch to a customer user (the tenant
//! stays signed in on the device), see only the customer's part, then switch back to the tenant
//! with one click and no password.

use std::time::Duration;

use crate::common;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, APP_START};
use tb_emulator::EmulatorConfig;

const LOAD: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_between_two_accounts() {
    common::on_emulator_at_each_size("switch_accounts", EmulatorConfig::demo(), async |app, emulator| {
        journey(app, &emulator.base_url()).await
    })
    .await;
}

async fn sign_in(app: &App, url: &str, user: &str, password: &str) -> Result<()> {
    let c = app.client();
    action::sign_in(c, url, user, password).await?;
    wait::for_element(c, "#building-tree li.tree-node", LOAD)
        .await
        .context("no building after signing in")?;
    Ok(())
}

async fn journey(app: &App, url: &str) -> Result<()> {
    let c = app.client();
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    sign_in(app, url, "tenant@thingsboard.org", "tenant").await?;
    wait::until("the tenant's whole building", LOAD, async || {
        check::exists(c, r#"#building-tree li.tree-node[data-name="Floor 3"]"#).await
    })
    .await?;

    action::click(c, "#account-menu").await?;
    check::text_contains(c, "#session-kept", "Kept in Secret Service").await?;
    action::click(c, "#switch-account").await?;
    wait::for_element(c, r#".saved-account[data-signed-in="true"]"#, LOAD)
        .await
        .context("the tenant is not listed as still signed in")?;
    let shot = app.screenshot("switch_accounts_list").await?;
    eprintln!("switch accounts: list {}", shot.display());
    action::click(c, "#another-server").await?;
    sign_in(app, url, "customer@thingsboard.org", "customer").await?;
    check::text_contains(c, "#session-info", "Ada").await?;
    anyhow::ensure!(
        find::one(c, r#"#building-tree li.tree-node[data-name="Floor 3"]"#).await.is_err(),
        "the customer sees the tenant's floors"
    );

    // Back to the tenant: one click, no password.
    action::click(c, "#account-menu").await?;
    action::click(c, "#switch-account").await?;
    wait::for_element(c, ".saved-account", LOAD).await?;
    let tenant =
        r#".saved-account[data-signed-in="true"] .account-continue[aria-label*="tenant@thingsboard.org"]"#;
    action::click(c, tenant).await?;
    wait::until("the tenant's building again", LOAD, async || {
        check::exists(c, r#"#building-tree li.tree-node[data-name="Floor 3"]"#).await
    })
    .await?;
    anyhow::ensure!(find::one(c, "#password").await.is_err(), "a password was asked for");
    Ok(())
}
