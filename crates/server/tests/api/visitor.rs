//! `/ws/visitor`: delivery rules and bad input, with a real WebSocket client.

use crate::helpers::{spawn_app, Options};
use crate::sockets::*;
use confide_server::clock::ManualClock;
use serde_json::json;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_new_visitor_gets_a_token_and_an_ack_only_after_the_message_is_stored() {
    let app = spawn_app(Options::default()).await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    let welcome = visitor_hello(&mut ws, None, None).await;
    assert_eq!(welcome["token"].as_str().expect("token").len(), 43);
    assert!(
        welcome["conversation"].is_null(),
        "no conversation before a message"
    );
    assert_eq!(welcome["operators_online"], false);

    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(1), "text": "hello"}),
    )
    .await;
    let ack = recv_type(&mut ws, "ack").await;
    assert_eq!(ack["id"], msg_id(1));
    assert_eq!(ack["seq"], 1);
    // The ack came after the commit: the row is there now.
    assert_eq!(app.store.message_count().await.expect("count"), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_resend_with_the_same_id_gets_the_original_ack_and_stores_nothing() {
    let app = spawn_app(Options::default()).await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut ws, None, None).await;
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(1), "text": "first"}),
    )
    .await;
    let first = recv_type(&mut ws, "ack").await;
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(2), "text": "second"}),
    )
    .await;
    recv_type(&mut ws, "ack").await;
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(1), "text": "first"}),
    )
    .await;
    let again = recv_type(&mut ws, "ack").await;
    assert_eq!(again, first, "the resend is answered with the original ack");
    assert_eq!(app.store.message_count().await.expect("count"), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_returning_visitor_resumes_after_the_last_sequence_it_saw() {
    let app = spawn_app(Options::default()).await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    let token = visitor_hello(&mut ws, None, None).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    for n in 1..=3 {
        send(
            &mut ws,
            json!({"type": "send", "id": msg_id(n), "text": format!("m{n}")}),
        )
        .await;
        recv_type(&mut ws, "ack").await;
    }
    ws.close(None).await.expect("close");

    let mut ws = connect(&app, "/ws/visitor", None).await;
    let welcome = visitor_hello(&mut ws, Some(&token), Some(1)).await;
    assert!(welcome["conversation"].is_i64());
    let seqs = [
        recv_type(&mut ws, "message").await,
        recv_type(&mut ws, "message").await,
    ];
    assert_eq!(seqs[0]["message"]["seq"], 2);
    assert_eq!(seqs[1]["message"]["seq"], 3);
    assert_eq!(seqs[1]["message"]["text"], "m3");
    assert_eq!(seqs[1]["message"]["author"], "visitor");
    assert_silent(&mut ws, "nothing after the replay").await;
    app.stop().await;
}

#[tokio::test]
async fn the_first_frame_must_be_hello() {
    let app = spawn_app(Options::default()).await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(1), "text": "sneaky"}),
    )
    .await;
    let err = recv(&mut ws).await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["error"]["code"], "malformed");
    assert_eq!(close_code(&mut ws).await, Some(4400));
    assert_eq!(app.store.message_count().await.expect("count"), 0);
    app.stop().await;
}

