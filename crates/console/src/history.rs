//! The History page's logic (issue 14), with no `web-sys` inside: the filter form read into a
//! [`HistoryFilter`], dates typed as local days turned into unix ms, the selection an export,
//! an erasure or a restriction acts on, the URLs they go to, the sentences the page says, and
//! the page's state (a yew [`Reducible`] driven by [`HistoryAction`]).
//!
//! The reducer decides which page to fetch next ([`HistoryState::request`]); the view only
//! runs that request and dispatches the answer, tagged with the request's `seq` so that an
//! answer to an older search never replaces a newer one.

use confide_protocol::chat::ConversationId;
use confide_protocol::details::VisitorDetails;
use confide_protocol::history::{
    ConversationStatus, HistoryFilter, HistoryPage, HistoryRow, Rectify, Selection, SelectionDone,
    Transcript, MAX_SELECTED,
};
use confide_protocol::WidgetKey;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::Reducible;

/// `POST` here erases a selection.
pub const ERASE_PATH: &str = "/api/admin/conversations/erase";
/// `POST` here restricts a selection or lifts its restriction.
pub const RESTRICT_PATH: &str = "/api/admin/conversations/restrict";
/// What a 409 to an erasure means when the server sent no message of its own.
pub const ERASE_CONFLICT: &str =
    "The selection has changed since it was counted, so nothing was erased. Check the new count and try again.";

// ---------------------------------------------------------------------------------------
// Dates

/// `YYYY-MM-DD` (what an `<input type=date>` holds) as year, month (1 to 12) and day; `None`
/// for anything else, and for years before 1970 (the server takes no time before it).
pub fn parse_date(text: &str) -> Option<(i32, u32, u32)> {
    let mut parts = text.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y) && digits(m) && digits(d)) {
        return None;
    }
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let ok = y >= 1970 && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m);
    ok.then_some((y, m, d))
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day after `(y, m, d)`.
fn next_day((y, m, d): (i32, u32, u32)) -> (i32, u32, u32) {
    if d < days_in_month(y, m) {
        (y, m, d + 1)
    } else if m < 12 {
        (y, m + 1, 1)
    } else {
        (y + 1, 1, 1)
    }
}

/// The first millisecond of a typed local day. `midnight(y, m, d)` is the unix ms at which that
/// day starts where the operator is (in the browser: `new Date(y, m - 1, d)`), so days of 23
/// or 25 hours come out right. Never before 1970 (a zone east of UTC starts 1970-01-01 early).
pub fn day_start(text: &str, midnight: impl Fn(i32, u32, u32) -> i64) -> Option<i64> {
    let (y, m, d) = parse_date(text)?;
    Some(midnight(y, m, d).max(0))
}

/// The last millisecond of a typed local day: one before the next day's midnight.
pub fn day_end(text: &str, midnight: impl Fn(i32, u32, u32) -> i64) -> Option<i64> {
    let (y, m, d) = next_day(parse_date(text)?);
    Some(midnight(y, m, d) - 1)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days-from-civil): UTC midnights,
/// for tests and as the fallback where there is no browser clock.
pub fn utc_midnight(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400_000
}

/// Reads an optional date field as the start (`end == false`) or end of its day.
fn date_field(
    label: &str,
    text: &str,
    end: bool,
    midnight: &dyn Fn(i32, u32, u32) -> i64,
    problems: &mut Vec<String>,
) -> Option<i64> {
    if text.trim().is_empty() {
        return None;
    }
    let ms = if end {
        day_end(text, midnight)
    } else {
        day_start(text, midnight)
    };
    if ms.is_none() {
        problems.push(format!("{label}: a date from 1970 on, as YYYY-MM-DD"));
    }
    ms
}

// ---------------------------------------------------------------------------------------
// The filter form

/// The History page's filter inputs, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterForm {
    pub widget: String,
    pub status: String,
    pub from: String,
    pub to: String,
    pub email: String,
    pub name: String,
    pub conversation: String,
}

