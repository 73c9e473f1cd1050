//! TLS: the roots an Api trusts, the client certificate it presents, and what a failed
//! handshake means in words. ureq does the TLS; this file turns the builder's PEM into ureq's
//! `TlsConfig` when the Api is built, checking first everything ureq would panic on.

use std::fmt;

/// The roots trusted besides the added ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(
    not(any(feature = "rustls", feature = "native-tls")),
    allow(dead_code, reason = "set only by the tls setters")
)]
pub(crate) enum BuiltInRoots {
    /// rustls: Mozilla's root certificates; native-tls: the platform's trust store.
    #[default]
    Default,
    /// The platform's trust store (under rustls, through rustls-platform-verifier).
    #[cfg(any(feature = "platform-verifier", feature = "native-tls"))]
    Platform,
    /// None: only the added roots.
    None,
}

/// The builder's TLS settings, as given; read and checked by [`TlsSettings::config`].
#[derive(Clone, Default)]
pub(crate) struct TlsSettings {
    /// PEM texts of extra roots.
    roots: Vec<Vec<u8>>,
    built_in: BuiltInRoots,
    /// The certificate chain's PEM and the private key's PEM.
    client: Option<(Vec<u8>, Vec<u8>)>,
}

/// Never shows key material: only whether a client certificate is set.
impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("added_roots", &self.roots.len())
            .field("built_in_roots", &self.built_in)
            .field(
                "client_certificate",
                &self.client.as_ref().map(|_| "<set, key redacted>"),
            )
            .finish()
    }
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
impl crate::ApiBuilder {
    /// Trusts the certificates in `pem` (one or more `-----BEGIN CERTIFICATE-----` blocks) as
    /// root certificates, for a server whose certificate a private CA signed. May be called
    /// more than once.
    ///
    /// The trusted roots are then Mozilla's root certificates plus these, under either TLS
    /// backend: ureq cannot add to the platform's trust store, so with the `native-tls`
    /// feature (whose built-in roots are the platform's) adding a root also swaps the
    /// platform's store for Mozilla's roots. To trust only the roots added here, also call
    /// [`tls_built_in_roots(false)`](Self::tls_built_in_roots).
    ///
    /// # Errors
    ///
    /// [`build`](Self::build) returns [`Error::TlsConfig`](crate::Error::TlsConfig) for a PEM that is malformed or
    /// holds no certificate, or a certificate that cannot serve as a root.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let ca = std::fs::read("/etc/myapp/ca.pem")?;
    /// let api = halchemy::Api::builder()
    ///     .base_url("https://api.internal")
    ///     .add_root_certificate_pem(ca)
    ///     .no_config_file()
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.tls.roots.push(pem.as_ref().to_vec());
        self
    }

    /// Whether the built-in roots are trusted besides the ones added with
    /// [`add_root_certificate_pem`](Self::add_root_certificate_pem). Defaults to `true`:
    /// Mozilla's root certificates under rustls, the platform's trust store under
    /// `native-tls`. With `false`, only the added roots are trusted.
    ///
    /// # Errors
    ///
    /// [`build`](Self::build) returns [`Error::TlsConfig`](crate::Error::TlsConfig) when this is `false` and no root
    /// was added: no server could be trusted.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let ca = std::fs::read("/etc/myapp/ca.pem")?;
    /// let api = halchemy::Api::builder()
    ///     .add_root_certificate_pem(ca)
    ///     .tls_built_in_roots(false)
    ///     .no_config_file()
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tls_built_in_roots(mut self, enabled: bool) -> Self {
        self.tls.built_in = match enabled {
            true => BuiltInRoots::Default,
            false => BuiltInRoots::None,
        };
        self
    }

    /// Trusts the platform's trust store (and, under rustls, uses the platform's verifier:
    /// Security Framework, Schannel, or on Linux the system's CA bundle, which honours
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR`). This is the default under `native-tls`; under
    /// rustls it needs the `platform-verifier` feature.
    ///
    /// # Errors
    ///
    /// [`build`](Self::build) returns [`Error::TlsConfig`](crate::Error::TlsConfig) when roots were also added with
    /// [`add_root_certificate_pem`](Self::add_root_certificate_pem): the platform's store
    /// cannot be combined with them (add them to the platform's store instead).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().platform_trust_store().no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    #[cfg(any(feature = "platform-verifier", feature = "native-tls"))]
    pub fn platform_trust_store(mut self) -> Self {
        self.tls.built_in = BuiltInRoots::Platform;
        self
    }

    /// Presents this client certificate to servers that ask for one (mutual TLS):
    /// `chain_pem` holds the certificate, then any intermediate certificates; `key_pem` its
    /// private key (`BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE KEY` or, under rustls,
    /// `BEGIN EC PRIVATE KEY`). The pair is checked when the Api is built; the key is never
    /// shown in `Debug` or any message.
    ///
    /// # Errors
    ///
    /// [`build`](Self::build) returns [`Error::TlsConfig`](crate::Error::TlsConfig) for a PEM that is malformed or
    /// holds no certificate or no key, and for a key that does not belong to the first
    /// certificate of the chain.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let chain = std::fs::read("/etc/myapp/client.pem")?;
    /// let key = std::fs::read("/etc/myapp/client.key")?;
    /// let api = halchemy::Api::builder()
    ///     .base_url("https://api.internal")
    ///     .client_certificate_pem(chain, key)
    ///     .no_config_file()
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client_certificate_pem(
        mut self,
        chain_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> Self {
        self.tls.client = Some((chain_pem.as_ref().to_vec(), key_pem.as_ref().to_vec()));
        self
    }
}

/// Building ureq's TLS configuration, with the checks ureq would panic on done first.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
mod backend {
    use std::sync::Arc;

    use rustls_pki_types::pem::{PemObject, SectionKind};
    use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};

    use super::{BuiltInRoots, TlsSettings, config_error};
    use crate::error::Result;

    /// Mozilla's roots as certificates: whole ones under native-tls (OpenSSL and the platform
    /// libraries read them); under rustls, built from the trust anchors ureq already links.
    #[cfg(feature = "native-tls")]
    fn mozilla() -> impl Iterator<Item = Certificate<'static>> {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()))
    }
    #[cfg(not(feature = "native-tls"))]
    use crate::tls_roots::mozilla;

    /// native-tls when it is compiled in (also when rustls is), else rustls.
    #[cfg(feature = "native-tls")]
    const PROVIDER: TlsProvider = TlsProvider::NativeTls;
    #[cfg(not(feature = "native-tls"))]
    const PROVIDER: TlsProvider = TlsProvider::Rustls;

    impl TlsSettings {
        /// ureq's TLS configuration for these settings.
        pub(crate) fn config(&self) -> Result<TlsConfig> {
            let mut added = Vec::new();
            for pem in &self.roots {
                added.extend(certificates(pem, "add_root_certificate_pem")?);
            }
            for root in &added {
                check_root(root.der())?;
            }
            let roots = match (self.built_in, added.is_empty()) {
                (BuiltInRoots::Default, true) if PROVIDER == TlsProvider::NativeTls => {
                    RootCerts::PlatformVerifier
                }
                (BuiltInRoots::Default, true) => RootCerts::WebPki,
                (BuiltInRoots::Default, false) => {
                    RootCerts::Specific(Arc::new(mozilla().chain(added).collect()))
                }
                #[cfg(any(feature = "platform-verifier", feature = "native-tls"))]
                (BuiltInRoots::Platform, true) => RootCerts::PlatformVerifier,
                #[cfg(any(feature = "platform-verifier", feature = "native-tls"))]
                (BuiltInRoots::Platform, false) => {
                    return Err(config_error(
                        "platform_trust_store cannot be combined with add_root_certificate_pem: add the roots to the platform's trust store, or drop platform_trust_store to trust mozilla's roots plus yours",
                    ));
                }
                (BuiltInRoots::None, true) => {
                    return Err(config_error(
                        "tls_built_in_roots(false) leaves no root certificate to trust: add one with add_root_certificate_pem",
                    ));
                }
                (BuiltInRoots::None, false) => RootCerts::Specific(Arc::new(added)),
            };
            let client = match &self.client {
                Some((chain, key)) => Some(client_certificate(chain, key)?),
                None => None,
            };
            Ok(TlsConfig::builder()
                .provider(PROVIDER)
                .root_certs(roots)
                .client_cert(client)
                .build())
        }
    }

    /// The certificates of a PEM text; other sections are skipped.
    fn certificates(pem: &[u8], setter: &str) -> Result<Vec<Certificate<'static>>> {
        let mut out = Vec::new();
        for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
            match section {
                Ok((SectionKind::Certificate, der)) => {
                    out.push(Certificate::from_der(&der).to_owned())
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(config_error(format!(
                        "{setter}: the certificate pem is malformed ({e}); pass `-----BEGIN CERTIFICATE-----` blocks"
                    )));
                }
            }
        }
        match out.is_empty() {
            true => Err(config_error(format!(
                "{setter}: the pem holds no certificate; pass `-----BEGIN CERTIFICATE-----` blocks{}",
                path_hint(pem)
            ))),
            false => Ok(out),
        }
    }

    /// When the "PEM" looks like a file's path, the way to read the file instead.
    fn path_hint(pem: &[u8]) -> &'static str {
        let text = String::from_utf8_lossy(pem);
        let looks_like_path = !text.contains("-----BEGIN")
            && !text.contains('\n')
            && (text.contains('/')
                || text.contains('\\')
                || text.ends_with(".pem")
                || text.ends_with(".crt"));
        match looks_like_path {
            true => " (this looks like a file's path: pass its contents, `std::fs::read(path)?`)",
            false => "",
        }
    }

    /// A root certificate the backend can use (ureq would skip it without a word).
    fn check_root(der: &[u8]) -> Result<()> {
        #[cfg(feature = "native-tls")]
        let checked = native_tls::Certificate::from_der(der)
            .map(drop)
            .map_err(|e| e.to_string());
        #[cfg(not(feature = "native-tls"))]
        let checked = rustls::RootCertStore::empty()
            .add(rustls_pki_types::CertificateDer::from(der))
            .map_err(|e| e.to_string());
        checked.map_err(|e| {
            config_error(format!(
                "add_root_certificate_pem: a certificate cannot serve as a root ({e}); pass the ca's certificate"
            ))
        })
    }

    /// The client certificate, once the key is known to belong to it.
    fn client_certificate(chain_pem: &[u8], key_pem: &[u8]) -> Result<ClientCert> {
        let chain = certificates(chain_pem, "client_certificate_pem")?;
        // The key's PEM error is not shown: it could quote a line of the key.
        let malformed = || {
            config_error(
                "client_certificate_pem: the key pem is malformed; pass the key as a `-----BEGIN PRIVATE KEY-----` block",
            )
        };
        let mut key = None;
        for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(key_pem) {
            let (kind, der) = section.map_err(|_| malformed())?;
            let is_key = matches!(
                kind,
                SectionKind::PrivateKey | SectionKind::RsaPrivateKey | SectionKind::EcPrivateKey
            );
            if is_key {
                key = Some((kind, der));
                break;
            }
        }
        let Some((kind, der)) = key else {
            return Err(config_error(
                "client_certificate_pem: the key pem holds no private key; pass a `-----BEGIN PRIVATE KEY-----` block",
            ));
        };
        let (label, der) = check_pair(&chain, kind, der)?;
        let key_pem = super::pem_block(label, &der);
        let key = PrivateKey::from_pem(key_pem.as_bytes()).map_err(|_| malformed())?;
        Ok(ClientCert::new_with_certs(&chain, key))
    }

    const MISMATCH: &str = "client_certificate_pem: the private key does not belong to the first certificate of the chain; pass the key issued with it, and the client certificate first in the chain";

    /// rustls: the key loads and matches the certificate (ureq panics otherwise). Returns the
    /// key's PEM label and DER as ureq should get them.
    #[cfg(not(feature = "native-tls"))]
    fn check_pair(
        chain: &[Certificate<'static>],
        kind: SectionKind,
        der: Vec<u8>,
    ) -> Result<(&'static str, Vec<u8>)> {
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let (label, key) = match kind {
            SectionKind::RsaPrivateKey => ("RSA PRIVATE KEY", PrivateKeyDer::Pkcs1(der.into())),
            SectionKind::EcPrivateKey => ("EC PRIVATE KEY", PrivateKeyDer::Sec1(der.into())),
            _ => ("PRIVATE KEY", PrivateKeyDer::Pkcs8(der.into())),
        };
        let certs = chain
            .iter()
            .map(|c| CertificateDer::from(c.der().to_vec()))
            .collect();
        // The provider ureq will use: the process default, else ring.
        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let der = key.secret_der().to_vec();
        match rustls::sign::CertifiedKey::from_der(certs, key, &provider) {
            Ok(_) => Ok((label, der)),
            Err(rustls::Error::InconsistentKeys(_)) => Err(config_error(MISMATCH)),
            Err(e) => Err(config_error(format!(
                "client_certificate_pem: cannot use the private key or certificate ({e}); pass an rsa, ecdsa or ed25519 key in pem"
            ))),
        }
    }

    /// native-tls: the key is PKCS#8 (ureq labels every key `PRIVATE KEY` for native-tls, so
    /// a PKCS#1 RSA key is converted), and the platform's TLS accepts the pair.
    #[cfg(feature = "native-tls")]
    fn check_pair(
        chain: &[Certificate<'static>],
        kind: SectionKind,
        der: Vec<u8>,
    ) -> Result<(&'static str, Vec<u8>)> {
        let der = match kind {
            SectionKind::RsaPrivateKey => super::pkcs1_to_pkcs8(&der),
            SectionKind::EcPrivateKey => {
                return Err(config_error(
                    "client_certificate_pem: native-tls needs the ec key as pkcs#8; convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem` and pass the `-----BEGIN PRIVATE KEY-----` block",
                ));
            }
            _ => der,
        };
        let chain_pem: String = chain
            .iter()
            .map(|c| super::pem_block("CERTIFICATE", c.der()))
            .collect();
        let key_pem = super::pem_block("PRIVATE KEY", &der);
        let identity = native_tls::Identity::from_pkcs8(chain_pem.as_bytes(), key_pem.as_bytes())
            .map_err(|e| {
                config_error(format!(
                    "client_certificate_pem: the platform's tls cannot read the certificate or key ({e}); pass an rsa or ecdsa key in pem"
                ))
            })?;
        native_tls::TlsConnector::builder()
            .identity(identity)
            .build()
            .map_err(|e| config_error(format!("{MISMATCH} ({e})")))?;
        Ok(("PRIVATE KEY", der))
    }
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn config_error(message: impl Into<String>) -> crate::Error {
    crate::Error::TlsConfig {
        message: message.into(),
    }
}

