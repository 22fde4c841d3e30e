// SPDX-License-Identifier: GPL-2.0
//! A value read locklessly on the packet path and replaced whole by the
//! configuration path (read-copy-update).

use super::ffi;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// Readers see either the old or the new value, never a mix. Writers are
/// serialized by `writer` and free a replaced value only after every reader
/// that could still see it has finished (`synchronize_rcu`).
///
/// # Invariants
/// `current` always points to a live value allocated by `KBox`, replaced
/// only while holding `writer`.
#[pin_data(PinnedDrop)]
pub struct RcuCell<T> {
    #[pin]
    writer: Mutex<()>,
    current: AtomicPtr<T>,
}

impl<T> RcuCell<T> {
    /// A cell holding `initial`.
    pub fn new(initial: KBox<T>) -> impl PinInit<Self> {
        pin_init!(Self {
            writer <- new_mutex!(()),
            current: AtomicPtr::new(KBox::into_raw(initial)),
        })
    }

    /// Calls `f` with the current value, without taking any lock.
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: rcu_read_lock/unlock pair around the only use of the
        // pointer; the pointee is freed only after synchronize_rcu, which
        // waits for this read-side section to end.
        unsafe {
            ffi::rmc_rcu_read_lock();
            let value = &*self.current.load(Ordering::Acquire);
            let r = f(value);
            ffi::rmc_rcu_read_unlock();
            r
        }
    }

    /// Replaces the value with the one `build` makes from the current one;
    /// `build` may sleep and allocate. On error nothing changes.
    pub fn update<R, E>(
        &self,
        build: impl FnOnce(&T) -> core::result::Result<(KBox<T>, R), E>,
    ) -> core::result::Result<R, E> {
        let _guard = self.writer.lock();
        // SAFETY: only writers replace `current`, and we hold the writer
        // lock, so the value stays alive until we swap it out below.
        let old = unsafe { &*self.current.load(Ordering::Acquire) };
        let (new, result) = build(old)?;
        let old = self.current.swap(KBox::into_raw(new), Ordering::AcqRel);
        // SAFETY: after synchronize_rcu no reader can hold `old` any more; it
        // came from KBox::into_raw and is freed exactly once, here.
        unsafe {
            ffi::rmc_synchronize_rcu();
            drop(KBox::from_raw(old));
        }
        Ok(result)
    }
}

#[pinned_drop]
impl<T> PinnedDrop for RcuCell<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: dropping the cell means no reader or writer can reach it
        // any more (its hooks and families are unregistered first); the
        // pointer came from KBox::into_raw.
        unsafe {
            ffi::rmc_synchronize_rcu();
            drop(KBox::from_raw(self.current.load(Ordering::Acquire)));
        }
    }
}

// SAFETY: the cell hands out only shared references to `T` across threads
// and moves `T` values between threads when replacing them.
unsafe impl<T: Send + Sync> Sync for RcuCell<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Send for RcuCell<T> {}
