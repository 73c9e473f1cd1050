//! Thread safety: the types that cross threads, and one Api shared by many threads.

mod common;

use std::sync::Arc;
use std::thread;

use common::{RawServer, api_at};
use halchemy::{Api, Error, Resource};

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn clone<T: Clone>() {}
    send_sync::<Api>();
    send_sync::<Resource>();
    send_sync::<Error>();
    send_sync::<halchemy::StatusCodes>();
    send_sync::<halchemy::Body>();
    clone::<Api>();
    clone::<Resource>();
}

#[test]
fn one_api_serves_many_threads_each_with_its_own_resources() {
    let s = RawServer::start(|req, stream| {
        let body = format!(
            r#"{{"_links":{{"self":{{"href":"{}"}}}},"path":"{}"}}"#,
            req.target, req.target
        );
        common::respond(stream, 200, &[], body.as_bytes());
        common::Next::KeepAlive
    });
    let api = Arc::new(api_at(&s.base_url()));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let shared = Arc::clone(&api);
            let cloned = (*api).clone();
            thread::spawn(move || {
                for i in 0..10 {
                    let path = format!("/t{t}/{i}");
                    let api = if i % 2 == 0 { &*shared } else { &cloned };
                    let r = api.using_endpoint(path.as_str()).get().unwrap();
                    assert_eq!(r["path"], path.as_str());
                    let again = api.follow(&r).to("self").get().unwrap();
                    assert_eq!(again["path"], path.as_str());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(s.requests().len(), 80);
}
