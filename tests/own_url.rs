//! Which writes carry a resource's precondition: every spelling of its own URL, templated
//! `self` links (as APIs with projections write them), and what does not count as the
//! caller's own precondition. Each test fails if a write to the resource's own URL goes out
//! unconditionally, or a concurrent update is lost with `Ok`.

use std::sync::{Arc, Mutex};

use halchemy::{Api, Error, Resource};
use halchemy_testserver::{Reply, Server};
use serde_json::{Value, json};

fn api(s: &Server) -> Api {
    Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap()
}

/// `/items` embeds the one item `/items/1`, whose `self` link is templated with an optional
/// query variable (`/items/1{?projection}`) and whose version is its `_etag` (`e1`, `e2`...;
/// the ETag header quotes it). A PATCH of `/items/1` checks `If-Match` when one is sent and
/// applies unconditionally otherwise, as many servers do.
fn projection_server() -> (Server, Arc<Mutex<(u32, Value)>>) {
    let state = Arc::new(Mutex::new((1u32, json!({"name": "orig", "note": ""}))));
    let st = Arc::clone(&state);
    let s = Server::start(move |req| {
        let mut g = st.lock().unwrap();
        let etag = format!("e{}", g.0);
        let item = |g: &(u32, Value)| {
            let mut d = g.1.clone();
            d["_etag"] = json!(format!("e{}", g.0));
            d["_links"] = json!({"self": {"href": "/items/1{?projection}", "templated": true}});
            d
        };
        match (req.method.as_str(), req.path()) {
            ("GET", "/items") => Reply::new(200).json(&json!({
                "_links": {"self": {"href": "/items"}},
                "_embedded": {"items": [item(&g)]}
            })),
            ("GET", "/items/1") => Reply::new(200)
                .header("etag", &format!("\"{etag}\""))
                .json(&item(&g)),
            ("PATCH", "/items/1") => {
                if let Some(m) = req.header("if-match")
                    && m.trim_matches('"') != etag
                {
                    return Reply::new(412).json(&json!({}));
                }
                let p: Value = serde_json::from_slice(&req.body).unwrap();
                for (k, v) in p.as_object().unwrap() {
                    g.1[k] = v.clone();
                }
                g.0 += 1;
                Reply::new(200).json(&item(&g))
            }
            _ => Reply::new(404),
        }
    });
    (s, state)
}

/// Another client renames the item.
fn someone_renames(api: &Api) {
    let mut other = api.using_endpoint("/items/1").get().unwrap();
    api.follow_mut(&mut other)
        .to("self")
        .patch(json!({"name": "theirs"}))
        .unwrap();
}

#[test]
fn an_item_with_a_templated_self_link_is_written_with_its_precondition() {
    let (s, state) = projection_server();
    let api = api(&s);
    let page = api.using_endpoint("/items").get().unwrap();
    let mut item = page.embedded_many("items").unwrap().remove(0);
    assert_eq!(item.etag(), Some("e1"));
    someone_renames(&api);
    s.clear();
    let out = api
        .follow_mut(&mut item)
        .to("self")
        .patch(json!({"name": "mine"}));
    assert_eq!(s.last().target, "/items/1");
    assert_eq!(s.last().header("if-match"), Some("e1"));
    assert!(matches!(out, Err(Error::PreconditionFailed(_))), "{out:?}");
    assert_eq!(state.lock().unwrap().1["name"], "theirs");
    // The failed write left the item as it was.
    assert_eq!((item.etag(), &item["name"]), (Some("e1"), &json!("orig")));
}

#[test]
fn a_write_with_values_for_the_optional_variables_of_a_templated_self_is_conditional() {
    let (s, _) = projection_server();
    let api = api(&s);
    let page = api.using_endpoint("/items").get().unwrap();
    let mut item = page.embedded_many("items").unwrap().remove(0);
    someone_renames(&api);
    let out = api
        .follow_mut(&mut item)
        .to("self")
        .with_template_values(json!({"projection": "full"}))
        .patch(json!({"name": "mine"}));
    assert_eq!(s.last().target, "/items/1?projection=full");
    assert_eq!(s.last().header("if-match"), Some("e1"));
    assert!(matches!(out, Err(Error::PreconditionFailed(_))), "{out:?}");
}

