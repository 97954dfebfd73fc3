//! `cargo xtask setup`: installs what the build and the tests need, idempotently.
//!
//! Each step first checks for what it needs at the right version and skips when present, so a
//! second run installs nothing. The wasm target comes from rustup when rustup's download server
//! answers within a short timeout; otherwise from Debian's `rustc-web` packages (a compiler whose
//! standard library is built for wasm32 from source), as ../shared/TOOLCHAIN.md describes.

use crate::util::{self, is_root, output, root, tools_dir, which};
use std::process::Command;
use std::time::Instant;

/// binaryen's npm package version; Trunk.toml names it as `version_132`.
const BINARYEN: &str = "132";
/// terser's npm version, for the JavaScript glue of the bundles (bench/minify.mjs).
const TERSER: &str = "5.51.4";
/// Trunk 0.22 needs a newer rustc than the Debian fallback has.
const TRUNK_REQ: &str = "~0.21";
const TRUNK_PREFIX: &str = "trunk 0.21.";
const RUSTUP_TIMEOUT_SECS: &str = "45";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DEBIAN_WASM_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld-22"];
const DEBIAN_TOOLCHAIN: &str = "debweb";

/// How wasm32 code is compiled on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmToolchain {
    /// rustup's prebuilt wasm32 standard library for the default toolchain.
    Rustup,
    /// Debian's rustc-web linked as the rustup toolchain `debweb`, building std from source.
    Debian,
}

/// What later tasks need to know about the machine after setup.
#[derive(Debug, Clone)]
pub struct Env {
    pub wasm: WasmToolchain,
    pub chromedriver: String,
}

impl Env {
    /// Variables for every command that compiles for wasm32 (and only those).
    pub fn wasm_vars(&self) -> Vec<(&'static str, &'static str)> {
        match self.wasm {
            WasmToolchain::Rustup => vec![],
            WasmToolchain::Debian => vec![
                ("RUSTUP_TOOLCHAIN", DEBIAN_TOOLCHAIN),
                ("RUSTC_BOOTSTRAP", "1"),
                ("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort"),
            ],
        }
    }

    /// Added to [`Env::wasm_vars`] for the widget's release bundle only: std rebuilt from
    /// source with `panic=immediate-abort` (no panic messages or locations, no formatting
    /// machinery for them) and its size-optimised algorithms. 22 KB gzip less than a plain
    /// `panic = "abort"` build. Tests and lints keep normal panics, which they need to report
    /// failures. Needs the std source (rust-src, or Debian's rust-web-src) and its crates
    /// fetched by [`std_crates`].
    pub fn release_wasm_vars(&self) -> Vec<(&'static str, &'static str)> {
        let mut vars = self.wasm_vars();
        vars.extend(BUILD_STD_VARS);
        vars.extend([
            ("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size"),
            (
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
                "-Zunstable-options -Cpanic=immediate-abort",
            ),
        ]);
        vars
    }
}

/// What cargo needs to build std from source on a stable toolchain.
const BUILD_STD_VARS: [(&str, &str); 2] = [
    ("RUSTC_BOOTSTRAP", "1"),
    ("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort"),
];

enum Outcome {
    Skipped(String),
    Installed(String),
}

struct Report {
    lines: Vec<(String, Outcome)>,
    apt_updated: bool,
}

impl Report {
    fn add(&mut self, what: &str, outcome: Outcome) {
        match &outcome {
            Outcome::Skipped(v) => println!("setup: {what}: present ({v}), skipped"),
            Outcome::Installed(v) => println!("setup: {what}: installed ({v})"),
        }
        self.lines.push((what.to_owned(), outcome));
    }

