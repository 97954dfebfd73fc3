//! Tests of the router as a whole: `decide`, location, devices, the zone table against the
//! machine's tzdata, and property tests against a brute-force oracle.

use super::*;

fn key(s: &str) -> WidgetKey {
    WidgetKey::parse(s).expect("test key")
}

fn strings(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| s.to_string()).collect())
}

fn rule(name: &str, target: &str, when: Conditions) -> Rule {
    Rule {
        name: name.into(),
        target: key(target),
        when,
    }
}

fn router(rules: Vec<Rule>) -> RouterRules {
    RouterRules {
        rules,
        default_widget: key("standard"),
        unknown_location: key("strict"),
    }
}

fn visitor(zone: Option<&str>, languages: &[&str]) -> Visitor {
    Visitor {
        time_zone: zone.map(str::to_owned),
        languages: languages.iter().map(|s| s.to_string()).collect(),
        ..Visitor::default()
    }
}

/// The issue's example: EU visitors get the privacy widget (in German for German speakers),
/// everyone else the standard one.
fn example() -> RouterRules {
    router(vec![
        rule(
            "EU, German",
            "privacy-de",
            Conditions {
                region_in: Some(vec![Region::Eu]),
                language: strings(&["de"]),
                ..Conditions::default()
            },
        ),
        rule(
            "EU",
            "privacy",
            Conditions {
                region_in: Some(vec![Region::Gdpr]),
                ..Conditions::default()
            },
        ),
    ])
}

#[test]
fn berlin_with_german_gets_the_german_privacy_widget() {
    let d = decide(
        &example(),
        &visitor(Some("Europe/Berlin"), &["de-DE", "en"]),
    );
    assert_eq!(d.target.as_str(), "privacy-de");
    assert_eq!(d.rule, Some(0));
    assert_eq!(d.outcome, Outcome::Matched { rule: 0 });
    assert_eq!(
        d.location,
        Location::TimeZone {
            country: "DE".into(),
            zone: "Europe/Berlin".into()
        }
    );
}

#[test]
fn new_york_with_english_gets_the_standard_widget() {
    let d = decide(&example(), &visitor(Some("America/New_York"), &["en-US"]));
    assert_eq!(d.target.as_str(), "standard");
    assert_eq!(d.rule, None);
    assert_eq!(d.outcome, Outcome::NoRuleMatched);
    assert_eq!(d.reasons.len(), 3, "{:?}", d.reasons);
}

#[test]
fn an_unknown_zone_fails_closed_to_the_unknown_location_widget() {
    let d = decide(&example(), &visitor(Some("Mars/Olympus_Mons"), &["de"]));
    assert_eq!(d.target.as_str(), "strict");
    assert_eq!(d.rule, None);
    assert_eq!(d.outcome, Outcome::LocationUnknown { rule: 0 });
    assert_eq!(d.location, Location::Unknown);
    assert_eq!(
        d.reasons[0],
        Reason {
            rule: 0,
            condition: ConditionKind::RegionIn,
            verdict: Verdict::Undecided,
            detail: Detail::CountryUnknown
        }
    );
}

#[test]
fn an_unknown_country_fails_closed_only_where_the_rule_could_still_match() {
    // Rule 0 needs the pricing page: on the blog it cannot match whatever the country, so the
    // router goes on; rule 1 has no location condition and matches.
    let r = router(vec![
        rule(
            "EU pricing",
            "privacy",
            Conditions {
                region_in: Some(vec![Region::Eu]),
                page: Some(vec![PagePattern::Prefix("https://x.com/pricing".into())]),
                ..Conditions::default()
            },
        ),
        rule(
            "German",
            "german",
            Conditions {
                language: strings(&["de"]),
                ..Conditions::default()
            },
        ),
        rule(
            "US",
            "sales",
            Conditions {
                country_in: strings(&["US"]),
                ..Conditions::default()
            },
        ),
    ]);
    let mut v = visitor(Some("Etc/UTC"), &["de"]);
    v.page_url = Some("https://x.com/blog".into());
    let d = decide(&r, &v);
    assert_eq!((d.target.as_str(), d.rule), ("german", Some(1)));

    // English on the blog: rule 2 might have applied (the visitor could be in the US), so the
    // router stops there instead of falling through to the default.
    let mut v = visitor(Some("Etc/UTC"), &["en"]);
    v.page_url = Some("https://x.com/blog".into());
    let d = decide(&r, &v);
    assert_eq!(d.target.as_str(), "strict");
    assert_eq!(d.outcome, Outcome::LocationUnknown { rule: 2 });

    // On the pricing page rule 0 might apply: fail closed at once.
    v.page_url = Some("https://x.com/pricing".into());
    assert_eq!(decide(&r, &v).outcome, Outcome::LocationUnknown { rule: 0 });
}

