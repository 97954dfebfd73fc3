//! The store's batching writer against a real SQLite file: concurrent messages get
//! contiguous sequence numbers once each, a failing message fails alone, a visitor's resend is
//! found in any of their conversations, and the summary it returns is the row's.

use crate::helpers::{spawn_app, Options, TestApp};
use confide_protocol::chat::{Author, ClientMsgId, ConversationId, MessageText};
use confide_server::store::NewConversation;

/// A conversation of `visitor`, or of a new visitor when `None`.
async fn conversation(app: &TestApp, visitor: Option<i64>) -> ConversationId {
    let widget = app
        .store
        .widget_by_key(&confide_protocol::WidgetKey::parse("demo").expect("key"))
        .await
        .expect("widget");
    let visitor = match visitor {
        Some(v) => v,
        None => new_visitor(app).await,
    };
    app.store
        .create_conversation(NewConversation {
            widget_id: widget.id,
            visitor_id: visitor,
            ..NewConversation::default()
        })
        .await
        .expect("conversation")
}

/// A visitor with a random token hash.
pub async fn new_visitor(app: &TestApp) -> i64 {
    let widget = app
        .store
        .widget_by_key(&confide_protocol::WidgetKey::parse("demo").expect("key"))
        .await
        .expect("widget");
    let token = confide_server::auth::new_token().expect("token");
    app.store
        .create_visitor(widget.id, &confide_server::auth::token_hash(&token), 60_000)
        .await
        .expect("visitor")
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
async fn a_database_from_before_is_rebuilt_and_sealed_at_start_with_every_row_kept() {
    use sqlx::{ConnectOptions, Connection};
    // A database as the server left it before migration 0008: plain text everywhere, and a
    // message left without a token (no visitor).
    let dir = tempfile::tempdir().expect("tmp");
    let old = dir.path().join("old-migrations");
    std::fs::create_dir_all(&old).expect("mkdir");
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for entry in std::fs::read_dir(&all).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if name.as_str() < "0008" {
            std::fs::copy(&path, old.join(&name)).expect("copy");
        }
    }
    let db = crate::helpers::db_path(dir.path());
    std::fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&db)
        .create_if_missing(true)
        .connect()
        .await
        .expect("connect");
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .expect("old migrator")
        .run(&mut conn)
        .await
        .expect("old migrations");
    sqlx::raw_sql(
        "INSERT INTO widgets (id, key, name, created_at) VALUES (1, 'demo', 'Demo', 0);
         INSERT INTO visitors (id, widget_id, token_hash, created_at, expires_at)
             VALUES (1, 1, x'01', 0, 9999999999999);
         INSERT INTO conversations (id, widget_id, visitor_id, created_at, last_at, last_seq, details)
             VALUES (1, 1, 1, 0, 0, 2, '{\"name\":\"Ada canaryname\",\"email\":\"canary@mail.example\",\"page\":\"https://shop.example/canarypage\"}');
         INSERT INTO conversations (id, widget_id, visitor_id, offline, created_at, last_at, last_seq)
             VALUES (2, 1, NULL, 1, 0, 0, 1);
         INSERT INTO messages (conversation_id, seq, client_id, author, body, at)
             VALUES (1, 1, 'message-0001', 'visitor', 'canary first text', 0),
                    (1, 2, 'message-0002', 'visitor', 'canary second text', 0),
                    (2, 1, 'leave-00001', 'visitor', 'canary left text', 0);",
    )
    .execute(&mut conn)
    .await
    .expect("old rows");
    conn.close().await.expect("close");

    // The server starts on it: ids rebuilt, rows sealed, plain text gone.
    let app = crate::helpers::spawn_app_in(
        dir,
        Options {
            demo: false,
            ..Options::default()
        },
    )
    .await;
    let texts: Vec<String> = app
        .store
        .messages_after(ConversationId(1), 0)
        .await
        .expect("messages")
        .into_iter()
        .map(|m| m.text.as_str().to_owned())
        .collect();
    assert_eq!(texts, vec!["canary first text", "canary second text"]);
    let left = app
        .store
        .messages_after(ConversationId(2), 0)
        .await
        .expect("the left message has a visitor and a key now");
    assert_eq!(left[0].text.as_str(), "canary left text");
    let details = app
        .store
        .conversation_details(ConversationId(1))
        .await
        .expect("details")
        .expect("some");
    assert_eq!(details.name.as_deref(), Some("Ada canaryname"));
    assert_eq!(
        details.page.as_deref(),
        Some("https://shop.example/canarypage")
    );
    let bytes = crate::helpers::db_and_wal_bytes(app.dir.path()).await;
    for canary in [
        "canary first",
        "canary second",
        "canary left",
        "canaryname",
        "canary@mail",
        "canarypage",
    ] {
        assert!(
            !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
            "{canary} is still in plain text"
        );
    }
    // And erasing still cascades through the rebuilt references.
    let visitor = app
        .store
        .conversation_visitor(ConversationId(1))
        .await
        .expect("visitor")
        .expect("some");
    app.store
        .withdraw_visitor(visitor)
        .await
        .expect("withdrawn");
    assert_eq!(app.store.message_count().await.expect("count"), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_visitor_id_taken_by_an_operator_message_fails_alone_and_a_full_one_too() {
    let app = spawn_app(Options {
        config: Some(confide_server::Config {
            messages_per_conversation: 2,
            ..crate::helpers::test_config()
        }),
        ..Options::default()
    })
    .await;
    let visitor = new_visitor(&app).await;
    let c = conversation(&app, Some(visitor)).await;
    let other = conversation(&app, None).await;
    let taken = id("message-taken");
    app.store
        .append_message(
            c,
            &taken,
            Author::Operator,
            None,
            &text("from the operator"),
        )
        .await
        .expect("the operator's");
    // In one batch: the visitor reuses the operator's id (refused alone), another visitor's
    // message is stored, and a third message would pass the conversation's cap of two.
    let (mine, ok, second, third) = (text("mine"), text("ok"), text("second"), text("third"));
    let (fine_id, second_id, third_id) = (
        id("message-fine"),
        id("message-second"),
        id("message-third"),
    );
    let (reused, fine, first, full) = tokio::join!(
        app.store.append_visitor_message(visitor, c, &taken, &mine),
        app.store
            .append_message(other, &fine_id, Author::Visitor, None, &ok),
        app.store
            .append_message(c, &second_id, Author::Visitor, None, &second),
        app.store
            .append_message(c, &third_id, Author::Visitor, None, &third),
    );
    assert!(matches!(
        reused,
        Err(confide_server::store::StoreError::Conflict)
    ));
    assert!(fine.expect("stored").created);
    assert_eq!(first.expect("stored").message.seq, 2);
    assert!(matches!(full, Err(confide_server::store::StoreError::Full)));
    let stored = app.store.messages_after(c, 0).await.expect("messages");
    assert_eq!(
        stored.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        vec!["from the operator", "second"],
        "the operator's message is untouched"
    );
    app.stop().await;
}
