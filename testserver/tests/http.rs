//! The raw server: what it records, how it answers.

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

use halchemy_testserver::{Next, Reply, Server, fixed_response};
use serde_json::json;
use support::{Client, request};

fn ok() -> Server {
    Server::start(|_| Reply::new(200))
}

#[test]
fn requests_are_recorded_as_sent() {
    let s = ok();
    let mut raw =
        b"PATCH /items/1?city=Pawnee+Town&q=a%2Fb&flag HTTP/1.1\r\nX-Case: A\r\n".to_vec();
    raw.extend_from_slice(
        b"x-case:  B \r\nIf-Match: \"v3\xe9\"\r\ncontent-length: 7\r\n\r\n{\"a\":1}",
    );
    assert_eq!(Client::connect(s.port()).send(&raw).status, 200);

    let req = s.last();
    assert_eq!((req.method.as_str(), req.path()), ("PATCH", "/items/1"));
    assert_eq!(req.target, "/items/1?city=Pawnee+Town&q=a%2Fb&flag");
    let pairs = [("city", "Pawnee Town"), ("q", "a/b"), ("flag", "")];
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(req.query(), pairs);
    let names: Vec<&str> = req.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["X-Case", "x-case", "If-Match", "content-length"]);
    assert_eq!(req.all("X-CASE"), ["A", "B"]);
    assert_eq!(req.header_bytes("if-match"), Some(&b"\"v3\xe9\""[..]));
    assert_eq!(req.header("if-match"), None, "not UTF-8");
    assert_eq!(req.header("missing"), None);
    assert_eq!(req.body_text(), r#"{"a":1}"#);
    let twice = catch_unwind(AssertUnwindSafe(|| req.header("x-case")));
    let message = twice.unwrap_err();
    let message = message.downcast_ref::<String>().unwrap();
    assert!(message.contains("x-case was sent 2 times"), "{message}");
}

#[test]
fn chunked_bodies_are_read_and_the_connection_stays_in_step() {
    let s = ok();
    let mut c = Client::connect(s.port());
    let chunked = b"POST /c HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n\
        5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n";
    assert_eq!(c.send(chunked).status, 200);
    assert_eq!(c.request("GET", "/after", &[], "").status, 200);
    let requests = s.requests();
    assert_eq!(requests[0].body_text(), "hello world");
    assert_eq!(requests[1].target, "/after");
}

#[test]
fn connections_are_numbered_in_order_of_arrival() {
    let s = ok();
    let mut first = Client::connect(s.port());
    first.request("GET", "/1", &[], "");
    first.request("GET", "/2", &[], "");
    Client::connect(s.port()).request("GET", "/3", &[], "");
    let seen: Vec<(String, usize)> = s
        .requests()
        .into_iter()
        .map(|r| (r.target, r.connection))
        .collect();
    assert_eq!(seen, [("/1".into(), 0), ("/2".into(), 0), ("/3".into(), 1)]);
}

#[test]
fn replies_carry_content_length_their_headers_and_bytes() {
    let s = Server::start(|req| match req.path() {
        "/json" => Reply::new(201)
            .header("content-type", "text/html")
            .header_bytes("etag", b"\"v\xe9\"")
            .json(&json!({"a": 1})),
        "/text" => Reply::new(200).text("plain"),
        _ => Reply::new(204).header("x-one", "1").header("x-one", "2"),
    });
    let json = request(s.port(), "GET", "/json", &[], "");
    assert_eq!(json.status, 201);
    assert_eq!(
        json.header("content-type"),
        Some("application/hal+json"),
        "json replaces it"
    );
    assert_eq!(json.header("content-length"), Some("7"));
    assert_eq!(json.header_bytes("etag"), Some(&b"\"v\xe9\""[..]));
    assert_eq!(json.json(), json!({"a": 1}));
    let text = request(s.port(), "GET", "/text", &[], "");
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(text.body, b"plain");
    let empty = request(s.port(), "GET", "/", &[], "");
    assert_eq!(
        (empty.status, empty.header("content-length")),
        (204, Some("0"))
    );
    let repeats: Vec<&[u8]> = empty
        .headers
        .iter()
        .filter(|(n, _)| n == "x-one")
        .map(|(_, v)| v.as_slice())
        .collect();
    assert_eq!(repeats, [b"1", b"2"]);
}

