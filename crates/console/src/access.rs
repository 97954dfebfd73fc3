//! "Who may reach the console" (issue 15), with no `web-sys` inside: the console's IP
//! allowlist as the operator edits it (one address or CIDR range per line), what a save sends,
//! and what the form shows after each answer. A list that would shut out the address saving it
//! comes back 409; the operator may then confirm and send the same list again with
//! `lock_out_confirmed`. Shown on the Sessions page to roles that may manage operators.

use crate::api::{error_for, ApiError};
use confide_protocol::accounts::ConsoleAccess;
use confide_protocol::ErrorBody;
use std::rc::Rc;
use yew::Reducible;

pub const PATH: &str = "/api/admin/access";

/// Said for a 409 without the server's words.
pub const LOCK_OUT: &str = "This list does not include the address you are saving it from: you would be shut out of the console.";

/// The textarea's lines as the list to send: each trimmed, blank ones left out.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A list as the textarea shows it: one entry per line.
pub fn list_text(list: &[String]) -> String {
    list.join("\n")
}

/// Why a save did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveError {
    /// 400: an entry is neither an address nor a range; the server's words.
    Invalid(String),
    /// 409: the list would shut out the address saving it; the server's words.
    LockOut(String),
    /// Anything else (a 401 signs out).
    Failed(ApiError),
}

impl SaveError {
    /// As the reducer keeps it; `word` words (and acts on) any other failure.
    pub fn worded(self, word: impl FnOnce(&ApiError) -> String) -> SaveFailure {
        match self {
            SaveError::Invalid(m) => SaveFailure::Invalid(m),
            SaveError::LockOut(m) => SaveFailure::LockOut(m),
            SaveError::Failed(e) => SaveFailure::Failed(word(&e)),
        }
    }
}

/// A save's refusal by its status and body.
pub fn save_error(status: u16, body: &str) -> SaveError {
    let message = serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.message);
    match status {
        400 => SaveError::Invalid(
            message.unwrap_or_else(|| "Every line must be an address or a CIDR range.".into()),
        ),
        409 => SaveError::LockOut(message.unwrap_or_else(|| LOCK_OUT.into())),
        _ => SaveError::Failed(error_for(status, body)),
    }
}

/// A save to send; `seq` tells its answer from a stale one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveRequest {
    pub seq: u64,
    pub access: ConsoleAccess,
}

/// What the last save came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Saved; the textarea shows the list as the server normalised it.
    Saved,
    /// 400: the textarea is marked invalid.
    Invalid(String),
    /// 409: the message, and the list that "Save anyway" sends again.
    LockOut { message: String, list: Vec<String> },
    /// Any other failure.
    Failed(String),
}

/// The section: the list being edited, the save in flight, and what the last one came to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccessState {
    /// `None` while loading; `Some(Err)` with the message when the list could not be loaded
    /// (then there is no form: saving a list never seen would overwrite it blind).
    pub loaded: Option<Result<(), String>>,
    /// The textarea.
    pub text: String,
    pub request: Option<SaveRequest>,
    seq: u64,
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AccessAction {
    /// The list as saved, or why it could not be read.
    Loaded(Result<ConsoleAccess, String>),
    /// The textarea changed.
    Edit(String),
    /// The form was submitted.
    Save,
    /// "Save anyway": the list refused with a 409, sent again with `lock_out_confirmed`.
    Confirm,
    /// "Cancel" on the 409: nothing is saved, the list stays as typed.
    Cancel,
    /// The server answered save `seq`: the list as saved, or why not (the message words it).
    Answered {
        seq: u64,
        result: Result<ConsoleAccess, SaveFailure>,
    },
}

/// A refused save as the reducer keeps it (a [`SaveError`] with the failure worded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveFailure {
    Invalid(String),
    LockOut(String),
    Failed(String),
}

