//! Attribute payloads as `mcast_shared::genl` defines them: addresses are
//! 4 bytes in network order, ports native-endian `u16`, flags and counts
//! native-endian `u32`, counters native-endian `u64`, a member list the
//! addresses back to back, learn prefixes and learned members in their
//! fixed-size records.

use super::transport::Attr;
use crate::error::{Error, Result};
use crate::kernel::LearnedMember;
use mcast_shared::addr::Ipv4;
use mcast_shared::genl::{LEARNED_RECORD_BYTES, LEARN_PREFIX_BYTES, MAX_LEARN_PREFIXES};
use mcast_shared::learn::Prefixes;
use mcast_shared::rules;

/// An address attribute.
pub fn address(kind: u16, ip: Ipv4) -> Attr {
    Attr {
        kind,
        payload: ip.0.to_vec(),
    }
}

/// A `u16` attribute.
pub fn u16_attr(kind: u16, value: u16) -> Attr {
    Attr {
        kind,
        payload: value.to_ne_bytes().to_vec(),
    }
}

/// A `u32` attribute.
pub fn u32_attr(kind: u16, value: u32) -> Attr {
    Attr {
        kind,
        payload: value.to_ne_bytes().to_vec(),
    }
}

/// A member list attribute.
pub fn members(kind: u16, members: &[Ipv4]) -> Attr {
    Attr {
        kind,
        payload: members.iter().flat_map(|m| m.0).collect(),
    }
}

/// A learn prefixes attribute; empty turns learning off.
pub fn prefixes(kind: u16, prefixes: &Prefixes) -> Attr {
    let mut buffer = [0; MAX_LEARN_PREFIXES * LEARN_PREFIX_BYTES];
    let len = prefixes.encode(&mut buffer);
    Attr {
        kind,
        payload: buffer[..len].to_vec(),
    }
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::Netlink(format!("malformed reply: {what}"))
}

/// The attributes of one reply message, read by type.
pub struct Reply<'a>(pub &'a [Attr]);

