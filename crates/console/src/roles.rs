//! The Roles page's logic (issue 15), with no `web-sys` inside: the role list, the form that
//! creates a role or changes a custom one (a yew [`Reducible`]), and each role's one-line
//! summary. Validation is the protocol's own [`Role::problems`], the same code the server runs
//! on save; the built-in roles (`admin`, `agent`) are only shown.

use confide_protocol::roles::{Permissions, Role, TranscriptAccess};
use confide_protocol::settings::{SettingsProblem, WidgetListItem};
use confide_protocol::WidgetKey;
use std::rc::Rc;
use yew::Reducible;

/// The transcript levels as the form's select offers them: level, wire name, label.
pub const TRANSCRIPT_CHOICES: [(TranscriptAccess, &str, &str); 3] = [
    (TranscriptAccess::None, "none", "Live chats only"),
    (TranscriptAccess::Read, "read", "Read history"),
    (
        TranscriptAccess::Edit,
        "edit",
        "Read and edit (export, erase, correct, restrict)",
    ),
];

/// A level's wire name (`none`, `read`, `edit`), the select's option value.
pub fn access_name(access: TranscriptAccess) -> &'static str {
    TRANSCRIPT_CHOICES
        .iter()
        .find(|c| c.0 == access)
        .map_or("none", |c| c.1)
}

/// The level an option value names; anything else is the least, `none`.
pub fn access_from(name: &str) -> TranscriptAccess {
    TRANSCRIPT_CHOICES
        .iter()
        .find(|c| c.1 == name)
        .map_or(TranscriptAccess::None, |c| c.0)
}

/// A level as the select labels it.
pub fn access_label(access: TranscriptAccess) -> &'static str {
    TRANSCRIPT_CHOICES
        .iter()
        .find(|c| c.0 == access)
        .map_or("Live chats only", |c| c.2)
}

/// The permissions that are on or off, one checkbox each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Settings,
    Operators,
    Audit,
    ApiTokens,
    /// Not a permission but a requirement: the role's operators sign in with a second factor.
    SecondFactor,
}

impl Grant {
    pub const ALL: [Grant; 5] = [
        Grant::Settings,
        Grant::Operators,
        Grant::Audit,
        Grant::ApiTokens,
        Grant::SecondFactor,
    ];

    /// The checkbox's `data-testid`, also its `name` and `id`.
    pub fn testid(self) -> &'static str {
        match self {
            Grant::Settings => "role-settings",
            Grant::Operators => "role-operators",
            Grant::Audit => "role-audit",
            Grant::ApiTokens => "role-api-tokens",
            Grant::SecondFactor => "role-second-factor",
        }
    }

    /// The checkbox's label.
    pub fn label(self) -> &'static str {
        match self {
            Grant::Settings => "Settings: widgets, routers and retention",
            Grant::Operators => "Operators: accounts and roles",
            Grant::Audit => "Audit log",
            Grant::ApiTokens => "API tokens",
            Grant::SecondFactor => {
                "Require two-factor sign-in (an authenticator app) for its operators"
            }
        }
    }

    /// Its name in a role's summary and details.
    pub fn short(self) -> &'static str {
        match self {
            Grant::Settings => "Settings",
            Grant::Operators => "Operators",
            Grant::Audit => "Audit log",
            Grant::ApiTokens => "API tokens",
            Grant::SecondFactor => "Two-factor required",
        }
    }

    pub fn get(self, p: &Permissions) -> bool {
        match self {
            Grant::Settings => p.settings,
            Grant::Operators => p.operators,
            Grant::Audit => p.audit,
            Grant::ApiTokens => p.api_tokens,
            Grant::SecondFactor => p.second_factor,
        }
    }

    pub fn set(self, p: &mut Permissions, on: bool) {
        *match self {
            Grant::Settings => &mut p.settings,
            Grant::Operators => &mut p.operators,
            Grant::Audit => &mut p.audit,
            Grant::ApiTokens => &mut p.api_tokens,
            Grant::SecondFactor => &mut p.second_factor,
        } = on;
    }
}

/// Most widget keys a summary names before `… (+N)`.
const SUMMARY_WIDGETS_MAX: usize = 6;

