//! `ApiError`: every failure a handler can return, turned into a stable `{code, message}`
//! body. The source of an internal error never reaches the response: it travels in the
//! response's extensions to [`crate::telemetry::log_request`], which logs it once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use confide_protocol::{ErrorBody, ErrorCode};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("the request body is too large")]
    TooLarge,
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no widget with that key")]
    WidgetNotFound,
    #[error("{0}")]
    ConsentRequired(&'static str),
    #[error("no such resource")]
    NotFound,
    #[error("{0}")]
    Unavailable(&'static str),
    #[error("too many requests; try again in {} s", .0.secs())]
    RateLimited(crate::limits::RetryAfter),
    #[error("{0}")]
    LimitReached(&'static str),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    #[error("enter the code from your authenticator app, or a recovery code")]
    SecondFactorRequired,
    #[error("your role requires a second factor: set up an authenticator app first")]
    EnrolmentRequired,
    #[error("this link was used or has expired; ask an admin for a new one")]
    LinkExpired,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::ConsentRequired(_) => StatusCode::FORBIDDEN,
            ApiError::WidgetNotFound | ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::LimitReached(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::SecondFactorRequired => StatusCode::UNAUTHORIZED,
            ApiError::EnrolmentRequired => StatusCode::FORBIDDEN,
            ApiError::LinkExpired => StatusCode::GONE,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Malformed(_) => ErrorCode::Malformed,
            ApiError::Invalid(_) => ErrorCode::Invalid,
            ApiError::TooLarge => ErrorCode::TooLarge,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::WidgetNotFound => ErrorCode::WidgetNotFound,
            ApiError::ConsentRequired(_) => ErrorCode::ConsentRequired,
            ApiError::NotFound => ErrorCode::NotFound,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::RateLimited(_) => ErrorCode::RateLimited,
            ApiError::LimitReached(_) => ErrorCode::LimitReached,
            ApiError::Internal(_) => ErrorCode::Internal,
            ApiError::SecondFactorRequired => ErrorCode::SecondFactorRequired,
            ApiError::EnrolmentRequired => ErrorCode::EnrolmentRequired,
            ApiError::LinkExpired => ErrorCode::LinkExpired,
        }
    }

    /// An internal error from anything displayable (a join error, a token source).
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }
}

/// A missing row is a 404 unless the caller says otherwise (for example
/// [`crate::http::extract::KnownWidget`] answers `widget_not_found`); a taken key is a 409.
impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            // Erased data is gone, as a deleted row is.
            StoreError::NotFound | StoreError::Erased => ApiError::NotFound,
            StoreError::Conflict => ApiError::Conflict("conflicts with stored data"),
            StoreError::Full => {
                ApiError::LimitReached("the conversation holds all the messages it may")
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

/// The source of an internal error, for the request log only. Source errors come from the
/// store and I/O and carry no request data.
#[derive(Debug, Clone)]
pub struct ErrorSource(pub Arc<String>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody::new(self.code(), self.to_string());
        let mut res = (self.status(), Json(body)).into_response();
        if let ApiError::RateLimited(wait) = &self {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, wait.secs().into());
        }
        if let ApiError::Internal(source) = &self {
            res.extensions_mut()
                .insert(ErrorSource(Arc::new(format!("{source:#}"))));
        }
        res
    }
}

/// serde's reason for refusing a value, with anything it quoted from the input removed. Used
/// for HTTP bodies and for socket frames alike.
pub(crate) fn describe_reason(reason: &str) -> String {
    // What serde expected comes last and is ours; anything before it may quote the input.
    let expected = reason
        .rsplit_once(", expected ")
        .map(|(_, e)| format!("; expected {e}"))
        .unwrap_or_default();
    if reason.starts_with("missing field ") {
        // Names one of our fields.
        return reason.to_owned();
    }
    if reason.starts_with("unknown field ") {
        // The unknown name is the client's: say which fields exist instead.
        return format!("a field is not one of those allowed{expected}");
    }
    if reason.starts_with("unknown variant ") {
        return format!("a value is not one of those allowed{expected}");
    }
    if reason.contains('`') || reason.contains('"') {
        return format!("a field has the wrong type or value{expected}");
    }
    // Our newtypes' own messages quote nothing.
    reason.to_owned()
}
