//! PostgreSQL (issue 17): a private cluster the tests start and stop (initdb in a temporary
//! folder, a free port on 127.0.0.1, no system service), and the schema's migrations checked
//! against the SQLite ones, table for table and column for column.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::CommandExt;
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

/// The cluster the conformance runs share (`CONFIDE_TEST_BACKEND=postgres`): started on first
/// use, one per test process. Statics are never dropped, so a watchdog process stops it and
/// removes its folder once this process is gone, however it ends.
pub fn shared() -> &'static PgCluster {
    static SHARED: std::sync::OnceLock<PgCluster> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        let cluster = PgCluster::start();
        let mut stop_args = String::new();
        if cluster.root {
            stop_args.push_str("runuser -u postgres -- ");
        }
        stop_args.push_str(&format!(
            "'{}' -D '{}' -m immediate -w stop",
            cluster.bin.join("pg_ctl").display(),
            cluster.dir.path().join("data").display()
        ));
        // Never waited for: it outlives this process on purpose.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop_args} >/dev/null 2>&1; rm -rf '{dir}'",
                pid = std::process::id(),
                dir = cluster.dir.path().display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: what stops this one's group does not stop it.
            .process_group(0)
            .spawn()
            .expect("the cluster's watchdog");
        cluster
    })
}

/// A new, empty database on the shared cluster, for one test.
pub async fn fresh_database() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let cluster = shared();
    let name = format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&cluster.url())
        .await
        .expect("connect to the cluster");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let _ = sqlx::Connection::close(conn).await;
    format!("postgres://confide@127.0.0.1:{}/{name}", cluster.port)
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

    /// The cluster's data folder (every file PostgreSQL writes).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
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
    let pool = sqlx::PgPool::connect(&cluster.url())
        .await
        .expect("connect");
    confide_server::store::postgres::MIGRATOR
        .run(&pool)
        .await
        .expect("migrate");
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

/// `pg_description`'s file: PostgreSQL's descriptions of its built-in objects, copied into
/// each new database, that no test writes to. Left out of what a database keeps, for its text
/// would match a test's needles ("Spanish (Canary Islands)", a collation's).
const PG_DESCRIPTION: u32 = 2609;

/// What PostgreSQL keeps on disk for one database of a cluster (`oid`): every file of the
/// data folder except the other databases' folders under `base/`, `pg_description` and the
/// write-ahead log, then (with `wal`) the WAL records that touch this database ([`wal_of`]).
/// Files that vanish or cannot be read while the cluster runs are skipped.
pub fn database_bytes(data: &Path, oid: u32, wal: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut segments = Vec::new();
    let mut stack = vec![data.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let parent = path.parent().unwrap_or(data);
            if kind.is_dir() {
                let other_database = parent == data.join("base")
                    && path.file_name().and_then(|n| n.to_str()) != Some(&oid.to_string());
                if !other_database {
                    stack.push(path);
                }
            } else if parent == data.join("base").join(oid.to_string())
                && path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.split(['_', '.']).next() == Some(&PG_DESCRIPTION.to_string())
                })
            {
                continue;
            } else if parent == data.join("pg_wal") {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.len() == 24 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                    if wal {
                        segments.push(std::fs::read(&path).unwrap_or_default());
                    }
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.extend(bytes);
                }
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.extend(bytes);
            }
        }
    }
    if wal {
        out.extend(wal_of(&segments, oid));
    }
    out
}

/// The WAL pages' size, and its records' alignment.
const WAL_PAGE: usize = 8192;
const MAXALIGN: usize = 8;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn align(n: usize) -> usize {
    n.div_ceil(MAXALIGN) * MAXALIGN
}

