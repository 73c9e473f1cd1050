//! The request builder: where a request goes (endpoint or link), its template values,
//! parameters and headers. Nothing here fails early; the first error surfaces from `url()` or
//! from the call that sends.

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde_json::Value;
use ureq::http::{HeaderMap, HeaderValue, Method, header};

use crate::api::Api;
use crate::body::IntoBody;
use crate::concurrency;
use crate::error::{Error, Result};
use crate::hal::{self, Pick};
use crate::headers;
use crate::meta::RedactedHeaders;
use crate::params;
use crate::resource::{Resource, ResourceRef};
use crate::template;
use crate::transport::{self, Prepared};
use crate::url;

/// Marks a [`Request`] made by [`Api::using_endpoint`] or [`Api::home`]: it can also `put`,
/// `patch` and `delete` (without `If-Match`).
///
/// # Example
///
/// ```
/// let api = halchemy::Api::new("http://example.org")?;
/// let request: halchemy::Request<'_, halchemy::Endpoint> = api.home();
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug)]
pub struct Endpoint(());

/// Marks a [`Request`] made by [`Api::follow`]: it reads (`get`, `head`, `options`) and
/// `post`s; writing a followed resource is [`Api::follow_mut`]'s job, so its ETag is kept.
///
/// # Example
///
/// ```
/// let api = halchemy::Api::new("http://example.org")?;
/// let home = halchemy::Resource::from(serde_json::json!({"_links": {"a": {"href": "/a"}}}));
/// let request: halchemy::Request<'_, halchemy::Followed> = api.follow(&home).to("a");
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug)]
pub struct Followed(());

/// From [`Api::follow`]: pick the rel to follow with [`to`](Follower::to).
///
/// # Example
///
/// ```
/// let api = halchemy::Api::new("http://example.org")?;
/// let home = halchemy::Resource::from(serde_json::json!({"_links": {"a": {"href": "/a"}}}));
/// let url = api.follow(&home).to("a").url()?;
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Follower<'a> {
    api: &'a Api,
    resource: ResourceRef<'a>,
}

impl<'a> Follower<'a> {
    pub(crate) fn new(api: &'a Api, resource: ResourceRef<'a>) -> Self {
        Follower { api, resource }
    }

    /// A request to the link `rel`. A missing rel is an error from `url()` or the sending
    /// call, naming the rels that exist.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let home = halchemy::Resource::from(serde_json::json!({"_links": {"a": {"href": "/a"}}}));
    /// assert!(api.follow(&home).to("b").url().unwrap_err().to_string().contains("rels are: a"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn to(self, rel: impl Into<String>) -> Request<'a, Followed> {
        Request {
            api: self.api,
            source: Source::Link(self.resource, rel.into()),
            opts: Options::default(),
            kind: PhantomData,
        }
    }
}

/// From [`Api::follow_mut`]: pick the rel with [`to`](FollowerMut::to).
///
/// # Example
///
/// ```
/// let api = halchemy::Api::new("http://example.org")?;
/// let mut r = halchemy::Resource::from(serde_json::json!({"_links": {"self": {"href": "/r"}}}));
/// let url = api.follow_mut(&mut r).to("self").url()?;
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct FollowerMut<'a> {
    api: &'a Api,
    resource: &'a mut Resource,
}

impl<'a> FollowerMut<'a> {
    pub(crate) fn new(api: &'a Api, resource: &'a mut Resource) -> Self {
        FollowerMut { api, resource }
    }

    /// A request to the link `rel` that writes through the resource.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let mut r = halchemy::Resource::from(serde_json::json!({"_links": {"self": {"href": "/r"}}}));
    /// assert_eq!(api.follow_mut(&mut r).to("self").url()?, "http://example.org/r");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn to(self, rel: impl Into<String>) -> RequestMut<'a> {
        RequestMut {
            api: self.api,
            resource: self.resource,
            rel: rel.into(),
            opts: Options::default(),
        }
    }
}

