//! PostgreSQL (issue 17): a private cluster the tests start and stop (initdb in a temporary
//! folder, a free port on 127.0.0.1, no system service), and the schema's migrations checked
//! against the SQLite ones, table for table and column for column.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Debian's newest PostgreSQL programs (`cargo xtask setup` installs them), or `PG_BIN`.
fn pg_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("PG_BIN") {
        return PathBuf::from(bin);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (run `cargo xtask setup`)")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .expect("a /usr/lib/postgresql/<major>/bin/initdb")
        .1
}

/// Whether the tests run as root: the owner of a folder they just made.
fn as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::tempdir().expect("tmp");
    std::fs::metadata(probe.path()).expect("metadata").uid() == 0
}

/// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user.
fn pg_command(bin: &Path, program: &str, root: bool) -> Command {
    let path = bin.join(program);
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    };
    cmd.stdin(Stdio::null());
    cmd
}

/// A private PostgreSQL cluster on 127.0.0.1, stopped (and its folder removed) when dropped.
pub struct PgCluster {
    bin: PathBuf,
    root: bool,
    dir: tempfile::TempDir,
    pub port: u16,
}

impl PgCluster {
    pub fn start() -> Self {
        let bin = pg_bin();
        let root = as_root();
        let dir = tempfile::tempdir().expect("tmp");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data folder");
        if root {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown the cluster's folder to postgres");
        }
        let out = pg_command(&bin, "initdb", root)
            .args([
                "-U",
                "confide",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
            ])
            .arg("-D")
            .arg(&data)
            .output()
            .expect("initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let out = pg_command(&bin, "pg_ctl", root)
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories=''"
            ))
            .arg("start")
            .output()
            .expect("pg_ctl start");
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
        );
        Self {
            bin,
            root,
            dir,
            port,
        }
    }

    /// The cluster's own database, as its superuser.
    pub fn url(&self) -> String {
        format!("postgres://confide@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = pg_command(&self.bin, "pg_ctl", self.root)
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

type Columns = BTreeMap<String, BTreeSet<String>>;

/// Every table's columns after the SQLite migrations.
async fn sqlite_columns() -> Columns {
    let dir = tempfile::tempdir().expect("tmp");
    let url = confide_server::config::DatabaseUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("schema.db").display()
    ))
    .expect("url");
    // The store migrates the file; then a plain connection reads its schema.
    confide_server::store::Store::open(&url)
        .await
        .expect("open")
        .close()
        .await;
    let pool = &sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("schema.db").display()
    ))
    .await
    .expect("connect");
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    let mut out = Columns::new();
    for (table,) in tables {
        let cols: Vec<(String,)> =
            sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(pool)
                .await
                .expect("columns");
        out.insert(table, cols.into_iter().map(|(c,)| c).collect());
    }
    pool.close().await;
    out
}

async fn postgres_columns(pool: &sqlx::PgPool) -> Columns {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("columns");
    let mut out = Columns::new();
    for (table, column) in rows {
        out.entry(table).or_default().insert(column);
    }
    out
}

#[tokio::test]
async fn the_postgres_schema_has_every_table_and_column_of_the_sqlite_one() {
    let cluster = PgCluster::start();
    let pool = confide_server::store::postgres::open(&cluster.url(), 2)
        .await
        .expect("connect and migrate");
    // Migrating again finds nothing to do.
    confide_server::store::postgres::MIGRATOR
        .run(&pool)
        .await
        .expect("migrations are recorded");
    let sqlite = sqlite_columns().await;
    let postgres = postgres_columns(&pool).await;
    assert!(
        sqlite.contains_key("messages") && sqlite.len() > 15,
        "{sqlite:?}"
    );
    assert_eq!(
        sqlite.keys().collect::<Vec<_>>(),
        postgres.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, columns) in &sqlite {
        assert_eq!(Some(columns), postgres.get(table), "the columns of {table}");
    }

    // What SQLite's schema enforces, PostgreSQL's does too: an email once whatever its case,
    // a role that exists, the built-in roles.
    let roles: Vec<(String, bool)> =
        sqlx::query_as("SELECT name, builtin FROM roles ORDER BY name")
            .fetch_all(&pool)
            .await
            .expect("roles");
    assert_eq!(
        roles,
        vec![("admin".to_owned(), true), ("agent".to_owned(), true)]
    );
    let add = |email: &'static str, role: &'static str| {
        sqlx::query(
            "INSERT INTO operators (email, name, role, password_hash, created_at) \
             VALUES ($1, 'Ada', $2, '', 0)",
        )
        .bind(email)
        .bind(role)
        .execute(&pool)
    };
    add("ada@example.com", "agent").await.expect("an operator");
    assert!(
        add("ADA@example.com", "agent").await.is_err(),
        "the same email"
    );
    assert!(
        add("bob@example.com", "wizard").await.is_err(),
        "no such role"
    );
    pool.close().await;
}