#[test]
fn a_client_asking_to_close_is_closed() {
    let s = ok();
    let mut c = Client::connect(s.port());
    assert_eq!(
        c.request("GET", "/", &[("connection", "close")], "").status,
        200
    );
    assert!(
        c.read_to_end().is_empty(),
        "the server closed the connection"
    );
}

#[test]
fn raw_handlers_write_anything_and_choose_the_connections_fate() {
    let s = Server::raw(|req, stream| {
        use std::io::Write;
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
        if req.path() == "/close" {
            Next::Close
        } else {
            Next::KeepAlive
        }
    });
    let mut c = Client::connect(s.port());
    c.write(b"GET /close HTTP/1.1\r\n\r\n");
    assert_eq!(
        c.read_to_end(),
        b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"
    );
    assert_eq!(
        s.last().target,
        "/close",
        "recorded although the answer broke the protocol"
    );
}

#[test]
fn answering_gives_every_request_the_same_reply() {
    let s = Server::answering(409, &[("x-why", "because")], "{}");
    let mut c = Client::connect(s.port());
    for target in ["/a", "/b?x=1"] {
        let r = c.request("DELETE", target, &[], "");
        assert_eq!(
            (r.status, r.header("x-why"), r.body.as_slice()),
            (409, Some("because"), &b"{}"[..])
        );
        assert_eq!(r.header("content-type"), None);
    }
    assert_eq!(s.count("DELETE"), 2);
}

#[test]
fn routes_match_method_and_the_whole_target() {
    let s = Server::routes(vec![
        ("GET", "/a", Reply::new(200).text("get a")),
        ("POST", "/a", Reply::new(201).text("post a")),
        ("GET", "/a?x=1", Reply::new(200).text("get a x")),
    ]);
    let mut c = Client::connect(s.port());
    let body = |r: support::Response| (r.status, String::from_utf8(r.body).unwrap());
    assert_eq!(body(c.request("GET", "/a", &[], "")), (200, "get a".into()));
    assert_eq!(
        body(c.request("POST", "/a", &[], "{}")),
        (201, "post a".into())
    );
    assert_eq!(
        body(c.request("GET", "/a?x=1", &[], "")),
        (200, "get a x".into())
    );
    assert_eq!(c.request("GET", "/a?x=2", &[], "").status, 404);
    assert_eq!(c.request("DELETE", "/a", &[], "").status, 404);
}

static CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

fn count_connection() {
    CONNECTIONS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn fixed_serves_prebuilt_bytes_runs_its_hook_and_records_nothing() {
    let s = Server::fixed(
        vec![("/doc", fixed_response(b"{\"n\":1}"))],
        Some(count_connection),
    );
    let mut c = Client::connect(s.port());
    let r = c.request("GET", "/doc", &[("x", "y")], "");
    assert_eq!(
        (r.status, r.header("etag"), r.json()),
        (200, Some("\"v1\""), json!({"n": 1}))
    );
    assert_eq!(r.header("content-type"), Some("application/hal+json"));
    assert_eq!(
        c.request("POST", "/nope", &[], "a body to skip").status,
        404
    );
    assert_eq!(
        c.request("GET", "/doc", &[], "").status,
        200,
        "the body was skipped"
    );
    assert_eq!(CONNECTIONS.load(Ordering::SeqCst), 1);
    assert!(s.requests().is_empty());
}

#[test]
fn the_log_counts_clears_and_names_the_last_request() {
    let s = ok();
    let mut c = Client::connect(s.port());
    c.request("GET", "/1", &[], "");
    c.request("POST", "/2", &[], "x");
    c.request("GET", "/3", &[], "");
    assert_eq!((s.count("GET"), s.count("POST"), s.count("PUT")), (2, 1, 0));
    assert_eq!(s.last().target, "/3");
    assert_eq!(s.url("/x"), format!("http://127.0.0.1:{}/x", s.port()));
    s.clear();
    assert!(s.requests().is_empty());
    assert!(
        catch_unwind(|| s.last()).is_err(),
        "no last request after clear"
    );
}

#[test]
fn malformed_requests_end_the_connection_without_an_answer() {
    let s = ok();
    for raw in [
        &b"GET /x HTTP/1.1\r\nno colon here\r\n\r\n"[..],
        b"POST /x HTTP/1.1\r\ncontent-length: twelve\r\n\r\n",
        b"POST /x HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    ] {
        let mut c = Client::connect(s.port());
        c.write(raw);
        assert!(
            c.read_to_end().is_empty(),
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
    assert!(s.requests().is_empty());
}
