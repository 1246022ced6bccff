//! TLS on rustls: webpki roots plus the system's, plus an optional private CA. No switch to accept any certificate.

use crate::error::Error;
use std::sync::{Arc, OnceLock};

fn base_roots() -> &'static rustls::RootCertStore {
    static ROOTS: OnceLock<rustls::RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let native = rustls_native_certs::load_native_certs();
        for e in &native.errors {
            tracing::debug!("skipping an unreadable system certificate: {e}");
        }
        let (added, ignored) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(added, ignored, "loaded system CA certificates");
        roots
    })
}

/// The rustls configuration shared by REST and the WebSocket.
pub(crate) fn client_config(extra_ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, Error> {
    let mut roots = base_roots().clone();
    if let Some(pem) = extra_ca_pem {
        let pem = crate::certificate::normalize_pem(&String::from_utf8_lossy(pem));
        let certs = rustls_pemfile::certs(&mut pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::InvalidCaCertificate(format!("the CA file is not valid PEM: {e}")))?;
        if certs.is_empty() {
            return Err(Error::InvalidCaCertificate("the CA file holds no PEM certificate".into()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| Error::InvalidCaCertificate(format!("the CA certificate is not usable: {e}")))?;
        }
    }
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Transport(format!("TLS set-up failed: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused() {
        let err = client_config(Some(b"hello")).unwrap_err();
        assert!(matches!(err, Error::InvalidCaCertificate(_)), "{err:?}");
    }

    #[test]
    fn defaults_build() {
        client_config(None).unwrap();
    }
}
