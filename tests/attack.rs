//! A hostile review of the concurrency promise: call sequences, public API only, that break
//! "a resource's data and validators always describe one version, and no sequence of calls
//! loses a concurrent update without an `Err`". Each test asserts the promise, so each fails
//! until the library is fixed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use halchemy::{Api, Error, Resource};
use halchemy_testserver::http::{Reply, Server};
use halchemy_testserver::store::{HalServer, Options, own_fields};
use serde_json::json;

const PATH: &str = "/items/1";

fn api_at(base: &str) -> Api {
    Api::builder()
        .base_url(base)
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap()
}

fn api(server: &HalServer) -> Api {
    api_at(&server.base_url())
}

/// A server that does not insist on preconditions (most servers), holding
/// `{"count": 0, "name": "Kim"}` at `PATH`.
fn lenient_server() -> HalServer {
    let s = HalServer::start(Options {
        require_precondition: false,
        ..Options::default()
    });
    s.put(PATH, json!({"count": 0, "name": "Kim"}));
    s
}

/// The server's current ETag of `PATH`, as text.
fn server_etag(s: &HalServer) -> String {
    String::from_utf8_lossy(&s.current(PATH).unwrap().etag.unwrap()).into_owned()
}

/// The invariant, as tests/integrity.rs checks it: when `r`'s ETag names the server's
/// current version, `r`'s data is the server's data.
#[track_caller]
fn holds(s: &HalServer, r: &Resource) {
    let current = s.current(PATH).unwrap();
    let etag = server_etag(s);
    let names_current = r
        .etag()
        .is_some_and(|e| e == etag || e.trim_matches('"') == etag.trim_matches('"'));
    if names_current {
        assert_eq!(
            own_fields(r.data()),
            current.data,
            "the resource's etag {:?} names the server's current version, but its data is another version's",
            r.etag()
        );
    }
}

/// Another client changes `name` (a concurrent update the test must not lose).
fn someone_renames(s: &HalServer) {
    let other = api(s);
    let mut theirs = other.using_endpoint(PATH).get().unwrap();
    other
        .follow_mut(&mut theirs)
        .to("self")
        .patch(json!({"name": "Lee"}))
        .unwrap();
}

/// A resource without validators (a document held in hand, a page item without an etag
/// field, a resource after its DELETE) may be written without a precondition: the design
/// allows that one unconditional write. But a PATCH's effect is then unknown (it merged into
/// whatever the server held), so the resource must not pair the server's new ETag with its
/// own stale data patched locally. Today it does, and the next write — now conditional on an
/// ETag that names the server's current version — silently erases the concurrent update.
#[test]
fn an_unconditional_patch_does_not_pair_the_new_etag_with_stale_data() {
    let s = lenient_server();
    let api = api(&s);
    // The document held in hand: the same data the server had, no etag field.
    let mut r = Resource::from(json!({
        "_links": {"self": {"href": PATH}}, "count": 0, "name": "Kim"
    }));
    someone_renames(&s); // server: name Lee
    api.follow_mut(&mut r)
        .to("self")
        .patch(json!({"count": 1}))
        .unwrap();
    assert_eq!(
        s.last().header("if-match"),
        None,
        "the allowed unconditional write"
    );
    holds(&s, &r);
}

