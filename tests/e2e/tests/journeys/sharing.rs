//! Sharing a place in the real app. A manager takes Room 2.05 back from Customer A, shares it
//! with a new customer and a new user of theirs, copies the activation link; that person
//! activates the account and, signed in, sees only Room 2.05. A customer user is never offered
//! the Access section. Sharing the Lobby (Customer A's) with Customer B shows what another
//! customer has, and skipping leaves it with them; a refusal reads as the server's.

use std::time::Duration;

use crate::common;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, APP_START};
use tb_emulator::{Emulator, EmulatorConfig, FailureKind};

/// What Copy says when the clipboard would not take the link and it is selected instead.
const SELECTED_FOR_COPY: &str = "Selected: copy it with Ctrl+C, or hold it and choose Copy.";
const STEP: Duration = Duration::from_secs(30);
const ROOM: &str = "Room 2.05";
const NEW_CUSTOMER: &str = "Flat 2.05";
const NEW_USER: &str = "ana@flat205.example";
const NEW_PASSWORD: &str = "ana-secret-1";

fn node(name: &str) -> String {
    format!(r#"#building-tree li.tree-node[data-name="{name}"]"#)
}

/// A summary's or plan's count for `key` (`data-count`).
async fn count(app: &App, scope: &str, key: &str) -> Result<u32> {
    let css = format!(r#"{scope} [data-count="{key}"]"#);
    let text = match find::attr(app.client(), &css, "data-value").await? {
        Some(value) => value,
        None => find::text(app.client(), &format!("{css} .plan-count")).await?,
    };
    text.parse().with_context(|| format!("`{css}` counts {text:?}"))
}

async fn sign_in(app: &App, url: &str, user: &str, password: &str) -> Result<()> {
    let c = app.client();
    // After a sign-out the saved accounts come first.
    wait::until("the sign-in screen", APP_START, async || {
        if find::one(c, "#another-server").await.is_ok() {
            action::click(c, "#another-server").await?;
        }
        check::exists(c, "#server-url").await
    })
    .await?;
    action::sign_in(c, url, user, password).await?;
    wait::for_element(c, "#building-tree li.tree-node", STEP)
        .await
        .context("no building after signing in")?;
    Ok(())
}

/// Opens a place through the building search, as a person looking for it does.
async fn open_place(app: &App, emulator: &Emulator, name: &str) -> Result<()> {
    let c = app.client();
    let id = emulator.asset_id(name).with_context(|| format!("the demo has {name}"))?;
    action::fill(c, "#tree-search", name).await?;
    let hit = format!(r#"#search-results li.search-hit[data-id="{id}"] button"#);
    wait::for_element(c, &hit, STEP).await.with_context(|| format!("no search hit for {name}"))?;
    action::click(c, &hit).await?;
    wait::until(&format!("{name}'s panel"), STEP, async || {
        check::text_eq(c, "#node-name", name).await.map(drop)
    })
    .await?;
    // The chart above the Access section comes last; until it has, what is below it moves.
    wait::for_element(c, "#place-history figure, #place-history-empty", STEP)
        .await
        .with_context(|| format!("{name}'s chart did not load"))
        .map(drop)
}

/// Unfolds the Access section and waits for who has access.
async fn open_access(app: &App) -> Result<()> {
    let c = app.client();
    action::click(c, "#access-section > summary").await?;
    wait::until("who has access", STEP, async || match find::one(c, "#access-error").await {
        Ok(error) => anyhow::bail!("the access list failed: {}", error.text().await?),
        Err(_) => check::exists(c, "#access-list").await,
    })
    .await
}

/// Types `text` into one field a key at a time, as a person does: a field rebuilt by a key (which
/// loses the focus and what follows) fails here as a stale element.
async fn type_keys(app: &App, css: &str, text: &str) -> Result<()> {
    let input = find::one(app.client(), css).await?;
    input.clear().await.with_context(|| format!("clearing `{css}`"))?;
    for key in text.chars() {
        input.send_keys(&key.to_string()).await.with_context(|| format!("typing {key:?} into `{css}`"))?;
    }
    Ok(())
}

/// Chooses an existing customer in the share form, found by searching as a person does.
async fn choose_customer(app: &App, search: &str, title: &str) -> Result<()> {
    let c = app.client();
    // The list (and its search box) comes once the customers are read.
    wait::for_element(c, "#share-customer-search", STEP).await.context("no customers to choose from")?;
    type_keys(app, "#share-customer-search", search).await?;
    action::click(c, &format!(r#"#share-customers label[data-title="{title}"]"#)).await
}

/// Nothing in the Access section reaches past the window or scrolls sideways (a phone's 390 px
/// included). The page is not checked: the place's table above it is wider than a phone.
async fn fits(app: &App, step: &str) -> Result<()> {
    let found = app
        .client()
        .execute(
            "const body = document.querySelector('.access-body'); \
             const past = [...body.querySelectorAll('*')] \
               .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5) \
               .map(e => e.tagName + '.' + e.className); \
             return [body.scrollWidth <= body.clientWidth, past];",
            vec![],
        )
        .await?;
    let (inside, past): (bool, Vec<String>) = serde_json::from_value(found)?;
    anyhow::ensure!(inside && past.is_empty(), "{step}: the Access section is too wide: {past:?}");
    Ok(())
}

/// A customer in the access list.
fn customer(title: &str) -> String {
    format!(r#"#access-list li.access-customer[data-title="{title}"]"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_shares_a_room_with_a_new_customer_user() {
    common::on_emulator_at_each_size("sharing", EmulatorConfig::demo(), share_a_room).await;
}

async fn share_a_room(app: &App, emulator: &Emulator) -> Result<()> {
    let c = app.client();
    let url = emulator.base_url();
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    sign_in(app, &url, "tenant@thingsboard.org", "tenant").await?;
    open_place(app, emulator, ROOM).await?;
    open_access(app).await?;
    let ada = format!(r#"{} li.access-user[data-email="customer@thingsboard.org"]"#, customer("Customer A"));
    check::text_eq(c, &format!("{ada} .access-user-state"), "Active").await?;
    check::attr_eq(c, &customer("Customer A"), "data-has-place", "true").await?;
    action::scroll_to(c, "#access-list").await?;
    app.screenshot("sharing_access").await?;

    // Customer A has the room: take it back first, seeing what they lose.
    action::click(c, "#unshare-open").await?;
    action::click(c, "#unshare-review").await?;
    wait::for_element(c, "#unshare-plan", STEP).await.context("no plan to stop sharing")?;
    check::text_contains(c, "#unshare-change", "Customer A will lose access to").await?;
    let theirs = find::all(c, "#unshare-items li").await?.len();
    anyhow::ensure!(theirs > 1, "the room and its devices are Customer A's, the plan lists {theirs}");
    app.screenshot("sharing_unshare_plan").await?;
    action::click(c, "#unshare-run").await?;
    wait::for_element(c, "#unshare-summary", STEP).await.context("no summary of stopping")?;
    anyhow::ensure!(
        count(app, "#unshare-summary", "unassigned").await? as usize == theirs,
        "not all taken back"
    );
    anyhow::ensure!(count(app, "#unshare-summary", "failed").await? == 0, "some failed");
    app.screenshot("sharing_unshare_summary").await?;
    action::click(c, "#unshare-done").await?;
    wait::for_element(c, "#access-none", STEP).await.context("a customer still has the room")?;

    // Share it with a new customer and a new user of theirs.
    action::click(c, "#share-open").await?;
    action::click(c, r#"label[for="share-customer-new"]"#).await?;
    type_keys(app, "#share-new-title", NEW_CUSTOMER).await?;
    action::fill(c, "#share-new-email", "desk@flat205.example").await?;
    action::check(c, "#share-with-user").await?;
    type_keys(app, "#share-user-email", NEW_USER).await?;
    action::fill(c, "#share-user-first", "Ana").await?;
    action::fill(c, "#share-user-last", "Lima").await?;
    fits(app, "the share form").await?;
    app.screenshot("sharing_form").await?;
    action::click(c, "#share-review").await?;
    wait::for_element(c, "#share-plan", STEP).await.context("no share plan")?;
    check::text_contains(c, "#share-plan .flow-title", "(a new customer)").await?;
    let to_assign = count(app, "#share-plan", "assign").await?;
    anyhow::ensure!(to_assign as usize == theirs, "the plan gives {to_assign} of {theirs}");
    anyhow::ensure!(count(app, "#share-plan", "conflicts").await? == 0, "the room has no other customer now");
    check::text_contains(c, "#share-plan-user", NEW_USER).await?;
    fits(app, "the share plan").await?;
    app.screenshot("sharing_plan").await?;

    // Slowed down, so the progress shows.
    emulator.faults().set_latency(Duration::from_millis(300), Duration::ZERO);
    action::click(c, "#share-run").await?;
    // The items go 8 at a time, then the user is made: the bar stays full meanwhile.
    let progressed = wait::until("the progress bar to move, or the summary", STEP, async || {
        if find::one(c, "#share-summary").await.is_ok() {
            return Ok(false);
        }
        let text = find::text(c, "#share-progress-text").await?;
        anyhow::ensure!(!text.starts_with("0 of") && text.contains(" of "), "it reads {text:?}");
        Ok(true)
    })
    .await?;
    if progressed {
        app.screenshot("sharing_progress").await?;
    }
    wait::for_element(c, "#share-summary", STEP).await.context("no summary of sharing")?;
    emulator.faults().set_latency(Duration::ZERO, Duration::ZERO);
    anyhow::ensure!(count(app, "#share-summary", "assigned").await? == to_assign, "not everything was given");
    anyhow::ensure!(count(app, "#share-summary", "failed").await? == 0, "some failed");
    let link = find::one(c, "#activation-link").await?.prop("value").await?.unwrap_or_default();
    let prefix = format!("{url}/api/noauth/activate?activateToken=");
    let token = link.strip_prefix(&prefix).with_context(|| format!("the link {link:?} is not {prefix}…"))?;
    // The webview's Clipboard API works here: tauri://localhost is a secure context and the
    // tap is the person's gesture.
    // If the clipboard does not answer in time, the link is selected for copying by hand instead.
    action::click(c, "#copy-activation-link").await?;
    let copied = wait::until("the link copied", STEP, async || {
        check::text_one_of(c, "#copy-status", &["Copied.", SELECTED_FOR_COPY]).await
    })
    .await?;
    if copied == SELECTED_FOR_COPY {
        eprintln!("sharing: the clipboard did not answer; the link was selected");
        let selected = c
            .execute(
                "const i = document.getElementById('activation-link'); \
                 return [i.selectionStart, i.selectionEnd, i.value.length];",
                vec![],
            )
            .await?;
        let (start, end, len): (u64, u64, u64) = serde_json::from_value(selected)?;
        anyhow::ensure!(start == 0 && end == len, "the link is not selected ({start}..{end} of {len})");
    }
    fits(app, "the share summary").await?;
    app.screenshot("sharing_summary").await?;

    // The list above now names the new customer and their user, still to activate.
    let ana = format!(r#"{} li.access-user[data-email="{NEW_USER}"]"#, customer(NEW_CUSTOMER));
    wait::until("the new customer in the access list", STEP, async || {
        check::text_eq(c, &format!("{ana} .access-user-state"), "Not activated yet").await
    })
    .await?;

    // A re-run plans only what is missing: everything is theirs already.
    action::click(c, "#share-done").await?;
    action::click(c, "#share-open").await?;
    choose_customer(app, "flat 2", NEW_CUSTOMER).await?;
    action::click(c, "#share-review").await?;
    wait::for_element(c, "#share-plan", STEP).await?;
    anyhow::ensure!(count(app, "#share-plan", "assign").await? == 0, "a re-run would assign again");
    anyhow::ensure!(count(app, "#share-plan", "already").await? == to_assign, "a re-run misses some");
    action::click(c, "#share-back").await?;
    action::click(c, "#share-cancel").await?;

    // The person sets a password with the link, as ThingsBoard's page would for them.
    activate(&url, token).await?;
    action::click(c, "#account-menu").await?;
    action::click(c, "#sign-out").await?;
    sign_in(app, &url, NEW_USER, NEW_PASSWORD).await?;
    wait::until("Room 2.05 alone in Ana's building", STEP, async || {
        let mut names = Vec::new();
        for row in find::all(c, "#building-tree li.tree-node").await? {
            names.push(row.attr("data-name").await?.unwrap_or_default());
        }
        anyhow::ensure!(names.first().map(String::as_str) == Some(ROOM), "the tree shows {names:?}");
        anyhow::ensure!(names.iter().all(|n| n.starts_with(ROOM)), "the tree shows {names:?}");
        Ok(())
    })
    .await?;
    action::click_first_within(c, &node(ROOM), &[".tree-toggle"]).await.ok();
    wait::until("the room's devices", STEP, async || check::exists(c, &node(&format!("{ROOM} Light"))).await)
        .await?;
    app.screenshot("sharing_new_user_tree").await?;
    Ok(())
}

/// `POST /api/noauth/activate`: what ThingsBoard's "create password" page sends.
async fn activate(url: &str, token: &str) -> Result<()> {
    let body = serde_json::json!({ "activateToken": token, "password": NEW_PASSWORD });
    let answer = reqwest::Client::new().post(format!("{url}/api/noauth/activate")).json(&body).send().await?;
    anyhow::ensure!(answer.status().is_success(), "activation answered {}", answer.status());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_user_is_not_offered_access() {
    common::on_emulator_at_each_size("sharing_customer", EmulatorConfig::demo(), async |app, emulator| {
        let c = app.client();
        wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
        sign_in(app, &emulator.base_url(), "customer@thingsboard.org", "customer").await?;
        open_place(app, emulator, "Lobby").await?;
        check::exists(c, ".node-view").await?;
        anyhow::ensure!(
            find::all(c, "#access-section").await?.is_empty(),
            "a customer user is offered Access"
        );
        action::scroll_to(c, "#place-history").await?;
        app.screenshot("sharing_customer_user").await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_another_customer_has_is_skipped_unless_moved() {
    common::on_emulator_at_each_size("sharing_conflict", EmulatorConfig::demo(), conflict).await;
}

async fn conflict(app: &App, emulator: &Emulator) -> Result<()> {
    let c = app.client();
    let lobby = emulator.asset_id("Lobby").context("the demo has a Lobby")?;
    let customer_a = emulator.customer_id("Customer A").context("the demo has Customer A")?;
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    sign_in(app, &emulator.base_url(), "tenant@thingsboard.org", "tenant").await?;
    // In the dark, to see the flow in both palettes across the journeys.
    action::click(c, "#account-menu").await?;
    action::click(c, r#"label[for="theme-dark"]"#).await?;
    action::click(c, "#account-menu").await?;
    open_place(app, emulator, "Lobby").await?;
    open_access(app).await?;

    action::click(c, "#share-open").await?;
    choose_customer(app, "customer b", "Customer B").await?;
    // A server that refuses says so, in its words.
    emulator.faults().fail_next_requests(1, FailureKind::PermissionDenied);
    action::click(c, "#share-review").await?;
    wait::until("the refusal", STEP, async || check::text_contains(c, "#share-error", "permission").await)
        .await?;
    app.screenshot("sharing_refused").await?;

    action::click(c, "#share-review").await?;
    wait::for_element(c, "#share-plan", STEP).await.context("no share plan")?;
    let conflicts = count(app, "#share-plan", "conflicts").await?;
    anyhow::ensure!(conflicts > 1, "the Lobby and its devices are Customer A's, the plan shows {conflicts}");
    check::text_contains(c, r#"#share-conflicts li.share-conflict[data-name="Lobby"]"#, "Customer A").await?;
    check::text_contains(c, r#"label[for="conflict-move"]"#, "Move: their current customer loses access")
        .await?;
    anyhow::ensure!(
        find::one(c, "#conflict-skip").await?.prop("checked").await?.as_deref() == Some("true"),
        "skip is not the default"
    );
    fits(app, "a plan with conflicts").await?;
    app.screenshot("sharing_conflict_plan").await?;

    action::click(c, "#share-run").await?;
    wait::for_element(c, "#share-summary", STEP).await.context("no summary")?;
    anyhow::ensure!(count(app, "#share-summary", "skipped").await? == conflicts, "not all were left");
    anyhow::ensure!(count(app, "#share-summary", "assigned").await? == 0, "something was given");
    anyhow::ensure!(count(app, "#share-summary", "moved").await? == 0, "something was moved");
    app.screenshot("sharing_conflict_summary").await?;
    anyhow::ensure!(emulator.owner(lobby) == Some(customer_a), "the Lobby left Customer A");
    wait::until("Customer A still in the access list, alone", STEP, async || {
        check::attr_eq(c, &customer("Customer A"), "data-has-place", "true").await?;
        anyhow::ensure!(find::all(c, &customer("Customer B")).await?.is_empty(), "Customer B has access");
        Ok(())
    })
    .await
}
