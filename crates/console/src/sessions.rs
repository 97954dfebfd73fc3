//! The Sessions page's logic (issue 15), with no `web-sys` inside: the operator's own live
//! console sessions and, for roles that may manage operators, everyone's; which of them can be
//! ended; what an ending sends and what the page says afterwards. Sessions are described by
//! browser and OS family only: the server keeps no address, and nothing here shows one.

use crate::api::ApiError;
use confide_protocol::accounts::SessionView;
use std::rc::Rc;
use yew::Reducible;

pub const OWN_PATH: &str = "/api/operator/sessions";
pub const END_OTHERS_PATH: &str = "/api/operator/sessions/end-others";
pub const ALL_PATH: &str = "/api/admin/sessions";

/// Said for a 404 to an ending: the session was not live any more.
pub const GONE: &str = "That session had ended already.";
/// Said for a 403 without the server's words.
pub const FORBIDDEN: &str = "Ending other operators' sessions needs the operators permission.";

/// Said for a 401: this session's own cookie stopped working (it was ended elsewhere).
pub const SIGNED_OUT: &str = "This session has ended. Sign in again.";

/// A failed call as the page words it.
pub fn error_text(e: &ApiError) -> String {
    match e {
        ApiError::Unauthorized(_) => SIGNED_OUT.to_owned(),
        e => e.message().to_owned(),
    }
}

/// A session's browser and OS family: `Firefox on Linux`; `Unknown browser` when the session
/// predates keeping them. Blank values count as absent.
pub fn family(s: &SessionView) -> String {
    let known = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let browser = known(&s.browser).unwrap_or_else(|| "Unknown browser".to_owned());
    match known(&s.os) {
        Some(os) => format!("{browser} on {os}"),
        None => browser,
    }
}

/// Who a session belongs to, in everyone's list: the operator's name, or their id when the
/// server sent none.
pub fn operator_text(s: &SessionView) -> String {
    match s.operator_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => format!("Operator {}", s.operator_id),
    }
}

/// Whether a row gets an End button: every session but the one making the request (signing
/// that one out is the header's Sign out).
pub fn endable(s: &SessionView) -> bool {
    !s.current
}

/// Whether "Sign out everywhere else" has anything to end.
pub fn has_others(list: &[SessionView]) -> bool {
    list.iter().any(endable)
}

/// The End button's accessible name: `End the Firefox on Linux session of Ada, signed in
/// 09:12` (`whose` in everyone's list; `signed_in` as the row shows it, which tells two
/// sessions of the same browser apart).
pub fn end_label(s: &SessionView, whose: Option<&str>, signed_in: &str) -> String {
    let family = family(s);
    match whose {
        Some(name) => format!("End the {family} session of {name}, signed in {signed_in}"),
        None => format!("End the {family} session, signed in {signed_in}"),
    }
}

/// What the page says once sessions ended.
pub fn result_text(ended: u64) -> String {
    match ended {
        0 => "No sessions ended: there were no others.".to_owned(),
        1 => "Session ended.".to_owned(),
        n => format!("{n} sessions ended."),
    }
}

/// The operator's own sessions in the table's order: this one first, then the most recently
/// active.
pub fn own_order(mut list: Vec<SessionView>) -> Vec<SessionView> {
    list.sort_by_key(|s| (!s.current, std::cmp::Reverse(s.last_active_at), s.id));
    list
}

/// What an End button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// One of the operator's own sessions.
    Own(i64),
    /// Every one of the operator's sessions but this one.
    Others,
    /// Anyone's session (`operators`).
    Any(i64),
}

impl Ending {
    /// The method and path that end it.
    pub fn request(self) -> (&'static str, String) {
        match self {
            Ending::Own(id) => ("DELETE", format!("{OWN_PATH}/{id}")),
            Ending::Others => ("POST", END_OTHERS_PATH.to_owned()),
            Ending::Any(id) => ("DELETE", format!("{ALL_PATH}/{id}")),
        }
    }
}

/// An ending to send; `seq` tells its answer from a stale one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndRequest {
    pub seq: u64,
    pub ending: Ending,
}

/// A list: `None` while loading, `Some(Err)` with the message when it could not be loaded.
pub type Listed = Option<Result<Vec<SessionView>, String>>;

