//! The settings of an `Api`, as one overlay: the family's defaults, then the `.halchemy` file
//! (the project's, else the home folder's), then the builder; setters change the result later.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::{HeaderMap, HeaderValue, header};

use crate::config_file;
use crate::error::{Error, Result};
use crate::headers;
use crate::params::ListStyle;
use crate::status::StatusCodes;
use crate::url::{self, LinkResolution, Origin};

/// The default base URL, as in the other halchemy libraries.
///
/// # Example
///
/// ```
/// let api = halchemy::Api::builder().no_config_file().build()?;
/// assert_eq!(api.base_url(), halchemy::DEFAULT_BASE_URL);
/// # Ok::<(), halchemy::Error>(())
/// ```
pub const DEFAULT_BASE_URL: &str = "http://localhost:2112";

/// The default etag field of HAL documents (Eve's), read when a response has no `ETag` header.
///
/// # Example
///
/// ```
/// let api = halchemy::Api::builder().no_config_file().build()?;
/// assert_eq!(api.etag_field(), halchemy::DEFAULT_ETAG_FIELD);
/// # Ok::<(), halchemy::Error>(())
/// ```
pub const DEFAULT_ETAG_FIELD: &str = "_etag";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_BODY_LIMIT: u64 = 10 * 1024 * 1024;
/// Longer timeouts are cut to this (a year): the clock cannot add `Duration::MAX` to now.
const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 60 * 60);
pub(crate) const DEFAULT_UPDATE_ATTEMPTS: u32 = 40;
pub(crate) const DEFAULT_BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(50),
    cap: Duration::from_millis(1000),
};
const DEFAULT_UPDATE_CONTENT_TYPE: &str = "application/json";

/// When a request raises an error rather than returning the response.
///
/// # Example
///
/// ```
/// let mut api = halchemy::Api::builder().no_config_file().build()?;
/// api.error_handling_mut().raise_on_network_error = false;
/// api.error_handling_mut().raise_on_status_codes = Some(">399".parse()?);
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorHandling {
    /// A network failure or timeout is `Err(Error::Network)`; when false it is `Ok` with status
    /// 0, reason `Did not receive a response from the server`, no body, and the error in
    /// `meta()`. Defaults to `true`.
    pub raise_on_network_error: bool,
    /// Statuses in this set are `Err(Error::Status)`. Defaults to `None` (no status raises).
    pub raise_on_status_codes: Option<StatusCodes>,
}

impl Default for ErrorHandling {
    fn default() -> Self {
        ErrorHandling {
            raise_on_network_error: true,
            raise_on_status_codes: None,
        }
    }
}

/// The pause between attempts of [`Api::update`](crate::Api::update): exponential with full
/// jitter, a random time between zero and `min(cap, base × 2^n)` before attempt `n + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

/// The resolved settings an `Api` runs with.
#[derive(Clone)]
pub(crate) struct Config {
    /// The base URL as requests are built from it: never with user info.
    pub base_url: String,
    pub base_origin: Origin,
    pub headers: HeaderMap,
    pub error_handling: ErrorHandling,
    pub list_style: ListStyle,
    pub etag_field: Arc<str>,
    pub link_resolution: LinkResolution,
    pub update_attempts: u32,
    pub backoff: Backoff,
    pub update_content_type: String,
    pub require_preconditions: bool,
    pub body_limit: u64,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub retry: Retry,
    pub config_file: Option<PathBuf>,
    /// The `Authorization` the base URL's user info gave, which goes with that base URL.
    pub userinfo_authorization: Option<HeaderValue>,
}

/// Retries of `429 Too Many Requests` and `503 Service Unavailable`: off unless `max` > 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retry {
    /// How many times a request is sent again.
    pub max: u32,
    /// The longest wait honoured; a longer `Retry-After` returns the response instead.
    pub max_wait: Duration,
}

/// The wait when a `429`/`503` has no usable `Retry-After`.
pub(crate) const DEFAULT_RETRY_WAIT: Duration = Duration::from_secs(1);
const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

