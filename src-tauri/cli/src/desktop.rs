//! Opening the window from the command line: `postcall` with no subcommand hands over to the
//! `postcall-desktop` binary, which holds the window and everything it links.
//!
//! The desktop binary is looked for next to this one first (an installed package, or a build's
//! `target/` folder), then on `PATH`. It replaces this process (on Unix), so it gets the same
//! arguments, environment, standard streams and process id, and its exit status is ours.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The window's binary.
pub const DESKTOP_BIN: &str = "postcall-desktop";

/// Runs `postcall-desktop` with this process's arguments; returns only if that failed.
pub fn open() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let here = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf));
    let Some(bin) = find(here.as_deref(), std::env::var_os("PATH")) else {
        eprintln!(
            "error: the Postcall window is not installed ({DESKTOP_BIN} is neither next to this program nor on PATH). \
             Install the postcall .deb for the window, or run headless: postcall serve (see postcall --help)"
        );
        return ExitCode::FAILURE;
    };
    let mut command = Command::new(&bin);
    command.args(args);
    run(command, &bin)
}

#[cfg(unix)]
fn run(mut command: Command, bin: &Path) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let e = command.exec();
    eprintln!("error: cannot start the window ({}): {e}", bin.display());
    ExitCode::FAILURE
}

#[cfg(not(unix))]
fn run(mut command: Command, bin: &Path) -> ExitCode {
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => ExitCode::from(status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)),
        Err(e) => {
            eprintln!("error: cannot start the window ({}): {e}", bin.display());
            ExitCode::FAILURE
        }
    }
}

/// The desktop binary in `here` (this binary's folder), else the first on `path`.
fn find(here: Option<&Path>, path: Option<OsString>) -> Option<PathBuf> {
    let name = format!("{DESKTOP_BIN}{}", std::env::consts::EXE_SUFFIX);
    here.map(Path::to_path_buf)
        .into_iter()
        .chain(path.iter().flat_map(std::env::split_paths))
        .map(|dir| dir.join(&name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path) -> PathBuf {
        let p = dir.join(format!("{DESKTOP_BIN}{}", std::env::consts::EXE_SUFFIX));
        std::fs::write(&p, b"").expect("write");
        p
    }

    #[test]
    fn the_binary_beside_wins_over_path() {
        let (beside, on_path) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
        let a = touch(beside.path());
        let b = touch(on_path.path());
        let path = std::env::join_paths([on_path.path()]).expect("join");
        assert_eq!(find(Some(beside.path()), Some(path.clone())), Some(a));
        let empty = tempfile::tempdir().expect("dir");
        assert_eq!(find(Some(empty.path()), Some(path)), Some(b));
        assert_eq!(find(Some(empty.path()), None), None);
    }
}
