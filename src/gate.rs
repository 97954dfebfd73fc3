//! What comes before the chat, as a yew [`Reducible`] with no `web-sys` inside (tested
//! natively): the widget's settings are loading, could not be loaded, the consent gate is
//! shown, the pre-chat form is shown, or the chat runs (with the consent the visitor gave,
//! when one is required, and the fields they filled in).
//!
//! The chat (and with it the socket, the token and the outbox) exists only in
//! [`Stage::Chat`], so while the gate is shown nothing but the config request (and the
//! language file) leaves the browser.
//!
//! The gate also holds the interface language and its texts: the language is chosen at start
//! (`i18n::choose`), from the settings' default language when none of the visitor's matched,
//! or picked in the menu; the disclaimer and the pre-chat labels follow it when the widget has
//! them in that language. Nothing but loading (or a failure) shows until its texts are here.

use crate::strings::Strings;
use confide_protocol::chat::ConsentGiven;
use confide_protocol::details::{field_rule, PrechatValues, MAX_FIELD_CHARS};
use confide_protocol::i18n::{self, Text};
use confide_protocol::settings::{
    is_https_url, CustomField, Disclaimer, PrechatFields, Requirement, WidgetSettings,
};
use std::rc::Rc;
use yew::Reducible;

/// Why the settings could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server knows no widget with this key.
    NotFound,
    /// The request did not get an answer (offline, server down).
    Offline,
    /// The server answered with an error, or with settings the widget cannot read; the
    /// detail (a status or a field path, never anything personal) is for the developer.
    Broken(String),
    /// Consent is required but there is no disclaimer to show.
    NoDisclaimer,
}

impl Failure {
    /// What the visitor reads (a text the widget has built in, so it shows before any
    /// language file).
    pub fn message(&self) -> Text {
        match self {
            Failure::NotFound => Text::Unavailable,
            Failure::Offline => Text::LoadOffline,
            Failure::Broken(_) | Failure::NoDisclaimer => Text::LoadFailed,
        }
    }

    /// A "try again" button makes sense.
    pub fn can_retry(&self) -> bool {
        !matches!(self, Failure::NotFound)
    }

    /// For the `data-problem` attribute: what went wrong, for whoever debugs the widget.
    pub fn detail(&self) -> String {
        match self {
            Failure::NotFound => "widget_not_found".to_owned(),
            Failure::Offline => "offline".to_owned(),
            Failure::Broken(why) => why.clone(),
            Failure::NoDisclaimer => "no disclaimer".to_owned(),
        }
    }
}

/// The privacy link as the gate shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    /// An `https://` URL (others are not shown).
    pub url: String,
    pub label: String,
}

/// Everything the consent gate shows, in the visitor's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentView {
    /// The disclaimer's language (a primary subtag such as `de`).
    pub language: String,
    /// The consent version these texts belong to.
    pub version: u32,
    pub disclaimer: Disclaimer,
    pub privacy_link: Option<LinkView>,
}

impl ConsentView {
    /// Picks the disclaimer for a visitor with these `languages` (most preferred first: the
    /// gate puts the interface language first) through the protocol's `disclaimer_for`, and
    /// the privacy link's label in the same language, else the default language's, else any.
    /// `None` when there is no disclaimer at all.
    pub fn choose(settings: &WidgetSettings, languages: &[String]) -> Option<Self> {
        let (language, disclaimer) = settings.disclaimer_for(languages)?;
        let privacy_link = settings
            .privacy_link
            .as_ref()
            .filter(|link| is_https_url(&link.url))
            .map(|link| LinkView {
                url: link.url.clone(),
                label: i18n::lookup([language], link.labels.keys())
                    .and_then(|k| link.labels.get(k))
                    .or_else(|| link.labels.get(&settings.default_language))
                    .or_else(|| link.labels.values().next())
                    .filter(|label| !label.trim().is_empty())
                    .unwrap_or(&link.url)
                    .clone(),
            });
        Some(Self {
            language: language.to_owned(),
            version: settings.consent.version,
            disclaimer: disclaimer.clone(),
            privacy_link,
        })
    }

    /// The exact text the visitor agrees to, which the consent's hash covers.
    pub fn shown_text(&self) -> String {
        self.disclaimer.shown_text()
    }

    /// The consent to send, given the SHA-256 (lower-case hex) of [`Self::shown_text`].
    pub fn given(&self, text_sha256: String) -> ConsentGiven {
        ConsentGiven {
            language: self.language.clone(),
            version: self.version,
            text_sha256,
        }
    }
}

