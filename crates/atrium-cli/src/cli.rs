//! The command line, exactly as the issue specifies it (scripts depend on it).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use tb_client::proto::telemetry::AttributeScope;

#[derive(Debug, Parser)]
#[command(
    name = "atrium-cli",
    version,
    about = "Atrium's terminal client for ThingsBoard",
    long_about = "Atrium's terminal client for ThingsBoard admins and scripts.\n\n\
        The password comes from ATRIUM_PASSWORD, else from a prompt on a terminal; never from an argument.\n\
        A two-factor account uses its default method, or ATRIUM_2FA_METHOD (totp, email, sms,\n\
        backup_code); the code comes from ATRIUM_2FA_CODE, else from a prompt.\n\n\
        <device>, <entity>, <place>: a UUID or a unique name.\n\n\
        After `share`, --user EMAIL names the customer user to give access to; sign in with --user\n\
        before the command, or with ATRIUM_USER.",
    after_help = "EXIT: 0 ok; 1 other (also: some items of a share or unshare failed); 2 usage; 3 authentication (bad credentials,\n      \
        session expired, 2FA required); 4 not found or forbidden; 5 device offline or no answer in time;\n      \
        6 network, TLS, or server error (5xx, non-JSON answer, a redirect, an answer too large or a listing that never ends)"
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct Global {
    /// ThingsBoard base URL; http or https, optional sub-path
    #[arg(long, global = true, env = "ATRIUM_URL", value_name = "URL")]
    pub(crate) url: Option<String>,
    /// Username
    #[arg(long, global = true, env = "ATRIUM_USER", value_name = "USER")]
    pub(crate) user: Option<String>,
    /// Also trust this CA (PEM)
    #[arg(long = "ca-cert", global = true, value_name = "FILE")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Run against an in-process emulator with the demo building (no --url/--user)
    #[arg(long, global = true)]
    pub(crate) demo: bool,
    /// Machine-readable output on stdout
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check credentials; print the user
    Login,
    /// The building hierarchy from Contains relations
    Tree {
        /// One line on stderr: "nodes=N devices=N requests=N"
        #[arg(long)]
        stats: bool,
    },
    /// Live latest telemetry over the WebSocket until N updates or S seconds
    Watch {
        /// A UUID or a unique name
        device: String,
        /// Only these keys (comma-separated); all keys when absent
        #[arg(long, value_delimiter = ',', value_name = "k1,k2")]
        keys: Vec<String>,
        /// Stop after N key updates (the first snapshot included)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        count: Option<u64>,
        /// Stop after S seconds
        #[arg(long, value_name = "S", value_parser = parse_seconds)]
        seconds: Option<f64>,
    },
    /// Send a command to a device; two-way prints the device's reply (JSON)
    Rpc {
        /// A UUID or a unique name
        device: String,
        method: String,
        /// The command's parameters, as JSON (default {})
        #[arg(long, value_name = "JSON", value_parser = parse_json)]
        params: Option<serde_json::Value>,
        /// One-way: prints nothing on success
        #[arg(long)]
        oneway: bool,
        /// How long the server waits for the device (the server raises anything under 5000 to 5000)
        #[arg(long = "timeout-ms", value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
        timeout_ms: u64,
    },
    /// Attributes of a device, of one scope or all
    Attrs {
        /// A UUID or a unique name
        device: String,
        #[arg(long, value_name = "CLIENT_SCOPE|SERVER_SCOPE|SHARED_SCOPE", value_parser = parse_scope)]
        scope: Option<AttributeScope>,
    },
    /// Active alarms, of one entity or of everything the user sees
    Alarms {
        /// A UUID or a unique device or asset name
        entity: Option<String>,
    },
    /// Share a place and everything below it with a customer (a tenant administrator's command)
    #[command(
        after_help = "After `share`, --user EMAIL means --customer-user EMAIL: sign in with --user before the command, or with ATRIUM_USER."
    )]
    Share {
        /// A UUID or a unique asset or device name
        place: String,
        /// The customer's exact title
        #[arg(long, value_name = "NAME")]
        customer: String,
        /// Create the customer when the tenant has none with that title
        #[arg(long)]
        create: bool,
        /// The new customer's contact e-mail address (with --create)
        #[arg(long, value_name = "EMAIL", requires = "create")]
        email: Option<String>,
        /// Give access to this person too: a user of the customer, created without mail when
        /// missing; its activation link is printed (also spelled --user after the command)
        #[arg(long = "customer-user", value_name = "EMAIL")]
        customer_user: Option<String>,
        /// Also take what another customer has (it loses access); without it, that is skipped
        #[arg(long = "move-conflicts")]
        move_conflicts: bool,
        /// Print the plan and change nothing
        #[arg(long = "dry-run")]
        dry_run: bool,
    },
    /// Stop sharing a place and everything below it with a customer
    Unshare {
        /// A UUID or a unique asset or device name
        place: String,
        /// The customer's exact title
        #[arg(long, value_name = "NAME")]
        customer: String,
        /// Print the plan and change nothing
        #[arg(long = "dry-run")]
        dry_run: bool,
    },
    /// Who has access to a place: customers with it or something below it, and their users
    Access {
        /// A UUID or a unique asset or device name
        place: String,
    },
}