impl Config {
    fn defaults() -> Result<Config> {
        let base = url::parse_base(DEFAULT_BASE_URL)?;
        Ok(Config {
            base_url: DEFAULT_BASE_URL.to_owned(),
            base_origin: Origin::of_url(&base),
            headers: headers::defaults(),
            error_handling: ErrorHandling::default(),
            list_style: ListStyle::default(),
            etag_field: Arc::from(DEFAULT_ETAG_FIELD),
            link_resolution: LinkResolution::default(),
            update_attempts: DEFAULT_UPDATE_ATTEMPTS,
            backoff: DEFAULT_BACKOFF,
            update_content_type: DEFAULT_UPDATE_CONTENT_TYPE.to_owned(),
            require_preconditions: false,
            body_limit: DEFAULT_BODY_LIMIT,
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            retry: Retry {
                max: 0,
                max_wait: DEFAULT_MAX_RETRY_WAIT,
            },
            config_file: None,
            userinfo_authorization: None,
        })
    }

    /// Sets the base URL; user info in it becomes this layer's `Authorization: Basic`.
    pub(crate) fn set_base_url(&mut self, base: &str, keep_authorization: bool) -> Result<()> {
        let parsed = url::parse_base(base)?;
        let credentials = url::basic_credentials(&parsed);
        let plain = parsed.username().is_empty() && parsed.password().is_none();
        self.base_url = match plain && ureq::http::Uri::try_from(base).is_ok() {
            // Kept as given, so `base_url()` shows what the caller wrote.
            true => base.to_owned(),
            false => {
                let built = url::without_userinfo(&parsed);
                match base.ends_with('/') {
                    true => built,
                    false => built.trim_end_matches('/').to_owned(),
                }
            }
        };
        self.base_origin = Origin::of_url(&parsed);
        // The credentials of the previous base URL's user info belong to it: they go with it
        // (unless something else set `Authorization` since).
        if let Some(old) = self.userinfo_authorization.take()
            && self.headers.get(header::AUTHORIZATION) == Some(&old)
        {
            self.headers.remove(header::AUTHORIZATION);
        }
        if let Some(c) = credentials
            && !keep_authorization
        {
            let value = headers::value("Authorization", &c)?;
            self.headers.insert(header::AUTHORIZATION, value.clone());
            self.userinfo_authorization = Some(value);
        }
        Ok(())
    }

    /// Lays `layer` over these settings.
    fn apply(&mut self, layer: &Layer) -> Result<()> {
        if layer.replace_headers {
            self.headers.clear();
        }
        for (name, value) in &layer.headers {
            let n = headers::name(name)?;
            match value {
                Some(v) => {
                    self.headers.insert(n, headers::value(name, v)?);
                }
                None => {
                    self.headers.remove(n);
                }
            }
        }
        if let Some(base) = &layer.base_url {
            let sets_authorization = layer
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
            self.set_base_url(base, sets_authorization)?;
        }
        set(
            &mut self.error_handling.raise_on_network_error,
            &layer.raise_on_network_error,
        );
        if let Some(codes) = &layer.raise_on_status_codes {
            self.error_handling.raise_on_status_codes = Some(codes.clone());
        }
        set(&mut self.list_style, &layer.list_style);
        if let Some(f) = &layer.etag_field {
            self.etag_field = Arc::from(f.as_str());
        }
        set(&mut self.link_resolution, &layer.link_resolution);
        if let Some(a) = layer.update_attempts {
            self.update_attempts = a.max(1);
        }
        set(&mut self.backoff, &layer.backoff);
        set(&mut self.update_content_type, &layer.update_content_type);
        set(
            &mut self.require_preconditions,
            &layer.require_preconditions,
        );
        set(&mut self.body_limit, &layer.body_limit);
        if let Some(t) = layer.timeout {
            self.timeout = t.map(|t| t.min(MAX_TIMEOUT));
        }
        if let Some(t) = layer.connect_timeout {
            self.connect_timeout = t.map(|t| t.min(MAX_TIMEOUT));
        }
        set(&mut self.retry.max, &layer.retries);
        set(&mut self.retry.max_wait, &layer.max_retry_wait);
        Ok(())
    }
}

/// `slot` takes the layer's value, if it has one.
fn set<T: Clone>(slot: &mut T, value: &Option<T>) {
    if let Some(v) = value {
        *slot = v.clone();
    }
}

/// One source of settings; `None` leaves a value as the layers below set it.
#[derive(Clone, Default, Debug)]
pub(crate) struct Layer {
    pub base_url: Option<String>,
    /// Header name and value, in order; `None` removes the header.
    pub headers: Vec<(String, Option<String>)>,
    /// The layer's headers replace all headers below it.
    pub replace_headers: bool,
    pub raise_on_network_error: Option<bool>,
    pub raise_on_status_codes: Option<StatusCodes>,
    pub list_style: Option<ListStyle>,
    pub etag_field: Option<String>,
    pub link_resolution: Option<LinkResolution>,
    pub update_attempts: Option<u32>,
    pub backoff: Option<Backoff>,
    pub update_content_type: Option<String>,
    pub require_preconditions: Option<bool>,
    pub body_limit: Option<u64>,
    pub timeout: Option<Option<Duration>>,
    pub connect_timeout: Option<Option<Duration>>,
    pub retries: Option<u32>,
    pub max_retry_wait: Option<Duration>,
}

