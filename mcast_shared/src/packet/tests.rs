extern crate std;
use super::*;
use std::vec::Vec;

const SRC: Ipv4 = Ipv4([10, 0, 1, 2]);
const GROUP: Ipv4 = Ipv4([239, 1, 1, 1]);
const MEMBER: Ipv4 = Ipv4([10, 0, 3, 4]);

fn ip_header(proto: u8, payload_len: usize, tos: u8, ttl: u8, daddr: Ipv4, frag: u16) -> Vec<u8> {
    let total = (20 + payload_len) as u16;
    let mut h = std::vec![0x45, tos];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&[0xbe, 0xef]);
    h.extend_from_slice(&frag.to_be_bytes());
    h.extend_from_slice(&[ttl, proto, 0, 0]);
    h.extend_from_slice(&SRC.0);
    h.extend_from_slice(&daddr.0);
    set_ip_checksum(&mut h);
    h
}

fn udp_checksum(saddr: Ipv4, daddr: Ipv4, udp: &[u8]) -> u16 {
    let mut seg = udp.to_vec();
    seg[6] = 0;
    seg[7] = 0;
    let sum = csum::pseudo_header_sum(saddr.0, daddr.0, PROTO_UDP, udp.len() as u16);
    match !csum::fold(csum::add_bytes(sum, &seg)) {
        0 => 0xffff,
        c => c,
    }
}

fn udp_packet(daddr: Ipv4, tos: u8, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = ip_header(PROTO_UDP, 8 + payload.len(), tos, ttl, daddr, 0x4000);
    let len = (8 + payload.len()) as u16;
    let mut udp = std::vec![0x9c, 0x40, 0x13, 0x88];
    udp.extend_from_slice(&len.to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let c = udp_checksum(SRC, daddr, &udp);
    udp[6..8].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&udp);
    p
}

fn ip_checksum_ok(p: &[u8]) -> bool {
    csum::fold(csum::add_bytes(0, &p[..20])) == 0xffff
}

#[test]
fn copy_gets_member_marker_and_ttl_floor_with_valid_checksums() {
    let mut p = udp_packet(GROUP, 0, 1, b"hello members");
    let original = p.clone();
    assert_eq!(
        rewrite_for_member(&mut p, MEMBER, CsumState::None),
        Ok(CsumFollowUp::Keep)
    );
    let info = Ipv4Info::parse(&p).unwrap();
    assert_eq!((info.daddr, info.tos, p[8]), (MEMBER, TOS_MARK, TTL_FLOOR));
    assert_eq!(info.saddr, SRC);
    assert_eq!(&p[4..6], &original[4..6], "IP ID kept");
    assert_eq!(&p[20..26], &original[20..26], "ports and length kept");
    assert_eq!(&p[28..], &original[28..], "payload kept");
    assert!(ip_checksum_ok(&p));
    assert_eq!(
        u16::from_be_bytes([p[26], p[27]]),
        udp_checksum(SRC, MEMBER, &p[20..])
    );
}

#[test]
fn ttl_above_floor_is_kept_and_255_stays() {
    for ttl in [64u8, 100, 255] {
        let mut p = udp_packet(GROUP, 0, ttl, b"x");
        rewrite_for_member(&mut p, MEMBER, CsumState::None).unwrap();
        assert_eq!(p[8], ttl);
    }
}

#[test]
fn restore_brings_back_group_and_valid_udp_checksum() {
    let mut p = udp_packet(MEMBER, TOS_MARK, 63, b"payload!");
    restore_group(&mut p, GROUP, CsumState::None).unwrap();
    let info = Ipv4Info::parse(&p).unwrap();
    assert_eq!((info.daddr, info.tos, p[8]), (GROUP, TOS_MARK, 63));
    assert!(ip_checksum_ok(&p));
    assert_eq!(
        u16::from_be_bytes([p[26], p[27]]),
        udp_checksum(SRC, GROUP, &p[20..])
    );
}

