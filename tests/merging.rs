//! Resolving conflicts: a three-way merge after a `412`, against the compare-and-swap server.

use halchemy::{Api, Choice, Error, Resource, UpdateOptions};
use halchemy_testserver::store::{HalServer, Options, WriteAnswer, own_fields};
use halchemy_testserver::{Reply, Server};
use serde_json::{Value, json};

const PATH: &str = "/items/1";

fn setup(options: Options) -> (HalServer, Api) {
    let s = HalServer::start(options);
    s.put(
        PATH,
        json!({"name": "Kim", "city": "Pawnee", "address": {"street": "Main", "zip": "1"}, "tags": ["a"]}),
    );
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    (s, api)
}

fn server_data(s: &HalServer) -> Value {
    s.current(PATH).unwrap().data
}

/// The other writer: changes the server behind our back.
fn theirs(api: &Api, change: Value) {
    let mut other = api.using_endpoint(PATH).get().unwrap();
    api.follow_mut(&mut other).to("self").patch(change).unwrap();
}

#[test]
fn different_fields_both_survive_with_one_call() {
    let (s, api) = setup(Options::default());
    let mut mine = api.using_endpoint(PATH).get().unwrap();
    theirs(&api, json!({"city": "Eagleton", "address": {"zip": "2"}}));

    let err = api
        .follow_mut(&mut mine)
        .to("self")
        .patch(json!({"name": "Leslie", "address": {"street": "Elm"}}))
        .unwrap_err();
    let Error::PreconditionFailed(conflict) = err else {
        panic!("expected a conflict")
    };
    let before = s.requests().len();
    let merging = api.merge(&mut mine, &conflict).unwrap();
    assert!(merging.conflicts().is_empty(), "{merging}");
    assert!(merging.merged_from_mine().iter().any(|p| p == "/name"));
    assert!(merging.merged_from_theirs().iter().any(|p| p == "/city"));
    assert_eq!(
        s.requests().len(),
        before + 1,
        "reading theirs is the only request"
    );
    merging.send().unwrap();

    let now = server_data(&s);
    assert_eq!(now["name"], "Leslie");
    assert_eq!(now["city"], "Eagleton");
    assert_eq!(now["address"], json!({"street": "Elm", "zip": "2"}));
    assert_eq!(
        own_fields(mine.data()),
        now,
        "the resource is brought forward"
    );
    let sent = s.last();
    assert_eq!(sent.method, "PATCH");
    assert_eq!(
        serde_json::from_slice::<Value>(&sent.body).unwrap(),
        json!({"name": "Leslie", "address": {"street": "Elm"}}),
        "only what theirs lacks is sent"
    );
}

#[test]
fn the_same_field_is_a_conflict_and_nothing_is_sent_until_resolved() {
    let (s, api) = setup(Options::default());
    let mut mine = api.using_endpoint(PATH).get().unwrap();
    theirs(&api, json!({"name": "Ann", "tags": ["b"]}));
    let Err(Error::PreconditionFailed(conflict)) = api
        .follow_mut(&mut mine)
        .to("self")
        .put(json!({"name": "Leslie", "city": "Pawnee", "address": {"street": "Main", "zip": "1"}, "tags": ["c"]}))
    else {
        panic!("expected a conflict")
    };
    let before_mine = mine.data().clone();
    let mut merging = api.merge(&mut mine, &conflict).unwrap();
    let pointers: Vec<&str> = merging
        .conflicts()
        .iter()
        .map(|c| c.pointer.as_str())
        .collect();
    assert_eq!(
        pointers,
        ["/name", "/tags"],
        "arrays compare as whole values"
    );
    let name = &merging.conflicts()[0];
    assert_eq!(name.base, Some(json!("Kim")));
    assert_eq!(name.mine, Some(json!("Leslie")));
    assert_eq!(name.theirs, Some(json!("Ann")));
    let report = merging.to_string();
    assert!(
        report.contains("/name") && report.contains("Leslie") && report.contains("Ann"),
        "{report}"
    );

    let requests = s.requests().len();
    merging.resolve("/name", Choice::Mine).unwrap();
    // One conflict still open: nothing can be sent.
    let err = merging.send().unwrap_err();
    assert!(
        matches!(&err, Error::UnresolvedConflicts { pointers } if pointers == &["/tags"]),
        "{err:?}"
    );
    assert_eq!(s.requests().len(), requests, "nothing was sent");
    assert_eq!(mine.data(), &before_mine, "nothing changed");

    let mut merging = api.merge(&mut mine, &conflict).unwrap();
    merging.resolve_with(|c| match c.pointer.as_str() {
        "/name" => Some(Choice::Value(json!("Leslie Ann"))),
        _ => Some(Choice::Theirs),
    });
    merging.send().unwrap();
    let now = server_data(&s);
    assert_eq!(now["name"], "Leslie Ann");
    assert_eq!(now["tags"], json!(["b"]));
    assert_eq!(s.last().method, "PUT", "a failed PUT is merged as a PUT");
    assert_eq!(own_fields(mine.data()), now);
}

