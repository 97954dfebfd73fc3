//! Console tests that run in headless Chromium through wasm-bindgen-test.
#![cfg(target_arch = "wasm32")]

use confide_console::components::{
    Desk, Header, LoginForm, RouterRulesForm, RouterRulesFormProps, SettingsForm, SettingsFormProps,
};
use confide_console::state::{Action, ConsoleState};
use confide_console::{Console, ConsoleContext};
use confide_protocol::chat::{
    Author, ChatMessage, ClientMsgId, ConversationId, ConversationSummary, MessageText,
    OperatorClient, OperatorMe, OperatorServer,
};
use confide_protocol::roles::{Permissions, TranscriptAccess};
use confide_protocol::settings::WidgetSettings;
use confide_protocol::WidgetKey;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The History, Find a person and Audit log pages against a stand-in server.
#[path = "console/requests.rs"]
mod requests;

fn mount_point() -> Element {
    let document = gloo_utils::document();
    let root = document.create_element("div").expect("div");
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    root
}

fn one(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .expect("valid selector")
        .unwrap_or_else(|| panic!("{selector} is rendered"))
}

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).expect("valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

type Sent = Rc<RefCell<Vec<OperatorClient>>>;

#[derive(Properties, PartialEq)]
struct HarnessProps {
    initial: ConsoleState,
    sent: Sent,
}

/// The signed-in console views over a prepared state, with a socket that records frames.
#[component]
fn Harness(props: &HarnessProps) -> Html {
    let initial = props.initial.clone();
    let state = use_reducer_eq(move || initial);
    let send = {
        let sent = props.sent.clone();
        use_memo((), move |_| {
            Callback::from(move |f: OperatorClient| sent.borrow_mut().push(f))
        })
    };
    let context = ConsoleContext {
        state,
        send: (*send).clone(),
    };
    html! {
        <ContextProvider<ConsoleContext> {context}>
            <Desk />
        </ContextProvider<ConsoleContext>>
    }
}

fn summary(n: i64, unread: u64) -> ConversationSummary {
    ConversationSummary {
        id: ConversationId(n),
        widget: WidgetKey::parse("demo").expect("key"),
        open: true,
        last_seq: 3,
        unread,
        last_at: 1_700_000_000_000,
        offline: false,
    }
}

fn message(seq: u64, id: &str, author: Author, text: &str) -> Action {
    Action::Server(OperatorServer::Message {
        conversation: ConversationId(1),
        message: ChatMessage {
            seq,
            id: ClientMsgId::parse(id).expect("id"),
            author,
            author_name: (author == Author::Operator).then(|| "Ada".to_owned()),
            text: MessageText::parse(text).expect("text"),
            at: 1_700_000_000_000,
        },
    })
}

/// A signed-in operator whose role has these permissions.
fn operator(role: &str, permissions: Permissions) -> OperatorMe {
    OperatorMe {
        id: 1,
        name: "Ada".into(),
        alias: "Ada".into(),
        role: role.into(),
        permissions,
        totp: false,
        passkeys: 0,
        must_enrol: false,
    }
}

fn prepared() -> ConsoleState {
    let mut s = ConsoleState::for_operator(operator("agent", Permissions::agent()));
    for a in [
        Action::Connected,
        Action::Server(OperatorServer::Inbox {
            conversations: vec![summary(1, 0), summary(2, 2)],
        }),
        Action::Select(ConversationId(1)),
        message(
            1,
            "visitor-1",
            Author::Visitor,
            "<b>bold?</b> see https://example.com/x.",
        ),
        message(
            2,
            "operator-1",
            Author::Operator,
            "javascript:alert(1) is not a link",
        ),
        message(3, "visitor-2", Author::Visitor, "line one\nline two"),
        Action::Reply {
            conversation: ConversationId(1),
            id: ClientMsgId::parse("pending-1").expect("id"),
            text: MessageText::parse("on its way").expect("text"),
        },
        Action::Server(OperatorServer::Typing {
            conversation: ConversationId(1),
            active: true,
        }),
    ] {
        s.apply(a);
    }
    s
}

async fn render_harness(initial: ConsoleState) -> (Element, Sent) {
    let root = mount_point();
    let sent: Sent = Rc::default();
    yew::Renderer::<Harness>::with_root_and_props(
        root.clone(),
        HarnessProps {
            initial,
            sent: sent.clone(),
        },
    )
    .render();
    yew::scheduler::flush().await;
    (root, sent)
}

#[wasm_bindgen_test]
async fn console_renders_its_shell() {
    let root = mount_point();
    yew::Renderer::<Console>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    let shell = one(&root, "[data-confide-console]");
    assert!(shell
        .text_content()
        .unwrap_or_default()
        .contains("Confide console"));
}

#[wasm_bindgen_test]
async fn login_form_has_the_fields_the_end_to_end_tests_use() {
    let root = mount_point();
    #[component]
    fn Login() -> Html {
        html! { <LoginForm on_signed_in={Callback::noop()} /> }
    }
    yew::Renderer::<Login>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    let form = one(&root, "form[data-testid=login]");
    one(&form, "input[name=email]");
    one(&form, "input[name=password][type=password]");
    one(&form, "button[type=submit]");
    assert!(form
        .query_selector("[data-testid=login-error]")
        .expect("query")
        .is_none());
}

#[wasm_bindgen_test]
async fn conversation_view_renders_messages_as_text_with_safe_links() {
    let (root, _) = render_harness(prepared()).await;
    let view = one(&root, "[data-testid=conversation][data-conversation='1']");
    let messages = all(&view, "[data-testid=message]");
    assert_eq!(messages.len(), 4);

    let first = &messages[0];
    assert_eq!(
        first.get_attribute("data-author").as_deref(),
        Some("visitor")
    );
    assert_eq!(first.get_attribute("data-state").as_deref(), Some("sent"));
    assert_eq!(first.get_attribute("data-seq").as_deref(), Some("1"));
    let text = one(first, "[data-testid=message-text]");
    assert_eq!(
        text.text_content().as_deref(),
        Some("<b>bold?</b> see https://example.com/x.")
    );
    assert!(
        text.query_selector("b").expect("query").is_none(),
        "no HTML from text"
    );
    let links = all(&text, "a");
    assert_eq!(links.len(), 1);
    assert_eq!(
        links[0].get_attribute("href").as_deref(),
        Some("https://example.com/x")
    );
    assert_eq!(
        links[0].get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );
    assert_eq!(links[0].get_attribute("target").as_deref(), Some("_blank"));

    assert_eq!(
        messages[1].get_attribute("data-author").as_deref(),
        Some("operator")
    );
    assert!(
        all(&messages[1], "a").is_empty(),
        "javascript: never becomes a link"
    );
    assert_eq!(
        one(&messages[2], "[data-testid=message-text]")
            .text_content()
            .as_deref(),
        Some("line one\nline two")
    );

    let pending = &messages[3];
    assert_eq!(
        pending.get_attribute("data-state").as_deref(),
        Some("pending")
    );
    assert_eq!(pending.get_attribute("data-seq"), None);

    one(&view, "[data-testid=typing]");
    one(&view, "textarea[data-testid=composer]");
    one(&view, "button[data-testid=send]");
    one(&view, "button[data-testid=close-conversation]");
}

#[wasm_bindgen_test]
async fn inbox_shows_unread_counts_and_opening_one_asks_for_its_history() {
    let (root, sent) = render_harness(prepared()).await;
    let inbox = one(&root, "[data-testid=inbox]");
    let items = all(&inbox, "[data-testid=inbox-item]");
    let ids: Vec<_> = items
        .iter()
        .filter_map(|i| i.get_attribute("data-conversation"))
        .collect();
    assert_eq!(ids, vec!["2", "1"], "same time, newest id first");
    let second = one(&inbox, "[data-testid=inbox-item][data-conversation='2']");
    assert_eq!(
        one(&second, "[data-testid=unread]")
            .text_content()
            .as_deref(),
        Some("2")
    );
    let first = one(&inbox, "[data-testid=inbox-item][data-conversation='1']");
    assert!(first
        .query_selector("[data-testid=unread]")
        .expect("query")
        .is_none());

    sent.borrow_mut().clear();
    second
        .dyn_ref::<web_sys::HtmlElement>()
        .expect("button")
        .click();
    yew::scheduler::flush().await;
    one(&root, "[data-testid=conversation][data-conversation='2']");
    assert!(sent.borrow().contains(&OperatorClient::Open {
        conversation: ConversationId(2),
        last_seq: None
    }));
}

#[wasm_bindgen_test]
async fn enter_sends_a_pending_reply_and_the_typing_signal_ends() {
    let (root, sent) = render_harness(prepared()).await;
    let area: HtmlTextAreaElement = one(&root, "textarea[data-testid=composer]")
        .dyn_into()
        .expect("textarea");
    area.set_value("Hello <i>there</i>");
    let input = web_sys::InputEvent::new_with_event_init_dict("input", &{
        let init = web_sys::InputEventInit::new();
        init.set_bubbles(true);
        init
    })
    .expect("input event");
    area.dispatch_event(&input).expect("dispatch");
    yew::scheduler::flush().await;
    assert!(one(&root, ".counter")
        .text_content()
        .unwrap_or_default()
        .starts_with("18 /"));

    let enter = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &{
        let init = web_sys::KeyboardEventInit::new();
        init.set_key("Enter");
        init.set_bubbles(true);
        init.set_cancelable(true);
        init
    })
    .expect("keydown");
    area.dispatch_event(&enter).expect("dispatch");
    yew::scheduler::flush().await;

    let frames = sent.borrow().clone();
    let send_at = frames
        .iter()
        .position(|f| {
            matches!(f, OperatorClient::Send { conversation, text, .. }
                if *conversation == ConversationId(1) && text.as_str() == "Hello <i>there</i>")
        })
        .expect("a send frame");
    let typing_on = frames.iter().position(|f| {
        *f == OperatorClient::Typing {
            conversation: ConversationId(1),
            active: true,
        }
    });
    let typing_off = frames.iter().position(|f| {
        *f == OperatorClient::Typing {
            conversation: ConversationId(1),
            active: false,
        }
    });
    assert!(typing_on.is_some_and(|on| on < send_at), "{frames:?}");
    assert!(typing_off.is_some_and(|off| off < send_at), "{frames:?}");

    let messages = all(&root, "[data-testid=message]");
    let last = messages.last().expect("messages");
    assert_eq!(last.get_attribute("data-state").as_deref(), Some("pending"));
    assert_eq!(
        one(last, "[data-testid=message-text]")
            .text_content()
            .as_deref(),
        Some("Hello <i>there</i>")
    );
    assert_eq!(area.value(), "");
}

