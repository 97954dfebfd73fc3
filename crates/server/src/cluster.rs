//! Several nodes on one PostgreSQL database: what one node's [`Hub`] publishes reaches the
//! sockets of the others, through PostgreSQL's `LISTEN`/`NOTIFY` and nothing else (no
//! cluster protocol of our own, no sticky sessions).
//!
//! The stored rows are the truth; a notification is only a wake-up. A new message travels
//! as its conversation and sequence number, and the receiving node reads the message from
//! the database for the sockets that watch it (they fill any gap themselves). Every node
//! also catches up by sequence number on a timer and whenever its `LISTEN` connection was
//! lost, so a lost notification delays a message but never loses it.
//!
//! What is not in the database travels in the notification itself: typing (a flag), a
//! conversation's end, presence (each node reports whether it has operators online, and
//! repeats it; a node that falls silent stops counting after [`crate::hub::REMOTE_PRESENCE`]), ended
//! sessions and changed operators (their sockets close on every node). A live draft is
//! the one thing with personal text: it is **sealed** (XChaCha20-Poly1305, a key derived
//! from the master key every node has) before it enters PostgreSQL's notification queue,
//! which can reach the disk; a draft too long for one notification is not previewed on the
//! other nodes.
//!
//! Rate limits and the hub's queues stay per node.

use crate::crypto::Secret;
use crate::hub::{Event, Hub, Topic};
use crate::store::Store;
use base64::Engine;
use confide_protocol::chat::{Author, ConversationId, ConversationSummary, DraftText};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// The notification channel every node listens on.
pub const CHANNEL: &str = "confide_events";
/// How often a node catches up from the database and repeats its presence.
pub const CATCH_UP: Duration = Duration::from_secs(1);
/// A notification's payload at most (PostgreSQL's limit is 8000 bytes).
const MAX_PAYLOAD: usize = 7_000;
/// Events waiting for the sender before they are dropped (the others catch up).
const QUEUE: usize = 16_384;
/// Summaries a catch-up reads at most.
const CATCH_UP_SUMMARIES: u32 = 1_000;
/// How far back a catch-up looks for changed summaries beyond the last one: a commit can
/// land a little after the time it was stamped with.
const SUMMARY_OVERLAP_MS: i64 = 3_000;

/// One event as it crosses between nodes: ids and flags, a summary, or a sealed draft.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "k")]
enum Wire {
    /// A message stored up to `s` in conversation `c`.
    #[serde(rename = "m")]
    Message { c: i64, s: u64 },
    #[serde(rename = "t")]
    Typing { c: i64, op: bool, on: bool },
    /// `x`: the draft sealed with the bus key, base64.
    #[serde(rename = "d")]
    Draft { c: i64, x: String },
    #[serde(rename = "s")]
    Summary { v: ConversationSummary },
    #[serde(rename = "c")]
    Closed { c: i64 },
    /// Whether the sending node has operators online.
    #[serde(rename = "p")]
    Presence { on: bool },
    #[serde(rename = "e")]
    SessionEnded { s: u64 },
    #[serde(rename = "o")]
    OperatorChanged { o: i64 },
}

/// One notification: the sending node and its events.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    n: u64,
    e: Vec<Wire>,
}

fn draft_ad(conversation: i64) -> Vec<u8> {
    crate::crypto::ad("bus-draft", &conversation.to_string())
}

fn to_wire(event: &Event, hub: &Hub, key: &Secret) -> Option<Wire> {
    Some(match event {
        Event::Message {
            conversation,
            message,
        } => Wire::Message {
            c: conversation.0,
            s: message.seq,
        },
        Event::Typing {
            conversation,
            from,
            active,
        } => Wire::Typing {
            c: conversation.0,
            op: *from == Author::Operator,
            on: *active,
        },
        Event::Draft { conversation, text } => {
            let sealed =
                crate::crypto::seal(key, &draft_ad(conversation.0), text.as_str().as_bytes())
                    .ok()?;
            Wire::Draft {
                c: conversation.0,
                x: base64::engine::general_purpose::STANDARD_NO_PAD.encode(sealed),
            }
        }
        Event::Summary(v) => Wire::Summary { v: v.clone() },
        Event::Closed { conversation } => Wire::Closed { c: conversation.0 },
        Event::Presence { .. } => Wire::Presence {
            on: hub.local_operators_online(),
        },
        Event::SessionEnded { session } => Wire::SessionEnded { s: *session },
        Event::OperatorChanged { operator } => Wire::OperatorChanged { o: *operator },
    })
}

