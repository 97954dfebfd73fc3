//! The Routers page's logic, with no `web-sys` inside: the rules being edited as JSON (a yew
//! [`Reducible`]), a one-line summary of each rule, and the "try a visitor" form that builds
//! the [`Visitor`] the protocol's own [`decide`](confide_protocol::router::decide) runs on.
//! Validation is [`RouterRules::problems`], the same code the server runs on save.

use confide_protocol::router::{
    Conditions, Decision, Device, LocalClock, PagePattern, RouterRules, Visitor, Weekday,
};
use confide_protocol::settings::SettingsProblem;
use confide_protocol::WidgetKey;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use yew::Reducible;

/// The field path a JSON syntax or shape error is reported under.
pub const JSON_FIELD: &str = "json";

/// A router's rules while an admin edits them as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesEdit {
    /// The editor's text, exactly as typed.
    pub text: String,
    /// The text parsed, or serde_json's message (the admin's own input, so safe to show).
    pub parsed: Result<RouterRules, String>,
    /// The widgets that exist. `None` when the list could not be loaded: then no key is
    /// flagged as unknown here, and the server still checks on save.
    pub widgets: Option<BTreeSet<WidgetKey>>,
}

/// Every change the rules editor makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesAction {
    /// Replace everything (the server's answer to a save); the text is pretty-printed again.
    Loaded(RouterRules),
    /// The admin typed in the editor.
    Text(String),
    /// The structured selects; they work only while the text parses.
    DefaultWidget(WidgetKey),
    UnknownLocation(WidgetKey),
}

/// The rules as the editor shows them: serde_json's pretty printing.
pub fn pretty(rules: &RouterRules) -> String {
    serde_json::to_string_pretty(rules).unwrap_or_else(|e| e.to_string())
}

impl RulesEdit {
    pub fn new(rules: RouterRules, widgets: Option<Vec<WidgetKey>>) -> Self {
        Self {
            text: pretty(&rules),
            parsed: Ok(rules),
            widgets: widgets.map(|w| w.into_iter().collect()),
        }
    }

    /// The parsed rules, if the text parses.
    pub fn rules(&self) -> Option<&RouterRules> {
        self.parsed.as_ref().ok()
    }

    /// Everything that keeps the rules from being saved: the parse error, or every problem
    /// [`RouterRules::problems`] finds, each with its field path.
    pub fn problems(&self) -> Vec<SettingsProblem> {
        match &self.parsed {
            Err(message) => vec![SettingsProblem {
                field: JSON_FIELD.to_owned(),
                message: message.clone(),
            }],
            Ok(rules) => rules.problems(&|key| {
                self.widgets
                    .as_ref()
                    .is_none_or(|widgets| widgets.contains(key))
            }),
        }
    }

    pub fn can_save(&self) -> bool {
        self.problems().is_empty()
    }

    pub fn apply(&mut self, action: RulesAction) {
        match action {
            RulesAction::Loaded(rules) => {
                self.text = pretty(&rules);
                self.parsed = Ok(rules);
            }
            RulesAction::Text(text) => {
                self.parsed = serde_json::from_str(&text).map_err(|e| e.to_string());
                self.text = text;
            }
            RulesAction::DefaultWidget(key) => self.edit(|r| r.default_widget = key),
            RulesAction::UnknownLocation(key) => self.edit(|r| r.unknown_location = key),
        }
    }

    /// Changes the parsed rules and prints them again; nothing while the text does not parse.
    fn edit(&mut self, f: impl FnOnce(&mut RouterRules)) {
        if let Ok(rules) = &mut self.parsed {
            f(rules);
            self.text = pretty(rules);
        }
    }
}

impl Reducible for RulesEdit {
    type Action = RulesAction;

    fn reduce(self: Rc<Self>, action: RulesAction) -> Rc<Self> {
        let mut edit = Rc::unwrap_or_clone(self);
        edit.apply(action);
        Rc::new(edit)
    }
}

/// The rules a new router starts with: no rules, so everyone gets the default widget.
pub fn starter_rules(default_widget: WidgetKey, unknown_location: WidgetKey) -> RouterRules {
    RouterRules {
        rules: Vec::new(),
        default_widget,
        unknown_location,
    }
}

