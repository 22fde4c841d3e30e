//! In-memory modules for tests. They apply the rules of `mcast_shared`
//! as the real modules do and answer errors the way the generic netlink
//! code surfaces them (errno plus the extended-ack text), so command flows
//! can be tested without a kernel.

use super::{
    ClientKernel, ClientStats, EntryInfo, GroupInfo, LearnedMember, Learning, MemberList,
    ServerKernel, ServerStats, Traffic, MEMBERS_PER_REQUEST,
};
use crate::config::{ClientEntry, LearnConfig};
use crate::error::{Error, Result};
use crate::side::{Side, CLIENT, SERVER};
use mcast_shared::addr::Ipv4;
use mcast_shared::error::{errno, ConfigError};
use mcast_shared::genl::{client, limits, server};
use mcast_shared::learn::{self, Prefixes};
use mcast_shared::rules;

/// What every fake checks before a request.
#[derive(Clone, Debug)]
pub struct Gate {
    /// The module is loaded (else: not loaded).
    pub loaded: bool,
    /// The caller has CAP_NET_ADMIN (else: EPERM on changes).
    pub privileged: bool,
    /// Every request received, in order, as `COMMAND args` text.
    pub log: Vec<String>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            loaded: true,
            privileged: true,
            log: Vec::new(),
        }
    }
}

impl Gate {
    fn enter(&mut self, side: &Side, change: bool, request: String) -> Result<()> {
        if !self.loaded {
            return Err(Error::NotLoaded {
                module: side.module,
                service: side.service,
            });
        }
        if change && !self.privileged {
            return Err(Error::Kernel {
                errno: errno::EPERM,
                message: None,
                change,
            });
        }
        self.log.push(request);
        Ok(())
    }
}

fn refuse<T>(e: ConfigError, change: bool) -> Result<T> {
    Err(Error::from_kernel(e, change))
}

fn list<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A learning group's state in the fake server module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeLearning {
    /// The sources it learns from; never empty.
    pub prefixes: Prefixes,
    /// Seconds a learned member stays.
    pub timeout: u32,
    /// The members learned, with the time they have left.
    pub learned: Vec<LearnedMember>,
}

/// One group of the fake server module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeGroup {
    /// The group address.
    pub group: Ipv4,
    /// Members in stored order.
    pub members: Vec<Ipv4>,
    /// Its counters.
    pub tx: Traffic,
    /// Its learning; `None` when it does not learn.
    pub learning: Option<FakeLearning>,
}

impl FakeGroup {
    fn learned(&self) -> &[LearnedMember] {
        self.learning.as_ref().map_or(&[], |l| &l.learned[..])
    }
}

/// An in-memory `rust_mcast_server`.
#[derive(Clone, Debug)]
pub struct FakeServer {
    /// Load state, privilege and request log.
    pub gate: Gate,
    /// The group table, in creation order.
    pub groups: Vec<FakeGroup>,
    /// Global counters.
    pub counters: [u64; server::COUNTERS.len()],
    /// The module's group limit.
    pub max_groups: u32,
    /// The module's member limit.
    pub max_members: u32,
    /// The module's query interval (seconds).
    pub query_interval: u32,
}

impl Default for FakeServer {
    fn default() -> Self {
        FakeServer {
            gate: Gate::default(),
            groups: Vec::new(),
            counters: [0; server::COUNTERS.len()],
            max_groups: limits::DEFAULT_MAX_GROUPS,
            max_members: limits::DEFAULT_MAX_MEMBERS,
            query_interval: learn::DEFAULT_QUERY_INTERVAL_S,
        }
    }
}

impl FakeServer {
    fn check_request(group: Ipv4, members: &[Ipv4]) -> Result<()> {
        if members.len() > MEMBERS_PER_REQUEST {
            return refuse(ConfigError::MalformedAttribute("MEMBERS"), true);
        }
        rules::check_group(group).or_else(|e| refuse(e, true))
    }

