//! Small process and path helpers.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root (the folder above xtask/).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Project-local tools: cargo-installed binaries in .tools/bin, npm ones in .tools/node_modules/.bin.
pub fn tools_dir() -> PathBuf {
    root().join(".tools")
}

/// PATH with the project's tool folders first.
pub fn tool_path() -> String {
    let tools = tools_dir();
    let mut parts = vec![
        tools.join("bin").display().to_string(),
        tools.join("node_modules/.bin").display().to_string(),
    ];
    if let Ok(p) = std::env::var("PATH") {
        parts.push(p);
    }
    parts.join(":")
}

/// Runs a command quietly and returns its stdout and stderr, if it started and succeeded.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .env("PATH", tool_path())
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(s)
}

/// Runs a command with inherited output; an error names the command when it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed with {status}"))
    }
}

pub fn is_root() -> bool {
    output("id", &["-u"]).is_some_and(|s| s.trim() == "0")
}

pub fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&tool_path())
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