#[test]
fn the_first_matching_rule_wins_and_later_rules_are_not_tried() {
    let r = router(vec![
        rule(
            "mobile",
            "mobile",
            Conditions {
                device: Some(vec![Device::Mobile]),
                ..Conditions::default()
            },
        ),
        rule(
            "German",
            "german",
            Conditions {
                language: strings(&["de"]),
                ..Conditions::default()
            },
        ),
        rule(
            "also German",
            "other",
            Conditions {
                language: strings(&["de"]),
                ..Conditions::default()
            },
        ),
    ]);
    let mut v = visitor(None, &["de"]);
    v.device = Some(Device::Desktop);
    let d = decide(&r, &v);
    assert_eq!((d.target.as_str(), d.rule), ("german", Some(1)));
    assert!(d.reasons.iter().all(|r| r.rule < 2), "{:?}", d.reasons);
    v.device = Some(Device::Mobile);
    assert_eq!(decide(&r, &v).rule, Some(0));
}

#[test]
fn every_condition_of_a_tried_rule_is_explained_in_english() {
    let r = router(vec![rule(
        "busy",
        "sales",
        Conditions {
            country_in: strings(&["DE"]),
            country_not_in: strings(&["AT"]),
            region_in: Some(vec![Region::Europe]),
            time_zone_in: strings(&["Europe/Berlin"]),
            language: strings(&["en", "de"]),
            page: Some(vec![
                PagePattern::Host("shop.x.com".into()),
                PagePattern::Glob("https://x.com/*".into()),
            ]),
            device: Some(vec![Device::Desktop]),
            schedule: Some(Schedule {
                time_zone: "Europe/Berlin".into(),
                days: vec![Weekday::Mon],
                from: "09:00".into(),
                to: "17:00".into(),
            }),
        },
    )]);
    let mut v = visitor(Some("Europe/Berlin"), &["fr", "de-DE"]);
    v.page_url = Some("https://x.com/pricing#plans".into());
    v.device = Some(Device::Tablet);
    v.schedule_clock.insert(
        "Europe/Berlin".into(),
        LocalClock {
            weekday: Weekday::Mon,
            minute: 17 * 60,
        },
    );
    let d = decide(&r, &v);
    let lines: Vec<String> = d.reasons.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "country in: DE is listed: holds",
            "country not in: DE is not listed: holds",
            "region: DE is in europe: holds",
            "time zone: Europe/Berlin is listed: holds",
            "language: de-DE matches de: holds",
            "page: pattern 1 matches the page: holds",
            "device: tablet is not listed: fails",
            "schedule: it is Monday 17:00 in Europe/Berlin: fails",
        ]
    );
    assert_eq!(d.outcome.to_string(), "no rule matched: default widget");
    assert_eq!(
        d.location.to_string(),
        "DE, from the time zone Europe/Berlin"
    );

    let unknown = decide(&r, &Visitor::default());
    let lines: Vec<String> = unknown.reasons.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "country in: the visitor's country is unknown: cannot be decided",
            "country not in: the visitor's country is unknown: cannot be decided",
            "region: the visitor's country is unknown: cannot be decided",
            "time zone: the browser gave no time zone: fails",
            "language: none of the visitor's 0 languages matches: fails",
            "page: the page URL is unknown: fails",
            "device: the device is unknown: fails",
            "schedule: no local time for Europe/Berlin: fails",
        ]
    );
    assert_eq!(
        unknown.outcome,
        Outcome::NoRuleMatched,
        "a failure beats undecided"
    );
}

#[test]
fn location_precedence_is_server_then_time_zone_then_language() {
    let mut v = visitor(Some("America/New_York"), &["de-AT"]);
    v.country = Some("fr".into());
    assert_eq!(
        resolve_location(&v),
        Location::Server {
            country: "FR".into()
        }
    );
    for ignored in ["XX", "EU", "", "FRA", "é"] {
        v.country = Some(ignored.into());
        assert_eq!(resolve_location(&v).country(), Some("US"), "{ignored}");
    }
    v.country = None;
    for no_country in [None, Some("Etc/UTC"), Some("UTC"), Some("Nowhere/Special")] {
        v.time_zone = no_country.map(str::to_owned);
        assert_eq!(
            resolve_location(&v),
            Location::Language {
                country: "AT".into(),
                tag: "de-AT".into()
            },
            "{no_country:?}"
        );
    }
    v.languages = vec!["en".into(), "es-419".into(), "en-XX".into(), "pt-br".into()];
    assert_eq!(
        resolve_location(&v).country(),
        Some("BR"),
        "first tag with a known region"
    );
    v.languages = vec!["de".into()];
    assert_eq!(resolve_location(&v), Location::Unknown);
}

#[test]
fn country_conditions_compare_codes() {
    let r = router(vec![rule(
        "not DACH",
        "world",
        Conditions {
            country_not_in: strings(&["DE", "AT", "CH"]),
            ..Conditions::default()
        },
    )]);
    let at = |zone: &str| decide(&r, &visitor(Some(zone), &[])).target.to_string();
    assert_eq!(at("Europe/Paris"), "world");
    assert_eq!(at("Europe/Zurich"), "standard");
    assert_eq!(at("Europe/Busingen"), "standard", "Büsingen is in Germany");
    assert_eq!(at("America/Sao_Paulo"), "world");
}

