//! The Account page (issue 15; every operator): change one's own password, set up or
//! remove an authenticator app for two-factor sign-in, and add or remove passkeys
//! ([`PasskeysSection`]) ([`TwoFactorSection`], which is also
//! all an operator sees, on [`EnrolScreen`], while their role requires a second factor they
//! have not set up). The logic lives in [`crate::account`].

use crate::account::{
    password_problem, Step, TotpAnswer, TotpCall, TwoFactorAction, TwoFactorState,
};
use crate::api::{self, ApiError};
use crate::state::{Action, Auth};
use crate::ConsoleContext;
use confide_protocol::accounts::{ChangePassword, PasskeyView, SecondFactorProof};
use confide_protocol::chat::OperatorMe;
use confide_protocol::history::utc_datetime;
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

/// Asks `me` again and hands it to the console: in place (`Refreshed`), or as a new sign-in
/// once the enrolment a role required is done.
fn refetch_me(console: Option<ConsoleContext>, fresh_start: bool) {
    let Some(console) = console else {
        return;
    };
    let dispatcher = console.state.dispatcher();
    wasm_bindgen_futures::spawn_local(async move {
        match api::me().await {
            Ok(me) if fresh_start => dispatcher.dispatch(Action::SignedIn(me)),
            Ok(me) => dispatcher.dispatch(Action::Refreshed(me)),
            Err(ApiError::Unauthorized(_)) => dispatcher.dispatch(Action::SignedOut),
            Err(_) => {}
        }
    });
}

#[component]
pub fn AccountPage() -> Html {
    let console = use_context::<ConsoleContext>();
    let me: Option<OperatorMe> = console.as_ref().and_then(|c| match &c.state.auth {
        Auth::SignedIn(me) => Some(me.clone()),
        _ => None,
    });
    let totp = me.as_ref().is_some_and(|m| m.totp);
    let required = me.as_ref().is_some_and(|m| m.permissions.second_factor);
    html! {
        <main class="console-main admin-page account">
            <section class="admin-stack" data-testid="account-page" aria-labelledby="account-title">
                <h2 id="account-title">{ "Account" }</h2>
                if let Some(me) = &me {
                    <p class="muted">{ format!("Signed in as {} (role {}). Visitors see you as {}.", me.name, me.role, me.alias) }</p>
                }
                <ChangePasswordForm />
                <TwoFactorSection {totp} {required} />
                <PasskeysSection />
            </section>
        </main>
    }
}

