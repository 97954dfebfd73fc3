//! Logging. Lines carry route templates, status codes and ids: never an IP, user agent,
//! referrer, email, name or message text.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::io::IsTerminal;
use std::time::Instant;

/// Installs the global subscriber, writing to stderr with the given filter.
///
/// Whatever the filter says, other crates log at `info` at most: below that, the WebSocket
/// codec logs every frame in full (tokens, names, message text), hyper every header and sqlx
/// every statement. Only Confide's own lines, which carry ids, go further.
pub fn init(filter: &str) {
    use tracing_subscriber::filter::FilterExt;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_target(false)
                .with_filter(filter.and(capped())),
        )
        .try_init();
}

/// Other crates at `info` at most; Confide's own crates (the library and the `confide`
/// binary) as the filter says.
pub fn capped() -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("confide_server", LevelFilter::TRACE)
        .with_target("confide", LevelFilter::TRACE)
}

/// Logs one line per request with the matched route template (not the raw URI, whose query
/// string could carry anything) and no headers at all; for an internal error, its source.
pub async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(static or unmatched)".to_owned());
    let started = Instant::now();
    let res = next.run(req).await;
    let ms = started.elapsed().as_millis() as u64;
    let status = res.status().as_u16();
    // An internal error's source, put there by `ApiError::into_response`: logged here, once.
    match res.extensions().get::<crate::error::ErrorSource>() {
        Some(source) => {
            tracing::error!(%method, route, status, ms, error = %source.0, "request failed")
        }
        None => tracing::info!(%method, route, status, ms, "request"),
    }
    res
}
