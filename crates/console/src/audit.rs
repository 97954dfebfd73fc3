//! The Audit log page's logic, with no `web-sys` inside: the filters read into query strings
//! for `GET /api/admin/audit` and its CSV export, the chain's verdict in words, and the page's
//! state (a yew [`Reducible`]).

use crate::history::{day_end, day_start};
use confide_protocol::history::{AuditPage, AuditView, AUDIT_ACTIONS};
use std::rc::Rc;
use yew::Reducible;

pub use confide_protocol::history::AuditFilter;

/// `GET` a page: the filters, then `before` for an older one.
pub fn page_path(filter: &AuditFilter, before: Option<i64>) -> String {
    let mut query = filter.to_query();
    if let Some(id) = before {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&format!("before={id}"));
    }
    with_query("/api/admin/audit", &query)
}

/// The CSV download of every entry the filters match.
pub fn export_url(filter: &AuditFilter) -> String {
    with_query("/api/admin/audit/export", &filter.to_query())
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The audit filter inputs, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditForm {
    pub action: String,
    pub operator: String,
    pub from: String,
    pub to: String,
}

impl AuditForm {
    /// The filter the inputs ask for, or their problems. `midnight` as for
    /// [`day_start`].
    pub fn filter(
        &self,
        midnight: impl Fn(i32, u32, u32) -> i64,
    ) -> Result<AuditFilter, Vec<String>> {
        let mut problems = Vec::new();
        let action = Some(self.action.trim()).filter(|a| !a.is_empty());
        if action.is_some_and(|a| !AUDIT_ACTIONS.contains(&a)) {
            problems.push("Action: one of the listed actions".to_owned());
        }
        let operator = Some(self.operator.trim()).filter(|o| !o.is_empty());
        let operator = operator.and_then(|o| match o.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                problems.push("Operator: an operator id is a positive whole number".to_owned());
                None
            }
        });
        let mut date = |label: &str, text: &str, end: bool| {
            if text.trim().is_empty() {
                return None;
            }
            let ms = if end {
                day_end(text, &midnight)
            } else {
                day_start(text, &midnight)
            };
            if ms.is_none() {
                problems.push(format!("{label}: a date from 1970 on, as YYYY-MM-DD"));
            }
            ms
        };
        let from = date("From", &self.from, false);
        let to = date("To", &self.to, true);
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                problems.push("From: after To, so nothing can match".to_owned());
            }
        }
        if problems.is_empty() {
            Ok(AuditFilter {
                action: action.map(str::to_owned),
                operator,
                from,
                to,
            })
        } else {
            Err(problems)
        }
    }
}

/// An action code as words: `restriction_lifted` → `restriction lifted`.
pub fn action_label(action: &str) -> String {
    action.replace('_', " ")
}

/// The chain's verdict, as the page states it.
pub fn chain_text(intact: bool, broken_at: Option<i64>) -> String {
    match (intact, broken_at) {
        (true, _) => "The log verifies: every entry follows the one before.".to_owned(),
        (false, Some(id)) => format!("The log is broken at entry {id}."),
        (false, None) => "The log does not verify.".to_owned(),
    }
}

/// A page to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRequest {
    pub seq: u64,
    pub filter: AuditFilter,
    pub before: Option<i64>,
}

impl AuditRequest {
    pub fn path(&self) -> String {
        page_path(&self.filter, self.before)
    }
}

/// Everything the audit page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditState {
    /// The filter the entries were fetched with.
    pub filter: AuditFilter,
    pub entries: Vec<AuditView>,
    pub more: bool,
    /// The chain's verdict from the latest page: intact, and where it breaks.
    pub chain: Option<(bool, Option<i64>)>,
    pub request: Option<AuditRequest>,
    seq: u64,
    pub error: Option<String>,
}

/// Everything that changes the audit page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditAction {
    Search(AuditFilter),
    Invalid(Vec<String>),
    LoadOlder,
    Loaded { seq: u64, page: AuditPage },
    Failed { seq: u64, message: String },
}

