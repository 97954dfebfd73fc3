//! The Confide operator console: where a site's operators answer visitors.
//!
//! [`Console`] owns the state (a [`state::ConsoleState`] reducer) and the operator socket, and
//! shares both with the views through [`ConsoleContext`]. The views render only what the
//! state holds, so tests render them from a prepared state without a server.

pub mod access;
pub mod account;
pub mod api;
pub mod audit;
pub mod components;
pub mod history;
pub mod hooks;
pub mod ids;
pub mod operators;
pub mod person;
pub mod reconnect;
pub mod roles;
pub mod routers;
pub mod sessions;
pub mod sound;
pub mod state;
pub mod webauthn;
pub mod widgets;

use components::{
    AccountPage, AuditPage, Desk, EnrolScreen, Header, HistoryPage, LoginForm, OperatorsPage,
    PersonPage, RolesPage, RoutersPage, SessionsPage, SetPasswordPage, WidgetsPage,
};
use confide_protocol::chat::{OperatorClient, OperatorMe};
use hooks::{
    use_alert_sound, use_document_title, use_operator_socket, use_page_visible, SocketEvent,
};
use state::{Action, Auth, ConsoleState, Page};
use yew::prelude::*;

/// Where the console mounts inside its index.html.
pub const ROOT_ID: &str = "console-root";

/// The state and the way to talk to the server, for every view.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleContext {
    pub state: UseReducerHandle<ConsoleState>,
    /// Sends a frame on `/ws/operator` (dropped while disconnected).
    pub send: Callback<OperatorClient>,
}

/// The console document is served for every path under `/console/`; a one-time link opens
/// it at `/console/set-password#<token>`. Then the set-password page is all there is: no
/// `me`, no socket. The token is read once and taken out of the address bar.
#[component]
pub fn Console() -> Html {
    let set_password = use_state(|| {
        let location = web_sys::window().map(|w| w.location());
        let path = location.as_ref().and_then(|l| l.pathname().ok());
        if !path.as_deref().is_some_and(account::is_set_password_path) {
            return None;
        }
        let hash = location.and_then(|l| l.hash().ok()).unwrap_or_default();
        forget_hash(path.as_deref().unwrap_or_default());
        Some(account::token_from_hash(&hash))
    });
    match &*set_password {
        Some(token) => html! { <SetPasswordPage token={token.clone()} /> },
        None => html! { <SignedConsole /> },
    }
}

/// Takes the one-time token out of the address bar (and so out of the history).
fn forget_hash(path: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

/// The console proper: sign-in, then the pages.
#[component]
fn SignedConsole() -> Html {
    let state = use_reducer_eq(ConsoleState::default);
    // No socket while signed out, nor while a second factor must be enrolled first.
    let live = state.live();

    // A still-valid session cookie skips the sign-in form.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match api::me().await {
                    Ok(me) => dispatcher.dispatch(Action::SignedIn(me)),
                    Err(_) => dispatcher.dispatch(Action::SignedOut),
                }
            });
        });
    }

    let events = {
        let dispatcher = state.dispatcher();
        Callback::from(move |event| {
            dispatcher.dispatch(match event {
                SocketEvent::Opened => Action::Connected,
                SocketEvent::Frame(frame) => Action::Server(frame),
                SocketEvent::Lost { retry_ms } => Action::Disconnected { retry_ms },
                SocketEvent::Unauthorized => Action::SignedOut,
            })
        })
    };
    let send = use_operator_socket(live, events);

    // Once per connection: watch the selected conversation again from where we were, and
    // resend every reply not acknowledged yet, with the same ids.
    {
        let state = state.clone();
        let send = send.clone();
        use_effect_with(state.epoch, move |&epoch| {
            if epoch > 0 {
                if let Some(conversation) = state.selected {
                    send.emit(OperatorClient::Open {
                        conversation,
                        last_seq: state.thread(conversation).and_then(|t| t.last_seq()),
                    });
                }
                for o in &state.outbox {
                    send.emit(OperatorClient::Send {
                        conversation: o.conversation,
                        id: o.id.clone(),
                        text: o.text.clone(),
                    });
                }
            }
        });
    }

    let visible = use_page_visible();
    {
        let dispatcher = state.dispatcher();
        use_effect_with(visible, move |&visible| {
            dispatcher.dispatch(Action::PageHidden(!visible))
        });
    }

    use_document_title(state::title(state.total_unread()));
    use_alert_sound(state.alerts);

    let on_signed_in = {
        let dispatcher = state.dispatcher();
        Callback::from(move |me: OperatorMe| dispatcher.dispatch(Action::SignedIn(me)))
    };
    // The page is only ever one the role allows (the reducer refuses the others); each is
    // checked again here, so a page never renders for a role without its permission.
    let page = if state.may_show(state.page) {
        state.page
    } else {
        Page::Inbox
    };
    let edit = state.may_edit_transcripts();
    let body = match &state.auth {
        Auth::Checking => html! {
            <main class="console-main console-loading"><p>{ "Loading…" }</p></main>
        },
        Auth::SignedOut => html! {
            <main class="console-main console-signin"><LoginForm {on_signed_in} /></main>
        },
        Auth::SignedIn(me) if me.must_enrol => html! { <EnrolScreen /> },
        Auth::SignedIn(me) => match page {
            Page::Inbox => html! { <Desk /> },
            Page::Widgets => html! { <WidgetsPage /> },
            Page::Routers => html! { <RoutersPage /> },
            Page::History => html! { <HistoryPage {edit} /> },
            Page::Person => html! { <PersonPage {edit} /> },
            Page::Audit => html! { <AuditPage /> },
            Page::Roles => html! { <RolesPage /> },
            Page::Sessions => html! { <SessionsPage admin={state.may_manage_operators()} /> },
            Page::Operators => html! { <OperatorsPage me={Some(me.id)} /> },
            Page::Account => html! { <AccountPage /> },
        },
    };
    let context = ConsoleContext { state, send };
    html! {
        <ContextProvider<ConsoleContext> {context}>
            <div class="console" data-confide-console="ready">
                <Header />
                { body }
            </div>
        </ContextProvider<ConsoleContext>>
    }
}

/// Mounts the console into `#console-root`.
pub fn mount() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(ROOT_ID));
    match root {
        Some(root) => {
            yew::Renderer::<Console>::with_root(root).render();
        }
        None => {
            yew::Renderer::<Console>::new().render();
        }
    }
}
