//! Every query layout against its golden file in tests/golden. The text
//! layouts are the old tool's, byte for byte; the JSON ones are ours.
//! `UPDATE_GOLDEN=1 cargo test` rewrites the files (review the diff!).
//! This crate owns these files: the CLIs' session tests compare their
//! output with the same files (`testing::layout_golden`), so each is kept once.

use mcast_admin_core::config::ClientEntry;
use mcast_admin_core::kernel::{
    ClientStats, EntryInfo, GroupInfo, LearnedMember, Learning, MemberList, ServerStats, Traffic,
};
use mcast_admin_core::output::{client, server};
use mcast_shared::addr::Ipv4;
use mcast_shared::genl::{client as cg, server as sg};

// `mcast_admin_core::testing` needs its feature, which this crate's own
// tests could only turn on through a dependency on itself.
#[path = "../src/testing/golden.rs"]
mod testing;

fn golden(name: &str, actual: &str) {
    testing::layout_golden(name, actual);
}

fn ip(text: &str) -> Ipv4 {
    Ipv4::parse(text).unwrap()
}

fn group(text: &str, member_count: u32, packets: u64, bytes: u64) -> GroupInfo {
    GroupInfo {
        group: ip(text),
        member_count,
        tx: Traffic { packets, bytes },
        learning: None,
    }
}

/// A group with one member that learns from two prefixes and has learned two.
fn learning_group() -> GroupInfo {
    let mut prefixes = mcast_shared::learn::Prefixes::default();
    for text in ["10.0.2.0/24", "10.0.3.7/32"] {
        prefixes
            .push(mcast_shared::learn::Prefix::parse(text).unwrap())
            .unwrap();
    }
    GroupInfo {
        learning: Some(Learning {
            prefixes,
            timeout: 260,
            learned_count: 2,
        }),
        ..group("239.10.0.9", 3, 0, 0)
    }
}

fn static_members() -> MemberList {
    MemberList {
        members: vec![ip("10.0.1.11"), ip("10.0.1.12")],
        learned: Vec::new(),
    }
}

fn server_stats() -> ServerStats {
    let mut counters = [0; sg::COUNTERS.len()];
    counters[sg::counter::TX_PACKETS] = 2048;
    counters[sg::counter::TX_BYTES] = 1187840;
    counters[sg::counter::MATCHED] = 1024;
    counters[sg::counter::UNMATCHED] = 35120;
    counters[sg::counter::XMIT_FAIL] = 3;
    ServerStats {
        counters,
        max_groups: 1024,
        max_members: 1024,
        query_interval: 125,
    }
}

#[test]
fn server_list() {
    let g = ip("239.10.0.1");
    golden("server_list.txt", &server::list_text(g, &static_members()));
    golden(
        "server_list_empty.txt",
        &server::list_text(g, &MemberList::default()),
    );
    golden(
        "server_list_json.txt",
        &server::list_json(g, &static_members()),
    );
}

#[test]
fn server_list_learned() {
    let list = MemberList {
        members: vec![ip("10.0.1.11")],
        learned: vec![
            LearnedMember {
                address: ip("10.0.2.2"),
                expires_ms: 253_001,
            },
            LearnedMember {
                address: ip("10.0.3.7"),
                expires_ms: 0,
            },
        ],
    };
    let g = ip("239.10.0.9");
    golden("server_list_learned.txt", &server::list_text(g, &list));
    golden("server_list_learned_json.txt", &server::list_json(g, &list));
}

#[test]
fn server_show() {
    let groups = [
        group("239.10.0.7", 2, 0, 0),
        group("239.10.0.1", 2, 1024, 593920),
    ];
    golden("server_show.txt", &server::show_text(&groups));
    golden("server_show_empty.txt", &server::show_text(&[]));
    golden("server_show_json.txt", &server::show_json(&groups));
    golden("server_show_empty_json.txt", &server::show_json(&[]));
    let with_learning = [groups[0], learning_group()];
    golden(
        "server_show_learning.txt",
        &server::show_text(&with_learning),
    );
    golden(
        "server_show_learning_json.txt",
        &server::show_json(&with_learning),
    );
}

#[test]
fn server_stats_layouts() {
    golden("server_stats.txt", &server::stats_text(&server_stats()));
    golden(
        "server_stats_json.txt",
        &server::stats_json(&server_stats()),
    );
    let one = group("239.10.0.1", 2, 1024, 593920);
    golden("server_group_stats.txt", &server::group_stats_text(&one));
    golden(
        "server_group_stats_json.txt",
        &server::group_stats_json(&one),
    );
}

fn entries() -> Vec<EntryInfo> {
    vec![
        EntryInfo {
            entry: ClientEntry {
                server: ip("10.0.1.10"),
                port: 5000,
                group: ip("239.10.0.1"),
                allow_link_local: false,
                no_announce: false,
            },
            rx: Traffic {
                packets: 7,
                bytes: 3500,
            },
        },
        EntryInfo {
            entry: ClientEntry {
                server: ip("10.0.1.20"),
                port: 0,
                group: ip("224.0.0.18"),
                allow_link_local: true,
                no_announce: false,
            },
            rx: Traffic::default(),
        },
        // Its sender runs the old tool, which does not learn.
        EntryInfo {
            entry: ClientEntry {
                server: ip("10.0.1.30"),
                port: 6000,
                group: ip("239.10.0.3"),
                allow_link_local: false,
                no_announce: true,
            },
            rx: Traffic::default(),
        },
    ]
}

#[test]
fn client_list() {
    golden("client_list.txt", &client::list_text(&entries()));
    golden("client_list_empty.txt", &client::list_text(&[]));
    golden("client_list_json.txt", &client::list_json(&entries()));
    golden("client_list_empty_json.txt", &client::list_json(&[]));
}

#[test]
fn client_stats_layouts() {
    let mut counters = [0; cg::COUNTERS.len()];
    counters[cg::counter::RX_PACKETS] = 1024;
    counters[cg::counter::RX_BYTES] = 593920;
    counters[cg::counter::UNMARKED] = 12;
    let stats = ClientStats {
        counters,
        max_entries: 1024,
    };
    golden("client_stats.txt", &client::stats_text(&stats));
    golden("client_stats_json.txt", &client::stats_json(&stats));
    golden(
        "client_entry_stats.txt",
        &client::entry_stats_text(&entries()[0]),
    );
    golden(
        "client_entry_stats_json.txt",
        &client::entry_stats_json(&entries()[0]),
    );
}

/// Each golden file is kept once in the workspace: a CLI's session test
/// compares an output layout with this crate's file, not with a copy.
#[test]
fn golden_files_are_kept_once() {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(workspace).unwrap() {
        let dir = krate.unwrap().path().join("tests/golden");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            files.push((dir.clone(), std::fs::read(&path).unwrap(), path));
        }
    }
    assert!(
        files.len() > 20,
        "golden files not found under {workspace:?}"
    );
    let mut copies = Vec::new();
    for (i, (dir_a, text_a, a)) in files.iter().enumerate() {
        for (dir_b, text_b, b) in &files[i + 1..] {
            if dir_a != dir_b && text_a == text_b {
                copies.push(format!("{} == {}", a.display(), b.display()));
            }
        }
    }
    assert!(
        copies.is_empty(),
        "golden files kept twice (compare with the file of \
         mcast_admin_core/tests/golden through testing::layout_golden instead):\n{}",
        copies.join("\n")
    );
}
