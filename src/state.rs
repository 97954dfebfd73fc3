//! The widget's state: a yew [`Reducible`] driven by [`Action`], with no `web-sys` inside, so
//! every delivery rule (ordering by sequence, dedupe, acks, the outbox, unread counts, closed
//! conversations) is unit-tested natively.

use crate::privacy::{Confirm, Transcript};
use confide_protocol::chat::{
    Author, ChatMessage, ClientMsgId, ConversationId, MessageText, OperatorInfo,
    VisitorConversation,
};
use confide_protocol::ErrorBody;
use std::rc::Rc;
use yew::Reducible;

/// The visitor socket, as the widget shows it (`data-connection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connection {
    /// The first attempt, before any `welcome`.
    #[default]
    Connecting,
    /// A `welcome` arrived on the current socket.
    Online,
    /// The socket was lost; the next attempt is scheduled.
    Reconnecting,
}

impl Connection {
    /// The `data-connection` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Connecting => "connecting",
            Connection::Online => "online",
            Connection::Reconnecting => "reconnecting",
        }
    }
}

/// Where one message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Written here, not acknowledged yet: it sits in the outbox.
    Pending,
    /// Stored by the server: it has a sequence number.
    Sent,
}

impl Delivery {
    /// The `data-state` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Pending => "pending",
            Delivery::Sent => "sent",
        }
    }
}

/// One message as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: ClientMsgId,
    /// `None` while pending.
    pub seq: Option<u64>,
    /// Which conversation of this visitor it belongs to, counted from 0 in this page's life;
    /// it grows each time an operator closes one (sequence numbers restart in the next).
    pub epoch: u32,
    pub author: Author,
    pub author_name: Option<String>,
    pub text: MessageText,
    /// Server time, unix milliseconds, once stored.
    pub at: Option<i64>,
}

impl Message {
    pub fn delivery(&self) -> Delivery {
        if self.seq.is_some() {
            Delivery::Sent
        } else {
            Delivery::Pending
        }
    }

    fn stored(m: ChatMessage, epoch: u32) -> Self {
        Self {
            id: m.id,
            seq: Some(m.seq),
            epoch,
            author: m.author,
            author_name: m.author_name,
            text: m.text,
            at: Some(m.at),
        }
    }

    /// Sent messages by conversation then sequence; pending ones after all of them.
    fn order_key(&self) -> (u32, u64) {
        match self.seq {
            Some(seq) => (self.epoch, seq),
            None => (u32::MAX, u64::MAX),
        }
    }
}

/// Everything the widget shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChatState {
    pub connection: Connection,
    /// Some socket has been welcomed since the page loaded.
    pub welcomed: bool,
    /// Grows with every `welcome`, so effects can run once per session.
    pub session: u32,
    /// The open conversation, if the server told us of one.
    pub conversation: Option<ConversationId>,
    /// See [`Message::epoch`].
    pub epoch: u32,
    /// Ordered: see [`Message::order_key`].
    pub messages: Vec<Message>,
    /// Highest sequence seen in the current conversation (0: none).
    pub last_seq: u64,
    pub operator: Option<OperatorInfo>,
    pub operators_online: bool,
    pub operator_typing: bool,
    /// The visitor can see the widget (its panel is open and the page is visible).
    pub attention: bool,
    /// Operator messages that arrived while the visitor could not see the widget.
    pub unread: u32,
    /// An operator closed the conversation and nothing was written since.
    pub closed: bool,
    /// The last non-fatal error the server reported (its message is safe to show).
    pub notice: Option<ErrorBody>,
    /// The server says this widget does not exist: stop trying.
    pub unavailable: bool,
    /// The privacy panel is open over the chat.
    pub privacy_open: bool,
    /// What the server stores, as its last `transcript` said (`None` until it answers).
    pub transcript: Option<Rc<Transcript>>,
    /// The panel asks the visitor to confirm this before it goes out.
    pub confirm: Option<Confirm>,
    /// The panel's list of every conversation under the visitor's token, newest first, as
    /// far as it is loaded (`None` until the server answers).
    pub history: Option<Rc<History>>,
    /// The conversation the panel shows and deletes: `None` for the current one.
    pub selected: Option<ConversationId>,
}

/// Pages of the visitor's conversations, as the server listed them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct History {
    pub list: Vec<VisitorConversation>,
    /// Older ones remain (ask with `before` = the last id).
    pub more: bool,
}

