//! The operators' history (issue 14): `GET /api/admin/conversations`, every conversation
//! newest first, a page at a time, filtered and searched (protocol `history`). Admins only
//! until roles decide otherwise (issue 15). A search is an access to personal data: each page
//! served is written to the audit log, with the number of rows and never what was searched.
//!
//! The query string is read by hand, so that every refusal names its parameter and quotes
//! nothing that was sent.

use super::extract::Admin;
use crate::error::ApiError;
use crate::store::audit::{AuditAction, AuditEntry};
use crate::store::history::HistoryQuery;
use crate::store::StoreError;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use confide_protocol::chat::ConversationId;
use confide_protocol::history::{ConversationStatus, HistoryPage, MAX_SEARCH_CHARS};
use confide_protocol::WidgetKey;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/admin/conversations", get(history))
}

/// The parameters a history page takes.
const PARAMETERS: &str = "widget, status, from, to, email, name, conversation, before";

async fn history(
    State(state): State<AppState>,
    Admin(op): Admin,
    RawQuery(raw): RawQuery,
) -> Result<Json<HistoryPage>, ApiError> {
    let query = parse(&state, raw.as_deref().unwrap_or("")).await?;
    let (conversations, more) = state.store.history(&query).await?;
    state
        .store
        .audit(AuditEntry {
            operator_id: Some(op.id),
            action: AuditAction::HistorySearched,
            target: String::new(),
            count: Some(conversations.len() as i64),
        })
        .await?;
    Ok(Json(HistoryPage {
        conversations,
        more,
    }))
}

/// Reads the query string into a [`HistoryQuery`], or refuses with every problem named by
/// its parameter.
async fn parse(state: &AppState, raw: &str) -> Result<HistoryQuery, ApiError> {
    let mut q = HistoryQuery::default();
    let mut problems: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        if !seen.insert(key.to_string()) {
            problems.push(format!("{}: given twice", known(&key)));
            continue;
        }
        match key.as_ref() {
            "widget" => match WidgetKey::parse(value) {
                Ok(key) => match state.store.widget_by_key(&key).await {
                    Ok(w) => q.widget_id = Some(w.id),
                    Err(StoreError::NotFound) => problems.push("widget: no such widget".into()),
                    Err(e) => return Err(e.into()),
                },
                Err(_) => problems.push("widget: not a widget key".into()),
            },
            "status" => match ConversationStatus::parse(value) {
                Some(s) => q.status = Some(s),
                None => problems.push("status: one of open, closed, left".into()),
            },
            "from" | "to" => match value.parse::<i64>() {
                Ok(ms) if ms >= 0 => {
                    if key == "from" {
                        q.from = Some(ms);
                    } else {
                        q.to = Some(ms);
                    }
                }
                _ => problems.push(format!("{key}: a time in unix milliseconds")),
            },
            "email" => {
                if value.is_empty()
                    || value.chars().count() > MAX_SEARCH_CHARS
                    || !value.contains('@')
                {
                    problems.push(format!(
                        "email: an email address of at most {MAX_SEARCH_CHARS} characters"
                    ));
                } else {
                    q.email = Some(value.to_owned());
                }
            }
            "name" => {
                if value.chars().count() > MAX_SEARCH_CHARS
                    || crate::crypto::name_tokens(value).is_empty()
                {
                    problems.push(format!(
                        "name: at least one word, at most {MAX_SEARCH_CHARS} characters"
                    ));
                } else {
                    q.name = Some(value.to_owned());
                }
            }
            "conversation" | "before" => match value.parse::<i64>() {
                Ok(id) if id > 0 => {
                    if key == "conversation" {
                        q.conversation = Some(ConversationId(id));
                    } else {
                        q.before = Some(ConversationId(id));
                    }
                }
                _ => problems.push(format!(
                    "{key}: a conversation id (a positive whole number)"
                )),
            },
            _ => problems.push(format!("a parameter is not one of {PARAMETERS}")),
        }
    }
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if from > to {
            problems.push("from: after to; the range is empty".into());
        }
    }
    if problems.is_empty() {
        Ok(q)
    } else {
        Err(ApiError::Invalid(problems.join("; ")))
    }
}

/// A parameter's name when it is one of ours; otherwise a word that quotes nothing sent.
fn known(key: &str) -> &str {
    const NAMES: [&str; 8] = [
        "widget",
        "status",
        "from",
        "to",
        "email",
        "name",
        "conversation",
        "before",
    ];
    NAMES
        .iter()
        .find(|n| **n == key)
        .copied()
        .unwrap_or("a parameter")
}
