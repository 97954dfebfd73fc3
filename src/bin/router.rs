//! Entry point of the router bundle (`/r/KEY`, built by Trunk from www/router.html): decide in
//! the browser which widget this visitor gets, hand it its settings, and become that widget.
//! No Yew in here, so the bundle is the routing engine and little else.

// talc instead of std's dlmalloc, as in the widget (src/main.rs).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use confide_protocol::i18n::Text;
use confide_protocol::WidgetKey;
use confide_widget::browser::{self, Area};
use confide_widget::persist::preloaded_key;
use confide_widget::strings::{file_path, Strings};

/// "This chat is not available." in the visitor's language (from its language file), with
/// the document's language set to match; the built-in English when there is none.
async fn unavailable() -> String {
    if let Some(lang) = browser::interface_language() {
        if let Some((200, body)) = browser::get(&file_path(lang)).await {
            if let Some(t) = Strings::parse(lang, &body) {
                browser::set_document_language(lang, t.rtl(), &t.get(Text::Chat));
                return t.get(Text::Unavailable).to_string();
            }
        }
    }
    Strings::builtin().get(Text::Unavailable).to_string()
}

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
                // Replace, not push: the back button does not return to the router page. The
                // site's data-lang goes on, so the widget chooses the language chosen here.
                let lang = browser::site_language().unwrap_or_default();
                let _ = window
                    .location()
                    .replace(&format!("/w/{widget}?lang={lang}"));
            }
            Err(problem) => {
                let text = unavailable().await;
                if let Some(status) = window
                    .document()
                    .and_then(|d| d.get_element_by_id("confide-status"))
                {
                    status.set_text_content(Some(&text));
                    let _ = status.set_attribute("data-problem", &problem);
                    let _ = status.set_attribute("role", "alert");
                }
            }
        }
    });
}
