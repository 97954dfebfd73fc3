//! "Find a person" (issue 14; roles that may read transcripts): everything held on one
//! person, found by the email address they gave (and optionally a word of their name), to
//! answer their request: the counts, their conversations and consent receipts, a report for
//! the reply that holds counts and dates only, and with edit access the export to send them
//! and "Erase everything".

use super::history::{conversation_table, export_links, use_return_focus, READ_ONLY};
use super::transcript::receipt_line;
use super::{clock, EraseConfirm, TranscriptView};
use crate::api::{self, ApiError};
use crate::person::{listed_text, person_filter, PersonAction, PersonState};
use confide_protocol::history::{EraseRequest, HistoryRow, SelectionDone};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct PersonPageProps {
    /// The role may export and erase (`transcripts: edit`); without it the page only reads.
    #[prop_or_default]
    pub edit: bool,
}

#[component]
pub fn PersonPage(props: &PersonPageProps) -> Html {
    let edit = props.edit;
    let state = use_reducer_eq(PersonState::default);
    let copied = use_state(|| None::<String>);
    let list = use_return_focus(state.open);
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.request.clone(), move |request| {
            if let Some(request) = request.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let seq = request.seq;
                    dispatcher.dispatch(match api::person(&request.filter).await {
                        Ok(found) => PersonAction::Loaded { seq, found },
                        Err(e) => PersonAction::Failed {
                            seq,
                            message: e.message().to_owned(),
                        },
                    });
                });
            }
        });
    }
    let (email, name) = (use_node_ref(), use_node_ref());
    let onsubmit = {
        let (dispatcher, email, name, copied) = (
            state.dispatcher(),
            email.clone(),
            name.clone(),
            copied.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = |n: &NodeRef| {
                n.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            copied.set(None);
            dispatcher.dispatch(match person_filter(&value(&email), &value(&name)) {
                Ok(filter) => PersonAction::Find(filter),
                Err(problem) => PersonAction::Invalid(problem),
            });
        })
    };
    let on_erase = {
        let state = state.clone();
        Callback::from(move |()| {
            let (Some(selection), Some(expect), false) =
                (state.selection(), state.confirm, state.busy)
            else {
                return;
            };
            let dispatcher = state.dispatcher();
            dispatcher.dispatch(PersonAction::Working);
            wasm_bindgen_futures::spawn_local(async move {
                let request = EraseRequest { selection, expect };
                dispatcher.dispatch(match api::erase(&request).await {
                    Ok(done) => PersonAction::Erased(done),
                    Err(ApiError::Conflict(message)) => PersonAction::Conflict(message),
                    Err(e) => PersonAction::Refused(e.message().to_owned()),
                });
            });
        })
    };
    let report = state.report(js_sys::Date::now() as i64);
    let on_copy = {
        let (report, copied) = (report.clone().unwrap_or_default(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(window) = web_sys::window() else {
                return;
            };
            let promise = window.navigator().clipboard().write_text(&report);
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(
                    match wasm_bindgen_futures::JsFuture::from(promise).await {
                        Ok(_) => "Copied".to_owned(),
                        Err(_) => "Could not copy: select the text and copy it by hand.".to_owned(),
                    },
                ));
            });
        })
    };

    let transcript = state.open.map(|id| {
        let dispatcher = state.dispatcher();
        let on_back = {
            let dispatcher = dispatcher.clone();
            Callback::from(move |()| dispatcher.dispatch(PersonAction::Back))
        };
        let on_erased = {
            let dispatcher = dispatcher.clone();
            Callback::from(move |done: SelectionDone| {
                dispatcher.dispatch(PersonAction::TranscriptErased(done))
            })
        };
        let on_changed =
            Callback::from(move |row: HistoryRow| dispatcher.dispatch(PersonAction::Updated(row)));
        html! { <TranscriptView key={id.0} {id} {edit} {on_back} {on_erased} {on_changed} /> }
    });

    let summary = state.found.as_ref().map(|found| {
        let rows = state.rows();
        let on_open = {
            let dispatcher = state.dispatcher();
            Callback::from(move |id| dispatcher.dispatch(PersonAction::Open(id)))
        };
        let ask = {
            let dispatcher = state.dispatcher();
            Callback::from(move |_: MouseEvent| dispatcher.dispatch(PersonAction::AskErase))
        };
        let on_cancel = {
            let dispatcher = state.dispatcher();
            Callback::from(move |()| dispatcher.dispatch(PersonAction::CancelErase))
        };
        let count = |label: &'static str, key: &'static str, n: u64| {
            html! { <div data-count={key}><dt>{ label }</dt><dd>{ n }</dd></div> }
        };
        let receipts = found.receipts.iter().map(|r| html! { <li>{ receipt_line(r, "person-receipt") }</li> });
        let erased = state.erased.is_some();
        html! {
            <section class="person-summary" data-testid="person-summary" aria-labelledby="person-found">
                <h3 id="person-found">{ "What is held" }</h3>
                <dl class="facts">
                    { count("Conversations", "conversations", found.total) }
                    { count("Messages", "messages", found.messages) }
                    { count("Messages left while away", "left", found.left) }
                    { count("Restricted", "restricted", found.restricted) }
                    { count("Consent receipts", "receipts", found.receipts.len() as u64) }
                    if let Some(first) = found.first_at {
                        <div><dt>{ "First activity" }</dt><dd>{ clock(first) }</dd></div>
                    }
                    if let Some(last) = found.last_at {
                        <div><dt>{ "Last activity" }</dt><dd>{ clock(last) }</dd></div>
                    }
                </dl>
                if found.total > 0 {
                    <p class="muted">{
                        if erased {
                            "The counts are what was found before the erasure.".to_owned()
                        } else {
                            listed_text(found.conversations.len(), found.total)
                        }
                    }</p>
                }
                if !rows.is_empty() {
                    { conversation_table(&rows, None, &Callback::noop(), &on_open, "Their conversations") }
                }
                if !found.receipts.is_empty() {
                    <h3>{ "Consent receipts" }</h3>
                    <ul class="receipts">{ for receipts }</ul>
                }
                <h3>{ "Answer the request" }</h3>
                if edit {
                    if let Some(selection) = state.selection().filter(|_| found.total > 0) {
                        { export_links(&selection, "person", true) }
                    }
                    <div class="row">
                        <button type="button" class="button button-danger" data-testid="person-erase"
                            disabled={found.total == 0 || erased || state.busy || state.confirm.is_some()}
                            onclick={ask}>{ "Erase everything…" }</button>
                    </div>
                    if let Some(count) = state.confirm {
                        <EraseConfirm {count} busy={state.busy} on_confirm={on_erase.clone()} {on_cancel} />
                    }
                } else {
                    <p class="muted" data-testid="person-read-only">{ READ_ONLY }</p>
                }
            </section>
        }
    });

    html! {
        <main class="console-main admin-page person" data-testid="person">
            { transcript }
            <div class="admin-stack" hidden={state.open.is_some()} ref={list}>
                <h2>{ "Find a person" }</h2>
                <p class="muted">
                    { "Answer a person's request to see, receive or erase their data: search by the exact email address they gave. Each search is written to the audit log." }
                </p>
                <form class="filters" data-testid="person-form" {onsubmit} novalidate=true>
                    <div class="row">
                        <label class="field field-wide">
                            <span>{ "Email (required)" }</span>
                            <input ref={email} type="email" name="email" data-testid="person-email" required=true
                                autocomplete="off" spellcheck="false" />
                        </label>
                        <label class="field field-wide">
                            <span>{ "Name (optional, a word of it)" }</span>
                            <input ref={name} type="text" name="name" data-testid="person-name"
                                autocomplete="off" spellcheck="false" />
                        </label>
                        <button type="submit" class="button button-primary" data-testid="person-find">{ "Find" }</button>
                    </div>
                </form>
                if let Some(message) = state.error.clone() {
                    <p class="form-error" role="alert" data-testid="person-error">{ message }</p>
                }
                if state.request.is_some() {
                    <p class="muted">{ "Searching…" }</p>
                }
                if let Some(result) = state.result.clone() {
                    <p class="saved" role="status" data-testid="selection-result">{ result }</p>
                }
                { summary.unwrap_or_default() }
                if let Some(report) = report {
                    <div class="report">
                        <label class="report-label" for="person-report">{ "Report for your reply" }</label>
                        <textarea id="person-report" class="report-text" data-testid="person-report" readonly=true
                            rows="5" value={report} />
                        <div class="row">
                            <button type="button" class="button" data-testid="person-report-copy" onclick={on_copy}>
                                { "Copy" }
                            </button>
                            if let Some(message) = (*copied).clone() {
                                <span role="status">{ message }</span>
                            }
                        </div>
                    </div>
                }
            </div>
        </main>
    }
}
