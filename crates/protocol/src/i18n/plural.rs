//! CLDR plural categories of whole numbers, for the interface's 34 languages.
//!
//! Only whole, non-negative counts occur in the interface (characters, months), so only the
//! integer part of each CLDR cardinal rule is implemented, and [`categories`] lists exactly
//! the categories whole numbers reach: those a language file must give for a text with a
//! count (Polish needs `one`, `few` and `many`; CLDR's `other` is for fractions there).
//! Rules as in CLDR 46 (`plurals.xml`); the tests check CLDR's own integer samples.

/// A CLDR plural category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

impl Category {
    /// The CLDR name, as the keys of a plural text in a language file.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Zero => "zero",
            Category::One => "one",
            Category::Two => "two",
            Category::Few => "few",
            Category::Many => "many",
            Category::Other => "other",
        }
    }

    pub fn from_name(name: &str) -> Option<Category> {
        Some(match name {
            "zero" => Category::Zero,
            "one" => Category::One,
            "two" => Category::Two,
            "few" => Category::Few,
            "many" => Category::Many,
            "other" => Category::Other,
            _ => return None,
        })
    }
}

use Category::{Few, Many, One, Other, Two, Zero};

/// Which CLDR cardinal rule a language follows (each language in `LANGUAGES` names its own,
/// so the widget looks the rule up in that table rather than comparing language codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Japanese, Chinese: no plural.
    None,
    /// `one` for 1 (English, German, the Nordic languages, Greek, Hungarian, Turkish…).
    One,
    /// French, Brazilian Portuguese: `one` for 0 and 1, `many` for millions.
    ZeroOne,
    /// Spanish, Italian, Portuguese: `one` for 1, `many` for millions.
    OneMillions,
    Icelandic,
    Latvian,
    Lithuanian,
    /// Russian, Ukrainian.
    EastSlavic,
    Polish,
    Croatian,
    /// Czech, Slovak.
    CzechSlovak,
    Slovenian,
    Romanian,
    Irish,
    Maltese,
    Hebrew,
    Arabic,
}

/// Spanish, French, Italian and Portuguese: a multiple of a million is `many`
/// ("un millón de caracteres").
fn million(n: u64) -> bool {
    n != 0 && n.is_multiple_of(1_000_000)
}

impl Rule {
    /// The category of the whole number `n`.
    pub fn category(self, n: u64) -> Category {
        let (n10, n100) = (n % 10, n % 100);
        let teen = (11..=19).contains(&n100);
        let slavic_few = (2..=4).contains(&n10) && !(12..=14).contains(&n100);
        match self {
            Rule::None => Other,
            Rule::ZeroOne if n < 2 => One,
            Rule::One | Rule::OneMillions if n == 1 => One,
            Rule::ZeroOne | Rule::OneMillions if million(n) => Many,
            Rule::One | Rule::ZeroOne | Rule::OneMillions => Other,
            Rule::Icelandic if n10 == 1 && n100 != 11 => One,
            Rule::Icelandic => Other,
            Rule::Latvian if n10 == 0 || teen => Zero,
            Rule::Latvian if n10 == 1 => One,
            Rule::Latvian => Other,
            Rule::Lithuanian if teen => Other,
            Rule::Lithuanian if n10 == 1 => One,
            Rule::Lithuanian if n10 >= 2 => Few,
            Rule::Lithuanian => Other,
            Rule::EastSlavic | Rule::Croatian if n10 == 1 && n100 != 11 => One,
            Rule::Polish if n == 1 => One,
            Rule::EastSlavic | Rule::Polish | Rule::Croatian if slavic_few => Few,
            Rule::EastSlavic | Rule::Polish => Many,
            Rule::Croatian => Other,
            Rule::CzechSlovak => match n {
                1 => One,
                2..=4 => Few,
                _ => Other,
            },
            Rule::Slovenian => match n100 {
                1 => One,
                2 => Two,
                3 | 4 => Few,
                _ => Other,
            },
            Rule::Romanian if n == 1 => One,
            Rule::Romanian if n == 0 || (1..=19).contains(&n100) => Few,
            Rule::Romanian => Other,
            Rule::Irish => match n {
                1 => One,
                2 => Two,
                3..=6 => Few,
                7..=10 => Many,
                _ => Other,
            },
            Rule::Maltese | Rule::Hebrew | Rule::Arabic if n == 1 => One,
            Rule::Maltese | Rule::Hebrew | Rule::Arabic if n == 2 => Two,
            Rule::Hebrew => Other,
            Rule::Arabic if n == 0 => Zero,
            Rule::Maltese if n == 0 || (3..=10).contains(&n100) => Few,
            Rule::Maltese if teen => Many,
            Rule::Maltese => Other,
            Rule::Arabic if (3..=10).contains(&n100) => Few,
            Rule::Arabic if (11..=99).contains(&n100) => Many,
            Rule::Arabic => Other,
        }
    }

