//! The operator's typing indicator, as the visitor sees it: `typing{active: true}` on the
//! first keystroke (repeated every few seconds while typing goes on, so the other side may
//! expire a stale indicator), `false` after 3 s without a keystroke, on send, or when leaving
//! the conversation. A bare on/off: the draft itself is never sent.

use confide_protocol::chat::{ConversationId, OperatorClient};
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Idle time after which the operator no longer counts as typing.
pub const TYPING_IDLE_MS: u32 = 3000;
/// While typing goes on, `active: true` is repeated this often.
pub const TYPING_REFRESH_MS: f64 = 2500.0;

/// Call `typed` on every edit of the draft and `stopped` when the reply is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct TypingSignal {
    pub typed: Callback<()>,
    pub stopped: Callback<()>,
}

#[derive(Default)]
struct Inner {
    active: bool,
    /// When `active: true` was last sent (`Date.now()`, ms).
    announced: f64,
    idle: Option<Timeout>,
}

fn stop(inner: &RefCell<Inner>, send: &Callback<OperatorClient>, conversation: ConversationId) {
    let was_active = {
        let mut i = inner.borrow_mut();
        i.idle = None;
        std::mem::take(&mut i.active)
    };
    if was_active {
        send.emit(OperatorClient::Typing {
            conversation,
            active: false,
        });
    }
}

#[hook]
pub fn use_typing_signal(
    conversation: ConversationId,
    send: Callback<OperatorClient>,
) -> TypingSignal {
    let inner = use_mut_ref(Inner::default);
    {
        // Leaving the conversation (or the page) ends the signal.
        let inner = inner.clone();
        let send = send.clone();
        use_effect_with(conversation, move |&conversation| {
            move || stop(&inner, &send, conversation)
        });
    }
    let signal = use_memo((conversation, send), |(conversation, send)| {
        let conversation = *conversation;
        let typed = {
            let inner = inner.clone();
            let send = send.clone();
            Callback::from(move |()| {
                let now = js_sys::Date::now();
                let announce = {
                    let i = inner.borrow();
                    !i.active || now - i.announced >= TYPING_REFRESH_MS
                };
                if announce {
                    inner.borrow_mut().announced = now;
                    send.emit(OperatorClient::Typing {
                        conversation,
                        active: true,
                    });
                }
                let weak = Rc::downgrade(&inner);
                let on_idle = send.clone();
                let timeout = Timeout::new(TYPING_IDLE_MS, move || {
                    if let Some(inner) = weak.upgrade() {
                        let was_active = std::mem::take(&mut inner.borrow_mut().active);
                        if was_active {
                            on_idle.emit(OperatorClient::Typing {
                                conversation,
                                active: false,
                            });
                        }
                    }
                });
                let mut i = inner.borrow_mut();
                i.active = true;
                i.idle = Some(timeout);
            })
        };
        let stopped = {
            let inner = inner.clone();
            let send = send.clone();
            Callback::from(move |()| stop(&inner, &send, conversation))
        };
        TypingSignal { typed, stopped }
    });
    (*signal).clone()
}
