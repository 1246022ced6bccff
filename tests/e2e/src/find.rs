//! Locating elements by CSS selector; each error says which selector found nothing.

use anyhow::{Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

/// The first element matching `css`.
pub async fn one(client: &Client, css: &str) -> Result<Element> {
    client.find(Locator::Css(css)).await.with_context(|| format!("no element matches `{css}`"))
}

/// Every element matching `css` (possibly none).
pub async fn all(client: &Client, css: &str) -> Result<Vec<Element>> {
    client.find_all(Locator::Css(css)).await.with_context(|| format!("looking for `{css}`"))
}

/// The first element matching `css` inside `parent` (described by `parent_css` for messages).
pub async fn within(parent: &Element, parent_css: &str, css: &str) -> Result<Element> {
    parent
        .find(Locator::Css(css))
        .await
        .with_context(|| format!("no element matches `{css}` inside `{parent_css}`"))
}

/// The visible text of the first element matching `css`, trimmed.
pub async fn text(client: &Client, css: &str) -> Result<String> {
    let text =
        one(client, css).await?.text().await.with_context(|| format!("reading the text of `{css}`"))?;
    Ok(text.trim().to_owned())
}

/// Attribute `name` of the first element matching `css` (`None` if the attribute is absent).
pub async fn attr(client: &Client, css: &str, name: &str) -> Result<Option<String>> {
    one(client, css).await?.attr(name).await.with_context(|| format!("reading `{name}` of `{css}`"))
}
