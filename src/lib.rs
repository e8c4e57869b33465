//! teapot: an async-native ORM in the spirit of Django's, with migrations that are zero-downtime
//! by default on PostgreSQL.
//!
//! ```no_run
//! use teapot::prelude::*;
//!
//! #[derive(Debug, Model)]
//! #[teapot(app = "library")]
//! pub struct Author {
//!     pub id: i64,
//!     #[teapot(max_length = 100, unique)]
//!     pub name: String,
//! }
//!
//! # async fn demo() -> teapot::Result<()> {
//! let db = Db::connect("sqlite://library.db").await?;
//! Migrator::new(&db).run().await?; // ./teapot.toml's migrations, as `teapot migrate` applies them
//! let mut le_guin = Author { name: "Ursula K. Le Guin".into(), ..Author::defaults() };
//! le_guin.create(&db).await?;
//! let found = Author::objects().filter(Author::name().eq("Ursula K. Le Guin")).get(&db).await?;
//! assert_eq!(found.id, le_guin.id);
//! # Ok(()) }
//! ```
//!
//! Where to find things:
//! - [`orm`] — the async ORM: [`Db`], [`orm::QuerySet`], the [`Model`] trait `#[derive(Model)]`
//!   implements, relations that are only ever loaded on request, transactions.
//! - [`migrate`] — the migration engine (`teapot_migrate`): [`Migrator`] applies a project's
//!   migrations from your own program, plainly or online.
//! - [`schema`] — `teapot_schema`: model state, operations, naming rules, the declaration reader.
//! - [`Error`] / [`ErrorKind`] — one error for everything; a database error keeps the driver's
//!   error as `source()`, with its SQLSTATE and constraint.
//!
//! The `teapot` command is the `teapot-cli` crate: a program using this library never compiles it.
#![warn(missing_docs, unreachable_pub)]

pub mod orm;

pub use orm::{Choices, ForeignKey, ManyToMany, Model, Reverse};
/// The versions of the apps' models compiled in (what a session sees during an expand).
pub use teapot_core::version;
pub use teapot_core::{Connection, DatabaseDetails, Db, Dialect, DriverError, Error, ErrorKind, Result};
#[doc(hidden)]
pub use teapot_macros::__gather;
pub use teapot_macros::{Choices, Model};
pub use teapot_migrate as migrate;
pub use teapot_migrate::Migrator;
pub use teapot_schema as schema;

#[doc(hidden)]
/// What the derive's output names (not an API).
pub mod __private {
    pub use inventory;
    pub use teapot_core::version::AppVersion;
}

/// What a model file needs: `use teapot::prelude::*;` brings the derive, the trait and the types.
pub mod prelude {
    pub use crate::orm::instance::ModelExt;
    pub use crate::orm::{Agg, Case, Cond, ForeignKey, ManyToMany, Reverse, TextColumn};
    // The derive and the trait share the name `Model`: one import brings both.
    pub use crate::Model;
    // The same for `Choices`: the derive of an enum a field may have as its type.
    pub use crate::Choices;
    pub use crate::{Db, Migrator};
    pub use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
    pub use rust_decimal::Decimal;
    pub use std::net::IpAddr;
    pub use uuid::Uuid;
}
