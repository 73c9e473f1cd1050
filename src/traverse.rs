//! Traversal: a path of rels followed in one call (home → customers → item).
//!
//! A [`Traversal`] is a list of requests: the one it started from, then one per rel added with
//! [`then`](Traversal::then). Each hop that sends is an ordinary [`Request`] (deadline, status
//! policy, credentials, deprecation warnings); an intermediate hop whose rel is embedded as one
//! resource uses that resource instead, without a request. Every error says which hop failed.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::request::{Rel, Request, Target};
use crate::resource::Resource;

/// A path of rels followed in one call, made by [`Request::then`]: home → customers → item.
///
/// Each `then(rel)` adds a hop. The setters apply to the hop named last: pick from a link
/// array with [`at`](Traversal::at), [`named`](Traversal::named) or
/// [`titled`](Traversal::titled), and give [`with_template_values`](Traversal::with_template_values),
/// [`with_parameters`](Traversal::with_parameters) and [`with_headers`](Traversal::with_headers).
/// Setters called on the request before the first `then` apply to that first hop.
///
/// # How the hops go
///
/// - Every hop but the last is read with a GET through the normal request path: the Api's
///   deadline, credentials (only to the base URL's origin), status policy and deprecation
///   warnings apply to each. A hop that does not answer `2xx` stops the traversal (there are
///   no links to go on with), even when the status policy would not raise it.
/// - **Embedded hops.** An intermediate hop whose rel is embedded as one resource (an object
///   under `_embedded`) uses that resource and sends nothing, whether or not the rel is also
///   linked, as Traverson and Ketting do: the server embedded it to save the request. A hop
///   that asks what only a request can give (a pick, template values, parameters or headers)
///   is always requested through its link, and so is a rel embedded as an array: give a hop
///   a header (`Cache-Control: no-cache`, say) to read it from the server anyway. An
///   embedded hop sends nothing, so it logs no deprecation warning either.
/// - The last hop is always requested: [`get`](Traversal::get) reads it,
///   [`pages`](Traversal::pages) walks the collection it leads to, [`post`](Traversal::post)
///   posts to it, and [`url`](Traversal::url) only says where it is. To change the resource
///   the traversal reaches, `get` it and write through [`Api::follow_mut`](crate::Api::follow_mut),
///   which carries its validators.
///
/// Nothing is sent until `get`, `pages`, `post` or `url`. The first error stops the traversal and comes back
/// as [`Error::Traversal`], naming the hop; its helpers (`status()`, `response()`, `url()`)
/// look through to the hop's own error.
///
/// # Example
///
/// ```no_run
/// use serde_json::json;
///
/// let api = halchemy::Api::new("http://localhost:2112")?;   // the demo API's shape
/// // home → `customer` (templated), in one call: one GET for home, one for the customer.
/// let customer = api
///     .home()
///     .then("customer")
///     .with_template_values(json!({"id": "A375"}))
///     .get()?;
/// # Ok::<(), halchemy::Error>(())
/// ```
#[must_use = "a traversal does nothing until it is sent"]
pub struct Traversal<'a, T> {
    /// The hop the traversal starts with: an endpoint or a rel of a resource in hand.
    first: Request<'a, T>,
    /// The hops between the first and the last.
    middle: Vec<Request<'a, Rel<()>>>,
    /// The hop named last, which the setters change.
    last: Request<'a, Rel<()>>,
    /// The deadline of each request, when it differs from the Api's.
    timeout: Option<Option<Duration>>,
}

impl<'a, T: Target> Request<'a, T> {
    /// Goes on from the resource this request reads to its link `rel`: the start of a
    /// [`Traversal`]. Add more hops with [`Traversal::then`]; nothing is sent until
    /// [`Traversal::get`] or [`Traversal::url`].
    ///
    /// This request is the first hop, read with a GET (or, when it follows a rel embedded as
    /// one resource and asks nothing only a request gives, taken from `_embedded`).
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::{Api, Resource};
    /// use serde_json::json;
    ///
    /// let api = Api::new("http://example.org")?;
    /// let home = Resource::from(json!({
    ///     "_links": {"customers": {"href": "/customers"}},
    ///     "_embedded": {"customers": {
    ///         "_links": {"item": {"href": "/customers/{id}", "templated": true}}}}
    /// }));
    /// // `customers` is embedded: only the last hop's URL is worked out, nothing is sent.
    /// let url = api.follow(&home).to("customers").then("item")
    ///     .with_template_values(json!({"id": "A375"}))
    ///     .url()?;
    /// assert_eq!(url, "http://example.org/customers/A375");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn then(self, rel: impl Into<String>) -> Traversal<'a, T> {
        let last = Request::pending(self.api(), rel.into());
        Traversal {
            first: self,
            middle: Vec::new(),
            last,
            timeout: None,
        }
    }
}