impl FilterForm {
    /// The filter the inputs ask for, or every problem with them, worded for the operator.
    /// Empty inputs filter nothing.
    pub fn filter(
        &self,
        midnight: impl Fn(i32, u32, u32) -> i64,
    ) -> Result<HistoryFilter, Vec<String>> {
        let mut problems = Vec::new();
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let widget = text(&self.widget).and_then(|w| match WidgetKey::parse(&w) {
            Ok(k) => Some(k),
            Err(_) => {
                problems.push("Widget: not a widget key".to_owned());
                None
            }
        });
        let status = text(&self.status).and_then(|s| {
            let status = ConversationStatus::parse(&s);
            if status.is_none() {
                problems.push("Status: one of open, closed, left".to_owned());
            }
            status
        });
        let from = date_field("From", &self.from, false, &midnight, &mut problems);
        let to = date_field("To", &self.to, true, &midnight, &mut problems);
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                problems.push("From: after To, so nothing can match".to_owned());
            }
        }
        let email = text(&self.email);
        if email.as_ref().is_some_and(|e| !e.contains('@')) {
            problems.push("Email: a whole email address, with its @".to_owned());
        }
        let conversation = text(&self.conversation).and_then(|c| match c.parse::<i64>() {
            Ok(id) if id > 0 => Some(ConversationId(id)),
            _ => {
                problems.push("Conversation: an id is a positive whole number".to_owned());
                None
            }
        });
        if problems.is_empty() {
            Ok(HistoryFilter {
                widget,
                status,
                from,
                to,
                email,
                name: text(&self.name),
                conversation,
            })
        } else {
            Err(problems)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Paths and URLs

/// `GET` a history page: the filter, then `before` for an older page.
pub fn history_path(filter: &HistoryFilter, before: Option<ConversationId>) -> String {
    let mut query = filter.to_query();
    if let Some(id) = before {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&format!("before={id}"));
    }
    with_query("/api/admin/conversations", &query)
}

/// `GET` one conversation read-only.
pub fn transcript_path(id: ConversationId) -> String {
    format!("/api/admin/conversations/{id}")
}

/// `PUT` a conversation's corrected details.
pub fn details_path(id: ConversationId) -> String {
    format!("/api/admin/conversations/{id}/details")
}

/// `GET` everything held on one person: the filter's `email` and `name`.
pub fn person_path(filter: &HistoryFilter) -> String {
    let only = HistoryFilter {
        email: filter.email.clone(),
        name: filter.name.clone(),
        ..HistoryFilter::default()
    };
    with_query("/api/admin/person", &only.to_query())
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The three files an export makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// CSV, one row per message.
    MessagesCsv,
    /// CSV, one row per conversation.
    ConversationsCsv,
    /// JSON: each conversation with its details, receipt and messages.
    Json,
}

/// Where a download link for `selection` points: `GET /api/admin/export` with the format,
/// then `ids=1,2,3` or the filter's query. The link downloads (the server answers with
/// `Content-Disposition: attachment`), so the browser streams it to a file.
pub fn export_url(selection: &Selection, export: Export) -> String {
    let format = match export {
        Export::MessagesCsv => "format=csv&rows=messages",
        Export::ConversationsCsv => "format=csv&rows=conversations",
        Export::Json => "format=json",
    };
    let which = match selection {
        Selection::Ids(ids) => format!(
            "ids={}",
            ids.iter()
                .map(|id| id.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
        Selection::Matching(filter) => filter.to_query(),
    };
    if which.is_empty() {
        format!("/api/admin/export?{format}")
    } else {
        format!("/api/admin/export?{format}&{which}")
    }
}

// ---------------------------------------------------------------------------------------
// Sentences

/// `1 conversation` / `3 conversations`.
pub fn conversations(n: u64) -> String {
    if n == 1 {
        "1 conversation".to_owned()
    } else {
        format!("{n} conversations")
    }
}

/// The confirmation an erasure asks, with the exact count it will send as `expect`.
pub fn erase_question(n: u64) -> String {
    format!("Erase {}? This cannot be undone.", conversations(n))
}

/// `N conversations match`.
pub fn total_text(total: u64) -> String {
    if total == 1 {
        "1 conversation matches".to_owned()
    } else {
        format!("{total} conversations match")
    }
}

/// What an erasure or a restriction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Did {
    Erase,
    Restrict,
    Lift,
}

/// What the server says it did, worded for the operator: done, not found, kept.
pub fn done_text(did: Did, done: &SelectionDone) -> String {
    let mut out = match did {
        Did::Erase => {
            let messages = if done.messages == 1 {
                "1 message".to_owned()
            } else {
                format!("{} messages", done.messages)
            };
            format!("Erased {} and {messages}.", conversations(done.done))
        }
        Did::Restrict => format!("Restricted {}.", conversations(done.done)),
        Did::Lift => format!("Lifted the restriction on {}.", conversations(done.done)),
    };
    let were = |n: usize| if n == 1 { "was" } else { "were" };
    if !done.missing.is_empty() {
        let n = done.missing.len();
        out.push_str(&format!(
            " {} {} not found (erased already?).",
            conversations(n as u64),
            were(n)
        ));
    }
    if !done.restricted.is_empty() {
        let n = done.restricted.len();
        out.push_str(&format!(
            " {} {} kept because {} restricted; lift the restriction to erase {}.",
            conversations(n as u64),
            were(n),
            if n == 1 { "it is" } else { "they are" },
            if n == 1 { "it" } else { "them" },
        ));
    }
    out
}

/// How a conversation's status reads in a table.
pub fn status_label(status: ConversationStatus) -> &'static str {
    match status {
        ConversationStatus::Open => "Open",
        ConversationStatus::Closed => "Closed",
        ConversationStatus::Left => "Left while away",
    }
}

