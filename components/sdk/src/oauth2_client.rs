//! An [`oauth2::SyncHttpClient`] over the host's `http` import, so a
//! component can drive the `oauth2` crate's clients inside the sandbox.

use oauth2::http::{HeaderName, HeaderValue, StatusCode};
use oauth2::{HttpRequest, HttpResponse, SyncHttpClient};

use crate::OauthError;
use crate::http::Request;

/// The host's HTTP as the `oauth2` crate's synchronous client.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostHttpClient;

/// Why the host did not return a response.
#[derive(Debug)]
pub struct HostHttpError(pub OauthError);

impl std::fmt::Display for HostHttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for HostHttpError {}

impl SyncHttpClient for HostHttpClient {
    type Error = HostHttpError;

    fn call(&self, request: HttpRequest) -> Result<HttpResponse, Self::Error> {
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let content_type = headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.clone());
        let mut outgoing = Request::new(request.method().as_str(), &request.uri().to_string()).headers(&headers);
        if let Some(content_type) = content_type {
            outgoing = outgoing.body(&content_type, request.body().clone());
        }
        let answer = outgoing.send().map_err(HostHttpError)?.0;
        let mut response = HttpResponse::new(answer.body);
        *response.status_mut() = StatusCode::from_u16(answer.status)
            .map_err(|_| HostHttpError(crate::error::protocol(format!("invalid HTTP status {}", answer.status))))?;
        for (name, value) in answer.headers {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
                response.headers_mut().append(name, value);
            }
        }
        Ok(response)
    }
}
