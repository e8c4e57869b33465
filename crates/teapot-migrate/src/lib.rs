//! teapot-migrate: the migration engine. It reads a project (teapot.toml, model files, migration
//! files), decides what changed, and applies migrations to PostgreSQL or SQLite, plainly or online.
//!
//! Where to find things, in the order data flows through them:
//! - [`config`] — teapot.toml: apps, their model files and migration folders, the database, `[online]`.
//! - [`declared`] — the models the source files declare (read with syn, never compiled).
//! - [`autodetector`] and [`questioner`] — declared state minus replayed state, and the questions.
//! - [`file`], [`loader`], [`graph`] — migration files (TOML), every app's, dependencies, replay.
//! - [`writer`] and [`make`] — names, numbers, dependencies; makemigrations as a call.
//! - [`checksum`] — `migrations/teapot.sum`.
//! - [`backend`] — per-dialect SQL: the schema editors, the online planner, introspection.
//! - [`executor`] (plain) and [`online_executor`] (`--online`) — run a plan; [`recorder`] keeps
//!   what is applied, [`progress`] the finished steps of a migration applied step by step.
//! - [`migrator`] — [`Migrator`]: lock, plan, run, release, with progress events; what the CLI and a
//!   program of yours both call.
//! - [`check`] — `teapot check`: agreement, lint rules, integrity, drift.
//!
//! The operations themselves ([`Operation`]) and the state they change live in `teapot_schema`.
#![warn(missing_docs, unreachable_pub)]

pub mod autodetector;
pub mod backend;
mod carry;
pub mod check;
pub mod checksum;
pub mod config;
pub mod declared;
pub mod executor;
pub mod fake_initial;
pub mod file;
pub mod graph;
pub mod inspect;
pub mod loader;
pub mod make;
pub mod migrator;
pub mod online_executor;
pub mod progress;
pub mod questioner;
pub mod recorder;
pub mod writer;

pub use config::Config;
pub use file::Migration;
pub use graph::Graph;
pub use migrator::Migrator;
pub use teapot_core::{Error, ErrorKind, Result};
pub use teapot_schema::{NamedField, Operation};
