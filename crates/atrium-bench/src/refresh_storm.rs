//! 100 concurrent requests meet an expired token: our single-flight refresh against the seed's
//! interceptor, which refreshes on every 401.

use crate::report::Report;
use std::sync::Arc;
use std::time::Instant;
use tb_client::proto::DeviceId;
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::sync::Mutex;

const CONCURRENT: usize = 100;

pub(crate) async fn run(report: &mut Report) -> anyhow::Result<()> {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await?;
    let device = DeviceId(emu.device_id("Lobby Light").ok_or_else(|| anyhow::anyhow!("no Lobby Light"))?);

    let client = Client::builder(emu.base_url()).build()?;
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await?;
    emu.faults().expire_access_tokens();
    emu.faults().reset_counters();
    let started = Instant::now();
    let results = futures_util::future::join_all((0..CONCURRENT).map(|_| client.device(device))).await;
    let ours_ms = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(results.iter().all(Result::is_ok), "our client failed a request");
    let ours_refreshes = emu.faults().counters().refresh_calls;

    let naive = NaiveInterceptor::login(&emu.base_url()).await?;
    emu.faults().expire_access_tokens();
    emu.faults().reset_counters();
    let started = Instant::now();
    let path = format!("api/device/{device}");
    let results = futures_util::future::join_all((0..CONCURRENT).map(|_| naive.get(&path))).await;
    let naive_ms = started.elapsed().as_secs_f64() * 1000.0;
    let naive_ok = results.iter().filter(|r| r.is_ok()).count();
    let naive_refreshes = emu.faults().counters().refresh_calls;

    let case = format!("{CONCURRENT} concurrent");
    report.add(
        "refresh_storm",
        &case,
        "refresh calls",
        "count",
        ours_refreshes as f64,
        Some(("refresh on every 401", naive_refreshes as f64)),
        Some("1"),
    );
    report.add(
        "refresh_storm",
        &case,
        "total time",
        "ms",
        ours_ms,
        Some(("refresh on every 401", naive_ms)),
        None,
    );
    report.add(
        "refresh_storm",
        &case,
        "requests ok",
        "count",
        CONCURRENT as f64,
        Some(("refresh on every 401", naive_ok as f64)),
        Some("all"),
    );
    emu.shutdown().await;
    Ok(())
}

/// The seed's Dio interceptor: on a 401, refresh and retry, once per failed request.
struct NaiveInterceptor {
    http: reqwest::Client,
    base: String,
    tokens: Arc<Mutex<(String, String)>>,
}

impl NaiveInterceptor {
    async fn login(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let pair: serde_json::Value = http
            .post(format!("{base}/api/auth/login"))
            .json(&serde_json::json!({"username": "tenant@thingsboard.org", "password": "tenant"}))
            .send()
            .await?
            .json()
            .await?;
        let token = pair["token"].as_str().unwrap_or_default().to_owned();
        let refresh = pair["refreshToken"].as_str().unwrap_or_default().to_owned();
        Ok(Self { http, base: base.to_owned(), tokens: Arc::new(Mutex::new((token, refresh))) })
    }

    async fn get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        let url = format!("{}/{path}", self.base);
        let token = self.tokens.lock().await.0.clone();
        let response =
            self.http.get(&url).header("X-Authorization", format!("Bearer {token}")).send().await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response.json().await?);
        }
        let refresh = self.tokens.lock().await.1.clone();
        let pair: serde_json::Value = self
            .http
            .post(format!("{}/api/auth/token", self.base))
            .json(&serde_json::json!({"refreshToken": refresh}))
            .send()
            .await?
            .json()
            .await?;
        let token = pair["token"].as_str().unwrap_or_default().to_owned();
        *self.tokens.lock().await =
            (token.clone(), pair["refreshToken"].as_str().unwrap_or_default().to_owned());
        let response =
            self.http.get(&url).header("X-Authorization", format!("Bearer {token}")).send().await?;
        anyhow::ensure!(response.status().is_success(), "retry failed: {}", response.status());
        Ok(response.json().await?)
    }
}