#[test]
fn regions_use_the_resolved_country() {
    let r = router(vec![rule(
        "GDPR",
        "privacy",
        Conditions {
            region_in: Some(vec![Region::Gdpr]),
            ..Conditions::default()
        },
    )]);
    for (zone, target) in [
        ("Europe/London", "privacy"),
        ("Europe/Zurich", "privacy"),
        ("Atlantic/Reykjavik", "privacy"),
        ("Indian/Reunion", "privacy"),
        ("Europe/Istanbul", "standard"),
        ("Asia/Tokyo", "standard"),
    ] {
        assert_eq!(
            decide(&r, &visitor(Some(zone), &[])).target.as_str(),
            target,
            "{zone}"
        );
    }
}

#[test]
fn time_zones_are_compared_exactly() {
    let r = router(vec![rule(
        "India",
        "india",
        Conditions {
            time_zone_in: strings(&["Asia/Kolkata"]),
            ..Conditions::default()
        },
    )]);
    assert_eq!(
        decide(&r, &visitor(Some("Asia/Kolkata"), &[])).rule,
        Some(0)
    );
    assert_eq!(decide(&r, &visitor(Some("Asia/Calcutta"), &[])).rule, None);
    assert_eq!(decide(&r, &visitor(Some("asia/kolkata"), &[])).rule, None);
    assert_eq!(decide(&r, &visitor(None, &[])).rule, None);
}

#[test]
fn languages_match_any_of_the_visitors_languages_by_prefix() {
    let r = router(vec![rule(
        "Brazil",
        "brazil",
        Conditions {
            language: strings(&["pt-BR"]),
            ..Conditions::default()
        },
    )]);
    assert_eq!(decide(&r, &visitor(None, &["en", "pt-br"])).rule, Some(0));
    assert_eq!(decide(&r, &visitor(None, &["pt-PT", "pt"])).rule, None);
    assert_eq!(decide(&r, &visitor(None, &[])).rule, None);
}

#[test]
fn pages_match_by_prefix_glob_or_host_without_the_fragment() {
    let r = router(vec![rule(
        "pages",
        "sales",
        Conditions {
            page: Some(vec![
                PagePattern::Prefix("https://x.com/pricing".into()),
                PagePattern::Glob("https://*.x.com/docs/*".into()),
                PagePattern::Host("shop.x.com".into()),
            ]),
            ..Conditions::default()
        },
    )]);
    let on = |url: &str| {
        let v = Visitor {
            page_url: Some(url.into()),
            ..Visitor::default()
        };
        match decide(&r, &v).reasons[0].detail {
            Detail::Page { pattern, .. } => pattern,
            ref other => panic!("{other:?}"),
        }
    };
    assert_eq!(on("https://x.com/pricing"), Some(0));
    assert_eq!(on("https://x.com/pricing/team?plan=a"), Some(0));
    assert_eq!(on("https://x.com/blog#https://x.com/pricing"), None);
    assert_eq!(on("https://eu.x.com/docs/start"), Some(1));
    assert_eq!(on("https://eu.x.com/docs/start#top"), Some(1));
    assert_eq!(on("https://x.com/docs/start"), None);
    assert_eq!(on("https://SHOP.x.com:8443/cart"), Some(2));
    assert_eq!(on("https://shop.x.com.evil.example/"), None);
    assert_eq!(on("https://evil.example/?shop.x.com"), None);
}

#[test]
fn devices_come_from_size_and_pointer_never_the_user_agent() {
    assert_eq!(device_from(390.0, true, false), Device::Mobile);
    assert_eq!(device_from(599.9, true, false), Device::Mobile);
    assert_eq!(device_from(600.0, true, false), Device::Tablet);
    assert_eq!(device_from(1024.0, true, false), Device::Tablet);
    assert_eq!(
        device_from(390.0, true, true),
        Device::Mobile,
        "coarse with hover"
    );
    assert_eq!(
        device_from(800.0, false, false),
        Device::Tablet,
        "stylus, no hover"
    );
    assert_eq!(
        device_from(320.0, false, true),
        Device::Desktop,
        "a narrow desktop"
    );
    assert_eq!(device_from(2560.0, false, true), Device::Desktop);
    assert_eq!(device_from(f64::NAN, true, false), Device::Mobile);
    assert_eq!(device_from(f64::INFINITY, true, false), Device::Tablet);
    assert_eq!(device_from(-1.0, false, true), Device::Desktop);
}

fn office_hours(from: &str, to: &str, days: &[Weekday]) -> RouterRules {
    router(vec![rule(
        "hours",
        "team",
        Conditions {
            schedule: Some(Schedule {
                time_zone: "Europe/Berlin".into(),
                days: days.to_vec(),
                from: from.into(),
                to: to.into(),
            }),
            ..Conditions::default()
        },
    )])
}

