// SPDX-License-Identifier: GPL-2.0
//! The client's state: (sender, port) → group entries, replaced whole on
//! every change so the packet path reads them without a lock.

use crate::kernel_glue::hooks::{HookSet, Hooks};
use crate::kernel_glue::module::{param, random_u64};
use crate::kernel_glue::netns::{Net, NetState};
use crate::kernel_glue::percpu::Counters;
use crate::kernel_glue::rcu::RcuCell;
use crate::kernel_glue::table::{config_gfp, Entry, Table};
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::genl::{
    client::{flags, COUNTERS},
    limits,
};
use crate::mcast_shared::learn::DEFAULT_ANNOUNCE_INTERVAL_S;
use crate::mcast_shared::packet::{lookup_entry, EntryKey};
use crate::mcast_shared::rules;
use core::sync::atomic::AtomicU64;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Most entries per namespace (module parameter `max_entries`).
pub(crate) fn max_entries() -> u32 {
    rules::effective_limit(param(0), limits::DEFAULT_MAX_ENTRIES)
}

/// Seconds between re-announcements of the host's groups (module parameter
/// `announce_interval`, 1-3600; default 60, under the senders' query
/// interval so a reloaded sender learns its members back before it
/// would query them).
pub(crate) fn announce_interval_s() -> u32 {
    match param(1) {
        0 => DEFAULT_ANNOUNCE_INTERVAL_S,
        s => s.min(3600),
    }
}

/// One (sender, port) → group entry; its counters outlive updates of the
/// group or flags.
pub(crate) struct Mapping {
    pub(crate) key: EntryKey,
    pub(crate) group: Ipv4,
    pub(crate) flags: u32,
    pub(crate) counters: Arc<Counters<2>>,
}

impl Entry for Mapping {
    fn key(&self) -> u64 {
        self.key.packed()
    }

    fn share(&self) -> Result<Self, ConfigError> {
        Ok(Mapping {
            key: self.key,
            group: self.group,
            flags: self.flags,
            counters: self.counters.clone(),
        })
    }
}

/// A configured sender (for gathering fragments before the port is known).
pub(crate) struct Sender(Ipv4);

impl Entry for Sender {
    fn key(&self) -> u64 {
        u64::from(self.0.to_bits())
    }

    fn share(&self) -> Result<Self, ConfigError> {
        Ok(Sender(self.0))
    }
}

/// When the host last reported a group (`now_ms`), shared by table
/// versions while the group has announcing entries: a host that spoke
/// lately needs no re-announcement, and one could race its leave.
#[derive(Default)]
pub(crate) struct HostReports {
    pub(crate) last_ms: AtomicU64,
}

/// A group the host's reports are announced for, and to whom: the
/// distinct senders of its entries without `NO_ANNOUNCE`.
pub(crate) struct Announce {
    pub(crate) group: Ipv4,
    pub(crate) senders: KVVec<Ipv4>,
    pub(crate) host: Arc<HostReports>,
}

impl Entry for Announce {
    fn key(&self) -> u64 {
        u64::from(self.group.to_bits())
    }

    fn share(&self) -> Result<Self, ConfigError> {
        let mut senders = KVVec::with_capacity(self.senders.len(), config_gfp())?;
        senders.extend_from_slice(&self.senders, config_gfp())?;
        Ok(Announce {
            group: self.group,
            senders,
            host: self.host.clone(),
        })
    }
}

/// One version of the client's tables.
pub(crate) struct ClientTables {
    pub(crate) mappings: KBox<Table<Mapping>>,
    senders: KBox<Table<Sender>>,
    pub(crate) announce: KBox<Table<Announce>>,
}

impl ClientTables {
    /// Tables holding exactly `mappings`; what the host said about its
    /// groups carries over from `previous`.
    pub(crate) fn new(
        mappings: KBox<Table<Mapping>>,
        previous: Option<&ClientTables>,
    ) -> Result<KBox<ClientTables>, ConfigError> {
        let senders = Table::first_of_each(
            mappings.entries().iter().map(|m| Sender(m.key.sender)),
            random_u64(),
        )?;
        let announce = announce_table(&mappings, previous)?;
        Ok(KBox::new(
            ClientTables {
                mappings,
                senders,
                announce,
            },
            config_gfp(),
        )?)
    }

