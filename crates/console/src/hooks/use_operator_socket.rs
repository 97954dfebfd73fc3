//! The operator's WebSocket, `/ws/operator` on the console's own origin (the session cookie
//! authenticates it). While `enabled`, it stays connected: after a loss it retries with
//! [`Backoff`] (0.5 s doubling to 10 s). A handshake that never opens may mean the session
//! expired, so it asks `GET /api/operator/me` before trying again. The server's WebSocket
//! pings are invisible to scripts, so the console also sends `ping` frames and treats a socket
//! that has said nothing for three intervals as dead (a laptop waking up, a dropped network).

use crate::api::{self, ApiError};
use crate::reconnect::{socket_url, Backoff};
use confide_protocol::chat::{close, OperatorClient, OperatorServer, HEARTBEAT_SECS};
use gloo_timers::callback::{Interval, Timeout};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};
use yew::prelude::*;

/// What the socket reports to the console.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketEvent {
    Opened,
    Frame(OperatorServer),
    /// Closed; the next attempt starts in `retry_ms`.
    Lost {
        retry_ms: u32,
    },
    /// The session is gone: sign in again.
    Unauthorized,
}

struct Handlers {
    _open: Closure<dyn FnMut()>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

#[derive(Default)]
struct Inner {
    events: Option<Callback<SocketEvent>>,
    ws: Option<WebSocket>,
    handlers: Option<Handlers>,
    opened: bool,
    backoff: Backoff,
    retry: Option<Timeout>,
    heartbeat: Option<Interval>,
    /// When the socket last said anything (`Date.now()`, ms).
    last_heard: f64,
    running: bool,
    /// Goes up at every start and stop, so a timer or request from an earlier run that
    /// completes late does nothing.
    session: u64,
}

type Shared = Rc<RefCell<Inner>>;

/// Emits outside of any borrow, so a handler may call back into the socket.
fn emit(inner: &Shared, event: SocketEvent) {
    let events = inner.borrow().events.clone();
    if let Some(events) = events {
        events.emit(event);
    }
}

/// True while `session` is the current run.
fn current(inner: &Shared, session: u64) -> bool {
    let i = inner.borrow();
    i.running && i.session == session
}

fn detach(ws: &WebSocket) {
    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
    let _ = ws.close();
}

fn connect(inner: &Shared, session: u64) {
    if !current(inner, session) {
        return;
    }
    if let Some(old) = inner.borrow_mut().ws.take() {
        detach(&old);
    }
    let url = web_sys::window()
        .map(|w| w.location())
        .and_then(|l| Some(socket_url(&l.protocol().ok()?, &l.host().ok()?)));
    let ws = url.and_then(|url| WebSocket::new(&url).ok());
    let Some(ws) = ws else {
        schedule_retry(inner, session);
        return;
    };
    let weak = Rc::downgrade(inner);
    let open = {
        let weak = weak.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                {
                    let mut i = inner.borrow_mut();
                    i.opened = true;
                    i.last_heard = js_sys::Date::now();
                    i.backoff.reset();
                }
                emit(&inner, SocketEvent::Opened);
            }
        })
    };
    let message = {
        let weak = weak.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            inner.borrow_mut().last_heard = js_sys::Date::now();
            // A frame this console does not understand is skipped; its content is never logged.
            let frame = e
                .data()
                .as_string()
                .and_then(|text| serde_json::from_str::<OperatorServer>(&text).ok());
            if let Some(frame) = frame {
                emit(&inner, SocketEvent::Frame(frame));
            }
        })
    };
    let closed = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        if let Some(inner) = weak.upgrade() {
            on_close(&inner, session, e.code());
        }
    });
    ws.set_onopen(Some(open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(closed.as_ref().unchecked_ref()));
    let mut i = inner.borrow_mut();
    i.opened = false;
    i.ws = Some(ws);
    // The previous socket's handlers are not running now (this runs from a timer or a
    // future), so they can go.
    i.handlers = Some(Handlers {
        _open: open,
        _message: message,
        _close: closed,
    });
}

