//! Widget settings: consent disclaimer, privacy link, privacy mode, pre-chat fields, live
//! preview, typing indicator and the launcher's look. The server validates them with this
//! code when an admin saves them; the widget reads the public part.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Languages Confide ships default disclaimer texts (and privacy link labels) for: every
/// interface language of the widget (`crate::i18n::LANGUAGES`), so the disclaimer a visitor
/// reads is in the language of the buttons around it.
pub const DEFAULT_LANGUAGES: [&str; 34] = [
    "ar", "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "he", "hr", "hu", "is",
    "it", "ja", "lt", "lv", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv",
    "tr", "uk", "zh-Hans",
];
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
    /// How long the widget keeps each kind of data, in this disclaimer's language. The
    /// server words it from the widget's [`Retention`] whenever it reads settings
    /// ([`WidgetSettings::word_retention`]); whatever an admin sends here is replaced.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub retention: String,
}

impl Disclaimer {
    /// The exact text shown, in a fixed order, which the consent receipt hashes: title,
    /// body, the retention notice (when there is one), checkbox label and start button
    /// label, each followed by a newline. The notice is part of it, so a change of
    /// retention is a new text and a new consent version.
    pub fn shown_text(&self) -> String {
        let mut out = format!("{}\n{}\n", self.title, self.body);
        if !self.retention.is_empty() {
            out.push_str(&self.retention);
            out.push('\n');
        }
        out.push_str(&self.checkbox_label);
        out.push('\n');
        out.push_str(&self.start_label);
        out.push('\n');
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub required: bool,
    /// Changes whenever any disclaimer text changes (the server bumps it on save).
    pub version: u32,
    /// Disclaimers by language: a code [`is_known_language`] accepts (`de`, `pt-BR`, `zh-Hans`).
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
    /// How long each kind of data is kept; widgets saved before retention existed get the
    /// defaults.
    #[serde(default)]
    pub retention: Retention,
}

/// Days in a retention month: the purge counts a month as 30 days, so nothing outlives the
/// period a visitor is told (six months are 180 days, never 184).
pub const DAYS_PER_MONTH: u32 = 30;
/// Shortest and longest transcript period, in months.
pub const TRANSCRIPT_MONTHS: (u32, u32) = (1, 36);
/// Shortest and longest period for the visitor's details, in days.
pub const DETAILS_DAYS: (u32, u32) = (1, 90);
/// Shortest and longest proof period of a consent receipt, in months.
pub const RECEIPT_MONTHS: (u32, u32) = (1, 120);

/// How long a widget keeps each kind of data. The purge job deletes what is older.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Transcripts (messages and pre-chat values), counted from the conversation's last
    /// message: 1 to 36 months.
    pub transcript_months: u32,
    /// The visitor's details (page, referrer, browser and OS family), counted from the
    /// conversation's start: 1 to 90 days, never longer than transcripts.
    pub details_days: u32,
    /// Consent receipts, counted from when no conversation refers to them any more
    /// (withdrawn ones included): 1 to 120 months.
    pub receipt_months: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            transcript_months: 6,
            details_days: 30,
            receipt_months: 36,
        }
    }
}

impl Retention {
    /// Milliseconds in each period: (transcripts, details, receipts).
    pub fn periods_ms(&self) -> (i64, i64, i64) {
        const DAY_MS: i64 = 86_400_000;
        let month = i64::from(DAYS_PER_MONTH) * DAY_MS;
        (
            i64::from(self.transcript_months) * month,
            i64::from(self.details_days) * DAY_MS,
            i64::from(self.receipt_months) * month,
        )
    }