    fn position(&self, group: Ipv4) -> Option<usize> {
        self.groups.iter().position(|g| g.group == group)
    }

    fn find(&self, group: Ipv4, change: bool) -> Result<&FakeGroup> {
        match self.position(group) {
            Some(i) => Ok(&self.groups[i]),
            None => refuse(ConfigError::NoSuchGroup(group), change),
        }
    }

    /// The place of `group`, created (without members) if absent and
    /// `create` is set, once `members` are known to fit a new group.
    fn find_or_create(&mut self, group: Ipv4, members: &[Ipv4], create: bool) -> Result<usize> {
        match self.position(group) {
            Some(i) => Ok(i),
            None if !create => refuse(ConfigError::NoSuchGroup(group), true),
            None if self.groups.len() >= self.max_groups as usize => refuse(
                ConfigError::TooManyGroups {
                    limit: self.max_groups,
                },
                true,
            ),
            None => {
                rules::check_join(group, &[], members, self.max_members)
                    .or_else(|e| refuse(e, true))?;
                self.groups.push(FakeGroup {
                    group,
                    members: Vec::new(),
                    tx: Traffic::default(),
                    learning: None,
                });
                Ok(self.groups.len() - 1)
            }
        }
    }

    fn join_or_create(&mut self, group: Ipv4, members: &[Ipv4], create: bool) -> Result<()> {
        Self::check_request(group, members)?;
        let i = self.find_or_create(group, members, create)?;
        let g = &mut self.groups[i];
        rules::check_join(group, &g.members, members, self.max_members)
            .or_else(|e| refuse(e, true))?;
        let added: Vec<Ipv4> = rules::new_members(&g.members, members).collect();
        g.members.extend(added);
        Ok(())
    }

    fn group_info(g: &FakeGroup) -> GroupInfo {
        GroupInfo {
            group: g.group,
            member_count: (g.members.len() + g.learned().len()) as u32,
            tx: g.tx,
            learning: g.learning.as_ref().map(|l| Learning {
                prefixes: l.prefixes,
                timeout: l.timeout,
                learned_count: l.learned.len() as u32,
            }),
        }
    }

    /// What a marked IGMP report from `member` does, for tests: `group`
    /// learns it with `expires_ms` left, if `group` learns from it (a
    /// unicast host inside its prefixes, not a configured member) and has
    /// room. A member learned again gets the new time. Returns whether it
    /// was learned.
    pub fn learn_member(&mut self, group: Ipv4, member: Ipv4, expires_ms: u32) -> bool {
        let max_members = self.max_members as usize;
        let Some(g) = self.groups.iter_mut().find(|g| g.group == group) else {
            return false;
        };
        let room = g.members.len() + g.learned().len() < max_members;
        let is_static = g.members.contains(&member);
        let Some(l) = g.learning.as_mut().filter(|l| l.prefixes.admits(member)) else {
            return false;
        };
        let entry = LearnedMember {
            address: member,
            expires_ms,
        };
        match l.learned.iter_mut().find(|m| m.address == member) {
            Some(known) => *known = entry,
            None if room && !is_static => l.learned.push(entry),
            None => return false,
        }
        true
    }
}

impl ServerKernel for FakeServer {
    fn add_group(&mut self, group: Ipv4, members: &[Ipv4]) -> Result<()> {
        self.gate.enter(
            &SERVER,
            true,
            format!("ADD_GROUP {group} [{}]", list(members)),
        )?;
        self.join_or_create(group, members, true)
    }

    fn join(&mut self, group: Ipv4, members: &[Ipv4]) -> Result<()> {
        self.gate
            .enter(&SERVER, true, format!("JOIN {group} [{}]", list(members)))?;
        self.join_or_create(group, members, false)
    }

    fn quit(&mut self, group: Ipv4, members: &[Ipv4]) -> Result<()> {
        self.gate
            .enter(&SERVER, true, format!("QUIT {group} [{}]", list(members)))?;
        Self::check_request(group, members)?;
        let i = self
            .position(group)
            .map_or_else(|| refuse(ConfigError::NoSuchGroup(group), true), Ok)?;
        let g = &mut self.groups[i];
        g.members = rules::remaining_members(&g.members, members).collect();
        Ok(())
    }

