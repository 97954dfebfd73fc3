//! The operators' history and data-subject requests (issue 14), admins only until roles
//! decide otherwise (issue 15), each within `data_requests_per_operator_per_minute`:
//!
//! - `GET /api/admin/conversations`: every conversation newest first, a page at a time,
//!   filtered and searched (protocol `history`);
//! - `GET /api/admin/conversations/{id}`: one conversation read whole;
//! - `PUT /api/admin/conversations/{id}/details`: its visitor-provided values corrected;
//! - `POST /api/admin/conversations/erase` and `…/restrict`: a selection erased, restricted
//!   or its restriction lifted;
//! - `GET /api/admin/person`: everything held on one person (by email, optionally a name).
//!
//! Every access to personal data is written to the audit log with ids and counts, never what
//! was searched. Query strings are read by hand, so that every refusal names its parameter
//! and quotes nothing that was sent.

use super::extract::{ApiJson, Data, EditTranscripts, ReadTranscripts};
use crate::error::ApiError;
use crate::store::audit::{AuditAction, AuditEntry};
use crate::store::history::HistoryQuery;
use crate::store::Operator;
use crate::store::StoreError;
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use confide_protocol::chat::ConversationId;
use confide_protocol::details::{PrechatValues, VisitorDetails};
use confide_protocol::history::{
    ConversationStatus, EraseRequest, HistoryFilter, HistoryPage, PersonFound, Rectify,
    RestrictRequest, Selection, SelectionDone, Transcript, MAX_SEARCH_CHARS, MAX_SELECTED,
    PERSON_LIST,
};
use confide_protocol::roles::TranscriptAccess;
use confide_protocol::settings::{CustomField, PrechatFields, Requirement};
use confide_protocol::WidgetKey;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/conversations", get(history))
        .route("/api/admin/conversations/erase", post(erase))
        .route("/api/admin/conversations/restrict", post(restrict))
        .route("/api/admin/conversations/{id}", get(transcript))
        .route(
            "/api/admin/conversations/{id}/details",
            axum::routing::put(rectify),
        )
        .route("/api/admin/person", get(person))
}

/// What a query string may hold besides the filter.
#[derive(Debug, Default)]
pub(super) struct Params {
    pub filter: HistoryFilter,
    pub before: Option<ConversationId>,
    pub ids: Option<Vec<ConversationId>>,
    /// Other parameters the endpoint allows, by name (values as sent, trimmed).
    pub extra: Vec<(&'static str, String)>,
}

/// The filter's parameters.
const FILTER: [&str; 7] = [
    "widget",
    "status",
    "from",
    "to",
    "email",
    "name",
    "conversation",
];

/// Reads a query string: the filter's parameters, and those of `allowed` (`before`, `ids`
/// and any the caller reads from `extra`). Every problem is named by its parameter.
pub(super) fn read_params(raw: &str, allowed: &[&'static str]) -> Result<Params, ApiError> {
    let mut p = Params::default();
    let mut problems: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let known = |key: &str| -> Option<&'static str> {
        FILTER
            .iter()
            .chain(allowed.iter())
            .find(|n| **n == key)
            .copied()
    };
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        let Some(name) = known(&key) else {
            let mut names: Vec<&str> = FILTER.to_vec();
            names.extend(allowed);
            problems.push(format!("a parameter is not one of {}", names.join(", ")));
            continue;
        };
        if !seen.insert(name) {
            problems.push(format!("{name}: given twice"));
            continue;
        }
        let f = &mut p.filter;
        match name {
            "widget" => match WidgetKey::parse(value) {
                Ok(key) => f.widget = Some(key),
                Err(_) => problems.push("widget: not a widget key".into()),
            },
            "status" => match ConversationStatus::parse(value) {
                Some(s) => f.status = Some(s),
                None => problems.push("status: one of open, closed, left".into()),
            },
            "from" | "to" => match value.parse::<i64>() {
                Ok(ms) if ms >= 0 => {
                    if name == "from" {
                        f.from = Some(ms);
                    } else {
                        f.to = Some(ms);
                    }
                }
                _ => problems.push(format!("{name}: a time in unix milliseconds")),
            },
            "email" => f.email = Some(value.to_owned()),
            "name" => f.name = Some(value.to_owned()),
            "conversation" | "before" => match positive(value) {
                Some(id) if name == "conversation" => f.conversation = Some(id),
                Some(id) => p.before = Some(id),
                None => problems.push(format!(
                    "{name}: a conversation id (a positive whole number)"
                )),
            },
            "ids" => {
                let ids: Option<Vec<ConversationId>> =
                    value.split(',').map(|v| positive(v.trim())).collect();
                match ids {
                    Some(ids) if !ids.is_empty() && ids.len() <= MAX_SELECTED => p.ids = Some(ids),
                    _ => problems.push(format!(
                        "ids: 1 to {MAX_SELECTED} conversation ids, separated by commas"
                    )),
                }
            }
            other => p.extra.push((other, value.to_owned())),
        }
    }
    problems.extend(filter_problems(&p.filter));
    if problems.is_empty() {
        Ok(p)
    } else {
        Err(ApiError::Invalid(problems.join("; ")))
    }
}

