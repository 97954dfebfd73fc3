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
