//! What browsers load as documents and files: the demo page, `loader.js`, the widget's and
//! the router's iframe documents (`/w/{key}`, `/r/{key}`), the console, and the bundles'
//! files under `/widget/`, `/router/` and `/console/`.
//!
//! Bundle files are served precompressed (`.br`, `.gz` written beside them by
//! `cargo xtask build`) by `Accept-Encoding`; files whose names carry Trunk's content hash are
//! cached for a year as immutable, everything else is revalidated (`no-cache`). loader.js is
//! compressed once, in memory, the first time it is asked for.

use super::extract::KnownWidget;
use crate::assets::{Page, DEMO_HTML, LOADER_JS};
use crate::error::ApiError;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::LazyLock;
use tower_http::services::ServeDir;

pub fn routes(state: &AppState) -> Router<AppState> {
    let files = |dir| {
        ServeDir::new(dir)
            .append_index_html_on_directories(false)
            .precompressed_br()
            .precompressed_gzip()
    };
    let widget_files = files(state.assets.widget_dir()).fallback(get(not_found));
    let router_files = files(state.assets.router_dir()).fallback(get(not_found));
    // Unknown paths below /console are the console's own client-side routes.
    let console_files =
        files(state.assets.console_dir()).fallback(get(console_document).with_state(state.clone()));
    Router::new()
        .route("/", get(demo_page))
        .route("/loader.js", get(loader))
        .route("/w/{key}", get(widget_document))
        .route("/r/{key}", get(super::widget::router_document))
        .nest_service("/widget", widget_files)
        .nest_service("/router", router_files)
        .nest_service("/console", console_files)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            bundle_headers,
        ))
}

/// The 404 for every path nothing else answers.
pub async fn not_found() -> ApiError {
    tracing::debug!("unmatched route");
    ApiError::NotFound
}

async fn demo_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    if !state.demo {
        return Err(ApiError::NotFound);
    }
    let mut res = Html(DEMO_HTML).into_response();
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(crate::assets::demo_csp()),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}

/// The encodings this server can send, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The best encoding the request accepts (`br` over `gzip`; a `q=0` refuses one).
    pub fn preferred(headers: &HeaderMap) -> Self {
        let accepted = |name: &str| {
            headers
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|item| {
                    let mut parts = item.split(';');
                    let coding = parts.next().unwrap_or("").trim();
                    let refused = parts.any(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.trim().parse::<f32>().ok())
                            .is_some_and(|q| q <= 0.0)
                    });
                    (coding.eq_ignore_ascii_case(name) || coding == "*") && !refused
                })
        };
        if accepted("br") {
            Encoding::Brotli
        } else if accepted("gzip") {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

/// loader.js as brotli (quality 11) and gzip (level 9), made once.
static LOADER_COMPRESSED: LazyLock<(Vec<u8>, Vec<u8>)> = LazyLock::new(|| {
    use std::io::Write;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        let _ = w.write_all(LOADER_JS.as_bytes());
    }
    // Writing to a Vec cannot fail.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = gz.write_all(LOADER_JS.as_bytes());
    (br, gz.finish().unwrap_or_default())
});

async fn loader(headers: HeaderMap) -> Response {
    let (br, gz) = &*LOADER_COMPRESSED;
    let (body, encoding) = match Encoding::preferred(&headers) {
        Encoding::Brotli => (Body::from(br.as_slice()), Some("br")),
        Encoding::Gzip => (Body::from(gz.as_slice()), Some("gzip")),
        Encoding::Identity => (Body::from(LOADER_JS), None),
    };
    let mut res = (
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
            (header::VARY, HeaderValue::from_static("accept-encoding")),
        ],
        body,
    )
        .into_response();
    if let Some(e) = encoding {
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    res
}

async fn widget_document(
    State(state): State<AppState>,
    KnownWidget(_): KnownWidget,
) -> Result<Response, ApiError> {
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

/// The router's iframe document, served at `/r/{key}`.
pub(crate) fn router_page(state: &AppState) -> Result<Response, ApiError> {
    let page = state.assets.router.as_ref().ok_or(ApiError::Unavailable(
        "the router bundle is not built; run `cargo xtask build`",
    ))?;
    Ok(html_page(page))
}

/// A document with its policy; revalidated on every load, so a new build shows at once.
fn html_page(page: &Page) -> Response {
    let mut res = Html(page.html.clone()).into_response();
    document_headers(&mut res, page);
    res
}

/// A document's policy (and, for one that may not be framed, `X-Frame-Options` for browsers
/// that predate `frame-ancestors`), and `no-cache`.
fn document_headers(res: &mut Response, page: &Page) {
    let h = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&page.csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    if page.csp.contains("frame-ancestors 'none'") {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

/// Whether a bundle file's name carries Trunk's content hash (`name-<hex>.ext` or
/// `name-<hex>_bg.wasm`, a 64-bit hash in hex without leading zeros): then it never changes
/// under that name.
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (10..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// Caching and `Vary` for the bundles' files; an HTML file among them (Trunk's
/// `index.html`, served as a file) is a document and gets its bundle's policy.
async fn bundle_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let page = if path.starts_with("/widget/") {
        Some(&state.assets.widget)
    } else if path.starts_with("/router/") {
        Some(&state.assets.router)
    } else if path.starts_with("/console/") {
        Some(&state.assets.console)
    } else {
        None
    };
    let mut res = next.run(req).await;
    let Some(page) = page else {
        return res;
    };
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if html {
        match page {
            Some(page) => document_headers(&mut res, page),
            // Not a document of a bundle that is built: nothing should load it.
            None => return ApiError::NotFound.into_response(),
        }
    }
    if res.status().is_success() {
        let h = res.headers_mut();
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if !h.contains_key(header::CACHE_CONTROL) {
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(if is_hashed(&path) {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                }),
            );
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_trunks() {
        assert!(is_hashed("/widget/confide-widget-3f2a9c1b7d6e5f40_bg.wasm"));
        assert!(is_hashed("/widget/confide-widget-3f2a9c1b7d6e5f40.js"));
        assert!(is_hashed("/console/console-0123456789abcdef.css"));
        assert!(
            is_hashed("/console/console-2c1abeb382f8ef6.css"),
            "a leading zero dropped"
        );
        assert!(!is_hashed("/widget/index.html"));
        assert!(!is_hashed("/widget/i18n/de.json"));
        assert!(!is_hashed("/widget/app-123.js"));
        assert!(!is_hashed("/widget/app-0123456789abcdeg.js"));
    }

    #[test]
    fn brotli_is_preferred_and_q0_refuses() {
        let h = |v: &'static str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            Encoding::preferred(&m)
        };
        assert_eq!(h("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(h("gzip"), Encoding::Gzip);
        assert_eq!(h("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(h("identity"), Encoding::Identity);
        assert_eq!(Encoding::preferred(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn the_compressed_loader_is_the_loader() {
        use std::io::Read;
        let (br, gz) = &*LOADER_COMPRESSED;
        let mut out = String::new();
        brotli::Decompressor::new(br.as_slice(), 4096)
            .read_to_string(&mut out)
            .expect("brotli");
        assert_eq!(out, LOADER_JS);
        out.clear();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_string(&mut out)
            .expect("gzip");
        assert_eq!(out, LOADER_JS);
    }
}
