//! The server's integration tests: one binary, each test on a fresh SQLite file.

mod cli;
mod helpers;
mod http;
mod operator;
mod sockets;
mod visitor;
