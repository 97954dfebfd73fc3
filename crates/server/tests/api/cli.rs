//! The `confide` binary itself: configuration errors and a real start and stop.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn confide() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_confide"));
    // A clean environment: no CONFIDE_* from whoever runs the tests.
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd.stdin(Stdio::null());
    cmd
}

#[test]
fn a_bad_bind_address_stops_the_server_with_a_message_naming_the_variable() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = confide()
        .args(["serve"])
        .current_dir(dir.path())
        .env("CONFIDE_BIND", "not-an-address")
        .output()
        .expect("run confide");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CONFIDE_BIND"), "{stderr}");
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created on a bad config"
    );
}

#[test]
fn an_unknown_key_in_the_config_file_stops_the_server_naming_it() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("confide.toml"),
        "bind = \"127.0.0.1:0\"\nport = 1\n",
    )
    .expect("write");
    let out = confide()
        .args(["serve"])
        .current_dir(dir.path())
        .output()
        .expect("run confide");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown field `port`"), "{stderr}");
}

#[test]
fn an_unknown_confide_variable_stops_the_server_naming_it() {
    let out = confide()
        .args(["serve"])
        .env("CONFIDE_DATABSE_URL", "sqlite://x.db")
        .output()
        .expect("run confide");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CONFIDE_DATABSE_URL"), "{stderr}");
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    let out = confide().args(["serv"]).output().expect("run confide");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("serv"));
}

#[test]
fn the_binary_serves_healthz_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = confide()
        .args(["serve", "--demo"])
        .current_dir(dir.path())
        .env("CONFIDE_BIND", "127.0.0.1:0")
        .env("CONFIDE_DATA_DIR", dir.path().join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn confide");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).expect("read first line");
    // Keep draining stdout so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = first
        .trim()
        .strip_prefix("Confide listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_owned();

    let rt = tokio::runtime::Runtime::new().expect("rt");
    let status = rt.block_on(async {
        let res = reqwest::get(format!("{url}/healthz")).await.expect("get");
        res.status()
    });
    assert_eq!(status, 200);
    assert!(dir.path().join("state/confide.db").is_file());

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait().map(|s| s.code()));
    });
    let code = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("server stops within 10 s of SIGTERM")
        .expect("wait");
    assert_eq!(code, Some(0));
}

fn operator_add(
    dir: &std::path::Path,
    email: &str,
    name: &str,
    password: &str,
) -> std::process::Output {
    operator_add_with(dir, &["--email", email, "--name", name], password)
}

fn operator_add_with(dir: &std::path::Path, args: &[&str], password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = confide()
        .args(["operator", "add"])
        .args(args)
        .current_dir(dir)
        .env("CONFIDE_DATA_DIR", dir.join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The command may refuse its arguments before reading stdin: a closed pipe is fine.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes());
    child.wait_with_output().expect("wait")
}

async fn operator_count(dir: &std::path::Path) -> i64 {
    let url = confide_server::config::DatabaseUrl::parse(&format!(
        "sqlite://{}",
        dir.join("state/confide.db").display()
    ))
    .expect("url");
    let store = confide_server::store::Store::open(&url)
        .await
        .expect("open");
    let n = store.operator_count().await.expect("count");
    store.close().await;
    n
}

#[tokio::test]
async fn operator_add_refuses_bad_input_with_a_clear_message_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let cases = [
        ("not-an-email", "Ada", "long enough password", "--email"),
        ("ada@example.com", "", "long enough password", "--name"),
        ("ada@example.com", "Ada", "short", "at least 10 characters"),
    ];
    for (email, name, password, expected) in cases {
        let out = operator_add(dir.path(), email, name, password);
        assert!(!out.status.success(), "{email} {name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(
            !stderr.contains(password) || password == "short",
            "{stderr}"
        );
    }
    let out = operator_add(dir.path(), "ada@example.com", "Ada", "long enough password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = operator_add(
        dir.path(),
        "ADA@example.com",
        "Ada again",
        "long enough password",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists"));
    assert_eq!(operator_count(dir.path()).await, 1);
}

