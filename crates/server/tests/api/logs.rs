//! No log line carries message text, an email, a name, an IP or a user agent: canary values
//! go through a whole chat against the real binary, then its log output is searched.

use crate::helpers::write_bundles;
use crate::process::{add_operator, Server};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const UA: &str = "CanaryAgent/9.9 (canary-ua)";
const XFF: &str = "203.0.113.77";
const REFERER: &str = "https://canary-referrer.example/page";
const OPERATOR_EMAIL: &str = "canary-operator@example.com";
const OPERATOR_NAME: &str = "Canaryoperatorname";
const CANARIES: &[&str] = &[
    "canary-ua",
    "CanaryAgent",
    XFF,
    "canary-referrer",
    "canary-operator@",
    OPERATOR_NAME,
    "canary-wrong@",
    "canary-visitor@",
    "canary-left-text",
    "canary-message-text",
    "canary-reply-text",
    "canary-malformed-text",
    "operator password 1",
];

async fn ws(
    url: &str,
    cookie: Option<&str>,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut req = url.into_client_request().expect("request");
    let h = req.headers_mut();
    h.insert("user-agent", HeaderValue::from_static(UA));
    h.insert("x-forwarded-for", HeaderValue::from_static(XFF));
    if let Some(c) = cookie {
        h.insert("cookie", HeaderValue::from_str(c).expect("cookie"));
    }
    tokio_tungstenite::connect_async(req)
        .await
        .expect("socket")
        .0
}

async fn next_of<S>(ws: &mut S, kind: &str) -> Value
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("frame in time")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).expect("json");
            if v["type"] == kind {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn no_log_line_carries_message_text_emails_names_ips_or_user_agents() {
    // debug: every request line and every chat step Confide logs.
    canary_chat("debug").await;
}

#[tokio::test]
async fn not_even_at_trace_does_a_log_line_carry_them() {
    // trace: everything any crate would log, were the other crates not capped at info
    // (tungstenite logs each frame in full below it).
    canary_chat("trace").await;
}

/// A whole chat with canary values against the real binary at `level`; then its log is
/// searched for each of them.
async fn canary_chat(level: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    write_bundles(&dir.path().join("dist"));
    add_operator(
        dir.path(),
        OPERATOR_EMAIL,
        OPERATOR_NAME,
        "operator password 1",
    );
    let server = Server::start(dir.path(), "127.0.0.1:0", level);
    let base = server.url.clone();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", XFF.parse().expect("hv"));
    headers.insert("referer", REFERER.parse().expect("hv"));
    let http = reqwest::Client::builder()
        .user_agent(UA)
        .default_headers(headers)
        .build()
        .expect("client");

    for path in [
        "/",
        "/loader.js",
        "/w/demo",
        "/nope",
        "/w/canary-message-text",
    ] {
        http.get(format!("{base}{path}")).send().await.expect("get");
    }
    let bad = http
        .post(format!("{base}/api/operator/login"))
        .json(&json!({"email": "canary-wrong@example.com", "password": "nope nope nope"}))
        .send()
        .await
        .expect("login");
    assert_eq!(bad.status(), 401);
    let cookie =
        crate::process::login_cookie(&http, &base, OPERATOR_EMAIL, "operator password 1").await;
    let left = http
        .post(format!("{base}/api/widget/demo/leave-message"))
        .json(&json!({"email": "canary-visitor@example.com", "text": "canary-left-text", "consent": crate::helpers::demo_consent()}))
        .send()
        .await
        .expect("leave");
    assert_eq!(left.status(), 201);
    let refused = http
        .post(format!("{base}/api/widget/demo/leave-message"))
        .json(&json!({"email": "canary-visitor@ example.com", "text": "canary-left-text", "consent": crate::helpers::demo_consent()}))
        .send()
        .await
        .expect("leave");
    assert_eq!(refused.status(), 400);

    let wsbase = base.replace("http://", "ws://");
    let mut op = ws(&format!("{wsbase}/ws/operator"), Some(&cookie)).await;
    next_of(&mut op, "inbox").await;
    let mut visitor = ws(&format!("{wsbase}/ws/visitor"), None).await;
    visitor
        .send(Message::text(
            json!({"type": "hello", "widget": "demo", "consent": crate::helpers::demo_consent()})
                .to_string(),
        ))
        .await
        .expect("send");
    next_of(&mut visitor, "welcome").await;
    visitor
        .send(Message::text(
            json!({"type": "send", "id": "canary-0001", "text": "canary-message-text"}).to_string(),
        ))
        .await
        .expect("send");
    next_of(&mut visitor, "ack").await;
    visitor
        .send(Message::text(
            r#"{"type":"send","id":"canary-0002","text":"canary-malformed-text""#.to_owned(),
        ))
        .await
        .expect("send");
    next_of(&mut visitor, "error").await;
    let conv = next_of(&mut op, "conversation").await["conversation"]["id"].clone();
    op.send(Message::text(
        json!({"type": "open", "conversation": conv}).to_string(),
    ))
    .await
    .expect("send");
    op.send(Message::text(json!({"type": "send", "conversation": conv, "id": "canary-0003", "text": "canary-reply-text"}).to_string())).await.expect("send");
    next_of(&mut op, "ack").await;
    next_of(&mut visitor, "message").await;
    drop(op);
    drop(visitor);

    let log = server.stop();
    assert!(
        log.contains("request"),
        "the log was on and recorded requests:\n{log}"
    );
    assert!(log.contains("stored"), "the log recorded the chat:\n{log}");
    for canary in CANARIES {
        assert!(!log.contains(canary), "the log contains {canary:?}:\n{log}");
    }
    assert!(
        !log.contains("127.0.0.1"),
        "the log contains a client IP:\n{log}"
    );
}
