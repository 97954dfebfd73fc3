//! Widget tests that run in headless Chromium through wasm-bindgen-test: the components are
//! rendered with a given state and checked against the DOM contract the end-to-end tests use.
#![cfg(target_arch = "wasm32")]

use confide_protocol::chat::{Author, ChatMessage, ClientMsgId, ConversationId, MessageText};
use confide_protocol::WidgetKey;
use confide_widget::components::ChatView;
use confide_widget::gate::ChatSetup;
use confide_widget::state::{Action, ChatState, Outgoing};
use confide_widget::{App, AppProps, ChatContext, UiAction};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlButtonElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

/// The English texts, as the widget reads them from its language file.
fn english() -> confide_widget::strings::Strings {
    confide_widget::strings::Strings::parse("en", include_str!("../static/i18n/en.json"))
        .expect("en.json reads")
}

fn fresh_root() -> Element {
    let document = gloo_utils::document();
    let root = document.create_element("div").expect("create div");
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    root
}

// ---- the root component -------------------------------------------------------------------

#[wasm_bindgen_test]
async fn widget_renders_its_frame_while_its_settings_load_for_a_valid_key() {
    let root = fresh_root();
    let props = AppProps {
        widget: Some(WidgetKey::parse("demo").expect("key")),
    };
    yew::Renderer::<App>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    let main = root
        .query_selector("main[data-confide-widget]")
        .expect("query")
        .expect("the widget's main element is rendered");
    assert_eq!(
        main.get_attribute("data-confide-widget").as_deref(),
        Some("demo")
    );
    // No socket yet: the settings (and with them the consent gate) come first.
    assert_eq!(
        main.get_attribute("data-connection").as_deref(),
        Some("loading")
    );
    assert!(root
        .query_selector("[data-testid=loading]")
        .expect("query")
        .is_some());
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("Chat with us"), "got: {text}");
}

#[wasm_bindgen_test]
async fn widget_without_a_valid_key_says_the_chat_is_unavailable() {
    let root = fresh_root();
    yew::Renderer::<App>::with_root_and_props(root.clone(), AppProps { widget: None }).render();
    yew::scheduler::flush().await;

    assert!(root
        .query_selector("main[data-confide-widget]")
        .expect("query")
        .is_none());
    let alert = root
        .query_selector("[role=alert]")
        .expect("query")
        .expect("an alert is shown");
    assert_eq!(
        alert.text_content().as_deref(),
        Some("This chat is not available.")
    );
}

// ---- the chat view with a given state -----------------------------------------------------

type Log = Rc<RefCell<Vec<UiAction>>>;
type Dispatch = Rc<RefCell<Option<UseReducerDispatcher<ChatState>>>>;

#[derive(Properties, PartialEq)]
struct HarnessProps {
    state: ChatState,
    log: Log,
    dispatch: Dispatch,
}

/// Provides the context with `state`, records what the components report in `log`, and hands
/// out the dispatcher so a test can change the state afterwards.
#[component]
fn Harness(props: &HarnessProps) -> Html {
    let state = {
        let initial = props.state.clone();
        use_reducer(move || initial)
    };
    *props.dispatch.borrow_mut() = Some(state.dispatcher());
    let actions = {
        let log = props.log.clone();
        Callback::from(move |a: UiAction| log.borrow_mut().push(a))
    };
    let context = ChatContext {
        widget: WidgetKey::parse("demo").expect("key"),
        state,
        actions,
        setup: std::rc::Rc::new(ChatSetup {
            privacy_mode: true,
            typing_indicator: true,
            ..ChatSetup::default()
        }),
        embedded: true,
        t: std::rc::Rc::new(english()),
        on_language: Callback::noop(),
    };
    html! {
        <ChatView ..context />
    }
}

struct Rendered {
    root: Element,
    log: Log,
    dispatch: Dispatch,
}

impl Rendered {
    fn one(&self, selector: &str) -> Element {
        self.root
            .query_selector(selector)
            .expect("query")
            .unwrap_or_else(|| panic!("nothing matches {selector}"))
    }