#[derive(Debug, Clone, Default)]
enum ConfigSource {
    #[default]
    Discover,
    File(PathBuf),
    None,
}

/// Where requests go through a proxy.
#[derive(Clone, Default)]
pub(crate) enum Proxy {
    #[default]
    FromEnv,
    None,
    Url(String),
}

/// Sets up an [`Api`](crate::Api). Values set here win over the `.halchemy` file's.
///
/// `Debug` shows every setting but never a credential: header values of `Authorization`,
/// `Cookie` and `Proxy-Authorization`, and passwords in the base and proxy URLs, are
/// redacted.
///
/// # Example
///
/// ```
/// use halchemy::{Api, ListStyle};
///
/// let api = Api::builder()
///     .base_url("http://example.org/api")
///     .raise_on_status_codes(">399")
///     .parameters_list_style(ListStyle::Bracket)
///     .no_config_file()
///     .build()?;
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct ApiBuilder {
    layer: Layer,
    /// Kept as given, so `build` can report it.
    raise_on_status_codes: Option<String>,
    source: ConfigSource,
    pub(crate) proxy: Proxy,
    pub(crate) tls: crate::tls::TlsSettings,
}

impl ApiBuilder {
    /// The base URL. Defaults to the `.halchemy` file's, else `http://localhost:2112`.
    ///
    /// User info in it (`http://alice:secret@host/api`) is sent as `Authorization: Basic` to
    /// the base URL's origin only, unless an `Authorization` header is set here too; it is
    /// never shown in any text halchemy produces.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().base_url("http://example.org").no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.layer.base_url = Some(url.into());
        self
    }

    /// Adds a default header (replacing one of the same name).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().header("X-Client", "cli").no_config_file().build()?;
    /// assert_eq!(api.headers()["x-client"], "cli");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.layer.headers.push((name.into(), Some(value.into())));
        self
    }

    /// Sends `Authorization: Bearer <token>` to the base URL's origin (replacing the family's
    /// default `Basic` credentials); like every default credential it never goes to another
    /// origin. A token that cannot be a header value is an [`Error::InvalidHeader`] from
    /// [`build`](Self::build), which does not show the token.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().bearer_auth("s3cr3t").no_config_file().build()?;
    /// assert_eq!(api.headers()["authorization"], "Bearer s3cr3t");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn bearer_auth(self, token: impl AsRef<str>) -> Self {
        self.header("Authorization", format!("Bearer {}", token.as_ref()))
    }

    /// Sends `Authorization: Basic base64(user:password)` (RFC 7617, UTF-8) to the base URL's
    /// origin, replacing the family's default `root:password`; like every default credential
    /// it never goes to another origin.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().basic_auth("Aladdin", "open sesame").no_config_file().build()?;
    /// assert_eq!(api.headers()["authorization"], "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn basic_auth(self, user: impl AsRef<str>, password: impl AsRef<str>) -> Self {
        let value =
            url::basic_authorization(user.as_ref().as_bytes(), password.as_ref().as_bytes());
        self.header("Authorization", value)
    }

    /// Removes a default header (one of the family's defaults, or one from `.halchemy`).
    /// `without_header("Authorization")` stops the family's default `Basic root:password`.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().without_header("Authorization").no_config_file().build()?;
    /// assert!(!api.headers().contains_key("authorization"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn without_header(mut self, name: impl Into<String>) -> Self {
        self.layer.headers.push((name.into(), None));
        self
    }

    /// See [`ErrorHandling::raise_on_network_error`]. Defaults to `true`.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().raise_on_network_error(false).no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn raise_on_network_error(mut self, raise: bool) -> Self {
        self.layer.raise_on_network_error = Some(raise);
        self
    }

    /// See [`ErrorHandling::raise_on_status_codes`]: a [`StatusCodes`] set such as `">399"`,
    /// checked by `build`. Defaults to none.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().raise_on_status_codes("400-499, >=500").no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn raise_on_status_codes(mut self, codes: impl Into<String>) -> Self {
        self.raise_on_status_codes = Some(codes.into());
        self
    }

    /// How lists in `with_parameters` are written. Defaults to [`ListStyle::RepeatKey`].
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().parameters_list_style(halchemy::ListStyle::Pipe).no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn parameters_list_style(mut self, style: ListStyle) -> Self {
        self.layer.list_style = Some(style);
        self
    }

    /// The etag field. Defaults to `_etag`.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().etag_field("version").no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn etag_field(mut self, field: impl Into<String>) -> Self {
        self.layer.etag_field = Some(field.into());
        self
    }

    /// How relative hrefs of links resolve. Defaults to [`LinkResolution::Base`], the
    /// family's rule.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::LinkResolution;
    ///
    /// let api = halchemy::Api::builder()
    ///     .link_resolution(LinkResolution::Document)
    ///     .no_config_file()
    ///     .build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn link_resolution(mut self, mode: LinkResolution) -> Self {
        self.layer.link_resolution = Some(mode);
        self
    }

    /// How many PATCHes [`Api::update`](crate::Api::update) tries. Defaults to 40.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().update_attempts(20).no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn update_attempts(mut self, attempts: u32) -> Self {
        self.layer.update_attempts = Some(attempts.max(1));
        self
    }

    /// The pause between [`update`](crate::Api::update) attempts after a conflict: a random
    /// time between zero and `min(cap, base × 2^n)` before attempt `n + 1` (exponential
    /// backoff with full jitter). Defaults to a base of 50 ms and a cap of 1 s.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let api = halchemy::Api::builder()
    ///     .update_backoff(Duration::from_millis(50), Duration::from_secs(5))
    ///     .no_config_file()
    ///     .build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn update_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.layer.backoff = Some(Backoff {
            base,
            cap: cap.max(base),
        });
        self
    }

    /// The `Content-Type` of the merge patch [`update`](crate::Api::update) sends. Defaults to
    /// `application/json` (Eve refuses `application/merge-patch+json`).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder()
    ///     .update_content_type("application/merge-patch+json")
    ///     .no_config_file()
    ///     .build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn update_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.layer.update_content_type = Some(content_type.into());
        self
    }

    /// Refuses every write through a resource that has no validator to make it conditional
    /// (no ETag and no `Last-Modified`): the call returns [`Error::Unconditional`] and sends
    /// nothing. Defaults to `false`: such writes go out without a precondition, as in the
    /// other halchemy libraries.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().require_preconditions(true).no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn require_preconditions(mut self, require: bool) -> Self {
        self.layer.require_preconditions = Some(require);
        self
    }

    /// The largest response body accepted, in bytes. Defaults to 10 MiB.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().body_limit(1 << 20).no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.layer.body_limit = Some(bytes);
        self
    }

    /// The deadline of a whole call — connection, every redirect, every retry, the body —
    /// (`None`: no limit; more than a year counts as a year). Defaults to 30 seconds.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().timeout(Some(std::time::Duration::from_secs(5))).no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.layer.timeout = Some(timeout);
        self
    }

    /// The timeout for opening a connection (`None`: no limit; more than a year counts as a
    /// year). Defaults to 10 seconds.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().connect_timeout(Some(std::time::Duration::from_secs(2))).no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.layer.connect_timeout = Some(timeout);
        self
    }

    /// Sends a request again, up to `max` times, when the server answers
    /// `429 Too Many Requests` or `503 Service Unavailable`, after the wait its `Retry-After`
    /// asks (seconds or an HTTP date; 1 second without one), within the call's
    /// [timeout](ApiBuilder::timeout). Only requests that are safe to repeat are: GET, HEAD,
    /// OPTIONS, and writes that carry an entity tag's `If-Match` (so a repeat of a write that
    /// was applied meets `412` instead of applying twice; a date's `If-Unmodified-Since` does
    /// not ensure that). A POST is never repeated. A repeated write that meets
    /// `412` answers the `429`/`503` instead: the first attempt may have been applied (a
    /// gateway's `503` after the server did the work), so its outcome is unknown, not a
    /// conflict. Defaults to 0 (off).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().retries(3).no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn retries(mut self, max: u32) -> Self {
        self.layer.retries = Some(max);
        self
    }

    /// The longest `Retry-After` a [retry](ApiBuilder::retries) waits for; a server asking
    /// for longer gets its `429`/`503` returned at once. Defaults to 30 seconds.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder()
    ///     .retries(3)
    ///     .max_retry_wait(std::time::Duration::from_secs(5))
    ///     .no_config_file()
    ///     .build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn max_retry_wait(mut self, wait: Duration) -> Self {
        self.layer.max_retry_wait = Some(wait);
        self
    }

    /// Loads this `.halchemy` file instead of looking for one.
    ///
    /// By default the file is looked for: walking up from the current directory to the first
    /// folder holding `Cargo.toml`, `.git` or `.halchemy`, whose `.halchemy` is used; if it has
    /// none, `~/.halchemy` is used.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::builder().config_file("/etc/myapp/.halchemy").build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = ConfigSource::File(path.into());
        self
    }

    /// Loads no `.halchemy` file at all.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert!(api.config_file().is_none());
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn no_config_file(mut self) -> Self {
        self.source = ConfigSource::None;
        self
    }

    /// Sends every request through this proxy (`http://host:port`, or `socks5://host:port`
    /// with the `socks-proxy` feature). By default the `HTTP_PROXY`, `HTTPS_PROXY`,
    /// `ALL_PROXY` and `NO_PROXY` environment variables are honoured.
    ///
    /// # Errors
    ///
    /// [`build`](Self::build) returns [`Error::InvalidUrl`] for a URL that is not a proxy's,
    /// and for a SOCKS proxy without the `socks-proxy` feature.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().proxy("http://proxy.local:3128").no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Proxy::Url(url.into());
        self
    }

    /// Uses no proxy, whatever the environment says.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_proxy().no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn no_proxy(mut self) -> Self {
        self.proxy = Proxy::None;
        self
    }

    /// Builds the Api.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a `.halchemy` file that cannot be read or holds a bad value,
    /// [`Error::InvalidUrl`], [`Error::InvalidHeader`] and [`Error::StatusCodes`] for bad
    /// values set here, [`Error::TlsConfig`] for TLS settings that cannot be used.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn build(mut self) -> Result<crate::Api> {
        if let Some(codes) = &self.raise_on_status_codes {
            self.layer.raise_on_status_codes = Some(codes.parse()?);
        }
        let mut config = Config::defaults()?;
        if let Some((path, file)) = self.file_layer()? {
            config.apply(&file).map_err(|e| Error::Config {
                file: path.clone(),
                message: e.to_string(),
            })?;
            config.config_file = Some(path);
        }
        config.apply(&self.layer)?;
        crate::Api::from_config(config, &self.proxy, &self.tls)
    }

    /// The `.halchemy` file's settings, if a file is to be read.
    fn file_layer(&self) -> Result<Option<(PathBuf, Layer)>> {
        let path = match &self.source {
            ConfigSource::None => return Ok(None),
            ConfigSource::File(path) => path.clone(),
            ConfigSource::Discover => {
                let found = std::env::current_dir().ok().and_then(|cwd| {
                    config_file::discover(&cwd, config_file::home_dir().as_deref())
                });
                match found {
                    Some(path) => path,
                    None => return Ok(None),
                }
            }
        };
        let layer = config_file::load(&path)?;
        Ok(Some((path, layer)))
    }
}

