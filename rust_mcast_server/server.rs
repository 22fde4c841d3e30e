// SPDX-License-Identifier: GPL-2.0
//! rust_mcast_server: multicast over unicast-only networks, sending side.
//!
//! A netfilter hook at IPv4 LOCAL_OUT (first priority, in each network
//! namespace while it has a group) sees each locally sent UDP or VRRP
//! datagram to a configured group and sends one unicast copy to every
//! member of the group, marked with TOS 0xE0 and a TTL of at least 64. The
//! original continues unchanged. A group may also learn its members from
//! marked IGMP reports its receivers' client modules announce (a hook at
//! LOCAL_IN while a group learns, learning.rs). A namespace without groups
//! passes no hook of the module (kernel_glue/hooks.rs).
//! Configuration comes over the generic netlink family `rmcast_server`.

use kernel::prelude::*;

#[allow(dead_code, unreachable_pub)]
#[path = "../mcast_shared/src/shared.rs"]
mod mcast_shared;

#[allow(unreachable_pub)]
#[path = "../kernel_glue/mod.rs"]
mod kernel_glue;

mod control;
mod datapath;
mod groups;
mod learning;

/// The per-namespace state the glue hands to the hook and the family.
pub(crate) type ModuleNetState = groups::ServerNet;

module! {
    type: RustMcastServer,
    name: "rust_mcast_server",
    author: "rust_mcast developers",
    description: "Fans out locally sent multicast as marked unicast copies to configured members",
    license: "GPL",
}

/// Owns the module's registrations: dropping it at unload unregisters the
/// family and every namespace's hooks and state, then waits for pending RCU
/// frees.
struct RustMcastServer {
    _registration: kernel_glue::module::Registration,
}

impl kernel::Module for RustMcastServer {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registration = kernel_glue::module::Registration::new()?;
        pr_info!(
            "loaded: max_groups={} max_members={}\n",
            groups::max_groups(),
            groups::max_members()
        );
        Ok(RustMcastServer {
            _registration: registration,
        })
    }
}

impl Drop for RustMcastServer {
    fn drop(&mut self) {
        // The registration is dropped after this (a field drops after its
        // owner's Drop), so the message comes first.
        pr_info!("unloading\n");
    }
}
