//! The widget's frame: the root `main` with its `data-connection`, language and direction,
//! the header, then either the conversation and the composer or the leave-a-message form,
//! and the privacy panel over them when it is open. While the panel is open everything under
//! it is `inert`, so the keyboard cannot reach controls the panel hides; when it closes, focus
//! goes back to the "Privacy" button that opened it.

use crate::browser;
use crate::components::parts::{header, message_list};
use crate::components::privacy::privacy_panel;
use crate::components::{leave_message_form, Composer, LeaveForm};
use crate::context::ChatContext;
use confide_protocol::i18n::Text;
use yew::prelude::*;

/// The chat view as a component, for tests; the widget's live chat calls [`use_chat_view`]
/// and [`chat_view`] itself (one component type fewer in the bundle).
#[component]
pub fn ChatView(ctx: &ChatContext) -> Html {
    let view = use_chat_view(ctx);
    chat_view(ctx, &view)
}

/// What the chat view keeps between renders: the scrolled list, the leave-a-message form.
#[derive(Debug)]
pub struct ChatViewState {
    scroller: NodeRef,
    leave: LeaveForm,
}

/// The chat view's hooks (call once per render, like any hook).
#[hook]
pub fn use_chat_view(ctx: &ChatContext) -> ChatViewState {
    let s = &*ctx.state;
    let scroller = use_node_ref();
    let leave = LeaveForm {
        status: use_state(Default::default),
        email: use_node_ref(),
        text: use_node_ref(),
    };

    // Keep the newest message in view; focus follows the panel: into it when it opens, back
    // to its button when it closes.
    {
        let scroller = scroller.clone();
        let was_open = use_mut_ref(|| false);
        let key = (
            s.messages.len(),
            s.operator_typing,
            s.closed,
            s.privacy_open,
        );
        use_effect_with(key, move |(_, _, _, open)| {
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
            if std::mem::replace(&mut *was_open.borrow_mut(), *open) != *open {
                browser::focus(if *open {
                    "[data-testid=privacy-close]"
                } else {
                    "[data-testid=privacy-open]"
                });
            }
        });
    }

    ChatViewState { scroller, leave }
}

/// The chat view for `ctx`.
pub fn chat_view(ctx: &ChatContext, view: &ChatViewState) -> Html {
    let s = &*ctx.state;
    let t = &ctx.t;
    let ChatViewState { scroller, leave } = view;
    let body = if s.unavailable {
        html! { <p class="confide-body confide-unavailable" role="alert">{ t.get(Text::Unavailable) }</p> }
    } else if s.offers_leave_message() {
        html! { <div class="confide-body">{ leave_message_form(ctx, leave) }</div> }
    } else {
        html! { <>{ message_list(t, s, scroller.clone()) }<Composer ..ctx.clone() /></> }
    };
    html! {
        <main class="confide" data-confide-widget={ctx.widget.to_string()}
              data-connection={s.connection.as_str()} aria-label={t.get(Text::Chat)}>
            <div class="confide-chat" inert={s.privacy_open}>
                { header(ctx, s) }
                if let Some(_notice) = &s.notice {
                    <p class="confide-notice" role="alert">{ t.get(Text::ErrorGeneric) }</p>
                }
                { body }
            </div>
            if s.privacy_open {
                { privacy_panel(ctx, s) }
            }
        </main>
    }
}
