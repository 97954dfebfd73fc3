//! The consent gate in headless Chromium: the gate itself (rendered from a chosen disclaimer),
//! and the whole widget against a stand-in server (window.fetch and WebSocket replaced by
//! small recorders), checking what leaves the browser before and after the visitor agrees.
#![cfg(target_arch = "wasm32")]

use confide_protocol::chat::{ConsentGiven, WidgetConfig};
use confide_protocol::settings::{Disclaimer, PrivacyLink, WidgetSettings};
use confide_protocol::WidgetKey;
use confide_widget::components::{consent_gate, FormState};
use confide_widget::gate::ConsentView;
use confide_widget::{backoff, App, AppProps};
use gloo_timers::future::TimeoutFuture;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlButtonElement, HtmlInputElement};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

/// SHA-256 of "Before we chat\nLine one <b>not bold</b>\nLine two\nI agree\nStart chat\n"
/// (computed with `sha256sum`).
const TEST_TEXT_SHA256: &str = "8dbd5fd2219ccf500802f6cea9ae01e7d1af5273d08951d80ff9761f77147fa5";

fn test_disclaimer() -> Disclaimer {
    Disclaimer {
        title: "Before we chat".into(),
        body: "Line one <b>not bold</b>\nLine two".into(),
        checkbox_label: "I agree".into(),
        start_label: "Start chat".into(),
        retention: String::new(),
    }
}

/// The demo settings with the English text replaced by [`test_disclaimer`].
fn settings() -> WidgetSettings {
    let mut s = WidgetSettings::defaults("https://example.com/privacy");
    s.consent.texts.insert("en".into(), test_disclaimer());
    s
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

fn one(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .expect("query")
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
}

fn has(root: &Element, selector: &str) -> bool {
    root.query_selector(selector).expect("query").is_some()
}

fn checkbox(root: &Element) -> HtmlInputElement {
    one(root, "input[type=checkbox][data-testid=consent-checkbox]")
        .dyn_into()
        .expect("an input")
}

fn start(root: &Element) -> HtmlButtonElement {
    one(root, "button[data-testid=consent-start]")
        .dyn_into()
        .expect("a button")
}

/// Waits for `cond`, checking after every render and every 10 ms, for at most 5 s.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..500 {
        yew::scheduler::flush().await;
        if cond() {
            return;
        }
        TimeoutFuture::new(10).await;
    }
    panic!("timed out waiting for {what}");
}

// ---- the gate on its own --------------------------------------------------------------------

type Agreed = Rc<RefCell<Vec<ConsentGiven>>>;

async fn render_gate(view: ConsentView) -> (Element, Agreed) {
    let root = fresh_root();
    let agreed = Agreed::default();
    let on_agree = {
        let agreed = agreed.clone();
        Callback::from(move |c: ConsentGiven| agreed.borrow_mut().push(c))
    };
    #[derive(Properties, PartialEq)]
    struct P {
        view: Rc<ConsentView>,
        on_agree: Callback<ConsentGiven>,
    }
    #[component]
    fn Host(p: &P) -> Html {
        let t =
            confide_widget::strings::Strings::parse("en", include_str!("../static/i18n/en.json"))
                .expect("en.json reads");
        let form = use_state(FormState::default);
        consent_gate(&p.view, &form, &p.on_agree, &t)
    }
    let props = P {
        view: Rc::new(view),
        on_agree,
    };
    yew::Renderer::<Host>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    (root, agreed)
}

fn english_view() -> ConsentView {
    ConsentView::choose(&settings(), &["en-GB".to_owned()]).expect("a disclaimer")
}

