//! The request builder: one generic type for every way a request starts — an endpoint, a link
//! of a resource, a link of a resource being written — told apart by a typestate marker.
//! Nothing here fails early; the first error surfaces from `url()` or from the call that sends.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use ureq::http::{HeaderMap, Method};

use crate::api::Api;
use crate::body::{Body, IntoBody};
use crate::error::{Error, Result};
use crate::hal::Pick;
use crate::headers;
use crate::params;
use crate::resource::Resource;
use crate::template;
use crate::transport::Prepared;
use crate::url::{self, LinkResolution};
use crate::write::{self, Holder};

/// Marks a [`Request`] made by [`Api::using_endpoint`] or [`Api::home`]: a URL given by hand.
/// Its writes carry no precondition (there is no resource to take one from).
///
/// # Example
///
/// ```
/// let api = halchemy::Api::new("http://example.org")?;
/// let request: halchemy::Request<'_, halchemy::Endpoint> = api.home();
/// # Ok::<(), halchemy::Error>(())
/// ```
pub struct Endpoint {
    url: String,
}

impl Endpoint {
    pub(crate) fn new(url: String) -> Self {
        Endpoint { url }
    }
}

/// Marks a [`Request`] that follows the link `rel` of a resource: `Rel<&Resource>` from
/// [`Api::follow`], `Rel<&mut Resource>` from [`Api::follow_mut`] (whose writes bring the
/// resource forward).
///
/// # Example
///
/// ```
/// use halchemy::{Api, Rel, Request, Resource};
///
/// let api = Api::new("http://example.org")?;
/// let mut r = Resource::from(serde_json::json!({"_links": {"self": {"href": "/r"}}}));
/// let read: Request<'_, Rel<&Resource>> = api.follow(&r).to("self");
/// let write: Request<'_, Rel<&mut Resource>> = api.follow_mut(&mut r).to("self");
/// # Ok::<(), halchemy::Error>(())
/// ```
pub struct Rel<R> {
    resource: R,
    rel: String,
    pick: Option<Pick>,
}

/// From [`Api::follow`] or [`Api::follow_mut`]: pick the rel to follow with
/// [`to`](Follower::to).
///
/// # Example
///
/// ```
/// let api = halchemy::Api::new("http://example.org")?;
/// let home = halchemy::Resource::from(serde_json::json!({"_links": {"a": {"href": "/a"}}}));
/// let url = api.follow(&home).to("a").url()?;
/// # Ok::<(), halchemy::Error>(())
/// ```
#[must_use]
pub struct Follower<'a, R> {
    api: &'a Api,
    resource: R,
}

impl<R> Rel<R> {
    /// The rel with its pick, as a traversal path writes it: `rel`, `rel[2]`,
    /// `rel[name=x]`, `rel[title=x]`.
    pub(crate) fn label(&self) -> String {
        match &self.pick {
            None => self.rel.clone(),
            Some(Pick::At(i)) => format!("{}[{i}]", self.rel),
            Some(Pick::Named(n)) => format!("{}[name={n}]", self.rel),
            Some(Pick::Titled(t)) => format!("{}[title={t}]", self.rel),
        }
    }
}

impl<'a, R: Held> Follower<'a, R> {
    pub(crate) fn new(api: &'a Api, resource: R) -> Self {
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
    pub fn to(self, rel: impl Into<String>) -> Request<'a, Rel<R>> {
        Request::new(
            self.api,
            Rel {
                resource: self.resource,
                rel: rel.into(),
                pick: None,
            },
        )
    }
}

impl<R: Held> fmt::Debug for Follower<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Follower")
            .field("resource", sealed::Held::get(&self.resource))
            .finish_non_exhaustive()
    }
}

/// A resource a request can start from: `&Resource` or `&mut Resource`. Sealed.
///
/// # Example
///
/// ```
/// fn rel_url<R: halchemy::Held>(request: &halchemy::Request<'_, halchemy::Rel<R>>) -> String {
///     request.url().unwrap_or_default()
/// }
/// ```
pub trait Held: sealed::Held {}

