//! The session loop both sockets share: it reads frames, hands hub deliveries over, pings,
//! closes a silent socket, and answers refused frames with the socket's own `error` frame.
//! What a frame or an event means is the [`Peer`]'s business.

use super::{parse, Incoming, Out, Stop, PING_EVERY, SILENCE_LIMIT};
use crate::hub::{Delivery, Published, Subscription};
use axum::extract::ws::Message;
use confide_protocol::ErrorBody;
use futures_util::{Sink, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// What a socket's session is given to work with: where to send, and its subscription.
#[derive(Debug)]
pub struct Conn<'a, S> {
    pub out: &'a mut Out<S>,
    pub sub: &'a mut Subscription,
}

/// One socket's logic, plugged into [`run`].
pub trait Peer: Send {
    /// The frames the client sends.
    type Client: DeserializeOwned + Send;
    /// The frames the server sends.
    type Server: Serialize + Send + Sync;

    /// The socket's `error` frame.
    fn error(error: ErrorBody) -> Self::Server;

    /// A frame from the client. `Err(Stop)` ends the session.
    fn on_frame<S>(
        &mut self,
        conn: Conn<'_, S>,
        frame: Self::Client,
    ) -> impl Future<Output = Result<(), Stop>> + Send
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send;

    /// An event of a topic this socket watches.
    fn on_event<S>(
        &mut self,
        conn: Conn<'_, S>,
        event: &Published,
    ) -> impl Future<Output = Result<(), Stop>> + Send
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send;

    /// The subscription fell behind and events were dropped: send what the client missed,
    /// from the database.
    fn on_lagged<S>(&mut self, conn: Conn<'_, S>) -> impl Future<Output = Result<(), Stop>> + Send
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send;

    /// When [`Peer::on_deadline`] should run next, if ever.
    fn deadline(&self) -> Option<tokio::time::Instant> {
        None
    }

    /// The deadline passed.
    fn on_deadline<S>(&mut self, _: Conn<'_, S>) -> impl Future<Output = Result<(), Stop>> + Send
    where
        S: Sink<Message, Error = axum::Error> + Unpin + Send,
    {
        async { Ok(()) }
    }

    /// The session is over (whatever the reason).
    fn on_end(&mut self);
}

/// Runs the session until the client leaves, goes silent, or the peer stops it.
pub async fn run<P, S, R>(peer: &mut P, mut out: Out<S>, mut stream: R, mut sub: Subscription)
where
    P: Peer,
    S: Sink<Message, Error = axum::Error> + Unpin + Send,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin + Send,
{
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    loop {
        let deadline = peer.deadline();
        let step = tokio::select! {
            msg = stream.next() => {
                let Some(msg) = msg else { break };
                last_heard = tokio::time::Instant::now();
                match parse::<P::Client>(msg) {
                    // Boxed: the work of one frame (store queries and all) takes memory only while
                    // it runs, not in every idle socket's future.
                    Incoming::Frame(frame) => {
                        Box::pin(peer.on_frame(Conn { out: &mut out, sub: &mut sub }, frame)).await
                    }
                    Incoming::Refused { error, fatal } => {
                        match out.send(&P::error(error)).await {
                            Ok(()) => match fatal {
                                Some(code) => Err(out.close(code, "refused").await),
                                None => Ok(()),
                            },
                            Err(stop) => Err(stop),
                        }
                    }
                    Incoming::Alive => Ok(()),
                    Incoming::Closed => break,
                }
            }
            delivery = sub.recv() => match delivery {
                Delivery::Event(event) => {
                    Box::pin(peer.on_event(Conn { out: &mut out, sub: &mut sub }, &event)).await
                }
                Delivery::Lagged => {
                    Box::pin(peer.on_lagged(Conn { out: &mut out, sub: &mut sub })).await
                }
            },
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)),
                if deadline.is_some() =>
            {
                Box::pin(peer.on_deadline(Conn { out: &mut out, sub: &mut sub })).await
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    Err(out.close(1001, "silent").await)
                } else {
                    out.ping().await
                }
            }
        };
        if step.is_err() {
            break;
        }
    }
    peer.on_end();
}
