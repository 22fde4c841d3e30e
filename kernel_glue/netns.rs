// SPDX-License-Identifier: GPL-2.0
//! Per-network-namespace state: created with each namespace (and for every
//! existing one at load), with the module's netfilter hook registered in it.
//!
//! Teardown is in two steps, as nf_tables does it: `.pre_exit` unhooks the
//! namespace, the core then waits one grace period for all the namespaces
//! and modules it tears down together (`ops_undo_list` in
//! net/core/net_namespace.c, 6.12), and `.exit` frees the state. So no
//! module waits for a grace period of its own per namespace.

use super::ffi;
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

    /// The module's slot in this namespace (an acquire load: the hook reads
    /// it while init or exit may write it on another CPU).
    fn slot(self) -> *mut crate::ModuleNetState {
        // SAFETY: live net per the type's invariant; the id belongs to our
        // registered pernet_operations, whose `.size` is one pointer, so
        // net_generic (include/net/netns/generic.h, 6.12) returns our slot.
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
}

/// `pernet_operations.init`: allocates the state, then hooks the namespace.
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
    // `rmc_net_exit` or the error path below.
    let state = KBox::into_raw(unsafe { Pin::into_inner_unchecked(state) });
    // SAFETY: we are init; the slot is ours (see `Net::slot`).
    unsafe { net.set_slot(state) };
    // SAFETY: live net; our static hook ops (nf_register_net_hook,
    // net/netfilter/core.c, 6.12).
    let err = unsafe { ffi::rmc_nf_register_net_hook(net.as_ptr(), ffi::rmc_module_hook_ops()) };
    if err != 0 {
        // SAFETY: the hook was never registered, so no reader ever saw the
        // state; it came from KBox::into_raw just above.
        unsafe {
            net.set_slot(core::ptr::null_mut());
            drop(KBox::from_raw(state));
        }
    }
    err
}

/// `pernet_operations.pre_exit`: unhooks the namespace. The core runs one
/// grace period after every `.pre_exit` before any `.exit`.
#[no_mangle]
extern "C" fn rmc_net_pre_exit(raw: *mut ffi::Net) {
    // SAFETY: the kernel calls pre_exit with a namespace init succeeded on.
    let Some(net) = (unsafe { Net::from_raw(raw) }) else {
        return;
    };
    // SAFETY: init registered our hook in this namespace (it succeeded);
    // nf_unregister_net_hook (net/netfilter/core.c, 6.12) removes it and
    // frees the old hook array with call_rcu: CPUs already inside the hook
    // may still run it until the grace period the core waits for next.
    unsafe { ffi::rmc_nf_unregister_net_hook(net.as_ptr(), ffi::rmc_module_hook_ops()) };
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
