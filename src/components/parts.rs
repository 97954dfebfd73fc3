//! Stateless pieces of the chat view: the header, the messages, the typing indicator. Text is
//! always rendered as text; only http, https and mailto links become `<a>`.

use crate::context::{ChatContext, UiAction};
use crate::privacy::author_str;
use crate::state::{Action, ChatState, Connection, Message};
use confide_protocol::chat::Author;
use confide_protocol::linkify::{linkify, Segment};
use yew::prelude::*;

/// The title when no operator has answered yet.
pub const DEFAULT_TITLE: &str = "Chat with us";

/// Who answers (name and an initials avatar, no image fetched), the connection state, and a
/// close button when the widget runs in the loader's iframe.
pub fn header(ctx: &ChatContext, s: &ChatState) -> Html {
    let (name, initials) = match &s.operator {
        Some(op) => (op.name.clone(), op.initials.clone()),
        None => (DEFAULT_TITLE.to_owned(), String::new()),
    };
    let status = match s.connection {
        Connection::Connecting => "Connecting…",
        Connection::Reconnecting => "Reconnecting…",
        Connection::Online if s.operators_online => "Online",
        Connection::Online => "Away: we will answer later",
    };
    let class = format!(
        "confide-conn confide-conn-{}{}",
        s.connection.as_str(),
        if s.operators_online {
            ""
        } else {
            " confide-away"
        }
    );
    let close = ctx.embedded.then(|| {
        let actions = ctx.actions.clone();
        Callback::from(move |_: MouseEvent| actions.emit(UiAction::Close))
    });
    let state = ctx.state.clone();
    let privacy = Callback::from(move |_: MouseEvent| state.dispatch(Action::Privacy(true)));
    header_bar(name, initials, Some((class, status)), Some(privacy), close)
}

/// The header's frame: title, avatar (initials, or a chat icon without), an optional status
/// line (class, text), the "Privacy" button when `privacy` is given (the live chat only) and
/// the close button when `close` is given.
pub fn header_bar(
    title: String,
    initials: String,
    status: Option<(String, &'static str)>,
    privacy: Option<Callback<MouseEvent>>,
    close: Option<Callback<MouseEvent>>,
) -> Html {
    html! {
        <header class="confide-header">
            <span class="confide-avatar" aria-hidden="true">
                if initials.is_empty() { { icon("M4 5h16v11H9l-5 4z") } } else { { initials } }
            </span>
            <div class="confide-who">
                <h1 class="confide-title" data-testid="operator-name">{ title }</h1>
                if let Some((class, text)) = status {
                    <p {class}>{ text }</p>
                }
            </div>
            if let Some(onclick) = privacy {
                <button type="button" class="confide-privacy-open" data-testid="privacy-open"
                        aria-haspopup="dialog" {onclick}>{ "Privacy" }</button>
            }
            if let Some(onclick) = close {
                <button type="button" class="confide-close" data-testid="close"
                        aria-label="Close chat" title="Close chat" {onclick}>
                    { icon("M6 6l12 12M18 6L6 18") }
                </button>
            }
        </header>
    }
}

/// A 24×24 stroked icon.
fn icon(path: &'static str) -> Html {
    html! {
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
            <path d={path} stroke="currentColor" stroke-width="2" stroke-linecap="round"
                  stroke-linejoin="round" fill="none"/>
        </svg>
    }
}

/// Message text with its links: text nodes and `<a>`, nothing else.
pub fn linked_text(text: &str) -> Html {
    linkify(text)
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(t) => html! { { t.to_owned() } },
            Segment::Link(href) => html! {
                <a href={href.to_owned()} target="_blank" rel="noopener noreferrer">{ href.to_owned() }</a>
            },
        })
        .collect()
}

/// One message; `show_name` puts the operator's name above the first of a run.
pub fn message_item(m: &Message, show_name: bool) -> Html {
    let author = author_str(m.author);
    let delivery = m.delivery().as_str();
    let name = m
        .author_name
        .clone()
        .filter(|_| show_name && m.author == Author::Operator);
    html! {
        <li class={format!("confide-msg confide-msg-{author} confide-{delivery}")}
            data-testid="message" data-author={author} data-state={delivery}
            data-seq={m.seq.map(|s| s.to_string())}>
            if let Some(name) = name {
                <span class="confide-msg-name">{ name }</span>
            }
            <p class="confide-msg-text" data-testid="message-text">{ linked_text(m.text.as_str()) }</p>
            if m.seq.is_none() {
                <span class="confide-msg-meta">{ "Sending…" }</span>
            }
        </li>
    }
}

/// The conversation, with a divider where an operator closed one, and the typing indicator.
pub fn message_list(s: &ChatState, scroller: NodeRef) -> Html {
    let mut items: Vec<Html> = Vec::with_capacity(s.messages.len() + 1);
    let mut prev: Option<&Message> = None;
    for m in &s.messages {
        if prev.is_some_and(|p| p.epoch != m.epoch) {
            items.push(divider("Conversation closed"));
        }
        let show_name = m.author == Author::Operator
            && prev.is_none_or(|p| p.author != Author::Operator || p.author_name != m.author_name);
        items.push(message_item(m, show_name));
        prev = Some(m);
    }
    if s.closed {
        items.push(divider(
            "The conversation was closed. Write again to start a new one.",
        ));
    }
    html! {
        <div class="confide-body" ref={scroller}>
            if s.messages.is_empty() && !s.closed {
                <p class="confide-empty">{ "Write a message and we will answer here." }</p>
            }
            // Unkeyed on purpose: items only append or settle in place, and keyed diffing
            // would add its hash maps to the bundle.
            <ol class="confide-messages" data-testid="messages" role="log" aria-live="polite"
                aria-label="Messages">
                { for items }
            </ol>
            if s.operator_typing {
                <p class="confide-typing" data-testid="typing" aria-live="polite">
                    <span class="confide-dots" aria-hidden="true"><i></i><i></i><i></i></span>
                    { match s.operator.as_ref() {
                        Some(op) => format!("{} is typing…", op.name),
                        None => "Typing…".to_owned(),
                    } }
                </p>
            }
        </div>
    }
}

fn divider(text: &'static str) -> Html {
    html! { <li class="confide-divider" role="separator">{ text }</li> }
}
