//! Test keys and token minting shared by the jwt-auth tests. Keys are
//! generated here; RSA keys are slow to generate in debug builds, so each is
//! generated once and kept under `target/jwt-auth-test-keys/`.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use std::path::PathBuf;

pub use jwt_auth::b64::encode as b64;

pub const ISS: &str = "https://auth.example.com";
pub const NOW: i64 = 1_700_000_000;

pub enum Key {
    Rsa(Box<RsaPrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    Ed(ed25519_dalek::SigningKey),
    Hmac(Vec<u8>),
}

fn key_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/jwt-auth-test-keys");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn rsa(name: &str, bits: usize) -> Key {
    let path = key_dir().join(format!("{name}-{bits}.der"));
    if let Ok(der) = std::fs::read(&path) {
        if let Ok(k) = RsaPrivateKey::from_pkcs8_der(&der) {
            return Key::Rsa(Box::new(k));
        }
    }
    let k = RsaPrivateKey::new(&mut rand::rng(), bits).unwrap();
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, k.to_pkcs8_der().unwrap().as_bytes()).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    Key::Rsa(Box::new(k))
}

pub fn p256() -> Key {
    Key::P256(
        <p256::ecdsa::SigningKey as p256::elliptic_curve::Generate>::generate_from_rng(
            &mut rand::rng(),
        ),
    )
}

pub fn p384() -> Key {
    Key::P384(
        <p384::ecdsa::SigningKey as p384::elliptic_curve::Generate>::generate_from_rng(
            &mut rand::rng(),
        ),
    )
}

pub fn p521() -> Key {
    Key::P521(p521::ecdsa::SigningKey::from(
        <p521::SecretKey as p521::elliptic_curve::Generate>::generate_from_rng(&mut rand::rng()),
    ))
}

pub fn ed25519() -> Key {
    Key::Ed(ed25519_dalek::SigningKey::generate(&mut rand::rng()))
}

pub fn hmac(secret: &[u8]) -> Key {
    Key::Hmac(secret.to_vec())
}

impl Key {
    /// The public JWK (the secret for HMAC), with `kid`/`alg` when given.
    pub fn jwk(&self, kid: Option<&str>, alg: Option<&str>) -> Value {
        let mut v = match self {
            Key::Rsa(k) => json!({"kty": "RSA", "n": b64(&k.n_bytes()), "e": b64(&k.e_bytes())}),
            Key::P256(k) => {
                let p = k.verifying_key().to_sec1_point(false);
                json!({"kty": "EC", "crv": "P-256", "x": b64(p.x().unwrap()), "y": b64(p.y().unwrap())})
            }
            Key::P384(k) => {
                let p = k.verifying_key().to_sec1_point(false);
                json!({"kty": "EC", "crv": "P-384", "x": b64(p.x().unwrap()), "y": b64(p.y().unwrap())})
            }
            Key::P521(k) => {
                let p = p521::elliptic_curve::sec1::ToSec1Point::to_sec1_point(
                    &p521::PublicKey::from(k.verifying_key()),
                    false,
                );
                json!({"kty": "EC", "crv": "P-521", "x": b64(p.x().unwrap()), "y": b64(p.y().unwrap())})
            }
            Key::Ed(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(k.verifying_key().as_bytes())})
            }
            Key::Hmac(s) => json!({"kty": "oct", "k": b64(s)}),
        };
        if let Some(kid) = kid {
            v["kid"] = json!(kid);
        }
        if let Some(alg) = alg {
            v["alg"] = json!(alg);
        }
        v
    }

    pub fn sign(&self, alg: &str, input: &[u8]) -> Vec<u8> {
        use rsa::sha2::{Sha256, Sha384, Sha512};
        use rsa::{pkcs1v15, pss};
        match (self, alg) {
            (Key::Rsa(k), "RS256") => pkcs1v15::SigningKey::<Sha256>::new((**k).clone())
                .sign(input)
                .to_vec(),
            (Key::Rsa(k), "RS384") => pkcs1v15::SigningKey::<Sha384>::new((**k).clone())
                .sign(input)
                .to_vec(),
            (Key::Rsa(k), "RS512") => pkcs1v15::SigningKey::<Sha512>::new((**k).clone())
                .sign(input)
                .to_vec(),
            (Key::Rsa(k), "PS256") => pss::SigningKey::<Sha256>::new((**k).clone())
                .sign_with_rng(&mut rand::rng(), input)
                .to_vec(),
            (Key::Rsa(k), "PS384") => pss::SigningKey::<Sha384>::new((**k).clone())
                .sign_with_rng(&mut rand::rng(), input)
                .to_vec(),
            (Key::Rsa(k), "PS512") => pss::SigningKey::<Sha512>::new((**k).clone())
                .sign_with_rng(&mut rand::rng(), input)
                .to_vec(),
            (Key::P256(k), "ES256") => {
                let s: p256::ecdsa::Signature = k.sign(input);
                s.to_bytes().to_vec()
            }
            (Key::P384(k), "ES384") => {
                let s: p384::ecdsa::Signature = k.sign(input);
                s.to_bytes().to_vec()
            }
            (Key::P521(k), "ES512") => {
                let s: p521::ecdsa::Signature = k.sign(input);
                s.to_bytes().to_vec()
            }
            (Key::Ed(k), "EdDSA") => k.sign(input).to_bytes().to_vec(),
            (Key::Hmac(s), "HS256") => hmac_sign::<hmac::Hmac<Sha256>>(s, input),
            (Key::Hmac(s), "HS384") => hmac_sign::<hmac::Hmac<Sha384>>(s, input),
            (Key::Hmac(s), "HS512") => hmac_sign::<hmac::Hmac<Sha512>>(s, input),
            _ => panic!("cannot sign {alg} with this key"),
        }
    }
}

