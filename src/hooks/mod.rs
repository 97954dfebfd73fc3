//! The widget's hooks, one per file.

pub mod use_chat_socket;
pub mod use_host_bridge;
pub mod use_widget_config;

pub use use_chat_socket::{use_chat_socket, ChatSocket};
pub use use_host_bridge::{use_host_bridge, HostBridge, PageSlot};
pub use use_widget_config::use_widget_config;
