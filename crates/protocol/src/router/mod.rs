//! The widget router: an ordered list of rules that sends each visitor to one of a site's
//! widgets by location, language, page, device and time, decided in the visitor's browser.
//!
//! [`RouterRules`] is public JSON (the widget fetches it); [`decide`] is a pure function of
//! those rules and a [`Visitor`], with no I/O, so the widget, the console's "try a visitor"
//! preview and the tests all run the same code. Nothing here sends anything anywhere: the
//! visitor's time zone, languages and page stay in the browser.
//!
//! # Where the country comes from
//!
//! [`resolve_location`] takes the first of these that gives a known ISO 3166-1 code:
//! 1. [`Visitor::country`], set by the server from a GeoIP database or a trusted proxy header
//!    when the site owner configured one (anything that is not a known code is ignored);
//! 2. the browser's time zone, through [`country_for_zone`] (`Europe/Vienna` → AT);
//! 3. the region subtag of the visitor's languages: the first tag whose region is a known
//!    country code (`de-AT` → AT; `es-419` and `en` give nothing).
//!    A weaker signal (people keep their language when they travel or move), so it is used
//!    only when the time zone gives nothing: no zone, an unknown one, or one without a country
//!    such as `Etc/UTC` (which privacy-hardened browsers report).
//!
//! Otherwise the country is unknown.
//!
//! # How rules are evaluated
//!
//! Rules are tried in order and the first that matches wins. A rule matches when every
//! condition it has holds (an empty rule would match everyone; validation refuses it). Each
//! condition holds, fails, or — for the location conditions `country_in`, `country_not_in`
//! and `region_in` when the country is unknown — is undecided. A rule is then:
//! - **not matching** if any condition fails, whatever the others say: the router goes on to
//!   the next rule;
//! - **matching** if every condition holds: the router picks its target;
//! - **undecided** otherwise (nothing fails, a location condition is undecided): the rule
//!   might apply to this visitor, and a later rule could be less private, so the router stops
//!   and picks [`RouterRules::unknown_location`] (fail closed).
//!
//! If no rule matches, the visitor gets [`RouterRules::default_widget`]. So an unknown country
//! never selects a rule that has a location condition, and a visitor is never routed past a
//! rule that might have applied to them.
//!
//! Within a list condition, one listed value is enough (`country_in: [DE, AT]` holds for DE or
//! AT; `language: [de]` holds if any of the visitor's languages is German; `page` holds if any
//! pattern matches). An empty list holds for no one (`country_not_in: []` for everyone whose
//! country is known); validation refuses empty lists.

pub mod api;
mod matching;
mod regions;
mod validate;
mod zones;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod zones_gen;

pub use matching::{glob_matches, language_matches};
pub use validate::{MAX_LIST_LEN, MAX_PATTERN_CHARS, MAX_RULES, MAX_RULE_NAME_CHARS};
pub use zones::TZDATA_VERSION;

use crate::WidgetKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A router's public rules, as the widget fetches them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterRules {
    /// Tried in order; the first that matches wins.
    pub rules: Vec<Rule>,
    /// For a visitor no rule matches.
    pub default_widget: WidgetKey,
    /// For a visitor whose country is unknown when a rule with a location condition might
    /// have applied: by default the site's strictest privacy widget.
    pub unknown_location: WidgetKey,
}

/// One rule: a name for people, the widget it routes to, and its conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    pub target: WidgetKey,
    #[serde(default)]
    pub when: Conditions,
}

/// A rule's conditions; every one that is present must hold. Absent (`None`) means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// The visitor's country is one of these (ISO 3166-1 alpha-2, upper case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_in: Option<Vec<String>>,
    /// The visitor's country is none of these. Undecided when the country is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_not_in: Option<Vec<String>>,
    /// The visitor's country is in one of these regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_in: Option<Vec<Region>>,
    /// The browser's time zone is exactly one of these IANA names. Browsers differ on
    /// renamed zones (Chrome says `Asia/Calcutta`, Firefox `Asia/Kolkata`): list both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone_in: Option<Vec<String>>,
    /// BCP 47 prefixes; one of the visitor's languages (`navigator.languages`) falls under one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Vec<String>>,
    /// The host page's URL matches one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<Vec<PagePattern>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Vec<Device>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
}

