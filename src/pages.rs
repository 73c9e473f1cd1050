//! Walking a paged collection: every page by a rel (`next` by default) until it is missing or
//! null, and every item of every page. One page is held at a time; a page read twice is an
//! error, never a loop.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use ureq::http::{HeaderMap, Method};

use crate::api::Api;
use crate::error::{Error, Result};
use crate::headers;
use crate::request::{Request, Target};
use crate::resource::Resource;
use crate::transport::{self, Prepared};
use crate::url::{self, Origin};
use crate::write;

impl Api {
    /// Walks the pages of a collection from `first`, a page already read: `first` itself,
    /// then the page its `next` link points to, and so on until a page has no `next` (or a
    /// `null` one). [`Pages::rel`] follows another rel; [`Pages::items`],
    /// [`Pages::collection`] and [`Pages::elements`] walk the items of every page instead.
    /// To start from a request, use [`Request::pages`].
    ///
    /// The walk is lazy: each page is requested when the iterator reaches it. See [`Pages`]
    /// for errors, deadlines and loops. The walk takes the first page; to keep using it, pass
    /// `page.clone()`, which is cheap (a resource shares its parsed document).
    ///
    /// # Example
    ///
    /// ```
    /// # use halchemy_testserver::{Reply, Server};
    /// # let server = Server::routes(vec![
    /// #     ("GET", "/orders?page=2", Reply::new(200).body(r#"{"_links": {"self": {"href": "/orders?page=2"}}, "_embedded": {"orders": [{"n": 3}]}}"#)),
    /// # ]);
    /// # let base_url = server.base_url();
    /// use halchemy::{Api, Resource};
    /// use serde_json::json;
    ///
    /// let api = Api::new(base_url)?;
    /// let first = Resource::from(json!({
    ///     "_links": {"self": {"href": "/orders"}, "next": {"href": "/orders?page=2"}},
    ///     "_embedded": {"orders": [{"n": 1}, {"n": 2}]}
    /// }));
    /// let mut numbers = Vec::new();
    /// for order in api.pages(first).items("orders") {
    ///     numbers.push(order?["n"].clone());
    /// }
    /// assert_eq!(numbers, [1, 2, 3]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn pages(&self, first: Resource) -> Pages<'_> {
        let mut seen = HashSet::new();
        // A page held in hand was read from nowhere: its self link stands for it.
        let own = match first.read_url() {
            Some(read) => Some(read.to_owned()),
            None => write::own_url(self, &first).ok(),
        };
        seen.extend(own.as_deref().map(url::comparable));
        Pages {
            api: self,
            rel: "next".to_owned(),
            headers: HeaderMap::new(),
            origin: None,
            timeout: self.config.timeout,
            seen,
            read: 0,
            state: State::First(Box::new(first)),
        }
    }
}

