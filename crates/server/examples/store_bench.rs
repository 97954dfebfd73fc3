//! Issue 13's numbers, measured on the real store (`cargo xtask bench` runs this; by hand:
//! `cargo run --profile server -p confide-server --example store_bench -- --secs 6`).
//!
//! 1. **The write path.** Messages go through the real batching writer of a real SQLite store
//!    (sealed, as the server always runs it) from `--writers` tasks, each sending its next
//!    message as soon as the previous one is acknowledged, at `durability = full` and
//!    `normal`: acked messages/s and ack p50/p99. The store has no unsealed write path (the
//!    writer refuses to store a message without a data key), so "sealing off" cannot be run;
//!    instead what sealing adds to each message is timed on its own: the seal of an 80-byte
//!    body (XChaCha20-Poly1305 with a random nonce, associated data included), the lookup of
//!    the conversation's data key (the writer's query, then the key store's cache), and set
//!    against the wall time per acknowledged message.
//! 2. **The purge.** 100,000 messages (1,000 conversations × 100) are stored through the
//!    writer at a manual clock's time; the clock moves past the transcript period (6 months by
//!    default); the retention job (`jobs::purge_once`) then runs while a live sender appends
//!    messages to fresh conversations at a steady rate: the purge's wall time, and the live
//!    messages' ack latency before and during it.
//!
//! Prints one JSON object on stdout (progress goes to stderr). Every phase is bounded.

use anyhow::{anyhow, Context as _};
use confide_protocol::chat::{Author, ClientMsgId, ConversationId, MessageText};
use confide_protocol::WidgetKey;
use confide_server::clock::{Clock, ManualClock, SystemClock};
use confide_server::config::DatabaseUrl;
use confide_server::crypto::{self, MasterKey, Secret};
use confide_server::keystore::{KeyRing, KeyStore};
use confide_server::store::{Durability, NewConversation, Store, StoreOptions};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
use common::{ms, pct, r};

/// A typical chat message: 80 bytes.
const TEXT: &str =
    "Hi! I ordered the blue jacket last week and it has not arrived yet. Order 48213.";
/// How long a visitor's token lives (as the server gives it).
const TOKEN_TTL_MS: i64 = confide_server::chat::admission::TOKEN_TTL_MS;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone)]
struct Args {
    /// Measured seconds of each write phase (after one second of warm-up).
    secs: f64,
    writers: usize,
    /// The purge phase: conversations × messages each.
    conversations: usize,
    messages: usize,
    /// Live messages per second during the purge phase.
    live_rate: u32,
    skip_purge: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        secs: 6.0,
        writers: 32,
        conversations: 1_000,
        messages: 100,
        live_rate: 100,
        skip_purge: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow!("{flag} needs a value"))
                .and_then(|v| v.parse::<f64>().map_err(|e| anyhow!("{flag}: {e}")))
        };
        match flag.as_str() {
            "--secs" => a.secs = value()?.clamp(1.0, 15.0),
            "--writers" => a.writers = value()?.clamp(1.0, 1024.0) as usize,
            "--conversations" => a.conversations = value()?.clamp(1.0, 10_000.0) as usize,
            "--messages" => a.messages = value()?.clamp(1.0, 1_000.0) as usize,
            "--live-rate" => a.live_rate = value()?.clamp(1.0, 1_000.0) as u32,
            "--no-purge" => a.skip_purge = true,
            other => {
                return Err(anyhow!(
                    "unknown option {other}; options: --secs N --writers N --conversations N \
                     --messages N --live-rate N --no-purge"
                ))
            }
        }
    }
    Ok(a)
}

fn say(what: impl std::fmt::Display) {
    eprintln!("store_bench: {what}");
}

/// User + system CPU time of this process so far (from /proc/self/stat), in seconds.
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here (0-based 11, 12).
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // Linux reports these in USER_HZ, 100 on every architecture it runs on.
    Some(ticks / 100.0)
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

