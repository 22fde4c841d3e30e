// SPDX-License-Identifier: GPL-2.0
//! Members learned from IGMP (issue 16). A receiver's client module sends
//! the host's IGMP reports here as marked unicast copies; a group with
//! learn prefixes adds the sources inside them as members, drops them on a
//! leave, and lets them expire when no report comes within the learn
//! timeout. The namespace's work queries the learned members every query
//! interval, so their hosts report again while they stay members.
//!
//! The packet path (LOCAL_IN, after the host's filter table and the
//! reverse-path check of routing) checks a report and moves a known
//! member's deadline on (no allocation, no lock but the queue's); the work,
//! in process context, applies the changes to the table the way a netlink
//! change does, and sends the queries.

use crate::groups::{group_key, max_members, query_interval_s, Group, GroupTable, ServerNet};
use crate::kernel_glue::module::{now_ms, random_u64, BottomHalvesOff};
use crate::kernel_glue::netns::Net;
use crate::kernel_glue::skb::{OwnedPacket, Packet};
use crate::kernel_glue::table::config_gfp;
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::genl::server::counter;
use crate::mcast_shared::igmp::{self, Membership};
use crate::mcast_shared::learn::{self, Prefixes};
use crate::mcast_shared::packet::{Ipv4Info, TOS_MARK, TTL_FLOOR};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A member learned from a report.
pub(crate) struct Learned {
    pub(crate) addr: Ipv4,
    /// This host's address the report was sent to: the source of the
    /// queries the member gets (its client knows us by it).
    pub(crate) via: Ipv4,
    /// When it expires (`now_ms`); a report moves it on in place.
    pub(crate) deadline_ms: AtomicU64,
}

/// How a group learns, and whom it learned. Replaced whole when the
/// learned set changes; shared by table versions otherwise.
pub(crate) struct Learning {
    pub(crate) prefixes: Prefixes,
    pub(crate) timeout_s: u32,
    pub(crate) learned: KVVec<Learned>,
}

impl Learning {
    /// Learning from `prefixes` for `timeout_s`, keeping those of
    /// `previous`'s learned members the prefixes still admit and that are
    /// not among the group's `static_members`.
    pub(crate) fn configured(
        prefixes: Prefixes,
        timeout_s: u32,
        previous: Option<&Learning>,
        static_members: &[Ipv4],
    ) -> Result<Arc<Learning>, ConfigError> {
        let kept = previous.map_or(&[][..], |l| &l.learned[..]);
        let kept = kept
            .iter()
            .filter(|m| prefixes.admits(m.addr) && !static_members.contains(&m.addr));
        Learning::with_learned(prefixes, timeout_s, kept, None)
    }

    /// The same settings with the learned members `keep` lets through,
    /// then `added`.
    fn rebuilt<'a>(
        &'a self,
        keep: impl Fn(&Learned) -> bool + 'a,
        added: Option<Learned>,
    ) -> Result<Arc<Learning>, ConfigError> {
        Learning::with_learned(
            self.prefixes,
            self.timeout_s,
            self.learned.iter().filter(move |m| keep(m)),
            added,
        )
    }

    fn with_learned<'a>(
        prefixes: Prefixes,
        timeout_s: u32,
        kept: impl Iterator<Item = &'a Learned>,
        added: Option<Learned>,
    ) -> Result<Arc<Learning>, ConfigError> {
        let mut learned = KVVec::new();
        for m in kept {
            learned.push(
                Learned {
                    addr: m.addr,
                    via: m.via,
                    deadline_ms: AtomicU64::new(m.deadline_ms.load(Ordering::Relaxed)),
                },
                config_gfp(),
            )?;
        }
        if let Some(m) = added {
            learned.push(m, config_gfp())?;
        }
        Ok(Arc::new(
            Learning {
                prefixes,
                timeout_s,
                learned,
            },
            config_gfp(),
        )?)
    }

    pub(crate) fn find(&self, addr: Ipv4) -> Option<&Learned> {
        self.learned.iter().find(|m| m.addr == addr)
    }

    fn deadline(&self, now: u64) -> u64 {
        now + u64::from(self.timeout_s) * 1000
    }
}

/// What a marked report said, queued for the work.
#[derive(Clone, Copy)]
struct Report {
    source: Ipv4,
    via: Ipv4,
    group: Ipv4,
    membership: Membership,
}