#[test]
fn a_third_writer_during_the_merge_yields_another_conflict_not_a_loss() {
    let (s, api) = setup(Options::default());
    let mut mine = api.using_endpoint(PATH).get().unwrap();
    theirs(&api, json!({"city": "Eagleton"}));
    let Err(Error::PreconditionFailed(conflict)) = api
        .follow_mut(&mut mine)
        .to("self")
        .patch(json!({"name": "Leslie"}))
    else {
        panic!("expected a conflict")
    };
    let merging = api.merge(&mut mine, &conflict).unwrap();
    theirs(&api, json!({"address": {"zip": "3"}})); // the third writer
    let err = merging.send().unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let now = server_data(&s);
    assert_eq!(
        now["address"]["zip"], "3",
        "the third writer's change is kept"
    );
    assert_eq!(
        now["name"], "Kim",
        "the merged change was not applied over it"
    );
    assert_eq!(mine["name"], "Kim", "the resource is untouched");
}

#[test]
fn update_can_merge_instead_of_applying_the_change_again() {
    let (s, api) = setup(Options {
        write_answer: WriteAnswer::Eve,
        ..Options::default()
    });
    let mut mine = api.using_endpoint(PATH).get().unwrap();
    theirs(&api, json!({"city": "Eagleton"}));
    let mut calls = 0;
    let options = UpdateOptions::new().merge_on_conflict();
    let done = api
        .update_with(&mut mine, &options, |d| {
            calls += 1;
            d["name"] = "Leslie".into();
        })
        .unwrap();
    assert_eq!(calls, 1, "the closure ran once");
    assert_eq!(done.conflicts, 1);
    let now = server_data(&s);
    assert_eq!(
        (now["name"].as_str(), now["city"].as_str()),
        (Some("Leslie"), Some("Eagleton"))
    );
    assert_eq!(own_fields(mine.data()), now);

    // Both changed one field: the report comes back and the resource holds theirs.
    theirs(&api, json!({"name": "Ann"}));
    let err = api
        .update_with(&mut mine, &options, |d| d["name"] = "Ron".into())
        .unwrap_err();
    let Error::MergeConflicts(report) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(report.unresolved(), ["/name"]);
    assert_eq!(server_data(&s)["name"], "Ann");
    assert_eq!(mine["name"], "Ann");
}

#[test]
fn only_json_writes_through_follow_mut_can_be_merged() {
    let (_s, api) = setup(Options::default());
    let mut mine = api.using_endpoint(PATH).get().unwrap();
    theirs(&api, json!({"city": "Eagleton"}));
    let shared = mine.clone();
    let Err(Error::PreconditionFailed(conflict)) =
        api.follow(&shared).to("self").patch(json!({"name": "x"}))
    else {
        panic!("expected a conflict")
    };
    let err = api.merge(&mut mine, &conflict).unwrap_err();
    assert!(matches!(err, Error::NotMergeable { .. }), "{err:?}");
    let Err(Error::PreconditionFailed(conflict)) = api.follow_mut(&mut mine).to("self").delete()
    else {
        panic!("expected a conflict")
    };
    assert!(matches!(
        api.merge(&mut mine, &conflict),
        Err(Error::NotMergeable { .. })
    ));
    let _ = Resource::default();
}