/// What that pairing led to: after the unconditional PATCH, a PUT of the resource's data
/// went out conditional on the server's current ETag, passed, and erased the other client's
/// rename — every call `Ok`. Now the resource takes no ETag from a write that did not name
/// its version, so the PUT is either refused (the Api requires preconditions) or goes out
/// unconditional — the caller's own choice, which the design allows — never conditional on a
/// version the data does not describe.
#[test]
fn after_an_unconditional_patch_a_conditional_put_does_not_erase_a_concurrent_update() {
    let s = lenient_server();
    for require in [false, true] {
        let api = Api::builder()
            .base_url(s.base_url())
            .no_config_file()
            .no_proxy()
            .require_preconditions(require)
            .build()
            .unwrap();
        let mut r = Resource::from(json!({
            "_links": {"self": {"href": PATH}}, "count": 0, "name": "Kim"
        }));
        someone_renames(&s);
        let patched = api.follow_mut(&mut r).to("self").patch(json!({"count": 1}));
        if require {
            assert!(
                matches!(patched, Err(Error::Unconditional { .. })),
                "{patched:?}"
            );
            continue;
        }
        patched.unwrap();
        assert_eq!(r.etag(), None, "no ETag is paired with the stale data");
        let body = own_fields(r.data());
        let outcome = api.follow_mut(&mut r).to("self").put(body);
        let name = s.current(PATH).unwrap().data["name"].clone();
        let conditional = s.last().header("if-match").is_some();
        assert!(
            outcome.is_err() || name == "Lee" || !conditional,
            "a conditional PUT erased the concurrent rename without an Err: the server's name is {name}"
        );
    }
}

/// The same pairing through a page: a collection item written without a precondition (the
/// item's etag field is absent) is brought forward to the server's new ETag with the page's
/// stale data.
#[test]
fn an_unconditional_patch_of_a_page_item_does_not_pair_the_new_etag_with_the_pages_data() {
    let s = lenient_server();
    let api = api(&s);
    let mut listing = api.using_endpoint("/items").get().unwrap().into_data();
    // A server whose listings carry no etag fields (Spring Data REST's do not).
    for item in listing["_embedded"]["items"].as_array_mut().unwrap() {
        item.as_object_mut().unwrap().remove("_etag");
    }
    let page = Resource::from(listing);
    let mut items = page.embedded_many("items").unwrap();
    assert_eq!(items[0].etag(), None);
    someone_renames(&s);
    api.follow_mut(&mut items[0])
        .to("self")
        .patch(json!({"count": 1}))
        .unwrap();
    holds(&s, &items[0]);
}

/// A precondition set with `with_headers` wins (rule 2) — but `If-Match: *` (or any ETag other
/// than the resource's) makes the PATCH apply to whatever the server holds, so the resource
/// cannot know the result: it must not take the new ETag with its old data patched locally.
#[test]
fn a_patch_with_the_callers_own_if_match_does_not_pair_the_new_etag_with_stale_data() {
    let s = lenient_server();
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    someone_renames(&s);
    api.follow_mut(&mut r)
        .to("self")
        .with_headers([("If-Match", "*")])
        .patch(json!({"count": 1}))
        .unwrap();
    assert_eq!(s.last().header("if-match"), Some("*"));
    holds(&s, &r);
}

/// `update` "changes the resource and saves it": an `Ok` must mean the PATCH was applied.
/// Against a server that refuses the PATCH (here Eve's `415` to
/// `application/merge-patch+json`, a content type `update` is configured to send), `update`
/// returns `Ok` and the change is silently not saved — its docs list `Error::Status`.
#[test]
fn update_does_not_report_ok_when_the_server_refuses_the_patch() {
    let s = HalServer::start(Options {
        accept_merge_patch_type: false,
        ..Options::default()
    });
    s.put(PATH, json!({"count": 0, "name": "Kim"}));
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .update_content_type("application/merge-patch+json")
        .build()
        .unwrap();
    let mut r = api.using_endpoint(PATH).get().unwrap();
    let outcome = api.update(&mut r, |d| d["count"] = 1.into());
    assert_eq!(s.count("PATCH"), 1);
    assert_eq!(s.current(PATH).unwrap().data["count"], 0, "nothing saved");
    assert!(
        outcome.is_err(),
        "update reported Ok for a PATCH answered {:?}",
        outcome.map(|u| u.response.map(|r| r.status()))
    );
}

