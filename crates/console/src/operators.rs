//! The Operators page's logic (issue 15), with no `web-sys` inside: the operator accounts
//! (roles that may manage operators), the form that adds one, each row's actions (change the
//! role, disable or enable, reset the password, clear the second factor, remove after a
//! confirmation), and the one-time link an addition or a reset answers with. A new operator
//! has no password until they open that link.

use confide_protocol::accounts::{
    NewOperator, OneTimeLink, OperatorChange, OperatorView, LINK_TTL_HOURS,
};
use std::collections::HashMap;
use std::rc::Rc;
use yew::Reducible;

pub const PATH: &str = "/api/admin/operators";

/// `/api/admin/operators/{id}`.
pub fn operator_path(id: i64) -> String {
    format!("{PATH}/{id}")
}

/// Where an account stands, as the table's Status column says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    /// Cannot sign in; kept with their history.
    Disabled,
    /// Added (or reset), the one-time link not used yet.
    WaitingForPassword,
}

impl Status {
    pub fn of(o: &OperatorView) -> Self {
        if o.disabled {
            Status::Disabled
        } else if !o.password_set {
            Status::WaitingForPassword
        } else {
            Status::Active
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Active => "Active",
            Status::Disabled => "Disabled",
            Status::WaitingForPassword => "Waiting for password",
        }
    }

    /// The row's `data-status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Disabled => "disabled",
            Status::WaitingForPassword => "waiting",
        }
    }
}

/// A one-time link as the admin copies it: the console's origin and the link's path (a path
/// that is already a whole URL is kept as it is).
pub fn link_url(origin: &str, path: &str) -> String {
    if path.starts_with("https://") || path.starts_with("http://") {
        return path.to_owned();
    }
    let origin = origin.trim_end_matches('/');
    if path.starts_with('/') {
        format!("{origin}{path}")
    } else {
        format!("{origin}/{path}")
    }
}

/// What the link box says about a link that expires at `until` (as the page words the time).
pub fn link_note(until: &str) -> String {
    format!(
        "This link works once, within {LINK_TTL_HOURS} hours (until {until}). Send it to the operator by a channel you trust; whoever opens it sets the password."
    )
}

/// The add form's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Email,
    Name,
    Alias,
    Role,
}

impl Field {
    /// The input's `id` (and `name`).
    pub fn id(self) -> &'static str {
        match self {
            Field::Email => "operator-email",
            Field::Name => "operator-name",
            Field::Alias => "operator-alias",
            Field::Role => "operator-role-new",
        }
    }
}

/// The form that adds an operator, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddForm {
    pub email: String,
    pub name: String,
    pub alias: String,
    pub role: String,
}

/// Whether this looks like an email address: something, `@`, something with a dot, no
/// spaces. The server decides; this only catches a typo before sending.
pub fn plausible_email(email: &str) -> bool {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

impl AddForm {
    /// What keeps the form from being sent, field by field.
    pub fn problems(&self) -> Vec<(Field, &'static str)> {
        let mut out = Vec::new();
        if !plausible_email(&self.email) {
            out.push((Field::Email, "Enter the operator's email address."));
        }
        if self.name.trim().is_empty() {
            out.push((Field::Name, "Enter the operator's name."));
        }
        if self.role.trim().is_empty() {
            out.push((Field::Role, "Choose a role."));
        }
        out
    }

    /// What is sent: trimmed; a blank alias is left to the server (the name's first word).
    pub fn new_operator(&self) -> NewOperator {
        let alias = self.alias.trim();
        NewOperator {
            email: self.email.trim().to_owned(),
            name: self.name.trim().to_owned(),
            alias: (!alias.is_empty()).then(|| alias.to_owned()),
            role: self.role.trim().to_owned(),
        }
    }

    fn set(&mut self, field: Field, value: String) {
        *match field {
            Field::Email => &mut self.email,
            Field::Name => &mut self.name,
            Field::Alias => &mut self.alias,
            Field::Role => &mut self.role,
        } = value;
    }
}

/// One call the page makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Add(NewOperator),
    Change { id: i64, change: OperatorChange },
    Reset(i64),
    Remove(i64),
}

