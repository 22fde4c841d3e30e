//! Prints the protocol of `mcast_shared/src/genl.rs` (family names, commands,
//! attributes, counters, flags, limits) for the code that cannot use the
//! crate, so everything reads it from one definition:
//!
//! - `kernel_glue/mcast_proto.h` (the default, or `--c`) for the C tables of
//!   the kernel modules; `make header` rewrites it;
//! - `tests/vm/mcast_proto.py` (`--python`) for the VM test tool
//!   `tests/vm/mcast_tool.py`.
//!
//! `cargo test` checks that both committed files are current. Rewrite them
//! from the repository root with
//!
//! ```text
//! cargo run -q -p mcast_shared --bin mcast-gen-header > kernel_glue/mcast_proto.h
//! cargo run -q -p mcast_shared --bin mcast-gen-header -- --python > tests/vm/mcast_proto.py
//! ```
use mcast_shared::abi::{checksum, route_type, shared_payload, verdict, xmit};
use mcast_shared::error::errno;
use mcast_shared::genl::{self, client, family, limits, server, Counter};
use mcast_shared::route;

/// The command that rewrites the Python module, named in its first lines and
/// in the test's complaint.
const PYTHON_COMMAND: &str =
    "cargo run -q -p mcast_shared --bin mcast-gen-header -- --python > tests/vm/mcast_proto.py";

fn main() {
    match std::env::args().nth(1).as_deref() {
        None | Some("--c") => print!("{}", mcast_shared_header()),
        Some("--python") => print!("{}", mcast_shared_python()),
        Some(other) => {
            eprintln!("usage: mcast-gen-header [--c|--python] (not {other:?})");
            std::process::exit(2);
        }
    }
}

