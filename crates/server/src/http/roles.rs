//! Roles (issue 15), for operators whose role grants `operators`: `GET /api/admin/roles`
//! lists them (built-in ones first), `POST` creates one, `PUT /api/admin/roles/{name}`
//! replaces a role's permissions. Built-in roles (`admin`, `agent`) never change, but for
//! whether they require a second factor. Changing a
//! role closes its holders' sockets, which reconnect with the new permissions.

use super::extract::{ApiJson, Data, Operators};
use crate::error::ApiError;
use crate::hub::Event;
use crate::store::audit::{AuditAction, AuditEntry};
use crate::store::StoreError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use confide_protocol::roles::{is_role_name, Role};
use confide_protocol::settings::SettingsProblem;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/roles", get(list).post(create))
        .route("/api/admin/roles/{name}", put(replace))
}

fn invalid(problems: &[SettingsProblem]) -> ApiError {
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    ApiError::Invalid(listed.join("; "))
}

/// Every widget a role names must exist.
async fn checked(state: &AppState, mut role: Role) -> Result<Role, ApiError> {
    role.builtin = false;
    let mut problems = role.problems();
    for w in &role.permissions.widgets {
        match state.store.widget_by_key(w).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                problems.push(SettingsProblem {
                    field: "permissions.widgets".into(),
                    message: "names a widget that does not exist".into(),
                });
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if problems.is_empty() {
        Ok(role)
    } else {
        Err(invalid(&problems))
    }
}

async fn list(
    State(state): State<AppState>,
    _: Data<Operators>,
) -> Result<Json<Vec<Role>>, ApiError> {
    Ok(Json(state.store.roles().await?))
}

async fn create(
    State(state): State<AppState>,
    Data(op, _): Data<Operators>,
    ApiJson(role): ApiJson<Role>,
) -> Result<(StatusCode, Json<Role>), ApiError> {
    let role = checked(&state, role).await?;
    match state.store.create_role(&role).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            return Err(ApiError::Conflict("a role with that name exists"))
        }
        Err(e) => return Err(e.into()),
    }
    state
        .store
        .audit(AuditEntry {
            operator_id: Some(op.id),
            action: AuditAction::RoleCreated,
            target: format!("role:{}", role.name),
            count: None,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(role)))
}

async fn replace(
    State(state): State<AppState>,
    Data(op, _): Data<Operators>,
    Path(name): Path<String>,
    ApiJson(role): ApiJson<Role>,
) -> Result<Json<Role>, ApiError> {
    if !is_role_name(&name) {
        return Err(ApiError::Malformed(
            "the path's name is not a role name".into(),
        ));
    }
    if role.name != name {
        return Err(ApiError::Invalid("name: differs from the path's".into()));
    }
    let role = match state.store.role(&name).await {
        // Of a built-in role only whether it requires a second factor changes.
        Ok(mut existing) if existing.builtin => {
            let mut wanted = role.permissions.clone();
            wanted.second_factor = existing.permissions.second_factor;
            if wanted != existing.permissions {
                return Err(ApiError::Forbidden(
                    "admin and agent are built in: only their second-factor requirement changes",
                ));
            }
            existing.permissions.second_factor = role.permissions.second_factor;
            existing
        }
        _ => checked(&state, role).await?,
    };
    let holders = state.store.update_role(&role).await?;
    state
        .store
        .audit(AuditEntry {
            operator_id: Some(op.id),
            action: AuditAction::RoleChanged,
            target: format!("role:{}", role.name),
            count: Some(holders.len() as i64),
        })
        .await?;
    // Their sockets close and reconnect under the new permissions.
    for operator in holders {
        state.hub.publish(Event::OperatorChanged { operator });
    }
    Ok(Json(role))
}