    fn del_group(&mut self, group: Ipv4) -> Result<()> {
        self.gate
            .enter(&SERVER, true, format!("DEL_GROUP {group}"))?;
        rules::check_group(group).or_else(|e| refuse(e, true))?;
        let i = self
            .position(group)
            .map_or_else(|| refuse(ConfigError::NoSuchGroup(group), true), Ok)?;
        self.groups.remove(i);
        Ok(())
    }

    fn clear(&mut self) -> Result<()> {
        self.gate.enter(&SERVER, true, "CLEAR".into())?;
        self.groups.clear();
        Ok(())
    }

    fn set_learning(&mut self, group: Ipv4, learn: Option<&LearnConfig>) -> Result<()> {
        let request = match learn {
            None => format!("ADD_GROUP {group} learn=[]"),
            Some(l) => format!(
                "ADD_GROUP {group} learn=[{}]{}",
                list(l.prefixes.as_slice()),
                l.timeout.map_or(String::new(), |t| format!(" timeout={t}"))
            ),
        };
        self.gate.enter(&SERVER, true, request)?;
        rules::check_group(group).or_else(|e| refuse(e, true))?;
        if let Some(seconds) = learn.and_then(|l| l.timeout) {
            learn::check_learn_timeout(seconds).or_else(|e| refuse(e, true))?;
        }
        let i = self.find_or_create(group, &[], true)?;
        let g = &mut self.groups[i];
        g.learning = learn.map(|l| {
            // Learned members outside the new prefixes go.
            let mut learned = g.learned().to_vec();
            learned.retain(|m| l.prefixes.admits(m.address));
            FakeLearning {
                prefixes: l.prefixes,
                timeout: l.effective_timeout(),
                learned,
            }
        });
        Ok(())
    }

    fn groups(&mut self) -> Result<Vec<GroupInfo>> {
        self.gate.enter(&SERVER, false, "GET_GROUPS".into())?;
        Ok(self.groups.iter().map(Self::group_info).collect())
    }

    fn member_list(&mut self, group: Ipv4) -> Result<MemberList> {
        self.gate
            .enter(&SERVER, false, format!("GET_MEMBERS {group}"))?;
        let g = self.find(group, false)?;
        Ok(MemberList {
            members: g.members.clone(),
            learned: g.learned().to_vec(),
        })
    }

    fn stats(&mut self) -> Result<ServerStats> {
        self.gate.enter(&SERVER, false, "GET_STATS".into())?;
        Ok(ServerStats {
            counters: self.counters,
            max_groups: self.max_groups,
            max_members: self.max_members,
            query_interval: self.query_interval,
        })
    }

    fn group_stats(&mut self, group: Ipv4) -> Result<GroupInfo> {
        self.gate
            .enter(&SERVER, false, format!("GET_STATS {group}"))?;
        self.find(group, false).map(Self::group_info)
    }
}

/// An in-memory `rust_mcast_client`.
#[derive(Clone, Debug)]
pub struct FakeClient {
    /// Load state, privilege and request log.
    pub gate: Gate,
    /// The entries, in creation order, with their counters.
    pub entries: Vec<EntryInfo>,
    /// Global counters.
    pub counters: [u64; client::COUNTERS.len()],
    /// The module's entry limit.
    pub max_entries: u32,
}

impl Default for FakeClient {
    fn default() -> Self {
        FakeClient {
            gate: Gate::default(),
            entries: Vec::new(),
            counters: [0; client::COUNTERS.len()],
            max_entries: limits::DEFAULT_MAX_ENTRIES,
        }
    }
}

impl FakeClient {
    fn position(&self, server: Ipv4, port: u16) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.entry.server == server && e.entry.port == port)
    }
}

