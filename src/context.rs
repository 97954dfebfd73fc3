//! What every part of the live chat reads: the widget key, the chat state, one callback for
//! what the visitor does, the texts. Passed as props (a context provider would be one more
//! component type in the bundle); tests pass any state they like.

use crate::gate::ChatSetup;
use crate::state::ChatState;
use crate::strings::Strings;
use confide_protocol::chat::{ConversationId, MessageText};
use confide_protocol::WidgetKey;
use std::rc::Rc;
use yew::prelude::*;

/// What the visitor does, as the components report it.
#[derive(Debug, Clone, PartialEq)]
pub enum UiAction {
    Send(MessageText),
    /// Started (`true`) or stopped typing; only sent when the typing indicator is on.
    Typing(bool),
    /// The draft for operators' live preview (only when the setup allows it).
    Draft(String),
    /// The close button in the header.
    Close,
    /// The privacy panel's confirmed "Delete this conversation" for the conversation it
    /// shows (`None`: the current one).
    Delete(Option<ConversationId>),
    /// The panel's confirmed "Delete all conversations": these, the current one last.
    DeleteAll(Vec<ConversationId>),
    /// The panel's "Download all": these conversations in one file.
    DownloadAll(Vec<ConversationId>),
    /// The panel's list asks for the conversations older than this one.
    Older(ConversationId),
    /// The privacy panel's confirmed "Withdraw consent".
    Withdraw,
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct ChatContext {
    pub widget: WidgetKey,
    pub state: UseReducerHandle<ChatState>,
    pub actions: Callback<UiAction>,
    /// Consent, fields and mode the chat runs with.
    pub setup: Rc<ChatSetup>,
    /// Runs inside the loader's iframe (so a close button makes sense).
    pub embedded: bool,
    /// The interface's texts in the visitor's language.
    pub t: Rc<Strings>,
    /// The visitor picked another language in the menu.
    pub on_language: Callback<&'static str>,
}
