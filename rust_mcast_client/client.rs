// SPDX-License-Identifier: GPL-2.0
//! rust_mcast_client: multicast over unicast-only networks, receiving side.
//!
//! A netfilter hook at IPv4 PRE_ROUTING (first priority, in each network
//! namespace while it has an entry) turns unicast copies marked with TOS
//! 0xE0 from a configured sender back into their group address, so sockets
//! that joined the group receive them through the kernel's normal
//! multicast delivery. A hook at LOCAL_OUT (while an entry announces)
//! announces the host's IGMP reports for those groups to their senders,
//! which may learn members from them (announce.rs). A namespace without
//! entries passes no hook of the module (kernel_glue/hooks.rs).
//! Configuration comes over the generic netlink family `rmcast_client`.

use kernel::prelude::*;

#[allow(dead_code, unreachable_pub)]
#[path = "../mcast_shared/src/shared.rs"]
mod mcast_shared;

#[allow(unreachable_pub)]
#[path = "../kernel_glue/mod.rs"]
mod kernel_glue;

mod announce;
mod control;
mod datapath;
mod entries;

/// The per-namespace state the glue hands to the hook and the family.
pub(crate) type ModuleNetState = entries::ClientNet;

module! {
    type: RustMcastClient,
    name: "rust_mcast_client",
    author: "rust_mcast developers",
    description: "Restores marked unicast copies to their multicast group for local receivers",
    license: "GPL",
}

/// Owns the module's registrations: dropping it at unload unregisters the
/// family and every namespace's hooks and state, then waits for pending RCU
/// frees.
struct RustMcastClient {
    _registration: kernel_glue::module::Registration,
}

impl kernel::Module for RustMcastClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registration = kernel_glue::module::Registration::new()?;
        pr_info!("loaded: max_entries={}\n", entries::max_entries());
        Ok(RustMcastClient {
            _registration: registration,
        })
    }
}

impl Drop for RustMcastClient {
    fn drop(&mut self) {
        // The registration is dropped after this (a field drops after its
        // owner's Drop), so the message comes first.
        pr_info!("unloading\n");
    }
}