/// Changes waiting for the work: a v3 report can name up to 184 groups
/// (1500-byte MTU), and refreshes of known members never queue.
const QUEUE_LEN: usize = 128;
/// Reports the work takes at a time (on its stack).
const BATCH: usize = 16;
/// After a BLOCK record, how long past the query's longest response time
/// the member has to answer the query the work sends it before it expires
/// (the work's one-second tick, and one more).
const BLOCK_GRACE_MS: u64 = 2000;

/// Changes waiting for the work, oldest first (a ring: a join then a leave
/// of one host must apply in that order); full means dropped (counted).
pub(crate) struct ReportQueue {
    items: [Option<Report>; QUEUE_LEN],
    head: usize,
    len: usize,
}

impl Default for ReportQueue {
    fn default() -> Self {
        ReportQueue {
            items: [None; QUEUE_LEN],
            head: 0,
            len: 0,
        }
    }
}

impl ReportQueue {
    fn push(&mut self, report: Report) -> bool {
        if self.len == QUEUE_LEN {
            return false;
        }
        self.items[(self.head + self.len) % QUEUE_LEN] = Some(report);
        self.len += 1;
        true
    }

    fn pop(&mut self) -> Option<Report> {
        if self.len == 0 {
            return None;
        }
        let report = self.items[self.head].take();
        self.head = (self.head + 1) % QUEUE_LEN;
        self.len -= 1;
        report
    }
}

/// A per-source rate limit without per-source state: sources hash into
/// buckets of (second, reports that second). A flood from one source can
/// only crowd out the few honest sources sharing its bucket.
pub(crate) struct SourceRates {
    buckets: [AtomicU64; 64],
    seed: u64,
}

impl Default for SourceRates {
    fn default() -> Self {
        SourceRates {
            buckets: core::array::from_fn(|_| AtomicU64::new(0)),
            seed: random_u64(),
        }
    }
}

impl SourceRates {
    /// Whether one more report from `source` fits this second. Racing
    /// CPUs may let a few more through: a limit, not an accounting.
    fn allows(&self, source: Ipv4, now: u64) -> bool {
        let hash = (u64::from(source.to_bits()) ^ self.seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let bucket = &self.buckets[(hash >> 58) as usize];
        let second = now / 1000;
        let seen = bucket.load(Ordering::Relaxed);
        if seen >> 32 != second & 0xffff_ffff {
            bucket.store((second << 32) | 1, Ordering::Relaxed);
            return true;
        }
        if seen & 0xffff_ffff >= u64::from(learn::REPORTS_PER_SOURCE_PER_S) {
            return false;
        }
        bucket.fetch_add(1, Ordering::Relaxed);
        true
    }
}

/// Why the work published no new table for a report.
enum Unchanged {
    /// Nothing to change (already learned, gone meanwhile).
    Yes,
    /// The group has max_members.
    Full,
    /// No memory, or the table refused.
    Failed,
}

impl From<ConfigError> for Unchanged {
    fn from(_: ConfigError) -> Self {
        Unchanged::Failed
    }
}

impl From<kernel::alloc::AllocError> for Unchanged {
    fn from(_: kernel::alloc::AllocError) -> Self {
        Unchanged::Failed
    }
}

/// The report's group and its learning, if the group learns from the
/// report's source.
fn learning_for<'a>(table: &'a GroupTable, report: &Report) -> Option<(&'a Group, &'a Learning)> {
    let group = table.find(group_key(report.group))?;
    let l = group
        .learning
        .as_ref()
        .filter(|l| l.prefixes.admits(report.source))?;
    Some((group, l))
}

/// What a record is, to the packet path and the work alike.
enum Sorted<'a> {
    Refused,
    /// A known member's report: its deadline moved on in place.
    Refreshed,
    /// A change for the work (a new member, a leave, a block), in the
    /// group's learning.
    Change(&'a Learning),
}

/// What the work does with one report.
enum Action {
    Nothing,
    Refused,
    Add,
    Remove,
    QueryNow(Ipv4),
}