/// Every WAL record in `segments` (whole WAL segment files, in any order, recycled ones too)
/// whose first block reference is a relation of database `oid` (`pg_description` aside),
/// each record's bytes as they
/// are in the log (page headers left out), full-page images included. A record that spans
/// pages is followed across them while the pages are consecutive; what cannot be followed
/// (a page missing, overwritten) is cut there. PostgreSQL 15's layout (`xlog_internal.h`,
/// `xlogrecord.h`): an 8 kB page opens with a 24-byte header (40 on a segment's first page),
/// `xlp_pageaddr` at 8 and `xlp_rem_len` (the bytes of a record continued from the page
/// before) at 16; records start on 8-byte boundaries with a 24-byte header (`xl_tot_len`
/// first), then block headers, each naming its relation (tablespace, database, relation).
pub fn wal_of(segments: &[Vec<u8>], oid: u32) -> Vec<u8> {
    // Every written page, by its own address (a recycled segment's pages keep theirs).
    let mut magic = None;
    let mut pages: Vec<(u64, &[u8])> = Vec::new();
    for segment in segments {
        for page in segment.chunks_exact(WAL_PAGE) {
            let (Some(m), Some(addr)) = (u16_at(page, 0), u64_at(page, 8)) else {
                continue;
            };
            if m == 0 || addr % WAL_PAGE as u64 != 0 || *magic.get_or_insert(m) != m {
                continue;
            }
            pages.push((addr, page));
        }
    }
    pages.sort_by_key(|p| p.0);
    pages.dedup_by_key(|p| p.0);
    let mut out = Vec::new();
    let mut start = 0;
    while start < pages.len() {
        let mut end = start + 1;
        while end < pages.len() && pages[end].0 == pages[end - 1].0 + WAL_PAGE as u64 {
            end += 1;
        }
        records_of_run(&pages[start..end], oid, &mut out);
        start = end;
    }
    out
}

/// The records of consecutive pages: their payloads (what follows each page header) joined
/// are the log's bytes without the headers, in which each record is `xl_tot_len` long.
fn records_of_run(pages: &[(u64, &[u8])], oid: u32, out: &mut Vec<u8>) {
    struct Payload<'a> {
        at: usize,
        bytes: &'a [u8],
        first_record: usize,
    }
    let mut payloads = Vec::with_capacity(pages.len());
    let mut at = 0;
    for (_, page) in pages {
        let info = u16_at(page, 2).unwrap_or(0);
        let header = if info & 0x0002 != 0 { 40 } else { 24 };
        let rem = u32_at(page, 16).unwrap_or(0) as usize;
        let bytes = &page[header..];
        payloads.push(Payload {
            at,
            bytes,
            first_record: at.saturating_add(align(rem)),
        });
        at += bytes.len();
    }
    let total = at;
    // `len` bytes of the joined payloads from `from` (fewer at the run's end).
    let read = |from: usize, len: usize| -> Vec<u8> {
        let mut got = Vec::with_capacity(len.min(total.saturating_sub(from)));
        let mut i = payloads.partition_point(|p| p.at + p.bytes.len() <= from);
        let mut pos = from;
        while got.len() < len && i < payloads.len() {
            let p = &payloads[i];
            let off = pos - p.at;
            let take = (len - got.len()).min(p.bytes.len() - off);
            got.extend_from_slice(&p.bytes[off..off + take]);
            pos += take;
            i += 1;
        }
        got
    };
    for p in &payloads {
        let end = p.at + p.bytes.len();
        let mut pos = p.first_record;
        while pos < end {
            let Some(len) = u32_at(&read(pos, 4), 0).map(|l| l as usize) else {
                break;
            };
            // Past the last record: zeros (or a header that cannot be one).
            if !(24..=1 << 30).contains(&len) {
                break;
            }
            // The block headers come first: 64 bytes hold the first one's relation.
            let head = read(pos, len.min(64));
            if record_relation(&head).is_some_and(|(db, rel)| db == oid && rel != PG_DESCRIPTION) {
                out.extend(read(pos, len));
            }
            pos = align(pos + len);
        }
    }
}

/// The database and relation file of a record's first block reference, if it has one.
fn record_relation(record: &[u8]) -> Option<(u32, u32)> {
    let mut at = 24;
    loop {
        match *record.get(at)? {
            // A block reference: id, fork and flags, data length; an image header when it
            // carries a full page (and a hole length when that is compressed); then the
            // relation unless it is the previous block's (never so for the first).
            0..=32 => {
                let flags = *record.get(at + 1)?;
                at += 4;
                if flags & 0x10 != 0 {
                    let image = *record.get(at + 4)?;
                    at += 5;
                    if image & 0x01 != 0 && image & 0x1c != 0 {
                        at += 2;
                    }
                }
                if flags & 0x80 != 0 {
                    return None;
                }
                return Some((u32_at(record, at + 4)?, u32_at(record, at + 8)?));
            }
            // The top-level transaction id, the replication origin: then more.
            252 => at += 5,
            253 => at += 3,
            // Main data only: no relation.
            _ => return None,
        }
    }
}

