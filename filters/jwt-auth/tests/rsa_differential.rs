//! The purpose-written RSA verifier (`rsa.rs`) on real keys from the `rsa`
//! crate, including a modulus whose limb count is not a multiple of the
//! unrolled loop's eight: valid signatures verify, every corruption fails.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use jwt_auth::rsa::{Hash, RsaPublic};
use rand::{Rng, RngExt};
use rsa::traits::PublicKeyParts;
use support::Key;

#[test]
fn verifies_real_signatures_and_refuses_corrupted_ones() {
    let mut rng = rand::rng();
    for bits in [2048, 2056] {
        let key = support::rsa("differential", bits);
        let Key::Rsa(private) = &key else {
            panic!("an RSA key")
        };
        let public = RsaPublic::new(&private.n_bytes(), &private.e_bytes()).unwrap();
        assert_eq!(public.bits(), bits);
        for (alg, hash, pss) in [
            ("RS256", Hash::Sha256, false),
            ("RS512", Hash::Sha512, false),
            ("PS256", Hash::Sha256, true),
        ] {
            for _ in 0..4 {
                let mut msg = vec![0u8; rng.random_range(1..300)];
                rng.fill_bytes(&mut msg);
                let sig = key.sign(alg, &msg);
                let verify = |m: &[u8], s: &[u8]| {
                    if pss {
                        public.verify_pss(hash, m, s)
                    } else {
                        public.verify_pkcs1(hash, m, s)
                    }
                };
                assert!(verify(&msg, &sig), "{alg} {bits}");
                let mut bad = sig.clone();
                let i = rng.random_range(0..bad.len());
                bad[i] ^= 1 << rng.random_range(0..8);
                assert!(!verify(&msg, &bad), "{alg} {bits}");
                let mut other = msg.clone();
                other[0] ^= 1;
                assert!(!verify(&other, &sig), "{alg} {bits}");
                assert!(!verify(&msg, &sig[1..]), "{alg} {bits}");
                assert!(!verify(&msg, &private.n_bytes()), "{alg} {bits}");
            }
        }
    }
}
