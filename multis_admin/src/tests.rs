//! The command line as users type it: clap parsing, then the core against
//! the fake module, with every output compared to a golden file: the output
//! layouts' in mcast_admin_core/tests/golden (kept once, there), the rest in
//! tests/golden.

use crate::cli::Cli;
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use mcast_admin_core::cli::{one_line, Generate};
use mcast_admin_core::config::ConfigFile;
use mcast_admin_core::docs;
use mcast_admin_core::kernel::fake::FakeServer;
use mcast_admin_core::server::{execute, resolve, ServerOptions};
use mcast_admin_core::testing;
use mcast_shared::addr::Ipv4;
use std::path::PathBuf;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("multis_admin").chain(args.iter().copied()))
}

fn options(args: &[&str]) -> ServerOptions {
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
    let expected = ServerOptions {
        add: true,
        group: Some("239.10.0.1".into()),
        join: Some("10.0.1.11,10.0.1.12".into()),
        ..Default::default()
    };
    for args in [
        &["-A", "-m", "239.10.0.1", "-j", "10.0.1.11,10.0.1.12"][..],
        &[
            "--add",
            "--multiip",
            "239.10.0.1",
            "--join",
            "10.0.1.11,10.0.1.12",
        ],
        &[
            "--add",
            "--multiip=239.10.0.1",
            "--join=10.0.1.11,10.0.1.12",
        ],
        &["-Am", "239.10.0.1", "-j10.0.1.11,10.0.1.12"],
        // getopt accepted unambiguous abbreviations of long options.
        &[
            "--ad",
            "--mult",
            "239.10.0.1",
            "--jo",
            "10.0.1.11,10.0.1.12",
        ],
        &["-j", "10.0.1.11,10.0.1.12", "-m", "239.10.0.1", "-A"],
    ] {
        assert_eq!(options(args), expected, "{args:?}");
    }
    assert_eq!(
        options(&["-P", "-m", "239.1.1.1", "--json"]),
        ServerOptions {
            stats: true,
            group: Some("239.1.1.1".into()),
            json: true,
            ..Default::default()
        }
    );
    assert!(options(&["-S"]).show && options(&["--show"]).show);
    assert!(
        options(&["-D", "-m", "239.1.1.1"]).delete
            && options(&["-C"]).clear
            && options(&["-L", "-m", "239.1.1.1"]).list
    );
    assert!(options(&["-R"]).restore && options(&["--restore"]).restore);
    assert_eq!(
        options(&["--import", "/old"]).import,
        Some(PathBuf::from("/old"))
    );
    assert_eq!(
        options(&[
            "-A",
            "-m",
            "239.1.1.1",
            "--learn",
            "10.0.2.0/24",
            "--learn-timeout=600"
        ]),
        ServerOptions {
            add: true,
            group: Some("239.1.1.1".into()),
            learn: Some("10.0.2.0/24".into()),
            learn_timeout: Some("600".into()),
            ..Default::default()
        }
    );
    assert!(options(&["-A", "-m", "239.1.1.1", "--no-learn"]).no_learn);
    // --learn is a prefix of --learn-timeout: the exact name wins.
    assert!(
        options(&["-A", "-m", "239.1.1.1", "--learn", "10.0.2.0/24"])
            .learn_timeout
            .is_none()
    );
}

