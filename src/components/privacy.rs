//! The privacy panel over the chat: how long the widget keeps each kind of data, every
//! conversation under the visitor's token (a list, pages of 50, with "Download all" and
//! "Delete all"), what is stored about the one picked (from the server's `transcript`; the
//! current one at first), its two downloads, and "Delete this conversation" and "Withdraw
//! consent", each destructive step behind a confirm step inside the panel. Plain functions,
//! few elements: its state (open, the list, the pick, the transcript, the confirm step)
//! lives in [`ChatState`].

use crate::browser;
use crate::context::{ChatContext, UiAction};
use crate::privacy::{
    details_rows, safe_policy_url, transcript_json, transcript_text, Confirm, Transcript,
};
use crate::state::{Action, ChatState, Connection, History};
use crate::strings::Strings;
use confide_protocol::chat::ConversationId;
use confide_protocol::i18n::Text;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

fn button(testid: &'static str, label: AttrValue, onclick: Callback<MouseEvent>) -> Html {
    button_off(testid, label, onclick, false)
}

/// A button that is disabled while `off` (delete and withdraw need the socket).
fn button_off(
    testid: &'static str,
    label: AttrValue,
    onclick: Callback<MouseEvent>,
    off: bool,
) -> Html {
    html! {
        <button type="button" class="confide-privacy-btn" data-testid={testid} disabled={off} {onclick}>{ label }</button>
    }
}

/// A button that offers the transcript as a file made by `make`.
fn download(
    t: &Rc<Transcript>,
    s: &Rc<Strings>,
    testid: &'static str,
    label: Text,
    ext: &'static str,
    mime: &'static str,
    make: fn(&Transcript, &Strings) -> String,
) -> Html {
    let (t, s2) = (t.clone(), s.clone());
    let onclick = Callback::from(move |_: MouseEvent| {
        let id = t.conversation.map(|c| c.0.to_string()).unwrap_or_default();
        browser::download(
            &format!("confide-conversation-{id}.{ext}"),
            mime,
            &make(&t, &s2),
        );
    });
    button(testid, s.get(label), onclick)
}

fn as_json(t: &Transcript, _: &Strings) -> String {
    transcript_json(t)
}

fn as_text(t: &Transcript, s: &Strings) -> String {
    let (v, o, y) = (
        s.get(Text::Visitor),
        s.get(Text::Operator),
        s.get(Text::System),
    );
    transcript_text(&t.messages, browser::utc_offset_min, [&v, &o, &y])
}

fn fact(label: AttrValue, value: Html) -> Html {
    html! { <><dt>{ label }</dt><dd>{ value }</dd></> }
}

fn stored(t: &Rc<Transcript>, s: &Rc<Strings>) -> Html {
    let count = html! { <span data-testid="privacy-message-count">{ t.messages.len() }</span> };
    let mut facts = vec![fact(s.get(Text::MessagesStored), count)];
    match &t.receipt {
        Some(r) => {
            facts.push(fact(
                s.get(Text::ConsentGiven),
                browser::local_date_time(r.at, s.lang).into(),
            ));
            let version = r.version.to_string();
            facts.push(fact(
                s.get(Text::Disclaimer),
                s.fill(
                    Text::DisclaimerVersion,
                    &[("version", &version), ("language", &r.language)],
                )
                .into(),
            ));
            if let Some(url) = safe_policy_url(r) {
                let link = html! {
                    <a href={url.to_owned()} target="_blank" rel="noopener noreferrer"
                       data-testid="privacy-policy">{ url.to_owned() }</a>
                };
                facts.push(fact(s.get(Text::PrivacyPolicy), link));
            }
        }
        None => facts.push(fact(s.get(Text::Consent), s.get(Text::NotAsked).into())),
    }
    let details = t.details.as_deref().cloned().unwrap_or_default();
    for (key, value) in details_rows(&details) {
        let label = match key {
            "name" => Text::Name,
            "email" => Text::Email,
            "page" => Text::Page,
            "referrer" => Text::CameFrom,
            "browser" => Text::Browser,
            _ => Text::System,
        };
        facts.push(fact(s.get(label), value.to_owned().into()));
    }
    for f in &details.custom {
        facts.push(html! { <><dt>{ f.label.clone() }</dt><dd>{ f.value.clone() }</dd></> });
    }
    // Privacy mode keeps none of these; standard mode shows what it kept, above.
    let note = if details.page.is_some() || details.browser.is_some() {
        Text::NoteStandard
    } else {
        Text::NotePrivate
    };
    html! {
        <>
            <dl class="confide-privacy-facts">{ for facts }</dl>
            <p class="confide-privacy-note" data-testid="privacy-note">{ s.get(note) }</p>
            <div class="confide-privacy-row">
                { download(t, s, "privacy-download-json", Text::DownloadJson, "json", "application/json", as_json) }
                { download(t, s, "privacy-download-text", Text::DownloadText, "txt", "text/plain;charset=utf-8", as_text) }
            </div>
        </>
    }
}

