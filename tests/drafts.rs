//! Drafts made with `data_mut` against servers whose ETags are per-item version numbers (two
//! items can carry the same ETag): a draft never carries a version to another resource, and
//! every write applies to the version read.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use halchemy::{Api, Refresh};
use halchemy_testserver::http::{Reply, Server};
use halchemy_testserver::store::{HalServer, Options};
use serde_json::{Map, Value, json};

fn api_at(base: &str) -> Api {
    Api::builder()
        .base_url(base)
        .no_config_file()
        .no_proxy()
        .update_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap()
}

type Items = Arc<Mutex<BTreeMap<String, (u32, Map<String, Value>)>>>;

/// A compare-and-swap server whose ETags are per-item version numbers (`"1"`, `"2"`, as Spring
/// Data REST, JPA `@Version` or a row version give them): two items can carry the same ETag.
/// `GET /items` embeds every item with its `_etag` field and `self` link.
fn versioned(items: &[(&str, u32, Value)]) -> (Server, Items) {
    let state: Items = Arc::new(Mutex::new(
        items
            .iter()
            .map(|(id, v, d)| (id.to_string(), (*v, d.as_object().unwrap().clone())))
            .collect(),
    ));
    let st = Arc::clone(&state);
    let server = Server::start(move |req| {
        let mut st = st.lock().unwrap();
        let render = |id: &str, v: u32, d: &Map<String, Value>| {
            let mut doc = d.clone();
            doc.insert("_etag".into(), json!(v.to_string()));
            doc.insert(
                "_links".into(),
                json!({"self": {"href": format!("/items/{id}")}}),
            );
            Value::Object(doc)
        };
        let path = req.path().to_owned();
        if path == "/items" && req.method == "GET" {
            let embedded: Vec<Value> = st.iter().map(|(id, (v, d))| render(id, *v, d)).collect();
            return Reply::new(200).json(&json!({
                "_links": {"self": {"href": "/items"}},
                "_embedded": {"items": embedded}
            }));
        }
        let Some(id) = path.strip_prefix("/items/") else {
            return Reply::new(404).json(&json!({}));
        };
        let Some((v, d)) = st.get_mut(id) else {
            return Reply::new(404).json(&json!({}));
        };
        let tag = format!("\"{v}\"");
        match req.method.as_str() {
            "GET" => {
                if req.header("if-none-match") == Some(tag.as_str()) {
                    return Reply::new(304).header("etag", &tag);
                }
                Reply::new(200)
                    .header("etag", &tag)
                    .json(&render(id, *v, d))
            }
            "PUT" | "PATCH" => {
                match req.header("if-match") {
                    None => return Reply::new(428).json(&json!({})),
                    Some(m) if m.trim_matches('"') != v.to_string() => {
                        return Reply::new(412).json(&json!({}));
                    }
                    _ => {}
                }
                let body: Map<String, Value> = serde_json::from_slice(&req.body).unwrap();
                if req.method == "PUT" {
                    d.clear();
                }
                for (k, val) in body {
                    if k.starts_with('_') {
                        continue;
                    }
                    if val.is_null() {
                        d.remove(&k);
                    } else {
                        d.insert(k, val);
                    }
                }
                *v += 1;
                Reply::new(204).header("etag", &format!("\"{v}\""))
            }
            _ => Reply::new(405),
        }
    });
    (server, state)
}

fn name_of(state: &Items, id: &str) -> Value {
    state.lock().unwrap()[id].1["name"].clone()
}

