//! A raw HTTP/1.1 server on `127.0.0.1`: keep-alive, one thread per connection, every request
//! recorded before it is answered.
//!
//! Answer with a closure returning a [`Reply`] ([`Server::start`]), with raw bytes written
//! straight to the socket ([`Server::raw`], for fault tests), with one fixed answer
//! ([`Server::answering`]) or a table of them ([`Server::routes`]). [`Server::fixed`] is the
//! benchmarks' fast path: prebuilt responses, nothing recorded.
//!
//! Servers run until the process ends; they are cheap, so each test starts its own.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;

use serde_json::{Value, json};

/// The media type of HAL documents, sent by [`Reply::json`].
pub const HAL_JSON: &str = "application/hal+json";

/// The longest request line or header line read; a longer one ends the connection.
const MAX_LINE: u64 = 64 * 1024;

/// What [`Server::fixed`] answers for a path it does not know.
const NOT_FOUND: &[u8] = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";

// ---------------------------------------------------------------- requests

/// One request as it arrived.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent (`GET`, `PATCH`, ...).
    pub method: String,
    /// The request target, as sent: path and query (`/items/1?x=2`).
    pub target: String,
    /// Which connection of the server it came on: 0 for the first accepted, then 1, 2, ...
    pub connection: usize,
    /// Every header line in order, repeats kept: the name as sent (case kept) and the raw
    /// value with surrounding blanks removed (it may hold any byte, obs-text included).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, with a chunked transfer coding already removed.
    pub body: Vec<u8>,
}

impl Request {
    /// The target's path: everything before the `?`.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(path, _)| path)
    }

    /// The target's query as `(key, value)` pairs in order, percent- and `+`-decoded; a pair
    /// without `=` has an empty value.
    pub fn query(&self) -> Vec<(String, String)> {
        let Some((_, query)) = self.target.split_once('?') else {
            return Vec::new();
        };
        query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(key), decode(value))
            })
            .collect()
    }

    /// Every raw value of the header `name` (case-insensitive), in order.
    pub(crate) fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Every value of the header `name` (case-insensitive) that is UTF-8, in order; read
    /// [`Request::headers`] for all of them.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.values(name)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .collect()
    }

    /// The raw value of the header `name` (case-insensitive), any bytes kept.
    ///
    /// # Panics
    ///
    /// When the header was sent more than once, failing the test that asked for one value.
    pub fn header_bytes(&self, name: &str) -> Option<&[u8]> {
        let mut values = self.values(name);
        let first = values.next();
        let more = values.count();
        assert!(
            more == 0,
            "header {name} was sent {} times: read every value with Request::all",
            more + 1
        );
        first
    }

    /// The value of the header `name` (case-insensitive); `None` when absent or not UTF-8.
    ///
    /// # Panics
    ///
    /// When the header was sent more than once, like [`Request::header_bytes`].
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_bytes(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The body as text, invalid UTF-8 replaced.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("connection", &self.connection)
            .field("headers", &lossy(&self.headers))
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// Header values as text for `Debug`, invalid UTF-8 replaced.
fn lossy(headers: &[(String, Vec<u8>)]) -> Vec<(&str, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

/// Percent- and `+`-decodes one query component; a `%` not followed by two hex digits stays.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let digit = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (digit(i + 1), digit(i + 2)) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------- reading

/// Reads one line into `line` (cleared first), without its `\r\n`; `None` at the end of the
/// stream, on an error or on a line longer than [`MAX_LINE`].
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> Option<()> {
    line.clear();
    reader
        .by_ref()
        .take(MAX_LINE)
        .read_until(b'\n', line)
        .ok()?;
    if line.pop() != Some(b'\n') {
        return None;
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Some(())
}

/// Reads exactly `n` bytes, growing the buffer only as they arrive.
fn read_exactly(reader: &mut impl BufRead, n: u64) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    reader.by_ref().take(n).read_to_end(&mut body).ok()?;
    (body.len() as u64 == n).then_some(body)
}

/// `Some` when `name` is `Content-Length`: its value, `None` inside when not a number.
fn content_length(name: &[u8], value: &[u8]) -> Option<Option<u64>> {
    name.eq_ignore_ascii_case(b"content-length")
        .then(|| std::str::from_utf8(value).ok()?.trim().parse().ok())
}

/// Reads one request: head, then body (by `Content-Length`, or chunked). `None` when the
/// connection ends or the request is malformed.
fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = Vec::new();
    read_line(reader, &mut line)?;
    let head = String::from_utf8_lossy(&line);
    let mut parts = head.split(' ');
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    if method.is_empty() || target.is_empty() {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        read_line(reader, &mut line)?;
        if line.is_empty() {
            break;
        }
        let colon = line.iter().position(|&b| b == b':')?;
        let name = String::from_utf8_lossy(&line[..colon]).into_owned();
        headers.push((name, trim(&line[colon + 1..]).to_vec()));
    }
    let mut request = Request {
        method,
        target,
        headers,
        ..Request::default()
    };
    request.body = read_body(reader, &request)?;
    Some(request)
}

/// Reads the body `request`'s head announces.
fn read_body(reader: &mut impl BufRead, request: &Request) -> Option<Vec<u8>> {
    let chunked = request.values("transfer-encoding").any(|v| {
        String::from_utf8_lossy(v)
            .to_ascii_lowercase()
            .contains("chunked")
    });
    if chunked {
        return read_chunked(reader);
    }
    let length = request
        .headers
        .iter()
        .find_map(|(n, v)| content_length(n.as_bytes(), v))
        .unwrap_or(Some(0))?;
    read_exactly(reader, length)
}

/// Reads a chunked body and its trailer section.
fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = Vec::new();
    loop {
        read_line(reader, &mut line)?;
        let size = String::from_utf8_lossy(&line);
        let size = u64::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            break;
        }
        body.extend(read_exactly(reader, size)?);
        read_line(reader, &mut line)?;
        if !line.is_empty() {
            return None;
        }
    }
    loop {
        read_line(reader, &mut line)?;
        if line.is_empty() {
            return Some(body);
        }
    }
}

