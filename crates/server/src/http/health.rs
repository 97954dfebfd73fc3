//! `/healthz`, for load balancers and monitors: no cookie, no body, no personal data.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

/// `{"status":"ok"}` when the database answers.
async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state.store.ping().await?;
    Ok(Json(serde_json::json!({ "status": "ok" })))
}