#[derive(Default)]
pub(crate) struct Options {
    pick: Option<Pick>,
    pub(crate) headers: HeaderMap,
    parameters: Option<Value>,
    template_values: Option<Value>,
    /// The first problem a setter met, reported by `url()` or the sending call.
    deferred: Option<Deferred>,
}

/// The errors a builder setter can meet (kept as data so `url()` can report them repeatedly).
#[derive(Debug, Clone)]
enum Deferred {
    Header { name: String, message: String },
    Parameters(String),
}

impl Options {
    fn defer(&mut self, d: Deferred) {
        self.deferred.get_or_insert(d);
    }

    fn headers<K: AsRef<str>, V: AsRef<str>>(&mut self, h: impl IntoIterator<Item = (K, V)>) {
        match headers::insert_all(&mut self.headers, h) {
            Ok(()) => {}
            Err(Error::InvalidHeader { name, message }) => {
                self.defer(Deferred::Header { name, message })
            }
            Err(other) => self.defer(Deferred::Parameters(other.to_string())),
        }
    }

    fn json(&mut self, value: impl Serialize, what: &str) -> Option<Value> {
        match serde_json::to_value(value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.defer(Deferred::Parameters(format!(
                    "cannot serialize {what}: {e}"
                )));
                None
            }
        }
    }

    /// The deferred error, if a setter met one.
    fn check(&self) -> Result<()> {
        match &self.deferred {
            None => Ok(()),
            Some(Deferred::Header { name, message }) => Err(Error::InvalidHeader {
                name: name.clone(),
                message: message.clone(),
            }),
            Some(Deferred::Parameters(m)) => Err(Error::Parameters(m.clone())),
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("pick", &self.pick)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("parameters", &self.parameters)
            .field("template_values", &self.template_values)
            .field("deferred", &self.deferred)
            .finish()
    }
}

enum Source<'a> {
    Endpoint(String),
    Link(ResourceRef<'a>, String),
}

/// The URL a request goes to: the endpoint or the picked link's href, expanded, joined to the
/// base URL, with the parameters merged into its query.
pub(crate) fn build_url(
    api: &Api,
    data: Option<&Value>,
    href_or_rel: &str,
    opts: &Options,
) -> Result<String> {
    let (href, templated) = match data {
        None => (href_or_rel, opts.template_values.is_some()),
        Some(data) => {
            let t = hal::target(data, href_or_rel, opts.pick.as_ref())?;
            (t.href, t.templated || opts.template_values.is_some())
        }
    };
    let settings = api.settings();
    let mut full = if templated {
        let expanded =
            template::expand(href, opts.template_values.as_ref().unwrap_or(&Value::Null))?;
        url::join(&settings.base_url, &expanded)
    } else {
        url::join(&settings.base_url, href)
    };
    if let Some(p) = &opts.parameters {
        params::merge_query(&mut full, &params::to_query(p, settings.list_style)?);
    }
    Ok(full)
}

/// Builds what the transport sends.
pub(crate) fn prepare(
    api: &Api,
    method: Method,
    url: String,
    opts: Options,
    body: Option<crate::Body>,
) -> Result<Prepared> {
    let uri = url::to_uri(&url)?;
    let mut headers = api.settings().headers.clone();
    let explicit_credentials = opts
        .headers
        .keys()
        .filter(|n| crate::meta::is_credential(n))
        .cloned()
        .collect();
    for (name, value) in opts.headers {
        if let Some(name) = name {
            headers.insert(name, value);
        }
    }
    let body = match body {
        None => None,
        Some(b) => match b.encode(api.settings().list_style)? {
            None => None,
            Some((bytes, content_type)) => {
                if let Some(ct) = content_type {
                    headers.insert(header::CONTENT_TYPE, headers::value("Content-Type", &ct)?);
                }
                Some(bytes)
            }
        },
    };
    Ok(Prepared {
        method,
        url,
        uri,
        headers,
        explicit_credentials,
        body,
    })
}

