//! `GET /api/admin/export`: a selection of conversations as one download (issue 14), for a
//! person's access or portability request or the site's own records. The selection is `ids`
//! (at most `MAX_SELECTED`) or the history's filters ("all that match"); `format` is `csv` or
//! `json`; a CSV has one row per message (`rows=messages`, the default, each with its
//! conversation's columns) or one per conversation (`rows=conversations`).
//!
//! The body is streamed: conversations are read `SELECTION_BATCH` at a time and written
//! through a small channel, so the server holds a batch, not the export, whatever its size.
//! CSV files start with a UTF-8 byte order mark (spreadsheet programs then read UTF-8), quote
//! every cell, and neutralise cells a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or carriage return) with a leading apostrophe. An export that fails
//! part-way aborts the response, so the download fails rather than ending short.

use super::extract::{Data, EditTranscripts};
use super::history::{audit, ids_target, limit_to, query, read_params, read_transcript};
use crate::error::ApiError;
use crate::store::audit::AuditAction;
use crate::store::history::{HistoryQuery, SELECTION_BATCH};
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use confide_protocol::chat::Author;
use confide_protocol::details::VisitorDetails;
use confide_protocol::history::{utc_date, utc_datetime, HistoryRow, Transcript};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/admin/export", get(export))
}

/// Chunks in flight between the reader and the response.
const CHANNEL: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    MessagesCsv,
    ConversationsCsv,
    Json,
}

async fn export(
    State(state): State<AppState>,
    Data(op, _): Data<EditTranscripts>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = read_params(raw.as_deref().unwrap_or(""), &["ids", "format", "rows"])?;
    let extra = |name: &str| {
        p.extra
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    };
    let format = match (extra("format"), extra("rows")) {
        (Some("csv"), None | Some("messages")) => Format::MessagesCsv,
        (Some("csv"), Some("conversations")) => Format::ConversationsCsv,
        (Some("json"), None) => Format::Json,
        (Some("csv"), Some(_)) => {
            return Err(ApiError::Invalid("rows: messages or conversations".into()))
        }
        (Some("json"), Some(_)) => {
            return Err(ApiError::Invalid("rows: only for format=csv".into()))
        }
        _ => return Err(ApiError::Invalid("format: csv or json".into())),
    };
    let (q, target) = match &p.ids {
        Some(_) if !p.filter.is_empty() => {
            return Err(ApiError::Invalid(
                "ids: either ids or filters, not both".into(),
            ))
        }
        Some(ids) => (
            limit_to(
                &op,
                HistoryQuery {
                    ids: Some(ids.clone()),
                    ..HistoryQuery::default()
                },
            ),
            ids_target(ids),
        ),
        None => (query(&state, &op, &p.filter).await?, "filter".to_owned()),
    };
    let count = state.store.history_count(&q).await?;
    let missing = p
        .ids
        .as_ref()
        .map_or(0, |ids| (ids.len() as u64).saturating_sub(count));
    audit(&state, op.id, AuditAction::Exported, target, Some(count)).await?;
    tracing::info!(
        conversations = count,
        "conversations exported by an operator"
    );

    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(CHANNEL);
    tokio::spawn(produce(state.clone(), op, q, format, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let today = utc_date(state.store.now_ms());
    let (mime, ext) = match format {
        Format::Json => ("application/json", "json"),
        _ => ("text/csv; charset=utf-8", "csv"),
    };
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"confide-export-{today}.{ext}\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert("confide-conversations", count.into());
    h.insert("confide-missing", missing.into());
    Ok(res)
}

/// Reads the selection a batch at a time and sends it on as chunks; an error is sent as
/// the stream's error, which aborts the response.
async fn produce(
    state: AppState,
    op: crate::store::Operator,
    mut q: HistoryQuery,
    format: Format,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    if let Err(e) = write_all(&state, &op, &mut q, format, &tx).await {
        tracing::error!(error = %e, "export failed part-way");
        let _ = tx
            .send(Err(std::io::Error::other("the export failed")))
            .await;
    }
}

async fn write_all(
    state: &AppState,
    op: &crate::store::Operator,
    q: &mut HistoryQuery,
    format: Format,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> anyhow::Result<()> {
    let send = |bytes: Vec<u8>| async move {
        tx.send(Ok(Bytes::from(bytes)))
            .await
            .map_err(|_| anyhow::anyhow!("the download was abandoned"))
    };
    let head = match format {
        Format::Json => format!(
            "{{\"exported_at\":\"{}\",\"conversations\":[",
            utc_datetime(state.store.now_ms())
        )
        .into_bytes(),
        Format::MessagesCsv => csv_head(&MESSAGE_COLUMNS)?,
        Format::ConversationsCsv => csv_head(&CONVERSATION_COLUMNS)?,
    };
    send(head).await?;
    let mut first = true;
    loop {
        let rows = state.store.history_rows(q, SELECTION_BATCH).await?;
        let Some(last) = rows.last() else {
            break;
        };
        q.before = Some(last.id);
        for row in rows {
            let Some(t) = read_transcript(state, op, row.id).await? else {
                // Erased since the batch was read.
                continue;
            };
            let bytes = match format {
                Format::Json => {
                    let mut out = if first { Vec::new() } else { b",".to_vec() };
                    serde_json::to_writer(&mut out, &t)?;
                    out
                }
                Format::MessagesCsv => message_rows(&t)?,
                Format::ConversationsCsv => conversation_row(&t)?,
            };
            first = false;
            send(bytes).await?;
        }
    }
    if format == Format::Json {
        send(b"]}".to_vec()).await?;
    }
    Ok(())
}

const MESSAGE_COLUMNS: [&str; 14] = [
    "conversation",
    "widget",
    "status",
    "restricted",
    "started_at",
    "last_at",
    "name",
    "email",
    "custom_fields",
    "message_seq",
    "message_at",
    "author",
    "operator",
    "text",
];

const CONVERSATION_COLUMNS: [&str; 19] = [
    "conversation",
    "widget",
    "status",
    "restricted",
    "started_at",
    "last_at",
    "messages",
    "name",
    "email",
    "custom_fields",
    "page",
    "referrer",
    "browser",
    "os",
    "consent_version",
    "consent_language",
    "consent_at",
    "consent_withdrawn_at",
    "consent_text_sha256",
];

/// A spreadsheet cell that cannot run as a formula: one that starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return gets a leading apostrophe (OWASP's advice).
pub fn neutralised(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new())
}

/// The byte order mark and the header row.
pub(super) fn csv_head(columns: &[&str]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv_writer();
    w.write_record(columns)?;
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("{}", e.error()))?,
    );
    Ok(out)
}

