//! How a JWKS document becomes verification keys: each key parsed and checked
//! once (curve points validated, RSA size checked), with its algorithm pinned.

use crate::b64;
use crate::der::{self, Curve};
use crate::rsa::RsaPublic;
use serde_json::{Map, Value};

/// The JWS algorithms this filter accepts. `none` is not one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    /// P-521: verified only by the host backend (`crypto::backend`).
    ES512,
    EdDSA,
}

impl Alg {
    pub fn from_name(name: &str) -> Option<Alg> {
        Some(match name {
            "HS256" => Alg::HS256,
            "HS384" => Alg::HS384,
            "HS512" => Alg::HS512,
            "RS256" => Alg::RS256,
            "RS384" => Alg::RS384,
            "RS512" => Alg::RS512,
            "PS256" => Alg::PS256,
            "PS384" => Alg::PS384,
            "PS512" => Alg::PS512,
            "ES256" => Alg::ES256,
            "ES384" => Alg::ES384,
            "ES512" => Alg::ES512,
            "EdDSA" => Alg::EdDSA,
            _ => return None,
        })
    }
}

/// Verification material of one key, parsed and validated.
#[derive(Debug, Clone)]
pub enum KeyMaterial {
    Rsa(RsaPublic),
    P256(crate::es256::PublicKey),
    P384(p384::ecdsa::VerifyingKey),
    /// Checked on the curve; its DER form is the key's `spki`.
    P521,
    Hmac(Vec<u8>),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl KeyMaterial {
    /// Whether this kind of key can verify `alg` at all (no kty confusion).
    pub fn fits(&self, alg: Alg) -> bool {
        use Alg::*;
        match self {
            KeyMaterial::Rsa(_) => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            KeyMaterial::P256(_) => alg == ES256,
            KeyMaterial::P384(_) => alg == ES384,
            KeyMaterial::P521 => alg == ES512,
            // RFC 7518 §3.2: a key at least as long as the hash output.
            KeyMaterial::Hmac(k) => match alg {
                HS256 => k.len() >= 32,
                HS384 => k.len() >= 48,
                HS512 => k.len() >= 64,
                _ => false,
            },
            KeyMaterial::Ed25519(_) => alg == EdDSA,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Jwk {
    pub kid: Option<String>,
    /// The JWK's `alg`; when absent, any algorithm of the key's kind.
    pub alg: Option<Alg>,
    pub material: KeyMaterial,
    /// DER SubjectPublicKeyInfo of an RSA or EC key, for the host backend
    /// (converted once, here).
    pub spki: Option<Vec<u8>>,
}

impl Jwk {
    /// The token's `alg` must be this key's algorithm.
    pub fn accepts(&self, alg: Alg) -> bool {
        self.material.fits(alg) && self.alg.is_none_or(|a| a == alg)
    }
}

/// The usable keys of one JWKS, and the keys left out as unusable here
/// (another algorithm, curve or key type; `keys[3] (kty RSA, alg RSA-OAEP)`).
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    pub keys: Vec<Jwk>,
    pub skipped: Vec<String>,
}

impl KeySet {
    /// One line naming the skipped keys, if any.
    pub fn skipped_line(&self) -> Option<String> {
        (!self.skipped.is_empty()).then(|| {
            format!(
                "skipped {} key(s) this filter cannot use: {}",
                self.skipped.len(),
                self.skipped.join(", ")
            )
        })
    }
}

/// One problem in a JWKS, `at` being a path such as `keys[2].n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.at.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.at, self.message)
        }
    }
}

/// Parses a JWKS (`{"keys": [...]}`). Keys meant for encryption (`use` other
/// than `sig`), algorithms, curves and key types this filter does not verify
/// with are skipped (named in `KeySet::skipped`); every malformed key (bad
/// base64, a point off its curve, an `alg` contradicting `kty`) is reported. The caller decides whether problems are
/// fatal (configuration) or only logged (a remote refresh).
pub fn parse(json: &[u8]) -> (KeySet, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut set = KeySet::default();
    let doc = match filters_common::strict_json::from_slice(json) {
        Ok(v) => v,
        Err(e) => {
            problems.push(problem("", format!("not JSON: {e}")));
            return (set, problems);
        }
    };
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        problems.push(problem(
            "keys",
            "a JWKS must be an object with a `keys` array",
        ));
        return (set, problems);
    };
    if keys.len() > MAX_JWKS_KEYS {
        problems.push(problem(
            "keys",
            format!("has {} keys; at most {MAX_JWKS_KEYS} are read", keys.len()),
        ));
        return (set, problems);
    }
    for (i, key) in keys.iter().enumerate() {
        let at = format!("keys[{i}]");
        let Some(obj) = key.as_object() else {
            problems.push(problem(&at, "must be an object"));
            continue;
        };
        match parse_key(obj) {
            Ok(Ok(jwk)) => set.keys.push(jwk),
            Ok(Err(why)) => set.skipped.push(format!("{at} ({why})")),
            Err((field, message)) => problems.push(problem(&format!("{at}.{field}"), message)),
        }
    }
    if set.keys.is_empty() && problems.is_empty() {
        problems.push(problem("keys", "no signing key this filter can use"));
    }
    (set, problems)
}

