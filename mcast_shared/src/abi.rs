//! Numbers of the kernel's ABI that the modules' Rust code relies on without
//! seeing the C headers. `make header` carries them into
//! `kernel_glue/mcast_proto.h`, where `kernel_glue/helpers.c` pins each one
//! to the kernel's own definition with `static_assert`: a kernel where one
//! differs does not build the modules.

/// Netfilter verdicts (`include/uapi/linux/netfilter.h`).
pub mod verdict {
    /// `NF_ACCEPT`: the packet continues.
    pub const NF_ACCEPT: u32 = 1;
    /// `NF_STOLEN`: the hook took the packet.
    pub const NF_STOLEN: u32 = 2;
}

/// Return values of the transmit path (`include/linux/netdevice.h`).
pub mod xmit {
    /// `NET_XMIT_SUCCESS`.
    pub const NET_XMIT_SUCCESS: i32 = 0;
    /// `NET_XMIT_CN`: congestion notified, the packet may still be sent.
    pub const NET_XMIT_CN: i32 = 2;
}

/// `skb->ip_summed` values (`include/linux/skbuff.h`).
pub mod checksum {
    /// `CHECKSUM_NONE`.
    pub const NONE: u8 = 0;
    /// `CHECKSUM_UNNECESSARY`.
    pub const UNNECESSARY: u8 = 1;
    /// `CHECKSUM_COMPLETE`.
    pub const COMPLETE: u8 = 2;
    /// `CHECKSUM_PARTIAL`.
    pub const PARTIAL: u8 = 3;
}

/// How the server lays out a payload its copies share (the glue's
/// `Packet::copy_sharing_payload`): in page chunks of this size, at most
/// this many, one page fragment each. `helpers.c` pins them below
/// `PAGE_SIZE` and `MAX_SKB_FRAGS`.
pub mod shared_payload {
    /// Bytes a page fragment holds (at most the smallest `PAGE_SIZE`).
    pub const CHUNK: usize = 4096;
    /// Fragments at most: 16 × 4096 bytes hold any IPv4 payload.
    pub const MAX_CHUNKS: usize = 16;
}

/// Route and address types (`enum rtn_type`, `include/uapi/linux/rtnetlink.h`),
/// as `inet_addr_type_dev_table` classifies a datagram's source.
pub mod route_type {
    /// `RTN_UNICAST`: an address reached through a gateway or a link.
    pub const UNICAST: u32 = 1;
    /// `RTN_LOCAL`: one of this host's addresses.
    pub const LOCAL: u32 = 2;
}