pub(super) fn csv_rows(rows: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv_writer();
    for row in rows {
        w.write_record(row.iter().map(|c| neutralised(c).into_owned()))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))
}

/// The columns every row of a conversation shares.
fn conversation_cells(row: &HistoryRow, details: &VisitorDetails) -> Vec<String> {
    vec![
        row.id.0.to_string(),
        row.widget.as_str().to_owned(),
        row.status.as_str().to_owned(),
        if row.restricted { "yes" } else { "no" }.to_owned(),
        utc_datetime(row.started_at),
        utc_datetime(row.last_at),
    ]
    .into_iter()
    .chain([
        details.name.clone().unwrap_or_default(),
        details.email.clone().unwrap_or_default(),
        details
            .custom
            .iter()
            .map(|f| format!("{}: {}", f.label, f.value))
            .collect::<Vec<_>>()
            .join("; "),
    ])
    .collect()
}

fn message_rows(t: &Transcript) -> anyhow::Result<Vec<u8>> {
    let details = t.details.clone().unwrap_or_default();
    let shared = conversation_cells(&t.conversation, &details);
    let mut rows = Vec::with_capacity(t.messages.len().max(1));
    for m in &t.messages {
        let mut row = shared.clone();
        row.extend([
            m.seq.to_string(),
            utc_datetime(m.at),
            match m.author {
                Author::Visitor => "visitor",
                Author::Operator => "operator",
                Author::System => "system",
            }
            .to_owned(),
            m.author_name.clone().unwrap_or_default(),
            m.text.as_str().to_owned(),
        ]);
        rows.push(row);
    }
    if rows.is_empty() {
        // A conversation without messages still has its row.
        let mut row = shared;
        row.extend(std::iter::repeat_n(String::new(), 5));
        rows.push(row);
    }
    csv_rows(&rows)
}

fn conversation_row(t: &Transcript) -> anyhow::Result<Vec<u8>> {
    let details = t.details.clone().unwrap_or_default();
    let mut row = conversation_cells(&t.conversation, &details);
    row.insert(6, t.conversation.messages.to_string());
    let r = t.receipt.as_ref();
    row.extend([
        details.page.clone().unwrap_or_default(),
        details.referrer.clone().unwrap_or_default(),
        details.browser.clone().unwrap_or_default(),
        details.os.clone().unwrap_or_default(),
        r.map(|r| r.version.to_string()).unwrap_or_default(),
        r.map(|r| r.language.clone()).unwrap_or_default(),
        r.map(|r| utc_datetime(r.at)).unwrap_or_default(),
        r.and_then(|r| r.withdrawn_at)
            .map(utc_datetime)
            .unwrap_or_default(),
        r.map(|r| r.text_sha256.clone()).unwrap_or_default(),
    ]);
    csv_rows(&[row])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_other_cells_kept() {
        for bad in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralised(bad), format!("'{bad}"), "{bad:?}");
        }
        for fine in ["hello", "", "1-2", " =x", "'quoted"] {
            assert_eq!(neutralised(fine), fine);
        }
        let out = csv_rows(&[vec!["=1+1".into(), "a \"b\", c".into()]]).expect("csv");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "\"'=1+1\",\"a \"\"b\"\", c\"\n"
        );
        let head = csv_head(&["x", "y"]).expect("head");
        assert_eq!(
            &head[..3],
            [0xEF, 0xBB, 0xBF],
            "a UTF-8 byte order mark first"
        );
    }
}
