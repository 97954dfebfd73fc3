//! `/ws/visitor`: the widget's socket. The first frame is `hello`; the visitor's token travels
//! only inside it, never in a URL.

use super::{
    close_with, next_frame, parse, send, Incoming, HELLO_TIMEOUT, PING_EVERY, SILENCE_LIMIT,
};
use crate::auth::{new_token, token_hash};
use crate::hub::Event;
use crate::store::{NewConversation, StoreError, Visitor};
use crate::AppState;
use axum::extract::ws::Message;
use confide_protocol::chat::{
    close, Author, ConversationId, VisitorClient, VisitorServer, VisitorToken,
};
use confide_protocol::details::VisitorDetails;
use confide_protocol::{ErrorBody, ErrorCode};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

/// Visitor tokens stay valid this long after they are issued.
pub const TOKEN_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

type Sent<S> = Result<(), <S as Sink<Message>>::Error>;

/// The browser and OS family read from the upgrade request's user agent; the header itself
/// goes no further than [`crate::ua`].
#[derive(Debug, Clone, Copy)]
pub struct UaFamily {
    pub browser: &'static str,
    pub os: &'static str,
}

/// What the widget's settings decide for one socket.
#[derive(Debug, Clone, Copy)]
struct Mode {
    typing_indicator: bool,
    live_preview: bool,
}

