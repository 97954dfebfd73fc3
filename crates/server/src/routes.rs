//! HTTP routes, split by audience: the host page and widget, the console, health.

use crate::assets::{Page, DEMO_HTML, LOADER_JS};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use confide_protocol::WidgetKey;
use tower_http::services::ServeDir;

pub fn router(state: AppState) -> Router {
    let widget_files = ServeDir::new(state.assets.widget_dir())
        .append_index_html_on_directories(false)
        .fallback(get(not_found));
    let router_files = ServeDir::new(state.assets.router_dir())
        .append_index_html_on_directories(false)
        .fallback(get(not_found));
    // Unknown paths below /console are the console's own client-side routes.
    let console_files = ServeDir::new(state.assets.console_dir())
        .append_index_html_on_directories(false)
        .fallback(get(console_document).with_state(state.clone()));

    Router::new()
        .merge(host_routes())
        .merge(health_routes())
        .merge(api_routes())
        .nest_service("/widget", widget_files)
        .nest_service("/router", router_files)
        .nest_service("/console", console_files)
        .route_layer(middleware::from_fn(crate::telemetry::log_request))
        .fallback(not_found)
        .layer(middleware::map_response(common_headers))
        .with_state(state)
}

/// What the host page and the widget's iframe load.
fn host_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(demo_page))
        .route("/loader.js", get(loader))
        .route("/w/{key}", get(widget_document))
        .route("/r/{key}", get(crate::routers::router_document))
}

/// JSON API and sockets.
fn api_routes() -> Router<AppState> {
    use crate::api;
    use axum::extract::DefaultBodyLimit;
    use axum::routing::post;
    Router::new()
        .route("/api/operator/login", post(api::login))
        .route("/api/operator/logout", post(api::logout))
        .route("/api/operator/me", get(api::operator_me))
        .route("/api/widget/{key}/leave-message", post(api::leave_message))
        .route("/api/widget/{key}/config", get(api::widget_config))
        .route(
            "/api/admin/widgets",
            get(api::list_widgets).post(api::create_widget),
        )
        .route("/api/admin/loader", get(api::loader_integrity))
        .route(
            "/api/admin/widgets/{key}/settings",
            get(api::get_settings).put(api::put_settings),
        )
        .route(
            "/api/admin/routers",
            get(crate::routers::list_routers).post(crate::routers::create_router),
        )
        .route(
            "/api/admin/routers/{key}",
            get(crate::routers::get_router).put(crate::routers::put_router),
        )
        .route(
            "/api/router/{key}/config",
            get(crate::routers::router_config),
        )
        .route("/ws/visitor", get(api::visitor_socket))
        .route("/ws/operator", get(api::operator_socket))
        .layer(DefaultBodyLimit::max(api::MAX_BODY_BYTES))
}

fn health_routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn common_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state.store.ping().await?;
    Ok(Json(serde_json::json!({ "status": "ok" })))
}

async fn not_found() -> ApiError {
    tracing::debug!("unmatched route");
    ApiError::NotFound
}

async fn demo_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    if !state.demo {
        return Err(ApiError::NotFound);
    }
    Ok(Html(DEMO_HTML).into_response())
}

async fn loader() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                HeaderValue::from_static("cross-origin"),
            ),
            // A public file: lets host pages load it with crossorigin + integrity (SRI).
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        LOADER_JS,
    )
        .into_response()
}

async fn widget_document(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let key = WidgetKey::parse(&key).map_err(|e| ApiError::Malformed(e.to_string()))?;
    match state.store.widget_by_key(&key).await {
        Ok(_) => {}
        Err(crate::store::StoreError::NotFound) => return Err(ApiError::WidgetNotFound),
        Err(e) => return Err(e.into()),
    }
    let page = state.assets.widget.as_ref().ok_or(ApiError::Unavailable(
        "the widget bundle is not built; run `cargo xtask build`",
    ))?;
    Ok(html_page(page))
}

async fn console_document(State(state): State<AppState>) -> Result<Response, ApiError> {
    let page = state.assets.console.as_ref().ok_or(ApiError::Unavailable(
        "the console bundle is not built; run `cargo xtask build`",
    ))?;
    Ok(html_page(page))
}

fn html_page(page: &Page) -> Response {
    let mut res = Html(page.html.clone()).into_response();
    if let Ok(csp) = HeaderValue::from_str(&page.csp) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// The router's iframe document, served at `/r/{key}`.
pub(crate) fn router_iframe(state: &AppState) -> Result<Response, ApiError> {
    let page = state.assets.router.as_ref().ok_or(ApiError::Unavailable(
        "the router bundle is not built; run `cargo xtask build`",
    ))?;
    Ok(html_page(page))
}
