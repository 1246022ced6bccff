//! The built `atrium-cli` binary against an emulator started in the test process: the `--json`
//! shapes and exit codes scripts depend on, and no secret on stderr.

use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Output;
use tb_emulator::{Emulator, EmulatorConfig};

const USER: &str = "tenant@thingsboard.org";
const PASSWORD: &str = "tenant";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// Runs the binary with `args` (nothing inherited from this environment), password `password`.
async fn run(args: &[&str], password: Option<&str>) -> Run {
    run_with(args, password, &[]).await
}

/// [`run`] with more environment variables.
async fn run_with(args: &[&str], password: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_atrium-cli"));
    command.args(args).env_remove("ATRIUM_URL").env_remove("ATRIUM_USER").env_remove("ATRIUM_PASSWORD");
    command.env_remove("ATRIUM_2FA_METHOD").env_remove("ATRIUM_2FA_CODE");
    if let Some(password) = password {
        command.env("ATRIUM_PASSWORD", password);
    }
    command.envs(env.iter().copied());
    let output: Output = tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("the runner thread");
    let run = Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    };
    assert!(!run.stderr.contains("eyJ"), "a token on stderr: {}", run.stderr);
    if run.code != 0 {
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "one line on stderr: {:?}", run.stderr);
    }
    run
}

/// `--url U --user tenant@... <args>` with the right password.
async fn as_tenant(emulator: &Emulator, args: &[&str]) -> Run {
    let url = emulator.base_url();
    let mut all = vec!["--url", url.as_str(), "--user", USER];
    all.extend_from_slice(args);
    run(&all, Some(PASSWORD)).await
}

