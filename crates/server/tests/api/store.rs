//! The store's batching writer against a real SQLite file: concurrent messages get
//! contiguous sequence numbers once each, a failing message fails alone, a visitor's resend is
//! found in any of their conversations, and the summary it returns is the row's.

use crate::helpers::{spawn_app, Options, TestApp};
use confide_protocol::chat::{Author, ClientMsgId, ConversationId, MessageText};
use confide_server::store::NewConversation;

async fn conversation(app: &TestApp, visitor: Option<i64>) -> ConversationId {
    let widget = app
        .store
        .widget_by_key(&confide_protocol::WidgetKey::parse("demo").expect("key"))
        .await
        .expect("widget");
    app.store
        .create_conversation(NewConversation {
            widget_id: widget.id,
            visitor_id: visitor,
            ..NewConversation::default()
        })
        .await
        .expect("conversation")
}

fn id(s: &str) -> ClientMsgId {
    ClientMsgId::parse(s).expect("id")
}

fn text(s: &str) -> MessageText {
    MessageText::parse(s).expect("text")
}

#[tokio::test]
async fn concurrent_messages_get_contiguous_sequence_numbers_once_each() {
    let app = spawn_app(Options::default()).await;
    let c = conversation(&app, None).await;
    let mut tasks = Vec::new();
    for n in 0..300u32 {
        let store = app.store.clone();
        tasks.push(tokio::spawn(async move {
            // Every message twice, at once: the second is the first's resend.
            let mid = id(&format!("message-{:04}", n % 150));
            store
                .append_message(c, &mid, Author::Visitor, None, &text("hi"))
                .await
                .expect("stored")
        }));
    }
    let mut created = 0;
    for t in tasks {
        created += usize::from(t.await.expect("join").created);
    }
    assert_eq!(created, 150, "each id stored once");
    let seqs: Vec<u64> = app
        .store
        .messages_after(c, 0)
        .await
        .expect("messages")
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(seqs, (1..=150).collect::<Vec<_>>());
    let summary = app.store.summary(c).await.expect("summary");
    assert_eq!((summary.last_seq, summary.unread), (150, 150));
    app.stop().await;
}

