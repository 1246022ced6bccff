//! Light and dark by choice: the account menu's Appearance picks Dark, the page turns dark at
//! once and stays dark after a reload; "System" follows the system again (light here).

use anyhow::{Context, Result};
use atrium_e2e::{action, find, wait, App, DEMO_LOAD};

const LOBBY: &str = r#"#building-tree li.tree-node[data-name="Lobby"]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appearance() {
    atrium_e2e::at_each_size("appearance", journey).await;
}

/// The page's theme attribute and its background colour.
async fn theme(app: &App) -> Result<(String, String)> {
    let found = app
        .client()
        .execute(
            "return [document.documentElement.getAttribute('data-theme'), \
             getComputedStyle(document.body).backgroundColor];",
            vec![],
        )
        .await?;
    let pair: (Option<String>, String) = serde_json::from_value(found).context("the theme and background")?;
    Ok((pair.0.unwrap_or_default(), pair.1))
}

async fn expect_theme(app: &App, wanted: &str, background: &str) -> Result<()> {
    wait::until(&format!("a {wanted} page"), DEMO_LOAD, async || {
        let (theme, bg) = theme(app).await?;
        anyhow::ensure!(theme == wanted && bg == background, "the page is {theme} on {bg}");
        Ok(())
    })
    .await
}

async fn journey(app: &App) -> Result<()> {
    let c = app.client();
    action::open_demo(c, LOBBY).await?;
    // Xvfb's system is light.
    expect_theme(app, "light", "rgb(244, 245, 247)").await?;

    action::click(c, "#account-menu").await?;
    action::click(c, r#"label[for="theme-dark"]"#).await?;
    expect_theme(app, "dark", "rgb(15, 20, 25)").await?;
    app.screenshot("building_dark").await?;

    // A reload paints dark from the start, whichever screen it lands on.
    c.execute("location.reload();", vec![]).await?;
    expect_theme(app, "dark", "rgb(15, 20, 25)").await.context("the choice was not kept")?;
    wait::until("a screen after the reload", DEMO_LOAD, async || {
        if find::one(c, "#open-demo").await.is_ok() {
            app.screenshot("sign_in_dark").await?;
            action::click(c, "#open-demo").await?;
        }
        find::one(c, LOBBY).await.map(drop)
    })
    .await?;

    action::click(c, "#account-menu").await?;
    action::click(c, r#"label[for="theme-system"]"#).await?;
    expect_theme(app, "light", "rgb(244, 245, 247)").await
}
