//! The privacy panel in headless Chromium: the whole widget against a stand-in server
//! (window.fetch for the settings and WebSocket replaced by small recorders, as in
//! tests/consent.rs), checking the panel's DOM contract, that delete and withdraw need their
//! confirm step, what goes out on the socket, and what the widget forgets afterwards.
#![cfg(target_arch = "wasm32")]

use confide_protocol::chat::WidgetConfig;
use confide_protocol::settings::WidgetSettings;
use confide_protocol::WidgetKey;
use confide_widget::{backoff, App, AppProps};
use gloo_timers::future::TimeoutFuture;
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlButtonElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Replaces `fetch` for the settings of keys in `__pmock.configs`, `WebSocket` with a
/// recorder, and the download machinery (`URL.createObjectURL`, `<a>.click()`) with one that
/// keeps the blob and the file name; once per page.
fn mock() {
    i18n_files();
    js(r#"
      if (!window.__pmock) {
        const m = (window.__pmock = { configs: {}, sockets: [], downloads: [] });
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
            return Promise.resolve(new Response(m.configs[found[1]], { status: 200 }));
          }
          return realFetch(url, init);
        };
        class MockSocket extends EventTarget {
          constructor(url) {
            super();
            this.url = url; this.readyState = 0; this.sent = []; this.closed = false;
            m.sockets.push(this);
            setTimeout(() => { this.readyState = 1; this.dispatchEvent(new Event('open')); }, 0);
          }
          send(data) { this.sent.push(JSON.parse(String(data))); }
          close() { this.readyState = 3; this.closed = true; }
          receive(frame) { this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(frame) })); }
          shut(code) { this.readyState = 3; this.dispatchEvent(new CloseEvent('close', { code })); }
        }
        Object.assign(MockSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
        window.WebSocket = MockSocket;
        const blobs = {};
        URL.createObjectURL = (blob) => { const u = 'blob:test/' + Object.keys(blobs).length; blobs[u] = blob; return u; };
        URL.revokeObjectURL = () => {};
        HTMLAnchorElement.prototype.click = function () {
          const blob = blobs[this.getAttribute('href')];
          const entry = { name: this.getAttribute('download'), type: blob && blob.type, text: null };
          m.downloads.push(entry);
          if (blob) blob.text().then(t => { entry.text = t; });
        };
      }
    "#);
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

fn serve_settings(key: &str, required: bool) {
    mock();
    let mut settings = WidgetSettings::defaults("https://example.com/privacy");
    settings.consent.required = required;
    let body = serde_json::to_string(&WidgetConfig { settings }).expect("serialize");
    let configs = js("return window.__pmock.configs;");
    js_sys::Reflect::set(&configs, &key.into(), &body.into()).expect("set");
}

/// Frames sent on the newest socket of `key`.
fn sent(key: &str) -> Vec<Value> {
    js_json(&format!(
        "const s = window.__pmock.sockets.filter(s => s.sent.length && s.sent[0].widget === {key:?}).pop(); return s ? s.sent : [];"
    ))
    .as_array()
    .cloned()
    .unwrap_or_default()
}

fn sent_types(key: &str) -> Vec<String> {
    sent(key)
        .iter()
        .filter_map(|f| f["type"].as_str().map(str::to_owned))
        .collect()
}

fn receive(key: &str, frame: Value) {
    js(&format!(
        "window.__pmock.sockets.filter(s => s.sent.length && s.sent[0].widget === {key:?}).pop().receive({frame});"
    ));
}

fn socket_count() -> usize {
    js_json("return window.__pmock.sockets.length;")
        .as_u64()
        .unwrap_or(0) as usize
}

