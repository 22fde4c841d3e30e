//! `multic_admin` flows against the fake module and a temporary file.

use super::*;
use crate::error::{exit, Error};
use crate::kernel::fake::FakeClient;
use crate::kernel::{ClientKernel, EntryInfo, Traffic};
use crate::testing::Scratch;
use std::fs;

const S: Ipv4 = Ipv4([10, 0, 1, 10]);
const G: Ipv4 = Ipv4([239, 10, 0, 1]);

/// Where each test's configuration file goes, inside its own directory.
const FILE: &str = "etc/multi_client.json";

type Env = Scratch<FakeClient>;

impl Env {
    fn run(&mut self, command: ClientCommand) -> Result<String> {
        let mut out = Vec::new();
        execute(&command, &mut self.kernel, &self.file, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn args(&mut self, options: ClientOptions) -> Result<String> {
        self.run(resolve(&options)?)
    }
}

fn add(server: &str, port: &str, group: &str) -> ClientOptions {
    ClientOptions {
        add: true,
        server: Some(server.into()),
        port: Some(port.into()),
        group: Some(group.into()),
        ..Default::default()
    }
}

fn del(server: &str, port: &str) -> ClientOptions {
    ClientOptions {
        delete: true,
        server: Some(server.into()),
        port: Some(port.into()),
        ..Default::default()
    }
}

fn entry(port: u16, group: Ipv4) -> ClientEntry {
    ClientEntry {
        server: S,
        port,
        group,
        allow_link_local: false,
        no_announce: false,
    }
}

const ONE_ENTRY: &str = "{\n  \"multi_server_info_array\":[\n    {\n      \"server_ip\":\"10.0.1.10\",\n      \"group_ip\":\"239.10.0.1\",\n      \"client_port\":5000\n    }\n  ]\n}";

#[test]
fn add_update_delete_clear() {
    let mut env = Env::new(FILE);
    assert_eq!(
        env.args(add("10.0.1.10", "5000", "239.10.0.1")).unwrap(),
        ""
    );
    assert_eq!(env.text().unwrap(), ONE_ENTRY);
    assert_eq!(env.kernel.entries[0].entry, entry(5000, G));

    // The same entry again: an error, as in the old tool; the file stays.
    let e = env
        .args(add("10.0.1.10", "5000", "239.10.0.1"))
        .unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.exit_status()),
        ("sender 10.0.1.10 port 5000 already maps to 239.10.0.1", 232)
    );
    assert_eq!(env.text().unwrap(), ONE_ENTRY);

    // Another group for the same key updates in place.
    env.args(add("10.0.1.10", "05000", "239.10.0.2")).unwrap();
    assert_eq!(
        env.text().unwrap(),
        ONE_ENTRY.replace("239.10.0.1", "239.10.0.2")
    );

    // VRRP needs the allowance, which is stored with the entry.
    let e = env.args(add("10.0.1.10", "0", "224.0.0.18")).unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.exit_status()),
        (
            "224.0.0.18 is link-local: allow it for this entry with --allow-link-local",
            235
        )
    );
    env.args(ClientOptions {
        allow_link_local: true,
        ..add("10.0.1.10", "0", "224.0.0.18")
    })
    .unwrap();
    assert!(env
        .text()
        .unwrap()
        .ends_with("\"client_port\":0,\n      \"allow_link_local\":true\n    }\n  ]\n}"));
    assert!(env.kernel.entries[1].entry.allow_link_local);

    env.args(del("10.0.1.10", "5000")).unwrap();
    assert_eq!(env.kernel.entries.len(), 1);
    assert!(!env.text().unwrap().contains("5000"));
    let e = env.args(del("10.0.1.10", "5000")).unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.exit_status()),
        ("no entry for sender 10.0.1.10 port 5000", 233)
    );

    env.args(ClientOptions {
        clear: true,
        ..Default::default()
    })
    .unwrap();
    assert!(env.kernel.entries.is_empty());
    assert_eq!(
        env.text().unwrap(),
        "{\n  \"multi_server_info_array\":[\n  ]\n}"
    );
}

