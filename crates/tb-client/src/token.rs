//! Reading a ThingsBoard JWT's claims (no signature check: that is the server's job) and
//! deciding when to refresh, in local monotonic time so clock skew does not matter.

use crate::error::Error;
use crate::secret::Secret;
use base64::Engine;
use std::time::Duration;
use tb_proto::auth::JwtClaims;
use tokio::time::Instant;

/// Decodes the payload of `header.payload.signature`.
pub fn decode_claims(token: &str) -> Result<JwtClaims, Error> {
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| Error::Transport("the server sent a token that is not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| Error::Transport("the server sent a token whose payload is not base64url".into()))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Transport(format!("the server sent a token with unreadable claims: {e}")))
}

/// `exp - iat`, unless the claims make no sense (zero, negative, or overflowing): a token that
/// cannot be timed would be refreshed at every use.
fn lifetime_of(claims: &JwtClaims) -> Option<Duration> {
    claims
        .exp
        .checked_sub(claims.iat)
        .and_then(|secs| u64::try_from(secs).ok())
        .filter(|secs| *secs > 0)
        .map(Duration::from_secs)
}

/// A token with the local instant at which it should be replaced.
#[derive(Debug, Clone)]
pub(crate) struct TimedToken {
    pub(crate) value: Secret,
    /// Local instant of expiry: receipt time + (exp - iat). Both claims are server time, so
    /// the difference is immune to clock skew between this machine and the server.
    pub(crate) expires_at: Instant,
    pub(crate) lifetime: Duration,
}

impl TimedToken {
    pub(crate) fn new(value: String, received_at: Instant) -> Result<(Self, JwtClaims), Error> {
        let claims = decode_claims(&value)?;
        let lifetime = lifetime_of(&claims).ok_or_else(|| {
            Error::Transport("the server sent a token whose lifetime cannot be read".into())
        })?;
        let expires_at = received_at
            .checked_add(lifetime)
            .ok_or_else(|| Error::Transport("the server sent a token with an absurd lifetime".into()))?;
        Ok((Self { value: Secret::new(value), expires_at, lifetime }, claims))
    }

    /// A token kept from an earlier run (a stored refresh token): no receipt time is known, so
    /// its remaining life is `exp` against this machine's clock, `wall_now_secs`.
    pub(crate) fn restored(
        value: Secret,
        now: Instant,
        wall_now_secs: i64,
    ) -> Result<(Self, JwtClaims), Error> {
        let claims = decode_claims(value.expose())?;
        let remaining = claims.exp.saturating_sub(wall_now_secs).max(0);
        let remaining = Duration::from_secs(u64::try_from(remaining).unwrap_or(0));
        let lifetime = lifetime_of(&claims).unwrap_or(remaining);
        let expires_at = now
            .checked_add(remaining)
            .ok_or_else(|| Error::Transport("the stored token has an absurd lifetime".into()))?;
        Ok((Self { value, expires_at, lifetime }, claims))
    }

    /// Refresh this long before expiry: 10% of the lifetime, between 5 s and 5 min, and never
    /// more than half of it, so a short-lived token is not refreshed again at every use.
    pub(crate) fn margin(&self) -> Duration {
        (self.lifetime / 10).clamp(Duration::from_secs(5), Duration::from_secs(300)).min(self.lifetime / 2)
    }

    /// True once we are inside the refresh margin.
    pub(crate) fn needs_refresh(&self, now: Instant) -> bool {
        now + self.margin() >= self.expires_at
    }

    pub(crate) fn is_expired(&self, now: Instant) -> bool {
        now >= self.expires_at
    }
}

#[cfg(test)]
pub(crate) fn fake_jwt(iat: i64, exp: i64) -> String {
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512"}"#);
    let body = serde_json::json!({"sub": "a@b.c", "scopes": ["TENANT_ADMIN"], "iat": iat, "exp": exp});
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body.to_string());
    format!("{header}.{body}.sig")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn lifetime_comes_from_the_claims_not_the_local_clock() {
        // iat far in the "future" relative to this machine: skew must not matter.
        let (token, claims) =
            TimedToken::new(fake_jwt(4_000_000_000, 4_000_009_000), Instant::now()).unwrap();
        assert_eq!(claims.sub, "a@b.c");
        assert_eq!(token.lifetime, Duration::from_secs(9000));
        assert_eq!(token.margin(), Duration::from_secs(300));
        assert!(!token.needs_refresh(Instant::now()));
        tokio::time::advance(Duration::from_secs(8700)).await;
        assert!(token.needs_refresh(Instant::now()));
        assert!(!token.is_expired(Instant::now()));
        tokio::time::advance(Duration::from_secs(300)).await;
        assert!(token.is_expired(Instant::now()));
    }

    #[test]
    fn short_tokens_keep_a_minimum_margin_of_at_most_half_their_life() {
        let (token, _) = TimedToken::new(fake_jwt(0, 20), Instant::now()).unwrap();
        assert_eq!(token.margin(), Duration::from_secs(5));
        let (short, _) = TimedToken::new(fake_jwt(0, 4), Instant::now()).unwrap();
        assert_eq!(short.margin(), Duration::from_secs(2));
        assert!(!short.needs_refresh(Instant::now()), "a fresh 4 s token is used, not refreshed at once");
    }

    #[test]
    fn absurd_claims_are_an_error_not_a_panic() {
        for (iat, exp) in [(i64::MIN, i64::MAX), (10, 5), (0, i64::MAX), (5, 5)] {
            assert!(TimedToken::new(fake_jwt(iat, exp), Instant::now()).is_err(), "{iat} {exp}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_restored_token_lives_until_its_exp_by_the_wall_clock() {
        let (token, _) =
            TimedToken::restored(Secret::new(fake_jwt(1_000, 700_000)), Instant::now(), 600_000).unwrap();
        assert!(!token.is_expired(Instant::now()));
        tokio::time::advance(Duration::from_secs(100_000)).await;
        assert!(token.is_expired(Instant::now()));
        let (dead, _) =
            TimedToken::restored(Secret::new(fake_jwt(1_000, 2_000)), Instant::now(), 600_000).unwrap();
        assert!(dead.is_expired(Instant::now()));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode_claims("not-a-jwt").is_err());
        assert!(decode_claims("a.!!!.c").is_err());
    }
}
