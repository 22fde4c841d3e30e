// SPDX-License-Identifier: GPL-2.0
//! Socket buffers as the hooks see them: a borrowed packet, and owned copies.

use super::ffi;
use super::netns::Net;
use super::rcu::InHook;
use crate::mcast_shared::abi::{checksum, xmit};
use crate::mcast_shared::packet::SkbLayout;
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
    /// stay valid (not freed or stolen elsewhere) for `'a`. Its network
    /// header is set: the modules register NFPROTO_IPV4 hooks only, and
    /// every call site of those resets it or reads `ip_hdr()` before the
    /// hook (`raw_send_hdrinc` resets it; `__ip_local_out`, `ip_rcv_core`,
    /// `ip_local_deliver` and br_netfilter's `br_validate_ipv4` read it;
    /// net/ipv4, net/bridge, 6.12).
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

    /// The routing type of the packet's source address, as
    /// `ip_route_me_harder` finds it for each packet it is not told it for
    /// (a lookup in the local table of its route's device, VRF's included):
    /// found once, as of the fan-out's start, for a datagram's copies, which
    /// share the source address and the route it is looked up by.
    pub fn source_type(&self, net: Net<'_>) -> SourceType {
        // SAFETY: valid skb per the invariant; in LOCAL_OUT it has an IPv4
        // header and a route: __ip_local_out (net/ipv4/ip_output.c, 6.12)
        // passes skb_dst_dev(skb) to the hook itself, its callers
        // (raw_send_hdrinc, vrf_ip_local_out, ...) set the route first, and
        // a copy carries the original's (skb_dst_copy), with or without a
        // reference but valid inside the hook's RCU read-side section.
        // inet_addr_type_dev_table (net/ipv4/fib_frontend.c) only reads,
        // under its own rcu_read_lock; `net` is live for the hook.
        SourceType(unsafe { ffi::rmc_skb_source_type(net.as_ptr(), self.as_ptr()) })
    }

    /// What the packet says of its layout beyond its bytes (GSO,
    /// encapsulation, a checksum left to the device), for
    /// [`packet::payload_to_share`](crate::mcast_shared::packet::payload_to_share).
    pub fn layout(&self) -> SkbLayout {
        let partial = self.ip_summed() == checksum::PARTIAL;
        // SAFETY: valid skb per the invariant; the helpers read its shared
        // info (skb_is_gso), a flag, and its checksum offsets
        // (skb_checksum_start_offset, include/linux/skbuff.h, 6.12).
        unsafe {
            SkbLayout {
                gso: ffi::rmc_skb_is_gso(self.as_ptr()),
                encapsulated: ffi::rmc_skb_encapsulation(self.as_ptr()),
                partial_csum_end: partial
                    .then(|| ffi::rmc_skb_partial_csum_end(self.as_ptr()))
                    .and_then(|end| usize::try_from(end).ok()),
            }
        }
    }

    /// A copy made once per datagram for its copies to share the payload:
    /// its first `header_len` bytes from the network header in a small head
    /// of their own, the `payload_len` bytes after them copied once into
    /// pages marked shared, and the header fields (`skb_copy_header`, as
    /// `pskb_copy` copies them). Its own [`Packet::copy_headers`] then
    /// copies only the head and takes a reference on each page. The header
    /// offsets it copies stay right only when every header the output path
    /// reads lies in the head: the caller checks [`Packet::layout`].
    pub fn copy_sharing_payload(
        &self,
        header_len: usize,
        payload_len: usize,
        _in_hook: &InHook,
    ) -> Option<OwnedPacket> {
        use crate::mcast_shared::abi::shared_payload::{CHUNK, MAX_CHUNKS};
        if payload_len > CHUNK * MAX_CHUNKS {
            return None;
        }
        // SAFETY: valid skb per the invariant; reads its network header offset.
        let head_len = unsafe { ffi::rmc_skb_network_offset(self.as_ptr()) } as usize + header_len;
        let head_len_c = u32::try_from(head_len).ok()?;
        // SAFETY: valid skb per the invariant; rmc_skb_copy_prefix reads it
        // (skb_copy_bits, skb_copy_header: net/core/skbuff.c, 6.12) into a
        // new skb with the same headroom, so the header offsets it copies
        // (relative to skb->head) point at the same bytes, and returns it
        // for us to own, or NULL. Its dst is the original's, with a
        // reference or, as the original's may be, without one
        // (SKB_DST_NOREF): then valid only inside the hook's RCU read-side
        // section, which the copy and its copies do not outlive, as
        // `copy_headers` copies do not.
        let copy = NonNull::new(unsafe { ffi::rmc_skb_copy_prefix(self.as_ptr(), head_len_c) })
            .map(|ptr| OwnedPacket { ptr })?;
        // The copy borrows the original's route in place of the reference
        // skb_copy_header took: its own copies then inherit a borrowed one,
        // with no reference each to take and to drop when they are routed.
        // SAFETY: valid skb per the invariant; skb_dst reads its route.
        if let Some(route) = NonNull::new(unsafe { ffi::rmc_skb_route(self.as_ptr()) }) {
            // SAFETY: we own `copy`. The original holds its route (or, as
            // said above, borrows it within the RCU section) for the whole
            // hook call, `_in_hook` proves that section, and the copy and
            // its copies do not outlive it unless the output path gives
            // them a reference first (see `route_cache::route_to_member`);
            // the headroom is the original's, so skb_cow_head normally
            // changes nothing (on failure each copy takes the whole packet).
            if unsafe { ffi::rmc_skb_borrow_route(copy.ptr.as_ptr(), route.as_ptr()) } != 0 {
                return None;
            }
        }
        // Bounded: at most MAX_CHUNKS pages (checked above).
        for (index, start) in (0..payload_len).step_by(CHUNK).enumerate() {
            let len = CHUNK.min(payload_len - start);
            // SAFETY: we own `copy`, a valid skb with `index` fragments so
            // far, fewer than MAX_SKB_FRAGS (static_assert in helpers.c);
            // skb_add_rx_frag gives it the page, which it frees with it
            // (dropping `copy` on failure), and skb_copy_bits reads `self`,
            // valid per the invariant, from the offset after the headers.
            let appended = unsafe {
                ffi::rmc_skb_append_page_copy(
                    copy.ptr.as_ptr(),
                    index as u32,
                    self.as_ptr(),
                    (head_len + start) as i32,
                    len as u32,
                )
            };
            if !appended {
                return None;
            }
        }
        Some(copy)
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

/// A packet's source address type (`RTN_*`), as [`Packet::source_type`]
/// found it, for [`OwnedPacket::reroute`].
#[derive(Clone, Copy)]
pub struct SourceType(pub(super) core::ffi::c_uint);

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

    /// The raw pointer, for the glue only.
    pub(super) fn as_ptr(&self) -> *mut ffi::SkBuff {
        self.ptr.as_ptr()
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

    /// Routes the packet for its (new) destination, from a source of the
    /// type [`Packet::source_type`] found for it. True on success.
    pub fn reroute(&mut self, net: Net<'_>, source: SourceType) -> bool {
        // SAFETY: we own a valid, private skb per the invariant (not
        // shared, as the pskb_expand_head in ip_route_me_harder requires),
        // with the route the original had (skb_dst_copy), which
        // ip_route_me_harder (net/ipv4/netfilter.c, 6.12) reads and replaces
        // (on an error it may leave none: the caller then only frees the
        // copy); `source` is inet_addr_type_dev_table's answer for that
        // route's device and this source address (`source_type`), which
        // ip_route_me_harder would otherwise compute itself; `net` is live
        // for the hook.
        unsafe { ffi::rmc_route_me_harder(net.as_ptr(), self.ptr.as_ptr(), source.0) == 0 }
    }

    /// After [`OwnedPacket::reroute`]: whether the route delivers locally.
    pub fn routes_to_this_host(&self) -> bool {
        // SAFETY: owned valid skb with a route attached by a successful reroute.
        unsafe { ffi::rmc_skb_route_is_local(self.ptr.as_ptr()) }
    }

    /// Frees a packet that served its purpose (`consume_skb`: not a drop,
    /// so drop monitors do not count it).
    pub fn consume(self) {
        let ptr = self.ptr.as_ptr();
        core::mem::forget(self);
        // SAFETY: we own `ptr` and give it up here (forgotten above, so the
        // drop does not free it again).
        unsafe { ffi::rmc_consume_skb(ptr) }
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
