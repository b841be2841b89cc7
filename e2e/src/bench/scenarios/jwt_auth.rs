//! jwt-auth benchmarks against Envoy's native jwt_authn with the same keys,
//! and the key/token minting they share with `e2e/tests/jwt_auth.rs`. Keys are
//! generated with the `openssl` CLI so the harness needs no crypto crates.

use crate::bench::{Scenario, Variant};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

pub const ISSUER: &str = "https://auth.example.com";

/// Unpadded base64url.
pub fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = b(0) << 16 | b(1) << 8 | b(2);
        for (i, shift) in [18, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> shift) & 63) as usize]));
            }
        }
    }
    out
}

fn openssl(args: &[&str], stdin: &[u8]) -> Result<Vec<u8>> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("openssl")?;
    child.stdin.take().context("stdin")?.write_all(stdin)?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(out.stdout)
}

/// A signing key: a private key file made by `openssl genpkey`, or an HMAC secret.
pub struct Key {
    pub alg: &'static str,
    pub kid: String,
    pem: Option<PathBuf>,
    secret: Vec<u8>,
}

/// The private key file goes with its key, and the process's key directory
/// with its last key: nothing secret is left in the temp directory.
impl Drop for Key {
    fn drop(&mut self) {
        if let Some(pem) = &self.pem {
            let _ = std::fs::remove_file(pem);
            if let Some(dir) = pem.parent() {
                let _ = std::fs::remove_dir(dir); // fails while other keys remain
            }
        }
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

impl Key {
    /// A fresh key for `alg` (HS256, RS256/384/512, PS256, ES256, ES384, ES512, EdDSA).
    pub fn generate(alg: &'static str, kid: &str) -> Result<Key> {
        let opts: &[&str] = match alg {
            "HS256" => {
                return Ok(Key {
                    alg,
                    kid: kid.into(),
                    pem: None,
                    secret: openssl(&["rand", "32"], b"")?,
                })
            }
            "RS256" | "RS384" | "RS512" | "PS256" => {
                &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
            }
            "ES256" => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "ES384" => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            "ES512" => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
            "EdDSA" => &["-algorithm", "ED25519"],
            _ => bail!("unsupported alg {alg}"),
        };
        let dir = std::env::temp_dir().join(format!("jwt-auth-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let pem = dir.join(format!("{}-{kid}.pem", SEQ.fetch_add(1, Ordering::Relaxed)));
        let path = pem.to_str().context("path")?;
        let mut args = vec!["genpkey"];
        args.extend_from_slice(opts);
        args.extend_from_slice(&["-out", path]);
        openssl(&args, b"")?;
        Ok(Key {
            alg,
            kid: kid.into(),
            pem: Some(pem),
            secret: Vec::new(),
        })
    }

    fn pem(&self) -> Result<&str> {
        self.pem
            .as_ref()
            .and_then(|p| p.to_str())
            .context("no key file")
    }

    /// The public JWK (the secret for HS256), with kid and alg.
    pub fn jwk(&self) -> Result<Value> {
        let mut v = match self.alg {
            "HS256" => json!({"kty": "oct", "k": b64(&self.secret)}),
            "RS256" | "RS384" | "RS512" | "PS256" => {
                let out = openssl(&["rsa", "-in", self.pem()?, "-noout", "-modulus"], b"")?;
                let hex = String::from_utf8(out)?;
                let hex = hex.trim().trim_start_matches("Modulus=");
                let n: Vec<u8> = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                    .collect::<Result<_, _>>()?;
                json!({"kty": "RSA", "n": b64(&n), "e": "AQAB"})
            }
            alg => {
                let der = openssl(
                    &["pkey", "-in", self.pem()?, "-pubout", "-outform", "DER"],
                    b"",
                )?;
                let (size, crv) = match alg {
                    "ES256" => (32, "P-256"),
                    "ES384" => (48, "P-384"),
                    "ES512" => (66, "P-521"),
                    _ => (0, ""),
                };
                if size == 0 {
                    json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&der[der.len() - 32..])})
                } else {
                    let point = &der[der.len() - 2 * size..];
                    json!({"kty": "EC", "crv": crv, "x": b64(&point[..size]), "y": b64(&point[size..])})
                }
            }
        };
        v["kid"] = json!(self.kid);
        v["alg"] = json!(self.alg);
        Ok(v)
    }

    fn sign(&self, input: &[u8]) -> Result<Vec<u8>> {
        self.sign_as(self.alg, input)
    }

    /// A signature of `input` by this key under `alg` (which may differ from
    /// the key's own, e.g. RS384 with an RS256 key).
    pub fn sign_as(&self, alg: &str, input: &[u8]) -> Result<Vec<u8>> {
        Ok(match alg {
            "HS256" => {
                let hex: String = self.secret.iter().map(|b| format!("{b:02x}")).collect();
                let key = format!("hexkey:{hex}");
                openssl(
                    &[
                        "dgst", "-sha256", "-mac", "HMAC", "-macopt", &key, "-binary",
                    ],
                    input,
                )?
            }
            "RS256" => openssl(&["dgst", "-sha256", "-sign", self.pem()?], input)?,
            "RS384" => openssl(&["dgst", "-sha384", "-sign", self.pem()?], input)?,
            "RS512" => openssl(&["dgst", "-sha512", "-sign", self.pem()?], input)?,
            "PS256" => openssl(
                &[
                    "dgst",
                    "-sha256",
                    "-sign",
                    self.pem()?,
                    "-sigopt",
                    "rsa_padding_mode:pss",
                    "-sigopt",
                    "rsa_pss_saltlen:digest",
                ],
                input,
            )?,
            "ES256" => der_to_raw(
                &openssl(&["dgst", "-sha256", "-sign", self.pem()?], input)?,
                32,
            )?,
            "ES384" => der_to_raw(
                &openssl(&["dgst", "-sha384", "-sign", self.pem()?], input)?,
                48,
            )?,
            "ES512" => der_to_raw(
                &openssl(&["dgst", "-sha512", "-sign", self.pem()?], input)?,
                66,
            )?,
            "EdDSA" => {
                let file = std::env::temp_dir().join(format!(
                    "jwt-auth-input-{}-{}",
                    std::process::id(),
                    SEQ.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::write(&file, input)?;
                let f = file.to_str().context("path")?;
                let sig = openssl(
                    &[
                        "pkeyutl",
                        "-sign",
                        "-inkey",
                        self.pem()?,
                        "-rawin",
                        "-in",
                        f,
                    ],
                    b"",
                );
                let _ = std::fs::remove_file(&file);
                sig?
            }
            alg => bail!("unsupported alg {alg}"),
        })
    }

    /// A token with these claims, signed by this key (kid in the header).
    pub fn token(&self, claims: &Value) -> Result<String> {
        let header = json!({"alg": self.alg, "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self.sign(input.as_bytes())?;
        Ok(format!("{input}.{}", b64(&sig)))
    }
}

/// ECDSA-Sig-Value (DER) → r‖s, each `size` bytes (JWS form).
fn der_to_raw(der: &[u8], size: usize) -> Result<Vec<u8>> {
    let mut i = 2;
    if der.get(1).is_some_and(|l| l & 0x80 != 0) {
        i += usize::from(der[1] & 0x7f);
    }
    let mut out = Vec::new();
    for _ in 0..2 {
        if der.get(i) != Some(&0x02) {
            bail!("bad ECDSA signature");
        }
        let len = usize::from(*der.get(i + 1).context("short")?);
        let int = der.get(i + 2..i + 2 + len).context("short")?;
        let int = &int[int.iter().position(|&b| b != 0).unwrap_or(int.len())..];
        out.extend(std::iter::repeat_n(0u8, size - int.len()));
        out.extend_from_slice(int);
        i += 2 + len;
    }
    Ok(out)
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Valid claims for `sub`, expiring in an hour.
pub fn claims(sub: &str) -> Value {
    json!({"iss": ISSUER, "sub": sub, "aud": "kfaas", "iat": now(), "exp": now() + 3600})
}

/// The filter's pluginConfig for these keys (inline JWKS).
pub fn wasm_config(jwks: &Value) -> String {
    wasm_config_value(jwks, None).to_string()
}

/// `wasm_config` as a value, with `tokenCache.maxEntries` = `cache_entries`
/// when given (the default, 10000, otherwise).
pub fn wasm_config_value(jwks: &Value, cache_entries: Option<u32>) -> Value {
    let mut config = json!({
        "jwtRules": [{"issuer": ISSUER, "audiences": ["kfaas"], "jwks": jwks.to_string(),
                      "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]}]
    });
    if let Some(n) = cache_entries {
        config["tokenCache"] = json!({"maxEntries": n});
    }
    config
}

/// Envoy's jwt_authn with the same keys and the same checks.
pub fn jwt_authn(jwks: &Value, cache: bool) -> Value {
    jwt_authn_cache(jwks, cache.then_some(10_000))
}

/// `jwt_authn` with a token cache of `cache_entries` (`None`: no cache).
pub fn jwt_authn_cache(jwks: &Value, cache_entries: Option<u32>) -> Value {
    let mut provider = json!({
        "issuer": ISSUER,
        "audiences": ["kfaas"],
        "local_jwks": {"inline_string": jwks.to_string()},
        "claim_to_headers": [{"header_name": "x-jwt-sub", "claim_name": "sub"}]
    });
    if let Some(n) = cache_entries {
        provider["jwt_cache_config"] = json!({"jwt_cache_size": n});
    }
    json!({
        "name": "envoy.filters.http.jwt_authn",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
            "providers": {"p": provider},
            "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "p"}}]
        }
    })
}

/// A wrk script cycling through `tokens` (first-seen tokens for each request
/// until the list wraps).
fn cycling_script(tokens: &[String]) -> String {
    let list: Vec<String> = tokens.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        "local tokens = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i % #tokens + 1\n  wrk.headers[\"authorization\"] = \"Bearer \" .. tokens[i]\n  return wrk.format(\"GET\", \"/\")\nend\n",
        list.join(",")
    )
}

const FIRST_SEEN_TOKENS: usize = 2000;

fn algorithm_scenarios(alg: &'static str) -> Result<Vec<Scenario>> {
    let key = Key::generate(alg, "k1")?;
    let jwks = json!({"keys": [key.jwk()?]});
    let token = key.token(&claims("alice"))?;
    let bearer = format!("Bearer {token}");
    let repeated = Scenario::new("jwt-auth", &format!("{alg}, repeated token"))
        .notes("The same valid token on every request: the filter's verified-token cache against jwt_authn with jwt_cache_config. The wasm floor is what any proxy-wasm filter costs in this Envoy.")
        .variant(Variant::baseline())
        .variant(Variant::native("jwt_authn", jwt_authn(&jwks, true)).header("authorization", &bearer))
        .variant(Variant::wasm("jwt-auth", "jwt_auth", &wasm_config(&jwks)).header("authorization", &bearer))
        .variant(Variant::wasm_floor().header("authorization", &bearer));
    let repeated = with_extra_modules(repeated, &wasm_config(&jwks), &bearer, None);
    let tokens: Vec<String> = (0..FIRST_SEEN_TOKENS)
        .map(|i| key.token(&claims(&format!("user-{i}"))))
        .collect::<Result<_>>()?;
    let script = cycling_script(&tokens);
    let no_cache = json!({
        "jwtRules": [{"issuer": ISSUER, "audiences": ["kfaas"], "jwks": jwks.to_string(),
                      "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]}],
        "tokenCache": {"maxEntries": 0}
    })
    .to_string();
    let mut first_seen = Scenario::new("jwt-auth", &format!("{alg}, first-seen tokens"))
        .notes(&format!("{FIRST_SEEN_TOKENS} distinct tokens cycled by a wrk script; both sides verify every request (the filter's cache and jwt_authn's cache are off). jwt-auth verifies RS*/ES* through Envoy's verify_signature (host backend, the default) or its own code (module backend, `JWT_AUTH_CRYPTO_BACKEND=module`)."))
        .variant(Variant::baseline().lua(&script))
        .variant(Variant::native("jwt_authn", jwt_authn(&jwks, false)).header("authorization", &bearer).lua(&script))
        .variant(Variant::wasm("jwt-auth", "jwt_auth", &no_cache).header("authorization", &bearer).lua(&script));
    if alg.starts_with("RS") || alg.starts_with("ES") {
        first_seen = first_seen.variant(
            Variant::wasm_with_env(
                "jwt-auth",
                "jwt-auth module backend (wasm)",
                crate::dist("jwt_auth"),
                &no_cache,
                &[("JWT_AUTH_CRYPTO_BACKEND", "module")],
            )
            .header("authorization", &bearer)
            .lua(&script),
        );
    }
    let first_seen = first_seen.variant(
        Variant::wasm_floor()
            .header("authorization", &bearer)
            .lua(&script),
    );
    let first_seen = with_extra_modules(first_seen, &no_cache, &bearer, Some(&script));
    Ok(vec![repeated, first_seen])
}

/// Other builds of the module measured side by side with `dist/jwt_auth.wasm`
/// (before/after a change): `BENCH_JWT_AUTH_MODULES="label=path.wasm,…"`.
fn with_extra_modules(mut s: Scenario, config: &str, bearer: &str, lua: Option<&str>) -> Scenario {
    for (label, path) in crate::bench::extra_modules("BENCH_JWT_AUTH_MODULES") {
        let mut v =
            Variant::wasm_build("jwt-auth", &label, path, config).header("authorization", bearer);
        if let Some(script) = lua {
            v = v.lua(script);
        }
        s = s.variant(v);
    }
    s
}

pub fn scenarios() -> Vec<Scenario> {
    let mut all = Vec::new();
    for alg in ["HS256", "RS256", "ES256", "ES384"] {
        match algorithm_scenarios(alg) {
            // ES384 is measured first-seen only (host and module backend against jwt_authn).
            Ok(s) if alg == "ES384" => all.extend(s.into_iter().skip(1)),
            Ok(s) => all.extend(s),
            Err(e) => eprintln!("jwt-auth {alg} scenarios skipped: {e:#}"),
        }
    }
    all
}