#[wasm_bindgen_test]
async fn a_closed_conversation_has_no_composer_and_no_typing_indicator() {
    let mut state = prepared();
    state.apply(Action::Server(OperatorServer::Typing {
        conversation: ConversationId(1),
        active: false,
    }));
    state.apply(Action::Server(OperatorServer::Conversation {
        conversation: ConversationSummary {
            open: false,
            ..summary(1, 0)
        },
    }));
    let (root, _) = render_harness(state).await;
    let view = one(&root, "[data-testid=conversation][data-conversation='1']");
    for gone in [
        "[data-testid=typing]",
        "[data-testid=composer]",
        "[data-testid=close-conversation]",
    ] {
        assert!(
            view.query_selector(gone).expect("query").is_none(),
            "{gone}"
        );
    }
    let failed = all(&view, "[data-testid=message][data-state=failed]");
    assert_eq!(
        failed.len(),
        1,
        "the unacknowledged reply can no longer be sent"
    );
}

#[derive(Properties, PartialEq)]
struct HeaderHarnessProps {
    initial: ConsoleState,
}

/// The header over a prepared state.
#[component]
fn HeaderHarness(props: &HeaderHarnessProps) -> Html {
    let initial = props.initial.clone();
    let state = use_reducer_eq(move || initial);
    let context = ConsoleContext {
        state,
        send: Callback::noop(),
    };
    html! {
        <ContextProvider<ConsoleContext> {context}>
            <Header />
        </ContextProvider<ConsoleContext>>
    }
}

