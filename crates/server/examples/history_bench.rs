//! Issue 14's numbers, measured on the real store and the real server (`cargo xtask bench`
//! runs this; by hand: `cargo build --profile server -p confide-server --example history_bench
//! --bin confide`, then `target/<dir>/server/examples/history_bench`).
//!
//! 1. **Seeding.** A sealed SQLite store in a temporary folder, opened as the server opens it,
//!    gets 100,000 conversations over five widgets, each with its own visitor (and data key)
//!    and pre-chat details (a name of two words from 500 first names × 500 last names, an
//!    email `first.last.N@example.com`), through the store's own functions
//!    (`create_visitor`, `create_conversation`): the details are sealed and blind-indexed as
//!    the server does it. Then 1,000,000 messages (10 per conversation). The writer stores
//!    about 5,000 messages/s (issue 13's bench), which would take minutes, so the messages
//!    go in by SQL in big transactions instead, each body sealed as the writer seals it
//!    (`crypto::seal` under the conversation's data key, associated data
//!    `messages.body` / `conversation:seq`, as `store/sealed.rs` `body_ad`), and each
//!    conversation's counters and status set as the writer and the operators would leave them.
//! 2. **Search.** The first page, on the store reopened as the server opens it:
//!    `Store::history_count` (the "N that match") and `Store::history` (the page), as
//!    `GET /api/admin/conversations` calls them, by the exact email of a random person, by one
//!    first name (shared by about 200 conversations), and with no filter; p50 and p95. Then
//!    the same searches over HTTP on the real server (below), which also writes an audit entry
//!    for each page.
//! 3. **Export.** The real `confide` binary on the seeded folder (its defaults, but for the
//!    purge's interval and the per-operator limit on data requests), an admin added with
//!    `confide operator add`, signed in over HTTP; `GET /api/admin/export?format=csv&
//!    rows=messages&widget=…` of a widget holding 1,000 conversations (once, so the measured
//!    exports are not the server's first), of one holding 10,000 (100,000 messages) twice,
//!    of one holding about 30,000, and of the 1,000 again: each read as a stream (bytes and
//!    rows counted, nothing kept), wall time, and the server's VmRSS / VmHWM from /proc before
//!    and after each (VmHWM reset before each through `/proc/PID/clear_refs`), RSS sampled
//!    every 5 ms and at every tenth of the rows.
//!
//! Prints one JSON object on stdout (progress goes to stderr). Every phase is bounded, and the
//! server is killed on every way out.

use anyhow::{anyhow, bail, Context as _};
use confide_protocol::chat::{ClientMsgId, MessageText};
use confide_protocol::details::VisitorDetails;
use confide_protocol::WidgetKey;
use confide_server::clock::{Clock, ManualClock, SystemClock};
use confide_server::config::DatabaseUrl;
use confide_server::crypto::{self, MasterKey, Secret};
use confide_server::keystore::{KeyRing, KeyStore};
use confide_server::store::history::HistoryQuery;
use confide_server::store::{Durability, NewConversation, Store, StoreOptions};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
use common::{ms, pct, r};

const TOKEN_TTL_MS: i64 = confide_server::chat::admission::TOKEN_TTL_MS;
const DAY_MS: i64 = 86_400_000;
/// The conversations were started over this many days before now (inside every retention
/// period, so the server's purge finds nothing to delete while it is measured).
const SPREAD_DAYS: i64 = 10;

/// The widgets, by key: the export's own two (a tenth and a hundredth of the conversations),
/// and three more sharing the rest.
const EXPORT_10K: &str = "export-10k";
const EXPORT_1K: &str = "export-1k";
const OTHERS: [&str; 3] = ["shop", "support", "sales"];

/// What visitors and the operator say, in turn (visitor first): plain text of a typical
/// length, with a quote and a comma (CSV quoting), accents, and a cell that would be a formula.
const TEXTS: [&str; 12] = [
    "Hi! I ordered the blue jacket last week and it has not arrived yet. Order 48213.",
    "Hello, thanks for writing. Let me look that order up for you.",
    "Sure, the tracking page says \"label created\" since Monday.",
    "I see it: the parcel left our warehouse on Tuesday, it should be with you by Friday.",
    "Great, and can I still change the size from M to L?",
    "Not on this order, I am afraid; you can return it for free and order the L.",
    "=HYPERLINK(\"https://example.com\") is what my spreadsheet shows, is that normal?",
    "That looks like a copy of the link only; nothing to worry about.",
    "Merci beaucoup, très aimable. À bientôt !",
    "You are welcome. Is there anything else I can help with today?",
    "No, that is all, thank you.",
    "Have a nice day!",
];

