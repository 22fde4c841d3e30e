//! `multis_admin` query output.

use super::{json_line, Named};
use crate::kernel::{GroupInfo, ServerStats};
use mcast_shared::addr::Ipv4;
use mcast_shared::genl::server::{counter, COUNTERS};
use serde::Serialize;
use std::fmt::Write;

/// The old `-P` labels and the counters now behind them, in the old order.
/// The old `no_multi_grp_pkt_count` counted every UDP datagram to a
/// non-group (it named it a drop; nothing was dropped): now `unmatched`,
/// which counts those to multicast or broadcast addresses only (unicast
/// leaves the hook unexamined).
pub const OLD_LABELS: [(&str, usize); 6] = [
    ("tx packets", counter::TX_PACKETS),
    ("tx bytes", counter::TX_BYTES),
    ("no_multi_grp_pkt_count", counter::UNMATCHED),
    ("no_multi_member_pkt_drop_count", counter::NO_MEMBERS),
    ("route_fail_drop_count", counter::ROUTE_FAIL),
    ("no_mem_drop_count", counter::ALLOC_FAIL),
];

fn stat_line(out: &mut String, label: &str, value: u64) {
    // The old layout: the label left-justified in 31 columns, then ":  ".
    let _ = writeln!(out, "{label:<31}:  {value}");
}

/// `-L -m G`: the group, its member count, one member per line.
pub fn list_text(group: Ipv4, members: &[Ipv4]) -> String {
    let mut out = format!("Multicast IP:  {group}\nVM IP List: {}\n", members.len());
    for m in members {
        let _ = writeln!(out, "    {m}");
    }
    out
}

#[derive(Serialize)]
struct GroupMembers {
    group_ip: String,
    member_count: usize,
    member_array: Vec<String>,
}

/// `-L -m G --json`.
pub fn list_json(group: Ipv4, members: &[Ipv4]) -> String {
    json_line(&GroupMembers {
        group_ip: group.to_string(),
        member_count: members.len(),
        member_array: members.iter().map(ToString::to_string).collect(),
    })
}

/// `-S`: a header (with its trailing space) and one group per line.
pub fn show_text(groups: &[GroupInfo]) -> String {
    let mut out = String::from("Multicast Group IP: \n");
    for g in groups {
        let _ = writeln!(out, "{}", g.group);
    }
    out
}

#[derive(Serialize)]
struct GroupJson {
    group_ip: String,
    member_count: u32,
    tx_packets: u64,
    tx_bytes: u64,
}

impl From<&GroupInfo> for GroupJson {
    fn from(g: &GroupInfo) -> Self {
        GroupJson {
            group_ip: g.group.to_string(),
            member_count: g.member_count,
            tx_packets: g.tx.packets,
            tx_bytes: g.tx.bytes,
        }
    }
}

/// `-S --json`: every group with its member count and counters.
pub fn show_json(groups: &[GroupInfo]) -> String {
    json_line(&groups.iter().map(GroupJson::from).collect::<Vec<_>>())
}

/// `-P`: the six old counters, then a blank line.
pub fn stats_text(stats: &ServerStats) -> String {
    let mut out = String::new();
    for (label, index) in OLD_LABELS {
        stat_line(&mut out, label, stats.counters[index]);
    }
    out.push('\n');
    out
}

/// `-P --json`: every counter by name, and the module's limits.
pub fn stats_json(stats: &ServerStats) -> String {
    let limits = [
        ("max_groups", u64::from(stats.max_groups)),
        ("max_members", u64::from(stats.max_members)),
    ];
    json_line(&Named {
        table: &COUNTERS,
        values: &stats.counters,
        extra: &limits,
    })
}

/// `-P -m G`: the group's two counters, then a blank line.
pub fn group_stats_text(info: &GroupInfo) -> String {
    let mut out = String::new();
    stat_line(&mut out, OLD_LABELS[0].0, info.tx.packets);
    stat_line(&mut out, OLD_LABELS[1].0, info.tx.bytes);
    out.push('\n');
    out
}

/// `-P -m G --json`.
pub fn group_stats_json(info: &GroupInfo) -> String {
    json_line(&GroupJson::from(info))
}
