//! The ThingsBoard base URL a person types: http(s), optional sub-path behind a reverse proxy.

use crate::error::Error;
use url::Url;

/// A validated base URL, always ending in `/` so relative joins keep any sub-path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl(Url);

impl ServerUrl {
    /// Accepts `https://tb.example.com`, `http://10.0.0.5:8080/`, `https://example.com/thingsboard`.
    /// A missing scheme is an error rather than a guess, so a typo never sends a password over plain http.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Error::InvalidUrl("the server URL is empty".into()));
        }
        let mut url = Url::parse(trimmed).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => Error::InvalidUrl(format!(
                "'{trimmed}' has no scheme: start it with https:// (or http:// for a server without TLS)"
            )),
            other => Error::InvalidUrl(format!("'{trimmed}' is not a valid URL: {other}")),
        })?;
        match url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(Error::InvalidUrl(format!(
                    "'{other}' URLs are not supported: use https:// or http://"
                )))
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::InvalidUrl(format!("'{trimmed}' has no host name")));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::InvalidUrl(format!("'{trimmed}' must not have a query or fragment")));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::InvalidUrl(
                "put the username and password in the login form, not in the URL".into(),
            ));
        }
        let path = url.path().trim_end_matches('/').to_owned();
        // A pasted UI or API link still means the server root.
        let path = ["/api", "/login", "/home"]
            .iter()
            .find_map(|suffix| path.strip_suffix(suffix))
            .unwrap_or(&path)
            .to_owned();
        url.set_path(&format!("{path}/"));
        Ok(Self(url))
    }

    /// `api/auth/login` -> `<base>/api/auth/login`.
    pub fn join(&self, relative: &str) -> Url {
        self.0.join(relative.trim_start_matches('/')).expect("a relative path always joins")
    }

    /// The WebSocket URL for a relative path: `ws` for `http`, `wss` for `https`.
    pub fn ws(&self, relative: &str) -> Url {
        let mut url = self.join(relative);
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme).expect("ws and wss are valid schemes");
        url
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The URL as a person would write it (no trailing slash).
    pub fn display(&self) -> String {
        self.0.as_str().trim_end_matches('/').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_trailing_slash_and_sub_path() {
        for (input, login) in [
            ("https://tb.example.com", "https://tb.example.com/api/auth/login"),
            ("https://tb.example.com/", "https://tb.example.com/api/auth/login"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/auth/login"),
            ("https://example.com/thingsboard", "https://example.com/thingsboard/api/auth/login"),
            ("https://example.com/thingsboard/", "https://example.com/thingsboard/api/auth/login"),
            ("  https://tb.example.com/api/ ", "https://tb.example.com/api/auth/login"),
        ] {
            let url = ServerUrl::parse(input).unwrap();
            assert_eq!(url.join("api/auth/login").as_str(), login, "{input}");
        }
    }

    #[test]
    fn ws_scheme_follows_http_scheme() {
        assert_eq!(
            ServerUrl::parse("https://a.example/tb").unwrap().ws("api/ws").as_str(),
            "wss://a.example/tb/api/ws"
        );
        assert_eq!(
            ServerUrl::parse("http://a.example").unwrap().ws("/api/ws").as_str(),
            "ws://a.example/api/ws"
        );
    }

    #[test]
    fn rejects_what_is_not_a_server_url() {
        for input in [
            "",
            "tb.example.com",
            "ftp://tb.example.com",
            "https://u:p@tb.example.com",
            "https://x/?a=1",
            "http://",
        ] {
            assert!(matches!(ServerUrl::parse(input), Err(Error::InvalidUrl(_))), "{input}");
        }
    }
}
