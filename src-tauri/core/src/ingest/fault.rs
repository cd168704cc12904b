//! Injected faults, for tests of what happens when a call cannot be indexed or a writer thread
//! dies: nothing in normal use sets one. In-process tests call [`inject`]; tests of the real
//! binary set `POSTCALL_FAULT_INDEX` to a comma-separated list of `fail:CALL_ID` (indexing that
//! call fails with an error) and `panic:CALL_ID` (the indexer thread panics on that call).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Fail,
    Panic,
}

const ENV: &str = "POSTCALL_FAULT_INDEX";

static ANY: AtomicBool = AtomicBool::new(false);

fn faults() -> &'static Mutex<HashMap<i64, Fault>> {
    static FAULTS: OnceLock<Mutex<HashMap<i64, Fault>>> = OnceLock::new();
    FAULTS.get_or_init(|| {
        let mut map = HashMap::new();
        for item in std::env::var(ENV).unwrap_or_default().split(',') {
            let parsed = match item.trim().split_once(':') {
                Some(("fail", id)) => id.trim().parse().ok().map(|id| (id, Fault::Fail)),
                Some(("panic", id)) => id.trim().parse().ok().map(|id| (id, Fault::Panic)),
                _ => None,
            };
            if let Some((id, fault)) = parsed {
                map.insert(id, fault);
            }
        }
        ANY.store(!map.is_empty(), Ordering::Relaxed);
        Mutex::new(map)
    })
}

/// Makes indexing call `call_id` fail (or panic) from now on; `None` removes the fault.
pub fn inject(call_id: i64, fault: Option<Fault>) {
    let mut map = faults().lock().unwrap_or_else(|e| e.into_inner());
    match fault {
        Some(f) => map.insert(call_id, f),
        None => map.remove(&call_id),
    };
    ANY.store(!map.is_empty(), Ordering::Relaxed);
}

/// Checks the fault set for `call_id` as it is indexed.
pub(super) fn check(call_id: i64) -> Result<(), String> {
    let faults = faults();
    if !ANY.load(Ordering::Relaxed) {
        return Ok(());
    }
    let fault = faults.lock().unwrap_or_else(|e| e.into_inner()).get(&call_id).copied();
    match fault {
        None => Ok(()),
        Some(Fault::Fail) => Err(format!("injected fault: indexing call {call_id} fails")),
        Some(Fault::Panic) => panic!("injected fault: the indexer panics on call {call_id}"),
    }
}