impl<'a> Pages<'a> {
    /// A walk whose first and only item is `error`.
    pub(crate) fn failed(api: &'a Api, error: Error) -> Pages<'a> {
        Pages {
            api,
            rel: "next".to_owned(),
            headers: HeaderMap::new(),
            origin: None,
            timeout: api.config.timeout,
            seen: HashSet::new(),
            read: 0,
            state: State::Failed(error),
        }
    }
}

impl<'a, T: Target> Request<'a, T> {
    /// Walks the pages of a collection from this request: it is sent (as a GET) when the
    /// iterator first needs a page, and every later page is requested with this request's
    /// headers and [deadline](Request::timeout). A problem with the request itself (a
    /// missing rel, a bad template) is the walk's first and only item.
    ///
    /// Credentials set here with [`with_headers`](Request::with_headers) go only to the
    /// origin of this first request; default credentials follow the Api's rule as always.
    ///
    /// # Example
    ///
    /// ```
    /// # use halchemy_testserver::{Reply, Server};
    /// # let server = Server::routes(vec![
    /// #     ("GET", "/", Reply::new(200).body(r#"{"_links": {"customers": {"href": "/customers"}}}"#)),
    /// #     ("GET", "/customers?max_results=2", Reply::new(200).body(r#"{"_items": [
    /// #         {"_links": {"self": {"href": "customers/1"}}}, {"_links": {"self": {"href": "customers/2"}}}],
    /// #         "_links": {"next": {"href": "customers?max_results=2&page=2"}}}"#)),
    /// #     ("GET", "/customers?max_results=2&page=2", Reply::new(200).body(r#"{"_items": [
    /// #         {"_links": {"self": {"href": "customers/3"}}}], "_links": {}}"#)),
    /// # ]);
    /// # let base_url = server.base_url();
    /// use halchemy::Api;
    /// use serde_json::json;
    ///
    /// let api = Api::new(base_url)?;
    /// let home = api.home().get()?;
    /// let customers = api
    ///     .follow(&home)
    ///     .to("customers")
    ///     .with_parameters(json!({"max_results": 2}))
    ///     .pages()
    ///     .collection("_items");                        // Eve lists items in `_items`
    /// let mut hrefs = Vec::new();
    /// for customer in customers {
    ///     hrefs.push(customer?.link("self")?.href);
    /// }
    /// assert_eq!(hrefs, ["customers/1", "customers/2", "customers/3"]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn pages(self) -> Pages<'a> {
        let (api, first, headers) = self.into_walk();
        let (state, origin, timeout) = match first {
            Ok(p) => (State::Next(p.url), Origin::of(&p.uri), p.timeout),
            Err(e) => (State::Failed(e), None, api.config.timeout),
        };
        Pages {
            api,
            rel: "next".to_owned(),
            headers,
            origin,
            timeout,
            seen: HashSet::new(),
            read: 0,
            state,
        }
    }
}

/// The pages of a collection, from [`Api::pages`] or [`Request::pages`]: an iterator of
/// `Result<Resource>`, one page at a time, following `next` (or the [rel](Pages::rel) you
/// name).
///
/// - **The end.** The walk ends after a page without the rel, or whose rel is `null`
///   (Mollie's `"next": null`), and after a page whose `Link` header has none (GitHub's
///   pager: `Link` header rels count as links).
/// - **Loops.** A page whose next page was already read (the same URL once normalized,
///   ignoring the fragment and a default port) is followed by [`Error::PageLoop`], never by
///   the page again.
/// - **Deadlines.** Each page is its own call, with the whole deadline of the Api (or of the
///   [request](Request::timeout) the walk started from): a walk of many pages is not cut
///   short by the time the earlier pages took.
/// - **Failures.** A page that did not arrive, or arrived with a status other than 2xx,
///   is an error whatever the Api's error handling says (a page that is not there cannot
///   be walked past): [`Error::Network`] or [`Error::Status`] holding the response. So is a
///   `next` link that cannot be followed (an array of several, a bad href).
/// - **After an error** the iterator returns `None`, so a `for` loop that only logs errors
///   ends. To go on, call [`resume`](Pages::resume) before the next `next()`: a page that
///   failed to arrive is requested again; after a loop or a broken link there is nothing to
///   go on with.
/// - **Memory.** The iterator keeps no page: each page is yours once yielded, and only the
///   next URL and the URLs read so far stay behind.
///
/// # Example
///
/// ```
/// # use halchemy_testserver::{Reply, Server};
/// # let server = Server::start(|req| match req.target.as_str() {
/// #     "/people" => Reply::new(200).body(r#"{"_links": {"next": {"href": "/people?page=1"}}, "page": {"number": 0}}"#),
/// #     "/people?page=1" => Reply::new(200).body(r#"{"_links": {"next": null}, "page": {"number": 1}}"#),
/// #     _ => Reply::new(404),
/// # });
/// # let base_url = server.base_url();
/// let api = halchemy::Api::new(base_url)?;
/// let first = api.using_endpoint("/people").get()?;
/// let mut numbers = Vec::new();
/// for page in api.pages(first) {
///     numbers.push(page?["page"]["number"].clone());
/// }
/// assert_eq!(numbers, [0, 1]);
/// # Ok::<(), halchemy::Error>(())
/// ```
#[must_use = "a walk does nothing until it is iterated"]
pub struct Pages<'a> {
    api: &'a Api,
    rel: String,
    /// The first request's own headers, sent with every page.
    headers: HeaderMap,
    /// The first request's origin: the only one its own credentials go to.
    origin: Option<Origin>,
    timeout: Option<Duration>,
    /// The pages read, in the form [`url::same_resource`] compares.
    seen: HashSet<String>,
    read: usize,
    state: State,
}

