//! `application/x-www-form-urlencoded`, the encoding of OAuth requests.

/// Encodes pairs as a form body or query string.
pub fn encode<'a>(pairs: impl IntoIterator<Item = &'a (String, String)>) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// Decodes a form body or query string.
pub fn decode(input: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(input).into_owned().collect()
}

/// Appends `pairs` to the query of `url`, keeping the query it already has.
pub fn append_query(url: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return url.to_owned();
    }
    let separator = match url.find('?') {
        None => '?',
        Some(i) if i + 1 == url.len() || url.ends_with('&') => return format!("{url}{}", encode(pairs)),
        Some(_) => '&',
    };
    format!("{url}{separator}{}", encode(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: &str) -> (String, String) {
        (k.into(), v.into())
    }

    #[test]
    fn round_trips_reserved_characters() {
        let pairs = vec![p("redirect_uri", "https://a.example/cb?x=1&y=2"), p("scope", "a b")];
        assert_eq!(decode(encode(&pairs).as_bytes()), pairs);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { failure_persistence: None, ..Default::default() })]

        #[test]
        fn any_pairs_round_trip(pairs in proptest::collection::vec((".{0,12}", ".{0,12}"), 0..6)) {
            proptest::prop_assert_eq!(decode(encode(&pairs).as_bytes()), pairs);
        }

        #[test]
        fn any_bytes_decode(input in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = decode(&input);
        }
    }

    #[test]
    fn appends_to_existing_query() {
        assert_eq!(append_query("https://a/x?p=1", &[p("q", "2")]), "https://a/x?p=1&q=2");
        assert_eq!(append_query("https://a/x", &[p("q", "2")]), "https://a/x?q=2");
        assert_eq!(append_query("https://a/x?", &[p("q", "2")]), "https://a/x?q=2");
    }
}
