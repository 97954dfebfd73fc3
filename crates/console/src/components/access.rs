//! "Who may reach the console" (issue 15; roles that may manage operators), on the Sessions
//! page: the console's allowlist, one address or CIDR range per line, with "Save anyway" when
//! the list would shut out the address saving it. The logic lives in [`crate::access`].

use crate::access::{AccessAction, AccessState};
use crate::api;
use crate::ConsoleContext;
use web_sys::{HtmlElement, HtmlTextAreaElement, Node};
use yew::prelude::*;

#[component]
pub fn AccessSection() -> Html {
    let state = use_reducer_eq(AccessState::default);
    let list = use_node_ref();
    // Rendered inside the console, a refused cookie signs out at once (tests render the page
    // alone).
    let on_error = super::refusal_text(use_context::<ConsoleContext>());
    {
        let (dispatcher, on_error) = (state.dispatcher(), on_error.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let result = api::access().await.map_err(|e| on_error(&e));
                dispatcher.dispatch(AccessAction::Loaded(result));
            });
        });
    }
    // The reducer says what to save; this sends it.
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.request.clone(), move |request| {
            if let Some(request) = request.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let result = api::save_access(&request.access)
                        .await
                        .map_err(|e| e.worded(&on_error));
                    dispatcher.dispatch(AccessAction::Answered {
                        seq: request.seq,
                        result,
                    });
                });
            }
        });
    }

    let dispatch = |action: AccessAction| {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(action.clone()))
    };
    let oninput = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: InputEvent| {
            let text = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            dispatcher.dispatch(AccessAction::Edit(text));
        })
    };
    let onsubmit = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            dispatcher.dispatch(AccessAction::Save);
        })
    };

    let busy = state.busy();
    let invalid = state.invalid();
    let error = state.error().map(|message| {
        html! {
            <p id="access-error" class="form-error" role="alert" data-testid="access-error">{ message }</p>
        }
    });
    let body = match &state.loaded {
        None => html! { <p class="muted">{ "Loading the list…" }</p> },
        Some(Err(_)) => html! { { for error } },
        Some(Ok(())) => {
            let described = if invalid {
                "access-hint access-error"
            } else {
                "access-hint"
            };
            html! {
                <form class="settings-form access-form" data-testid="access-form" {onsubmit}
                    novalidate=true aria-labelledby="access-title">
                    <div class="field">
                        <label for="access-list">{ "Addresses and CIDR ranges, one per line" }</label>
                        <textarea id="access-list" ref={list.clone()} name="allowlist" data-testid="access-list"
                            rows="6" spellcheck="false" autocomplete="off" autocapitalize="off"
                            value={state.text.clone()} aria-invalid={invalid.then_some("true")}
                            aria-describedby={described} {oninput} />
                        <p id="access-hint" class="muted">
                            { "Empty: every address. Behind a proxy, set " }<code>{ "client_ip_header" }</code>
                            { ". If you shut yourself out, run " }<code>{ "confide access reset" }</code>
                            { " on the server." }
                        </p>
                    </div>
                    if let Some(message) = state.lock_out() {
                        <LockOut message={message.to_owned()} {busy} restore={list.clone()}
                            on_confirm={dispatch(AccessAction::Confirm)}
                            on_cancel={dispatch(AccessAction::Cancel)} />
                    }
                    { for error }
                    <div class="row">
                        <button type="submit" class="button button-primary" data-testid="access-save"
                            disabled={busy}>
                            { if busy { "Saving…" } else { "Save" } }
                        </button>
                        if state.saved() {
                            <span class="saved" role="status" data-testid="access-saved">{ "Saved." }</span>
                        }
                    </div>
                </form>
            }
        }
    };

    html! {
        <section class="admin-stack" data-testid="access-section" aria-labelledby="access-title">
            <h3 id="access-title">{ "Who may reach the console" }</h3>
            <p class="muted">
                { "When this list is not empty, the console, the operator API and the operator socket answer only the addresses in it, before any password is checked. The address is compared, never stored." }
            </p>
            { body }
        </section>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct LockOutProps {
    /// The server's words.
    message: String,
    busy: bool,
    /// Gets the focus back when the offer goes, if it was inside.
    restore: NodeRef,
    on_confirm: Callback<MouseEvent>,
    on_cancel: Callback<MouseEvent>,
}

/// The 409: the server's message, "Save anyway" and "Cancel"; Cancel has the focus when it
/// appears.
#[component]
fn LockOut(props: &LockOutProps) -> Html {
    let (alert, cancel) = (use_node_ref(), use_node_ref());
    {
        let (alert, cancel, restore) = (alert.clone(), cancel.clone(), props.restore.clone());
        use_effect_with((), move |_| {
            if let Some(button) = cancel.cast::<HtmlElement>() {
                let _ = button.focus();
            }
            move || {
                let document = web_sys::window().and_then(|w| w.document());
                let active = document.as_ref().and_then(|d| d.active_element());
                let lost = match (&active, document.as_ref().and_then(|d| d.body())) {
                    (None, _) => true,
                    (Some(a), Some(body)) if a.is_same_node(Some(&body)) => true,
                    (Some(a), _) => alert
                        .cast::<Node>()
                        .is_some_and(|alert| alert.contains(Some(a))),
                };
                if lost {
                    if let Some(list) = restore.cast::<HtmlElement>() {
                        let _ = list.focus();
                    }
                }
            }
        });
    }
    html! {
        <div ref={alert} class="confirm" role="alert" data-testid="access-lockout">
            <p class="confirm-text">{ props.message.clone() }</p>
            <div class="row">
                <button type="button" class="button button-destructive" data-testid="access-confirm"
                    disabled={props.busy} onclick={props.on_confirm.clone()}>
                    { "Save anyway" }
                </button>
                <button type="button" class="button" data-testid="access-cancel" ref={cancel}
                    disabled={props.busy} onclick={props.on_cancel.clone()}>
                    { "Cancel" }
                </button>
            </div>
        </div>
    }
}
