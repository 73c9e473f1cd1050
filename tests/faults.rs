//! Hostile and broken servers: every fault ends in a typed error (or status 0 when network
//! errors are not raised), within the timeout, without a panic, and a write through
//! `follow_mut` leaves the resource as it was.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::RawServer;
use halchemy::{Api, Error, NetworkErrorKind, Resource, ResponseBody};
use serde_json::{Value, json};

/// How long a faulty exchange may take before the test calls it a hang. The Api's own
/// timeout is far below this; the watchdog only keeps a broken build from hanging CI.
const WATCHDOG: Duration = Duration::from_secs(20);

fn api(base: &str) -> Api {
    Api::builder()
        .base_url(base)
        .timeout(Some(Duration::from_millis(800)))
        .connect_timeout(Some(Duration::from_millis(800)))
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap()
}

/// A server that runs `fault` on each accepted connection, raw, with no HTTP parsing.
fn raw<F>(fault: F) -> String
where
    F: Fn(TcpStream) + Send + Sync + Clone + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let fault = fault.clone();
            thread::spawn(move || fault(stream));
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// Reads the request head (up to the blank line) so the client is waiting for an answer.
fn read_head(stream: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return,
        }
    }
}

fn write_then_close(bytes: &'static [u8]) -> impl Fn(TcpStream) + Send + Sync + Clone + 'static {
    move |mut s: TcpStream| {
        read_head(&mut s);
        let _ = s.write_all(bytes);
        let _ = s.flush();
    }
}

/// Runs `f` on another thread and fails the test if it does not finish in time.
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(WATCHDOG).expect("the request hung")
}

/// Checks every way of meeting the fault: a GET raising, a GET with network errors not raised
/// (status 0), and a PATCH through `follow_mut` leaving the resource untouched.
fn assert_fault(base: String, expected: &[NetworkErrorKind]) {
    let expected = expected.to_vec();
    bounded(move || {
        let mut a = api(&base);
        let err = a.using_endpoint("/doc").get().unwrap_err();
        match &err {
            Error::Network(e) => assert!(expected.contains(&e.kind()), "{e:?} not in {expected:?}"),
            other => panic!("expected a network error, got {other:?}"),
        }
        assert!(!err.to_string().is_empty());

        let mut r =
            Resource::from(json!({"_links": {"self": {"href": "/doc"}}, "_etag": "e1", "v": 1}));
        let before = (r.data().clone(), r.etag().map(str::to_owned));
        assert!(
            a.follow_mut(&mut r)
                .to("self")
                .patch(json!({"v": 2}))
                .is_err()
        );
        assert_eq!((r.data().clone(), r.etag().map(str::to_owned)), before);

        a.error_handling_mut().raise_on_network_error = false;
        let got = a.using_endpoint("/doc").get().unwrap();
        assert_eq!(got.status(), 0);
        assert_eq!(
            got.meta().response.reason,
            "Did not receive a response from the server"
        );
        assert!(got.meta().error.is_some());
        let written = a
            .follow_mut(&mut r)
            .to("self")
            .put(json!({"v": 3}))
            .unwrap();
        assert_eq!(written.status(), 0);
        assert_eq!((r.data().clone(), r.etag().map(str::to_owned)), before);
    });
}

#[test]
fn connection_refused() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_fault(
        format!("http://127.0.0.1:{port}"),
        &[NetworkErrorKind::ConnectionRefused],
    );
}

#[test]
fn accepted_then_closed_before_any_response() {
    let base = raw(|mut s| read_head(&mut s));
    assert_fault(base, &[NetworkErrorKind::ConnectionClosed]);
}

#[test]
fn reset_in_the_middle_of_the_body() {
    // Closing with unread bytes in the receive buffer makes the kernel send RST.
    let base = raw(|mut s| {
        let mut first = [0u8; 4];
        let _ = s.read_exact(&mut first);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n{\"partial\": ");
        let _ = s.flush();
        thread::sleep(Duration::from_millis(50));
    });
    assert_fault(base, &[NetworkErrorKind::ConnectionClosed]);
}

#[test]
fn a_server_that_never_answers_times_out() {
    let base = raw(|mut s| {
        read_head(&mut s);
        thread::sleep(Duration::from_secs(5));
    });
    assert_fault(base, &[NetworkErrorKind::Timeout]);
}

