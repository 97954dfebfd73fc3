//! Data-subject requests answered by admins (issue 14): a conversation read whole; a
//! selection exported as CSV (byte order mark, one row per message or per conversation,
//! formulas neutralised) or JSON, streamed; erased with a confirmed count (crypto-shredding
//! included, the rest reported, restricted ones kept); rectified (the blind index follows);
//! restricted (kept through the purge, invisible to agents, no replies) and lifted; a person
//! found by email; the audit page and its CSV; too many requests refused. Each is audited
//! with ids and counts only.

use crate::details::set_settings;
use crate::helpers::{db_and_wal_bytes, keys_path, post_json, spawn_app, Options, TestApp};
use crate::history::{get, ids, visitor};
use crate::sockets::*;
use confide_protocol::settings::Requirement;
use confide_server::clock::ManualClock;
use serde_json::{json, Value};
use std::sync::Arc;

const DAY: i64 = 86_400_000;
const START: i64 = 1_800_000_000_000;

async fn app_with_prechat(clock: Option<Arc<ManualClock>>) -> TestApp {
    let app = spawn_app(Options {
        clock: clock.map(|c| c as Arc<dyn confide_server::clock::Clock>),
        ..Options::default()
    })
    .await;
    set_settings(&app, |s| {
        s.prechat_fields.name = Requirement::Optional;
        s.prechat_fields.email = Requirement::Optional;
    })
    .await;
    app
}

async fn call(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .expect("request")
}