/// Global options that take a value: their value is not the command.
const GLOBAL_VALUE_OPTIONS: [&str; 3] = ["--url", "--user", "--ca-cert"];

/// The arguments with `share`'s `--user EMAIL` spelled `--customer-user EMAIL`: the documented
/// spelling is `--user`, which is also the global sign-in option, and clap would take one for the other.
/// Only what follows the `share` command is renamed, so `--user` before it still signs in.
pub(crate) fn arguments(args: impl IntoIterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let mut i = 1;
    while i < args.len() {
        let Some(arg) = args[i].to_str() else { return args };
        if arg == "--" {
            return args;
        }
        if arg.starts_with('-') {
            i += if GLOBAL_VALUE_OPTIONS.contains(&arg) { 2 } else { 1 };
            continue;
        }
        if arg != "share" {
            return args;
        }
        for later in &mut args[i + 1..] {
            match later.to_str() {
                Some("--") => break,
                Some("--user") => *later = "--customer-user".into(),
                Some(text) if text.starts_with("--user=") => {
                    *later = format!("--customer-user={}", &text["--user=".len()..]).into();
                }
                _ => {}
            }
        }
        return args;
    }
    args
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(s),
        _ => Err("expected a positive number of seconds".into()),
    }
}

fn parse_json(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))
}

fn parse_scope(text: &str) -> Result<AttributeScope, String> {
    AttributeScope::parse(text).ok_or_else(|| "expected CLIENT_SCOPE, SERVER_SCOPE or SHARED_SCOPE".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_before_or_after_the_command() {
        let cli = Cli::try_parse_from(["atrium-cli", "--demo", "--json", "tree", "--stats"]).unwrap();
        assert!(cli.global.demo && cli.global.json);
        let cli =
            Cli::try_parse_from(["atrium-cli", "rpc", "Lamp", "setState", "--json", "--oneway"]).unwrap();
        assert!(cli.global.json);
        assert!(matches!(cli.command, Command::Rpc { oneway: true, timeout_ms: 10_000, .. }));
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(arguments(args.iter().map(std::ffi::OsString::from)))
    }

    #[test]
    fn after_share_user_names_the_customer_user_and_before_it_signs_in() {
        let cli = parse(&[
            "atrium-cli",
            "--user",
            "admin@x",
            "share",
            "Lobby",
            "--customer",
            "C",
            "--user",
            "new@x",
        ])
        .unwrap();
        assert_eq!(cli.global.user.as_deref(), Some("admin@x"));
        let Command::Share { customer_user, customer, create, .. } = cli.command else { panic!() };
        assert_eq!((customer_user.as_deref(), customer.as_str(), create), (Some("new@x"), "C", false));
        let cli =
            parse(&["atrium-cli", "--url", "u", "share", "L", "--customer=C", "--user=new@x", "--json"])
                .unwrap();
        assert_eq!(cli.global.user, None);
        assert!(cli.global.json);
        assert!(matches!(cli.command, Command::Share { customer_user: Some(u), .. } if u == "new@x"));
        // Only after `share`: elsewhere --user still signs in.
        let cli = parse(&["atrium-cli", "access", "L", "--user", "admin@x"]).unwrap();
        assert_eq!(cli.global.user.as_deref(), Some("admin@x"));
        let cli = parse(&["atrium-cli", "--user", "share", "tree"]).unwrap();
        assert_eq!(cli.global.user.as_deref(), Some("share"), "a user named share is not the command");
        assert!(
            parse(&["atrium-cli", "share", "L", "--customer", "C", "--email", "e@x"]).is_err(),
            "--email needs --create"
        );
        let cli = parse(&["atrium-cli", "unshare", "L", "--customer", "C", "--dry-run"]).unwrap();
        assert!(matches!(cli.command, Command::Unshare { dry_run: true, .. }));
    }

    #[test]
    fn arguments_are_checked() {
        let watch =
            Cli::try_parse_from(["atrium-cli", "watch", "x", "--keys", "a,b", "--seconds", "1.5"]).unwrap();
        match watch.command {
            Command::Watch { keys, seconds, count, .. } => {
                assert_eq!(keys, ["a", "b"]);
                assert_eq!(seconds, Some(1.5));
                assert_eq!(count, None);
            }
            other => panic!("{other:?}"),
        }
        for bad in [
            &["atrium-cli", "watch", "x", "--count", "0"][..],
            &["atrium-cli", "watch", "x", "--seconds", "-1"],
            &["atrium-cli", "rpc", "x", "m", "--params", "{nope"],
            &["atrium-cli", "attrs", "x", "--scope", "WRONG"],
            &["atrium-cli", "login", "--password", "secret"],
        ] {
            let e = Cli::try_parse_from(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad:?}");
        }
        let scope = Cli::try_parse_from(["atrium-cli", "attrs", "x", "--scope", "SHARED_SCOPE"]).unwrap();
        assert!(matches!(scope.command, Command::Attrs { scope: Some(AttributeScope::SharedScope), .. }));
    }
}
