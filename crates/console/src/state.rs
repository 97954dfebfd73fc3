//! The console's state: a yew [`Reducible`] driven by [`Action`], with no `web-sys` inside, so
//! every rule here (dedupe, acks, inbox order, unread counts, the outbox) is tested natively.

use confide_protocol::chat::{
    Author, ChatMessage, ClientMsgId, ConversationId, ConversationSummary, InboxCursor,
    MessageText, OperatorInfo, OperatorMe, OperatorServer, ReceiptInfo,
};
use confide_protocol::details::VisitorDetails;
use confide_protocol::roles::{Permissions, TranscriptAccess};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::rc::Rc;
use yew::Reducible;

/// Whether we know who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// Asking `GET /api/operator/me` whether the session cookie is still good.
    #[default]
    Checking,
    SignedOut,
    SignedIn(OperatorMe),
}

/// Which page of the console is shown. Every page but the inbox and the sessions needs a
/// permission of the signed-in operator's role ([`Page::allowed`]); the server checks it anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Page {
    #[default]
    Inbox,
    /// Widget settings and embed snippets: `settings`.
    Widgets,
    /// Routers and their rules: `settings`.
    Routers,
    /// Every conversation, searched (issue 14): `transcripts` read; exported, erased,
    /// restricted: `transcripts` edit.
    History,
    /// Everything held on one person, for their request: `transcripts` read (edit to export
    /// or erase).
    Person,
    /// The hash-chained audit log: `audit`.
    Audit,
    /// Roles and their permissions (issue 15): `operators`.
    Roles,
    /// The operator's own console sessions (issue 15): everyone; everyone's sessions too
    /// with `operators`.
    Sessions,
    /// Operator accounts (issue 15): `operators`.
    Operators,
    /// The operator's own password and authenticator app (issue 15): everyone.
    Account,
}

impl Page {
    /// Every page, in the navigation's order.
    pub const ALL: [Page; 10] = [
        Page::Inbox,
        Page::Widgets,
        Page::Routers,
        Page::History,
        Page::Person,
        Page::Audit,
        Page::Operators,
        Page::Roles,
        Page::Sessions,
        Page::Account,
    ];

    /// Whether a role with these permissions may see this page.
    pub fn allowed(self, p: &Permissions) -> bool {
        match self {
            Page::Inbox | Page::Sessions | Page::Account => true,
            Page::Widgets | Page::Routers => p.settings,
            Page::History | Page::Person => p.transcripts >= TranscriptAccess::Read,
            Page::Audit => p.audit,
            Page::Roles | Page::Operators => p.operators,
        }
    }

    /// Its navigation link's text.
    pub fn label(self) -> &'static str {
        match self {
            Page::Inbox => "Inbox",
            Page::Widgets => "Widgets",
            Page::Routers => "Routers",
            Page::History => "History",
            Page::Person => "Find a person",
            Page::Audit => "Audit log",
            Page::Roles => "Roles",
            Page::Sessions => "Sessions",
            Page::Operators => "Operators",
            Page::Account => "Account",
        }
    }

    /// Its navigation link's `data-testid`.
    pub fn testid(self) -> &'static str {
        match self {
            Page::Inbox => "nav-inbox",
            Page::Widgets => "nav-widgets",
            Page::Routers => "nav-routers",
            Page::History => "nav-history",
            Page::Person => "nav-person",
            Page::Audit => "nav-audit",
            Page::Roles => "nav-roles",
            Page::Sessions => "nav-sessions",
            Page::Operators => "nav-operators",
            Page::Account => "nav-account",
        }
    }
}

/// What nobody signed in may do.
static NO_PERMISSIONS: Permissions = Permissions {
    transcripts: TranscriptAccess::None,
    settings: false,
    operators: false,
    audit: false,
    api_tokens: false,
    second_factor: false,
    widgets: Vec::new(),
};

/// The operator socket, as the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connection {
    /// Not signed in, or the socket is being opened for the first time.
    #[default]
    Connecting,
    Open,
    /// Lost; the next attempt starts in `retry_ms`.
    Waiting {
        retry_ms: u32,
    },
}

/// Where one message stands, from this console's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Written here, not acknowledged yet (it sits in the outbox).
    Pending,
    /// Stored by the server: it has a sequence number.
    Sent,
    /// Given up: the conversation closed before the server acknowledged it.
    Failed,
}

impl Delivery {
    /// The `data-state` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Pending => "pending",
            Delivery::Sent => "sent",
            Delivery::Failed => "failed",
        }
    }
}

/// One message as the conversation view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    pub id: ClientMsgId,
    /// `None` until the server has stored it.
    pub seq: Option<u64>,
    pub author: Author,
    pub author_name: Option<String>,
    pub text: MessageText,
    /// Server time, unix milliseconds, once stored.
    pub at: Option<i64>,
    pub delivery: Delivery,
}

impl MessageView {
    fn stored(m: ChatMessage) -> Self {
        Self {
            id: m.id,
            seq: Some(m.seq),
            author: m.author,
            author_name: m.author_name,
            text: m.text,
            at: Some(m.at),
            delivery: Delivery::Sent,
        }
    }
}

/// The messages of one conversation: stored ones ordered by `seq`, then pending ones in the
/// order they were written. No two share a `seq` or a client id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Thread {
    messages: Vec<MessageView>,
}

impl Thread {
    pub fn messages(&self) -> &[MessageView] {
        &self.messages
    }

    /// The highest sequence number received, the `last_seq` to resume from.
    pub fn last_seq(&self) -> Option<u64> {
        self.messages.iter().filter_map(|m| m.seq).max()
    }