    fn all(&self, selector: &str) -> Vec<Element> {
        let list = self.root.query_selector_all(selector).expect("query");
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|n| n.dyn_into::<Element>().ok())
            .collect()
    }

    fn has(&self, selector: &str) -> bool {
        self.root.query_selector(selector).expect("query").is_some()
    }

    async fn dispatch(&self, action: Action) {
        self.dispatch
            .borrow()
            .as_ref()
            .expect("rendered")
            .dispatch(action);
        yew::scheduler::flush().await;
    }

    fn sent(&self) -> Vec<String> {
        self.log
            .borrow()
            .iter()
            .filter_map(|a| match a {
                UiAction::Send(t) => Some(t.as_str().to_owned()),
                _ => None,
            })
            .collect()
    }

    fn typing(&self) -> Vec<bool> {
        self.log
            .borrow()
            .iter()
            .filter_map(|a| match a {
                UiAction::Typing(b) => Some(*b),
                _ => None,
            })
            .collect()
    }

    fn composer(&self) -> HtmlTextAreaElement {
        self.one("textarea[data-testid=composer]")
            .dyn_into()
            .expect("a textarea")
    }

    /// Types `value` into the composer as the browser would report it.
    async fn type_text(&self, value: &str) {
        let area = self.composer();
        area.set_value(value);
        let init = web_sys::InputEventInit::new();
        init.set_bubbles(true);
        let event =
            web_sys::InputEvent::new_with_event_init_dict("input", &init).expect("input event");
        area.dispatch_event(&event).expect("dispatch");
        yew::scheduler::flush().await;
    }

    /// Presses Enter in the composer; returns whether the page let the default happen.
    async fn press_enter(&self, shift: bool) -> bool {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key("Enter");
        init.set_shift_key(shift);
        init.set_bubbles(true);
        init.set_cancelable(true);
        let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
            .expect("keydown");
        let allowed = self.composer().dispatch_event(&event).expect("dispatch");
        yew::scheduler::flush().await;
        allowed
    }
}

async fn render(state: ChatState) -> Rendered {
    let root = fresh_root();
    let log = Log::default();
    let dispatch = Dispatch::default();
    let props = HarnessProps {
        state,
        log: log.clone(),
        dispatch: dispatch.clone(),
    };
    yew::Renderer::<Harness>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    Rendered {
        root,
        log,
        dispatch,
    }
}

fn id(n: u32) -> ClientMsgId {
    ClientMsgId::parse(&format!("msg{n:08}")).expect("id")
}

fn text(s: &str) -> MessageText {
    MessageText::parse(s).expect("text")
}

fn stored(seq: u64, author: Author, body: &str) -> Action {
    Action::Received(ChatMessage {
        seq,
        id: id(seq as u32),
        author,
        author_name: (author == Author::Operator).then(|| "Ada Lovelace".to_owned()),
        text: text(body),
        at: 1_700_000_000_000,
    })
}

fn online(conversation: Option<i64>) -> Action {
    Action::Welcome {
        conversation: conversation.map(ConversationId),
        operators_online: true,
        operator: None,
    }
}

fn state(actions: impl IntoIterator<Item = Action>) -> ChatState {
    let s = actions
        .into_iter()
        .fold(Rc::new(ChatState::new()), |s, a| s.reduce(a));
    (*s).clone()
}

