//! `postcall`: the command line and the headless server (`postcall serve`), without the window.
//!
//! Scripts and servers run this binary many times or where there is no desktop, so it links no
//! GUI library (GTK, WebKit): it starts in a few milliseconds and runs on a bare server. With no
//! subcommand it opens the window by running `postcall-desktop` (next to this binary, else on
//! `PATH`) with the same arguments; see [`desktop`].

mod desktop;

use std::process::ExitCode;

use clap::Parser;
use postcall_core::cli::{self, Cli};

/// Indexing moves many small parsed payloads between threads, which fragments the system
/// allocator's per-thread arenas until every allocation slows down (a third fewer webhooks per
/// second after a large import); mimalloc keeps its speed. Its 2.x line (the `v2` feature)
/// hands freed memory back after 10 ms, where 3.x waits a second: the same speed, and the
/// window's app process 40–50 MB smaller after a hundred searches and openings (README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before anything is created: every file and folder Postcall writes is the user's alone.
    postcall_core::permissions::restrict_umask();
    let mut args = Cli::parse();
    let Some(command) = args.command.take() else {
        return desktop::open();
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("POSTCALL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,postcall_core=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    cli::run(args, command)
}
