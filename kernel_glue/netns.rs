// SPDX-License-Identifier: GPL-2.0
//! Per-network-namespace state: created with each namespace (and for every
//! existing one at load), with its periodic work (timers of IGMP learning
//! and announcing) and the module's netfilter hooks its configuration
//! needs (none at first: hooks.rs).
//!
//! Teardown is in two steps, as nf_tables does it: `.pre_exit` unhooks the
//! namespace, the core then waits one grace period for all the namespaces
//! and modules it tears down together (`ops_undo_list` in
//! net/core/net_namespace.c, 6.12), and `.exit` frees the state. So no
//! module waits for a grace period of its own per namespace.
//!
//! The work is cancelled in both steps: in `.pre_exit`, so a dying
//! namespace stops sending, and again in `.exit`, after the grace period,
//! because a hook still running during it may have kicked the work again.
//! `cancel_delayed_work_sync` also stops a work that queues itself again.

use super::ffi;
use super::hooks::Hooks;
use crate::mcast_shared::addr::Ipv4;
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::code::EINVAL;
use kernel::prelude::*;

/// A network namespace, valid for the callback it was handed to.
#[derive(Clone, Copy)]
pub struct Net<'a> {
    ptr: NonNull<ffi::Net>,
    _life: PhantomData<&'a ffi::Net>,
}

