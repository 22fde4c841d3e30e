//! `multis_admin` query output.

use super::{json_line, Named};
use crate::kernel::{GroupInfo, LearnedMember, Learning, MemberList, ServerStats};
use mcast_shared::addr::Ipv4;
use mcast_shared::genl::server::{counter, COUNTERS};
use mcast_shared::learn::Prefixes;
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

/// `-L -m G`: the group, its member count, one member per line: the
/// configured ones, then the learned ones with the time they have left.
pub fn list_text(group: Ipv4, list: &MemberList) -> String {
    let mut out = format!("Multicast IP:  {group}\nVM IP List: {}\n", list.count());
    for m in &list.members {
        let _ = writeln!(out, "    {m}");
    }
    for m in &list.learned {
        let _ = writeln!(
            out,
            "    {} learned, expires in {} s",
            m.address,
            m.expires_ms.div_ceil(1000)
        );
    }
    out
}

#[derive(Serialize)]
struct LearnedJson {
    address: String,
    expires_ms: u32,
}

impl From<&LearnedMember> for LearnedJson {
    fn from(m: &LearnedMember) -> Self {
        LearnedJson {
            address: m.address.to_string(),
            expires_ms: m.expires_ms,
        }
    }
}

#[derive(Serialize)]
struct GroupMembers {
    group_ip: String,
    member_count: usize,
    member_array: Vec<String>,
    learned: Vec<LearnedJson>,
}

/// `-L -m G --json`: `member_count` counts both lists.
pub fn list_json(group: Ipv4, list: &MemberList) -> String {
    json_line(&GroupMembers {
        group_ip: group.to_string(),
        member_count: list.count(),
        member_array: list.members.iter().map(ToString::to_string).collect(),
        learned: list.learned.iter().map(LearnedJson::from).collect(),
    })
}

/// Each prefix as `--learn` takes it.
fn prefix_texts(prefixes: &Prefixes) -> Vec<String> {
    prefixes
        .as_slice()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// `-S`: a header (with its trailing space) and one group per line; a
/// learning group's line goes on with its learning.
pub fn show_text(groups: &[GroupInfo]) -> String {
    let mut out = String::from("Multicast Group IP: \n");
    for g in groups {
        let _ = match &g.learning {
            None => writeln!(out, "{}", g.group),
            Some(l) => writeln!(
                out,
                "{} learns from {}, timeout {} s, {} learned",
                g.group,
                prefix_texts(&l.prefixes).join(","),
                l.timeout,
                l.learned_count
            ),
        };
    }
    out
}

#[derive(Serialize)]
struct GroupJson {
    group_ip: String,
    member_count: u32,
    tx_packets: u64,
    tx_bytes: u64,
    #[serde(flatten)]
    learning: Option<LearningJson>,
}

/// A learning group's keys; absent for a group that does not learn.
#[derive(Serialize)]
struct LearningJson {
    learn_prefixes: Vec<String>,
    learn_timeout: u32,
    learned_count: u32,
}

impl From<&Learning> for LearningJson {
    fn from(l: &Learning) -> Self {
        LearningJson {
            learn_prefixes: prefix_texts(&l.prefixes),
            learn_timeout: l.timeout,
            learned_count: l.learned_count,
        }
    }
}

impl From<&GroupInfo> for GroupJson {
    fn from(g: &GroupInfo) -> Self {
        GroupJson {
            group_ip: g.group.to_string(),
            member_count: g.member_count,
            tx_packets: g.tx.packets,
            tx_bytes: g.tx.bytes,
            learning: g.learning.as_ref().map(LearningJson::from),
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

/// `-P --json`: every counter by name, the module's limits and its query
/// interval.
pub fn stats_json(stats: &ServerStats) -> String {
    let limits = [
        ("max_groups", u64::from(stats.max_groups)),
        ("max_members", u64::from(stats.max_members)),
        ("query_interval", u64::from(stats.query_interval)),
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
