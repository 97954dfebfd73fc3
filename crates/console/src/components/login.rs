//! The sign-in form: `POST /api/operator/login`, and the server's message when it refuses.

use crate::api;
use confide_protocol::chat::{LoginRequest, OperatorMe};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct LoginFormProps {
    pub on_signed_in: Callback<OperatorMe>,
}

#[component]
pub fn LoginForm(props: &LoginFormProps) -> Html {
    let email = use_node_ref();
    let password = use_node_ref();
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let onsubmit = {
        let (email, password) = (email.clone(), password.clone());
        let (error, busy) = (error.clone(), busy.clone());
        let on_signed_in = props.on_signed_in.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let value = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let request = LoginRequest {
                email: value(&email).trim().to_owned(),
                password: value(&password),
            };
            let (error, busy) = (error.clone(), busy.clone());
            let on_signed_in = on_signed_in.clone();
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::login(&request).await;
                busy.set(false);
                match answer {
                    Ok(me) => {
                        error.set(None);
                        on_signed_in.emit(me);
                    }
                    Err(e) => error.set(Some(e.message().to_owned())),
                }
            });
        })
    };

    html! {
        <form class="login" data-testid="login" {onsubmit} novalidate=true>
            <h2>{ "Sign in" }</h2>
            <label class="field">
                <span>{ "Email" }</span>
                <input ref={email} name="email" type="email" autocomplete="username" required=true />
            </label>
            <label class="field">
                <span>{ "Password" }</span>
                <input ref={password} name="password" type="password" autocomplete="current-password" required=true />
            </label>
            if let Some(message) = (*error).clone() {
                <p class="login-error" data-testid="login-error" role="alert">{ message }</p>
            }
            <button type="submit" class="button button-primary" disabled={*busy}>
                { if *busy { "Signing in…" } else { "Sign in" } }
            </button>
        </form>
    }
}
