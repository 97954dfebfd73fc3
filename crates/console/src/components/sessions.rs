//! The Sessions page (issue 15; every operator): where the operator is signed in to the
//! console, by browser and OS family (never an address), with an End button for each other
//! session and "Sign out everywhere else". With `operators`, everyone's sessions too, and who
//! may reach the console at all (its IP allowlist, [`AccessSection`]). The logic lives in
//! [`crate::sessions`] and [`crate::access`].

use super::{clock, AccessSection};
use crate::api;
use crate::sessions::{
    end_label, endable, family, has_others, operator_text, Ending, SessionsAction, SessionsState,
};
use crate::ConsoleContext;
use confide_protocol::accounts::SessionView;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct SessionsPageProps {
    /// The role may manage operators: everyone's sessions are listed too, and the console's
    /// allowlist can be changed.
    pub admin: bool,
}

#[component]
pub fn SessionsPage(props: &SessionsPageProps) -> Html {
    let state = use_reducer_eq(SessionsState::default);
    // Rendered inside the console, a refused cookie signs out at once (tests render the page
    // alone).
    let on_error = super::refusal_text(use_context::<ConsoleContext>());
    {
        let (dispatcher, on_error) = (state.dispatcher(), on_error.clone());
        use_effect_with((state.load, props.admin), move |&(load, admin)| {
            wasm_bindgen_futures::spawn_local(async move {
                let result = api::sessions(false).await.map_err(|e| on_error(&e));
                dispatcher.dispatch(SessionsAction::Own { load, result });
                if admin {
                    let result = api::sessions(true).await.map_err(|e| on_error(&e));
                    dispatcher.dispatch(SessionsAction::All { load, result });
                }
            });
        });
    }
    // The reducer says what to end; this sends it.
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.request, move |request| {
            if let Some(request) = *request {
                wasm_bindgen_futures::spawn_local(async move {
                    let result = api::end_sessions(request.ending)
                        .await
                        .map_err(|e| on_error(&e));
                    dispatcher.dispatch(SessionsAction::Ended {
                        seq: request.seq,
                        result,
                    });
                });
            }
        });
    }

    let busy = state.busy();
    let end = |ending: Ending| {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(SessionsAction::End(ending)))
    };

    let own = match &state.own {
        None => html! { <p class="muted">{ "Loading your sessions…" }</p> },
        Some(Err(_)) => html! {},
        Some(Ok(list)) => {
            let rows = list.iter().map(|s| {
                let signed_in = clock(s.created_at);
                html! {
                    <tr key={s.id} data-testid="session-row" data-session={s.id.to_string()}
                        data-current={s.current.to_string()}>
                        <td>{ family(s) }</td>
                        <td>{ signed_in.clone() }</td>
                        <td>{ clock(s.last_active_at) }</td>
                        <td>{ action_cell(s, end(Ending::Own(s.id)), end_label(s, None, &signed_in), "session-end", busy) }</td>
                    </tr>
                }
            });
            html! {
                <>
                    <div class="table-scroll">
                        <table class="data-table" data-testid="own-sessions" aria-labelledby="sessions-own-title">
                            <thead>
                                <tr>
                                    <th scope="col">{ "Browser and system" }</th>
                                    <th scope="col">{ "Signed in" }</th>
                                    <th scope="col">{ "Last active" }</th>
                                    <th scope="col">{ "Session" }</th>
                                </tr>
                            </thead>
                            <tbody>{ for rows }</tbody>
                        </table>
                    </div>
                    if has_others(list) {
                        <button type="button" class="button" data-testid="sessions-end-others"
                            disabled={busy} onclick={end(Ending::Others)}>
                            { "Sign out everywhere else" }
                        </button>
                    } else {
                        <p class="muted">{ "You are signed in here only." }</p>
                    }
                </>
            }
        }
    };

    let all = props.admin.then(|| {
        let table = match &state.all {
            None => html! { <p class="muted">{ "Loading everyone's sessions…" }</p> },
            Some(Err(_)) => html! {},
            Some(Ok(list)) if list.is_empty() => {
                html! { <p class="muted">{ "Nobody is signed in." }</p> }
            }
            Some(Ok(list)) => {
                let rows = list.iter().map(|s| {
                    let (who, signed_in) = (operator_text(s), clock(s.created_at));
                    let label = end_label(s, Some(&who), &signed_in);
                    html! {
                        <tr key={s.id} data-testid="admin-session-row" data-session={s.id.to_string()}
                            data-operator={s.operator_id.to_string()} data-current={s.current.to_string()}>
                            <td>{ who }</td>
                            <td>{ family(s) }</td>
                            <td>{ signed_in }</td>
                            <td>{ clock(s.last_active_at) }</td>
                            <td>{ action_cell(s, end(Ending::Any(s.id)), label, "admin-session-end", busy) }</td>
                        </tr>
                    }
                });
                html! {
                    <div class="table-scroll">
                        <table class="data-table" data-testid="all-sessions" aria-labelledby="sessions-all-title">
                            <thead>
                                <tr>
                                    <th scope="col">{ "Operator" }</th>
                                    <th scope="col">{ "Browser and system" }</th>
                                    <th scope="col">{ "Signed in" }</th>
                                    <th scope="col">{ "Last active" }</th>
                                    <th scope="col">{ "Session" }</th>
                                </tr>
                            </thead>
                            <tbody>{ for rows }</tbody>
                        </table>
                    </div>
                }
            }
        };
        html! {
            <section class="admin-stack" aria-labelledby="sessions-all-title">
                <h3 id="sessions-all-title">{ "Everyone's sessions" }</h3>
                { table }
            </section>
        }
    });

    html! {
        <main class="console-main admin-page sessions">
            <section class="admin-stack" data-testid="sessions-page" aria-labelledby="sessions-title">
                <h2 id="sessions-title">{ "Sessions" }</h2>
                <p class="muted">
                    { "Where you are signed in to this console. Ending a session signs it out at once. Only the browser and system are kept, never an address." }
                </p>
                if let Some(text) = state.result() {
                    <p class="saved" role="status" data-testid="sessions-result">{ text.to_owned() }</p>
                }
                if let Some(message) = state.error() {
                    <p class="form-error" role="alert" data-testid="sessions-error">{ message }</p>
                }
                <section class="admin-stack" aria-labelledby="sessions-own-title">
                    <h3 id="sessions-own-title">{ "Your sessions" }</h3>
                    { own }
                </section>
                { all }
                if props.admin {
                    <AccessSection />
                }
            </section>
        </main>
    }
}

/// The last cell: "This session" for the one making the request, else its End button.
fn action_cell(
    s: &SessionView,
    onclick: Callback<MouseEvent>,
    label: String,
    testid: &'static str,
    busy: bool,
) -> Html {
    if !endable(s) {
        html! { <span class="tag" data-testid="session-current">{ "This session" }</span> }
    } else {
        html! {
            <button type="button" class="button" data-testid={testid} aria-label={label}
                disabled={busy} {onclick}>
                { "End" }
            </button>
        }
    }
}
