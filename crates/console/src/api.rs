//! The operator HTTP endpoints: sign in, who am I, sign out. Same origin, the session cookie
//! is HttpOnly and travels by itself; nothing here ever logs a credential.

use confide_protocol::accounts::{
    ChangePassword, ConsoleAccess, NewOperator, NewPasskey, OneTimeLink, OperatorChange,
    OperatorView, PasskeyChallenge, PasskeyLoginFinish, PasskeyLoginStart, PasskeyView,
    RecoveryCodes, SecondFactorProof, SessionView, SessionsEnded, SetPassword, TotpEnrolment,
};
use confide_protocol::chat::{ConversationId, LoginRequest, OperatorMe};
use confide_protocol::details::VisitorDetails;
use confide_protocol::history::{
    AuditPage, EraseRequest, HistoryFilter, PersonFound, Rectify, RestrictRequest, SelectionDone,
    Transcript,
};
use confide_protocol::roles::Role;
use confide_protocol::router::api::{NewRouter, RouterListItem};
use confide_protocol::router::RouterRules;
use confide_protocol::settings::{LoaderIntegrity, NewWidget, WidgetListItem, WidgetSettings};
use confide_protocol::{ErrorBody, ErrorCode, WidgetKey};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestCredentials, RequestInit, Response};

/// Why a call failed, worded for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401: no valid session, or wrong credentials; the server's message.
    Unauthorized(String),
    /// Any other answer that is not a success.
    Server(String),
    /// 409 to an erasure: the selection no longer holds the count confirmed; nothing changed.
    Conflict(String),
    /// No answer at all.
    Network,
}

impl ApiError {
    pub fn message(&self) -> &str {
        match self {
            ApiError::Unauthorized(m) | ApiError::Server(m) | ApiError::Conflict(m) => m,
            ApiError::Network => {
                "The server could not be reached. Check the connection and try again."
            }
        }
    }
}

/// Why a sign-in did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// 401 `second_factor_required`: the password was right; a code from the operator's
    /// authenticator app (or a recovery code) is needed too. The server's words.
    SecondFactor(String),
    /// Anything else: a wrong password or code (401 `unauthorized`), throttling, no answer.
    Failed(ApiError),
}

impl LoginError {
    pub fn message(&self) -> &str {
        match self {
            LoginError::SecondFactor(m) => m,
            LoginError::Failed(e) => e.message(),
        }
    }
}

/// The code of a `{code, message}` error body, when the body is one.
pub fn error_code(body: &str) -> Option<ErrorCode> {
    serde_json::from_str::<ErrorBody>(body).ok().map(|b| b.code)
}

/// The message of a `{code, message}` error body, or `fallback` when the body is not one.
fn server_message(body: &str, fallback: &str) -> String {
    serde_json::from_str::<ErrorBody>(body)
        .map(|b| b.message)
        .unwrap_or_else(|_| fallback.to_owned())
}

/// A sign-in's refusal by its status and body.
pub fn login_error(status: u16, body: &str) -> LoginError {
    match error_code(body) {
        Some(ErrorCode::SecondFactorRequired) => LoginError::SecondFactor(server_message(body, "")),
        _ => LoginError::Failed(error_for(status, body)),
    }
}

/// `POST /api/operator/login`; with `code` once the server asked for the second factor.
pub async fn login(request: &LoginRequest) -> Result<OperatorMe, LoginError> {
    let body = serde_json::to_string(request).map_err(|_| LoginError::Failed(ApiError::Network))?;
    let (status, text) = call_raw("POST", "/api/operator/login", Some(body))
        .await
        .map_err(LoginError::Failed)?;
    if (200..300).contains(&status) {
        parse_me(&text).map_err(LoginError::Failed)
    } else {
        Err(login_error(status, &text))
    }
}

/// `GET /api/operator/me`: who the session cookie belongs to.
pub async fn me() -> Result<OperatorMe, ApiError> {
    let text = call("GET", "/api/operator/me", None).await?;
    parse_me(&text)
}

