//! Request bodies: JSON by default, or an explicit payload with its own content type.

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::params::{ListStyle, to_query};

const FORM: &str = "application/x-www-form-urlencoded";

/// An explicit request body for `post`, `put` and `patch`, which otherwise take any
/// `Serialize` value and send it as JSON.
///
/// # Example
///
/// ```no_run
/// use halchemy::{Api, Body};
/// use serde_json::json;
///
/// let api = Api::new("http://localhost:2112")?;
/// api.using_endpoint("/notes").post(json!({"text": "as JSON"}))?;
/// api.using_endpoint("/notes").post(Body::text("<note/>", "application/xml"))?;
/// api.using_endpoint("/login").post(Body::value(
///     json!({"name": "John Doe", "age": 50}),
///     "application/x-www-form-urlencoded",   // sent as name=John+Doe&age=50
/// ))?;
/// api.using_endpoint("/ping").post(Body::empty())?;
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Empty,
    /// Already serialized, so a struct's field order is kept.
    Json(Vec<u8>),
    Bytes(Vec<u8>, String),
    Value(Value, String),
}

impl Body {
    /// No body at all.
    ///
    /// # Example
    ///
    /// ```
    /// let body = halchemy::Body::empty();
    /// ```
    pub fn empty() -> Body {
        Body { kind: Kind::Empty }
    }

    /// Raw text sent as it is, with its content type.
    ///
    /// # Example
    ///
    /// ```
    /// let body = halchemy::Body::text("hello", "text/plain");
    /// ```
    pub fn text(text: impl Into<String>, content_type: impl Into<String>) -> Body {
        Body::bytes(text.into().into_bytes(), content_type)
    }

    /// Raw bytes sent as they are, with their content type.
    ///
    /// # Example
    ///
    /// ```
    /// let body = halchemy::Body::bytes(vec![0x89, 0x50], "image/png");
    /// ```
    pub fn bytes(bytes: impl Into<Vec<u8>>, content_type: impl Into<String>) -> Body {
        Body {
            kind: Kind::Bytes(bytes.into(), content_type.into()),
        }
    }

    /// A JSON value with an explicit content type: form-encoded when it is
    /// `application/x-www-form-urlencoded` (the value must then be an object), JSON text
    /// otherwise (for `application/merge-patch+json` and the like).
    ///
    /// # Example
    ///
    /// ```
    /// let form = halchemy::Body::value(serde_json::json!({"q": "a b"}), "application/x-www-form-urlencoded");
    /// ```
    pub fn value(value: Value, content_type: impl Into<String>) -> Body {
        Body {
            kind: Kind::Value(value, content_type.into()),
        }
    }

    /// The bytes to send and the content type to send them with (`None`: the request's
    /// `Content-type` header as configured).
    pub(crate) fn encode(self, style: ListStyle) -> Result<Option<(Vec<u8>, Option<String>)>> {
        Ok(match self.kind {
            Kind::Empty => None,
            Kind::Json(bytes) => Some((bytes, None)),
            Kind::Bytes(b, ct) => Some((b, Some(ct))),
            Kind::Value(v, ct) => {
                let is_form = ct
                    .split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case(FORM));
                let bytes = if is_form {
                    if !v.is_object() {
                        return Err(Error::Parameters(
                            "a form-encoded body must be a JSON object".to_owned(),
                        ));
                    }
                    to_query(&v, style)?.into_bytes()
                } else {
                    json_bytes(&v)?
                };
                Some((bytes, Some(ct)))
            }
        })
    }
}

fn json_bytes(v: &Value) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(Error::Serialize)
}

/// What `post`, `put` and `patch` take: a [`Body`], or any `Serialize` value (sent as JSON).
///
/// This trait is sealed: it is implemented for `Body` and every `Serialize` type.
///
/// # Example
///
/// ```
/// fn send<B: halchemy::IntoBody>(body: B) { let _ = body; }
/// send(serde_json::json!([1, 2]));
/// send(halchemy::Body::empty());
/// ```
pub trait IntoBody: sealed::Sealed {
    /// Converts into a body.
    ///
    /// # Errors
    ///
    /// [`Error::Serialize`] when the value cannot be serialized.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::IntoBody;
    ///
    /// let text = halchemy::Body::text("hi", "text/plain");
    /// assert_eq!(text.clone().into_body()?, text);       // a Body stays as it is
    /// let json = serde_json::json!({"a": 1}).into_body()?; // a Serialize value becomes JSON
    /// assert_ne!(json, halchemy::Body::empty());
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    fn into_body(self) -> Result<Body>;
}

impl IntoBody for Body {
    fn into_body(self) -> Result<Body> {
        Ok(self)
    }
}

impl<T: Serialize> IntoBody for T {
    fn into_body(self) -> Result<Body> {
        let bytes = serde_json::to_vec(&self).map_err(Error::Serialize)?;
        Ok(Body {
            kind: Kind::Json(bytes),
        })
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Body {}
    impl<T: serde::Serialize> Sealed for T {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn enc(b: impl IntoBody) -> Option<(String, Option<String>)> {
        b.into_body()
            .unwrap()
            .encode(ListStyle::RepeatKey)
            .unwrap()
            .map(|(b, ct)| (String::from_utf8(b).unwrap(), ct))
    }

    #[test]
    #[allow(clippy::approx_constant)] // 3.14 is the value the issue names, not pi
    fn json_values_arrive_as_exact_json_text() {
        for (v, text) in [
            (json!(50), "50"),
            (json!(-12), "-12"),
            (json!(3.14), "3.14"),
            (json!("text"), "\"text\""),
            (json!(true), "true"),
            (json!(null), "null"),
            (json!(""), "\"\""),
            (json!([]), "[]"),
            (json!({}), "{}"),
            (json!([{"a": 1}, {"b": 2}]), r#"[{"a":1},{"b":2}]"#),
        ] {
            assert_eq!(enc(v), Some((text.to_owned(), None)));
        }
        assert_eq!(enc(vec![1, 2]), Some(("[1,2]".to_owned(), None)));
    }

    #[test]
    fn explicit_payloads() {
        assert_eq!(enc(Body::empty()), None);
        assert_eq!(
            enc(Body::text("<a/>", "application/xml")),
            Some(("<a/>".to_owned(), Some("application/xml".to_owned())))
        );
        assert_eq!(
            enc(Body::value(json!({"name": "John Doe", "age": 50}), FORM))
                .unwrap()
                .0,
            "age=50&name=John+Doe"
        );
        assert_eq!(
            enc(Body::value(json!({"a": 1}), "application/merge-patch+json"))
                .unwrap()
                .0,
            r#"{"a":1}"#
        );
        let err = Body::value(json!([1]), FORM)
            .encode(ListStyle::RepeatKey)
            .unwrap_err();
        assert!(err.to_string().contains("must be a JSON object"));
    }
}
