//! Consent: the public config, the check at hello, receipts, and admins changing settings.

use crate::helpers::{demo_consent, error_code, spawn_app, Options, DEFAULT_NOTICE_EN};
use crate::sockets::*;
use serde_json::{json, Value};

fn with_consent() -> Options {
    Options {
        consent_required: true,
        ..Options::default()
    }
}

async fn hello_with(ws: &mut Ws, consent: Option<Value>) -> Value {
    let mut hello = json!({"type": "hello", "widget": "demo"});
    if let Some(c) = consent {
        hello["consent"] = c;
    }
    send(ws, hello).await;
    recv(ws).await
}

#[tokio::test]
async fn the_public_config_carries_the_disclaimers_and_sets_no_cookie() {
    let app = spawn_app(with_consent()).await;
    let res = app.get("/api/widget/demo/config").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none());
    let body: Value = res.json().await.expect("json");
    let s = &body["settings"];
    assert_eq!(s["consent"]["required"], true);
    assert_eq!(s["consent"]["version"], 1);
    assert_eq!(s["consent"]["texts"]["de"]["start_label"], "Chat starten");
    assert_eq!(s["privacy_link"]["url"], "https://example.com/privacy");
    assert_eq!(s["privacy_mode"], true);
    let res = app.get("/api/widget/nosuch/config").await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "widget_not_found");
    app.stop().await;
}

#[tokio::test]
async fn without_valid_consent_no_visitor_is_created_and_nothing_is_stored() {
    let app = spawn_app(with_consent()).await;
    let mut wrong_text = demo_consent();
    wrong_text["text_sha256"] = json!("0".repeat(64));
    let mut old_version = demo_consent();
    old_version["version"] = json!(0);
    let mut other_language = demo_consent();
    other_language["language"] = json!("de");
    for consent in [
        None,
        Some(wrong_text),
        Some(old_version),
        Some(other_language),
    ] {
        let mut ws = connect(&app, "/ws/visitor", None).await;
        let reply = hello_with(&mut ws, consent.clone()).await;
        assert_eq!(reply["type"], "error", "{consent:?}");
        assert_eq!(reply["error"]["code"], "consent_required", "{consent:?}");
        assert_eq!(close_code(&mut ws).await, Some(4451));
    }
    // A malformed consent object is a protocol error, not a consent question.
    let mut ws = connect(&app, "/ws/visitor", None).await;
    let reply = hello_with(&mut ws, Some(json!({"language": "en"}))).await;
    assert_eq!(reply["error"]["code"], "malformed");
    assert_eq!(
        app.store.visitor_count().await.expect("count"),
        0,
        "no identifier before consent"
    );
    assert_eq!(app.store.receipt_count().await.expect("count"), 0);
    app.stop().await;
}

#[tokio::test]
async fn consent_starts_the_chat_and_the_operator_sees_the_receipt_with_its_exact_hash() {
    let app = spawn_app(with_consent()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;

    let mut ws = connect(&app, "/ws/visitor", None).await;
    let welcome = hello_with(&mut ws, Some(demo_consent())).await;
    assert_eq!(welcome["type"], "welcome");
    let token = welcome["token"].as_str().expect("token").to_owned();
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(1), "text": "hello"}),
    )
    .await;
    recv_type(&mut ws, "ack").await;

    // Reconnecting with the same consent reuses the receipt.
    let mut again = connect(&app, "/ws/visitor", None).await;
    send(
        &mut again,
        json!({"type": "hello", "widget": "demo", "token": token, "consent": demo_consent()}),
    )
    .await;
    assert_eq!(recv(&mut again).await["type"], "welcome");
    assert_eq!(app.store.receipt_count().await.expect("count"), 1);

    let conv = recv_type(&mut op, "conversation").await["conversation"]["id"].clone();
    send(&mut op, json!({"type": "open", "conversation": conv})).await;
    let receipt = recv_type(&mut op, "receipt").await["receipt"].clone();
    let shown = crate::helpers::demo_shown_text();
    // Independent of the server's helper: sha2 directly over the text the widget shows.
    let expected = {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(shown.as_bytes()))
    };
    assert_eq!(receipt["text_sha256"], expected);
    assert_eq!(receipt["language"], "en");
    assert_eq!(receipt["version"], 1);
    assert_eq!(receipt["policy_url"], "https://example.com/privacy");
    assert!(receipt["at"].as_i64().expect("time") > 1_600_000_000_000);
    assert!(receipt["withdrawn_at"].is_null());
    app.stop().await;
}

