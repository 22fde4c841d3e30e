// SPDX-License-Identifier: GPL-2.0
//! The server's generic netlink operations.

use crate::groups::{
    group_key, hooks_for, max_groups, max_members, query_interval_s, Group, GroupTable, ServerNet,
};
use crate::kernel_glue::genl::{eopnotsupp, Control, Dump, Message, OpError, OpResult, Request};
use crate::kernel_glue::module::now_ms;
use crate::kernel_glue::module::random_u64;
use crate::kernel_glue::netns::Net;
use crate::kernel_glue::table::config_gfp;
use crate::learning::Learning;
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::genl::server::{attr, cmd};
use crate::mcast_shared::genl::{
    DUMP_BATCH, LEARNED_RECORD_BYTES, LEARN_PREFIX_BYTES, MAX_LEARN_PREFIXES,
};
use crate::mcast_shared::learn::{self, Prefixes};
use crate::mcast_shared::{index, rules};
use core::sync::atomic::Ordering;
use kernel::prelude::*;

fn group_attr(req: &Request<'_>) -> Result<Ipv4, ConfigError> {
    let group = rules::address_attribute(req.attr(attr::GROUP), "GROUP")?;
    rules::check_group(group)?;
    Ok(group)
}

/// The request's member list, checked and copied.
fn members_attr(req: &Request<'_>, required: bool) -> Result<KVVec<Ipv4>, ConfigError> {
    let mut out = KVVec::new();
    match req.attr(attr::MEMBERS) {
        None if required => return Err(ConfigError::MissingAttribute("MEMBERS")),
        None => {}
        Some(bytes) => {
            for m in rules::decode_members(bytes)? {
                out.push(m, config_gfp())?;
            }
        }
    }
    Ok(out)
}

/// An output buffer of `members` addresses and a zeroed index for `indexed` keys.
fn scratch(members: usize, indexed: usize) -> Result<(KVVec<Ipv4>, KVVec<u32>), ConfigError> {
    let out = KVVec::from_elem(Ipv4::UNSPECIFIED, members, config_gfp())?;
    let slots = KVVec::from_elem(0u32, index::slot_count(indexed), config_gfp())?;
    Ok((out, slots))
}

/// What a request asks of a group's learning.
enum LearnRequest {
    Unchanged,
    Off,
    On { prefixes: Prefixes, timeout_s: u32 },
}

fn learn_attrs(req: &Request<'_>) -> Result<LearnRequest, ConfigError> {
    let timeout = match req.attr(attr::LEARN_TIMEOUT) {
        None => None,
        Some(&[a, b, c, d]) => Some(learn::check_learn_timeout(u32::from_ne_bytes([
            a, b, c, d,
        ]))?),
        Some(_) => return Err(ConfigError::MalformedAttribute("LEARN_TIMEOUT")),
    };
    match (req.attr(attr::LEARN_PREFIXES), timeout) {
        (None, None) => Ok(LearnRequest::Unchanged),
        (None, Some(_)) => Err(ConfigError::MissingAttribute("LEARN_PREFIXES")),
        (Some(bytes), timeout) => {
            let prefixes = Prefixes::decode(bytes)?;
            if prefixes.is_empty() {
                return Ok(LearnRequest::Off);
            }
            let timeout_s = timeout.unwrap_or(learn::DEFAULT_LEARN_TIMEOUT_S);
            Ok(LearnRequest::On {
                prefixes,
                timeout_s,
            })
        }
    }
}

/// A copy of `table` in which `group` has exactly the static `members`
/// (created if new) and the learning `learn` asks for; learned members
/// that are now static are no longer learned.
fn with_members(
    table: &GroupTable,
    group: Ipv4,
    members: &[Ipv4],
    learn: &LearnRequest,
    previous: Option<&Group>,
) -> Result<KBox<GroupTable>, ConfigError> {
    let before = previous.and_then(|g| g.learning.as_ref());
    let learning = match (learn, before) {
        (LearnRequest::Off, _) | (LearnRequest::Unchanged, None) => None,
        // Shared as it is (its deadlines move on in place) unless a
        // learned member became static.
        (LearnRequest::Unchanged, Some(l))
            if !l.learned.iter().any(|m| members.contains(&m.addr)) =>
        {
            Some(l.clone())
        }
        (LearnRequest::Unchanged, Some(l)) => Some(Learning::configured(
            l.prefixes,
            l.timeout_s,
            Some(l),
            members,
        )?),
        (
            LearnRequest::On {
                prefixes,
                timeout_s,
            },
            before,
        ) => Some(Learning::configured(
            *prefixes,
            *timeout_s,
            before.map(|l| &**l),
            members,
        )?),
    };
    let learned = learning.as_ref().map_or(0, |l| l.learned.len());
    rules::check_member_count(
        group,
        previous.map_or(0, |g| g.members.len()),
        members.len() + learned,
        max_members(),
    )?;
    let too_many = ConfigError::TooManyGroups {
        limit: max_groups(),
    };
    table.with(
        Group::new(group, members, learning, previous)?,
        max_groups() as usize,
        too_many,
    )
}