    fn apt_install(&mut self, packages: &[&str]) -> Result<(), String> {
        if !is_root() {
            return Err(format!(
                "these Debian packages are needed: {}. Install them with\n  sudo apt-get install -y {}\nand run `cargo xtask setup` again",
                packages.join(", "),
                packages.join(" ")
            ));
        }
        if !self.apt_updated {
            util::run(
                Command::new("apt-get")
                    .args(["update", "-qq"])
                    .env("DEBIAN_FRONTEND", "noninteractive"),
            )?;
            self.apt_updated = true;
        }
        util::run(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .args(packages)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    }
}

/// Runs every step and prints what was installed and what was skipped.
pub fn run() -> Result<Env, String> {
    let started = Instant::now();
    let mut report = Report {
        lines: vec![],
        apt_updated: false,
    };
    openssl_dev(&mut report)?;
    let wasm = wasm_target(&mut report)?;
    std_source(&mut report, wasm)?;
    wasm_bindgen_cli(&mut report)?;
    trunk(&mut report)?;
    npm_tools(&mut report)?;
    node(&mut report)?;
    chromium(&mut report)?;
    sqlite_cli(&mut report)?;
    faketime(&mut report)?;
    postgresql(&mut report)?;
    e2e_packages(&mut report)?;
    geoip_test_database(&mut report)?;
    let installed = report
        .lines
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Installed(_)))
        .count();
    println!(
        "setup: done in {:.1} s: {installed} installed, {} already present",
        started.elapsed().as_secs_f64(),
        report.lines.len() - installed
    );
    Ok(Env {
        wasm,
        chromedriver: CHROMEDRIVER.to_owned(),
    })
}

/// Setup for the other tasks: the same steps (each a quick check when nothing is missing).
pub fn ensure() -> Result<Env, String> {
    run()
}

fn wasm_target(report: &mut Report) -> Result<WasmToolchain, String> {
    let force_debian = std::env::var_os("XTASK_WASM_FALLBACK").is_some();
    let debian_linked = || {
        output("rustup", &["toolchain", "list"])
            .is_some_and(|s| s.lines().any(|l| l.starts_with(DEBIAN_TOOLCHAIN)))
            && output("rustup", &["run", DEBIAN_TOOLCHAIN, "rustc", "--version"]).is_some()
            && std::path::Path::new("/usr/lib/rustlib/src/rust/library").is_dir()
    };
    if !force_debian {
        let installed = output("rustup", &["target", "list", "--installed"])
            .is_some_and(|s| s.lines().any(|l| l.trim() == "wasm32-unknown-unknown"));
        if installed {
            report.add(
                "wasm32 target",
                Outcome::Skipped("rustup wasm32-unknown-unknown".into()),
            );
            return Ok(WasmToolchain::Rustup);
        }
    }
    if debian_linked() {
        report.add(
            "wasm32 target",
            Outcome::Skipped(format!(
                "Debian rustc-web as toolchain `{DEBIAN_TOOLCHAIN}`"
            )),
        );
        return Ok(WasmToolchain::Debian);
    }
    if !force_debian {
        println!("setup: wasm32 target: trying rustup (at most {RUSTUP_TIMEOUT_SECS} s)");
        let ok = Command::new("timeout")
            .args([
                RUSTUP_TIMEOUT_SECS,
                "rustup",
                "target",
                "add",
                "wasm32-unknown-unknown",
            ])
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            report.add(
                "wasm32 target",
                Outcome::Installed("rustup wasm32-unknown-unknown".into()),
            );
            return Ok(WasmToolchain::Rustup);
        }
        println!("setup: wasm32 target: rustup did not deliver it; using Debian's rustc-web");
    }
    report.apt_install(DEBIAN_WASM_PACKAGES)?;
    util::run(Command::new("rustup").args(["toolchain", "link", DEBIAN_TOOLCHAIN, "/usr"]))?;
    if !debian_linked() {
        return Err("Debian's rustc-web was installed but `rustup run debweb rustc` fails".into());
    }
    report.add(
        "wasm32 target",
        Outcome::Installed(format!(
            "Debian {} as toolchain `{DEBIAN_TOOLCHAIN}`",
            DEBIAN_WASM_PACKAGES.join(" ")
        )),
    );
    Ok(WasmToolchain::Debian)
}

/// The standard library's source, which the release bundles build std from: rustup's rust-src
/// component (Debian's rust-web-src already has it), and the crates std depends on, fetched now
/// because the builds run with --offline.
fn std_source(report: &mut Report, wasm: WasmToolchain) -> Result<(), String> {
    if wasm == WasmToolchain::Rustup {
        let has_src = output("rustc", &["--print", "sysroot"]).is_some_and(|root| {
            std::path::Path::new(root.trim())
                .join("lib/rustlib/src/rust/library/std")
                .is_dir()
        });
        if has_src {
            report.add("std source", Outcome::Skipped("rustup rust-src".into()));
        } else {
            util::run(Command::new("timeout").args([
                RUSTUP_TIMEOUT_SECS,
                "rustup",
                "component",
                "add",
                "rust-src",
            ]))?;
            report.add("std source", Outcome::Installed("rustup rust-src".into()));
        }
    }
    // Host crates (build scripts, proc macros) and the wasm32-only ones (std's dlmalloc) are
    // fetched separately: neither fetch alone gets both.
    let env = Env {
        wasm,
        chromedriver: String::new(),
    };
    for target in [None, Some("wasm32-unknown-unknown")] {
        let mut cmd = Command::new("cargo");
        cmd.arg("fetch")
            .current_dir(root())
            .env_remove("CARGO")
            .env_remove("RUSTC")
            .envs(env.release_wasm_vars());
        if let Some(t) = target {
            cmd.args(["--target", t]);
        }
        util::run(&mut cmd)?;
    }
    Ok(())
}

