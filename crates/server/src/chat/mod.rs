//! Chat rules that do not depend on the transport: who is admitted ([`admission`]) and how a
//! stored change reaches the sockets that watch it ([`publish_stored`], [`publish_summary`]).

pub mod admission;

use crate::hub::Event;
use crate::AppState;
use confide_protocol::chat::{ChatMessage, ConversationId};

/// After a message is stored for the first time: fan it out to the conversation's watchers,
/// then the conversation's new summary to the operators' inbox.
pub async fn publish_stored(state: &AppState, conversation: ConversationId, message: ChatMessage) {
    state.hub.publish(Event::Message {
        conversation,
        message,
    });
    publish_summary(state, conversation).await;
}

/// Publishes the conversation's current summary to the operators' inbox.
pub async fn publish_summary(state: &AppState, conversation: ConversationId) {
    match state.store.summary(conversation).await {
        Ok(s) => state.hub.publish(Event::Summary(s)),
        Err(e) => {
            tracing::warn!(conversation = conversation.0, error = %e, "cannot summarise conversation")
        }
    }
}
