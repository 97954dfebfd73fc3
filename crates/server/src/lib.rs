//! The Confide server: serves the loader, the widget's iframe document, the console and the
//! chat API, and keeps conversations in SQLite (embedded) through sqlx.

pub mod api;
pub mod assets;
pub mod auth;
pub mod clock;
pub mod config;
pub mod consent;
pub mod error;
pub mod geo;
pub mod hub;
pub mod routers;
pub mod routes;
pub mod store;
pub mod telemetry;
pub mod ua;
pub mod ws;

use std::future::Future;
use std::sync::Arc;

pub use config::Config;

/// What every request handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: store::Store,
    pub assets: Arc<assets::Assets>,
    pub hub: Arc<hub::Hub>,
    /// `--demo`: serve the demo site page at `/`.
    pub demo: bool,
    /// Where routers' visitors' country comes from (GeoIP, a proxy header), if anywhere.
    pub geo: Arc<geo::Geo>,
}

/// Serves `state` on an already bound listener until `shutdown` resolves, then finishes the
/// requests in flight. Tests bind port 0 and pass a oneshot receiver as `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = routes::router(state);
    // The peer address reaches only the GeoIP lookup of a router's configuration.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
