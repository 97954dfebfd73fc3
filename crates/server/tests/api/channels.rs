//! The socket logic over channels, no network: `ws::visitor::run` and `ws::operator::run`
//! take any `Sink` and `Stream`, so a test holds the client's end of two channels. This is
//! where fan-out by topic and a slow reader are tested exactly: a channel's buffer is the
//! socket's, and a client that does not read blocks the server's sends as a full TCP
//! window would.

use crate::helpers::{spawn_app, Options, TestApp};
use axum::extract::ws::{Message, Utf8Bytes};
use confide_protocol::chat::{Author, ClientMsgId, ConversationId, MessageText};
use confide_server::store::Session;
use confide_server::AppState;
use futures_channel::mpsc;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// The client's end of a socket session running in a task.
struct Chan {
    to_server: ToServer,
    from_server: mpsc::Receiver<Message>,
    task: tokio::task::JoinHandle<()>,
}

type ServerSink =
    futures_util::sink::SinkMapErr<mpsc::Sender<Message>, fn(mpsc::SendError) -> axum::Error>;

type ClientFrames = mpsc::UnboundedReceiver<Result<Message, axum::Error>>;
type ToServer = mpsc::UnboundedSender<Result<Message, axum::Error>>;

/// Channels for one socket; the server may queue `buffer` frames before a send waits.
fn channels(buffer: usize) -> (ServerSink, ClientFrames, ToServer, mpsc::Receiver<Message>) {
    let (to_server, server_in) = mpsc::unbounded();
    let (server_out, from_server) = mpsc::channel(buffer);
    let sink: ServerSink = server_out.sink_map_err(axum::Error::new as fn(_) -> _);
    (sink, server_in, to_server, from_server)
}

fn visitor(state: &AppState, buffer: usize) -> Chan {
    let (sink, stream, to_server, from_server) = channels(buffer);
    let handshake = confide_server::ws::visitor::Handshake {
        ua: None,
        client: None,
        socket: state.limits.socket().expect("room for a socket"),
    };
    let task = tokio::spawn(confide_server::ws::visitor::run(
        state.clone(),
        handshake,
        sink,
        stream,
    ));
    Chan {
        to_server,
        from_server,
        task,
    }
}

fn operator(state: &AppState, op: Session) -> Chan {
    let (sink, stream, to_server, from_server) = channels(64);
    let task = tokio::spawn(confide_server::ws::operator::run(
        state.clone(),
        op,
        state.limits.socket().expect("room for a socket"),
        sink,
        stream,
    ));
    Chan {
        to_server,
        from_server,
        task,
    }
}

impl Chan {
    fn send(&mut self, frame: Value) {
        self.to_server
            .unbounded_send(Ok(Message::Text(Utf8Bytes::from(frame.to_string()))))
            .expect("session is running");
    }

    /// The next frame as JSON (pings skipped); a close frame is `{"close": code}`.
    async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.from_server.next())
                .await
                .expect("a frame in time")
                .expect("the session has not ended");
            match msg {
                Message::Text(t) => return serde_json::from_str(&t).expect("json"),
                Message::Close(c) => return json!({ "close": c.map(|c| c.code) }),
                _ => continue,
            }
        }
    }

    async fn recv_type(&mut self, kind: &str) -> Value {
        loop {
            let f = self.recv().await;
            assert!(
                f.get("close").is_none(),
                "closed while waiting for {kind}: {f}"
            );
            if f["type"] == kind {
                return f;
            }
        }
    }

    /// Every frame up to and including the first one `until` accepts.
    async fn frames_until(&mut self, until: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let f = self.recv().await;
            let done = until(&f);
            seen.push(f);
            if done {
                return seen;
            }
        }
    }

    /// A barrier: the session has handled every frame sent before this one.
    async fn sync(&mut self) {
        self.send(json!({"type": "ping"}));
        self.recv_type("pong").await;
    }
}

/// An agent signed in: their console session.
async fn agent(app: &TestApp, email: &str) -> Session {
    let id = app
        .store
        .add_operator(email, "Agent Smith", "agent", "$argon2id$unused")
        .await
        .expect("operator");
    let hash = confide_server::auth::token_hash(email);
    app.store
        .create_session(id, &hash, 3_600_000, None)
        .await
        .expect("session");
    app.store.session(&hash, 3_600_000).await.expect("session")
}

/// A visitor past hello, with a first message that started a conversation.
async fn chatting_visitor(app: &TestApp, buffer: usize, text: &str) -> (Chan, ConversationId) {
    let mut v = visitor(&app.state, buffer);
    v.send(json!({"type": "hello", "widget": "demo"}));
    let welcome = v.recv_type("welcome").await;
    assert!(welcome["conversation"].is_null());
    v.send(json!({"type": "send", "id": "first-message", "text": text}));
    v.recv_type("ack").await;
    let own = v.recv_type("message").await;
    assert_eq!(own["message"]["seq"], 1);
    // The newest conversation is this visitor's.
    let c = app
        .store
        .open_summaries(None, 100, None)
        .await
        .expect("summaries")
        .into_iter()
        .map(|s| s.id)
        .max_by_key(|id| id.0)
        .expect("conversation");
    (v, c)
}

