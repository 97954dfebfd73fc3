//! The page a one-time link opens (`/console/set-password#<token>`): a new operator sets
//! their first password, or an operator whose password was reset sets a new one. No session
//! is needed and none is made: afterwards the operator signs in as usual.

use crate::account::{password_problem, LINK_EXPIRED, NO_TOKEN};
use crate::api::{self, SetPasswordError};
use confide_protocol::accounts::SetPassword;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct SetPasswordPageProps {
    /// The token from the link (after the `#`); `None` when the page was opened without one.
    pub token: Option<String>,
}

/// Where the page is.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Form { error: Option<String> },
    Done,
    Expired,
}

#[component]
pub fn SetPasswordPage(props: &SetPasswordPageProps) -> Html {
    let (new, repeat) = (use_node_ref(), use_node_ref());
    let stage = use_state(|| Stage::Form { error: None });
    let busy = use_state(|| false);
    let onsubmit = {
        let (new, repeat) = (new.clone(), repeat.clone());
        let (stage, busy) = (stage.clone(), busy.clone());
        let token = props.token.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let Some(token) = token.clone() else {
                return;
            };
            let value = super::input_value;
            let password = value(&new);
            if let Some(problem) = password_problem(&password, &value(&repeat)) {
                stage.set(Stage::Form {
                    error: Some(problem.into()),
                });
                return;
            }
            stage.set(Stage::Form { error: None });
            busy.set(true);
            let (stage, busy) = (stage.clone(), busy.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::set_password(&SetPassword { token, password }).await;
                busy.set(false);
                stage.set(match answer {
                    Ok(()) => Stage::Done,
                    Err(SetPasswordError::Expired) => Stage::Expired,
                    Err(SetPasswordError::Failed(e)) => Stage::Form {
                        error: Some(e.message().to_owned()),
                    },
                });
            });
        })
    };

    let body = match (&*stage, &props.token) {
        (Stage::Done, _) => html! {
            <div class="login" data-testid="set-password-done">
                <h2>{ "Password set" }</h2>
                <p role="status">{ "Your password is set. You can sign in now." }</p>
                <a class="button button-primary" href="/console/" data-testid="set-password-signin">{ "Sign in to the console" }</a>
            </div>
        },
        (Stage::Expired, _) | (_, None) => {
            let message = if props.token.is_none() {
                NO_TOKEN
            } else {
                LINK_EXPIRED
            };
            html! {
                <div class="login" data-testid="set-password-expired">
                    <h2>{ "Set your password" }</h2>
                    <p class="login-error" role="alert" data-testid="set-password-error">{ message }</p>
                    <a href="/console/">{ "Go to the sign-in page" }</a>
                </div>
            }
        }
        (Stage::Form { error }, Some(_)) => {
            let described = error.is_some().then_some("set-password-error");
            html! {
                <form class="login" data-testid="set-password-form" novalidate=true {onsubmit}>
                    <h2>{ "Set your password" }</h2>
                    <p class="muted" id="set-password-hint">
                        { "Choose a password of at least 10 characters. This link works once." }
                    </p>
                    <div class="field">
                        <label for="set-password-new">{ "New password" }</label>
                        <input id="set-password-new" ref={new} name="password" type="password" data-testid="set-password-new"
                            autocomplete="new-password" minlength="10" required=true
                            aria-describedby={described.map_or("set-password-hint", |_| "set-password-hint set-password-error")} />
                    </div>
                    <div class="field">
                        <label for="set-password-repeat">{ "New password again" }</label>
                        <input id="set-password-repeat" ref={repeat} name="repeat" type="password" data-testid="set-password-repeat"
                            autocomplete="new-password" minlength="10" required=true aria-describedby={described} />
                    </div>
                    if let Some(message) = error.clone() {
                        <p id="set-password-error" class="login-error" role="alert" data-testid="set-password-error">{ message }</p>
                    }
                    <button type="submit" class="button button-primary" data-testid="set-password-save" disabled={*busy}>
                        { if *busy { "Setting…" } else { "Set password" } }
                    </button>
                </form>
            }
        }
    };
    html! {
        <div class="console" data-confide-console="ready">
            <header class="console-header">
                <h1>{ "Confide console" }</h1>
            </header>
            <main class="console-main console-signin">{ body }</main>
        </div>
    }
}
