// SPDX-License-Identifier: GPL-2.0
//! Announcing the host's memberships to the senders (issue 16). When the
//! host's IGMP stack reports (joins, leaves, answers a query) for groups
//! with announcing entries, each of those entries' senders gets one marked
//! unicast IGMPv3 report of its own groups, from the host's address toward
//! it: what the host said, nothing about groups that sender does not serve,
//! built here rather than copied (no Router Alert option, which multicast
//! routers on the path would take for themselves; never larger than the
//! groups of one sender). Marked queries from a configured sender are
//! restored to 224.0.0.1, so the host's IGMP stack answers them. The
//! namespace's work repeats every group the host has joined (the IGMP
//! stack's own lists) every announce interval, so a sender whose module was
//! reloaded learns its members back.

use crate::entries::{announce_interval_s, ClientNet};
use crate::kernel_glue::module::now_ms;
use crate::kernel_glue::netns::Net;
use crate::kernel_glue::skb::{OwnedPacket, Packet};
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::genl::client::counter;
use crate::mcast_shared::igmp::{self, Membership};
use crate::mcast_shared::packet::{Ipv4Info, TOS_MARK, TTL_FLOOR};
use core::sync::atomic::Ordering;

/// Most announcing groups one host report is relayed for, and most senders
/// it goes to (stack arrays); the rest count as failed announcements.
const MAX_RECORDS: usize = 32;
const MAX_SENDERS: usize = 32;
/// What fills the unused slots of a record list.
const NO_RECORD: (Ipv4, Membership) = (Ipv4::UNSPECIFIED, Membership::Left);

/// Up to N distinct values, in the order first seen; the rest are counted.
struct Few<T, const N: usize> {
    list: [T; N],
    len: usize,
    overflow: u64,
}

impl<T: Copy + PartialEq, const N: usize> Few<T, N> {
    fn new(fill: T) -> Self {
        Few {
            list: [fill; N],
            len: 0,
            overflow: 0,
        }
    }

    fn insert(&mut self, value: T) {
        if self.as_slice().contains(&value) {
            return;
        }
        match self.list.get_mut(self.len) {
            Some(slot) => {
                *slot = value;
                self.len += 1;
            }
            None => self.overflow += 1,
        }
    }

    fn as_slice(&self) -> &[T] {
        &self.list[..self.len]
    }
}

fn group_key(group: Ipv4) -> u64 {
    u64::from(group.to_bits())
}

impl ClientNet {
    /// LOCAL_OUT: one of the host's IGMP reports or leaves (to a multicast
    /// address; our own announcements and the senders' queries are
    /// unicast). Each sender of its announcing groups gets their records.
    pub(crate) fn announce(&self, net: Net<'_>, packet: &mut Packet<'_>) {
        let Ok(info) = Ipv4Info::parse(packet.header()) else {
            return;
        };
        if info.protocol != igmp::PROTO_IGMP || !info.daddr.is_multicast() || info.is_fragment() {
            return;
        }
        if self.tables.read(|t| t.announce.entries().is_empty())
            || !packet.pull(usize::from(info.total_len))
        {
            return;
        }
        let Some(message) = igmp::igmp_message(packet.header()) else {
            return;
        };
        let mut said = Few::<(Ipv4, Membership), MAX_RECORDS>::new(NO_RECORD);
        let mut senders = Few::<Ipv4, MAX_SENDERS>::new(Ipv4::UNSPECIFIED);
        let now = now_ms();
        self.tables.read(|t| {
            // A report that does not parse is the host's own business.
            let _ = igmp::parse_report(message, |group, membership| {
                let Some(a) = t.announce.find(group_key(group)) else {
                    return;
                };
                a.host.last_ms.store(now, Ordering::Relaxed);
                said.insert((group, membership));
                for &s in a.senders.iter() {
                    senders.insert(s);
                }
            });
        });
        self.counters
            .add(counter::ANNOUNCE_FAIL, said.overflow + senders.overflow);
        for &sender in senders.as_slice() {
            let sent = self.tables.read(|t| {
                let mut records = Few::<(Ipv4, Membership), MAX_RECORDS>::new(NO_RECORD);
                for &(group, membership) in said.as_slice() {
                    if t.announce
                        .find(group_key(group))
                        .is_some_and(|a| a.senders.contains(&sender))
                    {
                        records.insert((group, membership));
                    }
                }
                records
            });
            self.count_announcement(send_report(net, sender, sent.as_slice()));
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
    /// that the host is a member, while the IGMP stack says it is and the
    /// host itself has been silent about it for half an interval (else its
    /// own report, maybe a leave on its way, is the news).
    pub(crate) fn reannounce(&self, net: Net<'_>) -> Option<u32> {
        let interval_ms = u64::from(announce_interval_s()) * 1000;
        let groups = self.tables.read(|t| t.announce.entries().len());
        for i in 0..groups {
            let mut senders = Few::<Ipv4, MAX_SENDERS>::new(Ipv4::UNSPECIFIED);
            let Some(group) = self.tables.read(|t| {
                let a = t.announce.entries().get(i)?;
                if now_ms() < a.host.last_ms.load(Ordering::Relaxed) + interval_ms / 2 {
                    return None;
                }
                for &s in a.senders.iter() {
                    senders.insert(s);
                }
                Some(a.group)
            }) else {
                continue;
            };
            if !net.has_joined(group) {
                continue;
            }
            self.counters.add(counter::ANNOUNCE_FAIL, senders.overflow);
            for &sender in senders.as_slice() {
                let sent = send_report(net, sender, &[(group, Membership::Joined)]);
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

/// A marked IGMPv3 report of `records` to `sender`, from this host's
/// address toward it (the address the sender learns and sends copies to).
fn send_report(net: Net<'_>, sender: Ipv4, records: &[(Ipv4, Membership)]) -> bool {
    let mut report = [0u8; 8 + 8 * MAX_RECORDS];
    let Some(len) = igmp::report_v3(records, &mut report) else {
        return false;
    };
    let Some(source) = net.route_source(sender) else {
        return false;
    };
    let Some(header) = igmp::ip_header(source, sender, TOS_MARK, TTL_FLOOR, len) else {
        return false;
    };
    OwnedPacket::send_new(net, &header, &report[..len])
}
