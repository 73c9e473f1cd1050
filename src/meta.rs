//! The HTTP details kept beside a resource's data.

use std::fmt;

use ureq::http::HeaderMap;

use crate::error::NetworkErrorKind;

/// What was sent and what came back, kept beside a [`Resource`](crate::Resource)'s data.
///
/// # Example
///
/// ```no_run
/// let api = halchemy::Api::new("http://localhost:2112")?;
/// let home = api.home().get()?;
/// let meta = home.meta();
/// println!("{} {} -> {} {}", meta.request.method, meta.request.url,
///          meta.response.status, meta.response.reason);
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Meta {
    /// The request as sent.
    pub request: RequestMeta,
    /// The response (status 0 when none arrived).
    pub response: ResponseMeta,
    /// The failure, if any: no response, or a 4xx/5xx status (recorded even when not raised).
    pub error: Option<MetaError>,
}

/// The request as sent: method, final URL (after templates, parameters and redirects), the
/// headers halchemy set, and the body.
///
/// `Debug` hides the values of `Authorization`, `Cookie` and `Proxy-Authorization`.
///
/// # Example
///
/// ```
/// let r = halchemy::Resource::from(serde_json::json!({}));
/// assert_eq!(r.meta().request.method, "");
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct RequestMeta {
    /// `GET`, `PATCH`, ...
    pub method: String,
    /// The URL requested last.
    pub url: String,
    /// The headers halchemy set (the HTTP layer adds `Host`, `User-Agent` and the like unless
    /// they are set here).
    pub headers: HeaderMap,
    /// The body sent, if any.
    pub body: Option<Vec<u8>>,
}

impl RequestMeta {
    /// The body sent, as text (lossy for bytes that are not UTF-8).
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({}));
    /// assert_eq!(r.meta().request.body_text(), None);
    /// ```
    pub fn body_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.body.as_deref().map(String::from_utf8_lossy)
    }
}

/// The response: status, reason, headers and body.
///
/// `Debug` hides the values of `Set-Cookie` headers, and the passwords of URLs in headers and
/// a text body.
///
/// # Example
///
/// ```
/// let r = halchemy::Resource::from(serde_json::json!({}));
/// assert_eq!(r.meta().response.status, 0);
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// The status code; 0 when no response arrived.
    pub status: u16,
    /// The canonical reason phrase of the status (`Not Found`), or
    /// `Did not receive a response from the server`.
    pub reason: String,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: ResponseBody,
}

/// A response body as kept in [`ResponseMeta`].
///
/// A body is held once: when it parses as JSON it *is* the resource's data, and this says
/// [`ResponseBody::Json`]; any other body is kept here as text.
///
/// # Example
///
/// ```
/// use halchemy::ResponseBody;
///
/// let body = ResponseBody::Text("<p>hello</p>".into());
/// assert_eq!(body.as_text(), Some("<p>hello</p>"));
/// assert_eq!(ResponseBody::Json.as_text(), None);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseBody {
    /// No body (or no response).
    #[default]
    Empty,
    /// The body was JSON; it is the resource's data.
    Json,
    /// A body that is not JSON (text, XML, malformed or too deeply nested JSON).
    Text(String),
}

/// `Debug` shows a text body without the passwords of URLs in it.
impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseBody::Empty => f.write_str("Empty"),
            ResponseBody::Json => f.write_str("Json"),
            ResponseBody::Text(text) => f
                .debug_tuple("Text")
                .field(&crate::url::redacted_text(text))
                .finish(),
        }
    }
}

impl ResponseBody {
    /// The text of a non-JSON body.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(halchemy::ResponseBody::Empty.as_text(), None);
    /// ```
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ResponseBody::Text(t) => Some(t),
            _ => None,
        }
    }
}

impl fmt::Display for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseBody::Empty => f.write_str("(empty)"),
            ResponseBody::Json => f.write_str("(json: see the resource's data)"),
            ResponseBody::Text(t) => f.write_str(t),
        }
    }
}

/// The failure recorded in [`Meta::error`].
///
/// # Example
///
/// ```
/// use halchemy::MetaError;
///
/// let e = MetaError::Status { status: 404, reason: "Not Found".into() };
/// assert_eq!(e.to_string(), "404 Not Found");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetaError {
    /// No response arrived.
    Network {
        /// Why.
        kind: NetworkErrorKind,
        /// The full message.
        message: String,
    },
    /// The response is a 4xx or 5xx.
    Status {
        /// The status code.
        status: u16,
        /// Its reason phrase.
        reason: String,
    },
}

impl fmt::Display for MetaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetaError::Network { message, .. } => f.write_str(message),
            MetaError::Status { status, reason } => write!(f, "{status} {reason}"),
        }
    }
}

pub(crate) const NO_RESPONSE: &str = "Did not receive a response from the server";

impl fmt::Debug for RequestMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestMeta")
            .field("method", &self.method)
            .field("url", &crate::url::redacted(&self.url))
            .field("headers", &crate::headers::Redacted(&self.headers))
            .field(
                "body",
                &self
                    .body_text()
                    .map(|t| crate::url::redacted_text(&t).into_owned()),
            )
            .finish()
    }
}

impl fmt::Debug for ResponseMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseMeta")
            .field("status", &self.status)
            .field("reason", &self.reason)
            .field("headers", &crate::headers::Redacted(&self.headers))
            .field("body", &self.body)
            .finish()
    }
}
