//! The console's IP allowlist (issue 15): when it is not empty, the console's pages, the
//! operator API and the operator socket answer only addresses inside one of its entries
//! (addresses and CIDR ranges, IPv4 and IPv6; behind a proxy the address comes from
//! `client_ip_header`), before any password is checked. Everyone else gets a plain page (the
//! console) or a 403 `forbidden` (the API). The address is compared, never stored or logged.
//!
//! `GET`/`PUT /api/admin/access` read and save the list (roles with `operators`); a list that
//! would shut out the address saving it needs `lock_out_confirmed`. `confide access reset`
//! empties it from the command line.

use super::extract::{ApiJson, Data, Operators};
use crate::error::ApiError;
use crate::store::audit::{AuditAction, AuditEntry};
use crate::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use confide_protocol::accounts::{ConsoleAccess, MAX_ALLOWLIST};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/admin/access", get(read).put(save))
}

/// The paths the allowlist guards.
fn guarded(path: &str) -> bool {
    path == "/console"
        || path.starts_with("/console/")
        || path.starts_with("/api/operator/")
        || path.starts_with("/api/admin/")
        || path.starts_with("/api/account/")
        || path == "/ws/operator"
}

/// An entry: an address (a range of one) or a CIDR range.
fn parse_entry(entry: &str) -> Option<IpNet> {
    let entry = entry.trim();
    entry
        .parse::<IpNet>()
        .ok()
        .map(|n| n.trunc())
        .or_else(|| entry.parse::<IpAddr>().ok().map(IpNet::from))
}

fn allows(list: &[IpNet], ip: Option<IpAddr>) -> bool {
    list.is_empty() || ip.is_some_and(|ip| list.iter().any(|n| n.contains(&ip)))
}

const REFUSED_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Not available from this network</title></head><body>\
<main><h1>The console is not available from this network</h1>\
<p>This Confide server lets operators in only from the networks its administrators listed. \
Connect from one of them (for example through your organisation's VPN), or ask an \
administrator. An administrator with access to the server can clear the list with \
<code>confide access reset</code>.</p></main></body></html>";

/// The middleware: refuses a guarded path to an address outside a non-empty allowlist.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !guarded(req.uri().path()) {
        return next.run(req).await;
    }
    let list: Vec<IpNet> = match state.store.console_allowlist().await {
        Ok(entries) => entries.iter().filter_map(|e| parse_entry(e)).collect(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if allows(&list, state.geo.client_address(req.headers(), peer)) {
        return next.run(req).await;
    }
    tracing::info!("operator-side request refused by the allowlist");
    if req.uri().path().starts_with("/console") {
        let mut res = (StatusCode::FORBIDDEN, REFUSED_PAGE).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
        return res;
    }
    ApiError::Forbidden("the console is not available from this network").into_response()
}

async fn read(
    State(state): State<AppState>,
    _: Data<Operators>,
) -> Result<Json<ConsoleAccess>, ApiError> {
    Ok(Json(ConsoleAccess {
        allowlist: state.store.console_allowlist().await?,
        lock_out_confirmed: false,
    }))
}

async fn save(
    State(state): State<AppState>,
    Data(op, _): Data<Operators>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<ConsoleAccess>,
) -> Result<Json<ConsoleAccess>, ApiError> {
    if body.allowlist.len() > MAX_ALLOWLIST {
        return Err(ApiError::Invalid(format!(
            "allowlist: at most {MAX_ALLOWLIST} entries"
        )));
    }
    let mut nets = Vec::with_capacity(body.allowlist.len());
    let mut problems = Vec::new();
    for (i, entry) in body.allowlist.iter().enumerate() {
        match parse_entry(entry) {
            Some(n) => nets.push(n),
            None => problems.push(format!(
                "allowlist.{i}: not an address or a CIDR range (such as 192.0.2.0/24 or 2001:db8::/32)"
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems.join("; ")));
    }
    let here = state.geo.client_address(&headers, Some(peer.ip()));
    if !allows(&nets, here) && !body.lock_out_confirmed {
        return Err(ApiError::Conflict(
            "this list does not include the address you are saving it from: you would be \
             shut out; confirm to save it anyway",
        ));
    }
    let saved: Vec<String> = nets.iter().map(ToString::to_string).collect();
    state.store.save_console_allowlist(&saved).await?;
    state
        .store
        .audit(AuditEntry {
            operator_id: Some(op.id),
            action: AuditAction::AccessChanged,
            target: String::new(),
            count: Some(saved.len() as i64),
        })
        .await?;
    Ok(Json(ConsoleAccess {
        allowlist: saved,
        lock_out_confirmed: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_addresses_or_ranges_of_either_family() {
        let list: Vec<IpNet> = ["10.1.2.3", " 192.168.0.0/16 ", "2001:db8::/32", "::1"]
            .iter()
            .map(|e| parse_entry(e).expect(e))
            .collect();
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        assert!(allows(&list, ip("10.1.2.3")));
        assert!(!allows(&list, ip("10.1.2.4")));
        assert!(allows(&list, ip("192.168.200.1")));
        assert!(allows(&list, ip("2001:db8:1::5")));
        assert!(allows(&list, ip("::1")));
        assert!(!allows(&list, ip("127.0.0.1")));
        assert!(!allows(&list, None), "no address, no entry");
        assert!(allows(&[], None), "an empty list lets everyone in");
        assert_eq!(
            parse_entry("10.1.2.3/8").map(|n| n.to_string()).as_deref(),
            Some("10.0.0.0/8")
        );
        for bad in ["", "10.0.0.0/33", "example.com", "10.0.0", "1.2.3.4/-1"] {
            assert!(parse_entry(bad).is_none(), "{bad:?}");
        }
        assert!(guarded("/console") && guarded("/console/c.wasm") && guarded("/ws/operator"));
        assert!(
            !guarded("/ws/visitor") && !guarded("/api/widget/demo/config") && !guarded("/consoles")
        );
    }
}
