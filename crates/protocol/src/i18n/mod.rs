//! The widget's interface languages: the 34 it ships ([`LANGUAGES`]), the one matcher that
//! picks among them (the widget, the router page and the console all call [`choose`]), the
//! string keys of its interface ([`Text`], the single source of truth every language file
//! follows), CLDR plural categories for counts ([`plural`]) and the retention notice, worded
//! in each language from a widget's periods ([`retention`]).
//!
//! The strings themselves are not compiled into any bundle: each language is one JSON file,
//! `static/i18n/<code>.json`, that the widget fetches after the click (see
//! `docs/adding-a-language.md`).
//!
//! Language codes are BCP 47 tags in their usual case: a lower-case primary subtag (`de`),
//! and where the language needs one a title-case script (`zh-Hans`) or an upper-case region
//! (`pt-BR`).

pub mod plural;
pub mod retention;
mod texts;

pub use plural::{categories, category, Category, Rule};
pub use texts::{Key, Text, KEYS, KEYS_HASH};

/// One interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    /// The BCP 47 code, which also names its file (`static/i18n/<code>.json`).
    pub code: &'static str,
    /// Its name in itself, for the widget's language menu.
    pub name: &'static str,
    /// Written right to left.
    pub rtl: bool,
    /// Its CLDR plural rule for whole numbers.
    pub plural: Rule,
}

const fn ltr(code: &'static str, name: &'static str, plural: Rule) -> Language {
    Language {
        code,
        name,
        rtl: false,
        plural,
    }
}

const fn rtl(code: &'static str, name: &'static str, plural: Rule) -> Language {
    Language {
        code,
        name,
        rtl: true,
        plural,
    }
}

/// Every language the widget's interface comes in, sorted by code: the 24 official EU
/// languages plus Norwegian (Bokmål), Icelandic, Turkish, Ukrainian, Russian, Arabic, Hebrew,
/// Japanese, Simplified Chinese and Brazilian Portuguese.
pub const LANGUAGES: [Language; 34] = [
    rtl("ar", "العربية", Rule::Arabic),
    ltr("bg", "Български", Rule::One),
    ltr("cs", "Čeština", Rule::CzechSlovak),
    ltr("da", "Dansk", Rule::One),
    ltr("de", "Deutsch", Rule::One),
    ltr("el", "Ελληνικά", Rule::One),
    ltr("en", "English", Rule::One),
    ltr("es", "Español", Rule::OneMillions),
    ltr("et", "Eesti", Rule::One),
    ltr("fi", "Suomi", Rule::One),
    ltr("fr", "Français", Rule::ZeroOne),
    ltr("ga", "Gaeilge", Rule::Irish),
    rtl("he", "עברית", Rule::Hebrew),
    ltr("hr", "Hrvatski", Rule::Croatian),
    ltr("hu", "Magyar", Rule::One),
    ltr("is", "Íslenska", Rule::Icelandic),
    ltr("it", "Italiano", Rule::OneMillions),
    ltr("ja", "日本語", Rule::None),
    ltr("lt", "Lietuvių", Rule::Lithuanian),
    ltr("lv", "Latviešu", Rule::Latvian),
    ltr("mt", "Malti", Rule::Maltese),
    ltr("nb", "Norsk bokmål", Rule::One),
    ltr("nl", "Nederlands", Rule::One),
    ltr("pl", "Polski", Rule::Polish),
    ltr("pt", "Português", Rule::OneMillions),
    ltr("pt-BR", "Português (Brasil)", Rule::ZeroOne),
    ltr("ro", "Română", Rule::Romanian),
    ltr("ru", "Русский", Rule::EastSlavic),
    ltr("sk", "Slovenčina", Rule::CzechSlovak),
    ltr("sl", "Slovenščina", Rule::Slovenian),
    ltr("sv", "Svenska", Rule::One),
    ltr("tr", "Türkçe", Rule::One),
    ltr("uk", "Українська", Rule::EastSlavic),
    ltr("zh-Hans", "简体中文", Rule::None),
];

/// The language with exactly this code (case-insensitive).
pub fn language(code: &str) -> Option<&'static Language> {
    LANGUAGES.iter().find(|l| l.code.eq_ignore_ascii_case(code))
}

/// Whether `code` is written right to left (Arabic, Hebrew).
pub fn is_rtl(code: &str) -> bool {
    language(code).is_some_and(|l| l.rtl)
}

