//! Progress of the slow steps that can run while a data folder is opened: a schema upgrade,
//! building the search index, re-indexing deliveries journaled before a crash. Commands print
//! their own lines on stderr; the desktop window, which opens before them, shows these reports
//! (see [`observe`]).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Serialize;
use ts_rs::TS;

/// One report: what is being done and how far along it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "StartupStep")]
pub struct Step {
    /// For people: "Upgrading the database", "Building the search index", …
    pub what: String,
    /// What is counted: "calls", "deliveries"; empty when nothing is.
    pub unit: String,
    /// Units done so far, of `total`; both 0 when the amount of work is not known.
    pub done: u64,
    pub total: u64,
}

type Observer = Box<dyn Fn(&Step) + Send + Sync>;

static OBSERVER: OnceLock<Observer> = OnceLock::new();

/// Hands every later [`report`] of this process to `f` as well. Set once, by the desktop shell
/// before it opens the data folder; a second observer is ignored.
pub fn observe(f: impl Fn(&Step) + Send + Sync + 'static) {
    let _ = OBSERVER.set(Box::new(f));
}

fn report(what: &str, unit: &str, done: u64, total: u64) {
    if let Some(f) = OBSERVER.get() {
        f(&Step { what: what.to_string(), unit: unit.to_string(), done, total });
    }
}

/// How often a step's progress reaches the observer (the window's progress bar).
const REPORT_EVERY: Duration = Duration::from_millis(200);
/// How often it is printed on stderr (a step shorter than this prints nothing).
const PRINT_EVERY: Duration = Duration::from_secs(1);

/// A slow step under way: [`Progress::start`] tells the observer at once, then [`Progress::set`]
/// reports how far along it is, throttled for the observer and for stderr alike.
pub struct Progress {
    what: &'static str,
    unit: &'static str,
    total: u64,
    reported: Instant,
    printed: Instant,
}

impl Progress {
    /// `total` units of `unit` to do (0 and "" when the amount of work is not known).
    pub fn start(what: &'static str, unit: &'static str, total: u64) -> Self {
        report(what, unit, 0, total);
        let now = Instant::now();
        Self { what, unit, total, reported: now, printed: now }
    }

    pub fn set(&mut self, done: u64) {
        if self.reported.elapsed() >= REPORT_EVERY {
            report(self.what, self.unit, done, self.total);
            self.reported = Instant::now();
        }
        if self.printed.elapsed() >= PRINT_EVERY {
            eprintln!("  {}: {done} of {} {}…", self.what, self.total, self.unit);
            self.printed = Instant::now();
        }
    }
}

/// Raises this process's soft limit on open files to its hard limit, once: the listener caps its
/// own sockets, but the databases, the recording vault and a tunnel need descriptors beside them,
/// and the default soft limit (1,024 on many systems) is far below what the system allows.
pub fn raise_open_file_limit() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(target_os = "linux")]
        {
            use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
            let limit = getrlimit(Resource::Nofile);
            if limit.current != limit.maximum {
                let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
                if let Err(e) = setrlimit(Resource::Nofile, raised) {
                    tracing::debug!(error = %e, "the open-file limit stays as it was");
                }
            }
        }
    });
}