/// The exact version in `wasm-bindgen = "=X.Y.Z"` of the workspace Cargo.toml.
pub fn pinned_wasm_bindgen(cargo_toml: &str) -> Option<String> {
    cargo_toml.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("wasm-bindgen")?.trim_start();
        let rest = rest.strip_prefix('=')?.trim_start();
        let v = rest.strip_prefix("\"=")?;
        Some(v[..v.find('"')?].to_owned())
    })
}

fn wasm_bindgen_version() -> Result<String, String> {
    let path = root().join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    pinned_wasm_bindgen(&text)
        .ok_or_else(|| "Cargo.toml must pin wasm-bindgen with \"=X.Y.Z\"".to_owned())
}

fn cargo_install(krate: &str, version: &str, locked: bool) -> Result<(), String> {
    let mut cmd = Command::new("cargo");
    cmd.args(["install", krate, "--version", version, "--root"])
        .arg(tools_dir())
        .env_remove("CARGO_TARGET_DIR");
    if locked {
        cmd.arg("--locked");
    }
    util::run(&mut cmd)
}

fn wasm_bindgen_cli(report: &mut Report) -> Result<(), String> {
    let want = wasm_bindgen_version()?;
    let bin = tools_dir().join("bin");
    let have = output(
        &bin.join("wasm-bindgen").display().to_string(),
        &["--version"],
    );
    let runner = bin.join("wasm-bindgen-test-runner").is_file();
    if runner
        && have
            .as_deref()
            .is_some_and(|s| s.trim() == format!("wasm-bindgen {want}"))
    {
        report.add("wasm-bindgen CLI", Outcome::Skipped(want));
        return Ok(());
    }
    // Without --locked: a locked dependency of this CLI version is missing from the registry.
    cargo_install("wasm-bindgen-cli", &want, false)?;
    report.add("wasm-bindgen CLI", Outcome::Installed(want));
    Ok(())
}

fn trunk(report: &mut Report) -> Result<(), String> {
    let bin = tools_dir().join("bin/trunk");
    if let Some(v) = output(&bin.display().to_string(), &["--version"]) {
        if v.trim().starts_with(TRUNK_PREFIX) {
            report.add("trunk", Outcome::Skipped(v.trim().to_owned()));
            return Ok(());
        }
    }
    cargo_install("trunk", TRUNK_REQ, true)?;
    let v = output(&bin.display().to_string(), &["--version"]).unwrap_or_default();
    report.add("trunk", Outcome::Installed(v.trim().to_owned()));
    Ok(())
}

/// wasm-opt (binaryen's npm package) and terser, which minifies wasm-bindgen's JavaScript
/// glue (Trunk's own minifier fails on it and leaves it as written): both npm packages in
/// .tools/, installed in one command so that neither install prunes the other.
fn npm_tools(report: &mut Report) -> Result<(), String> {
    let bin = tools_dir().join("node_modules/.bin/wasm-opt");
    let wasm_opt_ok = |v: &str| v.contains(&format!("version {BINARYEN}"));
    let terser_version = || {
        std::fs::read_to_string(tools_dir().join("node_modules/terser/package.json"))
            .is_ok_and(|t| t.contains(&format!("\"version\": \"{TERSER}\"")))
    };
    let have = output(&bin.display().to_string(), &["--version"]).unwrap_or_default();
    if wasm_opt_ok(&have) && terser_version() {
        report.add("wasm-opt", Outcome::Skipped(have.trim().to_owned()));
        report.add("terser", Outcome::Skipped(TERSER.to_owned()));
        return Ok(());
    }
    require_npm()?;
    util::run(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
            ])
            .arg(tools_dir())
            .arg(format!("binaryen@{BINARYEN}"))
            .arg(format!("terser@{TERSER}")),
    )?;
    let v = output(&bin.display().to_string(), &["--version"]).unwrap_or_default();
    if !wasm_opt_ok(&v) {
        return Err(format!("wasm-opt {BINARYEN} did not install: {v}"));
    }
    if !terser_version() {
        return Err(format!("terser {TERSER} did not install"));
    }
    report.add("wasm-opt", Outcome::Installed(v.trim().to_owned()));
    report.add("terser", Outcome::Installed(TERSER.to_owned()));
    Ok(())
}

