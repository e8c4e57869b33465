//! The online planner for PostgreSQL: each operation becomes steps, each with its lock level and
//! transaction mode, so that no step holds a lock that blocks reads and writes for more than a
//! moment.
//!
//! Recipes: indexes are built and dropped CONCURRENTLY (outside a transaction); a unique
//! constraint is a concurrent unique index then `ADD CONSTRAINT ... USING INDEX`; foreign keys and
//! checks are added NOT VALID then validated in their own transaction; SET NOT NULL goes through a
//! validated CHECK (PostgreSQL 12+ then skips the scan); a constant default is metadata only; a
//! volatile default and NULLs that need a value are filled by a batched backfill. A change that
//! rewrites the table is refused, with the reason and the safe way.

use teapot_schema::{ConstraintKind, Field, FieldType, Literal, ModelState, ProjectState};

use super::objects::{field_index_name, fk_name, like_index_name, needs_like_index, pg_default_name};
use super::postgres::{self, column_type, quote};
use super::Rendered;
use teapot_core::{Error, ErrorKind, Result};
use crate::Operation;

/// The strongest table lock a step takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lock {
    /// Row locks only (a backfill batch).
    RowExclusive,
    /// Blocks schema changes and VACUUM, not reads or writes (CONCURRENTLY, VALIDATE).
    ShareUpdateExclusive,
    /// Blocks writes (a foreign key's check on the referenced table).
    ShareRowExclusive,
    /// Blocks everything: held for a moment only, under lock_timeout.
    AccessExclusive,
}

impl Lock {
    /// As PostgreSQL names it.
    pub fn name(self) -> &'static str {
        match self {
            Lock::RowExclusive => "ROW EXCLUSIVE",
            Lock::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            Lock::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            Lock::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// Whether it blocks the application's reads or writes (so it runs under lock_timeout).
    pub fn is_strong(self) -> bool {
        self >= Lock::ShareRowExclusive
    }
}

/// What makes a step safe to run again after a crash between running it and recording it.
#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    /// Runs in a transaction with its record: it ran whole or not at all.
    Transaction,
    /// An index build: skipped if the index exists and is valid; an invalid leftover is dropped
    /// (concurrently) and built again.
    Index(String),
    /// Idempotent by itself (DROP INDEX CONCURRENTLY IF EXISTS).
    Idempotent,
}

/// A batched UPDATE: `UPDATE table SET set WHERE pk IN (next batch_size keys after the last)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Batches {
    /// Table.
    pub table: String,
    /// Its primary key column.
    pub key: String,
    /// The key column's type (to compare the last key of a batch).
    pub key_type: String,
    /// Assignments.
    pub set: String,
    /// Which rows need it.
    pub filter: Option<String>,
    /// Rows per batch.
    pub batch_size: u32,
    /// Pause between batches (ms).
    pub pause_ms: u64,
}

impl Batches {
    /// The count of rows that need the update (for progress).
    pub fn count_sql(&self) -> String {
        format!("SELECT count(*) FROM {} WHERE {}", quote(&self.table), self.filter.as_deref().unwrap_or("true"))
    }

    /// One batch: updates the next `batch_size` rows in key order and returns the last key done
    /// (as text) and the count. With `resume`, it starts after the key bound as `$1`.
    pub fn batch_sql(&self, resume: bool) -> String {
        let (t, k) = (quote(&self.table), quote(&self.key));
        let bound = if resume { format!("{k} > $1::{} AND ", self.key_type) } else { String::new() };
        format!(
            "WITH batch AS (SELECT {k} FROM {t} WHERE {bound}({filter}) ORDER BY {k} LIMIT {size}), \
             upd AS (UPDATE {t} SET {set} WHERE {k} IN (SELECT {k} FROM batch) RETURNING {k}) \
             SELECT max({k})::text, count(*) FROM upd",
            filter = self.filter.as_deref().unwrap_or("true"),
            size = self.batch_size,
            set = self.set
        )
    }
}

/// One step of an online migration.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What it does, for people.
    pub description: String,
    /// Its SQL (empty for a backfill, whose statements are made batch by batch).
    pub sql: Vec<String>,
    /// The strongest lock it takes.
    pub lock: Lock,
    /// Whether it runs inside a transaction.
    pub transaction: bool,
    /// The table whose lock it waits for (named when blockers are reported).
    pub table: String,
    /// Another table it locks, whose holders can block it too (a foreign key's referenced table).
    pub also_locks: Option<String>,
    /// How a rerun after a crash stays correct.
    pub guard: Guard,
    /// For a backfill: the batches.
    pub batches: Option<Batches>,
}

