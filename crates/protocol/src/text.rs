//! Invisible format characters (Unicode category Cf) in text people read: a right-to-left
//! override (U+202E) makes `moc.elpmaxe//:sptth` read as a link the other way round, a
//! zero-width space hides a word from a search, a tag character hides text altogether. Message
//! text, names, labels and field values refuse them, except what scripts and emoji need.

/// Whether `c` is an invisible format character that may not appear in text: every Cf
/// character except zero-width (non-)joiners (Indic scripts, emoji sequences) and the
/// left-to-right, right-to-left and Arabic letter marks (typed in right-to-left text). Tag
/// characters are judged by [`hidden_format`], in context.
pub fn is_hidden_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{0600}'..='\u{0605}'
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{0890}'..='\u{0891}'
        | '\u{08E2}'
        | '\u{180E}'
        | '\u{200B}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{110BD}'
        | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}'
    )
}

/// The first character of `s` that may not appear in it (see [`is_hidden_format`]), as
/// `U+XXXX`, so a refusal can name what without quoting the text. Tag characters are allowed
/// only as a flag's tag sequence: right after U+1F3F4 (black flag), ended by U+E007F.
pub fn hidden_format(s: &str) -> Option<String> {
    let mut in_flag = false;
    let mut after_flag = false;
    for c in s.chars() {
        let tag = ('\u{E0020}'..='\u{E007F}').contains(&c);
        if tag && (in_flag || after_flag) {
            in_flag = c != '\u{E007F}';
            after_flag = false;
            continue;
        }
        if in_flag {
            // A flag's tag sequence must end with the cancel tag.
            return Some("U+1F3F4".to_owned());
        }
        after_flag = c == '\u{1F3F4}';
        if is_hidden_format(c) {
            return Some(format!("U+{:04X}", u32::from(c)));
        }
    }
    in_flag.then(|| "U+1F3F4".to_owned())
}

/// The refusal for text that has one.
pub fn hidden_format_problem(found: &str) -> String {
    format!("contains an invisible formatting character ({found}); remove it")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_and_zero_width_spaces_are_found() {
        assert_eq!(hidden_format("gnp.\u{202E}exe").as_deref(), Some("U+202E"));
        assert_eq!(hidden_format("pay\u{200B}pal").as_deref(), Some("U+200B"));
        assert_eq!(hidden_format("\u{FEFF}hello").as_deref(), Some("U+FEFF"));
        assert_eq!(
            hidden_format("a\u{2066}b\u{2069}").as_deref(),
            Some("U+2066")
        );
        assert_eq!(hidden_format("so\u{00AD}ft").as_deref(), Some("U+00AD"));
    }

    #[test]
    fn what_scripts_and_emoji_need_stays() {
        for ok in [
            "plain text",
            "क्‍ष",                                                       // ZWJ in Devanagari
            "می‌خواهم",                                                  // ZWNJ in Persian
            "👩\u{200D}💻",                                             // a ZWJ emoji sequence
            "\u{200F}שלום\u{200E} 42",                                  // RLM and LRM
            "\u{061C}١٢٣",                                              // Arabic letter mark
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", // England's flag
            "日本語のテキスト",
        ] {
            assert_eq!(hidden_format(ok), None, "{ok:?}");
        }
    }

    #[test]
    fn tag_characters_outside_a_flag_hide_text() {
        // "hi" in tag characters, invisible after ordinary text.
        assert_eq!(
            hidden_format("hello\u{E0068}\u{E0069}").as_deref(),
            Some("U+E0068")
        );
        // A flag's sequence that never ends.
        assert_eq!(
            hidden_format("🏴\u{E0067}\u{E0062}").as_deref(),
            Some("U+1F3F4")
        );
        assert_eq!(hidden_format("🏴\u{E0067}x").as_deref(), Some("U+1F3F4"));
    }
}
