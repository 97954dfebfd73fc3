//! What operators learn about a visitor besides the messages:
//! - the pre-chat fields the visitor typed (name, email, custom fields; each off, optional or
//!   required in the widget's settings), stored only when typed;
//! - in standard mode only, the page the chat was opened on, the page's referrer (both cut to
//!   scheme, host and path: query strings and fragments often carry personal data), and the
//!   browser and OS family the server reads from the user agent.
//!
//! In privacy mode none of the page context exists: the widget does not send it and the
//! server refuses it. Every type here has a `Debug` that shows no value.

use crate::settings::{PrechatFields, Requirement, SettingsProblem, WidgetSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Longest page or referrer URL kept, in characters.
pub const MAX_URL_CHARS: usize = 2048;
/// Longest pre-chat value, in characters.
pub const MAX_FIELD_CHARS: usize = 200;

/// Where the chat was opened, as the host page told the widget. Standard mode only.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
}

impl PageContext {
    /// Both URLs through [`clean_url`]; `None` when nothing is left.
    pub fn cleaned(&self) -> Option<PageContext> {
        let page = self.page.as_deref().and_then(clean_url);
        let referrer = self.referrer.as_deref().and_then(clean_url);
        (page.is_some() || referrer.is_some()).then_some(PageContext { page, referrer })
    }
}

impl fmt::Debug for PageContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageContext")
            .field("page", &self.page.as_ref().map(|_| "***"))
            .field("referrer", &self.referrer.as_ref().map(|_| "***"))
            .finish()
    }
}

/// What Confide keeps of a page URL: an `http(s)` URL with a host, without its query string
/// and fragment, without user name and password (`user:pass@`) and without `;` path
/// parameters (`;jsessionid=…`), at most [`MAX_URL_CHARS`] characters and without white space
/// or control characters. `None` for anything else (which is then not kept at all).
pub fn clean_url(url: &str) -> Option<String> {
    let cut = url.find(['?', '#']).map_or(url, |at| &url[..at]);
    let lower = cut.get(..8).unwrap_or(cut).to_ascii_lowercase();
    let (scheme, rest) = if lower.starts_with("https://") {
        cut.split_at(8)
    } else if lower.starts_with("http://") {
        cut.split_at(7)
    } else {
        return None;
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    // Credentials in the URL: only the host goes on.
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // Path parameters (`/a;jsessionid=X/b`) carry session ids: each segment loses them.
    let path: Vec<&str> = path
        .split('/')
        .map(|segment| segment.split(';').next().unwrap_or(""))
        .collect();
    let kept = format!("{scheme}{host}{}", path.join("/"));
    let ok = !host.is_empty()
        && kept.chars().count() <= MAX_URL_CHARS
        && !kept.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(kept)
}

/// The pre-chat values a visitor typed, keyed like the settings: `name`, `email` and the
/// custom fields' keys.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrechatValues {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, String>,
}

