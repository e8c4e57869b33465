//! Expand / contract on PostgreSQL: a migration that renames columns or changes a column's type
//! in a way that rewrites the table is applied by `migrate --online` in two phases, so that code
//! written for the old shape and code written for the new one run side by side in between.
//!
//! - expand: the new shape is built next to the old one. A renamed column is only shown under
//!   its new name by a view; a retyped column gets a second column of the new type, a trigger
//!   keeping both in step on every write (whichever side writes), and a batched backfill. Each
//!   version sees its table through views in a schema of its own (`teapot_v_<app>_<migration>`).
//! - complete: once the old code is gone, the views, triggers and old columns are dropped and the
//!   new column is renamed into place, in one short transaction under lock_timeout.
//! - abort: the expand is undone in one transaction; the old columns hold every value written.
//!
//! docs/online.md describes the design; [`plan`] decides whether a migration expands.

use teapot_schema::{ConstraintKind, Field, FieldType, ModelState, ProjectState};

use super::lower::{lower, update, Change};
use super::online::{binary_compatible, Lock, Phase, Step};
use super::postgres::{self, quote};
use crate::Operation;
use teapot_core::{Error, ErrorKind, Result};

use teapot_schema::version::short_name as short;
pub use teapot_schema::version::version_schema;

/// The column of the new type that lives next to `column` while it is retyped.
pub fn new_column(column: &str) -> String {
    short(&format!("{column}__teapot_new"))
}

/// The trigger (and its function) keeping `table.column` and its new column in step.
pub fn trigger_name(table: &str, column: &str) -> String {
    short(&format!("teapot_x_{table}_{column}"))
}

/// The CHECK that proves the new column NOT NULL before the swap.
fn not_null_check(table: &str, column: &str) -> String {
    short(&format!("teapot_x_{table}_{column}_notnull"))
}

/// A column retyped by expand / contract.
#[derive(Debug, Clone, PartialEq)]
struct Retype {
    table: String,
    column: String,
    from_type: String,
    to_type: String,
    null: bool,
    default: Option<String>,
    /// The column's own index (`db_index`), rebuilt on the new column and renamed into place.
    index: Option<String>,
    /// The column's unique constraint, rebuilt as a unique index on the new column and attached
    /// under its name at the swap.
    unique: Option<String>,
}

/// The name an index of the new column has until the swap gives it the old one's.
fn new_index(name: &str) -> String {
    short(&format!("teapot_x_{name}"))
}

/// The three parts of an expanded migration.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandPlan {
    /// Steps of `migrate --online`: the new shape beside the old.
    pub expand: Vec<Step>,
    /// Steps of `migrate --online --complete`: the old shape removed.
    pub complete: Vec<Step>,
    /// The one step of `migrate --online --abort`: the expand undone.
    pub abort: Step,
}

/// Type changes the trigger can make both ways without losing a value the old code wrote.
fn widening(from: &str, to: &str) -> bool {
    let rank = |t: &str| match t {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        _ => None,
    };
    matches!((rank(from), rank(to)), (Some(a), Some(b)) if b > a)
}

/// Whether anything of the model besides the column itself names the field (an index over it,
/// a constraint): such columns are not expanded yet (docs/online.md says how they will be).
fn named_elsewhere(m: &ModelState, name: &str, column: &str) -> bool {
    let indexed =
        m.indexes.iter().any(|i| i.fields.iter().any(|f| f.trim_start_matches('-') == name) || i.include.iter().any(|f| f == name));
    let constrained = m.constraints.iter().any(|c| match &c.kind {
        ConstraintKind::Unique { fields, condition, expressions } => {
            fields.iter().any(|f| f == name)
                || condition.as_deref().is_some_and(|s| s.contains(column))
                || expressions.iter().any(|e| e.contains(column))
        }
        ConstraintKind::Check { check } => check.contains(column),
    });
    indexed || constrained
}

/// A field whose column can be expanded: not a key or a relation, no check, not generated (its
/// own index or unique constraint is rebuilt on the new column).
fn plain(f: &Field) -> bool {
    !f.primary_key && f.ty != FieldType::ForeignKey && f.ty != FieldType::ManyToMany && !f.positive && f.generated.is_none()
}

/// What one operation contributes to an expand.
enum Part {
    /// Nothing changes in the database.
    Nothing,
    /// A column renamed: (table, old column, new column) and the metadata-only changes that rename
    /// it and its objects at complete.
    Rename(String, String, String, Vec<Change>),
    /// A column retyped through a second column.
    Retype(Retype),
}

