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
///
/// The accept loop is this server's own (axum's has no settings): at most `max_connections`
/// connections at once (the next accept waits for a free place), and a connection whose
/// request headers have not arrived `header_timeout_secs` after it was ready for them is
/// closed, so slow or idle clients cannot hold places. HTTP/1.1 only, with upgrades for the
/// sockets.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

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
    let purge = crate::jobs::spawn_purge(state.store.clone(), Arc::clone(&state.config));
    let header_timeout =
        std::time::Duration::from_secs(u64::from(state.config.header_timeout_secs));
    let places = Arc::new(tokio::sync::Semaphore::new(
        state.config.max_connections as usize,
    ));
    let app = crate::http::router(state);
    // Dropped to tell every connection to finish; each holds a receiver of `done` until it has.
    let (stop, stopping) = tokio::sync::watch::channel(());
    let (done, _) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let place = tokio::select! {
            place = Arc::clone(&places).acquire_owned() => match place {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin. The error names no client.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // The peer address reaches only the GeoIP lookup and the rate limits' keyed hash.
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let mut req = req.map(axum::body::Body::new);
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req)
            });
        let mut stopping = stopping.clone();
        let finished = done.subscribe();
        tokio::spawn(async move {
            let _place = place;
            let _finished = finished;
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stopping.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.as_mut().await;
                }
            }
        });
    }
    drop(stop);
    drop(stopping);
    done.closed().await;
    janitor.abort();
    purge.abort();
    Ok(())
}
