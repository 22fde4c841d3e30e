//! What the rust_mcast kernel modules and their admin tools must agree on.
//!
//! `no_std` and `core` only: the kernel modules compile the same files into
//! themselves with `#[path = ".../shared.rs"] mod mcast_shared;`, and the
//! userspace tools use this crate normally. Everything here is unit-tested on
//! the host with `cargo test`.
#![no_std]

#[path = "shared.rs"]
mod shared;
pub use shared::*;