/// A PEM block: `label`, then the base64 of `der` in lines of 64.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = crate::url::base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A PKCS#1 `RSAPrivateKey` wrapped as a PKCS#8 `PrivateKeyInfo` (RFC 5208): version 0, the
/// `rsaEncryption` algorithm, the key as an octet string.
#[cfg(any(test, feature = "native-tls"))]
fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    const VERSION_AND_ALGORITHM: [u8; 18] = [
        0x02, 0x01, 0x00, // INTEGER 0
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
        0x00, // SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }
    ];
    let mut octets = vec![0x04];
    der_length(&mut octets, pkcs1.len());
    octets.extend_from_slice(pkcs1);
    let mut out = vec![0x30];
    der_length(&mut out, VERSION_AND_ALGORITHM.len() + octets.len());
    out.extend_from_slice(&VERSION_AND_ALGORITHM);
    out.extend_from_slice(&octets);
    out
}

/// A DER length: short form below 128, else the long form.
#[cfg(any(test, feature = "native-tls"))]
fn der_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// Whether an I/O error of a request to an `https` URL (`https`) came from TLS. rustls's
/// errors arrive as `InvalidData` I/O errors (with rustls compiled in they are recognised by
/// type); native-tls's after the handshake (an alert such as "certificate required" under
/// TLS 1.3) as `Other` I/O errors wrapping the platform's TLS error, told by its words.
pub(crate) fn is_tls_io(io: &std::io::Error, https: bool) -> bool {
    #[cfg(feature = "rustls")]
    if io.get_ref().is_some_and(|e| e.is::<rustls::Error>()) {
        return true;
    }
    let platform_tls = || {
        io.get_ref().is_some_and(|e| {
            let text = e.to_string().to_ascii_lowercase();
            ["ssl", "tls", "certificate", "alert"]
                .iter()
                .any(|w| text.contains(w))
        })
    };
    https
        && match io.kind() {
            std::io::ErrorKind::InvalidData => true,
            std::io::ErrorKind::Other => platform_tls(),
            _ => false,
        }
}

