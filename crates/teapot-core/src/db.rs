//! [`Db`]: a pool of connections to PostgreSQL or SQLite, cheap to clone and shared by many tasks;
//! or, inside a transaction, a handle on that transaction's connection. Every statement goes
//! through here, so [`Db::query_count`] counts them all.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::{AssertSqlSafe, Row as _};
use tokio::sync::Mutex;

use crate::connection::{pg_options, sqlite_options, Connection};
use crate::dialect::{redact, Dialect};
use crate::error::{Error, ErrorKind, Result};
use crate::value::{FieldValue, Value};

/// A row from either backend.
pub enum DbRow {
    /// PostgreSQL.
    Pg(sqlx::postgres::PgRow),
    /// SQLite.
    Sqlite(sqlx::sqlite::SqliteRow),
}

impl DbRow {
    /// Whether column `idx` is NULL.
    pub fn is_null(&self, idx: usize) -> bool {
        use sqlx::ValueRef as _;
        match self {
            DbRow::Pg(r) => r.try_get_raw(idx).map(|v| v.is_null()).unwrap_or(true),
            DbRow::Sqlite(r) => r.try_get_raw(idx).map(|v| v.is_null()).unwrap_or(true),
        }
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        match self {
            DbRow::Pg(r) => r.len(),
            DbRow::Sqlite(r) => r.len(),
        }
    }

    /// Whether the row has no column.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Column `idx`, decoded as `T` (an `Option<T>` for a column that may be NULL).
    pub fn get<T: FieldValue>(&self, idx: usize) -> Result<T> {
        T::decode(self, idx)
    }
}

enum Pool {
    Pg(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

enum TxInner {
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

struct TxState {
    tx: Option<TxInner>,
    depth: u32,
}

struct Shared {
    pool: Pool,
    queries: AtomicU64,
}

/// A database: a pool, or a transaction on one of its connections.
#[derive(Clone)]
pub struct Db {
    shared: Arc<Shared>,
    tx: Option<Arc<Mutex<TxState>>>,
    /// This handle's savepoint depth (0: the transaction itself).
    level: u32,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({}{})", self.dialect().name(), if self.tx.is_some() { ", in a transaction" } else { "" })
    }
}

/// Maps a driver error to teapot's kinds, naming the statement (its first 200 characters).
pub fn map_err(e: sqlx::Error, sql: &str) -> Error {
    let shown: String = sql.chars().take(200).collect();
    let err = Error::from_driver("", e);
    if err.database.is_some() {
        let message = format!("{} (in: {shown})", err.message);
        err.with_message(message)
    } else if err.kind == ErrorKind::Connection {
        let message = format!("database connection: {}", err.message);
        err.with_message(message)
    } else {
        err
    }
}

/// Runs one statement on the transaction's connection or on the pool, counting it.
macro_rules! run {
    ($self:ident, $sql:expr, $values:expr, $bind:ident, $method:ident, $pg:expr, $sqlite:expr) => {{
        $self.shared.queries.fetch_add(1, Ordering::SeqCst);
        let sql_owned = $sql.to_string();
        let result = if let Some(tx) = &$self.tx {
            let mut st = tx.lock().await;
            let inner = st.tx.as_mut().ok_or_else(|| Error::new(ErrorKind::Database, "the transaction is already over"))?;
            match inner {
                TxInner::Pg(t) => {
                    $bind!(sqlx::query::<sqlx::Postgres>(AssertSqlSafe(sql_owned)), $values, pg).$method(&mut **t).await.map($pg)
                }
                TxInner::Sqlite(t) => {
                    $bind!(sqlx::query::<sqlx::Sqlite>(AssertSqlSafe(sql_owned)), $values, sqlite).$method(&mut **t).await.map($sqlite)
                }
            }
        } else {
            match &$self.shared.pool {
                Pool::Pg(p) => $bind!(sqlx::query::<sqlx::Postgres>(AssertSqlSafe(sql_owned)), $values, pg).$method(p).await.map($pg),
                Pool::Sqlite(p) => {
                    $bind!(sqlx::query::<sqlx::Sqlite>(AssertSqlSafe(sql_owned)), $values, sqlite).$method(p).await.map($sqlite)
                }
            }
        };
        result.map_err(|e| map_err(e, $sql))
    }};
}

impl Db {
    /// Connects to `postgres://...` or `sqlite://...` (a SQLite file is created if missing).
    pub async fn connect(url: &str) -> Result<Db> {
        let fail = |e: sqlx::Error| Error::from_driver(&format!("cannot connect to {}", redact(url)), e).with_connect_hint();
        let pool = match Dialect::of_url(url)? {
            Dialect::Postgres => {
                Pool::Pg(sqlx::postgres::PgPoolOptions::new().max_connections(10).connect_with(pg_options(url)?).await.map_err(fail)?)
            }
            Dialect::Sqlite => Pool::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _| Box::pin(crate::connection::strict_identifiers(conn)))
                    .connect_with(sqlite_options(url)?)
                    .await
                    .map_err(fail)?,
            ),
        };
        Ok(Db { shared: Arc::new(Shared { pool, queries: AtomicU64::new(0) }), tx: None, level: 0 })
    }

