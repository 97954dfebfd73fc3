//! The two WebSocket endpoints, `/ws/visitor` (the widget) and `/ws/operator` (the console),
//! over one session loop ([`session::run`]): pings and the silence limit, incoming frames,
//! hub deliveries and close codes live there once, and each socket's own logic is a
//! [`session::Peer`].
//!
//! The socket logic is generic over a `Sink` and a `Stream` of axum WebSocket messages, so it
//! is tested over channels without a network. Frames are JSON text; anything else, anything
//! too large, or anything that does not parse gets an `error` frame with a stable code, and
//! nothing is stored.

pub mod operator;
pub mod session;
pub mod visitor;

use crate::store::{Store, StoreError};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocketUpgrade};
use confide_protocol::chat::{close, ChatMessage, ConversationId, MAX_FRAME_BYTES};
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
/// The codec's read buffer. Frames are small; tungstenite's default (128 KiB, allocated for
/// every socket up front) was nearly all of an idle socket's memory.
pub const READ_BUFFER: usize = 4 * 1024;
/// What may wait in a socket's write buffer while the peer does not read: a little more than
/// the largest frame the server sends (a page of messages or summaries).
pub const MAX_WRITE_BUFFER: usize = 8 * 1024 * 1024;
/// Messages read from the database at once (replay, catch-up, export).
pub const PAGE: u32 = 200;

/// The codec settings every chat socket gets.
pub fn upgrade(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.read_buffer_size(READ_BUFFER)
        // Written at once: each send is flushed anyway, and nothing waits in a buffer.
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(CODEC_LIMIT)
        .max_frame_size(CODEC_LIMIT)
}

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

/// Parses one message. The payload is read in place and dropped here, so nothing keeps the
/// codec's read buffer alive.
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

/// A readable description of a JSON error that never quotes the input: serde's reason with
/// anything it quoted removed, as for HTTP bodies.
fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => "the frame is not valid JSON".to_owned(),
        Category::Data => {
            let text = e.to_string();
            let reason = text.split(" at line ").next().unwrap_or("invalid frame");
            let described = crate::error::describe_reason(reason);
            if described.len() > 300 {
                "the frame does not match the protocol".to_owned()
            } else {
                format!("the frame does not match the protocol: {described}")
            }
        }
        Category::Io => "the frame could not be read".to_owned(),
    }
}

/// The session is over: the socket is gone, or this side closed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop;

/// The sending half of a socket.
#[derive(Debug)]
pub struct Out<S> {
    sink: S,
}

impl<S> Out<S>
where
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
{
    pub fn new(sink: S) -> Self {
        Self { sink }
    }

    pub async fn send<T: Serialize>(&mut self, frame: &T) -> Result<(), Stop> {
        let text = serde_json::to_string(frame).map_err(|_| Stop)?;
        self.send_text(Utf8Bytes::from(text)).await
    }

    /// A frame serialised before (a hub event's).
    pub async fn send_text(&mut self, text: Utf8Bytes) -> Result<(), Stop> {
        self.sink.send(Message::Text(text)).await.map_err(|_| Stop)
    }

    pub async fn ping(&mut self) -> Result<(), Stop> {
        self.sink
            .send(Message::Ping(Default::default()))
            .await
            .map_err(|_| Stop)
    }

    /// Sends a close frame and ends the session.
    pub async fn close(&mut self, code: u16, reason: &'static str) -> Stop {
        let _ = self
            .sink
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            })))
            .await;
        let _ = self.sink.close().await;
        Stop
    }
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

/// A conversation a socket delivers, and the last sequence number it has sent of it. Every
/// message reaches the client once and in order: [`Delivered::owed`] decides what a
/// published message means for this socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub conversation: ConversationId,
    pub sent: u64,
}

/// What a socket owes its client when a message is published.
#[derive(Debug, PartialEq, Eq)]
pub enum Owed {
    /// Sent before.
    Nothing,
    /// The next one: send the published frame.
    This,
    /// Events arrived out of order (they are published after commit by different tasks,
    /// and a sequence number is taken inside the write transaction, so the gap is already
    /// committed): read everything after `sent` from the database.
    Gap,
}

impl Delivered {
    pub fn new(conversation: ConversationId, sent: u64) -> Self {
        Self { conversation, sent }
    }

    /// What `message` means for this socket; advances `sent` when it is the next one.
    pub fn owed(&mut self, message: &ChatMessage) -> Owed {
        if message.seq <= self.sent {
            Owed::Nothing
        } else if message.seq == self.sent + 1 {
            self.sent = message.seq;
            Owed::This
        } else {
            Owed::Gap
        }
    }

    /// Sends every stored message after `sent`, a page at a time, each as `frame` makes it;
    /// advances `sent`.
    pub async fn catch_up<S, F, T>(
        &mut self,
        store: &Store,
        out: &mut Out<S>,
        frame: F,
    ) -> Result<Result<(), StoreError>, Stop>
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
        F: Fn(ConversationId, ChatMessage) -> T + Send,
        T: Serialize,
    {
        loop {
            let page = match store
                .messages_page(self.conversation, self.sent, PAGE)
                .await
            {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let full = page.len() == PAGE as usize;
            for message in page {
                let seq = message.seq;
                out.send(&frame(self.conversation, message)).await?;
                self.sent = self.sent.max(seq);
            }
            if !full {
                return Ok(Ok(()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confide_protocol::chat::{Author, ClientMsgId, MessageText};

    fn message(seq: u64) -> ChatMessage {
        ChatMessage {
            seq,
            id: ClientMsgId::parse(&format!("msg-{seq:08}")).expect("id"),
            author: Author::Visitor,
            author_name: None,
            text: MessageText::parse("hi").expect("text"),
            at: 0,
        }
    }

    #[test]
    fn the_next_message_is_sent_an_old_one_skipped_a_gap_read() {
        let mut d = Delivered::new(ConversationId(1), 3);
        assert_eq!(d.owed(&message(2)), Owed::Nothing);
        assert_eq!(d.owed(&message(3)), Owed::Nothing);
        assert_eq!(d.owed(&message(4)), Owed::This);
        assert_eq!(d.sent, 4);
        assert_eq!(d.owed(&message(6)), Owed::Gap);
        assert_eq!(
            d.sent, 4,
            "a gap is read from the database, which advances sent"
        );
    }

    #[test]
    fn socket_errors_never_quote_the_frame() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields, tag = "type", rename_all = "snake_case")]
        #[allow(dead_code)]
        enum Frame {
            Send { text: String },
        }
        for bad in [
            r#"{"type":"send","text":"x","secret-field":1}"#,
            r#"{"type":"secret-type"}"#,
            r#"{"type":"send","text":["secret-value"]}"#,
        ] {
            let Incoming::Refused { error, .. } =
                parse::<Frame>(Ok(Message::Text(Utf8Bytes::from(bad.to_owned()))))
            else {
                panic!("{bad} was accepted");
            };
            assert!(
                !error.message.contains("secret"),
                "{bad}: {}",
                error.message
            );
            assert_eq!(error.code, ErrorCode::Malformed);
        }
    }
}
