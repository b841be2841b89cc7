//! How an ES256 signature is verified (ECDSA over P-256 with SHA-256, FIPS
//! 186-5 §6.4.2). Purpose-written for verification only: every input is
//! public, so nothing here needs to be constant-time. Limbs are 32 bits (wasm
//! has a native 32×32→64 multiply but no 64×64→128 one); points are in
//! Jacobian coordinates.
//!
//! The lever is precomputation: u1·G + u2·Q is a sum of 37 + 52 table points,
//! one per 7-bit (G) or 5-bit (key) digit of each scalar, with no doubling at
//! request time. G's table is built once per VM, a key's table once when its
//! JWKS is parsed.
//!
//! Code map, bottom up: `u256` (256-bit integers), `field` (mod p) and
//! `scalar` (mod n), `point` (curve points), `table` (precomputed multiples),
//! this file (keys and verification).

mod field;
mod point;
mod scalar;
mod table;
#[cfg(test)]
mod tests;
mod u256;

use field as fe;
use field::P;
use point::IDENTITY;
use point::{Affine, B};
use scalar::{inv_mod_n, mul_mod_n, N};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use table::{generator_table, Table, KEY_WINDOW};
use u256::{add_raw, from_be, is_zero, less, sub_raw};

/// A validated P-256 public key with its precomputed multiples.
#[derive(Clone)]
pub struct PublicKey {
    table: Arc<Table>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("P256PublicKey")
    }
}

impl PublicKey {
    /// From the big-endian affine coordinates (JWK `x`, `y`). Refuses
    /// coordinates ≥ p and points not on the curve (the identity has no
    /// affine form, and P-256 has no other small-order points).
    pub fn from_coordinates(x: &[u8; 32], y: &[u8; 32]) -> Option<PublicKey> {
        let (x, y) = (from_be(x), from_be(y));
        if !less(&x, &P) || !less(&y, &P) {
            return None;
        }
        let x3 = fe::mul(&fe::sqr(&x), &x);
        let three_x = fe::add(&fe::add(&x, &x), &x);
        let rhs = fe::add(&fe::sub(&x3, &three_x), &B);
        if fe::sqr(&y) != rhs {
            return None;
        }
        // Build G's table now rather than on the first request; without it
        // no key is made, so nothing verifies (closed).
        generator_table()?;
        let table = Table::new(&Affine { x, y }, KEY_WINDOW)?;
        Some(PublicKey {
            table: Arc::new(table),
        })
    }

    /// Verifies a JWS ES256 signature (`r ‖ s`, 32 bytes each, big-endian)
    /// of `message`. High-s signatures are valid, as in FIPS 186 and JWS.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        let digest: [u8; 32] = Sha256::digest(message).into();
        self.verify_prehash(&digest, sig)
    }

    /// Verifies against a 32-byte digest.
    pub fn verify_prehash(&self, digest: &[u8; 32], sig: &[u8]) -> bool {
        self.verify_with(generator_table(), digest, sig)
    }

    /// `verify_prehash` with G's table given: none (it could not be built)
    /// refuses every signature.
    fn verify_with(&self, g: Option<&Table>, digest: &[u8; 32], sig: &[u8]) -> bool {
        let Some(g) = g else {
            return false;
        };
        let Ok(sig) = <&[u8; 64]>::try_from(sig) else {
            return false;
        };
        let (r_be, s_be) = sig.split_at(32);
        let (Ok(r_be), Ok(s_be)) = (<&[u8; 32]>::try_from(r_be), <&[u8; 32]>::try_from(s_be))
        else {
            return false;
        };
        let (r, s) = (from_be(r_be), from_be(s_be));
        if is_zero(&r) || is_zero(&s) || !less(&r, &N) || !less(&s, &N) {
            return false;
        }
        // e = digest mod n: one subtraction suffices as n > 2²⁵⁵.
        let mut e = from_be(digest);
        if !less(&e, &N) {
            e = sub_raw(&e, &N).0;
        }
        let w = inv_mod_n(&s);
        let u1 = mul_mod_n(&e, &w);
        let u2 = mul_mod_n(&r, &w);
        let mut acc = IDENTITY;
        g.add_multiple(&mut acc, &u1);
        self.table.add_multiple(&mut acc, &u2);
        if acc.is_identity() {
            return false;
        }
        // x(R) mod n = r ⇔ X = r'·Z² for r' = r or r + n (when below p), the
        // affine x being X/Z² < p.
        let zz = fe::sqr(&acc.z);
        if fe::mul(&r, &zz) == acc.x {
            return true;
        }
        match add_raw(&r, &N) {
            (rn, false) if less(&rn, &P) => fe::mul(&rn, &zz) == acc.x,
            _ => false,
        }
    }
}