/// `bytes` without leading and trailing spaces and tabs.
pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !blank(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

// ---------------------------------------------------------------- replies

/// A response to write: status, headers in order, body. `Content-Length` is always written
/// (from the body), before the other headers; use [`Server::raw`] to send anything else.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Reply {
    /// A reply with `status`, no headers and no body.
    pub fn new(status: u16) -> Reply {
        Reply {
            status,
            ..Reply::default()
        }
    }

    /// Adds the header `name: value` (after any others, repeats allowed).
    #[must_use]
    pub fn header(self, name: &str, value: &str) -> Reply {
        self.header_bytes(name, value.as_bytes())
    }

    /// Adds a header whose value may hold any bytes, such as an obs-text ETag.
    #[must_use]
    pub fn header_bytes(mut self, name: &str, value: &[u8]) -> Reply {
        self.headers.push((name.to_owned(), value.to_vec()));
        self
    }

    /// Sets the body to `doc` and the content type to `application/hal+json`.
    #[must_use]
    pub fn json(self, doc: &Value) -> Reply {
        self.content_type(HAL_JSON).body(doc.to_string())
    }

    /// Sets the body to `text` and the content type to `text/plain; charset=utf-8`.
    #[must_use]
    pub fn text(self, text: &str) -> Reply {
        self.content_type("text/plain; charset=utf-8").body(text)
    }

    /// Sets the body, leaving the headers as they are.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    /// Replaces any content type with `media_type`.
    fn content_type(mut self, media_type: &str) -> Reply {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        self.header("content-type", media_type)
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response as it goes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {} {}\r\ncontent-length: {}\r\n",
            self.status,
            reason(self.status),
            self.body.len()
        )
        .into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    /// Writes the response to `out` and flushes it.
    ///
    /// # Errors
    ///
    /// When writing fails (the client went away).
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&self.to_bytes())?;
        out.flush()
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &lossy(&self.headers))
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// The reason phrase written after `status`.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        415 => "Unsupported Media Type",
        428 => "Precondition Required",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A prebuilt `200` for [`Server::fixed`]: `content-type: application/hal+json`,
