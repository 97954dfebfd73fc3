//! The reply box: Enter sends, Shift+Enter starts a new line, a counter shows the length
//! against the limit. Sending puts the reply in the outbox (pending) and on the socket.

use super::use_console;
use crate::hooks::use_typing_signal;
use crate::ids::new_client_id;
use crate::state::Action;
use confide_protocol::chat::{ConversationId, MessageText, OperatorClient, MAX_TEXT_CHARS};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct ComposerProps {
    pub id: ConversationId,
}

#[component]
pub fn Composer(props: &ComposerProps) -> Html {
    let ctx = use_console();
    let id = props.id;
    let draft = ctx.state.draft(id).to_owned();
    let length = draft.chars().count();
    let valid = MessageText::parse(&draft).is_ok();
    let typing = use_typing_signal(id, ctx.send.clone());
    let area = use_node_ref();

    // Ready to type as soon as a conversation opens.
    {
        let area = area.clone();
        use_effect_with(id, move |_| {
            if let Some(el) = area.cast::<HtmlTextAreaElement>() {
                let _ = el.focus();
            }
        });
    }

    let submit = {
        let (state, send, area, typing) = (
            ctx.state.clone(),
            ctx.send.clone(),
            area.clone(),
            typing.clone(),
        );
        Callback::from(move |()| {
            let value = area
                .cast::<HtmlTextAreaElement>()
                .map(|el| el.value())
                .unwrap_or_default();
            let Ok(text) = MessageText::parse(&value) else {
                return;
            };
            let msg_id = new_client_id();
            state.dispatch(Action::Reply {
                conversation: id,
                id: msg_id.clone(),
                text: text.clone(),
            });
            typing.stopped.emit(());
            send.emit(OperatorClient::Send {
                conversation: id,
                id: msg_id,
                text,
            });
            if let Some(el) = area.cast::<HtmlTextAreaElement>() {
                el.set_value("");
            }
        })
    };
    let oninput = {
        let state = ctx.state.clone();
        let typing = typing.clone();
        Callback::from(move |e: InputEvent| {
            let Some(el) = e.target_dyn_into::<HtmlTextAreaElement>() else {
                return;
            };
            let text = el.value();
            if text.is_empty() {
                typing.stopped.emit(());
            } else {
                typing.typed.emit(());
            }
            state.dispatch(Action::Draft {
                conversation: id,
                text,
            });
        })
    };
    let onkeydown = {
        let submit = submit.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                e.prevent_default();
                submit.emit(());
            }
        })
    };
    let onsubmit = Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        submit.emit(());
    });
    let over = length > MAX_TEXT_CHARS;
    html! {
        <form class="composer" {onsubmit}>
            <textarea ref={area} data-testid="composer" class="composer-input" rows="3"
                aria-label="Reply" placeholder="Write a reply. Enter sends, Shift+Enter starts a new line."
                value={draft} {oninput} {onkeydown} />
            <div class="composer-bar">
                <span class={classes!("counter", over.then_some("is-over"))} aria-live="polite">
                    { format!("{length} / {MAX_TEXT_CHARS}") }
                </span>
                <button type="submit" class="button button-primary" data-testid="send" disabled={!valid}>
                    { "Send" }
                </button>
            </div>
        </form>
    }
}
