//! Getting a logged-in client: a real server (URL, user, password) or the in-process demo emulator.

use crate::cli::Global;
use crate::failure::Failure;
use atrium_core::demo::DemoBuilding;
use std::io::IsTerminal;
use tb_client::{Client, Principal, Secret};

/// A logged-in client; with `--demo` it also owns the emulator, which serves until this is dropped.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) client: Client,
    pub(crate) principal: Principal,
    _demo: Option<DemoBuilding>,
}

/// Where to log in, checked before anything is sent.
enum Target {
    Demo,
    Server { url: String, user: String, ca_pem: Option<Vec<u8>> },
}

fn target(global: &Global) -> Result<Target, Failure> {
    if global.demo {
        return Ok(Target::Demo);
    }
    let url = global.url.clone().filter(|u| !u.trim().is_empty());
    let user = global.user.clone().filter(|u| !u.trim().is_empty());
    let (url, user) = match (url, user) {
        (Some(url), Some(user)) => (url, user),
        (None, _) => {
            return Err(Failure::usage("--url is required (or set ATRIUM_URL), unless --demo is given"))
        }
        (_, None) => {
            return Err(Failure::usage("--user is required (or set ATRIUM_USER), unless --demo is given"))
        }
    };
    let ca_pem = match &global.ca_cert {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            Failure::usage(format!("cannot read the CA certificate {}: {e}", path.display()))
        })?),
        None => None,
    };
    Ok(Target::Server { url, user, ca_pem })
}

/// The password: `ATRIUM_PASSWORD`, else a prompt with echo off when stdin is a terminal.
fn password(user: &str) -> Result<Secret, Failure> {
    if let Some(password) = std::env::var_os("ATRIUM_PASSWORD") {
        return password
            .into_string()
            .map(Secret::new)
            .map_err(|_| Failure::usage("ATRIUM_PASSWORD is not valid UTF-8"));
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage("no password: set ATRIUM_PASSWORD or run on a terminal"));
    }
    rpassword::prompt_password(format!("Password for {user}: "))
        .map(Secret::new)
        .map_err(|e| Failure::usage(format!("cannot read the password from the terminal: {e}")))
}

/// Completes a two-factor sign-in: the method from `ATRIUM_2FA_METHOD` (`totp`, `email`, `sms`,
/// `backup_code`) or the account's default; an e-mail or SMS code is sent first; the code from
/// `ATRIUM_2FA_CODE`, else a prompt on a terminal.
async fn second_factor(client: &Client) -> anyhow::Result<Principal> {
    use tb_client::proto::auth::TwoFaProviderType as Kind;
    let providers = client.two_factor_providers().await?;
    let wanted =
        match std::env::var("ATRIUM_2FA_METHOD").ok().as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => None,
            Some("totp") => Some(Kind::Totp),
            Some("email") => Some(Kind::Email),
            Some("sms") => Some(Kind::Sms),
            Some("backup_code") => Some(Kind::BackupCode),
            Some(other) => {
                return Err(Failure::usage(format!(
                    "ATRIUM_2FA_METHOD {other:?} is not one of totp, email, sms, backup_code"
                ))
                .into())
            }
        };
    let provider = match wanted {
        Some(kind) => providers.iter().find(|p| p.provider_type == kind).ok_or_else(|| {
            Failure::usage(format!("this account has no {} second factor set up", kind.as_str()))
        })?,
        None => providers
            .iter()
            .find(|p| p.is_default)
            .or(providers.first())
            .ok_or_else(|| Failure::usage("this account has no second factor Atrium knows".to_owned()))?,
    };
    let kind = provider.provider_type;
    if kind.is_sent() {
        client.send_two_factor_code(kind).await?;
        let to = provider.contact.as_deref().unwrap_or("you");
        eprintln!("A verification code was sent to {to}.");
    }
    let code = match std::env::var("ATRIUM_2FA_CODE") {
        Ok(code) => code,
        Err(_) if std::io::stdin().is_terminal() => {
            rpassword::prompt_password(format!("Verification code ({}): ", kind.as_str()))
                .map_err(|e| Failure::usage(format!("cannot read the code from the terminal: {e}")))?
        }
        Err(_) => {
            return Err(Failure::usage(
                "two-factor sign-in needs a code: set ATRIUM_2FA_CODE or run on a terminal",
            )
            .into())
        }
    };
    Ok(client.verify_two_factor(kind, &code).await?)
}

/// Checks the arguments, then logs in.
pub(crate) async fn open(global: &Global) -> anyhow::Result<Session> {
    match target(global)? {
        Target::Demo => open_demo().await,
        Target::Server { url, user, ca_pem } => {
            let mut builder = Client::builder(url);
            if let Some(pem) = ca_pem {
                builder = builder.ca_certificate_pem(pem);
            }
            let client = builder.build()?;
            let password = password(&user)?;
            let principal = match client.login(&user, &password).await {
                Err(tb_client::Error::TwoFactorRequired) => second_factor(&client).await?,
                other => other?,
            };
            Ok(Session { client, principal, _demo: None })
        }
    }
}

async fn open_demo() -> anyhow::Result<Session> {
    let demo = DemoBuilding::open().await?;
    let client = demo.client().clone();
    let principal = demo.principal().clone();
    Ok(Session { client, principal, _demo: Some(demo) })
}
