// SPDX-License-Identifier: GPL-2.0
//! Socket buffers as the hooks see them: a borrowed packet, and owned copies.

use super::ffi;
use super::netns::Net;
use crate::mcast_shared::abi::xmit;
use core::ptr::NonNull;

/// A packet borrowed from a netfilter hook for the duration of the call.
///
/// # Invariants
/// `ptr` is a valid `sk_buff` with its network header set, owned by the
/// caller of the hook for at least `'a`.
pub struct Packet<'a> {
    ptr: NonNull<ffi::SkBuff>,
    _life: core::marker::PhantomData<&'a mut ffi::SkBuff>,
}

impl<'a> Packet<'a> {
    /// # Safety
    /// `skb` must be the valid packet a netfilter hook was called with, and
    /// stay valid (not freed or stolen elsewhere) for `'a`.
    pub unsafe fn from_hook(skb: *mut ffi::SkBuff) -> Option<Packet<'a>> {
        NonNull::new(skb).map(|ptr| Packet {
            ptr,
            _life: core::marker::PhantomData,
        })
    }

    /// The raw pointer, for the glue only.
    pub(crate) fn as_ptr(&self) -> *mut ffi::SkBuff {
        self.ptr.as_ptr()
    }

    /// The linear bytes from the IPv4 header on.
    pub fn header(&self) -> &[u8] {
        let mut len: core::ffi::c_uint = 0;
        // SAFETY: per the invariant the skb is valid; the network header and
        // the linear bytes after it (to skb_tail_pointer, as the helper
        // counts them) lie inside its head buffer, which cannot change while
        // we hold `&self` (changes need `&mut self`).
        unsafe {
            let start = ffi::rmc_skb_network_bytes(self.as_ptr(), &mut len);
            core::slice::from_raw_parts(start, len as usize)
        }
    }

    /// Bytes of the packet from the network header on, linear or not.
    pub fn len_from_network(&self) -> usize {
        // SAFETY: valid skb per the invariant; reads skb->len and the
        // network header offset.
        unsafe { ffi::rmc_skb_len_from_network(self.as_ptr()) as usize }
    }

    /// Whether br_netfilter is running this frame through the IPv4 hooks
    /// on its way across a bridge (`nf_bridge_in_prerouting`): a frame for
    /// another host, not for this one.
    pub fn bridged(&self) -> bool {
        // SAFETY: valid skb per the invariant; reads its nf_bridge extension
        // (include/linux/netfilter_bridge.h, 6.12).
        unsafe { ffi::rmc_skb_bridged_prerouting(self.as_ptr()) }
    }

    /// Whether br_netfilter ran this frame through a bridge's PRE_ROUTING:
    /// now ([`Packet::bridged`]) or before the bridge passed it up to this
    /// host's IP stack.
    pub fn crossed_bridge_netfilter(&self) -> bool {
        // SAFETY: valid skb per the invariant; reads its nf_bridge extension
        // (include/linux/netfilter_bridge.h, 6.12).
        unsafe { ffi::rmc_skb_has_nf_bridge(self.as_ptr()) }
    }

    /// In a bridge's PRE_ROUTING ([`Packet::bridged`]): whether the frame
    /// is addressed to another host's link-layer address, not the bridge's
    /// (br_netfilter shows it to the IPv4 hooks as `PACKET_HOST` and keeps
    /// the truth in `nf_bridge->pkt_otherhost`).
    pub fn bridged_for_other_host(&self) -> bool {
        // SAFETY: valid skb per the invariant; reads its nf_bridge extension
        // (include/linux/skbuff.h, net/bridge/br_netfilter_hooks.c, 6.12).
        unsafe { ffi::rmc_skb_bridged_for_other_host(self.as_ptr()) }
    }

    /// The conntrack zone of the packet's conntrack entry or template
    /// (default zone if none), as nf_defrag_ipv4 reads it. The client runs
    /// first in PRE_ROUTING, as nf_defrag_ipv4 does (-400), so a zone
    /// template the raw table sets later (-300) is not attached yet; what
    /// counts is a zone attached before the stack (tc `act_ct`, OVS).
    pub fn conntrack_zone(&self) -> u16 {
        // SAFETY: valid skb per the invariant; nf_ct_get only reads
        // skb->_nfct (include/net/netfilter/nf_conntrack.h, 6.12) and the
        // entry it points to, which the skb holds a reference on.
        unsafe { ffi::rmc_skb_ct_zone_id(self.as_ptr()) }
    }

    /// At LOCAL_IN: whether the packet was routed to this host as unicast
    /// (its route is `RTN_LOCAL`, not multicast or broadcast).
    pub fn routed_to_this_host(&self) -> bool {
        // SAFETY: valid skb per the invariant; after routing (LOCAL_IN) it
        // holds its input route, and skb_rtable reads it (include/net/
        // route.h, 6.12).
        unsafe { ffi::rmc_skb_route_is_local(self.as_ptr()) }
    }

    /// Makes at least `len` bytes from the network header linear. False if
    /// the packet is shorter or memory ran out.
    pub fn pull(&mut self, len: usize) -> bool {
        // SAFETY: valid skb per the invariant; pskb_may_pull may reallocate
        // the head, which is why it takes `&mut self` (no slice outlives it).
        unsafe { ffi::rmc_skb_may_pull_network(self.as_ptr(), len as u32) }
    }

    /// Makes the first `len` bytes from the network header private and
    /// writable (the packet may be cloned or shared) and returns them.
    pub fn writable_header(&mut self, len: usize) -> Option<&mut [u8]> {
        // SAFETY: valid skb per the invariant; skb_ensure_writable unshares
        // the head and makes `len` bytes linear, so the returned slice is
        // ours alone until the next call that takes `&mut self`.
        unsafe {
            if ffi::rmc_skb_ensure_writable_network(self.as_ptr(), len as u32) != 0 {
                return None;
            }
            Some(core::slice::from_raw_parts_mut(
                ffi::rmc_skb_network_header(self.as_ptr()),
                len,
            ))
        }
    }

    /// `skb->ip_summed`.
    pub fn ip_summed(&self) -> u8 {
        // SAFETY: valid skb per the invariant; a plain field read.
        unsafe { ffi::rmc_skb_ip_summed(self.as_ptr()) }
    }

    /// Marks the transport checksum for software verification.
    pub fn set_checksum_none(&mut self) {
        // SAFETY: valid skb per the invariant; a plain field write.
        unsafe { ffi::rmc_skb_set_checksum_none(self.as_ptr()) }
    }

    /// A private copy of the headers sharing the payload (`pskb_copy`).
    pub fn copy_headers(&self) -> Option<OwnedPacket> {
        // SAFETY: valid skb per the invariant; pskb_copy returns a new skb
        // we own, or NULL.
        NonNull::new(unsafe { ffi::rmc_pskb_copy_atomic(self.as_ptr()) })
            .map(|ptr| OwnedPacket { ptr })
    }

    /// Gathers the fragments of this datagram (`ip_defrag`) in the queue
    /// conntrack uses for it, as nf_defrag_ipv4 picks it: its conntrack
    /// zone's, among bridged frames (`IP_DEFRAG_CONNTRACK_BRIDGE_IN`) when
    /// br_netfilter runs it through PRE_ROUTING on a bridge, else among
    /// routed ones (`IP_DEFRAG_CONNTRACK_IN`). `Whole` when this packet now
    /// holds the reassembled datagram; `Taken` when the kernel kept the
    /// fragment (the hook must return NF_STOLEN).
    pub fn defragment(self, net: Net<'_>) -> Defrag<'a> {
        let zone = self.conntrack_zone();
        // SAFETY: the helpers return two enum ip_defrag_users constants.
        let user = unsafe {
            if self.bridged() {
                ffi::rmc_defrag_user_bridged()
            } else {
                ffi::rmc_defrag_user_routed()
            }
        };
        // SAFETY: valid skb per the invariant, which the hook owns; on a
        // non-zero return ip_defrag (net/ipv4/ip_fragment.c, 6.12) has
        // queued or freed it and we give up the borrow by consuming `self`.
        match unsafe { ffi::rmc_ip_defrag(net.as_ptr(), self.as_ptr(), user, zone) } {
            0 => Defrag::Whole(self),
            _ => Defrag::Taken,
        }
    }
}