/// Where a [`Request`] starts: [`Endpoint`] or [`Rel`]. Sealed.
///
/// # Example
///
/// ```
/// fn show<T: halchemy::Target>(request: &halchemy::Request<'_, T>) {
///     println!("{:?}", request.url());
/// }
/// ```
pub trait Target: sealed::Target {}

impl Held for &Resource {}
impl Held for &mut Resource {}
impl Target for Endpoint {}
impl<R: Held> Target for Rel<R> {}

mod sealed {
    use super::*;

    pub trait Held {
        fn get(&self) -> &Resource;
        fn holder(&mut self) -> Holder<'_>;
    }

    impl Held for &Resource {
        fn get(&self) -> &Resource {
            self
        }
        fn holder(&mut self) -> Holder<'_> {
            Holder::Shared(self)
        }
    }

    impl Held for &mut Resource {
        fn get(&self) -> &Resource {
            self
        }
        fn holder(&mut self) -> Holder<'_> {
            Holder::Exclusive(self)
        }
    }

    /// Where a request goes before templates, resolution and parameters.
    pub struct Located<'r> {
        /// The rel followed (`None` for an endpoint), for error messages.
        pub rel: Option<&'r str>,
        pub href: &'r str,
        pub templated: bool,
        pub resource: Option<&'r Resource>,
        /// The followed link's `deprecation` attribute, with its rel.
        pub deprecated: Option<(&'r str, &'r str)>,
    }

    pub trait Target {
        fn locate(&self) -> Result<Located<'_>>;
        fn holder(&mut self) -> Holder<'_>;
        /// The rel this request follows, as a traversal names its hop (`rel[title=x]`);
        /// `None` for an endpoint.
        fn hop(&self) -> Option<String>;
        /// The resource embedded under the rel as one object, when no link array is picked
        /// from: a traversal's intermediate hop uses it instead of a request.
        fn embedded(&self) -> Option<Resource>;
    }

    impl Target for Endpoint {
        fn locate(&self) -> Result<Located<'_>> {
            Ok(Located {
                rel: None,
                href: &self.url,
                templated: false,
                resource: None,
                deprecated: None,
            })
        }
        fn holder(&mut self) -> Holder<'_> {
            Holder::None
        }
        fn hop(&self) -> Option<String> {
            None
        }
        fn embedded(&self) -> Option<Resource> {
            None
        }
    }

    impl<R: super::Held> Target for Rel<R> {
        fn locate(&self) -> Result<Located<'_>> {
            let resource = self.resource.get();
            let t = resource.hal_links().target(&self.rel, self.pick.as_ref())?;
            Ok(Located {
                rel: Some(&self.rel),
                href: t.href,
                templated: t.templated,
                resource: Some(resource),
                deprecated: t.deprecation.map(|d| (self.rel.as_str(), d)),
            })
        }
        fn holder(&mut self) -> Holder<'_> {
            self.resource.holder()
        }
        fn hop(&self) -> Option<String> {
            Some(self.label())
        }
        fn embedded(&self) -> Option<Resource> {
            match self.pick {
                None => self.resource.get().embedded_one(&self.rel).ok(),
                Some(_) => None,
            }
        }
    }
}

/// What a request adds to the Api's settings.
#[derive(Default)]
struct Options {
    headers: HeaderMap,
    parameters: Option<Value>,
    template_values: Option<Value>,
    /// The call's deadline when it differs from the Api's.
    timeout: Option<Option<Duration>>,
    /// The first problem a setter met, reported by `url()` or the sending call.
    error: Option<Error>,
}

impl Options {
    fn fail(&mut self, e: Error) {
        self.error.get_or_insert(e);
    }

