//! `/ws/operator`: the console's socket, authenticated by the session cookie before upgrade.

use super::publish_summary;
use super::{close_with, parse, send, Incoming, PING_EVERY, SILENCE_LIMIT};
use crate::hub::Event;
use crate::store::{Operator, StoreError};
use crate::AppState;
use axum::extract::ws::Message;
use confide_protocol::chat::{
    initials, Author, ConversationId, OperatorClient, OperatorInfo, OperatorServer,
};
use confide_protocol::{ErrorBody, ErrorCode};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use std::collections::HashMap;
use tokio::sync::broadcast::error::RecvError;

type Sent = Result<(), axum::Error>;

pub async fn run<S, R>(state: AppState, operator: Operator, mut sink: S, mut stream: R)
where
    S: Sink<Message, Error = axum::Error> + Unpin,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let _presence = state.hub.operator_connected();
    let mut events = state.hub.subscribe();
    tracing::debug!(operator = operator.id, "operator connected");
    let hello = OperatorServer::Hello {
        operator: OperatorInfo {
            name: operator.name.clone(),
            initials: initials(&operator.name),
        },
    };
    if send(&mut sink, &hello).await.is_err() {
        return;
    }
    match state.store.open_summaries().await {
        Ok(conversations) => {
            if send(&mut sink, &OperatorServer::Inbox { conversations })
                .await
                .is_err()
            {
                return;
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot list conversations");
            close_with(&mut sink, 1011, "internal error").await;
            return;
        }
    }

    // Conversations this socket has opened, with the last sequence number sent for each.
    let mut opened: HashMap<ConversationId, u64> = HashMap::new();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(msg) = msg else { break };
                last_heard = tokio::time::Instant::now();
                match parse::<OperatorClient>(msg) {
                    Incoming::Frame(frame) => {
                        if handle(&state, &operator, &mut sink, &mut opened, frame).await.is_err() { break; }
                    }
                    Incoming::Refused { error, fatal } => {
                        if send(&mut sink, &OperatorServer::Error { error }).await.is_err() { break; }
                        if let Some(code) = fatal {
                            close_with(&mut sink, code, "refused").await;
                            break;
                        }
                    }
                    Incoming::Alive => {}
                    Incoming::Closed => break,
                }
            }
            event = events.recv() => match event {
                Ok(event) => {
                    if forward(&state, &mut sink, &mut opened, &event).await.is_err() { break; }
                }
                Err(RecvError::Lagged(_)) => {
                    close_with(&mut sink, 1013, "reconnect").await;
                    break;
                }
                Err(RecvError::Closed) => break,
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    close_with(&mut sink, 1001, "silent").await;
                    break;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() { break; }
            }
        }
    }
    // Whatever this operator was typing into is no longer being typed.
    for conversation in opened.keys() {
        state.hub.publish(Event::Typing {
            conversation: *conversation,
            from: Author::Operator,
            active: false,
        });
    }
    tracing::debug!(operator = operator.id, "operator disconnected");
}