/// Items of a drafted page are paired with the version read by their `self` link, not by
/// position: after a draft removed item a, item b keeps b's ETag, and `update` of b meets the
/// other client's change of b as a conflict, never overwriting it.
#[test]
fn items_of_a_page_whose_draft_removed_an_item_keep_their_own_version() {
    let (s, state) = versioned(&[
        ("a", 2, json!({"name": "Ann"})),
        ("b", 1, json!({"name": "Bob"})),
    ]);
    let api = api_at(&s.base_url());
    let mut page = api.using_endpoint("/items").get().unwrap();
    // Filter the page locally: keep only b.
    page.data_mut()["_embedded"]["items"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    let mut items = page.embedded_many("items").unwrap();
    let b = &mut items[0];
    assert_eq!(b["_links"]["self"]["href"], "/items/b");
    // The one-version promise, locally: b's data next to a's ETag.
    let one_version = b.etag() == Some("1") || b.etag().is_none();
    // Another client renames b: b is now at version 2 (name Max).
    let mut other = api.using_endpoint("/items/b").get().unwrap();
    api.follow_mut(&mut other)
        .to("self")
        .patch(json!({"name": "Max"}))
        .unwrap();
    let out = api.update(b, |d| d["visits"] = json!(1));
    let now = name_of(&state, "b");
    assert!(
        one_version,
        "b's data next to another version's etag {:?}",
        b.etag()
    );
    assert_eq!(out.as_ref().map(|u| u.conflicts).ok(), Some(1), "{out:?}");
    assert!(
        now == "Max",
        "update returned Ok and b's name is {now}: Max was overwritten (item etag {:?}, draft {:?}, etag paired with b's data: {})",
        b.etag(),
        b.draft(),
        one_version
    );
}

/// The same, without a server: an unedited item of a reordered page has no draft and its own
/// ETag.
#[test]
fn an_unedited_item_of_a_reordered_page_keeps_its_own_version() {
    let mut page = halchemy::Resource::from(json!({"_embedded": {"items": [
        {"_links": {"self": {"href": "/items/a"}}, "_etag": "ea", "name": "Ann"},
        {"_links": {"self": {"href": "/items/b"}}, "_etag": "eb", "name": "Bob"}
    ]}}));
    page.data_mut()["_embedded"]["items"]
        .as_array_mut()
        .unwrap()
        .reverse();
    let items = page.embedded_many("items").unwrap();
    let b = &items[0];
    assert_eq!(b["_links"]["self"]["href"], "/items/b");
    assert_ne!(
        b.etag(),
        Some("ea"),
        "b, untouched, is paired with a's version (draft shown: {:?})",
        b.draft()
    );
}

/// A draft that changes `_links.self` does not move the resource's own URL: `update` writes to
/// the URL of the version read, and no other resource gets its validators.
#[test]
fn a_draft_that_moves_self_keeps_the_validators_at_the_version_read() {
    let (s, state) = versioned(&[
        ("a", 2, json!({"name": "Ann"})),
        ("b", 1, json!({"name": "Bob"})),
    ]);
    let api = api_at(&s.base_url());
    let mut a = api.using_endpoint("/items/a").get().unwrap();
    assert_eq!(a.etag(), Some("\"2\""));
    // Another client renames b: b at version 2.
    let mut other = api.using_endpoint("/items/b").get().unwrap();
    api.follow_mut(&mut other)
        .to("self")
        .patch(json!({"name": "Max"}))
        .unwrap();
    a.data_mut()["_links"]["self"]["href"] = json!("/items/b");
    let out = api.update(&mut a, |d| d["name"] = json!("Zed"));
    let last = s.last();
    let now = name_of(&state, "b");
    assert_eq!(
        (last.method.as_str(), last.target.as_str()),
        ("PATCH", "/items/a")
    );
    assert_eq!(name_of(&state, "a"), "Zed");
    assert!(
        out.is_ok() && now == "Max",
        "{} {} with if-match {:?} (a's ETag) returned Ok: b's Max is now {now}",
        last.method,
        last.target,
        last.header("if-match")
    );
}

/// A successful PUT of a drafted resource keeps the HAL parts of the version read, not the
/// draft's: under the new ETag the data is the server's version.
#[test]
fn a_put_of_a_drafted_resource_keeps_the_hal_parts_of_the_version_read() {
    let s = HalServer::start(Options::default());
    s.put("/items/1", json!({"a": 1}));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/items/1").get().unwrap();
    r.data_mut()["_links"]["next"] = json!({"href": "/items/2"});
    api.follow_mut(&mut r)
        .to("self")
        .put(json!({"a": 2}))
        .unwrap();
    assert_eq!(r.draft(), None);
    let server = api.using_endpoint("/items/1").get().unwrap();
    assert_eq!(r.etag(), server.etag());
    assert_eq!(
        r.data(),
        server.data(),
        "same ETag, no draft: yet not the server's version"
    );
    // Worked out here, so refresh reads it whole: the same version.
    assert_eq!(api.refresh(&mut r).unwrap(), Refresh::Replaced);
    assert_eq!((r.etag(), r.data()), (server.etag(), server.data()));
}

/// A resource whose etag field cannot be sent as a header (a control character) is refused a
/// write, before and after a draft: the ETag is never dropped to let the write go out blind.
#[test]
fn an_unsendable_etag_is_refused_with_or_without_a_draft() {
    let state = Arc::new(Mutex::new(json!({"name": "Kim"})));
    let st = Arc::clone(&state);
    let s = Server::start(move |req| {
        let mut st = st.lock().unwrap();
        match req.method.as_str() {
            "GET" => {
                let mut doc = st.clone();
                doc["_etag"] = json!("v1\u{1}");
                doc["_links"] = json!({"self": {"href": "/items/1"}});
                Reply::new(200).json(&doc)
            }
            "PUT" => {
                if req.header("if-match").is_some() {
                    return Reply::new(412).json(&json!({}));
                }
                *st = serde_json::from_slice(&req.body).unwrap();
                Reply::new(204)
            }
            _ => Reply::new(405),
        }
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/items/1").get().unwrap();
    assert!(r.etag().is_some());
    // Without a draft the write is refused before anything is sent.
    let refused = api
        .follow_mut(&mut r)
        .to("self")
        .put(json!({"name": "Lee"}));
    assert!(refused.is_err(), "{refused:?}");
    // Another client changes the name meanwhile.
    *state.lock().unwrap() = json!({"name": "Max"});
    r.data_mut()["name"] = json!("Lee");
    let body = r.data().clone();
    let out = api.follow_mut(&mut r).to("self").put(body);
    let now = state.lock().unwrap()["name"].clone();
    assert!(
        out.is_err() || now == "Max",
        "Ok with if-match {:?}: Max was overwritten with {now}",
        s.last().header("if-match")
    );
}

// ------------------------------------------------------------ probes that held up

fn other_patch(api: &Api, patch: Value) {
    let mut other = api.using_endpoint("/items/1").get().unwrap();
    api.follow_mut(&mut other).to("self").patch(patch).unwrap();
}

#[test]
fn a_nested_draft_merges_and_a_removal_against_a_change_conflicts() {
    use halchemy::{Error, UpdateOptions};
    for merge_on_conflict in [false, true] {
        let opts = if merge_on_conflict {
            UpdateOptions::new().merge_on_conflict()
        } else {
            UpdateOptions::new()
        };
        let s = HalServer::start(Options::default());
        s.put(
            "/items/1",
            json!({"addr": {"city": "A", "zip": 1}, "tags": [1], "x": 1, "n": 0}),
        );
        let api = api_at(&s.base_url());
        // nested: my city, their zip
        let mut r = api.using_endpoint("/items/1").get().unwrap();
        r.data_mut()["addr"]["city"] = json!("B");
        other_patch(&api, json!({"addr": {"zip": 2}}));
        api.update_with(&mut r, &opts, |d| {
            d["n"] = json!(d["n"].as_i64().unwrap() + 1)
        })
        .unwrap();
        assert_eq!(
            s.current("/items/1").unwrap().data["addr"],
            json!({"city": "B", "zip": 2})
        );
        assert_eq!(r.draft(), None);
        // removal in my draft vs their change of the same field
        let mut r = api.using_endpoint("/items/1").get().unwrap();
        r.data_mut().as_object_mut().unwrap().remove("x");
        other_patch(&api, json!({"x": 5}));
        let before = s.current("/items/1").unwrap();
        let out = api.update_with(&mut r, &opts, |d| d["n"] = json!(7));
        assert!(matches!(out, Err(Error::MergeConflicts(_))), "{out:?}");
        assert_eq!(s.current("/items/1").unwrap(), before);
        assert_eq!(r.draft(), Some(json!({"x": null})));
        // arrays whole-value
        let mut r = api.using_endpoint("/items/1").get().unwrap();
        r.data_mut()["tags"] = json!([1, 2]);
        other_patch(&api, json!({"tags": [0, 1]}));
        let before = s.current("/items/1").unwrap();
        let out = api.update_with(&mut r, &opts, |d| d["n"] = json!(8));
        assert!(matches!(out, Err(Error::MergeConflicts(_))), "{out:?}");
        assert_eq!(s.current("/items/1").unwrap(), before);
        assert_eq!(r["tags"], json!([1, 2]));
    }
}

#[test]
fn refresh_304_keeps_the_draft_and_200_drops_it() {
    let s = HalServer::start(Options::default());
    s.put("/items/1", json!({"a": 1}));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/items/1").get().unwrap();
    r.data_mut()["a"] = json!(2);
    let etag = r.etag().map(str::to_owned);
    assert_eq!(api.refresh(&mut r).unwrap(), Refresh::NotModified);
    assert_eq!(
        (r.draft(), r.etag().map(str::to_owned)),
        (Some(json!({"a": 2})), etag)
    );
    other_patch(&api, json!({"b": 1}));
    assert_eq!(api.refresh(&mut r).unwrap(), Refresh::Replaced);
    assert_eq!(r.draft(), None);
    assert_eq!(r["a"], 1);
}

#[test]
fn a_network_error_after_the_patch_restores_the_old_version_and_the_draft() {
    use halchemy_testserver::http::Next;
    use std::io::Write;
    let state = Arc::new(Mutex::new((1u32, json!({"a": 1, "n": 0}))));
    let st = Arc::clone(&state);
    let s = Server::raw(move |req, stream| {
        let mut st = st.lock().unwrap();
        let tag = format!("\"{}\"", st.0);
        match req.method.as_str() {
            "GET" => {
                let mut d = st.1.clone();
                d["_links"] = json!({"self": {"href": "/items/1"}});
                let _ = stream.write_all(&Reply::new(200).header("etag", &tag).json(&d).to_bytes());
                Next::KeepAlive
            }
            _ => {
                if req.header("if-match") == Some(tag.as_str()) {
                    let p: Value = serde_json::from_slice(&req.body).unwrap();
                    halchemy_merge(&mut st.1, &p);
                    st.0 += 1;
                }
                // applied, then the connection drops before any answer
                Next::Close
            }
        }
    });
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/items/1").get().unwrap();
    r.data_mut()["a"] = json!(2);
    let out = api.update(&mut r, |d| d["n"] = json!(1));
    assert!(out.is_err());
    assert_eq!(r.etag(), Some("\"1\""));
    assert_eq!(r.draft(), Some(json!({"a": 2})));
    // the next update fails safe (412 -> merge), never pairing version 1 with version 2's data
    assert_eq!(state.lock().unwrap().1, json!({"a": 2, "n": 1}));
}

fn halchemy_merge(t: &mut Value, p: &Value) {
    for (k, v) in p.as_object().unwrap() {
        if v.is_null() {
            t.as_object_mut().unwrap().remove(k);
        } else {
            t[k] = v.clone();
        }
    }
}

#[test]
fn a_deleted_resource_with_a_draft_fails_safe() {
    let s = HalServer::start(Options::default());
    s.put("/items/1", json!({"a": 1}));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/items/1").get().unwrap();
    api.follow_mut(&mut r).to("self").delete().unwrap();
    r.data_mut()["a"] = json!(2);
    assert!(api.update(&mut r, |d| d["b"] = json!(1)).is_err());
    assert_eq!(r["a"], 2);
    assert!(api.refresh(&mut r).is_err());
    // someone else recreates it; our recreate must fail
    s.put("/items/1", json!({"a": 9}));
    let body = r.data().clone();
    let out = api.follow_mut(&mut r).to("self").put(body);
    assert!(out.is_err(), "{out:?}");
    assert_eq!(s.current("/items/1").unwrap().data, json!({"a": 9}));
    // update now refreshes (no validators) and merges the draft into the recreated version
    let out = api.update(&mut r, |d| d["b"] = json!(1));
    let now = s.current("/items/1").unwrap().data;
    assert!(
        out.is_err() || now["a"] == 9 || now["a"] == 2,
        "{out:?} {now}"
    );
    eprintln!("after recreate: {out:?} server {now}");
}

/// `embedded_one` of a drafted resource whose draft put another resource in the rel: the new
/// owner is not paired with the old owner's ETag.
#[test]
fn a_replaced_embedded_object_does_not_take_the_old_objects_etag() {
    let mut order = halchemy::Resource::from(json!({"_embedded": {"owner":
        {"_links": {"self": {"href": "/people/a"}}, "_etag": "ea", "name": "Ann"}}}));
    order.data_mut()["_embedded"]["owner"] =
        json!({"_links": {"self": {"href": "/people/b"}}, "_etag": "eb", "name": "Bob"});
    let owner = order.embedded_one("owner").unwrap();
    assert_eq!(owner["_links"]["self"]["href"], "/people/b");
    assert_ne!(owner.etag(), Some("ea"), "Bob paired with Ann's version");
}

/// An Eve-like server: GET sends `ETag: "vN"` and the field `_etag: vN`, compares tags with
/// their quotes stripped, and answers a PATCH with Eve's excerpt (with or without an ETag
/// header). It computes `shout`, and its `next` link depends on the version.
fn eve_like(etag_header_on_patch: bool) -> halchemy_testserver::Server {
    use halchemy_testserver::Reply;
    let state = std::sync::Arc::new(std::sync::Mutex::new((1u32, json!({"name": "kim"}))));
    halchemy_testserver::Server::start(move |req| {
        let mut g = state.lock().unwrap();
        let tag = format!("v{}", g.0);
        let bare = |v: Option<&str>| v.map(|v| v.trim_matches('"').to_owned());
        match req.method.as_str() {
            "GET" if bare(req.header("if-none-match")) == Some(tag.clone()) => {
                Reply::new(304).header("etag", &format!("\"{tag}\""))
            }
            "GET" => {
                let mut d = g.1.clone();
                d["_etag"] = json!(tag);
                d["shout"] = json!(g.1["name"].as_str().unwrap().to_uppercase());
                d["_links"] = json!({"self": {"href": "/people/1"},
                    "next": {"href": format!("/people/1/step{}", g.0)}});
                Reply::new(200)
                    .header("etag", &format!("\"{tag}\""))
                    .json(&d)
            }
            _ if bare(req.header("if-match")) != Some(tag) => Reply::new(412),
            _ => {
                let patch: Value = serde_json::from_slice(&req.body).unwrap();
                for (k, v) in patch.as_object().unwrap() {
                    g.1[k] = v.clone();
                }
                g.0 += 1;
                let tag = format!("v{}", g.0);
                let answer = Reply::new(200);
                let answer = match etag_header_on_patch {
                    true => answer.header("etag", &format!("\"{tag}\"")),
                    false => answer,
                };
                answer.json(&json!({"_etag": tag, "_status": "OK",
                    "_links": {"self": {"href": "/people/1"}}}))
            }
        }
    })
}

#[test]
fn refresh_after_a_write_worked_out_here_keeps_a_draft_on_the_servers_version() {
    for etag_header in [false, true] {
        let s = eve_like(etag_header);
        let api = api_at(&s.base_url());
        let mut r = api.using_endpoint("/people/1").get().unwrap();
        api.follow_mut(&mut r)
            .to("self")
            .patch(json!({"name": "lee"}))
            .unwrap();
        r.data_mut()["note"] = json!("my unsent edit");
        assert_eq!(api.refresh(&mut r).unwrap(), Refresh::Replaced);
        // The draft stays, on top of what the server has: its computed field and its link.
        assert_eq!(
            r.draft(),
            Some(json!({"note": "my unsent edit"})),
            "{etag_header}"
        );
        assert_eq!((&r["shout"], &r["name"]), (&json!("LEE"), &json!("lee")));
        assert!(
            r.data()["_links"]["next"]["href"]
                .as_str()
                .unwrap()
                .ends_with("step2")
        );
        // And it is sent by the next update.
        api.update(&mut r, |_| {}).unwrap();
        assert_eq!(r.draft(), None);
    }
}

#[test]
fn items_of_a_page_written_here_refresh_conditionally() {
    let s = halchemy_testserver::Server::start(|req| {
        match (req.method.as_str(), req.path()) {
        ("GET", "/items/1") if req.header("if-none-match") == Some("i1") => {
            halchemy_testserver::Reply::new(304)
        }
        ("GET", "/items/1") => halchemy_testserver::Reply::new(200)
            .json(&json!({"_etag": "i1", "_links": {"self": {"href": "/items/1"}}})),
        ("GET", _) => halchemy_testserver::Reply::new(200)
            .header("etag", "\"p1\"")
            .json(&json!({"_links": {"self": {"href": "/page"}}, "title": "a",
                "_embedded": {"items": [{"_etag": "i1", "_links": {"self": {"href": "/items/1"}}}]}})),
        _ => halchemy_testserver::Reply::new(204).header("etag", "\"p2\""),
    }
    });
    let api = api_at(&s.base_url());
    let mut page = api.using_endpoint("/page").get().unwrap();
    api.follow_mut(&mut page)
        .to("self")
        .patch(json!({"title": "b"}))
        .unwrap();
    let mut item = page.embedded_many("items").unwrap().remove(0);
    assert_eq!(api.refresh(&mut item).unwrap(), Refresh::NotModified);
    assert_eq!(s.last().header("if-none-match"), Some("i1"));
}

#[test]
fn a_draft_made_after_a_write_survives_refresh_on_a_server_with_dates_only_and_keeps_its_nulls() {
    use halchemy_testserver::store::Validators;
    // Dates only: the version is named by Last-Modified.
    let s = HalServer::start(Options {
        validators: Validators::LastModifiedOnly,
        ..Options::default()
    });
    s.put("/items/1", json!({"a": 1, "b": 1}));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/items/1").get().unwrap();
    api.follow_mut(&mut r)
        .to("self")
        .patch(json!({"a": 2}))
        .unwrap();
    r.data_mut()["b"] = json!("my draft");
    api.refresh(&mut r).unwrap();
    assert_eq!(r.draft(), Some(json!({"b": "my draft"})));
    // Entity tags: a draft that sets a field to null keeps the null.
    let s = HalServer::start(Options::default());
    s.put("/items/1", json!({"a": 1, "b": 1}));
    let api = api_at(&s.base_url());
    let mut r = api.using_endpoint("/items/1").get().unwrap();
    api.follow_mut(&mut r)
        .to("self")
        .patch(json!({"b": 11}))
        .unwrap();
    r.data_mut()["a"] = Value::Null;
    api.refresh(&mut r).unwrap();
    assert_eq!(r.data().get("a"), Some(&Value::Null), "{r}");
    assert_eq!(r["b"], 11);
}