    /// Adds a stored message from the server, unless it is already here. A pending message
    /// with the same client id (our own reply, echoed before its ack) becomes sent.
    fn receive(&mut self, m: ChatMessage) {
        if self.messages.iter().any(|x| x.seq == Some(m.seq)) {
            return;
        }
        if let Some(mine) = self.messages.iter_mut().find(|x| x.id == m.id) {
            if mine.seq.is_none() {
                mine.seq = Some(m.seq);
                mine.at = Some(m.at);
                mine.delivery = Delivery::Sent;
                self.sort();
            }
            return;
        }
        self.messages.push(MessageView::stored(m));
        self.sort();
    }

    fn push_pending(&mut self, id: ClientMsgId, text: MessageText, author_name: Option<String>) {
        if self.messages.iter().any(|x| x.id == id) {
            return;
        }
        self.messages.push(MessageView {
            id,
            seq: None,
            author: Author::Operator,
            author_name,
            text,
            at: None,
            delivery: Delivery::Pending,
        });
    }

    fn ack(&mut self, id: &ClientMsgId, seq: u64, at: i64) {
        // A message already stored under this seq (echoed with a different id) would be a
        // server bug; keep the stored one and drop the pending copy rather than show both.
        let taken = self
            .messages
            .iter()
            .any(|x| x.seq == Some(seq) && &x.id != id);
        if taken {
            self.messages.retain(|x| &x.id != id || x.seq.is_some());
            return;
        }
        if let Some(mine) = self.messages.iter_mut().find(|x| &x.id == id) {
            mine.seq = Some(seq);
            mine.at = Some(at);
            mine.delivery = Delivery::Sent;
            self.sort();
        }
    }

    fn fail_pending(&mut self) {
        for m in &mut self.messages {
            if m.delivery == Delivery::Pending {
                m.delivery = Delivery::Failed;
            }
        }
    }

    /// Stored messages by seq; unsent ones keep their relative order after them
    /// (`sort_by_key` is stable).
    fn sort(&mut self) {
        self.messages.sort_by_key(|m| (m.seq.is_none(), m.seq));
    }
}

/// A reply waiting for its ack. Resent with the same id after a reconnect, so the server
/// stores it once however often it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub conversation: ConversationId,
    pub id: ClientMsgId,
    pub text: MessageText,
}

/// Everything the console shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConsoleState {
    pub auth: Auth,
    /// What the server calls this operator (from the socket's `hello`).
    pub operator: Option<OperatorInfo>,
    pub connection: Connection,
    /// Goes up by one each time the socket opens: effects that must run once per connection
    /// (re-open the selected conversation, resend the outbox) depend on it.
    pub epoch: u64,
    inbox: HashMap<ConversationId, ConversationSummary>,
    /// True once the first `inbox` frame arrived: conversations seen after that are new.
    inbox_loaded: bool,
    /// Where the older open conversations begin, when the inbox has not shown them all.
    pub inbox_more: Option<InboxCursor>,
    pub selected: Option<ConversationId>,
    threads: HashMap<ConversationId, Rc<Thread>>,
    /// Conversations whose visitor is typing right now.
    typing: HashMap<ConversationId, bool>,
    /// Consent receipts of conversations opened on this socket.
    receipts: HashMap<ConversationId, ReceiptInfo>,
    /// Pre-chat fields and (standard mode) page context of conversations opened here.
    details: HashMap<ConversationId, VisitorDetails>,
    /// Live preview: the visitor's unsent draft, while there is one.
    previews: HashMap<ConversationId, String>,
    pub outbox: Vec<Outgoing>,
    /// Unsent reply text per conversation.
    drafts: HashMap<ConversationId, String>,
    /// Goes up by one for each thing worth a sound: a new conversation, or a visitor message
    /// in a conversation the operator is not looking at.
    pub alerts: u64,
    /// The last error the server reported on the socket, until dismissed.
    pub notice: Option<String>,
    /// False while the console's tab is hidden: then nothing on screen counts as seen.
    pub page_hidden: bool,
    /// The page shown; only ever one the operator's role allows ([`ConsoleState::may_show`]).
    pub page: Page,
}

/// Everything that changes the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `GET /api/operator/me` or login answered with this operator.
    SignedIn(OperatorMe),
    /// `GET /api/operator/me` again, after the operator changed their own account (an
    /// authenticator added or removed): the same operator is updated in place, the page and
    /// the conversations kept. Anyone else, or a change of `must_enrol`, starts afresh as
    /// [`Action::SignedIn`].
    Refreshed(OperatorMe),
    /// No valid session (401, logout, or the socket refused us). Forgets everything.
    SignedOut,
    /// The socket opened.
    Connected,
    /// The socket closed; the next attempt is in `retry_ms`.
    Disconnected {
        retry_ms: u32,
    },
    /// A frame from `/ws/operator`.
    Server(OperatorServer),
    Select(ConversationId),
    /// The operator wrote a reply (already validated); it goes into the outbox.
    Reply {
        conversation: ConversationId,
        id: ClientMsgId,
        text: MessageText,
    },
    Draft {
        conversation: ConversationId,
        text: String,
    },
    /// We told the server the operator has read `conversation` up to `seq`.
    MarkedRead {
        conversation: ConversationId,
        seq: u64,
    },
    DismissNotice,
    /// The tab was hidden (`true`) or shown again.
    PageHidden(bool),
    /// Switch pages; a page the operator's role does not allow is refused (the inbox stays).
    ShowPage(Page),
}

impl Reducible for ConsoleState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.apply(action);
        Rc::new(state)
    }
}

impl ConsoleState {
    /// A fresh state for a known operator (used by tests and previews).
    pub fn for_operator(me: OperatorMe) -> Self {
        Self {
            auth: Auth::SignedIn(me),
            ..Self::default()
        }
    }

