//! One query layer over both backends. The store writes each query once, in the SQL that
//! SQLite and PostgreSQL share, with `?` placeholders; [`Query`] runs it on whichever
//! database the store was opened on, with that driver's own encoding and decoding (no
//! `sqlx::Any`: rows decode into the same Rust types on both). On PostgreSQL the `?`s become
//! `$1, $2, …` (see [`numbered`]). Where the dialects differ, the caller picks the text with
//! [`Pool::kind`].

use sqlx::postgres::{PgConnection, PgRow};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool};
use std::borrow::Cow;
use std::marker::PhantomData;

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    /// The scalar function of the smaller of its arguments.
    pub(crate) fn least(self) -> &'static str {
        match self {
            Kind::Sqlite => "MIN",
            Kind::Postgres => "LEAST",
        }
    }

    /// The scalar function of the larger of its arguments.
    pub(crate) fn greatest(self) -> &'static str {
        match self {
            Kind::Sqlite => "MAX",
            Kind::Postgres => "GREATEST",
        }
    }

    /// A boolean member of a JSON text column: `'$.operators'`-style path on SQLite,
    /// `->>` on PostgreSQL. `member` is a constant, never input.
    pub(crate) fn json_flag(self, column: &str, member: &str) -> String {
        match self {
            Kind::Sqlite => format!("COALESCE(json_extract({column}, '$.{member}'), 0) = 1"),
            Kind::Postgres => format!("COALESCE(({column}::jsonb ->> '{member}'), '') = 'true'"),
        }
    }
}

/// The store's connection pool.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Pool::Sqlite(_) => Kind::Sqlite,
            Pool::Postgres(_) => Kind::Postgres,
        }
    }

    pub(crate) async fn begin(&self) -> Result<Tx<'static>, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A connection of the pool, for statements that must share one (it goes back when
    /// dropped).
    pub(crate) async fn acquire(&self) -> Result<Pooled, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => Pooled::Sqlite(p.acquire().await?),
            Pool::Postgres(p) => Pooled::Postgres(p.acquire().await?),
        })
    }

    /// A connection of its own, taken out of the pool for good.
    pub(crate) async fn acquire_own(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => Conn::Sqlite(p.acquire().await?.detach()),
            Pool::Postgres(p) => Conn::Postgres(p.acquire().await?.detach()),
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// One connection held apart from the pool (the message writer's).
#[derive(Debug)]
pub(crate) enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Conn {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Conn::Sqlite(_) => Kind::Sqlite,
            Conn::Postgres(_) => Kind::Postgres,
        }
    }

    pub(crate) async fn close(self) {
        use sqlx::Connection;
        let _ = match self {
            Conn::Sqlite(c) => c.close().await,
            Conn::Postgres(c) => c.close().await,
        };
    }
}

/// A connection borrowed from the pool.
#[derive(Debug)]
pub(crate) enum Pooled {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

impl Pooled {
    /// Opens a transaction that writers take one at a time, across processes too: SQLite's
    /// write lock taken at once (`BEGIN IMMEDIATE`), or on PostgreSQL a transaction-scoped
    /// advisory lock on `lock`. End it with `COMMIT` or `ROLLBACK`.
    pub(crate) async fn begin_exclusive(&mut self, lock: i64) -> Result<(), sqlx::Error> {
        match self {
            Pooled::Sqlite(c) => {
                sqlx::query("BEGIN IMMEDIATE").execute(&mut **c).await?;
            }
            Pooled::Postgres(c) => {
                sqlx::query("BEGIN").execute(&mut **c).await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(lock)
                    .execute(&mut **c)
                    .await?;
            }
        }
        Ok(())
    }
}

impl<'c> From<&'c mut Pooled> for Target<'c> {
    fn from(c: &'c mut Pooled) -> Self {
        match c {
            Pooled::Sqlite(c) => Target::Sqlite(c),
            Pooled::Postgres(c) => Target::Postgres(c),
        }
    }
}

/// A transaction on either backend; rolled back when dropped uncommitted.
#[derive(Debug)]
pub(crate) enum Tx<'c> {
    Sqlite(sqlx::Transaction<'c, Sqlite>),
    Postgres(sqlx::Transaction<'c, Postgres>),
}

impl Tx<'_> {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Tx::Sqlite(_) => Kind::Sqlite,
            Tx::Postgres(_) => Kind::Postgres,
        }
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }
}

/// Where a query runs: the pool, a transaction, or a connection of one's own.
pub(crate) enum Target<'c> {
    SqlitePool(&'c SqlitePool),
    Sqlite(&'c mut SqliteConnection),
    PostgresPool(&'c PgPool),
    Postgres(&'c mut PgConnection),
}

impl<'c> From<&'c Pool> for Target<'c> {
    fn from(p: &'c Pool) -> Self {
        match p {
            Pool::Sqlite(p) => Target::SqlitePool(p),
            Pool::Postgres(p) => Target::PostgresPool(p),
        }
    }
}

impl<'c, 't> From<&'c mut Tx<'t>> for Target<'c> {
    fn from(t: &'c mut Tx<'t>) -> Self {
        match t {
            Tx::Sqlite(t) => Target::Sqlite(t),
            Tx::Postgres(t) => Target::Postgres(t),
        }
    }
}

impl<'c> From<&'c mut Conn> for Target<'c> {
    fn from(c: &'c mut Conn) -> Self {
        match c {
            Conn::Sqlite(c) => Target::Sqlite(c),
            Conn::Postgres(c) => Target::Postgres(c),
        }
    }
}

