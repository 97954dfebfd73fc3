//! The application: what every handler and socket can reach ([`AppState`]), and [`serve`],
//! which runs the HTTP edge on a listener until a shutdown future resolves.

use crate::{assets, geo, hub, store};
use std::future::Future;
use std::sync::Arc;

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
    /// The settings the edge reads while it runs (origin, cookie, limits).
    pub config: Arc<crate::Config>,
}

/// Serves `state` on an already bound listener until `shutdown` resolves, then finishes the
/// requests in flight. Tests bind port 0 and pass a oneshot receiver as `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::http::router(state);
    // The peer address reaches only the GeoIP lookup of a router's configuration.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
