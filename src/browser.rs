//! Thin wrappers over the browser APIs the widget uses: storage, random ids, the host page
//! (`postMessage` to the loader), the visitor's languages, SHA-256 from WebCrypto,
//! same-origin requests, local time and file downloads. Every call tolerates a missing API
//! (storage blocked in a third-party iframe, for example) by doing nothing.

use crate::persist::{client_id_from, hex};
use confide_protocol::chat::ClientMsgId;
use confide_protocol::details::PageContext;
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Which storage area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Survives the browser session: the visitor token.
    Local,
    /// Survives a reload only: the outbox.
    Session,
}

fn storage(area: Area) -> Option<web_sys::Storage> {
    let window = web_sys::window()?;
    let storage = match area {
        Area::Local => window.local_storage(),
        Area::Session => window.session_storage(),
    };
    storage.ok().flatten()
}

pub fn storage_get(area: Area, key: &str) -> Option<String> {
    storage(area)?.get_item(key).ok().flatten()
}

pub fn storage_set(area: Area, key: &str, value: &str) {
    if let Some(s) = storage(area) {
        let _ = s.set_item(key, value);
    }
}

pub fn storage_remove(area: Area, key: &str) {
    if let Some(s) = storage(area) {
        let _ = s.remove_item(key);
    }
}

/// A fresh message id from `crypto.getRandomValues`.
pub fn new_client_id() -> Option<ClientMsgId> {
    let mut bytes = [0u8; 16];
    web_sys::window()?
        .crypto()
        .ok()?
        .get_random_values_with_u8_array(&mut bytes)
        .ok()?;
    client_id_from(&bytes)
}

/// A number in [0, 1) for jitter (not for anything secret).
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// `ws(s)://<this origin>/ws/visitor`.
pub fn visitor_socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss:"
    } else {
        "ws:"
    };
    Some(format!("{scheme}//{}/ws/visitor", location.host().ok()?))
}

/// The page is visible (not a background tab, not minimised).
pub fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| !d.hidden())
}

/// The host page's window, when the widget runs in its iframe (not opened directly).
pub fn parent_window() -> Option<web_sys::Window> {
    let window = web_sys::window()?;
    let parent = window.parent().ok().flatten()?;
    let same: &JsValue = parent.as_ref();
    (same != AsRef::<JsValue>::as_ref(&window)).then_some(parent)
}

/// Tells the loader something. The target origin is `*` because the widget does not know the
/// host page's origin, so messages carry no personal data: a kind and at most a count.
pub fn post_to_host(kind: &str, count: Option<u32>) {
    let Some(parent) = parent_window() else {
        return;
    };
    let msg = Object::new();
    let _ = Reflect::set(&msg, &"confide".into(), &kind.into());
    if let Some(n) = count {
        let _ = Reflect::set(&msg, &"count".into(), &n.into());
    }
    let _ = parent.post_message(&msg, "*");
}

/// What the loader may tell the widget: `{confide: "state", open: bool}`.
pub fn host_state_open(data: &JsValue) -> Option<bool> {
    let kind = Reflect::get(data, &"confide".into()).ok()?.as_string()?;
    if kind != "state" {
        return None;
    }
    Reflect::get(data, &"open".into()).ok()?.as_bool()
}

/// The host page's URL and referrer from the loader's state message, cut to what Confide
/// keeps (no query, no fragment; http(s) only).
pub fn host_page(data: &JsValue) -> Option<PageContext> {
    let text = |key: &str| Reflect::get(data, &key.into()).ok()?.as_string();
    PageContext {
        page: text("page"),
        referrer: text("ref"),
    }
    .cleaned()
}

/// The host page's full URL from the loader's state message, for routing only: it stays in
/// the browser.
pub fn host_page_url(data: &JsValue) -> Option<String> {
    Reflect::get(data, &"page".into()).ok()?.as_string()
}

/// The browser's IANA time zone (`Intl.DateTimeFormat().resolvedOptions().timeZone`).
pub fn time_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &Object::new());
    Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()?
        .as_string()
}