/// `etag: "v1"`, `content-length` and `body`.
pub fn fixed_response(body: &[u8]) -> Vec<u8> {
    Reply::new(200)
        .header("content-type", HAL_JSON)
        .header("etag", "\"v1\"")
        .body(body)
        .to_bytes()
}

// ---------------------------------------------------------------- the server

/// What a [`Server::raw`] handler wants done with the connection after answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Read the next request from the same connection.
    KeepAlive,
    /// Close the connection.
    Close,
}

/// The one handler every recording server runs.
type Handler = dyn Fn(&Request, &mut TcpStream) -> Next + Send + Sync;

/// A running server on `127.0.0.1` and the log of what it received. Clones share the log.
#[derive(Debug, Clone)]
pub struct Server {
    port: u16,
    log: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    /// Answers each request with `handler`'s [`Reply`]; keeps the connection open unless the
    /// client sent `Connection: close`.
    ///
    /// # Panics
    ///
    /// When no port of 127.0.0.1 can be bound (as every constructor here).
    pub fn start<F>(handler: F) -> Server
    where
        F: Fn(&Request) -> Reply + Send + Sync + 'static,
    {
        expect_listening(Server::try_start(handler))
    }

    /// [`Server::start`] that returns the error instead of panicking.
    pub(crate) fn try_start<F>(handler: F) -> io::Result<Server>
    where
        F: Fn(&Request) -> Reply + Send + Sync + 'static,
    {
        Server::try_raw(move |req, stream| send(req, stream, &handler(req).to_bytes()))
    }

    /// Hands each request and the socket to `handler`, which writes anything (or nothing) and
    /// says whether to keep the connection: for tests that break the protocol on purpose.
    /// The request is recorded before `handler` runs.
    pub fn raw<F>(handler: F) -> Server
    where
        F: Fn(&Request, &mut TcpStream) -> Next + Send + Sync + 'static,
    {
        expect_listening(Server::try_raw(handler))
    }

    /// [`Server::raw`] that returns the error instead of panicking.
    fn try_raw<F>(handler: F) -> io::Result<Server>
    where
        F: Fn(&Request, &mut TcpStream) -> Next + Send + Sync + 'static,
    {
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let shared = Arc::clone(&log);
        let port = listen(move |connection, stream| {
            converse(connection, stream, &*handler, &shared);
        })?;
        Ok(Server { port, log })
    }

    /// Answers every request with `status`, `headers` and `body` (no content type unless
    /// `headers` has one).
    pub fn answering(status: u16, headers: &[(&str, &str)], body: &str) -> Server {
        let reply = headers
            .iter()
            .fold(Reply::new(status), |reply, (n, v)| reply.header(n, v));
        let bytes = reply.body(body).to_bytes();
        Server::raw(move |req, stream| send(req, stream, &bytes))
    }

    /// Answers a request whose method and whole target (path and query) equal a route's with
    /// that route's reply, and anything else with `404`.
    pub fn routes(routes: Vec<(&str, &str, Reply)>) -> Server {
        let routes: Vec<(String, String, Vec<u8>)> = routes
            .into_iter()
            .map(|(m, t, reply)| (m.to_owned(), t.to_owned(), reply.to_bytes()))
            .collect();
        let missing = Reply::new(404)
            .json(
                &json!({"error": "no route for this method and target: add one to Server::routes"}),
            )
            .to_bytes();
        Server::raw(move |req, stream| {
            let bytes = routes
                .iter()
                .find(|(m, t, _)| *m == req.method && *t == req.target)
                .map_or(&missing, |(_, _, bytes)| bytes);
            send(req, stream, bytes)
        })
    }

