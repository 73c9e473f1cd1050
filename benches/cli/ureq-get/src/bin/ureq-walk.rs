//! The same walk as `halchemy-walk` on raw ureq's default agent: GET, `read_to_vec`,
//! `serde_json::from_slice`, visit every item of `_embedded.item`, then `_links.next.href`
//! (the page dropped before the next GET); print the items seen, a checksum and the
//! process's peak RSS (`VmHWM`).
//!
//!     ureq-walk http://127.0.0.1:8080 /pages/0
#![forbid(unsafe_code)]

use std::process::ExitCode;

use serde_json::Value;

fn walk(base: &str, path: &str) -> Result<(usize, usize), Box<dyn std::error::Error>> {
    let agent = ureq::Agent::new_with_defaults();
    let (mut count, mut sum) = (0, 0);
    let mut next = Some(path.to_owned());
    while let Some(path) = next.take() {
        let bytes = agent
            .get(format!("{base}{path}"))
            .call()?
            .body_mut()
            .read_to_vec()?;
        let doc: Value = serde_json::from_slice(&bytes)?;
        drop(bytes);
        let items = doc["_embedded"]["item"].as_array().ok_or("no items")?;
        count += items.len();
        sum += items
            .iter()
            .map(|i| i["name"].as_str().map_or(0, str::len))
            .sum::<usize>();
        next = doc["_links"]["next"]["href"].as_str().map(str::to_owned);
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
    let [_, base, path] = args.as_slice() else {
        eprintln!("usage: ureq-walk BASE_URL PATH");
        return ExitCode::from(2);
    };
    match walk(base, path) {
        Ok((count, sum)) => {
            println!("{count} {sum} {}", peak_rss_kb());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ureq-walk: {e}");
            ExitCode::FAILURE
        }
    }
}