/// `POST /api/operator/logout`.
pub async fn logout() -> Result<(), ApiError> {
    call("POST", "/api/operator/logout", Some(String::new()))
        .await
        .map(|_| ())
}

/// `GET /api/admin/widgets` (admins only).
pub async fn widgets() -> Result<Vec<WidgetListItem>, ApiError> {
    parse(&call("GET", "/api/admin/widgets", None).await?)
}

/// `POST /api/admin/widgets`: a new widget with Confide's default settings.
pub async fn create_widget(widget: &NewWidget) -> Result<WidgetListItem, ApiError> {
    let body = serde_json::to_string(widget).map_err(|_| ApiError::Network)?;
    parse(&call("POST", "/api/admin/widgets", Some(body)).await?)
}

/// `GET /api/admin/widgets/{key}/settings`.
pub async fn settings(key: &WidgetKey) -> Result<WidgetSettings, ApiError> {
    parse(&call("GET", &settings_path(key), None).await?)
}

/// `PUT /api/admin/widgets/{key}/settings`: answers with the settings as saved.
pub async fn save_settings(
    key: &WidgetKey,
    settings: &WidgetSettings,
) -> Result<WidgetSettings, ApiError> {
    let body = serde_json::to_string(settings).map_err(|_| ApiError::Network)?;
    parse(&call("PUT", &settings_path(key), Some(body)).await?)
}

/// `GET /api/admin/loader`: the loader's Subresource Integrity value.
pub async fn loader_integrity() -> Result<LoaderIntegrity, ApiError> {
    parse(&call("GET", "/api/admin/loader", None).await?)
}

/// `GET /api/admin/routers` (admins only).
pub async fn routers() -> Result<Vec<RouterListItem>, ApiError> {
    parse(&call("GET", "/api/admin/routers", None).await?)
}

/// `POST /api/admin/routers`: a new router with its first rules.
pub async fn create_router(router: &NewRouter) -> Result<RouterListItem, ApiError> {
    let body = serde_json::to_string(router).map_err(|_| ApiError::Network)?;
    parse(&call("POST", "/api/admin/routers", Some(body)).await?)
}

/// `GET /api/admin/routers/{key}`.
pub async fn router_rules(key: &WidgetKey) -> Result<RouterRules, ApiError> {
    parse(&call("GET", &router_path(key), None).await?)
}

/// `PUT /api/admin/routers/{key}`: answers with the rules as saved.
pub async fn save_router_rules(
    key: &WidgetKey,
    rules: &RouterRules,
) -> Result<RouterRules, ApiError> {
    let body = serde_json::to_string(rules).map_err(|_| ApiError::Network)?;
    parse(&call("PUT", &router_path(key), Some(body)).await?)
}

/// `GET /api/admin/conversations`: a page of the history (the path from
/// [`crate::history::ListRequest::path`]).
pub async fn history_page(path: &str) -> Result<confide_protocol::history::HistoryPage, ApiError> {
    parse(&call("GET", path, None).await?)
}

/// `GET /api/admin/conversations/{id}`: one conversation, read-only.
pub async fn transcript(id: ConversationId) -> Result<Transcript, ApiError> {
    parse(&call("GET", &crate::history::transcript_path(id), None).await?)
}

/// `PUT /api/admin/conversations/{id}/details`: answers with the details as stored.
pub async fn rectify(id: ConversationId, rectify: &Rectify) -> Result<VisitorDetails, ApiError> {
    let body = serde_json::to_string(rectify).map_err(|_| ApiError::Network)?;
    parse(&call("PUT", &crate::history::details_path(id), Some(body)).await?)
}

/// `POST /api/admin/conversations/erase`; a 409 is [`ApiError::Conflict`].
pub async fn erase(request: &EraseRequest) -> Result<SelectionDone, ApiError> {
    let body = serde_json::to_string(request).map_err(|_| ApiError::Network)?;
    let (status, text) = call_raw("POST", crate::history::ERASE_PATH, Some(body)).await?;
    if (200..300).contains(&status) {
        parse(&text)
    } else {
        Err(erase_error(status, &text))
    }
}

