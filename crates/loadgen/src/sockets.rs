//! The sockets: one tokio task per visitor (so the load generator measures the server, not
//! its own thread switching) and one operator task that opens every conversation and times
//! each visitor message from the scheduled send time written in its text.

use confide_protocol::chat::{
    Author, ClientMsgId, ConsentGiven, ConversationId, MessageText, OperatorClient, OperatorServer,
    VisitorClient, VisitorServer,
};
use futures_util::{SinkExt, StreamExt};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<TcpStream>;

/// Everything the tasks share with the main task.
#[derive(Debug)]
pub struct Shared {
    /// The nodes: visitor `i` connects to `servers[i % len]`, the operator (index 0) to the
    /// first. One node unless the PostgreSQL run starts two.
    pub servers: Vec<SocketAddr>,
    /// Loopback source addresses to spread client sockets over (127.0.0.1, .2, …).
    pub sources: u8,
    pub consent: Option<ConsentGiven>,
    /// All times are micros since this instant, so visitor and operator tasks agree.
    pub epoch: Instant,
    /// The current measurement window: start and end in micros since `epoch`, 0 when none.
    pub window_start: AtomicU64,
    pub window_end: AtomicU64,
    /// Each visitor sends a timed message this often during a window.
    pub interval_us: u64,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    /// Visitor-to-operator latencies in micros, from the scheduled send time, as the operator
    /// task sees them.
    pub latencies: Mutex<Vec<u64>>,
    /// Timed messages sent, and their latencies, by the node the visitor is on (the text
    /// names it), so messages that cross nodes can be told from the others.
    pub node_sent: Vec<AtomicU64>,
    pub node_latencies: Vec<Mutex<Vec<u64>>>,
    /// The slowest timed message since this was last taken: latency in micros, its sequence
    /// number in its conversation (2: the first after the warm-up) and its visitor's node.
    pub slowest: Mutex<Option<(u64, u64, usize)>>,
    /// Send-to-ack latencies in micros.
    pub ack_latencies: Mutex<Vec<u64>>,
    /// Conversations the operator has opened and seen the warm-up message of.
    pub confirmed: AtomicU64,
    pub stop_operator: AtomicBool,
    /// The phase running now (for error counts): 0 idle, 1 ramp, 2 writes.
    pub phase: AtomicU8,
    /// Errors by phase and kind, with how often each happened.
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// Close frames the server sent, by code (1013 would mean it dropped a slow socket).
    pub closes: Mutex<BTreeMap<u16, u64>>,
}

impl Shared {
    /// The node visitor `index` is on (0: the operator's).
    pub fn node_of(&self, index: usize) -> usize {
        index % self.servers.len().max(1)
    }

    pub fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn error(&self, e: String) {
        let phase = ["idle", "ramp", "writes"]
            .get(usize::from(self.phase.load(Ordering::Relaxed)))
            .copied()
            .unwrap_or("other");
        if let Ok(mut errors) = self.errors.lock() {
            *errors.entry(format!("{phase}: {e}")).or_insert(0) += 1;
        }
    }

    fn closed(&self, code: u16) {
        if let Ok(mut closes) = self.closes.lock() {
            *closes.entry(code).or_insert(0) += 1;
        }
    }
}

/// What a visitor task does once it is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Hello only, then stay idle (answering pings) until told to stop.
    Idle,
    /// Hello, one warm-up message so the conversation exists, then a timed message every
    /// interval during each measurement window.
    Timed,
    /// Hello, then send as fast as acks come back, until told to stop.
    Writer,
}

