//! Fan-out between the sockets of one server process, by topic: one per conversation, one for
//! the operators' inbox (conversation summaries) and one for visitors (operator presence). A
//! socket holds one [`Subscription`] and watches the topics it needs: a visitor its
//! conversation and `Visitors`; an operator the inbox and the conversations it has open. A
//! published event wakes only the sockets that watch its topic, and each socket's form of it
//! is serialised once, for all of them ([`Published::encoded`]).
//!
//! Each subscription has a bounded queue. When it is full, the event is dropped for that
//! socket and the subscription is marked lagged; its next [`Subscription::recv`] says so, and
//! the socket resynchronises from the database (the stored rows are the truth), so a slow
//! socket is neither disconnected nor loses a message.
//!
//! Events carry ids and stored messages, never anything that is not already in the database,
//! with one exception: a visitor's draft for live preview, which lives only here, in memory,
//! on its way to the operators' sockets.
//!
//! With several nodes on PostgreSQL, [`crate::cluster`] attaches a bridge: what is published
//! here also goes to the other nodes, and what they publish is [`Hub::deliver`]ed here.

use axum::extract::ws::Utf8Bytes;
use confide_protocol::chat::{Author, ChatMessage, ConversationId, ConversationSummary, DraftText};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long another node's report of operators online holds without a new one.
pub const REMOTE_PRESENCE: Duration = Duration::from_secs(15);

/// Events a visitor's subscription queues before it is marked lagged: a visitor watches one
/// conversation.
pub const QUEUE: usize = 256;
/// The same for an operator, who watches every summary and many conversations (a catch-up
/// after a lag reads each of them, so it should be rare). Unused room costs nothing.
pub const OPERATOR_QUEUE: usize = 8192;

#[derive(Debug, Clone)]
pub enum Event {
    /// A newly stored message.
    Message {
        conversation: ConversationId,
        message: ChatMessage,
    },
    Typing {
        conversation: ConversationId,
        from: Author,
        active: bool,
    },
    /// Live preview: the visitor's unsent draft (standard mode with `live_preview` on only).
    Draft {
        conversation: ConversationId,
        text: DraftText,
    },
    /// A conversation appeared or changed.
    Summary(ConversationSummary),
    Closed {
        conversation: ConversationId,
    },
    Presence {
        operators_online: bool,
    },
    /// A console session was ended (signed out): its sockets close.
    SessionEnded {
        session: u64,
    },
    /// An operator was removed or changed: their sockets close (and sign in again).
    OperatorChanged {
        operator: i64,
    },
}

/// Where an event goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Everything about one conversation: its messages, typing, drafts, its end.
    Conversation(ConversationId),
    /// Conversation summaries, for operators' inboxes.
    Inbox,
    /// Whether an operator is online, for every visitor.
    Visitors,
    /// One console session (by [`session_topic`] of its token hash).
    Session(u64),
    /// Everything of one operator.
    Operator(i64),
}

/// A session's topic: the first 8 bytes of its token's SHA-256.
pub fn session_topic(token_hash: &[u8]) -> Topic {
    let mut first = [0u8; 8];
    for (to, from) in first.iter_mut().zip(token_hash) {
        *to = *from;
    }
    Topic::Session(u64::from_le_bytes(first))
}

impl Event {
    pub fn topic(&self) -> Topic {
        match self {
            Event::Message { conversation, .. }
            | Event::Typing { conversation, .. }
            | Event::Draft { conversation, .. }
            | Event::Closed { conversation } => Topic::Conversation(*conversation),
            Event::Summary(_) => Topic::Inbox,
            Event::Presence { .. } => Topic::Visitors,
            Event::SessionEnded { session } => Topic::Session(*session),
            Event::OperatorChanged { operator } => Topic::Operator(*operator),
        }
    }
}

/// Who reads an event: the two sockets speak different frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Visitor = 0,
    Operator = 1,
}

/// A published event with each audience's frame, serialised at most once.
#[derive(Debug)]
pub struct Published {
    pub event: Event,
    frames: [OnceLock<Option<Utf8Bytes>>; 2],
}

