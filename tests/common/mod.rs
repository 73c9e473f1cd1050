//! Shared by the integration tests: an `Api` that ignores the machine's configuration, and a
//! raw HTTP/1.1 server on loopback that records what arrives and can misbehave.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use halchemy::Api;

/// An Api at `base_url` that reads no `.halchemy` file and uses no proxy.
pub fn api_at(base_url: &str) -> Api {
    Api::builder()
        .base_url(base_url)
        .no_config_file()
        .no_proxy()
        .build()
        .expect("a valid base url")
}

/// An Api at an httpmock server's base URL.
pub fn api(server: &httpmock::MockServer) -> Api {
    api_at(&server.base_url())
}

/// One request as it arrived at a [`RawServer`].
#[derive(Debug, Clone, Default)]
pub struct RawRequest {
    pub method: String,
    pub target: String,
    /// Names as sent (case kept), in order, repeats kept.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which connection (0, 1, ...) of the server it came on.
    pub connection: usize,
}

impl RawRequest {
    /// Every value of the header `name` (case-insensitive).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The one value of `name`; panics (failing the test) if it was sent more than once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let all = self.all(name);
        assert!(
            all.len() <= 1,
            "header {name} sent {} times: {all:?}",
            all.len()
        );
        all.first().copied()
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What a handler wants done with the connection after answering.
pub enum Next {
    KeepAlive,
    Close,
}

type Handler = dyn Fn(&RawRequest, &mut TcpStream) -> Next + Send + Sync;

/// A small HTTP/1.1 server on 127.0.0.1 whose handler writes raw bytes, so it can answer
/// correctly or break the protocol on purpose.
pub struct RawServer {
    pub port: u16,
    requests: Arc<Mutex<Vec<RawRequest>>>,
}

impl RawServer {
    pub fn start<F>(handler: F) -> RawServer
    where
        F: Fn(&RawRequest, &mut TcpStream) -> Next + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::clone(&requests);
        thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let handler = Arc::clone(&handler);
                let log = Arc::clone(&log);
                thread::spawn(move || serve(n, stream, &*handler, &log));
            }
        });
        RawServer { port, requests }
    }

    /// A server answering every request with `status`, `headers` and `body`.
    pub fn answering(status: u16, headers: &[(&str, &str)], body: &str) -> RawServer {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let body = body.to_owned();
        RawServer::start(move |_, s| {
            let h: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            respond(s, status, &h, body.as_bytes());
            Next::KeepAlive
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path)
    }

    pub fn requests(&self) -> Vec<RawRequest> {
        self.requests.lock().unwrap().clone()
    }

    pub fn last(&self) -> RawRequest {
        self.requests()
            .pop()
            .expect("the server received a request")
    }
}

fn serve(connection: usize, stream: TcpStream, handler: &Handler, log: &Mutex<Vec<RawRequest>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let Some(mut req) = read_request(&mut reader) else {
            return;
        };
        req.connection = connection;
        log.lock().unwrap().push(req.clone());
        if let Next::Close = handler(&req, &mut stream) {
            let _ = stream.flush();
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<RawRequest> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.to_owned(), v.trim().to_owned()));
    }
    let mut req = RawRequest {
        method,
        target,
        headers,
        ..RawRequest::default()
    };
    let len: usize = req
        .all("content-length")
        .first()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let chunked = req
        .all("transfer-encoding")
        .iter()
        .any(|v| v.eq_ignore_ascii_case("chunked"));
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            req.body.extend_from_slice(&chunk[..n]);
        }
    } else {
        let mut body = vec![0; len];
        reader.read_exact(&mut body).ok()?;
        req.body = body;
    }
    Some(req)
}

/// Writes a complete response with a `Content-Length`.
pub fn respond(stream: &mut TcpStream, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    let _ = stream.write_all(&bytes);
    let _ = stream.flush();
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