/// An erasure's refusal: a 409 says the count changed, with the server's words if it sent any.
pub fn erase_error(status: u16, body: &str) -> ApiError {
    match status {
        409 => ApiError::Conflict(server_message(body, crate::history::ERASE_CONFLICT)),
        _ => error_for(status, body),
    }
}

/// `POST /api/admin/conversations/restrict`.
pub async fn restrict(request: &RestrictRequest) -> Result<SelectionDone, ApiError> {
    let body = serde_json::to_string(request).map_err(|_| ApiError::Network)?;
    parse(&call("POST", crate::history::RESTRICT_PATH, Some(body)).await?)
}

/// `GET /api/admin/person?email=…[&name=…]`.
pub async fn person(filter: &HistoryFilter) -> Result<PersonFound, ApiError> {
    parse(&call("GET", &crate::history::person_path(filter), None).await?)
}

/// `GET /api/admin/audit`: a page (the path from [`crate::audit::AuditRequest::path`]).
pub async fn audit_page(path: &str) -> Result<AuditPage, ApiError> {
    parse(&call("GET", path, None).await?)
}

/// `GET /api/admin/roles`: every role, the built-in ones first.
pub async fn roles() -> Result<Vec<Role>, ApiError> {
    parse(&call("GET", ROLES_PATH, None).await?)
}

/// `POST /api/admin/roles` (`create`) or `PUT /api/admin/roles/{name}`: answers with the role
/// as saved. A 409 (the name is taken) is [`ApiError::Conflict`].
pub async fn save_role(role: &Role, create: bool) -> Result<Role, ApiError> {
    let body = serde_json::to_string(role).map_err(|_| ApiError::Network)?;
    let (method, path) = role_request(&role.name, create);
    let (status, text) = call_raw(method, &path, Some(body)).await?;
    if (200..300).contains(&status) {
        parse(&text)
    } else {
        Err(role_error(status, &text))
    }
}

/// `GET /api/operator/sessions` (`all`: false) or `GET /api/admin/sessions` (`all`, needs
/// `operators`): live console sessions.
pub async fn sessions(all: bool) -> Result<Vec<SessionView>, ApiError> {
    let path = if all {
        crate::sessions::ALL_PATH
    } else {
        crate::sessions::OWN_PATH
    };
    parse(&call("GET", path, None).await?)
}

/// Ends one session, or all the operator's others: how many ended.
pub async fn end_sessions(ending: crate::sessions::Ending) -> Result<u64, ApiError> {
    let (method, path) = ending.request();
    let body = (method == "POST").then(String::new);
    let (status, text) = call_raw(method, &path, body).await?;
    match status {
        200..=299 if ending == crate::sessions::Ending::Others => {
            parse::<SessionsEnded>(&text).map(|e| e.ended)
        }
        200..=299 => Ok(1),
        _ => Err(end_error(status, &text)),
    }
}

/// An ending's refusal: a 404 is a session that had ended already; a 403 without the server's
/// words names the permission.
pub fn end_error(status: u16, body: &str) -> ApiError {
    match status {
        404 => ApiError::Server(crate::sessions::GONE.into()),
        403 if serde_json::from_str::<ErrorBody>(body).is_err() => {
            ApiError::Server(crate::sessions::FORBIDDEN.into())
        }
        _ => error_for(status, body),
    }
}

/// `GET /api/admin/access` (`operators`): the console's allowlist as saved.
pub async fn access() -> Result<ConsoleAccess, ApiError> {
    parse(&call("GET", crate::access::PATH, None).await?)
}

/// `PUT /api/admin/access`: answers with the list as saved (normalised). A 400 (an entry is
/// not an address or a range) and a 409 (the list would shut out the address saving it) are
/// told apart from other failures.
pub async fn save_access(
    access: &ConsoleAccess,
) -> Result<ConsoleAccess, crate::access::SaveError> {
    use crate::access::SaveError;
    let body = serde_json::to_string(access).map_err(|_| SaveError::Failed(ApiError::Network))?;
    let (status, text) = call_raw("PUT", crate::access::PATH, Some(body))
        .await
        .map_err(SaveError::Failed)?;
    if (200..300).contains(&status) {
        parse(&text).map_err(SaveError::Failed)
    } else {
        Err(crate::access::save_error(status, &text))
    }
}

