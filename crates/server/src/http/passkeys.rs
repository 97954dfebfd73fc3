//! Passkeys (WebAuthn, issue 15, through webauthn-rs): a second factor beside or instead of
//! an authenticator app.
//!
//! - `GET /api/operator/passkeys`: the operator's own, by name and dates;
//! - `POST /api/operator/passkeys/register` then `…/register/finish`: a new one (the state
//!   between the two is kept in the database under the session; open before a required
//!   second factor is enrolled); the first second factor also brings ten recovery codes;
//! - `POST /api/operator/passkeys/{id}/remove`: one removed, the password needed;
//! - `POST /api/operator/login/passkey` (email and password, checked like any sign-in) then
//!   `…/login/passkey/finish` (the ticket and the browser's assertion): a session.
//!
//! The relying party is this server: its id is the host of `public_url`, or of the page's
//! own origin when none is set. WebAuthn does not work on an IP address: open the console at a
//! domain name (`localhost` counts).

use super::extract::{ApiJson, Client, OwnAccount, SignedIn};
use super::operator::{password_step, start_session, wrong_code};
use super::operators::audit;
use crate::auth::{new_token, token_hash};
use crate::error::ApiError;
use crate::second_factor;
use crate::store::audit::AuditAction;
use crate::store::passkeys::Ceremony;
use crate::store::StoreError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use confide_protocol::accounts::{
    NewPasskey, PasskeyChallenge, PasskeyLoginFinish, PasskeyLoginStart, PasskeyView,
    RecoveryCodes, SecondFactorProof, MAX_PASSKEYS, MAX_PASSKEY_NAME,
};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/operator/passkeys", get(list))
        .route("/api/operator/passkeys/register", post(register_start))
        .route(
            "/api/operator/passkeys/register/finish",
            post(register_finish),
        )
        .route("/api/operator/passkeys/{id}/remove", post(remove))
        .route("/api/operator/login/passkey", post(login_start))
        .route("/api/operator/login/passkey/finish", post(login_finish))
}

/// The relying party for this request: `public_url`, or the page's origin (which the write
/// guard has checked names this host).
fn relying_party(state: &AppState, headers: &HeaderMap) -> Result<Webauthn, ApiError> {
    let origin = match &state.config.public_url {
        Some(public) => public.as_str().to_owned(),
        None => headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .ok_or(ApiError::Unavailable("passkeys work from a browser only"))?
            .to_owned(),
    };
    let url = Url::parse(&origin)
        .map_err(|_| ApiError::Malformed("the request's origin is not a URL".into()))?;
    let rp_id = url.domain().ok_or(ApiError::Unavailable(
        "passkeys need the console at a domain name (such as localhost), not an IP address",
    ))?;
    WebauthnBuilder::new(rp_id, &url)
        .and_then(|b| b.rp_name("Confide").build())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("webauthn: {e}")))
}

