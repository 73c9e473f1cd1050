//! `Api`: the configuration and the shared connection pool; where every request starts.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::{HeaderMap, Uri};

use crate::config_file::{self, FileSettings};
use crate::error::{Error, Result};
use crate::headers;
use crate::meta::RedactedHeaders;
use crate::params::ListStyle;
use crate::request::{Endpoint, Follower, FollowerMut, Request};
use crate::resource::{Resource, ResourceRef};
use crate::status::StatusCodes;
use crate::url::{self, Origin};

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
const DEFAULT_UPDATE_ATTEMPTS: u32 = 5;

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

#[derive(Clone)]
pub(crate) struct Settings {
    pub base_url: String,
    pub base_origin: Option<Origin>,
    pub headers: HeaderMap,
    pub error_handling: ErrorHandling,
    pub list_style: ListStyle,
    pub etag_field: Arc<str>,
    pub update_attempts: u32,
    pub body_limit: u64,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub config_file: Option<PathBuf>,
}

/// A HAL API: its base URL, headers and error handling, and one shared pool of keep-alive
/// connections.
///
/// `Api` is `Clone + Send + Sync`. Clones share the connection pool and start with the same
/// settings; a setter changes only the clone it is called on, and only for later requests.
///
/// # Example
///
/// ```no_run
/// use halchemy::Api;
///
/// let api = Api::new("http://localhost:2112")?;
/// let home = api.home().get()?;
/// let customers = api.follow(&home).to("customers").get()?;
/// println!("{customers:#}");
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Clone)]
pub struct Api {
    agent: ureq::Agent,
    settings: Arc<Settings>,
}

