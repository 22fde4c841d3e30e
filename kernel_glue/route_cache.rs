// SPDX-License-Identifier: GPL-2.0
//! Each member's route, kept between datagrams: a copy borrows it, without
//! a reference, instead of a full lookup (`ip_route_me_harder`: the FIB walk
//! and IPsec's flow dissection per copy). docs/route-cache-design.md has the
//! reasoning against the 6.12 sources; `mcast_shared::route` decides, once
//! per datagram, when the cache may stand for a lookup, and when a looked-up
//! route replaces a cached one.

use super::ffi;
use super::netns::Net;
use super::rcu::InHook;
use super::skb::{OwnedPacket, Packet, SourceType};
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::route::{CopyRouting, RouteInputs, Stamp};
use core::ptr::NonNull;
use core::sync::atomic::{fence, AtomicPtr, AtomicU32, Ordering};
use kernel::bindings;
use kernel::prelude::*;

/// One member's cached route and the [`Stamp`] of its lookup (24 bytes a
/// member).
///
/// A sequence count keeps the three consistent: odd while a writer changes
/// them, so a reader that saw it even and unchanged around its reads read
/// what one writer stored. Writers only try (a loser does not store: a
/// later copy will), readers never wait.
///
/// # Invariants
/// A non-null `route` holds one reference on that route. A route taken out
/// of the slot keeps it until a grace period later ([`retire`]): a reader
/// inside its RCU read-side section may have loaded it, and the route's
/// other references may go away meanwhile without one (the FIB's per-CPU
/// cache drops its own with `dst_release_immediate` in
/// `rt_fibinfo_free_cpus`, net/ipv4/fib_semantics.c, 6.12).
pub struct RouteSlot {
    seq: AtomicU32,
    saddr: AtomicU32,
    at_ms: AtomicU32,
    route: AtomicPtr<ffi::DstEntry>,
}

impl Default for RouteSlot {
    fn default() -> Self {
        RouteSlot {
            seq: AtomicU32::new(0),
            saddr: AtomicU32::new(0),
            at_ms: AtomicU32::new(0),
            route: AtomicPtr::new(core::ptr::null_mut()),
        }
    }
}

/// What a reader found in a slot.
enum Held {
    /// A writer was storing: neither use nor replace.
    Busy,
    /// No route.
    Empty,
    /// A route and its stamp.
    Route(Stamp, NonNull<ffi::DstEntry>),
}

