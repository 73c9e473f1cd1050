//! Submitting a HAL-FORMS template: the values are checked, then one request goes out with
//! the template's method, target and content type. Writes take the one write path, so a
//! submit to the resource's own URL carries its validators.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use ureq::http::{HeaderMap, Method};

use crate::api::Api;
use crate::body::Body;
use crate::error::{Error, Result};
use crate::forms::Template;
use crate::headers;
use crate::params;
use crate::resource::Resource;
use crate::transport::Prepared;
use crate::write::{self, Holder};

impl Api {
    /// Starts submitting the HAL-FORMS template `template` (usually `"default"`) of
    /// `resource`. Nothing is checked or sent until [`send`](Submit::send).
    ///
    /// The resource is only borrowed: a submit that writes its own URL carries its
    /// validators (`If-Match`) but cannot bring it forward. Submit through
    /// [`submit_mut`](Api::submit_mut) to keep it current.
    ///
    /// # Example
    ///
    /// ```
    /// # use halchemy_testserver::{Reply, Server};
    /// # let server = Server::start(|_| Reply::new(201).header("location", "/customers/7"));
    /// # let base_url = server.base_url();
    /// use halchemy::Api;
    /// use serde_json::json;
    ///
    /// let api = Api::new(&base_url)?;
    /// // What Spring HATEOAS sends for `GET /customers` with `Accept: application/prs.hal-forms+json`.
    /// let customers = halchemy::Resource::from(json!({
    ///     "_links": {"self": {"href": format!("{base_url}/customers")}},
    ///     "_templates": {"default": {"method": "post", "properties": [
    ///         {"name": "name", "required": true},
    ///         {"name": "ccn", "required": true, "regex": "[0-9]{16}"}
    ///     ]}}
    /// }));
    /// let created = api
    ///     .submit(&customers, "default")
    ///     .with_values(json!({"name": "Kim", "ccn": "1234123412341234"}))
    ///     .send()?;                                     // POST /customers, as JSON
    /// assert_eq!(created.status(), 201);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn submit<'a>(&'a self, resource: &'a Resource, template: impl Into<String>) -> Submit<'a> {
        Submit::new(self, Holder::Shared(resource), template.into())
    }

    /// Starts submitting the HAL-FORMS template `template` of `resource` to change it: a
    /// `PUT`, `PATCH` or `DELETE` to its own URL sends its validators and, on success, brings
    /// its data and validators forward together, exactly as
    /// [`follow_mut`](Api::follow_mut) writes do; any failure leaves it as it was.
    ///
    /// # Example
    ///
    /// ```
    /// # use halchemy_testserver::{Reply, Server};
    /// # let server = Server::start(|req| match req.header("if-match") {
    /// #     Some("\"v1\"") => Reply::new(204).header("etag", "\"v2\""),
    /// #     _ => Reply::new(412),
    /// # });
    /// # let base_url = server.base_url();
    /// use halchemy::Api;
    /// use serde_json::json;
    ///
    /// let api = Api::new(&base_url)?;
    /// let mut employee = halchemy::Resource::from(json!({
    ///     "_links": {"self": {"href": format!("{base_url}/employees/1")}},
    ///     "_etag": "\"v1\"",
    ///     "firstName": "Frodo", "role": "ring bearer",
    ///     "_templates": {"partiallyUpdateEmployee": {"method": "patch", "contentType": "",
    ///         "properties": [{"name": "firstName"}, {"name": "role"}]}}
    /// }));
    /// api.submit_mut(&mut employee, "partiallyUpdateEmployee")
    ///     .with_values(json!({"role": "gardener"}))
    ///     .send()?;                                     // PATCH with If-Match: "v1"
    /// assert_eq!(employee["role"], "gardener");
    /// assert_eq!(employee.etag(), Some("\"v2\""));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn submit_mut<'a>(
        &'a self,
        resource: &'a mut Resource,
        template: impl Into<String>,
    ) -> Submit<'a> {
        Submit::new(self, Holder::Exclusive(resource), template.into())
    }
}

