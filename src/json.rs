//! A small JSON value type for the widget's few frames, read with the browser's own
//! `JSON.parse` and written by a tiny string escaper.
//!
//! serde_json plus serde's code for the protocol's internally tagged enums cost the release
//! bundle about 60 KB of wasm; the widget needs only objects, arrays, strings, booleans, null
//! and integers. `frames.rs` maps these values to and from the protocol types, and its tests
//! check the result against the protocol's own serde forms, so the two cannot drift apart.

use std::fmt::Write as _;

/// A parsed JSON value. Numbers are integers only (every number in the protocol is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

/// Nesting deeper than this is refused (no frame comes close).
const MAX_DEPTH: u32 = 16;

impl Json {
    /// Parses a whole document with the platform's JSON parser; `None` for anything
    /// malformed, nested deeper than 16, or holding a number that is not a safe integer.
    pub fn parse(text: &str) -> Option<Json> {
        platform::parse(text)
    }

    /// A field of an object (the first one of that name).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_i64().and_then(|n| u64::try_from(n).ok())
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

/// Largest integer both sides read exactly (2^53 - 1, JavaScript's `Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// In the browser the platform's own `JSON.parse` reads the text; the result is walked into
/// a [`Json`]. Nothing here parses JSON by hand.
#[cfg(target_arch = "wasm32")]
mod platform {
    use super::{Json, MAX_DEPTH};
    use wasm_bindgen::{JsCast, JsValue};

    pub fn parse(text: &str) -> Option<Json> {
        from_js(&js_sys::JSON::parse(text).ok()?, 0)
    }

    fn from_js(v: &JsValue, depth: u32) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        if v.is_null() {
            return Some(Json::Null);
        }
        if let Some(b) = v.as_bool() {
            return Some(Json::Bool(b));
        }
        if let Some(n) = v.as_f64() {
            return js_sys::Number::is_safe_integer(v).then_some(Json::Int(n as i64));
        }
        if let Some(s) = v.as_string() {
            return Some(Json::Str(s));
        }
        if js_sys::Array::is_array(v) {
            let items: &js_sys::Array = v.unchecked_ref();
            return items
                .iter()
                .map(|item| from_js(&item, depth + 1))
                .collect::<Option<Vec<_>>>()
                .map(Json::Arr);
        }
        if v.is_object() {
            return js_sys::Object::entries(v.unchecked_ref())
                .iter()
                .map(|entry| {
                    let pair: js_sys::Array = entry.unchecked_into();
                    Some((pair.get(0).as_string()?, from_js(&pair.get(1), depth + 1)?))
                })
                .collect::<Option<Vec<_>>>()
                .map(Json::Obj);
        }
        None
    }
}

/// Natively (the widget's unit tests) serde_json reads the text, with the same limits.
#[cfg(not(target_arch = "wasm32"))]
mod platform {
    use super::{Json, MAX_DEPTH, MAX_SAFE_INTEGER};

    pub fn parse(text: &str) -> Option<Json> {
        from_value(&serde_json::from_str(text).ok()?, 0)
    }

    fn from_value(v: &serde_json::Value, depth: u32) -> Option<Json> {
        use serde_json::Value;
        if depth > MAX_DEPTH {
            return None;
        }
        Some(match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Int(n.as_i64().filter(|n| n.abs() <= MAX_SAFE_INTEGER)?),
            Value::String(s) => Json::Str(s.clone()),
            Value::Array(items) => Json::Arr(
                items
                    .iter()
                    .map(|item| from_value(item, depth + 1))
                    .collect::<Option<_>>()?,
            ),
            Value::Object(fields) => Json::Obj(
                fields
                    .iter()
                    .map(|(k, v)| Some((k.clone(), from_value(v, depth + 1)?)))
                    .collect::<Option<_>>()?,
            ),
        })
    }
}

/// Builds one JSON object, field by field, in order.
#[derive(Debug)]
pub struct ObjectWriter {
    out: String,
}

impl Default for ObjectWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ObjectWriter {
    pub fn new() -> Self {
        Self {
            out: String::from("{"),
        }
    }

    fn key(&mut self, key: &str) -> &mut Self {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        push_str(&mut self.out, key);
        self.out.push(':');
        self
    }

    pub fn str(mut self, key: &str, value: &str) -> Self {
        push_str(&mut self.key(key).out, value);
        self
    }

    pub fn uint(mut self, key: &str, value: u64) -> Self {
        let _ = write!(self.key(key).out, "{value}");
        self
    }

    pub fn int(mut self, key: &str, value: i64) -> Self {
        let _ = write!(self.key(key).out, "{value}");
        self
    }

    pub fn bool(mut self, key: &str, value: bool) -> Self {
        self.key(key)
            .out
            .push_str(if value { "true" } else { "false" });
        self
    }

    /// A field whose value is already JSON (another writer's `finish`).
    pub fn raw(mut self, key: &str, json: &str) -> Self {
        self.key(key).out.push_str(json);
        self
    }

    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_serde_json_writes() {
        let text = serde_json::json!({
            "type": "message",
            "n": -42,
            "big": 9_007_199_254_740_991_i64,
            "ok": true,
            "no": false,
            "none": null,
            "list": [1, [], {}],
            "s": "quote \" back \\ slash / nl \n tab \t ctl \u{1} é 😀 <b>"
        })
        .to_string();
        let v = Json::parse(&text).expect("parses");
        assert_eq!(v.get("type").and_then(Json::as_str), Some("message"));
        assert_eq!(v.get("n").and_then(Json::as_i64), Some(-42));
        assert_eq!(v.get("n").and_then(Json::as_u64), None);
        assert_eq!(
            v.get("big").and_then(Json::as_u64),
            Some(9_007_199_254_740_991)
        );
        assert_eq!(v.get("ok").and_then(Json::as_bool), Some(true));
        assert!(v.get("none").is_some_and(Json::is_null));
        assert_eq!(
            v.get("list").and_then(Json::as_array).map(<[_]>::len),
            Some(3)
        );
        assert_eq!(
            v.get("s").and_then(Json::as_str),
            Some("quote \" back \\ slash / nl \n tab \t ctl \u{1} é 😀 <b>")
        );
    }

    #[test]
    fn refuses_malformed_documents_fractions_unsafe_integers_and_deep_nesting() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{a:1}",
            "1.5",
            "1e3",
            "9007199254740992",
            "1 2",
        ] {
            assert_eq!(Json::parse(bad), None, "{bad:?}");
        }
        let deep = "[".repeat(20) + &"]".repeat(20);
        assert_eq!(Json::parse(&deep), None, "too deep");
        assert!(Json::parse(" { \"a\" : [ 1 , 2 ] } ").is_some());
    }

    #[test]
    fn written_objects_read_back_with_serde_json() {
        let nasty = "a\"b\\c\nd\re\tf\u{0}g\u{1f}h é 😀 </script>";
        let text = ObjectWriter::new()
            .str("type", "send")
            .str("text", nasty)
            .uint("seq", u64::MAX)
            .bool("active", false)
            .raw("inner", &ObjectWriter::new().str("k", "v").finish())
            .finish();
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["type"], "send");
        assert_eq!(v["text"], nasty);
        assert_eq!(v["seq"], u64::MAX);
        assert_eq!(v["active"], false);
        assert_eq!(v["inner"]["k"], "v");
        assert_eq!(ObjectWriter::new().finish(), "{}");
    }
}