impl RouteSlot {
    fn read(&self) -> Held {
        let seq = self.seq.load(Ordering::Acquire);
        if seq & 1 != 0 {
            return Held::Busy;
        }
        let route = self.route.load(Ordering::Relaxed);
        let stamp = Stamp {
            saddr: self.saddr.load(Ordering::Relaxed),
            at_ms: self.at_ms.load(Ordering::Relaxed),
        };
        // Orders the reads above before the check below (a seqlock read).
        fence(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != seq {
            return Held::Busy;
        }
        match NonNull::new(route) {
            Some(route) => Held::Route(stamp, route),
            None => Held::Empty,
        }
    }

    /// Stores `route` (a copy's, which holds it) with `stamp`, unless
    /// another writer is storing now or there is no memory to retire the
    /// route the slot holds.
    fn store(&self, stamp: Stamp, route: NonNull<ffi::DstEntry>) {
        // Acquire: the route read next is the one stored with this count.
        let seq = self.seq.load(Ordering::Acquire);
        if seq & 1 != 0 {
            return;
        }
        // Allocated before taking the slot: no allocator inside its window.
        let retired = match NonNull::new(self.route.load(Ordering::Relaxed)) {
            Some(old) => match Retired::new(old) {
                Some(retired) => Some(retired),
                None => return,
            },
            None => None,
        };
        // Acquire: a try-lock, ordered after the previous writer's stores.
        // Success means no writer stored since `seq`: `retired` holds the
        // slot's current route.
        if self
            .seq
            .compare_exchange(
                seq,
                seq.wrapping_add(1),
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return;
        }
        // The odd count is visible before any of the stores below.
        fence(Ordering::Release);
        // SAFETY: `route` is the route of a copy that holds a reference on
        // it, so it is live; dst_hold_safe (include/net/dst.h, 6.12) takes
        // one of our own unless it is already being freed (then we store
        // none).
        let held = if unsafe { ffi::rmc_route_hold(route.as_ptr()) } {
            route.as_ptr()
        } else {
            core::ptr::null_mut()
        };
        self.route.store(held, Ordering::Relaxed);
        self.saddr.store(stamp.saddr, Ordering::Relaxed);
        self.at_ms.store(stamp.at_ms, Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
        if let Some(retired) = retired {
            retire(retired);
        }
    }
}

impl Drop for RouteSlot {
    fn drop(&mut self) {
        let route = *self.route.get_mut();
        if !route.is_null() {
            // SAFETY: the slot's own reference (type invariant), dropped
            // with the slot: a member list goes a grace period after the
            // last reader that could see it (rcu::RcuCell frees a replaced
            // table by call_rcu; pernet .exit runs after .pre_exit unhooked
            // and the core waited), so no reader still borrows it.
            unsafe { ffi::rmc_route_release(route) }
        }
    }
}

/// A route taken out of a slot, with the `rcu_head` that gives up the
/// slot's reference a grace period later. `head` is the first field of a
/// `repr(C)` struct, so a pointer to it is a pointer to the whole.
#[repr(C)]
struct Retired {
    head: bindings::callback_head,
    route: NonNull<ffi::DstEntry>,
}

impl Retired {
    fn new(route: NonNull<ffi::DstEntry>) -> Option<KBox<Retired>> {
        let retired = Retired {
            head: bindings::callback_head::default(),
            route,
        };
        // Any context (a hook); no emergency reserves (without memory the
        // slot stays as it is); not charged to the task that happens to run
        // the hook, and freed within a grace period.
        KBox::new(retired, GFP_NOWAIT | __GFP_NOWARN).ok()
    }
}

/// Gives up a retired route's reference a grace period from now.
fn retire(retired: KBox<Retired>) {
    let retired = KBox::into_raw(retired);
    // SAFETY: `retired` is a live allocation we give to the RCU core; it
    // calls `put_retired` once, after a full grace period (call_rcu,
    // kernel/rcu/tree.c, 6.12), which covers every reader that loaded the
    // route from the slot before it was replaced. The module's exit waits
    // for the callback (rcu::barrier) before its code goes away.
    unsafe { bindings::call_rcu(core::ptr::addr_of_mut!((*retired).head), Some(put_retired)) }
}

/// # Safety
/// `head` is the `head` of a `Retired` from `KBox::into_raw`, queued once by
/// [`retire`].
unsafe extern "C" fn put_retired(head: *mut bindings::callback_head) {
    // SAFETY: per the function contract `head` starts a whole Retired
    // (repr(C), first field) that only this callback frees.
    let retired = unsafe { KBox::from_raw(head.cast::<Retired>()) };
    // SAFETY: the reference the slot held on the route (RouteSlot
    // invariant), ours to drop now that no reader can still borrow it.
    unsafe { ffi::rmc_route_release(retired.route.as_ptr()) }
}

impl Packet<'_> {
    /// What routing its copies may depend on beyond their destinations
    /// (see [`RouteInputs`]), from a source `saddr` of type `source`, with
    /// the module's `refresh_ms`.
    pub fn route_inputs(
        &self,
        net: Net<'_>,
        source: SourceType,
        saddr: Ipv4,
        refresh_ms: u32,
    ) -> RouteInputs {
        // SAFETY: valid skb per the invariant, in LOCAL_OUT with a route
        // (see `Packet::source_type`); the helpers read skb->mark, the
        // l3mdev master of the route's device (l3mdev_master_ifindex takes
        // its own rcu_read_lock, include/net/l3mdev.h, 6.12), fields of a
        // namespace that is live for the hook with READ_ONCE, and jiffies.
        unsafe {
            RouteInputs {
                saddr: saddr.to_bits(),
                source_type: source.0,
                mark: ffi::rmc_skb_mark(self.as_ptr()),
                vrf: ffi::rmc_skb_route_l3mdev(self.as_ptr()),
                routes_by_ports: ffi::rmc_net_routes_by_ports(net.as_ptr()),
                multipath_by_neighbour: ffi::rmc_net_multipath_by_neighbour(net.as_ptr()),
                ipsec_on_output: ffi::rmc_net_ipsec_on_output(net.as_ptr()),
                now_ms: ffi::rmc_now_ms(),
                refresh_ms,
            }
        }
    }
}

/// How [`OwnedPacket::route_to_member`] routed a copy, or why it could not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Routed {
    /// By the member's cached route.
    Cached,
    /// By a full lookup.
    LookedUp,
    /// No route (or an error route) to the member.
    NoRoute,
    /// No memory for the link-layer headroom of the cached route's device.
    NoMemory,
}

