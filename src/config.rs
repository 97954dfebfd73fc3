//! The widget's settings from `GET /api/widget/{key}/config`, read by hand from a [`Json`]
//! value into the protocol's own [`WidgetSettings`] (no serde in the bundle, see
//! [`crate::json`]), so the widget calls the protocol's `disclaimer_for` and `shown_text`
//! rather than copies of them.
//!
//! The mapping follows the protocol's serde form (the tests compare the two), with one
//! deliberate difference: fields this widget does not know are ignored, so a newer server can
//! add settings without breaking widgets already open in visitors' browsers. A missing or
//! wrongly typed field is an error that names the field.

use crate::json::Json;
use confide_protocol::settings::{
    Consent, CustomField, Disclaimer, Launcher, PrechatFields, PrivacyLink, Requirement, Side,
    WidgetSettings,
};
use std::collections::BTreeMap;
use std::fmt;

/// What is wrong with a config document: where (a dotted path) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted path of the field, such as `settings.consent.version`; empty for the document.
    pub field: String,
    pub problem: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(self.problem)
        } else {
            write!(f, "{}: {}", self.field, self.problem)
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, ConfigError>;

/// Where a value sits in the document, as a chain of keys on the stack: the dotted path is
/// written only when something is wrong, so reading a good config allocates no paths.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    parent: Option<&'a At<'a>>,
    key: &'a str,
}

pub(crate) const ROOT: At<'static> = At {
    parent: None,
    key: "",
};

impl<'a> At<'a> {
    pub(crate) fn child(&'a self, key: &'a str) -> At<'a> {
        At {
            parent: Some(self),
            key,
        }
    }

    fn push_path(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.push_path(out);
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(self.key);
        }
    }

    pub(crate) fn fail<T>(&self, problem: &'static str) -> Result<T> {
        let mut field = String::new();
        self.push_path(&mut field);
        Err(ConfigError { field, problem })
    }
}

/// The body of `GET /api/widget/{key}/config`: `{"settings": {...}}`.
pub fn decode_config(text: &str) -> Result<WidgetSettings> {
    let Some(doc) = Json::parse(text) else {
        return ROOT.fail("the config is not valid JSON");
    };
    let at = ROOT.child("settings");
    widget_settings(field(&doc, &at)?, &at)
}

/// The field `at.key` of the object `v` (which sits at `at.parent`).
pub(crate) fn field<'j>(v: &'j Json, at: &At) -> Result<&'j Json> {
    match v {
        Json::Obj(_) => match v.get(at.key) {
            Some(x) => Ok(x),
            None => at.fail("missing"),
        },
        _ => at.parent.unwrap_or(&ROOT).fail("expected an object"),
    }
}

pub(crate) fn string(v: &Json, at: &At) -> Result<String> {
    match v.as_str() {
        Some(s) => Ok(s.to_owned()),
        None => at.fail("expected text"),
    }
}

pub(crate) fn get_string(v: &Json, at: &At, key: &str) -> Result<String> {
    let at = at.child(key);
    string(field(v, &at)?, &at)
}

fn get_bool(v: &Json, at: &At, key: &str) -> Result<bool> {
    let at = at.child(key);
    match field(v, &at)?.as_bool() {
        Some(b) => Ok(b),
        None => at.fail("expected true or false"),
    }
}

/// An object read as a map from its keys to values read with `f`.
fn map_of<T>(
    v: &Json,
    at: &At,
    f: impl Fn(&Json, &At) -> Result<T>,
) -> Result<BTreeMap<String, T>> {
    let Json::Obj(fields) = v else {
        return at.fail("expected an object");
    };
    // Inserted one by one: collecting into a map pulls a sort into the bundle (about 6 KB).
    let mut map = BTreeMap::new();
    for (k, x) in fields {
        map.insert(k.clone(), f(x, &at.child(k))?);
    }
    Ok(map)
}

fn get_map_of<T>(
    v: &Json,
    at: &At,
    key: &str,
    f: impl Fn(&Json, &At) -> Result<T>,
) -> Result<BTreeMap<String, T>> {
    let at = at.child(key);
    map_of(field(v, &at)?, &at, f)
}

fn get_requirement(v: &Json, at: &At, key: &str) -> Result<Requirement> {
    let at = at.child(key);
    match field(v, &at)?.as_str() {
        Some("off") => Ok(Requirement::Off),
        Some("optional") => Ok(Requirement::Optional),
        Some("required") => Ok(Requirement::Required),
        _ => at.fail("expected off, optional or required"),
    }
}

