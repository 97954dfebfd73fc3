//! The context every widget component reads: the widget key, the chat state and one callback
//! for what the visitor does. Tests provide it with any state they like.

use crate::state::ChatState;
use confide_protocol::chat::MessageText;
use confide_protocol::WidgetKey;
use yew::prelude::*;

/// What the visitor does, as the components report it.
#[derive(Debug, Clone, PartialEq)]
pub enum UiAction {
    Send(MessageText),
    /// Started (`true`) or stopped typing; the draft itself never leaves the composer.
    Typing(bool),
    /// The close button in the header.
    Close,
    /// The privacy panel's confirmed "Delete this conversation".
    Delete,
    /// The privacy panel's confirmed "Withdraw consent".
    Withdraw,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatContext {
    pub widget: WidgetKey,
    pub state: UseReducerHandle<ChatState>,
    pub actions: Callback<UiAction>,
    /// Runs inside the loader's iframe (so a close button makes sense).
    pub embedded: bool,
}