fn positive(value: &str) -> Option<ConversationId> {
    match value.parse::<i64>() {
        Ok(id) if id > 0 => Some(ConversationId(id)),
        _ => None,
    }
}

/// What is wrong with a filter, whichever way it came (query string or JSON).
fn filter_problems(f: &HistoryFilter) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(email) = &f.email {
        let email = email.trim();
        if email.is_empty() || email.chars().count() > MAX_SEARCH_CHARS || !email.contains('@') {
            problems.push(format!(
                "email: an email address of at most {MAX_SEARCH_CHARS} characters"
            ));
        }
    }
    if let Some(name) = &f.name {
        if name.chars().count() > MAX_SEARCH_CHARS || crate::crypto::name_tokens(name).is_empty() {
            problems.push(format!(
                "name: at least one word, at most {MAX_SEARCH_CHARS} characters"
            ));
        }
    }
    if matches!((f.from, f.to), (Some(from), Some(to)) if from > to) {
        problems.push("from: after to; the range is empty".into());
    }
    if matches!((f.from, f.to), (Some(t), _) | (_, Some(t)) if t < 0) {
        problems.push("from, to: times in unix milliseconds".into());
    }
    problems
}

/// What `op`'s role may not see is left out of `q`: other widgets' conversations, and
/// restricted ones without edit access.
pub(super) fn limit_to(op: &Operator, mut q: HistoryQuery) -> HistoryQuery {
    let p = &op.permissions;
    q.scope = p.scope().map(<[WidgetKey]>::to_vec);
    q.hide_restricted = p.transcripts < TranscriptAccess::Edit;
    q
}

/// The store's query for a checked filter (the widget key looked up), limited to what `op`
/// may see.
pub(super) async fn query(
    state: &AppState,
    op: &Operator,
    f: &HistoryFilter,
) -> Result<HistoryQuery, ApiError> {
    let problems = filter_problems(f);
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems.join("; ")));
    }
    let widget_id = match &f.widget {
        None => None,
        Some(key) => match state.store.widget_by_key(key).await {
            Ok(w) => Some(w.id),
            Err(StoreError::NotFound) => {
                return Err(ApiError::Invalid("widget: no such widget".into()))
            }
            Err(e) => return Err(e.into()),
        },
    };
    Ok(limit_to(
        op,
        HistoryQuery {
            widget_id,
            status: f.status,
            from: f.from,
            to: f.to,
            email: f.email.as_ref().map(|e| e.trim().to_owned()),
            name: f.name.clone(),
            conversation: f.conversation,
            ..HistoryQuery::default()
        },
    ))
}

/// The store's query for a selection: the ids named (at most [`MAX_SELECTED`]), or the filter;
/// limited to what `op` may see.
pub(super) async fn selection_query(
    state: &AppState,
    op: &Operator,
    selection: &Selection,
) -> Result<HistoryQuery, ApiError> {
    match selection {
        Selection::Ids(ids) if ids.is_empty() || ids.len() > MAX_SELECTED => {
            Err(ApiError::Invalid(format!(
                "selection.ids: 1 to {MAX_SELECTED} conversation ids"
            )))
        }
        Selection::Ids(ids) => Ok(limit_to(
            op,
            HistoryQuery {
                ids: Some(ids.clone()),
                ..HistoryQuery::default()
            },
        )),
        Selection::Matching(f) => query(state, op, f).await.map_err(|e| match e {
            ApiError::Invalid(m) => ApiError::Invalid(format!("selection.matching.{m}")),
            other => other,
        }),
    }
}

/// What an audit entry names for a selection: its ids, or `filter` for "all that match".
pub(super) fn selection_target(selection: &Selection) -> String {
    match selection {
        Selection::Ids(ids) => ids_target(ids),
        Selection::Matching(_) => "filter".into(),
    }
}

pub(super) fn ids_target(ids: &[ConversationId]) -> String {
    let ids: Vec<String> = ids.iter().map(|c| c.0.to_string()).collect();
    format!("conversation:{}", ids.join(","))
}