/// A bound value. Each variant keeps its type when it is NULL: PostgreSQL checks a
/// parameter's type even when it holds no value.
#[derive(Clone)]
pub(crate) enum Arg<'q> {
    Bool(Option<bool>),
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<Cow<'q, str>>),
    Blob(Option<Cow<'q, [u8]>>),
}

/// Values only, never printed: a bound value may be a message or an email.
impl std::fmt::Debug for Arg<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Arg(..)")
    }
}

macro_rules! arg_from {
    ($($t:ty => $v:ident $(as $cast:ty)?),* $(,)?) => {$(
        impl<'q> From<$t> for Arg<'q> {
            fn from(v: $t) -> Self {
                Arg::$v(Some(v $(as $cast)?))
            }
        }
        impl<'q> From<Option<$t>> for Arg<'q> {
            fn from(v: Option<$t>) -> Self {
                Arg::$v(v.map(|v| v $(as $cast)?))
            }
        }
    )*};
}

arg_from!(bool => Bool, i64 => Int, i32 => Int as i64, u32 => Int as i64, f64 => Real);

impl<'q> From<&i64> for Arg<'q> {
    fn from(v: &i64) -> Self {
        Arg::Int(Some(*v))
    }
}
impl<'q> From<&'q Option<String>> for Arg<'q> {
    fn from(v: &'q Option<String>) -> Self {
        Arg::Text(v.as_deref().map(Cow::Borrowed))
    }
}
impl<'q> From<&'q str> for Arg<'q> {
    fn from(v: &'q str) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}
impl<'q> From<Option<&'q str>> for Arg<'q> {
    fn from(v: Option<&'q str>) -> Self {
        Arg::Text(v.map(Cow::Borrowed))
    }
}
impl<'q> From<&'q String> for Arg<'q> {
    fn from(v: &'q String) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}
impl<'q> From<String> for Arg<'q> {
    fn from(v: String) -> Self {
        Arg::Text(Some(Cow::Owned(v)))
    }
}
impl<'q> From<Option<String>> for Arg<'q> {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v.map(Cow::Owned))
    }
}
impl<'q> From<&'q [u8]> for Arg<'q> {
    fn from(v: &'q [u8]) -> Self {
        Arg::Blob(Some(Cow::Borrowed(v)))
    }
}
impl<'q> From<&'q Vec<u8>> for Arg<'q> {
    fn from(v: &'q Vec<u8>) -> Self {
        Arg::Blob(Some(Cow::Borrowed(v)))
    }
}
impl<'q> From<Vec<u8>> for Arg<'q> {
    fn from(v: Vec<u8>) -> Self {
        Arg::Blob(Some(Cow::Owned(v)))
    }
}
impl<'q> From<Option<Vec<u8>>> for Arg<'q> {
    fn from(v: Option<Vec<u8>>) -> Self {
        Arg::Blob(v.map(Cow::Owned))
    }
}
impl<'q> From<Option<&'q [u8]>> for Arg<'q> {
    fn from(v: Option<&'q [u8]>) -> Self {
        Arg::Blob(v.map(Cow::Borrowed))
    }
}

/// Rows that decode from both backends.
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// A query and its bound values; `O` is the row it returns (`()` for none).
#[derive(Debug)]
pub(crate) struct Query<'q, O> {
    sql: Cow<'q, str>,
    args: Vec<Arg<'q>>,
    row: PhantomData<fn() -> O>,
}

/// A statement that returns no rows.
pub(crate) fn query<'q>(sql: impl Into<Cow<'q, str>>) -> Query<'q, ()> {
    Query {
        sql: sql.into(),
        args: Vec::new(),
        row: PhantomData,
    }
}

/// A query whose rows decode into `O` (usually a tuple).
pub(crate) fn query_as<'q, O: Row>(sql: impl Into<Cow<'q, str>>) -> Query<'q, O> {
    Query {
        sql: sql.into(),
        args: Vec::new(),
        row: PhantomData,
    }
}

/// The rows a statement changed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done(u64);

impl Done {
    pub(crate) fn rows_affected(&self) -> u64 {
        self.0
    }
}

/// Builds the driver's own query from the text and values, and runs `$run` on it against
/// `$target`: the same code, compiled once per backend.
macro_rules! on_target {
    ($self:ident, $target:expr, $make:ident, |$q:ident, $ex:ident| $run:expr) => {{
        let Query { sql, args, .. } = $self;
        match $target.into() {
            Target::SqlitePool(p) => {
                let $q = bind_sqlite(sqlx::$make(&sql), args);
                let $ex = p;
                $run
            }
            Target::Sqlite(c) => {
                let $q = bind_sqlite(sqlx::$make(&sql), args);
                let $ex = &mut *c;
                $run
            }
            Target::PostgresPool(p) => {
                let sql = numbered(&sql);
                let $q = bind_postgres(sqlx::$make(&sql), args);
                let $ex = p;
                $run
            }
            Target::Postgres(c) => {
                let sql = numbered(&sql);
                let $q = bind_postgres(sqlx::$make(&sql), args);
                let $ex = &mut *c;
                $run
            }
        }
    }};
}

