//! How a configuration is refused: every bad field named, not only the first.

use serde::de::DeserializeOwned;
use std::fmt;

/// One problem with one field. `field` is a path such as `routes[3].match.prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// All problems found in one configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigErrors {
    pub errors: Vec<FieldError>,
}

impl ConfigErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` when nothing was reported, otherwise all problems.
    pub fn into_result<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    pub fn fields(&self) -> Vec<&str> {
        self.errors.iter().map(|e| e.field.as_str()).collect()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: ")?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Parses JSON into `T` (which should use `#[serde(deny_unknown_fields)]`),
/// naming the field that failed. Serde stops at the first structural error;
/// semantic checks afterwards should collect every problem into `ConfigErrors`.
/// An empty configuration is parsed as `{}`.
pub fn parse_config<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ConfigErrors> {
    let text = if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        &b"{}"[..]
    } else {
        bytes
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = match result {
        Ok(v) => v,
        Err(err) => {
            let path = err.path().to_string();
            let field = if path == "." || path.is_empty() {
                "(root)".to_string()
            } else {
                path
            };
            let mut errors = ConfigErrors::new();
            errors.add(field, err.into_inner().to_string());
            return Err(errors);
        }
    };
    if let Err(err) = de.end() {
        let mut errors = ConfigErrors::new();
        errors.add("(root)", err.to_string());
        return Err(errors);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Sample {
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn unknown_field_is_named_with_its_path() {
        let err = parse_config::<Sample>(br#"{"items":[{"name":"a"},{"nmae":"b"}]}"#).unwrap_err();
        assert_eq!(err.fields(), vec!["items[1].nmae"]);
        assert!(err.to_string().contains("unknown field `nmae`"), "{err}");
    }

    #[test]
    fn wrong_type_is_named() {
        let err = parse_config::<Sample>(br#"{"items":[{"name":3}]}"#).unwrap_err();
        assert_eq!(err.fields(), vec!["items[0].name"]);
    }

    #[test]
    fn empty_config_is_an_empty_object() {
        assert!(parse_config::<Sample>(b"  ").unwrap().items.is_empty());
    }

    #[test]
    fn trailing_garbage_is_refused() {
        assert!(parse_config::<Sample>(b"{} x").is_err());
    }

    #[test]
    fn all_errors_are_listed() {
        let mut e = ConfigErrors::new();
        e.add("a", "bad");
        e.add("b.c", "worse");
        assert_eq!(e.to_string(), "invalid configuration: a: bad; b.c: worse");
        assert!(e.into_result(()).is_err());
    }
}