#[test]
fn the_file_catches_up_with_the_module() {
    // The module has the entry, the file does not: adding records it.
    let mut env = Env::new(FILE);
    env.kernel.add_entry(&entry(5000, G)).unwrap();
    env.args(add("10.0.1.10", "5000", "239.10.0.1")).unwrap();
    assert_eq!(env.text().unwrap(), ONE_ENTRY);
    // The file has it, the module lost it: adding re-adds it, deleting forgets it.
    let mut env = Env::new(FILE);
    env.write(ONE_ENTRY);
    env.args(add("10.0.1.10", "5000", "239.10.0.1")).unwrap();
    assert_eq!(env.kernel.entries.len(), 1);
    env.kernel.entries.clear();
    env.args(del("10.0.1.10", "5000")).unwrap();
    assert_eq!(
        env.text().unwrap(),
        "{\n  \"multi_server_info_array\":[\n  ]\n}"
    );
}

#[test]
fn queries_print_the_old_layouts_and_never_touch_the_file() {
    let mut env = Env::new(FILE);
    assert_eq!(
        env.run(ClientCommand::Query(Query::List { json: false }))
            .unwrap(),
        "Not configure multicast server ip and port!\n"
    );
    env.kernel.entries.push(EntryInfo {
        entry: entry(5000, G),
        rx: Traffic {
            packets: 7,
            bytes: 3500,
        },
    });
    let list = env
        .run(ClientCommand::Query(Query::List { json: false }))
        .unwrap();
    assert_eq!(list, "Configure Multicast Server 1:\nServer IP:  10.0.1.10\nUDP Port:  5000\nMulticast  IP:  239.10.0.1\n\n\n");
    let one = env
        .run(ClientCommand::Query(Query::Stats {
            key: Some((S, 5000)),
            json: false,
        }))
        .unwrap();
    assert_eq!(one, "rx packets  :  7\nrx bytes    :  3500\n\n");
    env.kernel.counters[0] = 1024;
    let all = env
        .run(ClientCommand::Query(Query::Stats {
            key: None,
            json: true,
        }))
        .unwrap();
    assert!(
        all.starts_with("{\"rx_packets\":1024,\"rx_bytes\":0,\"unmarked\":0,"),
        "{all}"
    );
    let e = env
        .run(ClientCommand::Query(Query::Stats {
            key: Some((S, 1)),
            json: false,
        }))
        .unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.exit_status()),
        ("no entry for sender 10.0.1.10 port 1", 233)
    );
    assert!(!env.file.path().parent().unwrap().exists());
}

#[test]
fn refusals_and_bad_input_leave_the_file() {
    let mut env = Env::new(FILE);
    env.write(ONE_ENTRY);
    env.kernel.gate.privileged = false;
    let e = env.args(del("10.0.1.10", "5000")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "permission denied: changing the configuration needs CAP_NET_ADMIN"
    );
    env.kernel.gate.privileged = true;
    env.kernel.max_entries = 1;
    let e = env
        .args(add("10.0.1.10", "5001", "239.10.0.1"))
        .unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.exit_status()),
        (
            "already 1 entries, the limit (module parameter max_entries)",
            234
        )
    );
    let cases = [
        (
            add("10.0.1.10", "65536", "239.10.0.1"),
            "65536: not a port (a decimal number from 0 to 65535)",
            255,
        ),
        (
            add("10.0.1.10", "", "239.10.0.1"),
            "'': not a port (a decimal number from 0 to 65535)",
            255,
        ),
        (
            add("10.0.1.10", "0x10", "239.10.0.1"),
            "0x10: not a port (a decimal number from 0 to 65535)",
            255,
        ),
        (
            add("10.0.1.300", "1", "239.10.0.1"),
            "10.0.1.300: not an IPv4 address",
            255,
        ),
        (
            add("239.1.1.1", "1", "239.10.0.1"),
            "239.1.1.1: a sender must be a unicast host address",
            235,
        ),
        (
            add("10.0.1.10", "1", "10.0.0.1"),
            "10.0.0.1: a group must be a multicast address or 255.255.255.255",
            235,
        ),
    ];
    for (options, message, status) in cases {
        let e = env.args(options).unwrap_err();
        assert_eq!((e.to_string().as_str(), e.exit_status()), (message, status));
    }
    assert_eq!(env.text().unwrap(), ONE_ENTRY);
    // Two changes read the limit; bad input never reached the module.
    assert_eq!(env.kernel.gate.log, ["GET_STATS", "GET_STATS"]);
}