/// Starts the bridge of this node: its hub's events go out as notifications, the other
/// nodes' come in. Runs until the process ends.
pub fn start(store: Store, hub: Arc<Hub>, bus_key: Secret) -> anyhow::Result<()> {
    let pool = store
        .postgres_pool()
        .ok_or_else(|| anyhow::anyhow!("several nodes need a PostgreSQL database"))?;
    let node = u64::from_le_bytes(
        Secret::random()?.as_bytes()[..8]
            .try_into()
            .unwrap_or_default(),
    );
    let key = Arc::new(bus_key);
    let seen = Arc::new(Mutex::new(Seen {
        summaries_since: store.now_ms(),
        ..Seen::default()
    }));
    let (tx, rx) = mpsc::channel(QUEUE);
    hub.attach_bridge(tx);
    tokio::spawn(send(
        pool.clone(),
        Arc::clone(&hub),
        Arc::clone(&key),
        Arc::clone(&seen),
        node,
        rx,
    ));
    tokio::spawn(receive(pool, store, hub, key, seen, node));
    Ok(())
}

/// Sends what the hub published, as few notifications as fit: everything queued while the
/// last one went out goes into the next.
async fn send(
    pool: sqlx::PgPool,
    hub: Arc<Hub>,
    key: Arc<Secret>,
    seen: Arc<Mutex<Seen>>,
    node: u64,
    mut rx: mpsc::Receiver<Event>,
) {
    let mut heartbeat = tokio::time::interval(CATCH_UP);
    loop {
        let mut events = Vec::new();
        tokio::select! {
            got = rx.recv() => match got {
                Some(e) => events.push(e),
                None => return,
            },
            // Presence is repeated, so a node that started later, or missed a notification,
            // learns it; and a silent node stops counting.
            _ = heartbeat.tick() => {
                if hub.local_operators_online() {
                    events.push(Event::Presence { operators_online: true });
                }
            }
        }
        while let Ok(e) = rx.try_recv() {
            events.push(e);
            if events.len() >= 512 {
                break;
            }
        }
        // What this node's sockets got here, the catch-up need not read again.
        lock(&seen).saw_all(&events);
        let wires: Vec<Wire> = events
            .iter()
            .filter_map(|e| to_wire(e, &hub, &key))
            .collect();
        for payload in payloads(node, wires) {
            if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(&payload)
                .execute(&pool)
                .await
            {
                // The others catch up on their timer; nothing of the payload is logged.
                tracing::warn!(error = %crate::store::StoreError::from(e), "a notification to the other nodes failed");
            }
        }
    }
}

/// The wires as JSON payloads of at most [`MAX_PAYLOAD`] bytes; a wire too big on its own
/// (a long draft) is left out.
fn payloads(node: u64, wires: Vec<Wire>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<Wire> = Vec::new();
    let mut size = 0;
    for w in wires {
        let len = serde_json::to_string(&w).map_or(usize::MAX, |s| s.len() + 1);
        if len > MAX_PAYLOAD - 64 {
            continue;
        }
        if size + len > MAX_PAYLOAD - 64 && !current.is_empty() {
            out.extend(encode(node, std::mem::take(&mut current)));
            size = 0;
        }
        size += len;
        current.push(w);
    }
    if !current.is_empty() {
        out.extend(encode(node, current));
    }
    out
}

fn encode(node: u64, e: Vec<Wire>) -> Option<String> {
    serde_json::to_string(&Payload { n: node, e }).ok()
}

