//! Fan-out between the sockets of one server process: a broadcast channel of chat events
//! and a count of connected operators (for the widget's "online" state).
//!
//! Events carry ids and stored messages, never anything that is not already in the database,
//! with one exception: a visitor's draft for live preview, which lives only here, in memory,
//! on its way to the operators' sockets.
//! A socket that falls behind the channel is closed and resumes from its last sequence number.

use confide_protocol::chat::{Author, ChatMessage, ConversationId, ConversationSummary, DraftText};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Debug, Clone)]
pub enum Event {
    /// A newly stored message.
    Message {
        conversation: ConversationId,
        message: ChatMessage,
    },
    Typing {
        conversation: ConversationId,
        from: Author,
        active: bool,
    },
    /// Live preview: the visitor's unsent draft (standard mode with `live_preview` on only).
    Draft {
        conversation: ConversationId,
        text: DraftText,
    },
    /// A conversation appeared or changed.
    Summary(ConversationSummary),
    Closed {
        conversation: ConversationId,
    },
    Presence {
        operators_online: bool,
    },
}

#[derive(Debug)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Event>>,
    operators: AtomicUsize,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Self {
            tx,
            operators: AtomicUsize::new(0),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    pub fn publish(&self, event: Event) {
        // No receivers is fine: nobody is connected.
        let _ = self.tx.send(Arc::new(event));
    }

    pub fn operators_online(&self) -> bool {
        self.operators.load(Ordering::SeqCst) > 0
    }

    /// Counts an operator socket until the guard is dropped.
    pub fn operator_connected(self: &Arc<Self>) -> OperatorPresence {
        if self.operators.fetch_add(1, Ordering::SeqCst) == 0 {
            self.publish(Event::Presence {
                operators_online: true,
            });
        }
        OperatorPresence(Arc::clone(self))
    }
}

#[derive(Debug)]
pub struct OperatorPresence(Arc<Hub>);

impl Drop for OperatorPresence {
    fn drop(&mut self) {
        if self.0.operators.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.publish(Event::Presence {
                operators_online: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_flips_on_first_operator_and_after_the_last_leaves() {
        let hub = Arc::new(Hub::new());
        let mut rx = hub.subscribe();
        assert!(!hub.operators_online());
        let a = hub.operator_connected();
        let b = hub.operator_connected();
        assert!(hub.operators_online());
        drop(a);
        assert!(hub.operators_online());
        drop(b);
        assert!(!hub.operators_online());
        let mut flips = vec![];
        while let Ok(e) = rx.try_recv() {
            if let Event::Presence { operators_online } = *e {
                flips.push(operators_online);
            }
        }
        assert_eq!(flips, vec![true, false]);
    }
}