#[test]
fn round_trip_is_identity_except_marker_fields() {
    // Payloads chosen so some intermediate sums hit the 0 / 0xffff edge.
    for payload in [&b""[..], b"a", b"\xff\xff", b"\x00\x00\x00", b"odd-length!"] {
        let mut p = udp_packet(GROUP, 0x10, 70, payload);
        let before = p.clone();
        rewrite_for_member(&mut p, MEMBER, CsumState::None).unwrap();
        restore_group(&mut p, GROUP, CsumState::None).unwrap();
        assert_eq!(&p[12..], &before[12..], "addresses, ports, payload");
        assert_eq!(
            u16::from_be_bytes([p[26], p[27]]),
            udp_checksum(SRC, GROUP, &p[20..])
        );
    }
}

#[test]
fn zero_udp_checksum_means_none_and_stays_zero() {
    let mut p = udp_packet(GROUP, 0, 1, b"no checksum");
    p[26] = 0;
    p[27] = 0;
    rewrite_for_member(&mut p, MEMBER, CsumState::None).unwrap();
    assert_eq!(&p[26..28], &[0, 0]);
    assert!(ip_checksum_ok(&p));
}

#[test]
fn partial_offload_seed_is_moved_to_new_pseudo_header() {
    let mut p = udp_packet(GROUP, 0, 1, b"offloaded");
    let udp_len = (p.len() - 20) as u16;
    let seed = csum::fold(csum::pseudo_header_sum(SRC.0, GROUP.0, PROTO_UDP, udp_len));
    p[26..28].copy_from_slice(&seed.to_be_bytes());
    rewrite_for_member(&mut p, MEMBER, CsumState::Partial).unwrap();
    let want = csum::fold(csum::pseudo_header_sum(SRC.0, MEMBER.0, PROTO_UDP, udp_len));
    assert_eq!(u16::from_be_bytes([p[26], p[27]]), want);
}

#[test]
fn complete_checksum_is_downgraded_after_a_change() {
    let mut p = udp_packet(MEMBER, TOS_MARK, 64, b"hw");
    assert_eq!(
        restore_group(&mut p, GROUP, CsumState::Complete),
        Ok(CsumFollowUp::Downgrade)
    );
    let mut q = udp_packet(MEMBER, TOS_MARK, 64, b"hw");
    assert_eq!(
        restore_group(&mut q, GROUP, CsumState::Unnecessary),
        Ok(CsumFollowUp::Keep)
    );
}

fn vrrp_packet(version: u8, daddr: Ipv4) -> Vec<u8> {
    let mut body = std::vec![(version << 4) | 1, 51, 100, 1, 0, 100, 0, 0, 10, 0, 1, 100];
    let sum = if version == 3 {
        csum::pseudo_header_sum(SRC.0, daddr.0, PROTO_VRRP, body.len() as u16)
    } else {
        0
    };
    let c = !csum::fold(csum::add_bytes(sum, &body));
    body[6..8].copy_from_slice(&c.to_be_bytes());
    let mut p = ip_header(PROTO_VRRP, body.len(), 0xc0, 255, daddr, 0);
    p.extend_from_slice(&body);
    p
}

#[test]
fn vrrp_v3_checksum_follows_the_destination_and_v2_is_untouched() {
    for version in [2u8, 3] {
        let mut p = vrrp_packet(version, Ipv4::VRRP_GROUP);
        rewrite_for_member(&mut p, MEMBER, CsumState::None).unwrap();
        assert_eq!(p[8], 255, "VRRP TTL 255 survives");
        assert_eq!(&p[20..], &vrrp_packet(version, MEMBER)[20..], "v{version}");
        restore_group(&mut p, Ipv4::VRRP_GROUP, CsumState::None).unwrap();
        assert_eq!(&p[20..], &vrrp_packet(version, Ipv4::VRRP_GROUP)[20..]);
    }
}

#[test]
fn later_fragments_only_get_the_ip_header_changed() {
    let mut p = ip_header(PROTO_UDP, 16, TOS_MARK, 64, MEMBER, 185);
    p.extend_from_slice(&[7u8; 16]);
    let payload = p[20..].to_vec();
    assert_eq!(Ipv4Info::parse(&p).unwrap().rewrite_len(), 20);
    restore_group(&mut p[..20], GROUP, CsumState::None).unwrap();
    assert_eq!(&p[20..], &payload[..]);
    assert!(ip_checksum_ok(&p));
}