#[derive(Debug, Clone)]
struct Args {
    conversations: usize,
    messages: usize,
    runs: usize,
    warmup: usize,
    tasks: usize,
    /// The `confide` binary; default: the one beside this example's folder.
    server: Option<PathBuf>,
    export: bool,
    /// Seeding stops (and the bench fails) past this.
    seed_limit_secs: u64,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        conversations: 100_000,
        messages: 10,
        runs: 200,
        warmup: 20,
        tasks: 4,
        server: None,
        export: true,
        seed_limit_secs: 480,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut num = |lo: f64, hi: f64| {
            it.next()
                .ok_or_else(|| anyhow!("{flag} needs a value"))
                .and_then(|v| v.parse::<f64>().map_err(|e| anyhow!("{flag}: {e}")))
                .map(|v| v.clamp(lo, hi))
        };
        match flag.as_str() {
            "--conversations" => a.conversations = num(1_000.0, 1_000_000.0)? as usize,
            "--messages" => a.messages = num(1.0, 100.0)? as usize,
            "--runs" => a.runs = num(10.0, 10_000.0)? as usize,
            "--warmup" => a.warmup = num(0.0, 1_000.0)? as usize,
            "--tasks" => a.tasks = num(1.0, 64.0)? as usize,
            "--seed-limit-secs" => a.seed_limit_secs = num(10.0, 3_600.0)? as u64,
            "--no-export" => a.export = false,
            "--server" => {
                a.server = Some(PathBuf::from(
                    it.next().ok_or_else(|| anyhow!("--server needs a path"))?,
                ))
            }
            other => bail!(
                "unknown option {other}; options: --conversations N --messages N --runs N \
                 --warmup N --tasks N --seed-limit-secs N --server PATH --no-export"
            ),
        }
    }
    Ok(a)
}

fn say(what: impl std::fmt::Display) {
    eprintln!("history_bench: {what}");
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" / "))
        .unwrap_or_default()
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let head = digits.len() % 3;
    let mut groups: Vec<&str> = Vec::new();
    if head > 0 {
        groups.push(&digits[..head]);
    }
    for group in digits.as_bytes()[head..].chunks(3) {
        groups.push(std::str::from_utf8(group).unwrap_or_default());
    }
    groups.join(",")
}

/// SplitMix64: a small, seeded, reproducible generator (no dependency for it).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// 500 first names and 500 last names, made of syllables: every one distinct, and no first
/// name is also a word of a last name (a search for one first name finds only that name).
/// A few carry accents, which the name search folds.
struct Names {
    first: Vec<String>,
    last: Vec<String>,
}

impl Names {
    fn new() -> anyhow::Result<Self> {
        const F1: [&str; 25] = [
            "Al", "Be", "Ca", "Da", "El", "Fa", "Ga", "Ha", "Is", "Jo", "Ka", "Le", "Ma", "Na",
            "Ol", "Pa", "Ra", "Sa", "Ta", "Ul", "Va", "Wi", "Xa", "Yo", "Zé",
        ];
        const F2: [&str; 20] = [
            "na", "ra", "lia", "ne", "ton", "vin", "die", "mon", "rik", "sha", "ly", "ro", "no",
            "bel", "rya", "dan", "mir", "tte", "ya", "zo",
        ];
        const L1: [&str; 25] = [
            "Ber", "Cor", "Dun", "Eck", "Fer", "Gol", "Har", "Ivo", "Jen", "Kov", "Lam", "Mül",
            "Nor", "Ost", "Pet", "Qui", "Ros", "Sø", "Tor", "Urb", "Vel", "Wal", "Xen", "Yar",
            "Zan",
        ];
        const L2: [&str; 20] = [
            "mann", "son", "ez", "ini", "ová", "sky", "berg", "ley", "ford", "ard", "ic", "ov",
            "ens", "aux", "elli", "quist", "dottir", "hurst", "wood", "nez",
        ];
        let first: Vec<String> = F1
            .iter()
            .flat_map(|a| F2.iter().map(move |b| format!("{a}{b}")))
            .collect();
        let last: Vec<String> = L1
            .iter()
            .flat_map(|a| L2.iter().map(move |b| format!("{a}{b}")))
            .collect();
        let tokens = |v: &[String]| {
            v.iter()
                .flat_map(|n| crypto::name_tokens(n))
                .collect::<std::collections::HashSet<String>>()
        };
        let (f, l) = (tokens(&first), tokens(&last));
        if f.len() != first.len() || l.len() != last.len() || !f.is_disjoint(&l) {
            bail!("the name lists are not distinct words");
        }
        Ok(Self { first, last })
    }
}

/// The email's local part in plain ASCII.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' => 'e',
            'ü' => 'u',
            'ø' => 'o',
            'á' => 'a',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

/// One seeded person (one visitor, one conversation).
#[derive(Debug, Clone)]
struct Person {
    first: usize,
    last: usize,
    email: String,
}

fn person(names: &Names, i: usize, rng: &mut Rng) -> Person {
    let (first, last) = (rng.below(names.first.len()), rng.below(names.last.len()));
    let email = format!(
        "{}.{}.{i}@example.com",
        ascii(&names.first[first]),
        ascii(&names.last[last])
    );
    Person { first, last, email }
}

/// The widget of the `i`-th conversation: every tenth is the 10k export's, every hundredth
/// (offset, so they never coincide) the 1k export's, the rest round the others.
fn widget_of(i: usize) -> &'static str {
    if i % 10 == 3 {
        EXPORT_10K
    } else if i % 100 == 7 {
        EXPORT_1K
    } else {
        OTHERS[i % OTHERS.len()]
    }
}

/// Where the `i`-th conversation stands at the end: most closed, some open, some left while
/// nobody was online.
fn status_of(i: usize) -> (bool, bool) {
    // (open, offline)
    match i % 20 {
        0 => (true, false),
        1 => (false, true),
        _ => (false, false),
    }
}