/// What the chat runs with, settled before it starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChatSetup {
    /// What every `hello` carries; `None` when the widget requires no consent.
    pub consent: Option<ConsentGiven>,
    /// The pre-chat values the visitor filled in; `None` when the widget asks for none.
    pub fields: Option<PrechatValues>,
    /// Privacy mode: no page context leaves the browser.
    pub privacy_mode: bool,
    pub typing_indicator: bool,
    /// Send the draft for operators' live preview (never in privacy mode).
    pub live_preview: bool,
    /// How long each kind of data is kept, as the server worded it in the disclaimer's
    /// language (empty when there is none); the privacy panel repeats it.
    pub notice: String,
}

/// The pre-chat form: the widget's fields, labelled in the visitor's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrechatView {
    pub fields: PrechatFields,
    /// The language labels are picked in.
    pub language: String,
    pub default_language: String,
    /// Values from an earlier visit, to fill the form with.
    pub stored: Option<PrechatValues>,
}

/// A pre-chat field's label: the built-in fields' come from the interface's texts, a custom
/// field's from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label<'a> {
    Name,
    Email,
    Custom(&'a str),
}

/// What is wrong with one pre-chat field (never its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRule {
    Required,
    /// Longer than this many characters.
    TooLong(usize),
    OneLine,
    NotEmail,
}

impl FieldRule {
    /// The interface text that says it.
    pub fn text(self) -> Text {
        match self {
            FieldRule::Required => Text::FieldRequired,
            FieldRule::TooLong(_) => Text::FieldTooLong,
            FieldRule::OneLine => Text::FieldOneLine,
            FieldRule::NotEmail => Text::FieldEmail,
        }
    }
}

impl PrechatView {
    /// A custom field's label in the visitor's language (or the nearest one it has), else the
    /// default language's, else its key.
    pub fn label<'a>(&'a self, field: &'a CustomField) -> &'a str {
        i18n::lookup(
            [self.language.as_str(), self.default_language.as_str()],
            field.labels.keys(),
        )
        .and_then(|k| field.labels.get(k))
        .map_or(field.key.as_str(), String::as_str)
    }

    /// The fields shown, as (key, label, requirement) with `name` and `email` first.
    pub fn shown(&self) -> Vec<(&str, Label<'_>, Requirement)> {
        let mut out = Vec::new();
        if self.fields.name != Requirement::Off {
            out.push(("name", Label::Name, self.fields.name));
        }
        if self.fields.email != Requirement::Off {
            out.push(("email", Label::Email, self.fields.email));
        }
        for f in &self.fields.custom {
            if f.requirement != Requirement::Off {
                out.push((f.key.as_str(), Label::Custom(self.label(f)), f.requirement));
            }
        }
        out
    }

    /// Checks what the visitor typed: the values to send, or which field (key and label)
    /// breaks which rule, never the value.
    pub fn check(
        &self,
        values: &PrechatValues,
    ) -> Result<PrechatValues, (&str, Label<'_>, FieldRule)> {
        values.checked(&self.fields).map_err(|p| {
            let (key, label) = match p.field.strip_prefix("custom.") {
                // (A key the settings do not have cannot come from the form.)
                Some(key) => self
                    .fields
                    .custom
                    .iter()
                    .find(|f| f.key == key)
                    .map_or(("name", Label::Name), |f| {
                        (f.key.as_str(), Label::Custom(self.label(f)))
                    }),
                None if p.field == "email" => ("email", Label::Email),
                None => ("name", Label::Name),
            };
            let rule = match p.message.as_str() {
                field_rule::TOO_LONG => FieldRule::TooLong(MAX_FIELD_CHARS),
                field_rule::ONE_LINE => FieldRule::OneLine,
                field_rule::NOT_EMAIL => FieldRule::NotEmail,
                _ => FieldRule::Required,
            };
            (key, label, rule)
        })
    }
}

/// What the settings decided for after the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct After {
    base: ChatSetup,
    /// The form to show; `None` when no field is asked or the stored values still do.
    prechat: Option<Rc<PrechatView>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// The config request is on its way.
    Loading,
    Failed(Failure),
    /// The gate: nothing is sent until the visitor ticks the box and starts.
    Consent(Rc<ConsentView>),
    /// The pre-chat form (after the gate, when there is one).
    Prechat(Rc<PrechatView>),
    /// The chat runs with this setup.
    Chat(Rc<ChatSetup>),
}