impl<'a, T: Target> Traversal<'a, T> {
    /// Adds a hop: the link `rel` of the resource the previous hop reached.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let traversal = api.home().then("customers").then("item");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn then(mut self, rel: impl Into<String>) -> Self {
        let next = Request::pending(self.first.api(), rel.into());
        self.middle.push(std::mem::replace(&mut self.last, next));
        self
    }

    /// Picks the link at `index` of the last hop's rel, when it holds an array of links.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let traversal = api.home().then("child").at(1);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn at(mut self, index: usize) -> Self {
        self.last = self.last.at(index);
        self
    }

    /// Picks the link whose `name` is `name` for the last hop.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let traversal = api.home().then("child").named("c");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.last = self.last.named(name);
        self
    }

    /// Picks the link whose `title` is `title` for the last hop.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let traversal = api.home().then("child").titled("customers");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.last = self.last.titled(title);
        self
    }

    /// Values for the last hop's templated href (see [`Request::with_template_values`]).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let traversal = api.home().then("customer")
    ///     .with_template_values(serde_json::json!({"id": "A375"}));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn with_template_values(mut self, values: impl Serialize) -> Self {
        self.last = self.last.with_template_values(values);
        self
    }

    /// Query parameters for the last hop (see [`Request::with_parameters`]).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let traversal = api.home().then("customers")
    ///     .with_parameters(serde_json::json!({"city": "Pawnee"}));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn with_parameters(mut self, parameters: impl Serialize) -> Self {
        self.last = self.last.with_parameters(parameters);
        self
    }

    /// Headers for the last hop only (see [`Request::with_headers`]).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let traversal = api.home().then("customers").with_headers([("Cache-Control", "no-cache")]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn with_headers<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.last = self.last.with_headers(headers);
        self
    }

    /// The deadline of each request the traversal sends, instead of the Api's (`None`: no
    /// limit). It bounds every hop on its own, as page walks and `update` do.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let traversal = api.home().then("reports").timeout(Some(Duration::from_secs(60)));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Follows every hop and GETs the last one.
    ///
    /// # Errors
    ///
    /// [`Error::Traversal`] naming the hop that failed, holding what that hop's request
    /// returned (see [`Request::get`]): a missing rel, a bad template or URL, a network
    /// failure, a status in `raise_on_status_codes`, and for a hop before the last any
    /// status other than `2xx` ([`Error::Status`]).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let orders = api.home().then("customers").then("orders").get()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn get(self) -> Result<Resource> {
        let (from, last, walk) = self.reach_last()?;
        let step = walk.last_step();
        timed(last.on(&from), walk.timeout)
            .get()
            .map_err(|e| walk.failed(step, e))
    }

    /// The URL of the last hop. The hops before it are followed (each read with a GET, unless
    /// embedded), since the last link is in the resource they reach; the last is not sent.
    ///
    /// # Errors
    ///
    /// As [`get`](Traversal::get), for the hops before the last; for the last, what
    /// [`Request::url`] returns.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let where_orders_are = api.home().then("customers").then("orders").url()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn url(self) -> Result<String> {
        let (from, last, walk) = self.reach_last()?;
        let step = walk.last_step();
        last.on(&from).url().map_err(|e| walk.failed(step, e))
    }

    /// Walks the pages of the collection the last hop leads to (see [`Request::pages`]). The
    /// hops before the last are followed here, when `pages` is called; the first page is read
    /// when the iterator first needs it.
    ///
    /// # Errors
    ///
    /// The walk's first and only item is [`Error::Traversal`] when a hop before the last
    /// fails or the last hop's link cannot be followed; later items are the pages' own (see
    /// [`Pages`](crate::Pages)).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// for customer in api.home().then("customers").pages().items("item") {
    ///     println!("{}", customer?["name"]);
    /// }
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn pages(self) -> crate::Pages<'a> {
        let api = self.first.api();
        let reached = self.reach_last().and_then(|(from, last, walk)| {
            let step = walk.last_step();
            let request = timed(last.on(&from), walk.timeout);
            match request.url() {
                Ok(_) => Ok(request.pages()),
                Err(e) => Err(walk.failed(step, e)),
            }
        });
        reached.unwrap_or_else(|e| crate::Pages::failed(api, e))
    }

    /// Follows every hop but the last and POSTs `body` to the last (to create a resource in
    /// the collection it leads to, say). Like [`Request::post`], it never sends a
    /// precondition.
    ///
    /// # Errors
    ///
    /// As [`get`](Traversal::get), for the hops before the last; for the last, what
    /// [`Request::post`] returns.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let created = api
    ///     .home()
    ///     .then("customers")
    ///     .post(serde_json::json!({"name": "April Ludgate"}))?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn post(self, body: impl crate::IntoBody) -> Result<Resource> {
        let (from, last, walk) = self.reach_last()?;
        let step = walk.last_step();
        timed(last.on(&from), walk.timeout)
            .post(body)
            .map_err(|e| walk.failed(step, e))
    }

    /// Follows every hop but the last: the resource the last starts from, the last hop, and
    /// the path for errors.
    fn reach_last(self) -> Result<(Resource, Request<'a, Rel<()>>, Walk)> {
        let Traversal {
            first,
            middle,
            last,
            timeout,
        } = self;
        let start = first.hop();
        // An endpoint is step 0; a rel of a resource in hand is step 1.
        let first_step = usize::from(start.is_some());
        let mut labels: Vec<String> = start.into_iter().collect();
        labels.extend(middle.iter().map(Request::label));
        labels.push(last.label());
        let walk = Walk { labels, timeout };
        let mut resource = hop(first, timeout).map_err(|e| walk.failed(first_step, e))?;
        for (step, request) in (first_step + 1..).zip(middle) {
            resource = hop(request.on(&resource), timeout).map_err(|e| walk.failed(step, e))?;
        }
        Ok((resource, last, walk))
    }
}

