//! Starting the server in-process on port 0 with a fresh database (an SQLite file, or in the
//! PostgreSQL run a database of its own on the shared cluster) and fixture bundles; and what
//! tests need to look at that database themselves, on either backend.

use confide_protocol::WidgetKey;
use confide_server::clock::{Clock, SystemClock};
use confide_server::{assets::Assets, config::DatabaseUrl, hub::Hub, store::Store, AppState};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::oneshot;

/// The inline bootstrap of the fixture widget page, as Trunk writes one.
pub const FIXTURE_BOOTSTRAP: &str =
    "import init from '/widget/app.js';init('/widget/app_bg.wasm');";
/// The same for the fixture router page.
pub const FIXTURE_ROUTER_BOOTSTRAP: &str =
    "import init from '/router/r.js';init('/router/r_bg.wasm');";

pub struct TestApp {
    pub url: String,
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub hub: Arc<Hub>,
    /// The state the server runs with (for socket sessions driven over channels).
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub demo: bool,
    pub with_bundles: bool,
    pub clock: Option<Arc<dyn Clock>>,
    /// Keep the demo widget's default (consent required); most tests turn it off.
    pub consent_required: bool,
    /// The server's settings (the database, bind and assets fields are the test's own).
    pub config: Option<confide_server::Config>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            demo: true,
            with_bundles: true,
            clock: None,
            consent_required: false,
            config: None,
        }
    }
}

pub fn write_bundles(assets: &Path) {
    let widget = assets.join("widget");
    let console = assets.join("console");
    std::fs::create_dir_all(&widget).expect("mkdir widget");
    std::fs::create_dir_all(&console).expect("mkdir console");
    std::fs::write(
        widget.join("index.html"),
        format!(
            "<!doctype html><html><head><script type=\"module\">{FIXTURE_BOOTSTRAP}</script></head><body></body></html>"
        ),
    )
    .expect("write widget index");
    std::fs::write(widget.join("app.js"), "export default function init() {}").expect("app.js");
    let router = assets.join("router");
    std::fs::create_dir_all(&router).expect("mkdir router");
    std::fs::write(
        router.join("index.html"),
        format!(
            "<!doctype html><html><head><script type=\"module\">{FIXTURE_ROUTER_BOOTSTRAP}</script></head><body></body></html>"
        ),
    )
    .expect("write router index");
    std::fs::write(router.join("r.js"), "export default function init() {}").expect("r.js");
    std::fs::write(
        console.join("index.html"),
        "<!doctype html><title>console</title><script type=\"module\">import c from '/console/c.js';</script>",
    )
    .expect("write console index");
}

/// The settings tests run with: the defaults, except a session cookie without `Secure`
/// (reqwest, over plain http, would not send it back) and rates no test reaches (the tests
/// of the limits set their own).
pub fn test_config() -> confide_server::Config {
    confide_server::Config {
        cookie_secure: false,
        logins_per_minute: 100_000,
        logins_per_client_per_minute: 100_000,
        hellos_per_widget_per_minute: 100_000,
        hellos_per_client_per_minute: 100_000,
        leave_messages_per_widget_per_minute: 100_000,
        leave_messages_per_client_per_minute: 100_000,
        messages_per_socket_per_minute: 100_000,
        typing_per_socket_per_minute: 100_000,
        conversations_per_visitor_per_day: 100_000,
        ..confide_server::Config::default()
    }
}

/// Every byte the test's database keeps on disk: on SQLite its file and WAL; on PostgreSQL,
/// after a `CHECKPOINT`, every file of the shared cluster's data folder that may hold this
/// database's bytes (its own folder under `base/`, the shared catalogs and state) and, of the
/// write-ahead log, every record that touches this database (see [`crate::postgres::wal_of`]).
/// The other tests' databases are left out: they run beside this one and keep their own text;
/// so is PostgreSQL's `pg_description` (its built-in objects' descriptions, which no test
/// writes: see [`crate::postgres::database_bytes`]).
pub async fn db_and_wal_bytes(dir: &Path) -> Vec<u8> {
    match postgres_url(dir) {
        None => {
            let db = db_path(dir);
            let mut bytes = std::fs::read(&db).expect("db");
            if let Ok(wal) = std::fs::read(db.with_extension("db-wal")) {
                bytes.extend(wal);
            }
            bytes
        }
        Some(url) => {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
                .await
                .expect("connect to the test's database");
            let (oid,): (i64,) = sqlx::query_as(
                "SELECT oid::bigint FROM pg_database WHERE datname = current_database()",
            )
            .fetch_one(&mut conn)
            .await
            .expect("the database's oid");
            sqlx::query("CHECKPOINT")
                .execute(&mut conn)
                .await
                .expect("checkpoint");
            sqlx::Connection::close(conn).await.expect("close");
            let oid = u32::try_from(oid).expect("an oid");
            let data = crate::postgres::shared().data_dir();
            tokio::task::spawn_blocking(move || crate::postgres::database_bytes(&data, oid, true))
                .await
                .expect("read the cluster's files")
        }
    }
}