mod edits {
    //! Random pairs of edits over the network: a field only one side changed is never lost,
    //! and a conflict is reported exactly when both changed a field to different values.

    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    const FIELDS: [&str; 4] = ["a", "b", "c", "d"];

    fn edit() -> impl Strategy<Value = Vec<(usize, Option<i64>)>> {
        prop::collection::vec((0..FIELDS.len(), prop::option::of(0i64..3)), 0..4)
    }

    fn apply(base: &Value, edits: &[(usize, Option<i64>)]) -> Value {
        let mut v = base.clone();
        for (f, value) in edits {
            match value {
                Some(n) => v[FIELDS[*f]] = json!(n),
                None => {
                    v.as_object_mut().unwrap().remove(FIELDS[*f]);
                }
            }
        }
        v
    }

    fn config() -> Config {
        let mut c = Config {
            failure_persistence: None,
            ..Config::default()
        };
        if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
            c.rng_seed = RngSeed::Fixed(0x3_2026);
        }
        if std::env::var_os("PROPTEST_CASES").is_none() {
            c.cases = 48;
        }
        c
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn one_sided_changes_survive_and_conflicts_are_exact(
            mine_edits in edit(),
            their_edits in edit(),
        ) {
            let s = HalServer::start(Options::default());
            let base = json!({"a": 0, "b": 0, "c": 0, "d": 0});
            s.put(PATH, base.clone());
            let api = Api::builder().base_url(s.base_url()).no_config_file().no_proxy().build().unwrap();
            let mut r = api.using_endpoint(PATH).get().unwrap();
            let their_doc = apply(&base, &their_edits);
            let mine_doc = apply(&base, &mine_edits);
            if their_doc == base {
                return Ok(());
            }
            let mut other = api.using_endpoint(PATH).get().unwrap();
            api.follow_mut(&mut other).to("self").put(their_doc.clone()).unwrap();
            let err = api.follow_mut(&mut r).to("self").put(mine_doc.clone()).unwrap_err();
            let Error::PreconditionFailed(conflict) = err else { panic!("expected a conflict") };
            let mut merging = api.merge(&mut r, &conflict).unwrap();
            let expected: Vec<String> = FIELDS
                .iter()
                .filter(|f| {
                    let (b, m, t) = (base.get(**f), mine_doc.get(**f), their_doc.get(**f));
                    m != b && t != b && m != t
                })
                .map(|f| format!("/{f}"))
                .collect();
            let reported: Vec<String> = merging.conflicts().iter().map(|c| c.pointer.clone()).collect();
            prop_assert_eq!(reported, expected);
            merging.resolve_all(Choice::Theirs);
            merging.send().unwrap();
            let now = s.current(PATH).unwrap().data;
            for f in FIELDS {
                let (b, m, t) = (base.get(f), mine_doc.get(f), their_doc.get(f));
                if m != b && t == b {
                    prop_assert_eq!(now.get(f), m, "my change of {} was lost", f);
                }
                if t != b && m == b {
                    prop_assert_eq!(now.get(f), t, "their change of {} was lost", f);
                }
            }
            prop_assert_eq!(own_fields(r.data()), now);
        }
    }
}

/// `/a`, versioned `"vN"`: a PATCH with the right `If-Match` is applied, unless its query
/// says `dry_run=true`; the `Authorization` of every request is recorded.
fn dry_run_server() -> (Server, std::sync::Arc<std::sync::Mutex<(u32, Value)>>) {
    let state = std::sync::Arc::new(std::sync::Mutex::new((1u32, json!({"a": 0, "b": 0}))));
    let st = std::sync::Arc::clone(&state);
    let s = Server::start(move |req| {
        let mut g = st.lock().unwrap();
        let etag = format!("\"v{}\"", g.0);
        let mut doc = g.1.clone();
        // Its own URL is the one asked, query included.
        doc["_links"] = json!({"self": {"href": req.target.clone()}});
        match req.method.as_str() {
            "GET" => Reply::new(200).header("etag", &etag).json(&doc),
            "PATCH" if req.header("if-match") != Some(etag.as_str()) => Reply::new(412),
            "PATCH" => {
                if !req
                    .query()
                    .iter()
                    .any(|(k, v)| k == "dry_run" && v == "true")
                {
                    let patch: Value = serde_json::from_slice(&req.body).unwrap();
                    for (k, v) in patch.as_object().unwrap() {
                        g.1[k] = v.clone();
                    }
                    g.0 += 1;
                }
                Reply::new(204).header("etag", &format!("\"v{}\"", g.0))
            }
            _ => Reply::new(405),
        }
    });
    (s, state)
}

