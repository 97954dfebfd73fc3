//! Operators: login sessions, `/ws/operator`, and chat between visitor and operator.

use crate::helpers::{error_code, post_json, spawn_app, Options};
use crate::sockets::*;
use confide_server::clock::ManualClock;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_logout_ends_the_session() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada Lovelace").await;
    let me = reqwest::Client::new()
        .get(format!("{}/api/operator/me", app.url))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 200);
    let body: serde_json::Value = me.json().await.expect("json");
    assert_eq!(body["name"], "Ada Lovelace");
    assert!(body.get("email").is_none() && body.get("password_hash").is_none());

    let res = post_json(
        &format!("{}/api/operator/login", app.url),
        json!({"email": "ada@example.com", "password": "operator password 1"}),
        None,
    )
    .await;
    let set = res.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http: no Secure flag");

    let out = post_json(
        &format!("{}/api/operator/logout", app.url),
        json!({}),
        Some(&cookie),
    )
    .await;
    assert_eq!(out.status(), 204);
    let me = reqwest::Client::new()
        .get(format!("{}/api/operator/me", app.url))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 401);
    assert_eq!(error_code(me).await, "unauthorized");
    app.stop().await;
}

#[tokio::test]
async fn login_refuses_wrong_credentials_and_bad_bodies_with_stable_codes() {
    let app = spawn_app(Options::default()).await;
    operator_cookie(&app, "ada@example.com", "Ada").await;
    let url = format!("{}/api/operator/login", app.url);
    for body in [
        json!({"email": "ada@example.com", "password": "wrong password"}),
        json!({"email": "nobody@example.com", "password": "operator password 1"}),
    ] {
        let res = post_json(&url, body, None).await;
        assert_eq!(res.status(), 401);
        assert!(res.headers().get("set-cookie").is_none());
        assert_eq!(error_code(res).await, "unauthorized");
    }
    let res = post_json(&url, json!({"email": "ada@example.com"}), None).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "malformed");
    let res = reqwest::Client::new()
        .post(&url)
        .body("email=ada")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "malformed");
    let res = post_json(
        &url,
        json!({"email": "a@b.c", "password": "x".repeat(100_000)}),
        None,
    )
    .await;
    assert_eq!(res.status(), 413);
    assert_eq!(error_code(res).await, "too_large");
    app.stop().await;
}

#[tokio::test]
async fn a_session_expires() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let app = spawn_app(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    clock.advance_ms(13 * 3600 * 1000);
    let res = reqwest::Client::new()
        .get(format!("{}/api/operator/me", app.url))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me");
    assert_eq!(res.status(), 401);
    let err = try_connect(&app, "/ws/operator", Some(&cookie), None)
        .await
        .expect_err("refused");
    assert!(matches!(err, tokio_tungstenite::tungstenite::Error::Http(ref r) if r.status() == 401));
    app.stop().await;
}

