//! Entry point of the router bundle (`/r/KEY`, built by Trunk from www/router.html): decide in
//! the browser which widget this visitor gets, hand it its settings, and become that widget.
//! No Yew in here, so the bundle is the routing engine and little else.

// talc instead of std's dlmalloc, as in the widget (src/main.rs).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use confide_protocol::WidgetKey;
use confide_widget::browser::{self, Area};
use confide_widget::persist::preloaded_key;

fn main() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_default();
    let router = path
        .strip_prefix("/r/")
        .and_then(|rest| WidgetKey::parse(rest.trim_end_matches('/')).ok());
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = match router {
            Some(router) => confide_widget::router::route(&router).await,
            None => Err("not a router address".to_owned()),
        };
        match outcome {
            Ok((widget, settings)) => {
                browser::storage_set(Area::Session, &preloaded_key(&widget), &settings);
                // Replace, not push: the back button does not return to the router page.
                let _ = window.location().replace(&format!("/w/{widget}"));
            }
            Err(problem) => {
                if let Some(status) = window
                    .document()
                    .and_then(|d| d.get_element_by_id("confide-status"))
                {
                    status.set_text_content(Some("This chat is not available."));
                    let _ = status.set_attribute("data-problem", &problem);
                    let _ = status.set_attribute("role", "alert");
                }
            }
        }
    });
}
