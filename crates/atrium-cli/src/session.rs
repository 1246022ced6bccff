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
            let principal = client.login(&user, &password).await?;
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