    /// A connection of its own, taken out of the pool (it is closed, not returned, when done):
    /// for work that sets session state, such as the migrator's lock and lock_timeout.
    pub async fn acquire(&self) -> Result<Connection> {
        let fail = |e: sqlx::Error| Error::from_driver("cannot take a connection from the pool", e).with_connect_hint();
        Ok(match &self.shared.pool {
            Pool::Pg(p) => Connection::from_pg(p.acquire().await.map_err(fail)?.detach()),
            Pool::Sqlite(p) => {
                let file = crate::connection::sqlite_file(&p.connect_options());
                Connection::from_sqlite(p.acquire().await.map_err(fail)?.detach(), file)
            }
        })
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        match self.shared.pool {
            Pool::Pg(_) => Dialect::Postgres,
            Pool::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Statements run through this database (and its clones and transactions) so far.
    pub fn query_count(&self) -> u64 {
        self.shared.queries.load(Ordering::SeqCst)
    }

    /// The most values one statement may bind.
    pub fn max_binds(&self) -> usize {
        match self.dialect() {
            Dialect::Postgres => 65_535,
            Dialect::Sqlite => 32_766,
        }
    }

    /// The placeholder for the `n`-th (1-based) value.
    pub fn placeholder(&self, n: usize) -> String {
        self.dialect().placeholder(n)
    }

    /// Runs a statement; returns the rows it affected.
    pub async fn execute(&self, sql: &str, values: &[Value]) -> Result<u64> {
        run!(self, sql, values.iter(), bind_all, execute, |r| r.rows_affected(), |r| r.rows_affected())
    }

    /// Runs a query that takes its values by value (no copy of them is made); returns every row.
    pub async fn fetch_all_owned(&self, sql: &str, values: Vec<Value>) -> Result<Vec<DbRow>> {
        run!(self, sql, values, bind_owned, fetch_all, |rows| rows.into_iter().map(DbRow::Pg).collect(), |rows| rows
            .into_iter()
            .map(DbRow::Sqlite)
            .collect())
    }

    /// Runs a query; returns every row.
    pub async fn fetch_all(&self, sql: &str, values: &[Value]) -> Result<Vec<DbRow>> {
        run!(self, sql, values.iter(), bind_all, fetch_all, |rows| rows.into_iter().map(DbRow::Pg).collect(), |rows| rows
            .into_iter()
            .map(DbRow::Sqlite)
            .collect())
    }

    /// Runs a query and yields its rows one at a time, as the driver receives them (on the pool;
    /// inside a transaction the rows are read first, then yielded).
    pub fn fetch_stream<'a>(&'a self, sql: String, values: Vec<Value>) -> futures_core::stream::BoxStream<'a, Result<DbRow>> {
        use futures_util::StreamExt;
        self.shared.queries.fetch_add(1, Ordering::SeqCst);
        if self.tx.is_some() {
            return futures_util::stream::once(async move {
                let _ = self.shared.queries.fetch_sub(1, Ordering::SeqCst);
                self.fetch_all(&sql, &values).await
            })
            .flat_map(|r| match r {
                Ok(rows) => futures_util::stream::iter(rows.into_iter().map(Ok)).boxed(),
                Err(e) => futures_util::stream::iter(vec![Err(e)]).boxed(),
            })
            .boxed();
        }
        let shown = sql.clone();
        match &self.shared.pool {
            Pool::Pg(p) => bind_all!(sqlx::query::<sqlx::Postgres>(AssertSqlSafe(sql)), values.iter(), pg)
                .fetch(p)
                .map(move |r| r.map(DbRow::Pg).map_err(|e| map_err(e, &shown)))
                .boxed(),
            Pool::Sqlite(p) => bind_all!(sqlx::query::<sqlx::Sqlite>(AssertSqlSafe(sql)), values.iter(), sqlite)
                .fetch(p)
                .map(move |r| r.map(DbRow::Sqlite).map_err(|e| map_err(e, &shown)))
                .boxed(),
        }
    }