async fn put(
    app: &crate::helpers::TestApp,
    cookie: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .put(format!("{}/api/admin/widgets/demo/settings", app.url))
        .json(body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("put")
}

#[tokio::test]
async fn only_admins_change_settings_and_bad_settings_are_refused_by_field() {
    let app = spawn_app(with_consent()).await;
    let agent = operator_cookie(&app, "agent@example.com", "Agent").await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let current: Value = reqwest::Client::new()
        .get(format!("{}/api/admin/widgets/demo/settings", app.url))
        .header("cookie", &admin)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");

    let res = put(&app, None, &current).await;
    assert_eq!(res.status(), 401);
    let res = put(&app, Some(&agent), &current).await;
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "forbidden");

    let mut bad = current.clone();
    bad["consent"]["texts"]["en"]["body"] = json!("");
    bad["privacy_link"]["url"] = json!("http://example.com/privacy");
    bad["consent"]["texts"]["xx"] = current["consent"]["texts"]["en"].clone();
    bad["prechat_fields"]["custom"] =
        json!([{"key": "order", "requirement": "required", "labels": {}}]);
    let res = put(&app, Some(&admin), &bad).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "invalid");
    let message = body["message"].as_str().expect("message");
    for field in [
        "consent.texts.en.body",
        "privacy_link.url",
        "consent.texts.xx",
        "prechat_fields.custom.0.labels.en",
    ] {
        assert!(message.contains(field), "{field} named in: {message}");
    }
    let mut unknown = current.clone();
    unknown["tracking_pixel"] = json!(true);
    let res = put(&app, Some(&admin), &unknown).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "malformed");

    // Nothing was saved: the config is unchanged.
    let config: Value = app
        .get("/api/widget/demo/config")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(config["settings"], current);
    app.stop().await;
}

#[tokio::test]
async fn changing_a_disclaimer_bumps_the_version_and_old_consent_no_longer_starts_a_chat() {
    let app = spawn_app(with_consent()).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let current: Value = app
        .get("/api/widget/demo/config")
        .await
        .json()
        .await
        .expect("json");
    let mut s = current["settings"].clone();

    s["typing_indicator"] = json!(false);
    let saved: Value = put(&app, Some(&admin), &s)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(saved["consent"]["version"], 1, "no text changed");

    s["consent"]["texts"]["en"]["body"] = json!("We keep your messages for 6 months.");
    s["consent"]["version"] = json!(99);
    let saved: Value = put(&app, Some(&admin), &s)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        saved["consent"]["version"], 2,
        "the server sets the version"
    );

    let mut ws = connect(&app, "/ws/visitor", None).await;
    let reply = hello_with(&mut ws, Some(demo_consent())).await;
    assert_eq!(reply["error"]["code"], "consent_required");
    let shown = format!("Before we chat\nWe keep your messages for 6 months.\n{DEFAULT_NOTICE_EN}\nI agree that my messages are kept for this chat.\nStart chat\n");
    let fresh = json!({"language": "en", "version": 2, "text_sha256": confide_server::consent::text_sha256(&shown)});
    let mut ws = connect(&app, "/ws/visitor", None).await;
    assert_eq!(hello_with(&mut ws, Some(fresh)).await["type"], "welcome");
    app.stop().await;
}