// ---------------------------------------------------------------------------------------
// Rectification

/// The corrected details the rectify form sends: trimmed, an empty name or email removes it,
/// and every custom field the conversation has is sent (an empty one removes its value).
pub fn rectify_request<'a>(
    name: &str,
    email: &str,
    custom: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Rectify {
    let value = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    // Inserted one by one: collecting would bring a sort into the bundle for nothing.
    let mut fields = BTreeMap::new();
    for (key, v) in custom {
        fields.insert(key.to_owned(), v.trim().to_owned());
    }
    Rectify {
        name: value(name),
        email: value(email),
        custom: fields,
    }
}

/// A transcript after its details were saved: the details as stored, and its row's name
/// and email with them.
pub fn with_details(mut transcript: Transcript, details: VisitorDetails) -> Transcript {
    transcript.conversation.name = details.name.clone();
    transcript.conversation.email = details.email.clone();
    transcript.details = (!details.is_empty()).then_some(details);
    transcript
}

// ---------------------------------------------------------------------------------------
// The History page's state

/// Which conversations are picked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Picked {
    /// Ticked one by one, in the order ticked (at most [`MAX_SELECTED`]).
    #[default]
    None,
    Ids(Vec<ConversationId>),
    /// Every conversation the current filter matches, listed or not.
    Matching,
}

/// A page of the list to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// Answers carry it back; an answer to an older request is dropped.
    pub seq: u64,
    pub filter: HistoryFilter,
    /// `None` for the first page.
    pub before: Option<ConversationId>,
}

impl ListRequest {
    pub fn path(&self) -> String {
        history_path(&self.filter, self.before)
    }
}

/// Everything the History page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryState {
    /// The filter the list was fetched with (not what the form holds now).
    pub filter: HistoryFilter,
    pub rows: Vec<HistoryRow>,
    pub more: bool,
    /// How many conversations the filter matches in all.
    pub total: u64,
    /// True once a first page arrived.
    pub loaded: bool,
    /// The page to fetch now, if any.
    pub request: Option<ListRequest>,
    seq: u64,
    pub picked: Picked,
    /// The count the erase confirmation states (and sends as `expect`), while it is shown.
    pub confirm: Option<u64>,
    /// An erasure or restriction is on its way.
    pub busy: bool,
    /// What the last erasure or restriction did.
    pub result: Option<String>,
    /// The server's or the form's problems.
    pub error: Option<String>,
    /// The conversation whose transcript is shown instead of the list.
    pub open: Option<ConversationId>,
}

/// Everything that changes the History page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryAction {
    /// Search with a new filter: a fresh list, nothing picked.
    Search(HistoryFilter),
    /// The form had problems: nothing is fetched.
    Invalid(Vec<String>),
    /// The next older page.
    LoadOlder,
    Loaded {
        seq: u64,
        page: HistoryPage,
    },
    Failed {
        seq: u64,
        message: String,
    },
    Toggle(ConversationId),
    /// Pick every conversation that matches (`true`), or nothing.
    SelectMatching(bool),
    ClearSelection,
    /// Show the erase confirmation with the count it will send.
    AskErase,
    CancelErase,
    /// An erasure or restriction was sent.
    Working,
    /// It was done: say what happened, pick nothing, fetch the first page again.
    Done {
        did: Did,
        result: SelectionDone,
    },
    /// The server refused (a field-named 400, a 403, …); nothing changed.
    Refused(String),
    /// 409: the selection no longer holds the count confirmed, nothing was erased. Say so and
    /// count again.
    Conflict(String),
    /// Show a conversation's transcript.
    Open(ConversationId),
    /// Back to the list.
    Back,
    /// The transcript changed a conversation (rectified, restricted): its row follows.
    Updated(HistoryRow),
}

impl HistoryState {
    /// The selection an action would act on, if anything is picked.
    pub fn selection(&self) -> Option<Selection> {
        match &self.picked {
            Picked::None => None,
            Picked::Ids(ids) => Some(Selection::Ids(ids.clone())),
            Picked::Matching => Some(Selection::Matching(self.filter.clone())),
        }
    }

    /// How many conversations the selection holds.
    pub fn selected_count(&self) -> u64 {
        match &self.picked {
            Picked::None => 0,
            Picked::Ids(ids) => ids.len() as u64,
            Picked::Matching => self.total,
        }
    }

    pub fn is_picked(&self, id: ConversationId) -> bool {
        match &self.picked {
            Picked::None => false,
            Picked::Ids(ids) => ids.contains(&id),
            Picked::Matching => true,
        }
    }

