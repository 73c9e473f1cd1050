//! The one error type of the crate.

use std::fmt;
use std::path::PathBuf;

use crate::resource::Resource;

/// What every fallible call in this crate returns.
///
/// # Example
///
/// ```
/// fn first_title(api: &halchemy::Api) -> halchemy::Result<String> {
///     let home = api.home().get()?;
///     Ok(home["title"].as_str().unwrap_or_default().to_owned())
/// }
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, each variant carrying what a caller needs to act on it.
///
/// Messages are lowercase and name the thing to fix. The enum is `#[non_exhaustive]`: match the
/// variants you handle and keep a catch-all arm.
///
/// # Example
///
/// ```
/// use halchemy::{Api, Error};
///
/// let api = Api::builder().no_config_file().base_url("http://127.0.0.1:9").build()?;
/// match api.home().get() {
///     Ok(home) => println!("{home}"),
///     Err(Error::Network(e)) => println!("no answer: {e}"),
///     Err(other) => return Err(other),
/// }
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No response arrived: the connection was refused or dropped, it timed out, the host name
    /// did not resolve, TLS failed, or the server spoke broken HTTP.
    #[error(transparent)]
    Network(Box<NetworkError>),

    /// The response's status is in the `raise_on_status_codes` set (or was checked with
    /// [`Resource::raise_for_status_codes`]), or a hop before the last of a
    /// [`Traversal`](crate::Traversal) did not answer `2xx`. The whole response is inside.
    #[error("server answered {} {} to {} {}", .0.status(), .0.meta().response.reason, .0.meta().request.method, crate::url::redacted(&.0.meta().request.url))]
    Status(Box<Resource>),

    /// `412 Precondition Failed`: someone else changed the resource since it was read. The
    /// resource written through is untouched, data and validators; refresh it and try again,
    /// or use [`Api::update`](crate::Api::update).
    #[error("conflict: {} was changed since this copy of it was read, by another client or by a write that did not bring this copy forward (one not made through follow_mut, or made with parameters added or through a templated self link) (412 precondition failed to {} with {}); refresh the resource and retry, or use Api::update or Api::merge",
        crate::url::redacted(&.0.response.meta().request.url), .0.response.meta().request.method, .0.sent())]
    PreconditionFailed(Box<Conflict>),

    /// [`Api::update`](crate::Api::update) met a `412`, and the refresh that followed showed
    /// that the ETag it sent is still the current one: the server rejects this validator
    /// itself (a weak ETag cannot satisfy `If-Match`, whose comparison is strong), so no retry
    /// can succeed. The resource holds the server's current version.
    #[error("the server rejects the etag {} of {} although it is still current (a weak etag never satisfies if-match); update cannot write it conditionally: ask the server for strong etags, or write with follow_mut and a precondition of your own",
        .0.sent_etag.as_deref().unwrap_or("(none)"), crate::url::redacted(&.0.response.meta().request.url))]
    EtagRejected(Box<Conflict>),

    /// A write that could not be made conditional was refused and nothing was sent:
    /// [`Api::update`](crate::Api::update) on a resource the server gives no ETag, or any
    /// write through a resource without validators when the Api
    /// [requires preconditions](crate::ApiBuilder::require_preconditions).
    #[error(
        "refused to write {url} without a precondition: {reason}; a write without one could overwrite someone else's change"
    )]
    Unconditional {
        /// The resource's URL.
        url: String,
        /// Why no precondition could be made.
        reason: String,
    },

    /// [`Api::refresh`](crate::Api::refresh) got an answer that is not a representation of
    /// the resource (a `204`, a `3xx` it could not follow, a body that is not JSON); the
    /// resource was left as it was.
    #[error("refresh got {} {} from GET {}, not a json representation; the resource was left as it was", .0.status(), .0.meta().response.reason, crate::url::redacted(&.0.meta().request.url))]
    NotRepresentation(Box<Resource>),

    /// `428 Precondition Required`: the server only accepts conditional writes and the resource
    /// had no ETag to send. GET (or [`refresh`](crate::Api::refresh)) it first.
    #[error("the server requires a conditional write (428 precondition required to {} {}): read the resource first so it has an etag, then write through api.follow_mut(&mut resource).to(\"self\")", .0.meta().request.method, crate::url::redacted(&.0.meta().request.url))]
    PreconditionRequired(Box<Resource>),

    /// The resource has no link with this relation, or the server wrote it as `null` (a null
    /// rel, a link whose `href` is null, or a link array of only those).
    #[error("{}", rel_not_found(rel, available, *null, *embedded))]
    RelNotFound {
        /// The relation asked for.
        rel: String,
        /// The relations the resource has (a URL among them without its password).
        available: Vec<String>,
        /// True when the server wrote the link as `null`: it says there is none (Mollie's
        /// last page has `"next": null`).
        null: bool,
        /// True when the rel is embedded rather than linked: read it with
        /// [`Resource::embedded`].
        embedded: bool,
    },

    /// The relation holds several links and none was picked with `at`, `named` or `titled`.
    #[error("rel `{rel}` holds {} links: pick one with .at(i), .named(name) or .titled(title); choices: {}", choices.len(), choices.join("; "))]
    AmbiguousLink {
        /// The relation.
        rel: String,
        /// One line per link: its index, href, name and title.
        choices: Vec<String>,
    },

    /// The pick made with `at`, `named` or `titled` matched no link of the relation.
    #[error("rel `{rel}` has no link {wanted}; choices: {}", choices.join("; "))]
    NoMatchingLink {
        /// The relation.
        rel: String,
        /// The pick, such as `titled "orders"`.
        wanted: String,
        /// One line per link.
        choices: Vec<String>,
    },

    /// The document's `_links`, one of its links, its `_embedded` or its `_templates` is not
    /// shaped as HAL (or HAL-FORMS) says.
    #[error("malformed hal document: {0}")]
    MalformedHal(String),

    /// The resource has no HAL-FORMS template (`_templates` entry) with this name.
    #[error(
        "no template `{name}` in the resource; its templates are: {}",
        list(available)
    )]
    TemplateNotFound {
        /// The template asked for.
        name: String,
        /// The templates the resource has.
        available: Vec<String>,
    },

    /// A HAL-FORMS template names a method halchemy does not send.
    #[error(
        "template `{template}` has method `{method}`; a template can only use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS"
    )]
    FormMethod {
        /// The template's name.
        template: String,
        /// The method as the document writes it.
        method: String,
    },

    /// A value given for a HAL-FORMS template breaks one of its rules: a required property is
    /// missing, or a value does not match the property's `regex`. Nothing was sent.
    #[error("cannot submit template `{template}`: property `{property}` {message}")]
    FormValue {
        /// The template's name.
        template: String,
        /// The property whose value is wrong.
        property: String,
        /// What is wrong, such as `is required: give it a value` (boxed to keep `Error` small).
        message: Box<str>,
    },

    /// A page walk was about to read a page it had already read: the pages link in a circle.
    /// The walk ends here instead of looping forever.
    #[error("the pages loop: the next page, {url}, was already read; the walk stops here")]
    PageLoop {
        /// The page read twice, without credentials.
        url: String,
    },

    /// The resource has no `_embedded` entry with this relation.
    #[error(
        "no embedded `{rel}` in the resource; embedded rels are: {}",
        list(available)
    )]
    EmbeddedNotFound {
        /// The relation asked for.
        rel: String,
        /// The embedded relations the resource has.
        available: Vec<String>,
    },

    /// The embedded entry is one resource where many were expected, or the other way round.
    #[error("embedded `{rel}` holds {found}, expected {expected}")]
    EmbeddedTypeMismatch {
        /// The relation.
        rel: String,
        /// What the caller expected.
        expected: crate::Multiplicity,
        /// What the document holds (`one resource`, `many resources`, or another JSON type).
        found: String,
    },

    /// `collection(field)`: the field is missing.
    #[error("no field `{field}` for a collection in the resource")]
    CollectionMissing {
        /// The field asked for.
        field: String,
    },

    /// `collection(field)`: the field is not an array.
    #[error("field `{field}` is {found}, not an array")]
    CollectionNotArray {
        /// The field asked for.
        field: String,
        /// The JSON type found.
        found: &'static str,
    },

    /// `collection(field)`: an element is not a well-formed HAL resource.
    #[error("element {index} of `{field}` is not a hal resource: {reason}")]
    CollectionItemNotHal {
        /// The field.
        field: String,
        /// The element's position.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// A URI template could not be expanded.
    #[error("bad uri template `{template}`: {message}")]
    UriTemplate {
        /// The template, without the password of a URL in it.
        template: String,
        /// What the expander reported.
        message: String,
    },

    /// Template values or query parameters that cannot be used.
    #[error("bad parameters: {0}")]
    Parameters(String),

    /// A status-code set that does not follow the grammar.
    #[error(transparent)]
    StatusCodes(#[from] crate::StatusCodesError),

    /// A bad value in a `.halchemy` configuration file, or a file that cannot be read.
    #[error("{}: {message}", file.display())]
    Config {
        /// The file.
        file: PathBuf,
        /// What is wrong, naming the key and the value.
        message: String,
    },

    /// A URL that is not a usable `http`/`https` URL.
    #[error("invalid url `{url}`: {message}")]
    InvalidUrl {
        /// The URL as given or as built.
        url: String,
        /// Why it was rejected.
        message: String,
    },

    /// A TLS setting of the [`ApiBuilder`](crate::ApiBuilder) that cannot be used, found by
    /// `build`: a PEM that is malformed or holds no certificate, a client certificate whose
    /// private key does not belong to it, roots that cannot be combined. The message names the
    /// setter and what to pass instead; it never shows key material.
    #[error("tls setting: {message}")]
    TlsConfig {
        /// What is wrong and what to do.
        message: String,
    },

    /// A header name or value that cannot be sent (for example one holding CR or LF).
    #[error("invalid header `{name}`: {message}")]
    InvalidHeader {
        /// The header's name, as given (escaped when it is not printable).
        name: String,
        /// Why it was rejected.
        message: String,
    },

    /// The response body is larger than the configured limit.
    #[error(
        "the response body to {method} {url} is larger than the limit of {limit} bytes; raise it with Api::set_body_limit"
    )]
    BodyTooLarge {
        /// Request method.
        method: String,
        /// Request URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },

    /// More than 10 redirects.
    #[error("more than {max} redirects, the last to {url}")]
    TooManyRedirects {
        /// The last URL requested.
        url: String,
        /// The limit.
        max: u32,
    },

    /// [`Merge::result`](crate::Merge::result) was asked for the merged document while some of
    /// its conflicts are still open.
    #[error(
        "unresolved merge conflicts at {}: resolve them with resolve() or resolve_with() before sending",
        quoted(pointers)
    )]
    UnresolvedConflicts {
        /// The JSON pointers (RFC 6901) of the open conflicts.
        pointers: Vec<String>,
    },

    /// [`Merge::resolve`](crate::Merge::resolve) named a JSON pointer that holds no conflict.
    #[error(
        "no merge conflict at {pointer:?}: pass one of the conflicts' pointers, {}",
        quoted(conflicts)
    )]
    NoSuchConflict {
        /// The pointer given.
        pointer: String,
        /// The pointers of the merge's conflicts.
        conflicts: Vec<String>,
    },

    /// [`Api::merge`](crate::Api::merge) was given a conflict it cannot merge: one that did
    /// not come from a `put` or `patch` of a JSON body through
    /// [`follow_mut`](crate::Api::follow_mut) to the resource's own URL.
    #[error(
        "this conflict cannot be merged: {reason}; refresh the resource and write again instead"
    )]
    NotMergeable {
        /// Why.
        reason: String,
    },

    /// [`Api::update_with`](crate::Api::update_with) with
    /// [`merge_on_conflict`](crate::UpdateOptions::merge_on_conflict) met a conflict whose
    /// merge has fields both sides changed differently. The report is inside; the resource
    /// holds the server's version it was merged against.
    #[error("the change conflicts with someone else's at {}: resolve it with Api::merge after a follow_mut write, or update again", quoted(&.0.unresolved().iter().map(|p| p.to_string()).collect::<Vec<_>>()))]
    MergeConflicts(Box<crate::Merge>),

    /// A step of a traversal ([`Request::then`](crate::Request::then)) failed: the error
    /// inside says why, and [`TraversalError::step`](crate::TraversalError::step) and
    /// [`TraversalError::rel`](crate::TraversalError::rel) say where.
    /// The helpers of `Error` (`status()`, `response()`, `url()`, `is_timeout()`, …) look
    /// through it to the step's error.
    #[error(transparent)]
    Traversal(Box<crate::TraversalError>),

    /// A request body could not be serialized.
    #[error("cannot serialize the request body: {0}")]
    Serialize(serde_json::Error),

    /// [`Resource::deserialize`] failed.
    #[error("cannot deserialize the resource: {0}")]
    Deserialize(serde_json::Error),
}