impl ServerNet {
    /// The packet path at LOCAL_IN, after the host's filter table: a marked
    /// IGMP report sent to this host, from a source a learning group admits.
    /// A report from a known member moves its deadline on here; a change
    /// (a new member, a leave, a block) is queued for the work. The packet
    /// itself continues (the stack ignores unicast reports).
    pub(crate) fn learn_from(&self, net: Net<'_>, packet: &mut Packet<'_>) {
        if !self.any_learning.load(Ordering::Relaxed) {
            return;
        }
        let Ok(info) = Ipv4Info::parse(packet.header()) else {
            return;
        };
        // Multicast and broadcast IGMP is the host's own business.
        if info.protocol != igmp::PROTO_IGMP
            || info.tos != TOS_MARK
            || !packet.routed_to_this_host()
        {
            return;
        }
        let now = now_ms();
        if !self.rates.allows(info.saddr, now) {
            self.counters.add(counter::IGMP_LIMITED, 1);
            return;
        }
        if net.is_local_address(info.saddr) || !packet.pull(usize::from(info.total_len)) {
            self.counters.add(counter::IGMP_REFUSED, 1);
            return;
        }
        let Some(message) = igmp::igmp_message(packet.header()) else {
            self.counters.add(counter::IGMP_REFUSED, 1);
            return;
        };
        let mut queued = false;
        let parsed = igmp::parse_report(message, |group, membership| {
            let report = Report {
                source: info.saddr,
                via: info.daddr,
                group,
                membership,
            };
            self.table.read(|t| match self.sort(t, &report, now) {
                Sorted::Refused => self.counters.add(counter::IGMP_REFUSED, 1),
                Sorted::Refreshed => self.counters.add(counter::IGMP_REPORTS, 1),
                Sorted::Change(_) if self.queue(report) => queued = true,
                Sorted::Change(_) => self.counters.add(counter::IGMP_LIMITED, 1),
            });
        });
        if parsed.is_err() {
            self.counters.add(counter::IGMP_REFUSED, 1);
        }
        if queued {
            net.kick_work();
        }
    }

