// SPDX-License-Identifier: GPL-2.0
//! The server's generic netlink operations.

use crate::groups::{group_key, max_groups, max_members, Group, GroupTable, ServerNet};
use crate::kernel_glue::genl::{eopnotsupp, Control, Dump, Message, OpError, OpResult, Request};
use crate::kernel_glue::module::random_u64;
use crate::kernel_glue::table::config_gfp;
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::genl::server::{attr, cmd};
use crate::mcast_shared::genl::DUMP_BATCH;
use crate::mcast_shared::{index, rules};
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

/// A copy of `table` in which `group` has exactly `members` (created if new).
fn with_members(
    table: &GroupTable,
    group: Ipv4,
    members: &[Ipv4],
    previous: Option<&Group>,
) -> Result<KBox<GroupTable>, ConfigError> {
    let too_many = ConfigError::TooManyGroups {
        limit: max_groups(),
    };
    table.with(
        Group::new(group, shrink(members)?, previous)?,
        max_groups() as usize,
        too_many,
    )
}

/// The final member list, allocated to its exact size.
fn shrink(members: &[Ipv4]) -> Result<KVVec<Ipv4>, ConfigError> {
    let mut out = KVVec::with_capacity(members.len(), config_gfp())?;
    out.extend_from_slice(members, config_gfp())?;
    Ok(out)
}

impl ServerNet {
    /// Replaces the table with the one `build` makes from the current one.
    fn change(
        &self,
        build: impl FnOnce(&GroupTable) -> Result<KBox<GroupTable>, ConfigError>,
    ) -> OpResult {
        self.table.update(|t| build(t).map(|next| (next, ())))?;
        Ok(())
    }

    /// Adds members to `group`, creating it when `create` allows.
    fn join(&self, group: Ipv4, requested: &[Ipv4], create: bool) -> OpResult {
        for &m in requested {
            rules::check_member(m)?;
        }
        self.change(|table| {
            let previous = table.find(group_key(group));
            let existing: &[Ipv4] = match previous {
                Some(g) => &g.members,
                None if create => &[],
                None => return Err(ConfigError::NoSuchGroup(group)),
            };
            let capacity = existing.len() + requested.len();
            let (mut out, mut slots) = scratch(capacity, capacity)?;
            let n = rules::merge_members(existing, requested, random_u64(), &mut slots, &mut out);
            rules::check_member_count(group, existing.len(), n, max_members())?;
            with_members(table, group, &out[..n], previous)
        })
    }

    fn quit(&self, group: Ipv4, removed: &[Ipv4]) -> OpResult {
        self.change(|table| {
            let previous = table
                .find(group_key(group))
                .ok_or(ConfigError::NoSuchGroup(group))?;
            let (mut out, mut slots) = scratch(previous.members.len(), removed.len())?;
            let n = rules::keep_members(
                &previous.members,
                removed,
                random_u64(),
                &mut slots,
                &mut out,
            );
            with_members(table, group, &out[..n], Some(previous))
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
            }
            Some(bytes) => {
                let group = rules::address_attribute(Some(bytes), "GROUP")?;
                self.table.read(|t| -> OpResult {
                    let g = t
                        .find(group_key(group))
                        .ok_or(ConfigError::NoSuchGroup(group))?;
                    put_group(msg, group, g.members.len(), g.counters.totals())
                })?;
            }
        }
        reply.send()
    }
}

fn put_group(msg: &mut Message, group: Ipv4, members: usize, counters: [u64; 2]) -> OpResult {
    msg.put_bytes(attr::GROUP, &group.0)?;
    msg.put_u32(attr::MEMBER_COUNT, members as u32)?;
    msg.put_u64(attr::TX_PACKETS, counters[0], attr::PAD)?;
    msg.put_u64(attr::TX_BYTES, counters[1], attr::PAD)
}

impl Control for ServerNet {
    fn doit(&self, command: u8, req: &Request<'_>) -> OpResult {
        match command {
            cmd::ADD_GROUP => self.join(group_attr(req)?, &members_attr(req, false)?, true),
            cmd::JOIN => self.join(group_attr(req)?, &members_attr(req, true)?, false),
            cmd::QUIT => self.quit(group_attr(req)?, &members_attr(req, true)?),
            cmd::DEL_GROUP => {
                let group = group_attr(req)?;
                self.change(|t| t.without(group_key(group), ConfigError::NoSuchGroup(group)))
            }
            cmd::CLEAR => self.change(GroupTable::cleared),
            cmd::GET_STATS => self.stats(req),
            _ => Err(OpError::Kernel(eopnotsupp())),
        }
    }

    fn dumpit(&self, command: u8, dump: &mut Dump<'_>) -> Result<bool, OpError> {
        match command {
            cmd::GET_GROUPS => self.table.read(|t| {
                dump.set_generation(t.generation());
                let groups = t.entries();
                let mut next = dump.cursor()[0] as usize;
                while let Some(g) = groups.get(next) {
                    if !dump.add(cmd::GET_GROUPS, |m| {
                        put_group(m, g.addr, g.members.len(), g.counters.totals())
                    }) {
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
                        let batch = &g.members[next..g.members.len().min(next + DUMP_BATCH)];
                        let sent = dump.add(cmd::GET_MEMBERS, |m| {
                            m.put_bytes(attr::GROUP, &group.0)?;
                            let mut bytes = [0u8; DUMP_BATCH * 4];
                            for (i, ip) in batch.iter().enumerate() {
                                bytes[i * 4..i * 4 + 4].copy_from_slice(&ip.0);
                            }
                            m.put_bytes(attr::MEMBERS, &bytes[..batch.len() * 4])
                        });
                        if !sent {
                            break;
                        }
                        next += batch.len();
                    }
                    dump.cursor()[0] = next as _;
                    Ok(next < g.members.len())
                })
            }
            _ => Err(OpError::Kernel(eopnotsupp())),
        }
    }
}