impl Api {
    /// An Api at `base_url`, after loading the `.halchemy` file (see
    /// [`ApiBuilder::config_file`]); `base_url` wins over the file's.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] when `base_url` is not an absolute `http(s)` URL, and
    /// [`Error::Config`] for a bad `.halchemy` file.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org/api")?;
    /// assert_eq!(api.base_url(), "http://example.org/api");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn new(base_url: impl Into<String>) -> Result<Api> {
        Api::builder().base_url(base_url).build()
    }

    /// A builder that sets everything at once.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let api = halchemy::Api::builder()
    ///     .base_url("http://example.org/api")
    ///     .header("Authorization", "Bearer s3cr3t")
    ///     .timeout(Some(Duration::from_secs(5)))
    ///     .no_config_file()
    ///     .build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn builder() -> ApiBuilder {
        ApiBuilder::default()
    }

    /// The base URL that relative URLs and hrefs join.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert_eq!(api.base_url(), "http://localhost:2112");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn base_url(&self) -> &str {
        &self.settings.base_url
    }

    /// Changes the base URL for later requests.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`]; the Api is unchanged then.
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::new("http://example.org")?;
    /// api.set_base_url("http://new.example.org/api")?;
    /// assert_eq!(api.home().url()?, "http://new.example.org/api/");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn set_base_url(&mut self, base_url: impl Into<String>) -> Result<()> {
        let base_url = base_url.into();
        let origin = checked_origin(&base_url)?;
        let s = self.settings_mut();
        s.base_url = base_url;
        s.base_origin = origin;
        Ok(())
    }

    /// The headers sent with every request.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert_eq!(api.headers()["content-type"], "application/json");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.settings.headers
    }

    /// Replaces all default headers with these.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeader`] for a bad name or value; nothing changes then.
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::builder().no_config_file().build()?;
    /// api.set_headers([("Accept", "application/hal+json")])?;
    /// assert_eq!(api.headers().len(), 1);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn set_headers<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Result<()> {
        let mut map = HeaderMap::new();
        headers::insert_all(&mut map, headers)?;
        self.settings_mut().headers = map;
        Ok(())
    }

    /// Adds these headers to the defaults, replacing any of the same name (names are
    /// case-insensitive: `content-type` replaces `Content-type`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeader`] for a bad name or value; nothing changes then.
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::builder().no_config_file().build()?;
    /// api.add_headers([("content-type", "application/merge-patch+json")])?;
    /// assert_eq!(api.headers()["Content-Type"], "application/merge-patch+json");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn add_headers<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Result<()> {
        let mut map = self.settings.headers.clone();
        headers::insert_all(&mut map, headers)?;
        self.settings_mut().headers = map;
        Ok(())
    }

    /// Removes these default headers (case-insensitive); names not present are ignored.
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::builder().no_config_file().build()?;
    /// api.remove_headers(["authorization"]);
    /// assert!(!api.headers().contains_key("Authorization"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn remove_headers<K: AsRef<str>>(&mut self, names: impl IntoIterator<Item = K>) {
        let names: Vec<_> = names
            .into_iter()
            .filter_map(|n| headers::name(n.as_ref()).ok())
            .collect();
        let s = self.settings_mut();
        for n in names {
            s.headers.remove(n);
        }
    }

    /// The error-handling policy.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert!(api.error_handling().raise_on_network_error);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn error_handling(&self) -> &ErrorHandling {
        &self.settings.error_handling
    }

    /// The error-handling policy, to change.
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::builder().no_config_file().build()?;
    /// api.error_handling_mut().raise_on_status_codes = Some("500-599".parse()?);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn error_handling_mut(&mut self) -> &mut ErrorHandling {
        &mut self.settings_mut().error_handling
    }

    /// How lists in `with_parameters` are written. Defaults to [`ListStyle::RepeatKey`].
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert_eq!(api.parameters_list_style(), halchemy::ListStyle::RepeatKey);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn parameters_list_style(&self) -> ListStyle {
        self.settings.list_style
    }

    /// Sets how lists in `with_parameters` are written.
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::builder().no_config_file().build()?;
    /// api.set_parameters_list_style(halchemy::ListStyle::Comma);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn set_parameters_list_style(&mut self, style: ListStyle) {
        self.settings_mut().list_style = style;
    }

    /// The body field an ETag is read from when a response has no `ETag` header. Defaults to
    /// `_etag`.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert_eq!(api.etag_field(), "_etag");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn etag_field(&self) -> &str {
        &self.settings.etag_field
    }

    /// Sets the etag field.
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::builder().no_config_file().build()?;
    /// api.set_etag_field("version");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn set_etag_field(&mut self, field: impl AsRef<str>) {
        self.settings_mut().etag_field = Arc::from(field.as_ref());
    }

    /// How many PATCHes [`update`](Api::update) tries before returning the last conflict.
    /// Defaults to 5.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert_eq!(api.update_attempts(), 5);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn update_attempts(&self) -> u32 {
        self.settings.update_attempts
    }

    /// Sets how many PATCHes [`update`](Api::update) tries (at least 1).
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::builder().no_config_file().build()?;
    /// api.set_update_attempts(20);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn set_update_attempts(&mut self, attempts: u32) {
        self.settings_mut().update_attempts = attempts.max(1);
    }

    /// The largest response body accepted, in bytes. Defaults to 10 MiB.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert_eq!(api.body_limit(), 10 * 1024 * 1024);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn body_limit(&self) -> u64 {
        self.settings.body_limit
    }

    /// Sets the largest response body accepted, in bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::builder().no_config_file().build()?;
    /// api.set_body_limit(100 * 1024 * 1024);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn set_body_limit(&mut self, bytes: u64) {
        self.settings_mut().body_limit = bytes;
    }

    /// The `.halchemy` file that was loaded, if any.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert!(api.config_file().is_none());
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn config_file(&self) -> Option<&std::path::Path> {
        self.settings.config_file.as_deref()
    }

    /// A request to the API's root, `/` under the base URL.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org/api")?;
    /// assert_eq!(api.home().url()?, "http://example.org/api/");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn home(&self) -> Request<'_, Endpoint> {
        self.using_endpoint("/")
    }

    /// A request to any URL: absolute, or relative to the base URL. It may also be a URI
    /// template, expanded with [`with_template_values`](Request::with_template_values).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org/api")?;
    /// assert_eq!(api.using_endpoint("/path/").url()?, "http://example.org/api/path/");
    /// assert_eq!(api.using_endpoint("https://other.net/x").url()?, "https://other.net/x");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn using_endpoint(&self, url: impl Into<String>) -> Request<'_, Endpoint> {
        Request::endpoint(self, url.into())
    }

    /// Starts following a link of `resource` (a [`Resource`] or a borrowed [`ResourceRef`]).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let home = halchemy::Resource::from(serde_json::json!({"_links": {"orders": {"href": "/orders"}}}));
    /// assert_eq!(api.follow(&home).to("orders").url()?, "http://example.org/orders");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn follow<'a>(&'a self, resource: impl Into<ResourceRef<'a>>) -> Follower<'a> {
        Follower::new(self, resource.into())
    }

    /// Starts following a link of `resource` to write it: `put`, `patch` and `delete` send
    /// `If-Match` with its ETag and update the ETag on success.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut customer = api.using_endpoint("/customers/1").get()?;
    /// api.follow_mut(&mut customer).to("self").patch(serde_json::json!({"name": "Kim"}))?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn follow_mut<'a>(&'a self, resource: &'a mut Resource) -> FollowerMut<'a> {
        FollowerMut::new(self, resource)
    }

    pub(crate) fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    fn settings_mut(&mut self) -> &mut Settings {
        Arc::make_mut(&mut self.settings)
    }
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        f.debug_struct("Api")
            .field("base_url", &url::redacted(&s.base_url))
            .field("headers", &RedactedHeaders(&s.headers))
            .field("error_handling", &s.error_handling)
            .field("list_style", &s.list_style)
            .field("etag_field", &s.etag_field)
            .field("update_attempts", &s.update_attempts)
            .field("body_limit", &s.body_limit)
            .field("timeout", &s.timeout)
            .field("connect_timeout", &s.connect_timeout)
            .field("config_file", &s.config_file)
            .finish()
    }
}

