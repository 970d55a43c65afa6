//! Progress bars and spinners for long steps (hidden when stderr is not a terminal or with `--quiet`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::Duration;

/// Makes bars; all hidden when quiet.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub quiet: bool,
}

impl Progress {
    fn target(&self) -> ProgressDrawTarget {
        if self.quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        }
    }

    /// A spinner with a message, for steps of unknown length.
    pub fn spinner(&self, msg: impl Into<String>) -> ProgressBar {
        let pb = ProgressBar::with_draw_target(None, self.target());
        pb.set_style(
            ProgressStyle::with_template("{spinner} {prefix} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.set_prefix(msg.into());
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    }

    /// A bar over `len` items.
    pub fn bar(&self, len: u64, msg: impl Into<String>) -> ProgressBar {
        let pb = ProgressBar::with_draw_target(Some(len), self.target());
        pb.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(msg.into());
        pb
    }
}

/// An lc-pipeline observer drawing a bar (steps with a known length) or a spinner per step.
pub struct Bars {
    progress: Progress,
    current: Mutex<Option<ProgressBar>>,
}

impl Progress {
    /// The observer a pipeline run reports to.
    pub fn observer(&self) -> Bars {
        Bars {
            progress: *self,
            current: Mutex::new(None),
        }
    }
}

impl Bars {
    fn with(&self, f: impl FnOnce(&mut Option<ProgressBar>)) {
        let mut g = self.current.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut g);
    }
}

impl lc_pipeline::Observer for Bars {
    fn start(&self, step: lc_pipeline::Step, total: Option<u64>) {
        let pb = match total {
            Some(n) => self.progress.bar(n, step.label()),
            None => self.progress.spinner(step.label()),
        };
        self.with(|c| {
            if let Some(old) = c.replace(pb) {
                old.finish_and_clear();
            }
        });
    }

    fn advance(&self, _step: lc_pipeline::Step, done: u64) {
        self.with(|c| {
            if let Some(pb) = c {
                pb.set_position(done);
            }
        });
    }

    fn note(&self, _step: lc_pipeline::Step, text: &str) {
        self.with(|c| {
            if let Some(pb) = c {
                pb.set_message(text.to_string());
            }
        });
    }

    fn finish(&self, _step: lc_pipeline::Step, _secs: f64) {
        self.with(|c| {
            if let Some(pb) = c.take() {
                pb.finish_and_clear();
            }
        });
    }
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