/// The widgets a role is limited to, as a summary names them: `demo, shop`.
pub fn widgets_text(widgets: &[WidgetKey]) -> String {
    let mut names: Vec<String> = widgets
        .iter()
        .take(SUMMARY_WIDGETS_MAX)
        .map(|w| w.as_str().to_owned())
        .collect();
    if widgets.len() > SUMMARY_WIDGETS_MAX {
        names.push(format!("… (+{})", widgets.len() - SUMMARY_WIDGETS_MAX));
    }
    names.join(", ")
}

/// What a role may do, on one line: `Transcripts: read · Settings · Audit log · Only: demo,
/// shop`. A role with nothing granted is `Live chats only`; one whose operators need a second
/// factor says `Two-factor required`; one not limited to some widgets ends with `Every widget`.
pub fn summary(p: &Permissions) -> String {
    let mut parts: Vec<String> = Vec::new();
    match p.transcripts {
        TranscriptAccess::None => {}
        TranscriptAccess::Read => parts.push("Transcripts: read".into()),
        TranscriptAccess::Edit => parts.push("Transcripts: read and edit".into()),
    }
    parts.extend(
        Grant::ALL
            .into_iter()
            .filter(|&g| g != Grant::SecondFactor && g.get(p))
            .map(|g| g.short().to_owned()),
    );
    if parts.is_empty() {
        parts.push("Live chats only".into());
    }
    if p.second_factor {
        parts.push(Grant::SecondFactor.short().into());
    }
    parts.push(match p.scope() {
        Some(widgets) => format!("Only: {}", widgets_text(widgets)),
        None => "Every widget".into(),
    });
    parts.join(" · ")
}

/// A role's permissions term by term, for a built-in role shown read-only.
pub fn details(p: &Permissions) -> Vec<(&'static str, String)> {
    let yes_no = |on: bool| if on { "Yes" } else { "No" }.to_owned();
    let mut out = vec![("Transcripts", access_label(p.transcripts).to_owned())];
    out.extend(
        Grant::ALL
            .into_iter()
            .map(|g| (g.short(), yes_no(g.get(p)))),
    );
    out.push((
        "Widgets",
        match p.scope() {
            Some(widgets) => format!("Only {}", widgets_text(widgets)),
            None => "Every widget".into(),
        },
    ));
    out
}

/// One checkbox of the form's Widgets fieldset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetChoice {
    pub key: WidgetKey,
    pub label: String,
    pub ticked: bool,
}

/// A checkbox per widget of the site, in the list's order, then one per widget the role is
/// limited to that the list lacks (a widget since deleted, or no list at all because it could
/// not be loaded), so that saving never drops a limit nobody saw.
pub fn widget_choices(list: &[WidgetListItem], ticked: &[WidgetKey]) -> Vec<WidgetChoice> {
    let mut out: Vec<WidgetChoice> = list
        .iter()
        .map(|w| WidgetChoice {
            key: w.key.clone(),
            label: format!("{} ({})", w.name, w.key),
            ticked: ticked.contains(&w.key),
        })
        .collect();
    for key in ticked {
        if !out.iter().any(|c| &c.key == key) {
            out.push(WidgetChoice {
                key: key.clone(),
                label: format!("{key} (not in the widget list)"),
                ticked: true,
            });
        }
    }
    out
}

/// The form's values: a new role, or a custom one being changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleForm {
    /// As typed.
    pub name: String,
    pub permissions: Permissions,
    /// A saved role being changed (`PUT`, its name fixed), or a new one (`POST`).
    pub existing: bool,
}

impl RoleForm {
    /// The form for a new role: live chats only, every widget.
    pub fn new_role() -> Self {
        Self::default()
    }

    /// The form for changing a saved role.
    pub fn of(role: &Role) -> Self {
        Self {
            name: role.name.clone(),
            permissions: role.permissions.clone(),
            existing: true,
        }
    }

    /// The role to send: the name trimmed; `builtin` is the server's to say.
    pub fn role(&self) -> Role {
        Role {
            name: self.name.trim().to_owned(),
            permissions: self.permissions.clone(),
            builtin: false,
        }
    }

    /// What keeps this role from being saved, by field.
    pub fn problems(&self) -> Vec<SettingsProblem> {
        self.role().problems()
    }
}

/// What the last save did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Save {
    #[default]
    Idle,
    Saving,
    Saved,
    /// Refused, with the server's message and the field it names, if any.
    Failed {
        message: String,
        field: Option<String>,
    },
}

