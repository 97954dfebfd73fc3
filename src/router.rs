//! Router mode (`/r/KEY`), built as its own small bundle (`src/bin/router.rs`, Trunk config
//! `Trunk.router.toml`), so widgets embedded with `data-widget` never download the routing
//! engine and its time zone table.
//!
//! The router's rules and the public settings of every widget they can pick arrive in one
//! request (`GET /api/router/KEY/config`), read by hand like [`crate::config`] (no serde in
//! the bundle; the tests compare with the protocol's serde form). The page gathers the
//! visitor's signals in the browser (time zone, languages, the host page from the loader, the
//! device from screen and pointer, the local clock of each schedule's zone), runs the
//! protocol's own `decide`, leaves the chosen widget's settings in session storage
//! ([`crate::persist::preloaded_key`]) and replaces itself with `/w/CHOSEN`, which reads them
//! instead of asking the server again. None of those signals is sent anywhere: only the
//! chosen widget's key goes out, in the iframe URL and in its `hello`.
//!
//! The router page chooses the interface language exactly as the widget will
//! (`browser::interface_language`), and a rule on `language` sees that choice: the visitor's
//! tags for that language (keeping their regions for the location guess), or the choice alone
//! when it came from the site or the visitor's pick. The site's `?lang=` goes on to the widget.

use crate::browser;
use crate::config::{field, get_string, string, At, ConfigError, Result, ROOT};
use crate::frames::decode_error_body;
use crate::json::Json;
use confide_protocol::i18n;
use confide_protocol::router::{decide, Visitor};
use confide_protocol::router::{
    Conditions, Device, PagePattern, Region, RouterRules, Rule, Schedule, Weekday,
};
use confide_protocol::WidgetKey;
use gloo_events::EventListener;
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;

/// What the router page needs from `GET /api/router/{key}/config` (a
/// [`confide_protocol::router::api::RouterConfig`]): the rules, the country the server
/// resolved, and which widgets came along. Their settings are not read here: the chosen
/// widget reads its own, as it does from its config endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    pub rules: RouterRules,
    pub widgets: Vec<WidgetKey>,
    pub country: Option<String>,
}

pub fn decode_router_config(text: &str) -> Result<Routing> {
    let Some(doc) = Json::parse(text) else {
        return ROOT.fail("the config is not valid JSON");
    };
    let rules_at = ROOT.child("rules");
    let rules = router_rules(field(&doc, &rules_at)?, &rules_at)?;
    let widgets_at = ROOT.child("widgets");
    let Json::Obj(entries) = field(&doc, &widgets_at)? else {
        return widgets_at.fail("expected an object");
    };
    let mut widgets = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let at = widgets_at.child(k);
        if !matches!(v, Json::Obj(_)) {
            return at.fail("expected an object");
        }
        widgets.push(key(&Json::Str(k.clone()), &at)?);
    }
    let country = match doc.get("country") {
        None | Some(Json::Null) => None,
        Some(c) => Some(string(c, &ROOT.child("country"))?),
    };
    Ok(Routing {
        rules,
        widgets,
        country,
    })
}

fn key(v: &Json, at: &At) -> Result<WidgetKey> {
    match v.as_str().map(WidgetKey::parse) {
        Some(Ok(k)) => Ok(k),
        _ => at.fail("expected a widget key"),
    }
}

fn get_key(v: &Json, at: &At, name: &str) -> Result<WidgetKey> {
    let at = at.child(name);
    key(field(v, &at)?, &at)
}

/// A list read with `f`, item by item.
fn list<T>(v: &Json, at: &At, f: impl Fn(&Json, &At) -> Result<T>) -> Result<Vec<T>> {
    let Some(items) = v.as_array() else {
        return at.fail("expected a list");
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let index = i.to_string();
        out.push(f(item, &at.child(&index))?);
    }
    Ok(out)
}

