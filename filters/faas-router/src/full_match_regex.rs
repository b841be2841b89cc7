//! How a route regex is filed: compiled by `filters_common::full_match_regex`
//! (full match, the filters' one set of limits), the literal text every match
//! starts with, and the bucket (that text cut at its last `/`) the table files
//! it under.

use filters_common::full_match_regex::full_match as anchored;
use regex_lite::Regex;

/// A regex checked and ready, with the literal text every match starts with.
#[derive(Debug, Clone)]
pub struct CompiledRegex {
    pub(crate) matcher: BucketRegex,
    pub literal_prefix: String,
}

/// A regex in its bucket. Most patterns start with their bucket's key
/// (`/faas/api/u/[a-z]+/profile` in bucket `/faas/api/u/`), which every path
/// probed there starts with too: `regex` then matches only the rest of the
/// path (`skip` bytes later), sparing the regex engine the longest part.
#[derive(Debug, Clone)]
pub(crate) struct BucketRegex {
    /// As configured: the tie-break between matching regexes.
    pub(crate) pattern: Box<str>,
    pub(crate) skip: usize,
    pub(crate) regex: Regex,
}

/// Compiles a route regex with full-match semantics (`^(?:pattern)$`, as
/// Envoy and Istio do) and finds its literal prefix.
pub fn compile_regex(pattern: &str) -> Result<CompiledRegex, String> {
    let full = anchored(pattern)?;
    let literal = literal_chars(pattern);
    let literal_prefix: String = literal.iter().map(|&(c, _)| c).collect();
    let key_len = bucket_key(&literal_prefix).len();
    // The source offset right after the key's last character.
    let tail = literal
        .iter()
        .scan(0, |len, &(c, end)| {
            *len += c.len_utf8();
            Some((*len, end))
        })
        .find(|&(len, _)| len == key_len && key_len > 0)
        .and_then(|(_, end)| pattern.get(end..))
        .filter(|rest| matches_alone(rest))
        .and_then(|rest| anchored(rest).ok());
    let (skip, regex) = match tail {
        Some(tail) => (key_len, tail),
        None => (0, full),
    };
    Ok(CompiledRegex {
        matcher: BucketRegex {
            pattern: pattern.into(),
            skip,
            regex,
        },
        literal_prefix,
    })
}

/// Whether `rest`, the pattern after a literal prefix ending in `/`, means
/// the same alone as after that prefix: it must not start with a
/// quantifier (which would apply to the `/`), nor hold a start anchor (`^`
/// outside `[^`, `\A`), which could match at its start alone but never
/// after a `/`. Word boundaries agree: `/` and the start are both non-word.
fn matches_alone(rest: &str) -> bool {
    if rest.starts_with(['*', '+', '?', '{']) {
        return false;
    }
    let mut prev = None;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if chars.next() == Some('A') {
                    return false;
                }
                prev = None;
                continue;
            }
            '^' if prev != Some('[') => return false,
            _ => {}
        }
        prev = Some(c);
    }
    true
}

/// The literal text every match of a valid `pattern` starts with; shorter
/// than the truth is fine, longer never. Stops at the first metacharacter,
/// or before a character a quantifier may repeat zero times; an
/// alternation outside any group means nothing is certain. Each character
/// comes with the offset in `pattern` right after its source (`\.` is two
/// bytes).
fn literal_chars(pattern: &str) -> Vec<(char, usize)> {
    if has_top_level_alternation(pattern) {
        return Vec::new();
    }
    let mut chars = pattern
        .char_indices()
        .skip(usize::from(pattern.starts_with('^')))
        .peekable();
    let mut out = Vec::new();
    while let Some((_, c)) = chars.next() {
        let literal = match c {
            '\\' => match chars.peek() {
                // Only escapes regex-lite reads as the character itself:
                // `\<` and `\>` are word boundaries, not `<` and `>`.
                Some(&(_, e)) if ESCAPED_LITERALS.contains(e) => {
                    chars.next();
                    e
                }
                _ => break,
            },
            '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => break,
            c => c,
        };
        let next = chars.peek().copied();
        if matches!(next, Some((_, '*' | '?' | '{'))) {
            break;
        }
        out.push((literal, next.map_or(pattern.len(), |(i, _)| i)));
    }
    out
}

/// Punctuation that stands for itself after a backslash in regex-lite.
const ESCAPED_LITERALS: &str = "\\.+*?()|[]{}^$#&-~/";

/// Whether a `|` may apply to the whole pattern. Where this scan cannot
/// follow regex-lite's syntax exactly (the `x` flag with its `#` comments,
/// POSIX classes `[[:digit:]]`, any other `[` inside a class) the answer is
/// yes: no literal prefix is then claimed.
fn has_top_level_alternation(pattern: &str) -> bool {
    let verbose_flag = pattern.split("(?").skip(1).any(|after| {
        after
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .any(|c| c == 'x')
    });
    if verbose_flag || pattern.contains("[:") {
        return true;
    }
    let (mut depth, mut in_class, mut escaped) = (0usize, false, false);
    let mut class_start = false;
    for c in pattern.chars() {
        if escaped {
            escaped = false;
            class_start = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ']' if in_class && !class_start => in_class = false,
            '^' if class_start => continue,
            '[' if in_class => return true,
            _ if in_class => {}
            '[' => {
                in_class = true;
                class_start = true;
                continue;
            }
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => return true,
            _ => {}
        }
        class_start = false;
    }
    false
}

/// A regex's bucket: its literal prefix cut after the last `/`.
pub(crate) fn bucket_key(literal_prefix: &str) -> &str {
    match literal_prefix.rfind('/') {
        Some(i) => literal_prefix.get(..=i).unwrap_or(""),
        None => "",
    }
}

#[cfg(test)]
mod tests;
