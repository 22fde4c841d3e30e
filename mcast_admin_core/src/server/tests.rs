//! `multis_admin` flows against the fake module and a temporary file.

use super::*;
use crate::error::{exit, Error};
use crate::kernel::fake::FakeServer;
use crate::kernel::{ServerKernel, MEMBERS_PER_REQUEST};
use crate::testing::Scratch;
use std::fs;

const G: Ipv4 = Ipv4([239, 10, 0, 1]);
const G2: Ipv4 = Ipv4([239, 10, 0, 7]);

fn ip(text: &str) -> Ipv4 {
    Ipv4::parse(text).unwrap()
}

/// Where each test's configuration file goes, inside its own directory.
const FILE: &str = "etc/multi_server.json";

type Env = Scratch<FakeServer>;

impl Env {
    fn run(&mut self, command: ServerCommand) -> Result<String> {
        let mut out = Vec::new();
        execute(&command, &mut self.kernel, &self.file, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn args(&mut self, options: ServerOptions) -> Result<String> {
        self.run(resolve(&options)?)
    }
}

fn add(group: &str, join: Option<&str>, quit: Option<&str>) -> ServerOptions {
    ServerOptions {
        add: true,
        group: Some(group.into()),
        join: join.map(Into::into),
        quit: quit.map(Into::into),
        ..Default::default()
    }
}

fn del(group: &str) -> ServerOptions {
    ServerOptions {
        delete: true,
        group: Some(group.into()),
        ..Default::default()
    }
}

const TWO_MEMBERS: &str = "{\n  \"multi_group_array\":[\n    {\n      \"group_ip\":\"239.10.0.1\",\n      \"member_array\":[\n        \"10.0.1.11\",\n        \"10.0.1.12\"\n      ]\n    }\n  ]\n}";

#[test]
fn add_join_quit_delete_clear() {
    let mut env = Env::new(FILE);
    assert_eq!(
        env.args(add(
            "239.10.0.1",
            Some("10.0.1.11,10.0.1.12,10.0.1.11"),
            None
        ))
        .unwrap(),
        ""
    );
    assert_eq!(env.text().unwrap(), TWO_MEMBERS);
    assert_eq!(
        env.kernel.members(G).unwrap(),
        [ip("10.0.1.11"), ip("10.0.1.12")]
    );

    // Adding what is there changes nothing, and the file is not rewritten.
    let before = fs::metadata(env.file.path()).unwrap().modified().unwrap();
    env.args(add("239.10.0.1", Some("10.0.1.12"), None))
        .unwrap();
    assert_eq!(
        fs::metadata(env.file.path()).unwrap().modified().unwrap(),
        before
    );

    env.args(add("239.10.0.1", None, Some("10.0.1.11,10.9.9.9")))
        .unwrap();
    assert_eq!(env.kernel.members(G).unwrap(), [ip("10.0.1.12")]);
    assert!(env
        .text()
        .unwrap()
        .contains("\"member_array\":[\n        \"10.0.1.12\"\n      ]"));

    env.args(add("239.10.0.7", None, None)).unwrap();
    assert!(env
        .text()
        .unwrap()
        .contains("\"group_ip\":\"239.10.0.7\",\n      \"member_array\":[\n      ]\n"));

    env.args(del("239.10.0.1")).unwrap();
    assert_eq!(env.kernel.groups.len(), 1);
    assert!(!env.text().unwrap().contains("239.10.0.1"));

    env.args(ServerOptions {
        clear: true,
        ..Default::default()
    })
    .unwrap();
    assert!(env.kernel.groups.is_empty());
    assert_eq!(env.text().unwrap(), "{\n  \"multi_group_array\":[\n  ]\n}");
}

#[test]
fn queries_print_the_old_layouts_and_never_touch_the_file() {
    let mut env = Env::new(FILE);
    env.kernel
        .add_group(G2, &[ip("10.0.1.11"), ip("10.0.1.12")])
        .unwrap();
    env.kernel
        .add_group(G, &[ip("10.0.1.11"), ip("10.0.1.12")])
        .unwrap();
    env.kernel.counters[0] = 2048;
    let show = env
        .run(ServerCommand::Query(Query::Show { json: false }))
        .unwrap();
    assert_eq!(show, "Multicast Group IP: \n239.10.0.7\n239.10.0.1\n");
    let list = env
        .run(ServerCommand::Query(Query::List {
            group: G,
            json: false,
        }))
        .unwrap();
    assert_eq!(
        list,
        "Multicast IP:  239.10.0.1\nVM IP List: 2\n    10.0.1.11\n    10.0.1.12\n"
    );
    let json = env
        .run(ServerCommand::Query(Query::List {
            group: G,
            json: true,
        }))
        .unwrap();
    assert_eq!(json, "{\"group_ip\":\"239.10.0.1\",\"member_count\":2,\"member_array\":[\"10.0.1.11\",\"10.0.1.12\"],\"learned\":[]}\n");
    let stats = env
        .run(ServerCommand::Query(Query::Stats {
            group: None,
            json: false,
        }))
        .unwrap();
    assert!(stats.starts_with("tx packets                     :  2048\n"));
    let one = env
        .run(ServerCommand::Query(Query::Stats {
            group: Some(G),
            json: false,
        }))
        .unwrap();
    assert_eq!(
        one,
        "tx packets                     :  0\ntx bytes                       :  0\n\n"
    );
    // Nothing was created: not the file, not its directory.
    assert!(!env.file.path().parent().unwrap().exists());
}

#[test]
fn unknown_groups() {
    let mut env = Env::new(FILE);
    for command in [
        ServerCommand::Query(Query::List {
            group: G,
            json: false,
        }),
        ServerCommand::Query(Query::Stats {
            group: Some(G),
            json: true,
        }),
    ] {
        let e = env.run(command).unwrap_err();
        assert_eq!(e.to_string(), "239.10.0.1: not a configured group");
        assert_eq!(e.exit_status(), exit::NOT_FOUND);
    }
    let e = env.args(del("239.10.0.1")).unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.exit_status()),
        ("239.10.0.1: not a configured group", 233)
    );
    let e = env
        .args(add("239.10.0.1", None, Some("10.0.0.1")))
        .unwrap_err();
    assert_eq!(e.exit_status(), 233);
    assert_eq!(env.text(), None);
}

