//! The widget's frame: the root `main` with its `data-connection`, the header, then either the
//! conversation and the composer or the leave-a-message form, and the privacy panel over them
//! when it is open.

use crate::components::parts::{header, message_list};
use crate::components::privacy::privacy_panel;
use crate::components::{Composer, LeaveMessageForm};
use crate::hooks::use_chat;
use yew::prelude::*;

#[component]
pub fn ChatView() -> Html {
    let ctx = use_chat();
    let s = &*ctx.state;
    let scroller = use_node_ref();

    // Keep the newest message in view.
    {
        let scroller = scroller.clone();
        use_effect_with((s.messages.len(), s.operator_typing, s.closed), move |_| {
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }

    let body = if s.unavailable {
        html! { <p class="confide-body confide-unavailable" role="alert">{ "This chat is not available." }</p> }
    } else if s.offers_leave_message() {
        html! { <div class="confide-body"><LeaveMessageForm /></div> }
    } else {
        html! { <>{ message_list(s, scroller) }<Composer /></> }
    };
    html! {
        <main class="confide" data-confide-widget={ctx.widget.to_string()}
              data-connection={s.connection.as_str()} aria-label="Chat">
            { header(&ctx, s) }
            if let Some(notice) = &s.notice {
                <p class="confide-notice" role="alert">{ notice.message.clone() }</p>
            }
            { body }
            if s.privacy_open {
                { privacy_panel(&ctx, s) }
            }
        </main>
    }
}
