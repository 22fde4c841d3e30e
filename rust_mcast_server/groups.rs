// SPDX-License-Identifier: GPL-2.0
//! The server's state: groups and their members, replaced whole on every
//! change so the packet path reads them without a lock.

use crate::kernel_glue::hooks::{HookSet, Hooks};
use crate::kernel_glue::module::{param, random_u64};
use crate::kernel_glue::netns::{Net, NetState};
use crate::kernel_glue::percpu::Counters;
use crate::kernel_glue::rcu::RcuCell;
use crate::kernel_glue::route_cache::RouteSlot;
use crate::kernel_glue::table::{config_gfp, Entry, Table};
use crate::learning::{Learning, ReportQueue, SourceRates};
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::genl::{limits, server::COUNTERS};
use crate::mcast_shared::learn::DEFAULT_QUERY_INTERVAL_S;
use crate::mcast_shared::rules;
use core::sync::atomic::{AtomicBool, AtomicU64};
use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};

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

/// Seconds between the queries to learned members (module parameter
/// `query_interval`, 1-3600).
pub(crate) fn query_interval_s() -> u32 {
    match param(2) {
        0 => DEFAULT_QUERY_INTERVAL_S,
        s => s.min(3600),
    }
}

/// How long a member's cached route serves at most, in milliseconds
/// (module parameter `route_refresh_ms`, writable at run time; 0: no cache).
pub(crate) fn route_refresh_ms() -> u32 {
    param(3)
}

/// One group as the packet path sees it. The member list is never changed
/// once published (a change publishes a new list): the static members,
/// then the learned ones in the order of `learning`. The counters live as
/// long as the group, across table versions; so do the learned members'
/// deadlines while the learned set is unchanged (see `Learning`).
pub(crate) struct Group {
    pub(crate) addr: Ipv4,
    pub(crate) members: Arc<KVVec<Ipv4>>,
    /// Each member's cached route, in `members` order (built and shared
    /// with the list: a new list starts with none).
    pub(crate) routes: Arc<KVVec<RouteSlot>>,
    pub(crate) learning: Option<Arc<Learning>>,
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
            routes: self.routes.clone(),
            learning: self.learning.clone(),
            counters: self.counters.clone(),
        })
    }
}

/// The group table.
pub(crate) type GroupTable = Table<Group>;

impl Group {
    /// `addr` with `static_members` then those `learning` learned (one
    /// list, allocated to its size), keeping the counters of `previous`.
    pub(crate) fn new(
        addr: Ipv4,
        static_members: &[Ipv4],
        learning: Option<Arc<Learning>>,
        previous: Option<&Group>,
    ) -> Result<Group, ConfigError> {
        let learned = learning.as_ref().map_or(&[][..], |l| &l.learned[..]);
        let mut members = KVVec::with_capacity(static_members.len() + learned.len(), config_gfp())?;
        members.extend_from_slice(static_members, config_gfp())?;
        for m in learned {
            members.push(m.addr, config_gfp())?;
        }
        let mut routes = KVVec::with_capacity(members.len(), config_gfp())?;
        for _ in 0..members.len() {
            routes.push(RouteSlot::default(), config_gfp())?;
        }
        let members = Arc::new(members, config_gfp())?;
        let routes = Arc::new(routes, config_gfp())?;
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
            routes,
            learning,
            counters,
        })
    }

    /// How many of the members were learned.
    pub(crate) fn learned_count(&self) -> usize {
        self.learning.as_ref().map_or(0, |l| l.learned.len())
    }

    /// The members configured by the operator.
    pub(crate) fn static_members(&self) -> &[Ipv4] {
        &self.members[..self.members.len() - self.learned_count()]
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
    /// Marked IGMP reports the packet path accepted, for the work to apply.
    #[pin]
    pub(crate) reports: SpinLock<ReportQueue>,
    /// Reports per source and second (the packet path's rate limit).
    pub(crate) rates: SourceRates,
    /// Whether any group learns: the packet path's first test.
    pub(crate) any_learning: AtomicBool,
    /// When the work next queries the learned members (`now_ms`).
    pub(crate) next_query_ms: AtomicU64,
    /// The hooks the configuration needs ([`hooks_for`]).
    pub(crate) hooks: Hooks,
}

/// The hooks a table needs: LOCAL_OUT while it has a group, LOCAL_IN
/// while a group learns.
pub(crate) fn hooks_for(table: &GroupTable) -> HookSet {
    let groups = table.entries();
    HookSet {
        local_out: !groups.is_empty(),
        arriving: groups.iter().any(|g| g.learning.is_some()),
    }
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
                reports <- new_spinlock!(ReportQueue::default(), "rmc_reports"),
                rates: SourceRates::default(),
                any_learning: AtomicBool::new(false),
                next_query_ms: AtomicU64::new(0),
                hooks: Hooks::default(),
            }? Error),
            config_gfp(),
        )
    }

    fn tick(&self, net: Net<'_>) -> Option<u32> {
        self.learning_tick(net)
    }

    fn hooks(&self) -> &Hooks {
        &self.hooks
    }
}
