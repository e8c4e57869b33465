//! `migrate --fake-initial`: an app's initial migration whose tables all exist already is
//! recorded as applied without running, as Django does for a database made before its
//! migrations (or by another tool), once the live tables are checked to be what it would create.
//!
//! What the migration creates is what its state adds: the tables of [`expected_schema`] after
//! it that were not there before it (its models' tables and their join tables). Those tables are
//! compared with the live ones the way drift compares them ([`compare`]): columns, keys, uniques,
//! indexes, foreign keys and checks, with their names. Any difference is an error listing them,
//! and nothing is recorded; a migration some of whose tables exist and others not is an error
//! too (it can neither run nor be recorded). One whose tables exist in none runs as usual.

use std::collections::BTreeSet;

use teapot_core::{Connection as Conn, Error, ErrorKind, Result};

use crate::backend::introspect::{self, Schema};
use crate::check::drift::{compare, Context};
use crate::check::expected::expected_schema;
use crate::executor::{Direction, PlanStep};
use crate::file::Migration;
use crate::graph::Graph;

/// Whether a migration is an app's initial one: it depends on no migration of its own app, or
/// it is named `NNNN_initial` (the second half of an initial migration split to break a cycle
/// between apps).
pub fn is_initial(m: &Migration) -> bool {
    let own = format!("{}/", m.app);
    m.name.ends_with("_initial") || !m.dependencies.iter().any(|d| d.starts_with(&own))
}

fn subset(schema: &Schema, tables: &[String]) -> Schema {
    let mut out = Schema::default();
    for t in tables {
        if let Some(table) = schema.tables.get(t) {
            out.tables.insert(t.clone(), table.clone());
        }
    }
    out
}

/// The initial migrations of `steps` whose tables exist and match: the ones to record without
/// running. `applied` is what the database has recorded before the run.
pub async fn soft_applied(conn: &mut Conn, graph: &Graph, applied: &BTreeSet<String>, steps: &[PlanStep]) -> Result<BTreeSet<String>> {
    let dialect = conn.dialect();
    let live = introspect::schema(conn).await?;
    let mut done = applied.clone();
    let mut out = BTreeSet::new();
    for step in steps {
        if step.direction == Direction::Backwards {
            continue;
        }
        let m = graph.get(&step.key).ok_or_else(|| Error::new(ErrorKind::Graph, format!("{} is not in the graph", step.key)))?;
        let before = graph.state_until(|x| done.contains(&x.key()))?;
        done.insert(m.key());
        if !is_initial(m) {
            continue;
        }
        let after = graph.state_until(|x| done.contains(&x.key()))?;
        let (was, will) = (expected_schema(&before, dialect)?, expected_schema(&after, dialect)?);
        let created: Vec<String> = will.tables.keys().filter(|t| !was.tables.contains_key(*t)).cloned().collect();
        let (exist, missing): (Vec<&String>, Vec<&String>) = created.iter().partition(|t| live.tables.contains_key(*t));
        if exist.is_empty() {
            continue;
        }
        let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        if !missing.is_empty() {
            return Err(Error::new(
                ErrorKind::MigrationFailed,
                format!(
                    "{}: --fake-initial: some of the tables it creates exist ({}) and others do not ({}): it can neither run nor be recorded as applied; nothing was recorded",
                    m.key(),
                    list(&exist),
                    list(&missing)
                ),
            )
            .hint("create the missing tables (or drop the ones that exist), then run migrate --fake-initial again"));
        }
        let diffs = compare(&subset(&will, &created), &subset(&live, &created), &Context::default());
        if !diffs.is_empty() {
            let lines: Vec<String> = diffs.iter().map(|d| format!("  {d}")).collect();
            return Err(Error::new(
                ErrorKind::MigrationFailed,
                format!(
                    "{}: --fake-initial: its tables exist but differ from what it creates; nothing was recorded:\n{}",
                    m.key(),
                    lines.join("\n")
                ),
            )
            .hint("make the models say what the database has (teapot inspectdb writes them) and run makemigrations again, or change the database; then run migrate --fake-initial again"));
        }
        out.insert(m.key());
    }
    Ok(out)
}
