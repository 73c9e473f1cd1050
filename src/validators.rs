//! Validators: the `ETag` and `Last-Modified` that name the version a resource's data is.
//!
//! They are kept byte-exact (an ETag may hold obs-text bytes, RFC 9110 §8.8.3) and sent back
//! byte-exact. This module is the one place that reads them from a response.

use serde_json::Value;
use ureq::http::header::{ETAG, LAST_MODIFIED};
use ureq::http::{HeaderMap, HeaderValue};

/// Where a resource's ETag comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum ETag {
    /// None known.
    #[default]
    None,
    /// The document's etag field (`_etag` unless configured), read from the data: items of a
    /// page and documents held in hand. Nothing is copied per item.
    Field,
    /// An `ETag` header, byte for byte; `shown` is its text when the bytes are not UTF-8.
    Header {
        raw: HeaderValue,
        shown: Option<Box<str>>,
    },
    /// An etag field's text that no header can carry (a control character): a write that
    /// needs it is refused, never sent without it.
    Unsendable(Box<str>),
}

/// A resource's validators. They always describe the same version as its data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Validators {
    pub etag: ETag,
    pub last_modified: Option<HeaderValue>,
    /// The resource was deleted through this copy: no version of it exists that a write
    /// could name, so a write recreating it asks for none (`If-None-Match: *`).
    pub deleted: bool,
    /// The data is an excerpt, a write's answer that is not a representation (Eve's
    /// `{"_id", "_etag", "_status"}`): neither it nor its items name a version, whatever
    /// etag fields they hold.
    pub excerpt: bool,
    /// The data was worked out here (a write's body or merge patch applied to the version
    /// read), not read: what the server keeps itself (links that depend on the state, fields
    /// it computes) may differ, so `refresh` asks for the whole representation, never a 304.
    pub predicted: bool,
}

impl ETag {
    pub(crate) fn header(raw: HeaderValue) -> ETag {
        if raw.as_bytes().iter().all(u8::is_ascii_whitespace) {
            return ETag::None;
        }
        let shown = match raw.to_str() {
            Ok(_) => None,
            Err(_) => Some(String::from_utf8_lossy(raw.as_bytes()).into()),
        };
        ETag::Header { raw, shown }
    }

    /// The ETag as text (obs-text bytes shown as U+FFFD), given the data and its etag field.
    pub(crate) fn text<'a>(&'a self, data: &'a Value, field: &str) -> Option<&'a str> {
        match self {
            ETag::None => None,
            ETag::Field => field_etag(data, field),
            ETag::Header { raw, shown } => match shown {
                Some(s) => Some(s),
                None => raw.to_str().ok(),
            },
            ETag::Unsendable(text) => Some(text),
        }
    }

    /// The exact value to send as `If-Match` / `If-None-Match`.
    pub(crate) fn value(&self, data: &Value, field: &str) -> Option<HeaderValue> {
        match self {
            ETag::None => None,
            ETag::Field => field_etag(data, field).and_then(|t| HeaderValue::from_str(t).ok()),
            ETag::Header { raw, .. } => Some(raw.clone()),
            ETag::Unsendable(_) => None,
        }
    }

    /// The same ETag, no longer read from the data (before the data is edited in hand).
    pub(crate) fn pinned(&self, data: &Value, field: &str) -> ETag {
        match self {
            ETag::Field => match (self.value(data, field), field_etag(data, field)) {
                (Some(raw), _) => ETag::header(raw),
                (None, Some(text)) => ETag::Unsendable(text.into()),
                (None, None) => ETag::None,
            },
            other => other.clone(),
        }
    }
}

/// Whether two entity tags name the same version, however each was written: quoted (a
/// header's `"v2"`) or bare (an etag field's `v2`), weak or not.
pub(crate) fn same_version(a: &str, b: &str) -> bool {
    let opaque = |t: &str| {
        let t = t.trim();
        let t = t.strip_prefix("W/").unwrap_or(t);
        t.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(t)
            .to_owned()
    };
    opaque(a) == opaque(b)
}

impl Validators {
    /// A response's validators: its `ETag` header, else the body's etag field; and its
    /// `Last-Modified` header.
    pub(crate) fn of_response(headers: &HeaderMap, data: &Value, field: &str) -> Validators {
        let etag = match headers.get(ETAG) {
            Some(raw) => ETag::header(raw.clone()),
            None => ETag::of_field(data, field),
        };
        let last_modified = headers
            .get(LAST_MODIFIED)
            .filter(|v| !v.is_empty())
            .cloned();
        Validators {
            etag,
            last_modified,
            deleted: false,
            excerpt: false,
            predicted: false,
        }
    }

    /// A document's validators when it is held without a response: its etag field.
    pub(crate) fn of_document(data: &Value, field: &str) -> Validators {
        Validators {
            etag: ETag::of_field(data, field),
            last_modified: None,
            deleted: false,
            excerpt: false,
            predicted: false,
        }
    }
}

impl ETag {
    fn of_field(data: &Value, field: &str) -> ETag {
        match field_etag(data, field) {
            Some(_) => ETag::Field,
            None => ETag::None,
        }
    }
}

fn field_etag<'a>(data: &'a Value, field: &str) -> Option<&'a str> {
    data.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_header_wins_over_the_field_and_is_kept_byte_exact() {
        let mut h = HeaderMap::new();
        h.insert(ETAG, HeaderValue::from_bytes(b"\"v1\xe9\"").unwrap());
        h.insert(
            LAST_MODIFIED,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        let data = json!({"_etag": "field"});
        let v = Validators::of_response(&h, &data, "_etag");
        assert_eq!(
            v.etag.value(&data, "_etag").unwrap().as_bytes(),
            b"\"v1\xe9\""
        );
        assert_eq!(v.etag.text(&data, "_etag"), Some("\"v1\u{fffd}\""));
        assert!(v.last_modified.is_some());
    }

    #[test]
    fn the_field_is_read_from_the_data_until_pinned() {
        let data = json!({"v": "e1"});
        let v = Validators::of_document(&data, "v");
        assert_eq!(v.etag, ETag::Field);
        assert_eq!(v.etag.text(&json!({"v": "e2"}), "v"), Some("e2"));
        let pinned = v.etag.pinned(&data, "v");
        assert_eq!(pinned.text(&json!({"v": "e2"}), "v"), Some("e1"));
        assert_eq!(
            Validators::of_document(&json!({"v": 5}), "v").etag,
            ETag::None
        );
        assert_eq!(
            Validators::of_document(&json!({"v": ""}), "v").etag,
            ETag::None
        );
    }

    #[test]
    fn an_empty_etag_header_is_no_etag() {
        assert_eq!(ETag::header(HeaderValue::from_static("")), ETag::None);
    }
}
