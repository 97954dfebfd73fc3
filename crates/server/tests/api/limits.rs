//! Every limit answers with a stable code and stores nothing beyond it: sign-in (the server,
//! the client, the account), hellos, sends, typing, drafts, left messages, messages per
//! conversation, conversations per visitor, sockets per visitor and per process.

use crate::helpers::{error_code, post_json, spawn_app, test_config, Options, TestApp};
use crate::sockets::*;
use confide_server::clock::ManualClock;
use confide_server::Config;
use serde_json::json;
use std::sync::Arc;

fn with(config: Config) -> Options {
    Options {
        config: Some(config),
        ..Options::default()
    }
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    post_json(
        &format!("{}/api/operator/login", app.url),
        json!({"email": email, "password": password}),
        None,
    )
    .await
}

async fn add_agent(app: &TestApp, email: &str) {
    let hash = confide_server::auth::Password::new("operator password 1".into())
        .expect("pw")
        .hash()
        .expect("hash");
    app.store
        .add_operator(email, "Ada", "agent", &hash)
        .await
        .expect("operator");
}

#[tokio::test]
async fn the_twenty_first_wrong_password_in_a_row_is_refused_before_any_hash_runs() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let app = spawn_app(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    add_agent(&app, "ada@example.com").await;
    for email in ["ada@example.com", "nobody@example.com"] {
        for n in 1..=20 {
            let res = login(&app, email, "wrong password!").await;
            assert_eq!(res.status(), 401, "{email}: attempt {n}");
            assert_eq!(error_code(res).await, "unauthorized");
            // Past whatever backoff the failure earned.
            clock.advance_ms(16 * 60 * 1000);
        }
        clock.advance_ms(-16 * 60 * 1000);
        let hashed = app.state.limits.hashes();
        // The 21st, even with the right password: held back, and nothing is hashed.
        let res = login(&app, email, "operator password 1").await;
        assert_eq!(res.status(), 429, "{email}");
        let retry: u64 = res.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!((1..=15 * 60).contains(&retry), "{retry}");
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["code"], "rate_limited");
        assert_eq!(app.state.limits.hashes(), hashed, "{email}: a hash ran");
    }
    // Fifteen minutes after the last failure, the right password signs in again.
    clock.advance_ms(16 * 60 * 1000);
    assert_eq!(
        login(&app, "ada@example.com", "operator password 1")
            .await
            .status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn one_client_signing_in_too_often_is_held_back_with_retry_after() {
    let app = spawn_app(with(Config {
        logins_per_client_per_minute: 10,
        ..test_config()
    }))
    .await;
    add_agent(&app, "ada@example.com").await;
    // A burst of three (a fifth of a minute's ten, at least three), then one every six seconds.
    for _ in 0..3 {
        assert_eq!(login(&app, "ada@example.com", "wrong").await.status(), 401);
    }
    let hashed = app.state.limits.hashes();
    let res = login(&app, "other@example.com", "whatever").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(error_code(res).await, "rate_limited");
    assert_eq!(app.state.limits.hashes(), hashed);
    app.stop().await;
}

#[tokio::test]
async fn a_hello_flood_is_cut_off_at_the_widget_rate_and_creates_no_visitor_beyond_it() {
    let app = spawn_app(with(Config {
        hellos_per_widget_per_minute: 5,
        ..test_config()
    }))
    .await;
    for _ in 0..3 {
        let mut ws = connect(&app, "/ws/visitor", None).await;
        visitor_hello(&mut ws, None, None).await;
    }
    let mut ws = connect(&app, "/ws/visitor", None).await;
    send(&mut ws, json!({"type": "hello", "widget": "demo"})).await;
    let refused = recv(&mut ws).await;
    assert_eq!(refused["error"]["code"], "rate_limited", "{refused}");
    assert_eq!(close_code(&mut ws).await, Some(4429));
    assert_eq!(app.store.visitor_count().await.expect("count"), 3);
    app.stop().await;
}

#[tokio::test]
async fn sends_typing_and_drafts_beyond_the_socket_rate_are_refused_and_not_stored() {
    let app = spawn_app(with(Config {
        messages_per_socket_per_minute: 5,
        typing_per_socket_per_minute: 5,
        ..test_config()
    }))
    .await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut ws, None, None).await;
    for n in 0..3 {
        send(
            &mut ws,
            json!({"type": "send", "id": msg_id(n), "text": "hi"}),
        )
        .await;
        recv_type(&mut ws, "ack").await;
    }
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(9), "text": "one too many"}),
    )
    .await;
    let refused = recv_type(&mut ws, "error").await;
    assert_eq!(refused["error"]["code"], "rate_limited");
    assert_eq!(app.store.message_count().await.expect("count"), 3);
    for _ in 0..3 {
        send(&mut ws, json!({"type": "typing", "active": true})).await;
    }
    send(&mut ws, json!({"type": "typing", "active": true})).await;
    assert_eq!(
        recv_type(&mut ws, "error").await["error"]["code"],
        "rate_limited"
    );
    // Drafts have their own bucket (and are refused here anyway: privacy mode).
    send(&mut ws, json!({"type": "draft", "text": "d"})).await;
    assert_eq!(
        recv_type(&mut ws, "error").await["error"]["code"],
        "invalid"
    );
    app.stop().await;
}