/// Sends a request that leaves the resource it came from alone, with the status policy.
fn dispatch(
    api: &Api,
    method: Method,
    url: String,
    opts: Options,
    body: Option<crate::Body>,
) -> Result<Resource> {
    let prepared = prepare(api, method, url, opts, body)?;
    let response = transport::exchange(api, prepared)?;
    transport::check_status(api, response)
}

macro_rules! shared_builder_methods {
    () => {
        /// Adds headers to this request only, replacing defaults of the same name
        /// (case-insensitive). An `If-Match` set here wins over the automatic one.
        ///
        /// A bad name or value (one holding CR or LF, say) is an [`Error::InvalidHeader`]
        /// from the sending call; it is never sent.
        ///
        /// # Example
        ///
        /// ```
        /// let api = halchemy::Api::new("http://example.org")?;
        /// let request = api.home().with_headers([("Cache-Control", "no-cache")]);
        /// # Ok::<(), halchemy::Error>(())
        /// ```
        pub fn with_headers<K: AsRef<str>, V: AsRef<str>>(
            mut self,
            headers: impl IntoIterator<Item = (K, V)>,
        ) -> Self {
            self.opts.headers(headers);
            self
        }

        /// Adds query parameters: a JSON object (or anything serializing to one), merged with
        /// a query the URL already has. See the crate docs for the encoding rules.
        ///
        /// # Example
        ///
        /// ```
        /// let api = halchemy::Api::new("http://example.org")?;
        /// let url = api.using_endpoint("/test?age=50")
        ///     .with_parameters(serde_json::json!({"name": "John Doe", "tags": ["a", "b"]}))
        ///     .url()?;
        /// assert_eq!(url, "http://example.org/test?age=50&name=John+Doe&tags=a&tags=b");
        /// # Ok::<(), halchemy::Error>(())
        /// ```
        pub fn with_parameters(mut self, parameters: impl Serialize) -> Self {
            self.opts.parameters = self.opts.json(parameters, "the parameters");
            self
        }

        /// Values for an RFC 6570 templated href: a JSON object (or anything serializing to
        /// one). Missing values are left out.
        ///
        /// # Example
        ///
        /// ```
        /// let api = halchemy::Api::new("http://example.org")?;
        /// let url = api.using_endpoint("/customers/{id}{?fields*}")
        ///     .with_template_values(serde_json::json!({"id": "A375", "fields": ["name", "email"]}))
        ///     .url()?;
        /// assert_eq!(url, "http://example.org/customers/A375?fields=name&fields=email");
        /// # Ok::<(), halchemy::Error>(())
        /// ```
        pub fn with_template_values(mut self, values: impl Serialize) -> Self {
            self.opts.template_values = self.opts.json(values, "the template values");
            self
        }
    };
}

macro_rules! link_picker_methods {
    () => {
        /// Picks the link at `index` of a rel holding an array of links.
        ///
        /// # Example
        ///
        /// ```
        /// let api = halchemy::Api::new("http://example.org")?;
        /// let home = halchemy::Resource::from(serde_json::json!({"_links": {"child": [
        ///     {"href": "customers"}, {"href": "orders"}]}}));
        /// assert_eq!(api.follow(&home).to("child").at(1).url()?, "http://example.org/orders");
        /// # Ok::<(), halchemy::Error>(())
        /// ```
        pub fn at(mut self, index: usize) -> Self {
            self.opts.pick = Some(Pick::At(index));
            self
        }

        /// Picks the link whose `name` is `name`.
        ///
        /// # Example
        ///
        /// ```
        /// let api = halchemy::Api::new("http://example.org")?;
        /// let home = halchemy::Resource::from(serde_json::json!({"_links": {"child": [
        ///     {"href": "customers", "name": "c"}, {"href": "orders", "name": "o"}]}}));
        /// assert_eq!(api.follow(&home).to("child").named("o").url()?, "http://example.org/orders");
        /// # Ok::<(), halchemy::Error>(())
        /// ```
        pub fn named(mut self, name: impl Into<String>) -> Self {
            self.opts.pick = Some(Pick::Named(name.into()));
            self
        }

        /// Picks the link whose `title` is `title`.
        ///
        /// # Example
        ///
        /// ```
        /// let api = halchemy::Api::new("http://example.org")?;
        /// let home = halchemy::Resource::from(serde_json::json!({"_links": {"child": [
        ///     {"href": "customers", "title": "customers"}, {"href": "orders", "title": "orders"}]}}));
        /// assert_eq!(api.follow(&home).to("child").titled("customers").url()?,
        ///            "http://example.org/customers");
        /// # Ok::<(), halchemy::Error>(())
        /// ```
        pub fn titled(mut self, title: impl Into<String>) -> Self {
            self.opts.pick = Some(Pick::Titled(title.into()));
            self
        }
    };
}