fn hmac_sign<M: hmac::Mac + hmac::KeyInit>(key: &[u8], input: &[u8]) -> Vec<u8> {
    let mut m = <M as hmac::KeyInit>::new_from_slice(key).unwrap();
    m.update(input);
    m.finalize().into_bytes().to_vec()
}

pub fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

/// A compact JWS over exactly these header and claims.
pub fn token(key: &Key, header: &Value, claims: &Value) -> String {
    let alg = header["alg"].as_str().unwrap().to_string();
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = key.sign(&alg, input.as_bytes());
    format!("{input}.{}", b64(&sig))
}

/// Standard valid claims at `NOW`.
pub fn claims() -> Value {
    json!({"iss": ISS, "sub": "alice", "aud": "kfaas", "iat": NOW - 10, "exp": NOW + 3600})
}

pub fn std_token(key: &Key, alg: &str, kid: Option<&str>) -> String {
    let mut h = json!({"alg": alg, "typ": "JWT"});
    if let Some(kid) = kid {
        h["kid"] = json!(kid);
    }
    token(key, &h, &claims())
}

/// The attack corpus: (name, token), each must be refused with 401. `rsa` is
/// the configured RSA key (kid "rsa"), `ec` the configured P-256 key (kid "ec").
pub fn attacks(rsa: &Key, ec: &Key) -> Vec<(&'static str, String)> {
    let Key::Rsa(rsa_priv) = rsa else { panic!() };
    let good = std_token(rsa, "RS256", Some("rsa"));
    let parts: Vec<&str> = good.split('.').collect();
    let c = claims();
    let enc = |v: &Value| b64(v.to_string().as_bytes());
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims();
        f(&mut c);
        token(rsa, &json!({"alg": "RS256", "kid": "rsa"}), &c)
    };
    // HS256 keyed with the RSA public key in the forms a confused verifier might use.
    let pem_like = rsa_priv.to_public_key().n_bytes().to_vec();
    let hs_with_pub = token(&hmac(&pem_like), &json!({"alg": "HS256", "kid": "rsa"}), &c);
    let hs_with_pub_nokid = token(&hmac(&pem_like), &json!({"alg": "HS256"}), &c);
    let es_zero = format!(
        "{}.{}.{}",
        enc(&json!({"alg": "ES256", "kid": "ec"})),
        enc(&c),
        b64(&[0u8; 64])
    );
    let other = p256();
    // Validly signed, but a name given twice: one JWT library reads the first
    // copy, another the last. Refused (RFC 7515 4, RFC 7519 4).
    let raw = |header: &str, payload: &str| {
        let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
        format!("{input}.{}", b64(&rsa.sign("RS256", input.as_bytes())))
    };
    let claims_text = c.to_string();
    let dup_claim = raw(
        r#"{"alg":"RS256","kid":"rsa"}"#,
        &claims_text.replacen('{', r#"{"sub":"admin","#, 1),
    );
    let dup_header = raw(r#"{"alg":"RS256","kid":"ec","kid":"rsa"}"#, &claims_text);
    vec![
        ("claim name given twice", dup_claim),
        ("header parameter given twice", dup_header),
        (
            "alg none, no signature",
            format!("{}.{}.", enc(&json!({"alg": "none"})), enc(&c)),
        ),
        (
            "alg none, with signature",
            format!(
                "{}.{}.{}",
                enc(&json!({"alg": "none", "kid": "rsa"})),
                enc(&c),
                parts[2]
            ),
        ),
        (
            "alg None spelled differently",
            format!("{}.{}.", enc(&json!({"alg": "NONE"})), enc(&c)),
        ),
        ("HS256 signed with the RSA public key", hs_with_pub),
        (
            "HS256 signed with the RSA public key, no kid",
            hs_with_pub_nokid,
        ),
        ("ES256 with r = s = 0", es_zero),
        (
            "ES256 signed by an unknown key under the configured kid",
            std_token(&other, "ES256", Some("ec")),
        ),
        (
            "kid naming another key",
            token(rsa, &json!({"alg": "RS256", "kid": "ec"}), &c),
        ),
        (
            "RS256 token claiming ES256",
            token(ec, &json!({"alg": "ES256", "kid": "rsa"}), &c),
        ),
        (
            "PS256 header over an RS256 signature",
            format!(
                "{}.{}.{}",
                enc(&json!({"alg": "PS256", "kid": "rsa"})),
                parts[1],
                parts[2]
            ),
        ),
        (
            "payload swapped under a valid signature",
            format!(
                "{}.{}.{}",
                parts[0],
                enc(&json!({"iss": ISS, "sub": "admin", "aud": "kfaas", "exp": NOW + 3600})),
                parts[2]
            ),
        ),
        ("expired", with(&|c| c["exp"] = json!(NOW - 61))),
        ("nbf in the future", with(&|c| c["nbf"] = json!(NOW + 61))),
        ("iat in the future", with(&|c| c["iat"] = json!(NOW + 61))),
        (
            "no exp",
            with(&|c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
        ),
        ("exp not a number", with(&|c| c["exp"] = json!("never"))),
        (
            "wrong iss",
            with(&|c| c["iss"] = json!("https://evil.example.com")),
        ),
        (
            "no iss",
            with(&|c| {
                c.as_object_mut().unwrap().remove("iss");
            }),
        ),
        (
            "crit",
            token(
                rsa,
                &json!({"alg": "RS256", "kid": "rsa", "crit": ["exp"], "exp": 1}),
                &c,
            ),
        ),
        (
            "empty crit",
            token(rsa, &json!({"alg": "RS256", "kid": "rsa", "crit": []}), &c),
        ),
        ("four segments", format!("{good}.{}", parts[2])),
        ("two segments", format!("{}.{}", parts[0], parts[1])),
        (
            "bad base64url in the payload",
            format!("{}.{}+.{}", parts[0], parts[1], parts[2]),
        ),
        (
            "padded base64 in the signature",
            format!("{}.{}.{}==", parts[0], parts[1], parts[2]),
        ),
        (
            "header not an object",
            format!("{}.{}.{}", b64(b"[1]"), parts[1], parts[2]),
        ),
        (
            "payload not JSON",
            format!("{}.{}.{}", parts[0], b64(b"not json"), parts[2]),
        ),
        (
            "truncated signature",
            format!(
                "{}.{}.{}",
                parts[0],
                parts[1],
                &parts[2][..parts[2].len() - 4]
            ),
        ),
        ("oversized", with(&|c| c["pad"] = json!("x".repeat(9000)))),
        (
            "JWS JSON serialization",
            json!({"payload": parts[1], "protected": parts[0], "signature": parts[2]}).to_string(),
        ),
        (
            "jku pointing elsewhere",
            token(
                &other,
                &json!({"alg": "ES256", "jku": "http://evil/jwks", "kid": "evil"}),
                &c,
            ),
        ),
        (
            "embedded jwk",
            token(
                &other,
                &json!({"alg": "ES256", "jwk": other.jwk(None, None)}),
                &c,
            ),
        ),
    ]
}

/// A GET carrying `Authorization: Bearer <token>`, through the module.
pub fn bearer_get(h: &mut testhost::Host, token: &str) -> (testhost::Action, testhost::Stream) {
    let auth = format!("Bearer {token}");
    let mut s = h.stream();
    let action = s.request_headers(
        &[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/x"),
            (":authority", "api.example.com"),
            ("authorization", &auth),
        ],
        true,
    );
    (action, s)
}

/// (status, stream) of one GET to `authority` with these headers, through
/// the module; 200 = passed on.
pub fn get_on(
    h: &mut testhost::Host,
    authority: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u32, testhost::Stream) {
    let mut all = vec![
        (":method", "GET"),
        (":scheme", "https"),
        (":path", path),
        (":authority", authority),
    ];
    all.extend_from_slice(headers);
    let mut s = h.stream();
    let action = s.request_headers(&all, true);
    (status_of(action, &s), s)
}

/// The status a client sees for a request whose headers the filter answered with `action`:
/// the local response's, or 200 when the filter passed the request on.
pub fn status_of(action: testhost::Action, s: &testhost::Stream) -> u32 {
    match s.local_response() {
        Some(r) => {
            assert_eq!(action, testhost::Action::Pause);
            r.status
        }
        None => {
            assert_eq!(action, testhost::Action::Continue);
            200
        }
    }
}