/// A sealed store in `dir` as the server opens it: the key store beside the database,
/// durable like it.
async fn open_store(
    dir: &Path,
    master: &MasterKey,
    clock: Arc<dyn Clock>,
    durability: Durability,
    messages_per_conversation: u64,
) -> anyhow::Result<(Store, Arc<KeyStore>)> {
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
    let store = Store::open_sealed(
        &url,
        clock,
        StoreOptions {
            durability,
            messages_per_conversation,
        },
        Arc::clone(&keys),
    )
    .await?;
    Ok((store, keys))
}

async fn bench_widget(store: &Store) -> anyhow::Result<i64> {
    let key = WidgetKey::parse("bench").map_err(|e| anyhow!("{e:?}"))?;
    store.ensure_widget(&key, "Bench widget").await?;
    Ok(store.widget_by_key(&key).await?.id)
}

/// A visitor with an open conversation: (visitor id, conversation).
async fn visitor_with_conversation(
    store: &Store,
    widget_id: i64,
    n: usize,
) -> anyhow::Result<(i64, ConversationId)> {
    let token = format!("bench-visitor-{n}-{}", store.now_ms());
    let visitor = store
        .create_visitor(
            widget_id,
            &confide_server::auth::token_hash(&token),
            TOKEN_TTL_MS,
        )
        .await?;
    let conversation = store
        .create_conversation(NewConversation {
            widget_id,
            visitor_id: visitor,
            ..NewConversation::default()
        })
        .await?;
    Ok((visitor, conversation))
}

fn msg_id(prefix: &str, task: usize, n: u64) -> anyhow::Result<ClientMsgId> {
    ClientMsgId::parse(&format!("{prefix}-{task}-{n:08}")).map_err(|e| anyhow!(e))
}

/// Time per operation over rounds of a fixed number of operations: the median round (a burst
/// of other work on the machine moves it less than a mean), the fastest round, and the
/// process's CPU time per operation over all rounds.
#[derive(Debug, Default)]
struct PerOp {
    rounds: Vec<f64>,
    ops: u64,
    cpu_secs: Option<f64>,
}

impl PerOp {
    fn median_us(&self) -> f64 {
        let mut v = self.rounds.clone();
        v.sort_by(f64::total_cmp);
        pct(&v, 50.0) * 1e6
    }

    fn min_us(&self) -> f64 {
        self.rounds.iter().copied().fold(f64::INFINITY, f64::min) * 1e6
    }

    fn cpu_us(&self) -> Option<f64> {
        self.cpu_secs.map(|c| c * 1e6 / self.ops.max(1) as f64)
    }

    fn json(&self, digits: i32) -> Value {
        json!({
            "median_us": r(self.median_us(), digits),
            "min_us": r(self.min_us(), digits),
            "cpu_us": self.cpu_us().map(|c| r(c, digits)),
            "ops": self.ops,
            "rounds": self.rounds.len(),
        })
    }
}

/// Runs `f` in rounds of `round` calls for about `budget`.
fn per_op(budget: Duration, round: u32, mut f: impl FnMut(u32)) -> PerOp {
    let mut out = PerOp::default();
    let cpu = cpu_secs();
    let started = Instant::now();
    while started.elapsed() < budget {
        let t = Instant::now();
        for i in 0..round {
            f(i);
        }
        out.rounds
            .push(t.elapsed().as_secs_f64() / f64::from(round));
        out.ops += u64::from(round);
    }
    out.cpu_secs = cpu_secs().zip(cpu).map(|(b, a)| b - a);
    out
}