/// `GET /api/admin/operators` (`operators`): every operator account.
pub async fn operators() -> Result<Vec<OperatorView>, ApiError> {
    parse(&call("GET", crate::operators::PATH, None).await?)
}

/// `POST /api/admin/operators`: the new operator and the one-time link that sets their
/// password.
pub async fn add_operator(new: &NewOperator) -> Result<OneTimeLink, ApiError> {
    let body = serde_json::to_string(new).map_err(|_| ApiError::Network)?;
    parse(&call("POST", crate::operators::PATH, Some(body)).await?)
}

/// `PATCH /api/admin/operators/{id}`: the operator as changed. A 409 (no operator left who
/// may manage operators) carries the server's words.
pub async fn change_operator(id: i64, change: &OperatorChange) -> Result<OperatorView, ApiError> {
    let body = serde_json::to_string(change).map_err(|_| ApiError::Network)?;
    parse(&call("PATCH", &crate::operators::operator_path(id), Some(body)).await?)
}

/// `DELETE /api/admin/operators/{id}`.
pub async fn remove_operator(id: i64) -> Result<(), ApiError> {
    call("DELETE", &crate::operators::operator_path(id), None)
        .await
        .map(|_| ())
}

/// `POST /api/admin/operators/{id}/reset-password`: their password stops working, their
/// sessions end, and this link sets a new one.
pub async fn reset_password(id: i64) -> Result<OneTimeLink, ApiError> {
    let path = format!("{}/reset-password", crate::operators::operator_path(id));
    parse(&call("POST", &path, Some(String::new())).await?)
}

/// Why a one-time link did not set the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetPasswordError {
    /// 410 `link_expired`: used, replaced or too old.
    Expired,
    /// Anything else (400 `invalid`: too short), with the server's words.
    Failed(ApiError),
}

/// A set-password refusal by its status and body.
pub fn set_password_error(status: u16, body: &str) -> SetPasswordError {
    if status == 410 || error_code(body) == Some(ErrorCode::LinkExpired) {
        SetPasswordError::Expired
    } else {
        SetPasswordError::Failed(error_for(status, body))
    }
}

/// `POST /api/account/password` (no session needed): the password a one-time link sets.
pub async fn set_password(request: &SetPassword) -> Result<(), SetPasswordError> {
    let body =
        serde_json::to_string(request).map_err(|_| SetPasswordError::Failed(ApiError::Network))?;
    let (status, text) = call_raw("POST", crate::account::SET_PASSWORD_PATH, Some(body))
        .await
        .map_err(SetPasswordError::Failed)?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(set_password_error(status, &text))
    }
}

/// A refusal of the operator's own account change: a 401 is the password typed being wrong
/// (not the session ending), in the server's words when it sent any.
pub fn account_error(status: u16, body: &str) -> ApiError {
    match status {
        401 => ApiError::Server(server_message(body, crate::account::WRONG_PASSWORD)),
        _ => error_for(status, body),
    }
}

/// One call to the operator's own account: the answer text, or [`account_error`].
async fn account_call(path: &str, body: String) -> Result<String, ApiError> {
    let (status, text) = call_raw("POST", path, Some(body)).await?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(account_error(status, &text))
    }
}

/// `POST /api/operator/password`: the operator's own password; their other sessions end.
pub async fn change_password(request: &ChangePassword) -> Result<(), ApiError> {
    let body = serde_json::to_string(request).map_err(|_| ApiError::Network)?;
    account_call(crate::account::CHANGE_PASSWORD_PATH, body)
        .await
        .map(|_| ())
}

/// `POST /api/operator/totp`: a new authenticator secret, pending until confirmed.
pub async fn start_totp() -> Result<TotpEnrolment, ApiError> {
    parse(&call("POST", crate::account::TOTP_PATH, Some(String::new())).await?)
}

