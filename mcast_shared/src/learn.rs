//! Learning a group's members from the IGMP reports receivers announce
//! (issue 16): which sources may teach a group, for how long a learned
//! member stays, and the timers of the queries that keep it. The kernel
//! modules and the CLIs share these rules and defaults.

use super::addr::Ipv4;
use super::error::ConfigError;
use super::genl::{LEARN_PREFIX_BYTES, MAX_LEARN_PREFIXES};
use super::rules;
use core::fmt;

/// Seconds a learned member stays without a report: the group membership
/// interval of RFC 2236 §8.4 and RFC 3376 §8.4 with their defaults
/// (robustness 2 × query interval 125 s + query response interval 10 s).
pub const DEFAULT_LEARN_TIMEOUT_S: u32 = 260;
/// Shortest learn timeout accepted (tests use a few seconds).
pub const MIN_LEARN_TIMEOUT_S: u32 = 2;
/// Longest learn timeout accepted: one day.
pub const MAX_LEARN_TIMEOUT_S: u32 = 86_400;
/// Default seconds between the queries a sender sends its learned members
/// (RFC 3376 §8.2), module parameter `query_interval` of the server.
pub const DEFAULT_QUERY_INTERVAL_S: u32 = 125;
/// Default seconds between a receiver's re-announcements of its groups,
/// module parameter `announce_interval` of the client: under the query
/// interval, so a reloaded sender learns its members back before it would
/// have queried them.
pub const DEFAULT_ANNOUNCE_INTERVAL_S: u32 = 60;
/// Longest a receiver waits before it answers a query, in tenths of a
/// second (the query's Max Resp Code): RFC 3376's 10 s, or half the query
/// interval when that is shorter, so answers come within one interval.
pub fn max_response_tenths(query_interval_s: u32) -> u8 {
    let half = query_interval_s.saturating_mul(5);
    half.clamp(1, 100) as u8
}

/// Reports one source may have handled per second; more are dropped and
/// counted (`igmp_limited`). A host answers a query with one report per
/// interface (IGMPv3) or per group (v2), and repeats a state change
/// robustness (2) times: 20 a second is generous for honest hosts.
pub const REPORTS_PER_SOURCE_PER_S: u32 = 20;

/// `ADDRESS/LENGTH`: the sources a group learns members from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Prefix {
    /// The network address (no host bits).
    pub addr: Ipv4,
    /// Prefix length, 0-32.
    pub len: u8,
}

impl Prefix {
    /// `addr/len`, refused when `len` > 32 or `addr` has host bits.
    pub fn new(addr: Ipv4, len: u8) -> Result<Prefix, ConfigError> {
        if len > 32 || addr.to_bits() & !mask(len) != 0 {
            return Err(ConfigError::BadPrefix);
        }
        Ok(Prefix { addr, len })
    }

    /// `A.B.C.D/LEN`, or a bare address as a /32.
    pub fn parse(text: &str) -> Result<Prefix, ConfigError> {
        let (addr, len) = match text.split_once('/') {
            Some((addr, len)) => {
                let valid = !len.is_empty()
                    && len.len() <= 2
                    && len.bytes().all(|b| b.is_ascii_digit())
                    && !(len.len() > 1 && len.starts_with('0'));
                if !valid {
                    return Err(ConfigError::BadPrefix);
                }
                (addr, len.parse::<u8>().map_err(|_| ConfigError::BadPrefix)?)
            }
            None => (text, 32),
        };
        Prefix::new(Ipv4::parse(addr).ok_or(ConfigError::BadPrefix)?, len)
    }

    /// Whether `ip` is inside the prefix.
    pub fn contains(&self, ip: Ipv4) -> bool {
        (ip.to_bits() ^ self.addr.to_bits()) & mask(self.len) == 0
    }

    /// The prefix as it travels in `LEARN_PREFIXES`.
    pub fn to_bytes(self) -> [u8; LEARN_PREFIX_BYTES] {
        let [a, b, c, d] = self.addr.0;
        [a, b, c, d, self.len, 0, 0, 0]
    }

