//! One generic netlink family per module, usable in every network namespace.
//! Attribute payloads: an address is 4 bytes in network order, exactly as in
//! a packet (`Ipv4.0`); a port is a native-endian `u16`, flags and counts
//! native-endian `u32`, counters native-endian `u64` (with `PAD`). A member
//! list is one binary attribute of consecutive 4-byte addresses.
//! Requests that carry no body attributes still carry the genl header.
//! Errors come back as a netlink error with the errno of
//! [`super::error::ConfigError::errno`] and its text as the extended ack.
//! Counters travel as `u64` attributes numbered `COUNTER_FIRST + index` in the
//! order of the module's counter table below.

/// Settings both families share.
pub mod family {
    /// Version field of every genl header.
    pub const VERSION: u8 = 1;
}

/// How many entries a dump message carries at most, so that one message fits
/// a page whatever the counts.
pub const DUMP_BATCH: usize = 128;

/// Most member addresses one request may carry: a netlink attribute holds at
/// most 65535 bytes including its 4-byte header. Larger changes are sent
/// as several requests.
pub const MAX_MEMBERS_PER_REQUEST: usize = 16382;

/// One counter: its position in the per-CPU array and attribute list, a
/// machine name for `--json` and what it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    /// Stable key used in `--json` output.
    pub name: &'static str,
    /// One line for the man page.
    pub help: &'static str,
}

/// The sending host's family (`rust_mcast_server`).
pub mod server {
    use super::Counter;

    /// Generic netlink family name (at most 15 bytes).
    pub const FAMILY_NAME: &str = "rmcast_server";
    /// Name of the kernel module that registers the family.
    pub const MODULE_NAME: &str = "rust_mcast_server";

    /// Commands. Mutating ones require CAP_NET_ADMIN in the namespace.
    pub mod cmd {
        /// Create a group if absent and add `MEMBERS` (optional). Idempotent.
        /// With `LEARN_PREFIXES` (and optionally `LEARN_TIMEOUT`) it also sets
        /// the group's learning: members are learned from marked IGMP reports
        /// whose source is inside a prefix; an empty `LEARN_PREFIXES` turns
        /// learning off and forgets the learned members.
        pub const ADD_GROUP: u8 = 1;
        /// Delete `GROUP`; ENOENT if absent.
        pub const DEL_GROUP: u8 = 2;
        /// Add `MEMBERS` to the existing `GROUP`.
        pub const JOIN: u8 = 3;
        /// Remove `MEMBERS` from the existing `GROUP`; unknown members are ignored.
        pub const QUIT: u8 = 4;
        /// Delete every group.
        pub const CLEAR: u8 = 5;
        /// Dump: one message per group with `GROUP`, `MEMBER_COUNT` (static and
        /// learned), `TX_PACKETS`, `TX_BYTES`, and for a learning group
        /// `LEARN_PREFIXES`, `LEARN_TIMEOUT` and `LEARNED_COUNT`.
        pub const GET_GROUPS: u8 = 6;
        /// Dump of `GROUP`'s members: the static ones in stored order,
        /// `DUMP_BATCH` per message in `MEMBERS`, then the learned ones,
        /// `DUMP_BATCH / 2` per message in `LEARNED`.
        pub const GET_MEMBERS: u8 = 7;
        /// Global counters, or with `GROUP` that group's `TX_PACKETS`/`TX_BYTES`.
        pub const GET_STATS: u8 = 8;
        /// Highest command number.
        pub const MAX: u8 = GET_STATS;
    }