#[tokio::test]
async fn the_visitor_is_told_the_retention_and_changing_it_is_a_new_consent_version() {
    let app = spawn_app(with_consent()).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let config: Value = app
        .get("/api/widget/demo/config")
        .await
        .json()
        .await
        .expect("json");
    let texts = &config["settings"]["consent"]["texts"];
    assert_eq!(texts["en"]["retention"], DEFAULT_NOTICE_EN);
    assert!(
        texts["de"]["retention"]
            .as_str()
            .is_some_and(|n| n.contains("6 Monate")),
        "in German: {}",
        texts["de"]["retention"]
    );
    // An admin cannot word it: the server does, from the periods.
    let mut s = config["settings"].clone();
    s["consent"]["texts"]["en"]["retention"] = json!("We keep nothing.");
    let saved: Value = put(&app, Some(&admin), &s)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        saved["consent"]["version"], 1,
        "nothing the visitor reads changed"
    );
    assert_eq!(
        saved["consent"]["texts"]["en"]["retention"],
        DEFAULT_NOTICE_EN
    );

    // Shorter transcripts and standard mode: new words, a new version, old consents refused.
    s["retention"]["transcript_months"] = json!(3);
    s["privacy_mode"] = json!(false);
    let saved: Value = put(&app, Some(&admin), &s)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(saved["consent"]["version"], 2);
    let notice = "Conversations are deleted 3 months after their last message. \
        Details of your visit (page and browser type) are deleted after 30 days. \
        A record of your consent is kept as proof for 36 months after your last conversation is deleted.";
    assert_eq!(saved["consent"]["texts"]["en"]["retention"], notice);
    let mut ws = connect(&app, "/ws/visitor", None).await;
    let reply = hello_with(&mut ws, Some(demo_consent())).await;
    assert_eq!(reply["error"]["code"], "consent_required");
    let shown = format!(
        "Before we chat\n{}\n{notice}\nI agree that my messages are kept for this chat.\nStart chat\n",
        config["settings"]["consent"]["texts"]["en"]["body"]
            .as_str()
            .expect("body")
    );
    let fresh = json!({"language": "en", "version": 2, "text_sha256": confide_server::consent::text_sha256(&shown)});
    let mut ws = connect(&app, "/ws/visitor", None).await;
    assert_eq!(hello_with(&mut ws, Some(fresh)).await["type"], "welcome");
    app.stop().await;
}

