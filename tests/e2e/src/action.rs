//! Doing things to the page: every action names its target in its error.

use anyhow::{Context, Result};
use fantoccini::elements::Element;
use fantoccini::Client;

use crate::find;

/// On a phone the tree is a screen of its own: a person on a place's or device's screen taps
/// "Building" in the breadcrumb to get back to it before tapping a row of the tree.
async fn show_tree_for(client: &Client, css: &str) -> Result<()> {
    if !css.contains("#building-tree") && !css.contains("tree-node") {
        return Ok(());
    }
    let hidden = client
        .execute("const p = document.querySelector('.tree-panel'); return !!p && getComputedStyle(p).display === 'none';", vec![])
        .await
        .context("asking whether the tree is shown")?;
    if hidden.as_bool() == Some(true) {
        let home = find::one(client, "#nav-home").await?;
        tap(client, home, "the breadcrumb's \"Building\"")
            .await
            .context("going back to the building's tree")?;
        crate::wait::until("the tree to show", crate::DEMO_LOAD, async || {
            let shown = client
                .execute("const p = document.querySelector('.tree-panel'); return !!p && getComputedStyle(p).display !== 'none';", vec![])
                .await;
            match shown.ok().and_then(|v| v.as_bool()) {
                Some(true) => Ok(()),
                _ => Err(anyhow::anyhow!("the tree is still hidden")),
            }
        })
        .await?;
    }
    Ok(())
}

/// How many times an element the page replaced between finding and clicking it is found again.
const REPLACED_TRIES: u32 = 3;

/// Whether `err` says the element found has left the page: the page rendered it anew (a list
/// refreshed by a live update) between the find and the click.
fn replaced(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<fantoccini::error::CmdError>()
            .is_some_and(|e| e.is_stale_element_reference() || e.is_no_such_element())
    })
}

/// Finds an element with `find` and taps it; finds it again if the page replaced it meanwhile.
async fn tap_found(client: &Client, what: &str, find: impl AsyncFn() -> Result<Element>) -> Result<()> {
    let mut attempt = 1;
    loop {
        match tap(client, find().await?, what).await {
            Err(err) if attempt < REPLACED_TRIES && replaced(&err) => attempt += 1,
            done => return done,
        }
    }
}

/// Clicks `element` once it is in the middle of the window, as a person scrolls before tapping:
/// at phone size a sticky header may cover an element the driver only scrolls to the edge.
async fn tap(client: &Client, element: Element, what: &str) -> Result<()> {
    center(client, &element, what).await?;
    element.click().await.with_context(|| format!("clicking {what}"))
}

/// Scrolls `element` to the middle of the window and waits (at most 120 frames) until it has
/// stayed put for three frames: content arriving above it (a chart, a list) moves it, and a tap
/// aimed before that lands on whatever took its place.
async fn center(client: &Client, element: &Element, what: &str) -> Result<()> {
    let target = serde_json::to_value(element).context("an element reference")?;
    client
        .execute_async(
            "const [element, done] = arguments; \
             element.scrollIntoView({block: 'center', inline: 'nearest'}); \
             let last = '', still = 0, frames = 0; \
             const look = () => { \
               const r = element.getBoundingClientRect(); \
               const now = [r.x, r.y, r.width, r.height].join(); \
               still = now === last ? still + 1 : 0; last = now; \
               if (still >= 3 || ++frames >= 120) { done(still >= 3); } else { requestAnimationFrame(look); } \
             }; \
             requestAnimationFrame(look);",
            vec![target],
        )
        .await
        .with_context(|| format!("scrolling to {what}"))?;
    Ok(())
}

/// Scrolls the first element matching `css` to the middle of the window, as a person does
/// before looking at it (for a screenshot of something below the fold).
pub async fn scroll_to(client: &Client, css: &str) -> Result<()> {
    let element = find::one(client, css).await?;
    center(client, &element, &format!("`{css}`")).await
}

/// Clicks the first element matching `css`.
pub async fn click(client: &Client, css: &str) -> Result<()> {
    show_tree_for(client, css).await?;
    tap_found(client, &format!("`{css}`"), async || find::one(client, css).await).await
}

/// Clicks the first element matching `css` inside the first element matching `parent_css`.
pub async fn click_within(client: &Client, parent_css: &str, css: &str) -> Result<()> {
    show_tree_for(client, parent_css).await?;
    tap_found(client, &format!("`{css}` inside `{parent_css}`"), async || {
        let parent = find::one(client, parent_css).await?;
        find::within(&parent, parent_css, css).await
    })
    .await
}

