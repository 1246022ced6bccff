//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod ws;

use serde_json::{json, Value};
use tb_emulator::{Emulator, EmulatorConfig};

pub async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::for_tests()).await.expect("emulator starts")
}

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// Logs in and returns `(token, refreshToken)`.
pub async fn login(emulator: &Emulator, user: &str, password: &str) -> (String, String) {
    let response = http()
        .post(format!("{}/api/auth/login", emulator.base_url()))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    (pair["token"].as_str().unwrap().to_owned(), pair["refreshToken"].as_str().unwrap().to_owned())
}

pub async fn tenant_token(emulator: &Emulator) -> String {
    login(emulator, "tenant@thingsboard.org", "tenant").await.0
}

pub async fn get(emulator: &Emulator, token: &str, path: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", emulator.base_url()))
        .header("X-Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
}

pub async fn post(emulator: &Emulator, token: &str, path: &str, body: &Value) -> reqwest::Response {
    http()
        .post(format!("{}{path}", emulator.base_url()))
        .header("X-Authorization", format!("Bearer {token}"))
        .json(body)
        .send()
        .await
        .unwrap()
}

pub fn ws_url(emulator: &Emulator, path: &str) -> String {
    format!("{}{path}", emulator.base_url().replacen("http://", "ws://", 1))
}
