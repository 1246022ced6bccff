//! What may be logged. `ATRIUM_LOG` chooses the detail (`info`, `atrium_core=debug`, `trace`), but
//! some libraries print what they send at their finest levels: tungstenite the upgrade request
//! (whose URL carries the token on the legacy endpoint) and every frame (the `authCmd` holds the
//! token). Their levels are capped, whatever was asked, so no setting puts a secret in a log.

/// Crates whose debug and trace output can hold a token, a password or a header value.
const CAPPED: &[&str] =
    &["tungstenite", "tokio_tungstenite", "hyper", "hyper_util", "reqwest", "rustls", "h2"];

/// The filter directives for `requested` (the `ATRIUM_LOG` value; `info` when unset or empty): its
/// own directives, minus any for a capped crate, plus `info` for each of those.
pub fn log_filter(requested: Option<&str>) -> String {
    let requested = requested.map(str::trim).filter(|r| !r.is_empty()).unwrap_or("info");
    let capped = |directive: &str| {
        let target = directive.split(['=', '[']).next().unwrap_or_default().trim();
        CAPPED.iter().any(|c| target == *c || target.starts_with(&format!("{c}::")))
    };
    let mut directives: Vec<String> = requested
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty() && !capped(d))
        .map(str::to_owned)
        .collect();
    directives.extend(CAPPED.iter().map(|c| format!("{c}=info")));
    directives.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_everywhere_still_caps_the_libraries_that_print_secrets() {
        let filter =
            log_filter(Some("trace,tungstenite=trace,tokio_tungstenite::client=trace,atrium_core=debug"));
        assert!(filter.starts_with("trace,atrium_core=debug,"), "{filter}");
        assert!(!filter.contains("=trace"), "{filter}");
        for c in CAPPED {
            assert!(filter.contains(&format!("{c}=info")), "{filter}");
        }
        assert!(log_filter(None).starts_with("info,tungstenite=info"));
        assert_eq!(log_filter(Some("  ")), log_filter(None));
    }
}