    /// What a report from the packet path is: refused, a known member's
    /// refresh (done here, in place), or a change for the work.
    fn sort<'a>(&self, table: &'a GroupTable, report: &Report, now: u64) -> Sorted<'a> {
        let Some((group, l)) = learning_for(table, report) else {
            return Sorted::Refused;
        };
        if report.membership != Membership::Joined {
            return Sorted::Change(l);
        }
        if let Some(m) = l.find(report.source) {
            m.deadline_ms.store(l.deadline(now), Ordering::Relaxed);
            return Sorted::Refreshed;
        }
        if group.static_members().contains(&report.source) {
            return Sorted::Refreshed;
        }
        Sorted::Change(l)
    }

    fn queue(&self, report: Report) -> bool {
        let _bh = BottomHalvesOff::new();
        self.reports.lock().push(report)
    }

    fn take_batch(&self) -> [Option<Report>; BATCH] {
        let mut batch = [None; BATCH];
        let _bh = BottomHalvesOff::new();
        let mut q = self.reports.lock();
        for slot in batch.iter_mut() {
            *slot = q.pop();
        }
        batch
    }

    /// The namespace's work: apply the queued reports, expire, query.
    /// Runs every second while a group learns.
    pub(crate) fn learning_tick(&self, net: Net<'_>) -> Option<u32> {
        // Bounded: each round takes up to BATCH of at most QUEUE_LEN queued
        // (the packet path may refill meanwhile: at most 8 rounds).
        for _ in 0..QUEUE_LEN / BATCH * 2 {
            let batch = self.take_batch();
            if batch[0].is_none() {
                break;
            }
            for report in batch.iter().flatten() {
                self.apply(net, report);
            }
        }
        let now = now_ms();
        self.expire(now);
        if now >= self.next_query_ms.load(Ordering::Relaxed) {
            self.query_learned(net);
            self.next_query_ms.store(
                now + u64::from(query_interval_s()) * 1000,
                Ordering::Relaxed,
            );
        }
        self.any_learning.load(Ordering::Relaxed).then_some(1000)
    }

    fn apply(&self, net: Net<'_>, report: &Report) {
        let now = now_ms();
        // Sorted again: the table may have changed since the packet path
        // queued it (the same join queued twice, the group gone).
        let action = self.table.read(|t| {
            let l = match self.sort(t, report, now) {
                Sorted::Refused => return Action::Refused,
                Sorted::Refreshed => {
                    self.counters.add(counter::IGMP_REPORTS, 1);
                    return Action::Nothing;
                }
                Sorted::Change(l) => l,
            };
            match (report.membership, l.find(report.source)) {
                (Membership::Joined, _) => Action::Add,
                (Membership::Left, Some(_)) => Action::Remove,
                (Membership::Blocked, Some(m)) => {
                    let answer_ms = u64::from(learn::max_response_tenths(query_interval_s())) * 100;
                    let soon = now + answer_ms + BLOCK_GRACE_MS;
                    m.deadline_ms.fetch_min(soon, Ordering::Relaxed);
                    Action::QueryNow(m.via)
                }
                (Membership::Left | Membership::Blocked, None) => Action::Nothing,
            }
        });
        match action {
            Action::Nothing => {}
            Action::Refused => self.counters.add(counter::IGMP_REFUSED, 1),
            Action::QueryNow(via) => self.send_query(net, via, report.source),
            Action::Add => match self.change_learned(report.group, |group, l| {
                if l.find(report.source).is_some()
                    || group.static_members().contains(&report.source)
                {
                    return Err(Unchanged::Yes);
                }
                if group.members.len() >= max_members() as usize {
                    return Err(Unchanged::Full);
                }
                let m = Learned {
                    addr: report.source,
                    via: report.via,
                    deadline_ms: AtomicU64::new(l.deadline(now)),
                };
                Ok(l.rebuilt(|_| true, Some(m))?)
            }) {
                Ok(()) => self.counters.add(counter::IGMP_REPORTS, 1),
                Err(Unchanged::Full) => self.counters.add(counter::LEARNED_FULL, 1),
                Err(_) => {}
            },
            Action::Remove => {
                let source = report.source;
                if self
                    .change_learned(report.group, |_, l| {
                        if l.find(source).is_none() {
                            return Err(Unchanged::Yes);
                        }
                        Ok(l.rebuilt(move |m| m.addr != source, None)?)
                    })
                    .is_ok()
                {
                    self.counters.add(counter::IGMP_LEAVES, 1);
                }
            }
        }
    }

    /// Publishes a table where `group` learned what `change` makes of its
    /// learning; nothing when it says [`Unchanged`].
    fn change_learned(
        &self,
        group: Ipv4,
        change: impl FnOnce(&Group, &Learning) -> Result<Arc<Learning>, Unchanged>,
    ) -> Result<(), Unchanged> {
        self.table.update(|t: &GroupTable| {
            let g = t.find(group_key(group)).ok_or(Unchanged::Yes)?;
            let l = g.learning.as_ref().ok_or(Unchanged::Yes)?;
            let next = change(g, l)?;
            let replaced = Group::new(g.addr, g.static_members(), Some(next), Some(g))?;
            Ok((t.with(replaced, usize::MAX, ConfigError::OutOfMemory)?, ()))
        })
    }

    /// Removes the learned members whose deadline passed.
    fn expire(&self, now: u64) {
        // Bounded by the groups; a group whose index moved under a
        // concurrent change is looked at again next second.
        let groups = self.table.read(|t| t.entries().len());
        for i in 0..groups {
            let due = self.table.read(|t| {
                let g = t.entries().get(i)?;
                let l = g.learning.as_ref()?;
                let n = l
                    .learned
                    .iter()
                    .filter(|m| m.deadline_ms.load(Ordering::Relaxed) <= now)
                    .count();
                (n > 0).then_some((g.addr, n))
            });
            let Some((group, n)) = due else { continue };
            let expired = |m: &Learned| m.deadline_ms.load(Ordering::Relaxed) <= now;
            if self
                .change_learned(group, |_, l| Ok(l.rebuilt(move |m| !expired(m), None)?))
                .is_ok()
            {
                self.counters.add(counter::LEARNED_EXPIRED, n as u64);
            }
        }
    }

    /// Sends every learned member of every group a general query.
    fn query_learned(&self, net: Net<'_>) {
        let groups = self.table.read(|t| t.entries().len());
        for i in 0..groups {
            // Held outside the read-side section: sending may take a while.
            let Some(l) = self
                .table
                .read(|t| t.entries().get(i).and_then(|g| g.learning.clone()))
            else {
                continue;
            };
            for m in l.learned.iter() {
                self.send_query(net, m.via, m.addr);
            }
        }
    }

    /// One marked IGMPv3 general query from `via` to `member`. Its client
    /// restores it to 224.0.0.1, and the host answers with its reports.
    fn send_query(&self, net: Net<'_>, via: Ipv4, member: Ipv4) {
        let interval = query_interval_s();
        let query = igmp::general_query(learn::max_response_tenths(interval));
        let Some(header) = igmp::ip_header(via, member, TOS_MARK, TTL_FLOOR, query.len()) else {
            return;
        };
        if OwnedPacket::send_new(net, &header, &query) {
            self.counters.add(counter::QUERIES_SENT, 1);
        }
    }
}
