//! Issue #15 (c–e): a CLI's whole process on halchemy against the same program on raw ureq.
//! Builds the workspace's `halchemy-get` and `ureq-get` packages (benches/cli/) in release,
//! strips copies of their binaries, and runs them as child processes against one loopback
//! server: wall time per run (spawn + wait), binary sizes, and the peak RSS of walking one
//! 10,000-item page and 100 of them (issue #13). Prints; asserts nothing.
//!
//!     cargo bench --bench cli
//!     cargo bench --bench cli -- rounds 9 runs 300
//!
//! See benches/README.md for the method and the numbers.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::measure::{loadavg, median, quartiles};
use common::{big_doc, page_path, pages_routes, serve, small_doc};
use halchemy_testserver::fixed_response;

/// `<target>/release`, where cargo puts the workspace's binaries: two levels above this
/// bench's own executable (`<target>/release/deps/cli-…`).
fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the bench's own path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the bench runs from <target>/release/deps")
        .to_path_buf()
}

/// Builds the programs with the cargo that runs this bench, into the same target directory.
fn build_programs() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "halchemy-get",
            "-p",
            "ureq-get",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the benchmark programs failed");
}

/// A stripped copy of the program `name` (in `<target>/release/cli-stripped/`); returns its
/// path and the sizes before and after stripping.
fn stripped(name: &str) -> (PathBuf, u64, u64) {
    let release = release_dir();
    let built = release.join(name);
    let dir = release.join("cli-stripped");
    std::fs::create_dir_all(&dir).expect("a folder for the stripped copies");
    let copy = dir.join(name);
    std::fs::copy(&built, &copy).expect("copy the program");
    let status = Command::new("strip")
        .arg(&copy)
        .status()
        .expect("`strip` (binutils) is installed");
    assert!(status.success(), "strip failed on {}", copy.display());
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    (copy.clone(), size(&built), size(&copy))
}