/// What sealing adds to each stored message, each part timed on its own.
async fn sealing_costs(
    keys: &KeyStore,
    db: &Path,
    conversation: ConversationId,
) -> anyhow::Result<Value> {
    let key = Secret::random()?;
    let text = TEXT.as_bytes();
    let mut failed = false;
    // As the writer does: the associated data (table, column, conversation:seq), then the seal.
    let seal = per_op(Duration::from_millis(1500), 500, |i| {
        let ad = crypto::ad("messages.body", &format!("{}:{i}", conversation.0));
        failed |= std::hint::black_box(crypto::seal(&key, &ad, text)).is_err();
    });
    let ad = crypto::ad("messages.body", &format!("{}:1", conversation.0));
    let sealed = crypto::seal(&key, &ad, text)?;
    let open = per_op(Duration::from_millis(500), 500, |_| {
        failed |= std::hint::black_box(crypto::open(&key, &ad, &sealed)).is_err();
    });
    if failed {
        return Err(anyhow!("a seal or open failed"));
    }

    // The data key: the writer's query, through rusqlite on a connection of its own to the
    // same database (as the writer's thread runs it), then the key store's cache.
    let conn = rusqlite::Connection::open(db)?;
    let query = "SELECT v.key_ref FROM conversations c LEFT JOIN visitors v \
                 ON v.id = c.visitor_id WHERE c.id = ?";
    let mut key_ref = Vec::new();
    let mut lookup = PerOp::default();
    let cpu = cpu_secs();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1000) {
        let t = Instant::now();
        for _ in 0..100 {
            let found: Option<Vec<u8>> = conn
                .prepare_cached(query)?
                .query_row([conversation.0], |r| r.get(0))?;
            key_ref = found.ok_or_else(|| anyhow!("no key_ref"))?;
        }
        lookup.rounds.push(t.elapsed().as_secs_f64() / 100.0);
        lookup.ops += 100;
    }
    lookup.cpu_secs = cpu_secs().zip(cpu).map(|(b, a)| b - a);
    drop(conn);
    let mut get = PerOp::default();
    let cpu = cpu_secs();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(500) {
        let t = Instant::now();
        for _ in 0..1000 {
            std::hint::black_box(keys.get(&key_ref).await?);
        }
        get.rounds.push(t.elapsed().as_secs_f64() / 1000.0);
        get.ops += 1000;
    }
    get.cpu_secs = cpu_secs().zip(cpu).map(|(b, a)| b - a);
    let total = seal.median_us() + lookup.median_us() + get.median_us();
    let total_cpu = [&seal, &lookup, &get]
        .iter()
        .map(|p| p.cpu_us())
        .sum::<Option<f64>>();
    Ok(json!({
        "message_bytes": text.len(),
        "sealed_bytes": sealed.len(),
        "seal_us": r(seal.median_us(), 3),
        "seal": seal.json(3),
        "open_us": r(open.median_us(), 3),
        "open": open.json(3),
        "key_lookup_query_us": r(lookup.median_us(), 2),
        "key_lookup_query": lookup.json(2),
        "key_cache_get_us": r(get.median_us(), 3),
        "key_cache_get": get.json(3),
        "per_message_us": r(total, 2),
        "per_message_fastest_us": r(seal.min_us() + lookup.min_us() + get.min_us(), 2),
        "per_message_cpu_us": total_cpu.map(|c| r(c, 2)),
    }))
}

