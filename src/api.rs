//! `Api`: the settings and the shared connection pool; where every request starts.

use std::fmt;
use std::sync::Arc;

use ureq::http::HeaderMap;

use crate::config::{ApiBuilder, Config, ErrorHandling, Proxy};
#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;
use crate::headers;
use crate::params::ListStyle;
use crate::request::{Endpoint, Follower, Request};
use crate::resource::Resource;
use crate::url::{self, LinkResolution};

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
    pub(crate) agent: ureq::Agent,
    pub(crate) config: Arc<Config>,
}

impl Api {
    /// An Api at `base_url`, after loading the `.halchemy` file (see
    /// [`ApiBuilder::config_file`]); `base_url` wins over the file's.
    ///
    /// Like the other halchemy libraries it sends `Authorization: Basic cm9vdDpwYXNzd29yZA==`
    /// (`root:password`, Eve's default) to the base URL's origin unless told otherwise: set
    /// your own credential with [`ApiBuilder::bearer_auth`] or [`ApiBuilder::basic_auth`], or
    /// drop it with [`ApiBuilder::without_header`]`("Authorization")`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`](crate::Error::InvalidUrl) when `base_url` is not an absolute
    /// `http(s)` URL, and [`Error::Config`](crate::Error::Config) for a bad `.halchemy` file.
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

