//! The Widgets page's logic, with no `web-sys` inside: the settings being edited (a yew
//! [`Reducible`]) and the embed snippet. Validation is the protocol's own
//! [`WidgetSettings::problems`], the same code the server runs on save.

use confide_protocol::i18n;
use confide_protocol::settings::{
    canonical_language, contrast_ratio, default_disclaimer, CustomField, Disclaimer, Launcher,
    PrivacyLink, Requirement, Side, WidgetSettings, DEFAULT_LANGUAGES, LAUNCHER_TEXT,
};
use std::collections::BTreeSet;
use std::rc::Rc;
use yew::Reducible;

/// One of a disclaimer's four texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisclaimerField {
    Title,
    Body,
    CheckboxLabel,
    StartLabel,
}

/// A widget's settings while an admin edits them, and the language whose texts are shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsEdit {
    pub settings: WidgetSettings,
    /// The language whose disclaimer and privacy link label the form shows.
    pub language: String,
}

/// How complete one language's texts are, as the Widgets page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageStatus {
    pub code: String,
    /// Its name in itself, for the widget's interface languages.
    pub name: Option<&'static str>,
    /// The widget's interface comes in this language.
    pub interface: bool,
    /// There is a disclaimer in it (complete or not).
    pub disclaimer: bool,
    /// What is still empty: the disclaimer's parts, the privacy link's label.
    pub missing: Vec<&'static str>,
}

impl LanguageStatus {
    /// Nothing is missing: a visitor of this language reads the whole gate in it.
    pub fn complete(&self) -> bool {
        self.disclaimer && self.missing.is_empty()
    }
}

/// The least contrast WCAG AA asks for normal text.
pub const MIN_CONTRAST: f64 = 4.5;

/// The contrast of the launcher's white label on `color`, when it is below
/// [`MIN_CONTRAST`] (a colour that is not `#rrggbb` is the form's other problem).
pub fn weak_launcher_contrast(color: &str) -> Option<f64> {
    contrast_ratio(LAUNCHER_TEXT, color).filter(|r| *r < MIN_CONTRAST)
}

/// Every change the settings form makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Replace everything (the server's answer to a save).
    Loaded(WidgetSettings),
    DefaultLanguage(String),
    ConsentRequired(bool),
    SelectLanguage(String),
    /// Add a disclaimer in a language (Confide's text for the default languages, blank
    /// otherwise) and show it.
    AddLanguage(String),
    /// Remove the shown language's disclaimer and privacy link label.
    RemoveLanguage,
    Disclaimer(DisclaimerField, String),
    PrivacyUrl(String),
    /// The privacy link's label in the shown language; empty removes it.
    PrivacyLabel(String),
    /// Turning privacy mode on turns live preview off: the two never go together.
    PrivacyMode(bool),
    LivePreview(bool),
    TypingIndicator(bool),
    LauncherColor(String),
    LauncherPosition(Side),
    LauncherLabel(String),
    /// Pre-chat fields: the built-in name and email fields.
    NameField(Requirement),
    EmailField(Requirement),
    /// Adds an optional custom field with the next free `field_N` key.
    AddField,
    RemoveField(usize),
    FieldKey(usize, String),
    FieldRequirement(usize, Requirement),
    /// The custom field's label in the shown language; empty removes it.
    FieldLabel(usize, String),
    /// Retention periods; 0 stands for an empty field (a problem until one is typed).
    TranscriptMonths(u32),
    DetailsDays(u32),
    ReceiptMonths(u32),
}

/// The wire names of a requirement, for the selects.
pub fn requirement_name(r: Requirement) -> &'static str {
    match r {
        Requirement::Off => "off",
        Requirement::Optional => "optional",
        Requirement::Required => "required",
    }
}

pub fn requirement_from(name: &str) -> Requirement {
    match name {
        "optional" => Requirement::Optional,
        "required" => Requirement::Required,
        _ => Requirement::Off,
    }
}

