//! `use_chat_socket`: the visitor's WebSocket to `/ws/visitor` on the iframe's own origin.
//!
//! - Opens with `hello {widget, token, last_seq, consent, fields, context}`; the token comes
//!   from and goes back to `localStorage["confide.token.<KEY>"]`; `consent` is what the
//!   visitor agreed to in the gate (every hello carries it when the widget requires consent),
//!   `fields` the pre-chat values, and `context` the host page and referrer: standard mode
//!   only, never in privacy mode.
//! - When the server refuses the consent (`error` `consent_required`, close 4451) or the
//!   fields (close 4422) it stops for good and reports it, so the widget shows the gate again
//!   rather than reconnecting.
//! - After every `welcome` it resends the whole outbox with the same ids (the server answers a
//!   resend with the original ack and stores nothing new).
//! - The outbox also lives in `sessionStorage["confide.outbox.<KEY>"]`, so a reload resends.
//! - The privacy panel's requests go out on it: `conversations` and `export` whenever the
//!   panel opens (and again after a reconnect while it is open, or another conversation is
//!   picked), `delete` and `withdraw`; "download all" sends one `export` per conversation
//!   listed and gathers their transcripts into one file here, apart from the panel's state. After `withdrawn` it
//!   forgets the token and the outbox, stops for good and reports it, so the widget forgets
//!   the consent and shows the gate again.
//! - On close or error it reconnects after [`backoff::delay_ms`]; it sends an app-level `ping`
//!   every [`PING_MS`] so idle proxies keep the socket.

use crate::backoff;
use crate::browser::{self, Area};
use crate::frames::{decode_outbox, decode_server, encode_client, encode_outbox};
use crate::gate::ChatSetup;
use crate::hooks::PageSlot;
use crate::persist::{outbox_key, token_key};
use crate::privacy::{all_json, Transcript};
use crate::state::{Action, ChatState, Outgoing};
use confide_protocol::chat::{
    close, ConversationId, MessageText, VisitorClient, VisitorServer, VisitorToken,
};
use confide_protocol::{ErrorCode, WidgetKey};
use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};
use yew::prelude::*;

/// App-level ping period.
pub const PING_MS: u32 = 25_000;

/// A handle on the socket; cheap to clone, equal only to itself.
#[derive(Clone)]
pub struct ChatSocket(Rc<RefCell<Conn>>);

impl PartialEq for ChatSocket {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for ChatSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChatSocket")
    }
}

struct Conn {
    widget: WidgetKey,
    setup: Rc<ChatSetup>,
    page: PageSlot,
    /// Told once when the server refuses the consent.
    on_refused: Callback<()>,
    /// Told once when the server confirms the consent is withdrawn.
    on_withdrawn: Callback<()>,
    chat: Option<UseReducerHandle<ChatState>>,
    ws: Option<WebSocket>,
    /// The current socket's listeners; replaced (never dropped from inside one) on reconnect.
    listeners: Vec<EventListener>,
    /// Grows with every socket and on stop, so events and timers of an old one are ignored.
    generation: u32,
    /// The current socket received `welcome`: frames other than `hello` may go out.
    welcomed: bool,
    /// Failed attempts since the last `welcome`.
    attempt: u32,
    stopped: bool,
    ping: Option<Interval>,
    /// "Download all": the conversations still awaited, and the transcripts complete so far
    /// (the last one may still be coming in parts).
    gather: Option<(Vec<ConversationId>, Vec<Transcript>)>,
}

/// Reads the latest state through a fresh clone of the handle, so the long-lived handle kept
/// in [`Conn`] never accumulates old states.
fn latest<R>(chat: &UseReducerHandle<ChatState>, f: impl FnOnce(&ChatState) -> R) -> R {
    let fresh = chat.clone();
    f(&fresh)
}

impl ChatSocket {
    fn new(widget: WidgetKey, setup: Rc<ChatSetup>, page: PageSlot) -> Self {
        Self(Rc::new(RefCell::new(Conn {
            widget,
            setup,
            page,
            on_refused: Callback::noop(),
            on_withdrawn: Callback::noop(),
            chat: None,
            ws: None,
            listeners: Vec::new(),
            generation: 0,
            welcomed: false,
            attempt: 0,
            stopped: false,
            ping: None,
            gather: None,
        })))
    }

    fn start(
        &self,
        chat: UseReducerHandle<ChatState>,
        on_refused: Callback<()>,
        on_withdrawn: Callback<()>,
    ) {
        let weak = Rc::downgrade(&self.0);
        {
            let mut c = self.0.borrow_mut();
            c.chat = Some(chat);
            c.on_refused = on_refused;
            c.on_withdrawn = on_withdrawn;
            c.stopped = false;
            c.ping = Some(Interval::new(PING_MS, move || {
                if let Some(conn) = weak.upgrade() {
                    send_frame(&conn, &VisitorClient::Ping);
                }
            }));
        }
        connect(&self.0);
    }

