//! Which key families the host's `verify_signature` may serve: asked once
//! per VM, at configuration, with a fixed key and one valid and one invalid
//! signature per family. A family goes to the host only if it answers `true`
//! for the valid signature and `false` for the invalid one; a missing
//! function, an error or any other answer leaves the family to the module's
//! code (a host answering `true` to everything gets nothing).

use super::backend::{Backend, Family, HostCall};
use super::self_test_vectors as v;
use crate::der::{self, Curve};

/// Runs the self-test against `call` and returns the backend it allows.
pub fn choose(call: HostCall) -> Backend {
    let probe = Backend::host(call, &Family::ALL);
    let passed: Vec<Family> = Family::ALL
        .into_iter()
        .filter(|&f| passes(&probe, f))
        .collect();
    Backend::host(call, &passed)
}

fn passes(probe: &Backend, family: Family) -> bool {
    let (hash, spki, valid, curve): (&str, &[u8], &[u8], Option<Curve>) = match family {
        Family::Rsa => ("sha256", &v::RSA_SPKI, &v::RSA_SIG, None),
        Family::P256 => ("sha256", &v::P256_SPKI, &v::P256_SIG, Some(Curve::P256)),
        Family::P384 => ("sha384", &v::P384_SPKI, &v::P384_SIG, Some(Curve::P384)),
        Family::P521 => ("sha512", &v::P521_SPKI, &v::P521_SIG, Some(Curve::P521)),
    };
    let mut invalid = valid.to_vec();
    // The last byte of the signature (RSA) or of `s` (ECDSA), changed.
    if let Some(last) = invalid.last_mut() {
        *last ^= 0x01;
    }
    let encode = |raw: &[u8]| match curve {
        Some(c) => der::ecdsa_signature(c, raw),
        None => Some(raw.to_vec()),
    };
    let (Some(valid), Some(invalid)) = (encode(valid), encode(&invalid)) else {
        return false;
    };
    probe.ask_host(hash, spki, &valid, v::TEXT) == Some(true)
        && probe.ask_host(hash, spki, &invalid, v::TEXT) == Some(false)
}

#[cfg(test)]
mod tests;
