//! The server's integration tests: one binary, each test on a fresh SQLite file, or with
//! `CONFIDE_TEST_BACKEND=postgres` on a fresh PostgreSQL database (the conformance run; see
//! `SQLITE_ONLY` for the tests about the SQLite file itself).

mod access;
mod accounts;
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
mod nodes;
mod operator;
mod permissions;
mod postgres;
mod process;
mod reach;
mod requests;
mod retention;
mod roles;
mod routers;
mod sealing;
mod security;
mod sessions;
mod sockets;
mod store;
mod visitor;
