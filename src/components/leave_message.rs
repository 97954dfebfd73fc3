//! The leave-a-message form, shown instead of the chat when no operator is online and there is
//! no conversation yet: an optional email, a required message, then a confirmation. It sends
//! the consent and pre-chat values the chat started with, and the visitor's token, so the
//! message gets the consent receipt and belongs to the visitor (export, delete, withdraw).

use crate::browser::{self, Area};
use crate::frames::{decode_error_body, encode_leave_message};
use crate::hooks::use_chat;
use crate::persist::token_key;
use confide_protocol::chat::{LeaveMessage, MessageText, TextError, VisitorToken, MAX_TEXT_CHARS};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq)]
enum Status {
    Editing,
    Sending,
    Done,
    Failed(String),
}

/// Longest email accepted here (the server has the final word).
const MAX_EMAIL_CHARS: usize = 254;

fn read_form(email: &NodeRef, text: &NodeRef) -> Result<LeaveMessage, String> {
    let email = email
        .cast::<HtmlInputElement>()
        .map(|e| e.value().trim().to_owned())
        .unwrap_or_default();
    let text = text
        .cast::<HtmlTextAreaElement>()
        .map(|t| t.value())
        .unwrap_or_default();
    let text = MessageText::parse(&text).map_err(|e| match e {
        TextError::Empty => "Please write a message.".to_owned(),
        TextError::TooLong { max } => format!("A message has at most {max} characters."),
        TextError::Hidden(_) => "Please remove the invisible formatting characters.".to_owned(),
    })?;
    if email.chars().count() > MAX_EMAIL_CHARS || (!email.is_empty() && !email.contains('@')) {
        return Err("Please check the email address, or leave it empty.".to_owned());
    }
    Ok(LeaveMessage {
        email: (!email.is_empty()).then_some(email),
        text,
        consent: None,
        fields: None,
        token: None,
    })
}

#[component]
pub fn LeaveMessageForm() -> Html {
    let ctx = use_chat();
    let status = use_state(|| Status::Editing);
    let email_ref = use_node_ref();
    let text_ref = use_node_ref();

    if *status == Status::Done {
        return html! {
            <div class="confide-leave-done" data-testid="leave-message-done" role="status">
                <p class="confide-leave-title">{ "Thank you, your message was sent." }</p>
                <p>{ "If you left an email address, we will answer there." }</p>
            </div>
        };
    }

    let onsubmit = {
        let status = status.clone();
        let email_ref = email_ref.clone();
        let text_ref = text_ref.clone();
        let path = format!("/api/widget/{}/leave-message", ctx.widget);
        let setup = ctx.setup.clone();
        let widget = ctx.widget.clone();
        move |e: SubmitEvent| {
            e.prevent_default();
            if *status == Status::Sending {
                return;
            }
            let body = match read_form(&email_ref, &text_ref) {
                Ok(body) => LeaveMessage {
                    consent: setup.consent.clone(),
                    fields: setup.fields.clone(),
                    token: browser::storage_get(Area::Local, &token_key(&widget))
                        .and_then(|t| VisitorToken::parse(&t).ok()),
                    ..body
                },
                Err(why) => return status.set(Status::Failed(why)),
            };
            let json = encode_leave_message(&body);
            status.set(Status::Sending);
            let status = status.clone();
            let path = path.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let next = match browser::post_json(&path, &json).await {
                    Some((200..=299, _)) => Status::Done,
                    Some((_, body)) => Status::Failed(
                        decode_error_body(&body)
                            .map(|e| e.message)
                            .unwrap_or_else(|| "The message could not be sent.".to_owned()),
                    ),
                    None => Status::Failed(
                        "The message could not be sent: check your connection and try again."
                            .to_owned(),
                    ),
                };
                status.set(next);
            });
        }
    };

    let sending = *status == Status::Sending;
    html! {
        <form class="confide-leave" data-testid="leave-message" {onsubmit}>
            <p class="confide-leave-title">{ "No one is available right now." }</p>
            <p class="confide-leave-intro">{ "Leave a message and we will get back to you." }</p>
            <label class="confide-field">
                <span>{ "Email (optional)" }</span>
                <input ref={email_ref} name="email" type="email" autocomplete="email"
                       maxlength={MAX_EMAIL_CHARS.to_string()} />
            </label>
            <label class="confide-field">
                <span>{ "Message" }</span>
                <textarea ref={text_ref} name="text" required=true rows="5"
                          maxlength={MAX_TEXT_CHARS.to_string()} />
            </label>
            if let Status::Failed(why) = &*status {
                <p class="confide-notice" role="alert">{ why.clone() }</p>
            }
            <button type="submit" class="confide-send" disabled={sending}>
                { if sending { "Sending…" } else { "Send message" } }
            </button>
        </form>
    }
}