impl ServerNet {
    /// Replaces the table with the one `build` makes from the current one,
    /// once the hooks it needs are registered.
    fn change(
        &self,
        net: Net<'_>,
        build: impl FnOnce(&GroupTable) -> Result<KBox<GroupTable>, ConfigError>,
    ) -> OpResult {
        self.table.update(|t| -> Result<_, ConfigError> {
            let next = build(t)?;
            self.hooks.add(net, hooks_for(&next))?;
            Ok((next, ()))
        })?;
        Ok(())
    }

    /// After a request: the hooks go once no group is left (hooks.rs: they
    /// stay while anything is configured), the packet path's learning test
    /// follows the table, and the work starts when a group learns.
    fn changed(&self, net: Net<'_>) {
        let (needs, any) = self.table.read(|t| (hooks_for(t), !t.entries().is_empty()));
        if !any {
            self.hooks.remove_all(net);
        }
        self.any_learning.store(needs.arriving, Ordering::Relaxed);
        if needs.arriving {
            net.kick_work();
        }
    }

    /// Adds members to `group`, creating it when `create` allows, and sets
    /// its learning as `learn` asks.
    fn join(
        &self,
        net: Net<'_>,
        group: Ipv4,
        requested: &[Ipv4],
        create: bool,
        learn: &LearnRequest,
    ) -> OpResult {
        for &m in requested {
            rules::check_member(m)?;
        }
        self.change(net, |table| {
            let previous = table.find(group_key(group));
            let existing: &[Ipv4] = match previous {
                Some(g) => g.static_members(),
                None if create => &[],
                None => return Err(ConfigError::NoSuchGroup(group)),
            };
            let capacity = existing.len() + requested.len();
            let (mut out, mut slots) = scratch(capacity, capacity)?;
            let n = rules::merge_members(existing, requested, random_u64(), &mut slots, &mut out);
            with_members(table, group, &out[..n], learn, previous)
        })
    }

    fn quit(&self, net: Net<'_>, group: Ipv4, removed: &[Ipv4]) -> OpResult {
        self.change(net, |table| {
            let previous = table
                .find(group_key(group))
                .ok_or(ConfigError::NoSuchGroup(group))?;
            let existing = previous.static_members();
            let (mut out, mut slots) = scratch(existing.len(), removed.len())?;
            let n = rules::keep_members(existing, removed, random_u64(), &mut slots, &mut out);
            with_members(
                table,
                group,
                &out[..n],
                &LearnRequest::Unchanged,
                Some(previous),
            )
        })
    }

    fn stats(&self, req: &Request<'_>) -> OpResult {
        let mut reply = req.reply(cmd::GET_STATS)?;
        let msg = reply.msg();
        match req.attr(attr::GROUP) {
            None => {
                for (i, total) in self.counters.totals().iter().enumerate() {
                    msg.put_u64(attr::COUNTER_FIRST + i as u16, *total, attr::PAD)?;
                }
                msg.put_u32(attr::MAX_GROUPS, max_groups())?;
                msg.put_u32(attr::MAX_MEMBERS, max_members())?;
                msg.put_u32(attr::QUERY_INTERVAL, query_interval_s())?;
            }
            Some(bytes) => {
                let group = rules::address_attribute(Some(bytes), "GROUP")?;
                self.table.read(|t| -> OpResult {
                    let g = t
                        .find(group_key(group))
                        .ok_or(ConfigError::NoSuchGroup(group))?;
                    put_group(msg, g)
                })?;
            }
        }
        reply.send()
    }
}

fn put_group(msg: &mut Message, g: &Group) -> OpResult {
    let [packets, bytes] = g.counters.totals();
    msg.put_bytes(attr::GROUP, &g.addr.0)?;
    msg.put_u32(attr::MEMBER_COUNT, g.members.len() as u32)?;
    msg.put_u64(attr::TX_PACKETS, packets, attr::PAD)?;
    msg.put_u64(attr::TX_BYTES, bytes, attr::PAD)?;
    if let Some(l) = &g.learning {
        let mut prefixes = [0u8; MAX_LEARN_PREFIXES * LEARN_PREFIX_BYTES];
        let len = l.prefixes.encode(&mut prefixes);
        msg.put_bytes(attr::LEARN_PREFIXES, &prefixes[..len])?;
        msg.put_u32(attr::LEARN_TIMEOUT, l.timeout_s)?;
        msg.put_u32(attr::LEARNED_COUNT, l.learned.len() as u32)?;
    }
    Ok(())
}

