//! The data-path decisions of both modules, on the bytes of the IPv4 header
//! and the first 8 bytes of the transport header. The kernel glue makes those
//! bytes linear and writable; everything about *what* to do with them is here.

use super::abi::{checksum, shared_payload};
use super::addr::Ipv4;
use super::csum;
use super::rules;

/// The TOS every unicast copy carries (DSCP CS7). Receivers convert only
/// packets with exactly this TOS; the original tool's clients expect it too.
pub const TOS_MARK: u8 = 0xE0;
/// Copies leave with at least this TTL so they cross the routed network.
pub const TTL_FLOOR: u8 = 64;
/// IP protocol numbers handled.
pub const PROTO_UDP: u8 = 17;
/// VRRP (RFC 5798), sent to 224.0.0.18 with TTL 255.
pub const PROTO_VRRP: u8 = 112;
/// Bytes of the transport header we read or change (UDP header; the VRRP
/// fixed header up to and including its checksum).
pub const L4_HEADER_LEN: usize = 8;

const MIN_IHL_BYTES: usize = 20;
const OFF_TOS: usize = 1;
const OFF_TTL: usize = 8;
const OFF_PROTOCOL: usize = 9;
const OFF_CHECK: usize = 10;
const OFF_SADDR: usize = 12;
const OFF_DADDR: usize = 16;
/// Checksum offset inside the UDP header and inside the VRRP header alike.
const OFF_L4_CHECK: usize = 6;

/// `skb->ip_summed`, the state of the transport checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsumState {
    /// CHECKSUM_NONE: the field holds the full checksum (or 0 for "none").
    None,
    /// CHECKSUM_UNNECESSARY: the device verified it; the field is final.
    Unnecessary,
    /// CHECKSUM_COMPLETE: the device summed the packet into `skb->csum`.
    Complete,
    /// CHECKSUM_PARTIAL: the field holds the pseudo-header seed.
    Partial,
}

impl CsumState {
    /// From the kernel's `CHECKSUM_*` value.
    pub fn from_ip_summed(v: u8) -> CsumState {
        match v {
            checksum::UNNECESSARY => CsumState::Unnecessary,
            checksum::COMPLETE => CsumState::Complete,
            checksum::PARTIAL => CsumState::Partial,
            _ => CsumState::None,
        }
    }
}

/// What must happen to `skb->ip_summed` after a rewrite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsumFollowUp {
    /// Keep it.
    Keep,
    /// Set CHECKSUM_NONE: `skb->csum` no longer matches the changed bytes, so
    /// let the stack verify the (correct) checksum in software.
    Downgrade,
}

/// The header bytes were shorter than their own length fields say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

/// The fields of an IPv4 header the decisions need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Info {
    /// Header length in bytes.
    pub header_len: usize,
    /// Total length of the datagram (or fragment).
    pub total_len: u16,
    /// IP protocol.
    pub protocol: u8,
    /// TOS byte.
    pub tos: u8,
    /// Time to live.
    pub ttl: u8,
    /// Source address.
    pub saddr: Ipv4,
    /// Destination address.
    pub daddr: Ipv4,
    /// Fragment offset in 8-byte units.
    pub frag_offset: u16,
    /// More-fragments flag.
    pub more_fragments: bool,
}

impl Ipv4Info {
    /// Parses the fixed header; `bytes` must hold at least the whole IP header.
    /// `#[inline]` (a hint): the hooks parse every packet at their points,
    /// and each needs only a few of the fields.
    #[inline]
    pub fn parse(bytes: &[u8]) -> Result<Ipv4Info, Malformed> {
        if bytes.len() < MIN_IHL_BYTES || bytes[0] >> 4 != 4 {
            return Err(Malformed);
        }
        let header_len = usize::from(bytes[0] & 0x0f) * 4;
        if header_len < MIN_IHL_BYTES || bytes.len() < header_len {
            return Err(Malformed);
        }
        let frag = u16::from_be_bytes([bytes[6], bytes[7]]);
        Ok(Ipv4Info {
            header_len,
            total_len: u16::from_be_bytes([bytes[2], bytes[3]]),
            protocol: bytes[OFF_PROTOCOL],
            tos: bytes[OFF_TOS],
            ttl: bytes[OFF_TTL],
            saddr: addr_at(bytes, OFF_SADDR),
            daddr: addr_at(bytes, OFF_DADDR),
            frag_offset: frag & 0x1fff,
            more_fragments: frag & 0x2000 != 0,
        })
    }