#[test]
fn a_resource_read_with_a_projection_is_written_with_its_precondition() {
    let (s, state) = projection_server();
    let api = api(&s);
    let mut r = api
        .using_endpoint("/items/1")
        .with_parameters(json!({"projection": "full"}))
        .get()
        .unwrap();
    assert_eq!(r.etag(), Some("\"e1\""));
    someone_renames(&api);
    s.clear();
    let out = api
        .follow_mut(&mut r)
        .to("self")
        .patch(json!({"name": "mine"}));
    assert_eq!(s.last().target, "/items/1");
    assert_eq!(s.last().header("if-match"), Some("\"e1\""));
    assert!(matches!(out, Err(Error::PreconditionFailed(_))), "{out:?}");
    assert_eq!(state.lock().unwrap().1["name"], "theirs");
}

#[test]
fn update_of_an_item_whose_only_self_link_is_templated_sends_nothing() {
    // Without the URL it was read from, the item's own URL is not known: `/items/1` is a
    // guess that a template like `/people{?id}` would get wrong.
    let (s, state) = projection_server();
    let api = api(&s);
    let page = api.using_endpoint("/items").get().unwrap();
    let mut item = page.embedded_many("items").unwrap().remove(0);
    s.clear();
    let err = api
        .update(&mut item, |d| d["note"] = json!("mine"))
        .unwrap_err();
    assert!(
        matches!(&err, Error::MalformedHal(m) if m.contains("templated")),
        "{err}"
    );
    assert_eq!(s.requests().len(), 0, "nothing is sent");
    assert!(api.refresh(&mut item).is_err());
    assert_eq!((item.etag(), &item["note"]), (Some("e1"), &json!("")));
    assert_eq!(state.lock().unwrap().1["note"], "");
}

#[test]
fn a_success_through_a_templated_self_link_leaves_the_resource_as_it_was() {
    let (s, state) = projection_server();
    let api = api(&s);
    let page = api.using_endpoint("/items").get().unwrap();
    let mut item = page.embedded_many("items").unwrap().remove(0);
    let answer = api
        .follow_mut(&mut item)
        .to("self")
        .patch(json!({"name": "mine"}))
        .unwrap();
    assert_eq!(s.last().header("if-match"), Some("e1"));
    assert_eq!(answer.status(), 200);
    assert_eq!(state.lock().unwrap().1["name"], "mine");
    // Maybe the item, maybe not: it is not brought forward, and its next write fails safe.
    assert_eq!((item.etag(), &item["name"]), (Some("e1"), &json!("orig")));
    let again = api
        .follow_mut(&mut item)
        .to("self")
        .patch(json!({"note": "x"}));
    assert!(
        matches!(again, Err(Error::PreconditionFailed(_))),
        "{again:?}"
    );
}

/// People at `/people?id=N` (the `id` variable of the templated `self` link `/people{?id}`
/// names the person) beside the directory at `/people`; every write with `If-Match` is
/// compare-and-swap, and each person links its spouse.
fn people_server() -> (Server, Arc<Mutex<Value>>) {
    let state = Arc::new(Mutex::new(json!({
        "dir": {"v": 1, "doc": {"count": 2}},
        "7": {"v": 1, "doc": {"name": "Ann", "n": 1}},
        "8": {"v": 1, "doc": {"name": "Bob", "n": 1}},
    })));
    let st = Arc::clone(&state);
    let s = Server::start(move |req| {
        let mut g = st.lock().unwrap();
        let id = req
            .query()
            .into_iter()
            .find(|(k, _)| k == "id")
            .map_or("dir".to_owned(), |(_, v)| v);
        let Some(entry) = g.get_mut(&id) else {
            return Reply::new(404);
        };
        let etag = format!("\"{id}-v{}\"", entry["v"]);
        let shown = |entry: &Value| {
            let mut d = entry["doc"].clone();
            d["_links"] = match id.as_str() {
                "dir" => json!({"self": {"href": "/people"}}),
                "7" => json!({"self": {"href": "/people{?id}", "templated": true},
                              "spouse": {"href": "/people?id=8"}}),
                _ => json!({"self": {"href": "/people{?id}", "templated": true}}),
            };
            d
        };
        if req.method == "GET" {
            return Reply::new(200).header("etag", &etag).json(&shown(entry));
        }
        if req.header("if-match").is_some_and(|m| m != etag) {
            return Reply::new(412);
        }
        if req.method == "PATCH" || req.method == "PUT" {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            for (k, v) in body.as_object().unwrap() {
                entry["doc"][k] = v.clone();
            }
        }
        entry["v"] = json!(entry["v"].as_u64().unwrap() + 1);
        let etag = format!("\"{id}-v{}\"", entry["v"]);
        Reply::new(200).header("etag", &etag).json(&shown(entry))
    });
    (s, state)
}