    fn json(&mut self, value: impl Serialize, what: &str) -> Option<Value> {
        match serde_json::to_value(value) {
            Ok(v) => Some(pairs_as_object(v)),
            Err(e) => {
                self.fail(Error::Parameters(format!("cannot serialize {what}: {e}")));
                None
            }
        }
    }

    /// The setter's error again (`url()` may be called any number of times).
    fn check(&self) -> Result<()> {
        match &self.error {
            None => Ok(()),
            Some(e) => Err(e.builder_copy()),
        }
    }
}

/// `(name, value)` pairs (`[("id", "A375")]`, a `Vec` of tuples) as the JSON object they
/// stand for; anything else as it is.
fn pairs_as_object(value: Value) -> Value {
    let is_pair = |item: &Value| {
        item.as_array()
            .is_some_and(|pair| pair.len() == 2 && pair[0].is_string())
    };
    match value {
        Value::Array(items) if !items.is_empty() && items.iter().all(is_pair) => {
            let mut object = serde_json::Map::new();
            for item in items {
                if let Value::Array(mut pair) = item {
                    let value = pair.pop().unwrap_or_default();
                    if let Some(Value::String(name)) = pair.pop() {
                        object.insert(name, value);
                    }
                }
            }
            Value::Object(object)
        }
        other => other,
    }
}

/// A request being built. Nothing is sent until `get`, `head`, `options`, `post`, `put`,
/// `patch` or `delete`.
///
/// One type serves every start, told apart by its marker `T`: [`Endpoint`] (from
/// [`Api::home`] and [`Api::using_endpoint`]), `Rel<&Resource>` (from [`Api::follow`]) and
/// `Rel<&mut Resource>` (from [`Api::follow_mut`]). Link arrays can be picked from only on
/// the `Rel` forms.
///
/// Like reqwest's builder, no setter fails: the first problem (a missing rel, a bad template,
/// a bad header) is returned by [`url`](Request::url) or by the call that sends.
///
/// Writes (`put`, `patch`, `delete`) to the followed resource's own URL carry its
/// validators: `If-Match` with its ETag (or `If-Unmodified-Since` with its `Last-Modified`).
/// Through `follow_mut` a success brings its data and validators forward together; any
/// failure leaves it untouched. A `412` is [`Error::PreconditionFailed`] and a `428`
/// [`Error::PreconditionRequired`], whatever the request's start.
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
pub struct Request<'a, T = Endpoint> {
    api: &'a Api,
    target: T,
    opts: Options,
}

impl<'a, T> Request<'a, T> {
    pub(crate) fn new(api: &'a Api, target: T) -> Self {
        Request {
            api,
            target,
            opts: Options::default(),
        }
    }

    /// Adds headers to this request only, replacing defaults of the same name
    /// (case-insensitive). A precondition set here (`If-Match`, `If-None-Match`,
    /// `If-Unmodified-Since`, `If-Modified-Since`) replaces the automatic one.
    ///
    /// A bad name or value (one holding CR or LF, say), or a framing header
    /// (`Content-Length`, `Transfer-Encoding`), is an [`Error::InvalidHeader`] from the
    /// sending call; nothing is sent.
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
        if let Err(e) = headers::insert_all(&mut self.opts.headers, headers) {
            self.opts.fail(e);
        }
        self
    }

    /// Sends `Authorization: Bearer <token>` with this request only, instead of the Api's
    /// credentials. It goes only to the origin the request is first sent to: a redirect to
    /// another origin drops it.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let request = api.using_endpoint("/admin").bearer_auth("s3cr3t");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn bearer_auth(self, token: impl AsRef<str>) -> Self {
        let value = format!("Bearer {}", token.as_ref());
        self.with_headers([("Authorization", value)])
    }

    /// Sends `Authorization: Basic base64(user:password)` (RFC 7617, UTF-8) with this request
    /// only, instead of the Api's credentials. It goes only to the origin the request is first
    /// sent to: a redirect to another origin drops it.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let request = api.using_endpoint("/admin").basic_auth("alice", "s3cr3t");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn basic_auth(self, user: impl AsRef<str>, password: impl AsRef<str>) -> Self {
        let value =
            url::basic_authorization(user.as_ref().as_bytes(), password.as_ref().as_bytes());
        self.with_headers([("Authorization", value)])
    }

    /// Adds query parameters: a JSON object (or anything serializing to one: a map, a
    /// struct, `(name, value)` pairs), merged with a query the URL already has. See the crate
    /// docs for the encoding rules. A `null` (a struct's `None`) is a bare key (`?page`), as
    /// in the other halchemy libraries: leave it out with
    /// `#[serde(skip_serializing_if = "Option::is_none")]`.
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
    /// one: a map, a struct, `(name, value)` pairs). Missing values are left out. An endpoint is expanded as a template only when
    /// values are given.
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

    /// The deadline of this call — connection, redirects, retries and body — instead of
    /// the Api's (`None`: no limit). The connection pool stays shared.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let request = api.using_endpoint("/reports/annual").timeout(Some(Duration::from_secs(300)));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.timeout = Some(timeout);
        self
    }
}