fn storage(area: &str) -> web_sys::Storage {
    let window = gloo_utils::window();
    let s = if area == "local" {
        window.local_storage()
    } else {
        window.session_storage()
    };
    s.expect("storage").expect("storage")
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

fn click(root: &Element, selector: &str) {
    one(root, selector)
        .dyn_into::<HtmlButtonElement>()
        .expect("a button")
        .click();
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

const TOKEN: &str = "TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT";

fn message(seq: u64, author: &str, text: &str) -> Value {
    let mut m = json!({"seq": seq, "id": format!("{seq:0>8}"), "author": author, "text": text,
                       "at": 1_763_800_000_000_i64 + seq as i64 * 60_000});
    if author == "operator" {
        m["author_name"] = json!("Ada Lovelace");
    }
    m
}

fn transcript(messages: Vec<Value>) -> Value {
    json!({"type": "transcript", "conversation": 5, "messages": messages,
           "receipt": {"language": "en", "version": 1, "text_sha256": "ab".repeat(32),
                       "policy_url": "https://example.com/privacy", "at": 1_763_800_000_000_i64,
                       "withdrawn_at": null}})
}

/// The widget for `key`, past the consent gate, welcomed, with two messages shown.
async fn chatting(key: &str) -> Element {
    for k in ["token", "consent"] {
        storage("local")
            .remove_item(&format!("confide.{k}.{key}"))
            .expect("remove");
    }
    serve_settings(key, true);
    let root = fresh_root();
    let props = AppProps {
        widget: Some(WidgetKey::parse(key).expect("key")),
    };
    yew::Renderer::<App>::with_root_and_props(root.clone(), props).render();
    until("the gate", || has(&root, "[data-testid=consent]")).await;
    assert!(
        !has(&root, "[data-testid=privacy-open]"),
        "no privacy button before consent"
    );
    let checkbox: HtmlInputElement = one(&root, "input[data-testid=consent-checkbox]")
        .dyn_into()
        .expect("input");
    checkbox.click();
    yew::scheduler::flush().await;
    click(&root, "button[data-testid=consent-start]");
    until("a hello", || !sent(key).is_empty()).await;
    receive(
        key,
        json!({"type": "welcome", "token": TOKEN, "conversation": 5, "operators_online": true, "operator": null}),
    );
    receive(
        key,
        json!({"type": "message", "message": message(1, "visitor", "hi")}),
    );
    receive(
        key,
        json!({"type": "message", "message": message(2, "operator", "hello")}),
    );
    until("two messages", || {
        root.query_selector_all("[data-testid=message]")
            .map(|l| l.length())
            .unwrap_or(0)
            == 2
    })
    .await;
    root
}

fn main_of(root: &Element) -> Element {
    one(root, "main[data-confide-widget]")
}

#[wasm_bindgen_test]
async fn the_panel_shows_what_is_stored_and_offers_both_downloads() {
    let key = "privacy-show";
    let root = chatting(key).await;
    assert!(!has(&root, "[data-testid=privacy-panel]"));

    click(&root, "button[data-testid=privacy-open]");
    until("the panel", || has(&root, "[data-testid=privacy-panel]")).await;
    until("an export request", || {
        sent_types(key).contains(&"export".to_owned())
    })
    .await;
    assert_eq!(sent(key).last(), Some(&json!({"type": "export"})));
    assert!(
        !has(&root, "[data-testid=privacy-message-count]"),
        "not before the answer"
    );

    receive(
        key,
        transcript(vec![
            message(1, "visitor", "hi"),
            message(2, "operator", "hello <b>x</b>"),
        ]),
    );
    until("the count", || {
        has(&root, "[data-testid=privacy-message-count]")
    })
    .await;
    let panel = one(&root, "[data-testid=privacy-panel]");
    assert_eq!(
        one(&panel, "[data-testid=privacy-message-count]")
            .text_content()
            .as_deref(),
        Some("2")
    );
    let text = panel.text_content().unwrap_or_default();
    assert!(text.contains("version 1, language en"), "{text}");
    assert!(
        text.contains("No IP address, user agent or page address is stored."),
        "{text}"
    );
    assert!(text.contains("Consent given"), "{text}");
    let policy = one(&panel, "a[data-testid=privacy-policy]");
    assert_eq!(
        policy.get_attribute("href").as_deref(),
        Some("https://example.com/privacy")
    );
    assert_eq!(policy.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(
        policy.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );

    click(&panel, "button[data-testid=privacy-download-json]");
    click(&panel, "button[data-testid=privacy-download-text]");
    until("both files read", || {
        js_json("return window.__pmock.downloads.filter(d => d.text !== null).length;") == json!(2)
    })
    .await;
    let downloads = js_json("return window.__pmock.downloads;");
    assert_eq!(downloads[0]["name"], json!("confide-conversation-5.json"));
    assert_eq!(downloads[0]["type"], json!("application/json"));
    let body: Value =
        serde_json::from_str(downloads[0]["text"].as_str().expect("text")).expect("JSON");
    assert_eq!(body["messages"][1]["text"], json!("hello <b>x</b>"));
    assert_eq!(body["receipt"]["version"], json!(1));
    assert_eq!(downloads[1]["name"], json!("confide-conversation-5.txt"));
    let lines: Vec<String> = downloads[1]["text"]
        .as_str()
        .expect("text")
        .lines()
        .map(|l| l.get(8..).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(lines, vec!["Visitor: hi", "Ada Lovelace: hello <b>x</b>"]);

    click(&panel, "button[data-testid=privacy-close]");
    until("the panel closes", || {
        !has(&root, "[data-testid=privacy-panel]")
    })
    .await;
    assert!(has(&root, "textarea[data-testid=composer]"));
}

#[wasm_bindgen_test]
async fn deleting_needs_its_confirm_step_and_leaves_an_empty_chat() {
    let key = "privacy-delete";
    let root = chatting(key).await;
    click(&root, "button[data-testid=privacy-open]");
    until("the panel", || has(&root, "[data-testid=privacy-panel]")).await;
    assert!(!has(&root, "[data-testid=privacy-delete-confirm]"));

    click(&root, "button[data-testid=privacy-delete]");
    yew::scheduler::flush().await;
    assert!(!sent_types(key).contains(&"delete".to_owned()), "not yet");
    // Cancel goes back without sending anything.
    click(&root, "button[data-testid=privacy-cancel]");
    yew::scheduler::flush().await;
    assert!(!has(&root, "[data-testid=privacy-delete-confirm]"));
    assert!(!sent_types(key).contains(&"delete".to_owned()));

    click(&root, "button[data-testid=privacy-delete]");
    yew::scheduler::flush().await;
    click(&root, "button[data-testid=privacy-delete-confirm]");
    until("a delete", || {
        sent_types(key).contains(&"delete".to_owned())
    })
    .await;
    assert_eq!(sent(key).last(), Some(&json!({"type": "delete"})));

    receive(key, json!({"type": "deleted", "conversation": 5}));
    until("an empty chat", || !has(&root, "[data-testid=message]")).await;
    assert!(!has(&root, "[data-testid=privacy-panel]"));
    assert_eq!(
        main_of(&root).get_attribute("data-connection").as_deref(),
        Some("online")
    );
    // The token is kept: the visitor stays the same, only the conversation went.
    assert_eq!(
        storage("local")
            .get_item(&format!("confide.token.{key}"))
            .expect("get")
            .as_deref(),
        Some(TOKEN)
    );
}

#[wasm_bindgen_test]
async fn withdrawing_needs_its_confirm_step_then_forgets_everything_and_shows_the_gate() {
    let key = "privacy-withdraw";
    let root = chatting(key).await;
    assert!(storage("local")
        .get_item(&format!("confide.consent.{key}"))
        .expect("get")
        .is_some());
    storage("session")
        .set_item(
            &format!("confide.outbox.{key}"),
            r#"[{"id":"abcdefgh","text":"x"}]"#,
        )
        .expect("set");
    click(&root, "button[data-testid=privacy-open]");
    until("the panel", || has(&root, "[data-testid=privacy-panel]")).await;
    click(&root, "button[data-testid=privacy-withdraw]");
    yew::scheduler::flush().await;
    assert!(!sent_types(key).contains(&"withdraw".to_owned()), "not yet");
    click(&root, "button[data-testid=privacy-withdraw-confirm]");
    until("a withdraw", || {
        sent_types(key).contains(&"withdraw".to_owned())
    })
    .await;
    assert_eq!(sent(key).last(), Some(&json!({"type": "withdraw"})));

    let sockets = socket_count();
    receive(
        key,
        json!({"type": "withdrawn", "at": 1_763_800_000_000_i64, "conversations_deleted": 1}),
    );
    until("the gate again", || has(&root, "[data-testid=consent]")).await;
    js(&format!(
        "window.__pmock.sockets.filter(s => s.sent.length && s.sent[0].widget === {key:?}).pop().shut(1000);"
    ));
    for what in ["consent", "token"] {
        assert_eq!(
            storage("local")
                .get_item(&format!("confide.{what}.{key}"))
                .expect("get"),
            None,
            "{what} forgotten"
        );
    }
    assert_eq!(
        storage("session")
            .get_item(&format!("confide.outbox.{key}"))
            .expect("get"),
        None
    );
    assert!(!has(&root, "[data-testid=message]"));
    assert!(!has(&root, "[data-testid=privacy-open]"));
    // Stopped for good: no reconnect after the server closes the socket. A retry would come
    // at most `backoff::FIRST_MS` after the close, so wait past that.
    TimeoutFuture::new(backoff::FIRST_MS + 250).await;
    yew::scheduler::flush().await;
    assert_eq!(
        socket_count(),
        sockets,
        "no reconnect after the first retry window"
    );

    // Agreeing again starts as a new visitor, with nothing from before.
    let checkbox: HtmlInputElement = one(&root, "input[data-testid=consent-checkbox]")
        .dyn_into()
        .expect("input");
    checkbox.click();
    yew::scheduler::flush().await;
    click(&root, "button[data-testid=consent-start]");
    until("a new socket", || socket_count() == sockets + 1).await;
    until("its hello", || !sent(key).is_empty()).await;
    let hello = &sent(key)[0];
    assert_eq!(hello.get("token"), None);
    assert_eq!(hello.get("last_seq"), None);
}
