//! The server's configuration file, in the old tool's schema:
//! `{"multi_group_array":[{"group_ip":"G","member_array":["M",...]}]}`,
//! plus a learning group's keys (see [`super::learn`]).

use super::fields::{address_value, top_array, Element};
use super::json_c::Json;
use super::learn::LearnConfig;
use mcast_shared::addr::Ipv4;
use mcast_shared::error::ConfigError;
use mcast_shared::genl::limits;
use mcast_shared::rules;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

const ARRAY: &str = "multi_group_array";

/// One group and its members, in the order they were added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupConfig {
    /// The group address.
    pub group: Ipv4,
    /// Its members, without duplicates.
    pub members: Vec<Ipv4>,
    /// Its learning; `None` when it does not learn.
    pub learn: Option<LearnConfig>,
}

impl GroupConfig {
    /// `group` without members or learning.
    pub fn new(group: Ipv4) -> Self {
        GroupConfig {
            group,
            members: Vec::new(),
            learn: None,
        }
    }
}

/// Every configured group, in the order they were created.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerConfig {
    /// The groups, each address once.
    pub groups: Vec<GroupConfig>,
}

impl ServerConfig {
    /// Reads and checks a file's text. Every address must be valid; a
    /// group listed twice (the old generator script could write that) is
    /// merged, as the old replay did; duplicate members are dropped, and
    /// the later learning settings win. Time
    /// linear in the file's size: a hostile file of 100 000 groups or
    /// members reads in well under a second.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut config = ServerConfig::default();
        // Each group's place in `groups`, and the members it has.
        let mut index: HashMap<Ipv4, (usize, HashSet<Ipv4>)> = HashMap::new();
        for (i, item) in top_array(text, ARRAY)?.iter().enumerate() {
            let element = Element::new(ARRAY, i, item)?;
            let group = element.address("group_ip")?;
            rules::check_group(group).map_err(|e| element.problem("group_ip", e))?;
            let members = match element.get("member_array") {
                None => Vec::new(),
                Some(Value::Array(list)) => list
                    .iter()
                    .enumerate()
                    .map(|(j, m)| {
                        let place = format!("member_array[{j}]");
                        let member = address_value(m).map_err(|e| element.problem(&place, e))?;
                        rules::check_member(member).map_err(|e| element.problem(&place, e))?;
                        Ok(member)
                    })
                    .collect::<Result<Vec<_>, String>>()?,
                Some(_) => return Err(element.problem("member_array", "not an array")),
            };
            let learn = LearnConfig::read(&element)?;
            let (place, known) = index.entry(group).or_insert_with(|| {
                config.groups.push(GroupConfig::new(group));
                (config.groups.len() - 1, HashSet::new())
            });
            let g = &mut config.groups[*place];
            g.members
                .extend(members.into_iter().filter(|m| known.insert(*m)));
            if learn.is_some() {
                g.learn = learn;
            }
        }
        Ok(config)
    }

    /// The file's text in the json-c layout of the old tool.
    pub fn to_json_c(&self) -> String {
        let groups = self.groups.iter().map(|g| {
            let members = g.members.iter().map(|m| Json::Str(m.to_string())).collect();
            let mut fields = vec![
                ("group_ip", Json::Str(g.group.to_string())),
                ("member_array", Json::Array(members)),
            ];
            fields.extend(g.learn.iter().flat_map(LearnConfig::fields));
            Json::Object(fields)
        });
        Json::Object(vec![(ARRAY, Json::Array(groups.collect()))]).to_pretty()
    }

    /// The configured group `group`.
    pub fn find(&self, group: Ipv4) -> Option<&GroupConfig> {
        self.groups.iter().find(|g| g.group == group)
    }

    /// The configured group `group`, created (empty) if absent; whether it
    /// was created.
    fn entry(&mut self, group: Ipv4) -> (&mut GroupConfig, bool) {
        match self.groups.iter().position(|g| g.group == group) {
            Some(i) => (&mut self.groups[i], false),
            None => {
                self.groups.push(GroupConfig::new(group));
                (self.groups.last_mut().expect("just pushed"), true)
            }
        }
    }

    /// Creates `group` if absent and appends the `members` it lacks.
    /// Returns whether anything changed.
    pub fn add_members(&mut self, group: Ipv4, members: &[Ipv4]) -> bool {
        let (g, created) = self.entry(group);
        let added: Vec<Ipv4> = rules::new_members(&g.members, members).collect();
        g.members.extend_from_slice(&added);
        created || !added.is_empty()
    }

    /// Creates `group` if absent and sets its learning (`None`: off).
    /// Returns whether anything changed.
    pub fn set_learn(&mut self, group: Ipv4, learn: Option<LearnConfig>) -> bool {
        let (g, created) = self.entry(group);
        let changed = g.learn != learn;
        g.learn = learn;
        created || changed
    }

    /// Removes `members` from `group` (unknown ones are ignored). Returns
    /// whether anything changed.
    pub fn remove_members(&mut self, group: Ipv4, members: &[Ipv4]) -> bool {
        let Some(g) = self.groups.iter_mut().find(|g| g.group == group) else {
            return false;
        };
        let before = g.members.len();
        g.members = rules::remaining_members(&g.members, members).collect();
        g.members.len() != before
    }

    /// Deletes `group`. Returns whether it was there.
    pub fn remove_group(&mut self, group: Ipv4) -> bool {
        let before = self.groups.len();
        self.groups.retain(|g| g.group != group);
        self.groups.len() != before
    }

    /// Checks that adding `members` to `group` keeps within the limits.
    pub fn check_add(
        &self,
        group: Ipv4,
        members: &[Ipv4],
        max_groups: u32,
        max_members: u32,
    ) -> Result<(), ConfigError> {
        let existing = match self.find(group) {
            Some(g) => &g.members[..],
            None if self.groups.len() >= max_groups as usize => {
                return Err(ConfigError::TooManyGroups { limit: max_groups });
            }
            None => &[],
        };
        rules::check_join(group, existing, members, max_members).map(drop)
    }

    /// Checks that the whole configuration fits the module's limits; the
    /// reason, for an error naming the file, if it does not. A file the
    /// module could not hold is refused before anything changes.
    pub fn check_limits(&self, limits: &ServerLimits) -> Result<(), String> {
        if self.groups.len() > limits.max_groups as usize {
            return Err(format!(
                "{} groups: more than the limit of {} (module parameter max_groups)",
                self.groups.len(),
                limits.max_groups
            ));
        }
        match self
            .groups
            .iter()
            .find(|g| g.members.len() > limits.max_members as usize)
        {
            Some(g) => Err(format!(
                "group {}: {} members: more than the limit of {} (module parameter max_members)",
                g.group,
                g.members.len(),
                limits.max_members
            )),
            None => Ok(()),
        }
    }
}

