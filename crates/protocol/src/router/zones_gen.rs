//! Writes `zones.rs` (the time zone → country table and the ISO 3166-1 list) from tzdata's text
//! files. Pure and std-only: `cargo xtask zones` includes this file by path and does the I/O,
//! and the protocol crate's tests include it to check that the committed table is exactly what
//! it would write.
//!
//! How a name gets its country, first rule that applies:
//! 1. a name in `zone.tab` gets its one country there (`Europe/Berlin` → DE, although
//!    `zone1970.tab` lists DE,DK,NO,SE,SJ for it: zone.tab names the zone's own country);
//! 2. a name only in `zone1970.tab` gets the first country listed (tzdata lists the zone's
//!    most populous country first);
//! 3. a non-geographic name (`Etc/…`, `UTC`, `GMT`, `CET`, `EST5EDT`, `Factory`…) gets none;
//! 4. a backward-compatible alias (a link in `tzdata.zi`, e.g. `Asia/Calcutta` → `Asia/Kolkata`,
//!    which Chrome still reports) gets the country from [`REVIEWED_ALIASES`] when listed there;
//!    otherwise its target's country, but only when `zone1970.tab` gives the target exactly one
//!    country. A link only says that clocks agree since 1970, not that the places share a
//!    country (`Iceland` links to `Africa/Abidjan`), so an alias into a zone shared by several
//!    countries that nobody reviewed gets no country: the router then treats its visitors as
//!    of unknown location, which fails closed. The generator lists such aliases so a maintainer
//!    can review them when tzdata changes;
//! 5. any other zone in `tzdata.zi` is known (valid in rules) but has no country.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Aliases of zones shared by several countries (or, for `Pacific/Johnston`, of a zone in
/// another country), with the country of the place the alias names. Checked by hand against
/// the links of tzdata 2025b; an entry whose alias is not a link in the input is ignored.
pub const REVIEWED_ALIASES: &[(&str, &str)] = &[
    ("Africa/Asmera", "ER"),
    ("Africa/Timbuktu", "ML"),
    ("America/Coral_Harbour", "CA"),
    ("America/Montreal", "CA"),
    ("America/Nipigon", "CA"),
    ("America/Thunder_Bay", "CA"),
    ("America/Virgin", "VI"),
    ("Antarctica/South_Pole", "AQ"),
    ("Asia/Rangoon", "MM"),
    ("Atlantic/Jan_Mayen", "SJ"),
    ("Canada/Eastern", "CA"),
    ("Europe/Belfast", "GB"),
    ("GB", "GB"),
    ("GB-Eire", "GB"),
    ("Iceland", "IS"),
    ("Japan", "JP"),
    ("NZ", "NZ"),
    ("Pacific/Johnston", "UM"),
    ("Pacific/Ponape", "FM"),
    ("Pacific/Samoa", "AS"),
    ("Pacific/Truk", "FM"),
    ("Pacific/Yap", "FM"),
    ("Singapore", "SG"),
    ("US/Arizona", "US"),
    ("US/Samoa", "AS"),
];

/// Names that describe an offset or a rule set, not a place.
const NON_GEOGRAPHIC: &[&str] = &[
    "CET",
    "CST6CDT",
    "EET",
    "EST",
    "EST5EDT",
    "Factory",
    "GMT",
    "GMT+0",
    "GMT-0",
    "GMT0",
    "Greenwich",
    "HST",
    "MET",
    "MST",
    "MST7MDT",
    "PST8PDT",
    "UCT",
    "UTC",
    "Universal",
    "WET",
    "Zulu",
];

/// The four tzdata files, as text.
#[derive(Debug, Clone, Copy)]
pub struct Tzdata<'a> {
    pub zone_tab: &'a str,
    pub zone1970_tab: &'a str,
    pub iso3166_tab: &'a str,
    pub tzdata_zi: &'a str,
}

/// What the generator wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The Rust source of `zones.rs`.
    pub source: String,
    /// The tzdata release, from the first line of `tzdata.zi` (`# version 2025b`).
    pub version: String,
    /// Aliases left without a country because their target is shared by several countries
    /// and [`REVIEWED_ALIASES`] does not list them (empty for tzdata 2025b).
    pub unreviewed_aliases: Vec<String>,
}

/// Data lines of a `.tab` file: no comments, no blank lines, split on tabs.
fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
}

