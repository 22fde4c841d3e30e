//! `multic_admin` query output.

use super::{json_line, Named};
use crate::kernel::{ClientStats, EntryInfo, Traffic};
use mcast_shared::genl::client::{counter, COUNTERS};
use serde::Serialize;
use std::fmt::Write;

fn traffic_text(rx: Traffic) -> String {
    // The old layout: the label left-justified in 12 columns, then ":  ".
    format!(
        "{:<12}:  {}\n{:<12}:  {}\n\n",
        "rx packets", rx.packets, "rx bytes", rx.bytes
    )
}

/// `-L`: one numbered block per entry, each followed by two blank lines;
/// an entry with `--no-announce` says so in one more line.
pub fn list_text(entries: &[EntryInfo]) -> String {
    if entries.is_empty() {
        return "Not configure multicast server ip and port!\n".into();
    }
    let mut out = String::new();
    for (i, e) in entries.iter().enumerate() {
        let _ = write!(
            out,
            "Configure Multicast Server {}:\nServer IP:  {}\nUDP Port:  {}\nMulticast  IP:  {}\n",
            i + 1,
            e.entry.server,
            e.entry.port,
            e.entry.group
        );
        if e.entry.no_announce {
            out.push_str("IGMP Announce:  no\n");
        }
        out.push_str("\n\n");
    }
    out
}

#[derive(Serialize)]
struct EntryJson {
    server_ip: String,
    client_port: u16,
    group_ip: String,
    allow_link_local: bool,
    no_announce: bool,
    rx_packets: u64,
    rx_bytes: u64,
}

impl From<&EntryInfo> for EntryJson {
    fn from(e: &EntryInfo) -> Self {
        EntryJson {
            server_ip: e.entry.server.to_string(),
            client_port: e.entry.port,
            group_ip: e.entry.group.to_string(),
            allow_link_local: e.entry.allow_link_local,
            no_announce: e.entry.no_announce,
            rx_packets: e.rx.packets,
            rx_bytes: e.rx.bytes,
        }
    }
}

/// `-L --json`: every entry with its flags and counters.
pub fn list_json(entries: &[EntryInfo]) -> String {
    json_line(&entries.iter().map(EntryJson::from).collect::<Vec<_>>())
}

/// `-P`: restored packets and bytes, then a blank line.
pub fn stats_text(stats: &ClientStats) -> String {
    traffic_text(Traffic {
        packets: stats.counters[counter::RX_PACKETS],
        bytes: stats.counters[counter::RX_BYTES],
    })
}

/// `-P --json`: every counter by name, and the module's entry limit.
pub fn stats_json(stats: &ClientStats) -> String {
    let limits = [("max_entries", u64::from(stats.max_entries))];
    json_line(&Named {
        table: &COUNTERS,
        values: &stats.counters,
        extra: &limits,
    })
}

/// `-P -i S -p P`: the entry's two counters, then a blank line.
pub fn entry_stats_text(info: &EntryInfo) -> String {
    traffic_text(info.rx)
}

/// `-P -i S -p P --json`.
pub fn entry_stats_json(info: &EntryInfo) -> String {
    json_line(&EntryJson::from(info))
}
