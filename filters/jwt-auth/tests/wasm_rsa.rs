//! RSA inside the built module (dist/jwt_auth.wasm in testhost). The module
//! multiplies with wasm SIMD (`montgomery.rs`, `add_row` for wasm32), which
//! the native tests never run: here every validly signed token of real keys
//! from 2048 to 4096 bits must pass (2128: a whole number of 28-bit limbs,
//! so a product can carry out of the top limb), and every corrupted or edge
//! signature must get 401. The host has no `verify_signature` here, so the
//! module's own code (the fallback) verifies.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use rsa::traits::PublicKeyParts;
use serde_json::json;
use std::time::{Duration, UNIX_EPOCH};
use support::*;
use testhost::Host;

fn host(key: &Key) -> Host {
    let jwks = jwks(&[key.jwk(None, None)]);
    let config = format!(r#"{{"jwtRules":[{{"issuer":"{ISS}","jwks":{jwks:?}}}]}}"#);
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.set_verify_signature(testhost::VerifySignature::Absent);
    h.config(config).unwrap_or_else(|e| panic!("{e}"))
}

fn status(h: &mut Host, token: &str) -> u32 {
    let (action, s) = bearer_get(h, token);
    status_of(action, &s)
}

fn with_signature(token: &str, sig: &[u8]) -> String {
    let (input, _) = token.rsplit_once('.').unwrap();
    format!("{input}.{}", b64(sig))
}

#[test]
fn the_module_accepts_every_valid_rsa_signature_and_refuses_every_altered_one() {
    for bits in [2048, 2128, 3072, 4096] {
        let key = rsa("differential", bits);
        let Key::Rsa(private) = &key else {
            panic!("an RSA key")
        };
        let n = private.n_bytes().to_vec();
        let mut h = host(&key);
        for alg in ["RS256", "PS256", "RS384", "PS512"] {
            for i in 0..4 {
                let mut c = claims();
                c["jti"] = json!(format!("{alg}-{i}"));
                let good = token(&key, &json!({"alg": alg, "typ": "JWT"}), &c);
                assert_eq!(status(&mut h, &good), 200, "{alg} {bits} valid #{i}");

                let sig =
                    jwt_auth::b64::decode(good.rsplit_once('.').unwrap().1.as_bytes()).unwrap();
                let mut flipped = sig.clone();
                flipped[(i * 37 + 5) % sig.len()] ^= 1 << (i % 8);
                let mut n_minus_1 = n.clone();
                *n_minus_1.last_mut().unwrap() ^= 1;
                let mut one = vec![0u8; n.len()];
                *one.last_mut().unwrap() = 1;
                let altered = [
                    ("one bit flipped", flipped),
                    ("zero", vec![0u8; n.len()]),
                    ("one", one),
                    ("n - 1", n_minus_1),
                    ("n", n.clone()),
                    ("all ones", vec![0xff; n.len()]),
                ];
                for (what, bad) in altered {
                    let forged = with_signature(&good, &bad);
                    assert_eq!(status(&mut h, &forged), 401, "{alg} {bits}: {what}");
                }
            }
        }
    }
}
