//! Console sessions (issue 15). Every operator sees their own live sessions (browser and OS
//! family, when opened, last active; never an address) and ends one or all the others;
//! operators whose role may manage operators see and end anyone's. An ended session's sockets
//! close at once, and its cookie opens nothing more. Each ending is audited.
//!
//! - `GET /api/operator/sessions`, `DELETE /api/operator/sessions/{id}`,
//!   `POST /api/operator/sessions/end-others`;
//! - `GET /api/admin/sessions`, `DELETE /api/admin/sessions/{id}`.

use super::extract::{Data, Operators, SignedIn};
use crate::error::ApiError;
use crate::hub::{session_topic, Event, Topic};
use crate::store::accounts::Ended;
use crate::store::audit::{AuditAction, AuditEntry};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use confide_protocol::accounts::{SessionView, SessionsEnded};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/operator/sessions", get(own))
        .route("/api/operator/sessions/{id}", delete(end_own))
        .route("/api/operator/sessions/end-others", post(end_others))
        .route("/api/admin/sessions", get(everyone))
        .route("/api/admin/sessions/{id}", delete(end_any))
}

fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::Malformed("the path's id is not a session id".into()))
}

/// Its sockets close now (other nodes notice within a second), and the ending is recorded.
async fn ended(state: &AppState, by: i64, gone: &Ended) -> Result<(), ApiError> {
    if let Topic::Session(session) = session_topic(&gone.token_hash) {
        state.hub.publish(Event::SessionEnded { session });
    }
    state
        .store
        .audit(AuditEntry {
            operator_id: Some(by),
            action: AuditAction::SessionEnded,
            target: format!("operator:{},session:{}", gone.operator_id, gone.id),
            count: None,
        })
        .await?;
    Ok(())
}

async fn own(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let idle = state.config.session_idle_ms();
    let mut list = state
        .store
        .live_sessions(Some(session.operator.id), idle)
        .await?;
    for s in &mut list {
        s.current = s.id == session.id;
        s.operator_name = None;
    }
    Ok(Json(list))
}

async fn end_own(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&raw)?;
    let op = session.operator.id;
    let gone = state
        .store
        .end_session(id, Some(op))
        .await?
        .ok_or(ApiError::NotFound)?;
    ended(&state, op, &gone).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn end_others(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> Result<Json<SessionsEnded>, ApiError> {
    let op = session.operator.id;
    let gone = state.store.end_other_sessions(op, session.id).await?;
    for g in &gone {
        ended(&state, op, g).await?;
    }
    Ok(Json(SessionsEnded {
        ended: gone.len() as u64,
    }))
}

async fn everyone(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    _: Data<Operators>,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let idle = state.config.session_idle_ms();
    let mut list = state.store.live_sessions(None, idle).await?;
    for s in &mut list {
        s.current = s.id == session.id;
    }
    Ok(Json(list))
}

async fn end_any(
    State(state): State<AppState>,
    Data(op, _): Data<Operators>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&raw)?;
    let gone = state
        .store
        .end_session(id, None)
        .await?
        .ok_or(ApiError::NotFound)?;
    ended(&state, op.id, &gone).await?;
    Ok(StatusCode::NO_CONTENT)
}
