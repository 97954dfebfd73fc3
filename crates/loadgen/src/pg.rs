//! A private PostgreSQL cluster for the PostgreSQL run (issue 17): initdb in a new folder, a free port on 127.0.0.1, no Unix socket, no system service. Stopped
//! (`pg_ctl -m immediate`) and its folder removed when dropped; a watchdog shell does the
//! same if this process dies without dropping it (pg_ctl detaches the postmaster from our
//! process group, so `cargo xtask bench`'s kill of the group would not reach it).

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's newest PostgreSQL programs (`cargo xtask setup` installs them), or `$PG_BIN`.
fn pg_bin() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("PG_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let entries = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("PostgreSQL is not installed (run `cargo xtask setup`): {e}"))?;
    entries
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .max()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no /usr/lib/postgresql/<major>/bin/initdb".into())
}

/// Runs `cmd` with its output in `log`, killed after `limit`.
fn run(what: &str, cmd: &mut Command, log: &Path, limit: Duration) -> Result<(), String> {
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what}: no answer in {} s", limit.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("{what}: {e}")),
        }
    };
    if status.success() {
        Ok(())
    } else {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        Err(format!("{what} failed with {status}: {}", text.trim()))
    }
}

/// A running private cluster: superuser `confide`, trust authentication, on 127.0.0.1.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    /// As root, PostgreSQL's programs run as the `postgres` user (it refuses root).
    as_root: bool,
    dir: PathBuf,
    pub port: u16,
}

impl Cluster {
    /// initdb in `dir` (created; removed again when the cluster is dropped) and pg_ctl start,
    /// each bounded in time.
    pub fn start(dir: &Path) -> Result<Self, String> {
        let bin = pg_bin()?;
        let data = dir.join("data");
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        let as_root = std::fs::metadata(dir)
            .map(|m| m.uid() == 0)
            .unwrap_or(false);
        let mut cluster = Cluster {
            bin,
            as_root,
            dir: dir.to_owned(),
            port: 0,
        };
        if as_root {
            run(
                "chown",
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(dir),
                &dir.join("chown.log"),
                Duration::from_secs(10),
            )?;
        }
        cluster.watchdog();
        run(
            "initdb",
            cluster
                .command("initdb")
                .args(["-U", "confide", "--auth=trust", "-E", "UTF8"])
                .arg("--no-instructions")
                .arg("-D")
                .arg(&data),
            &dir.join("initdb.log"),
            Duration::from_secs(120),
        )?;
        cluster.port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        run(
            "pg_ctl start",
            cluster
                .command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.join("server.log"))
                .args(["-w", "-t", "60", "-o"])
                .arg(format!(
                    "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories=''",
                    cluster.port
                ))
                .arg("start"),
            &dir.join("pg_ctl.log"),
            Duration::from_secs(70),
        )
        .map_err(|e| {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            format!("{e}\n{log}")
        })?;
        Ok(cluster)
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// The shell line that stops the cluster.
    fn stop_line(&self) -> String {
        format!(
            "{}'{}' -D '{}' -m immediate -w -t 30 stop",
            if self.as_root {
                "runuser -u postgres -- "
            } else {
                ""
            },
            self.bin.join("pg_ctl").display(),
            self.dir.join("data").display()
        )
    }

    /// Stops the cluster and removes its folder once this process is gone, however it ends
    /// (after a normal stop it finds nothing to stop). Its own process group; never waited
    /// for; it ends within a second of this process.
    fn watchdog(&self) {
        #[allow(clippy::zombie_processes)]
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
                pid = std::process::id(),
                stop = self.stop_line(),
                dir = self.dir.display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
    }

    /// Creates database `name` (createdb over TCP, as the superuser).
    pub fn create_db(&self, name: &str) -> Result<(), String> {
        run(
            "createdb",
            Command::new(self.bin.join("createdb"))
                .args(["-h", "127.0.0.1", "-U", "confide", "-p"])
                .arg(self.port.to_string())
                .arg(name),
            &self.dir.join(format!("createdb-{name}.log")),
            Duration::from_secs(30),
        )
    }

    /// The cluster's folder (removed with it): room for other files of the run.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://confide@127.0.0.1:{}/{db}", self.port)
    }

    /// The postmaster's process id (the first line of data/postmaster.pid).
    pub fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// PostgreSQL's version (`postgres --version`).
    pub fn version(&self) -> String {
        Command::new(self.bin.join("postgres"))
            .arg("--version")
            .stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = run(
            "pg_ctl stop",
            Command::new("sh").arg("-c").arg(self.stop_line()),
            &self.dir.join("stop.log"),
            Duration::from_secs(40),
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
