//! A server that is not ThingsBoard and misbehaves on purpose: redirects that would carry
//! credentials elsewhere, bodies that never end, error texts as long as a book, listings that
//! always have a next page. The client answers each with a typed error and reads only so much.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tb_client::{Client, Error, Secret};

/// A JWT the client accepts (it reads claims; signatures are the server's business).
fn jwt(scope: &str, lifetime_secs: i64) -> String {
    let enc = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let claims = serde_json::json!({
        "sub": "tenant@example.com", "scopes": [scope], "iat": 1_000, "exp": 1_000 + lifetime_secs,
        "tenantId": "1a2b3c40-3b7e-11ef-9a1d-1b2c3d4e5f60",
        "customerId": "13814000-1dd2-11b2-8080-808080808080"
    });
    format!("{}.{}.sig", enc(serde_json::json!({"alg": "HS512"})), enc(claims))
}

fn login_answer() -> Response {
    let pair =
        serde_json::json!({"token": jwt("TENANT_ADMIN", 9000), "refreshToken": jwt("REFRESH_TOKEN", 90_000)});
    axum::Json(pair).into_response()
}

/// Starts `router` on 127.0.0.1, answers its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A second server that only counts what reaches it.
async fn elsewhere() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let router = Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { login_answer() }
    });
    (serve(router).await, hits)
}

fn redirect(status: StatusCode, to: &str) -> Response {
    (status, [(header::LOCATION, to.to_owned())], "").into_response()
}

#[tokio::test]
async fn a_redirect_is_never_followed_with_the_password_or_the_token() {
    let (other, hits) = elsewhere().await;
    for status in [StatusCode::TEMPORARY_REDIRECT, StatusCode::PERMANENT_REDIRECT, StatusCode::FOUND] {
        let target = format!("{other}/api/auth/login?next=x");
        let base = serve(
            Router::new().route("/api/auth/login", post(move || async move { redirect(status, &target) })),
        )
        .await;
        let client = Client::builder(&base).build().unwrap();
        let err = client.login("tenant@example.com", &Secret::new("hunter2")).await.unwrap_err();
        let Error::Redirected { status: got, to } = &err else { panic!("{err:?}") };
        assert_eq!(*got, status.as_u16());
        assert_eq!(to, &format!("{other}/api/auth/login"), "the place, without its query");
        assert!(err.to_string().contains(&other), "{err}");
    }

    // Signed in, a data request sent elsewhere takes no token along.
    let target = format!("{other}/api/tenant/assets");
    let base = serve(
        Router::new()
            .route("/api/auth/login", post(|| async { login_answer() }))
            .route("/api/tenant/assets", get(move || async move { redirect(StatusCode::FOUND, &target) })),
    )
    .await;
    let client = Client::builder(&base).build().unwrap();
    client.login("tenant@example.com", &Secret::new("hunter2")).await.unwrap();
    let err = client.all_assets().await.unwrap_err();
    assert!(matches!(err, Error::Redirected { status: 302, .. }), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing reached the other server");
}

/// An answer that never ends: read up to the limit, then refused.
#[tokio::test]
async fn an_endless_body_is_read_up_to_the_limit_only() {
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let endless = move || {
        let counter = counter.clone();
        async move {
            let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
            let stream = futures_util::stream::repeat_with(move || {
                counter.fetch_add(chunk.len(), Ordering::Relaxed);
                Ok::<_, std::io::Error>(chunk.clone())
            });
            ([(header::CONTENT_TYPE, "application/json")], Body::from_stream(stream)).into_response()
        }
    };
    let base = serve(
        Router::new()
            .route("/api/auth/login", post(|| async { login_answer() }))
            .route("/api/tenant/assets", get(endless)),
    )
    .await;
    let client = Client::builder(&base).max_body_bytes(1024 * 1024).build().unwrap();
    client.login("tenant@example.com", &Secret::new("pw")).await.unwrap();
    let err = client.all_assets().await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit_bytes: 1_048_576 }), "{err:?}");
    assert_eq!(err.to_string(), "the server sent more than 1 MiB in one answer; it was not read");

    // A body announced too large is refused before it is read.
    let huge = || async {
        let body = vec![b'x'; 2 * 1024 * 1024];
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    let base = serve(
        Router::new()
            .route("/api/auth/login", post(|| async { login_answer() }))
            .route("/api/tenant/assets", get(huge)),
    )
    .await;
    let client = Client::builder(&base).max_body_bytes(1024 * 1024).build().unwrap();
    client.login("tenant@example.com", &Secret::new("pw")).await.unwrap();
    assert!(matches!(client.all_assets().await.unwrap_err(), Error::TooLarge { .. }));
}