/// The page: both lists, the ending in flight, and what the last one came to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionsState {
    pub own: Listed,
    pub all: Listed,
    /// Goes up by one for each (re)load; answers to an older load are dropped.
    pub load: u64,
    pub request: Option<EndRequest>,
    seq: u64,
    /// The last ending's result (`Ok`, the status text) or refusal (`Err`).
    pub outcome: Option<Result<String, String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SessionsAction {
    /// The operator's own sessions, for load `load`.
    Own {
        load: u64,
        result: Result<Vec<SessionView>, String>,
    },
    /// Everyone's sessions, for load `load`.
    All {
        load: u64,
        result: Result<Vec<SessionView>, String>,
    },
    /// An End button; ignored while another ending is in flight.
    End(Ending),
    /// The server answered ending `seq`: how many sessions ended, or why not.
    Ended {
        seq: u64,
        result: Result<u64, String>,
    },
}

impl SessionsState {
    pub fn apply(&mut self, action: SessionsAction) {
        match action {
            SessionsAction::Own { load, result } if load == self.load => {
                self.own = Some(result.map(own_order));
            }
            SessionsAction::All { load, result } if load == self.load => {
                self.all = Some(result);
            }
            SessionsAction::Own { .. } | SessionsAction::All { .. } => {}
            SessionsAction::End(ending) => {
                if self.request.is_none() {
                    self.seq += 1;
                    self.request = Some(EndRequest {
                        seq: self.seq,
                        ending,
                    });
                    self.outcome = None;
                }
            }
            SessionsAction::Ended { seq, result } => {
                if self.request.map(|r| r.seq) != Some(seq) {
                    return;
                }
                self.request = None;
                self.outcome = Some(result.map(result_text));
                // Ended or refused, the lists may have changed: read them again, keeping the
                // rows shown until the new ones arrive.
                self.load += 1;
            }
        }
    }

    /// Whether an ending is in flight (the End buttons wait).
    pub fn busy(&self) -> bool {
        self.request.is_some()
    }

    /// The one error the page shows: the last ending's refusal, else a list that could not be
    /// loaded.
    pub fn error(&self) -> Option<String> {
        match (&self.outcome, &self.own, &self.all) {
            (Some(Err(m)), _, _) => Some(m.clone()),
            (_, Some(Err(m)), _) => Some(format!("Your sessions could not be loaded: {m}")),
            (_, _, Some(Err(m))) => Some(format!("Everyone's sessions could not be loaded: {m}")),
            _ => None,
        }
    }

    /// The last ending's result, when it succeeded.
    pub fn result(&self) -> Option<&str> {
        match &self.outcome {
            Some(Ok(text)) => Some(text),
            _ => None,
        }
    }
}

impl Reducible for SessionsState {
    type Action = SessionsAction;

    fn reduce(self: Rc<Self>, action: SessionsAction) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.apply(action);
        Rc::new(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: i64, browser: Option<&str>, os: Option<&str>, current: bool) -> SessionView {
        SessionView {
            id,
            operator_id: 1,
            operator_name: None,
            browser: browser.map(Into::into),
            os: os.map(Into::into),
            created_at: 1_700_000_000_000,
            last_active_at: 1_700_000_000_000 + id,
            current,
        }
    }

    #[test]
    fn a_session_is_named_by_browser_and_os_family() {
        let name = |b, o| family(&session(1, b, o, false));
        assert_eq!(name(Some("Firefox"), Some("Linux")), "Firefox on Linux");
        assert_eq!(name(Some("Chrome"), None), "Chrome");
        assert_eq!(name(None, Some("macOS")), "Unknown browser on macOS");
        assert_eq!(name(None, None), "Unknown browser");
        assert_eq!(name(Some(" "), Some("")), "Unknown browser");
        let mut ada = session(4, Some("Safari"), Some("iOS"), false);
        assert_eq!(operator_text(&ada), "Operator 1");
        ada.operator_name = Some("Ada".into());
        assert_eq!(operator_text(&ada), "Ada");
        assert_eq!(
            end_label(&ada, Some("Ada"), "09:12"),
            "End the Safari on iOS session of Ada, signed in 09:12"
        );
        assert_eq!(
            end_label(&ada, None, "2024-01-02 09:12"),
            "End the Safari on iOS session, signed in 2024-01-02 09:12"
        );
    }

    #[test]
    fn every_session_but_the_current_one_can_be_ended() {
        let here = session(1, Some("Firefox"), Some("Linux"), true);
        let there = session(2, Some("Chrome"), Some("Windows"), false);
        assert!(!endable(&here));
        assert!(endable(&there));
        assert!(!has_others(&[]));
        assert!(!has_others(std::slice::from_ref(&here)));
        assert!(has_others(&[here.clone(), there.clone()]));
        // This one first, then the most recently active.
        let older = session(3, None, None, false);
        let newer = SessionView {
            last_active_at: 1_800_000_000_000,
            ..session(5, None, None, false)
        };
        let ids: Vec<i64> = own_order(vec![older, there, newer, here])
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(ids, [1, 5, 3, 2]);
    }