pub async fn run<S, R>(state: AppState, ua: Option<UaFamily>, mut sink: S, mut stream: R)
where
    S: Sink<Message, Error = axum::Error> + Unpin,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let (widget, token, last_seq, consent, context, fields) =
        match next_frame::<_, VisitorClient>(&mut stream, HELLO_TIMEOUT).await {
            Incoming::Frame(VisitorClient::Hello {
                widget,
                token,
                last_seq,
                consent,
                context,
                fields,
            }) => (widget, token, last_seq, consent, context, fields),
            Incoming::Frame(_) => {
                return refuse(
                    &mut sink,
                    ErrorCode::Malformed,
                    "the first frame must be hello",
                    close::PROTOCOL,
                )
                .await;
            }
            Incoming::Refused { error, fatal } => {
                let _ = send(&mut sink, &VisitorServer::Error { error }).await;
                close_with(&mut sink, fatal.unwrap_or(close::PROTOCOL), "bad hello").await;
                return;
            }
            Incoming::Alive | Incoming::Closed => return,
        };

    let widget = match state.store.widget_by_key(&widget).await {
        Ok(w) => w,
        Err(StoreError::NotFound) => {
            return refuse(
                &mut sink,
                ErrorCode::WidgetNotFound,
                "no widget with that key",
                close::WIDGET_NOT_FOUND,
            )
            .await;
        }
        Err(e) => return internal(&mut sink, e).await,
    };

    // Consent comes first: without it no visitor is created and no token is issued.
    let settings = match state.store.widget_settings(widget.id).await {
        Ok(s) => s,
        Err(e) => return internal(&mut sink, e).await,
    };
    if let Err(reason) = crate::consent::check(&settings, consent.as_ref()) {
        return refuse(
            &mut sink,
            ErrorCode::ConsentRequired,
            reason,
            close::CONSENT_REQUIRED,
        )
        .await;
    }

    // What the visitor typed and, in standard mode only, where they are: checked before any
    // visitor exists, kept for the conversation they start.
    let standard = !settings.privacy_mode;
    if !standard && context.is_some() {
        return refuse(
            &mut sink,
            ErrorCode::Invalid,
            "this widget runs in privacy mode: it takes no page context",
            close::PROTOCOL,
        )
        .await;
    }
    let values = match fields.unwrap_or_default().checked(&settings.prechat_fields) {
        Ok(v) => v,
        Err(problem) => {
            // The problem names the field and the rule, never the value.
            return refuse(
                &mut sink,
                ErrorCode::Invalid,
                format!("pre-chat field {problem}"),
                close::FIELDS_INVALID,
            )
            .await;
        }
    };
    let mut details = VisitorDetails::from_values(&values, &settings);
    if standard {
        if let Some(ctx) = context.and_then(|c| c.cleaned()) {
            details.page = ctx.page;
            details.referrer = ctx.referrer;
        }
        if let Some(ua) = ua {
            details.browser = Some(ua.browser.to_owned());
            details.os = Some(ua.os.to_owned());
        }
    }
    let mode = Mode {
        typing_indicator: settings.typing_indicator,
        live_preview: standard && settings.live_preview,
    };

    let (visitor, token) = match token {
        Some(token) => match state
            .store
            .visitor_by_token(widget.id, &token_hash(token.as_str()))
            .await
        {
            Ok(v) => (v, token),
            Err(StoreError::NotFound) => {
                return refuse(
                    &mut sink,
                    ErrorCode::Unauthorized,
                    "the visitor token is wrong or expired; start again without one",
                    close::UNAUTHORIZED,
                )
                .await;
            }
            Err(e) => return internal(&mut sink, e).await,
        },
        None => {
            let issued = match new_token() {
                Ok(t) => t,
                Err(e) => return internal(&mut sink, e).await,
            };
            let Ok(token) = VisitorToken::parse(&issued) else {
                return internal(
                    &mut sink,
                    anyhow::anyhow!("issued token has the wrong shape"),
                )
                .await;
            };
            match state
                .store
                .create_visitor(widget.id, &token_hash(&issued), TOKEN_TTL_MS)
                .await
            {
                Ok(id) => (
                    Visitor {
                        id,
                        widget_id: widget.id,
                    },
                    token,
                ),
                Err(e) => return internal(&mut sink, e).await,
            }
        }
    };

    let receipt = match &consent {
        Some(given) if settings.consent.required => {
            let policy = settings.privacy_link.as_ref().map(|l| l.url.as_str());
            match state
                .store
                .receipt_for(widget.id, visitor.id, given, policy)
                .await
            {
                Ok(id) => Some(id),
                Err(e) => return internal(&mut sink, e).await,
            }
        }
        _ => None,
    };

    // Subscribe before reading history, so nothing stored in between is missed; the
    // sequence check below drops what the replay already sent.
    let mut events = state.hub.subscribe();
    let mut conversation = match state.store.open_conversation_of(visitor.id).await {
        Ok(c) => c,
        Err(e) => return internal(&mut sink, e).await,
    };
    tracing::debug!(visitor = visitor.id, "visitor connected");
    // The operator who answered last, for the widget's header.
    let operator = match conversation {
        Some(c) => state
            .store
            .last_operator_name(c)
            .await
            .ok()
            .flatten()
            .map(|name| confide_protocol::chat::OperatorInfo {
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
    if send(&mut sink, &welcome).await.is_err() {
        return;
    }
    let mut sent_seq = 0u64;
    if let Some(c) = conversation {
        match replay(&state, &mut sink, c, last_seq.unwrap_or(0)).await {
            Ok(Some(seq)) => sent_seq = seq,
            Ok(None) => sent_seq = last_seq.unwrap_or(0),
            Err(()) => return,
        }
    }

    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(msg) = msg else { break };
                last_heard = tokio::time::Instant::now();
                match parse::<VisitorClient>(msg) {
                    Incoming::Frame(frame) => {
                        let started = Started { visitor, receipt_id: receipt, details: &details, mode };
                        let step = handle(&state, &mut sink, &started, &mut conversation, &mut sent_seq, frame).await;
                        if step.is_err() { break; }
                    }
                    Incoming::Refused { error, fatal } => {
                        if send(&mut sink, &VisitorServer::Error { error }).await.is_err() { break; }
                        if let Some(code) = fatal {
                            close_with(&mut sink, code, "refused").await;
                            break;
                        }
                    }
                    Incoming::Alive => {}
                    Incoming::Closed => break,
                }
            }
            event = events.recv() => {
                match event {
                    Ok(event) => {
                        if forward(&state, &mut sink, mode, &mut conversation, &mut sent_seq, &event).await.is_err() { break; }
                    }
                    Err(RecvError::Lagged(_)) => {
                        // Too far behind: the client reconnects and resumes from its last seq.
                        close_with(&mut sink, 1013, "reconnect").await;
                        break;
                    }
                    Err(RecvError::Closed) => break,
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    close_with(&mut sink, 1001, "silent").await;
                    break;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() { break; }
            }
        }
    }
    if let Some(c) = conversation {
        state.hub.publish(Event::Typing {
            conversation: c,
            from: Author::Visitor,
            active: false,
        });
    }
    tracing::debug!(visitor = visitor.id, "visitor disconnected");
}

/// What the hello settled for this socket.
#[derive(Clone, Copy)]
struct Started<'a> {
    visitor: Visitor,
    /// The consent receipt a new conversation starts under.
    receipt_id: Option<i64>,
    /// Stored with a new conversation.
    details: &'a VisitorDetails,
    mode: Mode,
}