    /// Attributes.
    pub mod attr {
        /// Padding for 64-bit attributes.
        pub const PAD: u16 = 1;
        /// 4 bytes: group address.
        pub const GROUP: u16 = 2;
        /// binary: array of member addresses, 4 bytes each.
        pub const MEMBERS: u16 = 3;
        /// u32: number of members of a group.
        pub const MEMBER_COUNT: u16 = 4;
        /// u64: copies sent for one group.
        pub const TX_PACKETS: u16 = 5;
        /// u64: bytes (IP total length) sent for one group.
        pub const TX_BYTES: u16 = 6;
        /// u32: the module's group limit.
        pub const MAX_GROUPS: u16 = 7;
        /// u32: the module's member-per-group limit.
        pub const MAX_MEMBERS: u16 = 8;
        /// binary: the prefixes a group learns members from,
        /// [`super::super::LEARN_PREFIX_BYTES`] each (address, then length);
        /// empty: no learning. At most [`super::super::MAX_LEARN_PREFIXES`].
        pub const LEARN_PREFIXES: u16 = 9;
        /// u32: seconds a learned member stays without a new report (the
        /// group membership interval).
        pub const LEARN_TIMEOUT: u16 = 10;
        /// Highest attribute a request may carry.
        pub const MAX: u16 = LEARN_TIMEOUT;
        /// u32 (replies): how many members of a group are learned.
        pub const LEARNED_COUNT: u16 = 11;
        /// binary (replies): learned members, [`super::super::LEARNED_RECORD_BYTES`]
        /// each: the address, then the milliseconds left before it expires
        /// (native-endian u32).
        pub const LEARNED: u16 = 12;
        /// u32 (GET_STATS): the module's query interval in seconds.
        pub const QUERY_INTERVAL: u16 = 13;
        /// Counter `i` of [`super::COUNTERS`] is attribute `COUNTER_FIRST + i`.
        pub const COUNTER_FIRST: u16 = 32;
    }

    /// Global counters of the server, in per-CPU array order.
    pub const COUNTERS: [Counter; 18] = [
        Counter {
            name: "tx_packets",
            help: "unicast copies handed to the IP output path",
        },
        Counter {
            name: "tx_bytes",
            help: "IP bytes of those copies",
        },
        Counter {
            name: "matched",
            help: "datagrams sent to a configured group",
        },
        Counter {
            name: "unmatched",
            help: "UDP or VRRP datagrams to an unconfigured group address (passed untouched)",
        },
        Counter {
            name: "no_members",
            help: "datagrams to a group that has no members",
        },
        Counter {
            name: "route_fail",
            help: "copies dropped because no route led to the member",
        },
        Counter {
            name: "alloc_fail",
            help: "copies not made for lack of memory",
        },
        Counter {
            name: "xmit_fail",
            help: "copies the output path refused",
        },
        Counter {
            name: "to_local",
            help: "copies dropped because the member is this host",
        },
        Counter {
            name: "malformed",
            help: "matched datagrams too short for their headers",
        },
        Counter {
            name: "igmp_reports",
            help: "group memberships reported by marked IGMP from inside a learning group's \
                   prefixes",
        },
        Counter {
            name: "igmp_leaves",
            help: "learned members removed by a marked IGMP leave",
        },
        Counter {
            name: "igmp_refused",
            help: "marked IGMP records ignored: unknown or non-learning group, source outside \
                   the prefixes, not a unicast host, this host, or a packet that is not a valid \
                   report",
        },
        Counter {
            name: "igmp_limited",
            help: "marked IGMP reports dropped by the per-source rate limit or a full queue",
        },
        Counter {
            name: "learned_expired",
            help: "learned members removed because no report came within the learn timeout",
        },
        Counter {
            name: "learned_full",
            help: "members not learned because the group had max_members",
        },
        Counter {
            name: "queries_sent",
            help: "marked IGMP general queries sent to learned members",
        },
        Counter {
            name: "routes_cached",
            help: "copies sent by their member's cached route, without a route lookup",
        },
    ];