fn person(api: &Api, id: u32) -> Resource {
    api.using_endpoint("/people")
        .with_parameters(json!({"id": id}))
        .get()
        .unwrap()
}

#[test]
fn update_and_refresh_of_a_resource_read_through_its_templated_self_use_the_url_read() {
    let (s, state) = people_server();
    let api = api(&s);
    let mut ann = person(&api, 7);
    s.clear();
    api.update(&mut ann, |d| d["n"] = json!(d["n"].as_i64().unwrap() + 1))
        .unwrap();
    let q = s.last();
    assert_eq!(
        (q.method.as_str(), q.target.as_str()),
        ("PATCH", "/people?id=7")
    );
    assert_eq!(q.header("if-match"), Some("\"7-v1\""));
    assert_eq!(state.lock().unwrap()["7"]["doc"]["n"], 2);
    assert_eq!(
        state.lock().unwrap()["dir"]["v"],
        1,
        "the directory is untouched"
    );
    assert_eq!((ann.etag(), &ann["n"]), (Some("\"7-v2\""), &json!(2)));
    api.refresh(&mut ann).unwrap();
    assert_eq!(s.last().target, "/people?id=7");
    assert_eq!(
        (ann.etag(), &ann["name"]),
        (Some("\"7-v2\""), &json!("Ann"))
    );
}

#[test]
fn a_write_to_another_resource_the_template_could_name_carries_no_precondition() {
    let (s, state) = people_server();
    let api = api(&s);
    let mut ann = person(&api, 7);
    let before = (ann.etag().map(str::to_owned), ann.data().clone());
    api.follow_mut(&mut ann)
        .to("spouse")
        .put(json!({"name": "Bobby"}))
        .unwrap();
    assert_eq!(s.last().target, "/people?id=8");
    assert_eq!(s.last().header("if-match"), None);
    assert_eq!(state.lock().unwrap()["8"]["doc"]["name"], "Bobby");
    assert_eq!((ann.etag().map(str::to_owned), ann.data().clone()), before);
    // Through `self` with another person's id: her precondition goes along (the write fails
    // rather than overwrite blindly), and she never takes his data.
    let out = api
        .follow_mut(&mut ann)
        .to("self")
        .with_template_values(json!({"id": 8}))
        .put(json!({"name": "Ann's"}));
    assert_eq!(s.last().header("if-match"), Some("\"7-v1\""));
    assert!(matches!(out, Err(Error::PreconditionFailed(_))), "{out:?}");
    assert_eq!((ann.etag().map(str::to_owned), ann.data().clone()), before);
}

#[test]
fn a_self_link_templated_in_its_path_names_no_own_url() {
    let s = Server::start(|_| Reply::new(204));
    let api = api(&s);
    let page = Resource::from(json!({"_embedded": {"items": [
        {"_links": {"self": {"href": "/items/{id}", "templated": true}}, "_etag": "e1", "n": 1}
    ]}}));
    let mut item = page.embedded_many("items").unwrap().remove(0);
    let err = api.update(&mut item, |d| d["n"] = json!(2)).unwrap_err();
    assert!(
        matches!(&err, Error::MalformedHal(m) if m.contains("templated")),
        "{err}"
    );
    assert_eq!(s.requests().len(), 0, "nothing is sent");
    assert_eq!(item["n"], 1);
}

#[test]
fn every_spelling_of_the_own_url_carries_the_precondition() {
    let s = Server::start(|req| match req.method.as_str() {
        "GET" => Reply::new(200)
            .header("etag", "\"v1\"")
            .json(&json!({"_links": {"self": {"href": "/a~b"}}, "n": 1})),
        _ => Reply::new(204).header("etag", "\"v2\""),
    });
    let api = api(&s);
    let port = s.port();
    let own = [
        "/a~b".to_owned(),
        "/a%7Eb".to_owned(),
        "/a%7eb".to_owned(),
        "/%61~b".to_owned(),
        format!("HTTP://127.0.0.1:{port}/a~b"),
        "/x/../a~b".to_owned(),
    ];
    for href in own {
        let r = api.using_endpoint("/a~b").get().unwrap();
        let mut linked = r.clone();
        linked.data_mut()["_links"]["edit"] = json!({"href": href});
        let _ = api.follow(&linked).to("edit").put(json!({"n": 2})).unwrap();
        assert_eq!(s.last().header("if-match"), Some("\"v1\""), "edit = {href}");
    }
    // Another resource: no precondition.
    let r = api.using_endpoint("/a~b").get().unwrap();
    let mut linked = r.clone();
    linked.data_mut()["_links"]["edit"] = json!({"href": "/a%7Fb"});
    api.follow(&linked).to("edit").put(json!({"n": 2})).unwrap();
    assert_eq!(s.last().header("if-match"), None);
}

