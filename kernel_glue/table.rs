// SPDX-License-Identifier: GPL-2.0
//! An immutable, indexed table of a module's configuration entries (safe
//! code, shared by both modules). Every change builds a new table that
//! shares the unchanged entries, so the packet path can read a published
//! table without a lock while the next one is built (see `rcu::RcuCell`).

use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::index;
use kernel::prelude::*;

/// An entry of a table.
pub trait Entry: Sized {
    /// The lookup key (unique within a table).
    fn key(&self) -> u64;
    /// Another handle on the same entry, for the next table version.
    fn share(&self) -> Result<Self, ConfigError>;
}

/// A table version: entries in insertion order plus an O(1) hash index.
pub struct Table<T> {
    entries: KVec<T>,
    slots: KVec<u32>,
    seed: u64,
}

fn oom<E>(_: E) -> ConfigError {
    ConfigError::OutOfMemory
}

impl<T: Entry> Table<T> {
    fn build(entries: KVec<T>, seed: u64) -> Result<KBox<Self>, ConfigError> {
        let mut slots =
            KVec::from_elem(0u32, index::slot_count(entries.len()), GFP_KERNEL).map_err(oom)?;
        for (pos, e) in entries.iter().enumerate() {
            index::insert(&mut slots, seed, e.key(), pos, |p| entries[p].key()).map_err(oom)?;
        }
        KBox::new(
            Table {
                entries,
                slots,
                seed,
            },
            GFP_KERNEL,
        )
        .map_err(oom)
    }

    /// A table of `items`, keeping the first of any entries with equal keys.
    pub fn first_of_each(
        items: impl Iterator<Item = T>,
        seed: u64,
    ) -> Result<KBox<Self>, ConfigError> {
        let mut entries = KVec::new();
        for item in items {
            entries.push(item, GFP_KERNEL).map_err(oom)?;
        }
        let mut slots =
            KVec::from_elem(0u32, index::slot_count(entries.len()), GFP_KERNEL).map_err(oom)?;
        let mut kept: KVec<T> = KVec::with_capacity(entries.len(), GFP_KERNEL).map_err(oom)?;
        for e in entries.into_iter() {
            match index::insert(&mut slots, seed, e.key(), kept.len(), |p| kept[p].key()) {
                Ok(()) => kept.push(e, GFP_KERNEL).map_err(oom)?,
                Err(index::IndexError::Duplicate) => {}
                Err(index::IndexError::NoRoom) => return Err(ConfigError::OutOfMemory),
            }
        }
        KBox::new(
            Table {
                entries: kept,
                slots,
                seed,
            },
            GFP_KERNEL,
        )
        .map_err(oom)
    }

    /// An empty table hashing with `seed` (random, so crafted keys cannot
    /// pile up in one probe run).
    pub fn empty(seed: u64) -> Result<KBox<Self>, ConfigError> {
        Table::build(KVec::new(), seed)
    }

    /// The entry with `key`.
    pub fn find(&self, key: u64) -> Option<&T> {
        index::find(&self.slots, self.seed, key, |p| self.entries[p].key())
            .map(|p| &self.entries[p])
    }

    /// Every entry, in insertion order.
    pub fn entries(&self) -> &[T] {
        &self.entries
    }

    /// A copy with `entry` in place of the one with its key, or appended;
    /// `too_many` when appending would pass `limit`.
    pub fn with(
        &self,
        entry: T,
        limit: usize,
        too_many: ConfigError,
    ) -> Result<KBox<Self>, ConfigError> {
        let replaces = self.find(entry.key()).is_some();
        if !replaces && self.entries.len() >= limit {
            return Err(too_many);
        }
        let mut next = KVec::with_capacity(self.entries.len() + 1, GFP_KERNEL).map_err(oom)?;
        let mut entry = Some(entry);
        for e in self.entries.iter() {
            let item = match &entry {
                Some(new) if new.key() == e.key() => {
                    entry.take().ok_or(ConfigError::OutOfMemory)?
                }
                _ => e.share()?,
            };
            next.push(item, GFP_KERNEL).map_err(oom)?;
        }
        if let Some(new) = entry {
            next.push(new, GFP_KERNEL).map_err(oom)?;
        }
        Table::build(next, self.seed)
    }

    /// A copy without the entry with `key`; `missing` if there is none.
    pub fn without(&self, key: u64, missing: ConfigError) -> Result<KBox<Self>, ConfigError> {
        self.find(key).ok_or(missing)?;
        let mut next = KVec::with_capacity(self.entries.len(), GFP_KERNEL).map_err(oom)?;
        for e in self.entries.iter().filter(|e| e.key() != key) {
            next.push(e.share()?, GFP_KERNEL).map_err(oom)?;
        }
        Table::build(next, self.seed)
    }

    /// An empty table with the same seed.
    pub fn cleared(&self) -> Result<KBox<Self>, ConfigError> {
        Table::build(KVec::new(), self.seed)
    }
}