/// Outcome of [`Packet::defragment`].
pub enum Defrag<'a> {
    /// The whole datagram, in the same packet.
    Whole(Packet<'a>),
    /// The fragment is queued (or dropped) by the kernel.
    Taken,
}

/// A packet we own; freed on drop unless handed to the output path.
///
/// # Invariants
/// `ptr` is a valid `sk_buff` owned by this value alone.
pub struct OwnedPacket {
    ptr: NonNull<ffi::SkBuff>,
}

impl OwnedPacket {
    /// A new IPv4 packet of `len` zeroed bytes from its network header,
    /// for the module to fill (IGMP queries and announcements).
    pub fn new(len: usize) -> Option<OwnedPacket> {
        let len = u32::try_from(len).ok()?;
        // SAFETY: alloc_skb with GFP_ATOMIC (any context); the helper
        // reserves link-layer headroom, sets the network header and puts
        // `len` zeroed bytes; a non-NULL result is a valid skb we own.
        NonNull::new(unsafe { ffi::rmc_alloc_packet(len) }).map(|ptr| OwnedPacket { ptr })
    }

    /// Routes a packet built by [`OwnedPacket::new`] by its IP header's
    /// destination and source (which must be this host's). True on success.
    pub fn route_by_header(&mut self, net: Net<'_>) -> bool {
        // SAFETY: we own a valid skb with an IPv4 header at its network
        // header; ip_route_output_key (net/ipv4/route.c, 6.12) refuses a
        // source that is not local, skb_dst_set takes the route's reference.
        unsafe { ffi::rmc_route_output(net.as_ptr(), self.ptr.as_ptr()) == 0 }
    }