#[tokio::test]
async fn live_preview_drafts_beyond_the_socket_rate_are_refused_and_reach_no_operator() {
    let app = spawn_app(with(Config {
        typing_per_socket_per_minute: 5,
        ..test_config()
    }))
    .await;
    crate::details::set_settings(&app, |s| {
        s.privacy_mode = false;
        s.live_preview = true;
    })
    .await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut ws, None, None).await;
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(1), "text": "hi"}),
    )
    .await;
    recv_type(&mut ws, "ack").await;
    let conv = recv_type(&mut op, "conversation").await["conversation"]["id"].clone();
    send(&mut op, json!({"type": "open", "conversation": conv})).await;
    recv_type(&mut op, "message").await;

    // Typing frames do not use up the drafts' bucket: they have one each.
    for _ in 0..3 {
        send(&mut ws, json!({"type": "typing", "active": true})).await;
    }
    for n in 0..3 {
        let text = format!("draft {n}");
        send(&mut ws, json!({"type": "draft", "text": text})).await;
        assert_eq!(recv_type(&mut op, "draft").await["text"], text);
    }
    send(
        &mut ws,
        json!({"type": "draft", "text": "canary-draft-over-the-rate"}),
    )
    .await;
    assert_eq!(
        recv_type(&mut ws, "error").await["error"]["code"],
        "rate_limited"
    );
    // The next thing the operator gets is the visitor's next message, not the refused draft.
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(2), "text": "after"}),
    )
    .await;
    loop {
        let frame = recv(&mut op).await;
        assert_ne!(frame["text"], "canary-draft-over-the-rate", "{frame}");
        if frame["type"] == "message" {
            assert_eq!(frame["message"]["text"], "after");
            break;
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn left_messages_beyond_the_client_rate_are_refused_and_not_stored() {
    let app = spawn_app(with(Config {
        leave_messages_per_client_per_minute: 5,
        ..test_config()
    }))
    .await;
    let url = format!("{}/api/widget/demo/leave-message", app.url);
    for _ in 0..3 {
        assert_eq!(
            post_json(&url, json!({"text": "hello"}), None)
                .await
                .status(),
            201
        );
    }
    let res = post_json(&url, json!({"text": "hello"}), None).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(error_code(res).await, "rate_limited");
    assert_eq!(app.store.conversation_count().await.expect("count"), 3);
    app.stop().await;
}

#[tokio::test]
async fn a_conversation_holds_at_most_its_cap_of_messages() {
    let app = spawn_app(with(Config {
        messages_per_conversation: 3,
        ..test_config()
    }))
    .await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut ws, None, None).await;
    for n in 0..3 {
        send(
            &mut ws,
            json!({"type": "send", "id": msg_id(n), "text": "hi"}),
        )
        .await;
        recv_type(&mut ws, "ack").await;
    }
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(3), "text": "full"}),
    )
    .await;
    let refused = recv_type(&mut ws, "error").await;
    assert_eq!(refused["error"]["code"], "limit_reached", "{refused}");
    assert_eq!(app.store.message_count().await.expect("count"), 3);
    app.stop().await;
}

#[tokio::test]
async fn deleting_and_writing_again_starts_at_most_the_daily_number_of_conversations() {
    let app = spawn_app(with(Config {
        conversations_per_visitor_per_day: 2,
        ..test_config()
    }))
    .await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut ws, None, None).await;
    for n in 0..2 {
        send(
            &mut ws,
            json!({"type": "send", "id": msg_id(n), "text": "hi"}),
        )
        .await;
        recv_type(&mut ws, "ack").await;
        send(&mut ws, json!({"type": "delete"})).await;
        recv_type(&mut ws, "deleted").await;
    }
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(7), "text": "third"}),
    )
    .await;
    assert_eq!(
        recv_type(&mut ws, "error").await["error"]["code"],
        "rate_limited"
    );
    assert_eq!(app.store.conversation_count().await.expect("count"), 0);
    app.stop().await;
}

#[tokio::test]
async fn one_visitor_opens_at_most_their_number_of_sockets_and_the_process_its_maximum() {
    let app = spawn_app(with(Config {
        sockets_per_visitor: 2,
        max_sockets: 4,
        ..test_config()
    }))
    .await;
    let mut first = connect(&app, "/ws/visitor", None).await;
    let token = visitor_hello(&mut first, None, None).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let mut second = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut second, Some(&token), None).await;
    let mut third = connect(&app, "/ws/visitor", None).await;
    send(
        &mut third,
        json!({"type": "hello", "widget": "demo", "token": token}),
    )
    .await;
    assert_eq!(recv(&mut third).await["error"]["code"], "limit_reached");
    assert_eq!(close_code(&mut third).await, Some(4429));
    open_sockets_become(&app, 2).await;
    // Others fill the process: 4 sockets, and the fifth upgrade is refused.
    let _fourth = connect(&app, "/ws/visitor", None).await;
    let _fifth = connect(&app, "/ws/visitor", None).await;
    match try_connect(&app, "/ws/visitor", None, None).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 503)
        }
        other => panic!("expected 503, got {other:?}"),
    }
    // A closed socket gives its place back.
    drop(first);
    open_sockets_become(&app, 3).await;
    assert!(try_connect(&app, "/ws/visitor", None, None).await.is_ok());
    app.stop().await;
}

/// Waits (at most 5 s) until the server counts `n` open sockets.
async fn open_sockets_become(app: &TestApp, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.state.limits.open_sockets() != n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} open sockets, not {n}",
            app.state.limits.open_sockets()
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