    fn stop(&self) {
        let ws = {
            let mut c = self.0.borrow_mut();
            c.stopped = true;
            c.generation = c.generation.wrapping_add(1);
            c.welcomed = false;
            c.ping = None;
            c.listeners.clear();
            c.chat = None;
            c.ws.take()
        };
        if let Some(ws) = ws {
            let _ = ws.close();
        }
    }

    /// Queues `text` in the outbox and sends it now if the socket is up; otherwise it goes
    /// out after the next `welcome`.
    pub fn send_text(&self, text: MessageText) {
        let Some(id) = browser::new_client_id() else {
            return;
        };
        let chat = self.0.borrow().chat.clone();
        if let Some(chat) = chat {
            chat.dispatch(Action::Queue(Outgoing {
                id: id.clone(),
                text: text.clone(),
            }));
        }
        send_frame(&self.0, &VisitorClient::Send { id, text });
    }

    /// Tells the operator the visitor is (or stopped) typing: a bare boolean, and only when
    /// the widget shows a typing indicator.
    pub fn typing(&self, active: bool) {
        if self.0.borrow().setup.typing_indicator {
            send_frame(&self.0, &VisitorClient::Typing { active });
        }
    }

    /// Sends a frame without content of its own (`export`, `delete`, `withdraw`); `false`
    /// when the socket is not up right now.
    pub fn request(&self, frame: &VisitorClient) -> bool {
        send_frame(&self.0, frame)
    }

    /// Asks for each of `ids`' transcripts and, once all have come, offers them as one JSON
    /// file (`false` when the socket is not up right now).
    pub fn download_all(&self, ids: Vec<ConversationId>) -> bool {
        let frames: Vec<VisitorClient> = ids
            .iter()
            .map(|c| VisitorClient::Export {
                conversation: Some(*c),
            })
            .collect();
        self.0.borrow_mut().gather = Some((ids, Vec::new()));
        frames.iter().all(|f| send_frame(&self.0, f))
    }

    /// Tells the server the visitor has seen everything up to `seq`.
    pub fn read(&self, seq: u64) {
        send_frame(&self.0, &VisitorClient::Read { seq });
    }
}

fn write(ws: &WebSocket, frame: &VisitorClient) -> bool {
    ws.ready_state() == WebSocket::OPEN && ws.send_with_str(&encode_client(frame)).is_ok()
}

/// Sends a frame on a welcomed socket; `false` when there is none right now.
fn send_frame(conn: &Rc<RefCell<Conn>>, frame: &VisitorClient) -> bool {
    let ws = {
        let c = conn.borrow();
        if !c.welcomed {
            return false;
        }
        c.ws.clone()
    };
    ws.is_some_and(|ws| write(&ws, frame))
}

fn connect(conn: &Rc<RefCell<Conn>>) {
    if conn.borrow().stopped {
        return;
    }
    let socket = browser::visitor_socket_url().and_then(|url| WebSocket::new(&url).ok());
    let Some(ws) = socket else {
        schedule_retry(conn);
        return;
    };
    let generation = {
        let mut c = conn.borrow_mut();
        c.generation = c.generation.wrapping_add(1);
        c.welcomed = false;
        c.generation
    };
    let weak = Rc::downgrade(conn);
    let on = |event: &'static str, f: fn(&Rc<RefCell<Conn>>, u32, &web_sys::Event)| {
        let weak: Weak<RefCell<Conn>> = weak.clone();
        EventListener::new(&ws, event, move |e| {
            if let Some(conn) = weak.upgrade() {
                if conn.borrow().generation == generation {
                    f(&conn, generation, e);
                }
            }
        })
    };
    let listeners = vec![
        on("open", |conn, _, _| on_open(conn)),
        on("message", |conn, _, e| {
            let text = e
                .dyn_ref::<MessageEvent>()
                .and_then(|m| m.data().as_string());
            if let Some(text) = text {
                on_frame(conn, &text);
            }
        }),
        on("close", |conn, generation, e| {
            let code = e.dyn_ref::<CloseEvent>().map(CloseEvent::code);
            on_lost(conn, generation, code);
        }),
        on("error", |conn, generation, _| {
            on_lost(conn, generation, None)
        }),
    ];
    let old = {
        let mut c = conn.borrow_mut();
        c.listeners = listeners;
        c.ws.replace(ws)
    };
    if let Some(old) = old {
        let _ = old.close();
    }
}