    /// The categories whole numbers reach, in CLDR order.
    pub fn categories(self) -> &'static [Category] {
        match self {
            Rule::None => &[Other],
            Rule::One | Rule::Icelandic => &[One, Other],
            Rule::ZeroOne | Rule::OneMillions => &[One, Many, Other],
            Rule::Latvian => &[Zero, One, Other],
            Rule::Lithuanian | Rule::Croatian | Rule::CzechSlovak | Rule::Romanian => {
                &[One, Few, Other]
            }
            Rule::EastSlavic | Rule::Polish => &[One, Few, Many],
            Rule::Slovenian => &[One, Two, Few, Other],
            Rule::Irish | Rule::Maltese => &[One, Two, Few, Many, Other],
            Rule::Hebrew => &[One, Two, Other],
            Rule::Arabic => &[Zero, One, Two, Few, Many, Other],
        }
    }
}

/// The rule of `lang` (an interface language code; anything else gets English's).
fn rule(lang: &str) -> Rule {
    super::language(lang).map_or(Rule::One, |l| l.plural)
}

/// The category of the whole number `n` in `lang`.
pub fn category(lang: &str, n: u64) -> Category {
    rule(lang).category(n)
}

/// The categories whole numbers reach in `lang`, in CLDR order: the forms a language file
/// gives for each text with a count.
pub fn categories(lang: &str) -> &'static [Category] {
    rule(lang).categories()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::LANGUAGES;
    use std::collections::BTreeSet;

    #[test]
    fn every_language_reaches_exactly_the_categories_it_lists() {
        for l in LANGUAGES {
            let reached: BTreeSet<Category> = (0..=2_000u64)
                .chain([1_000_000, 2_000_000, 10_000_000])
                .map(|n| category(l.code, n))
                .collect();
            let listed: BTreeSet<Category> = categories(l.code).iter().copied().collect();
            assert_eq!(reached, listed, "{}", l.code);
            assert!(
                categories(l.code).windows(2).all(|w| w[0] < w[1]),
                "{}: CLDR order",
                l.code
            );
        }
    }

    /// CLDR's integer samples for each category (plurals.xml, CLDR 46), a few per rule.
    #[test]
    fn cldr_integer_samples_fall_in_their_categories() {
        let cases: &[(&str, Category, &[u64])] = &[
            ("en", One, &[1]),
            ("en", Other, &[0, 2, 16, 100, 1000, 1_000_000]),
            ("fr", One, &[0, 1]),
            ("fr", Many, &[1_000_000, 2_000_000]),
            ("fr", Other, &[2, 17, 100, 1000, 10_000, 100_000]),
            ("pt-BR", One, &[0, 1]),
            ("pt", One, &[1]),
            ("pt", Other, &[0, 2, 16, 100]),
            ("pt", Many, &[1_000_000]),
            ("es", One, &[1]),
            ("es", Other, &[0, 2, 16, 100, 1000]),
            ("it", Many, &[1_000_000]),
            ("is", One, &[1, 21, 31, 41, 51, 61, 71, 81, 101, 1001]),
            ("is", Other, &[0, 2, 11, 16, 100, 111, 1000]),
            ("lv", Zero, &[0, 10, 11, 12, 19, 20, 30, 100, 111, 1000]),
            ("lv", One, &[1, 21, 31, 41, 51, 61, 71, 81, 101, 1001]),
            ("lv", Other, &[2, 9, 22, 29, 102, 1002]),
            ("lt", One, &[1, 21, 31, 41, 51, 61, 71, 81, 101, 1001]),
            ("lt", Few, &[2, 9, 22, 29, 102, 1002]),
            ("lt", Other, &[0, 10, 11, 19, 20, 30, 40, 50, 60, 100, 1000]),
            ("ru", One, &[1, 21, 31, 41, 51, 61, 71, 81, 101, 1001]),
            (
                "ru",
                Few,
                &[2, 4, 22, 24, 32, 34, 42, 44, 52, 54, 62, 102, 1002],
            ),
            ("ru", Many, &[0, 5, 19, 100, 111, 1000, 10_000]),
            ("uk", Many, &[0, 5, 11, 12, 13, 14, 15, 25]),
            ("pl", One, &[1]),
            (
                "pl",
                Few,
                &[2, 4, 22, 24, 32, 34, 42, 44, 52, 54, 62, 102, 1002],
            ),
            ("pl", Many, &[0, 5, 19, 21, 100, 101, 111, 1000, 1001]),
            ("hr", One, &[1, 21, 31, 101, 1001]),
            ("hr", Few, &[2, 4, 22, 24, 102, 1002]),
            ("hr", Other, &[0, 5, 19, 100, 1000, 11, 12, 14]),
            ("cs", One, &[1]),
            ("cs", Few, &[2, 3, 4]),
            ("cs", Other, &[0, 5, 19, 100, 1000]),
            ("sk", Few, &[2, 3, 4]),
            ("sl", One, &[1, 101, 201, 301, 1001]),
            ("sl", Two, &[2, 102, 202, 302, 1002]),
            ("sl", Few, &[3, 4, 103, 104, 203, 204, 1003]),
            ("sl", Other, &[0, 5, 19, 100, 1000]),
            ("ro", One, &[1]),
            ("ro", Few, &[0, 2, 16, 19, 101, 119, 1001]),
            ("ro", Other, &[20, 35, 100, 1000, 10_000]),
            ("ga", One, &[1]),
            ("ga", Two, &[2]),
            ("ga", Few, &[3, 4, 5, 6]),
            ("ga", Many, &[7, 8, 9, 10]),
            ("ga", Other, &[0, 11, 25, 100, 1000]),
            ("mt", One, &[1]),
            ("mt", Two, &[2]),
            ("mt", Few, &[0, 3, 10, 103, 110, 1003]),
            ("mt", Many, &[11, 19, 111, 119, 1011]),
            ("mt", Other, &[20, 35, 100, 102, 1000]),
            ("he", One, &[1]),
            ("he", Two, &[2]),
            ("he", Other, &[0, 3, 17, 100, 1000]),
            ("ar", Zero, &[0]),
            ("ar", One, &[1]),
            ("ar", Two, &[2]),
            ("ar", Few, &[3, 10, 103, 110, 1003]),
            ("ar", Many, &[11, 26, 111, 1011]),
            ("ar", Other, &[100, 102, 200, 202, 1000]),
            ("ja", Other, &[0, 1, 2, 100]),
            ("zh-Hans", Other, &[0, 1, 2]),
            ("da", One, &[1]),
            ("da", Other, &[0, 2, 16]),
            ("tr", One, &[1]),
            ("hu", Other, &[0, 2, 100]),
        ];
        for (lang, want, samples) in cases {
            for n in *samples {
                assert_eq!(category(lang, *n), *want, "{lang} {n}");
            }
        }
    }

    #[test]
    fn category_names_read_back() {
        for c in [Zero, One, Two, Few, Many, Other] {
            assert_eq!(Category::from_name(c.as_str()), Some(c));
        }
        assert_eq!(Category::from_name("several"), None);
    }
}
