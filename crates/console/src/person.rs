//! The "Find a person" page's logic, with no `web-sys` inside: answering one person's request
//! (see, export, erase) from everything held under their email address. A yew [`Reducible`]
//! like the History page's, with the report for the reply made by the protocol's own
//! [`person_report`].

use crate::history::{conversations, done_text, Did};
use confide_protocol::chat::ConversationId;
use confide_protocol::history::{
    person_report, HistoryFilter, HistoryRow, PersonFound, Selection, SelectionDone,
};
use std::rc::Rc;
use yew::Reducible;

/// The person form's inputs, read into the filter `GET /api/admin/person` takes: the email
/// (required, whole) and optionally a word of the name.
pub fn person_filter(email: &str, name: &str) -> Result<HistoryFilter, String> {
    let email = email.trim();
    if email.is_empty() || !email.contains('@') {
        return Err("Email: the whole email address the person gave, with its @".to_owned());
    }
    let name = name.trim();
    Ok(HistoryFilter {
        email: Some(email.to_owned()),
        name: (!name.is_empty()).then(|| name.to_owned()),
        ..HistoryFilter::default()
    })
}

/// How many of a person's conversations the page lists, worded.
pub fn listed_text(listed: usize, total: u64) -> String {
    if listed as u64 >= total {
        format!("{} listed.", conversations(total))
    } else {
        format!(
            "The newest {listed} of {} are listed; the exports and the erasure cover all of them.",
            conversations(total)
        )
    }
}

/// A search to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRequest {
    pub seq: u64,
    pub filter: HistoryFilter,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonState {
    /// What was searched for: the erasure and the exports act on it.
    pub filter: Option<HistoryFilter>,
    /// What was found. After an erasure it stays what was found before, for the report.
    pub found: Option<PersonFound>,
    /// What "Erase everything" did.
    pub erased: Option<SelectionDone>,
    pub request: Option<PersonRequest>,
    seq: u64,
    /// The count the erase confirmation states, while shown.
    pub confirm: Option<u64>,
    pub busy: bool,
    pub result: Option<String>,
    pub error: Option<String>,
    /// The conversation whose transcript is shown instead of the summary.
    pub open: Option<ConversationId>,
}

/// Everything that changes the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonAction {
    Find(HistoryFilter),
    Invalid(String),
    Loaded {
        seq: u64,
        found: PersonFound,
    },
    Failed {
        seq: u64,
        message: String,
    },
    AskErase,
    CancelErase,
    Working,
    /// "Erase everything" was done.
    Erased(SelectionDone),
    Refused(String),
    /// 409: the count changed; nothing was erased. Search again.
    Conflict(String),
    Open(ConversationId),
    Back,
    /// The transcript changed a conversation (rectified, restricted).
    Updated(HistoryRow),
    /// One conversation was erased from its transcript: back, and search again.
    TranscriptErased(SelectionDone),
}

impl PersonState {
    /// What "Erase everything" and the exports act on: every conversation under the email
    /// (and name) searched, listed or not.
    pub fn selection(&self) -> Option<Selection> {
        self.filter.clone().map(Selection::Matching)
    }

    /// The conversations listed: after an erasure, only those it kept.
    pub fn rows(&self) -> Vec<HistoryRow> {
        let Some(found) = &self.found else {
            return Vec::new();
        };
        found
            .conversations
            .iter()
            .filter(|r| {
                self.erased
                    .as_ref()
                    .is_none_or(|e| e.restricted.contains(&r.id))
            })
            .cloned()
            .collect()
    }

    /// The text for the reply to the person, as of `today` (unix ms).
    pub fn report(&self, today: i64) -> Option<String> {
        let found = self.found.as_ref()?;
        Some(person_report(found, self.erased.as_ref(), today))
    }

    fn search(&mut self) {
        if let Some(filter) = &self.filter {
            self.seq += 1;
            self.request = Some(PersonRequest {
                seq: self.seq,
                filter: filter.clone(),
            });
        }
    }

