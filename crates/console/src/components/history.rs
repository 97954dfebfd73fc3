//! The History page (issue 14; roles that may read transcripts): every conversation, filtered
//! and searched, a page at a time. With edit access, conversations are picked one by one or
//! "all that match", then exported (a real download link), erased after a confirmation that
//! states the count, restricted or released; without it the page only reads.
//! "Open" shows a conversation's transcript over the list.
//!
//! Also the pieces the "Find a person" page shares: the conversation table and the erase
//! confirmation.

use super::{clock, TranscriptView};
use crate::api::{self, ApiError};
use crate::history::{
    erase_question, export_url, status_label, total_text, Did, Export, FilterForm, HistoryAction,
    HistoryState, Picked,
};
use confide_protocol::chat::ConversationId;
use confide_protocol::history::{
    EraseRequest, HistoryFilter, HistoryRow, RestrictRequest, Selection, SelectionDone,
};
use confide_protocol::settings::WidgetListItem;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The unix ms at which a local day starts, by the browser's clock and time zone.
pub(super) fn local_midnight(y: i32, m: u32, d: u32) -> i64 {
    js_sys::Date::new_with_year_month_day(y as u32, m as i32 - 1, d as i32).get_time() as i64
}

/// Where the focus goes back to when a transcript opened from a list closes: its row's
/// "Open" button (the transcript took the focus, and its "Back" button is gone). Put the
/// returned ref on the element that holds the list.
#[hook]
pub(super) fn use_return_focus(open: Option<ConversationId>) -> NodeRef {
    let list = use_node_ref();
    let last = use_mut_ref(|| None::<ConversationId>);
    {
        let list = list.clone();
        use_effect_with(open, move |&open| {
            let closed = std::mem::replace(&mut *last.borrow_mut(), open);
            if let (None, Some(id), Some(list)) = (open, closed, list.cast::<HtmlElement>()) {
                let selector = format!("[data-conversation='{id}'] [data-testid=history-open]");
                if let Ok(Some(button)) = list.query_selector(&selector) {
                    if let Ok(button) = button.dyn_into::<HtmlElement>() {
                        let _ = button.focus();
                    }
                }
            }
        });
    }
    list
}