#[tokio::test]
async fn unknown_widget_and_wrong_token_are_refused_with_close_codes() {
    let app = spawn_app(Options::default()).await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    send(&mut ws, json!({"type": "hello", "widget": "nosuchwidget"})).await;
    assert_eq!(recv(&mut ws).await["error"]["code"], "widget_not_found");
    assert_eq!(close_code(&mut ws).await, Some(4404));

    let mut ws = connect(&app, "/ws/visitor", None).await;
    send(
        &mut ws,
        json!({"type": "hello", "widget": "demo", "token": "A".repeat(43)}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["error"]["code"], "unauthorized");
    assert_eq!(close_code(&mut ws).await, Some(4401));

    let mut ws = connect(&app, "/ws/visitor", None).await;
    send(
        &mut ws,
        json!({"type": "hello", "widget": "demo", "token": "short"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["error"]["code"], "malformed");
    assert_eq!(close_code(&mut ws).await, Some(4400));
    assert_eq!(app.store.conversation_count().await.expect("count"), 0);
    app.stop().await;
}

#[tokio::test]
async fn an_expired_visitor_token_is_refused() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let app = spawn_app(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    let token = visitor_hello(&mut ws, None, None).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    ws.close(None).await.expect("close");
    clock.advance_ms(31 * 24 * 3600 * 1000);
    let mut ws = connect(&app, "/ws/visitor", None).await;
    send(
        &mut ws,
        json!({"type": "hello", "widget": "demo", "token": token}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["error"]["code"], "unauthorized");
    assert_eq!(close_code(&mut ws).await, Some(4401));
    app.stop().await;
}

#[tokio::test]
async fn malformed_frames_after_hello_get_errors_and_store_nothing() {
    let app = spawn_app(Options::default()).await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut ws, None, None).await;

    let bad = [
        "{not json".to_owned(),
        json!({"type": "shout", "text": "hi"}).to_string(),
        json!({"type": "send", "id": msg_id(1)}).to_string(),
        json!({"type": "send", "id": "x", "text": "id too short"}).to_string(),
        json!({"type": "send", "id": msg_id(1), "text": "   "}).to_string(),
        json!({"type": "send", "id": msg_id(1), "text": "a".repeat(4001)}).to_string(),
        // Visitors cannot name a conversation: the socket is bound to their own.
        json!({"type": "send", "id": msg_id(1), "text": "hi", "conversation": 1}).to_string(),
        json!({"type": "typing", "active": true, "draft": "my draft"}).to_string(),
        json!({"type": "hello", "widget": "demo"}).to_string(),
    ];
    for frame in &bad {
        send_raw(&mut ws, Message::text(frame.clone())).await;
        let err = recv(&mut ws).await;
        assert_eq!(err["type"], "error", "{frame}");
        assert_eq!(err["error"]["code"], "malformed", "{frame}");
        let message = err["error"]["message"].as_str().expect("message");
        assert!(
            !message.contains("my draft") && !message.contains("hi\""),
            "{message}"
        );
    }
    send_raw(&mut ws, Message::binary(vec![1u8, 2, 3])).await;
    assert_eq!(recv(&mut ws).await["error"]["code"], "malformed");

    // The socket still works, and only the valid message is stored.
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(9), "text": "valid"}),
    )
    .await;
    assert_eq!(recv_type(&mut ws, "ack").await["seq"], 1);
    assert_eq!(app.store.message_count().await.expect("count"), 1);
    app.stop().await;
}

#[tokio::test]
async fn an_oversized_frame_is_refused_and_closes_the_socket() {
    let app = spawn_app(Options::default()).await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut ws, None, None).await;
    let huge = json!({"type": "send", "id": msg_id(1), "text": "a".repeat(70_000)});
    send(&mut ws, huge).await;
    let err = recv(&mut ws).await;
    assert_eq!(err["error"]["code"], "too_large");
    assert_eq!(close_code(&mut ws).await, Some(4413));
    assert_eq!(app.store.message_count().await.expect("count"), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_socket_from_another_origin_is_refused_before_upgrade() {
    let app = spawn_app(Options::default()).await;
    let err = try_connect(&app, "/ws/visitor", None, Some("https://evil.example"))
        .await
        .expect_err("refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(res) => assert_eq!(res.status(), 403),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
    let own = format!("http://{}", app.addr());
    assert!(try_connect(&app, "/ws/visitor", None, Some(&own))
        .await
        .is_ok());
    app.stop().await;
}

#[tokio::test]
async fn events_published_out_of_order_still_reach_the_visitor_in_order_exactly_once() {
    use confide_protocol::chat::{Author, ClientMsgId, ConversationId, MessageText};
    use confide_server::hub::Event;
    let app = spawn_app(Options::default()).await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut ws, None, None).await;
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(1), "text": "one"}),
    )
    .await;
    recv_type(&mut ws, "ack").await;
    assert_eq!(recv_type(&mut ws, "message").await["message"]["seq"], 1);

    // Two operator messages committed as seq 2 and 3, whose events reach the hub 3 first.
    let conv = ConversationId(1);
    let text = MessageText::parse("reply").expect("text");
    let two = app
        .store
        .append_message(
            conv,
            &ClientMsgId::parse("op-00002").expect("id"),
            Author::Operator,
            None,
            &text,
        )
        .await
        .expect("2")
        .message;
    let three = app
        .store
        .append_message(
            conv,
            &ClientMsgId::parse("op-00003").expect("id"),
            Author::Operator,
            None,
            &text,
        )
        .await
        .expect("3")
        .message;
    app.hub.publish(Event::Message {
        conversation: conv,
        message: three,
    });
    app.hub.publish(Event::Message {
        conversation: conv,
        message: two,
    });

    assert_eq!(recv_type(&mut ws, "message").await["message"]["seq"], 2);
    assert_eq!(recv_type(&mut ws, "message").await["message"]["seq"], 3);
    assert_silent(&mut ws, "the late event for seq 2 is not delivered twice").await;
    app.stop().await;
}
