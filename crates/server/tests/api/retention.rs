//! Retention: with a manual clock, each kind of data ends on its own period: transcripts
//! (messages, pre-chat values) after `transcript_months` from the last message, the visitor's
//! details after `details_days`, consent receipts `receipt_months` after no conversation
//! refers to them, visitors and their data keys once their token has expired and nothing is
//! left, console sessions when they end. What ended is gone from the database file and its
//! WAL (the sealed bytes themselves are searched for), and nothing younger is touched.

use crate::details::set_settings;
use crate::helpers::{
    db_and_wal_bytes, demo_consent, keys_path, on_postgres, spawn_app, Options, Raw, TestApp,
};
use crate::sealing::chat;
use crate::sockets::*;
use confide_protocol::settings::Retention;
use confide_server::clock::ManualClock;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

const DAY: i64 = 86_400_000;
/// 2027-01-15, an arbitrary start.
const START: i64 = 1_800_000_000_000;

async fn app_at(clock: &Arc<ManualClock>, consent_required: bool) -> TestApp {
    spawn_app(Options {
        clock: Some(Arc::clone(clock) as Arc<dyn confide_server::clock::Clock>),
        consent_required,
        ..Options::default()
    })
    .await
}

async fn purge(app: &TestApp) -> confide_server::store::PurgeCounts {
    confide_server::jobs::purge_once(&app.store, &app.state.config)
        .await
        .expect("purge")
}

/// The key store (an SQLite file on either backend).
async fn sql(path: &Path) -> sqlx::SqliteConnection {
    <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect")
}

/// One value of a query on the database, as bytes (a sealed column).
async fn blob(app: &TestApp, query: &str, id: i64) -> Option<Vec<u8>> {
    let mut conn = Raw::open(app.dir.path()).await;
    let value = conn.fetch_bytes(query, &[id.into()]).await;
    conn.close().await;
    value
}

/// A count on the app's database.
async fn count(app: &TestApp, query: &str) -> i64 {
    let mut conn = Raw::open(app.dir.path()).await;
    let n = conn.fetch_i64(query, &[]).await;
    conn.close().await;
    n
}

/// A count on the key store.
async fn count_keys(path: &Path, query: &str) -> i64 {
    let mut conn = sql(path).await;
    let (n,): (i64,) = sqlx::query_as(query)
        .fetch_one(&mut conn)
        .await
        .expect("count");
    sqlx::Connection::close(conn).await.expect("close");
    n
}