impl Error {
    /// The HTTP status behind this error, when there was a response.
    ///
    /// # Example
    ///
    /// ```
    /// # use halchemy::{Error, Resource};
    /// # fn check(e: &Error) {
    /// if e.status() == Some(404) {
    ///     println!("gone");
    /// }
    /// # }
    /// ```
    pub fn status(&self) -> Option<u16> {
        self.response().map(Resource::status)
    }

    /// The response behind this error, when there was one.
    ///
    /// # Example
    ///
    /// ```
    /// # fn check(e: &halchemy::Error) {
    /// if let Some(response) = e.response() {
    ///     println!("{}", response.meta().response.body);
    /// }
    /// # }
    /// ```
    pub fn response(&self) -> Option<&Resource> {
        match self.cause() {
            Error::Status(r) | Error::PreconditionRequired(r) | Error::NotRepresentation(r) => {
                Some(r)
            }
            Error::PreconditionFailed(c) | Error::EtagRejected(c) => Some(&c.response),
            _ => None,
        }
    }

    /// True when no response arrived in time: the call's deadline or the connect timeout
    /// passed.
    ///
    /// # Example
    ///
    /// ```
    /// # fn check(e: &halchemy::Error) -> bool {
    /// e.is_timeout()
    /// # }
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self.cause(), Error::Network(n) if n.kind() == NetworkErrorKind::Timeout)
    }

    /// True when no connection could be made: refused, the host name not found, or TLS
    /// failed.
    ///
    /// # Example
    ///
    /// ```
    /// # fn check(e: &halchemy::Error) -> bool {
    /// e.is_connect()
    /// # }
    /// ```
    pub fn is_connect(&self) -> bool {
        matches!(self.cause(), Error::Network(n) if matches!(
            n.kind(),
            NetworkErrorKind::ConnectionRefused | NetworkErrorKind::Dns | NetworkErrorKind::Tls
        ))
    }

    /// The URL of the request behind this error, when there was one, without credentials.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::Api;
    ///
    /// let api = Api::builder().no_config_file().base_url("http://127.0.0.1:9").build()?;
    /// let err = api.home().get().unwrap_err();
    /// assert_eq!(err.url(), Some("http://127.0.0.1:9/"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn url(&self) -> Option<&str> {
        match self.cause() {
            Error::Network(n) => Some(n.url()),
            Error::InvalidUrl { url, .. } | Error::Unconditional { url, .. } => Some(url),
            Error::BodyTooLarge { url, .. } | Error::TooManyRedirects { url, .. } => Some(url),
            Error::PageLoop { url } => Some(url),
            other => other.response().map(|r| r.meta().request.url.as_str()),
        }
    }

    /// True for [`Error::Network`].
    ///
    /// # Example
    ///
    /// ```
    /// # fn check(e: &halchemy::Error) -> bool {
    /// e.is_network()
    /// # }
    /// ```
    pub fn is_network(&self) -> bool {
        matches!(self.cause(), Error::Network(_))
    }

    /// True for [`Error::PreconditionFailed`]: a lost race that a refresh and a retry resolve.
    ///
    /// # Example
    ///
    /// ```
    /// # fn check(e: &halchemy::Error) -> bool {
    /// e.is_conflict()
    /// # }
    /// ```
    pub fn is_conflict(&self) -> bool {
        matches!(self.cause(), Error::PreconditionFailed(_))
    }

    /// The error itself, or for [`Error::Traversal`] the error of the step that failed.
    fn cause(&self) -> &Error {
        let mut e = self;
        while let Error::Traversal(t) = e {
            e = t.error();
        }
        e
    }

    /// A builder setter's error again, for `url()` called more than once. Setters only meet
    /// header, parameter and template errors, all plain data.
    pub(crate) fn builder_copy(&self) -> Error {
        match self {
            Error::InvalidHeader { name, message } => Error::InvalidHeader {
                name: name.clone(),
                message: message.clone(),
            },
            Error::UriTemplate { template, message } => Error::UriTemplate {
                template: template.clone(),
                message: message.clone(),
            },
            other => Error::Parameters(other.to_string()),
        }
    }

    pub(crate) fn header(name: &str, message: impl Into<String>) -> Error {
        Error::InvalidHeader {
            name: name.escape_debug().to_string(),
            message: message.into(),
        }
    }
}

