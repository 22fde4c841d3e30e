//! One enum for every configuration error, with the operator-facing text.
//! The kernel sends the text as the extended ack and the errno as the error;
//! the CLIs print the same text when they catch the error before the kernel.

use super::addr::Ipv4;
use core::fmt;

/// Linux errno values the modules return (positive; the kernel negates them).
pub mod errno {
    #![allow(missing_docs)]
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const ENOMEM: i32 = 12;
    pub const EEXIST: i32 = 17;
    pub const EINVAL: i32 = 22;
    pub const ENOSPC: i32 = 28;
}

/// Why a configuration request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A request lacks a required attribute.
    MissingAttribute(&'static str),
    /// An attribute has the wrong size or shape.
    MalformedAttribute(&'static str),
    /// A group must be a multicast or the broadcast address.
    NotAGroupAddress(Ipv4),
    /// The group is not configured.
    NoSuchGroup(Ipv4),
    /// The namespace already holds the maximum number of groups.
    TooManyGroups { limit: u32 },
    /// The group would exceed the member limit.
    TooManyMembers {
        group: Ipv4,
        current: u32,
        requested: u32,
        limit: u32,
    },
    /// Members must be ordinary unicast addresses.
    MemberNotUnicast(Ipv4),
    /// The sender of a client entry must be a unicast address.
    SenderNotUnicast(Ipv4),
    /// No client entry has that key.
    NoSuchEntry { sender: Ipv4, port: u16 },
    /// The client entry exists already, unchanged.
    EntryExists {
        sender: Ipv4,
        port: u16,
        group: Ipv4,
    },
    /// The namespace already holds the maximum number of client entries.
    TooManyEntries { limit: u32 },
    /// A link-local group needs the explicit allowance flag.
    LinkLocalNotAllowed(Ipv4),
    /// Unknown bits in the flags attribute.
    UnknownFlags(u32),
    /// A learn prefix is not ADDRESS/LENGTH with LENGTH 0-32 and no host bits.
    BadPrefix,
    /// More learn prefixes than a group may have.
    TooManyPrefixes { limit: u32 },
    /// The learn timeout is outside its range.
    LearnTimeoutOutOfRange { seconds: u32 },
    /// The namespace has no room for another netfilter hook at the point
    /// the configuration needs (the kernel allows 1024 a point).
    HooksFull,
    /// The kernel could not allocate memory. Configuration memory is
    /// charged to the memory cgroup of the task that asks for it, so this is
    /// usually that cgroup's limit.
    OutOfMemory,
}

impl ConfigError {
    /// The errno the kernel returns for this error (positive).
    pub fn errno(self) -> i32 {
        use ConfigError::*;
        match self {
            NoSuchGroup(_) | NoSuchEntry { .. } => errno::ENOENT,
            TooManyGroups { .. } | TooManyMembers { .. } | TooManyEntries { .. } | HooksFull => {
                errno::ENOSPC
            }
            EntryExists { .. } => errno::EEXIST,
            OutOfMemory => errno::ENOMEM,
            MissingAttribute(_)
            | MalformedAttribute(_)
            | NotAGroupAddress(_)
            | MemberNotUnicast(_)
            | SenderNotUnicast(_)
            | LinkLocalNotAllowed(_)
            | UnknownFlags(_)
            | BadPrefix
            | TooManyPrefixes { .. }
            | LearnTimeoutOutOfRange { .. } => errno::EINVAL,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ConfigError::*;
        match *self {
            MissingAttribute(name) => write!(f, "missing attribute {name}"),
            MalformedAttribute(name) => write!(f, "malformed attribute {name}"),
            NotAGroupAddress(ip) => write!(
                f,
                "{ip}: a group must be a multicast address or 255.255.255.255"
            ),
            NoSuchGroup(ip) => write!(f, "{ip}: not a configured group"),
            TooManyGroups { limit } => write!(
                f,
                "already {limit} groups, the limit (module parameter max_groups)"
            ),
            TooManyMembers {
                group,
                current,
                limit,
                ..
            } if current >= limit => {
                write!(f, "group {group} already has {current} members")
            }
            TooManyMembers {
                group,
                current,
                requested,
                limit,
            } => write!(
                f,
                "group {group}: {current} + {requested} members would pass the limit {limit}"
            ),
            MemberNotUnicast(ip) => write!(f, "{ip}: a member must be a unicast host address"),
            SenderNotUnicast(ip) => write!(f, "{ip}: a sender must be a unicast host address"),
            NoSuchEntry { sender, port } => write!(f, "no entry for sender {sender} port {port}"),
            EntryExists {
                sender,
                port,
                group,
            } => {
                write!(f, "sender {sender} port {port} already maps to {group}")
            }
            TooManyEntries { limit } => write!(
                f,
                "already {limit} entries, the limit (module parameter max_entries)"
            ),
            LinkLocalNotAllowed(ip) => {
                write!(
                    f,
                    "{ip} is link-local: allow it for this entry with --allow-link-local"
                )
            }
            UnknownFlags(bits) => write!(f, "unknown entry flags {bits:#x}"),
            BadPrefix => write!(
                f,
                "a learn prefix is ADDRESS/LENGTH (0-32) without host bits, e.g. 10.0.2.0/24"
            ),
            TooManyPrefixes { limit } => write!(f, "a group learns from at most {limit} prefixes"),
            LearnTimeoutOutOfRange { seconds } => write!(
                f,
                "learn timeout {seconds} s: it must be {}-{} seconds",
                super::learn::MIN_LEARN_TIMEOUT_S,
                super::learn::MAX_LEARN_TIMEOUT_S
            ),
            HooksFull => write!(
                f,
                "no room for another netfilter hook here: 1024 at one point already"
            ),
            OutOfMemory => write!(
                f,
                "out of memory: the requesting task's memory cgroup or the kernel is full"
            ),
        }
    }
}

/// A fixed-size text buffer for formatting without allocation (the kernel's
/// extended ack holds 80 bytes). Text past the end is cut at a char boundary.
pub struct TextBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> TextBuf<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        TextBuf {
            bytes: [0; N],
            len: 0,
        }
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        // Only whole UTF-8 sequences are ever copied in, see `write_str`.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }

    /// The text followed by a NUL, for C; the last byte is kept for it.
    pub fn as_c_bytes(&mut self) -> &[u8] {
        let end = self.len.min(N - 1);
        self.bytes[end] = 0;
        &self.bytes[..=end]
    }
}

impl<const N: usize> Default for TextBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for TextBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = N.saturating_sub(1).saturating_sub(self.len);
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::fmt::Write;
    use std::string::ToString;

    #[test]
    fn texts_name_the_problem() {
        let g = Ipv4([239, 1, 1, 1]);
        let full = ConfigError::TooManyMembers {
            group: g,
            current: 1024,
            requested: 1,
            limit: 1024,
        };
        assert_eq!(full.to_string(), "group 239.1.1.1 already has 1024 members");
        assert_eq!(
            ConfigError::NoSuchGroup(g).to_string(),
            "239.1.1.1: not a configured group"
        );
        assert_eq!(ConfigError::NoSuchGroup(g).errno(), errno::ENOENT);
    }

    #[test]
    fn every_text_fits_the_extended_ack() {
        let ip = Ipv4([255, 255, 255, 255]);
        let all = [
            ConfigError::MissingAttribute("MEMBER_COUNT"),
            ConfigError::NotAGroupAddress(ip),
            ConfigError::TooManyGroups { limit: 65536 },
            ConfigError::TooManyMembers {
                group: ip,
                current: 65535,
                requested: 65536,
                limit: 65536,
            },
            ConfigError::EntryExists {
                sender: ip,
                port: 65535,
                group: ip,
            },
            ConfigError::TooManyEntries { limit: 65536 },
            ConfigError::LinkLocalNotAllowed(ip),
            ConfigError::BadPrefix,
            ConfigError::TooManyPrefixes { limit: 16 },
            ConfigError::LearnTimeoutOutOfRange { seconds: u32::MAX },
            ConfigError::HooksFull,
        ];
        for e in all {
            assert!(e.to_string().len() < 80, "{e}");
        }
    }

    #[test]
    fn text_buf_truncates_on_char_boundary() {
        let mut b = TextBuf::<6>::new();
        write!(b, "abcé€z").unwrap();
        assert_eq!(b.as_str(), "abcé");
        assert_eq!(b.as_c_bytes(), "abcé\0".as_bytes());
    }
}
