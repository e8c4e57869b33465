//! What each foreign key of the database does when a row it points at is deleted, read from the
//! catalog (`pg_constraint.confdeltype` on PostgreSQL, `pragma_foreign_key_list` on SQLite) in one
//! query and kept per [`Db`]: the ORM's delete does an `on_delete` action itself only where the
//! database does not (a constraint with NO ACTION, as Django makes them).

use std::collections::HashMap;

use crate::db::Db;
use crate::dialect::Dialect;
use crate::error::Result;

/// A foreign key constraint's ON DELETE action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbAction {
    /// NO ACTION: nothing is done to the referring rows; the (deferred) check refuses what is left.
    NoAction,
    /// RESTRICT: the delete is refused at once.
    Restrict,
    /// CASCADE: the referring rows are deleted.
    Cascade,
    /// SET NULL.
    SetNull,
    /// SET DEFAULT.
    SetDefault,
}

impl DbAction {
    /// From `pg_constraint.confdeltype`'s letter or SQLite's spelling.
    fn parse(s: &str) -> DbAction {
        match s.to_ascii_uppercase().as_str() {
            "R" | "RESTRICT" => DbAction::Restrict,
            "C" | "CASCADE" => DbAction::Cascade,
            "N" | "SET NULL" => DbAction::SetNull,
            "D" | "SET DEFAULT" => DbAction::SetDefault,
            _ => DbAction::NoAction,
        }
    }
}

/// The ON DELETE action of every single-column foreign key, by `(table, column)`.
#[derive(Debug, Clone, Default)]
pub struct DeleteActions {
    by_column: HashMap<(String, String), DbAction>,
}

impl DeleteActions {
    /// The action of the foreign key on `table.column`, or None when it has none (no constraint:
    /// then nothing is done by the database either).
    pub fn action(&self, table: &str, column: &str) -> Option<DbAction> {
        self.by_column.get(&(table.to_string(), column.to_string())).copied()
    }

    /// Reads them (one query). PostgreSQL: the tables of the schemas on the search path, as the
    /// ORM names tables unqualified.
    pub(crate) async fn read(db: &Db) -> Result<DeleteActions> {
        let sql = match db.dialect() {
            Dialect::Postgres => {
                "SELECT cl.relname::text, a.attname::text, c.confdeltype::text FROM pg_constraint c \
                 JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1 AND n.nspname = ANY (current_schemas(false))"
            }
            Dialect::Sqlite => {
                "SELECT m.name, f.\"from\", f.on_delete FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table'"
            }
        };
        let rows = db.fetch_all(sql, &[]).await.map_err(|e| e.context("reading what the foreign keys do on delete"))?;
        let mut by_column = HashMap::new();
        for r in rows {
            let (table, column, action) = (r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?);
            by_column.insert((table, column), DbAction::parse(&action));
        }
        Ok(DeleteActions { by_column })
    }
}
