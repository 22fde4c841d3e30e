// The module tree shared by the kernel modules and the admin tools. This file
// is the entry point the kernel modules include with `#[path]`, so items refer
// to each other with `super::`, never `crate::`.

/// Kernel ABI numbers the modules rely on (pinned by `static_assert` in C).
pub mod abi;
/// IPv4 addresses: classification and formatting without `std`.
pub mod addr;
/// Ones-complement checksum arithmetic (RFC 1071, RFC 1624).
pub mod csum;
/// Error texts shown to operators by the kernel (extack) and the CLIs.
pub mod error;
/// The generic netlink protocol: family names, commands, attributes, limits.
pub mod genl;
/// IGMP messages: reading reports, building queries (learned membership).
pub mod igmp;
/// Open-addressing index used for O(1) lookups on the packet path.
pub mod index;
/// Learning members from IGMP: prefixes, timers, rate limits.
pub mod learn;
/// Packet decisions: which datagrams match and how copies are rewritten.
pub mod packet;
/// Whether a datagram's copies may take their members' cached routes.
pub mod route;
/// Configuration rules: what a valid group, member or client entry is.
pub mod rules;
