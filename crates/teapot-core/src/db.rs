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

    /// The name of column `idx`, as the statement gave it.
    pub fn column_name(&self, idx: usize) -> Option<String> {
        use sqlx::Column as _;
        match self {
            DbRow::Pg(r) => r.columns().get(idx).map(|c| c.name().to_string()),
            DbRow::Sqlite(r) => r.columns().get(idx).map(|c| c.name().to_string()),
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

/// A failed statement, and how many savepoints were open when it ran.
struct Broken {
    depth: usize,
    error: Error,
}

struct TxState {
    tx: Option<TxInner>,
    /// The open savepoints, outermost first, by id (`teapot_sp_<id>`). Ids are never reused, so a
    /// guard dropped late cannot roll back a newer savepoint that took its place.
    stack: Vec<u64>,
    next_id: u64,
    /// Set by a failed statement: PostgreSQL has aborted the transaction by then, and SQLite is
    /// made to behave the same, so that a commit never keeps the writes around a failure.
    broken: Option<Broken>,
    /// `on_commit` callbacks, each with the depth of the savepoint it was registered in (0: the
    /// transaction itself): run after the commit, dropped with what they were registered in.
    on_commit: Vec<(usize, Box<dyn FnOnce() + Send>)>,
}

struct TxShared {
    state: Mutex<TxState>,
    /// Ids of guards dropped without commit or rollback (0: the transaction itself). Drop cannot
    /// run SQL, so the rollback is done by the next statement on the transaction, before it runs.
    dropped: std::sync::Mutex<Vec<u64>>,
}

/// One `begin()`: the transaction (id 0) or a savepoint. Shared by the clones of the handle that
/// `begin()` returned; when the last of them goes without commit or rollback, it rolls back.
struct Scope {
    tx: Arc<TxShared>,
    id: u64,
    finished: std::sync::atomic::AtomicBool,
}

impl Drop for Scope {
    fn drop(&mut self) {
        if !self.finished.load(Ordering::SeqCst) {
            // Once no handle is left, sqlx rolls the dropped transaction back itself; until then
            // (savepoint handles outlive it) the id makes the next statement roll it back.
            self.tx.dropped.lock().unwrap_or_else(|p| p.into_inner()).push(self.id);
        }
    }
}

fn over() -> Error {
    Error::new(ErrorKind::Database, "the transaction is already over").hint("begin a new transaction")
}

/// Runs a statement of transaction control (SAVEPOINT, RELEASE, ROLLBACK TO) on the connection.
async fn control(inner: &mut TxInner, sql: &str) -> Result<()> {
    let q = sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
    match inner {
        TxInner::Pg(t) => q.execute(&mut **t).await.map(|_| ()),
        TxInner::Sqlite(t) => q.execute(&mut **t).await.map(|_| ()),
    }
    .map_err(|e| map_err(e, sql))
}

async fn finish(inner: TxInner, commit: bool) -> Result<()> {
    let (r, sql) = match (inner, commit) {
        (TxInner::Pg(t), true) => (t.commit().await, "COMMIT"),
        (TxInner::Sqlite(t), true) => (t.commit().await, "COMMIT"),
        (TxInner::Pg(t), false) => (t.rollback().await, "ROLLBACK"),
        (TxInner::Sqlite(t), false) => (t.rollback().await, "ROLLBACK"),
    };
    r.map_err(|e| map_err(e, sql))
}

impl TxState {
    /// Rolls back what dropped guards left open.
    async fn settle(&mut self, shared: &TxShared) -> Result<()> {
        let ids = std::mem::take(&mut *shared.dropped.lock().unwrap_or_else(|p| p.into_inner()));
        for id in ids {
            if id == 0 {
                self.on_commit.clear();
                if let Some(inner) = self.tx.take() {
                    finish(inner, false).await?;
                }
            } else if let Some(pos) = self.stack.iter().position(|&s| s == id) {
                self.rollback_to(pos).await?;
            }
        }
        Ok(())
    }

    /// Rolls back to the savepoint at `pos` in the stack and ends it (and those inside it). A
    /// failure inside it is undone with it: the transaction is usable again (Django's rule).
    async fn rollback_to(&mut self, pos: usize) -> Result<()> {
        let id = self.stack[pos];
        let inner = self.tx.as_mut().ok_or_else(over)?;
        control(inner, &format!("ROLLBACK TO SAVEPOINT teapot_sp_{id}")).await?;
        control(inner, &format!("RELEASE SAVEPOINT teapot_sp_{id}")).await?;
        self.stack.truncate(pos);
        self.on_commit.retain(|(depth, _)| *depth <= pos);
        if self.broken.as_ref().is_some_and(|b| b.depth > pos) {
            self.broken = None;
        }
        Ok(())
    }

    /// The connection, unless the transaction is over or broken.
    fn usable(&mut self) -> Result<&mut TxInner> {
        if let Some(b) = &self.broken {
            return Err(Error::transaction_broken(&b.error, "this statement was not run"));
        }
        self.tx.as_mut().ok_or_else(over)
    }

    fn fail(&mut self, error: &Error) {
        if self.broken.is_none() {
            self.broken = Some(Broken { depth: self.stack.len(), error: error.clone() });
        }
    }
}

struct Shared {
    pool: Pool,
    queries: AtomicU64,
    /// The foreign keys' ON DELETE actions, read from the catalog at the first delete that needs
    /// them ([`Db::delete_actions`]).
    delete_actions: std::sync::Mutex<Option<Arc<crate::catalog::DeleteActions>>>,
}

/// A database: a pool, or a transaction on one of its connections.
#[derive(Clone)]
pub struct Db {
    shared: Arc<Shared>,
    /// The transaction or savepoint this handle belongs to (None: the pool).
    scope: Option<Arc<Scope>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({}{})", self.dialect().name(), if self.scope.is_some() { ", in a transaction" } else { "" })
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
        if let Some(scope) = &$self.scope {
            let mut st = scope.tx.state.lock().await;
            st.settle(&scope.tx).await?;
            let result = match st.usable()? {
                TxInner::Pg(t) => {
                    $bind!(sqlx::query::<sqlx::Postgres>(AssertSqlSafe(sql_owned)), $values, pg).$method(&mut **t).await.map($pg)
                }
                TxInner::Sqlite(t) => {
                    $bind!(sqlx::query::<sqlx::Sqlite>(AssertSqlSafe(sql_owned)), $values, sqlite).$method(&mut **t).await.map($sqlite)
                }
            }
            .map_err(|e| map_err(e, $sql));
            if let Err(e) = &result {
                st.fail(e);
            }
            result
        } else {
            match &$self.shared.pool {
                Pool::Pg(p) => $bind!(sqlx::query::<sqlx::Postgres>(AssertSqlSafe(sql_owned)), $values, pg).$method(p).await.map($pg),
                Pool::Sqlite(p) => {
                    $bind!(sqlx::query::<sqlx::Sqlite>(AssertSqlSafe(sql_owned)), $values, sqlite).$method(p).await.map($sqlite)
                }
            }
            .map_err(|e| map_err(e, $sql))
        }
    }};
}

