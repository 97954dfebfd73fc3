//! Running the real `confide` binary: start, wait for its banner, kill, restart.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running `confide serve`; killed when dropped (a test that panics leaves none behind).
pub struct Server {
    child: Option<Child>,
    pub url: String,
    /// Everything the server wrote to stderr (its log) so far.
    pub log: Arc<Mutex<String>>,
    log_done: std::sync::mpsc::Receiver<()>,
}

pub fn confide(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_confide"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CONFIDE_DATA_DIR", dir.join("state"))
        .env("CONFIDE_ASSETS_DIR", dir.join("dist"))
        .current_dir(dir)
        .stdin(Stdio::null());
    cmd
}

/// The binary on the database of an in-process test server's folder `dir`: its SQLite file,
/// or in the PostgreSQL run its database on the shared cluster.
pub fn confide_with_db(dir: &Path) -> Command {
    let url = crate::helpers::postgres_url(dir)
        .unwrap_or_else(|| format!("sqlite://{}", crate::helpers::db_path(dir).display()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_confide"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CONFIDE_DATABASE_URL", url)
        .stdin(Stdio::null());
    cmd
}

/// The store a `--demo` server left in `dir`, opened with its demo key and key store, to read
/// what it sealed.
pub async fn open_demo_store(dir: &Path) -> confide_server::store::Store {
    let state = dir.join("state");
    let key = confide_server::crypto::MasterKey::read_file(&state.join("demo-master.key"))
        .expect("the demo key");
    let keys = confide_server::keystore::KeyStore::open(
        &state.join("keys.db"),
        confide_server::keystore::KeyRing::new(key),
        true,
    )
    .await
    .expect("key store");
    let url =
        confide_server::config::DatabaseUrl::parse(&format!("sqlite://{}", db_file(dir).display()))
            .expect("url");
    confide_server::store::Store::open_sealed(
        &url,
        std::sync::Arc::new(confide_server::clock::SystemClock),
        Default::default(),
        std::sync::Arc::new(keys),
    )
    .await
    .expect("open db")
}

pub fn db_file(dir: &Path) -> PathBuf {
    dir.join("state").join("confide.db")
}

/// Adds an operator (an agent) through the CLI, with the password on stdin.
pub fn add_operator(dir: &Path, email: &str, name: &str, password: &str) {
    add_operator_as(dir, email, name, password, "agent");
}

/// Adds an operator with `role` through the CLI, with the password on stdin.
pub fn add_operator_as(dir: &Path, email: &str, name: &str, password: &str, role: &str) {
    use std::io::Write;
    let mut child = confide(dir)
        .args([
            "operator", "add", "--email", email, "--name", name, "--role", role,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn operator add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    let out = child.wait_with_output().expect("operator add");
    assert!(
        out.status.success(),
        "operator add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Server {
    /// Starts `confide serve --demo` on `bind` and waits (at most 20 s) for its banner.
    pub fn start(dir: &Path, bind: &str, log_filter: &str) -> Server {
        Self::start_with(dir, bind, log_filter, &[])
    }

    /// As [`Server::start`], with more `CONFIDE_*` settings.
    pub fn start_with(dir: &Path, bind: &str, log_filter: &str, env: &[(&str, &str)]) -> Server {
        let mut child = confide(dir)
            .args(["serve", "--demo"])
            .env("CONFIDE_BIND", bind)
            .env("CONFIDE_LOG", log_filter)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn confide");
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&log);
        let (done_tx, log_done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut l) = sink.lock() {
                    l.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
            let _ = done_tx.send(());
        });
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let _ = tx.send(first);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let first = rx.recv_timeout(Duration::from_secs(20));
        let url = first
            .as_deref()
            .ok()
            .and_then(|f| f.trim().strip_prefix("Confide listening on "))
            .map(str::to_owned);
        let Some(url) = url else {
            let _ = child.kill();
            let _ = child.wait();
            match first {
                Ok(first) => panic!("unexpected banner {first:?}"),
                Err(_) => panic!("the server prints its address within 20 s"),
            }
        };
        Server {
            child: Some(child),
            url,
            log,
            log_done,
        }
    }

    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// SIGKILL: no graceful shutdown, whatever is in flight is cut.
    pub fn kill(mut self) -> String {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// SIGTERM and wait (at most 10 s) for a clean exit; returns the log.
    pub fn stop(mut self) -> String {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let Ok(status) = rx.recv_timeout(Duration::from_secs(10)) else {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("stops within 10 s");
        };
        let status = status.expect("wait");
        assert!(status.success(), "clean exit: {status:?}");
        // The log is complete once the reader has seen EOF.
        let _ = self.log_done.recv_timeout(Duration::from_secs(5));
        let out = self.log.lock().map(|l| l.clone()).unwrap_or_default();
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A free loopback port (bind 0, read it, release it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Signs in over HTTP and returns the session cookie pair (`confide_session=...`).
pub async fn login_cookie(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> String {
    let res = client
        .post(format!("{base}/api/operator/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200, "login succeeds");
    res.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("cookie pair")
        .to_owned()
}