impl fmt::Debug for ApiBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.layer;
        let headers: Vec<(&str, Option<&str>)> = l
            .headers
            .iter()
            .map(|(n, v)| {
                let shown = match headers::is_secret_name(n) {
                    true => v.as_ref().map(|_| headers::REDACTED),
                    false => v.as_deref(),
                };
                (n.as_str(), shown)
            })
            .collect();
        f.debug_struct("ApiBuilder")
            .field("base_url", &l.base_url.as_deref().map(url::redacted))
            .field("headers", &headers)
            .field("raise_on_network_error", &l.raise_on_network_error)
            .field("raise_on_status_codes", &self.raise_on_status_codes)
            .field("list_style", &l.list_style)
            .field("etag_field", &l.etag_field)
            .field("link_resolution", &l.link_resolution)
            .field("update_attempts", &l.update_attempts)
            .field("update_content_type", &l.update_content_type)
            .field("require_preconditions", &l.require_preconditions)
            .field("body_limit", &l.body_limit)
            .field("timeout", &l.timeout)
            .field("connect_timeout", &l.connect_timeout)
            .field("retries", &l.retries)
            .field("max_retry_wait", &l.max_retry_wait)
            .field("config", &self.source)
            .field("proxy", &self.proxy)
            .field("tls", &self.tls)
            .finish()
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proxy::FromEnv => f.write_str("FromEnv"),
            Proxy::None => f.write_str("None"),
            Proxy::Url(u) => f.debug_tuple("Url").field(&url::redacted(u)).finish(),
        }
    }
}
