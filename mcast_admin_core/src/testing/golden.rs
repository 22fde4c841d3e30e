//! Golden files: expected outputs kept in `tests/golden`. Needs only `std`,
//! so this crate's integration tests can include it by path.
//!
//! Each golden file is kept once. `mcast_admin_core/tests/golden` owns the
//! output layouts (`server_*`, `client_*`), which `tests/layouts.rs` checks
//! function by function and the CLIs' session tests check again end to end
//! through [`layout_golden`]; a CLI's own `tests/golden` holds only what no
//! layout test produces (its configuration file, outputs of other counters).

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

/// Compares `actual` with the output layout `name` kept in
/// `mcast_admin_core/tests/golden`, from any crate of the workspace.
pub fn layout_golden(name: &str, actual: &str) {
    golden(env!("CARGO_MANIFEST_DIR"), name, actual);
}