impl<'a> Request<'a, Rel<()>> {
    /// A hop of a traversal: the rel to follow from a resource not read yet.
    pub(crate) fn pending(api: &'a Api, rel: String) -> Self {
        Request::new(
            api,
            Rel {
                resource: (),
                rel,
                pick: None,
            },
        )
    }

    /// The hop, now that the resource it starts from is here.
    pub(crate) fn on<R>(self, resource: R) -> Request<'a, Rel<R>> {
        let Rel { rel, pick, .. } = self.target;
        Request {
            api: self.api,
            target: Rel {
                resource,
                rel,
                pick,
            },
            opts: self.opts,
        }
    }

    /// The hop as a traversal path writes it (see [`Rel::label`]).
    pub(crate) fn label(&self) -> String {
        self.target.label()
    }
}

impl<'a, T: Target> Request<'a, T> {
    /// The Api the request belongs to.
    pub(crate) fn api(&self) -> &'a Api {
        self.api
    }

    /// The rel this request follows as a traversal path writes it; `None` for an endpoint.
    pub(crate) fn hop(&self) -> Option<String> {
        self.target.hop()
    }

    /// The resource embedded under the followed rel as one object, when the request asks
    /// nothing only a request can give: no pick, template values, parameters or headers.
    pub(crate) fn embedded_hop(&self) -> Option<Resource> {
        let o = &self.opts;
        let plain = o.headers.is_empty()
            && o.parameters.is_none()
            && o.template_values.is_none()
            && o.error.is_none();
        plain.then(|| self.target.embedded()).flatten()
    }
}

impl<R> Request<'_, Rel<R>> {
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
        self.target.pick = Some(Pick::At(index));
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
        self.target.pick = Some(Pick::Named(name.into()));
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
        self.target.pick = Some(Pick::Titled(title.into()));
        self
    }
}