/// The test folder's PostgreSQL database URL, in the PostgreSQL run (once the app started).
pub fn postgres_url(dir: &Path) -> Option<String> {
    if !on_postgres() {
        return None;
    }
    Some(std::fs::read_to_string(dir.join("postgres-url")).expect("the folder's database URL"))
}

/// A value bound to a [`Raw`] statement's `$1`, `$2`, ...
#[derive(Debug, Clone, Copy)]
pub enum Bind<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl From<i64> for Bind<'_> {
    fn from(v: i64) -> Self {
        Bind::Int(v)
    }
}

impl<'a> From<&'a [u8]> for Bind<'a> {
    fn from(v: &'a [u8]) -> Self {
        Bind::Bytes(v)
    }
}

impl<'a> From<&'a Vec<u8>> for Bind<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Bind::Bytes(v)
    }
}

/// A plain connection to the test's database, whichever the backend, for tests that run
/// their own SQL (tamper with a row, backdate one, count rows, read a sealed column). The SQL
/// is the dialect both share: `$1, $2` placeholders, `TRUE`/`FALSE`, no `rowid`.
pub enum Raw {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

macro_rules! bound {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match *a {
                Bind::Int(v) => q.bind(v),
                Bind::Bytes(v) => q.bind(v),
            };
        }
        q
    }};
}

impl Raw {
    pub async fn open(dir: &Path) -> Raw {
        use sqlx::Connection;
        match postgres_url(dir) {
            Some(url) => Raw::Postgres(sqlx::PgConnection::connect(&url).await.expect("connect")),
            None => Raw::Sqlite(
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", db_path(dir).display()))
                    .await
                    .expect("connect"),
            ),
        }
    }