fn require_npm() -> Result<(), String> {
    which("npm")
        .map(|_| ())
        .ok_or_else(|| "npm is missing; run `cargo xtask setup` as root to install it".into())
}

fn node(report: &mut Report) -> Result<(), String> {
    let major = |v: &str| {
        v.trim()
            .trim_start_matches('v')
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok())
    };
    if let (Some(v), true) = (output("node", &["--version"]), which("npm").is_some()) {
        if major(&v).is_some_and(|m| m >= 18) {
            report.add("node and npm", Outcome::Skipped(v.trim().to_owned()));
            return Ok(());
        }
    }
    report.apt_install(&["nodejs", "npm"])?;
    let v = output("node", &["--version"]).unwrap_or_default();
    report.add("node and npm", Outcome::Installed(v.trim().to_owned()));
    Ok(())
}

fn chromium(report: &mut Report) -> Result<(), String> {
    let version = || output(CHROMIUM, &["--version"]).zip(output(CHROMEDRIVER, &["--version"]));
    if let Some((c, _)) = version() {
        report.add(
            "chromium and chromedriver",
            Outcome::Skipped(first_line(&c)),
        );
        return Ok(());
    }
    report.apt_install(&["chromium", "chromium-driver"])?;
    let (c, _) = version().ok_or("chromium installed but does not start")?;
    report.add(
        "chromium and chromedriver",
        Outcome::Installed(first_line(&c)),
    );
    Ok(())
}

/// The `sqlite3` shell: end-to-end tests read a sealed row's bytes with it, to search the
/// database files for exactly those bytes after an erasure.
/// OpenSSL's headers and pkg-config: the server's passkeys (webauthn-rs) verify signatures
/// with OpenSSL, and openssl-sys finds it through pkg-config when the server is compiled.
fn openssl_dev(report: &mut Report) -> Result<(), String> {
    let version = || output("pkg-config", &["--modversion", "openssl"]);
    if let Some(v) = version() {
        report.add("OpenSSL headers", Outcome::Skipped(first_line(&v)));
        return Ok(());
    }
    report.apt_install(&["libssl-dev", "pkg-config"])?;
    let v = version().ok_or("libssl-dev installed but pkg-config does not find openssl")?;
    report.add("OpenSSL headers", Outcome::Installed(first_line(&v)));
    Ok(())
}

fn sqlite_cli(report: &mut Report) -> Result<(), String> {
    if let Some(v) = output("sqlite3", &["--version"]) {
        report.add("sqlite3", Outcome::Skipped(first_line(&v)));
        return Ok(());
    }
    report.apt_install(&["sqlite3"])?;
    let v = output("sqlite3", &["--version"]).ok_or("sqlite3 installed but does not start")?;
    report.add("sqlite3", Outcome::Installed(first_line(&v)));
    Ok(())
}

/// Where Debian's `faketime` package puts its preload library.
pub const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// libfaketime: the end-to-end test of operators' data requests restarts the real server on
/// the same database "days later", with its clock moved forward by `FAKETIME`.
fn faketime(report: &mut Report) -> Result<(), String> {
    if std::path::Path::new(FAKETIME_LIB).exists() {
        report.add("libfaketime", Outcome::Skipped(FAKETIME_LIB.to_owned()));
        return Ok(());
    }
    report.apt_install(&["faketime"])?;
    if !std::path::Path::new(FAKETIME_LIB).exists() {
        return Err(format!("faketime installed but {FAKETIME_LIB} is missing"));
    }
    report.add("libfaketime", Outcome::Installed(FAKETIME_LIB.to_owned()));
    Ok(())
}