    #[test]
    fn a_refused_cookie_is_not_a_wrong_password() {
        assert_eq!(
            error_text(&ApiError::Unauthorized("Wrong email or password.".into())),
            SIGNED_OUT
        );
        assert_eq!(error_text(&ApiError::Server(GONE.into())), GONE);
    }

    #[test]
    fn the_result_counts_the_sessions_ended() {
        assert_eq!(result_text(1), "Session ended.");
        assert_eq!(result_text(2), "2 sessions ended.");
        assert_eq!(result_text(12), "12 sessions ended.");
        assert!(result_text(0).starts_with("No sessions ended"));
    }

    #[test]
    fn endings_go_to_the_operators_or_the_admins_path() {
        assert_eq!(
            Ending::Own(7).request(),
            ("DELETE", "/api/operator/sessions/7".to_owned())
        );
        assert_eq!(
            Ending::Others.request(),
            ("POST", "/api/operator/sessions/end-others".to_owned())
        );
        assert_eq!(
            Ending::Any(9).request(),
            ("DELETE", "/api/admin/sessions/9".to_owned())
        );
    }

    #[test]
    fn an_ending_reports_once_and_reloads_the_lists() {
        let mut s = SessionsState::default();
        let list = vec![session(1, None, None, true), session(2, None, None, false)];
        s.apply(SessionsAction::Own {
            load: 0,
            result: Ok(list.clone()),
        });
        assert_eq!(s.own, Some(Ok(list.clone())));
        s.apply(SessionsAction::End(Ending::Own(2)));
        assert!(s.busy());
        let first = s.request.expect("request");
        assert_eq!(first.ending, Ending::Own(2));
        // A second click while the first is in flight is ignored.
        s.apply(SessionsAction::End(Ending::Others));
        assert_eq!(s.request, Some(first));
        // A stale answer changes nothing.
        s.apply(SessionsAction::Ended {
            seq: first.seq + 1,
            result: Ok(1),
        });
        assert!(s.busy() && s.outcome.is_none());
        s.apply(SessionsAction::Ended {
            seq: first.seq,
            result: Ok(1),
        });
        assert!(!s.busy());
        assert_eq!(s.result(), Some("Session ended."));
        assert_eq!(s.error(), None);
        assert_eq!(s.load, 1, "the lists are read again");
        // The answer to the older load is dropped; the rows stay until the new one.
        s.apply(SessionsAction::Own {
            load: 0,
            result: Ok(vec![]),
        });
        assert_eq!(s.own, Some(Ok(list)));
        s.apply(SessionsAction::Own {
            load: 1,
            result: Ok(vec![session(1, None, None, true)]),
        });
        assert_eq!(
            s.own.as_ref().map(|l| l.as_ref().map(Vec::len)),
            Some(Ok(1))
        );

        // A refusal is the page's error, and the next ending clears it.
        s.apply(SessionsAction::End(Ending::Any(9)));
        let seq = s.request.expect("request").seq;
        s.apply(SessionsAction::Ended {
            seq,
            result: Err(FORBIDDEN.into()),
        });
        assert_eq!(s.error().as_deref(), Some(FORBIDDEN));
        assert_eq!(s.result(), None);
        assert_eq!(s.load, 2);
        s.apply(SessionsAction::End(Ending::Others));
        assert_eq!(s.error(), None);
        let seq = s.request.expect("request").seq;
        s.apply(SessionsAction::Ended { seq, result: Ok(3) });
        assert_eq!(s.result(), Some("3 sessions ended."));
    }

    #[test]
    fn a_list_that_could_not_be_loaded_is_the_error() {
        let mut s = SessionsState::default();
        s.apply(SessionsAction::All {
            load: 0,
            result: Err("Not allowed.".into()),
        });
        assert_eq!(
            s.error().as_deref(),
            Some("Everyone's sessions could not be loaded: Not allowed.")
        );
        s.apply(SessionsAction::Own {
            load: 0,
            result: Err("Offline.".into()),
        });
        assert_eq!(
            s.error().as_deref(),
            Some("Your sessions could not be loaded: Offline.")
        );
    }
}
