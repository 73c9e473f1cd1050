//! halchemy against raw ureq, side by side in one process, against one fast keep-alive server
//! on loopback that serves fixed bytes. Prints medians and ratios; asserts nothing.
//!
//!     cargo bench --bench compare
//!     cargo bench --bench compare -- quick      # fewer rounds
//!
//! See benches/README.md for what is measured and the numbers.

use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use halchemy::Api;
use peak_alloc::PeakAlloc;
use serde_json::{Value, json};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

// ---------------------------------------------------------------- the server

/// Serves each path's prebuilt response, keep-alive, one thread per connection.
fn serve(routes: Vec<(&'static str, Vec<u8>)>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let routes = Arc::new(routes);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let routes = Arc::clone(&routes);
            thread::spawn(move || connection(stream, &routes));
        }
    });
    port
}

fn connection(stream: TcpStream, routes: &[(&'static str, Vec<u8>)]) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
        }
        let response = routes
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, r)| r.as_slice())
            .unwrap_or(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
        if writer.write_all(response).is_err() {
            return;
        }
    }
}

fn response(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/hal+json\r\netag: \"v1\"\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A HAL document of about 1 KB.
fn small_doc() -> Vec<u8> {
    let doc = json!({
        "_links": {
            "self": {"href": "/doc"},
            "collection": {"href": "/customers", "title": "All customers"},
            "orders": {"href": "/customers/A375/orders{?status,page}", "templated": true},
            "invoices": {"href": "/customers/A375/invoices", "title": "Invoices"},
            "next": {"href": "/customers/A376"},
            "prev": {"href": "/customers/A374"}
        },
        "_etag": "5d2f3c1e8a9b7f6e4d3c2b1a09f8e7d6c5b4a392",
        "id": "A375",
        "givenName": "Leslie",
        "familyName": "Knope",
        "email": "leslie.knope@pawnee.example",
        "phone": "+1-555-0100",
        "address": {"street": "100 Main Street", "city": "Pawnee", "state": "IN", "zip": "46001"},
        "tags": ["parks", "recreation", "waffles", "council"],
        "balance": 1234.56,
        "active": true,
        "notes": "Deputy director of the Parks and Recreation Department. Prefers email. Allergic to nothing but bureaucracy; loves JJ's waffles and binders.",
        "company": "City of Pawnee, Department of Parks and Recreation, 100 Main Street, Pawnee, Indiana",
        "created": "2009-04-09T20:00:00Z",
        "updated": "2015-02-24T20:00:00Z"
    });
    serde_json::to_vec(&doc).unwrap()
}

/// A page of 10,000 embedded items, about 2 MB.
fn big_doc() -> Vec<u8> {
    let items: Vec<Value> = (0..10_000)
        .map(|i| {
            json!({
                "_links": {"self": {"href": format!("/customers/{i:05}")}},
                "_etag": format!("{:040x}", i * 7919),
                "id": format!("{i:05}"),
                "name": format!("Customer number {i}"),
                "city": "Pawnee",
                "balance": i as f64 * 1.25,
                "active": i % 3 == 0
            })
        })
        .collect();
    let doc = json!({"_links": {"self": {"href": "/big"}}, "_embedded": {"item": items}});
    serde_json::to_vec(&doc).unwrap()
}

// ---------------------------------------------------------------- the clients

const HEADERS: [(&str, &str); 3] = [
    ("content-type", "application/json"),
    (
        "accept",
        "application/hal+json, application/json;q=0.9, */*;q=0.8",
    ),
    ("authorization", "Basic cm9vdDpwYXNzd29yZA=="),
];

/// A raw ureq agent with the same settings halchemy gives its own.
fn raw_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .timeout_connect(Some(Duration::from_secs(10)))
        .proxy(None)
        .build()
        .into()
}

/// Raw ureq: GET, the same headers halchemy sends, the body read and parsed to JSON.
fn raw_get(agent: &ureq::Agent, url: &str) -> Value {
    let mut req = agent.get(url);
    for (k, v) in HEADERS {
        req = req.header(k, v);
    }
    let mut response = req.call().unwrap();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(10 * 1024 * 1024)
        .read_to_vec()
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn api(base: &str) -> Api {
    Api::builder()
        .base_url(base)
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap()
}

/// Touches every item the same way for both clients.
fn walk<'a>(items: impl Iterator<Item = &'a Value>) -> usize {
    items.map(|i| i["name"].as_str().map_or(0, str::len)).sum()
}

// ---------------------------------------------------------------- measuring

#[derive(Clone, Copy)]
struct Sample {
    cpu: Duration,
    wall: Duration,
}