/// A consenting visitor with two messages sent; returns the socket and the operator's.
async fn visitor_with_two_messages(app: &crate::helpers::TestApp) -> (Ws, Ws, Value) {
    let cookie = operator_cookie(app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(app, &cookie).await;
    let mut ws = connect(app, "/ws/visitor", None).await;
    assert_eq!(
        hello_with(&mut ws, Some(demo_consent())).await["type"],
        "welcome"
    );
    for n in 1..=2 {
        send(
            &mut ws,
            json!({"type": "send", "id": msg_id(n), "text": format!("message {n}")}),
        )
        .await;
        recv_type(&mut ws, "ack").await;
    }
    let conv = recv_type(&mut op, "conversation").await["conversation"]["id"].clone();
    (ws, op, conv)
}

#[tokio::test]
async fn a_visitor_can_export_what_is_stored_about_their_conversation() {
    let app = spawn_app(with_consent()).await;
    let mut ws = connect(&app, "/ws/visitor", None).await;
    assert_eq!(
        hello_with(&mut ws, Some(demo_consent())).await["type"],
        "welcome"
    );
    // Before a first message: no conversation, but the consent receipt.
    send(&mut ws, json!({"type": "export"})).await;
    let t = recv_type(&mut ws, "transcript").await;
    assert!(t["conversation"].is_null());
    assert_eq!(t["messages"], json!([]));
    assert_eq!(t["receipt"]["text_sha256"], demo_consent()["text_sha256"]);
    drop(ws);

    let (mut ws, _op, conv) = visitor_with_two_messages(&app).await;
    send(&mut ws, json!({"type": "export"})).await;
    let t = recv_type(&mut ws, "transcript").await;
    assert_eq!(t["conversation"], conv);
    let texts: Vec<&str> = t["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["text"].as_str().expect("text"))
        .collect();
    assert_eq!(texts, vec!["message 1", "message 2"]);
    assert_eq!(t["receipt"]["language"], "en");
    app.stop().await;
}

#[tokio::test]
async fn deleting_a_conversation_removes_its_messages_and_keeps_the_receipt() {
    let app = spawn_app(with_consent()).await;
    let (mut ws, mut op, conv) = visitor_with_two_messages(&app).await;
    send(&mut ws, json!({"type": "delete"})).await;
    assert_eq!(recv_type(&mut ws, "deleted").await["conversation"], conv);
    assert_eq!(app.store.message_count().await.expect("count"), 0);
    assert_eq!(app.store.conversation_count().await.expect("count"), 0);
    assert_eq!(app.store.receipt_count().await.expect("count"), 1);
    // Operators see it closed.
    loop {
        let s = recv_type(&mut op, "conversation").await;
        if s["conversation"]["id"] == conv && s["conversation"]["open"] == false {
            break;
        }
    }
    // The next message starts a new conversation under the same receipt.
    send(
        &mut ws,
        json!({"type": "send", "id": msg_id(9), "text": "again"}),
    )
    .await;
    assert_eq!(recv_type(&mut ws, "ack").await["seq"], 1);
    app.stop().await;
}

#[tokio::test]
async fn withdrawing_consent_deletes_the_conversations_and_dates_the_receipt() {
    let app = spawn_app(with_consent()).await;
    let (mut ws, _op, _conv) = visitor_with_two_messages(&app).await;
    send(&mut ws, json!({"type": "withdraw"})).await;
    let w = recv_type(&mut ws, "withdrawn").await;
    assert_eq!(w["conversations_deleted"], 1);
    assert_eq!(close_code(&mut ws).await, Some(1000), "the socket ends");
    assert_eq!(app.store.message_count().await.expect("count"), 0);
    assert_eq!(app.store.conversation_count().await.expect("count"), 0);
    let receipts = app.store.all_receipts().await.expect("receipts");
    assert_eq!(receipts.len(), 1, "the receipt is kept");
    assert_eq!(receipts[0].withdrawn_at, w["at"].as_i64());
    assert_eq!(receipts[0].text_sha256, demo_consent()["text_sha256"]);

    // Starting again takes a new consent, which gets its own receipt.
    let mut ws = connect(&app, "/ws/visitor", None).await;
    assert_eq!(
        hello_with(&mut ws, Some(demo_consent())).await["type"],
        "welcome"
    );
    assert_eq!(app.store.receipt_count().await.expect("count"), 2);
    app.stop().await;
}

#[tokio::test]
async fn admins_list_and_create_widgets_and_refusals_create_nothing() {
    let app = spawn_app(Options::default()).await;
    let agent = operator_cookie(&app, "agent@example.com", "Agent").await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/admin/widgets", app.url);

    let res = http
        .get(&url)
        .header("cookie", &agent)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 403);
    let res = http.get(&url).send().await.expect("get");
    assert_eq!(res.status(), 401);

    let post = |body: Value| http.post(&url).header("cookie", &admin).json(&body).send();
    for (body, status, code) in [
        (json!({"key": "demo", "name": "Again"}), 409, "conflict"),
        (json!({"key": "no", "name": "Short key"}), 400, "malformed"),
        (
            json!({"key": "bad key!", "name": "Spaces"}),
            400,
            "malformed",
        ),
        (json!({"key": "sales", "name": "   "}), 400, "invalid"),
        (
            json!({"key": "sales", "name": "Sales", "color": "red"}),
            400,
            "malformed",
        ),
    ] {
        let res = post(body.clone()).await.expect("post");
        assert_eq!(res.status(), status, "{body}");
        assert_eq!(error_code(res).await, code, "{body}");
    }
    assert_eq!(app.store.widget_count().await.expect("count"), 1);

    let res = post(json!({"key": "sales", "name": "Sales team"}))
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    let list: Value = http
        .get(&url)
        .header("cookie", &admin)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        list,
        json!([{"key": "demo", "name": "Demo widget"}, {"key": "sales", "name": "Sales team"}])
    );
    // A new widget starts from Confide's defaults: consent required, privacy mode.
    let config: Value = app
        .get("/api/widget/sales/config")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(config["settings"]["consent"]["required"], true);
    assert_eq!(config["settings"]["privacy_mode"], true);
    app.stop().await;
}

#[tokio::test]
async fn the_loader_integrity_matches_the_bytes_served() {
    use base64::Engine as _;
    use sha2::Digest;
    let app = spawn_app(Options::default()).await;
    let agent = operator_cookie(&app, "agent@example.com", "Agent").await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/admin/loader", app.url);
    assert_eq!(http.get(&url).send().await.expect("get").status(), 401);
    let body: Value = http
        .get(&url)
        .header("cookie", &agent)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let served = app.get("/loader.js").await.bytes().await.expect("bytes");
    let expected = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&served))
    );
    assert_eq!(body["integrity"], expected);
    app.stop().await;
}