    /// Runs a statement; returns how many rows it changed.
    pub async fn execute(&mut self, sql: &str, args: &[Bind<'_>]) -> u64 {
        match self {
            Raw::Sqlite(c) => bound!(sqlx::query(sql), args)
                .execute(c)
                .await
                .expect("statement")
                .rows_affected(),
            Raw::Postgres(c) => bound!(sqlx::query(sql), args)
                .execute(c)
                .await
                .expect("statement")
                .rows_affected(),
        }
    }

    /// The one integer a query returns (`COUNT(*)`, `MIN(id)`; a `SUM` cast `AS BIGINT`).
    pub async fn fetch_i64(&mut self, sql: &str, args: &[Bind<'_>]) -> i64 {
        match self {
            Raw::Sqlite(c) => {
                bound!(sqlx::query_as::<_, (i64,)>(sql), args)
                    .fetch_one(c)
                    .await
                    .expect("query")
                    .0
            }
            Raw::Postgres(c) => {
                bound!(sqlx::query_as::<_, (i64,)>(sql), args)
                    .fetch_one(c)
                    .await
                    .expect("query")
                    .0
            }
        }
    }

    /// The bytes of one column of the first row, if there is a row and the value is not NULL.
    pub async fn fetch_bytes(&mut self, sql: &str, args: &[Bind<'_>]) -> Option<Vec<u8>> {
        let row: Option<(Option<Vec<u8>>,)> = match self {
            Raw::Sqlite(c) => bound!(sqlx::query_as(sql), args)
                .fetch_optional(c)
                .await
                .expect("query"),
            Raw::Postgres(c) => bound!(sqlx::query_as(sql), args)
                .fetch_optional(c)
                .await
                .expect("query"),
        };
        row.and_then(|(b,)| b)
    }

    pub async fn close(self) {
        use sqlx::Connection;
        match self {
            Raw::Sqlite(c) => c.close().await.expect("close"),
            Raw::Postgres(c) => c.close().await.expect("close"),
        }
    }
}

/// The test's key store, beside its database.
pub fn keys_path(dir: &Path) -> PathBuf {
    dir.join("data").join("keys.db")
}

/// The test's master key: made once per test folder and kept there (so a restart on the same
/// folder opens the same data).
pub fn test_key_ring(dir: &Path) -> confide_server::keystore::KeyRing {
    use confide_server::crypto::MasterKey;
    let path = dir.join("master.key");
    let key = if path.exists() {
        MasterKey::read_file(&path).expect("read key")
    } else {
        let key = MasterKey::generate().expect("key");
        key.write_file(&path).expect("write key");
        key
    };
    confide_server::keystore::KeyRing::new(key)
}

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("data").join("confide.db")
}

/// Whether this run's tests use PostgreSQL (`CONFIDE_TEST_BACKEND=postgres`, the
/// conformance run) rather than an SQLite file.
pub fn on_postgres() -> bool {
    std::env::var("CONFIDE_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The test folder's database: its SQLite file, or on PostgreSQL a fresh database made for
/// the folder the first time (its URL kept in the folder, so a restart finds it again).
pub async fn database_url(dir: &Path) -> DatabaseUrl {
    if !on_postgres() {
        return DatabaseUrl::parse(&format!("sqlite://{}", db_path(dir).display()))
            .expect("db url");
    }
    let kept = dir.join("postgres-url");
    let url = match std::fs::read_to_string(&kept) {
        Ok(url) => url,
        Err(_) => {
            let url = crate::postgres::fresh_database().await;
            std::fs::write(&kept, &url).expect("keep the database URL");
            url
        }
    };
    DatabaseUrl::parse(&url).expect("db url")
}

pub async fn spawn_app(opts: Options) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_app_in(dir, opts).await
}

/// Starts the app on an existing folder (to test restarts on the same database).
pub async fn spawn_app_in(dir: tempfile::TempDir, opts: Options) -> TestApp {
    let assets_dir = dir.path().join("dist");
    if opts.with_bundles {
        write_bundles(&assets_dir);
    }
    let url = database_url(dir.path()).await;
    let clock = opts.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
    let config = opts.config.clone().unwrap_or_else(test_config);
    let keys = Arc::new(
        confide_server::keystore::KeyStore::open(
            &keys_path(dir.path()),
            test_key_ring(dir.path()),
            true,
        )
        .await
        .expect("key store"),
    );
    let store = Store::open_sealed(&url, clock, (&config).into(), keys)
        .await
        .expect("open store");
    if opts.demo {
        let key = WidgetKey::parse("demo").expect("key");
        store
            .ensure_widget(&key, "Demo widget")
            .await
            .expect("demo widget");
        if !opts.consent_required {
            let widget = store.widget_by_key(&key).await.expect("widget");
            let mut settings = store.widget_settings(widget.id).await.expect("settings");
            settings.consent.required = false;
            store
                .save_widget_settings(widget.id, settings)
                .await
                .expect("save");
        }
    }
    let hub = Arc::new(Hub::new());
    let state = AppState {
        store: store.clone(),
        assets: Arc::new(Assets::load(&assets_dir)),
        hub: Arc::clone(&hub),
        demo: opts.demo,
        geo: Arc::new(match &opts.config {
            Some(config) => confide_server::geo::Geo::from_config(config).expect("geo config"),
            None => confide_server::geo::Geo::disabled(),
        }),
        limits: Arc::new(confide_server::limits::Limits::new(&config)),
        config: Arc::new(config),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(confide_server::serve(listener, state.clone(), async {
        let _ = rx.await;
    }));
    TestApp {
        url: format!("http://{addr}"),
        dir,
        store,
        hub,
        state,
        shutdown: Some(tx),
        task: Some(task),
    }
}

impl TestApp {
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .expect("request")
    }

    /// Stops the server cleanly and hands back its folder.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(std::time::Duration::from_secs(10), task)
                .await
                .expect("server stops within 10 s")
                .expect("join")
                .expect("serve ok");
        }
        self.store.close().await;
        self.dir
    }
}

/// POSTs JSON, with an operator's cookie when given.
pub async fn post_json(
    url: &str,
    body: serde_json::Value,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new().post(url).json(&body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("post")
}

/// Reads the `{code, message}` error body and returns the code.
pub async fn error_code(res: reqwest::Response) -> String {
    let body: serde_json::Value = res.json().await.expect("json error body");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "error has a message: {body}"
    );
    body["code"].as_str().expect("code").to_owned()
}

/// The retention notice of a widget with the default periods in privacy mode with consent
/// required, written out by hand (not by the code under test).
pub const DEFAULT_NOTICE_EN: &str = "Conversations are deleted 6 months after their last message. \
    A record of your consent is kept as proof for 36 months after your last conversation is deleted.";

/// The text the demo widget's default English disclaimer shows, with its retention notice.
pub fn demo_shown_text() -> String {
    let mut d = confide_protocol::settings::default_disclaimer("en");
    d.retention = DEFAULT_NOTICE_EN.to_owned();
    d.shown_text()
}

/// The consent a visitor gives to the demo widget's default English disclaimer.
pub fn demo_consent() -> serde_json::Value {
    let shown = demo_shown_text();
    serde_json::json!({
        "language": "en",
        "version": 1,
        "text_sha256": confide_server::consent::text_sha256(&shown),
    })
}
