//! Several nodes on one PostgreSQL database (issue 17): real `confide serve` processes on a
//! private cluster, a visitor on one node and the operator on another.
//!
//! - The delivery test's clients (outboxes, resends, resumes, random cuts) chat across two
//!   nodes while node B is killed (SIGKILL) and restarted and every `LISTEN` connection is
//!   terminated from PostgreSQL (`pg_terminate_backend`); every message arrives once, in
//!   order, as the database holds it.
//! - Signing out on node A closes the operator's socket on node B.
//! - A draft typed on node A reaches the operator on node B, and is in no file of the
//!   cluster's data folder (it crosses sealed).

use crate::delivery::{client, mid_transfer, stored_transcript, Rng, Role, PASSWORD, UNLIMITED};
use crate::helpers::write_bundles;
use crate::postgres::PgCluster;
use crate::process::{free_port, login_cookie, Server};
use confide_server::crypto::MasterKey;
use confide_server::keystore::{KeyRing, KeyStore};
use confide_server::store::Store;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const OPERATOR: &str = "ada@example.com";

/// A cluster with Confide's two databases (the data, the key store), a master key file,
/// the demo widget (live preview on) and one admin.
struct Setup {
    pg: PgCluster,
    root: tempfile::TempDir,
    key_file: PathBuf,
}

impl Setup {
    async fn new() -> Self {
        let pg = PgCluster::start();
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&pg.url())
            .await
            .expect("connect");
        for db in ["confide", "confide_keys"] {
            sqlx::query(&format!("CREATE DATABASE {db}"))
                .execute(&mut conn)
                .await
                .expect("create database");
        }
        let root = tempfile::tempdir().expect("tmp");
        let key_file = root.path().join("master.key");
        let key = MasterKey::generate().expect("key");
        key.write_file(&key_file).expect("write key");
        let setup = Self { pg, root, key_file };
        let store = setup.store(key).await;
        let demo = confide_protocol::WidgetKey::parse("demo").expect("key");
        store.ensure_widget(&demo, "Demo").await.expect("widget");
        let widget = store.widget_by_key(&demo).await.expect("widget");
        let mut settings = store.widget_settings(widget.id).await.expect("settings");
        settings.privacy_mode = false;
        settings.live_preview = true;
        settings.consent.required = false;
        store
            .save_widget_settings(widget.id, settings)
            .await
            .expect("save");
        let hash = confide_server::auth::Password::new(PASSWORD.to_owned())
            .expect("password")
            .hash()
            .expect("hash");
        store
            .add_operator_with_alias(OPERATOR, "Ada", "Ada", "admin", &hash)
            .await
            .expect("operator");
        store.close().await;
        setup
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://confide@127.0.0.1:{}/{db}", self.pg.port)
    }

    async fn store(&self, key: MasterKey) -> Store {
        let keys = KeyStore::open_postgres(&self.url("confide_keys"), KeyRing::new(key))
            .await
            .expect("key store");
        Store::open_sealed(
            &confide_server::config::DatabaseUrl::parse(&self.url("confide")).expect("url"),
            Arc::new(confide_server::clock::SystemClock),
            Default::default(),
            Arc::new(keys),
        )
        .await
        .expect("store")
    }

    /// Starts node `name` (its own folder, the shared databases) on `bind`.
    async fn node(&self, name: &str, bind: &str) -> Server {
        let dir = self.root.path().join(name);
        write_bundles(&dir.join("dist"));
        let env = [
            ("CONFIDE_DATABASE_URL", self.url("confide")),
            ("CONFIDE_KEY_STORE", self.url("confide_keys")),
            (
                "CONFIDE_ENCRYPTION_KEY_FILE",
                self.key_file.display().to_string(),
            ),
        ];
        let bind = bind.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            all.extend_from_slice(UNLIMITED);
            Server::start_with(&dir, &bind, "warn", &all)
        })
        .await
        .expect("start node")
    }

    /// Ends, from the server side, every `LISTEN` connection of the nodes, and (`writers`)
    /// their message writers' connections; returns how many.
    async fn terminate(&self, writers: bool) -> i64 {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&self.url("confide"))
            .await
            .expect("connect");
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = 'confide' AND (query LIKE 'LISTEN%' \
             OR ($1 AND application_name = 'confide-writer'))",
        )
        .bind(writers)
        .fetch_one(&mut conn)
        .await
        .expect("terminate");
        n
    }

    fn data_dir(&self) -> PathBuf {
        self.pg.data_dir()
    }
}

async fn kill(server: Server) {
    tokio::task::spawn_blocking(move || server.kill())
        .await
        .expect("kill");
}

/// What a chat test does to the nodes between rounds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// One node, killed (SIGKILL) and restarted each round: the delivery test on PostgreSQL.
    OneNodeKilled,
    /// The visitor on node A, the operator on node B; B killed and restarted, or every
    /// `LISTEN` connection (then the writers' ones too) terminated, in turn.
    TwoNodes,
}

