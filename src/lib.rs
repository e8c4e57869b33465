//! teapot: an async-native ORM in the spirit of Django's, with migrations that are zero-downtime
//! by default on PostgreSQL.
//!
//! Where to find things:
//! - [`config`] — teapot.toml.
//! - [`declared`] — the models the source files declare (read with syn, never compiled).
//! - [`migrations`] — operations, migration files, the graph, the autodetector, makemigrations.
//! - [`orm`] — the async ORM: [`orm::Db`], [`orm::QuerySet`], the [`Model`] trait `#[derive(Model)]`
//!   implements, relations that are only ever loaded on request, transactions.
//! - [`backend`] — per-dialect SQL (schema editors, the online planner, introspection).
//! - [`check`] — `teapot check` (agreement, lint rules, integrity, drift).
//! - [`cli`] — the `teapot` command; it wires the pieces together and holds no SQL.
//! - [`teapot_schema`] (re-exported as [`schema`]): model state, naming rules, the declaration reader.
#![warn(missing_docs, unreachable_pub)]

pub mod backend;
pub mod check;
pub mod cli;
pub mod config;
pub mod db;
pub mod declared;
pub mod error;
pub mod migrations;
pub mod orm;

pub use error::{Error, ErrorKind, Result};
pub use orm::{ForeignKey, ManyToMany, Model, Reverse};
pub use teapot_macros::Model;
pub use teapot_schema as schema;

/// What a model file needs: `use teapot::prelude::*;`.
pub mod prelude {
    pub use crate::orm::instance::ModelExt;
    pub use crate::orm::{Agg, Cond, Db, ForeignKey, ManyToMany, Model, Reverse, TextColumn};
    pub use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
    pub use rust_decimal::Decimal;
    pub use uuid::Uuid;
}
