//! What the widget and the router page ask for after the click, all public (no cookie set or
//! read): a widget's public settings, the leave-a-message form, a router's public
//! configuration and page, and the visitor socket.

use super::extract::{ApiJson, Client, KeyPath, KnownWidget, SameOrigin};
use crate::chat::admission::{self, Door};
use crate::error::ApiError;
use crate::store::{NewConversation, StoreError};
use crate::ua::UaFamily;
use crate::AppState;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use confide_protocol::chat::{Author, ClientMsgId, LeaveMessage, WidgetConfig};
use confide_protocol::details::is_plausible_email;
use confide_protocol::router::api::RouterConfig;
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::net::SocketAddr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/widget/{key}/config", get(widget_config))
        .route("/api/router/{key}/config", get(router_config))
        // The configurations carry every language's disclaimer (16 KB raw for a new widget):
        // compressed by Accept-Encoding, at a cost a busy server can afford per request.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Precise(4)),
        )
        .route("/api/widget/{key}/leave-message", post(leave_message))
        .route("/ws/visitor", get(visitor_socket))
}

/// `GET /api/widget/{key}/config`: the public settings the widget needs before the visitor
/// starts (the disclaimer, the privacy link, the modes).
async fn widget_config(
    State(state): State<AppState>,
    KnownWidget(widget): KnownWidget,
) -> Result<Response, ApiError> {
    let settings = state.store.widget_settings(widget.id).await?;
    let mut res = Json(WidgetConfig { settings }).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}

/// `POST /api/widget/{key}/leave-message`: admitted like a `hello` (consent, pre-chat fields,
/// details for the mode); with the visitor's token the conversation belongs to that visitor
/// (so their export, delete and withdrawal reach it) and gets their consent receipt.
async fn leave_message(
    State(state): State<AppState>,
    KeyPath(key): KeyPath,
    Client(client): Client,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LeaveMessage>,
) -> Result<Response, ApiError> {
    let email = match req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) if is_plausible_email(e) => Some(e.to_owned()),
        Some(_) => return Err(ApiError::Invalid("that is not an email address".into())),
        None => None,
    };
    let mut admitted = admission::admit(
        &state.store,
        &state.limits,
        admission::Request {
            widget: &key,
            token: req.token.as_ref(),
            consent: req.consent.as_ref(),
            context: None,
            fields: req.fields.as_ref(),
            ua: UaFamily::from_headers(&headers),
            door: Door::LeaveMessage(client),
        },
    )
    .await?;
    // The form's own email field answers "where may the site reply".
    if email.is_some() {
        admitted.details.email = email;
    }
    let id = ClientMsgId::parse(&format!(
        "leave-{}",
        crate::auth::new_token().map_err(ApiError::Internal)?
    ))
    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let conversation = state
        .store
        .create_conversation(NewConversation {
            widget_id: admitted.widget.id,
            visitor_id: admitted.visitor.id,
            offline: true,
            receipt_id: admitted.receipt_id,
            details: Some(&admitted.details),
        })
        .await?;
    let stored = state
        .store
        .append_message(conversation, &id, Author::Visitor, None, &req.text)
        .await?;
    tracing::info!(conversation = conversation.0, "message left while offline");
    crate::chat::publish_stored(&state, conversation, stored).await;
    // The token (the one sent, or a new one) lets the author find the message again.
    Ok((
        StatusCode::CREATED,
        Json(confide_protocol::chat::LeftMessage {
            conversation,
            token: admitted.token,
        }),
    )
        .into_response())
}

/// `GET /api/router/{key}/config`: the rules, the public settings of every widget they can
/// pick that exists, and the country when the site configured a source for it. The client's
/// address is looked up in memory only.
async fn router_config(
    State(state): State<AppState>,
    KeyPath(key): KeyPath,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
) -> Result<Response, ApiError> {
    let rules = state.store.router_rules(&key).await?;
    let mut widgets = BTreeMap::new();
    for target in rules.targets() {
        match state.store.widget_by_key(target).await {
            Ok(widget) => {
                let settings = state.store.widget_settings(widget.id).await?;
                widgets.insert(target.clone(), settings);
            }
            // Deleted since the rules were saved: the widget shows its own error for it.
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let country = state
        .geo
        .country(&headers, peer.map(|Extension(ConnectInfo(addr))| addr.ip()));
    let mut res = Json(RouterConfig {
        rules,
        widgets,
        country,
    })
    .into_response();
    // The country differs from one client to the next: no shared cache may keep it.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(res)
}

/// `GET /r/{key}`: the router page; an unknown router is refused as an unknown widget is.
pub(super) async fn router_document(
    State(state): State<AppState>,
    KeyPath(key): KeyPath,
) -> Result<Response, ApiError> {
    match state.store.router_rules(&key).await {
        Ok(_) => super::pages::router_page(&state),
        Err(StoreError::NotFound) => Err(ApiError::WidgetNotFound),
        Err(e) => Err(e.into()),
    }
}

async fn visitor_socket(
    State(state): State<AppState>,
    _: SameOrigin,
    Client(client): Client,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let socket = state.limits.socket().ok_or(ApiError::Unavailable(
        "the server holds all the chats it can; try again later",
    ))?;
    let handshake = crate::ws::visitor::Handshake {
        ua: UaFamily::from_headers(&headers),
        client,
        socket,
    };
    Ok(crate::ws::upgrade(ws).on_upgrade(move |socket| {
        let (sink, stream) = socket.split();
        crate::ws::visitor::run(state, handshake, sink, stream)
    }))
}