impl AccessState {
    pub fn apply(&mut self, action: AccessAction) {
        match action {
            AccessAction::Loaded(result) => {
                if self.loaded.is_some() {
                    return;
                }
                match result {
                    Ok(access) => {
                        self.text = list_text(&access.allowlist);
                        self.loaded = Some(Ok(()));
                    }
                    Err(message) => self.loaded = Some(Err(message)),
                }
            }
            AccessAction::Edit(text) => {
                self.text = text;
                // "Saved." no longer describes the text, nor the confirmation the list it was
                // asked for.
                if matches!(self.outcome, Some(Outcome::Saved | Outcome::LockOut { .. })) {
                    self.outcome = None;
                }
            }
            AccessAction::Save => {
                let list = parse_list(&self.text);
                self.send(list, false);
            }
            AccessAction::Confirm => {
                if let Some(Outcome::LockOut { list, .. }) = &self.outcome {
                    let list = list.clone();
                    self.send(list, true);
                }
            }
            AccessAction::Cancel => {
                if self.request.is_none() && matches!(self.outcome, Some(Outcome::LockOut { .. })) {
                    self.outcome = None;
                }
            }
            AccessAction::Answered { seq, result } => {
                if self.request.as_ref().map(|r| r.seq) != Some(seq) {
                    return;
                }
                let sent = self.request.take().map(|r| r.access.allowlist);
                self.outcome = Some(match result {
                    Ok(saved) => {
                        self.text = list_text(&saved.allowlist);
                        Outcome::Saved
                    }
                    Err(SaveFailure::Invalid(m)) => Outcome::Invalid(m),
                    Err(SaveFailure::LockOut(message)) => Outcome::LockOut {
                        message,
                        list: sent.unwrap_or_default(),
                    },
                    Err(SaveFailure::Failed(m)) => Outcome::Failed(m),
                });
            }
        }
    }

    fn send(&mut self, allowlist: Vec<String>, lock_out_confirmed: bool) {
        if self.busy() || !matches!(self.loaded, Some(Ok(()))) {
            return;
        }
        self.seq += 1;
        // A refused entry stays marked, and the lock-out offer stays up (its buttons wait),
        // until the answer; an older "Saved." or failure goes.
        if matches!(self.outcome, Some(Outcome::Saved | Outcome::Failed(_))) {
            self.outcome = None;
        }
        self.request = Some(SaveRequest {
            seq: self.seq,
            access: ConsoleAccess {
                allowlist,
                lock_out_confirmed,
            },
        });
    }

    /// Whether a save is in flight.
    pub fn busy(&self) -> bool {
        self.request.is_some()
    }

    /// Whether the textarea is marked invalid (the server refused an entry).
    pub fn invalid(&self) -> bool {
        matches!(self.outcome, Some(Outcome::Invalid(_)))
    }

    /// The error the section shows: a refused entry, a failed save, or a list that could not
    /// be loaded.
    pub fn error(&self) -> Option<String> {
        match (&self.outcome, &self.loaded) {
            (Some(Outcome::Invalid(m) | Outcome::Failed(m)), _) => Some(m.clone()),
            (_, Some(Err(m))) => Some(format!("The list could not be loaded: {m}")),
            _ => None,
        }
    }

    /// The 409's message, while "Save anyway" is offered.
    pub fn lock_out(&self) -> Option<&str> {
        match &self.outcome {
            Some(Outcome::LockOut { message, .. }) => Some(message),
            _ => None,
        }
    }

    /// Whether the last save succeeded.
    pub fn saved(&self) -> bool {
        self.outcome == Some(Outcome::Saved)
    }
}

impl Reducible for AccessState {
    type Action = AccessAction;

    fn reduce(self: Rc<Self>, action: AccessAction) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.apply(action);
        Rc::new(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(list: &[&str]) -> ConsoleAccess {
        ConsoleAccess {
            allowlist: list.iter().map(|&e| e.to_owned()).collect(),
            lock_out_confirmed: false,
        }
    }

    fn loaded(list: &[&str]) -> AccessState {
        let mut s = AccessState::default();
        s.apply(AccessAction::Loaded(Ok(access(list))));
        s
    }

    fn sent(s: &AccessState) -> SaveRequest {
        s.request.clone().expect("a save in flight")
    }

    #[test]
    fn lines_become_entries_and_blank_ones_are_ignored() {
        assert_eq!(
            parse_list("10.0.0.0/8\n\n  2001:db8::/32 \r\n\t\n192.0.2.7\n"),
            ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]
        );
        assert!(parse_list("").is_empty());
        assert!(parse_list(" \n\n").is_empty());
        let list = parse_list("10.0.0.0/8\n::1");
        assert_eq!(list_text(&list), "10.0.0.0/8\n::1");
        assert_eq!(list_text(&[]), "");
    }

