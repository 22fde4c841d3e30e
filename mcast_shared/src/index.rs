//! A read-only hash index over a table's entries, rebuilt whenever the table
//! changes (tables are replaced whole under RCU, never edited in place).
//! Slots hold `entry position + 1`, 0 meaning empty; the caller allocates
//! [`slot_count`] of them. At most half the slots are used, so a probe ends
//! at an empty slot, and every loop is bounded by the slot count.

/// Slots needed to index `entries` entries: a power of two, at least twice
/// the entry count.
pub fn slot_count(entries: usize) -> usize {
    (entries.max(4) * 2).next_power_of_two()
}

/// Seeded 64-bit mix (the SplitMix64 finaliser): a per-table random seed
/// keeps crafted keys from piling into one probe run.
pub fn hash(key: u64, seed: u64) -> u64 {
    let mut z = key ^ seed.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The index could not take the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexError {
    /// The slot array is not a power of two or would be more than half full.
    NoRoom,
    /// The key is already indexed.
    Duplicate,
}

/// Indexes entry `position` under `key`. `key_at` gives the key of an
/// already indexed position.
pub fn insert(
    slots: &mut [u32],
    seed: u64,
    key: u64,
    position: usize,
    key_at: impl Fn(usize) -> u64,
) -> Result<(), IndexError> {
    let n = slots.len();
    if !n.is_power_of_two() || position + 1 > n / 2 {
        return Err(IndexError::NoRoom);
    }
    let mut slot = hash(key, seed) as usize & (n - 1);
    for _ in 0..n {
        match slots[slot] {
            0 => {
                slots[slot] = u32::try_from(position + 1).map_err(|_| IndexError::NoRoom)?;
                return Ok(());
            }
            used if key_at(used as usize - 1) == key => return Err(IndexError::Duplicate),
            _ => slot = (slot + 1) & (n - 1),
        }
    }
    Err(IndexError::NoRoom)
}

/// The position indexed under `key`, if any.
pub fn find(slots: &[u32], seed: u64, key: u64, key_at: impl Fn(usize) -> u64) -> Option<usize> {
    let n = slots.len();
    if n == 0 {
        return None;
    }
    let mut slot = hash(key, seed) as usize & (n - 1);
    for _ in 0..n {
        match slots[slot] {
            0 => return None,
            used if key_at(used as usize - 1) == key => return Some(used as usize - 1),
            _ => slot = (slot + 1) & (n - 1),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    #[test]
    fn finds_every_inserted_key_and_nothing_else() {
        let keys: std::vec::Vec<u64> = (0..1024u64).map(|i| 0xef00_0000 + i * 7).collect();
        let mut slots = vec![0u32; slot_count(keys.len())];
        for (pos, &k) in keys.iter().enumerate() {
            insert(&mut slots, 42, k, pos, |p| keys[p]).unwrap();
        }
        for (pos, &k) in keys.iter().enumerate() {
            assert_eq!(find(&slots, 42, k, |p| keys[p]), Some(pos));
        }
        assert_eq!(find(&slots, 42, 1, |p| keys[p]), None);
        assert_eq!(
            insert(&mut slots, 42, keys[3], 1024, |p| keys[p]),
            Err(IndexError::NoRoom)
        );
    }

    #[test]
    fn duplicates_and_overfill_are_refused() {
        let keys = [5u64, 5];
        let mut slots = vec![0u32; slot_count(2)];
        insert(&mut slots, 0, 5, 0, |p| keys[p]).unwrap();
        assert_eq!(
            insert(&mut slots, 0, 5, 1, |p| keys[p]),
            Err(IndexError::Duplicate)
        );
        let mut tiny = vec![0u32; 4];
        assert_eq!(insert(&mut tiny, 0, 9, 2, |_| 0), Err(IndexError::NoRoom));
        assert_eq!(find(&[], 0, 9, |_| 0), None);
    }
}
