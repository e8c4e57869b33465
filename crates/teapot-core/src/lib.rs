//! teapot-core: the one database layer under teapot's ORM and its migration engine.
//!
//! Where to find things:
//! - [`dialect`] — [`Dialect`] (PostgreSQL or SQLite, from a URL), identifier quoting, URL redaction.
//! - [`db`] — [`Db`]: a pool, or a transaction on one of its connections; every statement counted.
//! - [`catalog`] — what the database's foreign keys do on delete, read once per [`Db`].
//! - [`connection`] — [`Connection`]: one dedicated connection, for work that needs session state
//!   (advisory locks, `SET lock_timeout`, statements outside any transaction).
//! - [`value`] — [`Value`] (what is bound) and [`FieldValue`] (Rust types to and from both backends);
//!   rows are read typed with [`DbRow::get`].
//! - [`version`] — the versions of the apps' models compiled in, whose views a session sees
//!   while an expand / contract migration is in flight.
//! - [`error`] — [`Error`] with a matchable [`ErrorKind`]; a database error keeps the driver error as
//!   its `source()`, with the SQLSTATE, constraint and table.
#![warn(missing_docs, unreachable_pub)]

#[macro_use]
mod bind;
pub mod catalog;
pub mod connection;
pub mod db;
pub mod dialect;
pub mod error;
pub mod value;
pub mod version;

pub use connection::Connection;
pub use db::{Db, DbRow};
pub use dialect::{quote, redact, Dialect};
pub use error::{DatabaseDetails, DriverError, Error, ErrorKind, Result};
pub use value::{unknown_choice, FieldValue, IntoArg, NullType, Value};