    /// One `LEARN_PREFIXES` record, checked like [`Prefix::new`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Prefix, ConfigError> {
        match *bytes {
            [a, b, c, d, len, 0, 0, 0] => Prefix::new(Ipv4([a, b, c, d]), len),
            _ => Err(ConfigError::MalformedAttribute("LEARN_PREFIXES")),
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    }
}

/// A group's learn prefixes, at most [`MAX_LEARN_PREFIXES`], without
/// allocation (the packet path reads them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Prefixes {
    list: [Prefix; MAX_LEARN_PREFIXES],
    count: usize,
}

impl Prefixes {
    /// The prefixes in a `LEARN_PREFIXES` attribute (empty: none).
    pub fn decode(bytes: &[u8]) -> Result<Prefixes, ConfigError> {
        if !bytes.len().is_multiple_of(LEARN_PREFIX_BYTES) {
            return Err(ConfigError::MalformedAttribute("LEARN_PREFIXES"));
        }
        let mut out = Prefixes::default();
        for record in bytes.chunks_exact(LEARN_PREFIX_BYTES) {
            out.push(Prefix::from_bytes(record)?)?;
        }
        Ok(out)
    }

    /// Adds `prefix` (a repeated one is kept once).
    pub fn push(&mut self, prefix: Prefix) -> Result<(), ConfigError> {
        if self.as_slice().contains(&prefix) {
            return Ok(());
        }
        let slot = self
            .list
            .get_mut(self.count)
            .ok_or(ConfigError::TooManyPrefixes {
                limit: MAX_LEARN_PREFIXES as u32,
            })?;
        *slot = prefix;
        self.count += 1;
        Ok(())
    }

    /// The prefixes, in the order given.
    pub fn as_slice(&self) -> &[Prefix] {
        &self.list[..self.count]
    }

    /// No prefix: the group does not learn.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Writes the `LEARN_PREFIXES` payload into `out`; returns its length.
    pub fn encode(&self, out: &mut [u8; MAX_LEARN_PREFIXES * LEARN_PREFIX_BYTES]) -> usize {
        for (i, p) in self.as_slice().iter().enumerate() {
            out[i * LEARN_PREFIX_BYTES..(i + 1) * LEARN_PREFIX_BYTES]
                .copy_from_slice(&p.to_bytes());
        }
        self.count * LEARN_PREFIX_BYTES
    }

    /// Whether a report from `source` may teach the group: an ordinary
    /// unicast host inside one of the prefixes (never multicast, broadcast,
    /// 0.0.0.0, loopback or class E; the kernel also refuses its own
    /// addresses).
    pub fn admits(&self, source: Ipv4) -> bool {
        rules::is_unicast_host(source) && self.as_slice().iter().any(|p| p.contains(source))
    }
}

/// A learn timeout in seconds, checked.
pub fn check_learn_timeout(seconds: u32) -> Result<u32, ConfigError> {
    if (MIN_LEARN_TIMEOUT_S..=MAX_LEARN_TIMEOUT_S).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(ConfigError::LearnTimeoutOutOfRange { seconds })
    }
}

