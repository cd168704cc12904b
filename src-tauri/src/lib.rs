//! The Postcall desktop shell: parses the command line, runs a CLI subcommand headless, or opens
//! the window. Everything the window shows comes from `postcall-core` through thin commands.

mod commands;
mod desktop;
mod error;

use std::process::ExitCode;

use clap::Parser;
use postcall_core::cli::{self, Cli};

pub fn main() -> ExitCode {
    // Before anything is created: every file and folder Postcall writes is the user's alone.
    postcall_core::permissions::restrict_umask();
    let mut args = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("POSTCALL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,postcall_core=info,postcall_app=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match args.command.take() {
        Some(command) => cli::run(args, command),
        None => desktop::run(args),
    }
}
