//! Further tokens one grant issues beside its access token (Slack's user
//! token beside its bot token). A token set keeps each in its `extra` as
//! `<which>.access_token`, with `<which>.token_type`, `<which>.refresh_token`,
//! `<which>.expires_in` and `<which>.scope`. The flowauth host seals them
//! with the token, hands one out when a flow step asks for it by `which`,
//! passes them back to `refresh`, revokes them with the grant, and never
//! shows a `.refresh_token`.

use crate::{TokenSet, pairs};

/// The suffix that marks a further token.
const ACCESS: &str = ".access_token";

/// Keeps `set` in `extra` as the token named `which`.
pub fn put(extra: &mut Vec<(String, String)>, which: &str, set: &TokenSet) {
    let fields = [
        ("access_token", Some(set.access_token.clone())),
        ("token_type", Some(set.token_type.clone())),
        ("refresh_token", set.refresh_token.clone()),
        ("expires_in", set.expires_in.map(|s| s.to_string())),
        ("scope", set.scope.clone()),
    ];
    for (field, value) in fields {
        if let Some(value) = value {
            pairs::set(extra, &format!("{which}.{field}"), value);
        }
    }
}

/// A field of the token named `which`.
pub fn field<'a>(extra: &'a [(String, String)], which: &str, field: &str) -> Option<&'a str> {
    pairs::get(extra, &format!("{which}.{field}")).filter(|v| !v.is_empty())
}

/// The names of the further tokens in `extra`.
pub fn names(extra: &[(String, String)]) -> Vec<&str> {
    extra.iter().filter_map(|(k, v)| k.strip_suffix(ACCESS).filter(|_| !v.is_empty())).collect()
}

/// Every field of the further tokens in `extra`, as pairs.
pub fn all(extra: &[(String, String)]) -> Vec<(String, String)> {
    let names = names(extra);
    let belongs = |key: &str| names.iter().any(|n| key.strip_prefix(n).is_some_and(|rest| rest.starts_with('.')));
    extra.iter().filter(|(k, _)| belongs(k)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_further_token_round_trips_through_extra() {
        let set = TokenSet {
            access_token: "xoxp".into(),
            token_type: "user".into(),
            refresh_token: Some("xoxe-1".into()),
            expires_in: Some(43200),
            scope: None,
            id_token: None,
            extra: vec![],
        };
        let mut extra = vec![("team_id".to_owned(), "T1".to_owned())];
        put(&mut extra, "user", &set);
        assert_eq!(names(&extra), ["user"]);
        assert_eq!(
            (field(&extra, "user", "access_token"), field(&extra, "user", "expires_in")),
            (Some("xoxp"), Some("43200"))
        );
        assert_eq!(all(&extra).len(), 4, "team_id is not part of it: {extra:?}");
    }
}
