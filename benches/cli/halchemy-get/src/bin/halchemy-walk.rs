//! Peak RSS of a process walking pages with halchemy (`benches/cli.rs`): from `PATH`, every
//! item of every page (`_embedded.item`), following `next` until there is none; prints the
//! items seen, a checksum and the process's peak RSS (`VmHWM`, the same as getrusage's
//! ru_maxrss). The walk is one of:
//!
//! - `items` (the default): `api.using_endpoint(path).pages().items("item")`;
//! - `pages`: `pages()`, and `embedded_many("item")` of each page;
//! - `by-hand`: `follow(&page).to("next").get()` in a loop, as before the pages iterator.
//!
//!     halchemy-walk http://127.0.0.1:8080 /pages/0 [items|pages|by-hand]
#![forbid(unsafe_code)]

use std::process::ExitCode;

use halchemy::{Api, Resource};

fn name_len(item: &Resource) -> usize {
    item.data()["name"].as_str().map_or(0, str::len)
}

fn walk(base: &str, path: &str, how: &str) -> halchemy::Result<(usize, usize)> {
    let api = Api::builder().base_url(base).no_config_file().build()?;
    let (mut count, mut sum) = (0, 0);
    match how {
        "pages" => {
            for page in api.using_endpoint(path).pages() {
                let items = page?.embedded_many("item")?;
                count += items.len();
                sum += items.iter().map(name_len).sum::<usize>();
            }
        }
        "by-hand" => {
            let mut page = api.using_endpoint(path).get()?;
            loop {
                let items = page.embedded_many("item")?;
                count += items.len();
                sum += items.iter().map(name_len).sum::<usize>();
                drop(items);
                let Ok(next) = api.follow(&page).to("next").get() else {
                    break;
                };
                page = next;
            }
        }
        _ => {
            for item in api.using_endpoint(path).pages().items("item") {
                count += 1;
                sum += name_len(&item?);
            }
        }
    }
    Ok((count, sum))
}

/// The process's peak resident set in kB, from `/proc/self/status`.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (base, path, how) = match args.as_slice() {
        [_, base, path] => (base, path, "items"),
        [_, base, path, how] if ["items", "pages", "by-hand"].contains(&how.as_str()) => {
            (base, path, how.as_str())
        }
        _ => {
            eprintln!("usage: halchemy-walk BASE_URL PATH [items|pages|by-hand]");
            return ExitCode::from(2);
        }
    };
    match walk(base, path, how) {
        Ok((count, sum)) => {
            println!("{count} {sum} {}", peak_rss_kb());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("halchemy-walk: {e}");
            ExitCode::FAILURE
        }
    }
}
