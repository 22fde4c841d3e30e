// SPDX-License-Identifier: GPL-2.0
//! A value read locklessly on the packet path and replaced whole by the
//! configuration path (read-copy-update).
//!
//! A replaced version is freed by `call_rcu` after a grace period, not by
//! waiting for one: a change runs under the generic netlink mutex (our
//! families are not `parallel_ops`), and a `synchronize_rcu` there would
//! stall every other non-parallel family of the host for a grace period
//! per change. The module calls [`barrier`] before its code goes away, so
//! no callback is left pointing into it.

use super::ffi;
use super::table::config_gfp;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::alloc::AllocError;
use kernel::bindings;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// One published version: the value and the `rcu_head` that frees it.
///
/// `head` is the first field of a `repr(C)` struct, so a pointer to it is
/// a pointer to the whole version.
#[repr(C)]
struct Version<T> {
    head: bindings::callback_head,
    value: KBox<T>,
}

/// Frees a version a grace period after it was replaced.
///
/// # Safety
/// `head` is the `head` of a `Version<T>` that came from `KBox::into_raw`,
/// queued by [`retire`] exactly once.
unsafe extern "C" fn free_version<T: Send>(head: *mut bindings::callback_head) {
    // SAFETY: per the function contract `head` starts a whole Version<T>
    // (repr(C), first field) that nobody else frees; the RCU core calls
    // this once, after every reader that could see it has finished.
    drop(unsafe { KBox::from_raw(head.cast::<Version<T>>()) });
}

/// Queues `old`, just unpublished, to be freed after a grace period.
///
/// # Safety
/// `old` came from `KBox::into_raw`, is no longer reachable from the cell,
/// and is retired only once.
unsafe fn retire<T: Send>(old: *mut Version<T>) {
    // SAFETY: `old` is a live version we own (function contract); call_rcu
    // (kernel/rcu/tree.c, 6.12) only links the head into this CPU's
    // callback list and calls `free_version::<T>` on it after a full grace
    // period, which covers every rcu_read_lock section that could have
    // loaded `old`. The head stays valid until then: only the callback
    // frees the version. The callback's code stays loaded: the module
    // calls rcu_barrier() in `barrier` before it goes away.
    unsafe {
        bindings::call_rcu(
            core::ptr::addr_of_mut!((*old).head),
            Some(free_version::<T>),
        )
    }
}

/// Waits until every version retired so far has been freed, and every
/// route a cache slot retired released (`rcu_barrier`). Called by the
/// module's unregistration, after the family and the namespaces are gone,
/// before the module text is freed.
pub fn barrier() {
    // SAFETY: rcu_barrier (kernel/rcu/tree.c, 6.12) may sleep and has no
    // other precondition; module exit runs in process context.
    unsafe { bindings::rcu_barrier() }
}

/// Readers see either the old or the new value, never a mix. Writers are
/// serialized by `writer`; a replaced value is freed only after every
/// reader that could still see it has finished (`call_rcu`).
///
/// # Invariants
/// `current` always points to a live `Version<T>` allocated by `KBox`,
/// replaced only while holding `writer`.
#[pin_data(PinnedDrop)]
pub struct RcuCell<T: Send> {
    #[pin]
    writer: Mutex<()>,
    current: AtomicPtr<Version<T>>,
}

fn version<T>(value: KBox<T>) -> Result<*mut Version<T>, AllocError> {
    let v = KBox::new(
        Version {
            head: bindings::callback_head::default(),
            value,
        },
        config_gfp(),
    )?;
    Ok(KBox::into_raw(v))
}

/// Proof that the code holding it runs inside a netfilter hook call, which
/// is an RCU read-side section of its caller's: nf_hook_slow, which runs
/// the hooks, must be called under rcu_read_lock (its comment in
/// net/netfilter/core.c; nf_hook() and NF_HOOK_LIST() in
/// include/linux/netfilter.h take it), and so must nf_reinject (its comment
/// in net/netfilter/nfnetlink_queue.c; 6.12). Reads under it need no
/// rcu_read_lock of their own: two calls less for every packet at the hook.
/// Not `Send`: it stays with the hook call that made it.
pub struct InHook(PhantomData<*mut ()>);

impl InHook {
    /// # Safety
    /// Only in a netfilter hook call, for no longer than the call.
    pub(crate) unsafe fn new() -> Self {
        InHook(PhantomData)
    }
}

impl<T: Send> RcuCell<T> {
    /// Calls `f` with the current value, inside the hook call's read-side
    /// section.
    pub fn read_in_hook<R>(&self, _in_hook: &InHook, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: as in `read`, with the hook's caller's rcu_read_lock
        // (see `InHook`) around the only use of the pointer.
        unsafe { f(&(*self.current.load(Ordering::Acquire)).value) }
    }

    /// A cell holding `initial` (ENOMEM if its first version cannot be
    /// allocated; `initial` is dropped then).
    pub fn new(initial: KBox<T>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            writer <- new_mutex!(()),
            current: AtomicPtr::new(version(initial)?),
        }? Error)
    }

    /// Calls `f` with the current value, without taking any lock.
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: rcu_read_lock/unlock (include/linux/rcupdate.h, 6.12)
        // pair around the only use of the pointer; a version unpublished
        // meanwhile is freed by call_rcu only after this read-side section
        // ends, and the current one only when the cell is dropped, which
        // needs `&mut` and so no reader.
        unsafe {
            ffi::rmc_rcu_read_lock();
            let version = &*self.current.load(Ordering::Acquire);
            let r = f(&version.value);
            ffi::rmc_rcu_read_unlock();
            r
        }
    }

    /// Replaces the value with the one `build` makes from the current one;
    /// `build` may sleep and allocate. On error nothing changes. Returns
    /// without waiting for readers: the old value is freed later.
    pub fn update<R, E: From<AllocError>>(
        &self,
        build: impl FnOnce(&T) -> core::result::Result<(KBox<T>, R), E>,
    ) -> core::result::Result<R, E> {
        let _guard = self.writer.lock();
        // SAFETY: only writers replace `current`, and we hold the writer
        // lock, so the version stays alive while we build from it.
        let old = unsafe { &*self.current.load(Ordering::Acquire) };
        let (new, result) = build(&old.value)?;
        let new = version(new)?;
        let old = self.current.swap(new, Ordering::AcqRel);
        // SAFETY: `old` came from KBox::into_raw (type invariant) and is
        // unreachable from the cell after the swap; only this writer saw
        // it leave, so it is retired once.
        unsafe { retire(old) };
        Ok(result)
    }
}

#[pinned_drop]
impl<T: Send> PinnedDrop for RcuCell<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `&mut self` means no reader holds the cell; its owner
        // (kernel_glue/netns.rs) drops it only a grace period after the
        // last hook that could read it (pernet .pre_exit unhooks, the core
        // waits, .exit drops). The pointer came from KBox::into_raw; older
        // versions are the RCU callbacks' to free.
        unsafe { drop(KBox::from_raw(self.current.load(Ordering::Acquire))) }
    }
}

// SAFETY: the cell hands out only shared references to `T` across threads
// and moves `T` values between threads when replacing them.
unsafe impl<T: Send + Sync> Sync for RcuCell<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Send for RcuCell<T> {}
