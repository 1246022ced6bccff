//! History charts through `Core` against the emulator: a device's 24 h chart from the demo's past
//! week in three requests, exact buckets for reported values, a place's average across its
//! devices, and the refusals (another customer's device, impossible ranges) a person can act on.

use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{ErrorCode, HistoryArgs, HistoryChart, HistorySpan, HistorySubject, LoginArgs, TreeNode};
use std::sync::Arc;
use tb_emulator::{Emulator, EmulatorConfig};

const HISTORY_ROUTE: &str = "GET /api/plugins/telemetry/{entity_type}/{entity_id}/values/timeseries";

fn find<'a>(nodes: &'a [TreeNode], name: &str) -> Option<&'a TreeNode> {
    nodes.iter().find_map(|n| if n.name == name { Some(n) } else { find(&n.children, name) })
}

fn count(nodes: &[TreeNode], name_part: &str) -> usize {
    nodes.iter().map(|n| usize::from(n.name.contains(name_part)) + count(&n.children, name_part)).sum()
}

async fn signed_in(emu: &Emulator, user: &str, password: &str) -> (Core, Vec<TreeNode>) {
    let core = Core::new(Arc::new(NoUiEvents));
    core.login(LoginArgs::new(emu.base_url(), user, password)).await.unwrap();
    let tree = core.load_tree(|_| {}).await.unwrap();
    (core, tree)
}

fn device(emu: &Emulator, name: &str, keys: &[&str]) -> HistorySubject {
    let id = emu.device_id(name).expect("a demo device").to_string();
    HistorySubject::Device { device_id: id, keys: keys.iter().map(|k| (*k).to_owned()).collect() }
}

fn assert_drawable(chart: &HistoryChart) {
    for series in &chart.series {
        assert!(series.points.windows(2).all(|w| w[0].ts < w[1].ts), "{}: oldest first", series.key);
        for p in &series.points {
            assert!(p.min <= p.avg && p.avg <= p.max, "{}: {p:?}", series.key);
            assert!(
                (chart.start_ms..chart.end_ms).contains(&p.ts),
                "{}: {p:?} outside the chart",
                series.key
            );
        }
    }
}

#[tokio::test]
async fn a_thermostats_day_is_three_requests_with_temperature_and_setpoint_together() {
    let emu =
        Emulator::start(EmulatorConfig { history_days: 7, ..EmulatorConfig::for_tests() }).await.unwrap();
    let (core, _) = signed_in(&emu, "tenant@thingsboard.org", "tenant").await;
    let before = emu.faults().counters().requests(HISTORY_ROUTE);

    let args = HistoryArgs {
        subject: device(&emu, "Lobby Thermostat", &["temperature", "setpoint"]),
        span: HistorySpan::LastDay,
    };
    let chart = core.load_history(args).await.unwrap();

    assert_eq!(
        emu.faults().counters().requests(HISTORY_ROUTE) - before,
        3,
        "AVG, MIN and MAX, both keys in each"
    );
    assert_eq!(chart.interval_ms, 300_000);
    assert_eq!(chart.end_ms - chart.start_ms, 24 * 3_600_000 + 300_000, "a day, widened to whole buckets");
    assert_eq!(chart.series.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(), ["temperature", "setpoint"]);
    for series in &chart.series {
        // The past ends a minute or so before the start: the last bucket or two are empty.
        assert!((270..=289).contains(&series.points.len()), "{}: {} points", series.key, series.points.len());
    }
    assert_drawable(&chart);
    let temperature = &chart.series[0].points;
    assert!(temperature.iter().all(|p| (10.0..35.0).contains(&p.avg)), "room temperatures");

    let week =
        HistoryArgs { subject: device(&emu, "Lobby Thermostat", &["humidity"]), span: HistorySpan::LastWeek };
    let chart = core.load_history(week).await.unwrap();
    assert_eq!(chart.interval_ms, 3_600_000);
    assert!((150..=169).contains(&chart.series[0].points.len()), "{} hours", chart.series[0].points.len());
    assert!(chart.series[0].points.iter().any(|p| p.max - p.min >= 1.0), "an hour's band spans its points");
    assert_drawable(&chart);

    emu.shutdown().await;
}

