//! REST error bodies and HTML classification: whatever a server or a proxy in front of it answers
//! becomes a typed error whose text is one bounded line, and a redirect never names its query.
//! Input: `STATUS CONTENT-TYPE`, a newline, the `Location` header, a newline, then the body.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tb_client::fuzzing::{error_body, single_line, snippet, MAX_MESSAGE_CHARS, MAX_SNIPPET_CHARS};
use tb_client::Error;

/// Text an error keeps: one line (no whitespace but single spaces), at most `max` characters
/// and an ellipsis.
fn assert_one_line(text: &str, max: usize) {
    assert!(text.chars().count() <= max + 1, "{} chars: {text:?}", text.chars().count());
    assert!(!text.chars().any(|c| c.is_whitespace() && c != ' '), "{text:?}");
    assert!(!text.starts_with(' ') && !text.contains("  "), "{text:?}");
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let head = parts.next().unwrap_or_default();
    let location = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    let (status, content_type) = head.split_once(' ').unwrap_or((&head, ""));
    let Ok(status) = status.trim().parse::<u16>() else { return };

    assert_one_line(&snippet(body), MAX_SNIPPET_CHARS);
    let text = String::from_utf8_lossy(body);
    for max in [0, 1, MAX_SNIPPET_CHARS, MAX_MESSAGE_CHARS] {
        assert_one_line(&single_line(&text, max), max);
    }

    let Some((error, json)) = error_body(status, content_type.as_bytes(), location, body) else { return };
    match &error {
        Error::Api { status: s, message, .. } => {
            assert_eq!(*s, status);
            assert_one_line(message, MAX_MESSAGE_CHARS);
        }
        Error::UnexpectedResponse { status: s, content_type, snippet } => {
            assert_eq!(*s, status);
            assert_one_line(content_type, MAX_MESSAGE_CHARS);
            assert_one_line(snippet, MAX_SNIPPET_CHARS);
        }
        Error::Redirected { status: s, to } => {
            assert_eq!(*s, status);
            assert!((300..400).contains(&status), "{status}");
            assert_one_line(to, MAX_SNIPPET_CHARS);
            assert!(!to.contains('?'), "a redirect's query could hold anything: {to:?}");
        }
        other => panic!("an answer read as {other:?}"),
    }
    assert!((300..400).contains(&status) == matches!(error, Error::Redirected { .. }));
    let shown = error.to_string();
    assert!(!shown.contains(['\n', '\r']), "{shown:?}");

    match json {
        Ok(value) => {
            assert!((200..300).contains(&status), "{status} read as a success");
            assert_eq!(serde_json::from_slice::<serde_json::Value>(body).ok(), Some(value));
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.contains(['\n', '\r']), "{shown:?}");
        }
    }
});
