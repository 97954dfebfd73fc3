//! [`RouterRules::problems`]: everything that keeps a router from being saved, each with a
//! dotted path (`rules.2.when.page.0`) and a message an admin can act on.

use super::matching::{is_language_prefix, parse_time, url_host};
use super::{is_known_country, is_known_time_zone, Conditions, PagePattern, RouterRules};
use crate::settings::SettingsProblem;
use crate::WidgetKey;

/// Most rules in one router.
pub const MAX_RULES: usize = 100;
/// Longest rule name, in characters.
pub const MAX_RULE_NAME_CHARS: usize = 80;
/// Most entries in one condition's list.
pub const MAX_LIST_LEN: usize = 250;
/// Longest page pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 2048;

fn problem(field: impl Into<String>, message: impl Into<String>) -> SettingsProblem {
    SettingsProblem {
        field: field.into(),
        message: message.into(),
    }
}

const UNKNOWN_WIDGET: &str = "no widget has this key";
const UNKNOWN_COUNTRY: &str =
    "not an ISO 3166-1 country code; use two upper-case letters, such as DE or US";
const UNKNOWN_ZONE: &str = "unknown time zone; use an IANA name such as Europe/Berlin";

impl RouterRules {
    /// Every problem with these rules; empty when they can be saved. `known_widgets` says
    /// whether a widget key exists on this server.
    pub fn problems(&self, known_widgets: &dyn Fn(&WidgetKey) -> bool) -> Vec<SettingsProblem> {
        let mut out = Vec::new();
        if self.rules.len() > MAX_RULES {
            out.push(problem("rules", format!("at most {MAX_RULES} rules")));
        }
        for (field, key) in [
            ("default_widget", &self.default_widget),
            ("unknown_location", &self.unknown_location),
        ] {
            if !known_widgets(key) {
                out.push(problem(field, UNKNOWN_WIDGET));
            }
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let at = format!("rules.{i}");
            let name = rule.name.trim();
            if name.is_empty() {
                out.push(problem(format!("{at}.name"), "must not be empty"));
            } else if rule.name.chars().count() > MAX_RULE_NAME_CHARS {
                out.push(problem(
                    format!("{at}.name"),
                    format!("at most {MAX_RULE_NAME_CHARS} characters"),
                ));
            }
            if !known_widgets(&rule.target) {
                out.push(problem(format!("{at}.target"), UNKNOWN_WIDGET));
            }
            check_conditions(&mut out, &format!("{at}.when"), &rule.when);
        }
        out
    }
}

/// An empty or overlong list is a problem of its own; its entries are checked only if the
/// length is fine. Returns whether to check the entries.
fn check_list_len(out: &mut Vec<SettingsProblem>, at: &str, len: usize, empty: &str) -> bool {
    if len == 0 {
        out.push(problem(at, empty));
        false
    } else if len > MAX_LIST_LEN {
        out.push(problem(at, format!("at most {MAX_LIST_LEN} entries")));
        false
    } else {
        true
    }
}

const EMPTY_IN: &str = "an empty list matches no visitor; remove the condition instead";