/// What a TLS failure with `host` means and what to do, in words: an untrusted issuer, a
/// certificate for another name, an expired one, a client certificate refused. No backend
/// reports an untrusted issuer's name; the transport reads it afterwards (`tls_probe`) and
/// names it.
pub(crate) fn explain(e: &ureq::Error, host: &str) -> String {
    #[cfg(feature = "rustls")]
    if let Some(r) = rustls_error(e) {
        return explain_rustls(r, host);
    }
    let text = match e {
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    };
    explain_text(&text, host)
}

#[cfg(feature = "rustls")]
fn rustls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

const ADD_ROOT: &str = "if you trust it, add the ca that signed it with ApiBuilder::add_root_certificate_pem (or put it in the platform's trust store)";

fn untrusted(host: &str) -> String {
    format!(
        "the certificate of {host} is signed by an issuer that is not trusted here (unknown issuer); {ADD_ROOT}"
    )
}

/// [`untrusted`], naming the issuer the certificate gives.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
pub(crate) fn untrusted_by(host: &str, issuer: &str) -> String {
    format!(
        "the certificate of {host} is issued by \"{issuer}\", which is not trusted here (unknown issuer); {ADD_ROOT}"
    )
}

fn name_mismatch(host: &str, presented: &str) -> String {
    format!(
        "the certificate presented by {host} is not valid for that name (name mismatch{presented}); use the host name the certificate was issued for in the url"
    )
}