impl Reply<'_> {
    fn get(&self, kind: u16) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| &a.payload[..])
    }

    fn fixed<const N: usize>(&self, kind: u16, name: &str) -> Result<Option<[u8; N]>> {
        match self.get(kind) {
            None => Ok(None),
            Some(bytes) => bytes
                .try_into()
                .map(Some)
                .map_err(|_| malformed(format!("{name} has {} bytes, not {N}", bytes.len()))),
        }
    }

    fn required<const N: usize>(&self, kind: u16, name: &str) -> Result<[u8; N]> {
        self.fixed(kind, name)?
            .ok_or_else(|| malformed(format!("no {name}")))
    }

    /// The required address attribute.
    pub fn address(&self, kind: u16, name: &str) -> Result<Ipv4> {
        self.required(kind, name).map(Ipv4)
    }

    /// The required `u16` attribute.
    pub fn u16(&self, kind: u16, name: &str) -> Result<u16> {
        self.required(kind, name).map(u16::from_ne_bytes)
    }

    /// The `u32` attribute; `None` when absent.
    pub fn u32(&self, kind: u16, name: &str) -> Result<Option<u32>> {
        Ok(self.fixed(kind, name)?.map(u32::from_ne_bytes))
    }

    /// The `u64` attribute; 0 when absent (a counter the module does not keep).
    pub fn u64(&self, kind: u16, name: &str) -> Result<u64> {
        Ok(self.fixed(kind, name)?.map_or(0, u64::from_ne_bytes))
    }

    /// The member list attribute; empty when absent.
    pub fn members(&self, kind: u16) -> Result<Vec<Ipv4>> {
        match self.get(kind) {
            None => Ok(Vec::new()),
            Some(bytes) => Ok(rules::decode_members(bytes).map_err(malformed)?.collect()),
        }
    }

    /// The learn prefixes attribute; `None` when absent (no learning).
    pub fn prefixes(&self, kind: u16) -> Result<Option<Prefixes>> {
        self.get(kind)
            .map(|bytes| Prefixes::decode(bytes).map_err(malformed))
            .transpose()
    }

    /// The learned members attribute; empty when absent.
    pub fn learned(&self, kind: u16, name: &str) -> Result<Vec<LearnedMember>> {
        let bytes = self.get(kind).unwrap_or_default();
        if !bytes.len().is_multiple_of(LEARNED_RECORD_BYTES) {
            return Err(malformed(format!(
                "{name} has {} bytes, not a multiple of {LEARNED_RECORD_BYTES}",
                bytes.len()
            )));
        }
        Ok(bytes
            .chunks_exact(LEARNED_RECORD_BYTES)
            .map(|record| {
                let (address, left) = record.split_at(4);
                LearnedMember {
                    address: Ipv4(address.try_into().expect("4 bytes")),
                    expires_ms: u32::from_ne_bytes(left.try_into().expect("4 bytes")),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(address(2, Ipv4([239, 1, 2, 3])).payload, [239, 1, 2, 3]);
        assert_eq!(u16_attr(3, 5000).payload, 5000u16.to_ne_bytes());
        assert_eq!(
            members(3, &[Ipv4([10, 0, 0, 1]), Ipv4([10, 0, 0, 2])]).payload,
            [10, 0, 0, 1, 10, 0, 0, 2]
        );
    }

    #[test]
    fn decodings() {
        let attrs = [
            Attr {
                kind: 2,
                payload: vec![239, 1, 2, 3],
            },
            Attr {
                kind: 4,
                payload: 9u32.to_ne_bytes().to_vec(),
            },
            Attr {
                kind: 5,
                payload: 11u64.to_ne_bytes().to_vec(),
            },
            Attr {
                kind: 6,
                payload: vec![1, 2, 3],
            },
            Attr {
                kind: 7,
                payload: vec![10, 0, 0, 1, 10],
            },
        ];
        let r = Reply(&attrs);
        assert_eq!(r.address(2, "GROUP").unwrap(), Ipv4([239, 1, 2, 3]));
        assert_eq!(r.u32(4, "COUNT").unwrap(), Some(9));
        assert_eq!(r.u32(40, "COUNT").unwrap(), None);
        assert_eq!(r.u64(5, "TX").unwrap(), 11);
        assert_eq!(r.u64(50, "TX").unwrap(), 0);
        assert_eq!(
            r.address(9, "SENDER").unwrap_err().to_string(),
            "netlink: malformed reply: no SENDER"
        );
        assert_eq!(
            r.u64(6, "TX").unwrap_err().to_string(),
            "netlink: malformed reply: TX has 3 bytes, not 8"
        );
        assert!(r.members(7).is_err());
        assert!(r.members(70).unwrap().is_empty());
    }

    #[test]
    fn learning() {
        let list = crate::parse::prefixes("10.0.2.0/24,10.0.3.7").unwrap();
        let attr = prefixes(9, &list);
        assert_eq!(
            attr.payload,
            [10, 0, 2, 0, 24, 0, 0, 0, 10, 0, 3, 7, 32, 0, 0, 0]
        );
        assert!(prefixes(9, &Prefixes::default()).payload.is_empty());
        let mut record = vec![10, 0, 2, 2];
        record.extend_from_slice(&254_000u32.to_ne_bytes());
        let attrs = [
            attr,
            Attr {
                kind: 12,
                payload: record.clone(),
            },
            Attr {
                kind: 13,
                payload: record[..7].to_vec(),
            },
            Attr {
                kind: 14,
                payload: vec![10, 0, 2, 1, 24, 0, 0, 0],
            },
        ];
        let r = Reply(&attrs);
        assert_eq!(r.prefixes(9).unwrap(), Some(list));
        assert_eq!(r.prefixes(90).unwrap(), None);
        assert_eq!(
            r.prefixes(14).unwrap_err().to_string(),
            "netlink: malformed reply: a learn prefix is ADDRESS/LENGTH (0-32) without host bits, e.g. 10.0.2.0/24"
        );
        assert_eq!(
            r.learned(12, "LEARNED").unwrap(),
            [LearnedMember {
                address: Ipv4([10, 0, 2, 2]),
                expires_ms: 254_000
            }]
        );
        assert!(r.learned(120, "LEARNED").unwrap().is_empty());
        assert_eq!(
            r.learned(13, "LEARNED").unwrap_err().to_string(),
            "netlink: malformed reply: LEARNED has 7 bytes, not a multiple of 8"
        );
    }
}