#[wasm_bindgen_test]
async fn the_navigation_links_only_the_pages_the_role_allows() {
    let reader = Permissions {
        transcripts: TranscriptAccess::Read,
        audit: true,
        ..Permissions::default()
    };
    let keeper = Permissions {
        operators: true,
        ..Permissions::default()
    };
    let designer = Permissions {
        settings: true,
        api_tokens: true,
        ..Permissions::default()
    };
    let cases: [(&str, Permissions, &[&str]); 6] = [
        (
            "agent",
            Permissions::agent(),
            &["nav-inbox", "nav-sessions", "nav-account"],
        ),
        // The role's name decides nothing: its permissions do.
        (
            "admin",
            Permissions::agent(),
            &["nav-inbox", "nav-sessions", "nav-account"],
        ),
        (
            "admin",
            Permissions::admin(),
            &[
                "nav-inbox",
                "nav-widgets",
                "nav-routers",
                "nav-history",
                "nav-person",
                "nav-audit",
                "nav-operators",
                "nav-roles",
                "nav-sessions",
                "nav-account",
            ],
        ),
        (
            "reader",
            reader,
            &[
                "nav-inbox",
                "nav-history",
                "nav-person",
                "nav-audit",
                "nav-sessions",
                "nav-account",
            ],
        ),
        (
            "keeper",
            keeper,
            &[
                "nav-inbox",
                "nav-operators",
                "nav-roles",
                "nav-sessions",
                "nav-account",
            ],
        ),
        (
            "designer",
            designer,
            &[
                "nav-inbox",
                "nav-widgets",
                "nav-routers",
                "nav-sessions",
                "nav-account",
            ],
        ),
    ];
    for (role, permissions, expected) in cases {
        let manages = permissions.operators;
        let root = mount_point();
        yew::Renderer::<HeaderHarness>::with_root_and_props(
            root.clone(),
            HeaderHarnessProps {
                initial: ConsoleState::for_operator(operator(role, permissions)),
            },
        )
        .render();
        yew::scheduler::flush().await;
        let links: Vec<String> = all(&root, "nav button")
            .iter()
            .filter_map(|b| b.get_attribute("data-testid"))
            .collect();
        assert_eq!(links, expected, "{role}");
        // The Operators page only for roles that may manage operators.
        assert_eq!(
            links.iter().any(|l| l == "nav-operators"),
            manages,
            "{role}"
        );
        if expected.contains(&"nav-operators") {
            assert_eq!(
                one(&root, "[data-testid=nav-operators]")
                    .text_content()
                    .as_deref(),
                Some("Operators")
            );
        }
        assert_eq!(
            one(&root, "[data-testid=nav-account]")
                .text_content()
                .as_deref(),
            Some("Account")
        );
        if expected.contains(&"nav-roles") {
            assert_eq!(
                one(&root, "[data-testid=nav-roles]")
                    .text_content()
                    .as_deref(),
                Some("Roles")
            );
        }
        assert_eq!(
            one(&root, "[data-testid=nav-sessions]")
                .text_content()
                .as_deref(),
            Some("Sessions")
        );
        root.remove();
    }
}

