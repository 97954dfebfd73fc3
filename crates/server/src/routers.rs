//! Routers over HTTP: the admin API the console's Routers page uses, the public configuration
//! the widget fetches after the click (the rules, the candidate widgets' public settings and,
//! when configured, the country), and the iframe document at `/r/{key}`.
//!
//! Validation is [`RouterRules::problems`]: every problem is named by its field path in the
//! body that was sent, and nothing is saved unless there are none.

use crate::api::{admin, ApiJson};
use crate::error::ApiError;
use crate::store::StoreError;
use crate::AppState;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use confide_protocol::chat::MAX_NAME_CHARS;
use confide_protocol::router::api::{NewRouter, RouterConfig, RouterListItem};
use confide_protocol::router::RouterRules;
use confide_protocol::settings::SettingsProblem;
use confide_protocol::WidgetKey;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

fn parse_key(key: &str) -> Result<WidgetKey, ApiError> {
    WidgetKey::parse(key).map_err(|e| ApiError::Malformed(e.to_string()))
}

fn not_found(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::NotFound,
        other => other.into(),
    }
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

/// `field: message; field: message`, as the settings endpoint words it.
fn invalid(problems: &[SettingsProblem]) -> ApiError {
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    ApiError::Invalid(listed.join("; "))
}

/// `GET /api/admin/routers`.
pub async fn list_routers(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<RouterListItem>>, ApiError> {
    admin(&state, &headers).await?;
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
pub async fn create_router(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(new): ApiJson<NewRouter>,
) -> Result<Response, ApiError> {
    let op = admin(&state, &headers).await?;
    let name = new.name.trim().to_owned();
    let mut problems = Vec::new();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        problems.push(SettingsProblem {
            field: "name".into(),
            message: format!("1 to {MAX_NAME_CHARS} characters"),
        });
    }
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
    tracing::info!(operator = op.id, "router created");
    Ok((
        StatusCode::CREATED,
        Json(RouterListItem { key: new.key, name }),
    )
        .into_response())
}

/// `GET /api/admin/routers/{key}`.
pub async fn get_router(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Json<RouterRules>, ApiError> {
    admin(&state, &headers).await?;
    let key = parse_key(&key)?;
    Ok(Json(
        state.store.router_rules(&key).await.map_err(not_found)?,
    ))
}

/// `PUT /api/admin/routers/{key}`: validated as a whole; returns what was saved.
pub async fn put_router(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
    ApiJson(rules): ApiJson<RouterRules>,
) -> Result<Json<RouterRules>, ApiError> {
    let op = admin(&state, &headers).await?;
    let key = parse_key(&key)?;
    // An unknown router is a 404 whatever the body says.
    state.store.router_rules(&key).await.map_err(not_found)?;
    let problems = rule_problems(&state, &rules, "").await?;
    if !problems.is_empty() {
        return Err(invalid(&problems));
    }
    state
        .store
        .save_router_rules(&key, &rules)
        .await
        .map_err(not_found)?;
    tracing::info!(operator = op.id, rules = rules.rules.len(), "router saved");
    Ok(Json(rules))
}

/// `GET /api/router/{key}/config`: public, sets no cookie and reads none. The rules, the
/// public settings of every widget they can pick that exists, and the country when the site
/// configured a source for it. The client's address is looked up in memory only.
pub async fn router_config(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
) -> Result<Response, ApiError> {
    let key = parse_key(&key)?;
    let rules = state.store.router_rules(&key).await.map_err(not_found)?;
    let mut widgets = BTreeMap::new();
    for target in rules.targets() {
        match state.store.widget_by_key(target).await {
            Ok(widget) => {
                let settings = state.store.widget_settings(widget.id).await?;
                widgets.insert(target.clone(), settings);
            }
            // Deleted since the rules were saved: the widget shows its own error for it.
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let country = state
        .geo
        .country(&headers, peer.map(|Extension(ConnectInfo(addr))| addr.ip()));
    let mut res = Json(RouterConfig {
        rules,
        widgets,
        country,
    })
    .into_response();
    // The country differs from one client to the next: no shared cache may keep it.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(res)
}

/// `GET /r/{key}`: the widget's iframe document, as at `/w/{key}`; the widget reads the path
/// to know it is a router. An unknown router is refused as an unknown widget is.
pub async fn router_document(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let key = parse_key(&key)?;
    match state.store.router_rules(&key).await {
        Ok(_) => {}
        Err(StoreError::NotFound) => return Err(ApiError::WidgetNotFound),
        Err(e) => return Err(e.into()),
    }
    crate::routes::router_iframe(&state)
}
