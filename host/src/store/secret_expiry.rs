//! Client secret expiry (App Xchange): a provider's `CLIENT_SECRET_EXPIRES_AT`
//! setting, copied into plain columns next to the sealed settings so that
//! `/metrics` and the server's sweep read it without opening any seal, and
//! the warnings already sent, so that restarts and several servers on one
//! database send each warning once.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use super::{Store, StoreError};

/// The setting, accepted for every connector.
pub const EXPIRES_AT_SETTING: &str = "CLIENT_SECRET_EXPIRES_AT";
/// Days left at which `provider.secret_expiring` is sent, each once.
pub const WARN_DAYS: [i64; 2] = [14, 1];
const DAY_SECONDS: i64 = 86_400;

/// Reads an RFC 3339 date-time, or a date (`2027-03-01`, its start in UTC),
/// as unix seconds.
pub fn parse_expiry(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| Date::parse(text, format_description!("[year]-[month]-[day]")).map(|d| d.midnight().assume_utc()));
    at.map(OffsetDateTime::unix_timestamp).map_err(|_| {
        format!("{text:?} is not a date: use an RFC 3339 date-time (2027-03-01T00:00:00Z) or a date (2027-03-01)")
    })
}

/// The expiry a provider's settings give, if any (values were checked on load).
pub fn expires_at(settings: &[(String, String)]) -> Option<i64> {
    let (_, value) = settings.iter().find(|(k, _)| k.eq_ignore_ascii_case(EXPIRES_AT_SETTING))?;
    parse_expiry(value).ok()
}

/// Whole days left until `expires_at` (negative once it is past).
pub fn days_left(expires_at: i64, now: i64) -> i64 {
    (expires_at - now).div_euclid(DAY_SECONDS)
}

/// `expires_at` in RFC 3339, for messages and listings.
pub fn format_expiry(expires_at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(expires_at)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| expires_at.to_string())
}

/// The warning due at `now`: the nearest threshold reached and not sent
/// yet. A secret first seen with a day left gets only the 1-day warning;
/// an expired one gets none.
pub fn warning_due(expires_at: i64, warned_days: Option<i64>, now: i64) -> Option<i64> {
    let left = expires_at - now;
    if left <= 0 {
        return None;
    }
    let reached = WARN_DAYS.iter().rev().copied().find(|days| left <= days * DAY_SECONDS)?;
    warned_days.is_none_or(|warned| warned > reached).then_some(reached)
}

/// A provider whose client secret has an expiry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecretExpiry {
    /// The provider's id.
    pub provider_id: String,
    /// Its tenant's id.
    pub tenant_id: String,
    /// Its tenant's name (the metric's label).
    pub tenant_name: String,
    /// Its connector, e.g. `salesforce`.
    pub connector: String,
    /// Its display name.
    pub display_name: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// The smallest threshold of [`WARN_DAYS`] already sent, if any.
    pub warned_days: Option<i64>,
}

impl Store {
    /// Every provider, of every tenant, whose secret has an expiry: one
    /// query on plain columns, cheap enough for each scrape.
    pub async fn secret_expiries(&self) -> Result<Vec<SecretExpiry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT p.id AS provider_id, p.tenant_id, t.name AS tenant_name, p.connector, p.display_name, \
             p.client_secret_expires_at AS expires_at, p.secret_warned_days AS warned_days \
             FROM providers p JOIN tenants t ON t.id = p.tenant_id \
             WHERE p.client_secret_expires_at IS NOT NULL ORDER BY t.name, p.connector, p.display_name",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records that the `days` warning of `expiry` is sent. False when it
    /// was already (by another server) or the expiry changed meanwhile:
    /// then the caller sends nothing.
    pub async fn claim_secret_warning(&self, expiry: &SecretExpiry, days: i64) -> Result<bool, StoreError> {
        let claimed = sqlx::query(
            "UPDATE providers SET secret_warned_days = $1 WHERE id = $2 AND client_secret_expires_at = $3 \
             AND (secret_warned_days IS NULL OR secret_warned_days > $1)",
        )
        .bind(days)
        .bind(&expiry.provider_id)
        .bind(expiry.expires_at)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_date_times_parse_and_nonsense_is_refused() {
        assert_eq!(parse_expiry("1970-01-02"), Ok(DAY_SECONDS));
        assert_eq!(parse_expiry("1970-01-02T01:00:00+01:00"), Ok(DAY_SECONDS));
        assert!(parse_expiry("next week").unwrap_err().contains("RFC 3339"));
        assert!(parse_expiry("2027-02-30").is_err());
        assert_eq!(format_expiry(DAY_SECONDS), "1970-01-02T00:00:00Z");
    }

    #[test]
    fn each_warning_is_due_once_and_the_nearest_wins() {
        let at = 100 * DAY_SECONDS;
        assert_eq!(warning_due(at, None, at - 20 * DAY_SECONDS), None);
        assert_eq!(warning_due(at, None, at - 14 * DAY_SECONDS), Some(14));
        assert_eq!(warning_due(at, Some(14), at - 10 * DAY_SECONDS), None);
        assert_eq!(warning_due(at, Some(14), at - DAY_SECONDS / 2), Some(1));
        assert_eq!(warning_due(at, None, at - 3600), Some(1));
        assert_eq!(warning_due(at, Some(1), at - 3600), None);
        assert_eq!(warning_due(at, None, at + 1), None);
        assert_eq!(days_left(at, at - DAY_SECONDS - 1), 1);
        assert_eq!(days_left(at, at + 1), -1);
    }
}