    /// Index of each counter in [`COUNTERS`].
    #[allow(missing_docs)]
    pub mod counter {
        pub const TX_PACKETS: usize = 0;
        pub const TX_BYTES: usize = 1;
        pub const MATCHED: usize = 2;
        pub const UNMATCHED: usize = 3;
        pub const NO_MEMBERS: usize = 4;
        pub const ROUTE_FAIL: usize = 5;
        pub const ALLOC_FAIL: usize = 6;
        pub const XMIT_FAIL: usize = 7;
        pub const TO_LOCAL: usize = 8;
        pub const MALFORMED: usize = 9;
        pub const IGMP_REPORTS: usize = 10;
        pub const IGMP_LEAVES: usize = 11;
        pub const IGMP_REFUSED: usize = 12;
        pub const IGMP_LIMITED: usize = 13;
        pub const LEARNED_EXPIRED: usize = 14;
        pub const LEARNED_FULL: usize = 15;
        pub const QUERIES_SENT: usize = 16;
        pub const ROUTES_CACHED: usize = 17;
    }
}

/// The receiving host's family (`rust_mcast_client`).
pub mod client {
    use super::Counter;

    /// Generic netlink family name (at most 15 bytes).
    pub const FAMILY_NAME: &str = "rmcast_client";
    /// Name of the kernel module that registers the family.
    pub const MODULE_NAME: &str = "rust_mcast_client";

    /// Commands. Mutating ones require CAP_NET_ADMIN in the namespace.
    pub mod cmd {
        /// Add or update the entry (`SENDER`, `PORT`) → `GROUP` with `FLAGS`.
        /// EEXIST when the same entry already exists unchanged.
        pub const ADD_ENTRY: u8 = 1;
        /// Delete the entry (`SENDER`, `PORT`); ENOENT if absent.
        pub const DEL_ENTRY: u8 = 2;
        /// Delete every entry.
        pub const CLEAR: u8 = 3;
        /// Dump: one message per entry with `SENDER`, `PORT`, `GROUP`, `FLAGS`, `RX_PACKETS`,
        /// `RX_BYTES`.
        pub const GET_ENTRIES: u8 = 4;
        /// Global counters, or with `SENDER` and `PORT` that entry's `RX_PACKETS`/`RX_BYTES`.
        pub const GET_STATS: u8 = 5;
        /// Highest command number.
        pub const MAX: u8 = GET_STATS;
    }

    /// Attributes.
    pub mod attr {
        /// Padding for 64-bit attributes.
        pub const PAD: u16 = 1;
        /// 4 bytes: the sender's unicast address.
        pub const SENDER: u16 = 2;
        /// u16: UDP destination port; 0 = any port (and VRRP).
        pub const PORT: u16 = 3;
        /// 4 bytes: the group the packet is restored to.
        pub const GROUP: u16 = 4;
        /// u32: entry flags, see [`super::flags`].
        pub const FLAGS: u16 = 5;
        /// u64: packets restored by one entry.
        pub const RX_PACKETS: u16 = 6;
        /// u64: bytes restored by one entry.
        pub const RX_BYTES: u16 = 7;
        /// u32: the module's entry limit.
        pub const MAX_ENTRIES: u16 = 8;
        /// Highest attribute a request may carry.
        pub const MAX: u16 = MAX_ENTRIES;
        /// Counter `i` of [`super::COUNTERS`] is attribute `COUNTER_FIRST + i`.
        pub const COUNTER_FIRST: u16 = 32;
    }

    /// Entry flags.
    pub mod flags {
        /// The entry may restore to a link-local group (224.0.0.0/24), e.g. VRRP.
        pub const ALLOW_LINK_LOCAL: u32 = 1;
        /// The host's IGMP reports for the entry's group are not announced to
        /// the entry's sender (a sender that does not learn, e.g. the old tool).
        pub const NO_ANNOUNCE: u32 = 2;
        /// Every flag this version knows; others are refused.
        pub const ALL: u32 = ALLOW_LINK_LOCAL | NO_ANNOUNCE;
    }