impl<T: Target> Request<'_, T> {
    /// The URL the request would go to.
    ///
    /// # Errors
    ///
    /// A missing or ambiguous rel, a malformed link, a bad template, bad parameters, a URL
    /// that cannot be requested, or a bad header given to `with_headers`.
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
        let located = self.target.locate()?;
        let (url, _) = build_url(self.api, &located, &self.opts)?;
        url::to_uri(&url).map_err(|e| from_link(e, located.rel))?;
        Ok(url)
    }

    /// Sends a GET. It never changes the resource it followed; [`Api::refresh`] does.
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
        self.send_plain(Method::GET, None)
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
        self.send_plain(Method::HEAD, None)
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
        self.send_plain(Method::OPTIONS, None)
    }

    /// Sends a POST: any `Serialize` value as JSON, or a [`Body`]. Never sends a
    /// precondition, never changes the resource it followed.
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
        self.send_plain(Method::POST, Some(body))
    }

    /// Sends a PUT. To the followed resource's own URL it carries the resource's validators,
    /// and through [`Api::follow_mut`] a success makes the body the resource's data with the
    /// server's new validators, keeping the top-level `_` fields the body leaves out (HAL's
    /// `_links` and `_embedded`, the server's `_id` or `_created`; the answer's `_etag` and
    /// `_updated` replace theirs). A PUT meant to remove such a field: [`Api::refresh`] after
    /// it reads what the server kept.
    ///
    /// # Errors
    ///
    /// As [`post`](Request::post), plus [`Error::PreconditionFailed`] on `412` and
    /// [`Error::PreconditionRequired`] on `428`, the resource untouched, and
    /// [`Error::Unconditional`] when the Api
    /// [requires preconditions](crate::ApiBuilder::require_preconditions) and the resource
    /// has none.
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
        self.send(Method::PUT, Some(body))
    }

    /// Sends a PATCH. To the followed resource's own URL it carries the resource's
    /// validators, and through [`Api::follow_mut`] a success applies a JSON object body as a
    /// merge patch (RFC 7396: `null` removes a field) to the resource's data, with the
    /// server's new validators.
    ///
    /// # Errors
    ///
    /// As [`put`](Request::put).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut r = api.using_endpoint("/customers/1").get()?;
    /// api.follow_mut(&mut r).to("self").patch(serde_json::json!({"name": "Kim"}))?;
    /// assert_eq!(r["name"], "Kim");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn patch(self, body: impl IntoBody) -> Result<Resource> {
        let body = body.into_body()?;
        self.send(Method::PATCH, Some(body))
    }

    /// Sends a DELETE. To the followed resource's own URL it carries the resource's
    /// validators; through [`Api::follow_mut`] a success clears them, and a later write to
    /// that URL through the same resource recreates it only while nobody else has
    /// (`If-None-Match: *`).
    ///
    /// # Errors
    ///
    /// As [`put`](Request::put).
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
        self.send(Method::DELETE, None)
    }

    /// PUT, PATCH and DELETE: through the write path, with the resource followed.
    fn send(mut self, method: Method, body: Option<Body>) -> Result<Resource> {
        let prepared = self.prepare(method, body)?;
        write::send(self.api, prepared, self.target.holder())
    }

    /// GET, HEAD, OPTIONS and POST, which never touch the resource followed.
    fn send_plain(mut self, method: Method, body: Option<Body>) -> Result<Resource> {
        let prepared = self.prepare(method, body)?;
        write::send_plain(self.api, prepared)
    }
}

impl<'a, T: Target> Request<'a, T> {
    /// For a page walk: the Api, the first page's GET prepared but not sent, and the
    /// request's own headers, to send again with the pages after it.
    pub(crate) fn into_walk(mut self) -> (&'a Api, Result<Prepared>, HeaderMap) {
        let own = self.opts.headers.clone();
        let first = self.prepare(Method::GET, None);
        (self.api, first, own)
    }

    /// The request ready to send; its own headers are moved into it.
    fn prepare(&mut self, method: Method, body: Option<Body>) -> Result<Prepared> {
        self.opts.check()?;
        let located = self.target.locate()?;
        let (url, unparameterized) = build_url(self.api, &located, &self.opts)?;
        let rel = located.rel.map(str::to_owned);
        if let Some((rel, deprecation)) = located.deprecated {
            log::warn!(
                target: "halchemy",
                "link `{rel}` is deprecated (see {}); following it to {}",
                url::redacted(deprecation),
                url::redacted(&url)
            );
        }
        let timeout = self.opts.timeout.unwrap_or(self.api.config.timeout);
        let headers = std::mem::take(&mut self.opts.headers);
        let mut prepared = Prepared::new(self.api, method, url, headers, body, timeout)
            .map_err(|e| from_link(e, rel.as_deref()))?;
        prepared.rel = rel;
        prepared.unparameterized = unparameterized;
        Ok(prepared)
    }
}

