//! HAL-FORMS as Spring HATEOAS writes it (samples in tests/data/dialects/): reading templates,
//! asking for them in `Accept`, and submitting them: the checks made before anything is sent,
//! the method and content type on the wire, and preconditions exactly for the resource's own
//! URL.

mod common;

use common::{Reply, Server, api};
use halchemy::{Error, HAL_FORMS_ACCEPT, HAL_FORMS_MEDIA_TYPE, Resource};
use serde_json::{Value, json};

/// A Spring HATEOAS sample from tests/data/dialects/, its `http://localhost:8080` (or
/// `http://localhost`) host replaced by `base`.
fn sample(name: &str, base: &str) -> Value {
    let path = format!("{}/tests/data/dialects/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = text
        .replace("http://localhost:8080", base)
        .replace("http://localhost/", &format!("{base}/"));
    serde_json::from_str(&text).unwrap()
}

/// The employee sample as a server sends it: HAL-FORMS only when `Accept` asks for it, with
/// an ETag.
fn employee_server() -> Server {
    Server::start(|req| {
        let doc = sample("spring-hateoas-hal-forms-employee.json", "");
        match (req.method.as_str(), req.header("if-match")) {
            ("GET", _) => {
                let wants_forms = req
                    .header("accept")
                    .is_some_and(|a| a.starts_with(HAL_FORMS_MEDIA_TYPE));
                let mut doc = doc;
                if !wants_forms {
                    doc.as_object_mut().unwrap().remove("_templates");
                }
                Reply::new(200).header("etag", "\"v1\"").json(&doc)
            }
            ("PUT" | "PATCH", Some("\"v1\"")) => {
                Reply::new(200).header("etag", "\"v2\"").json(&json!({}))
            }
            ("PUT" | "PATCH", Some(_)) => Reply::new(412).json(&json!({"error": "stale"})),
            ("PUT" | "PATCH", None) => Reply::new(428),
            _ => Reply::new(405),
        }
    })
}

#[test]
fn hal_forms_is_asked_for_in_accept_and_every_template_is_read() {
    let server = employee_server();
    let api = api(&server);
    let plain = api.using_endpoint("/employees/1").get().unwrap();
    assert!(
        plain.templates().unwrap().is_empty(),
        "hal+json has no forms"
    );

    let employee = api
        .using_endpoint("/employees/1")
        .with_headers([("Accept", HAL_FORMS_ACCEPT)])
        .get()
        .unwrap();
    assert_eq!(
        server.last().header("accept"),
        Some(HAL_FORMS_ACCEPT),
        "sent as given"
    );
    let templates = employee.templates().unwrap();
    let summary: Vec<_> = templates
        .iter()
        .map(|t| (t.name(), t.method(), t.target(), t.content_type()))
        .collect();
    assert_eq!(
        summary,
        [
            ("default", "PUT", None, "application/json"),
            ("partiallyUpdateEmployee", "PATCH", None, "application/json"),
        ],
        "lowercase methods uppercased, no target = the resource itself, `\"\"` = JSON"
    );
    let required: Vec<_> = templates[0]
        .properties()
        .iter()
        .map(|p| (p.name(), p.is_required()))
        .collect();
    assert_eq!(
        required,
        [("firstName", true), ("lastName", true), ("role", true)]
    );
    assert!(templates[1].properties().iter().all(|p| !p.is_required()));
}

#[test]
fn the_create_customer_sample_reads_every_attribute() {
    let customers = Resource::from(sample(
        "spring-hateoas-hal-forms-customers.json",
        "http://h",
    ));
    let form = customers.template("default").unwrap();
    assert_eq!(form.title(), Some("Create customer"));
    assert_eq!(form.method(), "POST");
    assert_eq!(form.target(), None);
    assert_eq!(form.content_type(), "application/json");
    let ccn = form.property("ccn").unwrap();
    assert_eq!(ccn.prompt(), Some("Credit card number"));
    assert_eq!(ccn.placeholder(), Some("1234123412341234"));
    assert_eq!(ccn.regex(), Some("[0-9]{16}"));
    assert_eq!(ccn.input_type(), Some("text"));
    assert!(ccn.is_required() && !ccn.is_read_only());
    let types: Vec<_> = form
        .properties()
        .iter()
        .map(|p| p.input_type().unwrap_or("?"))
        .collect();
    assert_eq!(types, ["text", "date", "text", "email"]);
    assert_eq!(form.property("email").unwrap().prompt(), Some("Email"));

    let order = Resource::from(sample("spring-hateoas-hal-forms-order.json", "http://h"));
    let pay = order.template("payOrder").unwrap();
    assert_eq!(
        (pay.method(), pay.target(), pay.content_type()),
        ("POST", Some("/payments/42"), "application/json")
    );
    let shipping = order.template("default").unwrap();
    let options = shipping
        .property("shippingMethod")
        .and_then(|p| p.options())
        .unwrap();
    let values: Vec<_> = options
        .choices()
        .iter()
        .map(|c| c.value().clone())
        .collect();
    assert_eq!(values, ["FedEx", "DHL"]);
}

#[test]
fn values_are_checked_before_anything_is_sent() {
    let server = Server::answering(201, &[], "{}");
    let api = api(&server);
    let customers = Resource::from(sample(
        "spring-hateoas-hal-forms-customers.json",
        &server.base_url(),
    ));
    let good = json!({
        "name": "Kim", "birthdate": "1990-01-01", "ccn": "1234123412341234", "email": "k@example.org"
    });

    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("email");
    let err = api
        .submit(&customers, "default")
        .with_values(&missing)
        .send()
        .unwrap_err();
    let Error::FormValue { property, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(property, "email");
    assert!(err.to_string().contains("is required"), "{err}");

    let mut bad = good.clone();
    bad["ccn"] = json!("1234-1234");
    let err = api
        .submit(&customers, "default")
        .with_values(&bad)
        .send()
        .unwrap_err();
    assert!(
        matches!(&err, Error::FormValue { property, .. } if property == "ccn"),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains("1234-1234"),
        "the message names the property, never the value: {err}"
    );
    assert_eq!(
        server.requests().len(),
        0,
        "nothing was sent for bad values"
    );

    let created = api
        .submit(&customers, "default")
        .with_values(&good)
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn unknown_templates_methods_and_targets_are_typed_errors_listing_what_exists() {
    let server = Server::answering(200, &[], "{}");
    let api = api(&server);
    let employee = Resource::from(sample(
        "spring-hateoas-hal-forms-employee.json",
        &server.base_url(),
    ));
    let err = api.submit(&employee, "fire").send().unwrap_err();
    let Error::TemplateNotFound { name, available } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(name, "fire");
    assert_eq!(available, &["default", "partiallyUpdateEmployee"]);
    assert!(
        err.to_string().contains("default, partiallyUpdateEmployee"),
        "{err}"
    );

    let odd = Resource::from(json!({"_links": {"self": {"href": "/x"}}, "_templates": {
        "brew": {"method": "BREW"},
        "mail": {"method": "post", "target": "mailto:someone@example.org"},
        "broken": {"method": "post", "target": "http://[::1"}
    }}));
    let err = api.submit(&odd, "brew").send().unwrap_err();
    assert!(
        matches!(&err, Error::FormMethod { method, .. } if method == "BREW"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("GET, POST, PUT, PATCH, DELETE"),
        "{err}"
    );
    for name in ["mail", "broken"] {
        let err = api.submit(&odd, name).send().unwrap_err();
        assert!(matches!(err, Error::InvalidUrl { .. }), "{name}: {err:?}");
    }
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn method_content_type_and_values_go_on_the_wire_as_the_template_says() {
    let server = Server::answering(200, &[], "{}");
    let api = api(&server);
    let base = server.base_url();
    let r = Resource::from(json!({
        "_links": {"self": {"href": format!("{base}/people/1")}},
        "_etag": "e1",
        "_templates": {
            "default": {"method": "post", "properties": [{"name": "name", "required": true}]},
            "form": {"method": "post", "target": "/signup",
                "contentType": "application/x-www-form-urlencoded",
                "properties": [{"name": "name"}, {"name": "age"}]},
            "search": {"method": "get", "target": "/people?sort=name",
                "properties": [{"name": "q"}, {"name": "page", "value": 1}]},
            "merge": {"method": "patch", "target": "/people/2",
                "contentType": "application/merge-patch+json"}
        }
    }));

    api.submit(&r, "default")
        .with_values(json!({"name": "Kim"}))
        .send()
        .unwrap();
    let sent = server.last();
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("POST", "/people/1")
    );
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_slice::<Value>(&sent.body).unwrap(),
        json!({"name": "Kim"})
    );
    assert_eq!(
        sent.header("if-match"),
        None,
        "a POST carries no precondition"
    );

    api.submit(&r, "form")
        .with_values(json!({"name": "John Doe", "age": 50}))
        .send()
        .unwrap();
    let sent = server.last();
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("POST", "/signup")
    );
    assert_eq!(
        sent.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(sent.body_text(), "age=50&name=John+Doe");

    api.submit(&r, "search")
        .with_values(json!({"q": "a b"}))
        .send()
        .unwrap();
    let sent = server.last();
    assert_eq!(sent.method, "GET");
    assert_eq!(sent.target, "/people?sort=name&page=1&q=a+b");
    assert!(sent.body.is_empty());

    api.submit(&r, "merge")
        .with_values(json!({"name": "Lee"}))
        .send()
        .unwrap();
    let sent = server.last();
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("PATCH", "/people/2")
    );
    assert_eq!(
        sent.header("content-type"),
        Some("application/merge-patch+json")
    );
    assert_eq!(sent.header("if-match"), None, "not the resource's own url");
}

#[test]
fn a_submit_to_the_resource_itself_carries_if_match_and_brings_it_forward() {
    let server = employee_server();
    let api = api(&server);
    let mut employee = api
        .using_endpoint("/employees/1")
        .with_headers([("Accept", HAL_FORMS_ACCEPT)])
        .get()
        .unwrap();
    assert_eq!(employee.etag(), Some("\"v1\""));

    api.submit_mut(&mut employee, "partiallyUpdateEmployee")
        .with_values(json!({"role": "gardener"}))
        .send()
        .unwrap();
    let sent = server.last();
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("PATCH", "/employees/1")
    );
    assert_eq!(sent.header("if-match"), Some("\"v1\""));
    assert_eq!(employee["role"], "gardener", "the patch applied");
    assert_eq!(employee["firstName"], "Frodo");
    assert_eq!(
        employee.etag(),
        Some("\"v2\""),
        "with the server's new etag"
    );

    // Its next write carries the new etag; the server moved on meanwhile: a conflict, and
    // the resource stays as it was.
    let before = (employee.data().clone(), employee.etag().map(str::to_owned));
    let err = api
        .submit_mut(&mut employee, "default")
        .with_values(json!({"firstName": "Sam", "lastName": "Gamgee", "role": "cook"}))
        .send()
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(server.last().header("if-match"), Some("\"v2\""));
    assert_eq!(server.last().method, "PUT");
    assert_eq!(
        (employee.data().clone(), employee.etag().map(str::to_owned)),
        before
    );
}

#[test]
fn a_borrowed_resource_sends_its_validators_and_stays_as_it_was() {
    let server = employee_server();
    let api = api(&server);
    let employee = api
        .using_endpoint("/employees/1")
        .with_headers([("Accept", HAL_FORMS_ACCEPT)])
        .get()
        .unwrap();
    let answer = api
        .submit(&employee, "partiallyUpdateEmployee")
        .with_values(json!({"role": "gardener"}))
        .send()
        .unwrap();
    // The answer names no URL it represents: its ETag is not paired with its body.
    assert!(answer.meta().response.headers.contains_key("etag"));
    assert_eq!(answer.etag(), None);
    assert_eq!(server.last().header("if-match"), Some("\"v1\""));
    assert_eq!(employee["role"], "ring bearer");
    assert_eq!(employee.etag(), Some("\"v1\""));
}

#[test]
fn a_submit_elsewhere_carries_no_precondition_and_leaves_the_resource_alone() {
    let server = Server::answering(200, &[("etag", "\"p1\"")], "{}");
    let api = api(&server);
    let mut doc = sample("spring-hateoas-hal-forms-order.json", &server.base_url());
    doc["_etag"] = json!("\"o1\"");
    doc["_templates"]["archive"] = json!({"method": "put", "target": "/archive/orders/999"});
    let mut order = Resource::from(doc);
    assert_eq!(order.etag(), Some("\"o1\""));

    api.submit_mut(&mut order, "payOrder")
        .with_values(json!({"amount": 42}))
        .send()
        .unwrap();
    let sent = server.last();
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("POST", "/payments/42")
    );
    assert_eq!(sent.header("if-match"), None);

    api.submit_mut(&mut order, "archive").send().unwrap();
    let sent = server.last();
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("PUT", "/archive/orders/999")
    );
    assert_eq!(
        sent.header("if-match"),
        None,
        "a write elsewhere: none of its validators"
    );
    assert_eq!(order.etag(), Some("\"o1\""), "and it is left alone");
    assert_eq!(order["state"], "AWAITING_PAYMENT");

    // The default template has no target: the order's own URL, with its etag.
    api.submit(&order, "default")
        .with_values(json!({"shippingMethod": "DHL"}))
        .send()
        .unwrap();
    let sent = server.last();
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("PUT", "/orders/999")
    );
    assert_eq!(sent.header("if-match"), Some("\"o1\""));
}

#[test]
fn a_submit_is_debuggable_without_its_values() {
    let api = api(&Server::answering(200, &[], "{}"));
    let r = Resource::from(json!({"_templates": {"login": {"method": "post"}}}));
    let submit = api
        .submit(&r, "login")
        .with_values(json!({"user": "kim", "password": "hunter2"}))
        .with_headers([("Authorization", "Bearer secret")]);
    let text = format!("{submit:?}");
    assert!(
        text.contains("password") && text.contains("login"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2") && !text.contains("secret"),
        "{text}"
    );
}
