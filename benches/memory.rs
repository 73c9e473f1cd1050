//! Peak memory of fetching, parsing and walking a 10,000-item HAL page: halchemy against raw
//! ureq + serde_json, counted by a global allocator (kept out of `compare`, whose timings it
//! would slow down).
//!
//!     cargo bench --bench memory

use std::hint::black_box;

use peak_alloc::PeakAlloc;

mod common;
use common::{api, big_doc, raw_agent, raw_get, serve, walk};
use halchemy_testserver::fixed_response;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

fn main() {
    let server = serve(vec![("/big", fixed_response(&big_doc()))]);
    let base = server.base_url();
    let url = format!("{base}/big");
    let agent = raw_agent();
    let api = api(&base);
    // Warm both up (connection, buffers) before measuring.
    black_box(raw_get(&agent, &url));
    black_box(api.using_endpoint(url.as_str()).get().unwrap());

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
        let items = page.embedded_many("item").unwrap();
        black_box(walk(items.iter().map(|r| r.data())));
    });
    println!(
        "peak heap while fetching, parsing and walking a {}-byte page of 10,000 items",
        big_doc().len()
    );
    println!(
        "  raw ureq + serde_json           {:>8.2} MB",
        raw_peak as f64 / 1e6
    );
    println!(
        "  halchemy embedded_many          {:>8.2} MB  ratio {:.3}",
        hal_peak as f64 / 1e6,
        hal_peak as f64 / raw_peak as f64
    );
}