    fn problems(&self, out: &mut Vec<SettingsProblem>) {
        let range = |out: &mut Vec<SettingsProblem>,
                     field: &str,
                     v: u32,
                     (lo, hi): (u32, u32),
                     unit: &str| {
            if !(lo..=hi).contains(&v) {
                out.push(problem(
                    format!("retention.{field}"),
                    format!("{lo} to {hi} {unit}"),
                ));
            }
        };
        range(
            out,
            "transcript_months",
            self.transcript_months,
            TRANSCRIPT_MONTHS,
            "months",
        );
        range(out, "details_days", self.details_days, DETAILS_DAYS, "days");
        range(
            out,
            "receipt_months",
            self.receipt_months,
            RECEIPT_MONTHS,
            "months",
        );
        if self.details_days > self.transcript_months.saturating_mul(DAYS_PER_MONTH) {
            out.push(problem(
                "retention.details_days",
                "visitor details are never kept longer than transcripts",
            ));
        }
    }
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

/// A language code as Confide stores it, in its usual case: an ISO 639-1 code Confide knows
/// (a BCP 47 primary subtag, lower case, such as `de`), or one of the widget's interface
/// languages that needs more (`pt-BR`, `zh-Hans`).
pub fn is_known_language(code: &str) -> bool {
    KNOWN_LANGUAGES.binary_search(&code).is_ok()
}

/// A language code typed in any case (`PT-br`, `zh_hans`) written as Confide stores it
/// (`pt-BR`, `zh-Hans`): the primary subtag lower case, a four-letter script title case, a
/// region upper case. Whether it is known is [`is_known_language`]'s business.
pub fn canonical_language(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for (i, part) in code.trim().split(['-', '_']).enumerate() {
        if i > 0 {
            out.push('-');
        }
        match (i, part.len()) {
            (0, _) => out.push_str(&part.to_ascii_lowercase()),
            (_, 4) => {
                let mut chars = part.chars();
                if let Some(first) = chars.next() {
                    out.push(first.to_ascii_uppercase());
                }
                out.push_str(&chars.as_str().to_ascii_lowercase());
            }
            (_, 2) => out.push_str(&part.to_ascii_uppercase()),
            _ => out.push_str(&part.to_ascii_lowercase()),
        }
    }
    out
}

/// ISO 639-1 codes plus the interface's two longer codes, sorted (byte order).
const KNOWN_LANGUAGES: &[&str] = &[
    "af", "ar", "bg", "bn", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "eu", "fa",
    "fi", "fr", "ga", "gl", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka", "kk", "ko",
    "lb", "lt", "lv", "mk", "ms", "mt", "nb", "nl", "nn", "no", "pl", "pt", "pt-BR", "ro", "ru",
    "sk", "sl", "sq", "sr", "sv", "sw", "ta", "th", "tr", "uk", "ur", "vi", "zh", "zh-Hans",
];

/// What an unknown language code is told.
const UNKNOWN_LANGUAGE: &str =
    "unknown language code; use a code such as en, de or pt-BR (ISO 639-1, or one of the widget's languages)";

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
            out.push(problem(format!("{field}.{code}"), UNKNOWN_LANGUAGE));
        }
    }
}

impl WidgetSettings {
    /// Every problem with these settings; empty when they can be saved.
    pub fn problems(&self) -> Vec<SettingsProblem> {
        let mut out = Vec::new();
        if !is_known_language(&self.default_language) {
            out.push(problem("default_language", UNKNOWN_LANGUAGE));
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
        self.retention.problems(&mut out);
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
            retention: Retention::default(),
        }
    }

    /// The periods the retention notice states: details only outside privacy mode (privacy
    /// mode keeps none), receipts only when consent is asked for.
    pub fn retention_periods(&self) -> crate::i18n::retention::Periods {
        crate::i18n::retention::Periods {
            transcript_months: self.retention.transcript_months,
            details_days: (!self.privacy_mode).then_some(self.retention.details_days),
            receipt_months: self
                .consent
                .required
                .then_some(self.retention.receipt_months),
        }
    }

    /// Words the retention notice into every disclaimer, in its language (the server does
    /// this whenever it reads or saves settings, so what visitors see and what their consent
    /// hashes always follow the current retention).
    pub fn word_retention(&mut self) {
        let periods = self.retention_periods();
        for (lang, d) in &mut self.consent.texts {
            d.retention = crate::i18n::retention::notice(lang, periods);
        }
    }

