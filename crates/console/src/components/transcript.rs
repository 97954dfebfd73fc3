//! One conversation, read-only, for someone answering a request (issue 14): its facts, the
//! visitor's details, the consent receipt and every message; with edit access also a form to
//! correct the details (rectification), and buttons to restrict it or erase it. Opened from
//! the History page or from "Find a person"; "Back" returns there.

use super::conversation::VisitorDetailsList;
use super::history::READ_ONLY;
use super::{clock, EraseConfirm, MessageTextView};
use crate::api;
use crate::history::{done_text, rectify_request, status_label, with_details, Did};
use confide_protocol::chat::{Author, ChatMessage, ConversationId, ReceiptInfo};
use confide_protocol::details::VisitorDetails;
use confide_protocol::history::{
    EraseRequest, HistoryRow, RestrictRequest, Selection, SelectionDone, Transcript,
};
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct TranscriptViewProps {
    pub id: ConversationId,
    /// The role may rectify, restrict and erase (`transcripts: edit`); without it the view
    /// only reads (the details are shown above the messages either way).
    #[prop_or_default]
    pub edit: bool,
    pub on_back: Callback<()>,
    /// It was erased from here: what the server did (the view is then closed).
    pub on_erased: Callback<SelectionDone>,
    /// It was rectified or restricted: its row as it is now.
    #[prop_or_default]
    pub on_changed: Callback<HistoryRow>,
}

#[component]
pub fn TranscriptView(props: &TranscriptViewProps) -> Html {
    let id = props.id;
    let loaded = use_state(|| None::<Result<Transcript, String>>);
    let busy = use_state(|| false);
    let confirm = use_state(|| false);
    let status = use_state(|| None::<String>);
    let error = use_state(|| None::<String>);
    {
        let loaded = loaded.clone();
        use_effect_with(id, move |&id| {
            wasm_bindgen_futures::spawn_local(async move {
                loaded.set(Some(
                    api::transcript(id)
                        .await
                        .map_err(|e| e.message().to_owned()),
                ));
            });
        });
    }
    // The list it was opened from is hidden: the keyboard's focus moves to the heading (again
    // once loaded: yew renders the heading anew then).
    let title = use_node_ref();
    {
        let title = title.clone();
        use_effect_with((id, loaded.is_some()), move |_| {
            if let Some(h) = title.cast::<HtmlElement>() {
                let _ = h.focus();
            }
        });
    }
    let back = props.on_back.reform(|_: MouseEvent| ());
    let heading = html! {
        <div class="row transcript-top">
            <button type="button" class="button" data-testid="transcript-back" onclick={back}>{ "Back" }</button>
            <h2 id="transcript-title" tabindex="-1" ref={title}>{ format!("Conversation #{id}") }</h2>
        </div>
    };
    let t = match &*loaded {
        None => {
            let body = html! { <p class="muted">{ "Loading the conversation…" }</p> };
            return frame(id, None, heading, body);
        }
        Some(Err(message)) => {
            let body = html! { <p class="form-error" role="alert">{ message.clone() }</p> };
            return frame(id, None, heading, body);
        }
        Some(Ok(t)) => t.clone(),
    };
    let row = t.conversation.clone();
    let restricted = row.restricted;

    let on_restrict = {
        let (loaded, busy, status, error) =
            (loaded.clone(), busy.clone(), status.clone(), error.clone());
        let (t, on_changed) = (t.clone(), props.on_changed.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let (loaded, busy, status, error) =
                (loaded.clone(), busy.clone(), status.clone(), error.clone());
            let (mut t, on_changed) = (t.clone(), on_changed.clone());
            let want = !t.conversation.restricted;
            busy.set(true);
            status.set(None);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let request = RestrictRequest {
                    selection: Selection::Ids(vec![id]),
                    restricted: want,
                };
                let answer = api::restrict(&request).await;
                busy.set(false);
                match answer {
                    Ok(done) => {
                        if done.done > 0 {
                            t.conversation.restricted = want;
                            on_changed.emit(t.conversation.clone());
                            loaded.set(Some(Ok(t)));
                        }
                        let did = if want { Did::Restrict } else { Did::Lift };
                        status.set(Some(done_text(did, &done)));
                    }
                    Err(e) => error.set(Some(e.message().to_owned())),
                }
            });
        })
    };
    let on_erase = {
        let (busy, confirm, status, error) =
            (busy.clone(), confirm.clone(), status.clone(), error.clone());
        let on_erased = props.on_erased.clone();
        Callback::from(move |()| {
            if *busy {
                return;
            }
            let (busy, confirm, status, error) =
                (busy.clone(), confirm.clone(), status.clone(), error.clone());
            let on_erased = on_erased.clone();
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let request = EraseRequest {
                    selection: Selection::Ids(vec![id]),
                    expect: 1,
                };
                match api::erase(&request).await {
                    // Gone: the list says what was done.
                    Ok(done) if done.done > 0 => on_erased.emit(done),
                    Ok(done) => {
                        busy.set(false);
                        confirm.set(false);
                        status.set(Some(done_text(Did::Erase, &done)));
                    }
                    Err(e) => {
                        busy.set(false);
                        confirm.set(false);
                        error.set(Some(e.message().to_owned()));
                    }
                }
            });
        })
    };
    let ask_erase = {
        let (confirm, status, error) = (confirm.clone(), status.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            status.set(None);
            error.set(None);
            confirm.set(true);
        })
    };
    let on_cancel = {
        let confirm = confirm.clone();
        Callback::from(move |()| confirm.set(false))
    };
    let on_saved = {
        let (loaded, t, on_changed) = (loaded.clone(), t.clone(), props.on_changed.clone());
        Callback::from(move |details: VisitorDetails| {
            let t = with_details(t.clone(), details);
            on_changed.emit(t.conversation.clone());
            loaded.set(Some(Ok(t)));
        })
    };

    let messages = t.messages.iter().map(transcript_message);
    let body = html! {
        <>
            <dl class="facts" data-testid="transcript-facts">
                { fact("Widget", html! { row.widget.as_str().to_owned() }) }
                { fact("Status", html! {
                    <>
                        { status_label(row.status) }
                        if restricted { { " " }<span class="tag tag-restricted">{ "restricted" }</span> }
                    </>
                }) }
                { fact("Started", html! { clock(row.started_at) }) }
                { fact("Last activity", html! { clock(row.last_at) }) }
                { fact("Messages", html! { row.messages }) }
            </dl>
            <h3>{ "Visitor details" }</h3>
            if let Some(details) = t.details.clone() {
                <VisitorDetailsList {details} />
            } else {
                <p class="muted">{ "None were given or kept." }</p>
            }
            <h3>{ "Consent" }</h3>
            if let Some(receipt) = &t.receipt {
                { receipt_line(receipt, "transcript-receipt") }
            } else {
                <p class="muted">{ "No consent receipt: the widget did not ask for consent." }</p>
            }
            <h3>{ format!("Messages ({})", t.messages.len()) }</h3>
            <ol class="transcript-messages">{ for messages }</ol>

            if props.edit {
                <RectifyForm key={id.0} {id} details={t.details.clone()} {on_saved} />

                <h3>{ "Restrict or erase" }</h3>
                <p class="muted">
                    { "A restricted conversation is kept through the retention purge, hidden from agents and closed to replies, until the restriction is lifted." }
                </p>
                <div class="row">
                    <button type="button" class="button" data-testid="transcript-restrict" aria-pressed={restricted.to_string()}
                        disabled={*busy} onclick={on_restrict}>
                        { if restricted { "Lift restriction" } else { "Restrict" } }
                    </button>
                    <button type="button" class="button button-danger" data-testid="transcript-erase"
                        disabled={*busy || restricted || *confirm} onclick={ask_erase}>{ "Erase…" }</button>
                    if restricted {
                        <span class="muted">{ "Lift the restriction to erase it." }</span>
                    }
                </div>
                if *confirm {
                    <EraseConfirm count={1} busy={*busy} on_confirm={on_erase} {on_cancel} />
                }
            } else {
                <p class="muted" data-testid="transcript-read-only">{ READ_ONLY }</p>
            }
            if let Some(message) = (*status).clone() {
                <p class="saved" role="status" data-testid="transcript-result">{ message }</p>
            }
            if let Some(message) = (*error).clone() {
                <p class="form-error" role="alert" data-testid="transcript-error">{ message }</p>
            }
        </>
    };
    frame(id, Some(restricted), heading, body)
}