impl Conditions {
    /// Whether any condition needs the visitor's country.
    pub fn has_location_condition(&self) -> bool {
        self.country_in.is_some() || self.country_not_in.is_some() || self.region_in.is_some()
    }

    /// Whether no condition is present.
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }
}

/// Named sets of countries; see [`Region::contains`] and the `regions` module for the lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// The 27 member states and the territories with their own ISO code that are in the EU.
    Eu,
    /// The EU plus Iceland, Liechtenstein and Norway.
    Eea,
    /// The EEA plus the United Kingdom and Switzerland.
    Gdpr,
    Africa,
    Antarctica,
    Asia,
    Europe,
    NorthAmerica,
    Oceania,
    SouthAmerica,
}

/// A pattern for the host page's URL (its `#fragment` is never looked at).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PagePattern {
    /// The URL starts with this (`https://x.com/pricing` also matches `…/pricing-old`).
    Prefix(String),
    /// The whole URL matches: `*` any run of characters, `?` one character, case-sensitive.
    Glob(String),
    /// The URL's host is exactly this, case-insensitively, whatever the port.
    Host(String),
}

/// The kind of device, from screen size and pointer capabilities (see [`device_from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    Mobile,
    Tablet,
    Desktop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// The day before.
    pub fn previous(self) -> Weekday {
        match self {
            Weekday::Mon => Weekday::Sun,
            Weekday::Tue => Weekday::Mon,
            Weekday::Wed => Weekday::Tue,
            Weekday::Thu => Weekday::Wed,
            Weekday::Fri => Weekday::Thu,
            Weekday::Sat => Weekday::Fri,
            Weekday::Sun => Weekday::Sat,
        }
    }
}

/// A weekly time window in a given time zone, such as office hours.
///
/// The window runs from `from` (included) to `to` (excluded), `HH:MM` on a 24-hour clock;
/// `to` may be `24:00`. When `to` is before `from` the window runs overnight and belongs to
/// the day it starts on: `days: [fri], from: 22:00, to: 02:00` holds from Friday 22:00 to
/// Saturday 02:00. `from == to` is refused (empty or all day? say `00:00`–`24:00`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The IANA zone the window is in, whatever the visitor's own zone.
    pub time_zone: String,
    pub days: Vec<Weekday>,
    pub from: String,
    pub to: String,
}

/// The local weekday and time of day in one time zone, as the widget computes it with the
/// browser's `Intl` (Confide ships no time zone database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalClock {
    pub weekday: Weekday,
    /// Minutes since local midnight, 0 to 1439.
    pub minute: u16,
}

/// What the router knows about a visitor, all of it gathered in the browser except
/// [`Visitor::country`]. Its `Debug` shows no value.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Visitor {
    /// From the server (GeoIP or a trusted proxy header) when the site configured one; wins
    /// over every browser signal. Never sent back to the server.
    pub country: Option<String>,
    /// `Intl.DateTimeFormat().resolvedOptions().timeZone`.
    pub time_zone: Option<String>,
    /// `navigator.languages`, most preferred first.
    pub languages: Vec<String>,
    /// The host page's URL, passed to the iframe by `postMessage`.
    pub page_url: Option<String>,
    pub device: Option<Device>,
    /// The local clock in each zone a schedule names ([`RouterRules::schedule_zones`]).
    pub schedule_clock: BTreeMap<String, LocalClock>,
}