async fn post(app: &TestApp, cookie: &str, path: &str, body: Value) -> reqwest::Response {
    post_json(&format!("{}{path}", app.url), body, Some(cookie)).await
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

/// Closes the conversation and waits until the console hears it.
async fn close(op: &mut Ws, id: i64) {
    send(op, json!({"type": "close", "conversation": id})).await;
    loop {
        let f = recv(op).await;
        if f["type"] == "conversation"
            && f["conversation"]["id"] == id
            && f["conversation"]["open"] == false
        {
            return;
        }
    }
}

fn actions(rows: &[confide_server::store::audit::AuditRow]) -> Vec<&str> {
    rows.iter().map(|r| r.action.as_str()).collect()
}

#[tokio::test]
async fn a_selection_exports_as_csv_with_bom_rows_and_neutralised_formulas_and_as_json() {
    let app = app_with_prechat(None).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let (mut op, _) = operator_socket(&app, &admin).await;
    let ada = visitor(
        &app,
        &mut op,
        json!({"name": "Ada Canary", "email": "ada@example.com"}),
        "=HYPERLINK(\"https://evil.example\",\"click\")",
    )
    .await;
    let bob = visitor(&app, &mut op, json!({"name": "Bob"}), "hello, \"world\"").await;
    send(
        &mut op,
        json!({"type": "send", "conversation": ada, "id": msg_id(7), "text": "-1 is fine"}),
    )
    .await;
    recv_type(&mut op, "ack").await;

    // One row per message, each with its conversation's columns.
    let res = call(
        &app,
        &admin,
        &format!("/api/admin/export?format=csv&ids={ada},{bob},99999"),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .starts_with("attachment; filename=\"confide-export-"));
    assert_eq!(
        res.headers()["confide-missing"],
        "1",
        "the id that is not there"
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let bytes = res.bytes().await.expect("body");
    assert_eq!(&bytes[..3], [0xEF, 0xBB, 0xBF], "a UTF-8 byte order mark");
    let text = std::str::from_utf8(&bytes[3..]).expect("utf-8");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = reader
        .headers()
        .expect("head")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(head[0], "conversation");
    assert_eq!(head.last().map(String::as_str), Some("text"));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 3, "two messages of Ada's, one of Bob's");
    let col = |name: &str| head.iter().position(|h| h == name).expect(name);
    // Newest conversation first, messages in order.
    assert_eq!(&rows[0][col("conversation")], bob.to_string());
    assert_eq!(&rows[0][col("text")], "hello, \"world\"");
    assert_eq!(&rows[1][col("name")], "Ada Canary");
    assert_eq!(&rows[1][col("email")], "ada@example.com");
    assert_eq!(&rows[1][col("author")], "visitor");
    assert_eq!(
        &rows[1][col("text")],
        "'=HYPERLINK(\"https://evil.example\",\"click\")",
        "a formula cannot run"
    );
    assert_eq!(&rows[2][col("text")], "'-1 is fine");
    assert_eq!(&rows[2][col("author")], "operator");
    assert_eq!(&rows[2][col("operator")], "Admin");
    assert!(rows[1][col("started_at")].ends_with('Z'));

    // One row per conversation.
    let res = call(
        &app,
        &admin,
        "/api/admin/export?format=csv&rows=conversations&name=canary",
    )
    .await;
    let bytes = res.bytes().await.expect("body");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1, "only Ada's, by her name");
    assert_eq!(&rows[0][0], ada.to_string());
    assert_eq!(&rows[0][6], "2", "her conversation's messages");

    // JSON: one document with every transcript.
    let res = call(&app, &admin, "/api/admin/export?format=json").await;
    assert_eq!(res.headers()["content-type"], "application/json");
    let doc: Value = json_of(res).await;
    let list = doc["conversations"].as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["conversation"]["id"], ada);
    assert_eq!(list[1]["details"]["email"], "ada@example.com");
    assert_eq!(
        list[1]["messages"][0]["text"],
        "=HYPERLINK(\"https://evil.example\",\"click\")"
    );
    assert_eq!(list[1]["messages"].as_array().map(Vec::len), Some(2));

    // Bad requests are named, never quoted; agents get 403.
    for (query, starts) in [
        ("?format=xlsx-canary", "format"),
        ("", "format"),
        ("?format=json&rows=messages", "rows"),
        ("?format=csv&rows=canary", "rows"),
        ("?format=csv&ids=1,canary", "ids"),
        ("?format=csv&ids=1&status=open", "ids"),
        ("?format=csv&widget=canary-none", "widget"),
    ] {
        let res = call(&app, &admin, &format!("/api/admin/export{query}")).await;
        assert_eq!(res.status(), 400, "{query}");
        let body = json_of(res).await;
        let message = body["message"].as_str().expect("message");
        assert!(message.starts_with(starts), "{query}: {message}");
        assert!(!message.contains("canary"), "{query}: {message}");
    }
    let agent = operator_cookie(&app, "agent@example.com", "Agent").await;
    assert_eq!(
        call(&app, &agent, "/api/admin/export?format=json")
            .await
            .status(),
        403
    );

    // Each export is audited: its ids or "filter", and how many; never a name or an email.
    let log = app.store.audit_entries(0, 1000).await.expect("audit");
    let exports: Vec<_> = log.iter().filter(|r| r.action == "exported").collect();
    assert_eq!(exports.len(), 3);
    assert_eq!(exports[0].target, format!("conversation:{ada},{bob},99999"));
    assert_eq!(exports[0].count, Some(2));
    assert_eq!(exports[1].target, "filter");
    assert!(log
        .iter()
        .all(|r| !r.target.contains('@') && !r.target.contains("anary")));
    app.stop().await;
}