fn part(app: &str, op: &Operation, before: &ProjectState, after: &ProjectState) -> Result<Option<Part>> {
    let changes: Vec<Change> = lower(app, op, before, after)?.into_iter().map(|l| l.change).collect();
    if changes.is_empty() {
        return Ok(Some(Part::Nothing));
    }
    match op {
        Operation::RenameField { model, old_name, new_name } => {
            let (Some(mb), Some(ma)) = (before.get(app, model), after.get(app, model)) else { return Ok(None) };
            let (Some(of), Some(nf)) = (mb.field(old_name), ma.field(new_name)) else { return Ok(None) };
            if of.primary_key || of.ty == FieldType::ManyToMany || of.ty == FieldType::ForeignKey {
                return Ok(None);
            }
            let metadata = changes
                .iter()
                .all(|c| matches!(c, Change::RenameColumn { .. } | Change::RenameIndex { .. } | Change::RenameConstraint { .. }));
            match (metadata, of.column(old_name), nf.column(new_name)) {
                (true, Some(oc), Some(nc)) if oc != nc => Ok(Some(Part::Rename(ma.table_name(), oc, nc, changes))),
                _ => Ok(None),
            }
        }
        Operation::AlterField { model, name, .. } => {
            let (Some(mb), Some(ma)) = (before.get(app, model), after.get(app, model)) else { return Ok(None) };
            let (Some(of), Some(nf)) = (mb.field(name), ma.field(name)) else { return Ok(None) };
            let [Change::RetypeColumn { table, column, from_type, to_type, referring, .. }] = changes.as_slice() else { return Ok(None) };
            // The index and uniqueness stay as they are (otherwise the change is more than a retype).
            let expandable = referring.is_empty()
                && of.has_index() == nf.has_index()
                && of.is_unique() == nf.is_unique()
                && !binary_compatible(from_type, to_type)
                && widening(from_type, to_type)
                && plain(of)
                && plain(nf)
                && !named_elsewhere(ma, name, column)
                && !named_elsewhere(mb, name, column);
            if !expandable {
                return Ok(None);
            }
            Ok(Some(Part::Retype(Retype {
                table: table.clone(),
                column: column.clone(),
                from_type: from_type.clone(),
                to_type: to_type.clone(),
                null: nf.null,
                default: nf.database_default(),
                index: nf.has_index().then(|| super::objects::field_index_name(table, column)),
                unique: nf.is_unique().then(|| super::objects::unique_name(ma, name, table, column)),
            })))
        }
        _ => Ok(None),
    }
}

