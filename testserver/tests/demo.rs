//! The examples' demo API, walked as the tour walks it.

mod support;

use halchemy_testserver::demo;
use serde_json::{Value, json};
use support::Client;

const JSON: (&str, &str) = ("content-type", "application/json");

#[test]
fn the_demo_api_walk() {
    let server = demo::start().expect("the demo starts");
    assert_eq!(server.url(), server.base_url());
    let mut c = Client::connect(server.port());

    let home = c.request("GET", "/", &[], "");
    assert_eq!((home.status, home.header("etag")), (200, None));
    let links = &home.json()["_links"];
    assert_eq!(links["customers"]["href"], "/customers");
    assert_eq!(
        links["customer"],
        json!({"href": "/customers/{id}", "templated": true})
    );
    assert_eq!(
        links["search"],
        json!({"href": "/customers{?city}", "templated": true})
    );

    let all = c.request("GET", "/customers", &[], "").json();
    let ids = |page: &Value| -> Vec<String> {
        page["_embedded"]["item"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        (all["count"].clone(), ids(&all)),
        (json!(3), vec!["A375".to_owned(), "B112".into()]),
        "two to a page"
    );
    assert_eq!(all["_links"]["next"]["href"], "/customers?page=2");
    let second = c.request("GET", "/customers?page=2", &[], "").json();
    assert_eq!(ids(&second), ["C007"]);
    assert!(second["_links"].get("next").is_none());
    assert_eq!(second["_links"]["prev"]["href"], "/customers?page=1");
    assert!(all["_embedded"]["item"][0]["_etag"].is_string());
    assert_eq!(
        all["_embedded"]["item"][0]["_templates"]["default"]["method"],
        "patch"
    );
    let pawnee = c
        .request(
            "GET",
            "/customers?city=Pawnee&note=found+by+the+tour",
            &[],
            "",
        )
        .json();
    assert_eq!(
        (pawnee["count"].clone(), ids(&pawnee)),
        (json!(2), vec!["A375".to_owned(), "B112".into()])
    );

    let leslie = c.request("GET", "/customers/A375", &[], "");
    let etag = leslie.header("etag").unwrap().to_owned();
    let doc = leslie.json();
    assert_eq!(
        (doc["name"].as_str(), doc["orders"].as_i64()),
        (Some("Leslie Knope"), Some(0))
    );
    assert_eq!(doc["_etag"], etag.trim_matches('"'));
    assert_eq!(doc["_links"]["collection"]["href"], "/customers");
    assert_eq!(
        c.request("GET", "/customers/A375", &[("if-none-match", &etag)], "")
            .status,
        304
    );

    let body = r#"{"orders": 1}"#;
    assert_eq!(
        c.request("PATCH", "/customers/A375", &[JSON], body).status,
        428
    );
    let saved = c.request(
        "PATCH",
        "/customers/A375",
        &[JSON, ("if-match", &etag)],
        body,
    );
    assert_eq!(
        (saved.status, saved.json()["orders"].as_i64()),
        (200, Some(1))
    );
    let new_etag = saved.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let stale = c.request(
        "PATCH",
        "/customers/A375",
        &[JSON, ("if-match", &etag)],
        body,
    );
    assert_eq!(
        (stale.status, stale.header("etag")),
        (412, Some(new_etag.as_str()))
    );
    // The `_etag` field of a listed item works as If-Match too, as halchemy sends it.
    let field =
        c.request("GET", "/customers", &[], "").json()["_embedded"]["item"][1]["_etag"].clone();
    let ron = c.request(
        "PUT",
        "/customers/B112",
        &[JSON, ("if-match", field.as_str().unwrap())],
        r#"{"id": "B112", "name": "Ron"}"#,
    );
    assert_eq!(
        (ron.status, ron.json()["name"].as_str()),
        (200, Some("Ron"))
    );

    let created = c.request(
        "POST",
        "/customers",
        &[JSON],
        r#"{"name": "April Ludgate", "city": "Pawnee"}"#,
    );
    assert_eq!(created.status, 201);
    let location = created.header("location").unwrap().to_owned();
    assert!(created.header("etag").is_some());
    assert_eq!(
        c.request("GET", &location, &[], "").json()["name"],
        "April Ludgate"
    );
    assert_eq!(
        c.request("DELETE", &location, &[("if-match", "*")], "")
            .status,
        204
    );
    assert_eq!(c.request("GET", &location, &[], "").status, 404);
    assert_eq!(c.request("GET", "/nowhere", &[], "").status, 404);
}
