//! `/ws/visitor`: the widget's socket. The first frame is `hello`, admitted by
//! [`crate::chat::admission`]; the visitor's token travels inside it, never in a URL. Then
//! the session watches the visitor's conversation and the operators' presence.

use super::session::{self, Conn, Peer};
use super::{next_frame, Delivered, Incoming, Out, Owed, Stop, HELLO_TIMEOUT, PAGE};
use crate::chat::admission::{self, Door, Mode, Refusal};
use crate::hub::{Audience, Event, Published, Topic};
use crate::limits::{socket_bucket, ClientKey, SocketBucket, SocketGuard};
use crate::store::{NewConversation, Visitor};
use crate::ua::UaFamily;
use crate::AppState;
use axum::extract::ws::Message;
use confide_protocol::chat::{
    close, Author, ChatMessage, ConversationId, OperatorInfo, VisitorClient, VisitorServer,
};
use confide_protocol::details::VisitorDetails;
use confide_protocol::{ErrorBody, ErrorCode};
use futures_util::{Sink, Stream};

pub use crate::chat::admission::TOKEN_TTL_MS;

/// What the upgrade request told about the visitor's socket.
#[derive(Debug)]
pub struct Handshake {
    pub ua: Option<UaFamily>,
    /// For the per-client rate of hellos (a keyed hash; the address is gone).
    pub client: Option<ClientKey>,
    /// This socket, counted among the process's and (once admitted) the visitor's.
    pub socket: SocketGuard,
}

pub async fn run<S, R>(state: AppState, handshake: Handshake, sink: S, mut stream: R)
where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin + Send,
{
    let mut out = Out::new(sink);
    // Boxed: the hello, admission and replay take memory only until the session starts, so
    // an idle socket keeps no more than the session loop.
    let Some((mut peer, sub)) = Box::pin(start(state, handshake, &mut out, &mut stream)).await
    else {
        return;
    };
    let visitor = peer.visitor.id;
    session::run(&mut peer, out, stream, sub).await;
    tracing::debug!(visitor, "visitor disconnected");
}

/// From the first frame to a started session: the hello, admission, the welcome and the
/// replay. `None`: refused or gone (the client was told why).
async fn start<S, R>(
    state: AppState,
    handshake: Handshake,
    out: &mut Out<S>,
    stream: &mut R,
) -> Option<(VisitorPeer, crate::hub::Subscription)>
where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin + Send,
{
    let (widget, token, last_seq, consent, context, fields) =
        match next_frame::<_, VisitorClient>(stream, HELLO_TIMEOUT).await {
            Incoming::Frame(VisitorClient::Hello {
                widget,
                token,
                last_seq,
                consent,
                context,
                fields,
            }) => (widget, token, last_seq, consent, context, fields),
            Incoming::Frame(_) => {
                refuse(
                    out,
                    ErrorBody::new(ErrorCode::Malformed, "the first frame must be hello"),
                    close::PROTOCOL,
                )
                .await;
                return None;
            }
            Incoming::Refused { error, fatal } => {
                refuse(out, error, fatal.unwrap_or(close::PROTOCOL)).await;
                return None;
            }
            Incoming::Alive | Incoming::Closed => return None,
        };
    // Boxed, like everything before the session loop: an idle socket keeps only the loop.
    let Handshake {
        ua,
        client,
        mut socket,
    } = handshake;
    let admitted = Box::pin(admission::admit(
        &state.store,
        &state.limits,
        admission::Request {
            widget: &widget,
            token: token.as_ref(),
            consent: consent.as_ref(),
            context: context.as_ref(),
            fields: fields.as_ref(),
            ua,
            door: Door::Hello(client),
        },
    ))
    .await;
    // Only what the session needs lives on with it: the settings and the widget go here.
    let admission::Admitted {
        visitor,
        token,
        receipt_id,
        details,
        mode,
        ..
    } = match admitted {
        Ok(a) => a,
        Err(refusal) => {
            if let Refusal::Internal(e) = &refusal {
                tracing::error!(error = %e, "visitor admission failed");
            }
            let code = refusal.close_code();
            refuse(
                out,
                ErrorBody::new(refusal.code(), refusal.to_string()),
                code,
            )
            .await;
            return None;
        }
    };
    if !state.limits.visitor_socket(&mut socket, visitor.id) {
        let error = ErrorBody::new(
            ErrorCode::LimitReached,
            "this chat is open in too many tabs; close one and try again",
        );
        refuse(out, error, close::RATE_LIMITED).await;
        return None;
    }

    // Watch before reading history, so nothing stored in between is missed; the sequence
    // check drops what the replay already sent.
    let mut sub = state.hub.subscribe();
    sub.watch(Topic::Visitors);
    let conversation = match state.store.open_conversation_of(visitor.id).await {
        Ok(c) => c,
        Err(e) => {
            internal(out, e).await;
            return None;
        }
    };
    if let Some(c) = conversation {
        sub.watch(Topic::Conversation(c));
    }
    tracing::debug!(visitor = visitor.id, "visitor connected");
    // The operator who answered last, for the widget's header.
    let operator = match conversation {
        Some(c) => state
            .store
            .last_operator_alias(c)
            .await
            .ok()
            .flatten()
            .map(|name| OperatorInfo {
                initials: confide_protocol::chat::initials(&name),
                name,
            }),
        None => None,
    };
    let welcome = VisitorServer::Welcome {
        token,
        conversation,
        operators_online: state.hub.operators_online(),
        operator,
    };
    out.send(&welcome).await.ok()?;
    let mut peer = VisitorPeer {
        sends: socket_bucket(state.limits.socket_messages),
        typing: socket_bucket(state.limits.socket_typing),
        drafts: socket_bucket(state.limits.socket_typing),
        _socket: socket,
        state,
        visitor,
        receipt_id,
        details,
        mode,
        conversation: conversation.map(|c| Delivered::new(c, last_seq.unwrap_or(0))),
    };
    peer.replay(out).await.ok()?;
    Some((peer, sub))
}

