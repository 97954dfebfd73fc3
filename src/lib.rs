//! The Confide chat widget: a Yew app that runs inside the iframe `/w/KEY` on the chat
//! server's own origin, so the host page's scripts can never read what a visitor types.
//!
//! - [`gate`]: what comes before the chat (settings loading, the consent gate) and
//!   [`state`]: everything the chat shows, the privacy panel included, each a `Reducible`
//!   with no `web-sys` (tested natively);
//! - [`hooks`]: the settings request, the visitor socket and the `postMessage` bridge to the
//!   loader;
//! - [`components`]: the consent gate, the header, the conversation, the composer, the
//!   leave-a-message form, the privacy panel;
//! - `confide_protocol::linkify` and `confide_protocol::settings` (shared with the server and
//!   the console), [`backoff`], [`persist`], [`privacy`] (the transcript downloads), [`json`],
//!   [`frames`], [`config`]: pure helpers, tested natively (`frames` and `config` against the
//!   protocol's own serde forms);
//! - [`browser`]: the few browser calls, each tolerant of a missing API.

pub mod app;
pub mod backoff;
pub mod browser;
pub mod components;
pub mod config;
pub mod context;
pub mod frames;
pub mod gate;
pub mod hooks;
pub mod json;
pub mod persist;
pub mod privacy;
pub mod router;
pub mod state;
pub mod strings;

use confide_protocol::WidgetKey;

pub use app::{App, AppProps, Widget, WidgetProps};
pub use context::{ChatContext, UiAction};

/// Where the widget mounts inside `www/index.html`.
pub const ROOT_ID: &str = "confide-root";

/// Reads the widget key from the iframe's own URL (`/w/KEY`) and mounts the widget.
///
/// Runtime configuration comes from the iframe URL and the server, never from compile-time
/// environment, so one build serves every widget. Without a key in the URL the page says
/// the chat is not available, in fixed markup (the [`App`] component that does the same
/// is for tests: one component type fewer in the bundle).
pub fn mount() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_default();
    let root = document.get_element_by_id(ROOT_ID);
    match (WidgetKey::from_widget_path(&path).ok(), root) {
        (Some(widget), Some(root)) => {
            yew::Renderer::<Widget>::with_root_and_props(root, WidgetProps { widget }).render();
        }
        (Some(widget), None) => {
            yew::Renderer::<Widget>::with_props(WidgetProps { widget }).render();
        }
        (None, root) => {
            // Fixed text, no input in it: the built-in English of `Text::Unavailable`.
            if let Some(root) = root.or_else(|| document.body().map(Into::into)) {
                root.set_inner_html(
                    "<main class=\"confide confide-error\" aria-label=\"Chat\"><p role=\"alert\">This chat is not available.</p></main>",
                );
            }
        }
    }
}
