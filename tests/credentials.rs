//! Credentials stay home: default `Authorization`, `Cookie` and `Proxy-Authorization` go only
//! to the base URL's origin, and no `Debug` output shows a credential.

mod common;

use common::{RawServer, api_at};
use halchemy::{Api, Resource};
use serde_json::json;

const CREDENTIALS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

fn api_with_credentials(base: &str) -> Api {
    let mut api = api_at(base);
    api.add_headers([
        ("Authorization", "Bearer home-secret"),
        ("Cookie", "session=home-cookie"),
        ("Proxy-Authorization", "Basic proxy-secret"),
    ])
    .unwrap();
    api
}

fn credentials_of(req: &common::RawRequest) -> Vec<&str> {
    CREDENTIALS.iter().filter_map(|h| req.header(h)).collect()
}

#[test]
fn the_base_origin_gets_the_default_credentials() {
    let home = RawServer::answering(200, &[], "{}");
    let api = api_with_credentials(&home.base_url());
    api.home().get().unwrap();
    assert_eq!(
        credentials_of(&home.last()),
        [
            "Bearer home-secret",
            "session=home-cookie",
            "Basic proxy-secret"
        ]
    );
}

#[test]
fn a_link_to_another_port_gets_none_of_them_unless_the_request_sets_them() {
    let home = RawServer::answering(200, &[], "{}");
    let other = RawServer::answering(200, &[], "{}"); // same host, another port
    let api = api_with_credentials(&home.base_url());
    let doc = Resource::from(json!({"_links": {"elsewhere": {"href": other.url("/x")}}}));

    api.follow(&doc).to("elsewhere").get().unwrap();
    assert!(
        credentials_of(&other.last()).is_empty(),
        "{:?}",
        other.last().headers
    );

    api.follow(&doc)
        .to("elsewhere")
        .with_headers([("Authorization", "Bearer meant-for-other")])
        .get()
        .unwrap();
    assert_eq!(credentials_of(&other.last()), ["Bearer meant-for-other"]);

    // using_endpoint to another origin is no different.
    api.using_endpoint(other.url("/y")).post(json!({})).unwrap();
    assert!(credentials_of(&other.last()).is_empty());
    assert!(home.requests().is_empty());
}

#[test]
fn a_redirect_to_another_origin_drops_them() {
    let other = RawServer::answering(200, &[], "{}");
    let target = other.url("/landing");
    let home = RawServer::start(move |req, stream| {
        match req.target.as_str() {
            "/away" => common::respond(stream, 307, &[("location", &target)], b""),
            "/stay" => common::respond(stream, 302, &[("location", "/here")], b""),
            _ => common::respond(stream, 200, &[], b"{}"),
        }
        common::Next::KeepAlive
    });
    let api = api_with_credentials(&home.base_url());

    api.using_endpoint("/stay").get().unwrap();
    let here = home.last();
    assert_eq!(here.target, "/here");
    assert_eq!(
        credentials_of(&here).len(),
        3,
        "a redirect at home keeps them"
    );

    let r = api.using_endpoint("/away").get().unwrap();
    assert_eq!(r.meta().request.url, other.url("/landing"));
    assert!(
        credentials_of(&other.last()).is_empty(),
        "{:?}",
        other.last().headers
    );
    assert!(!r.meta().request.headers.contains_key("authorization"));

    // Even credentials the request set itself stay with the origin it was sent to.
    api.using_endpoint("/away")
        .with_headers([("Cookie", "mine")])
        .get()
        .unwrap();
    assert!(credentials_of(&other.last()).is_empty());
}

#[test]
fn debug_output_never_shows_a_credential() {
    let s = RawServer::answering(500, &[("set-cookie", "session=server-cookie")], "{}");
    let mut api =
        api_with_credentials(&s.base_url().replace("http://", "http://user:url-password@"));
    api.error_handling_mut().raise_on_status_codes = Some(">499".parse().unwrap());
    let secrets = [
        "home-secret",
        "home-cookie",
        "proxy-secret",
        "url-password",
        "cm9vdDpwYXNzd29yZA==",
        "per-request",
        "server-cookie",
    ];

    let mut outputs = vec![format!("{api:?}"), format!("{api:#?}")];
    let doc = Resource::from(json!({"_links": {"self": {"href": "/"}}}));
    let request = api
        .follow(&doc)
        .to("self")
        .with_headers([("Authorization", "per-request")]);
    outputs.push(format!("{request:?}"));
    let mut owned = doc.clone();
    let request_mut = api
        .follow_mut(&mut owned)
        .to("self")
        .with_headers([("Cookie", "per-request")]);
    outputs.push(format!("{request_mut:?}"));
    let err = api
        .home()
        .with_headers([("Cookie", "per-request")])
        .get()
        .unwrap_err();
    outputs.push(format!("{err:?}"));
    outputs.push(format!("{err}"));
    if let halchemy::Error::Status(r) = &err {
        outputs.push(format!("{r:?}"));
        outputs.push(format!("{:?}", r.meta()));
    }
    let bad = api
        .home()
        .with_headers([("X-Bad", "per-request\n")])
        .get()
        .unwrap_err();
    outputs.push(format!("{bad:?} {bad}"));

    for out in &outputs {
        for secret in secrets {
            assert!(!out.contains(secret), "{secret} shown in: {out}");
        }
    }
    assert!(outputs[0].contains("<redacted>"), "{}", outputs[0]);
}