/// The current password, the new one twice: checked here (the same twice, at least 10
/// characters) before sending.
#[component]
fn ChangePasswordForm() -> Html {
    let (current, new, repeat) = (use_node_ref(), use_node_ref(), use_node_ref());
    let error = use_state(|| None::<String>);
    let done = use_state(|| false);
    let busy = use_state(|| false);
    let onsubmit = {
        let (current, new, repeat) = (current.clone(), new.clone(), repeat.clone());
        let (error, done, busy) = (error.clone(), done.clone(), busy.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let value = super::input_value;
            done.set(false);
            let request = ChangePassword {
                current: value(&current),
                new: value(&new),
            };
            if request.current.is_empty() {
                error.set(Some("Enter your current password.".into()));
                return;
            }
            if let Some(problem) = password_problem(&request.new, &value(&repeat)) {
                error.set(Some(problem.into()));
                return;
            }
            error.set(None);
            busy.set(true);
            let (error, done, busy) = (error.clone(), done.clone(), busy.clone());
            let inputs = [current.clone(), new.clone(), repeat.clone()];
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::change_password(&request).await;
                busy.set(false);
                match answer {
                    Ok(()) => {
                        for i in inputs.iter().filter_map(|r| r.cast::<HtmlInputElement>()) {
                            i.set_value("");
                        }
                        done.set(true);
                    }
                    Err(e) => error.set(Some(e.message().to_owned())),
                }
            });
        })
    };
    let invalid = error.is_some().then_some("true");
    let described = error.is_some().then_some("change-password-error");
    html! {
        <form class="settings-form account-form" data-testid="change-password-form" novalidate=true
            aria-labelledby="change-password-title" {onsubmit}>
            <h3 id="change-password-title">{ "Change your password" }</h3>
            <div class="field">
                <label for="password-current">{ "Current password" }</label>
                <input id="password-current" ref={current} name="current" type="password" data-testid="password-current"
                    autocomplete="current-password" required=true aria-describedby={described} />
            </div>
            <div class="field">
                <label for="password-new">{ "New password (at least 10 characters)" }</label>
                <input id="password-new" ref={new} name="new" type="password" data-testid="password-new"
                    autocomplete="new-password" minlength="10" required=true aria-invalid={invalid}
                    aria-describedby={described} />
            </div>
            <div class="field">
                <label for="password-repeat">{ "New password again" }</label>
                <input id="password-repeat" ref={repeat} name="repeat" type="password" data-testid="password-repeat"
                    autocomplete="new-password" minlength="10" required=true aria-invalid={invalid}
                    aria-describedby={described} />
            </div>
            if let Some(message) = (*error).clone() {
                <p id="change-password-error" class="form-error" role="alert" data-testid="change-password-error">{ message }</p>
            }
            <div class="row">
                <button type="submit" class="button button-primary" data-testid="change-password-save" disabled={*busy}>
                    { if *busy { "Changing…" } else { "Change password" } }
                </button>
                if *done {
                    <span class="saved" role="status" data-testid="change-password-done">
                        { "Your password was changed. Your other sessions were signed out." }
                    </span>
                }
            </div>
        </form>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct TwoFactorSectionProps {
    /// An authenticator app is enrolled: the section offers to remove it.
    pub totp: bool,
    /// The role requires a second factor (removing it sends the operator back to enrol).
    #[prop_or_default]
    pub required: bool,
    /// The operator must enrol before anything else: once the codes are stored, "Continue"
    /// asks `me` again and starts the normal console.
    #[prop_or_default]
    pub enrolling: bool,
}

/// Two-factor sign-in: set up an authenticator app (QR code, the secret for typing by hand,
/// a code to confirm, then the recovery codes once), or remove it with the password.
#[component]
pub fn TwoFactorSection(props: &TwoFactorSectionProps) -> Html {
    let state = use_reducer_eq(TwoFactorState::default);
    let console = use_context::<ConsoleContext>();
    let enrolling = props.enrolling;
    // The reducer says what to send; this sends it.
    {
        let (dispatcher, console) = (state.dispatcher(), console.clone());
        use_effect_with(state.request.clone(), move |request| {
            if let Some(request) = request.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let result = match &request.call {
                        TotpCall::Start => api::start_totp().await.map(TotpAnswer::Started),
                        TotpCall::Confirm(proof) => {
                            api::confirm_totp(proof).await.map(TotpAnswer::Confirmed)
                        }
                        TotpCall::Remove(proof) => {
                            api::remove_totp(proof).await.map(|_| TotpAnswer::Removed)
                        }
                    };
                    let changed = result.is_ok() && request.call != TotpCall::Start;
                    if let (Err(ApiError::Unauthorized(_)), Some(c)) = (&result, &console) {
                        c.state.dispatcher().dispatch(Action::SignedOut);
                    }
                    dispatcher.dispatch(TwoFactorAction::Answered {
                        seq: request.seq,
                        result: result.map_err(|e| e.message().to_owned()),
                    });
                    // The header and this section follow the account; while enrolling, the
                    // codes stay up until "Continue".
                    if changed && !enrolling {
                        refetch_me(console, false);
                    }
                });
            }
        });
    }
    let act = |action: TwoFactorAction| {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(action.clone()))
    };
    let busy = state.busy();
    let error = state.error.clone().map(|message| {
        html! { <p id="totp-error" class="form-error" role="alert" data-testid="totp-error">{ message }</p> }
    });

    let body = match (&state.step, props.totp) {
        (Step::Codes(codes), _) => {
            let on_finish = {
                let (dispatcher, console) = (state.dispatcher(), console.clone());
                Callback::from(move |_: MouseEvent| {
                    if enrolling {
                        refetch_me(console.clone(), true);
                    } else {
                        dispatcher.dispatch(TwoFactorAction::Finish);
                    }
                })
            };
            html! {
                <RecoveryCodesView codes={codes.clone()} {enrolling} {on_finish} />
            }
        }
        (Step::Enrolling(enrolment), _) => {
            let src = format!(
                "data:image/svg+xml;charset=utf-8,{}",
                String::from(js_sys::encode_uri_component(&enrolment.qr_svg))
            );
            let on_code = {
                let dispatcher = state.dispatcher();
                Callback::from(move |e: InputEvent| {
                    let value = e.target_unchecked_into::<HtmlInputElement>().value();
                    dispatcher.dispatch(TwoFactorAction::Code(value));
                })
            };
            let onsubmit = {
                let dispatcher = state.dispatcher();
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    dispatcher.dispatch(TwoFactorAction::Confirm);
                })
            };
            html! {
                <form class="settings-form totp-form" data-testid="totp-form" novalidate=true
                    aria-labelledby="totp-form-title" {onsubmit}>
                    <h4 id="totp-form-title">{ "Add this account to your authenticator app" }</h4>
                    <ol class="steps">
                        <li>{ "Scan the QR code with the app (any app for time-based codes)." }</li>
                        <li>
                            { "Or type this key into the app by hand: " }
                            <code class="totp-secret" data-testid="totp-secret">{ enrolment.secret.clone() }</code>
                        </li>
                        <li>{ "Enter the six-digit code the app shows, to confirm." }</li>
                    </ol>
                    <img class="totp-qr" data-testid="totp-qr" alt="QR code for your authenticator app"
                        width="200" height="200" {src} />
                    <div class="field">
                        <label for="totp-code">{ "Code from the app" }</label>
                        <input id="totp-code" name="code" type="text" data-testid="totp-code"
                            inputmode="numeric" autocomplete="one-time-code" maxlength="9" spellcheck="false"
                            required=true value={state.code.clone()}
                            aria-invalid={state.error.is_some().then_some("true")}
                            aria-describedby={state.error.is_some().then_some("totp-error")}
                            oninput={on_code} />
                    </div>
                    { for error }
                    <div class="row">
                        <button type="submit" class="button button-primary" data-testid="totp-confirm" disabled={busy}>
                            { if busy { "Confirming…" } else { "Confirm" } }
                        </button>
                        <button type="button" class="button" data-testid="totp-cancel" disabled={busy}
                            onclick={act(TwoFactorAction::Cancel)}>
                            { "Cancel" }
                        </button>
                    </div>
                </form>
            }
        }
        (Step::Idle, false) => html! {
            <>
                <p class="muted" data-testid="totp-off">
                    { "Two-factor sign-in is off: your password alone signs you in. With an authenticator app, signing in also needs the code it shows." }
                </p>
                if state.removed {
                    <p class="saved" role="status" data-testid="totp-removed">{ "The authenticator app was removed." }</p>
                }
                { for error }
                <button type="button" class="button button-primary" data-testid="totp-start" disabled={busy}
                    onclick={act(TwoFactorAction::Start)}>
                    { if busy { "Starting…" } else { "Set up an authenticator app" } }
                </button>
            </>
        },
        (Step::Idle, true) => {
            let on_password = {
                let dispatcher = state.dispatcher();
                Callback::from(move |e: InputEvent| {
                    let value = e.target_unchecked_into::<HtmlInputElement>().value();
                    dispatcher.dispatch(TwoFactorAction::Password(value));
                })
            };
            let onsubmit = {
                let dispatcher = state.dispatcher();
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    dispatcher.dispatch(TwoFactorAction::Remove);
                })
            };
            html! {
                <>
                    <p class="muted" data-testid="totp-on">
                        { "Two-factor sign-in is on: signing in needs your password and the code your authenticator app shows (or a recovery code)." }
                    </p>
                    <form class="settings-form totp-remove" data-testid="totp-remove-form" novalidate=true
                        aria-labelledby="totp-remove-title" {onsubmit}>
                        <h4 id="totp-remove-title">{ "Remove the authenticator app" }</h4>
                        if props.required {
                            <p class="muted">{ "Your role requires two-factor sign-in: without the app you will be asked to set one up again." }</p>
                        }
                        <div class="field">
                            <label for="totp-remove-password">{ "Your password" }</label>
                            <input id="totp-remove-password" name="password" type="password"
                                data-testid="totp-remove-password" autocomplete="current-password" required=true
                                value={state.password.clone()}
                                aria-describedby={state.error.is_some().then_some("totp-error")}
                                oninput={on_password} />
                        </div>
                        { for error }
                        <div class="row">
                            <button type="submit" class="button button-danger" data-testid="totp-remove" disabled={busy}>
                                { if busy { "Removing…" } else { "Remove the authenticator app" } }
                            </button>
                        </div>
                    </form>
                </>
            }
        }
    };

    html! {
        <section class="admin-stack two-factor" data-testid="two-factor" aria-labelledby="two-factor-title">
            <h3 id="two-factor-title">{ "Two-factor sign-in" }</h3>
            { body }
        </section>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct RecoveryCodesViewProps {
    codes: Vec<String>,
    enrolling: bool,
    on_finish: Callback<MouseEvent>,
    #[prop_or("The authenticator app is set up")]
    title: &'static str,
}

/// The recovery codes, shown this once; the heading takes the focus so they are read out.
#[component]
fn RecoveryCodesView(props: &RecoveryCodesViewProps) -> Html {
    let heading = use_node_ref();
    {
        let heading = heading.clone();
        use_effect_with((), move |_| {
            if let Some(h) = heading.cast::<HtmlElement>() {
                let _ = h.focus();
            }
        });
    }
    html! {
        <div class="recovery" data-testid="recovery">
            <h4 id="recovery-title" ref={heading} tabindex="-1">{ props.title }</h4>
            <p class="recovery-note" role="status">
                { format!(
                    "These {} recovery codes are shown only now. Store them somewhere safe, away from your phone: each one signs you in once in place of a code if you lose your second factor.",
                    props.codes.len()
                ) }
            </p>
            <ul class="recovery-codes" data-testid="recovery-codes" aria-labelledby="recovery-title">
                { for props.codes.iter().map(|c| html! { <li><code>{ c.clone() }</code></li> }) }
            </ul>
            <button type="button" class="button button-primary" data-testid="recovery-done"
                onclick={props.on_finish.clone()}>
                { if props.enrolling { "I have stored them: continue to the console" } else { "I have stored them" } }
            </button>
        </div>
    }
}

/// All an operator sees while their role requires a second factor they have not set up:
/// the enrolment (and the header's Sign out). No inbox, no socket.
#[component]
pub fn EnrolScreen() -> Html {
    html! {
        <main class="console-main admin-page enrol">
            <section class="admin-stack" data-testid="enrol-page" aria-labelledby="enrol-title">
                <h2 id="enrol-title">{ "Set up two-factor sign-in" }</h2>
                <p class="muted">
                    { "Your role requires a second factor: before using the console, add this account to an authenticator app on your phone, or add a passkey." }
                </p>
                <TwoFactorSection totp=false required=true enrolling=true />
                <PasskeysSection enrolling=true />
            </section>
        </main>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct PasskeysSectionProps {
    /// The operator must enrol first: the first passkey (and its recovery codes) leads to the
    /// normal console.
    #[prop_or_default]
    pub enrolling: bool,
}

/// Passkeys: the operator's own (name, added, last used), one more added through the
/// browser, one removed with the password.
#[component]
pub fn PasskeysSection(props: &PasskeysSectionProps) -> Html {
    let console = use_context::<ConsoleContext>();
    let enrolling = props.enrolling;
    let list = use_state(|| None::<Result<Vec<PasskeyView>, String>>);
    let reload = use_state(|| 0u32);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let codes = use_state(|| None::<Vec<String>>);
    let removing = use_state(|| None::<i64>);
    let name = use_node_ref();
    let password = use_node_ref();
    {
        let list = list.clone();
        use_effect_with(*reload, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                list.set(Some(
                    api::passkeys().await.map_err(|e| e.message().to_owned()),
                ));
            });
        });
    }
    let on_add = {
        let (busy, error, codes, reload) =
            (busy.clone(), error.clone(), codes.clone(), reload.clone());
        let (name, console) = (name.clone(), console.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let label = name
                .cast::<HtmlInputElement>()
                .map(|i| i.value().trim().to_owned())
                .unwrap_or_default();
            if label.is_empty() {
                error.set(Some(
                    "Give the passkey a name, such as the device it is on.".into(),
                ));
                return;
            }
            let (busy, error, codes, reload) =
                (busy.clone(), error.clone(), codes.clone(), reload.clone());
            let console = console.clone();
            busy.set(true);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::add_passkey(&label).await;
                busy.set(false);
                match answer {
                    Ok(recovery) => {
                        reload.set(*reload + 1);
                        if !recovery.codes.is_empty() {
                            codes.set(Some(recovery.codes));
                        } else {
                            refetch_me(console, enrolling);
                        }
                    }
                    Err(e) => error.set(Some(e.message().to_owned())),
                }
            });
        })
    };
    let on_remove = {
        let (busy, error, removing, reload) = (
            busy.clone(),
            error.clone(),
            removing.clone(),
            reload.clone(),
        );
        let (password, console) = (password.clone(), console.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(id) = *removing else { return };
            if *busy {
                return;
            }
            let typed = password
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            let (busy, error, removing, reload) = (
                busy.clone(),
                error.clone(),
                removing.clone(),
                reload.clone(),
            );
            let console = console.clone();
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let proof = SecondFactorProof {
                    code: None,
                    password: Some(typed),
                };
                let answer = api::remove_passkey(id, &proof).await;
                busy.set(false);
                match answer {
                    Ok(()) => {
                        error.set(None);
                        removing.set(None);
                        reload.set(*reload + 1);
                        refetch_me(console, false);
                    }
                    Err(e) => error.set(Some(e.message().to_owned())),
                }
            });
        })
    };
    let alert = (*error).clone().map(|message| {
        html! { <p id="passkey-error" class="form-error" role="alert" data-testid="passkey-error">{ message }</p> }
    });
    if let Some(recovery) = (*codes).clone() {
        let on_finish = {
            let (codes, console) = (codes.clone(), console.clone());
            Callback::from(move |_: MouseEvent| {
                codes.set(None);
                refetch_me(console.clone(), enrolling);
            })
        };
        return html! {
            <section class="admin-stack passkeys" data-testid="passkeys" aria-labelledby="passkeys-title">
                <h3 id="passkeys-title">{ "Passkeys" }</h3>
                <RecoveryCodesView codes={recovery} {enrolling} {on_finish} title="The passkey is added" />
            </section>
        };
    }
    let items = match &*list {
        None => html! { <p class="muted">{ "Loading passkeys…" }</p> },
        Some(Err(message)) => html! { <p class="form-error" role="alert">{ message.clone() }</p> },
        Some(Ok(keys)) if keys.is_empty() => html! {
            <p class="muted" data-testid="passkeys-none">{ "No passkey yet. A passkey signs you in with your device's screen lock or a security key, in place of a code." }</p>
        },
        Some(Ok(keys)) => html! {
            <ul class="passkey-list" data-testid="passkey-list" aria-labelledby="passkeys-title">
                { for keys.iter().map(|k| {
                    let id = k.id;
                    let on_pick = {
                        let (removing, error) = (removing.clone(), error.clone());
                        Callback::from(move |_: MouseEvent| {
                            error.set(None);
                            removing.set(Some(id));
                        })
                    };
                    let used = k.last_used_at.map_or_else(|| "never used".to_owned(), |t| format!("last used {}", utc_datetime(t)));
                    html! {
                        <li key={id} data-testid="passkey-item">
                            <span class="passkey-name">{ k.name.clone() }</span>
                            <span class="muted">{ format!(" · added {} · {used}", utc_datetime(k.created_at)) }</span>
                            if !enrolling {
                                <button type="button" class="button button-quiet" data-testid="passkey-remove-start"
                                    aria-label={format!("Remove the passkey {}", k.name)} onclick={on_pick}>
                                    { "Remove" }
                                </button>
                            }
                        </li>
                    }
                }) }
            </ul>
        },
    };
    let remove_form = removing.map(|_| {
        let on_cancel = {
            let removing = removing.clone();
            Callback::from(move |_: MouseEvent| removing.set(None))
        };
        html! {
            <form class="settings-form" data-testid="passkey-remove-form" novalidate=true
                aria-labelledby="passkey-remove-title" onsubmit={on_remove.clone()}>
                <h4 id="passkey-remove-title">{ "Remove this passkey" }</h4>
                <div class="field">
                    <label for="passkey-remove-password">{ "Your password" }</label>
                    <input id="passkey-remove-password" ref={password.clone()} name="password" type="password"
                        data-testid="passkey-remove-password" autocomplete="current-password" required=true />
                </div>
                <div class="row">
                    <button type="submit" class="button button-danger" data-testid="passkey-remove" disabled={*busy}>
                        { if *busy { "Removing…" } else { "Remove the passkey" } }
                    </button>
                    <button type="button" class="button" onclick={on_cancel}>{ "Cancel" }</button>
                </div>
            </form>
        }
    });
    html! {
        <section class="admin-stack passkeys" data-testid="passkeys" aria-labelledby="passkeys-title">
            <h3 id="passkeys-title">{ "Passkeys" }</h3>
            { items }
            { for remove_form }
            <form class="settings-form" data-testid="passkey-add-form" novalidate=true
                aria-labelledby="passkey-add-title" onsubmit={on_add}>
                <h4 id="passkey-add-title">{ "Add a passkey" }</h4>
                <div class="field">
                    <label for="passkey-name">{ "Name (the device or key it is on)" }</label>
                    <input id="passkey-name" ref={name} name="name" type="text" data-testid="passkey-name"
                        maxlength="60" value="Passkey" required=true
                        aria-describedby={error.is_some().then_some("passkey-error")} />
                </div>
                { for alert }
                <button type="submit" class="button button-primary" data-testid="passkey-add" disabled={*busy}>
                    { if *busy { "Waiting for the passkey…" } else { "Add a passkey" } }
                </button>
            </form>
        </section>
    }
}
