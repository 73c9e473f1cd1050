//! The HAL store: RFC 9110 conditional requests, write answers, and compare-and-swap.

mod support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use halchemy_testserver::{Counters, HalServer, Options, Validators, WriteAnswer, own_fields};
use serde_json::{Value, json};
use support::{Client, Response};

const ITEM: &str = "/items/1";
const JSON: (&str, &str) = ("content-type", "application/json");

/// A store with `options` and one item, `{"n": 0, "name": "Kim"}`, at [`ITEM`].
fn store(options: Options) -> (HalServer, Client) {
    let server = HalServer::start(options);
    server.put(ITEM, json!({"n": 0, "name": "Kim"}));
    let client = Client::connect(server.port());
    (server, client)
}

fn get(c: &mut Client, headers: &[(&str, &str)]) -> Response {
    c.request("GET", ITEM, headers, "")
}

/// The item's current ETag header, as text.
fn etag(c: &mut Client) -> String {
    get(c, &[]).header("etag").expect("an etag").to_owned()
}

fn patch(c: &mut Client, if_match: &str, body: Value) -> Response {
    c.request(
        "PATCH",
        ITEM,
        &[JSON, ("if-match", if_match)],
        &body.to_string(),
    )
}

#[test]
fn if_match_is_a_compare_and_swap_on_strong_etags() {
    let (s, mut c) = store(Options::default());
    let first = etag(&mut c);
    assert!(first.starts_with('"') && first.ends_with('"'), "{first}");
    let ok = patch(&mut c, &first, json!({"n": 1}));
    assert_eq!(ok.status, 204);
    let second = ok.header("etag").unwrap().to_owned();
    assert_ne!(second, first, "every write makes a new etag");
    let stale = patch(&mut c, &first, json!({"n": 2}));
    assert_eq!(
        (stale.status, stale.header("etag")),
        (412, Some(second.as_str()))
    );
    let current = s.current(ITEM).unwrap();
    assert_eq!(current.data, json!({"n": 1, "name": "Kim"}));
    assert_eq!(
        (current.etag, current.version),
        (Some(second.into_bytes()), 2)
    );
    let expected = Counters {
        applied: 1,
        precondition_failed: 1,
        precondition_required: 0,
    };
    assert_eq!(s.counters(), expected);
}

