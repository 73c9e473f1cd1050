//! Peak RSS of a process walking pages with halchemy (`benches/cli.rs`): GET `PATH`, visit
//! every item of `embedded_many("item")`, follow `next` until there is none; print the items
//! seen, a checksum and the process's peak RSS (`VmHWM`, the same as getrusage's ru_maxrss).
//!
//!     halchemy-walk http://127.0.0.1:8080 /pages/0
//!     halchemy-walk http://127.0.0.1:8080 /pages/0 drop   # each page dropped before the next GET
#![forbid(unsafe_code)]

use std::process::ExitCode;

use halchemy::Api;

fn walk(base: &str, path: &str, dropping: bool) -> halchemy::Result<(usize, usize)> {
    let api = Api::builder().base_url(base).no_config_file().build()?;
    let mut page = api.using_endpoint(path).get()?;
    let (mut count, mut sum) = (0, 0);
    loop {
        let items = page.embedded_many("item")?;
        count += items.len();
        sum += items
            .iter()
            .map(|i| i.data()["name"].as_str().map_or(0, str::len))
            .sum::<usize>();
        drop(items);
        // TODO(#13): the pages iterator, once it is in main.
        if dropping {
            let Ok(url) = api.follow(&page).to("next").url() else {
                break;
            };
            drop(page);
            page = api.using_endpoint(url).get()?;
        } else {
            let Ok(next) = api.follow(&page).to("next").get() else {
                break;
            };
            page = next;
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
    let (base, path, dropping) = match args.as_slice() {
        [_, base, path] => (base, path, false),
        [_, base, path, d] if d == "drop" => (base, path, true),
        _ => {
            eprintln!("usage: halchemy-walk BASE_URL PATH [drop]");
            return ExitCode::from(2);
        }
    };
    match walk(base, path, dropping) {
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
