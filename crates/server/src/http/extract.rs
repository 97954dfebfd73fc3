//! Extractors that say, in a handler's signature, what the request must carry: a JSON body
//! ([`ApiJson`]), an operator session ([`SignedIn`]), one whose role grants a permission
//! ([`Allowed`], [`Data`] with the data-request rate), a widget
//! key that names a widget ([`KnownWidget`]), a well-formed key ([`KeyPath`]) and, for socket
//! upgrades, a browser origin that is this server's ([`SameOrigin`]). Each refuses with an
//! [`ApiError`], so every handler answers the same `{code, message}` for the same fault.

use crate::error::ApiError;
use crate::store::{Operator, Session, StoreError, Widget};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use confide_protocol::roles::{Permissions, TranscriptAccess};
use confide_protocol::WidgetKey;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// The operator session cookie over plain http (`cookie_secure = false`, local use only).
pub const SESSION_COOKIE: &str = "confide_session";
/// The session cookie's name when it is `Secure`: the `__Host-` prefix makes the browser
/// refuse it unless it is Secure, for the whole host (`Path=/`) and set by this host only.
pub const SECURE_SESSION_COOKIE: &str = "__Host-confide_session";

/// The session cookie's name under these settings.
pub fn session_cookie(config: &crate::Config) -> &'static str {
    if config.cookie_secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// `Json<T>` whose rejections are `{code, message}` errors that quote nothing of the body.
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
    format!("{PREFIX}{}", crate::error::describe_reason(reason))
}

/// The session token of the request, if it carries one under `cookie`.
pub(crate) fn session_token(headers: &HeaderMap, cookie: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie)
        .map(|(_, value)| value.to_owned())
}

/// A valid session cookie's session: not expired, not idle too long, its operator there and
/// not disabled, even if their role requires a second factor they have not enrolled yet:
/// only `me` and the enrolment itself take this. Each request counts as activity (written at
/// most once a minute).
#[derive(Debug, Clone)]
pub struct Enrolling(pub Session);

impl FromRequestParts<AppState> for Enrolling {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = session_token(&parts.headers, session_cookie(&state.config))
            .ok_or(ApiError::Unauthorized("sign in first"))?;
        let hash = crate::auth::token_hash(&token);
        let session = match state
            .store
            .session(&hash, state.config.session_idle_ms())
            .await
        {
            Ok(s) => s,
            Err(StoreError::NotFound) => {
                return Err(ApiError::Unauthorized(
                    "the session is wrong or expired; sign in again",
                ))
            }
            Err(e) => return Err(e.into()),
        };
        if state.store.now_ms() - session.last_active_at > crate::store::SESSION_TOUCH_MS {
            state.store.touch_session(&hash).await?;
        }
        Ok(Enrolling(session))
    }
}

/// [`Enrolling`] changing the operator's own second factor, within
/// `data_requests_per_operator_per_minute` (each such call writes, and may create a key).
#[derive(Debug, Clone)]
pub struct OwnAccount(pub Session);

impl FromRequestParts<AppState> for OwnAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Enrolling(session) = Enrolling::from_request_parts(parts, state).await?;
        state
            .limits
            .data_request(session.operator.id)
            .map_err(ApiError::RateLimited)?;
        Ok(OwnAccount(session))
    }
}

/// [`Enrolling`], and the operator has the second factor their role requires: everything
/// operator-side takes this (or [`Allowed`], built on it); 403 `enrolment_required` before.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Session);

impl SignedIn {
    pub fn operator(&self) -> &Operator {
        &self.0.operator
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Enrolling(session) = Enrolling::from_request_parts(parts, state).await?;
        if session.operator.must_enrol() {
            return Err(ApiError::EnrolmentRequired);
        }
        Ok(SignedIn(session))
    }
}