#[test]
fn if_modified_since_on_a_write_is_not_the_callers_precondition() {
    let s = Server::start(|req| match req.method.as_str() {
        "GET" => Reply::new(200)
            .header("etag", "\"v2\"")
            .json(&json!({"_links": {"self": {"href": "/a"}}, "n": 2})),
        // Someone else's write made v2 before ours.
        _ if req.header("if-match") == Some("\"v2\"") => Reply::new(204),
        _ if req.header("if-match").is_some() => Reply::new(412),
        _ => Reply::new(204),
    });
    let api = api(&s);
    let mut r =
        Resource::from(json!({"_links": {"self": {"href": "/a"}}, "_etag": "\"v1\"", "n": 1}));
    let out = api
        .follow_mut(&mut r)
        .to("self")
        .with_headers([("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")])
        .patch(json!({"n": 5}));
    assert_eq!(s.last().header("if-match"), Some("\"v1\""));
    assert!(matches!(out, Err(Error::PreconditionFailed(_))), "{out:?}");
    assert_eq!(r["n"], 1);
}

#[test]
fn a_write_to_an_own_url_with_parameters_added_is_not_taken_for_the_resource() {
    // `?id=2` names another resource here; its ETags are version numbers, as Spring Data
    // REST's are, so the directory's "1" matches person 2's.
    let s = Server::start(|req| match (req.method.as_str(), req.target.as_str()) {
        ("GET", "/people") => Reply::new(200)
            .header("etag", "\"1\"")
            .json(&json!({"_links": {"self": {"href": "/people"}}, "title": "Directory"})),
        ("PUT", "/people?id=2") => Reply::new(204).header("etag", "\"2\""),
        _ => Reply::new(404),
    });
    let api = api(&s);
    let mut dir = api.using_endpoint("/people").get().unwrap();
    api.follow_mut(&mut dir)
        .to("self")
        .with_parameters(json!({"id": 2}))
        .put(json!({"name": "Robert"}))
        .unwrap();
    // The precondition goes along (maybe it is the directory), but the directory does not
    // become person 2.
    assert_eq!(s.last().header("if-match"), Some("\"1\""));
    assert_eq!(
        (dir.etag(), &dir["title"]),
        (Some("\"1\""), &json!("Directory"))
    );
    assert!(dir.data().get("name").is_none());
}

#[test]
fn a_put_with_the_callers_own_if_match_star_does_not_pair_old_parts_with_the_new_etag() {
    // The server manages `_embedded.items`; someone adds one between our read and our PUT.
    let version = Arc::new(Mutex::new(1u32));
    let v = Arc::clone(&version);
    let s = Server::start(move |req| {
        let mut g = v.lock().unwrap();
        let items: Vec<Value> = (0..*g).map(|i| json!({"sku": i})).collect();
        let doc = json!({"_links": {"self": {"href": "/orders/1"}},
                         "_embedded": {"items": items}, "status": "open"});
        match req.method.as_str() {
            "GET" => Reply::new(200)
                .header("etag", &format!("\"{}\"", *g))
                .json(&doc),
            _ => {
                *g += 1;
                Reply::new(204).header("etag", &format!("\"{}\"", *g))
            }
        }
    });
    let api = api(&s);
    let mut order = api.using_endpoint("/orders/1").get().unwrap();
    *version.lock().unwrap() += 1; // someone adds an item: version 2
    api.follow_mut(&mut order)
        .to("self")
        .with_headers([("If-Match", "*")])
        .put(json!({"status": "paid"}))
        .unwrap();
    // Not a version this copy knows: it stays at the one it read, and refresh reads the new.
    assert_eq!(order.etag(), Some("\"1\""));
    assert_eq!(order["status"], "open");
    api.refresh(&mut order).unwrap();
    assert_eq!(order.etag(), Some("\"3\""));
    assert_eq!(order["_embedded"]["items"].as_array().unwrap().len(), 3);
}