/// An optional list field.
fn opt_list<T>(
    v: &Json,
    at: &At,
    name: &str,
    f: impl Fn(&Json, &At) -> Result<T>,
) -> Result<Option<Vec<T>>> {
    match v.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(x) => list(x, &at.child(name), f).map(Some),
    }
}

/// A name read with `from_name`.
fn named<T>(
    v: &Json,
    at: &At,
    from_name: fn(&str) -> Option<T>,
    problem: &'static str,
) -> Result<T> {
    match v.as_str().and_then(from_name) {
        Some(t) => Ok(t),
        None => at.fail(problem),
    }
}

fn page_pattern(v: &Json, at: &At) -> Result<PagePattern> {
    let Json::Obj(fields) = v else {
        return at.fail("expected an object");
    };
    let [(kind, value)] = fields.as_slice() else {
        return at.fail("expected one of prefix, glob or host");
    };
    let value = string(value, &at.child(kind))?;
    match kind.as_str() {
        "prefix" => Ok(PagePattern::Prefix(value)),
        "glob" => Ok(PagePattern::Glob(value)),
        "host" => Ok(PagePattern::Host(value)),
        _ => at.fail("expected one of prefix, glob or host"),
    }
}

fn schedule(v: &Json, at: &At) -> Result<Schedule> {
    let days_at = at.child("days");
    Ok(Schedule {
        time_zone: get_string(v, at, "time_zone")?,
        days: list(field(v, &days_at)?, &days_at, |d, at| {
            named(d, at, Weekday::from_name, "expected a weekday such as mon")
        })?,
        from: get_string(v, at, "from")?,
        to: get_string(v, at, "to")?,
    })
}

fn conditions(v: &Json, at: &At) -> Result<Conditions> {
    Ok(Conditions {
        country_in: opt_list(v, at, "country_in", string)?,
        country_not_in: opt_list(v, at, "country_not_in", string)?,
        region_in: opt_list(v, at, "region_in", |r, at| {
            named(r, at, Region::from_name, "expected a region such as eu")
        })?,
        time_zone_in: opt_list(v, at, "time_zone_in", string)?,
        language: opt_list(v, at, "language", string)?,
        page: opt_list(v, at, "page", page_pattern)?,
        device: opt_list(v, at, "device", |d, at| {
            named(
                d,
                at,
                Device::from_name,
                "expected mobile, tablet or desktop",
            )
        })?,
        schedule: match v.get("schedule") {
            None | Some(Json::Null) => None,
            Some(s) => Some(schedule(s, &at.child("schedule"))?),
        },
    })
}

fn rule(v: &Json, at: &At) -> Result<Rule> {
    Ok(Rule {
        name: get_string(v, at, "name")?,
        target: get_key(v, at, "target")?,
        when: match v.get("when") {
            None => Conditions::default(),
            Some(w) => conditions(w, &at.child("when"))?,
        },
    })
}

fn router_rules(v: &Json, at: &At) -> Result<RouterRules> {
    let rules_at = at.child("rules");
    Ok(RouterRules {
        rules: list(field(v, &rules_at)?, &rules_at, rule)?,
        default_widget: get_key(v, at, "default_widget")?,
        unknown_location: get_key(v, at, "unknown_location")?,
    })
}

/// The chosen widget came along, or why not (the router names a widget the server did not
/// send: it was deleted).
pub fn chosen(config: &Routing, target: &WidgetKey) -> std::result::Result<(), ConfigError> {
    if config.widgets.contains(target) {
        Ok(())
    } else {
        Err(ConfigError {
            field: "widgets".into(),
            problem: "the chosen widget is missing",
        })
    }
}

/// The languages a router's rules see: with an interface language chosen, the visitor's tags
/// that are that language (so `de-AT` keeps its region), else the chosen code alone; with
/// none chosen, all of the visitor's languages.
pub fn rule_languages(chosen: Option<&str>, navigator: Vec<String>) -> Vec<String> {
    let Some(chosen) = chosen else {
        return navigator;
    };
    let kept: Vec<String> = navigator
        .into_iter()
        .filter(|t| i18n::match_tag(t) == Some(chosen))
        .collect();
    if kept.is_empty() {
        vec![chosen.to_owned()]
    } else {
        kept
    }
}

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

