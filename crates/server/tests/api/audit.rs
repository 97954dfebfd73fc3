//! The audit log: sign-ins, sign-outs, admins' changes and the command line's operator
//! changes are written with ids only, hash-chained; `confide audit verify` names the first
//! entry that was edited or removed; retention removes entries from the old end and what
//! remains still verifies.

use crate::helpers::{post_json, spawn_app, Options, Raw, TestApp};
use crate::process::confide_with_db;
use crate::sockets::*;
use confide_server::clock::ManualClock;
use confide_server::store::audit::{AuditCheck, AuditRow};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

async fn entries(app: &TestApp) -> Vec<AuditRow> {
    app.store.audit_entries(0, 1000).await.expect("entries")
}

fn actions(rows: &[AuditRow]) -> Vec<&str> {
    rows.iter().map(|r| r.action.as_str()).collect()
}

async fn change_settings(app: &TestApp, cookie: &str) {
    let config: Value = app
        .get("/api/widget/demo/config")
        .await
        .json()
        .await
        .expect("json");
    let mut s = config["settings"].clone();
    s["typing_indicator"] = json!(false);
    let res = reqwest::Client::new()
        .put(format!("{}/api/admin/widgets/demo/settings", app.url))
        .header("cookie", cookie)
        .json(&s)
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), 200);
}

async fn sign_out(app: &TestApp, cookie: &str) {
    let res = post_json(
        &format!("{}/api/operator/logout", app.url),
        json!({}),
        Some(cookie),
    )
    .await;
    assert_eq!(res.status(), 204);
}

/// Runs `confide audit verify` on the database of the app in `dir`: (success, what it printed).
fn verify_cli(dir: &Path) -> (bool, String) {
    let out = confide_with_db(dir)
        .args(["audit", "verify"])
        .output()
        .expect("confide audit verify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn sql(app: &TestApp, statement: &str) {
    let mut conn = Raw::open(app.dir.path()).await;
    conn.execute(statement, &[]).await;
    conn.close().await;
}

#[tokio::test]
async fn sign_ins_sign_outs_and_admin_changes_are_logged_with_ids_only_and_the_chain_verifies() {
    let app = spawn_app(Options::default()).await;
    let cookie =
        operator_cookie_as(&app, "canary.admin@example.com", "Canary Admin", "admin").await;
    change_settings(&app, &cookie).await;
    // Opening a visitor's conversation is recorded once per socket, not on a repeat.
    let (mut op, _) = operator_socket(&app, &cookie).await;
    let mut v = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut v, None, None).await;
    send(
        &mut v,
        json!({"type": "send", "id": msg_id(1), "text": "canary-message-text"}),
    )
    .await;
    recv_type(&mut v, "ack").await;
    let conv = recv_type(&mut op, "conversation").await["conversation"]["id"].clone();
    for _ in 0..2 {
        send(&mut op, json!({"type": "open", "conversation": conv})).await;
        recv_type(&mut op, "message").await;
    }
    sign_out(&app, &cookie).await;

    let rows = entries(&app).await;
    assert_eq!(
        actions(&rows),
        [
            "sign_in",
            "settings_changed",
            "transcript_opened",
            "sign_out"
        ]
    );
    assert_eq!(rows[2].target, format!("conversation:{conv}"));
    let admin = rows[0].operator_id.expect("who signed in");
    assert!(rows.iter().all(|r| r.operator_id == Some(admin)));
    assert_eq!(rows[0].target, format!("operator:{admin}"));
    assert_eq!(rows[1].target, "widget:demo");
    for r in &rows {
        let all = format!("{} {}", r.action, r.target);
        assert!(
            !all.contains('@') && !all.contains("Canary") && !all.contains("canary"),
            "{all}"
        );
    }
    // Chained: each holds the hash of the one before.
    for pair in rows.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    match app.store.verify_audit().await.expect("verify") {
        AuditCheck::Intact { entries, newest } => {
            assert_eq!(entries, 4);
            assert_eq!(newest.map(|(id, _)| id), Some(rows[3].id));
        }
        broken => panic!("{broken:?}"),
    }
    app.stop().await;
}