fn checked_origin(base_url: &str) -> Result<Option<Origin>> {
    url::check_base(base_url)?;
    Ok(Uri::try_from(base_url).ok().and_then(|u| Origin::of(&u)))
}

#[derive(Debug, Clone, Default)]
enum ConfigSource {
    #[default]
    Discover,
    File(PathBuf),
    None,
}

#[derive(Debug, Clone, Default)]
enum Proxy {
    #[default]
    FromEnv,
    None,
    Url(String),
}

/// Sets up an [`Api`]. Values set here win over the `.halchemy` file's.
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
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ApiBuilder {
    base_url: Option<String>,
    headers: Vec<(String, String)>,
    removed_headers: Vec<String>,
    raise_on_network_error: Option<bool>,
    raise_on_status_codes: Option<String>,
    list_style: Option<ListStyle>,
    etag_field: Option<String>,
    update_attempts: Option<u32>,
    body_limit: Option<u64>,
    timeout: Option<Option<Duration>>,
    connect_timeout: Option<Option<Duration>>,
    config: ConfigSource,
    proxy: Proxy,
}

impl ApiBuilder {
    /// The base URL. Defaults to the `.halchemy` file's, else `http://localhost:2112`.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().base_url("http://example.org").no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
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
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Removes a default header (one of the family's defaults, or one from `.halchemy`).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().without_header("Authorization").no_config_file().build()?;
    /// assert!(!api.headers().contains_key("authorization"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn without_header(mut self, name: impl Into<String>) -> Self {
        self.removed_headers.push(name.into());
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
        self.raise_on_network_error = Some(raise);
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
        self.list_style = Some(style);
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
        self.etag_field = Some(field.into());
        self
    }

