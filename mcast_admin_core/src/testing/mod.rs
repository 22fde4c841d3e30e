//! Helpers for this workspace's tests (feature `testing`): golden files, and
//! a scratch configuration file beside a fake module.

mod golden;

pub use golden::{golden, layout_golden};

use crate::config::ConfigFile;
use std::fs;
use std::path::Path;

/// A configuration file in a fresh temporary directory, and a fake module
/// `K`; the directory goes when this drops.
pub struct Scratch<K> {
    dir: tempfile::TempDir,
    /// The configuration file; not created yet.
    pub file: ConfigFile,
    /// The fake module.
    pub kernel: K,
}

impl<K: Default> Scratch<K> {
    /// The file at `relative` in the new directory, and an empty module.
    pub fn new(relative: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = ConfigFile::new(dir.path().join(relative));
        Scratch {
            dir,
            file,
            kernel: K::default(),
        }
    }
}

impl<K> Scratch<K> {
    /// The temporary directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The file's text; `None` while it does not exist.
    pub fn text(&self) -> Option<String> {
        fs::read_to_string(self.file.path()).ok()
    }

    /// Writes the file (and its directory) directly, as another tool or an
    /// operator would.
    pub fn write(&self, text: &str) {
        fs::create_dir_all(self.file.path().parent().unwrap()).unwrap();
        fs::write(self.file.path(), text).unwrap();
    }
}