impl Published {
    pub fn new(event: Event) -> Self {
        Self {
            event,
            frames: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// The event as `audience`'s frame: `encode` runs for the first socket that asks, and
    /// every other socket of that audience gets the same bytes. `None`: no such frame.
    pub fn encoded(
        &self,
        audience: Audience,
        encode: impl FnOnce(&Event) -> Option<String>,
    ) -> Option<Utf8Bytes> {
        self.frames[audience as usize]
            .get_or_init(|| encode(&self.event).map(Utf8Bytes::from))
            .clone()
    }
}

/// One subscription's end of its queue.
#[derive(Debug)]
struct Mailbox {
    id: u64,
    tx: mpsc::Sender<Arc<Published>>,
    lagged: AtomicBool,
}

#[derive(Debug)]
pub struct Hub {
    topics: RwLock<HashMap<Topic, Vec<Arc<Mailbox>>>>,
    next_id: AtomicU64,
    operators: AtomicUsize,
    /// Other nodes that have operators online, by node id, with when they said so last.
    remote_online: Mutex<HashMap<u64, Instant>>,
    /// Where published events go on to the other nodes (several nodes only).
    bridge: OnceLock<mpsc::Sender<Event>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        Self {
            topics: RwLock::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            operators: AtomicUsize::new(0),
            remote_online: Mutex::new(HashMap::new()),
            bridge: OnceLock::new(),
        }
    }

    /// From now on, every published event is also sent to `bridge` (for the other nodes).
    /// When the bridge is full the event is dropped for them: they catch up from the
    /// database (messages, summaries) or it did not matter for long (typing, drafts).
    pub fn attach_bridge(&self, bridge: mpsc::Sender<Event>) {
        let _ = self.bridge.set(bridge);
    }

    /// A subscription that watches nothing yet, with a visitor's queue.
    pub fn subscribe(self: &Arc<Self>) -> Subscription {
        self.subscribe_with(QUEUE)
    }

    /// A subscription that queues up to `queue` events before it is marked lagged.
    pub fn subscribe_with(self: &Arc<Self>, queue: usize) -> Subscription {
        let (tx, rx) = mpsc::channel(queue);
        Subscription {
            hub: Arc::clone(self),
            mailbox: Arc::new(Mailbox {
                id: self.next_id.fetch_add(1, Ordering::Relaxed),
                tx,
                lagged: AtomicBool::new(false),
            }),
            rx,
            topics: HashSet::new(),
        }
    }

    /// Queues the event for every subscription that watches its topic, here and (with a
    /// bridge) on the other nodes.
    pub fn publish(&self, event: Event) {
        if let Some(bridge) = self.bridge.get() {
            let _ = bridge.try_send(event.clone());
        }
        self.deliver(event);
    }

    /// Queues the event for this node's subscriptions only (an event from another node).
    pub fn deliver(&self, event: Event) {
        let topic = event.topic();
        let published = Arc::new(Published::new(event));
        let topics = self.topics.read().unwrap_or_else(|e| e.into_inner());
        let Some(watchers) = topics.get(&topic) else {
            return;
        };
        for mailbox in watchers {
            if let Err(mpsc::error::TrySendError::Full(_)) =
                mailbox.tx.try_send(Arc::clone(&published))
            {
                mailbox.lagged.store(true, Ordering::Release);
            }
        }
    }

    /// A conversation ended (deleted, erased or restricted): its watchers are told, and when
    /// it was open, consoles see it closed.
    pub fn conversation_ended(
        &self,
        conversation: ConversationId,
        summary: Option<ConversationSummary>,
    ) {
        self.publish(Event::Closed { conversation });
        if let Some(mut s) = summary {
            s.open = false;
            self.publish(Event::Summary(s));
        }
    }

    /// How many subscriptions watch `topic` (for tests and the bench).
    pub fn watchers(&self, topic: Topic) -> usize {
        let topics = self.topics.read().unwrap_or_else(|e| e.into_inner());
        topics.get(&topic).map_or(0, Vec::len)
    }

    fn add(&self, topic: Topic, mailbox: &Arc<Mailbox>) {
        let mut topics = self.topics.write().unwrap_or_else(|e| e.into_inner());
        topics.entry(topic).or_default().push(Arc::clone(mailbox));
    }

    fn remove(&self, topic: Topic, id: u64) {
        let mut topics = self.topics.write().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = topics.get_mut(&topic) {
            list.retain(|m| m.id != id);
            if list.is_empty() {
                topics.remove(&topic);
            }
        }
    }

    /// Whether an operator is online on this node or (as another node said lately) on another.
    pub fn operators_online(&self) -> bool {
        self.local_operators_online() || self.remote_operators_online()
    }

    /// Whether an operator socket is open on this node.
    pub fn local_operators_online(&self) -> bool {
        self.operators.load(Ordering::SeqCst) > 0
    }

    fn remote_operators_online(&self) -> bool {
        let remote = self.remote_online.lock().unwrap_or_else(|e| e.into_inner());
        remote.values().any(|at| at.elapsed() < REMOTE_PRESENCE)
    }

    /// Another node says whether it has operators online. Visitors here hear of it when the
    /// overall answer changes.
    pub fn remote_presence(&self, node: u64, online: bool) {
        self.change_remote(|remote| {
            if online {
                remote.insert(node, Instant::now());
            } else {
                remote.remove(&node);
            }
        });
    }

    /// Reports from nodes that went quiet no longer count (a node that was killed).
    pub fn expire_remote_presence(&self) {
        self.change_remote(|_| {});
    }

    fn change_remote(&self, change: impl FnOnce(&mut HashMap<u64, Instant>)) {
        let before = self.operators_online();
        {
            let mut remote = self.remote_online.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut remote);
            remote.retain(|_, at| at.elapsed() < REMOTE_PRESENCE);
        }
        let after = self.operators_online();
        if before != after {
            self.deliver(Event::Presence {
                operators_online: after,
            });
        }
    }

