//! A blocking client for HAL hypermedia APIs (`application/hal+json`): follow links instead of
//! building URLs, and write without losing anyone else's update.
//!
//! halchemy is the Rust member of the halchemy family (Python, JavaScript, Ruby, C#) and
//! behaves like its siblings. It needs no async runtime: it is made for scripts, command-line
//! tools and embedded tooling.
//!
//! # Getting started
//!
//! An [`Api`] knows the base URL, the default headers and the error-handling policy, and holds
//! one pool of keep-alive connections. Every request starts from it and returns a [`Resource`]:
//! the JSON data first, the HTTP details in [`Resource::meta`].
//!
//! ```
//! # use halchemy_testserver::{Reply, Server};
//! # let server = Server::routes(vec![("GET", "/", Reply::new(200)
//! #     .header("content-type", "application/hal+json")
//! #     .body(r#"{"_links": {"self": {"href": "/"}, "customers": {"href": "/customers"}}, "welcome": "hi"}"#))]);
//! # let base_url = server.base_url();
//! use halchemy::Api;
//!
//! let api = Api::new(base_url)?;          // e.g. "http://localhost:2112"
//! let home = api.home().get()?;           // GET {base_url}/
//! assert_eq!(home["welcome"], "hi");      // index like a serde_json::Value; missing is Null
//! assert_eq!(home.status(), 200);
//! println!("{home:#}");                   // pretty JSON ({} is compact)
//! if let Some(content_type) = home.meta().response.headers.get("content-type") {
//!     println!("{content_type:?}");
//! }
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! URLs that are not absolute join the base URL: `http://example.org/api` + `/path/` is
//! `http://example.org/api/path/`. [`Api::using_endpoint`] requests any URL, and every request
//! builder sends with all seven methods: `get`, `head`, `options`, `post`, `put`, `patch`,
//! `delete`. Bodies are any `Serialize` value, sent as JSON, or a [`Body`] with its own
//! content type.
//!
//! # Following links
//!
//! [`Api::follow`] takes a resource and a rel; no URL is built by hand. A rel that holds an
//! array of links is followed when it has one; with several, pick one with
//! [`at`](Request::at), [`named`](Request::named) or [`titled`](Request::titled). A missing rel
//! is an error naming the rels that exist; nothing in the builder fails early, the error comes
//! from `url()` or the call that sends.
//!
//! ```
//! use halchemy::{Api, Resource};
//! use serde_json::json;
//!
//! let api = Api::new("http://example.org/api")?;
//! // Eve's home document: no `self`, and `child` is an array of links.
//! let home = Resource::from(json!({"_links": {"child": [
//!     {"href": "customers", "title": "customers"},
//!     {"href": "orders", "title": "orders"}
//! ]}}));
//! let url = api.follow(&home).to("child").titled("orders").url()?;
//! assert_eq!(url, "http://example.org/api/orders");
//! assert!(api.follow(&home).to("child").url().is_err()); // ambiguous: the error lists both
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! [`Resource::links`], [`Resource::has_rel`] and [`Resource::link`] (every attribute, the ones
//! HAL names and any other, such as `method`) read the links without following them. A rel
//! written as `null` (`"next": null`, `{"href": null}`) is an absent link; rels of a response's
//! `Link` headers (RFC 8288) count too; a curied rel (`ea:orders`) is found by its name or its
//! expansion.
//!
//! **Servers under a path prefix.** By default a relative href joins the base URL as in the
//! other halchemy libraries (`http://host/api` + `customers/1` is `http://host/api/customers/1`;
//! Eve and Camunda write hrefs that way). A server whose hrefs start from its root — OpenProject
//! under `/api/v3` writes `/api/v3/statuses` — would get the prefix twice: set
//! [`LinkResolution::Document`] (builder, [`Api::set_link_resolution`] or `.halchemy`) to
//! resolve hrefs as RFC 3986 does, against the URL of the document that holds them. halchemy
//! logs a `warn` when it sees the prefix doubled.
//!
//! A path of rels is one call with [`Request::then`]: an intermediate rel embedded as a single
//! resource is used without a request.
//!
//! ```
//! # use halchemy_testserver::demo;
//! # let server = demo::start().unwrap();
//! # let base_url = server.url();
//! use halchemy::Api;
//! use serde_json::json;
//!
//! let api = Api::new(base_url)?;
//! let leslie = api.home().then("customer").with_template_values(json!({"id": "A375"})).get()?;
//! assert_eq!(leslie["name"], "Leslie Knope");
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! # Templates and parameters
//!
//! Templated hrefs are expanded per RFC 6570 (level 4) with JSON values; missing values are
//! left out. Query parameters are a JSON object, form-encoded and merged with any query the URL
//! has: `null` is a bare key, nested objects use dot notation, lists follow the [`ListStyle`].
//!
//! ```
//! use halchemy::{Api, Resource};
//! use serde_json::json;
//!
//! let api = Api::new("http://example.org")?;
//! let home = Resource::from(json!({"_links": {
//!     "customer": {"href": "/customers/{id}{?fields*}", "templated": true}
//! }}));
//! let url = api
//!     .follow(&home)
//!     .to("customer")
//!     .with_template_values(json!({"id": "A375", "fields": ["name", "email"]}))
//!     .with_parameters(json!({"embed": "orders", "note": "John Doe", "pretty": null}))
//!     .url()?;
//! assert_eq!(
//!     url,
//!     "http://example.org/customers/A375?fields=name&fields=email&embed=orders&note=John+Doe&pretty"
//! );
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! # Embedded resources and collections
//!
//! [`Resource::embedded`] returns one resource for an object and many for an array;
//! [`embedded_one`](Resource::embedded_one) and [`embedded_many`](Resource::embedded_many)
//! insist on one shape. Items share the page they came from: taking every item of a large
//! page copies nothing. [`Resource::collection`] reads items listed
//! outside `_embedded`, such as Eve's `_items`. Items keep their own ETag, from their `_etag`
//! field, so they can be written.
//!
//! ```
//! use halchemy::Resource;
//! use serde_json::json;
//!
//! let page = Resource::from(json!({"_embedded": {"item": [
//!     {"_links": {"self": {"href": "/customers/1"}}, "name": "Kim", "_etag": "e1"},
//!     {"_links": {"self": {"href": "/customers/2"}}, "name": "Lee", "_etag": "e2"}
//! ]}}));
//! let items = page.embedded_many("item")?;              // share the page: no copies
//! let names: Vec<_> = items.iter().map(|c| c["name"].clone()).collect();
//! assert_eq!(names, ["Kim", "Lee"]);
//! let first = &items[0];                                  // owned, writable
//! assert_eq!(first.etag(), Some("e1"));
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! # Pages
//!
//! A paged collection is a `for` loop: [`Api::pages`] (from a page in hand) or
//! [`Request::pages`] (from a request) follows `next` (or [another rel](Pages::rel)) page after
//! page until it is missing or `null`, holding one page at a time; [`Pages::items`] yields the
//! items under an embedded rel (a page without `_embedded` has none; an object is one item),
//! [`Pages::collection`] those of a field such as Eve's `_items`. Each yields `Result`; a URL
//! read twice is [`Error::PageLoop`], never an endless loop.
//!
//! ```
//! # use halchemy_testserver::demo;
//! # let server = demo::start().unwrap();
//! # let base_url = server.url();
//! let api = halchemy::Api::new(base_url)?;
//! let home = api.home().get()?;
//! let mut names = Vec::new();
//! for customer in api.follow(&home).to("customers").pages().items("item") {
//!     names.push(customer?["name"].clone());          // two customers a page, three in all
//! }
//! assert_eq!(names.len(), 3);
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! # Actions (HAL-FORMS)
//!
//! [`Resource::templates`] lists a resource's HAL-FORMS templates (`_templates`: method,
//! target, content type, properties); [`Api::submit`] and [`Api::submit_mut`] send one with
//! values, checked first (required, `regex`, inline options). A submit to the resource's own
//! URL carries its validators like any write. Servers such as Spring HATEOAS send templates
//! only when asked: add `Accept: `[`HAL_FORMS_ACCEPT`] to the request.
//!
//! ```
//! # use halchemy_testserver::demo;
//! # let server = demo::start().unwrap();
//! # let base_url = server.url();
//! use halchemy::{Api, HAL_FORMS_ACCEPT};
//! use serde_json::json;
//!
//! let api = Api::new(base_url)?;
//! let mut leslie = api.using_endpoint("/customers/A375")
//!     .with_headers([("Accept", HAL_FORMS_ACCEPT)])
//!     .get()?;
//! let form = leslie.template("move")?;
//! assert_eq!(form.method(), "PATCH");
//! api.submit_mut(&mut leslie, "move").with_values(json!({"city": "Eagleton"})).send()?;
//! assert_eq!(leslie["city"], "Eagleton");                 // brought forward, with If-Match
//! assert!(api.submit(&leslie, "move").with_values(json!({"city": "Atlantis"})).send().is_err());
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! # Optimistic concurrency
//!
//! One invariant: **a [`Resource`]'s data and its validators (its ETag and `Last-Modified`)
//! always describe the same version, and no sequence of calls loses a concurrent update without
//! an `Err` saying so.** The rules that keep it:
//!
//! 1. **Validators** come from the response's `ETag` header, else the body's etag field
//!    (`_etag`, [configurable](Api::set_etag_field)), and `Last-Modified`; they are kept and
//!    sent back byte for byte.
//! 2. **They belong to the resource's own URL** (its `self` link, or the URL it was read from).
//!    A `put`, `patch` or `delete` sends `If-Match` (or, with only a date,
//!    `If-Unmodified-Since`) exactly when it targets that URL — through [`Api::follow`] or
//!    [`Api::follow_mut`]. A write to any other link sends none of the resource's and leaves
//!    it alone. A precondition set with `with_headers` wins. `post` never sends one.
//! 3. **After a success through `follow_mut`** the resource moves to the new version, data and
//!    validators together: it adopts a representation the server returned (`Content-Location`,
//!    `Prefer: return=representation`, the GET after a `303`), else applies the PUT body or
//!    the merge patch itself with the server's new validators, else keeps its old data *and*
//!    old validators so its next write fails safe. A `delete` clears its validators.
//! 4. **A failure changes nothing**: `412` is [`Error::PreconditionFailed`], `428`
//!    [`Error::PreconditionRequired`], and no network error or other status touches the
//!    resource.
//!
//! ```
//! # use halchemy_testserver::store::{HalServer, Options};
//! # let server = HalServer::start(Options::default());
//! # server.put("/customers/1", serde_json::json!({"name": "Kim", "visits": 0}));
//! # let base_url = server.base_url();
//! use halchemy::{Api, Error};
//! use serde_json::json;
//!
//! let api = Api::new(base_url)?;
//! let mut customer = api.using_endpoint("/customers/1").get()?;
//! let v1 = customer.etag().map(str::to_owned);
//!
//! api.follow_mut(&mut customer).to("self").patch(json!({"name": "Lee"}))?;  // If-Match: v1
//! assert_eq!(customer["name"], "Lee");                 // the data moved on...
//! assert_ne!(customer.etag().map(str::to_owned), v1);  // ...with the new ETag
//!
//! // Someone else writes in between: our next write is a conflict, and nothing changes.
//! let mut theirs = api.using_endpoint("/customers/1").get()?;
//! api.follow_mut(&mut theirs).to("self").patch(json!({"visits": 5}))?;
//! let before = customer.clone();
//! match api.follow_mut(&mut customer).to("self").patch(json!({"name": "Sam"})) {
//!     Err(Error::PreconditionFailed(conflict)) => {
//!         assert!(conflict.sent_etag.is_some());
//!         assert_eq!(customer.data(), before.data());   // untouched
//!         assert_eq!(customer.etag(), before.etag());
//!     }
//!     other => panic!("expected a conflict, got {other:?}"),
//! }
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! What to do with a conflict, as the halchemy family lists it:
//!
//! - **refresh and try again**: [`Api::refresh`] reloads with a conditional GET (`304` keeps
//!   the resource, a `200` replaces data and validators together);
//! - **apply the change again automatically**: [`Api::update`] changes a copy of the data,
//!   PATCHes what changed with `If-Match`, and on `412` pauses (exponential backoff with
//!   jitter), refreshes and applies the change again. It refuses to write a resource the
//!   server gives no ETag ([`UpdateOptions::allow_unconditional`] opts in);
//! - **merge the changes**: [`Api::merge`] reads the server's version and merges three ways —
//!   fields only one side changed are kept, fields both changed differently are reported
//!   (pointer, base, mine, theirs) — and sends the merged change conditionally on the version
//!   it read;
//! - **ask the user**: resolve each [`FieldConflict`] with a [`Choice`] before sending.
//!
//! ```
//! # use halchemy_testserver::store::{HalServer, Options};
//! # let server = HalServer::start(Options::default());
//! # server.put("/customers/1", serde_json::json!({"name": "Kim", "city": "Pawnee", "visits": 0}));
//! # let base_url = server.base_url();
//! use halchemy::{Api, Choice, Error};
//! use serde_json::json;
//!
//! let api = Api::new(base_url)?;
//! let mut mine = api.using_endpoint("/customers/1").get()?;
//! let mut theirs = api.using_endpoint("/customers/1").get()?;
//! api.follow_mut(&mut theirs).to("self").patch(json!({"city": "Eagleton", "name": "Ann"}))?;
//!
//! // update: no change is lost, whoever wrote first.
//! api.update(&mut mine, |data| data["visits"] = (data["visits"].as_i64().unwrap_or(0) + 1).into())?;
//! assert_eq!((mine["visits"].as_i64(), mine["city"].as_str()), (Some(1), Some("Eagleton")));
//!
//! // merge: both renamed the customer; the report says so, and we choose.
//! api.refresh(&mut theirs)?;
//! api.follow_mut(&mut theirs).to("self").patch(json!({"name": "Ron"}))?;
//! if let Err(Error::PreconditionFailed(conflict)) =
//!     api.follow_mut(&mut mine).to("self").patch(json!({"name": "Leslie"}))
//! {
//!     let mut merging = api.merge(&mut mine, &conflict)?;
//!     assert_eq!(merging.unresolved(), ["/name"]);
//!     merging.resolve("/name", Choice::Mine)?;
//!     merging.send()?;
//! }
//! assert_eq!(mine["name"], "Leslie");
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! # Errors
//!
//! Every failure is an [`Error`]: typed, with a lowercase message that says what to do, and the
//! cause kept in `source()`. By default a network failure (refused, timeout, DNS, TLS, broken
//! HTTP) is [`Error::Network`] and no HTTP status is an error. That is configurable in the
//! [`ErrorHandling`] policy: with `raise_on_network_error` off, a network failure is `Ok` with
//! status 0 and the error recorded in `meta()`; statuses in `raise_on_status_codes` (a
//! [`StatusCodes`] set such as `"400-403, >404"`) are [`Error::Status`].
//!
//! ```
//! use halchemy::{Api, Error, NetworkErrorKind};
//!
//! let mut api = Api::builder().base_url("http://127.0.0.1:9").no_config_file().build()?;
//! match api.home().get() {
//!     Err(Error::Network(e)) => assert_eq!(e.kind(), NetworkErrorKind::ConnectionRefused),
//!     other => panic!("{other:?}"),
//! }
//! api.error_handling_mut().raise_on_network_error = false;
//! let r = api.home().get()?;
//! assert_eq!(r.status(), 0);
//! assert_eq!(r.meta().response.reason, "Did not receive a response from the server");
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! A response body that is not JSON (text, XML, malformed or too deeply nested JSON) is not an
//! error: the data is `Null` and the text is in `meta().response.body`. A body over the
//! [limit](Api::set_body_limit) (10 MiB by default) is [`Error::BodyTooLarge`].
//!
//! # The configuration file
//!
//! [`Api::new`] first reads a `.halchemy` INI file: the project's (the first folder up from the
//! current directory holding `Cargo.toml`, `.git` or `.halchemy`), else `~/.halchemy`.
//! [`Api::builder`] can name a file ([`config_file`](ApiBuilder::config_file)) or skip it
//! ([`no_config_file`](ApiBuilder::no_config_file)). What code sets wins over the file.
//!
//! ```ini
//! [halchemy]
//! base_url = https://api.example.org
//! parameters_list_style = comma
//! etag_field = _etag
//!
//! [headers]
//! Authorization = Bearer s3cr3t
//! Accept = application/hal+json, application/json;q=0.9, */*;q=0.8
//!
//! [error_handling]
//! raise_on_network_error = true
//! raise_on_status_codes = >399
//! ```
//!
//! Default headers are `Content-type: application/json`,
//! `Accept: application/hal+json, application/json;q=0.9, */*;q=0.8` and the family's
//! `Authorization: Basic cm9vdDpwYXNzd29yZA==`. Credentials (`Authorization`, `Cookie`,
//! `Proxy-Authorization`) set as defaults only ever go to the base URL's origin, never to a link
//! or a redirect elsewhere.
//!
//! # Threads
//!
//! [`Api`] is `Clone + Send + Sync`; its clones share one connection pool. Share one `Api`
//! (or clones of it) across threads and let each thread own its resources: there is no lock on
//! the request path and none around ETags.
//!
//! ```
//! # let server = halchemy_testserver::Server::answering(200, &[], "{}");
//! # let base_url = server.base_url();
//! let api = halchemy::Api::new(base_url)?;
//! let workers: Vec<_> = (0..4)
//!     .map(|i| {
//!         let api = api.clone();
//!         std::thread::spawn(move || api.using_endpoint(format!("/jobs/{i}")).get().map(|r| r.status()))
//!     })
//!     .collect();
//! for w in workers {
//!     assert_eq!(w.join().unwrap()?, 200);
//! }
//! # Ok::<(), halchemy::Error>(())
//! ```
//!
//! # Logging and TLS
//!
//! Each request logs one `debug` line through the [`log`](https://docs.rs/log) crate (target
//! `halchemy`): method, URL without credentials, status and duration; deprecated links and
//! responses (`Deprecation`, `Sunset`) log a `warn`. No header value and no password is ever
//! logged by halchemy, and no `Debug` or `Display` of its types shows one.
//!
//! **ureq, underneath, logs every request's and response's headers itself** — `Authorization`
//! and `Cookie` included — at `debug` (target `ureq`) and `trace` (target `ureq_proto`), and
//! halchemy cannot stop another crate's logging. When you turn on debug logging, filter those
//! targets out: with `env_logger`, `RUST_LOG=debug,ureq=info,ureq_proto=info`.
//!
//! HTTPS uses rustls with the Mozilla root certificates (feature `rustls`, on by default); the
//! `native-tls` feature uses the platform's TLS and trust store instead.
//! `ApiBuilder::add_root_certificate_pem`, `ApiBuilder::client_certificate_pem` and
//! `ApiBuilder::platform_trust_store` (feature `platform-verifier` under rustls) set what is
//! trusted and presented; a TLS failure is a [`NetworkErrorKind::Tls`] error that names the
//! host and says why. Other features: `gzip` (default) and `brotli` responses, `socks-proxy`,
//! and `cookies` (a cookie jar per `Api`, shared by its clones).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod agent;
mod api;
mod body;
mod config;
mod config_file;
mod error;
mod forms;
mod hal;
mod headers;
mod merge;
mod merging;
mod meta;
mod pages;
mod params;
#[cfg(test)]
mod proptests;
mod request;
mod resolver;
mod resource;
mod status;
mod submit;
mod template;
mod tls;
#[cfg(any(feature = "rustls", feature = "native-tls"))]
mod tls_probe;
#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
mod tls_roots;
mod transport;
mod traverse;
mod update;
mod url;
mod validators;
mod write;

pub use api::Api;
pub use body::{Body, IntoBody};
pub use config::{ApiBuilder, DEFAULT_BASE_URL, DEFAULT_ETAG_FIELD, ErrorHandling};
pub use error::{Conflict, Error, NetworkError, NetworkErrorKind, Result};
pub use forms::{
    HAL_FORMS_ACCEPT, HAL_FORMS_MEDIA_TYPE, Property, PropertyChoice, PropertyOptions, Template,
};
pub use hal::{Link, Multiplicity};
pub use merge::{Choice, FieldConflict, Merge};
pub use merging::Merging;
pub use meta::{Meta, MetaError, RequestMeta, ResponseBody, ResponseMeta};
pub use pages::{Items, Pages};
pub use params::ListStyle;
pub use request::{Endpoint, Follower, Held, Rel, Request, Target};
pub use resource::{Embedded, Resource};
pub use status::{StatusCodes, StatusCodesError};
pub use submit::Submit;
pub use traverse::{Traversal, TraversalError};
pub use update::{Refresh, UpdateOptions, Updated};
pub use url::{LinkResolution, LinkResolutionError};

/// The `http` crate's types used in [`Meta`] (header maps, names, values), re-exported from
/// ureq.
pub use ureq::http;

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
