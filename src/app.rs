//! The widget's root component.

use confide_protocol::WidgetKey;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct AppProps {
    /// The widget key from the iframe URL; `None` when the URL does not carry a valid one.
    pub widget: Option<WidgetKey>,
}

#[component]
pub fn App(props: &AppProps) -> Html {
    match &props.widget {
        Some(key) => html! {
            <main class="confide" data-confide-widget={key.to_string()} aria-label="Chat">
                <header class="confide-header">
                    <h1 class="confide-title">{ "Chat with us" }</h1>
                </header>
                <section class="confide-body">
                    <p class="confide-status" role="status">{ "Connecting…" }</p>
                </section>
            </main>
        },
        None => html! {
            <main class="confide confide-error" aria-label="Chat">
                <p role="alert">{ "This chat is not available." }</p>
            </main>
        },
    }
}
