// SPDX-License-Identifier: GPL-2.0
//! Per-CPU `u64` counters: exact on SMP, no shared cache line on the packet path.

use super::ffi;
use core::ptr::NonNull;
use kernel::prelude::*;

/// `N` counters per CPU.
///
/// # Invariants
/// `ptr` is a per-CPU allocation of `N` zeroed `u64`s, freed on drop.
pub struct Counters<const N: usize> {
    ptr: NonNull<u64>,
}

impl<const N: usize> Counters<N> {
    /// Zeroed counters, charged to the memory cgroup of the caller
    /// (`__GFP_ACCOUNT`).
    pub fn new() -> Result<Self> {
        // SAFETY: __alloc_percpu_gfp (mm/percpu.c, 6.12) returns zeroed
        // memory or NULL; it may sleep (GFP_KERNEL_ACCOUNT), and callers
        // are process context (netns init, netlink requests).
        let ptr = unsafe { ffi::rmc_percpu_alloc_u64(N as u32) };
        NonNull::new(ptr).map(|ptr| Counters { ptr }).ok_or(ENOMEM)
    }

    /// Adds `v` to counter `idx` of this CPU; out-of-range indexes are ignored.
    pub fn add(&self, idx: usize, v: u64) {
        if idx < N {
            // SAFETY: valid per-CPU allocation of N counters per the
            // invariant; this_cpu_add is safe in any context (it disables
            // preemption or interrupts as needed, percpu-defs.h, 6.12).
            unsafe { ffi::rmc_percpu_add(self.ptr.as_ptr(), idx as u32, v) }
        }
    }

    /// Every counter summed over all possible CPUs. The sum wraps like the
    /// counters themselves (a per-CPU counter that wrapped still adds up
    /// right modulo 2^64).
    pub fn totals(&self) -> [u64; N] {
        let mut out = [0u64; N];
        // SAFETY: cpumask_next over cpu_possible_mask yields possible CPUs
        // below nr_cpu_ids, and per_cpu_ptr of each is valid for our
        // allocation (include/linux/percpu-defs.h, 6.12). READ_ONCE reads
        // may race with this_cpu_add (a count in flight may be missed) but
        // never tear on 64-bit.
        unsafe {
            let nr = ffi::rmc_nr_cpu_ids() as i32;
            let mut cpu = ffi::rmc_next_possible_cpu(-1);
            while cpu >= 0 && cpu < nr {
                for (i, total) in out.iter_mut().enumerate() {
                    let v = ffi::rmc_percpu_read(self.ptr.as_ptr(), cpu, i as u32);
                    *total = total.wrapping_add(v);
                }
                cpu = ffi::rmc_next_possible_cpu(cpu);
            }
        }
        out
    }
}

impl<const N: usize> Drop for Counters<N> {
    fn drop(&mut self) {
        // SAFETY: allocated by __alloc_percpu_gfp per the invariant, freed
        // once. free_percpu may be called from atomic context (mm/percpu.c,
        // 6.12), which matters when an RCU callback drops the last user.
        unsafe { ffi::rmc_percpu_free(self.ptr.as_ptr()) }
    }
}

// SAFETY: per-CPU adds and summed reads are safe from any CPU.
unsafe impl<const N: usize> Send for Counters<N> {}
// SAFETY: as above.
unsafe impl<const N: usize> Sync for Counters<N> {}
