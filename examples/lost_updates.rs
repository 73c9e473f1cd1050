//! Lost updates, counted: 8 threads x 25 increments of one counter on an Eve server that does
//! not enforce If-Match, first blindly (read, add one, PATCH without If-Match), then with
//! `Api::update` (If-Match, refresh and retry on 412).
//!
//!     eval "$(tests/eve/start.sh)"
//!     cargo run --example lost_updates          # uses $HALCHEMY_EVE_BLIND_URL
//!     cargo run --example lost_updates -- http://127.0.0.1:5002
//!     tests/eve/stop.sh

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use halchemy::{Api, Resource};
use serde_json::json;

const THREADS: usize = 8;
const EACH: usize = 25;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(base) = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("HALCHEMY_EVE_BLIND_URL").ok())
    else {
        println!(
            "usage: lost_updates <url of an Eve started with --no-enforce> (or set HALCHEMY_EVE_BLIND_URL)"
        );
        return Ok(());
    };
    let api = Api::builder().base_url(base).no_config_file().build()?;

    let blind = run(&api, "blind", |api, href, refused| {
        let current = api.using_endpoint(href).get()?;
        let next = current["counter"].as_i64().unwrap_or(0) + 1;
        // Eve can answer 412 under contention even to a write that sent no If-Match; the
        // blind loop takes no notice and carries on, as such loops do.
        match api.using_endpoint(href).patch(json!({"counter": next})) {
            Err(e) if e.is_conflict() => {
                refused.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            other => other.map(drop),
        }
    })?;
    let safe = run(&api, "update", |api, href, conflicts| {
        let mut counter: Resource = api.using_endpoint(href).get()?;
        let done = api.update(&mut counter, |d| {
            d["counter"] = (d["counter"].as_i64().unwrap_or(0) + 1).into();
        })?;
        conflicts.fetch_add(done.conflicts, Ordering::Relaxed);
        Ok(())
    })?;
    println!(
        "\nblind read-modify-write lost {blind} of {} updates; Api::update lost {safe}",
        THREADS * EACH
    );
    Ok(())
}

type Step = fn(&Api, &str, &AtomicU32) -> halchemy::Result<()>;

/// Runs the loop on a fresh counter; returns how many increments were lost.
fn run(api: &Api, name: &str, step: Step) -> Result<i64, Box<dyn std::error::Error>> {
    let home = api.home().get()?;
    let customers = api.follow(&home).to("child").titled("customers").get()?;
    let created = api
        .follow(&customers)
        .to("self")
        .post(json!({"name": format!("{name} counter"), "counter": 0}))?;
    let href = created.link("self")?.href;
    let conflicts = Arc::new(AtomicU32::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (api, href, conflicts) = (api.clone(), href.clone(), Arc::clone(&conflicts));
            std::thread::spawn(move || -> halchemy::Result<()> {
                for _ in 0..EACH {
                    step(&api, &href, &conflicts)?;
                }
                Ok(())
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a worker thread panicked")?;
    }
    let total = api.using_endpoint(href.as_str()).get()?["counter"]
        .as_i64()
        .unwrap_or(0);
    let expected = (THREADS * EACH) as i64;
    println!(
        "{name:>6}: counter ends at {total} of {expected} ({} lost, {} conflicts met)",
        expected - total,
        conflicts.load(Ordering::Relaxed)
    );
    Ok(expected - total)
}