fn at(r: &RouterRules, weekday: Weekday, hh: u16, mm: u16) -> bool {
    let mut v = Visitor::default();
    v.schedule_clock.insert(
        "Europe/Berlin".into(),
        LocalClock {
            weekday,
            minute: hh * 60 + mm,
        },
    );
    decide(r, &v).rule == Some(0)
}

#[test]
fn a_schedule_holds_from_its_start_until_before_its_end() {
    use Weekday::*;
    let r = office_hours("09:00", "17:30", &[Mon, Tue, Wed, Thu, Fri]);
    assert!(!at(&r, Mon, 8, 59));
    assert!(at(&r, Mon, 9, 0));
    assert!(at(&r, Fri, 17, 29));
    assert!(!at(&r, Fri, 17, 30));
    assert!(!at(&r, Sat, 12, 0));
    assert!(!at(&r, Mon, 24, 0), "a clock past midnight is not valid");
    assert!(decide(&r, &Visitor::default()).rule.is_none(), "no clock");
    let all_day = office_hours("00:00", "24:00", &[Sun]);
    assert!(at(&all_day, Sun, 0, 0) && at(&all_day, Sun, 23, 59));
    assert!(!at(&all_day, Mon, 0, 0));
}

#[test]
fn an_overnight_schedule_belongs_to_the_day_it_starts() {
    use Weekday::*;
    let r = office_hours("22:00", "02:00", &[Fri, Sun]);
    assert!(at(&r, Fri, 22, 0));
    assert!(at(&r, Sat, 1, 59));
    assert!(!at(&r, Sat, 2, 0));
    assert!(!at(&r, Fri, 1, 0), "Thursday night is not listed");
    assert!(!at(&r, Sat, 23, 0));
    assert!(at(&r, Mon, 0, 30), "Sunday night runs into Monday");
}

#[test]
fn a_broken_schedule_never_holds() {
    use Weekday::*;
    for (from, to) in [
        ("09:00", "09:00"),
        ("9:00", "17:00"),
        ("09:00", "25:00"),
        ("24:00", "02:00"),
    ] {
        let r = office_hours(from, to, &[Mon]);
        assert!(!at(&r, Mon, 9, 30), "{from}-{to}");
        let d = decide(&r, &Visitor::default());
        assert_eq!(d.reasons[0].detail, Detail::BadSchedule);
    }
}

#[test]
fn the_json_form_is_plain_and_strict() {
    let json = r#"{
        "rules": [
            {"name": "EU, German", "target": "privacy-de",
             "when": {"region_in": ["eu"], "language": ["de"]}},
            {"name": "Sales pages", "target": "sales",
             "when": {"page": [{"prefix": "https://x.com/pricing"},
                               {"glob": "https://*.x.com/docs/*"},
                               {"host": "shop.x.com"}],
                      "device": ["desktop", "tablet"],
                      "country_not_in": ["CN"],
                      "schedule": {"time_zone": "America/New_York", "days": ["mon", "fri"],
                                   "from": "09:00", "to": "17:30"}}},
            {"name": "Americas", "target": "standard",
             "when": {"region_in": ["north_america", "south_america"]}}
        ],
        "default_widget": "standard",
        "unknown_location": "privacy"
    }"#;
    let r: RouterRules = serde_json::from_str(json).expect("example parses");
    assert_eq!(r.rules[0].when.region_in, Some(vec![Region::Eu]));
    assert_eq!(
        r.rules[1].when.page.as_ref().map(|p| p[2].clone()),
        Some(PagePattern::Host("shop.x.com".into()))
    );
    let again: RouterRules =
        serde_json::from_value(serde_json::to_value(&r).expect("to json")).expect("round trip");
    assert_eq!(again, r);
    let compact = serde_json::to_value(&r.rules[0]).expect("to json");
    assert_eq!(
        compact,
        serde_json::json!({"name": "EU, German", "target": "privacy-de",
                           "when": {"region_in": ["eu"], "language": ["de"]}}),
        "absent conditions are left out"
    );
    assert_eq!(r.schedule_zones(), vec!["America/New_York"]);
    let targets: Vec<&str> = r.targets().iter().map(|k| k.as_str()).collect();
    assert_eq!(targets, vec!["privacy", "privacy-de", "sales", "standard"]);

    for bad in [
        json.replace("\"region_in\": [\"eu\"]", "\"region_in\": [\"EU\"]"),
        json.replace("\"language\"", "\"languages\""),
        json.replace("\"prefix\"", "\"regex\""),
        json.replace("\"privacy-de\"", "\"privacy de\""),
    ] {
        assert!(serde_json::from_str::<RouterRules>(&bad).is_err(), "{bad}");
    }
}

