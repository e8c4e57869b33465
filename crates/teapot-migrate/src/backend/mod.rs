//! Per-dialect SQL for operations (the schema editors) and the names of what they create.
//!
//! - [`postgres`] — PostgreSQL DDL, statement for statement what Django emits for the same models.
//! - [`sqlite`] — SQLite DDL; what ALTER TABLE cannot do is a table rebuild (create, copy, drop, rename).
//! - [`inverse`] — the operations that undo an operation, which is how backwards SQL is rendered.
//! - [`expand`] — expand / contract: renames and rewriting type changes applied in two phases online.
//! - [`objects`] — the indexes and constraints a model's state implies, with their names.
//!
//! Each operation renders to statements run at once and statements deferred to the end of the
//! migration (foreign keys and indexes, as Django defers them), given the project state just
//! before and just after it.

pub mod expand;
pub mod introspect;
pub mod inverse;
pub mod lower;
pub mod objects;
pub mod online;
pub mod postgres;
pub mod sqlite;

use teapot_schema::{Field, FieldType, ProjectState};

use crate::Operation;
use teapot_core::{Error, ErrorKind, Result};

pub use teapot_core::{quote, redact, Dialect};

/// The SQL of one operation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// Run now, in order.
    pub now: Vec<String>,
    /// Run at the end of the migration (foreign keys, indexes).
    pub deferred: Vec<String>,
    /// Tables `now` rebuilds (SQLite: create a copy, move the rows, drop the old table). The old
    /// table's indexes and triggers go with it; the executor carries over those no model declares.
    pub rebuilt: Vec<Rebuild>,
}

/// A table an operation rebuilds on SQLite.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rebuild {
    /// The table.
    pub table: String,
    /// The indexes the models declare on it, before or after the operation: the rebuild drops
    /// or re-creates these itself. Any other index (or trigger) on it is carried over.
    pub declared: Vec<String>,
}

impl Rendered {
    fn extend(&mut self, other: Rendered) {
        self.now.extend(other.now);
        self.deferred.extend(other.deferred);
        self.rebuilt.extend(other.rebuilt);
    }
}

/// Whether the operation is about a model with `managed = false`: migrations never touch its table.
pub(crate) fn unmanaged(app: &str, op: &Operation, before: &ProjectState, after: &ProjectState) -> bool {
    op.model_name().and_then(|name| after.get(app, name).or_else(|| before.get(app, name))).is_some_and(|m| !m.managed)
}

/// Renders an operation forwards, given the state before and after it.
pub fn render(dialect: Dialect, app: &str, op: &Operation, before: &ProjectState, after: &ProjectState) -> Result<Rendered> {
    match dialect {
        Dialect::Postgres => postgres::render(app, op, before, after),
        Dialect::Sqlite => sqlite::render(app, op, before, after),
    }
}

/// Renders the SQL that undoes `op`, given the state before it (the state it returns to).
pub fn render_backwards(dialect: Dialect, app: &str, op: &Operation, before: &ProjectState) -> Result<Rendered> {
    let inverse = inverse::inverse(app, op, before)?;
    let mut state = before.clone();
    op.apply(app, &mut state).map_err(|e| Error::new(ErrorKind::MigrationFile, e.to_string()))?;
    let mut out = Rendered::default();
    for inv in inverse {
        let prev = state.clone();
        inv.apply(app, &mut state).map_err(|e| Error::new(ErrorKind::MigrationFile, format!("cannot undo {}: {e}", op.describe())))?;
        // Undoing returns to `before`, whose history names the unique constraints: a field made
        // un-unique and back gets the `_key` it was created with again, not a `_uniq` one.
        for m in state.models_mut() {
            if let Some(b) = before.get(&m.app, &m.name) {
                m.history = b.history.clone();
            }
        }
        out.extend(render(dialect, app, &inv, &prev, &state)?);
    }
    Ok(out)
}

/// The model a relation points at, or an error naming it.
pub(crate) fn target<'a>(state: &'a ProjectState, f: &Field) -> Result<&'a teapot_schema::ModelState> {
    let to = f.to.as_deref().unwrap_or("?");
    state
        .resolve(to)
        .ok_or_else(|| Error::new(ErrorKind::MigrationFile, format!("relation to {to}, which does not exist at this point of the history")))
}

/// The primary key column of a model (name, field).
pub(crate) fn pk_column(m: &teapot_schema::ModelState) -> Result<(String, &Field)> {
    let (name, f) =
        m.primary_key().ok_or_else(|| Error::new(ErrorKind::MigrationFile, format!("model {} has no primary key", m.label())))?;
    Ok((f.column(name).unwrap_or_else(|| name.to_string()), f))
}

/// Whether a column's values are strings of the given kind for `_like` indexes.
pub(crate) fn is_textual(f: &Field) -> bool {
    f.ty == FieldType::String
}
