//! A connector's required per-token inputs (Zendesk's `subdomain`), checked
//! before a token is started, reset or retried: a missing one is the
//! caller's mistake, answered with its name while nothing is stored, not a
//! provider failure recorded on a token. A provider whose settings say
//! `NEED_RESOURCE_URL` false (ThingWorx) needs each token's `resource`.

use crate::runtime::{Setting, Target};

use super::TokenError;

/// An error naming each input the connector requires that neither
/// `inputs` (the token's) nor the provider's settings give a value,
/// looked up as the components do: in any case, empty counting as unset.
pub(super) fn check_required(target: &Target, inputs: &[(String, String)]) -> Result<(), TokenError> {
    let given = |key: &str| {
        inputs.iter().chain(&target.client.settings).any(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
    };
    let per_token_resource = target
        .client
        .settings
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("NEED_RESOURCE_URL") && v.eq_ignore_ascii_case("false"));
    if per_token_resource && !given("resource") && !given("RESOURCE_URL") {
        return Err(TokenError::Invalid(format!(
            "provider settings of {} say NEED_RESOURCE_URL false: each token gives its resource server URL, \
             in \"resource\" (--resource on the command line)",
            target.client.connector
        )));
    }
    let Some(connector) = &target.connector else { return Ok(()) };
    let missing: Vec<&Setting> = connector
        .inputs
        .iter()
        .filter(|input| input.required && input.default.is_none() && !given(&input.key))
        // The components read `resource` from `RESOURCE_URL` when the token gives none.
        .filter(|input| !(input.key == "resource" && given("RESOURCE_URL")))
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
