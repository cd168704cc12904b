// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Indexing moves many small parsed payloads between threads, which fragments the system
/// allocator's per-thread arenas until every allocation slows down (a third fewer webhooks per
/// second after a large import); mimalloc keeps its speed. Its 2.x line (the `v2` feature)
/// hands freed memory back after 10 ms, where 3.x waits a second: the same speed, and the
/// window's app process 40–50 MB smaller after a hundred searches and openings (README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    postcall_app::main()
}