/// A request being built. Nothing is sent until `get`, `head`, `options`, `post` (and, for
/// endpoints, `put`, `patch`, `delete`).
///
/// Like reqwest's builder, no setter fails: the first problem (a missing rel, a bad template,
/// a bad header) is returned by [`url`](Request::url) or by the call that sends.
///
/// # Example
///
/// ```no_run
/// use serde_json::json;
///
/// let api = halchemy::Api::new("http://localhost:2112")?;
/// let home = api.home().get()?;
/// let customer = api
///     .follow(&home)
///     .to("customer")
///     .with_template_values(json!({"id": "A375"}))
///     .with_parameters(json!({"embed": "orders"}))
///     .with_headers([("Cache-Control", "no-cache")])
///     .get()?;
/// # Ok::<(), halchemy::Error>(())
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct Request<'a, K = Endpoint> {
    api: &'a Api,
    source: Source<'a>,
    opts: Options,
    kind: PhantomData<K>,
}

impl<'a> Request<'a, Endpoint> {
    pub(crate) fn endpoint(api: &'a Api, url: String) -> Self {
        Request {
            api,
            source: Source::Endpoint(url),
            opts: Options::default(),
            kind: PhantomData,
        }
    }

    /// Sends a PUT (no `If-Match`: use [`Api::follow_mut`] for conditional writes).
    ///
    /// # Errors
    ///
    /// As [`get`](Request::get), plus [`Error::Serialize`] for a body that cannot be serialized.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// api.using_endpoint("/settings").put(serde_json::json!({"theme": "dark"}))?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn put(self, body: impl IntoBody) -> Result<Resource> {
        let body = body.into_body()?;
        self.send(Method::PUT, Some(body))
    }

    /// Sends a PATCH (no `If-Match`).
    ///
    /// # Errors
    ///
    /// As [`put`](Request::put).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// api.using_endpoint("/settings").patch(serde_json::json!({"theme": "light"}))?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn patch(self, body: impl IntoBody) -> Result<Resource> {
        let body = body.into_body()?;
        self.send(Method::PATCH, Some(body))
    }

    /// Sends a DELETE (no `If-Match`).
    ///
    /// # Errors
    ///
    /// As [`get`](Request::get).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// api.using_endpoint("/sessions/42").delete()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn delete(self) -> Result<Resource> {
        self.send(Method::DELETE, None)
    }
}

impl Request<'_, Followed> {
    link_picker_methods!();
}

impl<'a, Kind> Request<'a, Kind> {
    shared_builder_methods!();

