//! Peak memory of fetching, parsing and walking a 10,000-item HAL page, and of walking 100
//! such pages (issue #13): halchemy against raw ureq + serde_json, counted by a global
//! allocator (kept out of `compare`, whose timings it would slow down). Process peak RSS, in
//! child processes, is in the `cli` bench.
//!
//!     cargo bench --bench memory

use std::hint::black_box;

use peak_alloc::PeakAlloc;

mod common;
use common::{
    api, big_doc, halchemy_walk_items, halchemy_walk_pages, halchemy_walk_pages_iterator,
    page_path, pages_routes, raw_agent, raw_get, raw_walk_pages, serve, walk,
};
use halchemy_testserver::fixed_response;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// The peak of live heap bytes above what was live before `f` ran.
fn peak(f: &dyn Fn()) -> usize {
    let before = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    f();
    ALLOC.peak_usage().saturating_sub(before)
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    let mut routes = vec![("/big", fixed_response(&big_doc()))];
    routes.extend(pages_routes());
    let server = serve(routes);
    let base = server.base_url();
    let url = format!("{base}/big");
    let first = server.url(&page_path(0));
    let agent = raw_agent();
    let api = api(&base);
    // Warm both up (connection, buffers) before measuring.
    black_box(raw_get(&agent, &url));
    black_box(api.using_endpoint(url.as_str()).get().unwrap());

    let raw_page = peak(&|| {
        let doc = raw_get(&agent, &url);
        black_box(walk(doc["_embedded"]["item"].as_array().unwrap().iter()));
    });
    let hal_page = peak(&|| {
        let page = api.using_endpoint(url.as_str()).get().unwrap();
        let items = page.embedded_many("item").unwrap();
        black_box(walk(items.iter().map(|r| r.data())));
    });
    println!(
        "peak heap while fetching, parsing and walking a {}-byte page of 10,000 items",
        big_doc().len()
    );
    println!("  raw ureq + serde_json           {:>8.2} MB", mb(raw_page));
    println!(
        "  halchemy embedded_many          {:>8.2} MB  ratio {:.3} (issue #15: ≤ 1.10)",
        mb(hal_page),
        hal_page as f64 / raw_page as f64
    );

    let raw_walk = peak(&|| {
        black_box(raw_walk_pages(&agent, &base, &first));
    });
    let hal_pages = peak(&|| {
        black_box(halchemy_walk_pages_iterator(&api, &first));
    });
    let hal_items = peak(&|| {
        black_box(halchemy_walk_items(&api, &first));
    });
    let hal_by_hand = peak(&|| {
        black_box(halchemy_walk_pages(&api, &first));
    });
    println!(
        "\npeak heap of the whole walk over {} pages of 10,000 items (issue #13: ≤ 1.2 × one page)",
        common::PAGES
    );
    println!(
        "  raw ureq, page dropped before the next  {:>8.2} MB  × one page {:.3}",
        mb(raw_walk),
        raw_walk as f64 / raw_page as f64
    );
    for (name, bytes) in [
        ("halchemy pages() + embedded_many", hal_pages),
        ("halchemy pages().items(\"item\")", hal_items),
        ("halchemy follow(..).to(\"next\") by hand", hal_by_hand),
    ] {
        println!(
            "  {name:<39} {:>8.2} MB  × one page {:.3}, × raw walk {:.3}",
            mb(bytes),
            bytes as f64 / hal_page as f64,
            bytes as f64 / raw_walk as f64
        );
    }
}
