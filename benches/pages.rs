//! Issue #13: walking 100 pages of 10,000 items each (about 190 MB of JSON) with halchemy
//! against raw ureq, in the same process against the same loopback server. Prints the time
//! per item; asserts nothing. Peak memory of the walk is in `memory` (heap) and `cli`
//! (process RSS).
//!
//!     cargo bench --bench pages
//!     cargo bench --bench pages -- rounds 3
//!
//! See benches/README.md for the method and the numbers.

use std::hint::black_box;

mod common;
use common::measure::{Series, loadavg, report, sample};
use common::{
    PAGES, api, halchemy_walk_items, halchemy_walk_pages, halchemy_walk_pages_iterator, page_path,
    pages_routes, raw_agent, raw_walk_pages, serve,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = args
        .iter()
        .position(|a| a == "rounds")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(7);
    let server = serve(pages_routes());
    let base = server.base_url();
    let first = server.url(&page_path(0));
    let agent = raw_agent();
    let api = api(&base);
    let items = (PAGES * 10_000) as u32;
    println!(
        "a walk over {PAGES} pages of 10,000 items ({items} items), time per item; medians of \
         {rounds} rounds; load average {}",
        loadavg()
    );
    common::pin_to_first_core();
    // Warm up: connections, and the pages' bytes in the server's cache lines.
    let expected = raw_walk_pages(&agent, &base, &first);
    assert_eq!(halchemy_walk_pages_iterator(&api, &first), expected);
    assert_eq!(halchemy_walk_items(&api, &first), expected);
    assert_eq!(halchemy_walk_pages(&api, &first), expected);

    let mut series = [
        Series::new("raw ureq + serde_json: get, parse, walk, next"),
        Series::new("halchemy: pages() + embedded_many(\"item\")"),
        Series::new("halchemy: pages().items(\"item\")"),
        Series::new("halchemy: follow(&page).to(\"next\").get() by hand"),
    ];
    let run = |which: usize| match which {
        0 => black_box(raw_walk_pages(&agent, &base, &first)),
        1 => black_box(halchemy_walk_pages_iterator(&api, &first)),
        2 => black_box(halchemy_walk_items(&api, &first)),
        _ => black_box(halchemy_walk_pages(&api, &first)),
    };
    for round in 0..rounds {
        for k in 0..series.len() {
            let which = (k + round) % series.len();
            let s = sample(1, || {
                run(which);
            });
            series[which].samples.push(common::measure::Sample {
                cpu: s.cpu / items,
                wall: s.wall / items,
            });
        }
    }
    let [raw, pages, items, by_hand] = &series;
    report(
        "per item (issue #13: halchemy ≤ 1.15 × raw ureq)",
        raw,
        &[pages, items, by_hand],
    );
    println!("\nload average at the end: {}", loadavg());
}
