// SPDX-License-Identifier: GPL-2.0
//! Announcing the host's memberships to the senders (issue 16). The host's
//! own IGMP reports and leaves for a group with announcing entries go, as
//! marked unicast copies, to those entries' senders, which learn members
//! from them. Marked queries from a configured sender are restored to
//! 224.0.0.1, so the host's IGMP stack answers them. The namespace's work
//! repeats the host's memberships every announce interval, so a sender
//! whose module was reloaded learns them back.

use crate::entries::{announce_interval_s, Announce, ClientNet};
use crate::kernel_glue::module::now_ms;
use crate::kernel_glue::netns::Net;
use crate::kernel_glue::skb::{OwnedPacket, Packet};
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::genl::client::counter;
use crate::mcast_shared::igmp::{self, Membership};
use crate::mcast_shared::packet::{Ipv4Info, TOS_MARK, TTL_FLOOR};
use core::sync::atomic::Ordering;

/// Most senders one report is announced to (a stack array); the rest are
/// counted as failed announcements.
const MAX_SENDERS: usize = 32;

/// Distinct senders, in the order first seen.
struct Senders {
    list: [Ipv4; MAX_SENDERS],
    len: usize,
    overflow: u64,
}

impl Senders {
    fn new() -> Senders {
        Senders {
            list: [Ipv4::UNSPECIFIED; MAX_SENDERS],
            len: 0,
            overflow: 0,
        }
    }

    fn insert(&mut self, sender: Ipv4) {
        if self.as_slice().contains(&sender) {
            return;
        }
        match self.list.get_mut(self.len) {
            Some(slot) => {
                *slot = sender;
                self.len += 1;
            }
            None => self.overflow += 1,
        }
    }

    fn as_slice(&self) -> &[Ipv4] {
        &self.list[..self.len]
    }
}

fn group_key(group: Ipv4) -> u64 {
    u64::from(group.to_bits())
}

impl ClientNet {
    /// LOCAL_OUT: one of the host's IGMP reports or leaves. Its groups with
    /// announcing entries remember what the host said, and each of their
    /// senders gets one marked copy of the whole packet.
    pub(crate) fn announce(&self, net: Net<'_>, packet: &mut Packet<'_>) {
        let Ok(info) = Ipv4Info::parse(packet.header()) else {
            return;
        };
        // Our own marked copies and the senders' queries are unicast.
        if info.protocol != igmp::PROTO_IGMP || !info.daddr.is_multicast() || info.is_fragment() {
            return;
        }
        if self.tables.read(|t| t.announce.entries().is_empty())
            || !packet.pull(usize::from(info.total_len))
        {
            return;
        }
        let mut senders = Senders::new();
        let Some(message) = igmp::igmp_message(packet.header()) else {
            return;
        };
        self.tables.read(|t| {
            // A report that does not parse is the host's own business.
            let _ = igmp::parse_report(message, |group, membership| {
                let Some(a) = t.announce.find(group_key(group)) else {
                    return;
                };
                remember(a, membership, info.saddr);
                for &s in a.senders.iter() {
                    senders.insert(s);
                }
            });
        });
        self.counters.add(counter::ANNOUNCE_FAIL, senders.overflow);
        for &sender in senders.as_slice() {
            let sent = send_marked_copy(net, packet, info.header_len, sender);
            self.count_announcement(sent);
        }
    }

    /// PRE_ROUTING: a marked IGMP packet. A query from a configured sender
    /// is restored for the host's IGMP stack; anything else is left alone.
    pub(crate) fn restore_query(&self, packet: &mut Packet<'_>, info: &Ipv4Info) {
        if info.is_fragment()
            || !self.knows_sender(info.saddr)
            || !packet.pull(usize::from(info.total_len))
        {
            return;
        }
        if !igmp::igmp_message(packet.header()).is_some_and(igmp::is_query) {
            return;
        }
        let Some(header) = packet.writable_header(info.header_len) else {
            self.counters.add(counter::ALLOC_FAIL, 1);
            return;
        };
        if igmp::restore_query(header).is_ok() {
            self.counters.add(counter::IGMP_QUERIES, 1);
        }
    }

    /// The namespace's work: tells each announcing group's senders again
    /// that the host is a member, while it is.
    pub(crate) fn reannounce(&self, net: Net<'_>) -> Option<u32> {
        let groups = self.tables.read(|t| t.announce.entries().len());
        let interval_ms = u64::from(announce_interval_s()) * 1000;
        for i in 0..groups {
            let mut senders = Senders::new();
            let Some((group, source)) = self.tables.read(|t| {
                let a = t.announce.entries().get(i)?;
                let spoke = a.host.last_report_ms.load(Ordering::Relaxed);
                // Silent for half an interval, or the host's own report
                // (maybe a leave on its way) is the news.
                if !a.host.joined.load(Ordering::Relaxed) || now_ms() < spoke + interval_ms / 2 {
                    return None;
                }
                for &s in a.senders.iter() {
                    senders.insert(s);
                }
                Some((
                    a.group,
                    Ipv4(a.host.source.load(Ordering::Relaxed).to_ne_bytes()),
                ))
            }) else {
                continue;
            };
            self.counters.add(counter::ANNOUNCE_FAIL, senders.overflow);
            for &sender in senders.as_slice() {
                let sent = send_report(net, source, sender, group);
                self.count_announcement(sent);
            }
        }
        (groups > 0).then_some(announce_interval_s() * 1000)
    }

    fn count_announcement(&self, sent: bool) {
        if sent {
            self.counters.add(counter::IGMP_ANNOUNCED, 1);
        } else {
            self.counters.add(counter::ANNOUNCE_FAIL, 1);
        }
    }
}

/// What the host said about a group: joined or left (a BLOCK changes
/// nothing the sender cannot ask again), and from which address.
fn remember(a: &Announce, membership: Membership, source: Ipv4) {
    match membership {
        Membership::Joined => a.host.joined.store(true, Ordering::Relaxed),
        Membership::Left => a.host.joined.store(false, Ordering::Relaxed),
        Membership::Blocked => {}
    }
    a.host
        .source
        .store(u32::from_ne_bytes(source.0), Ordering::Relaxed);
    a.host.last_report_ms.store(now_ms(), Ordering::Relaxed);
}

/// A copy of the host's IGMP packet, marked for `sender`, untracked as the
/// server's copies are.
fn send_marked_copy(net: Net<'_>, packet: &Packet<'_>, header_len: usize, sender: Ipv4) -> bool {
    let Some(mut copy) = packet.copy_headers() else {
        return false;
    };
    {
        let mut view = copy.as_packet();
        let Some(header) = view.writable_header(header_len) else {
            return false;
        };
        if igmp::mark_for_sender(header, sender).is_err() {
            return false;
        }
    }
    copy.set_untracked();
    copy.reroute(net) && !copy.routes_to_this_host() && copy.send(net)
}

/// A re-announcement: an IGMPv3 report "is a member of `group`" from
/// `source`, marked for `sender`.
fn send_report(net: Net<'_>, source: Ipv4, sender: Ipv4, group: Ipv4) -> bool {
    let mut report = [0u8; 16];
    let Some(len) = igmp::report_v3(&[group], &mut report) else {
        return false;
    };
    let Some(header) = igmp::ip_header(source, sender, TOS_MARK, TTL_FLOOR, len) else {
        return false;
    };
    OwnedPacket::send_new(net, &header, &report[..len])
}
