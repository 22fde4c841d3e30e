// SPDX-License-Identifier: GPL-2.0
//! The packet path: restore marked unicast copies to their group.

use crate::entries::ClientNet;
use crate::kernel_glue::module::{HookPoint, PacketHook, Verdict};
use crate::kernel_glue::netns::Net;
use crate::kernel_glue::rcu::InHook;
use crate::kernel_glue::skb::{Defrag, Packet};
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::genl::client::counter;
use crate::mcast_shared::igmp;
use crate::mcast_shared::packet::{
    self, Arrival, CsumFollowUp, CsumState, EntryKey, Ipv4Info, L4_HEADER_LEN, TOS_MARK,
};

impl PacketHook for ClientNet {
    /// The client looks at every packet with its state: for unmarked
    /// unicast it costs what an empty nftables chain at PRE_ROUTING costs,
    /// within a point (make bench's counted run).
    type Seen = HookPoint;

    fn look(at: HookPoint, _packet: &Packet<'_>) -> Option<HookPoint> {
        Some(at)
    }

    fn hook(
        &self,
        net: Net<'_>,
        mut packet: Packet<'_>,
        at: HookPoint,
        in_hook: &InHook,
    ) -> Verdict {
        if at == HookPoint::LocalOut {
            self.announce(net, &mut packet);
            return Verdict::Accept;
        }
        let Ok(info) = Ipv4Info::parse(packet.header()) else {
            return Verdict::Accept;
        };
        let marked_igmp = info.protocol == igmp::PROTO_IGMP && info.tos == TOS_MARK;
        if !info.is_carried_protocol() && !marked_igmp {
            return Verdict::Accept;
        }
        // With br_netfilter on (bridge-nf-call-iptables=1), frames crossing
        // a bridge of this host run through IPv4 PRE_ROUTING inside the
        // bridge. A frame for another host is left alone there (never
        // gathered, never restored: that host restores it); one for this
        // host (the bridge's own address) is handled there, once: when the
        // bridge passes it up, its PRE_ROUTING has run (br_netfilter's
        // ip_sabotage_in skips it, unless our hook comes first).
        if packet.crossed_bridge_netfilter()
            && (!packet.bridged() || packet.bridged_for_other_host())
        {
            return Verdict::Accept;
        }
        if marked_igmp {
            self.restore_query(&mut packet, &info);
            return Verdict::Accept;
        }
        // Only the first fragment carries the port: gather a marked
        // datagram from a configured sender first, then decide on the whole,
        // in the queue conntrack would use for it (bridged or routed, its
        // conntrack zone), as nf_defrag_ipv4 does.
        if info.tos == TOS_MARK && info.is_fragment() {
            if !self.knows_sender(info.saddr) {
                return Verdict::Accept;
            }
            self.counters.add(counter::FRAGMENTS, 1);
            packet = match packet.defragment(net) {
                Defrag::Whole(whole) => whole,
                Defrag::Taken => return Verdict::Stolen,
            };
        }
        // A short packet stays short; classify_arrival then says Malformed.
        // A long enough one that cannot be made linear is a failed
        // allocation, not a malformed packet: left alone, counted.
        let needed = info.header_len + L4_HEADER_LEN;
        if !packet.pull(needed) && packet.len_from_network() >= needed {
            if info.tos == TOS_MARK && self.knows_sender(info.saddr) {
                self.counters.add(counter::ALLOC_FAIL, 1);
            }
            return Verdict::Accept;
        }
        match packet::classify_arrival(packet.header()) {
            Arrival::Ignore | Arrival::MarkedFragment { .. } => {}
            Arrival::Unmarked { key } => {
                if self
                    .tables
                    .read_in_hook(in_hook, |t| t.lookup(key).is_some())
                {
                    self.counters.add(counter::UNMARKED, 1);
                }
            }
            Arrival::Malformed => {
                if self.knows_sender(info.saddr) {
                    self.counters.add(counter::MALFORMED, 1);
                }
            }
            Arrival::Marked { key } => self.restore(&mut packet, key, in_hook),
        }
        Verdict::Accept
    }
}

impl ClientNet {
    /// Whether `sender` has an entry: only its packets are gathered, and
    /// only its failures counted (anyone else's are none of our business).
    pub(crate) fn knows_sender(&self, sender: Ipv4) -> bool {
        self.tables.read(|t| t.has_sender(sender))
    }

    fn restore(&self, packet: &mut Packet<'_>, key: EntryKey, in_hook: &InHook) {
        self.tables.read_in_hook(in_hook, |t| {
            let Some(entry) = t.lookup(key) else {
                self.counters.add(counter::NO_ENTRY, 1);
                return;
            };
            let Ok(info) = Ipv4Info::parse(packet.header()) else {
                return;
            };
            let state = CsumState::from_ip_summed(packet.ip_summed());
            // The packet may be cloned (a tap holds it) or shared: unshare first.
            let Some(header) = packet.writable_header(info.rewrite_len()) else {
                self.counters.add(counter::ALLOC_FAIL, 1);
                return;
            };
            match packet::restore_group(header, entry.group, state) {
                Ok(follow_up) => {
                    if follow_up == CsumFollowUp::Downgrade {
                        packet.set_checksum_none();
                    }
                    let bytes = u64::from(info.total_len);
                    self.counters.add(counter::RX_PACKETS, 1);
                    self.counters.add(counter::RX_BYTES, bytes);
                    entry.counters.add(0, 1);
                    entry.counters.add(1, bytes);
                }
                Err(_) => self.counters.add(counter::MALFORMED, 1),
            }
        });
    }
}
