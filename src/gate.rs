//! What comes before the chat, as a yew [`Reducible`] with no `web-sys` inside (tested
//! natively): the widget's settings are loading, could not be loaded, the consent gate is
//! shown, or the chat runs (with the consent the visitor gave, when one is required).
//!
//! The chat (and with it the socket, the token and the outbox) exists only in
//! [`Stage::Chat`], so while the gate is shown nothing but the config request leaves the
//! browser.

use confide_protocol::chat::ConsentGiven;
use confide_protocol::settings::{is_https_url, Disclaimer, WidgetSettings};
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
    /// What the visitor reads.
    pub fn message(&self) -> &'static str {
        match self {
            Failure::NotFound => "This chat is not available.",
            Failure::Offline => {
                "The chat could not be loaded: check your connection and try again."
            }
            Failure::Broken(_) | Failure::NoDisclaimer => {
                "The chat could not be loaded. Please try again later."
            }
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
    /// Picks the disclaimer for a visitor with these `languages` (most preferred first) through
    /// the protocol's `disclaimer_for`, and the privacy link's label in the same language,
    /// else the default language's, else any. `None` when there is no disclaimer at all.
    pub fn choose(settings: &WidgetSettings, languages: &[String]) -> Option<Self> {
        let (language, disclaimer) = settings.disclaimer_for(languages)?;
        let privacy_link = settings
            .privacy_link
            .as_ref()
            .filter(|link| is_https_url(&link.url))
            .map(|link| LinkView {
                url: link.url.clone(),
                label: link
                    .labels
                    .get(language)
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// The config request is on its way.
    Loading,
    Failed(Failure),
    /// The gate: nothing is sent until the visitor ticks the box and starts.
    Consent(Rc<ConsentView>),
    /// The chat runs; every `hello` carries this consent.
    Chat(Option<ConsentGiven>),
}

impl Stage {
    /// The `data-connection` value while there is no socket (the chat shows its own).
    pub fn as_str(&self) -> &'static str {
        match self {
            Stage::Loading => "loading",
            Stage::Failed(Failure::NotFound) => "unavailable",
            Stage::Failed(_) => "error",
            Stage::Consent(_) => "consent",
            Stage::Chat(_) => "chat",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub stage: Stage,
    /// Grows each time the settings must be (re)loaded, so the loading effect runs again.
    pub fetch: u32,
    /// The server refused the consent (or its absence) since the last "try again".
    refused: bool,
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
    /// The settings arrived; `stored` is the consent kept from an earlier visit, `languages`
    /// the visitor's (navigator.languages, most preferred first).
    Loaded {
        settings: Box<WidgetSettings>,
        stored: Option<ConsentGiven>,
        languages: Vec<String>,
    },
    LoadFailed(Failure),
    /// The visitor asks to load again after a failure.
    Retry,
    /// The visitor ticked the box and started.
    Agreed(ConsentGiven),
    /// The server answered `consent_required` (close code 4451): the stored consent is gone
    /// (outdated, or the texts changed); load the settings again and show the gate.
    Refused,
    /// The visitor withdrew consent (the stored one is gone): load the settings again and
    /// show the gate as to a new visitor.
    Withdrawn,
}

impl Gate {
    pub fn new() -> Self {
        Self {
            stage: Stage::Loading,
            fetch: 0,
            refused: false,
        }
    }

    fn reload(&mut self) {
        self.stage = Stage::Loading;
        self.fetch = self.fetch.wrapping_add(1);
    }

    fn loaded(
        &mut self,
        settings: &WidgetSettings,
        stored: Option<ConsentGiven>,
        languages: &[String],
    ) {
        let consent = &settings.consent;
        self.stage = if !consent.required {
            if self.refused {
                // The server wants consent the settings do not ask for: do not go round.
                Stage::Failed(Failure::Broken("consent refused but not required".into()))
            } else {
                Stage::Chat(None)
            }
        } else if let Some(given) = stored.filter(|c| c.version == consent.version) {
            Stage::Chat(Some(given))
        } else {
            match ConsentView::choose(settings, languages) {
                Some(view) => Stage::Consent(Rc::new(view)),
                None => Stage::Failed(Failure::NoDisclaimer),
            }
        };
    }
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
                    languages,
                },
                Stage::Loading,
            ) => g.loaded(&settings, stored, &languages),
            (GateAction::LoadFailed(failure), Stage::Loading) => g.stage = Stage::Failed(failure),
            (GateAction::Retry, Stage::Failed(_)) => {
                g.refused = false;
                g.reload();
            }
            (GateAction::Agreed(given), Stage::Consent(_)) => g.stage = Stage::Chat(Some(given)),
            (GateAction::Withdrawn, Stage::Chat(_)) => {
                g.refused = false;
                g.reload();
            }
            (GateAction::Refused, Stage::Chat(_)) => {
                g.refused = true;
                g.reload();
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
    use confide_protocol::settings::PrivacyLink;

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
            languages: langs(l),
        }
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
        assert_eq!(
            g.stage,
            Stage::Chat(None),
            "no consent is sent when none is asked"
        );
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
        let g = run([loaded(demo(), None, &["ja", "sv-SE"])]);
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
        assert_eq!(g.stage, Stage::Chat(Some(given(1))));
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
        assert_eq!(g.stage, Stage::Chat(Some(consent)));
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
        assert_eq!(g.stage, Stage::Chat(None));
    }

    #[test]
    fn failures_say_whether_trying_again_helps() {
        let g = run([GateAction::LoadFailed(Failure::NotFound)]);
        assert_eq!(g.stage.as_str(), "unavailable");
        assert!(!Failure::NotFound.can_retry());
        assert_eq!(Failure::NotFound.message(), "This chat is not available.");
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