/// What a `412 Precondition Failed` carries: the server's answer and the precondition that
/// was sent.
///
/// # Example
///
/// ```
/// # fn show(e: halchemy::Error) {
/// if let halchemy::Error::PreconditionFailed(conflict) = e {
///     println!("sent {:?}, server said {}", conflict.sent_etag, conflict.response.status());
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Conflict {
    /// The `412` response.
    pub response: Resource,
    /// The ETag sent as `If-Match` (`None` when none was sent).
    pub sent_etag: Option<String>,
    /// The date sent as `If-Unmodified-Since` (`None` when none was sent).
    pub sent_date: Option<String>,
    /// The URL written and what the write would have made of the resource, for a merge.
    pub(crate) intent: Option<(String, crate::write::WriteIntent)>,
}

impl Conflict {
    /// The precondition sent, for messages.
    fn sent(&self) -> String {
        match (&self.sent_etag, &self.sent_date) {
            (Some(e), _) if e.starts_with('"') || e.starts_with("W/\"") => format!("if-match {e}"),
            // The family sends an etag field as it is; a server that reads `If-Match` strictly
            // (a list of quoted entity-tags) matches nothing with a bare token.
            (Some(e), _) => format!(
                "if-match {e}, a bare token from the document's etag field that a strict server never matches: write the version read with a get, whose etag header is quoted"
            ),
            (None, Some(d)) => format!("if-unmodified-since {d}"),
            (None, None) => match self.response.meta().request.headers.get("if-none-match") {
                Some(v) => format!(
                    "if-none-match {} (it was deleted through this copy and has been created again since)",
                    String::from_utf8_lossy(v.as_bytes())
                ),
                None => "no precondition".to_owned(),
            },
        }
    }
}