    pub fn apply(&mut self, action: PersonAction) {
        match action {
            PersonAction::Find(filter) => {
                *self = Self {
                    filter: Some(filter),
                    seq: self.seq,
                    ..Self::default()
                };
                self.search();
            }
            PersonAction::Invalid(message) => self.error = Some(message),
            PersonAction::Loaded { seq, found } => {
                if self.request.take_if(|r| r.seq == seq).is_some() {
                    self.found = Some(found);
                }
            }
            PersonAction::Failed { seq, message } => {
                if self.request.take_if(|r| r.seq == seq).is_some() {
                    self.error = Some(message);
                }
            }
            PersonAction::AskErase => {
                self.confirm = self
                    .found
                    .as_ref()
                    .map(|f| f.total)
                    .filter(|&n| n > 0 && self.erased.is_none());
            }
            PersonAction::CancelErase => self.confirm = None,
            PersonAction::Working => {
                self.busy = true;
                self.result = None;
                self.error = None;
            }
            PersonAction::Erased(done) => {
                self.busy = false;
                self.confirm = None;
                self.result = Some(done_text(Did::Erase, &done));
                self.erased = Some(done);
            }
            PersonAction::Refused(message) => {
                self.busy = false;
                self.confirm = None;
                self.error = Some(message);
            }
            PersonAction::Conflict(message) => {
                self.busy = false;
                self.confirm = None;
                self.error = Some(message);
                self.search();
            }
            PersonAction::Open(id) => {
                self.confirm = None;
                self.open = Some(id);
            }
            PersonAction::Back => self.open = None,
            PersonAction::Updated(row) => {
                if let Some(found) = &mut self.found {
                    if let Some(r) = found.conversations.iter_mut().find(|r| r.id == row.id) {
                        *r = row;
                    }
                }
            }
            PersonAction::TranscriptErased(done) => {
                self.open = None;
                self.error = None;
                self.result = Some(done_text(Did::Erase, &done));
                self.search();
            }
        }
    }
}

impl Reducible for PersonState {
    type Action = PersonAction;