#[test]
fn delete_catches_up_with_a_module_that_lost_the_group() {
    let mut env = Env::new(FILE);
    env.write(TWO_MEMBERS);
    env.args(del("239.10.0.1")).unwrap();
    assert_eq!(env.text().unwrap(), "{\n  \"multi_group_array\":[\n  ]\n}");
}

#[test]
fn a_refused_change_leaves_the_file() {
    let mut env = Env::new(FILE);
    env.write(TWO_MEMBERS);
    env.kernel.gate.privileged = false;
    let e = env
        .args(add("239.10.0.7", Some("10.0.0.1"), None))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "permission denied: changing the configuration needs CAP_NET_ADMIN"
    );
    assert_eq!(e.exit_status(), exit::FAILURE);
    assert_eq!(env.text().unwrap(), TWO_MEMBERS);

    env.kernel.gate.loaded = false;
    let e = env
        .args(ServerOptions {
            clear: true,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "rust_mcast_server is not loaded: run `service multis start`"
    );
    assert_eq!(env.text().unwrap(), TWO_MEMBERS);
}

#[test]
fn bad_input_touches_nothing() {
    let mut env = Env::new(FILE);
    let cases = [
        (
            add("10.0.0.1", None, None),
            "10.0.0.1: a group must be a multicast address or 255.255.255.255",
            235,
        ),
        (
            add("239.1.1.1", Some("10.0.0.300"), None),
            "10.0.0.300: not an IPv4 address",
            255,
        ),
        (
            add("239.1.1.1", Some("10.0.0.1,239.1.1.2"), None),
            "239.1.1.2: a member must be a unicast host address",
            235,
        ),
        (
            add("239.1.1.1", Some("10.0.0.1"), Some("10.0.0.2")),
            "-j/--join and -q/--quit cannot be combined",
            255,
        ),
        (
            add("239.1.1", None, None),
            "239.1.1: not an IPv4 address",
            255,
        ),
    ];
    for (options, message, status) in cases {
        let e = env.args(options).unwrap_err();
        assert_eq!((e.to_string().as_str(), e.exit_status()), (message, status));
    }
    assert!(env.kernel.gate.log.is_empty());
    assert!(!env.file.path().parent().unwrap().exists());
}

#[test]
fn a_corrupt_file_is_an_error_and_stays() {
    let mut env = Env::new(FILE);
    env.write("{\"multi_group_array\":[{\"group_ip\":");
    let e = env
        .args(add("239.10.0.1", Some("10.0.0.1"), None))
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}: not valid JSON: ", env.file.path().display())),
        "{e}"
    );
    assert_eq!(e.exit_status(), exit::FAILURE);
    // Only the limits were read; nothing was changed.
    assert_eq!(env.kernel.gate.log, ["GET_STATS"]);
    assert_eq!(
        env.text().unwrap(),
        "{\"multi_group_array\":[{\"group_ip\":"
    );
}

