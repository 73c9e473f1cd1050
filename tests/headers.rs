//! Default headers, header setters, per-request headers, overrides of the HTTP layer's own.

mod common;

use common::{RawServer, api_at, vectors};
use halchemy::Error;

fn server() -> RawServer {
    RawServer::answering(200, &[("content-type", "application/json")], "{}")
}

#[test]
fn the_family_defaults_go_with_every_request_body_or_not() {
    let s = server();
    let api = api_at(&s.base_url());
    let expected = vectors("default_headers");
    api.home().get().unwrap();
    api.home().delete().unwrap();
    api.home().post(serde_json::json!({"a": 1})).unwrap();
    let requests = s.requests();
    assert_eq!(requests.len(), 3);
    for req in requests {
        for (name, value) in expected.as_object().unwrap() {
            assert_eq!(
                req.header(name),
                Some(value.as_str().unwrap()),
                "{name} on {}",
                req.method
            );
        }
    }
}

#[test]
fn setters_replace_add_and_remove_case_insensitively() {
    let s = server();
    let mut api = api_at(&s.base_url());
    api.add_headers([
        ("content-type", "application/merge-patch+json"),
        ("X-One", "1"),
    ])
    .unwrap();
    api.remove_headers(["AUTHORIZATION"]);
    api.home().get().unwrap();
    let req = s.last();
    assert_eq!(
        req.header("Content-Type"),
        Some("application/merge-patch+json")
    );
    assert_eq!(req.header("x-one"), Some("1"));
    assert_eq!(req.header("authorization"), None);
    assert!(req.header("accept").is_some());

    api.set_headers([("X-Only", "yes")]).unwrap();
    api.home().get().unwrap();
    let req = s.last();
    assert_eq!(req.header("x-only"), Some("yes"));
    assert_eq!(req.header("x-one"), None);
    assert_eq!(req.header("content-type"), None);
    assert_eq!(req.header("authorization"), None);
}

#[test]
fn per_request_headers_apply_to_that_request_only() {
    let s = server();
    let api = api_at(&s.base_url());
    api.home()
        .with_headers([("Accept", "text/plain"), ("X-Once", "1")])
        .get()
        .unwrap();
    api.home().get().unwrap();
    let reqs = s.requests();
    assert_eq!(reqs[0].header("accept"), Some("text/plain"));
    assert_eq!(reqs[0].header("x-once"), Some("1"));
    assert_eq!(
        reqs[1].header("accept"),
        Some("application/hal+json, application/json;q=0.9, */*;q=0.8")
    );
    assert_eq!(reqs[1].header("x-once"), None);
}

#[test]
fn overrides_of_the_http_layers_headers_win() {
    let s = server();
    let mut api = api_at(&s.base_url());
    api.add_headers([("User-Agent", "my-tool/2.0")]).unwrap();
    api.home().get().unwrap();
    assert_eq!(s.last().header("user-agent"), Some("my-tool/2.0"));

    api.home()
        .with_headers([("Connection", "close"), ("User-Agent", "once/1")])
        .get()
        .unwrap();
    let req = s.last();
    assert_eq!(req.header("connection"), Some("close"));
    assert_eq!(req.header("user-agent"), Some("once/1"));
    // The client honoured `close`: the next request comes on a new connection.
    api.home().get().unwrap();
    let reqs = s.requests();
    assert_ne!(reqs[1].connection, reqs[2].connection);
}

#[test]
fn headers_with_line_breaks_are_rejected_and_never_sent() {
    let s = server();
    let mut api = api_at(&s.base_url());
    let err = api
        .home()
        .with_headers([("X-Evil", "a\r\nInjected: yes")])
        .get()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidHeader { name, .. } if name == "X-Evil"),
        "{err}"
    );
    let err = api
        .home()
        .with_headers([("Bad Name", "v")])
        .url()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidHeader { .. }));
    assert!(api.add_headers([("X-Evil", "a\nb")]).is_err());
    assert!(api.set_headers([("X\n", "b")]).is_err());
    assert_eq!(api.headers().len(), 3, "a failed setter changes nothing");
    assert!(s.requests().is_empty(), "nothing was sent");
}

#[test]
fn the_request_meta_holds_the_headers_as_sent() {
    let s = server();
    let api = api_at(&s.base_url());
    let r = api.home().with_headers([("X-Trace", "t1")]).get().unwrap();
    let sent = &r.meta().request.headers;
    assert_eq!(sent["x-trace"], "t1");
    assert_eq!(sent["content-type"], "application/json");
    let debug = format!("{:?}", r.meta().request);
    assert!(!debug.contains("cm9vdDpwYXNzd29yZA=="), "{debug}");
}
