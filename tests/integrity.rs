//! The write-integrity invariant, call by call, against an RFC 9110-honest compare-and-swap
//! server (halchemy-testserver's `HalServer`): a resource's data and validators always describe
//! one version, and no sequence of calls loses a concurrent update without an `Err`.
//!
//! After every call, `holds` checks: whenever the resource's ETag names the server's current
//! version, its data equals the server's data.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;

use halchemy::{Api, Error, Refresh, Resource, UpdateOptions};
use halchemy_testserver::store::{HalServer, Options, Validators, WriteAnswer, own_fields};
use serde_json::{Value, json};

const PATH: &str = "/items/1";

fn api(server: &HalServer) -> Api {
    Api::builder()
        .base_url(server.base_url())
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap()
}

fn server(options: Options) -> HalServer {
    let s = HalServer::start(options);
    s.put(PATH, json!({"count": 0, "name": "Kim"}));
    s
}

/// The invariant: if `r`'s ETag is the server's current one, `r`'s data is the server's data
/// (unless it holds a draft made with `data_mut`: data the caller edited on purpose).
#[track_caller]
fn holds(server: &HalServer, r: &Resource) {
    let Some(current) = server.current(PATH) else {
        return;
    };
    if r.draft().is_some() {
        return;
    }
    let Some(etag) = current.etag.as_deref() else {
        return;
    };
    let server_etag = String::from_utf8_lossy(etag);
    let unquoted = server_etag.trim_matches('"');
    let names_current = r
        .etag()
        .is_some_and(|e| e == server_etag || e.trim_matches('"') == unquoted);
    if names_current {
        assert_eq!(
            own_fields(r.data()),
            current.data,
            "the resource's etag {:?} names the server's current version, but its data differs",
            r.etag()
        );
    }
}

fn count(server: &HalServer) -> i64 {
    server.current(PATH).unwrap().data["count"]
        .as_i64()
        .unwrap()
}

fn increment(d: &mut Value) {
    d["count"] = (d["count"].as_i64().unwrap_or(0) + 1).into();
}

#[test]
fn a_patch_then_an_update_loses_nothing() {
    // The reported sequence: counter 0, patch to 10, update +1 must end at 11.
    for answer in [
        WriteAnswer::NoContent,
        WriteAnswer::Eve,
        WriteAnswer::Representation,
        WriteAnswer::Bare,
    ] {
        let s = server(Options {
            write_answer: answer,
            ..Options::default()
        });
        let api = api(&s);
        let mut r = api.using_endpoint(PATH).get().unwrap();
        holds(&s, &r);
        api.follow_mut(&mut r)
            .to("self")
            .patch(json!({"count": 10}))
            .unwrap();
        holds(&s, &r);
        let done = api.update(&mut r, increment).unwrap();
        holds(&s, &r);
        assert_eq!(count(&s), 11, "{answer:?}: the patch was lost");
        // An answer without validators cannot name the new version: the resource keeps the
        // version it had (data and validators), and its next write fails safe.
        let expected = if answer == WriteAnswer::Bare { 10 } else { 11 };
        assert_eq!(r["count"], expected, "{answer:?}");
        assert!(done.conflicts <= 1, "{answer:?}: {done:?}");
    }
}

