//! Shared by the benchmarks: the test server's fast keep-alive server of fixed bytes, the
//! documents, and the raw ureq client set up like halchemy's.
#![allow(dead_code)]

use std::time::Duration;

pub mod measure;

use halchemy::Api;
use halchemy_testserver::{Server, fixed_response};
use serde_json::{Value, json};

// ---------------------------------------------------------------- the server

/// The benchmarks' server (`halchemy_testserver::Server::fixed`): each path's prebuilt
/// response (`fixed_response`), keep-alive, its connection threads pinned to the last core.
pub fn serve(routes: Vec<(&'static str, Vec<u8>)>) -> Server {
    Server::fixed(routes, Some(pin_to_last_core))
}

/// Pins the calling thread to the first core (the server runs on the last).
pub fn pin_to_first_core() {
    if let Some(first) = core_affinity::get_core_ids().and_then(|c| c.first().copied()) {
        core_affinity::set_for_current(first);
    }
}

/// Pins the calling thread to the last core: the server's connection threads.
fn pin_to_last_core() {
    if let Some(last) = core_affinity::get_core_ids().and_then(|c| c.last().copied()) {
        core_affinity::set_for_current(last);
    }
}

/// A HAL document of about 1 KB.
pub fn small_doc() -> Vec<u8> {
    let doc = json!({
        "_links": {
            "self": {"href": "/doc"},
            "collection": {"href": "/customers", "title": "All customers"},
            "orders": {"href": "/customers/A375/orders{?status,page}", "templated": true},
            "invoices": {"href": "/customers/A375/invoices", "title": "Invoices"},
            "next": {"href": "/customers/A376"},
            "prev": {"href": "/customers/A374"}
        },
        "_etag": "5d2f3c1e8a9b7f6e4d3c2b1a09f8e7d6c5b4a392",
        "id": "A375",
        "givenName": "Leslie",
        "familyName": "Knope",
        "email": "leslie.knope@pawnee.example",
        "phone": "+1-555-0100",
        "address": {"street": "100 Main Street", "city": "Pawnee", "state": "IN", "zip": "46001"},
        "tags": ["parks", "recreation", "waffles", "council"],
        "balance": 1234.56,
        "active": true,
        "notes": "Deputy director of the Parks and Recreation Department. Prefers email. Allergic to nothing but bureaucracy; loves JJ's waffles and binders.",
        "company": "City of Pawnee, Department of Parks and Recreation, 100 Main Street, Pawnee, Indiana",
        "created": "2009-04-09T20:00:00Z",
        "updated": "2015-02-24T20:00:00Z"
    });
    serde_json::to_vec(&doc).unwrap()
}

/// A page of 10,000 embedded items, about 2 MB.
pub fn big_doc() -> Vec<u8> {
    page_doc("/big", None, 0)
}

/// The pages walk: how many pages, each a [`big_doc`]-sized page of 10,000 items.
pub const PAGES: usize = 100;

/// The path of page `n` of the pages walk.
pub fn page_path(n: usize) -> String {
    format!("/pages/{n}")
}

/// The routes of the pages walk: `/pages/0` to `/pages/{PAGES - 1}`, each linking to the
/// next with `_links.next` but the last, each holding 10,000 items of its own (about 190 MB
/// of prebuilt responses in all).
pub fn pages_routes() -> Vec<(&'static str, Vec<u8>)> {
    (0..PAGES)
        .map(|n| {
            let path: &'static str = Box::leak(page_path(n).into_boxed_str());
            let next = (n + 1 < PAGES).then(|| page_path(n + 1));
            (
                path,
                fixed_response(&page_doc(path, next.as_deref(), n * 10_000)),
            )
        })
        .collect()
}

/// A page of 10,000 embedded items numbered from `first`, with `self` and maybe `next`.
fn page_doc(path: &str, next: Option<&str>, first: usize) -> Vec<u8> {
    let items: Vec<Value> = (first..first + 10_000)
        .map(|i| {
            json!({
                "_links": {"self": {"href": format!("/customers/{i:05}")}},
                "_etag": format!("{:040x}", i * 7919),
                "id": format!("{i:05}"),
                "name": format!("Customer number {i}"),
                "city": "Pawnee",
                "balance": i as f64 * 1.25,
                "active": i % 3 == 0
            })
        })
        .collect();
    let mut links = json!({"self": {"href": path}});
    if let Some(next) = next {
        links["next"] = json!({ "href": next });
    }
    let doc = json!({"_links": links, "_embedded": {"item": items}});
    serde_json::to_vec(&doc).unwrap()
}

// ---------------------------------------------------------------- the clients

pub const HEADERS: [(&str, &str); 3] = [
    ("content-type", "application/json"),
    (
        "accept",
        "application/hal+json, application/json;q=0.9, */*;q=0.8",
    ),
    ("authorization", "Basic cm9vdDpwYXNzd29yZA=="),
];

/// The agent settings halchemy gives its own.
fn raw_config() -> ureq::config::Config {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .timeout_connect(Some(Duration::from_secs(10)))
        .proxy(None)
        .build()
}

/// A raw ureq agent with the same settings halchemy gives its own.
pub fn raw_agent() -> ureq::Agent {
    raw_config().into()
}

/// The same, but resolving IP literals without starting a thread (as halchemy's agent does;
/// ureq's default resolver starts one per request whenever a timeout is set).
pub fn raw_agent_literal_resolver() -> ureq::Agent {
    ureq::Agent::with_parts(
        raw_config(),
        ureq::unversioned::transport::DefaultConnector::default(),
        LiteralFirst::default(),
    )
}

#[derive(Debug, Default)]
struct LiteralFirst(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let ip = uri.host().and_then(|h| h.parse::<std::net::IpAddr>().ok());
        match (ip, uri.port_u16()) {
            (Some(ip), Some(port)) => {
                let mut out = self.empty();
                out.push(std::net::SocketAddr::new(ip, port));
                Ok(out)
            }
            _ => self.0.resolve(uri, config, timeout),
        }
    }
}