#[wasm_bindgen_test]
async fn the_gate_starts_unticked_with_start_disabled_and_ticking_enables_it() {
    let (root, agreed) = render_gate(english_view()).await;
    assert!(has(&root, "[data-testid=consent]"));
    let box_ = checkbox(&root);
    assert!(!box_.checked(), "the box starts unticked");
    assert!(!box_.has_attribute("checked"));
    assert!(start(&root).has_attribute("disabled"));
    assert_eq!(start(&root).text_content().as_deref(), Some("Start chat"));

    // A click on the disabled button does nothing.
    start(&root).click();
    yew::scheduler::flush().await;
    assert!(agreed.borrow().is_empty());

    box_.click();
    yew::scheduler::flush().await;
    assert!(checkbox(&root).checked());
    assert!(!start(&root).has_attribute("disabled"));

    // Unticking disables it again.
    checkbox(&root).click();
    yew::scheduler::flush().await;
    assert!(start(&root).has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn the_body_is_text_with_its_line_breaks_and_the_link_opens_a_new_tab_without_referrer() {
    let (root, _) = render_gate(english_view()).await;
    assert_eq!(
        one(&root, "[data-testid=consent-title]")
            .text_content()
            .as_deref(),
        Some("Before we chat")
    );
    let body = one(&root, "[data-testid=consent-body]");
    assert_eq!(
        body.text_content().as_deref(),
        Some("Line one <b>not bold</b>\nLine two"),
        "markup shows literally and the line break is kept"
    );
    assert!(
        !has(&root, "[data-testid=consent] b"),
        "no element was made"
    );

    let link = one(&root, "a[data-testid=privacy-link]");
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://example.com/privacy")
    );
    assert_eq!(link.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(
        link.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );
    assert_eq!(link.text_content().as_deref(), Some("Privacy policy"));
    assert!(one(&root, "label")
        .text_content()
        .unwrap_or_default()
        .contains("I agree"));
}

#[wasm_bindgen_test]
async fn a_visitor_reading_german_and_english_gets_the_german_disclaimer_and_link_label() {
    let langs = ["de-AT".to_owned(), "en".to_owned()];
    let view = ConsentView::choose(&settings(), &langs).expect("a disclaimer");
    let (root, _) = render_gate(view).await;
    let gate = one(&root, "[data-testid=consent]");
    assert_eq!(gate.get_attribute("lang").as_deref(), Some("de"));
    assert_eq!(
        one(&root, "[data-testid=consent-title]")
            .text_content()
            .as_deref(),
        Some("Bevor wir chatten")
    );
    assert!(one(&root, "[data-testid=consent-body]")
        .text_content()
        .unwrap_or_default()
        .starts_with("Wenn Sie den Chat starten"));
    assert_eq!(
        one(&root, "a[data-testid=privacy-link]")
            .text_content()
            .as_deref(),
        Some("Datenschutzerklärung")
    );
    assert_eq!(start(&root).text_content().as_deref(), Some("Chat starten"));
}

#[wasm_bindgen_test]
async fn starting_reports_the_consent_with_the_sha256_of_the_text_shown() {
    let (root, agreed) = render_gate(english_view()).await;
    checkbox(&root).click();
    yew::scheduler::flush().await;
    start(&root).click();
    until("the consent", || !agreed.borrow().is_empty()).await;
    assert_eq!(
        agreed.borrow().clone(),
        vec![ConsentGiven {
            language: "en".into(),
            version: 1,
            text_sha256: TEST_TEXT_SHA256.into(),
        }]
    );
}

#[wasm_bindgen_test]
async fn webcrypto_hashes_as_the_standard_says() {
    assert_eq!(
        confide_widget::browser::sha256_hex("abc").await.as_deref(),
        Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
}

// ---- the whole widget against a stand-in server -----------------------------------------

/// Replaces `fetch` for `/api/widget/{key}/config` of keys in `__mock.configs` and
/// `WebSocket` with a recorder, once per page; returns `window.__mock`.
fn mock() -> JsValue {
    i18n_files();
    js(r#"
      if (!window.__mock) {
        const m = (window.__mock = { configs: {}, fetches: [], sockets: [], languages: null });
        const realFetch = window.fetch.bind(window);
        window.fetch = function (url, init) {
          // The language files, as the widget's bundle serves them (see i18n_files()).
          const lang = String(url).match(/\/widget\/i18n\/([A-Za-z-]+)\.json/);
          if (lang) {
            const text = (window.__i18n || {})[lang[1]];
            return Promise.resolve(new Response(text || 'not found', { status: text ? 200 : 404 }));
          }
          const found = String(url).match(/\/api\/widget\/([^/]+)\/config$/);
          if (found && found[1] in m.configs) {
            m.fetches.push({ key: found[1], method: init && init.method,
              referrerPolicy: init && init.referrerPolicy, credentials: init && init.credentials });
            const c = m.configs[found[1]];
            return Promise.resolve(new Response(c.body, { status: c.status }));
          }
          return realFetch(url, init);
        };
        class MockSocket extends EventTarget {
          constructor(url) {
            super();
            this.url = url; this.readyState = 0; this.sent = [];
            m.sockets.push(this);
            setTimeout(() => { this.readyState = 1; this.dispatchEvent(new Event('open')); }, 0);
          }
          send(data) { this.sent.push(JSON.parse(String(data))); }
          close() { this.readyState = 3; }
          receive(frame) { this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(frame) })); }
          shut(code) { this.readyState = 3; this.dispatchEvent(new CloseEvent('close', { code })); }
        }
        Object.assign(MockSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
        window.WebSocket = MockSocket;
        Object.defineProperty(navigator, 'languages', {
          configurable: true,
          get: () => m.languages || ['en-US', 'en'],
        });
      }
      return window.__mock;
    "#)
}

/// The language files the stand-in fetch serves (`window.__i18n`): English and German, as
/// in `static/i18n/`.
fn i18n_files() {
    let files = js_sys::Object::new();
    for (code, text) in [
        ("en", include_str!("../static/i18n/en.json")),
        ("de", include_str!("../static/i18n/de.json")),
    ] {
        js_sys::Reflect::set(&files, &code.into(), &text.into()).expect("set");
    }
    js_sys::Reflect::set(&js_sys::global(), &"__i18n".into(), &files).expect("set");
}

fn js(body: &str) -> JsValue {
    js_sys::Function::new_no_args(body)
        .call0(&JsValue::NULL)
        .expect("the script runs")
}

fn js_json(body: &str) -> Value {
    let text = js(&format!("return JSON.stringify((() => {{ {body} }})());"))
        .as_string()
        .expect("a string");
    serde_json::from_str(&text).expect("JSON")
}

fn serve_config(key: &str, status: u16, body: &str) {
    mock();
    let m = js("return window.__mock.configs;");
    let entry = js_sys::Object::new();
    js_sys::Reflect::set(&entry, &"status".into(), &status.into()).expect("set");
    js_sys::Reflect::set(&entry, &"body".into(), &body.into()).expect("set");
    js_sys::Reflect::set(&m, &key.into(), &entry).expect("set");
}

fn serve_settings(key: &str, settings: &WidgetSettings) {
    let body = serde_json::to_string(&WidgetConfig {
        settings: settings.clone(),
    })
    .expect("serialize");
    serve_config(key, 200, &body);
}

fn set_languages(langs: Option<&[&str]>) {
    mock();
    let value = match langs {
        Some(l) => serde_wasm(l),
        None => JsValue::NULL,
    };
    js_sys::Reflect::set(&js("return window.__mock;"), &"languages".into(), &value).expect("set");
}

fn serde_wasm(l: &[&str]) -> JsValue {
    l.iter()
        .map(|s| JsValue::from_str(s))
        .collect::<js_sys::Array>()
        .into()
}

/// The config requests made for `key`.
fn fetches(key: &str) -> Vec<Value> {
    js_json(&format!(
        "return window.__mock.fetches.filter(f => f.key === {key:?});"
    ))
    .as_array()
    .cloned()
    .unwrap_or_default()
}

fn socket_count() -> usize {
    js_json("return window.__mock.sockets.length;")
        .as_u64()
        .unwrap_or(0) as usize
}

/// Frames sent on sockets whose hello named `key`, socket by socket.
fn sent_by(key: &str) -> Vec<Vec<Value>> {
    js_json(&format!(
        "return window.__mock.sockets.filter(s => s.sent.length && s.sent[0].widget === {key:?}).map(s => s.sent);"
    ))
    .as_array()
    .cloned()
    .unwrap_or_default()
    .into_iter()
    .map(|s| s.as_array().cloned().unwrap_or_default())
    .collect()
}

/// Calls `method(arg)` on the newest socket of `key`.
fn on_socket(key: &str, method: &str, arg: &str) {
    js(&format!(
        "const s = window.__mock.sockets.filter(s => s.sent.length && s.sent[0].widget === {key:?}).pop(); s.{method}({arg});"
    ));
}

fn local(key: &str) -> Option<String> {
    gloo_utils::window()
        .local_storage()
        .expect("storage")
        .expect("storage")
        .get_item(key)
        .expect("get")
}

fn clear_local(widget: &str) {
    let storage = gloo_utils::window()
        .local_storage()
        .expect("storage")
        .expect("storage");
    for key in ["token", "consent"] {
        storage
            .remove_item(&format!("confide.{key}.{widget}"))
            .expect("remove");
    }
}

async fn render_app(key: &str) -> Element {
    let root = fresh_root();
    let props = AppProps {
        widget: Some(WidgetKey::parse(key).expect("key")),
    };
    yew::Renderer::<App>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    root
}

fn connection(root: &Element) -> String {
    one(root, "main[data-confide-widget]")
        .get_attribute("data-connection")
        .unwrap_or_default()
}

const TOKEN: &str = "TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT";

fn welcome(online: bool) -> String {
    json!({"type": "welcome", "token": TOKEN, "conversation": null,
           "operators_online": online, "operator": null})
    .to_string()
}

#[wasm_bindgen_test]
async fn before_the_visitor_agrees_only_the_config_request_leaves_the_browser() {
    let key = "gate-first";
    clear_local(key);
    set_languages(None);
    serve_settings(key, &settings());
    let sockets_before = socket_count();

    let root = render_app(key).await;
    assert_eq!(connection(&root), "loading");
    until("the gate", || has(&root, "[data-testid=consent]")).await;
    assert_eq!(connection(&root), "consent");
    assert!(one(&root, "main[data-confide-widget]")
        .text_content()
        .unwrap_or_default()
        .contains("Chat with us"));

    // One GET, without referrer or credentials; no socket, nothing stored, no chat UI.
    assert_eq!(
        fetches(key),
        vec![
            json!({"key": key, "method": "GET", "referrerPolicy": "no-referrer", "credentials": "omit"})
        ]
    );
    assert_eq!(socket_count(), sockets_before);
    assert_eq!(local(&format!("confide.token.{key}")), None);
    assert_eq!(local(&format!("confide.consent.{key}")), None);
    for chat_part in [
        "[data-testid=composer]",
        "[data-testid=messages]",
        "[data-testid=leave-message]",
    ] {
        assert!(!has(&root, chat_part), "{chat_part} shown before consent");
    }

    // Agreeing starts the chat: the hello carries the consent, which is kept for next time.
    checkbox(&root).click();
    yew::scheduler::flush().await;
    start(&root).click();
    until("a hello", || !sent_by(key).is_empty()).await;
    let expected = json!({"language": "en", "version": 1, "text_sha256": TEST_TEXT_SHA256});
    assert_eq!(
        sent_by(key)[0][0],
        json!({"type": "hello", "widget": key, "consent": expected})
    );
    let stored: Value =
        serde_json::from_str(&local(&format!("confide.consent.{key}")).expect("stored"))
            .expect("JSON");
    assert_eq!(stored, expected);
    assert!(!has(&root, "[data-testid=consent]"));
    assert_eq!(connection(&root), "connecting");

    on_socket(key, "receive", &welcome(true));
    until("online", || connection(&root) == "online").await;
    assert!(has(&root, "textarea[data-testid=composer]"));
    assert_eq!(
        local(&format!("confide.token.{key}")).as_deref(),
        Some(TOKEN)
    );

    // A reload with the same consent version goes straight to the chat, token and consent in
    // its hello.
    let again = render_app(key).await;
    until("the second hello", || sent_by(key).len() == 2).await;
    assert!(!has(&again, "[data-testid=consent]"));
    assert_eq!(
        sent_by(key)[1][0],
        json!({"type": "hello", "widget": key, "token": TOKEN, "consent": expected})
    );
}

#[wasm_bindgen_test]
async fn a_new_consent_version_shows_the_gate_again() {
    let key = "gate-version";
    clear_local(key);
    set_languages(None);
    gloo_utils::window()
        .local_storage()
        .expect("storage")
        .expect("storage")
        .set_item(
            &format!("confide.consent.{key}"),
            &json!({"language": "en", "version": 1, "text_sha256": TEST_TEXT_SHA256}).to_string(),
        )
        .expect("set");
    let mut s = settings();
    s.consent.version = 2;
    serve_settings(key, &s);
    let sockets_before = socket_count();
    let root = render_app(key).await;
    until("the gate", || has(&root, "[data-testid=consent]")).await;
    assert_eq!(socket_count(), sockets_before);
}

#[wasm_bindgen_test]
async fn a_refused_consent_shows_the_gate_again_without_reconnecting() {
    let key = "gate-refused";
    clear_local(key);
    set_languages(None);
    serve_settings(key, &settings());
    let root = render_app(key).await;
    until("the gate", || has(&root, "[data-testid=consent]")).await;
    checkbox(&root).click();
    yew::scheduler::flush().await;
    start(&root).click();
    until("a hello", || !sent_by(key).is_empty()).await;

    // Meanwhile the admin changed the texts: the server refuses the old version.
    let mut s = settings();
    s.consent.version = 2;
    serve_settings(key, &s);
    let sockets = socket_count();
    on_socket(
        key,
        "receive",
        &json!({"type": "error", "error": {"code": "consent_required", "message": "Please agree first."}}).to_string(),
    );
    on_socket(key, "shut", "4451");
    until("the gate again", || has(&root, "[data-testid=consent]")).await;
    assert_eq!(connection(&root), "consent");
    assert_eq!(local(&format!("confide.consent.{key}")), None, "dropped");
    assert_eq!(fetches(key).len(), 2, "the settings were loaded again");
    assert!(!checkbox(&root).checked(), "unticked again");
    assert!(!has(&root, "[role=alert]"), "no error notice for this");

    // No socket was opened in between, although a reconnect after an ordinary close would
    // have come at most `backoff::FIRST_MS` after it: wait past that.
    TimeoutFuture::new(backoff::FIRST_MS + 250).await;
    yew::scheduler::flush().await;
    assert_eq!(
        socket_count(),
        sockets,
        "no reconnect after the first retry window"
    );
    assert!(has(&root, "[data-testid=consent]"), "still the gate");

    // Agreeing again sends the new version.
    checkbox(&root).click();
    yew::scheduler::flush().await;
    start(&root).click();
    until("a second hello", || sent_by(key).len() == 2).await;
    assert_eq!(sent_by(key)[1][0]["consent"]["version"], json!(2));
    assert_eq!(socket_count(), sockets + 1);
}

#[wasm_bindgen_test]
async fn without_required_consent_the_chat_starts_at_once_and_hello_carries_none() {
    let key = "gate-none";
    clear_local(key);
    set_languages(None);
    let mut s = settings();
    s.consent.required = false;
    serve_settings(key, &s);
    let root = render_app(key).await;
    until("a hello", || !sent_by(key).is_empty()).await;
    assert!(!has(&root, "[data-testid=consent]"));
    assert_eq!(sent_by(key)[0][0], json!({"type": "hello", "widget": key}));
    // No operator online: the leave-a-message form is offered.
    on_socket(key, "receive", &welcome(false));
    until("the form", || has(&root, "form[data-testid=leave-message]")).await;
}

#[wasm_bindgen_test]
async fn the_whole_widget_follows_the_browsers_languages() {
    let key = "gate-german";
    clear_local(key);
    set_languages(Some(&["de-AT", "en"]));
    serve_settings(key, &settings());
    let root = render_app(key).await;
    until("the gate", || has(&root, "[data-testid=consent]")).await;
    set_languages(None);
    assert_eq!(
        one(&root, "[data-testid=consent-title]")
            .text_content()
            .as_deref(),
        Some("Bevor wir chatten")
    );
    checkbox(&root).click();
    yew::scheduler::flush().await;
    start(&root).click();
    until("a hello", || !sent_by(key).is_empty()).await;
    assert_eq!(sent_by(key)[0][0]["consent"]["language"], json!("de"));
}

#[wasm_bindgen_test]
async fn an_unknown_widget_or_a_broken_config_shows_a_clear_error() {
    let key = "gate-unknown";
    serve_config(
        key,
        404,
        r#"{"code":"widget_not_found","message":"no such widget"}"#,
    );
    let root = render_app(key).await;
    until("the error", || has(&root, "[role=alert]")).await;
    assert_eq!(connection(&root), "unavailable");
    assert_eq!(
        one(&root, "[role=alert]").text_content().as_deref(),
        Some("This chat is not available.")
    );
    assert!(!has(&root, "[data-testid=retry]"));

    let key = "gate-broken";
    let mut v = serde_json::to_value(WidgetConfig {
        settings: settings(),
    })
    .expect("json");
    v["settings"]["consent"]["version"] = json!("one");
    serve_config(key, 200, &v.to_string());
    let root = render_app(key).await;
    until("the error", || has(&root, "[role=alert]")).await;
    assert_eq!(connection(&root), "error");
    let alert = one(&root, "[role=alert]");
    assert!(alert
        .text_content()
        .unwrap_or_default()
        .contains("could not be loaded"));
    assert_eq!(
        alert.get_attribute("data-problem").as_deref(),
        Some("settings.consent.version: expected a whole number from 0 to 4294967295")
    );

    // Fixed on the server: "Try again" loads it.
    serve_settings(key, &settings());
    one(&root, "button[data-testid=retry]")
        .dyn_into::<HtmlButtonElement>()
        .expect("a button")
        .click();
    until("the gate", || has(&root, "[data-testid=consent]")).await;
    assert_eq!(fetches(key).len(), 2);
}

#[wasm_bindgen_test]
async fn a_privacy_link_without_a_label_in_any_language_shows_its_url() {
    let mut s = settings();
    s.privacy_link = Some(PrivacyLink {
        url: "https://example.com/p".into(),
        labels: Default::default(),
    });
    let view = ConsentView::choose(&s, &[]).expect("a disclaimer");
    let (root, _) = render_gate(view).await;
    assert_eq!(
        one(&root, "a[data-testid=privacy-link]")
            .text_content()
            .as_deref(),
        Some("https://example.com/p")
    );
}
