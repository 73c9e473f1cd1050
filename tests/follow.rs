//! Following links: rels, link arrays, templates, parameters, headers, every method.

mod common;

use common::{RawServer, Reply, Server, api, api_at, query_pairs, vectors};
use halchemy::{Error, ListStyle, Resource};
use serde_json::json;

fn home() -> Resource {
    Resource::from(json!({
        "_links": {
            "self": {"href": "/"},
            "customers": {"href": "/customers", "title": "Customers"},
            "customer": {"href": "/customers/{customerId}", "templated": true},
            "search": {"href": "/search{?q,page}", "templated": true},
            "child": [
                {"href": "customers", "title": "customers", "name": "c"},
                {"href": "orders", "title": "orders", "name": "o"}
            ],
            "only": [{"href": "/only"}]
        }
    }))
}

#[test]
fn the_whole_chain_reaches_the_server() {
    let server = Server::start(|_| {
        Reply::new(200)
            .json(&json!({"_links": {"self": {"href": "/customers/A375"}}, "id": "A375"}))
    });
    let api = api(&server);
    let customer = api
        .follow(&home())
        .to("customer")
        .with_template_values(json!({"customerId": "A375"}))
        .with_parameters(json!({"embed": "orders", "fields": "name email"}))
        .with_headers([("Cache-Control", "no-cache")])
        .get()
        .unwrap();
    assert_eq!(customer["id"], "A375");
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    let req = &sent[0];
    assert_eq!(
        (req.method.as_str(), req.path()),
        ("GET", "/customers/A375")
    );
    let mut query = req.query();
    query.sort();
    assert_eq!(
        query,
        [
            ("embed".to_owned(), "orders".to_owned()),
            ("fields".to_owned(), "name email".to_owned())
        ]
    );
    assert_eq!(req.header("cache-control"), Some("no-cache"));
    assert_eq!(
        req.header("accept"),
        Some("application/hal+json, application/json;q=0.9, */*;q=0.8")
    );
}

#[test]
fn every_read_method_and_post_follow_links() {
    let s = RawServer::answering(200, &[], "{}");
    let api = api_at(&s.base_url());
    let h = home();
    api.follow(&h).to("customers").get().unwrap();
    api.follow(&h).to("customers").head().unwrap();
    api.follow(&h).to("customers").options().unwrap();
    api.follow(&h)
        .to("customers")
        .post(json!({"name": "Kim"}))
        .unwrap();
    let got: Vec<(String, String)> = s
        .requests()
        .into_iter()
        .map(|r| (r.method, r.target))
        .collect();
    assert_eq!(
        got,
        [
            ("GET", "/customers"),
            ("HEAD", "/customers"),
            ("OPTIONS", "/customers"),
            ("POST", "/customers")
        ]
        .map(|(m, t)| (m.to_owned(), t.to_owned()))
    );
    assert_eq!(s.last().header("if-match"), None);
}

