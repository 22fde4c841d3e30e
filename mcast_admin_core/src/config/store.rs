//! The configuration file on disk: serialized access through a lock file,
//! strict reading, and atomic replacement.

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of a newly created configuration file (nothing in it is secret).
const NEW_FILE_MODE: u32 = 0o644;

/// One configuration file, named by its path.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    path: PathBuf,
}

impl ConfigFile {
    /// The file at `path`; nothing is touched yet.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ConfigFile { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file beside it: `<path>.lock`. Locking a separate file
    /// keeps the lock valid across the rename that replaces the config.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = OsString::from(self.path.as_os_str());
        name.push(".lock");
        PathBuf::from(name)
    }

    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    /// Waits for exclusive use of the file (flock on the lock file), creating
    /// the directory and lock file if needed. Held until the guard drops, so
    /// a read-change-write cycle of one invocation never interleaves with
    /// another's.
    pub fn lock(&self) -> Result<Locked<'_>> {
        let lock_path = self.lock_path();
        let denied = |e: &io::Error| {
            matches!(
                e.kind(),
                ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
            )
        };
        let fail = |e: io::Error, what: &str| {
            if denied(&e) {
                Error::NoWriteAccess(self.path.clone())
            } else {
                Error::ConfigFile {
                    path: lock_path.clone(),
                    reason: format!("cannot {what}: {e}"),
                }
            }
        };
        fs::create_dir_all(self.dir()).map_err(|e| fail(e, "create its directory"))?;
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| fail(e, "open"))?;
        lock.lock().map_err(|e| fail(e, "lock"))?;
        Ok(Locked {
            file: self,
            _lock: lock,
        })
    }

    /// Reads the file without locking (for `--import`'s source); `None` when
    /// it does not exist.
    pub fn read_unlocked(&self) -> Result<Option<String>> {
        match fs::read(&self.path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| self.error("not valid JSON: not UTF-8 text")),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error(format!("cannot read: {e}"))),
        }
    }

    /// An error about this file.
    pub fn error(&self, reason: impl Into<String>) -> Error {
        Error::ConfigFile {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    /// Reads and parses the file; `None` when it does not exist. Anything
    /// unreadable or invalid is an error naming the file: a broken
    /// configuration is never silently replaced.
    pub fn load<T>(&self, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<Option<T>> {
        match self.read_unlocked()? {
            None => Ok(None),
            Some(text) => parse(&text).map(Some).map_err(|reason| self.error(reason)),
        }
    }
}

/// Exclusive use of a configuration file; see [`ConfigFile::lock`].
#[derive(Debug)]
pub struct Locked<'a> {
    file: &'a ConfigFile,
    _lock: File,
}

impl Locked<'_> {
    /// The locked file.
    pub fn file(&self) -> &ConfigFile {
        self.file
    }

    /// See [`ConfigFile::load`].
    pub fn load<T>(&self, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<Option<T>> {
        self.file.load(parse)
    }

    /// Replaces the file's contents atomically: readers see the old or the
    /// new text, never a mix, even after a crash. Temporary files that an
    /// earlier writer left behind (killed before its rename) are removed
    /// first: only the lock holder writes them, so any seen now is stale.
    pub fn store(&self, text: &str) -> Result<()> {
        remove_stale_temporaries(&self.file.path);
        write_atomic(&self.file.path, text.as_bytes(), |_| Ok(())).map_err(|e| match e.kind() {
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
                Error::NoWriteAccess(self.file.path.clone())
            }
            _ => self.file.error(format!("cannot write: {e}")),
        })
    }
}

/// The name prefix of [`write_atomic`]'s temporary files for `path`.
fn temporary_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.")
}