fn client_refused(host: &str, what: &str) -> String {
    format!(
        "{host} refused the connection over the client certificate ({what}): set one with ApiBuilder::client_certificate_pem, issued by a ca that {host} trusts"
    )
}

#[cfg(feature = "rustls")]
fn explain_rustls(e: &rustls::Error, host: &str) -> String {
    use rustls::{AlertDescription as Alert, CertificateError as Cert};
    let expired = "the server must renew it, or this machine's clock is wrong";
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            Cert::UnknownIssuer => untrusted(host),
            Cert::NotValidForName => name_mismatch(host, ""),
            Cert::NotValidForNameContext { presented, .. } => {
                // rustls writes them as `DnsName("a.example")` and `IpAddress(10.0.0.1)`.
                let names: Vec<&str> = presented
                    .iter()
                    .map(|p| {
                        let inner = p.split_once('(').map_or(p.as_str(), |(_, rest)| rest);
                        inner.trim_end_matches(')').trim_matches('"')
                    })
                    .collect();
                name_mismatch(host, &format!(": it is for {}", names.join(", ")))
            }
            Cert::Expired => format!("the certificate of {host} has expired; {expired}"),
            Cert::ExpiredContext { time, not_after } => {
                let days = time.as_secs().saturating_sub(not_after.as_secs()) / 86_400;
                format!("the certificate of {host} expired {days} days ago; {expired}")
            }
            Cert::NotValidYet | Cert::NotValidYetContext { .. } => {
                format!("the certificate of {host} is not valid yet; check this machine's clock")
            }
            Cert::Revoked => format!("the certificate of {host} has been revoked"),
            other => format!(
                "the certificate of {host} is not acceptable ({other:?}); check the certificate the server presents"
            ),
        },
        rustls::Error::AlertReceived(Alert::CertificateRequired) => format!(
            "{host} requires a client certificate and none was sent: set one with ApiBuilder::client_certificate_pem"
        ),
        rustls::Error::AlertReceived(
            a @ (Alert::BadCertificate
            | Alert::UnknownCA
            | Alert::UnsupportedCertificate
            | Alert::CertificateUnknown
            | Alert::CertificateRevoked
            | Alert::CertificateExpired
            | Alert::AccessDenied),
        ) => client_refused(host, &format!("alert {a:?}")),
        other => generic(host, &other.to_string()),
    }
}