#[test]
fn a_corrupt_file_is_an_error_and_stays() {
    let mut env = Env::new(FILE);
    env.write("[]");
    let e = env
        .args(ClientOptions {
            clear: true,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the top level is not a JSON object",
            env.file.path().display()
        )
    );
    // Only the limit was read; nothing was changed.
    assert_eq!(env.kernel.gate.log, ["GET_STATS"]);
    assert_eq!(env.text().unwrap(), "[]");
}

#[test]
fn restore_and_import() {
    let mut env = Env::new(FILE);
    let old = env.dir().join("multi_client_startup_config");
    // The generator wrote ports as strings; VRRP entries had no allowance.
    fs::write(&old, r#"{"multi_server_info_array": [{"server_ip": "10.0.1.10", "group_ip": "239.10.0.1", "client_port": "5000"}, {"server_ip": "10.0.1.20", "group_ip": "224.0.0.18", "client_port": 0}]}"#).unwrap();
    let import = |allow| ClientCommand::Import {
        from: old.clone(),
        allow_link_local: allow,
    };
    // The old tool took VRRP without a flag: the entry comes across with
    // the allowance, and the report says so.
    let report = env.run(import(false)).unwrap();
    assert_eq!(
        report,
        format!(
            "imported 2 entries from {} into {}\nentry 10.0.1.20 port 0 -> 224.0.0.18: link-local group (VRRP), imported with --allow-link-local\n",
            old.display(),
            env.file.path().display()
        )
    );
    assert!(env.kernel.gate.log.is_empty());
    let text = env.text().unwrap();
    assert!(text.contains("\"allow_link_local\":true"), "{text}");
    assert!(
        text.starts_with(&ONE_ENTRY[..ONE_ENTRY.len() - 8]),
        "{text}"
    );
    assert!(matches!(
        env.run(import(true)),
        Err(Error::ConfigFile { .. })
    ));

    env.run(ClientCommand::Change(Change::Restore)).unwrap();
    assert_eq!(env.kernel.entries.len(), 2);
    // An entry the file lacks goes; a re-mapped one is mapped back.
    env.kernel.add_entry(&entry(7, G)).unwrap();
    env.kernel
        .add_entry(&ClientEntry {
            port: 5000,
            group: Ipv4([239, 9, 9, 9]),
            ..entry(5000, G)
        })
        .unwrap();
    env.run(ClientCommand::Change(Change::Restore)).unwrap();
    assert_eq!(env.kernel.entries.len(), 2);
    assert!(env.kernel.entries.iter().all(|e| e.entry.port != 7));
    assert!(env
        .kernel
        .entries
        .iter()
        .any(|e| e.entry.port == 5000 && e.entry.group == G));
    // Entries present unchanged are fine.
    env.run(ClientCommand::Change(Change::Restore)).unwrap();
    assert_eq!(env.kernel.entries.len(), 2);

    // A file with more entries than the module takes is refused before the
    // first change.
    env.kernel.entries.clear();
    env.kernel.max_entries = 1;
    let e = env.run(ClientCommand::Change(Change::Restore)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: 2 entries: more than the limit of 1 (module parameter max_entries)",
            env.file.path().display()
        )
    );
    // A configuration file error, as for any file the tool cannot use.
    assert_eq!(e.exit_status(), 1);
    assert!(env.kernel.entries.is_empty());
}