impl Db {
    /// Connects to `postgres://...` or `sqlite://...` (a SQLite file is created if missing).
    ///
    /// On PostgreSQL its sessions see the tables as the models compiled into this program know
    /// them, also while `migrate --online` has a rename or a type change expanded (see
    /// [`crate::version`]).
    pub async fn connect(url: &str) -> Result<Db> {
        Db::connect_as(url, crate::version::compiled_versions()).await
    }

    /// [`Db::connect`] as the given versions of the apps' models (schemas `teapot_v_<app>_<migration>`,
    /// put first in each PostgreSQL session's search_path) instead of the ones compiled in: for a
    /// tool or a test that speaks for another version.
    pub async fn connect_as(url: &str, versions: Vec<String>) -> Result<Db> {
        let fail = |e: sqlx::Error| Error::from_driver(&format!("cannot connect to {}", redact(url)), e).with_connect_hint();
        let pool = match Dialect::of_url(url)? {
            Dialect::Postgres => {
                let mut options = sqlx::postgres::PgPoolOptions::new().max_connections(10);
                if let Some(sql) = crate::version::search_path_sql(&versions) {
                    options = options.after_connect(move |conn, _| {
                        let sql = sql.clone();
                        Box::pin(async move { sqlx::Executor::execute(conn, sqlx::raw_sql(AssertSqlSafe(sql))).await.map(|_| ()) })
                    });
                }
                Pool::Pg(options.connect_with(pg_options(url)?).await.map_err(fail)?)
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
        Ok(Db { shared: Arc::new(Shared { pool, queries: AtomicU64::new(0), delete_actions: Default::default() }), scope: None })
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

    /// What each foreign key of the database does on delete, read from the catalog by the first
    /// call (one query, counted) and kept for this database's handles, clones and transactions:
    /// the ORM asks it before a delete to know which `on_delete` actions the database does itself.
    /// After a migration changes foreign keys under a running program, [`Db::forget_catalog`].
    pub async fn delete_actions(&self) -> Result<Arc<crate::catalog::DeleteActions>> {
        if let Some(known) = self.shared.delete_actions.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(known);
        }
        let read = Arc::new(crate::catalog::DeleteActions::read(self).await?);
        *self.shared.delete_actions.lock().unwrap_or_else(|p| p.into_inner()) = Some(read.clone());
        Ok(read)
    }

    /// Forgets what [`Db::delete_actions`] read: the next delete that needs it reads it again.
    pub fn forget_catalog(&self) {
        *self.shared.delete_actions.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Whether this handle is in a transaction (or a savepoint).
    pub fn in_transaction(&self) -> bool {
        self.scope.is_some()
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
        if self.scope.is_some() {
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
    /// [`Db::commit`] or [`Db::rollback`] (this handle and every clone of it), it rolls back.
    ///
    /// A statement that fails inside it breaks it, on both backends: later statements fail with
    /// [`ErrorKind::TransactionBroken`] and so does [`Db::commit`], which rolls back instead. A
    /// savepoint rolled back undoes a failure inside it, and the transaction goes on: run a
    /// statement that may fail in a nested `begin()` or [`Db::atomic`] to keep the transaction.
    pub async fn begin(&self) -> Result<Db> {
        self.begin_with(false).await
    }

    /// Begins a transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`), for work
    /// that reads and then writes. A deferred SQLite transaction that has read cannot take the
    /// write lock while another connection writes, and fails with "database is locked" without
    /// waiting; an immediate one waits (up to the busy timeout) at `BEGIN` instead, before it has
    /// read anything, so writers run one at a time. On PostgreSQL, and nested in a transaction
    /// (a savepoint), it is [`Db::begin`]: there, lock the rows you read to serialize
    /// read-then-write.
    pub async fn begin_immediate(&self) -> Result<Db> {
        self.begin_with(true).await
    }

    async fn begin_with(&self, immediate: bool) -> Result<Db> {
        self.shared.queries.fetch_add(1, Ordering::SeqCst);
        if let Some(scope) = &self.scope {
            let mut st = scope.tx.state.lock().await;
            st.settle(&scope.tx).await?;
            st.next_id += 1;
            let id = st.next_id;
            let inner = st.usable()?;
            if let Err(e) = control(inner, &format!("SAVEPOINT teapot_sp_{id}")).await {
                st.fail(&e);
                return Err(e);
            }
            st.stack.push(id);
            let child = Scope { tx: scope.tx.clone(), id, finished: false.into() };
            return Ok(Db { shared: self.shared.clone(), scope: Some(Arc::new(child)) });
        }
        let inner = match &self.shared.pool {
            Pool::Pg(p) => TxInner::Pg(p.begin().await.map_err(|e| map_err(e, "BEGIN"))?),
            Pool::Sqlite(p) if immediate => {
                TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await.map_err(|e| map_err(e, "BEGIN IMMEDIATE"))?)
            }
            Pool::Sqlite(p) => TxInner::Sqlite(p.begin().await.map_err(|e| map_err(e, "BEGIN"))?),
        };
        let state = TxState { tx: Some(inner), stack: Vec::new(), next_id: 0, broken: None, on_commit: Vec::new() };
        let shared = TxShared { state: Mutex::new(state), dropped: std::sync::Mutex::new(Vec::new()) };
        let scope = Scope { tx: Arc::new(shared), id: 0, finished: false.into() };
        Ok(Db { shared: self.shared.clone(), scope: Some(Arc::new(scope)) })
    }

    /// Commits this transaction (releases the savepoint, when nested). A broken one (a statement
    /// in it failed) is rolled back instead, and the error says so: kind
    /// [`ErrorKind::TransactionBroken`].
    pub async fn commit(self) -> Result<()> {
        let scope = self.scope.clone().ok_or_else(|| Error::new(ErrorKind::Usage, "commit() outside a transaction"))?;
        scope.finished.store(true, Ordering::SeqCst);
        self.shared.queries.fetch_add(1, Ordering::SeqCst);
        let mut st = scope.tx.state.lock().await;
        st.settle(&scope.tx).await?;
        if scope.id > 0 {
            let Some(pos) = st.stack.iter().position(|&s| s == scope.id) else {
                return Err(Error::new(ErrorKind::Usage, "commit() of a savepoint that is already over")
                    .hint("a savepoint ends with the transaction or savepoint around it"));
            };
            if let Some(b) = st.broken.as_ref().filter(|b| b.depth > pos) {
                let e = Error::transaction_broken(&b.error, "the savepoint was rolled back, not released");
                st.rollback_to(pos).await?;
                return Err(e);
            }
            let inner = st.usable()?;
            if let Err(e) = control(inner, &format!("RELEASE SAVEPOINT teapot_sp_{}", scope.id)).await {
                st.fail(&e);
                return Err(e);
            }
            st.stack.truncate(pos);
            return Ok(());
        }
        let inner = st.tx.take().ok_or_else(over)?;
        let callbacks = std::mem::take(&mut st.on_commit);
        if let Some(b) = st.broken.take() {
            finish(inner, false).await?;
            return Err(Error::transaction_broken(&b.error, "the transaction was rolled back, not committed"));
        }
        finish(inner, true).await?;
        drop(st);
        for (_, f) in callbacks {
            f();
        }
        Ok(())
    }

    /// Runs `f` once this transaction commits (Django's `transaction.on_commit`): after the
    /// outermost COMMIT, in the order registered; never if it rolls back, and not if the savepoint
    /// it was registered in rolls back. Outside a transaction it runs at once. For work that must
    /// only see committed data (a message to another service, a cache to clear); spawn a task in
    /// it for async work.
    pub async fn on_commit(&self, f: impl FnOnce() + Send + 'static) {
        let Some(scope) = &self.scope else {
            f();
            return;
        };
        let mut st = scope.tx.state.lock().await;
        if st.tx.is_none() {
            // Over already: nothing will commit.
            return;
        }
        let depth = st.stack.len();
        st.on_commit.push((depth, Box::new(f)));
    }

    /// Rolls this transaction back (to the savepoint, when nested).
    pub async fn rollback(self) -> Result<()> {
        let scope = self.scope.clone().ok_or_else(|| Error::new(ErrorKind::Usage, "rollback() outside a transaction"))?;
        scope.finished.store(true, Ordering::SeqCst);
        self.shared.queries.fetch_add(1, Ordering::SeqCst);
        let mut st = scope.tx.state.lock().await;
        st.settle(&scope.tx).await?;
        if scope.id > 0 {
            return match st.stack.iter().position(|&s| s == scope.id) {
                Some(pos) => st.rollback_to(pos).await,
                None => Ok(()),
            };
        }
        st.broken = None;
        st.on_commit.clear();
        match st.tx.take() {
            Some(inner) => finish(inner, false).await,
            None => Ok(()),
        }
    }

    /// Runs `f` in a transaction (a savepoint when nested): committed when it returns Ok, rolled
    /// back when it returns an error or panics (the panic then goes on). When a statement in it
    /// failed and `f` returned Ok anyway, nothing is committed and the result is an error of
    /// kind [`ErrorKind::TransactionBroken`] (see [`Db::begin`]).
    pub async fn atomic<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce(Db) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let tx = self.begin().await?;
        run_atomic(tx, f).await
    }

    /// [`Db::atomic`] in a transaction begun with [`Db::begin_immediate`]: on SQLite, concurrent
    /// read-then-write tasks wait their turn instead of failing with "database is locked".
    pub async fn atomic_immediate<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce(Db) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let tx = self.begin_immediate().await?;
        run_atomic(tx, f).await
    }
}

/// Runs the block where it is (not on a task of its own), so it may borrow what the caller has:
/// `db.atomic(|tx| async { order.save(&tx).await })` with `order` a local. A panic in it rolls
/// back and goes on; a block whose future is dropped half-way leaves its transaction guard to
/// roll back.
async fn run_atomic<T, F, Fut>(tx: Db, f: F) -> Result<T>
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(f(tx.clone())).catch_unwind().await {
        Ok(Ok(v)) => {
            tx.commit().await?;
            Ok(v)
        }
        Ok(Err(e)) => {
            tx.rollback().await?;
            Err(e)
        }
        Err(panic) => {
            let _ = tx.rollback().await;
            std::panic::resume_unwind(panic)
        }
    }
}
