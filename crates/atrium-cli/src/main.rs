//! `atrium-cli`: Atrium's terminal client for ThingsBoard admins and scripts, on the same core as the app.
//!
//! ```text
//! atrium-cli [GLOBAL] <command> [args]
//! GLOBAL   --url URL (ATRIUM_URL)  --user USER (ATRIUM_USER)  --ca-cert FILE  --demo  --json
//!          password: ATRIUM_PASSWORD, else a prompt on a terminal; never an argument;
//!          two-factor: ATRIUM_2FA_METHOD (default: the account's), ATRIUM_2FA_CODE or a prompt
//! COMMANDS login | tree [--stats] | watch <device> [--keys k1,k2] [--count N] [--seconds S]
//!          | rpc <device> <method> [--params JSON] [--oneway] [--timeout-ms N]
//!          | attrs <device> [--scope SCOPE] | alarms [<entity>]
//!          | share <place> --customer NAME [--create [--email EMAIL]] [--user EMAIL] [--move-conflicts] [--dry-run]
//!          | unshare <place> --customer NAME [--dry-run] | access <place>
//! EXIT     0 ok; 1 other (also: items of a share or unshare failed); 2 usage; 3 authentication;
//!          4 not found or forbidden; 5 device offline or no answer in time; 6 network, TLS, or server error
//! ```
//!
//! Scripts depend on this interface: flags, JSON shapes and exit codes are a contract. Errors are
//! one human line on stderr (the same messages as the app's, from `atrium_core::to_app_error`),
//! never with a token or password in them.

mod cli;
mod commands;
mod failure;
mod output;
mod resolve;
mod session;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(cli::arguments(std::env::args_os())) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: on stdout, exit 0.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => return report(&failure::Failure::usage(usage_line(&e))),
    };
    // Quiet unless asked: stdout is for results, stderr for one line of error.
    if let Ok(requested) = std::env::var("ATRIUM_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(atrium_core::log_filter(Some(&requested))))
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return report(&failure::Failure::new(failure::OTHER, format!("cannot start: {e}"))),
    };
    let result = runtime.block_on(run(cli));
    // Background tasks (the live connection, the demo server) end with the runtime, without waiting.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<output::StdoutClosed>() => ExitCode::SUCCESS,
        Err(e) => report(&failure::classify(&e)),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.global.json;
    let session = session::open(&cli.global).await?;
    match cli.command {
        Command::Login => commands::login::run(&session, json),
        Command::Tree { stats } => commands::tree::run(&session, json, stats).await,
        Command::Watch { device, keys, count, seconds } => {
            let args = commands::watch::WatchArgs { device: &device, keys, count, seconds };
            commands::watch::run(&session, json, args).await
        }
        Command::Rpc { device, method, params, oneway, timeout_ms } => {
            commands::rpc::run(&session, json, &device, &method, params, oneway, timeout_ms).await
        }
        Command::Attrs { device, scope } => commands::attrs::run(&session, json, &device, scope).await,
        Command::Alarms { entity } => commands::alarms::run(&session, json, entity.as_deref()).await,
        Command::Share { place, customer, create, email, customer_user, move_conflicts, dry_run } => {
            let args = commands::share::ShareArgs {
                place: &place,
                customer,
                create,
                email,
                user: customer_user,
                move_conflicts,
                dry_run,
            };
            commands::share::run(&session, json, args).await
        }
        Command::Unshare { place, customer, dry_run } => {
            commands::unshare::run(&session, json, &place, customer, dry_run).await
        }
        Command::Access { place } => commands::access::run(&session, json, &place).await,
    }
}

/// Clap's first line ("error: ..."), without the prefix, pointing at --help.
fn usage_line(e: &clap::Error) -> String {
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return "a command is required: login, tree, watch, rpc, attrs, alarms, share, unshare or access (see atrium-cli --help)"
            .into();
    }
    let rendered = e.render().to_string();
    let first = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
    let first = first.trim().strip_prefix("error:").unwrap_or(first).trim();
    format!("{first} (see atrium-cli --help)")
}

fn report(failure: &failure::Failure) -> ExitCode {
    eprintln!("atrium-cli: {}", failure.message);
    ExitCode::from(failure.code)
}