/// A HAL-FORMS submit being built, from [`Api::submit`] or [`Api::submit_mut`]. Nothing is
/// checked or sent until [`send`](Submit::send); like [`Request`](crate::Request), no setter
/// fails early.
///
/// [`send`](Submit::send) reads the template from the resource, checks the values (required
/// properties, `regex`; see below), and sends one request:
///
/// - **Method**: the template's (`GET` when it names none).
/// - **URL**: the template's `target`, resolved as a link's href is (relative targets follow
///   the Api's [`LinkResolution`](crate::LinkResolution)); without one, the resource's own URL
///   (its `self` link, else the URL it was read from).
/// - **Values**: the body of a `POST`, `PUT` or `PATCH`, in the template's content type:
///   form-encoded for `application/x-www-form-urlencoded`, JSON otherwise. `GET`, `HEAD`,
///   `DELETE` and `OPTIONS` carry them in the query string instead, merged with any query
///   the target has.
/// - **Preconditions**: a `PUT`, `PATCH` or `DELETE` to the resource's own URL goes through
///   the same write path as [`Request::put`](crate::Request::put) and friends: it sends the
///   resource's `If-Match` (or `If-Unmodified-Since`), a `412` is
///   [`Error::PreconditionFailed`], and through [`Api::submit_mut`] a success brings the
///   resource forward. A submit to any other URL, and any `POST` or `GET`, sends none.
///
/// Values: a property the values leave out takes its `value` from the template, unless it is
/// `readOnly` or `templated`; values for names the template does not list are sent too.
/// Every required property (not read-only) must then hold a value (not missing, `null`, `""`
/// or `[]`), and every value of a property with a `regex` must match it as a whole, as
/// HTML's `pattern` does (empty strings are not checked).
///
/// # Example
///
/// ```
/// use halchemy::{Api, Error, Resource};
/// use serde_json::json;
///
/// let api = Api::new("http://example.org")?;
/// let customers = Resource::from(json!({
///     "_links": {"self": {"href": "/customers"}},
///     "_templates": {"default": {"method": "post", "properties": [
///         {"name": "ccn", "required": true, "regex": "[0-9]{16}"}]}}
/// }));
/// match api.submit(&customers, "default").with_values(json!({"ccn": "1234"})).send() {
///     Err(Error::FormValue { property, .. }) => assert_eq!(property, "ccn"),   // nothing sent
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), halchemy::Error>(())
/// ```
#[must_use = "a submit does nothing until it is sent"]
pub struct Submit<'a> {
    api: &'a Api,
    /// The resource it starts from: shared (`submit`) or brought forward (`submit_mut`).
    holder: Holder<'a>,
    name: String,
    values: Value,
    headers: HeaderMap,
    /// The call's deadline when it differs from the Api's.
    timeout: Option<Option<Duration>>,
    /// The first problem a setter met, reported by `url()` or `send()`.
    error: Option<Error>,
}

/// What a submit sends.
struct Planned {
    method: Method,
    url: String,
    body: Option<Body>,
    /// Whether the target is the resource's own URL (before the values' query).
    own: write::Ownership,
}

impl<'a> Submit<'a> {
    fn new(api: &'a Api, holder: Holder<'a>, name: String) -> Self {
        Submit {
            api,
            holder,
            name,
            values: Value::Null,
            headers: HeaderMap::new(),
            timeout: None,
            error: None,
        }
    }

