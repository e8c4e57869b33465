//! [`Connection`]: one connection of its own, to PostgreSQL or SQLite. The migration engine works
//! on one: its advisory lock, `SET lock_timeout` and the statements that must run outside a
//! transaction (CREATE INDEX CONCURRENTLY) all belong to one session. Statements are counted by
//! nobody and bound like [`Db`](crate::Db)'s; rows come back as typed [`DbRow`]s.

use std::str::FromStr;
use std::time::Duration;

use sqlx::{AssertSqlSafe, Connection as _};

use crate::db::DbRow;
use crate::dialect::{redact, Dialect};
use crate::error::{Error, Result};
use crate::value::{FieldValue, Value};

/// How long a SQLite statement waits for another writer before failing with "database is locked".
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The options every PostgreSQL connection is opened with.
/// The options every PostgreSQL connection is opened with. `standard_conforming_strings` is on
/// for the session whatever the server's setting: teapot writes string literals as `'...'` with
/// `'` doubled, which a backslash could otherwise escape from.
pub(crate) fn pg_options(url: &str) -> Result<sqlx::postgres::PgConnectOptions> {
    Ok(sqlx::postgres::PgConnectOptions::from_str(url)
        .map_err(|e| Error::from_driver(&format!("cannot read the database url {}", redact(url)), e).with_connect_hint())?
        .options([("standard_conforming_strings", "on")]))
}

/// The options every SQLite connection is opened with: the file is created if missing, foreign
/// keys are enforced, and a busy database is waited for.
pub(crate) fn sqlite_options(url: &str) -> Result<sqlx::sqlite::SqliteConnectOptions> {
    Ok(sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::from_driver(&format!("cannot read the database url {}", redact(url)), e).with_connect_hint())?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT))
}

/// Makes SQLite read `"name"` as a name only. Left as it is, SQLite reads a double-quoted name
/// that resolves to nothing as a string literal: an index on a missing column indexes the
/// constant '', and `INSERT ... SELECT "missing" FROM t` copies the word into every row. With
/// this off, both are "no such column" errors (the sqlite3 shell has made the same choice since
/// SQLite 3.41). Every SQLite connection teapot opens is set this way.
pub(crate) async fn strict_identifiers(conn: &mut sqlx::SqliteConnection) -> std::result::Result<(), sqlx::Error> {
    use libsqlite3_sys::{sqlite3_db_config, SQLITE_DBCONFIG_DQS_DDL, SQLITE_DBCONFIG_DQS_DML, SQLITE_OK};
    use std::ffi::c_int;
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    for option in [SQLITE_DBCONFIG_DQS_DML, SQLITE_DBCONFIG_DQS_DDL] {
        // SAFETY: `db` is a live connection, locked away from sqlx's worker for this call; both
        // options take an int (0: off) and an optional int pointer to report the new setting.
        let rc = unsafe { sqlite3_db_config(db, option, 0 as c_int, std::ptr::null_mut::<c_int>()) };
        if rc != SQLITE_OK {
            return Err(sqlx::Error::Configuration(format!("SQLite refused sqlite3_db_config({option}, 0): code {rc}").into()));
        }
    }
    Ok(())
}

#[derive(Debug)]
enum Inner {
    Pg(sqlx::PgConnection),
    Sqlite(sqlx::SqliteConnection),
}

/// One connection, to either backend.
#[derive(Debug)]
pub struct Connection {
    inner: Inner,
    /// The SQLite database file (None for PostgreSQL and an in-memory SQLite).
    sqlite_file: Option<std::path::PathBuf>,
}

/// The file of a SQLite database, unless it lives in memory.
pub(crate) fn sqlite_file(opts: &sqlx::sqlite::SqliteConnectOptions) -> Option<std::path::PathBuf> {
    let f = opts.get_filename();
    let name = f.to_string_lossy();
    (!name.is_empty() && name != ":memory:" && !name.starts_with("file::memory:")).then(|| f.to_path_buf())
}

