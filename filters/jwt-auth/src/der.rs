//! How keys and ECDSA signatures are written in DER for the host's
//! `verify_signature` (BoringSSL's `EVP_parse_public_key` and
//! `ECDSA_SIG_from_bytes` accept only minimal DER): a JWK becomes a
//! SubjectPublicKeyInfo (RFC 5280 §4.1, RFC 3279, RFC 5480) once, when its
//! JWKS is parsed; a JWS ECDSA signature (`r‖s`, RFC 7518 §3.4) becomes an
//! `ECDSA-Sig-Value` per request.

/// rsaEncryption (1.2.840.113549.1.1.1) with its NULL parameters.
const RSA_ALGORITHM: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
/// id-ecPublicKey (1.2.840.10045.2.1).
const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;

/// The named curves a JWK's `crv` may be, as far as keys are converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    /// Bytes of one coordinate, and of `r` or `s` in a JWS signature.
    pub fn size(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The curve's OBJECT IDENTIFIER, encoded.
    fn oid(self) -> &'static [u8] {
        match self {
            // prime256v1 (1.2.840.10045.3.1.7)
            Curve::P256 => &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
            // secp384r1 (1.3.132.0.34)
            Curve::P384 => &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
            // secp521r1 (1.3.132.0.35)
            Curve::P521 => &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],
        }
    }
}

/// SubjectPublicKeyInfo of an RSA key from its big-endian modulus and
/// exponent (JWK `n`, `e`; leading zeros allowed).
pub fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(n.len() + e.len() + 16);
    integer(&mut key, n);
    integer(&mut key, e);
    let key = wrap(SEQUENCE, &key);
    spki(RSA_ALGORITHM, &key)
}

/// SubjectPublicKeyInfo of an EC key from its affine coordinates (each
/// `curve.size()` bytes; the caller has checked the point).
pub fn ec_spki(curve: Curve, x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut algorithm = EC_PUBLIC_KEY.to_vec();
    algorithm.extend_from_slice(curve.oid());
    let algorithm = wrap(SEQUENCE, &algorithm);
    let mut point = Vec::with_capacity(1 + x.len() + y.len());
    point.push(0x04);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    spki(&algorithm, &point)
}

/// `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` from a JWS
/// signature, which must be exactly `2 · curve.size()` bytes; anything else is
/// `None` (refused before the host is asked). Zero or out-of-range values are
/// encoded as they are: the verifier refuses them.
pub fn ecdsa_signature(curve: Curve, raw: &[u8]) -> Option<Vec<u8>> {
    if raw.len() != 2 * curve.size() {
        return None;
    }
    let (r, s) = raw.split_at(curve.size());
    let mut body = Vec::with_capacity(raw.len() + 6);
    integer(&mut body, r);
    integer(&mut body, s);
    Some(wrap(SEQUENCE, &body))
}

fn spki(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let mut bits = Vec::with_capacity(key.len() + 1);
    bits.push(0x00); // no unused bits
    bits.extend_from_slice(key);
    let mut body = algorithm.to_vec();
    body.extend_from_slice(&wrap(BIT_STRING, &bits));
    wrap(SEQUENCE, &body)
}

/// A non-negative INTEGER from big-endian bytes: leading zeros dropped, one
/// zero byte put back when the top bit is set, `0` as a single zero byte.
fn integer(out: &mut Vec<u8>, be: &[u8]) {
    let start = be.iter().position(|&b| b != 0).unwrap_or(be.len());
    let digits = be.get(start..).unwrap_or_default();
    let pad = digits.first().is_none_or(|&top| top & 0x80 != 0);
    out.push(INTEGER);
    length(out, digits.len() + usize::from(pad));
    if pad {
        out.push(0x00);
    }
    out.extend_from_slice(digits);
}

fn wrap(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 4);
    out.push(tag);
    length(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

/// Definite length: short form below 128, else the fewest big-endian bytes.
fn length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = bytes.get(start..).unwrap_or_default();
    out.push(0x80 | digits.len() as u8);
    out.extend_from_slice(digits);
}

#[cfg(test)]
mod tests;