/// A save to send: `POST` for a new role, `PUT` for a saved one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRequest {
    pub seq: u64,
    pub role: Role,
    pub create: bool,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RolesState {
    /// `None` while loading; the error's message when the list could not be loaded.
    pub roles: Option<Result<Vec<Role>, String>>,
    /// The role shown (`None`: the form for a new role).
    pub selected: Option<String>,
    pub form: RoleForm,
    pub save: Save,
    /// A save was tried: the form's problems are shown and their fields marked from then on.
    pub checked: bool,
    /// The save to send, while there is one.
    pub request: Option<RoleRequest>,
    seq: u64,
}

/// Everything that changes the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolesAction {
    Loaded(Result<Vec<Role>, String>),
    /// Show a role: a custom one in the form, a built-in one read-only.
    Select(String),
    /// The form for a new role.
    New,
    Name(String),
    Transcripts(TranscriptAccess),
    Grant(Grant, bool),
    Widget(WidgetKey, bool),
    /// Save was pressed: sent when [`RoleForm::problems`] finds nothing, else they are shown.
    Submit,
    Saved {
        seq: u64,
        role: Role,
    },
    /// The server refused (400, 403, 409); `conflict` when the name is taken.
    Refused {
        seq: u64,
        message: String,
        conflict: bool,
    },
}

/// The field a server message names (`name: …`, `permissions.widgets: …`), if it names one.
pub fn refused_field(message: &str) -> Option<String> {
    let (field, _) = message.split_once(':')?;
    let is_path = !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
    is_path.then(|| field.to_owned())
}

impl RolesState {
    /// The roles listed (none while loading or after an error).
    pub fn roles(&self) -> &[Role] {
        match &self.roles {
            Some(Ok(roles)) => roles,
            _ => &[],
        }
    }

    pub fn selected_role(&self) -> Option<&Role> {
        let name = self.selected.as_deref()?;
        self.roles().iter().find(|r| r.name == name)
    }

    /// A built-in role is shown: no form, nothing to save.
    pub fn read_only(&self) -> bool {
        self.selected_role().is_some_and(|r| r.builtin)
    }

    /// The problems shown: none until a save was tried.
    pub fn problems(&self) -> Vec<SettingsProblem> {
        if self.checked {
            self.form.problems()
        } else {
            Vec::new()
        }
    }

    /// Whether the field (`name`, `permissions.widgets`, `permissions.transcripts`) is marked
    /// invalid: a problem shown, or the server's refusal naming it.
    pub fn invalid(&self, field: &str) -> bool {
        let names =
            |f: &str| f == field || f.strip_prefix(field).is_some_and(|r| r.starts_with('.'));
        let refused = matches!(&self.save, Save::Failed { field: Some(f), .. } if names(f));
        refused || self.problems().iter().any(|p| names(&p.field))
    }

    pub fn apply(&mut self, action: RolesAction) {
        match action {
            RolesAction::Loaded(roles) => {
                self.roles = Some(roles);
                if self.selected.is_some() && self.selected_role().is_none() {
                    self.show_new();
                }
            }
            RolesAction::Select(name) => {
                if let Some(role) = self.roles().iter().find(|r| r.name == name) {
                    self.form = RoleForm::of(role);
                    self.selected = Some(name);
                    self.save = Save::Idle;
                    self.checked = false;
                }
            }
            RolesAction::New => self.show_new(),
            RolesAction::Name(name) => {
                if !self.form.existing {
                    self.edit(|f| f.name = name);
                }
            }
            RolesAction::Transcripts(level) => self.edit(|f| f.permissions.transcripts = level),
            RolesAction::Grant(grant, on) => self.edit(|f| grant.set(&mut f.permissions, on)),
            RolesAction::Widget(key, on) => self.edit(|f| {
                let widgets = &mut f.permissions.widgets;
                widgets.retain(|w| w != &key);
                if on {
                    widgets.push(key);
                }
            }),
            RolesAction::Submit => {
                if self.request.is_some() || self.read_only() {
                    return;
                }
                self.checked = true;
                if self.form.problems().is_empty() {
                    self.seq += 1;
                    self.request = Some(RoleRequest {
                        seq: self.seq,
                        role: self.form.role(),
                        create: !self.form.existing,
                    });
                    self.save = Save::Saving;
                } else {
                    self.save = Save::Idle;
                }
            }
            RolesAction::Saved { seq, role } => {
                if self.request.as_ref().is_none_or(|r| r.seq != seq) {
                    return;
                }
                self.request = None;
                if let Some(Ok(roles)) = &mut self.roles {
                    match roles.iter_mut().find(|r| r.name == role.name) {
                        Some(old) => *old = role.clone(),
                        None => roles.push(role.clone()),
                    }
                }
                self.form = RoleForm::of(&role);
                self.selected = Some(role.name);
                self.save = Save::Saved;
                self.checked = false;
            }
            RolesAction::Refused {
                seq,
                message,
                conflict,
            } => {
                if self.request.as_ref().is_none_or(|r| r.seq != seq) {
                    return;
                }
                self.request = None;
                let field = if conflict {
                    Some("name".to_owned())
                } else {
                    refused_field(&message)
                };
                self.save = Save::Failed { message, field };
            }
        }
    }