fn on_open(conn: &Rc<RefCell<Conn>>) {
    let (ws, hello) = {
        let c = conn.borrow();
        let token = browser::storage_get(Area::Local, &token_key(&c.widget))
            .and_then(|t| VisitorToken::parse(&t).ok());
        let last_seq = c
            .chat
            .as_ref()
            .and_then(|chat| latest(chat, ChatState::resume_from));
        // Privacy mode: the page context never leaves the browser.
        let context = if c.setup.privacy_mode {
            None
        } else {
            c.page.borrow().clone()
        };
        (
            c.ws.clone(),
            VisitorClient::Hello {
                widget: c.widget.clone(),
                token,
                last_seq,
                consent: c.setup.consent.clone(),
                context,
                fields: c.setup.fields.clone(),
            },
        )
    };
    if let Some(ws) = ws {
        write(&ws, &hello);
    }
}

fn on_frame(conn: &Rc<RefCell<Conn>>, text: &str) {
    let Some(frame) = decode_server(text) else {
        return;
    };
    let Some(chat) = conn.borrow().chat.clone() else {
        return;
    };
    match frame {
        VisitorServer::Welcome {
            token,
            conversation,
            operators_online,
            operator,
        } => {
            {
                let mut c = conn.borrow_mut();
                browser::storage_set(Area::Local, &token_key(&c.widget), token.as_str());
                c.welcomed = true;
                c.attempt = 0;
            }
            chat.dispatch(Action::Welcome {
                conversation,
                operators_online,
                operator,
            });
            // Everything not acknowledged yet, with its original id.
            for out in latest(&chat, ChatState::outbox) {
                send_frame(
                    conn,
                    &VisitorClient::Send {
                        id: out.id,
                        text: out.text,
                    },
                );
            }
        }
        VisitorServer::Message { message } => chat.dispatch(Action::Received(message)),
        VisitorServer::Ack { id, seq, at } => chat.dispatch(Action::Acked { id, seq, at }),
        VisitorServer::Typing { active } => chat.dispatch(Action::OperatorTyping(active)),
        VisitorServer::Presence { operators_online } => {
            chat.dispatch(Action::Presence(operators_online))
        }
        VisitorServer::Closed { conversation } => chat.dispatch(Action::Closed(conversation)),
        VisitorServer::Transcript {
            conversation,
            messages,
            receipt,
            details,
            more,
        } => {
            let t = Transcript {
                conversation,
                messages,
                receipt,
                details,
                more,
            };
            if let Some(t) = gathered(conn, t) {
                chat.dispatch(Action::Transcript(t));
            }
        }
        VisitorServer::Conversations {
            conversations,
            more,
        } => chat.dispatch(Action::History(conversations, more)),
        VisitorServer::Deleted { conversation } => chat.dispatch(Action::Deleted(conversation)),
        VisitorServer::Withdrawn { .. } => withdrawn(conn),
        VisitorServer::Pong => {}
        VisitorServer::Error { error } if error.code == ErrorCode::ConsentRequired => refused(conn),
        VisitorServer::Error { error } => chat.dispatch(Action::ServerError(error)),
    }
}

/// A transcript "download all" awaits is kept for its file (`None`); any other is the
/// panel's. The file is offered once the last awaited one is complete.
fn gathered(conn: &Rc<RefCell<Conn>>, t: Transcript) -> Option<Transcript> {
    let mut c = conn.borrow_mut();
    let Some((waiting, done)) = c.gather.as_mut() else {
        return Some(t);
    };
    let Some(pos) = t
        .conversation
        .and_then(|id| waiting.iter().position(|w| *w == id))
    else {
        return Some(t);
    };
    match done.last_mut() {
        Some(so_far) if so_far.more && so_far.conversation == t.conversation => {
            so_far.messages.extend(t.messages);
            so_far.more = t.more;
        }
        _ => done.push(t),
    }
    if !done.last().is_some_and(|d| d.more) {
        waiting.remove(pos);
    }
    if waiting.is_empty() {
        let file = all_json(done);
        c.gather = None;
        drop(c);
        browser::download("confide-conversations.json", "application/json", &file);
    }
    None
}

/// The socket closed (`code` known) or failed. Runs once per socket: the generation moves on.
fn on_lost(conn: &Rc<RefCell<Conn>>, generation: u32, code: Option<u16>) {
    let (chat, widget) = {
        let mut c = conn.borrow_mut();
        if c.stopped || c.generation != generation {
            return;
        }
        c.generation = c.generation.wrapping_add(1);
        c.welcomed = false;
        // Answers still awaited are lost with the socket: the visitor asks again.
        c.gather = None;
        (c.chat.clone(), c.widget.clone())
    };
    match code {
        Some(close::CONSENT_REQUIRED | close::FIELDS_INVALID) => {
            refused(conn);
            return;
        }
        Some(close::WIDGET_NOT_FOUND) => {
            conn.borrow_mut().stopped = true;
            if let Some(chat) = chat {
                chat.dispatch(Action::Unavailable);
            }
            return;
        }
        Some(close::UNAUTHORIZED) => {
            // The token is unknown or expired: start again as a new visitor.
            browser::storage_remove(Area::Local, &token_key(&widget));
            conn.borrow_mut().attempt = 0;
        }
        _ => {}
    }
    if let Some(chat) = chat {
        chat.dispatch(Action::Disconnected);
    }
    schedule_retry(conn);
}

