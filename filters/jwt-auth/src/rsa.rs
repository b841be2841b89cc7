//! How an RSA signature is verified (RSASSA-PKCS1-v1_5 and RSASSA-PSS, RFC
//! 8017). Purpose-written for the public-key operation only; the modular
//! arithmetic is in `montgomery.rs`.

use crate::montgomery::Modulus;
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
    modulus: Modulus,
    /// Big-endian modulus without leading zero bytes.
    n_be: Vec<u8>,
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
        let n_be = strip_leading_zeros(n_be);
        let bits = n_be
            .first()
            .map_or(0, |&top| 8 * n_be.len() - top.leading_zeros() as usize);
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
        let Some(modulus) = Modulus::new(n_be) else {
            return Err("RSA modulus must be odd".into());
        };
        let e_be = strip_leading_zeros(e_be);
        let e = match e_be.len() {
            0..=4 => e_be.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)),
            _ => 0,
        };
        if e < 3 || e & 1 == 0 {
            return Err("RSA exponent must be odd, at least 3 and below 2^32".into());
        }
        Ok(RsaPublic {
            modulus,
            n_be: n_be.to_vec(),
            e,
            bits,
        })
    }

    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Bytes of the modulus: the one length a signature may have.
    pub fn modulus_len(&self) -> usize {
        self.n_be.len()
    }

    fn byte_len(&self) -> usize {
        self.bits.div_ceil(8)
    }

    /// s^e mod n as `byte_len` big-endian bytes; `None` unless the signature
    /// has exactly the modulus length and is below the modulus.
    fn public_op(&self, sig: &[u8]) -> Option<Vec<u8>> {
        // Same length, big-endian: byte order is numeric order.
        if sig.len() != self.n_be.len() || sig >= self.n_be.as_slice() {
            return None;
        }
        Some(self.modulus.pow(sig, self.e, self.byte_len()))
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

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    /// and large exponents, random bases and the edge bases. 2128, 4144 and
    /// 8176 bits fill their 28-bit limbs exactly (R < 2n), so the final
    /// subtraction also sees a carry out of the top limb.
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
            2048, 2049, 2055, 2056, 2063, 2100, 2128, 3072, 3073, 4096, 4097, 4144, 6000, 8176,
            8192,
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