#[test]
fn a_write_to_another_link_sends_no_precondition_and_leaves_the_resource_alone() {
    let s = server(Options::default());
    s.put("/orders", json!({"total": 0}));
    let api = api(&s);
    let doc = json!({"_links": {"self": {"href": PATH}, "orders": {"href": "/orders"}}});
    let mut customer = api.using_endpoint(PATH).get().unwrap();
    // Give the customer an `orders` link, as a server would.
    customer.data_mut()["_links"] = doc["_links"].clone();
    let before = (customer.data().clone(), customer.etag().map(str::to_owned));

    let err = api
        .follow_mut(&mut customer)
        .to("orders")
        .put(json!({"total": 5}))
        .unwrap_err();
    // The server requires a precondition for /orders; the customer's ETag is not one.
    assert!(matches!(err, Error::PreconditionRequired(_)), "{err:?}");
    assert_eq!(s.last().header("if-match"), None);
    assert_eq!(
        (customer.data().clone(), customer.etag().map(str::to_owned)),
        before
    );

    let orders = api.using_endpoint("/orders").get().unwrap();
    let orders_etag = orders.etag().unwrap().to_owned();
    api.follow_mut(&mut customer)
        .to("orders")
        .with_headers([("If-Match", orders_etag.as_str())])
        .delete()
        .unwrap();
    assert_eq!(s.last().header("if-match"), Some(orders_etag.as_str()));
    assert_eq!(
        customer.etag(),
        before.1.as_deref(),
        "deleting another URL clears nothing"
    );
    // The customer's own write still carries its own ETag and succeeds.
    api.follow_mut(&mut customer)
        .to("self")
        .patch(json!({"name": "Lee"}))
        .unwrap();
    assert_eq!(s.last().header("if-match"), before.1.as_deref());
    holds(&s, &customer);
}

#[test]
fn a_303_after_a_write_is_a_success_and_the_get_carries_no_precondition() {
    let s = server(Options {
        write_answer: WriteAnswer::SeeOther,
        if_match_on_get: true,
        ..Options::default()
    });
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    let answer = api
        .follow_mut(&mut r)
        .to("self")
        .patch(json!({"name": "Lee"}))
        .unwrap();
    assert_eq!(answer.status(), 200);
    let requests = s.requests();
    let get = requests.last().unwrap();
    assert_eq!(get.method, "GET");
    assert_eq!(get.header("if-match"), None, "the follow-up GET is plain");
    assert_eq!(
        r["name"], "Lee",
        "the representation read after the 303 is adopted"
    );
    holds(&s, &r);
    // update applies one increment exactly once.
    let done = api.update(&mut r, increment).unwrap();
    assert_eq!(done.conflicts, 0);
    assert_eq!(count(&s), 1);
    holds(&s, &r);
}

#[test]
fn a_weak_etag_is_rejected_honestly_and_update_stops_at_once() {
    let s = server(Options {
        validators: Validators::Weak,
        ..Options::default()
    });
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    assert!(r.etag().unwrap().starts_with("W/"));
    let err = api.update(&mut r, increment).unwrap_err();
    assert!(matches!(err, Error::EtagRejected(_)), "{err:?}");
    let patches = s.count("PATCH");
    assert_eq!(patches, 1, "one attempt, not all of them");
    assert_eq!(count(&s), 0);
    holds(&s, &r);
}

#[test]
fn an_eve_style_answer_keeps_the_links_and_adds_no_status_field() {
    let s = server(Options {
        write_answer: WriteAnswer::Eve,
        eve_style: true,
        ..Options::default()
    });
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    assert!(r.has_rel("collection") && r.has_rel("parent"));
    api.update(&mut r, increment).unwrap();
    assert!(
        r.has_rel("collection") && r.has_rel("parent"),
        "links survive: {r}"
    );
    assert!(r.data().get("_status").is_none(), "{r}");
    assert_eq!(r["count"], 1);
    holds(&s, &r);
    // The next update needs no refresh: the resource is current.
    let before = s.requests().len();
    api.update(&mut r, increment).unwrap();
    assert_eq!(s.requests().len(), before + 1, "one PATCH, no GET");
    holds(&s, &r);
}

#[test]
fn a_null_in_an_update_removes_the_field_here_and_there() {
    let s = server(Options::default());
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    api.update(&mut r, |d| {
        d.as_object_mut().unwrap().remove("name");
    })
    .unwrap();
    assert!(r.data().get("name").is_none(), "{r}");
    assert!(s.current(PATH).unwrap().data.get("name").is_none());
    holds(&s, &r);
    api.follow_mut(&mut r)
        .to("self")
        .patch(json!({"count": null}))
        .unwrap();
    assert!(r.data().get("count").is_none(), "{r}");
    holds(&s, &r);
}

