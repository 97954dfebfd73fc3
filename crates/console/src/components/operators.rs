//! The Operators page (issue 15; roles that may manage operators): every operator account in
//! a table, a form that adds one, and per row: change the role, disable or enable, reset the
//! password, clear the second factor, remove (after a confirmation on the page). Adding and
//! resetting answer with a one-time link, shown whole with a Copy button. The logic lives in
//! [`crate::operators`].

use super::clock;
use crate::api;
use crate::operators::{
    link_note, link_url, Answer, Field, Op, OperatorsAction, OperatorsState, Status,
};
use crate::ConsoleContext;
use confide_protocol::accounts::{OneTimeLink, OperatorView};
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct OperatorsPageProps {
    /// The signed-in operator's id: their row says "you".
    #[prop_or_default]
    pub me: Option<i64>,
}

#[component]
pub fn OperatorsPage(props: &OperatorsPageProps) -> Html {
    let state = use_reducer_eq(OperatorsState::default);
    // Rendered inside the console, a refused cookie signs out at once (tests render the page
    // alone).
    let on_error = super::refusal_text(use_context::<ConsoleContext>());
    {
        let (dispatcher, on_error) = (state.dispatcher(), on_error.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let list = api::operators().await.map_err(|e| on_error(&e));
                dispatcher.dispatch(OperatorsAction::Loaded(list));
                let roles = api::roles()
                    .await
                    .map(|roles| roles.into_iter().map(|r| r.name).collect())
                    .map_err(|e| on_error(&e));
                dispatcher.dispatch(OperatorsAction::Roles(roles));
            });
        });
    }
    // The reducer says what to send; this sends it.
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.request.clone(), move |request| {
            if let Some(request) = request.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let result = match &request.op {
                        Op::Add(new) => api::add_operator(new).await.map(Answer::Link),
                        Op::Change { id, change } => api::change_operator(*id, change)
                            .await
                            .map(Answer::Operator),
                        Op::Reset(id) => api::reset_password(*id).await.map(Answer::Link),
                        Op::Remove(id) => api::remove_operator(*id).await.map(|_| Answer::Removed),
                    };
                    dispatcher.dispatch(OperatorsAction::Answered {
                        seq: request.seq,
                        result: result.map_err(|e| on_error(&e)),
                    });
                });
            }
        });
    }

    let busy = state.busy();
    let table = match &state.list {
        None => html! { <p class="muted">{ "Loading operators…" }</p> },
        Some(Err(_)) => html! {},
        Some(Ok(list)) if list.is_empty() => html! { <p class="muted">{ "No operators yet." }</p> },
        Some(Ok(list)) => html! {
            <div class="table-scroll">
                <table class="data-table operators-table" data-testid="operators-table"
                    aria-labelledby="operators-list-title">
                    <thead>
                        <tr>
                            <th scope="col">{ "Name" }</th>
                            <th scope="col">{ "Email" }</th>
                            <th scope="col">{ "Alias" }</th>
                            <th scope="col">{ "Role" }</th>
                            <th scope="col">{ "Status" }</th>
                            <th scope="col">{ "Two-factor" }</th>
                            <th scope="col">{ "Actions" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for list.iter().map(|o| row(o, &state, props.me == Some(o.id))) }
                    </tbody>
                </table>
            </div>
        },
    };
    let confirm = state
        .confirm_remove
        .and_then(|id| state.operator(id))
        .map(|o| {
            let dispatcher = state.dispatcher();
            let id = o.id;
            let on_remove = {
                let dispatcher = dispatcher.clone();
                Callback::from(move |_: MouseEvent| {
                    dispatcher.dispatch(OperatorsAction::Remove(id))
                })
            };
            let on_cancel = Callback::from(move |_: MouseEvent| {
                dispatcher.dispatch(OperatorsAction::CancelRemove)
            });
            html! {
                <RemoveConfirm key={id} name={o.name.clone()} email={o.email.clone()} {busy}
                    {on_remove} {on_cancel} />
            }
        });

    html! {
        <main class="console-main admin-page operators">
            <section class="admin-stack" data-testid="operators-page" aria-labelledby="operators-title">
                <h2 id="operators-title">{ "Operators" }</h2>
                <p class="muted">
                    { "Everyone who may sign in to this console. A new operator gets a one-time link to set their password; the real name and email are shown here only, visitors see the alias." }
                </p>
                if let Some(text) = state.result() {
                    <p class="saved" role="status" data-testid="operators-result">{ text.to_owned() }</p>
                }
                if let Some(message) = state.error() {
                    <p class="form-error" role="alert" data-testid="operators-error">{ message }</p>
                }
                if let Some(link) = state.link.clone() {
                    <LinkBox {link} on_done={{
                        let dispatcher = state.dispatcher();
                        Callback::from(move |_: MouseEvent| dispatcher.dispatch(OperatorsAction::HideLink))
                    }} />
                }
                { for confirm }
                <section class="admin-stack" aria-labelledby="operators-list-title">
                    <h3 id="operators-list-title">{ "Accounts" }</h3>
                    { table }
                </section>
                <AddForm state={state.clone()} />
            </section>
        </main>
    }
}

