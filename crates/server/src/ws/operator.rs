//! `/ws/operator`: the console's socket, authenticated by the session cookie before the
//! upgrade. The session watches the inbox (every conversation's summary) and the
//! conversations the operator has open, until it unwatches them.
//!
//! It lives no longer than its console session: sign-out (here or on another node), expiry,
//! the idle limit, the operator's removal or a change of their role close it with 4401. A
//! sign-out on this node arrives as a hub event at once; everything else is found by reading
//! the session again every [`RECHECK`].

use super::session::{self, Conn, Peer};
use super::{Delivered, Out, Owed, Stop};
use crate::chat::publish_summary;
use crate::hub::{session_topic, Audience, Event, OperatorPresence, Published, Topic};
use crate::store::audit::{AuditAction, AuditEntry};
use crate::store::{Session, StoreError};
use crate::AppState;
use axum::extract::ws::Message;
use confide_protocol::chat::{
    initials, Author, ChatMessage, ConversationId, ConversationSummary, InboxCursor,
    OperatorClient, OperatorInfo, OperatorServer, INBOX_PAGE,
};
use confide_protocol::roles::TranscriptAccess;
use confide_protocol::{ErrorBody, ErrorCode};
use futures_util::{Sink, Stream};
use std::collections::HashMap;

/// How often an open socket reads its session again.
pub const RECHECK: std::time::Duration = std::time::Duration::from_millis(500);

pub async fn run<S, R>(
    state: AppState,
    session: Session,
    socket: crate::limits::SocketGuard,
    sink: S,
    stream: R,
) where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin + Send,
{
    let mut out = Out::new(sink);
    let presence = state.hub.operator_connected();
    let mut sub = state.hub.subscribe_with(crate::hub::OPERATOR_QUEUE);
    sub.watch(session_topic(&session.token_hash));
    sub.watch(Topic::Operator(session.operator.id));
    sub.watch(Topic::Inbox);
    let operator = session.operator.clone();
    tracing::debug!(operator = operator.id, "operator connected");
    let hello = OperatorServer::Hello {
        operator: OperatorInfo {
            name: operator.name.clone(),
            initials: initials(&operator.name),
        },
    };
    if out.send(&hello).await.is_err() {
        return;
    }
    let mut peer = OperatorPeer {
        sends: crate::limits::socket_bucket(state.limits.socket_messages),
        typing: crate::limits::socket_bucket(state.limits.socket_typing),
        _socket: socket,
        state,
        operator: session.operator.clone(),
        session,
        recheck: tokio::time::Instant::now() + RECHECK,
        opened: HashMap::new(),
        _presence: presence,
    };
    if peer.send_inbox(&mut out).await.is_err() {
        return;
    }
    session::run(&mut peer, out, stream, sub).await;
    tracing::debug!(operator = peer.operator.id, "operator disconnected");
}

/// One signed-in operator's socket.
#[derive(Debug)]
struct OperatorPeer {
    state: AppState,
    operator: crate::store::Operator,
    /// The console session the socket belongs to, as last read.
    session: Session,
    /// When the session is read again.
    recheck: tokio::time::Instant,
    /// Conversations this socket has open, with what it has sent of each.
    opened: HashMap<ConversationId, Delivered>,
    /// Counts this socket as an operator online until it ends.
    _presence: OperatorPresence,
    /// This socket's rates: messages and typing frames.
    sends: crate::limits::SocketBucket,
    typing: crate::limits::SocketBucket,
    _socket: crate::limits::SocketGuard,
}

/// Where the next inbox page starts, if `page` was full.
fn more_after(page: &[ConversationSummary]) -> Option<InboxCursor> {
    (page.len() == INBOX_PAGE as usize)
        .then(|| page.last())
        .flatten()
        .map(|c| InboxCursor {
            last_at: c.last_at,
            id: c.id,
        })
}

fn message_frame(conversation: ConversationId, message: ChatMessage) -> OperatorServer {
    OperatorServer::Message {
        conversation,
        message,
    }
}

/// The operators' frame for a hub event, if operators see it at all.
fn operator_frame(event: &Event) -> Option<String> {
    let frame = match event {
        Event::Summary(summary) => OperatorServer::Conversation {
            conversation: summary.clone(),
        },
        Event::Message {
            conversation,
            message,
        } => message_frame(*conversation, message.clone()),
        Event::Typing {
            conversation,
            from: Author::Visitor,
            active,
        } => OperatorServer::Typing {
            conversation: *conversation,
            active: *active,
        },
        Event::Draft { conversation, text } => OperatorServer::Draft {
            conversation: *conversation,
            text: text.clone(),
        },
        _ => return None,
    };
    serde_json::to_string(&frame).ok()
}