impl fmt::Debug for Visitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Visitor")
            .field("country", &self.country.as_ref().map(|_| "***"))
            .field("time_zone", &self.time_zone.as_ref().map(|_| "***"))
            .field("languages", &self.languages.len())
            .field("page_url", &self.page_url.as_ref().map(|_| "***"))
            .field("device", &self.device.map(|_| "***"))
            .field("schedule_clock", &self.schedule_clock.len())
            .finish()
    }
}

/// Where the visitor's country came from; see the module documentation for the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Location {
    /// From the server: GeoIP or a trusted proxy header.
    Server {
        country: String,
    },
    /// From the browser's time zone.
    TimeZone {
        country: String,
        zone: String,
    },
    /// From the region subtag of one of the visitor's languages.
    Language {
        country: String,
        tag: String,
    },
    Unknown,
}

impl Location {
    pub fn country(&self) -> Option<&str> {
        match self {
            Location::Server { country }
            | Location::TimeZone { country, .. }
            | Location::Language { country, .. } => Some(country),
            Location::Unknown => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Server { country } => write!(f, "{country}, from the server"),
            Location::TimeZone { country, zone } => {
                write!(f, "{country}, from the time zone {zone}")
            }
            Location::Language { country, tag } => write!(f, "{country}, from the language {tag}"),
            Location::Unknown => f.write_str("unknown"),
        }
    }
}

/// The router's choice and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The widget to render.
    pub target: WidgetKey,
    /// The index of the rule that matched, if one did.
    pub rule: Option<usize>,
    pub outcome: Outcome,
    pub location: Location,
    /// Every condition of every rule tried, in order.
    pub reasons: Vec<Reason>,
}

/// How the target was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Every condition of rule `rule` held.
    Matched { rule: usize },
    /// Rule `rule` might have matched but needs the country, which is unknown: the
    /// `unknown_location` widget (fail closed).
    LocationUnknown { rule: usize },
    /// No rule matched: the default widget.
    NoRuleMatched,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Matched { rule } => write!(f, "rule {rule} matched"),
            Outcome::LocationUnknown { rule } => write!(
                f,
                "rule {rule} needs the visitor's country, which is unknown: unknown-location widget"
            ),
            Outcome::NoRuleMatched => f.write_str("no rule matched: default widget"),
        }
    }
}

/// Which condition of a rule a [`Reason`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    CountryIn,
    CountryNotIn,
    RegionIn,
    TimeZoneIn,
    Language,
    Page,
    Device,
    Schedule,
}

impl fmt::Display for ConditionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConditionKind::CountryIn => "country in",
            ConditionKind::CountryNotIn => "country not in",
            ConditionKind::RegionIn => "region",
            ConditionKind::TimeZoneIn => "time zone",
            ConditionKind::Language => "language",
            ConditionKind::Page => "page",
            ConditionKind::Device => "device",
            ConditionKind::Schedule => "schedule",
        })
    }
}

/// A condition's result: holds, fails, or cannot be decided (the country is unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Holds,
    Undecided,
    Fails,
}

/// What the router saw when it checked one condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    /// The visitor's country, and whether the rule's list names it.
    Country { country: String, listed: bool },
    /// The visitor's country, and the first listed region that contains it.
    Region {
        country: String,
        region: Option<Region>,
    },
    /// A location condition met an unknown country.
    CountryUnknown,
    /// The browser's time zone (none if it gave none), and whether the list names it.
    TimeZone { zone: Option<String>, listed: bool },
    /// The first of the visitor's languages and the rule's prefix that matched, if any.
    Language {
        matched: Option<LanguageMatch>,
        languages: usize,
    },
    /// The first pattern that matched (its index), or none; `url_known` is false when the
    /// widget had no page URL.
    Page {
        pattern: Option<usize>,
        url_known: bool,
    },
    /// The visitor's device (none if unknown), and whether the list names it.
    Device {
        device: Option<Device>,
        listed: bool,
    },
    /// The local clock in the schedule's zone (none if the widget did not provide it).
    Schedule {
        zone: String,
        clock: Option<LocalClock>,
    },
    /// The schedule's times are not valid `HH:MM` (or equal), so it never holds.
    BadSchedule,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LanguageMatch {
    pub tag: String,
    pub prefix: String,
}

