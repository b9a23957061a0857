//! Lookups in ordered key/value lists ([`Pairs`](crate::Pairs)).

/// The first value of `key`, compared exactly.
pub fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The first value of `key`, ignoring ASCII case: load files are written by
/// hand and `client_id` means `CLIENT_ID`. Empty values count as absent.
pub fn get_ignore_case<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty()).map(|(_, v)| v.as_str())
}

/// Sets `key` to `value`, replacing an earlier value in place or appending.
pub fn set(pairs: &mut Vec<(String, String)>, key: &str, value: impl Into<String>) {
    match pairs.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value.into(),
        None => pairs.push((key.to_owned(), value.into())),
    }
}
