//! A database connection for the migration tools: PostgreSQL or SQLite, chosen by the URL.

use std::str::FromStr;

use sqlx::{AssertSqlSafe, Connection, Row};

use crate::backend::{redact, Dialect};
use crate::error::{Error, ErrorKind, Result};

/// One connection, to either backend.
#[derive(Debug)]
pub enum Conn {
    /// PostgreSQL.
    Pg(sqlx::PgConnection),
    /// SQLite.
    Sqlite(sqlx::SqliteConnection),
}

/// Turns a driver error into a teapot error that says where it happened.
pub fn db_error(context: &str, e: sqlx::Error) -> Error {
    let msg = match &e {
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    };
    Error::new(ErrorKind::Database, format!("{context}: {msg}"))
}

impl Conn {
    /// Connects; a SQLite file is created if missing.
    pub async fn connect(url: &str) -> Result<Conn> {
        let dialect = Dialect::of_url(url)?;
        let fail = |e: sqlx::Error| {
            Error::new(ErrorKind::Database, format!("cannot connect to {}: {e}", redact(url))).hint(
                "check that the database server runs and the URL (teapot.toml [database] url, DATABASE_URL or --database-url) is right",
            )
        };
        Ok(match dialect {
            Dialect::Postgres => Conn::Pg(sqlx::PgConnection::connect(url).await.map_err(fail)?),
            Dialect::Sqlite => {
                let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url).map_err(fail)?.create_if_missing(true).foreign_keys(true);
                Conn::Sqlite(sqlx::SqliteConnection::connect_with(&opts).await.map_err(fail)?)
            }
        })
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            Conn::Pg(_) => Dialect::Postgres,
            Conn::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Runs SQL text (one or more statements, no parameters).
    pub async fn execute(&mut self, sql: &str) -> std::result::Result<u64, sqlx::Error> {
        let q = sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
        Ok(match self {
            Conn::Pg(c) => q.execute(c).await?.rows_affected(),
            Conn::Sqlite(c) => q.execute(c).await?.rows_affected(),
        })
    }

    /// Runs a query with text parameters and returns every row as strings (NULL as None).
    pub async fn query_strings(&mut self, sql: &str, params: &[&str]) -> std::result::Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        macro_rules! run {
            ($c:expr, $db:ty) => {{
                let mut q = sqlx::query::<$db>(AssertSqlSafe(sql.to_string()));
                for p in params {
                    q = q.bind(p.to_string());
                }
                let rows = q.fetch_all($c).await?;
                rows.iter()
                    .map(|r| (0..r.len()).map(|i| r.try_get::<Option<String>, _>(i)).collect::<std::result::Result<Vec<_>, _>>())
                    .collect::<std::result::Result<Vec<_>, _>>()?
            }};
        }
        Ok(match self {
            Conn::Pg(c) => run!(c, sqlx::Postgres),
            Conn::Sqlite(c) => run!(c, sqlx::Sqlite),
        })
    }

    /// Closes the connection cleanly.
    pub async fn close(self) {
        let _ = match self {
            Conn::Pg(c) => c.close().await,
            Conn::Sqlite(c) => c.close().await,
        };
    }
}