impl OwnedPacket {
    /// Routes a copy to its (rewritten) destination, the member of `slot`:
    /// by the route the slot keeps when `routing` allows, its stamp serves
    /// ([`CacheUse::serves`](crate::mcast_shared::route::CacheUse::serves))
    /// and it is still valid; else by a full lookup
    /// ([`OwnedPacket::reroute`]), whose route the slot then keeps if it
    /// replaces what the slot holds (`CacheUse::replaces`).
    pub fn route_to_member(
        &mut self,
        net: Net<'_>,
        source: SourceType,
        routing: CopyRouting,
        slot: &RouteSlot,
        _in_hook: &InHook,
    ) -> Routed {
        let CopyRouting::Cached(cache) = routing else {
            return self.looked_up(net, source);
        };
        let held = slot.read();
        if let Held::Route(stamp, route) = held {
            // SAFETY: the slot held a reference on the route when we read
            // it, and a route taken out of it keeps that reference until a
            // grace period later (RouteSlot invariant): inside the hook's
            // RCU read-side section (`_in_hook`), which this copy's
            // ip_local_out also runs in, it is live. ipv4_dst_check
            // (net/ipv4/route.c, 6.12) only reads it.
            if cache.serves(stamp) && unsafe { ffi::rmc_route_still_valid(route.as_ptr()) } {
                // SAFETY: we own the valid skb. skb_dst_set_noref requires
                // the RCU read-side section it is used in (`_in_hook`), and
                // the route stays live through it (above); whatever keeps
                // the skb beyond it takes a reference first (skb_dst_force
                // in __dev_queue_xmit, __neigh_event_send, __nf_queue:
                // net/core/dev.c, neighbour.c, netfilter/nf_queue.c, 6.12),
                // as for TCP's borrowed routes (__ip_queue_xmit).
                // skb_cow_head may reallocate the copy's private head, as
                // ip_route_me_harder's pskb_expand_head does.
                return match unsafe { ffi::rmc_skb_borrow_route(self.as_ptr(), route.as_ptr()) } {
                    0 => Routed::Cached,
                    _ => Routed::NoMemory,
                };
            }
        }
        let routed = self.looked_up(net, source);
        let held = match held {
            Held::Busy => return routed,
            Held::Empty => None,
            Held::Route(stamp, _) => Some(stamp),
        };
        if routed == Routed::LookedUp && cache.replaces(held) {
            // SAFETY: we own the valid skb; skb_dst reads its route.
            let route = NonNull::new(unsafe { ffi::rmc_skb_route(self.as_ptr()) });
            // SAFETY: after a successful reroute the copy holds a reference
            // on its route (skb_dst_set in ip_route_me_harder, 6.12), which
            // rmc_route_keepable only reads (dst->error, dst_xfrm).
            if let Some(route) = route.filter(|r| unsafe { ffi::rmc_route_keepable(r.as_ptr()) }) {
                slot.store(cache.stamp(), route);
            }
        }
        routed
    }

    fn looked_up(&mut self, net: Net<'_>, source: SourceType) -> Routed {
        match self.reroute(net, source) {
            true => Routed::LookedUp,
            false => Routed::NoRoute,
        }
    }
}
