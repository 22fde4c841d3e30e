// SPDX-License-Identifier: GPL-2.0
//! The server's tables: groups and their members, replaced whole on every
//! change so the packet path reads them without a lock.

use crate::kernel_glue::module::{param, random_u64};
use crate::kernel_glue::netns::NetState;
use crate::kernel_glue::percpu::Counters;
use crate::kernel_glue::rcu::RcuCell;
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::genl::{limits, server::COUNTERS};
use crate::mcast_shared::{index, rules};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Per-group counters: copies sent and their bytes.
pub(crate) type GroupCounters = Counters<2>;

/// Most groups per namespace (module parameter `max_groups`).
pub(crate) fn max_groups() -> u32 {
    rules::effective_limit(param(0), limits::DEFAULT_MAX_GROUPS)
}

/// Most members per group (module parameter `max_members`).
pub(crate) fn max_members() -> u32 {
    rules::effective_limit(param(1), limits::DEFAULT_MAX_MEMBERS)
}

/// One group as the packet path sees it. Members and counters are shared
/// between table versions; a member list is never changed once published.
pub(crate) struct Group {
    pub(crate) addr: Ipv4,
    pub(crate) members: Arc<KVec<Ipv4>>,
    pub(crate) counters: Arc<GroupCounters>,
}

impl Group {
    fn share(&self) -> Result<Group, ConfigError> {
        Ok(Group { addr: self.addr, members: self.members.clone(), counters: self.counters.clone() })
    }
}

/// One immutable version of the group table with its hash index.
pub(crate) struct GroupTable {
    groups: KVec<Group>,
    slots: KVec<u32>,
    seed: u64,
}

fn key(addr: Ipv4) -> u64 {
    u64::from(addr.to_bits())
}

fn oom<T>(_: T) -> ConfigError {
    ConfigError::OutOfMemory
}

impl GroupTable {
    fn build(groups: KVec<Group>, seed: u64) -> Result<KBox<GroupTable>, ConfigError> {
        let mut slots = KVec::from_elem(0u32, index::slot_count(groups.len()), GFP_KERNEL).map_err(oom)?;
        for (pos, g) in groups.iter().enumerate() {
            index::insert(&mut slots, seed, key(g.addr), pos, |p| key(groups[p].addr))
                .map_err(|_| ConfigError::OutOfMemory)?;
        }
        KBox::new(GroupTable { groups, slots, seed }, GFP_KERNEL).map_err(oom)
    }

    fn empty() -> Result<KBox<GroupTable>, ConfigError> {
        GroupTable::build(KVec::new(), random_u64())
    }

    /// The group with address `addr`: O(1), lock-free.
    pub(crate) fn find(&self, addr: Ipv4) -> Option<&Group> {
        index::find(&self.slots, self.seed, key(addr), |p| key(self.groups[p].addr)).map(|p| &self.groups[p])
    }

    /// Every group, in creation order.
    pub(crate) fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// A copy of this table in which `addr` has `members` (created if absent).
    pub(crate) fn with_members(&self, addr: Ipv4, members: KVec<Ipv4>) -> Result<KBox<GroupTable>, ConfigError> {
        let mut groups = KVec::with_capacity(self.groups.len() + 1, GFP_KERNEL).map_err(oom)?;
        let members = Arc::new(members, GFP_KERNEL).map_err(oom)?;
        let mut found = false;
        for g in self.groups.iter() {
            let next = if g.addr == addr {
                found = true;
                Group { addr, members: members.clone(), counters: g.counters.clone() }
            } else {
                g.share()?
            };
            groups.push(next, GFP_KERNEL).map_err(oom)?;
        }
        if !found {
            if self.groups.len() >= max_groups() as usize {
                return Err(ConfigError::TooManyGroups { limit: max_groups() });
            }
            let counters = Arc::new(GroupCounters::new().map_err(oom)?, GFP_KERNEL).map_err(oom)?;
            groups.push(Group { addr, members, counters }, GFP_KERNEL).map_err(oom)?;
        }
        GroupTable::build(groups, self.seed)
    }

    /// A copy of this table without `addr` (its counters go with it).
    pub(crate) fn without(&self, addr: Ipv4) -> Result<KBox<GroupTable>, ConfigError> {
        if self.find(addr).is_none() {
            return Err(ConfigError::NoSuchGroup(addr));
        }
        let mut groups = KVec::with_capacity(self.groups.len(), GFP_KERNEL).map_err(oom)?;
        for g in self.groups.iter().filter(|g| g.addr != addr) {
            groups.push(g.share()?, GFP_KERNEL).map_err(oom)?;
        }
        GroupTable::build(groups, self.seed)
    }

    /// An empty table.
    pub(crate) fn cleared(&self) -> Result<KBox<GroupTable>, ConfigError> {
        GroupTable::build(KVec::new(), self.seed)
    }
}

/// Global counters, indexed by `mcast_shared::genl::server::counter`.
pub(crate) type ServerCounters = Counters<{ COUNTERS.len() }>;

/// The server's state in one network namespace.
#[pin_data]
pub(crate) struct ServerNet {
    #[pin]
    pub(crate) table: RcuCell<GroupTable>,
    pub(crate) counters: ServerCounters,
}

impl NetState for ServerNet {
    fn new() -> Result<Pin<KBox<Self>>> {
        let table = GroupTable::empty().map_err(|_| ENOMEM)?;
        let counters = ServerCounters::new()?;
        KBox::pin_init(pin_init!(ServerNet { table <- RcuCell::new(table), counters }), GFP_KERNEL)
    }
}
