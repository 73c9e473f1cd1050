//! What a hostile document costs: rel lookups and rel listings over `_links` with `n` curied
//! rels and `n` curies (none for the rels' prefix) and `n / 32` `Link` header rels, for two
//! sizes, both larger than the caches. Linear work grows 4× from `n` = 20,000 to 80,000; work
//! proportional to rels × curies grows 16×.
//!
//!     cargo bench --bench hostile

use std::time::{Duration, Instant};

use halchemy::Resource;
use serde_json::{Map, Value, json};

fn document(n: usize) -> Value {
    let mut links = Map::new();
    let curies: Vec<_> = (0..n)
        .map(|i| json!({"name": format!("c{i}"), "href": "/docs/{rel}"}))
        .collect();
    links.insert("curies".into(), Value::Array(curies));
    for i in 0..n {
        links.insert(format!("p:r{i}"), json!({"href": format!("/r/{i}")}));
    }
    json!({"_links": links})
}

/// The median of `rounds` timings of `f`.
fn median(rounds: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<_> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[rounds / 2]
}

fn main() {
    let server = halchemy_testserver::Server::start(|req| {
        let n: usize = req.path().trim_start_matches('/').parse().unwrap_or(0);
        let header: Vec<String> = (0..n / 32).map(|i| format!("</h/{i}>; rel=h{i}")).collect();
        halchemy_testserver::Reply::new(200)
            .header("link", &header.join(", "))
            .json(&document(n))
    });
    let api = halchemy::Api::builder()
        .base_url(server.base_url())
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    let mut lookups = Vec::new();
    let mut listings = Vec::new();
    for n in [20_000, 80_000] {
        let r = Resource::from(document(n));
        let lookup = median(5, || assert!(!r.has_rel("q:missing")));
        let page = api.using_endpoint(format!("/{n}")).get().unwrap();
        let listing = median(5, || assert_eq!(page.links().len(), n + 1 + n / 32));
        println!("n = {n:>6}: a missing rel {lookup:>12.3?}, listing every rel {listing:>12.3?}");
        lookups.push(lookup);
        listings.push(listing);
    }
    let growth = |t: &[Duration]| t[1].as_secs_f64() / t[0].as_secs_f64();
    println!(
        "growth from 20,000 to 80,000 (4 linear, 16 quadratic): lookup {:.1}, listing {:.1}",
        growth(&lookups),
        growth(&listings)
    );
}