/// Clicks the first of `candidates` (CSS selectors tried in order) found inside `parent_css`;
/// returns the selector that was clicked.
pub async fn click_first_within<'a>(
    client: &Client,
    parent_css: &str,
    candidates: &[&'a str],
) -> Result<&'a str> {
    show_tree_for(client, parent_css).await?;
    let parent = find::one(client, parent_css).await?;
    for &css in candidates {
        if let Ok(target) = find::within(&parent, parent_css, css).await {
            tap(client, target, &format!("`{css}` inside `{parent_css}`")).await?;
            return Ok(css);
        }
    }
    anyhow::bail!("none of {candidates:?} is inside `{parent_css}`")
}

/// Ticks the checkbox matching `css` from the keyboard (focus, Space), as a keyboard user does,
/// and fails unless it ends up ticked: a tap on an 18 px box can land beside it while the page
/// still settles, a key press cannot.
pub async fn check(client: &Client, css: &str) -> Result<()> {
    let checkbox = find::one(client, css).await?;
    center(client, &checkbox, &format!("`{css}`")).await?;
    checkbox.send_keys(" ").await.with_context(|| format!("pressing Space on `{css}`"))?;
    crate::wait::until(&format!("`{css}` to be ticked"), std::time::Duration::from_secs(5), async || {
        let ticked = find::one(client, css).await?.prop("checked").await?;
        match ticked.as_deref() {
            Some("true") => Ok(()),
            other => Err(anyhow::anyhow!("checked is {other:?}")),
        }
    })
    .await
}

/// Picks the option with `value` in the `<select>` matching `css` (a person's choice: fires `change`).
pub async fn select(client: &Client, css: &str, value: &str) -> Result<()> {
    find::one(client, css)
        .await?
        .select_by_value(value)
        .await
        .with_context(|| format!("choosing `{value}` in `{css}`"))
}

/// Replaces the text of the input matching `css` with `text`, as typed.
pub async fn fill(client: &Client, css: &str, text: &str) -> Result<()> {
    let input = find::one(client, css).await?;
    input.clear().await.with_context(|| format!("clearing `{css}`"))?;
    input.send_keys(text).await.with_context(|| format!("typing into `{css}`"))
}

/// Waits for the sign-in screen, opens the embedded demo building and waits for `shown` (a CSS
/// selector) in it.
pub async fn open_demo(client: &Client, shown: &str) -> Result<()> {
    crate::wait::for_element(client, "#open-demo", crate::APP_START)
        .await
        .context("the sign-in screen did not appear")?;
    click(client, "#open-demo").await?;
    crate::wait::for_element(client, shown, crate::DEMO_LOAD)
        .await
        .with_context(|| format!("`{shown}` did not appear in the demo building"))?;
    Ok(())
}

/// Expands the tree row `parent` (its toggle, or its label when it has none), then selects its
/// child row `child`.
pub async fn open_child(client: &Client, parent: &str, child: &str) -> Result<()> {
    click_first_within(client, parent, &[".tree-toggle", ".tree-label"]).await?;
    crate::wait::for_element(client, child, crate::DEMO_LOAD)
        .await
        .with_context(|| format!("expanding `{parent}` showed no `{child}`"))?;
    click_within(client, child, ".tree-label").await
}

/// Fills the sign-in form (server address, username, password) and presses "Sign in".
pub async fn sign_in(client: &Client, url: &str, username: &str, password: &str) -> Result<()> {
    fill(client, "#server-url", url).await?;
    fill(client, "#username", username).await?;
    fill(client, "#password", password).await?;
    click(client, "#sign-in").await
}

#[cfg(test)]
mod tests {
    use super::replaced;
    use fantoccini::error::{CmdError, ErrorStatus, WebDriver};

    fn webdriver_error(status: ErrorStatus, message: &'static str) -> anyhow::Error {
        anyhow::Error::new(CmdError::Standard(WebDriver::new(status, message))).context("clicking `#x`")
    }

    #[test]
    fn an_element_gone_from_the_page_is_found_again_and_nothing_else_is() {
        let gone = "Node with identifier 'node-E17DB2C7' was not found";
        assert!(replaced(&webdriver_error(ErrorStatus::StaleElementReference, gone)));
        assert!(replaced(&webdriver_error(ErrorStatus::NoSuchElement, gone)));
        assert!(!replaced(&webdriver_error(ErrorStatus::ElementNotInteractable, "covered by the header")));
        assert!(!replaced(&anyhow::anyhow!("no element matches `#x`")));
    }
}
