//! The client's configuration file, in the old tool's schema:
//! `{"multi_server_info_array":[{"server_ip":"S","group_ip":"G","client_port":P}]}`
//! plus `"allow_link_local":true` on entries that need it and
//! `"no_announce":true` on entries whose sender does not learn (each absent
//! when false, so the old tool's files read unchanged).

use super::fields::{top_array, Element};
use super::json_c::Json;
use crate::parse;
use mcast_shared::addr::Ipv4;
use mcast_shared::error::ConfigError;
use mcast_shared::genl::client::flags;
use mcast_shared::rules;
use serde_json::Value;
use std::collections::hash_map::{Entry, HashMap};

const ARRAY: &str = "multi_server_info_array";

/// One mapping: unicast packets from `server` to UDP `port` (0 = any) are
/// restored to `group`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientEntry {
    /// The sending host's unicast address.
    pub server: Ipv4,
    /// UDP destination port; 0 = any port (and VRRP).
    pub port: u16,
    /// The group restored.
    pub group: Ipv4,
    /// The entry may restore to a link-local group (224.0.0.0/24).
    pub allow_link_local: bool,
    /// The host's IGMP reports for the group are not announced to the server.
    pub no_announce: bool,
}

impl ClientEntry {
    /// The entry's flags for the kernel.
    pub fn flags(&self) -> u32 {
        let flag = |on: bool, bit: u32| if on { bit } else { 0 };
        flag(self.allow_link_local, flags::ALLOW_LINK_LOCAL)
            | flag(self.no_announce, flags::NO_ANNOUNCE)
    }

    /// Sets the flags the kernel reports (unknown bits are ignored).
    pub fn with_flags(self, bits: u32) -> Self {
        ClientEntry {
            allow_link_local: bits & flags::ALLOW_LINK_LOCAL != 0,
            no_announce: bits & flags::NO_ANNOUNCE != 0,
            ..self
        }
    }

    /// Checks the entry with the kernel's rules.
    pub fn check(&self) -> Result<(), ConfigError> {
        rules::check_client_entry(self.server, self.group, self.flags())
    }
}

/// Every entry, in the order they were created.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientConfig {
    /// The entries, each (server, port) once.
    pub entries: Vec<ClientEntry>,
}

impl ClientConfig {
    /// Reads and checks a file's text. `client_port` may be a number or a
    /// string of decimal digits (the old generator wrote strings). An entry
    /// whose (server, port) comes again is replaced in place by the later
    /// one, as the old replay did. `allow_link_local` gives entries without
    /// the key the allowance when their group is link-local (for importing
    /// old VRRP configurations); otherwise such entries are refused. Time
    /// linear in the file's size: a hostile file of 100 000 entries reads
    /// in well under a second.
    pub fn parse(text: &str, allow_link_local: bool) -> Result<Self, String> {
        let mut config = ClientConfig::default();
        // Each (server, port)'s place in `entries`.
        let mut index: HashMap<(Ipv4, u16), usize> = HashMap::new();
        for (i, item) in top_array(text, ARRAY)?.iter().enumerate() {
            let element = Element::new(ARRAY, i, item)?;
            let server = element.address("server_ip")?;
            let group = element.address("group_ip")?;
            let port = match element.required("client_port")? {
                Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                Value::String(s) => parse::port(s).ok(),
                _ => None,
            }
            .ok_or_else(|| {
                element.problem(
                    "client_port",
                    "not a port (a decimal number from 0 to 65535)",
                )
            })?;
            let link_local_default = allow_link_local && group.is_link_local_multicast();
            let entry = ClientEntry {
                server,
                port,
                group,
                allow_link_local: flag(&element, "allow_link_local", link_local_default)?,
                no_announce: flag(&element, "no_announce", false)?,
            };
            entry.check().map_err(|e| match e {
                ConfigError::LinkLocalNotAllowed(_) => {
                    format!(
                        "{}: {e} (in a file: \"allow_link_local\":true)",
                        element.place
                    )
                }
                _ => format!("{}: {e}", element.place),
            })?;
            match index.entry((server, port)) {
                Entry::Occupied(place) => config.entries[*place.get()] = entry,
                Entry::Vacant(place) => {
                    place.insert(config.entries.len());
                    config.entries.push(entry);
                }
            }
        }
        Ok(config)
    }