/// The interface language for one BCP 47 tag (`de-AT`, `pt_BR`, `zh-CN`, `nn`), or `None`
/// when the widget has none for it:
/// - an exact code wins (`pt-BR`, `zh-Hans`, any case, `_` or `-`);
/// - Chinese is Simplified unless the tag says Traditional (script `Hant`, or region TW, HK
///   or MO: no interface then); Portuguese with region BR is Brazilian, else European;
/// - every Norwegian (`no`, `nb`, `nn`) reads Bokmål; the old code `iw` is Hebrew;
/// - otherwise the primary subtag (`de-AT` → `de`).
pub fn match_tag(tag: &str) -> Option<&'static str> {
    let mut parts = tag.split(['-', '_']);
    let primary = parts.next()?;
    let has = |sub: &str| parts.clone().any(|p| p.eq_ignore_ascii_case(sub));
    let is = |code: &str| primary.eq_ignore_ascii_case(code);
    let code = if is("zh") {
        if has("hant") || has("tw") || has("hk") || has("mo") {
            return None;
        }
        "zh-Hans"
    } else if is("pt") && has("br") {
        "pt-BR"
    } else if is("no") || is("nn") {
        "nb"
    } else if is("iw") {
        "he"
    } else {
        primary
    };
    language(code).map(|l| l.code)
}

/// The best interface language for a visitor whose languages are `preferred` (as
/// `navigator.languages`, most preferred first): the first that [`match_tag`] knows.
pub fn best(preferred: &[String]) -> Option<&'static str> {
    preferred.iter().find_map(|tag| match_tag(tag))
}

/// The interface language, by precedence: what the visitor picked in the widget's menu, else
/// what the site owner fixed with `data-lang`, else the best of the visitor's languages.
/// `None` when none of them is one the widget has: the widget then uses its settings' default
/// language (when the interface has it) or English, see [`fallback`].
pub fn choose(
    picked: Option<&str>,
    site: Option<&str>,
    preferred: &[String],
) -> Option<&'static str> {
    picked
        .and_then(match_tag)
        .or_else(|| site.and_then(match_tag))
        .or_else(|| best(preferred))
}

/// The language when [`choose`] found none: the widget's default language if the interface
/// has it, else English.
pub fn fallback(default_language: &str) -> &'static str {
    match_tag(default_language).unwrap_or("en")
}

/// The keys of a map of texts by language (disclaimers, labels) to try, in order, for the
/// tag `tag`: the tag itself, the interface language it matches, then its primary subtag.
/// So `pt-BR` tries `pt-BR` then `pt`, `zh-CN` tries `zh-CN`, `zh-Hans`, `zh`, and `nn` tries
/// `nn` then `nb` (keys are compared without case, and `_` counts as `-`).
pub fn candidates(tag: &str) -> [&str; 3] {
    let primary = tag.split(['-', '_']).next().unwrap_or_default();
    [tag, match_tag(tag).unwrap_or(primary), primary]
}

/// Whether the language key `key` is the tag `tag`, compared without case, `_` as `-`.
fn same_tag(key: &str, tag: &str) -> bool {
    key.len() == tag.len()
        && key.bytes().zip(tag.bytes()).all(|(a, b)| {
            let norm = |c: u8| {
                if c == b'_' {
                    b'-'
                } else {
                    c.to_ascii_lowercase()
                }
            };
            norm(a) == norm(b)
        })
}

