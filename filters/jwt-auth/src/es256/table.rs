//! Precomputed multiples of a point, so that k·P is a sum of table points
//! (one per window digit of k) with no doubling at request time; G's table
//! once per VM.

use super::point::{normalize, Affine, Jacobian, GX, GY};
use super::u256::U256;
use std::sync::OnceLock;

/// Window widths in bits: wider for G (one table per VM, about 300 KB
/// built in a few ms), narrower for keys (one table each, about 100 KB,
/// rebuilt when a JWKS is refreshed).
pub(super) const G_WINDOW: usize = 7;
pub(super) const KEY_WINDOW: usize = 5;

/// `points[i·(2ʷ - 1) + d - 1]` = d·2^(w·i)·P for each digit d in 1..2ʷ, i
/// below ⌈256 / w⌉.
pub(super) struct Table {
    pub(super) window: usize,
    pub(super) points: Vec<Affine>,
}

impl Table {
    /// None only if a multiple were the identity, which cannot happen for a
    /// point of prime order n.
    pub(super) fn new(p: &Affine, window: usize) -> Option<Table> {
        let per_row = (1usize << window) - 1;
        let rows = 256usize.div_ceil(window);
        let mut jac: Vec<Jacobian> = Vec::with_capacity(rows * per_row);
        let mut base = Jacobian::from_affine(p);
        for _ in 0..rows {
            let mut acc = base;
            jac.push(acc);
            for _ in 1..per_row {
                acc = acc.add(&base);
                jac.push(acc);
            }
            // 2ʷ·base = 2·(2ʷ⁻¹·base).
            let half = jac.len() - per_row + (1 << (window - 1)) - 1;
            base = jac.get(half)?.double();
        }
        Some(Table {
            window,
            points: normalize(&jac)?,
        })
    }

    /// Adds k·P to `acc`, one table point per non-zero digit of k.
    pub(super) fn add_multiple(&self, acc: &mut Jacobian, k: &U256) {
        let per_row = (1usize << self.window) - 1;
        for (i, row) in self.points.chunks_exact(per_row).enumerate() {
            let d = digit(k, i * self.window, self.window);
            if let Some(pt) = d.checked_sub(1).and_then(|j| row.get(j)) {
                *acc = acc.add_affine(pt);
            }
        }
    }
}

/// The `width` bits of k starting at bit `at` (bits above 255 are zero).
pub(super) fn digit(k: &U256, at: usize, width: usize) -> usize {
    let limb = |i: usize| u64::from(k.get(i).copied().unwrap_or(0));
    let two = limb(at / 32 + 1) << 32 | limb(at / 32);
    ((two >> (at % 32)) & ((1u64 << width) - 1)) as usize
}

/// G's table, built once per VM. G is a fixed point of order n, so it always
/// builds; if it ever did not, every ES256 verification fails (closed).
pub(super) fn generator_table() -> Option<&'static Table> {
    static G: OnceLock<Option<Table>> = OnceLock::new();
    G.get_or_init(|| Table::new(&Affine { x: GX, y: GY }, G_WINDOW))
        .as_ref()
}