/// The server wants a (current) consent: stop for good, without reconnecting, and say so once.
fn refused(conn: &Rc<RefCell<Conn>>) {
    let on_refused = {
        let mut c = conn.borrow_mut();
        if c.stopped {
            return;
        }
        c.stopped = true;
        c.welcomed = false;
        c.on_refused.clone()
    };
    on_refused.emit(());
}

/// Consent withdrawn: forget the token and the outbox, stop for good (the server closes the
/// socket), and say so once.
fn withdrawn(conn: &Rc<RefCell<Conn>>) {
    let (widget, on_withdrawn) = {
        let mut c = conn.borrow_mut();
        c.stopped = true;
        c.welcomed = false;
        (c.widget.clone(), c.on_withdrawn.clone())
    };
    browser::storage_remove(Area::Local, &token_key(&widget));
    browser::storage_remove(Area::Session, &outbox_key(&widget));
    on_withdrawn.emit(());
}

fn schedule_retry(conn: &Rc<RefCell<Conn>>) {
    let (generation, delay) = {
        let mut c = conn.borrow_mut();
        let delay = backoff::delay_ms(c.attempt, browser::random());
        c.attempt = c.attempt.saturating_add(1);
        (c.generation, delay)
    };
    let weak = Rc::downgrade(conn);
    wasm_bindgen_futures::spawn_local(async move {
        TimeoutFuture::new(delay).await;
        if let Some(conn) = weak.upgrade() {
            let current = {
                let c = conn.borrow();
                !c.stopped && c.generation == generation
            };
            if current {
                connect(&conn);
            }
        }
    });
}

/// Connects for `widget` with the `setup` settled before the chat (consent, fields, mode), keeps
/// `chat` up to date, calls `on_refused` if the server refuses the consent and `on_withdrawn`
/// once the visitor's withdrawal is confirmed, and returns the handle to send with.
#[hook]
pub fn use_chat_socket(
    widget: &WidgetKey,
    setup: &Rc<ChatSetup>,
    page: &PageSlot,
    chat: &UseReducerHandle<ChatState>,
    on_refused: &Callback<()>,
    on_withdrawn: &Callback<()>,
) -> ChatSocket {
    let socket = (*use_memo((widget.clone(), setup.clone()), |(w, s)| {
        ChatSocket::new(w.clone(), s.clone(), page.clone())
    }))
    .clone();

    {
        let chat = chat.clone();
        let widget = widget.clone();
        let on_refused = on_refused.clone();
        let on_withdrawn = on_withdrawn.clone();
        use_effect_with(socket.clone(), move |socket| {
            let saved = browser::storage_get(Area::Session, &outbox_key(&widget))
                .map(|json| decode_outbox(&json))
                .unwrap_or_default();
            if !saved.is_empty() {
                chat.dispatch(Action::Restore(saved));
            }
            socket.start(chat, on_refused, on_withdrawn);
            let socket = socket.clone();
            move || socket.stop()
        });
    }

    // Keep the outbox in session storage, so a reload resends what was not acknowledged.
    {
        let widget = widget.clone();
        use_effect_with(chat.outbox(), move |outbox| {
            let key = outbox_key(&widget);
            if outbox.is_empty() {
                browser::storage_remove(Area::Session, &key);
            } else {
                browser::storage_set(Area::Session, &key, &encode_outbox(outbox));
            }
        });
    }

    // Tell the server what the visitor has seen, once they can see it.
    {
        let socket = socket.clone();
        use_effect_with(
            (chat.attention, chat.last_seq, chat.session),
            move |(attention, last_seq, _)| {
                if *attention && *last_seq > 0 {
                    socket.read(*last_seq);
                }
            },
        );
    }

    // The privacy panel shows what is stored now: ask when it opens (the list, then the
    // current conversation), again after a reconnect while it is open, and for the
    // conversation picked in its list.
    {
        let socket = socket.clone();
        use_effect_with((chat.privacy_open, chat.session), move |(open, _)| {
            if *open {
                socket.request(&VisitorClient::Conversations { before: None });
            }
        });
    }
    {
        let socket = socket.clone();
        use_effect_with(
            (chat.privacy_open, chat.selected, chat.session),
            move |(open, selected, _)| {
                if *open {
                    socket.request(&VisitorClient::Export {
                        conversation: *selected,
                    });
                }
            },
        );
    }

    socket
}