/// Runs `f` `n` times; returns the client thread's CPU time and the wall time per call.
fn sample(n: u32, mut f: impl FnMut()) -> Sample {
    let cpu = ThreadTime::now();
    let wall = Instant::now();
    for _ in 0..n {
        f();
    }
    Sample {
        cpu: cpu.elapsed() / n,
        wall: wall.elapsed() / n,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Series {
    name: &'static str,
    samples: Vec<Sample>,
}

impl Series {
    fn new(name: &'static str) -> Self {
        Series {
            name,
            samples: Vec::new(),
        }
    }
    fn cpu(&self) -> Duration {
        median(self.samples.iter().map(|s| s.cpu).collect())
    }
    fn wall(&self) -> Duration {
        median(self.samples.iter().map(|s| s.wall).collect())
    }
}

fn report(title: &str, baseline: &Series, others: &[&Series]) {
    println!("\n{title}");
    println!(
        "  {:<44} {:>12} {:>12} {:>9} {:>9}",
        "", "cpu/op", "wall/op", "cpu ×", "wall ×"
    );
    for s in std::iter::once(baseline).chain(others.iter().copied()) {
        println!(
            "  {:<44} {:>12.2?} {:>12.2?} {:>9.3} {:>9.3}",
            s.name,
            s.cpu(),
            s.wall(),
            s.cpu().as_secs_f64() / baseline.cpu().as_secs_f64(),
            s.wall().as_secs_f64() / baseline.wall().as_secs_f64()
        );
    }
}

// ---------------------------------------------------------------- the benchmarks

fn per_request(base: &str, rounds: usize, batch: u32) {
    let agent = raw_agent();
    let api = api(base);
    let url = format!("{base}/doc");
    let home = api.using_endpoint("/doc").get().unwrap();
    let mut raw = Series::new("raw ureq: get + parse");
    let mut endpoint = Series::new("halchemy: api.using_endpoint(url).get()");
    let mut follow = Series::new("halchemy: api.follow(&r).to(\"self\").get()");
    for _ in 0..batch {
        black_box(raw_get(&agent, &url));
        black_box(api.using_endpoint(url.as_str()).get().unwrap());
    }
    for _ in 0..rounds {
        raw.samples.push(sample(batch, || {
            black_box(raw_get(&agent, &url));
        }));
        endpoint.samples.push(sample(batch, || {
            black_box(api.using_endpoint(url.as_str()).get().unwrap());
        }));
        follow.samples.push(sample(batch, || {
            black_box(api.follow(&home).to("self").get().unwrap());
        }));
    }
    report(
        &format!(
            "GET + parse of a {}-byte HAL document, one keep-alive connection",
            small_doc().len()
        ),
        &raw,
        &[&endpoint, &follow],
    );
}

fn big_collection(base: &str, rounds: usize) {
    let agent = raw_agent();
    let api = api(base);
    let url = format!("{base}/big");
    let mut raw = Series::new("raw ureq + serde_json: get, parse, walk");
    let mut iter = Series::new("halchemy: get + iter_embedded(\"item\")");
    let mut owned = Series::new("halchemy: get + into_embedded_many (moved)");
    let mut many = Series::new("halchemy: get + embedded_many (owned copies)");
    for _ in 0..rounds {
        raw.samples.push(sample(1, || {
            let doc = raw_get(&agent, &url);
            let items = doc["_embedded"]["item"].as_array().unwrap();
            black_box(walk(items.iter()));
        }));
        iter.samples.push(sample(1, || {
            let page = api.using_endpoint(url.as_str()).get().unwrap();
            black_box(walk(page.iter_embedded("item").unwrap().map(|r| r.data())));
        }));
        owned.samples.push(sample(1, || {
            let page = api.using_endpoint(url.as_str()).get().unwrap();
            let items = page.into_embedded_many("item").unwrap();
            black_box(walk(items.iter().map(|r| r.data())));
        }));
        many.samples.push(sample(1, || {
            let page = api.using_endpoint(url.as_str()).get().unwrap();
            let items = page.embedded_many("item").unwrap();
            black_box(walk(items.iter().map(|r| r.data())));
        }));
    }
    report(
        &format!(
            "a collection of 10,000 embedded items ({} bytes)",
            big_doc().len()
        ),
        &raw,
        &[&iter, &owned, &many],
    );

    // Peak memory above the baseline while the page is fetched, parsed and walked.
    let peak = |f: &dyn Fn()| {
        let before = ALLOC.current_usage();
        ALLOC.reset_peak_usage();
        f();
        ALLOC.peak_usage().saturating_sub(before)
    };
    let raw_peak = peak(&|| {
        let doc = raw_get(&agent, &url);
        black_box(walk(doc["_embedded"]["item"].as_array().unwrap().iter()));
    });
    let hal_peak = peak(&|| {
        let page = api.using_endpoint(url.as_str()).get().unwrap();
        black_box(walk(page.iter_embedded("item").unwrap().map(|r| r.data())));
    });
    println!(
        "  peak memory: raw ureq {:.2} MB, halchemy {:.2} MB, ratio {:.3}",
        raw_peak as f64 / 1e6,
        hal_peak as f64 / 1e6,
        hal_peak as f64 / raw_peak as f64
    );
}

fn two_threads(base: &str, rounds: usize, per_thread: u32) {
    let url = format!("{base}/doc");
    let run = |f: Arc<dyn Fn() + Send + Sync>| {
        let start = Instant::now();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let f = Arc::clone(&f);
                thread::spawn(move || {
                    for _ in 0..per_thread {
                        f();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        start.elapsed() / (2 * per_thread)
    };
    let agent = raw_agent();
    let api = api(base);
    let (mut raw1, mut raw2, mut hal1, mut hal2) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (a, u) = (agent.clone(), url.clone());
        raw1.push(
            sample(per_thread, || {
                black_box(raw_get(&a, &u));
            })
            .wall,
        );
        raw2.push(run(Arc::new(move || {
            black_box(raw_get(&a, &u));
        })));
        let (h, u) = (api.clone(), url.clone());
        hal1.push(
            sample(per_thread, || {
                black_box(h.using_endpoint(u.as_str()).get().unwrap());
            })
            .wall,
        );
        hal2.push(run(Arc::new(move || {
            black_box(h.using_endpoint(u.as_str()).get().unwrap());
        })));
    }
    let (raw1, raw2, hal1, hal2) = (median(raw1), median(raw2), median(hal1), median(hal2));
    println!("\ntwo threads sharing one client (wall time per request, lower is better)");
    println!(
        "  raw ureq agent: 1 thread {raw1:.2?}, 2 threads {raw2:.2?} (speed-up {:.2}×)",
        raw1.as_secs_f64() / raw2.as_secs_f64()
    );
    println!(
        "  halchemy Api:   1 thread {hal1:.2?}, 2 threads {hal2:.2?} (speed-up {:.2}×)",
        hal1.as_secs_f64() / hal2.as_secs_f64()
    );
    println!(
        "  2-thread ratio halchemy / raw: {:.3}",
        hal2.as_secs_f64() / raw2.as_secs_f64()
    );
}

fn building(rounds: usize, batch: u32) {
    let api = api("http://example.org/api");
    let doc = halchemy::Resource::from(serde_json::from_slice::<Value>(&small_doc()).unwrap());
    let template = json!({"status": "open", "page": 2});
    let params = json!({"sort": "date", "fields": ["id", "total"]});
    let mut s = Series::new("follow/to/with_template_values/with_parameters/url");
    let mut plain = Series::new("follow/to/url");
    for _ in 0..rounds {
        s.samples.push(sample(batch, || {
            black_box(
                api.follow(&doc)
                    .to("orders")
                    .with_template_values(&template)
                    .with_parameters(&params)
                    .url()
                    .unwrap(),
            );
        }));
        plain.samples.push(sample(batch, || {
            black_box(api.follow(&doc).to("next").url().unwrap());
        }));
    }
    println!("\nbuilding a request without sending it");
    for x in [&plain, &s] {
        println!("  {:<52} {:>7} ns cpu/op", x.name, x.cpu().as_nanos());
    }
}

/// `loop raw|halchemy N`: only N GETs of the small document, for counting instructions:
///
///     valgrind --tool=callgrind --toggle-collect='*raw_loop*' <bench binary> loop raw 2000
#[inline(never)]
fn raw_loop(agent: &ureq::Agent, url: &str, n: u32) {
    for _ in 0..n {
        black_box(raw_get(agent, url));
    }
}

#[inline(never)]
fn halchemy_loop(api: &Api, url: &str, n: u32) {
    for _ in 0..n {
        black_box(api.using_endpoint(url).get().unwrap());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "loop") {
        let which = args.get(i + 1).map(String::as_str).unwrap_or("raw");
        let n = args.get(i + 2).and_then(|n| n.parse().ok()).unwrap_or(1000);
        let port = serve(vec![("/doc", response(&small_doc()))]);
        let url = format!("http://127.0.0.1:{port}/doc");
        match which {
            "raw" => raw_loop(&raw_agent(), &url, n),
            _ => halchemy_loop(&api(&format!("http://127.0.0.1:{port}")), &url, n),
        }
        return;
    }
    let quick = std::env::args().any(|a| a == "quick");
    let (rounds, batch) = if quick { (5, 200) } else { (25, 1000) };
    let port = serve(vec![
        ("/doc", response(&small_doc())),
        ("/big", response(&big_doc())),
    ]);
    let base = format!("http://127.0.0.1:{port}");
    println!(
        "halchemy vs raw ureq, same process, same server ({base}); medians of {rounds} rounds"
    );
    per_request(&base, rounds, batch);
    big_collection(&base, if quick { 5 } else { 21 });
    two_threads(&base, if quick { 3 } else { 9 }, batch);
    building(rounds, batch * 10);
}
