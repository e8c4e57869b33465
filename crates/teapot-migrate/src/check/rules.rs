//! The safety lint: rules with stable ids over migration operations. Each rule says why the
//! operation is risky, the safe way, and whether `migrate --online` already makes it safe.
//! docs/check.md documents every rule.

use teapot_schema::{ConstraintKind, FieldType, ProjectState};

use super::sql_scan::scan_sql_in;
use crate::backend::online::is_volatile;
use crate::Operation;

/// A lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, e.g. `TP002`.
    pub id: &'static str,
    /// Short name, e.g. `drop-column`.
    pub name: &'static str,
    /// Why it is risky.
    pub why: &'static str,
    /// The safe way.
    pub fix: &'static str,
    /// Whether `migrate --online` makes it safe.
    pub online_safe: bool,
}

macro_rules! rules {
    ($($id:literal $name:literal $online:literal $why:literal $fix:literal;)*) => {
        /// Every rule, in id order.
        pub const RULES: &[Rule] = &[$(Rule { id: $id, name: $name, why: $why, fix: $fix, online_safe: $online }),*];
    };
}

rules! {
    "TP001" "not-null-without-default" false
        "adding a NOT NULL column with no default fails on a table that has rows"
        "declare a default (#[teapot(default = ...)]) or make the field Option<...>, or give a one-off value with makemigrations --default";
    "TP002" "drop-column" false
        "the code that is deployed still reads the column: dropping it first breaks every running instance"
        "deploy code that no longer uses the field first, then drop the column in a later release";
    "TP003" "drop-table" false
        "the code that is deployed still reads the table: dropping it first breaks every running instance"
        "deploy code that no longer uses the model first, then delete it in a later release";
    "TP004" "rename-column" false
        "old code uses the old column name and new code the new one: during a deploy one of them fails"
        "add the new column, write both, backfill, switch reads, drop the old one; or keep the column with db_column";
    "TP005" "rename-table" false
        "old code uses the old table name and new code the new one: during a deploy one of them fails"
        "keep the table with #[teapot(table = \"old_name\")] and rename only the model";
    "TP006" "type-rewrite" false
        "this type change rewrites the whole table under an ACCESS EXCLUSIVE lock: reads and writes stop until it ends"
        "add a column of the new type, write both, backfill it in batches, switch reads, drop the old column";
    "TP007" "blocking-index" true
        "CREATE INDEX without CONCURRENTLY blocks writes to the table for the whole build"
        "run it with migrate --online (CREATE INDEX CONCURRENTLY), or use CONCURRENTLY in run_sql";
    "TP008" "validating-constraint" true
        "adding a foreign key or check validates every row while holding a lock that blocks writes"
        "run it with migrate --online (ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in its own transaction)";
    "TP009" "set-not-null-scan" true
        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock"
        "run it with migrate --online (a CHECK (col IS NOT NULL) NOT VALID, VALIDATE, then SET NOT NULL without a scan)";
    "TP010" "volatile-default" true
        "a default evaluated per row rewrites the whole table under an ACCESS EXCLUSIVE lock when the column is added"
        "run it with migrate --online (added without the default, filled in batches), or use a constant default";
    "TP011" "integer-primary-key" false
        "an integer (32-bit) key runs out at 2,147,483,647 rows, and changing it later rewrites the table and every foreign key"
        "use i64 for the key (bigint)";
    "TP012" "run-sql-review" false
        "raw SQL that teapot cannot classify: it may lock or rewrite a table"
        "review it; if it is safe, silence the rule on the operation with allow = [\"TP012\"] and allow_reason = \"...\"";
    "TP013" "unbatched-data-change" false
        "an UPDATE or DELETE of many rows in one statement holds row locks and bloats the table for as long as it runs"
        "use a backfill operation (keyed batches, resumable), with a batch_size of at most 100000";
    "TP014" "concurrently-in-transaction" false
        "CREATE or DROP INDEX CONCURRENTLY cannot run inside a transaction block, and an atomic migration is one: it fails at deploy time"
        "put the statement in a migration of its own with `atomic = false` at the top (each statement then runs on its own, and a rerun goes on where it stopped)";
    "TP015" "blocking-drop-index" true
        "DROP INDEX without CONCURRENTLY (what a plain migrate runs; migrate --online drops it CONCURRENTLY) takes an ACCESS EXCLUSIVE lock on the table: it waits behind every running transaction on it, and every read and write queues behind it"
        "run it with migrate --online (DROP INDEX CONCURRENTLY); in run_sql write DROP INDEX CONCURRENTLY in a migration with `atomic = false`";
    "TP016" "add-column-rewrite" false
        "the added column gets a value computed for every existing row (an identity, a serial, a stored generated column): PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock, and migrate --online cannot avoid it in run_sql"
        "add a plain nullable column, fill it with a backfill operation in batches, then attach the identity (ALTER COLUMN ... ADD GENERATED ... AS IDENTITY, once NOT NULL) or the default; for a stored generated column, keep it filled by a trigger instead";
    "TP017" "timestamp-without-time-zone" false
        "a timestamp without time zone stores a wall-clock time with no zone: the same value means different moments to servers and sessions in different zones, and an hour repeats every autumn (latent: nothing fails until the data is wrong)"
        "use DateTime<Utc> (timestamp with time zone); if a wall-clock time is what you mean (an opening hour, a local appointment), allow the rule with a reason";
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// A rule broken by an operation: the rule, and what exactly (column, table, statement).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The rule.
    pub rule: &'static Rule,
    /// What in particular.
    pub detail: String,
    /// Whether `migrate --online` makes this occurrence safe: the rule's own answer for an
    /// operation, never for raw SQL (`--online` runs run_sql as it is written).
    pub online_safe: bool,
}

