//! Optimistic concurrency against a real third-party HAL server: Eve (tests/eve/server.py).
//!
//! `HALCHEMY_EVE_URL` names a running Eve that enforces If-Match (`.ci/run` starts one; so
//! does `tests/eve/run.sh`). Without it these tests print why they did not run and pass, so
//! `cargo test` works on a machine without Python; with `HALCHEMY_EVE_REQUIRED=1` (set by
//! `.ci/run`) a missing server is a failure instead.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use halchemy::{Api, Error, Refresh, Resource};
use serde_json::{Value, json};

fn eve() -> Option<Api> {
    match std::env::var("HALCHEMY_EVE_URL") {
        Ok(url) if !url.is_empty() => Some(common::api_at(&url)),
        _ => {
            assert!(
                std::env::var("HALCHEMY_EVE_REQUIRED").is_err(),
                "HALCHEMY_EVE_REQUIRED is set but HALCHEMY_EVE_URL is not: start Eve (tests/eve/run.sh)"
            );
            // Written to the process's stderr directly: the test harness would swallow an
            // `eprintln!` of a passing test, and a skip must be seen. Once per run.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "tests/eve.rs: SKIPPED, HALCHEMY_EVE_URL is not set, so no Eve server is \
                     configured (.ci/run starts one; locally run tests/eve/run.sh)"
                );
            });
            None
        }
    }
}

/// Walks home -> customers, picked by title from Eve's `child` array.
fn customers(api: &Api) -> Resource {
    let home = api.home().get().unwrap();
    assert!(!home.has_rel("self"), "Eve's home has no self link");
    api.follow(&home)
        .to("child")
        .titled("customers")
        .get()
        .unwrap()
}

/// Creates a customer through the collection's `self` link; returns its href.
fn new_customer(api: &Api, name: &str) -> String {
    let customers = customers(api);
    let created = api
        .follow(&customers)
        .to("self")
        .post(json!({"name": name, "counter": 0}))
        .unwrap();
    assert_eq!(created.status(), 201, "{created}");
    created.link("self").unwrap().href
}

