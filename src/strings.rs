//! The interface's texts in one language, read from its language file
//! (`/widget/i18n/<code>.json`, fetched after the click; see `confide_protocol::i18n`).
//!
//! The file's values are read by position: `Text::X as usize` is X's place. The file may be
//! the keyed object of `static/i18n/` or the bare array `cargo xtask build` writes into
//! `dist/widget/i18n/` (the same values without the key names); either way the bundle carries
//! no key names. A file with another number of texts, or a text of the wrong shape, is
//! refused as a whole.
//!
//! Until a file has loaded, [`Strings::builtin`] has the first few texts (loading, failures,
//! the header) in English, so the widget can say what is happening.

use crate::json::Json;
use confide_protocol::i18n::{self, Text};
use yew::AttrValue;

/// The texts of one interface language, as the file's values: a text, or an object of a
/// text with a count's plural forms by CLDR category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strings {
    /// The language's code (one of `confide_protocol::i18n::LANGUAGES`).
    pub lang: &'static str,
    entries: Vec<Json>,
}

/// English for the texts shown before any file has loaded (the first keys of the table; the
/// tests compare them with `static/i18n/en.json`).
pub const BUILTIN: [&str; 8] = [
    "Chat",
    "Chat with us",
    "Loading…",
    "This chat is not available.",
    "The chat could not be loaded: check your connection and try again.",
    "The chat could not be loaded. Please try again later.",
    "Try again",
    "Close chat",
];

/// Where a language's file is served, with the key table's hash so that a browser never
/// reuses a cached file of another shape.
pub fn file_path(lang: &str) -> String {
    format!("/widget/i18n/{lang}.json?v={}", i18n::KEYS_HASH)
}

impl Strings {
    /// The built-in English of the first texts; every other text is empty. Its `lang` is
    /// `""`: no language file has loaded.
    pub fn builtin() -> Self {
        Self {
            lang: "",
            entries: BUILTIN.iter().map(|s| Json::Str((*s).to_owned())).collect(),
        }
    }

    /// Reads a language file; `None` unless it holds exactly one value per key, each a text
    /// or an object (which key takes which shape, and the forms' names, are the tests'
    /// business: they check every file).
    pub fn parse(lang: &'static str, text: &str) -> Option<Self> {
        let entries = match Json::parse(text)? {
            Json::Arr(items) => items,
            Json::Obj(fields) => fields.into_iter().map(|(_, v)| v).collect(),
            _ => return None,
        };
        let shaped = |v: &Json| match v {
            Json::Str(_) => true,
            Json::Obj(forms) => forms.iter().all(|(_, f)| f.as_str().is_some()),
            _ => false,
        };
        (entries.len() == Text::COUNT && entries.iter().all(shaped))
            .then_some(Self { lang, entries })
    }

    /// Whether the language is written right to left.
    pub fn rtl(&self) -> bool {
        i18n::is_rtl(self.lang)
    }

    /// A text (empty if this table does not have it, and for a text with a count: see
    /// [`Strings::count`]). Out of line: every text on the page calls it.
    #[inline(never)]
    pub fn get(&self, t: Text) -> AttrValue {
        match self.entries.get(t as usize) {
            Some(Json::Str(s)) => s.clone().into(),
            _ => AttrValue::default(),
        }
    }

    /// A text with its `{placeholders}` filled in.
    #[inline(never)]
    pub fn fill(&self, t: Text, args: &[(&str, &str)]) -> String {
        fill(&self.get(t), args)
    }

    /// A text with a count: the form of `n`'s plural category in this language (else the
    /// last form, which the files keep as `other` where the language has it), placeholders
    /// filled in, the count as `{count_name}`.
    #[inline(never)]
    pub fn count(&self, t: Text, count_name: &str, n: u64, args: &[(&str, &str)]) -> String {
        let Some(Json::Obj(forms)) = self.entries.get(t as usize) else {
            return String::new();
        };
        let want = i18n::category(self.lang, n).as_str();
        let form = forms
            .iter()
            .find(|(c, _)| c == want)
            .or(forms.last())
            .and_then(|(_, s)| s.as_str())
            .unwrap_or_default();
        let n = n.to_string();
        let mut all = vec![(count_name, n.as_str())];
        all.extend_from_slice(args);
        fill(form, &all)
    }
}

