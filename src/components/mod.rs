//! The widget's components: the consent gate, the pre-chat form, then the chat. Only what must
//! re-render on its own is a component (the chat view, the composer, which re-renders on every
//! keystroke); everything else is a plain function whose state its parent keeps: each
//! component type costs the bundle its own copy of Yew's lifecycle code (about 2 KB).

pub mod chat;
pub mod composer;
pub mod consent;
pub mod leave_message;
pub mod parts;
pub mod prechat;
pub mod privacy;

pub use chat::ChatView;
pub use composer::Composer;
pub use consent::{consent_gate, FormState};
pub use leave_message::{leave_message_form, LeaveForm};
pub use prechat::prechat_form;
