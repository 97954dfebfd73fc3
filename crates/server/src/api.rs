//! JSON endpoints: operator login, logout and `me`; the widget's leave-a-message form; and
//! the WebSocket upgrades with their Origin and session checks.

use crate::auth::{dummy_hash, new_token, token_hash, Password};
use crate::error::ApiError;
use crate::store::{NewConversation, Operator, StoreError};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use confide_protocol::chat::{ClientMsgId, LeaveMessage, LoginRequest, OperatorMe};
use confide_protocol::details::VisitorDetails;
use confide_protocol::settings::{LoaderIntegrity, NewWidget, WidgetListItem, WidgetSettings};
use confide_protocol::WidgetKey;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// The operator session cookie.
pub const SESSION_COOKIE: &str = "confide_session";
/// Sessions end this long after login.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;
/// Largest JSON body accepted by these endpoints.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// `Json<T>` whose rejections are `{code, message}` errors.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::Malformed("send JSON with Content-Type: application/json".into())
        }
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::Malformed("the body is not valid JSON".into())
        }
        JsonRejection::JsonDataError(e) => ApiError::Malformed(data_error(&e.body_text())),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
        _ => ApiError::Malformed("the body could not be read".into()),
    }
}

/// A serde data error, reworded so it never quotes what was sent. serde names our own fields
/// and what it expected, which stay; but it also quotes values (``unknown variant `mars` ``,
/// `invalid type: string "DE", expected a sequence`) and, in the path before the reason, map
/// keys the client chose: those go.
pub(crate) fn data_error(text: &str) -> String {
    const PREFIX: &str = "the body does not match: ";
    // `Failed to deserialize …: <path>: <reason> at line L column C`: keep the reason only.
    let reason = text.rsplit(": ").next().unwrap_or("invalid body");
    let reason = reason.rsplit_once(" at line ").map_or(reason, |(r, _)| r);
    // These name our fields (an unknown field's name is at most a key, and refusing it is the
    // point); the newtypes' own messages quote nothing.
    let quotes = reason.contains('`') || reason.contains('"');
    if reason.starts_with("unknown field ") || reason.starts_with("missing field ") || !quotes {
        return format!("{PREFIX}{reason}");
    }
    // What serde expected comes last and is ours; anything before it may quote the input.
    let expected = reason
        .rsplit_once(", expected ")
        .map(|(_, e)| format!("; expected {e}"))
        .unwrap_or_default();
    if reason.starts_with("unknown variant ") {
        format!("{PREFIX}a value is not one of those allowed{expected}")
    } else {
        format!("{PREFIX}a field has the wrong type or value{expected}")
    }
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The operator of a valid session cookie.
pub async fn session_operator(state: &AppState, headers: &HeaderMap) -> Result<Operator, ApiError> {
    let token = session_token(headers).ok_or(ApiError::Unauthorized("sign in first"))?;
    match state.store.session_operator(&token_hash(&token)).await {
        Ok(op) => Ok(op),
        Err(StoreError::NotFound) => Err(ApiError::Unauthorized(
            "the session is wrong or expired; sign in again",
        )),
        Err(e) => Err(e.into()),
    }
}

fn https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn me(op: &Operator) -> OperatorMe {
    OperatorMe {
        id: op.id,
        name: op.name.clone(),
        role: op.role.clone(),
    }
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let wrong = ApiError::Unauthorized("wrong email or password");
    let password = Password::offered(req.password).ok_or(ApiError::TooLarge)?;
    let operator = match state.store.operator_by_email(req.email.trim()).await {
        Ok(op) => Some(op),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = operator
        .as_ref()
        .map(|op| op.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    // argon2 is deliberately slow: keep it off the async workers.
    let verified = tokio::task::spawn_blocking(move || password.verify(&hash))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let operator = match (operator, verified) {
        (Some(op), true) => op,
        _ => {
            tracing::info!("operator login refused");
            return Err(wrong);
        }
    };
    let token = new_token().map_err(ApiError::Internal)?;
    state
        .store
        .create_session(operator.id, &token_hash(&token), SESSION_TTL_MS)
        .await?;
    tracing::info!(operator = operator.id, "operator signed in");
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        SESSION_TTL_MS / 1000,
        if https(&headers) { "; Secure" } else { "" }
    );
    let mut res = Json(me(&operator)).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.into()))?,
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&headers) {
        state.store.delete_session(&token_hash(&token)).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("confide_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(res)
}

pub async fn operator_me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<OperatorMe>, ApiError> {
    let op = session_operator(&state, &headers).await?;
    Ok(Json(me(&op)))
}

/// Longest email address accepted (RFC 5321's path limit).
const MAX_EMAIL_BYTES: usize = 254;

/// A plain `local@domain.tld` address without spaces, at most 254 bytes.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    s.len() <= MAX_EMAIL_BYTES
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The leave-a-message form: consent is checked as at `hello`, the pre-chat fields as
/// well, and with the visitor's token the conversation belongs to that visitor (so their
/// export, delete and withdrawal reach it) and gets their consent receipt.
pub async fn leave_message(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LeaveMessage>,
) -> Result<Response, ApiError> {
    let key = WidgetKey::parse(&key).map_err(|e| ApiError::Malformed(e.to_string()))?;
    let email = match req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) if valid_email(e) => Some(e.to_owned()),
        Some(_) => return Err(ApiError::Invalid("that is not an email address".into())),
        None => None,
    };
    let widget = match state.store.widget_by_key(&key).await {
        Ok(w) => w,
        Err(StoreError::NotFound) => return Err(ApiError::WidgetNotFound),
        Err(e) => return Err(e.into()),
    };
    let settings = state.store.widget_settings(widget.id).await?;
    crate::consent::check(&settings, req.consent.as_ref()).map_err(ApiError::ConsentRequired)?;
    let values = req
        .fields
        .clone()
        .unwrap_or_default()
        .checked(&settings.prechat_fields)
        .map_err(|problem| ApiError::Invalid(format!("pre-chat field {problem}")))?;
    let mut details = VisitorDetails::from_values(&values, &settings);
    // The form's own email field answers "where may the site reply".
    if email.is_some() {
        details.email = email;
    }
    if !settings.privacy_mode {
        if let Some(ua) = headers
            .get(header::USER_AGENT)
            .and_then(|h| h.to_str().ok())
        {
            details.browser = Some(crate::ua::browser_family(ua).to_owned());
            details.os = Some(crate::ua::os_family(ua).to_owned());
        }
    }
    let visitor = match &req.token {
        Some(token) => match state
            .store
            .visitor_by_token(widget.id, &crate::auth::token_hash(token.as_str()))
            .await
        {
            Ok(v) => Some(v),
            Err(StoreError::NotFound) => {
                return Err(ApiError::Unauthorized(
                    "the visitor token is wrong or expired",
                ))
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let receipt_id = match (&req.consent, visitor) {
        (Some(given), Some(v)) if settings.consent.required => {
            let policy = settings.privacy_link.as_ref().map(|l| l.url.as_str());
            Some(
                state
                    .store
                    .receipt_for(widget.id, v.id, given, policy)
                    .await?,
            )
        }
        (Some(given), None) if settings.consent.required => {
            let policy = settings.privacy_link.as_ref().map(|l| l.url.as_str());
            Some(
                state
                    .store
                    .anonymous_receipt(widget.id, given, policy)
                    .await?,
            )
        }
        _ => None,
    };
    let id = ClientMsgId::parse(&format!(
        "leave-{}",
        new_token().map_err(ApiError::Internal)?
    ))
    .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    let conversation = state
        .store
        .create_conversation(NewConversation {
            widget_id: widget.id,
            visitor_id: visitor.map(|v| v.id),
            offline: true,
            receipt_id,
            details: Some(&details),
        })
        .await?;
    let (message, _) = state
        .store
        .append_message(
            conversation,
            &id,
            confide_protocol::chat::Author::Visitor,
            None,
            &req.text,
        )
        .await?;
    tracing::info!(conversation = conversation.0, "message left while offline");
    crate::ws::publish_stored(&state, conversation, message).await;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "conversation": conversation })),
    )
        .into_response())
}

