//! HTTP through the host's `http` import: the only way out of the sandbox.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::bindings::flowauth::oauth::http::{self as host, HttpError};
use crate::{OauthError, error, form};

/// A request under construction.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// A request with any method.
    pub fn new(method: &str, url: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            url: url.to_owned(),
            headers: vec![("accept".into(), "application/json".into())],
            body: Vec::new(),
        }
    }

    /// A `GET` request.
    pub fn get(url: &str) -> Self {
        Self::new("GET", url)
    }

    /// A `POST` request.
    pub fn post(url: &str) -> Self {
        Self::new("POST", url)
    }

    /// Adds a header, replacing one of the same name.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Adds headers in order.
    pub fn headers<'a>(self, headers: impl IntoIterator<Item = &'a (String, String)>) -> Self {
        headers.into_iter().fold(self, |req, (k, v)| req.header(k, v.clone()))
    }

    /// HTTP Basic authentication (RFC 6749 2.3.1: both parts form-encoded first).
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        let user: String = form_urlencoded::byte_serialize(user.as_bytes()).collect();
        let password: String = form_urlencoded::byte_serialize(password.as_bytes()).collect();
        let value = STANDARD.encode(format!("{user}:{password}"));
        self.header("authorization", format!("Basic {value}"))
    }

    /// A bearer token (RFC 6750).
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    /// A form body.
    pub fn form(mut self, fields: &[(String, String)]) -> Self {
        self.body = form::encode(fields).into_bytes();
        self.header("content-type", "application/x-www-form-urlencoded")
    }

    /// Any body with its content type.
    pub fn body(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.body = body;
        self.header("content-type", content_type)
    }

    /// The URL this request goes to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends the request through the host. Every HTTP status is a
    /// [`Response`]; only the host's own refusals and failures are errors.
    pub fn send(self) -> Result<Response, OauthError> {
        let request = host::Request { method: self.method, url: self.url, headers: self.headers, body: self.body };
        host::send(&request).map(Response).map_err(|e| match e {
            HttpError::Denied(why) => error::config(format!("the sandbox refused the request: {why}")),
            HttpError::Timeout => error::transport("the provider did not answer in time"),
            HttpError::TooLarge => error::protocol("the provider's answer is larger than the host accepts"),
            HttpError::Transport(why) => error::transport(why),
        })
    }
}

/// A provider's answer.
#[derive(Debug, Clone)]
pub struct Response(pub host::Response);

impl Response {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.0.status)
    }

    /// The first value of a header (names compare without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.0.body
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.0.body).ok()
    }

    /// A short, single-line excerpt of the body for error messages: the
    /// `<title>` of an HTML page, otherwise the first 200 characters.
    pub fn excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.0.body);
        let lower = text.to_ascii_lowercase();
        let text = match (lower.find("<title>"), lower.find("</title>")) {
            (Some(start), Some(end)) if start + 7 <= end => text[start + 7..end].to_string(),
            _ => text.into_owned(),
        };
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        flat.chars().take(200).collect()
    }
}
