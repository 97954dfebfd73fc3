//! `cargo xtask setup | build | run | test`: everything a fresh machine needs, in one place.

mod setup;
mod tasks;
mod util;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup   install what the build and the tests need (idempotent)
  build   release builds of the widget and the console into dist/
  run     setup, build, then serve the demo on http://127.0.0.1:8080
  test    setup, then fmt, clippy, native tests, wasm tests in Chromium, end-to-end tests";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run().map(|_| ()),
        Some("build") => setup::ensure().and_then(|env| tasks::build(&env)),
        Some("run") => setup::ensure().and_then(|env| tasks::run(&env, &args[1..])),
        Some("test") => setup::ensure().and_then(|env| tasks::test(&env)),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
        None => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
