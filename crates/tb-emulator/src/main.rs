//! `tb-emulator`: serve the ThingsBoard emulator on 127.0.0.1 and print the demo accounts.

use clap::Parser;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tb_emulator::{Emulator, EmulatorConfig, Preset};

/// A ThingsBoard-compatible server emulator with a simulated smart building.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Building size: small (~125 devices), large (~4000) or portfolio (~50 buildings, ~50,000).
    #[arg(long, default_value = "small")]
    preset: Preset,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Seed for the building and the simulation.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Do not run the physics simulation.
    #[arg(long)]
    no_simulate: bool,
    /// Simulation tick in milliseconds.
    #[arg(long, default_value_t = 2000)]
    tick_ms: u64,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = 9000)]
    access_ttl: u64,
    /// Serve the fault controls under /emulator/admin.
    #[arg(long)]
    admin_api: bool,
    /// Behave like a server older than 3.6.2: no /api/ws, only /api/ws/plugins/telemetry?token=.
    #[arg(long)]
    legacy_ws_only: bool,
    /// WebSocket sessions per user (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    max_ws_sessions_per_user: u32,
    /// TIMESERIES/ATTRIBUTES subscriptions per WebSocket session (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    max_ws_subscriptions_per_session: u32,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let config = EmulatorConfig {
        preset: args.preset,
        seed: args.seed,
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)),
        access_token_ttl: Duration::from_secs(args.access_ttl),
        simulate: !args.no_simulate,
        tick: Duration::from_millis(args.tick_ms.max(1)),
        admin_api: args.admin_api,
        legacy_ws_only: args.legacy_ws_only,
        max_ws_sessions_per_user: args.max_ws_sessions_per_user,
        max_ws_subscriptions_per_session: args.max_ws_subscriptions_per_session,
        ..EmulatorConfig::demo()
    };
    let emulator = Emulator::start(config).await?;
    println!("ThingsBoard emulator at {}", emulator.base_url());
    println!("Demo users:");
    for user in emulator.users() {
        let customer = user.customer.map(|c| format!(" ({c})")).unwrap_or_default();
        let two_factor = if user.two_factor {
            let backup = user.backup_codes.first().map(|c| format!(", backup code {c}")).unwrap_or_default();
            format!(
                " (2FA: TOTP code {}{backup}; e-mail and SMS codes are printed when sent)",
                tb_emulator::TOTP_CODE
            )
        } else if user.must_set_up_two_factor {
            " (2FA enforced, not set up)".to_owned()
        } else {
            String::new()
        };
        println!(
            "  {:<28} password: {:<10} {}{customer}{two_factor}",
            user.email, user.password, user.authority
        );
    }
    if args.admin_api {
        println!("Fault controls: {}/emulator/admin/...", emulator.base_url());
    }
    if let Some(token) = emulator.device_token("Lobby Light") {
        println!("Device HTTP API: {}/api/v1/{token}/telemetry (\"Lobby Light\")", emulator.base_url());
    }
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    emulator.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse() {
        let args = Args::try_parse_from([
            "tb-emulator",
            "--preset",
            "portfolio",
            "--legacy-ws-only",
            "--max-ws-sessions-per-user",
            "2",
        ])
        .unwrap();
        assert_eq!(args.preset, Preset::Portfolio);
        assert!(args.legacy_ws_only);
        assert_eq!(args.max_ws_sessions_per_user, 2);
        assert_eq!(args.max_ws_subscriptions_per_session, 0);
        assert!(!Args::try_parse_from(["tb-emulator"]).unwrap().legacy_ws_only);
    }
}