/// The same for a merge: `Merging::send` returns `Ok` for a merged PATCH the server
/// answered `500`, and the caller's change is not saved.
#[test]
fn a_merge_send_does_not_report_ok_when_the_server_fails() {
    let etag = Arc::new(AtomicU32::new(1));
    let doc = |n: u32| json!({"_links": {"self": {"href": PATH}}, "a": n, "b": 0});
    let version = Arc::clone(&etag);
    let s = Server::start(move |req| {
        let v = version.load(Ordering::SeqCst);
        match req.method.as_str() {
            "GET" => Reply::new(200)
                .header("etag", &format!("\"{v}\""))
                .json(&doc(v)),
            // The first PATCH meets a concurrent change; the merged one meets a failure.
            "PATCH" if v == 1 => {
                version.store(2, Ordering::SeqCst);
                Reply::new(412).json(&json!({}))
            }
            _ => Reply::new(500).json(&json!({"error": "down"})),
        }
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    let err = api
        .follow_mut(&mut r)
        .to("self")
        .patch(json!({"b": 5}))
        .unwrap_err();
    let Error::PreconditionFailed(conflict) = err else {
        panic!("{err:?}")
    };
    let merging = api.merge(&mut r, &conflict).unwrap();
    assert!(merging.conflicts().is_empty());
    let outcome = merging.send();
    assert!(
        outcome.is_err(),
        "a merged write answered {:?} was reported Ok",
        outcome.map(|r| r.status())
    );
}

/// A HAL-FORMS DELETE template without a target goes to the resource's own URL, so it must
/// carry the resource's validators (DESIGN: "a submit to the resource's own URL carries its
/// validators"). With a property, `submit` puts the values in the query, the URL no longer
/// equals the own URL, and the DELETE goes out unconditional: a stale copy deletes a version
/// it never saw, with `Ok`.
#[test]
fn a_hal_forms_delete_of_the_resource_itself_carries_its_precondition() {
    let s = HalServer::start(Options {
        require_precondition: false,
        templates: Some(json!({
            "remove": {"method": "DELETE", "properties": [{"name": "reason", "value": "duplicate"}]}
        })),
        ..Options::default()
    });
    s.put(PATH, json!({"count": 0, "name": "Kim"}));
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    someone_renames(&s);
    let outcome = api.submit_mut(&mut r, "remove").send();
    let delete = s.last();
    assert_eq!(delete.method, "DELETE");
    assert!(
        delete.header("if-match").is_some(),
        "the DELETE of {} went out without the resource's etag",
        delete.target
    );
    assert!(
        outcome.is_err_and(|e| e.is_conflict()),
        "a stale copy deleted a version it never saw"
    );
}

/// `update` "never reports Ok for a write it could not make conditional on an ETag". It
/// checks that once, before its first PATCH; after a 412 it refreshes and writes again even
/// when the refreshed representation carries no ETag, and that PATCH goes out unconditional.
#[test]
fn update_never_patches_without_an_etag_after_a_conflict() {
    let gets = Arc::new(AtomicU32::new(0));
    let seen = Arc::clone(&gets);
    let s = Server::start(move |req| match req.method.as_str() {
        "GET" => {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let reply = Reply::new(200).json(&json!({
                "_links": {"self": {"href": PATH}}, "count": n
            }));
            // The first representation has an ETag; the one read after the conflict has none.
            match n {
                0 => reply.header("etag", "\"1\""),
                _ => reply,
            }
        }
        "PATCH" if req.header("if-match").is_some() => Reply::new(412).json(&json!({})),
        _ => Reply::new(204),
    });
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .update_backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(1),
        )
        .build()
        .unwrap();
    let mut r = api.using_endpoint(PATH).get().unwrap();
    let outcome = api.update(&mut r, |d| {
        d["count"] = (d["count"].as_i64().unwrap_or(0) + 1).into();
    });
    let unconditional: Vec<_> = s
        .requests()
        .into_iter()
        .filter(|q| {
            q.method == "PATCH"
                && q.header("if-match").is_none()
                && q.header("if-unmodified-since").is_none()
        })
        .map(|q| q.body_text())
        .collect();
    assert!(
        unconditional.is_empty(),
        "update sent an unconditional PATCH {unconditional:?} and returned {:?}",
        outcome.map(|u| u.conflicts)
    );
}

/// No panics on any input: a `Retry-After` of more seconds than an `Instant` can hold makes
/// the retry check add it to `Instant::now()`, which panics (transport.rs, `busy_wait`); a
/// date with a huge year overflows the day arithmetic of `imf_fixdate` (a panic in debug
/// builds).
#[test]
fn a_huge_retry_after_does_not_panic() {
    for value in [
        "18446744073709551615",
        "Sun, 06 Nov 18446744073709551615 08:49:37 GMT",
    ] {
        let s = Server::start(move |_| {
            Reply::new(503)
                .header("retry-after", value)
                .json(&json!({}))
        });
        let api = Api::builder()
            .base_url(s.base_url())
            .no_config_file()
            .no_proxy()
            .retries(1)
            .build()
            .unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            api.using_endpoint(PATH).get().map(|r| r.status())
        }));
        assert!(
            outcome.is_ok(),
            "Retry-After: {value} from the server panicked the client"
        );
        assert_eq!(
            outcome.unwrap().unwrap(),
            503,
            "returned at once, not retried"
        );
    }
}

