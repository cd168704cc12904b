// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Indexing moves many small parsed payloads between threads, which fragments the system
/// allocator's per-thread arenas until every allocation slows down (a third fewer webhooks per
/// second after a large import); mimalloc keeps its speed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    postcall_app::main()
}