#[test]
fn a_visitors_debug_shows_no_value() {
    let mut v = visitor(Some("Europe/Berlin"), &["de-AT"]);
    v.page_url = Some("https://x.com/?email=a@b.c".into());
    v.country = Some("DE".into());
    let shown = format!("{v:?}");
    for secret in ["Berlin", "de-AT", "email", "DE"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn zones_map_to_countries_aliases_included() {
    assert_eq!(country_for_zone("Europe/Berlin"), Some("DE"));
    assert_eq!(country_for_zone("Europe/Vienna"), Some("AT"));
    assert_eq!(country_for_zone("America/New_York"), Some("US"));
    assert_eq!(country_for_zone("Arctic/Longyearbyen"), Some("SJ"));
    assert_eq!(
        country_for_zone("Asia/Calcutta"),
        Some("IN"),
        "Chrome's name"
    );
    assert_eq!(country_for_zone("Europe/Kiev"), Some("UA"));
    assert_eq!(country_for_zone("Asia/Rangoon"), Some("MM"));
    assert_eq!(country_for_zone("Iceland"), Some("IS"), "not Abidjan's CI");
    assert_eq!(country_for_zone("US/Eastern"), Some("US"));
    for none in [
        "Etc/UTC",
        "UTC",
        "Etc/GMT+5",
        "CET",
        "EST5EDT",
        "",
        "europe/berlin",
        "Europe/Berlin ",
    ] {
        assert_eq!(country_for_zone(none), None, "{none:?}");
    }
    assert!(is_known_time_zone("Etc/UTC") && is_known_time_zone("Asia/Calcutta"));
    assert!(!is_known_time_zone("Mars/Olympus"));
    assert!(is_known_country("DE") && is_known_country("ZW") && is_known_country("AD"));
    for bad in ["de", "XX", "EU", "UK", "", "D", "DEU"] {
        assert!(!is_known_country(bad), "{bad}");
    }
    assert_eq!(known_countries().count(), 249);
    let lines: Vec<&str> = zones::ZONES.lines().collect();
    assert!(lines.len() > 500);
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "sorted for bisection"
    );
    for line in &lines {
        let (zone, country) = line.split_once(' ').unwrap_or((line, ""));
        assert!(
            country.is_empty() || is_known_country(country),
            "{zone}: {country}"
        );
        // Every line is found by the bisection, the first and last included.
        assert_eq!(zone_entry(zone), Some(country), "{zone}");
        assert!(zone_entry(&format!("{zone}x")).is_none() && zone_entry(&zone[1..]).is_none());
    }
}

/// Reads a tzdata file from the machine, or says why the test is skipped.
fn tzdata_file(name: &str) -> Option<String> {
    let path = std::path::Path::new("/usr/share/zoneinfo").join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!(
                "SKIPPED: cannot read {} ({e}); install Debian's tzdata to run this test",
                path.display()
            );
            None
        }
    }
}

#[test]
fn every_zone_in_the_machines_zone_tab_maps_to_its_country() {
    let Some(tab) = tzdata_file("zone.tab") else {
        return;
    };
    let mut checked = 0;
    for line in tab.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (code, zone) = (fields[0], fields[2]);
        assert_eq!(
            country_for_zone(zone),
            Some(code),
            "{zone}: the table was generated from tzdata {TZDATA_VERSION}; if this machine's \
             tzdata is newer, run `cargo xtask zones`"
        );
        checked += 1;
    }
    assert!(checked > 400, "only {checked} zones in zone.tab");
}