    /// The base URL that relative URLs and hrefs join, without any user info it was given
    /// with (that became an `Authorization` header).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert_eq!(api.base_url(), "http://localhost:2112");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// Changes the base URL for later requests. User info in it
    /// (`http://alice:secret@host/api`) replaces the `Authorization` header.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`](crate::Error::InvalidUrl); the Api is unchanged then.
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::new("http://example.org")?;
    /// api.set_base_url("http://new.example.org/api")?;
    /// assert_eq!(api.home().url()?, "http://new.example.org/api/");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn set_base_url(&mut self, base_url: impl AsRef<str>) -> Result<()> {
        let mut config = (*self.config).clone();
        config.set_base_url(base_url.as_ref(), false)?;
        self.config = Arc::new(config);
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
        &self.config.headers
    }

    /// Replaces all default headers with these.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeader`](crate::Error::InvalidHeader) for a bad name or value; nothing
    /// changes then.
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
        self.config_mut().headers = map;
        Ok(())
    }

    /// Adds these headers to the defaults, replacing any of the same name (names are
    /// case-insensitive: `content-type` replaces `Content-type`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeader`](crate::Error::InvalidHeader) for a bad name or value; nothing
    /// changes then.
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
        let mut map = self.config.headers.clone();
        headers::insert_all(&mut map, headers)?;
        self.config_mut().headers = map;
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
        let s = self.config_mut();
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
        &self.config.error_handling
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
        &mut self.config_mut().error_handling
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
        self.config.list_style
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
        self.config_mut().list_style = style;
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
        &self.config.etag_field
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
        self.config_mut().etag_field = Arc::from(field.as_ref());
    }

    /// How many PATCHes [`update`](Api::update) tries before returning the last conflict.
    /// Defaults to 40 (with the default backoff, enough for 8 writers contending on one
    /// resource of a real server).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert_eq!(api.update_attempts(), 40);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn update_attempts(&self) -> u32 {
        self.config.update_attempts
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
        self.config_mut().update_attempts = attempts.max(1);
    }

    /// How relative hrefs of links resolve. Defaults to [`LinkResolution::Base`].
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert_eq!(api.link_resolution(), halchemy::LinkResolution::Base);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn link_resolution(&self) -> LinkResolution {
        self.config.link_resolution
    }

    /// Sets how relative hrefs of links resolve, for later requests.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::{Api, LinkResolution, Resource};
    ///
    /// let mut api = Api::builder().base_url("http://host/api/v3").no_config_file().build()?;
    /// let doc = Resource::from(serde_json::json!({"_links": {"s": {"href": "/api/v3/statuses"}}}));
    /// assert_eq!(api.follow(&doc).to("s").url()?, "http://host/api/v3/api/v3/statuses");
    /// api.set_link_resolution(LinkResolution::Document);
    /// assert_eq!(api.follow(&doc).to("s").url()?, "http://host/api/v3/statuses");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn set_link_resolution(&mut self, mode: LinkResolution) {
        self.config_mut().link_resolution = mode;
    }

    /// The `Content-Type` of the merge patch [`update`](Api::update) sends. Defaults to
    /// `application/json`.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert_eq!(api.update_content_type(), "application/json");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn update_content_type(&self) -> &str {
        &self.config.update_content_type
    }

    /// Sets the `Content-Type` of the merge patch [`update`](Api::update) sends (for example
    /// `application/merge-patch+json`).
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::builder().no_config_file().build()?;
    /// api.set_update_content_type("application/merge-patch+json");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn set_update_content_type(&mut self, content_type: impl Into<String>) {
        self.config_mut().update_content_type = content_type.into();
    }

    /// Whether writes through a resource without validators are refused. Defaults to
    /// `false`. See [`ApiBuilder::require_preconditions`].
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::builder().no_config_file().build()?;
    /// assert!(!api.require_preconditions());
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn require_preconditions(&self) -> bool {
        self.config.require_preconditions
    }

    /// Refuses (or allows again) writes through a resource that has no validator: see
    /// [`ApiBuilder::require_preconditions`].
    ///
    /// # Example
    ///
    /// ```
    /// let mut api = halchemy::Api::builder().no_config_file().build()?;
    /// api.set_require_preconditions(true);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn set_require_preconditions(&mut self, require: bool) {
        self.config_mut().require_preconditions = require;
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
        self.config.body_limit
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
        self.config_mut().body_limit = bytes;
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
        self.config.config_file.as_deref()
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
    /// Writes to an endpoint carry no precondition: there is no resource to take one from.
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
        Request::new(self, Endpoint::new(url.into()))
    }

    /// Starts following a link of `resource`. Every method works: a `put`, `patch` or
    /// `delete` to the resource's own URL carries its validators (`If-Match`), so action
    /// links work as in the other halchemy libraries. The resource is only borrowed, so a
    /// write cannot bring it forward: write through [`follow_mut`](Api::follow_mut) to keep
    /// it current.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let home = halchemy::Resource::from(serde_json::json!({"_links": {"orders": {"href": "/orders"}}}));
    /// assert_eq!(api.follow(&home).to("orders").url()?, "http://example.org/orders");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn follow<'a>(&'a self, resource: &'a Resource) -> Follower<'a, &'a Resource> {
        Follower::new(self, resource)
    }

    /// Starts following a link of `resource` to write it. A `put`, `patch` or `delete` to its
    /// own URL sends its validators (`If-Match`) and, on success, brings its data and
    /// validators forward together; any failure leaves it exactly as it was. Requests to any
    /// other URL leave it alone.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut customer = api.using_endpoint("/customers/1").get()?;
    /// api.follow_mut(&mut customer).to("self").patch(serde_json::json!({"name": "Kim"}))?;
    /// assert_eq!(customer["name"], "Kim");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn follow_mut<'a>(&'a self, resource: &'a mut Resource) -> Follower<'a, &'a mut Resource> {
        Follower::new(self, resource)
    }

    pub(crate) fn from_config(
        config: Config,
        proxy: &Proxy,
        tls: &crate::tls::TlsSettings,
    ) -> Result<Api> {
        let agent = crate::agent::new(&config, proxy, tls)?;
        Ok(Api {
            agent,
            config: Arc::new(config),
        })
    }

    /// An href of `r`'s links as a request to it goes: resolved by the Api's
    /// [`LinkResolution`] against the base URL or `r`'s document.
    pub(crate) fn resolve_href(&self, r: &Resource, href: &str) -> Result<String> {
        let c = &self.config;
        url::resolve(&c.base_url, r.document_url(), href, c.link_resolution)
    }

    fn config_mut(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("Api")
            .field("base_url", &url::redacted(&c.base_url))
            .field("headers", &headers::Redacted(&c.headers))
            .field("error_handling", &c.error_handling)
            .field("list_style", &c.list_style)
            .field("etag_field", &c.etag_field)
            .field("link_resolution", &c.link_resolution)
            .field("update_attempts", &c.update_attempts)
            .field("update_content_type", &c.update_content_type)
            .field("require_preconditions", &c.require_preconditions)
            .field("body_limit", &c.body_limit)
            .field("timeout", &c.timeout)
            .field("connect_timeout", &c.connect_timeout)
            .field("retry", &c.retry)
            .field("config_file", &c.config_file)
            .finish()
    }
}
