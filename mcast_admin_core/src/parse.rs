//! Command-line values: addresses, address lists and ports, checked with
//! the same rules the kernel applies.

use crate::error::{Error, Result};
use mcast_shared::addr::Ipv4;
use mcast_shared::learn::{self, Prefix, Prefixes};
use mcast_shared::rules;
use std::collections::HashSet;

/// A strict dotted quad (what `inet_pton` accepts).
pub fn address(text: &str) -> Result<Ipv4> {
    Ipv4::parse(text).ok_or_else(|| Error::BadAddress(text.to_string()))
}

/// A group: multicast or 255.255.255.255.
pub fn group(text: &str) -> Result<Ipv4> {
    let group = address(text)?;
    rules::check_group(group)?;
    Ok(group)
}

/// The items of a comma-separated `list` of `what`s; none may be empty.
fn items<'a>(text: &'a str, what: &str) -> Result<Vec<&'a str>> {
    let items: Vec<&str> = text.split(',').collect();
    if items.iter().any(|item| item.is_empty()) {
        return Err(Error::Usage(format!(
            "empty item in the {what} list '{text}'"
        )));
    }
    Ok(items)
}

/// A comma-separated list of members, each a unicast host address.
/// Duplicates are dropped (first occurrence kept), as the old tool did.
pub fn members(text: &str) -> Result<Vec<Ipv4>> {
    let mut out: Vec<Ipv4> = Vec::new();
    let mut seen = HashSet::new();
    for item in items(text, "address")? {
        let member = address(item)?;
        rules::check_member(member)?;
        if seen.insert(member) {
            out.push(member);
        }
    }
    Ok(out)
}

/// A learn prefix, `A.B.C.D/LEN` or a bare address; an error names the text.
pub fn prefix(text: &str) -> Result<Prefix> {
    Prefix::parse(text).map_err(|e| Error::During {
        context: if text.is_empty() { "''" } else { text }.to_string(),
        source: Box::new(e.into()),
    })
}

/// A comma-separated list of learn prefixes; a repeated one is kept once.
pub fn prefixes(text: &str) -> Result<Prefixes> {
    let mut out = Prefixes::default();
    for item in items(text, "prefix")? {
        out.push(prefix(item)?)?;
    }
    Ok(out)
}

/// A learn timeout: decimal seconds within the module's range.
pub fn learn_timeout(text: &str) -> Result<u32> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let seconds = digits_only
        .then(|| text.parse::<u32>().ok())
        .flatten()
        .ok_or_else(|| Error::BadSeconds(text.to_string()))?;
    Ok(learn::check_learn_timeout(seconds)?)
}

