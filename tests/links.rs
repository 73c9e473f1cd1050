//! Links as real servers write them, on loopback: path prefixes in both resolution modes,
//! null links, link attributes, CURIEs, templates, `Link` headers, every example of RFC 3986
//! §5.4, bad hrefs, deprecation warnings, and traversals across embedded and linked hops.
//!
//! The documents are `tests/data/dialects/` (see its README), served as the real APIs serve
//! them; absolute hrefs to the real hosts are pointed at the loopback server first.

mod common;

use std::sync::{Mutex, Once};

use common::{Reply, Server, api_at};
use halchemy::{Api, Body, Error, LinkResolution, Resource};
use serde_json::{Value, json};

// ------------------------------------------------------------------------------- helpers

/// A dialect document, with `replace` pairs applied to its text first.
fn dialect(name: &str, replace: &[(&str, &str)]) -> Value {
    let path = format!("{}/tests/data/dialects/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in replace {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap()
}

/// A server answering each target (path and query) of `pages` with its document, and any
/// other with `404`.
fn site(pages: Vec<(&str, Value)>) -> Server {
    let pages: Vec<(String, Value)> = pages
        .into_iter()
        .map(|(target, doc)| (target.to_owned(), doc))
        .collect();
    Server::start(
        move |req| match pages.iter().find(|(t, _)| *t == req.target) {
            Some((_, doc)) => Reply::new(200).json(doc),
            None => Reply::new(404).json(&json!({"error": "not found"})),
        },
    )
}

/// An Api at `base` resolving links in `mode`.
fn api_in(base: &str, mode: LinkResolution) -> Api {
    Api::builder()
        .base_url(base)
        .link_resolution(mode)
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap()
}

/// The targets (path and query) the server received, in order.
fn targets(server: &Server) -> Vec<String> {
    server.requests().into_iter().map(|r| r.target).collect()
}

/// The last target the server received.
fn last_target(server: &Server) -> String {
    server.last().target
}

// --------------------------------------------------------------------------- OpenProject

#[test]
fn openproject_root_relative_hrefs_under_a_prefix_in_both_modes() {
    let wp = dialect("openproject-work-package.json", &[]);
    let server = site(vec![
        ("/api/v3/work_packages/1528", wp),
        ("/api/v3/projects/1", json!({"_type": "Project", "id": 1})),
    ]);
    let base = server.url("/api/v3");

    // Base mode: the family's join puts the prefix in twice.
    let api = api_in(&base, LinkResolution::Base);
    let wp = api.using_endpoint("/work_packages/1528").get().unwrap();
    assert_eq!(wp["id"], 1528);
    let project = api.follow(&wp).to("project").get().unwrap();
    assert_eq!(last_target(&server), "/api/v3/api/v3/projects/1");
    assert_eq!(project.status(), 404);

    // Document mode: resolved against the work package's URL, as OpenProject means it.
    // Endpoints still join the base URL: the mode is about links.
    let api = api_in(&base, LinkResolution::Document);
    assert_eq!(api.home().url().unwrap(), server.url("/api/v3/"));
    let wp = api.using_endpoint("/work_packages/1528").get().unwrap();
    let project = api.follow(&wp).to("project").get().unwrap();
    assert_eq!(last_target(&server), "/api/v3/projects/1");
    assert_eq!(project["_type"], "Project");
    // An href outside the prefix, and the documented one without a leading slash.
    assert_eq!(
        api.follow(&wp).to("delete").url().unwrap(),
        server.url("/work_packages/bulk?ids=1528")
    );
    assert_eq!(
        api.follow(&wp).to("customField3").url().unwrap(),
        server.url("/api/v3/work_packages/api/v3/users/14")
    );
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn openproject_null_associations_are_absent_and_methods_readable() {
    let wp = dialect("openproject-work-package.json", &[]);
    let server = site(vec![("/api/v3/work_packages/1528", wp)]);
    let api = api_in(&server.url("/api/v3"), LinkResolution::Document);
    let wp = api.using_endpoint("/work_packages/1528").get().unwrap();

    for rel in ["assignee", "category"] {
        assert!(!wp.has_rel(rel), "{rel}");
        assert!(!wp.links().contains(&rel), "{rel}");
        match api.follow(&wp).to(rel).get() {
            Err(Error::RelNotFound { rel: r, null, .. }) => assert!(null && r == rel),
            other => panic!("{rel}: {other:?}"),
        }
    }
    assert!(wp.has_rel("responsible"));

    let method = |rel: &str| wp.link(rel).unwrap().attribute("method").cloned();
    assert_eq!(method("update"), Some(json!("post")));
    assert_eq!(method("updateImmediately"), Some(json!("patch")));
    assert_eq!(method("delete"), Some(json!("delete")));
    assert_eq!(method("self"), None);
    let actions = wp.links_of("customActions").unwrap();
    assert_eq!(actions.len(), 2);
    assert_eq!(actions[1].title.as_deref(), Some("Forward to accounting"));
    assert_eq!(actions[1].attribute("method"), Some(&json!("post")));
    assert_eq!(
        wp.link("logTime").unwrap().media_type.as_deref(),
        Some("text/html")
    );

    // A link's method says how to follow it: the PATCH goes to the work package itself.
    api.follow(&wp)
        .to("updateImmediately")
        .patch(json!({"subject": "x", "lockVersion": 3}))
        .unwrap();
    let last = server.last();
    assert_eq!(
        (last.method.as_str(), last.target.as_str()),
        ("PATCH", "/api/v3/work_packages/1528")
    );
    assert_eq!(server.requests().len(), 2, "null links send nothing");
}

// ---------------------------------------------------------------------- the HAL draft

#[test]
fn the_hal_drafts_orders_example_under_a_path_prefix() {
    let orders = dialect("hal-spec-orders.json", &[]);
    let server = site(vec![
        ("/shop/orders", orders),
        ("/shop/orders?page=2", json!({"page": 2})),
    ]);
    let base = server.url("/shop");
    let api = api_in(&base, LinkResolution::Base);
    let page = api.using_endpoint("/orders").get().unwrap();
    assert_eq!(page["currentlyProcessing"], 14);

    let page2 = api.follow(&page).to("next").get().unwrap();
    assert_eq!(page2["page"], 2);
    assert_eq!(last_target(&server), "/shop/orders?page=2");

    // `ea:find {?id}`, by its curied name and by its expansion.
    for rel in ["ea:find", "http://example.com/docs/rels/find"] {
        api.follow(&page)
            .to(rel)
            .with_template_values(json!({"id": 123}))
            .get()
            .unwrap();
        assert_eq!(last_target(&server), "/shop/orders?id=123", "{rel}");
    }
    api.follow(&page).to("ea:find").get().unwrap();
    assert_eq!(last_target(&server), "/shop/orders");
    assert_eq!(
        page.rel_documentation("ea:admin").as_deref(),
        Some("http://example.com/docs/rels/admin")
    );

    // The link array of admins, picked by title and by index.
    api.follow(&page)
        .to("ea:admin")
        .titled("Kate")
        .get()
        .unwrap();
    assert_eq!(last_target(&server), "/shop/admins/5");
    api.follow(&page).to("ea:admin").at(0).get().unwrap();
    assert_eq!(last_target(&server), "/shop/admins/2");
    assert!(matches!(
        api.follow(&page).to("ea:admin").get(),
        Err(Error::AmbiguousLink { .. })
    ));

    // Embedded orders, found by the expanded rel too, and their curied links followed.
    let items = page
        .embedded_many("http://example.com/docs/rels/order")
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["status"], "processing");
    api.follow(&items[1]).to("ea:customer").get().unwrap();
    assert_eq!(last_target(&server), "/shop/customers/12369");

    // Document mode: the root-relative hrefs leave the prefix.
    let api = api_in(&base, LinkResolution::Document);
    let page = api.using_endpoint("/orders").get().unwrap();
    api.follow(&page).to("next").get().unwrap();
    assert_eq!(last_target(&server), "/orders?page=2");
    let items = page.embedded_many("ea:order").unwrap();
    api.follow(&items[0]).to("ea:basket").get().unwrap();
    assert_eq!(last_target(&server), "/baskets/98712");
}

// ---------------------------------------------------------------------- AWS API Gateway

#[test]
fn aws_api_gateway_curied_rels_and_query_templates() {
    let single = dialect("apigateway-pets-single.json", &[]);
    let page1 = dialect("apigateway-pets-page1.json", &[]);
    let page2 = dialect("apigateway-pets-page2.json", &[]);
    let server = site(vec![
        ("/restapis/0n1anifwvf", single),
        ("/restapis?limit=2", page1),
        ("/restapis?position=aWQ9U2Z1Z3ZqZHh0cmk%3D&limit=2", page2),
    ]);
    let api = api_at(&server.base_url());
    let petstore = api.using_endpoint("/restapis/0n1anifwvf").get().unwrap();

    let expanded = "https://docs.aws.amazon.com/apigateway/latest/developerguide/restapi-restapi-resources.html";
    assert_eq!(
        petstore.rel_documentation("restapi:resources").as_deref(),
        Some(expanded)
    );
    for rel in ["restapi:resources", expanded] {
        assert!(petstore.has_rel(rel), "{rel}");
        api.follow(&petstore)
            .to(rel)
            .with_template_values(json!({"limit": 25, "embed": "methods"}))
            .get()
            .unwrap();
        assert_eq!(
            last_target(&server),
            "/restapis/0n1anifwvf/resources?limit=25&embed=methods",
            "{rel}"
        );
    }
    // `{?limit,embed}` with one value, and with none.
    api.follow(&petstore)
        .to("restapi:resources")
        .with_template_values(json!({"embed": "methods"}))
        .get()
        .unwrap();
    assert_eq!(
        last_target(&server),
        "/restapis/0n1anifwvf/resources?embed=methods"
    );
    api.follow(&petstore).to("restapi:resources").get().unwrap();
    assert_eq!(last_target(&server), "/restapis/0n1anifwvf/resources");
    api.follow(&petstore)
        .to("deployment:by-id")
        .with_template_values(json!({"deployment_id": "d1", "embed": "apisummary"}))
        .get()
        .unwrap();
    assert_eq!(
        last_target(&server),
        "/restapis/0n1anifwvf/deployments/d1?embed=apisummary"
    );

    // The page of two: `item` arrays; `next` keeps its escaped token; the page of one.
    let first = api.using_endpoint("/restapis?limit=2").get().unwrap();
    api.follow(&first).to("item").at(1).get().unwrap();
    assert_eq!(last_target(&server), "/restapis/fugvjdxtri");
    let second = api.follow(&first).to("next").get().unwrap();
    assert_eq!(
        last_target(&server),
        "/restapis?position=aWQ9U2Z1Z3ZqZHh0cmk%3D&limit=2"
    );
    assert_eq!(second.embedded_one("item").unwrap()["id"], "o81lxisefl");
    assert!(!second.has_rel("next"));
    api.follow(&second)
        .to("restapi:put")
        .with_template_values(json!({"restapi_id": "fugvjdxtri", "mode": "merge"}))
        .put(json!({}))
        .unwrap();
    assert_eq!(
        last_target(&server),
        "/restapis/fugvjdxtri?failonwarnings=false&mode=merge"
    );
}

// -------------------------------------------------------------------------- GOV.UK Pay

#[test]
fn govuk_pay_links_carry_method_and_params() {
    let server = Server::start(|req| Reply::new(200).json(&json!({"target": req.target})));
    let base = server.base_url();
    let payment = dialect(
        "govukpay-payment.json",
        &[("https://publicapi.payments.service.gov.uk", &base)],
    );
    let api = api_at(&base);
    let payment = Resource::from(payment);

    let post = payment.link("next_url_post").unwrap();
    assert_eq!(post.attribute("method"), Some(&json!("POST")));
    assert_eq!(
        post.attribute("params"),
        Some(&json!({"chargeTokenId": "ef1b6ff1-db34-4c62-b854-3ed4ba3c4049"}))
    );
    assert_eq!(
        post.media_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    // Another host: resolved as it is, and not requested here.
    assert_eq!(
        api.follow(&payment).to("next_url").url().unwrap(),
        "https://www.payments.service.gov.uk/secure/ef1b6ff1-db34-4c62-b854-3ed4ba3c4049"
    );

    // Each link says its method; following with it reaches the server.
    for rel in ["events", "refunds", "cancel"] {
        let method = payment.link(rel).unwrap().attribute("method").cloned();
        let answer = match method.as_ref().and_then(Value::as_str) {
            Some("GET") => api.follow(&payment).to(rel).get(),
            Some("POST") => api.follow(&payment).to(rel).post(Body::empty()),
            other => panic!("{rel}: {other:?}"),
        }
        .unwrap();
        let last = server.last();
        assert_eq!(
            answer["target"],
            format!("/v1/payments/hu20sqlact5260q2nanm0q8u93/{rel}")
        );
        assert_eq!(last.method, method.unwrap().as_str().unwrap());
    }
    assert_eq!(server.count("POST"), 1);
    assert_eq!(server.count("GET"), 2);
}

// ---------------------------------------------------------------------------- Camunda

#[test]
fn camunda_hrefs_are_relative_to_the_engine_root() {
    let task = dialect("camunda-task.json", &[]);
    let server = site(vec![
        (
            "/engine-rest/task/4b5d9e71-6b2c-11ee-9a3e-0242ac120002",
            task,
        ),
        ("/engine-rest/user/demo", json!({"id": "demo"})),
    ]);
    let base = server.url("/engine-rest");
    let api = api_in(&base, LinkResolution::Base);
    let task = api
        .using_endpoint("/task/4b5d9e71-6b2c-11ee-9a3e-0242ac120002")
        .get()
        .unwrap();
    let user = api.follow(&task).to("assignee").get().unwrap();
    assert_eq!(user["id"], "demo");
    assert_eq!(last_target(&server), "/engine-rest/user/demo");
    api.follow(&task).to("processDefinition").get().unwrap();
    assert_eq!(
        last_target(&server),
        "/engine-rest/process-definition/invoice:2:3c2a1f55-6b2c-11ee-9a3e-0242ac120002"
    );
    // No link for a missing association; embedded arrays with `"_embedded": null` inside.
    assert!(!task.has_rel("owner"));
    let groups = task.embedded_many("group").unwrap();
    assert_eq!(groups[0]["id"], "management");
    api.follow(&groups[0]).to("self").get().unwrap();
    assert_eq!(last_target(&server), "/engine-rest/group/management");

    // Document mode would leave the engine root: the wrong URL for Camunda.
    let doc = api_in(&base, LinkResolution::Document);
    let task = doc
        .using_endpoint("/task/4b5d9e71-6b2c-11ee-9a3e-0242ac120002")
        .get()
        .unwrap();
    assert_eq!(
        doc.follow(&task).to("assignee").url().unwrap(),
        server.url("/user/demo")
    );
}

// ------------------------------------------------------------------ Link-header pager

#[test]
fn a_link_header_pager_is_followed() {
    let page = |n: u32| -> String {
        std::fs::read_to_string(format!(
            "{}/tests/data/dialects/link-header-page{n}.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let bodies = [page(1), page(2), page(3)];
    let server = Server::start(move |req| {
        let port = req
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        let base = format!("http://{port}/repositories/1300192/issues?per_page=2");
        let link = |pairs: &[(u32, &str)]| {
            pairs
                .iter()
                .map(|(n, rel)| format!("<{base}&page={n}>; rel=\"{rel}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (header, body) = match req.target.as_str() {
            "/repos/octocat/Spoon-Knife/issues?per_page=2" => {
                (link(&[(2, "next"), (3, "last")]), &bodies[0])
            }
            "/repositories/1300192/issues?per_page=2&page=2" => (
                link(&[(1, "prev"), (3, "next"), (3, "last"), (1, "first")]),
                &bodies[1],
            ),
            "/repositories/1300192/issues?per_page=2&page=3" => {
                (link(&[(2, "prev"), (1, "first")]), &bodies[2])
            }
            _ => return Reply::new(404),
        };
        Reply::new(200)
            .header("Content-Type", "application/json")
            .header("link", &header)
            .body(body.as_bytes())
    });
    let api = api_at(&server.base_url());
    let mut page = api
        .using_endpoint("/repos/octocat/Spoon-Knife/issues?per_page=2")
        .get()
        .unwrap();
    let mut issues = 0;
    let mut pages = 1;
    issues += page.data().as_array().unwrap().len();
    let mut rels = page.links();
    rels.sort_unstable();
    assert_eq!(rels, ["last", "next"]);
    while page.has_rel("next") {
        page = api.follow(&page).to("next").get().unwrap();
        pages += 1;
        issues += page.data().as_array().unwrap().len();
    }
    assert_eq!((pages, issues), (3, 5));
    assert_eq!(
        targets(&server),
        [
            "/repos/octocat/Spoon-Knife/issues?per_page=2",
            "/repositories/1300192/issues?per_page=2&page=2",
            "/repositories/1300192/issues?per_page=2&page=3",
        ]
    );
    assert!(matches!(
        api.follow(&page).to("next").get(),
        Err(Error::RelNotFound { null: false, .. })
    ));
    api.follow(&page).to("prev").get().unwrap();
    assert_eq!(
        last_target(&server),
        "/repositories/1300192/issues?per_page=2&page=2"
    );
}

// ------------------------------------------------------------------- Spring Data REST

#[test]
fn spring_data_rest_templated_next_is_expanded_before_it_is_followed() {
    let server = Server::start(|req| Reply::new(200).json(&json!({"target": req.target})));
    let base = server.base_url();
    let page = Resource::from(dialect(
        "spring-data-rest-persons-page1-templated.json",
        &[("http://localhost:8080", &base)],
    ));
    let api = api_at(&base);
    api.follow(&page).to("next").get().unwrap();
    assert_eq!(last_target(&server), "/persons?page=2&size=5");
    api.follow(&page)
        .to("next")
        .with_template_values(json!({"sort": "lastName,asc"}))
        .get()
        .unwrap();
    assert_eq!(
        last_target(&server),
        "/persons?page=2&size=5&sort=lastName%2Casc"
    );
    api.follow(&page).to("self").get().unwrap();
    assert_eq!(last_target(&server), "/persons");
}

// ------------------------------------------------------------------ RFC 3986 §5.4

/// RFC 3986 §5.4.1 and §5.4.2: every reference and its target against `http://a/b/c/d;p?q`.
const RFC_EXAMPLES: &[(&str, &str)] = &[
    ("g:h", "g:h"),
    ("g", "http://a/b/c/g"),
    ("./g", "http://a/b/c/g"),
    ("g/", "http://a/b/c/g/"),
    ("/g", "http://a/g"),
    ("//g", "http://g"),
    ("?y", "http://a/b/c/d;p?y"),
    ("g?y", "http://a/b/c/g?y"),
    ("#s", "http://a/b/c/d;p?q#s"),
    ("g#s", "http://a/b/c/g#s"),
    ("g?y#s", "http://a/b/c/g?y#s"),
    (";x", "http://a/b/c/;x"),
    ("g;x", "http://a/b/c/g;x"),
    ("g;x?y#s", "http://a/b/c/g;x?y#s"),
    ("", "http://a/b/c/d;p?q"),
    (".", "http://a/b/c/"),
    ("./", "http://a/b/c/"),
    ("..", "http://a/b/"),
    ("../", "http://a/b/"),
    ("../g", "http://a/b/g"),
    ("../..", "http://a/"),
    ("../../", "http://a/"),
    ("../../g", "http://a/g"),
    // Abnormal examples.
    ("../../../g", "http://a/g"),
    ("../../../../g", "http://a/g"),
    ("/./g", "http://a/g"),
    ("/../g", "http://a/g"),
    ("g.", "http://a/b/c/g."),
    (".g", "http://a/b/c/.g"),
    ("g..", "http://a/b/c/g.."),
    ("..g", "http://a/b/c/..g"),
    ("./../g", "http://a/b/g"),
    ("./g/.", "http://a/b/c/g/"),
    ("g/./h", "http://a/b/c/g/h"),
    ("g/../h", "http://a/b/c/h"),
    ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
    ("g;x=1/../y", "http://a/b/c/y"),
    ("g?y/./x", "http://a/b/c/g?y/./x"),
    ("g?y/../x", "http://a/b/c/g?y/../x"),
    ("g#s/./x", "http://a/b/c/g#s/./x"),
    ("g#s/../x", "http://a/b/c/g#s/../x"),
    ("http:g", "http:g"),
];

#[test]
fn every_example_of_rfc_3986_resolves_in_document_mode_on_the_wire() {
    let links: serde_json::Map<String, Value> = RFC_EXAMPLES
        .iter()
        .enumerate()
        .map(|(i, (href, _))| (format!("ex{i}"), json!({"href": href})))
        .collect();
    let doc = json!({"_links": links});
    // Host `a` is the loopback server: the document lives at its /b/c/d;p?q.
    let server = Server::start(move |req| match req.target.as_str() {
        "/b/c/d;p?q" => Reply::new(200).json(&doc),
        _ => Reply::new(200).json(&json!({})),
    });
    let origin = server.base_url();
    let api = api_in(&origin, LinkResolution::Document);
    let base = api.using_endpoint("/b/c/d;p?q").get().unwrap();
    assert_eq!(base.meta().request.url, server.url("/b/c/d;p?q"));

    let mut requested = 0;
    for (i, (href, target)) in RFC_EXAMPLES.iter().enumerate() {
        let rel = format!("ex{i}");
        let expected = match target.strip_prefix("http://a") {
            Some(rest) => format!("{origin}{rest}"),
            None => (*target).to_owned(),
        };
        let sent_before = server.requests().len();
        if let Some(rest) = target.strip_prefix("http://a/") {
            // On the loopback host: the follow-up request hits the path and query (the
            // fragment is not sent).
            assert_eq!(
                api.follow(&base).to(&rel).url().unwrap(),
                expected,
                "{href:?}"
            );
            let got = api.follow(&base).to(&rel).get().unwrap();
            let on_wire = format!("/{}", rest.split('#').next().unwrap());
            assert_eq!(last_target(&server), on_wire, "{href:?}");
            assert_eq!(got.meta().request.url, expected);
            requested += 1;
        } else if target.starts_with("http://") {
            // Another host (`//g`): resolved, not requested (no DNS lookup of `g`).
            assert_eq!(
                api.follow(&base).to(&rel).url().unwrap(),
                expected,
                "{href:?}"
            );
        } else {
            // `g:h` and the strict `http:g`: not http URLs with a host; never sent.
            for err in [
                api.follow(&base).to(&rel).url().unwrap_err(),
                api.follow(&base).to(&rel).get().unwrap_err(),
            ] {
                match err {
                    Error::InvalidUrl { url, message } => {
                        assert_eq!(url, expected, "{href:?}");
                        assert!(message.contains(&format!("`{rel}`")), "{message}");
                    }
                    other => panic!("{href:?}: {other:?}"),
                }
            }
        }
        let sent = server.requests().len() - sent_before;
        assert!(sent <= 1, "{href:?} sent {sent} requests");
    }
    assert_eq!(requested, 39);
    assert_eq!(server.requests().len(), 1 + requested);
}

// ------------------------------------------------------------------------- bad hrefs

#[test]
fn a_bad_href_is_an_invalid_url_naming_the_rel_and_nothing_is_sent() {
    let server = Server::start(|_| Reply::new(200).json(&json!({})));
    let r = Resource::from(json!({"_links": {
        "broken": {"href": "http://[::1"},
        "files": {"href": "ftp://files.example/report.pdf"},
        "mail": {"href": "mailto:someone@example.org"},
        "search": {"href": "http://[{host}/search", "templated": true},
    }}));
    for mode in [LinkResolution::Base, LinkResolution::Document] {
        let api = api_in(&server.base_url(), mode);
        let mut cases = vec![("broken", "http://[::1"), ("search", "http://[/search")];
        if mode == LinkResolution::Document {
            // Base mode joins any href that is not absolute http(s) to the base, as the
            // family does; Document mode keeps their schemes, which cannot be requested.
            // (A `mailto:` URL holds no user info: its `@` stays.)
            cases.push(("files", "ftp://files.example/report.pdf"));
            cases.push(("mail", "mailto:someone@example.org"));
        }
        for (rel, url) in cases {
            for err in [
                api.follow(&r).to(rel).url().unwrap_err(),
                api.follow(&r).to(rel).get().unwrap_err(),
                api.follow(&r).to(rel).delete().unwrap_err(),
            ] {
                match &err {
                    Error::InvalidUrl { url: u, message } => {
                        assert_eq!(u, url, "{mode} {rel}");
                        assert!(
                            message.contains(&format!("link `{rel}`")),
                            "{mode} {rel}: {message}"
                        );
                        assert!(err.to_string().contains(&format!("link `{rel}`")));
                    }
                    other => panic!("{mode} {rel}: {other:?}"),
                }
            }
        }
    }
    assert!(server.requests().is_empty(), "{:?}", targets(&server));
}

// ------------------------------------------------------------------ two self links

#[test]
fn refresh_with_two_self_links_says_it_needs_one() {
    let server = Server::start(|_| {
        Reply::new(200)
            .header("ETag", "\"v2\"")
            .json(&json!({"_links": {"self": [{"href": "/a"}, {"href": "/b"}]}}))
    });
    let api = api_at(&server.base_url());
    let mut held = Resource::from(json!({
        "_links": {"self": [{"href": "/a"}, {"href": "/b"}]}, "_etag": "v1"
    }));
    let err = api.refresh(&mut held).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::MalformedHal(_)), "{err:?}");
    for part in ["2 self links", "[0] /a", "[1] /b", "exactly one", ".at(i)"] {
        assert!(message.contains(part), "{message}");
    }
    assert!(server.requests().is_empty());
    assert_eq!(held.etag(), Some("v1"));

    // Read from a URL, the resource has one: the URL it was read from.
    let mut read = api.follow(&held).to("self").at(1).get().unwrap();
    api.refresh(&mut read).unwrap();
    assert_eq!(targets(&server), ["/b", "/b"]);
}

// ------------------------------------------------------------------- deprecation

struct Capture(Mutex<Vec<(log::Level, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        if record.target() == "halchemy" {
            let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
            lines.push((record.level(), record.args().to_string()));
        }
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture(Mutex::new(Vec::new()));

/// The warnings logged so far that mention `port` (tests run in parallel; each has its own
/// server).
fn warnings_about(port: u16) -> Vec<String> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&LOGGER).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
    });
    let needle = format!("127.0.0.1:{port}");
    LOGGER
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(level, line)| *level == log::Level::Warn && line.contains(&needle))
        .map(|(_, line)| line.clone())
        .collect()
}

#[test]
fn a_templated_link_followed_without_values_is_warned_about() {
    warnings_about(0);
    let server = Server::start(|_| Reply::new(404).json(&json!({"error": "not found"})));
    let port = server.port();
    let api = api_at(&server.base_url());
    let home = Resource::from(json!({"_links": {
        "customer": {"href": "/customers/{id}", "templated": true},
        "search": {"href": "/customers{?q,page}", "templated": true},
    }}));
    // Optional query variables left out: nothing to say.
    api.follow(&home).to("search").get().unwrap();
    assert!(warnings_about(port).is_empty());
    let answer = api.follow(&home).to("customer").get().unwrap();
    let lines = warnings_about(port);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("`customer`") && lines[0].contains("with_template_values"));
    assert!(
        lines[0].contains(&format!("127.0.0.1:{port}/customers/")),
        "{}",
        lines[0]
    );
    // And the 404's error document, read as a customer, is reported as the 404 it is.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code, reason = "only the failure is looked at")]
    struct Customer {
        id: String,
    }
    let err = answer.deserialize::<Customer>().unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert!(err.to_string().contains("/customers/"), "{err}");
    // Given values, no warning.
    api.follow(&home)
        .to("customer")
        .with_template_values(json!({"id": "A375"}))
        .get()
        .unwrap();
    assert_eq!(warnings_about(port).len(), 1);
}

#[test]
fn deprecation_is_logged_with_the_rel_and_the_url_and_no_credential() {
    warnings_about(0);
    let server = Server::start(|req| match req.path() {
        "/api/legacy" => Reply::new(200)
            .header("Deprecation", "@1688169599")
            .header("Sunset", "Sun, 30 Jun 2024 23:59:59 GMT")
            .json(&json!({})),
        _ => Reply::new(200).json(&json!({})),
    });
    let port = server.port();
    let api = api_at(&format!("http://alice:hunter2@127.0.0.1:{port}/api"));
    let home = Resource::from(json!({"_links": {
        "old": {"href": "/old?token=1", "deprecation": "http://bob:s3cret@docs.example/old"},
        "legacy": {"href": "/legacy"},
        "fine": {"href": "/fine"},
    }}));
    assert!(warnings_about(port).is_empty());

    // The link's `deprecation` attribute.
    api.follow(&home).to("old").get().unwrap();
    let lines = warnings_about(port);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let url = format!("http://127.0.0.1:{port}/api/old?token=1");
    assert!(
        lines[0].contains("`old`") && lines[0].contains(&url),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("docs.example/old"), "{}", lines[0]);

    // The response's `Deprecation` and `Sunset` headers.
    api.follow(&home).to("legacy").get().unwrap();
    let lines = warnings_about(port);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let legacy = &lines[1];
    let url = format!("http://127.0.0.1:{port}/api/legacy");
    for part in [
        url.as_str(),
        "`legacy`",
        "deprecated",
        "@1688169599",
        "2024",
    ] {
        assert!(legacy.contains(part), "{legacy}");
    }

    // Nothing for a link without either.
    api.follow(&home).to("fine").get().unwrap();
    assert_eq!(warnings_about(port).len(), 2);

    let authorization = server.requests()[0]
        .header("authorization")
        .unwrap()
        .to_owned();
    for line in warnings_about(port) {
        for secret in ["hunter2", "alice", "s3cret", "bob:", authorization.as_str()] {
            assert!(!line.contains(secret), "{line}");
        }
    }
}

// ----------------------------------------------------------------------- traversal

/// A small API: home → customers (with an embedded `stats`) → customer (with an `address`
/// both linked and embedded) → orders, plus a hop that answers 404.
fn shop() -> Server {
    site(vec![
        (
            "/",
            json!({"_links": {
                "self": {"href": "/"},
                "child": [
                    {"href": "/customers", "title": "customers"},
                    {"href": "/orders", "title": "orders"}
                ],
                "gone": {"href": "/gone"}
            }}),
        ),
        (
            "/customers",
            json!({
                "_links": {
                    "self": {"href": "/customers"},
                    "item": {"href": "/customers/{id}", "templated": true}
                },
                "_embedded": {"stats": {
                    "_links": {"report": {"href": "/reports/customers"}}, "count": 3
                }}
            }),
        ),
        (
            "/customers/A375",
            json!({
                "_links": {
                    "self": {"href": "/customers/A375"},
                    "orders": {"href": "/customers/A375/orders"},
                    "address": {"href": "/addresses/9"}
                },
                "_embedded": {"address": {
                    "_links": {"self": {"href": "/addresses/9"}, "map": {"href": "/maps/pawnee"}}
                }},
                "name": "Leslie"
            }),
        ),
        (
            "/addresses/9?fields=all",
            json!({"_links": {"map": {"href": "/maps/pawnee?zoom=1"}}}),
        ),
        ("/customers/A375/orders", json!({"count": 2})),
        ("/reports/customers", json!({"report": "customers"})),
        ("/maps/pawnee", json!({"map": "pawnee"})),
        ("/maps/pawnee?zoom=1", json!({"map": "pawnee", "zoom": 1})),
    ])
}

#[test]
fn a_traversal_follows_linked_hops_with_picks_and_template_values() {
    let server = shop();
    let api = api_at(&server.base_url());
    let orders = api
        .home()
        .then("child")
        .titled("customers")
        .then("item")
        .with_template_values(json!({"id": "A375"}))
        .then("orders")
        .get()
        .unwrap();
    assert_eq!(orders["count"], 2);
    assert_eq!(
        targets(&server),
        [
            "/",
            "/customers",
            "/customers/A375",
            "/customers/A375/orders"
        ]
    );

    // From a resource in hand, with parameters and headers on the last hop only.
    server.clear();
    let home = api.home().get().unwrap();
    api.follow(&home)
        .to("child")
        .at(0)
        .then("item")
        .with_template_values(json!({"id": "A375"}))
        .with_parameters(json!({"embed": "orders"}))
        .with_headers([("X-Hop", "last")])
        .get()
        .unwrap();
    let sent = server.requests();
    let seen: Vec<(&str, Option<&str>)> = sent
        .iter()
        .map(|r| (r.target.as_str(), r.header("x-hop")))
        .collect();
    assert_eq!(
        seen,
        [
            ("/", None),
            ("/customers", None),
            ("/customers/A375?embed=orders", Some("last"))
        ]
    );
}

#[test]
fn an_embedded_hop_costs_no_request() {
    let server = shop();
    let api = api_at(&server.base_url());
    let home = api.home().get().unwrap();
    server.clear();

    // `stats` is only embedded.
    let report = api
        .follow(&home)
        .to("child")
        .titled("customers")
        .then("stats")
        .then("report")
        .get()
        .unwrap();
    assert_eq!(report["report"], "customers");
    assert_eq!(targets(&server), ["/customers", "/reports/customers"]);

    // `address` is linked and embedded: the embedded one is used; /addresses/9 is never read.
    server.clear();
    let customers = api
        .follow(&home)
        .to("child")
        .titled("customers")
        .get()
        .unwrap();
    let map = api
        .follow(&customers)
        .to("item")
        .with_template_values(json!({"id": "A375"}))
        .then("address")
        .then("map")
        .get()
        .unwrap();
    assert_eq!(map["map"], "pawnee");
    assert_eq!(
        targets(&server),
        ["/customers", "/customers/A375", "/maps/pawnee"]
    );

    // A hop that asks for what only a request gives goes through its link.
    server.clear();
    let map = api
        .follow(&customers)
        .to("item")
        .with_template_values(json!({"id": "A375"}))
        .then("address")
        .with_parameters(json!({"fields": "all"}))
        .then("map")
        .get()
        .unwrap();
    assert_eq!(map["zoom"], 1);
    assert_eq!(
        targets(&server),
        [
            "/customers/A375",
            "/addresses/9?fields=all",
            "/maps/pawnee?zoom=1"
        ]
    );

    // url() reads the hops before the last (embedded ones free) and sends nothing for it.
    server.clear();
    let url = api
        .follow(&home)
        .to("child")
        .titled("customers")
        .then("stats")
        .then("report")
        .url()
        .unwrap();
    assert_eq!(url, server.url("/reports/customers"));
    assert_eq!(targets(&server), ["/customers"]);
}

#[test]
fn a_traversal_error_names_the_hop() {
    let server = shop();
    let api = api_at(&server.base_url());

    // A missing rel at step 2.
    let err = api
        .home()
        .then("child")
        .titled("customers")
        .then("nope")
        .then("orders")
        .get()
        .unwrap_err();
    let Error::Traversal(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.step(), 2);
    assert_eq!(t.rel(), Some("nope"));
    assert_eq!(t.path(), "child[title=customers]/nope/orders");
    assert!(matches!(t.error(), Error::RelNotFound { rel, .. } if rel == "nope"));
    let message = err.to_string();
    assert!(
        message.starts_with("traversal `child[title=customers]/nope/orders` failed at step 2, `nope`: no link `nope`"),
        "{message}"
    );
    assert_eq!(targets(&server), ["/", "/customers"]);

    // A hop before the last that answers 404 stops there, though the policy raises nothing.
    server.clear();
    let err = api.home().then("gone").then("anything").get().unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.url(), Some(server.url("/gone").as_str()));
    let Error::Traversal(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((t.step(), t.rel()), (1, Some("gone")));
    assert!(matches!(t.error(), Error::Status(_)));
    assert_eq!(targets(&server), ["/", "/gone"]);

    // The start itself: an endpoint is step 0, without a rel.
    let nowhere = Server::start(|_| Reply::new(500));
    let err = api_at(&nowhere.base_url())
        .home()
        .then("customers")
        .get()
        .unwrap_err();
    let Error::Traversal(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (t.step(), t.rel(), t.error().status()),
        (0, None, Some(500))
    );
    assert!(err.to_string().contains("failed at its start"), "{err}");

    // A bad href on a hop names the rel twice: in the hop and in the url error.
    let r = Resource::from(json!({"_embedded": {"a": {"_links": {"b": {"href": "http://[::1"}}}}}));
    let err = api.follow(&r).to("a").then("b").get().unwrap_err();
    let Error::Traversal(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((t.step(), t.rel()), (2, Some("b")));
    assert!(matches!(t.error(), Error::InvalidUrl { message, .. } if message.contains("link `b`")));
}

#[test]
fn a_traversal_walks_the_pages_or_posts_to_the_collection_it_reaches() {
    let server = site(vec![
        (
            "/",
            json!({"_links": {"customers": {"href": "/customers"}}}),
        ),
        (
            "/customers",
            json!({
                "_links": {"next": {"href": "/customers?page=2"}},
                "_embedded": {"item": [{"name": "Leslie"}, {"name": "Ron"}]}
            }),
        ),
        (
            "/customers?page=2",
            json!({"_links": {"next": null}, "_embedded": {"item": {"name": "April"}}}),
        ),
    ]);
    let api = api_at(&server.base_url());
    let names: Vec<Value> = api
        .home()
        .then("customers")
        .pages()
        .items("item")
        .map(|c| c.map(|c| c["name"].clone()))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names, ["Leslie", "Ron", "April"]);
    assert_eq!(targets(&server), ["/", "/customers", "/customers?page=2"]);

    server.clear();
    let created = api
        .home()
        .then("customers")
        .post(json!({"name": "Ann"}))
        .unwrap();
    assert_eq!(created.status(), 200);
    let sent = server.last();
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("POST", "/customers")
    );
    assert_eq!(sent.body_text(), r#"{"name":"Ann"}"#);
    assert_eq!(sent.header("if-match"), None);

    // A hop that fails is the walk's one item, naming the hop.
    let mut walk = api.home().then("nope").pages();
    let err = walk.next().unwrap().unwrap_err();
    let Error::Traversal(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((t.step(), t.rel()), (1, Some("nope")));
    assert!(walk.next().is_none());
    let err = api.home().then("nope").post(json!({})).unwrap_err();
    assert!(matches!(err, Error::Traversal(_)), "{err:?}");
}

#[test]
fn every_hop_goes_through_the_normal_request_path() {
    // Credentials go only to the base URL's origin: a hop to another origin gets none.
    let elsewhere = site(vec![("/report", json!({"far": true}))]);
    let far = elsewhere.url("/report");
    let home_doc = json!({"_links": {
        "next": {"href": "/next"}, "missing": {"href": "/missing"}, "slow": {"href": "/slow"}
    }});
    let next_doc = json!({"_links": {"report": {"href": far}}});
    let server = site(vec![("/", home_doc), ("/next", next_doc)]);
    let api = Api::builder()
        .base_url(server.base_url())
        .header("Authorization", "Bearer sekrit")
        .raise_on_status_codes(">399")
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    let report = api.home().then("next").then("report").get().unwrap();
    assert_eq!(report["far"], true);
    for r in server.requests() {
        assert_eq!(r.header("authorization"), Some("Bearer sekrit"));
    }
    assert_eq!(elsewhere.last().header("authorization"), None);

    // The status policy applies to the last hop as to any request...
    let err = api.home().then("missing").get().unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert!(matches!(&err, Error::Traversal(t) if t.step() == 1));
    // ...and without it the last hop's 404 is an answer like any other.
    let lenient = api_at(&server.base_url());
    let missing = lenient.home().then("missing").get().unwrap();
    assert_eq!(missing.status(), 404);
}

#[test]
fn a_traversal_deadline_bounds_each_hop() {
    let server = Server::start(|req| {
        if req.path() == "/slow" {
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
        Reply::new(200).json(&json!({"_links": {"slow": {"href": "/slow"}, "next": {"href": "/"}}}))
    });
    let api = api_at(&server.base_url());
    let err = api
        .home()
        .then("slow")
        .then("next")
        .timeout(Some(std::time::Duration::from_millis(100)))
        .get()
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(matches!(&err, Error::Traversal(t) if t.rel() == Some("slow")));
    assert_eq!(targets(&server), ["/", "/slow"]);
}

#[test]
fn a_doubled_path_prefix_in_base_mode_is_warned_about() {
    warnings_about(0);
    let server = Server::answering(200, &[], "{}");
    let port = server.port();
    let doc = Resource::from(json!({"_links": {
        "statuses": {"href": "/api/v3/statuses"},
        "other": {"href": "/elsewhere"}
    }}));
    let base = format!("http://127.0.0.1:{port}/api/v3");
    let api = api_in(&base, LinkResolution::Base);
    api.follow(&doc).to("other").get().unwrap();
    assert!(
        warnings_about(port).is_empty(),
        "no warning for an ordinary href"
    );
    api.follow(&doc).to("statuses").get().unwrap();
    let lines = warnings_about(port);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("`statuses`") && lines[0].contains("LinkResolution::Document"),
        "{}",
        lines[0]
    );
    let api = api_in(&base, LinkResolution::Document);
    api.follow(&doc).to("statuses").get().unwrap();
    assert_eq!(
        warnings_about(port).len(),
        1,
        "document mode joins right: no warning"
    );
    assert_eq!(server.last().target, "/api/v3/statuses");
}
