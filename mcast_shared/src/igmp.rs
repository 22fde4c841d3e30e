//! IGMP (RFC 2236, RFC 3376) for members found by IGMP (issue 16): reading
//! the reports and leaves a receiving host sends, recognising the queries a
//! sender sends its learned members, the IP header rewrites that carry both
//! as marked unicast copies, and the few messages the modules build.
//!
//! Everything here reads untrusted bytes: no indexing that can fail, every
//! loop bounded by the input's length, no panics.

use super::addr::Ipv4;
use super::csum;
use super::packet::{self, Ipv4Info, Malformed};

/// IP protocol number of IGMP.
pub const PROTO_IGMP: u8 = 2;
/// 224.0.0.1, where general queries go (RFC 3376 §4.1.12): a restored query
/// reaches the host's IGMP stack as one from an on-link querier would.
pub const ALL_HOSTS: Ipv4 = Ipv4([224, 0, 0, 1]);
/// The TOS Linux gives IGMP (`IPTOS_PREC_INTERNETCONTROL`); restored
/// queries and the modules' own IGMP carry it like the host's own would.
pub const TOS_IGMP: u8 = 0xC0;
/// Bytes of the IP header [`ip_header`] builds: no options.
pub const IP_HEADER_LEN: usize = 20;
/// Bytes of the query [`general_query`] builds (IGMPv3, no sources).
pub const GENERAL_QUERY_LEN: usize = 12;

/// IGMP message types (RFC 3376 §4, RFC 2236 §2.1).
pub mod msg_type {
    /// Membership query, any version (told apart by length).
    pub const QUERY: u8 = 0x11;
    /// IGMPv1 membership report.
    pub const V1_REPORT: u8 = 0x12;
    /// IGMPv2 membership report.
    pub const V2_REPORT: u8 = 0x16;
    /// IGMPv2 leave group.
    pub const V2_LEAVE: u8 = 0x17;
    /// IGMPv3 membership report.
    pub const V3_REPORT: u8 = 0x22;
}

/// IGMPv3 group record types (RFC 3376 §4.2.12).
pub mod record_type {
    /// Current state: receive only from the listed sources.
    pub const MODE_IS_INCLUDE: u8 = 1;
    /// Current state: receive from all but the listed sources.
    pub const MODE_IS_EXCLUDE: u8 = 2;
    /// Change: now only from the listed sources (none: left).
    pub const CHANGE_TO_INCLUDE: u8 = 3;
    /// Change: now from all but the listed sources (none: joined).
    pub const CHANGE_TO_EXCLUDE: u8 = 4;
    /// Change: these sources are now wanted too.
    pub const ALLOW_NEW_SOURCES: u8 = 5;
    /// Change: these sources are no longer wanted.
    pub const BLOCK_OLD_SOURCES: u8 = 6;
}

use msg_type::*;
use record_type::*;

/// The fixed 8 bytes of a v1/v2 message, of a v3 report's header and of a
/// v3 group record alike.
const BLOCK_LEN: usize = 8;
/// Version 4, IHL 5: no options. Not the Router Alert Linux puts on IGMP
/// (RFC 2113): a multicast router on the path would take a unicast packet
/// with it for itself (`ip_forward` → `ip_call_ra_chain`).
const VERSION_IHL: u8 = 0x45;
/// Flags and fragment offset: DF, as Linux sends IGMP.
const FRAG_DF: [u8; 2] = [0x40, 0x00];
/// The fixed IPv4 header and the offsets of the fields the rewrites change;
/// indexing a `[u8; 20]` with them is checked when compiling.
const MIN_IP_HEADER_LEN: usize = 20;
const OFF_TOS: usize = 1;
const OFF_TTL: usize = 8;
const OFF_CHECK: usize = 10;
const OFF_DADDR: usize = 16;

/// What a report says about one group for the host that sent it. The proxy
/// does not filter by source, so any wanted source makes a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    /// The host wants the group's traffic (from all or from some sources).
    Joined,
    /// The host wants none of it (v2 leave, INCLUDE {}).
    Left,
    /// The host no longer wants some sources (BLOCK_OLD_SOURCES). Whether it
    /// still wants others the record does not say (Linux sends BLOCK when an
    /// INCLUDE-mode socket leaves), so the learner decides: keep the member
    /// until its timer runs out, or ask again.
    Blocked,
}

/// Whether a group in a report can be learned: multicast and not in
/// 224.0.0.0/24, the local control block (224.0.0.22, 224.0.0.251, ...)
/// that no router forwards. Linux reports such groups too (sysctl
/// `igmp_link_local_mcast_reports`), so a record for one is skipped, not an
/// error; a link-local group's members (VRRP) are configured, not learned.
pub fn is_reportable(group: Ipv4) -> bool {
    group.is_multicast() && !group.is_link_local_multicast()
}

/// Whether the Internet checksum over the whole message verifies (IGMP's
/// covers the whole IP payload, RFC 2236 §2.3, RFC 3376 §4.1.2, §4.2.2).
fn checksum_ok(msg: &[u8]) -> bool {
    csum::fold(csum::add_bytes(0, msg)) == 0xffff
}

/// Stores the checksum of `msg` at bytes 2..4, which must hold 0.
fn store_checksum(msg: &mut [u8]) {
    let [hi, lo] = csum::checksum(msg).to_be_bytes();
    if let [_, _, c0, c1, ..] = msg {
        *c0 = hi;
        *c1 = lo;
    }
}

/// Parses an IGMP report or leave. `msg` is the IGMP message (from the IGMP
/// header to the end of the IP payload, see [`igmp_message`]). Calls
/// `visit(group, membership)` for each group it concerns, in order, and
/// returns how many it visited; groups that are not [`is_reportable`] and
/// v3 records that say nothing about membership are skipped.
///
/// Err(Malformed), before any visit, for: fewer than 8 bytes, a bad
/// checksum, a query or unknown type, a v3 record count the bytes cannot
/// hold, a v3 record running past the end. Visiting only whole, verified
/// reports means a damaged one teaches nothing, not its first records.
/// Bytes after the last v3 record are ignored (covered by the checksum).
pub fn parse_report(
    msg: &[u8],
    mut visit: impl FnMut(Ipv4, Membership),
) -> Result<usize, Malformed> {
    let [kind, _, _, _, g0, g1, g2, g3, ..] = *msg else {
        return Err(Malformed);
    };
    if !checksum_ok(msg) {
        return Err(Malformed);
    }
    let membership = match kind {
        V1_REPORT | V2_REPORT => Membership::Joined,
        V2_LEAVE => Membership::Left,
        V3_REPORT => return parse_v3(msg, visit),
        _ => return Err(Malformed),
    };
    let group = Ipv4([g0, g1, g2, g3]);
    if !is_reportable(group) {
        return Ok(0);
    }
    visit(group, membership);
    Ok(1)
}

