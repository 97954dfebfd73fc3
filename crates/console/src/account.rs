//! The operator's own account (issue 15), with no `web-sys` inside: changing the password,
//! enrolling or removing an authenticator app (a yew [`Reducible`], reused by the screen an
//! operator whose role requires a second factor sees until they enrol), the set-password page
//! a one-time link opens, and the sign-in form's second step.

use confide_protocol::accounts::{RecoveryCodes, SecondFactorProof, TotpEnrolment};
use std::rc::Rc;
use yew::Reducible;

pub const SET_PASSWORD_PATH: &str = "/api/account/password";
pub const CHANGE_PASSWORD_PATH: &str = "/api/operator/password";
pub const TOTP_PATH: &str = "/api/operator/totp";
pub const TOTP_CONFIRM_PATH: &str = "/api/operator/totp/confirm";
pub const TOTP_REMOVE_PATH: &str = "/api/operator/totp/remove";

/// The shortest password the server takes, in characters.
pub const MIN_PASSWORD: usize = 10;

/// Said for a 401 to a password change without the server's words.
pub const WRONG_PASSWORD: &str = "The password is wrong.";
/// Said when a one-time link was used, replaced or is too old.
pub const LINK_EXPIRED: &str =
    "This link was used already or has expired. Ask an administrator for a new one.";
/// Said when the page was opened without a token after the `#`.
pub const NO_TOKEN: &str =
    "This link is incomplete. Open the whole link you were sent, or ask an administrator for a new one.";

/// What keeps a new password (typed twice) from being sent, if anything.
pub fn password_problem(new: &str, repeat: &str) -> Option<&'static str> {
    if new.chars().count() < MIN_PASSWORD {
        Some("The new password needs at least 10 characters.")
    } else if new != repeat {
        Some("The two new passwords are not the same.")
    } else {
        None
    }
}

/// Whether the console document was opened as the set-password page
/// (`/console/set-password#<token>`).
pub fn is_set_password_path(pathname: &str) -> bool {
    pathname.trim_end_matches('/').ends_with("/set-password")
}

/// The one-time link's token, from `location.hash`.
pub fn token_from_hash(hash: &str) -> Option<String> {
    let token = hash.strip_prefix('#').unwrap_or(hash).trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// A code from the authenticator app as typed: spaces and dashes taken out (apps show
/// `123 456`). `None` unless six digits remain.
pub fn totp_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (code.len() == 6 && code.chars().all(|c| c.is_ascii_digit())).then_some(code)
}

/// The sign-in form's second step: the code as typed (six digits, or a recovery code with
/// letters and dashes), trimmed; `None` when blank.
pub fn login_code(typed: &str) -> Option<String> {
    let code = typed.trim();
    (!code.is_empty()).then(|| code.to_owned())
}

/// Where the two-factor section is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Step {
    /// Nothing started: "Set up" (or, enrolled, the removal form).
    #[default]
    Idle,
    /// A secret to add to the app and confirm with a code.
    Enrolling(TotpEnrolment),
    /// Confirmed: the recovery codes, shown this once.
    Codes(Vec<String>),
}

/// A call the section makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TotpCall {
    Start,
    Confirm(SecondFactorProof),
    Remove(SecondFactorProof),
}

/// A call to make; `seq` tells its answer from a stale one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRequest {
    pub seq: u64,
    pub call: TotpCall,
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TotpAnswer {
    Started(TotpEnrolment),
    Confirmed(RecoveryCodes),
    Removed,
}

/// The two-factor section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TwoFactorState {
    pub step: Step,
    /// The code input while enrolling.
    pub code: String,
    /// The password input of the removal form.
    pub password: String,
    pub request: Option<TotpRequest>,
    seq: u64,
    /// The last refusal (the server's words) or local check.
    pub error: Option<String>,
    /// The authenticator was just removed.
    pub removed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwoFactorAction {
    /// "Set up an authenticator app".
    Start,
    Code(String),
    /// "Confirm": sent when the code is six digits.
    Confirm,
    /// Back from the secret to the start.
    Cancel,
    Password(String),
    /// "Remove the authenticator app": sent when a password is typed.
    Remove,
    /// The server answered call `seq`.
    Answered {
        seq: u64,
        result: Result<TotpAnswer, String>,
    },
    /// "I have stored the codes": the codes go.
    Finish,
}

impl TwoFactorState {
    pub fn busy(&self) -> bool {
        self.request.is_some()
    }

    /// The recovery codes, while shown.
    pub fn codes(&self) -> Option<&[String]> {
        match &self.step {
            Step::Codes(codes) => Some(codes),
            _ => None,
        }
    }