#[test]
fn short_headers_are_malformed_not_panics() {
    let p = udp_packet(GROUP, 0, 1, b"x");
    for cut in 0..p.len().min(28) {
        let mut h = p[..cut].to_vec();
        assert_eq!(
            rewrite_for_member(&mut h, MEMBER, CsumState::None),
            Err(Malformed),
            "cut {cut}"
        );
    }
    let mut bad_ihl = p.clone();
    bad_ihl[0] = 0x44;
    assert_eq!(Ipv4Info::parse(&bad_ihl), Err(Malformed));
    assert_eq!(classify_arrival(&bad_ihl), Arrival::Ignore);
}

#[test]
fn arrivals_are_classified_by_protocol_marker_and_fragmentation() {
    let key = EntryKey {
        sender: SRC,
        port: 5000,
    };
    assert_eq!(
        classify_arrival(&udp_packet(MEMBER, TOS_MARK, 64, b"x")),
        Arrival::Marked { key }
    );
    assert_eq!(
        classify_arrival(&udp_packet(MEMBER, 0, 64, b"x")),
        Arrival::Unmarked { key }
    );
    let mut tcp = udp_packet(MEMBER, TOS_MARK, 64, b"x");
    tcp[9] = 6;
    assert_eq!(classify_arrival(&tcp), Arrival::Ignore);
    let mut vrrp = vrrp_packet(2, MEMBER);
    vrrp[1] = TOS_MARK;
    assert_eq!(
        classify_arrival(&vrrp),
        Arrival::Marked {
            key: EntryKey {
                sender: SRC,
                port: 0
            }
        }
    );
    let frag = ip_header(PROTO_UDP, 8, TOS_MARK, 64, MEMBER, 0x2000);
    assert_eq!(
        classify_arrival(&frag),
        Arrival::MarkedFragment { sender: SRC }
    );
    let short = udp_packet(MEMBER, TOS_MARK, 64, b"")[..24].to_vec();
    assert_eq!(classify_arrival(&short), Arrival::Malformed);
}

#[test]
fn marked_udp_lengths_must_fit_the_packet() {
    let key = EntryKey {
        sender: SRC,
        port: 5000,
    };
    let with_udp_len = |len: u16| {
        let mut p = udp_packet(MEMBER, TOS_MARK, 64, b"0123456789");
        p[24..26].copy_from_slice(&len.to_be_bytes());
        classify_arrival(&p)
    };
    for bad in [0, 7, 19] {
        assert_eq!(with_udp_len(bad), Arrival::Malformed, "UDP length {bad}");
    }
    // The whole payload, a header alone, anything between: UDP ignores the rest.
    for good in [8, 12, 18] {
        assert_eq!(
            with_udp_len(good),
            Arrival::Marked { key },
            "UDP length {good}"
        );
    }
    // VRRP has no length field of its own.
    let mut vrrp = vrrp_packet(3, MEMBER);
    vrrp[1] = TOS_MARK;
    assert!(matches!(classify_arrival(&vrrp), Arrival::Marked { .. }));
}

#[test]
fn exact_port_wins_over_any_port() {
    let table = [
        (
            EntryKey {
                sender: SRC,
                port: 0,
            },
            'w',
        ),
        (
            EntryKey {
                sender: SRC,
                port: 5000,
            },
            'e',
        ),
    ];
    let find = |k: EntryKey| table.iter().find(|(t, _)| *t == k).map(|(_, v)| *v);
    assert_eq!(
        lookup_entry(
            EntryKey {
                sender: SRC,
                port: 5000
            },
            find
        ),
        Some('e')
    );
    assert_eq!(
        lookup_entry(
            EntryKey {
                sender: SRC,
                port: 6000
            },
            find
        ),
        Some('w')
    );
    assert_eq!(
        lookup_entry(
            EntryKey {
                sender: MEMBER,
                port: 5000
            },
            find
        ),
        None
    );
}

#[test]
fn unicast_is_never_a_candidate() {
    assert!(server_candidate(&udp_packet(MEMBER, 0, 64, b"x")).is_none());
    let broadcast = Ipv4([255, 255, 255, 255]);
    assert!(server_candidate(&udp_packet(broadcast, 0, 64, b"x")).is_some());
}