fn hit(id: &str, detail: String) -> Hit {
    let rule = rule(id).expect("rule ids used here exist");
    Hit { rule, detail, online_safe: rule.online_safe }
}

fn raw_hit(id: &str, detail: String) -> Hit {
    Hit { online_safe: false, ..hit(id, detail) }
}

/// The indexes PostgreSQL drops (without CONCURRENTLY, in a plain migrate) for an operation on a
/// table that existed before this migration: a removed index, or an index a changed field no
/// longer needs.
fn dropped_indexes(app: &str, op: &Operation, before: &ProjectState, after: &ProjectState, new_tables: &[String]) -> Vec<String> {
    let Ok(changes) = crate::backend::lower::lower(app, op, before, after) else { return Vec::new() };
    changes
        .into_iter()
        .filter_map(|l| match l.change {
            crate::backend::lower::Change::DropIndex { table, name } if !new_tables.contains(&table) => Some(format!("{name} on {table}")),
            _ => None,
        })
        .collect()
}

fn naive(ty: FieldType) -> bool {
    ty == FieldType::NaiveDatetime
}

/// The rules an operation breaks because of the migration it is in (`atomic`).
pub fn lint_in_migration(op: &Operation, atomic: bool) -> Vec<Hit> {
    match op {
        Operation::RunSql { sql, .. } if atomic => teapot_schema::sql_lexer::split_statements(sql)
            .into_iter()
            .filter(|s| s.to_uppercase().split_whitespace().any(|w| w == "CONCURRENTLY"))
            .map(|s| raw_hit("TP014", s.split_whitespace().collect::<Vec<_>>().join(" ")))
            .collect(),
        _ => Vec::new(),
    }
}

