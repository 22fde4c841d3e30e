// SPDX-License-Identifier: GPL-2.0
//! Per-network-namespace state: created with each namespace (and for every
//! existing one at load), with the module's netfilter hook registered in it.

use super::ffi;
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use core::ptr::NonNull;
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

    fn slot(self) -> *mut *mut c_void {
        // SAFETY: live net per the type's invariant; the id belongs to our
        // registered pernet_operations, so net_generic returns our slot.
        unsafe { ffi::rmc_net_generic_slot(self.as_ptr(), ffi::rmc_module_net_id()) }
    }

    /// This module's state in this namespace.
    pub fn state(self) -> Option<&'a crate::ModuleNetState> {
        // SAFETY: the slot holds NULL or a pointer from KBox::into_raw set by
        // `init` below and cleared by `exit` only after the hook is gone and
        // no netlink operation can run in this namespace any more.
        unsafe { (*self.slot() as *const crate::ModuleNetState).as_ref() }
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
        return -22;
    };
    let state = match <crate::ModuleNetState as NetState>::new() {
        Ok(state) => state,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: the slot is ours (see `Net::state`); the state is pinned for
    // its whole life and only freed by `rmc_net_exit` or the error path.
    unsafe {
        *net.slot() = KBox::into_raw(Pin::into_inner_unchecked(state)) as *mut c_void;
        let err = ffi::rmc_nf_register_net_hook(net.as_ptr(), ffi::rmc_module_hook_ops());
        if err != 0 {
            drop(KBox::from_raw(*net.slot() as *mut crate::ModuleNetState));
            *net.slot() = core::ptr::null_mut();
        }
        err
    }
}

/// `pernet_operations.exit`: unhooks the namespace, then frees the state.
#[no_mangle]
extern "C" fn rmc_net_exit(raw: *mut ffi::Net) {
    // SAFETY: the kernel calls exit with the namespace init succeeded on.
    let Some(net) = (unsafe { Net::from_raw(raw) }) else {
        return;
    };
    // SAFETY: nf_unregister_net_hook waits (synchronize_net) until no CPU
    // runs our hook in this namespace; afterwards nothing can reach the
    // state, which came from KBox::into_raw in init.
    unsafe {
        ffi::rmc_nf_unregister_net_hook(net.as_ptr(), ffi::rmc_module_hook_ops());
        let state = *net.slot() as *mut crate::ModuleNetState;
        *net.slot() = core::ptr::null_mut();
        if !state.is_null() {
            drop(KBox::from_raw(state));
        }
    }
}
