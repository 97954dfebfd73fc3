//! `confide-loadgen`: starts a confide server on 127.0.0.1 and measures it under WebSocket
//! load, for `cargo xtask bench`. Talks to loopback addresses only, stops by itself within its
//! time budget, and stops the server at the end. Prints a JSON report on stdout (or `--json`).
//!
//! Phases: memory per idle visitor socket; a ramp of concurrent visitors (each sends a timed
//! message every interval) while p99 visitor-to-operator latency stays under the limit; the
//! durable write rate (visitors sending as fast as acks come back).
//!
//! With `--postgres` (issue 17) it runs on a private PostgreSQL cluster instead: the write rate
//! through one node, then a fixed number of visitors spread over two nodes with the operator on
//! the first (see `postgres.rs`).

mod pg;
mod postgres;
mod server;
mod sockets;

use confide_protocol::chat::{ConsentGiven, LoginRequest, WidgetConfig};
use serde_json::{json, Value};
use server::{http, Server};
use sha2::{Digest, Sha256};
use sockets::{Mode, Shared};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const USAGE: &str = "usage: confide-loadgen --server PATH [options]

  --server PATH       the confide binary to start (release build)
  --assets DIR        its CONFIDE_ASSETS_DIR (default: dist)
  --secs N            total time budget in seconds (default 60)
  --start N           first ramp level (default 100); each next level doubles
  --max N             highest ramp level (default 6400)
  --interval-ms N     each visitor sends a timed message this often (default 3000)
  --window-ms N       measurement window per level (default 6000)
  --p99-ms N          a level holds while p99 visitor-to-operator latency is under this (default 100)
  --idle N            sockets opened to measure memory per idle connection (default 1000)
  --writers N         visitors sending as fast as acks come back (default 32)
  --write-ms N        how long the write-rate phase runs (default 5000)
  --sources N         loopback source addresses to use, 127.0.0.1 up (default 4)
  --json PATH         write the JSON report there instead of stdout
  --postgres          instead: a private PostgreSQL cluster (initdb, /usr/lib/postgresql or
                      $PG_BIN); the write rate through one node, then --visitors visitors
                      spread over two nodes, the operator on the first (no idle, no ramp)
  --visitors N        visitors of the two-node phase (default 1000)";

