//! `use_host_bridge`: the widget's side of the `postMessage` channel with the loader.
//!
//! - Accepts only messages whose `source` is `window.parent` (the loader sends them with the
//!   chat origin as target): `{confide: "state", open, page, ref}` says whether the panel is
//!   shown, and the host page's URL and referrer. Those stay in the [`PageSlot`]: only a
//!   standard-mode widget sends them (without query or fragment) in its `hello`.
//! - Posts `{confide: "ready"}`, `{confide: "unread", count}` and `{confide: "close"}` to the
//!   parent with target `*`: they carry a kind and a count, never text or anything personal.
//! - Together with the page's visibility, "open" decides whether operator messages count as
//!   unread.
//! - The keyboard: Escape closes the privacy panel when it is open, else (in the loader's
//!   iframe) asks the loader to close the chat, which gives the focus back to its launcher.
//!   When the window gets the focus (the loader focuses the iframe as the chat opens), a
//!   focus left on nothing moves to the current view's first control
//!   ([`browser::focus_first`]).

use crate::browser;
use crate::state::{Action, ChatState};
use confide_protocol::details::PageContext;
use gloo_events::EventListener;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{KeyboardEvent, MessageEvent};
use yew::prelude::*;

/// The host page's URL and referrer as the loader last told them; shared with the socket.
pub type PageSlot = Rc<RefCell<Option<PageContext>>>;

/// What the widget knows about its embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct HostBridge {
    pub page: PageSlot,
    /// Runs in the loader's iframe (not opened on its own).
    pub embedded: bool,
    /// Asks the loader to close the panel.
    pub close: Callback<()>,
}

#[hook]
pub fn use_host_bridge(chat: &UseReducerHandle<ChatState>) -> HostBridge {
    let embedded = *use_memo((), |_| browser::parent_window().is_some());
    let page: PageSlot = (*use_memo((), |_| Rc::new(RefCell::new(None)))).clone();
    let close = use_callback((), |(), _| browser::post_to_host("close", None));

    {
        let dispatcher = chat.dispatcher();
        let on_escape = chat.dispatcher();
        let page = page.clone();
        let close = close.clone();
        use_effect_with((), move |_| {
            // The iframe exists only once the visitor opened the panel.
            let open = Rc::new(Cell::new(true));
            let update = {
                let open = open.clone();
                move || {
                    dispatcher.dispatch(Action::Attention(open.get() && browser::page_visible()))
                }
            };
            update();
            let mut listeners = Vec::new();
            if let Some(window) = web_sys::window() {
                let update_on_message = update.clone();
                listeners.push(EventListener::new(&window, "message", move |e| {
                    let Some(e) = e.dyn_ref::<MessageEvent>() else {
                        return;
                    };
                    let from_parent = match (e.source(), browser::parent_window()) {
                        (Some(source), Some(parent)) => {
                            let parent: &JsValue = parent.as_ref();
                            AsRef::<JsValue>::as_ref(&source) == parent
                        }
                        _ => false,
                    };
                    if !from_parent {
                        return;
                    }
                    if let Some(is_open) = browser::host_state_open(&e.data()) {
                        open.set(is_open);
                        *page.borrow_mut() = browser::host_page(&e.data());
                        update_on_message();
                    }
                }));
                if let Some(document) = window.document() {
                    listeners.push(EventListener::new(
                        &document,
                        "visibilitychange",
                        move |_| update(),
                    ));
                }
                listeners.push(EventListener::new(&window, "keydown", move |e| {
                    let escape = e
                        .dyn_ref::<KeyboardEvent>()
                        .is_some_and(|e| e.key() == "Escape" && !e.is_composing());
                    if !escape {
                    } else if browser::element("[data-testid=privacy-panel]").is_some() {
                        on_escape.dispatch(Action::Privacy(false));
                    } else if embedded {
                        close.emit(());
                    }
                }));
                listeners.push(EventListener::new(&window, "focus", |_| {
                    browser::focus_first()
                }));
            }
            browser::post_to_host("ready", None);
            move || drop(listeners)
        });
    }

    use_effect_with(chat.unread, |unread| {
        browser::post_to_host("unread", Some(*unread));
    });

    HostBridge {
        page,
        embedded,
        close,
    }
}
