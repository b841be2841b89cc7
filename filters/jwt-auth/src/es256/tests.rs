use super::field as fe;
use super::point::*;
use super::scalar::*;
use super::table::*;
use super::u256::*;
use super::*;

fn to_big(x: &U256) -> Vec<u8> {
    x.iter().rev().flat_map(|l| l.to_be_bytes()).collect()
}

/// A deterministic stream of 256-bit numbers below `m`.
fn numbers(m: &U256, count: usize) -> Vec<U256> {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    (0..count)
        .map(|_| {
            let mut x = ZERO;
            for l in x.iter_mut() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *l = (seed >> 32) as u32;
            }
            // Also the extremes: all ones below m, tiny values.
            match x[0] % 7 {
                0 => sub_raw(m, &ONE).0,
                1 => [x[1] % 3, 0, 0, 0, 0, 0, 0, 0],
                _ if less(&x, m) => x,
                _ => sub_raw(&x, m).0,
            }
        })
        .collect()
}

/// a·b mod m by shift-and-add (slow, obviously right).
fn mul_slow(a: &U256, b: &U256, m: &U256) -> U256 {
    let mut acc = ZERO;
    for limb in b.iter().rev() {
        for bit in (0..32).rev() {
            acc = add_mod(&acc, &acc, m);
            if limb >> bit & 1 == 1 {
                acc = add_mod(&acc, a, m);
            }
        }
    }
    acc
}

#[test]
fn field_multiplication_matches_shift_and_add() {
    let xs = numbers(&P, 300);
    for pair in xs.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let expect = mul_slow(a, b, &P);
        assert_eq!(fe::mul(a, b), expect);
        assert_eq!(fe::mul(b, a), expect);
        assert_eq!(fe::sqr(a), mul_slow(a, a, &P));
    }
    for a in xs.iter().take(20).filter(|a| !is_zero(a)) {
        assert_eq!(fe::mul(a, &fe::inv(a)), ONE);
    }
}

#[test]
fn scalar_arithmetic_matches_shift_and_add() {
    // R² mod n by doubling 1 512 times.
    let mut x = ONE;
    for _ in 0..512 {
        x = add_mod(&x, &x, &N);
    }
    assert_eq!(x, N_RR);
    let [n0, ..] = N;
    assert_eq!(n0.wrapping_mul(N0INV.wrapping_neg()), 1);
    let xs = numbers(&N, 200);
    for pair in xs.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert_eq!(mul_mod_n(a, b), mul_slow(a, b, &N));
        if !is_zero(a) {
            assert_eq!(mul_mod_n(a, &inv_mod_n(a)), ONE, "{a:x?}");
        }
    }
    assert_eq!(inv_mod_n(&ONE), ONE);
    let n1 = sub_raw(&N, &ONE).0;
    assert_eq!(inv_mod_n(&n1), n1);
}

#[test]
fn digits_cover_every_bit_once() {
    for k in numbers(&N, 20) {
        for width in [4, 5, 7] {
            let mut rebuilt = ZERO;
            for i in 0..256usize.div_ceil(width) {
                let d = digit(&k, i * width, width);
                assert!(d < 1 << width);
                for b in 0..width {
                    let bit = i * width + b;
                    if d >> b & 1 == 1 {
                        assert!(bit < 256);
                        rebuilt[bit / 32] |= 1 << (bit % 32);
                    }
                }
            }
            assert_eq!(rebuilt, k);
        }
    }
}

#[test]
fn generator_is_on_the_curve_and_has_order_n() {
    let g = |b: &U256| {
        let bytes = to_big(b);
        <[u8; 32]>::try_from(bytes.as_slice()).unwrap()
    };
    assert!(PublicKey::from_coordinates(&g(&GX), &g(&GY)).is_some());
    // n·G = identity: (n-1)·G + G.
    let mut acc = IDENTITY;
    let nm1 = sub_raw(&N, &ONE).0;
    generator_table().unwrap().add_multiple(&mut acc, &nm1);
    assert!(!acc.is_identity());
    let gpt = generator_table().unwrap().points[0];
    assert!(acc.add_affine(&gpt).is_identity());
}

/// Issue 15: without G's table nothing verifies, not even a good signature.
#[test]
fn without_the_generator_table_every_signature_is_refused() {
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::{Signature, SigningKey};
    let sk = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let point = sk.verifying_key().to_sec1_point(false);
    let x: [u8; 32] = point.x().unwrap().as_slice().try_into().unwrap();
    let y: [u8; 32] = point.y().unwrap().as_slice().try_into().unwrap();
    let key = PublicKey::from_coordinates(&x, &y).unwrap();
    let msg = b"header.payload";
    let sig: Signature = sk.sign(msg);
    let digest: [u8; 32] = Sha256::digest(msg).into();
    let sig = sig.to_bytes();
    assert!(key.verify_with(generator_table(), &digest, &sig));
    assert!(!key.verify_with(None, &digest, &sig));
}