/// One permission of a role (protocol `roles`), as a type: a handler that needs it takes
/// [`Allowed<N>`] (or [`Data<N>`]) and never compares role names.
pub trait Need {
    /// The refusal when the role lacks it.
    const REFUSAL: &'static str;
    fn allows(p: &Permissions) -> bool;
}

/// Change widgets, routers and retention.
#[derive(Debug)]
pub struct Settings;
/// Read the history and closed transcripts.
#[derive(Debug)]
pub struct ReadTranscripts;
/// Export, erase, rectify and restrict conversations.
#[derive(Debug)]
pub struct EditTranscripts;
/// Manage operators and roles.
#[derive(Debug)]
pub struct Operators;
/// Read the audit log.
#[derive(Debug)]
pub struct Audit;
/// List the widgets (to pick among them): settings, transcripts read, or operators.
#[derive(Debug)]
pub struct SeeWidgets;

impl Need for SeeWidgets {
    const REFUSAL: &'static str = "your role has no use for the list of widgets";
    fn allows(p: &Permissions) -> bool {
        p.settings || p.transcripts >= TranscriptAccess::Read || p.operators
    }
}

impl Need for Settings {
    const REFUSAL: &'static str = "your role may not see or change widgets, routers or retention";
    fn allows(p: &Permissions) -> bool {
        p.settings
    }
}
impl Need for ReadTranscripts {
    const REFUSAL: &'static str = "your role may not read the history or closed transcripts";
    fn allows(p: &Permissions) -> bool {
        p.transcripts >= TranscriptAccess::Read
    }
}
impl Need for EditTranscripts {
    const REFUSAL: &'static str =
        "your role may not export, erase, correct or restrict conversations";
    fn allows(p: &Permissions) -> bool {
        p.transcripts >= TranscriptAccess::Edit
    }
}
impl Need for Operators {
    const REFUSAL: &'static str = "your role may not manage operators or roles";
    fn allows(p: &Permissions) -> bool {
        p.operators
    }
}
impl Need for Audit {
    const REFUSAL: &'static str = "your role may not read the audit log";
    fn allows(p: &Permissions) -> bool {
        p.audit
    }
}

/// A signed-in operator whose role grants `N`; others get 403.
#[derive(Debug)]
pub struct Allowed<N: Need>(pub Operator, pub PhantomData<N>);

impl<N: Need + Send + Sync> FromRequestParts<AppState> for Allowed<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        let op = session.operator;
        if !N::allows(&op.permissions) {
            return Err(ApiError::Forbidden(N::REFUSAL));
        }
        Ok(Allowed(op, PhantomData))
    }
}

/// [`Allowed<N>`] reading or changing personal data (the history, a person's data, the audit
/// log, operators' accounts, roles, sessions and the allowlist), within
/// `data_requests_per_operator_per_minute`.
#[derive(Debug)]
pub struct Data<N: Need>(pub Operator, pub PhantomData<N>);

impl<N: Need + Send + Sync> FromRequestParts<AppState> for Data<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Allowed(op, _) = Allowed::<N>::from_request_parts(parts, state).await?;
        state
            .limits
            .data_request(op.id)
            .map_err(ApiError::RateLimited)?;
        Ok(Data(op, PhantomData))
    }
}

/// The `{key}` of the path, well formed (a widget's or a router's).
#[derive(Debug, Clone)]
pub struct KeyPath(pub WidgetKey);

impl<S: Send + Sync> FromRequestParts<S> for KeyPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(key) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Malformed("the path has no key".into()))?;
        WidgetKey::parse(&key)
            .map(KeyPath)
            .map_err(|e| ApiError::Malformed(e.to_string()))
    }
}

/// The widget the path's `{key}` names; `widget_not_found` when there is none.
#[derive(Debug, Clone)]
pub struct KnownWidget(pub Widget);

impl FromRequestParts<AppState> for KnownWidget {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let KeyPath(key) = KeyPath::from_request_parts(parts, state).await?;
        state
            .store
            .widget_by_key(&key)
            .await
            .map(KnownWidget)
            .map_err(|e| match e {
                StoreError::NotFound => ApiError::WidgetNotFound,
                other => other.into(),
            })
    }
}

