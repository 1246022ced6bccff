//! JWT claims: no token text and no claims (absurd `iat`/`exp` included) make the session's token
//! reading panic, and what it reads keeps the refresh timing sane.
//! Input: this machine's clock (epoch seconds) on the first line, then either a token or the
//! JSON claims of one (both are tried, the claims inside a well-formed token).

#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (clock, rest) = text.split_once('\n').unwrap_or(("0", &text));
    let wall_now_secs = clock.trim().parse::<i64>().unwrap_or(0);
    tb_client::fuzzing::jwt(rest, wall_now_secs);
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512"}"#);
    let token = format!("{header}.{}.signature", URL_SAFE_NO_PAD.encode(rest.as_bytes()));
    tb_client::fuzzing::jwt(&token, wall_now_secs);
});
