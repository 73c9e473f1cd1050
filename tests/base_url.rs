//! Base URL rules, `home()`, `using_endpoint`, and the seven methods.

mod common;

use common::{Reply, Server, api, api_at, vectors};
use halchemy::{Api, Error};

#[test]
fn join_vectors_hold() {
    let v = vectors("base_url_joins");
    for case in v["cases"].as_array().unwrap() {
        let api = api_at(case["base_url"].as_str().unwrap());
        let url = api
            .using_endpoint(case["url"].as_str().unwrap())
            .url()
            .unwrap();
        assert_eq!(url, case["expected"], "{case}");
    }
    for case in v["home"].as_array().unwrap() {
        let api = api_at(case["base_url"].as_str().unwrap());
        assert_eq!(api.home().url().unwrap(), case["expected"]);
    }
    for case in v["changed_base_url"].as_array().unwrap() {
        let mut api = api_at(case["base_url"].as_str().unwrap());
        api.set_base_url(case["new_base_url"].as_str().unwrap())
            .unwrap();
        let url = api
            .using_endpoint(case["url"].as_str().unwrap())
            .url()
            .unwrap();
        assert_eq!(url, case["expected"]);
    }
}

#[test]
fn the_default_base_url_is_localhost_2112() {
    let api = Api::builder().no_config_file().build().unwrap();
    assert_eq!(api.base_url(), "http://localhost:2112");
    assert_eq!(api.home().url().unwrap(), "http://localhost:2112/");
}

#[test]
fn relative_paths_join_a_base_with_a_path_on_the_wire() {
    let server = Server::routes(vec![
        ("GET", "/api/path/", Reply::new(200).body("{}")),
        ("GET", "/api/", Reply::new(200).body("{}")),
    ]);
    let api = api_at(&server.url("/api"));
    assert_eq!(api.using_endpoint("/path/").get().unwrap().status(), 200);
    assert_eq!(api.home().get().unwrap().status(), 200);
    assert_eq!(targets(&server), ["/api/path/", "/api/"]);
}

/// The targets `server` received, in order.
fn targets(server: &Server) -> Vec<String> {
    server.requests().into_iter().map(|r| r.target).collect()
}

#[test]
fn absolute_urls_are_used_as_they_are() {
    let elsewhere = Server::routes(vec![("GET", "/some/path", Reply::new(204))]);
    let api = api_at("http://example.invalid/api");
    let r = api
        .using_endpoint(elsewhere.url("/some/path"))
        .get()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.meta().request.url, elsewhere.url("/some/path"));
    assert_eq!(targets(&elsewhere), ["/some/path"]);
}

#[test]
fn a_new_base_url_affects_later_requests_only() {
    let a = Server::routes(vec![("GET", "/x", Reply::new(200))]);
    let b = Server::routes(vec![("GET", "/api/x", Reply::new(200))]);
    let mut api = api(&a);
    let built_before = api.using_endpoint("/x").url().unwrap();
    assert_eq!(api.using_endpoint("/x").get().unwrap().status(), 200);
    api.set_base_url(b.url("/api")).unwrap();
    assert_eq!(api.using_endpoint("/x").get().unwrap().status(), 200);
    assert_eq!(built_before, a.url("/x"));
    assert_eq!(targets(&a), ["/x"]);
    assert_eq!(targets(&b), ["/api/x"]);
}

#[test]
fn a_clone_keeps_its_own_base_url() {
    let original = api_at("http://a.example");
    let mut clone = original.clone();
    clone.set_base_url("http://b.example").unwrap();
    assert_eq!(original.home().url().unwrap(), "http://a.example/");
    assert_eq!(clone.home().url().unwrap(), "http://b.example/");
}

#[test]
fn bad_base_urls_are_errors_and_change_nothing() {
    for bad in [
        "example.org",
        "ftp://example.org",
        "",
        "http://",
        "not a url",
    ] {
        let err = Api::builder()
            .base_url(bad)
            .no_config_file()
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidUrl { .. }), "{bad}: {err}");
    }
    let mut api = api_at("http://example.org");
    assert!(api.set_base_url("nope").is_err());
    assert_eq!(api.base_url(), "http://example.org");
}