/// A sealed store in `dir` as the server opens it: the key store beside the database.
async fn open_store(
    dir: &Path,
    master: &MasterKey,
    clock: Arc<dyn Clock>,
    durability: Durability,
) -> anyhow::Result<Store> {
    let keys = Arc::new(
        KeyStore::open(
            &dir.join("keys.db"),
            KeyRing::new(master.clone()),
            durability == Durability::Full,
        )
        .await
        .map_err(|e| anyhow!("key store: {e}"))?,
    );
    let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.join("confide.db").display()))
        .map_err(|e| anyhow!(e))?;
    Store::open_sealed(
        &url,
        clock,
        StoreOptions {
            durability,
            ..StoreOptions::default()
        },
        keys,
    )
    .await
}

/// A seeded conversation, for the message phase.
struct Seeded {
    id: i64,
    key: Arc<Secret>,
    started_at: i64,
    open: bool,
}

/// The conversations, through the store's own functions, from `tasks` concurrent tasks.
async fn seed_conversations(
    store: &Store,
    clock: &Arc<ManualClock>,
    args: &Args,
    names: &Arc<Names>,
    people: &Arc<Vec<Person>>,
) -> anyhow::Result<Vec<Seeded>> {
    let mut widget_ids = std::collections::HashMap::new();
    for key in [EXPORT_10K, EXPORT_1K].iter().chain(OTHERS.iter()) {
        let k = WidgetKey::parse(key).map_err(|e| anyhow!("{e:?}"))?;
        store.ensure_widget(&k, key).await?;
        widget_ids.insert(*key, store.widget_by_key(&k).await?.id);
    }
    let widget_ids = Arc::new(widget_ids);
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let step = SPREAD_DAYS * DAY_MS / args.conversations as i64;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.tasks {
        let (store, clock, names, people) = (
            store.clone(),
            Arc::clone(clock),
            Arc::clone(names),
            Arc::clone(people),
        );
        let (next, done, widget_ids, total) = (
            Arc::clone(&next),
            Arc::clone(&done),
            Arc::clone(&widget_ids),
            args.conversations,
        );
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let p = &people[i];
                let widget_id = widget_ids[widget_of(i)];
                clock.advance_ms(step);
                let started_at = clock.now_ms();
                let token = format!("history-bench-visitor-{i}");
                let visitor = store
                    .create_visitor(
                        widget_id,
                        &confide_server::auth::token_hash(&token),
                        TOKEN_TTL_MS,
                    )
                    .await?;
                let details = VisitorDetails {
                    name: Some(format!("{} {}", names.first[p.first], names.last[p.last])),
                    email: Some(p.email.clone()),
                    ..VisitorDetails::default()
                };
                let (open, offline) = status_of(i);
                let id = store
                    .create_conversation(NewConversation {
                        widget_id,
                        visitor_id: visitor,
                        offline,
                        receipt_id: None,
                        details: Some(&details),
                    })
                    .await?;
                // The data key the writer would seal this conversation's messages with.
                let key = store.conversation_key(id).await?;
                out.push(Seeded {
                    id: id.0,
                    key,
                    started_at,
                    open,
                });
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n % 10_000 == 0 {
                    say(format!(
                        "seed: {n} conversations ({:.0}/s)",
                        n as f64 / started.elapsed().as_secs_f64()
                    ));
                }
            }
            anyhow::Ok(out)
        }));
    }
    let mut all = Vec::with_capacity(args.conversations);
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort_by_key(|s| s.id);
    Ok(all)
}

/// The messages: sealed as the writer seals them, inserted in big transactions on a
/// connection of their own; each conversation's counters as the writer leaves them
/// (`last_seq`, `last_at`, `unread`), and its status.
async fn seed_messages(
    db: &Path,
    seeded: &[Seeded],
    per: usize,
    operator: i64,
) -> anyhow::Result<u64> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::{ConnectOptions as _, Connection as _};
    let mut conn = SqliteConnectOptions::new()
        .filename(db)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await?;
    let texts: Vec<MessageText> = TEXTS
        .iter()
        .map(|t| MessageText::parse(t).map_err(|e| anyhow!("{e:?}")))
        .collect::<anyhow::Result<_>>()?;
    let client_ids: Vec<ClientMsgId> = (1..=per)
        .map(|seq| ClientMsgId::parse(&format!("seed-msg-{seq:04}")).map_err(|e| anyhow!(e)))
        .collect::<anyhow::Result<_>>()?;
    let insert = format!(
        "INSERT INTO messages (conversation_id, seq, client_id, author, operator_id, body, sealed, at) VALUES {}",
        vec!["(?, ?, ?, ?, ?, '', ?, ?)"; per].join(", ")
    );
    let started = Instant::now();
    let mut stored = 0u64;
    for chunk in seeded.chunks(2_000) {
        let mut tx = conn.begin().await?;
        for s in chunk {
            let mut q = sqlx::query(&insert);
            let mut last_at = s.started_at;
            let mut unread = 0i64;
            for seq in 1..=per {
                let visitor = seq % 2 == 1;
                let text = &texts[(seq - 1) % texts.len()];
                let at = s.started_at + seq as i64 * 20_000;
                last_at = at;
                unread += i64::from(visitor);
                let sealed = crypto::seal(
                    &s.key,
                    &crypto::ad("messages.body", &format!("{}:{seq}", s.id)),
                    text.as_str().as_bytes(),
                )?;
                q = q
                    .bind(s.id)
                    .bind(seq as i64)
                    .bind(client_ids[seq - 1].as_str())
                    .bind(if visitor { "visitor" } else { "operator" })
                    .bind(if visitor { None } else { Some(operator) })
                    .bind(sealed)
                    .bind(at);
            }
            q.execute(&mut *tx).await?;
            sqlx::query(
                "UPDATE conversations SET last_seq = ?, last_at = ?, unread = ?, open = ? \
                 WHERE id = ?",
            )
            .bind(per as i64)
            .bind(last_at)
            .bind(unread)
            .bind(s.open)
            .bind(s.id)
            .execute(&mut *tx)
            .await?;
            stored += per as u64;
        }
        tx.commit().await?;
        if stored % 100_000 < (2_000 * per) as u64 {
            say(format!(
                "seed: {stored} messages ({:.0}/s)",
                stored as f64 / started.elapsed().as_secs_f64()
            ));
        }
    }
    conn.close().await?;
    Ok(stored)
}

