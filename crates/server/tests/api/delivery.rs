//! Delivery under failure: a visitor and an operator exchange messages both ways while the
//! clients cut their connections at random and the server process is killed (SIGKILL) and
//! restarted several times. Afterwards each side's transcript is checked against the SQLite
//! file: every message exactly once, in send order, under the sequence its ack named.
//!
//! The clients behave as the widget and the console do: an outbox of unacknowledged
//! messages, resent with the same ids after every reconnect, and a resume from the last
//! contiguous sequence number seen.

use crate::helpers::write_bundles;
use crate::process::{add_operator, free_port, Server};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// The test sends far faster than a person: rates it would reach are lifted (delivery, not
/// the limits, is under test here).
pub(crate) const UNLIMITED: &[(&str, &str)] = &[
    ("CONFIDE_MESSAGES_PER_SOCKET_PER_MINUTE", "100000"),
    ("CONFIDE_HELLOS_PER_CLIENT_PER_MINUTE", "100000"),
];

pub(crate) const EACH_WAY: usize = 100;
const RESTARTS: usize = 8;
pub(crate) const PASSWORD: &str = "operator password 1";

/// A tiny deterministic generator, so a failing run can be replayed.
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[derive(Debug, Default)]
pub(crate) struct Transcript {
    /// seq -> (client id, author), as the server delivered them.
    received: BTreeMap<u64, (String, String)>,
    /// client id -> seq from its ack.
    acked: HashMap<String, u64>,
    pub(crate) cuts: usize,
    pub(crate) connects: usize,
    /// Connections lost to the server (killed), not cut by the client.
    pub(crate) drops: usize,
    /// Gaps seen on a live socket (each then healed by a reconnect, but a bug all the same).
    stalls: Vec<String>,
}

impl Transcript {
    fn record(&mut self, msg: &Value) {
        let seq = msg["seq"].as_u64().expect("seq");
        let entry = (
            msg["id"].as_str().expect("id").to_owned(),
            msg["author"].as_str().expect("author").to_owned(),
        );
        if let Some(prev) = self.received.insert(seq, entry.clone()) {
            assert_eq!(
                prev, entry,
                "seq {seq} delivered twice with different content"
            );
        }
    }

    /// The highest sequence number below which nothing is missing.
    fn contiguous(&self) -> u64 {
        let mut n = 0;
        while self.received.contains_key(&(n + 1)) {
            n += 1;
        }
        n
    }

    /// Both sides' messages, every sequence number from 1 without a gap.
    fn complete(&self) -> bool {
        self.contiguous() == 2 * EACH_WAY as u64
    }
}

pub(crate) enum Role {
    Visitor,
    Operator { cookie: String },
}

