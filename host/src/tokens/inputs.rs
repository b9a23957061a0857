//! A connector's required per-token inputs (Zendesk's `subdomain`), checked
//! before a token is started, reset or retried: a missing one is the
//! caller's mistake, answered with its name while nothing is stored, not a
//! provider failure recorded on a token.

use crate::runtime::{Setting, Target};

use super::TokenError;

/// An error naming each input the connector requires that neither
/// `inputs` (the token's) nor the provider's settings give a value,
/// looked up as the components do: in any case, empty counting as unset.
pub(super) fn check_required(target: &Target, inputs: &[(String, String)]) -> Result<(), TokenError> {
    let Some(connector) = &target.connector else { return Ok(()) };
    let given = |key: &str| {
        inputs.iter().chain(&target.client.settings).any(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
    };
    let missing: Vec<&Setting> = connector
        .inputs
        .iter()
        .filter(|input| input.required && input.default.is_none() && !given(&input.key))
        .collect();
    let Some(first) = missing.first() else { return Ok(()) };
    let named: Vec<String> = missing.iter().map(|input| format!("{:?} ({})", input.key, input.description)).collect();
    Err(TokenError::Invalid(format!(
        "connector {} needs the input {}: give it in \"additional\" ({{\"{key}\": \"...\"}}), or --input {key}=... on the command line",
        connector.name,
        named.join(", "),
        key = first.key
    )))
}