fn on_close(inner: &Shared, session: u64, code: u16) {
    if !current(inner, session) {
        return;
    }
    let was_open = {
        let mut i = inner.borrow_mut();
        i.ws = None;
        std::mem::take(&mut i.opened)
    };
    if code == close::UNAUTHORIZED {
        emit(inner, SocketEvent::Unauthorized);
        return;
    }
    if was_open {
        schedule_retry(inner, session);
        return;
    }
    // The handshake failed: a 401 before the upgrade looks just like a network error here.
    let weak = Rc::downgrade(inner);
    wasm_bindgen_futures::spawn_local(async move {
        let answer = api::me().await;
        if let Some(inner) = weak.upgrade() {
            if !current(&inner, session) {
                return;
            }
            match answer {
                Err(ApiError::Unauthorized(_)) => emit(&inner, SocketEvent::Unauthorized),
                _ => schedule_retry(&inner, session),
            }
        }
    });
}

fn schedule_retry(inner: &Shared, session: u64) {
    let weak: Weak<RefCell<Inner>> = Rc::downgrade(inner);
    let retry_ms = {
        let mut i = inner.borrow_mut();
        let delay = i.backoff.next_delay();
        i.retry = Some(Timeout::new(delay, move || {
            // Connect from a fresh task, so the timer that is running now can be replaced.
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(inner) = weak.upgrade() {
                    connect(&inner, session);
                }
            });
        }));
        delay
    };
    emit(inner, SocketEvent::Lost { retry_ms });
}

/// Every heartbeat: ping an open socket, or drop it if it has been silent too long.
fn heartbeat(inner: &Shared, session: u64) {
    if !current(inner, session) {
        return;
    }
    let silent_ms = js_sys::Date::now() - inner.borrow().last_heard;
    let stale = inner.borrow().opened && silent_ms > 3.0 * 1000.0 * HEARTBEAT_SECS as f64;
    if stale {
        let ws = {
            let mut i = inner.borrow_mut();
            i.opened = false;
            i.ws.take()
        };
        if let Some(ws) = ws {
            detach(&ws);
        }
        schedule_retry(inner, session);
    } else {
        send(inner, &OperatorClient::Ping);
    }
}

fn shut_down(inner: &Shared) {
    let mut i = inner.borrow_mut();
    i.running = false;
    i.session += 1;
    i.retry = None;
    i.heartbeat = None;
    i.backoff.reset();
    if let Some(ws) = i.ws.take() {
        detach(&ws);
    }
    i.handlers = None;
}

fn send(inner: &Shared, frame: &OperatorClient) -> bool {
    let i = inner.borrow();
    let Some(ws) =
        i.ws.as_ref()
            .filter(|ws| ws.ready_state() == WebSocket::OPEN)
    else {
        return false;
    };
    match serde_json::to_string(frame) {
        Ok(json) => ws.send_with_str(&json).is_ok(),
        Err(_) => false,
    }
}

/// Connects while `enabled`, reports through `events`, and returns the function that sends a
/// frame (dropped while disconnected: the outbox and re-`open` cover that).
#[hook]
pub fn use_operator_socket(
    enabled: bool,
    events: Callback<SocketEvent>,
) -> Callback<OperatorClient> {
    let inner = use_mut_ref(Inner::default);
    inner.borrow_mut().events = Some(events);
    {
        let inner = inner.clone();
        use_effect_with(enabled, move |&enabled| {
            if enabled {
                let session = {
                    let mut i = inner.borrow_mut();
                    i.running = true;
                    i.session += 1;
                    i.session
                };
                let weak = Rc::downgrade(&inner);
                let beat = Interval::new(HEARTBEAT_SECS as u32 * 1000, move || {
                    if let Some(inner) = weak.upgrade() {
                        heartbeat(&inner, session);
                    }
                });
                inner.borrow_mut().heartbeat = Some(beat);
                connect(&inner, session);
            }
            move || shut_down(&inner)
        });
    }
    let sender = use_memo((), |_| {
        let weak = Rc::downgrade(&inner);
        Callback::from(move |frame: OperatorClient| {
            if let Some(inner) = weak.upgrade() {
                send(&inner, &frame);
            }
        })
    });
    (*sender).clone()
}
