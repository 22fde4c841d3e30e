//! Configuration rules, checked by the kernel (the authority) and by the
//! CLIs before they touch anything, with the same error values.

use super::addr::Ipv4;
use super::error::ConfigError;
use super::genl::client::flags;
use super::index;

/// A group is a multicast address or the limited broadcast address. Ordinary
/// unicast addresses are refused: as a "group" they would silently mirror
/// every datagram the host sends there.
pub fn check_group(group: Ipv4) -> Result<(), ConfigError> {
    if is_group_address(group) {
        Ok(())
    } else {
        Err(ConfigError::NotAGroupAddress(group))
    }
}

/// Whether `addr` can be a configured group (see [`check_group`]).
pub fn is_group_address(addr: Ipv4) -> bool {
    addr.is_multicast() || addr == Ipv4::BROADCAST
}

/// An ordinary host address: not multicast, broadcast, 0.0.0.0, loopback or
/// 240.0.0.0/4. Since groups are never unicast, a member can never be a group
/// and copies can never be replicated again.
pub fn is_unicast_host(ip: Ipv4) -> bool {
    !(ip.is_multicast()
        || ip == Ipv4::BROADCAST
        || ip == Ipv4::UNSPECIFIED
        || ip.is_loopback()
        || ip.0[0] >= 240)
}

/// A member must be a unicast host address.
pub fn check_member(member: Ipv4) -> Result<(), ConfigError> {
    if is_unicast_host(member) {
        Ok(())
    } else {
        Err(ConfigError::MemberNotUnicast(member))
    }
}

/// A client entry: unicast sender, group address, known flags, and a
/// link-local group only with the explicit allowance.
pub fn check_client_entry(sender: Ipv4, group: Ipv4, entry_flags: u32) -> Result<(), ConfigError> {
    if !is_unicast_host(sender) {
        return Err(ConfigError::SenderNotUnicast(sender));
    }
    check_group(group)?;
    if entry_flags & !flags::ALL != 0 {
        return Err(ConfigError::UnknownFlags(entry_flags & !flags::ALL));
    }
    if group.is_link_local_multicast() && entry_flags & flags::ALLOW_LINK_LOCAL == 0 {
        return Err(ConfigError::LinkLocalNotAllowed(group));
    }
    Ok(())
}

/// The address in a 4-byte attribute named `name`, if present and whole.
pub fn address_attribute(bytes: Option<&[u8]>, name: &'static str) -> Result<Ipv4, ConfigError> {
    match bytes {
        Some(&[a, b, c, d]) => Ok(Ipv4([a, b, c, d])),
        Some(_) => Err(ConfigError::MalformedAttribute(name)),
        None => Err(ConfigError::MissingAttribute(name)),
    }
}

/// Addresses packed in a `MEMBERS` attribute (4 bytes each).
pub fn decode_members(bytes: &[u8]) -> Result<impl Iterator<Item = Ipv4> + '_, ConfigError> {
    if !bytes.len().is_multiple_of(4) {
        return Err(ConfigError::MalformedAttribute("MEMBERS"));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| Ipv4([c[0], c[1], c[2], c[3]])))
}

/// The members `requested` adds to `existing`, in request order, without
/// duplicates; each is checked. Returns the count of the new set.
pub fn check_join(
    group: Ipv4,
    existing: &[Ipv4],
    requested: &[Ipv4],
    limit: u32,
) -> Result<usize, ConfigError> {
    for &m in requested {
        check_member(m)?;
    }
    let added = new_members(existing, requested).count();
    let total = existing.len() + added;
    if total > limit as usize {
        return Err(ConfigError::TooManyMembers {
            group,
            current: existing.len() as u32,
            requested: added as u32,
            limit,
        });
    }
    Ok(total)
}

/// Refuses a member set of `total` for `group` (which had `current`) past `limit`.
pub fn check_member_count(
    group: Ipv4,
    current: usize,
    total: usize,
    limit: u32,
) -> Result<(), ConfigError> {
    if total > limit as usize {
        return Err(ConfigError::TooManyMembers {
            group,
            current: current as u32,
            requested: (total - current) as u32,
            limit,
        });
    }
    Ok(())
}

