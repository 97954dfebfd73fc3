//! The console's views. They read [`crate::ConsoleContext`] and render only what it holds.

mod access;
mod account;
mod audit;
mod composer;
mod conversation;
mod desk;
mod header;
mod history;
mod inbox;
mod login;
mod message;
mod operators;
mod person;
mod roles;
mod router_rules;
mod routers;
mod sessions;
mod set_password;
mod settings_form;
mod transcript;
mod try_visitor;
mod widgets;

pub use access::AccessSection;
pub use account::{AccountPage, EnrolScreen, TwoFactorSection, TwoFactorSectionProps};
pub use audit::AuditPage;
pub use composer::Composer;
pub use conversation::ConversationView;
pub use conversation::ConversationViewProps;
pub use desk::Desk;
pub use header::Header;
pub use history::{EraseConfirm, EraseConfirmProps, HistoryPage, HistoryPageProps};
pub use inbox::Inbox;
pub use login::{LoginForm, LoginFormProps};
pub use message::{MessageItem, MessageItemProps, MessageTextView, MessageTextViewProps};
pub use operators::{OperatorsPage, OperatorsPageProps};
pub use person::{PersonPage, PersonPageProps};
pub use roles::RolesPage;
pub use router_rules::{RouterRulesForm, RouterRulesFormProps};
pub use routers::RoutersPage;
pub use sessions::{SessionsPage, SessionsPageProps};
pub use set_password::{SetPasswordPage, SetPasswordPageProps};
pub use settings_form::{SettingsForm, SettingsFormProps};
pub use transcript::{TranscriptView, TranscriptViewProps};
pub use try_visitor::{TryVisitor, TryVisitorProps};
pub use widgets::WidgetsPage;

use crate::ConsoleContext;
use yew::prelude::*;

/// The console context; every view lives under [`crate::Console`]'s provider.
#[hook]
fn use_console() -> ConsoleContext {
    use_context::<ConsoleContext>()
        .expect("console views are rendered inside the ConsoleContext provider")
}

/// What an input holds now (empty when the ref is not an input).
fn input_value(r: &NodeRef) -> String {
    r.cast::<web_sys::HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

/// What a page does with a refused call: a 401 (rendered inside the console) signs the
/// console out at once; every error becomes the text the page shows. Tests render pages
/// alone, without the console.
fn refusal_text(
    console: Option<ConsoleContext>,
) -> impl Fn(&crate::api::ApiError) -> String + Clone {
    let dispatcher = console.map(|c| c.state.dispatcher());
    move |e: &crate::api::ApiError| {
        if let (crate::api::ApiError::Unauthorized(_), Some(d)) = (e, &dispatcher) {
            d.dispatch(crate::state::Action::SignedOut);
        }
        crate::sessions::error_text(e)
    }
}

/// Local time of a unix-milliseconds instant: `HH:MM` today, `YYYY-MM-DD HH:MM` otherwise.
fn clock(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let now = js_sys::Date::new_0();
    let time = format!("{:02}:{:02}", date.get_hours(), date.get_minutes());
    let today = (date.get_full_year(), date.get_month(), date.get_date())
        == (now.get_full_year(), now.get_month(), now.get_date());
    if today {
        time
    } else {
        format!(
            "{}-{:02}-{:02} {time}",
            date.get_full_year(),
            date.get_month() + 1,
            date.get_date()
        )
    }
}