/// Decides for this visitor: the chosen widget and the config text to hand it (the
/// endpoint's `{"settings": …}` form), or a short reason to show for whoever debugs it.
pub async fn route(router: &WidgetKey) -> std::result::Result<(WidgetKey, String), String> {
    // Together: the request does not wait for the loader's answer.
    let (config, page_url) = futures::future::join(
        browser::get(&format!("/api/router/{router}/config")),
        host_page_url(),
    )
    .await;
    let text = match config {
        Some((200, body)) => body,
        Some((status, body)) => {
            return Err(decode_error_body(&body)
                .map_or_else(|| format!("HTTP {status}"), |e| e.code.to_string()))
        }
        None => return Err("offline".into()),
    };
    let config = decode_router_config(&text).map_err(|e| e.to_string())?;
    let rules = &config.rules;
    let mut visitor = Visitor {
        country: config.country.clone(),
        time_zone: browser::time_zone(),
        languages: rule_languages(browser::interface_language(), browser::languages()),
        page_url,
        device: browser::device(),
        ..Visitor::default()
    };
    // Inserted one by one: collecting into a map pulls a sort into the bundle.
    for zone in rules.schedule_zones() {
        if let Some(clock) = browser::local_clock(zone) {
            visitor.schedule_clock.insert(zone.to_owned(), clock);
        }
    }
    let target = decide(rules, &visitor).target;
    chosen(&config, &target).map_err(|e| e.to_string())?;
    // The chosen widget's settings exactly as the server sent them, re-wrapped by the
    // browser's own JSON (no JSON writer in this bundle).
    let settings = js_sys::JSON::parse(&text)
        .and_then(|v| js_sys::Reflect::get(&v, &"widgets".into()))
        .and_then(|w| js_sys::Reflect::get(&w, &target.as_str().into()))
        .map_err(|_| "the chosen widget is missing".to_owned())?;
    let wrapped = js_sys::Object::new();
    js_sys::Reflect::set(&wrapped, &"settings".into(), &settings)
        .map_err(|_| "cannot wrap the settings".to_owned())?;
    let json = js_sys::JSON::stringify(&wrapped)
        .map_err(|_| "cannot write the settings".to_owned())?
        .as_string()
        .unwrap_or_default();
    Ok((target, json))
}

#[cfg(test)]
mod tests {
    use super::*;
    use confide_protocol::router::api::RouterConfig;
    use confide_protocol::settings::WidgetSettings;

    fn key(s: &str) -> WidgetKey {
        WidgetKey::parse(s).expect("key")
    }

    fn sample() -> RouterConfig {
        let rules: RouterRules = serde_json::from_value(serde_json::json!({
            "rules": [
                {"name": "EU, German", "target": "privacy-de",
                 "when": {"region_in": ["gdpr"], "language": ["de"]}},
                {"name": "Sales", "target": "sales", "when": {
                    "page": [{"prefix": "https://x.example/pricing"}, {"glob": "https://*.x.example/docs/*"},
                             {"host": "shop.x.example"}],
                    "device": ["desktop", "tablet"], "country_not_in": ["CN"], "country_in": ["US", "CA"],
                    "time_zone_in": ["America/New_York"],
                    "schedule": {"time_zone": "America/New_York", "days": ["mon", "fri", "sun"],
                                 "from": "09:00", "to": "17:30"}}},
                {"name": "Everything else in Asia", "target": "sales", "when": {"region_in": ["asia", "north_america"]}}
            ],
            "default_widget": "standard",
            "unknown_location": "privacy-de"
        }))
        .expect("rules");
        let mut standard = WidgetSettings::defaults("https://example.com/privacy");
        standard.privacy_mode = false;
        RouterConfig {
            rules,
            widgets: [
                (
                    key("privacy-de"),
                    WidgetSettings::defaults("https://example.com/p"),
                ),
                (key("sales"), standard.clone()),
                (key("standard"), standard),
            ]
            .into(),
            country: Some("SE".into()),
        }
    }