enum State {
    /// The first page, given by the caller and not yielded yet.
    First(Box<Resource>),
    /// The URL of the page to read next.
    Next(String),
    /// An error to yield next; then the walk is over.
    Failed(Error),
    /// Stopped after an error; [`Pages::resume`] requests this URL again, if any.
    Stopped(Option<String>),
    /// No more pages.
    Done,
}

impl<'a> Pages<'a> {
    /// Follows `rel` from page to page instead of `next` (`prev` walks backwards; any rel
    /// works, curied or not, from `_links` or from a `Link` header).
    ///
    /// # Example
    ///
    /// ```
    /// # use halchemy_testserver::{Reply, Server};
    /// # let server = Server::routes(vec![
    /// #     ("GET", "/log?before=2", Reply::new(200).body(r#"{"_links": {}, "n": 2}"#)),
    /// # ]);
    /// # let base_url = server.base_url();
    /// let api = halchemy::Api::new(base_url)?;
    /// let latest = halchemy::Resource::from(serde_json::json!({
    ///     "_links": {"self": {"href": "/log"}, "older": {"href": "/log?before=2"}}, "n": 3
    /// }));
    /// let pages: Vec<_> = api.pages(latest).rel("older").collect::<Result<_, _>>()?;
    /// assert_eq!(pages.len(), 2);
    /// assert_eq!(pages[1]["n"], 2);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn rel(mut self, rel: impl Into<String>) -> Self {
        self.rel = rel.into();
        self
    }

    /// Walks the items of every page instead: the resources embedded under `rel`
    /// (`_embedded.people` for Spring Data REST's `people`). A page without `_embedded`, or
    /// with an empty one, has no items (Spring Data REST's empty page); an object is one item
    /// (AWS API Gateway's page of one). A page that embeds other rels but not `rel` yields
    /// [`Error::EmbeddedNotFound`](crate::Error::EmbeddedNotFound) listing them (the rel is
    /// most likely misspelled). The items of a page share it (see [Items](Resource#items)).
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let page = halchemy::Resource::from(serde_json::json!({"_embedded": {"item": {"id": "a"}}}));
    /// let ids: Vec<_> = api.pages(page).items("item").map(|i| i.map(|i| i["id"].clone()))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(ids, ["a"]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn items(self, rel: impl Into<String>) -> Items<'a> {
        Items::new(self, Source::Embedded(rel.into()))
    }

    /// Walks the items of every page instead: the elements of the array at `field`, as
    /// [`Resource::collection`] reads them (Eve's `_items`). Each must be well-formed HAL; a
    /// page without the field is an error.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let page = halchemy::Resource::from(serde_json::json!({"_items": [
    ///     {"_links": {"self": {"href": "customers/1"}}, "_etag": "e1"}]}));
    /// let first = api.pages(page).collection("_items").next().expect("one item")?;
    /// assert_eq!(first.etag(), Some("e1"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn collection(self, field: impl Into<String>) -> Items<'a> {
        Items::new(self, Source::Field(field.into()))
    }

    /// Walks the items of every page instead, for pages whose body is a JSON array (GitHub's
    /// REST API, which pages with a `Link` header): each element is an item. A page that is
    /// not an array has none.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let page = halchemy::Resource::from(serde_json::json!([{"number": 31}, {"number": 30}]));
    /// let numbers: Vec<_> = api.pages(page).elements().map(|i| i.map(|i| i["number"].clone()))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(numbers, [31, 30]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn elements(self) -> Items<'a> {
        Items::new(self, Source::Elements)
    }

    /// Goes on after an error, and says whether the walk can: after a page that failed to
    /// arrive (a timeout, a `503`), the next call to `next()` requests it again; after a
    /// [loop](Error::PageLoop) or a `next` link that cannot be followed there is nothing to
    /// go on with. It changes nothing when there was no error. It returns `false` when the
    /// walk is over.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use halchemy_testserver::{Reply, Server};
    /// # static CALLS: AtomicUsize = AtomicUsize::new(0);
    /// # let server = Server::start(|_| match CALLS.fetch_add(1, Ordering::SeqCst) {
    /// #     0 => Reply::new(503),
    /// #     _ => Reply::new(200).body(r#"{"_links": {}}"#),
    /// # });
    /// # let base_url = server.base_url();
    /// let api = halchemy::Api::new(base_url)?;
    /// let mut pages = api.using_endpoint("/reports").pages();
    /// let mut retries = 0;
    /// let mut read = 0;
    /// while let Some(page) = pages.next() {
    ///     match page {
    ///         Ok(_) => read += 1,
    ///         Err(e) if e.status() == Some(503) && retries < 3 => {
    ///             retries += 1;
    ///             pages.resume();
    ///         }
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// assert_eq!((read, retries), (1, 1));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn resume(&mut self) -> bool {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Stopped(Some(url)) => {
                self.state = State::Next(url);
                true
            }
            other => {
                self.state = other;
                matches!(
                    self.state,
                    State::First(_) | State::Next(_) | State::Failed(_)
                )
            }
        }
    }

    /// Reads the page at `url`: a GET with the first request's headers and the walk's
    /// deadline; anything but a 2xx answer is an error.
    fn fetch(&self, url: &str) -> Result<Resource> {
        let uri = url::to_uri(url)?;
        let same_origin = self.origin.as_ref().is_some_and(|o| o.matches(&uri));
        let mut own = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            if same_origin || !headers::is_credential(name) {
                own.append(name.clone(), value.clone());
            }
        }
        let prepared = Prepared::new(
            self.api,
            Method::GET,
            url.to_owned(),
            own,
            None,
            self.timeout,
        )?;
        let page = transport::exchange_raising(self.api, prepared)?;
        match page.status() {
            200..=299 => Ok(page),
            _ => Err(Error::Status(Box::new(page))),
        }
    }

    /// Notes `page` as read and works out what comes after it.
    fn after(&mut self, page: &Resource) {
        self.read += 1;
        self.seen.extend(page.read_url().map(url::comparable));
        self.state = match self.next_url(page) {
            Ok(None) => State::Done,
            Ok(Some(next)) if self.seen.contains(&url::comparable(&next)) => {
                State::Failed(Error::PageLoop {
                    url: url::redacted(&next).into_owned(),
                })
            }
            Ok(Some(next)) => State::Next(next),
            Err(e) => State::Failed(e),
        };
    }

    /// The URL `page`'s rel points to; `None` when it has none (or a `null` one).
    fn next_url(&self, page: &Resource) -> Result<Option<String>> {
        if !page.has_rel(&self.rel) {
            return Ok(None);
        }
        self.api.follow(page).to(self.rel.as_str()).url().map(Some)
    }
}