/// Whether `name` is one of [`write_atomic`]'s temporary files for the file
/// whose prefix is `prefix`: the prefix, six random letters or digits, `.tmp`.
fn is_temporary(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|random| {
            random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// Removes the temporary files a killed writer of `path` left beside it.
/// Best effort: a failure here must not stop the write itself.
fn remove_stale_temporaries(path: &Path) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let prefix = temporary_prefix(path);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if is_temporary(&entry.file_name().to_string_lossy(), &prefix) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes `contents` to a temporary file in `path`'s directory, syncs it,
/// renames it over `path` and syncs the directory, so the rename itself is
/// durable. `before_rename` runs with the synced temporary file in place;
/// tests use it to simulate a crash at that point.
pub fn write_atomic(
    path: &Path,
    contents: &[u8],
    before_rename: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mode = match fs::metadata(path) {
        Ok(meta) => meta.permissions().mode() & 0o7777,
        Err(_) => NEW_FILE_MODE,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(&temporary_prefix(path))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file()
        .set_permissions(Permissions::from_mode(mode))?;
    tmp.as_file().sync_all()?;
    before_rename(tmp.path())?;
    tmp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_atomically_and_keep_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        write_atomic(&path, b"one", |_| Ok(())).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
        fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        write_atomic(&path, b"two", |_| Ok(())).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Nothing but the file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_crash_before_the_rename_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        fs::write(&path, "old").unwrap();
        let crash = write_atomic(&path, b"new", |tmp| {
            // The new text is complete and synced before the rename.
            assert_eq!(fs::read(tmp).unwrap(), b"new");
            Err(io::Error::other("simulated crash"))
        });
        assert_eq!(crash.unwrap_err().to_string(), "simulated crash");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        let file = ConfigFile::new(&path);
        assert_eq!(file.read_unlocked().unwrap().as_deref(), Some("old"));
    }

    #[test]
    fn a_store_removes_temporaries_a_killed_writer_left() {
        let dir = tempfile::tempdir().unwrap();
        let file = ConfigFile::new(dir.path().join("c.json"));
        let stale = dir.path().join(".c.json.aB3xY9.tmp");
        // Not ours: another file's temporary, and names that only look alike.
        let kept = [
            ".d.json.aB3xY9.tmp",
            ".c.json.toolong7.tmp",
            "c.json.aB3xY9.tmp",
        ];
        fs::write(&stale, "half").unwrap();
        for k in kept {
            fs::write(dir.path().join(k), "x").unwrap();
        }
        file.lock().unwrap().store("new").unwrap();
        assert!(!stale.exists());
        for k in kept {
            assert!(dir.path().join(k).exists(), "{k}");
        }
        assert_eq!(fs::read_to_string(file.path()).unwrap(), "new");
        // The writer's own temporary files are recognised as such.
        let mut seen = String::new();
        write_atomic(file.path(), b"again", |tmp| {
            seen = tmp.file_name().unwrap().to_string_lossy().into_owned();
            Ok(())
        })
        .unwrap();
        assert!(
            is_temporary(&seen, &temporary_prefix(file.path())),
            "{seen}"
        );
    }

    #[test]
    fn loading_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = ConfigFile::new(dir.path().join("c.json"));
        assert_eq!(file.load(|t| Ok(t.len())).unwrap(), None);
        fs::write(file.path(), "{broken").unwrap();
        let e = file
            .load(|_| Err::<(), _>("not valid JSON: x".to_string()))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: not valid JSON: x", file.path().display())
        );
        fs::write(file.path(), [0xff, 0xfe]).unwrap();
        assert!(file
            .read_unlocked()
            .unwrap_err()
            .to_string()
            .ends_with("not valid JSON: not UTF-8 text"));
    }

    #[test]
    fn locking_creates_the_directory_and_serializes() {
        let dir = tempfile::tempdir().unwrap();
        let file = ConfigFile::new(dir.path().join("sub/c.json"));
        let guard = file.lock().unwrap();
        assert!(file.lock_path().exists());
        // A second, independent open of the lock file cannot take it now.
        let other = File::open(file.lock_path()).unwrap();
        assert!(other.try_lock().is_err());
        guard.store("text").unwrap();
        drop(guard);
        assert!(other.try_lock().is_ok());
        assert_eq!(fs::read_to_string(file.path()).unwrap(), "text");
    }
}
