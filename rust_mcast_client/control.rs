// SPDX-License-Identifier: GPL-2.0
//! The client's generic netlink operations.

use crate::entries::{max_entries, ClientNet, ClientTables, Mapping};
use crate::kernel_glue::genl::{eopnotsupp, Control, Dump, Message, OpError, OpResult, Request};
use crate::kernel_glue::netns::Net;
use crate::kernel_glue::percpu::Counters;
use crate::kernel_glue::table::{config_gfp, Table};
use crate::mcast_shared::error::ConfigError;
use crate::mcast_shared::genl::client::{attr, cmd};
use crate::mcast_shared::packet::EntryKey;
use crate::mcast_shared::rules;
use kernel::prelude::*;
use kernel::sync::Arc;

fn native<const N: usize>(
    bytes: Option<&[u8]>,
    name: &'static str,
) -> Result<[u8; N], ConfigError> {
    let bytes = bytes.ok_or(ConfigError::MissingAttribute(name))?;
    bytes
        .try_into()
        .map_err(|_| ConfigError::MalformedAttribute(name))
}

fn key_attrs(sender: Option<&[u8]>, port: Option<&[u8]>) -> Result<EntryKey, ConfigError> {
    Ok(EntryKey {
        sender: rules::address_attribute(sender, "SENDER")?,
        port: u16::from_ne_bytes(native(port, "PORT")?),
    })
}

fn put_entry(msg: &mut Message, m: &Mapping) -> OpResult {
    let [packets, bytes] = m.counters.totals();
    msg.put_bytes(attr::SENDER, &m.key.sender.0)?;
    msg.put_u16(attr::PORT, m.key.port)?;
    msg.put_bytes(attr::GROUP, &m.group.0)?;
    msg.put_u32(attr::FLAGS, m.flags)?;
    msg.put_u64(attr::RX_PACKETS, packets, attr::PAD)?;
    msg.put_u64(attr::RX_BYTES, bytes, attr::PAD)
}

impl ClientNet {
    /// Replaces the tables with ones holding the mappings `build` makes,
    /// once the hooks they need are registered.
    fn change(
        &self,
        net: Net<'_>,
        build: impl FnOnce(&Table<Mapping>) -> Result<KBox<Table<Mapping>>, ConfigError>,
    ) -> OpResult {
        self.tables.update(|t| -> Result<_, ConfigError> {
            let next = ClientTables::new(build(&t.mappings)?, Some(t))?;
            self.hooks.add(net, next.hooks())?;
            Ok((next, ()))
        })?;
        Ok(())
    }

    fn add(&self, net: Net<'_>, req: &Request<'_>) -> OpResult {
        let key = key_attrs(req.attr(attr::SENDER), req.attr(attr::PORT))?;
        let group = rules::address_attribute(req.attr(attr::GROUP), "GROUP")?;
        let flags = match req.attr(attr::FLAGS) {
            Some(b) => u32::from_ne_bytes(native(Some(b), "FLAGS")?),
            None => 0,
        };
        rules::check_client_entry(key.sender, group, flags)?;
        self.change(net, |mappings| {
            let counters = match mappings.find(key.packed()) {
                Some(old) if old.group == group && old.flags == flags => {
                    return Err(ConfigError::EntryExists {
                        sender: key.sender,
                        port: key.port,
                        group,
                    });
                }
                // An update keeps the entry's counters.
                Some(old) => old.counters.clone(),
                None => {
                    let fresh = Counters::new().map_err(|_| ConfigError::OutOfMemory)?;
                    Arc::new(fresh, config_gfp())?
                }
            };
            let too_many = ConfigError::TooManyEntries {
                limit: max_entries(),
            };
            mappings.with(
                Mapping {
                    key,
                    group,
                    flags,
                    counters,
                },
                max_entries() as usize,
                too_many,
            )
        })
    }

    fn stats(&self, req: &Request<'_>) -> OpResult {
        let mut reply = req.reply(cmd::GET_STATS)?;
        let msg = reply.msg();
        match (req.attr(attr::SENDER), req.attr(attr::PORT)) {
            (None, None) => {
                for (i, total) in self.counters.totals().iter().enumerate() {
                    msg.put_u64(attr::COUNTER_FIRST + i as u16, *total, attr::PAD)?;
                }
                msg.put_u32(attr::MAX_ENTRIES, max_entries())?;
            }
            (sender, port) => {
                let key = key_attrs(sender, port)?;
                self.tables.read(|t| -> OpResult {
                    let missing = ConfigError::NoSuchEntry {
                        sender: key.sender,
                        port: key.port,
                    };
                    put_entry(msg, t.exact(key).ok_or(missing)?)
                })?;
            }
        }
        reply.send()
    }
}

impl Control for ClientNet {
    fn doit(&self, command: u8, req: &Request<'_>) -> OpResult {
        let net = req.net();
        let result = match command {
            cmd::ADD_ENTRY => self.add(net, req),
            cmd::DEL_ENTRY => {
                let key = key_attrs(req.attr(attr::SENDER), req.attr(attr::PORT))?;
                let missing = ConfigError::NoSuchEntry {
                    sender: key.sender,
                    port: key.port,
                };
                self.change(net, |m| m.without(key.packed(), missing))
            }
            cmd::CLEAR => self.change(net, |m| m.cleared()),
            cmd::GET_STATS => return self.stats(req),
            _ => return Err(OpError::Kernel(eopnotsupp())),
        };
        // The hooks go once no entry is left (hooks.rs: they stay while
        // anything is configured); announcing entries may have come: the
        // work re-announces.
        if self.tables.read(|t| t.mappings.entries().is_empty()) {
            self.hooks.remove_all(net);
        }
        net.kick_work();
        result
    }

    fn dumpit(&self, command: u8, dump: &mut Dump<'_>) -> Result<bool, OpError> {
        if command != cmd::GET_ENTRIES {
            return Err(OpError::Kernel(eopnotsupp()));
        }
        self.tables.read(|t| {
            dump.set_generation(t.mappings.generation());
            let entries = t.mappings.entries();
            let mut next = dump.cursor()[0] as usize;
            while let Some(m) = entries.get(next) {
                if !dump.add(cmd::GET_ENTRIES, |msg| put_entry(msg, m)) {
                    break;
                }
                next += 1;
            }
            dump.cursor()[0] = next as _;
            Ok(next < entries.len())
        })
    }
}
