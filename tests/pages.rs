//! Walking paged collections as real servers page them (documents from tests/data/dialects/):
//! Spring Data REST, Eve, Mollie, AWS API Gateway, a GitHub-style `Link` header pager; and
//! the ways a walk ends: the last page, a loop, a failing page, a deadline.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::{Reply, Server, api, api_at};
use halchemy::{Error, Resource};
use serde_json::{Value, json};

/// The text of a document in tests/data/dialects/.
fn dialect(name: &str) -> String {
    let path = format!("{}/tests/data/dialects/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// One page a [`pager`] serves: the request target, extra headers and the body; `{base}`
/// in a header value or the body stands for the server's base URL.
struct Page {
    target: String,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn page(target: &str, body: impl Into<String>) -> Page {
    Page {
        target: target.to_owned(),
        headers: Vec::new(),
        body: body.into(),
    }
}

/// A server answering `GET` of each page's exact target (path and query, as sent) with the
/// page, and anything else with `404`.
fn pager(pages: Vec<Page>) -> Server {
    let base = Arc::new(OnceLock::<String>::new());
    let known = Arc::clone(&base);
    let server = Server::start(move |req| {
        let base = known.get().map_or("", String::as_str);
        match pages
            .iter()
            .find(|p| req.method == "GET" && p.target == req.target)
        {
            Some(p) => p
                .headers
                .iter()
                .fold(Reply::new(200), |r, (n, v)| {
                    r.header(n, &v.replace("{base}", base))
                })
                .header("content-type", "application/hal+json")
                .body(p.body.replace("{base}", base)),
            None => Reply::new(404).body("{}"),
        }
    });
    base.set(server.base_url()).expect("set once");
    server
}

fn targets(server: &Server) -> Vec<String> {
    server.requests().into_iter().map(|r| r.target).collect()
}

/// Every item of a walk, or the first error.
fn all(items: impl Iterator<Item = halchemy::Result<Resource>>) -> Vec<Resource> {
    items
        .collect::<halchemy::Result<_>>()
        .expect("a clean walk")
}

#[test]
fn spring_data_rest_people_walk_every_page_until_there_is_no_next() {
    let sdr = |name| dialect(name).replace("http://localhost:8080", "{base}");
    let server = pager(vec![
        page("/people?page=0&size=1", sdr("sdr-people-page0.json")),
        page(
            "/people?page=1&size=1",
            sdr("spring-data-rest-people-page1.json"),
        ),
        page(
            "/people?page=2&size=1",
            sdr("spring-data-rest-people-last.json"),
        ),
    ]);
    let api = api(&server);

    let people = all(api
        .using_endpoint("/people?page=0&size=1")
        .pages()
        .items("people"));
    let names: Vec<_> = people.iter().map(|p| p["displayName"].clone()).collect();
    assert_eq!(names, ["Ethan", "Maya", "Noah"]);
    assert_eq!(
        targets(&server),
        [
            "/people?page=0&size=1",
            "/people?page=1&size=1",
            "/people?page=2&size=1"
        ],
        "each page read once; the last page has no next, so nothing more"
    );
    assert!(people[1].has_rel("person"), "items keep their own links");

    server.clear();
    let numbers: Vec<_> = all(api.using_endpoint("/people?page=0&size=1").pages())
        .iter()
        .map(|p| p["page"]["number"].clone())
        .collect();
    assert_eq!(numbers, [0, 1, 2]);

    // Backwards with `prev`, from the last page held in hand.
    server.clear();
    let last = api.using_endpoint("/people?page=2&size=1").get().unwrap();
    let back: Vec<_> = all(api.pages(last).rel("prev"))
        .iter()
        .map(|p| p["page"]["number"].clone())
        .collect();
    assert_eq!(back, [2, 1, 0]);
    assert_eq!(server.count("GET"), 3);
}

#[test]
fn spring_data_rests_empty_page_has_no_items_and_no_error() {
    let server = pager(vec![page(
        "/people",
        dialect("sdr-people-empty-legacy.json").replace("http://localhost:8080", "{base}"),
    )]);
    let api = api(&server);
    let mut items = api.using_endpoint("/people").pages().items("people");
    assert!(items.next().is_none(), "no `_embedded`: no items");
    assert_eq!(server.count("GET"), 1);
}

#[test]
fn a_templated_next_is_expanded_without_values_before_it_is_followed() {
    let first = dialect("spring-data-rest-persons-page1-templated.json")
        .replace("http://localhost:8080", "{base}");
    let server = pager(vec![
        page("/persons?page=1&size=5", first),
        page(
            "/persons?page=2&size=5",
            r#"{"_links": {}, "_embedded": {"persons": [{"firstName": "Sam"}]}}"#,
        ),
    ]);
    let api = api(&server);
    let names: Vec<_> = all(api
        .using_endpoint("/persons?page=1&size=5")
        .pages()
        .items("persons"))
    .iter()
    .map(|p| p["firstName"].clone())
    .collect();
    assert_eq!(names, ["Frodo", "Sam"]);
    assert_eq!(server.last().target, "/persons?page=2&size=5");
}

#[test]
fn eve_items_across_pages_with_hrefs_relative_to_the_api_root() {
    let page1: Value = serde_json::from_str(&dialect("eve-customers-page1.json")).unwrap();
    let page2: Value = serde_json::from_str(&dialect("eve-customers-page2.json")).unwrap();
    // Page 3 as Eve writes a last page: one item, `prev`, and neither `next` nor `last`.
    let mut page3 = page2.clone();
    page3["_items"] = json!([page1["_items"][0].clone()]);
    page3["_items"][0]["_id"] = json!("5715e9f438345b3510d27ec9");
    page3["_links"] = json!({
        "parent": {"href": "/", "title": "home"},
        "self": {"href": "customers?page=3", "title": "customers"},
        "prev": {"href": "customers?page=2", "title": "previous page"}
    });
    page3["_meta"]["page"] = json!(3);
    // The API lives under /api: Eve's hrefs (`customers?page=2`) join the base URL.
    let server = pager(vec![
        page("/api/customers", page1.to_string()),
        page("/api/customers?page=2", page2.to_string()),
        page("/api/customers?page=3", page3.to_string()),
    ]);
    let api = api_at(&server.url("/api"));

    let customers = all(api.using_endpoint("customers").pages().collection("_items"));
    let ids: Vec<_> = customers.iter().map(|c| c["_id"].clone()).collect();
    assert_eq!(ids.len(), 5);
    let mut unique = ids.clone();
    unique.sort_by_key(Value::to_string);
    unique.dedup();
    assert_eq!(unique.len(), 5, "every item once: {ids:?}");
    assert_eq!(
        targets(&server),
        [
            "/api/customers",
            "/api/customers?page=2",
            "/api/customers?page=3"
        ]
    );
    // Items carry their own etag, so they can be written.
    assert_eq!(
        customers[0].etag(),
        Some("ec5e8200b8fa0596afe9ca71a87f23e71ca30e2d")
    );
}

#[test]
fn mollie_null_next_ends_the_walk() {
    let text = dialect("mollie-payments-page1.json").replace("https://api.mollie.com", "{base}");
    let page1: Value = serde_json::from_str(&text).unwrap();
    // The last page, as Mollie writes it (see mollie-mandates-page2.json): `"next": null`.
    let mut page2 = page1.clone();
    page2["count"] = json!(1);
    page2["_embedded"]["payments"] = json!([page1["_embedded"]["payments"][1].clone()]);
    page2["_links"]["previous"] = page1["_links"]["self"].clone();
    page2["_links"]["self"] = page1["_links"]["next"].clone();
    page2["_links"]["next"] = Value::Null;
    let server = pager(vec![
        page("/v2/payments?limit=2", page1.to_string()),
        page("/v2/payments?from=tr_SDkzMggpvx&limit=2", page2.to_string()),
    ]);
    let api = api(&server);
    let ids: Vec<_> = all(api
        .using_endpoint("/v2/payments?limit=2")
        .pages()
        .items("payments"))
    .iter()
    .map(|p| p["id"].clone())
    .collect();
    assert_eq!(ids, ["tr_7UhSN1zuXS", "tr_WDqYK6vllg", "tr_WDqYK6vllg"]);
    assert_eq!(server.count("GET"), 2, "a null next is no next");

    // The documented last page, held in hand: one page, one item, nothing sent.
    let mandates: Value = serde_json::from_str(&dialect("mollie-mandates-page2.json")).unwrap();
    let walked = all(api.pages(Resource::from(mandates)).items("mandates"));
    assert_eq!(walked.len(), 1);
    assert_eq!(walked[0]["id"], "mdt_h3gAaD5zP");
    assert_eq!(server.count("GET"), 2);
}

#[test]
fn api_gateway_one_item_pages_and_an_opaque_position_sent_exactly() {
    let server = pager(vec![
        page("/restapis?limit=2", dialect("apigateway-pets-page1.json")),
        page(
            "/restapis?position=aWQ9U2Z1Z3ZqZHh0cmk%3D&limit=2",
            dialect("apigateway-pets-page2.json"),
        ),
    ]);
    let api = api(&server);
    let ids: Vec<_> = all(api
        .using_endpoint("/restapis?limit=2")
        .pages()
        .items("item"))
    .iter()
    .map(|r| r["id"].clone())
    .collect();
    assert_eq!(
        ids,
        ["0n1anifwvf", "fugvjdxtri", "o81lxisefl"],
        "the last page's `_embedded.item` is one object: one item"
    );
    assert_eq!(
        targets(&server)[1],
        "/restapis?position=aWQ9U2Z1Z3ZqZHh0cmk%3D&limit=2",
        "the %3D of the position token is sent as it is"
    );
    assert_eq!(server.count("GET"), 2);
}

#[test]
fn a_link_header_pager_is_walked_by_its_link_headers() {
    let link = |rels: &[(&str, u32)]| {
        rels.iter()
            .map(|(rel, n)| {
                format!("<{{base}}/repositories/1300192/issues?per_page=2&page={n}>; rel=\"{rel}\"")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let with_link = |target: &str, file: &str, header: String| Page {
        target: target.to_owned(),
        headers: vec![("link", header)],
        body: dialect(file),
    };
    let server = pager(vec![
        with_link(
            "/repos/octocat/Spoon-Knife/issues?per_page=2",
            "link-header-page1.json",
            link(&[("next", 2), ("last", 3)]),
        ),
        with_link(
            "/repositories/1300192/issues?per_page=2&page=2",
            "link-header-page2.json",
            link(&[("prev", 1), ("next", 3), ("last", 3), ("first", 1)]),
        ),
        with_link(
            "/repositories/1300192/issues?per_page=2&page=3",
            "link-header-page3.json",
            link(&[("prev", 2), ("first", 1)]),
        ),
    ]);
    let api = api(&server);
    let issues = all(api
        .using_endpoint("/repos/octocat/Spoon-Knife/issues?per_page=2")
        .pages()
        .elements());
    assert_eq!(issues.len(), 5, "2 + 2 + 1 issues");
    assert_eq!(issues[4]["number"], 31);
    assert_eq!(
        targets(&server),
        [
            "/repos/octocat/Spoon-Knife/issues?per_page=2",
            "/repositories/1300192/issues?per_page=2&page=2",
            "/repositories/1300192/issues?per_page=2&page=3"
        ],
        "the URLs given, not ones built from the first"
    );
}

#[test]
fn a_page_whose_next_was_already_read_is_a_loop_error_not_a_loop() {
    let server = pager(vec![
        page(
            "/c?page=1",
            r#"{"_links": {"next": {"href": "/c?page=2"}}, "_embedded": {"i": [{"n": 1}]}}"#,
        ),
        page(
            "/c?page=2",
            // Page 1 again, spelled differently: absolute, with a fragment.
            r##"{"_links": {"next": {"href": "{base}/c?page=1#top"}}, "_embedded": {"i": [{"n": 2}]}}"##,
        ),
    ]);
    let api = api(&server);
    let mut items = api.using_endpoint("/c?page=1").pages().items("i");
    assert_eq!(items.next().unwrap().unwrap()["n"], 1);
    assert_eq!(items.next().unwrap().unwrap()["n"], 2);
    let err = items.next().unwrap().unwrap_err();
    let Error::PageLoop { url } = &err else {
        panic!("{err:?}")
    };
    assert!(url.ends_with("/c?page=1#top"), "{url}");
    assert_eq!(err.url(), Some(url.as_str()));
    assert!(items.next().is_none(), "the walk is over");
    assert!(!items.resume(), "a loop cannot be resumed");
    assert!(items.next().is_none());
    assert_eq!(server.count("GET"), 2, "page 1 was not read again");

    // A page held in hand whose next is itself: nothing is sent.
    let me = Resource::from(json!({"_links": {
        "self": {"href": "/me"}, "next": {"href": "/me"}
    }}));
    let mut pages = api.pages(me);
    assert!(pages.next().unwrap().is_ok());
    assert!(matches!(pages.next(), Some(Err(Error::PageLoop { .. }))));
    assert_eq!(server.count("GET"), 2);
}

#[test]
fn a_failing_page_mid_walk_is_yielded_after_the_items_before_it_and_can_be_resumed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let server = Server::start(move |req| match req.target.as_str() {
        "/c" => Reply::new(200).json(&json!({
            "_links": {"next": {"href": "/c?page=2"}},
            "_embedded": {"i": [{"n": 1}, {"n": 2}]}
        })),
        "/c?page=2" if seen.fetch_add(1, Ordering::SeqCst) == 0 => {
            Reply::new(500).json(&json!({"error": "try again"}))
        }
        "/c?page=2" => Reply::new(200).json(&json!({"_links": {}, "_embedded": {"i": [{"n": 3}]}})),
        _ => Reply::new(404),
    });
    // The Api raises no status: a walk raises a failed page anyway.
    let api = api(&server);
    let mut items = api.using_endpoint("/c").pages().items("i");
    let mut got = Vec::new();
    let mut failures = Vec::new();
    for item in &mut items {
        match item {
            Ok(i) => got.push(i["n"].clone()),
            Err(e) => failures.push(e),
        }
    }
    assert_eq!(got, [1, 2], "the items before the failing page");
    assert_eq!(failures.len(), 1, "the walk stopped after the error");
    assert_eq!(failures[0].status(), Some(500));
    assert_eq!(server.count("GET"), 2);

    assert!(items.resume(), "a failed page can be asked for again");
    let rest: Vec<_> = all(&mut items).iter().map(|i| i["n"].clone()).collect();
    assert_eq!(rest, [3]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(!items.resume(), "the walk is over");
}

#[test]
fn a_next_link_that_cannot_be_followed_ends_the_walk_with_its_error() {
    let api = api_at("http://127.0.0.1:9");
    let two = Resource::from(json!({"_links": {"next": [{"href": "/a"}, {"href": "/b"}]}}));
    let mut pages = api.pages(two);
    assert!(pages.next().unwrap().is_ok(), "the page itself is fine");
    assert!(matches!(
        pages.next(),
        Some(Err(Error::AmbiguousLink { .. }))
    ));
    assert!(pages.next().is_none());

    // A request that cannot be built is the walk's only item.
    let home = Resource::from(json!({"_links": {"customers": {"href": "/c"}}}));
    let mut pages = api.follow(&home).to("orders").pages();
    let err = pages.next().unwrap().unwrap_err();
    assert!(matches!(err, Error::RelNotFound { .. }), "{err:?}");
    assert!(pages.next().is_none());
    assert!(!pages.resume());
}

#[test]
fn each_page_has_the_whole_deadline_and_a_slow_page_times_out() {
    let server = Server::start(|req| {
        let n: u32 = req
            .query()
            .iter()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let slow = match n {
            1..=3 => Duration::from_millis(400),
            _ => Duration::from_secs(3),
        };
        std::thread::sleep(slow);
        Reply::new(200)
            .json(&json!({"_links": {"next": {"href": format!("/s?page={}", n + 1)}}, "n": n}))
    });
    let api = api(&server);
    let mut pages = api
        .using_endpoint("/s?page=1")
        .timeout(Some(Duration::from_millis(1000)))
        .pages();
    // Three pages of 400 ms each: more than the deadline together, within it one by one.
    for n in 1..=3 {
        assert_eq!(pages.next().unwrap().unwrap()["n"], n);
    }
    let err = pages.next().unwrap().unwrap_err();
    assert!(
        err.is_timeout(),
        "the fourth page is slower than the deadline: {err:?}"
    );
}

#[test]
fn the_first_requests_headers_go_to_every_page_and_its_credentials_stay_home() {
    let elsewhere = Server::start(|_| Reply::new(200).json(&json!({"_links": {}})));
    let next_elsewhere = elsewhere.url("/c?page=3");
    let home = Server::start(move |req| match req.target.as_str() {
        "/c" => Reply::new(200).json(&json!({"_links": {"next": {"href": "/c?page=2"}}})),
        _ => Reply::new(200).json(&json!({"_links": {"next": {"href": next_elsewhere}}})),
    });
    let api = api(&home);
    let pages = all(api
        .using_endpoint("/c")
        .with_headers([("Authorization", "Bearer mine"), ("X-Trace", "t1")])
        .pages());
    assert_eq!(pages.len(), 3);
    for req in home.requests() {
        assert_eq!(req.header("authorization"), Some("Bearer mine"));
        assert_eq!(req.header("x-trace"), Some("t1"));
    }
    let there = elsewhere.last();
    assert_eq!(there.header("x-trace"), Some("t1"));
    assert_eq!(
        there.header("authorization"),
        None,
        "credentials set for the first request stay on its origin"
    );
}

#[test]
fn walks_are_debuggable_without_credentials() {
    let api = api_at("http://127.0.0.1:9");
    let pages = api
        .using_endpoint("http://user:secret@127.0.0.1:9/c")
        .with_headers([("Authorization", "Bearer hidden")])
        .pages();
    let text = format!("{:?}", pages.items("i"));
    assert!(
        !text.contains("secret") && !text.contains("hidden"),
        "{text}"
    );
    assert!(text.contains("Embedded(\"i\")"), "{text}");
}

#[test]
fn items_of_a_curied_rel_are_found_under_its_expansion() {
    let api = api_at("http://127.0.0.1:9");
    let page = Resource::from(json!({
        "_links": {"curies": [{"name": "ea", "href": "http://example.com/rels/{rel}", "templated": true}]},
        "_embedded": {"http://example.com/rels/orders": [{"total": 30}, {"total": 20}]}
    }));
    let totals: Vec<_> = all(api.pages(page).items("ea:orders"))
        .iter()
        .map(|o| o["total"].clone())
        .collect();
    assert_eq!(totals, [30, 20]);
}
