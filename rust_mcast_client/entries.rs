// SPDX-License-Identifier: GPL-2.0
//! The client's state: (sender, port) → group entries, replaced whole on
//! every change so the packet path reads them without a lock.

use crate::kernel_glue::module::{param, random_u64};
use crate::kernel_glue::netns::NetState;
use crate::kernel_glue::percpu::Counters;
use crate::kernel_glue::rcu::RcuCell;
use crate::kernel_glue::table::{config_gfp, Entry, Table};
use crate::mcast_shared::addr::Ipv4;
use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::genl::{client::COUNTERS, limits};
use crate::mcast_shared::packet::{lookup_entry, EntryKey};
use crate::mcast_shared::rules;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Most entries per namespace (module parameter `max_entries`).
pub(crate) fn max_entries() -> u32 {
    rules::effective_limit(param(0), limits::DEFAULT_MAX_ENTRIES)
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

/// One version of the client's tables.
pub(crate) struct ClientTables {
    pub(crate) mappings: KBox<Table<Mapping>>,
    senders: KBox<Table<Sender>>,
}

impl ClientTables {
    /// Tables holding exactly `mappings`.
    pub(crate) fn new(mappings: KBox<Table<Mapping>>) -> Result<KBox<ClientTables>, ConfigError> {
        let senders = Table::first_of_each(
            mappings.entries().iter().map(|m| Sender(m.key.sender)),
            random_u64(),
        )?;
        Ok(KBox::new(ClientTables { mappings, senders }, config_gfp())?)
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
}

/// Global counters, indexed by `mcast_shared::genl::client::counter`.
pub(crate) type ClientCounters = Counters<{ COUNTERS.len() }>;

/// The client's state in one network namespace.
#[pin_data]
pub(crate) struct ClientNet {
    #[pin]
    pub(crate) tables: RcuCell<ClientTables>,
    pub(crate) counters: ClientCounters,
}

impl NetState for ClientNet {
    fn new() -> Result<Pin<KBox<Self>>> {
        let tables = Table::empty(random_u64())
            .and_then(ClientTables::new)
            .map_err(|_| ENOMEM)?;
        let counters = ClientCounters::new()?;
        KBox::pin_init(
            try_pin_init!(ClientNet {
                tables <- RcuCell::new(tables),
                counters,
            }? Error),
            config_gfp(),
        )
    }
}