    /// The file's text in the json-c layout of the old tool.
    pub fn to_json_c(&self) -> String {
        let entries = self.entries.iter().map(|e| {
            let mut fields = vec![
                ("server_ip", Json::Str(e.server.to_string())),
                ("group_ip", Json::Str(e.group.to_string())),
                ("client_port", Json::Int(e.port.into())),
            ];
            if e.allow_link_local {
                fields.push(("allow_link_local", Json::Bool(true)));
            }
            if e.no_announce {
                fields.push(("no_announce", Json::Bool(true)));
            }
            Json::Object(fields)
        });
        Json::Object(vec![(ARRAY, Json::Array(entries.collect()))]).to_pretty()
    }

    /// The entry for (`server`, `port`).
    pub fn find(&self, server: Ipv4, port: u16) -> Option<&ClientEntry> {
        self.entries
            .iter()
            .find(|e| e.server == server && e.port == port)
    }

    /// Adds `entry`, or replaces the one with its (server, port) in place.
    /// Returns whether anything changed.
    pub fn set(&mut self, entry: ClientEntry) -> bool {
        match self
            .entries
            .iter_mut()
            .find(|e| e.server == entry.server && e.port == entry.port)
        {
            Some(e) if *e == entry => false,
            Some(e) => {
                *e = entry;
                true
            }
            None => {
                self.entries.push(entry);
                true
            }
        }
    }

    /// Deletes the entry for (`server`, `port`). Returns whether it was there.
    pub fn remove(&mut self, server: Ipv4, port: u16) -> bool {
        let before = self.entries.len();
        self.entries
            .retain(|e| !(e.server == server && e.port == port));
        self.entries.len() != before
    }

    /// Checks that setting `entry` keeps within the entry limit.
    pub fn check_set(&self, entry: &ClientEntry, max_entries: u32) -> Result<(), ConfigError> {
        if self.find(entry.server, entry.port).is_none()
            && self.entries.len() >= max_entries as usize
        {
            return Err(ConfigError::TooManyEntries { limit: max_entries });
        }
        Ok(())
    }

    /// Checks that the whole configuration fits the module's entry limit;
    /// the reason, for an error naming the file, if it does not. A file the
    /// module could not hold is refused before anything changes.
    pub fn check_limits(&self, max_entries: u32) -> Result<(), String> {
        if self.entries.len() > max_entries as usize {
            return Err(format!(
                "{} entries: more than the limit of {max_entries} (module parameter max_entries)",
                self.entries.len()
            ));
        }
        Ok(())
    }
}

