//! Operators' lifecycle (issue 15), for operators whose role grants `operators`:
//!
//! - `GET /api/admin/operators`: everyone, with role, state and whether a second factor is
//!   enrolled;
//! - `POST /api/admin/operators`: adds one without a password; the answer's one-time link
//!   lets them set it ([`LINK_TTL_HOURS`]);
//! - `PATCH /api/admin/operators/{id}`: role, name, alias, disabled, second factor cleared;
//! - `DELETE /api/admin/operators/{id}`: removes them (their messages keep the alias);
//! - `POST /api/admin/operators/{id}/reset-password`: their password stops working, their
//!   sessions end, and a new one-time link is made.
//!
//! Nothing here may leave the server without an enabled operator who can manage operators
//! (409 `conflict`). Every change is audited; the sockets of an operator whose sessions or
//! permissions changed close at once.

use super::extract::{ApiJson, Data, Operators};
use crate::auth::{new_token, token_hash};
use crate::error::ApiError;
use crate::hub::{session_topic, Event, Topic};
use crate::store::accounts::Ended;
use crate::store::audit::{AuditAction, AuditEntry};
use crate::store::StoreError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use confide_protocol::accounts::{
    checked_display_name, NewOperator, OneTimeLink, OperatorChange, OperatorView, LINK_TTL_HOURS,
};
use confide_protocol::roles::is_role_name;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/operators", get(list).post(add))
        .route("/api/admin/operators/{id}", patch(change).delete(remove))
        .route(
            "/api/admin/operators/{id}/reset-password",
            post(reset_password),
        )
}

const LAST_MANAGER: &str =
    "this would leave no enabled operator who may manage operators; give another operator such a role first";

fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::Malformed("the path's id is not an operator id".into()))
}

/// Closes the sockets of sessions that just ended.
pub(crate) fn close_sockets(state: &AppState, ended: &[Ended]) {
    for gone in ended {
        if let Topic::Session(session) = session_topic(&gone.token_hash) {
            state.hub.publish(Event::SessionEnded { session });
        }
    }
}

/// Audits `action` by operator `by` on operator `operator` (ids only).
pub(crate) async fn audit(
    state: &AppState,
    by: i64,
    action: AuditAction,
    operator: i64,
) -> Result<(), ApiError> {
    state
        .store
        .audit(AuditEntry {
            operator_id: Some(by),
            action,
            target: format!("operator:{operator}"),
            count: None,
        })
        .await?;
    Ok(())
}

/// A role the operator may be given: a well-formed name of an existing role.
async fn existing_role(state: &AppState, role: &str) -> Result<(), ApiError> {
    let missing = || ApiError::Invalid("role: not a role here".into());
    if !is_role_name(role) {
        return Err(missing());
    }
    match state.store.role(role).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => Err(missing()),
        Err(e) => Err(e.into()),
    }
}

fn field(name: &str, value: &str) -> Result<String, ApiError> {
    checked_display_name(value).map_err(|e| ApiError::Invalid(format!("{name}: {e}")))
}

/// A new one-time link for the operator (with `reset`, their password and sessions end).
async fn link(
    state: &AppState,
    by: i64,
    operator: i64,
    reset: bool,
) -> Result<OneTimeLink, ApiError> {
    let token = new_token().map_err(ApiError::Internal)?;
    let (expires_at, ended) = state
        .store
        .issue_link(
            operator,
            &token_hash(&token),
            LINK_TTL_HOURS * 3600 * 1000,
            reset,
        )
        .await?;
    close_sockets(state, &ended);
    audit(state, by, AuditAction::PasswordLinkIssued, operator).await?;
    Ok(OneTimeLink {
        operator: state.store.operator_view(operator).await?,
        // After the `#`: browsers never send it, so it reaches no log.
        path: format!("/console/set-password#{token}"),
        expires_at,
    })
}

async fn list(
    State(state): State<AppState>,
    _: Data<Operators>,
) -> Result<Json<Vec<OperatorView>>, ApiError> {
    Ok(Json(state.store.operator_views().await?))
}

async fn add(
    State(state): State<AppState>,
    Data(op, _): Data<Operators>,
    ApiJson(new): ApiJson<NewOperator>,
) -> Result<(StatusCode, Json<OneTimeLink>), ApiError> {
    let email = new.email.trim();
    if !confide_protocol::details::is_plausible_email(email) {
        return Err(ApiError::Invalid("email: not an email address".into()));
    }
    let name = field("name", &new.name)?;
    let alias = match &new.alias {
        Some(a) if !a.trim().is_empty() => field("alias", a)?,
        _ => confide_protocol::chat::default_alias(&name),
    };
    existing_role(&state, &new.role).await?;
    let id = match state
        .store
        .add_operator_with_alias(email, &name, &alias, &new.role, "")
        .await
    {
        Ok(id) => id,
        Err(StoreError::Conflict) => {
            return Err(ApiError::Conflict("an operator with that email exists"))
        }
        Err(e) => return Err(e.into()),
    };
    audit(&state, op.id, AuditAction::OperatorAdded, id).await?;
    let link = link(&state, op.id, id, false).await?;
    Ok((StatusCode::CREATED, Json(link)))
}

async fn change(
    State(state): State<AppState>,
    Data(op, _): Data<Operators>,
    Path(raw): Path<String>,
    ApiJson(mut change): ApiJson<OperatorChange>,
) -> Result<Json<OperatorView>, ApiError> {
    let id = path_id(&raw)?;
    if let Some(role) = &change.role {
        existing_role(&state, role).await?;
    }
    if let Some(name) = &change.name {
        change.name = Some(field("name", name)?);
    }
    if let Some(alias) = &change.alias {
        change.alias = Some(field("alias", alias)?);
    }
    let changed = match state.store.change_operator(id, &change).await {
        Ok(c) => c,
        Err(StoreError::Conflict) => return Err(ApiError::Conflict(LAST_MANAGER)),
        Err(e) => return Err(e.into()),
    };
    close_sockets(&state, &changed.ended);
    if changed.role_changed || change.name.is_some() || change.alias.is_some() {
        // Their sockets reconnect with the new permissions and names.
        state.hub.publish(Event::OperatorChanged { operator: id });
    }
    if change.role.is_some()
        || change.name.is_some()
        || change.alias.is_some()
        || change.disabled.is_some()
    {
        audit(&state, op.id, AuditAction::OperatorChanged, id).await?;
    }
    if changed.second_factor_cleared {
        audit(&state, op.id, AuditAction::SecondFactorRemoved, id).await?;
    }
    let view = changed.view.ok_or(ApiError::NotFound)?;
    Ok(Json(view))
}

async fn remove(
    State(state): State<AppState>,
    Data(op, _): Data<Operators>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&raw)?;
    match state.store.remove_operator_by_id(id).await {
        Ok(Some(_)) => {}
        Ok(None) => return Err(ApiError::NotFound),
        Err(StoreError::Conflict) => return Err(ApiError::Conflict(LAST_MANAGER)),
        Err(e) => return Err(e.into()),
    }
    // Their sessions went with them (cascade): their sockets close now.
    state.hub.publish(Event::OperatorChanged { operator: id });
    audit(&state, op.id, AuditAction::OperatorRemoved, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_password(
    State(state): State<AppState>,
    Data(op, _): Data<Operators>,
    Path(raw): Path<String>,
) -> Result<Json<OneTimeLink>, ApiError> {
    let id = path_id(&raw)?;
    match state.store.operator_by_id(id).await {
        Ok(_) => {}
        Err(StoreError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    }
    Ok(Json(link(&state, op.id, id, true).await?))
}
