//! Widget settings: consent disclaimer, privacy link, privacy mode, pre-chat fields, live
//! preview, typing indicator and the launcher's look. The server validates them with this
//! code when an admin saves them; the widget reads the public part.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Languages Confide ships default disclaimer texts for.
pub const DEFAULT_LANGUAGES: [&str; 7] = ["en", "de", "fr", "it", "es", "nl", "pl"];
/// Longest disclaimer body, in characters.
pub const MAX_BODY_CHARS: usize = 4000;
/// Longest title, label or field name, in characters.
pub const MAX_LABEL_CHARS: usize = 120;
/// Most custom pre-chat fields.
pub const MAX_CUSTOM_FIELDS: usize = 10;

/// What the visitor sees before any chat when consent is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclaimer {
    pub title: String,
    pub body: String,
    pub checkbox_label: String,
    pub start_label: String,
}

impl Disclaimer {
    /// The exact text shown, in a fixed order, which the consent receipt hashes: title,
    /// body, checkbox label and start button label, each followed by a newline.
    pub fn shown_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n",
            self.title, self.body, self.checkbox_label, self.start_label
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub required: bool,
    /// Changes whenever any disclaimer text changes (the server bumps it on save).
    pub version: u32,
    /// Disclaimers by language (BCP 47 primary tag, lower case).
    pub texts: BTreeMap<String, Disclaimer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyLink {
    /// An `https://` URL.
    pub url: String,
    /// The link's label by language.
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Off,
    Optional,
    Required,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    /// A short machine name: 1 to 32 of `a-z`, `0-9`, `_`.
    pub key: String,
    pub requirement: Requirement,
    /// Labels by language; a field that is not off needs at least the default language's.
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrechatFields {
    pub name: Requirement,
    pub email: Requirement,
    #[serde(default)]
    pub custom: Vec<CustomField>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Launcher {
    /// `#rrggbb`.
    pub color: String,
    pub position: Side,
    pub label: String,
}

/// Everything an admin configures about one widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WidgetSettings {
    /// The language used when none of the visitor's languages has a disclaimer.
    pub default_language: String,
    pub consent: Consent,
    pub privacy_link: Option<PrivacyLink>,
    pub privacy_mode: bool,
    pub prechat_fields: PrechatFields,
    /// Show operators the visitor's unsent draft. Standard mode only: always off in privacy mode.
    pub live_preview: bool,
    pub typing_indicator: bool,
    pub launcher: Launcher,
}

/// A widget as the console's Widgets page lists it (`GET /api/admin/widgets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetListItem {
    pub key: crate::WidgetKey,
    pub name: String,
}

/// `POST /api/admin/widgets`: a new widget gets Confide's default settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWidget {
    pub key: crate::WidgetKey,
    pub name: String,
}

/// `GET /api/admin/loader`: the Subresource Integrity value of the served loader.js.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoaderIntegrity {
    /// `sha384-<base64>`, for the snippet's `integrity` attribute.
    pub integrity: String,
}

/// One thing wrong with a settings document: where (a dotted path) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsProblem {
    pub field: String,
    pub message: String,
}

impl fmt::Display for SettingsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> SettingsProblem {
    SettingsProblem {
        field: field.into(),
        message: message.into(),
    }
}

/// A language code as Confide stores it: a BCP 47 primary language subtag, 2 or 3 lower-case
/// letters, that is one of the ISO 639-1 codes Confide knows.
pub fn is_known_language(code: &str) -> bool {
    KNOWN_LANGUAGES.binary_search(&code).is_ok()
}

/// ISO 639-1 codes, sorted.
const KNOWN_LANGUAGES: &[&str] = &[
    "af", "ar", "bg", "bn", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "eu", "fa",
    "fi", "fr", "ga", "gl", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka", "kk", "ko",
    "lb", "lt", "lv", "mk", "ms", "mt", "nb", "nl", "nn", "no", "pl", "pt", "ro", "ru", "sk", "sl",
    "sq", "sr", "sv", "sw", "ta", "th", "tr", "uk", "ur", "vi", "zh",
];