fn check_conditions(out: &mut Vec<SettingsProblem>, at: &str, when: &Conditions) {
    if when.is_empty() {
        out.push(problem(
            at,
            "a rule needs at least one condition; to send every visitor to one widget, make it the default widget",
        ));
        return;
    }

    if let Some(list) = &when.country_in {
        let field = format!("{at}.country_in");
        if check_list_len(out, &field, list.len(), EMPTY_IN) {
            for (j, code) in list.iter().enumerate() {
                if !is_known_country(code) {
                    out.push(problem(format!("{field}.{j}"), UNKNOWN_COUNTRY));
                }
            }
        }
    }
    if let Some(list) = &when.country_not_in {
        let field = format!("{at}.country_not_in");
        let empty = "an empty list excludes no visitor; remove the condition instead";
        if check_list_len(out, &field, list.len(), empty) {
            for (j, code) in list.iter().enumerate() {
                if !is_known_country(code) {
                    out.push(problem(format!("{field}.{j}"), UNKNOWN_COUNTRY));
                } else if when.country_in.as_ref().is_some_and(|l| l.contains(code)) {
                    out.push(problem(
                        format!("{field}.{j}"),
                        "also listed in country_in: a country cannot be both in and not in",
                    ));
                }
            }
        }
    }
    if let Some(regions) = &when.region_in {
        let field = format!("{at}.region_in");
        if check_list_len(out, &field, regions.len(), EMPTY_IN) {
            if let Some(countries) = &when.country_in {
                let known: Vec<&String> =
                    countries.iter().filter(|c| is_known_country(c)).collect();
                if !known.is_empty() && !known.iter().any(|c| regions.iter().any(|r| r.contains(c)))
                {
                    out.push(problem(
                        field,
                        "none of the countries in country_in is in these regions, so the rule can never match",
                    ));
                }
            }
        }
    }

    if let Some(zones) = &when.time_zone_in {
        let field = format!("{at}.time_zone_in");
        if check_list_len(out, &field, zones.len(), EMPTY_IN) {
            for (j, zone) in zones.iter().enumerate() {
                if !is_known_time_zone(zone) {
                    out.push(problem(format!("{field}.{j}"), UNKNOWN_ZONE));
                }
            }
        }
    }

    if let Some(languages) = &when.language {
        let field = format!("{at}.language");
        if check_list_len(out, &field, languages.len(), EMPTY_IN) {
            for (j, tag) in languages.iter().enumerate() {
                if !is_language_prefix(tag) {
                    out.push(problem(
                        format!("{field}.{j}"),
                        "a BCP 47 language tag such as de, pt-BR or zh-Hant",
                    ));
                }
            }
        }
    }

    if let Some(patterns) = &when.page {
        let field = format!("{at}.page");
        if check_list_len(out, &field, patterns.len(), EMPTY_IN) {
            for (j, pattern) in patterns.iter().enumerate() {
                if let Some(message) = page_pattern_problem(pattern) {
                    out.push(problem(format!("{field}.{j}"), message));
                }
            }
        }
    }

    if let Some(devices) = &when.device {
        check_list_len(out, &format!("{at}.device"), devices.len(), EMPTY_IN);
    }

    if let Some(s) = &when.schedule {
        let field = format!("{at}.schedule");
        if !is_known_time_zone(&s.time_zone) {
            out.push(problem(format!("{field}.time_zone"), UNKNOWN_ZONE));
        }
        check_list_len(
            out,
            &format!("{field}.days"),
            s.days.len(),
            "pick at least one day",
        );
        let from = parse_time(&s.from, false);
        let to = parse_time(&s.to, true);
        if from.is_none() {
            out.push(problem(
                format!("{field}.from"),
                "a time like 09:00 (24-hour clock, HH:MM)",
            ));
        }
        if to.is_none() {
            out.push(problem(
                format!("{field}.to"),
                "a time like 17:30 (24-hour clock, HH:MM; 24:00 for midnight)",
            ));
        }
        if from.is_some() && from == to {
            out.push(problem(
                format!("{field}.to"),
                "must differ from `from`: for all day use 00:00 to 24:00; a window that ends before it starts runs overnight",
            ));
        }
    }
}

