//! Finds links in message text, for the widget and the console alike. Only `http:`, `https:` and `mailto:` links become clickable;
//! everything else (`javascript:`, `data:`, markup) stays text. The caller renders each piece
//! as a text node or an `<a>`, never as HTML.

/// A piece of message text; joined in order, the pieces give back the text exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    /// A link whose target is exactly its text.
    Link(&'a str),
}

/// The schemes that may become links, lower case.
const SCHEMES: [&str; 3] = ["https://", "http://", "mailto:"];

/// Splits `text` into plain runs and links.
pub fn linkify(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut plain_from = 0;
    let mut i = 0;
    let mut prev = None;
    while let Some(c) = text[i..].chars().next() {
        if starts_a_word(prev) {
            if let Some(len) = link_at(&text[i..]) {
                if plain_from < i {
                    out.push(Segment::Text(&text[plain_from..i]));
                }
                out.push(Segment::Link(&text[i..i + len]));
                i += len;
                plain_from = i;
                prev = text[..i].chars().next_back();
                continue;
            }
        }
        prev = Some(c);
        i += c.len_utf8();
    }
    if plain_from < text.len() {
        out.push(Segment::Text(&text[plain_from..]));
    }
    out
}

/// A letter or digit; every non-ASCII character counts as one (deciding exactly would pull
/// Unicode tables into the bundle, and erring this way only makes fewer links).
fn is_wordy(c: char) -> bool {
    c.is_ascii_alphanumeric() || !c.is_ascii()
}

/// A link may start only where a word starts, so `xhttp://` or `a.mailto:` never do.
fn starts_a_word(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(c) => !(is_wordy(c) || matches!(c, '_' | '-' | '.' | '+' | '/' | '@' | ':')),
    }
}

/// The length in bytes of a link at the start of `s`, if there is one.
fn link_at(s: &str) -> Option<usize> {
    let scheme = SCHEMES.iter().find(|p| {
        s.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    })?;
    let end = s
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`'))
        .map_or(s.len(), |(i, _)| i);
    let link = trim_trailing(&s[..end]);
    // Trimming may eat into the scheme itself (`mailto:` alone loses its colon).
    let rest = link.get(scheme.len()..).filter(|r| !r.is_empty())?;
    let ok = if *scheme == "mailto:" {
        // mailto:local@domain, with something on both sides of the @.
        rest.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.chars().any(is_wordy))
    } else {
        // A host that starts with a letter or digit.
        rest.chars().next().is_some_and(is_wordy)
    };
    ok.then_some(link.len())
}

/// Drops punctuation that ends the sentence rather than the link; a closing bracket stays
/// only when the link opened one (`https://en.wikipedia.org/wiki/Rust_(language)`).
fn trim_trailing(mut link: &str) -> &str {
    loop {
        let Some(last) = link.chars().next_back() else {
            return link;
        };
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' => true,
            ')' => link.matches('(').count() < link.matches(')').count(),
            ']' => link.matches('[').count() < link.matches(']').count(),
            '}' => link.matches('{').count() < link.matches('}').count(),
            _ => false,
        };
        if !drop {
            return link;
        }
        link = &link[..link.len() - last.len_utf8()];
    }
}

#[cfg(test)]
mod tests {
    use super::Segment::{Link, Text};
    use super::*;