    /// A fragment of a larger datagram (first or later).
    pub fn is_fragment(&self) -> bool {
        self.more_fragments || self.frag_offset != 0
    }

    /// Bytes a rewrite needs linear and writable: the IP header, plus the
    /// transport header when this packet carries it (offset 0).
    pub fn rewrite_len(&self) -> usize {
        if self.frag_offset == 0 {
            self.header_len + L4_HEADER_LEN
        } else {
            self.header_len
        }
    }

    /// Whether the protocol is one the proxy carries.
    pub fn is_carried_protocol(&self) -> bool {
        matches!(self.protocol, PROTO_UDP | PROTO_VRRP)
    }
}

fn addr_at(bytes: &[u8], off: usize) -> Ipv4 {
    Ipv4([bytes[off], bytes[off + 1], bytes[off + 2], bytes[off + 3]])
}

/// Server: the destination to look up among the groups, if this locally sent
/// packet is one the proxy handles at all: UDP or VRRP over IPv4 to an
/// address that can be a group, and not host-scoped. Unicast traffic leaves
/// here, before any lookup or counter: it costs the hook a header parse.
/// A multicast datagram sent with TTL 0 (`IP_MULTICAST_TTL 0`) must not
/// leave the host (RFC 1112 §6.1); its copies would, so it gets none (and
/// counts as nothing: it was never the proxy's).
#[inline]
pub fn server_candidate(header: &[u8]) -> Option<Ipv4Info> {
    Ipv4Info::parse(header).ok().filter(|info| {
        info.is_carried_protocol() && info.ttl != 0 && rules::is_group_address(info.daddr)
    })
}

/// Server: whether a matched datagram really holds the headers every copy
/// rewrites ([`Ipv4Info::rewrite_len`]), by its IP total length and by the
/// `available` bytes the packet has from its IP header on. A datagram that
/// does not is malformed: counted once, and no copy is made.
pub fn holds_rewrite_headers(info: &Ipv4Info, available: usize) -> bool {
    let need = info.rewrite_len();
    usize::from(info.total_len) >= need && available >= need
}

/// Payload bytes from which a datagram's copies share one copy of its
/// payload. Below it, copying the payload along with each copy's headers
/// costs less than the shared copy's page (make bench: a copy of a 64-byte
/// datagram costs the same with its payload as without).
pub const SHARED_PAYLOAD_MIN: usize = 256;

/// What a datagram's socket buffer says of its layout beyond its bytes:
/// what the copies sharing its payload must still find in their own
/// headers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkbLayout {
    /// GSO: segmented on output, by a layout the segmentation reads.
    pub gso: bool,
    /// Encapsulated (a UDP tunnel's packet): its inner headers, which the
    /// device or the checksum help read, lie in what would be shared.
    pub encapsulated: bool,
    /// CHECKSUM_PARTIAL: where the checksum field the device completes
    /// ends, in bytes from the IP header.
    pub partial_csum_end: Option<usize>,
}

/// Server: how many bytes after the rewritten headers the copies of a
/// matched datagram share, made once into pages of its own, instead of each
/// copy carrying them; `None` when each copy takes the whole packet.
/// `available` is the packet's length from its IP header on, `members` the
/// copies to make. Sharing pays from two copies of a payload worth a page
/// of its own, and is for a plain datagram: every header the output path
/// reads, and a checksum left to the device, within the rewritten headers
/// ([`Ipv4Info::rewrite_len`]), which stay each copy's own.
pub fn payload_to_share(
    info: &Ipv4Info,
    available: usize,
    members: usize,
    layout: SkbLayout,
) -> Option<usize> {
    let headers = info.rewrite_len();
    let payload = available.checked_sub(headers)?;
    let fits = payload <= shared_payload::CHUNK * shared_payload::MAX_CHUNKS;
    let plain = !layout.gso
        && !layout.encapsulated
        && layout.partial_csum_end.is_none_or(|end| end <= headers);
    (members >= 2 && plain && payload >= SHARED_PAYLOAD_MIN && fits).then_some(payload)
}

