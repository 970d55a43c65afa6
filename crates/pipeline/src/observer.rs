//! How a caller follows a run and stops it: the command line draws bars from these calls, the
//! server keeps a job's status, a Python caller drives tqdm. The pipeline itself never prints.

use std::sync::atomic::{AtomicBool, Ordering};

/// The steps of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// Reading the road network (OSM or node/edge tables), or its cache.
    ReadNetwork,
    /// Building the walkable graph.
    BuildNetwork,
    /// Placing communities, facilities and candidates on the network.
    Place,
    /// Nearest facilities and circle counts for every community.
    Access,
    /// Every community against the standards, every region against the targets.
    Assess,
    /// Choosing sites among candidate plots (a siting scenario).
    Site,
}

impl Step {
    /// The step's key in timings (`read_network`, `access`, …).
    pub fn key(self) -> &'static str {
        match self {
            Step::ReadNetwork => "read_network",
            Step::BuildNetwork => "build_network",
            Step::Place => "snap",
            Step::Access => "access",
            Step::Assess => "assess",
            Step::Site => "site",
        }
    }

    /// A label in Chinese and English for a progress display.
    pub fn label(self) -> &'static str {
        match self {
            Step::ReadNetwork => "读取路网 Reading the network",
            Step::BuildNetwork => "构建路网 Building the network",
            Step::Place => "落点 Placing points",
            Step::Access => "可达性 Access",
            Step::Assess => "评估 Assessing",
            Step::Site => "选址 Siting",
        }
    }
}

/// Receives a run's progress; every method has a default that does nothing.
pub trait Observer: Sync {
    /// A step begins; `total` is the number of items when it is known (communities for access).
    fn start(&self, _step: Step, _total: Option<u64>) {}
    /// `done` items of the current step are finished.
    fn advance(&self, _step: Step, _done: u64) {}
    /// A phase inside a step (e.g. which part of an OSM file is being read).
    fn note(&self, _step: Step, _text: &str) {}
    /// A step ended after `secs` seconds.
    fn finish(&self, _step: Step, _secs: f64) {}
    /// Polled between steps and during the long ones: `true` stops the run with
    /// [`crate::PipelineError::Cancelled`].
    fn cancelled(&self) -> bool {
        false
    }
}

/// An observer that ignores everything and never cancels.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// A cancellation switch another thread can flip (e.g. a server job's "cancel" request).
#[derive(Debug, Default)]
pub struct CancelFlag(AtomicBool);

impl CancelFlag {
    /// A switch that is off.
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    /// Asks the run to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`CancelFlag::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl Observer for CancelFlag {
    fn cancelled(&self) -> bool {
        self.is_cancelled()
    }
}

/// Times each step and stops between steps when asked.
pub(crate) struct Stepper<'a> {
    pub(crate) obs: &'a dyn Observer,
    pub(crate) timings: &'a mut crate::Timings,
}

impl Stepper<'_> {
    /// Runs one step: cancelled before it starts if asked, timed, reported.
    pub(crate) fn run<T>(
        &mut self,
        step: Step,
        total: Option<u64>,
        f: impl FnOnce(&dyn Observer) -> Result<T, crate::PipelineError>,
    ) -> Result<T, crate::PipelineError> {
        if self.obs.cancelled() {
            return Err(crate::PipelineError::Cancelled);
        }
        let t = std::time::Instant::now();
        self.obs.start(step, total);
        let out = f(self.obs)?;
        let secs = t.elapsed().as_secs_f64();
        *self.timings.entry(step.key()).or_insert(0.0) += secs;
        self.obs.finish(step, secs);
        if self.obs.cancelled() {
            return Err(crate::PipelineError::Cancelled);
        }
        Ok(out)
    }
}