/// Learned members one dump message carries: as many bytes as a batch of
/// static members (the record buffer is on the stack).
const LEARNED_BATCH: usize = DUMP_BATCH * 4 / LEARNED_RECORD_BYTES;

/// The next batch of `g`'s members from position `next` (static,
/// then learned): as `MEMBERS`, or as `LEARNED` records with the time left.
/// Returns how many it put.
fn put_members(msg: &mut Message, g: &Group, next: usize) -> Result<usize, OpError> {
    msg.put_bytes(attr::GROUP, &g.addr.0)?;
    let statics = g.static_members();
    if let Some(batch) = statics.get(next..).filter(|b| !b.is_empty()) {
        let batch = &batch[..batch.len().min(DUMP_BATCH)];
        let mut bytes = [0u8; DUMP_BATCH * 4];
        for (i, ip) in batch.iter().enumerate() {
            bytes[i * 4..i * 4 + 4].copy_from_slice(&ip.0);
        }
        msg.put_bytes(attr::MEMBERS, &bytes[..batch.len() * 4])?;
        return Ok(batch.len());
    }
    let learned = g.learning.as_ref().map_or(&[][..], |l| &l.learned[..]);
    let batch = learned.get(next - statics.len()..).unwrap_or(&[]);
    let batch = &batch[..batch.len().min(LEARNED_BATCH)];
    let now = now_ms();
    let mut bytes = [0u8; LEARNED_BATCH * LEARNED_RECORD_BYTES];
    for (i, m) in batch.iter().enumerate() {
        let left = learn::remaining_ms(
            m.deadline_ms.load(core::sync::atomic::Ordering::Relaxed),
            now,
        );
        let record = &mut bytes[i * LEARNED_RECORD_BYTES..(i + 1) * LEARNED_RECORD_BYTES];
        record[..4].copy_from_slice(&m.addr.0);
        record[4..].copy_from_slice(&left.to_ne_bytes());
    }
    msg.put_bytes(attr::LEARNED, &bytes[..batch.len() * LEARNED_RECORD_BYTES])?;
    Ok(batch.len())
}

impl Control for ServerNet {
    fn doit(&self, command: u8, req: &Request<'_>) -> OpResult {
        let net = req.net();
        let result = match command {
            cmd::ADD_GROUP => self.join(
                net,
                group_attr(req)?,
                &members_attr(req, false)?,
                true,
                &learn_attrs(req)?,
            ),
            cmd::JOIN => self.join(
                net,
                group_attr(req)?,
                &members_attr(req, true)?,
                false,
                &LearnRequest::Unchanged,
            ),
            cmd::QUIT => self.quit(net, group_attr(req)?, &members_attr(req, true)?),
            cmd::DEL_GROUP => {
                let group = group_attr(req)?;
                self.change(net, |t| {
                    t.without(group_key(group), ConfigError::NoSuchGroup(group))
                })
            }
            cmd::CLEAR => self.change(net, GroupTable::cleared),
            cmd::GET_STATS => return self.stats(req),
            _ => return Err(OpError::Kernel(eopnotsupp())),
        };
        self.changed(net);
        result
    }

    fn dumpit(&self, command: u8, dump: &mut Dump<'_>) -> Result<bool, OpError> {
        match command {
            cmd::GET_GROUPS => self.table.read(|t| {
                dump.set_generation(t.generation());
                let groups = t.entries();
                let mut next = dump.cursor()[0] as usize;
                while let Some(g) = groups.get(next) {
                    if !dump.add(cmd::GET_GROUPS, |m| put_group(m, g)) {
                        break;
                    }
                    next += 1;
                }
                dump.cursor()[0] = next as _;
                Ok(next < groups.len())
            }),
            cmd::GET_MEMBERS => {
                let group = rules::address_attribute(dump.attr(attr::GROUP), "GROUP")?;
                self.table.read(|t| {
                    dump.set_generation(t.generation());
                    let g = t
                        .find(group_key(group))
                        .ok_or(ConfigError::NoSuchGroup(group))?;
                    let mut next = dump.cursor()[0] as usize;
                    while next < g.members.len() {
                        let mut put = 0;
                        if !dump.add(cmd::GET_MEMBERS, |m| {
                            put = put_members(m, g, next)?;
                            Ok(())
                        }) {
                            break;
                        }
                        next += put;
                    }
                    dump.cursor()[0] = next as _;
                    Ok(next < g.members.len())
                })
            }
            _ => Err(OpError::Kernel(eopnotsupp())),
        }
    }
}