/// A retention period as typed: anything but a whole number is 0, out of range.
pub fn period_from(text: &str) -> u32 {
    text.trim().parse().unwrap_or(0)
}

/// A retention period for its input: 0 is an empty field, so clearing it to type another
/// number leaves it empty rather than putting a 0 back.
pub fn period_text(period: u32) -> String {
    if period == 0 {
        String::new()
    } else {
        period.to_string()
    }
}

impl SettingsEdit {
    pub fn new(settings: WidgetSettings) -> Self {
        let language = settings.default_language.clone();
        Self { settings, language }
    }

    /// The shown language's disclaimer, if it has one.
    pub fn disclaimer(&self) -> Option<&Disclaimer> {
        self.settings.consent.texts.get(&self.language)
    }

    /// The privacy link's label in the shown language (empty when none).
    pub fn privacy_label(&self) -> &str {
        self.settings
            .privacy_link
            .as_ref()
            .and_then(|l| l.labels.get(&self.language))
            .map_or("", String::as_str)
    }

    /// Each of [`Self::languages`] with how complete its texts are.
    pub fn language_status(&self) -> Vec<LanguageStatus> {
        let s = &self.settings;
        self.languages()
            .into_iter()
            .map(|code| {
                let d = s.consent.texts.get(&code);
                let mut missing = Vec::new();
                if let Some(d) = d {
                    for (part, text) in [
                        ("title", &d.title),
                        ("text", &d.body),
                        ("checkbox label", &d.checkbox_label),
                        ("start button label", &d.start_label),
                    ] {
                        if text.trim().is_empty() {
                            missing.push(part);
                        }
                    }
                }
                if let Some(link) = &s.privacy_link {
                    if link.labels.get(&code).is_none_or(|l| l.trim().is_empty()) {
                        missing.push("privacy link label");
                    }
                }
                let language = i18n::language(&code).filter(|l| l.code == code);
                LanguageStatus {
                    name: language.map(|l| l.name),
                    interface: language.is_some(),
                    disclaimer: d.is_some(),
                    missing,
                    code,
                }
            })
            .collect()
    }

    /// The languages the language select offers: those with any text plus Confide's
    /// defaults, sorted.
    pub fn languages(&self) -> Vec<String> {
        let s = &self.settings;
        let mut all: BTreeSet<String> = DEFAULT_LANGUAGES.iter().map(|l| l.to_string()).collect();
        all.extend(s.consent.texts.keys().cloned());
        if let Some(link) = &s.privacy_link {
            all.extend(link.labels.keys().cloned());
        }
        all.insert(s.default_language.clone());
        all.insert(self.language.clone());
        all.into_iter().collect()
    }

