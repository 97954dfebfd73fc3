//! The widget's frame: the root `main` with its `data-connection`, language and direction,
//! the header, then either the conversation and the composer or the leave-a-message form,
//! and the privacy panel over them when it is open. While the panel is open everything under
//! it is `inert`, so the keyboard cannot reach controls the panel hides; when it closes, focus
//! goes back to the "Privacy" button that opened it.

use crate::browser;
use crate::components::parts::{header, message_list};
use crate::components::privacy::privacy_panel;
use crate::components::{Composer, LeaveMessageForm};
use crate::hooks::use_chat;
use confide_protocol::i18n::Text;
use yew::prelude::*;

#[component]
pub fn ChatView() -> Html {
    let ctx = use_chat();
    let s = &*ctx.state;
    let t = &ctx.t;
    let scroller = use_node_ref();

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

    let body = if s.unavailable {
        html! { <p class="confide-body confide-unavailable" role="alert">{ t.get(Text::Unavailable) }</p> }
    } else if s.offers_leave_message() {
        html! { <div class="confide-body"><LeaveMessageForm /></div> }
    } else {
        html! { <>{ message_list(t, s, scroller) }<Composer /></> }
    };
    html! {
        <main class="confide" data-confide-widget={ctx.widget.to_string()}
              data-connection={s.connection.as_str()} aria-label={t.get(Text::Chat)}>
            <div class="confide-chat" inert={s.privacy_open}>
                { header(&ctx, s) }
                if let Some(_notice) = &s.notice {
                    <p class="confide-notice" role="alert">{ t.get(Text::ErrorGeneric) }</p>
                }
                { body }
            </div>
            if s.privacy_open {
                { privacy_panel(&ctx, s) }
            }
        </main>
    }
}