/// The URL a request goes to: the href expanded, resolved and with the parameters merged
/// into its query; and, when there were parameters, the URL without them.
fn build_url(
    api: &Api,
    located: &sealed::Located<'_>,
    opts: &Options,
) -> Result<(String, Option<String>)> {
    let config = &api.config;
    let href = match located.templated || opts.template_values.is_some() {
        true => Cow::Owned(template::expand(
            located.href,
            opts.template_values.as_ref().unwrap_or(&Value::Null),
        )?),
        false => Cow::Borrowed(located.href),
    };
    let document = located.resource.and_then(Resource::document_url);
    // The resolution mode is for links; an endpoint always joins the base URL.
    let mode = match located.rel {
        Some(_) => config.link_resolution,
        None => LinkResolution::Base,
    };
    let mut full = url::resolve(&config.base_url, document, &href, mode)
        .map_err(|e| from_link(e, located.rel))?;
    if let (Some(rel), LinkResolution::Base) = (located.rel, mode) {
        warn_if_prefix_doubled(&config.base_url, rel, &href, &full);
    }
    if let (true, None, Some(rel)) = (located.templated, &opts.template_values, located.rel)
        && template::has_path_variables(located.href)
    {
        log::warn!(
            target: "halchemy",
            "link `{rel}` is templated ({}) and no template values were given: its variables expand to nothing, giving {}; give them with with_template_values",
            url::redacted(located.href),
            url::redacted(&full)
        );
    }
    let Some(p) = &opts.parameters else {
        return Ok((full, None));
    };
    let unparameterized = full.clone();
    params::merge_query(&mut full, &params::to_query(p, config.list_style)?);
    Ok((full, Some(unparameterized)))
}

/// The family's join puts the base URL's path in front of a root-relative href; a server
/// under a path prefix that writes hrefs from its root (`/api/v3/x` under `/api/v3`) then
/// gets the prefix twice. Says so once per call, naming the way out.
fn warn_if_prefix_doubled(base: &str, rel: &str, href: &str, full: &str) {
    let path = base
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("")
        .trim_end_matches('/');
    let doubled = !path.is_empty()
        && href
            .strip_prefix(path)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']));
    if doubled {
        log::warn!(
            target: "halchemy",
            "the href of link `{rel}` already starts with the base url's path {path}, and the \
             family's join adds it again ({}); if the server writes hrefs from its root, set \
             LinkResolution::Document",
            url::redacted(full)
        );
    }
}

/// An [`Error::InvalidUrl`] made from a link's href says which link: the href is what to fix.
fn from_link(e: Error, rel: Option<&str>) -> Error {
    match (e, rel) {
        (Error::InvalidUrl { url, message }, Some(rel)) => Error::InvalidUrl {
            url,
            message: format!("the href of link `{rel}` leads here: {message}"),
        },
        (e, _) => e,
    }
}

impl<T: fmt::Debug> fmt::Debug for Request<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("target", &self.target)
            .field("headers", &headers::Redacted(&self.opts.headers))
            .field("parameters", &self.opts.parameters)
            .field("template_values", &self.opts.template_values)
            .field("timeout", &self.opts.timeout)
            .field("error", &self.opts.error)
            .finish()
    }
}

impl<R: Held> fmt::Debug for Rel<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = sealed::Held::get(&self.resource);
        f.debug_struct("Rel")
            .field("rel", &self.rel)
            .field("pick", &self.pick)
            .field("etag", &r.etag())
            .finish()
    }
}

impl fmt::Debug for Rel<()> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rel")
            .field("rel", &self.rel)
            .field("pick", &self.pick)
            .finish()
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &url::redacted(&self.url))
            .finish()
    }
}