#[tokio::test]
async fn a_database_s_bytes_hold_its_rows_and_wal_records_and_no_other_database_s() {
    use sqlx::Connection;
    let cluster = PgCluster::start();
    let mut admin = sqlx::PgConnection::connect(&cluster.url())
        .await
        .expect("connect");
    for db in ["walone", "waltwo"] {
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&mut admin)
            .await
            .expect("create");
    }
    let url = |db: &str| format!("postgres://confide@127.0.0.1:{}/{db}", cluster.port);
    let mut one = sqlx::PgConnection::connect(&url("walone"))
        .await
        .expect("one");
    let mut two = sqlx::PgConnection::connect(&url("waltwo"))
        .await
        .expect("two");
    let (oid,): (i64,) =
        sqlx::query_as("SELECT oid::bigint FROM pg_database WHERE datname = current_database()")
            .fetch_one(&mut one)
            .await
            .expect("oid");
    let oid = u32::try_from(oid).expect("oid");
    // A row; after a checkpoint, a change that logs its whole page (a record over several
    // WAL pages); then more rows after it, and a deleted one.
    for (conn, name) in [(&mut one, "one"), (&mut two, "two")] {
        for statement in [
            "CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT NOT NULL)".to_owned(),
            format!("INSERT INTO t VALUES (1, 'probe-{name}-first')"),
            "CHECKPOINT".to_owned(),
            format!("UPDATE t SET v = 'probe-{name}-second' WHERE id = 1"),
        ] {
            sqlx::query(&statement)
                .execute(&mut *conn)
                .await
                .expect("sql");
        }
        for i in 2..200 {
            sqlx::query(&format!(
                "INSERT INTO t VALUES ({i}, 'probe-{name}-{i:03}')"
            ))
            .execute(&mut *conn)
            .await
            .expect("insert");
        }
        sqlx::query("DELETE FROM t WHERE id = 150")
            .execute(&mut *conn)
            .await
            .expect("delete");
    }
    sqlx::query("CHECKPOINT")
        .execute(&mut one)
        .await
        .expect("checkpoint");
    let has = |b: &[u8], s: &str| b.windows(s.len()).any(|w| w == s.as_bytes());

    let mut segments = Vec::new();
    for e in std::fs::read_dir(cluster.data_dir().join("pg_wal")).expect("pg_wal") {
        let path = e.expect("entry").path();
        if path.file_name().is_some_and(|n| n.len() == 24) {
            segments.push(std::fs::read(&path).expect("segment"));
        }
    }
    let wal = wal_of(&segments, oid);
    for probe in [
        "probe-one-first",
        "probe-one-second",
        "probe-one-002",
        "probe-one-150",
        "probe-one-199",
    ] {
        assert!(
            has(&wal, probe),
            "{probe} in the WAL records of its database"
        );
    }
    assert!(!has(&wal, "probe-two"), "another database's records");
    let all: usize = segments.iter().map(Vec::len).sum();
    assert!(wal.len() < all / 2, "{} of {all}", wal.len());

    let files = database_bytes(&cluster.data_dir(), oid, false);
    assert!(has(&files, "probe-one-199"), "the table's file");
    assert!(!has(&files, "probe-two"), "another database's files");
    let both = database_bytes(&cluster.data_dir(), oid, true);
    assert!(both.len() > files.len() && has(&both, "probe-one-first"));
    for conn in [one, two, admin] {
        conn.close().await.expect("close");
    }
}

/// `pg_dump` of a database: its schema and rows as SQL, the same text while nothing changes
/// (the random key of its `\restrict` lines aside: see [`dump_without_restrict_key`]).
pub fn dump(url: &str) -> Vec<u8> {
    let out = Command::new(pg_bin().join("pg_dump"))
        .args(["--no-owner", "-d", url])
        .stdin(Stdio::null())
        .output()
        .expect("pg_dump");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A dump without the `\restrict <random key>` and `\unrestrict <random key>` lines newer
/// `pg_dump`s write (a new key each run): what is left is the same while nothing changed.
pub fn dump_without_restrict_key(url: &str) -> Vec<u8> {
    let dump = dump(url);
    let mut out = Vec::with_capacity(dump.len());
    for line in dump.split_inclusive(|b| *b == b'\n') {
        if !line.starts_with(b"\\restrict ") && !line.starts_with(b"\\unrestrict ") {
            out.extend_from_slice(line);
        }
    }
    out
}

/// A backup as an operator makes one, restored into a new database of the shared cluster:
/// `pg_dump` to a file, `psql` from it. Returns the copy's URL.
pub async fn copy_database(url: &str, file: &Path) -> String {
    std::fs::write(file, dump(url)).expect("write the backup");
    let copy = fresh_database().await;
    let out = Command::new(pg_bin().join("psql"))
        .args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", &copy, "-f"])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    copy
}