/// A message restored from the outbox in session storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: ClientMsgId,
    pub text: MessageText,
}

/// The first letter of the first two words, as written: the avatar upper-cases them with CSS.
/// (The protocol's `initials` upper-cases in Rust, which pulls Unicode case tables, about
/// 12 KB, into the bundle.)
pub fn initials_of(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Pending messages saved before a reload.
    Restore(Vec<Outgoing>),
    /// The visitor wrote a message; it waits in the outbox until acknowledged.
    Queue(Outgoing),
    Welcome {
        conversation: Option<ConversationId>,
        operators_online: bool,
        operator: Option<OperatorInfo>,
    },
    /// A stored message, replayed or live.
    Received(ChatMessage),
    Acked {
        id: ClientMsgId,
        seq: u64,
        at: i64,
    },
    OperatorTyping(bool),
    Presence(bool),
    Closed(ConversationId),
    ServerError(ErrorBody),
    /// The socket closed or failed; a reconnect is scheduled.
    Disconnected,
    /// The widget does not exist (any more).
    Unavailable,
    /// Whether the visitor can see the widget.
    Attention(bool),
    /// The privacy panel opened (it asks for a fresh transcript) or closed.
    Privacy(bool),
    /// The panel's confirm step for a destructive action, or back from it.
    Confirm(Option<Confirm>),
    Transcript(Transcript),
    /// A page of the visitor's conversations (the first when the panel has none yet).
    History(Vec<VisitorConversation>, bool),
    /// The panel shows this conversation (`None`: the current one).
    Select(Option<ConversationId>),
    /// The server deleted a conversation: the current one (or `None`) empties the chat and
    /// closes the panel; another leaves the list.
    Deleted(Option<ConversationId>),
    /// Consent withdrawn: everything goes, as if the page had just loaded.
    Reset,
}

impl ChatState {
    /// A fresh state; `attention` starts true because the iframe exists only once opened.
    pub fn new() -> Self {
        Self {
            attention: true,
            ..Self::default()
        }
    }

    /// The messages waiting for an acknowledgement, oldest first.
    pub fn outbox(&self) -> Vec<Outgoing> {
        self.messages
            .iter()
            .filter(|m| m.seq.is_none())
            .map(|m| Outgoing {
                id: m.id.clone(),
                text: m.text.clone(),
            })
            .collect()
    }

    /// The `last_seq` to put in `hello`: `None` for a fresh conversation.
    pub fn resume_from(&self) -> Option<u64> {
        (self.last_seq > 0).then_some(self.last_seq)
    }

    /// When no operator is online and no conversation exists yet, the widget offers the
    /// leave-a-message form instead of the chat.
    pub fn offers_leave_message(&self) -> bool {
        self.welcomed
            && !self.operators_online
            && self.conversation.is_none()
            && self.messages.is_empty()
    }

    /// Inserts keeping the order: after every message whose key is not greater, so pending
    /// messages (all with the largest key) stay in the order they were written.
    fn insert_ordered(&mut self, m: Message) {
        let key = m.order_key();
        let at = self.messages.partition_point(|x| x.order_key() <= key);
        self.messages.insert(at, m);
    }

    /// A pending message got its sequence number: it moves to its place among the sent ones.
    fn settle(&mut self, i: usize, seq: u64, at: i64) {
        let mut m = self.messages.remove(i);
        m.seq = Some(seq);
        m.at = Some(at);
        m.epoch = self.epoch;
        self.last_seq = self.last_seq.max(seq);
        self.insert_ordered(m);
    }

    fn position_of(&self, id: &ClientMsgId) -> Option<usize> {
        self.messages.iter().position(|m| &m.id == id)
    }

    fn learn_operator(&mut self, name: &str) {
        if self.operator.as_ref().map(|o| o.name.as_str()) != Some(name) {
            self.operator = Some(OperatorInfo {
                name: name.to_owned(),
                initials: initials_of(name),
            });
        }
    }

