//! The HTTP edge, one module per audience:
//!
//! - [`pages`]: documents and files browsers load (demo page, loader, iframes, console, bundles);
//! - [`widget`]: the public API the widget and the router page call after the click, and the
//!   visitor socket;
//! - [`operator`]: the console's sign-in, `me` and the operator socket;
//! - [`admin`]: widgets, settings and routers, for admins;
//! - [`health`]: the health check.
//!
//! What a request must carry (a session, an admin, a known widget, a JSON body, a same-origin
//! socket handshake) is said by the [`extract`] types in each handler's signature.

pub mod admin;
pub mod extract;
pub mod health;
pub mod operator;
pub mod pages;
pub mod widget;

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::response::Response;
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
        .merge(health::routes())
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(crate::telemetry::log_request))
        .layer(middleware::map_response(common_headers))
        .with_state(state)
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