impl ClientKernel for FakeClient {
    fn add_entry(&mut self, entry: &ClientEntry) -> Result<()> {
        let ClientEntry {
            server,
            port,
            group,
            ..
        } = *entry;
        self.gate.enter(
            &CLIENT,
            true,
            format!("ADD_ENTRY {server} {port} {group} flags={}", entry.flags()),
        )?;
        rules::check_client_entry(server, group, entry.flags()).or_else(|e| refuse(e, true))?;
        match self.position(server, port) {
            Some(i) if self.entries[i].entry == *entry => refuse(
                ConfigError::EntryExists {
                    sender: server,
                    port,
                    group,
                },
                true,
            ),
            // An update keeps the entry's counters.
            Some(i) => {
                self.entries[i].entry = *entry;
                Ok(())
            }
            None if self.entries.len() >= self.max_entries as usize => refuse(
                ConfigError::TooManyEntries {
                    limit: self.max_entries,
                },
                true,
            ),
            None => {
                self.entries.push(EntryInfo {
                    entry: *entry,
                    rx: Traffic::default(),
                });
                Ok(())
            }
        }
    }

    fn del_entry(&mut self, server: Ipv4, port: u16) -> Result<()> {
        self.gate
            .enter(&CLIENT, true, format!("DEL_ENTRY {server} {port}"))?;
        let i = self.position(server, port).map_or_else(
            || {
                refuse(
                    ConfigError::NoSuchEntry {
                        sender: server,
                        port,
                    },
                    true,
                )
            },
            Ok,
        )?;
        self.entries.remove(i);
        Ok(())
    }

    fn clear(&mut self) -> Result<()> {
        self.gate.enter(&CLIENT, true, "CLEAR".into())?;
        self.entries.clear();
        Ok(())
    }

    fn entries(&mut self) -> Result<Vec<EntryInfo>> {
        self.gate.enter(&CLIENT, false, "GET_ENTRIES".into())?;
        Ok(self.entries.clone())
    }

    fn stats(&mut self) -> Result<ClientStats> {
        self.gate.enter(&CLIENT, false, "GET_STATS".into())?;
        Ok(ClientStats {
            counters: self.counters,
            max_entries: self.max_entries,
        })
    }