fn input(node: &NodeRef) -> String {
    node.cast::<HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

fn select(node: &NodeRef) -> String {
    node.cast::<HtmlSelectElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct HistoryPageProps {
    /// The role may export, erase, rectify and restrict (`transcripts: edit`). Without it
    /// there is nothing to pick conversations for: no checkboxes, exports or actions.
    #[prop_or_default]
    pub edit: bool,
}

#[component]
pub fn HistoryPage(props: &HistoryPageProps) -> Html {
    let edit = props.edit;
    let state = use_reducer_eq(HistoryState::default);
    let widgets = use_state(Vec::<WidgetListItem>::new);
    let list = use_return_focus(state.open);
    {
        let (dispatcher, widgets) = (state.dispatcher(), widgets.clone());
        use_effect_with((), move |_| {
            dispatcher.dispatch(HistoryAction::Search(HistoryFilter::default()));
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(list) = api::widgets().await {
                    widgets.set(list);
                }
            });
        });
    }
    // The reducer says which page to fetch; this runs it.
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.request.clone(), move |request| {
            if let Some(request) = request.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let seq = request.seq;
                    dispatcher.dispatch(match api::history_page(&request.path()).await {
                        Ok(page) => HistoryAction::Loaded { seq, page },
                        Err(e) => HistoryAction::Failed {
                            seq,
                            message: e.message().to_owned(),
                        },
                    });
                });
            }
        });
    }

    let (widget, status, from, to) = (
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
    );
    let (email, name, conversation) = (use_node_ref(), use_node_ref(), use_node_ref());
    let onsubmit = {
        let dispatcher = state.dispatcher();
        let refs = [&widget, &status, &from, &to, &email, &name, &conversation].map(Clone::clone);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let [widget, status, from, to, email, name, conversation] = &refs;
            let form = FilterForm {
                widget: select(widget),
                status: select(status),
                from: input(from),
                to: input(to),
                email: input(email),
                name: input(name),
                conversation: input(conversation),
            };
            dispatcher.dispatch(match form.filter(local_midnight) {
                Ok(filter) => HistoryAction::Search(filter),
                Err(problems) => HistoryAction::Invalid(problems),
            });
        })
    };

    let dispatch = |action: HistoryAction| {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(action.clone()))
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
            dispatcher.dispatch(HistoryAction::Working);
            wasm_bindgen_futures::spawn_local(async move {
                let request = EraseRequest { selection, expect };
                dispatcher.dispatch(match api::erase(&request).await {
                    Ok(result) => HistoryAction::Done {
                        did: Did::Erase,
                        result,
                    },
                    Err(ApiError::Conflict(message)) => HistoryAction::Conflict(message),
                    Err(e) => HistoryAction::Refused(e.message().to_owned()),
                });
            });
        })
    };
    let restrict = |restricted: bool| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            let (Some(selection), false) = (state.selection(), state.busy) else {
                return;
            };
            let dispatcher = state.dispatcher();
            dispatcher.dispatch(HistoryAction::Working);
            wasm_bindgen_futures::spawn_local(async move {
                let request = RestrictRequest {
                    selection,
                    restricted,
                };
                dispatcher.dispatch(match api::restrict(&request).await {
                    Ok(result) => HistoryAction::Done {
                        did: if restricted { Did::Restrict } else { Did::Lift },
                        result,
                    },
                    Err(e) => HistoryAction::Refused(e.message().to_owned()),
                });
            });
        })
    };

    let on_toggle = {
        let dispatcher = state.dispatcher();
        Callback::from(move |id| dispatcher.dispatch(HistoryAction::Toggle(id)))
    };
    let on_open = {
        let dispatcher = state.dispatcher();
        Callback::from(move |id| dispatcher.dispatch(HistoryAction::Open(id)))
    };
    let transcript = state.open.map(|id| {
        let on_back = {
            let dispatcher = state.dispatcher();
            Callback::from(move |()| dispatcher.dispatch(HistoryAction::Back))
        };
        let on_erased = {
            let dispatcher = state.dispatcher();
            Callback::from(move |result: SelectionDone| {
                dispatcher.dispatch(HistoryAction::Done {
                    did: Did::Erase,
                    result,
                })
            })
        };
        let on_changed = {
            let dispatcher = state.dispatcher();
            Callback::from(move |row: HistoryRow| dispatcher.dispatch(HistoryAction::Updated(row)))
        };
        html! { <TranscriptView key={id.0} {id} {edit} {on_back} {on_erased} {on_changed} /> }
    });

    let busy = state.busy;
    let count = state.selected_count();
    let matching = state.picked == Picked::Matching;
    let total = state.total;
    let selection = state.selection();
    let loading = state.request.is_some();
    let widget_options = widgets.iter().map(|w| {
        html! { <option value={w.key.as_str().to_owned()}>{ format!("{} ({})", w.name, w.key) }</option> }
    });
    let selected_text = if matching {
        format!("All {total} that match are selected")
    } else if count == 0 {
        "None selected".to_owned()
    } else {
        format!("{count} selected")
    };

    html! {
        <main class="console-main admin-page history" data-testid="history">
            { transcript }
            <div class="admin-stack" hidden={state.open.is_some()} ref={list}>
                <h2>{ "History" }</h2>
                <p class="muted">
                    { "Every conversation, newest first. Search by widget, status, dates, the exact email, a word of the name or the id. Each search is written to the audit log." }
                </p>
                <form class="filters" data-testid="history-filters" {onsubmit} novalidate=true>
                    <div class="row">
                        <label class="field">
                            <span>{ "Widget" }</span>
                            <select ref={widget} name="widget" data-testid="history-widget">
                                <option value="" selected=true>{ "All widgets" }</option>
                                { for widget_options }
                            </select>
                        </label>
                        <label class="field">
                            <span>{ "Status" }</span>
                            <select ref={status} name="status" data-testid="history-status">
                                <option value="" selected=true>{ "Any status" }</option>
                                <option value="open">{ "Open" }</option>
                                <option value="closed">{ "Closed" }</option>
                                <option value="left">{ "Left while away" }</option>
                            </select>
                        </label>
                        <label class="field">
                            <span>{ "From (started on or after)" }</span>
                            <input ref={from} type="date" name="from" data-testid="history-from" />
                        </label>
                        <label class="field">
                            <span>{ "To (started on or before)" }</span>
                            <input ref={to} type="date" name="to" data-testid="history-to" />
                        </label>
                    </div>
                    <div class="row">
                        <label class="field field-wide">
                            <span>{ "Email (exact)" }</span>
                            <input ref={email} type="email" name="email" data-testid="history-email"
                                autocomplete="off" spellcheck="false" />
                        </label>
                        <label class="field field-wide">
                            <span>{ "Name (a word of it)" }</span>
                            <input ref={name} type="text" name="name" data-testid="history-name"
                                autocomplete="off" spellcheck="false" />
                        </label>
                        <label class="field">
                            <span>{ "Conversation id" }</span>
                            <input ref={conversation} type="text" inputmode="numeric" name="conversation"
                                data-testid="history-conversation" autocomplete="off" />
                        </label>
                        <button type="submit" class="button button-primary" data-testid="history-search">
                            { "Search" }
                        </button>
                    </div>
                </form>
                if let Some(message) = state.error.clone() {
                    <p class="form-error" role="alert" data-testid="history-error">{ message }</p>
                }
                if let Some(result) = state.result.clone() {
                    <p class="saved" role="status" data-testid="selection-result">{ result }</p>
                }
                if state.loaded {
                    <p class="history-total" data-testid="history-total">{ total_text(total) }</p>
                    if edit {
                        <div class="selection-bar" role="group" aria-label="Selected conversations">
                            <span class="selection-count" data-testid="history-selected">{ selected_text }</span>
                            <button type="button" class="button" data-testid="history-select-matching"
                                aria-pressed={matching.to_string()} disabled={total == 0 || busy}
                                onclick={dispatch(HistoryAction::SelectMatching(!matching))}>
                                { format!("Select all {total} that match") }
                            </button>
                            if count > 0 {
                                <button type="button" class="button button-quiet" data-testid="history-select-none"
                                    disabled={busy} onclick={dispatch(HistoryAction::ClearSelection)}>
                                    { "Clear selection" }
                                </button>
                            }
                        </div>
                        if let Some(selection) = selection.filter(|_| count > 0) {
                            { export_links(&selection, "history", false) }
                        }
                        <div class="row">
                            <button type="button" class="button button-danger" data-testid="history-erase"
                                disabled={count == 0 || busy} onclick={dispatch(HistoryAction::AskErase)}>
                                { "Erase…" }
                            </button>
                            <button type="button" class="button" data-testid="history-restrict"
                                disabled={count == 0 || busy} onclick={restrict(true)}>
                                { "Restrict" }
                            </button>
                            <button type="button" class="button" data-testid="history-unrestrict"
                                disabled={count == 0 || busy} onclick={restrict(false)}>
                                { "Lift restriction" }
                            </button>
                        </div>
                        if let Some(count) = state.confirm {
                            <EraseConfirm {count} {busy} on_confirm={on_erase}
                                on_cancel={
                                    let dispatcher = state.dispatcher();
                                    Callback::from(move |()| dispatcher.dispatch(HistoryAction::CancelErase))
                                } />
                        }
                    } else {
                        <p class="muted" data-testid="history-read-only">{ READ_ONLY }</p>
                    }
                    if !state.rows.is_empty() {
                        { conversation_table(&state.rows, edit.then_some(&state.picked), &on_toggle, &on_open,
                            "Conversations found") }
                    }
                    if state.more {
                        <button type="button" class="button" data-testid="history-more" disabled={loading}
                            onclick={dispatch(HistoryAction::LoadOlder)}>
                            { if loading { "Loading…" } else { "Load older" } }
                        </button>
                    }
                } else if loading {
                    <p class="muted">{ "Loading conversations…" }</p>
                }
            </div>
        </main>
    }
}

