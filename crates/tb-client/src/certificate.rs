//! Reading a certificate a person is about to trust: whom it names, who signed it, how long it is
//! valid and its fingerprint, so they can compare it with what their administrator gave them.

use crate::error::Error;

/// What a person checks before trusting a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDetails {
    /// RFC 4514 form, `CN=Acme Internal CA, O=Acme`.
    pub subject: String,
    pub issuer: String,
    /// Validity, seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// SHA-256 of the DER encoding.
    pub sha256: [u8; 32],
    /// Basic constraints say it may sign certificates.
    pub is_ca: bool,
}

impl CertificateDetails {
    /// `AB:CD:...`, as browsers and `openssl x509 -fingerprint -sha256` show it.
    pub fn fingerprint(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
    }
}

/// PEM as a person may have pasted it, put right: each `BEGIN`/`END CERTIFICATE` block with
/// its base64 on lines of 64 characters, whatever line breaks or spaces were lost or added on the
/// way (a web page, a chat message). Text outside the blocks is dropped.
pub fn normalize_pem(text: &str) -> String {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let Some(end) = after.find(END) else { break };
        let body: String = after[..end].chars().filter(|c| !c.is_whitespace()).collect();
        out.push_str(BEGIN);
        out.push('\n');
        for line in body.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            out.push('\n');
        }
        out.push_str(END);
        out.push('\n');
        rest = &after[end + END.len()..];
    }
    if out.is_empty() {
        text.to_owned()
    } else {
        out
    }
}

/// Every certificate in `pem` (see [`normalize_pem`]), in order. Text without a certificate, or a certificate that does
/// not parse, is [`Error::InvalidCaCertificate`].
pub fn inspect_pem(pem: &[u8]) -> Result<Vec<CertificateDetails>, Error> {
    let pem = normalize_pem(&String::from_utf8_lossy(pem));
    let ders = rustls_pemfile::certs(&mut pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidCaCertificate(format!("the text is not valid PEM: {e}")))?;
    if ders.is_empty() {
        return Err(Error::InvalidCaCertificate(
            "no certificate found: it must start with -----BEGIN CERTIFICATE-----".into(),
        ));
    }
    ders.iter()
        .map(|der| {
            let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref())
                .map_err(|e| Error::InvalidCaCertificate(format!("the certificate cannot be read: {e}")))?;
            let digest = ring::digest::digest(&ring::digest::SHA256, der.as_ref());
            let mut sha256 = [0u8; 32];
            sha256.copy_from_slice(digest.as_ref());
            Ok(CertificateDetails {
                subject: cert.subject().to_string(),
                issuer: cert.issuer().to_string(),
                not_before: cert.validity().not_before.timestamp(),
                not_after: cert.validity().not_after.timestamp(),
                sha256,
                is_ca: cert.is_ca(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_pem_is_put_right() {
        let line = "A".repeat(70);
        let mangled = format!("junk -----BEGIN CERTIFICATE----- {line} -----END CERTIFICATE----- more");
        let fixed = normalize_pem(&mangled);
        let lines: Vec<&str> = fixed.lines().collect();
        assert_eq!(
            lines,
            ["-----BEGIN CERTIFICATE-----", &line[..64], &line[64..], "-----END CERTIFICATE-----"]
        );
        assert_eq!(normalize_pem("no certificate"), "no certificate");
    }

    #[test]
    fn text_without_a_certificate_is_refused() {
        for text in ["", "hello", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"] {
            assert!(matches!(inspect_pem(text.as_bytes()), Err(Error::InvalidCaCertificate(_))), "{text:?}");
        }
    }
}
