//! Progress of the slow steps that can run while a data folder is opened: a schema upgrade,
//! building the search index, re-indexing deliveries journaled before a crash. Commands print
//! their own lines on stderr; the desktop window, which opens before them, shows these reports
//! (see [`observe`]).

use std::sync::OnceLock;

use serde::Serialize;

/// One report: what is being done and how far along it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Reports a step's progress to the observer, if any.
pub fn report(what: &str, unit: &str, done: u64, total: u64) {
    if let Some(f) = OBSERVER.get() {
        f(&Step { what: what.to_string(), unit: unit.to_string(), done, total });
    }
}