    pub fn apply(&mut self, action: TwoFactorAction) {
        match action {
            TwoFactorAction::Start => {
                if matches!(self.step, Step::Idle) {
                    self.removed = false;
                    self.send(TotpCall::Start);
                }
            }
            TwoFactorAction::Code(code) => self.code = code,
            TwoFactorAction::Confirm => {
                if !matches!(self.step, Step::Enrolling(_)) || self.busy() {
                    return;
                }
                match totp_code(&self.code) {
                    Some(code) => self.send(TotpCall::Confirm(SecondFactorProof {
                        code: Some(code),
                        password: None,
                    })),
                    None => {
                        self.error =
                            Some("Enter the six digits your authenticator app shows.".into())
                    }
                }
            }
            TwoFactorAction::Cancel => {
                if matches!(self.step, Step::Enrolling(_)) && !self.busy() {
                    self.step = Step::Idle;
                    self.code.clear();
                    self.error = None;
                }
            }
            TwoFactorAction::Password(password) => self.password = password,
            TwoFactorAction::Remove => {
                if !matches!(self.step, Step::Idle) || self.busy() {
                    return;
                }
                if self.password.is_empty() {
                    self.error = Some("Enter your password to remove the app.".into());
                    return;
                }
                self.send(TotpCall::Remove(SecondFactorProof {
                    code: None,
                    password: Some(self.password.clone()),
                }));
            }
            TwoFactorAction::Answered { seq, result } => {
                let Some(request) = self.request.take_if(|r| r.seq == seq) else {
                    return;
                };
                match (request.call, result) {
                    (_, Err(message)) => {
                        self.error = Some(message);
                        // A code refused is typed again; a password too.
                        self.code.clear();
                        self.password.clear();
                    }
                    (TotpCall::Start, Ok(TotpAnswer::Started(enrolment))) => {
                        self.step = Step::Enrolling(enrolment);
                        self.code.clear();
                    }
                    (TotpCall::Confirm(_), Ok(TotpAnswer::Confirmed(codes))) => {
                        self.step = Step::Codes(codes.codes);
                        self.code.clear();
                    }
                    (TotpCall::Remove(_), Ok(TotpAnswer::Removed)) => {
                        self.password.clear();
                        self.removed = true;
                    }
                    // An answer that does not fit the call: nothing to show but a failure.
                    _ => {
                        self.error = Some(
                            "The server sent an answer the console does not understand.".into(),
                        )
                    }
                }
            }
            TwoFactorAction::Finish => {
                if matches!(self.step, Step::Codes(_)) {
                    self.step = Step::Idle;
                }
            }
        }
    }

    fn send(&mut self, call: TotpCall) {
        if self.busy() {
            return;
        }
        self.seq += 1;
        self.error = None;
        self.request = Some(TotpRequest {
            seq: self.seq,
            call,
        });
    }
}

impl Reducible for TwoFactorState {
    type Action = TwoFactorAction;