fn bad_chars(s: &str) -> bool {
    s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The scheme-and-host part of a URL-like pattern has no upper case: browsers report hosts in
/// lower case, so `https://Shop.x.com` would never match.
fn host_part_has_upper_case(s: &str) -> bool {
    let rest = s.find("://").map_or(s, |i| &s[i + 3..]);
    let host_end = rest
        .find(['/', '?'])
        .map_or(s.len(), |i| s.len() - rest.len() + i);
    s[..host_end].bytes().any(|b| b.is_ascii_uppercase())
}

fn page_pattern_problem(pattern: &PagePattern) -> Option<&'static str> {
    match pattern {
        PagePattern::Prefix(p) => {
            let ok = (p.starts_with("https://") || p.starts_with("http://"))
                && url_host(p).is_some_and(|h| !h.contains(['*', '?']))
                && p.chars().count() <= MAX_PATTERN_CHARS
                && !bad_chars(p);
            if !ok {
                Some("a URL prefix that starts with https:// or http:// and a host, such as https://example.com/pricing")
            } else if p.contains('#') {
                Some("the router matches the page URL without its #fragment; remove it")
            } else if host_part_has_upper_case(p) {
                Some("write the scheme and host in lower case, as browsers report them")
            } else {
                None
            }
        }
        PagePattern::Glob(g) => {
            let ok = (g.starts_with("https://") || g.starts_with("http://") || g.starts_with('*'))
                && g.chars().count() <= MAX_PATTERN_CHARS
                && !bad_chars(g);
            if !ok {
                Some("a pattern for the whole page URL that starts with https://, http:// or *, such as https://*.example.com/docs/* (* is any text, ? one character)")
            } else if g.contains('#') {
                Some("the router matches the page URL without its #fragment; remove it")
            } else if host_part_has_upper_case(g) {
                Some("write the scheme and host in lower case, as browsers report them")
            } else {
                None
            }
        }
        PagePattern::Host(h) => {
            let ok = !h.is_empty()
                && h.len() <= 253
                && !h.starts_with(['.', '-'])
                && !h.ends_with('.')
                && !h.contains("..")
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            (!ok).then_some("a host name such as shop.example.com, without https:// or a path")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::{Device, Region, Rule, Schedule, Weekday};

    fn key(s: &str) -> WidgetKey {
        WidgetKey::parse(s).expect("test key")
    }

    fn rules(when: Conditions) -> RouterRules {
        RouterRules {
            rules: vec![Rule {
                name: "Rule".into(),
                target: key("privacy"),
                when,
            }],
            default_widget: key("standard"),
            unknown_location: key("privacy"),
        }
    }

    fn known(k: &WidgetKey) -> bool {
        ["privacy", "standard"].contains(&k.as_str())
    }

    fn problems(r: &RouterRules) -> Vec<(String, String)> {
        r.problems(&known)
            .into_iter()
            .map(|p| (p.field, p.message))
            .collect()
    }

    fn fields(r: &RouterRules) -> Vec<String> {
        problems(r).into_iter().map(|p| p.0).collect()
    }

    fn strings(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn a_sensible_router_has_no_problems() {
        let r = rules(Conditions {
            region_in: Some(vec![Region::Gdpr]),
            country_not_in: strings(&["CH"]),
            time_zone_in: strings(&["Europe/Berlin", "Asia/Calcutta", "Etc/UTC"]),
            language: strings(&["de", "pt-BR", "es-419"]),
            page: Some(vec![
                PagePattern::Prefix("https://x.com/pricing".into()),
                PagePattern::Glob("https://*.x.com/docs/*".into()),
                PagePattern::Glob("*/checkout?step=?".into()),
                PagePattern::Host("shop.x.com".into()),
            ]),
            device: Some(vec![Device::Mobile]),
            schedule: Some(Schedule {
                time_zone: "Europe/Berlin".into(),
                days: vec![Weekday::Mon, Weekday::Fri],
                from: "22:00".into(),
                to: "06:00".into(),
            }),
            ..Conditions::default()
        });
        assert_eq!(problems(&r), vec![]);
    }

    #[test]
    fn unknown_widgets_are_named_where_they_are_used() {
        let mut r = rules(Conditions {
            device: Some(vec![Device::Mobile]),
            ..Conditions::default()
        });
        r.rules[0].target = key("gone");
        r.unknown_location = key("gone");
        assert_eq!(
            problems(&r),
            vec![
                ("unknown_location".to_owned(), UNKNOWN_WIDGET.to_owned()),
                ("rules.0.target".to_owned(), UNKNOWN_WIDGET.to_owned()),
            ]
        );
    }

    #[test]
    fn an_empty_rule_and_empty_lists_are_refused() {
        assert_eq!(fields(&rules(Conditions::default())), vec!["rules.0.when"]);
        let r = rules(Conditions {
            country_in: Some(vec![]),
            country_not_in: Some(vec![]),
            region_in: Some(vec![]),
            time_zone_in: Some(vec![]),
            language: Some(vec![]),
            page: Some(vec![]),
            device: Some(vec![]),
            ..Conditions::default()
        });
        assert_eq!(
            fields(&r),
            vec![
                "rules.0.when.country_in",
                "rules.0.when.country_not_in",
                "rules.0.when.region_in",
                "rules.0.when.time_zone_in",
                "rules.0.when.language",
                "rules.0.when.page",
                "rules.0.when.device",
            ]
        );
        let messages = problems(&r);
        assert!(messages[0].1.contains("matches no visitor"), "{messages:?}");
        assert!(
            messages[1].1.contains("excludes no visitor"),
            "{messages:?}"
        );
    }

    #[test]
    fn contradictory_location_conditions_are_refused() {
        let r = rules(Conditions {
            country_in: strings(&["DE", "AT"]),
            country_not_in: strings(&["FR", "AT"]),
            ..Conditions::default()
        });
        assert_eq!(
            problems(&r),
            vec![(
                "rules.0.when.country_not_in.1".to_owned(),
                "also listed in country_in: a country cannot be both in and not in".to_owned()
            )]
        );
        let r = rules(Conditions {
            country_in: strings(&["US", "CA"]),
            region_in: Some(vec![Region::Eu, Region::Asia]),
            ..Conditions::default()
        });
        assert_eq!(fields(&r), vec!["rules.0.when.region_in"]);
        let r = rules(Conditions {
            country_in: strings(&["US", "DE"]),
            region_in: Some(vec![Region::Eu]),
            ..Conditions::default()
        });
        assert_eq!(fields(&r), Vec::<String>::new(), "DE can still match");
    }

    #[test]
    fn unknown_countries_zones_and_languages_are_refused() {
        let r = rules(Conditions {
            country_in: strings(&["DE", "de", "XX", "GER", "EU"]),
            time_zone_in: strings(&["Europe/Berlin", "Europe/Berln", "europe/berlin", "UTC+2"]),
            language: strings(&["de", "german", "de_AT", ""]),
            ..Conditions::default()
        });
        assert_eq!(
            fields(&r),
            vec![
                "rules.0.when.country_in.1",
                "rules.0.when.country_in.2",
                "rules.0.when.country_in.3",
                "rules.0.when.country_in.4",
                "rules.0.when.time_zone_in.1",
                "rules.0.when.time_zone_in.2",
                "rules.0.when.time_zone_in.3",
                "rules.0.when.language.1",
                "rules.0.when.language.2",
                "rules.0.when.language.3",
            ]
        );
        assert_eq!(problems(&r)[0].1, UNKNOWN_COUNTRY);
        assert_eq!(problems(&r)[4].1, UNKNOWN_ZONE);
    }

    #[test]
    fn bad_page_patterns_are_refused_with_a_reason() {
        let bad = [
            PagePattern::Prefix("x.com/pricing".into()),
            PagePattern::Prefix("https://".into()),
            PagePattern::Prefix("https://x.com/a b".into()),
            PagePattern::Prefix("https://x.com/#top".into()),
            PagePattern::Prefix("https://X.com/pricing".into()),
            PagePattern::Glob("".into()),
            PagePattern::Glob("x.com/docs/*".into()),
            PagePattern::Glob("https://*.X.com/*".into()),
            PagePattern::Glob(format!("https://{}", "a".repeat(MAX_PATTERN_CHARS))),
            PagePattern::Host("https://shop.x.com".into()),
            PagePattern::Host("shop.x.com/".into()),
            PagePattern::Host("".into()),
            PagePattern::Host(".x.com".into()),
        ];
        let r = rules(Conditions {
            page: Some(bad.to_vec()),
            ..Conditions::default()
        });
        let found = fields(&r);
        let expected: Vec<String> = (0..bad.len())
            .map(|j| format!("rules.0.when.page.{j}"))
            .collect();
        assert_eq!(found, expected);
        let messages = problems(&r);
        assert!(messages[3].1.contains("#fragment"));
        assert!(messages[4].1.contains("lower case"));
        assert!(messages[6].1.contains("starts with https://, http:// or *"));
        assert!(messages[9].1.contains("without https://"));
    }

    #[test]
    fn schedules_need_a_zone_days_and_two_different_times() {
        let r = rules(Conditions {
            schedule: Some(Schedule {
                time_zone: "Mars/Olympus".into(),
                days: vec![],
                from: "9:00".into(),
                to: "24:30".into(),
            }),
            ..Conditions::default()
        });
        assert_eq!(
            fields(&r),
            vec![
                "rules.0.when.schedule.time_zone",
                "rules.0.when.schedule.days",
                "rules.0.when.schedule.from",
                "rules.0.when.schedule.to",
            ]
        );
        let r = rules(Conditions {
            schedule: Some(Schedule {
                time_zone: "UTC".into(),
                days: vec![Weekday::Sun],
                from: "09:00".into(),
                to: "09:00".into(),
            }),
            ..Conditions::default()
        });
        assert_eq!(fields(&r), vec!["rules.0.when.schedule.to"]);
        let all_day = rules(Conditions {
            schedule: Some(Schedule {
                time_zone: "UTC".into(),
                days: vec![Weekday::Sun],
                from: "00:00".into(),
                to: "24:00".into(),
            }),
            ..Conditions::default()
        });
        assert_eq!(fields(&all_day), Vec::<String>::new());
    }

    #[test]
    fn names_rule_counts_and_list_lengths_are_bounded() {
        let mut r = rules(Conditions {
            country_in: Some(vec!["DE".to_owned(); MAX_LIST_LEN + 1]),
            ..Conditions::default()
        });
        r.rules[0].name = "  ".into();
        let one = r.rules[0].clone();
        r.rules.push(Rule {
            name: "é".repeat(MAX_RULE_NAME_CHARS + 1),
            ..one.clone()
        });
        let f = fields(&r);
        assert_eq!(
            f,
            vec![
                "rules.0.name",
                "rules.0.when.country_in",
                "rules.1.name",
                "rules.1.when.country_in"
            ]
        );
        r.rules = vec![
            Rule {
                name: "ok".into(),
                when: Conditions {
                    device: Some(vec![Device::Tablet]),
                    ..Conditions::default()
                },
                ..one
            };
            MAX_RULES + 1
        ];
        assert_eq!(fields(&r), vec!["rules"]);
        r.rules.pop();
        assert_eq!(fields(&r), Vec::<String>::new());
    }
}