/// What a role that may only read transcripts is told where the edit tools would be.
pub(super) const READ_ONLY: &str =
    "Your role may read conversations. Exporting, erasing, correcting and restricting them needs a role that may also edit them.";

/// Download links for a selection, `data-testid` `{prefix}-export-…`. Links, not fetches: the
/// browser streams the file to disk. `messages_only` leaves the per-conversation CSV out.
pub(super) fn export_links(selection: &Selection, prefix: &str, messages_only: bool) -> Html {
    let link = |export: Export, testid: &str, label: &'static str| {
        html! {
            <a class="button" href={export_url(selection, export)} download=""
                data-testid={format!("{prefix}-{testid}")}>{ label }</a>
        }
    };
    html! {
        <div class="row export-links" role="group" aria-label="Export">
            <span class="muted">{ "Export:" }</span>
            { link(Export::Json, "export-json", "JSON (everything)") }
            { link(Export::MessagesCsv, "export-csv", "CSV, a row per message") }
            if !messages_only {
                { link(Export::ConversationsCsv, "export-conversations-csv", "CSV, a row per conversation") }
            }
        </div>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct EraseConfirmProps {
    /// The count stated, and sent as `expect`.
    pub count: u64,
    #[prop_or_default]
    pub busy: bool,
    pub on_confirm: Callback<()>,
    pub on_cancel: Callback<()>,
}

/// "Erase N conversations? This cannot be undone." with its two buttons; Cancel has the
/// focus when it appears.
#[component]
pub fn EraseConfirm(props: &EraseConfirmProps) -> Html {
    let cancel = use_node_ref();
    {
        let cancel = cancel.clone();
        use_effect_with((), move |_| {
            if let Some(button) = cancel.cast::<HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    let confirm = props.on_confirm.reform(|_: MouseEvent| ());
    let onclick = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <div class="confirm" role="group" aria-labelledby="erase-question" data-testid="erase-confirmation">
            <p id="erase-question" class="confirm-text">{ erase_question(props.count) }</p>
            <div class="row">
                <button type="button" class="button button-destructive" data-testid="erase-confirm"
                    disabled={props.busy} onclick={confirm}>
                    { if props.busy { "Erasing…" } else { "Yes, erase" } }
                </button>
                <button type="button" class="button" data-testid="erase-cancel" ref={cancel}
                    disabled={props.busy} {onclick}>
                    { "Cancel" }
                </button>
            </div>
        </div>
    }
}

/// Conversations as rows: id, dates, widget, status, messages, name, email and "Open". With
/// `picked`, a checkbox per row (all ticked and fixed for "all that match"). `caption` says
/// what the table lists, for screen readers.
pub(super) fn conversation_table(
    rows: &[HistoryRow],
    picked: Option<&Picked>,
    on_toggle: &Callback<ConversationId>,
    on_open: &Callback<ConversationId>,
    caption: &'static str,
) -> Html {
    let checks = picked;
    let rows = rows.iter().map(|r| {
        let id = r.id;
        let check = checks.map(|picked| {
            let (ticked, fixed) = match picked {
                Picked::None => (false, false),
                Picked::Ids(ids) => (ids.contains(&id), false),
                Picked::Matching => (true, true),
            };
            let onchange = on_toggle.reform(move |_: Event| id);
            html! {
                <td class="check-cell">
                    <label>
                        <input type="checkbox" data-testid="history-select" checked={ticked}
                            disabled={fixed} {onchange} />
                        <span class="visually-hidden">{ format!("Select conversation #{id}") }</span>
                    </label>
                </td>
            }
        });
        let onclick = on_open.reform(move |_: MouseEvent| id);
        html! {
            <tr key={id.0} data-testid="history-row" data-conversation={id.to_string()}
                data-restricted={r.restricted.to_string()}>
                { check }
                <td>{ format!("#{id}") }</td>
                <td>{ clock(r.started_at) }</td>
                <td>{ clock(r.last_at) }</td>
                <td class="mono">{ r.widget.as_str().to_owned() }</td>
                <td>
                    { status_label(r.status) }
                    if r.restricted { { " " }<span class="tag tag-restricted">{ "restricted" }</span> }
                </td>
                <td class="num">{ r.messages }</td>
                <td class="wrap">{ r.name.clone().unwrap_or_default() }</td>
                <td class="wrap">{ r.email.clone().unwrap_or_default() }</td>
                <td>
                    <button type="button" class="button button-quiet" data-testid="history-open"
                        aria-label={format!("Open conversation #{id}")} {onclick}>{ "Open" }</button>
                </td>
            </tr>
        }
    });
    html! {
        <div class="table-scroll">
            <table class="data-table">
                <caption class="visually-hidden">{ caption }</caption>
                <thead>
                    <tr>
                        if checks.is_some() {
                            <th scope="col"><span class="visually-hidden">{ "Selected" }</span></th>
                        }
                        <th scope="col">{ "Conversation" }</th>
                        <th scope="col">{ "Started" }</th>
                        <th scope="col">{ "Last activity" }</th>
                        <th scope="col">{ "Widget" }</th>
                        <th scope="col">{ "Status" }</th>
                        <th scope="col" class="num">{ "Messages" }</th>
                        <th scope="col">{ "Name" }</th>
                        <th scope="col">{ "Email" }</th>
                        <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                    </tr>
                </thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
