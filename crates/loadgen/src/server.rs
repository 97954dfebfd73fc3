//! The server under test: started from its binary on 127.0.0.1 with a fresh data folder and
//! `--demo`, stopped when dropped; plus the two plain HTTP calls the load needs, and the CPU
//! time of a process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `confide serve --demo`. Dropping it stops the process and removes its data.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// The demo operator's generated login, printed once: by the first node on a database.
    pub login: Option<(String, String)>,
    data_dir: PathBuf,
    /// The last lines of the server's standard error (its warnings: the load runs at `warn`).
    stderr_tail: Arc<Mutex<String>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("pid", &self.child.id())
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Starts the binary with its file-descriptor limit raised to the hard limit (a socket per
    /// visitor), `env` added to its environment, and waits for its URL and the demo login (or
    /// the line saying it was printed before), at most `timeout`.
    pub fn start(
        bin: &Path,
        assets: &Path,
        env: &[(&str, String)],
        timeout: Duration,
    ) -> Result<Self, String> {
        // The server runs in its data folder: make the paths absolute first.
        let bin = std::fs::canonicalize(bin).map_err(|e| format!("{}: {e}", bin.display()))?;
        let assets =
            std::fs::canonicalize(assets).map_err(|e| format!("{}: {e}", assets.display()))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let data_dir =
            std::env::temp_dir().join(format!("confide-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" serve --demo"#)
            .arg(&bin)
            .current_dir(&data_dir)
            // Only what the server needs: it refuses unknown CONFIDE_* variables.
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CONFIDE_BIND", "127.0.0.1:0")
            .env("CONFIDE_DATA_DIR", &data_dir)
            .env("CONFIDE_ASSETS_DIR", &assets)
            .env("CONFIDE_LOG", "warn")
            // Thousands of visitors from four addresses, writers as fast as acks come back:
            // the server's limits, not its speed, would be measured otherwise.
            .env("CONFIDE_HELLOS_PER_WIDGET_PER_MINUTE", "1000000")
            .env("CONFIDE_HELLOS_PER_CLIENT_PER_MINUTE", "1000000")
            .env("CONFIDE_MESSAGES_PER_SOCKET_PER_MINUTE", "1000000")
            .env("CONFIDE_MESSAGES_PER_CONVERSATION", "1000000")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err("no stdout from the server".into());
        };
        // The last lines of its standard error, to explain a failed start.
        let stderr_tail = Arc::new(Mutex::new(String::new()));
        if let Some(stderr) = child.stderr.take() {
            let tail = stderr_tail.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(mut t) = tail.lock() {
                        t.push_str(&line);
                        t.push('\n');
                        if t.len() > 4096 {
                            let cut = t.len() - 4096;
                            let cut = (cut..t.len()).find(|&i| t.is_char_boundary(i)).unwrap_or(0);
                            t.drain(..cut);
                        }
                    }
                }
            });
        }
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            login: None,
            data_dir,
            stderr_tail: Arc::clone(&stderr_tail),
        };
        let deadline = Instant::now() + timeout;
        let mut addr = None;
        let mut login = None;
        let mut banner_done = false;
        while addr.is_none() || !banner_done {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).map_err(|e| {
                let why = match e {
                    mpsc::RecvTimeoutError::Timeout => "printed no URL and demo login in time",
                    mpsc::RecvTimeoutError::Disconnected => "exited before it was ready",
                };
                let tail = stderr_tail.lock().map(|t| t.clone()).unwrap_or_default();
                format!("the server {why}:\n{tail}")
            })?;
            if let Some(url) = line.split("listening on http://").nth(1) {
                addr = url.trim().parse::<SocketAddr>().ok();
            }
            if let Some(rest) = line.split("sign in as ").nth(1) {
                let mut words = rest.split_whitespace();
                let email = words.next().unwrap_or_default().to_owned();
                let password = words.nth(2).unwrap_or_default().to_owned();
                login = Some((email, password));
                banner_done = true;
            }
            // A later node on a shared database: the demo operator exists already.
            if line.contains("sign in with an operator account") {
                banner_done = true;
            }
        }
        server.addr = addr.unwrap_or(server.addr);
        server.login = login;
        Ok(server)
    }

    /// What the server warned about (the last 4 KiB).
    pub fn warnings(&self) -> String {
        self.stderr_tail
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
    }

    /// Whether the process is still running (not stopped by someone else meanwhile).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory, in bytes (VmRSS in /proc/PID/status).
    pub fn rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }

    /// SIGTERM, up to 5 s to exit, then SIGKILL.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.pid().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .stderr(Stdio::null())
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .filter(|&t: &f64| t > 0.0)
            .unwrap_or(100.0)
    })
}

/// The fields of /proc/PID/stat after the command name: state is the first (field 3).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// A process's CPU time so far (utime + stime), in seconds.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let f = stat_fields(pid)?;
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / clock_ticks())
}

/// The CPU time so far of a process, of its children alive now and of those it has waited
/// for (for PostgreSQL: the postmaster, its backends and its helpers), in seconds.
pub fn tree_cpu_secs(pid: u32) -> Option<f64> {
    let f = stat_fields(pid)?;
    let ticks = (11..=14)
        .map(|i| f.get(i).and_then(|v| v.parse::<u64>().ok()))
        .sum::<Option<u64>>()?;
    let mut total = ticks as f64 / clock_ticks();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let parent = stat_fields(child).and_then(|f| f.get(1)?.parse::<u32>().ok());
        if parent == Some(pid) {
            total += cpu_secs(child).unwrap_or(0.0);
        }
    }
    Some(total)
}

/// A response of the tiny HTTP/1.0 client: status, headers (lower-case names), body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.0 request (so the answer is never chunked) with an optional JSON body.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    json: Option<&str>,
) -> Result<Response, String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    if let Some(body) = json {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(json.unwrap_or_default());
    stream
        .write_all(req.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("{method} {path}: no end of headers"))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{method} {path}: no status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: body.to_owned(),
    })
}
