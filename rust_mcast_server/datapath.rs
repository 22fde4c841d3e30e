// SPDX-License-Identifier: GPL-2.0
//! The packet path: match a locally sent datagram to a group and send one
//! marked unicast copy per member. No lock, at most one payload copy.
//!
//! Copies are untracked, as nf_dup_ipv4 makes its copies: a copy is this
//! host's own replication of a datagram that conntrack already tracks (the
//! original, which continues), not a connection of its own. Tracking each
//! copy would put one conntrack entry per member flow on the sending host
//! (a stream to 1024 members: 1024 entries, each with its timeout), charged
//! to nobody, and would make stateful rulesets on the sender see a new
//! connection per member. Rules that must see the copies match them with
//! `ct state untracked` (docs/operators.md). The receiving hosts track what
//! arrives as usual.

use crate::groups::{group_key, route_refresh_ms, Group, ServerNet};
use crate::kernel_glue::module::{HookPoint, PacketHook, SendingCopies, Verdict};
use crate::kernel_glue::netns::Net;
use crate::kernel_glue::rcu::InHook;
use crate::kernel_glue::route_cache::{RouteSlot, Routed};
use crate::kernel_glue::skb::{OwnedPacket, Packet, SourceType};
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::genl::server::counter;
use crate::mcast_shared::packet::{self, CsumFollowUp, CsumState, Ipv4Info};
use crate::mcast_shared::route::{self, CopyRouting};

/// Copies sent between two chances for softirqs to drain what they filled
/// (a NAPI budget's worth, well under netdev_max_backlog).
const COPIES_PER_SOFTIRQ_WINDOW: usize = 64;

/// What the server's hook looks at.
pub(crate) enum Seen {
    /// A packet arriving for this host: learning reads it.
    Arriving,
    /// A datagram this host sends that the proxy may replicate.
    Candidate(Ipv4Info),
}

impl PacketHook for ServerNet {
    type Seen = Seen;

    /// Everything sent that is not a candidate (unicast, mostly) leaves
    /// here, before the namespace's state is looked up. Inline in the hook
    /// entry: with a call of its own, a unicast datagram cost 24
    /// instructions more (make bench).
    #[inline(always)]
    fn look(at: HookPoint, packet: &Packet<'_>) -> Option<Seen> {
        match at {
            HookPoint::Arriving => Some(Seen::Arriving),
            HookPoint::LocalOut => packet::server_candidate(packet.header()).map(Seen::Candidate),
        }
    }

    fn hook(&self, net: Net<'_>, mut packet: Packet<'_>, seen: Seen, in_hook: &InHook) -> Verdict {
        let info = match seen {
            Seen::Arriving => {
                self.learn_from(net, &mut packet);
                return Verdict::Accept;
            }
            Seen::Candidate(info) => info,
        };
        self.table
            .read_in_hook(in_hook, |table| match table.find(group_key(info.daddr)) {
                None => self.counters.add(counter::UNMATCHED, 1),
                Some(group) if group.members.is_empty() => {
                    self.counters.add(counter::NO_MEMBERS, 1)
                }
                Some(group) => {
                    // Our own copies come back through LOCAL_OUT: never
                    // replicate them. (They are unicast, so server_candidate
                    // stops them already; the guard also keeps bottom halves
                    // off for the fan-out, and costs only traffic that
                    // matched.) It turns them off before it reads its flag.
                    if let Some(mut sending) = SendingCopies::try_begin() {
                        self.fan_out(net, &mut packet, &info, group, &mut sending, in_hook);
                    }
                }
            });
        // The original continues: on a network that drops multicast nothing
        // is lost, and local listeners still get it through multicast loop.
        Verdict::Accept
    }
}