#[test]
fn walk_every_page_of_customers_and_count_each_item_once() {
    const CUSTOMERS: usize = 7;
    let Some(api) = eve() else { return };
    // A name only this test uses: other tests add and delete customers meanwhile.
    let tag = format!(
        "pages-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let mut created: Vec<String> = (0..CUSTOMERS).map(|_| new_customer(&api, &tag)).collect();

    let home = api.home().get().unwrap();
    let walk = || {
        api.follow(&home)
            .to("child")
            .titled("customers")
            .with_parameters(json!({"where": format!(r#"{{"name":"{tag}"}}"#), "max_results": 2}))
            .pages()
    };
    let mut pages = 0;
    for page in walk() {
        let page = page.unwrap();
        pages += 1;
        assert!(page.status() == 200, "{page}");
    }
    assert_eq!(
        pages,
        CUSTOMERS.div_ceil(2),
        "pages of two, the last one of one"
    );
    assert!(pages >= 3);

    let mut walked: Vec<String> = walk()
        .collection("_items")
        .map(|item| item.unwrap().link("self").unwrap().href)
        .collect();
    assert_eq!(walked.len(), CUSTOMERS, "{walked:?}");
    walked.sort();
    created.sort();
    assert_eq!(walked, created, "every customer exactly once");
}

fn snapshot(r: &Resource) -> (Value, Option<String>) {
    (r.data().clone(), r.etag().map(str::to_owned))
}

#[test]
fn walk_home_to_an_item_of_the_collection_and_patch_it() {
    let Some(api) = eve() else { return };
    let href = new_customer(&api, "walker");
    // On whichever page it is: Eve pages by 25, and other tests add customers too.
    let mut item = api
        .pages(customers(&api))
        .collection("_items")
        .map(Result::unwrap)
        .find(|c| c.link("self").unwrap().href == href)
        .expect("the new customer is listed");
    let etag_before = item.etag().unwrap().to_owned();

    let answer = api
        .follow_mut(&mut item)
        .to("self")
        .patch(json!({"name": "walked"}))
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_ne!(
        item.etag().unwrap(),
        etag_before,
        "the resource's etag moved on"
    );
    // Eve's answer is an excerpt (`_id`, `_etag`, `_status`), not the customer: it carries no
    // validators itself; the resource took its ETag header.
    assert_eq!(answer.etag(), None);
    let header = answer.meta().response.headers.get("etag").unwrap();
    assert_eq!(item.etag(), header.to_str().ok());

    let fresh = api.using_endpoint(href.as_str()).get().unwrap();
    assert_eq!(fresh["name"], "walked");
}

#[test]
fn a_stale_write_is_a_conflict_then_refresh_and_patch_succeed() {
    let Some(api) = eve() else { return };
    let href = new_customer(&api, "stale");
    let mut mine = api.using_endpoint(href.as_str()).get().unwrap();
    let mut theirs = api.using_endpoint(href.as_str()).get().unwrap();
    assert!(
        mine.etag().unwrap().starts_with('"'),
        "Eve's header etag is quoted"
    );

    api.follow_mut(&mut theirs)
        .to("self")
        .patch(json!({"name": "theirs"}))
        .unwrap();

    let before = snapshot(&mine);
    let err = api
        .follow_mut(&mut mine)
        .to("self")
        .patch(json!({"name": "mine"}))
        .unwrap_err();
    let Error::PreconditionFailed(conflict) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(conflict.response.status(), 412);
    assert_eq!(conflict.sent_etag.as_deref(), before.1.as_deref());
    assert_eq!(
        snapshot(&mine),
        before,
        "the conflict left the resource untouched"
    );

    assert_eq!(api.refresh(&mut mine).unwrap(), Refresh::Replaced);
    assert_eq!(mine["name"], "theirs");
    api.follow_mut(&mut mine)
        .to("self")
        .patch(json!({"name": "mine"}))
        .unwrap();
    assert_eq!(
        api.using_endpoint(href.as_str()).get().unwrap()["name"],
        "mine"
    );
}

#[test]
fn a_write_without_an_etag_is_precondition_required() {
    let Some(api) = eve() else { return };
    let href = new_customer(&api, "no-etag");
    let mut bare = Resource::from(json!({"_links": {"self": {"href": href}}}));
    assert_eq!(bare.etag(), None);
    let err = api
        .follow_mut(&mut bare)
        .to("self")
        .patch(json!({"name": "x"}))
        .unwrap_err();
    assert!(matches!(err, Error::PreconditionRequired(_)), "{err:?}");
    assert_eq!(bare.etag(), None);
}

#[test]
fn refresh_of_an_unchanged_item_is_not_modified() {
    let Some(api) = eve() else { return };
    let href = new_customer(&api, "fresh");
    let mut item = api.using_endpoint(href.as_str()).get().unwrap();
    let before = snapshot(&item);
    assert_eq!(api.refresh(&mut item).unwrap(), Refresh::NotModified);
    assert_eq!(item.status(), 304);
    assert_eq!(snapshot(&item), before);
}

#[test]
fn update_and_delete_keep_the_etag_in_step() {
    let Some(api) = eve() else { return };
    let href = new_customer(&api, "upd");
    let mut item = api.using_endpoint(href.as_str()).get().unwrap();
    let done = api.update(&mut item, |d| d["counter"] = 7.into()).unwrap();
    assert_eq!(done.conflicts, 0);
    assert_eq!(item["counter"], 7);
    let server_etag = api
        .using_endpoint(href.as_str())
        .get()
        .unwrap()
        .etag()
        .map(str::to_owned);
    assert_eq!(item.etag().map(str::to_owned), server_etag);
    assert_eq!(
        item["_etag"].as_str(),
        server_etag.as_deref().map(|e| e.trim_matches('"'))
    );

    let deleted = api.follow_mut(&mut item).to("self").delete().unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(item.etag(), None);
    assert_eq!(
        api.using_endpoint(href.as_str()).get().unwrap().status(),
        404
    );
}

#[test]
fn no_update_is_lost_under_contention() {
    const THREADS: usize = 8;
    const EACH: usize = 25;
    // Default settings: every update must return Ok.
    let Some(api) = eve() else { return };
    let href = new_customer(&api, "contended");
    let conflicts = Arc::new(AtomicU32::new(0));
    let most = Arc::new(AtomicU32::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let api = api.clone();
            let href = href.clone();
            let conflicts = Arc::clone(&conflicts);
            let most = Arc::clone(&most);
            std::thread::spawn(move || {
                let mut counter = api.using_endpoint(href.as_str()).get().unwrap();
                for _ in 0..EACH {
                    let done = api
                        .update(&mut counter, |d| {
                            d["counter"] = (d["counter"].as_i64().unwrap() + 1).into();
                        })
                        .unwrap();
                    conflicts.fetch_add(done.conflicts, Ordering::Relaxed);
                    most.fetch_max(done.conflicts, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let final_value = api.using_endpoint(href.as_str()).get().unwrap()["counter"].clone();
    let conflicts = conflicts.load(Ordering::Relaxed);
    println!(
        "{THREADS} threads x {EACH} updates with default settings: final counter {final_value}, \
         {conflicts} conflicts retried, at most {} for one update (of {} attempts)",
        most.load(Ordering::Relaxed),
        api.update_attempts()
    );
    assert_eq!(final_value, (THREADS * EACH) as i64);
    assert!(
        conflicts > 0,
        "no contention happened, so this test proved nothing"
    );
}

#[test]
fn a_patch_then_an_update_on_eve_loses_nothing() {
    // The reported sequence: 0, a PATCH to 10 through follow_mut, then update +1: Eve must
    // hold 11 (before, the resource kept its old data with the new ETag and wrote 1).
    let Some(api) = eve() else { return };
    let href = new_customer(&api, "patch-then-update");
    let mut r = api.using_endpoint(href.as_str()).get().unwrap();
    api.follow_mut(&mut r)
        .to("self")
        .patch(json!({"counter": 10}))
        .unwrap();
    assert_eq!(r["counter"], 10, "the patch is applied to the resource");
    assert!(
        r.has_rel("collection") || r.has_rel("parent"),
        "Eve's answer holds only `self`: the resource keeps its other links: {r}"
    );
    let done = api
        .update(&mut r, |d| {
            d["counter"] = (d["counter"].as_i64().unwrap() + 1).into()
        })
        .unwrap();
    assert_eq!(done.conflicts, 0, "the resource was current");
    let fresh = api.using_endpoint(href.as_str()).get().unwrap();
    assert_eq!(fresh["counter"], 11);
    assert_eq!(r["counter"], 11);
    assert_eq!(r.etag(), fresh.etag());
}

#[test]
fn two_writers_of_different_fields_both_keep_their_change() {
    let Some(api) = eve() else { return };
    let href = new_customer(&api, "two-writers");
    let mut first = api.using_endpoint(href.as_str()).get().unwrap();
    let mut second = api.using_endpoint(href.as_str()).get().unwrap();
    api.follow_mut(&mut first)
        .to("self")
        .patch(json!({"name": "first"}))
        .unwrap();
    let err = api
        .follow_mut(&mut second)
        .to("self")
        .patch(json!({"counter": 5}))
        .unwrap_err();
    let Error::PreconditionFailed(conflict) = err else {
        panic!("Eve should have answered 412")
    };
    let merging = api.merge(&mut second, &conflict).unwrap();
    assert!(merging.conflicts().is_empty(), "{merging}");
    merging.send().unwrap();
    let fresh = api.using_endpoint(href.as_str()).get().unwrap();
    assert_eq!(fresh["name"], "first");
    assert_eq!(fresh["counter"], 5);
    assert_eq!(second.etag(), fresh.etag());

    // The same, concurrently: two threads, each with its own field, with the merge policy.
    let handles: Vec<_> = ["name", "counter"]
        .into_iter()
        .map(|field| {
            let api = api.clone();
            let href = href.clone();
            std::thread::spawn(move || {
                let mut r = api.using_endpoint(href.as_str()).get().unwrap();
                let options = halchemy::UpdateOptions::new().merge_on_conflict();
                for i in 0..10 {
                    api.update_with(&mut r, &options, |d| {
                        d[field] = if field == "name" {
                            json!(format!("n{i}"))
                        } else {
                            json!(100 + i)
                        };
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let fresh = api.using_endpoint(href.as_str()).get().unwrap();
    assert_eq!(fresh["name"], "n9");
    assert_eq!(fresh["counter"], 109);
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
struct Customer {
    name: String,
    counter: i64,
}

/// What Eve holds at `href`.
fn on_eve(api: &Api, href: &str) -> Value {
    api.using_endpoint(href).get().unwrap().data().clone()
}

/// A PUT of a typed value leaves out Eve's own fields: the resource keeps them (`_id`,
/// `_created`), so a later merged PUT sends a body Eve accepts, and the data after a PUT (and
/// after the refresh that reads it whole) is Eve's.
#[test]
fn a_merged_put_after_an_earlier_put_is_accepted_by_eve() {
    let Some(api) = eve() else { return };
    let href = new_customer(&api, "two-puts");
    let mut mine = api.using_endpoint(href.as_str()).get().unwrap();
    let id = mine["_id"].clone();
    api.follow_mut(&mut mine)
        .to("self")
        .put(&Customer {
            name: "first".into(),
            counter: 1,
        })
        .unwrap();
    assert_eq!(mine["_id"], id, "{mine}");
    assert_eq!(
        snapshot(&mine),
        snapshot(&api.using_endpoint(href.as_str()).get().unwrap())
    );
    // Worked out here: refresh reads it whole, and finds the same.
    assert_eq!(api.refresh(&mut mine).unwrap(), Refresh::Replaced);
    assert_eq!(
        snapshot(&mine),
        snapshot(&api.using_endpoint(href.as_str()).get().unwrap())
    );
    // Someone else changes the counter; our second save meets a 412 and merges cleanly.
    let mut theirs = api.using_endpoint(href.as_str()).get().unwrap();
    api.follow_mut(&mut theirs)
        .to("self")
        .patch(json!({"counter": 5}))
        .unwrap();
    let mut c: Customer = mine.deserialize().unwrap();
    c.name = "second".into();
    let err = api.follow_mut(&mut mine).to("self").put(&c).unwrap_err();
    let Error::PreconditionFailed(conflict) = err else {
        panic!("{err:?}")
    };
    let merging = api.merge(&mut mine, &conflict).unwrap();
    assert!(merging.conflicts().is_empty(), "{merging}");
    let sent = merging.send();
    if let Err(Error::Status(refused)) = &sent {
        panic!(
            "Eve refused the merged PUT: {} {refused}\nbody sent: {}",
            refused.status(),
            String::from_utf8_lossy(refused.meta().request.body.as_deref().unwrap_or_default())
        );
    }
    sent.unwrap();
    let s = on_eve(&api, &href);
    assert_eq!(
        (s["name"].clone(), s["counter"].clone()),
        (json!("second"), json!(5))
    );
}