/// Browsers always send `Origin` on a WebSocket handshake; a page on another site must not be
/// able to open a socket with the visitor's or the operator's credentials. Clients that are
/// not browsers send none and are judged by their token or cookie alone.
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'));
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(ApiError::Forbidden(
            "this origin may not open a chat socket",
        )),
    }
}

pub async fn visitor_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    // Only the families go on; whether they are kept depends on the widget's privacy mode.
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .map(|ua| crate::ws::visitor::UaFamily {
            browser: crate::ua::browser_family(ua),
            os: crate::ua::os_family(ua),
        });
    Ok(ws
        .max_message_size(crate::ws::CODEC_LIMIT)
        .max_frame_size(crate::ws::CODEC_LIMIT)
        .on_upgrade(move |socket| async move {
            let (sink, stream) = socket.split();
            crate::ws::visitor::run(state, ua, sink, stream).await;
        }))
}

pub async fn operator_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let operator = session_operator(&state, &headers).await?;
    Ok(ws
        .max_message_size(crate::ws::CODEC_LIMIT)
        .max_frame_size(crate::ws::CODEC_LIMIT)
        .on_upgrade(move |socket| async move {
            let (sink, stream) = socket.split();
            crate::ws::operator::run(state, operator, sink, stream).await;
        }))
}

