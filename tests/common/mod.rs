//! Shared by the integration tests: an `Api` that ignores the machine's configuration, and
//! the loopback servers of `halchemy-testserver` under the names the tests use.
#![allow(dead_code)]

use std::net::TcpStream;
use std::ops::Deref;

use halchemy::Api;
pub use halchemy_testserver::{Next, Reply, Server};

/// One request as it arrived at a server: method, target, headers in order, body, connection.
pub use halchemy_testserver::Request as RawRequest;

/// An Api at `base_url` that reads no `.halchemy` file and uses no proxy.
pub fn api_at(base_url: &str) -> Api {
    Api::builder()
        .base_url(base_url)
        .no_config_file()
        .no_proxy()
        .build()
        .expect("a valid base url")
}

/// An Api at a test server's base URL.
pub fn api(server: &Server) -> Api {
    api_at(&server.base_url())
}

/// A [`Server`] whose handler writes raw bytes to the socket, so it can answer correctly or
/// break the protocol on purpose; it derefs to the [`Server`] and its request log.
pub struct RawServer {
    /// The port on 127.0.0.1.
    pub port: u16,
    /// The server and its log.
    server: Server,
}

impl RawServer {
    /// Hands each request and the socket to `handler` (see [`Server::raw`]).
    pub fn start<F>(handler: F) -> RawServer
    where
        F: Fn(&RawRequest, &mut TcpStream) -> Next + Send + Sync + 'static,
    {
        RawServer::from(Server::raw(handler))
    }

    /// A server answering every request with `status`, `headers` and `body`.
    pub fn answering(status: u16, headers: &[(&str, &str)], body: &str) -> RawServer {
        RawServer::from(Server::answering(status, headers, body))
    }
}

impl From<Server> for RawServer {
    fn from(server: Server) -> RawServer {
        RawServer {
            port: server.port(),
            server,
        }
    }
}

impl Deref for RawServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

/// Writes a complete response with a `Content-Length`; a write error is ignored (the test
/// then sees the client's side of it).
pub fn respond(stream: &mut TcpStream, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let reply = headers
        .iter()
        .fold(Reply::new(status), |reply, (name, value)| {
            reply.header(name, value)
        })
        .body(body);
    let _ = reply.write_to(stream);
}

/// Loads a group of `tests/data/vectors.json`.
pub fn vectors(group: &str) -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vectors.json");
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all[group].clone()
}

/// The query of `url` as a sorted list of `key=value` pairs.
pub fn query_pairs(url: &str) -> Vec<String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    pairs.sort();
    pairs
}
