//! The audit log for admins (issue 14): `GET /api/admin/audit`, a page of entries newest
//! first with the chain's state, and `GET /api/admin/audit/export`, the matching entries as a
//! CSV download (streamed a page at a time). Filters: `action`, `operator` (an operator id),
//! `from` and `to` (unix ms), and `before` (an entry id) for the next page. Reading the log is
//! itself recorded.

use super::export::{csv_head, csv_rows};
use super::extract::{Audit, Data};
use super::history::audit;
use crate::error::ApiError;
use crate::store::audit::{AuditAction, AuditCheck, AuditFilter, AuditRow};
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use confide_protocol::history::{
    utc_date, utc_datetime, AuditPage, AuditView, AUDIT_ACTIONS, AUDIT_PAGE,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/audit", get(page))
        .route("/api/admin/audit/export", get(export))
}

/// Entries read per round of an export.
const EXPORT_PAGE: i64 = 1000;

/// Reads the query string; every problem named by its parameter, nothing sent quoted.
fn read(raw: &str, paged: bool) -> Result<(AuditFilter, Option<i64>), ApiError> {
    let mut f = AuditFilter::default();
    let mut before = None;
    let mut problems: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let names: &[&str] = if paged {
        &["action", "operator", "from", "to", "before"]
    } else {
        &["action", "operator", "from", "to"]
    };
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        let Some(name) = names.iter().find(|n| **n == key).copied() else {
            problems.push(format!("a parameter is not one of {}", names.join(", ")));
            continue;
        };
        if !seen.insert(name) {
            problems.push(format!("{name}: given twice"));
            continue;
        }
        let number = value.parse::<i64>().ok().filter(|n| *n >= 0);
        match (name, number) {
            ("action", _) => match AUDIT_ACTIONS.iter().find(|a| **a == value) {
                Some(a) => f.action = Some((*a).to_owned()),
                None => problems.push("action: not one of the audit actions".into()),
            },
            ("operator", Some(n)) if n > 0 => f.operator = Some(n),
            ("operator", _) => problems.push("operator: an operator id".into()),
            ("from", Some(n)) => f.from = Some(n),
            ("to", Some(n)) => f.to = Some(n),
            ("before", Some(n)) if n > 0 => before = Some(n),
            (other, _) => problems.push(format!("{other}: a whole number (unix ms, or an id)")),
        }
    }
    if matches!((f.from, f.to), (Some(a), Some(b)) if a > b) {
        problems.push("from: after to; the range is empty".into());
    }
    if problems.is_empty() {
        Ok((f, before))
    } else {
        Err(ApiError::Invalid(problems.join("; ")))
    }
}

fn view(r: AuditRow) -> AuditView {
    AuditView {
        id: r.id,
        at: r.at,
        operator_id: r.operator_id,
        action: r.action,
        target: r.target,
        count: r.count,
    }
}

async fn page(
    State(state): State<AppState>,
    Data(op, _): Data<Audit>,
    RawQuery(raw): RawQuery,
) -> Result<Json<AuditPage>, ApiError> {
    let (filter, before) = read(raw.as_deref().unwrap_or(""), true)?;
    let limit = i64::from(AUDIT_PAGE);
    let mut rows = state.store.audit_search(&filter, before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(AUDIT_PAGE as usize);
    let (intact, broken_at) = match state.store.verify_audit().await? {
        AuditCheck::Intact { .. } => (true, None),
        AuditCheck::Broken { entry, .. } => (false, Some(entry)),
    };
    audit(
        &state,
        op.id,
        AuditAction::AuditRead,
        String::new(),
        Some(rows.len() as u64),
    )
    .await?;
    Ok(Json(AuditPage {
        entries: rows.into_iter().map(view).collect(),
        more,
        intact,
        broken_at,
    }))
}

async fn export(
    State(state): State<AppState>,
    Data(op, _): Data<Audit>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let (filter, _) = read(raw.as_deref().unwrap_or(""), false)?;
    audit(
        &state,
        op.id,
        AuditAction::AuditExported,
        "filter".into(),
        None,
    )
    .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let store = state.store.clone();
    tokio::spawn(async move {
        let mut before = None;
        let mut chunk = csv_head(&["id", "at", "operator", "action", "target", "count"]);
        loop {
            let rows = match store.audit_search(&filter, before, EXPORT_PAGE).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, "audit export failed part-way");
                    let _ = tx
                        .send(Err(std::io::Error::other("the export failed")))
                        .await;
                    return;
                }
            };
            before = rows.last().map(|r| r.id);
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        utc_datetime(r.at),
                        r.operator_id.map(|o| o.to_string()).unwrap_or_default(),
                        r.action.clone(),
                        r.target.clone(),
                        r.count.map(|c| c.to_string()).unwrap_or_default(),
                    ]
                })
                .collect();
            let bytes = chunk.and_then(|mut head| {
                head.extend(csv_rows(&cells)?);
                Ok(head)
            });
            chunk = Ok(Vec::new());
            let sent = match bytes {
                Ok(b) => tx.send(Ok(Bytes::from(b))).await,
                Err(_) => {
                    tx.send(Err(std::io::Error::other("the export failed")))
                        .await
                }
            };
            if sent.is_err() {
                return;
            }
            if (rows.len() as i64) < EXPORT_PAGE {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"confide-audit-{}.csv\"",
        utc_date(state.store.now_ms())
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