/// One admitted visitor's socket.
#[derive(Debug)]
struct VisitorPeer {
    state: AppState,
    visitor: Visitor,
    /// The consent receipt a new conversation starts under.
    receipt_id: Option<i64>,
    /// Stored with a new conversation.
    details: VisitorDetails,
    mode: Mode,
    /// The open conversation this socket delivers, if any.
    conversation: Option<Delivered>,
    /// This socket's rates: messages, typing frames, drafts.
    sends: SocketBucket,
    typing: SocketBucket,
    drafts: SocketBucket,
    _socket: SocketGuard,
}

/// A frame over this socket's rate: refused, nothing stored or forwarded.
async fn rate_limited<S>(out: &mut Out<S>, what: &'static str) -> Result<(), Stop>
where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
{
    let error = ErrorBody::new(ErrorCode::RateLimited, what);
    out.send(&VisitorServer::Error { error }).await
}

fn message_frame(_: ConversationId, message: ChatMessage) -> VisitorServer {
    VisitorServer::Message { message }
}

/// The visitor's frame for a hub event, if visitors see it at all.
fn visitor_frame(event: &Event) -> Option<String> {
    let frame = match event {
        Event::Message { message, .. } => VisitorServer::Message {
            message: message.clone(),
        },
        Event::Typing {
            from: Author::Operator,
            active,
            ..
        } => VisitorServer::Typing { active: *active },
        Event::Closed { conversation } => VisitorServer::Closed {
            conversation: *conversation,
        },
        Event::Presence { operators_online } => VisitorServer::Presence {
            operators_online: *operators_online,
        },
        _ => return None,
    };
    serde_json::to_string(&frame).ok()
}

impl VisitorPeer {
    fn current(&self) -> Option<ConversationId> {
        self.conversation.map(|d| d.conversation)
    }

    /// This socket no longer delivers its conversation.
    fn stop(&mut self, sub: &mut crate::hub::Subscription) -> Option<ConversationId> {
        let c = self.conversation.take()?.conversation;
        sub.unwatch(Topic::Conversation(c));
        Some(c)
    }

    /// Everything stored after what the client has.
    async fn replay<S>(&mut self, out: &mut Out<S>) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let Some(delivered) = self.conversation.as_mut() else {
            return Ok(());
        };
        match delivered
            .catch_up(&self.state.store, out, message_frame)
            .await?
        {
            Ok(()) => Ok(()),
            Err(e) => Err(internal(out, e).await),
        }
    }

    async fn on_send<S>(
        &mut self,
        conn: Conn<'_, S>,
        id: confide_protocol::chat::ClientMsgId,
        text: confide_protocol::chat::MessageText,
    ) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let state = &self.state;
        let conv = match self.current() {
            // The writer matches a resend across all of the visitor's conversations.
            Some(c) => c,
            None => {
                // A resend of a message stored earlier, in a conversation closed since, gets
                // its original acknowledgement and starts no new conversation.
                match state.store.visitor_message(self.visitor.id, &id).await {
                    Ok(Some(m)) => {
                        return conn
                            .out
                            .send(&VisitorServer::Ack {
                                id,
                                seq: m.seq,
                                at: m.at,
                            })
                            .await;
                    }
                    Ok(None) => {}
                    Err(e) => return error_frame(conn.out, e).await,
                }
                if state.limits.new_conversation(self.visitor.id).is_err() {
                    return rate_limited(
                        conn.out,
                        "too many conversations started today; try again tomorrow",
                    )
                    .await;
                }
                match state
                    .store
                    .create_conversation(NewConversation {
                        widget_id: self.visitor.widget_id,
                        visitor_id: self.visitor.id,
                        offline: false,
                        receipt_id: self.receipt_id,
                        details: Some(&self.details),
                    })
                    .await
                {
                    Ok(c) => {
                        // New, so nothing of it was sent yet.
                        conn.sub.watch(Topic::Conversation(c));
                        self.conversation = Some(Delivered::new(c, 0));
                        c
                    }
                    Err(e) => return error_frame(conn.out, e).await,
                }
            }
        };
        match state
            .store
            .append_visitor_message(self.visitor.id, conv, &id, &text)
            .await
        {
            Ok(stored) => {
                conn.out
                    .send(&VisitorServer::Ack {
                        id,
                        seq: stored.message.seq,
                        at: stored.message.at,
                    })
                    .await?;
                if stored.created {
                    tracing::debug!(
                        conversation = conv.0,
                        seq = stored.message.seq,
                        "visitor message stored"
                    );
                    crate::chat::publish_stored(state, conv, stored).await;
                }
                Ok(())
            }
            Err(e) => error_frame(conn.out, e).await,
        }
    }

    /// What is stored about the current conversation, in parts of at most [`PAGE`] messages
    /// (a long conversation is never read or sent whole).
    /// Whether `c` is one of this visitor's conversations (a deleted or another visitor's
    /// one is not).
    async fn owns(&self, c: ConversationId) -> Result<bool, crate::store::StoreError> {
        match self.state.store.conversation_visitor(c).await {
            Ok(v) => Ok(v == Some(self.visitor.id)),
            Err(crate::store::StoreError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The conversation a request names, or the current one; `Err` after answering
    /// `not_found` for one that is not this visitor's.
    async fn named<S>(
        &self,
        out: &mut Out<S>,
        named: Option<ConversationId>,
    ) -> Result<Option<ConversationId>, Result<(), Stop>>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let Some(c) = named.filter(|c| Some(*c) != self.current()) else {
            return Ok(self.current());
        };
        match self.owns(c).await {
            Ok(true) => Ok(Some(c)),
            Ok(false) => {
                let error = ErrorBody::new(
                    ErrorCode::NotFound,
                    "no such conversation under this visitor's token",
                );
                Err(out.send(&VisitorServer::Error { error }).await)
            }
            Err(e) => Err(error_frame(out, e).await),
        }
    }

    /// A page of this visitor's conversations, newest first.
    async fn on_conversations<S>(
        &mut self,
        out: &mut Out<S>,
        before: Option<ConversationId>,
    ) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let page = confide_protocol::chat::VISITOR_CONVERSATIONS_PAGE;
        match self
            .state
            .store
            .visitor_conversations(self.visitor.id, before, page + 1)
            .await
        {
            Ok(mut conversations) => {
                let more = conversations.len() > page as usize;
                conversations.truncate(page as usize);
                out.send(&VisitorServer::Conversations {
                    conversations,
                    more,
                })
                .await
            }
            Err(e) => error_frame(out, e).await,
        }
    }

    async fn on_export<S>(
        &mut self,
        out: &mut Out<S>,
        named: Option<ConversationId>,
    ) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let conversation = match self.named(out, named).await {
            Ok(c) => c,
            Err(answered) => return answered,
        };
        let current = conversation == self.current();
        let store = &self.state.store;
        let (receipt, details) = match conversation {
            Some(c) => {
                let receipt = match store.conversation_receipt(c).await {
                    Ok(r) => r.map(|r| r.info),
                    Err(e) => return error_frame(out, e).await,
                };
                let details = match store.conversation_details(c).await {
                    Ok(d) => d,
                    Err(e) => return error_frame(out, e).await,
                };
                (receipt, details.map(Box::new))
            }
            None => (None, None),
        };
        // Before a first message there is no conversation, but the consent was recorded.
        let mut receipt = match (receipt, self.receipt_id.filter(|_| current)) {
            (Some(r), _) => Some(r),
            (None, Some(id)) => match store.receipt_info(id).await {
                Ok(r) => Some(r),
                Err(e) => return error_frame(out, e).await,
            },
            (None, None) => None,
        };
        let mut details = details;
        let mut after = 0;
        loop {
            let messages = match conversation {
                Some(c) => match store.messages_page(c, after, PAGE).await {
                    Ok(m) => m,
                    Err(e) => return error_frame(out, e).await,
                },
                None => Vec::new(),
            };
            let more = messages.len() == PAGE as usize;
            after = messages.last().map_or(after, |m| m.seq);
            out.send(&VisitorServer::Transcript {
                conversation,
                messages,
                receipt: receipt.take(),
                details: details.take(),
                more,
            })
            .await?;
            if !more {
                return Ok(());
            }
        }
    }

    async fn on_delete<S>(
        &mut self,
        conn: Conn<'_, S>,
        named: Option<ConversationId>,
    ) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let deleted = match self.named(conn.out, named).await {
            Ok(c) if c == self.current() => self.stop(conn.sub),
            Ok(c) => c,
            Err(answered) => return answered,
        };
        if let Some(c) = deleted {
            let summary = self.state.store.summary(c).await.ok();
            if let Err(e) = self.state.store.delete_conversation(c).await {
                return error_frame(conn.out, e).await;
            }
            tracing::info!(conversation = c.0, "visitor deleted their conversation");
            self.state.hub.conversation_ended(c, summary);
        }
        conn.out
            .send(&VisitorServer::Deleted {
                conversation: deleted,
            })
            .await
    }

    async fn on_withdraw<S>(&mut self, conn: Conn<'_, S>) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let mut summaries = Vec::new();
        if let Some(c) = self.current() {
            summaries.push((c, self.state.store.summary(c).await.ok()));
        }
        let (at, deleted) = match self.state.store.withdraw_visitor(self.visitor.id).await {
            Ok(done) => done,
            Err(e) => return error_frame(conn.out, e).await,
        };
        self.stop(conn.sub);
        tracing::info!(
            visitor = self.visitor.id,
            conversations = deleted.len(),
            "consent withdrawn"
        );
        for c in &deleted {
            let summary = summaries
                .iter()
                .find(|(id, _)| id == c)
                .and_then(|(_, s)| s.clone());
            self.state.hub.conversation_ended(*c, summary);
        }
        conn.out
            .send(&VisitorServer::Withdrawn {
                at,
                conversations_deleted: deleted.len() as u64,
            })
            .await?;
        // Consent is gone: this socket ends; a new start needs a new consent.
        Err(conn.out.close(1000, "consent withdrawn").await)
    }
}

