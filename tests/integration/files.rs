//! Key files for tests: a directory of its own per test, and files written
//! the way a secret store should write them. Also used by `tests/reload.rs`.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A directory of its own for one test, removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("sealed-session-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Writes `contents` to `name` (see [`replace_file`]); returns its path.
    pub(crate) fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        replace_file(&path, contents);
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Replaces `path` atomically with `contents`, readable by its owner only
/// (mode 0600 on Unix): written beside it, then renamed over it.
pub(crate) fn replace_file(path: &Path, contents: &[u8]) {
    let next = path.with_extension("next");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&next).unwrap();
    file.write_all(contents).unwrap();
    file.sync_all().unwrap();
    fs::rename(&next, path).unwrap();
}
