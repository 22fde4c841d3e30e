// SPDX-License-Identifier: GPL-2.0
//! An immutable, indexed table of a module's configuration entries (safe
//! code, shared by both modules). Every change builds a new table that
//! shares the unchanged entries, so the packet path can read a published
//! table without a lock while the next one is built (see `rcu::RcuCell`).

use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::index;
use kernel::alloc::{AllocError, KVVec};
use kernel::prelude::*;

/// The allocation flags of everything a configuration request builds:
/// charged to the memory cgroup of the task that asked (an unprivileged
/// user may configure the namespaces of its own user namespace), and no
/// allocation-failure warning (a full cgroup is the caller's ENOMEM).
pub fn config_gfp() -> kernel::alloc::Flags {
    GFP_KERNEL_ACCOUNT | __GFP_NOWARN
}

/// An entry of a table.
pub trait Entry: Sized {
    /// The lookup key (unique within a table).
    fn key(&self) -> u64;
    /// Another handle on the same entry, for the next table version.
    fn share(&self) -> Result<Self, ConfigError>;
}

/// A table version: entries in insertion order plus an O(1) hash index.
/// Both arrays grow with the limits (up to 65536 entries), so they come
/// from kvmalloc, not one large kmalloc.
pub struct Table<T> {
    entries: KVVec<T>,
    slots: KVVec<u32>,
    seed: u64,
    generation: u32,
}

/// The generation after `g`: never 0, which netlink's dump consistency
/// check reads as "no generation" (`nl_dump_check_consistent`).
fn next_generation(g: u32) -> u32 {
    match g.wrapping_add(1) {
        0 => 1,
        n => n,
    }
}

impl From<AllocError> for ConfigError {
    fn from(_: AllocError) -> Self {
        ConfigError::OutOfMemory
    }
}

impl<T: Entry> Table<T> {
    fn build(entries: KVVec<T>, seed: u64, generation: u32) -> Result<KBox<Self>, ConfigError> {
        let mut slots = KVVec::from_elem(0u32, index::slot_count(entries.len()), config_gfp())?;
        for (pos, e) in entries.iter().enumerate() {
            index::insert(&mut slots, seed, e.key(), pos, |p| entries[p].key())
                .map_err(|_| ConfigError::OutOfMemory)?;
        }
        Ok(KBox::new(
            Table {
                entries,
                slots,
                seed,
                generation,
            },
            config_gfp(),
        )?)
    }

    /// A table of `items`, keeping the first of any entries with equal keys.
    pub fn first_of_each(
        items: impl Iterator<Item = T>,
        seed: u64,
    ) -> Result<KBox<Self>, ConfigError> {
        let mut entries = KVVec::new();
        for item in items {
            entries.push(item, config_gfp())?;
        }
        let mut slots = KVVec::from_elem(0u32, index::slot_count(entries.len()), config_gfp())?;
        let mut kept: KVVec<T> = KVVec::with_capacity(entries.len(), config_gfp())?;
        for e in entries.into_iter() {
            match index::insert(&mut slots, seed, e.key(), kept.len(), |p| kept[p].key()) {
                Ok(()) => kept.push(e, config_gfp())?,
                Err(index::IndexError::Duplicate) => {}
                Err(index::IndexError::NoRoom) => return Err(ConfigError::OutOfMemory),
            }
        }
        Ok(KBox::new(
            Table {
                entries: kept,
                slots,
                seed,
                generation: 1,
            },
            config_gfp(),
        )?)
    }

    /// An empty table hashing with `seed` (random, so crafted keys cannot
    /// pile up in one probe run).
    pub fn empty(seed: u64) -> Result<KBox<Self>, ConfigError> {
        Table::build(KVVec::new(), seed, 1)
    }

    /// The entry with `key`.
    pub fn find(&self, key: u64) -> Option<&T> {
        index::find(&self.slots, self.seed, key, |p| self.entries[p].key())
            .map(|p| &self.entries[p])
    }

    /// The table's version number: each change makes a table with the next
    /// one. A dump reports it so netlink can flag a dump that spans a change.
    pub fn generation(&self) -> u32 {
        self.generation
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
        let mut next = KVVec::with_capacity(self.entries.len() + 1, config_gfp())?;
        let mut entry = Some(entry);
        for e in self.entries.iter() {
            let item = match &entry {
                Some(new) if new.key() == e.key() => {
                    entry.take().ok_or(ConfigError::OutOfMemory)?
                }
                _ => e.share()?,
            };
            next.push(item, config_gfp())?;
        }
        if let Some(new) = entry {
            next.push(new, config_gfp())?;
        }
        Table::build(next, self.seed, next_generation(self.generation))
    }

    /// A copy without the entry with `key`; `missing` if there is none.
    pub fn without(&self, key: u64, missing: ConfigError) -> Result<KBox<Self>, ConfigError> {
        self.find(key).ok_or(missing)?;
        let mut next = KVVec::with_capacity(self.entries.len(), config_gfp())?;
        for e in self.entries.iter().filter(|e| e.key() != key) {
            next.push(e.share()?, config_gfp())?;
        }
        Table::build(next, self.seed, next_generation(self.generation))
    }

    /// An empty table with the same seed.
    pub fn cleared(&self) -> Result<KBox<Self>, ConfigError> {
        Table::build(KVVec::new(), self.seed, next_generation(self.generation))
    }
}
