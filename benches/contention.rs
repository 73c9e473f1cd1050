//! Issue #10: requests per successful update under contention — 8 threads × 25 increments of
//! one resource through `Api::update` — with the default backoff (exponential, full jitter,
//! base 50 ms, cap 1 s, 40 attempts) and without backoff (`update_backoff(ZERO, ZERO)`,
//! 10,000 attempts), on the in-process compare-and-swap server
//! (`halchemy_testserver::store::HalServer`, default options) and on Eve when
//! `HALCHEMY_EVE_URL` is set (`eval "$(tests/eve/start.sh)"`). Prints; asserts nothing.
//!
//!     cargo bench --bench contention
//!     cargo bench --bench contention -- runs 5
//!
//! Each update costs one PATCH, plus one GET (the refresh) and one more PATCH per conflict.
//! The in-process server counts the requests it received; for Eve they are counted from the
//! conflicts each update reports (a failed update counts all its attempts).
//! See benches/README.md for the numbers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use halchemy::{Api, Error};
use halchemy_testserver::{HalServer, Options};
use serde_json::json;

mod common;
use common::measure::loadavg;

const THREADS: usize = 8;
const EACH: usize = 25;

/// What one contended run did.
#[derive(Debug, Default, Clone, Copy)]
struct Outcome {
    ok: u32,
    failed: u32,
    /// Conflicts retried by the successful updates.
    conflicts: u32,
    /// The most conflicts one successful update met.
    most: u32,
    /// PATCH + GET the updates sent, counted from their conflicts and failures.
    client_requests: u32,
    /// PATCH + GET the server received for the updates (the in-process server only).
    server_requests: Option<u32>,
    wall: Duration,
    /// The counter's final value: equals `ok` when no update was lost.
    final_value: i64,
}

impl Outcome {
    fn per_update(&self) -> f64 {
        f64::from(self.server_requests.unwrap_or(self.client_requests)) / f64::from(self.ok.max(1))
    }
}