/// Writers send as fast as acks come back, for one second of warm-up and `secs` measured.
async fn write_phase(
    args: &Args,
    durability: Durability,
    with_costs: bool,
) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir()?;
    let master = MasterKey::generate()?;
    let (store, keys) = open_store(
        dir.path(),
        &master,
        Arc::new(SystemClock),
        durability,
        // No conversation fills up during the run.
        10_000_000,
    )
    .await?;
    let widget = bench_widget(&store).await?;
    let mut senders = Vec::new();
    for i in 0..args.writers {
        senders.push(visitor_with_conversation(&store, widget, i).await?);
    }
    let text = MessageText::parse(TEXT).map_err(|e| anyhow!("{e:?}"))?;
    let began = Instant::now();
    let warm_end = began + Duration::from_secs(1);
    let end = warm_end + Duration::from_secs_f64(args.secs);
    let mut tasks = Vec::new();
    for (i, &(visitor, conversation)) in senders.iter().enumerate() {
        let (store, text) = (store.clone(), text.clone());
        tasks.push(tokio::spawn(async move {
            // Ack latencies (ms) of the messages sent and acked in the measured window.
            let mut acks: Vec<f64> = Vec::new();
            let mut n = 0u64;
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let id = msg_id("w", i, n)?;
                n += 1;
                store
                    .append_visitor_message(visitor, conversation, &id, &text)
                    .await
                    .map_err(|e| anyhow!("append: {e}"))?;
                let acked = Instant::now();
                if sent >= warm_end && acked <= end {
                    acks.push(ms(acked - sent));
                }
            }
            anyhow::Ok(acks)
        }));
    }
    // CPU time over the measured window only.
    tokio::time::sleep_until(warm_end.into()).await;
    let cpu_start = cpu_secs();
    let mut acks = Vec::new();
    for t in tasks {
        acks.extend(t.await??);
    }
    let cpu_used = cpu_secs().zip(cpu_start).map(|(b, a)| b - a);
    acks.sort_by(f64::total_cmp);
    let acked = acks.len();
    let per_sec = acked as f64 / args.secs;
    let stored = store.message_count().await?;
    let mut out = json!({
        "durability": match durability { Durability::Full => "full", Durability::Normal => "normal" },
        "writers": args.writers,
        "secs": args.secs,
        "acked": acked,
        "stored_total": stored,
        "acks_per_sec": r(per_sec, 1),
        "wall_us_per_message": r(1e6 / per_sec, 2),
        "cpu_us_per_message": cpu_used.map(|c| r(c * 1e6 / acked.max(1) as f64, 1)),
        "ack_p50_ms": r(pct(&acks, 50.0), 3),
        "ack_p99_ms": r(pct(&acks, 99.0), 3),
        "ack_max_ms": r(acks.last().copied().unwrap_or(f64::NAN), 3),
    });
    if with_costs {
        let db = dir.path().join("confide.db");
        out["sealing"] = sealing_costs(&keys, &db, senders[0].1).await?;
    }
    store.close().await;
    Ok(out)
}

/// One live message: when it was sent and acked, relative to the phase's start (ms).
#[derive(Debug, Clone, Copy)]
struct Live {
    sent: f64,
    acked: f64,
}

