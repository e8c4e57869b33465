//! Migrations: operations, files, the graph, the autodetector, and makemigrations.
//!
//! - [`operation`] — what a migration does, and how it changes the state.
//! - [`file`] — the TOML file format (strict reading, deterministic writing).
//! - [`loader`] and [`graph`] — every app's files, dependencies, leaves, replay.
//! - [`autodetector`] and [`questioner`] — declared state minus replayed state, and the questions.
//! - [`writer`]: names, numbers, dependencies; [`make`] — makemigrations as a call.
//! - [`checksum`] — `migrations/teapot.sum`.

pub mod autodetector;
pub mod checksum;
pub mod executor;
pub mod file;
pub mod graph;
pub mod loader;
pub mod make;
pub mod online;
pub mod operation;
pub mod questioner;
pub mod recorder;
pub mod writer;

pub use file::Migration;
pub use graph::Graph;
pub use operation::{NamedField, Operation};
