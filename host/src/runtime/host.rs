//! The imports lent to components, each delegating to its module:
//! `http` to [`outbound`](super::outbound), `credentials` to
//! [`credentials`](super::credentials), `log` to [`log`](super::log).

use super::bindings::flowauth::oauth::{credentials, http, log, types};
use super::sandbox::CallState;

impl types::Host for CallState {}

impl http::Host for CallState {
    async fn send(&mut self, request: http::Request) -> Result<http::Response, http::HttpError> {
        self.outbound.send(request).await
    }
}

impl credentials::Host for CallState {
    fn client_assertion(&mut self, audience: String) -> Result<String, String> {
        match &self.signer {
            Some((key, client_id)) if !client_id.is_empty() => key.client_assertion(client_id, &audience),
            Some(_) => Err("CLIENT_ID is not set, so no client assertion can be made".into()),
            None => Err("flowauth holds no private key for this provider: configure one for private_key_jwt".into()),
        }
    }
}

impl log::Host for CallState {
    fn log(&mut self, level: log::Level, message: String) {
        super::log::write(&self.component, level, &message);
    }
}
