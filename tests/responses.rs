//! Responses as resources: data first, the HTTP details in `meta()`.

mod common;

use common::{RawServer, Reply, Server, api, api_at};
use halchemy::{ResponseBody, http::header};
use serde_json::{Value, json};

#[test]
fn a_json_body_becomes_the_data_with_the_details_beside_it() {
    let server = Server::routes(vec![(
        "GET",
        "/customers/1",
        Reply::new(200)
            .header("content-type", "application/hal+json")
            .header("etag", "\"v1\"")
            .body(r#"{"_links":{"self":{"href":"/customers/1"}},"name":"Kim","age":40}"#),
    )]);
    let api = api(&server);
    let r = api.using_endpoint("/customers/1").get().unwrap();
    assert_eq!(r["name"], "Kim");
    assert_eq!(r.data()["age"], 40);
    assert_eq!(r["missing"], Value::Null);
    assert_eq!(r.etag(), Some("\"v1\""));
    let meta = r.meta();
    assert_eq!(meta.request.method, "GET");
    assert_eq!(meta.request.url, server.url("/customers/1"));
    assert_eq!(meta.response.status, 200);
    assert_eq!(meta.response.reason, "OK");
    assert_eq!(
        meta.response.headers[header::CONTENT_TYPE],
        "application/hal+json"
    );
    assert_eq!(meta.response.body, ResponseBody::Json);
    assert!(meta.error.is_none());
    assert_eq!(
        r.to_string(),
        r#"{"_links":{"self":{"href":"/customers/1"}},"age":40,"name":"Kim"}"#
    );
    assert!(format!("{r:#}").contains("\n  \"name\": \"Kim\""));

    #[derive(serde::Deserialize)]
    struct Customer {
        name: String,
        age: u32,
    }
    let c: Customer = r.deserialize().unwrap();
    assert_eq!((c.name.as_str(), c.age), ("Kim", 40));
    assert!(r.deserialize::<Vec<u8>>().is_err());
    assert_eq!(r.clone().into_data()["name"], "Kim");
}

#[test]
fn a_body_that_is_not_json_is_kept_as_text() {
    for (body, ct) in [
        ("<html>hi</html>", "text/html"),
        ("<a/>", "application/xml"),
        ("{\"broken\": ", "application/json"),
    ] {
        let s = RawServer::answering(200, &[("content-type", ct)], body);
        let r = api_at(&s.base_url()).home().get().unwrap();
        assert_eq!(r.data(), &Value::Null);
        assert_eq!(r.meta().response.body.as_text(), Some(body));
    }
}

#[test]
fn json_that_is_not_an_object_is_still_the_data() {
    let s = RawServer::answering(200, &[], "[1,2,3]");
    let r = api_at(&s.base_url()).home().get().unwrap();
    assert_eq!(r.data(), &json!([1, 2, 3]));
    assert_eq!(r[1], 2);
    assert_eq!(r["x"], Value::Null);
}

#[test]
fn error_statuses_are_recorded_but_not_raised_by_default() {
    let s = RawServer::answering(404, &[], r#"{"message":"no such thing"}"#);
    let r = api_at(&s.base_url()).home().get().unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.meta().response.reason, "Not Found");
    assert_eq!(r["message"], "no such thing");
    assert_eq!(
        r.meta().error,
        Some(halchemy::MetaError::Status {
            status: 404,
            reason: "Not Found".into()
        })
    );
}

#[test]
fn the_etag_comes_from_the_header_else_the_field_else_nowhere() {
    let v = common::vectors("optimistic_concurrency");
    for (_, case) in v.as_object().unwrap() {
        let headers: Vec<(String, String)> = case["response_headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        let h: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let s = RawServer::answering(200, &h, &case["body"].to_string());
        let r = api_at(&s.base_url()).home().get().unwrap();
        assert_eq!(r.etag(), case["if_match_sent"].as_str(), "{case}");
    }
}

#[test]
fn head_and_empty_bodies_leave_the_data_null() {
    let s = RawServer::answering(204, &[], "");
    let r = api_at(&s.base_url()).home().delete().unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.meta().response.reason, "No Content");
    assert_eq!(r.meta().response.body, ResponseBody::Empty);
    assert_eq!(r.data(), &Value::Null);
}
