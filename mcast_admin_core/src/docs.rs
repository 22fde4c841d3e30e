//! Man pages and shell completions, generated from each tool's clap
//! definition plus the sections below (exit status, files, differences
//! from the old tool), which both tools share with their names filled in.

use crate::error::exit;
use crate::side::{Side, CLIENT, SERVER};
use clap::Command;
use clap_complete::Shell;
use clap_mangen::Man;
use mcast_shared::genl::{client, limits, server, MAX_LEARN_PREFIXES};
use mcast_shared::learn::{
    DEFAULT_ANNOUNCE_INTERVAL_S, DEFAULT_LEARN_TIMEOUT_S, DEFAULT_QUERY_INTERVAL_S,
    MAX_LEARN_TIMEOUT_S, MIN_LEARN_TIMEOUT_S,
};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A piece of a man page section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A paragraph of running text.
    Para(String),
    /// A tagged paragraph: a term in bold and its description.
    Item(String, String),
    /// Lines shown as they are (examples).
    Verbatim(Vec<String>),
}

/// A man page section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Its heading, in capitals.
    pub title: &'static str,
    /// Its content.
    pub blocks: Vec<Block>,
}

fn para(text: impl Into<String>) -> Block {
    Block::Para(text.into())
}

fn item(tag: impl Into<String>, text: impl Into<String>) -> Block {
    Block::Item(tag.into(), text.into())
}

/// Escapes text for roff: backslashes and hyphens, and a leading dot or
/// apostrophe that would read as a request.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

fn render_sections(sections: &[Section]) -> String {
    let mut out = String::new();
    for s in sections {
        out.push_str(&format!(".SH \"{}\"\n", s.title));
        for b in &s.blocks {
            match b {
                Block::Para(text) => out.push_str(&format!(".PP\n{}\n", roff_text(text))),
                Block::Item(tag, text) => out.push_str(&format!(
                    ".TP\n\\fB{}\\fR\n{}\n",
                    roff_text(tag),
                    roff_text(text)
                )),
                Block::Verbatim(lines) => {
                    out.push_str(".PP\n.nf\n.RS 4\n");
                    for line in lines {
                        out.push_str(&roff_text(line));
                        out.push('\n');
                    }
                    out.push_str(".RE\n.fi\n");
                }
            }
        }
    }
    out
}