impl ServerNet {
    fn fan_out(
        &self,
        net: Net<'_>,
        packet: &mut Packet<'_>,
        info: &Ipv4Info,
        group: &Group,
        sending: &mut SendingCopies,
        in_hook: &InHook,
    ) {
        self.counters.add(counter::MATCHED, 1);
        // Checked once for the datagram, not once per member copy.
        let available = packet.len_from_network();
        if !packet::holds_rewrite_headers(info, available) {
            self.counters.add(counter::MALFORMED, 1);
            return;
        }
        // Every copy shares these header bytes: make them linear once.
        if !packet.pull(info.rewrite_len()) {
            self.counters.add(counter::ALLOC_FAIL, 1);
            return;
        }
        // A payload worth it is copied once, into pages every member's copy
        // references: each copy then copies only its headers (make bench:
        // the per-member payload copy was what made larger datagrams cost
        // more). Without memory for it, each copy takes the whole packet.
        let mut shared = copy_to_share(packet, info, available, group.members.len(), in_hook);
        let shared_view;
        let template: &Packet<'_> = match shared.as_mut() {
            Some(copy) => {
                shared_view = copy.as_packet();
                &shared_view
            }
            None => packet,
        };
        // Every copy has the original's source and route: how routing sees
        // that source is found once (a FIB lookup a copy saved).
        let source = template.source_type(net);
        // So is whether the members' cached routes may stand for lookups.
        let inputs = template.route_inputs(net, source, info.saddr, route_refresh_ms());
        let routing = route::copy_routing(&inputs);
        // Counted once for the datagram: four per-CPU additions a copy were
        // 2 % of a copy's time (make bench's profile).
        let (mut copies, mut bytes, mut by_cached_route) = (0u64, 0u64, 0u64);
        // Bounded: a member list never exceeds max_members.
        let members = group.members.iter().zip(group.routes.iter());
        for (tried, (&member, route)) in members.enumerate() {
            if tried > 0 && tried % COPIES_PER_SOFTIRQ_WINDOW == 0 {
                sending.let_softirqs_run();
            }
            let to = Destination {
                member,
                route,
                routing,
            };
            match send_copy(net, template, source, info, &to, in_hook) {
                Ok(sent) => {
                    copies += 1;
                    bytes += sent.bytes;
                    by_cached_route += u64::from(sent.by_cached_route);
                }
                // One member's failure costs only its own copy.
                Err(reason) => self.counters.add(reason, 1),
            }
        }
        if let Some(shared) = shared {
            shared.consume();
        }
        self.counters.add(counter::TX_PACKETS, copies);
        self.counters.add(counter::TX_BYTES, bytes);
        self.counters.add(counter::ROUTES_CACHED, by_cached_route);
        group.counters.add(0, copies);
        group.counters.add(1, bytes);
    }
}

/// The copy of a datagram (`available` bytes from its IP header on) whose
/// payload its `members` copies share, when that pays
/// ([`packet::payload_to_share`]) and memory allows.
fn copy_to_share(
    packet: &Packet<'_>,
    info: &Ipv4Info,
    available: usize,
    members: usize,
    in_hook: &InHook,
) -> Option<OwnedPacket> {
    let payload = packet::payload_to_share(info, available, members, packet.layout())?;
    let mut shared = packet.copy_sharing_payload(info.rewrite_len(), payload, in_hook)?;
    // Untracked once here, its copies inherit no conntrack reference to
    // take and drop again each.
    shared.set_untracked();
    Some(shared)
}

/// Where one copy goes: the member, its cached route, and whether that
/// may stand for a lookup for this datagram.
struct Destination<'a> {
    member: Ipv4,
    route: &'a RouteSlot,
    routing: CopyRouting,
}

/// A copy handed to the output path.
struct Sent {
    /// Its IP length.
    bytes: u64,
    /// Whether it took its member's cached route.
    by_cached_route: bool,
}

/// Sends one copy of `template` (the datagram, or its copy sharing the
/// payload) to `to`; what was sent, else the counter naming why it was
/// dropped.
fn send_copy(
    net: Net<'_>,
    template: &Packet<'_>,
    source: SourceType,
    info: &Ipv4Info,
    to: &Destination<'_>,
    in_hook: &InHook,
) -> Result<Sent, usize> {
    let mut copy = template.copy_headers().ok_or(counter::ALLOC_FAIL)?;
    {
        let mut view = copy.as_packet();
        let state = CsumState::from_ip_summed(view.ip_summed());
        let header = view
            .writable_header(info.rewrite_len())
            .ok_or(counter::ALLOC_FAIL)?;
        let follow_up =
            packet::rewrite_for_member(header, to.member, state).map_err(|_| counter::MALFORMED)?;
        if follow_up == CsumFollowUp::Downgrade {
            view.set_checksum_none();
        }
    }
    copy.set_untracked();
    let by_cached_route = match copy.route_to_member(net, source, to.routing, to.route, in_hook) {
        Routed::NoRoute => return Err(counter::ROUTE_FAIL),
        Routed::NoMemory => return Err(counter::ALLOC_FAIL),
        routed => routed == Routed::Cached,
    };
    if copy.routes_to_this_host() {
        return Err(counter::TO_LOCAL);
    }
    if copy.send(net) {
        Ok(Sent {
            bytes: u64::from(info.total_len),
            by_cached_route,
        })
    } else {
        Err(counter::XMIT_FAIL)
    }
}