/// One condition of one rule, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The rule's index in [`RouterRules::rules`].
    pub rule: usize,
    pub condition: ConditionKind,
    pub verdict: Verdict,
    pub detail: Detail,
}

impl fmt::Display for Reason {
    /// English, for the console's preview: `region: DE is in eu: holds`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.condition)?;
        match &self.detail {
            Detail::Country { country, listed } => {
                let not = if *listed { "" } else { "not " };
                write!(f, "{country} is {not}listed")?;
            }
            Detail::Region {
                country,
                region: Some(r),
            } => write!(f, "{country} is in {}", r.name())?,
            Detail::Region {
                country,
                region: None,
            } => write!(f, "{country} is in none of the regions")?,
            Detail::CountryUnknown => f.write_str("the visitor's country is unknown")?,
            Detail::TimeZone { zone: None, .. } => f.write_str("the browser gave no time zone")?,
            Detail::TimeZone {
                zone: Some(zone),
                listed,
            } => {
                let not = if *listed { "" } else { "not " };
                write!(f, "{zone} is {not}listed")?;
            }
            Detail::Language {
                matched: Some(m), ..
            } => write!(f, "{} matches {}", m.tag, m.prefix)?,
            Detail::Language {
                matched: None,
                languages,
            } => write!(f, "none of the visitor's {languages} languages matches")?,
            Detail::Page {
                url_known: false, ..
            } => f.write_str("the page URL is unknown")?,
            Detail::Page {
                pattern: Some(i), ..
            } => write!(f, "pattern {i} matches the page")?,
            Detail::Page { pattern: None, .. } => f.write_str("no pattern matches the page")?,
            Detail::Device { device: None, .. } => f.write_str("the device is unknown")?,
            Detail::Device {
                device: Some(d),
                listed,
            } => {
                let not = if *listed { "" } else { "not " };
                write!(f, "{} is {not}listed", d.name())?;
            }
            Detail::Schedule { zone, clock: None } => {
                write!(f, "no local time for {zone}")?;
            }
            Detail::Schedule {
                zone,
                clock: Some(c),
            } => write!(
                f,
                "it is {} {:02}:{:02} in {zone}",
                weekday_name(c.weekday),
                c.minute / 60,
                c.minute % 60
            )?,
            Detail::BadSchedule => f.write_str("the schedule's times are not valid")?,
        }
        f.write_str(match self.verdict {
            Verdict::Holds => ": holds",
            Verdict::Fails => ": fails",
            Verdict::Undecided => ": cannot be decided",
        })
    }
}

impl Region {
    /// The wire name (`eu`, `north_america`).
    pub fn name(self) -> &'static str {
        match self {
            Region::Eu => "eu",
            Region::Eea => "eea",
            Region::Gdpr => "gdpr",
            Region::Africa => "africa",
            Region::Antarctica => "antarctica",
            Region::Asia => "asia",
            Region::Europe => "europe",
            Region::NorthAmerica => "north_america",
            Region::Oceania => "oceania",
            Region::SouthAmerica => "south_america",
        }
    }

    /// The region with this wire name.
    pub fn from_name(name: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl Device {
    pub const ALL: [Device; 3] = [Device::Mobile, Device::Tablet, Device::Desktop];

    /// The wire name (`mobile`).
    pub fn name(self) -> &'static str {
        match self {
            Device::Mobile => "mobile",
            Device::Tablet => "tablet",
            Device::Desktop => "desktop",
        }
    }

    /// The device with this wire name.
    pub fn from_name(name: &str) -> Option<Device> {
        Device::ALL.into_iter().find(|d| d.name() == name)
    }
}

impl Weekday {
    /// Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// The wire name (`mon`).
    pub fn name(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    /// The weekday with this wire name or English short name, in any case (`mon`, `Mon`).
    pub fn from_name(name: &str) -> Option<Weekday> {
        Weekday::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name.trim()))
    }
}

fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

impl RouterRules {
    /// The distinct zones the rules' schedules name, sorted: the widget computes a
    /// [`LocalClock`] for each and passes them in [`Visitor::schedule_clock`].
    pub fn schedule_zones(&self) -> Vec<&str> {
        let mut zones: Vec<&str> = self
            .rules
            .iter()
            .filter_map(|r| r.when.schedule.as_ref())
            .map(|s| s.time_zone.as_str())
            .collect();
        zones.sort_unstable();
        zones.dedup();
        zones
    }

    /// Every widget this router can pick, sorted and without duplicates: the widgets whose
    /// public configurations the widget fetches along with the rules.
    pub fn targets(&self) -> Vec<&WidgetKey> {
        let mut keys: Vec<&WidgetKey> = self
            .rules
            .iter()
            .map(|r| &r.target)
            .chain([&self.default_widget, &self.unknown_location])
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// The line of [`zones::ZONES`] for `zone` (its country code, or "" for none), by bisection
/// over the sorted lines.
fn zone_entry(zone: &str) -> Option<&'static str> {
    let data = zones::ZONES;
    let bytes = data.as_bytes();
    // [lo, hi) always starts and ends on line boundaries.
    let (mut lo, mut hi) = (0, bytes.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = bytes[lo..mid]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(lo, |i| lo + i + 1);
        let end = bytes[start..hi]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(hi, |i| start + i);
        let line = data.get(start..end)?;
        let (name, country) = line.split_once(' ').unwrap_or((line, ""));
        match name.cmp(zone) {
            std::cmp::Ordering::Equal => return Some(country),
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    None
}

/// The country code of an IANA time zone name (`Europe/Berlin` → `DE`), from the table
/// generated from tzdata's `zone.tab` and `zone1970.tab` (see `zones_gen.rs` for how each
/// name is mapped, backward-compatible aliases such as `Asia/Calcutta` included). `None` for
/// unknown names and for zones without a country (`Etc/UTC`, `UTC`, `CET`).
pub fn country_for_zone(zone: &str) -> Option<&'static str> {
    zone_entry(zone).filter(|c| !c.is_empty())
}

/// Whether tzdata knows this zone name (with or without a country).
pub fn is_known_time_zone(zone: &str) -> bool {
    zone_entry(zone).is_some()
}

/// `code` if it is in `list`: sorted two-letter codes separated by single spaces.
fn find_code(list: &'static str, code: &[u8]) -> Option<&'static str> {
    let (mut lo, mut hi) = (0, list.len().div_ceil(3));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let here = list.get(mid * 3..mid * 3 + 2)?;
        match here.as_bytes().cmp(code) {
            std::cmp::Ordering::Equal => return Some(here),
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
        }
    }
    None
}

/// The codes of a list like [`zones::COUNTRIES`], in order.
fn codes(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.split(' ')
}

/// The known ISO 3166-1 alpha-2 code equal to `code`, from tzdata's `iso3166.tab`.
fn known_country(code: &[u8]) -> Option<&'static str> {
    find_code(zones::COUNTRIES, code)
}

/// Whether `code` is an ISO 3166-1 alpha-2 code (upper case, as tzdata's `iso3166.tab` has it).
pub fn is_known_country(code: &str) -> bool {
    known_country(code.as_bytes()).is_some()
}

/// Every known ISO 3166-1 alpha-2 code, sorted.
pub fn known_countries() -> impl Iterator<Item = &'static str> {
    codes(zones::COUNTRIES)
}

/// Shortest side, in CSS pixels, of a touch-first screen that counts as a tablet.
pub const TABLET_MIN_SIDE: f64 = 600.0;

