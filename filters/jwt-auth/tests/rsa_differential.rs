//! The purpose-written RSA verifier (`rsa.rs`) against the `rsa` crate on
//! real keys of 2048 to 4096 bits (2128: a whole number of 28-bit limbs, so
//! a product can carry out of the top limb), every JWS algorithm, and the edge signatures: both verifiers
//! must give the same answer on every input, valid signatures verify and
//! every corruption fails. Natively this runs the portable row of
//! `montgomery.rs`; `wasm_rsa.rs` runs the module's SIMD row.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use jwt_auth::rsa::{Hash, RsaPublic};
use rand::{Rng, RngExt};
use rsa::sha2::{Sha256, Sha384, Sha512};
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use rsa::{pkcs1v15, pss, RsaPrivateKey};
use support::Key;

const ALGS: [(&str, Hash, bool); 6] = [
    ("RS256", Hash::Sha256, false),
    ("RS384", Hash::Sha384, false),
    ("RS512", Hash::Sha512, false),
    ("PS256", Hash::Sha256, true),
    ("PS384", Hash::Sha384, true),
    ("PS512", Hash::Sha512, true),
];

fn ours(public: &RsaPublic, alg: &str, msg: &[u8], sig: &[u8]) -> bool {
    let (_, hash, pss) = ALGS.iter().find(|(a, ..)| *a == alg).unwrap();
    if *pss {
        public.verify_pss(*hash, msg, sig)
    } else {
        public.verify_pkcs1(*hash, msg, sig)
    }
}

fn theirs(private: &RsaPrivateKey, alg: &str, msg: &[u8], sig: &[u8]) -> bool {
    let key = private.to_public_key();
    macro_rules! check {
        ($scheme:ident, $hash:ty) => {
            $scheme::Signature::try_from(sig).is_ok_and(|s| {
                $scheme::VerifyingKey::<$hash>::new(key.clone())
                    .verify(msg, &s)
                    .is_ok()
            })
        };
    }
    match alg {
        "RS256" => check!(pkcs1v15, Sha256),
        "RS384" => check!(pkcs1v15, Sha384),
        "RS512" => check!(pkcs1v15, Sha512),
        "PS256" => check!(pss, Sha256),
        "PS384" => check!(pss, Sha384),
        "PS512" => check!(pss, Sha512),
        _ => panic!("{alg}"),
    }
}

/// Signatures that are not the signer's: zero, one, n − 1, n, all ones.
fn edge_signatures(n: &[u8]) -> Vec<Vec<u8>> {
    let k = n.len();
    let mut one = vec![0u8; k];
    one[k - 1] = 1;
    let mut n_minus_1 = n.to_vec();
    n_minus_1[k - 1] ^= 1;
    vec![vec![0; k], one, n_minus_1, n.to_vec(), vec![0xff; k]]
}

#[test]
fn agrees_with_the_rsa_crate_on_real_and_corrupted_signatures() {
    let mut rng = rand::rng();
    for bits in [2048, 2128, 3072, 4096] {
        let key = support::rsa("differential", bits);
        let Key::Rsa(private) = &key else {
            panic!("an RSA key")
        };
        let public = RsaPublic::new(&private.n_bytes(), &private.e_bytes()).unwrap();
        assert_eq!(public.bits(), bits);
        for (alg, ..) in ALGS {
            for _ in 0..3 {
                let mut msg = vec![0u8; rng.random_range(1..300)];
                rng.fill_bytes(&mut msg);
                let sig = key.sign(alg, &msg);
                let mut bad = sig.clone();
                let i = rng.random_range(0..bad.len());
                bad[i] ^= 1 << rng.random_range(0..8);
                let mut other = msg.clone();
                other[0] ^= 1;
                let mut cases = vec![
                    (msg.clone(), sig.clone(), true),
                    (msg.clone(), bad, false),
                    (other, sig.clone(), false),
                    (msg.clone(), sig[1..].to_vec(), false),
                ];
                for s in edge_signatures(&private.n_bytes()) {
                    cases.push((msg.clone(), s, false));
                }
                for (m, s, valid) in cases {
                    assert_eq!(ours(&public, alg, &m, &s), valid, "{alg} {bits}");
                    assert_eq!(theirs(private, alg, &m, &s), valid, "{alg} {bits}");
                }
            }
        }
    }
}

#[test]
fn a_signature_with_leading_zero_bytes_verifies() {
    let key = support::rsa("differential", 2048);
    let Key::Rsa(private) = &key else {
        panic!("an RSA key")
    };
    let public = RsaPublic::new(&private.n_bytes(), &private.e_bytes()).unwrap();
    // About one signature in 256 starts with a zero byte.
    let (msg, sig) = (0u32..)
        .map(|i| {
            let msg = format!("message {i}").into_bytes();
            let sig = key.sign("RS256", &msg);
            (msg, sig)
        })
        .find(|(_, sig)| sig[0] == 0)
        .unwrap();
    assert_eq!(sig.len(), 256);
    assert!(ours(&public, "RS256", &msg, &sig));
    assert!(theirs(private, "RS256", &msg, &sig));
    // Without the zero byte it has the wrong length: both refuse it.
    assert!(!ours(&public, "RS256", &msg, &sig[1..]));
    assert!(!theirs(private, "RS256", &msg, &sig[1..]));
}