/// What both kinds of sqlx query can be given a value with.
trait Bind<'q, DB: sqlx::Database>: Sized {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, DB> + sqlx::Type<DB>;
}

impl<'q, DB: sqlx::Database> Bind<'q, DB> for sqlx::query::Query<'q, DB, DB::Arguments<'q>> {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        self.bind(value)
    }
}

impl<'q, DB: sqlx::Database, O> Bind<'q, DB>
    for sqlx::query::QueryAs<'q, DB, O, DB::Arguments<'q>>
{
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        self.bind(value)
    }
}

fn bind_sqlite<'q, Q: Bind<'q, Sqlite>>(mut q: Q, args: Vec<Arg<'q>>) -> Q {
    for a in args {
        q = match a {
            Arg::Bool(v) => q.bind_value(v),
            Arg::Int(v) => q.bind_value(v),
            Arg::Real(v) => q.bind_value(v),
            Arg::Text(v) => q.bind_value(v),
            Arg::Blob(v) => q.bind_value(v.map(Cow::into_owned)),
        };
    }
    q
}

fn bind_postgres<'q, Q: Bind<'q, Postgres>>(mut q: Q, args: Vec<Arg<'q>>) -> Q {
    for a in args {
        q = match a {
            Arg::Bool(v) => q.bind_value(v),
            Arg::Int(v) => q.bind_value(v),
            Arg::Real(v) => q.bind_value(v),
            Arg::Text(v) => q.bind_value(v.map(Cow::into_owned)),
            Arg::Blob(v) => q.bind_value(v.map(Cow::into_owned)),
        };
    }
    q
}

impl<'q, O> Query<'q, O> {
    pub(crate) fn bind(mut self, value: impl Into<Arg<'q>>) -> Self {
        self.args.push(value.into());
        self
    }

    /// The same query, read as rows of `P`.
    pub(crate) fn rows<P: Row>(self) -> Query<'q, P> {
        Query {
            sql: self.sql,
            args: self.args,
            row: PhantomData,
        }
    }

    /// Appends `?, ?, …` inside parentheses, one per value (a `NULL` when there are none,
    /// which matches nothing).
    pub(crate) fn push_list<A: Into<Arg<'q>>>(
        &mut self,
        values: impl IntoIterator<Item = A>,
    ) -> &mut Self {
        self.push("(");
        let mut first = true;
        for v in values {
            if !first {
                self.push(", ");
            }
            first = false;
            self.push_bind(v);
        }
        if first {
            self.push("NULL");
        }
        self.push(")")
    }

    /// Appends SQL text (for queries built piece by piece).
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.to_mut().push_str(sql);
        self
    }

    /// Appends a `?` and its value.
    pub(crate) fn push_bind(&mut self, value: impl Into<Arg<'q>>) -> &mut Self {
        self.sql.to_mut().push('?');
        self.args.push(value.into());
        self
    }

    pub(crate) async fn execute<'c>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<Done, sqlx::Error> {
        on_target!(self, target, query, |q, ex| Ok(Done(
            q.execute(ex).await?.rows_affected()
        )))
    }
}

impl<'q, O: Row> Query<'q, O> {
    pub(crate) async fn fetch_one<'c>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<O, sqlx::Error> {
        on_target!(self, target, query_as, |q, ex| q.fetch_one(ex).await)
    }

    pub(crate) async fn fetch_optional<'c>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<Option<O>, sqlx::Error> {
        on_target!(self, target, query_as, |q, ex| q.fetch_optional(ex).await)
    }

    pub(crate) async fn fetch_all<'c>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<Vec<O>, sqlx::Error> {
        on_target!(self, target, query_as, |q, ex| q.fetch_all(ex).await)
    }
}

/// `sql` with its `?` placeholders numbered for PostgreSQL: `?` becomes `$1`, `$2`, … in
/// order, and `?N` becomes `$N`. Quoted text (`'…'`, `"…"`) is left alone.
pub(crate) fn numbered(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut next = 0u32;
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        out.push(d);
                    }
                } else {
                    next += 1;
                    out.push_str(&next.to_string());
                }
            }
            (None, c) => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered_outside_quotes_only() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE b = ? AND c IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"
        );
        assert_eq!(
            numbered("UPDATE t SET a = ?1 WHERE b < ?1"),
            "UPDATE t SET a = $1 WHERE b < $1"
        );
        assert_eq!(
            numbered("SELECT '?', \"a?\" FROM t WHERE x = ?"),
            "SELECT '?', \"a?\" FROM t WHERE x = $1"
        );
        assert_eq!(numbered("SELECT 1"), "SELECT 1");
    }
}