    /// The entry for a packet's key: exact port first, then any port.
    pub(crate) fn lookup(&self, key: EntryKey) -> Option<&Mapping> {
        lookup_entry(key, |k| self.mappings.find(k.packed()))
    }

    /// The entry stored under exactly `key`.
    pub(crate) fn exact(&self, key: EntryKey) -> Option<&Mapping> {
        self.mappings.find(key.packed())
    }

    /// Whether any entry names `sender`.
    pub(crate) fn has_sender(&self, sender: Ipv4) -> bool {
        self.senders.find(u64::from(sender.to_bits())).is_some()
    }

    /// The hooks these tables need: PRE_ROUTING while there is an entry,
    /// LOCAL_OUT while a group's reports are announced.
    pub(crate) fn hooks(&self) -> HookSet {
        HookSet {
            local_out: !self.announce.entries().is_empty(),
            arriving: !self.mappings.entries().is_empty(),
        }
    }
}

/// The announcing groups of `mappings`, each with its distinct senders
/// (sorted (group, sender) pairs, one pass).
fn announce_table(
    mappings: &Table<Mapping>,
    previous: Option<&ClientTables>,
) -> Result<KBox<Table<Announce>>, ConfigError> {
    let mut pairs = KVVec::new();
    for m in mappings
        .entries()
        .iter()
        .filter(|m| m.flags & flags::NO_ANNOUNCE == 0)
    {
        pairs.push((m.group.to_bits(), m.key.sender.to_bits()), config_gfp())?;
    }
    pairs.sort_unstable();
    let mut groups: KVVec<Announce> = KVVec::new();
    for (group, sender) in pairs
        .iter()
        .map(|&(g, s)| (Ipv4::from_bits(g), Ipv4::from_bits(s)))
    {
        match groups.last_mut() {
            Some(a) if a.group == group => {
                if a.senders.last() != Some(&sender) {
                    a.senders.push(sender, config_gfp())?;
                }
            }
            _ => {
                let host = match previous.and_then(|p| p.announce.find(u64::from(group.to_bits())))
                {
                    Some(a) => a.host.clone(),
                    None => Arc::new(HostReports::default(), config_gfp())?,
                };
                let mut senders = KVVec::new();
                senders.push(sender, config_gfp())?;
                groups.push(
                    Announce {
                        group,
                        senders,
                        host,
                    },
                    config_gfp(),
                )?;
            }
        }
    }
    Table::first_of_each(groups.into_iter(), random_u64())
}

/// Global counters, indexed by `mcast_shared::genl::client::counter`.
pub(crate) type ClientCounters = Counters<{ COUNTERS.len() }>;

/// The client's state in one network namespace.
#[pin_data]
pub(crate) struct ClientNet {
    #[pin]
    pub(crate) tables: RcuCell<ClientTables>,
    pub(crate) counters: ClientCounters,
    /// The hooks the tables need ([`ClientTables::hooks`]).
    pub(crate) hooks: Hooks,
}

impl NetState for ClientNet {
    fn new() -> Result<Pin<KBox<Self>>> {
        let tables = Table::empty(random_u64())
            .and_then(|mappings| ClientTables::new(mappings, None))
            .map_err(|_| ENOMEM)?;
        let counters = ClientCounters::new()?;
        KBox::pin_init(
            try_pin_init!(ClientNet {
                tables <- RcuCell::new(tables),
                counters,
                hooks: Hooks::default(),
            }? Error),
            config_gfp(),
        )
    }

    fn tick(&self, net: Net<'_>) -> Option<u32> {
        self.reannounce(net)
    }

    fn hooks(&self) -> &Hooks {
        &self.hooks
    }
}