#[tokio::test]
async fn a_message_for_a_missing_conversation_fails_alone() {
    let app = spawn_app(Options::default()).await;
    let c = conversation(&app, None).await;
    let gone = ConversationId(999_999);
    let (good, lost, a, b) = (id("message-good"), id("message-lost"), text("a"), text("b"));
    let (ok, missing) = tokio::join!(
        app.store
            .append_message(c, &good, Author::Visitor, None, &a),
        app.store
            .append_message(gone, &lost, Author::Visitor, None, &b),
    );
    assert!(ok.expect("stored").created);
    assert!(matches!(
        missing,
        Err(confide_server::store::StoreError::NotFound)
    ));
    assert_eq!(app.store.message_count().await.expect("count"), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_summary_counts_visitor_messages_after_what_was_read() {
    let app = spawn_app(Options::default()).await;
    let c = conversation(&app, None).await;
    let mut last = None;
    for (n, author) in [
        Author::Visitor,
        Author::Operator,
        Author::Visitor,
        Author::Visitor,
    ]
    .into_iter()
    .enumerate()
    {
        let stored = app
            .store
            .append_message(c, &id(&format!("message-{n:04}")), author, None, &text("x"))
            .await
            .expect("stored");
        last = stored.summary;
    }
    let from_writer = last.expect("a summary with the commit");
    assert_eq!((from_writer.last_seq, from_writer.unread), (4, 3));
    assert_eq!(from_writer, app.store.summary(c).await.expect("summary"));
    // Read up to seq 2: the visitor messages 3 and 4 are left.
    app.store.mark_read(c, 2).await.expect("read");
    assert_eq!(app.store.summary(c).await.expect("summary").unread, 2);
    // Reading never goes back, and never past the end.
    app.store.mark_read(c, 1).await.expect("read");
    assert_eq!(app.store.summary(c).await.expect("summary").unread, 2);
    app.store.mark_read(c, 99).await.expect("read");
    assert_eq!(app.store.summary(c).await.expect("summary").unread, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_visitor_resend_is_found_in_a_conversation_closed_since() {
    let app = spawn_app(Options::default()).await;
    let widget = app
        .store
        .widget_by_key(&confide_protocol::WidgetKey::parse("demo").expect("key"))
        .await
        .expect("widget");
    let visitor = app
        .store
        .create_visitor(widget.id, &[7u8; 32], 60_000)
        .await
        .expect("visitor");
    let first = conversation(&app, Some(visitor)).await;
    let original = app
        .store
        .append_visitor_message(visitor, first, &id("message-once"), &text("once"))
        .await
        .expect("stored");
    app.store.close_conversation(first).await.expect("closed");
    let second = conversation(&app, Some(visitor)).await;
    let again = app
        .store
        .append_visitor_message(visitor, second, &id("message-once"), &text("once"))
        .await
        .expect("answered");
    assert!(!again.created);
    assert_eq!(again.message, original.message);
    assert_eq!(
        app.store.summary(second).await.expect("summary").last_seq,
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn an_erased_conversation_visitor_or_receipt_id_is_never_given_again() {
    let app = spawn_app(Options::default()).await;
    let first = conversation(&app, None).await;
    app.store.delete_conversation(first).await.expect("deleted");
    let second = conversation(&app, None).await;
    assert!(second.0 > first.0, "{second:?} after {first:?}");
    let widget = app
        .store
        .widget_by_key(&confide_protocol::WidgetKey::parse("demo").expect("key"))
        .await
        .expect("widget");
    let v = app
        .store
        .create_visitor(widget.id, &[1u8; 32], 60_000)
        .await
        .expect("visitor");
    let c = conversation(&app, Some(v)).await;
    app.store.withdraw_visitor(v).await.expect("withdrawn");
    assert!(conversation(&app, None).await.0 > c.0);
    app.stop().await;
}

#[tokio::test]
async fn the_id_migration_keeps_every_row_and_every_reference() {
    use sqlx::{ConnectOptions, Connection};
    let app = spawn_app(Options::default()).await;
    let widget = app
        .store
        .widget_by_key(&confide_protocol::WidgetKey::parse("demo").expect("key"))
        .await
        .expect("widget");
    let v = app
        .store
        .create_visitor(widget.id, &[2u8; 32], 60_000)
        .await
        .expect("visitor");
    let c = conversation(&app, Some(v)).await;
    for n in 0..3 {
        app.store
            .append_visitor_message(v, c, &id(&format!("message-{n:04}")), &text("kept"))
            .await
            .expect("stored");
    }
    let before = app.store.summary(c).await.expect("summary");
    // The rebuild again, on tables full of rows, as it runs on a database from before it.
    let db = crate::helpers::db_path(app.dir.path());
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&db)
        .foreign_keys(false)
        .connect()
        .await
        .expect("connect");
    let mut tx = conn.begin().await.expect("begin");
    sqlx::raw_sql(include_str!(
        "../../migrations/sqlite/0008_ids_never_reused.sql"
    ))
    .execute(&mut *tx)
    .await
    .expect("rebuild");
    tx.commit().await.expect("commit");
    let broken: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .expect("check");
    assert!(broken.is_empty(), "{broken:?}");
    conn.close().await.expect("close");

    assert_eq!(app.store.summary(c).await.expect("summary"), before);
    assert_eq!(
        app.store
            .messages_after(c, 0)
            .await
            .expect("messages")
            .len(),
        3
    );
    // The references still work: erasing the visitor's data cascades to the messages.
    app.store.withdraw_visitor(v).await.expect("withdrawn");
    assert_eq!(app.store.message_count().await.expect("count"), 0);
    app.stop().await;
}