/// `POST /api/operator/totp/confirm` with a code from the app: the recovery codes, shown
/// once.
pub async fn confirm_totp(proof: &SecondFactorProof) -> Result<RecoveryCodes, ApiError> {
    let body = serde_json::to_string(proof).map_err(|_| ApiError::Network)?;
    parse(&account_call(crate::account::TOTP_CONFIRM_PATH, body).await?)
}

/// `POST /api/operator/totp/remove` with the password.
pub async fn remove_totp(proof: &SecondFactorProof) -> Result<(), ApiError> {
    let body = serde_json::to_string(proof).map_err(|_| ApiError::Network)?;
    account_call(crate::account::TOTP_REMOVE_PATH, body)
        .await
        .map(|_| ())
}

/// `GET /api/operator/passkeys`: the operator's own.
pub async fn passkeys() -> Result<Vec<PasskeyView>, ApiError> {
    parse(&call("GET", "/api/operator/passkeys", None).await?)
}

/// A new passkey: the server's options, the browser's ceremony, the server's check. The
/// answer holds ten recovery codes when this was the operator's first second factor.
pub async fn add_passkey(name: &str) -> Result<RecoveryCodes, ApiError> {
    let challenge: PasskeyChallenge = parse(
        &call(
            "POST",
            "/api/operator/passkeys/register",
            Some(String::new()),
        )
        .await?,
    )?;
    let credential = crate::webauthn::create(&challenge.options)
        .await
        .map_err(ApiError::Server)?;
    let body = serde_json::to_string(&NewPasskey {
        name: name.to_owned(),
        credential,
    })
    .map_err(|_| ApiError::Network)?;
    parse(&account_call("/api/operator/passkeys/register/finish", body).await?)
}

/// `POST /api/operator/passkeys/{id}/remove` with the password.
pub async fn remove_passkey(id: i64, proof: &SecondFactorProof) -> Result<(), ApiError> {
    let body = serde_json::to_string(proof).map_err(|_| ApiError::Network)?;
    account_call(&format!("/api/operator/passkeys/{id}/remove"), body)
        .await
        .map(|_| ())
}

/// Sign-in with a passkey after the password: the server's options for the operator's
/// passkeys, the browser's ceremony, and the server's check, which opens the session.
pub async fn login_with_passkey(email: &str, password: &str) -> Result<OperatorMe, LoginError> {
    let body = serde_json::to_string(&PasskeyLoginStart {
        email: email.to_owned(),
        password: password.to_owned(),
    })
    .map_err(|_| LoginError::Failed(ApiError::Network))?;
    let (status, text) = call_raw("POST", "/api/operator/login/passkey", Some(body))
        .await
        .map_err(LoginError::Failed)?;
    if !(200..300).contains(&status) {
        return Err(login_error(status, &text));
    }
    let challenge: PasskeyChallenge = parse(&text).map_err(LoginError::Failed)?;
    let credential = crate::webauthn::get_assertion(&challenge.options)
        .await
        .map_err(|m| LoginError::Failed(ApiError::Server(m)))?;
    let body = serde_json::to_string(&PasskeyLoginFinish {
        ticket: challenge.ticket,
        credential,
    })
    .map_err(|_| LoginError::Failed(ApiError::Network))?;
    let (status, text) = call_raw("POST", "/api/operator/login/passkey/finish", Some(body))
        .await
        .map_err(LoginError::Failed)?;
    if (200..300).contains(&status) {
        parse_me(&text).map_err(LoginError::Failed)
    } else {
        Err(login_error(status, &text))
    }
}

pub const ROLES_PATH: &str = "/api/admin/roles";

/// The method and path that save a role: a new one is posted to the list, a saved one put at
/// its name. Role names are `a-z0-9_-` (checked before sending); anything else is escaped.
pub fn role_request(name: &str, create: bool) -> (&'static str, String) {
    if create {
        return ("POST", ROLES_PATH.to_owned());
    }
    let mut path = format!("{ROLES_PATH}/");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            path.push(char::from(b));
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    ("PUT", path)
}