    fn reduce(self: Rc<Self>, action: TwoFactorAction) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.apply(action);
        Rc::new(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrolment() -> TotpEnrolment {
        TotpEnrolment {
            secret: "JBSWY3DPEHPK3PXP".into(),
            uri: "otpauth://totp/Confide:ada?secret=JBSWY3DPEHPK3PXP".into(),
            qr_svg: "<svg xmlns=\"http://www.w3.org/2000/svg\"/>".into(),
        }
    }

    fn answer(s: &mut TwoFactorState, result: Result<TotpAnswer, String>) {
        let seq = s.request.as_ref().expect("a call in flight").seq;
        s.apply(TwoFactorAction::Answered { seq, result });
    }

    #[test]
    fn a_new_password_needs_ten_characters_typed_the_same_twice() {
        assert_eq!(
            password_problem("short", "short"),
            Some("The new password needs at least 10 characters.")
        );
        assert_eq!(
            password_problem("long enough!", "long enough?"),
            Some("The two new passwords are not the same.")
        );
        assert_eq!(password_problem("long enough!", "long enough!"), None);
        // Characters, not bytes.
        assert!(password_problem("ééééé", "ééééé").is_some());
        assert_eq!(password_problem("éééééééééé", "éééééééééé"), None);
    }

    #[test]
    fn the_set_password_page_is_found_by_its_path_and_its_token_by_the_hash() {
        assert!(is_set_password_path("/console/set-password"));
        assert!(is_set_password_path("/console/set-password/"));
        assert!(!is_set_password_path("/console/"));
        assert!(!is_set_password_path("/console/set-passwords"));
        assert_eq!(token_from_hash("#abc-123").as_deref(), Some("abc-123"));
        assert_eq!(token_from_hash("abc").as_deref(), Some("abc"));
        assert_eq!(token_from_hash("#"), None);
        assert_eq!(token_from_hash(""), None);
    }

    #[test]
    fn codes_are_taken_as_apps_show_them() {
        assert_eq!(totp_code("123 456").as_deref(), Some("123456"));
        assert_eq!(totp_code(" 123-456 ").as_deref(), Some("123456"));
        assert_eq!(totp_code("12345"), None);
        assert_eq!(totp_code("12345a"), None);
        assert_eq!(login_code("  abcd-efgh "), Some("abcd-efgh".into()));
        assert_eq!(login_code("   "), None);
    }

    #[test]
    fn enrolling_starts_confirms_and_shows_the_codes_once() {
        let mut s = TwoFactorState::default();
        // Nothing to confirm before starting.
        s.apply(TwoFactorAction::Confirm);
        assert!(s.request.is_none());
        s.apply(TwoFactorAction::Start);
        assert_eq!(s.request.as_ref().map(|r| &r.call), Some(&TotpCall::Start));
        s.apply(TwoFactorAction::Start);
        assert_eq!(s.request.as_ref().map(|r| r.seq), Some(1));
        answer(&mut s, Ok(TotpAnswer::Started(enrolment())));
        assert_eq!(s.step, Step::Enrolling(enrolment()));
        // A code that is not six digits is not sent.
        s.apply(TwoFactorAction::Code("12 34".into()));
        s.apply(TwoFactorAction::Confirm);
        assert!(s.request.is_none());
        assert!(s.error.as_deref().is_some_and(|e| e.contains("six digits")));
        // A refused code is said and typed again.
        s.apply(TwoFactorAction::Code("123 456".into()));
        s.apply(TwoFactorAction::Confirm);
        assert_eq!(s.error, None);
        assert_eq!(
            s.request.as_ref().map(|r| &r.call),
            Some(&TotpCall::Confirm(SecondFactorProof {
                code: Some("123456".into()),
                password: None
            }))
        );
        answer(&mut s, Err("That code is not right.".into()));
        assert_eq!(s.error.as_deref(), Some("That code is not right."));
        assert_eq!(s.code, "");
        assert!(matches!(s.step, Step::Enrolling(_)));
        s.apply(TwoFactorAction::Code("654321".into()));
        s.apply(TwoFactorAction::Confirm);
        let codes: Vec<String> = (0..10).map(|i| format!("code-{i}")).collect();
        answer(
            &mut s,
            Ok(TotpAnswer::Confirmed(RecoveryCodes {
                codes: codes.clone(),
            })),
        );
        assert_eq!(s.codes(), Some(codes.as_slice()));
        assert_eq!(s.error, None);
        s.apply(TwoFactorAction::Finish);
        assert_eq!(s.step, Step::Idle);
        assert_eq!(s.codes(), None);
    }

    #[test]
    fn a_started_enrolment_can_be_left_and_a_stale_answer_is_dropped() {
        let mut s = TwoFactorState::default();
        s.apply(TwoFactorAction::Start);
        s.apply(TwoFactorAction::Answered {
            seq: 7,
            result: Ok(TotpAnswer::Started(enrolment())),
        });
        assert_eq!(s.step, Step::Idle);
        assert!(s.busy());
        answer(&mut s, Err("Offline.".into()));
        assert_eq!(s.step, Step::Idle);
        assert_eq!(s.error.as_deref(), Some("Offline."));
        s.apply(TwoFactorAction::Start);
        answer(&mut s, Ok(TotpAnswer::Started(enrolment())));
        s.apply(TwoFactorAction::Code("1".into()));
        s.apply(TwoFactorAction::Cancel);
        assert_eq!(s.step, Step::Idle);
        assert_eq!(s.code, "");
    }

    #[test]
    fn removing_needs_the_password() {
        let mut s = TwoFactorState::default();
        s.apply(TwoFactorAction::Remove);
        assert!(s.request.is_none());
        assert!(s.error.is_some());
        s.apply(TwoFactorAction::Password("hunter2hunter2".into()));
        s.apply(TwoFactorAction::Remove);
        assert_eq!(
            s.request.as_ref().map(|r| &r.call),
            Some(&TotpCall::Remove(SecondFactorProof {
                code: None,
                password: Some("hunter2hunter2".into())
            }))
        );
        answer(&mut s, Err("The password is wrong.".into()));
        assert_eq!(s.error.as_deref(), Some("The password is wrong."));
        assert_eq!(s.password, "");
        assert!(!s.removed);
        s.apply(TwoFactorAction::Password("right one!!".into()));
        s.apply(TwoFactorAction::Remove);
        answer(&mut s, Ok(TotpAnswer::Removed));
        assert!(s.removed);
        assert_eq!(s.error, None);
        assert_eq!(s.password, "");
        // Setting up again clears the note.
        s.apply(TwoFactorAction::Start);
        assert!(!s.removed);
    }
}
