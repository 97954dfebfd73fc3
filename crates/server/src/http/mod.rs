//! The HTTP edge, one module per audience:
//!
//! - [`pages`]: documents and files browsers load (demo page, loader, iframes, console, bundles);
//! - [`widget`]: the public API the widget and the router page call after the click, and the
//!   visitor socket;
//! - [`operator`]: the console's sign-in, `me` and the operator socket;
//! - [`admin`]: widgets, settings and routers, for admins;
//! - [`history`], [`export`], [`audit`]: the history, data-subject requests (read, export,
//!   erase, rectify, restrict, find a person) and the audit log, by permission;
//! - [`roles`]: the roles operators hold (issue 15);
//! - [`operators`]: operators added, changed, disabled, removed, their passwords reset;
//! - [`account`]: one's own password (and a first one from a one-time link) and second
//!   factor; [`passkeys`]: WebAuthn registration and sign-in;
//! - [`sessions`]: operators' console sessions, listed and ended;
//! - [`access`]: the console's IP allowlist, checked before anything else operator-side;
//! - [`health`]: the health check.
//!
//! What a request must carry (a session, an admin, a known widget, a JSON body, a same-origin
//! socket handshake) is said by the [`extract`] types in each handler's signature.

pub mod access;
pub mod account;
pub mod admin;
pub mod audit;
pub mod export;
pub mod extract;
pub mod health;
pub mod history;
pub mod operator;
pub mod operators;
pub mod pages;
pub mod passkeys;
pub mod roles;
pub mod sessions;
pub mod widget;

use crate::AppState;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every route, with the request log, the body limit and the headers every response carries.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes(&state))
        .merge(widget::routes())
        .merge(operator::routes())
        .merge(admin::routes())
        .merge(history::routes())
        .merge(export::routes())
        .merge(audit::routes())
        .merge(roles::routes())
        .merge(operators::routes())
        .merge(account::routes())
        .merge(passkeys::routes())
        .merge(sessions::routes())
        .merge(access::routes())
        .merge(health::routes())
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(u64::from(state.config.request_timeout_secs)),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), guard_writes))
        .layer(middleware::from_fn_with_state(state.clone(), access::guard))
        .layer(middleware::from_fn(crate::telemetry::log_request))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            common_headers,
        ))
        .with_state(state)
}

/// A write (anything but GET, HEAD, OPTIONS) must come from this server's own pages when it
/// comes from a browser at all: another site's page cannot post a login, a message or a
/// settings change with the visitor's or the operator's credentials (SameSite=Strict is the
/// first lock, this is the second).
async fn guard_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if ![Method::GET, Method::HEAD, Method::OPTIONS].contains(req.method()) {
        if let Err(e) = extract::check_origin(req.headers(), state.config.public_url.as_ref()) {
            return e.into_response();
        }
    }
    next.run(req).await
}

/// What the browser may use on any page of this server: none of these.
const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), display-capture=(), \
     geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(), \
     serial=(), usb=()";

/// Headers on every response; `no-store` on everything an operator's session reads or writes.
async fn common_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let signed_in_api = ["/api/operator/", "/api/admin/", "/api/account/"]
        .iter()
        .any(|p| req.uri().path().starts_with(p));
    let https = state
        .config
        .public_url
        .as_ref()
        .is_some_and(|u| u.is_https())
        || req
            .headers()
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    if https {
        // Browsers ignore it over plain http, so a spoofed X-Forwarded-Proto gains nothing.
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if signed_in_api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
