// SPDX-License-Identifier: GPL-2.0
//! Module-wide glue: registration, the netfilter hook entry, load-time
//! parameters and the guard against replicating our own copies.

use super::ffi;
use super::netns::Net;
use super::skb::Packet;
use core::ffi::{c_uint, c_void};
use kernel::prelude::*;

/// What the hook tells netfilter.
pub enum Verdict {
    /// Let the packet continue (possibly changed).
    Accept,
    /// The kernel took the packet (queued for reassembly).
    Stolen,
}

/// The module's packet path, implemented by its per-namespace state.
pub trait PacketHook {
    /// Called for every IPv4 packet at the module's hook point.
    fn hook(&self, net: Net<'_>, packet: Packet<'_>) -> Verdict;
}

/// Registers the per-namespace state and hooks, then the netlink family.
pub fn register() -> Result {
    // SAFETY: registration of the module's static C tables, undone in
    // `unregister` (or right here if the family fails).
    unsafe {
        kernel::error::to_result(ffi::rmc_module_register_pernet())?;
        if let Err(e) = kernel::error::to_result(ffi::rmc_module_register_family()) {
            ffi::rmc_module_unregister_pernet();
            return Err(e);
        }
    }
    Ok(())
}

/// Undoes [`register`]: the family first (no new requests), then every
/// namespace's hook and state.
pub fn unregister() {
    // SAFETY: both were registered by `register`; genl_unregister_family
    // waits for running operations, the pernet exit for running hooks.
    unsafe {
        ffi::rmc_module_unregister_family();
        ffi::rmc_module_unregister_pernet();
    }
}

/// Load-time parameter `index` of the module's tables file.
pub fn param(index: u32) -> u32 {
    // SAFETY: reads a module parameter variable.
    unsafe { ffi::rmc_module_param(index) }
}

/// A random 64-bit value (hash seeds).
pub fn random_u64() -> u64 {
    // SAFETY: get_random_u64 has no preconditions.
    unsafe { ffi::rmc_random_u64() }
}

/// While alive, this CPU is sending copies: bottom halves are off (so the
/// CPU and the flag stay ours) and [`sending_copies`] is true, which the
/// hook checks first so copies re-entering LOCAL_OUT pass untouched.
pub struct SendingCopies(());

impl SendingCopies {
    /// Starts sending copies on this CPU.
    pub fn begin() -> SendingCopies {
        // SAFETY: paired with the enable in Drop.
        unsafe {
            ffi::rmc_local_bh_disable();
            ffi::rmc_sending_copies_set(true);
        }
        SendingCopies(())
    }
}

impl Drop for SendingCopies {
    fn drop(&mut self) {
        // SAFETY: undoes `begin` on the same CPU (BH off kept us on it).
        unsafe {
            ffi::rmc_sending_copies_set(false);
            ffi::rmc_local_bh_enable();
        }
    }
}

/// True while this CPU is inside [`SendingCopies`].
pub fn sending_copies() -> bool {
    // SAFETY: reads this CPU's flag; a stale read elsewhere is harmless
    // because the flag is only ever true inside our own call chain.
    unsafe { ffi::rmc_sending_copies_get() }
}

/// The netfilter hook of the module, in every namespace.
#[no_mangle]
extern "C" fn rmc_hook(
    _priv: *mut c_void,
    skb: *mut ffi::SkBuff,
    state: *const ffi::NfHookState,
) -> c_uint {
    const NF_ACCEPT: c_uint = 1;
    const NF_STOLEN: c_uint = 2;
    // SAFETY: netfilter calls the hook with a valid skb it owns for the
    // call and a valid state whose net is live.
    let (packet, net) = unsafe {
        (
            Packet::from_hook(skb),
            Net::from_raw(ffi::rmc_hook_state_net(state)),
        )
    };
    let (Some(packet), Some(net)) = (packet, net) else {
        return NF_ACCEPT;
    };
    let Some(ns) = net.state() else {
        return NF_ACCEPT;
    };
    match ns.hook(net, packet) {
        Verdict::Accept => NF_ACCEPT,
        Verdict::Stolen => NF_STOLEN,
    }
}
