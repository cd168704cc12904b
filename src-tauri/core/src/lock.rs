//! One writer per data folder.
//!
//! Two processes writing one folder (the window and `postcall import`, two `postcall serve`)
//! would each run the journal, the indexer and the recording vault over the same files, each
//! believing its index mark. A writer therefore holds an exclusive lock on `<data>/postcall.lock`
//! for its whole life, with its pid and command written in the file, and a second writer is told
//! which process holds the folder instead of starting. The lock is an `flock`: the kernel lets it
//! go when the process ends, however it ends, so a stale file never blocks anyone.
//!
//! Readers (`calls`, `show`, `search`, `export`, `deliveries`) take no lock and work beside the
//! writer (SQLite's WAL). Where `flock` is not available (outside Linux) no lock is taken.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = "postcall.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the data folder {folder} is in use by another Postcall (pid {pid}: {command}); stop it first, \
         or give this command another --data-dir. Commands that only read (calls, show, search, export, \
         deliveries) work while it runs"
    )]
    Held { folder: String, pid: String, command: String },
    #[error("cannot lock the data folder ({path}): {source}")]
    Io { path: String, source: std::io::Error },
}

/// Held while this process writes the data folder; dropping it (or exiting) lets it go.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
    path: PathBuf,
}

impl WriterLock {
    /// Takes the folder's writer lock, or says which process holds it.
    pub fn acquire(folder: &Path) -> Result<Self, LockError> {
        let path = folder.join(LOCK_FILE);
        let io = |source| LockError::Io { path: path.display().to_string(), source };
        // Not truncated on open: until the lock is ours, the file tells who holds it.
        let mut file =
            std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        if !try_lock(&file).map_err(io)? {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let mut lines = holder.lines();
            let pid = lines.next().filter(|p| !p.trim().is_empty()).unwrap_or("unknown").trim().to_string();
            let command = lines.next().unwrap_or("postcall").trim().to_string();
            return Err(LockError::Held { folder: folder.display().to_string(), pid, command });
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}\n{}", std::process::id(), command_line()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(Self { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(target_os = "linux")]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

/// This process's command line for the lock file, with the value of any option that names a
/// secret, a token or a key left out (the file is readable by the user only, but it is not a
/// place for secrets).
fn command_line() -> String {
    let mut out = Vec::new();
    let mut hide_next = false;
    for (i, arg) in std::env::args().enumerate() {
        let arg = if i == 0 {
            Path::new(&arg).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(arg)
        } else {
            arg
        };
        let sensitive = |s: &str| ["secret", "token", "key", "password"].iter().any(|w| s.contains(w));
        if hide_next {
            out.push("…".to_string());
            hide_next = false;
        } else if let Some((name, _)) = arg.split_once('=').filter(|(n, _)| n.starts_with("--") && sensitive(n)) {
            out.push(format!("{name}=…"));
        } else {
            hide_next = arg.starts_with("--") && sensitive(&arg) && !arg.ends_with("-file");
            out.push(arg);
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_second_writer_is_told_who_holds_the_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let held = WriterLock::acquire(dir.path()).expect("first");
        // flock locks belong to the open file, so a second open in this process is refused too.
        let second = WriterLock::acquire(dir.path()).expect_err("second");
        let LockError::Held { pid, .. } = &second else { panic!("{second}") };
        assert_eq!(pid, &std::process::id().to_string());
        assert!(second.to_string().contains("in use by another Postcall"), "{second}");
        drop(held);
        WriterLock::acquire(dir.path()).expect("free again once the holder is gone");
    }
}