impl fmt::Debug for PrechatValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrechatValues")
            .field("name", &self.name.as_ref().map(|_| "***"))
            .field("email", &self.email.as_ref().map(|_| "***"))
            .field("custom", &self.custom.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Longest email address accepted (RFC 5321's path limit), in bytes.
pub const MAX_EMAIL_BYTES: usize = 254;

/// A plausible email address: one `@`, something before it, a dotted domain after it, no
/// white space, at most [`MAX_EMAIL_BYTES`]. (Only the visitor's own mail server can tell more.)
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= MAX_EMAIL_BYTES
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The messages of [`PrechatValues::checked`]'s problems, so a client can say the same in the
/// visitor's language.
pub mod field_rule {
    pub const NOT_ASKED: &str = "this widget does not ask for it";
    pub const REQUIRED: &str = "is required";
    pub const TOO_LONG: &str = "is too long (at most 200 characters)";
    pub const ONE_LINE: &str = "must be plain text on one line";
    pub const NOT_EMAIL: &str = "is not an email address";
}

fn field_problem(field: &str, message: &str) -> SettingsProblem {
    SettingsProblem {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

/// One value against its requirement: trimmed, `None` when empty.
fn check_one(
    field: &str,
    requirement: Requirement,
    value: Option<&String>,
) -> Result<Option<String>, SettingsProblem> {
    let value = value.map(|v| v.trim()).filter(|v| !v.is_empty());
    match (requirement, value) {
        (Requirement::Off, Some(_)) => Err(field_problem(field, field_rule::NOT_ASKED)),
        (Requirement::Required, None) => Err(field_problem(field, field_rule::REQUIRED)),
        (_, Some(v)) if v.chars().count() > MAX_FIELD_CHARS => {
            Err(field_problem(field, field_rule::TOO_LONG))
        }
        (_, Some(v)) if v.chars().any(char::is_control) => {
            Err(field_problem(field, field_rule::ONE_LINE))
        }
        (_, Some(v)) if crate::text::hidden_format(v).is_some() => Err(field_problem(
            field,
            "contains an invisible formatting character; remove it",
        )),
        (_, v) => Ok(v.map(str::to_owned)),
    }
}

impl PrechatValues {
    /// Checks these values against the widget's fields and returns what is kept: trimmed,
    /// empty ones dropped. Refuses a required field left empty, a field the widget does not
    /// ask for, an email that is not one, and over-long or multi-line values. The problem
    /// names the field, never the value.
    pub fn checked(&self, fields: &PrechatFields) -> Result<PrechatValues, SettingsProblem> {
        let name = check_one("name", fields.name, self.name.as_ref())?;
        let email = check_one("email", fields.email, self.email.as_ref())?;
        if let Some(e) = &email {
            if !is_plausible_email(e) {
                return Err(field_problem("email", field_rule::NOT_EMAIL));
            }
        }
        if let Some(key) = self
            .custom
            .keys()
            .find(|k| !fields.custom.iter().any(|f| &f.key == *k))
        {
            return Err(field_problem(
                &format!("custom.{key}"),
                field_rule::NOT_ASKED,
            ));
        }
        let mut custom = BTreeMap::new();
        for f in &fields.custom {
            let at = format!("custom.{}", f.key);
            if let Some(v) = check_one(&at, f.requirement, self.custom.get(&f.key))? {
                custom.insert(f.key.clone(), v);
            }
        }
        Ok(PrechatValues {
            name,
            email,
            custom,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.email.is_none() && self.custom.is_empty()
    }
}

impl PrechatFields {
    /// Any field is shown to the visitor.
    pub fn any_shown(&self) -> bool {
        self.name != Requirement::Off
            || self.email != Requirement::Off
            || self
                .custom
                .iter()
                .any(|f| f.requirement != Requirement::Off)
    }
}

/// A custom field's value with its label (in the widget's default language), for operators.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    pub key: String,
    pub label: String,
    pub value: String,
}

impl fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FieldValue({}: ***)", self.key)
    }
}

/// Everything stored about a conversation besides its messages and receipt: what the
/// operators see, and what the visitor's export shows.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<FieldValue>,
    /// Standard mode: the page the chat was opened on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// Standard mode: that page's referrer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// Standard mode: browser family, such as `Firefox`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    /// Standard mode: operating system family, such as `Android`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

impl VisitorDetails {
    pub fn is_empty(&self) -> bool {
        *self == VisitorDetails::default()
    }

    /// Details from checked pre-chat values, with custom labels from `settings` (the default
    /// language's, else any).
    pub fn from_values(values: &PrechatValues, settings: &WidgetSettings) -> Self {
        let custom = values
            .custom
            .iter()
            .map(|(key, value)| {
                let label = settings
                    .prechat_fields
                    .custom
                    .iter()
                    .find(|f| &f.key == key)
                    .and_then(|f| {
                        f.labels
                            .get(&settings.default_language)
                            .or_else(|| f.labels.values().next())
                    })
                    .cloned()
                    .unwrap_or_else(|| key.clone());
                FieldValue {
                    key: key.clone(),
                    label,
                    value: value.clone(),
                }
            })
            .collect();
        Self {
            name: values.name.clone(),
            email: values.email.clone(),
            custom,
            ..Self::default()
        }
    }
}

impl fmt::Debug for VisitorDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |o: &Option<String>| o.as_ref().map(|_| "***");
        f.debug_struct("VisitorDetails")
            .field("name", &set(&self.name))
            .field("email", &set(&self.email))
            .field("custom", &self.custom)
            .field("page", &set(&self.page))
            .field("referrer", &set(&self.referrer))
            .field("browser", &self.browser)
            .field("os", &self.os)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::CustomField;

    #[test]
    fn urls_lose_query_and_fragment_and_must_be_http() {
        assert_eq!(
            clean_url("https://shop.example/pricing?email=a@b.c#top").as_deref(),
            Some("https://shop.example/pricing")
        );
        assert_eq!(
            clean_url("HTTP://x.example/a").as_deref(),
            Some("HTTP://x.example/a")
        );
        assert_eq!(clean_url("javascript:alert(1)"), None);
        assert_eq!(
            clean_url("https://ada:hunter2@shop.example/cart;jsessionid=ABC123/x;v=1?q").as_deref(),
            Some("https://shop.example/cart/x"),
            "credentials and path parameters go"
        );
        assert_eq!(
            clean_url("http://user@host.example").as_deref(),
            Some("http://host.example")
        );
        assert_eq!(clean_url("https://user:pw@/path"), None, "no host left");
        assert_eq!(clean_url("https:///path"), None);
        assert_eq!(clean_url("https://a.example/has space"), None);
        assert_eq!(
            clean_url(&format!("https://a.example/{}", "x".repeat(3000))),
            None
        );
        assert_eq!(clean_url(""), None);
        let ctx = PageContext {
            page: Some("file:///etc/passwd".into()),
            referrer: None,
        };
        assert_eq!(ctx.cleaned(), None);
    }

    fn fields(name: Requirement, email: Requirement, custom: Requirement) -> PrechatFields {
        PrechatFields {
            name,
            email,
            custom: vec![CustomField {
                key: "order".into(),
                requirement: custom,
                labels: [("en".to_owned(), "Order number".to_owned())].into(),
            }],
        }
    }

    fn values(name: &str, email: &str, order: &str) -> PrechatValues {
        PrechatValues {
            name: Some(name.into()),
            email: Some(email.into()),
            custom: [("order".to_owned(), order.to_owned())].into(),
        }
    }

    #[test]
    fn values_are_trimmed_and_empty_ones_dropped() {
        let f = fields(
            Requirement::Optional,
            Requirement::Optional,
            Requirement::Optional,
        );
        let kept = values("  Ada ", "", " ").checked(&f).expect("ok");
        assert_eq!(kept.name.as_deref(), Some("Ada"));
        assert_eq!(kept.email, None);
        assert!(kept.custom.is_empty());
        assert!(PrechatValues::default().checked(&f).expect("ok").is_empty());
    }

    #[test]
    fn required_off_unknown_and_bad_values_are_refused_by_field() {
        let req = fields(
            Requirement::Required,
            Requirement::Required,
            Requirement::Required,
        );
        let field_of =
            |v: PrechatValues, f: &PrechatFields| v.checked(f).expect_err("refused").field;
        assert_eq!(field_of(values("", "a@b.co", "1"), &req), "name");
        assert_eq!(field_of(values("Ada", "not-an-email", "1"), &req), "email");
        assert_eq!(field_of(values("Ada", "a@b.co", " "), &req), "custom.order");
        let off = fields(Requirement::Off, Requirement::Off, Requirement::Off);
        assert_eq!(field_of(values("Ada", "", ""), &off), "name");
        let mut unknown = PrechatValues::default();
        unknown.custom.insert("shoe_size".into(), "44".into());
        assert_eq!(field_of(unknown, &off), "custom.shoe_size");
        let long = values(&"x".repeat(MAX_FIELD_CHARS + 1), "a@b.co", "1");
        assert_eq!(field_of(long, &req), "name");
        assert_eq!(
            field_of(values("Ada\nLovelace", "a@b.co", "1"), &req),
            "name"
        );
        assert!(values("Ada", "a@b.co", "1").checked(&req).is_ok());
    }

    #[test]
    fn problems_and_debug_never_show_values() {
        let req = fields(
            Requirement::Required,
            Requirement::Required,
            Requirement::Optional,
        );
        let problem = values("Ada", "ada@nowhere", "A-77")
            .checked(&req)
            .expect_err("bad email");
        assert!(!problem.to_string().contains("nowhere"), "{problem}");
        let v = values("Ada", "ada@example.com", "A-77");
        let shown = format!("{v:?}");
        assert!(!shown.contains("Ada") && !shown.contains("example") && !shown.contains("A-77"));
        let settings = WidgetSettings::defaults("https://example.com/privacy");
        let mut details = VisitorDetails::from_values(&v, &settings);
        details.page = Some("https://shop.example/secret-page".into());
        let shown = format!("{details:?}");
        assert!(
            !shown.contains("Ada") && !shown.contains("secret-page"),
            "{shown}"
        );
        let ctx = PageContext {
            page: Some("https://shop.example/secret-page".into()),
            referrer: None,
        };
        assert!(!format!("{ctx:?}").contains("secret"));
    }

    #[test]
    fn emails_are_checked_for_shape_only() {
        assert!(is_plausible_email("a.b+c@mail.example.org"));
        for bad in [
            "", "a", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.de", "a@.b.co", "a@b.co.",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
        let longest = format!("{}@example.com", "a".repeat(MAX_EMAIL_BYTES - 12));
        assert!(is_plausible_email(&longest));
        assert!(!is_plausible_email(&format!("a{longest}")));
    }
}