#[tokio::test]
async fn the_operator_socket_needs_a_session() {
    let app = spawn_app(Options::default()).await;
    for cookie in [None, Some("confide_session=forged")] {
        let err = try_connect(&app, "/ws/operator", cookie, None)
            .await
            .expect_err("refused");
        match err {
            tokio_tungstenite::tungstenite::Error::Http(res) => assert_eq!(res.status(), 401),
            other => panic!("expected 401, got {other:?}"),
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn visitor_and_operator_chat_both_ways_with_typing_and_live_inbox() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada Lovelace").await;
    let (mut op, inbox) = operator_socket(&app, &cookie).await;
    assert_eq!(inbox["conversations"], json!([]));

    let mut visitor = connect(&app, "/ws/visitor", None).await;
    let welcome = visitor_hello(&mut visitor, None, None).await;
    assert_eq!(welcome["operators_online"], true);
    send(
        &mut visitor,
        json!({"type": "send", "id": msg_id(1), "text": "I need help"}),
    )
    .await;
    recv_type(&mut visitor, "ack").await;

    // The operator sees the conversation appear without asking.
    let summary = recv_type(&mut op, "conversation").await["conversation"].clone();
    assert_eq!(summary["unread"], 1);
    assert_eq!(summary["widget"], "demo");
    let conv = summary["id"].clone();

    send(&mut op, json!({"type": "open", "conversation": conv})).await;
    let replayed = recv_type(&mut op, "message").await;
    assert_eq!(replayed["message"]["text"], "I need help");

    // Typing both ways: a bare boolean.
    send(&mut visitor, json!({"type": "typing", "active": true})).await;
    assert_eq!(recv_type(&mut op, "typing").await["active"], true);
    send(
        &mut op,
        json!({"type": "typing", "conversation": conv, "active": true}),
    )
    .await;
    assert_eq!(recv_type(&mut visitor, "typing").await["active"], true);

    send(
        &mut op,
        json!({"type": "send", "conversation": conv, "id": msg_id(100), "text": "Happy to help"}),
    )
    .await;
    let ack = recv_type(&mut op, "ack").await;
    assert_eq!(ack["seq"], 2);
    let got = recv_type(&mut visitor, "message").await["message"].clone();
    assert_eq!(got["author"], "operator");
    assert_eq!(got["author_name"], "Ada", "the alias, never the real name");
    assert_eq!(got["text"], "Happy to help");
    assert_eq!(got["seq"], 2);

    send(
        &mut op,
        json!({"type": "read", "conversation": conv, "seq": 2}),
    )
    .await;
    loop {
        let s = recv_type(&mut op, "conversation").await;
        if s["conversation"]["unread"] == 0 {
            break;
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn every_operator_sees_new_conversations_and_the_messages_of_those_they_view() {
    let app = spawn_app(Options::default()).await;
    let a = operator_cookie(&app, "a@example.com", "Agent A").await;
    let b = operator_cookie(&app, "b@example.com", "Agent B").await;
    let (mut op_a, _) = operator_socket(&app, &a).await;
    let (mut op_b, _) = operator_socket(&app, &b).await;

    let mut visitor = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut visitor, None, None).await;
    send(
        &mut visitor,
        json!({"type": "send", "id": msg_id(1), "text": "one"}),
    )
    .await;
    recv_type(&mut visitor, "ack").await;
    let conv = recv_type(&mut op_a, "conversation").await["conversation"]["id"].clone();
    assert_eq!(
        recv_type(&mut op_b, "conversation").await["conversation"]["id"],
        conv
    );

    for op in [&mut op_a, &mut op_b] {
        send(op, json!({"type": "open", "conversation": conv})).await;
        recv_type(op, "message").await;
    }
    send(
        &mut op_a,
        json!({"type": "send", "conversation": conv, "id": msg_id(2), "text": "from A"}),
    )
    .await;
    recv_type(&mut op_a, "ack").await;
    let seen_by_b = recv_type(&mut op_b, "message").await;
    assert_eq!(seen_by_b["message"]["text"], "from A");
    assert_eq!(seen_by_b["message"]["author_name"], "Agent", "the alias");
    app.stop().await;
}

#[tokio::test]
async fn closing_a_conversation_tells_the_visitor_and_the_next_message_starts_a_new_one() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    let mut visitor = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut visitor, None, None).await;
    send(
        &mut visitor,
        json!({"type": "send", "id": msg_id(1), "text": "one"}),
    )
    .await;
    recv_type(&mut visitor, "ack").await;
    let conv = recv_type(&mut op, "conversation").await["conversation"]["id"].clone();

    send(&mut op, json!({"type": "close", "conversation": conv})).await;
    assert_eq!(
        recv_type(&mut visitor, "closed").await["conversation"],
        conv
    );

    // Replying to a closed conversation is refused and stores nothing.
    send(
        &mut op,
        json!({"type": "send", "conversation": conv, "id": msg_id(5), "text": "late"}),
    )
    .await;
    assert_eq!(
        recv_type(&mut op, "error").await["error"]["code"],
        "invalid"
    );

    // A resend of the first message still gets its original ack, not a duplicate.
    send(
        &mut visitor,
        json!({"type": "send", "id": msg_id(1), "text": "one"}),
    )
    .await;
    assert_eq!(recv_type(&mut visitor, "ack").await["seq"], 1);
    send(
        &mut visitor,
        json!({"type": "send", "id": msg_id(2), "text": "two"}),
    )
    .await;
    assert_eq!(
        recv_type(&mut visitor, "ack").await["seq"],
        1,
        "a new conversation"
    );
    assert_eq!(app.store.conversation_count().await.expect("count"), 2);
    assert_eq!(app.store.message_count().await.expect("count"), 2);
    app.stop().await;
}

#[tokio::test]
async fn operator_frames_naming_unknown_conversations_are_refused() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    for frame in [
        json!({"type": "open", "conversation": 999}),
        json!({"type": "send", "conversation": 999, "id": msg_id(1), "text": "hi"}),
        json!({"type": "read", "conversation": 999, "seq": 1}),
        json!({"type": "close", "conversation": 999}),
        json!({"type": "typing", "conversation": 999, "active": true}),
    ] {
        send(&mut op, frame.clone()).await;
        assert_eq!(
            recv_type(&mut op, "error").await["error"]["code"],
            "not_found",
            "{frame}"
        );
    }
    send(
        &mut op,
        json!({"type": "send", "conversation": "one", "id": msg_id(1), "text": "hi"}),
    )
    .await;
    assert_eq!(
        recv_type(&mut op, "error").await["error"]["code"],
        "malformed"
    );
    assert_eq!(app.store.message_count().await.expect("count"), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_message_left_offline_reaches_the_inbox_and_bad_ones_store_nothing() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    let url = format!("{}/api/widget/demo/leave-message", app.url);

    for (body, code) in [
        (json!({"email": "not an email", "text": "hi"}), "invalid"),
        (json!({"text": ""}), "malformed"),
        (json!({"text": "a".repeat(4001)}), "malformed"),
        (json!({"text": "hi", "phone": "123"}), "malformed"),
    ] {
        let res = post_json(&url, body.clone(), None).await;
        assert_eq!(res.status(), 400, "{body}");
        assert_eq!(error_code(res).await, code, "{body}");
    }
    let res = post_json(
        &format!("{}/api/widget/nosuch/leave-message", app.url),
        json!({"text": "hi"}),
        None,
    )
    .await;
    assert_eq!(res.status(), 404);
    assert_eq!(app.store.conversation_count().await.expect("count"), 0);

    let res = post_json(
        &url,
        json!({"email": "v@example.com", "text": "call me back"}),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let summary = recv_type(&mut op, "conversation").await["conversation"].clone();
    assert_eq!(summary["offline"], true);
    assert_eq!(summary["unread"], 1);
    app.stop().await;
}

#[tokio::test]
async fn a_closed_socket_stops_its_typing_indicator_and_a_returning_visitor_learns_the_operator() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada Lovelace").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    let mut visitor = connect(&app, "/ws/visitor", None).await;
    let token = visitor_hello(&mut visitor, None, None).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    send(
        &mut visitor,
        json!({"type": "send", "id": msg_id(1), "text": "hi"}),
    )
    .await;
    recv_type(&mut visitor, "ack").await;
    let conv = recv_type(&mut op, "conversation").await["conversation"]["id"].clone();
    send(&mut op, json!({"type": "open", "conversation": conv})).await;
    send(
        &mut op,
        json!({"type": "send", "conversation": conv, "id": msg_id(2), "text": "hello"}),
    )
    .await;
    recv_type(&mut op, "ack").await;
    send(
        &mut op,
        json!({"type": "typing", "conversation": conv, "active": true}),
    )
    .await;
    assert_eq!(recv_type(&mut visitor, "typing").await["active"], true);

    // The operator's socket goes away mid-typing: the visitor's indicator is switched off.
    drop(op);
    assert_eq!(recv_type(&mut visitor, "typing").await["active"], false);

    // A returning visitor's welcome names the operator who answered.
    let mut again = connect(&app, "/ws/visitor", None).await;
    let welcome = visitor_hello(&mut again, Some(&token), Some(2)).await;
    assert_eq!(welcome["operator"]["name"], "Ada", "by alias");
    assert_eq!(welcome["operator"]["initials"], "A");
    app.stop().await;
}