#[test]
fn a_body_dripping_slower_than_the_timeout_times_out() {
    let base = raw(|mut s| {
        read_head(&mut s);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n");
        for _ in 0..100 {
            if s.write_all(b" ").is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    assert_fault(base, &[NetworkErrorKind::Timeout]);
}

#[test]
fn a_truncated_content_length_body() {
    let base = raw(write_then_close(
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"a\": 1",
    ));
    assert_fault(base, &[NetworkErrorKind::ConnectionClosed]);
}

#[test]
fn broken_chunked_encoding() {
    let base = raw(write_then_close(
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\nnot hex\r\n0\r\n\r\n",
    ));
    assert_fault(base, &[NetworkErrorKind::Protocol]);
}

#[test]
fn an_invalid_status_line() {
    for line in [
        &b"HTTP/1.1 abc OK\r\ncontent-length: 0\r\n\r\n"[..],
        b"SPDY/9 200 OK\r\n\r\n",
        b"garbage\r\n\r\n",
    ] {
        let base = raw(write_then_close(line));
        assert_fault(
            base,
            &[
                NetworkErrorKind::Protocol,
                NetworkErrorKind::ConnectionClosed,
            ],
        );
    }
}

#[test]
fn invalid_header_bytes() {
    for head in [
        &b"HTTP/1.1 200 OK\r\nx-bad\x01name: v\r\ncontent-length: 2\r\n\r\n{}"[..],
        b"HTTP/1.1 200 OK\r\nno colon here\r\ncontent-length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n{}",
    ] {
        let base = raw(write_then_close(head));
        assert_fault(base, &[NetworkErrorKind::Protocol]);
    }
}

#[test]
fn a_body_over_the_limit_is_an_error() {
    let big = format!("[{}1]", "1,".repeat(600));
    let s = RawServer::answering(200, &[], &big);
    let mut api = api(&s.base_url());
    api.set_body_limit(1000);
    let err = api.home().get().unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 1000, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("set_body_limit"), "{err}");
    api.set_body_limit(10_000);
    assert_eq!(api.home().get().unwrap()[0], 1);

    // Without a Content-Length (chunked) too.
    let chunked = RawServer::start(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        for _ in 0..20 {
            let _ = s.write_all(b"64\r\n");
            let _ = s.write_all(&[b' '; 100]);
            let _ = s.write_all(b"\r\n");
        }
        let _ = s.write_all(b"0\r\n\r\n");
        common::Next::KeepAlive
    });
    let mut api = self::api(&chunked.base_url());
    api.set_body_limit(1000);
    let mut r = Resource::from(json!({"_links": {"self": {"href": "/"}}, "_etag": "e"}));
    let err = api
        .follow_mut(&mut r)
        .to("self")
        .patch(json!({}))
        .unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { .. }), "{err:?}");
    assert_eq!(r.etag(), Some("e"));
}

#[test]
fn the_default_body_limit_is_ten_mib() {
    let body = format!("\"{}\"", "x".repeat(10 * 1024 * 1024));
    let s = RawServer::answering(200, &[], &body);
    let api = api(&s.base_url());
    assert!(matches!(
        api.home().get(),
        Err(Error::BodyTooLarge {
            limit: 10_485_760,
            ..
        })
    ));
}

#[test]
fn malformed_hal_links_are_errors_naming_the_problem() {
    for (doc, hint) in [
        (json!({"_links": "customers"}), "`_links` is a string"),
        (json!({"_links": [{"href": "/a"}]}), "`_links` is an array"),
        (
            json!({"_links": {"next": {"href": 42}}}),
            "href of link `next` is a number",
        ),
    ] {
        let s = RawServer::answering(200, &[], &doc.to_string());
        let api = api(&s.base_url());
        let r = api.home().get().unwrap();
        let err = api.follow(&r).to("next").get().unwrap_err();
        assert!(
            matches!(&err, Error::MalformedHal(m) if m.contains(hint)),
            "{err}"
        );
    }
}

#[test]
fn null_links_are_absent_links() {
    for doc in [
        json!({"_links": {"next": {"href": null}}}),
        json!({"_links": {"next": null}}),
        json!({"_links": {"next": [null, {"href": null}]}}),
    ] {
        let s = RawServer::answering(200, &[], &doc.to_string());
        let api = api(&s.base_url());
        let r = api.home().get().unwrap();
        assert!(!r.has_rel("next"), "{doc}");
        assert!(r.links().is_empty(), "{doc}");
        let err = api.follow(&r).to("next").get().unwrap_err();
        assert!(
            matches!(&err, Error::RelNotFound { null: true, .. }),
            "{doc}: {err:?}"
        );
        assert!(err.to_string().contains("is null"), "{err}");
        assert_eq!(s.requests().len(), 1, "nothing was sent for the null link");
    }
}

