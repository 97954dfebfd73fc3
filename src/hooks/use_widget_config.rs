//! `use_widget_config`: loads the widget's settings (`GET /api/widget/{key}/config`, same
//! origin, no referrer, no credentials) on mount and whenever the gate asks again, and hands
//! them to the [`Gate`] with the visitor's languages and the consent stored from an earlier
//! visit (read only when the widget requires consent) and the pre-chat values kept with it.
//!
//! At the same time it loads the interface language's texts (`/widget/i18n/<code>.json`, the
//! same way), as soon as the gate knows the language, and again when it changes: both
//! requests go out together after the click.

use crate::browser::{self, Area};
use crate::config::decode_config;
use crate::frames::{decode_consent, decode_error_body, decode_fields};
use crate::gate::{Failure, Gate, GateAction, Stage};
use crate::persist::{consent_key, fields_key, preloaded_key};
use crate::strings::{file_path, Strings};
use confide_protocol::i18n::Text;
use confide_protocol::settings::WidgetSettings;
use confide_protocol::{ErrorCode, WidgetKey};
use yew::prelude::*;

/// The path of a widget's settings.
pub fn config_path(widget: &WidgetKey) -> String {
    format!("/api/widget/{widget}/config")
}

/// The gate's `Loaded` for these settings, with what this browser kept from an earlier visit.
pub fn loaded(widget: &WidgetKey, settings: WidgetSettings) -> GateAction {
    let stored = if settings.consent.required {
        browser::storage_get(Area::Local, &consent_key(widget))
            .and_then(|json| decode_consent(&json))
    } else {
        None
    };
    let stored_fields = if settings.prechat_fields.any_shown() {
        browser::storage_get(Area::Local, &fields_key(widget)).and_then(|json| decode_fields(&json))
    } else {
        None
    };
    GateAction::Loaded {
        settings: Box::new(settings),
        stored,
        stored_fields,
        languages: browser::languages(),
    }
}

async fn load(widget: &WidgetKey) -> GateAction {
    match browser::get(&config_path(widget)).await {
        Some((200, body)) => match decode_config(&body) {
            Ok(settings) => loaded(widget, settings),
            Err(e) => GateAction::LoadFailed(Failure::Broken(e.to_string())),
        },
        Some((status, body)) => {
            let not_found = status == 404
                && decode_error_body(&body).is_some_and(|e| e.code == ErrorCode::WidgetNotFound);
            GateAction::LoadFailed(if not_found {
                Failure::NotFound
            } else {
                Failure::Broken(format!("HTTP {status}"))
            })
        }
        None => GateAction::LoadFailed(Failure::Offline),
    }
}

/// The language file for `lang`, parsed; on success the document learns its language.
async fn load_strings(lang: &'static str) -> GateAction {
    let loaded = match browser::get(&file_path(lang)).await {
        Some((200, body)) => Strings::parse(lang, &body),
        _ => None,
    };
    if let Some(t) = &loaded {
        browser::set_document_language(lang, t.rtl(), &t.get(Text::Chat));
    }
    GateAction::Strings(lang, loaded.map(std::rc::Rc::new))
}

/// Loads the settings, the first time from what a router left in session storage when it
/// picked this widget (the settings came with its rules, see [`crate::router`]), else (and
/// after a retry, a refusal or a withdrawal) from the server; and the language file of the
/// gate's language unless it is the one shown. One effect, both requests at once.
#[hook]
pub fn use_widget_config(widget: &WidgetKey, gate: &UseReducerHandle<Gate>) {
    let dispatcher = gate.dispatcher();
    // Read when the effect runs: the settings are wanted only while the gate loads them (a
    // language picked later fetches its file alone), the file unless it is on screen.
    let need_settings = matches!(gate.stage, Stage::Loading);
    let have = gate.t.lang;
    let deps = (widget.clone(), gate.fetch, gate.language);
    use_effect_with(deps, move |(widget, fetch, language)| {
        let mut widget = Some(widget.clone()).filter(|_| need_settings);
        if let Some(key) = widget.as_ref().map(preloaded_key) {
            let preloaded = browser::storage_get(Area::Session, &key);
            browser::storage_remove(Area::Session, &key);
            if let Some(settings) = preloaded
                .filter(|_| *fetch == 0)
                .and_then(|text| decode_config(&text).ok())
            {
                if let Some(w) = widget.take() {
                    dispatcher.dispatch(loaded(&w, settings));
                }
            }
        }
        let lang = language.filter(|l| *l != have);
        if widget.is_some() || lang.is_some() {
            wasm_bindgen_futures::spawn_local(async move {
                let settings = async {
                    match &widget {
                        Some(w) => Some(load(w).await),
                        None => None,
                    }
                };
                let strings = async {
                    match lang {
                        Some(lang) => Some(load_strings(lang).await),
                        None => None,
                    }
                };
                let (a, b) = futures::future::join(settings, strings).await;
                for action in [a, b].into_iter().flatten() {
                    dispatcher.dispatch(action);
                }
            });
        }
    });
}