/// The weekday and minute of the day now in `zone`, from `Intl` (`None` for a zone the
/// browser does not know).
pub fn local_clock(zone: &str) -> Option<confide_protocol::router::LocalClock> {
    let options = Object::new();
    for (k, v) in [
        ("timeZone", zone),
        ("weekday", "short"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
    ] {
        Reflect::set(&options, &k.into(), &v.into()).ok()?;
    }
    let locales = js_sys::Array::of1(&"en-US".into());
    // An unknown zone throws a RangeError: catch it rather than trap.
    let constructor: js_sys::Function = Reflect::get(&js_sys::global(), &"Intl".into())
        .and_then(|intl| Reflect::get(&intl, &"DateTimeFormat".into()))
        .ok()?
        .dyn_into()
        .ok()?;
    let format = Reflect::construct(&constructor, &js_sys::Array::of2(&locales, &options))
        .ok()?
        .unchecked_into::<js_sys::Intl::DateTimeFormat>();
    let parts = format.format_to_parts(&js_sys::Date::new_0());
    let (mut day, mut hour, mut minute) = (None, None, None);
    for part in parts.iter() {
        let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
        let value = Reflect::get(&part, &"value".into()).ok()?.as_string()?;
        match kind.as_str() {
            "weekday" => day = Some(value.to_ascii_lowercase()),
            "hour" => hour = value.parse::<u16>().ok(),
            "minute" => minute = value.parse::<u16>().ok(),
            _ => {}
        }
    }
    let day = day?;
    let weekday = confide_protocol::router::Weekday::from_name(day.get(..3)?)?;
    Some(confide_protocol::router::LocalClock {
        weekday,
        minute: (hour? % 24) * 60 + minute?,
    })
}

/// The kind of device, from the screen's shorter side and the pointer (never the user agent).
pub fn device() -> Option<confide_protocol::router::Device> {
    let window = web_sys::window()?;
    let screen = window.screen().ok()?;
    let width = screen.width().ok()?.min(screen.height().ok()?);
    let query = |q: &str| {
        window
            .match_media(q)
            .ok()
            .flatten()
            .is_some_and(|m| m.matches())
    };
    Some(confide_protocol::router::device_from(
        f64::from(width),
        query("(pointer: coarse)"),
        query("(hover: hover)"),
    ))
}

/// POSTs `body` as JSON to a same-origin `path`, without a referrer. Returns the status and
/// the response text, or `None` when the request failed (offline).
pub async fn post_json(path: &str, body: &str) -> Option<(u16, String)> {
    request("POST", path, Some(body)).await
}

/// GETs a same-origin `path`, without a referrer or credentials. Returns the status and the
/// response text, or `None` when the request failed (offline).
pub async fn get(path: &str) -> Option<(u16, String)> {
    request("GET", path, None).await
}

async fn request(method: &str, path: &str, json_body: Option<&str>) -> Option<(u16, String)> {
    let window = web_sys::window()?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = json_body {
        let headers = web_sys::Headers::new().ok()?;
        headers.set("Content-Type", "application/json").ok()?;
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(body));
    }
    init.set_referrer_policy(web_sys::ReferrerPolicy::NoReferrer);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    let response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .ok()?
        .dyn_into::<web_sys::Response>()
        .ok()?;
    let status = response.status();
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Some((status, text))
}

/// The visitor's languages, most preferred first (`navigator.languages`, else
/// `navigator.language`); empty when the browser says nothing.
pub fn languages() -> Vec<String> {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return Vec::new();
    };
    let list: Vec<String> = navigator
        .languages()
        .iter()
        .filter_map(|l| l.as_string())
        .collect();
    if list.is_empty() {
        navigator.language().into_iter().collect()
    } else {
        list
    }
}

