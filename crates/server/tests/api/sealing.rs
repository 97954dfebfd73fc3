//! Sealing at rest: what visitors write and type is never in the database or its WAL in plain
//! text, a backup made before an erasure no longer opens for that visitor, key rotation keeps
//! everything readable, and a wrong, missing or loosely kept key stops the server before it
//! changes a byte.

use crate::details::{contains, set_settings};
use crate::helpers::{
    db_and_wal_bytes, db_path, keys_path, postgres_url, spawn_app, spawn_app_in, test_key_ring,
    Options, Raw, TestApp,
};
use crate::sockets::*;
use confide_protocol::chat::ConversationId;
use confide_protocol::settings::Requirement;
use confide_server::config::DatabaseUrl;
use confide_server::crypto::MasterKey;
use confide_server::keystore::{KeyError, KeyRing, KeyStore};
use confide_server::store::{Store, StoreError};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const NAME: &str = "Zoë Canaryname";
const EMAIL: &str = "canary-mail@example.com";
const PAGE: &str = "https://shop.example/canary-page";

/// A visitor (standard mode, with a name and an email) who writes `text`; returns their
/// token and conversation.
pub(crate) async fn chat(app: &TestApp, text: &str) -> (String, ConversationId) {
    standard_mode(app).await;
    let mut v = connect(app, "/ws/visitor", None).await;
    send(
        &mut v,
        json!({"type": "hello", "widget": "demo",
               "fields": {"name": NAME, "email": EMAIL},
               "context": {"page": PAGE}}),
    )
    .await;
    let welcome = recv(&mut v).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    let token = welcome["token"].as_str().expect("token").to_owned();
    send(
        &mut v,
        json!({"type": "send", "id": msg_id(1), "text": text}),
    )
    .await;
    recv_type(&mut v, "ack").await;
    let widget = app
        .store
        .widget_by_key(&confide_protocol::WidgetKey::parse("demo").expect("key"))
        .await
        .expect("widget");
    let visitor = app
        .store
        .visitor_by_token(widget.id, &confide_server::auth::token_hash(&token))
        .await
        .expect("visitor");
    let conversation = app
        .store
        .open_conversation_of(visitor.id)
        .await
        .expect("conversation")
        .expect("open");
    (token, conversation)
}

async fn standard_mode(app: &TestApp) {
    set_settings(app, |s| {
        s.privacy_mode = false;
        s.prechat_fields.name = Requirement::Optional;
        s.prechat_fields.email = Requirement::Optional;
    })
    .await;
}

fn texts(messages: &[confide_protocol::chat::ChatMessage]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m.text.as_str().to_owned())
        .collect()
}

fn file_bytes(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap_or_default();
    let wal = format!("{}-wal", path.display());
    bytes.extend(std::fs::read(wal).unwrap_or_default());
    bytes
}

#[tokio::test]
async fn message_text_names_emails_and_pages_are_never_in_the_files_in_plain_text() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;
    let (mut op, _) = operator_socket(&app, &cookie).await;
    let (_, conversation) = chat(&app, "canary-body-4d1").await;
    recv_type(&mut op, "conversation").await;
    send(
        &mut op,
        json!({"type": "send", "conversation": conversation.0, "id": msg_id(2),
               "text": "canary-reply-9e2"}),
    )
    .await;
    recv_type(&mut op, "ack").await;

    // The operator reads everything...
    send(
        &mut op,
        json!({"type": "open", "conversation": conversation.0}),
    )
    .await;
    let details = recv_type(&mut op, "details").await;
    assert_eq!(details["details"]["name"], NAME);
    assert_eq!(details["details"]["email"], EMAIL);
    assert_eq!(details["details"]["page"], PAGE);
    let first = recv_type(&mut op, "message").await;
    assert_eq!(first["message"]["text"], "canary-body-4d1");

    // ...while the running server's files hold none of it, nor its key store.
    let bytes = [
        db_and_wal_bytes(app.dir.path()).await,
        file_bytes(&keys_path(app.dir.path())),
    ]
    .concat();
    assert!(bytes.len() > 10_000, "the files were read");
    for canary in [
        "canary-body-4d1",
        "canary-reply-9e2",
        "Canaryname",
        "canaryname",
        "canary-mail",
        "canary-page",
    ] {
        assert!(!contains(&bytes, canary), "{canary} is in plain text");
    }
    // The master key is not in either file.
    let key = std::fs::read_to_string(app.dir.path().join("master.key")).expect("key");
    let key_b64 = key.lines().nth(1).expect("key line");
    assert!(!contains(&bytes, key_b64));

    // After a restart with the same key everything opens again.
    let dir = app.stop().await;
    let app = spawn_app_in(dir, Options::default()).await;
    let messages = app
        .store
        .messages_after(conversation, 0)
        .await
        .expect("messages");
    assert_eq!(texts(&messages), ["canary-body-4d1", "canary-reply-9e2"]);
    let details = app
        .store
        .conversation_details(conversation)
        .await
        .expect("details")
        .expect("some");
    assert_eq!(details.email.as_deref(), Some(EMAIL));
    app.stop().await;
}