/// The module's limits a server configuration must fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Most groups (module parameter `max_groups`).
    pub max_groups: u32,
    /// Most members per group (module parameter `max_members`).
    pub max_members: u32,
}

impl ServerLimits {
    /// The limits of a module loaded without parameters.
    pub const DEFAULT: ServerLimits = ServerLimits {
        max_groups: limits::DEFAULT_MAX_GROUPS,
        max_members: limits::DEFAULT_MAX_MEMBERS,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: Ipv4 = Ipv4([239, 10, 0, 1]);
    const A: Ipv4 = Ipv4([10, 0, 1, 11]);
    const B: Ipv4 = Ipv4([10, 0, 1, 12]);

    #[test]
    fn round_trip_in_the_old_layout() {
        let text = "{\n  \"multi_group_array\":[\n    {\n      \"group_ip\":\"239.10.0.1\",\n      \"member_array\":[\n        \"10.0.1.11\",\n        \"10.0.1.12\"\n      ]\n    }\n  ]\n}";
        let config = ServerConfig::parse(text).unwrap();
        assert_eq!(
            config.groups,
            [GroupConfig {
                group: G,
                members: vec![A, B],
                learn: None
            }]
        );
        assert_eq!(config.to_json_c(), text);
    }

    #[test]
    fn empty_forms() {
        assert_eq!(ServerConfig::parse("{}").unwrap(), ServerConfig::default());
        assert_eq!(
            ServerConfig::parse("{\n}").unwrap(),
            ServerConfig::default()
        );
        assert_eq!(
            ServerConfig::default().to_json_c(),
            "{\n  \"multi_group_array\":[\n  ]\n}"
        );
        let no_members =
            ServerConfig::parse(r#"{"multi_group_array":[{"group_ip":"239.10.0.1"}]}"#).unwrap();
        assert_eq!(
            no_members.groups,
            [GroupConfig {
                group: G,
                members: vec![],
                learn: None
            }]
        );
    }

    #[test]
    fn duplicates_merge() {
        let text = r#"{"multi_group_array": [
            {"group_ip": "239.10.0.1", "member_array": ["10.0.1.11", "10.0.1.11"]},
            {"group_ip": "239.10.0.1", "member_array": ["10.0.1.12", "10.0.1.11"]}]}"#;
        assert_eq!(
            ServerConfig::parse(text).unwrap().groups,
            [GroupConfig {
                group: G,
                members: vec![A, B],
                learn: None
            }]
        );
    }

