//! The TOTP 2FA flow of the demo user `twofa@thingsboard.org`.

mod common;

use common::*;
use serde_json::{json, Value};

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
    let response = http()
        .post(format!("{}/api/auth/login", emulator.base_url()))
        .json(&json!({"username": "twofa@thingsboard.org", "password": "twofa"}))
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
        json!([{"type": "TOTP", "default": true, "contact": null, "minVerificationCodeSendPeriod": 30}])
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

#[tokio::test]
async fn two_factor_endpoints_refuse_other_providers_and_missing_tokens() {
    let emulator = start().await;
    let pre = pre_verification_login(&emulator).await["token"].as_str().unwrap().to_owned();
    let path = "/api/auth/2fa/verification/check?providerType=EMAIL&verificationCode=123456";
    let body: Value = post(&emulator, &pre, path, &json!(null)).await.json().await.unwrap();
    assert_eq!(
        (body["errorCode"].as_i64(), body["message"].as_str()),
        (Some(31), Some("2FA provider is not configured"))
    );
    let send = post(&emulator, &pre, "/api/auth/2fa/verification/send?providerType=TOTP", &json!(null)).await;
    assert_eq!(send.status(), 200);
    let response =
        http().get(format!("{}/api/auth/2fa/providers", emulator.base_url())).send().await.unwrap();
    assert_eq!(response.status(), 401);
    emulator.shutdown().await;
}