    pub fn apply(&mut self, edit: Edit) {
        let s = &mut self.settings;
        match edit {
            Edit::Loaded(settings) => {
                *s = settings;
            }
            Edit::DefaultLanguage(lang) => s.default_language = lang,
            Edit::ConsentRequired(on) => s.consent.required = on,
            Edit::SelectLanguage(lang) => self.language = lang,
            Edit::AddLanguage(lang) => {
                let lang = canonical_language(&lang);
                if lang.is_empty() {
                    return;
                }
                s.consent
                    .texts
                    .entry(lang.clone())
                    .or_insert_with(|| blank_or_default(&lang));
                self.language = lang;
            }
            Edit::RemoveLanguage => {
                s.consent.texts.remove(&self.language);
                if let Some(link) = &mut s.privacy_link {
                    link.labels.remove(&self.language);
                }
            }
            Edit::Disclaimer(field, value) => {
                let d = s
                    .consent
                    .texts
                    .entry(self.language.clone())
                    .or_insert_with(|| blank_or_default(&self.language));
                *match field {
                    DisclaimerField::Title => &mut d.title,
                    DisclaimerField::Body => &mut d.body,
                    DisclaimerField::CheckboxLabel => &mut d.checkbox_label,
                    DisclaimerField::StartLabel => &mut d.start_label,
                } = value;
            }
            Edit::PrivacyUrl(url) => {
                let link = s.privacy_link.get_or_insert_with(empty_link);
                link.url = url;
                if link.url.is_empty() && link.labels.is_empty() {
                    s.privacy_link = None;
                }
            }
            Edit::PrivacyLabel(label) => {
                let link = s.privacy_link.get_or_insert_with(empty_link);
                if label.is_empty() {
                    link.labels.remove(&self.language);
                } else {
                    link.labels.insert(self.language.clone(), label);
                }
                if link.url.is_empty() && link.labels.is_empty() {
                    s.privacy_link = None;
                }
            }
            Edit::PrivacyMode(on) => {
                s.privacy_mode = on;
                if on {
                    s.live_preview = false;
                }
            }
            Edit::LivePreview(on) => s.live_preview = on && !s.privacy_mode,
            Edit::TypingIndicator(on) => s.typing_indicator = on,
            Edit::LauncherColor(color) => s.launcher.color = color,
            Edit::LauncherPosition(side) => s.launcher.position = side,
            Edit::LauncherLabel(label) => s.launcher.label = label,
            Edit::NameField(r) => s.prechat_fields.name = r,
            Edit::EmailField(r) => s.prechat_fields.email = r,
            Edit::AddField => {
                let custom = &mut s.prechat_fields.custom;
                let key = (1..)
                    .map(|n| format!("field_{n}"))
                    .find(|k| !custom.iter().any(|f| &f.key == k))
                    .unwrap_or_default();
                custom.push(CustomField {
                    key,
                    requirement: Requirement::Optional,
                    labels: Default::default(),
                });
            }
            Edit::RemoveField(i) => {
                if i < s.prechat_fields.custom.len() {
                    s.prechat_fields.custom.remove(i);
                }
            }
            Edit::FieldKey(i, key) => {
                if let Some(f) = s.prechat_fields.custom.get_mut(i) {
                    f.key = key;
                }
            }
            Edit::FieldRequirement(i, r) => {
                if let Some(f) = s.prechat_fields.custom.get_mut(i) {
                    f.requirement = r;
                }
            }
            Edit::FieldLabel(i, label) => {
                if let Some(f) = s.prechat_fields.custom.get_mut(i) {
                    if label.is_empty() {
                        f.labels.remove(&self.language);
                    } else {
                        f.labels.insert(self.language.clone(), label);
                    }
                }
            }
            Edit::TranscriptMonths(n) => s.retention.transcript_months = n,
            Edit::DetailsDays(n) => s.retention.details_days = n,
            Edit::ReceiptMonths(n) => s.retention.receipt_months = n,
        }
    }
}

impl Reducible for SettingsEdit {
    type Action = Edit;

    fn reduce(self: Rc<Self>, action: Edit) -> Rc<Self> {
        let mut edit = Rc::unwrap_or_clone(self);
        edit.apply(action);
        Rc::new(edit)
    }
}

fn empty_link() -> PrivacyLink {
    PrivacyLink {
        url: String::new(),
        labels: Default::default(),
    }
}

/// Confide's disclaimer for its default languages; blank elsewhere, so an admin translates
/// it rather than shipping English under another language's code.
fn blank_or_default(lang: &str) -> Disclaimer {
    if DEFAULT_LANGUAGES.contains(&lang) {
        default_disclaimer(lang)
    } else {
        blank()
    }
}

/// A disclaimer with no text.
pub fn blank() -> Disclaimer {
    Disclaimer {
        title: String::new(),
        body: String::new(),
        checkbox_label: String::new(),
        start_label: String::new(),
        retention: String::new(),
    }
}

/// `left` or `right`, as the snippet and the position select write it.
pub fn side_name(side: Side) -> &'static str {
    match side {
        Side::Left => "left",
        Side::Right => "right",
    }
}