/// One search: the query, and how many conversations match it (known from the seed).
#[derive(Debug, Clone)]
struct Case {
    q: HistoryQuery,
    matches: usize,
}

/// Percentiles of latencies in ms.
fn stats(mut times: Vec<f64>) -> Value {
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    json!({
        "n": times.len(),
        "p50_ms": r(pct(&times, 50.0), 3),
        "p95_ms": r(pct(&times, 95.0), 3),
        "p99_ms": r(pct(&times, 99.0), 3),
        "mean_ms": r(mean, 3),
        "min_ms": r(times.first().copied().unwrap_or(f64::NAN), 3),
        "max_ms": r(times.last().copied().unwrap_or(f64::NAN), 3),
    })
}

/// Whether a page holds what the case matches: as many rows as match, up to a page; every
/// row of an email search has that email, every row of a name search that first name.
fn right_page(c: &Case, rows: &[confide_protocol::history::HistoryRow], more: bool) -> bool {
    let page = confide_protocol::history::HISTORY_PAGE as usize;
    rows.len() == c.matches.min(page)
        && more == (c.matches > page)
        && rows.iter().all(|row| {
            c.q.email
                .as_ref()
                .is_none_or(|e| row.email.as_deref() == Some(e))
                && c.q.name.as_ref().is_none_or(|n| {
                    row.name
                        .as_deref()
                        .is_some_and(|have| have.split(' ').next() == Some(n.as_str()))
                })
        })
}

/// The first page of each case, on the store: `Store::history_count` (the "N that match" the
/// page shows) then `Store::history` (the page), as `GET /api/admin/conversations` calls
/// them; the first `warmup` cases are not counted.
async fn time_history(store: &Store, cases: &[Case], warmup: usize) -> anyhow::Result<Value> {
    let (mut page, mut count, mut both) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rows, mut more_pages, mut matches, mut wrong) = (0usize, 0usize, 0usize, 0usize);
    for (i, c) in cases.iter().enumerate() {
        let t = Instant::now();
        let total = store.history_count(&c.q).await?;
        let count_ms = ms(t.elapsed());
        let t = Instant::now();
        let (found, more) = store.history(&c.q).await?;
        let page_ms = ms(t.elapsed());
        if total != c.matches as u64 || !right_page(c, &found, more) {
            wrong += 1;
        }
        if i >= warmup {
            page.push(page_ms);
            count.push(count_ms);
            both.push(page_ms + count_ms);
            rows += found.len();
            more_pages += usize::from(more);
            matches += c.matches;
        }
    }
    if wrong > 0 {
        bail!("{wrong} history pages did not hold what matches");
    }
    let runs = cases.len().saturating_sub(warmup).max(1);
    let page = stats(page);
    Ok(json!({
        "runs": runs,
        "p50_ms": page["p50_ms"],
        "p95_ms": page["p95_ms"],
        "page": page,
        "count": stats(count),
        "page_and_count": stats(both),
        "rows_per_page": r(rows as f64 / runs as f64, 1),
        "pages_with_more": more_pages,
        "matching_conversations_mean": r(matches as f64 / runs as f64, 1),
    }))
}