fn is_message_of(f: &Value, c: ConversationId) -> bool {
    f["type"] == "message" && f["conversation"] == c.0
}

fn is_summary_of(f: &Value, c: ConversationId) -> bool {
    f["type"] == "conversation" && f["conversation"]["id"] == c.0
}

#[tokio::test]
async fn a_visitor_session_over_channels_acks_replays_and_resends_once() {
    let app = spawn_app(Options::default()).await;
    let mut v = visitor(&app.state, 16);
    v.send(json!({"type": "hello", "widget": "demo"}));
    let welcome = v.recv_type("welcome").await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    v.send(json!({"type": "send", "id": "message-0001", "text": "one"}));
    let ack = v.recv_type("ack").await;
    assert_eq!(ack["seq"], 1);
    v.send(json!({"type": "send", "id": "message-0002", "text": "two"}));
    assert_eq!(v.recv_type("ack").await["seq"], 2);
    drop(v);

    // A second session with the token: what came after last_seq, then a resend is answered
    // with its original ack and stores nothing.
    let mut again = visitor(&app.state, 16);
    again.send(json!({"type": "hello", "widget": "demo", "token": token, "last_seq": 1}));
    let welcome = again.recv_type("welcome").await;
    assert!(welcome["conversation"].is_number());
    let replayed = again.recv_type("message").await;
    assert_eq!(replayed["message"]["seq"], 2);
    assert_eq!(replayed["message"]["text"], "two");
    again.send(json!({"type": "send", "id": "message-0002", "text": "two"}));
    assert_eq!(again.recv_type("ack").await["seq"], 2);
    assert_eq!(app.store.message_count().await.expect("count"), 2);

    // A frame that does not parse is refused in the socket's own words and changes nothing.
    again.send(json!({"type": "send", "id": "message-0003", "text": "x", "canary-field": 1}));
    let refused = again.recv_type("error").await;
    assert_eq!(refused["error"]["code"], "malformed");
    assert!(!refused.to_string().contains("canary"), "{refused}");
    again.sync().await;
    assert_eq!(app.store.message_count().await.expect("count"), 2);
    app.stop().await;
}

#[tokio::test]
async fn an_operator_session_gets_the_inbox_and_only_the_conversations_it_watches() {
    let app = spawn_app(Options::default()).await;
    let mut op = operator(&app.state, agent(&app, "agent@example.com").await);
    op.recv_type("hello").await;
    op.recv_type("inbox").await;

    let (mut a, ca) = chatting_visitor(&app, 16, "from a").await;
    op.frames_until(|f| is_summary_of(f, ca)).await;
    let (mut b, cb) = chatting_visitor(&app, 16, "from b").await;
    op.frames_until(|f| is_summary_of(f, cb)).await;

    op.send(json!({"type": "open", "conversation": ca.0}));
    let first = op.recv_type("message").await;
    assert_eq!(
        first["conversation"], ca.0,
        "the opened conversation's history"
    );

    // B writes: the inbox learns of it, but none of B's messages reach this socket. The
    // message is published before its summary on one queue, so had it been delivered it
    // would have arrived before the summary.
    b.send(json!({"type": "send", "id": "b-second", "text": "b again"}));
    let seen = op.frames_until(|f| is_summary_of(f, cb)).await;
    assert!(
        !seen.iter().any(|f| is_message_of(f, cb)),
        "an unwatched conversation's message arrived: {seen:?}"
    );
    // A writes: its message comes, then its summary.
    a.send(json!({"type": "send", "id": "a-second", "text": "a again"}));
    let seen = op.frames_until(|f| is_summary_of(f, ca)).await;
    assert!(
        seen.iter()
            .any(|f| is_message_of(f, ca) && f["message"]["text"] == "a again"),
        "the watched conversation's message is missing: {seen:?}"
    );

    // After unwatch (handled once the ping after it is answered), A's messages stop too.
    op.send(json!({"type": "unwatch", "conversation": ca.0}));
    op.sync().await;
    assert_eq!(
        app.hub
            .watchers(confide_server::hub::Topic::Conversation(ca)),
        1,
        "only the visitor watches it now"
    );
    a.send(json!({"type": "send", "id": "a-third-one", "text": "a thrice"}));
    let seen = op.frames_until(|f| is_summary_of(f, ca)).await;
    assert!(
        !seen.iter().any(|f| is_message_of(f, ca)),
        "an unwatched conversation's message arrived: {seen:?}"
    );

    // Operators' typing reaches the visitor of that conversation only.
    op.send(json!({"type": "open", "conversation": cb.0}));
    op.recv_type("message").await;
    op.send(json!({"type": "typing", "conversation": cb.0, "active": true}));
    assert_eq!(b.recv_type("typing").await["active"], true);
    app.stop().await;
}

