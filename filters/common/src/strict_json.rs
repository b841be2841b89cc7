//! JSON read into a `serde_json::Value`, refusing an object that names a key
//! twice. `serde_json::Value` keeps the last copy silently, which would let
//! `{"defaultRequirement": "required", …, "defaultRequirement": "none"}`
//! weaken a configuration without a word, and a token's header or claims
//! mean one thing here and another to the next JWT library. Every JSON
//! document jwt-auth reads (configuration, JWKS, token header and claims)
//! goes through here, so serde_json's own `Value` parser is not in its
//! module at all.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};
use std::fmt;

/// Parses `json`; a repeated key is an error naming it.
pub fn from_slice(json: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice::<Strict>(json).map(|s| s.0)
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let slot = match object.entry(key) {
                Entry::Vacant(slot) => slot,
                Entry::Occupied(taken) => {
                    let key = taken.key();
                    return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
                }
            };
            let Strict(value) = map.next_value()?;
            slot.insert(value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_serde_json() {
        let text = br#"{"a": [1, -2, 3.5, "x", true, null, {"b": {}}], "c": "\u0041"}"#;
        let want: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(from_slice(text).unwrap(), want);
    }

    #[test]
    fn a_repeated_key_is_refused_at_any_depth_and_named() {
        for text in [
            r#"{"defaultRequirement": "required", "defaultRequirement": "none"}"#,
            r#"{"jwtRules": [{"issuer": "a", "issuer": "b"}]}"#,
            r#"{"a": {"k": 1, "\u006b": 2}}"#,
        ] {
            let e = from_slice(text.as_bytes()).unwrap_err().to_string();
            assert!(e.contains("duplicate key"), "{text}: {e}");
        }
        let e = from_slice(br#"{"x": 1, "x": 2}"#).unwrap_err().to_string();
        assert!(e.contains("`x`"), "{e}");
    }
}