#[tokio::test]
async fn operator_add_sets_the_alias_visitors_see_or_the_names_first_word() {
    let dir = tempfile::tempdir().expect("tmp");
    let password = "long enough password";
    for (alias, why) in [("", "--alias: 1 to"), ("Sam\u{202e}", "--alias:")] {
        let out = operator_add_with(
            dir.path(),
            &[
                "--email",
                "sam@example.com",
                "--name",
                "Samuel Canary",
                "--alias",
                alias,
            ],
            password,
        );
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(why), "{stderr}");
        assert!(!stderr.contains("Canary"), "{stderr}");
    }
    assert_eq!(operator_count(dir.path()).await, 0, "nothing stored");
    let out = operator_add_with(
        dir.path(),
        &[
            "--email",
            "sam@example.com",
            "--name",
            "Samuel Canary",
            "--alias",
            " Support Sam ",
        ],
        password,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = operator_add(dir.path(), "ada@example.com", "Ada Lovelace", password);
    assert!(out.status.success());
    let url = confide_server::config::DatabaseUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("state/confide.db").display()
    ))
    .expect("url");
    let store = confide_server::store::Store::open(&url)
        .await
        .expect("open");
    let sam = store
        .operator_by_email("sam@example.com")
        .await
        .expect("sam");
    assert_eq!(
        (sam.name.as_str(), sam.alias.as_str()),
        ("Samuel Canary", "Support Sam")
    );
    let ada = store
        .operator_by_email("ada@example.com")
        .await
        .expect("ada");
    assert_eq!(ada.alias, "Ada");
    store.close().await;
}

fn operator_cmd(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    confide()
        .arg("operator")
        .args(args)
        .current_dir(dir)
        .env("CONFIDE_DATA_DIR", dir.join("state"))
        .env("CONFIDE_PUBLIC_URL", "https://chat.example.com")
        .output()
        .expect("run confide")
}

#[tokio::test]
async fn the_cli_adds_with_a_link_lists_changes_and_resets_but_keeps_a_manager() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = operator_add_with(
        dir.path(),
        &[
            "--email",
            "admin@example.com",
            "--name",
            "Ada",
            "--role",
            "admin",
        ],
        "long enough password",
    );
    assert!(out.status.success());
    let out = operator_cmd(
        dir.path(),
        &[
            "add",
            "--email",
            "grace@example.com",
            "--name",
            "Grace",
            "--link",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("https://chat.example.com/console/set-password#"))
        .unwrap_or_else(|| panic!("a link under the public url: {stdout}"));
    assert_eq!(link.rsplit('#').next().map(str::len), Some(43));

    let out = operator_cmd(dir.path(), &["list"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("grace@example.com\tagent\twaiting for a password"),
        "{listed}"
    );
    assert!(
        listed.contains("admin@example.com\tadmin\tactive"),
        "{listed}"
    );

    // The last admin is neither demoted nor disabled; nothing changes.
    for args in [
        &["change", "--email", "admin@example.com", "--role", "agent"][..],
        &["change", "--email", "admin@example.com", "--disable"][..],
    ] {
        let out = operator_cmd(dir.path(), args);
        assert!(!out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("manage operators"));
    }
    for (args, why) in [
        (
            &["change", "--email", "nobody@example.com", "--disable"][..],
            "no operator",
        ),
        (
            &[
                "change",
                "--email",
                "grace@example.com",
                "--role",
                "wizards",
            ][..],
            "--role",
        ),
    ] {
        let out = operator_cmd(dir.path(), args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(why) && !stderr.contains("wizards"),
            "{stderr}"
        );
    }
    let out = operator_cmd(
        dir.path(),
        &["change", "--email", "grace@example.com", "--disable"],
    );
    assert!(out.status.success());
    let out = operator_cmd(
        dir.path(),
        &["reset-password", "--email", "admin@example.com"],
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("/console/set-password#"));
    let listed = String::from_utf8_lossy(&operator_cmd(dir.path(), &["list"]).stdout).into_owned();
    assert!(
        listed.contains("grace@example.com\tagent\tdisabled"),
        "{listed}"
    );
    assert!(
        listed.contains("admin@example.com\tadmin\twaiting for a password"),
        "{listed}"
    );
}