/// The SHA-256 of `text` (UTF-8) as 64 lower-case hex digits, from WebCrypto
/// (`crypto.subtle.digest`), so no hash code ships in the bundle. `None` where WebCrypto is
/// missing (pages not served over HTTPS or from localhost).
pub async fn sha256_hex(text: &str) -> Option<String> {
    let crypto = web_sys::window()?.crypto().ok()?;
    // `crypto.subtle` is undefined outside secure contexts.
    let subtle = Reflect::get(&crypto, &"subtle".into()).ok()?;
    if subtle.is_undefined() || subtle.is_null() {
        return None;
    }
    let subtle: web_sys::SubtleCrypto = subtle.unchecked_into();
    let promise = subtle
        .digest_with_str_and_u8_array("SHA-256", text.as_bytes())
        .ok()?;
    let digest = JsFuture::from(promise).await.ok()?;
    let bytes = js_sys::Uint8Array::new(&digest).to_vec();
    (bytes.len() == 32).then(|| hex(&bytes))
}

/// Offers `content` as a file: a Blob, an object URL and a click on a temporary
/// `<a download>` that is never added to the page. The URL is revoked a moment later.
pub fn download(file_name: &str, mime: &str, content: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&JsValue::from_str(content));
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = document.create_element("a") {
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", file_name);
        if let Some(a) = a.dyn_ref::<web_sys::HtmlElement>() {
            a.click();
        }
    }
    gloo_timers::callback::Timeout::new(1_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
}

/// The local time's offset from UTC at `at` (unix ms), in minutes, east positive.
pub fn utc_offset_min(at: i64) -> i64 {
    -(js_sys::Date::new(&JsValue::from_f64(at as f64)).get_timezone_offset() as i64)
}

/// `at` (unix ms) as a date and time in the visitor's time zone, written the way `lang` (the
/// interface language) writes them.
pub fn local_date_time(at: i64, lang: &str) -> String {
    let lang = if lang.is_empty() { "default" } else { lang };
    js_sys::Date::new(&JsValue::from_f64(at as f64))
        .to_locale_string(lang, &JsValue::UNDEFINED)
        .into()
}

/// The interface language for this visitor, as both the router page and the widget choose
/// it (`i18n::choose`): the one picked in the widget's menu (kept in `localStorage`, one for
/// the chat origin), else the site's `data-lang`, else the best of `navigator.languages`.
pub fn interface_language() -> Option<&'static str> {
    let picked = storage_get(Area::Local, crate::persist::LANGUAGE_KEY);
    confide_protocol::i18n::choose(picked.as_deref(), site_language().as_deref(), &languages())
}

/// The `lang` the loader put in the iframe's address (`/w/KEY?lang=de`, from the snippet's
/// `data-lang`): the site owner's choice of interface language.
pub fn site_language() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="))
        .filter(|v| {
            !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
}

/// Tells the document which language and direction its text is in (`<html lang dir>`, the
/// title), so screen readers pronounce it and the browser lays it out right.
pub fn set_document_language(lang: &str, rtl: bool, title: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(html) = document.document_element() {
        let _ = html.set_attribute("lang", lang);
        let _ = html.set_attribute("dir", if rtl { "rtl" } else { "ltr" });
    }
    document.set_title(title);
}

/// The first element matching `selector`.
pub fn element(selector: &str) -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .query_selector(selector)
        .ok()??
        .dyn_into()
        .ok()
}

/// Moves focus to the first element matching `selector`, if there is one.
pub fn focus(selector: &str) {
    if let Some(el) = element(selector) {
        let _ = el.focus();
    }
}

/// When this document has the focus (the loader focused the iframe, or the widget runs on its
/// own) but no control holds it, gives it to the current view's first control
/// (`.confide-first`, outside anything inert): the composer, the consent checkbox, the first
/// pre-chat field, "Try again".
pub fn focus_first() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if !document.has_focus().unwrap_or(false) {
        return;
    }
    let idle = match document.active_element() {
        None => true,
        Some(el) => document.body().is_some_and(|b| {
            let body: &web_sys::Element = b.as_ref();
            *body == el
        }),
    };
    if idle {
        focus(".confide-first:not([inert] *)");
    }
}