impl Iterator for Pages<'_> {
    type Item = Result<Resource>;

    fn next(&mut self) -> Option<Result<Resource>> {
        let url = match std::mem::replace(&mut self.state, State::Done) {
            State::Done => return None,
            State::Stopped(again) => {
                self.state = State::Stopped(again);
                return None;
            }
            State::Failed(e) => {
                self.state = State::Stopped(None);
                return Some(Err(e));
            }
            State::First(page) => {
                self.after(&page);
                return Some(Ok(*page));
            }
            State::Next(url) => url,
        };
        match self.fetch(&url) {
            Ok(page) => {
                self.seen.insert(url::comparable(&url));
                self.after(&page);
                Some(Ok(page))
            }
            Err(e) => {
                self.state = State::Stopped(Some(url));
                Some(Err(e))
            }
        }
    }
}

impl fmt::Debug for Pages<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let next = match &self.state {
            State::First(_) => "the first page".into(),
            State::Next(url) => url::redacted(url),
            State::Failed(_) => "an error".into(),
            State::Stopped(_) => "(stopped after an error)".into(),
            State::Done => "(none)".into(),
        };
        f.debug_struct("Pages")
            .field("rel", &self.rel)
            .field("read", &self.read)
            .field("next", &next)
            .field("headers", &headers::Redacted(&self.headers))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Where the items of a page are.