/// The client as the rate limits know it (a keyed hash of its address, see
/// [`crate::limits`]), when there is an address at all. The address itself stops here.
#[derive(Debug, Clone, Copy)]
pub struct Client(pub Option<crate::limits::ClientKey>);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Client(
            state
                .geo
                .client_address(&parts.headers, peer)
                .map(|ip| state.limits.client(ip)),
        ))
    }
}

/// Browsers always send `Origin` on a WebSocket handshake and on every write; a page on
/// another site must not be able to open a socket or write with the visitor's or the
/// operator's credentials. The origin must be `public_url` exactly (scheme, host and port)
/// when it is set, else the one the request's `Host` names. Clients that are not browsers send
/// none and are judged by their token or cookie alone.
#[derive(Debug, Clone, Copy)]
pub struct SameOrigin;

impl FromRequestParts<AppState> for SameOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        check_origin(&parts.headers, state.config.public_url.as_ref()).map(|()| SameOrigin)
    }
}

pub(crate) fn check_origin(
    headers: &HeaderMap,
    public: Option<&crate::config::PublicOrigin>,
) -> Result<(), ApiError> {
    let refused = Err(ApiError::Forbidden("this origin may not do that here"));
    // Sent by every current browser; a cross-site request is refused whatever its origin.
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return refused;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let Ok(origin) = origin.to_str() else {
        return refused;
    };
    let origin = origin.trim_end_matches('/');
    let same = match public {
        Some(public) => origin.eq_ignore_ascii_case(public.as_str()),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let origin_host = origin.split_once("://").map(|(_, rest)| rest);
            matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
        }
    };
    if same {
        Ok(())
    } else {
        refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
        // The unknown field's name is the client's; the list of allowed ones is ours.
        assert_eq!(
            m("unknown field `secret-name`, expected one of `name`, `target`, `when`"),
            format!(
                "{PREFIX}a field is not one of those allowed; expected one of `name`, `target`, `when`"
            )
        );
        for kept in [
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
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; confide_session=tok; b=2"),
        );
        assert_eq!(session_token(&h, SESSION_COOKIE).as_deref(), Some("tok"));
        assert_eq!(session_token(&h, SECURE_SESSION_COOKIE), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("confide_sessionx=tok; __Host-confide_session=sec"),
        );
        assert_eq!(session_token(&h, SESSION_COOKIE), None);
        assert_eq!(
            session_token(&h, SECURE_SESSION_COOKIE).as_deref(),
            Some("sec")
        );
    }

    #[test]
    fn origin_must_match_the_host_or_the_public_url() {
        use crate::config::PublicOrigin;
        let mut h = HeaderMap::new();
        assert!(check_origin(&h, None).is_ok(), "no Origin: not a browser");
        h.insert(header::HOST, HeaderValue::from_static("chat.example.com"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://chat.example.com"),
        );
        assert!(check_origin(&h, None).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(check_origin(&h, None).is_err());
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(check_origin(&h, None).is_err());

        // Behind a proxy that rewrites Host, the public URL decides, scheme and port included.
        let public = PublicOrigin::parse("https://chat.example.com/").expect("origin");
        h.insert(header::HOST, HeaderValue::from_static("10.0.0.5:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://chat.example.com"),
        );
        assert!(check_origin(&h, Some(&public)).is_ok());
        for other in [
            "http://chat.example.com",
            "https://chat.example.com:8443",
            "https://chat.example.com.evil.example",
        ] {
            h.insert(header::ORIGIN, HeaderValue::from_static(other));
            assert!(check_origin(&h, Some(&public)).is_err(), "{other}");
        }
        let mut cross = HeaderMap::new();
        cross.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(check_origin(&cross, None).is_err(), "cross-site, no Origin");
    }
}
