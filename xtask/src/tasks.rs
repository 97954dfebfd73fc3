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

/// One Trunk bundle and what decides its bytes.
struct Bundle {
    /// Its folder under dist/.
    name: &'static str,
    /// The folder Trunk runs in, relative to the root, and its config there.
    dir: &'static str,
    config: &'static str,
    /// Files and folders (relative to the root) whose contents go into it.
    inputs: &'static [&'static str],
    release_std: bool,
}

/// Shared by every bundle: the workspace manifests, the toolchain settings, the protocol.
const COMMON_INPUTS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    ".cargo",
    "crates/protocol",
    "bench/minify.mjs",
];

const BUNDLES: &[Bundle] = &[
    Bundle {
        name: "widget",
        dir: ".",
        config: "Trunk.toml",
        inputs: &[
            "Trunk.toml",
            "src",
            "static",
            "www/index.html",
            "xtask/src/i18n.rs",
        ],
        release_std: true,
    },
    Bundle {
        name: "router",
        dir: ".",
        config: "Trunk.router.toml",
        inputs: &["Trunk.router.toml", "src", "static", "www/router.html"],
        release_std: true,
    },
    Bundle {
        name: "console",
        dir: "crates/console",
        config: "Trunk.toml",
        inputs: &["crates/console"],
        release_std: false,
    },
];

/// Every file under `path` (or `path` itself), sorted, as paths relative to the root.
fn files_under(path: &std::path::Path, out: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            let mut children: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            children.sort();
            for child in children {
                files_under(&child, out);
            }
        }
        Err(_) if path.is_file() => out.push(path.to_path_buf()),
        Err(_) => {}
    }
}

/// A hash of everything that decides a bundle: its inputs' paths and contents, and the
/// build variables. Not cryptographic: it only tells "unchanged" from "changed".
fn fingerprint(bundle: &Bundle, vars: &[(&str, &str)]) -> String {
    use std::hash::{Hash, Hasher};
    let mut files = Vec::new();
    for input in COMMON_INPUTS.iter().chain(bundle.inputs) {
        files_under(&root().join(input), &mut files);
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    vars.hash(&mut h);
    for f in &files {
        f.strip_prefix(root()).unwrap_or(f).hash(&mut h);
        std::fs::read(f).unwrap_or_default().hash(&mut h);
    }
    format!("{:016x} over {} files", h.finish(), files.len())
}

/// Release builds of the widget, the router page and the console (wasm-opt -Oz) into dist/,
/// each skipped when nothing it is built from changed since it was last built; then the
/// JavaScript glue is minified (bench/minify.mjs) and every file gets a brotli and a gzip copy
/// beside it, which the server sends by Accept-Encoding.
pub fn build(env: &Env) -> Result<(), String> {
    let started = Instant::now();
    let dist = root().join("dist");
    let mut built = Vec::new();
    for bundle in BUNDLES {
        let vars = if bundle.release_std {
            env.release_wasm_vars()
        } else {
            env.wasm_vars()
        };
        let stamp = dist.join(format!(".built-{}", bundle.name));
        let now = fingerprint(bundle, &vars);
        let present = dist.join(bundle.name).join("index.html").is_file();
        if present && std::fs::read_to_string(&stamp).ok().as_deref() == Some(now.as_str()) {
            println!("build: dist/{} is up to date", bundle.name);
            continue;
        }
        let _ = std::fs::remove_file(&stamp);
        trunk_build(vars, root().join(bundle.dir), bundle.config)?;
        if bundle.name == "widget" {
            // Trunk copied static/i18n as written; the widget reads the values by position.
            let languages = crate::i18n::compact_dir(&dist.join("widget/i18n"))?;
            println!("build: {languages} language files in dist/widget/i18n, values only");
        }
        util::run(
            Command::new("node")
                .arg(root().join("bench/minify.mjs"))
                .arg(dist.join(bundle.name))
                .current_dir(root()),
        )?;
        util::run(
            Command::new("node")
                .arg(root().join("bench/compress.mjs"))
                .arg(dist.join(bundle.name))
                .current_dir(root()),
        )?;
        std::fs::write(&stamp, &now).map_err(|e| format!("{}: {e}", stamp.display()))?;
        built.push(bundle.name);
    }
    println!(
        "build: {} in {:.1} s",
        if built.is_empty() {
            "nothing to rebuild".to_owned()
        } else {
            format!("built dist/{}", built.join(", dist/"))
        },
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

/// The server's API suite again, on PostgreSQL (each test its own database on a private
/// cluster the test process starts): the conformance run of the store's two backends. The
/// tests about the SQLite file itself are listed, with why, in `SQLITE_ONLY`.
fn postgres_conformance() -> Result<(), String> {
    let list = util::root().join("crates/server/tests/api/SQLITE_ONLY");
    let text = std::fs::read_to_string(&list)
        .map_err(|e| format!("cannot read {}: {e}", list.display()))?;
    let mut cmd = cargo();
    cmd.args(["test", "-p", "confide-server", "--test", "api", "--"])
        .env("CONFIDE_TEST_BACKEND", "postgres");
    for name in text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
    {
        cmd.args(["--skip", name]);
    }
    util::run(&mut cmd)
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
            name: "server tests on PostgreSQL",
            run: Box::new(postgres_conformance),
            needs: &["native tests"],
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
            .env("E2E_CHROMIUM", "/usr/bin/chromium")
            .env("E2E_FAKETIME_LIB", crate::setup::FAKETIME_LIB),
    )
}