impl Step {
    fn tx(description: impl Into<String>, table: &str, lock: Lock, sql: Vec<String>) -> Step {
        Step {
            description: description.into(),
            sql,
            lock,
            transaction: true,
            table: table.to_string(),
            also_locks: None,
            guard: Guard::Transaction,
            batches: None,
        }
    }
}

/// A change `--online` will not make, with the reason and the safe way.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The operation.
    pub operation: String,
    /// Why it is not online.
    pub reason: String,
    /// How to do it without downtime.
    pub safe_way: String,
}

/// The steps of one operation, or why it cannot be online.
pub fn plan(
    app: &str,
    op: &Operation,
    before: &ProjectState,
    after: &ProjectState,
    allow_unsafe: bool,
) -> Result<std::result::Result<Vec<Step>, Refusal>> {
    use Operation::*;
    if super::unmanaged(app, op, before, after) {
        return Ok(Ok(vec![]));
    }
    let plain = |table: &str, lock: Lock| -> Result<Vec<Step>> {
        let r = postgres::render(app, op, before, after)?;
        Ok(vec![Step::tx(op.describe(), table, lock, all(r))])
    };
    let steps = match op {
        CreateModel { name, .. } => plain(&postgres::model(after, app, name)?.table_name(), Lock::ShareRowExclusive)?,
        DeleteModel { name } | AlterModelTable { name, .. } => {
            plain(&postgres::model(before, app, name)?.table_name(), Lock::AccessExclusive)?
        }
        RenameModel { old_name, .. } => plain(&postgres::model(before, app, old_name)?.table_name(), Lock::AccessExclusive)?,
        RenameField { model, .. } | RemoveField { model, .. } | RemoveConstraint { model, .. } | RenameIndex { model, .. } => {
            plain(&postgres::model(before, app, model)?.table_name(), Lock::AccessExclusive)?
        }
        RemoveIndex { model, name } => {
            let table = postgres::model(before, app, model)?.table_name();
            vec![drop_index_step(&table, name)]
        }
        AddIndex { model, index } => {
            let m = postgres::model(after, app, model)?;
            let sql = postgres::index_sql(m, index)?;
            vec![index_step(&m.table_name(), &index.name, &sql, false)]
        }
        AddConstraint { model, constraint } => {
            let m = postgres::model(after, app, model)?;
            let table = m.table_name();
            match &constraint.kind {
                ConstraintKind::Unique { fields } => {
                    let cols: Vec<String> = fields.iter().map(|f| quote(&m.column_of(f).unwrap_or_default())).collect();
                    unique_steps(&table, &constraint.name, &cols.join(", "))
                }
                ConstraintKind::Check { check } => check_steps(&table, &constraint.name, check),
            }
        }
        AddField { model, name, field, one_off_default } => {
            let m = postgres::model(after, app, model)?;
            if field.ty == FieldType::ManyToMany {
                plain(&m.table_name(), Lock::ShareRowExclusive)?
            } else {
                add_field(after, m, name, field, one_off_default.as_ref())?
            }
        }
        AlterField { model, name, field: nf, one_off_default } => {
            let (mb, ma) = (postgres::model(before, app, model)?, postgres::model(after, app, model)?);
            let of = postgres::field(mb, name)?;
            match alter_field(before, mb, after, ma, name, of, nf, one_off_default.as_ref(), allow_unsafe)? {
                Ok(steps) => steps,
                Err(reason) => return Ok(Err(Refusal { operation: op.describe(), reason: reason.0, safe_way: reason.1 })),
            }
        }
        Backfill { model, set, filter, batch_size, pause_ms } => {
            let m = postgres::model(after, app, model)?;
            vec![backfill_step(m, set, filter.clone(), *batch_size, *pause_ms)?]
        }
        RunSql { sql, .. } => vec![Step::tx("Raw SQL", "", Lock::AccessExclusive, vec![sql.clone()])],
    };
    Ok(Ok(steps))
}

fn all(r: Rendered) -> Vec<String> {
    r.now.into_iter().chain(r.deferred).collect()
}

fn index_step(table: &str, name: &str, create_sql: &str, unique: bool) -> Step {
    let concurrent = create_sql.replacen("CREATE INDEX ", "CREATE INDEX CONCURRENTLY ", 1).replacen(
        "CREATE UNIQUE INDEX ",
        "CREATE UNIQUE INDEX CONCURRENTLY ",
        1,
    );
    Step {
        description: format!("Build {}index {name} concurrently", if unique { "unique " } else { "" }),
        sql: vec![concurrent],
        lock: Lock::ShareUpdateExclusive,
        transaction: false,
        table: table.to_string(),
        also_locks: None,
        guard: Guard::Index(name.to_string()),
        batches: None,
    }
}