/// One line per rule, in order (`0. EU visitors → privacy: region in eu, gdpr; language de`),
/// then where everyone else goes.
pub fn summary(rules: &RouterRules) -> Vec<String> {
    let mut lines: Vec<String> = rules
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            format!(
                "{i}. {} → {}: {}",
                rule.name.trim(),
                rule.target,
                conditions_line(&rule.when)
            )
        })
        .collect();
    lines.push(format!("Otherwise → {}", rules.default_widget));
    lines.push(format!(
        "Country unknown where a rule needs it → {}",
        rules.unknown_location
    ));
    lines
}

/// Most list entries a summary line shows before `… (+N)`.
const SUMMARY_LIST_MAX: usize = 6;

fn list<T>(items: &[T], name: impl Fn(&T) -> String) -> String {
    let mut out: Vec<String> = items.iter().take(SUMMARY_LIST_MAX).map(name).collect();
    if items.len() > SUMMARY_LIST_MAX {
        out.push(format!("… (+{})", items.len() - SUMMARY_LIST_MAX));
    }
    out.join(", ")
}

/// A rule's conditions, `; `-separated, in the order the router checks them.
pub fn conditions_line(when: &Conditions) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &when.country_in {
        parts.push(format!("country in {}", list(c, String::clone)));
    }
    if let Some(c) = &when.country_not_in {
        parts.push(format!("country not in {}", list(c, String::clone)));
    }
    if let Some(r) = &when.region_in {
        parts.push(format!("region in {}", list(r, |r| r.name().to_owned())));
    }
    if let Some(z) = &when.time_zone_in {
        parts.push(format!("time zone {}", list(z, String::clone)));
    }
    if let Some(l) = &when.language {
        parts.push(format!("language {}", list(l, String::clone)));
    }
    if let Some(p) = &when.page {
        parts.push(format!(
            "page {}",
            list(p, |p| match p {
                PagePattern::Prefix(s) => format!("prefix {s}"),
                PagePattern::Glob(s) => format!("glob {s}"),
                PagePattern::Host(s) => format!("host {s}"),
            })
        ));
    }
    if let Some(d) = &when.device {
        parts.push(format!(
            "device {}",
            list(d, |d| device_name(*d).to_owned())
        ));
    }
    if let Some(s) = &when.schedule {
        parts.push(format!(
            "{} {}–{} in {}",
            list(&s.days, |d| weekday_name(*d).to_owned()),
            s.from,
            s.to,
            s.time_zone
        ));
    }
    if parts.is_empty() {
        "no conditions".to_owned()
    } else {
        parts.join("; ")
    }
}

pub const DEVICES: [Device; 3] = Device::ALL;
pub const WEEKDAYS: [Weekday; 7] = Weekday::ALL;

pub fn device_name(d: Device) -> &'static str {
    d.name()
}

pub fn device_from_name(name: &str) -> Option<Device> {
    Device::from_name(name)
}

pub fn weekday_name(d: Weekday) -> &'static str {
    d.name()
}

pub fn weekday_from_name(name: &str) -> Option<Weekday> {
    Weekday::from_name(name)
}

/// `HH:MM` on a 24-hour clock (as `<input type=time>` gives it) in minutes since midnight.
pub fn parse_clock_time(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let two_digits = |p: &str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(h) || !two_digits(m) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// A local clock from the parts `Intl.DateTimeFormat("en-US", {weekday: "short", hour:
/// "2-digit", minute: "2-digit", hourCycle: "h23"}).formatToParts()` gives. Some engines say
/// `24` for midnight; that is hour 0.
pub fn clock_from_parts(weekday: &str, hour: &str, minute: &str) -> Option<LocalClock> {
    let weekday = weekday_from_name(weekday)?;
    let hour: u16 = hour.trim().parse().ok()?;
    let minute: u16 = minute.trim().parse().ok()?;
    let hour = if hour == 24 { 0 } else { hour };
    (hour < 24 && minute < 60).then_some(LocalClock {
        weekday,
        minute: hour * 60 + minute,
    })
}

/// `Mon 09:05`.
pub fn clock_label(c: LocalClock) -> String {
    let day = weekday_name(c.weekday);
    let mut chars = day.chars();
    let day: String = chars
        .next()
        .map(|f| f.to_ascii_uppercase())
        .into_iter()
        .chain(chars)
        .collect();
    format!("{day} {:02}:{:02}", c.minute / 60, c.minute % 60)
}

/// The "try a visitor" form, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryForm {
    /// An IANA zone name; empty means the browser gave none.
    pub time_zone: String,
    /// Comma-separated BCP 47 tags, most preferred first.
    pub languages: String,
    /// Empty means unknown.
    pub page_url: String,
    pub device: Device,
    /// What GeoIP or a trusted proxy header would say; empty when the site has neither.
    pub country: String,
    /// A weekday and time applied to every schedule zone instead of the current local time
    /// there; `None` means "now".
    pub day: Option<Weekday>,
    /// `HH:MM`, used with [`TryForm::day`].
    pub time: String,
}