impl Connection {
    /// Opens a connection to `postgres://...` or `sqlite://...` (a SQLite file is created if missing).
    pub async fn open(url: &str) -> Result<Connection> {
        let fail = |e: sqlx::Error| Error::from_driver(&format!("cannot connect to {}", redact(url)), e).with_connect_hint();
        Ok(match Dialect::of_url(url)? {
            Dialect::Postgres => Connection::from_pg(sqlx::PgConnection::connect_with(&pg_options(url)?).await.map_err(fail)?),
            Dialect::Sqlite => {
                let opts = sqlite_options(url)?;
                let file = sqlite_file(&opts);
                let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.map_err(fail)?;
                strict_identifiers(&mut conn).await.map_err(fail)?;
                Connection::from_sqlite(conn, file)
            }
        })
    }

    pub(crate) fn from_pg(c: sqlx::PgConnection) -> Connection {
        Connection { inner: Inner::Pg(c), sqlite_file: None }
    }

    pub(crate) fn from_sqlite(c: sqlx::SqliteConnection, file: Option<std::path::PathBuf>) -> Connection {
        Connection { inner: Inner::Sqlite(c), sqlite_file: file }
    }

    /// The SQLite database file (None for PostgreSQL and an in-memory SQLite database).
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Pg(_) => Dialect::Postgres,
            Inner::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Runs SQL text as it is: one or more statements, no parameters, outside any prepared
    /// statement (so `CREATE INDEX CONCURRENTLY`, `BEGIN` and `SET` work).
    pub async fn run(&mut self, sql: &str) -> Result<u64> {
        let q = sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
        let done = match &mut self.inner {
            Inner::Pg(c) => q.execute(c).await.map(|r| r.rows_affected()),
            Inner::Sqlite(c) => q.execute(c).await.map(|r| r.rows_affected()),
        };
        done.map_err(|e| Error::from_driver("", e))
    }

    /// Runs one statement with bound values; returns the rows it affected.
    pub async fn execute(&mut self, sql: &str, values: &[Value]) -> Result<u64> {
        let text = sql.to_string();
        let done = match &mut self.inner {
            Inner::Pg(c) => {
                bind_all!(sqlx::query::<sqlx::Postgres>(AssertSqlSafe(text)), values.iter(), pg).execute(c).await.map(|r| r.rows_affected())
            }
            Inner::Sqlite(c) => bind_all!(sqlx::query::<sqlx::Sqlite>(AssertSqlSafe(text)), values.iter(), sqlite)
                .execute(c)
                .await
                .map(|r| r.rows_affected()),
        };
        done.map_err(|e| Error::from_driver("", e))
    }

    /// Runs a query with bound values; returns every row.
    pub async fn fetch_all(&mut self, sql: &str, values: &[Value]) -> Result<Vec<DbRow>> {
        let text = sql.to_string();
        let rows = match &mut self.inner {
            Inner::Pg(c) => bind_all!(sqlx::query::<sqlx::Postgres>(AssertSqlSafe(text)), values.iter(), pg)
                .fetch_all(c)
                .await
                .map(|rows| rows.into_iter().map(DbRow::Pg).collect()),
            Inner::Sqlite(c) => bind_all!(sqlx::query::<sqlx::Sqlite>(AssertSqlSafe(text)), values.iter(), sqlite)
                .fetch_all(c)
                .await
                .map(|rows| rows.into_iter().map(DbRow::Sqlite).collect()),
        };
        rows.map_err(|e| Error::from_driver("", e))
    }

    /// Runs a query; returns its first row, if any.
    pub async fn fetch_optional(&mut self, sql: &str, values: &[Value]) -> Result<Option<DbRow>> {
        Ok(self.fetch_all(sql, values).await?.into_iter().next())
    }

    /// Runs a query that returns one value (the first column of the first row); None without a row.
    pub async fn fetch_scalar<T: FieldValue>(&mut self, sql: &str, values: &[Value]) -> Result<Option<T>> {
        match self.fetch_optional(sql, values).await? {
            Some(row) => row.get::<T>(0).map(Some),
            None => Ok(None),
        }
    }

    /// Closes the connection cleanly.
    pub async fn close(self) {
        let _ = match self.inner {
            Inner::Pg(c) => c.close().await,
            Inner::Sqlite(c) => c.close().await,
        };
    }
}