    /// A first page for the current filter, keeping what the page says.
    fn fetch_first(&mut self) {
        self.seq += 1;
        self.request = Some(ListRequest {
            seq: self.seq,
            filter: self.filter.clone(),
            before: None,
        });
    }

    pub fn apply(&mut self, action: HistoryAction) {
        match action {
            HistoryAction::Search(filter) => {
                self.filter = filter;
                self.picked = Picked::None;
                self.confirm = None;
                self.result = None;
                self.error = None;
                self.fetch_first();
            }
            HistoryAction::Invalid(problems) => {
                self.error = Some(problems.join("; "));
            }
            HistoryAction::LoadOlder => {
                if let (true, None, Some(last)) = (self.more, &self.request, self.rows.last()) {
                    self.seq += 1;
                    self.request = Some(ListRequest {
                        seq: self.seq,
                        filter: self.filter.clone(),
                        before: Some(last.id),
                    });
                }
            }
            HistoryAction::Loaded { seq, page } => {
                let Some(request) = self.request.take_if(|r| r.seq == seq) else {
                    return;
                };
                if request.before.is_some() {
                    let known: Vec<_> = self.rows.iter().map(|r| r.id).collect();
                    self.rows.extend(
                        page.conversations
                            .into_iter()
                            .filter(|r| !known.contains(&r.id)),
                    );
                } else {
                    self.rows = page.conversations;
                    // Counted again: what is picked one by one is what is still listed.
                    if let Picked::Ids(ids) = &mut self.picked {
                        ids.retain(|id| self.rows.iter().any(|r| r.id == *id));
                        if ids.is_empty() {
                            self.picked = Picked::None;
                        }
                    }
                }
                self.more = page.more;
                self.total = page.total;
                self.loaded = true;
            }
            HistoryAction::Failed { seq, message } => {
                if self.request.take_if(|r| r.seq == seq).is_some() {
                    self.error = Some(message);
                }
            }
            HistoryAction::Toggle(id) => {
                self.confirm = None;
                match &mut self.picked {
                    Picked::Matching => {}
                    Picked::None => self.picked = Picked::Ids(vec![id]),
                    Picked::Ids(ids) => {
                        if let Some(at) = ids.iter().position(|x| *x == id) {
                            ids.remove(at);
                            if ids.is_empty() {
                                self.picked = Picked::None;
                            }
                        } else if ids.len() >= MAX_SELECTED {
                            self.error = Some(format!(
                                "At most {MAX_SELECTED} conversations can be ticked one by one; \
                                 to act on more, select all that match."
                            ));
                        } else {
                            ids.push(id);
                        }
                    }
                }
            }
            HistoryAction::SelectMatching(on) => {
                self.confirm = None;
                self.picked = if on { Picked::Matching } else { Picked::None };
            }
            HistoryAction::ClearSelection => {
                self.confirm = None;
                self.picked = Picked::None;
            }
            HistoryAction::AskErase => {
                let n = self.selected_count();
                self.confirm = (n > 0).then_some(n);
            }
            HistoryAction::CancelErase => self.confirm = None,
            HistoryAction::Working => {
                self.busy = true;
                self.result = None;
                self.error = None;
            }
            HistoryAction::Done { did, result } => {
                self.busy = false;
                self.confirm = None;
                self.open = None;
                self.picked = Picked::None;
                self.error = None;
                self.result = Some(done_text(did, &result));
                self.fetch_first();
            }
            HistoryAction::Refused(message) => {
                self.busy = false;
                self.confirm = None;
                self.error = Some(message);
            }
            HistoryAction::Conflict(message) => {
                self.busy = false;
                self.confirm = None;
                self.error = Some(message);
                self.fetch_first();
            }
            HistoryAction::Open(id) => {
                self.confirm = None;
                self.open = Some(id);
            }
            HistoryAction::Back => self.open = None,
            HistoryAction::Updated(row) => {
                if let Some(r) = self.rows.iter_mut().find(|r| r.id == row.id) {
                    *r = row;
                }
            }
        }
    }
}

impl Reducible for HistoryState {
    type Action = HistoryAction;

    fn reduce(self: Rc<Self>, action: HistoryAction) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.apply(action);
        Rc::new(state)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use confide_protocol::chat::{Author, ChatMessage, ClientMsgId, MessageText};
    use confide_protocol::details::FieldValue;

    pub(crate) fn row(id: i64) -> HistoryRow {
        HistoryRow {
            id: ConversationId(id),
            widget: WidgetKey::parse("demo").expect("key"),
            status: ConversationStatus::Closed,
            started_at: 1_000 * id,
            last_at: 1_000 * id + 5,
            messages: 2,
            name: None,
            email: Some("ann@example.com".into()),
            restricted: false,
        }
    }

