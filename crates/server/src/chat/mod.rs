//! Chat rules that do not depend on the transport: who is admitted ([`admission`]) and how a
//! stored change reaches the sockets that watch it ([`publish_stored`], [`publish_summary`]).

pub mod admission;

use crate::hub::Event;
use crate::store::Appended;
use crate::AppState;
use confide_protocol::chat::ConversationId;

/// After a message is stored for the first time: fan it out to the conversation's watchers,
/// then the conversation's new summary (as the writer read it with the commit) to the
/// operators' inbox.
pub async fn publish_stored(state: &AppState, conversation: ConversationId, stored: Appended) {
    state.hub.publish(Event::Message {
        conversation,
        message: stored.message,
    });
    match stored.summary {
        Some(summary) => state.hub.publish(Event::Summary(summary)),
        None => publish_summary(state, conversation).await,
    }
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
