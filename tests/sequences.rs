//! Call sequences from a second hostile review of the concurrency promise: each test asserts
//! the promise (data and validators describe one version; no concurrent update lost without
//! an `Err`) where each call was correct alone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use halchemy::{Api, Error, Resource, UpdateOptions};
use halchemy_testserver::http::{Reply, Server};
use halchemy_testserver::store::{HalServer, Options, own_fields};
use serde_json::{Value, json};

const PATH: &str = "/items/1";

fn api_at(base: &str) -> Api {
    Api::builder()
        .base_url(base)
        .no_config_file()
        .no_proxy()
        .update_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap()
}

fn store() -> (HalServer, Api) {
    let s = HalServer::start(Options::default());
    s.put(PATH, json!({"a": 1, "b": 1}));
    let api = api_at(&s.base_url());
    (s, api)
}

/// Another client changes `b` to 2.
fn someone_sets_b(api: &Api) {
    let mut other = api.using_endpoint(PATH).get().unwrap();
    api.follow_mut(&mut other)
        .to("self")
        .patch(json!({"b": 2}))
        .unwrap();
}

/// After a 412 and a refresh, the resource holds a newer version than the failed write was
/// made on: merging from it would count the failed PUT's stale fields as changes of mine and
/// revert the concurrent update. `merge` refuses; nothing is sent.
#[test]
fn merge_after_a_refresh_is_refused_and_loses_nothing() {
    let (s, api) = store();
    let mut r = api.using_endpoint(PATH).get().unwrap();
    someone_sets_b(&api); // server: a 1, b 2
    let err = api
        .follow_mut(&mut r)
        .to("self")
        .put(json!({"a": 5, "b": 1}))
        .unwrap_err();
    let Error::PreconditionFailed(conflict) = err else {
        panic!("{err:?}")
    };
    api.refresh(&mut r).unwrap();
    // The resource no longer holds the version the PUT was made on: no base to merge from.
    let refused = api.merge(&mut r, &conflict).map(|_| ()).unwrap_err();
    assert!(matches!(refused, Error::NotMergeable { .. }), "{refused:?}");
    assert!(refused.to_string().contains("refreshed"), "{refused}");
    assert_eq!(s.current(PATH).unwrap().data, json!({"a": 1, "b": 2}));
    assert_eq!(r["b"], 2, "the refresh stands");
}

/// A conflict merged a second time, after the first merge was sent, would re-apply the stale
/// PUT over the version the first merge produced: refused.
#[test]
fn merging_a_conflict_a_second_time_is_refused() {
    let (s, api) = store();
    let mut r = api.using_endpoint(PATH).get().unwrap();
    someone_sets_b(&api);
    let Err(Error::PreconditionFailed(conflict)) = api
        .follow_mut(&mut r)
        .to("self")
        .put(json!({"a": 5, "b": 1}))
    else {
        panic!()
    };
    let first = api.merge(&mut r, &conflict).unwrap();
    assert!(first.conflicts().is_empty());
    first.send().unwrap();
    assert_eq!(s.current(PATH).unwrap().data, json!({"a": 5, "b": 2}));
    // e.g. a retry loop that kept the conflict around.
    let second = api.merge(&mut r, &conflict).map(|_| ()).unwrap_err();
    assert!(matches!(second, Error::NotMergeable { .. }), "{second:?}");
    assert_eq!(s.current(PATH).unwrap().data, json!({"a": 5, "b": 2}));
}

/// A draft made with `data_mut` and PUT: on the 412, `merge` takes the version read as its
/// base, so the draft's edit counts as mine and is kept.
#[test]
fn merge_of_a_put_of_a_draft_keeps_the_edit() {
    let (s, api) = store();
    let mut r = api.using_endpoint(PATH).get().unwrap();
    someone_sets_b(&api);
    r.data_mut()["a"] = 5.into();
    let body = r.data().clone();
    let Err(Error::PreconditionFailed(conflict)) = api.follow_mut(&mut r).to("self").put(body)
    else {
        panic!()
    };
    let merging = api.merge(&mut r, &conflict).unwrap();
    let reported = merging.conflicts().len();
    let sent = merging.send();
    let now = s.current(PATH).unwrap().data;
    assert!(
        now["a"] == 5 || sent.is_err() || reported > 0,
        "my a=5 vanished with no conflict and Ok: server holds {now}"
    );
}

/// Eve answers a POST (and a PATCH) with only `_id`, `_updated`, `_etag`, `_links.self` and
/// `_status`. That excerpt is not the person, so it carries no validators: `update` on it
/// reads the person first and loses nothing.
#[test]
fn the_excerpt_an_eve_post_answers_carries_no_etag() {
    let (s, state) = eve_people();
    let api = api_at(&s.base_url());
    let mut created = api
        .using_endpoint("/people")
        .post(json!({"name": "Kim", "visits": 10}))
        .unwrap();
    // The 201's body is an excerpt, not the person: its `_etag` names a version whose data
    // the excerpt does not hold, so the answer carries no validators; `update` reads first.
    assert_eq!(created.etag(), None);
    assert_eq!(created["_etag"], "t1");
    let done = api.update(&mut created, |d| {
        d["visits"] = (d["visits"].as_i64().unwrap_or(0) + 1).into();
    });
    let stored = state.lock().unwrap().1.clone();
    assert!(
        done.is_ok() && stored["visits"] == 11,
        "update returned Ok and the server now holds {stored} (visits was 10)"
    );
}

