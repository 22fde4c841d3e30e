//! Golden files: expected outputs kept in `tests/golden`. Needs only `std`,
//! so this crate's integration tests can include it by path.

use std::fs;
use std::path::PathBuf;

/// Compares `actual` with the golden file `tests/golden/<name>` of the
/// crate at `manifest_dir` (pass `env!("CARGO_MANIFEST_DIR")`).
/// `UPDATE_GOLDEN=1 cargo test` rewrites the file first (review the diff!).
pub fn golden(manifest_dir: &str, name: &str, actual: &str) {
    let path = PathBuf::from(manifest_dir).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&path, actual).unwrap();
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(actual, expected, "{name}");
}