/// A write answer whose `Content-Location` names another resource carries that resource's
/// representation. The resource written must not take that document's fields as its own:
/// today they are copied over the write's known effect (rule 4b's "fields r already has"),
/// so the resource ends up holding `x: 2` — a value its own URL never had — next to the
/// ETag of its own new version (`x: 5`).
#[test]
fn a_write_answer_about_another_resource_does_not_leak_into_the_resource() {
    let state = Arc::new(std::sync::Mutex::new((1u32, 1i64))); // (version of /a, x of /a)
    let shared = Arc::clone(&state);
    let s = Server::start(move |req| {
        let mut a = shared.lock().unwrap();
        let current = format!("\"a{}\"", a.0);
        match (req.method.as_str(), req.path()) {
            ("GET", "/a") => Reply::new(200)
                .header("etag", &current)
                .json(&json!({"_links": {"self": {"href": "/a"}}, "x": a.1})),
            ("PATCH", "/a") if req.header("if-match") == Some(current.as_str()) => {
                let patch: serde_json::Value = serde_json::from_str(&req.body_text()).unwrap();
                a.0 += 1;
                a.1 = patch["x"].as_i64().unwrap();
                // /a's new ETag, and the representation of /b (an audit entry, say),
                // identified as such by Content-Location.
                Reply::new(200)
                    .header("etag", &format!("\"a{}\"", a.0))
                    .header("content-location", "/b")
                    .json(&json!({"_links": {"self": {"href": "/b"}}, "x": 2}))
            }
            _ => Reply::new(412).json(&json!({})),
        }
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/a").get().unwrap();
    api.follow_mut(&mut r)
        .to("self")
        .patch(json!({"x": 5}))
        .unwrap();
    let (version, x) = *state.lock().unwrap();
    if r.etag() == Some(format!("\"a{version}\"").as_str()) {
        assert_eq!(
            r["x"], x,
            "the resource names /a's current version but holds /b's field: {r}"
        );
    }
    assert_ne!(r["x"], 2, "/b's data leaked into /a: {r}");
}

/// A read without a JSON body (a `204` to GET, or a body that is not JSON) has data `Null`:
/// it holds no version, so it takes no validators, and `update` cannot write from it (a
/// PATCH computed from `Null` and sent with the real ETag would pair the patch alone with
/// the new version, or clobber the document).
#[test]
fn a_patch_of_a_resource_read_without_a_body_does_not_pair_the_patch_with_the_new_etag() {
    let s = HalServer::start(Options {
        get_no_content: true,
        ..Options::default()
    });
    s.put(PATH, json!({"count": 0, "name": "Kim"}));
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.meta().response.headers.contains_key("etag"));
    assert!(r.etag().is_none() && r.data().is_null());
    let err = api.update(&mut r, |d| d["count"] = 1.into()).unwrap_err();
    assert!(matches!(err, Error::NotRepresentation(_)), "{err:?}");
    assert_eq!(
        s.current(PATH).unwrap().data,
        json!({"count": 0, "name": "Kim"})
    );
    holds(&s, &r);
}

/// No credential in any text: the choices of an ambiguous rel, the "several self links"
/// message of refresh/update/merge, and the `InvalidUrl` of a HAL-FORMS target show hrefs
/// with their passwords.
#[test]
fn error_messages_about_links_show_no_password() {
    let api = api_at("http://127.0.0.1:9");
    let mut r = Resource::from(json!({
        "_links": {
            "self": [{"href": "http://u:S3CRET@127.0.0.1:9/a"}, {"href": "/b"}],
            "pick": [{"href": "http://u:S3CRET@127.0.0.1:9/a"}, {"href": "/b"}]
        },
        "_templates": {"default": {"method": "PUT", "target": "http://u:S3CRET@[::1/x"}}
    }));
    let errors = [
        api.follow(&r).to("pick").url().unwrap_err(),
        r.link("self").unwrap_err(),
        api.refresh(&mut r).unwrap_err(),
        r.templates().unwrap_err(),
    ];
    for e in &errors {
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("S3CRET"), "a password in an error: {shown}");
    }
}

