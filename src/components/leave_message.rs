//! The leave-a-message form, shown instead of the chat when no operator is online and there is
//! no conversation yet: an optional email, a required message, then a confirmation. It sends
//! the consent and pre-chat values the chat started with, and the visitor's token, so the
//! message gets the consent receipt and belongs to the visitor (export, delete, withdraw).
//! A plain function: its [`LeaveForm`] state lives in the chat view.

use crate::browser::{self, Area};
use crate::context::ChatContext;
use crate::frames::encode_leave_message;
use crate::persist::token_key;
use crate::strings::Strings;
use confide_protocol::chat::{LeaveMessage, MessageText, TextError, VisitorToken, MAX_TEXT_CHARS};
use confide_protocol::i18n::Text;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Where the form stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Status {
    #[default]
    Editing,
    Sending,
    Done,
    Failed(AttrValue),
}

/// The form's state and its two fields, kept by the chat view.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveForm {
    pub status: UseStateHandle<Status>,
    pub email: NodeRef,
    pub text: NodeRef,
}

/// Longest email accepted here (the server has the final word).
const MAX_EMAIL_CHARS: usize = 254;

fn read_form(t: &Strings, email: &NodeRef, text: &NodeRef) -> Result<LeaveMessage, AttrValue> {
    let email = email
        .cast::<HtmlInputElement>()
        .map(|e| e.value().trim().to_owned())
        .unwrap_or_default();
    let text = text
        .cast::<HtmlTextAreaElement>()
        .map(|t| t.value())
        .unwrap_or_default();
    let text = MessageText::parse(&text).map_err(|e| match e {
        TextError::Empty => t.get(Text::WriteMessage),
        TextError::TooLong { max } => t.count(Text::MaxChars, "max", max as u64, &[]).into(),
        TextError::Hidden(_) => t.get(Text::InvisibleChars),
    })?;
    if email.chars().count() > MAX_EMAIL_CHARS || (!email.is_empty() && !email.contains('@')) {
        return Err(t.get(Text::CheckEmail));
    }
    Ok(LeaveMessage {
        email: (!email.is_empty()).then_some(email),
        text,
        consent: None,
        fields: None,
        token: None,
    })
}

pub fn leave_message_form(ctx: &ChatContext, form: &LeaveForm) -> Html {
    let LeaveForm {
        status,
        email: email_ref,
        text: text_ref,
    } = form;

    let t = ctx.t.clone();
    if **status == Status::Done {
        return html! {
            <div class="confide-leave-done" data-testid="leave-message-done" role="status">
                <p class="confide-leave-title">{ t.get(Text::Thanks) }</p>
                <p>{ t.get(Text::AnswerByEmail) }</p>
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
        let t = t.clone();
        move |e: SubmitEvent| {
            e.prevent_default();
            if *status == Status::Sending {
                return;
            }
            let body = match read_form(&t, &email_ref, &text_ref) {
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
            let t = t.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // The server's reason is English; the visitor reads theirs.
                let next = match browser::post_json(&path, &json).await {
                    Some((200..=299, _)) => Status::Done,
                    Some(_) => Status::Failed(t.get(Text::NotSent)),
                    None => Status::Failed(t.get(Text::NotSentOffline)),
                };
                status.set(next);
            });
        }
    };

    let sending = **status == Status::Sending;
    html! {
        <form class="confide-leave" data-testid="leave-message" {onsubmit} novalidate=true>
            <h2 class="confide-leave-title">{ t.get(Text::LeaveTitle) }</h2>
            <p class="confide-leave-intro">{ t.get(Text::LeaveIntro) }</p>
            <label class="confide-field">
                <span>{ t.fill(Text::Optional, &[("label", &t.get(Text::Email))]) }</span>
                <input ref={email_ref.clone()} name="email" type="email" autocomplete="email"
                       class="confide-first" maxlength={MAX_EMAIL_CHARS.to_string()} />
            </label>
            <label class="confide-field">
                <span>{ t.get(Text::Message) }</span>
                <textarea ref={text_ref.clone()} name="text" required=true rows="5"
                          maxlength={MAX_TEXT_CHARS.to_string()} />
            </label>
            if let Status::Failed(why) = &**status {
                <p class="confide-notice" role="alert">{ why.clone() }</p>
            }
            <button type="submit" class="confide-send" disabled={sending}>
                { t.get(if sending { Text::Sending } else { Text::SendMessage }) }
            </button>
        </form>
    }
}