    fn reduce(self: Rc<Self>, action: PersonAction) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.apply(action);
        Rc::new(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::tests::row;
    use confide_protocol::chat::ReceiptInfo;

    fn found(ids: &[i64], total: u64) -> PersonFound {
        PersonFound {
            conversations: ids.iter().map(|&i| row(i)).collect(),
            total,
            messages: 2 * total,
            left: 0,
            restricted: 1,
            receipts: vec![ReceiptInfo {
                language: "en".into(),
                version: 2,
                text_sha256: "ab".repeat(32),
                policy_url: None,
                at: 86_400_000,
                withdrawn_at: None,
            }],
            first_at: Some(86_400_000),
            last_at: Some(2 * 86_400_000),
        }
    }

    fn run(state: PersonState, actions: impl IntoIterator<Item = PersonAction>) -> PersonState {
        let mut rc = Rc::new(state);
        for a in actions {
            rc = rc.reduce(a);
        }
        Rc::unwrap_or_clone(rc)
    }

    fn searched(email: &str, f: PersonFound) -> PersonState {
        let s = run(
            PersonState::default(),
            [PersonAction::Find(person_filter(email, "").expect("email"))],
        );
        let seq = s.request.as_ref().expect("request").seq;
        run(s, [PersonAction::Loaded { seq, found: f }])
    }

    #[test]
    fn a_long_list_says_the_exports_and_erasure_cover_more_than_it_shows() {
        assert_eq!(listed_text(1, 1), "1 conversation listed.");
        assert_eq!(
            listed_text(200, 230),
            "The newest 200 of 230 conversations are listed; the exports and the erasure cover all of them."
        );
    }

    #[test]
    fn the_email_is_required_and_the_name_optional() {
        assert!(person_filter("  ", "Ann").is_err());
        assert!(person_filter("ann", "").is_err());
        let f = person_filter(" ann@example.com ", " Ann ").expect("filter");
        assert_eq!(
            f.to_query(),
            "email=ann%40example.com&name=Ann",
            "the history filter's own names"
        );
        let f = person_filter("ann@example.com", "").expect("filter");
        assert_eq!(f.name, None);
    }

    #[test]
    fn everything_under_the_email_is_erased_with_the_total_confirmed() {
        let s = searched("ann@example.com", found(&[5, 4], 3));
        assert_eq!(s.rows().len(), 2);
        let Some(Selection::Matching(filter)) = s.selection() else {
            panic!("a filter selection");
        };
        assert_eq!(filter.email.as_deref(), Some("ann@example.com"));
        let s = run(s, [PersonAction::AskErase]);
        assert_eq!(s.confirm, Some(3), "the total, not the rows listed");
        let before = s.report(3 * 86_400_000).expect("report");
        assert!(before.contains("We found 3 conversations"), "{before}");
        assert!(!before.contains("erased"), "{before}");

        let s = run(
            s,
            [
                PersonAction::Working,
                PersonAction::Erased(SelectionDone {
                    done: 2,
                    messages: 5,
                    missing: Vec::new(),
                    restricted: vec![ConversationId(4)],
                }),
            ],
        );
        assert_eq!(s.confirm, None);
        let ids: Vec<_> = s.rows().iter().map(|r| r.id.0).collect();
        assert_eq!(ids, [4], "only the kept one is still listed");
        let after = s.report(3 * 86_400_000).expect("report");
        assert!(after.contains("We found 3 conversations"), "{after}");
        assert!(
            after.contains("we erased 2 conversations and 5 messages"),
            "{after}"
        );
        assert!(after.contains("We kept 1 conversation"), "{after}");
        assert!(s
            .result
            .as_deref()
            .is_some_and(|r| r.starts_with("Erased 2 conversations")));
        let s = run(s, [PersonAction::AskErase]);
        assert_eq!(s.confirm, None, "search again before erasing again");
    }

    #[test]
    fn nothing_found_asks_no_confirmation_and_a_conflict_searches_again() {
        let s = searched("nobody@example.com", found(&[], 0));
        let s = run(s, [PersonAction::AskErase]);
        assert_eq!(s.confirm, None);
        assert!(s
            .report(0)
            .is_some_and(|r| r.contains("We found no conversations")));

        let s = searched("ann@example.com", found(&[5], 1));
        let s = run(
            s,
            [
                PersonAction::AskErase,
                PersonAction::Working,
                PersonAction::Conflict("now 2".into()),
            ],
        );
        assert_eq!(s.error.as_deref(), Some("now 2"));
        assert!(s.request.is_some(), "counted again");
        assert_eq!(s.erased, None);
        let seq = s.request.as_ref().expect("request").seq;
        let s = run(
            s,
            [PersonAction::Loaded {
                seq,
                found: found(&[6, 5], 2),
            }],
        );
        let s = run(s, [PersonAction::AskErase]);
        assert_eq!(s.confirm, Some(2));
    }

    #[test]
    fn a_new_search_starts_over_and_late_answers_are_dropped() {
        let s = searched("ann@example.com", found(&[5], 1));
        let s = run(
            s,
            [
                PersonAction::Erased(SelectionDone::default()),
                PersonAction::Find(person_filter("bob@example.com", "").expect("f")),
            ],
        );
        assert_eq!((s.found.clone(), s.erased.clone()), (None, None));
        let seq = s.request.as_ref().expect("request").seq;
        let s = run(
            s,
            [PersonAction::Loaded {
                seq: seq - 1,
                found: found(&[1], 1),
            }],
        );
        assert_eq!(s.found, None);
        assert!(s.request.is_some());
    }

    #[test]
    fn a_transcript_erasure_goes_back_and_searches_again() {
        let s = searched("ann@example.com", found(&[5, 4], 2));
        let mut restricted = row(4);
        restricted.restricted = true;
        let s = run(
            s,
            [
                PersonAction::Open(ConversationId(4)),
                PersonAction::Updated(restricted),
                PersonAction::Back,
            ],
        );
        assert!(s.rows()[1].restricted);
        let s = run(
            s,
            [
                PersonAction::Open(ConversationId(5)),
                PersonAction::TranscriptErased(SelectionDone {
                    done: 1,
                    messages: 2,
                    ..SelectionDone::default()
                }),
            ],
        );
        assert_eq!(s.open, None);
        assert!(s.request.is_some());
        assert_eq!(
            s.result.as_deref(),
            Some("Erased 1 conversation and 2 messages.")
        );
    }
}