#[tokio::test]
async fn an_erasure_takes_the_confirmed_count_shreds_keys_and_reports_the_rest() {
    let app = app_with_prechat(None).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let (mut op, _) = operator_socket(&app, &admin).await;
    let ada1 = visitor(
        &app,
        &mut op,
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
        "canary-first-ada",
    )
    .await;
    let ada2 = visitor(
        &app,
        &mut op,
        json!({"name": "Ada L", "email": "ADA@example.com"}),
        "canary-second-ada",
    )
    .await;
    let bob = visitor(
        &app,
        &mut op,
        json!({"name": "Bob", "email": "bob@example.com"}),
        "canary-bob-stays",
    )
    .await;
    close(&mut op, ada1).await;
    let keys_before = count_keys(&app).await;

    // A count that is no longer right erases nothing.
    let stale = json!({"selection": {"matching": {"email": "ada@example.com"}}, "expect": 1});
    let res = post(&app, &admin, "/api/admin/conversations/erase", stale).await;
    assert_eq!(res.status(), 409);
    assert_eq!(json_of(res).await["code"], "conflict");
    assert_eq!(
        ids(&app, &admin, "?email=ada@example.com").await,
        [ada2, ada1]
    );

    // The confirmed count: both of Ada's go (the open one too, and its console is told).
    let erase = json!({"selection": {"matching": {"email": "ada@example.com"}}, "expect": 2});
    let res = post(&app, &admin, "/api/admin/conversations/erase", erase).await;
    assert_eq!(res.status(), 200);
    let done = json_of(res).await;
    assert_eq!(done["done"], 2);
    assert_eq!(done["messages"], 2);
    loop {
        let f = recv(&mut op).await;
        if f["type"] == "conversation" && f["conversation"]["id"] == ada2 {
            assert_eq!(f["conversation"]["open"], false);
            break;
        }
    }
    assert_eq!(
        ids(&app, &admin, "?email=ada@example.com").await,
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&app, &admin, "").await,
        [bob],
        "Bob's conversation is untouched"
    );
    // Two visitors (two browsers) lost their data keys; Bob's is there.
    assert_eq!(count_keys(&app).await, keys_before - 2);
    let bytes = db_and_wal_bytes(app.dir.path()).await;
    assert!(!crate::details::contains(&bytes, "canary-first-ada"));
    let res = call(&app, &admin, &format!("/api/admin/conversations/{bob}")).await;
    assert_eq!(
        json_of(res).await["messages"][0]["text"],
        "canary-bob-stays"
    );

    // Named ids: what exists goes, the rest is reported.
    let res = post(
        &app,
        &admin,
        "/api/admin/conversations/erase",
        json!({"selection": {"ids": [ada1, bob]}, "expect": 2}),
    )
    .await;
    let done = json_of(res).await;
    assert_eq!(done["done"], 1);
    assert_eq!(done["missing"], json!([ada1]));
    assert_eq!(ids(&app, &admin, "").await, Vec::<i64>::new());

    // Bad selections are named.
    for (body, starts) in [
        (
            json!({"selection": {"ids": []}, "expect": 0}),
            "selection.ids",
        ),
        (
            json!({"selection": {"matching": {"email": "canary"}}, "expect": 0}),
            "selection.matching.email",
        ),
        (
            json!({"selection": {"ids": [1]}}),
            "the body does not match",
        ),
    ] {
        let res = post(&app, &admin, "/api/admin/conversations/erase", body).await;
        assert!(res.status() == 400, "{}", res.status());
        let message = json_of(res).await["message"]
            .as_str()
            .expect("m")
            .to_owned();
        assert!(message.starts_with(starts), "{message}");
        assert!(!message.contains("canary"), "{message}");
    }
    let log = app.store.audit_entries(0, 1000).await.expect("audit");
    let erased: Vec<_> = log.iter().filter(|r| r.action == "erased").collect();
    assert_eq!(erased.len(), 2, "the refused one is not an erasure");
    assert_eq!(
        (erased[0].target.as_str(), erased[0].count),
        ("filter", Some(2))
    );
    assert_eq!(erased[1].target, format!("conversation:{ada1},{bob}"));
    app.stop().await;
}

async fn count_keys(app: &TestApp) -> i64 {
    let path = keys_path(app.dir.path());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        path.display()
    ))
    .await
    .expect("keys");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM data_keys")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    n
}

