//! Admission: what a visitor must show before anything of theirs is stored, in one place for
//! the socket's `hello` and the leave-a-message form.
//!
//! In order, and stopping at the first refusal (so a refused visitor leaves nothing behind):
//! the widget must exist; the consent must match its current disclaimer; a privacy-mode
//! widget takes no page context; the pre-chat values must meet the widget's fields. Only then
//! is the token checked (or a visitor created, with a data key, and a token issued), and the
//! consent receipt found or written. What operators will learn about the visitor ([`VisitorDetails`]) is
//! decided here too: the values typed and, in standard mode only, the page, the referrer and
//! the browser and OS family.

use crate::auth::{new_token, token_hash};
use crate::limits::{ClientKey, Limits, RetryAfter};
use crate::store::{Store, StoreError, Visitor, Widget};
use crate::ua::UaFamily;
use confide_protocol::chat::{close, ConsentGiven, VisitorToken};
use confide_protocol::details::{PageContext, PrechatValues, VisitorDetails};
use confide_protocol::settings::WidgetSettings;
use confide_protocol::{ErrorCode, WidgetKey};

/// Visitor tokens stay valid this long after they are issued.
pub const TOKEN_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

/// What the visitor presents.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub widget: &'a WidgetKey,
    pub token: Option<&'a VisitorToken>,
    pub consent: Option<&'a ConsentGiven>,
    /// Where the chat was opened (standard mode only; refused in privacy mode).
    pub context: Option<&'a PageContext>,
    pub fields: Option<&'a PrechatValues>,
    pub ua: Option<UaFamily>,
    /// Which rate applies, and to which client.
    pub door: Door,
}

/// Where the visitor comes in: each has its own rate, per widget and per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Hello(Option<ClientKey>),
    LeaveMessage(Option<ClientKey>),
}

/// What the widget's settings decide for one visitor's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    pub typing_indicator: bool,
    pub live_preview: bool,
}

/// An admitted visitor.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub widget: Widget,
    pub settings: WidgetSettings,
    pub visitor: Visitor,
    /// The token presented, or the one just issued (so a message left without a token can
    /// be reached later: its author's export, delete and withdrawal find it).
    pub token: VisitorToken,
    /// The consent receipt a new conversation starts under.
    pub receipt_id: Option<i64>,
    /// Stored with a new conversation.
    pub details: VisitorDetails,
    pub mode: Mode,
}

