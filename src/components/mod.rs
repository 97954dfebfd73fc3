//! The widget's components: the consent gate, the pre-chat form, then the chat. Stateless parts are plain
//! functions rather than components: each component type costs the bundle its own copy of
//! Yew's lifecycle code.

pub mod chat;
pub mod composer;
pub mod consent;
pub mod leave_message;
pub mod parts;
pub mod prechat;
pub mod privacy;

pub use chat::ChatView;
pub use composer::Composer;
pub use consent::ConsentGate;
pub use leave_message::LeaveMessageForm;
pub use prechat::PrechatForm;
