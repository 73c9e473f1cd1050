//! Request bodies: JSON of any value, raw text, form encoding, no body.

mod common;

use common::{RawServer, api_at};
use halchemy::Body;
use serde_json::json;

#[test]
#[allow(clippy::approx_constant)] // 3.14 is the value the issue names, not pi
fn any_json_value_arrives_as_its_exact_text() {
    let s = RawServer::answering(201, &[], "");
    let api = api_at(&s.base_url());
    let cases = [
        (json!(50), "50"),
        (json!(-12), "-12"),
        (json!(3.14), "3.14"),
        (json!("text"), "\"text\""),
        (json!(true), "true"),
        (json!(null), "null"),
        (json!(""), "\"\""),
        (json!([]), "[]"),
        (json!({}), "{}"),
        (
            json!([{"name": "a", "n": 1}, {"name": "b", "n": 2}]),
            r#"[{"n":1,"name":"a"},{"n":2,"name":"b"}]"#,
        ),
    ];
    for (value, text) in &cases {
        api.using_endpoint("/items").post(value).unwrap();
        let req = s.last();
        assert_eq!(req.body_text(), *text);
        assert_eq!(req.header("content-type"), Some("application/json"));
    }
    api.using_endpoint("/items").put(json!(50)).unwrap();
    assert_eq!(s.last().body_text(), "50");
    api.using_endpoint("/items")
        .patch(json!({"a": null}))
        .unwrap();
    assert_eq!(s.last().body_text(), r#"{"a":null}"#);
}

#[test]
fn serialize_types_are_sent_as_json() {
    #[derive(serde::Serialize)]
    struct Customer {
        name: &'static str,
        age: u8,
    }
    let s = RawServer::answering(201, &[], "");
    let api = api_at(&s.base_url());
    api.home()
        .post(Customer {
            name: "Kim",
            age: 40,
        })
        .unwrap();
    assert_eq!(s.last().body_text(), r#"{"name":"Kim","age":40}"#);
}

#[test]
fn raw_text_goes_with_its_content_type() {
    let s = RawServer::answering(200, &[], "");
    let api = api_at(&s.base_url());
    for (text, ct) in [
        ("plain words", "text/plain"),
        ("<a><b/></a>", "application/xml"),
    ] {
        api.home().post(Body::text(text, ct)).unwrap();
        let req = s.last();
        assert_eq!(req.body_text(), text);
        assert_eq!(req.header("content-type"), Some(ct));
    }
}

#[test]
fn a_json_object_with_the_form_content_type_is_form_encoded() {
    let s = RawServer::answering(200, &[], "");
    let api = api_at(&s.base_url());
    api.home()
        .post(Body::value(
            json!({"name": "John Doe", "age": 50}),
            "application/x-www-form-urlencoded",
        ))
        .unwrap();
    let req = s.last();
    let mut pairs: Vec<&str> = std::str::from_utf8(&req.body).unwrap().split('&').collect();
    pairs.sort();
    assert_eq!(pairs, ["age=50", "name=John+Doe"]);
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
}

#[test]
fn an_empty_body_sends_nothing() {
    let s = RawServer::answering(200, &[], "");
    let api = api_at(&s.base_url());
    let r = api.home().post(Body::empty()).unwrap();
    let req = s.last();
    assert!(req.body.is_empty());
    assert!(matches!(req.header("content-length"), None | Some("0")));
    assert_eq!(r.meta().request.body, None);
}

#[test]
fn the_request_meta_holds_the_body_sent() {
    let s = RawServer::answering(200, &[], "");
    let api = api_at(&s.base_url());
    let r = api.home().post(json!({"x": [1, 2]})).unwrap();
    assert_eq!(r.meta().request.body_text().unwrap(), r#"{"x":[1,2]}"#);
    assert_eq!(r.meta().request.method, "POST");
    assert_eq!(r.meta().request.url, s.url("/"));
}
