//! The widget's root component: reads the key, picks the interface language and loads its
//! texts while it loads the settings, shows the consent gate when the widget requires one and
//! the pre-chat form when it asks for fields, then the chat with its socket, and keeps the
//! bridge to the loader throughout.

use crate::browser::{self, Area};
use crate::components::chat::{chat_view, use_chat_view};
use crate::components::parts::header_bar;
use crate::components::{consent_gate, prechat_form, FormState};
use crate::context::{ChatContext, UiAction};
use crate::frames::{encode_consent, encode_fields};
use crate::gate::{ChatSetup, Failure, Gate, GateAction, Stage};
use crate::hooks::{use_chat_socket, use_host_bridge, use_widget_config, PageSlot};
use crate::persist::{consent_key, fields_key, LANGUAGE_KEY};
use crate::state::{Action, ChatState};
use crate::strings::Strings;
use confide_protocol::chat::{ConsentGiven, DraftText, VisitorClient};
use confide_protocol::details::PrechatValues;
use confide_protocol::i18n::Text;
use confide_protocol::WidgetKey;
use std::rc::Rc;
use yew::prelude::*;

/// Forgets the consent and the pre-chat values kept for `widget`.
fn forget(widget: &WidgetKey) {
    browser::storage_remove(Area::Local, &consent_key(widget));
    browser::storage_remove(Area::Local, &fields_key(widget));
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct AppProps {
    /// The widget key from the iframe URL (`/w/KEY`); `None` when the URL does not carry one.
    pub widget: Option<WidgetKey>,
}

#[component]
pub fn App(props: &AppProps) -> Html {
    match &props.widget {
        Some(key) => html! { <Widget widget={key.clone()} /> },
        None => {
            let t = Strings::builtin();
            html! {
                <main class="confide confide-error" aria-label={t.get(Text::Chat)}>
                    <p role="alert">{ t.get(Text::Unavailable) }</p>
                </main>
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct WidgetProps {
    pub widget: WidgetKey,
}

/// One widget: settings, then the gate (if consent is required), then the chat.
#[component]
pub fn Widget(props: &WidgetProps) -> Html {
    // The visitor's pick, else the site's data-lang, else the browser's languages; when none
    // is one the widget has, the settings' default decides once they arrive.
    let gate = use_reducer(|| Gate::with_language(browser::interface_language()));
    let chat = use_reducer(ChatState::new);
    // The consent gate's and the pre-chat form's state (plain functions, see components).
    let form = use_state(FormState::default);
    let prechat_node = use_node_ref();
    use_widget_config(&props.widget, &gate);
    let bridge = use_host_bridge(&chat);
    let t = gate.t.clone();
    // After every render: a focus left on nothing goes to the view's first control.
    use_effect(browser::focus_first);
    let on_language = {
        let dispatcher = gate.dispatcher();
        use_callback((), move |lang: &'static str, _| {
            browser::storage_set(Area::Local, LANGUAGE_KEY, lang);
            dispatcher.dispatch(GateAction::Language(lang));
        })
    };
    // The texts for the gate's language are here (else what shows is loading or a failure,
    // in the built-in English).
    let ready = gate.ready();

    let on_agree = {
        let (dispatcher, form) = (gate.dispatcher(), form.clone());
        use_callback(props.widget.clone(), move |given: ConsentGiven, widget| {
            browser::storage_set(Area::Local, &consent_key(widget), &encode_consent(&given));
            form.set(FormState::default());
            dispatcher.dispatch(GateAction::Agreed(given));
        })
    };
    let on_filled = {
        let (dispatcher, form) = (gate.dispatcher(), form.clone());
        use_callback(
            props.widget.clone(),
            move |values: PrechatValues, widget| {
                browser::storage_set(Area::Local, &fields_key(widget), &encode_fields(&values));
                form.set(FormState::default());
                dispatcher.dispatch(GateAction::Filled(values));
            },
        )
    };
    let on_refused = {
        let dispatcher = gate.dispatcher();
        use_callback(props.widget.clone(), move |(), widget| {
            forget(widget);
            dispatcher.dispatch(GateAction::Refused);
        })
    };
    let on_withdrawn = {
        let gate = gate.dispatcher();
        let chat = chat.dispatcher();
        use_callback(props.widget.clone(), move |(), widget| {
            forget(widget);
            chat.dispatch(Action::Reset);
            gate.dispatch(GateAction::Withdrawn);
        })
    };
    let on_retry = {
        let dispatcher = gate.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(GateAction::Retry))
    };

    if let (true, Stage::Chat(setup)) = (ready, &gate.stage) {
        return html! {
            <LiveChat widget={props.widget.clone()} setup={setup.clone()} {chat} page={bridge.page.clone()}
                      {on_refused} {on_withdrawn} close={bridge.close.clone()} embedded={bridge.embedded}
                      t={t.clone()} {on_language} />
        };
    }

    let close = bridge.embedded.then(|| {
        let close = bridge.close.clone();
        Callback::from(move |_: MouseEvent| close.emit(()))
    });
    // A failure of the settings, else of the language file (the settings may be fine).
    let failure = match &gate.stage {
        Stage::Failed(f) => Some(f),
        _ if gate.strings_failed && !ready => Some(&Failure::Offline),
        _ => None,
    };
    let body = match &gate.stage {
        _ if failure.is_some() => {
            let failure = failure.unwrap_or(&Failure::Offline);
            html! {
                <div class="confide-body confide-failed">
                    <p class="confide-unavailable" role="alert" data-problem={failure.detail()}>
                        { t.get(failure.message()) }
                    </p>
                    if failure.can_retry() {
                        <button type="button" class="confide-send confide-first" data-testid="retry"
                                onclick={on_retry}>{ t.get(Text::TryAgain) }</button>
                    }
                </div>
            }
        }
        Stage::Consent(view) if ready => consent_gate(view, &form, &on_agree, &t),
        Stage::Prechat(view) if ready => prechat_form(view, &form, &prechat_node, &on_filled, &t),
        _ => html! {
            <p class="confide-body confide-loading" role="status" data-testid="loading">
                { t.get(Text::Loading) }
            </p>
        },
    };
    let connection = match (&gate.stage, failure) {
        (_, Some(Failure::NotFound)) => "unavailable",
        (_, Some(_)) => "error",
        (stage, None) if ready => stage.as_str(),
        _ => "loading",
    };
    html! {
        <main class="confide" data-confide-widget={props.widget.to_string()}
              data-connection={connection} aria-label={t.get(Text::Chat)}>
            { header_bar(&t, t.get(Text::Title), String::new(), None, None,
                         ready.then_some(on_language), close) }
            { body }
        </main>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct LiveChatProps {
    pub widget: WidgetKey,
    /// Consent, pre-chat values and mode, settled before the chat.
    pub setup: Rc<ChatSetup>,
    pub chat: UseReducerHandle<ChatState>,
    /// Where the host page is (standard mode sends it in `hello`).
    pub page: PageSlot,
    /// The server refused the consent.
    pub on_refused: Callback<()>,
    /// The server confirmed the visitor withdrew consent.
    pub on_withdrawn: Callback<()>,
    /// Asks the loader to close the panel.
    pub close: Callback<()>,
    pub embedded: bool,
    /// The interface's texts.
    pub t: Rc<Strings>,
    /// The visitor picked another language.
    pub on_language: Callback<&'static str>,
}

/// The chat connected to the server. It exists only once the gate is passed: the socket, the
/// token and the outbox belong to it.
#[component]
pub fn LiveChat(props: &LiveChatProps) -> Html {
    let socket = use_chat_socket(
        &props.widget,
        &props.setup,
        &props.page,
        &props.chat,
        &props.on_refused,
        &props.on_withdrawn,
    );
    let actions = use_callback(
        (socket, props.close.clone()),
        |action: UiAction, (socket, close)| match action {
            UiAction::Send(text) => socket.send_text(text),
            UiAction::Typing(active) => socket.typing(active),
            UiAction::Draft(text) => {
                if let Ok(text) = DraftText::parse(&text) {
                    socket.request(&VisitorClient::Draft { text });
                }
            }
            UiAction::Close => close.emit(()),
            UiAction::Delete(conversation) => {
                socket.request(&VisitorClient::Delete { conversation });
            }
            UiAction::DeleteAll(list) => {
                for c in list {
                    socket.request(&VisitorClient::Delete {
                        conversation: Some(c),
                    });
                }
            }
            UiAction::DownloadAll(list) => {
                socket.download_all(list);
            }
            UiAction::Older(before) => {
                socket.request(&VisitorClient::Conversations {
                    before: Some(before),
                });
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
        setup: props.setup.clone(),
        embedded: props.embedded,
        t: props.t.clone(),
        on_language: props.on_language.clone(),
    };
    let view = use_chat_view(&context);
    chat_view(&context, &view)
}