#[wasm_bindgen_test]
async fn settings_form_flags_an_http_privacy_url_and_shows_the_snippet() {
    let root = mount_point();
    yew::Renderer::<SettingsForm>::with_root_and_props(
        root.clone(),
        SettingsFormProps {
            widget: WidgetKey::parse("demo").expect("key"),
            settings: WidgetSettings::defaults("https://example.com/privacy"),
            integrity: Some("sha384-TESTINTEGRITY".into()),
        },
    )
    .render();
    yew::scheduler::flush().await;

    let form = one(&root, "form[data-testid=widget-settings]");
    let save = one(&form, "button[data-testid=settings-save]");
    assert!(!save.has_attribute("disabled"), "the defaults can be saved");
    assert!(form
        .query_selector("[data-testid=settings-problems]")
        .expect("query")
        .is_none());
    // Privacy mode is on by default, so live preview cannot be switched on.
    assert!(one(&form, "input[name=live_preview]").has_attribute("disabled"));

    let snippet: HtmlTextAreaElement = one(&root, "textarea[data-testid=snippet]")
        .dyn_into()
        .expect("textarea");
    let tag = snippet.value();
    assert!(tag.contains(r#"integrity="sha384-TESTINTEGRITY""#), "{tag}");
    assert!(tag.contains(r#"data-widget="demo""#), "{tag}");
    assert!(tag.contains("/loader.js\""), "{tag}");
    assert!(snippet.has_attribute("readonly"));
    one(&root, "button[data-testid=snippet-copy]");

    let url: HtmlInputElement = one(&form, "input[name=privacy_url]")
        .dyn_into()
        .expect("input");
    url.set_value("http://example.com/privacy");
    let input = web_sys::InputEvent::new_with_event_init_dict("input", &{
        let init = web_sys::InputEventInit::new();
        init.set_bubbles(true);
        init
    })
    .expect("input event");
    url.dispatch_event(&input).expect("dispatch");
    yew::scheduler::flush().await;

    let problems = one(&form, "[data-testid=settings-problems]");
    assert!(
        problems
            .text_content()
            .unwrap_or_default()
            .contains("privacy_link.url"),
        "{:?}",
        problems.text_content()
    );
    assert!(one(&form, "button[data-testid=settings-save]").has_attribute("disabled"));
}

fn input_event() -> web_sys::InputEvent {
    web_sys::InputEvent::new_with_event_init_dict("input", &{
        let init = web_sys::InputEventInit::new();
        init.set_bubbles(true);
        init
    })
    .expect("input event")
}

async fn type_into(root: &Element, selector: &str, value: &str) {
    let el = one(root, selector);
    match el.dyn_ref::<HtmlTextAreaElement>() {
        Some(area) => area.set_value(value),
        None => el
            .dyn_ref::<HtmlInputElement>()
            .expect("an input or a textarea")
            .set_value(value),
    }
    el.dispatch_event(&input_event()).expect("dispatch");
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn settings_form_edits_retention_with_labelled_ranges_and_refuses_long_details() {
    let root = mount_point();
    yew::Renderer::<SettingsForm>::with_root_and_props(
        root.clone(),
        SettingsFormProps {
            widget: WidgetKey::parse("demo").expect("key"),
            settings: WidgetSettings::defaults("https://example.com/privacy"),
            integrity: None,
        },
    )
    .render();
    yew::scheduler::flush().await;

    let form = one(&root, "form[data-testid=widget-settings]");
    let fieldset = one(&form, "fieldset[data-testid=retention]");
    for (name, value, min, max, range) in [
        (
            "retention_transcript_months",
            "6",
            "1",
            "36",
            "1 to 36 months",
        ),
        ("retention_details_days", "30", "1", "90", "1 to 90 days"),
        (
            "retention_receipt_months",
            "36",
            "1",
            "120",
            "1 to 120 months",
        ),
    ] {
        let input: HtmlInputElement = one(&fieldset, &format!("input[name={name}]"))
            .dyn_into()
            .expect("input");
        assert_eq!(input.type_(), "number");
        assert_eq!(input.value(), value, "{name}");
        assert_eq!(input.get_attribute("min").as_deref(), Some(min), "{name}");
        assert_eq!(input.get_attribute("max").as_deref(), Some(max), "{name}");
        // A real label, and the range as a hint the input is described by.
        let label = one(&fieldset, &format!("label[for={}]", input.id()));
        assert!(!label.text_content().unwrap_or_default().is_empty());
        let hint = input.get_attribute("aria-describedby").expect("described");
        let hint = one(&fieldset, &format!("#{hint}"))
            .text_content()
            .unwrap_or_default();
        assert!(hint.contains(range), "{name}: {hint}");
    }
    let hint = one(&fieldset, "#retention_details_days_hint")
        .text_content()
        .unwrap_or_default();
    assert!(hint.contains("never longer than transcripts"), "{hint}");

    let details = "input[name=retention_details_days]";
    type_into(&fieldset, details, "200").await;
    let problems = one(&form, "[data-testid=settings-problems]")
        .text_content()
        .unwrap_or_default();
    assert!(problems.contains("retention.details_days"), "{problems}");
    assert!(one(&form, "button[data-testid=settings-save]").has_attribute("disabled"));
    assert_eq!(
        one(&fieldset, details)
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );

    // 90 days fit six months of transcripts, not two.
    type_into(&fieldset, details, "90").await;
    assert!(form
        .query_selector("[data-testid=settings-problems]")
        .expect("query")
        .is_none());
    assert!(!one(&form, "button[data-testid=settings-save]").has_attribute("disabled"));
    type_into(&fieldset, "input[name=retention_transcript_months]", "2").await;
    let problems = one(&form, "[data-testid=settings-problems]")
        .text_content()
        .unwrap_or_default();
    assert!(
        problems.contains("retention.details_days: visitor details are never kept longer"),
        "{problems}"
    );

    // A cleared field stays empty (no 0 put back) and is a problem until a number is typed.
    type_into(&fieldset, "input[name=retention_receipt_months]", "").await;
    let receipts: HtmlInputElement = one(&fieldset, "input[name=retention_receipt_months]")
        .dyn_into()
        .expect("input");
    assert_eq!(receipts.value(), "");
    let problems = one(&form, "[data-testid=settings-problems]")
        .text_content()
        .unwrap_or_default();
    assert!(
        problems.contains("retention.receipt_months: 1 to 120 months"),
        "{problems}"
    );
    type_into(&fieldset, "input[name=retention_receipt_months]", "60").await;
    type_into(&fieldset, "input[name=retention_transcript_months]", "3").await;
    assert!(form
        .query_selector("[data-testid=settings-problems]")
        .expect("query")
        .is_none());
}

#[wasm_bindgen_test]
async fn retention_inputs_fit_a_320_px_wide_page() {
    use web_sys::HtmlElement;
    let document = gloo_utils::document();
    let style = document.create_element("style").expect("style");
    style.set_text_content(Some(include_str!("../console.css")));
    document
        .head()
        .expect("head")
        .append_child(&style)
        .expect("append");
    let root = mount_point();
    // The Widgets page's detail pane, alone in a 320 px wide window.
    root.set_class_name("widgets-detail");
    root.set_attribute("style", "width: 320px").expect("style");
    yew::Renderer::<SettingsForm>::with_root_and_props(
        root.clone(),
        SettingsFormProps {
            widget: WidgetKey::parse("demo").expect("key"),
            settings: WidgetSettings::defaults("https://example.com/privacy"),
            integrity: None,
        },
    )
    .render();
    yew::scheduler::flush().await;

    let width = |e: &Element| e.dyn_ref::<HtmlElement>().expect("html").offset_width();
    let fieldset = one(&root, "fieldset[data-testid=retention]");
    assert!(width(&fieldset) <= 320 - 2 * 24, "{}", width(&fieldset));
    for input in all(&fieldset, "input") {
        assert!(
            (80..=width(&fieldset)).contains(&width(&input)),
            "{}",
            width(&input)
        );
    }
    for hint in all(&fieldset, "p") {
        assert!(hint.scroll_width() <= hint.client_width(), "the hint wraps");
    }
    style.remove();
    root.remove();
}

#[wasm_bindgen_test]
async fn router_form_checks_the_json_and_tries_visitors_locally() {
    use confide_protocol::router::RouterRules;
    use confide_protocol::settings::WidgetListItem;

    let rules: RouterRules = serde_json::from_str(
        r#"{"rules":[
            {"name":"EU","target":"privacy","when":{"region_in":["eu"],"language":["de"]}},
            {"name":"Office","target":"sales","when":{"schedule":{"time_zone":"America/New_York",
              "days":["mon","tue","wed","thu","fri","sat","sun"],"from":"00:00","to":"24:00"}}}
        ],"default_widget":"standard","unknown_location":"privacy"}"#,
    )
    .expect("rules");
    let widgets = ["privacy", "standard", "sales"]
        .map(|k| WidgetListItem {
            key: WidgetKey::parse(k).expect("key"),
            name: k.to_uppercase(),
        })
        .to_vec();
    let root = mount_point();
    yew::Renderer::<RouterRulesForm>::with_root_and_props(
        root.clone(),
        RouterRulesFormProps {
            router: WidgetKey::parse("site").expect("key"),
            rules,
            widgets: Some(widgets),
        },
    )
    .render();
    yew::scheduler::flush().await;

    assert!(!one(&root, "[data-testid=router-save]").has_attribute("disabled"));
    let summary = one(&root, "[data-testid=router-summary]")
        .text_content()
        .unwrap_or_default();
    assert!(
        summary.contains("0. EU → privacy: region in eu; language de"),
        "{summary}"
    );

    type_into(&root, "input[name=time_zone]", "Europe/Berlin").await;
    type_into(&root, "input[name=languages]", "de-DE, en").await;
    let result = one(&root, "[data-testid=try-result]");
    assert_eq!(
        result.get_attribute("data-target").as_deref(),
        Some("privacy")
    );
    let reasons = one(&root, "[data-testid=try-reasons]")
        .text_content()
        .unwrap_or_default();
    assert!(reasons.contains("region: DE is in eu: holds"), "{reasons}");

    // Not German: the all-week schedule matches, with the clock Intl gave for its zone.
    type_into(&root, "input[name=languages]", "en-US").await;
    let result = one(&root, "[data-testid=try-result]");
    assert_eq!(
        result.get_attribute("data-target").as_deref(),
        Some("sales")
    );
    let clocks = one(&root, "[data-testid=try-clocks]")
        .text_content()
        .unwrap_or_default();
    assert!(
        clocks.contains(" in America/New_York") && !clocks.contains("unknown"),
        "{clocks}"
    );

    // A country only GeoIP could know, and a zone without one: fail closed on rule 0.
    type_into(&root, "input[name=time_zone]", "Etc/UTC").await;
    type_into(&root, "input[name=languages]", "de").await;
    let result = one(&root, "[data-testid=try-result]");
    assert_eq!(
        result.get_attribute("data-target").as_deref(),
        Some("privacy")
    );
    type_into(&root, "input[name=country]", "us").await;
    let result = one(&root, "[data-testid=try-result]");
    assert_eq!(
        result.get_attribute("data-target").as_deref(),
        Some("sales")
    );

    // An unknown widget is a problem by path; broken JSON is a problem and stops the preview.
    let text: HtmlTextAreaElement = one(&root, "textarea[data-testid=router-rules]")
        .dyn_into()
        .expect("textarea");
    let unknown = text.value().replace("\"sales\"", "\"nowhere\"");
    type_into(&root, "textarea[data-testid=router-rules]", &unknown).await;
    let problems = one(&root, "[data-testid=router-problems]")
        .text_content()
        .unwrap_or_default();
    assert!(
        problems.contains("rules.1.target: no widget has this key"),
        "{problems}"
    );
    assert!(one(&root, "[data-testid=router-save]").has_attribute("disabled"));

    type_into(&root, "textarea[data-testid=router-rules]", "{\"rules\": [").await;
    let problems = one(&root, "[data-testid=router-problems]")
        .text_content()
        .unwrap_or_default();
    assert!(problems.starts_with("json: "), "{problems}");
    assert!(one(&root, "[data-testid=router-save]").has_attribute("disabled"));
    one(&root, "[data-testid=try-result-none]");
    assert!(one(&root, "select[name=default_widget]").has_attribute("disabled"));
}
