//! The operators' history (`GET /api/admin/conversations`): every conversation newest first,
//! filtered by status, widget, dates and id, searched by exact email and by a word of the
//! name through the blind indexes; bad parameters named and never quoted; admins only; each
//! page written to the audit log without what was searched.

use crate::details::set_settings;
use crate::helpers::{spawn_app, Options, TestApp};
use crate::sockets::*;
use confide_protocol::settings::Requirement;
use serde_json::{json, Value};

pub(crate) async fn get(app: &TestApp, cookie: Option<&str>, query: &str) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}/api/admin/conversations{query}", app.url));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("request")
}

pub(crate) async fn ids(app: &TestApp, cookie: &str, query: &str) -> Vec<i64> {
    let res = get(app, Some(cookie), query).await;
    assert_eq!(res.status(), 200, "{query}");
    let page: Value = res.json().await.expect("json");
    page["conversations"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect()
}

/// A visitor who gives these pre-chat values and sends one message; returns the
/// conversation's id.
pub(crate) async fn visitor(app: &TestApp, op: &mut Ws, fields: Value, text: &str) -> i64 {
    let mut v = connect(app, "/ws/visitor", None).await;
    send(
        &mut v,
        json!({"type": "hello", "widget": "demo", "fields": fields}),
    )
    .await;
    assert_eq!(recv(&mut v).await["type"], "welcome");
    send(
        &mut v,
        json!({"type": "send", "id": msg_id(1), "text": text}),
    )
    .await;
    recv_type(&mut v, "ack").await;
    recv_type(op, "conversation").await["conversation"]["id"]
        .as_i64()
        .expect("id")
}

#[tokio::test]
async fn admins_find_conversations_by_email_name_status_and_id_without_opening_the_table() {
    let app = spawn_app(Options::default()).await;
    set_settings(&app, |s| {
        s.prechat_fields.name = Requirement::Optional;
        s.prechat_fields.email = Requirement::Optional;
    })
    .await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let (mut op, _) = operator_socket(&app, &admin).await;
    let zoe = visitor(
        &app,
        &mut op,
        json!({"name": "Zoë Canary-Smith", "email": "Zoe.Canary@Example.com"}),
        "first visitor",
    )
    .await;
    let bob = visitor(
        &app,
        &mut op,
        json!({"name": "Bob Other"}),
        "second visitor",
    )
    .await;
    let anon = visitor(&app, &mut op, json!({}), "third visitor").await;
    send(&mut op, json!({"type": "close", "conversation": zoe})).await;
    // The inbox tells every operator once the close is stored.
    loop {
        let f = recv(&mut op).await;
        if f["type"] == "conversation"
            && f["conversation"]["id"] == zoe
            && f["conversation"]["open"] == false
        {
            break;
        }
    }

    // Everything, newest first, with what each visitor typed.
    let res = get(&app, Some(&admin), "").await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.expect("json");
    let rows = page["conversations"].as_array().expect("list");
    assert_eq!(rows.len(), 3);
    assert_eq!(page["more"], false);
    assert_eq!(rows[0]["id"], anon);
    assert_eq!(rows[2]["id"], zoe);
    assert_eq!(rows[2]["name"], "Zoë Canary-Smith");
    assert_eq!(rows[2]["email"], "Zoe.Canary@Example.com");
    assert_eq!(rows[2]["status"], "closed");
    assert_eq!(rows[2]["widget"], "demo");
    assert_eq!(rows[2]["messages"], 1);
    assert_eq!(rows[1]["status"], "open");
    assert!(rows[0].get("name").is_none() && rows[0].get("email").is_none());

    // By exact email (case and spaces aside), by any word of the name (accents aside).
    assert_eq!(
        ids(&app, &admin, "?email=%20zoe.canary@example.COM").await,
        [zoe]
    );
    assert_eq!(
        ids(&app, &admin, "?email=zoe@example.com").await,
        Vec::<i64>::new()
    );
    assert_eq!(ids(&app, &admin, "?name=zoe").await, [zoe]);
    assert_eq!(ids(&app, &admin, "?name=SMITH").await, [zoe]);
    assert_eq!(ids(&app, &admin, "?name=smith%20bob").await, [bob, zoe]);
    assert_eq!(ids(&app, &admin, "?name=canary%20nobody").await, [zoe]);
    assert_eq!(ids(&app, &admin, "?name=nobody").await, Vec::<i64>::new());
    // By status, id, widget, date and page.
    assert_eq!(ids(&app, &admin, "?status=closed").await, [zoe]);
    assert_eq!(ids(&app, &admin, "?status=open").await, [anon, bob]);
    assert_eq!(ids(&app, &admin, "?status=left").await, Vec::<i64>::new());
    assert_eq!(
        ids(&app, &admin, &format!("?conversation={bob}")).await,
        [bob]
    );
    assert_eq!(
        ids(&app, &admin, &format!("?before={anon}")).await,
        [bob, zoe]
    );
    assert_eq!(
        ids(&app, &admin, "?widget=demo&status=open&name=bob").await,
        [bob]
    );
    assert_eq!(ids(&app, &admin, "?to=0").await, Vec::<i64>::new());
    assert_eq!(
        ids(&app, &admin, "?from=0&to=99999999999999").await.len(),
        3
    );

    // The search reads only blind indexes: no plain email or name word in the files.
    let bytes = crate::helpers::db_and_wal_bytes(app.dir.path()).await;
    for canary in ["Canary", "canary", "zoe.canary@example.com"] {
        assert!(
            !crate::details::contains(&bytes, canary),
            "{canary} stored in plain text"
        );
    }

    // Every page served is audited, with its count and never what was searched.
    let rows = app.store.audit_entries(0, 1000).await.expect("audit");
    let searches: Vec<_> = rows
        .iter()
        .filter(|r| r.action == "history_searched")
        .collect();
    assert_eq!(searches.len(), 16, "one a page served");
    assert_eq!(searches[0].count, Some(3));
    assert!(rows
        .iter()
        .all(|r| !r.target.contains('@') && !r.target.to_lowercase().contains("zoe")));
    app.stop().await;
}

#[tokio::test]
async fn bad_parameters_are_named_never_quoted_and_agents_get_403() {
    let app = spawn_app(Options::default()).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let agent = operator_cookie(&app, "agent@example.com", "Agent").await;
    let long = "a".repeat(300);
    for (query, names) in [
        ("?from=5&to=1", "from"),
        ("?widget=canary-nowidget", "widget"),
        ("?widget=Not%20A%20Key", "widget"),
        ("?status=canary-status", "status"),
        ("?from=yesterday", "from"),
        ("?conversation=-1", "conversation"),
        ("?before=canary-x", "before"),
        ("?name=---", "name"),
        ("?email=canary-no-at", "email"),
        ("?status=open&status=closed", "status"),
        ("?canary-param=1", "a parameter"),
    ] {
        let res = get(&app, Some(&admin), query).await;
        assert_eq!(res.status(), 400, "{query}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["code"], "invalid", "{query}");
        let message = body["message"].as_str().expect("message");
        assert!(message.starts_with(names), "{query}: {message}");
        assert!(!message.contains("canary"), "{query} quoted: {message}");
    }
    let res = get(&app, Some(&admin), &format!("?email={long}@example.com")).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.expect("json");
    assert!(!body["message"].as_str().expect("m").contains(&long));

    assert_eq!(get(&app, Some(&agent), "").await.status(), 403);
    assert_eq!(get(&app, None, "").await.status(), 401);
    // Refusals are not searches: nothing was served, nothing audited.
    let rows = app.store.audit_entries(0, 1000).await.expect("audit");
    assert!(rows.iter().all(|r| r.action != "history_searched"));
    app.stop().await;
}
