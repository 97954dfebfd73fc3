//! The History, Find a person and Audit log pages (issue 14) against a stand-in server: a
//! `window.fetch` that answers from a table and records every request, so the tests see
//! exactly what the console sends and what it makes of each answer.

use super::{all, mount_point, one, type_into};
use confide_console::components::{
    AuditPage, HistoryPage, HistoryPageProps, PersonPage, PersonPageProps, RolesPage, SessionsPage,
    SessionsPageProps,
};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement, Request};
use web_sys::{Response, ResponseInit};

/// One request the console made.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// From `/api/` on, with the query.
    path: String,
    body: String,
}

type Route = dyn Fn(&str, &str, &str) -> (u16, Value);

/// `window.fetch`, replaced until dropped.
struct FakeServer {
    seen: Rc<RefCell<Vec<Seen>>>,
    original: JsValue,
    _fetch: Closure<dyn FnMut(Request) -> js_sys::Promise>,
}

impl FakeServer {
    fn start(route: impl Fn(&str, &str, &str) -> (u16, Value) + 'static) -> Self {
        let window = gloo_utils::window();
        let original = js_sys::Reflect::get(&window, &"fetch".into()).expect("fetch");
        let seen: Rc<RefCell<Vec<Seen>>> = Rc::default();
        let route: Rc<Route> = Rc::new(route);
        let fetch = {
            let seen = seen.clone();
            Closure::<dyn FnMut(Request) -> js_sys::Promise>::new(move |request: Request| {
                let (seen, route) = (seen.clone(), route.clone());
                wasm_bindgen_futures::future_to_promise(async move {
                    let body = JsFuture::from(request.text()?)
                        .await?
                        .as_string()
                        .unwrap_or_default();
                    let url = request.url();
                    let path = url
                        .find("/api/")
                        .map_or(url.clone(), |i| url[i..].to_owned());
                    let method = request.method();
                    let (status, answer) = route(&method, &path, &body);
                    seen.borrow_mut().push(Seen { method, path, body });
                    let init = ResponseInit::new();
                    init.set_status(status);
                    // A 204 has no body (a Response refuses one).
                    let text = (status != 204).then(|| answer.to_string());
                    Ok(Response::new_with_opt_str_and_init(text.as_deref(), &init)?.into())
                })
            })
        };
        js_sys::Reflect::set(&window, &"fetch".into(), fetch.as_ref()).expect("stub fetch");
        Self {
            seen,
            original,
            _fetch: fetch,
        }
    }

    fn requests(&self, method: &str, prefix: &str) -> Vec<Seen> {
        self.seen
            .borrow()
            .iter()
            .filter(|s| s.method == method && s.path.starts_with(prefix))
            .cloned()
            .collect()
    }

    fn last(&self, method: &str, prefix: &str) -> Seen {
        self.requests(method, prefix)
            .pop()
            .unwrap_or_else(|| panic!("no {method} {prefix} in {:#?}", self.seen.borrow()))
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = js_sys::Reflect::set(&gloo_utils::window(), &"fetch".into(), &self.original);
    }
}