/// 8 threads, each with its own copy of the resource at `href`, each incrementing `counter`
/// 25 times through `api.update`.
fn contend(api: &Api, href: &str) -> Outcome {
    let ok = Arc::new(AtomicU32::new(0));
    let failed = Arc::new(AtomicU32::new(0));
    let conflicts = Arc::new(AtomicU32::new(0));
    let most = Arc::new(AtomicU32::new(0));
    let requests = Arc::new(AtomicU32::new(0));
    let attempts = api.update_attempts();
    let start = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let api = api.clone();
            let href = href.to_owned();
            let (ok, failed, conflicts, most, requests) = (
                Arc::clone(&ok),
                Arc::clone(&failed),
                Arc::clone(&conflicts),
                Arc::clone(&most),
                Arc::clone(&requests),
            );
            thread::spawn(move || {
                let mut counter = api.using_endpoint(href.as_str()).get().unwrap();
                for _ in 0..EACH {
                    let done = api.update(&mut counter, |d| {
                        d["counter"] = (d["counter"].as_i64().unwrap_or(0) + 1).into();
                    });
                    match done {
                        Ok(done) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            conflicts.fetch_add(done.conflicts, Ordering::Relaxed);
                            most.fetch_max(done.conflicts, Ordering::Relaxed);
                            requests.fetch_add(1 + 2 * done.conflicts, Ordering::Relaxed);
                        }
                        Err(Error::PreconditionFailed(_)) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            requests.fetch_add(2 * attempts - 1, Ordering::Relaxed);
                            // Bring the copy forward for the next increment.
                            let _ = api.refresh(&mut counter);
                            requests.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => panic!("update failed: {e}"),
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let wall = start.elapsed();
    let final_value = api.using_endpoint(href).get().unwrap()["counter"]
        .as_i64()
        .unwrap_or(-1);
    let load = |a: &AtomicU32| a.load(Ordering::Relaxed);
    Outcome {
        ok: load(&ok),
        failed: load(&failed),
        conflicts: load(&conflicts),
        most: load(&most),
        client_requests: load(&requests),
        server_requests: None,
        wall,
        final_value,
    }
}

fn defaults(base: &str) -> Api {
    Api::builder()
        .base_url(base)
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap()
}

fn no_backoff(base: &str) -> Api {
    Api::builder()
        .base_url(base)
        .no_config_file()
        .no_proxy()
        .update_backoff(Duration::ZERO, Duration::ZERO)
        .update_attempts(10_000)
        .build()
        .unwrap()
}

fn print(name: &str, o: &Outcome) {
    println!(
        "  {name:<34} {:>8.2?}  ok {:>3}, failed {}, lost {}, conflicts {:>4} (most {:>3} for one), \
         requests/update {:.2}{}",
        o.wall,
        o.ok,
        o.failed,
        i64::from(o.ok) - o.final_value,
        o.conflicts,
        o.most,
        o.per_update(),
        o.server_requests.map_or_else(
            || " (counted by the client)".to_owned(),
            |s| format!(" (server saw {s}, client counted {})", o.client_requests)
        )
    );
}

fn summary(name: &str, outcomes: &[Outcome]) {
    let mut per: Vec<f64> = outcomes.iter().map(Outcome::per_update).collect();
    per.sort_by(f64::total_cmp);
    let mut walls: Vec<Duration> = outcomes.iter().map(|o| o.wall).collect();
    walls.sort();
    println!(
        "  {name:<34} requests/update median {:.2} (range {:.2}–{:.2}), wall median {:.2?} \
         (range {:.2?}–{:.2?}), failed updates {}",
        per[per.len() / 2],
        per[0],
        per[per.len() - 1],
        walls[walls.len() / 2],
        walls[0],
        walls[walls.len() - 1],
        outcomes.iter().map(|o| o.failed).sum::<u32>()
    );
}

/// The in-process server: a fresh item per run; the requests it received counted.
fn in_process(runs: usize) {
    let server = HalServer::start(Options::default());
    let base = server.base_url();
    println!(
        "\nin-process compare-and-swap server (HalServer, default options), {THREADS} threads × \
         {EACH} updates"
    );
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for run in 0..runs {
        for (k, (name, api, into)) in [
            (
                "defaults (backoff 50 ms–1 s, 40)",
                defaults(&base),
                &mut with,
            ),
            (
                "no backoff (10,000 attempts)",
                no_backoff(&base),
                &mut without,
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let path = format!("/items/{run}-{k}");
            server.put(&path, json!({ "counter": 0 }));
            server.clear();
            let mut o = contend(&api, &path);
            // Leave out each thread's first GET and the final read.
            let seen = server.count("PATCH") + server.count("GET") - THREADS - 1;
            o.server_requests = Some(seen as u32);
            print(name, &o);
            into.push(o);
        }
    }
    summary("defaults", &with);
    summary("no backoff", &without);
}

/// Eve: a new customer per run, created through the collection as tests/eve.rs does.
fn eve(url: &str, runs: usize) {
    println!("\nEve at {url}, {THREADS} threads × {EACH} updates");
    let new_customer = |api: &Api| -> String {
        let home = api.home().get().unwrap();
        let customers = api
            .follow(&home)
            .to("child")
            .titled("customers")
            .get()
            .unwrap();
        let created = api
            .follow(&customers)
            .to("self")
            .post(json!({"name": "contended", "counter": 0}))
            .unwrap();
        created.link("self").unwrap().href
    };
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        for (name, api, into) in [
            ("defaults (backoff 50 ms–1 s, 40)", defaults(url), &mut with),
            (
                "no backoff (10,000 attempts)",
                no_backoff(url),
                &mut without,
            ),
        ] {
            let href = new_customer(&api);
            let o = contend(&api, &href);
            print(name, &o);
            into.push(o);
        }
    }
    summary("defaults", &with);
    summary("no backoff", &without);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "runs")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(3);
    println!(
        "issue #10: requests (PATCH + GET) per successful update, goal ≤ 2.0 on Eve at 8 \
         threads; {runs} runs each, alternating; load average {}",
        loadavg()
    );
    in_process(runs);
    match std::env::var("HALCHEMY_EVE_URL") {
        Ok(url) if !url.is_empty() => eve(&url, runs),
        _ => println!(
            "\nEve: not measured, HALCHEMY_EVE_URL is not set (start one with \
             `eval \"$(tests/eve/start.sh)\"`, stop it with tests/eve/stop.sh)"
        ),
    }
    println!("\nload average at the end: {}", loadavg());
}
