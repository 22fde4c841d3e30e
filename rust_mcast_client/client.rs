// SPDX-License-Identifier: GPL-2.0
//! rust_mcast_client: multicast over unicast-only networks, receiving side.
//!
//! A netfilter hook at IPv4 PRE_ROUTING (first priority, every network
//! namespace) turns unicast copies marked with TOS 0xE0 from a configured
//! sender back into their group address, so sockets that joined the group
//! receive them through the kernel's normal multicast delivery.
//! Configuration comes over the generic netlink family `rmcast_client`.

use kernel::prelude::*;

#[allow(dead_code, unreachable_pub)]
#[path = "../mcast_shared/src/shared.rs"]
mod mcast_shared;

#[allow(unreachable_pub)]
#[path = "../kernel_glue/mod.rs"]
mod kernel_glue;

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

struct RustMcastClient;

impl kernel::Module for RustMcastClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        kernel_glue::module::register()?;
        pr_info!("loaded: max_entries={}\n", entries::max_entries());
        Ok(RustMcastClient)
    }
}

impl Drop for RustMcastClient {
    fn drop(&mut self) {
        kernel_glue::module::unregister();
        pr_info!("unloaded\n");
    }
}
