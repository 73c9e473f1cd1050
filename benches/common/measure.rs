//! Timing for the benches: CPU and wall time of a batch, medians, and ratios as the median
//! of per-round ratios.

use std::time::{Duration, Instant};

use cpu_time::ThreadTime;

#[derive(Clone, Copy)]
pub struct Sample {
    pub cpu: Duration,
    pub wall: Duration,
}

/// Runs `f` `n` times; returns the client thread's CPU time and the wall time per call.
pub fn sample(n: u32, mut f: impl FnMut()) -> Sample {
    let cpu = ThreadTime::now();
    let wall = Instant::now();
    for _ in 0..n {
        f();
    }
    Sample {
        cpu: cpu.elapsed() / n,
        wall: wall.elapsed() / n,
    }
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The median, lower and upper quartile of `v`.
pub fn quartiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: usize| v[(v.len() - 1) * q / 4];
    (at(2), at(1), at(3))
}

pub struct Series {
    pub name: &'static str,
    pub samples: Vec<Sample>,
}

impl Series {
    pub fn new(name: &'static str) -> Self {
        Series {
            name,
            samples: Vec::new(),
        }
    }
    pub fn cpu(&self) -> Duration {
        median(self.samples.iter().map(|s| s.cpu).collect())
    }
    pub fn wall(&self) -> Duration {
        median(self.samples.iter().map(|s| s.wall).collect())
    }
}

/// Prints medians, and ratios as the median of per-round ratios with their quartiles in
/// brackets (each round runs every series once, so a ratio compares runs made moments apart).
pub fn report(title: &str, baseline: &Series, others: &[&Series]) {
    let paired = |s: &Series, f: fn(&Sample) -> Duration| {
        let (m, lo, hi) = quartiles(
            s.samples
                .iter()
                .zip(&baseline.samples)
                .map(|(x, b)| f(x).as_secs_f64() / f(b).as_secs_f64())
                .collect(),
        );
        format!("{m:.3} [{lo:.2}–{hi:.2}]")
    };
    println!("\n{title}");
    println!(
        "  {:<50} {:>11} {:>11} {:>19} {:>19}",
        "", "cpu/op", "wall/op", "cpu × [q1–q3]", "wall × [q1–q3]"
    );
    for s in std::iter::once(baseline).chain(others.iter().copied()) {
        println!(
            "  {:<50} {:>11.2?} {:>11.2?} {:>19} {:>19}",
            s.name,
            s.cpu(),
            s.wall(),
            paired(s, |x| x.cpu),
            paired(s, |x| x.wall)
        );
    }
}

/// The machine's load averages (1, 5, 15 minutes) from `/proc/loadavg`, for the record.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}