/// Milliseconds left of a deadline, for listings (0 once past).
pub fn remaining_ms(deadline_ms: u64, now_ms: u64) -> u32 {
    deadline_ms.saturating_sub(now_ms).min(u64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn prefixes_parse_strictly() {
        let p = Prefix::parse("10.0.2.0/24").unwrap();
        assert_eq!((p.addr, p.len), (Ipv4([10, 0, 2, 0]), 24));
        assert_eq!(p.to_string(), "10.0.2.0/24");
        assert_eq!(Prefix::parse("10.0.2.7").unwrap().len, 32);
        assert_eq!(Prefix::parse("0.0.0.0/0").unwrap().len, 0);
        for bad in [
            "10.0.2.1/24",
            "10.0.2.0/33",
            "10.0.2.0/",
            "10.0.2.0/024",
            "10.0.2/24",
            "x/8",
            "10.0.0.0/+8",
        ] {
            assert_eq!(Prefix::parse(bad), Err(ConfigError::BadPrefix), "{bad}");
        }
    }

    #[test]
    fn contains_by_length() {
        let p = Prefix::parse("10.0.2.0/24").unwrap();
        assert!(p.contains(Ipv4([10, 0, 2, 255])));
        assert!(!p.contains(Ipv4([10, 0, 3, 1])));
        assert!(Prefix::parse("0.0.0.0/0")
            .unwrap()
            .contains(Ipv4([192, 0, 2, 1])));
        let host = Prefix::parse("10.0.2.7").unwrap();
        assert!(host.contains(Ipv4([10, 0, 2, 7])) && !host.contains(Ipv4([10, 0, 2, 8])));
    }

    #[test]
    fn the_attribute_round_trips_and_is_checked() {
        let mut ps = Prefixes::default();
        ps.push(Prefix::parse("10.0.2.0/24").unwrap()).unwrap();
        ps.push(Prefix::parse("192.168.0.0/16").unwrap()).unwrap();
        ps.push(Prefix::parse("10.0.2.0/24").unwrap()).unwrap();
        assert_eq!(ps.as_slice().len(), 2);
        let mut buf = [0u8; MAX_LEARN_PREFIXES * LEARN_PREFIX_BYTES];
        let n = ps.encode(&mut buf);
        assert_eq!(Prefixes::decode(&buf[..n]).unwrap(), ps);
        assert!(Prefixes::decode(&[]).unwrap().is_empty());
        assert!(Prefixes::decode(&buf[..7]).is_err());
        let mut bad = buf;
        bad[5] = 1; // padding must be zero
        assert!(Prefixes::decode(&bad[..8]).is_err());
        bad = buf;
        bad[3] = 1; // host bit under /24
        assert_eq!(Prefixes::decode(&bad[..8]), Err(ConfigError::BadPrefix));
        let too_many = [0u8; (MAX_LEARN_PREFIXES + 1) * LEARN_PREFIX_BYTES];
        // 17 copies of 0.0.0.0/0 collapse into one
        assert_eq!(Prefixes::decode(&too_many).unwrap().as_slice().len(), 1);
        let mut many = Prefixes::default();
        for i in 0..MAX_LEARN_PREFIXES as u8 {
            many.push(Prefix::new(Ipv4([10, i, 0, 0]), 16).unwrap())
                .unwrap();
        }
        assert_eq!(
            many.push(Prefix::parse("10.99.0.0/16").unwrap()),
            Err(ConfigError::TooManyPrefixes {
                limit: MAX_LEARN_PREFIXES as u32
            })
        );
    }

    #[test]
    fn admits_only_unicast_hosts_inside() {
        let mut ps = Prefixes::default();
        ps.push(Prefix::parse("0.0.0.0/0").unwrap()).unwrap();
        assert!(ps.admits(Ipv4([10, 0, 2, 2])));
        for bad in [
            [224, 0, 0, 1],
            [255, 255, 255, 255],
            [0, 0, 0, 0],
            [127, 0, 0, 1],
            [240, 0, 0, 1],
        ] {
            assert!(!ps.admits(Ipv4(bad)), "{bad:?}");
        }
        assert!(!Prefixes::default().admits(Ipv4([10, 0, 2, 2])));
    }

    #[test]
    fn timers() {
        assert_eq!(check_learn_timeout(260), Ok(260));
        assert!(check_learn_timeout(1).is_err() && check_learn_timeout(86_401).is_err());
        assert_eq!(max_response_tenths(125), 100);
        assert_eq!(max_response_tenths(4), 20);
        assert_eq!(max_response_tenths(0), 1);
        assert_eq!(remaining_ms(5_000, 1_000), 4_000);
        assert_eq!(remaining_ms(1_000, 5_000), 0);
    }
}