fn check_label(out: &mut Vec<SettingsProblem>, field: String, value: &str, max: usize) {
    if value.trim().is_empty() {
        out.push(problem(field, "must not be empty"));
    } else if value.chars().count() > max {
        out.push(problem(field, format!("at most {max} characters")));
    } else if let Some(found) = crate::text::hidden_format(value) {
        out.push(problem(field, crate::text::hidden_format_problem(&found)));
    }
}

fn check_languages<'a>(
    out: &mut Vec<SettingsProblem>,
    field: &str,
    codes: impl Iterator<Item = &'a String>,
) {
    for code in codes {
        if !is_known_language(code) {
            out.push(problem(
                format!("{field}.{code}"),
                "unknown language code; use a two-letter ISO 639-1 code such as en or de",
            ));
        }
    }
}

impl WidgetSettings {
    /// Every problem with these settings; empty when they can be saved.
    pub fn problems(&self) -> Vec<SettingsProblem> {
        let mut out = Vec::new();
        if !is_known_language(&self.default_language) {
            out.push(problem(
                "default_language",
                "unknown language code; use a two-letter ISO 639-1 code such as en or de",
            ));
        }

        check_languages(&mut out, "consent.texts", self.consent.texts.keys());
        for (lang, d) in &self.consent.texts {
            let at = |f: &str| format!("consent.texts.{lang}.{f}");
            check_label(&mut out, at("title"), &d.title, MAX_LABEL_CHARS);
            check_label(&mut out, at("body"), &d.body, MAX_BODY_CHARS);
            check_label(
                &mut out,
                at("checkbox_label"),
                &d.checkbox_label,
                MAX_LABEL_CHARS,
            );
            check_label(&mut out, at("start_label"), &d.start_label, MAX_LABEL_CHARS);
        }
        if self.consent.required && !self.consent.texts.contains_key(&self.default_language) {
            out.push(problem(
                format!("consent.texts.{}", self.default_language),
                "consent is required, so the default language needs a disclaimer",
            ));
        }

        if let Some(link) = &self.privacy_link {
            if !is_https_url(&link.url) {
                out.push(problem(
                    "privacy_link.url",
                    "must be an https:// URL with a host",
                ));
            }
            check_languages(&mut out, "privacy_link.labels", link.labels.keys());
            for (lang, label) in &link.labels {
                check_label(
                    &mut out,
                    format!("privacy_link.labels.{lang}"),
                    label,
                    MAX_LABEL_CHARS,
                );
            }
            if !link.labels.contains_key(&self.default_language) {
                out.push(problem(
                    format!("privacy_link.labels.{}", self.default_language),
                    "the default language needs a label",
                ));
            }
        } else if self.consent.required {
            out.push(problem(
                "privacy_link",
                "consent is required, so a privacy policy link is needed",
            ));
        }

        if self.prechat_fields.custom.len() > MAX_CUSTOM_FIELDS {
            out.push(problem(
                "prechat_fields.custom",
                format!("at most {MAX_CUSTOM_FIELDS} custom fields"),
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        for (i, f) in self.prechat_fields.custom.iter().enumerate() {
            let at = |s: &str| format!("prechat_fields.custom.{i}.{s}");
            let key_ok = (1..=32).contains(&f.key.len())
                && f.key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok {
                out.push(problem(at("key"), "1 to 32 of a-z, 0-9 and _"));
            } else if !keys.insert(f.key.as_str()) || f.key == "name" || f.key == "email" {
                out.push(problem(at("key"), "must be unique (and not name or email)"));
            }
            check_languages(&mut out, &at("labels"), f.labels.keys());
            for (lang, label) in &f.labels {
                check_label(
                    &mut out,
                    at(&format!("labels.{lang}")),
                    label,
                    MAX_LABEL_CHARS,
                );
            }
            if f.requirement != Requirement::Off && !f.labels.contains_key(&self.default_language) {
                out.push(problem(
                    at(&format!("labels.{}", self.default_language)),
                    "a field that is shown needs a label in the default language",
                ));
            }
        }

        if self.privacy_mode && self.live_preview {
            out.push(problem(
                "live_preview",
                "privacy mode never shows operators the visitor's draft; turn live preview off",
            ));
        }

        let c = self.launcher.color.as_bytes();
        if !(c.len() == 7 && c[0] == b'#' && c[1..].iter().all(u8::is_ascii_hexdigit)) {
            out.push(problem("launcher.color", "a colour like #2f5bea"));
        }
        check_label(&mut out, "launcher.label".into(), &self.launcher.label, 40);
        out
    }

    /// The defaults a new widget gets: consent required with texts in every default
    /// language, privacy mode on, no pre-chat fields, typing indicator on.
    pub fn defaults(privacy_url: &str) -> Self {
        let texts = DEFAULT_LANGUAGES
            .iter()
            .map(|lang| ((*lang).to_owned(), default_disclaimer(lang)))
            .collect();
        let labels = DEFAULT_LANGUAGES
            .iter()
            .map(|lang| ((*lang).to_owned(), default_link_label(lang).to_owned()))
            .collect();
        Self {
            default_language: "en".into(),
            consent: Consent {
                required: true,
                version: 1,
                texts,
            },
            privacy_link: Some(PrivacyLink {
                url: privacy_url.to_owned(),
                labels,
            }),
            privacy_mode: true,
            prechat_fields: PrechatFields {
                name: Requirement::Off,
                email: Requirement::Off,
                custom: Vec::new(),
            },
            live_preview: false,
            typing_indicator: true,
            launcher: Launcher {
                color: "#2f5bea".into(),
                position: Side::Right,
                label: "Chat".into(),
            },
        }
    }

    /// The disclaimer for a visitor: the first of their languages (by primary subtag) that
    /// has one, else the default language's.
    pub fn disclaimer_for<'a>(&'a self, languages: &[String]) -> Option<(&'a str, &'a Disclaimer)> {
        languages
            .iter()
            .filter_map(|tag| {
                let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
                self.consent.texts.get_key_value(primary.as_str())
            })
            .chain(
                self.consent
                    .texts
                    .get_key_value(self.default_language.as_str()),
            )
            .next()
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// `https://host[...]` with a non-empty host and no spaces or control characters.
pub fn is_https_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    !host.is_empty()
        && !host.starts_with(':')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && url.len() <= 2048
}

fn default_link_label(lang: &str) -> &'static str {
    match lang {
        "de" => "Datenschutzerklärung",
        "fr" => "Politique de confidentialité",
        "it" => "Informativa sulla privacy",
        "es" => "Política de privacidad",
        "nl" => "Privacyverklaring",
        "pl" => "Polityka prywatności",
        _ => "Privacy policy",
    }
}

/// Confide's default disclaimer in one of [`DEFAULT_LANGUAGES`] (English otherwise).
pub fn default_disclaimer(lang: &str) -> Disclaimer {
    let (title, body, checkbox, start) = match lang {
        "de" => (
            "Bevor wir chatten",
            "Wenn Sie den Chat starten, speichern wir Ihre Nachrichten und die Angaben, die Sie selbst eintragen, damit unser Team antworten kann. Wir speichern keine IP-Adresse. Sie können Ihr Gespräch jederzeit herunterladen oder löschen und Ihre Einwilligung widerrufen.",
            "Ich bin einverstanden, dass meine Nachrichten für diesen Chat gespeichert werden.",
            "Chat starten",
        ),
        "fr" => (
            "Avant de discuter",
            "Si vous démarrez la conversation, nous conservons vos messages et les informations que vous saisissez vous-même afin que notre équipe puisse vous répondre. Nous ne conservons pas votre adresse IP. Vous pouvez à tout moment télécharger ou supprimer votre conversation et retirer votre consentement.",
            "J'accepte que mes messages soient conservés pour cette conversation.",
            "Démarrer la conversation",
        ),
        "it" => (
            "Prima di iniziare",
            "Se avvii la chat, conserviamo i tuoi messaggi e i dati che inserisci tu stesso, così il nostro team può risponderti. Non conserviamo il tuo indirizzo IP. Puoi scaricare o cancellare la conversazione e revocare il consenso in qualsiasi momento.",
            "Acconsento alla conservazione dei miei messaggi per questa chat.",
            "Avvia la chat",
        ),
        "es" => (
            "Antes de chatear",
            "Si inicias el chat, guardamos tus mensajes y los datos que tú mismo escribas para que nuestro equipo pueda responderte. No guardamos tu dirección IP. Puedes descargar o borrar tu conversación y retirar tu consentimiento en cualquier momento.",
            "Acepto que se guarden mis mensajes para este chat.",
            "Iniciar chat",
        ),
        "nl" => (
            "Voordat we chatten",
            "Als u de chat start, bewaren wij uw berichten en de gegevens die u zelf invult, zodat ons team kan antwoorden. Wij bewaren geen IP-adres. U kunt uw gesprek altijd downloaden of verwijderen en uw toestemming intrekken.",
            "Ik ga ermee akkoord dat mijn berichten voor deze chat worden bewaard.",
            "Chat starten",
        ),
        "pl" => (
            "Zanim zaczniemy",
            "Jeśli rozpoczniesz czat, zapiszemy Twoje wiadomości i dane, które sam wpiszesz, aby nasz zespół mógł odpowiedzieć. Nie zapisujemy Twojego adresu IP. W każdej chwili możesz pobrać lub usunąć rozmowę i wycofać zgodę.",
            "Zgadzam się na zapisanie moich wiadomości na potrzeby tego czatu.",
            "Rozpocznij czat",
        ),
        _ => (
            "Before we chat",
            "If you start the chat, we keep your messages and anything you type into the form so our team can answer. We do not keep your IP address. You can download or delete your conversation and withdraw your consent at any time.",
            "I agree that my messages are kept for this chat.",
            "Start chat",
        ),
    };
    Disclaimer {
        title: title.into(),
        body: body.into(),
        checkbox_label: checkbox.into(),
        start_label: start.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &WidgetSettings) -> Vec<String> {
        s.problems().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn the_defaults_are_valid_and_cover_seven_languages() {
        let s = WidgetSettings::defaults("https://example.com/privacy");
        assert_eq!(s.problems(), vec![]);
        for lang in DEFAULT_LANGUAGES {
            assert!(s.consent.texts.contains_key(lang), "{lang}");
        }
        assert!(s.privacy_mode && !s.live_preview);
        // Each language really is translated, not a copy of English.
        let en = &s.consent.texts["en"];
        for lang in DEFAULT_LANGUAGES.iter().filter(|l| **l != "en") {
            assert_ne!(s.consent.texts[*lang].body, en.body, "{lang}");
        }
    }

    #[test]
    fn an_empty_disclaimer_while_consent_is_required_is_refused() {
        let mut s = WidgetSettings::defaults("https://example.com/privacy");
        s.consent.texts.get_mut("de").expect("de").body = "  ".into();
        assert_eq!(fields(&s), vec!["consent.texts.de.body"]);
        let mut s = WidgetSettings::defaults("https://example.com/privacy");
        s.consent.texts.clear();
        assert_eq!(fields(&s), vec!["consent.texts.en"]);
        s.consent.required = false;
        assert_eq!(
            fields(&s),
            Vec::<String>::new(),
            "no consent, no disclaimer needed"
        );
    }

    #[test]
    fn a_privacy_link_must_be_https() {
        for bad in [
            "http://example.com/privacy",
            "https://",
            "https:///x",
            "javascript:alert(1)",
            "https://exa mple.com",
            "ftp://example.com",
        ] {
            let s = WidgetSettings::defaults(bad);
            assert_eq!(fields(&s), vec!["privacy_link.url"], "{bad}");
        }
        let mut s = WidgetSettings::defaults("https://example.com/privacy");
        s.privacy_link = None;
        assert_eq!(fields(&s), vec!["privacy_link"]);
    }

    #[test]
    fn unknown_language_codes_are_refused() {
        let mut s = WidgetSettings::defaults("https://example.com/privacy");
        s.consent
            .texts
            .insert("xx".into(), default_disclaimer("en"));
        s.default_language = "english".into();
        let f = fields(&s);
        assert!(f.contains(&"default_language".to_owned()), "{f:?}");
        assert!(f.contains(&"consent.texts.xx".to_owned()), "{f:?}");
    }

    #[test]
    fn a_required_field_needs_a_label_and_a_plain_unique_key() {
        let mut s = WidgetSettings::defaults("https://example.com/privacy");
        s.prechat_fields.custom = vec![
            CustomField {
                key: "order_no".into(),
                requirement: Requirement::Required,
                labels: BTreeMap::new(),
            },
            CustomField {
                key: "Bad Key".into(),
                requirement: Requirement::Off,
                labels: BTreeMap::new(),
            },
            CustomField {
                key: "email".into(),
                requirement: Requirement::Optional,
                labels: [("en".to_owned(), "Email".to_owned())].into(),
            },
        ];
        assert_eq!(
            fields(&s),
            vec![
                "prechat_fields.custom.0.labels.en",
                "prechat_fields.custom.1.key",
                "prechat_fields.custom.2.key"
            ]
        );
    }

    #[test]
    fn live_preview_cannot_be_on_in_privacy_mode_and_colours_are_checked() {
        let mut s = WidgetSettings::defaults("https://example.com/privacy");
        s.live_preview = true;
        s.launcher.color = "red".into();
        assert_eq!(fields(&s), vec!["live_preview", "launcher.color"]);
        s.privacy_mode = false;
        s.launcher.color = "#A0b1C2".into();
        assert_eq!(fields(&s), Vec::<String>::new());
    }

    #[test]
    fn unknown_keys_in_a_settings_document_are_refused() {
        let s = WidgetSettings::defaults("https://example.com/privacy");
        let mut v = serde_json::to_value(&s).expect("json");
        v["tracking"] = serde_json::json!(true);
        assert!(serde_json::from_value::<WidgetSettings>(v).is_err());
    }

    #[test]
    fn the_visitor_gets_the_first_of_their_languages_with_a_disclaimer() {
        let s = WidgetSettings::defaults("https://example.com/privacy");
        let langs = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            s.disclaimer_for(&langs(&["de-AT", "en"])).map(|d| d.0),
            Some("de")
        );
        assert_eq!(
            s.disclaimer_for(&langs(&["sv", "fr-CA"])).map(|d| d.0),
            Some("fr")
        );
        assert_eq!(s.disclaimer_for(&langs(&["ja"])).map(|d| d.0), Some("en"));
        assert_eq!(s.disclaimer_for(&[]).map(|d| d.0), Some("en"));
    }

    #[test]
    fn the_shown_text_changes_with_every_part() {
        let d = default_disclaimer("en");
        let base = d.shown_text();
        for change in 0..4 {
            let mut e = d.clone();
            match change {
                0 => e.title.push('!'),
                1 => e.body.push('!'),
                2 => e.checkbox_label.push('!'),
                _ => e.start_label.push('!'),
            }
            assert_ne!(e.shown_text(), base);
        }
    }

    #[test]
    fn the_language_table_is_sorted_for_binary_search() {
        assert!(KNOWN_LANGUAGES.windows(2).all(|w| w[0] < w[1]));
        for lang in DEFAULT_LANGUAGES {
            assert!(is_known_language(lang));
        }
    }
}
