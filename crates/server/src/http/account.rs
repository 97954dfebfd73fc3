//! An operator's own account (issue 15):
//!
//! - `POST /api/account/password`: sets the password a one-time link was made for (no
//!   session; the link's token is the credential; 410 `link_expired` once used or old);
//! - `POST /api/operator/password`: changes one's own password, the current one needed (a
//!   wrong one counts toward the sign-in throttle); the other sessions end;
//! - `POST /api/operator/totp`, `…/totp/confirm`, `…/totp/remove`: enrol an authenticator app
//!   (a new secret, pending until a code from the app confirms it, which answers the ten
//!   recovery codes) and take it off again (the password needed). These three are open to an
//!   operator whose role requires a second factor they do not have yet ([`OwnAccount`]).

use super::extract::{ApiJson, Client, OwnAccount, SignedIn};
use super::operators::close_sockets;
use crate::auth::{token_hash, Password};
use crate::error::ApiError;
use crate::second_factor;
use crate::store::audit::AuditAction;
use crate::store::{Operator, StoreError};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use confide_protocol::accounts::{
    ChangePassword, RecoveryCodes, SecondFactorProof, SetPassword, TotpEnrolment,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/account/password", post(set_password))
        .route("/api/operator/password", post(change_password))
        .route("/api/operator/totp", post(totp_start))
        .route("/api/operator/totp/confirm", post(totp_confirm))
        .route("/api/operator/totp/remove", post(totp_remove))
}

/// Audits what an operator did to their own account.
async fn audit(state: &AppState, operator: i64, action: AuditAction) -> Result<(), ApiError> {
    super::operators::audit(state, operator, action, operator).await
}

/// argon2 off the async workers, one per core at a time.
async fn hash(password: Password) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password.hash())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::Internal)
}

fn new_password(raw: String) -> Result<Password, ApiError> {
    Password::new(raw).map_err(|e| ApiError::Invalid(format!("password: {e}")))
}

/// The operator's current password, checked like a sign-in: throttled per client and
/// account, and a wrong one counts toward the account's backoff.
pub(crate) async fn check_password(
    state: &AppState,
    client: Client,
    op: &Operator,
    offered: String,
) -> Result<(), ApiError> {
    let now = state.store.now_ms();
    state
        .limits
        .login_attempt(client.0, &op.email, now)
        .map_err(ApiError::RateLimited)?;
    let password = Password::offered(offered).ok_or(ApiError::TooLarge)?;
    let hash = op.password_hash.clone();
    let verified = {
        let _permit = state.limits.hashing().await;
        tokio::task::spawn_blocking(move || password.verify(&hash))
            .await
            .map_err(ApiError::internal)?
    };
    if !verified {
        state.limits.login_failed(&op.email, state.store.now_ms());
        return Err(ApiError::Unauthorized("the password is wrong"));
    }
    Ok(())
}

async fn set_password(
    State(state): State<AppState>,
    client: Client,
    ApiJson(req): ApiJson<SetPassword>,
) -> Result<StatusCode, ApiError> {
    // The server's and the client's sign-in rates; a token has 256 bits, so no account
    // backoff is needed (nor could one be keyed).
    state
        .limits
        .login_attempt(client.0, "", state.store.now_ms())
        .map_err(ApiError::RateLimited)?;
    let password = new_password(req.password)?;
    // No password is hashed for a link that is not there (hashing is the expensive part).
    let link = token_hash(&req.token);
    if req.token.len() != 43 || !state.store.link_is_live(&link).await? {
        return Err(ApiError::LinkExpired);
    }
    let phc = {
        let _permit = state.limits.hashing().await;
        hash(password).await?
    };
    let operator = match state.store.use_link(&link, &phc).await {
        Ok(id) => id,
        Err(StoreError::NotFound) => return Err(ApiError::LinkExpired),
        Err(e) => return Err(e.into()),
    };
    audit(&state, operator, AuditAction::PasswordSet).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn change_password(
    State(state): State<AppState>,
    client: Client,
    SignedIn(session): SignedIn,
    ApiJson(req): ApiJson<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    let new = new_password(req.new)?;
    check_password(&state, client, &session.operator, req.current).await?;
    let phc = {
        let _permit = state.limits.hashing().await;
        hash(new).await?
    };
    let ended = state
        .store
        .set_password(session.operator.id, &phc, session.id)
        .await?;
    close_sockets(&state, &ended);
    audit(&state, session.operator.id, AuditAction::PasswordChanged).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn totp_start(
    State(state): State<AppState>,
    OwnAccount(session): OwnAccount,
) -> Result<Json<TotpEnrolment>, ApiError> {
    let op = &session.operator;
    if op.totp {
        return Err(ApiError::Conflict(
            "an authenticator app is enrolled; remove it first",
        ));
    }
    let secret = second_factor::new_secret().map_err(ApiError::Internal)?;
    match state.store.begin_totp(op.id, &secret).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            return Err(ApiError::Conflict(
                "an authenticator app is enrolled; remove it first",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Json(
        second_factor::enrolment(&secret, &op.email).map_err(ApiError::Internal)?,
    ))
}

async fn totp_confirm(
    State(state): State<AppState>,
    OwnAccount(session): OwnAccount,
    ApiJson(proof): ApiJson<SecondFactorProof>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let op = &session.operator;
    let pending = match state.store.totp(op.id).await {
        Ok(t) if !t.enabled => t,
        Ok(_) => {
            return Err(ApiError::Conflict(
                "an authenticator app is enrolled already",
            ))
        }
        Err(StoreError::NotFound) => return Err(ApiError::Conflict("start the enrolment first")),
        Err(e) => return Err(e.into()),
    };
    let code = proof.code.as_deref().map(str::trim).unwrap_or_default();
    let step = second_factor::code_step(&pending.secret, code, state.store.now_ms()).ok_or(
        ApiError::Invalid(
            "code: not the code the app shows now; check the phone's clock and try again".into(),
        ),
    )?;
    state.store.accept_totp_step(op.id, step).await?;
    let codes = second_factor::new_recovery_codes().map_err(ApiError::Internal)?;
    let hashes: Vec<Vec<u8>> = codes
        .iter()
        .map(|c| second_factor::recovery_hash(c))
        .collect();
    state.store.enable_totp(op.id, &hashes).await?;
    audit(&state, op.id, AuditAction::SecondFactorEnrolled).await?;
    Ok(Json(RecoveryCodes { codes }))
}

async fn totp_remove(
    State(state): State<AppState>,
    client: Client,
    OwnAccount(session): OwnAccount,
    ApiJson(proof): ApiJson<SecondFactorProof>,
) -> Result<StatusCode, ApiError> {
    let op = &session.operator;
    let password = proof
        .password
        .ok_or_else(|| ApiError::Invalid("password: needed to remove the app".into()))?;
    check_password(&state, client, op, password).await?;
    state.store.remove_totp(op.id).await?;
    audit(&state, op.id, AuditAction::SecondFactorRemoved).await?;
    Ok(StatusCode::NO_CONTENT)
}