#[tokio::test]
async fn reported_values_land_in_their_buckets_and_a_key_without_data_is_empty() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, _) = signed_in(&emu, "tenant@thingsboard.org", "tenant").await;
    let sensor = emu.device_id("Lobby Air Quality").unwrap();
    for co2 in [700, 900, 800] {
        emu.publish_telemetry(sensor, serde_json::json!({ "co2": co2 }));
    }

    let args = HistoryArgs {
        subject: device(&emu, "Lobby Air Quality", &["co2", "noSuchKey"]),
        span: HistorySpan::LastHour,
    };
    let chart = core.load_history(args).await.unwrap();
    assert_eq!(chart.interval_ms, 15_000);
    let co2 = &chart.series[0];
    let last = co2.points.last().expect("the reported values");
    // The demo's starting value may share the bucket: the three reports bound it at least.
    assert!(last.max >= 900.0 && last.min <= 700.0, "{last:?}");
    assert!(chart.series[1].points.is_empty(), "no data for the key: an empty series, not an error");
    assert!(!chart.is_empty());

    let nothing = HistoryArgs {
        subject: device(&emu, "Lobby Air Quality", &["noSuchKey"]),
        span: HistorySpan::LastHour,
    };
    assert!(core.load_history(nothing).await.unwrap().is_empty());

    emu.shutdown().await;
}

#[tokio::test]
async fn a_floors_chart_averages_every_thermostat_below_it() {
    let emu =
        Emulator::start(EmulatorConfig { history_days: 7, ..EmulatorConfig::for_tests() }).await.unwrap();
    let (core, tree) = signed_in(&emu, "tenant@thingsboard.org", "tenant").await;
    let floor = find(&tree, "Floor 1").expect("Floor 1");
    let thermostats = count(std::slice::from_ref(floor), "Thermostat");
    assert!(thermostats >= 2, "the demo's Floor 1 has thermostats");

    let args = HistoryArgs {
        subject: HistorySubject::Place { node_id: floor.id.clone(), key: "temperature".into() },
        span: HistorySpan::LastDay,
    };
    let chart = core.load_history(args).await.unwrap();
    let coverage = chart.devices.expect("a place's chart says what it covers");
    assert_eq!(coverage.reporting as usize, thermostats, "every thermostat reports a temperature");
    assert_eq!((coverage.averaged, coverage.failed), (coverage.reporting, 0));
    assert_drawable(&chart);
    let points = &chart.series[0].points;
    assert!(points.len() >= 250, "{} buckets", points.len());
    assert!(points.iter().any(|p| p.max - p.min > 0.5), "the band spans the coolest and the warmest room");

    emu.shutdown().await;
}

#[tokio::test]
async fn another_customers_device_and_impossible_ranges_are_refused() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, _) = signed_in(&emu, "customerb@thingsboard.org", "customer").await;
    let lobby = HistoryArgs {
        subject: device(&emu, "Lobby Thermostat", &["temperature"]),
        span: HistorySpan::LastDay,
    };
    let refused = core.load_history(lobby).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::PermissionDenied, "{refused:?}");
    let before = emu.faults().counters().requests(HISTORY_ROUTE);

    let backwards = HistoryArgs {
        subject: device(&emu, "Lobby Thermostat", &["temperature"]),
        span: HistorySpan::Custom { start_ms: 2_000, end_ms: 1_000 },
    };
    assert_eq!(core.load_history(backwards).await.unwrap_err().code, ErrorCode::InvalidRequest);
    let no_keys = HistoryArgs { subject: device(&emu, "Lobby Thermostat", &[]), span: HistorySpan::LastDay };
    assert_eq!(core.load_history(no_keys).await.unwrap_err().code, ErrorCode::InvalidRequest);
    assert_eq!(
        emu.faults().counters().requests(HISTORY_ROUTE) - before,
        0,
        "what the server would refuse is not sent"
    );

    emu.shutdown().await;
}

#[tokio::test]
async fn how_often_a_key_is_reported_comes_from_its_newest_points() {
    let emu =
        Emulator::start(EmulatorConfig { history_days: 7, ..EmulatorConfig::for_tests() }).await.unwrap();
    let (core, _) = signed_in(&emu, "tenant@thingsboard.org", "tenant").await;
    let thermostat = emu.device_id("Lobby Thermostat").unwrap().to_string();
    let keys = ["temperature", "humidity", "noSuchKey"].map(str::to_owned);
    let intervals = core.reporting_intervals(&thermostat, &keys).await.unwrap();
    // The demo's past has a point every five minutes.
    assert_eq!(intervals.get("temperature"), Some(&300_000));
    assert_eq!(intervals.get("humidity"), Some(&300_000));
    assert!(!intervals.contains_key("noSuchKey"), "no points, no interval");
    emu.shutdown().await;
}
