//! What happened to a token, as a webhook receiver sees it. An event names
//! the token and its provider and says where the token is; it never holds
//! a token, a client secret or anything sealed. One event is about a
//! provider instead: its client secret expires soon.

use serde_json::{Value, json};

use crate::store::{Provider, TokenStatus, format_expiry, now};

/// The longest error message an event carries; a provider's page of HTML
/// is cut, not forwarded whole.
const MAX_MESSAGE_CHARS: usize = 500;

/// The kinds of events a webhook can receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A token became usable: authorized, issued, reset or re-authorized.
    Active,
    /// Starting or authorizing a token failed; it cannot serve.
    Failed,
    /// The provider refused the token's grant: a user must authorize again.
    NeedsReauth,
    /// A refresh failed for a passing reason (the provider unreachable or
    /// answering 5xx); the token stays active and is retried.
    RefreshFailed,
    /// A provider's client secret expires in 14 days, or in 1 (its
    /// `CLIENT_SECRET_EXPIRES_AT`): load a new one before then.
    SecretExpiring,
}

impl EventKind {
    /// Every kind: what a webhook receives when it names none.
    pub const ALL: [Self; 5] =
        [Self::Active, Self::Failed, Self::NeedsReauth, Self::RefreshFailed, Self::SecretExpiring];

    /// The event type on the wire, e.g. `token.needs_reauth`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "token.active",
            Self::Failed => "token.failed",
            Self::NeedsReauth => "token.needs_reauth",
            Self::RefreshFailed => "token.refresh_failed",
            Self::SecretExpiring => "provider.secret_expiring",
        }
    }

    /// Reads an event type; the error lists the known ones.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|k| k.as_str() == text.trim()).ok_or_else(|| {
            let known: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown event {text:?}: use one of {}", known.join(", "))
        })
    }

    /// Where a token is after this event.
    fn status(self) -> TokenStatus {
        match self {
            // A provider event names no token; its status is not sent.
            Self::Active | Self::RefreshFailed | Self::SecretExpiring => TokenStatus::Active,
            Self::Failed => TokenStatus::Failed,
            Self::NeedsReauth => TokenStatus::NeedsReauth,
        }
    }
}

/// An error an event reports: the provider's or flowauth's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    /// A stable code, e.g. `invalid_grant`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

/// One event about one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The token's id.
    pub token_id: String,
    /// The token's name.
    pub name: String,
    /// The connector, e.g. `salesforce`.
    pub connector: String,
    /// The provider's display name, e.g. `Salesforce`.
    pub provider: String,
    /// Where the token is now.
    pub status: TokenStatus,
    /// Why, when something failed.
    pub error: Option<EventError>,
    /// Unix seconds it happened.
    pub at: i64,
    /// When the provider's client secret expires and the warning reached
    /// (14 or 1 days left), for [`EventKind::SecretExpiring`].
    pub secret_expiry: Option<(i64, i64)>,
}

impl Event {
    /// `kind` happened now to token `token_id` named `name` of `provider`;
    /// the status follows from the kind.
    pub fn new(kind: EventKind, token_id: &str, name: &str, provider: &Provider) -> Self {
        Self {
            kind,
            token_id: token_id.to_owned(),
            name: name.to_owned(),
            connector: provider.connector.clone(),
            provider: provider.display_name.clone(),
            status: kind.status(),
            error: None,
            at: now(),
            secret_expiry: None,
        }
    }

    /// The client secret of `display_name` of `connector` expires at
    /// `expires_at`, `days` from now at most: an event about the provider,
    /// no token.
    pub fn secret_expiring(connector: &str, display_name: &str, expires_at: i64, days: i64) -> Self {
        Self {
            kind: EventKind::SecretExpiring,
            token_id: String::new(),
            name: String::new(),
            connector: connector.to_owned(),
            provider: display_name.to_owned(),
            status: TokenStatus::Active,
            error: None,
            at: now(),
            secret_expiry: Some((expires_at, days)),
        }
    }

    /// The error behind the event (a long message is cut).
    pub fn with_error(mut self, code: &str, message: &str) -> Self {
        let message = match message.char_indices().nth(MAX_MESSAGE_CHARS) {
            Some((cut, _)) => format!("{}…", &message[..cut]),
            None => message.to_owned(),
        };
        self.error = Some(EventError { code: code.to_owned(), message });
        self
    }

    /// The JSON body delivered for this event as delivery `id` to `tenant`.
    pub fn payload(&self, id: &str, tenant: &str) -> Value {
        if let Some((expires_at, days)) = self.secret_expiry {
            return json!({
                "id": id,
                "type": self.kind.as_str(),
                "created_at": self.at,
                "tenant": tenant,
                "provider": {
                    "connector": self.connector,
                    "name": self.provider,
                    "client_secret_expires_at": format_expiry(expires_at),
                    "days_left": days,
                },
            });
        }
        let error = self.error.as_ref().map(|e| json!({"code": e.code, "message": e.message}));
        json!({
            "id": id,
            "type": self.kind.as_str(),
            "created_at": self.at,
            "tenant": tenant,
            "token": {
                "id": self.token_id,
                "name": self.name,
                "connector": self.connector,
                "provider": self.provider,
                "status": self.status.as_str(),
            },
            "error": error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> Provider {
        Provider {
            id: "p1".into(),
            tenant_id: "t1".into(),
            connector: "salesforce".into(),
            display_name: "Salesforce".into(),
            settings: vec![("CLIENT_SECRET".into(), "never-in-a-payload".into())],
        }
    }

    #[test]
    fn payload_names_the_token_and_never_the_providers_settings() {
        let event = Event::new(EventKind::NeedsReauth, "tok1", "sales-bot", &provider())
            .with_error("invalid_grant", "refresh token revoked");
        let body = event.payload("d1", "acme");
        assert_eq!(body["type"], "token.needs_reauth");
        assert_eq!(body["token"]["status"], "needs_reauth");
        assert_eq!(body["token"]["connector"], "salesforce");
        assert_eq!(body["error"]["code"], "invalid_grant");
        assert!(!body.to_string().contains("never-in-a-payload"));
    }

    #[test]
    fn event_types_parse_and_a_typo_lists_the_known_ones() {
        assert_eq!(EventKind::parse("token.refresh_failed"), Ok(EventKind::RefreshFailed));
        let error = EventKind::parse("token.activ").unwrap_err();
        assert!(error.contains("token.active"), "{error}");
    }

    #[test]
    fn a_secret_expiring_event_names_the_provider_and_no_token() {
        let body = Event::secret_expiring("salesforce", "Salesforce", 86_400, 14).payload("d1", "acme");
        assert_eq!(body["type"], "provider.secret_expiring");
        assert_eq!(body["provider"]["name"], "Salesforce");
        assert_eq!(body["provider"]["client_secret_expires_at"], "1970-01-02T00:00:00Z");
        assert_eq!(body["provider"]["days_left"], 14);
        assert!(body.get("token").is_none());
    }

    #[test]
    fn long_messages_are_cut() {
        let event = Event::new(EventKind::Failed, "t", "n", &provider()).with_error("x", &"é".repeat(2000));
        assert!(event.error.unwrap().message.chars().count() <= MAX_MESSAGE_CHARS + 1);
    }
}