/// One client: connects, resumes, resends its outbox, sends new messages while at most 4 are
/// unacknowledged, and cuts its own connection after a random number of frames.
pub(crate) async fn client(
    addr: String,
    role: Role,
    seed: u64,
    deadline: Instant,
    acks: tokio::sync::watch::Sender<usize>,
) -> Transcript {
    let (prefix, path, author) = match role {
        Role::Visitor => ("v", "/ws/visitor", "visitor"),
        Role::Operator { .. } => ("o", "/ws/operator", "operator"),
    };
    let mut rng = Rng(seed);
    let mut to_send: VecDeque<String> =
        (1..=EACH_WAY).map(|n| format!("{prefix}-{n:06}")).collect();
    let mut outbox: Vec<String> = Vec::new();
    let mut t = Transcript::default();
    let mut token: Option<String> = None;
    let mut conversation: Option<Value> = None;

    while !(to_send.is_empty() && outbox.is_empty() && t.complete()) {
        assert!(
            Instant::now() < deadline,
            "{author}: not done in time: {t:?}"
        );
        let mut req = format!("ws://{addr}{path}")
            .into_client_request()
            .expect("req");
        if let Role::Operator { cookie } = &role {
            req.headers_mut()
                .insert("cookie", HeaderValue::from_str(cookie).expect("cookie"));
        }
        let Ok((mut ws, _)) = tokio_tungstenite::connect_async(req).await else {
            // The server is restarting: try again shortly (bounded by the deadline above).
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        t.connects += 1;
        if matches!(role, Role::Visitor) {
            let mut hello = json!({"type": "hello", "widget": "demo", "last_seq": t.contiguous(), "consent": crate::helpers::demo_consent()});
            if let Some(tok) = &token {
                hello["token"] = json!(tok);
            }
            if ws.send(Message::text(hello.to_string())).await.is_err() {
                continue;
            }
        }
        let mut ready = false;
        let mut frames_left = 3 + rng.next(40);
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let mut cut_or_done = false;
        let mut last_frame = Instant::now();
        loop {
            tokio::select! {
                msg = ws.next() => {
                    let Some(Ok(msg)) = msg else { break };
                    last_frame = Instant::now();
                    let Message::Text(text) = msg else { continue };
                    let v: Value = serde_json::from_str(&text).expect("json");
                    // Becomes true when this connection is ready to carry messages: then the
                    // operator (re)opens the conversation and both resend their outboxes.
                    let mut became_ready = false;
                    match v["type"].as_str().expect("type") {
                        "welcome" => {
                            token = Some(v["token"].as_str().expect("token").to_owned());
                            became_ready = true;
                        }
                        "inbox" => {
                            if conversation.is_none() {
                                conversation = v["conversations"].as_array().and_then(|a| a.first()).map(|c| c["id"].clone());
                            }
                            became_ready = conversation.is_some();
                        }
                        "conversation" if !ready => {
                            conversation = Some(v["conversation"]["id"].clone());
                            became_ready = true;
                        }
                        "message" => t.record(&v["message"]),
                        "ack" => {
                            let id = v["id"].as_str().expect("id").to_owned();
                            let seq = v["seq"].as_u64().expect("seq");
                            if let Some(prev) = t.acked.insert(id.clone(), seq) {
                                assert_eq!(prev, seq, "{id} acked twice with different seqs");
                            }
                            outbox.retain(|o| *o != id);
                            acks.send_modify(|n| *n += 1);
                        }
                        "conversation" | "typing" | "presence" | "hello" | "pong" | "receipt" => {}
                        other => panic!("{author}: unexpected frame {other}: {v}"),
                    }
                    if became_ready {
                        ready = true;
                        let mut frames = Vec::new();
                        if matches!(role, Role::Operator { .. }) {
                            frames.push(json!({"type": "open", "conversation": conversation, "last_seq": t.contiguous()}));
                        }
                        frames.extend(outbox.iter().map(|id| frame(&role, &conversation, id)));
                        let mut failed = false;
                        for f in frames {
                            if ws.send(Message::text(f.to_string())).await.is_err() { failed = true; break; }
                        }
                        if failed { break; }
                    }
                    frames_left = frames_left.saturating_sub(1);
                    if frames_left == 0 {
                        t.cuts += 1;
                        cut_or_done = true;
                        break;
                    }
                }
                _ = tick.tick() => {
                    assert!(Instant::now() < deadline, "{author}: not done in time: {t:?}");
                    // The server delivers each conversation in order on a live socket, so a
                    // gap below the highest seq received that stays open while the socket is
                    // quiet is a lost message. (Waiting for messages the other side has not
                    // sent yet is not a gap.)
                    if last_frame.elapsed() > Duration::from_secs(2) {
                        let top = t.received.keys().next_back().copied().unwrap_or(0);
                        let gap: Vec<u64> = (1..top).filter(|s| !t.received.contains_key(s)).take(5).collect();
                        if !gap.is_empty() {
                            t.stalls.push(format!("gap {gap:?} below seq {top} on a live socket"));
                            cut_or_done = true;
                            break;
                        }
                    }
                    if ready && outbox.len() < 4 {
                        if let Some(id) = to_send.pop_front() {
                            outbox.push(id.clone());
                            if ws.send(Message::text(frame(&role, &conversation, &id).to_string())).await.is_err() { break; }
                        }
                    }
                    if to_send.is_empty() && outbox.is_empty() && t.complete() {
                        cut_or_done = true;
                        break;
                    }
                }
            }
        }
        if !cut_or_done {
            t.drops += 1;
        }
    }
    t
}

fn frame(role: &Role, conversation: &Option<Value>, id: &str) -> Value {
    match role {
        Role::Visitor => json!({"type": "send", "id": id, "text": format!("text of {id}")}),
        Role::Operator { .. } => {
            json!({"type": "send", "conversation": conversation, "id": id, "text": format!("text of {id}")})
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_arrives_exactly_once_in_order_across_cuts_and_server_kills() {
    let dir = tempfile::tempdir().expect("tmp");
    write_bundles(&dir.path().join("dist"));
    add_operator(dir.path(), "ada@example.com", "Ada", PASSWORD);
    let bind = format!("127.0.0.1:{}", free_port());
    let path = dir.path().to_path_buf();
    let b = bind.clone();
    let mut server =
        tokio::task::spawn_blocking(move || Server::start_with(&path, &b, "warn", UNLIMITED))
            .await
            .expect("start");
    let addr = server.addr().to_owned();
    let deadline = Instant::now() + Duration::from_secs(120);

    let cookie = crate::process::login_cookie(
        &reqwest::Client::new(),
        &format!("http://{addr}"),
        "ada@example.com",
        PASSWORD,
    )
    .await;

    // The visitor starts first; the operator joins once the conversation exists.
    let (v_acks, mut v_seen) = tokio::sync::watch::channel(0usize);
    let (o_acks, mut o_seen) = tokio::sync::watch::channel(0usize);
    let visitor = tokio::spawn(client(
        addr.clone(),
        Role::Visitor,
        0x9e37_79b9_7f4a_7c15,
        deadline,
        v_acks,
    ));
    let operator = tokio::spawn(client(
        addr.clone(),
        Role::Operator { cookie },
        0xdead_beef_cafe_f00d,
        deadline,
        o_acks,
    ));

    // Kill the server only while both sides are mid-transfer (see `mid_transfer`).
    let mut rng = Rng(42);
    for _ in 0..RESTARTS {
        if !mid_transfer(&mut v_seen, &mut o_seen, &mut rng).await {
            break;
        }
        let path = dir.path().to_path_buf();
        let b = bind.clone();
        server = tokio::task::spawn_blocking(move || {
            server.kill();
            Server::start_with(&path, &b, "warn", UNLIMITED)
        })
        .await
        .expect("restart");
    }
    let visitor = visitor.await.expect("visitor task");
    let operator = operator.await.expect("operator task");
    tokio::task::spawn_blocking(move || server.stop())
        .await
        .expect("stop");

    // What the database holds.
    let store = crate::process::open_demo_store(dir.path()).await;
    let db = stored_transcript(&store).await;
    store.close().await;
    check(&db, &visitor, &operator);
    assert!(
        visitor.cuts + operator.cuts >= 4,
        "connections were cut: {} + {}",
        visitor.cuts,
        operator.cuts
    );
    // The kills landed while messages were in flight: both sides lost connections to them.
    assert!(
        visitor.drops >= 2,
        "visitor lost connections to kills: {}",
        visitor.drops
    );
    assert!(
        operator.drops >= 2,
        "operator lost connections to kills: {}",
        operator.drops
    );
    eprintln!(
        "delivery: {RESTARTS} server kills; visitor {} connects, {} cuts, {} drops; operator {} connects, {} cuts, {} drops",
        visitor.connects, visitor.cuts, visitor.drops, operator.connects, operator.cuts, operator.drops
    );
}

/// seq -> (client id, author) of the one conversation the database holds.
pub(crate) async fn stored_transcript(
    store: &confide_server::store::Store,
) -> BTreeMap<u64, (String, String)> {
    assert_eq!(
        store.conversation_count().await.expect("count"),
        1,
        "one conversation"
    );
    let stored = store
        .messages_after(confide_protocol::chat::ConversationId(1), 0)
        .await
        .expect("messages");
    assert_eq!(
        stored.len(),
        2 * EACH_WAY,
        "every message stored exactly once"
    );
    stored
        .iter()
        .map(|m| {
            let author = serde_json::to_value(m.author).expect("author");
            (
                m.seq,
                (
                    m.id.as_str().to_owned(),
                    author.as_str().expect("str").to_owned(),
                ),
            )
        })
        .collect()
}

/// Both transcripts equal the database: every message once, in send order, under the
/// sequence its ack named; and no live socket ever had to heal a gap.
pub(crate) fn check(
    db: &BTreeMap<u64, (String, String)>,
    visitor: &Transcript,
    operator: &Transcript,
) {
    assert_eq!(
        db.keys().copied().collect::<Vec<_>>(),
        (1..=2 * EACH_WAY as u64).collect::<Vec<_>>()
    );

    for (name, t) in [("visitor", visitor), ("operator", operator)] {
        assert_eq!(&t.received, db, "{name}'s transcript equals the database");
    }
    for (prefix, t) in [("v", visitor), ("o", operator)] {
        let order: Vec<&String> = db
            .values()
            .filter(|(id, _)| id.starts_with(prefix))
            .map(|(id, _)| id)
            .collect();
        let expected: Vec<String> = (1..=EACH_WAY).map(|n| format!("{prefix}-{n:06}")).collect();
        assert_eq!(
            order,
            expected.iter().collect::<Vec<_>>(),
            "{prefix}: stored in send order"
        );
        for (seq, (id, _)) in db {
            if id.starts_with(prefix) {
                assert_eq!(
                    t.acked.get(id),
                    Some(seq),
                    "{id}: the ack named its stored seq"
                );
            }
        }
    }
    // A live socket never loses a message: no gap had to be healed by a reconnect.
    assert!(
        visitor.stalls.is_empty(),
        "visitor stalled: {:?}",
        visitor.stalls
    );
    assert!(
        operator.stalls.is_empty(),
        "operator stalled: {:?}",
        operator.stalls
    );
}

/// Waits until both sides have had a fresh ack (so both are connected and have messages in
/// flight), then a random short delay: the moment to kill a server mid-chat. `false` when
/// either side has already sent all it sends, and there is nothing left to interrupt.
pub(crate) async fn mid_transfer(
    v_seen: &mut tokio::sync::watch::Receiver<usize>,
    o_seen: &mut tokio::sync::watch::Receiver<usize>,
    rng: &mut Rng,
) -> bool {
    let (v_before, o_before) = (*v_seen.borrow_and_update(), *o_seen.borrow_and_update());
    if v_before >= EACH_WAY || o_before >= EACH_WAY {
        return false;
    }
    let fresh = async {
        let _ = v_seen.wait_for(|n| *n > v_before).await;
        let _ = o_seen.wait_for(|n| *n > o_before).await;
    };
    tokio::time::timeout(Duration::from_secs(30), fresh)
        .await
        .expect("both sides make progress");
    tokio::time::sleep(Duration::from_millis(5 + rng.next(60))).await;
    true
}
