//! The console's administration endpoints: widgets and their settings, the loader's
//! integrity value, routers and their rules. Every one needs a role with `settings` ([`Allowed<Settings>`]),
//! except the loader's integrity value, which any signed-in operator may read.
//!
//! Validation is the protocol's own `problems()`: every problem is named by its field path in
//! the body that was sent, and nothing is saved unless there are none.

use super::extract::{Allowed, ApiJson, KeyPath, KnownWidget, SeeWidgets, Settings, SignedIn};
use crate::error::ApiError;
use crate::store::audit::{AuditAction, AuditEntry};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use confide_protocol::chat::MAX_NAME_CHARS;
use confide_protocol::router::api::{NewRouter, RouterListItem};
use confide_protocol::router::RouterRules;
use confide_protocol::settings::{
    LoaderIntegrity, NewWidget, SettingsProblem, WidgetListItem, WidgetSettings,
};
use confide_protocol::WidgetKey;
use std::collections::BTreeSet;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/widgets", get(list_widgets).post(create_widget))
        .route(
            "/api/admin/widgets/{key}/settings",
            get(get_settings).put(put_settings),
        )
        .route("/api/admin/loader", get(loader_integrity))
        .route("/api/admin/routers", get(list_routers).post(create_router))
        .route("/api/admin/routers/{key}", get(get_router).put(put_router))
}

/// `field: message; field: message`.
fn invalid(problems: &[SettingsProblem]) -> ApiError {
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    ApiError::Invalid(listed.join("; "))
}

/// A display name: trimmed, 1 to [`MAX_NAME_CHARS`] characters.
fn display_name(name: &str) -> Result<String, SettingsProblem> {
    let name = name.trim().to_owned();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(SettingsProblem {
            field: "name".into(),
            message: format!("1 to {MAX_NAME_CHARS} characters"),
        });
    }
    if let Some(found) = confide_protocol::text::hidden_format(&name) {
        return Err(SettingsProblem {
            field: "name".into(),
            message: confide_protocol::text::hidden_format_problem(&found),
        });
    }
    Ok(name)
}

/// `GET /api/admin/widgets`: the widgets' keys and names, for whoever picks among them (the
/// settings, the history's filter, a role's widgets), limited to the role's widgets.
async fn list_widgets(
    State(state): State<AppState>,
    Allowed(op, _): Allowed<SeeWidgets>,
) -> Result<Json<Vec<WidgetListItem>>, ApiError> {
    let widgets = state.store.widgets().await?;
    Ok(Json(
        widgets
            .into_iter()
            .filter(|(key, _)| op.permissions.covers(key))
            .map(|(key, name)| WidgetListItem { key, name })
            .collect(),
    ))
}

/// `POST /api/admin/widgets`: a new widget with Confide's default settings.
async fn create_widget(
    State(state): State<AppState>,
    Allowed(op, _): Allowed<Settings>,
    ApiJson(new): ApiJson<NewWidget>,
) -> Result<Response, ApiError> {
    let name = display_name(&new.name).map_err(|p| invalid(&[p]))?;
    if !state.store.ensure_widget(&new.key, &name).await? {
        return Err(ApiError::Conflict("a widget with that key exists"));
    }
    audit(
        &state,
        op.id,
        AuditAction::WidgetCreated,
        format!("widget:{}", new.key),
    )
    .await?;
    tracing::info!(operator = op.id, "widget created");
    Ok((
        StatusCode::CREATED,
        Json(WidgetListItem { key: new.key, name }),
    )
        .into_response())
}

async fn get_settings(
    State(state): State<AppState>,
    _: Allowed<Settings>,
    KnownWidget(widget): KnownWidget,
) -> Result<Json<WidgetSettings>, ApiError> {
    Ok(Json(state.store.widget_settings(widget.id).await?))
}

/// `PUT /api/admin/widgets/{key}/settings`: validated as a whole. The consent version is set
/// by the server (up by one when any disclaimer text changes).
async fn put_settings(
    State(state): State<AppState>,
    Allowed(op, _): Allowed<Settings>,
    KnownWidget(widget): KnownWidget,
    ApiJson(settings): ApiJson<WidgetSettings>,
) -> Result<Json<WidgetSettings>, ApiError> {
    let problems = settings.problems();
    if !problems.is_empty() {
        return Err(invalid(&problems));
    }
    let saved = state
        .store
        .save_widget_settings(widget.id, settings)
        .await?;
    audit(
        &state,
        op.id,
        AuditAction::SettingsChanged,
        format!("widget:{}", widget.key),
    )
    .await?;
    tracing::info!(
        widget = widget.id,
        operator = op.id,
        version = saved.consent.version,
        "widget settings saved"
    );
    Ok(Json(saved))
}

