//! The installed binary as a process: exit statuses, one-line errors, and
//! no file touched by help, usage errors or queries. The module is not
//! needed (where it is not loaded, the tool must say so).

use std::path::Path;
use std::process::{Command, Output};

fn run(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_multic_admin"))
        .args(args)
        .env("MULTIC_CONFIG", config)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn statuses_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc/multi_client.json");
    let cases: [(&[&str], i32, &str); 6] = [
        (
            &[],
            255,
            "no command given: use one of -A, -D, -C, -P, -L, -R or --import (see --help)\n",
        ),
        (
            &["-A", "-i", "10.0.0.1", "-p", "5000"],
            255,
            "-A/--add needs -i/--ip SERVER, -p/--port PORT and -m/--multiip GROUP\n",
        ),
        (
            &["-D", "-i", "10.0.0.1", "-p", "65536"],
            255,
            "65536: not a port (a decimal number from 0 to 65535)\n",
        ),
        (
            &["-P", "-p", "1", "-p", "1"],
            255,
            "the argument '--port <PORT>' cannot be used multiple times\n",
        ),
        (
            &["-A", "-i", "10.0.0.1", "-p", "0", "-m", "224.0.0.18"],
            235,
            "224.0.0.18 is link-local: allow it for this entry with --allow-link-local\n",
        ),
        (
            &["-L", "--allow-link-local"],
            255,
            "--allow-link-local goes only with -A or --import\n",
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
    let help = run(&config, &["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8(help.stdout)
        .unwrap()
        .contains("Usage: multic_admin"));
    assert!(!dir.path().join("etc").exists(), "nothing may be created");
}

#[test]
fn without_the_module() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc/multi_client.json");
    for args in [
        &["-L"][..],
        &["-A", "-i", "10.0.0.1", "-p", "08", "-m", "239.1.1.1"],
    ] {
        let out = run(&config, args);
        let text = stderr(&out);
        if out.status.success() || !text.contains("is not loaded") {
            // The module is loaded here (or netlink is unavailable): nothing to check.
            return;
        }
        assert_eq!(
            text,
            "rust_mcast_client is not loaded: run `service multic start`\n"
        );
        assert_eq!(out.status.code(), Some(1));
    }
    assert!(!dir.path().join("etc").exists(), "nothing may be created");
}

#[test]
fn import_needs_no_module() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc/multi_client.json");
    let old = dir.path().join("multi_client_running_config");
    std::fs::write(&old, r#"{"multi_server_info_array":[{"server_ip":"10.0.1.10","group_ip":"239.10.0.1","client_port":"5000"}]}"#).unwrap();
    let out = run(&config, &["--import", old.to_str().unwrap()]);
    assert_eq!((out.status.code(), stderr(&out).as_str()), (Some(0), ""));
    let expected = "{\n  \"multi_server_info_array\":[\n    {\n      \"server_ip\":\"10.0.1.10\",\n      \"group_ip\":\"239.10.0.1\",\n      \"client_port\":5000\n    }\n  ]\n}";
    assert_eq!(std::fs::read_to_string(&config).unwrap(), expected);
}