/// Replaces each `{name}` of `args` in `template` (an unknown or unclosed `{` stays as it is).
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (close, *v))
        });
        match value {
            Some((close, v)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    //! The language files against the key table: every file of `static/i18n/` has exactly
    //! the keys of `confide_protocol::i18n::KEYS`, in order, each with exactly its
    //! placeholders and, for a count, exactly its language's plural categories.
    use super::*;
    use confide_protocol::i18n::{categories, KEYS, LANGUAGES};
    use serde::de::{Deserializer, MapAccess, Visitor};
    use serde_json::Value;
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    /// A JSON object's entries in file order (serde_json's own map sorts them).
    struct Ordered(Vec<(String, Value)>);

    impl<'de> serde::Deserialize<'de> for Ordered {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Ordered;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                    let mut out = Vec::new();
                    while let Some(entry) = map.next_entry()? {
                        out.push(entry);
                    }
                    Ok(Ordered(out))
                }
            }
            d.deserialize_map(V)
        }
    }

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static/i18n")
    }

    fn read(code: &str) -> String {
        std::fs::read_to_string(dir().join(format!("{code}.json")))
            .unwrap_or_else(|e| panic!("static/i18n/{code}.json: {e}"))
    }

    fn entries(code: &str) -> Vec<(String, Value)> {
        serde_json::from_str::<Ordered>(&read(code))
            .unwrap_or_else(|e| panic!("static/i18n/{code}.json: {e}"))
            .0
    }

    /// The `{names}` in a text.
    fn placeholders(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    out.insert(after[..close].to_owned());
                    rest = &after[close + 1..];
                }
                None => {
                    out.insert(format!("unclosed: {after}"));
                    break;
                }
            }
        }
        out
    }

    /// Everything wrong with one language's file, as readable lines.
    fn problems(code: &str) -> Vec<String> {
        let mut out = Vec::new();
        let found = entries(code);
        let names: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        let wanted: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        for k in &wanted {
            if !names.contains(k) {
                out.push(format!("{code}: missing key {k}"));
            }
        }
        for k in &names {
            if !wanted.contains(k) {
                out.push(format!("{code}: extra key {k}"));
            }
        }
        if out.is_empty() && names != wanted {
            out.push(format!(
                "{code}: keys out of order (the widget reads them by position; follow KEYS)"
            ));
        }
        for (name, value) in &found {
            let Some(key) = KEYS.iter().find(|k| k.name == name) else {
                continue;
            };
            let want: BTreeSet<String> = key.placeholders.iter().map(|p| p.to_string()).collect();
            let forms: Vec<(String, &Value)> = match (key.plural, value) {
                (None, Value::String(_)) => vec![(String::new(), value)],
                (Some(_), Value::Object(forms)) => {
                    let got: Vec<&str> = forms.keys().map(String::as_str).collect();
                    let mut need: Vec<&str> = categories(code).iter().map(|c| c.as_str()).collect();
                    need.sort_unstable();
                    if got != need {
                        out.push(format!(
                            "{code}.{name}: plural forms {got:?}, the language needs {need:?}"
                        ));
                    }
                    forms.iter().map(|(c, v)| (format!(".{c}"), v)).collect()
                }
                (None, _) => {
                    out.push(format!("{code}.{name}: must be a text"));
                    continue;
                }
                (Some(_), _) => {
                    out.push(format!("{code}.{name}: must be an object of plural forms"));
                    continue;
                }
            };
            for (form, v) in forms {
                let Some(text) = v.as_str() else {
                    out.push(format!("{code}.{name}{form}: must be a text"));
                    continue;
                };
                if text.trim().is_empty() {
                    out.push(format!("{code}.{name}{form}: empty"));
                }
                let got = placeholders(text);
                if got != want {
                    out.push(format!(
                        "{code}.{name}{form}: placeholders {got:?}, expected {want:?}"
                    ));
                }
            }
        }
        out
    }

    #[test]
    fn every_language_has_a_file_and_no_file_is_for_another_language() {
        let mut files: Vec<String> = std::fs::read_dir(dir())
            .expect("static/i18n")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut want: Vec<String> = LANGUAGES
            .iter()
            .map(|l| format!("{}.json", l.code))
            .collect();
        want.sort();
        assert_eq!(files, want);
    }

    #[test]
    fn every_language_file_has_exactly_the_keys_placeholders_and_plural_forms() {
        let all: Vec<String> = LANGUAGES.iter().flat_map(|l| problems(l.code)).collect();
        assert!(all.is_empty(), "language files:\n{}", all.join("\n"));
    }

    /// Texts that are the same word as in English, on purpose (German "Name", Danish "Send").
    /// Anything else equal to English is an untranslated text.
    const SAME_AS_ENGLISH: &[(&str, &[&str])] = &[
        ("da", &["chat", "online", "send", "browser", "system"]),
        ("de", &["chat", "online", "name", "browser", "system"]),
        ("es", &["chat"]),
        ("fr", &["messages", "message", "page"]),
        ("it", &["chat", "privacy", "browser"]),
        ("nb", &["chat", "send", "system"]),
        (
            "nl",
            &["chat", "privacy", "online", "browser", "status_open"],
        ),
        ("pl", &["system"]),
        ("ro", &["browser"]),
        ("sv", &["online", "system"]),
    ];

    #[test]
    fn no_text_is_left_in_english_unless_it_is_the_same_word() {
        let en = entries("en");
        let mut out = Vec::new();
        for l in LANGUAGES.iter().filter(|l| l.code != "en") {
            let allowed = SAME_AS_ENGLISH
                .iter()
                .find(|(c, _)| *c == l.code)
                .map_or(&[][..], |(_, keys)| keys);
            let mut same = Vec::new();
            let found = entries(l.code);
            for ((name, value), (_, english)) in found.iter().zip(&en) {
                if value == english {
                    same.push(name.as_str());
                    if !allowed.contains(&name.as_str()) {
                        out.push(format!("{}.{name} is the English text", l.code));
                    }
                }
            }
            for k in allowed {
                if !same.contains(k) {
                    out.push(format!(
                        "{}.{k} is allowed to equal English but does not: drop it from the list",
                        l.code
                    ));
                }
            }
        }
        assert!(out.is_empty(), "{}", out.join("\n"));
    }

    #[test]
    fn the_built_in_english_is_the_first_texts_of_en_json() {
        let en = Strings::parse("en", &compact(&read("en"))).expect("en.json reads");
        for (i, s) in BUILTIN.iter().enumerate() {
            assert_eq!(en.get(Text::ALL[i]), *s, "{}", KEYS[i].name);
        }
        let b = Strings::builtin();
        assert_eq!(b.get(Text::Loading), "Loading…");
        assert_eq!(b.get(Text::Send), "", "only the first texts are built in");
    }

    /// The file's values as a bare array, as `cargo xtask build` serves them (natively
    /// serde_json would sort an object's keys).
    fn compact(text: &str) -> String {
        let values: Vec<Value> = serde_json::from_str::<Ordered>(text)
            .expect("object")
            .0
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        serde_json::to_string(&values).expect("json")
    }

    #[test]
    fn every_file_reads_and_counts_pick_the_languages_plural_form() {
        for l in LANGUAGES {
            assert!(
                Strings::parse(l.code, &compact(&read(l.code))).is_some(),
                "{}",
                l.code
            );
        }
        let ru = Strings::parse("ru", &compact(&read("ru"))).expect("ru");
        assert_eq!(
            ru.count(Text::TooLong, "count", 1, &[]),
            "Превышение на 1 символ"
        );
        assert_eq!(
            ru.count(Text::TooLong, "count", 3, &[]),
            "Превышение на 3 символа"
        );
        assert_eq!(
            ru.count(Text::TooLong, "count", 11, &[]),
            "Превышение на 11 символов"
        );
        let en = Strings::parse("en", &compact(&read("en"))).expect("en");
        assert_eq!(
            en.count(Text::FieldTooLong, "max", 1, &[("label", "Order")]),
            "Order: at most 1 character."
        );
        assert_eq!(
            en.count(Text::MaxChars, "max", 4000, &[]),
            "A message has at most 4000 characters."
        );
        assert_eq!(
            en.fill(Text::TypingNamed, &[("name", "Ada")]),
            "Ada is typing…"
        );
        assert!(!ru.rtl());
        assert!(Strings::parse("he", &compact(&read("he"))).is_some_and(|h| h.rtl()));
    }

    #[test]
    fn placeholders_fill_in_and_anything_else_in_braces_stays() {
        assert_eq!(
            fill("{a} and {b}{a}", &[("a", "1"), ("b", "2")]),
            "1 and 21"
        );
        assert_eq!(fill("{x} {a", &[("a", "1")]), "{x} {a");
        assert_eq!(fill("é{a}ü", &[("a", "😀")]), "é😀ü");
        assert_eq!(fill("", &[]), "");
    }

    #[test]
    fn a_file_of_another_shape_is_refused_whole() {
        let en = compact(&read("en"));
        let mut v: Vec<Value> = serde_json::from_str(&en).expect("array");
        assert!(Strings::parse("en", &en).is_some());
        v.pop();
        assert!(Strings::parse("en", &serde_json::to_string(&v).expect("json")).is_none());
        let mut v: Vec<Value> = serde_json::from_str(&en).expect("array");
        v[Text::TooLong as usize] = serde_json::json!({"one": 5});
        assert!(Strings::parse("en", &serde_json::to_string(&v).expect("json")).is_none());
        let mut v: Vec<Value> = serde_json::from_str(&en).expect("array");
        v[Text::Chat as usize] = serde_json::json!(5);
        assert!(Strings::parse("en", &serde_json::to_string(&v).expect("json")).is_none());
        assert!(Strings::parse("en", "not json").is_none());
        assert!(Strings::parse("en", "\"text\"").is_none());
    }
}
