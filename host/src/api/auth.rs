//! Who is calling: the admin key may use every route, a tenant key only its
//! own tenant's. Wrong tenant and unknown tenant look the same.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{ApiError, AppState};
use crate::store::{KeyOwner, Tenant};

/// The caller, authenticated.
pub struct Caller(pub KeyOwner);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        let owner = state.service.store().key_owner(key.trim()).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(Self(owner))
    }
}

impl Caller {
    /// Admin only.
    pub fn admin(&self) -> Result<(), ApiError> {
        match self.0 {
            KeyOwner::Admin => Ok(()),
            KeyOwner::Tenant(_) => Err(ApiError::forbidden()),
        }
    }

    /// The tenant named in the path, if this caller may act for it.
    pub async fn tenant(&self, state: &AppState, name: &str) -> Result<Tenant, ApiError> {
        match &self.0 {
            KeyOwner::Tenant(own) if own.name == name => Ok(own.clone()),
            KeyOwner::Tenant(_) => Err(ApiError::forbidden()),
            KeyOwner::Admin => state.service.store().tenant(name).await?.ok_or_else(|| {
                ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", format!("no tenant {name:?}"))
            }),
        }
    }
}