fn drop_index_step(table: &str, name: &str) -> Step {
    Step {
        description: format!("Drop index {name} concurrently"),
        sql: vec![format!("DROP INDEX CONCURRENTLY IF EXISTS {};", quote(name))],
        lock: Lock::ShareUpdateExclusive,
        transaction: false,
        table: table.to_string(),
        also_locks: None,
        guard: Guard::Idempotent,
        batches: None,
    }
}

fn unique_steps(table: &str, name: &str, cols: &str) -> Vec<Step> {
    let create = format!("CREATE UNIQUE INDEX {} ON {} ({cols});", quote(name), quote(table));
    vec![
        index_step(table, name, &create, true),
        Step::tx(
            format!("Attach {name} as a unique constraint"),
            table,
            Lock::AccessExclusive,
            vec![format!("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {};", quote(table), quote(name), quote(name))],
        ),
    ]
}

fn check_steps(table: &str, name: &str, check: &str) -> Vec<Step> {
    vec![
        Step::tx(
            format!("Add check {name} NOT VALID"),
            table,
            Lock::AccessExclusive,
            vec![format!("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({check}) NOT VALID;", quote(table), quote(name))],
        ),
        Step::tx(
            format!("Validate check {name}"),
            table,
            Lock::ShareUpdateExclusive,
            vec![format!("ALTER TABLE {} VALIDATE CONSTRAINT {};", quote(table), quote(name))],
        ),
    ]
}

fn fk_steps(state: &ProjectState, table: &str, col: &str, f: &Field) -> Result<Vec<Step>> {
    let name = fk_name(state, table, col, f)?;
    // ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on the referenced table too: its writers block it.
    let mut add = Step::tx(
        format!("Add foreign key {name} NOT VALID"),
        table,
        Lock::ShareRowExclusive,
        vec![format!(
            "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) {} NOT VALID;",
            quote(table),
            quote(&name),
            quote(col),
            postgres::references(state, f)?
        )],
    );
    add.also_locks = Some(super::target(state, f)?.table_name()).filter(|t| t != table);
    Ok(vec![
        add,
        Step::tx(
            format!("Validate foreign key {name}"),
            table,
            Lock::ShareUpdateExclusive,
            vec![format!("ALTER TABLE {} VALIDATE CONSTRAINT {};", quote(table), quote(&name))],
        ),
    ])
}

/// SET NOT NULL without a long ACCESS EXCLUSIVE scan: a validated CHECK proves it first.
fn not_null_steps(table: &str, col: &str) -> Vec<Step> {
    let check = pg_default_name(table, Some(col), "notnull");
    let mut steps = check_steps(table, &check, &format!("{} IS NOT NULL", quote(col)));
    steps.push(Step::tx(
        format!("Set {col} NOT NULL (the validated check spares the scan) and drop the check"),
        table,
        Lock::AccessExclusive,
        vec![
            format!("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;", quote(table), quote(col)),
            format!("ALTER TABLE {} DROP CONSTRAINT {};", quote(table), quote(&check)),
        ],
    ));
    steps
}

fn backfill_step(m: &ModelState, set: &str, filter: Option<String>, batch_size: u32, pause_ms: u64) -> Result<Step> {
    let (key, pk) = super::pk_column(m)?;
    let mut plain_pk = pk.clone();
    plain_pk.auto = false;
    let key_type = column_type(&ProjectState::new(), &plain_pk)?;
    Ok(Step {
        description: format!("Backfill {} in batches of {batch_size}: SET {set}", m.table_name()),
        sql: vec![],
        lock: Lock::RowExclusive,
        transaction: true,
        table: m.table_name(),
        also_locks: None,
        guard: Guard::Transaction,
        batches: Some(Batches {
            table: m.table_name(),
            key,
            key_type,
            set: set.to_string(),
            filter,
            batch_size: batch_size.max(1),
            pause_ms,
        }),
    })
}

/// Whether an SQL default is evaluated per row (so adding it would rewrite the table).
pub fn is_volatile(expr: &str) -> bool {
    let e = expr.trim().to_lowercase();
    let constant = e.parse::<f64>().is_ok()
        || (e.starts_with('\'') && e.ends_with('\'') && !e.contains("::"))
        || matches!(e.as_str(), "true" | "false" | "null");
    let stable = ["now()", "current_timestamp", "current_date", "localtimestamp", "transaction_timestamp()", "statement_timestamp()"];
    !(constant || stable.contains(&e.as_str()))
}