async fn handle<S>(
    state: &AppState,
    operator: &Operator,
    sink: &mut S,
    opened: &mut HashMap<ConversationId, u64>,
    frame: OperatorClient,
) -> Sent
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    match frame {
        OperatorClient::Open {
            conversation,
            last_seq,
        } => {
            if let Err(e) = state.store.summary(conversation).await {
                return store_error(sink, e).await;
            }
            match state.store.conversation_receipt(conversation).await {
                Ok(Some(r)) => {
                    send(
                        sink,
                        &OperatorServer::Receipt {
                            conversation,
                            receipt: r.info,
                        },
                    )
                    .await?
                }
                Ok(None) => {}
                Err(e) => return store_error(sink, e).await,
            }
            match state.store.conversation_details(conversation).await {
                Ok(Some(details)) => {
                    send(
                        sink,
                        &OperatorServer::Details {
                            conversation,
                            details,
                        },
                    )
                    .await?
                }
                Ok(None) => {}
                Err(e) => return store_error(sink, e).await,
            }
            let after = last_seq.unwrap_or(0);
            let messages = match state.store.messages_after(conversation, after).await {
                Ok(m) => m,
                Err(e) => return store_error(sink, e).await,
            };
            let mut sent = after;
            for message in messages {
                sent = sent.max(message.seq);
                send(
                    sink,
                    &OperatorServer::Message {
                        conversation,
                        message,
                    },
                )
                .await?;
            }
            opened.insert(conversation, sent);
            Ok(())
        }
        OperatorClient::Send {
            conversation,
            id,
            text,
        } => {
            match state.store.summary(conversation).await {
                Ok(s) if !s.open => {
                    return refuse(sink, ErrorCode::Invalid, "the conversation is closed").await
                }
                Ok(_) => {}
                Err(e) => return store_error(sink, e).await,
            }
            match state
                .store
                .append_message(
                    conversation,
                    &id,
                    Author::Operator,
                    Some(operator.id),
                    &text,
                )
                .await
            {
                Ok((message, created)) => {
                    send(
                        sink,
                        &OperatorServer::Ack {
                            conversation,
                            id,
                            seq: message.seq,
                            at: message.at,
                        },
                    )
                    .await?;
                    if created {
                        tracing::debug!(
                            conversation = conversation.0,
                            seq = message.seq,
                            operator = operator.id,
                            "operator message stored"
                        );
                        super::publish_stored(state, conversation, message).await;
                    }
                    Ok(())
                }
                Err(e) => store_error(sink, e).await,
            }
        }
        OperatorClient::Typing {
            conversation,
            active,
        } => {
            if !opened.contains_key(&conversation) {
                return refuse(sink, ErrorCode::Invalid, "open the conversation first").await;
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
                Err(e) => store_error(sink, e).await,
            }
        }
        OperatorClient::Close { conversation } => {
            match state.store.close_conversation(conversation).await {
                Ok(true) => {
                    tracing::debug!(
                        conversation = conversation.0,
                        operator = operator.id,
                        "conversation closed"
                    );
                    state.hub.publish(Event::Closed { conversation });
                    publish_summary(state, conversation).await;
                    Ok(())
                }
                Ok(false) => Ok(()),
                Err(e) => store_error(sink, e).await,
            }
        }
        OperatorClient::Ping => send(sink, &OperatorServer::Pong).await,
    }
}

async fn forward<S>(
    state: &AppState,
    sink: &mut S,
    opened: &mut HashMap<ConversationId, u64>,
    event: &Event,
) -> Sent
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    match event {
        Event::Summary(summary) => {
            send(
                sink,
                &OperatorServer::Conversation {
                    conversation: summary.clone(),
                },
            )
            .await
        }
        Event::Message {
            conversation,
            message,
        } => {
            let Some(sent) = opened.get_mut(conversation) else {
                return Ok(());
            };
            let owed = match super::owed(&state.store, *conversation, sent, message).await {
                Ok(owed) => owed,
                Err(e) => return store_error(sink, e).await,
            };
            for message in owed {
                send(
                    sink,
                    &OperatorServer::Message {
                        conversation: *conversation,
                        message,
                    },
                )
                .await?;
            }
            Ok(())
        }
        Event::Typing {
            conversation,
            from: Author::Visitor,
            active,
        } if opened.contains_key(conversation) => {
            send(
                sink,
                &OperatorServer::Typing {
                    conversation: *conversation,
                    active: *active,
                },
            )
            .await
        }
        Event::Draft { conversation, text } if opened.contains_key(conversation) => {
            send(
                sink,
                &OperatorServer::Draft {
                    conversation: *conversation,
                    text: text.clone(),
                },
            )
            .await
        }
        _ => Ok(()),
    }
}

async fn refuse<S>(sink: &mut S, code: ErrorCode, message: &'static str) -> Sent
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    send(
        sink,
        &OperatorServer::Error {
            error: ErrorBody::new(code, message),
        },
    )
    .await
}

async fn store_error<S>(sink: &mut S, e: StoreError) -> Sent
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    match e {
        StoreError::NotFound => refuse(sink, ErrorCode::NotFound, "no such conversation").await,
        other => {
            tracing::error!(error = %other, "operator frame failed");
            refuse(sink, ErrorCode::Internal, "internal error").await
        }
    }
}
