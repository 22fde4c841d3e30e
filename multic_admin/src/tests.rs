//! The command line as users type it: clap parsing, then the core against
//! the fake module, with every output compared to a golden file: the output
//! layouts' in mcast_admin_core/tests/golden (kept once, there), the rest in
//! tests/golden.

use crate::cli::Cli;
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use mcast_admin_core::cli::{one_line, Generate};
use mcast_admin_core::client::{execute, resolve, ClientOptions};
use mcast_admin_core::config::ConfigFile;
use mcast_admin_core::docs;
use mcast_admin_core::kernel::fake::FakeClient;
use mcast_admin_core::testing;
use std::path::PathBuf;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("multic_admin").chain(args.iter().copied()))
}

fn options(args: &[&str]) -> ClientOptions {
    parse(args).unwrap().options()
}

fn clap_error(args: &[&str]) -> String {
    one_line(&parse(args).unwrap_err())
}

fn golden(name: &str, actual: &str) {
    testing::golden(env!("CARGO_MANIFEST_DIR"), name, actual);
}

#[test]
fn the_old_spellings_parse() {
    let expected = ClientOptions {
        add: true,
        server: Some("10.0.1.10".into()),
        port: Some("5000".into()),
        group: Some("239.10.0.1".into()),
        ..Default::default()
    };
    for args in [
        &["-A", "-i", "10.0.1.10", "-p", "5000", "-m", "239.10.0.1"][..],
        &[
            "--add",
            "--ip",
            "10.0.1.10",
            "--port",
            "5000",
            "--multiip",
            "239.10.0.1",
        ],
        &[
            "--add",
            "--ip=10.0.1.10",
            "--port=5000",
            "--multiip=239.10.0.1",
        ],
        &["-Ai10.0.1.10", "-p5000", "-m239.10.0.1"],
        // The old usage text advertised --multi_ip; getopt took abbreviations.
        &[
            "--ad",
            "--ip",
            "10.0.1.10",
            "--po",
            "5000",
            "--multi_ip",
            "239.10.0.1",
        ],
    ] {
        assert_eq!(options(args), expected, "{args:?}");
    }
    let vrrp = options(&[
        "-A",
        "-i",
        "10.0.1.20",
        "-p",
        "0",
        "-m",
        "224.0.0.18",
        "--allow-link-local",
    ]);
    assert!(vrrp.allow_link_local && !vrrp.no_announce);
    assert!(
        options(&[
            "-A",
            "-i",
            "10.0.1.30",
            "-p",
            "6000",
            "-m",
            "239.10.0.3",
            "--no-announce"
        ])
        .no_announce
    );
    assert!(options(&["-L", "--json"]).json && options(&["-C"]).clear && options(&["-R"]).restore);
    assert_eq!(
        options(&["-P", "-i", "10.0.1.10", "-p", "08"])
            .port
            .as_deref(),
        Some("08")
    );
    assert_eq!(
        options(&["--import", "/old", "--allow-link-local"]).import,
        Some(PathBuf::from("/old"))
    );
}

#[test]
fn usage_errors_are_one_line() {
    assert_eq!(
        clap_error(&["-p", "1", "-p", "2"]),
        "the argument '--port <PORT>' cannot be used multiple times"
    );
    assert_eq!(
        clap_error(&["-L", "-L"]),
        "the argument '--list' cannot be used multiple times"
    );
    assert_eq!(clap_error(&["-S"]), "unexpected argument '-S' found");
    assert_eq!(
        clap_error(&["-L", "stray"]),
        "unexpected argument 'stray' found"
    );
    let e = resolve(&options(&[
        "-A",
        "-i",
        "10.0.1.10",
        "-p",
        "08x",
        "-m",
        "239.10.0.1",
    ]))
    .unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.exit_status()),
        ("08x: not a port (a decimal number from 0 to 65535)", 255)
    );
}

#[test]
fn help_and_version_touch_nothing() {
    for flag in ["-H", "--help", "-h"] {
        assert_eq!(
            parse(&[flag]).unwrap_err().kind(),
            ErrorKind::DisplayHelp,
            "{flag}"
        );
    }
    assert_eq!(
        parse(&["--version"]).unwrap_err().kind(),
        ErrorKind::DisplayVersion
    );
}