#[tokio::test]
async fn a_slow_visitor_socket_is_not_dropped_and_catches_up_in_order() {
    let app = spawn_app(Options::default()).await;
    // The smallest buffer: once the client stops reading, the server's next send waits.
    let (mut v, c) = chatting_visitor(&app, 0, "hello").await;
    let op = agent(&app, "fast@example.com").await;

    // The client reads nothing while far more replies are published than the socket's hub
    // queue holds.
    let replies = confide_server::hub::QUEUE as u32 * 2 + 10;
    for n in 0..replies {
        let id = ClientMsgId::parse(&format!("reply-{n:06}")).expect("id");
        let text = MessageText::parse(&format!("reply {n}")).expect("text");
        let stored = app
            .store
            .append_message(c, &id, Author::Operator, Some(op.operator.id), &text)
            .await
            .expect("stored");
        assert!(stored.created);
        confide_server::chat::publish_stored(&app.state, c, stored).await;
    }

    // Now it reads: every reply once, in order, and no close.
    let mut next = 2u64;
    while next <= u64::from(replies) + 1 {
        let f = v.recv().await;
        assert!(f.get("close").is_none(), "the slow socket was closed: {f}");
        if f["type"] == "message" {
            assert_eq!(f["message"]["seq"], next, "out of order or missing");
            assert_eq!(f["message"]["text"], format!("reply {}", next - 2));
            next += 1;
        }
    }
    v.sync().await;
    assert!(!v.task.is_finished(), "the session is still running");
    app.stop().await;
}

#[tokio::test]
async fn the_inbox_comes_in_pages_so_a_flood_of_conversations_hides_none() {
    let app = spawn_app(Options::default()).await;
    let widget = app
        .store
        .widget_by_key(&confide_protocol::WidgetKey::parse("demo").expect("key"))
        .await
        .expect("widget");
    let total = 250;
    for n in 0..total {
        let visitor = crate::store::new_visitor(&app).await;
        let c = app
            .store
            .create_conversation(confide_server::store::NewConversation {
                widget_id: widget.id,
                visitor_id: visitor,
                ..Default::default()
            })
            .await
            .expect("conversation");
        app.store
            .append_message(
                c,
                &ClientMsgId::parse(&format!("message-{n:05}")).expect("id"),
                Author::Visitor,
                None,
                &MessageText::parse("hi").expect("text"),
            )
            .await
            .expect("message");
    }
    let mut op = operator(&app.state, agent(&app, "agent@example.com").await);
    op.recv_type("hello").await;
    let first = op.recv_type("inbox").await;
    let mut seen: Vec<i64> = first["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(seen.len(), 100);
    let mut before = op.recv_type("inbox_more").await["before"].clone();
    loop {
        op.send(json!({"type": "inbox_page", "before": before}));
        let page = op.recv_type("inbox_page").await;
        seen.extend(
            page["conversations"]
                .as_array()
                .expect("list")
                .iter()
                .map(|c| c["id"].as_i64().expect("id")),
        );
        if page["more"].is_null() {
            break;
        }
        before = page["more"].clone();
    }
    // Every conversation once, newest first (ids grow with time here).
    let mut expected: Vec<i64> = seen.clone();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    expected.dedup();
    assert_eq!(seen.len(), total);
    assert_eq!(seen, expected);
    app.stop().await;
}

#[tokio::test]
async fn a_long_export_comes_in_parts_with_every_message_once() {
    let app = spawn_app(Options::default()).await;
    let (mut v, c) = chatting_visitor(&app, 16, "first").await;
    for n in 1..450u32 {
        app.store
            .append_message(
                c,
                &ClientMsgId::parse(&format!("reply-{n:06}")).expect("id"),
                Author::Operator,
                None,
                &MessageText::parse(&format!("reply {n}")).expect("text"),
            )
            .await
            .expect("stored");
    }
    v.send(json!({"type": "export"}));
    let mut parts = Vec::new();
    loop {
        let part = v.recv_type("transcript").await;
        let more = part["more"].as_bool().unwrap_or(false);
        parts.push(part);
        if !more {
            break;
        }
    }
    let sizes: Vec<usize> = parts
        .iter()
        .map(|p| p["messages"].as_array().expect("messages").len())
        .collect();
    assert_eq!(sizes, vec![200, 200, 50]);
    let seqs: Vec<u64> = parts
        .iter()
        .flat_map(|p| p["messages"].as_array().expect("messages").clone())
        .map(|m| m["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, (1..=450).collect::<Vec<_>>());
    assert!(parts[1..].iter().all(|p| p["receipt"].is_null()));
    app.stop().await;
}
