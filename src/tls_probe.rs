//! Which issuer a server's certificate names, for the message of an "unknown issuer" failure:
//! no TLS backend reports it, so after such a failure (and only then) halchemy opens one more
//! connection, reads the certificate the server presents, and ends the connection without
//! sending a request on it. Never through a proxy.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The issuer named by the certificate `host:port` presents (`CN=…, O=…`), or `None` when it
/// cannot be read within `timeout`, which bounds the whole probe.
pub(crate) fn issuer(host: &str, port: u16, timeout: Duration) -> Option<String> {
    let der = backend::presented_certificate(host, port, timeout).ok()??;
    issuer_name(&der)
}

/// A connection to `host:port` that gives up `timeout` from now.
fn connect(host: &str, port: u16, timeout: Duration) -> io::Result<Bounded> {
    let until = Instant::now() + timeout;
    let address: SocketAddr = (host.trim_matches(['[', ']']), port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::other("no address"))?;
    let left = until.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    let socket = TcpStream::connect_timeout(&address, left)?;
    Ok(Bounded { socket, until })
}

/// A connection with one deadline: every read and write waits at most the time left, so a
/// server that sends one byte at a time cannot hold the probe past it.
#[derive(Debug)]
struct Bounded {
    socket: TcpStream,
    until: Instant,
}

impl Bounded {
    fn left(&self) -> io::Result<Duration> {
        match self.until.saturating_duration_since(Instant::now()) {
            left if left.is_zero() => Err(io::ErrorKind::TimedOut.into()),
            left => Ok(left),
        }
    }
}

impl io::Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.set_read_timeout(Some(self.left()?))?;
        self.socket.read(buf)
    }
}

impl io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.socket.set_write_timeout(Some(self.left()?))?;
        self.socket.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.socket.flush()
    }
}

/// Under native-tls: its own errors are text (OpenSSL's, Schannel's, Security Framework's).
#[cfg(feature = "native-tls")]
mod backend {
    use super::*;

    pub(crate) fn is_unknown_issuer(e: &ureq::Error) -> bool {
        let text = match e {
            ureq::Error::Io(io) => io.to_string(),
            other => other.to_string(),
        };
        crate::tls::says_untrusted(&text.to_ascii_lowercase())
    }

    pub(super) fn presented_certificate(
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> io::Result<Option<Vec<u8>>> {
        // Verification off: the certificate is only read, never trusted, and nothing is sent.
        let connector = native_tls::TlsConnector::builder()
            .danger_accept_invalid_certs(true)
            .danger_accept_invalid_hostnames(true)
            .build()
            .map_err(io::Error::other)?;
        let socket = connect(host, port, timeout)?;
        let stream = connector
            .connect(host.trim_matches(['[', ']']), socket)
            .map_err(io::Error::other)?;
        let der = stream
            .peer_certificate()
            .map_err(io::Error::other)?
            .map(|c| c.to_der())
            .transpose()
            .map_err(io::Error::other)?;
        Ok(der)
    }
}

/// Under rustls: its error says "unknown issuer" by type.
#[cfg(not(feature = "native-tls"))]
mod backend {
    use std::sync::{Arc, Mutex};

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

    use super::*;

    /// Records the end-entity certificate and ends the handshake.
    #[derive(Debug)]
    struct Recorder {
        seen: Mutex<Option<Vec<u8>>>,
        schemes: Vec<SignatureScheme>,
    }

    impl ServerCertVerifier for Recorder {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            if let Ok(mut seen) = self.seen.lock() {
                *seen = Some(end_entity.as_ref().to_vec());
            }
            // Never trusted: the probe only reads the certificate.
            Err(rustls::Error::General(
                "read the certificate; stopping".into(),
            ))
        }

        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            Err(rustls::Error::General("not verified by the probe".into()))
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            signature: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.verify_tls12_signature(message, cert, signature)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.schemes.clone()
        }
    }

    pub(crate) fn is_unknown_issuer(e: &ureq::Error) -> bool {
        let r = match e {
            ureq::Error::Rustls(r) => Some(r),
            ureq::Error::Io(io) => io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()),
            _ => None,
        };
        matches!(
            r,
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        )
    }

    pub(super) fn presented_certificate(
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> io::Result<Option<Vec<u8>>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let recorder = Arc::new(Recorder {
            seen: Mutex::new(None),
            schemes: provider
                .signature_verification_algorithms
                .supported_schemes(),
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        let name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
            .map_err(io::Error::other)?;
        let mut conn = ClientConnection::new(Arc::new(config), name).map_err(io::Error::other)?;
        let mut socket = connect(host, port, timeout)?;
        // The handshake ends in the recorder's error as soon as the certificate is in.
        while conn.is_handshaking() {
            if conn.complete_io(&mut socket).is_err() {
                break;
            }
        }
        Ok(recorder.seen.lock().ok().and_then(|s| s.clone()))
    }
}

pub(crate) use backend::is_unknown_issuer;

/// The issuer of a DER certificate as `CN=…, O=…` (the common name and organization), or
/// `None` when the certificate cannot be read.
pub(crate) fn issuer_name(der: &[u8]) -> Option<String> {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
    //   serialNumber, signature AlgorithmIdentifier, issuer Name, ... }, ... }
    let (_, cert, _) = element(der)?;
    let (_, tbs, _) = element(cert)?;
    let mut rest = tbs;
    let (tag, _, after) = element(rest)?;
    if tag == 0xa0 {
        rest = after; // the version
    }
    let (_, _, after) = element(rest)?; // the serial number
    let (_, _, after) = element(after)?; // the signature algorithm
    let (_, issuer, _) = element(after)?;
    let mut parts = Vec::new();
    let mut rdns = issuer;
    while !rdns.is_empty() {
        let (_, set, next) = element(rdns)?;
        rdns = next;
        let mut attributes = set;
        while !attributes.is_empty() {
            let (_, attribute, next) = element(attributes)?;
            attributes = next;
            let (_, oid, value_part) = element(attribute)?;
            let (value_tag, value, _) = element(value_part)?;
            let label = match oid {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x0a] => "O",
                _ => continue,
            };
            let text = match value_tag {
                // BMPString: UTF-16 big-endian.
                0x1e => String::from_utf16_lossy(
                    &value
                        .chunks(2)
                        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                        .collect::<Vec<_>>(),
                ),
                _ => String::from_utf8_lossy(value).into_owned(),
            };
            parts.push(format!("{label}={text}"));
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// One DER element: its tag, its contents and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    Some((tag, input.get(header..end)?, input.get(end..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_is_read_from_a_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["server.example".into()]).unwrap();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, "Private Root CA");
        dn.push(rcgen::DnType::OrganizationName, "Pawnee Parks");
        params.distinguished_name = dn;
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            issuer_name(cert.der()).as_deref(),
            Some("CN=Private Root CA, O=Pawnee Parks")
        );
        for bad in [
            &b""[..],
            b"\x30",
            b"\x30\x85\xff\xff\xff\xff\xff",
            b"\x30\x02\x30\x00",
        ] {
            assert_eq!(issuer_name(bad), None);
        }
    }
}