    pub fn apply(&mut self, action: Action) {
        match action {
            // A new session starts from nothing; only the tab's visibility carries over.
            Action::SignedIn(me) => {
                *self = Self {
                    auth: Auth::SignedIn(me),
                    page_hidden: self.page_hidden,
                    ..Self::default()
                };
            }
            Action::Refreshed(me) => match &mut self.auth {
                Auth::SignedIn(old) if old.id == me.id && old.must_enrol == me.must_enrol => {
                    *old = me;
                    if !self.may_show(self.page) {
                        self.page = Page::Inbox;
                    }
                }
                _ => self.apply(Action::SignedIn(me)),
            },
            Action::SignedOut => {
                *self = Self {
                    auth: Auth::SignedOut,
                    page_hidden: self.page_hidden,
                    ..Self::default()
                };
            }
            Action::Connected => {
                self.connection = Connection::Open;
                self.epoch += 1;
            }
            Action::Disconnected { retry_ms } => {
                self.connection = Connection::Waiting { retry_ms };
                // Nobody can be seen typing through a dead socket.
                self.typing.clear();
            }
            Action::Server(frame) => self.server(frame),
            Action::Select(id) => {
                self.selected = Some(id);
                // Closed conversations stay listed only while they are being looked at.
                self.inbox.retain(|k, c| c.open || *k == id);
            }
            Action::Reply {
                conversation,
                id,
                text,
            } => {
                let name = self.operator_name();
                self.thread_mut(conversation)
                    .push_pending(id.clone(), text.clone(), name);
                if !self.outbox.iter().any(|o| o.id == id) {
                    self.outbox.push(Outgoing {
                        conversation,
                        id,
                        text,
                    });
                }
                self.drafts.remove(&conversation);
            }
            Action::Draft { conversation, text } => {
                if text.is_empty() {
                    self.drafts.remove(&conversation);
                } else {
                    self.drafts.insert(conversation, text);
                }
            }
            Action::MarkedRead { conversation, seq } => {
                if let Some(c) = self.inbox.get_mut(&conversation) {
                    if seq >= c.last_seq {
                        c.unread = 0;
                    }
                }
            }
            Action::DismissNotice => self.notice = None,
            Action::PageHidden(hidden) => self.page_hidden = hidden,
            Action::ShowPage(page) => {
                if self.may_show(page) {
                    self.page = page;
                }
            }
        }
    }

    fn server(&mut self, frame: OperatorServer) {
        match frame {
            OperatorServer::Hello { operator } => self.operator = Some(operator),
            OperatorServer::InboxMore { before } => self.inbox_more = Some(before),
            OperatorServer::InboxPage {
                conversations,
                more,
            } => {
                // Older conversations; a summary that arrived meanwhile is newer than the page.
                for c in conversations {
                    self.inbox.entry(c.id).or_insert(c);
                }
                self.inbox_more = more;
            }
            OperatorServer::Inbox { conversations } => {
                // The first page; an `inbox_more` follows when there are older ones.
                self.inbox_more = None;
                let mut fresh: HashMap<_, _> =
                    conversations.into_iter().map(|c| (c.id, c)).collect();
                if self.inbox_loaded && fresh.keys().any(|id| !self.inbox.contains_key(id)) {
                    // Conversations that started while we were reconnecting.
                    self.alerts += 1;
                }
                // The inbox lists open conversations: the one on screen, if missing, closed.
                if let Some(id) = self.selected {
                    if let (Entry::Vacant(slot), Some(mut c)) =
                        (fresh.entry(id), self.inbox.remove(&id))
                    {
                        c.open = false;
                        slot.insert(c);
                    }
                }
                self.inbox = fresh;
                self.inbox_loaded = true;
                for id in self.closed_ids() {
                    self.conversation_closed(id);
                }
            }
            OperatorServer::Conversation { conversation } => {
                let id = conversation.id;
                let viewing = self.viewing(id);
                let news = match self.inbox.get(&id) {
                    None => conversation.open,
                    Some(old) => conversation.unread > old.unread && !viewing,
                };
                if news && self.inbox_loaded {
                    self.alerts += 1;
                }
                let open = conversation.open;
                let selected = self.selected == Some(id);
                if open || selected {
                    self.inbox.insert(id, conversation);
                } else {
                    self.inbox.remove(&id);
                }
                if !open {
                    self.conversation_closed(id);
                }
            }
            OperatorServer::Message {
                conversation,
                message,
            } => {
                if message.author == Author::Visitor {
                    self.typing.remove(&conversation);
                    self.previews.remove(&conversation);
                }
                let seq = message.seq;
                let at = message.at;
                self.thread_mut(conversation).receive(message);
                // Keep the summary's high-water mark in step even before its own frame.
                if let Some(c) = self.inbox.get_mut(&conversation) {
                    if seq > c.last_seq {
                        c.last_seq = seq;
                        c.last_at = c.last_at.max(at);
                    }
                }
            }
            OperatorServer::Ack {
                conversation,
                id,
                seq,
                at,
            } => {
                self.outbox.retain(|o| o.id != id);
                self.thread_mut(conversation).ack(&id, seq, at);
            }
            OperatorServer::Typing {
                conversation,
                active,
            } => {
                if active {
                    self.typing.insert(conversation, true);
                } else {
                    self.typing.remove(&conversation);
                }
            }
            OperatorServer::Receipt {
                conversation,
                receipt,
            } => {
                self.receipts.insert(conversation, receipt);
            }
            OperatorServer::Details {
                conversation,
                details,
            } => {
                self.details.insert(conversation, details);
            }
            OperatorServer::Draft { conversation, text } => {
                if text.as_str().trim().is_empty() {
                    self.previews.remove(&conversation);
                } else {
                    self.previews.insert(conversation, text.as_str().to_owned());
                }
            }
            OperatorServer::Pong => {}
            OperatorServer::Error { error } => self.notice = Some(error.message),
        }
    }

    /// What the signed-in operator's role may do; nothing while signed out, nor while they
    /// must enrol a second factor first (the server refuses everything else until then).
    pub fn permissions(&self) -> &Permissions {
        match &self.auth {
            Auth::SignedIn(me) if !me.must_enrol => &me.permissions,
            _ => &NO_PERMISSIONS,
        }
    }