pub(super) async fn audit(
    state: &AppState,
    operator: i64,
    action: AuditAction,
    target: String,
    count: Option<u64>,
) -> Result<(), ApiError> {
    state
        .store
        .audit(AuditEntry {
            operator_id: Some(operator),
            action,
            target,
            count: count.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        })
        .await?;
    Ok(())
}

async fn history(
    State(state): State<AppState>,
    Data(op, _): Data<ReadTranscripts>,
    RawQuery(raw): RawQuery,
) -> Result<Json<HistoryPage>, ApiError> {
    let p = read_params(raw.as_deref().unwrap_or(""), &["before"])?;
    let mut q = query(&state, &op, &p.filter).await?;
    let total = state.store.history_count(&q).await?;
    q.before = p.before;
    let (conversations, more) = state.store.history(&q).await?;
    if conversations.is_empty() && p.before.is_some() && total > 0 {
        return Err(ApiError::Invalid(
            "before: past the last page; start again without it".into(),
        ));
    }
    audit(
        &state,
        op.id,
        AuditAction::HistorySearched,
        String::new(),
        Some(conversations.len() as u64),
    )
    .await?;
    Ok(Json(HistoryPage {
        conversations,
        more,
        total,
    }))
}

/// The `{id}` of the path.
fn path_id(raw: &str) -> Result<ConversationId, ApiError> {
    positive(raw).ok_or_else(|| {
        ApiError::Malformed(
            "the path's id is not a conversation id (a positive whole number)".into(),
        )
    })
}

/// A conversation read whole: its row, messages, receipt and details.
pub(super) async fn read_transcript(
    state: &AppState,
    op: &Operator,
    id: ConversationId,
) -> Result<Option<Transcript>, ApiError> {
    let q = limit_to(
        op,
        HistoryQuery {
            ids: Some(vec![id]),
            ..HistoryQuery::default()
        },
    );
    let Some(conversation) = state.store.history_rows(&q, 1).await?.pop() else {
        return Ok(None);
    };
    let messages = match state.store.messages_after(id, 0).await {
        Err(StoreError::Erased) => Vec::new(),
        other => other?,
    };
    let details = match state.store.conversation_details(id).await {
        Err(StoreError::Erased) => None,
        other => other?,
    };
    let receipt = state.store.conversation_receipt(id).await?.map(|r| r.info);
    Ok(Some(Transcript {
        conversation,
        messages,
        receipt,
        details,
    }))
}

