//! Keeping the data folder private to the user who runs Postcall.
//!
//! Calls hold customers' phone numbers, transcripts and recordings; on a shared machine other
//! local users must not read them. Two layers: the process starts with umask `077`
//! ([`restrict_umask`], called first thing by both the window and the CLI), so every file and
//! folder it creates (databases with their `-wal`/`-shm` logs, recordings, exports, settings) is
//! `0600`/`0700`; and opening a data folder ([`tighten`]) takes group and other access away from
//! what an older version, a copy or a restore left readable. Symbolic links are not followed, and
//! a file that cannot be changed (another owner) is only logged: the folder itself, `0700`, keeps
//! it out of reach.

use std::path::Path;

/// Sets the process umask to `077` (no access for group and others). Unix only; a no-op elsewhere.
pub fn restrict_umask() {
    #[cfg(unix)]
    {
        let _previous = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
}

/// Writes `bytes` to `path` (replacing it), readable and writable by the user only whatever the
/// umask: for exports the user saves outside the data folder.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut f = options.open(path)?;
        // An existing file keeps its mode on open: take group and other access away.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()
    }
    #[cfg(not(unix))]
    {
        let mut f = options.open(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    }
}

/// Takes group and other permissions away from `root` and everything under it. Returns how many
/// entries were changed.
pub fn tighten(root: &Path) -> usize {
    #[cfg(unix)]
    {
        let mut changed = 0;
        tighten_entry(root, &mut changed);
        changed
    }
    #[cfg(not(unix))]
    {
        let _ = root;
        0
    }
}

#[cfg(unix)]
fn tighten_entry(path: &Path, changed: &mut usize) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else { return };
    if meta.file_type().is_symlink() {
        return;
    }
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        let private = (mode & 0o700) | if meta.is_dir() { 0o700 } else { 0o600 };
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(private)) {
            Ok(()) => *changed += 1,
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot make this file private"),
        }
    }
    if meta.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else { return };
        for entry in entries.flatten() {
            tighten_entry(&entry.path(), changed);
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn a_readable_data_folder_is_made_private_without_following_links() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("data");
        let rec = root.join("recordings");
        std::fs::create_dir_all(&rec).expect("mkdir");
        for (p, m) in [(&root, 0o755), (&rec, 0o775)] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod");
        }
        let files = [root.join("postcall.sqlite"), root.join("postcall.sqlite-wal"), rec.join("1.mp3")];
        for f in &files {
            std::fs::write(f, b"x").expect("write");
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, b"x").expect("write");
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        std::os::unix::fs::symlink(&outside, root.join("link")).expect("symlink");

        assert_eq!(tighten(&root), 5);
        assert_eq!((mode(&root), mode(&rec)), (0o700, 0o700));
        for f in &files {
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
        assert_eq!(mode(&outside), 0o644, "a link's target is left alone");
        assert_eq!(tighten(&root), 0, "nothing left to change");
    }
}
