//! The one error body every HTTP endpoint and WebSocket error frame uses: a stable machine
//! code plus a readable message that never carries personal data or internals.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable error codes. Clients match on these; the wire form is the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request or frame could not be parsed.
    Malformed,
    /// A well-formed request carried a value that is not allowed.
    Invalid,
    /// It exists already (for example a widget key).
    Conflict,
    /// The request or frame is larger than the server accepts.
    TooLarge,
    /// No such widget.
    WidgetNotFound,
    /// The widget requires consent and none (or an outdated one) was given.
    ConsentRequired,
    /// No such route or resource.
    NotFound,
    /// Credentials are missing, wrong or expired.
    Unauthorized,
    /// The caller is known but may not do this.
    Forbidden,
    /// A part of the server is not ready (for example the widget bundle is not built).
    Unavailable,
    /// Too many requests or frames of this kind in a short time; try again later (HTTP
    /// answers say when, in `Retry-After`).
    RateLimited,
    /// A fixed limit was reached (for example the messages one conversation may hold).
    LimitReached,
    /// The server failed; details are in the server's log, never in the response.
    Internal,
    /// The password was right; the operator's second factor (a code from their
    /// authenticator app, or a recovery code) is needed too.
    SecondFactorRequired,
    /// The operator's role requires a second factor and they have none: enrol one first.
    EnrolmentRequired,
    /// A one-time link was used, replaced, or is too old.
    LinkExpired,
}

impl ErrorCode {
    /// Every code, for clients that map a wire name back to its variant without serde.
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::Malformed,
        ErrorCode::Invalid,
        ErrorCode::Conflict,
        ErrorCode::TooLarge,
        ErrorCode::WidgetNotFound,
        ErrorCode::ConsentRequired,
        ErrorCode::NotFound,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::Unavailable,
        ErrorCode::RateLimited,
        ErrorCode::LimitReached,
        ErrorCode::Internal,
        ErrorCode::SecondFactorRequired,
        ErrorCode::EnrolmentRequired,
        ErrorCode::LinkExpired,
    ];

    /// The wire name, as it appears in the `code` field.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::Invalid => "invalid",
            ErrorCode::Conflict => "conflict",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::WidgetNotFound => "widget_not_found",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::LimitReached => "limit_reached",
            ErrorCode::Internal => "internal",
            ErrorCode::SecondFactorRequired => "second_factor_required",
            ErrorCode::EnrolmentRequired => "enrolment_required",
            ErrorCode::LinkExpired => "link_expired",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_serialize_to_their_stable_wire_names() {
        // Exhaustive: a new code that is not in ALL fails to compile here.
        let position = |c: ErrorCode| match c {
            ErrorCode::Malformed => 0,
            ErrorCode::Invalid => 1,
            ErrorCode::Conflict => 2,
            ErrorCode::TooLarge => 3,
            ErrorCode::WidgetNotFound => 4,
            ErrorCode::ConsentRequired => 5,
            ErrorCode::NotFound => 6,
            ErrorCode::Unauthorized => 7,
            ErrorCode::Forbidden => 8,
            ErrorCode::Unavailable => 9,
            ErrorCode::RateLimited => 10,
            ErrorCode::LimitReached => 11,
            ErrorCode::Internal => 12,
            ErrorCode::SecondFactorRequired => 13,
            ErrorCode::EnrolmentRequired => 14,
            ErrorCode::LinkExpired => 15,
        };
        for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(position(code), i, "{code}");
            let json = serde_json::to_string(&code).expect("serialize");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, code);
        }
    }

    #[test]
    fn error_body_has_exactly_code_and_message() {
        let body = ErrorBody::new(ErrorCode::WidgetNotFound, "no widget with that key");
        let value: serde_json::Value = serde_json::to_value(&body).expect("serialize");
        let obj = value.as_object().expect("object");
        assert_eq!(obj.len(), 2);
        assert_eq!(obj["code"], "widget_not_found");
        assert_eq!(obj["message"], "no widget with that key");
    }
}