/// A constant's value.
enum Value {
    Int(u64),
    Str(&'static str),
    /// Counter names, in counter order (Python only).
    Names(Vec<&'static str>),
}

/// One constant: its name in both languages, its value, and whether the C
/// header carries it (the header holds what the modules' C tables need).
struct Def {
    name: String,
    value: Value,
    in_header: bool,
}

/// Collects the definitions; `section` starts a new paragraph.
#[derive(Default)]
struct Defs(Vec<Option<Def>>);

impl Defs {
    fn def(&mut self, name: &str, value: Value, in_header: bool) {
        let name = format!("MCAST_{name}");
        self.0.push(Some(Def {
            name,
            value,
            in_header,
        }));
    }
    fn int(&mut self, name: &str, value: impl Into<u64>, in_header: bool) {
        self.def(name, Value::Int(value.into()), in_header);
    }
    fn section(&mut self) {
        self.0.push(None);
    }
}

fn names(counters: &[Counter]) -> Value {
    Value::Names(counters.iter().map(|c| c.name).collect())
}

/// Every constant, in output order.
fn definitions() -> Defs {
    const C: bool = true;
    const PY: bool = false;
    let mut d = Defs::default();
    d.int("GENL_VERSION", family::VERSION, C);
    d.def("SERVER_FAMILY", Value::Str(server::FAMILY_NAME), C);
    for (name, v) in [
        ("ADD_GROUP", server::cmd::ADD_GROUP),
        ("DEL_GROUP", server::cmd::DEL_GROUP),
        ("JOIN", server::cmd::JOIN),
        ("QUIT", server::cmd::QUIT),
        ("CLEAR", server::cmd::CLEAR),
        ("GET_GROUPS", server::cmd::GET_GROUPS),
        ("GET_MEMBERS", server::cmd::GET_MEMBERS),
        ("GET_STATS", server::cmd::GET_STATS),
    ] {
        d.int(&format!("SERVER_CMD_{name}"), v, C);
    }
    d.int("SERVER_CMD_MAX", server::cmd::MAX, PY);
    for (name, v, in_header) in [
        ("PAD", server::attr::PAD, C),
        ("GROUP", server::attr::GROUP, C),
        ("MEMBERS", server::attr::MEMBERS, C),
        ("MEMBER_COUNT", server::attr::MEMBER_COUNT, PY),
        ("TX_PACKETS", server::attr::TX_PACKETS, PY),
        ("TX_BYTES", server::attr::TX_BYTES, PY),
        ("MAX_GROUPS", server::attr::MAX_GROUPS, PY),
        ("MAX_MEMBERS", server::attr::MAX_MEMBERS, PY),
        ("LEARN_PREFIXES", server::attr::LEARN_PREFIXES, C),
        ("LEARN_TIMEOUT", server::attr::LEARN_TIMEOUT, C),
        ("LEARNED_COUNT", server::attr::LEARNED_COUNT, PY),
        ("LEARNED", server::attr::LEARNED, PY),
        ("QUERY_INTERVAL", server::attr::QUERY_INTERVAL, PY),
        ("MAX", server::attr::MAX, C),
        ("COUNTER_FIRST", server::attr::COUNTER_FIRST, PY),
    ] {
        d.int(&format!("SERVER_ATTR_{name}"), v, in_header);
    }
    d.int(
        "SERVER_MEMBERS_MAX_BYTES",
        (genl::MAX_MEMBERS_PER_REQUEST * 4) as u64,
        C,
    );
    d.int(
        "SERVER_LEARN_PREFIXES_MAX_BYTES",
        (genl::MAX_LEARN_PREFIXES * genl::LEARN_PREFIX_BYTES) as u64,
        C,
    );
    d.int("SERVER_COUNTERS", server::COUNTERS.len() as u64, C);
    d.def("SERVER_COUNTER_NAMES", names(&server::COUNTERS), PY);
    d.section();
    d.def("CLIENT_FAMILY", Value::Str(client::FAMILY_NAME), C);
    for (name, v) in [
        ("ADD_ENTRY", client::cmd::ADD_ENTRY),
        ("DEL_ENTRY", client::cmd::DEL_ENTRY),
        ("CLEAR", client::cmd::CLEAR),
        ("GET_ENTRIES", client::cmd::GET_ENTRIES),
        ("GET_STATS", client::cmd::GET_STATS),
    ] {
        d.int(&format!("CLIENT_CMD_{name}"), v, C);
    }
    d.int("CLIENT_CMD_MAX", client::cmd::MAX, PY);
    for (name, v, in_header) in [
        ("PAD", client::attr::PAD, C),
        ("SENDER", client::attr::SENDER, C),
        ("PORT", client::attr::PORT, C),
        ("GROUP", client::attr::GROUP, C),
        ("FLAGS", client::attr::FLAGS, C),
        ("RX_PACKETS", client::attr::RX_PACKETS, PY),
        ("RX_BYTES", client::attr::RX_BYTES, PY),
        ("MAX_ENTRIES", client::attr::MAX_ENTRIES, PY),
        ("MAX", client::attr::MAX, C),
        ("COUNTER_FIRST", client::attr::COUNTER_FIRST, PY),
    ] {
        d.int(&format!("CLIENT_ATTR_{name}"), v, in_header);
    }
    d.int(
        "CLIENT_FLAG_ALLOW_LINK_LOCAL",
        client::flags::ALLOW_LINK_LOCAL,
        PY,
    );
    d.int("CLIENT_FLAG_NO_ANNOUNCE", client::flags::NO_ANNOUNCE, PY);
    d.int("CLIENT_FLAGS_ALL", client::flags::ALL, PY);
    d.int("CLIENT_COUNTERS", client::COUNTERS.len() as u64, C);
    d.def("CLIENT_COUNTER_NAMES", names(&client::COUNTERS), PY);
    d.section();
    d.int("DUMP_BATCH", genl::DUMP_BATCH as u64, PY);
    d.int(
        "MAX_MEMBERS_PER_REQUEST",
        genl::MAX_MEMBERS_PER_REQUEST as u64,
        PY,
    );
    d.int("MAX_LEARN_PREFIXES", genl::MAX_LEARN_PREFIXES as u64, PY);
    d.int("LEARN_PREFIX_BYTES", genl::LEARN_PREFIX_BYTES as u64, PY);
    d.int(
        "LEARNED_RECORD_BYTES",
        genl::LEARNED_RECORD_BYTES as u64,
        PY,
    );
    d.int("DEFAULT_MAX_GROUPS", limits::DEFAULT_MAX_GROUPS, PY);
    d.int("DEFAULT_MAX_MEMBERS", limits::DEFAULT_MAX_MEMBERS, PY);
    d.int("DEFAULT_MAX_ENTRIES", limits::DEFAULT_MAX_ENTRIES, PY);
    d.int("LIMIT_CEILING", limits::CEILING, PY);
    d.int("DEFAULT_ROUTE_REFRESH_MS", route::DEFAULT_REFRESH_MS, C);
    d.section();
    // Kernel numbers the Rust side relies on; helpers.c pins each with
    // static_assert against the kernel's headers.
    let kernel: [(&str, i64); 18] = [
        ("NF_ACCEPT", verdict::NF_ACCEPT.into()),
        ("NF_STOLEN", verdict::NF_STOLEN.into()),
        ("NET_XMIT_SUCCESS", xmit::NET_XMIT_SUCCESS.into()),
        ("NET_XMIT_CN", xmit::NET_XMIT_CN.into()),
        ("CHECKSUM_NONE", checksum::NONE.into()),
        ("CHECKSUM_UNNECESSARY", checksum::UNNECESSARY.into()),
        ("CHECKSUM_COMPLETE", checksum::COMPLETE.into()),
        ("CHECKSUM_PARTIAL", checksum::PARTIAL.into()),
        ("EPERM", errno::EPERM.into()),
        ("ENOENT", errno::ENOENT.into()),
        ("ENOMEM", errno::ENOMEM.into()),
        ("EEXIST", errno::EEXIST.into()),
        ("EINVAL", errno::EINVAL.into()),
        ("ENOSPC", errno::ENOSPC.into()),
        ("PAYLOAD_CHUNK", shared_payload::CHUNK as i64),
        ("PAYLOAD_MAX_CHUNKS", shared_payload::MAX_CHUNKS as i64),
        ("RTN_UNICAST", route_type::UNICAST.into()),
        ("RTN_LOCAL", route_type::LOCAL.into()),
    ];
    for (name, v) in kernel {
        let v = u64::try_from(v).expect("kernel numbers here are not negative");
        d.int(&format!("KERNEL_{name}"), v, C);
    }
    d
}

/// A string as a C or Python literal: the protocol's strings are plain
/// identifiers, which both languages quote alike.
fn quoted(text: &str) -> String {
    assert!(
        text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "{text:?} needs escaping"
    );
    format!("\"{text}\"")
}

/// `kernel_glue/mcast_proto.h`.
fn mcast_shared_header() -> String {
    let mut h = String::from(
        "/* SPDX-License-Identifier: GPL-2.0 */\n\
         /* Generated by `make header` from mcast_shared/src/genl.rs: do not edit. */\n\
         #ifndef MCAST_PROTO_H\n#define MCAST_PROTO_H\n\n",
    );
    // A paragraph break goes before the next definition the header carries.
    let mut paragraph = false;
    for def in definitions().0 {
        match def {
            None => paragraph = true,
            Some(Def {
                name,
                value,
                in_header: true,
            }) => {
                let value = match value {
                    Value::Int(v) => v.to_string(),
                    Value::Str(s) => quoted(s),
                    Value::Names(_) => unreachable!("{name}: lists are Python only"),
                };
                if std::mem::take(&mut paragraph) {
                    h.push('\n');
                }
                h.push_str(&format!("#define {name} {value}\n"));
            }
            Some(_) => {}
        }
    }
    h.push_str("\n#endif /* MCAST_PROTO_H */\n");
    h
}

/// `tests/vm/mcast_proto.py`.
fn mcast_shared_python() -> String {
    let mut py = format!(
        "# SPDX-License-Identifier: GPL-2.0\n\
         # Generated from mcast_shared/src/genl.rs by mcast_shared/src/bin/gen_header.rs:\n\
         # do not edit. Regenerate from the repository root with\n\
         #   {PYTHON_COMMAND}\n\
         # (`cargo test` fails while this file is stale).\n\
         \"\"\"The rust_mcast generic netlink protocol for tests/vm/mcast_tool.py: family\n\
         names, commands, attributes, counters, flags and limits.\"\"\"\n\n"
    );
    for def in definitions().0 {
        let Some(Def { name, value, .. }) = def else {
            py.push('\n');
            continue;
        };
        match value {
            Value::Int(v) => py.push_str(&format!("{name} = {v}\n")),
            Value::Str(s) => py.push_str(&format!("{name} = {}\n", quoted(s))),
            Value::Names(list) => {
                py.push_str(&format!("{name} = (\n"));
                for n in list {
                    py.push_str(&format!("    {},\n", quoted(n)));
                }
                py.push_str(")\n");
            }
        }
    }
    py
}

#[cfg(test)]
mod tests {
    fn committed(relative: &str) -> (String, String) {
        let path = format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        (path, text)
    }

    #[test]
    fn committed_header_is_current() {
        let (path, text) = committed("kernel_glue/mcast_proto.h");
        assert!(
            text == super::mcast_shared_header(),
            "{path} is stale: run `make header`"
        );
    }

    #[test]
    fn committed_python_module_is_current() {
        let (path, text) = committed("tests/vm/mcast_proto.py");
        assert!(
            text == super::mcast_shared_python(),
            "{path} is stale: run `{}`",
            super::PYTHON_COMMAND
        );
    }

    #[test]
    fn python_module_has_every_attribute_and_command() {
        use mcast_shared::genl::{client, server};
        let py = super::mcast_shared_python();
        let count = |prefix: &str| {
            py.lines()
                .filter(|l| l.starts_with(prefix) && !l.starts_with(&format!("{prefix}MAX ")))
                .count()
        };
        // Every command 1..=MAX; every request attribute 1..=MAX plus
        // COUNTER_FIRST (and the server's reply-only attributes after MAX).
        assert_eq!(count("MCAST_SERVER_CMD_"), usize::from(server::cmd::MAX));
        assert_eq!(count("MCAST_CLIENT_CMD_"), usize::from(client::cmd::MAX));
        let server_replies = usize::from(server::attr::QUERY_INTERVAL - server::attr::MAX);
        assert_eq!(
            count("MCAST_SERVER_ATTR_"),
            usize::from(server::attr::MAX) + 1 + server_replies
        );
        assert_eq!(
            count("MCAST_CLIENT_ATTR_"),
            usize::from(client::attr::MAX) + 1
        );
    }
}
