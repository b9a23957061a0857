//! "Did you mean ...?": the closest of the names a user could have meant.

/// How alike two names must be (0 to 1, on their lower-case forms) to be
/// suggested for each other.
const ALIKE: f64 = 0.7;

/// The candidate closest to `word`, when one is close enough.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| (strsim::normalized_damerau_levenshtein(&word, &candidate.to_ascii_lowercase()), candidate))
        .filter(|(likeness, _)| *likeness >= ALIKE)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// ` (did you mean "x"?)`, or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map(|c| format!(" (did you mean {c:?}?)")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["CLIENT_ID", "CLIENT_SECRET", "TOKEN_URL"];
        assert_eq!(closest("CLIENT_SECRT", keys), Some("CLIENT_SECRET"));
        assert_eq!(closest("client_id", keys), Some("CLIENT_ID"));
        assert_eq!(closest("COLOUR", keys), None);
    }
}
