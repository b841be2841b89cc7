//! How an RSA signature is verified (RSASSA-PKCS1-v1_5 and RSASSA-PSS, RFC
//! 8017). Purpose-written for the public-key operation only: every input is
//! public, so nothing here needs to be constant-time. Limbs are 32 bits
//! because wasm has a native 32×32→64 multiply but no 64×64→128 one; that is
//! what makes this fast in V8. Measured and not kept: 27-bit limbs with
//! deferred carries, scalar or with wasm SIMD128 `extmul` (the SIMD one is
//! 1.5× faster in Node 20's V8 but slower in Envoy 1.40's V8 14.6), and
//! 31-bit limbs with one carry chain (slower in Node).

use sha2::{Digest, Sha256, Sha384, Sha512};

/// The smallest modulus accepted at configuration time.
pub const MIN_BITS: usize = 2048;
/// The largest modulus accepted (keeps the per-request work bounded).
pub const MAX_BITS: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn digest_parts(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            d.finalize().to_vec()
        }
        match self {
            Hash::Sha256 => run::<Sha256>(parts),
            Hash::Sha384 => run::<Sha384>(parts),
            Hash::Sha512 => run::<Sha512>(parts),
        }
    }

    fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    /// DER DigestInfo prefix (RFC 8017 §9.2 note 1).
    fn digest_info(self) -> &'static [u8] {
        match self {
            Hash::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Hash::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Hash::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}

/// An RSA public key with its Montgomery constants computed once.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublic {
    /// Modulus, little-endian 32-bit limbs, top limb non-zero.
    n: Vec<u32>,
    /// -n⁻¹ mod 2³².
    n0inv: u32,
    /// R² mod n with R = 2^(32·len).
    rr: Vec<u32>,
    e: u32,
    bits: usize,
}

impl std::fmt::Debug for RsaPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPublic({} bits, e={})", self.bits, self.e)
    }
}

