//! Indexes and triggers that no model declares (made by `run_sql`, or by hand), carried over a
//! SQLite table rebuild. A rebuild drops the old table, and SQLite drops its indexes and triggers
//! with it; the rebuild re-creates the declared indexes, and this puts the others back.

use teapot_core::{Connection, ErrorKind, Result, Value};

use crate::backend::Rebuild;
use crate::executor::Event;

/// An index or trigger to put back after a rebuild.
pub(crate) struct Undeclared {
    kind: String,
    name: String,
    table: String,
    sql: String,
}

/// The indexes and triggers on the rebuilt tables that the rebuilds will not re-create, read
/// before the rebuild runs.
pub(crate) async fn undeclared(conn: &mut Connection, rebuilds: &[&Rebuild]) -> Result<Vec<Undeclared>> {
    let mut out = Vec::new();
    for r in rebuilds {
        // Indexes with no SQL are SQLite's own (a UNIQUE or PRIMARY KEY column): the table makes them.
        let rows = conn
            .fetch_all(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ?1 AND type IN ('index', 'trigger') AND sql IS NOT NULL \
                 ORDER BY type, name",
                &[Value::from(r.table.as_str())],
            )
            .await
            .map_err(|e| e.context(&format!("cannot read the indexes of {} before rebuilding it", r.table)))?;
        for row in rows {
            let name: String = row.get(1)?;
            if !r.declared.contains(&name) {
                out.push(Undeclared { kind: row.get(0)?, name, table: r.table.clone(), sql: row.get(2)? });
            }
        }
    }
    Ok(out)
}

/// Re-creates what a rebuild dropped. One that cannot be re-created (it names a column the
/// operation removed or renamed) fails the migration, which then rolls back whole.
pub(crate) async fn recreate(
    conn: &mut Connection,
    key: &str,
    (index, description): (usize, &str),
    carried: &[Undeclared],
    on_event: &mut dyn FnMut(Event),
) -> Result<()> {
    for u in carried {
        let exists = conn
            .fetch_optional(
                "SELECT 1 FROM sqlite_master WHERE type = ?1 AND name = ?2",
                &[Value::from(u.kind.as_str()), Value::from(u.name.as_str())],
            )
            .await?;
        if exists.is_some() {
            continue;
        }
        conn.run(&u.sql).await.map_err(|e| {
            let db = e.database_message();
            e.with_kind(ErrorKind::MigrationFailed)
                .with_message(format!(
                    "{key} failed at operation {} ({description}), and was rolled back whole: it rebuilds table {} on SQLite, \
                     which drops the {} {} that no model declares, and it cannot be re-created afterwards: {db}\n  {}: {}",
                    index + 1,
                    u.table,
                    u.kind,
                    u.name,
                    u.kind,
                    u.sql
                ))
                .hint(format!(
                    "drop {} in a run_sql operation before this one (and re-create it after, on the new columns), \
                     or declare it on the model",
                    u.name
                ))
        })?;
        on_event(Event::Message(format!("  kept {} {} (no model declares it) over the rebuild of {}", u.kind, u.name, u.table)));
    }
    Ok(())
}