#[wasm_bindgen_test]
async fn message_text_with_markup_shows_literally_and_only_safe_links_are_clickable() {
    let body = "<b>bold</b> <img src=x onerror=alert(1)> see https://example.com/x, \
                javascript:alert(1) or data:text/html,<i>x</i>";
    let r = render(state([online(Some(1)), stored(1, Author::Operator, body)])).await;

    let shown = r.one("[data-testid=message] [data-testid=message-text]");
    assert_eq!(shown.text_content().as_deref(), Some(body));
    for tag in ["b", "img", "i", "script"] {
        assert!(
            !r.has(&format!("[data-testid=messages] {tag}")),
            "{tag} rendered"
        );
    }
    let links = r.all("[data-testid=message-text] a");
    assert_eq!(links.len(), 1);
    let a = &links[0];
    assert_eq!(
        a.get_attribute("href").as_deref(),
        Some("https://example.com/x")
    );
    assert_eq!(a.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(
        a.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );
}

#[wasm_bindgen_test]
async fn messages_carry_author_delivery_state_and_sequence() {
    let r = render(state([
        online(Some(1)),
        stored(1, Author::Visitor, "hello"),
        stored(2, Author::Operator, "hi, how can I help?"),
        stored(3, Author::System, "Ada joined"),
        Action::Queue(Outgoing {
            id: id(99),
            text: text("still on its way"),
        }),
    ]))
    .await;

    let main = r.one("main[data-confide-widget=demo]");
    assert_eq!(
        main.get_attribute("data-connection").as_deref(),
        Some("online")
    );
    let msgs = r.all("[data-testid=messages] [data-testid=message]");
    let attrs: Vec<(String, String, Option<String>)> = msgs
        .iter()
        .map(|m| {
            (
                m.get_attribute("data-author").unwrap_or_default(),
                m.get_attribute("data-state").unwrap_or_default(),
                m.get_attribute("data-seq"),
            )
        })
        .collect();
    assert_eq!(
        attrs,
        vec![
            ("visitor".into(), "sent".into(), Some("1".into())),
            ("operator".into(), "sent".into(), Some("2".into())),
            ("system".into(), "sent".into(), Some("3".into())),
            ("visitor".into(), "pending".into(), None),
        ]
    );

    // The ack arrives: the pending message becomes sent, with its sequence.
    r.dispatch(Action::Acked {
        id: id(99),
        seq: 4,
        at: 1,
    })
    .await;
    let last = r
        .all("[data-testid=message]")
        .pop()
        .expect("a last message");
    assert_eq!(last.get_attribute("data-state").as_deref(), Some("sent"));
    assert_eq!(last.get_attribute("data-seq").as_deref(), Some("4"));
}

#[wasm_bindgen_test]
async fn header_names_the_operator_with_initials_and_the_typing_indicator_follows_them() {
    let r = render(state([online(Some(1)), stored(1, Author::Operator, "hi")])).await;
    assert_eq!(
        r.one("[data-testid=operator-name]")
            .text_content()
            .as_deref(),
        Some("Ada Lovelace")
    );
    assert_eq!(
        r.one(".confide-avatar").text_content().as_deref(),
        Some("AL")
    );
    assert!(!r.has("[data-testid=typing]"));

    r.dispatch(Action::OperatorTyping(true)).await;
    let typing = r.one("[data-testid=typing]");
    assert!(typing
        .text_content()
        .unwrap_or_default()
        .contains("Ada Lovelace is typing"));

    r.dispatch(Action::OperatorTyping(false)).await;
    assert!(!r.has("[data-testid=typing]"));
}

#[wasm_bindgen_test]
async fn enter_sends_and_shift_enter_keeps_the_newline() {
    let r = render(state([online(Some(1))])).await;
    r.type_text("hello <b>there</b>").await;
    assert_eq!(r.typing(), vec![true], "typing starts with the first input");

    assert!(
        r.press_enter(true).await,
        "Shift+Enter is left to the browser"
    );
    assert!(r.sent().is_empty());

    assert!(!r.press_enter(false).await, "Enter is taken over");
    assert_eq!(r.sent(), vec!["hello <b>there</b>".to_owned()]);
    assert_eq!(r.typing(), vec![true, false], "sending ends typing");
    assert_eq!(r.composer().value(), "");

    // Nothing to send: Enter does nothing.
    r.type_text("   ").await;
    assert!(!r.press_enter(false).await);
    assert_eq!(r.sent().len(), 1);
}

#[wasm_bindgen_test]
async fn the_counter_tracks_length_and_over_long_text_is_refused() {
    use confide_protocol::chat::MAX_TEXT_CHARS;
    let r = render(state([online(Some(1))])).await;
    let count = || {
        r.one("[data-testid=char-count]")
            .text_content()
            .unwrap_or_default()
    };
    let send = || -> HtmlButtonElement {
        r.one("button[data-testid=send]")
            .dyn_into()
            .expect("a button")
    };
    assert!(count().starts_with(&format!("0 / {MAX_TEXT_CHARS}")));
    assert!(send().disabled(), "nothing to send yet");

    r.type_text("héllo").await;
    assert!(count().starts_with(&format!("5 / {MAX_TEXT_CHARS}")));
    assert!(!send().disabled());

    let long = "é".repeat(MAX_TEXT_CHARS + 1);
    r.type_text(&long).await;
    assert!(
        count().starts_with(&format!("{} / {MAX_TEXT_CHARS}", MAX_TEXT_CHARS + 1)),
        "{}",
        count()
    );
    assert!(send().disabled());
    r.press_enter(false).await;
    send().click();
    yew::scheduler::flush().await;
    assert!(r.sent().is_empty(), "over-long text is never sent");
    assert_eq!(r.composer().value(), long, "and the draft is kept to fix");

    r.type_text(&"é".repeat(MAX_TEXT_CHARS)).await;
    assert!(!send().disabled());
    send().click();
    yew::scheduler::flush().await;
    assert_eq!(r.sent().len(), 1);
}

#[wasm_bindgen_test]
async fn with_no_operator_online_and_no_conversation_a_leave_message_form_replaces_the_chat() {
    let r = render(state([Action::Welcome {
        conversation: None,
        operators_online: false,
        operator: None,
    }]))
    .await;
    assert!(r.has("form[data-testid=leave-message] input[name=email]"));
    assert!(r.has("form[data-testid=leave-message] textarea[name=text]"));
    assert!(r.has("form[data-testid=leave-message] button[type=submit]"));
    assert!(!r.has("textarea[data-testid=composer]"));

    // Submitting without text is refused here, before any request.
    let form: web_sys::HtmlFormElement = r
        .one("form[data-testid=leave-message]")
        .dyn_into()
        .expect("a form");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    let submit = web_sys::Event::new_with_event_init_dict("submit", &init).expect("event");
    form.dispatch_event(&submit).expect("dispatch");
    yew::scheduler::flush().await;
    let alert = r.one("form[data-testid=leave-message] [role=alert]");
    assert!(alert
        .text_content()
        .unwrap_or_default()
        .contains("write a message"));

    // An operator comes online: the chat is back.
    r.dispatch(Action::Presence(true)).await;
    assert!(!r.has("form[data-testid=leave-message]"));
    assert!(r.has("textarea[data-testid=composer]"));
}

#[wasm_bindgen_test]
async fn a_closed_conversation_is_marked_and_the_close_button_asks_the_loader() {
    let r = render(state([
        online(Some(1)),
        stored(1, Author::Operator, "bye"),
        Action::Closed(ConversationId(1)),
    ]))
    .await;
    assert!(r.has("[data-testid=messages] .confide-divider"));
    assert_eq!(r.all("[data-testid=message]").len(), 1);

    let close: HtmlButtonElement = r
        .one("button[data-testid=close]")
        .dyn_into()
        .expect("a button");
    close.click();
    yew::scheduler::flush().await;
    assert!(r.log.borrow().contains(&UiAction::Close));
}

#[wasm_bindgen_test]
fn the_browser_json_path_reads_frames_and_refuses_what_the_protocol_never_sends() {
    use confide_widget::json::Json;
    let v = Json::parse(
        r#"{"type":"message","message":{"seq":9007199254740991,"text":"é 😀 \"<b>\"","ok":true,"none":null,"list":[1,[],{}]}}"#,
    )
    .expect("parses");
    let m = v.get("message").expect("message");
    assert_eq!(v.get("type").and_then(Json::as_str), Some("message"));
    assert_eq!(
        m.get("seq").and_then(Json::as_u64),
        Some(9_007_199_254_740_991)
    );
    assert_eq!(m.get("text").and_then(Json::as_str), Some("é 😀 \"<b>\""));
    assert_eq!(m.get("ok").and_then(Json::as_bool), Some(true));
    assert!(m.get("none").is_some_and(Json::is_null));
    assert_eq!(
        m.get("list").and_then(Json::as_array).map(<[_]>::len),
        Some(3)
    );
    for bad in [
        "{",
        "1.5",
        "9007199254740992",
        "{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}",
    ] {
        assert_eq!(Json::parse(bad), None, "{bad}");
    }
}