fn parse_v3(msg: &[u8], mut visit: impl FnMut(Ipv4, Membership)) -> Result<usize, Malformed> {
    let records = Records::new(msg)?;
    for record in records.clone() {
        record?;
    }
    let mut visited = 0;
    for record in records {
        let record = record?;
        if let Some(membership) = record.membership() {
            if is_reportable(record.group) {
                visit(record.group, membership);
                visited += 1;
            }
        }
    }
    Ok(visited)
}

/// One IGMPv3 group record's header.
#[derive(Clone, Copy)]
struct Record {
    kind: u8,
    sources: u16,
    group: Ipv4,
}

impl Record {
    /// INCLUDE {} is the state of a host not in the group (RFC 3376 §3.2);
    /// EXCLUDE anything, or INCLUDE of some sources, is a member. Unknown
    /// types are ignored (§4.2.12), as is an ALLOW of no sources (it
    /// changes nothing).
    fn membership(&self) -> Option<Membership> {
        match self.kind {
            MODE_IS_INCLUDE | CHANGE_TO_INCLUDE if self.sources == 0 => Some(Membership::Left),
            MODE_IS_INCLUDE | CHANGE_TO_INCLUDE | MODE_IS_EXCLUDE | CHANGE_TO_EXCLUDE => {
                Some(Membership::Joined)
            }
            ALLOW_NEW_SOURCES if self.sources > 0 => Some(Membership::Joined),
            BLOCK_OLD_SOURCES => Some(Membership::Blocked),
            _ => None,
        }
    }
}

/// The group records of a v3 report, each checked against the bytes left.
/// Each step consumes at least 8 bytes or ends the walk.
#[derive(Clone)]
struct Records<'a> {
    rest: &'a [u8],
    left: u16,
}