impl RsaPublic {
    /// From big-endian modulus and exponent bytes (JWK `n`, `e`).
    pub fn new(n_be: &[u8], e_be: &[u8]) -> Result<Self, String> {
        let n = limbs_from_be(n_be);
        let bits = bit_len(&n);
        if bits < MIN_BITS {
            return Err(format!(
                "RSA modulus of {bits} bits is too small (at least {MIN_BITS})"
            ));
        }
        if bits > MAX_BITS {
            return Err(format!(
                "RSA modulus of {bits} bits is too large (at most {MAX_BITS})"
            ));
        }
        let n0 = n.first().copied().unwrap_or(0);
        if n0 & 1 == 0 {
            return Err("RSA modulus must be odd".into());
        }
        let e_limbs = limbs_from_be(e_be);
        let e = match e_limbs.as_slice() {
            [e] if *e >= 3 && e & 1 == 1 => *e,
            _ => return Err("RSA exponent must be odd, at least 3 and below 2^32".into()),
        };
        // Newton iteration: each step doubles the number of correct low bits.
        let mut inv: u32 = 1;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u32.wrapping_sub(n0.wrapping_mul(inv)));
        }
        let mut rr = vec![0u32; n.len()];
        if let Some(first) = rr.first_mut() {
            *first = 1;
        }
        for _ in 0..(64 * n.len()) {
            double_mod(&mut rr, &n);
        }
        Ok(RsaPublic {
            n0inv: inv.wrapping_neg(),
            n,
            rr,
            e,
            bits,
        })
    }

    pub fn bits(&self) -> usize {
        self.bits
    }

    fn byte_len(&self) -> usize {
        self.bits.div_ceil(8)
    }

    /// s^e mod n as `byte_len` big-endian bytes; `None` unless the signature
    /// has exactly the modulus length and is below the modulus.
    fn public_op(&self, sig: &[u8]) -> Option<Vec<u8>> {
        if sig.len() != self.byte_len() {
            return None;
        }
        let s = limbs_from_be(sig);
        let s = pad(s, self.n.len());
        if compare(&s, &self.n) != std::cmp::Ordering::Less {
            return None;
        }
        let len = self.n.len();
        let (n, n0inv) = (&self.n, self.n0inv);
        let mut scratch = vec![0u32; 2 * len];
        let mut base = vec![0u32; len];
        mont_mul(&mut base, &s, &self.rr, n, n0inv, &mut scratch);
        let mut acc = base.clone();
        let mut tmp = vec![0u32; len];
        let top = 31 - self.e.leading_zeros();
        for bit in (1..top).rev() {
            mont_mul(&mut tmp, &acc, &acc, n, n0inv, &mut scratch);
            if self.e >> bit & 1 == 1 {
                mont_mul(&mut acc, &tmp, &base, n, n0inv, &mut scratch);
            } else {
                std::mem::swap(&mut acc, &mut tmp);
            }
        }
        // Bit 0 is set (e is odd): multiplying by s itself rather than s·R
        // also leaves the Montgomery domain.
        mont_mul(&mut tmp, &acc, &acc, n, n0inv, &mut scratch);
        mont_mul(&mut acc, &tmp, &s, n, n0inv, &mut scratch);
        let tmp = acc;
        Some(limbs_to_be(&tmp, self.byte_len()))
    }

    /// RSASSA-PKCS1-v1_5 verification: the whole encoded message is rebuilt
    /// and compared, so no parsing of attacker-chosen padding happens.
    pub fn verify_pkcs1(&self, hash: Hash, message: &[u8], sig: &[u8]) -> bool {
        let Some(em) = self.public_op(sig) else {
            return false;
        };
        let info = hash.digest_info();
        let digest = hash.digest(message);
        let k = self.byte_len();
        let t_len = info.len() + digest.len();
        if k < t_len + 11 {
            return false;
        }
        let mut expected = Vec::with_capacity(k);
        expected.extend_from_slice(&[0x00, 0x01]);
        expected.resize(k - t_len - 1, 0xff);
        expected.push(0x00);
        expected.extend_from_slice(info);
        expected.extend_from_slice(&digest);
        em == expected
    }

    /// RSASSA-PSS verification with MGF1 over the same hash and a salt as long
    /// as the hash (RFC 7518 §3.5).
    pub fn verify_pss(&self, hash: Hash, message: &[u8], sig: &[u8]) -> bool {
        let Some(em_full) = self.public_op(sig) else {
            return false;
        };
        let em_bits = self.bits - 1;
        let em_len = em_bits.div_ceil(8);
        let h_len = hash.len();
        // When modBits - 1 is a multiple of 8 the leading byte must be zero.
        let (lead, em) = em_full.split_at(em_full.len() - em_len);
        if lead.iter().any(|&b| b != 0) || em_len < 2 * h_len + 2 {
            return false;
        }
        let (masked_db, rest) = em.split_at(em_len - h_len - 1);
        let (h, trailer) = rest.split_at(h_len);
        if trailer != [0xbc] {
            return false;
        }
        let top_mask = 0xffu8 >> (8 * em_len - em_bits);
        if masked_db.first().is_some_and(|&b| b & !top_mask != 0) {
            return false;
        }
        let mut db = mgf1(hash, h, masked_db.len());
        db.iter_mut().zip(masked_db).for_each(|(d, m)| *d ^= m);
        if let Some(first) = db.first_mut() {
            *first &= top_mask;
        }
        let ps_len = db.len() - h_len - 1;
        let (ps, rest) = db.split_at(ps_len);
        let Some((&one, salt)) = rest.split_first() else {
            return false;
        };
        if ps.iter().any(|&b| b != 0) || one != 0x01 {
            return false;
        }
        let m_hash = hash.digest(message);
        let h2 = hash.digest_parts(&[&[0u8; 8], &m_hash, salt]);
        h2 == h
    }
}

fn mgf1(hash: Hash, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut counter: u32 = 0;
    while out.len() < len {
        out.extend_from_slice(&hash.digest_parts(&[seed, &counter.to_be_bytes()]));
        counter += 1;
    }
    out.truncate(len);
    out
}

fn limbs_from_be(bytes: &[u8]) -> Vec<u32> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let bytes = bytes.get(start..).unwrap_or_default();
    bytes
        .rchunks(4)
        .map(|c| c.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)))
        .collect()
}

fn limbs_to_be(limbs: &[u32], len: usize) -> Vec<u8> {
    let mut out: Vec<u8> = limbs.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
    let extra = out.len().saturating_sub(len);
    out.drain(..extra);
    out
}

