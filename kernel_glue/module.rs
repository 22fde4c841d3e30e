// SPDX-License-Identifier: GPL-2.0
//! Module-wide glue: registration, the netfilter hook entry, load-time
//! parameters and the guard against replicating our own copies.

use super::ffi;
use super::netns::Net;
use super::rcu;
use super::rcu::InHook;
use super::skb::Packet;
use core::ffi::{c_uint, c_void};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::error::{code::EBUSY, to_result};
use kernel::prelude::*;

/// What the hook tells netfilter.
pub enum Verdict {
    /// Let the packet continue (possibly changed).
    Accept,
    /// The kernel took the packet (queued for reassembly).
    Stolen,
}

/// Where the hook was called: each module has one function a point
/// (`rmc_hook_ops` in module_tables.h), so no call reads `state->hook`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum HookPoint {
    /// Packets this host sends (`NF_INET_LOCAL_OUT`).
    LocalOut,
    /// Packets arriving: the client's `NF_INET_PRE_ROUTING` (before
    /// routing), the server's `NF_INET_LOCAL_IN` (for this host, after the
    /// filter table).
    Arriving,
}

/// The module's packet path, implemented by its per-namespace state.
pub trait PacketHook {
    /// What [`PacketHook::look`] found out about a packet, handed on to
    /// [`PacketHook::hook`].
    type Seen;
    /// Called first for every IPv4 packet at the module's hook points, with
    /// the packet alone: `None` lets it pass at once, before the
    /// namespace's state is looked up. Traffic the module never touches
    /// costs only this (make bench's "untouched" figures).
    fn look(at: HookPoint, packet: &Packet<'_>) -> Option<Self::Seen>;
    /// Called for the packets `look` kept, with the namespace's state.
    fn hook(&self, net: Net<'_>, packet: Packet<'_>, seen: Self::Seen, in_hook: &InHook)
        -> Verdict;
}

/// The module's registrations: its per-namespace state (every namespace,
/// with the netfilter hooks each one's configuration registers), then its
/// generic netlink family. Dropping it
/// undoes them in reverse order and waits for the RCU callbacks that free
/// replaced tables, so nothing points into the module once it is gone
/// (as `rust/kernel/net/phy.rs`'s `Registration`).
///
/// # Invariants
/// While a `Registration` exists, the module's static pernet_operations
/// and genl_family are registered, and no other `Registration` exists.
pub struct Registration(());

/// Whether a [`Registration`] exists (the C tables can be registered once).
static REGISTERED: AtomicBool = AtomicBool::new(false);

impl Registration {
    /// Registers the pernet operations (the state of every namespace), then
    /// the family. EBUSY if the module is registered already.
    pub fn new() -> Result<Registration> {
        if REGISTERED.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }
        // SAFETY: registers the module's static pernet_operations, not
        // registered yet (REGISTERED was false); register_pernet_subsys
        // (net/core/net_namespace.c, 6.12) runs our init for every
        // existing namespace and undoes them itself on failure.
        if let Err(e) = to_result(unsafe { ffi::rmc_module_register_pernet() }) {
            REGISTERED.store(false, Ordering::Release);
            return Err(e);
        }
        // SAFETY: registers the module's static genl_family, not
        // registered yet (genl_register_family, net/netlink/genetlink.c).
        if let Err(e) = to_result(unsafe { ffi::rmc_module_register_family() }) {
            // SAFETY: registered just above; unregister_pernet_subsys runs
            // pre_exit and exit for every namespace. No request can have
            // run (no family), so no table was replaced; the barrier is
            // for form's sake.
            unsafe { ffi::rmc_module_unregister_pernet() };
            rcu::barrier();
            REGISTERED.store(false, Ordering::Release);
            return Err(e);
        }
        Ok(Registration(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: both are registered per the type invariant. The family
        // first: genl_unregister_family (6.12) takes genl_lock_all, so it
        // waits for running operations and no new one starts (a dump in
        // progress holds a module reference, so unload cannot be here).
        // Then unregister_pernet_subsys runs pre_exit (unhook), a grace
        // period, and exit (free) for every namespace.
        unsafe {
            ffi::rmc_module_unregister_family();
            ffi::rmc_module_unregister_pernet();
        }
        // Replaced tables are freed, and routes a slot replaced released
        // (route_cache::put_retired), by call_rcu callbacks in this module:
        // wait for all of them before the module text goes.
        rcu::barrier();
        REGISTERED.store(false, Ordering::Release);
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

/// Milliseconds since boot, by jiffies: monotonic, and fine enough for
/// timeouts of seconds.
pub fn now_ms() -> u64 {
    // SAFETY: get_jiffies_64 and jiffies64_to_msecs have no preconditions.
    unsafe { ffi::rmc_now_ms() }
}

/// While alive, bottom halves are off on this CPU: a lock that a hook also
/// takes (in softirq context) is then safe to hold in process context.
/// Not `Send`: it must be dropped on the CPU that made it.
pub struct BottomHalvesOff(core::marker::PhantomData<*mut ()>);

impl BottomHalvesOff {
    /// Turns bottom halves off until the guard drops.
    pub fn new() -> BottomHalvesOff {
        // SAFETY: local_bh_disable (include/linux/bottom_half.h, 6.12) pairs
        // with the local_bh_enable in Drop, on the same CPU (it disables
        // preemption, or migration on PREEMPT_RT).
        unsafe { ffi::rmc_local_bh_disable() };
        BottomHalvesOff(core::marker::PhantomData)
    }
}

impl Drop for BottomHalvesOff {
    fn drop(&mut self) {
        // SAFETY: undoes `new`, see there.
        unsafe { ffi::rmc_local_bh_enable() }
    }
}

/// While alive, this CPU is sending copies: bottom halves are off and the
/// per-CPU flag is set, so the copies that re-enter LOCAL_OUT through
/// `ip_local_out` pass the hook untouched instead of being replicated.
///
/// The flag is read only after bottom halves are off, as nf_dup_ipv4 does
/// (net/ipv4/netfilter/nf_dup_ipv4.c, 6.12). Without PREEMPT_RT,
/// local_bh_disable also disables preemption, so no other task can run on
/// this CPU between our set and clear. With PREEMPT_RT it does not, but it
/// takes this CPU's softirq lock (kernel/softirq.c): another task on this
/// CPU that reaches the hook blocks in its own local_bh_disable until we
/// are done, so it never reads our flag as its own. (The other choice, a
/// flag per task, needs a field in task_struct that 6.12 does not have.)
pub struct SendingCopies(());

impl SendingCopies {
    /// Starts sending copies on this CPU; `None` if this CPU is already
    /// sending copies, i.e. the packet at hand is one of our own copies.
    pub fn try_begin() -> Option<SendingCopies> {
        // SAFETY: local_bh_disable/enable pair (include/linux/bottom_half.h,
        // 6.12): enabled again here if we return None, else in Drop. The
        // flag accessors use this_cpu_read/write, right with BH off.
        unsafe {
            ffi::rmc_local_bh_disable();
            if ffi::rmc_sending_copies_get() {
                ffi::rmc_local_bh_enable();
                return None;
            }
            ffi::rmc_sending_copies_set(true);
        }
        Some(SendingCopies(()))
    }

    /// Lets this CPU's pending softirqs run between two copies. With bottom
    /// halves off for a whole fan-out, nothing drains what the copies fill:
    /// a veth peer's backlog (netdev_max_backlog, 1000 by default) or a
    /// device's TX completions, so a large group loses copies. The flag is
    /// clear during the window: a packet a softirq sends then is not ours.
    pub fn let_softirqs_run(&mut self) {
        // SAFETY: the pair of `try_begin` is undone and taken again, in the
        // same order. local_bh_enable (__local_bh_enable_ip, kernel/softirq.c,
        // 6.12) runs pending softirqs when it turns bottom halves on outside
        // interrupt context; its preconditions (not in hard IRQ, IRQs on)
        // are those of our Drop, in the same hook. Called from a softirq
        // (BH already off) it only lowers the count. The caller's
        // rcu_read_lock section may span it: softirqs run inline in the
        // window report no quiescent state (handle_softirqs calls
        // rcu_softirq_qs only in ksoftirqd, kernel/softirq.c), and the outer
        // reader stays held. Without
        // PREEMPT_RT we may migrate in the window; the flag is then set on
        // the CPU we continue on, where nobody else is mid fan-out (that
        // task would hold BH off, non-preemptible).
        unsafe {
            ffi::rmc_sending_copies_set(false);
            ffi::rmc_local_bh_enable();
            ffi::rmc_local_bh_disable();
            ffi::rmc_sending_copies_set(true);
        }
    }
}

impl Drop for SendingCopies {
    fn drop(&mut self) {
        // SAFETY: undoes `try_begin` (or the last `let_softirqs_run`) on the
        // CPU that set the flag: with BH off since, the task cannot migrate
        // (on PREEMPT_RT local_bh_disable disables migration).
        unsafe {
            ffi::rmc_sending_copies_set(false);
            ffi::rmc_local_bh_enable();
        }
    }
}

/// The module's netfilter hook at LOCAL_OUT, in each namespace whose
/// configuration needs it (hooks.rs).
#[no_mangle]
extern "C" fn rmc_hook_local_out(
    _priv: *mut c_void,
    skb: *mut ffi::SkBuff,
    state: *const ffi::NfHookState,
) -> c_uint {
    // SAFETY: netfilter calls the hook (nf_hook_slow or nf_reinject,
    // net/netfilter/, 6.12) with a valid skb it owns for the call and a
    // valid state, inside an RCU read-side section (`Net::of_hook`).
    unsafe { run_hook(skb, state, HookPoint::LocalOut) }
}

/// The module's netfilter hook for arriving packets (PRE_ROUTING or
/// LOCAL_IN, as the module's tables file says), where configured.
#[no_mangle]
extern "C" fn rmc_hook_arriving(
    _priv: *mut c_void,
    skb: *mut ffi::SkBuff,
    state: *const ffi::NfHookState,
) -> c_uint {
    // SAFETY: as in `rmc_hook_local_out`.
    unsafe { run_hook(skb, state, HookPoint::Arriving) }
}

/// # Safety
/// `skb` and `state` are what netfilter called a hook of ours with.
#[inline(always)]
unsafe fn run_hook(skb: *mut ffi::SkBuff, state: *const ffi::NfHookState, at: HookPoint) -> c_uint {
    use crate::mcast_shared::abi::verdict::{NF_ACCEPT, NF_STOLEN};
    // SAFETY: per the caller, the skb is netfilter's for the hook call.
    let Some(packet) = (unsafe { Packet::from_hook(skb) }) else {
        return NF_ACCEPT;
    };
    let Some(seen) = <crate::ModuleNetState as PacketHook>::look(at, &packet) else {
        return NF_ACCEPT;
    };
    // SAFETY: per the caller, `state` is the hook call's.
    let Some((net, ns)) = (unsafe { Net::of_hook(state) }) else {
        return NF_ACCEPT;
    };
    // SAFETY: this is a netfilter hook call, for its duration.
    let in_hook = unsafe { InHook::new() };
    match ns.hook(net, packet, seen, &in_hook) {
        Verdict::Accept => NF_ACCEPT,
        Verdict::Stolen => NF_STOLEN,
    }
}
