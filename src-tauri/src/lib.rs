//! The Postcall desktop shell (`postcall-desktop`): the window, its tray and thin commands over
//! `postcall-core`. Scripts and servers use the headless `postcall` binary (`src-tauri/cli`),
//! which runs this one when asked for the window. Given a subcommand, this binary runs it like
//! `postcall` does; given a `postcall://` link, it opens that call (see [`link`]).

mod commands;
mod desktop;
mod error;
mod link;
mod rendering;

use std::process::ExitCode;

use clap::Parser;
use postcall_core::cli::{self, Cli};

pub fn main() -> ExitCode {
    // Before anything is created: every file and folder Postcall writes is the user's alone.
    postcall_core::permissions::restrict_umask();
    let (args, links) = link::split_args(std::env::args_os());
    let mut args = Cli::parse_from(args);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("POSTCALL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,postcall_core=info,postcall_app=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match args.command.take() {
        Some(command) => cli::run(args, command),
        None => desktop::run(args, links),
    }
}