/// Why no response arrived.
///
/// # Example
///
/// ```
/// use halchemy::{Api, Error, NetworkErrorKind};
///
/// let api = Api::builder().no_config_file().base_url("http://127.0.0.1:9").build()?;
/// if let Err(Error::Network(e)) = api.home().get() {
///     assert_eq!(e.kind(), NetworkErrorKind::ConnectionRefused);
/// }
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NetworkErrorKind {
    /// Nothing listens at that address.
    ConnectionRefused,
    /// The connect or overall timeout expired.
    Timeout,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The server closed or reset the connection before the response was complete.
    ConnectionClosed,
    /// The server's answer is not valid HTTP/1.1.
    Protocol,
    /// Any other I/O failure.
    Other,
}

impl NetworkErrorKind {
    fn hint(self) -> &'static str {
        match self {
            NetworkErrorKind::ConnectionRefused => "is the server running at that address?",
            NetworkErrorKind::Timeout => {
                "the server did not answer in time; retry, or raise the timeout"
            }
            NetworkErrorKind::Dns => "check the host name in the url",
            NetworkErrorKind::Tls => "check the certificate and that the server speaks https",
            NetworkErrorKind::ConnectionClosed => {
                "the server or the network dropped the connection; retry"
            }
            NetworkErrorKind::Protocol => "the server did not answer with valid http/1.1",
            NetworkErrorKind::Other => "see the cause below",
        }
    }
}

