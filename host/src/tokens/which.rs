//! Further tokens of one grant (Slack's user token beside its bot token).
//! A component keeps each in the token set's extra values as
//! `<which>.access_token` with `.token_type`, `.refresh_token`,
//! `.expires_in` and `.scope` (the SDK's `alternates`); the store seals
//! them with the token. A flow step asks for one with `which`; their
//! fields never show among the extra values handed out, and a
//! `.refresh_token` is never handed out at all.

use crate::store::now;

use super::{AccessToken, TokenError};

/// Ordered key/value pairs.
type Pairs = Vec<(String, String)>;

/// What marks a further token's access token.
const ACCESS: &str = ".access_token";

/// The names of the further tokens in `extra`.
fn names(extra: &[(String, String)]) -> Vec<&str> {
    extra.iter().filter_map(|(k, v)| k.strip_suffix(ACCESS).filter(|_| !v.is_empty())).collect()
}

/// Whether `key` is a field of one of `names`' tokens.
fn belongs(names: &[&str], key: &str) -> bool {
    names.iter().any(|name| key.strip_prefix(name).is_some_and(|rest| rest.starts_with('.')))
}

/// `extra` split into its plain values and the further tokens' fields.
pub fn split(extra: &[(String, String)]) -> (Pairs, Pairs) {
    let names = names(extra);
    extra.iter().cloned().partition(|(k, _)| !belongs(&names, k))
}

/// The further tokens' secrets (access and refresh tokens), for redaction.
pub fn secrets(extra: &[(String, String)]) -> Vec<&str> {
    let names = names(extra);
    extra
        .iter()
        .filter(|(k, _)| belongs(&names, k) && (k.ends_with(ACCESS) || k.ends_with(".refresh_token")))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Values a refresh keeps from the token set it replaces: those the new
/// answer does not give again (a Slack user token, Atlassian's cloud id).
pub fn kept(previous: &[(String, String)], renewed: &mut Vec<(String, String)>) {
    for (key, value) in previous {
        if !renewed.iter().any(|(k, _)| k == key) {
            renewed.push((key.clone(), value.clone()));
        }
    }
}

/// The further tokens' fields as handed out with the main token:
/// `.expires_in` made absolute from `issued_at` (as `.expires_at`), and
/// refresh tokens left out.
pub fn handed(fields: Vec<(String, String)>, issued_at: Option<i64>) -> Vec<(String, String)> {
    fields
        .into_iter()
        .filter(|(k, _)| !k.ends_with(".refresh_token"))
        .filter_map(|(k, v)| match k.strip_suffix(".expires_in") {
            Some(name) => {
                let seconds: i64 = v.parse().ok()?;
                Some((format!("{name}.expires_at"), issued_at.unwrap_or_else(now).saturating_add(seconds).to_string()))
            }
            None => Some((k, v)),
        })
        .collect()
}

impl AccessToken {
    /// The token a flow step asked for: the main one without `which`, or
    /// when its type is `which` (Slack's `bot`, or `user` when the app
    /// asked for user scopes only), else the further token `which`.
    pub fn select(&self, which: Option<&str>) -> Result<AccessToken, TokenError> {
        let Some(which) = which.filter(|w| !self.token_type.eq_ignore_ascii_case(w)) else {
            return Ok(self.clone());
        };
        let field = |name: &str| {
            let key = format!("{which}.{name}");
            self.further.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
        };
        let Some(access_token) = field("access_token") else {
            let mut held = vec![self.token_type.to_ascii_lowercase()];
            held.extend(names(&self.further).into_iter().map(str::to_owned));
            return Err(TokenError::Invalid(format!(
                "this token holds no {which:?} token: ask for one of {} (or leave which out for the first); \
                 a Slack user token needs user scopes (USER_SCOPE or the user_scope input)",
                held.join(", ")
            )));
        };
        Ok(AccessToken {
            access_token,
            token_type: field("token_type").unwrap_or_else(|| "Bearer".into()),
            expires_at: field("expires_at").and_then(|at| at.parse().ok()),
            extra: self.extra.clone(),
            further: self.further.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn slack() -> AccessToken {
        let extra = pairs(&[
            ("team_id", "T1"),
            ("user.access_token", "xoxp"),
            ("user.token_type", "user"),
            ("user.refresh_token", "xoxe-u"),
            ("user.expires_in", "60"),
        ]);
        let (plain, further) = split(&extra);
        AccessToken {
            access_token: "xoxb".into(),
            token_type: "bot".into(),
            expires_at: None,
            extra: plain,
            further: handed(further, Some(1000)),
        }
    }

    #[test]
    fn which_picks_the_main_or_a_further_token() {
        let token = slack();
        assert_eq!(token.extra, pairs(&[("team_id", "T1")]), "further fields are not plain values");
        assert_eq!(token.select(None).unwrap().access_token, "xoxb");
        assert_eq!(token.select(Some("bot")).unwrap().access_token, "xoxb");
        let user = token.select(Some("user")).unwrap();
        assert_eq!(
            (user.access_token.as_str(), user.token_type.as_str(), user.expires_at),
            ("xoxp", "user", Some(1060))
        );
        assert!(!user.further.iter().any(|(k, _)| k.ends_with("refresh_token")), "{:?}", user.further);
        let error = token.select(Some("admin")).unwrap_err().to_string();
        assert!(error.contains("one of bot, user"), "{error}");
    }

    #[test]
    fn secrets_are_the_further_tokens() {
        let extra = pairs(&[("user.access_token", "xoxp"), ("user.refresh_token", "xoxe"), ("user.scope", "a")]);
        assert_eq!(secrets(&extra), ["xoxp", "xoxe"]);
    }
}