/// The rules an operation breaks. `before` and `after` are the states around it; `new_models`
/// are the models created earlier in the same migration (their tables are empty, so indexes and
/// constraints on them are safe).
pub fn lint(app: &str, op: &Operation, before: &ProjectState, after: &ProjectState, new_models: &[String]) -> Vec<Hit> {
    use Operation::*;
    let mut out = Vec::new();
    let is_new = |model: &str| new_models.iter().any(|m| m.eq_ignore_ascii_case(model));
    let table =
        |model: &str| after.get(app, model).or_else(|| before.get(app, model)).map(|m| m.table_name()).unwrap_or_else(|| model.to_string());
    match op {
        CreateModel { name, fields, .. } => {
            for f in fields {
                if f.field.primary_key && matches!(f.field.ty, FieldType::Integer | FieldType::Smallint) {
                    out.push(hit("TP011", format!("{name}.{} is a {} key", f.name, f.field.ty.as_str())));
                }
                if naive(f.field.ty) {
                    out.push(hit("TP017", format!("{name}.{} is a timestamp without time zone (NaiveDateTime)", f.name)));
                }
            }
        }
        DeleteModel { name } => out.push(hit("TP003", format!("table {}", table(name)))),
        RenameModel { old_name, new_name } => {
            let (o, n) = (before.get(app, old_name).map(|m| m.table_name()), after.get(app, new_name).map(|m| m.table_name()));
            if o != n {
                out.push(hit("TP005", format!("{} to {}", o.unwrap_or_default(), n.unwrap_or_default())));
            }
        }
        AlterModelTable { name, .. } => {
            // Pinning the table to the name it already has (to keep it through a model rename)
            // renames nothing.
            let (o, n) = (before.get(app, name).map(|m| m.table_name()), after.get(app, name).map(|m| m.table_name()));
            if o != n {
                out.push(hit("TP005", format!("{} to {}", o.unwrap_or_default(), n.unwrap_or_default())));
            }
        }
        RemoveField { model, name } => {
            let m2m = before.get(app, model).and_then(|m| m.field(name)).is_some_and(|f| f.ty == FieldType::ManyToMany);
            out.push(if m2m {
                hit("TP003", format!("join table of {model}.{name}"))
            } else {
                hit("TP002", format!("{}.{name}", table(model)))
            });
        }
        RenameField { model, old_name, new_name } => {
            let of = before.get(app, model).and_then(|m| m.field(old_name).map(|f| f.column(old_name)));
            let nf = after.get(app, model).and_then(|m| m.field(new_name).map(|f| f.column(new_name)));
            if of != nf {
                out.push(hit("TP004", format!("{}.{old_name} to {new_name}", table(model))));
            }
        }
        AddField { model, name, field, .. } if naive(field.ty) && is_new(model) => {
            out.push(hit("TP017", format!("{}.{name} is a timestamp without time zone (NaiveDateTime)", table(model))));
        }
        AddField { model, name, field, one_off_default } if field.ty != FieldType::ManyToMany && !is_new(model) => {
            if naive(field.ty) {
                out.push(hit("TP017", format!("{}.{name} is a timestamp without time zone (NaiveDateTime)", table(model))));
            }
            if field.auto {
                out.push(hit("TP016", format!("{}.{name} is an identity column: every row gets a value", table(model))));
            }
            // A callable default fills the rows there, and a generated column computes them.
            let filled = field.default_fn.is_some() || field.generated.is_some();
            if !field.null && field.default.is_none() && field.db_default.is_none() && one_off_default.is_none() && !filled {
                out.push(hit("TP001", format!("{}.{name}", table(model))));
            }
            if field.db_default.as_deref().is_some_and(is_volatile) {
                out.push(hit("TP010", format!("{}.{name} DEFAULT {}", table(model), field.db_default.as_deref().unwrap_or_default())));
            }
            // A uuid per row, and a stored generated column, are written into every row: the
            // table is rewritten under its ACCESS EXCLUSIVE lock by a plain migrate.
            if field.default_fn == Some(teapot_schema::DefaultFn::Uuid4) {
                out.push(hit("TP010", format!("{}.{name}: default = uuid4 gives each row its own (gen_random_uuid())", table(model))));
            }
            if let Some(expr) = &field.generated {
                out.push(hit("TP010", format!("{}.{name} GENERATED ALWAYS AS ({expr}) STORED: computed for every row", table(model))));
            }
            if field.has_index() || field.is_unique() {
                out.push(hit("TP007", format!("index on {}.{name}", table(model))));
            }
            if field.ty == FieldType::ForeignKey {
                out.push(hit("TP008", format!("foreign key {}.{name}", table(model))));
            }
        }
        AlterField { model, name, field: nf, .. } => {
            if let (Some(mb), Some(ma)) = (before.get(app, model), after.get(app, model)) {
                if let Some(of) = mb.field(name) {
                    let pg = |s: &ProjectState, f| crate::backend::postgres::column_type(s, f).unwrap_or_default();
                    let (ot, nt) = (pg(before, of), pg(after, nf));
                    if ot != nt && !crate::backend::online::binary_compatible(&ot, &nt) {
                        out.push(hit("TP006", format!("{}.{name} {ot} to {nt}", ma.table_name())));
                    }
                    if naive(nf.ty) && !naive(of.ty) {
                        out.push(hit("TP017", format!("{}.{name} becomes a timestamp without time zone (NaiveDateTime)", ma.table_name())));
                    }
                    if of.column(name) != nf.column(name) {
                        out.push(hit("TP004", format!("{}.{name} column renamed by db_column", ma.table_name())));
                    }
                    if !is_new(model) {
                        if of.null && !nf.null {
                            out.push(hit("TP009", format!("{}.{name}", ma.table_name())));
                        }
                        if (nf.has_index() && !of.has_index()) || (nf.is_unique() && !of.is_unique()) {
                            out.push(hit("TP007", format!("index on {}.{name}", ma.table_name())));
                        }
                        let fk_again = nf.ty == FieldType::ForeignKey
                            && (of.ty != FieldType::ForeignKey || of.to != nf.to || of.database_on_delete() != nf.database_on_delete());
                        // A join table's foreign keys re-created for the on_delete setting.
                        let join_fks_again = nf.ty == FieldType::ManyToMany && of.ty == nf.ty && of.orm_on_delete != nf.orm_on_delete;
                        if fk_again || join_fks_again {
                            out.push(hit("TP008", format!("foreign key {}.{name}", ma.table_name())));
                        }
                    }
                }
            }
        }
        AddIndex { model, index } if !is_new(model) => out.push(hit("TP007", format!("index {} on {}", index.name, table(model)))),
        AddConstraint { model, constraint } if !is_new(model) => match &constraint.kind {
            ConstraintKind::Unique { .. } => out.push(hit("TP007", format!("unique {} on {}", constraint.name, table(model)))),
            ConstraintKind::Check { .. } => out.push(hit("TP008", format!("check {} on {}", constraint.name, table(model)))),
        },
        RunSql { sql, .. } => {
            // the types the columns have before this SQL runs (a retype to a wider varchar or to
            // text is metadata only)
            let column_type = |table: &str, column: &str| {
                let m = before.models().find(|m| m.table_name() == table)?;
                let f = m.fields.iter().find(|(n, f)| f.column(n).as_deref() == Some(column)).map(|(_, f)| f)?;
                crate::backend::postgres::column_type(before, f).ok()
            };
            for (id, detail) in scan_sql_in(sql, &column_type) {
                out.push(raw_hit(id, detail));
            }
        }
        Backfill { model, batch_size, .. } if *batch_size == 0 || *batch_size > 100_000 => {
            out.push(hit("TP013", format!("backfill of {} in batches of {batch_size}", table(model))));
        }
        _ => {}
    }
    if matches!(op, RemoveIndex { .. } | AlterField { .. }) {
        let new_tables: Vec<String> = new_models.iter().filter_map(|m| after.get(app, m).map(|m| m.table_name())).collect();
        for d in dropped_indexes(app, op, before, after, &new_tables) {
            out.push(hit("TP015", format!("index {d}")));
        }
    }
    out
}
