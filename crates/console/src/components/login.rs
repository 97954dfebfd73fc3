//! The sign-in form: `POST /api/operator/login`, and the server's message when it refuses.
//! When the password is right and the operator has a second factor, the server answers
//! `second_factor_required`; the form then asks for a code from the authenticator app (or a
//! recovery code) and sends the email and password again with it, or signs in with one of
//! the operator's passkeys.

use crate::account::login_code;
use crate::api::{self, LoginError};
use confide_protocol::chat::{LoginRequest, OperatorMe};
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct LoginFormProps {
    pub on_signed_in: Callback<OperatorMe>,
}

/// The email and password the server accepted, kept for the second step only.
#[derive(Clone, PartialEq)]
struct Credentials {
    email: String,
    password: String,
}

#[component]
pub fn LoginForm(props: &LoginFormProps) -> Html {
    let email = use_node_ref();
    let password = use_node_ref();
    let code = use_node_ref();
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    // `Some` once the server asked for the second factor.
    let second = use_state(|| None::<Credentials>);

    // The code input gets the focus when the second step appears.
    {
        let code = code.clone();
        use_effect_with(second.is_some(), move |&shown| {
            if shown {
                if let Some(input) = code.cast::<HtmlElement>() {
                    let _ = input.focus();
                }
            }
        });
    }

    let onsubmit = {
        let (email, password, code) = (email.clone(), password.clone(), code.clone());
        let (error, busy, second) = (error.clone(), busy.clone(), second.clone());
        let on_signed_in = props.on_signed_in.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let value = super::input_value;
            let request = match &*second {
                None => LoginRequest {
                    email: value(&email).trim().to_owned(),
                    password: value(&password),
                    code: None,
                },
                Some(c) => {
                    let Some(typed) = login_code(&value(&code)) else {
                        error.set(Some(
                            "Enter the code from your authenticator app, or a recovery code."
                                .into(),
                        ));
                        return;
                    };
                    LoginRequest {
                        email: c.email.clone(),
                        password: c.password.clone(),
                        code: Some(typed),
                    }
                }
            };
            let (error, busy, second) = (error.clone(), busy.clone(), second.clone());
            let (on_signed_in, code) = (on_signed_in.clone(), code.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::login(&request).await;
                busy.set(false);
                match answer {
                    Ok(me) => {
                        error.set(None);
                        second.set(None);
                        on_signed_in.emit(me);
                    }
                    Err(LoginError::SecondFactor(_)) if second.is_none() => {
                        error.set(None);
                        second.set(Some(Credentials {
                            email: request.email,
                            password: request.password,
                        }));
                    }
                    Err(e) => {
                        // A refused code is typed again.
                        if let Some(input) = code.cast::<HtmlInputElement>() {
                            input.set_value("");
                        }
                        error.set(Some(e.message().to_owned()));
                    }
                }
            });
        })
    };
    // The second step's other way: one of the operator's passkeys.
    let on_passkey = {
        let (error, busy, second) = (error.clone(), busy.clone(), second.clone());
        let on_signed_in = props.on_signed_in.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(c) = (*second).clone() else { return };
            if *busy {
                return;
            }
            let (error, busy, second) = (error.clone(), busy.clone(), second.clone());
            let on_signed_in = on_signed_in.clone();
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::login_with_passkey(&c.email, &c.password).await;
                busy.set(false);
                match answer {
                    Ok(me) => {
                        error.set(None);
                        second.set(None);
                        on_signed_in.emit(me);
                    }
                    Err(e) => error.set(Some(e.message().to_owned())),
                }
            });
        })
    };
    let on_back = {
        let (error, second) = (error.clone(), second.clone());
        Callback::from(move |_: MouseEvent| {
            error.set(None);
            second.set(None);
        })
    };

    let alert = (*error).clone().map(|message| {
        html! { <p id="login-error" class="login-error" data-testid="login-error" role="alert">{ message }</p> }
    });
    let described = error.is_some().then_some("login-error");
    html! {
        <form class="login" data-testid="login" {onsubmit} novalidate=true>
            <h2>{ "Sign in" }</h2>
            if second.is_none() {
                <div class="field">
                    <label for="login-email">{ "Email" }</label>
                    <input id="login-email" ref={email} name="email" type="email" autocomplete="username" required=true />
                </div>
                <div class="field">
                    <label for="login-password">{ "Password" }</label>
                    <input id="login-password" ref={password} name="password" type="password" autocomplete="current-password" required=true />
                </div>
                { for alert }
                <button type="submit" class="button button-primary" disabled={*busy}>
                    { if *busy { "Signing in…" } else { "Sign in" } }
                </button>
            } else {
                <p class="muted" id="login-code-hint">
                    { "Your password was right. Enter the code your authenticator app shows now or one of your recovery codes, or use a passkey." }
                </p>
                <div class="field">
                    <label for="login-code">{ "Code from your authenticator app, or a recovery code" }</label>
                    <input id="login-code" ref={code} name="code" type="text" data-testid="login-code"
                        autocomplete="one-time-code" autocapitalize="off" spellcheck="false" required=true
                        aria-describedby={described.map_or("login-code-hint", |_| "login-code-hint login-error")} />
                </div>
                { for alert }
                <div class="row">
                    <button type="submit" class="button button-primary" data-testid="login-code-submit" disabled={*busy}>
                        { if *busy { "Checking…" } else { "Sign in" } }
                    </button>
                    <button type="button" class="button" data-testid="login-passkey" disabled={*busy} onclick={on_passkey}>
                        { "Use a passkey" }
                    </button>
                    <button type="button" class="button" data-testid="login-back" disabled={*busy} onclick={on_back}>
                        { "Back" }
                    </button>
                </div>
            }
        </form>
    }
}