    /// How many PATCHes [`Api::update`] tries. Defaults to 5.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().update_attempts(10).no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn update_attempts(mut self, attempts: u32) -> Self {
        self.update_attempts = Some(attempts.max(1));
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
        self.body_limit = Some(bytes);
        self
    }

    /// The overall timeout of a request, redirects and body included (`None`: no limit; more
    /// than a year counts as a year). Defaults to 30 seconds.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().timeout(Some(std::time::Duration::from_secs(5))).no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = Some(timeout);
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
        self.connect_timeout = Some(timeout);
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
        self.config = ConfigSource::File(path.into());
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
        self.config = ConfigSource::None;
        self
    }

    /// Sends every request through this proxy (`http://host:port`, `socks5://host:port`).
    /// By default the `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` environment
    /// variables are honoured.
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
    /// values set here.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn build(self) -> Result<Api> {
        let file = match &self.config {
            ConfigSource::None => None,
            ConfigSource::File(path) => Some(config_file::load(path)?),
            ConfigSource::Discover => {
                let cwd = std::env::current_dir().ok();
                let home = config_file::home_dir();
                match cwd
                    .as_deref()
                    .and_then(|c| config_file::discover(c, home.as_deref()))
                {
                    Some(path) => Some(config_file::load(&path)?),
                    None => None,
                }
            }
        };
        let file = file.unwrap_or_default();
        let config_path = (!file.path.as_os_str().is_empty()).then(|| file.path.clone());

        let base_url = self
            .base_url
            .or(file.base_url.clone())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let base_origin =
            checked_origin(&base_url).map_err(|e| match (&file.base_url, &config_path) {
                (Some(b), Some(p)) if *b == base_url => Error::Config {
                    file: p.clone(),
                    message: format!("[halchemy] base_url = {b:?}: {e}"),
                },
                _ => e,
            })?;

        let mut headers = headers::defaults();
        apply_file_headers(&mut headers, &file)?;
        headers::insert_all(&mut headers, self.headers.iter().map(|(k, v)| (k, v)))?;
        for name in &self.removed_headers {
            headers.remove(headers::name(name)?);
        }

        let mut error_handling = ErrorHandling::default();
        if let Some(r) = file.raise_on_network_error {
            error_handling.raise_on_network_error = r;
        }
        error_handling.raise_on_status_codes = file.raise_on_status_codes;
        if let Some(r) = self.raise_on_network_error {
            error_handling.raise_on_network_error = r;
        }
        if let Some(codes) = &self.raise_on_status_codes {
            error_handling.raise_on_status_codes = Some(codes.parse()?);
        }

        let settings = Settings {
            base_url,
            base_origin,
            headers,
            error_handling,
            list_style: self.list_style.or(file.list_style).unwrap_or_default(),
            etag_field: Arc::from(
                self.etag_field
                    .or(file.etag_field)
                    .as_deref()
                    .unwrap_or(DEFAULT_ETAG_FIELD),
            ),
            update_attempts: self.update_attempts.unwrap_or(DEFAULT_UPDATE_ATTEMPTS),
            body_limit: self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
            timeout: self
                .timeout
                .unwrap_or(Some(DEFAULT_TIMEOUT))
                .map(|t| t.min(MAX_TIMEOUT)),
            connect_timeout: self
                .connect_timeout
                .unwrap_or(Some(DEFAULT_CONNECT_TIMEOUT))
                .map(|t| t.min(MAX_TIMEOUT)),
            config_file: config_path,
        };
        let agent = new_agent(&settings, &self.proxy)?;
        Ok(Api {
            agent,
            settings: Arc::new(settings),
        })
    }
}

fn apply_file_headers(headers: &mut HeaderMap, file: &FileSettings) -> Result<()> {
    for (name, value) in &file.headers {
        let in_file = |e: Error| Error::Config {
            file: file.path.clone(),
            message: format!("[headers] {name} = {value:?}: {e}"),
        };
        let n = headers::name(name).map_err(in_file)?;
        if value.is_empty() {
            headers.remove(n);
        } else {
            headers.insert(n, headers::value(name, value).map_err(in_file)?);
        }
    }
    Ok(())
}

fn new_agent(s: &Settings, proxy: &Proxy) -> Result<ureq::Agent> {
    let proxy = match proxy {
        Proxy::FromEnv => ureq::Proxy::try_from_env(),
        Proxy::None => None,
        Proxy::Url(u) => Some(ureq::Proxy::new(u).map_err(|e| Error::InvalidUrl {
            url: url::redacted(u).into_owned(),
            message: format!("not a usable proxy: {e}"),
        })?),
    };
    let builder = ureq::Agent::config_builder();
    #[cfg(feature = "native-tls")]
    let builder = builder.tls_config(
        ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .build(),
    );
    let config = builder
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(s.timeout)
        .timeout_connect(s.connect_timeout)
        .user_agent(concat!("halchemy/", env!("CARGO_PKG_VERSION"), " (rust)"))
        .max_idle_connections(64)
        .max_idle_connections_per_host(32)
        .proxy(proxy)
        .build();
    Ok(ureq::Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::default(),
        crate::resolver::Cached::<ureq::unversioned::resolver::DefaultResolver>::default(),
    ))
}