/// The boolean field `key` of an entry; `absent` when it is not there.
fn flag(element: &Element<'_>, key: &str, absent: bool) -> Result<bool, String> {
    match element.get(key) {
        None => Ok(absent),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(element.problem(key, "not true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Ipv4 = Ipv4([10, 0, 1, 10]);
    const G: Ipv4 = Ipv4([239, 10, 0, 1]);

    fn entry(port: u16, group: Ipv4) -> ClientEntry {
        ClientEntry {
            server: S,
            port,
            group,
            allow_link_local: false,
            no_announce: false,
        }
    }

    #[test]
    fn no_announce_round_trips() {
        let text = "{\n  \"multi_server_info_array\":[\n    {\n      \"server_ip\":\"10.0.1.10\",\n      \"group_ip\":\"224.0.0.18\",\n      \"client_port\":0,\n      \"allow_link_local\":true,\n      \"no_announce\":true\n    }\n  ]\n}";
        let config = ClientConfig::parse(text, false).unwrap();
        let e = config.entries[0];
        assert!(e.allow_link_local && e.no_announce);
        assert_eq!(e.flags(), flags::ALLOW_LINK_LOCAL | flags::NO_ANNOUNCE);
        assert_eq!(
            entry(1, G).with_flags(e.flags() | 0x80),
            ClientEntry {
                port: 1,
                group: G,
                ..e
            }
        );
        assert_eq!(config.to_json_c(), text);
        let quiet = r#"{"multi_server_info_array":[{"server_ip":"10.0.1.10","group_ip":"239.10.0.1","client_port":1,"no_announce":false}]}"#;
        assert_eq!(
            ClientConfig::parse(quiet, false).unwrap().entries,
            [entry(1, G)]
        );
        let bad = r#"{"multi_server_info_array":[{"server_ip":"10.0.1.10","group_ip":"239.10.0.1","client_port":1,"no_announce":"yes"}]}"#;
        assert_eq!(
            ClientConfig::parse(bad, false).unwrap_err(),
            "multi_server_info_array[0].no_announce: not true or false"
        );
    }

    #[test]
    fn round_trip_in_the_old_layout() {
        let text = "{\n  \"multi_server_info_array\":[\n    {\n      \"server_ip\":\"10.0.1.10\",\n      \"group_ip\":\"239.10.0.1\",\n      \"client_port\":5000\n    }\n  ]\n}";
        let config = ClientConfig::parse(text, false).unwrap();
        assert_eq!(config.entries, [entry(5000, G)]);
        assert_eq!(config.to_json_c(), text);
        assert_eq!(
            ClientConfig::default().to_json_c(),
            "{\n  \"multi_server_info_array\":[\n  ]\n}"
        );
        assert_eq!(
            ClientConfig::parse("{}", false).unwrap(),
            ClientConfig::default()
        );
    }

    #[test]
    fn ports_as_strings_are_decimal() {
        let text = r#"{"multi_server_info_array": [{"server_ip": "10.0.1.10", "group_ip": "239.10.0.1", "client_port": "08"}]}"#;
        assert_eq!(
            ClientConfig::parse(text, false).unwrap().entries,
            [entry(8, G)]
        );
        for bad in ["\"\"", "-1", "65536", "1.5", "\"x\"", "null"] {
            let text = format!(
                r#"{{"multi_server_info_array":[{{"server_ip":"10.0.1.10","group_ip":"239.10.0.1","client_port":{bad}}}]}}"#
            );
            assert_eq!(
                ClientConfig::parse(&text, false).unwrap_err(),
                "multi_server_info_array[0].client_port: not a port (a decimal number from 0 to 65535)",
                "{bad}"
            );
        }
    }

    #[test]
    fn link_local_needs_the_key_or_the_import_allowance() {
        let vrrp = r#"{"multi_server_info_array":[{"server_ip":"10.0.1.10","group_ip":"224.0.0.18","client_port":0}]}"#;
        assert_eq!(
            ClientConfig::parse(vrrp, false).unwrap_err(),
            "multi_server_info_array[0]: 224.0.0.18 is link-local: allow it for this entry with --allow-link-local (in a file: \"allow_link_local\":true)"
        );
        let allowed = ClientConfig::parse(vrrp, true).unwrap();
        assert!(allowed.entries[0].allow_link_local);
        assert!(allowed
            .to_json_c()
            .contains("\"client_port\":0,\n      \"allow_link_local\":true\n"));
        let keyed = r#"{"multi_server_info_array":[{"server_ip":"10.0.1.10","group_ip":"224.0.0.18","client_port":0,"allow_link_local":true}]}"#;
        assert_eq!(ClientConfig::parse(keyed, false).unwrap(), allowed);
        // The import allowance does not touch ordinary groups.
        let plain = r#"{"multi_server_info_array":[{"server_ip":"10.0.1.10","group_ip":"239.10.0.1","client_port":1}]}"#;
        assert!(!ClientConfig::parse(plain, true).unwrap().entries[0].allow_link_local);
    }

    #[test]
    fn later_duplicates_replace_in_place() {
        let text = r#"{"multi_server_info_array":[
            {"server_ip":"10.0.1.10","group_ip":"239.10.0.1","client_port":1},
            {"server_ip":"10.0.1.10","group_ip":"239.10.0.2","client_port":2},
            {"server_ip":"10.0.1.10","group_ip":"239.10.0.3","client_port":1}]}"#;
        let config = ClientConfig::parse(text, false).unwrap();
        assert_eq!(
            config.entries,
            [
                entry(1, Ipv4([239, 10, 0, 3])),
                entry(2, Ipv4([239, 10, 0, 2]))
            ]
        );
    }

    #[test]
    fn bad_entries_are_named() {
        let cases = [
            (r#"{"multi_server_info_array":[{"server_ip":"239.1.1.1","group_ip":"239.10.0.1","client_port":1}]}"#, "multi_server_info_array[0]: 239.1.1.1: a sender must be a unicast host address"),
            (r#"{"multi_server_info_array":[{"server_ip":"10.0.0.1","group_ip":"10.0.0.2","client_port":1}]}"#, "multi_server_info_array[0]: 10.0.0.2: a group must be a multicast address or 255.255.255.255"),
            (r#"{"multi_server_info_array":[{"server_ip":"10.0.0.1","group_ip":"239.1.1.1"}]}"#, "multi_server_info_array[0]: client_port is missing"),
            (r#"{"multi_server_info_array":[{"server_ip":"10.0.0.1","group_ip":"239.1.1.1","client_port":1,"allow_link_local":1}]}"#, "multi_server_info_array[0].allow_link_local: not true or false"),
        ];
        for (text, message) in cases {
            assert_eq!(ClientConfig::parse(text, false).unwrap_err(), message);
        }
    }

    #[test]
    fn edits_and_limits() {
        let mut c = ClientConfig::default();
        assert!(c.set(entry(1, G)));
        assert!(!c.set(entry(1, G)));
        assert!(c.set(entry(1, Ipv4([239, 0, 0, 9]))));
        assert_eq!(c.entries.len(), 1);
        assert!(c.check_set(&entry(1, G), 1).is_ok());
        assert_eq!(
            c.check_set(&entry(2, G), 1),
            Err(ConfigError::TooManyEntries { limit: 1 })
        );
        assert!(c.remove(S, 1));
        assert!(!c.remove(S, 1));
        assert!(c.check_limits(0).is_ok());
        c.set(entry(1, G));
        assert_eq!(
            c.check_limits(0).unwrap_err(),
            "1 entries: more than the limit of 0 (module parameter max_entries)"
        );
    }

    /// 100 000 entries read in linear time (the quadratic replace took
    /// seconds in a release build, minutes in a debug build or a TCG
    /// guest), later duplicates still replacing in place.
    #[test]
    fn a_hundred_thousand_entries_read_quickly() {
        let entries: Vec<String> = (0..100_000u32)
            .map(|i| {
                let [_, b, c, d] = i.to_be_bytes();
                format!(
                    r#"{{"server_ip":"10.{b}.{c}.{}","group_ip":"239.{b}.{c}.{d}","client_port":5000}}"#,
                    d.max(1)
                )
            })
            .collect();
        let text = format!(r#"{{"multi_server_info_array":[{}]}}"#, entries.join(","));
        let config = ClientConfig::parse(&text, false).unwrap();
        // x.y.z.0 became x.y.z.1: those came twice; the later one stays.
        assert_eq!(config.entries.len(), 100_000 - 100_000 / 256 - 1);
        assert_eq!(config.entries[0].server, Ipv4([10, 0, 0, 1]));
        assert_eq!(config.entries[0].group, Ipv4([239, 0, 0, 1]));
    }
}