/// Error texts a proxy or a broken server writes are cut to a sentence.
#[tokio::test]
async fn error_texts_and_page_titles_are_cut_to_a_sentence() {
    let long_title = || async {
        let page =
            format!("<html><head><title>{}</title></head><body></body></html>", "Gateway ".repeat(100_000));
        (StatusCode::BAD_GATEWAY, [(header::CONTENT_TYPE, "text/html")], page).into_response()
    };
    let long_message = || async {
        let body = serde_json::json!({"status": 400, "errorCode": 31, "message": "no ".repeat(500_000), "timestamp": 1});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    };
    let long_text = || async { (StatusCode::NOT_FOUND, "missing\n".repeat(200_000)).into_response() };
    let base = serve(
        Router::new()
            .route("/api/auth/login", post(|| async { login_answer() }))
            .route("/api/tenant/assets", get(long_title))
            .route("/api/tenant/devices", get(long_message))
            .route("/api/asset/{id}", get(long_text)),
    )
    .await;
    let client = Client::builder(&base).build().unwrap();
    client.login("tenant@example.com", &Secret::new("pw")).await.unwrap();

    let err = client.all_assets().await.unwrap_err();
    let Error::UnexpectedResponse { snippet, .. } = &err else { panic!("{err:?}") };
    assert!(snippet.starts_with("Gateway Gateway") && snippet.ends_with('…'), "{snippet}");
    assert!(snippet.chars().count() <= 121, "{} characters", snippet.chars().count());

    let err = client.all_devices().await.unwrap_err();
    let Error::Api { message, error_code: Some(31), .. } = &err else { panic!("{err:?}") };
    assert!(
        message.chars().count() <= 301 && message.ends_with('…'),
        "{} characters",
        message.chars().count()
    );

    let err = client.asset(tb_client::proto::AssetId(uuid::Uuid::nil())).await.unwrap_err();
    let Error::Api { message, status: 404, .. } = &err else { panic!("{err:?}") };
    assert!(message.starts_with("missing missing") && message.chars().count() <= 301, "{message:.80}");
}

/// A listing that always says there is a next page ends at a bound with an error that says so.
#[tokio::test]
async fn a_listing_that_never_ends_stops_at_a_bound() {
    let requests = Arc::new(AtomicUsize::new(0));
    let endless_pages = move |State(requests): State<Arc<AtomicUsize>>| async move {
        let n = requests.fetch_add(1, Ordering::SeqCst);
        let asset = serde_json::json!({
            "id": {"entityType": "ASSET", "id": uuid::Uuid::from_u128(n as u128 + 1)},
            "name": format!("Room {n}"), "type": "room"
        });
        axum::Json(serde_json::json!({"data": [asset], "totalPages": 1, "totalElements": 1, "hasNext": true}))
    };
    let base = serve(
        Router::new()
            .route("/api/auth/login", post(|| async { login_answer() }))
            .route("/api/tenant/assets", get(endless_pages))
            .with_state(requests.clone()),
    )
    .await;
    let client = Client::builder(&base).build().unwrap();
    client.login("tenant@example.com", &Secret::new("pw")).await.unwrap();
    let err = client.all_assets().await.unwrap_err();
    assert!(matches!(err, Error::TooManyRows { what: "assets", .. }), "{err:?}");
    assert_eq!(requests.load(Ordering::SeqCst), tb_client::MAX_LISTED_PAGES as usize);
}
