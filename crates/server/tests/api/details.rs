//! Pre-chat fields, standard mode (page context, browser family, live preview), the typing
//! indicator setting, and leave-a-message with consent.

use crate::helpers::{demo_consent, error_code, post_json, spawn_app, Options, TestApp};
use crate::sockets::*;
use confide_protocol::settings::{CustomField, Requirement, WidgetSettings};
use confide_protocol::WidgetKey;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const CHROME_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                         Chrome/140.0.0.0 Safari/537.36 uacanary-7f3a";

pub(crate) async fn set_settings(app: &TestApp, change: impl FnOnce(&mut WidgetSettings)) {
    let key = WidgetKey::parse("demo").expect("key");
    let widget = app.store.widget_by_key(&key).await.expect("widget");
    let mut settings = app
        .store
        .widget_settings(widget.id)
        .await
        .expect("settings");
    change(&mut settings);
    assert_eq!(settings.problems(), vec![], "test settings are valid");
    app.store
        .save_widget_settings(widget.id, settings)
        .await
        .expect("save");
}

fn standard_with_fields(s: &mut WidgetSettings) {
    s.privacy_mode = false;
    s.live_preview = true;
    s.prechat_fields.name = Requirement::Required;
    s.prechat_fields.email = Requirement::Optional;
    s.prechat_fields.custom = vec![CustomField {
        key: "order".into(),
        requirement: Requirement::Optional,
        labels: [("en".to_owned(), "Order number".to_owned())].into(),
    }];
}

async fn visitor_with_ua(app: &TestApp, ua: &str) -> Ws {
    let mut req = format!("ws://{}/ws/visitor", app.addr())
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("user-agent", HeaderValue::from_str(ua).expect("ua"));
    tokio_tungstenite::connect_async(req)
        .await
        .expect("socket opens")
        .0
}

async fn db_bytes(app: &TestApp) -> Vec<u8> {
    crate::helpers::db_and_wal_bytes(app.dir.path()).await
}

pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn standard_mode_gives_operators_fields_page_referrer_browser_and_the_live_draft() {
    let app = spawn_app(Options::default()).await;
    set_settings(&app, standard_with_fields).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;

    let mut v = visitor_with_ua(&app, CHROME_UA).await;
    send(
        &mut v,
        json!({"type": "hello", "widget": "demo",
               "fields": {"name": "  Grace ", "email": "", "custom": {"order": "A-77"}},
               "context": {"page": "https://shop.example/pricing?coupon=canary-query#plans",
                           "referrer": "https://search.example/results?q=canary-search"}}),
    )
    .await;
    assert_eq!(recv(&mut v).await["type"], "welcome");
    send(
        &mut v,
        json!({"type": "send", "id": msg_id(1), "text": "hello"}),
    )
    .await;
    recv_type(&mut v, "ack").await;
    let conv = recv_type(&mut op, "conversation").await["conversation"]["id"].clone();

    send(&mut op, json!({"type": "open", "conversation": conv})).await;
    let details = recv_type(&mut op, "details").await["details"].clone();
    assert_eq!(
        details,
        json!({"name": "Grace",
               "custom": [{"key": "order", "label": "Order number", "value": "A-77"}],
               "page": "https://shop.example/pricing",
               "referrer": "https://search.example/results",
               "browser": "Chrome", "os": "Linux"})
    );
    recv_type(&mut op, "message").await;

    // An over-long draft is refused without ending the socket, and reaches no operator.
    send(&mut v, json!({"type": "draft", "text": "x".repeat(4001)})).await;
    let refused = recv_type(&mut v, "error").await;
    assert_eq!(refused["error"]["code"], "malformed", "{refused}");
    send(&mut v, json!({"type": "draft", "text": "canary-draft-5c1"})).await;
    let draft = recv_type(&mut op, "draft").await;
    assert_eq!(draft["text"], "canary-draft-5c1");
    assert_eq!(draft["conversation"], conv);

    // The visitor's export shows what is stored.
    send(&mut v, json!({"type": "export"})).await;
    let t = recv_type(&mut v, "transcript").await;
    assert_eq!(t["details"], details);

    // Only families and cut URLs are kept: never the user agent, the query or the draft.
    let bytes = db_bytes(&app).await;
    for canary in [
        "uacanary-7f3a",
        "canary-query",
        "canary-search",
        "canary-draft-5c1",
    ] {
        assert!(!contains(&bytes, canary), "{canary} is in the database");
    }
    // The page that is kept is sealed too: operators read it, the file does not hold it.
    assert!(!contains(&bytes, "https://shop.example/pricing"));
    app.stop().await;
}

#[tokio::test]
async fn privacy_mode_refuses_page_context_and_drafts_and_keeps_no_browser() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;

    let mut v = visitor_with_ua(&app, CHROME_UA).await;
    send(
        &mut v,
        json!({"type": "hello", "widget": "demo",
               "context": {"page": "https://shop.example/pricing"}}),
    )
    .await;
    let refused = recv(&mut v).await;
    assert_eq!(refused["error"]["code"], "invalid", "{refused}");
    assert_eq!(close_code(&mut v).await, Some(4400));
    assert_eq!(app.store.visitor_count().await.expect("count"), 0);

    let mut v = visitor_with_ua(&app, CHROME_UA).await;
    visitor_hello(&mut v, None, None).await;
    send(
        &mut v,
        json!({"type": "send", "id": msg_id(1), "text": "hello"}),
    )
    .await;
    recv_type(&mut v, "ack").await;
    send(&mut v, json!({"type": "draft", "text": "canary-draft-5c1"})).await;
    let refused = recv_type(&mut v, "error").await;
    assert_eq!(refused["error"]["code"], "invalid");

    let conv = recv_type(&mut op, "conversation").await["conversation"]["id"].clone();
    send(&mut op, json!({"type": "open", "conversation": conv})).await;
    // No details frame: nothing about the visitor is stored in privacy mode.
    let first = recv(&mut op).await;
    assert_eq!(first["type"], "message", "{first}");
    assert!(!contains(&db_bytes(&app).await, "Chrome"));
    app.stop().await;
}

