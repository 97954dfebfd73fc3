//! The widget's root component: reads the key, owns the state, the socket and the bridge to
//! the loader, and provides them to the components as a [`ChatContext`].

use crate::components::ChatView;
use crate::context::{ChatContext, UiAction};
use crate::hooks::{use_chat_socket, use_host_bridge};
use crate::state::ChatState;
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
        Some(key) => html! { <LiveChat widget={key.clone()} /> },
        None => html! {
            <main class="confide confide-error" aria-label="Chat">
                <p role="alert">{ "This chat is not available." }</p>
            </main>
        },
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct LiveChatProps {
    pub widget: WidgetKey,
}

/// The chat connected to the server.
#[component]
pub fn LiveChat(props: &LiveChatProps) -> Html {
    let state = use_reducer(ChatState::new);
    let socket = use_chat_socket(&props.widget, &state);
    let bridge = use_host_bridge(&state);
    let actions = use_callback(
        (socket, bridge.close.clone()),
        |action: UiAction, (socket, close)| match action {
            UiAction::Send(text) => socket.send_text(text),
            UiAction::Typing(active) => socket.typing(active),
            UiAction::Close => close.emit(()),
        },
    );
    let context = ChatContext {
        widget: props.widget.clone(),
        state,
        actions,
        embedded: bridge.embedded,
    };
    html! {
        <ContextProvider<ChatContext> {context}>
            <ChatView />
        </ContextProvider<ChatContext>>
    }
}
