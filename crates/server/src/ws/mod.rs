//! The two WebSocket endpoints: `/ws/visitor` (the widget) and `/ws/operator` (the console).
//!
//! The socket logic is generic over a `Sink` and a `Stream` of axum WebSocket messages, so it
//! does not depend on a real connection. Frames are JSON text; anything else, anything too
//! large, or anything that does not parse gets an `error` frame with a stable code, and
//! nothing is stored.

pub mod operator;
pub mod visitor;

use crate::hub::Event;
use crate::store::{Store, StoreError};
use crate::AppState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use confide_protocol::chat::{close, MAX_FRAME_BYTES};
use confide_protocol::chat::{ChatMessage, ConversationId};
use confide_protocol::{ErrorBody, ErrorCode};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// How often the server pings, and how long a silent socket may stay.
pub const PING_EVERY: Duration = Duration::from_secs(confide_protocol::chat::HEARTBEAT_SECS);
pub const SILENCE_LIMIT: Duration = Duration::from_secs(3 * confide_protocol::chat::HEARTBEAT_SECS);
/// The hard limit handed to the WebSocket codec: larger frames are cut off by the codec;
/// frames between MAX_FRAME_BYTES and this get a clear `too_large` error first.
pub const CODEC_LIMIT: usize = 4 * MAX_FRAME_BYTES;
/// How long a new socket has to say `hello`.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// What one incoming WebSocket message turned out to be.
#[derive(Debug)]
pub enum Incoming<T> {
    Frame(T),
    /// Refused; `fatal` closes the socket with `close_code`.
    Refused {
        error: ErrorBody,
        fatal: Option<u16>,
    },
    /// Ping or pong: the peer is alive, nothing to do.
    Alive,
    Closed,
}

pub fn parse<T: DeserializeOwned>(msg: Result<Message, axum::Error>) -> Incoming<T> {
    match msg {
        Ok(Message::Text(text)) => {
            if text.len() > MAX_FRAME_BYTES {
                return Incoming::Refused {
                    error: ErrorBody::new(
                        ErrorCode::TooLarge,
                        format!("a frame is at most {MAX_FRAME_BYTES} bytes"),
                    ),
                    fatal: Some(close::TOO_LARGE),
                };
            }
            match serde_json::from_str::<T>(&text) {
                Ok(frame) => Incoming::Frame(frame),
                Err(e) => Incoming::Refused {
                    // serde's message names the field or type, never echoes the values.
                    error: ErrorBody::new(ErrorCode::Malformed, describe_json_error(&e)),
                    fatal: None,
                },
            }
        }
        Ok(Message::Binary(_)) => Incoming::Refused {
            error: ErrorBody::new(ErrorCode::Malformed, "frames are JSON text, not binary"),
            fatal: None,
        },
        Ok(Message::Ping(_) | Message::Pong(_)) => Incoming::Alive,
        Ok(Message::Close(_)) => Incoming::Closed,
        // The codec refused the frame (for example over CODEC_LIMIT) or the connection broke.
        Err(_) => Incoming::Closed,
    }
}

/// A readable description of a JSON error that never quotes the input.
fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => "the frame is not valid JSON".to_owned(),
        Category::Data => {
            // serde_json data errors look like "unknown variant `shout`, expected one of ..." or
            // "missing field `id`"; they name fields and variants from our own types. Strip
            // anything quoted in backticks that is not one of ours by keeping only the first clause.
            let text = e.to_string();
            let first = text.split(" at line ").next().unwrap_or("invalid frame");
            if first.contains("invalid type") || first.contains("invalid value") {
                "a field has the wrong type or value".to_owned()
            } else if first.len() > 200 {
                "the frame does not match the protocol".to_owned()
            } else {
                format!("the frame does not match the protocol: {first}")
            }
        }
        Category::Io => "the frame could not be read".to_owned(),
    }
}

pub async fn send<S, T>(sink: &mut S, frame: &T) -> Result<(), axum::Error>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
    T: Serialize,
{
    let text = serde_json::to_string(frame).map_err(axum::Error::new)?;
    sink.send(Message::Text(Utf8Bytes::from(text))).await
}

pub async fn close_with<S>(sink: &mut S, code: u16, reason: &'static str)
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })))
        .await;
    let _ = sink.close().await;
}

/// The next frame, skipping pings, within `limit`.
pub async fn next_frame<R, T>(stream: &mut R, limit: Duration) -> Incoming<T>
where
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
    T: DeserializeOwned,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => {
                return Incoming::Refused {
                    error: ErrorBody::new(ErrorCode::Malformed, "no hello frame in time"),
                    fatal: Some(close::PROTOCOL),
                }
            }
            Ok(None) => return Incoming::Closed,
            Ok(Some(msg)) => match parse(msg) {
                Incoming::Alive => continue,
                other => return other,
            },
        }
    }
}

/// The messages a socket owes its client when `message` is published, given that it has sent
/// everything up to `sent`: the message itself when it is the next one; the whole gap from
/// the database when events arrived out of order (they are published after commit by
/// different tasks, and a sequence number is taken inside the write transaction, so the gap
/// is already committed); nothing when it was sent before. Advances `sent`.
pub async fn owed(
    store: &Store,
    conversation: ConversationId,
    sent: &mut u64,
    message: &ChatMessage,
) -> Result<Vec<ChatMessage>, StoreError> {
    if message.seq <= *sent {
        return Ok(Vec::new());
    }
    let out = if message.seq == *sent + 1 {
        vec![message.clone()]
    } else {
        store.messages_after(conversation, *sent).await?
    };
    if let Some(last) = out.last() {
        *sent = (*sent).max(last.seq);
    }
    Ok(out)
}

/// After a message is stored for the first time: fan it out, then the conversation's new
/// summary (for operators' inboxes).
pub async fn publish_stored(state: &AppState, conversation: ConversationId, message: ChatMessage) {
    state.hub.publish(Event::Message {
        conversation,
        message,
    });
    publish_summary(state, conversation).await;
}

/// Publishes the conversation's current summary.
pub async fn publish_summary(state: &AppState, conversation: ConversationId) {
    match state.store.summary(conversation).await {
        Ok(s) => state.hub.publish(Event::Summary(s)),
        Err(e) => {
            tracing::warn!(conversation = conversation.0, error = %e, "cannot summarise conversation")
        }
    }
}