    /// Signed in, but the role requires a second factor and none is enrolled: the console
    /// shows only the enrolment and Sign out, and opens no socket.
    pub fn must_enrol(&self) -> bool {
        matches!(&self.auth, Auth::SignedIn(me) if me.must_enrol)
    }

    /// Signed in and free to use the console: the operator socket may open.
    pub fn live(&self) -> bool {
        self.signed_in() && !self.must_enrol()
    }

    /// Widgets, routers and retention.
    pub fn may_change_settings(&self) -> bool {
        self.permissions().settings
    }

    /// The history, closed transcripts and "Find a person", read-only.
    pub fn may_read_transcripts(&self) -> bool {
        self.permissions().transcripts >= TranscriptAccess::Read
    }

    /// Export, erase, rectify, restrict and lift.
    pub fn may_edit_transcripts(&self) -> bool {
        self.permissions().transcripts >= TranscriptAccess::Edit
    }

    pub fn may_read_audit(&self) -> bool {
        self.permissions().audit
    }

    /// Operator accounts and roles.
    pub fn may_manage_operators(&self) -> bool {
        self.permissions().operators
    }

    /// Whether the console shows this page to the signed-in operator (none while they must
    /// enrol a second factor).
    pub fn may_show(&self, page: Page) -> bool {
        !self.must_enrol() && page.allowed(self.permissions())
    }

    /// The pages the navigation links to, in order.
    pub fn pages(&self) -> Vec<Page> {
        Page::ALL
            .into_iter()
            .filter(|&p| self.may_show(p))
            .collect()
    }

    fn operator_name(&self) -> Option<String> {
        match (&self.operator, &self.auth) {
            (Some(info), _) => Some(info.name.clone()),
            (None, Auth::SignedIn(me)) => Some(me.name.clone()),
            _ => None,
        }
    }

    fn closed_ids(&self) -> Vec<ConversationId> {
        self.inbox
            .values()
            .filter(|c| !c.open)
            .map(|c| c.id)
            .collect()
    }

    /// Replies that can no longer be delivered are taken out of the outbox and shown as failed.
    fn conversation_closed(&mut self, id: ConversationId) {
        self.typing.remove(&id);
        self.previews.remove(&id);
        let before = self.outbox.len();
        self.outbox.retain(|o| o.conversation != id);
        if self.outbox.len() != before {
            if let Some(t) = self.threads.get_mut(&id) {
                Rc::make_mut(t).fail_pending();
            }
        }
    }

    fn thread_mut(&mut self, id: ConversationId) -> &mut Thread {
        Rc::make_mut(self.threads.entry(id).or_default())
    }

    /// The inbox: open conversations first, then the most recent, then the newest id.
    pub fn inbox(&self) -> Vec<&ConversationSummary> {
        let mut list: Vec<_> = self.inbox.values().collect();
        list.sort_by(|a, b| {
            b.open
                .cmp(&a.open)
                .then(b.last_at.cmp(&a.last_at))
                .then(b.id.cmp(&a.id))
        });
        list
    }

    /// Whether the operator is looking at this conversation right now.
    pub fn viewing(&self, id: ConversationId) -> bool {
        self.selected == Some(id) && !self.page_hidden
    }

    pub fn conversation(&self, id: ConversationId) -> Option<&ConversationSummary> {
        self.inbox.get(&id)
    }

    pub fn thread(&self, id: ConversationId) -> Option<&Thread> {
        self.threads.get(&id).map(|t| &**t)
    }

    /// The consent receipt the conversation was started under, once it has been opened.
    pub fn receipt(&self, id: ConversationId) -> Option<&ReceiptInfo> {
        self.receipts.get(&id)
    }

    /// What the visitor filled in and where they came from, once the conversation is opened.
    pub fn details(&self, id: ConversationId) -> Option<&VisitorDetails> {
        self.details.get(&id)
    }

    /// The visitor's unsent draft (live preview), if they are writing one.
    pub fn preview(&self, id: ConversationId) -> Option<&str> {
        self.previews.get(&id).map(String::as_str)
    }

    pub fn visitor_typing(&self, id: ConversationId) -> bool {
        self.typing.get(&id).copied().unwrap_or(false)
    }

    pub fn draft(&self, id: ConversationId) -> &str {
        self.drafts.get(&id).map(String::as_str).unwrap_or("")
    }

    /// Unread visitor messages over all open conversations, for the document title.
    pub fn total_unread(&self) -> u64 {
        self.inbox
            .values()
            .filter(|c| c.open)
            .map(|c| c.unread)
            .sum()
    }

    pub fn signed_in(&self) -> bool {
        matches!(self.auth, Auth::SignedIn(_))
    }
}

