//! What one call of a declared connector knows: its declaration, the
//! admin's settings and the user's per-token inputs. It resolves
//! `{placeholders}` and endpoints the same way for every family.

use crate::client_auth::{self, ClientAuth};
use crate::declaration::Declaration;
use crate::{Client, OauthError, error, pairs, template};

/// One call's view of a declared connector.
#[derive(Debug)]
pub struct Call<'a> {
    /// The connector's declaration.
    pub declaration: &'a Declaration,
    /// The admin's settings (keys in any case).
    pub settings: &'a [(String, String)],
    /// The user's per-token inputs and additional values.
    pub inputs: &'a [(String, String)],
}

impl<'a> Call<'a> {
    /// A call for `client`, checking that every required input is given.
    pub fn new(
        declaration: &'a Declaration,
        client: &'a Client,
        inputs: &'a [(String, String)],
    ) -> Result<Self, OauthError> {
        let call = Self { declaration, settings: &client.settings, inputs };
        for field in declaration.inputs.iter().filter(|f| f.required && f.default.is_none()) {
            if call.value(field.key).is_none() {
                return Err(error::config(format!(
                    "connector {} needs {key}: pass {key} with the token's additional values ({})",
                    declaration.name,
                    field.description,
                    key = field.key
                )));
            }
        }
        Ok(call)
    }

    /// A setting, by key in any case; empty counts as unset.
    pub fn setting(&self, key: &str) -> Option<&'a str> {
        pairs::get_ignore_case(self.settings, key)
    }

    /// A required setting, or an error saying which one to set.
    pub fn required_setting(&self, key: &str) -> Result<&'a str, OauthError> {
        self.setting(key).ok_or_else(|| {
            error::config(format!("{key} is not set: add it to the {} provider's settings", self.declaration.name))
        })
    }

    /// How the client authenticates: the provider's `CLIENT_AUTH` setting,
    /// else the connector's declared way.
    pub fn client_auth(&self) -> Result<ClientAuth, OauthError> {
        ClientAuth::configured(self.setting(client_auth::SETTING), self.declaration.client_auth)
    }

    /// A value by name: a per-token input, else a setting (any case), else
    /// the declared default of an input or setting.
    pub fn value(&self, name: &str) -> Option<String> {
        let given = self
            .inputs
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .or_else(|| self.setting(name));
        let declared = || {
            let fields = self.declaration.inputs.iter().chain(self.declaration.settings);
            fields.filter(|f| f.key.eq_ignore_ascii_case(name)).find_map(|f| f.default)
        };
        given.or_else(declared).map(str::to_owned)
    }

    /// Whether `name` is a declared input or setting (an optional one
    /// without a value renders as nothing instead of failing).
    fn is_declared(&self, name: &str) -> bool {
        let fields = self.declaration.inputs.iter().chain(self.declaration.settings);
        fields.into_iter().any(|f| f.key.eq_ignore_ascii_case(name) && !f.required)
    }

    /// Renders a template; `call` holds this call's own values
    /// (`client_id`, `redirect_uri`, ...), looked up first.
    pub fn render(&self, what: &str, text: &str, call: &[(String, String)]) -> Result<String, OauthError> {
        let lookup = |name: &str| {
            pairs::get(call, name)
                .map(str::to_owned)
                .or_else(|| self.value(name))
                .or_else(|| self.is_declared(name).then(String::new))
        };
        template::render(text, lookup).map_err(|missing| {
            error::config(format!(
                "{what} needs {{{missing}}}: pass {missing} with the token's additional values or set {} in the provider settings",
                missing.to_ascii_uppercase()
            ))
        })
    }

    /// Renders each value; pairs that come out empty are left out.
    pub fn render_pairs(
        &self,
        what: &str,
        params: &[(&str, &str)],
        call: &[(String, String)],
    ) -> Result<Vec<(String, String)>, OauthError> {
        let mut out = Vec::with_capacity(params.len());
        for (key, value) in params {
            let rendered = self.render(&format!("{what} {key}"), value, call)?;
            if !rendered.is_empty() {
                out.push((key.to_string(), rendered));
            }
        }
        Ok(out)
    }

    /// The absolute URL of an endpoint. With a `BASE_URL` setting the
    /// endpoint's path is kept under it; otherwise an absolute endpoint is
    /// used as declared and a path goes under the declared base.
    pub fn endpoint(&self, endpoint: &str) -> Result<String, OauthError> {
        let base = match self.setting("BASE_URL") {
            Some(base) => base,
            None if is_absolute(endpoint) => return self.render("the endpoint", endpoint, &[]),
            None if self.declaration.base_url.is_empty() => self.required_setting("BASE_URL")?,
            None => self.declaration.base_url,
        };
        let base = self.render("BASE_URL", base, &[])?;
        let base = inner_url(&base);
        if !is_absolute(base) {
            return Err(error::config(format!("BASE_URL {base:?} must be an absolute https:// URL")));
        }
        let path = self.render("the endpoint", path_of(endpoint), &[])?;
        Ok(format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/')))
    }
}

