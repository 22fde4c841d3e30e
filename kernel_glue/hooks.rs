// SPDX-License-Identifier: GPL-2.0
//! Which of the module's two netfilter hooks are registered in a namespace:
//! only those its configuration needs. A namespace without configuration
//! (or without learning, or announcing) passes none of our hooks at all,
//! so its traffic pays nothing for the module being loaded.
//!
//! Registration follows the configuration: a change registers the hooks its
//! new table needs before the table is published ([`Hooks::add`]: a
//! failure leaves the change undone), and after it unregisters them all
//! once the namespace has no configuration left ([`Hooks::remove_all`]: a
//! hook stays while anything is configured, e.g. LOCAL_IN after learning
//! was switched off, so ordinary changes never toggle one). Both run in
//! netlink operations, which generic netlink serialises (our families are
//! not `parallel_ops`), and never in the same namespace as its `.pre_exit`
//! (which calls [`Hooks::remove_all`] too): a dying namespace has no
//! sockets, and at unload the family is unregistered before the
//! namespaces' state.
//!
//! What a toggle does to others' packets (net/netfilter/core.c, 6.12):
//! unregistering flushes the namespace's NFQUEUE'd packets
//! (`nf_queue_nf_hook_drop`), and registering shifts the hook indexes that
//! queued packets resume at (`nf_reinject`), as an nftables base chain
//! coming or going does; a new hook goes before others of the same
//! priority (`nf_hook_entries_grow`), so our place among hooks that share
//! ours (NF_IP_PRI_FIRST; the server's LOCAL_IN FILTER + 1) follows the
//! order they were registered in.

use super::ffi;
use super::netns::Net;
use crate::mcast_shared::error::ConfigError;
use core::sync::atomic::{AtomicU8, Ordering};
use kernel::error::code::E2BIG;

/// A set of the module's hooks (`rmc_hook_ops` in module_tables.h).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct HookSet {
    /// LOCAL_OUT (`rmc_hook_ops[0]`).
    pub local_out: bool,
    /// The arriving packets' hook (`rmc_hook_ops[1]`: the client's
    /// PRE_ROUTING, the server's LOCAL_IN).
    pub arriving: bool,
}

impl HookSet {
    fn bits(self) -> u8 {
        u8::from(self.local_out) | u8::from(self.arriving) << 1
    }
}

/// Index in `rmc_hook_ops` of each bit of [`HookSet::bits`].
const OPS: [(u8, u32); 2] = [(1, 0), (2, 1)];

/// The hooks registered in one namespace (part of its state).
#[derive(Default)]
pub struct Hooks {
    registered: AtomicU8,
}

impl Hooks {
    /// Registers the hooks of `wanted` that are not registered yet; on an
    /// error, those it registered are unregistered again. Errors: the
    /// hook point is full (`E2BIG`: 1024 hooks), or no memory (for our
    /// static IPv4 ops nf_register_net_hook has no other failure).
    pub fn add(&self, net: Net<'_>, wanted: HookSet) -> Result<(), ConfigError> {
        let had = self.registered.load(Ordering::Relaxed);
        let mut now = had;
        for (bit, index) in OPS {
            if wanted.bits() & bit == 0 || now & bit != 0 {
                continue;
            }
            // SAFETY: live net (the operation's); index names one of our
            // static hook ops (they outlive every registration), not
            // registered in this namespace (our bit is clear, and only we
            // set it). nf_register_net_hook (net/netfilter/core.c, 6.12)
            // sleeps (nf_hook_mutex, kvzalloc with GFP_KERNEL_ACCOUNT: the
            // requester's cgroup pays; nf_static_key_inc takes
            // cpus_read_lock and jump_label_mutex): we are in a netlink
            // operation, process context, holding no spinlock.
            let err = unsafe { ffi::rmc_module_register_hook(net.as_ptr(), index) };
            if err != 0 {
                self.registered.store(now, Ordering::Relaxed);
                self.unregister(net, now & !had);
                return Err(if err == E2BIG.to_errno() {
                    ConfigError::HooksFull
                } else {
                    ConfigError::OutOfMemory
                });
            }
            now |= bit;
        }
        self.registered.store(now, Ordering::Relaxed);
        Ok(())
    }

    /// Unregisters every hook (the configuration is empty, or `.pre_exit`).
    pub fn remove_all(&self, net: Net<'_>) {
        self.unregister(net, self.registered.load(Ordering::Relaxed));
    }

    /// Whether any hook is registered.
    pub fn any(&self) -> bool {
        self.registered.load(Ordering::Relaxed) != 0
    }

    fn unregister(&self, net: Net<'_>, bits: u8) {
        for (bit, index) in OPS {
            if bits & bit == 0 {
                continue;
            }
            // SAFETY: live net; the hook is registered in it (its bit is
            // set, by `add` after nf_register_net_hook succeeded).
            // nf_unregister_net_hook (net/netfilter/core.c, 6.12) sleeps
            // (nf_hook_mutex; process context: a netlink operation or
            // `.pre_exit`), flushes the namespace's NFQUEUE'd packets (see
            // the module comment) and frees the old hook array with
            // call_rcu, without waiting: a CPU still inside our hook may
            // finish it, reading the namespace's state, which lives until
            // `.exit`, a grace period after `.pre_exit`.
            unsafe { ffi::rmc_module_unregister_hook(net.as_ptr(), index) };
            self.registered.fetch_and(!bit, Ordering::Relaxed);
        }
    }
}