impl Peer for VisitorPeer {
    type Client = VisitorClient;
    type Server = VisitorServer;

    fn error(error: ErrorBody) -> VisitorServer {
        VisitorServer::Error { error }
    }

    async fn on_frame<S>(&mut self, conn: Conn<'_, S>, frame: VisitorClient) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        match frame {
            VisitorClient::Send { id, text } => {
                if self.sends.check().is_err() {
                    return rate_limited(conn.out, "too many messages at once; slow down").await;
                }
                self.on_send(conn, id, text).await
            }
            VisitorClient::Typing { active } => {
                if self.typing.check().is_err() {
                    return rate_limited(conn.out, "too many typing frames").await;
                }
                // With the typing indicator off there is nothing to forward.
                if let (true, Some(c)) = (self.mode.typing_indicator, self.current()) {
                    self.state.hub.publish(Event::Typing {
                        conversation: c,
                        from: Author::Visitor,
                        active,
                    });
                }
                Ok(())
            }
            VisitorClient::Read { .. } => Ok(()),
            VisitorClient::Draft { text } => {
                if self.drafts.check().is_err() {
                    return rate_limited(conn.out, "too many drafts").await;
                }
                if !self.mode.live_preview {
                    let error = ErrorBody::new(
                        ErrorCode::Invalid,
                        "live preview is off for this widget: drafts are not accepted",
                    );
                    return conn.out.send(&VisitorServer::Error { error }).await;
                }
                // In memory only: to the operators who have the conversation open. Before a
                // first message there is no conversation and nobody to show it to.
                if let Some(c) = self.current() {
                    self.state.hub.publish(Event::Draft {
                        conversation: c,
                        text,
                    });
                }
                Ok(())
            }
            VisitorClient::Conversations { before } => {
                self.on_conversations(conn.out, before).await
            }
            VisitorClient::Export { conversation } => self.on_export(conn.out, conversation).await,
            VisitorClient::Delete { conversation } => self.on_delete(conn, conversation).await,
            VisitorClient::Withdraw => self.on_withdraw(conn).await,
            VisitorClient::Ping => conn.out.send(&VisitorServer::Pong).await,
            VisitorClient::Hello { .. } => {
                let error = ErrorBody::new(ErrorCode::Malformed, "hello is only the first frame");
                conn.out.send(&VisitorServer::Error { error }).await
            }
        }
    }

    async fn on_event<S>(&mut self, conn: Conn<'_, S>, published: &Published) -> Result<(), Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        let current = self.current();
        let relevant = match &published.event {
            Event::Message {
                conversation,
                message,
            } if Some(*conversation) == current => {
                let Some(delivered) = self.conversation.as_mut() else {
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
                            Err(e) => error_frame(conn.out, e).await,
                        };
                    }
                }
            }
            Event::Typing {
                conversation,
                from: Author::Operator,
                ..
            } => Some(*conversation) == current && self.mode.typing_indicator,
            Event::Closed { conversation } if Some(*conversation) == current => {
                self.stop(conn.sub);
                true
            }
            Event::Presence { .. } => true,
            _ => false,
        };
        match relevant
            .then(|| published.encoded(Audience::Visitor, visitor_frame))
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
            visitor = self.visitor.id,
            "visitor socket caught up after lag"
        );
        conn.out
            .send(&VisitorServer::Presence {
                operators_online: self.state.hub.operators_online(),
            })
            .await?;
        self.replay(conn.out).await
    }

    fn on_end(&mut self) {
        if let Some(c) = self.current() {
            self.state.hub.publish(Event::Typing {
                conversation: c,
                from: Author::Visitor,
                active: false,
            });
        }
    }
}

/// Refuses the socket: an `error` frame, then the close code.
async fn refuse<S>(out: &mut Out<S>, error: ErrorBody, close_code: u16)
where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
{
    let _ = out.send(&VisitorServer::Error { error }).await;
    out.close(close_code, "refused").await;
}

async fn internal<S, E: std::fmt::Display>(out: &mut Out<S>, e: E) -> Stop
where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
{
    tracing::error!(error = %e, "visitor socket failed");
    refuse(
        out,
        ErrorBody::new(ErrorCode::Internal, "internal error"),
        1011,
    )
    .await;
    Stop
}

async fn error_frame<S>(out: &mut Out<S>, e: crate::store::StoreError) -> Result<(), Stop>
where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
{
    let error = match e {
        crate::store::StoreError::Full => ErrorBody::new(
            ErrorCode::LimitReached,
            "this conversation holds all the messages it may",
        ),
        e => {
            tracing::error!(error = %e, "visitor frame failed");
            ErrorBody::new(ErrorCode::Internal, "internal error")
        }
    };
    out.send(&VisitorServer::Error { error }).await
}
