//! The door: headers on every response, the session cookie, and where writes and socket
//! handshakes may come from.

use crate::helpers::{error_code, spawn_app, test_config, Options, TestApp};
use crate::sockets::{operator_cookie, try_connect};
use confide_server::config::PublicOrigin;
use confide_server::Config;

fn with_config(config: Config) -> Options {
    Options {
        config: Some(config),
        ..Options::default()
    }
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} on {}", res.url()))
        .to_str()
        .expect("ascii")
        .to_owned()
}

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}{path}", app.url));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn every_html_document_carries_its_policy_and_the_console_is_never_framed() {
    let app = spawn_app(Options::default()).await;
    let console = header(
        &get(&app, "/console", None).await,
        "content-security-policy",
    );
    let widget = header(&get(&app, "/w/demo", None).await, "content-security-policy");
    // Trunk's index.html files, served as files of their bundles, are the same documents.
    for (path, policy) in [
        ("/console/index.html", &console),
        ("/widget/index.html", &widget),
    ] {
        let res = get(&app, path, None).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(&header(&res, "content-security-policy"), policy, "{path}");
        assert_eq!(header(&res, "cache-control"), "no-cache", "{path}");
    }
    for path in ["/console", "/console/index.html", "/console/some/route"] {
        let res = get(&app, path, None).await;
        assert!(
            header(&res, "content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(header(&res, "x-frame-options"), "DENY", "{path}");
    }
    // The demo page is as strict as a careful site owner's: its own style, the loader and
    // the chat's frame from this origin.
    let demo = include_str!("../../../../www/demo.html");
    let style = demo
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(body, _)| body)
        .expect("the demo page has a style");
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
    let policy = header(&get(&app, "/", None).await, "content-security-policy");
    for part in [
        "default-src 'none'".to_owned(),
        "script-src 'self';".to_owned(),
        "frame-src 'self'".to_owned(),
        format!("style-src 'sha256-{hash}';"),
    ] {
        assert!(policy.contains(&part), "{part} missing: {policy}");
    }
    // The widget's documents are meant to be framed by the site owner's pages.
    for path in ["/w/demo", "/widget/index.html"] {
        let res = get(&app, path, None).await;
        assert!(res.headers().get("x-frame-options").is_none(), "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn every_response_turns_off_browser_features_and_signed_in_answers_are_not_stored() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    for path in [
        "/",
        "/loader.js",
        "/w/demo",
        "/widget/app.js",
        "/healthz",
        "/nope",
    ] {
        let res = get(&app, path, None).await;
        let policy = header(&res, "permissions-policy");
        for feature in ["camera=()", "microphone=()", "geolocation=()", "payment=()"] {
            assert!(policy.contains(feature), "{path}: {policy}");
        }
        assert_eq!(header(&res, "x-content-type-options"), "nosniff", "{path}");
        // Plain http without a public https URL: no HSTS.
        assert!(res.headers().get("strict-transport-security").is_none());
    }
    for (path, who) in [
        ("/api/operator/me", Some(cookie.as_str())),
        ("/api/operator/me", None),
        ("/api/admin/loader", Some(cookie.as_str())),
        ("/api/admin/widgets", Some(cookie.as_str())),
    ] {
        let res = get(&app, path, who).await;
        assert_eq!(header(&res, "cache-control"), "no-store", "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn behind_https_every_response_asks_for_https_from_now_on() {
    let app = spawn_app(with_config(Config {
        public_url: Some(PublicOrigin::parse("https://chat.example.com").expect("url")),
        ..test_config()
    }))
    .await;
    for path in ["/", "/w/demo", "/api/operator/me"] {
        let res = get(&app, path, None).await;
        assert_eq!(
            header(&res, "strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_session_cookie_is_secure_and_host_only_by_default() {
    let app = spawn_app(with_config(Config::default())).await;
    app.store
        .add_operator(
            "ada@example.com",
            "Ada",
            "agent",
            &confide_server::auth::Password::new("operator password 1".into())
                .expect("pw")
                .hash()
                .expect("hash"),
        )
        .await
        .expect("operator");
    let res = crate::helpers::post_json(
        &format!("{}/api/operator/login", app.url),
        serde_json::json!({"email": "ada@example.com", "password": "operator password 1"}),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let set = header(&res, "set-cookie");
    assert!(set.starts_with("__Host-confide_session="), "{set}");
    for attr in ["; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let pair = set.split(';').next().expect("pair").to_owned();
    assert_eq!(
        get(&app, "/api/operator/me", Some(&pair)).await.status(),
        200
    );
    // The same token under the plain name is not a session here.
    let plain = pair.replace("__Host-confide_session", "confide_session");
    let res = get(&app, "/api/operator/me", Some(&plain)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthorized");
    app.stop().await;
}

#[tokio::test]
async fn writes_and_socket_handshakes_must_come_from_the_public_url() {
    let app = spawn_app(with_config(Config {
        public_url: Some(PublicOrigin::parse("https://chat.example.com").expect("url")),
        ..test_config()
    }))
    .await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let before = app.store.message_count().await.expect("count");
    let leave = |origin: Option<&'static str>, site: Option<&'static str>| {
        let mut req = reqwest::Client::new()
            .post(format!("{}/api/widget/demo/leave-message", app.url))
            .json(&serde_json::json!({"text": "hello"}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(s) = site {
            req = req.header("sec-fetch-site", s);
        }
        req.send()
    };
    // The host the request names does not matter behind a proxy: the public URL does.
    for (origin, site) in [
        (Some(format!("http://{}", app.addr()).leak() as &str), None),
        (Some("https://evil.example"), None),
        (Some("http://chat.example.com"), None),
        (None, Some("cross-site")),
    ] {
        let res = leave(origin, site).await.expect("post");
        assert_eq!(res.status(), 403, "{origin:?} {site:?}");
        assert_eq!(error_code(res).await, "forbidden");
    }
    assert_eq!(app.store.message_count().await.expect("count"), before);
    let res = leave(Some("https://chat.example.com"), Some("same-origin"))
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    // A client that is not a browser sends no Origin and is judged by its credentials.
    assert_eq!(leave(None, None).await.expect("post").status(), 201);

    for origin in ["https://evil.example", "http://chat.example.com"] {
        assert!(
            try_connect(&app, "/ws/operator", Some(&cookie), Some(origin))
                .await
                .is_err(),
            "{origin}"
        );
        assert!(try_connect(&app, "/ws/visitor", None, Some(origin))
            .await
            .is_err());
    }
    assert!(try_connect(
        &app,
        "/ws/operator",
        Some(&cookie),
        Some("https://chat.example.com")
    )
    .await
    .is_ok());
    app.stop().await;
}

#[tokio::test]
async fn invisible_format_characters_are_refused_in_messages_fields_names_and_labels() {
    let app = spawn_app(Options::default()).await;
    let mut ws = crate::sockets::connect(&app, "/ws/visitor", None).await;
    crate::sockets::visitor_hello(&mut ws, None, None).await;
    for text in [
        "gnp.\u{202E}exe.jpg",
        "pay\u{200B}pal",
        "hi\u{E0068}\u{E0069}",
    ] {
        crate::sockets::send(
            &mut ws,
            serde_json::json!({"type": "send", "id": "message-rlo1", "text": text}),
        )
        .await;
        let refused = crate::sockets::recv_type(&mut ws, "error").await;
        assert_eq!(refused["error"]["code"], "malformed", "{refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("invisible formatting character")),
            "{refused}"
        );
    }
    // What scripts and emoji need is text like any other.
    crate::sockets::send(
        &mut ws,
        serde_json::json!({"type": "send", "id": "message-ok01", "text": "👩\u{200D}💻 می‌خواهم"}),
    )
    .await;
    crate::sockets::recv_type(&mut ws, "ack").await;
    assert_eq!(app.store.message_count().await.expect("count"), 1);

    let cookie =
        crate::sockets::operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let res = crate::helpers::post_json(
        &format!("{}/api/admin/widgets", app.url),
        serde_json::json!({"key": "shop", "name": "Shop\u{202E}lla"}),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["code"], "invalid");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("name: ")));
    assert!(app
        .store
        .widget_by_key(&confide_protocol::WidgetKey::parse("shop").expect("key"))
        .await
        .is_err());
    let url = format!("{}/api/admin/widgets/demo/settings", app.url);
    let mut settings: serde_json::Value = reqwest::Client::new()
        .get(&url)
        .header("cookie", &cookie)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    settings["consent"]["texts"]["en"]["title"] = serde_json::json!("Before \u{2066}we chat");
    let res = reqwest::Client::new()
        .put(&url)
        .header("cookie", &cookie)
        .json(&settings)
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("consent.texts.en.title: contains an invisible")),
        "{body}"
    );
    app.stop().await;
}

/// A raw TCP client: what it sends, and whether the server answers or hangs up.
async fn raw(app: &TestApp, bytes: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut tcp = tokio::net::TcpStream::connect(app.addr())
        .await
        .expect("tcp");
    tcp.write_all(bytes).await.expect("write");
    tcp
}

/// Reads until the server closes the connection (at most `limit`); returns what it sent.
async fn until_closed(tcp: &mut tokio::net::TcpStream, limit: std::time::Duration) -> String {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    tokio::time::timeout(limit, tcp.read_to_end(&mut got))
        .await
        .expect("the server closed the connection in time")
        .expect("read");
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn slow_and_silent_clients_are_disconnected_and_slow_bodies_get_408() {
    let app = spawn_app(with_config(Config {
        header_timeout_secs: 1,
        request_timeout_secs: 1,
        ..test_config()
    }))
    .await;
    let started = std::time::Instant::now();
    // Slowloris: half a request, then nothing.
    let mut slow = raw(&app, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ").await;
    // A connection that never says anything.
    let mut silent = raw(&app, b"").await;
    for tcp in [&mut slow, &mut silent] {
        until_closed(tcp, std::time::Duration::from_secs(5)).await;
    }
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    // A body that never finishes: the request gets 408 and stores nothing.
    let mut body = raw(
        &app,
        b"POST /api/widget/demo/leave-message HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\":",
    )
    .await;
    let answer = until_closed(&mut body, std::time::Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(app.store.conversation_count().await.expect("count"), 0);
    app.stop().await;
}

#[tokio::test]
async fn past_the_connection_cap_a_new_connection_waits_for_a_free_place() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(with_config(Config {
        max_connections: 2,
        ..test_config()
    }))
    .await;
    // Two connections take both places (one idle, one kept alive after a request).
    let first = raw(&app, b"").await;
    let mut second = raw(&app, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = [0u8; 512];
    let n = second.read(&mut buf).await.expect("answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // A third one's request is answered only once a place is free.
    let mut third = raw(
        &app,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    let answered = tokio::spawn(async move {
        let mut got = Vec::new();
        third.read_to_end(&mut got).await.expect("read");
        (
            std::time::Instant::now(),
            String::from_utf8_lossy(&got).into_owned(),
        )
    });
    // Long past when an uncapped server would have answered.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let freed = std::time::Instant::now();
    drop(first);
    second.shutdown().await.expect("shutdown");
    drop(second);
    let (at, answer) = tokio::time::timeout(std::time::Duration::from_secs(5), answered)
        .await
        .expect("answered once a place was free")
        .expect("join");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        at >= freed,
        "the third was answered before a place was free"
    );
    app.stop().await;
}
