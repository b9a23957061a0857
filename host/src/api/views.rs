//! The JSON shapes the API answers with and `--json` prints, in one place
//! so the two never differ. None carries a secret.

use serde_json::{Map, Value, json};

use crate::store::TokenRecord;
use crate::tokens::{AccessToken, Started};

/// A token as listings and `show` present it.
pub fn token_json(t: &TokenRecord) -> Value {
    let error = t.error_code.as_ref().map(|code| json!({"code": code, "message": t.error_message}));
    let inputs: Map<String, Value> = t.inputs.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    json!({"id": t.id, "name": t.name, "connector": t.connector, "provider": t.provider, "flow": t.flow,
           "status": t.status.as_str(), "error": error, "scopes": t.scopes, "inputs": inputs,
           "expires_at": t.expires_at, "created_at": t.created_at, "updated_at": t.updated_at})
}

/// What starting, retrying or resetting a token produced.
pub fn started_json(s: &Started) -> Value {
    let error = s.error.as_ref().map(|(code, message)| json!({"code": code, "message": message}));
    json!({"id": s.id, "status": s.status.as_str(), "auth_link": s.auth_link, "error": error})
}

/// An access token for a flow step.
pub fn access_json(token: &AccessToken) -> Value {
    let extra: Map<String, Value> = token.extra.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    json!({"access_token": token.access_token, "token_type": token.token_type, "expires_at": token.expires_at, "extra": extra})
}
