//! Console sessions end everywhere at once: an open operator socket closes (4401) at sign-out,
//! at the operator's removal (by the CLI, another process), at the idle limit and at expiry,
//! and receives nothing after.

use crate::helpers::{spawn_app, Options, TestApp};
use crate::sockets::*;
use confide_server::clock::ManualClock;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const MINUTE: i64 = 60 * 1000;

/// The next text frame or the close code, whichever comes first, within `limit`.
async fn next_or_close(ws: &mut Ws, limit: Duration) -> Result<Value, Option<u16>> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => panic!("neither a frame nor a close within {limit:?}"),
            Ok(Some(Ok(Message::Text(t)))) => return Ok(serde_json::from_str(&t).expect("json")),
            Ok(Some(Ok(Message::Close(c)))) => return Err(c.map(|c| u16::from(c.code))),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_)) | None) => return Err(None),
        }
    }
}

/// Waits for the close; any frame before it fails the test (nothing reaches an ended session).
async fn closed_with_nothing_before(ws: &mut Ws, limit: Duration) -> u16 {
    match next_or_close(ws, limit).await {
        Err(Some(code)) => code,
        Err(None) => panic!("the socket broke without a close frame"),
        Ok(frame) => panic!("an ended session received {frame}"),
    }
}

async fn visitor_writes(app: &TestApp, text: &str) {
    let mut v = connect(app, "/ws/visitor", None).await;
    visitor_hello(&mut v, None, None).await;
    send(
        &mut v,
        json!({"type": "send", "id": msg_id(1), "text": text}),
    )
    .await;
    recv_type(&mut v, "ack").await;
}

#[tokio::test]
async fn signing_out_closes_the_open_socket_at_once_and_nothing_reaches_it_after() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    let started = Instant::now();
    let out = crate::helpers::post_json(
        &format!("{}/api/operator/logout", app.url),
        json!({}),
        Some(&cookie),
    )
    .await;
    assert_eq!(out.status(), 204);
    // A conversation after the sign-out would be in the inbox of a live session.
    visitor_writes(&app, "after sign-out").await;
    let code = closed_with_nothing_before(&mut op, Duration::from_secs(1)).await;
    assert_eq!(code, 4401);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // And the cookie opens no new one.
    assert!(try_connect(&app, "/ws/operator", Some(&cookie), None)
        .await
        .is_err());
    app.stop().await;
}

#[tokio::test]
async fn removing_the_operator_from_the_command_line_closes_their_socket_within_a_second() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    // The CLI is another process on the same database: the server learns of it by reading.
    let out = crate::process::confide_with_db(app.dir.path())
        .args(["operator", "remove", "--email", "ADA@example.com"])
        .output()
        .expect("confide operator remove");
    // The removal is committed once the command has exited: a second from there.
    let removed = Instant::now();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = closed_with_nothing_before(&mut op, Duration::from_secs(1)).await;
    assert_eq!(code, 4401);
    assert!(
        removed.elapsed() < Duration::from_secs(1),
        "{:?}",
        removed.elapsed()
    );
    let out = crate::process::confide_with_db(app.dir.path())
        .args(["operator", "remove", "--email", "ada@example.com"])
        .output()
        .expect("again");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no operator with that email"));
    app.stop().await;
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes_but_not_while_the_operator_works() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let app = spawn_app(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;

    // 29 minutes pass, then the operator does something: the idle clock starts again.
    clock.advance_ms(29 * MINUTE);
    send(
        &mut op,
        json!({"type": "read", "conversation": 999, "seq": 1}),
    )
    .await;
    recv_type(&mut op, "error").await;
    clock.advance_ms(2 * MINUTE);
    // Two rechecks later the socket is still there, and so is the HTTP session.
    tokio::time::sleep(confide_server::ws::operator::RECHECK * 3).await;
    send(&mut op, json!({"type": "ping"})).await;
    assert_eq!(
        next_or_close(&mut op, Duration::from_secs(2))
            .await
            .expect("open")["type"],
        "pong"
    );
    let me = |cookie: String| {
        let url = format!("{}/api/operator/me", app.url);
        async move {
            reqwest::Client::new()
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .expect("me")
                .status()
        }
    };
    assert_eq!(me(cookie.clone()).await, 200);

    // Pings are not work: 31 minutes of them end the session.
    clock.advance_ms(31 * MINUTE);
    send(&mut op, json!({"type": "ping"})).await;
    let mut code = None;
    for _ in 0..3 {
        match next_or_close(&mut op, Duration::from_secs(2)).await {
            Ok(frame) => assert_eq!(frame["type"], "pong", "{frame}"),
            Err(c) => {
                code = c;
                break;
            }
        }
    }
    assert_eq!(code, Some(4401));
    assert_eq!(me(cookie).await, 401);
    app.stop().await;
}

