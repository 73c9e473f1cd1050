//! Error handling: network errors raised or recorded, status-code sets, typed errors.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::{RawServer, api_at};
use halchemy::{Api, Error, MetaError, NetworkErrorKind, ResponseBody};

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn a_refused_connection_is_a_network_error_by_default() {
    let api = api_at(&format!("http://127.0.0.1:{}", closed_port()));
    let err = api.home().get().unwrap_err();
    let Error::Network(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.kind(), NetworkErrorKind::ConnectionRefused);
    assert_eq!(e.method(), "GET");
    assert!(err.to_string().contains("connection refused"), "{err}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the cause is kept"
    );
    assert!(err.is_network() && err.status().is_none());
}

#[test]
fn with_network_errors_not_raised_the_result_is_status_zero() {
    let mut api = api_at(&format!("http://127.0.0.1:{}", closed_port()));
    api.error_handling_mut().raise_on_network_error = false;
    let r = api.home().post(serde_json::json!({"a": 1})).unwrap();
    assert_eq!(r.status(), 0);
    assert_eq!(
        r.meta().response.reason,
        "Did not receive a response from the server"
    );
    assert_eq!(r.meta().response.body, ResponseBody::Empty);
    assert_eq!(r.data(), &serde_json::Value::Null);
    assert_eq!(r.meta().request.method, "POST");
    assert_eq!(r.meta().request.body_text().unwrap(), r#"{"a":1}"#);
    match &r.meta().error {
        Some(MetaError::Network { kind, message }) => {
            assert_eq!(*kind, NetworkErrorKind::ConnectionRefused);
            assert!(message.contains("refused"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_server_slower_than_the_timeout_is_a_timeout() {
    let s = RawServer::start(|_, stream| {
        std::thread::sleep(Duration::from_millis(1500));
        common::respond(stream, 200, &[], b"{}");
        common::Next::Close
    });
    let api = Api::builder()
        .base_url(s.base_url())
        .timeout(Some(Duration::from_millis(300)))
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    let err = api.home().get().unwrap_err();
    assert!(
        matches!(&err, Error::Network(e) if e.kind() == NetworkErrorKind::Timeout),
        "{err:?}"
    );
    assert!(err.to_string().contains("timed out"));
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
#[test]
fn tls_to_a_plain_http_server_is_a_tls_error() {
    // A server that answers the TLS hello with plain HTTP.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n",
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let api = api_at(&format!("https://127.0.0.1:{port}"));
    let err = api.home().get().unwrap_err();
    assert!(
        matches!(&err, Error::Network(e) if e.kind() == NetworkErrorKind::Tls),
        "{err:?}"
    );
}

#[test]
fn statuses_in_the_set_are_raised_with_the_whole_response() {
    let s = RawServer::start(|req, stream| {
        let status: u16 = req.target.trim_start_matches('/').parse().unwrap();
        common::respond(
            stream,
            status,
            &[("x-why", "because")],
            br#"{"why":"because"}"#,
        );
        common::Next::KeepAlive
    });
    let mut api = api_at(&s.base_url());
    api.error_handling_mut().raise_on_status_codes = Some("400-403, >404".parse().unwrap());
    for (status, raised) in [
        (200, false),
        (401, true),
        (404, false),
        (500, true),
        (403, true),
    ] {
        let result = api.using_endpoint(format!("/{status}")).get();
        match result {
            Ok(r) => {
                assert!(!raised, "{status} should raise");
                assert_eq!(r.status(), status);
            }
            Err(Error::Status(r)) => {
                assert!(raised, "{status} should not raise");
                assert_eq!(r.status(), status);
                assert_eq!(r["why"], "because");
                assert_eq!(r.meta().response.headers["x-why"], "because");
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    let err = api.using_endpoint("/500").get().unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(
        err.to_string().contains("500 Internal Server Error"),
        "{err}"
    );
}

#[test]
fn the_status_set_vectors_hold() {
    let v = common::vectors("status_code_sets");
    for case in v["cases"].as_array().unwrap() {
        let set: halchemy::StatusCodes = case["set"].as_str().unwrap().parse().unwrap();
        let status = case["status"].as_u64().unwrap() as u16;
        assert_eq!(
            set.contains(status),
            case["matches"].as_bool().unwrap(),
            "{case}"
        );
    }
}

#[test]
fn bad_status_sets_are_errors_from_the_builder() {
    for bad in ["abc", "400-", ">", "4000"] {
        let err = Api::builder()
            .raise_on_status_codes(bad)
            .no_config_file()
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::StatusCodes(_)), "{bad}: {err}");
        assert!(err.to_string().contains(bad));
    }
}

#[test]
fn raise_for_status_codes_checks_after_the_fact() {
    let s = RawServer::answering(409, &[], "{}");
    let api = api_at(&s.base_url());
    let r = api.home().get().unwrap();
    let r = r.raise_for_status_codes("500-599").unwrap();
    let err = r.clone().raise_for_status_codes("409").unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert!(r.clone().raise_for_status().is_err());
    assert!(matches!(
        r.raise_for_status_codes("nonsense"),
        Err(Error::StatusCodes(_))
    ));
    let ok = RawServer::answering(200, &[], "{}");
    assert!(
        api_at(&ok.base_url())
            .home()
            .get()
            .unwrap()
            .raise_for_status()
            .is_ok()
    );
}

#[test]
fn the_error_type_is_small_send_sync_and_static() {
    fn assert_traits<T: std::error::Error + Send + Sync + 'static>() {}
    assert_traits::<Error>();
    assert_traits::<halchemy::StatusCodesError>();
    assert_eq!(std::mem::size_of::<Error>(), 72);
}

#[test]
fn messages_are_lowercase_and_name_what_to_do() {
    let api = api_at(&format!("http://127.0.0.1:{}", closed_port()));
    let home = halchemy::Resource::from(serde_json::json!({"_links": {"a": {"href": "/a"}}}));
    let errors = [
        api.home().get().unwrap_err(),
        api.follow(&home).to("b").get().unwrap_err(),
        "x".parse::<halchemy::StatusCodes>().unwrap_err().into(),
    ];
    for e in errors {
        let msg = e.to_string();
        let first = msg.chars().next().unwrap();
        assert!(!first.is_uppercase(), "{msg}");
        assert!(!msg.ends_with('.'), "{msg}");
    }
}

#[test]
fn any_timeout_value_is_safe() {
    let port = closed_port();
    for timeout in [
        Some(Duration::MAX),
        Some(Duration::ZERO),
        Some(Duration::from_secs(u64::MAX / 2)),
        None,
    ] {
        for connect in [Some(Duration::MAX), Some(Duration::ZERO), None] {
            let api = Api::builder()
                .base_url(format!("http://127.0.0.1:{port}"))
                .timeout(timeout)
                .connect_timeout(connect)
                .no_config_file()
                .no_proxy()
                .build()
                .unwrap();
            let err = api.home().get().unwrap_err();
            assert!(err.is_network(), "{timeout:?} {connect:?}: {err:?}");
        }
    }
}
