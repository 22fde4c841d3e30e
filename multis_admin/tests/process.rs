//! The installed binary as a process: exit statuses, one-line errors, and
//! no file touched by help, usage errors or queries. The module is not
//! needed (where it is not loaded, the tool must say so).

use std::path::Path;
use std::process::{Command, Output};

fn run(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_multis_admin"))
        .args(args)
        .env("MULTIS_CONFIG", config)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn statuses_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc/multi_server.json");
    let cases: [(&[&str], i32, &str); 8] = [
        (
            &[],
            255,
            "no command given: use one of -A, -D, -C, -P, -L, -S, -R or --import (see --help)\n",
        ),
        (
            &["-A", "-D", "-m", "239.1.1.1"],
            255,
            "-A/--add and -D/--delete cannot be combined: give one command\n",
        ),
        (
            &["-S", "-S"],
            255,
            "the argument '--show' cannot be used multiple times\n",
        ),
        (
            &["-L", "-m", "10.0.0.300"],
            255,
            "10.0.0.300: not an IPv4 address\n",
        ),
        (
            &["-A", "-m", "10.0.0.1"],
            235,
            "10.0.0.1: a group must be a multicast address or 255.255.255.255\n",
        ),
        (
            &["-A", "-m", "239.1.1.1", "-j", "10.0.0.1,224.0.0.1"],
            235,
            "224.0.0.1: a member must be a unicast host address\n",
        ),
        (
            &["-A", "-m", "239.1.1.1", "--learn", "10.0.2.1/24"],
            235,
            "10.0.2.1/24: a learn prefix is ADDRESS/LENGTH (0-32) without host bits, e.g. 10.0.2.0/24\n",
        ),
        (
            &["-A", "-m", "239.1.1.1", "--learn-timeout", "600"],
            255,
            "--learn-timeout needs --learn PREFIX,...: the timeout is set with the prefixes\n",
        ),
    ];
    for (args, status, message) in cases {
        let out = run(&config, args);
        assert_eq!(
            (out.status.code(), stderr(&out).as_str()),
            (Some(status), message),
            "{args:?}"
        );
        assert!(out.stdout.is_empty());
    }
    let help = run(&config, &["-H"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8(help.stdout)
        .unwrap()
        .contains("Usage: multis_admin"));
    assert!(!dir.path().join("etc").exists(), "nothing may be created");
}

#[test]
fn without_the_module() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc/multi_server.json");
    for args in [&["-S"][..], &["-A", "-m", "239.1.1.1", "-j", "10.0.0.1"]] {
        let out = run(&config, args);
        let text = stderr(&out);
        if out.status.success() || !text.contains("is not loaded") {
            // The module is loaded here (or netlink is unavailable): nothing to check.
            return;
        }
        assert_eq!(
            text,
            "rust_mcast_server is not loaded: run `service multis start`\n"
        );
        assert_eq!(out.status.code(), Some(1));
    }
    assert!(!dir.path().join("etc").exists(), "nothing may be created");
}

#[test]
fn a_corrupt_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("multi_server.json");
    let old = dir.path().join("multi_server_running_config");
    std::fs::write(&old, "{ not json").unwrap();
    let out = run(&config, &["--import", old.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let expected = format!("{}: not valid JSON: ", old.display());
    assert!(stderr(&out).starts_with(&expected), "{}", stderr(&out));
    assert!(!config.exists());
}
