//! Console tests that run in headless Chromium through wasm-bindgen-test.
#![cfg(target_arch = "wasm32")]

use confide_console::Console;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn console_renders_its_shell() {
    let document = gloo_utils::document();
    let root = document.create_element("div").expect("div");
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    yew::Renderer::<Console>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    let shell = root
        .query_selector("[data-confide-console]")
        .expect("query")
        .expect("console shell rendered");
    assert!(shell
        .text_content()
        .unwrap_or_default()
        .contains("Confide console"));
}
