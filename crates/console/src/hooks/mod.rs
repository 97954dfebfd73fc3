//! The console's hooks, one per file.

mod use_alert_sound;
mod use_document_title;
mod use_operator_socket;
mod use_page_visible;
mod use_typing_signal;
mod use_user_activated;

pub use use_alert_sound::use_alert_sound;
pub use use_document_title::use_document_title;
pub use use_operator_socket::{use_operator_socket, SocketEvent};
pub use use_page_visible::use_page_visible;
pub use use_typing_signal::{use_typing_signal, TypingSignal};
pub use use_user_activated::use_user_activated;