/// The kind of device, never from the user agent:
/// - a device whose primary pointer is fine and can hover (mouse or trackpad) is a desktop,
///   whatever its size;
/// - otherwise (touch-first: coarse pointer or no hover) it is a tablet when `viewport_width`
///   is at least [`TABLET_MIN_SIDE`] (600) CSS pixels, and a mobile below that — Android's
///   `sw600dp` convention.
///
/// `viewport_width` should be the screen's *shorter* side, `min(screen.width,
/// screen.height)`, so a phone in landscape stays a phone, and not the iframe's own width (the
/// widget's panel is narrow on every device). `coarse_pointer` is
/// `matchMedia("(pointer: coarse)")`, `hover` is `matchMedia("(hover: hover)")`. A width that
/// is not a number counts as 0.
pub fn device_from(viewport_width: f64, coarse_pointer: bool, hover: bool) -> Device {
    if hover && !coarse_pointer {
        Device::Desktop
    } else if viewport_width >= TABLET_MIN_SIDE {
        Device::Tablet
    } else {
        Device::Mobile
    }
}

/// The visitor's country and where it came from; see the module documentation.
pub fn resolve_location(visitor: &Visitor) -> Location {
    if let Some(country) = visitor
        .country
        .as_deref()
        .filter(|c| c.len() == 2)
        .and_then(|c| {
            known_country(&[
                c.as_bytes()[0].to_ascii_uppercase(),
                c.as_bytes()[1].to_ascii_uppercase(),
            ])
        })
    {
        return Location::Server {
            country: country.to_owned(),
        };
    }
    if let Some(zone) = visitor.time_zone.as_deref() {
        if let Some(country) = country_for_zone(zone) {
            return Location::TimeZone {
                country: country.to_owned(),
                zone: zone.to_owned(),
            };
        }
    }
    for tag in &visitor.languages {
        if let Some(country) = matching::language_region(tag).and_then(|r| known_country(&r)) {
            return Location::Language {
                country: country.to_owned(),
                tag: tag.clone(),
            };
        }
    }
    Location::Unknown
}

/// Picks the widget for `visitor`; see the module documentation for the exact semantics.
pub fn decide(rules: &RouterRules, visitor: &Visitor) -> Decision {
    let location = resolve_location(visitor);
    let country = location.country();
    let mut reasons = Vec::new();
    for (index, rule) in rules.rules.iter().enumerate() {
        let first = reasons.len();
        check_rule(index, &rule.when, visitor, country, &mut reasons);
        let verdict = reasons[first..]
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::Holds);
        let (target, outcome) = match verdict {
            Verdict::Fails => continue,
            Verdict::Holds => (&rule.target, Outcome::Matched { rule: index }),
            Verdict::Undecided => (
                &rules.unknown_location,
                Outcome::LocationUnknown { rule: index },
            ),
        };
        return Decision {
            target: target.clone(),
            rule: matches!(outcome, Outcome::Matched { .. }).then_some(index),
            outcome,
            location,
            reasons,
        };
    }
    Decision {
        target: rules.default_widget.clone(),
        rule: None,
        outcome: Outcome::NoRuleMatched,
        location,
        reasons,
    }
}

fn verdict(holds: bool) -> Verdict {
    if holds {
        Verdict::Holds
    } else {
        Verdict::Fails
    }
}