#[test]
fn a_missing_rel_is_an_error_naming_the_rels_that_exist() {
    let api = api_at("http://h.example");
    let h = home();
    for err in [
        api.follow(&h).to("orders").url().unwrap_err(),
        api.follow(&h).to("orders").get().unwrap_err(),
    ] {
        let Error::RelNotFound { rel, available, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(rel, "orders");
        assert!(
            available.contains(&"customers".to_owned()) && available.contains(&"child".to_owned())
        );
        assert!(err.to_string().contains("customers"), "{err}");
    }
}

#[test]
fn link_attributes_rels_and_presence() {
    let h = home();
    assert!(h.has_rel("customers") && !h.has_rel("orders"));
    let mut rels = h.links();
    rels.sort();
    assert_eq!(
        rels,
        ["child", "customer", "customers", "only", "search", "self"]
    );
    let l = h.link("customers").unwrap();
    assert_eq!(
        (l.href.as_str(), l.title.as_deref(), l.templated),
        ("/customers", Some("Customers"), false)
    );
    assert!(h.link("customer").unwrap().templated);
    assert_eq!(h.link("only").unwrap().href, "/only");
    assert!(matches!(h.link("child"), Err(Error::AmbiguousLink { .. })));
    assert_eq!(h.links_of("child").unwrap()[1].name.as_deref(), Some("o"));
}

#[test]
fn link_arrays_one_followed_several_picked() {
    let api = api_at("http://h.example/api");
    let h = home();
    assert_eq!(
        api.follow(&h).to("only").url().unwrap(),
        "http://h.example/api/only"
    );
    assert_eq!(
        api.follow(&h).to("child").at(1).url().unwrap(),
        "http://h.example/api/orders"
    );
    assert_eq!(
        api.follow(&h).to("child").named("c").url().unwrap(),
        "http://h.example/api/customers"
    );
    assert_eq!(
        api.follow(&h).to("child").titled("orders").url().unwrap(),
        "http://h.example/api/orders"
    );

    let err = api.follow(&h).to("child").url().unwrap_err();
    let Error::AmbiguousLink { choices, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(choices.len(), 2);
    let msg = err.to_string();
    assert!(
        msg.contains("customers") && msg.contains("orders") && msg.contains(".titled"),
        "{msg}"
    );

    let err = api
        .follow(&h)
        .to("child")
        .titled("invoices")
        .get()
        .unwrap_err();
    assert!(matches!(err, Error::NoMatchingLink { .. }), "{err:?}");
    assert!(err.to_string().contains("invoices"));
    assert!(api.follow(&h).to("child").at(7).url().is_err());
}

#[test]
fn eves_home_document_without_self_is_followed() {
    let json = |doc: serde_json::Value| {
        Reply::new(200)
            .header("content-type", "application/json")
            .body(doc.to_string())
    };
    let server = Server::routes(vec![
        (
            "GET",
            "/",
            json(json!({
                "_links": {"child": [
                    {"href": "customers", "title": "customers"},
                    {"href": "orders", "title": "orders"}
                ]}
            })),
        ),
        (
            "GET",
            "/orders",
            json(json!({"_items": [], "_links": {"self": {"href": "orders"}}})),
        ),
    ]);
    let api = api(&server);
    let home = api.home().get().unwrap();
    assert!(!home.has_rel("self"));
    let o = api
        .follow(&home)
        .to("child")
        .titled("orders")
        .get()
        .unwrap();
    assert_eq!(o.status(), 200);
    assert_eq!(o.meta().request.url, server.url("/orders"));
    let gets_of_orders = server
        .requests()
        .iter()
        .filter(|r| (r.method.as_str(), r.target.as_str()) == ("GET", "/orders"))
        .count();
    assert_eq!(gets_of_orders, 1);
}

#[test]
fn template_vectors_hold() {
    let api = api_at("http://h.example");
    let t = vectors("templates");
    for group in ["cases", "missing_values"] {
        for case in t[group].as_array().unwrap() {
            let doc =
                Resource::from(json!({"_links": {"t": {"href": case["href"], "templated": true}}}));
            let mut req = api.follow(&doc).to("t");
            if !case["values"].is_null() {
                req = req.with_template_values(&case["values"]);
            }
            let url = req.url().unwrap();
            let suffix = case["expected_suffix"].as_str().unwrap();
            assert!(
                url.ends_with(suffix) && url.starts_with("http://h.example"),
                "{url} !~ {case}"
            );
            assert_eq!(
                url.len(),
                "http://h.example".len() + suffix.len(),
                "{url} vs {suffix}"
            );
        }
    }
}

#[test]
fn json_template_values_of_every_type() {
    let api = api_at("http://h.example");
    let cases = [
        ("/geo/{lat}", json!({"lat": 43.7}), "/geo/43.7"),
        ("/n{?n}", json!({"n": -3}), "/n?n=-3"),
        ("/b{?flag}", json!({"flag": true}), "/b?flag=true"),
        ("/l{/parts*}", json!({"parts": ["a", "b"]}), "/l/a/b"),
        (
            "/search{?keys*}",
            json!({"keys": {"role": "admin"}}),
            "/search?role=admin",
        ),
        ("/s/{name}", json!({"name": "a b/c"}), "/s/a%20b%2Fc"),
    ];
    for (href, values, expected) in cases {
        let url = api
            .using_endpoint(href)
            .with_template_values(values)
            .url()
            .unwrap();
        assert_eq!(url, format!("http://h.example{expected}"));
    }
}

#[test]
fn bad_templates_surface_as_errors_not_panics() {
    let api = api_at("http://h.example");
    for bad in ["/x{", "/x{/id*", "/x{var:0}"] {
        let doc = Resource::from(json!({"_links": {"t": {"href": bad, "templated": true}}}));
        let err = api
            .follow(&doc)
            .to("t")
            .with_template_values(json!({"id": 1, "var": "v"}))
            .get()
            .unwrap_err();
        assert!(matches!(err, Error::UriTemplate { .. }), "{bad}: {err:?}");
    }
    let err = api
        .using_endpoint("/x{y}")
        .with_template_values(json!([1]))
        .url()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("with_template_values takes a JSON object"),
        "{err}"
    );
    // (name, value) pairs stand for the object they spell, as with_headers takes them.
    let url = api
        .using_endpoint("/customers/{id}")
        .with_template_values([("id", "A375")])
        .with_parameters(vec![("city", "Pawnee"), ("page", "2")])
        .url()
        .unwrap();
    assert!(url.ends_with("/customers/A375?city=Pawnee&page=2"), "{url}");
    // Mixed tuples serialize as pairs too; an array that is not all pairs stays an array.
    let url = api
        .using_endpoint("/c")
        .with_parameters([("n", json!(1)), ("tag", json!(["a", "b"]))])
        .url()
        .unwrap();
    assert!(url.ends_with("/c?n=1&tag=a&tag=b"), "{url}");
    let err = api
        .using_endpoint("/c")
        .with_parameters(json!([["a", 1], ["b"]]))
        .url()
        .unwrap_err();
    assert!(err.to_string().contains("with_parameters takes"), "{err}");
}

#[test]
fn parameter_vectors_hold() {
    let api = api_at("http://h.example");
    let url_of = |api: &halchemy::Api, path: &str, params: &serde_json::Value| {
        api.using_endpoint(path)
            .with_parameters(params)
            .url()
            .unwrap()
    };
    let p = vectors("parameters");
    for case in p["cases"].as_array().unwrap() {
        let url = url_of(&api, "/p", &case["parameters"]);
        assert_eq!(
            query_pairs(&url),
            query_pairs(&format!("?{}", case["query"].as_str().unwrap())),
            "{case}"
        );
    }
    for case in p["merge_with_url"].as_array().unwrap() {
        let url = url_of(&api, case["url"].as_str().unwrap(), &case["parameters"]);
        assert_eq!(
            url,
            format!("http://h.example{}", case["expected"].as_str().unwrap())
        );
    }
    for case in p["list_styles"].as_array().unwrap() {
        let mut api = api.clone();
        api.set_parameters_list_style(case["style"].as_str().unwrap().parse().unwrap());
        let url = url_of(&api, "/p", &case["parameters"]);
        assert_eq!(
            url,
            format!("http://h.example/p?{}", case["query"].as_str().unwrap())
        );
    }
}

#[test]
fn parameters_are_encoded_on_the_wire() {
    let s = RawServer::answering(200, &[], "{}");
    let mut api = api_at(&s.base_url());
    api.using_endpoint("/test?age=50")
        .with_parameters(json!({
            "name": "John Doe",
            "special": "$&+,/:;=?@",
            "percent": "100%",
            "emoji": "😀",
            "zh": "中文",
            "pretty": null,
            "yes": true,
            "address": {"street": "123 Main"}
        }))
        .get()
        .unwrap();
    assert_eq!(
        query_pairs(&s.last().target),
        [
            "address.street=123+Main",
            "age=50",
            "emoji=%F0%9F%98%80",
            "name=John+Doe",
            "percent=100%25",
            "pretty",
            "special=%24%26%2B%2C%2F%3A%3B%3D%3F%40",
            "yes=true",
            "zh=%E4%B8%AD%E6%96%87",
        ]
    );
    for (style, query) in [
        (ListStyle::Index, "list[0]=a&list[1]=b"),
        // `|` is not a URI character: it goes out percent-encoded (src/url.rs).
        (ListStyle::Pipe, "list=a%7Cb"),
        (ListStyle::RepeatKey, "list=a&list=b"),
    ] {
        api.set_parameters_list_style(style);
        api.using_endpoint("/l")
            .with_parameters(json!({"list": ["a", "b"]}))
            .get()
            .unwrap();
        assert_eq!(s.last().target, format!("/l?{query}"));
    }
}

#[test]
fn templates_and_parameters_combine() {
    let api = api_at("http://h.example");
    let url = api
        .follow(&home())
        .to("search")
        .with_template_values(json!({"q": "hal"}))
        .with_parameters(json!({"sort": "name"}))
        .url()
        .unwrap();
    assert_eq!(url, "http://h.example/search?q=hal&sort=name");
}

#[test]
fn non_object_parameters_are_errors() {
    let api = api_at("http://h.example");
    for bad in [json!([1, 2]), json!("q=1"), json!(5)] {
        let err = api.home().with_parameters(bad).get().unwrap_err();
        assert!(matches!(err, Error::Parameters(_)), "{err:?}");
    }
}

#[test]
fn a_followed_request_cannot_write_its_resource() {
    // `follow(&r).to(..)` has no put/patch/delete: this must not compile.
    //     api.follow(&r).to("self").patch(json!({}));
    // The endpoint request has them, without If-Match.
    let s = RawServer::answering(200, &[], "{}");
    let api = api_at(&s.base_url());
    api.using_endpoint("/x").patch(json!({"a": 1})).unwrap();
    assert_eq!(s.last().header("if-match"), None);
}