#[test]
fn an_obs_text_etag_is_sent_byte_exact_and_nothing_is_lost() {
    let s = server(Options {
        validators: Validators::ObsText,
        require_precondition: false,
        ..Options::default()
    });
    let api = api(&s);
    let r = api.using_endpoint(PATH).get().unwrap();
    let got = r
        .meta()
        .response
        .headers
        .get("etag")
        .map(|v| v.as_bytes().to_vec());
    assert!(got.as_ref().is_some_and(|b| !b.is_ascii()), "{got:?}");
    assert!(r.etag().is_some(), "an obs-text etag is kept");

    let ok = Arc::new(AtomicU32::new(0));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let api = api.clone();
            let ok = Arc::clone(&ok);
            thread::spawn(move || {
                let mut r = api.using_endpoint(PATH).get().unwrap();
                for _ in 0..10 {
                    api.update(&mut r, increment).unwrap();
                    ok.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let patch = s
        .requests()
        .into_iter()
        .rfind(|q| q.method == "PATCH")
        .unwrap();
    assert!(
        patch
            .header_bytes("if-match")
            .is_some_and(|b| !b.is_ascii())
    );
    assert_eq!(count(&s), i64::from(ok.load(Ordering::SeqCst)));
    assert_eq!(count(&s), 40);
}

#[test]
fn update_refuses_to_write_without_an_etag_unless_told() {
    for validators in [Validators::LastModifiedOnly, Validators::None] {
        let s = server(Options {
            validators,
            require_precondition: false,
            ..Options::default()
        });
        let api = api(&s);
        let mut r = api.using_endpoint(PATH).get().unwrap();
        let err = api.update(&mut r, increment).unwrap_err();
        assert!(matches!(err, Error::Unconditional { .. }), "{err:?}");
        assert_eq!(s.count("PATCH"), 0, "{validators:?}: nothing is sent");
        assert_eq!(count(&s), 0);

        let opt_in = UpdateOptions::new().allow_unconditional();
        api.update_with(&mut r, &opt_in, increment).unwrap();
        assert_eq!(count(&s), 1);
        let patch = s.last();
        assert_eq!(
            patch.header("if-unmodified-since").is_some(),
            validators == Validators::LastModifiedOnly
        );
    }
}

#[test]
fn refresh_replaces_data_and_validators_together_or_not_at_all() {
    let s = server(Options::default());
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    assert_eq!(api.refresh(&mut r).unwrap(), Refresh::NotModified);
    assert_eq!(s.last().header("if-none-match"), r.etag());
    let mut other = api.using_endpoint(PATH).get().unwrap();
    api.follow_mut(&mut other)
        .to("self")
        .patch(json!({"count": 3}))
        .unwrap();
    holds(&s, &r);
    assert_eq!(api.refresh(&mut r).unwrap(), Refresh::Replaced);
    assert_eq!(r["count"], 3);
    holds(&s, &r);

    let no_content = server(Options {
        get_no_content: true,
        ..Options::default()
    });
    let api = self::api(&no_content);
    let mut r = Resource::from(json!({"_links": {"self": {"href": PATH}}, "count": 9}));
    let err = api.refresh(&mut r).unwrap_err();
    assert!(matches!(err, Error::NotRepresentation(_)), "{err:?}");
    assert_eq!(
        r["count"], 9,
        "a 204 is not a representation: nothing changed"
    );
}

#[test]
fn refresh_asks_if_modified_since_when_only_a_date_is_known() {
    let s = server(Options {
        validators: Validators::LastModifiedOnly,
        ..Options::default()
    });
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    assert!(r.last_modified().is_some() && r.etag().is_none());
    assert_eq!(api.refresh(&mut r).unwrap(), Refresh::NotModified);
    assert_eq!(s.last().header("if-modified-since"), r.last_modified());
}

#[test]
fn a_representation_in_the_answer_is_adopted() {
    for prefer in [false, true] {
        let s = server(Options {
            write_answer: if prefer {
                WriteAnswer::NoContent
            } else {
                WriteAnswer::Representation
            },
            ..Options::default()
        });
        let api = api(&s);
        let mut r = api.using_endpoint(PATH).get().unwrap();
        let mut request = api.follow_mut(&mut r).to("self");
        if prefer {
            request = request.with_headers([("Prefer", "return=representation")]);
        }
        request.put(json!({"count": 5, "name": "Sam"})).unwrap();
        assert_eq!(r["count"], 5);
        assert_eq!(
            r.etag().map(str::to_owned),
            s.current(PATH)
                .map(|c| String::from_utf8_lossy(&c.etag.unwrap()).into_owned())
        );
        holds(&s, &r);
    }
}

#[test]
fn an_action_link_through_follow_carries_the_precondition_of_its_own_url_only() {
    let s = server(Options::default());
    let api = api(&s);
    let r = api.using_endpoint(PATH).get().unwrap();
    let etag = r.etag().unwrap().to_owned();
    api.follow(&r)
        .to("self")
        .patch(json!({"name": "Lee"}))
        .unwrap();
    assert_eq!(s.last().header("if-match"), Some(etag.as_str()));
    assert_eq!(r["name"], "Kim", "a borrowed resource does not change");
    // Its next write through follow_mut fails safe.
    let mut r = r;
    let err = api
        .follow_mut(&mut r)
        .to("self")
        .patch(json!({"name": "Sam"}))
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    holds(&s, &r);
}

#[test]
fn writes_without_validators_can_be_refused_by_the_api() {
    let s = server(Options {
        require_precondition: false,
        ..Options::default()
    });
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .require_preconditions(true)
        .build()
        .unwrap();
    let mut r = Resource::from(json!({"_links": {"self": {"href": PATH}}, "count": 5}));
    let err = api
        .follow_mut(&mut r)
        .to("self")
        .put(json!({"count": 5}))
        .unwrap_err();
    assert!(matches!(err, Error::Unconditional { .. }), "{err:?}");
    assert!(s.requests().is_empty(), "nothing was sent");
}

#[test]
fn eight_threads_of_twenty_five_updates_all_succeed_with_default_settings() {
    let s = server(Options::default());
    let api = api(&s);
    let conflicts = Arc::new(AtomicU32::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let api = api.clone();
            let conflicts = Arc::clone(&conflicts);
            thread::spawn(move || {
                let mut r = api.using_endpoint(PATH).get().unwrap();
                for _ in 0..25 {
                    let done = api.update(&mut r, increment).unwrap();
                    conflicts.fetch_add(done.conflicts, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(count(&s), 200);
    println!(
        "8 x 25 updates: {} conflicts, {} requests",
        conflicts.load(Ordering::SeqCst),
        s.requests().len()
    );
}

mod interleavings {
    //! Two clients interleave random writes, updates and refreshes of one resource. Every
    //! change reported `Ok` is in the server's final state, and the invariant holds after
    //! every call.

    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    #[derive(Debug, Clone, Copy)]
    enum Op {
        /// A PATCH through follow_mut setting a field of its own.
        Patch,
        /// A PUT through follow_mut of the client's data plus a field of its own.
        Put,
        /// `update`: increment the shared counter and set a field of its own.
        Update,
        Refresh,
        /// A PATCH through follow (the resource is only borrowed).
        SharedPatch,
        /// An edit in hand with `data_mut`: a draft, sent by a later `Put` or `Update`.
        Draft,
        /// A draft of the field both clients write.
        DraftShared,
        /// A PATCH through follow_mut of the field both clients write.
        PatchShared,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::Patch),
            Just(Op::Put),
            Just(Op::Update),
            Just(Op::Refresh),
            Just(Op::SharedPatch),
            Just(Op::Draft),
            Just(Op::DraftShared),
            Just(Op::PatchShared),
        ]
    }

    fn answer() -> impl Strategy<Value = WriteAnswer> {
        prop_oneof![
            Just(WriteAnswer::NoContent),
            Just(WriteAnswer::Representation),
            Just(WriteAnswer::Eve),
            Just(WriteAnswer::SeeOther),
            Just(WriteAnswer::Bare),
        ]
    }

    fn config() -> Config {
        let mut c = Config {
            failure_persistence: None,
            ..Config::default()
        };
        if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
            c.rng_seed = RngSeed::Fixed(0x1517_2026);
        }
        if std::env::var_os("PROPTEST_CASES").is_none() {
            c.cases = 48;
        }
        c
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn no_change_reported_ok_is_ever_lost(
            steps in prop::collection::vec((0usize..2, op()), 1..16),
            answer in answer(),
            eve_style in any::<bool>(),
        ) {
            let s = server(Options { write_answer: answer, eve_style, ..Options::default() });
            let api = api(&s);
            let mut clients = [
                api.using_endpoint(PATH).get().unwrap(),
                api.using_endpoint(PATH).get().unwrap(),
            ];
            // The fields each Ok write set, and how many updates succeeded.
            let mut kept: Vec<(String, Value)> = Vec::new();
            let mut updates = 0;
            // Each client's draft: fields set in hand and not sent yet.
            let mut drafts: [Vec<(String, Value)>; 2] = [Vec::new(), Vec::new()];
            // What the field both clients write must hold: the last Ok write of it decides.
            let mut shared: Option<Value> = None;
            for (n, (who, op)) in steps.iter().enumerate() {
                let field = format!("f{n}");
                let value = json!(n);
                let r = &mut clients[*who];
                let before = s.current(PATH).unwrap().data;
                // What an Ok write of this step makes of the shared field, when it writes it.
                let mut writes_shared: Option<Option<Value>> = None;
                let outcome = match op {
                    Op::Patch => api.follow_mut(r).to("self").patch(json!({&field: value})).map(|_| ()),
                    Op::Put => {
                        let mut body = own_fields(r.data());
                        body[&field] = value.clone();
                        writes_shared = Some(body.get("shared").cloned());
                        api.follow_mut(r).to("self").put(body).map(|_| ())
                    }
                    Op::PatchShared => {
                        writes_shared = Some(Some(value.clone()));
                        api.follow_mut(r).to("self").patch(json!({"shared": value})).map(|_| ())
                    }
                    Op::DraftShared => {
                        r.data_mut()["shared"] = value.clone();
                        Ok(())
                    }
                    Op::Update => {
                        if let Some(v) = r.draft().and_then(|d| d.get("shared").cloned()) {
                            writes_shared = Some(Some(v));
                        }
                        api
                        .update(r, |d| {
                            increment(d);
                            d[&field] = value.clone();
                        })
                        .map(|_| ())
                    }
                    Op::Refresh => api.refresh(r).map(|_| ()),
                    Op::SharedPatch => api.follow(r).to("self").patch(json!({&field: value})).map(|_| ()),
                    Op::Draft => {
                        r.data_mut()[&field] = value.clone();
                        drafts[*who].push((field.clone(), value.clone()));
                        Ok(())
                    }
                };
                match outcome {
                    Ok(()) => {
                        if let Some(value) = writes_shared {
                            shared = value;
                        }
                        if !matches!(op, Op::Refresh | Op::Draft | Op::DraftShared | Op::PatchShared) {
                            kept.push((field, value));
                        }
                        if matches!(op, Op::Update | Op::Put) {
                            // The draft went out with them.
                            kept.append(&mut drafts[*who]);
                        }
                        if matches!(op, Op::Update) {
                            updates += 1;
                        }
                    }
                    Err(Error::MergeConflicts(_)) if matches!(op, Op::Update) => {
                        prop_assert!(clients[*who].draft().is_some(), "step {n}: the draft was not put back");
                        prop_assert_eq!(&s.current(PATH).unwrap().data, &before, "step {}: a merge conflict, but something was written", n);
                    }
                    Err(e) => prop_assert!(e.is_conflict(), "step {n} {op:?}: {e}"),
                }
                if clients[*who].draft().is_none() {
                    drafts[*who].clear();
                }
                for c in &clients {
                    holds(&s, c);
                }
            }
            let now = s.current(PATH).unwrap().data;
            for (field, value) in &kept {
                prop_assert_eq!(&now[field], value, "{} was reported Ok but is lost: {}", field, now);
            }
            prop_assert_eq!(now["count"].as_i64().unwrap(), updates);
            prop_assert_eq!(now.get("shared"), shared.as_ref(), "the last Ok write of the shared field is lost: {}", now);
        }
    }
}

#[test]
fn every_self_link_counts_as_the_resources_own_url() {
    let s = server(Options::default());
    let api = api(&s);
    let read = api.using_endpoint(PATH).get().unwrap();
    let etag = read.etag().unwrap().to_owned();
    // A document held in hand with two self links (no URL it was read from).
    let mut r = Resource::from(json!({
        "_links": {"self": [{"href": "/elsewhere"}, {"href": PATH}]},
        "_etag": etag.trim_matches('"'),
        "count": 0, "name": "Kim"
    }));
    api.follow_mut(&mut r)
        .to("self")
        .at(1)
        .patch(json!({"name": "Lee"}))
        .unwrap();
    assert_eq!(
        s.last().header("if-match").map(|e| e.trim_matches('"')),
        Some(etag.trim_matches('"')),
        "a write to either self link carries the validators"
    );
    assert_eq!(r["name"], "Lee");
    holds(&s, &r);
}

#[test]
fn a_put_through_follow_mut_keeps_the_documents_hal_parts() {
    let s = server(Options {
        templates: Some(json!({"default": {"method": "PUT", "properties": []}})),
        ..Options::default()
    });
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    assert!(r.template("default").is_ok(), "{r}");
    api.follow_mut(&mut r)
        .to("self")
        .put(json!({"count": 3, "name": "Kim"}))
        .unwrap();
    assert_eq!(r["count"], 3);
    assert!(r.has_rel("self"), "{r}");
    assert!(r.template("default").is_ok(), "{r}");
    holds(&s, &r);
    // HAL parts added in hand are a draft: the PUT does not keep them under the new ETag.
    r.data_mut()["_links"]["next"] = json!({"href": "/items/2"});
    api.follow_mut(&mut r)
        .to("self")
        .put(json!({"count": 4, "name": "Kim"}))
        .unwrap();
    assert!(!r.has_rel("next"), "{r}");
    assert!(r.has_rel("self") && r.template("default").is_ok(), "{r}");
}

#[test]
fn a_412_to_a_bare_field_etag_says_what_a_strict_server_needs() {
    // The family sends an item's `_etag` field as it is (Eve's is the ETag header's text
    // without its quotes). A server that reads `If-Match` strictly matches nothing with it:
    // the 412 says so, and `update` gets there by refreshing the item with a GET.
    let s = server(Options {
        eve_style: true,
        unquoted_etags: false,
        ..Options::default()
    });
    let api = api(&s);
    let page = api.using_endpoint("/items").get().unwrap();
    let mut item = page.embedded_many("items").unwrap().remove(0);
    let bare = item.etag().unwrap().to_owned();
    let err = api
        .follow_mut(&mut item)
        .to("self")
        .patch(json!({"count": 5}))
        .unwrap_err();
    assert_eq!(s.last().header("if-match"), Some(bare.as_str()));
    let message = err.to_string();
    assert!(message.contains("bare token"), "{message}");
    assert!(message.contains("get"), "{message}");
    assert_eq!(item.etag(), Some(bare.as_str()), "the item is untouched");
    let done = api.update(&mut item, increment).unwrap();
    assert_eq!(done.conflicts, 1, "{done:?}");
    assert_eq!(count(&s), 1);
    holds(&s, &item);
}

#[test]
fn edits_made_in_hand_are_a_draft_that_update_sends_and_a_write_never_pairs_with_a_new_etag() {
    for answer in [
        WriteAnswer::NoContent,
        WriteAnswer::Eve,
        WriteAnswer::Representation,
    ] {
        let s = server(Options {
            write_answer: answer,
            ..Options::default()
        });
        let api = api(&s);
        // A PATCH of another field: the resource then holds the server's new version; the
        // draft that was not sent is dropped, never kept under the new ETag.
        let mut r = api.using_endpoint(PATH).get().unwrap();
        r.data_mut()["name"] = json!("LOCAL");
        api.follow_mut(&mut r)
            .to("self")
            .patch(json!({"count": 1}))
            .unwrap();
        holds(&s, &r);
        assert_eq!(r["name"], "Kim", "{answer:?}");
        // `update` sends the draft with its change, on every attempt: another client writes
        // in between, and both the draft and the change still land.
        r.data_mut()["name"] = json!("Lee");
        let mut other = api.using_endpoint(PATH).get().unwrap();
        api.update(&mut other, |d| d["count"] = json!(5)).unwrap();
        let done = api.update(&mut r, increment).unwrap();
        assert_eq!(done.conflicts, 1, "{answer:?}: {done:?}");
        holds(&s, &r);
        let now = s.current(PATH).unwrap().data;
        assert_eq!(now, json!({"count": 6, "name": "Lee"}), "{answer:?}");
        // A PUT of the draft sends it whole; the resource is then that version.
        r.data_mut()["name"] = json!("Max");
        let body = own_fields(r.data());
        api.follow_mut(&mut r).to("self").put(body).unwrap();
        holds(&s, &r);
        assert_eq!(s.current(PATH).unwrap().data["name"], "Max");
    }
}

#[test]
fn update_never_sends_the_hal_parts_a_typed_round_trip_drops() {
    #[derive(serde::Deserialize, serde::Serialize)]
    struct Item {
        count: i64,
        name: String,
    }
    // Eve-style documents also carry `_id`, `_updated` and `_etag`, which the type leaves
    // out: their absence is not a change to send (Eve answers 422 to `_updated` in a body).
    for eve_style in [false, true] {
        let s = server(Options {
            eve_style,
            ..Options::default()
        });
        let api = api(&s);
        let mut r = api.using_endpoint(PATH).get().unwrap();
        assert!(r.has_rel("self"));
        api.update(&mut r, |d| {
            let mut item: Item = serde_json::from_value(d.clone()).unwrap();
            item.count += 1;
            *d = serde_json::to_value(&item).unwrap();
        })
        .unwrap();
        let sent: Value = serde_json::from_str(&s.last().body_text()).unwrap();
        assert_eq!(sent, json!({"count": 1}), "eve_style {eve_style}");
        assert!(r.has_rel("self"), "{r}");
        holds(&s, &r);
        api.follow_mut(&mut r)
            .to("self")
            .patch(json!({"name": "Lee"}))
            .unwrap();
        holds(&s, &r);
        assert_eq!(
            s.current(PATH).unwrap().data,
            json!({"count": 1, "name": "Lee"})
        );
    }
}

#[test]
fn a_put_after_a_delete_recreates_only_while_nobody_else_has() {
    let s = server(Options::default());
    let api = api(&s);
    let mut r = api.using_endpoint(PATH).get().unwrap();
    api.follow_mut(&mut r).to("self").delete().unwrap();
    assert!(s.current(PATH).is_none());
    assert_eq!(r.etag(), None);
    // Another client creates it again: our PUT must not overwrite that.
    s.put(PATH, json!({"count": 7, "name": "Ann"}));
    let err = api
        .follow_mut(&mut r)
        .to("self")
        .put(json!({"count": 0, "name": "Kim"}))
        .unwrap_err();
    assert_eq!(s.last().header("if-none-match"), Some("*"));
    assert!(matches!(err, Error::PreconditionFailed(_)), "{err:?}");
    assert!(err.to_string().contains("if-none-match *"), "{err}");
    assert_eq!(
        s.current(PATH).unwrap().data,
        json!({"count": 7, "name": "Ann"})
    );
    // Deleted again, nobody in between: the PUT recreates it and the resource is that version.
    let mut again = api.using_endpoint(PATH).get().unwrap();
    api.follow_mut(&mut again).to("self").delete().unwrap();
    api.follow_mut(&mut again)
        .to("self")
        .put(json!({"count": 1, "name": "Kim"}))
        .unwrap();
    assert_eq!(s.last().header("if-none-match"), Some("*"));
    assert!(again.etag().is_some());
    holds(&s, &again);
    api.update(&mut again, increment).unwrap();
    assert_eq!(count(&s), 2);
    holds(&s, &again);
}
