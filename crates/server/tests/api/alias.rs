//! Visitors see an operator's alias, never their real name (issue 15): not in a message
//! frame, not in the welcome that names who answered last, not in the visitor's export;
//! the console and the audit log keep the real name, and a message keeps its alias after its
//! operator is removed. `confide operator add --alias` sets it,
//! and without it the alias is the name's first word.

use crate::helpers::{spawn_app, Options};
use crate::sockets::*;
use serde_json::{json, Value};

const REAL: &str = "Grace Canary-Hopper";

#[tokio::test]
async fn no_frame_to_a_visitor_carries_the_operators_real_name() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "grace@example.com", REAL).await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    let me = reqwest::Client::new()
        .get(format!("{}/api/operator/me", app.url))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me");
    let me: Value = me.json().await.expect("json");
    assert_eq!(me["name"], REAL, "the console shows the real name");

    let mut v = connect(&app, "/ws/visitor", None).await;
    let welcome = visitor_hello(&mut v, None, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    let mut frames: Vec<Value> = vec![welcome];
    send(
        &mut v,
        json!({"type": "send", "id": msg_id(1), "text": "hello"}),
    )
    .await;
    frames.push(recv_type(&mut v, "ack").await);
    let c = recv_type(&mut op, "conversation").await["conversation"]["id"].clone();
    send(&mut op, json!({"type": "open", "conversation": c})).await;
    send(
        &mut op,
        json!({"type": "send", "conversation": c, "id": msg_id(2), "text": "How can I help?"}),
    )
    .await;
    let reply = loop {
        let f = recv_type(&mut v, "message").await;
        if f["message"]["author"] == "operator" {
            break f;
        }
        frames.push(f);
    };
    assert_eq!(reply["message"]["author_name"], "Grace", "the alias");
    frames.push(reply);
    // Back later: the welcome names who answered last, by alias, and the catch-up carries
    // the alias too.
    drop(v);
    let mut v = connect(&app, "/ws/visitor", None).await;
    let welcome = visitor_hello(&mut v, Some(&token), Some(0)).await;
    assert_eq!(welcome["operator"]["name"], "Grace");
    assert_eq!(welcome["operator"]["initials"], "G");
    frames.push(welcome);
    for _ in 0..2 {
        frames.push(recv_type(&mut v, "message").await);
    }
    let all = serde_json::to_string(&frames).expect("json");
    assert!(!all.contains("Canary") && !all.contains("Hopper"), "{all}");

    // The operator is removed: the transcript still says who answered, by the same alias.
    drop(v);
    app.store
        .remove_operator("grace@example.com")
        .await
        .expect("remove")
        .expect("removed");
    let mut v = connect(&app, "/ws/visitor", None).await;
    let welcome = visitor_hello(&mut v, Some(&token), Some(0)).await;
    assert_eq!(welcome["operator"]["name"], "Grace");
    let mut names = Vec::new();
    for _ in 0..2 {
        names.push(recv_type(&mut v, "message").await["message"]["author_name"].clone());
    }
    assert!(names.contains(&json!("Grace")), "{names:?}");
    app.stop().await;
}
