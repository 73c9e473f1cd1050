//! halchemy against raw ureq, side by side in one process, against one fast keep-alive server
//! on loopback that serves fixed bytes. Prints medians and ratios; asserts nothing.
//!
//!     cargo bench --bench compare
//!     cargo bench --bench compare -- quick      # fewer rounds
//!
//! See benches/README.md for what is measured and the numbers.

use std::hint::black_box;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use halchemy::Api;
use serde_json::{Value, json};

mod common;
use common::measure::{Series, loadavg, median, report, sample};
use common::{
    api, big_doc, raw_agent, raw_agent_default, raw_agent_literal_resolver, raw_get,
    raw_get_default, raw_get_presized, serve, small_doc, walk,
};
use halchemy_testserver::fixed_response;

// ---------------------------------------------------------------- the benchmarks

fn per_request(base: &str, rounds: usize, batch: u32) {
    let agent = raw_agent();
    let fast_agent = raw_agent_literal_resolver();
    let default_agent = raw_agent_default();
    let api = api(base);
    let url = format!("{base}/doc");
    let home = api.using_endpoint("/doc").get().unwrap();
    // The same server by host name: ureq's resolver looks it up on every request (in a thread),
    // halchemy's keeps the answer.
    let by_name = url.replace("127.0.0.1", "localhost");
    let mut series = [
        Series::new("raw ureq: get + parse"),
        Series::new("raw ureq, resolver as halchemy's: get + parse"),
        Series::new("halchemy: api.using_endpoint(url).get()"),
        Series::new("halchemy: api.follow(&r).to(\"self\").get()"),
        Series::new("raw ureq, http://localhost:port"),
        Series::new("halchemy, http://localhost:port"),
        Series::new("raw ureq, default Agent: read_to_vec + from_slice"),
    ];
    let run = |which: usize| match which {
        0 => black_box(raw_get(&agent, &url)).is_null(),
        1 => black_box(raw_get(&fast_agent, &url)).is_null(),
        2 => black_box(api.using_endpoint(url.as_str()).get().unwrap())
            .data()
            .is_null(),
        3 => black_box(api.follow(&home).to("self").get().unwrap())
            .data()
            .is_null(),
        4 => black_box(raw_get(&agent, &by_name)).is_null(),
        6 => black_box(raw_get_default(&default_agent, &url)).is_null(),
        _ => black_box(api.using_endpoint(by_name.as_str()).get().unwrap())
            .data()
            .is_null(),
    };
    for which in 0..series.len() {
        for _ in 0..batch {
            run(which);
        }
    }
    for round in 0..rounds {
        // A different order each round, so no series always runs right after another.
        for k in 0..series.len() {
            let which = (k + round) % series.len();
            series[which].samples.push(sample(batch, || {
                run(which);
            }));
        }
    }
    let [
        raw,
        raw_fast,
        endpoint,
        follow,
        raw_name,
        hal_name,
        raw_default,
    ] = &series;
    report(
        "the same, against raw ureq with a default Agent (issue #15: halchemy ≤ 1.05 × in CPU)",
        raw_default,
        &[raw_fast, endpoint, follow],
    );
    report(
        &format!(
            "GET + parse of a {}-byte HAL document, one keep-alive connection",
            small_doc().len()
        ),
        raw,
        &[raw_fast, endpoint, follow],
    );
    report(
        "the same, against raw ureq with the same resolver as halchemy",
        raw_fast,
        &[endpoint, follow],
    );
    report("the same by host name (localhost)", raw_name, &[hal_name]);
}