/// The delivery test's two clients chat (100 messages each way, random cuts) while `plan`
/// happens mid-transfer; then both transcripts are checked against the database.
async fn chat_under(plan: Plan) {
    let setup = Setup::new().await;
    let bind_a = format!("127.0.0.1:{}", free_port());
    let bind_b = format!("127.0.0.1:{}", free_port());
    let mut a = setup.node("a", &bind_a).await;
    let mut b = match plan {
        Plan::TwoNodes => Some(setup.node("b", &bind_b).await),
        Plan::OneNodeKilled => None,
    };
    let addr_a = a.addr().to_owned();
    let addr_op = b.as_ref().map_or(addr_a.clone(), |b| b.addr().to_owned());
    let deadline = Instant::now() + Duration::from_secs(150);
    let cookie = login_cookie(
        &reqwest::Client::new(),
        &format!("http://{addr_op}"),
        OPERATOR,
        PASSWORD,
    )
    .await;

    let (v_acks, mut v_seen) = tokio::sync::watch::channel(0usize);
    let (o_acks, mut o_seen) = tokio::sync::watch::channel(0usize);
    let visitor = tokio::spawn(client(
        addr_a.clone(),
        Role::Visitor,
        0x9e37_79b9_7f4a_7c15,
        deadline,
        v_acks,
    ));
    let operator = tokio::spawn(client(
        addr_op,
        Role::Operator { cookie },
        0xdead_beef_cafe_f00d,
        deadline,
        o_acks,
    ));

    let mut rng = Rng(7);
    let (mut kills, mut terminated) = (0, 0);
    for round in 0..6 {
        if !mid_transfer(&mut v_seen, &mut o_seen, &mut rng).await {
            break;
        }
        match (plan, b.take()) {
            (Plan::OneNodeKilled, _) => {
                kill(a).await;
                a = setup.node("a", &bind_a).await;
                kills += 1;
            }
            (Plan::TwoNodes, Some(node)) if round % 2 == 0 => {
                kill(node).await;
                b = Some(setup.node("b", &bind_b).await);
                kills += 1;
            }
            (Plan::TwoNodes, node) => {
                b = node;
                // Round 1: the LISTEN connections; round 3: the writers' ones too.
                terminated += setup.terminate(round == 3).await;
            }
        }
    }
    let (visitor, operator) = match (visitor.await, operator.await) {
        (Ok(v), Ok(o)) => (v, o),
        (v, o) => {
            // The nodes' logs say why (they hold no personal data).
            let logs = tokio::task::spawn_blocking(move || {
                let mut logs = a.kill();
                if let Some(b) = b {
                    logs.push_str(&b.kill());
                }
                logs
            })
            .await
            .expect("logs");
            panic!(
                "a client failed: {:?} {:?}\nnode logs:\n{logs}",
                v.err(),
                o.err()
            );
        }
    };
    eprintln!(
        "postgres: {kills} kills, {terminated} connections terminated; \
         visitor {} connects, {} cuts, {} drops; operator {} connects, {} cuts, {} drops",
        visitor.connects,
        visitor.cuts,
        visitor.drops,
        operator.connects,
        operator.cuts,
        operator.drops
    );
    assert!(kills >= 2, "a node was killed mid-chat");
    if plan == Plan::TwoNodes {
        assert!(terminated >= 1, "a LISTEN connection was terminated");
    }

    let store = setup
        .store(MasterKey::read_file(&setup.key_file).expect("key"))
        .await;
    let db = stored_transcript(&store).await;
    store.close().await;
    crate::delivery::check(&db, &visitor, &operator);
    assert!(
        operator.drops >= 1,
        "the operator lost connections to the kills: {}",
        operator.drops
    );
    kill(a).await;
    if let Some(b) = b {
        kill(b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_arrives_exactly_once_in_order_on_postgres_across_server_kills() {
    chat_under(Plan::OneNodeKilled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_and_an_operator_on_two_nodes_lose_nothing_across_kills_and_lost_listeners() {
    chat_under(Plan::TwoNodes).await;
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(addr: &str, path: &str, cookie: Option<&str>) -> Ws {
    let mut req = format!("ws://{addr}{path}")
        .into_client_request()
        .expect("req");
    if let Some(c) = cookie {
        req.headers_mut()
            .insert("cookie", HeaderValue::from_str(c).expect("cookie"));
    }
    tokio_tungstenite::connect_async(req)
        .await
        .expect("socket opens")
        .0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.expect("send");
}

/// The next frame of `kind` (at most 10 s), skipping others; `None` when the socket closed.
async fn next_of(ws: &mut Ws, kind: &str) -> Option<Value> {
    let wait = async {
        while let Some(Ok(m)) = ws.next().await {
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).expect("json");
                if v["type"] == kind {
                    return Some(v);
                }
                assert_ne!(v["type"], "error", "waiting for {kind}: {v}");
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no {kind} frame within 10 s"))
}

/// Every file under `dir`, byte for byte.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                out.extend(b);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_crosses_nodes_sealed_and_signing_out_on_one_node_closes_the_socket_on_another() {
    let setup = Setup::new().await;
    let a = setup.node("a", &format!("127.0.0.1:{}", free_port())).await;
    let b = setup.node("b", &format!("127.0.0.1:{}", free_port())).await;
    let (addr_a, addr_b) = (a.addr().to_owned(), b.addr().to_owned());
    let http = reqwest::Client::new();
    let cookie = login_cookie(&http, &format!("http://{addr_a}"), OPERATOR, PASSWORD).await;

    // The operator on B, the visitor on A.
    let mut op = socket(&addr_b, "/ws/operator", Some(&cookie)).await;
    next_of(&mut op, "inbox").await.expect("inbox");
    let mut v = socket(&addr_a, "/ws/visitor", None).await;
    send(
        &mut v,
        json!({"type": "hello", "widget": "demo", "consent": crate::helpers::demo_consent()}),
    )
    .await;
    let welcome = next_of(&mut v, "welcome").await.expect("welcome");
    assert_eq!(
        welcome["operators_online"], true,
        "the visitor on A sees the operator on B online"
    );
    send(
        &mut v,
        json!({"type": "send", "id": "m-000001", "text": "hello from a"}),
    )
    .await;
    let summary = next_of(&mut op, "conversation")
        .await
        .expect("summary on B");
    let conversation = summary["conversation"]["id"].clone();
    send(
        &mut op,
        json!({"type": "open", "conversation": conversation}),
    )
    .await;
    let m = next_of(&mut op, "message").await.expect("message on B");
    assert_eq!(m["message"]["text"], "hello from a");

    // A listener that reads nothing (its transaction stays open) holds PostgreSQL's
    // notification queue, so what is sent next is kept there and, pushed out of memory by
    // the filler below, written to the queue's files (`pg_notify/`).
    let mut stalled = <sqlx::PgConnection as sqlx::Connection>::connect(&setup.url("confide"))
        .await
        .expect("connect");
    for q in ["LISTEN confide_events", "BEGIN", "SELECT 1"] {
        sqlx::query(q).execute(&mut stalled).await.expect("stall");
    }

    // A draft typed on A shows on B.
    let canary = "canary-draft-7f3e9a";
    send(&mut v, json!({"type": "draft", "text": canary})).await;
    let draft = next_of(&mut op, "draft").await.expect("draft on B");
    assert_eq!(draft["text"], canary);

    // ... and is in no file of the cluster, its notification queue included.
    let mut pg = <sqlx::PgConnection as sqlx::Connection>::connect(&setup.url("confide"))
        .await
        .expect("connect");
    let filler = "f".repeat(7_900);
    for _ in 0..200 {
        sqlx::query("SELECT pg_notify('filler', $1)")
            .bind(&filler)
            .execute(&mut pg)
            .await
            .expect("filler");
    }
    sqlx::query("CHECKPOINT")
        .execute(&mut pg)
        .await
        .expect("checkpoint");
    let queue = all_bytes(&setup.data_dir().join("pg_notify"));
    assert!(
        queue.len() > 200 * 7_900,
        "the notification queue reached its files"
    );
    let bytes = all_bytes(&setup.data_dir());
    assert!(bytes.len() > 1_000_000, "the data folder was read");
    assert!(
        !crate::details::contains(&bytes, canary),
        "the draft is in a file of the PostgreSQL data folder"
    );
    // The test can see a plain text if it is there: the conversation's first message is
    // sealed too, but the widget's name is stored as it is.
    assert!(crate::details::contains(&bytes, "Demo"));

    // Signing out on A closes the operator's socket on B.
    let res = http
        .post(format!("http://{addr_a}/api/operator/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("logout");
    assert!(res.status().is_success(), "{}", res.status());
    let closed = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(Ok(m)) = op.next().await {
            if let Message::Close(_) = m {
                return true;
            }
        }
        true
    })
    .await
    .unwrap_or(false);
    assert!(
        closed,
        "the socket on B closed within 3 s of signing out on A"
    );
    kill(a).await;
    kill(b).await;
}

#[tokio::test]
async fn a_key_erased_by_one_node_stops_opening_on_another_once_its_cache_lapses() {
    let setup = Setup::new().await;
    let key = MasterKey::read_file(&setup.key_file).expect("key");
    let url = setup.url("confide_keys");
    let a = KeyStore::open_postgres(&url, KeyRing::new(key.clone()))
        .await
        .expect("node a's key store")
        .with_shared_ttl(Duration::from_millis(100));
    let b = KeyStore::open_postgres(&url, KeyRing::new(key))
        .await
        .expect("node b's key store");
    let (key_ref, _) = a.create(0).await.expect("create");
    a.get(&key_ref).await.expect("a reads its key");
    b.get(&key_ref).await.expect("b reads the same key");
    b.erase(std::slice::from_ref(&key_ref))
        .await
        .expect("erase");
    assert!(
        matches!(
            b.get(&key_ref).await,
            Err(confide_server::keystore::KeyError::Erased)
        ),
        "gone on the node that erased it"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        matches!(
            a.get(&key_ref).await,
            Err(confide_server::keystore::KeyError::Erased)
        ),
        "gone on the other node once its cached copy lapsed"
    );
    a.close().await;
    b.close().await;
}