/// A role save's refusal, with the server's words when it sent any: 409 is the name taken,
/// 403 a built-in role (or a role that may not change roles), 400 names the field.
pub fn role_error(status: u16, body: &str) -> ApiError {
    let message = serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.message);
    match status {
        409 => ApiError::Conflict(message.unwrap_or_else(|| {
            "A role with this name exists already; choose another name.".into()
        })),
        403 => ApiError::Server(message.unwrap_or_else(|| {
            "Not allowed: built-in roles cannot be changed, and changing roles needs the operators permission.".into()
        })),
        _ => error_for(status, body),
    }
}

/// Router keys are widget keys: no escaping needed.
fn router_path(key: &WidgetKey) -> String {
    format!("/api/admin/routers/{}", key.as_str())
}

/// Widget keys are `A-Za-z0-9-_` only, so they need no escaping in a path.
fn settings_path(key: &WidgetKey) -> String {
    format!("/api/admin/widgets/{}/settings", key.as_str())
}

fn parse_me(text: &str) -> Result<OperatorMe, ApiError> {
    parse(text)
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|_| {
        ApiError::Server("The server sent an answer the console does not understand.".into())
    })
}

/// Maps a non-success status and its body to an error: the server's `{code, message}` when
/// it sent one.
pub fn error_for(status: u16, body: &str) -> ApiError {
    let message = serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.message);
    match status {
        401 => ApiError::Unauthorized(message.unwrap_or_else(|| "Wrong email or password.".into())),
        409 => ApiError::Server(
            message.unwrap_or_else(|| "This key is taken already; choose another.".into()),
        ),
        _ => ApiError::Server(
            message.unwrap_or_else(|| format!("The server answered with status {status}.")),
        ),
    }
}

/// One same-origin request; the body, if any, is JSON. Returns the response text on 2xx.
async fn call(method: &str, path: &str, body: Option<String>) -> Result<String, ApiError> {
    let (status, text) = call_raw(method, path, body).await?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(error_for(status, &text))
    }
}

/// One same-origin request: its status and text, whatever the status.
async fn call_raw(
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<(u16, String), ApiError> {
    let window = web_sys::window().ok_or(ApiError::Network)?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(body) = body {
        let headers = Headers::new().map_err(|_| ApiError::Network)?;
        headers
            .set("Content-Type", "application/json")
            .map_err(|_| ApiError::Network)?;
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(&body));
    }
    let request = Request::new_with_str_and_init(path, &init).map_err(|_| ApiError::Network)?;
    send(&window, &request).await
}