/// The document title for `unread` unread messages.
pub fn title(unread: u64) -> String {
    if unread == 0 {
        "Confide console".to_owned()
    } else {
        format!("({unread}) Confide console")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confide_protocol::{ErrorBody, ErrorCode, WidgetKey};

    fn id(s: &str) -> ClientMsgId {
        ClientMsgId::parse(&format!("{s:0>8}")).expect("client id")
    }

    fn text(s: &str) -> MessageText {
        MessageText::parse(s).expect("text")
    }

    fn msg(seq: u64, client: &str, author: Author) -> ChatMessage {
        ChatMessage {
            seq,
            id: id(client),
            author,
            author_name: None,
            text: text(&format!("message {seq}")),
            at: 1_000 + seq as i64,
        }
    }

    fn summary(n: i64, open: bool, unread: u64, last_at: i64) -> ConversationSummary {
        ConversationSummary {
            id: ConversationId(n),
            widget: WidgetKey::parse("demo").expect("key"),
            open,
            last_seq: unread,
            unread,
            last_at,
            offline: false,
        }
    }

    fn me() -> OperatorMe {
        OperatorMe {
            id: 1,
            name: "Ada".into(),
            alias: "Ada".into(),
            role: "agent".into(),
            permissions: Permissions::agent(),
            totp: false,
            passkeys: 0,
            must_enrol: false,
        }
    }

    /// An operator whose role has these permissions (named anything but `admin`: the name
    /// decides nothing).
    fn with(permissions: Permissions) -> ConsoleState {
        ConsoleState::for_operator(OperatorMe {
            role: "custom".into(),
            permissions,
            ..me()
        })
    }

    fn state() -> ConsoleState {
        ConsoleState::for_operator(me())
    }

    fn run(state: ConsoleState, actions: impl IntoIterator<Item = Action>) -> ConsoleState {
        let mut rc = Rc::new(state);
        for a in actions {
            rc = rc.reduce(a);
        }
        Rc::unwrap_or_clone(rc)
    }

    fn message(conv: i64, m: ChatMessage) -> Action {
        Action::Server(OperatorServer::Message {
            conversation: ConversationId(conv),
            message: m,
        })
    }

    fn seqs(s: &ConsoleState, conv: i64) -> Vec<Option<u64>> {
        s.thread(ConversationId(conv))
            .expect("thread")
            .messages()
            .iter()
            .map(|m| m.seq)
            .collect()
    }

    #[test]
    fn a_receipt_frame_is_kept_for_its_conversation_only() {
        let receipt = ReceiptInfo {
            language: "de".into(),
            version: 2,
            text_sha256: "ab".repeat(32),
            policy_url: Some("https://example.com/privacy".into()),
            at: 1,
            withdrawn_at: None,
        };
        let s = run(
            state(),
            [Action::Server(OperatorServer::Receipt {
                conversation: ConversationId(7),
                receipt: receipt.clone(),
            })],
        );
        assert_eq!(s.receipt(ConversationId(7)), Some(&receipt));
        assert_eq!(s.receipt(ConversationId(8)), None);
    }

    #[test]
    fn details_are_kept_and_the_preview_follows_the_draft_until_the_message_arrives() {
        use confide_protocol::chat::DraftText;
        let details = VisitorDetails {
            name: Some("Ada".into()),
            page: Some("https://shop.example/pricing".into()),
            ..VisitorDetails::default()
        };
        let draft = |text: &str| {
            Action::Server(OperatorServer::Draft {
                conversation: ConversationId(1),
                text: DraftText::parse(text).expect("draft"),
            })
        };
        let s = run(
            state(),
            [
                Action::Server(OperatorServer::Details {
                    conversation: ConversationId(1),
                    details: details.clone(),
                }),
                draft("Hel"),
                draft("Hello th"),
            ],
        );
        assert_eq!(s.details(ConversationId(1)), Some(&details));
        assert_eq!(s.preview(ConversationId(1)), Some("Hello th"));
        let cleared = run(s.clone(), [draft("")]);
        assert_eq!(cleared.preview(ConversationId(1)), None);
        let sent = run(s, [message(1, msg(1, "hello", Author::Visitor))]);
        assert_eq!(sent.preview(ConversationId(1)), None);
    }

    #[test]
    fn messages_are_ordered_by_seq_and_replays_are_dropped() {
        let s = run(
            state(),
            [
                message(1, msg(2, "b", Author::Visitor)),
                message(1, msg(1, "a", Author::Visitor)),
                message(1, msg(3, "c", Author::Operator)),
                // A replay after reconnect, and the same seq under another id.
                message(1, msg(2, "b", Author::Visitor)),
                message(1, msg(3, "zzz", Author::Visitor)),
            ],
        );
        assert_eq!(seqs(&s, 1), vec![Some(1), Some(2), Some(3)]);
        assert_eq!(
            s.thread(ConversationId(1)).and_then(Thread::last_seq),
            Some(3)
        );
    }

    #[test]
    fn a_reply_is_pending_until_its_ack_and_leaves_the_outbox() {
        let conv = ConversationId(7);
        let s = run(
            state(),
            [
                message(7, msg(1, "v1", Author::Visitor)),
                Action::Reply {
                    conversation: conv,
                    id: id("r1"),
                    text: text("hello"),
                },
            ],
        );
        let mine = &s.thread(conv).expect("thread").messages()[1];
        assert_eq!(mine.delivery, Delivery::Pending);
        assert_eq!(mine.seq, None);
        assert_eq!(mine.author_name.as_deref(), Some("Ada"));
        assert_eq!(s.outbox.len(), 1);

        let s = run(
            s,
            [Action::Server(OperatorServer::Ack {
                conversation: conv,
                id: id("r1"),
                seq: 2,
                at: 5,
            })],
        );
        let mine = &s.thread(conv).expect("thread").messages()[1];
        assert_eq!(mine.delivery, Delivery::Sent);
        assert_eq!((mine.seq, mine.at), (Some(2), Some(5)));
        assert!(s.outbox.is_empty());
    }

    #[test]
    fn our_reply_echoed_before_its_ack_is_shown_once() {
        let conv = ConversationId(7);
        let s = run(
            state(),
            [
                Action::Reply {
                    conversation: conv,
                    id: id("r1"),
                    text: text("hello"),
                },
                message(7, msg(4, "r1", Author::Operator)),
                Action::Server(OperatorServer::Ack {
                    conversation: conv,
                    id: id("r1"),
                    seq: 4,
                    at: 9,
                }),
            ],
        );
        let t = s.thread(conv).expect("thread");
        assert_eq!(t.messages().len(), 1);
        assert_eq!(t.messages()[0].delivery, Delivery::Sent);
        assert_eq!(t.messages()[0].seq, Some(4));
        assert!(s.outbox.is_empty());
    }

    #[test]
    fn pending_replies_stay_after_stored_messages_in_writing_order() {
        let conv = ConversationId(3);
        let s = run(
            state(),
            [
                Action::Reply {
                    conversation: conv,
                    id: id("r1"),
                    text: text("one"),
                },
                Action::Reply {
                    conversation: conv,
                    id: id("r2"),
                    text: text("two"),
                },
                // The same reply twice (a double submit) is one message.
                Action::Reply {
                    conversation: conv,
                    id: id("r2"),
                    text: text("two"),
                },
                message(3, msg(1, "v1", Author::Visitor)),
            ],
        );
        let ids: Vec<_> = s
            .thread(conv)
            .expect("thread")
            .messages()
            .iter()
            .map(|m| m.id.clone())
            .collect();
        assert_eq!(ids, vec![id("v1"), id("r1"), id("r2")]);
        assert_eq!(s.outbox.len(), 2);
        // The outbox survives a reconnect: it is only emptied by acks.
        let s = run(
            s,
            [Action::Disconnected { retry_ms: 500 }, Action::Connected],
        );
        assert_eq!(s.outbox.len(), 2);
        assert_eq!(s.epoch, 1);
    }

    #[test]
    fn older_inbox_pages_add_to_the_inbox_without_undoing_newer_summaries() {
        let cursor = |n: i64| InboxCursor {
            last_at: n,
            id: ConversationId(n),
        };
        let s = run(
            state(),
            [
                Action::Server(OperatorServer::Inbox {
                    conversations: vec![summary(3, true, 1, 300)],
                }),
                Action::Server(OperatorServer::InboxMore { before: cursor(3) }),
                // Conversation 2 got a message meanwhile: its summary is newer than the page's.
                Action::Server(OperatorServer::Conversation {
                    conversation: summary(2, true, 5, 400),
                }),
            ],
        );
        assert_eq!(s.inbox_more, Some(cursor(3)));
        let s = run(
            s,
            [Action::Server(OperatorServer::InboxPage {
                conversations: vec![summary(2, true, 1, 200), summary(1, true, 1, 100)],
                more: None,
            })],
        );
        assert_eq!(s.inbox_more, None);
        let order: Vec<_> = s.inbox().iter().map(|c| (c.id.0, c.unread)).collect();
        assert_eq!(order, vec![(2, 5), (3, 1), (1, 1)]);
        // A new connection's first page starts over.
        let s = run(
            s,
            [Action::Server(OperatorServer::Inbox {
                conversations: vec![summary(3, true, 1, 300)],
            })],
        );
        assert_eq!(s.inbox_more, None);
    }

    #[test]
    fn inbox_lists_open_conversations_first_then_most_recent() {
        let s = run(
            state(),
            [Action::Server(OperatorServer::Inbox {
                conversations: vec![
                    summary(1, true, 0, 100),
                    summary(2, true, 1, 300),
                    summary(3, true, 0, 200),
                ],
            })],
        );
        let order: Vec<_> = s.inbox().iter().map(|c| c.id.0).collect();
        assert_eq!(order, vec![2, 3, 1]);

        // Conversation 1 gets a new message: it moves to the top.
        let s = run(
            s,
            [Action::Server(OperatorServer::Conversation {
                conversation: summary(1, true, 1, 400),
            })],
        );
        let order: Vec<_> = s.inbox().iter().map(|c| c.id.0).collect();
        assert_eq!(order, vec![1, 2, 3]);
    }

    #[test]
    fn a_closed_conversation_stays_listed_only_while_selected() {
        let s = run(
            state(),
            [
                Action::Server(OperatorServer::Inbox {
                    conversations: vec![summary(1, true, 0, 100), summary(2, true, 0, 50)],
                }),
                Action::Select(ConversationId(1)),
                Action::Server(OperatorServer::Conversation {
                    conversation: summary(1, false, 0, 500),
                }),
                Action::Server(OperatorServer::Conversation {
                    conversation: summary(2, false, 0, 600),
                }),
            ],
        );
        let order: Vec<_> = s.inbox().iter().map(|c| (c.id.0, c.open)).collect();
        assert_eq!(order, vec![(1, false)]);
        let s = run(
            s,
            [
                Action::Server(OperatorServer::Conversation {
                    conversation: summary(3, true, 1, 700),
                }),
                Action::Select(ConversationId(3)),
            ],
        );
        let order: Vec<_> = s.inbox().iter().map(|c| c.id.0).collect();
        assert_eq!(order, vec![3]);
    }

    #[test]
    fn unread_counts_follow_the_server_and_sum_into_the_title() {
        let s = run(
            state(),
            [
                Action::Server(OperatorServer::Inbox {
                    conversations: vec![summary(1, true, 2, 100), summary(2, true, 0, 50)],
                }),
                Action::Server(OperatorServer::Conversation {
                    conversation: summary(2, true, 3, 60),
                }),
            ],
        );
        assert_eq!(s.total_unread(), 5);
        assert_eq!(title(s.total_unread()), "(5) Confide console");
        let s = run(
            s,
            [Action::MarkedRead {
                conversation: ConversationId(1),
                seq: 2,
            }],
        );
        assert_eq!(s.total_unread(), 3);
        assert_eq!(title(0), "Confide console");
    }

    #[test]
    fn alerts_ring_for_new_conversations_and_unseen_visitor_messages_only() {
        let s = run(
            state(),
            [Action::Server(OperatorServer::Inbox {
                conversations: vec![summary(1, true, 2, 100)],
            })],
        );
        assert_eq!(s.alerts, 0, "the first inbox is not news");
        let s = run(
            s,
            [Action::Server(OperatorServer::Conversation {
                conversation: summary(2, true, 1, 200),
            })],
        );
        assert_eq!(s.alerts, 1, "a new conversation");
        let s = run(
            s,
            [
                Action::Select(ConversationId(2)),
                Action::Server(OperatorServer::Conversation {
                    conversation: summary(2, true, 2, 300),
                }),
            ],
        );
        assert_eq!(s.alerts, 1, "the operator is looking at it");
        let s = run(
            s,
            [Action::Server(OperatorServer::Conversation {
                conversation: summary(1, true, 3, 400),
            })],
        );
        assert_eq!(s.alerts, 2, "a visitor message elsewhere");
        let s = run(
            s,
            [Action::Server(OperatorServer::Inbox {
                conversations: vec![summary(1, true, 3, 400), summary(9, true, 1, 500)],
            })],
        );
        assert_eq!(s.alerts, 3, "a conversation that began during a reconnect");
        assert!(s.conversation(ConversationId(2)).is_some_and(|c| !c.open));
    }

    #[test]
    fn a_selected_conversation_in_a_hidden_tab_still_rings() {
        let s = run(
            state(),
            [
                Action::Server(OperatorServer::Inbox {
                    conversations: vec![summary(1, true, 0, 100)],
                }),
                Action::Select(ConversationId(1)),
                Action::PageHidden(true),
                Action::Server(OperatorServer::Conversation {
                    conversation: summary(1, true, 1, 200),
                }),
            ],
        );
        assert_eq!(s.alerts, 1);
        assert!(!s.viewing(ConversationId(1)));
        let s = run(s, [Action::PageHidden(false)]);
        assert!(s.viewing(ConversationId(1)));
    }

    #[test]
    fn typing_flags_are_per_conversation_and_cleared_by_messages_and_disconnects() {
        let typing = |n, active| {
            Action::Server(OperatorServer::Typing {
                conversation: ConversationId(n),
                active,
            })
        };
        let s = run(
            state(),
            [typing(1, true), typing(2, true), typing(2, false)],
        );
        assert!(s.visitor_typing(ConversationId(1)));
        assert!(!s.visitor_typing(ConversationId(2)));
        let s = run(s, [message(1, msg(1, "v1", Author::Visitor))]);
        assert!(!s.visitor_typing(ConversationId(1)));
        let s = run(
            s,
            [typing(1, true), Action::Disconnected { retry_ms: 1000 }],
        );
        assert!(!s.visitor_typing(ConversationId(1)));
        assert_eq!(s.connection, Connection::Waiting { retry_ms: 1000 });
    }

    #[test]
    fn replies_to_a_closed_conversation_fail_instead_of_resending_forever() {
        let conv = ConversationId(4);
        let s = run(
            state(),
            [
                Action::Server(OperatorServer::Inbox {
                    conversations: vec![summary(4, true, 0, 1)],
                }),
                Action::Select(conv),
                Action::Reply {
                    conversation: conv,
                    id: id("r1"),
                    text: text("bye"),
                },
                Action::Server(OperatorServer::Conversation {
                    conversation: summary(4, false, 0, 2),
                }),
            ],
        );
        assert!(s.outbox.is_empty());
        assert_eq!(
            s.thread(conv).expect("thread").messages()[0].delivery,
            Delivery::Failed
        );
    }

    #[test]
    fn drafts_are_kept_per_conversation_and_cleared_by_sending() {
        let a = ConversationId(1);
        let b = ConversationId(2);
        let s = run(
            state(),
            [
                Action::Draft {
                    conversation: a,
                    text: "half a thought".into(),
                },
                Action::Draft {
                    conversation: b,
                    text: "other".into(),
                },
                Action::Reply {
                    conversation: b,
                    id: id("r1"),
                    text: text("other"),
                },
            ],
        );
        assert_eq!(s.draft(a), "half a thought");
        assert_eq!(s.draft(b), "");
    }

    #[test]
    fn signing_out_forgets_everything_and_errors_become_a_notice() {
        let s = run(
            state(),
            [
                Action::Server(OperatorServer::Error {
                    error: ErrorBody::new(ErrorCode::Invalid, "that conversation is closed"),
                }),
                Action::Reply {
                    conversation: ConversationId(1),
                    id: id("r1"),
                    text: text("x"),
                },
            ],
        );
        assert_eq!(s.notice.as_deref(), Some("that conversation is closed"));
        let s = run(s, [Action::DismissNotice]);
        assert_eq!(s.notice, None);
        let s = run(s, [Action::SignedOut]);
        assert_eq!(s.auth, Auth::SignedOut);
        assert!(s.outbox.is_empty() && s.thread(ConversationId(1)).is_none());
    }

    #[test]
    fn the_navigation_follows_the_permissions_not_the_role_name() {
        use Page::*;
        let pages = |p: Permissions| with(p).pages();
        assert_eq!(pages(Permissions::agent()), [Inbox, Sessions, Account]);
        assert_eq!(
            pages(Permissions::admin()),
            [
                Inbox, Widgets, Routers, History, Person, Audit, Operators, Roles, Sessions,
                Account
            ]
        );
        let read = Permissions {
            transcripts: TranscriptAccess::Read,
            ..Permissions::default()
        };
        assert_eq!(
            pages(read.clone()),
            [Inbox, History, Person, Sessions, Account]
        );
        let edit = Permissions {
            transcripts: TranscriptAccess::Edit,
            ..Permissions::default()
        };
        assert_eq!(pages(edit), [Inbox, History, Person, Sessions, Account]);
        let settings = Permissions {
            settings: true,
            ..Permissions::default()
        };
        assert_eq!(
            pages(settings),
            [Inbox, Widgets, Routers, Sessions, Account]
        );
        let audit = Permissions {
            audit: true,
            ..Permissions::default()
        };
        assert_eq!(pages(audit), [Inbox, Audit, Sessions, Account]);
        let operators = Permissions {
            operators: true,
            ..Permissions::default()
        };
        assert_eq!(
            pages(operators),
            [Inbox, Operators, Roles, Sessions, Account]
        );
        // API tokens and a widget scope add no page.
        let tokens = Permissions {
            api_tokens: true,
            widgets: vec![WidgetKey::parse("demo").expect("key")],
            ..Permissions::default()
        };
        assert_eq!(pages(tokens), [Inbox, Sessions, Account]);
        // A role called admin is only what its permissions say.
        let named_admin = ConsoleState::for_operator(OperatorMe {
            role: "admin".into(),
            ..me()
        });
        assert_eq!(named_admin.pages(), [Inbox, Sessions, Account]);
        // Signed out: nothing.
        let out = run(with(Permissions::admin()), [Action::SignedOut]);
        assert_eq!(out.permissions(), &Permissions::agent());
        assert_eq!(out.pages(), [Inbox, Sessions, Account]);
        // Every page has its own link.
        let ids: std::collections::BTreeSet<_> = Page::ALL.iter().map(|p| p.testid()).collect();
        assert_eq!(ids.len(), Page::ALL.len());
        assert_eq!(Roles.testid(), "nav-roles");
        assert_eq!(Roles.label(), "Roles");
        assert_eq!(Sessions.testid(), "nav-sessions");
        assert_eq!(Sessions.label(), "Sessions");
        assert_eq!(Operators.testid(), "nav-operators");
        assert_eq!(Operators.label(), "Operators");
        assert_eq!(Account.testid(), "nav-account");
        assert_eq!(Account.label(), "Account");
    }

    #[test]
    fn an_operator_who_must_enrol_gets_no_page_no_permission_and_no_socket() {
        let enrolling = OperatorMe {
            permissions: Permissions {
                second_factor: true,
                ..Permissions::admin()
            },
            must_enrol: true,
            ..me()
        };
        let s = ConsoleState::for_operator(enrolling.clone());
        assert!(s.signed_in() && s.must_enrol() && !s.live());
        assert!(s.pages().is_empty());
        assert!(!s.may_manage_operators() && !s.may_read_transcripts());
        for page in Page::ALL {
            assert!(!s.may_show(page), "{page:?}");
            assert_eq!(run(s.clone(), [Action::ShowPage(page)]).page, Page::Inbox);
        }
        // Enrolled: the me asked again starts the normal console.
        let done = OperatorMe {
            totp: true,
            passkeys: 0,
            must_enrol: false,
            ..enrolling
        };
        let s = run(s, [Action::Refreshed(done)]);
        assert!(s.live() && !s.must_enrol());
        assert!(s.may_show(Page::Operators));
        // Nobody signed in is not live either.
        assert!(!run(s, [Action::SignedOut]).live());
        assert!(state().live());
    }

    #[test]
    fn a_refreshed_me_keeps_the_page_and_the_conversations() {
        let admin = OperatorMe {
            permissions: Permissions::admin(),
            ..me()
        };
        let s = run(
            ConsoleState::for_operator(admin.clone()),
            [
                Action::Connected,
                Action::Server(OperatorServer::Inbox {
                    conversations: vec![summary(1, true, 1, 10)],
                }),
                Action::ShowPage(Page::Account),
            ],
        );
        let enrolled = OperatorMe {
            totp: true,
            passkeys: 0,
            ..admin.clone()
        };
        let after = run(s.clone(), [Action::Refreshed(enrolled.clone())]);
        assert_eq!(after.page, Page::Account);
        assert_eq!(after.auth, Auth::SignedIn(enrolled));
        assert_eq!(after.epoch, s.epoch);
        assert_eq!(after.inbox().len(), 1);
        // A role that lost the page shown goes back to the inbox.
        let s = run(s, [Action::ShowPage(Page::Operators)]);
        let demoted = OperatorMe {
            permissions: Permissions::agent(),
            ..admin
        };
        assert_eq!(
            run(s.clone(), [Action::Refreshed(demoted)]).page,
            Page::Inbox
        );
        // Someone else starts afresh.
        let other = OperatorMe { id: 2, ..me() };
        let fresh = run(s, [Action::Refreshed(other)]);
        assert_eq!(fresh.page, Page::Inbox);
        assert!(fresh.inbox().is_empty());
    }

    #[test]
    fn transcripts_are_edited_only_with_edit_access() {
        let level = |transcripts| {
            let s = with(Permissions {
                transcripts,
                ..Permissions::default()
            });
            (s.may_read_transcripts(), s.may_edit_transcripts())
        };
        assert_eq!(level(TranscriptAccess::None), (false, false));
        assert_eq!(level(TranscriptAccess::Read), (true, false));
        assert_eq!(level(TranscriptAccess::Edit), (true, true));
        let admin = with(Permissions::admin());
        assert!(
            admin.may_change_settings() && admin.may_read_audit() && admin.may_manage_operators()
        );
        let agent = state();
        assert!(
            !agent.may_change_settings()
                && !agent.may_read_audit()
                && !agent.may_manage_operators()
        );
    }

    #[test]
    fn a_page_the_role_lacks_is_refused_and_signing_in_again_starts_at_the_inbox() {
        for page in Page::ALL {
            let s = run(state(), [Action::ShowPage(page)]);
            // Every operator has the inbox and their own sessions; nothing else.
            let open = matches!(page, Page::Inbox | Page::Sessions | Page::Account);
            let expected = if open { page } else { Page::Inbox };
            assert_eq!(s.page, expected, "an agent sees {page:?}: {open}");
            let s = run(with(Permissions::admin()), [Action::ShowPage(page)]);
            assert_eq!(s.page, page);
            assert_eq!(run(s.clone(), [Action::SignedOut]).page, Page::Inbox);
            let other = run(s, [Action::SignedIn(me()), Action::ShowPage(page)]);
            assert_eq!(other.page, expected, "{page:?}");
        }
        // Reading transcripts is enough for the history, not for the audit log or roles.
        let reader = with(Permissions {
            transcripts: TranscriptAccess::Read,
            ..Permissions::default()
        });
        let s = run(reader.clone(), [Action::ShowPage(Page::History)]);
        assert_eq!(s.page, Page::History);
        let s = run(s, [Action::ShowPage(Page::Audit)]);
        assert_eq!(s.page, Page::History, "refused: stays where it was");
        let s = run(reader, [Action::ShowPage(Page::Roles)]);
        assert_eq!(s.page, Page::Inbox);
        let back = run(
            with(Permissions::admin()),
            [
                Action::ShowPage(Page::Widgets),
                Action::ShowPage(Page::Inbox),
            ],
        );
        assert_eq!(back.page, Page::Inbox);
    }
}
