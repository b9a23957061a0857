//! `{placeholder}` substitution, as ThingWorx Flow connector files use it.
//!
//! A placeholder is `{name}` where `name` is letters, digits, `_`, `-` or
//! `.`; any other brace is literal text, so JSON inside a value survives.
//! ThingWorx's deployment form `{{{env.NAME}}}` is resolved by the caller
//! before (see the generic component).

/// Replaces every placeholder with `lookup(name)`. Fails with the name of
/// the first placeholder that has no value.
pub fn render(template: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match placeholder(after) {
            Some(name) => {
                out.push_str(&lookup(name).ok_or_else(|| name.to_owned())?);
                rest = &after[name.len() + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The placeholder names in `template`, in order.
pub fn names(template: &str) -> Vec<&str> {
    template.match_indices('{').filter_map(|(i, _)| placeholder(&template[i + 1..])).collect()
}

fn placeholder(after_brace: &str) -> Option<&str> {
    let end = after_brace.find('}')?;
    let name = &after_brace[..end];
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "client_id" => Some("abc".into()),
            "tenant" => Some("common".into()),
            _ => None,
        }
    }

    #[test]
    fn substitutes_and_keeps_literal_braces() {
        assert_eq!(render("https://x/{tenant}/oauth2?c={client_id}", vars).unwrap(), "https://x/common/oauth2?c=abc");
        assert_eq!(render("{\"a\": {client_id}}", vars).unwrap(), "{\"a\": abc}");
        assert_eq!(render("no { placeholder }", vars).unwrap(), "no { placeholder }");
    }

    #[test]
    fn names_the_missing_placeholder() {
        assert_eq!(render("{client_id}/{code}", vars), Err("code".to_owned()));
        assert_eq!(names("{a}{ b}{c.d}"), vec!["a", "c.d"]);
    }
}
