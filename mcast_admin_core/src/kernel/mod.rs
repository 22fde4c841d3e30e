//! What the tools ask of a module, as two traits: [`ServerKernel`] and
//! [`ClientKernel`]. The generic netlink implementations live in
//! [`crate::netlink`]; [`fake`] holds in-memory ones that follow the same
//! rules, for tests.

pub mod fake;

use crate::config::{ClientEntry, LearnConfig};
use crate::error::Result;
use mcast_shared::addr::Ipv4;
use mcast_shared::genl::{self, client, server};
use mcast_shared::learn::Prefixes;

/// Most members one request carries. The protocol allows
/// [`genl::MAX_MEMBERS_PER_REQUEST`], but the kernel echoes a refused
/// request in its error reply, and that reply must fit the 32 KiB buffer
/// neli receives into, or its text is lost: 4096 addresses (16 KiB) leave
/// room for it. Larger changes go in several requests.
pub const MEMBERS_PER_REQUEST: usize = {
    let fits_an_error_reply = 4096;
    if genl::MAX_MEMBERS_PER_REQUEST < fits_an_error_reply {
        genl::MAX_MEMBERS_PER_REQUEST
    } else {
        fits_an_error_reply
    }
};

/// Packets and bytes counted for one group or entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Packets.
    pub packets: u64,
    /// Bytes (IP total length).
    pub bytes: u64,
}

/// A learning group's settings as the server module reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Learning {
    /// The sources it learns members from (never empty).
    pub prefixes: Prefixes,
    /// Seconds a learned member stays without a new report.
    pub timeout: u32,
    /// How many members it has learned.
    pub learned_count: u32,
}

/// A group as the server module reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    /// The group address.
    pub group: Ipv4,
    /// How many members it has, static and learned.
    pub member_count: u32,
    /// Copies sent for it.
    pub tx: Traffic,
    /// Its learning; `None` when it does not learn.
    pub learning: Option<Learning>,
}

/// A member learned from IGMP: soft state, never saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LearnedMember {
    /// The receiver's address.
    pub address: Ipv4,
    /// Milliseconds left before it expires without a new report.
    pub expires_ms: u32,
}

/// A group's members, as the module lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberList {
    /// The configured members, in stored order.
    pub members: Vec<Ipv4>,
    /// The members learned from IGMP.
    pub learned: Vec<LearnedMember>,
}

impl MemberList {
    /// How many members, configured and learned.
    pub fn count(&self) -> usize {
        self.members.len() + self.learned.len()
    }
}

/// The server module's global counters and limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerStats {
    /// In the order of [`server::COUNTERS`].
    pub counters: [u64; server::COUNTERS.len()],
    /// Most groups the module takes.
    pub max_groups: u32,
    /// Most members per group the module takes.
    pub max_members: u32,
    /// Seconds between the queries sent to learned members (module
    /// parameter `query_interval`).
    pub query_interval: u32,
}

/// The requests of the sending host's module (`rust_mcast_server`).
pub trait ServerKernel {
    /// Creates `group` if absent and adds `members`; idempotent. At most
    /// [`MEMBERS_PER_REQUEST`] members.
    fn add_group(&mut self, group: Ipv4, members: &[Ipv4]) -> Result<()>;
    /// Adds `members` to the existing `group`.
    fn join(&mut self, group: Ipv4, members: &[Ipv4]) -> Result<()>;
    /// Removes `members` from the existing `group`; unknown ones are ignored.
    fn quit(&mut self, group: Ipv4, members: &[Ipv4]) -> Result<()>;
    /// Deletes `group`.
    fn del_group(&mut self, group: Ipv4) -> Result<()>;
    /// Deletes every group.
    fn clear(&mut self) -> Result<()>;
    /// Creates `group` if absent and sets its learning: `None` turns it
    /// off and forgets the learned members. Members are left alone.
    fn set_learning(&mut self, group: Ipv4, learn: Option<&LearnConfig>) -> Result<()>;
    /// Every group, in the module's order.
    fn groups(&mut self) -> Result<Vec<GroupInfo>>;
    /// The members of `group`: the configured ones and the learned ones.
    fn member_list(&mut self, group: Ipv4) -> Result<MemberList>;
    /// The configured members of `group`, in stored order.
    fn members(&mut self, group: Ipv4) -> Result<Vec<Ipv4>> {
        Ok(self.member_list(group)?.members)
    }
    /// Global counters and limits.
    fn stats(&mut self) -> Result<ServerStats>;
    /// One group's counters.
    fn group_stats(&mut self, group: Ipv4) -> Result<GroupInfo>;
}

/// A client entry as the client module reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryInfo {
    /// The mapping.
    pub entry: ClientEntry,
    /// Packets restored through it.
    pub rx: Traffic,
}

/// The client module's global counters and limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientStats {
    /// In the order of [`client::COUNTERS`].
    pub counters: [u64; client::COUNTERS.len()],
    /// Most entries the module takes.
    pub max_entries: u32,
}

/// The requests of the receiving host's module (`rust_mcast_client`).
pub trait ClientKernel {
    /// Adds the entry or updates the group and flags of the one with its
    /// (server, port); EEXIST when it exists unchanged.
    fn add_entry(&mut self, entry: &ClientEntry) -> Result<()>;
    /// Deletes the entry for (`server`, `port`).
    fn del_entry(&mut self, server: Ipv4, port: u16) -> Result<()>;
    /// Deletes every entry.
    fn clear(&mut self) -> Result<()>;
    /// Every entry, in the module's order.
    fn entries(&mut self) -> Result<Vec<EntryInfo>>;
    /// Global counters and limit.
    fn stats(&mut self) -> Result<ClientStats>;
    /// One entry and its counters.
    fn entry_stats(&mut self, server: Ipv4, port: u16) -> Result<EntryInfo>;
}