/// `_links` with `n` curied rels (`p:r0`...) and `n` curies (`c0`...), none for `p`: what a
/// hostile server could send to make rel lookups cost rels × curies (benches/hostile.rs
/// measures that they cost rels + curies).
fn many_rels_and_curies(n: usize) -> serde_json::Value {
    let mut links = serde_json::Map::new();
    let curies: Vec<_> = (0..n)
        .map(|i| serde_json::json!({"name": format!("c{i}"), "href": "/docs/{rel}"}))
        .collect();
    links.insert("curies".into(), serde_json::Value::Array(curies));
    for i in 0..n {
        links.insert(
            format!("p:r{i}"),
            serde_json::json!({"href": format!("/r/{i}")}),
        );
    }
    serde_json::json!({"_links": links})
}

#[test]
fn many_rels_and_many_curies_are_found_and_missed_rightly() {
    let r = halchemy::Resource::from(many_rels_and_curies(20_000));
    assert!(!r.has_rel("q:missing"));
    assert!(!r.has_rel("c7:missing"));
    assert!(r.has_rel("p:r19999"));
    // A curie that names the prefix: the expanded form finds the rel too.
    let mut doc = many_rels_and_curies(100);
    doc["_links"]["curies"][0] = serde_json::json!({"name": "p", "href": "/docs/{rel}"});
    let r = halchemy::Resource::from(doc);
    assert!(r.has_rel("/docs/r42"));
}

#[test]
fn the_rels_of_many_links_and_link_headers_are_listed_once_each() {
    let n = 20_000;
    let doc = many_rels_and_curies(n);
    // Header rels: new ones, and one the body has already.
    let mut header: Vec<String> = (0..2_500).map(|i| format!("</h/{i}>; rel=h{i}")).collect();
    header.push("</r/5>; rel=p:r5".to_owned());
    let header = header.join(", ");
    let s = halchemy_testserver::Server::start(move |_| {
        halchemy_testserver::Reply::new(200)
            .header("link", &header)
            .json(&doc)
    });
    let api = halchemy::Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    let r = api.using_endpoint("/").get().unwrap();
    assert_eq!(r.links().len(), n + 1 + 2_500);
    let missing = api.follow(&r).to("nope").url().unwrap_err();
    assert!(
        matches!(&missing, halchemy::Error::RelNotFound { available, .. } if available.len() == n + 1 + 2_500)
    );
}