/// The newest PostgreSQL server's programs Debian installed (`/usr/lib/postgresql/<major>/bin`),
/// if any. The tests start a private cluster of their own with them (initdb in a temporary
/// folder, a free port on 127.0.0.1); no system service is used.
pub fn postgresql_bin() -> Option<std::path::PathBuf> {
    let mut found: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// The PostgreSQL server (Debian's `postgresql`): the store's second backend is tested on a
/// private cluster the tests start and stop.
fn postgresql(report: &mut Report) -> Result<(), String> {
    let version = |bin: &std::path::Path| {
        output(&bin.join("postgres").display().to_string(), &["--version"])
            .map(|v| first_line(&v))
            .unwrap_or_default()
    };
    if let Some(bin) = postgresql_bin() {
        report.add("PostgreSQL", Outcome::Skipped(version(&bin)));
        return Ok(());
    }
    report.apt_install(&["postgresql"])?;
    let bin =
        postgresql_bin().ok_or("postgresql installed but no /usr/lib/postgresql/*/bin/initdb")?;
    report.add("PostgreSQL", Outcome::Installed(version(&bin)));
    Ok(())
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().trim().to_owned()
}

/// The end-to-end tests' npm packages (playwright-core, driving /usr/bin/chromium, and
/// @axe-core/playwright with axe-core for the accessibility checks): installed with `npm ci`
/// unless node_modules already holds every package of the lock file at its locked version.
fn e2e_packages(report: &mut Report) -> Result<(), String> {
    let dir = root().join("tests/e2e");
    let lock = std::fs::read_to_string(dir.join("package-lock.json"))
        .map_err(|e| format!("tests/e2e/package-lock.json: {e}"))?;
    let stamp = dir.join("node_modules/.package-lock.json");
    let installed = std::fs::read_to_string(&stamp).unwrap_or_default();
    // npm writes node_modules/.package-lock.json from the lock file: the same packages at
    // the same versions when nothing needs installing.
    let want = lock_versions(&lock);
    let summary = want
        .iter()
        .map(|(name, version)| format!("{name} {version}"))
        .collect::<Vec<_>>()
        .join(", ");
    if !want.is_empty() && want == lock_versions(&installed) {
        report.add("end-to-end npm packages", Outcome::Skipped(summary));
        return Ok(());
    }
    require_npm()?;
    util::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir),
    )?;
    report.add("end-to-end npm packages", Outcome::Installed(summary));
    Ok(())
}

/// Every `"node_modules/NAME": {"version": "..."}` entry of an npm lock file, as (name,
/// version), sorted (a plain text scan, no JSON parser).
fn lock_versions(lock: &str) -> Vec<(String, String)> {
    const KEY: &str = "\"node_modules/";
    let mut out = Vec::new();
    let mut rest = lock;
    while let Some(at) = rest.find(KEY) {
        rest = &rest[at + KEY.len()..];
        let Some(end) = rest.find("\": {") else {
            break;
        };
        let name = rest[..end].to_owned();
        if let Some(version) = lock_version(rest, "") {
            out.push((name, version));
        }
    }
    out.sort();
    out
}

/// The first `"version"` at or after a package entry of an npm lock file (`package` empty:
/// from the start of `lock`).
fn lock_version(lock: &str, package: &str) -> Option<String> {
    let at = if package.is_empty() {
        0
    } else {
        lock.find(&format!("\"{package}\": {{"))?
    };
    let rest = &lock[at..];
    let v = rest.find("\"version\": \"")? + "\"version\": \"".len();
    let rest = &rest[v..];
    Some(rest[..rest.find('"')?].to_owned())
}

#[cfg(test)]
mod e2e_lock_tests {
    use super::*;

    #[test]
    fn every_locked_package_is_compared_not_just_the_first() {
        let lock = std::fs::read_to_string(root().join("tests/e2e/package-lock.json"))
            .expect("the lock file");
        let names: Vec<String> = lock_versions(&lock).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["@axe-core/playwright", "axe-core", "playwright-core"]
        );
        // An install that lacks one of them is not the lock's.
        let without_axe = lock.replace("\"node_modules/axe-core\"", "\"elsewhere/axe-core\"");
        assert_ne!(lock_versions(&without_axe), lock_versions(&lock));
        assert_eq!(
            lock_version(&lock, "node_modules/playwright-core").as_deref(),
            Some("1.64.1")
        );
    }
}

/// The `maxminddb` source package on PyPI that ships MaxMind's small test databases.
const MAXMINDDB_SDIST: &str = "maxminddb==3.2.0";
/// The test country database inside that source package.
const GEOIP_TEST_MEMBER: &str = "maxminddb-3.2.0/tests/data/test-data/GeoIP2-Country-Test.mmdb";
/// Where the server's GeoIP tests look for it, under .tools/.
const GEOIP_TEST_DB: &str = "geoip/GeoIP2-Country-Test.mmdb";

