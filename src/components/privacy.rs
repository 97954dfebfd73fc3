//! The privacy panel over the chat: what is stored about this conversation (from the server's
//! `transcript`), the two downloads, and "Delete this conversation" and "Withdraw consent",
//! each behind a confirm step inside the panel. Plain functions, few elements: its state
//! (open, the transcript, the confirm step) lives in [`ChatState`].

use crate::browser;
use crate::context::{ChatContext, UiAction};
use crate::privacy::{
    details_rows, safe_policy_url, transcript_json, transcript_text, Confirm, Transcript,
};
use crate::state::{Action, ChatState, Connection};
use std::rc::Rc;
use yew::prelude::*;

fn button(testid: &'static str, label: &'static str, onclick: Callback<MouseEvent>) -> Html {
    html! {
        <button type="button" class="confide-privacy-btn" data-testid={testid} {onclick}>{ label }</button>
    }
}

/// A button that offers the transcript as a file made by `make`.
fn download(
    t: &Rc<Transcript>,
    testid: &'static str,
    label: &'static str,
    ext: &'static str,
    mime: &'static str,
    make: fn(&Transcript) -> String,
) -> Html {
    let t = t.clone();
    let onclick = Callback::from(move |_: MouseEvent| {
        let id = t.conversation.map(|c| c.0.to_string()).unwrap_or_default();
        browser::download(&format!("confide-conversation-{id}.{ext}"), mime, &make(&t));
    });
    button(testid, label, onclick)
}

fn as_text(t: &Transcript) -> String {
    transcript_text(&t.messages, browser::utc_offset_min)
}

fn fact(label: &'static str, value: Html) -> Html {
    html! { <><dt>{ label }</dt><dd>{ value }</dd></> }
}

fn stored(t: &Rc<Transcript>) -> Html {
    let count = html! { <span data-testid="privacy-message-count">{ t.messages.len() }</span> };
    let mut facts = vec![fact("Messages stored", count)];
    match &t.receipt {
        Some(r) => {
            facts.push(fact("Consent given", browser::local_date_time(r.at).into()));
            facts.push(fact(
                "Disclaimer",
                format!("version {}, language {}", r.version, r.language).into(),
            ));
            if let Some(url) = safe_policy_url(r) {
                let link = html! {
                    <a href={url.to_owned()} target="_blank" rel="noopener noreferrer"
                       data-testid="privacy-policy">{ url.to_owned() }</a>
                };
                facts.push(fact("Privacy policy", link));
            }
        }
        None => facts.push(fact("Consent", "Not asked by this chat".into())),
    }
    let details = t.details.as_deref().cloned().unwrap_or_default();
    for (key, value) in details_rows(&details) {
        let label = match key {
            "name" => "Name",
            "email" => "Email",
            "page" => "Page",
            "referrer" => "Came from",
            "browser" => "Browser",
            _ => "System",
        };
        facts.push(fact(label, value.to_owned().into()));
    }
    for f in &details.custom {
        facts.push(html! { <><dt>{ f.label.clone() }</dt><dd>{ f.value.clone() }</dd></> });
    }
    // Privacy mode keeps none of these; standard mode shows what it kept, above.
    let note = if details.page.is_some() || details.browser.is_some() {
        "No IP address is stored. Page, browser and system are kept with this conversation."
    } else {
        "No IP address, user agent or page address is stored."
    };
    html! {
        <>
            <dl class="confide-privacy-facts">{ for facts }</dl>
            <p class="confide-privacy-note" data-testid="privacy-note">{ note }</p>
            <div class="confide-privacy-row">
                { download(t, "privacy-download-json", "Download (JSON)", "json", "application/json", transcript_json) }
                { download(t, "privacy-download-text", "Download (text)", "txt", "text/plain;charset=utf-8", as_text) }
            </div>
        </>
    }
}

/// The panel; `s.privacy_open` decides whether it is shown at all.
pub fn privacy_panel(ctx: &ChatContext, s: &ChatState) -> Html {
    let dispatch = |action: Action| {
        let state = ctx.state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(action.clone()))
    };
    let online = s.connection == Connection::Online;
    let actions = match s.confirm {
        None => html! {
            <div class="confide-privacy-row confide-danger">
                { button("privacy-delete", "Delete this conversation", dispatch(Action::Confirm(Some(Confirm::Delete)))) }
                { button("privacy-withdraw", "Withdraw consent", dispatch(Action::Confirm(Some(Confirm::Withdraw)))) }
            </div>
        },
        Some(step) => {
            let (question, testid, label, action) = match step {
                Confirm::Delete => (
                    "Delete this conversation and its messages? This cannot be undone.",
                    "privacy-delete-confirm",
                    "Delete",
                    UiAction::Delete,
                ),
                Confirm::Withdraw => (
                    "Withdraw your consent? Your conversations here are deleted and the chat ends.",
                    "privacy-withdraw-confirm",
                    "Withdraw consent",
                    UiAction::Withdraw,
                ),
            };
            let actions = ctx.actions.clone();
            let confirm = Callback::from(move |_: MouseEvent| actions.emit(action.clone()));
            html! {
                <div class="confide-privacy-confirm" role="alert">
                    <p>{ question }</p>
                    <span class="confide-danger">{ button(testid, label, confirm) }</span>
                    { button("privacy-cancel", "Cancel", dispatch(Action::Confirm(None))) }
                </div>
            }
        }
    };
    html! {
        <section class="confide-privacy" data-testid="privacy-panel" role="dialog"
                 aria-label="Your privacy" data-online={online.to_string()}>
            <div class="confide-privacy-head">
                <h2>{ "Your privacy" }</h2>
                { button("privacy-close", "Close", dispatch(Action::Privacy(false))) }
            </div>
            { match &s.transcript {
                Some(t) => stored(t),
                None => html! { <p role="status">{ "Loading…" }</p> },
            } }
            { actions }
        </section>
    }
}
