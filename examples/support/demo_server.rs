//! A small HAL API on 127.0.0.1 for the examples, so they run with nothing else installed:
//! customers with ETags, a templated item link, a search with parameters, an embedded
//! collection, and `If-Match` enforced (412 when stale, 428 when missing).
//!
//! Plain `std` and `serde_json`; HTTP/1.1 with keep-alive, one thread per connection.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::{Value, json};

struct Customer {
    doc: Value,
    version: u64,
}

impl Customer {
    fn etag(&self, id: &str) -> String {
        format!("\"{id}-v{}\"", self.version)
    }

    /// The document as served: data, `_etag` (unquoted, like Eve's) and links.
    fn render(&self, id: &str) -> Value {
        let mut doc = self.doc.clone();
        doc["id"] = id.into();
        doc["_etag"] = self.etag(id).trim_matches('"').into();
        doc["_links"] = json!({
            "self": {"href": format!("/customers/{id}")},
            "collection": {"href": "/customers"}
        });
        doc
    }
}

type Store = Arc<Mutex<BTreeMap<String, Customer>>>;

/// The running server; it stops when the program ends.
pub struct DemoServer {
    port: u16,
}

impl DemoServer {
    /// Starts the API on a free port of 127.0.0.1 with three customers.
    pub fn start() -> std::io::Result<DemoServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let store: Store = Arc::new(Mutex::new(BTreeMap::new()));
        {
            let mut s = store.lock().unwrap();
            for (id, name, city) in [
                ("A375", "Leslie Knope", "Pawnee"),
                ("B112", "Ron Swanson", "Pawnee"),
                ("C007", "Ann Perkins", "Eagleton"),
            ] {
                s.insert(
                    id.to_owned(),
                    Customer {
                        doc: json!({"name": name, "city": city, "orders": 0}),
                        version: 1,
                    },
                );
            }
        }
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = Arc::clone(&store);
                thread::spawn(move || serve(stream, &store));
            }
        });
        Ok(DemoServer { port })
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Option<Value>,
}

fn reply(status: u16, body: Value) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body: Some(body),
    }
}

fn problem(status: u16, message: &str) -> Response {
    reply(status, json!({"error": message}))
}

fn serve(stream: TcpStream, store: &Store) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut stream = stream;
    while let Some(req) = read_request(&mut reader) {
        let close = req
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let res = route(&req, store);
        if write_response(&mut stream, res).is_err() || close {
            return;
        }
    }
}

fn route(req: &Request, store: &Store) -> Response {
    let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match (req.method.as_str(), parts.as_slice()) {
        ("GET", [""]) => reply(
            200,
            json!({
                "_links": {
                    "self": {"href": "/"},
                    "customers": {"href": "/customers", "title": "All customers"},
                    "customer": {"href": "/customers/{id}", "templated": true},
                    "search": {"href": "/customers{?city}", "templated": true}
                },
                "welcome": "the halchemy demo API"
            }),
        ),
        ("GET", ["customers"]) => list(req, store),
        ("POST", ["customers"]) => create(req, store),
        (method, ["customers", id]) => item(method, id, req, store),
        _ => problem(404, "no such resource"),
    }
}

fn list(req: &Request, store: &Store) -> Response {
    let city = req
        .query
        .iter()
        .find(|(k, _)| k == "city")
        .map(|(_, v)| v.as_str());
    let store = store.lock().unwrap();
    let items: Vec<Value> = store
        .iter()
        .filter(|(_, c)| city.is_none_or(|city| c.doc["city"] == city))
        .map(|(id, c)| c.render(id))
        .collect();
    reply(
        200,
        json!({
            "_links": {"self": {"href": "/customers"}},
            "count": items.len(),
            "_embedded": {"item": items}
        }),
    )
}

fn create(req: &Request, store: &Store) -> Response {
    let Ok(doc @ Value::Object(_)) = serde_json::from_slice::<Value>(&req.body) else {
        return problem(400, "send a JSON object");
    };
    let mut store = store.lock().unwrap();
    let id = format!("N{:03}", store.len() + 1);
    let customer = Customer { doc, version: 1 };
    let body = customer.render(&id);
    let etag = customer.etag(&id);
    store.insert(id.clone(), customer);
    let mut res = reply(201, body);
    res.headers.push(("location", format!("/customers/{id}")));
    res.headers.push(("etag", etag));
    res
}

fn item(method: &str, id: &str, req: &Request, store: &Store) -> Response {
    let mut store = store.lock().unwrap();
    let Some(customer) = store.get_mut(id) else {
        return problem(404, "no such customer");
    };
    let etag = customer.etag(id);
    let with_etag = |mut r: Response, e: String| {
        r.headers.push(("etag", e));
        r
    };
    if method == "GET" {
        if req.header("if-none-match") == Some(etag.as_str()) {
            let r = Response {
                status: 304,
                headers: Vec::new(),
                body: None,
            };
            return with_etag(r, etag);
        }
        return with_etag(reply(200, customer.render(id)), etag);
    }
    if !matches!(method, "PATCH" | "PUT" | "DELETE") {
        return problem(405, "use GET, PATCH, PUT or DELETE");
    }
    // If-Match is required for every write; the etag may come quoted (header) or bare (field).
    let Some(sent) = req.header("if-match") else {
        return problem(428, "send If-Match with the customer's etag");
    };
    if sent != "*" && sent.trim_matches('"') != etag.trim_matches('"') {
        return with_etag(
            problem(412, "the customer was changed by someone else"),
            etag,
        );
    }
    if method == "DELETE" {
        store.remove(id);
        return Response {
            status: 204,
            headers: Vec::new(),
            body: None,
        };
    }
    let Ok(change @ Value::Object(_)) = serde_json::from_slice::<Value>(&req.body) else {
        return problem(400, "send a JSON object");
    };
    if method == "PUT" {
        customer.doc = change;
    } else {
        merge(&mut customer.doc, &change);
    }
    customer.version += 1;
    let etag = customer.etag(id);
    with_etag(reply(200, customer.render(id)), etag)
}

/// JSON merge patch (RFC 7386).
fn merge(doc: &mut Value, patch: &Value) {
    if let (Value::Object(d), Value::Object(p)) = (doc, patch) {
        for (k, v) in p {
            if v.is_null() {
                d.remove(k);
            } else if v.is_object() && d.get(k).is_some_and(Value::is_object) {
                merge(d.get_mut(k).unwrap(), v);
            } else if !k.starts_with('_') && k != "id" {
                d.insert(k.clone(), v.clone());
            }
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_owned(), v.trim().to_owned()));
    }
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0usize)
        .min(1 << 20);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    Some(Request {
        method,
        path: path.to_owned(),
        query,
        headers,
        body,
    })
}

fn decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
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

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        412 => "Precondition Failed",
        428 => "Precondition Required",
        _ => "Unknown",
    }
}

fn write_response(stream: &mut TcpStream, res: Response) -> std::io::Result<()> {
    let body = res.body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!("HTTP/1.1 {} {}\r\n", res.status, reason(res.status));
    if !body.is_empty() {
        head.push_str("content-type: application/hal+json\r\n");
    }
    head.push_str(&format!("content-length: {}\r\n", body.len()));
    for (k, v) in res.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}