async fn widget_by_path_key(state: &AppState, key: &str) -> Result<crate::store::Widget, ApiError> {
    let key = WidgetKey::parse(key).map_err(|e| ApiError::Malformed(e.to_string()))?;
    match state.store.widget_by_key(&key).await {
        Ok(w) => Ok(w),
        Err(StoreError::NotFound) => Err(ApiError::WidgetNotFound),
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/widget/{key}/config`: the public settings the widget needs before the visitor
/// starts (the disclaimer, the privacy link, the modes). Sets no cookie, reads none.
pub async fn widget_config(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let widget = widget_by_path_key(&state, &key).await?;
    let settings = state.store.widget_settings(widget.id).await?;
    let mut res = Json(confide_protocol::chat::WidgetConfig { settings }).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}

/// The operator of a valid session cookie, who must be an admin.
pub(crate) async fn admin(state: &AppState, headers: &HeaderMap) -> Result<Operator, ApiError> {
    let op = session_operator(state, headers).await?;
    if op.role != "admin" {
        return Err(ApiError::Forbidden(
            "only admins may see and change widgets and routers",
        ));
    }
    Ok(op)
}

/// `GET /api/admin/widgets/{key}/settings`.
pub async fn get_settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Json<WidgetSettings>, ApiError> {
    admin(&state, &headers).await?;
    let widget = widget_by_path_key(&state, &key).await?;
    Ok(Json(state.store.widget_settings(widget.id).await?))
}

/// `PUT /api/admin/widgets/{key}/settings`: validated as a whole; every problem is named by
/// its field path and nothing is saved unless there are none. The consent version is set by
/// the server (up by one when any disclaimer text changes).
pub async fn put_settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
    ApiJson(settings): ApiJson<WidgetSettings>,
) -> Result<Json<WidgetSettings>, ApiError> {
    let op = admin(&state, &headers).await?;
    let widget = widget_by_path_key(&state, &key).await?;
    let problems = settings.problems();
    if !problems.is_empty() {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(ApiError::Invalid(listed.join("; ")));
    }
    let saved = state
        .store
        .save_widget_settings(widget.id, settings)
        .await?;
    tracing::info!(
        widget = widget.id,
        operator = op.id,
        version = saved.consent.version,
        "widget settings saved"
    );
    Ok(Json(saved))
}

/// `GET /api/admin/widgets`.
pub async fn list_widgets(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<WidgetListItem>>, ApiError> {
    admin(&state, &headers).await?;
    let widgets = state.store.widgets().await?;
    Ok(Json(
        widgets
            .into_iter()
            .map(|(key, name)| WidgetListItem { key, name })
            .collect(),
    ))
}

/// `POST /api/admin/widgets`: a new widget with Confide's default settings.
pub async fn create_widget(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(new): ApiJson<NewWidget>,
) -> Result<Response, ApiError> {
    let op = admin(&state, &headers).await?;
    let name = new.name.trim().to_owned();
    let chars = name.chars().count();
    if chars == 0 || chars > confide_protocol::chat::MAX_NAME_CHARS {
        return Err(ApiError::Invalid(format!(
            "name: 1 to {} characters",
            confide_protocol::chat::MAX_NAME_CHARS
        )));
    }
    if !state.store.ensure_widget(&new.key, &name).await? {
        return Err(ApiError::Conflict("a widget with that key exists"));
    }
    tracing::info!(operator = op.id, "widget created");
    Ok((
        StatusCode::CREATED,
        Json(WidgetListItem { key: new.key, name }),
    )
        .into_response())
}

/// `GET /api/admin/loader`: the loader's integrity value for the embed snippet.
pub async fn loader_integrity(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<LoaderIntegrity>, ApiError> {
    session_operator(&state, &headers).await?;
    Ok(Json(LoaderIntegrity {
        integrity: crate::assets::loader_integrity(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_errors_keep_what_was_expected_and_drop_what_was_sent() {
        const PREFIX: &str = "the body does not match: ";
        let m = |s: &str| {
            data_error(&format!(
                "Failed to deserialize the JSON body into the target type: rules[0].when: {s} at line 1 column 9"
            ))
        };
        assert_eq!(
            m("unknown variant `mars`, expected one of `eu`, `eea`"),
            format!("{PREFIX}a value is not one of those allowed; expected one of `eu`, `eea`")
        );
        assert_eq!(
            m("invalid type: string \"DE\", expected a sequence"),
            format!("{PREFIX}a field has the wrong type or value; expected a sequence")
        );
        assert_eq!(
            m("invalid value: integer `42`, expected a string"),
            format!("{PREFIX}a field has the wrong type or value; expected a string")
        );
        // A value that itself contains ", expected " cannot smuggle text out.
        assert_eq!(
            m("unknown variant `x, expected secret`, expected one of `eu`"),
            format!("{PREFIX}a value is not one of those allowed; expected one of `eu`")
        );
        for kept in [
            "unknown field `priority`, expected one of `name`, `target`, `when`",
            "missing field `rules`",
            "a widget key uses only ASCII letters, digits, '-' and '_'",
        ] {
            assert_eq!(m(kept), format!("{PREFIX}{kept}"));
        }
        let path = data_error(
            "Failed to deserialize the JSON body into the target type: consent.texts.secret-key: missing field `title` at line 1 column 9",
        );
        assert!(!path.contains("secret"), "{path}");
    }

    #[test]
    fn email_check_accepts_plain_addresses_only() {
        assert!(valid_email("visitor@example.com"));
        for bad in [
            "",
            "nobody",
            "a@b",
            "a b@example.com",
            "@example.com",
            "a@.com",
            "a@example.",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
        assert!(!valid_email(&format!("{}@example.com", "a".repeat(250))));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; confide_session=tok; b=2"),
        );
        assert_eq!(session_token(&h).as_deref(), Some("tok"));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("confide_sessionx=tok"),
        );
        assert_eq!(session_token(&h), None);
    }

    #[test]
    fn origin_must_match_the_host() {
        let mut h = HeaderMap::new();
        assert!(check_origin(&h).is_ok(), "no Origin: not a browser");
        h.insert(header::HOST, HeaderValue::from_static("chat.example.com"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://chat.example.com"),
        );
        assert!(check_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(check_origin(&h).is_err());
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(check_origin(&h).is_err());
    }
}
