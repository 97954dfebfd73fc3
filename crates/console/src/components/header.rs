//! The top bar: product name, the pages the operator's role allows (Widgets and Routers with
//! `settings`, History and Find a person with `transcripts` read, Audit log with `audit`,
//! Operators and Roles with `operators`, Sessions and Account for everyone), connection state,
//! who is signed in, sign out. An operator who must enrol a second factor first gets only
//! their name and Sign out.

use super::use_console;
use crate::api;
use crate::state::{Action, Auth, Connection};
use yew::prelude::*;

#[component]
pub fn Header() -> Html {
    let ctx = use_console();
    let state = &ctx.state;
    let signed_in = match &state.auth {
        Auth::SignedIn(me) => Some(me.name.clone()),
        _ => None,
    };
    let on_logout = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            let dispatcher = dispatcher.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // Signed out here whatever the answer: the worst case is a cookie the server
                // will expire on its own.
                let _ = api::logout().await;
                dispatcher.dispatch(Action::SignedOut);
            });
        })
    };
    // While a second factor must be enrolled there is no socket and no page to go to.
    let live = state.live();
    let status = signed_in.as_ref().filter(|_| live).map(|_| {
        let (class, label) = match state.connection {
            Connection::Open => ("conn conn-open", "Connected".to_owned()),
            Connection::Connecting => ("conn conn-wait", "Connecting…".to_owned()),
            Connection::Waiting { retry_ms } if retry_ms < 1000 => {
                ("conn conn-lost", "Reconnecting…".to_owned())
            }
            Connection::Waiting { retry_ms } => (
                "conn conn-lost",
                format!("Offline, retrying in {} s", retry_ms / 1000),
            ),
        };
        html! { <span class={class} role="status" data-testid="connection">{ label }</span> }
    });
    let nav = signed_in.as_ref().filter(|_| live).map(|_| {
        let links = state.pages().into_iter().map(|page| {
            let dispatcher = state.dispatcher();
            let current = state.page == page;
            let onclick =
                Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::ShowPage(page)));
            html! {
                <button key={page.testid()} type="button" class={classes!("nav-link", current.then_some("nav-current"))}
                    aria-current={current.then_some("page")} data-testid={page.testid()} {onclick}>
                    { page.label() }
                </button>
            }
        });
        html! {
            <nav class="console-nav" aria-label="Pages">
                { for links }
            </nav>
        }
    });
    html! {
        <header class="console-header">
            <h1>{ "Confide console" }</h1>
            { nav }
            { status }
            if let Some(name) = signed_in {
                <span class="console-operator">{ name }</span>
                <button type="button" class="button button-quiet" data-testid="logout" onclick={on_logout}>
                    { "Sign out" }
                </button>
            }
        </header>
    }
}
