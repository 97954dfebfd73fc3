//! Finds links in message text. Only `http:`, `https:` and `mailto:` become links; everything
//! else, including anything that looks like HTML, stays plain text. (The widget has its own
//! copy; a shared one may move into the protocol crate later.)

/// A piece of message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    /// A link whose target is exactly this text.
    Link(&'a str),
}

const SCHEMES: [&str; 3] = ["https://", "http://", "mailto:"];

/// Splits `text` into plain runs and links, in order; joined back they give `text` exactly.
pub fn linkify(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut plain_from = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        let at_boundary = i == 0 || !is_word_byte(bytes[i - 1]);
        if at_boundary {
            if let Some(len) = link_at(&text[i..]) {
                if plain_from < i {
                    out.push(Segment::Text(&text[plain_from..i]));
                }
                out.push(Segment::Link(&text[i..i + len]));
                i += len;
                plain_from = i;
                continue;
            }
        }
        // Step to the next character boundary.
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    if plain_from < text.len() {
        out.push(Segment::Text(&text[plain_from..]));
    }
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' || b == b'/' || b >= 0x80
}

/// The length in bytes of a link starting at the beginning of `s`, if one does.
fn link_at(s: &str) -> Option<usize> {
    let scheme = SCHEMES.iter().find(|p| {
        s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    })?;
    let end = s
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`'))
        .map_or(s.len(), |(i, _)| i);
    let mut link = &s[..end];
    // Trailing punctuation belongs to the sentence, and a closing bracket only to a link
    // that opened one.
    while let Some(last) = link.chars().last() {
        let unbalanced = |open: char, close: char| {
            last == close && link.matches(open).count() < link.matches(close).count()
        };
        let trailing = matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*')
            || unbalanced('(', ')')
            || unbalanced('[', ']')
            || unbalanced('{', '}');
        if !trailing {
            break;
        }
        link = &link[..link.len() - last.len_utf8()];
    }
    let rest = link.get(scheme.len()..)?;
    let ok = if scheme.starts_with("mailto") {
        rest.split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && !host.is_empty())
    } else {
        rest.chars().next().is_some_and(char::is_alphanumeric)
    };
    ok.then_some(link.len())
}

#[cfg(test)]
mod tests {
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
        assert_eq!(
            linkify("javascript:https://x.com"),
            vec![Text("javascript:"), Link("https://x.com")]
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