/// The expand / contract plan of a migration, or None when it does not expand (an operation that
/// cannot, or nothing that needs it). `previous` is the app's migration before it (the old
/// version's name). `state` is the state before the migration; it is left as it is.
pub fn plan(app: &str, name: &str, previous: Option<&str>, ops: &[Operation], state: &ProjectState) -> Result<Option<ExpandPlan>> {
    let mut after = state.clone();
    let mut parts = Vec::new();
    let mut touched: Vec<(String, String)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let before = after.clone();
        op.apply(app, &mut after).map_err(|e| Error::new(ErrorKind::MigrationFile, format!("{app}/{name} operation {}: {e}", i + 1)))?;
        let Some(p) = part(app, op, &before, &after)? else { return Ok(None) };
        // A column changed twice in one migration is not expanded: each view shows one change.
        let key = match &p {
            Part::Nothing => None,
            Part::Rename(t, o, n, _) => Some([(t.clone(), o.clone()), (t.clone(), n.clone())]),
            Part::Retype(r) => Some([(r.table.clone(), r.column.clone()), (r.table.clone(), r.column.clone())]),
        };
        if let Some(keys) = key {
            if keys.iter().any(|k| touched.contains(k)) {
                return Ok(None);
            }
            touched.extend(keys);
        }
        parts.push((i, p));
    }
    if parts.iter().all(|(_, p)| matches!(p, Part::Nothing)) {
        return Ok(None);
    }
    let (old, new) = (version_schema(app, previous), version_schema(app, Some(name)));
    let mut expand = Vec::new();
    let mut complete = Vec::new();
    let mut swap =
        vec![format!("DROP SCHEMA IF EXISTS {} CASCADE;", quote(&old)), format!("DROP SCHEMA IF EXISTS {} CASCADE;", quote(&new))];
    let mut abort = swap.clone();
    let mut tables = Vec::new();
    for (_, p) in &parts {
        match p {
            Part::Nothing => {}
            Part::Rename(table, _, _, changes) => {
                tables.push(table.clone());
                swap.extend(changes.iter().flat_map(postgres::render_change));
            }
            Part::Retype(r) => {
                tables.push(r.table.clone());
                let (t, c, n) = (quote(&r.table), quote(&r.column), quote(&new_column(&r.column)));
                let trig = quote(&trigger_name(&r.table, &r.column));
                expand.push(
                    Step::tx(
                        format!(
                            "Add {} {} beside {} and the trigger keeping both in step (metadata only)",
                            new_column(&r.column),
                            r.to_type,
                            r.column
                        ),
                        &r.table,
                        Lock::AccessExclusive,
                        vec![
                            format!("ALTER TABLE {t} ADD COLUMN {n} {} NULL;", r.to_type),
                            sync_function(r),
                            format!("CREATE TRIGGER {trig} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {trig}();"),
                        ],
                    )
                    .phase(Phase::Expand),
                );
                if !r.null {
                    let check = not_null_check(&r.table, &r.column);
                    complete.push(
                        Step::tx(
                            format!("Check {} NOT NULL, NOT VALID", new_column(&r.column)),
                            &r.table,
                            Lock::AccessExclusive,
                            vec![postgres::add_check(&r.table, &check, &format!("{n} IS NOT NULL"), true)],
                        )
                        .phase(Phase::Complete),
                    );
                    complete.push(
                        Step::tx(
                            format!("Validate the check of {}", new_column(&r.column)),
                            &r.table,
                            Lock::ShareUpdateExclusive,
                            vec![postgres::validate_constraint(&r.table, &check)],
                        )
                        .phase(Phase::Complete),
                    );
                }
                swap.push(format!("DROP TRIGGER {trig} ON {t};"));
                swap.push(format!("DROP FUNCTION {trig}();"));
                swap.push(format!("ALTER TABLE {t} DROP COLUMN {c};"));
                swap.push(postgres::rename_column(&r.table, &new_column(&r.column), &r.column));
                // The old column's index and constraint went with it: the new column's take their names.
                for name in r.index.iter().chain(&r.unique) {
                    swap.push(format!("ALTER INDEX {} RENAME TO {};", quote(&new_index(name)), quote(name)));
                }
                if let Some(name) = &r.unique {
                    swap.push(postgres::attach_unique(&r.table, name));
                }
                if let Some(d) = &r.default {
                    swap.push(postgres::set_default(&r.table, &r.column, Some(d)));
                }
                if !r.null {
                    swap.push(postgres::set_not_null(&r.table, &r.column));
                    swap.push(postgres::drop_constraint(&r.table, &not_null_check(&r.table, &r.column), false));
                }
                abort.push(format!("DROP TRIGGER IF EXISTS {trig} ON {t};"));
                abort.push(format!("DROP FUNCTION IF EXISTS {trig}();"));
                abort.push(format!("ALTER TABLE {t} DROP COLUMN IF EXISTS {n};"));
            }
        }
    }
    tables.dedup();
    expand.push(views_step(app, state, &after, &parts, &old, &new, &tables)?);
    for (_, p) in &parts {
        if let Part::Retype(r) = p {
            let m = after
                .models()
                .find(|m| m.table_name() == r.table)
                .ok_or_else(|| Error::new(ErrorKind::MigrationFile, format!("no model owns {}", r.table)))?;
            let (c, n) = (quote(&r.column), quote(&new_column(&r.column)));
            let u = update(m, format!("{n} = {c}::{}", r.to_type), Some(format!("{n} IS NULL AND {c} IS NOT NULL")), 1000, 0)?;
            let mut step = super::online::backfill_step(&u);
            step.phase = Phase::Expand;
            expand.push(step);
            for (name, unique) in r.index.iter().map(|n| (n, false)).chain(r.unique.iter().map(|n| (n, true))) {
                let options = super::lower::IndexOptions { unique, ..Default::default() };
                expand.push(super::online::index_step(&r.table, &new_index(name), &n, &options).phase(Phase::Expand));
            }
        }
    }
    let first = tables.first().cloned().unwrap_or_default();
    complete.push(
        Step::tx(
            format!("Swap in the new shape of {}: drop the views, triggers and old columns, rename into place", tables.join(", ")),
            &first,
            Lock::AccessExclusive,
            swap,
        )
        .phase(Phase::Complete),
    );
    let abort = Step::tx(format!("Undo the expand of {}", tables.join(", ")), &first, Lock::AccessExclusive, abort);
    Ok(Some(ExpandPlan { expand, complete, abort }))
}