/// Escapes a value for a double-quoted HTML attribute.
pub fn escape_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The `<script>` tag a site pastes to embed a widget. `origin` is where Confide is served
/// (`location.origin`); without a known `integrity` the attribute is left out.
pub fn snippet(origin: &str, key: &str, integrity: Option<&str>, launcher: &Launcher) -> String {
    let origin = origin.trim_end_matches('/');
    let integrity = integrity
        .map(|i| format!(" integrity=\"{}\"", escape_attribute(i)))
        .unwrap_or_default();
    format!(
        "<script src=\"{}/loader.js\" data-widget=\"{}\" data-color=\"{}\" data-position=\"{}\" \
         data-label=\"{}\" async referrerpolicy=\"no-referrer\"{integrity} crossorigin=\"anonymous\"></script>",
        escape_attribute(origin),
        escape_attribute(key),
        escape_attribute(&launcher.color),
        side_name(launcher.position),
        escape_attribute(&launcher.label),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use confide_protocol::settings::Retention;

    fn launcher() -> Launcher {
        Launcher {
            color: "#2f5bea".into(),
            position: Side::Right,
            label: "Chat".into(),
        }
    }

    fn edit() -> SettingsEdit {
        SettingsEdit::new(WidgetSettings::defaults("https://example.com/privacy"))
    }

    fn run(edit: SettingsEdit, edits: impl IntoIterator<Item = Edit>) -> SettingsEdit {
        let mut rc = Rc::new(edit);
        for e in edits {
            rc = rc.reduce(e);
        }
        Rc::unwrap_or_clone(rc)
    }

    #[test]
    fn the_snippet_is_the_documented_tag() {
        assert_eq!(
            snippet(
                "https://chat.example.com/",
                "demo",
                Some("sha384-abc+/="),
                &launcher()
            ),
            "<script src=\"https://chat.example.com/loader.js\" data-widget=\"demo\" \
             data-color=\"#2f5bea\" data-position=\"right\" data-label=\"Chat\" async \
             referrerpolicy=\"no-referrer\" integrity=\"sha384-abc+/=\" \
             crossorigin=\"anonymous\"></script>"
        );
        let no_sri = snippet("https://c.example", "demo", None, &launcher());
        assert!(!no_sri.contains("integrity"), "{no_sri}");
    }

    #[test]
    fn snippet_attribute_values_are_escaped() {
        let mut l = launcher();
        l.label = r#"Talk "to" <us> & 'them'"#.into();
        l.position = Side::Left;
        let s = snippet("https://c.example", "demo", Some("sha384-x"), &l);
        assert!(
            s.contains(r#"data-label="Talk &quot;to&quot; &lt;us&gt; &amp; &#39;them&#39;""#),
            "{s}"
        );
        assert!(s.contains(r#"data-position="left""#), "{s}");
        // Exactly the one script element, whatever the label says.
        assert_eq!(s.matches('<').count(), 2, "{s}");
        assert_eq!(s.matches('"').count() % 2, 0, "{s}");
    }

    #[test]
    fn custom_fields_are_added_with_free_keys_labelled_per_language_and_checked() {
        let e = run(
            edit(),
            [
                Edit::AddField,
                Edit::AddField,
                Edit::RemoveField(0),
                Edit::AddField,
            ],
        );
        let keys: Vec<_> = e
            .settings
            .prechat_fields
            .custom
            .iter()
            .map(|f| f.key.clone())
            .collect();
        assert_eq!(keys, ["field_2", "field_1"]);
        // Shown without a label in the default language: a problem the form shows.
        let field = |e: &SettingsEdit| {
            e.settings
                .problems()
                .into_iter()
                .map(|p| p.field)
                .collect::<Vec<_>>()
        };
        assert!(field(&e).contains(&"prechat_fields.custom.0.labels.en".to_owned()));
        let e = run(
            e,
            [
                Edit::FieldLabel(0, "Order number".into()),
                Edit::FieldLabel(1, "Phone".into()),
                Edit::FieldKey(1, "phone".into()),
                Edit::FieldRequirement(1, Requirement::Required),
                Edit::NameField(Requirement::Required),
                Edit::EmailField(requirement_from("optional")),
            ],
        );
        assert_eq!(e.settings.problems(), vec![]);
        let f = &e.settings.prechat_fields;
        assert_eq!(
            (f.name, f.email),
            (Requirement::Required, Requirement::Optional)
        );
        assert_eq!(f.custom[1].key, "phone");
        assert_eq!(f.custom[1].labels["en"], "Phone");
        assert_eq!(f.custom[1].requirement, Requirement::Required);
        let e = run(e, [Edit::FieldKey(0, "Bad Key".into())]);
        assert!(field(&e).contains(&"prechat_fields.custom.0.key".to_owned()));
        assert_eq!(requirement_name(requirement_from("nonsense")), "off");
    }

    #[test]
    fn privacy_mode_turns_live_preview_off_and_keeps_it_off() {
        let e = run(edit(), [Edit::PrivacyMode(false), Edit::LivePreview(true)]);
        assert!(e.settings.live_preview);
        let e = run(e, [Edit::PrivacyMode(true)]);
        assert!(!e.settings.live_preview);
        let e = run(e, [Edit::LivePreview(true)]);
        assert!(!e.settings.live_preview);
        assert_eq!(e.settings.problems(), vec![]);
    }

    #[test]
    fn disclaimers_are_edited_one_language_at_a_time() {
        let e = run(
            edit(),
            [
                Edit::SelectLanguage("de".into()),
                Edit::Disclaimer(DisclaimerField::Title, "Hallo".into()),
                Edit::PrivacyLabel("Datenschutz".into()),
            ],
        );
        assert_eq!(e.settings.consent.texts["de"].title, "Hallo");
        assert_eq!(e.settings.consent.texts["en"].title, "Before we chat");
        assert_eq!(e.privacy_label(), "Datenschutz");

        // A language Confide has no text for starts blank, so it must be translated before
        // it can be saved.
        let e = run(e, [Edit::AddLanguage(" KO ".into())]);
        assert_eq!(e.language, "ko");
        assert!(e.languages().contains(&"ko".to_owned()));
        let fields: Vec<String> = e.settings.problems().into_iter().map(|p| p.field).collect();
        assert!(
            fields.contains(&"consent.texts.ko.body".to_owned()),
            "{fields:?}"
        );
        let e = run(e, [Edit::RemoveLanguage]);
        assert!(e.disclaimer().is_none());
        assert_eq!(e.settings.problems(), vec![]);
    }

    #[test]
    fn every_language_is_listed_with_what_it_still_lacks() {
        let status = |e: &SettingsEdit, code: &str| {
            e.language_status()
                .into_iter()
                .find(|l| l.code == code)
                .expect("listed")
        };
        let e = edit();
        let all = e.language_status();
        assert_eq!(all.len(), 34, "Confide's 34, all complete");
        assert!(all.iter().all(LanguageStatus::complete));
        assert_eq!(status(&e, "pt-BR").name, Some("Português (Brasil)"));

        // A widget made before there were 34: six languages have nothing yet.
        let mut older = WidgetSettings::defaults("https://example.com/privacy");
        older.consent.texts.remove("sv");
        let e = run(
            SettingsEdit::new(older),
            [
                Edit::SelectLanguage("de".into()),
                Edit::Disclaimer(DisclaimerField::Body, " ".into()),
                Edit::PrivacyLabel(String::new()),
                Edit::AddLanguage("pt_br".into()),
                Edit::AddLanguage("ko".into()),
            ],
        );
        let sv = status(&e, "sv");
        assert!(!sv.disclaimer && !sv.complete());
        assert_eq!(
            sv.missing,
            Vec::<&str>::new(),
            "its link label is still there"
        );
        let de = status(&e, "de");
        assert_eq!(de.missing, ["text", "privacy link label"]);
        let ko = status(&e, "ko");
        assert!(ko.disclaimer && !ko.interface && ko.name.is_none());
        assert_eq!(
            ko.missing,
            [
                "title",
                "text",
                "checkbox label",
                "start button label",
                "privacy link label"
            ]
        );
        assert!(status(&e, "pt-BR").complete(), "typed pt_br is pt-BR");
    }

    #[test]
    fn a_launcher_colour_white_text_cannot_be_read_on_is_flagged() {
        assert_eq!(weak_launcher_contrast("#2f5bea"), None);
        assert_eq!(weak_launcher_contrast("#767676"), None, "4.54:1 passes");
        assert!(weak_launcher_contrast("#777777").is_some_and(|r| r < 4.5));
        assert!(weak_launcher_contrast("#ffcc00").is_some_and(|r| r < 1.6));
        assert_eq!(weak_launcher_contrast("yellow"), None, "another problem");
    }

    #[test]
    fn an_http_privacy_url_is_a_problem_and_clearing_the_link_removes_it() {
        let e = run(edit(), [Edit::PrivacyUrl("http://example.com".into())]);
        let fields: Vec<String> = e.settings.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["privacy_link.url"]);

        let mut s = WidgetSettings::defaults("https://example.com/privacy");
        s.privacy_link = None;
        s.consent.required = false;
        let e = run(
            SettingsEdit::new(s),
            [
                Edit::PrivacyUrl("h".into()),
                Edit::PrivacyUrl(String::new()),
            ],
        );
        assert_eq!(e.settings.privacy_link, None);
    }

    fn problem_fields(e: &SettingsEdit) -> Vec<String> {
        e.settings.problems().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn retention_periods_are_edited_checked_and_saved_with_the_settings() {
        let e = run(edit(), [Edit::DetailsDays(200)]);
        let fields = problem_fields(&e);
        assert!(!fields.is_empty(), "200 days is refused");
        assert!(
            fields.iter().all(|f| f == "retention.details_days"),
            "{fields:?}"
        );
        // Within 1 to 90 days but longer than one month of transcripts (30 days).
        let e = run(e, [Edit::TranscriptMonths(1), Edit::DetailsDays(31)]);
        assert_eq!(problem_fields(&e), ["retention.details_days"]);
        let e = run(e, [Edit::TranscriptMonths(0), Edit::ReceiptMonths(121)]);
        assert_eq!(
            problem_fields(&e),
            [
                "retention.transcript_months",
                "retention.receipt_months",
                "retention.details_days"
            ],
            "31 days are longer than 0 months"
        );

        let e = run(
            e,
            [
                Edit::TranscriptMonths(12),
                Edit::DetailsDays(90),
                Edit::ReceiptMonths(60),
            ],
        );
        assert_eq!(e.settings.problems(), vec![]);
        let retention = Retention {
            transcript_months: 12,
            details_days: 90,
            receipt_months: 60,
        };
        assert_eq!(e.settings.retention, retention);
        // What the form sends on save, and what it keeps from the server's answer.
        let sent = serde_json::to_value(&e.settings).expect("json");
        assert_eq!(
            sent["retention"],
            serde_json::json!({"transcript_months": 12, "details_days": 90, "receipt_months": 60})
        );
        let saved = serde_json::from_value(sent).expect("settings");
        let e = run(edit(), [Edit::Loaded(saved)]);
        assert_eq!(e.settings.retention, retention);
    }

    #[test]
    fn a_retention_field_reads_whole_numbers_and_shows_0_as_empty() {
        assert_eq!(period_from(" 12 "), 12);
        for not_whole in ["", "1.5", "-3", "1e2", "many", "99999999999"] {
            assert_eq!(period_from(not_whole), 0, "{not_whole}");
        }
        assert_eq!(period_text(0), "");
        assert_eq!(period_text(36), "36");
        let e = run(edit(), [Edit::ReceiptMonths(period_from(""))]);
        assert_eq!(problem_fields(&e), ["retention.receipt_months"]);
    }
}