fn has(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn retention(app: &TestApp, r: Retention) {
    set_settings(app, |s| s.retention = r).await;
}

#[tokio::test]
async fn details_end_after_their_days_and_transcripts_after_their_months_bytes_included() {
    let clock = Arc::new(ManualClock::new(START));
    let app = app_at(&clock, false).await;
    let (_, conversation) = chat(&app, "canary-retained-text").await;
    retention(
        &app,
        Retention {
            transcript_months: 1,
            details_days: 7,
            receipt_months: 36,
        },
    )
    .await;
    let message = blob(
        &app,
        "SELECT sealed FROM messages WHERE conversation_id = $1",
        conversation.0,
    )
    .await
    .expect("a sealed message");
    let context = blob(
        &app,
        "SELECT context FROM conversations WHERE id = $1",
        conversation.0,
    )
    .await
    .expect("sealed details");
    let prechat = blob(
        &app,
        "SELECT prechat FROM conversations WHERE id = $1",
        conversation.0,
    )
    .await
    .expect("sealed pre-chat values");
    let bytes = db_and_wal_bytes(app.dir.path()).await;
    assert!(has(&bytes, &message) && has(&bytes, &context) && has(&bytes, &prechat));

    // A day before the details period ends, nothing changes.
    clock.advance_ms(6 * DAY);
    assert_eq!(purge(&app).await.total(), 0);
    let details = app
        .store
        .conversation_details(conversation)
        .await
        .expect("details")
        .expect("some");
    assert!(details.page.is_some(), "{details:?}");

    // After it: page, referrer, browser and OS family are gone; the name and the messages stay.
    clock.advance_ms(DAY + 1);
    let counts = purge(&app).await;
    assert_eq!(
        (counts.details, counts.conversations, counts.messages),
        (1, 0, 0)
    );
    let details = app
        .store
        .conversation_details(conversation)
        .await
        .expect("details")
        .expect("the name stays");
    assert!(
        details.page.is_none() && details.referrer.is_none(),
        "{details:?}"
    );
    assert!(
        details.browser.is_none() && details.os.is_none(),
        "{details:?}"
    );
    assert!(
        details.name.is_some() && details.email.is_some(),
        "{details:?}"
    );
    let bytes = db_and_wal_bytes(app.dir.path()).await;
    // PostgreSQL keeps an updated row's old bytes in its page's free space (VACUUM does not
    // zero it) and in its WAL: only SQLite's secure_delete lets this hold.
    if !on_postgres() {
        assert!(
            !has(&bytes, &context),
            "the sealed details are gone from the file and WAL"
        );
    }
    assert!(
        has(&bytes, &message) && has(&bytes, &prechat),
        "the transcript stays"
    );
    assert_eq!(
        app.store
            .messages_after(conversation, 0)
            .await
            .expect("messages")
            .len(),
        1
    );

    // A second conversation, younger, outlives the first.
    clock.advance_ms(20 * DAY);
    let (_, younger) = chat(&app, "younger-text").await;

    // 30 days after the last message the transcript ends: messages, pre-chat values and the
    // blind indexes, in the file and in the WAL.
    clock.advance_ms(3 * DAY);
    let counts = purge(&app).await;
    assert_eq!(
        (counts.conversations, counts.messages),
        (1, 1),
        "{counts:?}"
    );
    let bytes = db_and_wal_bytes(app.dir.path()).await;
    // As above: PostgreSQL keeps a deleted row's bytes in free space and in its WAL.
    if !on_postgres() {
        assert!(
            !has(&bytes, &message),
            "the sealed message is gone from the file and WAL"
        );
        assert!(
            !has(&bytes, &prechat),
            "the sealed pre-chat values are gone"
        );
    }
    assert_eq!(
        app.store
            .conversation_details(conversation)
            .await
            .expect("query"),
        None,
        "the conversation is gone"
    );
    assert_eq!(
        app.store
            .messages_after(conversation, 0)
            .await
            .expect("messages")
            .len(),
        0
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM blind_index WHERE conversation_id = {}",
                conversation.0
            )
        )
        .await,
        0
    );
    assert_eq!(
        app.store
            .messages_after(younger, 0)
            .await
            .expect("younger")
            .len(),
        1,
        "the younger conversation stays"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_receipt_outlives_its_conversations_by_the_proof_period_withdrawn_ones_too() {
    let clock = Arc::new(ManualClock::new(START));
    let app = app_at(&clock, true).await;
    let mut v = connect(&app, "/ws/visitor", None).await;
    send(
        &mut v,
        json!({"type": "hello", "widget": "demo", "consent": demo_consent()}),
    )
    .await;
    recv_type(&mut v, "welcome").await;
    send(
        &mut v,
        json!({"type": "send", "id": msg_id(1), "text": "hello"}),
    )
    .await;
    recv_type(&mut v, "ack").await;
    drop(v);
    // A second visitor withdraws at once: their conversation goes, their receipt stays.
    let mut w = connect(&app, "/ws/visitor", None).await;
    send(
        &mut w,
        json!({"type": "hello", "widget": "demo", "consent": demo_consent()}),
    )
    .await;
    recv_type(&mut w, "welcome").await;
    send(
        &mut w,
        json!({"type": "send", "id": msg_id(1), "text": "bye"}),
    )
    .await;
    recv_type(&mut w, "ack").await;
    send(&mut w, json!({"type": "withdraw"})).await;
    recv_type(&mut w, "withdrawn").await;
    drop(w);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM consent_receipts").await,
        2
    );

    // While the first conversation lasts (6 months by default), its receipt stays, and the
    // withdrawn one is within its proof period.
    clock.advance_ms(170 * DAY);
    assert_eq!(purge(&app).await.receipts, 0);
    // The conversation ends; its receipt's proof period (36 months) starts now.
    clock.advance_ms(11 * DAY);
    let counts = purge(&app).await;
    assert_eq!(
        (counts.conversations, counts.receipts),
        (1, 0),
        "{counts:?}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM consent_receipts").await,
        2
    );
    // The withdrawn receipt ends 36 months after its withdrawal...
    clock.advance_ms(36 * 30 * DAY - 181 * DAY + DAY);
    assert_eq!(purge(&app).await.receipts, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM consent_receipts").await,
        1
    );
    // ...the other one 36 months after its conversation ended, not before.
    clock.advance_ms(170 * DAY);
    assert_eq!(purge(&app).await.receipts, 0);
    clock.advance_ms(11 * DAY);
    assert_eq!(purge(&app).await.receipts, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM consent_receipts").await,
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn visitors_with_nothing_left_lose_their_row_and_data_key_and_sessions_end() {
    let clock = Arc::new(ManualClock::new(START));
    let app = app_at(&clock, false).await;
    retention(
        &app,
        Retention {
            transcript_months: 2,
            details_days: 30,
            receipt_months: 36,
        },
    )
    .await;
    let _cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (_, conversation) = chat(&app, "canary-shredded-text").await;
    let keys = keys_path(app.dir.path());
    let (wrapped,): (Vec<u8>,) = {
        let mut conn = sql(&keys).await;
        let row = sqlx::query_as("SELECT wrapped FROM data_keys")
            .fetch_one(&mut conn)
            .await
            .expect("the visitor's key");
        sqlx::Connection::close(conn).await.expect("close");
        row
    };
    // A key whose visitor row was never written (a start that failed between the two).
    {
        let mut conn = sql(&keys).await;
        sqlx::query(
            "INSERT INTO data_keys (key_ref, kid, wrapped, created_at) VALUES (?, 'x', ?, ?)",
        )
        .bind(vec![7u8; 16])
        .bind(vec![9u8; 72])
        .bind(START)
        .execute(&mut conn)
        .await
        .expect("orphan");
        sqlx::Connection::close(conn).await.expect("close");
    }

    // The session ends after 30 idle minutes, the orphan key after an hour.
    clock.advance_ms(31 * 60 * 1000);
    let counts = purge(&app).await;
    assert_eq!((counts.sessions, counts.keys), (1, 0), "{counts:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);
    clock.advance_ms(30 * 60 * 1000);
    assert_eq!(purge(&app).await.keys, 1);
    assert_eq!(count_keys(&keys, "SELECT COUNT(*) FROM data_keys").await, 1);

    // The token expires after 30 days, but the visitor still has a conversation: they stay.
    clock.advance_ms(31 * DAY);
    assert_eq!(purge(&app).await.visitors, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM visitors").await, 1);
    // When the transcript ends (60 days after the last message), the visitor has nothing left:
    // their row and their data key go, in the same run.
    clock.advance_ms(30 * DAY);
    let counts = purge(&app).await;
    assert_eq!(
        (counts.conversations, counts.visitors, counts.keys),
        (1, 1, 1),
        "{counts:?}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM visitors").await, 0);
    assert_eq!(count_keys(&keys, "SELECT COUNT(*) FROM data_keys").await, 0);
    let mut key_bytes = std::fs::read(&keys).expect("keys.db");
    key_bytes.extend(std::fs::read(format!("{}-wal", keys.display())).unwrap_or_default());
    assert!(
        !has(&key_bytes, &wrapped),
        "the wrapped key is gone from keys.db and its WAL"
    );
    assert_eq!(
        app.store
            .conversation_details(conversation)
            .await
            .expect("query"),
        None
    );
    app.stop().await;
}
