//! Stateless pieces of the chat view: the header (with the language menu), the messages, the
//! typing indicator. Text is always rendered as text; only http, https and mailto links become
//! `<a>`. Every visible word comes from the visitor's language file ([`Strings`]).

use crate::context::{ChatContext, UiAction};
use crate::privacy::author_str;
use crate::state::{Action, ChatState, Connection, Message};
use crate::strings::Strings;
use confide_protocol::chat::Author;
use confide_protocol::i18n::{self, Text, LANGUAGES};
use confide_protocol::linkify::{linkify, Segment};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Who answers (name and an initials avatar, no image fetched), the connection state, and a
/// close button when the widget runs in the loader's iframe.
pub fn header(ctx: &ChatContext, s: &ChatState) -> Html {
    let t = &ctx.t;
    let (name, initials) = match &s.operator {
        Some(op) => (op.name.clone().into(), op.initials.clone()),
        None => (t.get(Text::Title), String::new()),
    };
    let status = t.get(match s.connection {
        Connection::Connecting => Text::Connecting,
        Connection::Reconnecting => Text::Reconnecting,
        Connection::Online if s.operators_online => Text::Online,
        Connection::Online => Text::Away,
    });
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
    header_bar(
        t,
        name,
        initials,
        Some((class, status)),
        Some(privacy),
        Some(ctx.on_language.clone()),
        close,
    )
}

/// The header's frame: title, avatar (initials, or a chat icon without), an optional status
/// line (class, text; a live region, so a change is announced), the "Privacy" button when
/// `privacy` is given (the live chat only), the language menu when `language` is given and
/// the close button when `close` is given.
pub fn header_bar(
    t: &Strings,
    title: AttrValue,
    initials: String,
    status: Option<(String, AttrValue)>,
    privacy: Option<Callback<MouseEvent>>,
    language: Option<Callback<&'static str>>,
    close: Option<Callback<MouseEvent>>,
) -> Html {
    let close_label = t.get(Text::Close);
    html! {
        <header class="confide-header">
            <span class="confide-avatar" aria-hidden="true">
                if initials.is_empty() { { icon("M4 5h16v11H9l-5 4z") } } else { { initials } }
            </span>
            <div class="confide-who">
                <h1 class="confide-title" data-testid="operator-name">{ title }</h1>
                if let Some((class, text)) = status {
                    <p {class} role="status" data-testid="status">{ text }</p>
                }
            </div>
            if let Some(on_pick) = language {
                { language_menu(t, on_pick) }
            }
            if let Some(onclick) = privacy {
                <button type="button" class="confide-privacy-open" data-testid="privacy-open"
                        aria-haspopup="dialog" {onclick}>{ t.get(Text::Privacy) }</button>
            }
            if let Some(onclick) = close {
                <button type="button" class="confide-close" data-testid="close"
                        aria-label={close_label.clone()} title={close_label} {onclick}>
                    { icon("M6 6l12 12M18 6L6 18") }
                </button>
            }
        </header>
    }
}

/// The language menu: every interface language by its own name, the current one selected.
pub fn language_menu(t: &Strings, on_pick: Callback<&'static str>) -> Html {
    let onchange = move |e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        if let Some(l) = i18n::language(&value) {
            on_pick.emit(l.code);
        }
    };
    html! {
        <select class="confide-lang" data-testid="language" aria-label={t.get(Text::Language)}
                {onchange}>
            { for LANGUAGES.iter().map(|l| html! {
                <option value={l.code} lang={l.code} selected={l.code == t.lang}>{ l.name }</option>
            }) }
        </select>
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
pub fn message_item(t: &Strings, m: &Message, show_name: bool) -> Html {
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
                <span class="confide-msg-meta">{ t.get(Text::Sending) }</span>
            }
        </li>
    }
}

/// The conversation, with a divider where an operator closed one, and the typing indicator.
pub fn message_list(t: &Strings, s: &ChatState, scroller: NodeRef) -> Html {
    let mut items: Vec<Html> = Vec::with_capacity(s.messages.len() + 1);
    let mut prev: Option<&Message> = None;
    for m in &s.messages {
        if prev.is_some_and(|p| p.epoch != m.epoch) {
            items.push(divider(t.get(Text::ClosedDivider)));
        }
        let show_name = m.author == Author::Operator
            && prev.is_none_or(|p| p.author != Author::Operator || p.author_name != m.author_name);
        items.push(message_item(t, m, show_name));
        prev = Some(m);
    }
    if s.closed {
        items.push(divider(t.get(Text::Closed)));
    }
    html! {
        <div class="confide-body" ref={scroller}>
            if s.messages.is_empty() && !s.closed {
                <p class="confide-empty">{ t.get(Text::Empty) }</p>
            }
            // Unkeyed on purpose: items only append or settle in place, and keyed diffing
            // would add its hash maps to the bundle.
            // The log region wraps the list, so the list keeps its own semantics.
            <div data-testid="messages" role="log" aria-live="polite" aria-label={t.get(Text::Messages)}>
                <ol class="confide-messages">{ for items }</ol>
            </div>
            if s.operator_typing {
                <p class="confide-typing" data-testid="typing" aria-live="polite">
                    <span class="confide-dots" aria-hidden="true"><i></i><i></i><i></i></span>
                    { match s.operator.as_ref() {
                        Some(op) => t.fill(Text::TypingNamed, &[("name", &op.name)]),
                        None => t.get(Text::Typing).to_string(),
                    } }
                </p>
            }
        </div>
    }
}

fn divider(text: AttrValue) -> Html {
    html! { <li class="confide-divider">{ text }</li> }
}