/// Server: turns a private copy's headers into the unicast copy for `member`:
/// daddr := member, TOS := 0xE0, TTL raised to [`TTL_FLOOR`], checksums fixed.
/// `header` holds at least [`Ipv4Info::rewrite_len`] bytes.
pub fn rewrite_for_member(
    header: &mut [u8],
    member: Ipv4,
    state: CsumState,
) -> Result<CsumFollowUp, Malformed> {
    let info = Ipv4Info::parse(header)?;
    header[OFF_TOS] = TOS_MARK;
    header[OFF_TTL] = header[OFF_TTL].max(TTL_FLOOR);
    change_daddr(header, &info, member, state)
}

/// Client: restores a marked copy's destination to `group`. TOS, TTL, ports
/// and payload stay as they arrived.
pub fn restore_group(
    header: &mut [u8],
    group: Ipv4,
    state: CsumState,
) -> Result<CsumFollowUp, Malformed> {
    let info = Ipv4Info::parse(header)?;
    change_daddr(header, &info, group, state)
}

fn change_daddr(
    header: &mut [u8],
    info: &Ipv4Info,
    new: Ipv4,
    state: CsumState,
) -> Result<CsumFollowUp, Malformed> {
    if header.len() < info.rewrite_len() {
        return Err(Malformed);
    }
    header[OFF_DADDR..OFF_DADDR + 4].copy_from_slice(&new.0);
    set_ip_checksum(&mut header[..info.header_len]);
    if info.frag_offset != 0 {
        // Later fragments carry no transport header.
        return Ok(CsumFollowUp::Keep);
    }
    let l4 = &mut header[info.header_len..info.header_len + L4_HEADER_LEN];
    let changed = match info.protocol {
        PROTO_UDP => fix_udp_check(l4, info.daddr, new, state),
        PROTO_VRRP => fix_vrrp_check(l4, info.daddr, new),
        _ => false,
    };
    Ok(if changed && state == CsumState::Complete {
        CsumFollowUp::Downgrade
    } else {
        CsumFollowUp::Keep
    })
}

/// Recomputes the IPv4 header checksum over `ip_header` (exactly the header).
pub fn set_ip_checksum(ip_header: &mut [u8]) {
    ip_header[OFF_CHECK..OFF_CHECK + 2].copy_from_slice(&[0, 0]);
    let c = csum::checksum(ip_header);
    ip_header[OFF_CHECK..OFF_CHECK + 2].copy_from_slice(&c.to_be_bytes());
}

fn read_check(l4: &[u8]) -> u16 {
    u16::from_be_bytes([l4[OFF_L4_CHECK], l4[OFF_L4_CHECK + 1]])
}

fn write_check(l4: &mut [u8], v: u16) {
    l4[OFF_L4_CHECK..OFF_L4_CHECK + 2].copy_from_slice(&v.to_be_bytes());
}

/// UDP covers the pseudo-header, so a new destination changes it. Returns
/// whether the field changed.
fn fix_udp_check(udp: &mut [u8], old: Ipv4, new: Ipv4, state: CsumState) -> bool {
    let check = read_check(udp);
    let updated = match state {
        CsumState::Partial => csum::replace4_seed(check, old.0, new.0),
        // 0 means "no checksum" (RFC 768): it stays 0.
        _ if check == 0 => return false,
        // A computed 0 is sent as all ones, since 0 means "none".
        _ => match csum::replace4(check, old.0, new.0) {
            0 => 0xffff,
            c => c,
        },
    };
    write_check(udp, updated);
    updated != check
}

/// VRRPv3 covers the IPv4 pseudo-header (RFC 5798 §5.2.8); VRRPv2 does not.
fn fix_vrrp_check(vrrp: &mut [u8], old: Ipv4, new: Ipv4) -> bool {
    if vrrp[0] >> 4 != 3 {
        return false;
    }
    let check = read_check(vrrp);
    write_check(vrrp, csum::replace4(check, old.0, new.0));
    true
}