/// The whole man page (section 8) of `cmd` with `sections` after OPTIONS.
pub fn man_page(cmd: Command, sections: &[Section]) -> io::Result<Vec<u8>> {
    let has_version = cmd.get_version().is_some();
    let man = Man::new(cmd).section("8").manual("System Administration");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    out.extend_from_slice(render_sections(sections).as_bytes());
    if has_version {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// Writes `DIR/<tool>.8`; returns its path.
pub fn write_man(cmd: Command, sections: &[Section], dir: &Path) -> io::Result<PathBuf> {
    let path = dir.join(format!("{}.8", cmd.get_name()));
    fs::create_dir_all(dir)?;
    fs::write(&path, man_page(cmd, sections)?)?;
    Ok(path)
}

/// Writes bash, zsh and fish completions into `dir` (`<tool>.bash`,
/// `_<tool>`, `<tool>.fish`); returns their paths.
pub fn write_completions(cmd: Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let name = cmd.get_name().to_string();
    // The generators list hidden options too: complete a copy without them.
    let copy = Command::new(name.clone())
        .version(cmd.get_version().map(str::to_string).unwrap_or_default())
        .disable_help_flag(true)
        .disable_version_flag(true);
    let mut cmd = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .fold(copy, |c, a| c.arg(a.clone()));
    [Shell::Bash, Shell::Zsh, Shell::Fish]
        .into_iter()
        .map(|shell| clap_complete::generate_to(shell, &mut cmd, &name, dir))
        .collect()
}

/// The query commands of the tool, for running text.
fn queries(side: &Side) -> &'static str {
    if side == &SERVER {
        "-L, -S and -P"
    } else {
        "-L and -P"
    }
}

fn exit_status(side: &Side) -> Section {
    let mut blocks = vec![
        para("The values above 200 keep the old tool's (its result code 1000 + n, cut to 8 bits). Every error prints one line on standard error."),
        item(exit::OK.to_string(), "Success."),
        item(exit::FAILURE.to_string(), format!("The system stopped the command: {} is not loaded, permission denied, the configuration file is unreadable or invalid, or netlink failed.", side.module)),
    ];
    if side == &SERVER {
        blocks.push(item(
            exit::NOT_FOUND.to_string(),
            "The group is not configured (-L, -P -m, -D, -A -q).",
        ));
        blocks.push(item(
            exit::LIMIT.to_string(),
            "A limit was reached: the module's group limit or member-per-group limit.",
        ));
    } else {
        blocks.push(item(
            exit::EXISTS.to_string(),
            "-A: the entry exists already, unchanged.",
        ));
        blocks.push(item(
            exit::NOT_FOUND.to_string(),
            "No entry for that server and port (-D, -P -i -p).",
        ));
        blocks.push(item(
            exit::LIMIT.to_string(),
            "A limit was reached: the module's entry limit.",
        ));
    }
    let (invalid, unparsable) = if side == &SERVER {
        (
            ", a learn prefix with host bits or a learn timeout out of range",
            "address, address list, port or learn timeout",
        )
    } else {
        ("", "address, address list or port")
    };
    blocks.push(item(exit::INVALID.to_string(), format!("A value breaks a rule: a group that is not multicast or 255.255.255.255, a member or server that is not a unicast host address, a link-local group without --allow-link-local{invalid}.")));
    blocks.push(item(exit::USAGE.to_string(), format!("The command line is wrong: no command, two commands, a repeated option, an option the command does not take, an unparsable {unparsable}.")));
    Section {
        title: "EXIT STATUS",
        blocks,
    }
}

fn files(side: &Side) -> Section {
    let schema = if side == &SERVER {
        r#"{"multi_group_array":[{"group_ip":"G","member_array":["M",...]}]}, plus "learn_prefixes":["A.B.C.D/LEN",...] and, when --learn-timeout was given, "learn_timeout":SECONDS on learning groups (learned members are never written)"#
    } else {
        r#"{"multi_server_info_array":[{"server_ip":"S","group_ip":"G","client_port":P}]}, plus "allow_link_local":true on entries allowed a link-local group and "no_announce":true on entries added with --no-announce (each absent when false); client_port may also be a string of decimal digits when read"#
    };
    Section {
        title: "FILES",
        blocks: vec![
            item(side.default_config, format!("The configuration: what {} restores into the module. The old tool's JSON schema, {schema}, written in the old tool's layout (json-c pretty print: two-space indent, no space after the colon, no final newline), so old and new files compare cleanly. Other keys are ignored when reading and not written back.", side.tool)),
            item(format!("{}.lock", side.default_config), "Lock file: every change holds an exclusive flock on it from reading the configuration to writing it back, so concurrent invocations run one after the other."),
            para("A change is applied to the kernel first; only if the kernel accepts it is the file replaced, atomically (temporary file in the same directory, fsync, rename, fsync of the directory); a temporary file left by an invocation killed before its rename is removed by the next change. A refused change, or bad input, leaves kernel and file as they were. A file that cannot be read or parsed is an error naming it: fix or remove it, it is never replaced silently."),
            para(format!("Queries ({}) read only the kernel and never open the file.", queries(side))),
            item(format!("/usr/local/sbin/{}", side.tool), format!("The old tool's path, installed by the package as a link to this program, for scripts that name it. /usr/local/sbin/{}_config_admin -R, the old restore helper, runs {} -R.", side.service, side.tool)),
        ],
    }
}

fn environment(side: &Side) -> Section {
    Section {
        title: "ENVIRONMENT",
        blocks: vec![item(
            side.config_env,
            format!(
                "The configuration file to use instead of {}, when set and not empty; --config takes precedence.",
                side.default_config
            ),
        )],
    }
}

fn counters(side: &Side) -> Section {
    let mut blocks = Vec::new();
    if side == &SERVER {
        blocks.push(para("-P prints the old six lines. They show: tx packets = tx_packets, tx bytes = tx_bytes, no_multi_grp_pkt_count = unmatched, no_multi_member_pkt_drop_count = no_members, route_fail_drop_count = route_fail, no_mem_drop_count = alloc_fail. With --json every counter is printed by name:"));
        blocks.extend(server::COUNTERS.iter().map(|c| item(c.name, c.help)));
        blocks.push(para(
            "plus max_groups and max_members, the module's limits, and query_interval (see LEARNING).",
        ));
    } else {
        blocks.push(para("-P prints the old two lines, rx packets and rx bytes. With --json every counter is printed by name:"));
        blocks.extend(client::COUNTERS.iter().map(|c| item(c.name, c.help)));
        blocks.push(para("plus max_entries, the module's limit."));
    }
    Section {
        title: "COUNTERS",
        blocks,
    }
}

fn differences(side: &Side) -> Section {
    let old = side.tool;
    let mut blocks = vec![
        para(format!("{old} keeps the old tool's options, combinations and output layouts, so scripts keep working. These differences are deliberate:")),
        item("Validation first", "Everything is checked (addresses, combinations, limits) before the kernel or the file is touched; bad input changes nothing."),
        item("Kernel first, atomic file", "The kernel is changed first and the file only if the kernel accepted (the old tool wrote the file first and did not roll back, or rolled back wrongly). The file is replaced atomically and never rewritten by -H or by queries; a corrupt file is an error, never silently replaced by an empty one."),
        item("Unprivileged queries and help", format!("-H works for any user and touches no file; {} need no file access. Changes need CAP_NET_ADMIN (the old modules accepted any local user).", queries(side))),
        item("Repeated or conflicting options", "Giving an option twice, or two commands, is an error with a message (the old tool let the last command letter win, and ignored stray words)."),
        item("Group addresses", "A group must be a multicast address or 255.255.255.255; the old tool accepted any address, so an ordinary unicast \"group\" mirrored every datagram to it."),
        item("Exit statuses", format!("{}A refused change exits with the status of its cause (see EXIT STATUS); the old tool exited 255 for most failures.{} A limit reached is 234 whether the tool or the module found it (the old tool also used 236).",
            if side == &SERVER { "No arguments is a usage error, 255 (the old multis_admin printed its usage and exited 0). " } else { "" },
            if side == &SERVER { " An unparsable -j/-q item is a usage error, 255 (was 235)." } else { "" },
        )),
        item("Output", format!("{} print the old layouts byte for byte{}; --json prints the same data, and more, as one line of JSON. Successful changes print nothing, as before{}.", queries(side), if side == &SERVER { ", with learning groups and learned members marked (see LEARNING)" } else { ", with one more line for an entry added with --no-announce" }, if side == &SERVER { "" } else { ", except that -A re-mapping an existing (server, port) to another group says which group it mapped to before" })),
        item("New options", format!("--json on the queries; -R/--restore; --import; --config and {}; -V/--version{}. -h is accepted for -H, and long options may be abbreviated as with getopt (--mult).", side.config_env, if side == &SERVER { "; --learn, --learn-timeout and --no-learn" } else { "; --allow-link-local; --no-announce" })),
        item("Configuration path", format!("The configuration is {} (the old tool kept /usr/local/etc/multi_*_running_config and a separate startup copy). --import adopts an old file once; -R replays the configuration after the module is loaded, and changes made while the module is not loaded are refused rather than lost.", side.default_config)),
    ];
    if side == &SERVER {
        blocks.push(item("Members", "A member must be a unicast host address (not multicast, broadcast, 0.0.0.0, loopback or 240.0.0.0/4). The old tool skipped multicast members with a warning and accepted the rest; now the whole command is refused with the reason, nothing is skipped silently."));
        blocks.push(item("-P -m with an unknown group", "An error on standard error with exit status 233; the old tool printed \"error: multicast is not exist!\" on standard output and exited 0."));
        blocks.push(item("-D of a group the module lost", "If the file has the group but the module does not (reloaded without -R), -D removes it from the file instead of failing."));
    } else {
        blocks.push(item("Ports", "-p is decimal: 08 is 8 and 010 is 10 (the old tool read a leading 0 as octal, so 08 became 0, \"any port\"). The empty string is refused."));
        blocks.push(item(
            "Server addresses",
            "-i must be a unicast host address when adding.",
        ));
        blocks.push(item("Link-local groups", "A group in 224.0.0.0/24 (e.g. VRRP's 224.0.0.18) needs --allow-link-local: restoring off-link traffic into such a group defeats the on-link checks of protocols like mDNS. The allowance is stored with the entry as \"allow_link_local\":true. The old tool took such groups without a flag, so --import grants the allowance to the link-local entries of an old file and names each in its report (--allow-link-local is accepted there and changes nothing)."));
        blocks.push(item("-P with an unknown entry", "An error on standard error with exit status 233; the old tool printed \"multicast server not existed!\" on standard output and exited 0."));
        blocks.push(item("Rollbacks", "A refused -A or -D leaves the file as it was (the old tool deleted a valid entry, or re-added it with group 0.0.0.0)."));
        blocks.push(item("-D of an entry the module lost", "If the file has the entry but the module does not (reloaded without -R), -D removes it from the file instead of failing."));
    }
    blocks.push(item("Restore and import", "-R makes the module equal to the file: what the file lacks is removed, what it has is added, and a failing item does not stop the others (`service multi? reload` runs it); a file with more than the module takes is refused as a whole, before the first change. --import FILE checks an old tool's file (duplicate entries are merged as the old replay did) and makes it the configuration without touching the module, and reports what came across; a configuration without groups or entries (as the packages ship it) counts as absent, one that holds any is never overwritten. A change the module took but the file could not save is reported as such, with how to bring the two together again."));
    Section {
        title: "DIFFERENCES FROM THE OLD TOOL",
        blocks,
    }
}

fn examples(side: &Side) -> Section {
    let lines: Vec<String> = if side == &SERVER {
        vec![
            "multis_admin -A -m 239.10.0.1 -j 10.0.1.11,10.0.1.12".into(),
            "multis_admin -A -m 239.10.0.1 -q 10.0.1.12".into(),
            "multis_admin -L -m 239.10.0.1".into(),
            "multis_admin -A -m 239.10.0.2 --learn 10.0.2.0/24,10.0.3.0/24".into(),
            "multis_admin -A -m 239.10.0.2 --no-learn".into(),
            "multis_admin -S --json".into(),
            "multis_admin -P".into(),
            "multis_admin -D -m 239.10.0.1".into(),
            "multis_admin --import /usr/local/etc/multi_server_startup_config".into(),
            "multis_admin -R".into(),
        ]
    } else {
        vec![
            "multic_admin -A -i 10.0.1.10 -p 5000 -m 239.10.0.1".into(),
            "multic_admin -A -i 10.0.1.20 -p 0 -m 224.0.0.18 --allow-link-local".into(),
            "multic_admin -A -i 10.0.1.30 -p 5000 -m 239.10.0.3 --no-announce".into(),
            "multic_admin -L".into(),
            "multic_admin -P -i 10.0.1.10 -p 5000 --json".into(),
            "multic_admin -D -i 10.0.1.10 -p 5000".into(),
            "multic_admin --import /usr/local/etc/multi_client_startup_config".into(),
            "multic_admin -R".into(),
        ]
    };
    Section {
        title: "EXAMPLES",
        blocks: vec![Block::Verbatim(lines)],
    }
}

fn limits_section(side: &Side) -> Section {
    let text = if side == &SERVER {
        format!("By default the module takes {} groups of {} members each (its module parameters may change that; the tool asks the module for its limits before a change, and refuses a configuration file that holds more, naming the file, before anything changes). --import checks against these defaults.", limits::DEFAULT_MAX_GROUPS, limits::DEFAULT_MAX_MEMBERS)
    } else {
        format!("By default the module takes {} entries (its module parameter may change that; the tool asks the module for its limit before a change, and refuses a configuration file that holds more, naming the file, before anything changes). --import checks against this default.", limits::DEFAULT_MAX_ENTRIES)
    };
    Section {
        title: "LIMITS",
        blocks: vec![para(text)],
    }
}

/// Members learned from IGMP: what the server's --learn does, or what the
/// client announces.
fn learning(side: &Side) -> Section {
    if side == &SERVER {
        return Section {
            title: "LEARNING",
            blocks: vec![
                para(format!("-A -m G --learn PREFIX,... makes group G learn members: a receiver running rust_mcast_client with an entry for this host and G announces its IGMP reports for G to this host, marked; a report from inside one of the prefixes (at most {MAX_LEARN_PREFIXES}; A.B.C.D/LEN, or an address for /32) makes its source a learned member, which gets copies like a configured one, and its leave removes it. The prefixes bound who may add members: only marked reports from our client module count, and only from a unicast host inside them, never a multicast, broadcast, 0.0.0.0, loopback or 240.0.0.0/4 source, nor an address of this host. The module reads them after the INPUT filter (netfilter LOCAL_IN): the host's firewall must accept IGMP (IP protocol 2) from the receivers, and its reverse-path filter applies. A source inside the prefixes is trusted whoever sends it: keep the cloud's anti-spoofing on.")),
                item("Timers", format!("A learned member stays --learn-timeout seconds ({MIN_LEARN_TIMEOUT_S}-{MAX_LEARN_TIMEOUT_S}, default {DEFAULT_LEARN_TIMEOUT_S}: the group membership interval of RFC 3376, robustness 2 times the query interval 125 s plus 10 s) after its last report. The module queries its learned members every query_interval seconds (module parameter of {}, default {DEFAULT_QUERY_INTERVAL_S}; -P --json shows it), and receivers report again; rust_mcast_client also repeats its announcements every announce_interval seconds (its module parameter). Keep the learn timeout above twice query_interval.", SERVER.module)),
                item("Changes", "--learn again replaces the prefixes and the timeout (without --learn-timeout the default applies). --no-learn stops learning and forgets the learned members. Neither goes with -j or -q, which change the configured members only. Learned members count toward max_members."),
                item("Listing", "-L prints the learned members after the configured ones, each marked \"learned\" with the seconds it has left; -S prints a learning group's prefixes, timeout and learned count after its address. With --json, -L adds \"learned\":[{\"address\",\"expires_ms\"}], -S and -P -m add learn_prefixes, learn_timeout and learned_count for a learning group; member_count counts configured and learned members."),
                item("Saving", "The configuration file keeps the prefixes and the timeout, and -R restores them. Learned members are soft state, never written: after a reload the module learns them again from the next reports."),
            ],
        };
    }
    Section {
        title: "IGMP ANNOUNCEMENTS",
        blocks: vec![
            para(format!("When an application on this host joins or leaves group G, or the host answers a query, {} sends the server of every entry for G a marked unicast IGMPv3 report of what the host said about that server's groups, from this host's address toward it, so a server that learns (multis_admin --learn) adds or removes this host as a member. The server's marked queries are restored to 224.0.0.1, so the host answers them as usual. Every announce_interval seconds (module parameter of {}, default {DEFAULT_ANNOUNCE_INTERVAL_S}) the groups the host has joined are announced again unless the host reported them lately, so a restarted server learns them back. Firewalls: allow IGMP (IP protocol 2) between this host and the server, both ways.", CLIENT.module, CLIENT.module)),
            item("--no-announce", "For an entry whose server does not learn (e.g. the old tool): the host's reports for the entry's group are not sent to it. Saved as \"no_announce\":true and restored by -R; -L prints \"IGMP Announce:  no\" for it, -L --json \"no_announce\":true."),
        ],
    }
}

/// The extra sections of a tool's man page.
pub fn sections(side: &Side) -> Vec<Section> {
    vec![
        learning(side),
        counters(side),
        limits_section(side),
        exit_status(side),
        files(side),
        environment(side),
        differences(side),
        examples(side),
    ]
}

/// [`sections`] of `multis_admin`.
pub fn server_sections() -> Vec<Section> {
    sections(&SERVER)
}

/// [`sections`] of `multic_admin`.
pub fn client_sections() -> Vec<Section> {
    sections(&CLIENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Arg;

    #[test]
    fn roff_escapes() {
        assert_eq!(roff_text("-A -m"), "\\-A \\-m");
        assert_eq!(roff_text(".lock"), "\\&.lock");
        assert_eq!(roff_text("a\\b"), "a\\eb");
    }

    #[test]
    fn pages_and_completions_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let cmd = Command::new("multis_admin")
            .about("x")
            .arg(Arg::new("add").short('A').long("add").num_args(0));
        let page = write_man(cmd.clone(), &server_sections(), dir.path()).unwrap();
        let text = fs::read_to_string(page).unwrap();
        assert!(text.contains("\n.TH multis_admin 8 "));
        assert!(text.contains(".SH \"DIFFERENCES FROM THE OLD TOOL\""));
        assert!(text.contains("/etc/multicast_proxy/multi_server.json"));
        let written = write_completions(cmd, dir.path()).unwrap();
        let names: Vec<_> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["multis_admin.bash", "_multis_admin", "multis_admin.fish"]
        );
    }
}