/// A call to make; `seq` tells its answer from a stale one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRequest {
    pub seq: u64,
    pub op: Op,
}

/// What the server answered to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A change: the operator as changed.
    Operator(OperatorView),
    /// An addition or a password reset.
    Link(OneTimeLink),
    Removed,
}

/// A list: `None` while loading, `Some(Err)` with the message when it could not be loaded.
pub type Listed<T> = Option<Result<Vec<T>, String>>;

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OperatorsState {
    pub list: Listed<OperatorView>,
    /// The role names the selects offer.
    pub roles: Listed<String>,
    pub form: AddForm,
    /// An addition was tried: the form's problems are shown from then on.
    pub checked: bool,
    /// Roles picked in a row's select, not saved yet.
    choices: HashMap<i64, String>,
    /// The operator whose removal waits for "Remove" or "Cancel".
    pub confirm_remove: Option<i64>,
    pub request: Option<OpRequest>,
    seq: u64,
    /// The last call's result (`Ok`, what happened) or refusal (`Err`, the server's words).
    pub outcome: Option<Result<String, String>>,
    /// The last one-time link, until dismissed or replaced.
    pub link: Option<OneTimeLink>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperatorsAction {
    Loaded(Result<Vec<OperatorView>, String>),
    /// The roles' names, for the selects.
    Roles(Result<Vec<String>, String>),
    Edit(Field, String),
    /// The add form was submitted: sent when [`AddForm::problems`] finds nothing.
    Add,
    /// A row's role select changed.
    Choose {
        id: i64,
        role: String,
    },
    /// A row's "Save role".
    SaveRole(i64),
    SetDisabled(i64, bool),
    ResetPassword(i64),
    ClearSecondFactor(i64),
    /// A row's Remove: asks first.
    AskRemove(i64),
    CancelRemove,
    /// "Remove" in the confirmation.
    Remove(i64),
    /// The server answered call `seq`.
    Answered {
        seq: u64,
        result: Result<Answer, String>,
    },
    /// The link box's "Done".
    HideLink,
}

impl OperatorsState {
    /// The operators listed (none while loading or after an error).
    pub fn operators(&self) -> &[OperatorView] {
        match &self.list {
            Some(Ok(list)) => list,
            _ => &[],
        }
    }

    pub fn operator(&self, id: i64) -> Option<&OperatorView> {
        self.operators().iter().find(|o| o.id == id)
    }

    /// The role a row's select shows: the one picked, else the operator's.
    pub fn choice(&self, o: &OperatorView) -> String {
        self.choices
            .get(&o.id)
            .cloned()
            .unwrap_or_else(|| o.role.clone())
    }

    /// Whether a row's "Save role" has anything to save.
    pub fn role_changed(&self, o: &OperatorView) -> bool {
        self.choice(o) != o.role
    }

    /// The roles a row's select offers: every role listed, and the operator's own when the
    /// list lacks it (it could not be loaded).
    pub fn role_options(&self, current: &str) -> Vec<String> {
        let mut out: Vec<String> = match &self.roles {
            Some(Ok(roles)) => roles.clone(),
            _ => Vec::new(),
        };
        if !current.is_empty() && !out.iter().any(|r| r == current) {
            out.insert(0, current.to_owned());
        }
        out
    }

    /// The add form's problems, once an addition was tried.
    pub fn problems(&self) -> Vec<(Field, &'static str)> {
        if self.checked {
            self.form.problems()
        } else {
            Vec::new()
        }
    }

    pub fn invalid(&self, field: Field) -> bool {
        self.problems().iter().any(|(f, _)| *f == field)
    }

    /// Whether a call is in flight (every action waits).
    pub fn busy(&self) -> bool {
        self.request.is_some()
    }

    /// The one error the page shows: the last call's refusal, else a list that could not be
    /// loaded.
    pub fn error(&self) -> Option<String> {
        match (&self.outcome, &self.list, &self.roles) {
            (Some(Err(m)), _, _) => Some(m.clone()),
            (_, Some(Err(m)), _) => Some(format!("The operators could not be loaded: {m}")),
            (_, _, Some(Err(m))) => Some(format!("The roles could not be loaded: {m}")),
            _ => None,
        }
    }

    /// What the last call did, when it succeeded.
    pub fn result(&self) -> Option<&str> {
        match &self.outcome {
            Some(Ok(text)) => Some(text),
            _ => None,
        }
    }

    pub fn apply(&mut self, action: OperatorsAction) {
        match action {
            OperatorsAction::Loaded(result) => self.list = Some(result),
            OperatorsAction::Roles(result) => {
                if let Ok(roles) = &result {
                    if self.form.role.is_empty() {
                        self.form.role = default_role(roles);
                    }
                }
                self.roles = Some(result);
            }
            OperatorsAction::Edit(field, value) => self.form.set(field, value),
            OperatorsAction::Add => {
                if self.busy() {
                    return;
                }
                self.checked = true;
                if self.form.problems().is_empty() {
                    self.send(Op::Add(self.form.new_operator()));
                }
            }
            OperatorsAction::Choose { id, role } => {
                let same = self.operator(id).is_some_and(|o| o.role == role);
                if same {
                    self.choices.remove(&id);
                } else {
                    self.choices.insert(id, role);
                }
            }
            OperatorsAction::SaveRole(id) => {
                if let Some(role) = self.choices.get(&id).cloned() {
                    self.change(
                        id,
                        OperatorChange {
                            role: Some(role),
                            ..OperatorChange::default()
                        },
                    );
                }
            }
            OperatorsAction::SetDisabled(id, disabled) => self.change(
                id,
                OperatorChange {
                    disabled: Some(disabled),
                    ..OperatorChange::default()
                },
            ),
            OperatorsAction::ClearSecondFactor(id) => self.change(
                id,
                OperatorChange {
                    clear_second_factor: true,
                    ..OperatorChange::default()
                },
            ),
            OperatorsAction::ResetPassword(id) => {
                if self.operator(id).is_some() {
                    self.send(Op::Reset(id));
                }
            }
            OperatorsAction::AskRemove(id) => {
                if !self.busy() && self.operator(id).is_some() {
                    self.confirm_remove = Some(id);
                    self.outcome = None;
                }
            }
            OperatorsAction::CancelRemove => {
                if !self.busy() {
                    self.confirm_remove = None;
                }
            }
            OperatorsAction::Remove(id) => {
                if self.confirm_remove == Some(id) {
                    self.send(Op::Remove(id));
                }
            }
            OperatorsAction::Answered { seq, result } => {
                let Some(request) = self.request.take_if(|r| r.seq == seq) else {
                    return;
                };
                self.confirm_remove = None;
                self.outcome = Some(match result {
                    Ok(answer) => Ok(self.done(&request.op, answer)),
                    Err(message) => Err(message),
                });
            }
            OperatorsAction::HideLink => self.link = None,
        }
    }

    fn change(&mut self, id: i64, change: OperatorChange) {
        if self.operator(id).is_some() {
            self.send(Op::Change { id, change });
        }
    }

    fn send(&mut self, op: Op) {
        if self.busy() {
            return;
        }
        self.seq += 1;
        self.outcome = None;
        if !matches!(op, Op::Remove(_)) {
            self.confirm_remove = None;
        }
        self.request = Some(OpRequest { seq: self.seq, op });
    }

    /// Takes a successful answer into the list and says what happened.
    fn done(&mut self, op: &Op, answer: Answer) -> String {
        let name = |o: &OperatorView| {
            if o.name.trim().is_empty() {
                o.email.clone()
            } else {
                o.name.clone()
            }
        };
        match (op, answer) {
            (_, Answer::Operator(view)) => {
                let text = match op {
                    Op::Change { change, .. } => change_text(&name(&view), change),
                    _ => format!("{} was changed.", name(&view)),
                };
                self.upsert(view);
                text
            }
            (op, Answer::Link(link)) => {
                let who = name(&link.operator);
                let text = if matches!(op, Op::Add(_)) {
                    self.form = AddForm {
                        role: self.form.role.clone(),
                        ..AddForm::default()
                    };
                    self.checked = false;
                    format!("{who} was added. Send them the link below to set their password.")
                } else {
                    format!("{who}'s password was reset and their sessions ended. Send them the link below to set a new one.")
                };
                self.upsert(link.operator.clone());
                self.link = Some(link);
                text
            }
            (op, Answer::Removed) => {
                let id = match op {
                    Op::Remove(id) | Op::Reset(id) | Op::Change { id, .. } => Some(*id),
                    Op::Add(_) => None,
                };
                let who = id
                    .and_then(|id| self.operator(id))
                    .map(name)
                    .unwrap_or_else(|| "The operator".to_owned());
                if let (Some(id), Some(Ok(list))) = (id, &mut self.list) {
                    list.retain(|o| o.id != id);
                    self.choices.remove(&id);
                }
                format!("{who} was removed.")
            }
        }
    }

    fn upsert(&mut self, view: OperatorView) {
        self.choices.remove(&view.id);
        if let Some(Ok(list)) = &mut self.list {
            match list.iter_mut().find(|o| o.id == view.id) {
                Some(old) => *old = view,
                None => list.push(view),
            }
        }
    }
}

/// The role a new operator gets unless another is picked: `agent` when there is one.
pub fn default_role(roles: &[String]) -> String {
    roles
        .iter()
        .find(|r| r.as_str() == confide_protocol::roles::AGENT)
        .or_else(|| roles.first())
        .cloned()
        .unwrap_or_default()
}

/// What a change did, for the page's status line.
pub fn change_text(name: &str, change: &OperatorChange) -> String {
    if let Some(role) = &change.role {
        return format!("{name} now has the role {role}.");
    }
    match change.disabled {
        Some(true) => {
            return format!("{name} is disabled: they cannot sign in, and their sessions ended.")
        }
        Some(false) => return format!("{name} is enabled again."),
        None => {}
    }
    if change.clear_second_factor {
        return format!("{name}'s authenticator app and recovery codes were removed.");
    }
    format!("{name} was changed.")
}

impl Reducible for OperatorsState {
    type Action = OperatorsAction;

    fn reduce(self: Rc<Self>, action: OperatorsAction) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.apply(action);
        Rc::new(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: i64, name: &str, role: &str) -> OperatorView {
        OperatorView {
            id,
            email: format!("{}@example.com", name.to_lowercase()),
            name: name.into(),
            alias: name.into(),
            role: role.into(),
            disabled: false,
            password_set: true,
            totp: false,
            passkeys: 0,
            created_at: 1_700_000_000_000,
        }
    }

    fn link(operator: OperatorView) -> OneTimeLink {
        OneTimeLink {
            operator,
            path: "/console/set-password#abc".into(),
            expires_at: 1_700_086_400_000,
        }
    }

    fn loaded() -> OperatorsState {
        let mut s = OperatorsState::default();
        s.apply(OperatorsAction::Loaded(Ok(vec![
            view(1, "Ada", "admin"),
            view(2, "Grace", "agent"),
        ])));
        s.apply(OperatorsAction::Roles(Ok(vec![
            "admin".into(),
            "agent".into(),
            "readers".into(),
        ])));
        s
    }

    /// Answers the call in flight.
    fn answer(s: &mut OperatorsState, result: Result<Answer, String>) {
        let seq = s.request.as_ref().expect("a call in flight").seq;
        s.apply(OperatorsAction::Answered { seq, result });
    }

    #[test]
    fn the_status_is_disabled_then_waiting_then_active() {
        let mut o = view(1, "Ada", "admin");
        assert_eq!(Status::of(&o), Status::Active);
        o.password_set = false;
        assert_eq!(Status::of(&o), Status::WaitingForPassword);
        assert_eq!(Status::of(&o).label(), "Waiting for password");
        o.disabled = true;
        assert_eq!(Status::of(&o), Status::Disabled);
        assert_eq!(Status::of(&o).as_str(), "disabled");
    }

    #[test]
    fn a_link_is_the_origin_and_the_path() {
        assert_eq!(
            link_url("https://chat.example.com", "/console/set-password#t0k"),
            "https://chat.example.com/console/set-password#t0k"
        );
        assert_eq!(
            link_url("http://localhost:8080/", "console/set-password#t"),
            "http://localhost:8080/console/set-password#t"
        );
        assert_eq!(
            link_url("http://a", "https://b.example/console/set-password#t"),
            "https://b.example/console/set-password#t"
        );
        let note = link_note("09:30");
        assert!(
            note.contains("works once, within 24 hours (until 09:30)"),
            "{note}"
        );
        assert_eq!(operator_path(7), "/api/admin/operators/7");
    }

    #[test]
    fn the_add_form_checks_before_sending_and_trims() {
        let mut s = loaded();
        // The roles loaded pick agent.
        assert_eq!(s.form.role, "agent");
        assert!(s.problems().is_empty(), "nothing shown before a try");
        s.apply(OperatorsAction::Add);
        assert!(s.request.is_none());
        let fields: Vec<Field> = s.problems().iter().map(|p| p.0).collect();
        assert_eq!(fields, [Field::Email, Field::Name]);
        assert!(s.invalid(Field::Email) && !s.invalid(Field::Role));
        s.apply(OperatorsAction::Edit(
            Field::Email,
            " new@example.com ".into(),
        ));
        s.apply(OperatorsAction::Edit(Field::Name, " Lin Ho ".into()));
        s.apply(OperatorsAction::Edit(Field::Alias, "  ".into()));
        s.apply(OperatorsAction::Edit(Field::Role, "readers".into()));
        s.apply(OperatorsAction::Add);
        let sent = s.request.clone().expect("sent");
        assert_eq!(
            sent.op,
            Op::Add(NewOperator {
                email: "new@example.com".into(),
                name: "Lin Ho".into(),
                alias: None,
                role: "readers".into(),
            })
        );
        // A second click while in flight sends nothing more.
        s.apply(OperatorsAction::Add);
        assert_eq!(s.request.as_ref().map(|r| r.seq), Some(sent.seq));
        let added = OperatorView {
            password_set: false,
            ..view(3, "Lin Ho", "readers")
        };
        answer(&mut s, Ok(Answer::Link(link(added.clone()))));
        assert!(!s.busy());
        assert_eq!(s.operators().len(), 3);
        assert_eq!(s.link.as_ref().map(|l| l.operator.id), Some(3));
        assert!(s
            .result()
            .is_some_and(|r| r.starts_with("Lin Ho was added")));
        // The form is empty again, its role kept, its problems hidden.
        assert_eq!(s.form.email, "");
        assert_eq!(s.form.role, "readers");
        assert!(s.problems().is_empty());
        s.apply(OperatorsAction::HideLink);
        assert_eq!(s.link, None);

        assert!(!plausible_email("no-at-sign"));
        assert!(!plausible_email("a b@example.com"));
        assert!(!plausible_email("@example.com"));
        assert!(plausible_email("a@b"));
        let with_alias = AddForm {
            alias: " Lin ".into(),
            ..AddForm::default()
        };
        assert_eq!(with_alias.new_operator().alias.as_deref(), Some("Lin"));
    }

    #[test]
    fn the_default_role_is_agent_when_there_is_one() {
        assert_eq!(default_role(&["admin".into(), "agent".into()]), "agent");
        assert_eq!(default_role(&["admin".into(), "x".into()]), "admin");
        assert_eq!(default_role(&[]), "");
    }

    #[test]
    fn a_role_change_is_sent_only_when_another_role_is_picked() {
        let mut s = loaded();
        let grace = s.operator(2).cloned().expect("grace");
        assert!(!s.role_changed(&grace));
        s.apply(OperatorsAction::SaveRole(2));
        assert!(s.request.is_none(), "nothing picked, nothing sent");
        s.apply(OperatorsAction::Choose {
            id: 2,
            role: "readers".into(),
        });
        assert!(s.role_changed(&grace));
        assert_eq!(s.choice(&grace), "readers");
        s.apply(OperatorsAction::SaveRole(2));
        let sent = s.request.clone().expect("sent").op;
        assert_eq!(
            sent,
            Op::Change {
                id: 2,
                change: OperatorChange {
                    role: Some("readers".into()),
                    ..OperatorChange::default()
                }
            }
        );
        answer(&mut s, Ok(Answer::Operator(view(2, "Grace", "readers"))));
        let grace = s.operator(2).cloned().expect("grace");
        assert_eq!(grace.role, "readers");
        assert!(!s.role_changed(&grace));
        assert_eq!(s.result(), Some("Grace now has the role readers."));
        // Picking the role it has is no change.
        s.apply(OperatorsAction::Choose {
            id: 2,
            role: "admin".into(),
        });
        s.apply(OperatorsAction::Choose {
            id: 2,
            role: "readers".into(),
        });
        assert!(!s.role_changed(&grace));
        // A role the list lacks is still offered for the operator who has it.
        assert_eq!(
            s.role_options("gone"),
            ["gone", "admin", "agent", "readers"]
        );
        assert_eq!(s.role_options("agent"), ["admin", "agent", "readers"]);
    }

    #[test]
    fn the_last_manager_refusal_is_the_error_and_nothing_changes() {
        let mut s = loaded();
        s.apply(OperatorsAction::SetDisabled(1, true));
        assert_eq!(
            s.request.as_ref().map(|r| r.op.clone()),
            Some(Op::Change {
                id: 1,
                change: OperatorChange {
                    disabled: Some(true),
                    ..OperatorChange::default()
                }
            })
        );
        // Another action waits for the answer.
        s.apply(OperatorsAction::ResetPassword(2));
        assert!(matches!(
            s.request.as_ref().map(|r| &r.op),
            Some(Op::Change { id: 1, .. })
        ));
        // A stale answer changes nothing.
        s.apply(OperatorsAction::Answered {
            seq: 99,
            result: Err("stale".into()),
        });
        assert!(s.busy());
        answer(
            &mut s,
            Err("No operator would be left who may manage operators.".into()),
        );
        assert_eq!(
            s.error().as_deref(),
            Some("No operator would be left who may manage operators.")
        );
        assert_eq!(s.result(), None);
        assert!(!s.operator(1).expect("ada").disabled);
        // The next action clears it.
        s.apply(OperatorsAction::SetDisabled(2, true));
        assert_eq!(s.error(), None);
        let disabled = OperatorView {
            disabled: true,
            ..view(2, "Grace", "agent")
        };
        answer(&mut s, Ok(Answer::Operator(disabled)));
        assert!(s.operator(2).expect("grace").disabled);
        assert!(s
            .result()
            .is_some_and(|r| r.starts_with("Grace is disabled")));
    }

    #[test]
    fn a_reset_shows_the_link_and_clearing_the_second_factor_says_so() {
        let mut s = loaded();
        s.apply(OperatorsAction::ResetPassword(2));
        assert_eq!(s.request.as_ref().map(|r| r.op.clone()), Some(Op::Reset(2)));
        let reset = OperatorView {
            password_set: false,
            ..view(2, "Grace", "agent")
        };
        answer(&mut s, Ok(Answer::Link(link(reset))));
        assert_eq!(
            Status::of(s.operator(2).expect("grace")),
            Status::WaitingForPassword
        );
        assert!(s.link.is_some());
        assert!(s.result().is_some_and(|r| r.contains("password was reset")));

        s.apply(OperatorsAction::ClearSecondFactor(1));
        assert_eq!(
            s.request.as_ref().map(|r| r.op.clone()),
            Some(Op::Change {
                id: 1,
                change: OperatorChange {
                    clear_second_factor: true,
                    ..OperatorChange::default()
                }
            })
        );
        answer(&mut s, Ok(Answer::Operator(view(1, "Ada", "admin"))));
        assert_eq!(
            s.result(),
            Some("Ada's authenticator app and recovery codes were removed.")
        );
        // The link stays up until dismissed.
        assert!(s.link.is_some());
        // An unknown operator sends nothing.
        s.apply(OperatorsAction::ResetPassword(42));
        s.apply(OperatorsAction::SetDisabled(42, false));
        assert!(s.request.is_none());
    }

    #[test]
    fn a_removal_is_confirmed_first_and_can_be_cancelled() {
        let mut s = loaded();
        // Remove without asking first sends nothing.
        s.apply(OperatorsAction::Remove(2));
        assert!(s.request.is_none());
        s.apply(OperatorsAction::AskRemove(2));
        assert_eq!(s.confirm_remove, Some(2));
        s.apply(OperatorsAction::CancelRemove);
        assert_eq!(s.confirm_remove, None);
        s.apply(OperatorsAction::AskRemove(2));
        // Confirming another id sends nothing.
        s.apply(OperatorsAction::Remove(1));
        assert!(s.request.is_none());
        s.apply(OperatorsAction::Remove(2));
        assert_eq!(
            s.request.as_ref().map(|r| r.op.clone()),
            Some(Op::Remove(2))
        );
        // The confirmation stays (its buttons wait) until the answer.
        s.apply(OperatorsAction::CancelRemove);
        assert_eq!(s.confirm_remove, Some(2));
        answer(&mut s, Ok(Answer::Removed));
        assert_eq!(s.confirm_remove, None);
        assert!(s.operator(2).is_none());
        assert_eq!(s.result(), Some("Grace was removed."));
        // Refused: the row stays, the words are the error.
        s.apply(OperatorsAction::AskRemove(1));
        s.apply(OperatorsAction::Remove(1));
        answer(
            &mut s,
            Err("Ada is the last operator who may manage operators.".into()),
        );
        assert!(s.operator(1).is_some());
        assert_eq!(s.confirm_remove, None);
        assert_eq!(
            s.error().as_deref(),
            Some("Ada is the last operator who may manage operators.")
        );
    }

    #[test]
    fn lists_that_could_not_be_loaded_are_the_error() {
        let mut s = OperatorsState::default();
        assert_eq!(s.error(), None);
        s.apply(OperatorsAction::Roles(Err("Offline.".into())));
        assert_eq!(
            s.error().as_deref(),
            Some("The roles could not be loaded: Offline.")
        );
        assert_eq!(s.form.role, "");
        s.apply(OperatorsAction::Loaded(Err("Not allowed.".into())));
        assert_eq!(
            s.error().as_deref(),
            Some("The operators could not be loaded: Not allowed.")
        );
    }

    #[test]
    fn every_change_is_worded() {
        let c = |change: OperatorChange| change_text("Ada", &change);
        assert_eq!(
            c(OperatorChange {
                disabled: Some(false),
                ..OperatorChange::default()
            }),
            "Ada is enabled again."
        );
        assert_eq!(c(OperatorChange::default()), "Ada was changed.");
    }
}
