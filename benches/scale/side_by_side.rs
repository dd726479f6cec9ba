//! `MONC_BENCH=side-by-side scripts/bench.sh`: `monc validate` of this tree beside the same
//! command of the baseline commit (built by scripts/bench.sh into target/side-by-side, its path
//! in `MONC_BASELINE_BIN`), on the issue's projects of 41,010 and 201,010 objects, with the
//! parse-only floor (`monc fmt --check`) beside them. This tree runs with one thread
//! (`RAYON_NUM_THREADS=1`) and with all of them. Each figure is the best of a few interleaved
//! runs (the machine is shared); peak RSS is the largest of those runs, from `wait4`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Shape, work_dir, write_project};

/// Runs of each command per size, interleaved so that a busy moment hits them all alike.
const ROUNDS: usize = 3;

/// Wall time and peak RSS of one child process.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall: Duration,
    peak_mb: f64,
}

/// The best wall time and the largest peak RSS of a command's runs.
#[derive(Debug, Default)]
struct Runs {
    best: Option<Duration>,
    peak_mb: f64,
    failure: Option<String>,
}

impl Runs {
    fn add(&mut self, run: Result<Run, String>) {
        match run {
            Ok(run) => {
                self.best = Some(self.best.map_or(run.wall, |best| best.min(run.wall)));
                self.peak_mb = self.peak_mb.max(run.peak_mb);
            }
            Err(error) => self.failure = Some(error),
        }
    }

    fn time(&self) -> String {
        match (&self.failure, self.best) {
            (Some(error), _) => format!("failed: {error}"),
            (None, Some(best)) => format!("{:.2} s", best.as_secs_f64()),
            (None, None) => "-".into(),
        }
    }

    fn seconds(&self) -> Option<f64> {
        self.failure.is_none().then_some(self.best?.as_secs_f64())
    }
}

/// One command to time: a binary, its arguments, and `RAYON_NUM_THREADS` when set.
struct Subject<'a> {
    binary: &'a Path,
    args: &'a [&'a str],
    threads: Option<usize>,
    /// Exit codes that mean it did its job (`fmt --check` exits 1 on unformatted files).
    ok: &'a [i32],
}

pub(crate) fn section(out: &mut String) {
    let Some(baseline) = std::env::var_os("MONC_BASELINE_BIN") else {
        out.push_str("\n### Side by side: skipped (MONC_BASELINE_BIN is not set; run `MONC_BENCH=side-by-side scripts/bench.sh`)\n");
        return;
    };
    let baseline = Path::new(&baseline);
    let label = std::env::var("MONC_BASELINE").unwrap_or_else(|_| "baseline".into());
    let current = Path::new(env!("CARGO_BIN_EXE_monc"));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let _ = writeln!(
        out,
        "\n### `monc validate` side by side with `{label}` (wall, best of {ROUNDS} interleaved runs; peak RSS the largest)\n\n| objects | tenants | parse only (`fmt --check`) | `{label}` | this tree, 1 thread | this tree, {cores} threads | vs `{label}` (1 / {cores} threads) | peak RSS `{label}` | peak RSS 1 thread | peak RSS {cores} threads |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for tenants in [1000, 5000] {
        let shape = Shape::issue(tenants);
        let objects = shape.raw_monitors() + shape.composites();
        let dir = work_dir(&format!("side-by-side-{tenants}"));
        if let Err(error) = write_project(&dir, shape) {
            let _ = writeln!(
                out,
                "| {objects} | {tenants} | cannot write project: {error} |"
            );
            continue;
        }
        let validate: &[&str] = &["validate", "--format", "short", "--dir"];
        let subjects = [
            Subject {
                binary: current,
                args: &["fmt", "--check", "--dir"],
                threads: None,
                ok: &[0, 1],
            },
            Subject {
                binary: baseline,
                args: validate,
                threads: None,
                ok: &[0],
            },
            Subject {
                binary: current,
                args: validate,
                threads: Some(1),
                ok: &[0],
            },
            Subject {
                binary: current,
                args: validate,
                threads: None,
                ok: &[0],
            },
        ];
        let mut runs: Vec<Runs> = subjects.iter().map(|_| Runs::default()).collect();
        for _ in 0..ROUNDS {
            for (subject, runs) in subjects.iter().zip(&mut runs) {
                runs.add(run(subject, &dir));
            }
        }
        let [floor, base, one, all] = &runs[..] else {
            continue;
        };
        let ratio = |current: &Runs| match (base.seconds(), current.seconds()) {
            (Some(b), Some(c)) if c > 0.0 => format!("{:.1}x", b / c),
            _ => "-".into(),
        };
        let _ = writeln!(
            out,
            "| {objects} | {tenants} | {} | {} | {} | {} | {} / {} | {:.0} MB | {:.0} MB | {:.0} MB |",
            floor.time(),
            base.time(),
            one.time(),
            all.time(),
            ratio(one),
            ratio(all),
            base.peak_mb,
            one.peak_mb,
            all.peak_mb,
        );
    }
}

/// Runs `subject` on `dir` once under `/usr/bin/time`, for its own peak RSS.
fn run(subject: &Subject, dir: &Path) -> Result<Run, String> {
    let rss_file = dir.with_extension("rss");
    let mut command = Command::new("/usr/bin/time");
    command
        .args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .arg(subject.binary)
        .args(subject.args)
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env_remove("RAYON_NUM_THREADS");
    if let Some(threads) = subject.threads {
        command.env("RAYON_NUM_THREADS", threads.to_string());
    }
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("/usr/bin/time: {e}"))?;
    let wall = started.elapsed();
    let code = status.code();
    if !code.is_some_and(|code| subject.ok.contains(&code)) {
        return Err(format!("exit {code:?}"));
    }
    // `time -f %M` writes the peak RSS in KiB, after a line about the exit code if not 0.
    let text = std::fs::read_to_string(&rss_file).map_err(|e| e.to_string())?;
    let kib: f64 = text
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .next_back()
        .ok_or_else(|| format!("no peak RSS in {text:?}"))?;
    Ok(Run {
        wall,
        peak_mb: kib / 1024.0,
    })
}
