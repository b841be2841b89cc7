//! How a split picks its service: a stable hash of the request's key, so one
//! user stays on one version; uniformly at random when the key is absent.

use filters_common::stable_hash::stable_bucket;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// Picks from cumulative weights (`(upper bound in 0..=100, target)`, ascending,
/// the last one 100). `salt` keeps the buckets of different routes independent.
pub fn pick(
    choices: &[(u32, usize)],
    key: Option<&[u8]>,
    salt: &str,
    random: impl FnOnce() -> u64,
) -> Option<usize> {
    let bucket = match key.filter(|k| !k.is_empty()) {
        Some(k) => stable_bucket(salt, k, 100),
        None => ((u128::from(random()) * 100) >> 64) as u32,
    };
    choices
        .iter()
        .find(|(upper, _)| bucket < *upper)
        .or(choices.last())
        .map(|&(_, target)| target)
}

/// 64 random bits. std seeds `RandomState` from the OS once per thread (WASI
/// `random_get` on wasm32-wasip1) and steps the key for every new state, so
/// this costs one SipHash and no host call.
pub fn random_u64() -> u64 {
    RandomState::new().hash_one(0u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPLIT: [(u32, usize); 2] = [(90, 7), (100, 8)];

    #[test]
    fn weights_hold_within_one_percent_over_100k_keys() {
        let mut second = 0;
        for i in 0..100_000 {
            let key = format!("user-{i}");
            if pick(
                &SPLIT,
                Some(key.as_bytes()),
                "prefix:/faas/api/search/",
                || unreachable!(),
            ) == Some(8)
            {
                second += 1;
            }
        }
        assert!((9_000..=11_000).contains(&second), "{second}");
    }

    #[test]
    fn one_user_stays_on_one_version() {
        let first = pick(&SPLIT, Some(b"alice"), "r", || 0);
        for _ in 0..100 {
            assert_eq!(pick(&SPLIT, Some(b"alice"), "r", random_u64), first);
        }
    }

    #[test]
    fn absent_or_empty_key_is_uniformly_random() {
        assert_eq!(pick(&SPLIT, None, "r", || 0), Some(7));
        assert_eq!(pick(&SPLIT, Some(b""), "r", || u64::MAX), Some(8));
        let mut second = 0;
        for _ in 0..100_000 {
            if pick(&SPLIT, None, "r", random_u64) == Some(8) {
                second += 1;
            }
        }
        assert!((9_000..=11_000).contains(&second), "{second}");
    }

    #[test]
    fn zero_weights_are_never_picked() {
        let choices = [(0, 1), (100, 2)];
        for i in 0..1000u32 {
            assert_eq!(pick(&choices, Some(&i.to_le_bytes()), "r", || 0), Some(2));
        }
        assert_eq!(pick(&[(100, 3)], None, "r", || u64::MAX), Some(3));
    }
}