    /// The benchmarks' server: answers a request whose target is a route's path with that
    /// route's prebuilt bytes (see [`fixed_response`]), anything else with `404`. Nothing is
    /// recorded and nothing allocated per request; request bodies are skipped by
    /// `Content-Length` (not chunked). `on_connection` runs first on each connection's thread
    /// (to pin it to a core, say).
    pub fn fixed(routes: Vec<(&'static str, Vec<u8>)>, on_connection: Option<fn()>) -> Server {
        let routes = Arc::new(routes);
        let port = expect_listening(listen(move |_, stream| {
            if let Some(hook) = on_connection {
                hook();
            }
            serve_fixed(stream, &routes);
        }));
        Server {
            port,
            log: Arc::default(),
        }
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The base URL followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.log).clone()
    }

    /// The last request received.
    ///
    /// # Panics
    ///
    /// When none has arrived.
    pub fn last(&self) -> Request {
        lock(&self.log)
            .last()
            .cloned()
            .expect("the server received no request: send one before asking for the last")
    }

    /// How many requests with `method` were received.
    pub fn count(&self, method: &str) -> usize {
        lock(&self.log)
            .iter()
            .filter(|r| r.method == method)
            .count()
    }

    /// Forgets every request received so far.
    pub fn clear(&self) {
        lock(&self.log).clear();
    }
}

/// The value of a started listener, or a panic saying why there is none.
fn expect_listening<T>(result: io::Result<T>) -> T {
    result.unwrap_or_else(|e| panic!("cannot listen on 127.0.0.1: {e}"))
}

/// Locks `mutex`, even one a panicking thread left poisoned.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Binds a free port of 127.0.0.1 and runs `serve(index, stream)` on a new thread for each
/// connection accepted.
fn listen<F>(serve: F) -> io::Result<u16>
where
    F: Fn(usize, TcpStream) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let serve = Arc::new(serve);
    thread::Builder::new()
        .name(format!("testserver-{port}"))
        .spawn(move || {
            for (index, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let _ = stream.set_nodelay(true);
                let serve = Arc::clone(&serve);
                let _ = thread::Builder::new().spawn(move || serve(index, stream));
            }
        })?;
    Ok(port)
}

/// Serves one connection of a recording server until either side closes it.
fn converse(connection: usize, stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut stream = stream;
    while let Some(mut request) = read_request(&mut reader) {
        request.connection = connection;
        lock(log).push(request.clone());
        if handler(&request, &mut stream) == Next::Close {
            let _ = stream.flush();
            return;
        }
    }
}

/// Writes `bytes`; closes after a write error or when the client asked to.
fn send(req: &Request, stream: &mut TcpStream, bytes: &[u8]) -> Next {
    let close = req
        .values("connection")
        .any(|v| v.eq_ignore_ascii_case(b"close"));
    if stream
        .write_all(bytes)
        .and_then(|()| stream.flush())
        .is_err()
        || close
    {
        Next::Close
    } else {
        Next::KeepAlive
    }
}

/// Serves one connection of a [`Server::fixed`], reusing one line buffer.
fn serve_fixed(stream: TcpStream, routes: &[(&'static str, Vec<u8>)]) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    let mut line = Vec::with_capacity(256);
    while read_line(&mut reader, &mut line).is_some() {
        let target = line.split(|&b| b == b' ').nth(1).unwrap_or_default();
        let response = routes
            .iter()
            .find(|(path, _)| path.as_bytes() == target)
            .map_or(NOT_FOUND, |(_, bytes)| bytes.as_slice());
        let mut length = 0;
        loop {
            if read_line(&mut reader, &mut line).is_none() {
                return;
            }
            if line.is_empty() {
                break;
            }
            if let Some(colon) = line.iter().position(|&b| b == b':')
                && let Some(value) = content_length(&line[..colon], &line[colon + 1..])
            {
                length = value.unwrap_or(0);
            }
        }
        let skipped = io::copy(&mut reader.by_ref().take(length), &mut io::sink());
        if skipped.is_err() || writer.write_all(response).is_err() {
            return;
        }
    }
}