/// The conversation a frame acts on, if any.
fn target(frame: &OperatorClient) -> Option<ConversationId> {
    match frame {
        OperatorClient::Open { conversation, .. }
        | OperatorClient::Send { conversation, .. }
        | OperatorClient::Typing { conversation, .. }
        | OperatorClient::Read { conversation, .. }
        | OperatorClient::Close { conversation } => Some(*conversation),
        OperatorClient::Unwatch { .. }
        | OperatorClient::InboxPage { .. }
        | OperatorClient::Ping => None,
    }
}

impl OperatorPeer {
    /// Whether the operator's role may not see this conversation, which then does not exist
    /// for it: another widget's (a role limited to some widgets), or a restricted one
    /// (Art. 18) without edit access to transcripts. The one check every frame that names a
    /// conversation passes.
    async fn hidden(&self, conversation: ConversationId) -> Result<bool, StoreError> {
        let p = &self.operator.permissions;
        if p.scope().is_some() {
            let summary = self.state.store.summary(conversation).await?;
            if !p.covers(&summary.widget) {
                return Ok(true);
            }
        }
        if p.transcripts < TranscriptAccess::Edit {
            return self.state.store.is_restricted(conversation).await;
        }
        Ok(false)
    }

    /// The operator did something: the session's idle clock starts again (written at most
    /// once a minute).
    async fn active(&mut self) {
        let now = self.state.store.now_ms();
        if now - self.session.last_active_at > crate::store::SESSION_TOUCH_MS {
            match self
                .state
                .store
                .touch_session(&self.session.token_hash)
                .await
            {
                Ok(()) => self.session.last_active_at = now,
                Err(e) => tracing::warn!(error = %e, "cannot record operator activity"),
            }
        }
    }

    /// The first page of open conversations' summaries (on connect, and after falling
    /// behind), and whether there are more.
    async fn send_inbox<S>(&mut self, out: &mut Out<S>) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let scope = self.operator.permissions.scope();
        match self
            .state
            .store
            .open_summaries(None, INBOX_PAGE, scope)
            .await
        {
            Ok(conversations) => {
                let more = more_after(&conversations);
                out.send(&OperatorServer::Inbox { conversations }).await?;
                match more {
                    Some(before) => out.send(&OperatorServer::InboxMore { before }).await,
                    None => Ok(()),
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot list conversations");
                Err(out.close(1011, "internal error").await)
            }
        }
    }

