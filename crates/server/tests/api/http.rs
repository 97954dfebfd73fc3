//! HTTP behaviour of a running server.

use crate::helpers::{error_code, spawn_app, spawn_app_in, Options, FIXTURE_BOOTSTRAP};
use base64::Engine as _;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn healthz_reports_ok_and_the_sqlite_file_exists_on_disk() {
    let app = spawn_app(Options::default()).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert!(crate::helpers::db_path(app.dir.path()).is_file());
    app.stop().await;
}

#[tokio::test]
async fn loader_is_served_as_javascript_without_cookies() {
    let app = spawn_app(Options::default()).await;
    let res = app.get("/loader.js").await;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/javascript"));
    assert!(headers.get("set-cookie").is_none());
    assert_eq!(headers["cross-origin-resource-policy"], "cross-origin");
    assert_eq!(
        headers["access-control-allow-origin"], "*",
        "so SRI works cross-origin"
    );
    let body = res.text().await.expect("body");
    assert_eq!(body, include_str!("../../../../static/loader.js"));
    app.stop().await;
}

#[tokio::test]
async fn widget_document_allows_only_its_own_inline_bootstrap() {
    let app = spawn_app(Options::default()).await;
    let res = app.get("/w/demo").await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let expected = base64::engine::general_purpose::STANDARD
        .encode(Sha256::digest(FIXTURE_BOOTSTRAP.as_bytes()));
    assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(res.headers().get("set-cookie").is_none());
    assert!(res.text().await.expect("body").contains(FIXTURE_BOOTSTRAP));
    app.stop().await;
}

#[tokio::test]
async fn unknown_widget_key_is_refused_with_widget_not_found() {
    let app = spawn_app(Options::default()).await;
    let res = app.get("/w/nosuchwidget").await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "widget_not_found");
    app.stop().await;
}

