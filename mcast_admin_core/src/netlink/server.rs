//! [`ServerKernel`] over the `rmcast_server` generic netlink family.

use super::attrs::{self, Reply};
use super::family::Family;
use crate::config::LearnConfig;
use crate::error::Result;
use crate::kernel::{GroupInfo, Learning, MemberList, ServerKernel, ServerStats, Traffic};
use crate::side::SERVER;
use mcast_shared::addr::Ipv4;
use mcast_shared::genl::limits;
use mcast_shared::genl::server::{attr, cmd, COUNTERS};
use mcast_shared::learn::{Prefixes, DEFAULT_LEARN_TIMEOUT_S, DEFAULT_QUERY_INTERVAL_S};

/// The running `rust_mcast_server` module.
pub struct NeliServer {
    family: Family,
}

impl Default for NeliServer {
    fn default() -> Self {
        NeliServer {
            family: Family::new(&SERVER),
        }
    }
}

fn group_info(reply: &Reply<'_>) -> Result<GroupInfo> {
    Ok(GroupInfo {
        group: reply.address(attr::GROUP, "GROUP")?,
        member_count: reply.u32(attr::MEMBER_COUNT, "MEMBER_COUNT")?.unwrap_or(0),
        tx: Traffic {
            packets: reply.u64(attr::TX_PACKETS, "TX_PACKETS")?,
            bytes: reply.u64(attr::TX_BYTES, "TX_BYTES")?,
        },
        learning: learning(reply)?,
    })
}

/// A group's learning; `None` without prefixes (it does not learn).
fn learning(reply: &Reply<'_>) -> Result<Option<Learning>> {
    let Some(prefixes) = reply.prefixes(attr::LEARN_PREFIXES)? else {
        return Ok(None);
    };
    Ok((!prefixes.is_empty()).then_some(Learning {
        prefixes,
        timeout: reply
            .u32(attr::LEARN_TIMEOUT, "LEARN_TIMEOUT")?
            .unwrap_or(DEFAULT_LEARN_TIMEOUT_S),
        learned_count: reply
            .u32(attr::LEARNED_COUNT, "LEARNED_COUNT")?
            .unwrap_or(0),
    }))
}

impl NeliServer {
    fn change(&mut self, command: u8, group: Ipv4, members: Option<&[Ipv4]>) -> Result<()> {
        let mut request = vec![attrs::address(attr::GROUP, group)];
        if let Some(members) = members {
            request.push(attrs::members(attr::MEMBERS, members));
        }
        self.family.call(command, &request, true).map(drop)
    }
}

impl ServerKernel for NeliServer {
    fn add_group(&mut self, group: Ipv4, members: &[Ipv4]) -> Result<()> {
        // MEMBERS is optional for ADD_GROUP: leave it out for an empty group.
        self.change(
            cmd::ADD_GROUP,
            group,
            (!members.is_empty()).then_some(members),
        )
    }

    fn join(&mut self, group: Ipv4, members: &[Ipv4]) -> Result<()> {
        self.change(cmd::JOIN, group, Some(members))
    }

    fn quit(&mut self, group: Ipv4, members: &[Ipv4]) -> Result<()> {
        self.change(cmd::QUIT, group, Some(members))
    }

    fn del_group(&mut self, group: Ipv4) -> Result<()> {
        self.change(cmd::DEL_GROUP, group, None)
    }

    fn set_learning(&mut self, group: Ipv4, learn: Option<&LearnConfig>) -> Result<()> {
        let off = Prefixes::default();
        let prefixes = learn.map_or(&off, |l| &l.prefixes);
        let mut request = vec![
            attrs::address(attr::GROUP, group),
            attrs::prefixes(attr::LEARN_PREFIXES, prefixes),
        ];
        if let Some(seconds) = learn.and_then(|l| l.timeout) {
            request.push(attrs::u32_attr(attr::LEARN_TIMEOUT, seconds));
        }
        self.family.call(cmd::ADD_GROUP, &request, true).map(drop)
    }

    fn clear(&mut self) -> Result<()> {
        self.family.call(cmd::CLEAR, &[], true).map(drop)
    }

    fn groups(&mut self) -> Result<Vec<GroupInfo>> {
        let replies = self.family.dump(cmd::GET_GROUPS, &[])?;
        replies.iter().map(|r| group_info(&Reply(r))).collect()
    }

    fn member_list(&mut self, group: Ipv4) -> Result<MemberList> {
        let replies = self
            .family
            .dump(cmd::GET_MEMBERS, &[attrs::address(attr::GROUP, group)])?;
        let mut list = MemberList::default();
        for r in &replies {
            let reply = Reply(r);
            list.members.extend(reply.members(attr::MEMBERS)?);
            list.learned
                .extend(reply.learned(attr::LEARNED, "LEARNED")?);
        }
        Ok(list)
    }

    fn stats(&mut self) -> Result<ServerStats> {
        let reply = self.family.query(cmd::GET_STATS, &[])?;
        let reply = Reply(&reply);
        let mut counters = [0; COUNTERS.len()];
        for (i, (value, counter)) in counters.iter_mut().zip(COUNTERS).enumerate() {
            *value = reply.u64(attr::COUNTER_FIRST + i as u16, counter.name)?;
        }
        Ok(ServerStats {
            counters,
            max_groups: reply
                .u32(attr::MAX_GROUPS, "MAX_GROUPS")?
                .unwrap_or(limits::DEFAULT_MAX_GROUPS),
            max_members: reply
                .u32(attr::MAX_MEMBERS, "MAX_MEMBERS")?
                .unwrap_or(limits::DEFAULT_MAX_MEMBERS),
            query_interval: reply
                .u32(attr::QUERY_INTERVAL, "QUERY_INTERVAL")?
                .unwrap_or(DEFAULT_QUERY_INTERVAL_S),
        })
    }

    fn group_stats(&mut self, group: Ipv4) -> Result<GroupInfo> {
        let reply = self
            .family
            .query(cmd::GET_STATS, &[attrs::address(attr::GROUP, group)])?;
        group_info(&Reply(&reply))
    }
}