    async fn on_open<S>(
        &mut self,
        conn: Conn<'_, S>,
        conversation: ConversationId,
        last_seq: Option<u64>,
    ) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let store = &self.state.store;
        let summary = match store.summary(conversation).await {
            Ok(s) => s,
            Err(e) => return store_error(conn.out, e).await,
        };
        // A closed conversation is a transcript: not for a role limited to live chats.
        if !summary.open && self.operator.permissions.transcripts < TranscriptAccess::Read {
            return store_error(conn.out, StoreError::NotFound).await;
        }
        // Reading a transcript is an access the audit log records (not a repeat on this
        // socket: the console opens a conversation again to catch up).
        if !self.opened.contains_key(&conversation) {
            let entry = AuditEntry {
                operator_id: Some(self.operator.id),
                action: AuditAction::TranscriptOpened,
                target: format!("conversation:{}", conversation.0),
                count: None,
            };
            if let Err(e) = store.audit(entry).await {
                return store_error(conn.out, e).await;
            }
        }
        // Watch before reading history; the sequence check drops what was read twice.
        conn.sub.watch(Topic::Conversation(conversation));
        match store.conversation_receipt(conversation).await {
            Ok(Some(r)) => {
                conn.out
                    .send(&OperatorServer::Receipt {
                        conversation,
                        receipt: r.info,
                    })
                    .await?
            }
            Ok(None) => {}
            Err(e) => return store_error(conn.out, e).await,
        }
        match store.conversation_details(conversation).await {
            Ok(Some(details)) => {
                conn.out
                    .send(&OperatorServer::Details {
                        conversation,
                        details,
                    })
                    .await?
            }
            Ok(None) => {}
            Err(e) => return store_error(conn.out, e).await,
        }
        let mut delivered = Delivered::new(conversation, last_seq.unwrap_or(0));
        let caught_up = delivered.catch_up(store, conn.out, message_frame).await?;
        self.opened.insert(conversation, delivered);
        match caught_up {
            Ok(()) => Ok(()),
            Err(e) => store_error(conn.out, e).await,
        }
    }

    async fn on_send<S>(
        &mut self,
        out: &mut Out<S>,
        conversation: ConversationId,
        id: confide_protocol::chat::ClientMsgId,
        text: confide_protocol::chat::MessageText,
    ) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let state = &self.state;
        match state.store.summary(conversation).await {
            Ok(s) if !s.open => {
                return refuse(out, ErrorCode::Invalid, "the conversation is closed").await
            }
            Ok(_) => {}
            Err(e) => return store_error(out, e).await,
        }
        match state
            .store
            .append_message(
                conversation,
                &id,
                Author::Operator,
                Some(self.operator.id),
                &text,
            )
            .await
        {
            Ok(stored) => {
                out.send(&OperatorServer::Ack {
                    conversation,
                    id,
                    seq: stored.message.seq,
                    at: stored.message.at,
                })
                .await?;
                if stored.created {
                    tracing::debug!(
                        conversation = conversation.0,
                        seq = stored.message.seq,
                        operator = self.operator.id,
                        "operator message stored"
                    );
                    crate::chat::publish_stored(state, conversation, stored).await;
                }
                Ok(())
            }
            Err(e) => store_error(out, e).await,
        }
    }

    /// Whatever this socket was typing into that conversation is no longer being typed.
    fn typing_off(&self, conversation: ConversationId) {
        self.state.hub.publish(Event::Typing {
            conversation,
            from: Author::Operator,
            active: false,
        });
    }
}

impl Peer for OperatorPeer {
    type Client = OperatorClient;
    type Server = OperatorServer;

    fn error(error: ErrorBody) -> OperatorServer {
        OperatorServer::Error { error }
    }