    /// The disclaimer for a visitor whose languages are `languages` (most preferred first;
    /// the widget puts its interface language first): the first tag with a disclaimer, each
    /// tag tried as itself, as the interface language it matches, then by its primary subtag
    /// (`crate::i18n::lookup`: `pt-BR` falls back to `pt`, `zh-CN` finds `zh-Hans`), else
    /// the default language's.
    pub fn disclaimer_for<'a>(&'a self, languages: &[String]) -> Option<(&'a str, &'a Disclaimer)> {
        let texts = &self.consent.texts;
        crate::i18n::lookup(languages.iter().map(String::as_str), texts.keys())
            .and_then(|k| texts.get_key_value(k))
            .or_else(|| texts.get_key_value(self.default_language.as_str()))
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// The WCAG contrast ratio (1 to 21) of two `#rrggbb` colours; `None` if one is not such a
/// colour. The launcher's label is white on the launcher colour: below 4.5 it fails WCAG AA.
pub fn contrast_ratio(a: &str, b: &str) -> Option<f64> {
    fn luminance(c: &str) -> Option<f64> {
        let hex = c.strip_prefix('#').filter(|h| h.len() == 6)?;
        let channel = |i: usize| -> Option<f64> {
            let v = f64::from(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?) / 255.0;
            Some(if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            })
        };
        Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
    }
    let (la, lb) = (luminance(a)?, luminance(b)?);
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

/// The launcher's label is drawn in white: its contrast on the launcher colour.
pub const LAUNCHER_TEXT: &str = "#ffffff";

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
        "bg" => "Политика за поверителност",
        "cs" => "Zásady ochrany osobních údajů",
        "da" => "Privatlivspolitik",
        "el" => "Πολιτική απορρήτου",
        "et" => "Privaatsuspoliitika",
        "fi" => "Tietosuojaseloste",
        "ga" => "Beartas príobháideachais",
        "hr" => "Pravila privatnosti",
        "hu" => "Adatvédelmi tájékoztató",
        "lt" => "Privatumo politika",
        "lv" => "Privātuma politika",
        "mt" => "Politika tal-privatezza",
        "pt" => "Política de privacidade",
        "ro" => "Politica de confidențialitate",
        "sk" => "Zásady ochrany súkromia",
        "sl" => "Pravilnik o zasebnosti",
        "sv" => "Integritetspolicy",
        "nb" => "Personvernerklæring",
        "is" => "Persónuverndarstefna",
        "tr" => "Gizlilik politikası",
        "uk" => "Політика конфіденційності",
        "ru" => "Политика конфиденциальности",
        "ar" => "سياسة الخصوصية",
        "he" => "מדיניות פרטיות",
        "ja" => "プライバシーポリシー",
        "zh-Hans" => "隐私政策",
        "pt-BR" => "Política de privacidade",
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
        "bg" => (
            "Преди да започнем",
            "Ако започнете чата, ще съхраняваме вашите съобщения и всичко, което въведете във формуляра, за да може екипът ни да ви отговори. Не съхраняваме вашия IP адрес. Можете по всяко време да изтеглите или изтриете разговора си и да оттеглите съгласието си.",
            "Съгласявам се съобщенията ми да се съхраняват за този чат.",
            "Започване на чат",
        ),
        "cs" => (
            "Než začneme",
            "Pokud zahájíte chat, uložíme vaše zprávy a vše, co vyplníte do formuláře, aby vám náš tým mohl odpovědět. Vaši IP adresu neukládáme. Konverzaci si můžete kdykoli stáhnout nebo smazat a svůj souhlas odvolat.",
            "Souhlasím s uložením mých zpráv pro tento chat.",
            "Zahájit chat",
        ),
        "da" => (
            "Før vi chatter",
            "Hvis du starter chatten, gemmer vi dine beskeder og det, du selv skriver i formularen, så vores team kan svare. Vi gemmer ikke din IP-adresse. Du kan når som helst hente eller slette din samtale og tilbagekalde dit samtykke.",
            "Jeg accepterer, at mine beskeder gemmes til denne chat.",
            "Start chatten",
        ),
        "el" => (
            "Πριν ξεκινήσουμε",
            "Αν ξεκινήσετε τη συνομιλία, θα κρατήσουμε τα μηνύματά σας και ό,τι γράψετε στη φόρμα, ώστε να μπορεί να σας απαντήσει η ομάδα μας. Δεν κρατάμε τη διεύθυνση IP σας. Μπορείτε ανά πάσα στιγμή να κατεβάσετε ή να διαγράψετε τη συνομιλία σας και να ανακαλέσετε τη συγκατάθεσή σας.",
            "Συμφωνώ να διατηρηθούν τα μηνύματά μου για αυτή τη συνομιλία.",
            "Έναρξη συνομιλίας",
        ),
        "et" => (
            "Enne vestlust",
            "Kui alustad vestlust, säilitame sinu sõnumid ja kõik, mida vormi sisestad, et meie meeskond saaks vastata. Me ei säilita sinu IP-aadressi. Võid oma vestluse igal ajal alla laadida või kustutada ja oma nõusoleku tagasi võtta.",
            "Nõustun, et minu sõnumid säilitatakse selle vestluse jaoks.",
            "Alusta vestlust",
        ),
        "fi" => (
            "Ennen kuin keskustelemme",
            "Kun aloitat keskustelun, säilytämme viestisi ja lomakkeeseen kirjoittamasi tiedot, jotta tiimimme voi vastata. Emme säilytä IP-osoitettasi. Voit milloin tahansa ladata tai poistaa keskustelusi ja peruuttaa suostumuksesi.",
            "Hyväksyn, että viestini säilytetään tätä keskustelua varten.",
            "Aloita chat",
        ),
        "ga" => (
            "Sula ndéanaimid comhrá",
            "Má thosaíonn tú an comhrá, coimeádfaimid do theachtaireachtaí agus aon rud a scríobhann tú san fhoirm ionas gur féidir lenár bhfoireann freagra a thabhairt. Ní choimeádaimid do sheoladh IP. Is féidir leat do chomhrá a íoslódáil nó a scriosadh agus do thoiliú a tharraingt siar tráth ar bith.",
            "Aontaím go gcoimeádfar mo theachtaireachtaí don chomhrá seo.",
            "Tosaigh comhrá",
        ),
        "hr" => (
            "Prije razgovora",
            "Ako započnete razgovor, čuvamo vaše poruke i sve što upišete u obrazac kako bi vam naš tim mogao odgovoriti. Ne čuvamo vašu IP adresu. Razgovor možete u bilo kojem trenutku preuzeti ili izbrisati te povući svoju privolu.",
            "Slažem se da se moje poruke čuvaju za ovaj razgovor.",
            "Započni razgovor",
        ),
        "hu" => (
            "Mielőtt csevegnénk",
            "Ha elindítja a csevegést, megőrizzük üzeneteit és mindazt, amit az űrlapba ír, hogy csapatunk válaszolni tudjon. IP-címét nem őrizzük meg. Beszélgetését bármikor letöltheti vagy törölheti, és visszavonhatja hozzájárulását.",
            "Hozzájárulok, hogy üzeneteimet ehhez a csevegéshez megőrizzék.",
            "Csevegés indítása",
        ),
        "lt" => (
            "Prieš pradedant pokalbį",
            "Jei pradėsite pokalbį, išsaugosime jūsų žinutes ir viską, ką įrašysite į formą, kad mūsų komanda galėtų atsakyti. Jūsų IP adreso nesaugome. Bet kada galite atsisiųsti arba ištrinti savo pokalbį ir atšaukti sutikimą.",
            "Sutinku, kad mano žinutės būtų saugomos šiam pokalbiui.",
            "Pradėti pokalbį",
        ),
        "lv" => (
            "Pirms sākam tērzēt",
            "Ja sāksiet tērzēšanu, mēs saglabāsim jūsu ziņas un visu, ko ierakstīsiet veidlapā, lai mūsu komanda varētu atbildēt. Mēs nesaglabājam jūsu IP adresi. Jebkurā laikā varat lejupielādēt vai dzēst savu sarunu un atsaukt savu piekrišanu.",
            "Piekrītu, ka manas ziņas tiek saglabātas šai tērzēšanai.",
            "Sākt tērzēšanu",
        ),
        "mt" => (
            "Qabel nibdew",
            "Jekk tibda l-konversazzjoni, inżommu l-messaġġi tiegħek u kull ma tikteb fil-formola biex it-tim tagħna jkun jista' jwieġeb. Ma nżommux l-indirizz IP tiegħek. Tista' tniżżel jew tħassar il-konversazzjoni tiegħek u tirtira l-kunsens tiegħek fi kwalunkwe ħin.",
            "Naqbel li l-messaġġi tiegħi jinżammu għal din il-konversazzjoni.",
            "Ibda l-konversazzjoni",
        ),
        "pt" => (
            "Antes de conversarmos",
            "Se iniciar o chat, guardamos as suas mensagens e tudo o que escrever no formulário para que a nossa equipa possa responder. Não guardamos o seu endereço IP. Pode transferir ou eliminar a sua conversa e retirar o seu consentimento a qualquer momento.",
            "Aceito que as minhas mensagens sejam guardadas para este chat.",
            "Iniciar chat",
        ),
        "ro" => (
            "Înainte să discutăm",
            "Dacă porniți chatul, păstrăm mesajele dvs. și tot ce scrieți în formular, pentru ca echipa noastră să vă poată răspunde. Nu păstrăm adresa dvs. IP. Puteți descărca sau șterge oricând conversația și vă puteți retrage consimțământul.",
            "Sunt de acord ca mesajele mele să fie păstrate pentru acest chat.",
            "Începeți chatul",
        ),
        "sk" => (
            "Skôr než začneme",
            "Ak začnete chat, uložíme vaše správy a všetko, čo vyplníte do formulára, aby vám náš tím mohol odpovedať. Vašu IP adresu neukladáme. Konverzáciu si môžete kedykoľvek stiahnuť alebo vymazať a svoj súhlas odvolať.",
            "Súhlasím s uložením mojich správ pre tento chat.",
            "Začať chat",
        ),
        "sl" => (
            "Preden začnemo",
            "Če začnete klepet, shranimo vaša sporočila in vse, kar vpišete v obrazec, da vam lahko naša ekipa odgovori. Vašega IP-naslova ne shranjujemo. Pogovor lahko kadar koli prenesete ali izbrišete in prekličete svojo privolitev.",
            "Strinjam se, da se moja sporočila shranijo za ta klepet.",
            "Začni klepet",
        ),
        "sv" => (
            "Innan vi chattar",
            "Om du startar chatten sparar vi dina meddelanden och det du själv skriver i formuläret så att vårt team kan svara. Vi sparar inte din IP-adress. Du kan när som helst ladda ned eller radera ditt samtal och återkalla ditt samtycke.",
            "Jag godkänner att mina meddelanden sparas för den här chatten.",
            "Starta chatten",
        ),
        "nb" => (
            "Før vi chatter",
            "Hvis du starter chatten, lagrer vi meldingene dine og det du skriver i skjemaet, slik at teamet vårt kan svare. Vi lagrer ikke IP-adressen din. Du kan når som helst laste ned eller slette samtalen og trekke tilbake samtykket ditt.",
            "Jeg godtar at meldingene mine lagres for denne chatten.",
            "Start chatten",
        ),
        "is" => (
            "Áður en við spjöllum",
            "Ef þú hefur spjallið geymum við skilaboðin þín og það sem þú skrifar í eyðublaðið svo teymið okkar geti svarað. Við geymum ekki IP-töluna þína. Þú getur hvenær sem er sótt eða eytt samtalinu þínu og dregið samþykki þitt til baka.",
            "Ég samþykki að skilaboðin mín séu geymd fyrir þetta spjall.",
            "Hefja spjall",
        ),
        "tr" => (
            "Sohbetten önce",
            "Sohbeti başlatırsanız, ekibimizin yanıt verebilmesi için mesajlarınızı ve forma yazdığınız her şeyi saklarız. IP adresinizi saklamayız. Görüşmenizi istediğiniz zaman indirebilir veya silebilir ve onayınızı geri çekebilirsiniz.",
            "Mesajlarımın bu sohbet için saklanmasını kabul ediyorum.",
            "Sohbeti başlat",
        ),
        "uk" => (
            "Перш ніж почати",
            "Якщо ви почнете чат, ми зберігатимемо ваші повідомлення та все, що ви введете у форму, щоб наша команда могла відповісти. Ми не зберігаємо вашу IP-адресу. Ви можете будь-коли завантажити чи видалити свою розмову та відкликати згоду.",
            "Я погоджуюся, що мої повідомлення зберігатимуться для цього чату.",
            "Почати чат",
        ),
        "ru" => (
            "Прежде чем начать",
            "Если вы начнёте чат, мы сохраним ваши сообщения и всё, что вы введёте в форму, чтобы наша команда могла ответить. Мы не сохраняем ваш IP-адрес. Вы можете в любой момент скачать или удалить свой разговор и отозвать согласие.",
            "Я соглашаюсь на сохранение моих сообщений для этого чата.",
            "Начать чат",
        ),
        "ar" => (
            "قبل أن نبدأ الدردشة",
            "إذا بدأت الدردشة، فإننا نحتفظ برسائلك وبكل ما تكتبه في النموذج حتى يتمكن فريقنا من الرد عليك. لا نحتفظ بعنوان IP الخاص بك. يمكنك تنزيل محادثتك أو حذفها وسحب موافقتك في أي وقت.",
            "أوافق على الاحتفاظ برسائلي لهذه الدردشة.",
            "بدء الدردشة",
        ),
        "he" => (
            "לפני שנתחיל",
            "אם תתחילו את הצ'אט, נשמור את ההודעות שלכם וכל מה שתקלידו בטופס כדי שהצוות שלנו יוכל לענות. איננו שומרים את כתובת ה-IP שלכם. תוכלו להוריד או למחוק את השיחה ולבטל את הסכמתכם בכל עת.",
            "אני מסכים/ה שההודעות שלי יישמרו עבור הצ'אט הזה.",
            "התחלת צ'אט",
        ),
        "ja" => (
            "チャットを始める前に",
            "チャットを開始すると、担当者が返信できるよう、あなたのメッセージとフォームに入力した内容を保存します。IPアドレスは保存しません。会話はいつでもダウンロードまたは削除でき、同意を撤回することもできます。",
            "このチャットのためにメッセージが保存されることに同意します。",
            "チャットを開始",
        ),
        "zh-Hans" => (
            "聊天之前",
            "如果您开始聊天，我们会保存您的消息以及您在表单中填写的内容，以便我们的团队回复您。我们不会保存您的 IP 地址。您可以随时下载或删除您的对话，并撤回您的同意。",
            "我同意为本次聊天保存我的消息。",
            "开始聊天",
        ),
        "pt-BR" => (
            "Antes de conversarmos",
            "Se você iniciar o chat, guardaremos suas mensagens e tudo o que você digitar no formulário para que nossa equipe possa responder. Não guardamos seu endereço IP. Você pode baixar ou excluir sua conversa e retirar seu consentimento a qualquer momento.",
            "Concordo que minhas mensagens sejam guardadas para este chat.",
            "Iniciar chat",
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
        retention: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &WidgetSettings) -> Vec<String> {
        s.problems().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn the_defaults_are_valid_and_cover_every_interface_language() {
        let s = WidgetSettings::defaults("https://example.com/privacy");
        assert_eq!(s.problems(), vec![]);
        let interface: Vec<&str> = crate::i18n::LANGUAGES.iter().map(|l| l.code).collect();
        assert_eq!(DEFAULT_LANGUAGES.to_vec(), interface);
        let labels = &s.privacy_link.as_ref().expect("a link").labels;
        for lang in DEFAULT_LANGUAGES {
            assert!(s.consent.texts.contains_key(lang), "{lang}");
            assert!(labels.contains_key(lang), "{lang}");
        }
        assert!(s.privacy_mode && !s.live_preview);
        // Each language really is translated, not a copy of English.
        let en = &s.consent.texts["en"];
        for lang in DEFAULT_LANGUAGES.iter().filter(|l| **l != "en") {
            let d = &s.consent.texts[*lang];
            assert_ne!(d.body, en.body, "{lang}");
            assert_ne!(d.title, en.title, "{lang}");
            assert_ne!(d.checkbox_label, en.checkbox_label, "{lang}");
            assert_ne!(labels[*lang], labels["en"], "{lang}");
        }
    }

    #[test]
    fn the_first_seven_defaults_keep_their_exact_texts_and_so_their_consent_hashes() {
        // Widgets created before there were 34 languages store these; a visitor's stored
        // consent hashes them. Changing one would ask every such visitor again.
        // FNV-1a (64 bit) of each shown text, taken from the texts as they were.
        let fnv = |text: &str| {
            text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
        };
        let expect = [
            ("en", 0x2503_9c5b_369c_16ce_u64),
            ("de", 0x3126_36da_626a_cb5a),
            ("fr", 0xcd9c_d57e_182b_d95d),
            ("it", 0xb196_5563_80b9_c5d6),
            ("es", 0x8786_8669_42ed_c0bf),
            ("nl", 0xf747_fbed_a744_9b6c),
            ("pl", 0x0b05_a750_0ef6_c4cf),
        ];
        for (lang, hash) in expect {
            assert_eq!(fnv(&default_disclaimer(lang).shown_text()), hash, "{lang}");
        }
    }

    #[test]
    fn a_new_widgets_settings_fit_well_inside_a_settings_request() {
        // The server takes request bodies up to 64 KiB; an admin saving the defaults back
        // (with a few custom fields) must not come near it.
        let s = WidgetSettings::defaults("https://example.com/privacy");
        let json = serde_json::to_string(&s).expect("json");
        assert!(json.len() < 40 * 1024, "{} bytes", json.len());
    }

    #[test]
    fn language_codes_are_written_in_their_usual_case() {
        for (typed, stored) in [
            ("DE", "de"),
            (" pt-br ", "pt-BR"),
            ("zh_hans", "zh-Hans"),
            ("ZH-HANS", "zh-Hans"),
            ("sr-latn-rs", "sr-Latn-RS"),
        ] {
            assert_eq!(canonical_language(typed), stored, "{typed}");
        }
        assert!(is_known_language("pt-BR") && is_known_language("zh-Hans"));
        assert!(!is_known_language("pt-br") && !is_known_language("zh-Hant"));
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
        let mut s = WidgetSettings::defaults("https://example.com/privacy");
        let langs = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            s.disclaimer_for(&langs(&["de-AT", "en"])).map(|d| d.0),
            Some("de")
        );
        assert_eq!(
            s.disclaimer_for(&langs(&["ko", "pt-BR"])).map(|d| d.0),
            Some("pt-BR")
        );
        assert_eq!(
            s.disclaimer_for(&langs(&["zh-CN"])).map(|d| d.0),
            Some("zh-Hans")
        );
        // A widget with fewer languages: the next of the visitor's, then the default.
        s.consent
            .texts
            .retain(|k, _| ["en", "de", "fr", "pt"].contains(&k.as_str()));
        assert_eq!(
            s.disclaimer_for(&langs(&["sv", "fr-CA"])).map(|d| d.0),
            Some("fr")
        );
        assert_eq!(
            s.disclaimer_for(&langs(&["pt-BR"])).map(|d| d.0),
            Some("pt"),
            "Brazilian falls back to Portuguese"
        );
        assert_eq!(s.disclaimer_for(&langs(&["ja"])).map(|d| d.0), Some("en"));
        assert_eq!(s.disclaimer_for(&[]).map(|d| d.0), Some("en"));
    }

    #[test]
    fn the_shown_text_changes_with_every_part() {
        let d = default_disclaimer("en");
        let base = d.shown_text();
        for change in 0..5 {
            let mut e = d.clone();
            match change {
                0 => e.title.push('!'),
                1 => e.body.push('!'),
                2 => e.checkbox_label.push('!'),
                3 => e.retention.push('!'),
                _ => e.start_label.push('!'),
            }
            assert_ne!(e.shown_text(), base);
        }
        let mut worded = d.clone();
        worded.retention = "Kept 6 months.".into();
        assert_eq!(
            worded.shown_text(),
            format!(
                "{}\n{}\nKept 6 months.\n{}\n{}\n",
                d.title, d.body, d.checkbox_label, d.start_label
            ),
            "the notice comes after the body"
        );
    }

    #[test]
    fn the_retention_notice_follows_the_periods_the_mode_and_the_consent() {
        let mut s = WidgetSettings::defaults("https://example.com/privacy");
        s.retention = Retention {
            transcript_months: 3,
            details_days: 14,
            receipt_months: 24,
        };
        s.word_retention();
        let en = &s.consent.texts["en"].retention;
        assert!(
            en.contains(" 3 months") && en.contains(" 24 months"),
            "{en}"
        );
        assert!(!en.contains("14"), "privacy mode keeps no details: {en}");
        assert!(!s.consent.texts["de"].retention.is_empty());
        assert_ne!(s.consent.texts["de"].retention, *en, "worded in German");
        let before = s.consent.texts.clone();
        s.privacy_mode = false;
        s.word_retention();
        assert!(s.consent.texts["en"].retention.contains(" 14 days"));
        assert_ne!(s.consent.texts, before, "a mode change is a new text");
        s.consent.required = false;
        s.word_retention();
        assert!(!s.consent.texts["en"].retention.contains("24"));
        // What an admin sends is replaced.
        s.consent.texts.get_mut("en").expect("en").retention = "forever".into();
        s.word_retention();
        assert!(s.consent.texts["en"].retention.starts_with("Conversations"));
    }

    #[test]
    fn contrast_ratios_are_wcags() {
        let r = |a, b| contrast_ratio(a, b).map(|r| (r * 100.0).round() / 100.0);
        assert_eq!(r("#ffffff", "#000000"), Some(21.0));
        assert_eq!(r("#000000", "#ffffff"), Some(21.0));
        assert_eq!(r("#777777", "#777777"), Some(1.0));
        // The default launcher passes; a light one fails (WebAIM's checker gives the same).
        assert_eq!(r(LAUNCHER_TEXT, "#2f5bea"), Some(5.52));
        assert_eq!(r(LAUNCHER_TEXT, "#767676"), Some(4.54));
        assert_eq!(r(LAUNCHER_TEXT, "#ffcc00"), Some(1.51));
        assert_eq!(contrast_ratio("#fff", "#000000"), None);
        assert_eq!(contrast_ratio("red", "#000000"), None);
        assert_eq!(contrast_ratio("#gg0000", "#000000"), None);
    }

    #[test]
    fn the_language_table_is_sorted_for_binary_search() {
        assert!(KNOWN_LANGUAGES.windows(2).all(|w| w[0] < w[1]));
        for lang in DEFAULT_LANGUAGES {
            assert!(is_known_language(lang));
        }
    }

    #[test]
    fn retention_is_refused_field_by_field_outside_its_ranges() {
        let mut s = WidgetSettings::defaults("https://example.com/privacy");
        assert_eq!(s.retention.transcript_months, 6);
        assert_eq!(s.retention.details_days, 30);
        assert_eq!(s.retention.receipt_months, 36);
        for (t, d, r, bad) in [
            (
                0,
                1,
                36,
                vec!["retention.transcript_months", "retention.details_days"],
            ),
            (37, 30, 36, vec!["retention.transcript_months"]),
            (6, 0, 36, vec!["retention.details_days"]),
            (6, 91, 36, vec!["retention.details_days"]),
            (6, 30, 0, vec!["retention.receipt_months"]),
            (6, 30, 121, vec!["retention.receipt_months"]),
            (1, 31, 36, vec!["retention.details_days"]),
        ] {
            s.retention = Retention {
                transcript_months: t,
                details_days: d,
                receipt_months: r,
            };
            assert_eq!(fields(&s), bad, "{t} {d} {r}");
        }
        for (t, d, r) in [(1, 30, 1), (36, 90, 120), (3, 90, 36)] {
            s.retention = Retention {
                transcript_months: t,
                details_days: d,
                receipt_months: r,
            };
            assert_eq!(fields(&s), Vec::<String>::new(), "{t} {d} {r}");
        }
    }

    #[test]
    fn settings_saved_before_retention_existed_get_the_defaults() {
        let s = WidgetSettings::defaults("https://example.com/privacy");
        let mut json = serde_json::to_value(&s).expect("json");
        json.as_object_mut().expect("object").remove("retention");
        let back: WidgetSettings = serde_json::from_value(json).expect("old settings");
        assert_eq!(back.retention, Retention::default());
        assert_eq!(Retention::default().periods_ms().0, 6 * 30 * 86_400_000);
    }
}