#[tokio::test]
async fn pre_chat_fields_are_checked_at_hello_and_a_refusal_stores_nothing() {
    let app = spawn_app(Options::default()).await;
    set_settings(&app, standard_with_fields).await;
    for (fields, field) in [
        (json!(null), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "Grace", "email": "grace@nowhere"}), "email"),
        (
            json!({"name": "Grace", "custom": {"shoe_size": "44"}}),
            "custom.shoe_size",
        ),
        (json!({"name": "x".repeat(201)}), "name"),
    ] {
        let mut v = connect(&app, "/ws/visitor", None).await;
        let mut hello = json!({"type": "hello", "widget": "demo"});
        if !fields.is_null() {
            hello["fields"] = fields.clone();
        }
        send(&mut v, hello).await;
        let refused = recv(&mut v).await;
        assert_eq!(refused["error"]["code"], "invalid", "{fields}");
        let message = refused["error"]["message"].as_str().expect("message");
        assert!(message.contains(field), "{message} names {field}");
        assert!(
            !message.contains("nowhere") && !message.contains("44"),
            "{message}"
        );
        assert_eq!(close_code(&mut v).await, Some(4422), "{fields}");
    }
    assert_eq!(app.store.visitor_count().await.expect("count"), 0);
    app.stop().await;
}

#[tokio::test]
async fn with_the_typing_indicator_off_no_typing_crosses_either_way() {
    let app = spawn_app(Options::default()).await;
    set_settings(&app, |s| s.typing_indicator = false).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    let mut v = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut v, None, None).await;
    send(
        &mut v,
        json!({"type": "send", "id": msg_id(1), "text": "hello"}),
    )
    .await;
    recv_type(&mut v, "ack").await;
    let conv = recv_type(&mut op, "conversation").await["conversation"]["id"].clone();
    send(&mut op, json!({"type": "open", "conversation": conv})).await;
    recv_type(&mut op, "message").await;
    assert_silent(&mut op, "after open").await;

    send(&mut v, json!({"type": "typing", "active": true})).await;
    assert_silent(&mut op, "visitor typing with the indicator off").await;
    send(
        &mut op,
        json!({"type": "typing", "conversation": conv, "active": true}),
    )
    .await;
    // A ping answered proves the visitor's socket went past the operator's typing.
    send(&mut v, json!({"type": "ping"})).await;
    loop {
        let frame = recv(&mut v).await;
        assert_ne!(
            frame["type"], "typing",
            "operator typing with the indicator off"
        );
        if frame["type"] == "pong" {
            break;
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_left_message_needs_consent_gets_a_receipt_and_is_withdrawn_with_the_visitor() {
    let app = spawn_app(Options {
        consent_required: true,
        ..Options::default()
    })
    .await;
    let url = format!("{}/api/widget/demo/leave-message", app.url);
    let res = post_json(&url, json!({"text": "call me"}), None).await;
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "consent_required");
    let mut stale = demo_consent();
    stale["version"] = json!(7);
    let res = post_json(&url, json!({"text": "call me", "consent": stale}), None).await;
    assert_eq!(res.status(), 403);
    let res = post_json(
        &url,
        json!({"text": "call me", "consent": demo_consent(), "token": "a".repeat(43)}),
        None,
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(app.store.conversation_count().await.expect("count"), 0);
    assert_eq!(app.store.receipt_count().await.expect("count"), 0);

    // The widget's visitor leaves a message with their token: it is theirs.
    let mut v = connect(&app, "/ws/visitor", None).await;
    send(
        &mut v,
        json!({"type": "hello", "widget": "demo", "consent": demo_consent()}),
    )
    .await;
    let welcome = recv(&mut v).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    let res = post_json(
        &url,
        json!({"text": "call me", "email": "grace@example.com",
               "consent": demo_consent(), "token": token}),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("json");
    let conv =
        confide_protocol::chat::ConversationId(created["conversation"].as_i64().expect("id"));
    let receipt = app
        .store
        .conversation_receipt(conv)
        .await
        .expect("receipt")
        .expect("linked");
    assert_eq!(receipt.info.text_sha256, demo_consent()["text_sha256"]);
    let details = app
        .store
        .conversation_details(conv)
        .await
        .expect("details")
        .expect("stored");
    assert_eq!(details.email.as_deref(), Some("grace@example.com"));

    send(&mut v, json!({"type": "withdraw"})).await;
    let withdrawn = recv_type(&mut v, "withdrawn").await;
    assert_eq!(withdrawn["conversations_deleted"], 1);
    assert_eq!(app.store.conversation_count().await.expect("count"), 0);
    assert!(app
        .store
        .conversation_details(conv)
        .await
        .expect("q")
        .is_none());
    // Erased for real: secure_delete zeroes the freed pages and the WAL is checkpointed.
    assert!(!contains(&db_bytes(&app).await, "grace@example.com"));
    app.stop().await;
}