#[test]
fn config_path_flag_then_environment_then_default() {
    assert_eq!(
        parse(&["-L", "--config", "/x.json"]).unwrap().config_path(),
        PathBuf::from("/x.json")
    );
    let help = Cli::command().render_help().to_string();
    assert!(help.contains("The configuration file [default: $MULTIC_CONFIG, else /etc/multicast_proxy/multi_client.json]"), "{help}");
}

#[test]
fn man_page_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    let generate = Generate {
        man: Some(dir.path().to_path_buf()),
        completions: Some(dir.path().to_path_buf()),
    };
    assert_eq!(
        generate.run::<Cli>(&docs::client_sections()),
        std::process::ExitCode::SUCCESS
    );
    let page = std::fs::read_to_string(dir.path().join("multic_admin.8")).unwrap();
    for needle in [
        "\\-\\-allow\\-link\\-local",
        "\\-\\-no\\-announce",
        "announce_interval",
        "\\-\\-port",
        "DIFFERENCES",
        "octal",
        "MULTIC_CONFIG",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    for name in ["multic_admin.bash", "_multic_admin", "multic_admin.fish"] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(
            text.contains("allow-link-local")
                && text.contains("no-announce")
                && !text.contains("generate"),
            "{name}"
        );
    }
}

#[test]
fn a_session_against_the_fake_module() {
    let dir = tempfile::tempdir().unwrap();
    let file = ConfigFile::new(dir.path().join("multi_client.json"));
    let mut kernel = FakeClient::default();
    let run = |kernel: &mut FakeClient, args: &[&str]| {
        let mut out = Vec::new();
        execute(&resolve(&options(args)).unwrap(), kernel, &file, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    for args in [
        &["-A", "-i", "10.0.1.10", "-p", "5000", "-m", "239.10.0.2"][..],
        &["-A", "-i", "10.0.1.10", "-p", "5000", "-m", "239.10.0.1"],
        &[
            "-A",
            "-i",
            "10.0.1.20",
            "-p",
            "0",
            "-m",
            "224.0.0.18",
            "--allow-link-local",
        ],
        &["-A", "-i", "10.0.1.30", "-p", "08", "-m", "239.10.0.3"],
        &["-D", "-i", "10.0.1.30", "-p", "8"],
        &[
            "-A",
            "-i",
            "10.0.1.30",
            "-p",
            "6000",
            "-m",
            "239.10.0.3",
            "--no-announce",
        ],
    ] {
        let said = run(&mut kernel, args);
        let remapped =
            "sender 10.0.1.10 port 5000 mapped to 239.10.0.2 before; now to 239.10.0.1\n";
        assert!(
            said.is_empty() || said == remapped,
            "changes print nothing but a re-mapping: {said}"
        );
    }
    golden(
        "session_config.txt",
        &std::fs::read_to_string(file.path()).unwrap(),
    );

    kernel.counters[0] = 1024;
    kernel.counters[1] = 593920;
    kernel.entries[0].rx.packets = 7;
    kernel.entries[0].rx.bytes = 3500;
    testing::layout_golden("client_list.txt", &run(&mut kernel, &["-L"]));
    testing::layout_golden("client_list_json.txt", &run(&mut kernel, &["-L", "--json"]));
    testing::layout_golden("client_stats.txt", &run(&mut kernel, &["-P"]));
    golden("stats_json.txt", &run(&mut kernel, &["-P", "--json"]));
    testing::layout_golden(
        "client_entry_stats.txt",
        &run(&mut kernel, &["-P", "-i", "10.0.1.10", "-p", "5000"]),
    );
    testing::layout_golden(
        "client_entry_stats_json.txt",
        &run(
            &mut kernel,
            &["-P", "-i", "10.0.1.10", "-p", "5000", "--json"],
        ),
    );
    run(&mut kernel, &["-C"]);
    testing::layout_golden("client_list_empty.txt", &run(&mut kernel, &["-L"]));
}