fn addr_key(ip: Ipv4) -> u64 {
    u64::from(ip.to_bits())
}

/// Linear-time join for the kernel: writes `existing` and then the members of
/// `requested` not seen before into `out` and returns how many it wrote.
/// `slots` must be zeroed and `index::slot_count(existing.len() +
/// requested.len())` long; `out` at least that sum long.
pub fn merge_members(
    existing: &[Ipv4],
    requested: &[Ipv4],
    seed: u64,
    slots: &mut [u32],
    out: &mut [Ipv4],
) -> usize {
    let mut n = 0;
    for &m in existing.iter().chain(requested) {
        if n < out.len() && index::insert(slots, seed, addr_key(m), n, |p| addr_key(out[p])).is_ok()
        {
            out[n] = m;
            n += 1;
        }
    }
    n
}

/// Linear-time quit for the kernel: writes the members of `existing` not in
/// `removed` into `out` (order kept) and returns how many. `slots` must be
/// zeroed and `index::slot_count(removed.len())` long.
pub fn keep_members(
    existing: &[Ipv4],
    removed: &[Ipv4],
    seed: u64,
    slots: &mut [u32],
    out: &mut [Ipv4],
) -> usize {
    for (pos, &m) in removed.iter().enumerate() {
        // A repeated address is already indexed; NoRoom cannot happen with
        // the documented slot count.
        let _ = index::insert(slots, seed, addr_key(m), pos, |p| addr_key(removed[p]));
    }
    let mut n = 0;
    for &m in existing {
        if n < out.len()
            && index::find(slots, seed, addr_key(m), |p| addr_key(removed[p])).is_none()
        {
            out[n] = m;
            n += 1;
        }
    }
    n
}

/// The members of `requested` not yet in `existing`, first occurrence only.
/// O(n·m): for the tools' small lists; the kernel uses [`merge_members`].
pub fn new_members<'a>(
    existing: &'a [Ipv4],
    requested: &'a [Ipv4],
) -> impl Iterator<Item = Ipv4> + 'a {
    requested
        .iter()
        .enumerate()
        .filter(move |&(i, m)| !existing.contains(m) && !requested[..i].contains(m))
        .map(|(_, &m)| m)
}

/// `existing` without the members in `removed`, order kept; unknown
/// addresses in `removed` are ignored.
pub fn remaining_members<'a>(
    existing: &'a [Ipv4],
    removed: &'a [Ipv4],
) -> impl Iterator<Item = Ipv4> + 'a {
    existing
        .iter()
        .copied()
        .filter(move |m| !removed.contains(m))
}

