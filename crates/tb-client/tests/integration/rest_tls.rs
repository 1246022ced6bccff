//! TLS: a server with a private CA is refused as a TLS failure, and trusted with the extra-CA option.
//! The CA and the server certificate (for "localhost") are generated here; the server is a tiny
//! HTTPS responder on 127.0.0.1 that answers a login and 404s everything else.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::json;
use std::sync::Arc;
use tb_client::{CertificateProblem, Client, Error, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

struct Pki {
    ca_pem: String,
    server: ServerConfig,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "Atrium Test Private CA");
    ca.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    let leaf_cert = leaf.signed_by(&server_key, &ca_cert, &ca_key).unwrap();

    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .unwrap();
    Pki { ca_pem: ca_cert.pem(), server }
}

/// An unsigned JWT with the claims the client reads (it never checks signatures).
fn jwt(scope: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512"}"#);
    let claims = json!({"sub": "tls@thingsboard.org", "scopes": [scope], "iat": now, "exp": now + 9000,
        "tenantId": "1a2b3c40-3b7e-11ef-9a1d-1b2c3d4e5f60", "customerId": "13814000-1dd2-11b2-8080-808080808080"});
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

/// Serves HTTPS on 127.0.0.1 until the test ends; returns the port.
async fn serve(config: ServerConfig) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that does not trust us aborts the handshake: nothing more to do.
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let Ok(n) = tls.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                    })
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    let Ok(n) = tls.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let (status, body) = if head.starts_with("POST /api/auth/login ") {
                    ("200 OK", json!({"token": jwt("TENANT_ADMIN"), "refreshToken": jwt("REFRESH_TOKEN")}))
                } else {
                    (
                        "404 Not Found",
                        json!({"status": 404, "message": "Not here", "errorCode": 32, "timestamp": 0}),
                    )
                };
                let body = body.to_string();
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn localhost_resolves_to_the_loopback_address() {
    let addrs: Vec<_> = tokio::net::lookup_host("localhost:443").await.unwrap().collect();
    assert!(addrs.iter().any(|a| a.ip() == std::net::Ipv4Addr::LOCALHOST), "{addrs:?}");
}

#[tokio::test]
async fn a_private_ca_is_a_tls_failure_until_it_is_trusted() {
    let Pki { ca_pem, server } = pki();
    let port = serve(server).await;
    let url = format!("https://localhost:{port}");

    let untrusting = Client::builder(&url).build().unwrap();
    let err = untrusting.login("tls@thingsboard.org", &Secret::new("x")).await.unwrap_err();
    assert!(matches!(err, Error::Certificate { problem: CertificateProblem::UnknownIssuer, .. }), "{err:?}");
    assert!(!err.is_transient(), "a TLS failure does not go away by itself");
    assert!(err.to_string().contains("certificate"), "{err}");

    let trusting = Client::builder(&url).ca_certificate_pem(ca_pem.into_bytes()).build().unwrap();
    let me = trusting.login("tls@thingsboard.org", &Secret::new("x")).await.unwrap();
    assert_eq!(me.email, "tls@thingsboard.org");
    // An authorised request gets through too: the server's 404 arrives as a ThingsBoard error.
    let err = trusting.current_user().await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 404, error_code: Some(32), .. }), "{err:?}");
}

#[tokio::test]
async fn the_certificate_must_match_the_address() {
    let Pki { ca_pem, server } = pki();
    let port = serve(server).await;
    // Trusted CA, but the certificate names "localhost", not 127.0.0.1.
    let client = Client::builder(format!("https://127.0.0.1:{port}"))
        .ca_certificate_pem(ca_pem.into_bytes())
        .build()
        .unwrap();
    let err = client.login("tls@thingsboard.org", &Secret::new("x")).await.unwrap_err();
    assert!(matches!(err, Error::Certificate { problem: CertificateProblem::WrongHost, .. }), "{err:?}");
    assert!(!err.is_transient());
}