impl fmt::Display for NetworkErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NetworkErrorKind::ConnectionRefused => "connection refused",
            NetworkErrorKind::Timeout => "timed out",
            NetworkErrorKind::Dns => "host name not found",
            NetworkErrorKind::Tls => "tls failure",
            NetworkErrorKind::ConnectionClosed => {
                "connection closed before the response was complete"
            }
            NetworkErrorKind::Protocol => "invalid http response",
            NetworkErrorKind::Other => "i/o failure",
        })
    }
}

/// A request that got no response. See [`NetworkErrorKind`].
///
/// # Example
///
/// ```
/// # fn show(e: &halchemy::NetworkError) {
/// eprintln!("{} {}: {}", e.method(), e.url(), e.kind());
/// # }
/// ```
#[derive(Debug)]
pub struct NetworkError {
    kind: NetworkErrorKind,
    method: String,
    url: String,
    /// What a TLS failure means, naming the host (see `tls::explain`).
    detail: Option<String>,
    source: ureq::Error,
}

impl NetworkError {
    pub(crate) fn new(method: &str, url: &str, source: ureq::Error) -> Self {
        let parsed = ::url::Url::parse(url).ok();
        let https = parsed.as_ref().is_some_and(|u| u.scheme() == "https");
        let kind = classify(&source, https);
        let detail = (kind == NetworkErrorKind::Tls).then(|| {
            let host = parsed
                .as_ref()
                .and_then(|u| u.host_str())
                .unwrap_or("the server");
            crate::tls::explain(&source, host)
        });
        NetworkError {
            kind,
            method: method.to_owned(),
            url: url.to_owned(),
            detail,
            source,
        }
    }