/// What this node has handed its sockets.
#[derive(Default)]
struct Seen {
    /// Per conversation watched here: the newest sequence number.
    seq: HashMap<ConversationId, u64>,
    /// Per conversation: the activity time of the newest summary (recent ones only).
    summaries: HashMap<ConversationId, i64>,
    /// Summaries changed since this time (unix ms) are read at the next catch-up.
    summaries_since: i64,
}

impl Seen {
    fn saw_all(&mut self, events: &[Event]) {
        for e in events {
            self.saw(e);
        }
    }

    fn saw(&mut self, event: &Event) {
        match event {
            Event::Message {
                conversation,
                message,
            } => {
                let seq = self.seq.entry(*conversation).or_default();
                *seq = (*seq).max(message.seq);
            }
            Event::Summary(s) => {
                self.summaries.insert(s.id, s.last_at);
            }
            _ => {}
        }
    }

    /// Whether `s` is news to the sockets here.
    fn new_summary(&self, s: &ConversationSummary) -> bool {
        self.summaries.get(&s.id) != Some(&s.last_at)
    }
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(|e| e.into_inner())
}

/// Listens for the other nodes' notifications, and catches up from the database on a timer
/// and after every reconnection.
async fn receive(
    pool: sqlx::PgPool,
    store: Store,
    hub: Arc<Hub>,
    key: Arc<Secret>,
    seen: Arc<Mutex<Seen>>,
    node: u64,
) {
    let mut timer = tokio::time::interval(CATCH_UP);
    let mut listener: Option<PgListener> = None;
    loop {
        if listener.is_none() {
            listener = listen(&pool).await;
            // Whatever was sent while no connection listened is read from the database.
            catch_up(&store, &hub, &seen).await;
        }
        let Some(l) = listener.as_mut() else {
            tokio::time::sleep(CATCH_UP).await;
            continue;
        };
        tokio::select! {
            got = l.try_recv() => match got {
                Ok(Some(n)) => {
                    if let Ok(p) = serde_json::from_str::<Payload>(n.payload()) {
                        if p.n != node {
                            for w in p.e {
                                apply(&store, &hub, &key, &seen, p.n, w).await;
                            }
                        }
                    }
                }
                // The connection was lost (it reconnects on the next call): catch up.
                Ok(None) => catch_up(&store, &hub, &seen).await,
                Err(e) => {
                    tracing::warn!(error = %crate::store::StoreError::from(e), "listening to the other nodes failed; retrying");
                    listener = None;
                    tokio::time::sleep(CATCH_UP).await;
                }
            },
            _ = timer.tick() => {
                catch_up(&store, &hub, &seen).await;
                hub.expire_remote_presence();
            }
        }
    }
}

async fn listen(pool: &sqlx::PgPool) -> Option<PgListener> {
    let mut l = PgListener::connect_with(pool).await.ok()?;
    l.listen(CHANNEL).await.ok()?;
    Some(l)
}

async fn apply(store: &Store, hub: &Hub, key: &Secret, seen: &Mutex<Seen>, from: u64, w: Wire) {
    match w {
        Wire::Message { c, s } => {
            let conversation = ConversationId(c);
            if hub.watchers(Topic::Conversation(conversation)) == 0 {
                return;
            }
            let after = lock(seen).seq.get(&conversation).copied().unwrap_or(0);
            if s > after {
                // The newest one; a socket that lacks the ones before reads them itself.
                deliver_after(store, hub, seen, conversation, after.max(s - 1)).await;
            }
        }
        Wire::Typing { c, op, on } => hub.deliver(Event::Typing {
            conversation: ConversationId(c),
            from: if op {
                Author::Operator
            } else {
                Author::Visitor
            },
            active: on,
        }),
        Wire::Draft { c, x } => {
            let opened = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(x)
                .ok()
                .and_then(|b| crate::crypto::open(key, &draft_ad(c), &b).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|t| DraftText::parse(&t).ok());
            if let Some(text) = opened {
                hub.deliver(Event::Draft {
                    conversation: ConversationId(c),
                    text,
                });
            }
        }
        Wire::Summary { v } => {
            let event = Event::Summary(v);
            lock(seen).saw(&event);
            hub.deliver(event);
        }
        Wire::Closed { c } => hub.deliver(Event::Closed {
            conversation: ConversationId(c),
        }),
        Wire::Presence { on } => hub.remote_presence(from, on),
        Wire::SessionEnded { s } => hub.deliver(Event::SessionEnded { session: s }),
        Wire::OperatorChanged { o } => hub.deliver(Event::OperatorChanged { operator: o }),
    }
}

