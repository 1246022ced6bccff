//! A string that never shows itself in `Debug` or `Display`, and is wiped when dropped.

use std::fmt;
use zeroize::Zeroizing;

/// A token or password. `Debug`/`Display` print `<redacted>`; read it with [`Secret::expose`].
/// Its bytes are overwritten when it is dropped (`zeroize`, which the compiler cannot elide).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The value itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_its_value() {
        let s = Secret::new("eyJhbGciOiJIUzUxMiJ9.payload.sig");
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "eyJhbGciOiJIUzUxMiJ9.payload.sig");
    }
}