/// A store on another database (a backup), with a key store of its own on `keys`.
async fn open_copy(url: &DatabaseUrl, keys: &Path, ring: KeyRing) -> Store {
    let keys = KeyStore::open(keys, ring, true).await.expect("key store");
    Store::open_sealed(
        url,
        Arc::new(confide_server::clock::SystemClock),
        Default::default(),
        Arc::new(keys),
    )
    .await
    .expect("open the copy")
}

#[tokio::test]
async fn a_backup_taken_before_an_erasure_no_longer_opens_for_that_visitor() {
    let app = spawn_app(Options::default()).await;
    let (token, erased) = chat(&app, "canary-erased-text").await;
    let (_, kept) = chat(&app, "kept-text").await;

    // A backup, as an operator of the server makes one: VACUUM INTO a file of its own (on
    // PostgreSQL, pg_dump, restored into a database of its own).
    let backup = match postgres_url(app.dir.path()) {
        Some(url) => {
            let file = app.dir.path().join("backup.sql");
            crate::postgres::copy_database(&url, &file).await
        }
        None => {
            let backup = app.dir.path().join("backup.db");
            let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
                "sqlite://{}",
                db_path(app.dir.path()).display()
            ))
            .await
            .expect("connect");
            sqlx::query("VACUUM INTO ?")
                .bind(backup.display().to_string())
                .execute(&mut conn)
                .await
                .expect("backup");
            sqlx::Connection::close(conn).await.expect("close");
            format!("sqlite://{}", backup.display())
        }
    };
    let backup = DatabaseUrl::parse(&backup).expect("url");
    // Before the erasure the backup opens for both (with the live key store).
    let copy = open_copy(
        &backup,
        &keys_path(app.dir.path()),
        test_key_ring(app.dir.path()),
    )
    .await;
    assert_eq!(
        texts(&copy.messages_after(erased, 0).await.expect("opens")),
        ["canary-erased-text"]
    );
    copy.close().await;

    // The visitor withdraws: their rows go, and their data key.
    let mut v = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut v, Some(&token), None).await;
    send(&mut v, json!({"type": "withdraw"})).await;
    recv_type(&mut v, "withdrawn").await;
    assert!(!contains(
        &db_and_wal_bytes(app.dir.path()).await,
        "canary-erased"
    ));
    let dir = app.stop().await;

    // The backup still holds their sealed rows, and they no longer open; the others do.
    let copy = open_copy(&backup, &keys_path(dir.path()), test_key_ring(dir.path())).await;
    assert!(matches!(
        copy.messages_after(erased, 0).await,
        Err(StoreError::Erased)
    ));
    assert!(matches!(
        copy.conversation_details(erased).await,
        Ok(None) | Err(StoreError::Erased)
    ));
    assert_eq!(
        texts(&copy.messages_after(kept, 0).await.expect("opens")),
        ["kept-text"]
    );
    copy.close().await;
}

