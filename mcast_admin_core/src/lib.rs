//! What `multis_admin` and `multic_admin` share.
//!
//! The binaries hold only their clap definitions; everything else is here,
//! one module per job:
//! - [`parse`] and [`usage`]: command-line values and combination rules;
//! - [`server`] and [`client`]: checked commands and how they run;
//! - [`kernel`]: what the tools ask of a module, with in-memory fakes;
//! - [`netlink`]: the same over generic netlink (`neli`);
//! - [`config`]: the JSON configuration files, locked and written atomically;
//! - [`output`]: the old tool's layouts and `--json`;
//! - [`cli`]: parsing and generation around the clap definitions;
//! - [`docs`]: man pages and shell completions from the clap definitions;
//! - [`error`]: one error type, one line per error, exit statuses;
//! - `testing` (feature `testing`): helpers for the workspace's tests.

#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod config;
pub mod docs;
pub mod error;
pub mod kernel;
pub mod netlink;
pub mod output;
pub mod parse;
pub mod server;
pub mod side;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod usage;