/// Hands this node's sockets the messages of `conversation` after `after`.
async fn deliver_after(
    store: &Store,
    hub: &Hub,
    seen: &Mutex<Seen>,
    conversation: ConversationId,
    after: u64,
) {
    match store.messages_after(conversation, after).await {
        Ok(messages) => {
            for message in messages {
                let event = Event::Message {
                    conversation,
                    message,
                };
                lock(seen).saw(&event);
                hub.deliver(event);
            }
        }
        Err(e) => tracing::warn!(error = %e, "reading another node's message failed"),
    }
}

/// Reads from the database what this node's sockets may have missed: the messages of the
/// conversations they watch, and (for inboxes) the summaries that changed.
async fn catch_up(store: &Store, hub: &Hub, seen: &Mutex<Seen>) {
    let watched = hub.watched_conversations();
    lock(seen).seq.retain(|c, _| watched.contains(c));
    match store.last_seqs(&watched).await {
        Ok(rows) => {
            for (conversation, last) in rows {
                let known = lock(seen).seq.get(&conversation).copied();
                match known {
                    // First look: the sockets read what was there when they started watching,
                    // but the newest message may have committed just after that read (its
                    // notification then found nobody watching): hand it over; a socket
                    // that has it ignores it, one that lacks more reads the rest itself.
                    None => {
                        deliver_after(store, hub, seen, conversation, last.saturating_sub(1)).await;
                        let mut seen = lock(seen);
                        let seq = seen.seq.entry(conversation).or_default();
                        *seq = (*seq).max(last);
                    }
                    Some(known) if last > known => {
                        deliver_after(store, hub, seen, conversation, known).await;
                    }
                    Some(_) => {}
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "catching up from the database failed"),
    }
    let now = store.now_ms();
    let since = std::mem::replace(&mut lock(seen).summaries_since, now);
    if hub.watchers(Topic::Inbox) == 0 {
        return;
    }
    match store
        .summaries_since(since - SUMMARY_OVERLAP_MS, CATCH_UP_SUMMARIES)
        .await
    {
        Ok(summaries) => {
            let fresh: Vec<ConversationSummary> = {
                let mut seen = lock(seen);
                seen.summaries
                    .retain(|_, at| *at >= since - 2 * SUMMARY_OVERLAP_MS);
                summaries
                    .into_iter()
                    .filter(|s| seen.new_summary(s))
                    .collect()
            };
            for s in fresh {
                let event = Event::Summary(s);
                lock(seen).saw(&event);
                hub.deliver(event);
            }
        }
        Err(e) => tracing::warn!(error = %e, "catching up summaries failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_stay_under_the_limit_and_a_draft_travels_sealed() {
        let key = Secret::random().expect("key");
        let hub = Hub::new();
        let text = "canary-draft-text ".repeat(20);
        let event = Event::Draft {
            conversation: ConversationId(7),
            text: DraftText::parse(&text).expect("draft"),
        };
        let wire = to_wire(&event, &hub, &key).expect("wire");
        let json = serde_json::to_string(&wire).expect("json");
        assert!(!json.contains("canary"), "the draft is sealed");
        let wires = vec![wire; 100];
        let out = payloads(1, wires);
        assert!(out.len() > 1, "split into several notifications");
        let mut total = 0;
        for p in &out {
            assert!(p.len() <= MAX_PAYLOAD, "{}", p.len());
            total += serde_json::from_str::<Payload>(p).expect("parse").e.len();
        }
        assert_eq!(total, 100, "nothing lost in the split");
    }
}