    async fn on_frame<S>(&mut self, conn: Conn<'_, S>, frame: OperatorClient) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        if frame != OperatorClient::Ping {
            self.active().await;
        }
        if let Some(conversation) = target(&frame) {
            match self.hidden(conversation).await {
                Ok(false) => {}
                Ok(true) => return store_error(conn.out, StoreError::NotFound).await,
                Err(e) => return store_error(conn.out, e).await,
            }
        }
        let state = &self.state;
        match frame {
            OperatorClient::Open {
                conversation,
                last_seq,
            } => self.on_open(conn, conversation, last_seq).await,
            OperatorClient::Unwatch { conversation } => {
                if self.opened.remove(&conversation).is_some() {
                    conn.sub.unwatch(Topic::Conversation(conversation));
                    self.typing_off(conversation);
                }
                Ok(())
            }
            OperatorClient::Send {
                conversation,
                id,
                text,
            } => {
                if self.sends.check().is_err() {
                    return refuse(
                        conn.out,
                        ErrorCode::RateLimited,
                        "too many messages at once",
                    )
                    .await;
                }
                self.on_send(conn.out, conversation, id, text).await
            }
            OperatorClient::Typing {
                conversation,
                active,
            } => {
                if self.typing.check().is_err() {
                    return refuse(conn.out, ErrorCode::RateLimited, "too many typing frames")
                        .await;
                }
                if !self.opened.contains_key(&conversation) {
                    return refuse(conn.out, ErrorCode::Invalid, "open the conversation first")
                        .await;
                }
                state.hub.publish(Event::Typing {
                    conversation,
                    from: Author::Operator,
                    active,
                });
                Ok(())
            }
            OperatorClient::Read { conversation, seq } => {
                match state.store.mark_read(conversation, seq).await {
                    Ok(()) => {
                        publish_summary(state, conversation).await;
                        Ok(())
                    }
                    Err(e) => store_error(conn.out, e).await,
                }
            }
            OperatorClient::Close { conversation } => {
                match state.store.close_conversation(conversation).await {
                    Ok(true) => {
                        tracing::debug!(
                            conversation = conversation.0,
                            operator = self.operator.id,
                            "conversation closed"
                        );
                        state.hub.publish(Event::Closed { conversation });
                        publish_summary(state, conversation).await;
                        Ok(())
                    }
                    Ok(false) => Ok(()),
                    Err(e) => store_error(conn.out, e).await,
                }
            }
            OperatorClient::InboxPage { before } => {
                match state
                    .store
                    .open_summaries(
                        Some((before.last_at, before.id)),
                        INBOX_PAGE,
                        self.operator.permissions.scope(),
                    )
                    .await
                {
                    Ok(conversations) => {
                        let more = more_after(&conversations);
                        conn.out
                            .send(&OperatorServer::InboxPage {
                                conversations,
                                more,
                            })
                            .await
                    }
                    Err(e) => store_error(conn.out, e).await,
                }
            }
            OperatorClient::Ping => conn.out.send(&OperatorServer::Pong).await,
        }
    }

    async fn on_event<S>(&mut self, conn: Conn<'_, S>, published: &Published) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let relevant = match &published.event {
            Event::SessionEnded { .. } | Event::OperatorChanged { .. } => {
                return Err(session_ended(conn.out).await);
            }
            Event::Summary(s) => self.operator.permissions.covers(&s.widget),
            Event::Message {
                conversation,
                message,
            } => {
                let Some(delivered) = self.opened.get_mut(conversation) else {
                    return Ok(());
                };
                match delivered.owed(message) {
                    Owed::Nothing => false,
                    Owed::This => true,
                    Owed::Gap => {
                        return match delivered
                            .catch_up(&self.state.store, conn.out, message_frame)
                            .await?
                        {
                            Ok(()) => Ok(()),
                            Err(e) => store_error(conn.out, e).await,
                        };
                    }
                }
            }
            Event::Typing {
                conversation,
                from: Author::Visitor,
                ..
            }
            | Event::Draft { conversation, .. } => self.opened.contains_key(conversation),
            _ => false,
        };
        match relevant
            .then(|| published.encoded(Audience::Operator, operator_frame))
            .flatten()
        {
            Some(frame) => conn.out.send_text(frame).await,
            None => Ok(()),
        }
    }

    async fn on_lagged<S>(&mut self, conn: Conn<'_, S>) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        tracing::debug!(
            operator = self.operator.id,
            "operator socket caught up after lag"
        );
        self.send_inbox(conn.out).await?;
        for delivered in self.opened.values_mut() {
            if let Err(e) = delivered
                .catch_up(&self.state.store, conn.out, message_frame)
                .await?
            {
                return store_error(conn.out, e).await;
            }
        }
        Ok(())
    }

    fn deadline(&self) -> Option<tokio::time::Instant> {
        Some(self.recheck)
    }

    /// Reads the session again: gone (signed out elsewhere, expired, idle, operator removed)
    /// or its operator changed, the socket closes.
    async fn on_deadline<S>(&mut self, conn: Conn<'_, S>) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        self.recheck = tokio::time::Instant::now() + RECHECK;
        let idle = self.state.config.session_idle_ms();
        match self
            .state
            .store
            .session(&self.session.token_hash, idle)
            .await
        {
            Ok(now) if now.operator.same_access(&self.session.operator) => {
                self.session = now;
                Ok(())
            }
            Ok(_) | Err(StoreError::NotFound) => Err(session_ended(conn.out).await),
            // The database did not answer: keep the socket, try again soon.
            Err(e) => {
                tracing::warn!(error = %e, "cannot read an operator session");
                Ok(())
            }
        }
    }

    fn on_end(&mut self) {
        for conversation in self.opened.keys() {
            self.typing_off(*conversation);
        }
    }
}

/// Tells the console its session is over (it shows the sign-in page), and closes.
async fn session_ended<S>(out: &mut Out<S>) -> Stop
where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
{
    out.close(confide_protocol::chat::close::UNAUTHORIZED, "session ended")
        .await
}

async fn refuse<S>(out: &mut Out<S>, code: ErrorCode, message: &'static str) -> Result<(), Stop>
where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
{
    out.send(&OperatorServer::Error {
        error: ErrorBody::new(code, message),
    })
    .await
}

async fn store_error<S>(out: &mut Out<S>, e: StoreError) -> Result<(), Stop>
where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
{
    match e {
        StoreError::NotFound | StoreError::Erased => {
            refuse(out, ErrorCode::NotFound, "no such conversation").await
        }
        StoreError::Full => {
            refuse(
                out,
                ErrorCode::LimitReached,
                "this conversation holds all the messages it may",
            )
            .await
        }
        other => {
            tracing::error!(error = %other, "operator frame failed");
            refuse(out, ErrorCode::Internal, "internal error").await
        }
    }
}
