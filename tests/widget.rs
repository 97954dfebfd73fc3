//! Widget tests that run in headless Chromium through wasm-bindgen-test.
#![cfg(target_arch = "wasm32")]

use confide_protocol::WidgetKey;
use confide_widget::{App, AppProps};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_root() -> web_sys::Element {
    let document = gloo_utils::document();
    let root = document.create_element("div").expect("create div");
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    root
}

#[wasm_bindgen_test]
async fn widget_renders_its_chat_frame_for_a_valid_key() {
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