/// Connects visitor `index` (0: the operator) to its node; returns the stream and the node.
async fn connect(
    shared: &Shared,
    index: usize,
    path: &str,
) -> Result<(TcpStream, SocketAddr), String> {
    let server = shared.servers[shared.node_of(index)];
    let source = Ipv4Addr::new(
        127,
        0,
        0,
        1 + (index % usize::from(shared.sources.max(1))) as u8,
    );
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::from((source, 0)))
        .map_err(|e| format!("bind {source}: {e}"))?;
    let stream = tokio::time::timeout(Duration::from_secs(10), socket.connect(server))
        .await
        .map_err(|_| format!("connect {path} from {source}: timed out"))?
        .map_err(|e| format!("connect {path} from {source}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok((stream, server))
}

async fn handshake(stream: TcpStream, url: &str, cookie: Option<&str>) -> Result<Ws, String> {
    let mut req = url.into_client_request().map_err(|e| e.to_string())?;
    if let Some(c) = cookie {
        let value = HeaderValue::from_str(c).map_err(|e| e.to_string())?;
        req.headers_mut().insert("Cookie", value);
    }
    // Small buffers: thousands of these live in this one process.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::client_async_with_config(req, stream, Some(config)),
    )
    .await
    .map_err(|_| format!("handshake {url}: timed out"))?
    .map_err(|e| format!("handshake {url}: {e}"))?;
    Ok(ws)
}

async fn send_json<T: serde::Serialize>(ws: &mut Ws, frame: &T) -> Result<(), String> {
    let text = serde_json::to_string(frame).map_err(|e| e.to_string())?;
    ws.send(Message::text(text))
        .await
        .map_err(|e| e.to_string())
}

/// Reads one frame, waiting at most `wait`. `Ok(None)` on timeout or a non-text frame
/// (pings are answered by the stream itself).
async fn read_text(shared: &Shared, ws: &mut Ws, wait: Duration) -> Result<Option<String>, String> {
    match tokio::time::timeout(wait, ws.next()).await {
        Err(_) => Ok(None),
        Ok(None) => Err("the connection ended".into()),
        Ok(Some(Ok(Message::Text(t)))) => Ok(Some(t.as_str().to_owned())),
        Ok(Some(Ok(Message::Close(c)))) => Err(match c {
            Some(c) => {
                shared.closed(u16::from(c.code));
                format!(
                    "closed by the server: {} {}",
                    u16::from(c.code),
                    c.reason.as_str()
                )
            }
            None => "closed by the server".into(),
        }),
        Ok(Some(Ok(_))) => Ok(None),
        Ok(Some(Err(e))) => Err(e.to_string()),
    }
}

async fn read_visitor(
    shared: &Shared,
    ws: &mut Ws,
    wait: Duration,
) -> Result<Option<VisitorServer>, String> {
    Ok(read_text(shared, ws, wait)
        .await?
        .and_then(|t| serde_json::from_str(&t).ok()))
}

fn msg_id(index: usize, n: u64) -> Result<ClientMsgId, String> {
    ClientMsgId::parse(&format!("bench{index:07}x{n:010}")).map_err(str::to_owned)
}

fn text(s: &str) -> Result<MessageText, String> {
    MessageText::parse(s).map_err(|e| e.to_string())
}

/// Where a visitor task reports: `Ok(())` once connected (and warmed up), else the error.
pub type Ready = mpsc::UnboundedSender<Result<(), String>>;

/// Runs one visitor until `stop` is set; reports readiness on `ready` first. `connecting`
/// bounds how many visitors connect at once.
pub async fn visitor(
    shared: Arc<Shared>,
    index: usize,
    mode: Mode,
    stop: Arc<AtomicBool>,
    ready: Ready,
    connecting: Arc<tokio::sync::Semaphore>,
) {
    let opened = {
        let _permit = connecting.acquire().await;
        open_visitor(&shared, index, mode).await
    };
    let mut ws = match opened {
        Ok(ws) => {
            let _ = ready.send(Ok(()));
            ws
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let result = match mode {
        Mode::Idle => idle(&shared, &mut ws, &stop).await,
        Mode::Timed => timed(&shared, &mut ws, index, &stop).await,
        Mode::Writer => writer(&shared, &mut ws, index, &stop).await,
    };
    if let Err(e) = result {
        shared.error(format!("visitor: {e}"));
    }
    let _ = ws.close(None).await;
}

async fn open_visitor(shared: &Shared, index: usize, mode: Mode) -> Result<Ws, String> {
    let (stream, server) = connect(shared, index, "/ws/visitor").await?;
    let mut ws = handshake(stream, &format!("ws://{server}/ws/visitor"), None).await?;
    // Built as JSON so fields the protocol adds later (all optional) need no change here.
    let hello = serde_json::json!({
        "type": "hello",
        "widget": "demo",
        "consent": shared.consent,
    });
    send_json(&mut ws, &hello).await?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match read_visitor(shared, &mut ws, left).await? {
            Some(VisitorServer::Welcome { .. }) => break,
            Some(VisitorServer::Error { error }) => return Err(format!("hello: {:?}", error.code)),
            _ if Instant::now() >= deadline => return Err("no welcome in 20 s".into()),
            _ => {}
        }
    }
    if mode == Mode::Timed {
        let id = msg_id(index, 0)?;
        send_json(
            &mut ws,
            &VisitorClient::Send {
                id: id.clone(),
                text: text("warm")?,
            },
        )
        .await?;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match read_visitor(shared, &mut ws, left).await? {
                Some(VisitorServer::Ack { id: acked, .. }) if acked == id => break,
                Some(VisitorServer::Error { error }) => {
                    return Err(format!("warm-up: {:?}", error.code))
                }
                _ if Instant::now() >= deadline => return Err("no warm-up ack in 20 s".into()),
                _ => {}
            }
        }
    }
    Ok(ws)
}