/// The transcript's section: the same element (and heading) whether loading, refused or
/// shown.
fn frame(id: ConversationId, restricted: Option<bool>, heading: Html, body: Html) -> Html {
    html! {
        <section class="transcript" data-testid="transcript" data-conversation={id.to_string()}
            data-restricted={restricted.map(|r| r.to_string())} aria-labelledby="transcript-title">
            { heading }
            { body }
        </section>
    }
}

/// One term of a `<dl class="facts">`.
pub(super) fn fact(term: &'static str, value: Html) -> Html {
    html! { <div><dt>{ term }</dt><dd>{ value }</dd></div> }
}

/// A consent receipt on one line: when, which disclaimer version and language, its SHA-256.
pub(super) fn receipt_line(r: &ReceiptInfo, testid: &'static str) -> Html {
    html! {
        <p class="receipt-line" data-testid={testid}>
            { format!("Given {} · disclaimer version {} ({}) · SHA-256 ", clock(r.at), r.version, r.language) }
            <code>{ r.text_sha256.clone() }</code>
            if let Some(url) = &r.policy_url { { format!(" · policy {url}") } }
            if let Some(w) = r.withdrawn_at { { format!(" · withdrawn {}", clock(w)) } }
        </p>
    }
}

fn transcript_message(m: &ChatMessage) -> Html {
    let (author, who) = match m.author {
        Author::Visitor => ("visitor", "Visitor".to_owned()),
        Author::Operator => (
            "operator",
            m.author_name
                .clone()
                .unwrap_or_else(|| "Operator".to_owned()),
        ),
        Author::System => ("system", "Confide".to_owned()),
    };
    html! {
        <li key={m.seq} class={classes!("message", format!("message-{author}"))}
            data-testid="transcript-message" data-author={author} data-seq={m.seq.to_string()}>
            <div class="message-meta">
                <span class="message-author">{ who }</span>
                <time>{ clock(m.at) }</time>
            </div>
            <MessageTextView text={AttrValue::from(m.text.as_str().to_owned())} />
        </li>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct RectifyFormProps {
    id: ConversationId,
    details: Option<VisitorDetails>,
    on_saved: Callback<VisitorDetails>,
}

/// The values as the form holds them.
#[derive(Debug, Clone, PartialEq, Default)]
struct Draft {
    name: String,
    email: String,
    /// Custom fields: key, label, value, in the conversation's order.
    custom: Vec<(String, String, String)>,
}

impl Draft {
    fn of(details: Option<&VisitorDetails>) -> Self {
        let Some(d) = details else {
            return Self::default();
        };
        Self {
            name: d.name.clone().unwrap_or_default(),
            email: d.email.clone().unwrap_or_default(),
            custom: d
                .custom
                .iter()
                .map(|f| (f.key.clone(), f.label.clone(), f.value.clone()))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Save {
    Idle,
    Saving,
    Saved,
    Failed(String),
}

/// `PUT /api/admin/conversations/{id}/details`: the visitor-provided values, corrected.
#[component]
fn RectifyForm(props: &RectifyFormProps) -> Html {
    let draft = {
        let details = props.details.clone();
        use_state(move || Draft::of(details.as_ref()))
    };
    let save = use_state(|| Save::Idle);
    let edit = |f: fn(&mut Draft, String)| {
        let (draft, save) = (draft.clone(), save.clone());
        Callback::from(move |e: InputEvent| {
            let mut d = (*draft).clone();
            f(
                &mut d,
                e.target_unchecked_into::<HtmlInputElement>().value(),
            );
            draft.set(d);
            if *save != Save::Saving {
                save.set(Save::Idle);
            }
        })
    };
    let onsubmit = {
        let (draft, save, id, on_saved) = (
            draft.clone(),
            save.clone(),
            props.id,
            props.on_saved.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *save == Save::Saving {
                return;
            }
            let custom = draft
                .custom
                .iter()
                .map(|(k, _, v)| (k.as_str(), v.as_str()));
            let request = rectify_request(&draft.name, &draft.email, custom);
            let (draft, save, on_saved) = (draft.clone(), save.clone(), on_saved.clone());
            save.set(Save::Saving);
            wasm_bindgen_futures::spawn_local(async move {
                match api::rectify(id, &request).await {
                    Ok(details) => {
                        draft.set(Draft::of(Some(&details)));
                        save.set(Save::Saved);
                        on_saved.emit(details);
                    }
                    Err(e) => save.set(Save::Failed(e.message().to_owned())),
                }
            });
        })
    };
    let custom = draft.custom.iter().enumerate().map(|(i, (key, label, value))| {
        let oninput = {
            let (draft, save) = (draft.clone(), save.clone());
            Callback::from(move |e: InputEvent| {
                let mut d = (*draft).clone();
                if let Some(field) = d.custom.get_mut(i) {
                    field.2 = e.target_unchecked_into::<HtmlInputElement>().value();
                }
                draft.set(d);
                if *save != Save::Saving {
                    save.set(Save::Idle);
                }
            })
        };
        html! {
            <label class="field" key={key.clone()}>
                <span>{ label.clone() }</span>
                <input type="text" name={format!("custom-{key}")} data-testid={format!("rectify-custom-{key}")}
                    value={value.clone()} autocomplete="off" {oninput} />
            </label>
        }
    });
    let saving = *save == Save::Saving;
    html! {
        <form class="rectify" data-testid="rectify" onsubmit={onsubmit} novalidate=true
            aria-labelledby="rectify-title">
            <h3 id="rectify-title">{ "Correct the details" }</h3>
            <p class="muted">{ "What the visitor typed before the chat. An emptied field is removed." }</p>
            <div class="row">
                <label class="field field-wide">
                    <span>{ "Name" }</span>
                    <input type="text" name="name" data-testid="rectify-name" value={draft.name.clone()}
                        autocomplete="off" oninput={edit(|d, v| d.name = v)} />
                </label>
                <label class="field field-wide">
                    <span>{ "Email" }</span>
                    <input type="email" name="email" data-testid="rectify-email" value={draft.email.clone()}
                        autocomplete="off" spellcheck="false" oninput={edit(|d, v| d.email = v)} />
                </label>
                { for custom }
            </div>
            <div class="row">
                <button type="submit" class="button button-primary" data-testid="rectify-save" disabled={saving}>
                    { if saving { "Saving…" } else { "Save corrections" } }
                </button>
                { match &*save {
                    Save::Saved => html! {
                        <span class="saved" role="status" data-testid="rectify-saved">{ "Saved" }</span>
                    },
                    Save::Failed(message) => html! {
                        <span class="form-error" role="alert" data-testid="rectify-error">{ message.clone() }</span>
                    },
                    _ => html! {},
                } }
            </div>
        </form>
    }
}