async fn send(window: &web_sys::Window, request: &Request) -> Result<(u16, String), ApiError> {
    let response = JsFuture::from(window.fetch_with_request(request))
        .await
        .map_err(|_| ApiError::Network)?;
    let response: Response = response.dyn_into().map_err(|_| ApiError::Network)?;
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok((response.status(), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_server_message_when_there_is_one() {
        assert_eq!(
            error_for(
                401,
                r#"{"code":"unauthorized","message":"wrong email or password"}"#
            ),
            ApiError::Unauthorized("wrong email or password".into())
        );
        assert_eq!(
            error_for(401, ""),
            ApiError::Unauthorized("Wrong email or password.".into())
        );
        assert_eq!(
            error_for(503, "<html>"),
            ApiError::Server("The server answered with status 503.".into())
        );
    }

    #[test]
    fn an_erasure_refused_for_a_changed_count_is_a_conflict() {
        assert_eq!(
            erase_error(
                409,
                r#"{"code":"conflict","message":"the selection now holds 4 conversations, not 5"}"#
            ),
            ApiError::Conflict("the selection now holds 4 conversations, not 5".into())
        );
        assert_eq!(
            erase_error(409, ""),
            ApiError::Conflict(crate::history::ERASE_CONFLICT.into())
        );
        assert_eq!(
            erase_error(400, r#"{"code":"invalid","message":"expect: 0"}"#),
            ApiError::Server("expect: 0".into())
        );
    }

    #[test]
    fn roles_are_posted_new_and_put_at_their_name() {
        assert_eq!(
            role_request("readers", true),
            ("POST", "/api/admin/roles".to_owned())
        );
        assert_eq!(
            role_request("site-a_2", false),
            ("PUT", "/api/admin/roles/site-a_2".to_owned())
        );
        assert_eq!(
            role_request("a/b ?", false).1,
            "/api/admin/roles/a%2Fb%20%3F"
        );
    }

    #[test]
    fn a_refused_role_keeps_the_server_message_and_a_taken_name_is_a_conflict() {
        assert_eq!(
            role_error(409, r#"{"code":"conflict","message":"name: taken"}"#),
            ApiError::Conflict("name: taken".into())
        );
        assert!(
            matches!(role_error(409, ""), ApiError::Conflict(m) if m.contains("exists already"))
        );
        assert_eq!(
            role_error(
                400,
                r#"{"code":"invalid","message":"permissions.widgets: at most 100 widgets"}"#
            ),
            ApiError::Server("permissions.widgets: at most 100 widgets".into())
        );
        assert!(matches!(role_error(403, ""), ApiError::Server(m) if m.contains("built-in")));
        assert_eq!(
            role_error(403, r#"{"code":"forbidden","message":"admin is built in"}"#),
            ApiError::Server("admin is built in".into())
        );
    }

    #[test]
    fn a_refused_ending_says_why() {
        assert_eq!(
            end_error(404, r#"{"code":"not_found","message":"not found"}"#),
            ApiError::Server(crate::sessions::GONE.into())
        );
        assert_eq!(
            end_error(403, ""),
            ApiError::Server(crate::sessions::FORBIDDEN.into())
        );
        assert_eq!(
            end_error(403, r#"{"code":"forbidden","message":"needs operators"}"#),
            ApiError::Server("needs operators".into())
        );
        assert!(matches!(end_error(401, ""), ApiError::Unauthorized(_)));
    }

    #[test]
    fn a_sign_in_that_needs_the_second_factor_is_told_apart() {
        assert_eq!(
            login_error(
                401,
                r#"{"code":"second_factor_required","message":"enter the code from your app"}"#
            ),
            LoginError::SecondFactor("enter the code from your app".into())
        );
        assert_eq!(
            login_error(401, r#"{"code":"unauthorized","message":"wrong code"}"#),
            LoginError::Failed(ApiError::Unauthorized("wrong code".into()))
        );
        assert_eq!(
            login_error(401, ""),
            LoginError::Failed(ApiError::Unauthorized("Wrong email or password.".into()))
        );
        assert_eq!(
            login_error(429, r#"{"code":"rate_limited","message":"slow down"}"#).message(),
            "slow down"
        );
        assert_eq!(
            error_code(r#"{"code":"enrolment_required","message":"enrol first"}"#),
            Some(ErrorCode::EnrolmentRequired)
        );
        assert_eq!(error_code("<html>"), None);
    }

    #[test]
    fn a_used_link_is_expired_and_a_short_password_keeps_the_server_words() {
        assert_eq!(
            set_password_error(410, r#"{"code":"link_expired","message":"link expired"}"#),
            SetPasswordError::Expired
        );
        assert_eq!(set_password_error(410, ""), SetPasswordError::Expired);
        assert_eq!(
            set_password_error(
                400,
                r#"{"code":"invalid","message":"password: at least 10 characters"}"#
            ),
            SetPasswordError::Failed(ApiError::Server("password: at least 10 characters".into()))
        );
    }

    #[test]
    fn a_wrong_current_password_is_not_a_signed_out_session() {
        assert_eq!(
            account_error(401, r#"{"code":"unauthorized","message":"wrong password"}"#),
            ApiError::Server("wrong password".into())
        );
        assert_eq!(
            account_error(401, ""),
            ApiError::Server(crate::account::WRONG_PASSWORD.into())
        );
        assert_eq!(
            account_error(400, r#"{"code":"invalid","message":"code: six digits"}"#),
            ApiError::Server("code: six digits".into())
        );
    }

    #[test]
    fn a_conflict_without_a_message_says_the_key_is_taken() {
        assert_eq!(
            error_for(409, r#"{"code":"conflict"}"#),
            ApiError::Server("This key is taken already; choose another.".into())
        );
    }
}
