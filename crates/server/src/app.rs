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
    /// Rate limits and caps, in memory.
    pub limits: Arc<crate::limits::Limits>,
}

/// Serves `state` on an already bound listener until `shutdown` resolves, then finishes the
/// requests in flight. Tests bind port 0 and pass a oneshot receiver as `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Every minute the limits forget clients and accounts they no longer hold back.
    let janitor = {
        let (limits, store) = (Arc::clone(&state.limits), state.store.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                limits.forget_old(store.now_ms());
            }
        })
    };
    let app = crate::http::router(state);
    // The peer address reaches only the GeoIP lookup and the rate limits' keyed hash.
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    janitor.abort();
    served
}