    fn entry_stats(&mut self, server: Ipv4, port: u16) -> Result<EntryInfo> {
        self.gate
            .enter(&CLIENT, false, format!("GET_STATS {server} {port}"))?;
        match self.position(server, port) {
            Some(i) => Ok(self.entries[i]),
            None => refuse(
                ConfigError::NoSuchEntry {
                    sender: server,
                    port,
                },
                false,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: Ipv4 = Ipv4([239, 1, 1, 1]);
    const A: Ipv4 = Ipv4([10, 0, 0, 1]);

    #[test]
    fn server_rules() {
        let mut k = FakeServer {
            max_groups: 1,
            max_members: 2,
            ..FakeServer::default()
        };
        k.add_group(G, &[A, A]).unwrap();
        k.add_group(G, &[A]).unwrap();
        assert_eq!(k.members(G).unwrap(), [A]);
        let e = k.add_group(Ipv4([239, 1, 1, 2]), &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "already 1 groups, the limit (module parameter max_groups)"
        );
        let e = k
            .join(G, &[Ipv4([10, 0, 0, 2]), Ipv4([10, 0, 0, 3])])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "group 239.1.1.1: 1 + 2 members would pass the limit 2"
        );
        k.quit(G, &[A]).unwrap();
        assert_eq!(k.groups().unwrap()[0].member_count, 0);
        k.del_group(G).unwrap();
        assert_eq!(
            k.del_group(G).unwrap_err().to_string(),
            "239.1.1.1: not a configured group"
        );
        assert_eq!(k.members(G).unwrap_err().exit_status(), 233);
    }

    #[test]
    fn server_learning() {
        let mut k = FakeServer {
            max_members: 2,
            ..FakeServer::default()
        };
        let learn = |prefixes| LearnConfig {
            prefixes: crate::parse::prefixes(prefixes).unwrap(),
            timeout: Some(30),
        };
        let b = Ipv4([10, 0, 0, 2]);
        k.add_group(G, &[A]).unwrap();
        assert!(!k.learn_member(G, b, 1), "not learning yet");
        k.set_learning(G, Some(&learn("10.0.0.0/24"))).unwrap();
        assert!(!k.learn_member(G, A, 1), "a configured member");
        assert!(!k.learn_member(G, Ipv4([10, 0, 1, 2]), 1), "outside");
        assert!(k.learn_member(G, b, 1));
        assert!(k.learn_member(G, b, 9), "a new report renews it");
        assert!(!k.learn_member(G, Ipv4([10, 0, 0, 3]), 1), "full");
        let list = k.member_list(G).unwrap();
        assert_eq!((list.members, list.learned.len()), (vec![A], 1));
        assert_eq!(list.learned[0].expires_ms, 9);
        let info = k.groups().unwrap()[0];
        assert_eq!((info.member_count, info.learning.unwrap().timeout), (2, 30));
        // New prefixes keep only the learned members inside them.
        k.set_learning(G, Some(&learn("10.0.9.0/24"))).unwrap();
        assert!(k.member_list(G).unwrap().learned.is_empty());
        assert!(!k.learn_member(Ipv4([239, 9, 9, 9]), b, 1), "no such group");
        let bad = LearnConfig {
            timeout: Some(1),
            ..learn("10.0.0.0/24")
        };
        assert_eq!(
            k.set_learning(G, Some(&bad)).unwrap_err().exit_status(),
            235
        );
        k.set_learning(G, None).unwrap();
        assert_eq!(k.groups().unwrap()[0].learning, None);
    }

    #[test]
    fn gate() {
        let mut k = FakeServer::default();
        k.gate.privileged = false;
        assert!(k.groups().is_ok());
        let e = k.clear().unwrap_err();
        assert_eq!(
            e.to_string(),
            "permission denied: changing the configuration needs CAP_NET_ADMIN"
        );
        k.gate.loaded = false;
        assert_eq!(
            k.groups().unwrap_err().to_string(),
            "rust_mcast_server is not loaded: run `service multis start`"
        );
        assert_eq!(k.gate.log, ["GET_GROUPS"]);
    }

    #[test]
    fn client_rules() {
        let mut k = FakeClient::default();
        let e = ClientEntry {
            server: A,
            port: 5000,
            group: G,
            allow_link_local: false,
            no_announce: false,
        };
        k.add_entry(&e).unwrap();
        assert_eq!(
            k.add_entry(&e).unwrap_err().to_string(),
            "sender 10.0.0.1 port 5000 already maps to 239.1.1.1"
        );
        k.entries[0].rx.packets = 7;
        let moved = ClientEntry {
            group: Ipv4([239, 1, 1, 2]),
            ..e
        };
        k.add_entry(&moved).unwrap();
        assert_eq!(
            k.entry_stats(A, 5000).unwrap(),
            EntryInfo {
                entry: moved,
                rx: Traffic {
                    packets: 7,
                    bytes: 0
                }
            }
        );
        let vrrp = ClientEntry {
            group: Ipv4::VRRP_GROUP,
            port: 0,
            ..e
        };
        assert_eq!(k.add_entry(&vrrp).unwrap_err().exit_status(), 235);
        // A flag alone changes the entry: an update, not EEXIST.
        let quiet = ClientEntry {
            no_announce: true,
            ..moved
        };
        k.add_entry(&quiet).unwrap();
        assert_eq!(
            k.gate.log.last().unwrap(),
            "ADD_ENTRY 10.0.0.1 5000 239.1.1.2 flags=2"
        );
        assert_eq!(k.entries[0].entry, quiet);
        k.del_entry(A, 5000).unwrap();
        assert_eq!(
            k.del_entry(A, 5000).unwrap_err().to_string(),
            "no entry for sender 10.0.0.1 port 5000"
        );
    }
}
