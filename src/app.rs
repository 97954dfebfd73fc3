//! The widget's root component: reads the key, loads the settings, shows the consent gate
//! when the widget requires one, then the chat with its socket, and keeps the bridge to the
//! loader throughout.

use crate::browser::{self, Area};
use crate::components::parts::{header_bar, DEFAULT_TITLE};
use crate::components::{ChatView, ConsentGate};
use crate::context::{ChatContext, UiAction};
use crate::frames::encode_consent;
use crate::gate::{Gate, GateAction, Stage};
use crate::hooks::{use_chat_socket, use_host_bridge, use_widget_config};
use crate::persist::consent_key;
use crate::state::{Action, ChatState};
use confide_protocol::chat::{ConsentGiven, VisitorClient};
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
        Some(key) => html! { <Widget widget={key.clone()} /> },
        None => html! {
            <main class="confide confide-error" aria-label="Chat">
                <p role="alert">{ "This chat is not available." }</p>
            </main>
        },
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct WidgetProps {
    pub widget: WidgetKey,
}

/// One widget: settings, then the gate (if consent is required), then the chat.
#[component]
pub fn Widget(props: &WidgetProps) -> Html {
    let gate = use_reducer(Gate::new);
    let chat = use_reducer(ChatState::new);
    use_widget_config(&props.widget, &gate);
    let bridge = use_host_bridge(&chat);

    let on_agree = {
        let dispatcher = gate.dispatcher();
        use_callback(props.widget.clone(), move |given: ConsentGiven, widget| {
            browser::storage_set(Area::Local, &consent_key(widget), &encode_consent(&given));
            dispatcher.dispatch(GateAction::Agreed(given));
        })
    };
    let on_refused = {
        let dispatcher = gate.dispatcher();
        use_callback(props.widget.clone(), move |(), widget| {
            browser::storage_remove(Area::Local, &consent_key(widget));
            dispatcher.dispatch(GateAction::Refused);
        })
    };
    let on_withdrawn = {
        let gate = gate.dispatcher();
        let chat = chat.dispatcher();
        use_callback(props.widget.clone(), move |(), widget| {
            browser::storage_remove(Area::Local, &consent_key(widget));
            chat.dispatch(Action::Reset);
            gate.dispatch(GateAction::Withdrawn);
        })
    };
    let on_retry = {
        let dispatcher = gate.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(GateAction::Retry))
    };

    if let Stage::Chat(consent) = &gate.stage {
        return html! {
            <LiveChat widget={props.widget.clone()} consent={consent.clone()} {chat}
                      {on_refused} {on_withdrawn} close={bridge.close.clone()} embedded={bridge.embedded} />
        };
    }

    let close = bridge.embedded.then(|| {
        let close = bridge.close.clone();
        Callback::from(move |_: MouseEvent| close.emit(()))
    });
    let body = match &gate.stage {
        Stage::Consent(view) => html! { <ConsentGate view={view.clone()} {on_agree} /> },
        Stage::Failed(failure) => html! {
            <div class="confide-body confide-failed">
                <p class="confide-unavailable" role="alert" data-problem={failure.detail()}>
                    { failure.message() }
                </p>
                if failure.can_retry() {
                    <button type="button" class="confide-send" data-testid="retry"
                            onclick={on_retry}>{ "Try again" }</button>
                }
            </div>
        },
        _ => html! {
            <p class="confide-body confide-loading" role="status" data-testid="loading">
                { "Loading…" }
            </p>
        },
    };
    html! {
        <main class="confide" data-confide-widget={props.widget.to_string()}
              data-connection={gate.stage.as_str()} aria-label="Chat">
            { header_bar(DEFAULT_TITLE.to_owned(), String::new(), None, None, close) }
            { body }
        </main>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct LiveChatProps {
    pub widget: WidgetKey,
    /// What every `hello` carries; `None` when the widget requires no consent.
    pub consent: Option<ConsentGiven>,
    pub chat: UseReducerHandle<ChatState>,
    /// The server refused the consent.
    pub on_refused: Callback<()>,
    /// The server confirmed the visitor withdrew consent.
    pub on_withdrawn: Callback<()>,
    /// Asks the loader to close the panel.
    pub close: Callback<()>,
    pub embedded: bool,
}

/// The chat connected to the server. It exists only once the gate is passed: the socket, the
/// token and the outbox belong to it.
#[component]
pub fn LiveChat(props: &LiveChatProps) -> Html {
    let socket = use_chat_socket(
        &props.widget,
        &props.consent,
        &props.chat,
        &props.on_refused,
        &props.on_withdrawn,
    );
    let actions = use_callback(
        (socket, props.close.clone()),
        |action: UiAction, (socket, close)| match action {
            UiAction::Send(text) => socket.send_text(text),
            UiAction::Typing(active) => socket.typing(active),
            UiAction::Close => close.emit(()),
            UiAction::Delete => {
                socket.request(&VisitorClient::Delete);
            }
            UiAction::Withdraw => {
                socket.request(&VisitorClient::Withdraw);
            }
        },
    );
    let context = ChatContext {
        widget: props.widget.clone(),
        state: props.chat.clone(),
        actions,
        embedded: props.embedded,
    };
    html! {
        <ContextProvider<ChatContext> {context}>
            <ChatView />
        </ContextProvider<ChatContext>>
    }
}