/// Client: how an arriving packet relates to the proxy, before any lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Not UDP or VRRP over IPv4: none of our business.
    Ignore,
    /// UDP/VRRP without the marker: left alone (counted if an entry matches).
    Unmarked {
        /// Entry key.
        key: EntryKey,
    },
    /// A marked fragment: gather the datagram before deciding.
    MarkedFragment {
        /// The sender, to check that it is configured at all.
        sender: Ipv4,
    },
    /// A marked whole datagram: look up its entry.
    Marked {
        /// Entry key.
        key: EntryKey,
    },
    /// Marked, but too short for its transport header, or a UDP length
    /// that does not fit the packet.
    Malformed,
}

/// Client table key: the copy's source address and UDP destination port
/// (0 for VRRP, which has no ports, and for "any port" entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryKey {
    /// Source address of the unicast copies (the sending host).
    pub sender: Ipv4,
    /// UDP destination port, 0 = any.
    pub port: u16,
}

impl EntryKey {
    /// The key packed into 48 bits for hashing.
    pub fn packed(self) -> u64 {
        (u64::from(self.sender.to_bits()) << 16) | u64::from(self.port)
    }

    /// The wildcard key of the same sender.
    pub fn any_port(self) -> EntryKey {
        EntryKey {
            sender: self.sender,
            port: 0,
        }
    }
}

/// Client: classifies an arriving packet from its linear header bytes
/// (`available` of them; at least the IP header).
pub fn classify_arrival(header: &[u8]) -> Arrival {
    let Ok(info) = Ipv4Info::parse(header) else {
        return Arrival::Ignore;
    };
    if !info.is_carried_protocol() {
        return Arrival::Ignore;
    }
    let port = |h: &[u8]| -> Option<u16> {
        match info.protocol {
            PROTO_UDP => {
                let l4 = h.get(info.header_len + 2..info.header_len + 4)?;
                Some(u16::from_be_bytes([l4[0], l4[1]]))
            }
            _ => Some(0),
        }
    };
    if info.tos != TOS_MARK {
        return match port(header) {
            Some(port) if !info.is_fragment() => Arrival::Unmarked {
                key: EntryKey {
                    sender: info.saddr,
                    port,
                },
            },
            _ => Arrival::Ignore,
        };
    }
    if info.is_fragment() {
        return Arrival::MarkedFragment { sender: info.saddr };
    }
    if header.len() < info.header_len + L4_HEADER_LEN
        || usize::from(info.total_len) < info.header_len + L4_HEADER_LEN
    {
        return Arrival::Malformed;
    }
    if info.protocol == PROTO_UDP && !udp_length_fits(header, &info) {
        return Arrival::Malformed;
    }
    match port(header) {
        Some(port) => Arrival::Marked {
            key: EntryKey {
                sender: info.saddr,
                port,
            },
        },
        None => Arrival::Malformed,
    }
}

/// Whether a whole UDP datagram's length field is one the UDP stack would
/// accept: at least its header, at most the IP payload (shorter is legal:
/// UDP ignores the rest): the rule of the kernel's UDP receive and of
/// conntrack. Caught here, a bad length is counted as malformed and left
/// unrestored (as a copy for this host, UDP drops it; a forwarded one is
/// not ours to judge further).
fn udp_length_fits(header: &[u8], info: &Ipv4Info) -> bool {
    let Some(field) = header.get(info.header_len + 4..info.header_len + 6) else {
        return false;
    };
    let udp_len = usize::from(u16::from_be_bytes([field[0], field[1]]));
    let ip_payload = usize::from(info.total_len).saturating_sub(info.header_len);
    (L4_HEADER_LEN..=ip_payload).contains(&udp_len)
}

/// Client: the entry for `key`: the exact port first, then the sender's
/// any-port entry.
pub fn lookup_entry<T>(key: EntryKey, find: impl Fn(EntryKey) -> Option<T>) -> Option<T> {
    find(key).or_else(|| {
        if key.port == 0 {
            None
        } else {
            find(key.any_port())
        }
    })
}

#[cfg(test)]
mod tests;
