use core::fmt;

/// An IPv4 address in network byte order, as it sits in a packet header.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Ipv4(pub [u8; 4]);

impl Ipv4 {
    /// 0.0.0.0
    pub const UNSPECIFIED: Ipv4 = Ipv4([0, 0, 0, 0]);
    /// 255.255.255.255
    pub const BROADCAST: Ipv4 = Ipv4([255, 255, 255, 255]);
    /// The VRRP group (RFC 5798), the legitimate link-local use.
    pub const VRRP_GROUP: Ipv4 = Ipv4([224, 0, 0, 18]);

    /// The address as the big-endian `u32` carried in netlink attributes.
    pub fn to_bits(self) -> u32 {
        u32::from_be_bytes(self.0)
    }

    /// The inverse of [`Ipv4::to_bits`].
    pub fn from_bits(bits: u32) -> Ipv4 {
        Ipv4(bits.to_be_bytes())
    }

    /// 224.0.0.0/4
    pub fn is_multicast(self) -> bool {
        self.0[0] & 0xf0 == 224
    }

    /// 224.0.0.0/24: never forwarded by routers, on-link only.
    pub fn is_link_local_multicast(self) -> bool {
        self.0[..3] == [224, 0, 0]
    }

    /// 127.0.0.0/8
    pub fn is_loopback(self) -> bool {
        self.0[0] == 127
    }

    /// Strict dotted quad, as `inet_pton(AF_INET)` accepts it: four decimal
    /// parts 0-255, no leading zeros, no spaces, nothing after.
    pub fn parse(text: &str) -> Option<Ipv4> {
        let mut out = [0u8; 4];
        let mut parts = text.split('.');
        for byte in &mut out {
            let part = parts.next()?;
            let valid = !part.is_empty()
                && part.len() <= 3
                && part.bytes().all(|b| b.is_ascii_digit())
                && !(part.len() > 1 && part.starts_with('0'));
            if !valid {
                return None;
            }
            *byte = u8::try_from(part.parse::<u16>().ok()?).ok()?;
        }
        parts.next().is_none().then_some(Ipv4(out))
    }
}

impl fmt::Display for Ipv4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_inet_pton() {
        assert_eq!(Ipv4::parse("239.1.2.3"), Some(Ipv4([239, 1, 2, 3])));
        assert_eq!(Ipv4::parse("0.0.0.0"), Some(Ipv4::UNSPECIFIED));
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "10.0.0.300",
            "01.2.3.4",
            " 1.2.3.4",
            "1.2.3.4 ",
            "a.b.c.d",
            "1..2.3",
            "1.2.3.-4",
            "+1.2.3.4",
        ] {
            assert_eq!(Ipv4::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn classifies() {
        assert!(Ipv4([239, 0, 0, 1]).is_multicast());
        assert!(Ipv4([224, 0, 0, 0]).is_multicast());
        assert!(!Ipv4([240, 0, 0, 1]).is_multicast());
        assert!(Ipv4::VRRP_GROUP.is_link_local_multicast());
        assert!(!Ipv4([224, 0, 1, 1]).is_link_local_multicast());
    }

    #[test]
    fn bits_round_trip() {
        let a = Ipv4([10, 1, 2, 3]);
        assert_eq!(a.to_bits(), 0x0a01_0203);
        assert_eq!(Ipv4::from_bits(a.to_bits()), a);
    }
}