/// The user handle an authenticator keeps for an operator: their id, never reused.
fn user_handle(operator: i64) -> Uuid {
    Uuid::from_u64_pair(0, u64::try_from(operator).unwrap_or(0))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

fn parsed<T: serde::de::DeserializeOwned>(json: &str, what: &'static str) -> Result<T, ApiError> {
    serde_json::from_str(json)
        .map_err(|_| ApiError::Malformed(format!("{what} is not a WebAuthn credential")))
}

fn stored<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, ApiError> {
    serde_json::from_str(json).map_err(ApiError::internal)
}

async fn list(
    State(state): State<AppState>,
    OwnAccount(session): OwnAccount,
) -> Result<Json<Vec<PasskeyView>>, ApiError> {
    Ok(Json(state.store.passkey_views(session.operator.id).await?))
}

async fn register_start(
    State(state): State<AppState>,
    OwnAccount(session): OwnAccount,
    headers: HeaderMap,
) -> Result<Json<PasskeyChallenge>, ApiError> {
    let op = &session.operator;
    let webauthn = relying_party(&state, &headers)?;
    let existing = state.store.passkeys_of(op.id).await?;
    if existing.len() >= MAX_PASSKEYS {
        return Err(ApiError::LimitReached(
            "an operator has at most 10 passkeys",
        ));
    }
    let exclude = existing
        .iter()
        .map(|(_, json)| stored::<Passkey>(json).map(|p| p.cred_id().clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let (options, registration) = webauthn
        .start_passkey_registration(user_handle(op.id), &op.email, &op.alias, Some(exclude))
        .map_err(|e| ApiError::internal(anyhow::anyhow!("webauthn: {e}")))?;
    // The ceremony belongs to this session: its token hash names it.
    state
        .store
        .begin_ceremony(
            &session.token_hash,
            op.id,
            Ceremony::Register,
            &to_json(&registration)?,
        )
        .await?;
    Ok(Json(PasskeyChallenge {
        ticket: String::new(),
        options: to_json(&options)?,
    }))
}

async fn register_finish(
    State(state): State<AppState>,
    OwnAccount(session): OwnAccount,
    headers: HeaderMap,
    ApiJson(new): ApiJson<NewPasskey>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let op = &session.operator;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > MAX_PASSKEY_NAME {
        return Err(ApiError::Invalid(format!(
            "name: 1 to {MAX_PASSKEY_NAME} characters"
        )));
    }
    if let Some(found) = confide_protocol::text::hidden_format(name) {
        return Err(ApiError::Invalid(format!(
            "name: {}",
            confide_protocol::text::hidden_format_problem(&found)
        )));
    }
    let credential: RegisterPublicKeyCredential = parsed(&new.credential, "credential")?;
    let webauthn = relying_party(&state, &headers)?;
    let (_, registration) = match state
        .store
        .take_ceremony(&session.token_hash, Ceremony::Register)
        .await
    {
        Ok(found) => found,
        Err(StoreError::NotFound) => {
            return Err(ApiError::Conflict(
                "no registration is waiting: start again",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let registration: PasskeyRegistration = stored(&registration)?;
    let passkey = webauthn
        .finish_passkey_registration(&credential, &registration)
        .map_err(|_| {
            ApiError::Invalid("credential: the browser's answer does not verify".into())
        })?;
    match state
        .store
        .add_passkey(op.id, passkey.cred_id(), &to_json(&passkey)?, name)
        .await
    {
        Ok(_) => {}
        Err(StoreError::Conflict) => {
            return Err(ApiError::Conflict("this passkey is registered already"))
        }
        Err(e) => return Err(e.into()),
    }
    audit(&state, op.id, AuditAction::PasskeyAdded, op.id).await?;
    // The first second factor brings the recovery codes (an authenticator app's enrolment
    // brings its own).
    let codes = if state.store.has_recovery_codes(op.id).await? {
        Vec::new()
    } else {
        let codes = second_factor::new_recovery_codes().map_err(ApiError::Internal)?;
        let hashes: Vec<Vec<u8>> = codes
            .iter()
            .map(|c| second_factor::recovery_hash(c))
            .collect();
        state.store.set_recovery_codes(op.id, &hashes).await?;
        codes
    };
    Ok(Json(RecoveryCodes { codes }))
}

async fn remove(
    State(state): State<AppState>,
    client: Client,
    SignedIn(session): SignedIn,
    Path(raw): Path<String>,
    ApiJson(proof): ApiJson<SecondFactorProof>,
) -> Result<StatusCode, ApiError> {
    let id = raw
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::Malformed("the path's id is not a passkey id".into()))?;
    let op = &session.operator;
    let password = proof
        .password
        .ok_or_else(|| ApiError::Invalid("password: needed to remove a passkey".into()))?;
    super::account::check_password(&state, client, op, password).await?;
    if !state.store.remove_passkey(op.id, id).await? {
        return Err(ApiError::NotFound);
    }
    audit(&state, op.id, AuditAction::PasskeyRemoved, op.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn login_start(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PasskeyLoginStart>,
) -> Result<Json<PasskeyChallenge>, ApiError> {
    let webauthn = relying_party(&state, &headers)?;
    let op = password_step(&state, client, &req.email, req.password).await?;
    let passkeys = state
        .store
        .passkeys_of(op.id)
        .await?
        .iter()
        .map(|(_, json)| stored::<Passkey>(json))
        .collect::<Result<Vec<_>, _>>()?;
    if passkeys.is_empty() {
        return Err(ApiError::Conflict(
            "this account has no passkey: sign in with its password and code",
        ));
    }
    let (options, authentication) = webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("webauthn: {e}")))?;
    let ticket = new_token().map_err(ApiError::Internal)?;
    state
        .store
        .begin_ceremony(
            &token_hash(&ticket),
            op.id,
            Ceremony::SignIn,
            &to_json(&authentication)?,
        )
        .await?;
    Ok(Json(PasskeyChallenge {
        ticket,
        options: to_json(&options)?,
    }))
}

async fn login_finish(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PasskeyLoginFinish>,
) -> Result<Response, ApiError> {
    // A sign-in step: within the server's and the client's sign-in rates.
    state
        .limits
        .login_attempt(client, "", state.store.now_ms())
        .map_err(ApiError::RateLimited)?;
    let credential: PublicKeyCredential = parsed(&req.credential, "credential")?;
    let webauthn = relying_party(&state, &headers)?;
    let (operator, authentication) = match state
        .store
        .take_ceremony(&token_hash(&req.ticket), Ceremony::SignIn)
        .await
    {
        Ok(found) => found,
        Err(StoreError::NotFound) => {
            return Err(ApiError::Unauthorized(
                "the sign-in took too long or was used; start again",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let op = match state.store.operator_by_id(operator).await {
        Ok(op) if !op.disabled => op,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(ApiError::Unauthorized("wrong email or password"))
        }
        Err(e) => return Err(e.into()),
    };
    let authentication: PasskeyAuthentication = stored(&authentication)?;
    let now = state.store.now_ms();
    let Ok(result) = webauthn.finish_passkey_authentication(&credential, &authentication) else {
        return Err(wrong_code(&state, &op.email, now));
    };
    for (id, json) in state.store.passkeys_of(op.id).await? {
        let mut passkey: Passkey = stored(&json)?;
        if passkey.cred_id() == result.cred_id() {
            passkey.update_credential(&result);
            state.store.passkey_used(id, &to_json(&passkey)?).await?;
        }
    }
    start_session(&state, &op, &headers).await
}
