//! Comparing what the page shows with what a journey expects.
//!
//! Each check returns `Ok` when the page matches and otherwise an error saying what was expected
//! and what the page showed, so it reads well both alone and as the last state of a [`crate::wait`].

use anyhow::{bail, Result};
use fantoccini::Client;

use crate::find;

/// An element matches `css`.
pub async fn exists(client: &Client, css: &str) -> Result<()> {
    find::one(client, css).await.map(drop)
}

/// The text of `css` equals `expected` (both trimmed).
pub async fn text_eq(client: &Client, css: &str, expected: &str) -> Result<String> {
    let text = find::text(client, css).await?;
    if text != expected.trim() {
        bail!("expected `{css}` to read {expected:?}, the page shows {text:?}");
    }
    Ok(text)
}

/// The text of `css` is one of `allowed`; returns it.
pub async fn text_one_of(client: &Client, css: &str, allowed: &[&str]) -> Result<String> {
    let text = find::text(client, css).await?;
    if !allowed.contains(&text.as_str()) {
        bail!("expected `{css}` to read one of {allowed:?}, the page shows {text:?}");
    }
    Ok(text)
}

/// The text of `css` contains `needle`.
pub async fn text_contains(client: &Client, css: &str, needle: &str) -> Result<String> {
    let text = find::text(client, css).await?;
    if !text.contains(needle) {
        bail!("expected `{css}` to contain {needle:?}, the page shows {text:?}");
    }
    Ok(text)
}

/// Attribute `name` of `css` equals `expected`.
pub async fn attr_eq(client: &Client, css: &str, name: &str, expected: &str) -> Result<()> {
    match find::attr(client, css, name).await? {
        Some(value) if value == expected => Ok(()),
        Some(value) => bail!("expected `{css}` to have {name}={expected:?}, the page shows {value:?}"),
        None => bail!("expected `{css}` to have {name}={expected:?}, the attribute is missing"),
    }
}

/// Attribute `name` of `css`, which must be present.
pub async fn attr_present(client: &Client, css: &str, name: &str) -> Result<String> {
    match find::attr(client, css, name).await? {
        Some(value) => Ok(value),
        None => bail!("expected `{css}` to have a {name} attribute, it has none"),
    }
}