async fn purge_phase(args: &Args) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir()?;
    let master = MasterKey::generate()?;
    // 2027-01-15, as the retention tests.
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let total = args.conversations * args.messages;

    // Seeding goes faster at durability normal (fewer fsyncs); the purge itself runs at full,
    // as the server does by default.
    say(format!(
        "purge: seeding {} conversations × {} messages",
        args.conversations, args.messages
    ));
    let seed_started = Instant::now();
    let (store, _) = open_store(
        dir.path(),
        &master,
        Arc::clone(&clock) as Arc<dyn Clock>,
        Durability::Normal,
        5_000,
    )
    .await?;
    let widget = bench_widget(&store).await?;
    let mut conversations = Vec::with_capacity(args.conversations);
    for i in 0..args.conversations {
        conversations.push(visitor_with_conversation(&store, widget, i).await?.1);
    }
    let created_secs = seed_started.elapsed().as_secs_f64();
    let text = MessageText::parse(TEXT).map_err(|e| anyhow!("{e:?}"))?;
    let mut tasks = Vec::new();
    for (i, &conversation) in conversations.iter().enumerate() {
        let (store, text, per) = (store.clone(), text.clone(), args.messages);
        tasks.push(tokio::spawn(async move {
            for n in 0..per as u64 {
                store
                    .append_message(
                        conversation,
                        &msg_id("s", i, n)?,
                        Author::Visitor,
                        None,
                        &text,
                    )
                    .await
                    .map_err(|e| anyhow!("seed: {e}"))?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let seeded = store.message_count().await?;
    if seeded != total as i64 {
        return Err(anyhow!("seeded {seeded} messages, not {total}"));
    }
    let seed_secs = seed_started.elapsed().as_secs_f64();
    store.close().await;
    say(format!("purge: seeded {seeded} in {seed_secs:.1} s"));

    // Past the transcript period (6 months of 30 days by default), and past the tokens' 30
    // days: the visitors and their data keys go too.
    clock.advance_ms(200 * DAY_MS);
    let (store, _) = open_store(
        dir.path(),
        &master,
        Arc::clone(&clock) as Arc<dyn Clock>,
        Durability::Full,
        5_000,
    )
    .await?;
    let bytes_before = dir_bytes(dir.path());
    let mut live_conversations = Vec::new();
    for i in 0..4 {
        live_conversations.push(visitor_with_conversation(&store, widget, 100_000 + i).await?);
    }

    // The live sender: a message every 1/rate s, each sent without waiting for the previous
    // ack (a stall shows as the latency of every message behind it), to four conversations.
    let phase = Instant::now();
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let sender = {
        let (store, text, rate) = (store.clone(), text.clone(), args.live_rate);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut inflight = Vec::new();
            let mut n = 0u64;
            while !*done_rx.borrow() {
                // Timed from when the message was due, so a late start counts as waiting.
                let sent = ticks.tick().await.into_std();
                let (visitor, conversation) = live_conversations[(n % 4) as usize];
                let id = msg_id("live", 0, n)?;
                n += 1;
                let (store, text) = (store.clone(), text.clone());
                inflight.push(tokio::spawn(async move {
                    store
                        .append_visitor_message(visitor, conversation, &id, &text)
                        .await
                        .map_err(|e| anyhow!("live: {e}"))?;
                    anyhow::Ok(Live {
                        sent: ms(sent - phase),
                        acked: ms(Instant::now() - phase),
                    })
                }));
            }
            let mut lives = Vec::new();
            for t in inflight {
                lives.push(t.await??);
            }
            anyhow::Ok(lives)
        })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    say("purge: running the retention purge under live traffic");
    let purge_start = ms(phase.elapsed());
    let config = confide_server::Config::default();
    let counts = tokio::time::timeout(
        Duration::from_secs(45),
        confide_server::jobs::purge_once(&store, &config),
    )
    .await
    .context("the purge ran past 45 s")??;
    let purge_end = ms(phase.elapsed());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = done_tx.send(true);
    let lives = sender.await??;
    let left = store.message_count().await?;
    let bytes_after = dir_bytes(dir.path());
    store.close().await;

    let mut before: Vec<f64> = lives
        .iter()
        .filter(|l| l.acked < purge_start)
        .map(|l| l.acked - l.sent)
        .collect();
    // Every live message whose wait overlapped the purge.
    let mut during: Vec<f64> = lives
        .iter()
        .filter(|l| l.acked >= purge_start && l.sent <= purge_end)
        .map(|l| l.acked - l.sent)
        .collect();
    before.sort_by(f64::total_cmp);
    during.sort_by(f64::total_cmp);
    let purge_secs = (purge_end - purge_start) / 1e3;
    let max_during = during.last().copied().unwrap_or(f64::NAN);
    // When the longest wait began, from the purge's start.
    let worst_at = lives
        .iter()
        .filter(|l| l.acked >= purge_start && l.sent <= purge_end)
        .max_by(|a, b| (a.acked - a.sent).total_cmp(&(b.acked - b.sent)))
        .map(|l| l.sent - purge_start);
    let over = |limit: f64| during.iter().filter(|&&d| d > limit).count();
    Ok(json!({
        "conversations": args.conversations,
        "messages_per_conversation": args.messages,
        "seeded_messages": seeded,
        "seed_create_secs": r(created_secs, 2),
        "seed_secs": r(seed_secs, 2),
        "seed_durability": "normal",
        "purge_durability": "full",
        "clock_advanced_days": 200,
        "purge_secs": r(purge_secs, 3),
        "purged_messages_per_sec": r(counts.messages as f64 / purge_secs, 0),
        "counts": {
            "conversations": counts.conversations,
            "messages": counts.messages,
            "details": counts.details,
            "receipts": counts.receipts,
            "visitors": counts.visitors,
            "sessions": counts.sessions,
            "keys": counts.keys,
        },
        "messages_left": left,
        "folder_bytes_before": bytes_before,
        "folder_bytes_after": bytes_after,
        "live": {
            "rate_per_sec": args.live_rate,
            "conversations": 4,
            "sent": lives.len(),
            "before": {
                "n": before.len(),
                "p50_ms": r(pct(&before, 50.0), 3),
                "p99_ms": r(pct(&before, 99.0), 3),
                "max_ms": r(before.last().copied().unwrap_or(f64::NAN), 3),
            },
            "during": {
                "n": during.len(),
                "p50_ms": r(pct(&during, 50.0), 3),
                "p99_ms": r(pct(&during, 99.0), 3),
                "max_ms": r(max_during, 3),
                "worst_sent_after_purge_start_ms": worst_at.map(|w| r(w, 1)),
                "over_50_ms": over(50.0),
                "over_100_ms": over(100.0),
            },
        },
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let started = Instant::now();
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" / "))
        .unwrap_or_default();
    let mut writes = Vec::new();
    for (durability, costs) in [(Durability::Full, true), (Durability::Normal, false)] {
        say(format!("write path: durability {durability:?}"));
        writes.push(write_phase(&args, durability, costs).await?);
    }
    let sealing = writes[0]
        .as_object_mut()
        .and_then(|w| w.remove("sealing"))
        .unwrap_or(Value::Null);
    let per_message_us = sealing["per_message_us"].as_f64().unwrap_or(f64::NAN);
    let per_message_cpu_us = sealing["per_message_cpu_us"].as_f64().unwrap_or(f64::NAN);
    let fastest_us = sealing["per_message_fastest_us"]
        .as_f64()
        .unwrap_or(f64::NAN);
    let seal_us = sealing["seal_us"].as_f64().unwrap_or(f64::NAN);
    // What the share means: sealing work (its median rounds, and its fastest rounds: on a
    // shared machine the truth is in between) set against the wall time per acked message;
    // the rate without it is an estimate (the store cannot run unsealed), an upper bound since
    // it assumes the writer's serial time shrinks by all of it.
    let shares: Vec<Value> = writes
        .iter()
        .map(|w| {
            let wall = w["wall_us_per_message"].as_f64().unwrap_or(f64::NAN);
            let cpu = w["cpu_us_per_message"].as_f64().unwrap_or(f64::NAN);
            json!({
                "durability": w["durability"],
                "seal_share_of_wall_pct": r(100.0 * seal_us / wall, 2),
                "sealing_share_of_wall_pct": r(100.0 * per_message_us / wall, 2),
                "sealing_share_of_wall_pct_fastest": r(100.0 * fastest_us / wall, 2),
                "sealing_share_of_cpu_pct": r(100.0 * per_message_cpu_us / cpu, 2),
                "estimated_acks_per_sec_unsealed": r(1e6 / (wall - per_message_us), 0),
                "estimated_acks_per_sec_unsealed_fastest": r(1e6 / (wall - fastest_us), 0),
            })
        })
        .collect();
    let purge = if args.skip_purge {
        Value::Null
    } else {
        purge_phase(&args).await?
    };
    let out = json!({
        "loadavg_start": load,
        "loadavg_end": std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" / "))
            .unwrap_or_default(),
        "secs": r(started.elapsed().as_secs_f64(), 1),
        "message_bytes": TEXT.len(),
        "unsealed_run_possible": false,
        "writes": writes,
        "sealing": sealing,
        "sealing_share": shares,
        "purge": purge,
    });
    println!("{out}");
    Ok(())
}
