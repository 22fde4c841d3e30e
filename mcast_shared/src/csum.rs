//! All values are 16-bit words in network order as read with `u16::from_be_bytes`.
//! The Internet checksum is byte-order independent, so the kernel can store
//! the results with `to_be_bytes` whatever the CPU.

/// Adds `data` (an even or odd number of bytes) to a 32-bit running sum.
pub fn add_bytes(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for pair in &mut chunks {
        sum = add_word(sum, u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = chunks.remainder() {
        sum = add_word(sum, u16::from_be_bytes([*last, 0]));
    }
    sum
}

/// Adds one 16-bit word, keeping the carry in the upper half.
pub fn add_word(sum: u32, word: u16) -> u32 {
    let (s, carry) = sum.overflowing_add(u32::from(word));
    s + u32::from(carry)
}

/// Folds a 32-bit running sum to 16 bits (not complemented).
pub fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The checksum of `data`: the complement of its folded sum.
pub fn checksum(data: &[u8]) -> u16 {
    !fold(add_bytes(0, data))
}

/// Sum of a 32-bit field (an IPv4 address) as two words.
fn addr_words(sum: u32, addr: [u8; 4]) -> u32 {
    add_word(
        add_word(sum, u16::from_be_bytes([addr[0], addr[1]])),
        u16::from_be_bytes([addr[2], addr[3]]),
    )
}

/// RFC 1624 eqn. 3: a stored (complemented) checksum after a 32-bit field
/// changed from `old` to `new`: HC' = ~(~HC + ~m + m').
pub fn replace4(check: u16, old: [u8; 4], new: [u8; 4]) -> u16 {
    let sum = add_word(0, !check);
    let sum = addr_words(sum, [!old[0], !old[1], !old[2], !old[3]]);
    !fold(addr_words(sum, new))
}

/// The same change applied to a CHECKSUM_PARTIAL seed: the field then holds
/// the folded, *uncomplemented* pseudo-header sum that the device completes.
pub fn replace4_seed(seed: u16, old: [u8; 4], new: [u8; 4]) -> u16 {
    !replace4(!seed, old, new)
}

/// Pseudo-header sum of an IPv4 upper-layer protocol (RFC 768, RFC 5798 §5.2.8).
pub fn pseudo_header_sum(saddr: [u8; 4], daddr: [u8; 4], protocol: u8, length: u16) -> u32 {
    let sum = addr_words(addr_words(0, saddr), daddr);
    add_word(add_word(sum, u16::from(protocol)), length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // The worked example of RFC 1071 §3: sum ddf2, checksum 220d.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(add_bytes(0, &data)), 0xddf2);
        assert_eq!(checksum(&data), 0x220d);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(checksum(&[0xab]), !0xab00);
    }

    #[test]
    fn incremental_matches_full_recompute() {
        let mut hdr = [
            0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x01, 0x11, 0, 0, 10, 0, 1, 2, 239, 1,
            2, 3,
        ];
        let c = checksum(&hdr);
        hdr[10..12].copy_from_slice(&c.to_be_bytes());
        for new in [
            [10, 0, 3, 7],
            [255, 255, 255, 255],
            [0, 0, 0, 0],
            [192, 168, 1, 1],
        ] {
            let old = [hdr[16], hdr[17], hdr[18], hdr[19]];
            let inc = replace4(u16::from_be_bytes([hdr[10], hdr[11]]), old, new);
            hdr[16..20].copy_from_slice(&new);
            hdr[10..12].copy_from_slice(&[0, 0]);
            assert_eq!(inc, checksum(&hdr), "to {new:?}");
            hdr[10..12].copy_from_slice(&inc.to_be_bytes());
        }
    }

    #[test]
    fn seed_update_matches_fresh_seed() {
        let (s, d1, d2) = ([10, 0, 1, 2], [239, 1, 1, 1], [10, 0, 3, 4]);
        let seed1 = fold(pseudo_header_sum(s, d1, 17, 108));
        let seed2 = fold(pseudo_header_sum(s, d2, 17, 108));
        assert_eq!(replace4_seed(seed1, d1, d2), seed2);
    }
}