fn pad(mut limbs: Vec<u32>, len: usize) -> Vec<u32> {
    limbs.resize(len.max(limbs.len()), 0);
    limbs
}

fn bit_len(limbs: &[u32]) -> usize {
    match limbs.iter().rposition(|&l| l != 0) {
        Some(i) => i * 32 + (32 - limbs.get(i).map_or(32, |l| l.leading_zeros() as usize)),
        None => 0,
    }
}

fn compare(a: &[u32], b: &[u32]) -> std::cmp::Ordering {
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .map(|(x, y)| x.cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// a -= b (same length); returns the borrow.
fn sub_in_place(a: &mut [u32], b: &[u32]) -> bool {
    let mut borrow = 0u64;
    for (x, &y) in a.iter_mut().zip(b) {
        let d = u64::from(*x)
            .wrapping_sub(u64::from(y))
            .wrapping_sub(borrow);
        *x = d as u32;
        borrow = d >> 63;
    }
    borrow != 0
}

/// x = 2x mod n, for x < n.
fn double_mod(x: &mut [u32], n: &[u32]) {
    let mut carry = 0u32;
    for l in x.iter_mut() {
        let next = *l >> 31;
        *l = *l << 1 | carry;
        carry = next;
    }
    if carry != 0 || compare(x, n) != std::cmp::Ordering::Less {
        sub_in_place(x, n);
    }
}

/// One limb of a row: t += a·b_i + m·n with the two carry chains.
#[inline(always)]
fn step(tj: &mut u32, aj: u32, nj: u32, bi: u64, m: u64, c1: &mut u64, c2: &mut u64) {
    let s1 = u64::from(*tj) + u64::from(aj) * bi + *c1;
    *c1 = s1 >> 32;
    let s2 = (s1 & 0xffff_ffff) + m * u64::from(nj) + *c2;
    *c2 = s2 >> 32;
    *tj = s2 as u32;
}

/// out = a·b·R⁻¹ mod n (CIOS Montgomery multiplication, a, b < n). Row i
/// adds a·b[i] + m·n in place at `t[i..]`, m chosen so that t[i] becomes
/// zero. Rows go in pairs, row i + 1 one limb behind row i (its m needs row
/// i's limb 1 first): each t limb is then loaded and stored once per pair,
/// which is what V8 spends most of its time on. An odd last row goes alone.
/// `t` is scratch of twice n's length.
fn mont_mul(out: &mut [u32], a: &[u32], b: &[u32], n: &[u32], n0inv: u32, t: &mut [u32]) {
    t.iter_mut().for_each(|l| *l = 0);
    let len = n.len();
    let (Some(&a0), Some(&n0)) = (a.first(), n.first()) else {
        return;
    };
    let lift = |x: u32| u64::from(x);
    // Carry out of the last row's top limb, due one limb higher.
    let mut extra = 0u64;
    let mut rows = b.chunks_exact(2);
    for (pair, i) in (&mut rows).zip((0..).step_by(2)) {
        let &[bi, bj] = pair else {
            return;
        };
        let (bi, bj) = (lift(bi), lift(bj));
        let Some(w) = t.get_mut(i..i + len + 2) else {
            return;
        };
        let Some(([w0, w1], body)) = w.split_first_chunk_mut::<2>() else {
            return;
        };
        let (mut c1, mut c2, mut d1, mut d2) = (0u64, 0u64, 0u64, 0u64);
        let m = lift(((lift(*w0) + lift(a0) * bi) as u32).wrapping_mul(n0inv));
        step(w0, a0, n0, bi, m, &mut c1, &mut c2);
        let (a1, n1) = (
            a.get(1).copied().unwrap_or(0),
            n.get(1).copied().unwrap_or(0),
        );
        step(w1, a1, n1, bi, m, &mut c1, &mut c2);
        let m1 = lift(((lift(*w1) + lift(a0) * bj) as u32).wrapping_mul(n0inv));
        step(w1, a0, n0, bj, m1, &mut d1, &mut d2);
        let Some((body, top)) = body.split_at_mut_checked(len.saturating_sub(2)) else {
            return;
        };
        let ahead = a.iter().zip(n).skip(2);
        let behind = a.iter().zip(n).skip(1);
        for ((tj, (&aj, &nj)), (&ak, &nk)) in body.iter_mut().zip(ahead).zip(behind) {
            step(tj, aj, nj, bi, m, &mut c1, &mut c2);
            step(tj, ak, nk, bj, m1, &mut d1, &mut d2);
        }
        if let [t_top, t_top1] = top {
            let s = lift(*t_top) + c1 + c2 + extra;
            *t_top = s as u32;
            let (al, nl) = (
                a.last().copied().unwrap_or(0),
                n.last().copied().unwrap_or(0),
            );
            step(t_top, al, nl, bj, m1, &mut d1, &mut d2);
            let s2 = lift(*t_top1) + d1 + d2 + (s >> 32);
            *t_top1 = s2 as u32;
            extra = s2 >> 32;
        }
    }
    if let [bi] = rows.remainder() {
        let i = len - 1;
        let bi = lift(*bi);
        let Some((row, top)) = t.get_mut(i..=i + len).map(|w| w.split_at_mut(len)) else {
            return;
        };
        let t0 = lift(row.first().copied().unwrap_or(0));
        let m = lift(((t0 + lift(a0) * bi) as u32).wrapping_mul(n0inv));
        let (mut c1, mut c2) = (0u64, 0u64);
        for ((tj, &aj), &nj) in row.iter_mut().zip(a).zip(n) {
            step(tj, aj, nj, bi, m, &mut c1, &mut c2);
        }
        if let Some(tt) = top.first_mut() {
            let s = lift(*tt) + c1 + c2 + extra;
            *tt = s as u32;
            extra = s >> 32;
        }
    }
    out.copy_from_slice(t.get(len..2 * len).unwrap_or_default());
    if extra != 0 || compare(out, n) != std::cmp::Ordering::Less {
        sub_in_place(out, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_u128(limbs: &[u32]) -> u128 {
        limbs
            .iter()
            .rev()
            .fold(0u128, |acc, &l| acc << 32 | u128::from(l))
    }

    #[test]
    fn montgomery_multiplication_matches_plain_arithmetic() {
        // A 96-bit odd modulus in three limbs, checked against u128 arithmetic.
        let n_val: u128 = 0xc5a3_9f1e_77d2_4b61_0e3d_8a95;
        let n: Vec<u32> = vec![n_val as u32, (n_val >> 32) as u32, (n_val >> 64) as u32];
        let mut inv: u32 = 1;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u32.wrapping_sub(n[0].wrapping_mul(inv)));
        }
        let n0inv = inv.wrapping_neg();
        let mut rr = vec![1u32, 0, 0];
        for _ in 0..(64 * 3) {
            double_mod(&mut rr, &n);
        }
        let mut scratch = vec![0u32; 6];
        let mut one = vec![1u32, 0, 0];
        let mut seed = 0x1234_5678_9abc_def0_u128;
        for _ in 0..200 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = seed % n_val;
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let b = seed % n_val;
            let al = vec![a as u32, (a >> 32) as u32, (a >> 64) as u32];
            let bl = vec![b as u32, (b >> 32) as u32, (b >> 64) as u32];
            let (mut am, mut bm, mut pm, mut p) = (vec![0; 3], vec![0; 3], vec![0; 3], vec![0; 3]);
            mont_mul(&mut am, &al, &rr, &n, n0inv, &mut scratch);
            mont_mul(&mut bm, &bl, &rr, &n, n0inv, &mut scratch);
            mont_mul(&mut pm, &am, &bm, &n, n0inv, &mut scratch);
            mont_mul(&mut p, &pm, &one, &n, n0inv, &mut scratch);
            // (a·b) mod n via u128 with a shift-and-add to avoid overflow.
            let mut expect = 0u128;
            for i in (0..96).rev() {
                expect = (expect << 1) % n_val;
                if b >> i & 1 == 1 {
                    expect = (expect + a) % n_val;
                }
            }
            assert_eq!(to_u128(&p), expect);
        }
        one[0] = 0;
    }

    #[test]
    fn limb_conversions_round_trip() {
        let bytes = [0u8, 0, 1, 2, 3, 4, 5, 6, 7];
        let limbs = limbs_from_be(&bytes);
        assert_eq!(limbs, vec![0x0405_0607, 0x0001_0203]);
        assert_eq!(limbs_to_be(&pad(limbs, 3), 7), vec![1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(bit_len(&[0, 1]), 33);
    }

    #[test]
    fn refuses_small_even_and_odd_exponent_keys() {
        let mut n = vec![0xffu8; 128];
        n[127] = 0xfb;
        assert!(RsaPublic::new(&n, &[1, 0, 1])
            .unwrap_err()
            .contains("1024 bits"));
        let mut n = vec![0xffu8; 256];
        n[255] = 0xfe;
        assert!(RsaPublic::new(&n, &[1, 0, 1]).unwrap_err().contains("odd"));
        n[255] = 0xfb;
        assert!(RsaPublic::new(&n, &[1, 0, 0]).is_err());
        assert!(RsaPublic::new(&n, &[1]).is_err());
        assert!(RsaPublic::new(&n, &[1, 0, 0, 0, 1]).is_err());
        assert_eq!(RsaPublic::new(&n, &[1, 0, 1]).unwrap().bits(), 2048);
    }

    /// s^e mod n against the `rsa` crate's public operation, for random odd
    /// moduli of many sizes (any odd modulus exercises the arithmetic), small
    /// and large exponents, random bases and the edge bases.
    #[test]
    fn public_operation_matches_the_rsa_crate() {
        use rand::{Rng, RngExt};
        use rsa::{traits::PublicKeyParts, BoxedUint, RsaPublicKey};
        // Square-and-multiply on the crate's modular multiplication.
        let pow = |key: &RsaPublicKey, s: &BoxedUint, e: u32| {
            let mut acc = s.clone();
            for bit in (0..31 - e.leading_zeros()).rev() {
                acc = acc.mul_mod(&acc, key.n());
                if e >> bit & 1 == 1 {
                    acc = acc.mul_mod(s, key.n());
                }
            }
            acc
        };
        let mut rng = rand::rng();
        let sizes = [
            2048, 2049, 2055, 2056, 2063, 2100, 3072, 3073, 4096, 4097, 6000, 8192,
        ];
        for (round, bits) in sizes.into_iter().enumerate() {
            let mut n_be = vec![0u8; bits / 8 + usize::from(bits % 8 != 0)];
            rng.fill_bytes(&mut n_be);
            n_be[0] &= 0xffu8 >> (8 * n_be.len() - bits);
            n_be[0] |= 0x80u8 >> (8 * n_be.len() - bits);
            *n_be.last_mut().unwrap() |= 1;
            let e: u32 = match round % 3 {
                0 => 65537,
                1 => 3,
                _ => rng.random::<u32>() | 1 | 1 << 31,
            };
            let key = RsaPublic::new(&n_be, &e.to_be_bytes()).unwrap();
            assert_eq!(key.bits(), bits);
            let precision = (n_be.len() * 8).next_multiple_of(64) as u32;
            let theirs = RsaPublicKey::new_unchecked(
                BoxedUint::from_be_slice(&n_be, precision).unwrap(),
                BoxedUint::from(u64::from(e)),
            );
            let mut n_minus_1 = n_be.clone();
            *n_minus_1.last_mut().unwrap() ^= 1;
            let mut bases = vec![vec![0u8; n_be.len()], n_minus_1];
            bases[0][n_be.len() - 1] = 1;
            bases.push(vec![0u8; n_be.len()]);
            for _ in 0..6 {
                let mut s = vec![0u8; n_be.len()];
                rng.fill_bytes(&mut s);
                s[0] &= n_be[0] >> 1;
                bases.push(s);
            }
            for s in bases {
                let s_big = BoxedUint::from_be_slice(&s, precision).unwrap();
                let expect = pow(&theirs, &s_big, e).to_be_bytes();
                let ours = key.public_op(&s).unwrap();
                assert_eq!(
                    ours[..],
                    expect[expect.len() - ours.len()..],
                    "{bits} bits, e={e}"
                );
            }
            // The modulus and anything above it is refused, as is a wrong length.
            assert_eq!(key.public_op(&n_be), None);
            assert_eq!(key.public_op(&vec![0xff; n_be.len()]), None);
            assert_eq!(key.public_op(&n_be[1..]), None);
        }
    }
}