/// The first of `tags`' [`candidates`] that `keys` has: how a disclaimer or a label is picked
/// for a visitor. Returns the key as `keys` has it.
pub fn lookup<'a, K: AsRef<str> + 'a>(
    tags: impl IntoIterator<Item = &'a str>,
    keys: impl Iterator<Item = &'a K> + Clone,
) -> Option<&'a K> {
    tags.into_iter().find_map(|tag| {
        candidates(tag).into_iter().find_map(|c| {
            keys.clone()
                .find(|k| !c.is_empty() && same_tag(k.as_ref(), c))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn langs(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_table_is_sorted_unique_and_has_the_34_languages_asked_for() {
        let codes: Vec<&str> = LANGUAGES.iter().map(|l| l.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "sorted by code, no duplicates");
        let mut asked = [
            "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it",
            "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "nb", "is", "tr", "uk",
            "ru", "ar", "he", "ja", "zh-Hans", "pt-BR",
        ];
        asked.sort_unstable();
        assert_eq!(codes, asked);
        let rtl: Vec<&str> = LANGUAGES.iter().filter(|l| l.rtl).map(|l| l.code).collect();
        assert_eq!(rtl, ["ar", "he"]);
        assert!(is_rtl("he") && is_rtl("AR") && !is_rtl("de") && !is_rtl("xx"));
    }

    #[test]
    fn one_tag_matches_its_language_region_and_script_aware() {
        for (tag, want) in [
            ("de", Some("de")),
            ("de-AT", Some("de")),
            ("DE_ch", Some("de")),
            ("en-US", Some("en")),
            ("pt", Some("pt")),
            ("pt-PT", Some("pt")),
            ("pt-AO", Some("pt")),
            ("pt-BR", Some("pt-BR")),
            ("pt_br", Some("pt-BR")),
            ("zh", Some("zh-Hans")),
            ("zh-CN", Some("zh-Hans")),
            ("zh-SG", Some("zh-Hans")),
            ("zh-Hans-CN", Some("zh-Hans")),
            ("zh-hans", Some("zh-Hans")),
            ("zh-TW", None),
            ("zh-HK", None),
            ("zh-Hant", None),
            ("zh-Hant-CN", None),
            ("no", Some("nb")),
            ("nn-NO", Some("nb")),
            ("nb", Some("nb")),
            ("iw", Some("he")),
            ("he-IL", Some("he")),
            ("ar-EG", Some("ar")),
            ("ko", None),
            ("", None),
            ("-", None),
            ("x", None),
        ] {
            assert_eq!(match_tag(tag), want, "{tag:?}");
        }
    }

    #[test]
    fn the_first_known_of_the_visitors_languages_wins() {
        assert_eq!(best(&langs(&["ko-KR", "fr-CA", "en"])), Some("fr"));
        assert_eq!(best(&langs(&["zh-TW", "ja"])), Some("ja"));
        assert_eq!(best(&langs(&["ko"])), None);
        assert_eq!(best(&[]), None);
    }

    #[test]
    fn the_visitors_pick_beats_the_site_which_beats_the_browser() {
        let browser = langs(&["de-DE", "en"]);
        assert_eq!(choose(None, None, &browser), Some("de"));
        assert_eq!(choose(None, Some("fr"), &browser), Some("fr"));
        assert_eq!(choose(Some("ar"), Some("fr"), &browser), Some("ar"));
        // Something unknown is skipped, not obeyed.
        assert_eq!(choose(Some("xx"), Some("klingon"), &browser), Some("de"));
        assert_eq!(choose(None, Some("pt-br"), &browser), Some("pt-BR"));
        assert_eq!(choose(None, None, &langs(&["ko"])), None);
        assert_eq!(fallback("de"), "de");
        assert_eq!(fallback("ko"), "en");
        assert_eq!(fallback("zh"), "zh-Hans");
    }

    #[test]
    fn texts_by_language_are_looked_up_tag_then_interface_language_then_primary() {
        assert_eq!(candidates("pt-BR"), ["pt-BR", "pt-BR", "pt"]);
        assert_eq!(candidates("zh_CN"), ["zh_CN", "zh-Hans", "zh"]);
        assert_eq!(candidates("nn"), ["nn", "nb", "nn"]);
        assert_eq!(candidates("de-AT"), ["de-AT", "de", "de"]);
        assert_eq!(candidates("ko"), ["ko", "ko", "ko"]);
        assert!(same_tag("pt-BR", "pt_br") && !same_tag("pt", "pt-BR"));
        let keys = ["de".to_owned(), "pt".to_owned(), "zh-Hans".to_owned()];
        let find = |tags: &[&str]| lookup(tags.iter().copied(), keys.iter()).cloned();
        assert_eq!(find(&["pt-BR"]), Some("pt".into()));
        assert_eq!(find(&["zh-CN"]), Some("zh-Hans".into()));
        assert_eq!(find(&["ko", "de-CH"]), Some("de".into()));
        assert_eq!(find(&["ko"]), None);
        let keys = ["pt".to_owned(), "pt-BR".to_owned()];
        assert_eq!(
            lookup(["pt-br"], keys.iter()).cloned(),
            Some("pt-BR".into()),
            "the exact tag first, in any case"
        );
    }
}