impl Stage {
    /// The `data-connection` value while there is no socket (the chat shows its own).
    pub fn as_str(&self) -> &'static str {
        match self {
            Stage::Loading => "loading",
            Stage::Failed(Failure::NotFound) => "unavailable",
            Stage::Failed(_) => "error",
            Stage::Consent(_) => "consent",
            Stage::Prechat(_) => "prechat",
            Stage::Chat(_) => "chat",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub stage: Stage,
    /// Grows each time the settings must be (re)loaded, so the loading effect runs again.
    pub fetch: u32,
    /// The interface language; `None` until the settings say their default (when none of
    /// the visitor's languages is one the widget has).
    pub language: Option<&'static str>,
    /// The newest texts that loaded (the built-in English of the first few until one has).
    pub t: Rc<Strings>,
    /// The wanted language's file could not be fetched or read.
    pub strings_failed: bool,
    /// The server refused the consent (or its absence) since the last "try again".
    refused: bool,
    /// Set once the settings are loaded.
    after: Option<Rc<After>>,
    /// The consent given at the gate, while the pre-chat form is shown.
    consent: Option<ConsentGiven>,
    /// The settings and the visitor's languages, to choose the disclaimer again when the
    /// visitor picks another language at the gate.
    loaded: Option<Rc<(WidgetSettings, Vec<String>)>>,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

// No `PartialEq` outside tests: comparing settings would add their deep equality to the bundle.
#[derive(Debug, Clone)]
#[cfg_attr(test, derive(PartialEq))]
pub enum GateAction {
    /// The settings arrived; `stored` is the consent kept from an earlier visit,
    /// `stored_fields` the pre-chat values, `languages` the visitor's (navigator.languages,
    /// most preferred first).
    Loaded {
        settings: Box<WidgetSettings>,
        stored: Option<ConsentGiven>,
        stored_fields: Option<PrechatValues>,
        languages: Vec<String>,
    },
    LoadFailed(Failure),
    /// The visitor asks to load again after a failure.
    Retry,
    /// The visitor ticked the box and started.
    Agreed(ConsentGiven),
    /// The visitor filled in the pre-chat form (checked values).
    Filled(PrechatValues),
    /// The server answered `consent_required` (close code 4451): the stored consent is gone
    /// (outdated, or the texts changed); load the settings again and show the gate.
    Refused,
    /// The visitor withdrew consent (the stored one is gone): load the settings again and
    /// show the gate as to a new visitor.
    Withdrawn,
    /// The visitor picked another interface language.
    Language(&'static str),
    /// A language's file arrived (`Some`) or could not be had.
    Strings(&'static str, Option<Rc<Strings>>),
}

impl Gate {
    pub fn new() -> Self {
        Self::with_language(None)
    }

    /// A gate whose interface language is already chosen (`i18n::choose`), so its language
    /// file can load while the settings do.
    pub fn with_language(language: Option<&'static str>) -> Self {
        Self {
            stage: Stage::Loading,
            fetch: 0,
            language,
            t: Rc::new(Strings::builtin()),
            strings_failed: false,
            refused: false,
            after: None,
            consent: None,
            loaded: None,
        }
    }

    /// The texts of the interface language are here: the gate and the chat may show.
    pub fn ready(&self) -> bool {
        self.language == Some(self.t.lang)
    }

    /// The visitor's languages with the interface language first: what the disclaimer and
    /// the labels are picked by.
    fn preferred(&self, languages: &[String]) -> Vec<String> {
        self.language
            .map(str::to_owned)
            .into_iter()
            .chain(languages.iter().cloned())
            .collect()
    }

    /// The visitor picked `language`: the gate and the pre-chat form follow it, as if the
    /// settings had just arrived (with the consent already given, if any).
    fn pick(&mut self, language: &'static str) {
        self.language = Some(language);
        if let (Some(loaded), Stage::Consent(_) | Stage::Prechat(_)) = (&self.loaded, &self.stage) {
            let (loaded, consent) = (loaded.clone(), self.consent.take());
            self.loaded(loaded, consent, None);
        }
    }

    fn reload(&mut self) {
        self.stage = Stage::Loading;
        self.fetch = self.fetch.wrapping_add(1);
    }

    fn loaded(
        &mut self,
        loaded: Rc<(WidgetSettings, Vec<String>)>,
        stored: Option<ConsentGiven>,
        stored_fields: Option<PrechatValues>,
    ) {
        let (settings, languages) = &*loaded;
        let fields = &settings.prechat_fields;
        let asked = fields.any_shown();
        // Values kept from an earlier visit count while they still satisfy the settings.
        let kept = stored_fields
            .filter(|_| asked)
            .and_then(|v| v.checked(fields).ok());
        // A language chosen from the visitor's (or for them) goes first; when none matched,
        // the interface falls back to the settings' default, but a disclaimer the widget has
        // in one of the visitor's own languages still beats it.
        let languages = &match self.language {
            Some(_) => self.preferred(languages),
            None => {
                let ui = i18n::fallback(&settings.default_language);
                self.language = Some(ui);
                let mut all = languages.to_vec();
                all.push(ui.to_owned());
                all
            }
        };
        let prechat = (asked && kept.is_none()).then(|| {
            Rc::new(PrechatView {
                fields: fields.clone(),
                language: prechat_language(settings, languages),
                default_language: settings.default_language.clone(),
                stored: None,
            })
        });
        self.after = Some(Rc::new(After {
            base: ChatSetup {
                consent: None,
                fields: kept,
                privacy_mode: settings.privacy_mode,
                typing_indicator: settings.typing_indicator,
                live_preview: settings.live_preview && !settings.privacy_mode,
                notice: settings
                    .disclaimer_for(languages)
                    .map(|(_, d)| d.retention.clone())
                    .unwrap_or_default(),
            },
            prechat,
        }));
        self.loaded = Some(loaded.clone());
        let consent = &settings.consent;
        if !consent.required {
            if self.refused {
                // The server wants consent the settings do not ask for: do not go round.
                self.stage =
                    Stage::Failed(Failure::Broken("consent refused but not required".into()));
            } else {
                self.proceed(None);
            }
        } else if let Some(given) = stored.filter(|c| c.version == consent.version) {
            self.proceed(Some(given));
        } else {
            self.stage = match ConsentView::choose(settings, languages) {
                Some(view) => Stage::Consent(Rc::new(view)),
                None => Stage::Failed(Failure::NoDisclaimer),
            };
        }
    }

    /// After the consent (or without one): the pre-chat form if it is needed, else the chat.
    fn proceed(&mut self, consent: Option<ConsentGiven>) {
        let Some(after) = self.after.clone() else {
            return;
        };
        match &after.prechat {
            Some(view) => {
                self.consent = consent;
                self.stage = Stage::Prechat(view.clone());
            }
            None => {
                self.stage = Stage::Chat(Rc::new(ChatSetup {
                    consent,
                    ..after.base.clone()
                }));
            }
        }
    }
}

/// The language the pre-chat labels are picked in: the disclaimer's, else the default.
fn prechat_language(settings: &WidgetSettings, preferred: &[String]) -> String {
    settings
        .disclaimer_for(preferred)
        .map_or_else(|| settings.default_language.clone(), |(l, _)| l.to_owned())
}

impl Reducible for Gate {
    type Action = GateAction;

    fn reduce(self: Rc<Self>, action: GateAction) -> Rc<Self> {
        let mut g = (*self).clone();
        match (action, &self.stage) {
            (
                GateAction::Loaded {
                    settings,
                    stored,
                    stored_fields,
                    languages,
                },
                Stage::Loading,
            ) => g.loaded(Rc::new((*settings, languages)), stored, stored_fields),
            (GateAction::LoadFailed(failure), Stage::Loading) => g.stage = Stage::Failed(failure),
            (GateAction::Retry, stage) if matches!(stage, Stage::Failed(_)) || g.strings_failed => {
                g.refused = false;
                g.strings_failed = false;
                g.reload();
            }
            (GateAction::Strings(lang, loaded), _) => {
                if g.language != Some(lang) {
                    // An answer for a language the visitor no longer wants.
                    return self;
                }
                match loaded {
                    Some(t) => g.t = t,
                    None => g.strings_failed = true,
                }
            }
            (GateAction::Agreed(given), Stage::Consent(_)) => g.proceed(Some(given)),
            (GateAction::Filled(values), Stage::Prechat(_)) => {
                let base = g.after.as_ref().map(|a| a.base.clone()).unwrap_or_default();
                g.stage = Stage::Chat(Rc::new(ChatSetup {
                    consent: g.consent.take(),
                    fields: Some(values),
                    ..base
                }));
            }
            (GateAction::Withdrawn, Stage::Chat(_)) => {
                g.refused = false;
                g.reload();
            }
            (GateAction::Refused, Stage::Chat(_)) => {
                g.refused = true;
                g.reload();
            }
            (GateAction::Language(language), _) => {
                if g.language == Some(language) {
                    return self;
                }
                g.pick(language);
            }
            // Late or out-of-place: nothing changes.
            _ => return self,
        }
        Rc::new(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confide_protocol::settings::{default_disclaimer, CustomField, PrivacyLink};

    fn demo() -> WidgetSettings {
        WidgetSettings::defaults("https://example.com/privacy")
    }

    fn langs(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| (*s).to_owned()).collect()
    }

    fn loaded(settings: WidgetSettings, stored: Option<ConsentGiven>, l: &[&str]) -> GateAction {
        GateAction::Loaded {
            settings: Box::new(settings),
            stored,
            stored_fields: None,
            languages: langs(l),
        }
    }

    /// The chat's setup for the demo settings (privacy mode, typing on) with this consent.
    fn chat(consent: Option<ConsentGiven>) -> Stage {
        Stage::Chat(Rc::new(ChatSetup {
            consent,
            fields: None,
            privacy_mode: true,
            typing_indicator: true,
            live_preview: false,
            notice: String::new(),
        }))
    }

    fn run(actions: impl IntoIterator<Item = GateAction>) -> Rc<Gate> {
        actions
            .into_iter()
            .fold(Rc::new(Gate::new()), |g, a| g.reduce(a))
    }

    fn given(version: u32) -> ConsentGiven {
        ConsentGiven {
            language: "en".into(),
            version,
            text_sha256: "ab".repeat(32),
        }
    }

    fn view(g: &Gate) -> Rc<ConsentView> {
        match &g.stage {
            Stage::Consent(v) => v.clone(),
            other => panic!("expected the gate, got {other:?}"),
        }
    }

    #[test]
    fn it_starts_loading_and_without_required_consent_goes_straight_to_the_chat() {
        assert_eq!(Gate::new().stage.as_str(), "loading");
        let mut s = demo();
        s.consent.required = false;
        let g = run([loaded(s, Some(given(1)), &["en"])]);
        assert_eq!(g.stage, chat(None), "no consent is sent when none is asked");
    }

    #[test]
    fn required_consent_shows_the_gate_in_the_visitors_language() {
        let g = run([loaded(demo(), None, &["de-AT", "en"])]);
        assert_eq!(g.stage.as_str(), "consent");
        let v = view(&g);
        assert_eq!(v.language, "de");
        assert_eq!(v.version, 1);
        assert_eq!(v.disclaimer.title, "Bevor wir chatten");
        assert_eq!(
            v.privacy_link,
            Some(LinkView {
                url: "https://example.com/privacy".into(),
                label: "Datenschutzerklärung".into(),
            })
        );
        assert_eq!(v.shown_text(), demo().consent.texts["de"].shown_text());
        let g = run([loaded(demo(), None, &["ko", "zh-TW"])]);
        assert_eq!(view(&g).language, "en", "the widget's default language");
    }

    #[test]
    fn the_link_label_falls_back_to_the_default_language_and_only_https_links_show() {
        let mut s = demo();
        s.privacy_link = Some(PrivacyLink {
            url: "https://example.com/p".into(),
            labels: [("en".to_owned(), "Policy".to_owned())].into(),
        });
        let v = view(&run([loaded(s.clone(), None, &["fr"])]));
        assert_eq!(v.language, "fr");
        assert_eq!(
            v.privacy_link.clone().map(|l| l.label),
            Some("Policy".into())
        );

        s.privacy_link = Some(PrivacyLink {
            url: "https://example.com/p".into(),
            labels: Default::default(),
        });
        let v = view(&run([loaded(s.clone(), None, &["fr"])]));
        assert_eq!(
            v.privacy_link.clone().map(|l| l.label),
            Some("https://example.com/p".into())
        );

        for bad in ["javascript:alert(1)", "http://example.com/p"] {
            s.privacy_link = Some(PrivacyLink {
                url: bad.into(),
                labels: Default::default(),
            });
            assert_eq!(
                view(&run([loaded(s.clone(), None, &["en"])])).privacy_link,
                None
            );
        }
        s.privacy_link = None;
        assert_eq!(view(&run([loaded(s, None, &["en"])])).privacy_link, None);
    }

    #[test]
    fn a_stored_consent_of_the_current_version_skips_the_gate_and_an_older_one_does_not() {
        let g = run([loaded(demo(), Some(given(1)), &["de"])]);
        assert_eq!(g.stage, chat(Some(given(1))));
        let mut s = demo();
        s.consent.version = 2;
        let g = run([loaded(s, Some(given(1)), &["de"])]);
        assert_eq!(view(&g).version, 2);
    }

    #[test]
    fn agreeing_starts_the_chat_with_that_consent() {
        let g = run([loaded(demo(), None, &["en"])]);
        let consent = view(&g).given("cd".repeat(32));
        assert_eq!(consent.language, "en");
        assert_eq!(consent.version, 1);
        let g = g.reduce(GateAction::Agreed(consent.clone()));
        assert_eq!(g.stage, chat(Some(consent)));
    }

    #[test]
    fn a_refused_consent_reloads_the_settings_and_shows_the_gate_again() {
        let g = run([loaded(demo(), Some(given(1)), &["en"])]);
        let fetch = g.fetch;
        let g = g.reduce(GateAction::Refused);
        assert_eq!(g.stage, Stage::Loading);
        assert_eq!(g.fetch, fetch + 1, "the settings are fetched again");
        let g = g.reduce(loaded(demo(), None, &["en"]));
        assert_eq!(g.stage.as_str(), "consent");
    }

    #[test]
    fn a_withdrawn_consent_reloads_the_settings_and_shows_the_gate_again() {
        let g = run([loaded(demo(), Some(given(1)), &["en"])]);
        let fetch = g.fetch;
        let g = g.reduce(GateAction::Withdrawn);
        assert_eq!((g.stage.clone(), g.fetch), (Stage::Loading, fetch + 1));
        let g = g.reduce(loaded(demo(), None, &["en"]));
        assert_eq!(g.stage.as_str(), "consent");
        // Out of place before the chat.
        let same = g.clone().reduce(GateAction::Withdrawn);
        assert!(Rc::ptr_eq(&g, &same));
    }

    #[test]
    fn a_server_that_refuses_what_the_settings_do_not_require_does_not_loop() {
        let mut s = demo();
        s.consent.required = false;
        let g = run([
            loaded(s.clone(), None, &["en"]),
            GateAction::Refused,
            loaded(s.clone(), None, &["en"]),
        ]);
        assert!(matches!(g.stage, Stage::Failed(Failure::Broken(_))));
        // The visitor may try again, once per click.
        let g = g.reduce(GateAction::Retry);
        assert_eq!(g.stage, Stage::Loading);
        let g = g.reduce(loaded(s, None, &["en"]));
        assert_eq!(g.stage, chat(None));
    }

    fn with_fields(s: &mut WidgetSettings) {
        s.privacy_mode = false;
        s.live_preview = true;
        s.prechat_fields.name = Requirement::Required;
        s.prechat_fields.custom = vec![CustomField {
            key: "order".into(),
            requirement: Requirement::Optional,
            labels: [
                ("en".to_owned(), "Order number".to_owned()),
                ("de".to_owned(), "Bestellnummer".to_owned()),
            ]
            .into(),
        }];
    }

    fn prechat(g: &Gate) -> Rc<PrechatView> {
        match &g.stage {
            Stage::Prechat(v) => v.clone(),
            other => panic!("expected the pre-chat form, got {other:?}"),
        }
    }

    #[test]
    fn fields_come_after_the_consent_and_the_chat_gets_both_and_the_mode() {
        let mut s = demo();
        with_fields(&mut s);
        let g = run([loaded(s, None, &["de"])]);
        let consent = view(&g).given("cd".repeat(32));
        let g = g.reduce(GateAction::Agreed(consent.clone()));
        let form = prechat(&g);
        assert_eq!(
            form.shown(),
            vec![
                ("name", Label::Name, Requirement::Required),
                (
                    "order",
                    Label::Custom("Bestellnummer"),
                    Requirement::Optional
                )
            ]
        );
        let missing = form.check(&PrechatValues::default()).expect_err("name");
        assert_eq!(missing, ("name", Label::Name, FieldRule::Required));
        let bad_email = PrechatView {
            fields: PrechatFields {
                email: Requirement::Optional,
                ..form.fields.clone()
            },
            ..(*form).clone()
        };
        let typed = PrechatValues {
            name: Some("Grace".into()),
            email: Some("not an address".into()),
            ..PrechatValues::default()
        };
        assert_eq!(
            bad_email.check(&typed).expect_err("email"),
            ("email", Label::Email, FieldRule::NotEmail)
        );
        let long = PrechatValues {
            name: Some("x".repeat(MAX_FIELD_CHARS + 1)),
            ..PrechatValues::default()
        };
        assert_eq!(
            form.check(&long).expect_err("long"),
            ("name", Label::Name, FieldRule::TooLong(MAX_FIELD_CHARS))
        );
        let two_lines = PrechatValues {
            name: Some("a\nb".into()),
            ..PrechatValues::default()
        };
        assert_eq!(
            form.check(&two_lines).expect_err("lines"),
            ("name", Label::Name, FieldRule::OneLine)
        );
        let values = form
            .check(&PrechatValues {
                name: Some(" Grace ".into()),
                ..PrechatValues::default()
            })
            .expect("ok");
        let g = g.reduce(GateAction::Filled(values.clone()));
        assert_eq!(
            g.stage,
            Stage::Chat(Rc::new(ChatSetup {
                consent: Some(consent),
                fields: Some(values),
                privacy_mode: false,
                typing_indicator: true,
                live_preview: true,
                notice: String::new(),
            }))
        );
    }

    #[test]
    fn the_chat_keeps_the_retention_notice_of_the_disclaimer_shown_for_the_panel() {
        let mut s = demo();
        s.word_retention();
        let german = s.consent.texts["de"].retention.clone();
        assert!(!german.is_empty());
        let g = run([loaded(s.clone(), None, &["de-AT", "en"])]);
        let Stage::Consent(view) = &g.stage else {
            panic!("the gate first: {:?}", g.stage);
        };
        assert_eq!(
            view.disclaimer.retention, german,
            "shown with the disclaimer"
        );
        assert!(view.shown_text().contains(&german), "and agreed to");
        let given = view.given("ab".repeat(32));
        let g = g.reduce(GateAction::Agreed(given));
        let Stage::Chat(setup) = &g.stage else {
            panic!("the chat: {:?}", g.stage);
        };
        assert_eq!(setup.notice, german);
    }

    #[test]
    fn stored_fields_skip_the_form_only_while_they_still_satisfy_the_settings() {
        let mut s = demo();
        with_fields(&mut s);
        s.consent.required = false;
        let stored = PrechatValues {
            name: Some("Grace".into()),
            ..PrechatValues::default()
        };
        let with = |stored: Option<PrechatValues>| GateAction::Loaded {
            settings: Box::new(s.clone()),
            stored: None,
            stored_fields: stored,
            languages: langs(&["en"]),
        };
        let g = run([with(Some(stored.clone()))]);
        assert!(matches!(&g.stage, Stage::Chat(c) if c.fields == Some(stored.clone())));
        let g = run([with(Some(PrechatValues::default()))]);
        assert_eq!(g.stage.as_str(), "prechat", "the name is now required");
        let g = run([with(None)]);
        assert_eq!(prechat(&g).language, "en");
    }

    #[test]
    fn privacy_mode_never_turns_on_live_preview() {
        let mut s = demo();
        s.consent.required = false;
        s.live_preview = true;
        s.typing_indicator = false;
        let g = run([loaded(s, None, &["en"])]);
        match &g.stage {
            Stage::Chat(c) => assert!(c.privacy_mode && !c.live_preview && !c.typing_indicator),
            other => panic!("expected the chat, got {other:?}"),
        }
    }

    #[test]
    fn failures_say_whether_trying_again_helps() {
        let g = run([GateAction::LoadFailed(Failure::NotFound)]);
        assert_eq!(g.stage.as_str(), "unavailable");
        assert!(!Failure::NotFound.can_retry());
        assert_eq!(Failure::NotFound.message(), Text::Unavailable);
        assert_eq!(Failure::Offline.message(), Text::LoadOffline);
        assert_eq!(Failure::NoDisclaimer.message(), Text::LoadFailed);
        let g = run([GateAction::LoadFailed(Failure::Offline)]);
        assert_eq!(g.stage.as_str(), "error");
        assert!(Failure::Offline.can_retry());
        let g = g.reduce(GateAction::Retry);
        assert_eq!((g.stage.clone(), g.fetch), (Stage::Loading, 1));
    }

    #[test]
    fn required_consent_without_any_disclaimer_is_a_failure_not_an_empty_gate() {
        let mut s = demo();
        s.consent.texts.clear();
        let g = run([loaded(s, None, &["en"])]);
        assert_eq!(g.stage, Stage::Failed(Failure::NoDisclaimer));
    }

    #[test]
    fn the_disclaimer_follows_the_interface_language_before_the_browsers() {
        // The site fixed French (data-lang); the browser says German.
        let g = Rc::new(Gate::with_language(Some("fr"))).reduce(loaded(demo(), None, &["de"]));
        assert_eq!(g.language, Some("fr"));
        assert_eq!(view(&g).language, "fr");
        assert_eq!(view(&g).disclaimer.title, "Avant de discuter");
        // A widget without a French disclaimer: the browser's language, as before.
        let mut s = demo();
        s.consent.texts.remove("fr");
        let g = Rc::new(Gate::with_language(Some("fr"))).reduce(loaded(s, None, &["de"]));
        assert_eq!(view(&g).language, "de");
    }

    #[test]
    fn with_no_known_language_the_settings_default_becomes_the_interface_language() {
        let mut s = demo();
        s.default_language = "de".into();
        let g = run([loaded(s.clone(), None, &["ko-KR"])]);
        assert_eq!(g.language, Some("de"));
        assert_eq!(view(&g).language, "de");
        s.default_language = "ko".into();
        let g = run([loaded(s.clone(), None, &["ko-KR"])]);
        assert_eq!(g.language, Some("en"), "no interface in Korean");
        assert_eq!(view(&g).language, "en", "nor a disclaimer");
        // A disclaimer an admin wrote in the visitor's own language is still theirs.
        s.consent
            .texts
            .insert("ko".into(), default_disclaimer("en"));
        let g = run([loaded(s, None, &["ko-KR"])]);
        assert_eq!(view(&g).language, "ko");
    }

    #[test]
    fn picking_a_language_at_the_gate_shows_its_disclaimer_and_labels() {
        let g = Rc::new(Gate::with_language(Some("de"))).reduce(loaded(demo(), None, &["de"]));
        let g = g.reduce(GateAction::Language("he"));
        assert_eq!(g.language, Some("he"));
        let v = view(&g);
        assert_eq!(v.language, "he");
        assert_eq!(v.disclaimer, default_disclaimer("he"));
        assert_eq!(
            v.privacy_link.as_ref().map(|l| l.label.as_str()),
            Some("מדיניות פרטיות")
        );
        let same = g.clone().reduce(GateAction::Language("he"));
        assert!(Rc::ptr_eq(&g, &same), "the same language changes nothing");

        let mut s = demo();
        with_fields(&mut s);
        s.consent.required = false;
        let g = Rc::new(Gate::with_language(Some("en"))).reduce(loaded(s, None, &["en"]));
        assert_eq!(
            prechat(&g).label(&prechat(&g).fields.custom[0]),
            "Order number"
        );
        let g = g.reduce(GateAction::Language("de"));
        assert_eq!(
            prechat(&g).label(&prechat(&g).fields.custom[0]),
            "Bestellnummer"
        );
        // Before the settings arrive only the language changes.
        let g = Rc::new(Gate::new()).reduce(GateAction::Language("ja"));
        assert_eq!((g.language, g.stage.as_str()), (Some("ja"), "loading"));
    }

    #[test]
    fn the_gate_is_ready_once_its_languages_texts_are_here_and_late_ones_are_dropped() {
        let en = |lang: &'static str| {
            let mut t = Strings::builtin();
            t.lang = lang;
            Some(Rc::new(t))
        };
        let g = Rc::new(Gate::with_language(Some("de")));
        assert!(!g.ready());
        let g = g.reduce(GateAction::Strings("de", en("de")));
        assert!(g.ready());
        let g = g.reduce(GateAction::Language("fr"));
        assert!(
            !g.ready(),
            "the German texts stay on screen until the French arrive"
        );
        assert_eq!(g.t.lang, "de");
        let late = g.clone().reduce(GateAction::Strings("de", en("de")));
        assert!(Rc::ptr_eq(&g, &late));
        let g = g.reduce(GateAction::Strings("fr", None));
        assert!(g.strings_failed && !g.ready());
        // "Try again" fetches again, from wherever the gate was.
        let fetch = g.fetch;
        let g = g.reduce(GateAction::Retry);
        assert!(!g.strings_failed);
        assert_eq!((g.stage.clone(), g.fetch), (Stage::Loading, fetch + 1));
        let g = g.reduce(GateAction::Strings("fr", en("fr")));
        assert!(g.ready());
    }

    #[test]
    fn actions_out_of_place_change_nothing() {
        let g = run([loaded(demo(), None, &["en"])]);
        for action in [
            loaded(demo(), None, &["de"]),
            GateAction::LoadFailed(Failure::Offline),
            GateAction::Retry,
            GateAction::Refused,
        ] {
            let same = g.clone().reduce(action);
            assert!(Rc::ptr_eq(&g, &same));
        }
        let loading = Rc::new(Gate::new());
        let same = loading.clone().reduce(GateAction::Agreed(given(1)));
        assert!(Rc::ptr_eq(&loading, &same), "no consent before the gate");
    }
}
