//! `build`, `run` and `test`.

use crate::setup::Env;
use crate::util::{self, root, tool_path, tools_dir};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// A cargo command for wasm32, with the toolchain variables and the project tools on PATH.
fn wasm_cargo(env: &Env) -> Command {
    // The rustup proxy `cargo`, not $CARGO, so RUSTUP_TOOLCHAIN can pick the Debian toolchain.
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root())
        .env("PATH", tool_path())
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .envs(env.wasm_vars());
    cmd
}

fn trunk_build(vars: Vec<(&str, &str)>, dir: PathBuf, config: &str) -> Result<(), String> {
    let mut cmd = Command::new(tools_dir().join("bin/trunk"));
    cmd.args(["build", "--release", "--offline", "--config", config])
        .current_dir(dir)
        .env("PATH", tool_path())
        .env_remove("CARGO")
        .env_remove("RUSTC")
        // Either would replace the target rustflags that release_wasm_vars sets.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .envs(vars);
    util::run(&mut cmd)
}

/// Release builds of the widget, the router page and the console (wasm-opt -Oz) into dist/.
pub fn build(env: &Env) -> Result<(), String> {
    let started = Instant::now();
    trunk_build(env.release_wasm_vars(), root(), "Trunk.toml")?;
    // Trunk copied static/i18n as written; the widget reads the values by position.
    let languages = crate::i18n::compact_dir(&root().join("dist/widget/i18n"))?;
    println!("build: {languages} language files in dist/widget/i18n, values only");
    trunk_build(env.release_wasm_vars(), root(), "Trunk.router.toml")?;
    trunk_build(env.wasm_vars(), root().join("crates/console"), "Trunk.toml")?;
    println!(
        "build: dist/widget, dist/router and dist/console built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn server_bin() -> PathBuf {
    target_dir().join("debug/confide")
}

fn build_server() -> Result<(), String> {
    util::run(cargo().args(["build", "--package", "confide-server", "--bin", "confide"]))
}

/// Builds everything, then serves the demo with an embedded SQLite file under ./data/.
pub fn run(env: &Env, extra: &[String]) -> Result<(), String> {
    build(env)?;
    build_server()?;
    println!(
        "run: starting `confide serve --demo` (database: ./data/confide.db). Stop with Ctrl-C."
    );
    let mut cmd = Command::new(server_bin());
    cmd.args(["serve", "--demo"])
        .args(extra)
        .current_dir(root());
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", server_bin().display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("confide exited with {status}"))
    }
}

struct Suite {
    name: &'static str,
    run: Box<dyn Fn() -> Result<(), String>>,
    /// Suites this one needs; skipped (and failed) when one of them failed.
    needs: &'static [&'static str],
}