    /// Begins a transaction (a savepoint when this handle is already in one). Dropped without
    /// [`Db::commit`], a transaction rolls back.
    pub async fn begin(&self) -> Result<Db> {
        self.shared.queries.fetch_add(1, Ordering::SeqCst);
        if let Some(tx) = &self.tx {
            let mut st = tx.lock().await;
            st.depth += 1;
            let level = st.depth;
            drop(st);
            let child = Db { shared: self.shared.clone(), tx: Some(tx.clone()), level };
            child.raw(&format!("SAVEPOINT teapot_sp_{level}")).await?;
            return Ok(child);
        }
        let inner = match &self.shared.pool {
            Pool::Pg(p) => TxInner::Pg(p.begin().await.map_err(|e| map_err(e, "BEGIN"))?),
            Pool::Sqlite(p) => TxInner::Sqlite(p.begin().await.map_err(|e| map_err(e, "BEGIN"))?),
        };
        Ok(Db { shared: self.shared.clone(), tx: Some(Arc::new(Mutex::new(TxState { tx: Some(inner), depth: 0 }))), level: 0 })
    }

    async fn raw(&self, sql: &str) -> Result<()> {
        self.execute(sql, &[]).await.map(|_| ())
    }

    /// Commits this transaction (releases the savepoint, when nested).
    pub async fn commit(self) -> Result<()> {
        let tx = self.tx.clone().ok_or_else(|| Error::new(ErrorKind::Usage, "commit() outside a transaction"))?;
        if self.level > 0 {
            self.raw(&format!("RELEASE SAVEPOINT teapot_sp_{}", self.level)).await?;
            tx.lock().await.depth -= 1;
            return Ok(());
        }
        self.shared.queries.fetch_add(1, Ordering::SeqCst);
        let inner = tx.lock().await.tx.take();
        match inner {
            Some(TxInner::Pg(t)) => t.commit().await.map_err(|e| map_err(e, "COMMIT")),
            Some(TxInner::Sqlite(t)) => t.commit().await.map_err(|e| map_err(e, "COMMIT")),
            None => Err(Error::new(ErrorKind::Database, "the transaction is already over")),
        }
    }

    /// Rolls this transaction back (to the savepoint, when nested).
    pub async fn rollback(self) -> Result<()> {
        let tx = self.tx.clone().ok_or_else(|| Error::new(ErrorKind::Usage, "rollback() outside a transaction"))?;
        if self.level > 0 {
            self.raw(&format!("ROLLBACK TO SAVEPOINT teapot_sp_{}", self.level)).await?;
            tx.lock().await.depth -= 1;
            return Ok(());
        }
        self.shared.queries.fetch_add(1, Ordering::SeqCst);
        let inner = tx.lock().await.tx.take();
        match inner {
            Some(TxInner::Pg(t)) => t.rollback().await.map_err(|e| map_err(e, "ROLLBACK")),
            Some(TxInner::Sqlite(t)) => t.rollback().await.map_err(|e| map_err(e, "ROLLBACK")),
            None => Ok(()),
        }
    }

    /// Runs `f` in a transaction (a savepoint when nested): committed when it returns Ok, rolled
    /// back when it returns an error or panics (the panic then goes on).
    pub async fn atomic<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce(Db) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let tx = self.begin().await?;
        let handle = tokio::spawn(f(tx.clone()));
        match handle.await {
            Ok(Ok(v)) => {
                tx.commit().await?;
                Ok(v)
            }
            Ok(Err(e)) => {
                tx.rollback().await?;
                Err(e)
            }
            Err(join) => {
                let _ = tx.rollback().await;
                if join.is_panic() {
                    std::panic::resume_unwind(join.into_panic());
                }
                Err(Error::new(ErrorKind::Database, "the transaction's task was cancelled; rolled back"))
            }
        }
    }
}