#[test]
fn bodies_that_are_not_json_objects_are_the_familys_behaviour() {
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let deep_object = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
    for body in [
        deep.as_str(),
        deep_object.as_str(),
        "{\"a\": tru",
        "\u{0}\u{1}binary",
        "<html/>",
    ] {
        let s = RawServer::answering(200, &[("content-type", "application/hal+json")], body);
        let r = api(&s.base_url()).home().get().unwrap();
        assert_eq!(r.data(), &Value::Null);
        assert_eq!(r.meta().response.body.as_text(), Some(body));
        // HAL helpers on it are errors, not panics.
        assert!(r.link("self").is_err());
        assert!(r.embedded("item", None).is_err());
        assert!(r.collection("_items").is_err());
    }
    for (body, value) in [
        ("42", json!(42)),
        ("\"text\"", json!("text")),
        ("[1,2]", json!([1, 2])),
        ("null", Value::Null),
    ] {
        let s = RawServer::answering(200, &[], body);
        let r = api(&s.base_url()).home().get().unwrap();
        assert_eq!(r.data(), &value);
        if body != "null" {
            assert_eq!(r.meta().response.body, ResponseBody::Json);
        }
    }
}

#[test]
fn a_stale_pooled_connection_neither_hangs_nor_repeats_a_post() {
    // The server answers one request per connection as if it would keep the connection open,
    // then drops the connection when a second request arrives on it, unanswered: the race of a
    // keep-alive timeout, every time. (RawServer records a request before the handler runs,
    // so a request dropped unanswered still counts as received.)
    let answered = std::sync::Mutex::new(std::collections::HashSet::new());
    let s = RawServer::start(move |req, stream| {
        if !answered.lock().unwrap().insert(req.connection) {
            return common::Next::Close;
        }
        let body = format!(r#"{{"method":"{}"}}"#, req.method);
        common::respond(stream, 200, &[], body.as_bytes());
        common::Next::KeepAlive
    });
    let base = s.base_url();
    bounded(move || {
        let api = api(&base);
        for _ in 0..30 {
            // GET is safe to send again: it always succeeds.
            assert_eq!(api.home().get().unwrap()["method"], "GET");
        }
    });
    // 30 answered on fresh connections, 29 dropped on stale ones and sent again.
    let gets = s.requests().iter().filter(|r| r.method == "GET").count();
    assert_eq!(gets, 59);

    let base = s.base_url();
    let before = s.requests().len();
    let outcomes = bounded(move || {
        let api = api(&base);
        (0..10)
            .map(|_| {
                api.home().get().unwrap();
                api.home().post(json!({"once": true})).map(|r| r.status())
            })
            .collect::<Vec<_>>()
    });
    // Every POST goes out on the stale connection, is dropped, and fails: never sent again.
    for outcome in &outcomes {
        assert!(
            matches!(outcome, Err(Error::Network(e)) if e.kind() == NetworkErrorKind::ConnectionClosed),
            "{outcome:?}"
        );
    }
    let posts = s.requests()[before..]
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 10, "each POST arrived exactly once");
}

#[test]
fn redirects_follow_the_familys_rules() {
    let s = RawServer::start(|req, stream| {
        let (status, location) = match req.target.as_str() {
            "/303" => (303, Some("/landing")),
            "/302" => (302, Some("/landing")),
            "/307" => (307, Some("/landing")),
            "/308" => (308, Some("http://127.0.0.1:1/never")),
            "/no-location" => (302, None),
            "/loop" => (302, Some("/loop")),
            _ => (200, None),
        };
        let body = format!(
            r#"{{"method":"{}","body":{},"at":"{}"}}"#,
            req.method,
            serde_json::to_string(&req.body_text()).unwrap(),
            req.target
        );
        match location {
            Some(l) => common::respond(stream, status, &[("location", l)], b""),
            None => common::respond(stream, status, &[], body.as_bytes()),
        }
        common::Next::KeepAlive
    });
    let api = api(&s.base_url());
    let r = api.using_endpoint("/303").post(json!({"x": 1})).unwrap();
    assert_eq!(
        (r["method"].as_str(), r["body"].as_str(), r["at"].as_str()),
        (Some("GET"), Some(""), Some("/landing"))
    );
    assert_eq!(
        r.meta().request.url,
        s.url("/landing"),
        "the meta holds the final URL"
    );
    let r = api.using_endpoint("/302").post(json!({"x": 1})).unwrap();
    assert_eq!(r["method"], "GET");
    let r = api.using_endpoint("/307").patch(json!({"x": 1})).unwrap();
    assert_eq!(
        (r["method"].as_str(), r["body"].as_str()),
        (Some("PATCH"), Some(r#"{"x":1}"#))
    );
    let r = api.using_endpoint("/302").put(json!({"y": 2})).unwrap();
    assert_eq!(
        (r["method"].as_str(), r["body"].as_str()),
        (Some("PUT"), Some(r#"{"y":2}"#))
    );
    let r = api.using_endpoint("/no-location").get().unwrap();
    assert_eq!(r.status(), 302);
    let err = api.using_endpoint("/loop").get().unwrap_err();
    assert!(
        matches!(err, Error::TooManyRedirects { max: 10, .. }),
        "{err:?}"
    );
    let loops = s.requests().iter().filter(|r| r.target == "/loop").count();
    assert_eq!(loops, 11);
}
