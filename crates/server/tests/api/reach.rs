//! The visitor reaches all of their data: every conversation under their token (open,
//! closed, left messages) is listed, exported and deleted one by one, in bounded pages, and
//! a left message sent without a token gets one. Another visitor's conversation is
//! `not_found` and stays untouched.

use crate::helpers::{post_json, spawn_app, Options, TestApp};
use crate::sockets::*;
use serde_json::{json, Value};

async fn hello(app: &TestApp, token: Option<&str>) -> (Ws, String) {
    let mut v = connect(app, "/ws/visitor", None).await;
    let mut hello = json!({"type": "hello", "widget": "demo"});
    if let Some(t) = token {
        hello["token"] = json!(t);
    }
    send(&mut v, hello).await;
    let welcome = recv_type(&mut v, "welcome").await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    (v, token)
}

async fn say(v: &mut Ws, n: u32, text: &str) -> i64 {
    send(v, json!({"type": "send", "id": msg_id(n), "text": text})).await;
    recv_type(v, "ack").await;
    n.into()
}

async fn list(v: &mut Ws, before: Option<i64>) -> Value {
    let mut frame = json!({"type": "conversations"});
    if let Some(b) = before {
        frame["before"] = json!(b);
    }
    send(v, frame).await;
    recv_type(v, "conversations").await
}

/// The id of the next conversation the operator is shown that is none of `known`.
async fn other_than(op: &mut Ws, known: &[i64]) -> i64 {
    loop {
        let id = recv_type(op, "conversation").await["conversation"]["id"]
            .as_i64()
            .expect("id");
        if !known.contains(&id) {
            return id;
        }
    }
}

fn ids(page: &Value) -> Vec<i64> {
    page["conversations"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn closed_conversations_and_left_messages_are_listed_exported_and_deleted_one_by_one() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;

    // A left message without a token: the answer carries one, which reaches it later.
    let res = post_json(
        &format!("{}/api/widget/demo/leave-message", app.url),
        json!({"text": "canary-left-message"}),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let left: Value = res.json().await.expect("json");
    let token = left["token"]
        .as_str()
        .expect("a token for its author")
        .to_owned();
    let offline = left["conversation"].as_i64().expect("conversation");

    // Its author comes back with that token and writes on (the left message is their open
    // conversation); an operator closes it, and they start another.
    let (mut v, same) = hello(&app, Some(&token)).await;
    assert_eq!(same, token);
    say(&mut v, 1, "canary-second-text").await;
    send(&mut op, json!({"type": "close", "conversation": offline})).await;
    recv_type(&mut v, "closed").await;
    say(&mut v, 2, "canary-open-text").await;
    let open = other_than(&mut op, &[offline]).await;

    // Someone else's conversation.
    let (mut other, _) = hello(&app, None).await;
    say(&mut other, 1, "someone-else").await;
    let theirs = other_than(&mut op, &[offline, open]).await;

    let page = list(&mut v, None).await;
    assert_eq!(ids(&page), vec![open, offline], "{page}");
    assert!(page.get("more").is_none(), "{page}");
    let items = page["conversations"].as_array().expect("list");
    assert_eq!(
        items
            .iter()
            .map(|c| (
                c["open"].as_bool(),
                c["offline"].as_bool(),
                c["messages"].as_u64()
            ))
            .collect::<Vec<_>>(),
        vec![
            (Some(true), Some(false), Some(1)),
            (Some(false), Some(true), Some(2))
        ]
    );

    // Export of the closed left message, and of the open one, each on its own.
    send(&mut v, json!({"type": "export", "conversation": offline})).await;
    let t = recv_type(&mut v, "transcript").await;
    assert_eq!(t["conversation"], offline, "{t}");
    let texts: Vec<&str> = t["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts, ["canary-left-message", "canary-second-text"], "{t}");
    send(&mut v, json!({"type": "export", "conversation": open})).await;
    let t = recv_type(&mut v, "transcript").await;
    assert_eq!(t["messages"][0]["text"], "canary-open-text", "{t}");

    // Another visitor's conversation is not found, for export and delete, and stays.
    for kind in ["export", "delete"] {
        send(&mut v, json!({"type": kind, "conversation": theirs})).await;
        let e = recv_type(&mut v, "error").await;
        assert_eq!(e["error"]["code"], "not_found", "{kind}: {e}");
    }
    send(&mut other, json!({"type": "export"})).await;
    let t = recv_type(&mut other, "transcript").await;
    assert_eq!(t["messages"][0]["text"], "someone-else");

    // Deleting the closed one leaves the open conversation delivering.
    send(&mut v, json!({"type": "delete", "conversation": offline})).await;
    let d = recv_type(&mut v, "deleted").await;
    assert_eq!(d["conversation"], offline, "{d}");
    assert_eq!(ids(&list(&mut v, None).await), vec![open]);
    send(&mut v, json!({"type": "export", "conversation": offline})).await;
    assert_eq!(
        recv_type(&mut v, "error").await["error"]["code"],
        "not_found"
    );
    say(&mut v, 3, "still here").await;
    assert_eq!(
        app.store
            .messages_after(confide_protocol::chat::ConversationId(open), 0)
            .await
            .expect("messages")
            .len(),
        2
    );
    app.stop().await;
}

#[tokio::test]
async fn the_list_comes_in_bounded_pages() {
    let app = spawn_app(Options::default()).await;
    let (mut v, token) = hello(&app, None).await;
    let widget = app
        .store
        .widget_by_key(&confide_protocol::WidgetKey::parse("demo").expect("key"))
        .await
        .expect("widget");
    let visitor = app
        .store
        .visitor_by_token(widget.id, &confide_server::auth::token_hash(&token))
        .await
        .expect("visitor");
    let mut made = Vec::new();
    for _ in 0..57 {
        let c = app
            .store
            .create_conversation(confide_server::store::NewConversation {
                widget_id: widget.id,
                visitor_id: visitor.id,
                offline: true,
                receipt_id: None,
                details: None,
            })
            .await
            .expect("conversation");
        made.push(c.0);
    }
    made.reverse();
    let first = list(&mut v, None).await;
    assert_eq!(first["more"], true, "{first}");
    let mut seen = ids(&first);
    assert_eq!(seen.len(), 50);
    let second = list(&mut v, seen.last().copied()).await;
    assert!(second.get("more").is_none(), "{second}");
    seen.extend(ids(&second));
    assert_eq!(seen, made);
    app.stop().await;
}