/// The function behind a retype's trigger: a write through the old shape sets the old column, and
/// the new one follows; a write through the new shape the other way round. What the write changed
/// says which it was, so no session setting is needed and plain-table writers are kept in step.
fn sync_function(r: &Retype) -> String {
    let (c, n, f) = (quote(&r.column), quote(&new_column(&r.column)), quote(&trigger_name(&r.table, &r.column)));
    let (to, from) = (&r.to_type, &r.from_type);
    format!(
        "CREATE FUNCTION {f}() RETURNS trigger LANGUAGE plpgsql AS $teapot$\nBEGIN\n  \
         IF TG_OP = 'INSERT' THEN\n    \
           IF NEW.{n} IS NULL THEN NEW.{n} := NEW.{c}::{to};\n    \
           ELSIF NEW.{c} IS NULL THEN NEW.{c} := NEW.{n}::{from};\n    \
           END IF;\n  \
         ELSIF NEW.{c} IS DISTINCT FROM OLD.{c} THEN NEW.{n} := NEW.{c}::{to};\n  \
         ELSIF NEW.{n} IS DISTINCT FROM OLD.{n} THEN NEW.{c} := NEW.{n}::{from};\n  \
         END IF;\n  RETURN NEW;\nEND\n$teapot$;"
    )
}

/// The two versions' views of each changed table: the old version sees the columns it knows under
/// their old names, the new one the columns of the new models (a retyped column is its new column).
fn views_step(
    app: &str,
    before: &ProjectState,
    after: &ProjectState,
    parts: &[(usize, Part)],
    old: &str,
    new: &str,
    tables: &[String],
) -> Result<Step> {
    let mut sql = vec![format!("CREATE SCHEMA IF NOT EXISTS {};", quote(old)), format!("CREATE SCHEMA IF NOT EXISTS {};", quote(new))];
    for table in tables {
        let owner = |s: &ProjectState| -> Result<ModelState> {
            s.models()
                .find(|m| m.app == app && m.table_name() == *table)
                .cloned()
                .ok_or_else(|| Error::new(ErrorKind::MigrationFile, format!("no model of {app} owns {table}")))
        };
        let (mb, ma) = (owner(before)?, owner(after)?);
        let old_cols: Vec<String> = columns(&mb).into_iter().map(|c| quote(&c)).collect();
        let new_cols: Vec<String> = columns(&ma)
            .into_iter()
            .map(|col| {
                let source = parts.iter().find_map(|(_, p)| match p {
                    Part::Rename(t, o, n, _) if t == table && *n == col => Some(o.clone()),
                    Part::Retype(r) if r.table == *table && r.column == col => Some(new_column(&r.column)),
                    _ => None,
                });
                match source {
                    Some(s) => format!("{} AS {}", quote(&s), quote(&col)),
                    None => quote(&col),
                }
            })
            .collect();
        sql.push(format!("CREATE VIEW {}.{} AS SELECT {} FROM {};", quote(old), quote(table), old_cols.join(", "), quote(table)));
        sql.push(format!("CREATE VIEW {}.{} AS SELECT {} FROM {};", quote(new), quote(table), new_cols.join(", "), quote(table)));
        sql.push(copy_grants(table, &[old, new]));
    }
    Ok(Step::tx(
        format!("Create the views of {old} (old) and {new} (new)"),
        tables.first().map(String::as_str).unwrap_or(""),
        Lock::AccessShare,
        sql,
    )
    .phase(Phase::Expand))
}

/// The table's privileges, granted on its views too (and USAGE on their schemas), so that an
/// application connecting as another role than the migrator's can use either version.
fn copy_grants(table: &str, schemas: &[&str]) -> String {
    let lit = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let schemas = schemas.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ");
    format!(
        "DO $teapot$ DECLARE g record; s text; BEGIN \
         FOR g IN SELECT grantee, privilege_type FROM information_schema.role_table_grants \
         WHERE table_schema = current_schema() AND table_name = {t} AND grantee <> current_user LOOP \
         FOREACH s IN ARRAY ARRAY[{schemas}] LOOP \
         EXECUTE format('GRANT USAGE ON SCHEMA %I TO %s', s, CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END); \
         EXECUTE format('GRANT %s ON %I.%I TO %s', g.privilege_type, s, {t}, CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END); \
         END LOOP; END LOOP; END $teapot$;",
        t = lit(table)
    )
}

/// A model's columns, in declaration order (a many-to-many has none).
fn columns(m: &ModelState) -> Vec<String> {
    m.concrete_fields().map(|(_, _, column)| column).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_widening_integers_expand() {
        assert!(widening("integer", "bigint"));
        assert!(widening("smallint", "integer"));
        assert!(!widening("bigint", "integer"));
        assert!(!widening("integer", "varchar(10)"));
    }
}
