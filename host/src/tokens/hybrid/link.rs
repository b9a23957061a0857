//! The hybrid parameters of an auth link, set over what the component
//! built: `response_type=code id_token`, `response_mode=form_post`, the
//! `nonce`, and `openid` among the scopes (an ID token needs it).

use url::Url;

/// `link` asking for the hybrid flow with `nonce`. A parameter the
/// component set is replaced, never doubled.
pub fn with_hybrid_parameters(link: &str, nonce: &str) -> Result<String, String> {
    let mut url = Url::parse(link).map_err(|e| format!("the component built an auth link that is not a URL ({e})"))?;
    let mut query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let scope = query.iter().find(|(k, _)| k == "scope").map(|(_, v)| v.clone()).unwrap_or_default();
    let scope = match scope.split([' ', ',']).any(|s| s == "openid") {
        true => scope,
        false if scope.is_empty() => "openid".to_owned(),
        false => format!("openid {scope}"),
    };
    let owned = ["response_type", "response_mode", "nonce", "scope"];
    query.retain(|(k, _)| !owned.contains(&k.as_str()));
    query.push(("response_type".into(), "code id_token".into()));
    query.push(("response_mode".into(), "form_post".into()));
    query.push(("scope".into(), scope));
    query.push(("nonce".into(), nonce.to_owned()));
    url.query_pairs_mut().clear().extend_pairs(&query);
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(link: &str) -> Vec<(String, String)> {
        Url::parse(link).unwrap().query_pairs().into_owned().collect()
    }

    #[test]
    fn the_host_owns_the_hybrid_parameters_and_keeps_the_rest() {
        let link =
            "https://idp.example.com/authorize?response_type=code&client_id=c&scope=profile&state=s&nonce=theirs";
        let got = pairs(&with_hybrid_parameters(link, "n0nce").unwrap());
        let get = |key: &str| got.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        assert_eq!(get("response_type"), ["code id_token"]);
        assert_eq!(get("response_mode"), ["form_post"]);
        assert_eq!(get("nonce"), ["n0nce"]);
        assert_eq!(get("scope"), ["openid profile"]);
        assert_eq!((get("client_id"), get("state")), (vec!["c"], vec!["s"]));
    }

    #[test]
    fn openid_is_asked_once() {
        let got = pairs(&with_hybrid_parameters("https://idp.example.com/a?scope=openid+email", "n").unwrap());
        assert!(got.contains(&("scope".into(), "openid email".into())), "{got:?}");
        let got = pairs(&with_hybrid_parameters("https://idp.example.com/a", "n").unwrap());
        assert!(got.contains(&("scope".into(), "openid".into())), "{got:?}");
    }
}
