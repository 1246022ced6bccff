//! The 2FA flow of the demo user `twofa@thingsboard.org` (TOTP, e-mail, SMS and backup codes),
//! and the user who must set 2FA up first.

use crate::common::*;
use serde_json::{json, Value};
use std::time::Duration;
use tb_emulator::{Emulator, EmulatorConfig, TwoFactorSettings};

/// The claims of a JWT, read without checking the signature.
fn claims(token: &str) -> Value {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS512);
    validation.insecure_disable_signature_validation();
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let key = jsonwebtoken::DecodingKey::from_secret(b"unused");
    jsonwebtoken::decode::<Value>(token, &key, &validation).expect("a JWT").claims
}

async fn pre_verification_login(emulator: &tb_emulator::Emulator) -> Value {
    login_answer(emulator, "twofa@thingsboard.org", "twofa").await
}

async fn login_answer(emulator: &tb_emulator::Emulator, user: &str, password: &str) -> Value {
    let response = http()
        .post(format!("{}/api/auth/login", emulator.base_url()))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn two_factor_login_needs_the_totp_code() {
    let emulator = start().await;
    let user = emulator.users().into_iter().find(|u| u.two_factor).expect("a 2FA demo user");
    assert_eq!((user.email.as_str(), user.authority.as_str()), ("twofa@thingsboard.org", "TENANT_ADMIN"));

    let pair = pre_verification_login(&emulator).await;
    assert_eq!(pair["scope"], "PRE_VERIFICATION_TOKEN");
    assert!(pair.get("refreshToken").is_none(), "{pair}");
    let pre = pair["token"].as_str().unwrap().to_owned();
    let c = claims(&pre);
    assert_eq!(c["scopes"], json!(["PRE_VERIFICATION_TOKEN"]));
    assert_eq!(c["sub"], "twofa@thingsboard.org");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 1800);
    assert!(c.get("sessionId").is_none() && c["tenantId"].is_string() && c["userId"].is_string());

    // The pre-verification token opens nothing but the 2FA endpoints.
    let response = get(&emulator, &pre, "/api/tenant/devices?pageSize=1&page=0").await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["errorCode"].as_i64(), body["message"].as_str()),
        (Some(20), Some("You don't have permission to perform this operation!"))
    );
    assert_eq!(get(&emulator, &pre, "/api/auth/user").await.status(), 403);

    let providers: Value = get(&emulator, &pre, "/api/auth/2fa/providers").await.json().await.unwrap();
    assert_eq!(
        providers,
        json!([
            {"type": "TOTP", "default": true, "contact": null, "minVerificationCodeSendPeriod": 30},
            {"type": "EMAIL", "default": false, "contact": "tw*fa@thingsboard.org", "minVerificationCodeSendPeriod": 30},
            {"type": "SMS", "default": false, "contact": "+15*******56", "minVerificationCodeSendPeriod": 30},
            {"type": "BACKUP_CODE", "default": false, "contact": null, "minVerificationCodeSendPeriod": 30}
        ])
    );

    let check =
        |code: &str| format!("/api/auth/2fa/verification/check?providerType=TOTP&verificationCode={code}");
    let response = post(&emulator, &pre, &check("000000"), &json!(null)).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["status"].as_i64(), body["errorCode"].as_i64(), body["message"].as_str()),
        (Some(400), Some(31), Some("Verification code is incorrect"))
    );

    let response = post(&emulator, &pre, &check(tb_emulator::TOTP_CODE), &json!(null)).await;
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    assert!(pair.get("scope").is_none(), "{pair}");
    let access = pair["token"].as_str().unwrap();
    assert!(pair["refreshToken"].is_string());
    assert_eq!(claims(access)["scopes"], json!(["TENANT_ADMIN"]));
    assert_eq!(get(&emulator, access, "/api/tenant/devices?pageSize=1&page=0").await.status(), 200);

    // A normal access token is refused by the 2FA endpoints.
    assert_eq!(get(&emulator, access, "/api/auth/2fa/providers").await.status(), 403);
    let response = post(&emulator, access, &check(tb_emulator::TOTP_CODE), &json!(null)).await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], 20);
    emulator.shutdown().await;
}

fn body_of(value: &Value) -> (Option<i64>, Option<i64>, Option<&str>) {
    (value["status"].as_i64(), value["errorCode"].as_i64(), value["message"].as_str())
}

