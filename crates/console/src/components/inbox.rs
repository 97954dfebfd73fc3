//! The inbox: open conversations (and the selected one, even once closed), newest activity
//! first, each with its unread count.

use super::{clock, use_console};
use crate::state::Action;
use confide_protocol::chat::OperatorClient;
use yew::prelude::*;

#[component]
pub fn Inbox() -> Html {
    let ctx = use_console();
    let state = &ctx.state;
    let list = state.inbox();
    let open = list.iter().filter(|c| c.open).count();
    let items = list.into_iter().map(|c| {
        let id = c.id;
        let selected = state.selected == Some(id);
        let onclick = {
            let dispatcher = state.dispatcher();
            let send = ctx.send.clone();
            let last_seq = state.thread(id).and_then(|t| t.last_seq());
            let previous = state.selected;
            Callback::from(move |_: MouseEvent| {
                if !selected {
                    // The view that closes stops receiving its conversation's live events; it
                    // catches up from its last sequence number if it is opened again.
                    if let Some(conversation) = previous {
                        send.emit(OperatorClient::Unwatch { conversation });
                    }
                    dispatcher.dispatch(Action::Select(id));
                    send.emit(OperatorClient::Open {
                        conversation: id,
                        last_seq,
                    });
                }
            })
        };
        let class = classes!(
            "inbox-item",
            selected.then_some("is-selected"),
            (c.unread > 0).then_some("has-unread"),
            (!c.open).then_some("is-closed"),
        );
        html! {
            <li key={id.0}>
                <button type="button" {class} data-testid="inbox-item" data-conversation={id.to_string()}
                    aria-current={selected.then_some("true")} {onclick}>
                    <span class="inbox-line">
                        <span class="inbox-title">{ format!("Conversation #{id}") }</span>
                        if c.unread > 0 {
                            <span class="badge" data-testid="unread"
                                aria-label={format!("{} unread", c.unread)}>{ c.unread }</span>
                        }
                    </span>
                    <span class="inbox-meta">
                        <span>{ c.widget.as_str().to_owned() }</span>
                        if c.last_at > 0 { <span>{ clock(c.last_at) }</span> }
                        if c.offline { <span class="tag">{ "left a message" }</span> }
                        if !c.open { <span class="tag tag-closed">{ "closed" }</span> }
                    </span>
                </button>
            </li>
        }
    });
    html! {
        <nav class="inbox" data-testid="inbox" aria-label="Conversations">
            <h2 class="pane-title">{ "Inbox" } <span class="pane-count">{ format!("{open} open") }</span></h2>
            if open == 0 && state.selected.is_none() {
                <p class="inbox-empty">{ "No open conversations. New ones appear here as visitors write." }</p>
            }
            <ul class="inbox-list">{ for items }</ul>
            if let Some(before) = state.inbox_more {
                <button type="button" class="inbox-more" data-testid="inbox-more"
                    onclick={
                        let send = ctx.send.clone();
                        Callback::from(move |_: MouseEvent| {
                            send.emit(OperatorClient::InboxPage { before })
                        })
                    }>{ "Show older conversations" }</button>
            }
        </nav>
    }
}