/// A macrotask later: the fetch stand-in's promises and their `text()` have settled.
async fn sleep_ms(ms: i32) {
    let tick = js_sys::Promise::new(&mut |resolve, _| {
        gloo_utils::window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    let _ = JsFuture::from(tick).await;
}

/// Lets the fetches resolve and yew render, until `done` holds (at most about 2 s).
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..400 {
        yew::scheduler::flush().await;
        if done() {
            return;
        }
        sleep_ms(5).await;
    }
    panic!("timed out waiting for {what}");
}

async fn wait_for(root: &Element, selector: &str) -> Element {
    until(selector, || {
        root.query_selector(selector).ok().flatten().is_some()
    })
    .await;
    one(root, selector)
}

async fn click(root: &Element, selector: &str) {
    one(root, selector)
        .dyn_into::<HtmlElement>()
        .expect("html element")
        .click();
    yew::scheduler::flush().await;
}

fn text(root: &Element, selector: &str) -> String {
    one(root, selector).text_content().unwrap_or_default()
}

fn row(id: i64, restricted: bool) -> Value {
    json!({
        "id": id, "widget": "demo", "status": "closed", "started_at": 1_700_000_000_000_i64 + id,
        "last_at": 1_700_000_100_000_i64 + id, "messages": 2, "email": "ann@example.com",
        "name": "Ann Lee", "restricted": restricted
    })
}

fn receipt() -> Value {
    json!({"language": "en", "version": 3, "text_sha256": "ab".repeat(32), "policy_url": null,
           "at": 1_700_000_000_000_i64, "withdrawn_at": null})
}

/// The History page for a role that may edit transcripts (`edit`) or only read them.
fn history_page(root: &Element, edit: bool) {
    yew::Renderer::<HistoryPage>::with_root_and_props(root.clone(), HistoryPageProps { edit })
        .render();
}

/// "Find a person" for a role that may edit transcripts (`edit`) or only read them.
fn person_page(root: &Element, edit: bool) {
    yew::Renderer::<PersonPage>::with_root_and_props(root.clone(), PersonPageProps { edit })
        .render();
}

fn absent(root: &Element, selector: &str) -> bool {
    root.query_selector(selector)
        .expect("valid selector")
        .is_none()
}

/// The browser's start of a local day, as the console computes it.
fn local_midnight(y: u32, m: i32, d: i32) -> i64 {
    js_sys::Date::new_with_year_month_day(y, m - 1, d).get_time() as i64
}

#[wasm_bindgen_test]
async fn history_lists_picks_exports_and_erases_the_count_confirmed() {
    let server = FakeServer::start(|method, path, _| match (method, path) {
        ("GET", "/api/admin/widgets") => (200, json!([{"key": "demo", "name": "Demo site"}])),
        ("GET", p) if p.starts_with("/api/admin/conversations") => (
            200,
            json!({"conversations": [row(3, false), row(2, true), row(1, false)], "more": true, "total": 7}),
        ),
        ("POST", "/api/admin/conversations/erase") => {
            (200, json!({"done": 1, "messages": 2, "restricted": [2]}))
        }
        _ => (
            404,
            json!({"code": "not_found", "message": "no such route"}),
        ),
    });
    let root = mount_point();
    history_page(&root, true);
    wait_for(&root, "[data-testid=history-row][data-conversation='1']").await;
    assert_eq!(
        server.last("GET", "/api/admin/conversations").path,
        "/api/admin/conversations",
        "the first page, unfiltered"
    );
    assert_eq!(
        text(&root, "[data-testid=history-total]"),
        "7 conversations match"
    );
    until("the widget list", || {
        all(&root, "select[data-testid=history-widget] option").len() == 2
    })
    .await;
    // The selects start at "any" (yew inserts options last first: the browser would
    // otherwise keep the last one selected).
    for testid in ["history-widget", "history-status"] {
        let select: web_sys::HtmlSelectElement = one(&root, &format!("[data-testid={testid}]"))
            .dyn_into()
            .expect("select");
        assert_eq!(select.value(), "", "{testid}");
    }
    // Every input has a label around it.
    for testid in [
        "history-widget",
        "history-status",
        "history-from",
        "history-to",
        "history-email",
        "history-name",
        "history-conversation",
    ] {
        let input = one(&root, &format!("[data-testid={testid}]"));
        let label = input.closest("label").expect("query").expect("labelled");
        assert!(
            label.text_content().unwrap_or_default().len()
                > input.text_content().unwrap_or_default().len(),
            "{testid} has label text"
        );
    }
    assert_eq!(
        all(&root, "table th[scope=col]").len(),
        10,
        "a header per column"
    );
    let restricted = one(&root, "[data-testid=history-row][data-conversation='2']");
    assert!(restricted
        .text_content()
        .unwrap_or_default()
        .contains("restricted"));
    assert!(
        root.query_selector("[data-testid=history-export-csv]")
            .expect("query")
            .is_none(),
        "nothing picked, nothing to export"
    );
    assert!(one(&root, "[data-testid=history-erase]").has_attribute("disabled"));

    // Two picked: the exports name them, the erasure asks about exactly two.
    click(
        &root,
        "[data-conversation='3'] input[data-testid=history-select]",
    )
    .await;
    click(
        &root,
        "[data-conversation='2'] input[data-testid=history-select]",
    )
    .await;
    assert_eq!(text(&root, "[data-testid=history-selected]"), "2 selected");
    let href = |testid: &str| {
        one(&root, &format!("a[data-testid={testid}]"))
            .get_attribute("href")
            .unwrap_or_default()
    };
    assert_eq!(
        href("history-export-csv"),
        "/api/admin/export?format=csv&rows=messages&ids=3,2"
    );
    assert_eq!(
        href("history-export-conversations-csv"),
        "/api/admin/export?format=csv&rows=conversations&ids=3,2"
    );
    assert_eq!(
        href("history-export-json"),
        "/api/admin/export?format=json&ids=3,2"
    );
    assert!(one(&root, "a[data-testid=history-export-json]").has_attribute("download"));

    click(&root, "[data-testid=history-erase]").await;
    let confirm = one(&root, "[data-testid=erase-confirmation]");
    assert_eq!(
        confirm.text_content().unwrap_or_default(),
        "Erase 2 conversations? This cannot be undone.Yes, eraseCancel"
    );
    let focused = gloo_utils::document().active_element().expect("focus");
    assert_eq!(
        focused.get_attribute("data-testid").as_deref(),
        Some("erase-cancel"),
        "the safe choice has the focus"
    );
    click(&root, "[data-testid=erase-cancel]").await;
    assert!(root
        .query_selector("[data-testid=erase-confirmation]")
        .expect("query")
        .is_none());
    assert!(server
        .requests("POST", "/api/admin/conversations/erase")
        .is_empty());

    click(&root, "[data-testid=history-erase]").await;
    click(&root, "[data-testid=erase-confirm]").await;
    let result = wait_for(&root, "[data-testid=selection-result]").await;
    assert_eq!(result.get_attribute("role").as_deref(), Some("status"));
    assert_eq!(
        result.text_content().unwrap_or_default(),
        "Erased 1 conversation and 2 messages. 1 conversation was kept because it is \
         restricted; lift the restriction to erase it."
    );
    let sent: Value =
        serde_json::from_str(&server.last("POST", "/api/admin/conversations/erase").body)
            .expect("json");
    assert_eq!(sent, json!({"selection": {"ids": [3, 2]}, "expect": 2}));
    until("the list fetched again", || {
        server.requests("GET", "/api/admin/conversations").len() == 2
    })
    .await;
    assert_eq!(
        text(&root, "[data-testid=history-selected]"),
        "None selected"
    );

    // All that match: every box ticked and fixed; the exports carry the filter.
    click(&root, "[data-testid=history-select-matching]").await;
    let toggle = one(&root, "[data-testid=history-select-matching]");
    assert_eq!(
        toggle.get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
    assert_eq!(
        toggle.text_content().unwrap_or_default(),
        "Select all 7 that match"
    );
    for b in all(&root, "input[data-testid=history-select]") {
        let b: HtmlInputElement = b.dyn_into().expect("checkbox");
        assert!(b.checked() && b.disabled());
    }
    assert_eq!(href("history-export-json"), "/api/admin/export?format=json");

    // A search: the form's values, dates as local days, become the query and the selection.
    type_into(&root, "[data-testid=history-email]", "ann+x@example.com").await;
    type_into(&root, "[data-testid=history-from]", "2026-12-01").await;
    type_into(&root, "[data-testid=history-to]", "2026-12-06").await;
    click(&root, "[data-testid=history-search]").await;
    until("the search", || {
        server.requests("GET", "/api/admin/conversations").len() == 3
    })
    .await;
    let (from, to) = (local_midnight(2026, 12, 1), local_midnight(2026, 12, 7) - 1);
    assert_eq!(
        server.last("GET", "/api/admin/conversations").path,
        format!("/api/admin/conversations?from={from}&to={to}&email=ann%2Bx%40example.com")
    );
    wait_for(&root, "[data-testid=history-row]").await;
    assert_eq!(
        text(&root, "[data-testid=history-selected]"),
        "None selected"
    );
    click(&root, "[data-testid=history-select-matching]").await;
    assert_eq!(
        href("history-export-csv"),
        format!("/api/admin/export?format=csv&rows=messages&from={from}&to={to}&email=ann%2Bx%40example.com")
    );

    // Older pages.
    click(&root, "[data-testid=history-more]").await;
    until("an older page", || {
        server
            .last("GET", "/api/admin/conversations")
            .path
            .ends_with("&before=1")
    })
    .await;

    // A bad form asks nothing and says why.
    let asked = server.seen.borrow().len();
    type_into(&root, "[data-testid=history-conversation]", "twelve").await;
    click(&root, "[data-testid=history-search]").await;
    let alert = one(&root, "[data-testid=history-error]");
    assert_eq!(alert.get_attribute("role").as_deref(), Some("alert"));
    assert!(alert
        .text_content()
        .unwrap_or_default()
        .starts_with("Conversation:"));
    assert_eq!(server.seen.borrow().len(), asked);
    let email: HtmlInputElement = one(&root, "[data-testid=history-email]")
        .dyn_into()
        .expect("input");
    assert_eq!(
        email.value(),
        "ann+x@example.com",
        "the form keeps what was typed"
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn a_changed_count_erases_nothing_and_counts_again_and_refusals_are_alerts() {
    let total = Rc::new(RefCell::new(3));
    let server = {
        let total = total.clone();
        FakeServer::start(move |method, path, _| match (method, path) {
            ("GET", p) if p.starts_with("/api/admin/conversations") => (
                200,
                json!({"conversations": [row(3, false)], "more": false, "total": *total.borrow()}),
            ),
            ("POST", "/api/admin/conversations/erase") => {
                *total.borrow_mut() = 4;
                (
                    409,
                    json!({"code": "conflict", "message": "The selection now holds 4 conversations, not 3."}),
                )
            }
            ("POST", "/api/admin/conversations/restrict") => (
                400,
                json!({"code": "invalid", "message": "selection.ids: at most 500"}),
            ),
            _ => (404, json!({"code": "not_found", "message": "no"})),
        })
    };
    let root = mount_point();
    history_page(&root, true);
    wait_for(&root, "[data-testid=history-row]").await;
    click(&root, "[data-testid=history-select-matching]").await;
    click(&root, "[data-testid=history-erase]").await;
    assert_eq!(
        text(&root, "#erase-question"),
        "Erase 3 conversations? This cannot be undone."
    );
    click(&root, "[data-testid=erase-confirm]").await;
    let alert = wait_for(&root, "[data-testid=history-error]").await;
    assert_eq!(alert.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        alert.text_content().unwrap_or_default(),
        "The selection now holds 4 conversations, not 3."
    );
    let sent: Value =
        serde_json::from_str(&server.last("POST", "/api/admin/conversations/erase").body)
            .expect("json");
    assert_eq!(sent, json!({"selection": {"matching": {}}, "expect": 3}));
    until("the new count", || {
        text(&root, "[data-testid=history-total]") == "4 conversations match"
    })
    .await;
    assert!(root
        .query_selector("[data-testid=selection-result]")
        .expect("query")
        .is_none());
    click(&root, "[data-testid=history-erase]").await;
    assert_eq!(
        text(&root, "#erase-question"),
        "Erase 4 conversations? This cannot be undone.",
        "asked again with the new count"
    );
    click(&root, "[data-testid=erase-cancel]").await;

    click(&root, "[data-testid=history-restrict]").await;
    until("the refusal", || {
        root.query_selector("[data-testid=history-error]")
            .ok()
            .flatten()
            .and_then(|e| e.text_content())
            .as_deref()
            == Some("selection.ids: at most 500")
    })
    .await;
    let sent: Value = serde_json::from_str(
        &server
            .last("POST", "/api/admin/conversations/restrict")
            .body,
    )
    .expect("json");
    assert_eq!(
        sent,
        json!({"selection": {"matching": {}}, "restricted": true})
    );
    root.remove();
}

fn transcript(restricted: bool) -> Value {
    json!({
        "conversation": row(3, restricted),
        "messages": [
            {"seq": 1, "id": "visitor-0001", "author": "visitor", "text": "<b>hi</b> my order is 123", "at": 1_700_000_000_000_i64},
            {"seq": 2, "id": "operator-0001", "author": "operator", "author_name": "Ada", "text": "Looking now", "at": 1_700_000_050_000_i64}
        ],
        "receipt": receipt(),
        "details": {"name": "Ann Lee", "email": "ann@example.com",
                    "custom": [{"key": "order", "label": "Order number", "value": "123"}],
                    "browser": "Firefox"}
    })
}

#[wasm_bindgen_test]
async fn a_transcript_is_read_only_and_its_details_are_corrected_in_place() {
    let server = FakeServer::start(|method, path, body| match (method, path) {
        ("GET", "/api/admin/conversations/3") => (200, transcript(false)),
        ("GET", p) if p.starts_with("/api/admin/conversations") => (
            200,
            json!({"conversations": [row(3, false)], "more": false, "total": 1}),
        ),
        ("PUT", "/api/admin/conversations/3/details") => {
            let sent: Value = serde_json::from_str(body).expect("json");
            if sent["email"] == "broken" {
                (
                    400,
                    json!({"code": "invalid", "message": "email: not an email address"}),
                )
            } else {
                (
                    200,
                    json!({"name": sent["name"], "custom": [{"key": "order", "label": "Order number", "value": sent["custom"]["order"]}], "browser": "Firefox"}),
                )
            }
        }
        ("POST", "/api/admin/conversations/restrict") => (200, json!({"done": 1})),
        ("POST", "/api/admin/conversations/erase") => (200, json!({"done": 1, "messages": 2})),
        _ => (404, json!({"code": "not_found", "message": "no"})),
    });
    let root = mount_point();
    history_page(&root, true);
    wait_for(&root, "[data-testid=history-row]").await;
    click(&root, "[data-testid=history-open]").await;
    let section = wait_for(
        &root,
        "section[data-testid=transcript][data-conversation='3']",
    )
    .await;
    wait_for(&section, "[data-testid=transcript-message]").await;
    assert!(
        one(&root, "[data-testid=history-filters]")
            .closest("[hidden]")
            .expect("query")
            .is_some(),
        "the list is hidden, not gone"
    );
    let focused = || gloo_utils::document().active_element().expect("focus");
    assert_eq!(
        focused().id(),
        "transcript-title",
        "the focus follows to the transcript"
    );
    let messages = all(&section, "[data-testid=transcript-message]");
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[0].get_attribute("data-author").as_deref(),
        Some("visitor")
    );
    assert!(
        messages[0].query_selector("b").expect("query").is_none(),
        "text, never HTML"
    );
    assert!(messages[1]
        .text_content()
        .unwrap_or_default()
        .contains("Ada"));
    assert!(section
        .query_selector("textarea[data-testid=composer]")
        .expect("q")
        .is_none());
    let receipt = text(&section, "[data-testid=transcript-receipt]");
    assert!(
        receipt.contains("version 3 (en)") && receipt.contains(&"ab".repeat(32)),
        "{receipt}"
    );
    let details = text(&section, "[data-testid=visitor-details]");
    assert!(
        details.contains("Order number") && details.contains("Firefox"),
        "{details}"
    );

    // Rectify: the form holds the values; a bad one is refused with the server's words.
    let name: HtmlInputElement = one(&section, "[data-testid=rectify-name]")
        .dyn_into()
        .expect("input");
    assert_eq!(name.value(), "Ann Lee");
    let order: HtmlInputElement = one(&section, "[data-testid=rectify-custom-order]")
        .dyn_into()
        .expect("input");
    assert_eq!(order.value(), "123");
    type_into(&section, "[data-testid=rectify-email]", "broken").await;
    click(&section, "[data-testid=rectify-save]").await;
    let alert = wait_for(&section, "[data-testid=rectify-error]").await;
    assert_eq!(alert.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        alert.text_content().unwrap_or_default(),
        "email: not an email address"
    );

    type_into(&section, "[data-testid=rectify-name]", " Ann Smith ").await;
    type_into(&section, "[data-testid=rectify-email]", "").await;
    type_into(&section, "[data-testid=rectify-custom-order]", "456").await;
    click(&section, "[data-testid=rectify-save]").await;
    let saved = wait_for(&section, "[data-testid=rectify-saved]").await;
    assert_eq!(saved.get_attribute("role").as_deref(), Some("status"));
    assert_eq!(saved.text_content().unwrap_or_default(), "Saved");
    let sent: Value = serde_json::from_str(
        &server
            .last("PUT", "/api/admin/conversations/3/details")
            .body,
    )
    .expect("json");
    assert_eq!(
        sent,
        json!({"name": "Ann Smith", "email": null, "custom": {"order": "456"}})
    );
    let details = text(&section, "[data-testid=visitor-details]");
    assert!(
        details.contains("Ann Smith") && details.contains("456"),
        "{details}"
    );
    assert!(!details.contains("ann@example.com"), "{details}");

    // Restrict: the button turns into "Lift restriction" and erasing waits for it.
    click(&section, "[data-testid=transcript-restrict]").await;
    until("the restriction", || {
        text(&root, "[data-testid=transcript-restrict]") == "Lift restriction"
    })
    .await;
    assert!(one(&root, "[data-testid=transcript-erase]").has_attribute("disabled"));
    let sent: Value = serde_json::from_str(
        &server
            .last("POST", "/api/admin/conversations/restrict")
            .body,
    )
    .expect("json");
    assert_eq!(sent, json!({"selection": {"ids": [3]}, "restricted": true}));

    // Back: the list again, with the row as it is now.
    click(&root, "[data-testid=transcript-back]").await;
    assert!(root
        .query_selector("[data-testid=transcript]")
        .expect("q")
        .is_none());
    assert_eq!(
        focused().get_attribute("data-testid").as_deref(),
        Some("history-open"),
        "and back to the row's Open button"
    );
    let listed = one(&root, "[data-testid=history-row][data-conversation='3']");
    assert_eq!(
        listed.get_attribute("data-restricted").as_deref(),
        Some("true")
    );
    assert!(listed
        .text_content()
        .unwrap_or_default()
        .contains("Ann Smith"));
    root.remove();
}

#[wasm_bindgen_test]
async fn an_erasure_from_the_transcript_returns_to_the_list_with_the_result() {
    let server = FakeServer::start(|method, path, _| match (method, path) {
        ("GET", "/api/admin/conversations/3") => (200, transcript(false)),
        ("GET", p) if p.starts_with("/api/admin/conversations") => (
            200,
            json!({"conversations": [row(3, false)], "more": false, "total": 1}),
        ),
        ("POST", "/api/admin/conversations/erase") => (200, json!({"done": 1, "messages": 2})),
        _ => (404, json!({"code": "not_found", "message": "no"})),
    });
    let root = mount_point();
    history_page(&root, true);
    wait_for(&root, "[data-testid=history-row]").await;
    click(&root, "[data-testid=history-open]").await;
    wait_for(&root, "[data-testid=transcript-erase]").await;
    click(&root, "[data-testid=transcript-erase]").await;
    assert_eq!(
        text(&root, "#erase-question"),
        "Erase 1 conversation? This cannot be undone."
    );
    click(&root, "[data-testid=erase-confirm]").await;
    let result = wait_for(&root, "[data-testid=selection-result]").await;
    assert_eq!(
        result.text_content().unwrap_or_default(),
        "Erased 1 conversation and 2 messages."
    );
    assert!(root
        .query_selector("[data-testid=transcript]")
        .expect("q")
        .is_none());
    let sent: Value =
        serde_json::from_str(&server.last("POST", "/api/admin/conversations/erase").body)
            .expect("json");
    assert_eq!(sent, json!({"selection": {"ids": [3]}, "expect": 1}));
    root.remove();
}

#[wasm_bindgen_test]
async fn find_a_person_exports_erases_everything_and_writes_the_report() {
    let erased = Rc::new(RefCell::new(false));
    let server = {
        let erased = erased.clone();
        FakeServer::start(move |method, path, _| match (method, path) {
            ("GET", p) if p.starts_with("/api/admin/person") => (
                200,
                json!({"conversations": [row(5, false), row(4, true)], "total": 2, "messages": 4,
                       "left": 1, "restricted": 1, "receipts": [receipt()],
                       "first_at": 1_700_000_000_000_i64, "last_at": 1_700_000_000_000_i64}),
            ),
            ("POST", "/api/admin/conversations/erase") => {
                *erased.borrow_mut() = true;
                (200, json!({"done": 1, "messages": 2, "restricted": [4]}))
            }
            _ => (404, json!({"code": "not_found", "message": "no"})),
        })
    };
    let root = mount_point();
    person_page(&root, true);
    yew::scheduler::flush().await;
    let form = one(&root, "form[data-testid=person-form]");
    assert!(one(&form, "[data-testid=person-email]").has_attribute("required"));
    click(&root, "[data-testid=person-find]").await;
    assert!(text(&root, "[data-testid=person-error]").starts_with("Email:"));
    assert!(
        server.seen.borrow().is_empty(),
        "no search without an email"
    );

    type_into(&root, "[data-testid=person-email]", " ann@example.com ").await;
    type_into(&root, "[data-testid=person-name]", "Ann").await;
    click(&root, "[data-testid=person-find]").await;
    let summary = wait_for(&root, "[data-testid=person-summary]").await;
    assert_eq!(
        server.last("GET", "/api/admin/person").path,
        "/api/admin/person?email=ann%40example.com&name=Ann"
    );
    let count = |key: &str| text(&summary, &format!("[data-count={key}] dd"));
    assert_eq!(
        [
            "conversations",
            "messages",
            "left",
            "restricted",
            "receipts"
        ]
        .map(count),
        ["2", "4", "1", "1", "1"]
    );
    assert_eq!(all(&summary, "[data-testid=history-row]").len(), 2);
    assert_eq!(all(&summary, "[data-testid=person-receipt]").len(), 1);
    let href = |testid: &str| {
        one(&root, &format!("a[data-testid={testid}]"))
            .get_attribute("href")
            .unwrap_or_default()
    };
    assert_eq!(
        href("person-export-json"),
        "/api/admin/export?format=json&email=ann%40example.com&name=Ann"
    );
    assert_eq!(
        href("person-export-csv"),
        "/api/admin/export?format=csv&rows=messages&email=ann%40example.com&name=Ann"
    );
    let report = || -> String {
        one(&root, "textarea[data-testid=person-report]")
            .dyn_into::<HtmlTextAreaElement>()
            .expect("textarea")
            .value()
    };
    assert!(
        report().contains("We found 2 conversations with 4 messages"),
        "{}",
        report()
    );
    let area = one(&root, "textarea[data-testid=person-report]");
    assert!(area.has_attribute("readonly"));
    assert_eq!(
        text(&root, &format!("label[for={}]", area.id())),
        "Report for your reply"
    );
    one(&root, "button[data-testid=person-report-copy]");

    click(&root, "[data-testid=person-erase]").await;
    assert_eq!(
        text(&root, "#erase-question"),
        "Erase 2 conversations? This cannot be undone."
    );
    click(&root, "[data-testid=erase-confirm]").await;
    let result = wait_for(&root, "[data-testid=selection-result]").await;
    assert!(result
        .text_content()
        .unwrap_or_default()
        .starts_with("Erased 1 conversation and 2 messages. 1 conversation was kept"));
    let sent: Value =
        serde_json::from_str(&server.last("POST", "/api/admin/conversations/erase").body)
            .expect("json");
    assert_eq!(
        sent,
        json!({"selection": {"matching": {"email": "ann@example.com", "name": "Ann"}}, "expect": 2})
    );
    assert!(*erased.borrow());
    assert!(
        report().contains("we erased 1 conversation and 2 messages"),
        "{}",
        report()
    );
    assert!(report().contains("We kept 1 conversation"), "{}", report());
    assert!(
        !report().contains("ann@example.com"),
        "no address in the report"
    );
    let rows = all(&root, "[data-testid=history-row]");
    assert_eq!(rows.len(), 1, "only the kept one is listed");
    assert!(one(&root, "[data-testid=person-erase]").has_attribute("disabled"));
    root.remove();
}

#[wasm_bindgen_test]
async fn the_audit_log_lists_filters_exports_and_states_the_chain() {
    let server = FakeServer::start(|method, path, _| match method {
        "GET" if path.contains("before=") => (
            200,
            json!({"entries": [{"id": 1, "at": 1_700_000_000_000_i64, "action": "sign_in", "target": ""}],
                   "more": false, "intact": false, "broken_at": 1}),
        ),
        "GET" if path.starts_with("/api/admin/audit") => (
            200,
            json!({"entries": [
                {"id": 3, "at": 1_700_000_000_000_i64, "operator_id": 1, "action": "erased", "target": "filter", "count": 4},
                {"id": 2, "at": 1_700_000_000_000_i64, "operator_id": 1, "action": "transcript_opened", "target": "conversation:12"}
            ], "more": true, "intact": true}),
        ),
        _ => (404, json!({"code": "not_found", "message": "no"})),
    });
    let root = mount_point();
    yew::Renderer::<AuditPage>::with_root(root.clone()).render();
    let chain = wait_for(&root, "[data-testid=audit-chain]").await;
    assert_eq!(chain.get_attribute("data-intact").as_deref(), Some("true"));
    assert_eq!(
        chain.text_content().unwrap_or_default(),
        "The log verifies: every entry follows the one before."
    );
    let rows = all(&root, "tr[data-testid=audit-row]");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].get_attribute("data-action").as_deref(),
        Some("erased")
    );
    assert!(rows[0].text_content().unwrap_or_default().contains("#1"));
    assert_eq!(
        all(&root, "select[data-testid=audit-action] option").len(),
        1 + confide_protocol::history::AUDIT_ACTIONS.len()
    );
    assert_eq!(
        one(&root, "a[data-testid=audit-export]")
            .get_attribute("href")
            .as_deref(),
        Some("/api/admin/audit/export")
    );

    click(&root, "[data-testid=audit-more]").await;
    until("the older page", || {
        all(&root, "tr[data-testid=audit-row]").len() == 3
    })
    .await;
    assert_eq!(
        server.last("GET", "/api/admin/audit").path,
        "/api/admin/audit?before=2"
    );
    let chain = one(&root, "[data-testid=audit-chain]");
    assert_eq!(chain.get_attribute("data-intact").as_deref(), Some("false"));
    assert_eq!(
        chain.text_content().unwrap_or_default(),
        "The log is broken at entry 1."
    );

    let select: web_sys::HtmlSelectElement = one(&root, "[data-testid=audit-action]")
        .dyn_into()
        .expect("select");
    select.set_value("erased");
    type_into(&root, "[data-testid=audit-operator]", "1").await;
    type_into(&root, "[data-testid=audit-from]", "2026-12-01").await;
    click(&root, "[data-testid=audit-search]").await;
    let from = local_midnight(2026, 12, 1);
    until("the filtered page", || {
        server.last("GET", "/api/admin/audit").path
            == format!("/api/admin/audit?action=erased&operator=1&from={from}")
    })
    .await;
    until("the export link", || {
        one(&root, "a[data-testid=audit-export]").get_attribute("href")
            == Some(format!(
                "/api/admin/audit/export?action=erased&operator=1&from={from}"
            ))
    })
    .await;
    root.remove();
}

#[wasm_bindgen_test]
async fn a_role_that_only_reads_transcripts_gets_no_tools_to_change_them() {
    let server = FakeServer::start(|method, path, _| match (method, path) {
        ("GET", "/api/admin/conversations/3") => (200, transcript(false)),
        ("GET", p) if p.starts_with("/api/admin/conversations") => (
            200,
            json!({"conversations": [row(3, false), row(2, true)], "more": false, "total": 2}),
        ),
        ("GET", p) if p.starts_with("/api/admin/person") => (
            200,
            json!({"conversations": [row(3, false)], "total": 1, "messages": 2, "left": 0,
                   "restricted": 0, "receipts": [receipt()],
                   "first_at": 1_700_000_000_000_i64, "last_at": 1_700_000_000_000_i64}),
        ),
        _ => (404, json!({"code": "not_found", "message": "no"})),
    });
    // The editing tools the end-to-end tests use, none of which a reader gets.
    let tools = [
        "[data-testid=history-select]",
        "[data-testid=history-selected]",
        "[data-testid=history-select-matching]",
        "[data-testid=history-export-json]",
        "[data-testid=history-export-csv]",
        "[data-testid=history-erase]",
        "[data-testid=history-restrict]",
        "[data-testid=history-unrestrict]",
        "[data-testid=erase-confirmation]",
        "[data-testid=rectify]",
        "[data-testid=rectify-save]",
        "[data-testid=transcript-restrict]",
        "[data-testid=transcript-erase]",
        "[data-testid=person-erase]",
        "[data-testid=person-export-json]",
        "[data-testid=person-export-csv]",
    ];

    let root = mount_point();
    history_page(&root, false);
    wait_for(&root, "[data-testid=history-row][data-conversation='2']").await;
    assert_eq!(
        text(&root, "[data-testid=history-total]"),
        "2 conversations match"
    );
    for tool in tools {
        assert!(absent(&root, tool), "the history shows {tool}");
    }
    assert_eq!(
        all(&root, "table th[scope=col]").len(),
        9,
        "no column of checkboxes"
    );
    assert!(text(&root, "[data-testid=history-read-only]").contains("read conversations"));

    // The transcript: everything to read, the details read-only, nothing to change.
    click(&root, "[data-conversation='3'] [data-testid=history-open]").await;
    let section = wait_for(&root, "section[data-testid=transcript]").await;
    wait_for(&section, "[data-testid=transcript-message]").await;
    let details = text(&section, "[data-testid=visitor-details]");
    assert!(
        details.contains("Ann Lee") && details.contains("Order number"),
        "{details}"
    );
    one(&section, "[data-testid=transcript-receipt]");
    assert!(all(&section, "input").is_empty(), "no form to correct them");
    for tool in tools {
        assert!(absent(&root, tool), "the transcript shows {tool}");
    }
    one(&section, "[data-testid=transcript-read-only]");
    click(&root, "[data-testid=transcript-back]").await;
    root.remove();

    // Find a person: the counts, the rows and the report, no export or erasure.
    let root = mount_point();
    person_page(&root, false);
    yew::scheduler::flush().await;
    type_into(&root, "[data-testid=person-email]", "ann@example.com").await;
    click(&root, "[data-testid=person-find]").await;
    let summary = wait_for(&root, "[data-testid=person-summary]").await;
    assert_eq!(all(&summary, "[data-testid=history-row]").len(), 1);
    one(&root, "textarea[data-testid=person-report]");
    for tool in tools {
        assert!(absent(&root, tool), "Find a person shows {tool}");
    }
    one(&summary, "[data-testid=person-read-only]");
    assert!(
        server.seen.borrow().iter().all(|s| s.method == "GET"),
        "a reader's pages only ever read"
    );
    root.remove();
}

fn role(name: &str, permissions: Value, builtin: bool) -> Value {
    json!({"name": name, "permissions": permissions, "builtin": builtin})
}

/// A `change` that bubbles, as the browser fires after a choice in a select.
async fn choose(root: &Element, selector: &str, value: &str) {
    let select: web_sys::HtmlSelectElement = one(root, selector).dyn_into().expect("select");
    select.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let change = web_sys::Event::new_with_event_init_dict("change", &init).expect("event");
    select.dispatch_event(&change).expect("dispatch");
    yew::scheduler::flush().await;
}

fn attribute(root: &Element, selector: &str, name: &str) -> Option<String> {
    one(root, selector).get_attribute(name)
}

#[wasm_bindgen_test]
async fn roles_are_listed_summarised_created_changed_and_refused_by_field() {
    let server = FakeServer::start(|method, path, body| match (method, path) {
        ("GET", "/api/admin/roles") => (
            200,
            json!([
                role(
                    "admin",
                    json!({"transcripts": "edit", "settings": true, "operators": true,
                                     "audit": true, "api_tokens": true}),
                    true
                ),
                role("agent", json!({}), true),
                role(
                    "readers",
                    json!({"transcripts": "read", "audit": true, "widgets": ["demo"]}),
                    false
                ),
            ]),
        ),
        ("GET", "/api/admin/widgets") => (
            200,
            json!([{"key": "demo", "name": "Demo site"}, {"key": "shop", "name": "Shop"}]),
        ),
        ("POST", "/api/admin/roles") => {
            let sent: Value = serde_json::from_str(body).expect("json");
            if sent["name"] == "readers" {
                (
                    409,
                    json!({"code": "conflict", "message": "name: readers is taken"}),
                )
            } else {
                (
                    201,
                    json!({"name": sent["name"], "permissions": sent["permissions"], "builtin": false}),
                )
            }
        }
        ("PUT", "/api/admin/roles/site-a") => (
            400,
            json!({"code": "invalid", "message": "permissions.widgets: no such widget: shop"}),
        ),
        _ => (404, json!({"code": "not_found", "message": "no"})),
    });
    let root = mount_point();
    yew::Renderer::<RolesPage>::with_root(root.clone()).render();
    let page = wait_for(&root, "section[data-testid=roles-page]").await;
    wait_for(&page, "[data-testid=role-item][data-role=readers]").await;
    let names: Vec<_> = all(&page, "[data-testid=role-item]")
        .iter()
        .filter_map(|i| i.get_attribute("data-role"))
        .collect();
    assert_eq!(names, ["admin", "agent", "readers"]);
    let item = |name: &str| text(&page, &format!("[data-testid=role-item][data-role={name}]"));
    assert!(item("admin").contains("built in") && !item("readers").contains("built in"));
    assert_eq!(
        text(&page, "[data-role=readers] [data-testid=role-summary]"),
        "Transcripts: read · Audit log · Only: demo"
    );
    assert_eq!(
        text(&page, "[data-role=agent] [data-testid=role-summary]"),
        "Live chats only · Every widget"
    );

    // The form for a new role: every control labelled, the checkboxes in fieldsets.
    let form = one(&page, "form[data-testid=role-form]");
    wait_for(&form, "input[data-testid=role-widget-shop]").await;
    for testid in [
        "role-name",
        "role-transcripts",
        "role-settings",
        "role-operators",
        "role-audit",
        "role-api-tokens",
        "role-second-factor",
        "role-widget-demo",
        "role-widget-shop",
    ] {
        let control = one(&form, &format!("[data-testid={testid}]"));
        let label = match control.closest("label").expect("query") {
            Some(label) => label,
            None => one(&form, &format!("label[for={}]", control.id())),
        };
        assert!(
            !label.text_content().unwrap_or_default().trim().is_empty(),
            "{testid} has a label"
        );
    }
    for testid in ["role-settings", "role-widget-demo"] {
        let fieldset = one(&form, &format!("[data-testid={testid}]"))
            .closest("fieldset")
            .expect("query")
            .expect("in a fieldset");
        assert!(!text(&fieldset, "legend").is_empty());
    }
    let options: Vec<_> = all(&form, "[data-testid=role-transcripts] option")
        .iter()
        .map(|o| {
            (
                o.get_attribute("value").unwrap_or_default(),
                o.text_content().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        options,
        [
            ("none".to_owned(), "Live chats only".to_owned()),
            ("read".to_owned(), "Read history".to_owned()),
            (
                "edit".to_owned(),
                "Read and edit (export, erase, correct, restrict)".to_owned()
            ),
        ]
    );
    assert!(text(&form, "#role-widgets-hint").contains("None ticked: every widget"));

    // A bad name is refused here, marked, and never sent.
    type_into(&form, "[data-testid=role-name]", "Site A").await;
    assert_eq!(
        attribute(&form, "[data-testid=role-name]", "aria-invalid").as_deref(),
        Some("false"),
        "not before a save"
    );
    click(&form, "[data-testid=role-save]").await;
    let problems = one(&form, "[data-testid=role-problems]");
    assert_eq!(problems.get_attribute("role").as_deref(), Some("alert"));
    assert!(problems
        .text_content()
        .unwrap_or_default()
        .starts_with("name:"));
    assert_eq!(
        attribute(&form, "[data-testid=role-name]", "aria-invalid").as_deref(),
        Some("true")
    );
    assert!(server.requests("POST", "/api/admin/roles").is_empty());

    // A good one is created with what was ticked, then listed and selected.
    type_into(&form, "[data-testid=role-name]", "site-a").await;
    assert!(absent(&form, "[data-testid=role-problems]"));
    choose(&form, "[data-testid=role-transcripts]", "edit").await;
    click(&form, "[data-testid=role-audit]").await;
    click(&form, "[data-testid=role-widget-shop]").await;
    click(&form, "[data-testid=role-save]").await;
    let saved = wait_for(&page, "[data-testid=role-saved]").await;
    assert_eq!(saved.get_attribute("role").as_deref(), Some("status"));
    let sent: Value =
        serde_json::from_str(&server.last("POST", "/api/admin/roles").body).expect("json");
    assert_eq!(
        sent,
        json!({"name": "site-a", "permissions": {"transcripts": "edit", "settings": false,
               "operators": false, "audit": true, "api_tokens": false, "widgets": ["shop"]},
               "builtin": false})
    );
    assert_eq!(
        text(&page, "[data-role=site-a] [data-testid=role-summary]"),
        "Transcripts: read and edit · Audit log · Only: shop"
    );
    assert_eq!(
        attribute(
            &page,
            "[data-testid=role-item][data-role=site-a]",
            "aria-current"
        )
        .as_deref(),
        Some("true")
    );
    assert!(one(&page, "[data-testid=role-name]").has_attribute("disabled"));

    // Changed: PUT at its name; the server's refusal is an alert and marks the widgets.
    click(&page, "[data-testid=role-widget-demo]").await;
    assert!(
        absent(&page, "[data-testid=role-saved]"),
        "an edit clears it"
    );
    click(&page, "[data-testid=role-save]").await;
    let error = wait_for(&page, "[data-testid=role-error]").await;
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        error.text_content().unwrap_or_default(),
        "permissions.widgets: no such widget: shop"
    );
    let sent: Value =
        serde_json::from_str(&server.last("PUT", "/api/admin/roles/site-a").body).expect("json");
    assert_eq!(sent["permissions"]["widgets"], json!(["shop", "demo"]));
    assert_eq!(
        attribute(&page, "[data-testid=role-widget-demo]", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        attribute(&page, "[data-testid=role-name]", "aria-invalid").as_deref(),
        Some("false")
    );

    // A built-in role is shown, not edited.
    click(&page, "[data-testid=role-item][data-role=admin]").await;
    let builtin = one(&page, "[data-testid=role-builtin]");
    assert!(absent(&page, "form[data-testid=role-form]"));
    assert!(text(&builtin, "dl").contains("Read and edit"));

    // A taken name: the server's words, and the name marked.
    click(&page, "[data-testid=role-new]").await;
    let form = one(&page, "form[data-testid=role-form]");
    assert!(!one(&form, "[data-testid=role-name]").has_attribute("disabled"));
    type_into(&form, "[data-testid=role-name]", "readers").await;
    click(&form, "[data-testid=role-save]").await;
    let error = wait_for(&form, "[data-testid=role-error]").await;
    assert_eq!(
        error.text_content().unwrap_or_default(),
        "name: readers is taken"
    );
    assert_eq!(
        attribute(&form, "[data-testid=role-name]", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(server.requests("POST", "/api/admin/roles").len(), 2);
    root.remove();
}

fn session(id: i64, operator: i64, browser: Option<&str>, os: Option<&str>) -> Value {
    json!({"id": id, "operator_id": operator, "browser": browser, "os": os,
           "created_at": 1_700_000_000_000_i64 + id, "last_active_at": 1_700_000_500_000_i64 - id})
}

/// A stand-in for the sessions endpoints: Ada (operator 1) signed in as session 1 and three
/// more; Grace (operator 2) as session 7. Endings take sessions off the live list.
/// A live session at the stand-in: id, operator, browser, OS.
type Live = (i64, i64, Option<&'static str>, Option<&'static str>);

fn sessions_server() -> FakeServer {
    let live: Rc<RefCell<Vec<Live>>> = Rc::new(RefCell::new(vec![
        (1, 1, Some("Firefox"), Some("Linux")),
        (2, 1, Some("Chrome"), Some("Windows")),
        (3, 1, None, None),
        (4, 1, Some("Safari"), Some("iOS")),
        (7, 2, Some("Safari"), Some("macOS")),
    ]));
    FakeServer::start(move |method, path, _| {
        let mut live = live.borrow_mut();
        let view = |&(id, op, b, o): &Live, admin: bool| {
            let mut v = session(id, op, b, o);
            v["current"] = json!(id == 1);
            if admin {
                v["operator_name"] = json!(if op == 1 { "Ada" } else { "Grace" });
            }
            v
        };
        let id = |p: &str| p.rsplit('/').next().and_then(|i| i.parse::<i64>().ok());
        match (method, path) {
            ("GET", "/api/operator/sessions") => (
                200,
                live.iter()
                    .filter(|s| s.1 == 1)
                    .map(|s| view(s, false))
                    .collect(),
            ),
            ("GET", "/api/admin/sessions") => (200, live.iter().map(|s| view(s, true)).collect()),
            ("GET", "/api/admin/access") => (200, json!({"allowlist": []})),
            ("POST", "/api/operator/sessions/end-others") => {
                let before = live.len();
                live.retain(|s| s.1 != 1 || s.0 == 1);
                (200, json!({"ended": before - live.len()}))
            }
            ("DELETE", p) if p.starts_with("/api/operator/sessions/") => {
                let id = id(p).expect("id");
                live.retain(|s| s.0 != id);
                if id == 4 {
                    // It expired meanwhile.
                    (404, json!({"code": "not_found", "message": "not found"}))
                } else {
                    (204, Value::Null)
                }
            }
            ("DELETE", p) if p.starts_with("/api/admin/sessions/") => {
                live.retain(|s| Some(s.0) != id(p));
                (204, Value::Null)
            }
            _ => (404, json!({"code": "not_found", "message": "no"})),
        }
    })
}

fn row_ids(root: &Element, selector: &str) -> Vec<String> {
    all(root, selector)
        .iter()
        .filter_map(|r| r.get_attribute("data-session"))
        .collect()
}

#[wasm_bindgen_test]
async fn sessions_are_listed_by_browser_and_ended_one_by_one_or_all_at_once() {
    let server = sessions_server();
    let root = mount_point();
    yew::Renderer::<SessionsPage>::with_root_and_props(
        root.clone(),
        SessionsPageProps { admin: true },
    )
    .render();
    let page = wait_for(&root, "section[data-testid=sessions-page]").await;
    wait_for(&page, "tr[data-testid=admin-session-row][data-session='7']").await;
    // This one first, then the most recently active.
    assert_eq!(
        row_ids(&page, "tr[data-testid=session-row]"),
        ["1", "2", "3", "4"]
    );
    let here = one(&page, "tr[data-testid=session-row][data-session='1']");
    assert_eq!(here.get_attribute("data-current").as_deref(), Some("true"));
    assert!(text(&here, "td").contains("Firefox on Linux"));
    assert_eq!(text(&here, "[data-testid=session-current]"), "This session");
    assert!(absent(&here, "[data-testid=session-end]"));
    let chrome = one(&page, "tr[data-testid=session-row][data-session='2']");
    assert_eq!(
        chrome.get_attribute("data-current").as_deref(),
        Some("false")
    );
    let label = attribute(&chrome, "[data-testid=session-end]", "aria-label").unwrap_or_default();
    assert!(
        label.starts_with("End the Chrome on Windows session, signed in "),
        "{label}"
    );
    assert_eq!(
        text(&page, "tr[data-testid=session-row][data-session='3'] td"),
        "Unknown browser"
    );
    assert_eq!(all(&page, "[data-testid=session-end]").len(), 3);
    assert_eq!(all(&page, "table th[scope=col]").len(), 9);

    // Everyone's: whose, and no End for this session.
    let everyone = one(&page, "table[data-testid=all-sessions]");
    assert_eq!(
        row_ids(&everyone, "tr[data-testid=admin-session-row]"),
        ["1", "2", "3", "4", "7"]
    );
    let grace = one(
        &everyone,
        "tr[data-testid=admin-session-row][data-operator='2']",
    );
    assert!(text(&grace, "td").contains("Grace"));
    let label =
        attribute(&grace, "[data-testid=admin-session-end]", "aria-label").unwrap_or_default();
    assert!(
        label.starts_with("End the Safari on macOS session of Grace, signed in "),
        "{label}"
    );
    assert!(absent(
        &everyone,
        "tr[data-session='1'] [data-testid=admin-session-end]"
    ));
    assert_eq!(all(&everyone, "[data-testid=admin-session-end]").len(), 4);
    // Browser and system only: no address anywhere.
    let shown = page.text_content().unwrap_or_default();
    assert!(
        !shown.contains("127.0.0") && !shown.contains("IP"),
        "{shown}"
    );

    // One of one's own.
    click(&chrome, "[data-testid=session-end]").await;
    let result = wait_for(&page, "[data-testid=sessions-result]").await;
    assert_eq!(result.get_attribute("role").as_deref(), Some("status"));
    assert_eq!(result.text_content().unwrap_or_default(), "Session ended.");
    assert_eq!(
        server.last("DELETE", "/api/operator/sessions/").path,
        "/api/operator/sessions/2"
    );
    until("the list reloaded", || {
        row_ids(&page, "tr[data-testid=session-row]") == ["1", "3", "4"]
    })
    .await;

    // One that had ended meanwhile: said so, and gone from the list.
    click(&page, "tr[data-session='4'] [data-testid=session-end]").await;
    let error = wait_for(&page, "[data-testid=sessions-error]").await;
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        error.text_content().unwrap_or_default(),
        "That session had ended already."
    );
    assert!(absent(&page, "[data-testid=sessions-result]"));
    until("the expired one gone", || {
        row_ids(&page, "tr[data-testid=session-row]") == ["1", "3"]
    })
    .await;

    // Everywhere else.
    let gets = server.requests("GET", "/api/operator/sessions").len();
    click(&page, "[data-testid=sessions-end-others]").await;
    until("the list reloaded", || {
        row_ids(&page, "tr[data-testid=session-row]") == ["1"]
    })
    .await;
    let sent = server.last("POST", "/api/operator/sessions/end-others");
    assert_eq!(sent.body, "");
    assert_eq!(
        text(&page, "[data-testid=sessions-result]"),
        "Session ended."
    );
    assert!(absent(&page, "[data-testid=sessions-error]"));
    assert!(absent(&page, "[data-testid=sessions-end-others]"));
    assert!(server.requests("GET", "/api/operator/sessions").len() > gets);

    // Someone else's.
    click(
        &page,
        "tr[data-operator='2'] [data-testid=admin-session-end]",
    )
    .await;
    until("Grace's session gone", || {
        row_ids(&page, "tr[data-testid=admin-session-row]") == ["1"]
    })
    .await;
    assert_eq!(
        server.last("DELETE", "/api/admin/sessions/").path,
        "/api/admin/sessions/7"
    );
    assert_eq!(
        text(&page, "[data-testid=sessions-result]"),
        "Session ended."
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn without_operators_only_ones_own_sessions_are_listed() {
    let server = sessions_server();
    let root = mount_point();
    yew::Renderer::<SessionsPage>::with_root_and_props(
        root.clone(),
        SessionsPageProps { admin: false },
    )
    .render();
    let page = wait_for(&root, "section[data-testid=sessions-page]").await;
    wait_for(&page, "tr[data-testid=session-row][data-session='4']").await;
    // The stand-in answers GET /api/admin/sessions to anyone: the page must not ask.
    sleep_ms(50).await;
    yew::scheduler::flush().await;
    assert!(absent(&page, "table[data-testid=all-sessions]"));
    assert!(absent(&page, "[data-testid=admin-session-row]"));
    assert!(server.requests("GET", "/api/admin/sessions").is_empty());
    // Three others: "N sessions ended."
    click(&page, "[data-testid=sessions-end-others]").await;
    let result = wait_for(&page, "[data-testid=sessions-result]").await;
    assert_eq!(
        result.text_content().unwrap_or_default(),
        "3 sessions ended."
    );
    root.remove();
}

/// A stand-in for `/api/admin/access`: the console is reached from 10.1.2.3; `10.1.2.3/8` is
/// saved as `10.0.0.0/8`; an entry with letters is refused; a list without a `10.` entry shuts
/// the saver out unless confirmed.
fn access_server() -> FakeServer {
    let saved: Rc<RefCell<Vec<String>>> = Rc::new(RefCell::new(vec!["192.0.2.0/24".into()]));
    FakeServer::start(move |method, path, body| match (method, path) {
        ("GET", "/api/operator/sessions" | "/api/admin/sessions") => (200, json!([])),
        ("GET", "/api/admin/access") => (200, json!({"allowlist": *saved.borrow()})),
        ("PUT", "/api/admin/access") => {
            let sent: Value = serde_json::from_str(body).expect("json");
            let list: Vec<String> = sent["allowlist"]
                .as_array()
                .expect("allowlist")
                .iter()
                .map(|e| e.as_str().expect("entry").to_owned())
                .collect();
            let problems: Vec<String> = list
                .iter()
                .enumerate()
                .filter(|(_, e)| e.chars().any(|c| c.is_ascii_alphabetic() && !"abcdef".contains(c)))
                .map(|(i, _)| format!("allowlist.{i}: not an address or a CIDR range (such as 192.0.2.0/24 or 2001:db8::/32)"))
                .collect();
            if !problems.is_empty() {
                return (
                    400,
                    json!({"code": "invalid", "message": problems.join("; ")}),
                );
            }
            let confirmed = sent["lock_out_confirmed"].as_bool().unwrap_or(false);
            if !list.is_empty() && !list.iter().any(|e| e.starts_with("10.")) && !confirmed {
                return (
                    409,
                    json!({"code": "conflict", "message": "this list does not include the address you are saving it from: you would be shut out; confirm to save it anyway"}),
                );
            }
            let list: Vec<String> = list
                .into_iter()
                .map(|e| {
                    if e == "10.1.2.3/8" {
                        "10.0.0.0/8".into()
                    } else {
                        e
                    }
                })
                .collect();
            *saved.borrow_mut() = list.clone();
            (200, json!({"allowlist": list}))
        }
        _ => (404, json!({"code": "not_found", "message": "no"})),
    })
}

fn area_value(root: &Element) -> String {
    one(root, "[data-testid=access-list]")
        .dyn_into::<HtmlTextAreaElement>()
        .expect("textarea")
        .value()
}

#[wasm_bindgen_test]
async fn the_allowlist_is_loaded_saved_normalised_refused_and_confirmed() {
    let server = access_server();
    let root = mount_point();
    yew::Renderer::<SessionsPage>::with_root_and_props(
        root.clone(),
        SessionsPageProps { admin: true },
    )
    .render();
    let form = wait_for(&root, "form[data-testid=access-form]").await;
    assert_eq!(area_value(&form), "192.0.2.0/24");
    let area = one(&form, "textarea[data-testid=access-list]");
    let id = area.get_attribute("id").expect("id");
    assert!(
        one(&form, &format!("label[for='{id}']"))
            .text_content()
            .is_some_and(|t| !t.is_empty()),
        "labelled"
    );
    let hint = area.get_attribute("aria-describedby").expect("described");
    assert_eq!(
        text(&form, &format!("#{hint}")),
        "Empty: every address. Behind a proxy, set client_ip_header. If you shut yourself out, run confide access reset on the server."
    );
    assert!(area.get_attribute("aria-invalid").is_none());
    assert!(
        text(&root, "section[data-testid=access-section] h3").contains("Who may reach the console")
    );

    // Saved: blank lines ignored, shown as the server normalised it.
    type_into(
        &form,
        "[data-testid=access-list]",
        "10.1.2.3/8\n\n  2001:db8::/32 \n",
    )
    .await;
    click(&form, "[data-testid=access-save]").await;
    let saved = wait_for(&form, "[data-testid=access-saved]").await;
    assert_eq!(saved.get_attribute("role").as_deref(), Some("status"));
    assert_eq!(saved.text_content().unwrap_or_default(), "Saved.");
    let sent: Value =
        serde_json::from_str(&server.last("PUT", "/api/admin/access").body).expect("json");
    assert_eq!(sent, json!({"allowlist": ["10.1.2.3/8", "2001:db8::/32"]}));
    assert_eq!(area_value(&form), "10.0.0.0/8\n2001:db8::/32");
    assert!(absent(&form, "[data-testid=access-error]"));

    // Refused: the server's words, and the textarea marked.
    type_into(
        &form,
        "[data-testid=access-list]",
        "10.0.0.0/8\nnot-an-address",
    )
    .await;
    assert!(absent(&form, "[data-testid=access-saved]"));
    click(&form, "[data-testid=access-save]").await;
    let error = wait_for(&form, "[data-testid=access-error]").await;
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert!(
        error
            .text_content()
            .unwrap_or_default()
            .starts_with("allowlist.1: not an address or a CIDR range"),
        "{:?}",
        error.text_content()
    );
    assert_eq!(
        attribute(&form, "[data-testid=access-list]", "aria-invalid").as_deref(),
        Some("true")
    );
    assert!(absent(&form, "[data-testid=access-saved]"));

    // A list that shuts the saver out: cancelled, nothing saved.
    type_into(&form, "[data-testid=access-list]", "192.0.2.0/24").await;
    click(&form, "[data-testid=access-save]").await;
    let lockout = wait_for(&form, "[data-testid=access-lockout]").await;
    assert_eq!(lockout.get_attribute("role").as_deref(), Some("alert"));
    assert!(lockout
        .text_content()
        .unwrap_or_default()
        .contains("you would be shut out"));
    assert!(absent(&form, "[data-testid=access-error]"));
    assert!(attribute(&form, "[data-testid=access-list]", "aria-invalid").is_none());
    assert_eq!(
        text(&lockout, "[data-testid=access-confirm]"),
        "Save anyway"
    );
    let puts = server.requests("PUT", "/api/admin/access").len();
    click(&lockout, "[data-testid=access-cancel]").await;
    assert!(absent(&form, "[data-testid=access-lockout]"));
    assert_eq!(server.requests("PUT", "/api/admin/access").len(), puts);
    assert_eq!(area_value(&form), "192.0.2.0/24");

    // Again, and saved anyway: the same list, confirmed.
    click(&form, "[data-testid=access-save]").await;
    wait_for(&form, "[data-testid=access-lockout]").await;
    click(&form, "[data-testid=access-confirm]").await;
    wait_for(&form, "[data-testid=access-saved]").await;
    let sent: Value =
        serde_json::from_str(&server.last("PUT", "/api/admin/access").body).expect("json");
    assert_eq!(
        sent,
        json!({"allowlist": ["192.0.2.0/24"], "lock_out_confirmed": true})
    );
    assert!(absent(&form, "[data-testid=access-lockout]"));
    assert_eq!(server.requests("PUT", "/api/admin/access").len(), puts + 2);

    // Emptied: every address.
    type_into(&form, "[data-testid=access-list]", "\n").await;
    click(&form, "[data-testid=access-save]").await;
    wait_for(&form, "[data-testid=access-saved]").await;
    let sent: Value =
        serde_json::from_str(&server.last("PUT", "/api/admin/access").body).expect("json");
    assert_eq!(sent, json!({"allowlist": []}));
    assert_eq!(area_value(&form), "");
    root.remove();
}

#[wasm_bindgen_test]
async fn without_operators_there_is_no_allowlist() {
    let server = access_server();
    let root = mount_point();
    yew::Renderer::<SessionsPage>::with_root_and_props(
        root.clone(),
        SessionsPageProps { admin: false },
    )
    .render();
    let page = wait_for(&root, "section[data-testid=sessions-page]").await;
    sleep_ms(50).await;
    yew::scheduler::flush().await;
    assert!(absent(&page, "[data-testid=access-section]"));
    assert!(absent(&page, "[data-testid=access-form]"));
    assert!(server.requests("GET", "/api/admin/access").is_empty());
    root.remove();
}

/// Operators, the Account page, the set-password page, the sign-in's second step and the
/// enrolment a role may require (issue 15).
#[path = "accounts.rs"]
mod accounts;