/// Whether a URL starts with a scheme flowauth sends to.
pub fn is_absolute(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// A base whose host placeholder was given as a URL (`https://{host}` with
/// `host` = `http://127.0.0.1:8929/`) is that URL: its scheme wins.
fn inner_url(base: &str) -> &str {
    match base.split_once("://") {
        Some((_, rest)) if is_absolute(rest) => rest,
        _ => base,
    }
}

/// The path (and query) of an absolute URL, or the text itself.
fn path_of(endpoint: &str) -> &str {
    match endpoint.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => endpoint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::declaration::Field;

    const DECL: Declaration = Declaration {
        name: "ms",
        base_url: "https://login.example.com",
        authorize: "/{tenant}/oauth2/v2.0/authorize",
        token: "https://api.example.com/{tenant}/token",
        inputs: &[Field::default("tenant", "common", "The directory")],
        settings: &[Field::optional("RESOURCE_URL", "The resource")],
        ..Declaration::OAUTH2
    };

    fn client(settings: &[(&str, &str)]) -> Client {
        let settings = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Client { connector: "ms".into(), settings, definition: None }
    }

    #[test]
    fn endpoints_follow_base_url_and_keep_their_paths() {
        let plain = client(&[]);
        let call = Call::new(&DECL, &plain, &[]).unwrap();
        assert_eq!(call.endpoint(DECL.authorize).unwrap(), "https://login.example.com/common/oauth2/v2.0/authorize");
        assert_eq!(call.endpoint(DECL.token).unwrap(), "https://api.example.com/common/token");
        let moved = client(&[("base_url", "http://127.0.0.1:9/")]);
        let inputs = vec![("tenant".to_owned(), "contoso".to_owned())];
        let call = Call::new(&DECL, &moved, &inputs).unwrap();
        assert_eq!(call.endpoint(DECL.token).unwrap(), "http://127.0.0.1:9/contoso/token");
    }

    #[test]
    fn a_host_input_given_as_a_url_keeps_its_scheme() {
        const GITLAB: Declaration = Declaration {
            base_url: "https://{host}",
            inputs: &[Field::default("host", "gitlab.com", "The server")],
            ..DECL
        };
        let plain = client(&[]);
        for (host, expected) in [
            ("git.acme.example", "https://git.acme.example/oauth/token"),
            ("https://git.acme.example/", "https://git.acme.example/oauth/token"),
            ("http://127.0.0.1:8929", "http://127.0.0.1:8929/oauth/token"),
        ] {
            let inputs = vec![("host".to_owned(), host.to_owned())];
            let call = Call::new(&GITLAB, &plain, &inputs).unwrap();
            assert_eq!(call.endpoint("/oauth/token").unwrap(), expected);
        }
    }

    #[test]
    fn optional_values_render_empty_and_unknown_ones_fail() {
        let plain = client(&[]);
        let call = Call::new(&DECL, &plain, &[]).unwrap();
        assert_eq!(call.render("x", "{RESOURCE_URL}", &[]).unwrap(), "");
        let err = call.render("the token URL", "{subdomain}", &[]).unwrap_err();
        assert!(matches!(err, OauthError::Config(m) if m.contains("subdomain")));
    }

    #[test]
    fn a_missing_required_input_is_named() {
        const ZENDESK: Declaration =
            Declaration { inputs: &[Field::required("subdomain", "Your Zendesk subdomain")], ..DECL };
        let plain = client(&[]);
        let err = Call::new(&ZENDESK, &plain, &[]).unwrap_err();
        assert!(matches!(err, OauthError::Config(m) if m.contains("needs subdomain")));
    }
}
