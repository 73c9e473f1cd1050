//! TLS against a real TLS server on loopback: a CA and certificates made at test time
//! (rcgen), served by rustls on a std `TcpListener`. The same tests run under the default
//! rustls backend and under `native-tls` (`cargo test --no-default-features --features
//! native-tls --test tls`).
#![cfg(any(feature = "rustls", feature = "native-tls"))]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use halchemy::{Api, ApiBuilder, Error, NetworkErrorKind};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority made for one test.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, as PEM and DER.
struct Issued {
    pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A certificate for `names` (IP addresses or DNS names), for a server or a client.
    fn issue(&self, names: &[&str], purpose: ExtendedKeyUsagePurpose) -> Issued {
        self.issue_with(names, purpose, |_| {})
    }

    fn issue_with(
        &self,
        names: &[&str],
        purpose: ExtendedKeyUsagePurpose,
        edit: impl FnOnce(&mut CertificateParams),
    ) -> Issued {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "halchemy test");
        params.extended_key_usages = vec![purpose];
        edit(&mut params);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Issued {
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }

    fn server(&self, names: &[&str]) -> Issued {
        self.issue(names, ExtendedKeyUsagePurpose::ServerAuth)
    }
}

/// A TLS server on 127.0.0.1 answering every request with a small HAL document, counting the
/// requests that got through the handshake.
struct TlsServer {
    port: u16,
    served: Arc<AtomicUsize>,
}

impl TlsServer {
    /// Serves `cert`; with `client_ca`, only to clients presenting a certificate it signed.
    fn start(cert: &Issued, client_ca: Option<&Ca>) -> TlsServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(ca.issuer.der().clone()).unwrap();
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone()));
        let config = Arc::new(
            builder
                .with_single_cert(vec![cert.der.clone()], key)
                .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&served);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, counter) = (Arc::clone(&config), Arc::clone(&counter));
                std::thread::spawn(move || serve(config, stream, &counter));
            }
        });
        TlsServer { port, served }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

