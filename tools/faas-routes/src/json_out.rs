//! How a table is printed: JSON with one route a line (reviewable diffs,
//! deterministic order of keys), `routes` and `virtualHosts[].routes`
//! expanded, everything else compact.

use serde_json::Value;

/// The pluginConfig as text, ending with a newline.
pub fn pretty(config: &Value) -> String {
    let Value::Object(map) = config else {
        return format!("{config}\n");
    };
    let fields: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("  {}: {}", Value::String(k.clone()), value(k, v, "  ")))
        .collect();
    format!("{{\n{}\n}}\n", fields.join(",\n"))
}

fn value(key: &str, v: &Value, indent: &str) -> String {
    match (key, v) {
        ("routes", Value::Array(items)) if !items.is_empty() => {
            let lines: Vec<String> = items.iter().map(|r| format!("{indent}  {r}")).collect();
            format!("[\n{}\n{indent}]", lines.join(",\n"))
        }
        ("virtualHosts", Value::Array(items)) if !items.is_empty() => {
            let inner = format!("{indent}  ");
            let lines: Vec<String> = items
                .iter()
                .map(|vh| match vh {
                    Value::Object(m) => {
                        let parts: Vec<String> = m
                            .iter()
                            .map(|(k, v)| {
                                format!("{}: {}", Value::String(k.clone()), value(k, v, &inner))
                            })
                            .collect();
                        format!("{inner}{{{}}}", parts.join(", "))
                    }
                    other => format!("{inner}{other}"),
                })
                .collect();
            format!("[\n{}\n{indent}]", lines.join(",\n"))
        }
        _ => v.to_string(),
    }
}