impl AuditState {
    pub fn apply(&mut self, action: AuditAction) {
        match action {
            AuditAction::Search(filter) => {
                self.filter = filter;
                self.error = None;
                self.seq += 1;
                self.request = Some(AuditRequest {
                    seq: self.seq,
                    filter: self.filter.clone(),
                    before: None,
                });
            }
            AuditAction::Invalid(problems) => self.error = Some(problems.join("; ")),
            AuditAction::LoadOlder => {
                if let (true, None, Some(last)) = (self.more, &self.request, self.entries.last()) {
                    self.seq += 1;
                    self.request = Some(AuditRequest {
                        seq: self.seq,
                        filter: self.filter.clone(),
                        before: Some(last.id),
                    });
                }
            }
            AuditAction::Loaded { seq, page } => {
                let Some(request) = self.request.take_if(|r| r.seq == seq) else {
                    return;
                };
                if request.before.is_some() {
                    self.entries.extend(page.entries);
                } else {
                    self.entries = page.entries;
                }
                self.more = page.more;
                self.chain = Some((page.intact, page.broken_at));
            }
            AuditAction::Failed { seq, message } => {
                if self.request.take_if(|r| r.seq == seq).is_some() {
                    self.error = Some(message);
                }
            }
        }
    }
}

impl Reducible for AuditState {
    type Action = AuditAction;

    fn reduce(self: Rc<Self>, action: AuditAction) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.apply(action);
        Rc::new(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::utc_midnight;

    fn entry(id: i64) -> AuditView {
        AuditView {
            id,
            at: id * 1_000,
            operator_id: Some(1),
            action: "erased".into(),
            target: "filter".into(),
            count: Some(3),
        }
    }

    #[test]
    fn the_filters_travel_as_query_strings_for_pages_and_the_export() {
        let form = AuditForm {
            action: "restriction_lifted".into(),
            operator: " 7 ".into(),
            from: "2026-12-01".into(),
            to: "2026-12-01".into(),
        };
        let f = form.filter(utc_midnight).expect("valid");
        let (from, to) = (utc_midnight(2026, 12, 1), utc_midnight(2026, 12, 2) - 1);
        assert_eq!(
            f.to_query(),
            format!("action=restriction_lifted&operator=7&from={from}&to={to}")
        );
        assert_eq!(
            page_path(&f, Some(40)),
            format!("/api/admin/audit?action=restriction_lifted&operator=7&from={from}&to={to}&before=40")
        );
        assert_eq!(
            export_url(&f),
            format!(
                "/api/admin/audit/export?action=restriction_lifted&operator=7&from={from}&to={to}"
            )
        );
        let none = AuditForm::default().filter(utc_midnight).expect("empty");
        assert_eq!(page_path(&none, None), "/api/admin/audit");
        assert_eq!(page_path(&none, Some(3)), "/api/admin/audit?before=3");
        assert_eq!(export_url(&none), "/api/admin/audit/export");
    }

    #[test]
    fn bad_filters_are_named() {
        let form = AuditForm {
            action: "deleted".into(),
            operator: "x".into(),
            from: "2026-12-02".into(),
            to: "2026-12-01".into(),
        };
        assert_eq!(
            form.filter(utc_midnight).expect_err("problems"),
            [
                "Action: one of the listed actions",
                "Operator: an operator id is a positive whole number",
                "From: after To, so nothing can match",
            ]
        );
    }

    #[test]
    fn the_chain_is_stated_in_words() {
        assert_eq!(
            chain_text(true, None),
            "The log verifies: every entry follows the one before."
        );
        assert_eq!(
            chain_text(false, Some(12)),
            "The log is broken at entry 12."
        );
        assert_eq!(chain_text(false, None), "The log does not verify.");
        assert_eq!(action_label("restriction_lifted"), "restriction lifted");
    }

    #[test]
    fn older_pages_append_and_the_newest_verdict_counts() {
        let mut s = AuditState::default();
        s.apply(AuditAction::Search(AuditFilter::default()));
        let seq = s.request.as_ref().expect("request").seq;
        s.apply(AuditAction::Loaded {
            seq,
            page: AuditPage {
                entries: vec![entry(9), entry(8)],
                more: true,
                intact: true,
                broken_at: None,
            },
        });
        assert_eq!(s.chain, Some((true, None)));
        s.apply(AuditAction::LoadOlder);
        let request = s.request.clone().expect("older");
        assert_eq!(request.path(), "/api/admin/audit?before=8");
        s.apply(AuditAction::Loaded {
            seq: request.seq,
            page: AuditPage {
                entries: vec![entry(7)],
                more: false,
                intact: false,
                broken_at: Some(4),
            },
        });
        let ids: Vec<_> = s.entries.iter().map(|e| e.id).collect();
        assert_eq!(ids, [9, 8, 7]);
        assert_eq!(s.chain, Some((false, Some(4))));
        s.apply(AuditAction::LoadOlder);
        assert_eq!(s.request, None);
        s.apply(AuditAction::Failed {
            seq: request.seq,
            message: "late".into(),
        });
        assert_eq!(s.error, None, "an answer to nothing asked is dropped");
    }
}