/// One connection: the handshake, one request, one response, close.
fn serve(config: Arc<rustls::ServerConfig>, stream: std::net::TcpStream, served: &AtomicUsize) {
    let Ok(connection) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut head = Vec::new();
    let mut chunk = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    served.fetch_add(1, Ordering::SeqCst);
    let body = r#"{"_links": {"self": {"href": "/"}}, "secure": true}"#;
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/hal+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tls.write_all(response.as_bytes());
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

fn builder(server: &TlsServer) -> ApiBuilder {
    Api::builder()
        .base_url(server.url())
        .no_config_file()
        .no_proxy()
}

/// The message of a TLS failure, after checking it is one.
fn tls_failure(result: halchemy::Result<halchemy::Resource>) -> String {
    match result {
        Err(Error::Network(e)) if e.kind() == NetworkErrorKind::Tls => {
            eprintln!("{e}");
            e.to_string()
        }
        other => panic!("expected a tls failure, got {other:?}"),
    }
}

fn config_error(result: halchemy::Result<Api>) -> String {
    match result {
        Err(Error::TlsConfig { message }) => {
            eprintln!("{message}");
            message
        }
        other => panic!("expected a tls setting error, got {other:?}"),
    }
}

#[test]
fn a_server_signed_by_an_unknown_ca_fails_naming_the_host_and_the_untrusted_issuer() {
    let ca = Ca::new("unknown test ca");
    let server = TlsServer::start(&ca.server(&["127.0.0.1"]), None);
    let api = builder(&server).build().unwrap();
    let message = tls_failure(api.home().get());
    assert!(
        message.contains("certificate of 127.0.0.1") && message.contains("not trusted"),
        "{message}"
    );
    assert!(message.contains("add_root_certificate_pem"), "{message}");
    // The message names the issuer, read from the certificate the server presents (no
    // backend reports it).
    assert!(message.contains("\"CN=unknown test ca\""), "{message}");
    assert_eq!(server.served(), 0);
}

#[test]
fn an_added_root_makes_it_trusted_with_or_without_the_built_in_roots() {
    let ca = Ca::new("private ca");
    let server = TlsServer::start(&ca.server(&["127.0.0.1"]), None);
    let api = builder(&server)
        .add_root_certificate_pem(ca.pem())
        .build()
        .unwrap();
    let home = api.home().get().unwrap();
    assert_eq!((home.status(), &home["secure"]), (200, &true.into()));

    let only = builder(&server)
        .add_root_certificate_pem(ca.pem())
        .tls_built_in_roots(false)
        .build()
        .unwrap();
    assert_eq!(only.home().get().unwrap().status(), 200);
    assert_eq!(server.served(), 2);
}

#[test]
fn a_certificate_for_another_name_is_a_name_mismatch() {
    let ca = Ca::new("private ca");
    let server = TlsServer::start(&ca.server(&["api.example"]), None);
    let api = builder(&server)
        .add_root_certificate_pem(ca.pem())
        .build()
        .unwrap();
    let message = tls_failure(api.home().get());
    assert!(
        message.contains("presented by 127.0.0.1") && message.contains("name mismatch"),
        "{message}"
    );
    assert_eq!(server.served(), 0);
}

#[test]
fn an_expired_certificate_says_so() {
    let ca = Ca::new("private ca");
    let expired = ca.issue_with(&["127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth, |p| {
        p.not_before = rcgen::date_time_ymd(1999, 1, 1);
        p.not_after = rcgen::date_time_ymd(2000, 1, 1);
    });
    let server = TlsServer::start(&expired, None);
    let api = builder(&server)
        .add_root_certificate_pem(ca.pem())
        .build()
        .unwrap();
    let message = tls_failure(api.home().get());
    assert!(
        message.contains("certificate of 127.0.0.1") && message.contains("expired"),
        "{message}"
    );
}

#[test]
fn a_server_that_requires_a_client_certificate_gets_one_when_it_is_set() {
    let ca = Ca::new("private ca");
    let server = TlsServer::start(&ca.server(&["127.0.0.1"]), Some(&ca));

    let without = builder(&server)
        .add_root_certificate_pem(ca.pem())
        .build()
        .unwrap();
    let message = tls_failure(without.home().get());
    assert!(
        message.contains("127.0.0.1") && message.contains("client certificate"),
        "{message}"
    );
    assert_eq!(server.served(), 0);

    let client = ca.issue(&["client.example"], ExtendedKeyUsagePurpose::ClientAuth);
    let chain = format!("{}{}", client.pem, ca.pem());
    let with = builder(&server)
        .add_root_certificate_pem(ca.pem())
        .client_certificate_pem(chain, &client.key_pem)
        .build()
        .unwrap();
    assert_eq!(with.home().get().unwrap().status(), 200);
    assert_eq!(server.served(), 1);
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_is_an_error_at_build() {
    let ca = Ca::new("private ca");
    let client = ca.issue(&["client.example"], ExtendedKeyUsagePurpose::ClientAuth);
    let other = ca.issue(&["other.example"], ExtendedKeyUsagePurpose::ClientAuth);
    let builder = Api::builder()
        .no_config_file()
        .client_certificate_pem(&client.pem, &other.key_pem);
    let shown = format!("{builder:?}");
    let secret_line = other.key_pem.lines().nth(1).unwrap();
    assert!(!shown.contains(secret_line), "{shown}");
    assert!(shown.contains("key redacted"), "{shown}");

    let message = config_error(builder.build());
    assert!(message.contains("does not belong"), "{message}");
    assert!(!message.contains(secret_line));
}

#[test]
fn unusable_tls_settings_are_errors_at_build_that_say_what_to_pass() {
    let base = || Api::builder().no_config_file();
    let message = config_error(base().add_root_certificate_pem("not a certificate").build());
    assert!(message.contains("holds no certificate"), "{message}");
    assert!(!message.contains("path"), "{message}");
    // A path passed where the PEM's contents belong: the message says to read the file.
    let message = config_error(base().add_root_certificate_pem("/etc/myapp/ca.pem").build());
    assert!(message.contains("std::fs::read(path)"), "{message}");

    let message = config_error(
        base()
            .add_root_certificate_pem(
                "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
            )
            .build(),
    );
    assert!(message.contains("add_root_certificate_pem"), "{message}");

    let message = config_error(base().tls_built_in_roots(false).build());
    assert!(message.contains("no root certificate"), "{message}");

    let ca = Ca::new("private ca");
    let client = ca.issue(&["client.example"], ExtendedKeyUsagePurpose::ClientAuth);
    let message = config_error(
        base()
            .client_certificate_pem(&client.pem, "no key here")
            .build(),
    );
    assert!(message.contains("no private key"), "{message}");
    let message = config_error(base().client_certificate_pem("", &client.key_pem).build());
    assert!(message.contains("holds no certificate"), "{message}");
}

#[cfg(any(feature = "platform-verifier", feature = "native-tls"))]
#[test]
fn the_platform_store_cannot_be_combined_with_added_roots() {
    let ca = Ca::new("private ca");
    let message = config_error(
        Api::builder()
            .no_config_file()
            .platform_trust_store()
            .add_root_certificate_pem(ca.pem())
            .build(),
    );
    assert!(message.contains("platform_trust_store"), "{message}");
    // Alone it builds.
    Api::builder()
        .no_config_file()
        .platform_trust_store()
        .build()
        .unwrap();
}

/// The contents of the DER element at the start of `der`, and what follows it.
fn der_element(der: &[u8]) -> (&[u8], &[u8]) {
    let (len, header) = match der[1] {
        n if n < 0x80 => (usize::from(n), 2),
        n => {
            let count = usize::from(n & 0x7f);
            let len = der[2..2 + count]
                .iter()
                .fold(0, |acc, b| (acc << 8) | usize::from(*b));
            (len, 2 + count)
        }
    };
    (&der[header..header + len], &der[header + len..])
}

fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            match i <= chunk.len() {
                true => b64.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize])),
                false => b64.push('='),
            }
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[test]
fn an_rsa_key_in_pkcs1_form_works_as_a_client_key() {
    // native-tls gets every key labelled as PKCS#8 from ureq: halchemy converts PKCS#1 first.
    let pkcs8_pem = include_str!("data/rsa-test-key.pem");
    let pkcs8_pem = &pkcs8_pem[pkcs8_pem.find("-----BEGIN").unwrap()..];
    let key = KeyPair::from_pem(pkcs8_pem).unwrap();
    // PrivateKeyInfo ::= SEQUENCE { version, algorithm, privateKey OCTET STRING (PKCS#1) }
    let der = key.serialize_der();
    let (info, _) = der_element(&der);
    let (_, rest) = der_element(info); // version
    let (_, rest) = der_element(rest); // algorithm
    let (pkcs1, _) = der_element(rest);
    let pkcs1_pem = pem("RSA PRIVATE KEY", pkcs1);

    let ca = Ca::new("private ca");
    let server = TlsServer::start(&ca.server(&["127.0.0.1"]), Some(&ca));
    let mut params = CertificateParams::new(vec!["client.example".to_owned()]).unwrap();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    let api = builder(&server)
        .add_root_certificate_pem(ca.pem())
        .client_certificate_pem(cert.pem(), pkcs1_pem)
        .build()
        .unwrap();
    assert_eq!(api.home().get().unwrap().status(), 200);
    assert_eq!(server.served(), 1);
}