#[tokio::test]
async fn a_rectified_email_is_found_by_the_new_address_and_not_the_old() {
    let app = app_with_prechat(None).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let (mut op, _) = operator_socket(&app, &admin).await;
    let ada = visitor(
        &app,
        &mut op,
        json!({"name": "Ada Canary", "email": "old@example.com"}),
        "hi",
    )
    .await;
    let put = |body: Value| {
        let url = format!("{}/api/admin/conversations/{ada}/details", app.url);
        let cookie = admin.clone();
        async move {
            reqwest::Client::new()
                .put(url)
                .header("cookie", cookie)
                .json(&body)
                .send()
                .await
                .expect("put")
        }
    };
    let res = put(json!({"name": "Ada Byron", "email": " new@example.com "})).await;
    assert_eq!(res.status(), 200);
    let details = json_of(res).await;
    assert_eq!(details["email"], "new@example.com");
    assert_eq!(details["name"], "Ada Byron");
    assert_eq!(ids(&app, &admin, "?email=new@example.com").await, [ada]);
    assert_eq!(
        ids(&app, &admin, "?email=old@example.com").await,
        Vec::<i64>::new()
    );
    assert_eq!(ids(&app, &admin, "?name=byron").await, [ada]);
    assert_eq!(ids(&app, &admin, "?name=canary").await, Vec::<i64>::new());

    for (body, starts) in [
        (json!({"email": "canary-not-an-email"}), "email"),
        (json!({"name": "two\nlines canary"}), "name"),
        (json!({"custom": {"canary": "x"}}), "custom.canary"),
        (json!({"nickname": "canary"}), "the body does not match"),
    ] {
        let res = put(body).await;
        assert_eq!(res.status(), 400);
        let message = json_of(res).await["message"]
            .as_str()
            .expect("m")
            .to_owned();
        assert!(message.starts_with(starts), "{message}");
        assert!(
            !message.contains("canary") || starts == "custom.canary",
            "{message}"
        );
    }
    // What was refused changed nothing.
    assert_eq!(ids(&app, &admin, "?email=new@example.com").await, [ada]);
    let log = app.store.audit_entries(0, 1000).await.expect("audit");
    assert_eq!(log.iter().filter(|r| r.action == "rectified").count(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_restricted_conversation_outlives_the_purge_is_hidden_from_agents_and_takes_no_reply() {
    let clock = Arc::new(ManualClock::new(START));
    let app = app_with_prechat(Some(Arc::clone(&clock))).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let agent = operator_cookie(&app, "agent@example.com", "Agent").await;
    let (mut op, _) = operator_socket(&app, &admin).await;
    let kept = visitor(
        &app,
        &mut op,
        json!({"email": "keep@example.com"}),
        "keep me",
    )
    .await;
    let other = visitor(&app, &mut op, json!({}), "purge me").await;

    let res = post(
        &app,
        &admin,
        "/api/admin/conversations/restrict",
        json!({"selection": {"ids": [kept, 424242]}, "restricted": true}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let done = json_of(res).await;
    assert_eq!(done["done"], 1);
    assert_eq!(done["missing"], json!([424242]));
    // Restricting closed it: no reply goes in.
    send(
        &mut op,
        json!({"type": "send", "conversation": kept, "id": msg_id(3), "text": "reply"}),
    )
    .await;
    assert_eq!(
        recv_type(&mut op, "error").await["error"]["code"],
        "invalid"
    );
    // An agent cannot open it.
    let (mut ag, _) = operator_socket(&app, &agent).await;
    send(&mut ag, json!({"type": "open", "conversation": kept})).await;
    assert_eq!(
        recv_type(&mut ag, "error").await["error"]["code"],
        "not_found"
    );
    // An erasure leaves it alone and says so.
    let res = post(
        &app,
        &admin,
        "/api/admin/conversations/erase",
        json!({"selection": {"ids": [kept]}, "expect": 1}),
    )
    .await;
    let done = json_of(res).await;
    assert_eq!(
        (done["done"].clone(), done["restricted"].clone()),
        (json!(0), json!([kept]))
    );

    // A year later the purge takes the other one, not the restricted one.
    clock.advance_ms(400 * DAY);
    confide_server::jobs::purge_once(&app.store, &app.state.config)
        .await
        .expect("purge");
    // The session ended long ago: sign in again.
    let admin = operator_cookie_as(&app, "later@example.com", "Later", "admin").await;
    assert_eq!(ids(&app, &admin, "").await, [kept]);
    let page = json_of(get(&app, Some(&admin), "").await).await;
    assert_eq!(page["conversations"][0]["restricted"], true);
    assert_eq!(
        page["conversations"][0]["messages"], 1,
        "its messages are kept too"
    );
    assert_eq!(
        page["conversations"][0]["email"], "keep@example.com",
        "and its details"
    );
    let _ = other;

    // Lifting it is recorded; then the purge may take it.
    let res = post(
        &app,
        &admin,
        "/api/admin/conversations/restrict",
        json!({"selection": {"matching": {"email": "keep@example.com"}}, "restricted": false}),
    )
    .await;
    assert_eq!(json_of(res).await["done"], 1);
    confide_server::jobs::purge_once(&app.store, &app.state.config)
        .await
        .expect("purge");
    assert_eq!(ids(&app, &admin, "").await, Vec::<i64>::new());
    let log = app.store.audit_entries(0, 1000).await.expect("audit");
    let acts = actions(&log);
    assert!(
        acts.contains(&"restricted") && acts.contains(&"restriction_lifted"),
        "{acts:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_person_is_found_by_email_with_counts_dates_and_receipts() {
    let app = app_with_prechat(None).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let (mut op, _) = operator_socket(&app, &admin).await;
    let a = visitor(
        &app,
        &mut op,
        json!({"name": "Ann Lee", "email": "ann@example.com"}),
        "one",
    )
    .await;
    let b = visitor(
        &app,
        &mut op,
        json!({"name": "Ann Other", "email": "ann@example.com"}),
        "two",
    )
    .await;
    visitor(&app, &mut op, json!({"email": "zed@example.com"}), "three").await;
    let found = json_of(call(&app, &admin, "/api/admin/person?email=ANN@example.com").await).await;
    assert_eq!(found["total"], 2);
    assert_eq!(found["messages"], 2);
    assert_eq!(found["left"], 0);
    let rows: Vec<i64> = found["conversations"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(rows, [b, a]);
    assert!(found["first_at"].as_i64() <= found["last_at"].as_i64());
    // With a name as well: both must match.
    let found = json_of(
        call(
            &app,
            &admin,
            "/api/admin/person?email=ann@example.com&name=lee",
        )
        .await,
    )
    .await;
    assert_eq!(found["total"], 1);
    for query in [
        "",
        "?name=ann",
        "?email=ann@example.com&status=open",
        "?email=canary",
    ] {
        let res = call(&app, &admin, &format!("/api/admin/person{query}")).await;
        assert_eq!(res.status(), 400, "{query}");
        let message = json_of(res).await["message"]
            .as_str()
            .expect("m")
            .to_owned();
        assert!(message.starts_with("email"), "{query}: {message}");
    }
    let log = app.store.audit_entries(0, 1000).await.expect("audit");
    let searched: Vec<_> = log
        .iter()
        .filter(|r| r.action == "person_searched")
        .collect();
    assert_eq!(searched.len(), 2);
    assert_eq!(searched[0].count, Some(2));
    assert!(searched.iter().all(|r| r.target.is_empty()));
    app.stop().await;
}

#[tokio::test]
async fn the_audit_page_filters_exports_and_shows_a_broken_chain() {
    let app = app_with_prechat(None).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let (mut op, _) = operator_socket(&app, &admin).await;
    let c = visitor(&app, &mut op, json!({}), "hi").await;
    call(&app, &admin, &format!("/api/admin/conversations/{c}")).await;
    let page = json_of(call(&app, &admin, "/api/admin/audit?action=transcript_opened").await).await;
    let entries = page["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["target"], format!("conversation:{c}"));
    assert_eq!(page["intact"], true);
    let all = json_of(call(&app, &admin, "/api/admin/audit").await).await;
    let newest = all["entries"][0]["id"].as_i64().expect("id");
    assert_eq!(
        all["entries"][0]["action"], "audit_read",
        "reading the log is recorded"
    );
    let older =
        json_of(call(&app, &admin, &format!("/api/admin/audit?before={newest}")).await).await;
    assert!(older["entries"]
        .as_array()
        .expect("e")
        .iter()
        .all(|e| e["id"].as_i64() < Some(newest)));

    let res = call(&app, &admin, "/api/admin/audit/export?action=sign_in").await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.expect("csv");
    assert_eq!(&bytes[..3], [0xEF, 0xBB, 0xBF]);
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1, "one sign-in");
    assert_eq!(&rows[0][3], "sign_in");

    for query in [
        "?action=canary",
        "?operator=x",
        "?from=9&to=1",
        "?canary=1",
        "?before=0",
    ] {
        let res = call(&app, &admin, &format!("/api/admin/audit{query}")).await;
        assert_eq!(res.status(), 400, "{query}");
        assert!(!json_of(res).await["message"]
            .as_str()
            .expect("m")
            .contains("canary"));
    }

    // An entry edited in the database: the page says where the chain breaks.
    let mut conn = crate::helpers::Raw::open(app.dir.path()).await;
    let first = conn.fetch_i64("SELECT MIN(id) FROM audit_log", &[]).await;
    conn.execute(
        "UPDATE audit_log SET count = 99 WHERE id = $1",
        &[first.into()],
    )
    .await;
    conn.close().await;
    let page = json_of(call(&app, &admin, "/api/admin/audit").await).await;
    assert_eq!(page["intact"], false);
    assert_eq!(page["broken_at"], first);
    app.stop().await;
}

#[tokio::test]
async fn too_many_data_requests_are_refused_with_retry_after() {
    let app = spawn_app(Options {
        config: Some(confide_server::Config {
            data_requests_per_operator_per_minute: 3,
            ..crate::helpers::test_config()
        }),
        ..Options::default()
    })
    .await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let other = operator_cookie_as(&app, "other@example.com", "Other", "admin").await;
    for _ in 0..3 {
        assert_eq!(get(&app, Some(&admin), "").await.status(), 200);
    }
    let res = call(&app, &admin, "/api/admin/audit").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(json_of(res).await["code"], "rate_limited");
    // The accounts side (operators, roles, sessions, the allowlist) draws on the same
    // budget: each is held back too.
    for path in [
        "/api/admin/operators",
        "/api/admin/roles",
        "/api/admin/sessions",
        "/api/admin/access",
    ] {
        let res = call(&app, &admin, path).await;
        assert_eq!(res.status(), 429, "{path}");
    }
    // So does changing one's own second factor; nothing is started.
    assert_eq!(
        call(&app, &admin, "/api/operator/passkeys").await.status(),
        429
    );
    for path in ["/api/operator/totp", "/api/operator/passkeys/register"] {
        assert_eq!(
            post(&app, &admin, path, json!({})).await.status(),
            429,
            "{path}"
        );
    }
    let me: Value = call(&app, &admin, "/api/operator/me")
        .await
        .json()
        .await
        .expect("me");
    let op = app
        .store
        .operator_by_id(me["id"].as_i64().expect("id"))
        .await
        .expect("operator");
    assert!(
        matches!(
            app.store.totp(op.id).await,
            Err(confide_server::store::StoreError::NotFound)
        ),
        "no enrolment began"
    );
    // Per operator: another admin is not held back.
    assert_eq!(get(&app, Some(&other), "").await.status(), 200);
    assert_eq!(
        call(&app, &other, "/api/admin/operators").await.status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn a_page_past_the_end_and_a_missing_transcript_are_errors() {
    let app = app_with_prechat(None).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let (mut op, _) = operator_socket(&app, &admin).await;
    let c = visitor(&app, &mut op, json!({}), "hi").await;
    let res = get(&app, Some(&admin), &format!("?before={c}")).await;
    assert_eq!(res.status(), 400);
    assert!(json_of(res).await["message"]
        .as_str()
        .expect("m")
        .starts_with("before"));
    assert_eq!(
        call(&app, &admin, "/api/admin/conversations/777777")
            .await
            .status(),
        404
    );
    assert_eq!(
        call(&app, &admin, "/api/admin/conversations/canary")
            .await
            .status(),
        400
    );
    let res = call(&app, &admin, &format!("/api/admin/conversations/{c}")).await;
    let t = json_of(res).await;
    assert_eq!(t["conversation"]["id"], c);
    assert_eq!(t["messages"][0]["text"], "hi");
    app.stop().await;
}
