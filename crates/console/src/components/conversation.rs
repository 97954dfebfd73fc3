//! One conversation: its messages, the visitor's typing indicator, the reply composer and
//! the close button. While it is on screen, everything in it counts as read.

use super::{use_console, Composer, MessageItem};
use crate::state::{Action, Connection};
use confide_protocol::chat::{ConversationId, OperatorClient};
use confide_protocol::details::VisitorDetails;
use web_sys::Element;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct ConversationViewProps {
    pub id: ConversationId,
}

#[component]
pub fn ConversationView(props: &ConversationViewProps) -> Html {
    let ctx = use_console();
    let state = &ctx.state;
    let id = props.id;
    let summary = state.conversation(id).cloned();
    let open = summary.as_ref().is_none_or(|c| c.open);
    let messages = state
        .thread(id)
        .map(|t| t.messages().to_vec())
        .unwrap_or_default();
    let last_seq = state.thread(id).and_then(|t| t.last_seq());
    let unread = summary.as_ref().is_some_and(|c| c.unread > 0);
    let connected = state.connection == Connection::Open;
    let viewing = state.viewing(id);

    // Everything up to the latest message is read while this view is on screen.
    {
        let send = ctx.send.clone();
        let dispatcher = state.dispatcher();
        use_effect_with(
            (id, last_seq, unread, state.epoch, connected && viewing),
            move |&(conversation, last_seq, _, _, active)| {
                if let (Some(seq), true) = (last_seq, active) {
                    send.emit(OperatorClient::Read { conversation, seq });
                    dispatcher.dispatch(Action::MarkedRead { conversation, seq });
                }
            },
        );
    }

    // Follow new messages to the bottom.
    let list = use_node_ref();
    {
        let list = list.clone();
        use_effect_with(messages.len(), move |_| {
            if let Some(el) = list.cast::<Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }

    let on_close = {
        let send = ctx.send.clone();
        Callback::from(move |_: MouseEvent| send.emit(OperatorClient::Close { conversation: id }))
    };
    let typing = state.visitor_typing(id);
    let receipt = state.receipt(id).cloned();
    let details = state.details(id).cloned();
    let preview = state.preview(id).map(str::to_owned);
    let items = messages.into_iter().map(|m| {
        let key = m.id.as_str().to_owned();
        html! { <MessageItem {key} message={m} /> }
    });
    html! {
        <article class="conversation" data-testid="conversation" data-conversation={id.to_string()}>
            <header class="conversation-header">
                <div>
                    <h2 class="pane-title">{ format!("Conversation #{id}") }</h2>
                    if let Some(c) = &summary {
                        <span class="conversation-meta">
                            { format!("widget {}", c.widget.as_str()) }
                            if c.offline { { " · left a message while no one was online" } }
                        </span>
                    }
                    if let Some(r) = &receipt {
                        <span class="conversation-meta receipt" data-testid="receipt"
                            title={format!("SHA-256 of the disclaimer shown: {}", r.text_sha256)}>
                            { format!(
                                "Consent given {} · disclaimer v{} ({}) · sha256 {}…",
                                super::clock(r.at), r.version, r.language, &r.text_sha256[..r.text_sha256.len().min(12)]
                            ) }
                            if let Some(url) = &r.policy_url { { format!(" · policy {url}") } }
                            if let Some(w) = r.withdrawn_at { { format!(" · withdrawn {}", super::clock(w)) } }
                        </span>
                    }
                </div>
                if open {
                    <button type="button" class="button button-danger" data-testid="close-conversation" onclick={on_close}>
                        { "Close conversation" }
                    </button>
                } else {
                    <span class="tag tag-closed">{ "closed" }</span>
                }
            </header>
            if let Some(d) = &details {
                <VisitorDetailsList details={d.clone()} />
            }
            <ol class="messages" ref={list} aria-live="polite">
                { for items }
            </ol>
            if let Some(text) = preview {
                <p class="typing preview" data-testid="draft-preview" role="status">
                    { "Visitor is writing: " }<q>{ text }</q>
                </p>
            } else if typing {
                <p class="typing" data-testid="typing" role="status">{ "Visitor is typing…" }</p>
            }
            if open {
                <Composer {id} />
            } else {
                <p class="closed-note">{ "This conversation is closed. The visitor's next message starts a new one." }</p>
            }
        </article>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub(super) struct VisitorDetailsProps {
    pub(super) details: VisitorDetails,
}

/// What the visitor filled in before the chat and, for standard-mode widgets, the page,
/// referrer, browser and OS. Every value is text; URLs are shown, not linked.
#[component]
pub(super) fn VisitorDetailsList(props: &VisitorDetailsProps) -> Html {
    let d = &props.details;
    let mut rows: Vec<(String, String, &'static str)> = Vec::new();
    let mut push = |label: &str, value: &Option<String>, key: &'static str| {
        if let Some(v) = value {
            rows.push((label.to_owned(), v.clone(), key));
        }
    };
    push("Name", &d.name, "name");
    push("Email", &d.email, "email");
    push("Page", &d.page, "page");
    push("Referrer", &d.referrer, "referrer");
    push("Browser", &d.browser, "browser");
    push("OS", &d.os, "os");
    let custom = d.custom.iter().map(|f| {
        html! {
            <div class="detail" data-field={f.key.clone()}>
                <dt>{ f.label.clone() }</dt><dd>{ f.value.clone() }</dd>
            </div>
        }
    });
    html! {
        <dl class="visitor-details" data-testid="visitor-details">
            { for rows.into_iter().map(|(label, value, key)| html! {
                <div class="detail" data-field={key}><dt>{ label }</dt><dd>{ value }</dd></div>
            }) }
            { for custom }
        </dl>
    }
}