#[test]
fn a_merge_sends_the_failed_write_again_with_its_query_and_its_own_headers() {
    let (s, state) = dry_run_server();
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .bearer_auth("SERVICE")
        .build()
        .unwrap();
    // Read as a dry run: its own URL is `/a?dry_run=true`.
    let mut r = api
        .using_endpoint("/a")
        .with_parameters(json!({"dry_run": true}))
        .get()
        .unwrap();
    let mut other = api.using_endpoint("/a").get().unwrap();
    api.follow_mut(&mut other)
        .to("self")
        .patch(json!({"b": 1}))
        .unwrap();
    s.clear();
    let err = api
        .follow_mut(&mut r)
        .to("self")
        .bearer_auth("USER-alice")
        .patch(json!({"a": 1}))
        .unwrap_err();
    let Error::PreconditionFailed(conflict) = err else {
        panic!("{err}")
    };
    api.merge(&mut r, &conflict).unwrap().send().unwrap();
    let sent: Vec<_> = s
        .requests()
        .iter()
        .map(|q| {
            (
                q.method.clone(),
                q.target.clone(),
                q.header("if-match").map(str::to_owned),
                q.header("authorization").map(str::to_owned),
            )
        })
        .collect();
    let alice = Some("Bearer USER-alice".to_owned());
    assert_eq!(
        sent,
        [
            (
                "PATCH".into(),
                "/a?dry_run=true".into(),
                Some("\"v1\"".into()),
                alice.clone()
            ),
            ("GET".into(), "/a?dry_run=true".into(), None, alice.clone()),
            (
                "PATCH".into(),
                "/a?dry_run=true".into(),
                Some("\"v2\"".into()),
                alice
            ),
        ]
    );
    // A dry run stays a dry run.
    assert_eq!(state.lock().unwrap().1, json!({"a": 0, "b": 1}));
}

#[test]
fn a_merge_does_not_resend_what_belonged_to_the_failed_writes_body() {
    let (s, state) = dry_run_server();
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    let mut r = api.using_endpoint("/a").get().unwrap();
    let mut other = api.using_endpoint("/a").get().unwrap();
    api.follow_mut(&mut other)
        .to("self")
        .patch(json!({"b": 1}))
        .unwrap();
    s.clear();
    let err = api
        .follow_mut(&mut r)
        .to("self")
        .with_headers([
            ("Idempotency-Key", "k-123"),
            ("Content-Digest", "sha-256=:AAAA:"),
            ("X-Trace", "t-1"),
        ])
        .patch(halchemy::Body::value(
            json!({"a": 1}),
            "application/merge-patch+json",
        ))
        .unwrap_err();
    let Error::PreconditionFailed(conflict) = err else {
        panic!("{err}")
    };
    api.merge(&mut r, &conflict).unwrap().send().unwrap();
    let requests = s.requests();
    let [_, read, write] = requests.as_slice() else {
        panic!("{requests:?}")
    };
    for q in [read, write] {
        assert_eq!(
            q.header("idempotency-key"),
            None,
            "{} {}",
            q.method,
            q.target
        );
        assert_eq!(
            q.header("content-digest"),
            None,
            "{} {}",
            q.method,
            q.target
        );
        assert_eq!(
            q.header("x-trace"),
            Some("t-1"),
            "{} {}",
            q.method,
            q.target
        );
    }
    assert_eq!(
        write.header("content-type"),
        Some("application/merge-patch+json")
    );
    assert_eq!(write.header("if-match"), Some("\"v2\""));
    assert_eq!(state.lock().unwrap().1, json!({"a": 1, "b": 1}));
}
