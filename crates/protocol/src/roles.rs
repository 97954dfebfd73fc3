//! Roles as permissions (issue 15): a role is a named set of what its operators may do. Every
//! operator answers live chats; the rest is granted:
//!
//! - `transcripts`: `none` (live chats only), `read` (also the history and closed
//!   transcripts) or `edit` (also export, erase, rectify and restrict);
//! - `settings` (widgets, routers, retention), `operators` (accounts and roles), `audit` (the
//!   audit log), `api_tokens`;
//! - `widgets`: when not empty, the role sees only these widgets' conversations, live and in
//!   the history (an agency running several sites).
//!
//! Two roles are built in and cannot be changed: `admin` (everything) and `agent` (live chats
//! only, every widget).

use crate::settings::SettingsProblem;
use crate::WidgetKey;
use serde::{Deserialize, Serialize};

/// What a role may do with stored conversations, each level including the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptAccess {
    /// Live chats only.
    #[default]
    None,
    /// Also the history and closed transcripts, read-only.
    Read,
    /// Also export, erase, rectify and restrict.
    Edit,
}

/// A role's permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    #[serde(default)]
    pub transcripts: TranscriptAccess,
    #[serde(default)]
    pub settings: bool,
    #[serde(default)]
    pub operators: bool,
    #[serde(default)]
    pub audit: bool,
    #[serde(default)]
    pub api_tokens: bool,
    /// Its operators must sign in with a second factor; one without is sent to enrol.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub second_factor: bool,
    /// Only these widgets' conversations; empty: every widget.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub widgets: Vec<WidgetKey>,
}

impl Permissions {
    /// The built-in `admin`: everything, every widget.
    pub fn admin() -> Self {
        Self {
            transcripts: TranscriptAccess::Edit,
            settings: true,
            operators: true,
            audit: true,
            api_tokens: true,
            second_factor: false,
            widgets: Vec::new(),
        }
    }

    /// The built-in `agent`: live chats on every widget, nothing else.
    pub fn agent() -> Self {
        Self::default()
    }

    /// Whether conversations of this widget are this role's to see.
    pub fn covers(&self, widget: &WidgetKey) -> bool {
        self.widgets.is_empty() || self.widgets.contains(widget)
    }

    /// The widgets this role is limited to, if it is.
    pub fn scope(&self) -> Option<&[WidgetKey]> {
        (!self.widgets.is_empty()).then_some(self.widgets.as_slice())
    }
}

/// The built-in roles' names.
pub const ADMIN: &str = "admin";
pub const AGENT: &str = "agent";
/// The longest role name, in characters.
pub const MAX_ROLE_NAME: usize = 32;
/// The most widgets a role may be limited to.
pub const MAX_ROLE_WIDGETS: usize = 100;

/// `GET /api/admin/roles` lists these; `POST` creates one and `PUT /api/admin/roles/{name}`
/// replaces one (built-in ones excepted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// 1 to 32 of `a-z`, `0-9`, `_`, `-`, starting with a letter.
    pub name: String,
    pub permissions: Permissions,
    /// Built in (`admin`, `agent`): cannot be changed. Ignored when sent.
    #[serde(default)]
    pub builtin: bool,
}

impl Role {
    /// What is wrong with this role, each problem named by its field; nothing quoted.
    pub fn problems(&self) -> Vec<SettingsProblem> {
        let mut out = Vec::new();
        let problem = |field: &str, message: &str| SettingsProblem {
            field: field.to_owned(),
            message: message.to_owned(),
        };
        if !is_role_name(&self.name) {
            out.push(problem(
                "name",
                "1 to 32 of a-z, 0-9, _ and -, starting with a letter",
            ));
        } else if self.name == ADMIN || self.name == AGENT {
            out.push(problem("name", "admin and agent are built in"));
        }
        if self.permissions.widgets.len() > MAX_ROLE_WIDGETS {
            out.push(problem("permissions.widgets", "at most 100 widgets"));
        }
        let mut seen = std::collections::BTreeSet::new();
        if self.permissions.widgets.iter().any(|w| !seen.insert(w)) {
            out.push(problem("permissions.widgets", "a widget is listed twice"));
        }
        out
    }
}

/// A role's name: 1 to [`MAX_ROLE_NAME`] of `a-z`, `0-9`, `_`, `-`, starting with a letter.
pub fn is_role_name(name: &str) -> bool {
    name.len() <= MAX_ROLE_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_include_the_ones_below_and_scope_limits_widgets() {
        assert!(TranscriptAccess::Edit > TranscriptAccess::Read);
        assert!(TranscriptAccess::Read > TranscriptAccess::None);
        let demo = WidgetKey::parse("demo").expect("key");
        let other = WidgetKey::parse("other").expect("key");
        assert!(Permissions::admin().covers(&other));
        let scoped = Permissions {
            widgets: vec![demo.clone()],
            ..Permissions::default()
        };
        assert!(scoped.covers(&demo) && !scoped.covers(&other));
        assert_eq!(scoped.scope(), Some(&[demo][..]));
        assert_eq!(Permissions::agent().scope(), None);
        // Unknown permissions are refused, missing ones are off.
        assert!(serde_json::from_str::<Permissions>(r#"{"root":true}"#).is_err());
        assert_eq!(
            serde_json::from_str::<Permissions>(r#"{"transcripts":"read"}"#).expect("json"),
            Permissions {
                transcripts: TranscriptAccess::Read,
                ..Permissions::default()
            }
        );
    }

    #[test]
    fn role_names_and_limits_are_checked_by_field() {
        let role = |name: &str| Role {
            name: name.into(),
            permissions: Permissions::default(),
            builtin: false,
        };
        assert!(role("readers").problems().is_empty());
        assert!(role("site-a_agents2").problems().is_empty());
        for bad in ["", "Readers", "2nd", "a b", "ä", &"a".repeat(33)] {
            let p = role(bad).problems();
            assert_eq!(p.len(), 1, "{bad:?}");
            assert_eq!(p[0].field, "name");
        }
        assert_eq!(
            role("admin").problems()[0].message,
            "admin and agent are built in"
        );
        let demo = WidgetKey::parse("demo").expect("key");
        let mut twice = role("x");
        twice.permissions.widgets = vec![demo.clone(), demo];
        assert_eq!(twice.problems()[0].field, "permissions.widgets");
    }
}