/// The same searches as the console makes them: `GET /api/admin/conversations` on the real
/// server, signed in (each page served also writes its audit entry).
async fn time_http(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    cases: &[Case],
    warmup: usize,
) -> anyhow::Result<Value> {
    use confide_protocol::history::{percent_encode, HistoryPage};
    let mut times = Vec::new();
    let mut wrong = 0usize;
    for (i, c) in cases.iter().enumerate() {
        let mut query = Vec::new();
        if let Some(e) = &c.q.email {
            query.push(format!("email={}", percent_encode(e)));
        }
        if let Some(n) = &c.q.name {
            query.push(format!("name={}", percent_encode(n)));
        }
        let url = format!("{base}/api/admin/conversations?{}", query.join("&"));
        let t = Instant::now();
        let res = client
            .get(&url)
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await?;
        let status = res.status();
        let body = res.bytes().await?;
        let took = ms(t.elapsed());
        if !status.is_success() {
            bail!("GET /api/admin/conversations answered {status}");
        }
        let page: HistoryPage = serde_json::from_slice(&body)?;
        if page.total != c.matches as u64 || !right_page(c, &page.conversations, page.more) {
            wrong += 1;
        }
        if i >= warmup {
            times.push(took);
        }
    }
    if wrong > 0 {
        bail!("{wrong} pages served did not hold what matches");
    }
    let s = stats(times);
    Ok(json!({ "p50_ms": s["p50_ms"], "p95_ms": s["p95_ms"], "latency": s }))
}

// ---- the real server ---------------------------------------------------------------------

/// `VmRSS` and `VmHWM` of a process, in bytes.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The running server: killed when dropped (on errors too).
struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then at most 10 s for a clean exit (SIGKILL after that, by drop).
    fn stop(mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn log_tail(&self) -> String {
        let log = self.log.lock().map(|l| l.clone()).unwrap_or_default();
        let start = log.len().saturating_sub(2_000);
        log.get(start..).unwrap_or_default().to_owned()
    }
}

/// The server's settings: this folder's database, key store and master key; loopback on a
/// port the system picks; no assets (the API is all this needs); the purge far off; the
/// per-operator limit on data requests lifted. Everything else is the default (durability
/// full, a secure cookie).
fn server_command(bin: &Path, root: &Path) -> Command {
    let data = root.join("data");
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CONFIDE_BIND", "127.0.0.1:0")
        .env("CONFIDE_DATA_DIR", &data)
        .env(
            "CONFIDE_DATABASE_URL",
            format!("sqlite://{}", data.join("confide.db").display()),
        )
        .env("CONFIDE_KEY_STORE", data.join("keys.db"))
        .env("CONFIDE_ENCRYPTION_KEY_FILE", root.join("master.key"))
        .env("CONFIDE_ASSETS_DIR", root.join("no-assets"))
        .env("CONFIDE_LOG", "warn")
        .env("CONFIDE_PURGE_INTERVAL_MINUTES", "10080")
        // The bench's searches come faster than an operator's (120 a minute by default).
        .env("CONFIDE_DATA_REQUESTS_PER_OPERATOR_PER_MINUTE", "1000000")
        .current_dir(root);
    cmd
}

/// `confide operator add` with the password on stdin, as an operator would script it.
fn add_admin(bin: &Path, root: &Path, email: &str, password: &str) -> anyhow::Result<()> {
    let mut child = server_command(bin, root)
        .args([
            "operator",
            "add",
            "--email",
            email,
            "--name",
            "Bench Admin",
            "--role",
            "admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start `confide operator add`")?;
    child
        .stdin
        .take()
        .ok_or_else(|| anyhow!("no stdin"))?
        .write_all(format!("{password}\n").as_bytes())?;
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            if status.success() {
                return Ok(());
            }
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            bail!("`confide operator add` failed: {}", err.trim());
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            bail!("`confide operator add` ran past 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `confide serve` and waits (at most `limit`) for its banner.
fn start_server(bin: &Path, root: &Path, limit: Duration) -> anyhow::Result<Server> {
    let mut child = server_command(bin, root)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take();
    let stdout = child.stdout.take();
    // From here on the child is killed on every way out.
    let mut server = Server {
        child,
        url: String::new(),
        log: Arc::clone(&log),
    };
    if let Some(mut stderr) = stderr {
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut l) = log.lock() {
                    l.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
    }
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(stdout) = stdout {
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let _ = tx.send(first);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
    }
    let first = rx.recv_timeout(limit).map_err(|_| {
        anyhow!(
            "the server printed no address within {limit:?}: {}",
            server.log_tail()
        )
    })?;
    server.url = first
        .trim()
        .strip_prefix("Confide listening on ")
        .ok_or_else(|| anyhow!("unexpected banner {first:?}: {}", server.log_tail()))?
        .to_owned();
    Ok(server)
}

/// Signs in; returns the session cookie pair.
async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let res = client
        .post(format!("{base}/api/operator/login"))
        .header(reqwest::header::ORIGIN, base)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("sign-in refused: {}", res.status());
    }
    let cookie = res
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow!("sign-in set no cookie"))?
        .to_owned();
    Ok(cookie)
}