/// The same from an error's text: OpenSSL's, Schannel's and Security Framework's words.
/// Whether a backend's message (lowercase) says the certificate's issuer is not trusted.
pub(crate) fn says_untrusted(lower: &str) -> bool {
    [
        "unable to get local issuer certificate",
        "unable to get issuer certificate",
        "self-signed certificate",
        "self signed certificate",
        "unable to verify the first certificate",
        "not trusted",
        "untrusted root",
    ]
    .iter()
    .any(|n| lower.contains(n))
}

fn explain_text(text: &str, host: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if says_untrusted(&lower) {
        untrusted(host)
    } else if has(&[
        "hostname mismatch",
        "ip address mismatch",
        "principal name is incorrect",
        "does not match",
    ]) {
        name_mismatch(host, "")
    } else if has(&["certificate has expired", "certificate expired"]) {
        format!(
            "the certificate of {host} has expired; the server must renew it, or this machine's clock is wrong"
        )
    } else if has(&["certificate required"]) {
        format!(
            "{host} requires a client certificate and none was sent: set one with ApiBuilder::client_certificate_pem"
        )
    } else if has(&[
        "alert bad certificate",
        "alert unknown ca",
        "alert certificate unknown",
    ]) {
        client_refused(host, text)
    } else {
        generic(host, text)
    }
}