fn keys(object: &Value) -> BTreeSet<&str> {
    object.as_object().expect("an object").keys().map(String::as_str).collect()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::for_tests()).await.expect("emulator starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_factor_account_signs_in_with_a_code_from_the_environment() {
    let emulator = emulator().await;
    let url = emulator.base_url();
    let args = ["--url", url.as_str(), "--user", "twofa@thingsboard.org", "--json", "login"];
    let ok = run_with(&args, Some("twofa"), &[("ATRIUM_2FA_CODE", tb_emulator::TOTP_CODE)]).await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(ok.json()["email"], "twofa@thingsboard.org");
    let wrong = run_with(&args, Some("twofa"), &[("ATRIUM_2FA_CODE", "000000")]).await;
    assert_eq!(wrong.code, 3, "a wrong code is an authentication failure: {}", wrong.stderr);
    let none = run_with(&args, Some("twofa"), &[]).await;
    assert_eq!(none.code, 2, "no code and no terminal is a usage error: {}", none.stderr);
    assert!(none.stderr.contains("ATRIUM_2FA_CODE"), "{}", none.stderr);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_prints_the_user() {
    let emulator = emulator().await;
    let r = as_tenant(&emulator, &["--json", "login"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let user = r.json();
    assert_eq!(keys(&user), set(&["email", "authority", "tenantId", "customerId"]));
    assert_eq!(user["email"], USER);
    assert_eq!(user["authority"], "TENANT_ADMIN");
    assert!(user["tenantId"].is_string());
    assert!(user["customerId"].is_null());

    // Global flags after the command work too; the text form names the user.
    let r = as_tenant(&emulator, &["login", "--json"]).await;
    assert_eq!(r.json()["email"], USER);
    let r = as_tenant(&emulator, &["login"]).await;
    assert!(r.stdout.contains(USER), "{}", r.stdout);
}

fn check_node(node: &Value, devices: &mut BTreeSet<String>) {
    assert_eq!(keys(node), set(&["id", "entityType", "name", "kind", "type", "children"]), "{node}");
    let kind = node["kind"].as_str().unwrap();
    match node["entityType"].as_str().unwrap() {
        "DEVICE" => {
            assert_eq!(kind, "device");
            devices.insert(node["id"].as_str().unwrap().to_owned());
        }
        "ASSET" => assert_ne!(kind, "device"),
        other => panic!("unexpected entity type {other}"),
    }
    for child in node["children"].as_array().unwrap() {
        check_node(child, devices);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tree_json_shape_and_stats() {
    let emulator = emulator().await;
    let r = as_tenant(&emulator, &["--json", "tree", "--stats"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let roots = r.json();
    let roots = roots.as_array().expect("an array of root nodes");
    assert!(!roots.is_empty());
    let mut devices = BTreeSet::new();
    for root in roots {
        check_node(root, &mut devices);
    }
    let lobby_light = emulator.device_id("Lobby Light").unwrap().to_string();
    assert!(devices.contains(&lobby_light));

    let stats = r.stderr.trim();
    let numbers: Vec<u64> = stats
        .split(' ')
        .zip(["nodes=", "devices=", "requests="])
        .map(|(field, name)| field.strip_prefix(name).unwrap_or_else(|| panic!("{stats}")).parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 3, "{stats}");
    assert_eq!(numbers[1], devices.len() as u64, "{stats}");
    assert!(numbers[0] > numbers[1] && numbers[2] > 0, "{stats}");

    let r = as_tenant(&emulator, &["tree"]).await;
    assert!(
        r.stdout.lines().any(|l| l.starts_with("    ") && l.trim() == "Lobby Light [device] (light)"),
        "{}",
        r.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attrs_json_lists_key_value_time_and_scope() {
    let emulator = emulator().await;
    let r = as_tenant(&emulator, &["--json", "attrs", "Lobby Light"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let all = r.json();
    let all = all.as_array().unwrap();
    assert!(!all.is_empty());
    for attribute in all {
        assert_eq!(keys(attribute), set(&["key", "value", "lastUpdateTs", "scope"]));
        assert!(attribute["lastUpdateTs"].is_i64());
        assert!(
            ["CLIENT_SCOPE", "SERVER_SCOPE", "SHARED_SCOPE"].contains(&attribute["scope"].as_str().unwrap())
        );
    }
    let id = emulator.device_id("Lobby Light").unwrap().to_string();
    let r = as_tenant(&emulator, &["--json", "attrs", &id, "--scope", "SERVER_SCOPE"]).await;
    let server = r.json();
    let server = server.as_array().unwrap();
    assert!(!server.is_empty() && server.iter().all(|a| a["scope"] == "SERVER_SCOPE"));
    assert!(server.iter().any(|a| a["key"] == "active" && a["value"].is_boolean()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_two_way_prints_the_reply_and_one_way_prints_nothing() {
    let emulator = emulator().await;
    let r = as_tenant(
        &emulator,
        &["rpc", "Lobby Light", "setState", "--params", r#"{"state":false}"#, "--oneway"],
    )
    .await;
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    let r = as_tenant(&emulator, &["--json", "rpc", "Lobby Light", "getState"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json(), serde_json::json!({"state": false}));
    assert_eq!(r.stdout.lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_one_json_line_per_key_update() {
    let emulator = emulator().await;
    let id = emulator.device_id("Lobby Light").unwrap().to_string();
    let r =
        as_tenant(&emulator, &["--json", "watch", "Lobby Light", "--count", "2", "--seconds", "30"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<Value> = r.stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    for line in &lines {
        assert_eq!(keys(line), set(&["entityId", "key", "ts", "value"]));
        assert_eq!(line["entityId"], id.as_str());
        assert!(line["ts"].is_i64());
        assert!(line["value"].is_number() || line["value"].is_boolean(), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes() {
    let emulator = emulator().await;
    let url = emulator.base_url();

    // 3: bad credentials, and the password never shows.
    let wrong = "hunter2-not-the-password";
    let r = run(&["--url", &url, "--user", USER, "login"], Some(wrong)).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(!r.stderr.contains(wrong) && !r.stdout.contains(wrong));

    // 4: no such device, by name and by id.
    let r = as_tenant(&emulator, &["attrs", "No Such Device"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("no device named No Such Device"), "{}", r.stderr);
    let r = as_tenant(&emulator, &["attrs", "00000000-0000-4000-8000-000000000001"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);

    // 6: nothing listens on the port.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let r =
        run(&["--url", &format!("http://127.0.0.1:{closed}"), "--user", USER, "login"], Some(PASSWORD)).await;
    assert_eq!(r.code, 6, "{}", r.stderr);

    // 2: usage.
    let r = run(&["--user", USER, "login"], Some(PASSWORD)).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--url"), "{}", r.stderr);
    let r = run(&["--url", &url, "--user", USER, "login"], None).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ATRIUM_PASSWORD"), "{}", r.stderr);
    let r = run(&["--url", &url, "--user", USER, "login", "--password", PASSWORD], None).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(&[], None).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(&["--help"], None).await;
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("watch") && r.stderr.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_device_exits_5() {
    let emulator = emulator().await;
    let light = emulator.device_id("Lobby Light").unwrap();
    assert!(emulator.faults().set_device_online(light, false));
    let r = as_tenant(&emulator, &["rpc", "Lobby Light", "getState", "--timeout-ms", "5000"]).await;
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("offline"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarms_json_lists_active_alarms() {
    let emulator = emulator().await;
    let light = emulator.device_id("Lobby Light").unwrap();
    emulator.faults().set_device_online(light, false);
    let r = as_tenant(&emulator, &["--json", "alarms", "Lobby Light"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let alarms = r.json();
    let alarms = alarms.as_array().unwrap();
    assert!(!alarms.is_empty(), "{}", r.stdout);
    for alarm in alarms {
        assert_eq!(keys(alarm), set(&["id", "type", "severity", "status", "originatorName", "startTs"]));
        assert_eq!(alarm["originatorName"], "Lobby Light");
        assert!(alarm["status"].as_str().unwrap().starts_with("ACTIVE"));
    }
    let r = as_tenant(&emulator, &["--json", "alarms"]).await;
    let everything = r.json();
    let everything = everything.as_array().unwrap();
    assert!(everything.len() >= alarms.len());
    assert!(everything.iter().any(|a| a["originatorName"] == "Lobby Light"));
    let r = as_tenant(&emulator, &["alarms", "Nowhere"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_keeps_going_across_a_dropped_socket_and_an_expired_token() {
    use std::io::BufRead;
    let emulator = emulator().await;
    let light = emulator.device_id("Lobby Light").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_atrium-cli"))
        .args(["--url", &emulator.base_url(), "--user", USER, "--json", "watch", "Lobby Light"])
        .args(["--keys", "brightness,state", "--seconds", "60"])
        .env_remove("ATRIUM_URL")
        .env_remove("ATRIUM_USER")
        .env("ATRIUM_PASSWORD", PASSWORD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary runs");
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(serde_json::from_str(&line).expect("a JSON line")).is_err() {
                break;
            }
        }
    });
    let mut next = async || lines.recv().await.expect("watch is still printing");

    // The first snapshot: both keys.
    let first = [next().await, next().await];
    assert_eq!(keys(&first[0]), set(&["entityId", "key", "ts", "value"]));
    let snapshot_keys: BTreeSet<&str> = first.iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(snapshot_keys, set(&["brightness", "state"]));

    // Nothing changes on the device, so the next line can only be the snapshot of a new subscription
    // on a new connection, authenticated with a refreshed token.
    emulator.faults().expire_access_tokens();
    emulator.faults().drop_websockets();
    let resubscribed = next().await;
    assert!(resubscribed["key"] == "brightness" || resubscribed["key"] == "state", "{resubscribed}");

    emulator.publish_telemetry(light, serde_json::json!({"brightness": 17}));
    loop {
        let line = next().await;
        if line["key"] == "brightness" && line["value"] == 17.0 {
            break;
        }
    }
    child.kill().expect("the watch ends");
    child.wait().expect("the watch is reaped");
    reader.join().expect("the reader ends");
}

/// Requests that change who has what: assign, unassign, new customers and users.
fn sharing_writes(emulator: &Emulator) -> u64 {
    emulator
        .faults()
        .counters()
        .requests_by_route
        .iter()
        .filter(|(route, _)| {
            ["POST /api/customer", "DELETE /api/customer", "POST /api/user"]
                .iter()
                .any(|w| route.starts_with(w))
        })
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_dry_run_prints_the_plan_and_changes_nothing() {
    let emulator = emulator().await;
    let lobby = emulator.asset_id("Lobby").unwrap();
    let customer_a = emulator.customer_id("Customer A").unwrap();
    emulator.faults().reset_counters();
    let r =
        as_tenant(&emulator, &["--json", "share", "Lobby", "--customer", "Customer B", "--dry-run"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.json();
    assert_eq!(keys(&out), set(&["dryRun", "plan", "summary"]));
    assert_eq!(out["dryRun"], true);
    assert!(out["summary"].is_null());
    let plan = &out["plan"];
    assert_eq!(plan["place"]["name"], "Lobby");
    assert_eq!(plan["customer"]["title"], "Customer B");
    let conflicts = plan["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 6, "the lobby and its five devices are Customer A's");
    assert!(conflicts.iter().all(|c| c["customerTitle"] == "Customer A"));
    assert_eq!(sharing_writes(&emulator), 0, "a dry run sends no change");
    assert_eq!(emulator.owner(lobby), Some(customer_a));

    let r = as_tenant(&emulator, &["share", "Lobby", "--customer", "Customer B", "--dry-run"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("another customer's: 6"), "{}", r.stdout);
    assert!(r.stdout.contains("Lobby Light [device]: Customer A"), "{}", r.stdout);
    assert!(r.stdout.trim_end().ends_with("dry run: nothing was changed"), "{}", r.stdout);
    assert_eq!(sharing_writes(&emulator), 0);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_with_a_new_customer_and_user_then_a_rerun_does_nothing_more() {
    let emulator = emulator().await;
    let url = emulator.base_url();
    let args = [
        "--url",
        url.as_str(),
        "--user",
        USER,
        "--json",
        "share",
        "Room 2.05",
        "--customer",
        "Flat 2.05",
        "--create",
        "--email",
        "flat@example.com",
        "--user",
        "alice@example.com",
        "--move-conflicts",
    ];
    let r = run(&args, Some(PASSWORD)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.json();
    let summary = &out["summary"];
    assert_eq!(out["dryRun"], false);
    assert_eq!(summary["customerCreated"], true);
    assert_eq!(summary["customer"]["email"], "flat@example.com");
    let moved = summary["moved"].as_array().unwrap().len();
    assert!(moved >= 3, "the room and its devices moved from Customer A: {summary}");
    assert_eq!(summary["failed"].as_array().unwrap().len(), 0);
    let user = &summary["user"];
    assert_eq!((user["email"].as_str(), user["created"].as_bool()), (Some("alice@example.com"), Some(true)));
    let link = user["activationLink"].as_str().expect("a link to hand over");
    assert!(link.starts_with(&format!("{url}/api/noauth/activate?activateToken=")), "{link}");
    let flat = emulator.customer_id("Flat 2.05").expect("created");
    assert_eq!(emulator.owner(emulator.asset_id("Room 2.05").unwrap()), Some(flat));

    emulator.faults().reset_counters();
    let again = run(&args, Some(PASSWORD)).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    let summary = &again.json()["summary"];
    assert_eq!(summary["already"].as_array().unwrap().len(), moved);
    assert_eq!(summary["customerCreated"], false);
    assert_eq!(summary["user"]["created"], false);
    assert_eq!(summary["user"]["activationLink"].as_str(), Some(link));
    assert_eq!(sharing_writes(&emulator), 0, "a re-run only finds everything done");

    // The text form names what it did and prints the link for the person.
    let r = as_tenant(
        &emulator,
        &["share", "Room 2.05", "--customer", "Flat 2.05", "--user", "alice@example.com"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("0 assigned, 0 moved, 0 skipped"), "{}", r.stdout);
    assert!(r.stdout.contains(link), "{}", r.stdout);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_move_conflicts_another_customers_things_stay_theirs() {
    let emulator = emulator().await;
    let customer_a = emulator.customer_id("Customer A").unwrap();
    let r = as_tenant(&emulator, &["--json", "share", "Lobby", "--customer", "Customer B"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let summary = &r.json()["summary"];
    assert_eq!(summary["skipped"].as_array().unwrap().len(), 6);
    assert_eq!(summary["moved"].as_array().unwrap().len(), 0);
    assert_eq!(emulator.owner(emulator.asset_id("Lobby").unwrap()), Some(customer_a));
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unshare_plans_then_takes_back_and_access_lists_who_has_what() {
    let emulator = emulator().await;
    let r = as_tenant(&emulator, &["--json", "access", "Floor 3"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let access = r.json();
    assert_eq!(keys(&access), set(&["place", "customers", "unshared", "missing"]));
    let customers = access["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["customer"]["title"], "Customer B");
    assert_eq!(customers[0]["hasPlace"], true);
    let users = customers[0]["users"].as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(
        (users[0]["email"].as_str(), users[0]["activated"].as_bool()),
        (Some("customerb@thingsboard.org"), Some(true))
    );
    let text = as_tenant(&emulator, &["access", "Floor 3"]).await;
    assert!(
        text.stdout.contains("customer Customer B <office@customer-b.example>: the place and"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("Bo B <customerb@thingsboard.org>: active"), "{}", text.stdout);

    emulator.faults().reset_counters();
    let dry =
        as_tenant(&emulator, &["--json", "unshare", "Room 3.02", "--customer", "Customer B", "--dry-run"])
            .await;
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let to_unassign = dry.json()["plan"]["toUnassign"].as_array().unwrap().len();
    assert!(to_unassign >= 3);
    assert_eq!(sharing_writes(&emulator), 0);
    let done = as_tenant(&emulator, &["--json", "unshare", "Room 3.02", "--customer", "Customer B"]).await;
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(done.json()["summary"]["unassigned"].as_array().unwrap().len(), to_unassign);
    assert_eq!(emulator.owner(emulator.asset_id("Room 3.02").unwrap()), None);
    let again = as_tenant(&emulator, &["unshare", "Room 3.02", "--customer", "Customer B"]).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("0 taken back"), "{}", again.stdout);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharing_exit_codes() {
    let emulator = emulator().await;
    let url = emulator.base_url();
    // A customer user is refused before anything is loaded.
    emulator.faults().reset_counters();
    let customer = [
        "--url",
        url.as_str(),
        "--user",
        "customer@thingsboard.org",
        "share",
        "Lobby",
        "--customer",
        "Customer A",
    ];
    let r = run(&customer, Some("customer")).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("tenant administrator"), "{}", r.stderr);
    let counters = emulator.faults().counters();
    let requests: u64 = counters.requests_by_route.values().sum();
    assert_eq!(requests - counters.requests("POST /api/auth/login"), 0, "nothing but the sign-in");
    let r = as_tenant(&emulator, &["share", "Lobby", "--customer", "Nobody"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("'Nobody'"), "{}", r.stderr);
    let r = as_tenant(&emulator, &["access", "No Such Room"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    let r = as_tenant(&emulator, &["share", "Lobby", "--customer", "X", "--email", "x@example.com"]).await;
    assert_eq!(r.code, 2, "--email without --create: {}", r.stderr);
    let r = as_tenant(&emulator, &["unshare", "Lobby"]).await;
    assert_eq!(r.code, 2, "--customer is required: {}", r.stderr);
    emulator.shutdown().await;
}

/// The finest log level everywhere, on a server whose live endpoint takes the token in its URL:
/// tungstenite prints the upgrade request and every frame at trace, and those hold the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logging_never_prints_a_token_or_the_password() {
    let emulator = Emulator::start(EmulatorConfig { legacy_ws_only: true, ..EmulatorConfig::for_tests() })
        .await
        .expect("emulator starts");
    let url = emulator.base_url();
    let args = [
        "--url",
        url.as_str(),
        "--user",
        USER,
        "--json",
        "watch",
        "Lobby Light",
        "--count",
        "2",
        "--seconds",
        "30",
    ];
    let r = run_with(&args, Some(PASSWORD), &[("ATRIUM_LOG", "trace")]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.lines().count() > 3, "trace logging is on: {}", r.stderr);
    assert!(r.stderr.contains("telemetry"), "the legacy endpoint was used: {}", r.stderr);
    for (n, line) in r.stderr.lines().enumerate() {
        assert!(!line.contains("eyJ"), "line {n} holds a token: {line}");
        assert!(!line.contains(&format!("\"{PASSWORD}\"")), "line {n} holds the password: {line}");
        assert!(!line.contains("token="), "line {n} holds a token parameter: {line}");
    }
    emulator.shutdown().await;
}
