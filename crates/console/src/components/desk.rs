//! The signed-in layout: the inbox on the left, the selected conversation on the right.

use super::{use_console, ConversationView, Inbox};
use crate::state::Action;
use yew::prelude::*;

#[component]
pub fn Desk() -> Html {
    let ctx = use_console();
    let state = &ctx.state;
    let notice = state.notice.clone().map(|message| {
        let dispatcher = state.dispatcher();
        let dismiss = Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::DismissNotice));
        html! {
            <div class="notice" role="alert">
                <span>{ message }</span>
                <button type="button" class="button button-quiet" onclick={dismiss}>{ "Dismiss" }</button>
            </div>
        }
    });
    html! {
        <main class="console-main desk">
            { notice }
            <div class="panes">
                <aside class="pane pane-inbox"><Inbox /></aside>
                <section class="pane pane-conversation">
                    if let Some(id) = state.selected {
                        <ConversationView key={id.0} {id} />
                    } else {
                        <div class="placeholder">
                            <p>{ "Choose a conversation on the left to read and answer it." }</p>
                        </div>
                    }
                </section>
            </div>
        </main>
    }
}
