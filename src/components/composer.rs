//! The composer: Enter sends, Shift+Enter inserts a newline, a counter shows the length
//! against [`MAX_TEXT_CHARS`] and over-long text is refused. It reports typing as a bare
//! boolean: `true` when the visitor starts, `false` after [`TYPING_IDLE_MS`] without a key or
//! on send. The draft itself leaves this component only when the widget's setup has live
//! preview on (standard mode), [`PREVIEW_MS`] after the last keystroke; never in privacy mode.

use crate::context::{ChatContext, UiAction};
use confide_protocol::chat::{MessageText, MAX_TEXT_CHARS};
use confide_protocol::i18n::Text;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// After this long without input the visitor counts as no longer typing.
pub const TYPING_IDLE_MS: u32 = 3_000;
/// Live preview: the draft goes out this long after the last keystroke.
pub const PREVIEW_MS: u32 = 300;

#[derive(Default)]
struct Typing {
    active: bool,
    idle: Option<Timeout>,
}

impl Typing {
    /// Reports `false` if `true` was reported; cancels the idle timer.
    fn stop(this: &Rc<RefCell<Typing>>, actions: &Callback<UiAction>) {
        let was_active = {
            let mut t = this.borrow_mut();
            t.idle = None;
            std::mem::replace(&mut t.active, false)
        };
        if was_active {
            actions.emit(UiAction::Typing(false));
        }
    }
}

#[component]
pub fn Composer(ctx: &ChatContext) -> Html {
    let draft = use_state(String::new);
    let typing = use_mut_ref(Typing::default);
    // The pending live-preview update; dropping it cancels it.
    let preview = use_mut_ref(|| None::<Timeout>);

    // Leaving (the form replaced, the widget closed) ends "typing".
    {
        let typing = typing.clone();
        let actions = ctx.actions.clone();
        use_effect_with((), move |_| move || Typing::stop(&typing, &actions));
    }

    let count = draft.chars().count();
    let too_long = count > MAX_TEXT_CHARS;
    let sendable = MessageText::parse(&draft).ok();

    let send = {
        let draft = draft.clone();
        let typing = typing.clone();
        let actions = ctx.actions.clone();
        let sendable = sendable.clone();
        let preview = preview.clone();
        Callback::from(move |()| {
            if let Some(text) = sendable.clone() {
                preview.borrow_mut().take();
                Typing::stop(&typing, &actions);
                actions.emit(UiAction::Send(text));
                draft.set(String::new());
            }
        })
    };

    let oninput = {
        let draft = draft.clone();
        let typing = typing.clone();
        let actions = ctx.actions.clone();
        let live_preview = ctx.setup.live_preview;
        let preview = preview.clone();
        move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            if live_preview {
                let actions = actions.clone();
                let text = value.clone();
                *preview.borrow_mut() = Some(Timeout::new(PREVIEW_MS, move || {
                    actions.emit(UiAction::Draft(text));
                }));
            }
            if value.trim().is_empty() {
                Typing::stop(&typing, &actions);
            } else {
                let start = !typing.borrow().active;
                if start {
                    typing.borrow_mut().active = true;
                    actions.emit(UiAction::Typing(true));
                }
                let idle = {
                    let typing = typing.clone();
                    let actions = actions.clone();
                    Timeout::new(TYPING_IDLE_MS, move || {
                        // Never drop the timer from inside its own callback: only flip the flag.
                        let was_active = std::mem::replace(&mut typing.borrow_mut().active, false);
                        if was_active {
                            actions.emit(UiAction::Typing(false));
                        }
                    })
                };
                typing.borrow_mut().idle = Some(idle);
            }
            draft.set(value);
        }
    };

    let onkeydown = {
        let send = send.clone();
        move |e: KeyboardEvent| {
            if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                // Plain Enter never inserts a newline: it sends, or does nothing.
                e.prevent_default();
                send.emit(());
            }
        }
    };
    let onclick = move |_: MouseEvent| send.emit(());

    // Plain strings rather than `classes!`, which brings an ordered set into the bundle.
    let counter_class = if too_long {
        "confide-count confide-count-over"
    } else if count * 10 > MAX_TEXT_CHARS * 9 {
        "confide-count confide-count-near"
    } else {
        "confide-count"
    };
    let t = &ctx.t;
    let counter = if too_long {
        let over = (count - MAX_TEXT_CHARS) as u64;
        format!(
            "{count} / {MAX_TEXT_CHARS}: {}",
            t.count(Text::TooLong, "count", over, &[])
        )
    } else {
        format!("{count} / {MAX_TEXT_CHARS}")
    };
    html! {
        <div class="confide-composer">
            // `confide-first`: where focus goes when the chat opens (browser::focus_first).
            <textarea data-testid="composer" class="confide-input confide-first" rows="1"
                      placeholder={t.get(Text::Placeholder).to_owned()}
                      aria-label={t.get(Text::Message).to_owned()}
                      aria-invalid={too_long.then_some("true")}
                      aria-describedby="confide-count"
                      value={(*draft).clone()} {oninput} {onkeydown} />
            <div class="confide-composer-bar">
                <span id="confide-count" data-testid="char-count" class={counter_class}>
                    { counter }
                </span>
                <button type="button" data-testid="send" class="confide-send"
                        disabled={sendable.is_none()} {onclick}>
                    { t.get(Text::Send) }
                </button>
            </div>
        </div>
    }
}