fn big_collection(base: &str, rounds: usize) {
    let agent = raw_agent();
    let api = api(base);
    let url = format!("{base}/big");
    let mut raw = Series::new("raw ureq + serde_json: get, parse, walk");
    let mut many = Series::new("halchemy: get + embedded_many(\"item\"), walk");
    for _ in 0..rounds {
        raw.samples.push(sample(1, || {
            let doc = raw_get(&agent, &url);
            let items = doc["_embedded"]["item"].as_array().unwrap();
            black_box(walk(items.iter()));
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
        &[&many],
    );
}

type Client = Arc<dyn Fn() + Send + Sync>;

fn two_threads(base: &str, rounds: usize, per_thread: u32) {
    let url = format!("{base}/doc");
    let run = |f: Client, threads: u32| {
        let start = Instant::now();
        let handles: Vec<_> = (0..threads)
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
        start.elapsed() / (threads * per_thread)
    };
    let clients: Vec<(&str, Client)> = {
        let (a, u) = (raw_agent(), url.clone());
        let (f, u2) = (raw_agent_literal_resolver(), url.clone());
        let (h, u3) = (api(base), url.clone());
        vec![
            (
                "raw ureq agent",
                Arc::new(move || {
                    black_box(raw_get(&a, &u));
                }),
            ),
            (
                "raw ureq agent, resolver as halchemy's",
                Arc::new(move || {
                    black_box(raw_get(&f, &u2));
                }),
            ),
            (
                "halchemy Api",
                Arc::new(move || {
                    black_box(h.using_endpoint(u3.as_str()).get().unwrap());
                }),
            ),
        ]
    };
    let mut results = vec![(Vec::new(), Vec::new()); clients.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in clients.iter().enumerate() {
            results[i].0.push(run(Arc::clone(f), 1));
            results[i].1.push(run(Arc::clone(f), 2));
        }
    }
    println!(
        "\ntwo threads sharing one client (wall time per request; the server runs on one core)"
    );
    let mut two = Vec::new();
    for ((name, _), (one_t, two_t)) in clients.iter().zip(results) {
        let (one_t, two_t) = (median(one_t), median(two_t));
        println!(
            "  {name:<40} 1 thread {one_t:>9.2?}, 2 threads {two_t:>9.2?}: throughput ×{:.2}",
            one_t.as_secs_f64() / two_t.as_secs_f64()
        );
        two.push(two_t);
    }
    println!(
        "  2 threads, halchemy / raw ureq with the same resolver: {:.3}",
        two[2].as_secs_f64() / two[1].as_secs_f64()
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

/// `loop raw|rawfast|rawdefault|rawpresized|halchemy N`: only N GETs of the small document, for counting instructions:
///
///     valgrind --tool=callgrind --toggle-collect='*raw_loop*' <bench binary> loop raw 2000
#[inline(never)]
fn raw_loop(agent: &ureq::Agent, url: &str, n: u32) {
    for _ in 0..n {
        black_box(raw_get(agent, url));
    }
}

#[inline(never)]
fn raw_default_loop(agent: &ureq::Agent, url: &str, n: u32) {
    for _ in 0..n {
        black_box(raw_get_default(agent, url));
    }
}

#[inline(never)]
fn raw_presized_loop(agent: &ureq::Agent, url: &str, n: u32) {
    for _ in 0..n {
        black_box(raw_get_presized(agent, url));
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
        let server = serve(vec![("/doc", fixed_response(&small_doc()))]);
        let url = server.url("/doc");
        match which {
            "raw" => raw_loop(&raw_agent(), &url, n),
            "rawfast" => raw_loop(&raw_agent_literal_resolver(), &url, n),
            "rawdefault" => raw_default_loop(&raw_agent_default(), &url, n),
            "rawpresized" => raw_presized_loop(&raw_agent_default(), &url, n),
            _ => halchemy_loop(&api(&server.base_url()), &url, n),
        }
        return;
    }
    let quick = std::env::args().any(|a| a == "quick");
    let (rounds, batch) = if quick { (9, 200) } else { (101, 200) };
    let server = serve(vec![
        ("/doc", fixed_response(&small_doc())),
        ("/big", fixed_response(&big_doc())),
    ]);
    let base = server.base_url();
    println!(
        "halchemy vs raw ureq, same process, same server ({base}); medians of {rounds} rounds; \
         load average {}",
        loadavg()
    );
    // The server's threads run on the last core. The two-thread test runs first, from an
    // unpinned thread; then this thread is pinned to the first core, so that every client
    // meets its server on the other core rather than wherever the scheduler happened to put
    // each connection's thread (on a 2-core machine that alone decided the result).
    two_threads(&base, if quick { 3 } else { 15 }, 1000);
    common::pin_to_first_core();
    per_request(&base, rounds, batch);
    big_collection(&base, if quick { 5 } else { 31 });
    building(25, 2000);
    println!("\nload average at the end: {}", loadavg());
}