/// Runs `program args…` once with an empty environment (no proxy, no configuration);
/// returns the wall time of spawn + wait and what it printed.
fn run(program: &Path, args: &[&str]) -> (Duration, String) {
    let start = Instant::now();
    let out = Command::new(program)
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("the program starts");
    let wall = start.elapsed();
    assert!(out.status.success(), "{} failed", program.display());
    (wall, String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = arg(&args, "rounds", 5);
    let runs = arg(&args, "runs", 200);
    let rss_runs = arg(&args, "rss-runs", 3);
    build_programs();
    let (hal_get, hal_size, hal_stripped) = stripped("halchemy-get");
    let (ureq_get, ureq_size, ureq_stripped) = stripped("ureq-get");
    let (hal_walk, ..) = stripped("halchemy-walk");
    let (ureq_walk, ..) = stripped("ureq-walk");

    let mut routes = vec![
        ("/doc", fixed_response(&small_doc())),
        ("/big", fixed_response(&big_doc())),
    ];
    routes.extend(pages_routes());
    let server = serve(routes);
    let base = server.base_url();
    // The children inherit this thread's core; the server runs on the other.
    common::pin_to_first_core();
    println!(
        "a CLI's whole process, halchemy-get against ureq-get (benches/cli/), {rounds} rounds \
         of {runs} runs each, alternating; load average {}",
        loadavg()
    );

    println!("\nrelease binary sizes (issue #15: ≤ 1.15 × stripped)");
    println!(
        "  ureq-get      {:>9} bytes, stripped {:>9}",
        ureq_size, ureq_stripped
    );
    println!(
        "  halchemy-get  {:>9} bytes, stripped {:>9}  ratio {:.3} (unstripped {:.3})",
        hal_size,
        hal_stripped,
        hal_stripped as f64 / ureq_stripped as f64,
        hal_size as f64 / ureq_size as f64
    );

    // Warm up: the page cache, the server's threads.
    for _ in 0..20 {
        assert_eq!(
            run(&hal_get, &[&base, "/doc"]).1,
            run(&ureq_get, &[&base, "/doc"]).1
        );
    }
    let (mut all_hal, mut all_ureq, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    println!("\nwall time per run (spawn + wait) of one GET of the 944-byte document");
    for round in 0..rounds {
        let (mut hal, mut ureq) = (Vec::new(), Vec::new());
        for i in 0..runs {
            // Alternate, starting with a different program each round.
            if (i + round) % 2 == 0 {
                hal.push(run(&hal_get, &[&base, "/doc"]).0);
                ureq.push(run(&ureq_get, &[&base, "/doc"]).0);
            } else {
                ureq.push(run(&ureq_get, &[&base, "/doc"]).0);
                hal.push(run(&hal_get, &[&base, "/doc"]).0);
            }
        }
        all_hal.extend(&hal);
        all_ureq.extend(&ureq);
        let (h, u) = (median(hal), median(ureq));
        let ratio = h.as_secs_f64() / u.as_secs_f64();
        ratios.push(ratio);
        println!("  round {round}: ureq-get {u:>9.2?}, halchemy-get {h:>9.2?}, ratio {ratio:.3}");
    }
    let range = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        (v[0], v[v.len() - 1])
    };
    let ((hl, hh), (ul, uh)) = (range(&all_hal), range(&all_ureq));
    let (m, lo, hi) = quartiles(ratios.clone());
    let (rmin, rmax) = ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), r| (a.min(*r), b.max(*r)));
    println!(
        "  all runs: ureq-get median {:.2?} (range {ul:.2?}–{uh:.2?}), halchemy-get median {:.2?} \
         (range {hl:.2?}–{hh:.2?})",
        median(all_ureq),
        median(all_hal)
    );
    println!(
        "  ratio of per-round medians (issue #15: ≤ 1.10): median {m:.3}, quartiles {lo:.3}–{hi:.3}, \
         range {rmin:.3}–{rmax:.3}"
    );

    println!("\nprocess peak RSS (VmHWM = ru_maxrss), median of {rss_runs} runs each");
    let rss = |program: &Path, args: &[&str]| {
        let mut seen = Vec::new();
        let mut out = String::new();
        for _ in 0..rss_runs {
            out = run(program, args).1;
            let kb: u64 = out
                .split_whitespace()
                .nth(2)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            seen.push(kb);
        }
        seen.sort_unstable();
        let items = out.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        (seen[seen.len() / 2], seen[0], seen[seen.len() - 1], items)
    };
    let first = page_path(0);
    let cases: [(&str, &Path, Vec<&str>); 6] = [
        (
            "ureq-walk, one page (/big)",
            &ureq_walk,
            vec![&base, "/big"],
        ),
        (
            "halchemy-walk, one page (/big)",
            &hal_walk,
            vec![&base, "/big"],
        ),
        ("ureq-walk, 100 pages", &ureq_walk, vec![&base, &first]),
        (
            "halchemy-walk items, 100 pages",
            &hal_walk,
            vec![&base, &first, "items"],
        ),
        (
            "halchemy-walk pages, 100 pages",
            &hal_walk,
            vec![&base, &first, "pages"],
        ),
        (
            "halchemy-walk by-hand, 100 pages",
            &hal_walk,
            vec![&base, &first, "by-hand"],
        ),
    ];
    let mut peaks = Vec::new();
    for (name, program, args) in &cases {
        let (kb, lo, hi, items) = rss(program, args);
        println!("  {name:<34} {kb:>8} kB (range {lo}–{hi}); items, checksum: {items}");
        peaks.push(kb as f64);
    }
    println!(
        "  one page, halchemy / ureq (issue #15: ≤ 1.10): {:.3}",
        peaks[1] / peaks[0]
    );
    println!(
        "  100 pages / one page (issue #13: ≤ 1.2): ureq {:.3}, halchemy items {:.3}, pages {:.3}, \
         by hand {:.3}",
        peaks[2] / peaks[0],
        peaks[3] / peaks[1],
        peaks[4] / peaks[1],
        peaks[5] / peaks[1]
    );
    println!("\nload average at the end: {}", loadavg());
}