/// A UDP port in decimal; 0 means any port. Leading zeros are decimal too
/// (the old tool read `010` as octal 8 and `08` as 0).
pub fn port(text: &str) -> Result<u16> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let value = digits_only
        .then(|| text.trim_start_matches('0'))
        .and_then(|t| match t {
            "" => Some(0),
            t if t.len() <= 5 => t.parse::<u16>().ok(),
            _ => None,
        });
    value.ok_or_else(|| Error::BadPort(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcast_shared::error::ConfigError;

    #[test]
    fn addresses_are_strict() {
        assert_eq!(address("10.0.0.1").unwrap(), Ipv4([10, 0, 0, 1]));
        assert_eq!(
            address("10.0.0.300").unwrap_err().to_string(),
            "10.0.0.300: not an IPv4 address"
        );
        assert_eq!(
            address("").unwrap_err().to_string(),
            "'': not an IPv4 address"
        );
    }

    #[test]
    fn groups_are_multicast_or_broadcast() {
        assert!(group("239.1.1.1").is_ok());
        assert!(group("255.255.255.255").is_ok());
        assert_eq!(
            group("10.0.0.1").unwrap_err().to_string(),
            "10.0.0.1: a group must be a multicast address or 255.255.255.255"
        );
    }

    #[test]
    fn member_lists() {
        let a = Ipv4([10, 0, 0, 1]);
        let b = Ipv4([10, 0, 0, 2]);
        assert_eq!(members("10.0.0.1,10.0.0.2,10.0.0.1").unwrap(), [a, b]);
        assert_eq!(
            members("10.0.0.1,,10.0.0.2").unwrap_err().to_string(),
            "empty item in the address list '10.0.0.1,,10.0.0.2'"
        );
        assert_eq!(
            members("10.0.0.1,").unwrap_err().to_string(),
            "empty item in the address list '10.0.0.1,'"
        );
        assert_eq!(
            members("").unwrap_err().to_string(),
            "empty item in the address list ''"
        );
        assert_eq!(
            members("10.0.0.1,1.2.3").unwrap_err().to_string(),
            "1.2.3: not an IPv4 address"
        );
        let e = members("10.0.0.1,239.1.1.2").unwrap_err();
        assert_eq!(
            e.to_string(),
            "239.1.1.2: a member must be a unicast host address"
        );
        assert!(matches!(e, Error::Rule(ConfigError::MemberNotUnicast(_))));
        for bad in ["0.0.0.0", "255.255.255.255", "127.0.0.1", "240.0.0.1"] {
            assert!(members(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefix_lists() {
        let list = prefixes("10.0.2.0/24,10.0.3.7,10.0.2.0/24").unwrap();
        let shown: Vec<String> = list.as_slice().iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.2.0/24", "10.0.3.7/32"]);
        let e = prefixes("10.0.2.0/24,10.0.3.1/24").unwrap_err();
        assert_eq!(
            e.to_string(),
            "10.0.3.1/24: a learn prefix is ADDRESS/LENGTH (0-32) without host bits, e.g. 10.0.2.0/24"
        );
        assert_eq!(e.exit_status(), 235);
        assert_eq!(
            prefixes("10.0.2.0/24,").unwrap_err().to_string(),
            "empty item in the prefix list '10.0.2.0/24,'"
        );
        let seventeen: Vec<String> = (0..17).map(|i| format!("10.{i}.0.0/16")).collect();
        assert_eq!(
            prefixes(&seventeen.join(",")).unwrap_err().to_string(),
            "a group learns from at most 16 prefixes"
        );
    }

    #[test]
    fn learn_timeouts() {
        assert_eq!(learn_timeout("260").unwrap(), 260);
        assert_eq!(learn_timeout("0086400").unwrap(), 86_400);
        let e = learn_timeout("1").unwrap_err();
        assert_eq!(
            (e.to_string().as_str(), e.exit_status()),
            ("learn timeout 1 s: it must be 2-86400 seconds", 235)
        );
        for bad in ["", "-5", "2.5", "60s", "99999999999"] {
            let e = learn_timeout(bad).unwrap_err();
            assert!(matches!(e, Error::BadSeconds(_)), "{bad}");
            assert_eq!(e.exit_status(), 255);
        }
        assert_eq!(
            learn_timeout("60s").unwrap_err().to_string(),
            "60s: not a number of seconds"
        );
    }

    #[test]
    fn ports_are_decimal() {
        assert_eq!(port("08").unwrap(), 8);
        assert_eq!(port("010").unwrap(), 10);
        assert_eq!(port("0").unwrap(), 0);
        assert_eq!(port("000").unwrap(), 0);
        assert_eq!(port("65535").unwrap(), 65535);
        assert_eq!(port("0000065535").unwrap(), 65535);
        for bad in [
            "",
            "65536",
            "-1",
            "+1",
            "0x10",
            " 1",
            "1 ",
            "99999999999999999999",
        ] {
            assert!(matches!(port(bad), Err(Error::BadPort(_))), "{bad}");
        }
        assert_eq!(
            port("65536").unwrap_err().to_string(),
            "65536: not a port (a decimal number from 0 to 65535)"
        );
    }
}