#[derive(Debug, Clone)]
struct Args {
    server: PathBuf,
    assets: PathBuf,
    secs: u64,
    start: usize,
    max: usize,
    interval_ms: u64,
    window_ms: u64,
    p99_ms: u64,
    idle: usize,
    writers: usize,
    write_ms: u64,
    sources: u8,
    json: Option<PathBuf>,
    postgres: bool,
    visitors: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        server: PathBuf::new(),
        assets: PathBuf::from("dist"),
        secs: 60,
        start: 100,
        max: 6400,
        interval_ms: 3000,
        window_ms: 6000,
        p99_ms: 100,
        idle: 1000,
        writers: 32,
        write_ms: 5000,
        sources: 4,
        json: None,
        postgres: false,
        visitors: 1000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.into());
        }
        if flag == "--postgres" {
            a.postgres = true;
            continue;
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))?;
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--server" => a.server = PathBuf::from(value),
            "--assets" => a.assets = PathBuf::from(value),
            "--secs" => a.secs = num(&value)?,
            "--start" => a.start = num(&value)? as usize,
            "--max" => a.max = num(&value)? as usize,
            "--interval-ms" => a.interval_ms = num(&value)?.max(1),
            "--window-ms" => a.window_ms = num(&value)?.max(100),
            "--p99-ms" => a.p99_ms = num(&value)?,
            "--idle" => a.idle = num(&value)? as usize,
            "--writers" => a.writers = num(&value)? as usize,
            "--write-ms" => a.write_ms = num(&value)?,
            "--sources" => a.sources = num(&value)?.clamp(1, 200) as u8,
            "--json" => a.json = Some(PathBuf::from(value)),
            "--visitors" => a.visitors = (num(&value)? as usize).clamp(2, 20_000),
            _ => return Err(format!("unknown option {flag}\n\n{USAGE}")),
        }
    }
    if a.server.as_os_str().is_empty() {
        return Err(USAGE.into());
    }
    a.start = a.start.max(1);
    a.max = a.max.max(a.start);
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    // Two workers: as many as the machine has cores, which the server shares.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = if args.postgres {
        runtime.block_on(postgres::run(&args))
    } else {
        runtime.block_on(run(&args))
    };
    match result {
        Ok(report) => {
            let text = serde_json::to_string_pretty(&report).unwrap_or_default();
            match &args.json {
                Some(path) => {
                    if let Err(e) = std::fs::write(path, text + "\n") {
                        eprintln!("loadgen: cannot write {}: {e}", path.display());
                        return ExitCode::FAILURE;
                    }
                }
                None => println!("{text}"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The consent the demo widget requires: English, its version, SHA-256 of the shown text.
fn consent(server: &Server) -> Result<Option<ConsentGiven>, String> {
    let res = http(server.addr, "GET", "/api/widget/demo/config", None)?;
    if res.status != 200 {
        return Err(format!("widget config: HTTP {}", res.status));
    }
    let config: WidgetConfig =
        serde_json::from_str(&res.body).map_err(|e| format!("widget config: {e}"))?;
    let consent = &config.settings.consent;
    if !consent.required {
        return Ok(None);
    }
    let (language, disclaimer) = config
        .settings
        .disclaimer_for(&["en".to_owned()])
        .ok_or("the demo widget has no disclaimer")?;
    let digest = Sha256::digest(disclaimer.shown_text().as_bytes());
    let text_sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(ConsentGiven {
        language: language.to_owned(),
        version: consent.version,
        text_sha256,
    }))
}

/// Signs the demo operator in; returns the `name=value` of the session cookie.
fn login(server: &Server) -> Result<String, String> {
    let (email, password) = server
        .login
        .clone()
        .ok_or("the server printed no demo login")?;
    let body = serde_json::to_string(&LoginRequest {
        email,
        password,
        code: None,
    })
    .map_err(|e| e.to_string())?;
    let res = http(server.addr, "POST", "/api/operator/login", Some(&body))?;
    if res.status != 200 {
        return Err(format!("operator login: HTTP {}", res.status));
    }
    res.header("set-cookie")
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| "operator login set no cookie".to_owned())
}

/// A group of visitor tasks that stop together.
struct Group {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Visitors still connecting, and those that failed.
#[derive(Debug, Default)]
struct Tally {
    in_flight: usize,
    failed: usize,
    first_error: Option<String>,
}

impl Tally {
    fn fail(&mut self, n: usize, e: String) {
        self.failed += n;
        self.first_error.get_or_insert(e);
    }

    /// Waits for one visitor to report (or for the deadline: then all in flight failed).
    async fn take(
        &mut self,
        rx: &mut mpsc::UnboundedReceiver<Result<(), String>>,
        deadline: Instant,
    ) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left.max(Duration::from_millis(1)), rx.recv()).await {
            Ok(Some(Ok(()))) => self.in_flight -= 1,
            Ok(Some(Err(e))) => {
                self.in_flight -= 1;
                self.fail(1, e);
            }
            Ok(None) | Err(_) => {
                let n = std::mem::take(&mut self.in_flight);
                self.fail(n, "time budget ran out while connecting".into());
            }
        }
    }
}

/// Visitors connecting at once.
const CONNECTING: usize = 64;

impl Group {
    fn new() -> Self {
        Group {
            stop: Arc::new(AtomicBool::new(false)),
            tasks: Vec::new(),
        }
    }

    /// Opens `count` more visitors, at most CONNECTING at once. Returns how many failed
    /// (with the first error) and how long it took.
    async fn open(
        &mut self,
        shared: &Arc<Shared>,
        first_index: usize,
        count: usize,
        mode: Mode,
        deadline: Instant,
    ) -> (usize, Option<String>, Duration) {
        let started = Instant::now();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let connecting = Arc::new(tokio::sync::Semaphore::new(CONNECTING));
        let mut tally = Tally::default();
        for i in 0..count {
            let (shared, stop, tx) = (shared.clone(), self.stop.clone(), tx.clone());
            let index = first_index + i;
            self.tasks.push(tokio::spawn(sockets::visitor(
                shared,
                index,
                mode,
                stop,
                tx,
                connecting.clone(),
            )));
            tally.in_flight += 1;
        }
        while tally.in_flight > 0 {
            tally.take(&mut rx, deadline).await;
        }
        let (failed, first_error) = (tally.failed, tally.first_error);
        (failed, first_error, started.elapsed())
    }

    async fn close(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

fn percentile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn ms(us: Option<u64>) -> Value {
    us.map_or(Value::Null, |u| {
        json!((u as f64 / 1000.0 * 100.0).round() / 100.0)
    })
}

fn take_sorted(m: &Mutex<Vec<u64>>) -> Vec<u64> {
    let mut v = m
        .lock()
        .map(|mut g| std::mem::take(&mut *g))
        .unwrap_or_default();
    v.sort_unstable();
    v
}

async fn wait_until(deadline: Instant, mut done: impl FnMut() -> bool) -> bool {
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

/// What the tasks share, for visitors spread over `servers` (the operator on the first).
fn new_shared(args: &Args, servers: Vec<SocketAddr>, consent: Option<ConsentGiven>) -> Arc<Shared> {
    let nodes = servers.len();
    Arc::new(Shared {
        servers,
        sources: args.sources,
        consent,
        epoch: Instant::now(),
        window_start: AtomicU64::new(0),
        window_end: AtomicU64::new(0),
        interval_us: args.interval_ms * 1000,
        sent: AtomicU64::new(0),
        acked: AtomicU64::new(0),
        latencies: Mutex::new(Vec::new()),
        node_sent: (0..nodes).map(|_| AtomicU64::new(0)).collect(),
        node_latencies: (0..nodes).map(|_| Mutex::new(Vec::new())).collect(),
        slowest: Mutex::new(None),
        ack_latencies: Mutex::new(Vec::new()),
        confirmed: AtomicU64::new(0),
        stop_operator: AtomicBool::new(false),
        phase: AtomicU8::new(0),
        errors: Mutex::new(BTreeMap::new()),
        closes: Mutex::new(BTreeMap::new()),
    })
}

/// One measurement window's timed messages: all of them, and those of each node's visitors.
struct Measured {
    /// Latencies in micros, sorted, one u64::MAX for each message sent but not received.
    all: Vec<u64>,
    received: u64,
    /// Per node: (sent, latencies as above, received).
    nodes: Vec<(u64, Vec<u64>, u64)>,
    /// The slowest message received: latency in micros, sequence number, node.
    slowest: Option<(u64, u64, usize)>,
    acks: Vec<u64>,
}

/// Sorted latencies padded with u64::MAX up to `sent`, and how many were received.
fn padded(m: &Mutex<Vec<u64>>, sent: u64) -> (Vec<u64>, u64) {
    let mut lat = take_sorted(m);
    let received = lat.len() as u64;
    lat.resize(sent.max(received) as usize, u64::MAX);
    (lat, received)
}

/// Opens a window for the timed visitors connected now: each sends a message every interval
/// during it; waits for the late ones (up to 2 s after it) and collects the latencies.
async fn measure(shared: &Shared, window: Duration) -> Measured {
    take_sorted(&shared.latencies);
    take_sorted(&shared.ack_latencies);
    for l in &shared.node_latencies {
        take_sorted(l);
    }
    let take_slowest = || shared.slowest.lock().ok().and_then(|mut s| s.take());
    take_slowest();
    let sent0 = shared.sent.load(Ordering::Relaxed);
    let node_sent0: Vec<u64> = shared
        .node_sent
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .collect();
    let start = shared.now_us() + 200_000;
    let end = start + window.as_micros() as u64;
    shared.window_end.store(end, Ordering::Release);
    shared.window_start.store(start, Ordering::Release);
    sleep(Duration::from_micros(end - shared.now_us().min(end))).await;
    // A visitor task wakes at least every 250 ms: by then every message scheduled inside
    // the window has been sent (some a little late, which their latency shows).
    sleep(Duration::from_millis(300)).await;
    let sent = shared.sent.load(Ordering::Relaxed) - sent0;
    // Late messages still count, up to a grace period; missing ones count as over the limit.
    wait_until(Instant::now() + Duration::from_secs(2), || {
        shared
            .latencies
            .lock()
            .map(|l| l.len() as u64 >= sent)
            .unwrap_or(true)
    })
    .await;
    shared.window_start.store(0, Ordering::Release);
    let (all, received) = padded(&shared.latencies, sent);
    let nodes = shared
        .node_sent
        .iter()
        .zip(&node_sent0)
        .zip(&shared.node_latencies)
        .map(|((c, s0), l)| {
            let sent = c.load(Ordering::Relaxed) - s0;
            let (lat, received) = padded(l, sent);
            (sent, lat, received)
        })
        .collect();
    Measured {
        all,
        received,
        nodes,
        slowest: take_slowest(),
        acks: take_sorted(&shared.ack_latencies),
    }
}

/// Sent, received, rate, p50 / p99 / max of one window's padded latencies.
fn latency_json(lat: &[u64], received: u64, window: Duration) -> Value {
    let real = |u: Option<u64>| u.filter(|&u| u != u64::MAX);
    json!({
        "sent": lat.len(),
        "received": received,
        "msgs_per_sec": received as f64 / window.as_secs_f64(),
        "p50_ms": ms(real(percentile(lat, 0.50))),
        "p99_ms": ms(real(percentile(lat, 0.99))),
        "max_ms": ms(lat.iter().copied().filter(|&u| u != u64::MAX).max()),
        // Missing ones included.
        "over_50_ms": lat.iter().filter(|&&u| u >= 50_000).count(),
        "over_1_s": lat.iter().filter(|&&u| u >= 1_000_000).count(),
    })
}

/// Processes whose CPU time is sampled: name, pid, and whether its children count too.
struct Probe(Vec<(&'static str, u32, bool)>);

/// CPU seconds of each probed process at one instant.
struct Sample(Instant, Vec<Option<f64>>);

impl Probe {
    fn sample(&self) -> Sample {
        let cpu = self
            .0
            .iter()
            .map(|&(_, pid, tree)| {
                if tree {
                    server::tree_cpu_secs(pid)
                } else {
                    server::cpu_secs(pid)
                }
            })
            .collect();
        Sample(Instant::now(), cpu)
    }

    /// Each process's CPU use between two samples, in % of one core.
    fn cpu_pct(&self, a: &Sample, b: &Sample) -> Value {
        let wall = b.0.duration_since(a.0).as_secs_f64().max(1e-3);
        let map: serde_json::Map<String, Value> = self
            .0
            .iter()
            .zip(a.1.iter().zip(&b.1))
            .map(|(&(name, _, _), (x, y))| {
                let pct = match (x, y) {
                    (Some(x), Some(y)) => json!(((y - x) / wall * 1000.0).round() / 10.0),
                    _ => Value::Null,
                };
                (name.to_owned(), pct)
            })
            .collect();
        Value::Object(map)
    }
}

/// Durable write rate: writers send as fast as acks come back, for --write-ms; the probed
/// processes' CPU over the same time.
async fn write_phase(
    shared: &Arc<Shared>,
    args: &Args,
    first_index: usize,
    probe: &Probe,
) -> Value {
    shared.phase.store(2, Ordering::Relaxed);
    let write_deadline = Instant::now() + Duration::from_millis(args.write_ms + 2000);
    let mut writers = Group::new();
    take_sorted(&shared.ack_latencies);
    let (w_failed, w_error, _) = writers
        .open(
            shared,
            first_index,
            args.writers,
            Mode::Writer,
            write_deadline,
        )
        .await;
    let started = Instant::now();
    let cpu0 = probe.sample();
    let acked_start = shared.acked.load(Ordering::Relaxed);
    sleep(Duration::from_millis(args.write_ms)).await;
    let acked = shared.acked.load(Ordering::Relaxed) - acked_start;
    let cpu1 = probe.sample();
    let secs = started.elapsed().as_secs_f64();
    writers.close().await;
    let acks = take_sorted(&shared.ack_latencies);
    json!({
        "writers": args.writers - w_failed,
        "failed": w_failed,
        "error": w_error,
        "secs": secs,
        "acked": acked,
        "acks_per_sec": acked as f64 / secs,
        "ack_p50_ms": ms(percentile(&acks, 0.50)),
        "ack_p99_ms": ms(percentile(&acks, 0.99)),
        "cpu_pct": probe.cpu_pct(&cpu0, &cpu1),
    })
}

async fn run(args: &Args) -> Result<Value, String> {
    let begun = Instant::now();
    let deadline = begun + Duration::from_secs(args.secs);
    let mut server = Server::start(&args.server, &args.assets, &[], Duration::from_secs(30))?;
    eprintln!("loadgen: server pid {} on {}", server.pid(), server.addr);
    let consent = consent(&server)?;
    let cookie = login(&server)?;
    let shared = new_shared(args, vec![server.addr], consent);
    let op_ws = sockets::open_operator(&shared, &cookie).await?;
    let operator = tokio::spawn(sockets::operator(shared.clone(), op_ws));
    let mut next_index = 1usize;

    // Memory per idle connection: two equal batches of hello-only sockets. The first also
    // pays for one-time growth (allocator arenas, caches); the second is the marginal cost.
    sleep(Duration::from_millis(500)).await;
    let batch = args.idle / 2;
    let rss0 = server.rss_bytes();
    let mut idle = Group::new();
    let (failed1, error1, took1) = idle
        .open(&shared, next_index, batch, Mode::Idle, deadline)
        .await;
    next_index += batch;
    sleep(Duration::from_millis(1000)).await;
    let rss1 = server.rss_bytes();
    let (failed2, error2, took2) = idle
        .open(&shared, next_index, batch, Mode::Idle, deadline)
        .await;
    next_index += batch;
    sleep(Duration::from_millis(1000)).await;
    let rss2 = server.rss_bytes();
    idle.close().await;
    let per = |before: Option<u64>, after: Option<u64>, n: usize| match (before, after) {
        (Some(b), Some(a)) if n > 0 => json!(a.saturating_sub(b) / n as u64),
        _ => Value::Null,
    };
    let (open1, open2) = (batch - failed1, batch - failed2);
    let idle_report = json!({
        "sockets": open1 + open2,
        "failed": failed1 + failed2,
        "error": error1.or(error2),
        "open_secs": (took1 + took2).as_secs_f64(),
        "rss_before_bytes": rss0,
        "rss_after_first_batch_bytes": rss1,
        "rss_after_bytes": rss2,
        "bytes_per_connection_all": per(rss0, rss2, open1 + open2),
        "bytes_per_connection_first_batch": per(rss0, rss1, open1),
        "bytes_per_connection": per(rss1, rss2, open2),
    });
    eprintln!("loadgen: idle: {idle_report}");

    // The ramp. Keep time for the write-rate phase at the end.
    shared.phase.store(1, Ordering::Relaxed);
    let write_reserve = Duration::from_millis(args.write_ms + 3000);
    let ramp_deadline = deadline.checked_sub(write_reserve).unwrap_or(begun);
    let window = Duration::from_millis(args.window_ms);
    // One group per step up, so a step can be taken back to try halfway after a failure.
    let mut groups: Vec<(usize, Group)> = Vec::new();
    let mut open = 0usize;
    let mut levels = Vec::new();
    let mut held: Option<Value> = None;
    let mut held_n = 0usize;
    let mut failed_n: Option<usize> = None;
    let mut failure = String::new();
    let mut stop_reason = "reached --max".to_owned();
    let mut connect_rate = 200.0f64; // sockets per second, until measured
    let mut n = args.start;
    loop {
        // Back down to the last level held, when the next try is below what is open.
        while open > n {
            match groups.pop() {
                Some((count, g)) => {
                    g.close().await;
                    open -= count;
                }
                None => break,
            }
        }
        let add = n - open;
        let needed =
            Duration::from_secs_f64(add as f64 / connect_rate) + window + Duration::from_secs(3);
        if Instant::now() + needed > ramp_deadline {
            stop_reason = format!("time budget (level {n} would not fit)");
            break;
        }
        let confirmed0 = shared.confirmed.load(Ordering::Acquire);
        let mut group = Group::new();
        let (failed, error, took) = group
            .open(&shared, next_index, add, Mode::Timed, ramp_deadline)
            .await;
        next_index += add;
        open += add - failed;
        groups.push((add - failed, group));
        if took.as_secs_f64() > 0.0 && add > failed {
            connect_rate = (add - failed) as f64 / took.as_secs_f64();
        }
        let confirmed = wait_until(Instant::now() + Duration::from_secs(10), || {
            shared.confirmed.load(Ordering::Acquire) >= confirmed0 + (add - failed) as u64
        })
        .await;
        let rss = server.rss_bytes();
        if failed > 0 || !confirmed {
            let reason =
                error.unwrap_or_else(|| "the operator did not see every conversation".into());
            levels.push(json!({"visitors": n, "failed_to_connect": failed, "error": reason}));
            stop_reason = format!("level {n}: {reason}");
            break;
        }
        let Measured {
            all: lat,
            received,
            acks,
            ..
        } = measure(&shared, window).await;
        let sent = lat.len() as u64;
        let p99 = percentile(&lat, 0.99);
        let ok = received == sent && sent > 0 && p99.is_some_and(|p| p < args.p99_ms * 1000);
        let level = json!({
            "visitors": n,
            "connect_secs": took.as_secs_f64(),
            "sent": sent,
            "received": received,
            "msgs_per_sec": received as f64 / window.as_secs_f64(),
            "p50_ms": ms(percentile(&lat, 0.50).filter(|&u| u != u64::MAX)),
            "p99_ms": ms(p99.filter(|&u| u != u64::MAX)),
            "max_ms": ms(lat.iter().copied().filter(|&u| u != u64::MAX).max()),
            "ack_p50_ms": ms(percentile(&acks, 0.50)),
            "ack_p99_ms": ms(percentile(&acks, 0.99)),
            "rss_bytes": rss,
            "held": ok,
        });
        eprintln!("loadgen: level {level}");
        levels.push(level.clone());
        if ok {
            held = Some(level);
            held_n = n;
        } else {
            failure = match p99.filter(|&u| u != u64::MAX) {
                Some(p) => format!(
                    "level {n}: p99 {} ms, {received} of {sent} messages received",
                    ms(Some(p))
                ),
                None => format!(
                    "level {n}: {received} of {sent} messages received within 2 s of the window"
                ),
            };
            failed_n = Some(n);
        }
        // Double while levels hold; after a failure, try halfway between the last level held
        // and the lowest that failed, until they are within 1/8 of each other.
        n = match failed_n {
            None if n >= args.max => break,
            None => (n * 2).min(args.max),
            Some(bad) => {
                let mid = (held_n + bad) / 2;
                if held_n == 0 || bad - held_n <= held_n / 8 || mid == held_n {
                    stop_reason = "refined to within 1/8".into();
                    break;
                }
                mid
            }
        };
    }
    if let Some(bad) = failed_n {
        stop_reason = format!(
            "highest held {held_n}, lowest failed {bad} ({failure}); then stopped: {stop_reason}"
        );
    }
    for (_, g) in groups {
        g.close().await;
    }

    // Durable write rate: writers send as fast as acks come back.
    let probe = Probe(vec![
        ("server", server.pid(), false),
        ("loadgen", std::process::id(), false),
    ]);
    let mut write_report = write_phase(&shared, args, next_index, &probe).await;
    write_report["sqlite"] = json!("WAL, durability full (the server's default): one writer, each batch of messages committed and fsynced before its acks");
    eprintln!("loadgen: writes {write_report}");

    shared.stop_operator.store(true, Ordering::Relaxed);
    let _ = operator.await;
    let rss_end = server.rss_bytes();
    let warnings = server.warnings();
    server.stop();
    let errors: Value = shared
        .errors
        .lock()
        .map(|e| json!(*e))
        .unwrap_or(Value::Null);
    let closes: Value = shared
        .closes
        .lock()
        .map(|c| {
            json!(c
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect::<BTreeMap<_, _>>())
        })
        .unwrap_or(Value::Null);
    Ok(json!({
        "settings": {
            "secs": args.secs,
            "start": args.start,
            "max": args.max,
            "interval_ms": args.interval_ms,
            "window_ms": args.window_ms,
            "p99_limit_ms": args.p99_ms,
            "sources": args.sources,
            "server": args.server.display().to_string(),
        },
        "idle": idle_report,
        "levels": levels,
        "held": held,
        "stop_reason": stop_reason,
        "writes": write_report,
        "rss_end_bytes": rss_end,
        "errors": errors,
        "server_closes": closes,
        "server_warnings": warnings,
        "took_secs": begun.elapsed().as_secs_f64(),
    }))
}
