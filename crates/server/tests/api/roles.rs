//! Roles as permissions (issue 15): a role limited to one widget with transcripts "read" sees
//! that widget's conversations only, live and in the history, and gets 403 from every
//! endpoint it lacks the permission for, whatever a console shows; roles are checked field by
//! field, built-in ones never change, and changing a role closes its holders' sockets.

use crate::helpers::{post_json, spawn_app, Options, TestApp};
use crate::sockets::*;
use confide_protocol::WidgetKey;
use serde_json::{json, Value};

/// A second widget, `shop`, chatting without consent like the test demo.
async fn shop(app: &TestApp) {
    let key = WidgetKey::parse("shop").expect("key");
    app.store.ensure_widget(&key, "Shop").await.expect("widget");
    let widget = app.store.widget_by_key(&key).await.expect("widget");
    let mut settings = app
        .store
        .widget_settings(widget.id)
        .await
        .expect("settings");
    settings.consent.required = false;
    app.store
        .save_widget_settings(widget.id, settings)
        .await
        .expect("save");
}

/// A visitor on `widget` who sends one message; their socket.
async fn visitor_on(app: &TestApp, widget: &str, text: &str) -> Ws {
    let mut v = connect(app, "/ws/visitor", None).await;
    send(&mut v, json!({"type": "hello", "widget": widget})).await;
    assert_eq!(recv(&mut v).await["type"], "welcome");
    send(
        &mut v,
        json!({"type": "send", "id": msg_id(1), "text": text}),
    )
    .await;
    recv_type(&mut v, "ack").await;
    v
}