#[derive(Debug)]
enum Source {
    /// `_embedded[rel]`, leniently.
    Embedded(String),
    /// The array at a field, as `Resource::collection` reads it.
    Field(String),
    /// The page's body is the array.
    Elements,
}

impl Source {
    fn read(&self, page: &Resource) -> Result<Vec<Resource>> {
        match self {
            Source::Embedded(rel) => page.page_items(rel),
            Source::Field(field) => page.collection(field),
            Source::Elements => Ok(page.elements()),
        }
    }
}

/// The items of every page of a collection, from [`Pages::items`], [`Pages::collection`] or
/// [`Pages::elements`]: an iterator of `Result<Resource>`.
///
/// It reads a page when the items of the one before are used up, and holds only the items of
/// the current page (they share it; the pages before it are gone unless you keep their
/// items). Errors are those of [`Pages`], plus a page whose items cannot be read (a
/// malformed `_embedded`, a missing collection field): then the iterator returns `None`
/// until [`resume`](Items::resume), which goes on with the next page.
///
/// # Example
///
/// ```
/// let api = halchemy::Api::new("http://example.org")?;
/// let empty = halchemy::Resource::from(serde_json::json!({"_links": {}, "page": {"totalElements": 0}}));
/// assert_eq!(api.pages(empty).items("people").count(), 0);  // no `_embedded`: no items
/// # Ok::<(), halchemy::Error>(())
/// ```
#[must_use = "a walk does nothing until it is iterated"]
pub struct Items<'a> {
    pages: Pages<'a>,
    source: Source,
    current: std::vec::IntoIter<Resource>,
    /// Stopped after the items of a page could not be read.
    stopped: bool,
}

impl<'a> Items<'a> {
    fn new(pages: Pages<'a>, source: Source) -> Items<'a> {
        Items {
            pages,
            source,
            current: Vec::new().into_iter(),
            stopped: false,
        }
    }

    /// Goes on after an error: after a page whose items could not be read, with the next
    /// page; otherwise as [`Pages::resume`]. It returns `false` when the walk is over.
    ///
    /// # Example
    ///
    /// ```
    /// let api = halchemy::Api::new("http://example.org")?;
    /// let broken = halchemy::Resource::from(serde_json::json!({"_embedded": "oops"}));
    /// let mut items = api.pages(broken).items("item");
    /// assert!(items.next().expect("an error").is_err());
    /// assert!(items.next().is_none());          // stopped
    /// assert!(!items.resume());                 // and there is no next page
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn resume(&mut self) -> bool {
        if self.stopped {
            self.stopped = false;
        }
        self.pages.resume()
    }
}

impl Iterator for Items<'_> {
    type Item = Result<Resource>;

    fn next(&mut self) -> Option<Result<Resource>> {
        loop {
            if self.stopped {
                return None;
            }
            if let Some(item) = self.current.next() {
                return Some(Ok(item));
            }
            let page = match self.pages.next()? {
                Ok(page) => page,
                Err(e) => return Some(Err(e)),
            };
            match self.source.read(&page) {
                Ok(items) => self.current = items.into_iter(),
                Err(e) => {
                    self.stopped = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl fmt::Debug for Items<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("source", &self.source)
            .field("left_on_this_page", &self.current.len())
            .field("pages", &self.pages)
            .finish()
    }
}