    /// Global counters of the client, in per-CPU array order.
    pub const COUNTERS: [Counter; 10] = [
        Counter {
            name: "rx_packets",
            help: "marked unicast packets restored to their group",
        },
        Counter {
            name: "rx_bytes",
            help: "IP bytes of those packets",
        },
        Counter {
            name: "unmarked",
            help: "packets from a configured sender and port without the 0xE0 marker (left alone)",
        },
        Counter {
            name: "no_entry",
            help: "marked packets no entry matched (left alone)",
        },
        Counter {
            name: "malformed",
            help: "marked packets too short for their headers (left alone)",
        },
        Counter {
            name: "fragments",
            help: "marked fragments gathered for reassembly before restoring",
        },
        Counter {
            name: "alloc_fail",
            help: "packets left alone because they could not be made writable",
        },
        Counter {
            name: "igmp_announced",
            help: "marked copies of this host's IGMP reports sent to the senders of its entries' \
                   groups",
        },
        Counter {
            name: "igmp_queries",
            help: "marked IGMP queries from a configured sender restored to 224.0.0.1",
        },
        Counter {
            name: "announce_fail",
            help: "announcements not sent: no memory, no route or refused by the output path",
        },
    ];

    /// Index of each counter in [`COUNTERS`].
    #[allow(missing_docs)]
    pub mod counter {
        pub const RX_PACKETS: usize = 0;
        pub const RX_BYTES: usize = 1;
        pub const UNMARKED: usize = 2;
        pub const NO_ENTRY: usize = 3;
        pub const MALFORMED: usize = 4;
        pub const FRAGMENTS: usize = 5;
        pub const ALLOC_FAIL: usize = 6;
        pub const IGMP_ANNOUNCED: usize = 7;
        pub const IGMP_QUERIES: usize = 8;
        pub const ANNOUNCE_FAIL: usize = 9;
    }
}

/// Most prefixes one group learns from.
pub const MAX_LEARN_PREFIXES: usize = 16;
/// Bytes of one prefix in `LEARN_PREFIXES`: the address (network order),
/// the prefix length, three zero bytes.
pub const LEARN_PREFIX_BYTES: usize = 8;
/// Bytes of one record in `LEARNED`: the address, the milliseconds left.
pub const LEARNED_RECORD_BYTES: usize = 8;

/// Table limits: defaults and the range a module parameter may set.
pub mod limits {
    /// Default and minimum guaranteed number of groups per namespace.
    pub const DEFAULT_MAX_GROUPS: u32 = 1024;
    /// Default and minimum guaranteed number of members per group.
    pub const DEFAULT_MAX_MEMBERS: u32 = 1024;
    /// Default number of client entries per namespace.
    pub const DEFAULT_MAX_ENTRIES: u32 = 1024;
    /// Highest value any limit parameter accepts.
    pub const CEILING: u32 = 65536;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_names_fit_genl_namsiz() {
        let longest = server::FAMILY_NAME.len().max(client::FAMILY_NAME.len());
        assert!(longest < 16, "{longest}");
    }

    #[test]
    fn a_full_member_request_fits_one_attribute() {
        let attribute = 4 + MAX_MEMBERS_PER_REQUEST * 4;
        assert!(attribute <= usize::from(u16::MAX), "{attribute}");
    }

    #[test]
    fn counters_do_not_collide_with_request_attributes() {
        const { assert!(server::attr::COUNTER_FIRST > server::attr::MAX) };
        const { assert!(client::attr::COUNTER_FIRST > client::attr::MAX) };
        assert_eq!(server::counter::ROUTES_CACHED + 1, server::COUNTERS.len());
        assert_eq!(client::counter::ANNOUNCE_FAIL + 1, client::COUNTERS.len());
    }

    #[test]
    fn a_full_dump_batch_fits_a_page() {
        // nlmsghdr + genlmsghdr + GROUP + MEMBERS header + payload
        let message = 16 + 4 + 8 + 4 + DUMP_BATCH * 4;
        assert!(message <= 4096 - 512, "{message}");
    }
}