/// A file that holds more than the module takes (a hostile file of
/// 100 000 groups, or members) is an error naming the file for every
/// change and for -R, before the module or the file is touched.
#[test]
fn a_file_past_the_module_limits_changes_nothing() {
    let groups: Vec<String> = (1..=5)
        .map(|i| format!(r#"{{"group_ip":"239.10.1.{i}"}}"#))
        .collect();
    let too_many_groups = format!(r#"{{"multi_group_array":[{}]}}"#, groups.join(","));
    let too_many_members = r#"{"multi_group_array":[{"group_ip":"239.10.0.1","member_array":["10.0.0.1","10.0.0.2","10.0.0.3"]}]}"#;
    let cases = [
        (
            too_many_groups.as_str(),
            "5 groups: more than the limit of 4 (module parameter max_groups)",
        ),
        (
            too_many_members,
            "group 239.10.0.1: 3 members: more than the limit of 2 (module parameter max_members)",
        ),
    ];
    for (text, reason) in cases {
        let commands = [
            ServerCommand::Change(Change::Restore),
            ServerCommand::Change(Change::Clear),
            ServerCommand::Change(Change::Delete(G)),
            ServerCommand::Change(Change::Add {
                group: G2,
                members: Members::Keep,
            }),
        ];
        for command in commands {
            let mut env = Env::new(FILE);
            env.kernel.max_groups = 4;
            env.kernel.max_members = 2;
            env.kernel.add_group(G, &[ip("10.0.0.1")]).unwrap();
            env.kernel.gate.log.clear();
            env.write(text);
            let e = env.run(command.clone()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("{}: {reason}", env.file.path().display()),
                "{command:?}"
            );
            assert_eq!(e.exit_status(), exit::FAILURE);
            assert_eq!(env.kernel.gate.log, ["GET_STATS"], "{command:?}");
            assert_eq!(env.kernel.members(G).unwrap(), [ip("10.0.0.1")]);
            assert_eq!(env.text().unwrap(), text);
        }
    }
}

#[test]
fn limits_come_from_the_module_and_are_checked_first() {
    let mut env = Env::new(FILE);
    env.kernel.max_groups = 1;
    env.kernel.max_members = 2;
    env.args(add("239.10.0.1", Some("10.0.0.1"), None)).unwrap();
    let e = env.args(add("239.10.0.7", None, None)).unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.exit_status()),
        (
            "already 1 groups, the limit (module parameter max_groups)",
            234
        )
    );
    let e = env
        .args(add("239.10.0.1", Some("10.0.0.2,10.0.0.3"), None))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "group 239.10.0.1: 1 + 2 members would pass the limit 2"
    );
    // Only the limits were asked after the first change.
    assert_eq!(env.kernel.gate.log[2..], ["GET_STATS", "GET_STATS"]);
}

#[test]
fn big_member_lists_go_in_several_requests() {
    let mut kernel = FakeServer::default();
    let members: Vec<Ipv4> = (1..=5).map(|i| Ipv4([10, 0, 0, i])).collect();
    run::add_in_requests(&mut kernel, G, &members, 2).unwrap();
    run::quit_in_requests(&mut kernel, G, &members[1..], 2).unwrap();
    assert_eq!(
        kernel.gate.log,
        [
            "GET_MEMBERS 239.10.0.1",
            "ADD_GROUP 239.10.0.1 [10.0.0.1,10.0.0.2]",
            "JOIN 239.10.0.1 [10.0.0.3,10.0.0.4]",
            "JOIN 239.10.0.1 [10.0.0.5]",
            "QUIT 239.10.0.1 [10.0.0.2,10.0.0.3]",
            "QUIT 239.10.0.1 [10.0.0.4,10.0.0.5]",
        ]
    );
    assert_eq!(kernel.groups[0].members, [members[0]]);
    // The fake, like the module, refuses a request larger than the protocol allows.
    let too_many = vec![Ipv4([10, 0, 0, 1]); MEMBERS_PER_REQUEST + 1];
    assert_eq!(
        kernel.join(G, &too_many).unwrap_err().to_string(),
        "malformed attribute MEMBERS"
    );
    assert_eq!(MEMBERS_PER_REQUEST, 4096);
}

