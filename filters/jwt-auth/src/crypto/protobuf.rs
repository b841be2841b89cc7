//! How the messages of Envoy's `verify_signature` foreign function are
//! written and read (Envoy `source/extensions/common/wasm/ext/
//! verify_signature.proto`), by hand: two small proto3 messages do not need a
//! protobuf crate in the module.
//!
//! ```text
//! message VerifySignatureArguments { string hash_function = 1; bytes public_key = 2;
//!                                    bytes signature = 3; bytes text = 4;
//!                                    string public_key_pem = 5; }
//! message VerifySignatureResult    { bool result = 1; string error = 2; }
//! ```

/// Wire types (protobuf encoding guide).
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const FIXED32: u8 = 5;

/// `VerifySignatureArguments` with a DER SubjectPublicKeyInfo (`public_key`;
/// `public_key_pem` is left out).
pub fn arguments(hash_function: &str, public_key: &[u8], signature: &[u8], text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        hash_function.len() + public_key.len() + signature.len() + text.len() + 20,
    );
    field(&mut out, 1, hash_function.as_bytes());
    field(&mut out, 2, public_key);
    field(&mut out, 3, signature);
    field(&mut out, 4, text);
    out
}

/// A decoded `VerifySignatureResult`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyResult {
    pub result: bool,
    pub error: String,
}

/// Reads a `VerifySignatureResult`; unknown fields are skipped, as protobuf
/// parsers do. `None` for bytes that are not such a message.
pub fn result(mut bytes: &[u8]) -> Option<VerifyResult> {
    let mut out = VerifyResult::default();
    while !bytes.is_empty() {
        let key = varint(&mut bytes)?;
        let (number, wire) = (key >> 3, (key & 7) as u8);
        match wire {
            VARINT => {
                let v = varint(&mut bytes)?;
                if number == 1 {
                    out.result = v != 0;
                }
            }
            LEN => {
                let len = usize::try_from(varint(&mut bytes)?).ok()?;
                let (value, rest) = bytes.split_at_checked(len)?;
                bytes = rest;
                if number == 2 {
                    out.error = String::from_utf8_lossy(value).into_owned();
                }
            }
            FIXED64 => bytes = bytes.get(8..)?,
            FIXED32 => bytes = bytes.get(4..)?,
            _ => return None,
        }
    }
    Some(out)
}

fn field(out: &mut Vec<u8>, number: u64, value: &[u8]) {
    // proto3 leaves empty scalar fields out.
    if value.is_empty() {
        return;
    }
    put_varint(out, number << 3 | u64::from(LEN));
    put_varint(out, value.len() as u64);
    out.extend_from_slice(value);
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_tagged_length_delimited_fields() {
        let sig = [7u8; 200];
        let got = arguments("sha256", &[1, 2], &sig, b"hi");
        let mut want = vec![0x0a, 6];
        want.extend_from_slice(b"sha256");
        want.extend_from_slice(&[0x12, 2, 1, 2, 0x1a, 0xc8, 0x01]);
        want.extend_from_slice(&sig);
        want.extend_from_slice(&[0x22, 2, b'h', b'i']);
        assert_eq!(got, want);
    }

    #[test]
    fn results_are_read_with_unknown_fields_skipped() {
        assert_eq!(result(&[]), Some(VerifyResult::default()));
        assert_eq!(result(&[0x08, 1]).map(|r| r.result), Some(true));
        let r = result(&[0x08, 0, 0x12, 3, b'b', b'a', b'd', 0x18, 5, 0x2a, 1, 9]).unwrap();
        assert_eq!(
            r,
            VerifyResult {
                result: false,
                error: "bad".into()
            }
        );
        assert_eq!(
            result(&[0x19, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 1]).map(|r| r.result),
            Some(true)
        );
        for bad in [&[0x08][..], &[0x12, 5, 1], &[0x0b], &[0x08, 0xff]] {
            assert_eq!(result(bad), None, "{bad:?}");
        }
    }
}