impl<'a> Net<'a> {
    /// # Safety
    /// `ptr` must be a live `struct net` for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut ffi::Net) -> Option<Net<'a>> {
        NonNull::new(ptr).map(|ptr| Net {
            ptr,
            _life: PhantomData,
        })
    }

    pub(crate) fn as_ptr(self) -> *mut ffi::Net {
        self.ptr.as_ptr()
    }

    /// The module's slot in this namespace (an acquire load, as the hooks'
    /// `rmc_module_hook_state_slot`: init or exit may write it on another
    /// CPU).
    fn slot(self) -> *mut crate::ModuleNetState {
        // SAFETY: live net per the type's invariant; the id belongs to our
        // registered pernet_operations, whose `.size` is struct rmc_pernet,
        // whose first field is the state pointer (static_assert in
        // helpers.c), so net_generic (include/net/netns/generic.h, 6.12)
        // returns our slot.
        unsafe { ffi::rmc_net_slot_read(self.as_ptr(), ffi::rmc_module_net_id()).cast() }
    }

    /// Sets the module's slot (a release store: the state is initialised
    /// before any CPU can see the pointer).
    ///
    /// # Safety
    /// Only `.init` and `.exit` of our pernet_operations write the slot.
    unsafe fn set_slot(self, state: *mut crate::ModuleNetState) {
        // SAFETY: as in `slot`; the caller is init or exit.
        unsafe {
            ffi::rmc_net_slot_write(
                self.as_ptr(),
                ffi::rmc_module_net_id(),
                state.cast::<c_void>(),
            )
        }
    }

    /// Runs the namespace's work now ([`NetState::tick`]), even if it was
    /// due later. Any context (`mod_delayed_work`).
    pub fn kick_work(self) {
        // SAFETY: live net per the type's invariant, so init ran on it and
        // initialised its work (rmc_module_work_init before the slot was
        // set, and no state is reachable before that). mod_delayed_work
        // (kernel/workqueue.c, 6.12) may be called from any context.
        unsafe { ffi::rmc_module_work_kick(self.as_ptr()) }
    }

    /// Runs the namespace's work in `ms` milliseconds, unless it is
    /// pending already (`queue_delayed_work`).
    pub fn work_later(self, ms: u32) {
        // SAFETY: as in `kick_work`; queue_delayed_work (kernel/workqueue.c,
        // 6.12) does nothing when the work is pending.
        unsafe { ffi::rmc_module_work_later(self.as_ptr(), ms) }
    }

    /// The source address routing picks toward `daddr`, if there is a route.
    pub fn route_source(self, daddr: Ipv4) -> Option<Ipv4> {
        // SAFETY: live net per the type's invariant; ip_route_output_key
        // (net/ipv4/route.c, 6.12) may be called from any context under its
        // own RCU read lock; the helper drops the route it got.
        let bits = unsafe { ffi::rmc_route_source(self.as_ptr(), u32::from_ne_bytes(daddr.0)) };
        Some(Ipv4(bits.to_ne_bytes())).filter(|a| *a != Ipv4::UNSPECIFIED)
    }

    /// Whether one of this namespace's devices has joined `group` (the
    /// IGMP stack's membership lists).
    pub fn has_joined(self, group: Ipv4) -> bool {
        // SAFETY: live net per the type's invariant; the helper walks the
        // devices (for_each_netdev_rcu) and each in_device's mc_list under
        // rcu_read_lock, as igmp.c's readers do (net/ipv4/igmp.c, 6.12).
        unsafe { ffi::rmc_net_joined_group(self.as_ptr(), u32::from_ne_bytes(group.0)) }
    }

    /// Whether `addr` is one of this namespace's own addresses
    /// (`inet_addr_type` says `RTN_LOCAL`).
    pub fn is_local_address(self, addr: Ipv4) -> bool {
        // SAFETY: live net per the type's invariant; inet_addr_type
        // (net/ipv4/fib_frontend.c, 6.12) looks the address up in the
        // local table under its own rcu_read_lock, from any context.
        unsafe { ffi::rmc_addr_is_local(self.as_ptr(), u32::from_ne_bytes(addr.0)) }
    }

    /// The namespace a netfilter hook was called in, and this module's
    /// state there: both with one call, as the hooks run for every packet
    /// at their points.
    ///
    /// # Safety
    /// `state` must be the valid `nf_hook_state` a netfilter hook of this
    /// module was called with, for `'a` (the hook call).
    pub(crate) unsafe fn of_hook(
        state: *const ffi::NfHookState,
    ) -> Option<(Net<'a>, &'a crate::ModuleNetState)> {
        let mut net = core::ptr::null_mut();
        // SAFETY: per the caller, `state` is valid for the hook call. Every
        // caller of a hook runs it inside an RCU read-side section, from the
        // hook list of `state->net` itself (see `InHook`), so that net is
        // live for the call. The id is our registered pernet_operations', as
        // in `slot`.
        let slot = unsafe { ffi::rmc_module_hook_state_slot(state, &mut net) };
        // SAFETY: `net` is live for `'a`, as said above (never NULL: nf_hook()
        // dereferenced it before building the state).
        let net = unsafe { Net::from_raw(net) }?;
        // SAFETY: the slot holds NULL or the state `rmc_net_init` set before
        // any hook was registered (hooks.rs). Our hooks leave the namespace
        // in `rmc_net_pre_exit`; ops_undo_list() (net/core/net_namespace.c,
        // 6.12) then waits a grace period before `.exit` frees the state.
        // This reader found our hook in the namespace's list, so that grace
        // period waits for it: the state outlives `'a`.
        let ns = unsafe { slot.cast::<crate::ModuleNetState>().as_ref() }?;
        Some((net, ns))
    }

    /// This module's state in this namespace.
    pub fn state(self) -> Option<&'a crate::ModuleNetState> {
        // SAFETY: the slot holds NULL or a pointer from KBox::into_raw set
        // by `rmc_net_init` below. `rmc_net_exit` frees it only after
        // `rmc_net_pre_exit` unhooked the namespace and the core waited a
        // grace period, and when no netlink operation can run in the
        // namespace any more (see there).
        // Callers hold `'a` inside a hook call or a netlink operation.
        unsafe { self.slot().as_ref() }
    }
}

/// The per-namespace state a module keeps (its tables and counters).
pub trait NetState: Sized + Send + Sync {
    /// The state for a new namespace.
    fn new() -> Result<Pin<KBox<Self>>>;

