//! The server's integration tests: one binary, each test on a fresh SQLite file.

mod admission;
mod alias;
mod audit;
mod channels;
mod cli;
mod consent;
mod delivery;
mod details;
mod fuzz;
mod helpers;
mod history;
mod http;
mod limits;
mod logs;
mod operator;
mod process;
mod reach;
mod requests;
mod retention;
mod routers;
mod sealing;
mod security;
mod sessions;
mod sockets;
mod store;
mod visitor;