async fn handle<S>(
    state: &AppState,
    sink: &mut S,
    started: &Started<'_>,
    conversation: &mut Option<ConversationId>,
    sent_seq: &mut u64,
    frame: VisitorClient,
) -> Sent<S>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let Started {
        visitor,
        receipt_id,
        details,
        mode,
    } = *started;
    match frame {
        VisitorClient::Send { id, text } => {
            // A resend of a message stored earlier (perhaps in a conversation closed since)
            // gets its original acknowledgement and stores nothing.
            match state.store.visitor_message(visitor.id, &id).await {
                Ok(Some(m)) => {
                    return send(
                        sink,
                        &VisitorServer::Ack {
                            id,
                            seq: m.seq,
                            at: m.at,
                        },
                    )
                    .await;
                }
                Ok(None) => {}
                Err(e) => return error_frame(sink, e).await,
            }
            let conv = match *conversation {
                Some(c) => c,
                None => match state
                    .store
                    .create_conversation(NewConversation {
                        widget_id: visitor.widget_id,
                        visitor_id: Some(visitor.id),
                        offline: false,
                        receipt_id,
                        details: Some(details),
                    })
                    .await
                {
                    Ok(c) => {
                        *conversation = Some(c);
                        *sent_seq = 0;
                        c
                    }
                    Err(e) => return error_frame(sink, e).await,
                },
            };
            match state
                .store
                .append_message(conv, &id, Author::Visitor, None, &text)
                .await
            {
                Ok((message, created)) => {
                    send(
                        sink,
                        &VisitorServer::Ack {
                            id,
                            seq: message.seq,
                            at: message.at,
                        },
                    )
                    .await?;
                    if created {
                        tracing::debug!(
                            conversation = conv.0,
                            seq = message.seq,
                            "visitor message stored"
                        );
                        super::publish_stored(state, conv, message).await;
                    }
                    Ok(())
                }
                Err(e) => error_frame(sink, e).await,
            }
        }
        VisitorClient::Typing { active } => {
            if !mode.typing_indicator {
                // The widget shows no typing indicator: nothing to forward.
                return Ok(());
            }
            if let Some(c) = *conversation {
                state.hub.publish(Event::Typing {
                    conversation: c,
                    from: Author::Visitor,
                    active,
                });
            }
            Ok(())
        }
        VisitorClient::Read { .. } => Ok(()),
        VisitorClient::Draft { text } => {
            if !mode.live_preview {
                let error = ErrorBody::new(
                    ErrorCode::Invalid,
                    "live preview is off for this widget: drafts are not accepted",
                );
                return send(sink, &VisitorServer::Error { error }).await;
            }
            // In memory only: to the operators who have the conversation open. Before a
            // first message there is no conversation and nobody to show it to.
            if let Some(c) = *conversation {
                state.hub.publish(Event::Draft {
                    conversation: c,
                    text,
                });
            }
            Ok(())
        }
        VisitorClient::Export => {
            let (messages, receipt, details) = match *conversation {
                Some(c) => {
                    let messages = match state.store.messages_after(c, 0).await {
                        Ok(m) => m,
                        Err(e) => return error_frame(sink, e).await,
                    };
                    let receipt = match state.store.conversation_receipt(c).await {
                        Ok(r) => r.map(|r| r.info),
                        Err(e) => return error_frame(sink, e).await,
                    };
                    let details = match state.store.conversation_details(c).await {
                        Ok(d) => d,
                        Err(e) => return error_frame(sink, e).await,
                    };
                    (messages, receipt, details.map(Box::new))
                }
                None => (Vec::new(), None, None),
            };
            // Before a first message there is no conversation, but the consent was recorded.
            let receipt = match (receipt, receipt_id) {
                (Some(r), _) => Some(r),
                (None, Some(id)) => match state.store.receipt_info(id).await {
                    Ok(r) => Some(r),
                    Err(e) => return error_frame(sink, e).await,
                },
                (None, None) => None,
            };
            send(
                sink,
                &VisitorServer::Transcript {
                    conversation: *conversation,
                    messages,
                    receipt,
                    details,
                },
            )
            .await
        }
        VisitorClient::Delete => {
            let deleted = conversation.take();
            *sent_seq = 0;
            if let Some(c) = deleted {
                let summary = state.store.summary(c).await.ok();
                if let Err(e) = state.store.delete_conversation(c).await {
                    return error_frame(sink, e).await;
                }
                tracing::info!(conversation = c.0, "visitor deleted their conversation");
                announce_gone(state, c, summary);
            }
            send(
                sink,
                &VisitorServer::Deleted {
                    conversation: deleted,
                },
            )
            .await
        }
        VisitorClient::Withdraw => {
            let mut summaries = Vec::new();
            if let Some(c) = *conversation {
                summaries.push((c, state.store.summary(c).await.ok()));
            }
            let (at, deleted) = match state.store.withdraw_visitor(visitor.id).await {
                Ok(done) => done,
                Err(e) => return error_frame(sink, e).await,
            };
            *conversation = None;
            *sent_seq = 0;
            tracing::info!(
                visitor = visitor.id,
                conversations = deleted.len(),
                "consent withdrawn"
            );
            for c in &deleted {
                let summary = summaries
                    .iter()
                    .find(|(id, _)| id == c)
                    .and_then(|(_, s)| s.clone());
                announce_gone(state, *c, summary);
            }
            send(
                sink,
                &VisitorServer::Withdrawn {
                    at,
                    conversations_deleted: deleted.len() as u64,
                },
            )
            .await?;
            // Consent is gone: this socket ends; a new start needs a new consent.
            close_with(sink, 1000, "consent withdrawn").await;
            Err(axum::Error::new(anyhow::anyhow!("consent withdrawn")))
        }
        VisitorClient::Ping => send(sink, &VisitorServer::Pong).await,
        VisitorClient::Hello { .. } => {
            let error = ErrorBody::new(ErrorCode::Malformed, "hello is only the first frame");
            send(sink, &VisitorServer::Error { error }).await
        }
    }
}

