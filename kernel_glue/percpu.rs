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
    /// Zeroed counters.
    pub fn new() -> Result<Self> {
        // SAFETY: __alloc_percpu returns zeroed memory or NULL.
        let ptr = unsafe { ffi::rmc_percpu_alloc_u64(N as u32) };
        NonNull::new(ptr).map(|ptr| Counters { ptr }).ok_or(ENOMEM)
    }

    /// Adds `v` to counter `idx` of this CPU; out-of-range indexes are ignored.
    pub fn add(&self, idx: usize, v: u64) {
        if idx < N {
            // SAFETY: valid per-CPU allocation of N counters per the
            // invariant; this_cpu_add is safe in any context.
            unsafe { ffi::rmc_percpu_add(self.ptr.as_ptr(), idx as u32, v) }
        }
    }

    /// Every counter summed over all possible CPUs.
    pub fn totals(&self) -> [u64; N] {
        let mut out = [0u64; N];
        // SAFETY: cpumask iteration over possible CPUs; per_cpu_ptr of each
        // is valid for our allocation. Reads may race with adds (a count in
        // flight may be missed), never tear on 64-bit.
        unsafe {
            let nr = ffi::rmc_nr_cpu_ids() as i32;
            let mut cpu = ffi::rmc_next_possible_cpu(-1);
            while cpu >= 0 && cpu < nr {
                for (i, total) in out.iter_mut().enumerate() {
                    *total += ffi::rmc_percpu_read(self.ptr.as_ptr(), cpu, i as u32);
                }
                cpu = ffi::rmc_next_possible_cpu(cpu);
            }
        }
        out
    }
}

impl<const N: usize> Drop for Counters<N> {
    fn drop(&mut self) {
        // SAFETY: allocated by __alloc_percpu per the invariant, freed once.
        unsafe { ffi::rmc_percpu_free(self.ptr.as_ptr()) }
    }
}

// SAFETY: per-CPU adds and summed reads are safe from any CPU.
unsafe impl<const N: usize> Send for Counters<N> {}
// SAFETY: as above.
unsafe impl<const N: usize> Sync for Counters<N> {}