#[test]
fn writes_without_a_precondition_get_428_unless_it_is_not_required() {
    let (s, mut c) = store(Options::default());
    for method in ["PATCH", "PUT", "DELETE"] {
        assert_eq!(
            c.request(method, ITEM, &[JSON], r#"{"n": 5}"#).status,
            428,
            "{method}"
        );
    }
    let stale_date = [
        JSON,
        ("if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT"),
    ];
    let r = c.request("PATCH", ITEM, &stale_date, r#"{"n": 5}"#);
    assert_eq!(
        r.status, 428,
        "a date this server cannot evaluate is no precondition"
    );
    assert_eq!(s.counters().precondition_required, 4);
    assert_eq!(s.current(ITEM).unwrap().version, 1);

    let (s, mut c) = store(Options {
        require_precondition: false,
        ..Options::default()
    });
    assert_eq!(c.request("PATCH", ITEM, &[JSON], r#"{"n": 5}"#).status, 204);
    assert_eq!(s.current(ITEM).unwrap().data["n"], 5, "applied blindly");
}

#[test]
fn if_match_takes_a_star_and_lists() {
    let (s, mut c) = store(Options::default());
    assert_eq!(patch(&mut c, "*", json!({"n": 1})).status, 204);
    let current = etag(&mut c);
    assert_eq!(
        patch(&mut c, &format!("\"nope\", {current}"), json!({"n": 2})).status,
        204
    );
    assert_eq!(
        patch(&mut c, "\"nope\", \"other\"", json!({"n": 3})).status,
        412
    );
    let put = c.request("PUT", "/items/new", &[JSON, ("if-match", "*")], "{}");
    assert_eq!(put.status, 412, "`*` matches only an existing resource");
    assert_eq!(s.current(ITEM).unwrap().data["n"], 2);
}

#[test]
fn a_weak_etag_never_matches_if_match_but_matches_if_none_match() {
    let (s, mut c) = store(Options {
        validators: Validators::Weak,
        ..Options::default()
    });
    let weak = etag(&mut c);
    assert!(weak.starts_with("W/\""), "{weak}");
    let strong = weak.trim_start_matches("W/");
    for sent in [weak.as_str(), strong, strong.trim_matches('"')] {
        assert_eq!(patch(&mut c, sent, json!({"n": 1})).status, 412, "{sent}");
    }
    for sent in [weak.as_str(), strong] {
        assert_eq!(
            get(&mut c, &[("if-none-match", sent)]).status,
            304,
            "{sent}"
        );
    }
    assert_eq!(s.current(ITEM).unwrap().version, 1);
}

#[test]
fn a_bare_token_matches_as_eve_reads_it_unless_told_otherwise() {
    let (_, mut c) = store(Options::default());
    let bare = etag(&mut c).trim_matches('"').to_owned();
    assert_eq!(patch(&mut c, &bare, json!({"n": 1})).status, 204);

    let (_, mut c) = store(Options {
        unquoted_etags: false,
        ..Options::default()
    });
    let bare = etag(&mut c).trim_matches('"').to_owned();
    assert_eq!(patch(&mut c, &bare, json!({"n": 1})).status, 412);
}

#[test]
fn obs_text_etags_compare_byte_exact() {
    let (s, mut c) = store(Options {
        validators: Validators::ObsText,
        ..Options::default()
    });
    let tag = get(&mut c, &[]).header_bytes("etag").unwrap().to_vec();
    assert!(tag.contains(&0xE9), "{tag:?}");
    assert_eq!(
        s.current(ITEM).unwrap().etag.as_deref(),
        Some(tag.as_slice())
    );
    let listed = c.request("GET", "/items", &[], "").json();
    let field = listed["_embedded"]["items"][0]["_etag"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        field.ends_with('é'),
        "the field reads the bytes as Latin-1: {field}"
    );
    let utf8 = String::from_utf8_lossy(&tag).replace('\u{FFFD}', "é");
    for sent in [utf8.as_bytes(), field.as_bytes()] {
        let r = c.request_bytes(
            "PATCH",
            ITEM,
            &[("content-type", b"application/json"), ("if-match", sent)],
            "{}",
        );
        assert_eq!(r.status, 412, "{}", String::from_utf8_lossy(sent));
    }
    let r = c.request_bytes(
        "PATCH",
        ITEM,
        &[("content-type", b"application/json"), ("if-match", &tag)],
        "{}",
    );
    assert_eq!(r.status, 204);
}

#[test]
fn if_none_match_gives_304_with_the_etag() {
    let (_, mut c) = store(Options::default());
    let current = etag(&mut c);
    let fresh = get(&mut c, &[("if-none-match", &current)]);
    assert_eq!(
        (fresh.status, fresh.header("etag"), fresh.body.len()),
        (304, Some(current.as_str()), 0)
    );
    assert_eq!(get(&mut c, &[("if-none-match", "*")]).status, 304);
    let stale = get(&mut c, &[("if-none-match", "\"old\", W/\"older\"")]);
    assert_eq!(
        (stale.status, stale.json()["name"].as_str()),
        (200, Some("Kim"))
    );
}

/// Waits for the start of the next second, so a few requests fit in one.
fn start_of_a_second() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    std::thread::sleep(Duration::from_nanos(
        1_000_000_000 - u64::from(now.subsec_nanos()),
    ));
}

#[test]
fn last_modified_has_one_second_resolution_so_two_writes_in_a_second_both_pass() {
    let options = Options {
        validators: Validators::LastModifiedOnly,
        ..Options::default()
    };
    let (s, mut c) = store(options);
    let mut both_passed = false;
    for _ in 0..3 {
        start_of_a_second();
        s.put(ITEM, json!({"n": 0}));
        let read = get(&mut c, &[]);
        assert_eq!(read.header("etag"), None);
        let date = read
            .header("last-modified")
            .expect("a last-modified")
            .to_owned();
        let headers = [JSON, ("if-unmodified-since", date.as_str())];
        let first = c.request("PATCH", ITEM, &headers, r#"{"n": 1}"#);
        assert_eq!(first.status, 204);
        // The second writer read the same version: a lost update when the clock has not ticked.
        let second = c.request("PATCH", ITEM, &headers, r#"{"n": 2}"#);
        if second.status == 204 {
            assert_eq!(
                first.header("last-modified"),
                Some(date.as_str()),
                "still the same second"
            );
            both_passed = true;
            break;
        }
        assert_eq!(second.status, 412);
        assert_ne!(
            first.header("last-modified"),
            Some(date.as_str()),
            "412 only once the clock ticked"
        );
    }
    assert!(
        both_passed,
        "two writes in one second should both have passed"
    );

    let date = get(&mut c, &[]).header("last-modified").unwrap().to_owned();
    assert_eq!(get(&mut c, &[("if-modified-since", &date)]).status, 304);
    let long_ago = "Sun, 06 Nov 1994 08:49:37 GMT";
    assert_eq!(get(&mut c, &[("if-modified-since", long_ago)]).status, 200);
    let stale = c.request(
        "PATCH",
        ITEM,
        &[JSON, ("if-unmodified-since", long_ago)],
        "{}",
    );
    assert_eq!(
        (stale.status, stale.header("last-modified")),
        (412, Some(date.as_str()))
    );
    let not_a_date = c.request(
        "PATCH",
        ITEM,
        &[JSON, ("if-unmodified-since", "yesterday")],
        "{}",
    );
    assert_eq!(
        not_a_date.status, 204,
        "an invalid date is ignored (RFC 9110 §13.1.4)"
    );
}

#[test]
fn without_validators_only_if_match_star_passes() {
    let (_, mut c) = store(Options {
        validators: Validators::None,
        ..Options::default()
    });
    let read = get(&mut c, &[]);
    assert_eq!(
        (read.header("etag"), read.header("last-modified")),
        (None, None)
    );
    assert_eq!(patch(&mut c, "\"1\"", json!({"n": 1})).status, 412);
    let ok = patch(&mut c, "*", json!({"n": 1}));
    assert_eq!((ok.status, ok.header("etag")), (204, None));
}

/// The answer to a PATCH of `{"n": 1}` with the right If-Match under `answer`.
fn answer_to_patch(answer: WriteAnswer, prefer: Option<&str>) -> (HalServer, Response) {
    let (s, mut c) = store(Options {
        write_answer: answer,
        ..Options::default()
    });
    let current = etag(&mut c);
    let mut headers = vec![JSON, ("if-match", current.as_str())];
    headers.extend(prefer.map(|p| ("prefer", p)));
    let r = c.request("PATCH", ITEM, &headers, r#"{"n": 1}"#);
    (s, r)
}

#[test]
fn each_write_answer() {
    let (s, r) = answer_to_patch(WriteAnswer::Representation, None);
    let current = s.current(ITEM).unwrap();
    assert_eq!((r.status, r.header("content-location")), (200, Some(ITEM)));
    assert_eq!(r.header_bytes("etag"), current.etag.as_deref());
    assert_eq!(
        own_fields(&r.json()),
        current.data,
        "the client's etag names the server's data"
    );
    assert_eq!(r.json()["_links"], json!({"self": {"href": ITEM}}));

    let (s, r) = answer_to_patch(WriteAnswer::NoContent, None);
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(
        r.header_bytes("etag"),
        s.current(ITEM).unwrap().etag.as_deref()
    );

    let (s, r) = answer_to_patch(WriteAnswer::Eve, None);
    let body = r.json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["_etag", "_id", "_links", "_status", "_updated"]);
    assert_eq!(
        (body["_id"].as_str(), body["_status"].as_str()),
        (Some("1"), Some("OK"))
    );
    assert_eq!(body["_links"], json!({"self": {"href": ITEM}}));
    let header = r.header("etag").unwrap();
    assert_eq!(header.trim_matches('"'), body["_etag"]);
    assert_eq!(
        Some(header.as_bytes()),
        s.current(ITEM).unwrap().etag.as_deref()
    );

    let (s, r) = answer_to_patch(WriteAnswer::SeeOther, None);
    assert_eq!(
        (r.status, r.header("location"), r.header("etag")),
        (303, Some(ITEM), None)
    );
    assert_eq!(s.current(ITEM).unwrap().data["n"], 1);

    let (s, r) = answer_to_patch(WriteAnswer::Bare, None);
    assert_eq!(
        (r.status, r.json(), r.header("etag")),
        (200, json!({}), None)
    );
    assert_eq!(s.counters().applied, 1);
}

#[test]
fn prefer_return_representation_wins_when_honoured() {
    let (s, r) = answer_to_patch(WriteAnswer::NoContent, Some("return=representation"));
    assert_eq!(
        (r.status, r.header("preference-applied")),
        (200, Some("return=representation"))
    );
    assert_eq!(own_fields(&r.json()), s.current(ITEM).unwrap().data);
    let (_, r) = answer_to_patch(WriteAnswer::Bare, Some("respond-async, return=minimal"));
    assert_eq!(
        (r.status, r.header("preference-applied")),
        (204, Some("return=minimal"))
    );

    let (s, mut c) = store(Options {
        honor_prefer: false,
        ..Options::default()
    });
    let current = etag(&mut c);
    let headers = [
        JSON,
        ("if-match", current.as_str()),
        ("prefer", "return=representation"),
    ];
    let r = c.request("PATCH", ITEM, &headers, r#"{"n": 1}"#);
    assert_eq!((r.status, r.header("preference-applied")), (204, None));
    assert_eq!(s.current(ITEM).unwrap().data["n"], 1);
}

#[test]
fn get_can_answer_204_without_a_body() {
    let (s, mut c) = store(Options {
        get_no_content: true,
        ..Options::default()
    });
    let r = get(&mut c, &[]);
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(
        r.header_bytes("etag"),
        s.current(ITEM).unwrap().etag.as_deref()
    );
}

#[test]
fn if_match_on_get_is_evaluated_only_when_asked() {
    let (_, mut c) = store(Options::default());
    assert_eq!(get(&mut c, &[("if-match", "\"stale\"")]).status, 200);
    let (s, mut c) = store(Options {
        if_match_on_get: true,
        ..Options::default()
    });
    let current = etag(&mut c);
    let stale = get(&mut c, &[("if-match", "\"stale\"")]);
    assert_eq!(
        (stale.status, stale.header("etag")),
        (412, Some(current.as_str()))
    );
    assert_eq!(get(&mut c, &[("if-match", &current)]).status, 200);
    assert_eq!(s.counters().precondition_failed, 1);
}

#[test]
fn patch_is_a_merge_patch_where_null_removes() {
    let (s, mut c) = store(Options::default());
    s.put(
        ITEM,
        json!({"name": "Kim", "address": {"city": "Pawnee", "zip": "1"}, "tags": [1]}),
    );
    let change = json!({
        "name": null,
        "address": {"zip": null, "street": "Main"},
        "tags": [2],
        "_links": {"self": {"href": "/elsewhere"}},
        "_etag": "forged"
    });
    let headers = [
        ("content-type", "application/merge-patch+json"),
        ("if-match", "*"),
    ];
    assert_eq!(
        c.request("PATCH", ITEM, &headers, &change.to_string())
            .status,
        204
    );
    let expected = json!({"address": {"city": "Pawnee", "street": "Main"}, "tags": [2]});
    assert_eq!(
        s.current(ITEM).unwrap().data,
        expected,
        "server-owned fields are ignored"
    );
    assert_eq!(get(&mut c, &[]).json()["_links"]["self"]["href"], ITEM);
}

#[test]
fn patch_media_types_other_than_json_get_415() {
    let (_, mut c) = store(Options::default());
    let send = |c: &mut Client, media_type: &str| {
        c.request(
            "PATCH",
            ITEM,
            &[("content-type", media_type), ("if-match", "*")],
            "{}",
        )
        .status
    };
    assert_eq!(send(&mut c, "text/plain"), 415);
    assert_eq!(send(&mut c, "application/json; charset=utf-8"), 204);
    assert_eq!(send(&mut c, "application/merge-patch+json"), 204);
    let (s, mut c) = store(Options {
        accept_merge_patch_type: false,
        ..Options::default()
    });
    assert_eq!(
        send(&mut c, "application/merge-patch+json"),
        415,
        "as Eve does"
    );
    assert_eq!(send(&mut c, "application/json"), 204);
    assert_eq!(s.counters().applied, 1);
}

#[test]
fn post_creates_with_location_and_the_collection_lists_with_etags() {
    let (s, mut c) = store(Options::default());
    let created = c.request(
        "POST",
        "/items",
        &[JSON],
        r#"{"name": "Lee", "_etag": "x"}"#,
    );
    assert_eq!(
        (created.status, created.header("location")),
        (201, Some("/items/2"))
    );
    let current = s.current("/items/2").unwrap();
    assert_eq!((current.data, current.version), (json!({"name": "Lee"}), 1));
    assert_eq!(created.header_bytes("etag"), current.etag.as_deref());
    assert_eq!(c.request("POST", "/items", &[JSON], "[1]").status, 400);

    s.put("/items/1/notes", json!({"not": "listed"}));
    let list = c.request("GET", "/items", &[], "").json();
    assert_eq!(list["count"], 2);
    let items = list["_embedded"]["items"].as_array().unwrap();
    let names: Vec<&Value> = items.iter().map(|i| &i["name"]).collect();
    assert_eq!(names, [&json!("Kim"), &json!("Lee")]);
    let field = items[1]["_etag"].as_str().unwrap();
    assert_eq!(Some(format!("\"{field}\"").into_bytes()), current.etag);
    assert_eq!(items[1]["_links"]["self"]["href"], "/items/2");
}

#[test]
fn put_replaces_own_fields_or_creates_and_delete_removes() {
    let (s, mut c) = store(Options::default());
    let r = c.request("PUT", ITEM, &[JSON, ("if-match", "*")], r#"{"only": 1}"#);
    assert_eq!(r.status, 204);
    assert_eq!(s.current(ITEM).unwrap().data, json!({"only": 1}));
    let new = c.request("PUT", "/elsewhere/x", &[JSON], r#"{"made": true}"#);
    assert_eq!(
        (new.status, new.header("location")),
        (201, Some("/elsewhere/x"))
    );

    assert_eq!(
        c.request("DELETE", ITEM, &[("if-match", "*")], "").status,
        204
    );
    assert!(s.current(ITEM).is_none());
    assert_eq!(get(&mut c, &[]).status, 404);
    assert_eq!(patch(&mut c, "*", json!({})).status, 404);
    assert_eq!(c.request("OPTIONS", "/elsewhere/x", &[], "").status, 405);
    assert_eq!(s.counters().applied, 3);
}

#[test]
fn eve_style_documents_carry_eves_fields_and_links() {
    let (s, mut c) = store(Options {
        eve_style: true,
        ..Options::default()
    });
    let r = get(&mut c, &[]);
    let doc = r.json();
    assert_eq!(
        (doc["_id"].as_str(), doc["name"].as_str()),
        (Some("1"), Some("Kim"))
    );
    assert!(doc["_updated"].as_str().unwrap().ends_with(" GMT"));
    assert_eq!(r.header("etag").unwrap().trim_matches('"'), doc["_etag"]);
    let links =
        json!({"self": {"href": ITEM}, "parent": {"href": "/"}, "collection": {"href": "/items"}});
    assert_eq!(doc["_links"], links);
    assert_eq!(own_fields(&doc), s.current(ITEM).unwrap().data);

    let (_, mut c) = store(Options::default());
    let doc = get(&mut c, &[]).json();
    assert_eq!(
        doc,
        json!({"n": 0, "name": "Kim", "_links": {"self": {"href": ITEM}}})
    );
}

#[test]
fn racing_if_match_writes_succeed_once_per_version() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 5;
    let options = Options {
        write_answer: WriteAnswer::Representation,
        write_delay: Duration::from_millis(2),
        ..Options::default()
    };
    let (s, _) = store(options);
    let barrier = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (port, barrier) = (s.port(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut c = Client::connect(port);
                let mut oks = 0;
                for _ in 0..ROUNDS {
                    let read = get(&mut c, &[]);
                    let n = read.json()["n"].as_i64().unwrap();
                    barrier.wait(); // everyone holds the same version
                    let etag = read.header("etag").unwrap();
                    let r = patch(&mut c, etag, json!({"n": n + 1}));
                    assert!(matches!(r.status, 200 | 412), "{r:?}");
                    oks += usize::from(r.status == 200);
                    barrier.wait(); // the round is over
                }
                oks
            })
        })
        .collect();
    let oks: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let current = s.current(ITEM).unwrap();
    assert_eq!(oks, ROUNDS, "exactly one write per round");
    assert_eq!(current.version as usize, oks + 1, "the seed is version 1");
    assert_eq!(current.data["n"], oks, "no update lost");
    let counters = s.counters();
    assert_eq!(counters.applied as usize, oks);
    assert_eq!(
        counters.precondition_failed as usize,
        THREADS * ROUNDS - oks
    );
}