async fn forward<S>(
    state: &AppState,
    sink: &mut S,
    mode: Mode,
    conversation: &mut Option<ConversationId>,
    sent_seq: &mut u64,
    event: &Event,
) -> Sent<S>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    match event {
        Event::Message {
            conversation: c,
            message,
        } if Some(*c) == *conversation => {
            let owed = match super::owed(&state.store, *c, sent_seq, message).await {
                Ok(owed) => owed,
                Err(e) => return error_frame(sink, e).await,
            };
            for message in owed {
                send(sink, &VisitorServer::Message { message }).await?;
            }
            Ok(())
        }
        Event::Typing {
            conversation: c,
            from: Author::Operator,
            active,
        } if Some(*c) == *conversation && mode.typing_indicator => {
            send(sink, &VisitorServer::Typing { active: *active }).await
        }
        Event::Closed { conversation: c } if Some(*c) == *conversation => {
            *conversation = None;
            *sent_seq = 0;
            send(sink, &VisitorServer::Closed { conversation: *c }).await
        }
        Event::Presence { operators_online } => {
            send(
                sink,
                &VisitorServer::Presence {
                    operators_online: *operators_online,
                },
            )
            .await
        }
        _ => Ok(()),
    }
}

/// Sends every message after `after`; returns the last sequence sent.
async fn replay<S>(
    state: &AppState,
    sink: &mut S,
    conv: ConversationId,
    after: u64,
) -> Result<Option<u64>, ()>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let messages = match state.store.messages_after(conv, after).await {
        Ok(m) => m,
        Err(e) => {
            let _ = error_frame(sink, e).await;
            return Err(());
        }
    };
    let mut last = None;
    for message in messages {
        last = Some(message.seq);
        send(sink, &VisitorServer::Message { message })
            .await
            .map_err(|_| ())?;
    }
    Ok(last)
}

/// Tells other sockets a conversation is gone: the visitor's other tabs see it closed, and
/// operators see its last summary marked closed (it can no longer be opened).
fn announce_gone(
    state: &AppState,
    c: ConversationId,
    summary: Option<confide_protocol::chat::ConversationSummary>,
) {
    state.hub.publish(Event::Closed { conversation: c });
    if let Some(mut s) = summary {
        s.open = false;
        state.hub.publish(Event::Summary(s));
    }
}

async fn refuse<S>(sink: &mut S, code: ErrorCode, message: impl Into<String>, close_code: u16)
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let _ = send(
        sink,
        &VisitorServer::Error {
            error: ErrorBody::new(code, message),
        },
    )
    .await;
    close_with(sink, close_code, "refused").await;
}

async fn internal<S, E: std::fmt::Display>(sink: &mut S, e: E)
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    tracing::error!(error = %e, "visitor socket failed");
    let _ = send(
        sink,
        &VisitorServer::Error {
            error: ErrorBody::new(ErrorCode::Internal, "internal error"),
        },
    )
    .await;
    close_with(sink, 1011, "internal error").await;
}

async fn error_frame<S>(sink: &mut S, e: StoreError) -> Sent<S>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    tracing::error!(error = %e, "visitor frame failed");
    send(
        sink,
        &VisitorServer::Error {
            error: ErrorBody::new(ErrorCode::Internal, "internal error"),
        },
    )
    .await
}