    #[test]
    fn refusals_are_worded_by_status() {
        assert_eq!(
            save_error(
                400,
                r#"{"code":"invalid","message":"allowlist.1: not an address or a CIDR range (such as 192.0.2.0/24 or 2001:db8::/32)"}"#
            ),
            SaveError::Invalid(
                "allowlist.1: not an address or a CIDR range (such as 192.0.2.0/24 or 2001:db8::/32)"
                    .into()
            )
        );
        assert_eq!(
            save_error(
                409,
                r#"{"code":"conflict","message":"you would be shut out"}"#
            ),
            SaveError::LockOut("you would be shut out".into())
        );
        assert_eq!(save_error(409, ""), SaveError::LockOut(LOCK_OUT.into()));
        assert!(matches!(save_error(400, "<html>"), SaveError::Invalid(m) if !m.is_empty()));
        assert!(matches!(
            save_error(401, ""),
            SaveError::Failed(ApiError::Unauthorized(_))
        ));
        assert_eq!(
            save_error(403, r#"{"code":"forbidden","message":"needs operators"}"#),
            SaveError::Failed(ApiError::Server("needs operators".into()))
        );
    }

    #[test]
    fn the_list_loads_into_the_textarea_and_a_failure_leaves_no_form() {
        let s = loaded(&["10.0.0.0/8", "2001:db8::/32"]);
        assert_eq!(s.text, "10.0.0.0/8\n2001:db8::/32");
        assert_eq!(s.error(), None);

        let mut s = AccessState::default();
        s.apply(AccessAction::Loaded(Err("Offline.".into())));
        assert_eq!(
            s.error().as_deref(),
            Some("The list could not be loaded: Offline.")
        );
        // Nothing is saved over a list never seen.
        s.apply(AccessAction::Save);
        assert!(!s.busy());
        // Nor while it is still loading.
        let mut s = AccessState::default();
        s.apply(AccessAction::Save);
        assert!(!s.busy());
    }

    #[test]
    fn a_save_sends_the_lines_and_shows_the_list_as_saved() {
        let mut s = loaded(&[]);
        assert_eq!(s.text, "");
        s.apply(AccessAction::Edit(
            "10.1.2.3/8\n\n 2001:db8::1/32 \n".into(),
        ));
        s.apply(AccessAction::Save);
        let request = sent(&s);
        assert_eq!(
            request.access,
            access(&["10.1.2.3/8", "2001:db8::1/32"]),
            "blank lines left out, not confirmed"
        );
        // A second submit while the first is in flight is ignored.
        s.apply(AccessAction::Save);
        assert_eq!(sent(&s), request);
        // A stale answer changes nothing.
        s.apply(AccessAction::Answered {
            seq: request.seq + 1,
            result: Ok(access(&[])),
        });
        assert!(s.busy());
        s.apply(AccessAction::Answered {
            seq: request.seq,
            result: Ok(access(&["10.0.0.0/8", "2001:db8::/32"])),
        });
        assert!(!s.busy());
        assert!(s.saved());
        assert_eq!(s.text, "10.0.0.0/8\n2001:db8::/32", "as normalised");
        assert_eq!(s.error(), None);
        // Editing again: "Saved." no longer holds.
        s.apply(AccessAction::Edit("10.0.0.0/8".into()));
        assert!(!s.saved());

        // An empty list is a save too: every address.
        s.apply(AccessAction::Edit("\n \n".into()));
        s.apply(AccessAction::Save);
        assert_eq!(sent(&s).access, access(&[]));
    }

    #[test]
    fn a_refused_entry_marks_the_textarea_until_the_next_save() {
        let mut s = loaded(&[]);
        s.apply(AccessAction::Edit("10.0.0.0/8\nnot-an-address".into()));
        s.apply(AccessAction::Save);
        let seq = sent(&s).seq;
        let message = "allowlist.1: not an address or a CIDR range (such as 192.0.2.0/24)";
        s.apply(AccessAction::Answered {
            seq,
            result: Err(SaveFailure::Invalid(message.into())),
        });
        assert!(s.invalid());
        assert_eq!(s.error().as_deref(), Some(message));
        assert_eq!(s.text, "10.0.0.0/8\nnot-an-address", "kept as typed");
        s.apply(AccessAction::Edit("10.0.0.0/8\n".into()));
        assert!(s.invalid(), "until the server says otherwise");
        s.apply(AccessAction::Save);
        let seq = sent(&s).seq;
        s.apply(AccessAction::Answered {
            seq,
            result: Ok(access(&["10.0.0.0/8"])),
        });
        assert!(!s.invalid() && s.saved());
        assert_eq!(s.error(), None);
    }

    #[test]
    fn a_lock_out_is_confirmed_with_the_same_list_or_cancelled() {
        let mut s = loaded(&["10.0.0.0/8"]);
        s.apply(AccessAction::Edit("192.0.2.0/24\n".into()));
        s.apply(AccessAction::Save);
        let seq = sent(&s).seq;
        s.apply(AccessAction::Answered {
            seq,
            result: Err(SaveFailure::LockOut("you would be shut out".into())),
        });
        assert_eq!(s.lock_out(), Some("you would be shut out"));
        assert!(!s.invalid() && s.error().is_none() && !s.saved());

        // Cancel: nothing sent, the list stays as typed.
        s.apply(AccessAction::Cancel);
        assert_eq!(s.lock_out(), None);
        assert!(!s.busy());
        assert_eq!(s.text, "192.0.2.0/24\n");
        // Confirm without a lock-out pending does nothing.
        s.apply(AccessAction::Confirm);
        assert!(!s.busy());

        // Again, confirmed this time: the same list, with lock_out_confirmed.
        s.apply(AccessAction::Save);
        let seq = sent(&s).seq;
        s.apply(AccessAction::Answered {
            seq,
            result: Err(SaveFailure::LockOut("you would be shut out".into())),
        });
        s.apply(AccessAction::Confirm);
        let request = sent(&s);
        assert_eq!(
            request.access,
            ConsoleAccess {
                allowlist: vec!["192.0.2.0/24".into()],
                lock_out_confirmed: true,
            }
        );
        // Cancel does nothing while the confirmed save is in flight.
        s.apply(AccessAction::Cancel);
        assert!(s.busy());
        s.apply(AccessAction::Answered {
            seq: request.seq,
            result: Ok(access(&["192.0.2.0/24"])),
        });
        assert!(s.saved());
        assert_eq!(s.lock_out(), None);
        assert_eq!(s.text, "192.0.2.0/24");

        // Editing after a lock-out withdraws the offer: it was for the other list.
        s.apply(AccessAction::Edit("192.0.2.1".into()));
        s.apply(AccessAction::Save);
        let seq = sent(&s).seq;
        s.apply(AccessAction::Answered {
            seq,
            result: Err(SaveFailure::LockOut("shut out".into())),
        });
        s.apply(AccessAction::Edit("192.0.2.2".into()));
        assert_eq!(s.lock_out(), None);
        s.apply(AccessAction::Confirm);
        assert!(!s.busy());
    }

    #[test]
    fn other_failures_are_the_error_without_marking_the_list() {
        let mut s = loaded(&[]);
        s.apply(AccessAction::Save);
        let seq = sent(&s).seq;
        s.apply(AccessAction::Answered {
            seq,
            result: Err(SaveFailure::Failed("needs operators".into())),
        });
        assert_eq!(s.error().as_deref(), Some("needs operators"));
        assert!(!s.invalid());
        // The next save clears it.
        s.apply(AccessAction::Save);
        assert_eq!(s.error(), None);
        assert_eq!(
            SaveError::Failed(ApiError::Network).worded(|e| e.message().to_owned()),
            SaveFailure::Failed(ApiError::Network.message().to_owned())
        );
        assert_eq!(
            SaveError::LockOut("shut out".into()).worded(|_| unreachable!()),
            SaveFailure::LockOut("shut out".into())
        );
    }
}