impl<'a> Records<'a> {
    fn new(msg: &'a [u8]) -> Result<Records<'a>, Malformed> {
        let [_, _, _, _, _, _, n0, n1, rest @ ..] = msg else {
            return Err(Malformed);
        };
        let left = u16::from_be_bytes([*n0, *n1]);
        // Refused at once: a count no byte string this short could hold.
        if usize::from(left) * BLOCK_LEN > rest.len() {
            return Err(Malformed);
        }
        Ok(Records { rest, left })
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Record, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let parsed = match self.rest {
            [kind, aux_words, s0, s1, g0, g1, g2, g3, body @ ..] => {
                let sources = u16::from_be_bytes([*s0, *s1]);
                // Sources, then auxiliary data, both in 32-bit words.
                let skip = (usize::from(sources) + usize::from(*aux_words)) * 4;
                body.get(skip..).map(|rest| {
                    let record = Record {
                        kind: *kind,
                        sources,
                        group: Ipv4([*g0, *g1, *g2, *g3]),
                    };
                    (record, rest)
                })
            }
            _ => None,
        };
        Some(match parsed {
            Some((record, rest)) => {
                self.rest = rest;
                Ok(record)
            }
            None => {
                self.left = 0;
                Err(Malformed)
            }
        })
    }
}

/// Whether `msg` is a valid IGMP query, one the host's IGMP stack would
/// answer: type 0x11, exactly 8 bytes (v1/v2) or at least 12 holding its
/// sources (v3; 9-11 bytes are no version, RFC 3376 §7.1), checksum OK.
pub fn is_query(msg: &[u8]) -> bool {
    let whole = match msg {
        [QUERY, _, _, _, _, _, _, _] => true,
        [QUERY, _, _, _, _, _, _, _, _, _, n0, n1, sources @ ..] => {
            usize::from(u16::from_be_bytes([*n0, *n1])) * 4 <= sources.len()
        }
        _ => false,
    };
    whole && checksum_ok(msg)
}

/// RFC 3376 §4.1.1/§4.1.7 code for a Max Resp Time (tenths of a second) or
/// a Query Interval (seconds): exact below 128, else `1 exp mant` meaning
/// `(mant | 0x10) << (exp + 3)`. Values between two codes round down (a
/// receiver then answers sooner, never later); past 31744 it saturates.
pub fn encode_time_code(value: u32) -> u8 {
    if value < 128 {
        return value as u8;
    }
    // `(mant | 0x10) << (exp + 3)` has its top bit at exp + 7.
    let exp = (31 - value.leading_zeros()) - 7;
    if exp > 7 {
        return 0xff;
    }
    let mant = (value >> (exp + 3)) & 0x0f;
    (0x80 | exp << 4 | mant) as u8
}

/// The value of a code made by [`encode_time_code`] (or read from a query).
pub fn decode_time_code(code: u8) -> u32 {
    if code < 128 {
        return u32::from(code);
    }
    let exp = u32::from((code >> 4) & 0x07);
    (u32::from(code & 0x0f) | 0x10) << (exp + 3)
}

/// An IGMPv3 general query (group 0.0.0.0, no sources, S=0) with its
/// checksum. v3 so that hosts keep their own IGMP version: a v2 query would
/// switch a v3 host to v2 compatibility mode for a while (RFC 3376 §7.2.1),
/// while v1/v2 hosts read a v3 query as their own (§7.1). QRV and QQIC are
/// 0: the host keeps its own robustness and query interval (6.12's
/// `igmp_heard_query` takes a non-zero one as the interface's, which would
/// also shorten how long it remembers a real v2 querier on its LAN).
pub fn general_query(max_resp_tenths: u8) -> [u8; GENERAL_QUERY_LEN] {
    let mut q = [
        QUERY,
        encode_time_code(u32::from(max_resp_tenths)),
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ];
    store_checksum(&mut q);
    q
}

/// Bytes of an IGMPv3 report with `groups` records of no sources, or None
/// when the record count does not fit its 16-bit field.
pub fn report_v3_len(groups: usize) -> Option<usize> {
    u16::try_from(groups).ok()?;
    Some(BLOCK_LEN + BLOCK_LEN * groups)
}

/// Writes an IGMPv3 report into `out` with one record without sources per
/// group, saying what the host said: MODE_IS_EXCLUDE {} (a member: what a
/// host answers a query with), CHANGE_TO_INCLUDE {} (left) or
/// BLOCK_OLD_SOURCES (blocked), with its checksum; returns its length
/// ([`report_v3_len`]), or None if `out` is too small or there are more
/// than 65535 records. [`parse_report`] reads each back as given.
pub fn report_v3(records: &[(Ipv4, Membership)], out: &mut [u8]) -> Option<usize> {
    let len = report_v3_len(records.len())?;
    let [n0, n1] = u16::try_from(records.len()).ok()?.to_be_bytes();
    let msg = out.get_mut(..len)?;
    let (header, body) = msg.split_at_mut_checked(BLOCK_LEN)?;
    header.copy_from_slice(&[V3_REPORT, 0, 0, 0, 0, 0, n0, n1]);
    // Indexed, not chunks_exact_mut().zip(): that adapter's division
    // leaves a panic path objtool warns about in the kernel build.
    for (i, (group, membership)) in records.iter().enumerate() {
        let [g0, g1, g2, g3] = group.0;
        let kind = match membership {
            Membership::Joined => MODE_IS_EXCLUDE,
            Membership::Left => CHANGE_TO_INCLUDE,
            Membership::Blocked => BLOCK_OLD_SOURCES,
        };
        body.get_mut(i * BLOCK_LEN..(i + 1) * BLOCK_LEN)?
            .copy_from_slice(&[kind, 0, 0, 0, g0, g1, g2, g3]);
    }
    store_checksum(msg);
    Some(len)
}

/// The IPv4 header of an IGMP packet a module builds (queries,
/// announcements): no options (see [`VERSION_IHL`]), id 0 and DF, protocol
/// 2, the header checksum computed. None when 20 + `payload_len` does not
/// fit the 16-bit total length.
pub fn ip_header(
    saddr: Ipv4,
    daddr: Ipv4,
    tos: u8,
    ttl: u8,
    payload_len: usize,
) -> Option<[u8; IP_HEADER_LEN]> {
    let total = u16::try_from(payload_len.checked_add(IP_HEADER_LEN)?).ok()?;
    let [l0, l1] = total.to_be_bytes();
    let [s0, s1, s2, s3] = saddr.0;
    let [d0, d1, d2, d3] = daddr.0;
    let [f0, f1] = FRAG_DF;
    let mut h = [
        VERSION_IHL,
        tos,
        l0,
        l1,
        0,
        0,
        f0,
        f1,
        ttl,
        PROTO_IGMP,
        0,
        0,
        s0,
        s1,
        s2,
        s3,
        d0,
        d1,
        d2,
        d3,
    ];
    packet::set_ip_checksum(&mut h);
    Some(h)
}

/// The IGMP message of an IPv4 packet (from the end of the IP header to the
/// IP total length), if the packet is an unfragmented IGMP packet whose
/// bytes are all in `packet`, which starts at the IP header. Fragments give
/// None: hosts never fragment IGMP, and a fragment's checksum cannot be
/// verified alone.
pub fn igmp_message(packet: &[u8]) -> Option<&[u8]> {
    let info = Ipv4Info::parse(packet).ok()?;
    if info.protocol != PROTO_IGMP || info.is_fragment() {
        return None;
    }
    packet.get(info.header_len..usize::from(info.total_len))
}

/// Restores a marked query for the host's IGMP stack: daddr :=
/// [`ALL_HOSTS`], TOS := [`TOS_IGMP`], TTL := 1, as an on-link querier
/// sends it. `header` is the whole IP header (options included);
/// Err(Malformed) if it is shorter, not IPv4 or not IGMP. The IGMP checksum
/// covers no IP field, so the message stays.
pub fn restore_query(header: &mut [u8]) -> Result<(), Malformed> {
    rewrite(header, ALL_HOSTS, TOS_IGMP, |_| 1)
}

/// Sets daddr, TOS and TTL, updating the header checksum incrementally
/// (RFC 1624 eqn. 3): a header that arrived corrupt stays detectably so,
/// and a valid one stays valid, its sum still zero, so a CHECKSUM_COMPLETE
/// `skb->csum` over the packet needs no change either.
fn rewrite(
    header: &mut [u8],
    daddr: Ipv4,
    tos: u8,
    ttl: impl FnOnce(u8) -> u8,
) -> Result<(), Malformed> {
    let info = Ipv4Info::parse(header)?;
    if info.protocol != PROTO_IGMP {
        return Err(Malformed);
    }
    let Some(h) = header.first_chunk_mut::<MIN_IP_HEADER_LEN>() else {
        return Err(Malformed);
    };
    let (old_ttl, protocol) = (h[OFF_TTL], h[OFF_TTL + 1]);
    let new_ttl = ttl(old_ttl);
    // The update works word by word, so the two changed 16-bit words
    // (version/IHL with TOS at 0, TTL with protocol at 8) go in as one pair.
    let check = csum::replace4(
        u16::from_be_bytes([h[OFF_CHECK], h[OFF_CHECK + 1]]),
        [h[0], h[OFF_TOS], old_ttl, protocol],
        [h[0], tos, new_ttl, protocol],
    );
    let old_daddr = [
        h[OFF_DADDR],
        h[OFF_DADDR + 1],
        h[OFF_DADDR + 2],
        h[OFF_DADDR + 3],
    ];
    let [c0, c1] = csum::replace4(check, old_daddr, daddr.0).to_be_bytes();
    let [d0, d1, d2, d3] = daddr.0;
    h[OFF_TOS] = tos;
    h[OFF_TTL] = new_ttl;
    [h[OFF_CHECK], h[OFF_CHECK + 1]] = [c0, c1];
    [
        h[OFF_DADDR],
        h[OFF_DADDR + 1],
        h[OFF_DADDR + 2],
        h[OFF_DADDR + 3],
    ] = [d0, d1, d2, d3];
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::packet::{TOS_MARK, TTL_FLOOR};

    /// The client's rewrite of the old design (a marked copy of the host's
    /// packet): still the check that `rewrite` keeps checksums right.
    fn mark_for_sender(header: &mut [u8], sender: Ipv4) -> Result<(), Malformed> {
        rewrite(header, sender, TOS_MARK, |ttl| ttl.max(TTL_FLOOR))
    }

    fn joined(groups: &[Ipv4]) -> Vec<(Ipv4, Membership)> {
        groups.iter().map(|&g| (g, Joined)).collect()
    }
    use std::vec::Vec;

    const HOST: Ipv4 = Ipv4([10, 0, 2, 15]);
    const SENDER: Ipv4 = Ipv4([192, 0, 2, 7]);
    const G1: Ipv4 = Ipv4([239, 1, 2, 3]);
    const G2: Ipv4 = Ipv4([232, 5, 6, 7]);
    const G3: Ipv4 = Ipv4([224, 0, 1, 129]);
    const SRC: Ipv4 = Ipv4([10, 9, 8, 7]);

    /// RFC 1071 written out independently of `csum`: 16-bit big-endian
    /// words, odd byte padded, end-around carry, complement.
    fn internet_checksum(data: &[u8]) -> u16 {
        let mut sum: u64 = 0;
        for (i, b) in data.iter().enumerate() {
            sum += if i % 2 == 0 {
                u64::from(*b) << 8
            } else {
                u64::from(*b)
            };
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    fn verifies(data: &[u8]) -> bool {
        internet_checksum(data) == 0
    }

    /// Zeroes and recomputes the checksum at 2..4 (IGMP) or 10..12 (IP).
    fn fix_at(data: &mut [u8], at: usize) {
        data[at..at + 2].copy_from_slice(&[0, 0]);
        let c = internet_checksum(data);
        data[at..at + 2].copy_from_slice(&c.to_be_bytes());
    }

    fn v12(kind: u8, group: Ipv4) -> Vec<u8> {
        let mut m = std::vec![kind, 0, 0, 0];
        m.extend_from_slice(&group.0);
        fix_at(&mut m, 2);
        m
    }

    /// A v3 report of `(type, group, sources, aux words)` records.
    fn v3(records: &[(u8, Ipv4, &[Ipv4], u8)]) -> Vec<u8> {
        let mut m = std::vec![V3_REPORT, 0, 0, 0, 0, 0];
        m.extend_from_slice(&(records.len() as u16).to_be_bytes());
        for &(kind, group, sources, aux) in records {
            m.extend_from_slice(&[kind, aux]);
            m.extend_from_slice(&(sources.len() as u16).to_be_bytes());
            m.extend_from_slice(&group.0);
            for s in sources {
                m.extend_from_slice(&s.0);
            }
            m.extend(core::iter::repeat_n(0xa5, usize::from(aux) * 4));
        }
        fix_at(&mut m, 2);
        m
    }

    fn parse(msg: &[u8]) -> Result<Vec<(Ipv4, Membership)>, Malformed> {
        let mut seen = Vec::new();
        let n = parse_report(msg, |g, m| seen.push((g, m)))?;
        assert_eq!(n, seen.len());
        Ok(seen)
    }

    use Membership::*;

    // Linux 6.x, host 10.0.2.15 joining 239.1.2.3, IGMPv2 then IGMPv3
    // (CHANGE_TO_EXCLUDE {}), and the v2 leave: tos 0xc0, DF, id 0, TTL 1,
    // Router Alert (net/ipv4/igmp.c, igmp_send_report / igmpv3_newpack).
    const LINUX_V2_REPORT: [u8; 32] = [
        0x46, 0xc0, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02, 0xe7, 0x04, 0x0a, 0x00, 0x02,
        0x0f, 0xef, 0x01, 0x02, 0x03, 0x94, 0x04, 0x00, 0x00, 0x16, 0x00, 0xf8, 0xfa, 0xef, 0x01,
        0x02, 0x03,
    ];
    const LINUX_V3_REPORT: [u8; 40] = [
        0x46, 0xc0, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02, 0xf7, 0xea, 0x0a, 0x00, 0x02,
        0x0f, 0xe0, 0x00, 0x00, 0x16, 0x94, 0x04, 0x00, 0x00, 0x22, 0x00, 0xe8, 0xf9, 0x00, 0x00,
        0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0xef, 0x01, 0x02, 0x03,
    ];
    const LINUX_V2_LEAVE: [u8; 32] = [
        0x46, 0xc0, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02, 0xf8, 0x06, 0x0a, 0x00, 0x02,
        0x0f, 0xe0, 0x00, 0x00, 0x02, 0x94, 0x04, 0x00, 0x00, 0x17, 0x00, 0xf7, 0xfa, 0xef, 0x01,
        0x02, 0x03,
    ];
    /// A v2 report for 239.255.255.253 (SLP) as captured on a LAN.
    const CAPTURED_V2_REPORT: [u8; 8] = [0x16, 0x00, 0xfa, 0x01, 0xef, 0xff, 0xff, 0xfd];

    #[test]
    fn linux_packets_parse() {
        for p in [&LINUX_V2_REPORT[..], &LINUX_V3_REPORT, &LINUX_V2_LEAVE] {
            assert!(verifies(&p[..24]) && verifies(&p[24..]));
        }
        let msg = igmp_message(&LINUX_V2_REPORT).unwrap();
        assert_eq!(msg, &LINUX_V2_REPORT[24..]);
        assert_eq!(parse(msg), Ok(std::vec![(G1, Joined)]));
        let msg = igmp_message(&LINUX_V3_REPORT).unwrap();
        assert_eq!(parse(msg), Ok(std::vec![(G1, Joined)]));
        let msg = igmp_message(&LINUX_V2_LEAVE).unwrap();
        assert_eq!(parse(msg), Ok(std::vec![(G1, Left)]));
        assert_eq!(
            parse(&CAPTURED_V2_REPORT),
            Ok(std::vec![(Ipv4([239, 255, 255, 253]), Joined)])
        );
    }

    #[test]
    fn builders_reproduce_linux_headers_and_reports() {
        // Linux's headers less the Router Alert option (IHL 6 → 5).
        for (linux, daddr, len) in [
            (&LINUX_V3_REPORT[..], Ipv4([224, 0, 0, 22]), 16),
            (&LINUX_V2_REPORT[..], G1, 8),
        ] {
            let mut expected = linux[..20].to_vec();
            expected[0] = 0x45;
            expected[2..4].copy_from_slice(&((20 + len) as u16).to_be_bytes());
            expected[10..12].copy_from_slice(&[0, 0]);
            fix_at(&mut expected, 10);
            assert_eq!(
                ip_header(HOST, daddr, TOS_IGMP, 1, len).unwrap()[..],
                expected[..]
            );
        }
        // The same record as Linux's but MODE_IS_EXCLUDE (2), not TO_EX (4).
        let mut out = [0u8; 16];
        assert_eq!(report_v3(&[(G1, Joined)], &mut out), Some(16));
        let mut expected: [u8; 16] = LINUX_V3_REPORT[24..].try_into().unwrap();
        expected[8] = MODE_IS_EXCLUDE;
        fix_at(&mut expected, 2);
        assert_eq!(out, expected);
    }

    #[test]
    fn v1_v2_reports_and_leave() {
        assert_eq!(parse(&v12(V1_REPORT, G1)), Ok(std::vec![(G1, Joined)]));
        assert_eq!(parse(&v12(V2_REPORT, G2)), Ok(std::vec![(G2, Joined)]));
        assert_eq!(parse(&v12(V2_LEAVE, G3)), Ok(std::vec![(G3, Left)]));
        // Trailing bytes are allowed (RFC 2236 §2.5) when the checksum covers them.
        let mut long = v12(V2_REPORT, G1);
        long.extend_from_slice(&[1, 2, 3]);
        fix_at(&mut long, 2);
        assert_eq!(parse(&long), Ok(std::vec![(G1, Joined)]));
    }

    #[test]
    fn every_record_type() {
        let some: &[Ipv4] = &[SRC];
        let two: &[Ipv4] = &[SRC, Ipv4([10, 9, 8, 6])];
        let cases: [(u8, &[Ipv4], Option<Membership>); 13] = [
            (MODE_IS_INCLUDE, &[], Some(Left)),
            (MODE_IS_INCLUDE, some, Some(Joined)),
            (MODE_IS_EXCLUDE, &[], Some(Joined)),
            (MODE_IS_EXCLUDE, two, Some(Joined)),
            (CHANGE_TO_INCLUDE, &[], Some(Left)),
            (CHANGE_TO_INCLUDE, two, Some(Joined)),
            (CHANGE_TO_EXCLUDE, &[], Some(Joined)),
            (CHANGE_TO_EXCLUDE, some, Some(Joined)),
            (ALLOW_NEW_SOURCES, some, Some(Joined)),
            (ALLOW_NEW_SOURCES, &[], None),
            (BLOCK_OLD_SOURCES, some, Some(Blocked)),
            (0, &[], None),
            (7, some, None),
        ];
        for (kind, sources, want) in cases {
            let got = parse(&v3(&[(kind, G1, sources, 0)])).unwrap();
            let want: Vec<_> = want.map(|m| (G1, m)).into_iter().collect();
            assert_eq!(got, want, "type {kind} with {} sources", sources.len());
        }
        for kind in 8..=255u8 {
            assert_eq!(parse(&v3(&[(kind, G1, &[], 0)])), Ok(Vec::new()));
        }
    }

    #[test]
    fn v3_records_in_order_with_skips_and_aux_data() {
        let msg = v3(&[
            (CHANGE_TO_EXCLUDE, G1, &[], 0),
            (9, G2, &[SRC], 2), // unknown: skipped, its bytes walked over
            (BLOCK_OLD_SOURCES, G2, &[SRC, SRC], 1),
            (MODE_IS_EXCLUDE, Ipv4([224, 0, 0, 22]), &[], 0), // link-local
            (MODE_IS_EXCLUDE, Ipv4([10, 1, 2, 3]), &[], 0),   // not multicast
            (CHANGE_TO_INCLUDE, G3, &[], 255),
            (ALLOW_NEW_SOURCES, G1, &[SRC], 0),
        ]);
        assert_eq!(
            parse(&msg),
            Ok(std::vec![
                (G1, Joined),
                (G2, Blocked),
                (G3, Left),
                (G1, Joined)
            ])
        );
    }

    #[test]
    fn skipped_groups_in_v1_v2() {
        for group in [
            Ipv4([224, 0, 0, 22]),
            Ipv4([224, 0, 0, 2]),
            Ipv4([224, 0, 0, 255]),
            Ipv4([10, 0, 0, 1]),
            Ipv4([240, 0, 0, 1]),
            Ipv4::BROADCAST,
            Ipv4::UNSPECIFIED,
        ] {
            for kind in [V1_REPORT, V2_REPORT, V2_LEAVE] {
                assert_eq!(parse(&v12(kind, group)), Ok(Vec::new()), "{group}");
            }
        }
        assert!(is_reportable(Ipv4([224, 0, 1, 0])) && is_reportable(Ipv4([239, 255, 255, 255])));
    }

    #[test]
    fn empty_v3_report() {
        assert_eq!(parse(&v3(&[])), Ok(Vec::new()));
        // Trailing bytes after the records are ignored.
        let mut m = v3(&[(MODE_IS_EXCLUDE, G1, &[], 0)]);
        m.extend_from_slice(&[0xff; 5]);
        fix_at(&mut m, 2);
        assert_eq!(parse(&m), Ok(std::vec![(G1, Joined)]));
    }

    #[test]
    fn bad_checksums() {
        let good = [
            v12(V1_REPORT, G1),
            v12(V2_REPORT, G1),
            v12(V2_LEAVE, G1),
            v3(&[(MODE_IS_EXCLUDE, G1, &[SRC], 1)]),
        ];
        for msg in &good {
            assert!(parse(msg).is_ok());
            for i in 0..msg.len() {
                for bit in 0..8 {
                    let mut bad = msg.clone();
                    bad[i] ^= 1 << bit;
                    let mut calls = 0;
                    assert_eq!(parse_report(&bad, |_, _| calls += 1), Err(Malformed));
                    assert_eq!(calls, 0);
                }
            }
        }
        let mut zero = v12(V2_REPORT, G1);
        zero[2..4].copy_from_slice(&[0, 0]);
        assert_eq!(parse(&zero), Err(Malformed));
    }

    #[test]
    fn queries_and_unknown_types_are_not_reports() {
        assert_eq!(parse(&general_query(100)), Err(Malformed));
        assert_eq!(parse(&v12(QUERY, G1)), Err(Malformed));
        for kind in [0x00, 0x13, 0x1e, 0x1f, 0x21, 0x23, 0xff] {
            assert_eq!(parse(&v12(kind, G1)), Err(Malformed), "type {kind:#x}");
        }
        assert_eq!(parse(&[]), Err(Malformed));
        // Seven bytes whose checksum verifies are still too short.
        let mut short = std::vec![V2_REPORT, 0, 0, 0, 239, 1, 2];
        fix_at(&mut short, 2);
        assert_eq!(parse(&short), Err(Malformed));
    }

    #[test]
    fn truncated_records_visit_nothing() {
        let msg = v3(&[
            (MODE_IS_EXCLUDE, G1, &[], 0),
            (MODE_IS_INCLUDE, G2, &[SRC, SRC], 1),
        ]);
        // Cut inside the second record's sources / aux data / header, with the
        // checksum fixed so only the length rules can refuse it.
        for cut in 16..msg.len() {
            let mut t = msg[..cut].to_vec();
            fix_at(&mut t, 2);
            let mut calls = 0;
            assert_eq!(
                parse_report(&t, |_, _| calls += 1),
                Err(Malformed),
                "cut {cut}"
            );
            assert_eq!(calls, 0, "a damaged report teaches nothing");
        }
        // One record more than there are: the count cannot be held.
        let mut more = msg.clone();
        more[6..8].copy_from_slice(&3u16.to_be_bytes());
        fix_at(&mut more, 2);
        assert_eq!(parse(&more), Err(Malformed));
        // One less: the second record's bytes are trailing bytes.
        let mut fewer = msg.clone();
        fewer[6..8].copy_from_slice(&1u16.to_be_bytes());
        fix_at(&mut fewer, 2);
        assert_eq!(parse(&fewer), Ok(std::vec![(G1, Joined)]));
    }

    #[test]
    fn source_and_aux_counts_past_the_end() {
        let base = v3(&[(MODE_IS_EXCLUDE, G1, &[SRC], 0)]);
        for (sources, aux) in [
            (65535u16, 0u8),
            (2, 0),
            (1, 1),
            (0, 2),
            (1, 255),
            (65535, 255),
        ] {
            let mut m = base.clone();
            m[9] = aux;
            m[10..12].copy_from_slice(&sources.to_be_bytes());
            fix_at(&mut m, 2);
            assert_eq!(parse(&m), Err(Malformed), "nsrc {sources} aux {aux}");
        }
        // nsrc 0 and aux 1 use exactly the 4 bytes the source held.
        let mut m = base.clone();
        m[9] = 1;
        m[10..12].copy_from_slice(&0u16.to_be_bytes());
        fix_at(&mut m, 2);
        assert_eq!(parse(&m), Ok(std::vec![(G1, Joined)]));
    }

    #[test]
    fn huge_record_counts() {
        for count in [1u16, 2, 1000, 65535] {
            let mut m = std::vec![V3_REPORT, 0, 0, 0, 0, 0];
            m.extend_from_slice(&count.to_be_bytes());
            m.extend_from_slice(&[MODE_IS_EXCLUDE, 0, 0, 0, 239, 1, 2, 3]);
            fix_at(&mut m, 2);
            let want = if count == 1 {
                Ok(std::vec![(G1, Joined)])
            } else {
                Err(Malformed)
            };
            assert_eq!(parse(&m), want, "count {count}");
        }
        // 65535 real records: the most a report can say.
        let records: Vec<_> = (0..65535u32)
            .map(|i| {
                let [_, a, b, c] = i.to_be_bytes();
                (MODE_IS_EXCLUDE, Ipv4([239, a, b, c]), &[][..], 0)
            })
            .collect();
        let m = v3(&records);
        assert_eq!(parse_report(&m, |_, _| {}), Ok(65535));
    }

    #[test]
    fn queries_are_recognised() {
        let mut v1 = v12(QUERY, Ipv4::UNSPECIFIED);
        assert!(is_query(&v1));
        v1[1] = 100; // v2: Max Resp Time
        fix_at(&mut v1, 2);
        assert!(is_query(&v1));
        let v2_group = v12(QUERY, G1);
        assert!(is_query(&v2_group));
        let v3 = general_query(100);
        assert!(is_query(&v3));
        // v3 with sources: they must be there.
        let mut sourced = v3.to_vec();
        sourced[10..12].copy_from_slice(&2u16.to_be_bytes());
        sourced.extend_from_slice(&SRC.0);
        fix_at(&mut sourced, 2);
        assert!(!is_query(&sourced));
        sourced.extend_from_slice(&SRC.0);
        fix_at(&mut sourced, 2);
        assert!(is_query(&sourced));
        // 9 to 11 bytes are no version.
        for len in 9..12 {
            let mut m = v3[..len].to_vec();
            fix_at(&mut m, 2);
            assert!(!is_query(&m), "{len} bytes");
        }
        let mut bad = v3;
        bad[9] ^= 1;
        assert!(!is_query(&bad));
        assert!(!is_query(&v3[..7]) && !is_query(&[]));
        for kind in [V1_REPORT, V2_REPORT, V2_LEAVE] {
            assert!(!is_query(&v12(kind, G1)));
        }
        assert!(!is_query(&v3_report_bytes()));
        assert!(!is_query(&LINUX_V3_REPORT[24..]));
    }

    fn v3_report_bytes() -> Vec<u8> {
        v3(&[(MODE_IS_EXCLUDE, G1, &[], 0), (MODE_IS_EXCLUDE, G2, &[], 0)])
    }

    #[test]
    fn general_query_layout() {
        let q = general_query(100);
        assert_eq!(q[..2], [QUERY, 100]);
        assert_eq!(q[4..], [0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(verifies(&q));
        let mut zeroed = q;
        fix_at(&mut zeroed, 2);
        assert_eq!(zeroed, q);
        // Max Resp above 12.7 s takes the float code.
        let q = general_query(200);
        assert_eq!(decode_time_code(q[1]), 200);
        assert!(verifies(&q) && is_query(&q));
    }

    #[test]
    fn time_codes() {
        for v in 0..128 {
            assert_eq!(encode_time_code(v), v as u8);
        }
        assert_eq!(encode_time_code(125), 125);
        // (mant | 0x10) << (exp + 3), RFC 3376 §4.1.7.
        assert_eq!(encode_time_code(128), 0x80);
        assert_eq!(encode_time_code(136), 0x81);
        assert_eq!(encode_time_code(255), 0x8f); // 248: rounds down
        assert_eq!(encode_time_code(256), 0x90);
        assert_eq!(encode_time_code(31744), 0xff);
        assert_eq!(encode_time_code(31743), 0xfe);
        assert_eq!(encode_time_code(u32::MAX), 0xff);
        assert_eq!(decode_time_code(0xff), 31744);
        assert_eq!(decode_time_code(0x80), 128);
        // Every code round-trips, and every value encodes to the largest
        // code not above it.
        for code in 0..=255u8 {
            assert_eq!(encode_time_code(decode_time_code(code)), code);
        }
        for v in 0..40_000u32 {
            let code = encode_time_code(v);
            assert!(decode_time_code(code) <= v, "{v}");
            if code < 0xff {
                assert!(decode_time_code(code + 1) > v, "{v}");
            }
        }
    }

    #[test]
    fn reports_are_built() {
        let groups = [G1, G2, G3];
        let mut out = [0u8; 40];
        let n = report_v3(&joined(&groups), &mut out).unwrap();
        assert_eq!(n, 32);
        assert_eq!(report_v3_len(3), Some(32));
        assert!(verifies(&out[..n]));
        assert_eq!(out[..8], [V3_REPORT, 0, out[2], out[3], 0, 0, 0, 3]);
        assert_eq!(out[8..16], [MODE_IS_EXCLUDE, 0, 0, 0, 239, 1, 2, 3]);
        assert_eq!(out[n..], [0; 8], "nothing written past the report");
        assert_eq!(
            parse(&out[..n]),
            Ok(std::vec![(G1, Joined), (G2, Joined), (G3, Joined)])
        );
        assert_eq!(report_v3(&joined(&groups), &mut out[..31]), None);
        assert_eq!(report_v3(&[], &mut out[..8]), Some(8));
        assert_eq!(parse(&out[..8]), Ok(Vec::new()));
        assert_eq!(report_v3(&[], &mut out[..7]), None);
        let many = std::vec![(G1, Joined); 65536];
        let mut big = std::vec![0u8; 8 + 8 * 65536];
        assert_eq!(report_v3(&many, &mut big), None);
        assert_eq!(report_v3(&many[..65535], &mut big), Some(8 + 8 * 65535));
        assert_eq!(report_v3_len(65536), None);
        // Each membership as its record type, read back the same.
        let said = [(G1, Joined), (G2, Left), (G3, Blocked)];
        let n = report_v3(&said, &mut out).unwrap();
        assert_eq!(
            [out[8], out[16], out[24]],
            [MODE_IS_EXCLUDE, CHANGE_TO_INCLUDE, BLOCK_OLD_SOURCES]
        );
        assert_eq!(parse(&out[..n]), Ok(said.to_vec()));
    }

    #[test]
    fn ip_headers_are_built() {
        let h = ip_header(SENDER, HOST, TOS_MARK, 64, GENERAL_QUERY_LEN).unwrap();
        assert!(verifies(&h));
        let info = Ipv4Info::parse(&h).unwrap();
        assert_eq!(info.header_len, 20);
        assert_eq!(info.total_len, 32);
        assert_eq!(
            (info.protocol, info.tos, info.ttl),
            (PROTO_IGMP, TOS_MARK, 64)
        );
        assert_eq!((info.saddr, info.daddr), (SENDER, HOST));
        assert!(!info.is_fragment());
        assert_eq!(h[4..8], [0, 0, 0x40, 0]);
        let mut recomputed = h;
        fix_at(&mut recomputed, 10);
        assert_eq!(recomputed, h);
        assert!(ip_header(SENDER, HOST, 0, 1, 65535 - 20).is_some());
        assert!(ip_header(SENDER, HOST, 0, 1, 65535 - 19).is_none());
        assert!(ip_header(SENDER, HOST, 0, 1, usize::MAX).is_none());
        // A whole packet the module sends: header, then the query.
        let mut p = h.to_vec();
        p.extend_from_slice(&general_query(100));
        assert!(is_query(igmp_message(&p).unwrap()));
    }

    /// An IGMP packet with an IHL of `ihl` words (options are NOPs, padded
    /// like Router Alert would be).
    fn igmp_packet(ihl: u8, tos: u8, ttl: u8, daddr: Ipv4, msg: &[u8]) -> Vec<u8> {
        let hl = usize::from(ihl) * 4;
        let mut p = std::vec![0x40 | ihl, tos];
        p.extend_from_slice(&((hl + msg.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, ttl, PROTO_IGMP, 0, 0]);
        p.extend_from_slice(&HOST.0);
        p.extend_from_slice(&daddr.0);
        p.resize(hl, 0x01);
        fix_at(&mut p[..hl], 10);
        p.extend_from_slice(msg);
        p
    }

    #[test]
    fn marking_keeps_checksums_valid() {
        let report = v3_report_bytes();
        for ihl in [5u8, 6, 7, 15] {
            for ttl in [0u8, 1, 63, 64, 65, 255] {
                for tos in [0, TOS_IGMP, 0xff] {
                    let mut p = igmp_packet(ihl, tos, ttl, Ipv4([224, 0, 0, 22]), &report);
                    let hl = usize::from(ihl) * 4;
                    let before = p.clone();
                    mark_for_sender(&mut p[..hl], SENDER).unwrap();
                    assert!(verifies(&p[..hl]), "ihl {ihl} ttl {ttl} tos {tos}");
                    let info = Ipv4Info::parse(&p).unwrap();
                    assert_eq!(
                        (info.daddr, info.tos, info.ttl),
                        (SENDER, TOS_MARK, ttl.max(64))
                    );
                    assert_eq!(info.saddr, HOST);
                    // Only TOS, TTL, checksum and daddr changed.
                    for i in (0..p.len()).filter(|i| ![1, 8, 10, 11, 16, 17, 18, 19].contains(i)) {
                        assert_eq!(p[i], before[i], "byte {i}");
                    }
                    assert_eq!(parse(igmp_message(&p).unwrap()).unwrap().len(), 2);
                    restore_query(&mut p[..hl]).unwrap();
                    assert!(verifies(&p[..hl]));
                    let info = Ipv4Info::parse(&p).unwrap();
                    assert_eq!((info.daddr, info.tos, info.ttl), (ALL_HOSTS, TOS_IGMP, 1));
                }
            }
        }
    }

    #[test]
    fn a_marked_query_round_trip() {
        let h = ip_header(SENDER, HOST, TOS_MARK, 64, GENERAL_QUERY_LEN).unwrap();
        let mut p = h.to_vec();
        p.extend_from_slice(&general_query(100));
        restore_query(&mut p[..20]).unwrap();
        let expected = ip_header(SENDER, ALL_HOSTS, TOS_IGMP, 1, GENERAL_QUERY_LEN).unwrap();
        assert_eq!(p[..20], expected);
        assert!(is_query(igmp_message(&p).unwrap()));
    }

    #[test]
    fn marking_keeps_a_corrupt_header_corrupt() {
        let mut p = LINUX_V2_REPORT;
        p[10] ^= 0x40;
        mark_for_sender(&mut p[..24], SENDER).unwrap();
        assert!(!verifies(&p[..24]));
    }

    #[test]
    fn rewrites_refuse_what_is_not_an_igmp_header() {
        let mut udp = igmp_packet(5, 0, 1, G1, &[0; 8]);
        udp[9] = 17;
        fix_at(&mut udp[..20], 10);
        let mut v6 = LINUX_V2_REPORT;
        v6[0] = 0x66;
        let mut ihl4 = LINUX_V2_REPORT;
        ihl4[0] = 0x44;
        for bad in [&mut udp[..20], &mut v6[..], &mut ihl4[..]] {
            let before = bad.to_vec();
            assert_eq!(mark_for_sender(bad, SENDER), Err(Malformed));
            assert_eq!(restore_query(bad), Err(Malformed));
            assert_eq!(bad, &before[..], "left untouched");
        }
        // Shorter than the IHL says (24 with Router Alert).
        let mut p = LINUX_V2_REPORT;
        for len in 0..24 {
            assert_eq!(
                mark_for_sender(&mut p[..len], SENDER),
                Err(Malformed),
                "{len}"
            );
            assert_eq!(restore_query(&mut p[..len]), Err(Malformed));
        }
        assert_eq!(p, LINUX_V2_REPORT);
    }

    #[test]
    fn igmp_message_bounds() {
        let p = LINUX_V2_REPORT;
        assert_eq!(igmp_message(&p), Some(&p[24..]));
        // Link-layer padding after the total length is not the message.
        let mut padded = p.to_vec();
        padded.extend_from_slice(&[0; 14]);
        assert_eq!(igmp_message(&padded), Some(&p[24..]));
        // Bytes missing.
        for len in 0..p.len() {
            assert_eq!(igmp_message(&p[..len]), None, "{len}");
        }
        // Total length shorter than the header, zero payload.
        let mut short = p;
        short[2..4].copy_from_slice(&23u16.to_be_bytes());
        assert_eq!(igmp_message(&short), None);
        short[2..4].copy_from_slice(&24u16.to_be_bytes());
        assert_eq!(igmp_message(&short), Some(&[][..]));
        // Fragments, first or later.
        for frag in [0x2000u16, 0x0001, 0x2001, 0x3fff] {
            let mut f = p;
            f[6..8].copy_from_slice(&frag.to_be_bytes());
            assert_eq!(igmp_message(&f), None, "{frag:#x}");
        }
        // Other protocols.
        let mut udp = p;
        udp[9] = 17;
        assert_eq!(igmp_message(&udp), None);
    }

    /// xorshift64: deterministic bytes, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn byte(&mut self) -> u8 {
            self.next() as u8
        }
    }

    fn exercise(bytes: &mut [u8]) {
        let _ = parse_report(bytes, |g, _| assert!(is_reportable(g)));
        let _ = is_query(bytes);
        if let Some(msg) = igmp_message(bytes) {
            let _ = parse_report(msg, |_, _| {});
        }
        let mut copy = bytes.to_vec();
        let _ = mark_for_sender(&mut copy, SENDER);
        let _ = restore_query(bytes);
    }

    #[test]
    fn every_truncation_is_refused_without_panic() {
        let msg = v3(&[
            (MODE_IS_INCLUDE, G1, &[SRC, SRC, SRC], 2),
            (BLOCK_OLD_SOURCES, G2, &[SRC], 0),
            (CHANGE_TO_EXCLUDE, G3, &[], 1),
        ]);
        assert_eq!(parse(&msg).unwrap().len(), 3);
        for cut in 0..msg.len() {
            let mut t = msg[..cut].to_vec();
            if cut >= 4 {
                fix_at(&mut t, 2);
            }
            assert_eq!(parse(&t), Err(Malformed), "cut {cut}");
            exercise(&mut t);
        }
        let p = igmp_packet(6, TOS_IGMP, 1, Ipv4([224, 0, 0, 22]), &msg);
        for cut in 0..=p.len() {
            exercise(&mut p[..cut].to_vec());
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut accepted = 0;
        for round in 0..200_000 {
            let len = (rng.next() % 96) as usize;
            let mut b: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            // Steer a share towards the interesting shapes.
            match round % 4 {
                1 if len > 0 => {
                    b[0] = [QUERY, V1_REPORT, V2_REPORT, V2_LEAVE, V3_REPORT][round % 5]
                }
                2 if len >= 8 => {
                    b[0] = V3_REPORT;
                    b[6] = 0;
                    b[7] %= 12;
                    fix_at(&mut b, 2);
                }
                3 if len >= 20 => {
                    b[0] = 0x40 | (5 + b[0] % 11);
                    b[9] = PROTO_IGMP;
                    b[6] &= 0x9f;
                }
                _ => {}
            }
            if round % 4 == 2 && parse_report(&b, |_, _| {}).is_ok() {
                accepted += 1;
            }
            exercise(&mut b);
        }
        assert!(accepted > 0, "the steered reports reach the record walk");
    }

    #[test]
    fn fuzzed_headers_stay_valid_after_rewrites() {
        let mut rng = Rng(42);
        for _ in 0..20_000 {
            let ihl = 5 + (rng.next() % 11) as u8;
            let hl = usize::from(ihl) * 4;
            let mut h: Vec<u8> = (0..hl).map(|_| rng.byte()).collect();
            h[0] = 0x40 | ihl;
            h[9] = PROTO_IGMP;
            fix_at(&mut h, 10);
            let member = Ipv4([rng.byte(), rng.byte(), rng.byte(), rng.byte()]);
            mark_for_sender(&mut h, member).unwrap();
            assert!(verifies(&h));
            restore_query(&mut h).unwrap();
            assert!(verifies(&h));
        }
    }
}