/// Why a visitor was not admitted. Each message quotes nothing the visitor sent.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no widget with that key")]
    WidgetNotFound,
    #[error("{0}")]
    Consent(&'static str),
    #[error("this widget runs in privacy mode: it takes no page context")]
    ContextInPrivacyMode,
    /// The problem names the field and the rule, never the value.
    #[error("pre-chat field {0}")]
    Field(String),
    #[error("the visitor token is wrong or expired; start again without one")]
    Token,
    #[error("too many visitors at once; try again in {} s", .0.secs())]
    RateLimited(RetryAfter),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Refusal {
    pub fn code(&self) -> ErrorCode {
        match self {
            Refusal::WidgetNotFound => ErrorCode::WidgetNotFound,
            Refusal::Consent(_) => ErrorCode::ConsentRequired,
            Refusal::ContextInPrivacyMode | Refusal::Field(_) => ErrorCode::Invalid,
            Refusal::Token => ErrorCode::Unauthorized,
            Refusal::RateLimited(_) => ErrorCode::RateLimited,
            Refusal::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The socket's close code for this refusal.
    pub fn close_code(&self) -> u16 {
        match self {
            Refusal::WidgetNotFound => close::WIDGET_NOT_FOUND,
            Refusal::Consent(_) => close::CONSENT_REQUIRED,
            Refusal::ContextInPrivacyMode => close::PROTOCOL,
            Refusal::Field(_) => close::FIELDS_INVALID,
            Refusal::Token => close::UNAUTHORIZED,
            Refusal::RateLimited(_) => close::RATE_LIMITED,
            Refusal::Internal(_) => 1011,
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Internal(e.into())
    }
}

impl From<Refusal> for crate::error::ApiError {
    fn from(r: Refusal) -> Self {
        use crate::error::ApiError;
        match r {
            Refusal::WidgetNotFound => ApiError::WidgetNotFound,
            Refusal::Consent(m) => ApiError::ConsentRequired(m),
            Refusal::Token => ApiError::Unauthorized(
                "the visitor token is wrong or expired; start again without one",
            ),
            Refusal::RateLimited(wait) => ApiError::RateLimited(wait),
            Refusal::Internal(e) => ApiError::Internal(e),
            other @ (Refusal::ContextInPrivacyMode | Refusal::Field(_)) => {
                ApiError::Invalid(other.to_string())
            }
        }
    }
}

/// Admits the visitor or says why not; nothing is written unless every check passed.
pub async fn admit(store: &Store, limits: &Limits, req: Request<'_>) -> Result<Admitted, Refusal> {
    let widget = match store.widget_by_key(req.widget).await {
        Ok(w) => w,
        Err(StoreError::NotFound) => return Err(Refusal::WidgetNotFound),
        Err(e) => return Err(e.into()),
    };
    match req.door {
        Door::Hello(client) => limits.hello(widget.id, client),
        Door::LeaveMessage(client) => limits.leave_message(widget.id, client),
    }
    .map_err(Refusal::RateLimited)?;
    let settings = store.widget_settings(widget.id).await?;
    // Consent comes first: without it no visitor is created and no token is issued.
    crate::consent::check(&settings, req.consent).map_err(Refusal::Consent)?;
    let standard = !settings.privacy_mode;
    if !standard && req.context.is_some() {
        return Err(Refusal::ContextInPrivacyMode);
    }
    let values = req
        .fields
        .cloned()
        .unwrap_or_default()
        .checked(&settings.prechat_fields)
        .map_err(|problem| Refusal::Field(problem.to_string()))?;
    let details = details_for(&values, &settings, req.context, req.ua);
    let mode = Mode {
        typing_indicator: settings.typing_indicator,
        live_preview: standard && settings.live_preview,
    };

    let (visitor, token) = match req.token {
        Some(token) => match store
            .visitor_by_token(widget.id, &token_hash(token.as_str()))
            .await
        {
            Ok(v) => (v, token.clone()),
            Err(StoreError::NotFound) => return Err(Refusal::Token),
            Err(e) => return Err(e.into()),
        },
        None => {
            let issued = new_token().map_err(Refusal::Internal)?;
            let token = VisitorToken::parse(&issued).map_err(|_| {
                Refusal::Internal(anyhow::anyhow!("issued token has the wrong shape"))
            })?;
            let id = store
                .create_visitor(widget.id, &token_hash(&issued), TOKEN_TTL_MS)
                .await?;
            (
                Visitor {
                    id,
                    widget_id: widget.id,
                },
                token,
            )
        }
    };

    let receipt_id = match req.consent {
        Some(given) if settings.consent.required => {
            let policy = settings.privacy_link.as_ref().map(|l| l.url.as_str());
            Some(
                store
                    .receipt_for(widget.id, visitor.id, given, policy)
                    .await?,
            )
        }
        _ => None,
    };

    Ok(Admitted {
        widget,
        settings,
        visitor,
        token,
        receipt_id,
        details,
        mode,
    })
}

/// What operators learn: the checked values and, in standard mode only, the page, its
/// referrer (both cut at the query and fragment) and the browser and OS family.
fn details_for(
    values: &PrechatValues,
    settings: &WidgetSettings,
    context: Option<&PageContext>,
    ua: Option<UaFamily>,
) -> VisitorDetails {
    let mut details = VisitorDetails::from_values(values, settings);
    if !settings.privacy_mode {
        if let Some(ctx) = context.and_then(PageContext::cleaned) {
            details.page = ctx.page;
            details.referrer = ctx.referrer;
        }
        if let Some(ua) = ua {
            details.browser = Some(ua.browser.to_owned());
            details.os = Some(ua.os.to_owned());
        }
    }
    details
}