    /// The ureq error behind it.
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    pub(crate) fn ureq_error(&self) -> &ureq::Error {
        &self.source
    }

    /// Names the issuer of an untrusted certificate in the message.
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    pub(crate) fn name_issuer(&mut self, issuer: &str) {
        let host = ::url::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "the server".to_owned());
        self.detail = Some(crate::tls::untrusted_by(&host, issuer));
    }

    /// Why the request failed.
    ///
    /// # Example
    ///
    /// ```
    /// # fn show(e: &halchemy::NetworkError) {
    /// if e.kind() == halchemy::NetworkErrorKind::Timeout {
    ///     eprintln!("try again later");
    /// }
    /// # }
    /// ```
    pub fn kind(&self) -> NetworkErrorKind {
        self.kind
    }

    /// The request's method.
    ///
    /// # Example
    ///
    /// ```
    /// # fn show(e: &halchemy::NetworkError) -> &str {
    /// e.method()
    /// # }
    /// ```
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The URL requested (the last one, after redirects).
    ///
    /// # Example
    ///
    /// ```
    /// # fn show(e: &halchemy::NetworkError) -> &str {
    /// e.url()
    /// # }
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for NetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = self.detail.as_deref().unwrap_or(self.kind.hint());
        write!(f, "{} on {} {}: {why}", self.kind, self.method, self.url)
    }
}

impl std::error::Error for NetworkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.source {
            ureq::Error::Io(io) => Some(io),
            ureq::Error::Other(e) => Some(e.as_ref()),
            other => Some(other),
        }
    }
}

/// What kind of failure `e` is; `https`: the request's URL is an `https` one.
fn classify(e: &ureq::Error, https: bool) -> NetworkErrorKind {
    use std::io::ErrorKind as Io;
    match e {
        ureq::Error::Timeout(_) => NetworkErrorKind::Timeout,
        ureq::Error::HostNotFound => NetworkErrorKind::Dns,
        ureq::Error::Other(e) if e.is::<crate::resolver::DnsError>() => NetworkErrorKind::Dns,
        ureq::Error::Tls(_) | ureq::Error::TlsRequired => NetworkErrorKind::Tls,
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        ureq::Error::Pem(_) => NetworkErrorKind::Tls,
        #[cfg(feature = "rustls")]
        ureq::Error::Rustls(_) => NetworkErrorKind::Tls,
        #[cfg(feature = "native-tls")]
        ureq::Error::NativeTls(_) | ureq::Error::Der(_) => NetworkErrorKind::Tls,
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => {
            NetworkErrorKind::Protocol
        }
        ureq::Error::Io(io) => match io.kind() {
            Io::ConnectionRefused => NetworkErrorKind::ConnectionRefused,
            Io::TimedOut | Io::WouldBlock => NetworkErrorKind::Timeout,
            Io::ConnectionReset
            | Io::ConnectionAborted
            | Io::UnexpectedEof
            | Io::BrokenPipe
            | Io::NotConnected => NetworkErrorKind::ConnectionClosed,
            _ if crate::tls::is_tls_io(io, https) => NetworkErrorKind::Tls,
            Io::InvalidData => NetworkErrorKind::Protocol,
            _ => NetworkErrorKind::Other,
        },
        #[cfg(any(feature = "gzip", feature = "brotli"))]
        ureq::Error::Decompress(..) => NetworkErrorKind::Protocol,
        _ => NetworkErrorKind::Other,
    }
}