/// A traversal's path, for its errors, and the deadline of its requests.
struct Walk {
    /// Each rel of the path with its pick, in order: step `n` is `labels[n - 1]`.
    labels: Vec<String>,
    timeout: Option<Option<Duration>>,
}

impl Walk {
    /// The last hop's step.
    fn last_step(&self) -> usize {
        self.labels.len()
    }

    /// `error`, saying that step `step` met it.
    fn failed(&self, step: usize, error: Error) -> Error {
        let rel = step
            .checked_sub(1)
            .and_then(|i| self.labels.get(i))
            .cloned();
        Error::Traversal(Box::new(TraversalError {
            path: self.labels.join("/"),
            step,
            rel,
            error,
        }))
    }
}

/// One hop before the last: the embedded resource when there is one to use, else a GET that
/// must answer `2xx`.
fn hop<T: Target>(request: Request<'_, T>, timeout: Option<Option<Duration>>) -> Result<Resource> {
    if let Some(embedded) = request.embedded_hop() {
        return Ok(embedded);
    }
    let reached = timed(request, timeout).get()?;
    match reached.status() {
        200..=299 => Ok(reached),
        _ => Err(Error::Status(Box::new(reached))),
    }
}

fn timed<'a, T>(request: Request<'a, T>, timeout: Option<Option<Duration>>) -> Request<'a, T> {
    match timeout {
        Some(t) => request.timeout(t),
        None => request,
    }
}

impl<T: fmt::Debug> fmt::Debug for Traversal<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Traversal")
            .field("first", &self.first)
            .field("middle", &self.middle)
            .field("last", &self.last)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Where a [`Traversal`] failed, and why: the payload of [`Error::Traversal`].
///
/// Steps count the rels of the path from 1; a traversal that starts from an endpoint
/// (`api.home().then(..)`) reads that endpoint as step 0, which has no rel.
///
/// # Example
///
/// ```
/// use halchemy::{Api, Error, Resource};
/// use serde_json::json;
///
/// let api = Api::new("http://example.org")?;
/// let home = Resource::from(json!({"_embedded": {"customers": {"_links": {}}}}));
/// let err = api.follow(&home).to("customers").then("item").url().unwrap_err();
/// let Error::Traversal(t) = &err else { panic!("{err}") };
/// assert_eq!((t.step(), t.rel(), t.path()), (2, Some("item"), "customers/item"));
/// assert!(matches!(t.error(), Error::RelNotFound { .. }));
/// assert!(err.to_string().starts_with("traversal `customers/item` failed at step 2, `item`: "));
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug)]
pub struct TraversalError {
    path: String,
    step: usize,
    rel: Option<String>,
    error: Error,
}

impl TraversalError {
    /// The step that failed: 1 for the first rel of the path, 0 for the endpoint a traversal
    /// started from.
    ///
    /// # Example
    ///
    /// ```
    /// # fn show(t: &halchemy::TraversalError) -> usize {
    /// t.step()
    /// # }
    /// ```
    pub fn step(&self) -> usize {
        self.step
    }

    /// The rel of the step that failed, with its pick as the path writes it (`child[1]`,
    /// `child[title=customers]`); `None` for the endpoint a traversal started from.
    ///
    /// # Example
    ///
    /// ```
    /// # fn show(t: &halchemy::TraversalError) -> Option<&str> {
    /// t.rel()
    /// # }
    /// ```
    pub fn rel(&self) -> Option<&str> {
        self.rel.as_deref()
    }

    /// The whole path of rels, joined by `/`: `child[title=customers]/item`.
    ///
    /// # Example
    ///
    /// ```
    /// # fn show(t: &halchemy::TraversalError) -> &str {
    /// t.path()
    /// # }
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What the failed step's request (or link lookup) returned.
    ///
    /// # Example
    ///
    /// ```
    /// # fn show(t: &halchemy::TraversalError) -> Option<u16> {
    /// t.error().status()
    /// # }
    /// ```
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The failed step's error, owned.
    ///
    /// # Example
    ///
    /// ```
    /// # fn show(t: halchemy::TraversalError) -> halchemy::Error {
    /// t.into_error()
    /// # }
    /// ```
    pub fn into_error(self) -> Error {
        self.error
    }
}

impl fmt::Display for TraversalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rel {
            Some(rel) => write!(
                f,
                "traversal `{}` failed at step {}, `{rel}`: {}",
                self.path, self.step, self.error
            ),
            None => write!(
                f,
                "traversal `{}` failed at its start: {}",
                self.path, self.error
            ),
        }
    }
}

impl std::error::Error for TraversalError {
    /// The hop's error's own cause: the hop's error itself is already in the message.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}