/// A file that holds more entries than the module takes (a hostile file of
/// 100 000) is an error naming the file for every change and for -R,
/// before the module or the file is touched.
#[test]
fn a_file_past_the_module_limit_changes_nothing() {
    let entries: Vec<String> = (1..=3)
        .map(|i| format!(r#"{{"server_ip":"10.0.1.{i}","group_ip":"239.10.0.1","client_port":1}}"#))
        .collect();
    let text = format!(r#"{{"multi_server_info_array":[{}]}}"#, entries.join(","));
    let commands = [
        resolve(&add("10.0.1.10", "5001", "239.10.0.1")).unwrap(),
        resolve(&del("10.0.1.10", "5000")).unwrap(),
        ClientCommand::Change(Change::Clear),
        ClientCommand::Change(Change::Restore),
    ];
    for command in commands {
        let mut env = Env::new(FILE);
        env.kernel.max_entries = 2;
        env.kernel.add_entry(&entry(5000, G)).unwrap();
        env.kernel.gate.log.clear();
        env.write(&text);
        let e = env.run(command.clone()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: 3 entries: more than the limit of 2 (module parameter max_entries)",
                env.file.path().display()
            ),
            "{command:?}"
        );
        assert_eq!(e.exit_status(), exit::FAILURE);
        assert_eq!(env.kernel.gate.log, ["GET_STATS"], "{command:?}");
        assert_eq!(env.kernel.entries.len(), 1);
        assert_eq!(env.text().unwrap(), text);
    }

    // --import checks against the default limit, naming the old file.
    let mut env = Env::new(FILE);
    let old = env.dir().join("multi_client_startup_config");
    let entries: Vec<String> = (0..1025)
        .map(|i| {
            let server = format!("10.0.{}.{}", i / 250, i % 250 + 1);
            format!(r#"{{"server_ip":"{server}","group_ip":"239.10.0.1","client_port":1}}"#)
        })
        .collect();
    let text = format!(r#"{{"multi_server_info_array":[{}]}}"#, entries.join(","));
    fs::write(&old, text).unwrap();
    let e = env
        .run(ClientCommand::Import {
            from: old.clone(),
            allow_link_local: false,
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: 1025 entries: more than the limit of 1024 (module parameter max_entries)",
            old.display()
        )
    );
    assert_eq!(env.text(), None);
}

#[test]
fn combinations() {
    let o = ClientOptions::default;
    let with = |server: bool, port: bool, group: bool| ClientOptions {
        server: server.then(|| "10.0.1.10".into()),
        port: port.then(|| "5000".into()),
        group: group.then(|| "239.10.0.1".into()),
        ..o()
    };
    let cases = [
        (
            o(),
            "no command given: use one of -A, -D, -C, -P, -L, -R or --import (see --help)",
        ),
        (
            ClientOptions {
                list: true,
                stats: true,
                ..o()
            },
            "-P/--stats and -L/--list cannot be combined: give one command",
        ),
        (
            ClientOptions {
                add: true,
                ..with(true, true, false)
            },
            "-A/--add needs -i/--ip SERVER, -p/--port PORT and -m/--multiip GROUP",
        ),
        (
            ClientOptions {
                add: true,
                ..with(false, true, true)
            },
            "-A/--add needs -i/--ip SERVER, -p/--port PORT and -m/--multiip GROUP",
        ),
        (
            ClientOptions {
                delete: true,
                ..with(true, false, false)
            },
            "-D/--delete needs -i/--ip SERVER and -p/--port PORT",
        ),
        (
            ClientOptions {
                delete: true,
                ..with(true, true, true)
            },
            "-D/--delete takes no -m/--multiip",
        ),
        (
            ClientOptions {
                clear: true,
                ..with(true, false, false)
            },
            "-C/--clear takes no -i/--ip",
        ),
        (
            ClientOptions {
                list: true,
                ..with(false, true, false)
            },
            "-L/--list takes no -p/--port",
        ),
        (
            ClientOptions {
                stats: true,
                ..with(true, false, false)
            },
            "-P/--stats needs both -i/--ip and -p/--port, or neither",
        ),
        (
            ClientOptions {
                stats: true,
                ..with(true, true, true)
            },
            "-P/--stats takes no -m/--multiip",
        ),
        (
            ClientOptions {
                restore: true,
                ..with(false, false, true)
            },
            "-R/--restore takes no -m/--multiip",
        ),
        (
            ClientOptions {
                json: true,
                ..add("10.0.1.10", "1", "239.1.1.1")
            },
            "--json goes only with -P or -L",
        ),
        (
            ClientOptions {
                allow_link_local: true,
                list: true,
                ..o()
            },
            "--allow-link-local goes only with -A or --import",
        ),
        (
            ClientOptions {
                allow_link_local: true,
                ..del("10.0.1.10", "1")
            },
            "--allow-link-local goes only with -A or --import",
        ),
        (
            ClientOptions {
                no_announce: true,
                import: Some("f".into()),
                ..o()
            },
            "--no-announce goes only with -A",
        ),
        (
            ClientOptions {
                no_announce: true,
                ..del("10.0.1.10", "1")
            },
            "--no-announce goes only with -A",
        ),
    ];
    for (options, message) in cases {
        let e = resolve(&options).unwrap_err();
        assert_eq!(e.to_string(), message, "{options:?}");
        assert_eq!(e.exit_status(), exit::USAGE, "{options:?}");
    }
    let ok = [
        (
            ClientOptions { stats: true, ..o() },
            ClientCommand::Query(Query::Stats {
                key: None,
                json: false,
            }),
        ),
        (
            ClientOptions {
                stats: true,
                json: true,
                ..with(true, true, false)
            },
            ClientCommand::Query(Query::Stats {
                key: Some((S, 5000)),
                json: true,
            }),
        ),
        (
            ClientOptions {
                list: true,
                json: true,
                ..o()
            },
            ClientCommand::Query(Query::List { json: true }),
        ),
        (
            del("10.0.1.10", "08"),
            ClientCommand::Change(Change::Delete { server: S, port: 8 }),
        ),
        (
            add("10.0.1.10", "0", "255.255.255.255"),
            ClientCommand::Change(Change::Add(entry(0, Ipv4::BROADCAST))),
        ),
        (
            ClientOptions {
                import: Some("f".into()),
                allow_link_local: true,
                ..o()
            },
            ClientCommand::Import {
                from: "f".into(),
                allow_link_local: true,
            },
        ),
    ];
    for (options, command) in ok {
        assert_eq!(resolve(&options).unwrap(), command);
    }
}

#[test]
fn remapping_an_entry_names_the_group_it_had() {
    let mut env = Env::new(FILE);
    assert_eq!(
        env.args(add("10.0.1.10", "5000", "239.10.0.1")).unwrap(),
        ""
    );
    assert_eq!(
        env.args(add("10.0.1.10", "5000", "239.10.0.2")).unwrap(),
        "sender 10.0.1.10 port 5000 mapped to 239.10.0.1 before; now to 239.10.0.2\n"
    );
}

/// `--no-announce` is a flag of the entry, like `--allow-link-local`: sent
/// to the module, saved, listed and restored.
#[test]
fn no_announce_is_kept_with_the_entry() {
    let mut env = Env::new(FILE);
    let quiet = || ClientOptions {
        no_announce: true,
        ..add("10.0.1.10", "5000", "239.10.0.1")
    };
    env.args(quiet()).unwrap();
    assert_eq!(
        env.kernel.gate.log[1],
        "ADD_ENTRY 10.0.1.10 5000 239.10.0.1 flags=2"
    );
    let saved = ONE_ENTRY.replace(
        "\"client_port\":5000\n",
        "\"client_port\":5000,\n      \"no_announce\":true\n",
    );
    assert_eq!(env.text().unwrap(), saved);
    let list = env
        .run(ClientCommand::Query(Query::List { json: false }))
        .unwrap();
    assert!(
        list.ends_with("Multicast  IP:  239.10.0.1\nIGMP Announce:  no\n\n\n"),
        "{list}"
    );
    let json = env
        .run(ClientCommand::Query(Query::List { json: true }))
        .unwrap();
    assert!(json.contains("\"no_announce\":true"), "{json}");

    // The same entry again is refused; without the flag it is an update.
    assert_eq!(env.args(quiet()).unwrap_err().exit_status(), 232);
    assert_eq!(
        env.args(add("10.0.1.10", "5000", "239.10.0.1")).unwrap(),
        ""
    );
    assert!(!env.kernel.entries[0].entry.no_announce);
    assert_eq!(env.text().unwrap(), ONE_ENTRY);

    // -R gives the module the flag the file has.
    env.write(&saved);
    env.run(ClientCommand::Change(Change::Restore)).unwrap();
    assert!(env.kernel.entries[0].entry.no_announce);
}
