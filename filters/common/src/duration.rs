//! Istio's duration strings (`250ms`, `15s`, `1m`, `1.5s`, `1h30m`): the
//! syntax of Go's `time.ParseDuration`, which Istio's VirtualService
//! `timeout`, `retries.perTryTimeout` and RequestAuthentication `jwtRules[].timeout` are read with. Like Istio's own
//! validation (`ValidateDuration`: at least 1ms, whole milliseconds), only
//! positive whole-millisecond durations are kept, since Envoy's headers carry
//! milliseconds and `0` there would mean "no timeout".

use std::time::Duration;

/// Nanoseconds per unit, longest unit names first so `ms` is not read as `m`.
const UNITS: [(&str, u128); 9] = [
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("", 0),
];

/// Go's `time.Duration` limit (about 292 years); longer is refused.
const MAX_NANOS: u128 = i64::MAX as u128;

/// Parses a positive whole-millisecond duration; the error says why not.
pub fn parse(s: &str) -> Result<Duration, String> {
    if s.starts_with('-') {
        return Err(format!("{s:?} must be positive"));
    }
    let body = s.strip_prefix('+').unwrap_or(s);
    if body.is_empty() {
        return Err(format!("{s:?} is not a duration like 250ms, 15s, 1m"));
    }
    let bad = || format!("{s:?} is not a duration like 250ms, 15s, 1m");
    let mut nanos: u128 = 0;
    let mut rest = body;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(f) => {
                let n = f.bytes().take_while(u8::is_ascii_digit).count();
                f.split_at(n)
            }
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        let unit_len = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after.len(), |(i, _)| i);
        let (unit, next) = after.split_at(unit_len);
        let Some(&(_, per)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(bad());
        };
        if per == 0 {
            // Go accepts a bare "0" only; anything else needs a unit.
            if body == "0" {
                break;
            }
            if !next.is_empty() {
                return Err(bad());
            }
            return Err(format!("{s:?} needs a unit (ns, us, ms, s, m, h)"));
        }
        let whole = digits(int).and_then(|v| v.checked_mul(per));
        let part = fraction(frac, per);
        nanos = match whole
            .and_then(|w| w.checked_add(part))
            .and_then(|v| nanos.checked_add(v))
        {
            Some(v) if v <= MAX_NANOS => v,
            _ => return Err(format!("{s:?} is too long")),
        };
        rest = next;
    }
    if nanos == 0 {
        return Err(format!("{s:?} must be positive"));
    }
    if nanos < 1_000_000 {
        return Err(format!("{s:?} is under 1ms"));
    }
    if !nanos.is_multiple_of(1_000_000) {
        return Err(format!("{s:?} is not a whole number of milliseconds"));
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| bad())?;
    let sub = u32::try_from(nanos % 1_000_000_000).map_err(|_| bad())?;
    Ok(Duration::new(secs, sub))
}

fn digits(s: &str) -> Option<u128> {
    s.bytes().try_fold(0u128, |acc, b| {
        acc.checked_mul(10)?.checked_add(u128::from(b - b'0'))
    })
}

/// `0.<frac>` of `per` nanoseconds, truncated as Go does.
fn fraction(frac: &str, per: u128) -> u128 {
    let mut value = 0u128;
    let mut scale = 1u128;
    // Beyond 20 digits nothing changes at nanosecond precision (and 10^20
    // times an hour in nanoseconds still fits).
    for b in frac.bytes().take(20) {
        value = value * 10 + u128::from(b - b'0');
        scale *= 10;
    }
    value * per / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> u128 {
        parse(s).unwrap().as_millis()
    }

    #[test]
    fn istio_forms() {
        assert_eq!(ms("250ms"), 250);
        assert_eq!(ms("15s"), 15_000);
        assert_eq!(ms("1m"), 60_000);
        assert_eq!(ms("1h"), 3_600_000);
        assert_eq!(ms("1.5s"), 1_500);
        assert_eq!(ms(".5s"), 500);
        assert_eq!(ms("1h30m"), 5_400_000);
        assert_eq!(ms("1m0.25s"), 60_250);
        assert_eq!(ms("1000us"), 1);
        assert_eq!(ms("2000000ns"), 2);
        assert_eq!(ms("+3s"), 3_000);
        assert_eq!(ms("0.001s"), 1);
    }

    #[test]
    fn refusals_say_why() {
        for (bad, why) in [
            ("", "not a duration"),
            ("15", "needs a unit"),
            ("0", "positive"),
            ("0s", "positive"),
            ("-1s", "positive"),
            ("1.5", "needs a unit"),
            ("s", "not a duration"),
            ("1 s", "not a duration"),
            ("1sec", "not a duration"),
            ("1d", "not a duration"),
            ("500us", "under 1ms"),
            ("1.0005s", "whole number of milliseconds"),
            ("1..5s", "not a duration"),
            ("3000000h", "too long"),
            ("99999999999999999999999999999999999999999h", "too long"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }
}
