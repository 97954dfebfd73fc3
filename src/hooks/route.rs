//! The router's decision, made in the browser: fetch the rules and the candidate widgets'
//! settings in one request, ask the loader for the host page (`ready` → `state`), wait for it
//! briefly, gather the other signals, and run the protocol's `decide`.

use crate::browser;
use crate::frames::decode_error_body;
use crate::router::{chosen, decode_router_config};
use confide_protocol::router::{decide, Visitor};
use confide_protocol::settings::WidgetSettings;
use confide_protocol::WidgetKey;
use gloo_events::EventListener;
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;

/// How long to wait for the loader to say which page this is.
const PAGE_WAIT_MS: u32 = 600;

/// The host page's URL as the loader reports it, or `None` (not embedded, or no answer in
/// [`PAGE_WAIT_MS`]).
async fn host_page_url() -> Option<String> {
    let parent = browser::parent_window()?;
    let window = web_sys::window()?;
    let page = Rc::new(RefCell::new(None::<String>));
    let _listener = {
        let page = page.clone();
        EventListener::new(&window, "message", move |e| {
            let Some(e) = e.dyn_ref::<MessageEvent>() else {
                return;
            };
            let from_parent = e.source().is_some_and(|s| {
                AsRef::<wasm_bindgen::JsValue>::as_ref(&s)
                    == AsRef::<wasm_bindgen::JsValue>::as_ref(&parent)
            });
            if from_parent && browser::host_state_open(&e.data()).is_some() {
                *page.borrow_mut() = browser::host_page_url(&e.data());
            }
        })
    };
    browser::post_to_host("ready", None);
    for _ in 0..PAGE_WAIT_MS / 20 {
        if page.borrow().is_some() {
            break;
        }
        TimeoutFuture::new(20).await;
    }
    let url = page.borrow_mut().take();
    url
}

/// The chosen widget and its settings, or a short reason for the `data-problem` attribute.
pub async fn route(router: &WidgetKey) -> Result<(WidgetKey, Rc<WidgetSettings>), String> {
    // Together: the request does not wait for the loader's answer.
    let (config, page_url) = futures::future::join(
        browser::get(&format!("/api/router/{router}/config")),
        host_page_url(),
    )
    .await;
    let config = match config {
        Some((200, body)) => decode_router_config(&body).map_err(|e| e.to_string())?,
        Some((status, body)) => {
            return Err(decode_error_body(&body)
                .map_or_else(|| format!("HTTP {status}"), |e| e.code.to_string()))
        }
        None => return Err("offline".into()),
    };
    let rules = &config.rules;
    let visitor = Visitor {
        country: config.country.clone(),
        time_zone: browser::time_zone(),
        languages: browser::languages(),
        page_url,
        device: browser::device(),
        schedule_clock: rules
            .schedule_zones()
            .into_iter()
            .filter_map(|zone| Some((zone.to_owned(), browser::local_clock(zone)?)))
            .collect(),
    };
    let target = decide(rules, &visitor).target;
    let settings = chosen(&config, &target).map_err(|e| e.to_string())?;
    Ok((target, Rc::new(settings)))
}