    /// Builds `header` then `payload` into a new packet and sends it,
    /// untracked, by the route its header names (IGMP queries and
    /// re-announcements). True if the output path accepted it.
    pub fn send_new(net: Net<'_>, header: &[u8], payload: &[u8]) -> bool {
        let len = header.len() + payload.len();
        let Some(mut packet) = OwnedPacket::new(len) else {
            return false;
        };
        {
            let mut view = packet.as_packet();
            let Some(bytes) = view.writable_header(len) else {
                return false;
            };
            bytes[..header.len()].copy_from_slice(header);
            bytes[header.len()..].copy_from_slice(payload);
        }
        packet.set_untracked();
        packet.route_by_header(net) && packet.send(net)
    }

    /// Borrows it as a [`Packet`] for header access.
    pub fn as_packet(&mut self) -> Packet<'_> {
        Packet {
            ptr: self.ptr,
            _life: core::marker::PhantomData,
        }
    }

    /// Forgets the conntrack state copied from the original and marks the
    /// copy untracked, as nf_dup_ipv4 does: the copy creates no conntrack
    /// entry of its own on this host (see `rust_mcast_server/datapath.rs`).
    pub fn set_untracked(&mut self) {
        // SAFETY: we own a valid skb per the invariant; nf_reset_ct drops
        // its reference on the original's entry, nf_ct_set stores the
        // untracked marker (include/net/netfilter/nf_conntrack.h, 6.12).
        unsafe { ffi::rmc_skb_set_untracked(self.ptr.as_ptr()) }
    }

    /// Routes the packet for its (new) destination. True on success.
    pub fn reroute(&mut self, net: Net<'_>) -> bool {
        // SAFETY: we own a valid skb per the invariant; `net` is live for the hook.
        unsafe { ffi::rmc_route_me_harder(net.as_ptr(), self.ptr.as_ptr()) == 0 }
    }

    /// After [`OwnedPacket::reroute`]: whether the route delivers locally.
    pub fn routes_to_this_host(&self) -> bool {
        // SAFETY: owned valid skb with a route attached by a successful reroute.
        unsafe { ffi::rmc_skb_route_is_local(self.ptr.as_ptr()) }
    }

    /// Hands the packet to `ip_local_out`, which consumes it whatever the
    /// outcome. True if it was accepted for transmission.
    pub fn send(self, net: Net<'_>) -> bool {
        let ptr = self.ptr.as_ptr();
        core::mem::forget(self);
        // SAFETY: we own `ptr` and give it up here (forgotten above, so it is
        // not freed twice); ip_local_out consumes it on every path.
        let ret = unsafe { ffi::rmc_ip_local_out(net.as_ptr(), ptr) };
        // A negative errno or NET_XMIT_DROP failed; NET_XMIT_CN was queued.
        ret == xmit::NET_XMIT_SUCCESS || ret == xmit::NET_XMIT_CN
    }
}

impl Drop for OwnedPacket {
    fn drop(&mut self) {
        // SAFETY: we own the valid skb per the invariant and free it once.
        unsafe { ffi::rmc_kfree_skb(self.ptr.as_ptr()) }
    }
}
