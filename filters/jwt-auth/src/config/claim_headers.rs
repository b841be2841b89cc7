//! How `outputClaimToHeaders` and `outputPayloadToHeader` are checked:
//! lower-case header names that are neither hop-by-hop/framing headers nor
//! one of the rule's token headers; claims as names or dotted paths, and
//! whether each is one of `spaceDelimitedClaims`.

use super::model::ClaimHeader;
use super::raw::RawClaimHeader;
use filters_common::http_token::check_header_name;
use filters_common::ConfigErrors;

/// The `outputClaimToHeaders` of the rule at `at`, each bad entry named.
pub(super) fn claim_headers(
    raw: Vec<RawClaimHeader>,
    token_headers: &[&str],
    space_delimited: &[String],
    at: &str,
    errors: &mut ConfigErrors,
) -> Vec<ClaimHeader> {
    let mut output_claim_to_headers = Vec::new();
    for (i, c) in raw.into_iter().enumerate() {
        let h_at = format!("{at}.outputClaimToHeaders[{i}]");
        check_output_header(&c.header, token_headers, &format!("{h_at}.header"), errors);
        let path: Vec<String> = c.claim.split('.').map(str::to_string).collect();
        if path.iter().any(String::is_empty) {
            errors.add(
                format!("{h_at}.claim"),
                "must be a claim name or a dotted path",
            );
        }
        output_claim_to_headers.push(ClaimHeader {
            space_delimited: space_delimited.contains(&c.claim),
            header: c.header,
            path,
        });
    }
    output_claim_to_headers
}

pub(super) fn check_output_header(
    name: &str,
    token_headers: &[&str],
    at: &str,
    errors: &mut ConfigErrors,
) {
    if !check_header_name(name, at, errors) {
        return;
    }
    if matches!(
        name,
        "host" | "connection" | "content-length" | "transfer-encoding" | "te" | "upgrade"
    ) {
        errors.add(at, format!("{name:?} cannot be an output header"));
    } else if token_headers.contains(&name) {
        errors.add(at, format!("{name:?} is also a token header"));
    }
}