fn is_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// Builds the table, or says which line of which file it could not read.
pub fn generate(input: &Tzdata<'_>) -> Result<Generated, String> {
    let version = input
        .tzdata_zi
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# version "))
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or("tzdata.zi does not start with `# version NAME`")?
        .to_owned();

    let mut countries = BTreeSet::new();
    for row in rows(input.iso3166_tab) {
        if !is_code(row[0]) {
            return Err(format!("iso3166.tab: bad country code {:?}", row[0]));
        }
        countries.insert(row[0]);
    }

    let mut zone_tab: BTreeMap<&str, &str> = BTreeMap::new();
    for row in rows(input.zone_tab) {
        match row.as_slice() {
            [code, _, name, ..] if countries.contains(code) => {
                zone_tab.insert(*name, *code);
            }
            _ => return Err(format!("zone.tab: cannot read {row:?}")),
        }
    }

    let mut zone1970: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in rows(input.zone1970_tab) {
        match row.as_slice() {
            [codes, _, name, ..] => {
                let codes: Vec<&str> = codes.split(',').collect();
                if codes.is_empty() || !codes.iter().all(|c| countries.contains(c)) {
                    return Err(format!("zone1970.tab: unknown country in {row:?}"));
                }
                zone1970.insert(*name, codes);
            }
            _ => return Err(format!("zone1970.tab: cannot read {row:?}")),
        }
    }

    let mut zones = BTreeSet::new();
    let mut links: BTreeMap<&str, &str> = BTreeMap::new();
    for line in input.tzdata_zi.lines() {
        let mut words = line.split(' ');
        match (words.next(), words.next(), words.next()) {
            (Some("Z"), Some(name), _) => {
                zones.insert(name);
            }
            (Some("L"), Some(target), Some(alias)) => {
                links.insert(alias, target);
            }
            _ => {}
        }
    }
    if zones.is_empty() {
        return Err("tzdata.zi has no zone (`Z`) lines".into());
    }

    let reviewed: BTreeMap<&str, &str> = REVIEWED_ALIASES.iter().copied().collect();
    if let Some((alias, code)) = REVIEWED_ALIASES
        .iter()
        .find(|(alias, code)| links.contains_key(alias) && !countries.contains(code))
    {
        return Err(format!(
            "REVIEWED_ALIASES: {alias} → unknown country {code}"
        ));
    }

    let mut table: BTreeMap<&str, &str> = BTreeMap::new();
    let mut unreviewed_aliases = Vec::new();
    let names = zones
        .iter()
        .chain(links.keys())
        .chain(zone_tab.keys())
        .chain(zone1970.keys());
    for &name in names {
        let country = if let Some(code) = zone_tab.get(name) {
            *code
        } else if let Some(codes) = zone1970.get(name) {
            codes[0]
        } else if name.starts_with("Etc/") || NON_GEOGRAPHIC.contains(&name) {
            ""
        } else if let Some(target) = links.get(name) {
            if let Some(code) = reviewed.get(name) {
                code
            } else {
                match zone1970.get(target).map(Vec::as_slice) {
                    Some([only]) => only,
                    Some(_) => {
                        unreviewed_aliases.push(format!("{name} → {target}"));
                        ""
                    }
                    None => zone_tab.get(target).copied().unwrap_or(""),
                }
            }
        } else {
            ""
        };
        table.insert(name, country);
    }

    if let Some(bad) = table.keys().find(|n| {
        !n.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    }) {
        return Err(format!(
            "tzdata.zi: zone name {bad:?} has a character the table cannot hold"
        ));
    }

    let mut source = String::new();
    let mapped = table.values().filter(|c| !c.is_empty()).count();
    let _ = write!(
        source,
        "//! Generated by `cargo xtask zones` from tzdata {version} (zone.tab, zone1970.tab,
//! iso3166.tab and tzdata.zi, which are in the public domain). Do not edit: run the generator
//! again. How each name gets its country is documented in `zones_gen.rs`.
//!
//! {total} names ({mapped} with a country), {ncountries} countries. Both tables are single
//! sorted strings, searched by bisection: as an array of `&str` pairs the zone table cost the
//! widget 9 KB more (3 KB gzipped).

/// The tzdata release this table comes from.
pub const TZDATA_VERSION: &str = \"{version}\";

/// Every ISO 3166-1 alpha-2 code in `iso3166.tab`, sorted, separated by single spaces.
pub const COUNTRIES: &str = \"\\\n",
        total = table.len(),
        ncountries = countries.len(),
    );
    let codes: Vec<&str> = countries.iter().copied().collect();
    let lines: Vec<String> = codes.chunks(25).map(|c| c.join(" ")).collect();
    let _ = writeln!(source, "{}\";", lines.join(" \\\n"));
    source.push_str(
        "
/// Every zone and link name in `tzdata.zi`, one per line, sorted by bytes: the name, then a
/// space and its country code if it has one (`Etc/UTC` has none).
pub const ZONES: &str = \"\\
",
    );
    for (name, code) in &table {
        if code.is_empty() {
            let _ = writeln!(source, "{name}");
        } else {
            let _ = writeln!(source, "{name} {code}");
        }
    }
    source.push_str("\";\n");

    Ok(Generated {
        source,
        version,
        unreviewed_aliases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISO: &str = "#code\tname\nDE\tGermany\nGB\tBritain (UK)\nGG\tGuernsey\nIS\tIceland\nCI\tCôte d'Ivoire\n";
    const TAB: &str = "# comment\nDE\t+5230+01322\tEurope/Berlin\tmost of Germany\nGB\t+513030-0000731\tEurope/London\nGG\t+492717-0023210\tEurope/Guernsey\nCI\t+0519-00402\tAfrica/Abidjan\n";
    const TAB1970: &str = "DE,GG\t+5230+01322\tEurope/Berlin\nGB,GG\t+513030-0000731\tEurope/London\nCI,IS\t+0519-00402\tAfrica/Abidjan\nIS\t+0000+00000\tAtlantic/Nowhere\n";
    const ZI: &str = "# version 2099z\nZ Europe/Berlin 0:53:28 - LMT 1893 Ap\n1 c CE%sT\nZ Etc/UTC 0 - UTC\nZ CET 1 c CE%sT\nL Europe/London GB\nL Europe/London Europe/Belfast\nL Africa/Abidjan Iceland\nL Africa/Abidjan Africa/Bamako\nL Etc/UTC UTC\nL Atlantic/Nowhere Atlantic/Old\nL Europe/London Europe/Guernsey\n";

    fn sample() -> Generated {
        generate(&Tzdata {
            zone_tab: TAB,
            zone1970_tab: TAB1970,
            iso3166_tab: ISO,
            tzdata_zi: ZI,
        })
        .expect("sample generates")
    }

    /// The country of `name` in the generated ZONES string ("" for none), if listed.
    fn row(g: &Generated, name: &str) -> Option<String> {
        let zones = g.source.split("pub const ZONES: &str = \"\\\n").nth(1)?;
        zones.lines().find_map(|l| {
            let (n, code) = l.split_once(' ').unwrap_or((l, ""));
            (n == name).then(|| code.to_owned())
        })
    }

    #[test]
    fn each_rule_of_the_mapping_applies_in_order() {
        let g = sample();
        assert_eq!(g.version, "2099z");
        assert_eq!(row(&g, "Europe/Berlin").as_deref(), Some("DE"), "zone.tab");
        assert_eq!(
            row(&g, "Europe/Guernsey").as_deref(),
            Some("GG"),
            "zone.tab beats link"
        );
        assert_eq!(
            row(&g, "Atlantic/Nowhere").as_deref(),
            Some("IS"),
            "zone1970 only"
        );
        assert_eq!(row(&g, "Etc/UTC").as_deref(), Some(""), "known, no country");
        assert_eq!(row(&g, "CET").as_deref(), Some(""), "non-geographic");
        assert_eq!(row(&g, "UTC").as_deref(), Some(""), "non-geographic link");
        assert_eq!(row(&g, "GB").as_deref(), Some("GB"), "reviewed alias");
        assert_eq!(
            row(&g, "Iceland").as_deref(),
            Some("IS"),
            "reviewed cross-border alias"
        );
        assert_eq!(
            row(&g, "Atlantic/Old").as_deref(),
            Some("IS"),
            "single-country target"
        );
        assert_eq!(
            row(&g, "Africa/Bamako").as_deref(),
            Some(""),
            "unreviewed shared target"
        );
        assert_eq!(g.unreviewed_aliases, vec!["Africa/Bamako → Africa/Abidjan"]);
        assert!(g
            .source
            .contains("pub const TZDATA_VERSION: &str = \"2099z\";"));
        assert!(g
            .source
            .contains("pub const COUNTRIES: &str = \"\\\nCI DE GB GG IS\";\n"));
    }

    #[test]
    fn the_output_is_sorted_by_bytes_and_deterministic() {
        let g = sample();
        let zones = g
            .source
            .split("pub const ZONES: &str = \"\\\n")
            .nth(1)
            .unwrap_or("");
        let names: Vec<&str> = zones
            .lines()
            .take_while(|l| *l != "\";")
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect();
        assert_eq!(names.len(), 13, "{names:?}");
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        assert_eq!(g.source, sample().source);
    }

    #[test]
    fn broken_inputs_are_refused_with_the_file_named() {
        let bad_version = Tzdata {
            zone_tab: TAB,
            zone1970_tab: TAB1970,
            iso3166_tab: ISO,
            tzdata_zi: "Z Europe/Berlin 1 - CET\n",
        };
        assert!(generate(&bad_version)
            .expect_err("no version")
            .contains("tzdata.zi"));
        let bad_country = Tzdata {
            zone_tab: "XX\t+0\tEurope/Berlin\n",
            ..bad_version
        };
        let bad_country = Tzdata {
            tzdata_zi: ZI,
            ..bad_country
        };
        assert!(generate(&bad_country)
            .expect_err("unknown country")
            .contains("zone.tab"));
    }
}