    fn joined(parts: &[Segment<'_>]) -> String {
        parts
            .iter()
            .map(|p| match p {
                Text(t) | Link(t) => *t,
            })
            .collect()
    }

    #[test]
    fn plain_text_is_one_text_piece() {
        assert_eq!(linkify("hello there"), vec![Text("hello there")]);
        assert_eq!(linkify(""), vec![]);
    }

    #[test]
    fn http_https_and_mailto_become_links() {
        assert_eq!(
            linkify(
                "see https://example.com/a?b=c#d and http://x.org, or mailto:help@example.com."
            ),
            vec![
                Text("see "),
                Link("https://example.com/a?b=c#d"),
                Text(" and "),
                Link("http://x.org"),
                Text(", or "),
                Link("mailto:help@example.com"),
                Text("."),
            ]
        );
        assert_eq!(
            linkify("HTTPS://EXAMPLE.COM"),
            vec![Link("HTTPS://EXAMPLE.COM")]
        );
    }

    #[test]
    fn javascript_data_and_other_schemes_stay_text() {
        for s in [
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "ftp://example.com",
            "//example.com/path",
            "www.example.com",
        ] {
            assert_eq!(linkify(s), vec![Text(s)], "{s}");
        }
    }

    #[test]
    fn markup_stays_text() {
        let s = "<b>bold</b> <a href=\"javascript:x\">y</a> <img src=x onerror=alert(1)>";
        assert_eq!(linkify(s), vec![Text(s)]);
    }

    #[test]
    fn a_link_inside_a_javascript_url_is_only_the_http_part() {
        let parts = linkify("javascript:go('http://a.example')");
        assert_eq!(
            parts,
            vec![
                Text("javascript:go('"),
                Link("http://a.example"),
                Text("')")
            ]
        );
    }

    #[test]
    fn links_stop_at_markup_and_quotes() {
        assert_eq!(
            linkify("<https://a.example/x>\"https://b.example\""),
            vec![
                Text("<"),
                Link("https://a.example/x"),
                Text(">\""),
                Link("https://b.example"),
                Text("\""),
            ]
        );
    }

    #[test]
    fn schemes_inside_words_and_empty_links_stay_text() {
        for s in [
            "xhttp://example.com",
            "https://",
            "http:// spaced",
            "https://-bad",
            "mailto:",
            "mailto:nobody",
            "mailto:@example.com",
            "user.mailto:a@b.c",
        ] {
            assert!(
                !linkify(s).iter().any(|p| matches!(p, Link(_))),
                "{s}: {:?}",
                linkify(s)
            );
        }
    }

    #[test]
    fn a_letter_of_any_script_right_before_a_scheme_keeps_it_text() {
        assert_eq!(
            linkify("éhttps://a.example"),
            vec![Text("éhttps://a.example")]
        );
        assert_eq!(
            linkify("mail: mailto:zoë@exämple.org"),
            vec![Text("mail: "), Link("mailto:zoë@exämple.org")]
        );
    }

    #[test]
    fn brackets_belong_to_the_link_only_when_balanced() {
        assert_eq!(
            linkify("(see https://en.wikipedia.org/wiki/Rust_(language))"),
            vec![
                Text("(see "),
                Link("https://en.wikipedia.org/wiki/Rust_(language)"),
                Text(")"),
            ]
        );
    }

    #[test]
    fn unicode_around_links_is_kept_and_pieces_join_back_to_the_text() {
        for s in [
            "héllo https://exämple.com/ü… end",
            "→ https://a.example←",
            "emoji 😀 http://b.example/😀 ok",
            "two https://a.example https://b.example",
            "tail http://t.example",
        ] {
            let parts = linkify(s);
            assert_eq!(joined(&parts), s);
            assert!(parts.iter().any(|p| matches!(p, Link(_))), "{s}: {parts:?}");
        }
    }

    #[test]
    fn any_mix_of_tricky_pieces_joins_back_and_links_only_safe_schemes() {
        let pieces = [
            "",
            " ",
            "mailto:",
            "http://",
            "https:",
            "//",
            "a",
            "@",
            ".",
            ")",
            "(",
            "é",
            "😀",
            ":",
            "javascript:",
            "data:",
            "<b>",
            "\n",
            "x.y",
            "'",
            "HTTP://",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let s = format!("{a}{b}{c}");
                    let parts = linkify(&s);
                    assert_eq!(joined(&parts), s);
                    for p in parts {
                        if let Link(l) = p {
                            let lower = l.to_ascii_lowercase();
                            assert!(
                                SCHEMES.iter().any(|sch| lower.starts_with(sch)),
                                "{s:?} gave link {l:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}

// Cases written for the console, kept so both front ends' expectations hold.
#[cfg(test)]
mod console_cases {
    use super::*;
    use Segment::{Link, Text};

    #[test]
    fn plain_text_stays_one_text_segment() {
        assert_eq!(
            linkify("hello <b>there</b>"),
            vec![Text("hello <b>there</b>")]
        );
        assert_eq!(linkify(""), vec![]);
    }

    #[test]
    fn http_https_and_mailto_become_links() {
        assert_eq!(
            linkify("see https://example.com/a?b=1#c and http://x.org, or mailto:me@x.org."),
            vec![
                Text("see "),
                Link("https://example.com/a?b=1#c"),
                Text(" and "),
                Link("http://x.org"),
                Text(", or "),
                Link("mailto:me@x.org"),
                Text("."),
            ]
        );
        assert_eq!(
            linkify("HTTPS://EXAMPLE.COM"),
            vec![Link("HTTPS://EXAMPLE.COM")]
        );
    }

    #[test]
    fn other_schemes_and_empty_links_stay_text() {
        for s in [
            "javascript:alert(1)",
            "data:text/html,<script>",
            "ftp://example.com",
            "http://",
            "https:// spaced",
            "mailto:",
            "mailto:@x",
            "vbscript:msgbox",
        ] {
            assert!(
                linkify(s).iter().all(|seg| matches!(seg, Text(_))),
                "{s} must not be a link"
            );
        }
    }

    #[test]
    fn links_must_start_a_word() {
        assert_eq!(
            linkify("xhttps://evil.com"),
            vec![Text("xhttps://evil.com")]
        );
        // A URL glued onto another scheme is suspicious: the whole run stays text.
        assert_eq!(
            linkify("javascript:https://x.com"),
            vec![Text("javascript:https://x.com")]
        );
    }

    #[test]
    fn brackets_close_a_link_only_when_it_opened_one() {
        assert_eq!(
            linkify("(see https://en.wikipedia.org/wiki/Rust_(language))"),
            vec![
                Text("(see "),
                Link("https://en.wikipedia.org/wiki/Rust_(language)"),
                Text(")"),
            ]
        );
        assert_eq!(
            linkify("<https://a.b/c>\"x\""),
            vec![Text("<"), Link("https://a.b/c"), Text(">\"x\"")]
        );
    }

    #[test]
    fn segments_join_back_to_the_text_even_with_unicode() {
        let s = "héllo https://exämple.com/ü? ok 👍 mailto:a@b.c";
        let joined: String = linkify(s)
            .into_iter()
            .map(|seg| match seg {
                Text(t) | Link(t) => t,
            })
            .collect();
        assert_eq!(joined, s);
        assert!(linkify(s).contains(&Link("https://exämple.com/ü")));
    }
}