#[test]
fn usage_errors_are_one_line() {
    assert_eq!(
        clap_error(&["-S", "-S"]),
        "the argument '--show' cannot be used multiple times"
    );
    assert_eq!(
        clap_error(&["-A", "-m", "239.1.1.1", "-m", "239.1.1.2"]),
        "the argument '--multiip <GROUP>' cannot be used multiple times"
    );
    assert_eq!(
        clap_error(&["-S", "stray"]),
        "unexpected argument 'stray' found"
    );
    assert_eq!(clap_error(&["-X"]), "unexpected argument '-X' found");
    assert_eq!(
        clap_error(&["-A", "-m"]),
        "a value is required for '--multiip <GROUP>' but none was supplied"
    );
    assert_eq!(clap_error(&["--c"]), "unexpected argument '--c' found");
    assert_eq!(
        clap_error(&["-A", "-m", "239.1.1.1", "--learn"]),
        "a value is required for '--learn <PREFIX,...>' but none was supplied"
    );
    for args in [&["-S", "-S"][..], &["-X"], &["-S", "stray"]] {
        assert!(!clap_error(args).contains('\n'));
    }
    let e = resolve(&options(&["-A", "-D", "-m", "239.1.1.1"])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "-A/--add and -D/--delete cannot be combined: give one command"
    );
    assert_eq!(e.exit_status(), 255);
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
    // Help wins even with other (invalid) options around it.
    assert_eq!(
        parse(&["-A", "-H"]).unwrap_err().kind(),
        ErrorKind::DisplayHelp
    );
    assert_eq!(
        parse(&["-V"]).unwrap_err().kind(),
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
    assert!(help.contains("The configuration file [default: $MULTIS_CONFIG, else /etc/multicast_proxy/multi_server.json]"), "{help}");
}

#[test]
fn man_page_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    let generate = Generate {
        man: Some(dir.path().join("man")),
        completions: Some(dir.path().join("comp")),
    };
    assert_eq!(
        generate.run::<Cli>(&docs::server_sections()),
        std::process::ExitCode::SUCCESS
    );
    let page = std::fs::read_to_string(dir.path().join("man/multis_admin.8")).unwrap();
    for needle in [
        "\\-\\-multiip",
        "\\-\\-restore",
        "\\-\\-import",
        "\\-\\-learn",
        "\\-\\-learn\\-timeout",
        "\\-\\-no\\-learn",
        "LEARNING",
        "query_interval",
        "announce_interval",
        "DIFFERENCES",
        "EXIT STATUS",
        "MULTIS_CONFIG",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    assert!(
        !page.contains("generate"),
        "hidden options stay out of the page"
    );
    let bash = std::fs::read_to_string(dir.path().join("comp/multis_admin.bash")).unwrap();
    assert!(bash.contains("--multiip") && !bash.contains("--generate-man"));
    assert!(
        dir.path().join("comp/_multis_admin").exists()
            && dir.path().join("comp/multis_admin.fish").exists()
    );
}

/// Runs command lines in order against one fake module and one file;
/// returns each one's output.
fn session(lines: &[&[&str]]) -> (Vec<String>, FakeServer, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = ConfigFile::new(dir.path().join("multi_server.json"));
    let mut kernel = FakeServer::default();
    let mut outputs = Vec::new();
    for args in lines {
        let mut out = Vec::new();
        let command = resolve(&options(args)).unwrap();
        execute(&command, &mut kernel, &file, &mut out).unwrap();
        outputs.push(String::from_utf8(out).unwrap());
    }
    let text = std::fs::read_to_string(file.path()).unwrap_or_default();
    (outputs, kernel, text)
}

#[test]
fn a_session_against_the_fake_module() {
    let (out, mut kernel, config) = session(&[
        &["-A", "-m", "239.10.0.7", "-j", "10.0.1.21,10.0.1.22"],
        &[
            "-A",
            "-m",
            "239.10.0.1",
            "-j",
            "10.0.1.11,10.0.1.12,10.0.1.13",
        ],
        &["-A", "-m", "239.10.0.1", "-q", "10.0.1.13"],
        &["-A", "-m", "239.10.0.9"],
        &["-D", "-m", "239.10.0.9"],
    ]);
    assert!(out.iter().all(String::is_empty), "changes print nothing");
    golden("session_config.txt", &config);

    kernel.counters[0] = 2048;
    kernel.counters[1] = 1187840;
    kernel.counters[3] = 35120;
    kernel.groups[1].tx.packets = 1024;
    kernel.groups[1].tx.bytes = 593920;
    let dir = tempfile::tempdir().unwrap();
    let file = ConfigFile::new(dir.path().join("never_written.json"));
    let mut query = |args: &[&str]| {
        let mut out = Vec::new();
        execute(
            &resolve(&options(args)).unwrap(),
            &mut kernel,
            &file,
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    };
    testing::layout_golden("server_show.txt", &query(&["-S"]));
    testing::layout_golden("server_show_json.txt", &query(&["-S", "--json"]));
    testing::layout_golden("server_list.txt", &query(&["-L", "-m", "239.10.0.1"]));
    testing::layout_golden(
        "server_list_json.txt",
        &query(&["-L", "-m", "239.10.0.1", "--json"]),
    );
    testing::layout_golden("server_stats.txt", &query(&["-P"]));
    golden("stats_json.txt", &query(&["-P", "--json"]));
    testing::layout_golden(
        "server_group_stats.txt",
        &query(&["-P", "-m", "239.10.0.1"]),
    );
    testing::layout_golden(
        "server_group_stats_json.txt",
        &query(&["-P", "-m", "239.10.0.1", "--json"]),
    );
    assert!(!file.path().exists() && !file.lock_path().exists());
}

/// Learning as the operator drives it: set, list with what the module
/// learned, show, save; learned members never reach the file.
#[test]
fn a_learning_session_against_the_fake_module() {
    let (out, mut kernel, config) = session(&[
        &["-A", "-m", "239.10.0.7", "-j", "10.0.1.21,10.0.1.22"],
        &["-A", "-m", "239.10.0.9", "--learn", "10.0.2.0/24,10.0.3.7"],
        &["-A", "-m", "239.10.0.9", "-j", "10.0.1.11"],
    ]);
    assert!(out.iter().all(String::is_empty), "changes print nothing");
    let ip = |text| Ipv4::parse(text).unwrap();
    let group = ip("239.10.0.9");
    assert!(kernel.learn_member(group, ip("10.0.2.2"), 253_001));
    assert!(kernel.learn_member(group, ip("10.0.3.7"), 0));
    // Outside the prefixes: not learned, as by the module.
    assert!(!kernel.learn_member(group, ip("10.0.3.8"), 1));
    golden("learning_config.txt", &config);

    let dir = tempfile::tempdir().unwrap();
    let file = ConfigFile::new(dir.path().join("never_written.json"));
    let mut query = |args: &[&str]| {
        let mut out = Vec::new();
        let command = resolve(&options(args)).unwrap();
        execute(&command, &mut kernel, &file, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    testing::layout_golden("server_show_learning.txt", &query(&["-S"]));
    testing::layout_golden("server_show_learning_json.txt", &query(&["-S", "--json"]));
    testing::layout_golden(
        "server_list_learned.txt",
        &query(&["-L", "-m", "239.10.0.9"]),
    );
    testing::layout_golden(
        "server_list_learned_json.txt",
        &query(&["-L", "-m", "239.10.0.9", "--json"]),
    );
    assert!(!file.path().exists());
}