/// Every change the "try a visitor" form makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryAction {
    TimeZone(String),
    Languages(String),
    PageUrl(String),
    Device(Device),
    Country(String),
    Day(Option<Weekday>),
    Time(String),
}

impl TryForm {
    /// Starts from the console's own browser: its time zone and languages, on a desktop.
    pub fn new(time_zone: String, languages: &[String]) -> Self {
        Self {
            time_zone,
            languages: languages.join(", "),
            page_url: String::new(),
            device: Device::Desktop,
            country: String::new(),
            day: None,
            time: "12:00".to_owned(),
        }
    }

    pub fn apply(&mut self, action: TryAction) {
        match action {
            TryAction::TimeZone(v) => self.time_zone = v,
            TryAction::Languages(v) => self.languages = v,
            TryAction::PageUrl(v) => self.page_url = v,
            TryAction::Device(d) => self.device = d,
            TryAction::Country(v) => self.country = v,
            TryAction::Day(d) => self.day = d,
            TryAction::Time(v) => self.time = v,
        }
    }

    /// The languages, trimmed, without empty entries.
    pub fn language_list(&self) -> Vec<String> {
        self.languages
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The clock every schedule zone gets when a weekday is chosen (midnight if the time
    /// is not `HH:MM`).
    pub fn fixed_clock(&self) -> Option<LocalClock> {
        self.day.map(|weekday| LocalClock {
            weekday,
            minute: parse_clock_time(&self.time).unwrap_or(0),
        })
    }

    /// The visitor to try: `now` holds the current local clock of each schedule zone (from
    /// `Intl`), used unless a weekday is chosen. A zone missing from `now` gets no clock.
    pub fn visitor(&self, rules: &RouterRules, now: &BTreeMap<String, LocalClock>) -> Visitor {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let fixed = self.fixed_clock();
        Visitor {
            country: text(&self.country).map(|c| c.to_ascii_uppercase()),
            time_zone: text(&self.time_zone),
            languages: self.language_list(),
            page_url: text(&self.page_url),
            device: Some(self.device),
            schedule_clock: rules
                .schedule_zones()
                .into_iter()
                .filter_map(|zone| {
                    fixed
                        .or_else(|| now.get(zone).copied())
                        .map(|c| (zone.to_owned(), c))
                })
                .collect(),
        }
    }
}

impl Reducible for TryForm {
    type Action = TryAction;

    fn reduce(self: Rc<Self>, action: TryAction) -> Rc<Self> {
        let mut form = Rc::unwrap_or_clone(self);
        form.apply(action);
        Rc::new(form)
    }
}

/// The outcome in words, with the rule's name when a rule decided it.
pub fn outcome_line(rules: &RouterRules, decision: &Decision) -> String {
    use confide_protocol::router::Outcome;
    let name = |i: usize| {
        rules
            .rules
            .get(i)
            .map(|r| format!(" ({})", r.name.trim()))
            .unwrap_or_default()
    };
    match decision.outcome {
        Outcome::Matched { rule } | Outcome::LocationUnknown { rule } => {
            format!("{}{}", decision.outcome, name(rule))
        }
        Outcome::NoRuleMatched => decision.outcome.to_string(),
    }
}

/// Every reason, prefixed with its rule: `rule 0 (EU visitors): region: DE is in eu: holds`.
pub fn reason_lines(rules: &RouterRules, decision: &Decision) -> Vec<String> {
    decision
        .reasons
        .iter()
        .map(|r| {
            let name = rules.rules.get(r.rule).map_or("", |x| x.name.trim());
            format!("rule {} ({name}): {r}", r.rule)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use confide_protocol::router::{decide, Outcome, Rule, Schedule};

    fn key(s: &str) -> WidgetKey {
        WidgetKey::parse(s).expect("test key")
    }

    fn widgets() -> Option<Vec<WidgetKey>> {
        Some(vec![key("privacy"), key("standard"), key("sales")])
    }

    fn rules() -> RouterRules {
        RouterRules {
            rules: vec![
                Rule {
                    name: "EU visitors".into(),
                    target: key("privacy"),
                    when: Conditions {
                        region_in: Some(vec![
                            confide_protocol::router::Region::Eu,
                            confide_protocol::router::Region::Gdpr,
                        ]),
                        language: Some(vec!["de".into()]),
                        ..Conditions::default()
                    },
                },
                Rule {
                    name: "Sales hours".into(),
                    target: key("sales"),
                    when: Conditions {
                        page: Some(vec![
                            PagePattern::Prefix("https://x.example/pricing".into()),
                            PagePattern::Host("shop.example".into()),
                        ]),
                        device: Some(vec![Device::Desktop, Device::Tablet]),
                        schedule: Some(Schedule {
                            time_zone: "America/New_York".into(),
                            days: vec![Weekday::Mon, Weekday::Fri],
                            from: "09:00".into(),
                            to: "17:00".into(),
                        }),
                        ..Conditions::default()
                    },
                },
            ],
            default_widget: key("standard"),
            unknown_location: key("privacy"),
        }
    }

    fn run<R: Reducible + Clone>(start: R, actions: impl IntoIterator<Item = R::Action>) -> R {
        let mut rc = Rc::new(start);
        for a in actions {
            rc = rc.reduce(a);
        }
        Rc::unwrap_or_clone(rc)
    }

    fn fields(e: &RulesEdit) -> Vec<String> {
        e.problems().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn loaded_rules_are_pretty_printed_and_parse_back_to_the_same_rules() {
        let e = RulesEdit::new(rules(), widgets());
        assert!(e.text.contains("\n  \"rules\": ["), "{}", e.text);
        assert_eq!(
            serde_json::from_str::<RouterRules>(&e.text).expect("parses"),
            rules()
        );
        assert!(e.can_save(), "{:?}", e.problems());
    }

    #[test]
    fn a_syntax_error_is_one_problem_under_json_and_blocks_saving() {
        let e = RulesEdit::new(rules(), widgets());
        let broken = e.text.replacen("\"rules\"", "\"rules", 1);
        let e = run(e, [RulesAction::Text(broken.clone())]);
        assert_eq!(e.text, broken, "the text stays as typed");
        assert_eq!(fields(&e), vec![JSON_FIELD]);
        assert!(
            e.problems()[0].message.contains("line"),
            "{:?}",
            e.problems()
        );
        assert!(!e.can_save());
        assert!(e.rules().is_none());
        // The selects do nothing while the text does not parse.
        let e = run(e, [RulesAction::DefaultWidget(key("sales"))]);
        assert_eq!(e.text, broken);
    }

    #[test]
    fn unknown_fields_and_bad_keys_are_parse_errors() {
        let e = RulesEdit::new(rules(), widgets());
        let e = run(
            e,
            [RulesAction::Text(
                r#"{"rules":[],"default_widget":"standard","unknown_location":"privacy","extra":1}"#
                    .into(),
            )],
        );
        assert_eq!(fields(&e), vec![JSON_FIELD]);
        assert!(
            e.problems()[0].message.contains("extra"),
            "{:?}",
            e.problems()
        );
        let e = run(
            e,
            [RulesAction::Text(
                r#"{"rules":[],"default_widget":"x","unknown_location":"privacy"}"#.into(),
            )],
        );
        assert_eq!(fields(&e), vec![JSON_FIELD]);
    }

    #[test]
    fn problems_are_listed_by_field_path_with_unknown_widgets() {
        let mut r = rules();
        r.rules[1].target = key("nowhere");
        r.rules[0].name = "  ".into();
        r.rules[0].when.country_in = Some(vec!["Germany".into()]);
        let e = run(
            RulesEdit::new(rules(), widgets()),
            [RulesAction::Text(pretty(&r))],
        );
        let f = fields(&e);
        for path in ["rules.0.name", "rules.1.target"] {
            assert!(f.contains(&path.to_owned()), "{path} in {f:?}");
        }
        assert!(
            f.iter().any(|p| p.starts_with("rules.0.when.country_in")),
            "{f:?}"
        );
        assert!(!e.can_save());
        // Without a widget list, keys are left to the server.
        let e = RulesEdit { widgets: None, ..e };
        assert!(!fields(&e).contains(&"rules.1.target".to_owned()));
    }

    #[test]
    fn the_selects_change_the_parsed_rules_and_reprint_them() {
        let e = run(
            RulesEdit::new(rules(), widgets()),
            [
                RulesAction::DefaultWidget(key("sales")),
                RulesAction::UnknownLocation(key("standard")),
            ],
        );
        let r = e.rules().expect("parses");
        assert_eq!(r.default_widget, key("sales"));
        assert_eq!(r.unknown_location, key("standard"));
        assert_eq!(
            serde_json::from_str::<RouterRules>(&e.text).expect("parses"),
            *r
        );
        let saved = rules();
        let e = run(e, [RulesAction::Loaded(saved.clone())]);
        assert_eq!(e.rules(), Some(&saved));
        assert_eq!(e.text, pretty(&saved));
    }

    #[test]
    fn a_new_router_starts_valid_with_no_rules() {
        let r = starter_rules(key("standard"), key("privacy"));
        let e = RulesEdit::new(r.clone(), widgets());
        assert!(e.can_save(), "{:?}", e.problems());
        assert_eq!(
            summary(&r),
            vec![
                "Otherwise → standard",
                "Country unknown where a rule needs it → privacy"
            ]
        );
    }

    #[test]
    fn the_summary_has_one_line_per_rule_in_order() {
        let lines = summary(&rules());
        assert_eq!(
            lines[0],
            "0. EU visitors → privacy: region in eu, gdpr; language de"
        );
        assert_eq!(
            lines[1],
            "1. Sales hours → sales: page prefix https://x.example/pricing, host shop.example; \
             device desktop, tablet; mon, fri 09:00–17:00 in America/New_York"
        );
        assert_eq!(lines.len(), 4);
        let mut r = rules();
        r.rules[0].when = Conditions {
            country_in: Some(
                ["AT", "BE", "DE", "DK", "ES", "FI", "FR", "IT"]
                    .map(String::from)
                    .to_vec(),
            ),
            country_not_in: Some(vec!["US".into()]),
            time_zone_in: Some(vec!["Europe/Berlin".into()]),
            ..Conditions::default()
        };
        r.rules[1].when = Conditions::default();
        let lines = summary(&r);
        assert_eq!(
            lines[0],
            "0. EU visitors → privacy: country in AT, BE, DE, DK, ES, FI, … (+2); \
             country not in US; time zone Europe/Berlin"
        );
        assert_eq!(lines[1], "1. Sales hours → sales: no conditions");
    }

    #[test]
    fn the_form_builds_the_visitor_with_trimmed_values() {
        let mut form = TryForm::new(
            "Europe/Berlin".into(),
            &["de-DE".to_owned(), "en".to_owned()],
        );
        assert_eq!(form.languages, "de-DE, en");
        assert_eq!(form.device, Device::Desktop);
        let now: BTreeMap<String, LocalClock> = [(
            "America/New_York".to_owned(),
            LocalClock {
                weekday: Weekday::Mon,
                minute: 600,
            },
        )]
        .into();
        let v = form.visitor(&rules(), &now);
        assert_eq!(v.time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(v.languages, ["de-DE", "en"]);
        assert_eq!((v.country, v.page_url), (None, None));
        assert_eq!(v.device, Some(Device::Desktop));
        assert_eq!(v.schedule_clock, now);

        for a in [
            TryAction::TimeZone("  ".into()),
            TryAction::Languages(" fr-CA , ,en ".into()),
            TryAction::PageUrl(" https://x.example/pricing ".into()),
            TryAction::Device(device_from_name("mobile").expect("a device")),
            TryAction::Country(" de ".into()),
            TryAction::Day(weekday_from_name("sat")),
            TryAction::Time("22:30".into()),
        ] {
            form = run(form, [a]);
        }
        let v = form.visitor(&rules(), &now);
        assert_eq!(v.time_zone, None);
        assert_eq!(v.languages, ["fr-CA", "en"]);
        assert_eq!(v.page_url.as_deref(), Some("https://x.example/pricing"));
        assert_eq!(v.device, Some(Device::Mobile));
        assert_eq!(v.country.as_deref(), Some("DE"));
        assert_eq!(
            v.schedule_clock["America/New_York"],
            LocalClock {
                weekday: Weekday::Sat,
                minute: 22 * 60 + 30
            }
        );
        // Only the zones a schedule names get a clock.
        let v = form.visitor(&starter_rules(key("standard"), key("privacy")), &now);
        assert!(v.schedule_clock.is_empty());
        // "Now" without an Intl clock for the zone leaves it out.
        let form = run(form, [TryAction::Day(None)]);
        assert!(form
            .visitor(&rules(), &BTreeMap::new())
            .schedule_clock
            .is_empty());
    }

    #[test]
    fn clock_parts_and_times_parse_strictly() {
        assert_eq!(parse_clock_time("09:05"), Some(545));
        assert_eq!(parse_clock_time("23:59"), Some(1439));
        for bad in ["24:00", "9:05", "09:60", "", "ab:cd", "09-05"] {
            assert_eq!(parse_clock_time(bad), None, "{bad}");
        }
        assert_eq!(
            clock_from_parts("Tue", "24", "07"),
            Some(LocalClock {
                weekday: Weekday::Tue,
                minute: 7
            })
        );
        assert_eq!(
            clock_from_parts("Sun", "23", "59"),
            Some(LocalClock {
                weekday: Weekday::Sun,
                minute: 1439
            })
        );
        assert_eq!(clock_from_parts("Dom", "10", "00"), None);
        assert_eq!(clock_from_parts("Mon", "25", "00"), None);
        assert_eq!(
            clock_label(LocalClock {
                weekday: Weekday::Wed,
                minute: 545
            }),
            "Wed 09:05"
        );
        assert_eq!(device_from_name("phone"), None);
        for d in DEVICES {
            assert_eq!(device_from_name(device_name(d)), Some(d));
        }
        for d in WEEKDAYS {
            assert_eq!(weekday_from_name(weekday_name(d)), Some(d));
        }
    }

    #[test]
    fn the_preview_explains_the_decision_rule_by_rule() {
        let r = rules();
        let form = TryForm::new("Europe/Berlin".into(), &["de".to_owned()]);
        let d = decide(&r, &form.visitor(&r, &BTreeMap::new()));
        assert_eq!(d.target, key("privacy"));
        assert_eq!(outcome_line(&r, &d), "rule 0 matched (EU visitors)");
        assert_eq!(
            d.location.to_string(),
            "DE, from the time zone Europe/Berlin"
        );
        assert_eq!(
            reason_lines(&r, &d),
            vec![
                "rule 0 (EU visitors): region: DE is in eu: holds",
                "rule 0 (EU visitors): language: de matches de: holds",
            ]
        );

        // A zone without a country and no region in the languages: rule 0 might apply, so
        // fail closed.
        let form = run(form, [TryAction::TimeZone("Etc/UTC".into())]);
        let d = decide(&r, &form.visitor(&r, &BTreeMap::new()));
        assert_eq!(d.outcome, Outcome::LocationUnknown { rule: 0 });
        assert_eq!(d.target, key("privacy"));
        assert!(
            outcome_line(&r, &d).ends_with("unknown-location widget (EU visitors)"),
            "{}",
            outcome_line(&r, &d)
        );

        // The country override wins; rule 1 fails without a page: the default widget.
        let form = run(
            form,
            [
                TryAction::Country("us".into()),
                TryAction::Languages("en".into()),
            ],
        );
        let d = decide(&r, &form.visitor(&r, &BTreeMap::new()));
        assert_eq!(d.target, key("standard"));
        assert_eq!(d.location.to_string(), "US, from the server");
        assert_eq!(outcome_line(&r, &d), "no rule matched: default widget");
        let lines = reason_lines(&r, &d);
        assert!(
            lines.contains(&"rule 1 (Sales hours): page: the page URL is unknown: fails".into()),
            "{lines:?}"
        );
        assert!(
            lines.contains(
                &"rule 1 (Sales hours): schedule: no local time for America/New_York: fails".into()
            ),
            "{lines:?}"
        );
    }
}
