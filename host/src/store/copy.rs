//! `flowauth store copy`: every row from one store into another, across
//! backends. Ciphertexts are copied as they are (their AAD names tenant,
//! table, row and column, none of which change), then every token is read
//! back on the target with the keys, so a copy that cannot be opened is
//! reported before anyone relies on it.

use sqlx::Row;

use super::{Store, StoreError};

/// How a column's values travel.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Int,
    Bytes,
}

use Kind::{Bytes, Int, Text};

/// Every table worth copying, parents before children, with its columns.
/// Refresh leases are not copied: they belong to running processes.
const TABLES: [(&str, &[(&str, Kind)]); 17] = [
    ("tenants", &[("id", Text), ("name", Text), ("created_at", Int), ("api_key_hash", Text)]),
    ("admin_keys", &[("id", Text), ("key_hash", Text), ("created_at", Int)]),
    ("seal_keys", &[("id", Text), ("created_at", Int), ("retired_at", Int)]),
    ("server_settings", &[("key", Text), ("value", Text), ("updated_at", Int)]),
    (
        "providers",
        &[
            ("id", Text),
            ("tenant_id", Text),
            ("connector", Text),
            ("display_name", Text),
            ("setting_keys", Text),
            ("settings_sealed", Bytes),
            ("updated_at", Int),
            ("client_secret_expires_at", Int),
            ("secret_warned_days", Int),
        ],
    ),
    (
        "provider_keys",
        &[
            ("id", Text),
            ("tenant_id", Text),
            ("provider_id", Text),
            ("state", Text),
            ("algorithm", Text),
            ("kid", Text),
            ("public_jwk", Text),
            ("private_key_sealed", Bytes),
            ("created_at", Int),
        ],
    ),
    ("custom_connectors", &[("tenant_id", Text), ("name", Text), ("definition", Text), ("updated_at", Int)]),
    ("components", &[("name", Text), ("digest", Text), ("installed_at", Int)]),
    (
        "component_versions",
        &[("digest", Text), ("name", Text), ("wasm", Bytes), ("hosts", Text), ("installed_at", Int)],
    ),
    ("tenant_components", &[("tenant_id", Text), ("name", Text), ("digest", Text)]),
    (
        "tokens",
        &[
            ("id", Text),
            ("tenant_id", Text),
            ("provider_id", Text),
            ("name", Text),
            ("flow", Text),
            ("status", Text),
            ("error_code", Text),
            ("error_message", Text),
            ("scopes", Text),
            ("inputs", Text),
            ("token_type", Text),
            ("expires_at", Int),
            ("extra", Text),
            ("access_token_sealed", Bytes),
            ("refresh_token_sealed", Bytes),
            ("id_token_sealed", Bytes),
            ("client_sealed", Bytes),
            ("generation", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("issued_at", Int),
            ("refresh_failed_generation", Int),
            ("refresh_retry_at", Int),
            ("refresh_error_code", Text),
            ("refresh_error_message", Text),
            ("extra_sealed", Bytes),
            ("credentials_sealed", Bytes),
        ],
    ),
    (
        "pending_authorizations",
        &[
            ("state_hash", Text),
            ("tenant_id", Text),
            ("token_id", Text),
            ("redirect_uri", Text),
            ("verifier_sealed", Bytes),
            ("pending_sealed", Bytes),
            ("nonce_sealed", Bytes),
            ("expires_at", Int),
            ("used", Int),
        ],
    ),
    (
        "webhooks",
        &[
            ("id", Text),
            ("tenant_id", Text),
            ("url", Text),
            ("events", Text),
            ("secret_sealed", Bytes),
            ("created_at", Int),
            ("updated_at", Int),
            ("consecutive_failures", Int),
            ("consecutive_timeouts", Int),
            ("circuit_open_until_ms", Int),
            ("circuit_probe_until_ms", Int),
        ],
    ),
    (
        "webhook_deliveries",
        &[
            ("id", Text),
            ("webhook_id", Text),
            ("tenant_id", Text),
            ("event", Text),
            ("payload", Text),
            ("status", Text),
            ("attempts", Int),
            ("next_attempt_at_ms", Int),
            ("last_status_code", Int),
            ("last_error", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("delivered_at", Int),
            ("created_at_ms", Int),
        ],
    ),
    (
        "webhook_attempts",
        &[
            ("delivery_id", Text),
            ("attempt", Int),
            ("at", Int),
            ("status_code", Int),
            ("error", Text),
            ("duration_ms", Int),
        ],
    ),
    ("connect_settings", &[("tenant_id", Text), ("allowed_return_origins", Text), ("updated_at", Int)]),
    (
        "connect_sessions",
        &[
            ("id", Text),
            ("secret_hash", Text),
            ("tenant_id", Text),
            ("connector", Text),
            ("provider", Text),
            ("name", Text),
            ("scopes", Text),
            ("return_to", Text),
            ("status", Text),
            ("token_id", Text),
            ("expires_at", Int),
            ("created_at", Int),
        ],
    ),
];

/// Tables of the schema that are not copied, with the reason in [`TABLES`].
const NOT_COPIED: [&str; 2] = ["refresh_leases", "_sqlx_migrations"];

/// What a copy moved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    /// Rows copied, per table, in copy order (a key record the target had
    /// already is not counted).
    pub rows: Vec<(String, u64)>,
    /// Tokens read back on the target with every secret opened.
    pub tokens_verified: usize,
}

impl Store {
    /// Copies every row of this store into `target`, which must hold no
    /// tenant yet and be opened with the same master keys, in one
    /// transaction on the target; then reads every token back there.
    pub async fn copy_into(&self, target: &Store) -> Result<Copied, StoreError> {
        self.check_copy_covers_schema().await?;
        if !target.tenants().await?.is_empty() {
            return Err(StoreError::Invalid(
                "the target store has tenants already: copy into a new, empty database".into(),
            ));
        }
        let mut copied = Copied::default();
        let mut tx = target.begin_write().await?;
        for (table, columns) in TABLES {
            let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
            let select = format!("SELECT {} FROM {table} ORDER BY {}", names.join(", "), names[0]);
            let placeholders: Vec<String> = (1..=names.len()).map(|n| format!("${n}")).collect();
            let insert = format!(
                "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT DO NOTHING",
                names.join(", "),
                placeholders.join(", ")
            );
            let rows = sqlx::query(&select).fetch_all(&self.pool).await?;
            let mut inserted = 0;
            for row in &rows {
                let mut query = sqlx::query(&insert);
                for (i, (_, kind)) in columns.iter().enumerate() {
                    query = match kind {
                        Text => query.bind(row.try_get::<Option<String>, _>(i)?),
                        Int => query.bind(row.try_get::<Option<i64>, _>(i)?),
                        Bytes => query.bind(row.try_get::<Option<Vec<u8>>, _>(i)?),
                    };
                }
                let added = query.execute(&mut *tx).await?.rows_affected();
                // The target's own key record may be there already.
                if added == 0 && table != "seal_keys" {
                    return Err(StoreError::Invalid(format!(
                        "the target store has {table} rows already: copy into a new, empty database"
                    )));
                }
                inserted += added;
            }
            copied.rows.push((table.to_owned(), inserted));
        }
        tx.commit().await?;
        for tenant in target.tenants().await? {
            copied.tokens_verified += target.tokens(&tenant.id).await?.len();
        }
        Ok(copied)
    }

    /// Refuses to copy from a schema with a table or column the copy
    /// would leave behind.
    async fn check_copy_covers_schema(&self) -> Result<(), StoreError> {
        let missing: Vec<String> = super::backend::schema(self.backend.as_ref(), &self.pool)
            .await?
            .into_iter()
            .filter(|(table, _)| !NOT_COPIED.contains(&table.as_str()))
            .filter(|(table, column)| {
                !TABLES.iter().any(|(t, columns)| t == table && columns.iter().any(|(c, _)| c == column))
            })
            .map(|(table, column)| format!("{table}.{column}"))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(StoreError::Corrupt(format!(
            "{} would not be copied: this flowauth does not know them (is the source newer?)",
            missing.join(", ")
        )))
    }
}