    /// The values to submit: a JSON object of property names to values (or anything that
    /// serializes to one). Without it, only the template's default values are sent.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let r = halchemy::Resource::from(json!({"_links": {"self": {"href": "/orders/1"}},
    ///     "_templates": {"default": {"method": "put", "properties": [{"name": "state"}]}}}));
    /// let submit = api.submit(&r, "default").with_values(json!({"state": "PAID"}));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn with_values(mut self, values: impl Serialize) -> Self {
        match serde_json::to_value(values) {
            Ok(v) => self.values = v,
            Err(e) => self.fail(Error::Parameters(format!(
                "cannot serialize the values for template `{}`: {e}",
                self.name
            ))),
        }
        self
    }

    /// Adds headers to this request only, replacing defaults of the same name. A
    /// precondition set here replaces the automatic one. A bad name or value is an
    /// [`Error::InvalidHeader`] from [`send`](Submit::send).
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "post"}}}));
    /// let submit = api.submit(&r, "default").with_headers([("Prefer", "return=representation")]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn with_headers<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        if let Err(e) = headers::insert_all(&mut self.headers, headers) {
            self.fail(e);
        }
        self
    }

    /// The deadline of this call instead of the Api's (`None`: no limit).
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// use std::time::Duration;
    ///
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "post"}}}));
    /// let submit = api.submit(&r, "default").timeout(Some(Duration::from_secs(5)));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The URL the submit would go to (with the values in its query for `GET`, `HEAD`,
    /// `DELETE` and `OPTIONS`), after every check [`send`](Submit::send) makes.
    ///
    /// # Errors
    ///
    /// As [`send`](Submit::send), without the errors of sending.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let orders = halchemy::Resource::from(json!({"_links": {"self": {"href": "/orders"}},
    ///     "_templates": {"search": {"method": "get", "target": "/orders/search",
    ///         "properties": [{"name": "state", "value": "open"}]}}}));
    /// assert_eq!(
    ///     api.submit(&orders, "search").url()?,
    ///     "http://example.org/orders/search?state=open"
    /// );
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn url(&self) -> Result<String> {
        self.plan().map(|p| p.url)
    }

    /// Checks the values and sends the request (see [`Submit`] for what is sent).
    ///
    /// # Errors
    ///
    /// Before anything is sent: [`Error::TemplateNotFound`] listing the templates the
    /// resource has; [`Error::FormMethod`] for a method halchemy cannot send;
    /// [`Error::InvalidUrl`] for a `target` that is not a URI reference;
    /// [`Error::MalformedHal`] for a malformed template or a `regex` that cannot be compiled;
    /// [`Error::FormValue`] naming the property whose value is missing or does not match;
    /// [`Error::Parameters`] when the values are not an object; [`Error::RelNotFound`] when
    /// the template has no target and the resource no URL of its own;
    /// [`Error::InvalidHeader`]; [`Error::Unconditional`] as for writes.
    /// Then those of [`Request::put`](crate::Request::put) (for writes) or
    /// [`Request::post`](crate::Request::post): [`Error::Network`], [`Error::Status`],
    /// [`Error::PreconditionFailed`], [`Error::PreconditionRequired`], …
    ///
    /// # Example
    ///
    /// ```no_run
    /// use halchemy::{Api, HAL_FORMS_ACCEPT};
    /// use serde_json::json;
    ///
    /// let api = Api::new("http://localhost:8080")?;
    /// let mut employee = api
    ///     .using_endpoint("/employees/1")
    ///     .with_headers([("Accept", HAL_FORMS_ACCEPT)])
    ///     .get()?;
    /// api.submit_mut(&mut employee, "default")
    ///     .with_values(json!({"firstName": "Frodo", "lastName": "Baggins", "role": "gardener"}))
    ///     .send()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn send(self) -> Result<Resource> {
        let Planned {
            method,
            url,
            body,
            own,
        } = self.plan()?;
        let timeout = self.timeout.unwrap_or(self.api.config.timeout);
        let prepared = Prepared::new(self.api, method, url, self.headers, body, timeout)?;
        let raise = self.api.config.error_handling.raise_on_network_error;
        match write::is_write(&prepared.method) {
            true => write::write_judged(self.api, prepared, self.holder, raise, own),
            false => write::send_plain(self.api, prepared),
        }
    }

    fn fail(&mut self, e: Error) {
        self.error.get_or_insert(e);
    }

    /// The resource it starts from (`submit` and `submit_mut` always give one).
    fn resource(&self) -> Result<&Resource> {
        self.holder
            .resource()
            .ok_or_else(|| Error::Parameters("a submit needs a resource".to_owned()))
    }

    /// The template read, the values checked, the URL built.
    fn plan(&self) -> Result<Planned> {
        if let Some(e) = &self.error {
            return Err(e.builder_copy());
        }
        let r = self.resource()?;
        let template = r.template(&self.name)?;
        let values = template.check(&self.values)?;
        let method = method_of(&template)?;
        let c = &self.api.config;
        let mut url = match template.target() {
            Some(target) => self.api.resolve_href(r, target)?,
            None => write::own_url(self.api, r)?,
        };
        // Judged before values go into the query: a DELETE of the resource itself with
        // `?reason=..` carries its precondition.
        let in_query = matches!(
            method,
            Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS
        );
        // Values added to an own URL's query may name another resource, as parameters may:
        // the write carries the precondition but does not bring the resource forward.
        let with_values = in_query && values.as_object().is_some_and(|v| !v.is_empty());
        let own = match (write::is_own_url(self.api, r, &url), with_values) {
            (true, false) => write::Ownership::Own,
            (true, true) => write::Ownership::Maybe,
            (false, _) => write::Ownership::Other,
        };
        let body = if in_query {
            params::merge_query(&mut url, &params::to_query(&values, c.list_style)?);
            None
        } else {
            Some(Body::value(values, template.content_type()))
        };
        Ok(Planned {
            method,
            url,
            body,
            own,
        })
    }
}

/// The template's method as an HTTP method (it is one of the methods a template may name).
fn method_of(template: &Template) -> Result<Method> {
    Method::from_bytes(template.method().as_bytes()).map_err(|_| Error::FormMethod {
        template: template.name().to_owned(),
        method: template.method().to_owned(),
    })
}

impl fmt::Debug for Submit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The values may hold secrets (a password field): their names only.
        let names: Vec<&str> = match &self.values {
            Value::Object(map) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        f.debug_struct("Submit")
            .field("template", &self.name)
            .field("values", &names)
            .field("etag", &self.resource().ok().and_then(Resource::etag))
            .field("headers", &headers::Redacted(&self.headers))
            .field("timeout", &self.timeout)
            .field("error", &self.error)
            .finish()
    }
}