#[tokio::test]
async fn a_session_ends_twelve_hours_after_sign_in_however_busy() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let app = spawn_app(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    // Busy every 20 minutes for 11 h 40 min.
    for _ in 0..35 {
        clock.advance_ms(20 * MINUTE);
        send(
            &mut op,
            json!({"type": "read", "conversation": 999, "seq": 1}),
        )
        .await;
        recv_type(&mut op, "error").await;
    }
    clock.advance_ms(21 * MINUTE);
    let code = closed_with_nothing_before(&mut op, Duration::from_millis(1500)).await;
    assert_eq!(code, 4401);
    app.stop().await;
}

#[tokio::test]
async fn the_last_operator_who_may_manage_operators_cannot_be_removed() {
    let app = spawn_app(Options::default()).await;
    operator_cookie_as(&app, "boss@example.com", "Boss", "admin").await;
    operator_cookie(&app, "ada@example.com", "Ada").await;
    let remove = |email: &str| {
        crate::process::confide_with_db(app.dir.path())
            .args(["operator", "remove", "--email", email])
            .output()
            .expect("confide operator remove")
    };
    let out = remove("boss@example.com");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("last operator whose role may manage"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        app.store.operator_count().await.expect("count"),
        2,
        "nothing removed"
    );
    // An agent goes; with another admin, so does the first.
    assert!(remove("ada@example.com").status.success());
    operator_cookie_as(&app, "second@example.com", "Second", "admin").await;
    assert!(remove("boss@example.com").status.success());
    app.stop().await;
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

async fn call(app: &TestApp, cookie: &str, method: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(
            method.parse().expect("method"),
            format!("{}{path}", app.url),
        )
        .header("cookie", cookie)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn an_operator_lists_their_sessions_by_family_and_ends_another_one_at_once() {
    let app = spawn_app(Options::default()).await;
    operator_cookie(&app, "ada@example.com", "Ada").await;
    let laptop = sign_in(&app, "ada@example.com", Some(FIREFOX)).await;
    let phone = sign_in(&app, "ada@example.com", Some(CHROME)).await;
    let res = call(&app, &laptop, "GET", "/api/operator/sessions").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.expect("body");
    assert!(
        !text.contains("127.0.0.1") && !text.contains("Mozilla"),
        "{text}"
    );
    let list: Value = serde_json::from_str(&text).expect("json");
    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 3, "the first sign-in, the laptop, the phone");
    let mine = |browser: &str| {
        list.iter()
            .find(|s| s["browser"] == browser)
            .unwrap_or_else(|| panic!("a {browser} session in {list:?}"))
            .clone()
    };
    let (firefox, chrome) = (mine("Firefox"), mine("Chrome"));
    assert_eq!(
        (firefox["os"].as_str(), firefox["current"].as_bool()),
        (Some("Linux"), Some(true))
    );
    assert_eq!(
        (chrome["os"].as_str(), chrome["current"].as_bool()),
        (Some("macOS"), Some(false))
    );
    assert!(firefox.get("operator_name").is_none());

    // Another operator cannot end it by naming its id.
    let bob = operator_cookie(&app, "bob@example.com", "Bob").await;
    let chrome_id = chrome["id"].as_i64().expect("id");
    let res = call(
        &app,
        &bob,
        "DELETE",
        &format!("/api/operator/sessions/{chrome_id}"),
    )
    .await;
    assert_eq!(res.status(), 404);

    // Ada ends the phone's session from the laptop: its socket closes at once.
    let (mut phone_ws, _) = operator_socket(&app, &phone).await;
    let res = call(
        &app,
        &laptop,
        "DELETE",
        &format!("/api/operator/sessions/{chrome_id}"),
    )
    .await;
    assert_eq!(res.status(), 204);
    let started = Instant::now();
    assert_eq!(
        closed_with_nothing_before(&mut phone_ws, Duration::from_secs(1)).await,
        4401
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        call(&app, &phone, "GET", "/api/operator/me").await.status(),
        401
    );

    // All the others: the first sign-in's goes, the laptop stays.
    let res = call(&app, &laptop, "POST", "/api/operator/sessions/end-others").await;
    assert_eq!(res.json::<Value>().await.expect("json")["ended"], 1);
    let left: Value = call(&app, &laptop, "GET", "/api/operator/sessions")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(left.as_array().map(Vec::len), Some(1));
    let log = app.store.audit_entries(0, 1000).await.expect("audit");
    let ended: Vec<&str> = log
        .iter()
        .filter(|r| r.action == "session_ended")
        .map(|r| r.target.as_str())
        .collect();
    assert_eq!(ended.len(), 2);
    assert!(
        ended[0].ends_with(&format!("session:{chrome_id}")),
        "{ended:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_admin_sees_everyones_sessions_and_ends_an_agents_at_once() {
    let app = spawn_app(Options::default()).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let agent = operator_cookie(&app, "agent@example.com", "Agent Canary").await;
    assert_eq!(
        call(&app, &agent, "GET", "/api/admin/sessions")
            .await
            .status(),
        403
    );
    let all: Value = call(&app, &admin, "GET", "/api/admin/sessions")
        .await
        .json()
        .await
        .expect("json");
    let theirs = all
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["operator_name"] == "Agent Canary")
        .expect("the agent's session")
        .clone();
    let (mut ws, _) = operator_socket(&app, &agent).await;
    let id = theirs["id"].as_i64().expect("id");
    assert_eq!(
        call(&app, &agent, "DELETE", &format!("/api/admin/sessions/{id}"))
            .await
            .status(),
        403
    );
    let res = call(&app, &admin, "DELETE", &format!("/api/admin/sessions/{id}")).await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        closed_with_nothing_before(&mut ws, Duration::from_secs(1)).await,
        4401
    );
    assert_eq!(
        call(&app, &agent, "GET", "/api/operator/me").await.status(),
        401
    );
    assert_eq!(
        call(&app, &admin, "DELETE", &format!("/api/admin/sessions/{id}"))
            .await
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_or_unknown_session_id_is_refused_and_ends_nothing() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let client = reqwest::Client::new();
    for (path, who, status, code) in [
        ("/api/operator/sessions/abc", &cookie, 400, "malformed"),
        ("/api/operator/sessions/-1", &cookie, 400, "malformed"),
        ("/api/operator/sessions/999999", &cookie, 404, "not_found"),
        ("/api/admin/sessions/1e3", &admin, 400, "malformed"),
        ("/api/admin/sessions/999999", &admin, 404, "not_found"),
    ] {
        let res = client
            .delete(format!("{}{path}", app.url))
            .header("cookie", who.as_str())
            .send()
            .await
            .expect("delete");
        assert_eq!(res.status(), status, "{path}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["code"], code, "{path}");
        assert!(!body["message"].as_str().unwrap_or("").contains("abc"));
    }
    // Both sessions still open everything.
    for c in [&cookie, &admin] {
        let res = client
            .get(format!("{}/api/operator/sessions", app.url))
            .header("cookie", c.as_str())
            .send()
            .await
            .expect("list");
        assert_eq!(res.status(), 200);
    }
    app.stop().await;
}