    fn receive(&mut self, m: ChatMessage) {
        if let Some(i) = self.position_of(&m.id) {
            // Our own pending message, stored (its ack was lost or is still on its way):
            // it becomes sent. Anything else we already have is a replay: nothing changes.
            if self.messages[i].seq.is_none() {
                self.settle(i, m.seq, m.at);
            }
            return;
        }
        let epoch = self.epoch;
        if self
            .messages
            .iter()
            .any(|x| x.epoch == epoch && x.seq == Some(m.seq))
        {
            return;
        }
        self.last_seq = self.last_seq.max(m.seq);
        if m.author == Author::Operator {
            self.operator_typing = false;
            if let Some(name) = m.author_name.as_deref() {
                self.learn_operator(name);
            }
            if !self.attention {
                self.unread = self.unread.saturating_add(1);
            }
        }
        self.closed = false;
        self.insert_ordered(Message::stored(m, epoch));
    }

    fn queue(&mut self, out: Outgoing) {
        if self.position_of(&out.id).is_some() {
            return;
        }
        self.closed = false;
        self.insert_ordered(Message {
            id: out.id,
            seq: None,
            epoch: self.epoch,
            author: Author::Visitor,
            author_name: None,
            text: out.text,
            at: None,
        });
    }

    /// The conversation we knew of is over: later sequence numbers belong to a new one.
    fn next_epoch(&mut self) {
        self.epoch += 1;
        self.last_seq = 0;
        self.conversation = None;
        self.operator_typing = false;
    }
}