#[tokio::test]
async fn malformed_widget_keys_are_refused_with_malformed() {
    let app = spawn_app(Options::default()).await;
    let long = "k".repeat(65);
    for path in ["/w/ab", "/w/de%20mo", "/w/demo.js", &format!("/w/{long}")] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 400, "{path}");
        assert_eq!(error_code(res).await, "malformed", "{path}");
    }
    assert_eq!(app.store.widget_count().await.expect("count"), 1);
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_get_a_json_not_found() {
    let app = spawn_app(Options::default()).await;
    for path in ["/nope", "/widget/missing.js", "/w"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(error_code(res).await, "not_found", "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn widget_assets_are_served_from_the_bundle() {
    let app = spawn_app(Options::default()).await;
    let res = app.get("/widget/app.js").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.text().await.expect("body"),
        "export default function init() {}"
    );
    app.stop().await;
}

#[tokio::test]
async fn console_paths_fall_back_to_the_console_document_with_a_no_framing_policy() {
    let app = spawn_app(Options::default()).await;
    for path in ["/console", "/console/", "/console/conversations/7"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(res.text().await.expect("body").contains("<title>console"));
    }
    app.stop().await;
}

#[tokio::test]
async fn demo_page_is_served_only_in_demo_mode() {
    let app = spawn_app(Options::default()).await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.expect("body");
    assert!(body.contains(r#"<script src="/loader.js" data-widget="demo""#));
    app.stop().await;

    let app = spawn_app(Options {
        demo: false,
        ..Options::default()
    })
    .await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "not_found");
    app.stop().await;
}

#[tokio::test]
async fn demo_widget_is_created_once_across_restarts() {
    let app = spawn_app(Options::default()).await;
    assert_eq!(app.store.widget_count().await.expect("count"), 1);
    let dir = app.stop().await;
    let app = spawn_app_in(dir, Options::default()).await;
    assert_eq!(app.store.widget_count().await.expect("count"), 1);
    assert_eq!(app.get("/w/demo").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn missing_bundles_answer_unavailable_with_a_hint() {
    let app = spawn_app(Options {
        with_bundles: false,
        ..Options::default()
    })
    .await;
    for path in ["/w/demo", "/console"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 503, "{path}");
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["code"], "unavailable");
        assert!(body["message"]
            .as_str()
            .expect("message")
            .contains("cargo xtask build"));
    }
    app.stop().await;
}

#[tokio::test]
async fn every_response_carries_nosniff_and_no_referrer() {
    let app = spawn_app(Options::default()).await;
    for path in [
        "/",
        "/loader.js",
        "/w/demo",
        "/healthz",
        "/nope",
        "/widget/app.js",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(res.headers()["referrer-policy"], "no-referrer", "{path}");
    }
    app.stop().await;
}

/// Brotli and gzip of `raw`, as `cargo xtask build` writes them beside each bundle file.
fn compressed(raw: &[u8]) -> (Vec<u8>, Vec<u8>) {
    use std::io::Write;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(raw).expect("brotli");
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(raw).expect("gzip");
    (br, gz.finish().expect("gzip"))
}

async fn get_with(
    app: &crate::helpers::TestApp,
    path: &str,
    accept: Option<&str>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}{path}", app.url));
    if let Some(a) = accept {
        req = req.header("accept-encoding", a);
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn bundle_files_are_sent_compressed_by_accept_encoding_and_cached_by_name() {
    use std::io::Read;
    let app = spawn_app(Options::default()).await;
    let widget = app.dir.path().join("dist/widget");
    let raw = "(module) ".repeat(500).into_bytes();
    let name = "confide-widget-0123456789abcdef_bg.wasm";
    let (br, gz) = compressed(&raw);
    std::fs::write(widget.join(name), &raw).expect("raw");
    std::fs::write(widget.join(format!("{name}.br")), &br).expect("br");
    std::fs::write(widget.join(format!("{name}.gz")), &gz).expect("gz");
    let path = format!("/widget/{name}");

    let res = get_with(&app, &path, Some("gzip, deflate, br, zstd")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(res.headers()["vary"], "accept-encoding");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable",
        "a hashed name never changes"
    );
    let body = res.bytes().await.expect("body");
    assert_eq!(body.len(), br.len(), "the brotli bytes on the wire");
    let mut out = Vec::new();
    brotli::Decompressor::new(&body[..], 4096)
        .read_to_end(&mut out)
        .expect("brotli");
    assert_eq!(out, raw);

    let res = get_with(&app, &path, Some("gzip")).await;
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let body = res.bytes().await.expect("body");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut out)
        .expect("gzip");
    assert_eq!(out, raw);

    let res = get_with(&app, &path, None).await;
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.bytes().await.expect("body").len(), raw.len());

    // A file without a hash in its name is revalidated; a document is never cached blindly.
    let res = get_with(&app, "/widget/app.js", Some("br")).await;
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let res = get_with(&app, "/w/demo", Some("br")).await;
    assert_eq!(res.headers()["cache-control"], "no-cache");
    app.stop().await;
}

#[tokio::test]
async fn the_loader_is_sent_compressed_when_the_browser_accepts_it() {
    use std::io::Read;
    let app = spawn_app(Options::default()).await;
    let loader = include_str!("../../../../static/loader.js");
    let res = get_with(&app, "/loader.js", Some("gzip, deflate, br")).await;
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(res.headers()["vary"], "accept-encoding");
    let body = res.bytes().await.expect("body");
    assert!(body.len() < loader.len() / 2, "{} bytes", body.len());
    let mut out = String::new();
    brotli::Decompressor::new(&body[..], 4096)
        .read_to_string(&mut out)
        .expect("brotli");
    assert_eq!(out, loader);
    let res = get_with(&app, "/loader.js", Some("gzip")).await;
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let res = get_with(&app, "/loader.js", Some("br;q=0, gzip;q=0")).await;
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.text().await.expect("body"), loader);
    app.stop().await;
}

#[tokio::test]
async fn the_data_folder_and_database_files_are_readable_by_this_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app(Options::default()).await;
    // A write, so the WAL and its index exist.
    let res = crate::helpers::post_json(
        &format!("{}/api/widget/demo/leave-message", app.url),
        serde_json::json!({"text": "hello"}),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let db = crate::helpers::db_path(app.dir.path());
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(db.parent().expect("folder")), 0o700, "data folder");
    for file in ["confide.db", "confide.db-wal", "confide.db-shm"] {
        let path = db.with_file_name(file);
        assert_eq!(mode(&path), 0o600, "{file}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_public_configurations_are_sent_compressed_when_accepted() {
    use std::io::Read;
    let app = spawn_app(Options::default()).await;
    let plain = get_with(&app, "/api/widget/demo/config", None).await;
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.expect("body");
    let res = get_with(&app, "/api/widget/demo/config", Some("gzip, br")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "br");
    let body = res.bytes().await.expect("body");
    assert!(
        body.len() * 2 < plain.len(),
        "{} of {}",
        body.len(),
        plain.len()
    );
    let mut out = Vec::new();
    brotli::Decompressor::new(&body[..], 4096)
        .read_to_end(&mut out)
        .expect("brotli");
    assert_eq!(out, plain.to_vec());
    app.stop().await;
}