fn generic(host: &str, text: &str) -> String {
    format!(
        "the tls handshake with {host} failed ({text}); check that {host} speaks https and that its certificate is valid"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs1_keys_are_wrapped_as_pkcs8() {
        // `openssl pkcs8 -topk8 -nocrypt` of a PKCS#1 key is this wrapping, whatever the key.
        let inner = vec![0x30, 0x03, 0x02, 0x01, 0x00];
        assert_eq!(
            pkcs1_to_pkcs8(&inner),
            [
                &[0x30, 0x19][..],
                &[0x02, 0x01, 0x00],
                &[
                    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01
                ],
                &[0x05, 0x00, 0x04, 0x05],
                &inner,
            ]
            .concat()
        );
        // A real key is longer than 127 bytes: long-form lengths.
        let long = vec![7; 1190];
        let out = pkcs1_to_pkcs8(&long);
        assert_eq!(&out[..4], &[0x30, 0x82, 0x04, 0xbc]); // 18 + 4 + 1190 = 1212
        assert_eq!(&out[22..26], &[0x04, 0x82, 0x04, 0xa6]);
        assert_eq!(out.len(), 4 + 1212);
    }

    #[test]
    fn failures_are_explained_from_openssl_words() {
        let cases = [
            (
                "error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed (unable to get local issuer certificate)",
                "not trusted",
            ),
            (
                "certificate verify failed (Hostname mismatch)",
                "name mismatch",
            ),
            (
                "certificate verify failed (certificate has expired)",
                "expired",
            ),
            (
                "ssl3_read_bytes:tlsv13 alert certificate required",
                "requires a client certificate",
            ),
            ("connection reset", "handshake with h.example failed"),
        ];
        for (text, expected) in cases {
            let message = explain_text(text, "h.example");
            assert!(message.contains(expected), "{text} -> {message}");
            assert!(message.contains("h.example"), "{message}");
        }
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn rustls_failures_say_why() {
        use rustls::CertificateError as Cert;
        let cases = [
            (Cert::UnknownIssuer, "issuer that is not trusted"),
            (Cert::NotValidForName, "not valid for that name"),
            (Cert::Expired, "has expired"),
        ];
        for (cert, expected) in cases {
            let e = ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(cert),
            ));
            let message = explain(&e, "127.0.0.1");
            assert!(message.contains(expected), "{message}");
            assert!(
                message.contains("certificate of 127.0.0.1")
                    || message.contains("presented by 127.0.0.1"),
                "{message}"
            );
        }
    }
}