    fn page(ids: &[i64], more: bool, total: u64) -> HistoryPage {
        HistoryPage {
            conversations: ids.iter().map(|&i| row(i)).collect(),
            more,
            total,
        }
    }

    fn run(state: HistoryState, actions: impl IntoIterator<Item = HistoryAction>) -> HistoryState {
        let mut rc = Rc::new(state);
        for a in actions {
            rc = rc.reduce(a);
        }
        Rc::unwrap_or_clone(rc)
    }

    /// The state after searching `filter` and receiving `page`.
    fn listed(filter: HistoryFilter, page: HistoryPage) -> HistoryState {
        let s = run(HistoryState::default(), [HistoryAction::Search(filter)]);
        let seq = s.request.as_ref().expect("a request").seq;
        run(s, [HistoryAction::Loaded { seq, page }])
    }

    fn loaded(s: HistoryState, page: HistoryPage) -> HistoryState {
        let seq = s.request.as_ref().expect("a request").seq;
        run(s, [HistoryAction::Loaded { seq, page }])
    }

    /// Berlin: UTC+1 in winter, UTC+2 in summer; summer time starts on 2026-03-29 at 02:00
    /// local, so that day has 23 hours.
    fn berlin(y: i32, m: u32, d: u32) -> i64 {
        let summer = (m, d) > (3, 29) && (m, d) <= (10, 25);
        let offset = if summer { 2 } else { 1 };
        utc_midnight(y, m, d) - offset * 3_600_000
    }

    #[test]
    fn a_typed_day_runs_from_its_local_midnight_to_the_next_one() {
        assert_eq!(utc_midnight(1970, 1, 1), 0);
        assert_eq!(utc_midnight(2000, 2, 29), 951_782_400_000);
        assert_eq!(
            confide_protocol::history::utc_date(utc_midnight(2026, 12, 6)),
            "2026-12-06"
        );
        assert_eq!(
            day_start("2026-12-06", utc_midnight),
            Some(1_796_515_200_000)
        );
        assert_eq!(day_end("2026-12-06", utc_midnight), Some(1_796_601_599_999));
        // The last day of a year and of a leap February roll over.
        assert_eq!(
            day_end("2026-12-31", utc_midnight),
            Some(utc_midnight(2027, 1, 1) - 1)
        );
        assert_eq!(
            day_end("2028-02-28", utc_midnight),
            Some(utc_midnight(2028, 2, 29) - 1)
        );
        // Local days: Berlin is an hour ahead in winter; the day summer time starts is 23 h.
        assert_eq!(
            day_start("2026-01-15", berlin),
            Some(utc_midnight(2026, 1, 15) - 3_600_000)
        );
        let (start, end) = (
            day_start("2026-03-29", berlin).expect("start"),
            day_end("2026-03-29", berlin).expect("end"),
        );
        assert_eq!(end - start + 1, 23 * 3_600_000);
        // 1970-01-01 in a zone east of UTC would start before 1970: the server takes 0.
        assert_eq!(day_start("1970-01-01", berlin), Some(0));
    }