/// The list of every conversation, as a native select (one option a conversation: its last
/// day, messages, and open, ended or left); the one picked is shown below. "Show older" asks
/// for the next page; "Download all" and "Delete all" take what is listed.
fn history(ctx: &ChatContext, s: &ChatState, h: &History, online: bool) -> Html {
    let t = &ctx.t;
    let shown = s.selected.or(s.conversation);
    let state = ctx.state.clone();
    let onchange = move |e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        if let Ok(id) = value.parse() {
            state.dispatch(Action::Select(Some(ConversationId(id))));
        }
    };
    let options = h.list.iter().map(|c| {
        let status = t.get(if c.offline {
            Text::StatusLeft
        } else if c.open {
            Text::StatusOpen
        } else {
            Text::StatusEnded
        });
        let date = browser::local_date_time(c.last_at, t.lang);
        let row = t.count(
            Text::ConversationRow,
            "count",
            c.messages,
            &[("date", &date)],
        );
        html! {
            <option value={c.id.0.to_string()} selected={shown == Some(c.id)}>
                { format!("{row} · {status}") }
            </option>
        }
    });
    let ids: Vec<_> = h.list.iter().map(|c| c.id).collect();
    let actions = ctx.actions.clone();
    let older = h.list.last().filter(|_| h.more).map(|last| {
        let (actions, before) = (actions.clone(), last.id);
        button(
            "privacy-older",
            t.get(Text::ShowOlder),
            Callback::from(move |_: MouseEvent| actions.emit(UiAction::Older(before))),
        )
    });
    let download =
        Callback::from(move |_: MouseEvent| actions.emit(UiAction::DownloadAll(ids.clone())));
    html! {
        <>
            <label class="confide-field">
                <span>{ t.get(Text::YourConversations) }</span>
                <select data-testid="privacy-history" {onchange}>{ for options }</select>
            </label>
            <div class="confide-privacy-row">
                { for older }
                { button_off("privacy-download-all", t.get(Text::DownloadAll), download, !online) }
                <span class="confide-danger">
                    { button_off("privacy-delete-all", t.get(Text::DeleteAll),
                                 dispatch(ctx, Action::Confirm(Some(Confirm::DeleteAll))), !online) }
                </span>
            </div>
        </>
    }
}

fn dispatch(ctx: &ChatContext, action: Action) -> Callback<MouseEvent> {
    let state = ctx.state.clone();
    Callback::from(move |_: MouseEvent| state.dispatch(action.clone()))
}

/// The panel; `s.privacy_open` decides whether it is shown at all.
pub fn privacy_panel(ctx: &ChatContext, s: &ChatState) -> Html {
    let dispatch = |action: Action| dispatch(ctx, action);
    let online = s.connection == Connection::Online;
    let t = &ctx.t;
    let actions = match s.confirm {
        None => html! {
            <div class="confide-privacy-row confide-danger">
                { button_off("privacy-delete", t.get(Text::Delete), dispatch(Action::Confirm(Some(Confirm::Delete))), !online) }
                { button_off("privacy-withdraw", t.get(Text::Withdraw), dispatch(Action::Confirm(Some(Confirm::Withdraw))), !online) }
            </div>
        },
        Some(step) => {
            let (question, testid, label, action) = match step {
                Confirm::Delete => (
                    Text::DeleteQuestion,
                    "privacy-delete-confirm",
                    Text::DeleteConfirm,
                    UiAction::Delete(s.selected),
                ),
                Confirm::DeleteAll => {
                    // Every one listed, the chat's own last (it closes the panel).
                    let mut all: Vec<_> = s
                        .history
                        .iter()
                        .flat_map(|h| h.list.iter().map(|c| c.id))
                        .filter(|c| Some(*c) != s.conversation)
                        .collect();
                    all.extend(s.conversation);
                    (
                        Text::DeleteAllQuestion,
                        "privacy-delete-all-confirm",
                        Text::DeleteConfirm,
                        UiAction::DeleteAll(all),
                    )
                }
                Confirm::Withdraw => (
                    Text::WithdrawQuestion,
                    "privacy-withdraw-confirm",
                    Text::Withdraw,
                    UiAction::Withdraw,
                ),
            };
            let actions = ctx.actions.clone();
            let confirm = Callback::from(move |_: MouseEvent| actions.emit(action.clone()));
            html! {
                <div class="confide-privacy-confirm" role="alert">
                    <p>{ t.get(question) }</p>
                    <span class="confide-danger">{ button_off(testid, t.get(label), confirm, !online) }</span>
                    { button("privacy-cancel", t.get(Text::Cancel), dispatch(Action::Confirm(None))) }
                </div>
            }
        }
    };
    html! {
        <section class="confide-privacy" data-testid="privacy-panel" role="dialog"
                 aria-labelledby="confide-privacy-title" data-online={online.to_string()}>
            <div class="confide-privacy-head">
                <h2 id="confide-privacy-title">{ t.get(Text::YourPrivacy) }</h2>
                { button("privacy-close", t.get(Text::ClosePanel), dispatch(Action::Privacy(false))) }
            </div>
            if !ctx.setup.notice.is_empty() {
                <p class="confide-privacy-note" data-testid="privacy-retention">{ ctx.setup.notice.clone() }</p>
            }
            // One node whatever the list holds (`for` would splice its items among the panel's
            // children, and the close button, which has the focus, would be rebuilt).
            { s.history.as_deref().filter(|h| !h.list.is_empty()).map(|h| history(ctx, s, h, online)).unwrap_or_default() }
            { match &s.transcript {
                Some(tr) => stored(tr, t),
                None => html! { <p role="status">{ t.get(Text::Loading) }</p> },
            } }
            { actions }
        </section>
    }
}