/// When the refresh after a 412 finds the resource at another URL (a 301 to its new address,
/// whose representation has a new `self`), the retry PATCHes the new URL with its `If-Match`:
/// no write goes out unconditional and the third writer's change is kept.
#[test]
fn update_follows_a_moved_resource_with_its_precondition() {
    // (moved?, version, count)
    let state = Arc::new(Mutex::new((false, 1u32, 0i64)));
    let st = Arc::clone(&state);
    let s = Server::start(move |req| {
        let mut st = st.lock().unwrap();
        let doc =
            |href: &str, count: i64| json!({"_links": {"self": {"href": href}}, "count": count});
        match (req.method.as_str(), req.path(), st.0) {
            ("GET", "/items/1", false) => Reply::new(200)
                .header("etag", &format!("\"{}\"", st.1))
                .json(&doc("/items/1", st.2)),
            ("GET", "/items/1", true) => Reply::new(301).header("location", "/items/one"),
            ("PATCH", "/items/1", true) => Reply::new(308).header("location", "/items/one"),
            ("GET", "/items/one", true) => {
                let reply = Reply::new(200)
                    .header("etag", &format!("\"{}\"", st.1))
                    .json(&doc("/items/one", st.2));
                // A third client writes right after this read: count 1000.
                st.1 += 1;
                st.2 = 1000;
                reply
            }
            ("PATCH", "/items/1", false) | ("PATCH", "/items/one", true) => {
                // Another client wins the first race, and the item is moved meanwhile.
                if !st.0 {
                    st.0 = true;
                    st.1 += 1;
                    st.2 = 100;
                    return Reply::new(412).json(&json!({}));
                }
                match req.header("if-match") {
                    Some(m) if m != format!("\"{}\"", st.1) => Reply::new(412).json(&json!({})),
                    // A server that does not insist on preconditions (most do not).
                    _ => {
                        let patch: Value = serde_json::from_slice(&req.body).unwrap();
                        st.2 = patch["count"].as_i64().unwrap();
                        st.1 += 1;
                        Reply::new(204).header("etag", &format!("\"{}\"", st.1))
                    }
                }
            }
            _ => Reply::new(404).json(&json!({})),
        }
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/items/1").get().unwrap();
    let done = api.update(&mut r, |d| {
        d["count"] = (d["count"].as_i64().unwrap_or(0) + 1).into();
    });
    let unconditional: Vec<_> = s
        .requests()
        .into_iter()
        .filter(|q| q.method == "PATCH" && q.header("if-match").is_none())
        .map(|q| q.target)
        .collect();
    let count = state.lock().unwrap().2;
    assert!(
        unconditional.is_empty() && (count == 1001 || done.is_err()),
        "update sent unconditional PATCHes to {unconditional:?}, returned {:?}, and the server's count is {count} (the third client's 1000 lost)",
        done.map(|u| u.conflicts)
    );
}

/// A PATCH answered `200` with a status document and no `Content-Location` (RFC 9110:
/// the content then describes the action, not the resource): none of its fields is copied
/// into the resource, whose data stays the server's version.
#[test]
fn a_status_document_answer_changes_no_field_of_the_resource() {
    let state = Arc::new(Mutex::new((
        1u32,
        json!({"status": "pending", "note": "x"}),
    )));
    let st = Arc::clone(&state);
    let s = Server::start(move |req| {
        let mut st = st.lock().unwrap();
        let tag = format!("\"{}\"", st.0);
        match req.method.as_str() {
            "GET" => {
                let mut doc = st.1.clone();
                doc["_links"] = json!({"self": {"href": "/orders/1"}});
                Reply::new(200).header("etag", &tag).json(&doc)
            }
            "PATCH" if req.header("if-match") == Some(tag.as_str()) => {
                let patch: Value = serde_json::from_slice(&req.body).unwrap();
                for (k, v) in patch.as_object().unwrap() {
                    st.1[k] = v.clone();
                }
                st.0 += 1;
                Reply::new(200)
                    .header("etag", &format!("\"{}\"", st.0))
                    .json(&json!({"status": "success", "message": "order updated"}))
            }
            _ => Reply::new(412).json(&json!({})),
        }
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/orders/1").get().unwrap();
    api.follow_mut(&mut r)
        .to("self")
        .patch(json!({"note": "y"}))
        .unwrap();
    let (version, server) = state.lock().unwrap().clone();
    assert_eq!(r.etag(), Some(format!("\"{version}\"").as_str()));
    assert_eq!(
        own_fields(r.data()),
        server,
        "r names the server's current version but holds other data"
    );
}

/// A write to the resource's own `self` link with a query parameter added (`?notify=false`,
/// `?dry_run=`) is a write to the resource: it carries `If-Match`.
#[test]
fn a_put_to_self_with_query_parameters_carries_the_precondition() {
    let s = HalServer::start(Options {
        require_precondition: false,
        ..Options::default()
    });
    s.put(PATH, json!({"a": 1, "b": 1}));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    someone_sets_b(&api);
    let out = api
        .follow_mut(&mut r)
        .to("self")
        .with_parameters(json!({"notify": false}))
        .put(json!({"a": 5, "b": 1}));
    let now = s.current(PATH).unwrap().data;
    assert!(
        out.is_err() || now["b"] == 2,
        "if-match sent: {:?}; Ok and the server holds {now}",
        s.last().header("if-match")
    );
}

// ---------------------------------------------------------- drafts and re-creation

#[track_caller]
fn holds(s: &HalServer, r: &Resource) {
    let current = s.current(PATH).unwrap();
    let etag = String::from_utf8_lossy(&current.etag.unwrap()).into_owned();
    let names_current = r
        .etag()
        .is_some_and(|e| e == etag || e.trim_matches('"') == etag.trim_matches('"'));
    if names_current {
        assert_eq!(
            own_fields(r.data()),
            current.data,
            "r's etag {:?} names the server's current version, but its data is another's",
            r.etag()
        );
    }
}

/// Items taken from a page that holds a draft are drafts too: their version is the page's
/// version read, so a PATCH leaves the item holding the server's version, not the draft.
#[test]
fn items_of_a_drafted_page_do_not_pair_the_draft_with_the_items_etag() {
    let s = HalServer::start(Options::default());
    s.put(PATH, json!({"count": 0, "name": "Kim"}));
    let api = api_at(&s.base_url());
    let mut page = api.using_endpoint("/items").get().unwrap();
    page.data_mut()["_embedded"]["items"][0]["name"] = json!("LOCAL");
    let mut item = page.embedded_many("items").unwrap().remove(0);
    api.follow_mut(&mut item)
        .to("self")
        .patch(json!({"count": 1}))
        .unwrap();
    assert_eq!(
        s.current(PATH).unwrap().data,
        json!({"count": 1, "name": "Kim"})
    );
    holds(&s, &item);
}

/// DELETE, recreate with a PUT whose answer carries no validators, then PUT again: the copy
/// still asks `If-None-Match: *`, which fails now that the resource exists: another client's
/// update is kept.
#[test]
fn a_recreated_resource_without_validators_does_not_write_blind() {
    // (version, data): None when deleted.
    let state: Arc<Mutex<Option<(u32, Value)>>> =
        Arc::new(Mutex::new(Some((1, json!({"count": 0, "name": "Kim"})))));
    let st = Arc::clone(&state);
    let s = Server::start(move |req| {
        let mut st = st.lock().unwrap();
        let tag = |v: u32| format!("\"v{v}\"");
        let doc = |d: &Value| {
            let mut d = d.clone();
            d["_links"] = json!({"self": {"href": "/items/1"}});
            d
        };
        let if_match = req.header("if-match").map(str::to_owned);
        let if_none = req.header("if-none-match").map(str::to_owned);
        match req.method.as_str() {
            "GET" => match &*st {
                Some((v, d)) => Reply::new(200).header("etag", &tag(*v)).json(&doc(d)),
                None => Reply::new(404).json(&json!({})),
            },
            "DELETE" => match &*st {
                Some((v, _)) if if_match.as_deref().is_none_or(|m| m == tag(*v)) => {
                    *st = None;
                    Reply::new(204)
                }
                _ => Reply::new(412).json(&json!({})),
            },
            "PUT" => {
                // RFC 9110 conditions; no precondition required (most servers).
                let ok = match (&*st, if_match.as_deref(), if_none.as_deref()) {
                    (Some((v, _)), Some(m), _) => m == tag(*v) || m == "*",
                    (None, Some(_), _) => false,
                    (Some(_), None, Some("*")) => false,
                    _ => true,
                };
                if !ok {
                    return Reply::new(412).json(&json!({}));
                }
                let body: Value = serde_json::from_slice(&req.body).unwrap();
                let created = st.is_none();
                let v = st.as_ref().map_or(1, |(v, _)| v + 1);
                *st = Some((v, body));
                // The server transforms nothing but sends no validator with a PUT's answer
                // (RFC 9110 §9.3.4 allows leaving it out).
                Reply::new(if created { 201 } else { 204 })
            }
            _ => Reply::new(405),
        }
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    assert_eq!(r.etag(), Some("\"v1\""));
    api.follow_mut(&mut r).to("self").delete().unwrap();
    api.follow_mut(&mut r)
        .to("self")
        .put(json!({"count": 0, "name": "Kim"}))
        .unwrap();
    assert_eq!(s.last().header("if-none-match"), Some("*"));
    // Another client reads the recreated resource and changes it, conditionally.
    let mut other = api.using_endpoint(PATH).get().unwrap();
    api.follow_mut(&mut other)
        .to("self")
        .put(json!({"count": 7, "name": "Ann"}))
        .unwrap();
    // Our copy writes again.
    let out = api
        .follow_mut(&mut r)
        .to("self")
        .put(json!({"count": 1, "name": "Kim"}));
    let last = s.last();
    let stored = state.lock().unwrap().clone().unwrap().1;
    assert!(matches!(out, Err(Error::PreconditionFailed(_))), "{out:?}");
    assert_eq!(last.header("if-none-match"), Some("*"));
    assert!(
        out.is_err() && stored["name"] == "Ann",
        "Ok, sent if-match {:?} / if-none-match {:?}, and the server holds {stored}: Ann's update is lost",
        last.header("if-match"),
        last.header("if-none-match"),
    );
}

/// A draft is a change made on the version read: after a conflict `update` merges it three
/// ways into the version read again, and a field another client changed too is a conflict.
#[test]
fn update_does_not_reapply_a_stale_draft_over_a_concurrent_change_of_the_same_field() {
    let s = HalServer::start(Options::default());
    s.put(PATH, json!({"count": 0, "name": "Kim"}));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    r.data_mut()["name"] = json!("Lee"); // Kim -> Lee, on version 1
    // Meanwhile another client renames Kim -> Max.
    let mut other = api.using_endpoint(PATH).get().unwrap();
    api.follow_mut(&mut other)
        .to("self")
        .patch(json!({"name": "Max"}))
        .unwrap();
    let out = api.update(&mut r, |d| {
        d["count"] = (d["count"].as_i64().unwrap_or(0) + 1).into();
    });
    let now = s.current(PATH).unwrap().data;
    assert_eq!(
        now,
        json!({"count": 0, "name": "Max"}),
        "nothing was sent over Max"
    );
    let Err(Error::MergeConflicts(merge)) = &out else {
        panic!("{out:?}")
    };
    assert_eq!(merge.conflicts()[0].pointer, "/name");
    assert_eq!(r["name"], "Lee", "the draft is kept");
}

/// A failed `update` puts the resource back as it was: the unsent draft is not lost.
#[test]
fn a_failed_update_keeps_the_draft_it_could_not_send() {
    let s = HalServer::start(Options::default());
    s.put(PATH, json!({"count": 0, "name": "Kim"}));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    r.data_mut()["name"] = json!("Lee");
    // Another writer gets in before each of our PATCHes.
    let writer = s.clone();
    let mut n = 0;
    let out = api.update_with(&mut r, &halchemy::UpdateOptions::new().attempts(2), |d| {
        n += 1;
        writer.put(PATH, json!({"count": 100 + n, "name": "Kim"}));
        d["count"] = (d["count"].as_i64().unwrap_or(0) + 1).into();
    });
    assert!(matches!(out, Err(Error::PreconditionFailed(_))), "{out:?}");
    assert_eq!(r["name"], "Lee", "the draft is gone after the Err: {r}");
}

// ------------------------------------------------ reads, redirects and server fields

/// A GET the caller made conditional itself (`If-None-Match`, as a cache does) is answered
/// `304` with the current ETag and no body: the resource holds no data, so it holds no
/// validators either, and `update` reads the resource before it writes.
#[test]
fn a_304_to_a_callers_conditional_get_is_not_paired_with_the_etag() {
    let s = HalServer::start(Options::default());
    s.put(PATH, json!({"count": 10}));
    let api = api_at(&s.base_url());
    let etag = String::from_utf8(s.current(PATH).unwrap().etag.unwrap()).unwrap();
    let mut r = api
        .using_endpoint(PATH)
        .with_headers([("If-None-Match", etag.as_str())])
        .get()
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.etag(), None);
    let out = api.update(&mut r, |d| {
        d["count"] = (d["count"].as_i64().unwrap_or(0) + 1).into();
    });
    let now = s.current(PATH).unwrap().data;
    assert!(
        out.is_ok() && now["count"] == 11,
        "update returned {:?} and the server's count 10 is now {}",
        out.map(|u| u.conflicts),
        now["count"]
    );
}

/// Eve answers a bulk POST (an array of documents) with `{"_status", "_items": [excerpt,
/// ...]}`, each excerpt holding only `_id`, `_updated`, `_etag`, `_links.self`, `_status`.
/// The answer is an excerpt, and so are its items: none takes its `_etag`, and `update` on an
/// item reads the person first.
#[test]
fn items_of_an_eve_bulk_post_answer_carry_no_etag() {
    let (s, state) = eve_people();
    let api = api_at(&s.base_url());
    let answer = api
        .using_endpoint("/people")
        .post(json!([{"name": "Kim", "visits": 10}]))
        .unwrap();
    assert_eq!(answer.etag(), None, "the answer itself is unpaired");
    let mut created = answer.collection("_items").unwrap().remove(0);
    let done = api.update(&mut created, |d| {
        d["visits"] = (d["visits"].as_i64().unwrap_or(0) + 1).into();
    });
    let stored = state.lock().unwrap().1.clone();
    assert!(
        done.is_ok() && stored["visits"] == 11,
        "update returned {:?} and the server now holds {stored} (visits was 10); the item's etag was {:?}",
        done.map(|u| u.conflicts),
        created.etag()
    );
}

/// A server that does not do conditional GETs answers `refresh` with `200` and the very
/// version the resource holds (same ETag): no newer version arrived, so the draft stays.
#[test]
fn refresh_to_the_same_version_keeps_the_draft() {
    let s = Server::start(|req| match req.method.as_str() {
        "GET" => Reply::new(200)
            .header("etag", "\"v1\"")
            .json(&json!({"_links": {"self": {"href": "/items/1"}}, "name": "Kim"})),
        _ => Reply::new(405),
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    r.data_mut()["name"] = json!("Lee");
    let refreshed = api.refresh(&mut r).unwrap();
    assert_eq!(r.etag(), Some("\"v1\""), "the same version");
    assert_eq!(
        r.draft(),
        Some(json!({"name": "Lee"})),
        "refresh answered {refreshed:?} with the version already held, and the draft is lost"
    );
}

/// A PATCH of the resource's own URL is answered `307` to another origin, which applies it to
/// its own item and answers with *its* new ETag. The write landed on another resource: the
/// resource is not brought forward (as after a `303` elsewhere), so with per-item version
/// numbers as ETags its next write still names its own version and meets the other client's
/// change as a conflict.
#[test]
fn a_write_redirected_elsewhere_does_not_take_the_other_urls_etag() {
    // The other origin: an item of its own at version 1.
    let elsewhere = Server::start(|req| match (req.method.as_str(), req.header("if-match")) {
        ("PATCH", Some("\"1\"")) => Reply::new(204).header("etag", "\"2\""),
        ("PATCH", _) => Reply::new(412).json(&json!({})),
        _ => Reply::new(404).json(&json!({})),
    });
    let away = elsewhere.url(PATH);
    // (version, count, redirect the next write?)
    let state = Arc::new(Mutex::new((1u32, 5i64, true)));
    let st = Arc::clone(&state);
    let s = Server::start(move |req| {
        let mut st = st.lock().unwrap();
        let tag = format!("\"{}\"", st.0);
        match req.method.as_str() {
            "GET" => Reply::new(200).header("etag", &tag).json(&json!({
                "_links": {"self": {"href": PATH}}, "count": st.1
            })),
            "PATCH" if st.2 => {
                st.2 = false;
                Reply::new(307).header("location", &away)
            }
            "PATCH" if req.header("if-match") == Some(tag.as_str()) => {
                let p: Value = serde_json::from_slice(&req.body).unwrap();
                if let Some(c) = p["count"].as_i64() {
                    st.1 = c;
                }
                st.0 += 1;
                Reply::new(204).header("etag", &format!("\"{}\"", st.0))
            }
            "PATCH" => Reply::new(412).json(&json!({})),
            _ => Reply::new(405),
        }
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    api.follow_mut(&mut r)
        .to("self")
        .patch(json!({"note": "x"}))
        .unwrap();
    let paired = r.etag().map(str::to_owned);
    // Another client writes the resource at its own server: version 2, count 100.
    {
        let mut st = state.lock().unwrap();
        st.0 = 2;
        st.1 = 100;
    }
    let done = api.update(&mut r, |d| {
        d["count"] = (d["count"].as_i64().unwrap_or(0) + 1).into();
    });
    let count = state.lock().unwrap().1;
    assert!(
        done.is_ok() && count == 101,
        "after the redirected write the resource held etag {paired:?} (its server: version 1); update returned {:?} and the other client's count 100 became {count}",
        done.map(|u| u.conflicts)
    );
}

/// A server whose documents have a writable top-level field starting with `_` (here
/// `_priority`). After a `412`, the three-way merge keeps a draft's change of it (the server
/// did not change it), so `update` sends it whether or not someone wrote meanwhile.
#[test]
fn update_does_not_drop_a_change_of_an_underscore_field_after_a_conflict() {
    let state = Arc::new(Mutex::new((1u32, json!({"_priority": 1, "note": "a"}))));
    let s = store_server(Arc::clone(&state));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    r.data_mut()["_priority"] = json!(5);
    // Another client changes an unrelated field.
    {
        let mut st = state.lock().unwrap();
        st.0 += 1;
        st.1["note"] = json!("b");
    }
    let done = api.update(&mut r, |d| d["seen"] = json!(true));
    let stored = state.lock().unwrap().1.clone();
    assert!(
        done.is_ok() && stored["_priority"] == 5,
        "update returned {:?}; the server holds {stored}: the draft's _priority 5 is gone",
        done.map(|u| u.conflicts)
    );
}

/// The same with `head()`: the answer has no body, so it holds no validators although the
/// `ETag` header is there, and `update` reads the resource before it writes.
#[test]
fn a_head_answer_is_not_paired_with_the_etag() {
    let s = HalServer::start(Options::default());
    s.put(PATH, json!({"count": 10}));
    let api = api_at(&s.base_url());
    // A HEAD answered with the item's ETag and a `Link` header naming it `self` (served
    // here by a second server; the store itself sends no Link header).
    let link_server = {
        let etag = String::from_utf8(s.current(PATH).unwrap().etag.unwrap()).unwrap();
        let target = s.url(PATH);
        Server::start(move |req| match req.method.as_str() {
            "HEAD" => Reply::new(200)
                .header("etag", &etag)
                .header("link", &format!("<{target}>; rel=\"self\"")),
            _ => Reply::new(405),
        })
    };
    let mut r = api.using_endpoint(link_server.url(PATH)).head().unwrap();
    assert!(r.data().is_null() && r.etag().is_none() && r.has_rel("self"));
    assert!(r.meta().response.headers.contains_key("etag"));
    let out = api.update(&mut r, |d| {
        d["count"] = (d["count"].as_i64().unwrap_or(0) + 1).into();
    });
    let now = s.current(PATH).unwrap().data;
    assert!(
        out.is_ok() && now["count"] == 11,
        "update returned {:?} and the server's count 10 is now {}",
        out.map(|u| u.conflicts),
        now["count"]
    );
}

// ------------------------------------------------ excerpts, OPTIONS and `_` fields

/// An Eve-like server: a POST answers an excerpt of the created person (a bulk POST, an
/// array, one excerpt per person under `_items`); GET reads the person; PATCH needs `If-Match`
/// (quoted or bare, as Eve takes it) and answers an excerpt.
fn eve_people() -> (Server, Arc<Mutex<(u32, Value)>>) {
    let state = Arc::new(Mutex::new((0u32, json!({}))));
    let st = Arc::clone(&state);
    let s = Server::start(move |req| {
        let mut st = st.lock().unwrap();
        let tag = |v: u32| format!("t{v}");
        match (req.method.as_str(), req.path()) {
            ("POST", "/people") => {
                let posted: Value = serde_json::from_slice(&req.body).unwrap();
                st.0 = 1;
                st.1 = posted.get(0).unwrap_or(&posted).clone();
                let excerpt = json!({
                    "_id": "1", "_updated": "x", "_created": "x", "_etag": tag(st.0),
                    "_links": {"self": {"title": "person", "href": "people/1"}},
                    "_status": "OK"
                });
                match posted.is_array() {
                    true => Reply::new(201).json(&json!({"_status": "OK", "_items": [excerpt]})),
                    false => Reply::new(201).json(&excerpt),
                }
            }
            ("GET", "/people/1") => {
                let mut doc = st.1.clone();
                doc["_etag"] = tag(st.0).into();
                doc["_links"] = json!({"self": {"href": "people/1"}});
                Reply::new(200).json(&doc)
            }
            ("PATCH", "/people/1") => {
                if req.header("if-match").map(|m| m.trim_matches('"')) != Some(tag(st.0).as_str()) {
                    return Reply::new(412).json(&json!({}));
                }
                let patch: Value = serde_json::from_slice(&req.body).unwrap();
                for (k, v) in patch.as_object().unwrap() {
                    st.1[k] = v.clone();
                }
                st.0 += 1;
                Reply::new(200).json(&json!({
                    "_id": "1", "_etag": tag(st.0), "_status": "OK",
                    "_links": {"self": {"href": "people/1"}}
                }))
            }
            _ => Reply::new(404).json(&json!({})),
        }
    });
    (s, state)
}

/// The excerpt answering a bulk POST has no etag, nor have its items, also after `data_mut`
/// on the answer (a note made locally): a draft of an excerpt is still an excerpt.
#[test]
fn items_of_an_excerpt_held_as_a_draft_carry_no_etag() {
    let (s, state) = eve_people();
    let api = api_at(&s.base_url());
    let mut answer = api
        .using_endpoint("/people")
        .post(json!([{"name": "Kim", "visits": 10}]))
        .unwrap();
    assert_eq!(answer.etag(), None);
    answer.data_mut()["note"] = json!("posted");
    let mut created = answer.collection("_items").unwrap().remove(0);
    let paired = created.etag().map(str::to_owned);
    let done = api.update(&mut created, |d| {
        d["visits"] = (d["visits"].as_i64().unwrap_or(0) + 1).into();
    });
    let stored = state.lock().unwrap().1.clone();
    assert!(
        paired.is_none() && done.is_ok() && stored["visits"] == 11,
        "the excerpt's item held etag {paired:?}; update returned {:?} and the server now holds {stored} (visits was 10)",
        done.map(|u| u.conflicts)
    );
}

/// After a conflict the draft is merged three ways, and a field someone else changed too is an
/// error: also a writable top-level `_` field.
#[test]
fn a_draft_and_another_client_both_changing_an_underscore_field_is_an_error() {
    let state = Arc::new(Mutex::new((1u32, json!({"_priority": 1, "note": "a"}))));
    let s = store_server(Arc::clone(&state));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    r.data_mut()["_priority"] = json!(5);
    // Another client sets `_priority` to 3.
    {
        let mut st = state.lock().unwrap();
        st.0 += 1;
        st.1["_priority"] = json!(3);
    }
    let done = api.update(&mut r, |d| d["seen"] = json!(true));
    let stored = state.lock().unwrap().1.clone();
    assert!(
        matches!(done, Err(Error::MergeConflicts(_)))
            && stored["_priority"] == 3
            && r.draft().is_some(),
        "update returned {:?}; the server holds {stored}: the draft's _priority 5 vanished without an error",
        done.map(|u| u.conflicts)
    );
}

/// A store whose documents may hold a writable top-level `_priority`: GET, and PUT (replace)
/// and PATCH (merge) with `If-Match`.
fn store_server(state: Arc<Mutex<(u32, Value)>>) -> Server {
    Server::start(move |req| {
        let mut st = state.lock().unwrap();
        let tag = format!("\"{}\"", st.0);
        let body = || serde_json::from_slice::<Value>(&req.body).unwrap();
        match req.method.as_str() {
            "GET" => {
                let mut d = st.1.clone();
                d["_links"] = json!({"self": {"href": PATH}});
                Reply::new(200).header("etag", &tag).json(&d)
            }
            "PUT" | "PATCH" if req.header("if-match") != Some(tag.as_str()) => {
                Reply::new(412).json(&json!({}))
            }
            "PUT" => {
                st.1 = body();
                st.0 += 1;
                Reply::new(204).header("etag", &format!("\"{}\"", st.0))
            }
            "PATCH" => {
                for (k, v) in body().as_object().unwrap() {
                    st.1[k] = v.clone();
                }
                st.0 += 1;
                Reply::new(204).header("etag", &format!("\"{}\"", st.0))
            }
            _ => Reply::new(405),
        }
    })
}

/// The merge of a failed PUT keeps a top-level `_` field another client added since, and the
/// merged PUT sends it: a PUT without it would erase it.
#[test]
fn a_merged_put_does_not_erase_an_underscore_field_another_client_set() {
    let state = Arc::new(Mutex::new((1u32, json!({"note": "a"}))));
    let s = store_server(Arc::clone(&state));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    // Another client sets `_priority`.
    {
        let mut st = state.lock().unwrap();
        st.0 += 1;
        st.1["_priority"] = json!(3);
    }
    let err = api
        .follow_mut(&mut r)
        .to("self")
        .put(json!({"note": "b"}))
        .unwrap_err();
    let Error::PreconditionFailed(conflict) = err else {
        panic!("{err:?}")
    };
    let merging = api.merge(&mut r, &conflict).unwrap();
    let conflicts = merging.conflicts().len();
    let merged = merging.result().ok();
    let sent = merging.send().map(|_| ());
    let stored = state.lock().unwrap().1.clone();
    assert!(
        stored["_priority"] == 3 && stored["note"] == "b" && sent.is_ok() && conflicts == 0,
        "merge reported {conflicts} conflicts and the merged document {merged:?}; send returned {sent:?} and the server holds {stored}: the other client's _priority 3 is gone"
    );
}

/// An OPTIONS answer is no representation: it carries no validators although it has an `ETag`
/// header, and `update` reads the resource before it writes.
#[test]
fn an_options_answer_is_not_paired_with_the_etag() {
    use halchemy_testserver::store::{HalServer, Options};
    let s = HalServer::start(Options::default());
    s.put(PATH, json!({"count": 10}));
    let api = api_at(&s.base_url());
    let options_server = {
        let etag = String::from_utf8(s.current(PATH).unwrap().etag.unwrap()).unwrap();
        let target = s.url(PATH);
        Server::start(move |req| match req.method.as_str() {
            "OPTIONS" => Reply::new(200)
                .header("allow", "GET, PATCH, OPTIONS")
                .header("etag", &etag)
                .header("link", &format!("<{target}>; rel=\"self\"")),
            _ => Reply::new(405),
        })
    };
    let mut r = api
        .using_endpoint(options_server.url(PATH))
        .options()
        .unwrap();
    let paired = r.etag().map(str::to_owned);
    let out = api.update(&mut r, |d| {
        d["count"] = (d["count"].as_i64().unwrap_or(0) + 1).into();
    });
    let now = s.current(PATH).unwrap().data;
    assert!(
        paired.is_none() && out.is_ok() && now["count"] == 11,
        "the OPTIONS answer (data {}) held etag {paired:?}; update returned {:?} and the server's count 10 is now {}",
        r.data(),
        out.map(|u| u.conflicts),
        now["count"]
    );
}

/// A server whose documents carry Eve's `_updated` (changed by the server on every write) in
/// the body, with ETags in headers; PATCH merges.
fn updated_server(state: Arc<Mutex<(u32, Value)>>) -> Server {
    Server::start(move |req| {
        let mut st = state.lock().unwrap();
        let tag = format!("\"{}\"", st.0);
        match req.method.as_str() {
            "GET" => {
                let mut d = st.1.clone();
                d["_updated"] = json!(format!("t{}", st.0));
                d["_links"] = json!({"self": {"href": PATH}});
                Reply::new(200).header("etag", &tag).json(&d)
            }
            "PATCH" if req.header("if-match") != Some(tag.as_str()) => {
                Reply::new(412).json(&json!({}))
            }
            "PATCH" => {
                for (k, v) in serde_json::from_slice::<Value>(&req.body)
                    .unwrap()
                    .as_object()
                    .unwrap()
                {
                    if !k.starts_with('_') {
                        st.1[k] = v.clone();
                    }
                }
                st.0 += 1;
                Reply::new(204).header("etag", &format!("\"{}\"", st.0))
            }
            _ => Reply::new(405),
        }
    })
}

/// `update`'s documented typed round-trip (`*data = serde_json::to_value(&item)?`) under
/// `merge_on_conflict`: the server-owned `_updated` the struct leaves out is not a change of
/// mine (never sent, never a conflict), so a concurrent write of another field merges.
#[test]
fn merge_on_conflict_with_a_typed_round_trip_does_not_conflict_on_server_fields() {
    #[derive(serde::Deserialize, serde::Serialize)]
    struct Item {
        count: i64,
        city: String,
    }
    let state = Arc::new(Mutex::new((1u32, json!({"count": 0, "city": "Oslo"}))));
    let s = updated_server(Arc::clone(&state));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint(PATH).get().unwrap();
    // Another client changes `city`.
    {
        let mut st = state.lock().unwrap();
        st.0 += 1;
        st.1["city"] = json!("Bergen");
    }
    let options = UpdateOptions::new().merge_on_conflict();
    let out = api.update_with(&mut r, &options, |d| {
        let mut item: Item = serde_json::from_value(d.clone()).unwrap();
        item.count += 1;
        *d = serde_json::to_value(&item).unwrap();
    });
    let stored = state.lock().unwrap().1.clone();
    let report = match &out {
        Err(Error::MergeConflicts(m)) => m.to_string(),
        _ => String::new(),
    };
    assert!(
        out.is_ok() && stored == json!({"count": 1, "city": "Bergen"}),
        "update_with(merge_on_conflict) returned {:?}\n{report}\nserver holds {stored}",
        out.map(|u| u.conflicts)
    );
}

/// One counter at `/c`, versioned `"vN"`; a PATCH with the right `If-Match` is applied. The
/// first one applied is answered `503 Retry-After: 0`, as a gateway answers when the origin
/// did the work too late.
fn busy_after_applying() -> (Server, Arc<Mutex<(u32, i64)>>) {
    let state = Arc::new(Mutex::new((1u32, 0i64)));
    let st = Arc::clone(&state);
    let answered_busy = Arc::new(Mutex::new(false));
    let s = Server::start(move |req| {
        let mut g = st.lock().unwrap();
        let etag = format!("\"v{}\"", g.0);
        let doc = |g: &(u32, i64)| json!({"_links": {"self": {"href": "/c"}}, "n": g.1});
        match req.method.as_str() {
            "GET" => Reply::new(200).header("etag", &etag).json(&doc(&g)),
            "PATCH" => {
                if req.header("if-match") != Some(etag.as_str()) {
                    return Reply::new(412).json(&json!({}));
                }
                let patch: Value = serde_json::from_slice(&req.body).unwrap();
                g.1 = patch["n"].as_i64().unwrap();
                g.0 += 1;
                let mut busy = answered_busy.lock().unwrap();
                if !*busy {
                    *busy = true;
                    return Reply::new(503).header("retry-after", "0");
                }
                Reply::new(200)
                    .header("etag", &format!("\"v{}\"", g.0))
                    .json(&doc(&g))
            }
            _ => Reply::new(405),
        }
    });
    (s, state)
}

#[test]
fn a_repeated_write_that_meets_412_after_a_busy_answer_is_not_a_conflict() {
    let (s, state) = busy_after_applying();
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .retries(2)
        .build()
        .unwrap();
    let mut r = api.using_endpoint("/c").get().unwrap();
    let increment = |d: &mut Value| d["n"] = json!(d["n"].as_i64().unwrap() + 1);
    let err = api.update(&mut r, increment).unwrap_err();
    // The busy answer stands: the repeat's 412 may be the first attempt's own doing, so update
    // neither retries nor reports success. One increment asked, one applied.
    assert!(
        matches!(&err, Error::Status(a) if a.status() == 503),
        "{err}"
    );
    assert_eq!(state.lock().unwrap().1, 1);
    assert_eq!(s.count("PATCH"), 2);
    assert_eq!((r.etag(), &r["n"]), (Some("\"v1\""), &json!(0)));
    // A plain write through follow_mut: the same, and the resource is left as it was.
    let (s, _) = busy_after_applying();
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .retries(2)
        .build()
        .unwrap();
    let mut r = api.using_endpoint("/c").get().unwrap();
    let answer = api
        .follow_mut(&mut r)
        .to("self")
        .patch(json!({"n": 1}))
        .unwrap();
    // Not a 412 (a conflict to merge or retry): the 503, as the status policy answers it.
    assert_eq!(answer.status(), 503);
    assert_eq!((r.etag(), &r["n"]), (Some("\"v1\""), &json!(0)));
}

#[test]
fn a_write_conditional_on_a_date_is_not_repeated_after_a_busy_answer() {
    // A resource with only a Last-Modified; the first PATCH is applied, then answered 503.
    let tags = Arc::new(Mutex::new(Vec::<Value>::new()));
    let st = Arc::clone(&tags);
    let answered_busy = Arc::new(Mutex::new(false));
    let s = Server::start(move |req| {
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        let doc = json!({"_links": {"self": {"href": "/t"}}, "tags": *st.lock().unwrap()});
        match req.method.as_str() {
            "GET" => Reply::new(200).header("last-modified", date).json(&doc),
            _ if req.header("if-unmodified-since") != Some(date) => Reply::new(412),
            _ => {
                st.lock().unwrap().push(json!("vip"));
                let mut busy = answered_busy.lock().unwrap();
                if !*busy {
                    *busy = true;
                    return Reply::new(503).header("retry-after", "0");
                }
                Reply::new(204).header("last-modified", date)
            }
        }
    });
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .retries(2)
        .build()
        .unwrap();
    let mut r = api.using_endpoint("/t").get().unwrap();
    let answer = api
        .follow_mut(&mut r)
        .to("self")
        .patch(halchemy::Body::value(
            json!([{"op": "add", "path": "/tags/-", "value": "vip"}]),
            "application/json-patch+json",
        ))
        .unwrap();
    assert_eq!(answer.status(), 503);
    assert_eq!(s.count("PATCH"), 1, "not repeated");
    assert_eq!(*tags.lock().unwrap(), [json!("vip")]);
}

#[test]
fn a_write_answered_with_a_date_alone_does_not_trade_the_etag_for_it() {
    // GET answers an ETag and a Last-Modified; a write's 204 only a Last-Modified (servers
    // that compute ETags from bodies do this). Dates have one-second resolution.
    let state = Arc::new(Mutex::new((1u32, json!({"a": 0, "b": 0}))));
    let st = Arc::clone(&state);
    let s = Server::start(move |req| {
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        let mut g = st.lock().unwrap();
        let etag = format!("\"v{}\"", g.0);
        match req.method.as_str() {
            "GET" => {
                let mut doc = g.1.clone();
                doc["_links"] = json!({"self": {"href": "/x"}});
                Reply::new(200)
                    .header("etag", &etag)
                    .header("last-modified", date)
                    .json(&doc)
            }
            _ => {
                let fits = match (req.header("if-match"), req.header("if-unmodified-since")) {
                    (Some(m), _) => m == etag,
                    (None, Some(d)) => d == date,
                    (None, None) => true,
                };
                if !fits {
                    return Reply::new(412);
                }
                let patch: Value = serde_json::from_slice(&req.body).unwrap();
                for (k, v) in patch.as_object().unwrap() {
                    g.1[k] = v.clone();
                }
                g.0 += 1;
                Reply::new(204).header("last-modified", date)
            }
        }
    });
    let api = api_at(&s.base_url());
    let mut mine = api.using_endpoint("/x").get().unwrap();
    api.follow_mut(&mut mine)
        .to("self")
        .patch(json!({"a": 1}))
        .unwrap();
    // Not moved to a version named by a date alone: the old data and the old ETag.
    assert_eq!((mine.etag(), &mine["a"]), (Some("\"v1\""), &json!(0)));
    let mut other = api.using_endpoint("/x").get().unwrap();
    api.follow_mut(&mut other)
        .to("self")
        .patch(json!({"b": 7}))
        .unwrap();
    let out = api.follow_mut(&mut mine).to("self").patch(json!({"b": 0}));
    assert!(matches!(out, Err(Error::PreconditionFailed(_))), "{out:?}");
    assert_eq!(state.lock().unwrap().1, json!({"a": 1, "b": 7}));
}

#[test]
fn after_a_write_applied_here_refresh_reads_the_whole_representation() {
    // An order whose links depend on its state; a PATCH is answered 200 with the full new
    // document but no Content-Location, so the client works out the new data itself.
    let status = Arc::new(Mutex::new((1u32, "new".to_owned())));
    let st = Arc::clone(&status);
    let s = Server::start(move |req| {
        let mut g = st.lock().unwrap();
        if req.method == "PATCH" {
            let patch: Value = serde_json::from_slice(&req.body).unwrap();
            g.1 = patch["status"].as_str().unwrap().to_owned();
            g.0 += 1;
        }
        let etag = format!("\"v{}\"", g.0);
        if req.method == "GET" && req.header("if-none-match") == Some(etag.as_str()) {
            return Reply::new(304).header("etag", &etag);
        }
        let next = if g.1 == "new" { "pay" } else { "ship" };
        let mut links = json!({"self": {"href": "/orders/1"}});
        links[next] = json!({"href": format!("/orders/1/{next}")});
        Reply::new(200)
            .header("etag", &etag)
            .json(&json!({"_links": links, "status": g.1}))
    });
    let api = api_at(&s.base_url());
    let mut order = api.using_endpoint("/orders/1").get().unwrap();
    api.follow_mut(&mut order)
        .to("self")
        .patch(json!({"status": "paid"}))
        .unwrap();
    assert_eq!(order["status"], "paid");
    // The links the server keeps itself are only known once it is read again, and refresh
    // does read it, whatever the ETag says.
    assert_eq!(
        api.refresh(&mut order).unwrap(),
        halchemy::Refresh::Replaced
    );
    assert_eq!(s.last().header("if-none-match"), None);
    assert!(order.has_rel("ship") && !order.has_rel("pay"), "{order}");
    // Read from the server, it is conditional again.
    assert_eq!(
        api.refresh(&mut order).unwrap(),
        halchemy::Refresh::NotModified
    );
}

#[test]
fn a_put_through_a_resource_without_validators_shows_its_body() {
    let s = Server::start(|req| match req.method.as_str() {
        "GET" => {
            Reply::new(200).json(&json!({"_links": {"self": {"href": "/items/1"}}, "name": "A"}))
        }
        _ => Reply::new(204),
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/items/1").get().unwrap();
    api.follow_mut(&mut r)
        .to("self")
        .put(json!({"name": "B"}))
        .unwrap();
    assert_eq!(r["name"], "B");
    assert_eq!(r.etag(), None);
}
