//! Launch timing for `make bench-desktop`. When `POSTCALL_BENCH_MARKS` names a file, the window
//! appends `first_rows <unix ms>` to it once its first call rows are painted, so launch → first
//! rows is measured from process start with no WebDriver session in the way. Without the
//! variable nothing is written.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

#[tauri::command]
pub fn mark_first_rows() {
    let Some(path) = std::env::var_os("POSTCALL_BENCH_MARKS") else { return };
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&path) {
        // A benchmark aid: a failed write only loses the figure.
        let _ = writeln!(f, "first_rows {ms}");
    }
}