#[test]
fn host_scoped_ttl_zero_is_never_a_candidate() {
    assert!(server_candidate(&udp_packet(GROUP, 0, 0, b"x")).is_none());
    for ttl in [1u8, 64, 255] {
        let info = server_candidate(&udp_packet(GROUP, 0, ttl, b"x")).unwrap();
        assert_eq!((info.daddr, info.ttl), (GROUP, ttl));
    }
}

#[test]
fn a_datagram_too_short_for_its_udp_header_is_malformed() {
    // An IP header that says UDP, followed by 4 bytes (a raw socket can send it).
    let mut p = ip_header(PROTO_UDP, 4, 0, 1, GROUP, 0x4000);
    p.extend_from_slice(&[1, 2, 3, 4]);
    let info = server_candidate(&p).unwrap();
    assert!(!holds_rewrite_headers(&info, p.len()));
    // The bytes are there but the total length says they are not ours.
    let mut whole = udp_packet(GROUP, 0, 1, b"payload");
    whole[2..4].copy_from_slice(&24u16.to_be_bytes());
    let info = Ipv4Info::parse(&whole).unwrap();
    assert!(!holds_rewrite_headers(&info, whole.len()));
    let good = udp_packet(GROUP, 0, 1, b"payload");
    let info = server_candidate(&good).unwrap();
    assert!(holds_rewrite_headers(&info, good.len()));
    assert!(!holds_rewrite_headers(&info, 27));
}

#[test]
fn copies_share_a_payload_worth_a_page_from_two_members_on() {
    let share = |payload: usize, members: usize, gso: bool| {
        let p = udp_packet(GROUP, 0, 1, &std::vec![7u8; payload]);
        let info = server_candidate(&p).unwrap();
        let layout = SkbLayout {
            gso,
            ..SkbLayout::default()
        };
        payload_to_share(&info, p.len(), members, layout)
    };
    // What follows the IP and UDP headers, when it is worth sharing.
    assert_eq!(share(1400, 2, false), Some(1400));
    assert_eq!(
        share(SHARED_PAYLOAD_MIN, 128, false),
        Some(SHARED_PAYLOAD_MIN)
    );
    // One copy, a small payload, or a GSO datagram: each copy takes it all.
    assert_eq!(share(1400, 1, false), None);
    assert_eq!(share(SHARED_PAYLOAD_MIN - 1, 128, false), None);
    assert_eq!(share(1400, 128, true), None);
    // The largest UDP payload fits the page chunks.
    assert_eq!(share(65507, 2, false), Some(65507));
}

#[test]
fn a_later_fragment_shares_what_follows_its_ip_header() {
    // Offset 185 (1480 bytes): no UDP header to rewrite, so all is payload.
    let mut p = ip_header(PROTO_UDP, 600, 0, 1, GROUP, 185);
    p.extend_from_slice(&[3u8; 600]);
    let info = Ipv4Info::parse(&p).unwrap();
    let plain = SkbLayout::default();
    assert_eq!(payload_to_share(&info, p.len(), 4, plain), Some(600));
    // Fewer bytes than the headers (checked before as malformed): no sharing.
    assert_eq!(payload_to_share(&info, 10, 4, plain), None);
}

#[test]
fn only_a_plain_datagram_shares_its_payload() {
    let p = udp_packet(GROUP, 0, 1, &[9u8; 1000]);
    let info = server_candidate(&p).unwrap();
    let share = |layout| payload_to_share(&info, p.len(), 16, layout);
    // A UDP checksum the device completes: its field is in the UDP header.
    let udp_partial = SkbLayout {
        partial_csum_end: Some(28),
        ..SkbLayout::default()
    };
    assert_eq!(share(udp_partial), Some(1000));
    // A tunnel's packet: its inner headers and inner checksum would be shared.
    let tunnel = SkbLayout {
        encapsulated: true,
        ..SkbLayout::default()
    };
    assert_eq!(share(tunnel), None);
    let inner_partial = SkbLayout {
        partial_csum_end: Some(28 + 8 + 14 + 20 + 8),
        ..SkbLayout::default()
    };
    assert_eq!(share(inner_partial), None);
}

#[test]
fn the_page_chunks_hold_any_ipv4_payload() {
    use crate::abi::shared_payload::{CHUNK, MAX_CHUNKS};
    assert!(CHUNK * MAX_CHUNKS >= usize::from(u16::MAX) - 20 - L4_HEADER_LEN);
}