    /// The URL the request would go to.
    ///
    /// # Errors
    ///
    /// A missing or ambiguous rel, a malformed link, a bad template or bad parameters, or a bad
    /// header given to `with_headers`.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org/api")?;
    /// assert_eq!(api.home().url()?, "http://example.org/api/");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn url(&self) -> Result<String> {
        self.opts.check()?;
        match &self.source {
            Source::Endpoint(url) => build_url(self.api, None, url, &self.opts),
            Source::Link(r, rel) => build_url(self.api, Some(r.data()), rel, &self.opts),
        }
    }

    /// Sends a GET.
    ///
    /// # Errors
    ///
    /// Anything [`url`](Request::url) returns; [`Error::Network`] when no response arrived
    /// (unless `raise_on_network_error` is off); [`Error::Status`] for a status in
    /// `raise_on_status_codes`; [`Error::BodyTooLarge`]; [`Error::TooManyRedirects`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let home = api.home().get()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn get(self) -> Result<Resource> {
        self.send(Method::GET, None)
    }

    /// Sends a HEAD.
    ///
    /// # Errors
    ///
    /// As [`get`](Request::get).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let etag = api.home().head()?.meta().response.headers.get("etag").cloned();
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn head(self) -> Result<Resource> {
        self.send(Method::HEAD, None)
    }

    /// Sends an OPTIONS.
    ///
    /// # Errors
    ///
    /// As [`get`](Request::get).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let allow = api.home().options()?.meta().response.headers.get("allow").cloned();
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn options(self) -> Result<Resource> {
        self.send(Method::OPTIONS, None)
    }

    /// Sends a POST: any `Serialize` value as JSON, or a [`Body`](crate::Body). Never sends
    /// `If-Match`, never changes the resource it followed.
    ///
    /// # Errors
    ///
    /// As [`get`](Request::get), plus [`Error::Serialize`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let created = api.using_endpoint("/customers").post(serde_json::json!({"name": "Kim"}))?;
    /// println!("{:?}", created.meta().response.headers.get("location"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn post(self, body: impl IntoBody) -> Result<Resource> {
        let body = body.into_body()?;
        self.send(Method::POST, Some(body))
    }

    fn send(self, method: Method, body: Option<crate::Body>) -> Result<Resource> {
        let url = self.url()?;
        dispatch(self.api, method, url, self.opts, body)
    }
}

impl<Kind> fmt::Debug for Request<'_, Kind> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Request");
        match &self.source {
            Source::Endpoint(u) => d.field("endpoint", &url::redacted(u)),
            Source::Link(_, rel) => d.field("rel", rel),
        };
        d.field("options", &self.opts).finish()
    }
}

/// A request bound to a `&mut Resource`, from [`Api::follow_mut`]: `put`, `patch` and `delete`
/// send `If-Match` with the resource's ETag and keep the ETag up to date.
///
/// On success (2xx) the resource's ETag becomes the response's (its `ETag` header, else its
/// etag field; when it has neither the old one is kept); after a `delete` it is cleared. The
/// resource's data is left as it was: the returned resource is the server's answer. On any
/// failure the resource is untouched.
///
/// # Example
///
/// ```no_run
/// use halchemy::{Api, Error};
/// use serde_json::json;
///
/// let api = Api::new("http://localhost:2112")?;
/// let mut customer = api.using_endpoint("/customers/1").get()?;
/// match api.follow_mut(&mut customer).to("self").patch(json!({"name": "Kim"})) {
///     Ok(_) => println!("saved; now at {:?}", customer.etag()),
///     Err(Error::PreconditionFailed(_)) => println!("someone else changed it first"),
///     Err(e) => return Err(e),
/// }
/// # Ok::<(), halchemy::Error>(())
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct RequestMut<'a> {
    api: &'a Api,
    resource: &'a mut Resource,
    rel: String,
    opts: Options,
}

impl<'a> RequestMut<'a> {
    shared_builder_methods!();
    link_picker_methods!();