/// Checks every condition of one rule (all of them, so the preview can show each) and
/// appends a reason for each.
fn check_rule(
    rule: usize,
    when: &Conditions,
    visitor: &Visitor,
    country: Option<&str>,
    out: &mut Vec<Reason>,
) {
    let mut push = |condition, verdict, detail| {
        out.push(Reason {
            rule,
            condition,
            verdict,
            detail,
        });
    };
    let listed =
        |list: &[String], country: &str| list.iter().any(|c| c.eq_ignore_ascii_case(country));

    for (condition, list, wanted) in [
        (ConditionKind::CountryIn, &when.country_in, true),
        (ConditionKind::CountryNotIn, &when.country_not_in, false),
    ] {
        let Some(list) = list else { continue };
        match country {
            None => push(condition, Verdict::Undecided, Detail::CountryUnknown),
            Some(country) => {
                let is_listed = listed(list, country);
                push(
                    condition,
                    verdict(is_listed == wanted),
                    Detail::Country {
                        country: country.to_owned(),
                        listed: is_listed,
                    },
                );
            }
        }
    }

    if let Some(regions) = &when.region_in {
        match country {
            None => push(
                ConditionKind::RegionIn,
                Verdict::Undecided,
                Detail::CountryUnknown,
            ),
            Some(country) => {
                let region = regions.iter().copied().find(|r| r.contains(country));
                push(
                    ConditionKind::RegionIn,
                    verdict(region.is_some()),
                    Detail::Region {
                        country: country.to_owned(),
                        region,
                    },
                );
            }
        }
    }

    if let Some(zones) = &when.time_zone_in {
        let zone = visitor.time_zone.as_deref();
        let is_listed = zone.is_some_and(|z| zones.iter().any(|l| l == z));
        push(
            ConditionKind::TimeZoneIn,
            verdict(is_listed),
            Detail::TimeZone {
                zone: zone.map(str::to_owned),
                listed: is_listed,
            },
        );
    }

    if let Some(prefixes) = &when.language {
        let matched = visitor.languages.iter().find_map(|tag| {
            prefixes
                .iter()
                .find(|p| language_matches(p, tag))
                .map(|prefix| LanguageMatch {
                    tag: tag.clone(),
                    prefix: prefix.clone(),
                })
        });
        push(
            ConditionKind::Language,
            verdict(matched.is_some()),
            Detail::Language {
                matched,
                languages: visitor.languages.len(),
            },
        );
    }

    if let Some(patterns) = &when.page {
        let url = visitor.page_url.as_deref().map(matching::without_fragment);
        let pattern = url.and_then(|url| patterns.iter().position(|p| page_matches(p, url)));
        push(
            ConditionKind::Page,
            verdict(pattern.is_some()),
            Detail::Page {
                pattern,
                url_known: url.is_some(),
            },
        );
    }

    if let Some(devices) = &when.device {
        let is_listed = visitor.device.is_some_and(|d| devices.contains(&d));
        push(
            ConditionKind::Device,
            verdict(is_listed),
            Detail::Device {
                device: visitor.device,
                listed: is_listed,
            },
        );
    }

    if let Some(schedule) = &when.schedule {
        let window = matching::parse_time(&schedule.from, false)
            .zip(matching::parse_time(&schedule.to, true))
            .filter(|(from, to)| from != to);
        match window {
            None => push(ConditionKind::Schedule, Verdict::Fails, Detail::BadSchedule),
            Some((from, to)) => {
                let clock = visitor.schedule_clock.get(&schedule.time_zone).copied();
                let open = clock.is_some_and(|c| in_window(schedule, from, to, c));
                push(
                    ConditionKind::Schedule,
                    verdict(open),
                    Detail::Schedule {
                        zone: schedule.time_zone.clone(),
                        clock,
                    },
                );
            }
        }
    }
}

fn page_matches(pattern: &PagePattern, url: &str) -> bool {
    match pattern {
        PagePattern::Prefix(prefix) => url.starts_with(prefix.as_str()),
        PagePattern::Glob(glob) => glob_matches(glob, url),
        PagePattern::Host(host) => {
            matching::url_host(url).is_some_and(|h| h.eq_ignore_ascii_case(host))
        }
    }
}

/// Whether the local clock `c` is inside the window `[from, to)` on one of the schedule's days
/// (overnight windows belong to the day they start on).
fn in_window(schedule: &Schedule, from: u16, to: u16, c: LocalClock) -> bool {
    if c.minute >= 1440 {
        return false;
    }
    let on = |day: Weekday| schedule.days.contains(&day);
    if from < to {
        on(c.weekday) && (from..to).contains(&c.minute)
    } else {
        (on(c.weekday) && c.minute >= from) || (on(c.weekday.previous()) && c.minute < to)
    }
}