fn add_field(state: &ProjectState, m: &ModelState, name: &str, f: &Field, one_off: Option<&Literal>) -> Result<Vec<Step>> {
    let table = m.table_name();
    let col = f.column(name).unwrap_or_default();
    let ty = column_type(state, f)?;
    let mut steps = Vec::new();
    let literal = one_off.or(f.default.as_ref()).map(|d| d.to_sql());
    let volatile = f.db_default.as_deref().is_some_and(is_volatile);
    let mut def = format!("{} {ty}", quote(&col));
    let mut then_not_null = false;
    let mut backfill: Option<String> = None;
    match (&f.db_default, &literal) {
        (Some(d), _) if volatile => {
            // Per-row default: added without it, set for new rows, old rows filled in batches.
            def.push_str(" NULL");
            backfill = Some(d.clone());
            then_not_null = !f.null;
        }
        (Some(d), _) => def.push_str(&format!(" DEFAULT {d}{}", if f.null { " NULL" } else { " NOT NULL" })),
        (None, Some(v)) => def.push_str(&format!(" DEFAULT {v}{}", if f.null { " NULL" } else { " NOT NULL" })),
        (None, None) => def.push_str(if f.null { " NULL" } else { " NOT NULL" }),
    }
    // Unlike a plain migrate (and Django), the literal default stays in the database: code that
    // is still deployed does not know the column, and its inserts must keep working.
    let mut sql = vec![format!("ALTER TABLE {} ADD COLUMN {def};", quote(&table))];
    if let Some(d) = &backfill {
        sql.push(format!("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d};", quote(&table), quote(&col)));
    }
    steps.push(Step::tx(format!("Add column {col} (metadata only)"), &table, Lock::AccessExclusive, sql));
    if let Some(d) = backfill {
        steps.push(backfill_step(m, &format!("{} = {d}", quote(&col)), Some(format!("{} IS NULL", quote(&col))), 1000, 0)?);
    }
    if then_not_null {
        steps.extend(not_null_steps(&table, &col));
    }
    if f.is_unique() && !f.primary_key {
        let key = pg_default_name(&table, Some(&col), "key");
        steps.extend(unique_steps(&table, &key, &quote(&col)));
    }
    if f.ty == FieldType::ForeignKey {
        steps.extend(fk_steps(state, &table, &col, f)?);
    }
    steps.extend(field_index_steps(&table, &col, f));
    Ok(steps)
}

fn field_index_steps(table: &str, col: &str, f: &Field) -> Vec<Step> {
    let mut out = Vec::new();
    if f.has_index() {
        let name = field_index_name(table, col);
        out.push(index_step(table, &name, &postgres::create_index_sql(&name, table, &quote(col)), false));
    }
    if needs_like_index(f) {
        out.push(index_step(table, &like_index_name(table, col), &postgres::like_index_sql(table, col, f), false));
    }
    out
}

/// Whether a PostgreSQL type change keeps the bytes on disk (no rewrite, no scan).
pub fn binary_compatible(old: &str, new: &str) -> bool {
    let len = |t: &str| t.strip_prefix("varchar(").and_then(|r| r.strip_suffix(')')).and_then(|n| n.parse::<u32>().ok());
    match (len(old), len(new)) {
        (Some(a), Some(b)) => b >= a,
        (Some(_), None) => new == "text",
        _ => false,
    }
}