    /// The URL the request would go to.
    ///
    /// # Errors
    ///
    /// As [`Request::url`].
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let mut r = halchemy::Resource::from(serde_json::json!({"_links": {"self": {"href": "/r"}}}));
    /// assert_eq!(api.follow_mut(&mut r).to("self").url()?, "http://example.org/r");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn url(&self) -> Result<String> {
        self.opts.check()?;
        build_url(self.api, Some(self.resource.data()), &self.rel, &self.opts)
    }

    /// Sends a GET (the resource is not changed; see [`Api::refresh`] for that).
    ///
    /// # Errors
    ///
    /// As [`Request::get`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut r = api.home().get()?;
    /// let again = api.follow_mut(&mut r).to("self").get()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn get(self) -> Result<Resource> {
        self.read(Method::GET, None)
    }

    /// Sends a HEAD (the resource is not changed).
    ///
    /// # Errors
    ///
    /// As [`Request::get`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut r = api.home().get()?;
    /// api.follow_mut(&mut r).to("self").head()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn head(self) -> Result<Resource> {
        self.read(Method::HEAD, None)
    }

    /// Sends an OPTIONS (the resource is not changed).
    ///
    /// # Errors
    ///
    /// As [`Request::get`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut r = api.home().get()?;
    /// api.follow_mut(&mut r).to("self").options()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn options(self) -> Result<Resource> {
        self.read(Method::OPTIONS, None)
    }

    /// Sends a POST: never `If-Match`, and the resource is not changed.
    ///
    /// # Errors
    ///
    /// As [`Request::post`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut customers = api.using_endpoint("/customers").get()?;
    /// api.follow_mut(&mut customers).to("self").post(serde_json::json!({"name": "Kim"}))?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn post(self, body: impl IntoBody) -> Result<Resource> {
        let body = body.into_body()?;
        self.read(Method::POST, Some(body))
    }

    /// Sends a PUT with `If-Match`.
    ///
    /// # Errors
    ///
    /// [`Error::PreconditionFailed`] on 412 and [`Error::PreconditionRequired`] on 428, the
    /// resource untouched; otherwise as [`Request::post`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut r = api.using_endpoint("/customers/1").get()?;
    /// api.follow_mut(&mut r).to("self").put(serde_json::json!({"name": "Kim"}))?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn put(self, body: impl IntoBody) -> Result<Resource> {
        let body = body.into_body()?;
        self.write(Method::PUT, Some(body))
    }

    /// Sends a PATCH with `If-Match`.
    ///
    /// # Errors
    ///
    /// As [`put`](RequestMut::put).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut r = api.using_endpoint("/customers/1").get()?;
    /// api.follow_mut(&mut r).to("self").patch(serde_json::json!({"name": "Kim"}))?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn patch(self, body: impl IntoBody) -> Result<Resource> {
        let body = body.into_body()?;
        self.write(Method::PATCH, Some(body))
    }

    /// Sends a DELETE with `If-Match`; on success the resource's ETag is cleared.
    ///
    /// # Errors
    ///
    /// As [`put`](RequestMut::put).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut r = api.using_endpoint("/customers/1").get()?;
    /// api.follow_mut(&mut r).to("self").delete()?;
    /// assert_eq!(r.etag(), None);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn delete(self) -> Result<Resource> {
        self.write(Method::DELETE, None)
    }

    fn read(self, method: Method, body: Option<crate::Body>) -> Result<Resource> {
        let url = self.url()?;
        dispatch(self.api, method, url, self.opts, body)
    }

    fn write(mut self, method: Method, body: Option<crate::Body>) -> Result<Resource> {
        let url = self.url()?;
        concurrency::add_preconditions(&mut self.opts.headers, self.resource)?;
        let sent = self.opts.headers.get(header::IF_MATCH).map(header_text);
        let prepared = prepare(self.api, method, url, self.opts, body)?;
        concurrency::conditional_write(self.api, self.resource, prepared, sent)
    }
}

impl fmt::Debug for RequestMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestMut")
            .field("rel", &self.rel)
            .field("etag", &self.resource.etag())
            .field("options", &self.opts)
            .finish()
    }
}

pub(crate) fn header_text(v: &HeaderValue) -> String {
    String::from_utf8_lossy(v.as_bytes()).into_owned()
}

pub(crate) fn options_with_headers(headers: HeaderMap) -> Options {
    Options {
        headers,
        ..Options::default()
    }
}
