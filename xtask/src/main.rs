//! `cargo xtask setup | build | run | test | bench | zones`: everything a fresh machine needs, in one place.

mod bench;
mod i18n;
mod setup;
mod tasks;
mod util;
mod zones;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup   install what the build and the tests need (idempotent)
  build   release builds of the widget, the router page and the console into dist/
  run     setup, build, then serve the demo on http://127.0.0.1:8080
  test    setup, then fmt, clippy, native tests, wasm tests in Chromium, the release build,
          byte budgets, end-to-end tests
  bench   setup, build, then measure sizes, the widget in Chromium and the server under load;
          writes bench/report.md and bench/report.json (bench --help: its options)
  zones   regenerate the router's time zone table from tzdata [DIR, default /usr/share/zoneinfo]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run().map(|_| ()),
        Some("build") => setup::ensure().and_then(|env| tasks::build(&env)),
        Some("run") => setup::ensure().and_then(|env| tasks::run(&env, &args[1..])),
        Some("test") => setup::ensure().and_then(|env| tasks::test(&env)),
        Some("bench") if args[1..].iter().any(|a| a == "-h" || a == "--help") => bench::run_help(),
        Some("bench") => setup::ensure().and_then(|env| bench::run(&env, &args[1..])),
        Some("zones") => zones::run(&args[1..]),
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
