//! The console's own endpoints: sign in, sign out, who am I, and the operator socket.

use super::extract::{
    session_cookie, session_token, ApiJson, Client, Enrolling, SameOrigin, SignedIn,
};
use crate::auth::{dummy_hash, new_token, token_hash, Password};
use crate::error::ApiError;
use crate::store::audit::{AuditAction, AuditEntry};
use crate::store::{Operator, StoreError};
use crate::AppState;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use confide_protocol::chat::{LoginRequest, OperatorMe};
use futures_util::StreamExt;

/// Sessions end this long after login.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/operator/login", post(login))
        .route("/api/operator/logout", post(logout))
        .route("/api/operator/me", get(operator_me))
        .route("/ws/operator", get(operator_socket))
}

/// The session cookie: HttpOnly, SameSite=Strict, for the whole host; Secure with the
/// `__Host-` prefix unless `cookie_secure` is off. `token` empty and `max_age` 0 clear it.
fn cookie(config: &crate::Config, token: &str, max_age: i64) -> Result<HeaderValue, ApiError> {
    let name = session_cookie(config);
    let secure = if config.cookie_secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .map_err(ApiError::internal)
}

fn me(op: &Operator) -> OperatorMe {
    OperatorMe {
        id: op.id,
        name: op.name.clone(),
        alias: op.alias.clone(),
        role: op.role.clone(),
        permissions: op.permissions.clone(),
        totp: op.totp,
        passkeys: op.passkeys,
        must_enrol: op.must_enrol(),
    }
}

/// The password step of every sign-in. Before any password is hashed: the server's rate, the
/// client's, and the account's backoff (see [`crate::limits`]); the answer and its timing are
/// the same whether or not the email belongs to an operator, is disabled or has no password
/// yet.
pub(crate) async fn password_step(
    state: &AppState,
    client: Option<crate::limits::ClientKey>,
    email: &str,
    password: String,
) -> Result<Operator, ApiError> {
    let password = Password::offered(password).ok_or(ApiError::TooLarge)?;
    let email = email.trim();
    let now = state.store.now_ms();
    if let Err(wait) = state.limits.login_attempt(client, email, now) {
        tracing::info!("operator login held back");
        return Err(ApiError::RateLimited(wait));
    }
    let operator = match state.store.operator_by_email(email).await {
        Ok(op) => Some(op),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = operator
        .as_ref()
        .map(|op| op.password_hash.clone())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| dummy_hash().to_owned());
    // argon2 is deliberately slow (and takes 19 MiB): one per core at a time, off the async
    // workers.
    let verified = {
        let _permit = state.limits.hashing().await;
        tokio::task::spawn_blocking(move || password.verify(&hash))
            .await
            .map_err(ApiError::internal)?
    };
    match (operator, verified) {
        // A disabled operator, or one whose password is not set yet, is refused like a
        // wrong password (the dummy hash never verifies).
        (Some(op), true) if !op.disabled => Ok(op),
        _ => {
            state.limits.login_failed(email, state.store.now_ms());
            tracing::info!("operator login refused");
            Err(ApiError::Unauthorized("wrong email or password"))
        }
    }
}

/// The last step of every sign-in: a new session, audited, and its cookie.
pub(crate) async fn start_session(
    state: &AppState,
    operator: &Operator,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    state.limits.login_succeeded(&operator.email);
    let token = new_token().map_err(ApiError::Internal)?;
    state
        .store
        .create_session(
            operator.id,
            &token_hash(&token),
            SESSION_TTL_MS,
            crate::ua::UaFamily::from_headers(headers),
        )
        .await?;
    state
        .store
        .audit(AuditEntry {
            operator_id: Some(operator.id),
            action: AuditAction::SignIn,
            target: format!("operator:{}", operator.id),
            count: None,
        })
        .await?;
    tracing::info!(operator = operator.id, "operator signed in");
    let mut res = Json(me(operator)).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&state.config, &token, SESSION_TTL_MS / 1000)?,
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Sign-in with a password and, for an operator who has a second factor, a code from their
/// authenticator app or a recovery code (passkeys sign in through http/passkeys.rs).
async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let operator = password_step(&state, client, &req.email, req.password).await?;
    if operator.has_second_factor() {
        second_factor(&state, &operator, req.code.as_deref(), req.email.trim()).await?;
    }
    start_session(&state, &operator, &headers).await
}

/// The second step of a sign-in whose password was right: a code from the authenticator app
/// (each time step once) or an unused recovery code. A wrong one counts toward the account's
/// backoff like a wrong password.
async fn second_factor(
    state: &AppState,
    op: &Operator,
    code: Option<&str>,
    email: &str,
) -> Result<(), ApiError> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Err(ApiError::SecondFactorRequired);
    };
    let now = state.store.now_ms();
    if code.len() <= 32 {
        if crate::second_factor::is_totp_code(code) {
            if !op.totp {
                return Err(wrong_code(state, email, now));
            }
            let totp = state.store.totp(op.id).await?;
            if let Some(step) = crate::second_factor::code_step(&totp.secret, code, now) {
                if state.store.accept_totp_step(op.id, step).await? {
                    return Ok(());
                }
            }
        } else {
            let hash = crate::second_factor::recovery_hash(code);
            if let Some(left) = state.store.use_recovery_code(op.id, &hash).await? {
                state
                    .store
                    .audit(AuditEntry {
                        operator_id: Some(op.id),
                        action: AuditAction::RecoveryCodeUsed,
                        target: format!("operator:{}", op.id),
                        count: Some(left),
                    })
                    .await?;
                return Ok(());
            }
        }
    }
    Err(wrong_code(state, email, now))
}

/// A wrong second factor counts toward the account's backoff like a wrong password.
pub(crate) fn wrong_code(state: &AppState, email: &str, now: i64) -> ApiError {
    state.limits.login_failed(email, now);
    tracing::info!("operator second factor refused");
    ApiError::Unauthorized("the code is wrong or was used already")
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&headers, session_cookie(&state.config)) {
        let hash = token_hash(&token);
        if let Some(operator) = state.store.delete_session(&hash).await? {
            state
                .store
                .audit(AuditEntry {
                    operator_id: Some(operator),
                    action: AuditAction::SignOut,
                    target: format!("operator:{operator}"),
                    count: None,
                })
                .await?;
        }
        // Its open sockets close now, on this node; others notice within a second.
        if let crate::hub::Topic::Session(session) = crate::hub::session_topic(&hash) {
            state
                .hub
                .publish(crate::hub::Event::SessionEnded { session });
        }
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, cookie(&state.config, "", 0)?);
    Ok(res)
}

/// Open before a required second factor is enrolled: the console learns it must enrol.
async fn operator_me(Enrolling(session): Enrolling) -> Json<OperatorMe> {
    Json(me(&session.operator))
}

async fn operator_socket(
    State(state): State<AppState>,
    _: SameOrigin,
    SignedIn(session): SignedIn,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let socket = state.limits.socket().ok_or(ApiError::Unavailable(
        "the server holds all the sockets it can; try again later",
    ))?;
    Ok(crate::ws::upgrade(ws).on_upgrade(move |ws| {
        let (sink, stream) = ws.split();
        crate::ws::operator::run(state, session, socket, sink, stream)
    }))
}