#[test]
fn the_committed_table_is_what_the_generator_writes() {
    let (Some(zone_tab), Some(zone1970_tab), Some(iso3166_tab), Some(tzdata_zi)) = (
        tzdata_file("zone.tab"),
        tzdata_file("zone1970.tab"),
        tzdata_file("iso3166.tab"),
        tzdata_file("tzdata.zi"),
    ) else {
        return;
    };
    let generated = zones_gen::generate(&zones_gen::Tzdata {
        zone_tab: &zone_tab,
        zone1970_tab: &zone1970_tab,
        iso3166_tab: &iso3166_tab,
        tzdata_zi: &tzdata_zi,
    })
    .expect("the machine's tzdata generates");
    if generated.version != TZDATA_VERSION {
        eprintln!(
            "SKIPPED: this machine has tzdata {}, the committed table is from {TZDATA_VERSION}; \
             run `cargo xtask zones` to update it",
            generated.version
        );
        return;
    }
    assert!(
        generated.source == include_str!("zones.rs"),
        "crates/protocol/src/router/zones.rs differs from what `cargo xtask zones` writes"
    );
    assert_eq!(generated.unreviewed_aliases, Vec::<String>::new());
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    //! Property tests: `decide` against a brute-force oracle written independently of it.
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;

    const KEYS: [&str; 4] = ["alpha", "bravo", "charlie", "delta"];
    const COUNTRIES: [&str; 7] = ["DE", "AT", "FR", "US", "GB", "CH", "BR"];
    const ZONES: [&str; 6] = [
        "Europe/Berlin",
        "America/New_York",
        "Asia/Calcutta",
        "Europe/Zurich",
        "Etc/UTC",
        "Mars/Base",
    ];
    const LANGUAGES: [&str; 7] = ["de-AT", "de", "en", "pt-BR", "EN-gb", "es-419", "dex"];
    const PREFIXES: [&str; 6] = ["de", "en", "pt-BR", "pt", "en-GB", "es"];
    const URLS: [&str; 5] = [
        "https://x.com/pricing",
        "https://x.com/pricing/team#a",
        "https://eu.x.com/docs/a",
        "https://shop.x.com:8443/cart?x=1",
        "https://y.org/",
    ];
    const REGIONS: [Region; 5] = [
        Region::Eu,
        Region::Gdpr,
        Region::Europe,
        Region::NorthAmerica,
        Region::SouthAmerica,
    ];

    /// The oracle's own knowledge of the pools: zone → country, and region membership.
    fn oracle_zone_country(zone: &str) -> Option<&'static str> {
        match zone {
            "Europe/Berlin" => Some("DE"),
            "America/New_York" => Some("US"),
            "Asia/Calcutta" => Some("IN"),
            "Europe/Zurich" => Some("CH"),
            _ => None,
        }
    }

    fn oracle_in_region(region: Region, country: &str) -> bool {
        let members: &[&str] = match region {
            Region::Eu => &["DE", "AT", "FR"],
            Region::Gdpr => &["DE", "AT", "FR", "GB", "CH"],
            Region::Europe => &["DE", "AT", "FR", "GB", "CH"],
            Region::NorthAmerica => &["US"],
            Region::SouthAmerica => &["BR"],
            _ => &[],
        };
        members.contains(&country)
    }

    fn oracle_country(v: &Visitor) -> Option<String> {
        if let Some(c) = v.country.as_deref().map(str::to_uppercase) {
            if COUNTRIES.contains(&c.as_str()) {
                return Some(c);
            }
        }
        if let Some(c) = v.time_zone.as_deref().and_then(oracle_zone_country) {
            return Some(c.to_owned());
        }
        v.languages.iter().find_map(|tag| {
            let lower = tag.to_lowercase();
            let parts: Vec<&str> = lower.split('-').collect();
            (parts.len() == 2 && parts[1].len() == 2 && parts[1].chars().all(char::is_alphabetic))
                .then(|| parts[1].to_uppercase())
        })
    }

    /// Glob by recursion over characters: obviously right, exponential, fine for short URLs.
    fn oracle_glob(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| oracle_glob(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && oracle_glob(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && oracle_glob(rest, &t[1..]),
        }
    }

    fn oracle_page(p: &PagePattern, url: &str) -> bool {
        let url = match url.find('#') {
            Some(i) => &url[..i],
            None => url,
        };
        match p {
            PagePattern::Prefix(prefix) => url.starts_with(prefix.as_str()),
            PagePattern::Glob(g) => {
                let (p, t): (Vec<char>, Vec<char>) = (g.chars().collect(), url.chars().collect());
                oracle_glob(&p, &t)
            }
            PagePattern::Host(h) => {
                let after = url.split("://").nth(1).unwrap_or("");
                let host = after.split(['/', '?']).next().unwrap_or("");
                host.split(':').next().unwrap_or("").eq_ignore_ascii_case(h)
            }
        }
    }

    fn oracle_schedule(s: &Schedule, v: &Visitor) -> bool {
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = t.split_once(':')?;
            Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?)
        };
        let (Some(from), Some(to)) = (minutes(&s.from), minutes(&s.to)) else {
            return false;
        };
        if from >= 1440 || to > 1440 || from == to {
            return false;
        }
        let Some(clock) = v.schedule_clock.get(&s.time_zone) else {
            return false;
        };
        let day = |d: Weekday| d as u32;
        let now = day(clock.weekday) * 1440 + u32::from(clock.minute);
        let length = (to + 1440 - from) % 1440;
        let length = if to == 1440 { 1440 - from } else { length };
        s.days.iter().any(|d| {
            let start = day(*d) * 1440 + from;
            (now + 7 * 1440 - start) % (7 * 1440) < length
        })
    }

    /// Some(true) holds, Some(false) fails, None undecided.
    fn oracle_conditions(w: &Conditions, v: &Visitor) -> Vec<Option<bool>> {
        let country = oracle_country(v);
        let mut out = Vec::new();
        if let Some(list) = &w.country_in {
            out.push(country.as_ref().map(|c| list.contains(c)));
        }
        if let Some(list) = &w.country_not_in {
            out.push(country.as_ref().map(|c| !list.contains(c)));
        }
        if let Some(regions) = &w.region_in {
            out.push(
                country
                    .as_ref()
                    .map(|c| regions.iter().any(|r| oracle_in_region(*r, c))),
            );
        }
        if let Some(zones) = &w.time_zone_in {
            out.push(Some(
                v.time_zone.as_ref().is_some_and(|z| zones.contains(z)),
            ));
        }
        if let Some(prefixes) = &w.language {
            out.push(Some(v.languages.iter().any(|tag| {
                prefixes.iter().any(|p| {
                    let (t, p) = (tag.to_lowercase(), p.to_lowercase());
                    t == p || t.starts_with(&format!("{p}-"))
                })
            })));
        }
        if let Some(patterns) = &w.page {
            out.push(Some(
                v.page_url
                    .as_ref()
                    .is_some_and(|u| patterns.iter().any(|p| oracle_page(p, u))),
            ));
        }
        if let Some(devices) = &w.device {
            out.push(Some(v.device.is_some_and(|d| devices.contains(&d))));
        }
        if let Some(s) = &w.schedule {
            out.push(Some(oracle_schedule(s, v)));
        }
        out
    }

    /// The target and matching rule by brute force: the lowest index whose conditions all
    /// hold, unless an earlier rule with no failing condition could not be decided.
    fn oracle(r: &RouterRules, v: &Visitor) -> (WidgetKey, Option<usize>) {
        for (i, rule) in r.rules.iter().enumerate() {
            let results = oracle_conditions(&rule.when, v);
            if results.contains(&Some(false)) {
                continue;
            }
            if results.iter().all(|x| *x == Some(true)) {
                return (rule.target.clone(), Some(i));
            }
            return (r.unknown_location.clone(), None);
        }
        (r.default_widget.clone(), None)
    }

    fn list<T: Clone + std::fmt::Debug + 'static>(
        pool: &'static [T],
    ) -> impl Strategy<Value = Option<Vec<T>>> {
        prop::option::weighted(0.3, prop::collection::vec(select(pool), 0..3))
    }

    fn strings_from(pool: &'static [&'static str]) -> impl Strategy<Value = Option<Vec<String>>> {
        list(pool).prop_map(|l| l.map(|l| l.into_iter().map(str::to_owned).collect()))
    }

    fn page_pattern() -> impl Strategy<Value = PagePattern> {
        prop_oneof![
            select(
                &[
                    "https://x.com/pricing",
                    "https://x.com/",
                    "https://eu.x.com"
                ][..]
            )
            .prop_map(|s| PagePattern::Prefix(s.to_owned())),
            select(
                &[
                    "https://*.x.com/*",
                    "*/pricing*",
                    "https://x.com/?ricing",
                    "*"
                ][..]
            )
            .prop_map(|s| PagePattern::Glob(s.to_owned())),
            select(&["shop.x.com", "x.com", "EU.X.COM"][..])
                .prop_map(|s| PagePattern::Host(s.to_owned())),
        ]
    }

    fn weekday() -> impl Strategy<Value = Weekday> {
        select(
            &[
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ][..],
        )
    }

    fn time() -> impl Strategy<Value = String> {
        select(
            &[
                "00:00", "06:00", "09:00", "17:30", "22:00", "23:59", "24:00", "09:00",
            ][..],
        )
        .prop_map(str::to_owned)
    }

    fn schedule() -> impl Strategy<Value = Option<Schedule>> {
        prop::option::weighted(
            0.2,
            (prop::collection::vec(weekday(), 1..3), time(), time()).prop_map(
                |(days, from, to)| Schedule {
                    time_zone: "Europe/Berlin".into(),
                    days,
                    from,
                    to,
                },
            ),
        )
    }

    fn conditions() -> impl Strategy<Value = Conditions> {
        (
            strings_from(&COUNTRIES),
            strings_from(&COUNTRIES),
            list(&REGIONS),
            strings_from(&ZONES),
            strings_from(&PREFIXES),
            prop::option::weighted(0.3, prop::collection::vec(page_pattern(), 0..3)),
            list(&[Device::Mobile, Device::Tablet, Device::Desktop]),
            schedule(),
        )
            .prop_map(
                |(
                    country_in,
                    country_not_in,
                    region_in,
                    time_zone_in,
                    language,
                    page,
                    device,
                    schedule,
                )| {
                    Conditions {
                        country_in,
                        country_not_in,
                        region_in,
                        time_zone_in,
                        language,
                        page,
                        device,
                        schedule,
                    }
                },
            )
    }

    fn rules() -> impl Strategy<Value = RouterRules> {
        let rule = (select(&KEYS[..]), conditions()).prop_map(|(target, when)| Rule {
            name: "r".into(),
            target: key(target),
            when,
        });
        (
            prop::collection::vec(rule, 0..6),
            select(&KEYS[..]),
            select(&KEYS[..]),
        )
            .prop_map(|(rules, default, unknown)| RouterRules {
                rules,
                default_widget: key(default),
                unknown_location: key(unknown),
            })
    }

    fn visitors() -> impl Strategy<Value = Visitor> {
        (
            prop::option::weighted(0.2, select(&["DE", "US", "XX", "br"][..])),
            prop::option::of(select(&ZONES[..])),
            prop::collection::vec(select(&LANGUAGES[..]), 0..3),
            prop::option::of(select(&URLS[..])),
            prop::option::of(select(
                &[Device::Mobile, Device::Tablet, Device::Desktop][..],
            )),
            prop::option::of((weekday(), 0u16..1440)),
        )
            .prop_map(|(country, zone, languages, url, device, clock)| Visitor {
                country: country.map(str::to_owned),
                time_zone: zone.map(str::to_owned),
                languages: languages.into_iter().map(str::to_owned).collect(),
                page_url: url.map(str::to_owned),
                device,
                schedule_clock: clock
                    .map(|(weekday, minute)| {
                        ("Europe/Berlin".to_owned(), LocalClock { weekday, minute })
                    })
                    .into_iter()
                    .collect(),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn decide_agrees_with_the_brute_force_oracle(r in rules(), v in visitors()) {
            let d = decide(&r, &v);
            let (target, rule) = oracle(&r, &v);
            prop_assert_eq!(&d.target, &target, "{:?}", d);
            prop_assert_eq!(d.rule, rule);
            prop_assert_eq!(d.location.country().map(str::to_owned), oracle_country(&v));
            if let Some(i) = d.rule {
                prop_assert!(d.reasons.iter().filter(|x| x.rule == i).all(|x| x.verdict == Verdict::Holds));
            }
        }

        #[test]
        fn an_unknown_country_never_selects_a_rule_with_a_location_condition(
            r in rules(),
            zone in prop::option::of(select(&["Etc/UTC", "UTC", "Mars/Base", "Etc/GMT-3"][..])),
            languages in prop::collection::vec(select(&["de", "en", "es-419", "x-AT", "EU"][..]), 0..3),
            country in prop::option::of(select(&["", "XX", "EU", "A1", "DEU"][..])),
        ) {
            let v = Visitor {
                country: country.map(str::to_owned),
                time_zone: zone.map(str::to_owned),
                languages: languages.into_iter().map(str::to_owned).collect(),
                ..Visitor::default()
            };
            let d = decide(&r, &v);
            prop_assert_eq!(&d.location, &Location::Unknown);
            if let Some(i) = d.rule {
                prop_assert!(!r.rules[i].when.has_location_condition());
            }
            match d.outcome {
                Outcome::LocationUnknown { rule } => {
                    prop_assert_eq!(&d.target, &r.unknown_location);
                    prop_assert!(r.rules[rule].when.has_location_condition());
                }
                Outcome::Matched { rule } => prop_assert_eq!(Some(rule), d.rule),
                Outcome::NoRuleMatched => {
                    prop_assert_eq!(&d.target, &r.default_widget);
                    prop_assert!(r.rules.iter().all(|x| !x.when.has_location_condition()
                        || x.when.time_zone_in.is_some() || x.when.language.is_some()
                        || x.when.page.is_some() || x.when.device.is_some()
                        || x.when.schedule.is_some()));
                }
            }
        }

        #[test]
        fn nothing_panics_on_arbitrary_strings(
            texts in prop::collection::vec(any::<String>(), 12),
            lists in prop::collection::vec(prop::collection::vec(any::<String>(), 0..3), 4),
            width in any::<f64>(),
            coarse in any::<bool>(),
            hover in any::<bool>(),
            minute in any::<u16>(),
        ) {
            let r = RouterRules {
                rules: vec![Rule {
                    name: texts[0].clone(),
                    target: key("alpha"),
                    when: Conditions {
                        country_in: Some(lists[0].clone()),
                        country_not_in: Some(lists[1].clone()),
                        region_in: Some(vec![Region::Gdpr]),
                        time_zone_in: Some(lists[2].clone()),
                        language: Some(lists[3].clone()),
                        page: Some(vec![
                            PagePattern::Prefix(texts[1].clone()),
                            PagePattern::Glob(texts[2].clone()),
                            PagePattern::Host(texts[3].clone()),
                        ]),
                        device: Some(vec![device_from(width, coarse, hover)]),
                        schedule: Some(Schedule {
                            time_zone: texts[4].clone(),
                            days: vec![Weekday::Sun],
                            from: texts[5].clone(),
                            to: texts[6].clone(),
                        }),
                    },
                }],
                default_widget: key("bravo"),
                unknown_location: key("charlie"),
            };
            let mut v = Visitor {
                country: Some(texts[7].clone()),
                time_zone: Some(texts[8].clone()),
                languages: vec![texts[9].clone(), texts[10].clone()],
                page_url: Some(texts[11].clone()),
                device: Some(Device::Mobile),
                ..Visitor::default()
            };
            v.schedule_clock.insert(texts[4].clone(), LocalClock { weekday: Weekday::Sun, minute });
            let d = decide(&r, &v);
            for reason in &d.reasons {
                let _ = reason.to_string();
            }
            let _ = (d.outcome.to_string(), d.location.to_string(), format!("{v:?}"));
            let _ = r.problems(&|_| true);
            let _ = (country_for_zone(&texts[8]), is_known_country(&texts[7]));
            let _ = glob_matches(&texts[2], &texts[11]);
        }
    }
}