#[tokio::test]
async fn an_emailed_code_is_sent_at_most_once_per_period_and_works_once() {
    let emulator = start().await;
    let pre = pre_verification_login(&emulator).await["token"].as_str().unwrap().to_owned();
    let send = "/api/auth/2fa/verification/send?providerType=EMAIL";
    assert_eq!(post(&emulator, &pre, send, &json!(null)).await.status(), 200);
    let code = emulator.two_factor_code("twofa@thingsboard.org").expect("a code was sent");
    assert_eq!(code.len(), 6);
    let again = post(&emulator, &pre, send, &json!(null)).await;
    assert_eq!(again.status(), 429);
    assert_eq!(body_of(&again.json().await.unwrap()), (Some(429), Some(33), Some("Too many requests")));

    // An SMS code is not an e-mail code.
    let check = |provider: &str, code: &str| {
        format!("/api/auth/2fa/verification/check?providerType={provider}&verificationCode={code}")
    };
    let wrong = post(&emulator, &pre, &check("SMS", &code), &json!(null)).await;
    assert_eq!(wrong.status(), 400);
    let right = post(&emulator, &pre, &check("EMAIL", &code), &json!(null)).await;
    assert_eq!(right.status(), 200);
    assert!(right.json::<Value>().await.unwrap()["refreshToken"].is_string());
    assert_eq!(emulator.two_factor_code("twofa@thingsboard.org"), None, "a used code is gone");
    emulator.shutdown().await;
}

#[tokio::test]
async fn backup_codes_work_once() {
    let emulator = start().await;
    let user = emulator.users().into_iter().find(|u| u.email == "twofa@thingsboard.org").unwrap();
    let code = user.backup_codes.first().expect("backup codes").clone();
    let check = format!("/api/auth/2fa/verification/check?providerType=BACKUP_CODE&verificationCode={code}");
    let pre = pre_verification_login(&emulator).await["token"].as_str().unwrap().to_owned();
    assert_eq!(post(&emulator, &pre, &check, &json!(null)).await.status(), 200);
    let pre = pre_verification_login(&emulator).await["token"].as_str().unwrap().to_owned();
    let reused = post(&emulator, &pre, &check, &json!(null)).await;
    assert_eq!(body_of(&reused.json().await.unwrap()).2, Some("Verification code is incorrect"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn too_many_wrong_codes_lock_the_account() {
    let config = EmulatorConfig {
        two_factor: TwoFactorSettings { max_failures: 3, ..TwoFactorSettings::default() },
        ..EmulatorConfig::for_tests()
    };
    let emulator = Emulator::start(config).await.unwrap();
    let pre = pre_verification_login(&emulator).await["token"].as_str().unwrap().to_owned();
    let check = "/api/auth/2fa/verification/check?providerType=TOTP&verificationCode=000000";
    for _ in 0..2 {
        assert_eq!(post(&emulator, &pre, check, &json!(null)).await.status(), 400);
    }
    let locked = post(&emulator, &pre, check, &json!(null)).await;
    assert_eq!(
        body_of(&locked.json().await.unwrap()),
        (Some(401), Some(10), Some("User account was locked due to exceeded 2FA verification attempts"))
    );
    let login = http()
        .post(format!("{}/api/auth/login", emulator.base_url()))
        .json(&json!({"username": "twofa@thingsboard.org", "password": "twofa"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        body_of(&login.json().await.unwrap()),
        (Some(401), Some(10), Some("User account is not active"))
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_expired_pre_verification_token_is_refused_as_expired() {
    let config = EmulatorConfig {
        two_factor: TwoFactorSettings {
            pre_verification_ttl: Duration::ZERO,
            ..TwoFactorSettings::default()
        },
        ..EmulatorConfig::for_tests()
    };
    let emulator = Emulator::start(config).await.unwrap();
    let pre = pre_verification_login(&emulator).await["token"].as_str().unwrap().to_owned();
    let response = get(&emulator, &pre, "/api/auth/2fa/providers").await;
    assert_eq!(body_of(&response.json().await.unwrap()), (Some(401), Some(11), Some("Token has expired")));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_user_who_must_set_up_two_factor_gets_a_configuration_token() {
    let emulator = start().await;
    let user = emulator.users().into_iter().find(|u| u.must_set_up_two_factor).expect("such a demo user");
    let pair = login_answer(&emulator, &user.email, &user.password).await;
    assert_eq!(pair["scope"], "MFA_CONFIGURATION_TOKEN");
    assert!(pair.get("refreshToken").is_none());
    let token = pair["token"].as_str().unwrap();
    assert_eq!(get(&emulator, token, "/api/auth/2fa/providers").await.status(), 403);
    emulator.shutdown().await;
}

#[tokio::test]
async fn two_factor_endpoints_refuse_unknown_providers_and_missing_tokens() {
    let emulator = start().await;
    let pre = pre_verification_login(&emulator).await["token"].as_str().unwrap().to_owned();
    let path = "/api/auth/2fa/verification/check?providerType=PIGEON&verificationCode=123456";
    let body: Value = post(&emulator, &pre, path, &json!(null)).await.json().await.unwrap();
    assert_eq!(body["errorCode"], 31);
    assert!(body["message"].as_str().unwrap().contains("No enum constant"), "{body}");
    let send = post(&emulator, &pre, "/api/auth/2fa/verification/send?providerType=TOTP", &json!(null)).await;
    assert_eq!(send.status(), 200);
    let response =
        http().get(format!("{}/api/auth/2fa/providers", emulator.base_url())).send().await.unwrap();
    assert_eq!(response.status(), 401);
    emulator.shutdown().await;
}