#[allow(clippy::too_many_arguments)]
fn alter_field(
    before: &ProjectState,
    mb: &ModelState,
    after: &ProjectState,
    ma: &ModelState,
    name: &str,
    of: &Field,
    nf: &Field,
    one_off: Option<&Literal>,
    allow_unsafe: bool,
) -> Result<std::result::Result<Vec<Step>, (String, String)>> {
    let table = ma.table_name();
    let (oc, nc) = (of.column(name).unwrap_or_default(), nf.column(name).unwrap_or_default());
    let (ot, nt) = (column_type(before, of)?, column_type(after, nf)?);
    let mut steps = Vec::new();
    let retyped = ot != nt;
    if retyped && !binary_compatible(&ot, &nt) && !allow_unsafe {
        return Ok(Err((
            format!("changing {table}.{oc} from {ot} to {nt} rewrites the table under an ACCESS EXCLUSIVE lock"),
            format!(
                "add a new {nt} column, write both from the application, backfill it with a `backfill` operation, \
                 switch reads, then drop {oc} (or run with --allow-unsafe in a maintenance window)"
            ),
        )));
    }
    let renamed = oc != nc;
    // Plain, brief statements first: drops, renames, type and default changes.
    let mut quick = Vec::new();
    let fk_changed =
        of.ty == FieldType::ForeignKey && (nf.ty != FieldType::ForeignKey || of.to != nf.to || of.on_delete != nf.on_delete || renamed);
    if fk_changed {
        quick.push(format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {};",
            quote(&mb.table_name()),
            quote(&fk_name(before, &mb.table_name(), &oc, of)?)
        ));
    }
    let (ou, nu) = (of.is_unique() && !of.primary_key, nf.is_unique() && !nf.primary_key);
    if ou && (!nu || renamed) {
        quick.push(format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {};",
            quote(&table),
            quote(&pg_default_name(&mb.table_name(), Some(&oc), "key"))
        ));
    }
    if renamed {
        quick.push(format!("ALTER TABLE {} RENAME COLUMN {} TO {};", quote(&table), quote(&oc), quote(&nc)));
    }
    if retyped {
        let using =
            if postgres::base_type(&ot) != postgres::base_type(&nt) { format!(" USING {}::{nt}", quote(&nc)) } else { String::new() };
        quick.push(format!("ALTER TABLE {} ALTER COLUMN {} TYPE {nt}{using};", quote(&table), quote(&nc)));
    }
    if of.db_default != nf.db_default {
        quick.push(match &nf.db_default {
            Some(d) => format!("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d};", quote(&table), quote(&nc)),
            None => format!("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;", quote(&table), quote(&nc)),
        });
    }
    if !of.null && nf.null {
        quick.push(format!("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;", quote(&table), quote(&nc)));
    }
    let mut drops = Vec::new();
    if of.has_index() && (!nf.has_index() || renamed) {
        drops.push(drop_index_step(&table, &field_index_name(&mb.table_name(), &oc)));
    }
    let like_kind = |f: &Field| needs_like_index(f).then(|| f.max_length.is_some());
    let like_changed = like_kind(of) != like_kind(nf) || renamed;
    if needs_like_index(of) && like_changed {
        drops.push(drop_index_step(&table, &like_index_name(&mb.table_name(), &oc)));
    }
    steps.extend(drops);
    if !quick.is_empty() {
        steps.push(Step::tx(format!("Alter {nc} (metadata only)"), &table, Lock::AccessExclusive, quick));
    }
    if of.null && !nf.null {
        if let Some(v) = one_off.or(nf.default.as_ref()) {
            steps.push(backfill_step(ma, &format!("{} = {}", quote(&nc), v.to_sql()), Some(format!("{} IS NULL", quote(&nc))), 1000, 0)?);
        }
        steps.extend(not_null_steps(&table, &nc));
    }
    if nu && (!ou || renamed) {
        steps.extend(unique_steps(&table, &pg_default_name(&table, Some(&nc), "key"), &quote(&nc)));
    }
    if nf.has_index() && (!of.has_index() || renamed) {
        let n = field_index_name(&table, &nc);
        steps.push(index_step(&table, &n, &postgres::create_index_sql(&n, &table, &quote(&nc)), false));
    }
    if needs_like_index(nf) && (like_changed || !needs_like_index(of)) {
        steps.push(index_step(&table, &like_index_name(&table, &nc), &postgres::like_index_sql(&table, &nc, nf), false));
    }
    if nf.ty == FieldType::ForeignKey && (fk_changed || of.ty != FieldType::ForeignKey) {
        steps.extend(fk_steps(after, &table, &nc, nf)?);
    }
    if steps.is_empty() {
        steps.push(Step::tx(format!("Alter {nc}: no database change"), &table, Lock::RowExclusive, vec![]));
    }
    Ok(Ok(steps))
}

/// Every step of every operation of a migration; refusals are collected and returned as one error.
pub fn plan_migration(app: &str, key: &str, ops: &[Operation], state: &mut ProjectState, allow_unsafe: bool) -> Result<Vec<(usize, Step)>> {
    let mut out = Vec::new();
    let mut refusals = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let before = state.clone();
        op.apply(app, state).map_err(|e| Error::new(ErrorKind::MigrationFile, format!("{key} operation {}: {e}", i + 1)))?;
        match plan(app, op, &before, state, allow_unsafe)? {
            Ok(steps) => out.extend(steps.into_iter().map(|s| (i, s))),
            Err(r) => refusals.push(r),
        }
    }
    if !refusals.is_empty() {
        let mut msg = format!("{key} cannot run online:");
        for r in &refusals {
            msg.push_str(&format!("\n  - {}: {}\n    safe way: {}", r.operation, r.reason, r.safe_way));
        }
        return Err(Error::new(ErrorKind::Unsafe, msg).hint("follow the safe way, or pass --allow-unsafe to run it with a blocking lock"));
    }
    Ok(out)
}
