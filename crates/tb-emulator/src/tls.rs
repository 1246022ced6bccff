//! HTTPS in front of an emulator, for tests of private CAs and certificate problems: a TLS
//! listener on 127.0.0.1 that forwards each connection's bytes to the plain server, so REST and
//! WebSocket both go through TLS exactly as behind a reverse proxy that terminates it.

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// A running TLS front. Dropping it without [`TlsFront::shutdown`] leaves it serving until the
/// runtime ends.
#[derive(Debug)]
pub struct TlsFront {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

fn invalid(what: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, what.to_string())
}

impl TlsFront {
    /// Serves `cert_chain_pem` (leaf first) with `key_pem` on 127.0.0.1, forwarding to `upstream`.
    pub async fn start(
        upstream: SocketAddr,
        cert_chain_pem: &str,
        key_pem: &str,
    ) -> std::io::Result<TlsFront> {
        let chain: Vec<CertificateDer<'static>> =
            rustls_pemfile::certs(&mut cert_chain_pem.as_bytes()).collect::<Result<_, _>>()?;
        let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.as_bytes())?
            .ok_or_else(|| invalid("no private key in the PEM"))?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(invalid)?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake: nothing to forward.
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    let Ok(mut plain) = TcpStream::connect(upstream).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        Ok(TlsFront { addr, task })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://{host}:{port}`: `localhost` for a certificate naming it.
    pub fn base_url(&self, host: &str) -> String {
        format!("https://{host}:{}", self.addr.port())
    }

    /// Stops accepting connections (open ones end with their tasks).
    pub fn shutdown(self) {
        self.task.abort();
    }
}