#[test]
fn restore_is_idempotent_and_goes_on_after_a_failure() {
    let mut env = Env::new(FILE);
    env.write(TWO_MEMBERS);
    env.run(ServerCommand::Change(Change::Restore)).unwrap();
    env.run(ServerCommand::Change(Change::Restore)).unwrap();
    assert_eq!(
        env.kernel.members(G).unwrap(),
        [ip("10.0.1.11"), ip("10.0.1.12")]
    );
    assert_eq!(env.text().unwrap(), TWO_MEMBERS);

    // The module holds two groups made behind the tool's back: -R removes
    // them first, which makes room for the file's three.
    let mut env = Env::new(FILE);
    env.kernel.max_groups = 3;
    env.kernel.add_group(G2, &[]).unwrap();
    env.kernel.add_group(ip("239.10.0.8"), &[]).unwrap();
    env.write(r#"{"multi_group_array":[{"group_ip":"239.10.0.1"},{"group_ip":"239.10.0.2"},{"group_ip":"239.10.0.3"}]}"#);
    env.run(ServerCommand::Change(Change::Restore)).unwrap();
    let groups: Vec<Ipv4> = env.kernel.groups.iter().map(|g| g.group).collect();
    assert_eq!(
        groups,
        [ip("239.10.0.1"), ip("239.10.0.2"), ip("239.10.0.3")]
    );

    let mut env = Env::new(FILE);
    env.kernel.gate.loaded = false;
    env.write(TWO_MEMBERS);
    assert!(matches!(
        env.run(ServerCommand::Change(Change::Restore)),
        Err(Error::NotLoaded { .. })
    ));
    // No file: nothing to restore.
    let mut env = Env::new(FILE);
    env.run(ServerCommand::Change(Change::Restore)).unwrap();
}

#[test]
fn big_member_lists_are_all_or_nothing() {
    let members: Vec<Ipv4> = (1..=5).map(|i| Ipv4([10, 0, 0, i])).collect();
    // A new group: a refusal of the third request takes the group away again.
    let mut kernel = FakeServer {
        max_members: 4,
        ..Default::default()
    };
    let e = run::add_in_requests(&mut kernel, G, &members, 2).unwrap_err();
    assert_eq!(e.exit_status(), exit::LIMIT);
    assert!(kernel.groups.is_empty(), "{:?}", kernel.groups);
    // An existing group keeps the members it had, and only those.
    run::add_in_requests(&mut kernel, G, &members[2..3], 2).unwrap();
    run::add_in_requests(&mut kernel, G, &members, 2).unwrap_err();
    assert_eq!(kernel.groups[0].members, [members[2]]);
}

#[test]
fn restore_makes_the_kernel_equal_to_the_file() {
    let mut env = Env::new(FILE);
    env.write(TWO_MEMBERS);
    // Behind the tool's back: an extra group, an extra member, a lost member.
    env.kernel.add_group(G2, &[ip("10.0.9.9")]).unwrap();
    env.kernel
        .add_group(G, &[ip("10.0.1.11"), ip("10.0.9.8")])
        .unwrap();
    env.run(ServerCommand::Change(Change::Restore)).unwrap();
    assert_eq!(env.kernel.groups.len(), 1);
    assert_eq!(
        env.kernel.members(G).unwrap(),
        [ip("10.0.1.11"), ip("10.0.1.12")]
    );
}

#[test]
fn a_change_the_file_cannot_take_says_so() {
    // As `edit` reports a store that failed after the kernel took the change
    // (root passes every permission check, so no test here can make the
    // write itself fail).
    let env = Env::new(FILE);
    let e = Error::NotSaved(Box::new(
        env.file.error("cannot write: No space left on device"),
    ));
    let text = e.to_string();
    assert_eq!(
        text,
        format!("{}: cannot write: No space left on device\nthe kernel has the change, but the configuration file does not: fix the cause, then run the same command again to save it (or reload the service to return the kernel to the file)", env.file.path().display())
    );
    assert_eq!(e.exit_status(), exit::FAILURE);
}

#[test]
fn import_adopts_an_old_file_once() {
    let mut env = Env::new(FILE);
    let old = env.dir().join("multi_server_startup_config");
    // Compact JSON with the generator script's duplicate group.
    fs::write(&old, r#"{"multi_group_array": [{"group_ip": "239.10.0.1", "member_array": ["10.0.1.11"]}, {"group_ip": "239.10.0.1", "member_array": ["10.0.1.12"]}]}"#).unwrap();
    let report = env.run(ServerCommand::Import(old.clone())).unwrap();
    assert_eq!(
        report,
        format!(
            "imported 1 groups (2 members) from {} into {}\n",
            old.display(),
            env.file.path().display()
        )
    );
    assert_eq!(env.text().unwrap(), TWO_MEMBERS);
    assert!(env.kernel.gate.log.is_empty());
    let e = env.run(ServerCommand::Import(old.clone())).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: holds 1 groups already; not importing {} (empty or remove it first)",
            env.file.path().display(),
            old.display()
        )
    );

    let mut env = Env::new(FILE);
    fs::write(&old, r#"{"multi_group_array":[{"group_ip":"10.0.0.1"}]}"#).unwrap();
    let e = env.run(ServerCommand::Import(old.clone())).unwrap_err();
    assert_eq!(e.to_string(), format!("{}: multi_group_array[0].group_ip: 10.0.0.1: a group must be a multicast address or 255.255.255.255", old.display()));
    assert_eq!(env.text(), None);
    let e = env
        .run(ServerCommand::Import(old.with_extension("missing")))
        .unwrap_err();
    assert!(e.to_string().ends_with(": no such file"));

    // More groups than a module takes by default: refused, naming the file.
    let groups: Vec<String> = (0..1025)
        .map(|i| format!(r#"{{"group_ip":"239.11.{}.{}"}}"#, i / 250, i % 250 + 1))
        .collect();
    fs::write(
        &old,
        format!(r#"{{"multi_group_array":[{}]}}"#, groups.join(",")),
    )
    .unwrap();
    let e = env.run(ServerCommand::Import(old.clone())).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: 1025 groups: more than the limit of 1024 (module parameter max_groups)",
            old.display()
        )
    );
    assert_eq!(env.text(), None);
}

#[test]
fn import_replaces_the_empty_packaged_file_and_reports_vrrp() {
    let mut env = Env::new(FILE);
    // What the packages ship.
    env.write("{\n  \"multi_group_array\":[\n  ]\n}");
    let old = env.dir().join("multi_server_running_config");
    fs::write(
        &old,
        r#"{"multi_group_array":[{"group_ip":"224.0.0.18","member_array":["10.0.1.2"]}]}"#,
    )
    .unwrap();
    let report = env.run(ServerCommand::Import(old.clone())).unwrap();
    assert!(report.contains("group 224.0.0.18: link-local group (VRRP), imported; the receivers' entries for it need --allow-link-local"), "{report}");
    assert!(env.text().unwrap().contains("224.0.0.18"));
}

#[test]
fn combinations() {
    let o = ServerOptions::default;
    let cases = [
        (
            o(),
            "no command given: use one of -A, -D, -C, -P, -L, -S, -R or --import (see --help)",
        ),
        (
            ServerOptions {
                add: true,
                show: true,
                ..o()
            },
            "-A/--add and -S/--show cannot be combined: give one command",
        ),
        (
            ServerOptions { add: true, ..o() },
            "-A/--add needs -m/--multiip GROUP",
        ),
        (
            ServerOptions {
                delete: true,
                ..o()
            },
            "-D/--delete needs -m/--multiip GROUP",
        ),
        (
            ServerOptions {
                delete: true,
                join: Some("10.0.0.1".into()),
                ..del("239.1.1.1")
            },
            "-D/--delete takes no -j/--join",
        ),
        (
            ServerOptions { list: true, ..o() },
            "-L/--list needs -m/--multiip GROUP",
        ),
        (
            ServerOptions {
                list: true,
                group: Some("239.1.1.1".into()),
                quit: Some("10.0.0.1".into()),
                ..o()
            },
            "-L/--list takes no -q/--quit",
        ),
        (
            ServerOptions {
                clear: true,
                group: Some("239.1.1.1".into()),
                ..o()
            },
            "-C/--clear takes no -m/--multiip",
        ),
        (
            ServerOptions {
                show: true,
                join: Some("10.0.0.1".into()),
                ..o()
            },
            "-S/--show takes no -j/--join",
        ),
        (
            ServerOptions {
                stats: true,
                join: Some("10.0.0.1".into()),
                ..o()
            },
            "-P/--stats takes no -j/--join",
        ),
        (
            ServerOptions {
                restore: true,
                group: Some("239.1.1.1".into()),
                ..o()
            },
            "-R/--restore takes no -m/--multiip",
        ),
        (
            ServerOptions {
                import: Some("x".into()),
                quit: Some("10.0.0.1".into()),
                ..o()
            },
            "--import takes no -q/--quit",
        ),
        (
            ServerOptions {
                json: true,
                ..add("239.1.1.1", None, None)
            },
            "--json goes only with -P, -L or -S",
        ),
        (
            ServerOptions {
                json: true,
                clear: true,
                ..o()
            },
            "--json goes only with -P, -L or -S",
        ),
        (
            ServerOptions {
                json: true,
                stats: true,
                group: Some("".into()),
                ..o()
            },
            "'': not an IPv4 address",
        ),
    ];
    for (options, message) in cases {
        let e = resolve(&options).unwrap_err();
        assert_eq!(e.to_string(), message, "{options:?}");
        assert_eq!(e.exit_status(), exit::USAGE, "{options:?}");
    }
    let ok = [
        (
            ServerOptions { stats: true, ..o() },
            ServerCommand::Query(Query::Stats {
                group: None,
                json: false,
            }),
        ),
        (
            ServerOptions {
                stats: true,
                json: true,
                group: Some("239.10.0.1".into()),
                ..o()
            },
            ServerCommand::Query(Query::Stats {
                group: Some(G),
                json: true,
            }),
        ),
        (
            ServerOptions {
                show: true,
                json: true,
                ..o()
            },
            ServerCommand::Query(Query::Show { json: true }),
        ),
        (
            add("255.255.255.255", None, None),
            ServerCommand::Change(Change::Add {
                group: Ipv4::BROADCAST,
                members: Members::Keep,
            }),
        ),
        (
            ServerOptions {
                restore: true,
                ..o()
            },
            ServerCommand::Change(Change::Restore),
        ),
    ];
    for (options, command) in ok {
        assert_eq!(resolve(&options).unwrap(), command);
    }
}

fn learn(group: &str, prefixes: &str, timeout: Option<&str>) -> ServerOptions {
    ServerOptions {
        learn: Some(prefixes.into()),
        learn_timeout: timeout.map(Into::into),
        ..add(group, None, None)
    }
}

fn no_learn(group: &str) -> ServerOptions {
    ServerOptions {
        no_learn: true,
        ..add(group, None, None)
    }
}

/// What `--learn 10.0.2.0/24 --learn-timeout 600` saves for group G.
const LEARNING: &str = "{\n  \"multi_group_array\":[\n    {\n      \"group_ip\":\"239.10.0.1\",\n      \"member_array\":[\n      ],\n      \"learn_prefixes\":[\n        \"10.0.2.0/24\"\n      ],\n      \"learn_timeout\":600\n    }\n  ]\n}";

#[test]
fn learning_is_set_saved_and_turned_off() {
    let mut env = Env::new(FILE);
    env.args(learn("239.10.0.1", "10.0.2.0/24", Some("600")))
        .unwrap();
    assert_eq!(
        env.kernel.gate.log,
        [
            "GET_STATS",
            "ADD_GROUP 239.10.0.1 learn=[10.0.2.0/24] timeout=600"
        ]
    );
    assert_eq!(env.text().unwrap(), LEARNING);
    assert!(env.kernel.learn_member(G, ip("10.0.2.2"), 30_000));
    assert_eq!(env.kernel.groups().unwrap()[0].member_count, 1);

    // The same again: the module is asked, the file is not rewritten.
    let before = fs::metadata(env.file.path()).unwrap().modified().unwrap();
    env.args(learn("239.10.0.1", "10.0.2.0/24", Some("600")))
        .unwrap();
    assert_eq!(
        fs::metadata(env.file.path()).unwrap().modified().unwrap(),
        before
    );

    // Members are added beside the learning, which stays.
    env.args(add("239.10.0.1", Some("10.0.1.11"), None))
        .unwrap();
    assert!(env.text().unwrap().contains("\"learn_timeout\":600"));

    // Without --learn-timeout the module's default applies, and none is saved.
    env.args(learn("239.10.0.1", "10.0.2.0/24,10.0.3.0/24", None))
        .unwrap();
    assert_eq!(
        env.kernel.gate.log.last().unwrap(),
        "ADD_GROUP 239.10.0.1 learn=[10.0.2.0/24,10.0.3.0/24]"
    );
    let info = env.kernel.groups().unwrap()[0];
    assert_eq!(info.learning.unwrap().timeout, 260);
    assert!(!env.text().unwrap().contains("learn_timeout"));

    // --no-learn: off in the module (learned members forgotten) and in the file.
    env.args(no_learn("239.10.0.1")).unwrap();
    assert_eq!(
        env.kernel.gate.log.last().unwrap(),
        "ADD_GROUP 239.10.0.1 learn=[]"
    );
    assert_eq!(env.kernel.groups().unwrap()[0].learning, None);
    assert_eq!(env.kernel.groups().unwrap()[0].member_count, 1);
    let text = env.text().unwrap();
    assert!(!text.contains("learn"), "{text}");
    assert!(text.contains("10.0.1.11"), "{text}");

    // --no-learn on a new group creates it, like -A -m alone.
    env.args(no_learn("239.10.0.7")).unwrap();
    assert!(env.text().unwrap().contains("239.10.0.7"));
}

#[test]
fn learned_members_are_listed_but_never_saved() {
    let mut env = Env::new(FILE);
    env.args(add("239.10.0.1", Some("10.0.1.11"), None))
        .unwrap();
    env.args(learn("239.10.0.1", "10.0.2.0/24", None)).unwrap();
    let saved = env.text().unwrap();
    assert!(env.kernel.learn_member(G, ip("10.0.2.2"), 254_000));
    let list = env
        .run(ServerCommand::Query(Query::List {
            group: G,
            json: false,
        }))
        .unwrap();
    assert_eq!(
        list,
        "Multicast IP:  239.10.0.1\nVM IP List: 2\n    10.0.1.11\n    10.0.2.2 learned, expires in 254 s\n"
    );
    let show = env
        .run(ServerCommand::Query(Query::Show { json: false }))
        .unwrap();
    assert_eq!(
        show,
        "Multicast Group IP: \n239.10.0.1 learns from 10.0.2.0/24, timeout 260 s, 1 learned\n"
    );
    let one = env
        .run(ServerCommand::Query(Query::Stats {
            group: Some(G),
            json: true,
        }))
        .unwrap();
    assert!(
        one.ends_with(
            ",\"learn_prefixes\":[\"10.0.2.0/24\"],\"learn_timeout\":260,\"learned_count\":1}\n"
        ),
        "{one}"
    );
    let stats = env
        .run(ServerCommand::Query(Query::Stats {
            group: None,
            json: true,
        }))
        .unwrap();
    assert!(stats.ends_with(",\"query_interval\":125}\n"), "{stats}");

    // Changes to the configured members leave the learned ones out of the file.
    env.args(add("239.10.0.1", Some("10.0.1.12"), None))
        .unwrap();
    env.args(add("239.10.0.1", None, Some("10.0.1.12")))
        .unwrap();
    assert_eq!(env.text().unwrap(), saved);
    // -R does not take learned members away: they are not configured ones.
    env.run(ServerCommand::Change(Change::Restore)).unwrap();
    assert_eq!(
        env.kernel.groups[0]
            .learning
            .as_ref()
            .unwrap()
            .learned
            .len(),
        1
    );
}

#[test]
fn restore_sets_the_learning_the_file_has() {
    let mut env = Env::new(FILE);
    env.write(LEARNING);
    env.run(ServerCommand::Change(Change::Restore)).unwrap();
    let learning = env.kernel.groups().unwrap()[0].learning.unwrap();
    assert_eq!(
        (
            learning.prefixes.as_slice()[0].to_string(),
            learning.timeout
        ),
        ("10.0.2.0/24".to_string(), 600)
    );
    // Applied already: not sent again, so what was learned stays.
    assert!(env.kernel.learn_member(G, ip("10.0.2.2"), 1_000));
    env.kernel.gate.log.clear();
    env.run(ServerCommand::Change(Change::Restore)).unwrap();
    assert_eq!(
        env.kernel.gate.log,
        ["GET_STATS", "GET_GROUPS", "GET_MEMBERS 239.10.0.1"]
    );
    assert_eq!(
        env.kernel.groups().unwrap()[0]
            .learning
            .unwrap()
            .learned_count,
        1
    );

    // Changed behind the tool's back: set back; learning the file lacks: off.
    env.kernel
        .set_learning(
            G,
            Some(&crate::config::LearnConfig {
                prefixes: parse::prefixes("10.0.0.0/8").unwrap(),
                timeout: None,
            }),
        )
        .unwrap();
    env.kernel
        .set_learning(
            G2,
            Some(&crate::config::LearnConfig {
                prefixes: parse::prefixes("10.0.0.0/8").unwrap(),
                timeout: None,
            }),
        )
        .unwrap();
    env.write(&format!(
        "{}{}",
        &LEARNING[..LEARNING.len() - 6],
        ",\n    {\"group_ip\":\"239.10.0.7\"}\n  ]\n}"
    ));
    env.kernel.gate.log.clear();
    env.run(ServerCommand::Change(Change::Restore)).unwrap();
    assert!(env
        .kernel
        .gate
        .log
        .contains(&"ADD_GROUP 239.10.0.1 learn=[10.0.2.0/24] timeout=600".to_string()));
    assert!(env
        .kernel
        .gate
        .log
        .contains(&"ADD_GROUP 239.10.0.7 learn=[]".to_string()));
    let groups = env.kernel.groups().unwrap();
    assert_eq!(groups[0].learning.unwrap().timeout, 600);
    assert_eq!(groups[1].learning, None);
}

#[test]
fn bad_learning_touches_nothing() {
    let mut env = Env::new(FILE);
    let cases = [
        (
            learn("239.1.1.1", "10.0.2.1/24", None),
            "10.0.2.1/24: a learn prefix is ADDRESS/LENGTH (0-32) without host bits, e.g. 10.0.2.0/24",
            235,
        ),
        (
            learn("239.1.1.1", "10.0.2.0/24,,10.0.3.0/24", None),
            "empty item in the prefix list '10.0.2.0/24,,10.0.3.0/24'",
            255,
        ),
        (
            learn("239.1.1.1", "10.0.2.0/24", Some("1")),
            "learn timeout 1 s: it must be 2-86400 seconds",
            235,
        ),
        (
            learn("239.1.1.1", "10.0.2.0/24", Some("5m")),
            "5m: not a number of seconds",
            255,
        ),
        (
            ServerOptions {
                join: Some("10.0.0.1".into()),
                ..learn("239.1.1.1", "10.0.2.0/24", None)
            },
            "--learn and -j/--join cannot be combined: give them in two commands",
            255,
        ),
        (
            ServerOptions {
                quit: Some("10.0.0.1".into()),
                ..no_learn("239.1.1.1")
            },
            "--no-learn and -q/--quit cannot be combined: give them in two commands",
            255,
        ),
        (
            ServerOptions {
                no_learn: true,
                ..learn("239.1.1.1", "10.0.2.0/24", None)
            },
            "--learn and --no-learn cannot be combined",
            255,
        ),
        (
            ServerOptions {
                learn_timeout: Some("600".into()),
                ..add("239.1.1.1", None, None)
            },
            "--learn-timeout needs --learn PREFIX,...: the timeout is set with the prefixes",
            255,
        ),
        (
            ServerOptions {
                learn_timeout: Some("600".into()),
                ..no_learn("239.1.1.1")
            },
            "--learn-timeout needs --learn PREFIX,...: the timeout is set with the prefixes",
            255,
        ),
        (
            ServerOptions {
                add: false,
                list: true,
                ..learn("239.1.1.1", "10.0.2.0/24", None)
            },
            "--learn goes only with -A",
            255,
        ),
        (
            ServerOptions {
                add: false,
                delete: true,
                ..no_learn("239.1.1.1")
            },
            "--no-learn goes only with -A",
            255,
        ),
        (
            ServerOptions {
                learn_timeout: Some("60".into()),
                show: true,
                ..ServerOptions::default()
            },
            "--learn-timeout goes only with -A",
            255,
        ),
    ];
    for (options, message, status) in cases {
        let e = env.args(options.clone()).unwrap_err();
        assert_eq!(
            (e.to_string().as_str(), e.exit_status()),
            (message, status),
            "{options:?}"
        );
    }
    assert!(env.kernel.gate.log.is_empty());
    assert!(!env.file.path().parent().unwrap().exists());
}

#[test]
fn learning_a_new_group_keeps_the_group_limit() {
    let mut env = Env::new(FILE);
    env.kernel.max_groups = 1;
    env.args(add("239.10.0.7", None, None)).unwrap();
    let e = env
        .args(learn("239.10.0.1", "10.0.2.0/24", None))
        .unwrap_err();
    assert_eq!(e.exit_status(), exit::LIMIT);
    assert_eq!(env.kernel.groups.len(), 1);
    // The existing group may learn.
    env.args(learn("239.10.0.7", "10.0.2.0/24", None)).unwrap();
}

#[test]
fn a_file_with_bad_learning_is_an_error_and_stays() {
    let mut env = Env::new(FILE);
    let text = LEARNING.replace("10.0.2.0/24", "10.0.2.0/33");
    env.write(&text);
    for command in [
        ServerCommand::Change(Change::Restore),
        resolve(&add("239.10.0.7", None, None)).unwrap(),
    ] {
        let e = env.run(command).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: multi_group_array[0].learn_prefixes[0]: 10.0.2.0/33: a learn prefix is ADDRESS/LENGTH (0-32) without host bits, e.g. 10.0.2.0/24", env.file.path().display())
        );
        assert_eq!(e.exit_status(), exit::FAILURE);
    }
    assert_eq!(env.kernel.gate.log, ["GET_STATS", "GET_STATS"]);
    assert_eq!(env.text().unwrap(), text);
}

#[test]
fn import_keeps_learning() {
    let mut env = Env::new(FILE);
    let old = env.dir().join("exported.json");
    fs::write(&old, LEARNING).unwrap();
    env.run(ServerCommand::Import(old)).unwrap();
    assert_eq!(env.text().unwrap(), LEARNING);
}