fn disclaimer(v: &Json, at: &At) -> Result<Disclaimer> {
    Ok(Disclaimer {
        title: get_string(v, at, "title")?,
        body: get_string(v, at, "body")?,
        checkbox_label: get_string(v, at, "checkbox_label")?,
        start_label: get_string(v, at, "start_label")?,
        // The server words it; absent when a widget keeps no notice.
        retention: v
            .get("retention")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

fn consent(v: &Json, at: &At) -> Result<Consent> {
    let version_at = at.child("version");
    let Some(version) = field(v, &version_at)?
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
    else {
        return version_at.fail("expected a whole number from 0 to 4294967295");
    };
    Ok(Consent {
        required: get_bool(v, at, "required")?,
        version,
        texts: get_map_of(v, at, "texts", disclaimer)?,
    })
}

fn privacy_link(v: &Json, at: &At) -> Result<Option<PrivacyLink>> {
    match v.get("privacy_link") {
        None | Some(Json::Null) => Ok(None),
        Some(link) => {
            let at = at.child("privacy_link");
            Ok(Some(PrivacyLink {
                url: get_string(link, &at, "url")?,
                labels: get_map_of(link, &at, "labels", string)?,
            }))
        }
    }
}

fn custom_field(v: &Json, at: &At) -> Result<CustomField> {
    Ok(CustomField {
        key: get_string(v, at, "key")?,
        requirement: get_requirement(v, at, "requirement")?,
        labels: get_map_of(v, at, "labels", string)?,
    })
}

fn prechat_fields(v: &Json, at: &At) -> Result<PrechatFields> {
    let custom = match v.get("custom") {
        None => Vec::new(),
        Some(list) => {
            let at = at.child("custom");
            let Some(items) = list.as_array() else {
                return at.fail("expected a list");
            };
            let mut custom = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let index = i.to_string();
                custom.push(custom_field(item, &at.child(&index))?);
            }
            custom
        }
    };
    Ok(PrechatFields {
        name: get_requirement(v, at, "name")?,
        email: get_requirement(v, at, "email")?,
        custom,
    })
}

fn launcher(v: &Json, at: &At) -> Result<Launcher> {
    let position_at = at.child("position");
    let position = match field(v, &position_at)?.as_str() {
        Some("left") => Side::Left,
        Some("right") => Side::Right,
        _ => return position_at.fail("expected left or right"),
    };
    Ok(Launcher {
        color: get_string(v, at, "color")?,
        position,
        label: get_string(v, at, "label")?,
    })
}

pub(crate) fn widget_settings(v: &Json, at: &At) -> Result<WidgetSettings> {
    let consent_at = at.child("consent");
    let prechat_at = at.child("prechat_fields");
    let launcher_at = at.child("launcher");
    Ok(WidgetSettings {
        default_language: get_string(v, at, "default_language")?,
        consent: consent(field(v, &consent_at)?, &consent_at)?,
        privacy_link: privacy_link(v, at)?,
        privacy_mode: get_bool(v, at, "privacy_mode")?,
        prechat_fields: prechat_fields(field(v, &prechat_at)?, &prechat_at)?,
        live_preview: get_bool(v, at, "live_preview")?,
        typing_indicator: get_bool(v, at, "typing_indicator")?,
        launcher: launcher(field(v, &launcher_at)?, &launcher_at)?,
        // The widget shows the retention the server words for it, not the numbers.
        retention: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use confide_protocol::chat::WidgetConfig;
    use serde_json::{json, Value};

    fn demo() -> WidgetSettings {
        WidgetSettings::defaults("https://example.com/privacy")
    }

    fn as_served(settings: &WidgetSettings) -> Value {
        serde_json::to_value(WidgetConfig {
            settings: settings.clone(),
        })
        .expect("serialize")
    }

    fn decode(v: &Value) -> Result<WidgetSettings> {
        decode_config(&v.to_string())
    }

    fn error_of(v: &Value) -> String {
        decode(v).expect_err("refused").to_string()
    }

    #[test]
    fn the_demo_settings_read_back_exactly_as_the_server_writes_them() {
        let s = demo();
        assert_eq!(decode(&as_served(&s)), Ok(s));
    }

    #[test]
    fn every_kind_of_setting_reads_back_as_written() {
        let mut s = demo();
        s.consent.required = false;
        s.consent.version = u32::MAX;
        s.consent.texts.get_mut("de").expect("de").body =
            "Zeile 1\nZeile 2 <b>fett</b> \"q\" é 😀".into();
        s.privacy_mode = false;
        s.live_preview = true;
        s.typing_indicator = false;
        s.default_language = "de".into();
        s.prechat_fields = PrechatFields {
            name: Requirement::Required,
            email: Requirement::Optional,
            custom: vec![CustomField {
                key: "order_no".into(),
                requirement: Requirement::Off,
                labels: [("en".to_owned(), "Order".to_owned())].into(),
            }],
        };
        s.launcher = Launcher {
            color: "#000000".into(),
            position: Side::Left,
            label: "Hilfe".into(),
        };
        assert_eq!(decode(&as_served(&s)), Ok(s.clone()));
        s.privacy_link = None;
        assert_eq!(decode(&as_served(&s)), Ok(s));
    }

    #[test]
    fn optional_parts_may_be_left_out_and_unknown_fields_are_ignored() {
        let mut v = as_served(&demo());
        v["settings"]
            .as_object_mut()
            .expect("object")
            .remove("privacy_link");
        v["settings"]["prechat_fields"]
            .as_object_mut()
            .expect("object")
            .remove("custom");
        v["settings"]["added_by_a_newer_server"] = json!({"x": [1, 2]});
        v["extra"] = json!(true);
        let s = decode(&v).expect("reads");
        assert_eq!(s.privacy_link, None);
        assert!(s.prechat_fields.custom.is_empty());
        assert_eq!(s.consent, demo().consent);
    }

    #[test]
    fn a_missing_field_is_named_in_the_error() {
        for (path, expected) in [
            ("settings", "settings: missing"),
            ("settings.consent", "settings.consent: missing"),
            (
                "settings.consent.version",
                "settings.consent.version: missing",
            ),
            (
                "settings.consent.texts.de.start_label",
                "settings.consent.texts.de.start_label: missing",
            ),
            (
                "settings.privacy_link.labels",
                "settings.privacy_link.labels: missing",
            ),
            (
                "settings.launcher.position",
                "settings.launcher.position: missing",
            ),
        ] {
            let mut v = as_served(&demo());
            let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
            let parent_ptr = if parent.is_empty() {
                String::new()
            } else {
                format!("/{}", parent.replace('.', "/"))
            };
            v.pointer_mut(&parent_ptr)
                .and_then(Value::as_object_mut)
                .expect("parent object")
                .remove(key)
                .expect("was there");
            assert_eq!(error_of(&v), expected, "{path}");
        }
    }

    #[test]
    fn a_wrongly_typed_field_is_named_with_what_was_expected() {
        let cases: [(&str, Value, &str); 9] = [
            (
                "/settings/consent/version",
                json!("1"),
                "settings.consent.version: expected a whole number from 0 to 4294967295",
            ),
            (
                "/settings/consent/version",
                json!(-1),
                "settings.consent.version: expected a whole number from 0 to 4294967295",
            ),
            (
                "/settings/consent/version",
                json!(4_294_967_296_u64),
                "settings.consent.version: expected a whole number from 0 to 4294967295",
            ),
            (
                "/settings/consent/required",
                json!("yes"),
                "settings.consent.required: expected true or false",
            ),
            (
                "/settings/consent/texts/fr/body",
                json!(null),
                "settings.consent.texts.fr.body: expected text",
            ),
            (
                "/settings/consent/texts",
                json!([]),
                "settings.consent.texts: expected an object",
            ),
            (
                "/settings/prechat_fields/email",
                json!("maybe"),
                "settings.prechat_fields.email: expected off, optional or required",
            ),
            (
                "/settings/privacy_link",
                json!("https://example.com"),
                "settings.privacy_link: expected an object",
            ),
            (
                "/settings/launcher/position",
                json!("top"),
                "settings.launcher.position: expected left or right",
            ),
        ];
        for (ptr, bad, expected) in cases {
            let mut v = as_served(&demo());
            *v.pointer_mut(ptr).expect("field") = bad;
            assert_eq!(error_of(&v), expected, "{ptr}");
        }
        let mut v = as_served(&demo());
        v["settings"]["prechat_fields"]["custom"] =
            json!([{"key": "a", "requirement": "off", "labels": {"en": 5}}]);
        assert_eq!(
            error_of(&v),
            "settings.prechat_fields.custom.0.labels.en: expected text"
        );
    }

    #[test]
    fn documents_that_are_not_a_config_are_refused_clearly() {
        assert_eq!(
            decode_config("<html>").expect_err("refused").to_string(),
            "the config is not valid JSON"
        );
        assert_eq!(
            decode_config("[]").expect_err("refused").to_string(),
            "expected an object"
        );
        assert_eq!(
            decode_config(r#"{"settings": 3}"#)
                .expect_err("refused")
                .to_string(),
            "settings: expected an object"
        );
    }

    #[test]
    fn the_protocol_picks_the_disclaimer_from_what_was_read() {
        let s = decode(&as_served(&demo())).expect("reads");
        let langs = ["de-AT".to_owned(), "en".to_owned()];
        let (lang, d) = s.disclaimer_for(&langs).expect("a disclaimer");
        assert_eq!(lang, "de");
        assert_eq!(d.title, "Bevor wir chatten");
    }
}