#[test]
fn auth_helpers_send_authorization_to_the_base_origin_and_per_request_to_one_origin() {
    let other = RawServer::answering(200, &[], "{}");
    let target = other.url("/landing");
    let home = RawServer::start(move |req, stream| {
        match req.target.as_str() {
            "/away" => common::respond(stream, 307, &[("location", &target)], b""),
            _ => common::respond(stream, 200, &[], b"{}"),
        }
        common::Next::KeepAlive
    });
    let builder = Api::builder()
        .base_url(home.base_url())
        .no_config_file()
        .no_proxy()
        .bearer_auth("t0ken");
    assert!(!format!("{builder:?}").contains("t0ken"));
    let api = builder.build().unwrap();
    assert!(!format!("{api:?}").contains("t0ken"));

    api.home().get().unwrap();
    assert_eq!(home.last().header("authorization"), Some("Bearer t0ken"));
    api.using_endpoint(other.url("/x")).get().unwrap();
    assert_eq!(other.last().header("authorization"), None);

    // Per request: instead of the Api's, to the origin the request is sent to.
    api.using_endpoint(other.url("/y"))
        .basic_auth("Aladdin", "open sesame")
        .get()
        .unwrap();
    assert_eq!(
        other.last().header("authorization"),
        Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
    );
    api.home().bearer_auth("just-this-once").get().unwrap();
    assert_eq!(
        home.last().header("authorization"),
        Some("Bearer just-this-once")
    );
    // ...and not to where a redirect leads.
    api.using_endpoint("/away")
        .bearer_auth("stays-home")
        .get()
        .unwrap();
    assert_eq!(
        home.last().header("authorization"),
        Some("Bearer stays-home")
    );
    assert_eq!(other.last().target, "/landing");
    assert_eq!(other.last().header("authorization"), None);

    let basic = Api::builder()
        .base_url(home.base_url())
        .no_config_file()
        .no_proxy()
        .basic_auth("kim", "pässword")
        .build()
        .unwrap();
    basic.home().get().unwrap();
    // RFC 7617 with UTF-8: base64 of the bytes of "kim:pässword".
    assert_eq!(
        home.last().header("authorization"),
        Some("Basic a2ltOnDDpHNzd29yZA==")
    );

    // Dropping the family's default `Basic root:password`.
    let none = Api::builder()
        .base_url(home.base_url())
        .no_config_file()
        .no_proxy()
        .without_header("Authorization")
        .build()
        .unwrap();
    none.home().get().unwrap();
    assert_eq!(home.last().header("authorization"), None);
}

#[test]
fn a_token_that_cannot_be_a_header_is_an_error_that_does_not_show_it() {
    let err = Api::builder()
        .no_config_file()
        .bearer_auth("secret\r\nX-Evil: 1")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, halchemy::Error::InvalidHeader { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("secret") && !format!("{err:?}").contains("secret"));
}

#[test]
fn credentials_do_not_come_back_with_a_redirect_chain_that_left_home() {
    // Home → 307 to another origin → 307 back home, to a path the other origin chose.
    let home_url = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let back = std::sync::Arc::clone(&home_url);
    let other = common::Server::start(move |_| {
        let to = format!("{}/admin/delete-everything", back.lock().unwrap());
        common::Reply::new(307).header("location", &to)
    });
    let bounce = other.url("/bounce");
    let home = common::Server::start(move |req| match req.path() {
        "/start" => common::Reply::new(307).header("location", &bounce),
        _ => common::Reply::new(204),
    });
    *home_url.lock().unwrap() = home.base_url();
    let api = api_with_credentials(&home.base_url());
    api.using_endpoint("/start")
        .bearer_auth("REQUEST-TOKEN")
        .put(json!({"x": 1}))
        .unwrap();
    let at_home = home.requests();
    assert_eq!(at_home.len(), 2, "{at_home:?}");
    assert_eq!(
        at_home[0].header("authorization"),
        Some("Bearer REQUEST-TOKEN")
    );
    assert_eq!(at_home[1].target, "/admin/delete-everything");
    for name in CREDENTIALS {
        assert_eq!(at_home[1].header(name), None, "{name} came back");
        assert_eq!(other.last().header(name), None, "{name} left home");
    }
}