impl Reducible for ChatState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Restore(list) => {
                for out in list {
                    s.queue(out);
                }
            }
            Action::Queue(out) => s.queue(out),
            Action::Welcome {
                conversation,
                operators_online,
                operator,
            } => {
                // A different conversation than the one shown (closed or expired while we were
                // away): what we show belongs to an earlier one.
                if s.conversation.is_some() && conversation != s.conversation {
                    s.next_epoch();
                }
                s.conversation = conversation;
                s.connection = Connection::Online;
                s.welcomed = true;
                s.session = s.session.wrapping_add(1);
                s.operators_online = operators_online;
                if let Some(op) = operator {
                    s.operator = Some(op);
                }
                s.unavailable = false;
            }
            Action::Received(m) => s.receive(m),
            Action::Acked { id, seq, at } => {
                if let Some(i) = s.position_of(&id) {
                    if s.messages[i].seq.is_none() {
                        s.settle(i, seq, at);
                    }
                }
                s.notice = None;
            }
            Action::OperatorTyping(active) => s.operator_typing = active,
            Action::Presence(online) => s.operators_online = online,
            Action::Closed(c) => {
                if s.conversation.is_none() || s.conversation == Some(c) {
                    s.next_epoch();
                    s.closed = true;
                }
            }
            Action::ServerError(e) => s.notice = Some(e),
            Action::Disconnected => {
                s.connection = Connection::Reconnecting;
                s.operator_typing = false;
            }
            Action::Unavailable => s.unavailable = true,
            Action::Attention(seen) => {
                s.attention = seen;
                if seen {
                    s.unread = 0;
                }
            }
            Action::Privacy(open) => {
                s.privacy_open = open;
                s.transcript = None;
                s.confirm = None;
                s.history = None;
                s.selected = None;
            }
            Action::Confirm(step) => s.confirm = step.filter(|_| s.privacy_open),
            Action::Transcript(t) => {
                // Only the conversation the panel shows (an answer for one selected before
                // is dropped).
                if s.privacy_open && (s.selected.is_none() || s.selected == t.conversation) {
                    // A part after the first: its messages continue the transcript so far.
                    let merged = match s.transcript.take() {
                        Some(so_far) if so_far.more && so_far.conversation == t.conversation => {
                            let mut whole = (*so_far).clone();
                            whole.messages.extend(t.messages);
                            whole.more = t.more;
                            whole
                        }
                        _ => t,
                    };
                    s.transcript = Some(Rc::new(merged));
                }
            }
            Action::History(page, more) => {
                if s.privacy_open {
                    let mut h = s.history.as_deref().cloned().unwrap_or_default();
                    for c in page {
                        if !h.list.iter().any(|x| x.id == c.id) {
                            h.list.push(c);
                        }
                    }
                    h.more = more;
                    // After a close, the next conversation's id reaches the widget only here:
                    // the visitor's one open conversation that is not a left message.
                    if s.conversation.is_none() && !s.closed && !s.messages.is_empty() {
                        s.conversation = h.list.iter().find(|c| c.open && !c.offline).map(|c| c.id);
                    }
                    s.history = Some(Rc::new(h));
                }
            }
            Action::Select(c) => {
                let c = c.filter(|c| Some(*c) != s.conversation);
                if c != s.selected {
                    s.selected = c;
                    s.transcript = None;
                    s.confirm = None;
                }
            }
            Action::Deleted(Some(c)) if Some(c) != s.conversation => {
                if let Some(h) = &s.history {
                    let mut h = (**h).clone();
                    h.list.retain(|x| x.id != c);
                    s.history = Some(Rc::new(h));
                }
                if s.selected == Some(c) {
                    s.selected = None;
                    s.transcript = None;
                }
                s.confirm = None;
            }
            Action::Deleted(_) => {
                s.next_epoch();
                s.messages.clear();
                s.closed = false;
                s.unread = 0;
                s.privacy_open = false;
                s.transcript = None;
                s.confirm = None;
                s.history = None;
                s.selected = None;
            }
            Action::Reset => {
                s = ChatState {
                    attention: s.attention,
                    ..ChatState::new()
                }
            }
        }
        if s == *self {
            self
        } else {
            Rc::new(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ClientMsgId {
        ClientMsgId::parse(&format!("{s:0>8}")).expect("id")
    }

    fn text(s: &str) -> MessageText {
        MessageText::parse(s).expect("text")
    }

    fn stored(seq: u64, msg_id: &str, author: Author, body: &str) -> ChatMessage {
        ChatMessage {
            seq,
            id: id(msg_id),
            author,
            author_name: (author == Author::Operator).then(|| "Ada Lovelace".to_owned()),
            text: text(body),
            at: 1_000 + seq as i64,
        }
    }

    fn run(actions: impl IntoIterator<Item = Action>) -> Rc<ChatState> {
        actions
            .into_iter()
            .fold(Rc::new(ChatState::new()), |s, a| s.reduce(a))
    }

    fn welcome(conversation: Option<i64>, online: bool) -> Action {
        Action::Welcome {
            conversation: conversation.map(ConversationId),
            operators_online: online,
            operator: None,
        }
    }

    fn queue(msg_id: &str, body: &str) -> Action {
        Action::Queue(Outgoing {
            id: id(msg_id),
            text: text(body),
        })
    }

    fn seqs(s: &ChatState) -> Vec<Option<u64>> {
        s.messages.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn messages_are_ordered_by_sequence_whatever_order_they_arrive_in() {
        let s = run([
            welcome(Some(1), true),
            Action::Received(stored(3, "c", Author::Operator, "three")),
            Action::Received(stored(1, "a", Author::Visitor, "one")),
            Action::Received(stored(2, "b", Author::Operator, "two")),
        ]);
        assert_eq!(seqs(&s), vec![Some(1), Some(2), Some(3)]);
        assert_eq!(s.last_seq, 3);
        assert_eq!(s.resume_from(), Some(3));
    }

    #[test]
    fn a_replayed_message_is_not_shown_twice() {
        let s = run([
            Action::Received(stored(1, "a", Author::Operator, "hi")),
            Action::Received(stored(1, "a", Author::Operator, "hi")),
            // Same sequence under another id (cannot happen on a sane server): still once.
            Action::Received(stored(1, "z", Author::Operator, "hi")),
        ]);
        assert_eq!(s.messages.len(), 1);
    }

    #[test]
    fn an_ack_turns_a_pending_message_into_a_sent_one_with_its_sequence() {
        let s = run([welcome(None, true), queue("m1", "hello")]);
        assert_eq!(s.messages[0].delivery(), Delivery::Pending);
        assert_eq!(s.outbox().len(), 1);
        let s = s.reduce(Action::Acked {
            id: id("m1"),
            seq: 4,
            at: 9,
        });
        assert_eq!(s.messages[0].delivery(), Delivery::Sent);
        assert_eq!(s.messages[0].seq, Some(4));
        assert!(s.outbox().is_empty());
        assert_eq!(s.last_seq, 4);
    }

    #[test]
    fn our_own_message_echoed_or_replayed_after_its_ack_is_not_duplicated() {
        let s = run([
            queue("m1", "hello"),
            Action::Acked {
                id: id("m1"),
                seq: 1,
                at: 5,
            },
            Action::Received(stored(1, "m1", Author::Visitor, "hello")),
        ]);
        assert_eq!(s.messages.len(), 1);
        assert_eq!(s.messages[0].seq, Some(1));
    }

    #[test]
    fn a_replayed_message_whose_ack_was_lost_settles_the_pending_one() {
        let s = run([
            queue("m1", "hello"),
            Action::Disconnected,
            welcome(Some(7), true),
            Action::Received(stored(1, "m1", Author::Visitor, "hello")),
        ]);
        assert_eq!(s.messages.len(), 1);
        assert_eq!(s.messages[0].delivery(), Delivery::Sent);
        assert!(s.outbox().is_empty());
        // A late duplicate ack changes nothing.
        let again = s.clone().reduce(Action::Acked {
            id: id("m1"),
            seq: 1,
            at: 5,
        });
        assert!(Rc::ptr_eq(&s, &again));
    }

    #[test]
    fn pending_messages_stay_after_sent_ones_in_the_order_written() {
        let s = run([
            queue("p1", "first"),
            queue("p2", "second"),
            Action::Received(stored(1, "o1", Author::Operator, "hi")),
        ]);
        let ids: Vec<_> = s
            .messages
            .iter()
            .map(|m| m.id.as_str().to_owned())
            .collect();
        assert_eq!(ids, vec!["000000o1", "000000p1", "000000p2"]);
        let out: Vec<_> = s.outbox().into_iter().map(|o| o.id).collect();
        assert_eq!(out, vec![id("p1"), id("p2")]);
    }

    #[test]
    fn restoring_the_outbox_twice_or_queueing_a_known_id_adds_nothing() {
        let saved = vec![Outgoing {
            id: id("p1"),
            text: text("saved"),
        }];
        let s = run([
            Action::Restore(saved.clone()),
            Action::Restore(saved),
            queue("p1", "saved"),
        ]);
        assert_eq!(s.messages.len(), 1);
        assert_eq!(s.outbox().len(), 1);
    }

    #[test]
    fn connection_goes_connecting_online_reconnecting_online() {
        let s = Rc::new(ChatState::new());
        assert_eq!(s.connection.as_str(), "connecting");
        let s = s.reduce(welcome(None, true));
        assert_eq!(s.connection.as_str(), "online");
        let s = s.reduce(Action::OperatorTyping(true));
        let s = s.reduce(Action::Disconnected);
        assert_eq!(s.connection.as_str(), "reconnecting");
        assert!(!s.operator_typing, "typing is forgotten with the socket");
        let s = s.reduce(welcome(None, true));
        assert_eq!(s.connection, Connection::Online);
        assert_eq!(s.session, 2);
    }

    #[test]
    fn operator_messages_count_as_unread_only_while_the_widget_is_not_seen() {
        let s = run([
            welcome(Some(1), true),
            Action::Received(stored(1, "a", Author::Operator, "seen")),
        ]);
        assert_eq!(s.unread, 0);
        let s = s
            .reduce(Action::Attention(false))
            .reduce(Action::Received(stored(2, "b", Author::Operator, "one")))
            .reduce(Action::Received(stored(3, "c", Author::Visitor, "mine")))
            .reduce(Action::Received(stored(4, "d", Author::Operator, "two")))
            .reduce(Action::Received(stored(4, "d", Author::Operator, "two")));
        assert_eq!(s.unread, 2);
        let s = s.reduce(Action::Attention(true));
        assert_eq!(s.unread, 0);
    }

    #[test]
    fn the_operator_is_learnt_from_welcome_or_from_their_messages() {
        let s = run([Action::Received(stored(1, "a", Author::Operator, "hi"))]);
        let op = s.operator.clone().expect("operator");
        assert_eq!(op.name, "Ada Lovelace");
        assert_eq!(op.initials, "AL");
        let s = run([Action::Welcome {
            conversation: None,
            operators_online: true,
            operator: Some(OperatorInfo {
                name: "Grace".into(),
                initials: "G".into(),
            }),
        }]);
        assert_eq!(s.operator.as_ref().map(|o| o.name.as_str()), Some("Grace"));
    }

    #[test]
    fn initials_are_the_first_letters_of_two_words_as_the_protocol_takes_them() {
        for name in [
            "Ada Lovelace Byron",
            "Zoë",
            "",
            "  grace   hopper ",
            "Émile Zola",
        ] {
            assert_eq!(
                initials_of(name).to_uppercase(),
                confide_protocol::chat::initials(name),
                "{name}"
            );
        }
    }

    #[test]
    fn an_operator_message_ends_their_typing_indicator() {
        let s = run([
            Action::OperatorTyping(true),
            Action::Received(stored(1, "a", Author::Operator, "done")),
        ]);
        assert!(!s.operator_typing);
    }

    #[test]
    fn a_closed_conversation_keeps_its_messages_and_sequences_restart_in_the_next() {
        let s = run([
            welcome(Some(1), true),
            Action::Received(stored(1, "a", Author::Visitor, "old")),
            Action::Received(stored(2, "b", Author::Operator, "bye")),
            Action::Closed(ConversationId(1)),
        ]);
        assert!(s.closed);
        assert_eq!(s.conversation, None);
        assert_eq!(s.resume_from(), None);
        let s = s.reduce(queue("n1", "new question")).reduce(Action::Acked {
            id: id("n1"),
            seq: 1,
            at: 9,
        });
        assert!(!s.closed);
        assert_eq!(s.messages.len(), 3, "seq 1 of the new conversation is new");
        assert_eq!(s.messages[2].epoch, 1);
        assert_eq!(s.messages[2].seq, Some(1));
        // The server echoes it back: no duplicate.
        let s = s.reduce(Action::Received(stored(
            1,
            "n1",
            Author::Visitor,
            "new question",
        )));
        assert_eq!(s.messages.len(), 3);
    }

    #[test]
    fn closing_another_conversation_changes_nothing() {
        let s = run([welcome(Some(1), true), Action::Closed(ConversationId(2))]);
        assert!(!s.closed);
        assert_eq!(s.conversation, Some(ConversationId(1)));
    }

    #[test]
    fn a_welcome_into_a_different_conversation_starts_a_new_epoch() {
        let s = run([
            welcome(Some(1), true),
            Action::Received(stored(1, "a", Author::Operator, "hi")),
            Action::Disconnected,
            welcome(Some(2), true),
            Action::Received(stored(1, "b", Author::Operator, "hello again")),
        ]);
        assert_eq!(s.messages.len(), 2);
        assert_eq!(s.messages[1].epoch, 1);
    }

    #[test]
    fn leave_a_message_is_offered_only_offline_and_before_any_conversation() {
        assert!(
            !ChatState::new().offers_leave_message(),
            "not before welcome"
        );
        assert!(run([welcome(None, false)]).offers_leave_message());
        assert!(!run([welcome(None, true)]).offers_leave_message());
        assert!(!run([welcome(Some(3), false)]).offers_leave_message());
        assert!(!run([welcome(None, false), queue("p1", "hi")]).offers_leave_message());
        let s = run([welcome(None, false), Action::Presence(true)]);
        assert!(!s.offers_leave_message());
    }

    #[test]
    fn server_errors_are_kept_until_the_next_ack() {
        use confide_protocol::ErrorCode;
        let s = run([
            queue("p1", "hi"),
            Action::ServerError(ErrorBody::new(ErrorCode::Invalid, "nope")),
        ]);
        assert_eq!(s.notice.as_ref().map(|e| e.code), Some(ErrorCode::Invalid));
        let s = s.reduce(Action::Acked {
            id: id("p1"),
            seq: 1,
            at: 1,
        });
        assert!(s.notice.is_none());
    }

    #[test]
    fn an_action_that_changes_nothing_keeps_the_same_state() {
        let s = run([welcome(None, true)]);
        let same = s.clone().reduce(Action::Presence(true));
        assert!(Rc::ptr_eq(&s, &same));
    }

    #[test]
    fn a_transcript_in_parts_is_put_back_together() {
        let part = |from: u64, to: u64, more: bool| Transcript {
            messages: (from..=to)
                .map(|seq| stored(seq, &format!("m{seq}"), Author::Visitor, "hi"))
                .collect(),
            more,
            ..transcript(0)
        };
        let s = run([
            welcome(Some(3), true),
            Action::Privacy(true),
            Action::Transcript(part(1, 2, true)),
            Action::Transcript(part(3, 4, true)),
            Action::Transcript(part(5, 5, false)),
        ]);
        let t = s.transcript.as_ref().expect("transcript");
        assert!(!t.more);
        let seqs: Vec<u64> = t.messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
        // A complete one is replaced by the next export, not added to.
        let s = run([
            welcome(Some(3), true),
            Action::Privacy(true),
            Action::Transcript(part(1, 2, false)),
            Action::Transcript(part(1, 2, false)),
        ]);
        assert_eq!(s.transcript.as_ref().expect("t").messages.len(), 2);
    }

    fn transcript(n: u64) -> Transcript {
        Transcript {
            conversation: Some(ConversationId(3)),
            messages: (1..=n)
                .map(|seq| stored(seq, &format!("m{seq}"), Author::Visitor, "hi"))
                .collect(),
            receipt: None,
            details: None,
            more: false,
        }
    }

    #[test]
    fn the_privacy_panel_keeps_a_transcript_only_while_open_and_confirms_only_inside_it() {
        let s = run([welcome(Some(3), true), Action::Transcript(transcript(2))]);
        assert_eq!(s.transcript, None, "not asked for");
        let s = s.reduce(Action::Confirm(Some(Confirm::Delete)));
        assert_eq!(s.confirm, None, "no confirm step without the panel");

        let s = run([
            welcome(Some(3), true),
            Action::Privacy(true),
            Action::Transcript(transcript(2)),
            Action::Confirm(Some(Confirm::Withdraw)),
        ]);
        assert!(s.privacy_open);
        assert_eq!(s.transcript.as_ref().map(|t| t.messages.len()), Some(2));
        assert_eq!(s.confirm, Some(Confirm::Withdraw));
        let s = s.reduce(Action::Confirm(None));
        assert_eq!(s.confirm, None);
        let s = s
            .reduce(Action::Confirm(Some(Confirm::Delete)))
            .reduce(Action::Privacy(false));
        assert!(!s.privacy_open);
        assert_eq!((s.transcript.clone(), s.confirm), (None, None));
        // Reopening asks again: the old transcript is not shown meanwhile.
        let s = s
            .reduce(Action::Privacy(true))
            .reduce(Action::Transcript(transcript(1)))
            .reduce(Action::Privacy(true));
        assert_eq!(s.transcript, None);
    }

    fn listed(id: i64, open: bool) -> VisitorConversation {
        VisitorConversation {
            id: ConversationId(id),
            open,
            offline: false,
            started_at: 1,
            last_at: 2,
            messages: 3,
        }
    }

    fn history_ids(s: &ChatState) -> Vec<i64> {
        s.history
            .as_ref()
            .map(|h| h.list.iter().map(|c| c.id.0).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_panel_lists_every_conversation_page_by_page_and_shows_the_one_picked() {
        let s = run([
            welcome(Some(3), true),
            Action::History(vec![listed(3, true)], false),
        ]);
        assert_eq!(s.history, None, "not asked for");
        let s = run([
            welcome(Some(3), true),
            Action::Privacy(true),
            Action::History(vec![listed(3, true), listed(2, false)], true),
            Action::History(vec![listed(2, false), listed(1, false)], false),
        ]);
        assert_eq!(history_ids(&s), vec![3, 2, 1], "pages follow on, once each");
        assert!(!s.history.as_ref().expect("history").more);

        // Picking another conversation drops what was shown and waits for its transcript.
        let s = s
            .reduce(Action::Transcript(transcript(2)))
            .reduce(Action::Confirm(Some(Confirm::Delete)))
            .reduce(Action::Select(Some(ConversationId(1))));
        assert_eq!(s.selected, Some(ConversationId(1)));
        assert_eq!((s.transcript.clone(), s.confirm), (None, None));
        // The current conversation's late answer is not shown as conversation 1's.
        let s = s.reduce(Action::Transcript(transcript(2)));
        assert_eq!(s.transcript, None);
        let s = s.reduce(Action::Transcript(Transcript {
            conversation: Some(ConversationId(1)),
            ..transcript(4)
        }));
        assert_eq!(s.transcript.as_ref().map(|t| t.messages.len()), Some(4));
        // Picking the current one is the same as picking none.
        let s = s.reduce(Action::Select(Some(ConversationId(3))));
        assert_eq!(s.selected, None);
        // Closing the panel forgets the list and the pick.
        let s = s
            .reduce(Action::Select(Some(ConversationId(2))))
            .reduce(Action::Privacy(false));
        assert_eq!((s.history.clone(), s.selected), (None, None));
    }

    #[test]
    fn the_list_tells_the_chat_its_conversation_after_a_close() {
        let open = |id| VisitorConversation {
            offline: false,
            ..listed(id, true)
        };
        let left = |id| VisitorConversation {
            offline: true,
            ..listed(id, true)
        };
        let s = run([
            welcome(Some(3), true),
            Action::Closed(ConversationId(3)),
            queue("p1", "again"),
            Action::Acked {
                id: id("p1"),
                seq: 1,
                at: 5,
            },
            Action::Privacy(true),
            Action::History(vec![left(5), open(4), listed(3, false)], false),
        ]);
        assert_eq!(
            s.conversation,
            Some(ConversationId(4)),
            "not the left message"
        );
        // Deleting it now empties the chat, as deleting the current one does.
        let s = s.reduce(Action::Deleted(Some(ConversationId(4))));
        assert!(s.messages.is_empty() && !s.privacy_open);
        // With nothing written since the close, no conversation is the chat's.
        let s = run([
            welcome(Some(3), true),
            Action::Received(stored(1, "m1", Author::Visitor, "hi")),
            Action::Closed(ConversationId(3)),
            Action::Privacy(true),
            Action::History(vec![open(4)], false),
        ]);
        assert_eq!(s.conversation, None);
    }

    #[test]
    fn deleting_another_conversation_keeps_the_chat_and_removes_it_from_the_list() {
        let s = run([
            welcome(Some(3), true),
            Action::Received(stored(1, "m1", Author::Visitor, "hi")),
            Action::Privacy(true),
            Action::History(
                vec![listed(3, true), listed(2, false), listed(1, false)],
                false,
            ),
            Action::Select(Some(ConversationId(2))),
            Action::Confirm(Some(Confirm::Delete)),
            Action::Deleted(Some(ConversationId(2))),
        ]);
        assert_eq!(history_ids(&s), vec![3, 1]);
        assert_eq!((s.selected, s.confirm), (None, None));
        assert!(s.privacy_open, "the panel stays");
        assert_eq!(s.messages.len(), 1, "the chat is untouched");
        assert_eq!(s.conversation, Some(ConversationId(3)));
        // The current one empties the chat and closes the panel.
        let s = s.reduce(Action::Deleted(Some(ConversationId(3))));
        assert!(s.messages.is_empty() && !s.privacy_open);
        assert_eq!(s.history, None);
    }

    #[test]
    fn after_deleted_the_chat_is_empty_and_the_next_message_starts_a_new_conversation() {
        let s = run([
            welcome(Some(3), true),
            Action::Received(stored(1, "m1", Author::Visitor, "hi")),
            Action::Received(stored(2, "m2", Author::Operator, "hello")),
            queue("p1", "pending"),
            Action::Attention(false),
            Action::Received(stored(3, "m3", Author::Operator, "unseen")),
            Action::OperatorTyping(true),
            Action::Privacy(true),
            Action::Transcript(transcript(3)),
            Action::Confirm(Some(Confirm::Delete)),
            Action::Deleted(Some(ConversationId(3))),
        ]);
        assert!(s.messages.is_empty());
        assert!(s.outbox().is_empty());
        assert_eq!(
            (s.conversation, s.last_seq, s.resume_from()),
            (None, 0, None)
        );
        assert_eq!(s.unread, 0);
        assert!(!s.operator_typing && !s.closed);
        assert!(!s.privacy_open);
        assert_eq!((s.transcript.clone(), s.confirm), (None, None));
        assert!(s.welcomed, "still connected");
        assert_eq!(s.connection, Connection::Online);

        // The next conversation's seq 1 is new, not a replay of the deleted one.
        let s = s
            .reduce(queue("n1", "again"))
            .reduce(Action::Acked {
                id: id("n1"),
                seq: 1,
                at: 9,
            })
            .reduce(Action::Received(stored(2, "n2", Author::Operator, "back")));
        assert_eq!(seqs(&s), vec![Some(1), Some(2)]);
        assert_eq!(s.messages[0].text.as_str(), "again");
    }

    #[test]
    fn after_withdrawn_everything_is_forgotten() {
        let s = run([
            welcome(Some(3), true),
            Action::Received(stored(1, "m1", Author::Operator, "hello")),
            queue("p1", "pending"),
            Action::Privacy(true),
            Action::Confirm(Some(Confirm::Withdraw)),
            Action::Reset,
        ]);
        assert_eq!(*s, ChatState::new());
        let hidden = run([Action::Attention(false), queue("p1", "x"), Action::Reset]);
        assert!(
            !hidden.attention,
            "whether the widget is seen does not change"
        );
        assert!(hidden.messages.is_empty());
    }
}
