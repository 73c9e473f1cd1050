//! The `cookies` feature: a jar per Api, shared by its clones. A cookie the server sets is
//! sent back to it.
#![cfg(feature = "cookies")]

mod common;

use common::{Reply, Server, api, api_at};
use serde_json::json;

fn login_server() -> Server {
    Server::start(|req| match req.target.as_str() {
        "/login" => Reply::new(200)
            .header("set-cookie", "session=abc123; Path=/; HttpOnly")
            .body("{}"),
        _ => Reply::new(200).body("{}"),
    })
}

#[test]
fn a_cookie_the_server_sets_is_sent_back_by_the_api_and_its_clones() {
    let server = login_server();
    let api = api(&server);
    api.using_endpoint("/me").get().unwrap();
    assert_eq!(server.last().header("cookie"), None);

    api.using_endpoint("/login")
        .post(json!({"user": "kim"}))
        .unwrap();
    api.using_endpoint("/me").get().unwrap();
    assert_eq!(server.last().header("cookie"), Some("session=abc123"));
    let clone = api.clone();
    clone.using_endpoint("/orders").get().unwrap();
    assert_eq!(server.last().header("cookie"), Some("session=abc123"));

    // Another Api has a jar of its own.
    api_at(&server.base_url())
        .using_endpoint("/me")
        .get()
        .unwrap();
    assert_eq!(server.last().header("cookie"), None);
}

#[test]
fn a_cookie_goes_to_no_other_host() {
    let server = login_server();
    // Another host on loopback: 127.0.0.2 (Linux routes all of 127.0.0.0/8 to loopback).
    let Ok(listener) = std::net::TcpListener::bind("127.0.0.2:0") else {
        eprintln!("127.0.0.2 cannot be bound here: the other-host case is not checked");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let seen = std::thread::spawn(move || {
        use std::io::{BufRead, Write};
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
            head.push(line.trim_end().to_ascii_lowercase());
        }
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
            .unwrap();
        head
    });
    let api = api(&server);
    api.using_endpoint("/login").post(json!({})).unwrap();
    api.using_endpoint(format!("http://127.0.0.2:{port}/x"))
        .get()
        .unwrap();
    let head = seen.join().unwrap();
    assert!(head[0].starts_with("get /x "), "{head:?}");
    assert!(!head.iter().any(|h| h.starts_with("cookie:")), "{head:?}");
}