async fn idle(shared: &Shared, ws: &mut Ws, stop: &AtomicBool) -> Result<(), String> {
    while !stop.load(Ordering::Relaxed) {
        // Reading answers the server's pings.
        read_text(shared, ws, Duration::from_millis(500)).await?;
    }
    Ok(())
}

/// A fixed, spread-out phase for each visitor, so sends are not all at the window's start.
fn phase_us(index: usize, interval_us: u64) -> u64 {
    let spread = (index as u64).wrapping_mul(2_654_435_761) % 10_000;
    interval_us * spread / 10_000
}

async fn timed(
    shared: &Shared,
    ws: &mut Ws,
    index: usize,
    stop: &AtomicBool,
) -> Result<(), String> {
    let node = shared.node_of(index);
    let mut n = 0u64;
    let mut window = 0u64;
    let mut next_send = u64::MAX;
    let mut pending: HashMap<ClientMsgId, u64> = HashMap::new();
    while !stop.load(Ordering::Relaxed) {
        let start = shared.window_start.load(Ordering::Acquire);
        let end = shared.window_end.load(Ordering::Acquire);
        if start != window {
            window = start;
            next_send = if start == 0 {
                u64::MAX
            } else {
                start + phase_us(index, shared.interval_us)
            };
        }
        let now = shared.now_us();
        if now >= next_send {
            if next_send < end {
                n += 1;
                let id = msg_id(index, n)?;
                // The scheduled time, not the time this task got to it: a late send is the
                // server's (or this machine's) delay too, and is counted (no coordinated
                // omission).
                let scheduled = next_send;
                let frame = VisitorClient::Send {
                    id: id.clone(),
                    text: text(&format!("lat {scheduled} {node}"))?,
                };
                send_json(ws, &frame).await?;
                shared.sent.fetch_add(1, Ordering::Relaxed);
                if let Some(c) = shared.node_sent.get(node) {
                    c.fetch_add(1, Ordering::Relaxed);
                }
                pending.insert(id, scheduled);
                next_send += shared.interval_us;
            } else {
                next_send = u64::MAX;
            }
        }
        let wait_us = next_send.saturating_sub(shared.now_us()).min(250_000);
        if let Some(VisitorServer::Ack { id, .. }) =
            read_visitor(shared, ws, Duration::from_micros(wait_us.max(1))).await?
        {
            if let Some(sent_at) = pending.remove(&id) {
                shared.acked.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut acks) = shared.ack_latencies.lock() {
                    acks.push(shared.now_us().saturating_sub(sent_at));
                }
            }
        }
    }
    Ok(())
}