/// A raw ureq agent with ureq's defaults (`Agent::new_with_defaults`): no timeouts (so its
/// resolver starts no thread), 4xx/5xx are errors, redirects followed, proxy from the
/// environment.
pub fn raw_agent_default() -> ureq::Agent {
    ureq::Agent::new_with_defaults()
}

/// Raw ureq as a first-time user writes it: GET with the same headers, `read_to_vec` (its
/// default 10 MB limit) and `serde_json::from_slice`.
pub fn raw_get_default(agent: &ureq::Agent, url: &str) -> Value {
    let mut req = agent.get(url);
    for (k, v) in HEADERS {
        req = req.header(k, v);
    }
    let bytes = req.call().unwrap().body_mut().read_to_vec().unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// [`raw_get_default`] with the body read into a `Vec` sized from `Content-Length` (capped
/// at the limit) instead of one grown from empty: what pre-sizing would save halchemy.
pub fn raw_get_presized(agent: &ureq::Agent, url: &str) -> Value {
    use std::io::Read;
    let mut req = agent.get(url);
    for (k, v) in HEADERS {
        req = req.header(k, v);
    }
    let mut response = req.call().unwrap();
    let limit = 10 * 1024 * 1024;
    let length = response.body().content_length().unwrap_or(0).min(limit);
    let mut bytes = Vec::with_capacity(length as usize);
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .reader()
        .read_to_end(&mut bytes)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Raw ureq walking the pages from `first` (a URL on `base`): GET, parse, visit every item,
/// then the next page by `_links.next.href`, the previous page dropped before the next is
/// fetched. Returns the items seen and the walk's checksum.
pub fn raw_walk_pages(agent: &ureq::Agent, base: &str, first: &str) -> (usize, usize) {
    let (mut count, mut sum) = (0, 0);
    let mut url = Some(first.to_owned());
    while let Some(u) = url.take() {
        let doc = raw_get(agent, &u);
        let items = doc["_embedded"]["item"].as_array().unwrap();
        count += items.len();
        sum += walk(items.iter());
        url = doc["_links"]["next"]["href"]
            .as_str()
            .map(|href| format!("{base}{href}"));
    }
    (count, sum)
}

/// halchemy walking the pages from `first` by hand, as users wrote it before the pages
/// iterator: a loop of `follow(&page).to("next").get()` over `embedded_many`. The page is
/// still held while the next one is fetched (it is borrowed by `follow`).
pub fn halchemy_walk_pages(api: &Api, first: &str) -> (usize, usize) {
    let mut page = api.using_endpoint(first).get().unwrap();
    let (mut count, mut sum) = (0, 0);
    loop {
        let items = page.embedded_many("item").unwrap();
        count += items.len();
        sum += walk(items.iter().map(|r| r.data()));
        drop(items);
        let Ok(next) = api.follow(&page).to("next").get() else {
            break;
        };
        page = next;
    }
    (count, sum)
}

/// halchemy walking the pages with its pages iterator (`Request::pages`), every item of each
/// page through `embedded_many`; each page is dropped at the end of the loop's body, before
/// the iterator requests the next.
pub fn halchemy_walk_pages_iterator(api: &Api, first: &str) -> (usize, usize) {
    let (mut count, mut sum) = (0, 0);
    for page in api.using_endpoint(first).pages() {
        let page = page.unwrap();
        let items = page.embedded_many("item").unwrap();
        count += items.len();
        sum += walk(items.iter().map(|r| r.data()));
    }
    (count, sum)
}

/// halchemy walking every item of every page with `pages().items("item")`.
pub fn halchemy_walk_items(api: &Api, first: &str) -> (usize, usize) {
    let (mut count, mut sum) = (0, 0);
    for item in api.using_endpoint(first).pages().items("item") {
        let item = item.unwrap();
        count += 1;
        sum += item.data()["name"].as_str().map_or(0, str::len);
    }
    (count, sum)
}

/// Raw ureq: GET, the same headers halchemy sends, the body read and parsed to JSON.
pub fn raw_get(agent: &ureq::Agent, url: &str) -> Value {
    let mut req = agent.get(url);
    for (k, v) in HEADERS {
        req = req.header(k, v);
    }
    let mut response = req.call().unwrap();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(10 * 1024 * 1024)
        .read_to_vec()
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub fn api(base: &str) -> Api {
    Api::builder()
        .base_url(base)
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap()
}

/// Touches every item the same way for both clients.
pub fn walk<'a>(items: impl Iterator<Item = &'a Value>) -> usize {
    items.map(|i| i["name"].as_str().map_or(0, str::len)).sum()
}
