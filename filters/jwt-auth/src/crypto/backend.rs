//! Which code verifies RSA and ECDSA signatures: Envoy's BoringSSL through the
//! `verify_signature` foreign function (the host backend), or the module's
//! own code. Chosen per key family, once per VM, by the self-test
//! (`self_test.rs`); the module's code serves every family the host does not.

use super::protobuf;
use crate::jwks::{Jwk, KeyMaterial, KeySet};

/// The host's `verify_signature`: an encoded `VerifySignatureArguments` in,
/// the encoded `VerifySignatureResult` out; `None` when the host has no such
/// function or the call failed. The glue passes
/// `proxy_call_foreign_function`; tests pass a model.
pub type HostCall = fn(&[u8]) -> Option<Vec<u8>>;

/// The key families the host backend may serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Rsa,
    P256,
    P384,
    P521,
}

impl Family {
    pub const ALL: [Family; 4] = [Family::Rsa, Family::P256, Family::P384, Family::P521];

    pub fn name(self) -> &'static str {
        match self {
            Family::Rsa => "RSA",
            Family::P256 => "P-256",
            Family::P384 => "P-384",
            Family::P521 => "P-521",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Family::Rsa => 1,
            Family::P256 => 2,
            Family::P384 => 4,
            Family::P521 => 8,
        }
    }
}

/// The verification backend of one VM. `Default` is the module's own code
/// for every family.
#[derive(Clone, Copy, Default)]
pub struct Backend {
    call: Option<HostCall>,
    /// `Family::bit`s the host serves.
    host: u8,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Backend({})", self.describe())
    }
}

impl Backend {
    /// The module's own code for every family.
    pub fn module() -> Backend {
        Backend::default()
    }

    /// The host for `families` through `call`, without a self-test (tests;
    /// the glue uses `self_test::choose`).
    pub fn host(call: HostCall, families: &[Family]) -> Backend {
        Backend {
            call: Some(call),
            host: families.iter().fold(0, |acc, f| acc | f.bit()),
        }
    }

    /// Whether the host verifies keys of `family`.
    pub fn serves(&self, family: Family) -> bool {
        self.call.is_some() && self.host & family.bit() != 0
    }

    /// One line for the operator: which family goes where.
    pub fn describe(&self) -> String {
        let (host, module): (Vec<Family>, Vec<Family>) =
            Family::ALL.iter().partition(|f| self.serves(**f));
        let names = |fs: &[Family]| fs.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ");
        match (host.is_empty(), module.is_empty()) {
            (true, _) => "module code for every key family (no host verify_signature)".into(),
            (false, true) => format!("host verify_signature for {}", names(&host)),
            (false, false) => format!(
                "host verify_signature for {}; module code for {}",
                names(&host),
                names(&module)
            ),
        }
    }

    /// Asks the host whether `signature` (DER for ECDSA) is `spki`'s signature
    /// of `text` under `hash` ("sha256", "sha384", "sha512"). `None` when the
    /// host could not answer (no function, a failed call, an unreadable
    /// result); a refusal with an error text is `Some(false)`.
    pub fn ask_host(&self, hash: &str, spki: &[u8], signature: &[u8], text: &[u8]) -> Option<bool> {
        let call = self.call?;
        let answer = call(&protobuf::arguments(hash, spki, signature, text))?;
        protobuf::result(&answer).map(|r| r.result)
    }
}

impl Backend {
    /// Moves the keys this backend cannot verify at all (P-521 without the
    /// host) from `set.keys` to `set.skipped`.
    pub fn keep_verifiable(&self, set: &mut KeySet) {
        if self.serves(Family::P521) {
            return;
        }
        let (keep, drop): (Vec<Jwk>, Vec<Jwk>) = std::mem::take(&mut set.keys)
            .into_iter()
            .partition(|k| !matches!(k.material, KeyMaterial::P521));
        set.keys = keep;
        set.skipped.extend(drop.iter().map(|k| {
            format!(
                "{} (kty EC, crv P-521: ES512 needs the host's verify_signature)",
                k.kid
                    .as_deref()
                    .map_or("a key without kid".into(), |kid| format!("kid {kid:?}"))
            )
        }));
    }
}