    /// The conversations this node's sockets watch.
    pub fn watched_conversations(&self) -> Vec<ConversationId> {
        let topics = self.topics.read().unwrap_or_else(|e| e.into_inner());
        topics
            .keys()
            .filter_map(|t| match t {
                Topic::Conversation(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// Counts an operator socket until the guard is dropped.
    pub fn operator_connected(self: &Arc<Self>) -> OperatorPresence {
        if self.operators.fetch_add(1, Ordering::SeqCst) == 0 {
            self.publish(Event::Presence {
                operators_online: true,
            });
        }
        OperatorPresence(Arc::clone(self))
    }
}

/// What a subscription hands its socket next.
#[derive(Debug)]
pub enum Delivery {
    Event(Arc<Published>),
    /// Events were dropped because the queue was full: read the current state from the
    /// database. Whatever was still queued has been discarded (the database has it).
    Lagged,
}

/// One socket's view of the hub. Dropping it stops every watch.
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<Hub>,
    mailbox: Arc<Mailbox>,
    rx: mpsc::Receiver<Arc<Published>>,
    topics: HashSet<Topic>,
}

impl Subscription {
    /// Starts receiving `topic`'s events (from now on: watch before reading history).
    pub fn watch(&mut self, topic: Topic) {
        if self.topics.insert(topic) {
            self.hub.add(topic, &self.mailbox);
        }
    }

    pub fn unwatch(&mut self, topic: Topic) {
        if self.topics.remove(&topic) {
            self.hub.remove(topic, self.mailbox.id);
        }
    }

    pub fn watches(&self, topic: Topic) -> bool {
        self.topics.contains(&topic)
    }

    /// The next delivery; waits while there is none.
    pub async fn recv(&mut self) -> Delivery {
        if self.mailbox.lagged.swap(false, Ordering::Acquire) {
            while self.rx.try_recv().is_ok() {}
            return Delivery::Lagged;
        }
        match self.rx.recv().await {
            Some(p) => Delivery::Event(p),
            // The mailbox holds a sender for as long as this subscription lives.
            None => std::future::pending().await,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        for topic in std::mem::take(&mut self.topics) {
            self.hub.remove(topic, self.mailbox.id);
        }
    }
}

#[derive(Debug)]
pub struct OperatorPresence(Arc<Hub>);

impl Drop for OperatorPresence {
    fn drop(&mut self) {
        if self.0.operators.fetch_sub(1, Ordering::SeqCst) == 1 {
            // Still online when another node has operators.
            self.0.publish(Event::Presence {
                operators_online: self.0.operators_online(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confide_protocol::chat::{ClientMsgId, MessageText};

    fn message(conversation: i64, seq: u64) -> Event {
        Event::Message {
            conversation: ConversationId(conversation),
            message: ChatMessage {
                seq,
                id: ClientMsgId::parse(&format!("msg-{seq:08}")).expect("id"),
                author: Author::Visitor,
                author_name: None,
                text: MessageText::parse("hello").expect("text"),
                at: 0,
            },
        }
    }

    fn next_now(sub: &mut Subscription) -> Option<Delivery> {
        use futures_util::FutureExt;
        sub.recv().now_or_never()
    }

    fn seq_of(d: Option<Delivery>) -> Option<u64> {
        match d {
            Some(Delivery::Event(p)) => match &p.event {
                Event::Message { message, .. } => Some(message.seq),
                _ => None,
            },
            _ => None,
        }
    }

    #[test]
    fn presence_flips_on_first_operator_and_after_the_last_leaves() {
        let hub = Arc::new(Hub::new());
        let mut visitor = hub.subscribe();
        visitor.watch(Topic::Visitors);
        assert!(!hub.operators_online());
        let a = hub.operator_connected();
        let b = hub.operator_connected();
        assert!(hub.operators_online());
        drop(a);
        assert!(hub.operators_online());
        drop(b);
        assert!(!hub.operators_online());
        let mut flips = vec![];
        while let Some(Delivery::Event(p)) = next_now(&mut visitor) {
            if let Event::Presence { operators_online } = p.event {
                flips.push(operators_online);
            }
        }
        assert_eq!(flips, vec![true, false]);
    }

    #[test]
    fn events_reach_only_the_watchers_of_their_topic() {
        let hub = Arc::new(Hub::new());
        let mut one = hub.subscribe();
        let mut two = hub.subscribe();
        one.watch(Topic::Conversation(ConversationId(1)));
        two.watch(Topic::Conversation(ConversationId(2)));
        hub.publish(message(1, 1));
        hub.publish(message(2, 7));
        assert_eq!(seq_of(next_now(&mut one)), Some(1));
        assert!(next_now(&mut one).is_none(), "conversation 2 is not one's");
        assert_eq!(seq_of(next_now(&mut two)), Some(7));
        assert!(next_now(&mut two).is_none());
        two.unwatch(Topic::Conversation(ConversationId(2)));
        hub.publish(message(2, 8));
        assert!(next_now(&mut two).is_none(), "unwatched");
        drop(one);
        assert_eq!(hub.watchers(Topic::Conversation(ConversationId(1))), 0);
    }

    #[test]
    fn a_full_queue_marks_the_subscription_lagged_once() {
        let hub = Arc::new(Hub::new());
        let mut sub = hub.subscribe();
        sub.watch(Topic::Conversation(ConversationId(1)));
        for seq in 1..=(QUEUE as u64 + 5) {
            hub.publish(message(1, seq));
        }
        assert!(matches!(next_now(&mut sub), Some(Delivery::Lagged)));
        // The queue was discarded with it; what comes next is new.
        assert!(next_now(&mut sub).is_none());
        hub.publish(message(1, 999));
        assert_eq!(seq_of(next_now(&mut sub)), Some(999));
    }

    #[test]
    fn each_audience_frame_is_encoded_once() {
        let p = Published::new(message(1, 1));
        let mut calls = 0;
        for _ in 0..3 {
            let frame = p.encoded(Audience::Visitor, |_| {
                calls += 1;
                Some("v".into())
            });
            assert_eq!(frame.as_deref(), Some("v"));
        }
        assert_eq!(calls, 1);
        assert_eq!(p.encoded(Audience::Operator, |_| None), None);
    }
}