async fn transcript(
    State(state): State<AppState>,
    Data(op, _): Data<ReadTranscripts>,
    Path(raw): Path<String>,
) -> Result<Json<Transcript>, ApiError> {
    let id = path_id(&raw)?;
    let transcript = read_transcript(&state, &op, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit(
        &state,
        op.id,
        AuditAction::TranscriptOpened,
        ids_target(&[id]),
        None,
    )
    .await?;
    Ok(Json(transcript))
}

async fn rectify(
    State(state): State<AppState>,
    Data(op, _): Data<EditTranscripts>,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<Rectify>,
) -> Result<Json<VisitorDetails>, ApiError> {
    let id = path_id(&raw)?;
    let visible = limit_to(
        &op,
        HistoryQuery {
            ids: Some(vec![id]),
            ..HistoryQuery::default()
        },
    );
    if state.store.history_count(&visible).await? == 0 {
        return Err(ApiError::NotFound);
    }
    let current = state
        .store
        .conversation_details(id)
        .await?
        .unwrap_or_default();
    // The same checks as the pre-chat form's, with every field optional and the custom
    // fields the conversation has.
    let fields = PrechatFields {
        name: Requirement::Optional,
        email: Requirement::Optional,
        custom: current
            .custom
            .iter()
            .map(|f| CustomField {
                key: f.key.clone(),
                requirement: Requirement::Optional,
                labels: Default::default(),
            })
            .collect(),
    };
    let values = PrechatValues {
        name: body.name,
        email: body.email,
        custom: body.custom,
    }
    .checked(&fields)
    .map_err(|p| ApiError::Invalid(p.to_string()))?;
    let details = state.store.rectify(id, &values).await?;
    audit(
        &state,
        op.id,
        AuditAction::Rectified,
        ids_target(&[id]),
        None,
    )
    .await?;
    tracing::info!(conversation = id.0, "conversation rectified by an operator");
    Ok(Json(details))
}

async fn erase(
    State(state): State<AppState>,
    Data(op, _): Data<EditTranscripts>,
    ApiJson(body): ApiJson<EraseRequest>,
) -> Result<Json<SelectionDone>, ApiError> {
    let q = selection_query(&state, &op, &body.selection).await?;
    // What exists and the role may see; named ids beyond it are reported as missing.
    let ids = state.store.history_ids(&q).await?;
    let (expected, unseen) = match &body.selection {
        Selection::Ids(named) => (named.len() as u64, not_in(named, &ids)),
        Selection::Matching(_) => (ids.len() as u64, Vec::new()),
    };
    if expected != body.expect {
        return Err(ApiError::Conflict(
            "the selection holds a different number of conversations than was confirmed; \
             count again and confirm",
        ));
    }
    let summaries = summaries(&state, &ids).await;
    let done = state.store.erase_conversations(&ids).await?;
    for c in &done.erased {
        let summary = summaries.iter().find(|s| s.id == *c).cloned();
        state.hub.conversation_ended(*c, summary);
    }
    audit(
        &state,
        op.id,
        AuditAction::Erased,
        selection_target(&body.selection),
        Some(done.erased.len() as u64),
    )
    .await?;
    tracing::info!(
        conversations = done.erased.len(),
        messages = done.messages,
        keys = done.keys,
        missing = done.missing.len(),
        restricted = done.restricted.len(),
        "conversations erased by an operator"
    );
    let mut missing = unseen;
    missing.extend(done.missing);
    Ok(Json(SelectionDone {
        done: done.erased.len() as u64,
        messages: done.messages,
        missing,
        restricted: done.restricted,
    }))
}

/// The ids named that are not among those found, in the order named.
fn not_in(named: &[ConversationId], found: &[ConversationId]) -> Vec<ConversationId> {
    let found: std::collections::BTreeSet<_> = found.iter().collect();
    let mut seen = std::collections::BTreeSet::new();
    named
        .iter()
        .filter(|id| !found.contains(id) && seen.insert(**id))
        .copied()
        .collect()
}

/// The open ones' summaries, for telling consoles they are gone.
async fn summaries(
    state: &AppState,
    ids: &[ConversationId],
) -> Vec<confide_protocol::chat::ConversationSummary> {
    let mut out = Vec::new();
    for id in ids {
        if let Ok(s) = state.store.summary(*id).await {
            if s.open {
                out.push(s);
            }
        }
    }
    out
}

async fn restrict(
    State(state): State<AppState>,
    Data(op, _): Data<EditTranscripts>,
    ApiJson(body): ApiJson<RestrictRequest>,
) -> Result<Json<SelectionDone>, ApiError> {
    let q = selection_query(&state, &op, &body.selection).await?;
    let ids = state.store.history_ids(&q).await?;
    let unseen = match &body.selection {
        Selection::Ids(named) => not_in(named, &ids),
        Selection::Matching(_) => Vec::new(),
    };
    let summaries = if body.restricted {
        summaries(&state, &ids).await
    } else {
        Vec::new()
    };
    let done = state
        .store
        .restrict_conversations(&ids, body.restricted)
        .await?;
    for c in &done.closed {
        let summary = summaries.iter().find(|s| s.id == *c).cloned();
        state.hub.conversation_ended(*c, summary);
    }
    audit(
        &state,
        op.id,
        if body.restricted {
            AuditAction::Restricted
        } else {
            AuditAction::RestrictionLifted
        },
        selection_target(&body.selection),
        Some(done.changed.len() as u64),
    )
    .await?;
    let mut missing = unseen;
    missing.extend(done.missing);
    Ok(Json(SelectionDone {
        done: done.changed.len() as u64,
        messages: 0,
        missing,
        restricted: Vec::new(),
    }))
}

async fn person(
    State(state): State<AppState>,
    Data(op, _): Data<ReadTranscripts>,
    RawQuery(raw): RawQuery,
) -> Result<Json<PersonFound>, ApiError> {
    let p = read_params(raw.as_deref().unwrap_or(""), &[])?;
    let f = &p.filter;
    let only_person = HistoryFilter {
        email: f.email.clone(),
        name: f.name.clone(),
        ..HistoryFilter::default()
    };
    if f.email.is_none() || *f != only_person {
        return Err(ApiError::Invalid(
            "email: required; a person is found by email and optionally name, nothing else".into(),
        ));
    }
    let q = query(&state, &op, f).await?;
    let conversations = state.store.history_rows(&q, PERSON_LIST).await?;
    let totals = state.store.history_totals(&q).await?;
    let mut receipts = Vec::with_capacity(totals.receipts.len());
    for id in &totals.receipts {
        receipts.push(state.store.receipt_info(*id).await?);
    }
    audit(
        &state,
        op.id,
        AuditAction::PersonSearched,
        String::new(),
        Some(totals.total),
    )
    .await?;
    Ok(Json(PersonFound {
        conversations,
        total: totals.total,
        messages: totals.messages,
        left: totals.left,
        restricted: totals.restricted,
        receipts,
        first_at: totals.first_at,
        last_at: totals.last_at,
    }))
}