/// The largest VmRSS seen, sampled every 5 ms until stopped.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (Arc::clone(&stop), Arc::clone(&peak));
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some((rss, _)) = memory(pid) {
                    p.fetch_max(rss, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// One export, read as a stream: bytes and rows counted, nothing kept; the server's memory
/// before, during and after. `reset_hwm`: VmHWM is set back to the current RSS first
/// (`/proc/PID/clear_refs`), so the figure after is this export's own peak.
async fn export_once(
    client: &reqwest::Client,
    server: &Server,
    cookie: &str,
    widget: &str,
    conversations: usize,
    expected_rows: u64,
    reset_hwm: bool,
) -> anyhow::Result<Value> {
    let pid = server.pid();
    let hwm_reset = reset_hwm && std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
    let (rss_before, hwm_before) = memory(pid).ok_or_else(|| anyhow!("no /proc/{pid}/status"))?;
    let path = format!("/api/admin/export?format=csv&rows=messages&widget={widget}");
    let sampler = Sampler::start(pid);
    let started = Instant::now();
    let sent = client
        .get(format!("{}{path}", server.url))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await;
    let mut res = match sent {
        Ok(res) => res,
        Err(e) => {
            sampler.finish();
            return Err(e.into());
        }
    };
    let ttfb = ms(started.elapsed());
    let status = res.status();
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut bytes = 0u64;
    let mut lines = 0u64;
    let mut head: Vec<u8> = Vec::new();
    let mut ends_with_newline = true;
    let mut chunks = 0u64;
    let mut progress: Vec<Value> = Vec::new();
    loop {
        let chunk = match res.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                sampler.finish();
                return Err(anyhow!("the export broke off after {bytes} bytes: {e}"));
            }
        };
        chunks += 1;
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        // The server's RSS at every tenth of the rows: flat when memory is bounded.
        if expected_rows > 0 && lines * 10 / expected_rows.max(1) > progress.len() as u64 {
            if let Some((rss, _)) = memory(pid) {
                progress.push(json!([lines.saturating_sub(1), rss]));
            }
        }
        ends_with_newline = chunk.last() == Some(&b'\n');
        if head.len() < 4096 && !head.contains(&b'\n') {
            head.extend_from_slice(&chunk[..chunk.len().min(4096)]);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let peak_sampled = sampler.finish();
    let (rss_after, hwm_after) = memory(pid).ok_or_else(|| anyhow!("no /proc/{pid}/status"))?;
    if !status.is_success() {
        let body = String::from_utf8_lossy(&head)
            .chars()
            .take(300)
            .collect::<String>();
        return Ok(json!({
            "path": path,
            "status": status.as_u16(),
            "error": body,
        }));
    }
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    // The header line (column names only: no personal data).
    let header = String::from_utf8_lossy(&head)
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let records = lines + u64::from(!ends_with_newline && bytes > 0);
    let rows = records.saturating_sub(1);
    Ok(json!({
        "path": path,
        "status": status.as_u16(),
        "content_type": content_type,
        "conversations": conversations,
        "expected_rows": expected_rows,
        "rows": rows,
        "rows_as_expected": rows == expected_rows,
        "bytes": bytes,
        "chunks": chunks,
        "bom": bom,
        "header": header,
        "ttfb_ms": r(ttfb, 1),
        "secs": r(secs, 3),
        "rows_per_sec": r(rows as f64 / secs, 0),
        "mib_per_sec": r(bytes as f64 / secs / 1_048_576.0, 2),
        "rss_before_bytes": rss_before,
        "rss_after_bytes": rss_after,
        "hwm_before_bytes": hwm_before,
        "hwm_after_bytes": hwm_after,
        "hwm_reset_before": hwm_reset,
        "peak_growth_bytes": hwm_after.saturating_sub(rss_before),
        "rss_peak_sampled_bytes": peak_sampled,
        "rss_by_rows": progress,
    }))
}

/// What the real server measured: the searches as served, and the export.
#[derive(Debug, Default)]
struct Served {
    search: Value,
    export: Value,
    notes: Vec<String>,
}

/// The real server on the seeded folder: an admin added with the CLI, signed in; the
/// searches over HTTP; then the exports, with the server's memory around each. A missing
/// binary or export endpoint is a note, not a failure.
async fn server_phase(
    bin: &Path,
    root: &Path,
    (n10k, n1k, n_largest, per): (usize, usize, usize, usize),
    cases: &[(&str, Vec<Case>)],
    warmup: usize,
) -> anyhow::Result<Served> {
    let mut out = Served::default();
    if !bin.is_file() {
        out.notes.push(format!(
            "the server was not measured: no binary at {}",
            bin.display()
        ));
        return Ok(out);
    }
    let (email, password) = ("bench-admin@example.com", "history-bench-password-1");
    say("server: adding an admin with `confide operator add`");
    add_admin(bin, root, email, password)?;
    say("server: starting");
    let t = Instant::now();
    let server = start_server(bin, root, Duration::from_secs(120))?;
    let start_secs = t.elapsed().as_secs_f64();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .connect_timeout(Duration::from_secs(10))
        .no_proxy()
        .build()?;
    let cookie = sign_in(&client, &server.url, email, password).await?;
    let (rss_signed_in, hwm_signed_in) =
        memory(server.pid()).ok_or_else(|| anyhow!("no /proc status"))?;

    say("server: searches over HTTP");
    let mut search = serde_json::Map::new();
    for (kind, list) in cases {
        let timed = time_http(&client, &server.url, &cookie, list, warmup)
            .await
            .map_err(|e| anyhow!("{e}; server log: {}", server.log_tail()))?;
        search.insert((*kind).to_owned(), timed);
    }
    out.search = Value::Object(search);

    // Five exports, each read to its end: the 1k selection first (it pays what a server
    // grows once whatever the size: the connections' page caches, allocator arenas), the 10k
    // twice, a widget of about 30k (three times the rows: memory that follows the export's
    // size would show here), then the 1k again. VmHWM is set back to the RSS before each, so
    // each peak is its own.
    let mut runs = serde_json::Map::new();
    for (name, widget, n) in [
        ("first", EXPORT_1K, n1k),
        ("large", EXPORT_10K, n10k),
        ("large_again", EXPORT_10K, n10k),
        ("largest", OTHERS[0], n_largest),
        ("small", EXPORT_1K, n1k),
    ] {
        say(format!("server: export of {n} conversations ({name})"));
        let v = export_once(&client, &server, &cookie, widget, n, (n * per) as u64, true).await?;
        if v["status"].as_u64() == Some(404) {
            out.notes.push(
                "export not measured: GET /api/admin/export answered 404 (not in this server yet)"
                    .into(),
            );
            server.stop();
            return Ok(out);
        }
        if v.get("error").is_some() {
            bail!("the export failed: {v}; server log: {}", server.log_tail());
        }
        runs.insert(name.to_owned(), v);
    }
    let (rss_end, hwm_end) = memory(server.pid()).ok_or_else(|| anyhow!("no /proc status"))?;
    let clean = server.stop();
    let bytes = |name: &str, k: &str| runs[name][k].as_u64().unwrap_or(0);
    // What the server held before the first export; each export's peak above it.
    let baseline = bytes("first", "rss_before_bytes");
    let ratio = |a: u64, b: u64| {
        if b > 0 {
            Value::from(r(a as f64 / b as f64, 2))
        } else {
            Value::Null
        }
    };
    let hwm_reset = runs
        .values()
        .all(|v| v["hwm_reset_before"].as_bool() == Some(true));
    if !hwm_reset {
        out.notes.push(
            "VmHWM could not be reset between exports (/proc/PID/clear_refs): the peaks after \
             the first are the process's highest so far; the sampled peaks are each export's own"
                .into(),
        );
    }
    let mut export = json!({
        "server_start_secs": r(start_secs, 2),
        "rss_signed_in_bytes": rss_signed_in,
        "hwm_signed_in_bytes": hwm_signed_in,
        "rss_end_bytes": rss_end,
        "hwm_end_bytes": hwm_end,
        "hwm_reset_between_exports": hwm_reset,
        "stopped_cleanly": clean,
        "baseline_rss_bytes": baseline,
        "peak_above_baseline_bytes": runs
            .iter()
            .map(|(k, v)| {
                let peak = v["hwm_after_bytes"].as_u64().unwrap_or(0);
                (k.clone(), Value::from(peak.saturating_sub(baseline)))
            })
            .collect::<serde_json::Map<_, _>>(),
        "peak_ratio_large_to_small": ratio(
            bytes("large", "hwm_after_bytes"),
            bytes("small", "hwm_after_bytes"),
        ),
    });
    for (name, v) in runs {
        export[name] = v;
    }
    out.export = export;
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let started = Instant::now();
    let load_start = loadavg();
    let mut notes: Vec<String> = Vec::new();
    let names = Arc::new(Names::new()?);
    let mut rng = Rng(0x1417_2026);
    let people: Arc<Vec<Person>> = Arc::new(
        (0..args.conversations)
            .map(|i| person(&names, i, &mut rng))
            .collect(),
    );

    let root = tempfile::tempdir()?;
    let data = root.path().join("data");
    std::fs::create_dir(&data)?;
    let master = MasterKey::generate()?;
    master.write_file(&root.path().join("master.key"))?;

    // ---- seeding ----
    say(format!(
        "seed: {} conversations × {} messages, {} tasks",
        args.conversations, args.messages, args.tasks
    ));
    let limit = Duration::from_secs(args.seed_limit_secs);
    let seed_started = Instant::now();
    let now = SystemClock.now_ms();
    let clock = Arc::new(ManualClock::new(now - SPREAD_DAYS * DAY_MS - DAY_MS));
    let store = open_store(
        &data,
        &master,
        Arc::clone(&clock) as Arc<dyn Clock>,
        Durability::Normal,
    )
    .await?;
    // The operator who answered (messages keep their author's row).
    let agent = store
        .add_operator(
            "agent@example.com",
            "Agent Smith",
            "agent",
            confide_server::auth::dummy_hash(),
        )
        .await?;
    let seeded = tokio::time::timeout(
        limit,
        seed_conversations(&store, &clock, &args, &names, &people),
    )
    .await
    .map_err(|_| anyhow!("seeding the conversations ran past {limit:?}"))??;
    let conversations_secs = seed_started.elapsed().as_secs_f64();
    say(format!(
        "seed: {} conversations in {conversations_secs:.1} s",
        seeded.len()
    ));
    store.close().await;
    let messages_started = Instant::now();
    let left = limit.saturating_sub(seed_started.elapsed());
    let stored = tokio::time::timeout(
        left,
        seed_messages(&data.join("confide.db"), &seeded, args.messages, agent),
    )
    .await
    .map_err(|_| anyhow!("seeding the messages ran past {limit:?} in all"))??;
    let messages_secs = messages_started.elapsed().as_secs_f64();
    drop(seeded);
    let seed_secs = seed_started.elapsed().as_secs_f64();
    say(format!(
        "seed: {stored} messages in {messages_secs:.1} s; {seed_secs:.1} s in all"
    ));

    // ---- the searches: a random person's email, a random first name, no filter ----
    let mut per_first = vec![0usize; names.first.len()];
    for p in people.iter() {
        per_first[p.first] += 1;
    }
    let n = args.warmup + args.runs;
    let cases = |seed: u64| {
        let mut pick = Rng(seed);
        let email: Vec<Case> = (0..n)
            .map(|_| Case {
                q: HistoryQuery {
                    email: Some(people[pick.below(people.len())].email.clone()),
                    ..HistoryQuery::default()
                },
                matches: 1,
            })
            .collect();
        let name: Vec<Case> = (0..n)
            .map(|_| {
                let f = pick.below(names.first.len());
                Case {
                    q: HistoryQuery {
                        name: Some(names.first[f].clone()),
                        ..HistoryQuery::default()
                    },
                    matches: per_first[f],
                }
            })
            .collect();
        let none = vec![
            Case {
                q: HistoryQuery::default(),
                matches: args.conversations,
            };
            n
        ];
        vec![("email", email), ("name", name), ("none", none)]
    };

    // On the store reopened as the server opens it.
    let store = open_store(&data, &master, Arc::new(SystemClock), Durability::Full).await?;
    let counts = json!({
        "conversations": store.conversation_count().await?,
        "messages": store.message_count().await?,
        "visitors": store.visitor_count().await?,
    });
    if counts["messages"].as_u64() != Some((args.conversations * args.messages) as u64) {
        bail!("seeded {counts}, not what was asked");
    }
    say(format!(
        "search: {} runs each after {} warm-up",
        args.runs, args.warmup
    ));
    let search_started = Instant::now();
    let mut search = serde_json::Map::new();
    for (kind, list) in cases(0x005E_A2C4) {
        search.insert(
            kind.to_owned(),
            time_history(&store, &list, args.warmup).await?,
        );
    }
    let search_secs = search_started.elapsed().as_secs_f64();
    store.close().await;
    let folder_bytes = dir_bytes(&data);

    // ---- the real server: the searches as served, and the export ----
    let per_widget = |key: &str| {
        (0..args.conversations)
            .filter(|&i| widget_of(i) == key)
            .count()
    };
    let (n10k, n1k, n_largest) = (
        per_widget(EXPORT_10K),
        per_widget(EXPORT_1K),
        per_widget(OTHERS[0]),
    );
    let bin = match &args.server {
        Some(b) => b.clone(),
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .map(|d| d.join("confide"))
            .ok_or_else(|| anyhow!("cannot find the server binary"))?,
    };
    let served = if args.export {
        let t = Instant::now();
        let served = tokio::time::timeout(
            Duration::from_secs(600),
            server_phase(
                &bin,
                root.path(),
                (n10k, n1k, n_largest, args.messages),
                &cases(0x005E_2FED),
                args.warmup,
            ),
        )
        .await
        .map_err(|_| anyhow!("the server phase ran past 600 s"))??;
        say(format!(
            "server: done in {:.1} s",
            t.elapsed().as_secs_f64()
        ));
        served
    } else {
        Served {
            notes: vec!["the server was not measured: --no-export".into()],
            ..Served::default()
        }
    };
    notes.extend(served.notes);
    notes.push(
        "conversations, visitors, data keys and pre-chat details were created through the \
         store's own functions (create_visitor, create_conversation: details sealed and \
         blind-indexed as the server does)"
            .into(),
    );
    notes.push(format!(
        "the {} messages bypassed the writer: inserted by SQL in transactions of 2,000 \
         conversations, each body sealed with crypto::seal under its conversation's data key \
         with the writer's associated data (messages.body, conversation:seq); last_seq, \
         last_at, unread and open set by the same SQL (the writer stores about 5,000 \
         messages/s, see issue 13's section: minutes for a million)",
        thousands(stored)
    ));
    notes.push(
        "the server ran on the seeded folder itself (after the bench's store was closed), not \
         on a copy"
            .into(),
    );
    let out = json!({
        "loadavg_start": load_start,
        "loadavg_end": loadavg(),
        "secs": r(started.elapsed().as_secs_f64(), 1),
        "seed": {
            "conversations": args.conversations,
            "messages_per_conversation": args.messages,
            "counts": counts,
            "widgets": {
                EXPORT_10K: n10k,
                EXPORT_1K: n1k,
                OTHERS[0]: n_largest,
                "others": OTHERS.len(),
            },
            "first_names": names.first.len(),
            "last_names": names.last.len(),
            "conversations_per_first_name_min": per_first.iter().min(),
            "conversations_per_first_name_max": per_first.iter().max(),
            "tasks": args.tasks,
            "conversations_secs": r(conversations_secs, 1),
            "messages_secs": r(messages_secs, 1),
            "secs": r(seed_secs, 1),
            "durability": "normal",
            "folder_bytes": folder_bytes,
        },
        "search": {
            "durability": "full",
            "page": confide_protocol::history::HISTORY_PAGE,
            "warmup": args.warmup,
            "runs": args.runs,
            "secs": r(search_secs, 1),
            "store": Value::Object(search),
            "http": served.search,
        },
        "export": served.export,
        "notes": notes,
    });
    println!("{out}");
    Ok(())
}