/// A limit from a module parameter, clamped to what the tables support.
pub fn effective_limit(requested: u32, default: u32) -> u32 {
    match requested {
        0 => default,
        n => n.min(super::genl::limits::CEILING),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    const G: Ipv4 = Ipv4([239, 1, 1, 1]);

    #[test]
    fn groups_are_multicast_or_broadcast() {
        assert!(check_group(G).is_ok());
        assert!(check_group(Ipv4::BROADCAST).is_ok());
        assert_eq!(
            check_group(Ipv4([10, 0, 0, 1])),
            Err(ConfigError::NotAGroupAddress(Ipv4([10, 0, 0, 1])))
        );
    }

    #[test]
    fn members_are_unicast_hosts() {
        assert!(check_member(Ipv4([10, 0, 0, 1])).is_ok());
        for bad in [
            G,
            Ipv4::BROADCAST,
            Ipv4::UNSPECIFIED,
            Ipv4([127, 0, 0, 1]),
            Ipv4([250, 1, 1, 1]),
        ] {
            assert_eq!(check_member(bad), Err(ConfigError::MemberNotUnicast(bad)));
        }
    }

    #[test]
    fn link_local_groups_need_the_flag() {
        let s = Ipv4([10, 0, 1, 2]);
        assert_eq!(
            check_client_entry(s, Ipv4::VRRP_GROUP, 0),
            Err(ConfigError::LinkLocalNotAllowed(Ipv4::VRRP_GROUP))
        );
        assert!(check_client_entry(s, Ipv4::VRRP_GROUP, flags::ALLOW_LINK_LOCAL).is_ok());
        assert!(check_client_entry(s, G, 0).is_ok());
        assert_eq!(
            check_client_entry(s, G, 8),
            Err(ConfigError::UnknownFlags(8))
        );
        assert_eq!(
            check_client_entry(G, G, 0),
            Err(ConfigError::SenderNotUnicast(G))
        );
    }

    #[test]
    fn join_dedupes_and_enforces_the_limit() {
        let a = Ipv4([10, 0, 0, 1]);
        let b = Ipv4([10, 0, 0, 2]);
        let c = Ipv4([10, 0, 0, 3]);
        assert_eq!(check_join(G, &[a], &[b, a, b, c], 3), Ok(3));
        assert_eq!(new_members(&[a], &[b, a, b, c]).collect::<Vec<_>>(), [b, c]);
        assert_eq!(
            check_join(G, &[a], &[b, c], 2),
            Err(ConfigError::TooManyMembers {
                group: G,
                current: 1,
                requested: 2,
                limit: 2
            })
        );
        assert_eq!(
            check_join(G, &[], &[G], 2),
            Err(ConfigError::MemberNotUnicast(G))
        );
    }

    #[test]
    fn linear_merge_and_keep_match_the_simple_versions() {
        let existing: Vec<Ipv4> = (1..=300u32)
            .map(|i| Ipv4::from_bits(0x0a00_0000 + i))
            .collect();
        let requested: Vec<Ipv4> = (250..=600u32)
            .chain(250..=260)
            .map(|i| Ipv4::from_bits(0x0a00_0000 + i))
            .collect();
        let total = existing.len() + requested.len();
        let mut slots = std::vec![0u32; index::slot_count(total)];
        let mut out = std::vec![Ipv4::UNSPECIFIED; total];
        let n = merge_members(&existing, &requested, 7, &mut slots, &mut out);
        let simple: Vec<Ipv4> = existing
            .iter()
            .copied()
            .chain(new_members(&existing, &requested))
            .collect();
        assert_eq!(&out[..n], &simple[..]);
        assert_eq!(check_member_count(G, 300, n, 600), Ok(()));
        assert!(check_member_count(G, 300, n, 599).is_err());
        let mut slots = std::vec![0u32; index::slot_count(requested.len())];
        let mut out = std::vec![Ipv4::UNSPECIFIED; existing.len()];
        let n = keep_members(&existing, &requested, 9, &mut slots, &mut out);
        let simple: Vec<Ipv4> = remaining_members(&existing, &requested).collect();
        assert_eq!(&out[..n], &simple[..]);
    }

    #[test]
    fn quit_keeps_order_and_ignores_unknown() {
        let m: Vec<Ipv4> = (1..=4).map(|i| Ipv4([10, 0, 0, i])).collect();
        let left: Vec<Ipv4> = remaining_members(&m, &[m[1], Ipv4([10, 9, 9, 9])]).collect();
        assert_eq!(left, [m[0], m[2], m[3]]);
    }

    #[test]
    fn address_attribute_must_be_present_and_four_bytes() {
        assert_eq!(
            address_attribute(Some(&[10, 0, 0, 1]), "GROUP"),
            Ok(Ipv4([10, 0, 0, 1]))
        );
        assert_eq!(
            address_attribute(Some(&[10, 0, 0]), "GROUP"),
            Err(ConfigError::MalformedAttribute("GROUP"))
        );
        assert_eq!(
            address_attribute(None, "SENDER"),
            Err(ConfigError::MissingAttribute("SENDER"))
        );
    }

    #[test]
    fn member_attribute_must_be_whole_addresses() {
        assert_eq!(
            decode_members(&[10, 0, 0, 1, 10, 0, 0, 2]).unwrap().count(),
            2
        );
        assert!(decode_members(&[10, 0, 0]).is_err());
    }

    #[test]
    fn limits_default_and_clamp() {
        assert_eq!(effective_limit(0, 1024), 1024);
        assert_eq!(effective_limit(5, 1024), 5);
        assert_eq!(effective_limit(u32::MAX, 1024), 65536);
    }
}