async fn writer(
    shared: &Shared,
    ws: &mut Ws,
    index: usize,
    stop: &AtomicBool,
) -> Result<(), String> {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let id = msg_id(index, n)?;
        let sent_at = shared.now_us();
        send_json(
            ws,
            &VisitorClient::Send {
                id: id.clone(),
                text: text("w")?,
            },
        )
        .await?;
        loop {
            match read_visitor(shared, ws, Duration::from_millis(500)).await? {
                Some(VisitorServer::Ack { id: acked, .. }) if acked == id => {
                    shared.acked.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut acks) = shared.ack_latencies.lock() {
                        acks.push(shared.now_us().saturating_sub(sent_at));
                    }
                    break;
                }
                Some(VisitorServer::Error { error }) => return Err(format!("{:?}", error.code)),
                _ if stop.load(Ordering::Relaxed) => return Ok(()),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Connects the operator socket with the session cookie and waits for its `hello`.
pub async fn open_operator(shared: &Shared, cookie: &str) -> Result<Ws, String> {
    let (stream, server) = connect(shared, 0, "/ws/operator").await?;
    let mut ws = handshake(stream, &format!("ws://{server}/ws/operator"), Some(cookie)).await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let frame = read_text(shared, &mut ws, Duration::from_millis(200))
            .await?
            .and_then(|t| serde_json::from_str::<OperatorServer>(&t).ok());
        if let Some(OperatorServer::Hello { .. }) = frame {
            return Ok(ws);
        }
    }
    Err("no operator hello in 10 s".into())
}

/// The operator: opens each conversation as it appears and times every visitor message.
pub async fn operator(shared: Arc<Shared>, mut ws: Ws) {
    let mut opened: HashSet<ConversationId> = HashSet::new();
    let mut confirmed: HashSet<ConversationId> = HashSet::new();
    while !shared.stop_operator.load(Ordering::Relaxed) {
        let frame = match read_text(&shared, &mut ws, Duration::from_millis(200)).await {
            Ok(Some(t)) => serde_json::from_str::<OperatorServer>(&t).ok(),
            Ok(None) => None,
            Err(e) => {
                shared.error(format!("operator: {e}"));
                break;
            }
        };
        let to_open: Vec<ConversationId> = match frame {
            Some(OperatorServer::Inbox { conversations }) => {
                conversations.into_iter().map(|c| c.id).collect()
            }
            // The inbox comes in pages: ask for each older one, as the console's button does.
            Some(OperatorServer::InboxMore { before }) => {
                if let Err(e) = send_json(&mut ws, &OperatorClient::InboxPage { before }).await {
                    shared.error(format!("operator: {e}"));
                    return;
                }
                Vec::new()
            }
            Some(OperatorServer::InboxPage {
                conversations,
                more,
            }) => {
                if let Some(before) = more {
                    if let Err(e) = send_json(&mut ws, &OperatorClient::InboxPage { before }).await
                    {
                        shared.error(format!("operator: {e}"));
                        return;
                    }
                }
                conversations.into_iter().map(|c| c.id).collect()
            }
            Some(OperatorServer::Conversation { conversation }) => vec![conversation.id],
            Some(OperatorServer::Message {
                conversation,
                message,
            }) if message.author == Author::Visitor => {
                let text = message.text.as_str();
                // "lat SCHEDULED NODE"
                let mut words = text.strip_prefix("lat ").unwrap_or_default().split(' ');
                if let Some(sent) = words.next().and_then(|s| s.parse::<u64>().ok()) {
                    let latency = shared.now_us().saturating_sub(sent);
                    if let Ok(mut l) = shared.latencies.lock() {
                        l.push(latency);
                    }
                    let node = words.next().and_then(|s| s.parse::<usize>().ok());
                    if let Ok(mut slowest) = shared.slowest.lock() {
                        if slowest.is_none_or(|(l, _, _)| latency > l) {
                            *slowest = Some((latency, message.seq, node.unwrap_or(0)));
                        }
                    }
                    if let Some(Ok(mut l)) = node
                        .and_then(|n| shared.node_latencies.get(n))
                        .map(Mutex::lock)
                    {
                        l.push(latency);
                    }
                } else if text == "warm" && confirmed.insert(conversation) {
                    shared.confirmed.fetch_add(1, Ordering::Release);
                }
                Vec::new()
            }
            _ => Vec::new(),
        };
        for conversation in to_open {
            if opened.insert(conversation) {
                let open = OperatorClient::Open {
                    conversation,
                    last_seq: Some(0),
                };
                if let Err(e) = send_json(&mut ws, &open).await {
                    shared.error(format!("operator: {e}"));
                    return;
                }
            }
        }
    }
    let _ = ws.close(None).await;
}