#[tokio::test]
async fn confide_audit_verify_names_an_edited_and_a_removed_entry() {
    let app = spawn_app(Options::default()).await;
    let db = app.dir.path();
    // The command line writes entries too: adding an operator is one.
    let add = confide_with_db(db)
        .args([
            "operator",
            "add",
            "--email",
            "grace@example.com",
            "--name",
            "Grace",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"a long enough password\n")?;
            child.wait_with_output()
        })
        .expect("confide operator add");
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let cookie = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    change_settings(&app, &cookie).await;
    sign_out(&app, &cookie).await;
    let rows = entries(&app).await;
    assert_eq!(
        actions(&rows),
        ["operator_added", "sign_in", "settings_changed", "sign_out"]
    );
    assert_eq!(rows[0].operator_id, None, "the command line");

    let (ok, out) = verify_cli(db);
    assert!(ok, "{out}");
    assert!(out.contains("intact: 4 entries"), "{out}");
    assert!(
        out.contains(&format!("the newest, {}", rows[3].id)),
        "{out}"
    );

    // Someone rewrites what entry 3 says.
    let third = rows[2].id;
    sql(
        &app,
        &format!("UPDATE audit_log SET target = 'widget:other' WHERE id = {third}"),
    )
    .await;
    let (ok, out) = verify_cli(db);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("broken at entry {third}: it was changed")),
        "{out}"
    );

    // Put back, then someone removes entry 2: entry 3 no longer follows the one before it.
    sql(
        &app,
        &format!("UPDATE audit_log SET target = 'widget:demo' WHERE id = {third}"),
    )
    .await;
    assert!(verify_cli(db).0, "restored");
    sql(
        &app,
        &format!("DELETE FROM audit_log WHERE id = {}", rows[1].id),
    )
    .await;
    let (ok, out) = verify_cli(db);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("broken at entry {third}: it does not follow")),
        "{out}"
    );
    app.stop().await;
}

#[tokio::test]
async fn retention_removes_entries_from_the_old_end_and_what_remains_still_verifies() {
    const DAY: i64 = 86_400_000;
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let app = spawn_app(Options {
        clock: Some(Arc::clone(&clock) as Arc<dyn confide_server::clock::Clock>),
        ..Options::default()
    })
    .await;
    let cookie = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    change_settings(&app, &cookie).await;
    // Two years (24 months of 30 days) and a day later, the admin signs in and changes
    // something again.
    clock.advance_ms(24 * 30 * DAY + DAY);
    let res = post_json(
        &format!("{}/api/operator/login", app.url),
        json!({"email": "admin@example.com", "password": "operator password 1"}),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    change_settings(&app, &cookie).await;
    let before = entries(&app).await;
    assert_eq!(
        actions(&before),
        ["sign_in", "settings_changed", "sign_in", "settings_changed"]
    );

    let counts = confide_server::jobs::purge_once(&app.store, &app.state.config)
        .await
        .expect("purge");
    assert_eq!(counts.audit, 2, "the two old ones");
    let after = entries(&app).await;
    assert_eq!(
        after,
        before[2..].to_vec(),
        "the newer ones stay as they were"
    );
    match app.store.verify_audit().await.expect("verify") {
        AuditCheck::Intact { entries, .. } => assert_eq!(entries, 2),
        broken => panic!("{broken:?}"),
    }
    // New entries go on from the newest, and ids are not given again.
    change_settings(&app, &cookie).await;
    let now = entries(&app).await;
    assert_eq!(now.len(), 3);
    assert!(now[2].id > before[3].id);
    assert!(matches!(
        app.store.verify_audit().await.expect("verify"),
        AuditCheck::Intact { entries: 3, .. }
    ));
    // Removing the oldest remaining entry without the purge is seen: it no longer follows
    // the anchor the purge left.
    sql(
        &app,
        &format!("DELETE FROM audit_log WHERE id = {}", now[0].id),
    )
    .await;
    assert_eq!(
        app.store.verify_audit().await.expect("verify"),
        AuditCheck::Broken {
            entry: now[1].id,
            why: "does not follow the entry before it: an entry was removed, put in or changed before it",
        }
    );
    app.stop().await;
}