#[test]
fn the_issuer_probe_stays_within_the_calls_timeout() {
    // The first connection is a TLS server whose issuer is unknown; every later one (the
    // probe's) answers the ClientHello with the start of a record, then one byte every 200 ms
    // for 30 s, and reports whether the client hung up before that.
    let ca = Ca::new("dripping ca");
    let cert = ca.server(&["127.0.0.1"]);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone()));
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der.clone()], key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (hung_up, probe_ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (i, mut stream) in listener.incoming().flatten().enumerate() {
            let config = Arc::clone(&config);
            if i == 0 {
                std::thread::spawn(move || serve(config, stream, &AtomicUsize::new(0)));
                continue;
            }
            let hung_up = hung_up.clone();
            std::thread::spawn(move || {
                let _ = stream.read(&mut [0; 4096]);
                let _ = stream.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]);
                for _ in 0..150 {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    if stream.write_all(&[0]).is_err() {
                        let _ = hung_up.send(true);
                        return;
                    }
                }
                let _ = hung_up.send(false);
            });
        }
    });
    let api = Api::builder()
        .base_url(format!("https://127.0.0.1:{port}"))
        .timeout(Some(std::time::Duration::from_secs(1)))
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    let message = tls_failure(api.home().get());
    assert!(message.contains("not trusted"), "{message}");
    // One deadline per call: when the call returned, the probe had hung up on the dripping
    // server (it did not wait for the server to stop sending).
    let client_hung_up = probe_ended.recv().expect("the probe connected");
    assert!(
        client_hung_up,
        "the probe read until the server stopped sending"
    );
}
