//! The `PROMPT` setting (App Xchange's "Prompt"): how the authorization
//! server treats the user, sent as the `prompt` parameter of every
//! authorization link of a provider (OpenID Connect Core 3.1.2.1).

use crate::{OauthError, error, pairs};

/// The setting, on every connector.
pub const SETTING: &str = "PROMPT";
/// What [`SETTING`] takes, as `flowauth connectors` lists it.
pub const DESCRIPTION: &str = "Prompts for the authorization link, separated by spaces (login, consent, \
                               select_account, none): replaces the connector's own prompt";

/// Sets `prompt` in an authorization link's `query` from the provider's
/// [`SETTING`] (`setting`, its value if set): the values joined by single
/// spaces (commas are read as separators too). A token's own `prompt`,
/// added after this, still wins.
pub fn apply(query: &mut Vec<(String, String)>, setting: Option<&str>) -> Result<(), OauthError> {
    let Some(setting) = setting else { return Ok(()) };
    let values: Vec<&str> = setting.split([' ', ',']).filter(|v| !v.is_empty()).collect();
    if values.is_empty() {
        return Ok(());
    }
    if let Some(bad) = values.iter().find(|v| !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')) {
        return Err(error::config(format!(
            "{SETTING} holds {bad:?}: give prompt values such as login, consent, select_account or none, \
             separated by spaces"
        )));
    }
    pairs::set(query, "prompt", values.join(" "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_replaces_the_connectors_prompt() {
        let mut query = vec![("prompt".to_owned(), "consent".to_owned())];
        apply(&mut query, Some("login,  select_account")).unwrap();
        assert_eq!(query, [("prompt".to_owned(), "login select_account".to_owned())]);
        let mut untouched = vec![("prompt".to_owned(), "consent".to_owned())];
        apply(&mut untouched, None).unwrap();
        apply(&mut untouched, Some(" , ")).unwrap();
        assert_eq!(untouched[0].1, "consent");
    }

    #[test]
    fn a_value_that_is_not_a_prompt_is_named() {
        let refused = apply(&mut Vec::new(), Some("login&x=1")).unwrap_err();
        assert!(matches!(refused, OauthError::Config(m) if m.contains("\"login&x=1\"")));
    }
}
