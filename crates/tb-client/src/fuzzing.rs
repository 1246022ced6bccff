//! Entry points for the fuzz targets in `fuzz/`, compiled only with `--cfg fuzzing` (cargo-fuzz
//! sets it): thin wrappers over crate-private code, so the public API stays as it is.

use crate::client::{body_snippet, one_line, RawResponse};
use crate::error::Error;
use crate::secret::Secret;
use crate::token::TimedToken;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;
use std::time::Duration;
use tokio::time::Instant;
use zeroize::Zeroizing;

/// The most characters of server-written text an error keeps (and an ellipsis).
pub const MAX_MESSAGE_CHARS: usize = crate::client::MAX_MESSAGE_CHARS;
/// The most characters of a page's excerpt an error keeps (and an ellipsis).
pub const MAX_SNIPPET_CHARS: usize = crate::client::SNIPPET_CHARS;

/// One received WebSocket text frame, decoded as the live actor decodes it; whether it was understood.
pub fn ws_frame(text: &str) -> bool {
    crate::live::decode(text).is_ok()
}

/// A REST answer read as an error and as a JSON success; `None` for a status `http` refuses.
/// Header bytes that make no header value are left out: no server could send them.
pub fn error_body(
    status: u16,
    content_type: &[u8],
    location: &[u8],
    body: &[u8],
) -> Option<(Error, Result<serde_json::Value, Error>)> {
    let status = StatusCode::from_u16(status).ok()?;
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(content_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_bytes(location) {
        headers.insert(LOCATION, value);
    }
    let raw = || RawResponse { status, headers: headers.clone(), body: Zeroizing::new(body.to_vec()) };
    Some((raw().into_error(), raw().json()))
}

/// The excerpt of a body an error keeps.
pub fn snippet(body: &[u8]) -> String {
    body_snippet(body)
}

/// `text` on one line, at most `max` characters and an ellipsis.
pub fn single_line(text: &str, max: usize) -> String {
    one_line(text, max)
}

/// A token read as the session reads one it receives (`TimedToken::new`) and one kept from an
/// earlier run (`TimedToken::restored`, against `wall_now_secs`), checking what the refresh
/// timing relies on.
pub fn jwt(token: &str, wall_now_secs: i64) {
    let claims = crate::token::decode_claims(token).ok();
    let now = Instant::now();
    if let Ok((timed, read)) = TimedToken::new(token.to_owned(), now) {
        assert_eq!(Some(&read), claims.as_ref(), "both read the same claims");
        assert_eq!(timed.expires_at - now, timed.lifetime, "it lives as long as the claims say");
        check_timing(&timed, now);
    }
    if let Ok((timed, read)) = TimedToken::restored(Secret::new(token.to_owned()), now, wall_now_secs) {
        assert_eq!(Some(&read), claims.as_ref(), "both read the same claims");
        check_timing(&timed, now);
    }
}

fn check_timing(token: &TimedToken, now: Instant) {
    let margin = token.margin();
    assert!(margin <= Duration::from_secs(300) && margin <= token.lifetime / 2, "{margin:?} {token:?}");
    if token.is_expired(now) {
        assert!(token.needs_refresh(now), "an expired token needs a refresh");
    }
}
