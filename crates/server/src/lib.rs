//! The Confide server: serves the loader, the widget's iframe document, the console and the
//! chat API, and keeps conversations in SQLite (embedded) through sqlx.
//!
//! `docs/architecture.md` maps the modules; in short: [`app`] (state and `serve`), [`http`]
//! (the edge, by audience), [`ws`] (the two sockets over one session loop), [`chat`]
//! (admission and publishing), [`hub`] (fan-out by topic), [`store`] (SQLite).

pub mod app;
pub mod assets;
pub mod auth;
pub mod chat;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod consent;
pub mod crypto;
pub mod error;
pub mod files;
pub mod geo;
pub mod http;
pub mod hub;
pub mod jobs;
pub mod keystore;
pub mod limits;
pub mod second_factor;
pub mod store;
pub mod telemetry;
pub mod ua;
pub mod ws;

pub use app::{serve, AppState};
pub use config::Config;
