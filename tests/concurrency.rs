//! Optimistic concurrency against servers of our own: If-Match, ETags kept in step, conflicts,
//! refresh, update. (tests/eve.rs proves the same against a real Eve server.)

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::{RawRequest, RawServer, api_at};
use halchemy::{Error, Refresh, Resource};
use serde_json::{Value, json};

/// What a test compares to prove a resource untouched.
fn snapshot(r: &Resource) -> (Value, Option<String>, Option<String>, u16) {
    (
        r.data().clone(),
        r.etag().map(str::to_owned),
        r.last_modified().map(str::to_owned),
        r.status(),
    )
}

fn item(etag_field: Option<&str>) -> Resource {
    let mut doc = json!({"_links": {"self": {"href": "/items/1"}}, "name": "Kim", "n": 1});
    if let Some(e) = etag_field {
        doc["_etag"] = e.into();
    }
    Resource::from(doc)
}

#[test]
fn writes_send_if_match_and_follow_the_new_etag() {
    let s = RawServer::answering(200, &[("etag", "W/\"v2\"")], r#"{"_etag":"field-v2"}"#);
    let api = api_at(&s.base_url());
    let mut r = item(Some("\"v1\""));
    let answer = api
        .follow_mut(&mut r)
        .to("self")
        .patch(json!({"name": "Lee"}))
        .unwrap();
    assert_eq!(s.last().header("if-match"), Some("\"v1\""));
    assert_eq!(s.last().method, "PATCH");
    assert_eq!(r.etag(), Some("W/\"v2\""), "the header wins over the field");
    assert_eq!(r["name"], "Lee", "the patch is applied with the new etag");
    assert_eq!(
        r["_etag"], "field-v2",
        "fields of the answer the data has are taken"
    );
    assert_eq!(answer.status(), 200);

    api.follow_mut(&mut r)
        .to("self")
        .put(json!({"name": "Lee"}))
        .unwrap();
    assert_eq!(
        s.last().header("if-match"),
        Some("W/\"v2\""),
        "quotes and W/ kept verbatim"
    );
}

#[test]
fn the_body_field_is_used_when_there_is_no_header() {
    let s = RawServer::answering(200, &[], r#"{"_etag":"from-field"}"#);
    let api = api_at(&s.base_url());
    let mut r = item(Some("old"));
    api.follow_mut(&mut r).to("self").patch(json!({})).unwrap();
    assert_eq!(r.etag(), Some("from-field"));
}

#[test]
fn with_no_etag_in_the_response_the_old_one_is_kept() {
    let s = RawServer::answering(204, &[], "");
    let api = api_at(&s.base_url());
    let mut r = item(Some("keep-me"));
    api.follow_mut(&mut r)
        .to("self")
        .put(json!({"a": 1}))
        .unwrap();
    assert_eq!(r.etag(), Some("keep-me"));
}

#[test]
fn without_an_etag_no_if_match_is_sent() {
    let s = RawServer::answering(200, &[], "{}");
    let api = api_at(&s.base_url());
    let mut r = item(None);
    api.follow_mut(&mut r).to("self").patch(json!({})).unwrap();
    assert_eq!(s.last().header("if-match"), None);
    assert_eq!(s.last().header("if-unmodified-since"), None);
}

#[test]
fn the_vectors_if_match_rules_hold() {
    let v = common::vectors("optimistic_concurrency");
    for (_, case) in v.as_object().unwrap() {
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(e) = case["response_headers"]["ETag"].as_str() {
            headers.push(("ETag", e));
        }
        let s = RawServer::answering(200, &headers, &case["body"].to_string());
        let api = api_at(&s.base_url());
        let mut r = api.home().get().unwrap();
        api.follow_mut(&mut r)
            .to("self")
            .patch(json!({"x": 1}))
            .unwrap();
        assert_eq!(
            s.last().header("if-match"),
            case["if_match_sent"].as_str(),
            "{case}"
        );
    }
}

#[test]
fn a_successful_delete_clears_the_etag() {
    let s = RawServer::answering(204, &[], "");
    let api = api_at(&s.base_url());
    let mut r = item(Some("e1"));
    api.follow_mut(&mut r).to("self").delete().unwrap();
    assert_eq!(s.last().header("if-match"), Some("e1"));
    assert_eq!(s.last().method, "DELETE");
    assert_eq!(r.etag(), None);
}

#[test]
fn post_never_sends_if_match_and_never_touches_the_resource() {
    let s = RawServer::answering(201, &[("etag", "\"new\"")], "{}");
    let api = api_at(&s.base_url());
    let mut r = item(Some("e1"));
    let before = snapshot(&r);
    api.follow_mut(&mut r)
        .to("self")
        .post(json!({"a": 1}))
        .unwrap();
    assert_eq!(s.last().header("if-match"), None);
    assert_eq!(snapshot(&r), before);
}

#[test]
fn a_412_is_a_conflict_and_leaves_the_resource_untouched() {
    let s = RawServer::answering(
        412,
        &[("etag", "\"server\"")],
        r#"{"_error":"precondition failed"}"#,
    );
    let api = api_at(&s.base_url());
    for method in ["put", "patch", "delete"] {
        let mut r = item(Some("\"stale\""));
        let before = snapshot(&r);
        let req = api.follow_mut(&mut r).to("self");
        let err = match method {
            "put" => req.put(json!({"a": 1})),
            "patch" => req.patch(json!({"a": 1})),
            _ => req.delete(),
        }
        .unwrap_err();
        let Error::PreconditionFailed(conflict) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(conflict.sent_etag.as_deref(), Some("\"stale\""));
        assert_eq!(conflict.response.status(), 412);
        assert_eq!(conflict.response["_error"], "precondition failed");
        assert!(err.is_conflict() && err.status() == Some(412));
        assert!(err.to_string().contains("refresh"), "{err}");
        assert_eq!(snapshot(&r), before, "{method} changed the resource");
    }
}

#[test]
fn a_428_is_precondition_required_and_leaves_the_resource_untouched() {
    let s = RawServer::answering(428, &[], "{}");
    let api = api_at(&s.base_url());
    let mut r = item(None);
    let before = snapshot(&r);
    let err = api
        .follow_mut(&mut r)
        .to("self")
        .patch(json!({"a": 1}))
        .unwrap_err();
    assert!(matches!(err, Error::PreconditionRequired(_)), "{err:?}");
    assert_eq!(err.status(), Some(428));
    assert_eq!(snapshot(&r), before);
}

#[test]
fn any_other_failure_leaves_the_resource_untouched() {
    // A 500 not raised, a 500 raised, a network failure raised and not raised.
    let s = RawServer::answering(500, &[("etag", "\"other\"")], "{}");
    let mut api = api_at(&s.base_url());
    let mut r = item(Some("e1"));
    let before = snapshot(&r);
    let answer = api.follow_mut(&mut r).to("self").patch(json!({})).unwrap();
    assert_eq!(answer.status(), 500);
    assert_eq!(snapshot(&r), before);
    api.error_handling_mut().raise_on_status_codes = Some(">499".parse().unwrap());
    assert!(matches!(
        api.follow_mut(&mut r).to("self").patch(json!({})),
        Err(Error::Status(_))
    ));
    assert_eq!(snapshot(&r), before);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut api = api_at(&format!("http://127.0.0.1:{port}"));
    assert!(
        api.follow_mut(&mut r)
            .to("self")
            .put(json!({}))
            .unwrap_err()
            .is_network()
    );
    assert_eq!(snapshot(&r), before);
    api.error_handling_mut().raise_on_network_error = false;
    assert_eq!(
        api.follow_mut(&mut r).to("self").delete().unwrap().status(),
        0
    );
    assert_eq!(snapshot(&r), before);

    // An error before sending (a bad rel) too.
    assert!(api.follow_mut(&mut r).to("nope").patch(json!({})).is_err());
    assert_eq!(snapshot(&r), before);
}

#[test]
fn an_explicit_if_match_wins() {
    let s = RawServer::answering(200, &[], "{}");
    let api = api_at(&s.base_url());
    let mut r = item(Some("auto"));
    api.follow_mut(&mut r)
        .to("self")
        .with_headers([("If-Match", "*")])
        .put(json!({}))
        .unwrap();
    assert_eq!(s.last().header("if-match"), Some("*"));
}

#[test]
fn last_modified_becomes_if_unmodified_since_without_an_etag() {
    const DATE: &str = "Wed, 21 Oct 2015 07:28:00 GMT";
    let s = RawServer::answering(
        200,
        &[("last-modified", DATE)],
        r#"{"_links":{"self":{"href":"/r"}}}"#,
    );
    let api = api_at(&s.base_url());
    let mut r = api.home().get().unwrap();
    assert_eq!(r.etag(), None);
    assert_eq!(r.last_modified(), Some(DATE));
    api.follow_mut(&mut r)
        .to("self")
        .patch(json!({"a": 1}))
        .unwrap();
    assert_eq!(s.last().header("if-unmodified-since"), Some(DATE));
    assert_eq!(s.last().header("if-match"), None);
}

/// A server holding one document with a version, enforcing If-Match like Eve:
/// GET (with If-None-Match), PATCH (merge) and a way to change it behind the client's back.
struct Store {
    doc: Mutex<Value>,
    version: AtomicU64,
}

fn versioned_server() -> (RawServer, Arc<Store>) {
    let store = Arc::new(Store {
        doc: Mutex::new(json!({"_links": {"self": {"href": "/doc"}}, "count": 0, "name": "x"})),
        version: AtomicU64::new(1),
    });
    let st = Arc::clone(&store);
    let server = RawServer::start(move |req: &RawRequest, stream| {
        // One lock around check and change, so If-Match is a real compare-and-swap.
        let mut doc = st.doc.lock().unwrap();
        let etag = format!("\"v{}\"", st.version.load(Ordering::SeqCst));
        match req.method.as_str() {
            "GET" if req.header("if-none-match") == Some(etag.as_str()) => {
                common::respond(stream, 304, &[("etag", &etag)], b"");
            }
            "GET" => {
                let body = doc.to_string();
                common::respond(stream, 200, &[("etag", &etag)], body.as_bytes());
            }
            "PATCH" => match req.header("if-match") {
                None => common::respond(stream, 428, &[], b"{}"),
                Some(m) if m != etag => common::respond(stream, 412, &[], b"{}"),
                Some(_) => {
                    let patch: Value = serde_json::from_slice(&req.body).unwrap();
                    for (k, v) in patch.as_object().unwrap() {
                        if v.is_null() {
                            doc.as_object_mut().unwrap().remove(k);
                        } else {
                            doc[k] = v.clone();
                        }
                    }
                    let new = format!("\"v{}\"", st.version.fetch_add(1, Ordering::SeqCst) + 1);
                    common::respond(stream, 200, &[("etag", &new)], br#"{"_status":"OK"}"#);
                }
            },
            _ => common::respond(stream, 405, &[], b""),
        }
        common::Next::KeepAlive
    });
    (server, store)
}

fn change_behind_the_back(store: &Store, count: i64) {
    store.doc.lock().unwrap()["count"] = count.into();
    store.version.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn refresh_keeps_an_unchanged_resource_and_replaces_a_changed_one() {
    let (s, store) = versioned_server();
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/doc").get().unwrap();
    let data_before = r.data().clone();
    assert_eq!(api.refresh(&mut r).unwrap(), Refresh::NotModified);
    assert_eq!(s.last().header("if-none-match"), Some("\"v1\""));
    assert_eq!(r.data(), &data_before);
    assert_eq!(r.etag(), Some("\"v1\""));
    assert_eq!(r.status(), 304, "the 304 is recorded");

    change_behind_the_back(&store, 41);
    assert_eq!(api.refresh(&mut r).unwrap(), Refresh::Replaced);
    assert_eq!(r["count"], 41);
    assert_eq!(r.etag(), Some("\"v2\""));
    assert_eq!(r.status(), 200);
}

#[test]
fn refresh_failures_leave_the_resource_untouched() {
    let s = RawServer::answering(404, &[], "{}");
    let api = api_at(&s.base_url());
    let mut r = item(Some("e"));
    let before = snapshot(&r);
    assert!(matches!(api.refresh(&mut r), Err(Error::Status(_))));
    assert_eq!(snapshot(&r), before);
    let mut no_self = Resource::from(json!({"a": 1}));
    assert!(matches!(
        api.refresh(&mut no_self),
        Err(Error::RelNotFound { .. })
    ));
}

#[test]
fn update_patches_only_what_changed_and_keeps_the_resource_in_step() {
    let (s, _store) = versioned_server();
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/doc").get().unwrap();
    let done = api
        .update(&mut r, |d| {
            d["count"] = 5.into();
            d["added"] = "yes".into();
            d.as_object_mut().unwrap().remove("name");
        })
        .unwrap();
    let req = s.last();
    assert_eq!(req.method, "PATCH");
    assert_eq!(req.header("if-match"), Some("\"v1\""));
    let sent: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(sent, json!({"count": 5, "added": "yes", "name": null}));
    assert_eq!(done.conflicts, 0);
    assert_eq!(done.response.unwrap().status(), 200);
    assert_eq!(r["count"], 5);
    assert_eq!(r["name"], Value::Null);
    assert_eq!(r.etag(), Some("\"v2\""));

    // A change that changes nothing sends nothing.
    let sent_before = s.requests().len();
    let done = api.update(&mut r, |d| d["count"] = 5.into()).unwrap();
    assert!(done.response.is_none());
    assert_eq!(s.requests().len(), sent_before);
}

#[test]
fn update_refreshes_and_reapplies_on_conflict() {
    let (s, store) = versioned_server();
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/doc").get().unwrap();
    change_behind_the_back(&store, 10);
    let done = api
        .update(&mut r, |d| {
            d["count"] = (d["count"].as_i64().unwrap() + 1).into()
        })
        .unwrap();
    assert_eq!(done.conflicts, 1);
    assert_eq!(r["count"], 11, "the change was applied to the fresh data");
    assert_eq!(store.doc.lock().unwrap()["count"], 11);
    let methods: Vec<String> = s.requests().into_iter().map(|q| q.method).collect();
    assert_eq!(methods, ["GET", "PATCH", "GET", "PATCH"]);
}

#[test]
fn update_gives_up_after_the_configured_attempts() {
    // Someone else always writes first: every GET shows a newer version, every PATCH fails.
    let version = Arc::new(AtomicU64::new(0));
    let v = Arc::clone(&version);
    let s = RawServer::start(move |req, stream| {
        match req.method.as_str() {
            "GET" => {
                let n = v.fetch_add(1, Ordering::SeqCst);
                let etag = format!("\"e{n}\"");
                let body = format!(r#"{{"_links":{{"self":{{"href":"/d"}}}},"n":{n}}}"#);
                common::respond(stream, 200, &[("etag", &etag)], body.as_bytes())
            }
            _ => common::respond(stream, 412, &[], b"{}"),
        }
        common::Next::KeepAlive
    });
    let mut api = api_at(&s.base_url());
    api.set_update_attempts(3);
    let mut r = api.using_endpoint("/d").get().unwrap();
    let err = api.update(&mut r, |d| d["n"] = 100.into()).unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let patches = s.requests().iter().filter(|q| q.method == "PATCH").count();
    assert_eq!(patches, 3);
    assert_eq!(
        r["n"], 2,
        "the resource holds the last version read, not the change"
    );
    assert_eq!(r.etag(), Some("\"e2\""));
}

#[test]
fn update_stops_at_once_when_the_server_rejects_a_current_etag() {
    // A weak ETag never satisfies If-Match: the refresh shows it is still current (304).
    let s = RawServer::start(|req, stream| {
        match (req.method.as_str(), req.header("if-none-match")) {
            ("GET", Some(_)) => common::respond(stream, 304, &[("etag", "W/\"e\"")], b""),
            ("GET", None) => common::respond(
                stream,
                200,
                &[("etag", "W/\"e\"")],
                br#"{"_links":{"self":{"href":"/d"}},"n":1}"#,
            ),
            _ => common::respond(stream, 412, &[], b"{}"),
        }
        common::Next::KeepAlive
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/d").get().unwrap();
    let err = api.update(&mut r, |d| d["n"] = 2.into()).unwrap_err();
    assert!(matches!(err, Error::EtagRejected(_)), "{err:?}");
    assert!(err.to_string().contains("weak"), "{err}");
    let patches = s.requests().iter().filter(|q| q.method == "PATCH").count();
    assert_eq!(
        patches, 1,
        "no attempt is burnt on a validator the server rejects"
    );
    assert_eq!(r["n"], 1);
}

#[test]
fn update_fetches_an_etag_first_when_the_resource_has_none() {
    let (s, store) = versioned_server();
    let api = api_at(&s.base_url());
    let mut r = Resource::from(json!({"_links": {"self": {"href": "/doc"}}, "count": 0}));
    assert_eq!(r.etag(), None);
    change_behind_the_back(&store, 7);
    api.update(&mut r, |d| {
        d["count"] = (d["count"].as_i64().unwrap() + 1).into()
    })
    .unwrap();
    let methods: Vec<(String, Option<String>)> = s
        .requests()
        .into_iter()
        .map(|q| (q.method.clone(), q.header("if-match").map(str::to_owned)))
        .collect();
    assert_eq!(
        methods,
        [
            ("GET".to_owned(), None),
            ("PATCH".to_owned(), Some("\"v2\"".to_owned()))
        ]
    );
    assert_eq!(
        r["count"], 8,
        "the change applied to the server's current data"
    );
    assert_eq!(store.doc.lock().unwrap()["count"], 8);
}

#[test]
fn update_meets_428_from_a_server_without_etags() {
    let s = RawServer::start(|req, stream| {
        match req.method.as_str() {
            "GET" => common::respond(
                stream,
                200,
                &[],
                br#"{"_links":{"self":{"href":"/d"}},"n":1}"#,
            ),
            _ => common::respond(stream, 428, &[], b"{}"),
        }
        common::Next::KeepAlive
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/d").get().unwrap();
    // Without an ETag, update refuses and sends nothing.
    let err = api.update(&mut r, |d| d["n"] = 2.into()).unwrap_err();
    assert!(matches!(err, Error::Unconditional { .. }), "{err:?}");
    assert!(err.to_string().contains("no etag"), "{err}");
    assert_eq!(
        s.requests().iter().filter(|q| q.method == "PATCH").count(),
        0
    );
    // Told to write anyway, it sends the PATCH, and the server's 428 comes back.
    let options = halchemy::UpdateOptions::new().allow_unconditional();
    let err = api
        .update_with(&mut r, &options, |d| d["n"] = 2.into())
        .unwrap_err();
    assert!(matches!(err, Error::PreconditionRequired(_)), "{err:?}");
    assert_eq!(r["n"], 1);
}

#[test]
fn embedded_items_are_written_with_their_own_etag() {
    let s = RawServer::answering(200, &[("etag", "\"i2\"")], "{}");
    let api = api_at(&s.base_url());
    let page = Resource::from(json!({"_embedded": {"item": [
        {"_links": {"self": {"href": "/items/1"}}, "_etag": "i1"}
    ]}}));
    let mut first = page.embedded_many("item").unwrap().remove(0);
    api.follow_mut(&mut first)
        .to("self")
        .patch(json!({"a": 1}))
        .unwrap();
    assert_eq!(s.last().header("if-match"), Some("i1"));
    assert_eq!(s.last().target, "/items/1");
    assert_eq!(first.etag(), Some("\"i2\""));
}

#[test]
fn threads_share_one_api_and_lose_no_update() {
    let (s, store) = versioned_server();
    let mut api = api_at(&s.base_url());
    api.set_update_attempts(1000);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let api = api.clone();
            std::thread::spawn(move || {
                let mut r = api.using_endpoint("/doc").get().unwrap();
                let mut conflicts = 0;
                for _ in 0..10 {
                    conflicts += api
                        .update(&mut r, |d| {
                            d["count"] = (d["count"].as_i64().unwrap() + 1).into()
                        })
                        .unwrap()
                        .conflicts;
                }
                conflicts
            })
        })
        .collect();
    let conflicts: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(store.doc.lock().unwrap()["count"], 40);
    println!("conflicts retried: {conflicts}");
}
