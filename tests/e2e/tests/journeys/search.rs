//! The search journey through the real app: open the demo building, see a query without hits
//! answered "No matches" and cleared by Escape, type "thermostat" into the building search, choose the Lobby Thermostat among the hits, and see its device panel open with
//! the tree back in place.
//!
//! Run it like `demo_journey` (under `xvfb-run` with `ATRIUM_APP_BIN` set); it saves
//! `<target>/screenshots/search_<width>.png`.

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, DEMO_LOAD};
use fantoccini::key::Key;

const LOBBY: &str = r#"li.tree-node[data-name="Lobby"]"#;
const SEARCH: &str = "#tree-search";
const HITS: &str = "#search-results li.search-hit";
const WANTED: &str = "Lobby Thermostat";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search() {
    atrium_e2e::at_each_size("search", journey).await;
}

async fn journey(app: &App) -> Result<()> {
    let c = app.client();
    action::open_demo(c, &format!("#building-tree {LOBBY}")).await?;

    // Nothing matches: the results say so; Escape brings the tree back.
    let search = find::one(c, SEARCH).await?;
    search.send_keys("no-such-room").await.context("typing into the search box")?;
    wait::until("\"No matches\"", DEMO_LOAD, async || {
        check::text_contains(c, ".search-panel", "No matches").await
    })
    .await?;
    search.send_keys(&Key::Escape.to_string()).await.context("pressing Escape in the search box")?;
    wait::until("the tree after Escape", DEMO_LOAD, async || {
        anyhow::ensure!(find::all(c, ".search-panel").await?.is_empty(), "the results are still shown");
        anyhow::ensure!(find::all(c, "#building-tree[hidden]").await?.is_empty(), "the tree is still hidden");
        Ok(())
    })
    .await?;

    search.send_keys("thermostat").await.context("typing into the search box")?;
    let hit = wait::until(&format!("a search hit for {WANTED}"), DEMO_LOAD, async || {
        for hit in find::all(c, HITS).await? {
            if hit.text().await?.contains(WANTED) {
                return Ok(hit);
            }
        }
        anyhow::bail!("no `{HITS}` contains {WANTED:?}")
    })
    .await?;
    let text = hit.text().await?;
    anyhow::ensure!(text.contains("Lobby"), "the hit shows no path to the Lobby: {text:?}");
    check::exists(c, "#building-tree[hidden]").await.context("the tree is still shown beside the results")?;
    app.screenshot("search_results").await?;

    find::within(&hit, HITS, "button").await?.click().await.context("choosing the hit")?;
    wait::until(&format!("the device panel for {WANTED}"), DEMO_LOAD, async || {
        check::text_eq(c, "#device-name", WANTED).await
    })
    .await?;

    // The search is cleared and the tree is back, opened to the thermostat.
    wait::until("the tree instead of the results", DEMO_LOAD, async || {
        let typed = find::one(c, SEARCH).await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(typed.is_empty(), "the search box still holds {typed:?}");
        anyhow::ensure!(find::all(c, HITS).await?.is_empty(), "the search results are still shown");
        check::exists(c, r#"#building-tree li.tree-node[data-name="Lobby Thermostat"] .tree-row.selected"#)
            .await
    })
    .await?;

    let shot = app.screenshot("search").await?;
    eprintln!("search: chose {WANTED} from the hits; screenshot {}", shot.display());
    Ok(())
}
