//! What the imports lent to components do, whatever contract version a
//! component was built against: `http` is [`outbound`](super::outbound),
//! `credentials` signs with [`credentials`](super::credentials), `log`
//! writes through [`log`](super::log). Each version's bindings
//! (`wit::v0_*`) implement their generated `Host` traits with these.

use super::sandbox::CallState;
use super::types::LogLevel;

impl CallState {
    /// `credentials.client-assertion`: signs with the key lent to the call.
    pub fn sign_client_assertion(&self, audience: &str) -> Result<String, String> {
        match &self.signer {
            Ok((key, client_id)) if !client_id.is_empty() => key.client_assertion(client_id, audience),
            Ok(_) => Err("CLIENT_ID is not set, so no client assertion can be made".into()),
            Err(why) => Err(why.clone()),
        }
    }

    /// `log.log`: a message tagged with the component's name, without the
    /// client's secrets.
    pub fn write_log(&self, level: LogLevel, message: &str) {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        super::log::write(&self.component, level, message, &secrets);
    }
}
