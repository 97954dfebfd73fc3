//! Named sets of countries a rule can use in `region_in`: the EU, the EEA, the GDPR area and
//! the seven continents. Each set is a sorted list of ISO 3166-1 alpha-2 codes in one string,
//! separated by single spaces, searched by bisection (3 bytes a code in the widget's wasm; an
//! array of `&str` takes 8).
//!
//! - **EU**: the 27 member states, plus the territories with their own ISO code that are part
//!   of the Union (outermost regions and Åland): AX, GF, GP, MF, MQ, RE, YT. EU law, the GDPR
//!   included, applies there. Overseas countries and territories (BL, PM, NC, PF, WF, TF, GL,
//!   FO, AW, CW, SX, BQ…) are not in the EU and are not listed.
//! - **EEA**: the EU plus Iceland, Liechtenstein and Norway (not Svalbard, SJ, which the EEA
//!   agreement does not cover).
//! - **GDPR area**: the EEA plus the United Kingdom (GB) and Switzerland (CH), whose laws follow
//!   the GDPR closely. Crown dependencies (GG, JE, IM) have laws of their own and are not listed;
//!   add them with `country_in` if they matter to you.
//! - **Continents** follow the GeoNames convention that MaxMind's GeoIP databases use, so a
//!   country from GeoIP and one from the time zone table land in the same continent: every ISO
//!   code is in exactly one (RU and CY in Europe, TR, GE, AM, AZ and KZ in Asia, EG in Africa,
//!   Central America and the Caribbean in North America, AQ, BV, GS, HM and TF in Antarctica).

use super::Region;

const EU_MEMBERS_AND_TERRITORIES: &str = "\
    AT AX BE BG CY CZ DE DK EE ES FI FR GF GP GR HR HU IE IT LT \
    LU LV MF MQ MT NL PL PT RE RO SE SI SK YT";

/// The countries of the EEA that are not in the EU.
const EEA_ONLY: &str = "IS LI NO";

/// The countries of the GDPR area that are not in the EEA.
const GDPR_ONLY: &str = "CH GB";

const AFRICA: &str = "\
    AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM \
    GN GQ GW KE KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RE RW \
    SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW";

const ANTARCTICA: &str = "AQ BV GS HM TF";

const ASIA: &str = "\
    AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO \
    JP KG KH KP KR KW KZ LA LB LK MM MN MO MV MY NP OM PH PK PS \
    QA SA SG SY TH TJ TL TM TR TW UZ VN YE";

const EUROPE: &str = "\
    AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG \
    GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO \
    PL PT RO RS RU SE SI SJ SK SM UA VA";

const NORTH_AMERICA: &str = "\
    AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN \
    HT JM KN KY LC MF MQ MS MX NI PA PM PR SV SX TC TT US VC VG \
    VI";

const OCEANIA: &str = "\
    AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK \
    TO TV UM VU WF WS";

const SOUTH_AMERICA: &str = "AR BO BR CL CO EC FK GF GY PE PY SR UY VE";

impl Region {
    /// Every region, in the order the console lists them.
    pub const ALL: [Region; 10] = [
        Region::Eu,
        Region::Eea,
        Region::Gdpr,
        Region::Africa,
        Region::Antarctica,
        Region::Asia,
        Region::Europe,
        Region::NorthAmerica,
        Region::Oceania,
        Region::SouthAmerica,
    ];

    /// The sorted tables whose union is this region.
    fn tables(self) -> &'static [&'static str] {
        match self {
            Region::Eu => &[EU_MEMBERS_AND_TERRITORIES],
            Region::Eea => &[EU_MEMBERS_AND_TERRITORIES, EEA_ONLY],
            Region::Gdpr => &[EU_MEMBERS_AND_TERRITORIES, EEA_ONLY, GDPR_ONLY],
            Region::Africa => &[AFRICA],
            Region::Antarctica => &[ANTARCTICA],
            Region::Asia => &[ASIA],
            Region::Europe => &[EUROPE],
            Region::NorthAmerica => &[NORTH_AMERICA],
            Region::Oceania => &[OCEANIA],
            Region::SouthAmerica => &[SOUTH_AMERICA],
        }
    }

    /// Whether `country` (an upper-case ISO 3166-1 alpha-2 code) is in this region.
    pub fn contains(self, country: &str) -> bool {
        self.tables()
            .iter()
            .any(|t| super::find_code(t, country.as_bytes()).is_some())
    }

    /// The countries of this region, sorted.
    pub fn countries(self) -> Vec<&'static str> {
        let mut all: Vec<&'static str> =
            self.tables().iter().flat_map(|t| super::codes(t)).collect();
        all.sort_unstable();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::{is_known_country, known_countries};

    #[test]
    fn every_table_is_sorted_and_holds_only_known_codes() {
        for table in [
            EU_MEMBERS_AND_TERRITORIES,
            EEA_ONLY,
            GDPR_ONLY,
            AFRICA,
            ANTARCTICA,
            ASIA,
            EUROPE,
            NORTH_AMERICA,
            OCEANIA,
            SOUTH_AMERICA,
        ] {
            assert!(
                table.len() % 3 == 2 && table.bytes().skip(2).step_by(3).all(|b| b == b' '),
                "{table:?}"
            );
            let codes: Vec<&str> = crate::router::codes(table).collect();
            assert!(codes.windows(2).all(|w| w[0] < w[1]), "{table:?}");
            for code in codes {
                assert!(is_known_country(code), "{code}");
            }
        }
    }

    #[test]
    fn every_country_is_on_exactly_one_continent() {
        let continents = [
            Region::Africa,
            Region::Antarctica,
            Region::Asia,
            Region::Europe,
            Region::NorthAmerica,
            Region::Oceania,
            Region::SouthAmerica,
        ];
        for code in known_countries() {
            let on: Vec<Region> = continents
                .iter()
                .copied()
                .filter(|r| r.contains(code))
                .collect();
            assert_eq!(on.len(), 1, "{code} is on {on:?}");
        }
    }

    #[test]
    fn the_eu_has_27_members_and_the_areas_nest() {
        let territories = ["AX", "GF", "GP", "MF", "MQ", "RE", "YT"];
        let members = Region::Eu
            .countries()
            .into_iter()
            .filter(|c| !territories.contains(c))
            .count();
        assert_eq!(members, 27);
        for code in Region::Eu.countries() {
            assert!(
                Region::Eea.contains(code) && Region::Gdpr.contains(code),
                "{code}"
            );
        }
        for code in ["IS", "LI", "NO"] {
            assert!(
                !Region::Eu.contains(code) && Region::Eea.contains(code),
                "{code}"
            );
        }
        for code in ["GB", "CH"] {
            assert!(
                !Region::Eea.contains(code) && Region::Gdpr.contains(code),
                "{code}"
            );
        }
        for code in ["US", "SJ", "GG", "TR", "RU", "BL", "GL"] {
            assert!(!Region::Gdpr.contains(code), "{code}");
        }
        assert_eq!(Region::Gdpr.countries().len(), 34 + 3 + 2);
    }

    #[test]
    fn continents_follow_the_geoip_convention_for_border_cases() {
        assert!(Region::Europe.contains("RU") && Region::Europe.contains("CY"));
        assert!(Region::Asia.contains("TR") && Region::Asia.contains("GE"));
        assert!(Region::Africa.contains("EG"));
        assert!(Region::NorthAmerica.contains("PA") && Region::NorthAmerica.contains("GL"));
        assert!(Region::SouthAmerica.contains("GF") && Region::Eu.contains("GF"));
        assert!(!Region::Europe.contains("de"), "codes are upper case");
    }
}
