//! The widget's language files as they ship: Trunk copies `static/i18n/<code>.json` (objects
//! keyed by text, for translators) into `dist/widget/i18n/`, and [`compact_dir`] rewrites each
//! there as the bare array of its values, in order. The widget reads them by position either
//! way (the key table is `confide_protocol::i18n::KEYS`, and the widget's tests check every
//! file against it), so the key names are bytes no visitor needs: about 490 B gzip for the
//! largest file.
//!
//! No JSON library (xtask has no dependencies): the files are one object of strings and of
//! objects of strings, which [`compact`] walks, copying every value's text as written (its
//! escapes included) with the whitespace between tokens removed.

use std::path::Path;

/// `{"a": "x", "b": {"one": "y", "other": "z"}}` → `["x",{"one":"y","other":"z"}]`.
pub fn compact(text: &str) -> Result<String, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let mut out = String::from("[");
    p.ws();
    p.expect(b'{')?;
    p.ws();
    if p.peek() == Some(b'}') {
        return Err("an empty object".into());
    }
    loop {
        p.ws();
        p.string()?; // the key
        p.ws();
        p.expect(b':')?;
        p.ws();
        if out.len() > 1 {
            out.push(',');
        }
        p.value(&mut out)?;
        p.ws();
        match p.next() {
            Some(b',') => continue,
            Some(b'}') => break,
            _ => return Err(p.error("`,` or `}`")),
        }
    }
    p.ws();
    if p.i != p.s.len() {
        return Err(p.error("the end of the file"));
    }
    out.push(']');
    Ok(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    fn error(&self, wanted: &str) -> String {
        let line = 1 + self.s[..self.i.min(self.s.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        format!("line {line}: expected {wanted}")
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.next() == Some(b) {
            Ok(())
        } else {
            Err(self.error(&format!("`{}`", b as char)))
        }
    }

    /// A string, returned as written (quotes and escapes included).
    fn string(&mut self) -> Result<&str, String> {
        let start = self.i;
        self.expect(b'"')?;
        loop {
            match self.next() {
                Some(b'"') => break,
                Some(b'\\') => {
                    self.next();
                }
                Some(b) if b < 0x20 => return Err(self.error("no control character in a string")),
                Some(_) => {}
                None => return Err(self.error("the end of a string")),
            }
        }
        std::str::from_utf8(&self.s[start..self.i]).map_err(|_| self.error("UTF-8"))
    }

    /// A string, or an object of strings (a text's plural forms).
    fn value(&mut self, out: &mut String) -> Result<(), String> {
        match self.peek() {
            Some(b'"') => {
                out.push_str(self.string()?);
                Ok(())
            }
            Some(b'{') => {
                self.next();
                out.push('{');
                let mut first = true;
                loop {
                    self.ws();
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(self.string()?);
                    self.ws();
                    self.expect(b':')?;
                    out.push(':');
                    self.ws();
                    out.push_str(self.string()?);
                    self.ws();
                    match self.next() {
                        Some(b',') => continue,
                        Some(b'}') => break,
                        _ => return Err(self.error("`,` or `}`")),
                    }
                }
                out.push('}');
                Ok(())
            }
            _ => Err(self.error("a text or an object of plural forms")),
        }
    }
}

/// Rewrites every `.json` file in `dir` (Trunk's copy of `static/i18n`) in compact form.
pub fn compact_dir(dir: &Path) -> Result<usize, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut count = 0;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "json") {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let out = compact(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            std::fs::write(&path, out).map_err(|e| format!("{}: {e}", path.display()))?;
            count += 1;
        }
    }
    if count == 0 {
        return Err(format!("{}: no language files", dir.display()));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_order_and_escapes_and_lose_keys_and_spaces() {
        let text = "{\n  \"b\": \"x \\\"q\\\" \\u00e9 é\",\n  \"a\": {\"one\": \"1 {n}\", \"other\": \"{n} s\"},\n  \"c\": \"\"\n}\n";
        assert_eq!(
            compact(text).as_deref(),
            Ok("[\"x \\\"q\\\" \\u00e9 é\",{\"one\":\"1 {n}\",\"other\":\"{n} s\"},\"\"]")
        );
    }

    #[test]
    fn every_shipped_language_file_compacts() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/i18n");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("static/i18n") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            let out = compact(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                out.starts_with("[\"") && out.ends_with(']'),
                "{}",
                path.display()
            );
            assert!(out.len() < text.len());
            n += 1;
        }
        assert_eq!(n, 34);
    }

    #[test]
    fn anything_but_an_object_of_texts_is_refused_with_its_line() {
        for (bad, why) in [
            ("[\"a\"]", "line 1: expected `{`"),
            ("{}", "an empty object"),
            (
                "{\"a\": 1}",
                "line 1: expected a text or an object of plural forms",
            ),
            (
                "{\"a\": \"x\"\n\"b\": \"y\"}",
                "line 2: expected `,` or `}`",
            ),
            (
                "{\"a\": \"x\"} extra",
                "line 1: expected the end of the file",
            ),
            (
                "{\"a\": \"unterminated}",
                "line 1: expected the end of a string",
            ),
            ("{\"a\": {\"one\": 2}}", "line 1: expected `\"`"),
        ] {
            assert_eq!(compact(bad), Err(why.to_owned()), "{bad}");
        }
    }
}