/// One operator's row.
fn row(o: &OperatorView, state: &UseReducerHandle<OperatorsState>, you: bool) -> Html {
    let busy = state.busy();
    let id = o.id;
    let status = Status::of(o);
    let name = o.name.clone();
    let act = |action: OperatorsAction| {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(action.clone()))
    };
    let on_choose = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: Event| {
            let role = e.target_unchecked_into::<HtmlSelectElement>().value();
            dispatcher.dispatch(OperatorsAction::Choose { id, role });
        })
    };
    let choice = state.choice(o);
    let options = state.role_options(&o.role).into_iter().map(|r| {
        let selected = r == choice;
        html! { <option value={r.clone()} {selected}>{ r }</option> }
    });
    let select_id = format!("operator-role-{id}");
    html! {
        <tr key={id} data-testid="operator-row" data-operator={id.to_string()}
            data-operator-email={o.email.clone()} data-status={status.as_str()}>
            <th scope="row" class="wrap">
                { name.clone() }
                if you { { " " }<span class="tag" data-testid="operator-you">{ "you" }</span> }
            </th>
            <td>{ o.email.clone() }</td>
            <td>{ o.alias.clone() }</td>
            <td>
                <div class="cell-row">
                    <label for={select_id.clone()} class="visually-hidden">{ format!("Role of {name}") }</label>
                    <select id={select_id} class="cell-select" data-testid="operator-role" disabled={busy}
                        onchange={on_choose}>
                        { for options }
                    </select>
                    <button type="button" class="button" data-testid="operator-role-save"
                        aria-label={format!("Save the role of {name}")}
                        disabled={busy || !state.role_changed(o)}
                        onclick={act(OperatorsAction::SaveRole(id))}>
                        { "Save" }
                    </button>
                </div>
            </td>
            <td data-testid="operator-status">{ status.label() }</td>
            <td data-testid="operator-totp">{ second_factor_text(o) }</td>
            <td>
                <div class="cell-row">
                    if o.disabled {
                        <button type="button" class="button" data-testid="operator-enable" disabled={busy}
                            aria-label={format!("Enable {name}")}
                            onclick={act(OperatorsAction::SetDisabled(id, false))}>
                            { "Enable" }
                        </button>
                    } else {
                        <button type="button" class="button" data-testid="operator-disable" disabled={busy}
                            aria-label={format!("Disable {name}")}
                            onclick={act(OperatorsAction::SetDisabled(id, true))}>
                            { "Disable" }
                        </button>
                    }
                    <button type="button" class="button" data-testid="operator-reset" disabled={busy}
                        aria-label={format!("Reset the password of {name}")}
                        onclick={act(OperatorsAction::ResetPassword(id))}>
                        { "Reset password" }
                    </button>
                    if o.totp || o.passkeys > 0 {
                        <button type="button" class="button" data-testid="operator-clear-2fa" disabled={busy}
                            aria-label={format!("Clear the two-factor sign-in of {name}")}
                            onclick={act(OperatorsAction::ClearSecondFactor(id))}>
                            { "Clear two-factor" }
                        </button>
                    }
                    <button type="button" class="button button-danger" data-testid="operator-remove" disabled={busy}
                        aria-label={format!("Remove {name}")}
                        onclick={act(OperatorsAction::AskRemove(id))}>
                        { "Remove" }
                    </button>
                </div>
            </td>
        </tr>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct AddFormProps {
    state: UseReducerHandle<OperatorsState>,
}

/// The form that adds an operator.
#[component]
fn AddForm(props: &AddFormProps) -> Html {
    let state = &props.state;
    let form = &state.form;
    let input = |field: Field| {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            dispatcher.dispatch(OperatorsAction::Edit(field, value));
        })
    };
    let on_role = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            dispatcher.dispatch(OperatorsAction::Edit(Field::Role, value));
        })
    };
    let onsubmit = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            dispatcher.dispatch(OperatorsAction::Add);
        })
    };
    let problems = state.problems();
    let invalid = |f: Field| state.invalid(f).then_some("true");
    let described = |f: Field| state.invalid(f).then_some("operator-add-problems");
    let roles = state.role_options(&form.role);
    let busy = state.busy();
    let adding = matches!(state.request.as_ref().map(|r| &r.op), Some(Op::Add(_)));
    html! {
        <form class="settings-form operator-add" data-testid="operator-add-form" novalidate=true
            aria-labelledby="operator-add-title" {onsubmit}>
            <h3 id="operator-add-title">{ "Add an operator" }</h3>
            <div class="row">
                <div class="field">
                    <label for={Field::Email.id()}>{ "Email" }</label>
                    <input id={Field::Email.id()} name="email" type="email" data-testid={Field::Email.id()}
                        autocomplete="off" spellcheck="false" required=true value={form.email.clone()}
                        aria-invalid={invalid(Field::Email)} aria-describedby={described(Field::Email)}
                        oninput={input(Field::Email)} />
                </div>
                <div class="field">
                    <label for={Field::Name.id()}>{ "Name (console only)" }</label>
                    <input id={Field::Name.id()} name="name" type="text" data-testid={Field::Name.id()}
                        autocomplete="off" required=true value={form.name.clone()}
                        aria-invalid={invalid(Field::Name)} aria-describedby={described(Field::Name)}
                        oninput={input(Field::Name)} />
                </div>
                <div class="field">
                    <label for={Field::Alias.id()}>{ "Alias visitors see (optional)" }</label>
                    <input id={Field::Alias.id()} name="alias" type="text" data-testid={Field::Alias.id()}
                        autocomplete="off" value={form.alias.clone()} aria-describedby="operator-alias-hint"
                        oninput={input(Field::Alias)} />
                </div>
                <div class="field">
                    <label for={Field::Role.id()}>{ "Role" }</label>
                    <select id={Field::Role.id()} name="role" data-testid={Field::Role.id()}
                        aria-invalid={invalid(Field::Role)} aria-describedby={described(Field::Role)}
                        onchange={on_role}>
                        if roles.is_empty() {
                            <option value="" selected=true>{ "Loading roles…" }</option>
                        }
                        { for roles.into_iter().map(|r| {
                            let selected = r == form.role;
                            html! { <option value={r.clone()} {selected}>{ r }</option> }
                        }) }
                    </select>
                </div>
            </div>
            <p id="operator-alias-hint" class="muted">{ "Blank: the first word of the name." }</p>
            if !problems.is_empty() {
                <div id="operator-add-problems" role="alert" data-testid="operator-add-problems">
                    <ul class="settings-problems">
                        { for problems.iter().map(|(_, p)| html! { <li>{ *p }</li> }) }
                    </ul>
                </div>
            }
            <div class="row">
                <button type="submit" class="button button-primary" data-testid="operator-add" disabled={busy}>
                    { if adding { "Adding…" } else { "Add operator" } }
                </button>
            </div>
        </form>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct LinkBoxProps {
    link: OneTimeLink,
    on_done: Callback<MouseEvent>,
}

/// The one-time link, whole, read-only, with Copy and when it expires.
#[component]
fn LinkBox(props: &LinkBoxProps) -> Html {
    let copied = use_state(|| None::<String>);
    let input = use_node_ref();
    {
        // A new link has not been copied yet.
        let copied = copied.clone();
        use_effect_with(props.link.path.clone(), move |_| copied.set(None));
    }
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let url = link_url(&origin, &props.link.path);
    let on_copy = {
        let (url, copied, input) = (url.clone(), copied.clone(), input.clone());
        Callback::from(move |_: MouseEvent| {
            // Selected too: if the clipboard is refused, Ctrl+C still works.
            if let Some(i) = input.cast::<HtmlInputElement>() {
                i.select();
            }
            let Some(window) = web_sys::window() else {
                return;
            };
            let promise = window.navigator().clipboard().write_text(&url);
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(
                    match wasm_bindgen_futures::JsFuture::from(promise).await {
                        Ok(_) => "Copied.".to_owned(),
                        Err(_) => "The browser refused to copy; the link is selected, copy it with the keyboard.".to_owned(),
                    },
                ));
            });
        })
    };
    let who = if props.link.operator.name.trim().is_empty() {
        props.link.operator.email.clone()
    } else {
        props.link.operator.name.clone()
    };
    html! {
        <section class="link-box" data-testid="one-time-link-box" aria-labelledby="one-time-link-title">
            <h3 id="one-time-link-title">{ format!("One-time link for {who}") }</h3>
            <div class="field">
                <label for="one-time-link">{ "Link to set the password" }</label>
                <div class="cell-row">
                    <input id="one-time-link" ref={input} type="text" class="link-input" readonly=true
                        data-testid="one-time-link" value={url} aria-describedby="one-time-link-note"
                        autocomplete="off" spellcheck="false" />
                    <button type="button" class="button button-primary" data-testid="one-time-link-copy"
                        onclick={on_copy}>
                        { "Copy" }
                    </button>
                </div>
            </div>
            <p id="one-time-link-note" class="muted" data-testid="one-time-link-note">
                { link_note(&clock(props.link.expires_at)) }
            </p>
            <p class="saved" role="status">{ (*copied).clone().unwrap_or_default() }</p>
            <button type="button" class="button" data-testid="one-time-link-done" onclick={props.on_done.clone()}>
                { "Done" }
            </button>
        </section>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct RemoveConfirmProps {
    name: String,
    email: String,
    busy: bool,
    on_remove: Callback<MouseEvent>,
    on_cancel: Callback<MouseEvent>,
}

/// "Remove Ada?" with Remove and Cancel; Cancel has the focus when it appears.
#[component]
fn RemoveConfirm(props: &RemoveConfirmProps) -> Html {
    let cancel = use_node_ref();
    {
        let cancel = cancel.clone();
        use_effect_with((), move |_| {
            if let Some(button) = cancel.cast::<HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    html! {
        <div class="confirm" role="group" aria-labelledby="operator-remove-text" data-testid="operator-remove-confirm">
            <p id="operator-remove-text" class="confirm-text">
                { format!("Remove {} ({})? They can no longer sign in, and this cannot be undone. Disable them instead to keep the account.", props.name, props.email) }
            </p>
            <div class="row">
                <button type="button" class="button button-destructive" data-testid="operator-remove-yes"
                    disabled={props.busy} onclick={props.on_remove.clone()}>
                    { "Remove" }
                </button>
                <button type="button" class="button" data-testid="operator-remove-cancel" ref={cancel}
                    disabled={props.busy} onclick={props.on_cancel.clone()}>
                    { "Cancel" }
                </button>
            </div>
        </div>
    }
}

/// What second factors the operator has.
fn second_factor_text(o: &OperatorView) -> String {
    match (o.totp, o.passkeys) {
        (false, 0) => "No".into(),
        (true, 0) => "App".into(),
        (false, n) => format!("{n} passkey{}", if n == 1 { "" } else { "s" }),
        (true, n) => format!("App, {n} passkey{}", if n == 1 { "" } else { "s" }),
    }
}