    #[test]
    fn only_whole_dates_from_1970_are_read() {
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        for bad in [
            "",
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "24-01-01",
            "1969-12-31",
            "2024-04-31",
            "2024-01-0x",
            "+024-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_filter_form_reads_empty_inputs_as_no_filter_and_names_every_problem() {
        let empty = FilterForm::default().filter(utc_midnight);
        assert_eq!(empty, Ok(HistoryFilter::default()));
        let form = FilterForm {
            widget: "demo".into(),
            status: "left".into(),
            from: "2026-12-01".into(),
            to: "2026-12-06".into(),
            email: " ann@example.com ".into(),
            name: "  ".into(),
            conversation: "42".into(),
        };
        let f = form.filter(utc_midnight).expect("valid");
        assert_eq!(f.widget.as_ref().map(|w| w.as_str()), Some("demo"));
        assert_eq!(f.status, Some(ConversationStatus::Left));
        assert_eq!(f.from, Some(utc_midnight(2026, 12, 1)));
        assert_eq!(f.to, Some(utc_midnight(2026, 12, 7) - 1));
        assert_eq!(f.email.as_deref(), Some("ann@example.com"));
        assert_eq!(f.name, None);
        assert_eq!(f.conversation, Some(ConversationId(42)));

        let bad = FilterForm {
            from: "2026-12-07".into(),
            to: "2026-12-06".into(),
            email: "ann".into(),
            conversation: "-3".into(),
            ..FilterForm::default()
        };
        let problems = bad.filter(utc_midnight).expect_err("problems");
        assert_eq!(
            problems,
            [
                "From: after To, so nothing can match",
                "Email: a whole email address, with its @",
                "Conversation: an id is a positive whole number",
            ]
        );
        let problems = FilterForm {
            from: "yesterday".into(),
            ..FilterForm::default()
        }
        .filter(utc_midnight)
        .expect_err("a date");
        assert_eq!(problems, ["From: a date from 1970 on, as YYYY-MM-DD"]);
    }

    #[test]
    fn exports_name_the_ids_picked_or_the_filter() {
        let ids = Selection::Ids(vec![
            ConversationId(3),
            ConversationId(12),
            ConversationId(7),
        ]);
        assert_eq!(
            export_url(&ids, Export::MessagesCsv),
            "/api/admin/export?format=csv&rows=messages&ids=3,12,7"
        );
        assert_eq!(
            export_url(&ids, Export::ConversationsCsv),
            "/api/admin/export?format=csv&rows=conversations&ids=3,12,7"
        );
        let filter = HistoryFilter {
            email: Some("a+b@example.com".into()),
            status: Some(ConversationStatus::Closed),
            ..HistoryFilter::default()
        };
        assert_eq!(
            export_url(&Selection::Matching(filter), Export::Json),
            "/api/admin/export?format=json&status=closed&email=a%2Bb%40example.com"
        );
        assert_eq!(
            export_url(
                &Selection::Matching(HistoryFilter::default()),
                Export::MessagesCsv
            ),
            "/api/admin/export?format=csv&rows=messages"
        );
    }

    #[test]
    fn list_and_person_paths_carry_the_filter_and_the_page() {
        let filter = HistoryFilter {
            email: Some("ann@example.com".into()),
            name: Some("Ann Lee".into()),
            widget: Some(WidgetKey::parse("demo").expect("key")),
            ..HistoryFilter::default()
        };
        assert_eq!(
            history_path(&HistoryFilter::default(), None),
            "/api/admin/conversations"
        );
        assert_eq!(
            history_path(&HistoryFilter::default(), Some(ConversationId(9))),
            "/api/admin/conversations?before=9"
        );
        assert_eq!(
            history_path(&filter, Some(ConversationId(9))),
            "/api/admin/conversations?widget=demo&email=ann%40example.com&name=Ann%20Lee&before=9"
        );
        assert_eq!(
            person_path(&filter),
            "/api/admin/person?email=ann%40example.com&name=Ann%20Lee"
        );
        assert_eq!(
            transcript_path(ConversationId(5)),
            "/api/admin/conversations/5"
        );
        assert_eq!(
            details_path(ConversationId(5)),
            "/api/admin/conversations/5/details"
        );
    }

    #[test]
    fn the_confirmation_states_the_exact_count() {
        assert_eq!(
            erase_question(3),
            "Erase 3 conversations? This cannot be undone."
        );
        assert_eq!(
            erase_question(1),
            "Erase 1 conversation? This cannot be undone."
        );
        assert_eq!(total_text(1), "1 conversation matches");
        assert_eq!(total_text(0), "0 conversations match");
    }

    #[test]
    fn results_say_what_was_done_missing_and_kept() {
        let done = SelectionDone {
            done: 2,
            messages: 9,
            missing: vec![ConversationId(4)],
            restricted: vec![ConversationId(5), ConversationId(6)],
        };
        assert_eq!(
            done_text(Did::Erase, &done),
            "Erased 2 conversations and 9 messages. 1 conversation was not found (erased \
             already?). 2 conversations were kept because they are restricted; lift the \
             restriction to erase them."
        );
        let one = SelectionDone {
            done: 1,
            messages: 1,
            ..SelectionDone::default()
        };
        assert_eq!(
            done_text(Did::Erase, &one),
            "Erased 1 conversation and 1 message."
        );
        assert_eq!(done_text(Did::Restrict, &one), "Restricted 1 conversation.");
        assert_eq!(
            done_text(Did::Lift, &done).split('.').next(),
            Some("Lifted the restriction on 2 conversations")
        );
    }

    #[test]
    fn rows_are_picked_one_by_one_or_all_that_match() {
        let filter = HistoryFilter {
            status: Some(ConversationStatus::Closed),
            ..HistoryFilter::default()
        };
        let s = listed(filter.clone(), page(&[9, 8, 7], true, 120));
        assert_eq!((s.rows.len(), s.more, s.total), (3, true, 120));
        assert_eq!(s.request, None);
        assert_eq!(s.selection(), None);

        let s = run(
            s,
            [
                HistoryAction::Toggle(ConversationId(8)),
                HistoryAction::Toggle(ConversationId(9)),
                HistoryAction::Toggle(ConversationId(7)),
                HistoryAction::Toggle(ConversationId(8)),
            ],
        );
        assert_eq!(
            s.selection(),
            Some(Selection::Ids(vec![ConversationId(9), ConversationId(7)]))
        );
        assert_eq!(s.selected_count(), 2);
        assert!(s.is_picked(ConversationId(7)) && !s.is_picked(ConversationId(8)));

        // All that match: the filter the list was fetched with, counted by the server.
        let s = run(s, [HistoryAction::SelectMatching(true)]);
        assert_eq!(s.selection(), Some(Selection::Matching(filter)));
        assert_eq!(s.selected_count(), 120);
        let s = run(s, [HistoryAction::Toggle(ConversationId(8))]);
        assert_eq!(s.selected_count(), 120, "rows are not toggled in that mode");
        let s = run(s, [HistoryAction::SelectMatching(false)]);
        assert_eq!(s.selection(), None);
        let s = run(
            s,
            [
                HistoryAction::Toggle(ConversationId(8)),
                HistoryAction::Toggle(ConversationId(8)),
            ],
        );
        assert_eq!(s.picked, Picked::None, "unticking the last picks nothing");
    }

    #[test]
    fn no_more_than_the_limit_are_ticked_one_by_one() {
        let mut s = HistoryState {
            picked: Picked::Ids((1..=MAX_SELECTED as i64).map(ConversationId).collect()),
            ..HistoryState::default()
        };
        s.apply(HistoryAction::Toggle(ConversationId(10_000)));
        assert_eq!(s.selected_count(), MAX_SELECTED as u64);
        assert!(s.error.as_deref().is_some_and(|e| e.contains("500")));
    }

    #[test]
    fn older_pages_append_and_a_stale_answer_is_dropped() {
        let s = listed(HistoryFilter::default(), page(&[9, 8], true, 4));
        let s = run(s, [HistoryAction::LoadOlder]);
        let request = s.request.clone().expect("older");
        assert_eq!(request.before, Some(ConversationId(8)));
        assert_eq!(request.path(), "/api/admin/conversations?before=8");
        // A second click while it loads asks nothing more.
        let s = run(s, [HistoryAction::LoadOlder]);
        assert_eq!(s.request, Some(request.clone()));
        let s = run(
            s,
            [HistoryAction::Loaded {
                seq: request.seq,
                page: page(&[8, 7, 6], false, 4),
            }],
        );
        let ids: Vec<_> = s.rows.iter().map(|r| r.id.0).collect();
        assert_eq!(ids, [9, 8, 7, 6]);
        assert!(!s.more);
        let s = run(s, [HistoryAction::LoadOlder]);
        assert_eq!(s.request, None, "nothing older");

        // Two searches in a row: the first one's answer arrives last and is ignored.
        let s = run(
            s,
            [
                HistoryAction::Search(HistoryFilter::default()),
                HistoryAction::Search(HistoryFilter {
                    status: Some(ConversationStatus::Open),
                    ..HistoryFilter::default()
                }),
            ],
        );
        let newest = s.request.clone().expect("request");
        let s = run(
            s,
            [
                HistoryAction::Loaded {
                    seq: newest.seq - 1,
                    page: page(&[1], false, 1),
                },
                HistoryAction::Failed {
                    seq: newest.seq - 1,
                    message: "late".into(),
                },
            ],
        );
        assert_eq!(s.rows.len(), 4);
        assert_eq!(s.error, None);
        let s = loaded(s, page(&[5], false, 1));
        assert_eq!(s.rows.len(), 1);
    }

    #[test]
    fn an_erasure_is_confirmed_with_its_count_then_the_list_is_fetched_again() {
        let s = listed(HistoryFilter::default(), page(&[9, 8, 7], false, 3));
        let s = run(s, [HistoryAction::AskErase]);
        assert_eq!(s.confirm, None, "nothing picked, nothing to confirm");
        let s = run(
            s,
            [
                HistoryAction::Toggle(ConversationId(9)),
                HistoryAction::Toggle(ConversationId(7)),
                HistoryAction::AskErase,
            ],
        );
        assert_eq!(s.confirm, Some(2));
        let s = run(s, [HistoryAction::CancelErase]);
        assert_eq!(s.confirm, None);
        assert_eq!(s.selected_count(), 2, "cancelling keeps the selection");
        let s = run(
            s,
            [
                HistoryAction::AskErase,
                HistoryAction::Working,
                HistoryAction::Done {
                    did: Did::Erase,
                    result: SelectionDone {
                        done: 2,
                        messages: 4,
                        ..SelectionDone::default()
                    },
                },
            ],
        );
        assert!(!s.busy);
        assert_eq!(s.confirm, None);
        assert_eq!(s.picked, Picked::None);
        assert_eq!(
            s.result.as_deref(),
            Some("Erased 2 conversations and 4 messages.")
        );
        let request = s.request.clone().expect("the list again");
        assert_eq!(request.before, None);
        let s = loaded(s, page(&[8], false, 1));
        assert_eq!(s.total, 1);
        assert!(
            s.result.is_some(),
            "the result stays while the list reloads"
        );
    }

    #[test]
    fn a_conflict_says_so_and_counts_again_keeping_what_is_still_listed() {
        let s = listed(HistoryFilter::default(), page(&[9, 8, 7], false, 3));
        let s = run(
            s,
            [
                HistoryAction::Toggle(ConversationId(9)),
                HistoryAction::Toggle(ConversationId(8)),
                HistoryAction::AskErase,
                HistoryAction::Working,
                HistoryAction::Conflict("the selection now holds 1".into()),
            ],
        );
        assert_eq!(s.error.as_deref(), Some("the selection now holds 1"));
        assert_eq!(s.confirm, None);
        assert!(!s.busy);
        // Someone erased 8 meanwhile: the new count is 1.
        let s = loaded(s, page(&[9, 7], false, 2));
        assert_eq!(s.selection(), Some(Selection::Ids(vec![ConversationId(9)])));
        let s = run(s, [HistoryAction::AskErase]);
        assert_eq!(s.confirm, Some(1));

        // All that match: the count is the new total.
        let s = run(
            s,
            [
                HistoryAction::SelectMatching(true),
                HistoryAction::Working,
                HistoryAction::Conflict("changed".into()),
            ],
        );
        let s = loaded(s, page(&[9], false, 1));
        assert_eq!(s.picked, Picked::Matching);
        assert_eq!(s.selected_count(), 1);
    }

    #[test]
    fn a_refusal_keeps_the_selection_and_a_new_search_clears_it() {
        let s = listed(HistoryFilter::default(), page(&[9], false, 1));
        let s = run(
            s,
            [
                HistoryAction::Toggle(ConversationId(9)),
                HistoryAction::Working,
                HistoryAction::Refused("restricted: only admins".into()),
            ],
        );
        assert_eq!(s.error.as_deref(), Some("restricted: only admins"));
        assert_eq!(s.selected_count(), 1);
        assert_eq!(s.request, None);
        let s = run(
            s,
            [HistoryAction::Invalid(vec![
                "From: x".into(),
                "To: y".into(),
            ])],
        );
        assert_eq!(s.error.as_deref(), Some("From: x; To: y"));
        assert_eq!(s.request, None, "a form with problems fetches nothing");
        let s = run(s, [HistoryAction::Search(HistoryFilter::default())]);
        assert_eq!((s.error.clone(), s.selected_count()), (None, 0));
    }

    #[test]
    fn a_transcript_opens_over_the_list_and_its_changes_reach_the_row() {
        let s = listed(HistoryFilter::default(), page(&[9, 8], false, 2));
        let s = run(s, [HistoryAction::Open(ConversationId(8))]);
        assert_eq!(s.open, Some(ConversationId(8)));
        let mut changed = row(8);
        changed.restricted = true;
        let s = run(s, [HistoryAction::Updated(changed), HistoryAction::Back]);
        assert_eq!(s.open, None);
        assert!(s.rows[1].restricted);
        assert_eq!(s.request, None, "going back keeps the pages loaded");
        // Erased from the transcript: back to a fresh list with the result.
        let s = run(
            s,
            [
                HistoryAction::Open(ConversationId(9)),
                HistoryAction::Done {
                    did: Did::Erase,
                    result: SelectionDone {
                        done: 1,
                        messages: 3,
                        ..SelectionDone::default()
                    },
                },
            ],
        );
        assert_eq!(s.open, None);
        assert!(s.request.is_some());
    }

    #[test]
    fn a_rectification_sends_trimmed_values_and_removes_emptied_ones() {
        let r = rectify_request(" Ann Lee ", "  ", [("phone", ""), ("order", " 123 ")]);
        assert_eq!(r.name.as_deref(), Some("Ann Lee"));
        assert_eq!(r.email, None);
        assert_eq!(r.custom["order"], "123");
        assert_eq!(r.custom["phone"], "");
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"name": "Ann Lee", "email": null, "custom": {"order": "123", "phone": ""}})
        );

        let transcript = Transcript {
            conversation: row(3),
            messages: vec![ChatMessage {
                seq: 1,
                id: ClientMsgId::parse("message-1").expect("id"),
                author: Author::Visitor,
                author_name: None,
                text: MessageText::parse("hi").expect("text"),
                at: 5,
            }],
            receipt: None,
            details: None,
        };
        let details = VisitorDetails {
            name: Some("Ann Lee".into()),
            custom: vec![FieldValue {
                key: "order".into(),
                label: "Order".into(),
                value: "123".into(),
            }],
            ..VisitorDetails::default()
        };
        let t = with_details(transcript, details.clone());
        assert_eq!(t.conversation.name.as_deref(), Some("Ann Lee"));
        assert_eq!(t.conversation.email, None, "the email was removed");
        assert_eq!(t.details, Some(details));
        let t = with_details(t, VisitorDetails::default());
        assert_eq!(t.details, None);
    }
}