#[test]
fn all_seven_methods_are_sent() {
    let methods = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];
    let server = Server::routes(
        methods
            .iter()
            .map(|m| (*m, "/m", Reply::new(200)))
            .collect(),
    );
    let api = api(&server);
    let e = || api.using_endpoint("/m");
    let sent = [
        e().get().unwrap(),
        e().head().unwrap(),
        e().options().unwrap(),
        e().post(serde_json::json!({})).unwrap(),
        e().put(serde_json::json!({})).unwrap(),
        e().patch(serde_json::json!({})).unwrap(),
        e().delete().unwrap(),
    ];
    for (r, expected) in sent.iter().zip(methods) {
        assert_eq!(r.meta().request.method, expected);
        assert_eq!(r.status(), 200);
    }
    let arrived: Vec<(String, String)> = server
        .requests()
        .into_iter()
        .map(|r| (r.method, r.target))
        .collect();
    let expected: Vec<(String, String)> = methods
        .iter()
        .map(|m| (m.to_string(), "/m".to_owned()))
        .collect();
    assert_eq!(arrived, expected);
}

#[test]
fn connections_are_pooled_and_shared_by_clones() {
    let server = common::RawServer::answering(200, &[], "{}");
    let api = api_at(&server.base_url());
    let clone = api.clone();
    for _ in 0..5 {
        api.home().get().unwrap();
        clone.home().get().unwrap();
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 10);
    assert!(
        requests.iter().all(|r| r.connection == 0),
        "every request should reuse the first connection: {:?}",
        requests.iter().map(|r| r.connection).collect::<Vec<_>>()
    );
}

#[test]
fn host_names_and_ip_literals_both_reach_the_server() {
    let v4 = common::RawServer::answering(200, &[], r#"{"via":"v4"}"#);
    // A host name goes through the system resolver...
    let r = api_at(&format!("http://localhost:{}", v4.port))
        .home()
        .get();
    if let Ok(r) = &r {
        assert_eq!(r["via"], "v4");
    } else {
        // ...where `localhost` may only name ::1; then the failure must be a network error.
        assert!(r.unwrap_err().is_network());
    }
    // ...an IPv4 literal skips it.
    assert_eq!(api_at(&v4.base_url()).home().get().unwrap()["via"], "v4");
    // An IPv6 literal too, where the machine has IPv6 on loopback.
    if let Ok(listener) = std::net::TcpListener::bind("[::1]:0") {
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                let _ = std::io::Read::read(&mut s, &mut buf);
                common::respond(&mut s, 200, &[], br#"{"via":"v6"}"#);
            }
        });
        let r = api_at(&format!("http://[::1]:{port}"))
            .home()
            .get()
            .unwrap();
        assert_eq!(r["via"], "v6");
    }
}

#[test]
fn credentials_from_a_base_urls_user_info_go_with_that_base_url() {
    let other = Server::start(|_| Reply::new(200).json(&serde_json::json!({})));
    // Replaced at run time.
    let mut a = Api::builder()
        .base_url("http://alice:ALICEPW@127.0.0.1:9/api")
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    a.set_base_url(other.base_url()).unwrap();
    a.home().get().unwrap();
    assert_eq!(other.last().header("authorization"), None);
    // Replaced by the builder over a configuration file's base URL.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".halchemy");
    std::fs::write(
        &path,
        "[halchemy]\nbase_url = http://alice:ALICEPW@127.0.0.1:9/api\n",
    )
    .unwrap();
    let b = Api::builder()
        .config_file(&path)
        .base_url(other.base_url())
        .no_proxy()
        .build()
        .unwrap();
    b.home().get().unwrap();
    assert_eq!(other.last().header("authorization"), None);
    // A base URL with user info of its own still sends it, and an Authorization set
    // explicitly stays whatever the base URL.
    let mut c = Api::builder()
        .base_url(other.base_url().replace("http://", "http://bob:BOBPW@"))
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    c.home().get().unwrap();
    assert_eq!(
        other.last().header("authorization"),
        Some("Basic Ym9iOkJPQlBX")
    );
    c.set_base_url(other.base_url()).unwrap();
    c.home().get().unwrap();
    assert_eq!(other.last().header("authorization"), None);
    let d = Api::builder()
        .base_url("http://alice:ALICEPW@127.0.0.1:9/api")
        .bearer_auth("TOKEN")
        .base_url(other.base_url())
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    d.home().get().unwrap();
    assert_eq!(other.last().header("authorization"), Some("Bearer TOKEN"));
}