    /// The namespace's periodic work, in process context, never twice at
    /// once. Returns in how many milliseconds to run again (`None`: when
    /// kicked, see [`Net::kick_work`]).
    fn tick(&self, net: Net<'_>) -> Option<u32>;

    /// The hooks registered in the namespace.
    fn hooks(&self) -> &Hooks;
}

/// The work of one namespace (`rmc_work_fn` in module_tables.h calls it).
#[no_mangle]
extern "C" fn rmc_net_work(raw: *mut ffi::Net) {
    // SAFETY: the work belongs to a live namespace: `.exit` cancels it
    // (cancel_delayed_work_sync waits for a running one) before the
    // namespace and its state go.
    let Some(net) = (unsafe { Net::from_raw(raw) }) else {
        return;
    };
    // A namespace being dismantled (a hook kicked the work during the
    // grace period after .pre_exit) sends nothing more.
    // SAFETY: live net (above); check_net reads its refcount
    // (include/net/net_namespace.h, 6.12).
    if !unsafe { ffi::rmc_net_alive(net.as_ptr()) } {
        return;
    }
    if let Some(ms) = net.state().and_then(|state| state.tick(net)) {
        net.work_later(ms);
    }
}

/// `pernet_operations.init`: allocates the state and publishes it. No hook
/// yet: the namespace has no configuration.
#[no_mangle]
extern "C" fn rmc_net_init(raw: *mut ffi::Net) -> c_int {
    // SAFETY: the kernel calls init with a live namespace.
    let Some(net) = (unsafe { Net::from_raw(raw) }) else {
        return EINVAL.to_errno();
    };
    let state = match <crate::ModuleNetState as NetState>::new() {
        Ok(state) => state,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: the state is pinned for its whole life and freed only by
    // `rmc_net_exit`.
    let state = KBox::into_raw(unsafe { Pin::into_inner_unchecked(state) });
    // SAFETY: we are init: the work is initialised before anything can
    // reach the state and kick it (INIT_DELAYED_WORK, include/linux/
    // workqueue.h); the slot is ours (see `Net::slot`).
    unsafe {
        ffi::rmc_module_work_init(net.as_ptr());
        net.set_slot(state);
    }
    0
}

/// `pernet_operations.pre_exit`: unhooks the namespace. The core runs one
/// grace period after every `.pre_exit` before any `.exit`.
#[no_mangle]
extern "C" fn rmc_net_pre_exit(raw: *mut ffi::Net) {
    // SAFETY: the kernel calls pre_exit with a namespace init succeeded on.
    let Some(net) = (unsafe { Net::from_raw(raw) }) else {
        return;
    };
    // The hooks its configuration registered go (CPUs already inside one
    // may still run it until the grace period the core waits for next).
    if let Some(state) = net.state() {
        state.hooks().remove_all(net);
    }
    // SAFETY: init succeeded, so it set the work up; then the work stops
    // (see the module comment).
    unsafe { ffi::rmc_module_work_cancel(net.as_ptr()) };
}

/// `pernet_operations.exit`: frees the state, a grace period after
/// `.pre_exit` unhooked the namespace.
#[no_mangle]
extern "C" fn rmc_net_exit(raw: *mut ffi::Net) {
    // SAFETY: the kernel calls exit with a namespace init succeeded on.
    let Some(net) = (unsafe { Net::from_raw(raw) }) else {
        return;
    };
    let state = net.slot();
    if state.is_null() {
        return;
    }
    // SAFETY: not freed yet (below); `.pre_exit` ran.
    if unsafe { &*state }.hooks().any() {
        pr_warn!("a namespace's hook outlived .pre_exit\n");
    }
    // SAFETY: init succeeded (the slot is set), so the work was set up; a
    // hook that ran during the grace period may have kicked it: cancelled
    // for good now, since nothing can kick it any more.
    unsafe { ffi::rmc_module_work_cancel(net.as_ptr()) };
    // SAFETY: ops_undo_list (net/core/net_namespace.c, 6.12) calls every
    // .pre_exit, then synchronize_rcu(_expedited), then every .exit: our
    // hook was unregistered in pre_exit and every CPU that was running it
    // (inside an RCU read-side section, as netfilter hooks run) has left
    // it. No netlink operation can run: a dying namespace has no sockets
    // left (each holds a reference on it), and at module unload the family
    // was unregistered first (genl_unregister_family waits for running
    // operations; a dump in progress holds the module).
    // The state came from KBox::into_raw in init and is freed once (the
    // slot is cleared first).
    unsafe {
        net.set_slot(core::ptr::null_mut());
        drop(KBox::from_raw(state));
    }
}