/// The real binary, on a test app's folder, with the given settings.
fn confide(dir: &Path, vars: &[(&str, &Path)]) -> Command {
    let mut cmd = crate::process::confide_with_db(dir);
    cmd.env("CONFIDE_KEY_STORE", keys_path(dir))
        .env("CONFIDE_BIND", "127.0.0.1:0")
        .env("CONFIDE_ASSETS_DIR", dir.join("dist"))
        .env("CONFIDE_DATA_DIR", dir.join("data"));
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the binary to its end (at most 60 s: a server that starts instead of refusing is
/// killed, and the test fails).
fn run(cmd: &mut Command) -> (i32, String) {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run confide");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(out) => out.expect("wait for confide"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("confide still runs after 60 s");
        }
    };
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn rotation_re_wraps_every_key_and_keeps_every_message_readable() {
    let app = spawn_app(Options::default()).await;
    let mut conversations = Vec::new();
    for i in 0..5 {
        conversations.push(chat(&app, &format!("text {i}")).await.1);
    }
    let dir = app.stop().await;
    let old = dir.path().join("master.key");
    let new = dir.path().join("new.key");

    let (code, out) = run(confide(dir.path(), &[])
        .args(["keys", "generate", "--out"])
        .arg(&new));
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::metadata(&new).expect("key").permissions().mode() & 0o777,
        0o600
    );
    let written = std::fs::read(&new).expect("key");
    let (code, out) = run(confide(dir.path(), &[])
        .args(["keys", "generate", "--out"])
        .arg(&new));
    assert_ne!(code, 0, "an existing key file is never overwritten: {out}");
    assert_eq!(std::fs::read(&new).expect("key"), written);

    // Rotate, one key per batch, unwrapping with the old key, wrapping with the new one.
    let (code, out) = run(confide(
        dir.path(),
        &[
            ("CONFIDE_ENCRYPTION_KEY_FILE", &new),
            ("CONFIDE_PREVIOUS_ENCRYPTION_KEY_FILES", &old),
        ],
    )
    .args(["keys", "rotate", "--batch", "1"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 left"), "{out}");
    let secret = String::from_utf8_lossy(&written)
        .lines()
        .nth(1)
        .map(str::to_owned);
    assert!(
        !out.contains(&secret.expect("key line")),
        "the key is never printed"
    );

    // The old key alone no longer opens the key store; the new one alone does.
    let old_key = MasterKey::read_file(&old).expect("old");
    match KeyStore::open(&keys_path(dir.path()), KeyRing::new(old_key), true).await {
        Err(KeyError::Refused(message)) => assert!(message.contains("wrong key"), "{message}"),
        other => panic!("the old key opened the key store: {other:?}"),
    }
    std::fs::remove_file(&old).expect("remove old key");
    std::fs::rename(&new, &old).expect("the new key takes its place");
    let app = spawn_app_in(dir, Options::default()).await;
    for (i, c) in conversations.iter().enumerate() {
        let messages = app.store.messages_after(*c, 0).await.expect("opens");
        assert_eq!(texts(&messages), [format!("text {i}")]);
        let details = app.store.conversation_details(*c).await.expect("opens");
        assert_eq!(details.and_then(|d| d.email).as_deref(), Some(EMAIL));
    }
    app.stop().await;
}

/// The database: on SQLite every byte of its file and WAL; on PostgreSQL, whose files the
/// whole cluster shares (and rewrites on its own), its dump: every row, sequence and schema.
fn database_state(dir: &Path) -> Vec<u8> {
    match postgres_url(dir) {
        Some(url) => crate::postgres::dump_without_restrict_key(&url),
        None => file_bytes(&db_path(dir)),
    }
}

/// Every byte of the database (see [`database_state`]), the key store and their WALs.
fn all_bytes(dir: &Path) -> Vec<u8> {
    [database_state(dir), file_bytes(&keys_path(dir))].concat()
}

#[tokio::test]
async fn a_wrong_missing_or_loose_key_refuses_start_and_changes_no_byte() {
    let app = spawn_app(Options::default()).await;
    chat(&app, "canary-kept-text").await;
    let dir = app.stop().await;
    let d = dir.path();
    let before = all_bytes(d);
    let before_db = database_state(d);
    let good = d.join("master.key");

    // Another key.
    let other = d.join("other.key");
    MasterKey::generate()
        .expect("key")
        .write_file(&other)
        .expect("write");
    let (code, out) = run(confide(d, &[("CONFIDE_ENCRYPTION_KEY_FILE", &other)]).arg("serve"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("wrong key file"), "{out}");
    assert!(all_bytes(d) == before, "a wrong key changed a byte");

    // No key at all.
    let (code, out) = run(confide(d, &[]).arg("serve"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no encryption key"), "{out}");
    assert!(all_bytes(d) == before, "a missing key changed a byte");

    // A key as a value that is not one: refused without echoing it.
    let (code, out) = run(confide(d, &[])
        .env("CONFIDE_ENCRYPTION_KEY", "canary-not-a-key")
        .arg("serve"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("CONFIDE_ENCRYPTION_KEY"), "{out}");
    assert!(!out.contains("canary-not-a-key"), "{out}");

    // A key file others may read: refused with the fix.
    std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (code, out) = run(confide(d, &[("CONFIDE_ENCRYPTION_KEY_FILE", &good)]).arg("serve"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("chmod 600"), "{out}");
    std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    // The right key with another key store (lost, or the wrong path): refused.
    let elsewhere = d.join("elsewhere").join("keys.db");
    let (code, out) = run(confide(d, &[("CONFIDE_ENCRYPTION_KEY_FILE", &good)])
        .env("CONFIDE_KEY_STORE", &elsewhere)
        .arg("serve"));
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("none of this database's data keys"), "{out}");
    assert!(
        database_state(d) == before_db,
        "another key store changed the database"
    );
    assert!(!out.contains("canary-kept-text"));

    // The right key still opens everything.
    let app = spawn_app_in(dir, Options::default()).await;
    assert_eq!(app.store.message_count().await.expect("count"), 1);
    app.stop().await;
}

/// Two nodes started on an empty shared database, each with a key store of its own, would
/// each make keys the other cannot read: the database records the key store it was first
/// sealed with, and refuses any other even before it holds a single data key.
#[tokio::test]
async fn another_key_store_is_refused_even_before_the_database_holds_a_data_key() {
    let app = spawn_app(Options::default()).await;
    let dir = app.stop().await;
    let d = dir.path();
    let url = crate::helpers::database_url(d).await;
    let before = database_state(d);

    // The same master key, another key store: its blind-index key is its own.
    let other = KeyStore::open(&d.join("elsewhere").join("keys.db"), test_key_ring(d), true)
        .await
        .expect("another key store");
    let refused = Store::open_sealed(
        &url,
        Arc::new(confide_server::clock::SystemClock),
        Default::default(),
        Arc::new(other),
    )
    .await
    .map(|_| ())
    .expect_err("another key store opened the database");
    assert!(
        refused
            .to_string()
            .contains("not the one this database was first sealed with"),
        "{refused}"
    );
    assert!(
        database_state(d) == before,
        "another key store changed the database"
    );

    // Its own key store still opens it.
    let app = spawn_app_in(dir, Options::default()).await;
    chat(&app, "after-the-refusal").await;
    app.stop().await;
}

#[tokio::test]
async fn a_tampered_or_moved_ciphertext_is_an_error_with_a_code_never_plain_text() {
    let app = spawn_app(Options::default()).await;
    let (_, a) = chat(&app, "canary-first-text").await;
    let (_, b) = chat(&app, "canary-second-text").await;
    let cookie = operator_cookie(&app, "ada@example.com", "Ada").await;

    let mut conn = Raw::open(app.dir.path()).await;
    // One bit flipped in a's message; b's sealed body copied into c's row.
    let sealed = conn
        .fetch_bytes(
            "SELECT sealed FROM messages WHERE conversation_id = $1",
            &[a.0.into()],
        )
        .await
        .expect("row");
    let mut flipped = sealed.clone();
    flipped[30] ^= 1;
    let changed = conn
        .execute(
            "UPDATE messages SET sealed = $1 WHERE conversation_id = $2",
            &[(&flipped).into(), a.0.into()],
        )
        .await;
    assert_eq!(changed, 1, "tamper");
    let moved = conn
        .fetch_bytes(
            "SELECT sealed FROM messages WHERE conversation_id = $1",
            &[b.0.into()],
        )
        .await
        .expect("row");
    let (_, c) = chat(&app, "third-text").await;
    let changed = conn
        .execute(
            "UPDATE messages SET sealed = $1 WHERE conversation_id = $2",
            &[(&moved).into(), c.0.into()],
        )
        .await;
    assert_eq!(changed, 1, "move");
    conn.close().await;

    let (mut op, _) = operator_socket(&app, &cookie).await;
    for conversation in [a, c] {
        send(
            &mut op,
            json!({"type": "open", "conversation": conversation.0}),
        )
        .await;
        let refused: Value = recv_type(&mut op, "error").await;
        assert_eq!(refused["error"]["code"], "internal", "{refused}");
        assert!(!refused.to_string().contains("canary"), "{refused}");
    }
    // The untouched one still opens, on the same socket.
    send(&mut op, json!({"type": "open", "conversation": b.0})).await;
    let message = recv_type(&mut op, "message").await;
    assert_eq!(message["message"]["text"], "canary-second-text");
    app.stop().await;
}