#[test]
fn a_conflict_is_merged_only_into_the_resource_it_was_written_through() {
    let (s, _) = people_server();
    let api = api(&s);
    // Writes to the URL each was read from (`/people?id=7`): their own.
    let write = |p: &mut Resource, change: Value| {
        api.follow_mut(p)
            .to("self")
            .with_parameters(json!({"id": 7}))
            .patch(change)
    };
    let mut ann = person(&api, 7);
    let mut other = person(&api, 7);
    write(&mut other, json!({"n": 2})).unwrap();
    let Err(Error::PreconditionFailed(conflict)) = write(&mut ann, json!({"n": 5})) else {
        panic!("expected a conflict")
    };
    // Bob's ETag could be the same text (version numbers): still not his conflict.
    let mut bob = person(&api, 8);
    let err = api.merge(&mut bob, &conflict).err().unwrap();
    assert!(
        matches!(&err, Error::NotMergeable { reason } if reason.contains("not this resource's own url")),
        "{err}"
    );
    assert_eq!(bob["name"], "Bob");
    // Ann's it is.
    let merging = api.merge(&mut ann, &conflict).unwrap();
    assert_eq!(merging.conflicts().len(), 1);
}

#[test]
fn a_form_that_puts_its_values_in_the_query_does_not_mark_the_resource_deleted() {
    let s = Server::start(|req| match req.method.as_str() {
        "GET" => Reply::new(200).header("etag", "\"1\"").json(&json!({
            "_links": {"self": {"href": "/orders/1"}},
            "_templates": {"default": {"method": "DELETE",
                "properties": [{"name": "sku", "required": true}]}}
        })),
        _ => Reply::new(204),
    });
    let api = api(&s);
    let mut order = api.using_endpoint("/orders/1").get().unwrap();
    api.submit_mut(&mut order, "default")
        .with_values(json!({"sku": "a"}))
        .send()
        .unwrap();
    assert_eq!(s.last().target, "/orders/1?sku=a");
    assert_eq!(s.last().header("if-match"), Some("\"1\""));
    // `?sku=a` may be another resource (one line of the order): the order is not deleted.
    assert_eq!(order.etag(), Some("\"1\""));
}

#[test]
fn the_errors_of_writes_that_are_not_brought_forward_say_why_and_what_to_do() {
    let (s, _) = people_server();
    let api = api(&s);
    let mut ann = person(&api, 7);
    // Through the templated self link, with values: maybe another person.
    let err = api
        .follow_mut(&mut ann)
        .to("self")
        .with_template_values(json!({"id": 8}))
        .patch(json!({"n": 5}))
        .unwrap_err();
    assert!(err.to_string().contains("templated self link"), "{err}");
    let Error::PreconditionFailed(conflict) = err else {
        panic!("expected a conflict")
    };
    let err = api.merge(&mut ann, &conflict).err().unwrap();
    assert!(
        matches!(&err, Error::NotMergeable { reason } if reason.contains("parameters added or through a templated self link")),
        "{err}"
    );
    // Requiring preconditions: the advice is to read the resource, not an option of update.
    let strict = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .require_preconditions(true)
        .build()
        .unwrap();
    let mut held = Resource::from(json!({"_links": {"self": {"href": "/people?id=7"}}}));
    let err = strict
        .follow_mut(&mut held)
        .to("self")
        .put(json!({"name": "A"}))
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Unconditional { .. }), "{text}");
    assert!(
        text.contains("read it") && text.contains("require_preconditions"),
        "{text}"
    );
    assert!(!text.contains("allow_unconditional"), "{text}");
}

#[test]
fn a_write_with_parameters_answered_with_the_resources_representation_brings_it_forward() {
    use halchemy_testserver::store::{HalServer, Options, WriteAnswer};
    let s = HalServer::start(Options {
        write_answer: WriteAnswer::Representation,
        ..Options::default()
    });
    s.put("/items/1", json!({"a": 1}));
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    let mut r = api.using_endpoint("/items/1").get().unwrap();
    api.follow_mut(&mut r)
        .to("self")
        .with_parameters(json!({"notify": "false"}))
        .patch(json!({"a": 2}))
        .unwrap();
    // The answer says it is /items/1's representation: the resource takes it, and its next
    // write is not a false conflict.
    assert_eq!(r["a"], 2);
    api.follow_mut(&mut r)
        .to("self")
        .patch(json!({"a": 3}))
        .unwrap();
    assert_eq!(s.current("/items/1").unwrap().data["a"], 3);
}
