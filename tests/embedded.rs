//! Embedded resources and collections, fetched over HTTP and followed.

mod common;

use common::{RawServer, api_at};
use halchemy::{Embedded, Error, Multiplicity};
use serde_json::json;

fn page() -> serde_json::Value {
    json!({
        "_links": {"self": {"href": "/customers"}},
        "_embedded": {
            "owner": {"_links": {"self": {"href": "/users/1"}}, "name": "Ann", "_etag": "u1"},
            "item": [
                {"_links": {"self": {"href": "/customers/1"}}, "name": "Kim", "_etag": "c1"},
                {"_links": {"self": {"href": "/customers/2"}}, "name": "Lee", "_etag": "c2"}
            ]
        }
    })
}

#[test]
fn embedded_one_and_many_from_a_response() {
    let s = RawServer::answering(200, &[("etag", "\"page\"")], &page().to_string());
    let api = api_at(&s.base_url());
    let r = api.home().get().unwrap();

    let mut rels = r.embedded_rels();
    rels.sort();
    assert_eq!(rels, ["item", "owner"]);
    assert!(r.has_embedded("item") && !r.has_embedded("orders"));

    let Embedded::One(owner) = r.embedded("owner", None).unwrap() else {
        panic!()
    };
    assert_eq!(owner["name"], "Ann");
    let Embedded::Many(items) = r.embedded("item", None).unwrap() else {
        panic!()
    };
    assert_eq!(items.len(), 2);

    assert_eq!(r.embedded_one("owner").unwrap().etag(), Some("u1"));
    let items = r.embedded_many("item").unwrap();
    assert_eq!(
        items.iter().map(|i| i.etag()).collect::<Vec<_>>(),
        [Some("c1"), Some("c2")]
    );
    assert_eq!(
        items[0].meta().response.status,
        200,
        "items share the meta of their response"
    );

    let names: Vec<String> = r
        .embedded_many("item")
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Kim", "Lee"]);
}

#[test]
fn expectation_mismatch_and_missing_rels_are_distinct_errors() {
    let r = halchemy::Resource::from(page());
    let err = r.embedded("item", Some(Multiplicity::One)).unwrap_err();
    assert!(
        matches!(&err, Error::EmbeddedTypeMismatch { expected: Multiplicity::One, found, .. } if found == "many resources"),
        "{err:?}"
    );
    assert!(matches!(
        r.embedded_one("item"),
        Err(Error::EmbeddedTypeMismatch { .. })
    ));
    assert!(matches!(
        r.embedded_many("owner"),
        Err(Error::EmbeddedTypeMismatch { .. })
    ));
    let err = r.embedded("orders", None).unwrap_err();
    let Error::EmbeddedNotFound { rel, available } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(rel, "orders");
    assert_eq!(available.len(), 2);
    let none = halchemy::Resource::from(json!({"a": 1}));
    assert!(matches!(
        none.embedded("x", None),
        Err(Error::EmbeddedNotFound { .. })
    ));
    let bad = halchemy::Resource::from(json!({"_embedded": [1]}));
    assert!(matches!(
        bad.embedded("x", None),
        Err(Error::MalformedHal(_))
    ));
}

#[test]
fn items_are_followed_straight_from_the_page() {
    let s = RawServer::start(|req, stream| {
        let body = if req.target == "/" {
            page().to_string()
        } else {
            format!(r#"{{"at":"{}"}}"#, req.target)
        };
        common::respond(stream, 200, &[], body.as_bytes());
        common::Next::KeepAlive
    });
    let api = api_at(&s.base_url());
    let page = api.home().get().unwrap();
    for item in page.embedded_many("item").unwrap() {
        let full = api.follow(&item).to("self").get().unwrap();
        assert_eq!(
            api.follow(&item).to("self").url().unwrap(),
            full.meta().request.url
        );
        assert_eq!(full["at"], item.link("self").unwrap().href.as_str());
    }
    assert_eq!(s.requests().len(), 3);
}

#[test]
fn an_eve_collection_lists_items_under_items() {
    let eve_page = json!({
        "_items": [
            {"_id": "1", "name": "Kim", "_etag": "e1", "_links": {"self": {"title": "customer", "href": "customers/1"}}},
            {"_id": "2", "name": "Lee", "_etag": "e2", "_links": {"self": {"title": "customer", "href": "customers/2"}}}
        ],
        "_links": {"parent": {"title": "home", "href": "/"}, "self": {"title": "customers", "href": "customers"}},
        "_meta": {"page": 1, "max_results": 25, "total": 2}
    });
    let s = RawServer::answering(
        200,
        &[("content-type", "application/json")],
        &eve_page.to_string(),
    );
    let api = api_at(&s.base_url());
    let page = api.using_endpoint("customers").get().unwrap();
    let items = page.collection("_items").unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["name"], "Lee");
    assert_eq!(items[1].etag(), Some("e2"));
    assert_eq!(
        api.follow(&items[0]).to("self").url().unwrap(),
        s.url("/customers/1")
    );
}

#[test]
fn collection_errors_are_three_distinct_kinds() {
    let r = halchemy::Resource::from(json!({
        "list": {"not": "an array"},
        "mixed": [{"_links": {"self": {"href": "/a"}}}, {"name": "no links"}]
    }));
    assert!(matches!(
        r.collection("missing"),
        Err(Error::CollectionMissing { .. })
    ));
    assert!(matches!(
        r.collection("list"),
        Err(Error::CollectionNotArray { .. })
    ));
    let err = r.collection("mixed").unwrap_err();
    assert!(
        matches!(&err, Error::CollectionItemNotHal { index: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("element 1"), "{err}");
}

#[test]
fn a_custom_etag_field_applies_to_embedded_items() {
    let doc = json!({"_embedded": {"item": [{"version": "v7", "_etag": "ignored"}]}});
    let s = RawServer::answering(200, &[], &doc.to_string());
    let mut api = api_at(&s.base_url());
    api.set_etag_field("version");
    let r = api.home().get().unwrap();
    assert_eq!(r.embedded_many("item").unwrap()[0].etag(), Some("v7"));
}

#[test]
fn items_outlive_their_page_and_are_written_on_their_own() {
    let items = halchemy::Resource::from(page())
        .embedded_many("item")
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["name"], "Lee");
    assert_eq!(items[1].etag(), Some("c2"));
    let mut lee = items[1].clone();
    lee.data_mut()["name"] = "Lea".into();
    assert_eq!(lee["name"], "Lea");
    assert_eq!(
        items[1]["name"], "Lee",
        "changing one item copies it out of the page"
    );
    assert_eq!(lee.etag(), Some("c2"));
    assert!(matches!(
        halchemy::Resource::from(json!({"_items": [1]})).collection("_items"),
        Err(Error::CollectionItemNotHal { .. })
    ));
}
