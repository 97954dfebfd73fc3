//! Types that cross a trust boundary between the Confide widget, the console and the server.
//!
//! Everything here is plain serde data that builds for wasm32 and native alike, so the server
//! validates input with exactly the code the browser runs, and tests run natively.

pub mod accounts;
pub mod chat;
pub mod details;
pub mod error;
pub mod history;
pub mod i18n;
pub mod key;
pub mod linkify;
pub mod roles;
pub mod router;
pub mod settings;
pub mod text;

pub use error::{ErrorBody, ErrorCode};
pub use key::{KeyError, WidgetKey};
