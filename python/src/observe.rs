//! Running pipeline work without the GIL: the work runs on a scoped worker thread while the
//! calling thread wakes every 100 ms, takes the GIL briefly, hands the progress received so far
//! to the Python callback and checks for Ctrl-C (signals are only seen on Python's main thread).
//! Ctrl-C, or an exception raised by the callback, cancels the run through the observer.

use crate::convert::error_to_py;
use lc_pipeline::{Observer, PipelineError, Step};
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

enum Event {
    Start(Step, Option<u64>),
    Advance(Step, u64),
    Note(Step, String),
    Finish(Step, f64),
}

/// What the worker reports; read by the calling thread.
#[derive(Default)]
struct Shared {
    events: Mutex<Vec<Event>>,
    cancel: AtomicBool,
}

impl Shared {
    fn push(&self, e: Event) {
        let Ok(mut events) = self.events.lock() else {
            return;
        };
        // Advances and notes of a step coalesce: only the latest matters to a display.
        match (events.last_mut(), &e) {
            (Some(Event::Advance(s, d)), Event::Advance(s2, d2)) if s == s2 => *d = (*d).max(*d2),
            (Some(Event::Note(s, t)), Event::Note(s2, t2)) if s == s2 => t.clone_from(t2),
            _ => events.push(e),
        }
    }
}

impl Observer for Shared {
    fn start(&self, step: Step, total: Option<u64>) {
        self.push(Event::Start(step, total));
    }
    fn advance(&self, step: Step, done: u64) {
        self.push(Event::Advance(step, done));
    }
    fn note(&self, step: Step, text: &str) {
        self.push(Event::Note(step, text.to_string()));
    }
    fn finish(&self, step: Step, secs: f64) {
        self.push(Event::Finish(step, secs));
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// Calls `callback(event, step_key, label, value)`.
fn deliver(py: Python<'_>, callback: &Py<PyAny>, e: Event) -> PyResult<()> {
    let (event, step, value): (&str, Step, Py<PyAny>) = match e {
        Event::Start(s, total) => ("start", s, total.into_pyobject(py)?.unbind()),
        Event::Advance(s, done) => ("advance", s, done.into_pyobject(py)?.into_any().unbind()),
        Event::Note(s, text) => ("note", s, text.into_pyobject(py)?.into_any().unbind()),
        Event::Finish(s, secs) => ("finish", s, secs.into_pyobject(py)?.into_any().unbind()),
    };
    callback.call1(py, (event, step.key(), step.label(), value))?;
    Ok(())
}

/// Runs `work` without the GIL, reporting progress to `callback`, cancelled by Ctrl-C.
pub fn observed<T: Send>(
    py: Python<'_>,
    callback: Option<&Py<PyAny>>,
    work: impl FnOnce(&dyn Observer) -> Result<T, PipelineError> + Send,
) -> PyResult<T> {
    let shared = Shared::default();
    let (out, err) = py.detach(|| {
        let (tx, rx) = channel::<()>();
        std::thread::scope(|s| {
            let shared = &shared;
            let handle = s.spawn(move || {
                let r = work(shared);
                let _ = tx.send(());
                r
            });
            let mut err: Option<PyErr> = None;
            loop {
                let finished = !matches!(
                    rx.recv_timeout(Duration::from_millis(100)),
                    Err(RecvTimeoutError::Timeout)
                );
                Python::attach(|py| {
                    if err.is_none() {
                        if let Err(e) = py.check_signals() {
                            shared.cancel.store(true, Ordering::Relaxed);
                            err = Some(e);
                        }
                    }
                    let events = shared
                        .events
                        .lock()
                        .map(|mut v| std::mem::take(&mut *v))
                        .unwrap_or_default();
                    if let (Some(cb), None) = (callback, &err) {
                        for e in events {
                            if let Err(e) = deliver(py, cb, e) {
                                shared.cancel.store(true, Ordering::Relaxed);
                                err = Some(e);
                                break;
                            }
                        }
                    }
                });
                if finished {
                    break;
                }
            }
            (handle.join(), err)
        })
    });
    if let Some(e) = err {
        return Err(e);
    }
    match out {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error_to_py(e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "livingcircle internal error (a bug; please report it): {what}"
            )))
        }
    }
}