fn rel_not_found(rel: &str, available: &[String], null: bool, embedded: bool) -> String {
    let mut text = if null {
        format!(
            "link `{rel}` is null: the server says there is none; its rels are: {}",
            list(available)
        )
    } else {
        format!(
            "no link `{rel}` in the resource; its rels are: {}",
            list(available)
        )
    };
    if rel == "self" && !null {
        text.push_str(
            "; writing, refreshing and merging need the resource's own url: a self link, or the url it was read from (read it with api.using_endpoint(url).get())",
        );
    }
    if embedded {
        text.push_str(&format!(
            "; `{rel}` is embedded, not linked: read it with embedded(\"{rel}\", None) or embedded_many(\"{rel}\")"
        ));
    }
    text
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

/// JSON pointers for a message: each quoted and escaped, so the root (`""`) and keys holding
/// commas or line breaks stay readable.
fn quoted(pointers: &[String]) -> String {
    if pointers.is_empty() {
        "(none)".to_owned()
    } else {
        let quoted: Vec<String> = pointers.iter().map(|p| format!("{p:?}")).collect();
        quoted.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn network_failures_are_told_apart() {
        let io = |kind: io::ErrorKind| ureq::Error::Io(io::Error::from(kind));
        for (e, kind) in [
            (ureq::Error::HostNotFound, NetworkErrorKind::Dns),
            (
                ureq::Error::Timeout(ureq::Timeout::Global),
                NetworkErrorKind::Timeout,
            ),
            (
                io(io::ErrorKind::ConnectionRefused),
                NetworkErrorKind::ConnectionRefused,
            ),
            (io(io::ErrorKind::TimedOut), NetworkErrorKind::Timeout),
            (
                io(io::ErrorKind::ConnectionReset),
                NetworkErrorKind::ConnectionClosed,
            ),
            (
                io(io::ErrorKind::UnexpectedEof),
                NetworkErrorKind::ConnectionClosed,
            ),
            (io(io::ErrorKind::InvalidData), NetworkErrorKind::Protocol),
            (ureq::Error::Tls("bad certificate"), NetworkErrorKind::Tls),
            #[cfg(feature = "rustls")]
            (
                ureq::Error::Io(io::Error::new(
                    io::ErrorKind::InvalidData,
                    rustls::Error::DecryptError,
                )),
                NetworkErrorKind::Tls,
            ),
            (io(io::ErrorKind::PermissionDenied), NetworkErrorKind::Other),
            // A failed lookup, as the resolver reports it.
            (
                ureq::Error::Other(Box::new(crate::resolver::DnsError::for_test("h"))),
                NetworkErrorKind::Dns,
            ),
            (io(io::ErrorKind::Other), NetworkErrorKind::Other),
        ] {
            let err = NetworkError::new("GET", "http://h/", e);
            assert_eq!(err.kind(), kind, "{err:?}");
            let msg = err.to_string();
            assert!(
                msg.starts_with(&kind.to_string()) && msg.contains("GET http://h/"),
                "{msg}"
            );
        }
    }

    #[test]
    fn invalid_data_over_https_is_tls_and_the_message_names_the_host() {
        let e = ureq::Error::Io(io::Error::from(io::ErrorKind::InvalidData));
        let err = NetworkError::new("GET", "https://api.example:8443/x", e);
        assert_eq!(err.kind(), NetworkErrorKind::Tls);
        let msg = err.to_string();
        assert!(msg.contains("handshake with api.example failed"), "{msg}");
    }

    #[test]
    fn a_dns_failure_keeps_its_cause_chain() {
        use std::error::Error as _;
        let dns = crate::resolver::DnsError::for_test("nowhere.example");
        let err = NetworkError::new(
            "GET",
            "http://nowhere.example/",
            ureq::Error::Other(Box::new(dns)),
        );
        assert_eq!(err.kind(), NetworkErrorKind::Dns);
        let cause = err.source().unwrap();
        assert!(cause.to_string().contains("`nowhere.example`"), "{cause}");
        assert!(
            cause
                .source()
                .unwrap()
                .to_string()
                .contains("failed to lookup")
        );
    }
}
