//! One message bubble. Its text is always text: the only elements made from it are links
//! for `http:`, `https:` and `mailto:` found by `confide_protocol::linkify`.

use super::clock;
use crate::state::{Delivery, MessageView};
use confide_protocol::chat::Author;
use confide_protocol::linkify::{linkify, Segment};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct MessageItemProps {
    pub message: MessageView,
}

fn author_attr(a: Author) -> &'static str {
    match a {
        Author::Visitor => "visitor",
        Author::Operator => "operator",
        Author::System => "system",
    }
}

#[component]
pub fn MessageItem(props: &MessageItemProps) -> Html {
    let m = &props.message;
    let who = match m.author {
        Author::Visitor => "Visitor".to_owned(),
        Author::Operator => m
            .author_name
            .clone()
            .unwrap_or_else(|| "Operator".to_owned()),
        Author::System => "Confide".to_owned(),
    };
    let status = match m.delivery {
        Delivery::Pending => Some("Sending…"),
        Delivery::Failed => Some("Not sent: the conversation is closed"),
        Delivery::Sent => None,
    };
    let class = classes!(
        "message",
        format!("message-{}", author_attr(m.author)),
        format!("is-{}", m.delivery.as_str())
    );
    html! {
        <li {class} data-testid="message" data-author={author_attr(m.author)}
            data-state={m.delivery.as_str()} data-seq={m.seq.map(|s| s.to_string())}>
            <div class="message-meta">
                <span class="message-author">{ who }</span>
                if let Some(at) = m.at { <time>{ clock(at) }</time> }
            </div>
            <MessageTextView text={AttrValue::from(m.text.as_str().to_owned())} />
            if let Some(status) = status { <div class="message-status">{ status }</div> }
        </li>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct MessageTextViewProps {
    pub text: AttrValue,
}

/// Message text with its safe links; text nodes only, never parsed as HTML.
#[component]
pub fn MessageTextView(props: &MessageTextViewProps) -> Html {
    let parts = linkify(&props.text).into_iter().map(|seg| match seg {
        Segment::Text(t) => html! { { t.to_owned() } },
        Segment::Link(href) => html! {
            <a href={href.to_owned()} target="_blank" rel="noopener noreferrer">{ href.to_owned() }</a>
        },
    });
    html! { <div class="message-text" data-testid="message-text">{ for parts }</div> }
}
