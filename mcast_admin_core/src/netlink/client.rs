//! [`ClientKernel`] over the `rmcast_client` generic netlink family.

use super::attrs::{self, Reply};
use super::family::Family;
use crate::config::ClientEntry;
use crate::error::Result;
use crate::kernel::{ClientKernel, ClientStats, EntryInfo, Traffic};
use crate::side::CLIENT;
use mcast_shared::addr::Ipv4;
use mcast_shared::genl::client::{attr, cmd, COUNTERS};
use mcast_shared::genl::limits;

/// The running `rust_mcast_client` module.
pub struct NeliClient {
    family: Family,
}

impl Default for NeliClient {
    fn default() -> Self {
        NeliClient {
            family: Family::new(&CLIENT),
        }
    }
}

fn key(server: Ipv4, port: u16) -> [super::transport::Attr; 2] {
    [
        attrs::address(attr::SENDER, server),
        attrs::u16_attr(attr::PORT, port),
    ]
}

fn entry_info(reply: &Reply<'_>) -> Result<EntryInfo> {
    let entry = ClientEntry {
        server: reply.address(attr::SENDER, "SENDER")?,
        port: reply.u16(attr::PORT, "PORT")?,
        group: reply.address(attr::GROUP, "GROUP")?,
        allow_link_local: false,
        no_announce: false,
    };
    Ok(EntryInfo {
        entry: entry.with_flags(reply.u32(attr::FLAGS, "FLAGS")?.unwrap_or(0)),
        rx: Traffic {
            packets: reply.u64(attr::RX_PACKETS, "RX_PACKETS")?,
            bytes: reply.u64(attr::RX_BYTES, "RX_BYTES")?,
        },
    })
}

impl ClientKernel for NeliClient {
    fn add_entry(&mut self, entry: &ClientEntry) -> Result<()> {
        let mut request = key(entry.server, entry.port).to_vec();
        request.push(attrs::address(attr::GROUP, entry.group));
        request.push(attrs::u32_attr(attr::FLAGS, entry.flags()));
        self.family.call(cmd::ADD_ENTRY, &request, true).map(drop)
    }

    fn del_entry(&mut self, server: Ipv4, port: u16) -> Result<()> {
        self.family
            .call(cmd::DEL_ENTRY, &key(server, port), true)
            .map(drop)
    }

    fn clear(&mut self) -> Result<()> {
        self.family.call(cmd::CLEAR, &[], true).map(drop)
    }

    fn entries(&mut self) -> Result<Vec<EntryInfo>> {
        let replies = self.family.dump(cmd::GET_ENTRIES, &[])?;
        replies.iter().map(|r| entry_info(&Reply(r))).collect()
    }

    fn stats(&mut self) -> Result<ClientStats> {
        let reply = self.family.query(cmd::GET_STATS, &[])?;
        let reply = Reply(&reply);
        let mut counters = [0; COUNTERS.len()];
        for (i, (value, counter)) in counters.iter_mut().zip(COUNTERS).enumerate() {
            *value = reply.u64(attr::COUNTER_FIRST + i as u16, counter.name)?;
        }
        let max_entries = reply
            .u32(attr::MAX_ENTRIES, "MAX_ENTRIES")?
            .unwrap_or(limits::DEFAULT_MAX_ENTRIES);
        Ok(ClientStats {
            counters,
            max_entries,
        })
    }

    fn entry_stats(&mut self, server: Ipv4, port: u16) -> Result<EntryInfo> {
        let reply = self.family.query(cmd::GET_STATS, &key(server, port))?;
        entry_info(&Reply(&reply))
    }
}