fn problem(at: &str, message: impl Into<String>) -> Problem {
    Problem {
        at: at.to_string(),
        message: message.into(),
    }
}

type KeyError = (&'static str, String);

/// A JWKS with more keys is refused whole (a key's kid is looked up linearly,
/// and EC keys each build a table).
pub const MAX_JWKS_KEYS: usize = 1000;

/// RFC 7518 §3.2; HS384 and HS512 need 48 and 64 bytes (`KeyMaterial::fits`).
pub const MIN_HMAC_KEY_BYTES: usize = 32;

/// A key, or why it is skipped; `Err` for a malformed key.
fn parse_key(obj: &Map<String, Value>) -> Result<Result<Jwk, String>, KeyError> {
    let text = |field: &'static str| -> Result<Option<&str>, KeyError> {
        match obj.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err((field, "must be a string".into())),
        }
    };
    let bytes = |field: &'static str| -> Result<Vec<u8>, KeyError> {
        let s = text(field)?.ok_or((field, "is required".to_string()))?;
        b64::decode_lenient(s).ok_or((field, "is not base64url".to_string()))
    };
    let kty = text("kty")?.ok_or(("kty", "is required".to_string()))?;
    if let Some(u) = text("use")? {
        if u != "sig" {
            return Ok(Err(format!("kty {kty}, use {u}")));
        }
    }
    let kid = text("kid")?.map(str::to_string);
    let alg = match text("alg")? {
        None => None,
        Some("none") => return Err(("alg", "\"none\" is not a key's algorithm".into())),
        Some(name) => match Alg::from_name(name) {
            Some(a) => Some(a),
            // An encryption algorithm (RSA-OAEP, ECDH-ES, ...) or one this
            // filter does not verify: not this filter's key.
            None => return Ok(Err(format!("kty {kty}, alg {name}"))),
        },
    };
    let mut spki = None;
    let material = match kty {
        "RSA" => {
            let n = bytes("n")?;
            let e = bytes("e")?;
            let key = RsaPublic::new(&n, &e).map_err(|m| ("n", m))?;
            spki = Some(der::rsa_spki(&n, &e));
            KeyMaterial::Rsa(key)
        }
        "EC" => {
            let crv = text("crv")?.ok_or(("crv", "is required".to_string()))?;
            let x = bytes("x")?;
            let y = bytes("y")?;
            let curve = match crv {
                "P-256" => Curve::P256,
                "P-384" => Curve::P384,
                "P-521" => Curve::P521,
                _ => return Ok(Err(format!("kty EC, crv {crv}"))),
            };
            let size = curve.size();
            if x.len() != size || y.len() != size {
                return Err(("x", format!("{crv} coordinates must be {size} bytes")));
            }
            let bad = || ("x", format!("not a point on {crv}"));
            spki = Some(der::ec_spki(curve, &x, &y));
            if curve == Curve::P521 {
                if !crate::p521::on_curve(&x, &y) {
                    return Err(bad());
                }
                KeyMaterial::P521
            } else if let (Ok(x), Ok(y)) = (
                <[u8; 32]>::try_from(x.as_slice()),
                <[u8; 32]>::try_from(y.as_slice()),
            ) {
                KeyMaterial::P256(
                    crate::es256::PublicKey::from_coordinates(&x, &y).ok_or_else(bad)?,
                )
            } else {
                let mut sec1 = Vec::with_capacity(1 + 2 * size);
                sec1.push(0x04);
                sec1.extend_from_slice(&x);
                sec1.extend_from_slice(&y);
                KeyMaterial::P384(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| bad())?,
                )
            }
        }
        "oct" => {
            let k = bytes("k")?;
            if k.len() < MIN_HMAC_KEY_BYTES {
                return Err((
                    "k",
                    format!(
                        "an HMAC secret must be at least {MIN_HMAC_KEY_BYTES} bytes, the HS256 hash size (RFC 7518 §3.2); this one is {}",
                        k.len()
                    ),
                ));
            }
            KeyMaterial::Hmac(k)
        }
        "OKP" => {
            let crv = text("crv")?.ok_or(("crv", "is required".to_string()))?;
            if crv != "Ed25519" {
                return Ok(Err(format!("kty OKP, crv {crv}")));
            }
            let x: [u8; 32] = bytes("x")?
                .try_into()
                .map_err(|_| ("x", "Ed25519 keys are 32 bytes".to_string()))?;
            KeyMaterial::Ed25519(
                ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map_err(|_| ("x", "not an Ed25519 point".to_string()))?,
            )
        }
        _ => return Ok(Err(format!("kty {kty}"))),
    };
    if let Some(a) = alg {
        if !material.fits(a) {
            let why = match &material {
                KeyMaterial::Hmac(k) => format!(
                    "{a:?} needs a secret at least as long as its hash output (RFC 7518 §3.2); this one is {} bytes",
                    k.len()
                ),
                _ => format!("{a:?} does not fit a {kty} key"),
            };
            return Err(("alg", why));
        }
    }
    Ok(Ok(Jwk {
        kid,
        alg,
        material,
        spki,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const P256_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    fn one(key: &str) -> (KeySet, Vec<Problem>) {
        parse(format!(r#"{{"keys":[{key}]}}"#).as_bytes())
    }

    #[test]
    fn parses_ec_oct_and_okp_keys() {
        let (set, problems) = parse(
            format!(
                r#"{{"keys":[
                {{"kty":"EC","crv":"P-256","x":"{P256_X}","y":"{P256_Y}","kid":"e1","alg":"ES256"}},
                {{"kty":"oct","k":"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE","kid":"h1"}},
                {{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}
            ]}}"#
            )
            .as_bytes(),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(set.keys.len(), 3);
        assert_eq!(set.keys[0].kid.as_deref(), Some("e1"));
        assert!(set.keys[0].accepts(Alg::ES256));
        assert!(!set.keys[0].accepts(Alg::ES384));
        assert!(set.keys[1].accepts(Alg::HS256));
        assert!(!set.keys[1].accepts(Alg::HS384), "a 32-byte secret");
        assert!(!set.keys[1].accepts(Alg::RS256));
        assert!(set.keys[2].accepts(Alg::EdDSA));
    }

    #[test]
    fn skips_encryption_and_unknown_key_types() {
        let (set, problems) = parse(
            br#"{"keys":[{"kty":"oct","k":"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE","use":"enc"},{"kty":"XYZ"},{"kty":"oct","k":"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE"}]}"#,
        );
        assert!(problems.is_empty());
        assert_eq!(set.keys.len(), 1);
    }

    #[test]
    fn names_each_malformed_member() {
        let cases = [
            (
                r#"{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}"#,
                "keys[0].x",
            ),
            (
                &format!(r#"{{"kty":"EC","crv":"P-256","x":"{P256_X}","y":"{P256_X}"}}"#),
                "keys[0].x",
            ),
            (r#"{"kty":"oct","k":"***"}"#, "keys[0].k"),
            (r#"{"kty":"oct"}"#, "keys[0].k"),
            (r#"{"kty":"oct","k":""}"#, "keys[0].k"),
            (
                r#"{"kty":"oct","k":"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE","alg":"none"}"#,
                "keys[0].alg",
            ),
            (
                r#"{"kty":"oct","k":"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE","alg":"RS256"}"#,
                "keys[0].alg",
            ),
            (
                r#"{"kty":"oct","k":"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE","kid":5}"#,
                "keys[0].kid",
            ),
            (
                r#"{"k":"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE"}"#,
                "keys[0].kty",
            ),
            (r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#, "keys[0].n"),
            (r#"{"kty":"RSA","e":"AQAB"}"#, "keys[0].n"),
            (r#"{"kty":"OKP","crv":"Ed25519","x":"AAAA"}"#, "keys[0].x"),
            (r#"7"#, "keys[0]"),
        ];
        for (key, at) in cases {
            let (set, problems) = one(key);
            assert!(set.keys.is_empty(), "{key}");
            assert_eq!(problems.len(), 1, "{key}: {problems:?}");
            assert_eq!(problems[0].at, at, "{key}: {problems:?}");
        }
    }

    #[test]
    fn refuses_documents_without_keys() {
        assert_eq!(parse(b"nope").1[0].at, "");
        assert_eq!(parse(b"{}").1[0].at, "keys");
        assert_eq!(parse(br#"{"keys":[]}"#).1[0].at, "keys");
        assert_eq!(
            parse(br#"{"keys":[{"kty":"oct","k":"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE","use":"enc"}]}"#).1[0].at,
            "keys"
        );
    }

    /// RFC 7518 §3.2: an HMAC key at least as long as the hash output.
    #[test]
    fn short_hmac_secrets_are_refused() {
        let k = |n: usize| b64::encode(&vec![7u8; n]);
        for (key, field) in [
            (format!(r#"{{"kty":"oct","k":"{}"}}"#, k(6)), "keys[0].k"),
            (format!(r#"{{"kty":"oct","k":"{}"}}"#, k(31)), "keys[0].k"),
            (
                format!(r#"{{"kty":"oct","k":"{}","alg":"HS384"}}"#, k(32)),
                "keys[0].alg",
            ),
            (
                format!(r#"{{"kty":"oct","k":"{}","alg":"HS512"}}"#, k(63)),
                "keys[0].alg",
            ),
        ] {
            let (set, problems) = one(&key);
            assert!(set.keys.is_empty(), "{key}");
            assert_eq!(problems[0].at, field, "{key}: {problems:?}");
        }
        let (set, problems) = one(&format!(r#"{{"kty":"oct","k":"{}"}}"#, k(48)));
        assert!(problems.is_empty());
        assert!(set.keys[0].accepts(Alg::HS256));
        assert!(set.keys[0].accepts(Alg::HS384));
        assert!(
            !set.keys[0].accepts(Alg::HS512),
            "48 bytes are too short for HS512"
        );
    }
}