    #[test]
    fn bad_values_are_named() {
        let cases = [
            (r#"{"multi_group_array":[{"group_ip":"10.0.0.1"}]}"#, "multi_group_array[0].group_ip: 10.0.0.1: a group must be a multicast address or 255.255.255.255"),
            (r#"{"multi_group_array":[{"member_array":[]}]}"#, "multi_group_array[0]: group_ip is missing"),
            (r#"{"multi_group_array":[{"group_ip":"239.1.1.1","member_array":["10.0.0.1","239.1.1.2"]}]}"#, "multi_group_array[0].member_array[1]: 239.1.1.2: a member must be a unicast host address"),
            (r#"{"multi_group_array":[{"group_ip":"239.1.1.1","member_array":["10.0.0.256"]}]}"#, "multi_group_array[0].member_array[0]: 10.0.0.256: not an IPv4 address"),
            (r#"{"multi_group_array":[{"group_ip":"239.1.1.1","member_array":"10.0.0.1"}]}"#, "multi_group_array[0].member_array: not an array"),
            (r#"{"multi_group_array":[7]}"#, "multi_group_array[0] is not an object"),
        ];
        for (text, message) in cases {
            assert_eq!(ServerConfig::parse(text).unwrap_err(), message);
        }
    }

    const LEARNING: &str = "{\n  \"multi_group_array\":[\n    {\n      \"group_ip\":\"239.10.0.1\",\n      \"member_array\":[\n        \"10.0.1.11\"\n      ],\n      \"learn_prefixes\":[\n        \"10.0.2.0/24\",\n        \"10.0.3.7/32\"\n      ],\n      \"learn_timeout\":600\n    }\n  ]\n}";

    fn learn(prefixes: &str, timeout: Option<u32>) -> Option<LearnConfig> {
        Some(LearnConfig {
            prefixes: crate::parse::prefixes(prefixes).unwrap(),
            timeout,
        })
    }

    #[test]
    fn learning_round_trips() {
        let config = ServerConfig::parse(LEARNING).unwrap();
        assert_eq!(
            config.groups,
            [GroupConfig {
                group: G,
                members: vec![A],
                learn: learn("10.0.2.0/24,10.0.3.7", Some(600))
            }]
        );
        assert_eq!(config.to_json_c(), LEARNING);
        // Without a timeout: the module's default, and no key written.
        let mut c = ServerConfig::default();
        assert!(c.set_learn(G, learn("10.0.2.0/24", None)));
        assert!(!c.set_learn(G, learn("10.0.2.0/24", None)));
        let text = c.to_json_c();
        assert!(
            text.ends_with("\"learn_prefixes\":[\n        \"10.0.2.0/24\"\n      ]\n    }\n  ]\n}"),
            "{text}"
        );
        assert_eq!(ServerConfig::parse(&text).unwrap(), c);
        assert!(c.set_learn(G, None));
        assert_eq!(c.groups, [GroupConfig::new(G)]);
    }

    #[test]
    fn duplicate_groups_take_the_later_learning() {
        let text = r#"{"multi_group_array": [
            {"group_ip": "239.10.0.1", "learn_prefixes": ["10.0.2.0/24"]},
            {"group_ip": "239.10.0.1", "member_array": ["10.0.1.11"]},
            {"group_ip": "239.10.0.1", "learn_prefixes": ["10.0.9.0/24"], "learn_timeout": 30}]}"#;
        let g = &ServerConfig::parse(text).unwrap().groups[0];
        assert_eq!(
            (&g.members[..], g.learn),
            (&[A][..], learn("10.0.9.0/24", Some(30)))
        );
    }

    #[test]
    fn bad_learning_is_named() {
        let group =
            |keys: &str| format!(r#"{{"multi_group_array":[{{"group_ip":"239.1.1.1",{keys}}}]}}"#);
        let cases = [
            (r#""learn_prefixes":"10.0.2.0/24""#, "multi_group_array[0].learn_prefixes: not an array"),
            (r#""learn_prefixes":[]"#, "multi_group_array[0].learn_prefixes: empty (leave the key out for a group that does not learn)"),
            (r#""learn_prefixes":["10.0.2.0/24","10.0.2.1/24"]"#, "multi_group_array[0].learn_prefixes[1]: 10.0.2.1/24: a learn prefix is ADDRESS/LENGTH (0-32) without host bits, e.g. 10.0.2.0/24"),
            (r#""learn_prefixes":[24]"#, "multi_group_array[0].learn_prefixes[0]: 24 is not a prefix string"),
            (r#""learn_timeout":60"#, "multi_group_array[0].learn_timeout: needs learn_prefixes"),
            (r#""learn_prefixes":["10.0.2.0/24"],"learn_timeout":1"#, "multi_group_array[0].learn_timeout: learn timeout 1 s: it must be 2-86400 seconds"),
            (r#""learn_prefixes":["10.0.2.0/24"],"learn_timeout":"60""#, "multi_group_array[0].learn_timeout: not a number of seconds"),
            (r#""learn_prefixes":["10.0.2.0/24"],"learn_timeout":2.5"#, "multi_group_array[0].learn_timeout: 2.5: not a number of seconds"),
        ];
        for (keys, message) in cases {
            assert_eq!(
                ServerConfig::parse(&group(keys)).unwrap_err(),
                message,
                "{keys}"
            );
        }
        let many: Vec<String> = (0..17).map(|i| format!("\"10.{i}.0.0/16\"")).collect();
        assert_eq!(
            ServerConfig::parse(&group(&format!(r#""learn_prefixes":[{}]"#, many.join(","))))
                .unwrap_err(),
            "multi_group_array[0].learn_prefixes: a group learns from at most 16 prefixes"
        );
    }

    #[test]
    fn edits_report_changes() {
        let mut c = ServerConfig::default();
        assert!(c.add_members(G, &[]));
        assert!(!c.add_members(G, &[]));
        assert!(c.add_members(G, &[A, B, A]));
        assert!(!c.add_members(G, &[B]));
        assert!(c.remove_members(G, &[A, Ipv4([10, 9, 9, 9])]));
        assert!(!c.remove_members(G, &[A]));
        assert_eq!(c.find(G).unwrap().members, [B]);
        assert!(c.remove_group(G));
        assert!(!c.remove_group(G));
    }

    #[test]
    fn limits() {
        let mut c = ServerConfig::default();
        c.add_members(G, &[A]);
        assert_eq!(
            c.check_add(Ipv4([239, 0, 0, 2]), &[], 1, 1),
            Err(ConfigError::TooManyGroups { limit: 1 })
        );
        assert!(c.check_add(G, &[A], 1, 1).is_ok());
        assert_eq!(
            c.check_add(G, &[B], 1, 1),
            Err(ConfigError::TooManyMembers {
                group: G,
                current: 1,
                requested: 1,
                limit: 1
            })
        );
        let limits = |max_groups, max_members| ServerLimits {
            max_groups,
            max_members,
        };
        assert!(c.check_limits(&limits(1, 1)).is_ok());
        assert_eq!(
            c.check_limits(&limits(0, 1)).unwrap_err(),
            "1 groups: more than the limit of 0 (module parameter max_groups)"
        );
        c.add_members(G, &[B]);
        assert_eq!(
            c.check_limits(&limits(1, 1)).unwrap_err(),
            "group 239.10.0.1: 2 members: more than the limit of 1 (module parameter max_members)"
        );
    }

    /// 100 000 groups, or members in one group, read in linear time (the
    /// quadratic merge took seconds in a release build, minutes in a
    /// debug build or a TCG guest), with the merge rules kept.
    #[test]
    fn a_hundred_thousand_entries_read_quickly() {
        let address = |first: u8, i: u32| {
            let [_, b, c, d] = i.to_be_bytes();
            format!("\"{first}.{b}.{c}.{}\"", d.max(1))
        };
        let groups: Vec<String> = (0..100_000u32)
            .map(|i| {
                format!(
                    r#"{{"group_ip":{},"member_array":["10.0.0.1"]}}"#,
                    address(239, i)
                )
            })
            .collect();
        let text = format!(r#"{{"multi_group_array":[{}]}}"#, groups.join(","));
        let config = ServerConfig::parse(&text).unwrap();
        // x.y.z.0 became x.y.z.1: those groups came twice and merged.
        assert_eq!(config.groups.len(), 100_000 - 100_000 / 256 - 1);
        assert!(config
            .groups
            .iter()
            .all(|g| g.members == [Ipv4([10, 0, 0, 1])]));
        let members: Vec<String> = (0..100_000u32).map(|i| address(10, i)).collect();
        let text = format!(
            r#"{{"multi_group_array":[{{"group_ip":"239.1.1.1","member_array":[{}]}}]}}"#,
            members.join(",")
        );
        let config = ServerConfig::parse(&text).unwrap();
        assert_eq!(config.groups[0].members.len(), 100_000 - 100_000 / 256 - 1);
        assert_eq!(
            config.groups[0].members[..2],
            [Ipv4([10, 0, 0, 1]), Ipv4([10, 0, 0, 2])]
        );
    }
}