    fn show_new(&mut self) {
        self.selected = None;
        self.form = RoleForm::new_role();
        self.save = Save::Idle;
        self.checked = false;
    }

    /// Every edit clears the last save's message: it was about other values.
    fn edit(&mut self, f: impl FnOnce(&mut RoleForm)) {
        if self.read_only() {
            return;
        }
        f(&mut self.form);
        if matches!(self.save, Save::Saved | Save::Failed { .. }) {
            self.save = Save::Idle;
        }
    }
}

impl Reducible for RolesState {
    type Action = RolesAction;

    fn reduce(self: Rc<Self>, action: RolesAction) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.apply(action);
        Rc::new(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> WidgetKey {
        WidgetKey::parse(k).expect("key")
    }

    fn builtin(name: &str, permissions: Permissions) -> Role {
        Role {
            name: name.into(),
            permissions,
            builtin: true,
        }
    }

    fn custom(name: &str, permissions: Permissions) -> Role {
        Role {
            name: name.into(),
            permissions,
            builtin: false,
        }
    }

    fn readers() -> Role {
        custom(
            "readers",
            Permissions {
                transcripts: TranscriptAccess::Read,
                ..Permissions::default()
            },
        )
    }

    fn loaded() -> RolesState {
        run(
            RolesState::default(),
            [RolesAction::Loaded(Ok(vec![
                builtin("admin", Permissions::admin()),
                builtin("agent", Permissions::agent()),
                readers(),
            ]))],
        )
    }

    fn run(state: RolesState, actions: impl IntoIterator<Item = RolesAction>) -> RolesState {
        let mut rc = Rc::new(state);
        for a in actions {
            rc = rc.reduce(a);
        }
        Rc::unwrap_or_clone(rc)
    }

    fn fields(problems: &[SettingsProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_summary_says_what_a_role_may_do_on_one_line() {
        let p = Permissions {
            transcripts: TranscriptAccess::Read,
            settings: true,
            audit: true,
            widgets: vec![key("demo"), key("shop")],
            ..Permissions::default()
        };
        assert_eq!(
            summary(&p),
            "Transcripts: read · Settings · Audit log · Only: demo, shop"
        );
        assert_eq!(
            summary(&Permissions::agent()),
            "Live chats only · Every widget"
        );
        assert_eq!(
            summary(&Permissions::admin()),
            "Transcripts: read and edit · Settings · Operators · Audit log · API tokens · Every widget"
        );
        let tokens = Permissions {
            api_tokens: true,
            ..Permissions::default()
        };
        assert_eq!(summary(&tokens), "API tokens · Every widget");
        let many = Permissions {
            widgets: (1..=8).map(|n| key(&format!("site{n}"))).collect(),
            ..Permissions::default()
        };
        assert_eq!(
            summary(&many),
            "Live chats only · Only: site1, site2, site3, site4, site5, site6, … (+2)"
        );
    }

    #[test]
    fn a_built_in_role_is_detailed_term_by_term() {
        let d = details(&Permissions::admin());
        assert_eq!(
            d,
            [
                (
                    "Transcripts",
                    "Read and edit (export, erase, correct, restrict)".to_owned()
                ),
                ("Settings", "Yes".to_owned()),
                ("Operators", "Yes".to_owned()),
                ("Audit log", "Yes".to_owned()),
                ("API tokens", "Yes".to_owned()),
                ("Two-factor required", "No".to_owned()),
                ("Widgets", "Every widget".to_owned()),
            ]
        );
        let scoped = Permissions {
            widgets: vec![key("demo")],
            ..Permissions::agent()
        };
        let d = details(&scoped);
        assert_eq!(d[0].1, "Live chats only");
        assert_eq!(d[1].1, "No");
        assert_eq!(d[6], ("Widgets", "Only demo".to_owned()));
        let guarded = Permissions {
            second_factor: true,
            ..Permissions::agent()
        };
        assert_eq!(
            details(&guarded)[5],
            ("Two-factor required", "Yes".to_owned())
        );
        assert_eq!(
            summary(&guarded),
            "Live chats only · Two-factor required · Every widget"
        );
    }

    #[test]
    fn transcript_levels_round_trip_through_the_select() {
        for (level, name, label) in TRANSCRIPT_CHOICES {
            assert_eq!(access_from(access_name(level)), level);
            assert_eq!(access_name(level), name);
            assert_eq!(access_label(level), label);
        }
        assert_eq!(access_from("root"), TranscriptAccess::None);
        // The wire names are the protocol's own.
        for (level, name, _) in TRANSCRIPT_CHOICES {
            assert_eq!(
                serde_json::to_value(level).expect("json"),
                serde_json::json!(name)
            );
        }
    }

    #[test]
    fn the_form_builds_the_role_the_server_expects() {
        let s = run(
            RolesState::default(),
            [
                RolesAction::Loaded(Ok(vec![])),
                RolesAction::Name(" site-a_agents ".into()),
                RolesAction::Transcripts(access_from("edit")),
                RolesAction::Grant(Grant::Audit, true),
                RolesAction::Grant(Grant::Settings, true),
                RolesAction::Grant(Grant::Settings, false),
                RolesAction::Widget(key("shop"), true),
                RolesAction::Widget(key("demo"), true),
                RolesAction::Widget(key("shop"), false),
                RolesAction::Widget(key("demo"), true),
                RolesAction::Submit,
            ],
        );
        let request = s.request.clone().expect("sent");
        assert!(request.create);
        assert_eq!(s.save, Save::Saving);
        assert_eq!(
            serde_json::to_value(&request.role).expect("json"),
            serde_json::json!({
                "name": "site-a_agents",
                "permissions": {"transcripts": "edit", "settings": false, "operators": false,
                                "audit": true, "api_tokens": false, "widgets": ["demo"]},
                "builtin": false
            })
        );
        // A second press while it is on its way sends nothing more.
        let again = run(s.clone(), [RolesAction::Submit]);
        assert_eq!(again.request.as_ref().map(|r| r.seq), Some(request.seq));

        // The server's answer is listed, selected, and the form now changes it (PUT).
        let saved = Role {
            builtin: false,
            ..request.role.clone()
        };
        let s = run(
            s,
            [RolesAction::Saved {
                seq: request.seq,
                role: saved.clone(),
            }],
        );
        assert_eq!(s.save, Save::Saved);
        assert_eq!(s.roles(), std::slice::from_ref(&saved));
        assert_eq!(s.selected.as_deref(), Some("site-a_agents"));
        assert!(s.form.existing);
        // Its name is fixed now; the rest changes, and is sent with PUT.
        let s = run(
            s,
            [
                RolesAction::Name("renamed".into()),
                RolesAction::Widget(key("demo"), false),
                RolesAction::Submit,
            ],
        );
        let request = s.request.clone().expect("sent");
        assert!(!request.create);
        assert_eq!(request.role.name, "site-a_agents");
        assert_eq!(request.role.permissions.scope(), None);
    }

    #[test]
    fn problems_are_shown_only_once_a_save_was_tried_and_nothing_is_sent() {
        let s = run(
            loaded(),
            [RolesAction::New, RolesAction::Name("Site A".into())],
        );
        assert!(s.problems().is_empty(), "not before a save");
        assert!(!s.invalid("name"));
        let s = run(s, [RolesAction::Submit]);
        assert_eq!(s.request, None);
        assert_eq!(fields(&s.problems()), ["name"]);
        assert!(s.invalid("name"));
        assert!(!s.invalid("permissions.widgets"));
        // Built-in names are refused before the server sees them.
        let s = run(s, [RolesAction::Name("admin".into())]);
        assert_eq!(s.problems()[0].message, "admin and agent are built in");
        // Fixed: the mark goes as it is typed.
        let s = run(s, [RolesAction::Name("site-a".into())]);
        assert!(s.problems().is_empty() && !s.invalid("name"));
        let s = run(s, [RolesAction::Name(String::new()), RolesAction::Submit]);
        assert_eq!(s.request, None, "an empty name is a problem");
        assert!(s.invalid("name"));
    }

    #[test]
    fn refusals_are_shown_with_the_field_they_name() {
        let send = |s: RolesState| {
            let s = run(s, [RolesAction::Submit]);
            let seq = s.request.as_ref().expect("sent").seq;
            (s, seq)
        };
        let (s, seq) = send(run(
            loaded(),
            [RolesAction::New, RolesAction::Name("readers2".into())],
        ));
        let s = run(
            s,
            [RolesAction::Refused {
                seq,
                message: "permissions.widgets: no such widget: gone".into(),
                conflict: false,
            }],
        );
        assert_eq!(
            s.save,
            Save::Failed {
                message: "permissions.widgets: no such widget: gone".into(),
                field: Some("permissions.widgets".into()),
            }
        );
        assert!(s.invalid("permissions.widgets") && !s.invalid("name"));
        assert_eq!(s.request, None);

        // 409: the name is taken, whatever the message says.
        let (s, seq) = send(s);
        let s = run(
            s,
            [RolesAction::Refused {
                seq,
                message: "A role with this name exists already.".into(),
                conflict: true,
            }],
        );
        assert!(s.invalid("name"));
        // Any edit clears the refusal.
        let s = run(s, [RolesAction::Name("readers3".into())]);
        assert_eq!(s.save, Save::Idle);
        assert!(!s.invalid("name"));

        // An answer to an older save changes nothing.
        let (s, seq) = send(s);
        let stale = run(
            s.clone(),
            [RolesAction::Refused {
                seq: seq - 1,
                message: "name: old".into(),
                conflict: false,
            }],
        );
        assert_eq!(stale, s);
        assert_eq!(refused_field("Not allowed here: really"), None);
        assert_eq!(refused_field("name: taken"), Some("name".into()));
        assert_eq!(refused_field("no colon"), None);
    }

    #[test]
    fn built_in_roles_are_shown_read_only_and_custom_ones_fill_the_form() {
        let s = run(loaded(), [RolesAction::Select("admin".into())]);
        assert!(s.read_only());
        let before = s.clone();
        let s = run(
            s,
            [RolesAction::Grant(Grant::Audit, false), RolesAction::Submit],
        );
        assert_eq!(s, before, "nothing changes, nothing is sent");

        let s = run(s, [RolesAction::Select("readers".into())]);
        assert!(!s.read_only());
        assert_eq!(s.form, RoleForm::of(&readers()));
        assert!(s.form.existing);
        // An unknown name changes nothing; New starts over.
        let s = run(s, [RolesAction::Select("nobody".into())]);
        assert_eq!(s.selected.as_deref(), Some("readers"));
        let s = run(s, [RolesAction::New]);
        assert_eq!(
            (s.selected.clone(), s.form.clone()),
            (None, RoleForm::new_role())
        );
        // A reload without the selected role goes back to a new one.
        let s = run(
            run(s, [RolesAction::Select("readers".into())]),
            [RolesAction::Loaded(Ok(vec![builtin(
                "admin",
                Permissions::admin(),
            )]))],
        );
        assert_eq!(s.selected, None);
        assert!(!s.form.existing);
    }

    #[test]
    fn every_widget_gets_a_checkbox_and_unlisted_limits_are_kept() {
        let list = vec![
            WidgetListItem {
                key: key("demo"),
                name: "Demo site".into(),
            },
            WidgetListItem {
                key: key("shop"),
                name: "Shop".into(),
            },
        ];
        let choices = widget_choices(&list, &[key("gone"), key("shop")]);
        let seen: Vec<_> = choices
            .iter()
            .map(|c| (c.key.as_str(), c.label.as_str(), c.ticked))
            .collect();
        assert_eq!(
            seen,
            [
                ("demo", "Demo site (demo)", false),
                ("shop", "Shop (shop)", true),
                ("gone", "gone (not in the widget list)", true),
            ]
        );
        assert!(widget_choices(&[], &[]).is_empty());
    }
}
