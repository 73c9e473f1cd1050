//! Mozilla's root certificates as ureq's `RootCerts::Specific` needs them, under rustls.
//!
//! ureq trusts either its built-in roots or a list of certificates, so "Mozilla's roots plus
//! yours" needs Mozilla's roots as certificates. ureq's `rustls` feature already links them as
//! trust anchors (`webpki-roots`: subject, public key, name constraints); linking them a second
//! time as whole certificates (`webpki-root-certs`) would add about 127 KB to every program.
//! Instead, each anchor is wrapped in the smallest X.509 certificate that carries it (RFC 5914
//! §2: a trust anchor may be conveyed as a certificate). rustls reads a root certificate only
//! for its anchor (`webpki::anchor_from_trusted_cert`: subject, key and name constraints; no
//! signature, validity or extension other than name constraints is looked at), so the anchor
//! it reads back is the one wrapped, byte for byte: a unit test checks that for every root.

use rustls_pki_types::TrustAnchor;
use ureq::tls::Certificate;

/// Mozilla's roots, each as a certificate.
pub(crate) fn mozilla() -> impl Iterator<Item = Certificate<'static>> {
    webpki_roots::TLS_SERVER_ROOTS
        .iter()
        .map(|anchor| Certificate::from_der(&certificate(anchor)).to_owned())
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0]` and `[3]`, constructed: the version and the extensions of a TBSCertificate.
const VERSION: u8 = 0xa0;
const EXTENSIONS: u8 = 0xa3;

/// AlgorithmIdentifier for ecdsa-with-SHA256; the signature it names is empty, since nothing
/// checks a trust anchor's signature.
const ALGORITHM: &[u8] = &[
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
];
/// The OID of the name constraints extension, 2.5.29.30, with its tag.
const NAME_CONSTRAINTS: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x1e];

/// A DER X.509 v3 certificate whose subject, public key and name constraints are the anchor's.
fn certificate(anchor: &TrustAnchor<'_>) -> Vec<u8> {
    let name = tlv(SEQUENCE, &[&anchor.subject]);
    let validity = tlv(
        SEQUENCE,
        &[
            &tlv(UTC_TIME, &[b"000101000000Z"]),
            &tlv(GENERALIZED_TIME, &[b"99991231235959Z"]),
        ],
    );
    let extensions = anchor.name_constraints.as_ref().map(|constraints| {
        let value = tlv(SEQUENCE, &[constraints]);
        let extension = tlv(SEQUENCE, &[NAME_CONSTRAINTS, &tlv(OCTET_STRING, &[&value])]);
        tlv(EXTENSIONS, &[&tlv(SEQUENCE, &[&extension])])
    });
    let tbs = tlv(
        SEQUENCE,
        &[
            &tlv(VERSION, &[&tlv(INTEGER, &[&[2]])]),
            &tlv(INTEGER, &[&[1]]),
            ALGORITHM,
            &name,
            &validity,
            &name,
            &tlv(SEQUENCE, &[&anchor.subject_public_key_info]),
            extensions.as_deref().unwrap_or_default(),
        ],
    );
    tlv(SEQUENCE, &[&tbs, ALGORITHM, &tlv(BIT_STRING, &[&[0]])])
}

/// One DER element: the tag, the definite length, then the parts.
fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|part| part.len()).sum();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    match len {
        0..0x80 => out.push(len as u8),
        _ => {
            let bytes = len.to_be_bytes();
            let first = bytes
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(bytes.len() - 1);
            out.push(0x80 | (bytes.len() - first) as u8);
            out.extend_from_slice(&bytes[first..]);
        }
    }
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use rustls::RootCertStore;
    use rustls_pki_types::CertificateDer;

    use super::*;

    /// What rustls reads back from each certificate: the anchor, byte for byte.
    fn read_back(der: Vec<u8>) -> TrustAnchor<'static> {
        let mut store = RootCertStore::empty();
        store
            .add(CertificateDer::from(der))
            .expect("rustls reads it");
        assert_eq!(store.roots.len(), 1);
        store.roots.remove(0)
    }

    #[test]
    fn every_mozilla_root_reads_back_as_its_anchor() {
        let anchors = webpki_roots::TLS_SERVER_ROOTS;
        assert!(anchors.len() > 100, "{} roots", anchors.len());
        let certs: Vec<_> = mozilla().collect();
        assert_eq!(certs.len(), anchors.len());
        for (cert, anchor) in certs.iter().zip(anchors) {
            assert_eq!(&read_back(cert.der().to_vec()), anchor);
        }
    }

    #[test]
    fn name_constraints_are_kept() {
        let constrained: Vec<_> = webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .filter(|anchor| anchor.name_constraints.is_some())
            .collect();
        assert!(!constrained.is_empty(), "mozilla has a constrained root");
        for anchor in constrained {
            let back = read_back(certificate(anchor));
            assert_eq!(back.name_constraints, anchor.name_constraints);
        }
    }

    #[test]
    fn lengths_of_every_size_are_encoded() {
        assert_eq!(tlv(0x04, &[&[7; 0x7f]])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(0x04, &[&[7; 0x80]])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[&[7; 0x1234]])[..4], [0x04, 0x82, 0x12, 0x34]);
        assert_eq!(
            tlv(0x04, &[&[7; 0x012345]])[..5],
            [0x04, 0x83, 0x01, 0x23, 0x45]
        );
    }
}
