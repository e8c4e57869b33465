//! teapot-schema: what a project's models are, as pure data. No database, no async.
//!
//! Where to find things:
//! - [`field`] — [`Field`] and its logical [`FieldType`], as migration files store them.
//! - [`model`] — [`ModelState`] with its [`Index`]es and [`Constraint`]s.
//! - [`project`] — [`ProjectState`], every model of every app.
//! - [`operation`] — [`Operation`]: what a migration does, and how it changes the state (the replay).
//! - [`naming`] — table, index and constraint names, built the way Django builds them.
//! - [`reader`] — `#[derive(Model)]` structs (read with syn) to [`ModelState`]; shared by the CLI and
//!   the derive macro.
//! - [`resolve`] — rules across models (relation targets, reverse accessors, tables).
//! - [`text`] — what names and raw expressions may hold before they reach SQL.
//! - [`sql_lexer`] — where SQL text's statements end (quotes, dollar quotes, comments).
//! - [`version`] — the schemas of views each version of an app sees during an expand, and which
//!   version a crate's models are (the app's latest migration).
#![warn(missing_docs, unreachable_pub)]

pub mod error;
pub mod field;
pub mod model;
pub mod naming;
pub mod operation;
pub mod project;
pub mod reader;
pub mod resolve;
pub mod sql_lexer;
pub mod text;
pub mod version;

pub use error::{ErrorKind, SchemaError};
pub use field::{Choice, DefaultFn, Field, FieldType, Literal, OnDelete};
pub use model::{Constraint, ConstraintKind, Index, ModelState, NameHistory};
pub use operation::{NamedField, Operation, StateError};
pub use project::ProjectState;
pub use reader::{
    literal_fits, read_abstract, read_abstracts, read_enum, read_source, read_source_items, read_source_items_with, read_struct,
    read_struct_source, read_struct_with, AbstractDecl, ChoicesEnum, Declaration, Location, ReadError, SourceItems,
};
pub use resolve::{resolve, resolve_with_choices, SourcedChoices, SourcedDeclaration};