async fn call(
    app: &TestApp,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .request(
            method.parse().expect("method"),
            format!("{}{path}", app.url),
        )
        .header("cookie", cookie);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request")
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

#[tokio::test]
async fn a_role_limited_to_one_widget_with_read_access_sees_it_only_and_cannot_edit() {
    let app = spawn_app(Options::default()).await;
    shop(&app).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let res = post_json(
        &format!("{}/api/admin/roles", app.url),
        json!({"name": "shop-readers", "permissions": {"transcripts": "read", "widgets": ["shop"]}}),
        Some(&admin),
    )
    .await;
    assert_eq!(res.status(), 201);
    let reader = operator_cookie_as(&app, "reader@example.com", "Reader", "shop-readers").await;
    let me = json_of(call(&app, &reader, "GET", "/api/operator/me", None).await).await;
    assert_eq!(me["permissions"]["transcripts"], "read");
    assert_eq!(me["permissions"]["widgets"], json!(["shop"]));

    let (mut admin_ws, _) = operator_socket(&app, &admin).await;
    let _demo_visitor = visitor_on(&app, "demo", "on the demo").await;
    let demo = recv_type(&mut admin_ws, "conversation").await["conversation"]["id"].clone();
    let (mut ws, inbox) = operator_socket(&app, &reader).await;
    assert_eq!(
        inbox["conversations"],
        json!([]),
        "the demo's chat is not in its inbox"
    );
    let _shop_visitor = visitor_on(&app, "shop", "in the shop").await;
    let shop_c = recv_type(&mut admin_ws, "conversation").await["conversation"]["id"].clone();
    // Live: the first summary it hears of is the shop's (the demo's never reaches it).
    let heard = recv_type(&mut ws, "conversation").await;
    assert_eq!(heard["conversation"]["id"], shop_c);
    // Every frame that names another widget's conversation finds nothing, and changes nothing.
    for frame in [
        json!({"type": "open", "conversation": demo}),
        json!({"type": "send", "conversation": demo, "id": msg_id(9), "text": "intrude"}),
        json!({"type": "typing", "conversation": demo, "active": true}),
        json!({"type": "read", "conversation": demo, "seq": 1}),
        json!({"type": "close", "conversation": demo}),
    ] {
        send(&mut ws, frame.clone()).await;
        assert_eq!(
            recv_type(&mut ws, "error").await["error"]["code"],
            "not_found",
            "{frame}"
        );
    }
    let summary = app
        .store
        .summary(confide_protocol::chat::ConversationId(
            demo.as_i64().expect("id"),
        ))
        .await
        .expect("summary");
    assert!(
        summary.open && summary.last_seq == 1 && summary.unread == 1,
        "{summary:?}"
    );
    send(&mut ws, json!({"type": "open", "conversation": shop_c})).await;
    assert_eq!(
        recv_type(&mut ws, "message").await["message"]["text"],
        "in the shop"
    );

    // The history: the shop's conversation only; the demo's does not exist for it.
    let page = json_of(call(&app, &reader, "GET", "/api/admin/conversations", None).await).await;
    let ids: Vec<&Value> = page["conversations"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids, [&shop_c]);
    assert_eq!(page["total"], 1);
    let res = call(
        &app,
        &reader,
        "GET",
        &format!("/api/admin/conversations/{demo}"),
        None,
    )
    .await;
    assert_eq!(res.status(), 404);
    let res = call(
        &app,
        &reader,
        "GET",
        &format!("/api/admin/conversations/{shop_c}"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);

    // Everything it may not do is refused by the server, whatever a console shows.
    for (method, path, body) in [
        ("GET", "/api/admin/export?format=json".to_owned(), None),
        (
            "POST",
            "/api/admin/conversations/erase".to_owned(),
            Some(json!({"selection": {"ids": [shop_c]}, "expect": 1})),
        ),
        (
            "POST",
            "/api/admin/conversations/restrict".to_owned(),
            Some(json!({"selection": {"ids": [shop_c]}, "restricted": true})),
        ),
        (
            "PUT",
            format!("/api/admin/conversations/{shop_c}/details"),
            Some(json!({"name": "x"})),
        ),
        ("GET", "/api/admin/audit".to_owned(), None),
        ("GET", "/api/admin/widgets/shop/settings".to_owned(), None),
        ("GET", "/api/admin/roles".to_owned(), None),
    ] {
        let res = call(&app, &reader, method, &path, body).await;
        assert_eq!(res.status(), 403, "{method} {path}");
        assert_eq!(json_of(res).await["code"], "forbidden");
    }
    // The widgets it may pick from: its own only.
    let widgets = json_of(call(&app, &reader, "GET", "/api/admin/widgets", None).await).await;
    assert_eq!(widgets, json!([{"key": "shop", "name": "Shop"}]));
    // The admin's erasure of both still works: edit access and every widget.
    let done = json_of(
        call(
            &app,
            &admin,
            "POST",
            "/api/admin/conversations/erase",
            Some(json!({"selection": {"ids": [shop_c, demo]}, "expect": 2})),
        )
        .await,
    )
    .await;
    assert_eq!(done["done"], 2);
    app.stop().await;
}

#[tokio::test]
async fn a_scoped_editor_cannot_reach_other_widgets_by_naming_their_ids() {
    let app = spawn_app(Options::default()).await;
    shop(&app).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let res = post_json(
        &format!("{}/api/admin/roles", app.url),
        json!({"name": "shop-editors", "permissions": {"transcripts": "edit", "widgets": ["shop"]}}),
        Some(&admin),
    )
    .await;
    assert_eq!(res.status(), 201);
    let editor = operator_cookie_as(&app, "ed@example.com", "Ed", "shop-editors").await;
    let (mut admin_ws, _) = operator_socket(&app, &admin).await;
    let _v = visitor_on(&app, "demo", "demo secret").await;
    let demo = recv_type(&mut admin_ws, "conversation").await["conversation"]["id"].clone();
    let res = call(
        &app,
        &editor,
        "POST",
        "/api/admin/conversations/erase",
        Some(json!({"selection": {"ids": [demo]}, "expect": 1})),
    )
    .await;
    let done = json_of(res).await;
    assert_eq!(
        (done["done"].clone(), done["missing"].clone()),
        (json!(0), json!([demo]))
    );
    let csv = call(
        &app,
        &editor,
        "GET",
        &format!("/api/admin/export?format=csv&ids={demo}"),
        None,
    )
    .await
    .text()
    .await
    .expect("csv");
    assert!(!csv.contains("demo secret"), "{csv}");
    let res = call(
        &app,
        &editor,
        "PUT",
        &format!("/api/admin/conversations/{demo}/details"),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(res.status(), 404);
    // Untouched.
    let t = json_of(
        call(
            &app,
            &admin,
            "GET",
            &format!("/api/admin/conversations/{demo}"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(t["messages"][0]["text"], "demo secret");
    app.stop().await;
}

#[tokio::test]
async fn roles_are_checked_by_field_built_in_ones_never_change_and_a_change_reaches_sockets() {
    let app = spawn_app(Options::default()).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let agent = operator_cookie(&app, "agent@example.com", "Agent").await;
    let url = format!("{}/api/admin/roles", app.url);
    for (body, starts) in [
        (json!({"name": "Canary Role", "permissions": {}}), "name"),
        (json!({"name": "admin", "permissions": {}}), "name"),
        (
            json!({"name": "x", "permissions": {"widgets": ["canary-none"]}}),
            "permissions.widgets",
        ),
        (
            json!({"name": "x", "permissions": {"transcripts": "canary"}}),
            "the body does not match",
        ),
        (
            json!({"name": "x", "permissions": {"root": true}}),
            "the body does not match",
        ),
    ] {
        let res = post_json(&url, body.clone(), Some(&admin)).await;
        assert_eq!(res.status(), 400, "{body}");
        let message = json_of(res).await["message"]
            .as_str()
            .expect("m")
            .to_owned();
        assert!(message.starts_with(starts), "{body}: {message}");
        assert!(!message.contains("anary"), "{message}");
    }
    let role = json!({"name": "readers", "permissions": {"transcripts": "read"}});
    assert_eq!(
        post_json(&url, role.clone(), Some(&admin)).await.status(),
        201
    );
    assert_eq!(
        post_json(&url, role.clone(), Some(&admin)).await.status(),
        409
    );
    assert_eq!(
        post_json(&url, role.clone(), Some(&agent)).await.status(),
        403
    );
    let list = json_of(call(&app, &admin, "GET", "/api/admin/roles", None).await).await;
    let names: Vec<&str> = list
        .as_array()
        .expect("roles")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["admin", "agent", "readers"]);
    assert_eq!(list[0]["builtin"], true);
    let res = call(
        &app,
        &admin,
        "PUT",
        "/api/admin/roles/admin",
        Some(json!({"name": "admin", "permissions": {}})),
    )
    .await;
    assert_eq!(res.status(), 403, "built in");
    let res = call(
        &app,
        &admin,
        "PUT",
        "/api/admin/roles/readers",
        Some(json!({"name": "other", "permissions": {}})),
    )
    .await;
    assert_eq!(res.status(), 400);

    // A holder's socket closes when their role changes, and reconnects under the new one.
    let reader = operator_cookie_as(&app, "reader@example.com", "Reader", "readers").await;
    let (mut ws, _) = operator_socket(&app, &reader).await;
    assert_eq!(
        call(&app, &reader, "GET", "/api/admin/conversations", None)
            .await
            .status(),
        200
    );
    let res = call(
        &app,
        &admin,
        "PUT",
        "/api/admin/roles/readers",
        Some(json!({"name": "readers", "permissions": {"transcripts": "none"}})),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(close_code(&mut ws).await, Some(4401));
    assert_eq!(
        call(&app, &reader, "GET", "/api/admin/conversations", None)
            .await
            .status(),
        403
    );
    let log = app.store.audit_entries(0, 1000).await.expect("audit");
    let acts: Vec<(&str, &str)> = log
        .iter()
        .filter(|r| r.action.starts_with("role_"))
        .map(|r| (r.action.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        acts,
        [
            ("role_created", "role:readers"),
            ("role_changed", "role:readers")
        ]
    );
    app.stop().await;
}
