use super::*;

const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[test]
fn traceparent() {
    assert_eq!(
        from_traceparent(TP),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(
        from_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    for bad in [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "",
    ] {
        assert_eq!(from_traceparent(bad), None, "{bad}");
    }
}

/// The field-splitting reading of the spec the offsets replace.
fn by_fields(value: &str) -> Option<&str> {
    let mut fields = value.trim_matches(|c| c == ' ' || c == '\t').split('-');
    let (version, trace_id) = (fields.next()?, fields.next()?);
    let (parent_id, flags) = (fields.next()?, fields.next()?);
    let valid = version.len() == 2
        && is_lower_hex(version)
        && version != "ff"
        && trace_id.len() == 32
        && is_lower_hex(trace_id)
        && not_all_zero(trace_id)
        && parent_id.len() == 16
        && is_lower_hex(parent_id)
        && not_all_zero(parent_id)
        && flags.len() == 2
        && is_lower_hex(flags)
        && (version != "00" || fields.next().is_none());
    valid.then_some(trace_id)
}

#[test]
fn offsets_agree_with_splitting_the_fields() {
    let seeds = [
        TP.to_string(),
        format!("01{}-more", &TP[2..]),
        format!(" \t{TP}\t "),
        format!("cc{}-", &TP[2..]),
    ];
    let mut n = 0;
    for seed in &seeds {
        let bytes = seed.as_bytes();
        for at in 0..bytes.len() {
            for with in [b'-', b'0', b'f', b'g', b'A', b' ', 0xc3] {
                for cut in [false, true] {
                    let mut m = bytes.to_vec();
                    if cut {
                        m.remove(at);
                    } else {
                        m[at] = with;
                    }
                    let Ok(v) = String::from_utf8(m) else {
                        continue;
                    };
                    assert_eq!(from_traceparent(&v), by_fields(&v), "{v:?}");
                    n += 1;
                }
            }
        }
    }
    assert!(n > 1000);
}

#[test]
fn b3_and_raw() {
    assert_eq!(
        extract("x-b3-traceid", "463ac35c9f6413ad"),
        Some("463ac35c9f6413ad")
    );
    assert_eq!(extract("x-b3-traceid", "463AC35C9F6413AD"), None);
    assert_eq!(extract("x-b3-traceid", "0000000000000000"), None);
    assert_eq!(
        extract("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"),
        Some("80f198ee56343ba864fe8b2a57d3eff7")
    );
    assert_eq!(
        extract("x-request-id", "7c1f0b3e-3a2b-4c5d-9e8f-0a1b2c3d4e5f"),
        Some("7c1f0b3e-3a2b-4c5d-9e8f-0a1b2c3d4e5f")
    );
    assert_eq!(extract("x-request-id", &"a".repeat(129)), None);
    assert_eq!(extract("x-request-id", "a b"), None);
    assert_eq!(extract("x-request-id", "a|b"), None);
    assert_eq!(extract("x-request-id", ""), None);
}