    #[test]
    fn a_router_config_reads_back_exactly_as_the_server_writes_it() {
        let read = |config: &RouterConfig| {
            decode_router_config(&serde_json::to_string(config).expect("serialize"))
        };
        let config = sample();
        assert_eq!(
            read(&config),
            Ok(Routing {
                rules: config.rules.clone(),
                widgets: config.widgets.keys().cloned().collect(),
                country: Some("SE".into()),
            })
        );
        let mut without = config;
        without.country = None;
        assert_eq!(read(&without).map(|r| r.country), Ok(None));
    }

    #[test]
    fn broken_configs_name_the_field() {
        let mut v = serde_json::to_value(sample()).expect("value");
        v["rules"]["rules"][1]["when"]["device"][0] = serde_json::json!("phone");
        let e = decode_router_config(&v.to_string()).expect_err("refused");
        assert_eq!(e.field, "rules.rules.1.when.device.0");
        let mut v = serde_json::to_value(sample()).expect("value");
        v["rules"]["rules"][0]["when"]["region_in"] = serde_json::json!("eu");
        let e = decode_router_config(&v.to_string()).expect_err("refused");
        assert_eq!(e.field, "rules.rules.0.when.region_in");
        let mut v = serde_json::to_value(sample()).expect("value");
        v["rules"]["default_widget"] = serde_json::json!("Not A Key!");
        let e = decode_router_config(&v.to_string()).expect_err("refused");
        assert_eq!(e.field, "rules.default_widget");
        let mut v = serde_json::to_value(sample()).expect("value");
        v["widgets"]["sales"] = serde_json::json!("not settings");
        let e = decode_router_config(&v.to_string()).expect_err("refused");
        assert_eq!(e.field, "widgets.sales");
        assert!(decode_router_config("[]").is_err());
        assert!(decode_router_config("nope").is_err());
    }

    #[test]
    fn rules_see_the_interface_language_the_widget_will_show() {
        let l = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            rule_languages(Some("de"), l(&["de-AT", "en-GB", "de"])),
            l(&["de-AT", "de"])
        );
        assert_eq!(rule_languages(Some("fr"), l(&["de-AT"])), l(&["fr"]));
        assert_eq!(
            rule_languages(Some("pt-BR"), l(&["pt-BR", "pt-PT"])),
            l(&["pt-BR"])
        );
        assert_eq!(rule_languages(None, l(&["ko", "ja"])), l(&["ko", "ja"]));
        // A rule for German speakers does not catch a French visitor who also reads German.
        let config = decode_router_config(&serde_json::to_string(&sample()).expect("json"))
            .expect("decoded");
        let visitor = |languages| Visitor {
            time_zone: Some("Europe/Berlin".into()),
            languages,
            ..Visitor::default()
        };
        let both = l(&["fr-FR", "de-DE"]);
        assert_eq!(
            decide(&config.rules, &visitor(both.clone())).target,
            key("privacy-de")
        );
        assert_ne!(
            decide(&config.rules, &visitor(rule_languages(Some("fr"), both))).target,
            key("privacy-de")
        );
    }

    #[test]
    fn the_decoded_rules_decide_like_the_protocols() {
        let config = decode_router_config(&serde_json::to_string(&sample()).expect("json"))
            .expect("decoded");
        let berlin = Visitor {
            time_zone: Some("Europe/Berlin".into()),
            languages: vec!["de-DE".into(), "en".into()],
            ..Visitor::default()
        };
        let d = decide(&config.rules, &berlin);
        assert_eq!(d.target, key("privacy-de"));
        assert!(chosen(&config, &d.target).is_ok());
        assert!(chosen(&config, &key("gone")).is_err());
    }
}
