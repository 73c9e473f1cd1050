//! A raw HTTP/1.1 client over a std `TcpStream`, so the servers are tested without any HTTP
//! library.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use serde_json::Value;

/// A response as it arrived.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The raw value of the one header `name`.
    pub fn header_bytes(&self, name: &str) -> Option<&[u8]> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let first = values.next().map(|(_, v)| v.as_slice());
        assert!(values.next().is_none(), "{name} sent twice");
        first
    }

    /// The one header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_bytes(name)
            .map(|v| std::str::from_utf8(v).expect("a UTF-8 header"))
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// One keep-alive connection.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    pub fn connect(port: u16) -> Client {
        let writer = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
        let reader = BufReader::new(writer.try_clone().unwrap());
        Client { reader, writer }
    }

    /// Writes `raw` as it is.
    pub fn write(&mut self, raw: &[u8]) {
        self.writer.write_all(raw).unwrap();
    }

    /// Writes `raw` as it is and reads one response.
    pub fn send(&mut self, raw: &[u8]) -> Response {
        self.write(raw);
        self.read_response()
    }

    /// Sends `method target` with `headers` (values as bytes) and `body` with a
    /// Content-Length.
    pub fn request_bytes(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &[u8])],
        body: &str,
    ) -> Response {
        let mut raw = format!("{method} {target} HTTP/1.1\r\nhost: test\r\n").into_bytes();
        for (name, value) in headers {
            raw.extend_from_slice(format!("{name}: ").as_bytes());
            raw.extend_from_slice(value);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(format!("content-length: {}\r\n\r\n{body}", body.len()).as_bytes());
        self.send(&raw)
    }

    /// Sends `method target` with text `headers` and `body`.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response {
        let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        self.request_bytes(method, target, &headers, body)
    }

    /// Reads one response (the servers always send Content-Length).
    pub fn read_response(&mut self) -> Response {
        let status_line = self.line();
        let status = status_line
            .split(|&b| b == b' ')
            .nth(1)
            .and_then(|s| std::str::from_utf8(s).ok()?.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "a status line, got {:?}",
                    String::from_utf8_lossy(&status_line)
                )
            });
        let mut headers = Vec::new();
        loop {
            let line = self.line();
            if line.is_empty() {
                break;
            }
            let colon = line.iter().position(|&b| b == b':').expect("a header line");
            let name = String::from_utf8(line[..colon].to_vec()).unwrap();
            let value = line[colon + 1..]
                .strip_prefix(b" ")
                .unwrap_or(&line[colon + 1..]);
            headers.push((name, value.to_vec()));
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| std::str::from_utf8(v).unwrap().parse().unwrap())
            .expect("a content-length");
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        Response {
            status,
            headers,
            body,
        }
    }

    /// Everything the server sends until it closes the connection (or resets it).
    pub fn read_to_end(&mut self) -> Vec<u8> {
        let mut rest = Vec::new();
        let _ = self.reader.read_to_end(&mut rest);
        rest
    }

    fn line(&mut self) -> Vec<u8> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).unwrap();
        assert!(line.ends_with(b"\r\n"), "a CRLF line, got {line:?}");
        line.truncate(line.len() - 2);
        line
    }
}

/// One request on a fresh connection.
pub fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    Client::connect(port).request(method, target, headers, body)
}