/// `GET /api/admin/loader`: the loader's integrity value for the embed snippet.
async fn loader_integrity(_: SignedIn) -> Json<LoaderIntegrity> {
    Json(LoaderIntegrity {
        integrity: crate::assets::loader_integrity(),
    })
}

/// The problems of `rules` against the widgets that exist now, each field path prefixed
/// with `prefix` (where the rules sit in the body).
async fn rule_problems(
    state: &AppState,
    rules: &RouterRules,
    prefix: &str,
) -> Result<Vec<SettingsProblem>, ApiError> {
    let widgets: BTreeSet<WidgetKey> = state
        .store
        .widgets()
        .await?
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    let mut problems = rules.problems(&|key| widgets.contains(key));
    for p in &mut problems {
        p.field = format!("{prefix}{}", p.field);
    }
    Ok(problems)
}

async fn list_routers(
    State(state): State<AppState>,
    _: Allowed<Settings>,
) -> Result<Json<Vec<RouterListItem>>, ApiError> {
    let routers = state.store.routers().await?;
    Ok(Json(
        routers
            .into_iter()
            .map(|(key, name)| RouterListItem { key, name })
            .collect(),
    ))
}

/// `POST /api/admin/routers`: a new router with its first rules, validated like a `PUT`
/// (problems of the rules are named `rules.…`, as in the body).
async fn create_router(
    State(state): State<AppState>,
    Allowed(op, _): Allowed<Settings>,
    ApiJson(new): ApiJson<NewRouter>,
) -> Result<Response, ApiError> {
    let mut problems = Vec::new();
    let name = display_name(&new.name).unwrap_or_else(|p| {
        problems.push(p);
        String::new()
    });
    problems.extend(rule_problems(&state, &new.rules, "rules.").await?);
    if !problems.is_empty() {
        return Err(invalid(&problems));
    }
    if !state
        .store
        .create_router(&new.key, &name, &new.rules)
        .await?
    {
        return Err(ApiError::Conflict("a router with that key exists"));
    }
    audit(
        &state,
        op.id,
        AuditAction::RouterCreated,
        format!("router:{}", new.key),
    )
    .await?;
    tracing::info!(operator = op.id, "router created");
    Ok((
        StatusCode::CREATED,
        Json(RouterListItem { key: new.key, name }),
    )
        .into_response())
}

async fn get_router(
    State(state): State<AppState>,
    _: Allowed<Settings>,
    KeyPath(key): KeyPath,
) -> Result<Json<RouterRules>, ApiError> {
    Ok(Json(state.store.router_rules(&key).await?))
}

/// `PUT /api/admin/routers/{key}`: validated as a whole; returns what was saved.
async fn put_router(
    State(state): State<AppState>,
    Allowed(op, _): Allowed<Settings>,
    KeyPath(key): KeyPath,
    ApiJson(rules): ApiJson<RouterRules>,
) -> Result<Json<RouterRules>, ApiError> {
    // An unknown router is a 404 whatever the body says.
    state.store.router_rules(&key).await?;
    let problems = rule_problems(&state, &rules, "").await?;
    if !problems.is_empty() {
        return Err(invalid(&problems));
    }
    state.store.save_router_rules(&key, &rules).await?;
    audit(
        &state,
        op.id,
        AuditAction::RouterChanged,
        format!("router:{key}"),
    )
    .await?;
    tracing::info!(operator = op.id, rules = rules.rules.len(), "router saved");
    Ok(Json(rules))
}

/// Records an admin's change in the audit log (ids only).
async fn audit(
    state: &AppState,
    operator: i64,
    action: AuditAction,
    target: String,
) -> Result<(), ApiError> {
    state
        .store
        .audit(AuditEntry {
            operator_id: Some(operator),
            action,
            target,
            count: None,
        })
        .await?;
    Ok(())
}