/// Every check CI makes, in order. Runs all suites and fails at the end if any failed.
pub fn test(env: &Env) -> Result<(), String> {
    // A whole-suite run builds every crate once per profile and target: incremental caches
    // would only double the disk it needs (several GB on a fresh clone). Unless asked for.
    if std::env::var_os("CARGO_INCREMENTAL").is_none() {
        std::env::set_var("CARGO_INCREMENTAL", "0");
    }
    let wasm_env = env.clone();
    let wasm_env2 = env.clone();
    let build_env = env.clone();
    let chromedriver = env.chromedriver.clone();
    let suites: Vec<Suite> = vec![
        Suite {
            name: "fmt",
            run: Box::new(|| util::run(cargo().args(["fmt", "--all", "--", "--check"]))),
            needs: &[],
        },
        Suite {
            name: "clippy",
            run: Box::new(|| {
                util::run(cargo().args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ]))
            }),
            needs: &[],
        },
        Suite {
            name: "clippy-wasm",
            run: Box::new(move || lint_wasm(&wasm_env)),
            needs: &[],
        },
        Suite {
            name: "native tests",
            run: Box::new(|| util::run(cargo().args(["test", "--workspace"]))),
            needs: &[],
        },
        Suite {
            name: "wasm tests in Chromium",
            run: Box::new(move || {
                util::run(
                    wasm_cargo(&wasm_env2)
                        .args([
                            "test",
                            "--package",
                            "confide-widget",
                            "--package",
                            "confide-console",
                            "--tests",
                            "--target",
                            "wasm32-unknown-unknown",
                        ])
                        .env(
                            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                            tools_dir().join("bin/wasm-bindgen-test-runner"),
                        )
                        .env("CHROMEDRIVER", &chromedriver)
                        .env("WASM_BINDGEN_TEST_TIMEOUT", "60"),
                )
            }),
            needs: &[],
        },
        Suite {
            name: "release build",
            run: Box::new(move || build(&build_env).and_then(|_| build_server())),
            needs: &[],
        },
        Suite {
            name: "budgets",
            run: Box::new(crate::bench::check_budgets),
            needs: &["release build"],
        },
        Suite {
            name: "end-to-end in Chromium",
            run: Box::new(e2e),
            needs: &["release build"],
        },
    ];

    let mut results: Vec<(&str, Result<f64, String>)> = Vec::new();
    for suite in &suites {
        println!("\n=== xtask test: {} ===", suite.name);
        let blocked = suite
            .needs
            .iter()
            .find(|need| results.iter().any(|(name, r)| name == *need && r.is_err()));
        let started = Instant::now();
        let result = match blocked {
            Some(need) => Err(format!("skipped: {need} failed")),
            None => (suite.run)(),
        };
        let secs = started.elapsed().as_secs_f64();
        match &result {
            Ok(()) => println!("xtask test: {}: ok ({secs:.1} s)", suite.name),
            Err(e) => println!("xtask test: {}: FAILED ({secs:.1} s): {e}", suite.name),
        }
        results.push((suite.name, result.map(|_| secs)));
    }

    println!("\n=== xtask test: summary ===");
    for (name, r) in &results {
        match r {
            Ok(secs) => println!("  ok      {name} ({secs:.1} s)"),
            Err(e) => println!("  FAILED  {name}: {e}"),
        }
    }
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    println!("suites: {} passed, {failed} failed", results.len() - failed);
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} suite(s) failed"))
    }
}

/// Lints the code that only compiles for wasm32. Debian's rustc-web has no clippy, so on
/// that toolchain each crate is checked with `-D warnings` passed to rustc for that crate
/// alone (RUSTFLAGS would also reach the std that build-std compiles).
fn lint_wasm(env: &Env) -> Result<(), String> {
    match env.wasm {
        crate::setup::WasmToolchain::Rustup => util::run(wasm_cargo(env).args([
            "clippy",
            "--package",
            "confide-widget",
            "--package",
            "confide-console",
            "--all-targets",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ])),
        crate::setup::WasmToolchain::Debian => {
            println!(
                "clippy-wasm: no clippy in Debian's rustc-web; checking with rustc -D warnings"
            );
            for package in ["confide-widget", "confide-console"] {
                for target in ["--lib", "--bins"] {
                    util::run(wasm_cargo(env).args([
                        "rustc",
                        "--package",
                        package,
                        target,
                        "--profile",
                        "check",
                        "--target",
                        "wasm32-unknown-unknown",
                        "--",
                        "-D",
                        "warnings",
                    ]))?;
                }
            }
            Ok(())
        }
    }
}

/// The end-to-end tests: node's test runner driving /usr/bin/chromium through playwright-core,
/// against the real `confide` binary and the release bundles in dist/.
fn e2e() -> Result<(), String> {
    let dir = root().join("tests/e2e");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err("no end-to-end tests found in tests/e2e".into());
    }
    util::run(
        Command::new("node")
            .arg("--test")
            .arg("--test-concurrency=1")
            .args(&files)
            .current_dir(root())
            .env("E2E_SERVER_BIN", server_bin())
            .env("E2E_ASSETS_DIR", root().join("dist"))
            .env("E2E_CHROMIUM", "/usr/bin/chromium"),
    )
}