/// MaxMind's GeoIP2 country test database, for the server's GeoIP tests: taken from the
/// `maxminddb` source package on PyPI (`pip download`) rather than committed.
fn geoip_test_database(report: &mut Report) -> Result<(), String> {
    let target = tools_dir().join(GEOIP_TEST_DB);
    if target.is_file() {
        report.add(
            "GeoIP test database",
            Outcome::Skipped(format!(".tools/{GEOIP_TEST_DB}")),
        );
        return Ok(());
    }
    if output("python3", &["-m", "pip", "--version"]).is_none() {
        report.apt_install(&["python3-pip"])?;
    }
    let tmp = std::env::temp_dir().join(format!("confide-geoip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let result = (|| {
        util::run(
            Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    MAXMINDDB_SDIST,
                    "-d",
                ])
                .arg(&tmp),
        )?;
        let sdist = tmp.join("maxminddb-3.2.0.tar.gz");
        if !sdist.is_file() {
            return Err(format!(
                "pip download {MAXMINDDB_SDIST} did not leave {}",
                sdist.display()
            ));
        }
        util::run(
            Command::new("tar")
                .arg("-xzf")
                .arg(&sdist)
                .arg("-C")
                .arg(&tmp)
                .arg(GEOIP_TEST_MEMBER),
        )?;
        let dir = target.parent().unwrap_or(&target);
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // Copy to a temporary name first, so an interrupted run never leaves half a file.
        let partial = target.with_extension("mmdb.partial");
        std::fs::copy(tmp.join(GEOIP_TEST_MEMBER), &partial)
            .and_then(|_| std::fs::rename(&partial, &target))
            .map_err(|e| format!("cannot write {}: {e}", target.display()))
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result?;
    report.add(
        "GeoIP test database",
        Outcome::Installed(format!(".tools/{GEOIP_TEST_DB} from {MAXMINDDB_SDIST}")),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_exact_wasm_bindgen_pin() {
        let toml = "[workspace.dependencies]\nyew = \"0.23\"\nwasm-bindgen = \"=0.2.130\"\n";
        assert_eq!(pinned_wasm_bindgen(toml).as_deref(), Some("0.2.130"));
        assert_eq!(pinned_wasm_bindgen("wasm-bindgen = \"0.2\"\n"), None);
        assert_eq!(pinned_wasm_bindgen("wasm-bindgen-test = \"=0.3\"\n"), None);
    }

    #[test]
    fn trunk_configs_name_the_pinned_wasm_bindgen_and_binaryen() {
        let cargo = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
        let pin = pinned_wasm_bindgen(&cargo).expect("Cargo.toml pins wasm-bindgen with =");
        for trunk in [
            "Trunk.toml",
            "Trunk.router.toml",
            "crates/console/Trunk.toml",
        ] {
            let text = std::fs::read_to_string(root().join(trunk)).expect(trunk);
            assert!(
                text.contains(&format!("wasm_bindgen = \"{pin}\"")),
                "{trunk} must name wasm-bindgen {pin}"
            );
            assert!(
                text.contains(&format!("wasm_opt = \"version_{BINARYEN}\"")),
                "{trunk} must name wasm-opt version_{BINARYEN}"
            );
        }
    }

    #[test]
    fn the_lock_file_pins_the_wasm_bindgen_the_cli_matches() {
        let cargo = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
        let pin = pinned_wasm_bindgen(&cargo).expect("pin");
        let lock = std::fs::read_to_string(root().join("Cargo.lock")).expect("Cargo.lock");
        assert!(
            lock.contains(&format!("name = \"wasm-bindgen\"\nversion = \"{pin}\"")),
            "Cargo.lock must resolve wasm-bindgen to {pin}"
        );
    }

    #[test]
    fn finds_a_package_version_in_an_npm_lock_file() {
        let lock = r#"{ "packages": { "": {}, "node_modules/playwright-core": {
              "version": "1.56.1", "resolved": "x" } } }"#;
        assert_eq!(
            lock_version(lock, "node_modules/playwright-core").as_deref(),
            Some("1.56.1")
        );
        assert_eq!(lock_version(lock, "node_modules/other"), None);
    }
}
