// SPDX-License-Identifier: GPL-2.0
//! The server's state: groups and their members, replaced whole on every
//! change so the packet path reads them without a lock.

use crate::kernel_glue::module::{param, random_u64};
use crate::kernel_glue::netns::NetState;
use crate::kernel_glue::percpu::Counters;
use crate::kernel_glue::rcu::RcuCell;
use crate::kernel_glue::table::{config_gfp, Entry, Table};
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::genl::{limits, server::COUNTERS};
use crate::mcast_shared::rules;
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

/// One group as the packet path sees it. The member list is never changed
/// once published (a change publishes a new list); the counters live as long
/// as the group, across table versions.
pub(crate) struct Group {
    pub(crate) addr: Ipv4,
    pub(crate) members: Arc<KVVec<Ipv4>>,
    pub(crate) counters: Arc<GroupCounters>,
}

/// The table key of a group address.
pub(crate) fn group_key(addr: Ipv4) -> u64 {
    u64::from(addr.to_bits())
}

impl Entry for Group {
    fn key(&self) -> u64 {
        group_key(self.addr)
    }

    fn share(&self) -> Result<Group, ConfigError> {
        Ok(Group {
            addr: self.addr,
            members: self.members.clone(),
            counters: self.counters.clone(),
        })
    }
}

/// The group table.
pub(crate) type GroupTable = Table<Group>;

impl Group {
    /// `addr` with `members`, keeping the counters of `previous` if any.
    pub(crate) fn new(
        addr: Ipv4,
        members: KVVec<Ipv4>,
        previous: Option<&Group>,
    ) -> Result<Group, ConfigError> {
        let members = Arc::new(members, config_gfp())?;
        let counters = match previous {
            Some(g) => g.counters.clone(),
            None => {
                let fresh = GroupCounters::new().map_err(|_| ConfigError::OutOfMemory)?;
                Arc::new(fresh, config_gfp())?
            }
        };
        Ok(Group {
            addr,
            members,
            counters,
        })
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
        // Charged like a request's allocations (GFP_KERNEL_ACCOUNT): to
        // whoever creates the namespace, or, for the namespaces that exist
        // when the module loads, to the task that loads it.
        let table = GroupTable::empty(random_u64()).map_err(|_| ENOMEM)?;
        let counters = ServerCounters::new()?;
        KBox::pin_init(
            try_pin_init!(ServerNet {
                table <- RcuCell::new(table),
                counters,
            }? Error),
            config_gfp(),
        )
    }
}
