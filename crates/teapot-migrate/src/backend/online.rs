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

use teapot_schema::{ModelState, ProjectState};

use super::lower::{lower, update, AddColumn, Change, IndexOptions, Update};
use super::objects::pg_default_name;
use super::postgres::{self, quote};
use crate::Operation;
use teapot_core::{Error, ErrorKind, Result};

/// The strongest table lock a step takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lock {
    /// Reads the table's definition only (a view made over it).
    AccessShare,
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
            Lock::AccessShare => "ACCESS SHARE",
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

/// Which part of an online migration a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// A migration applied in one run (every migration that does not expand).
    Apply,
    /// Expand / contract: builds the new shape beside the old (`migrate --online`).
    Expand,
    /// Expand / contract: removes the old shape (`migrate --online --complete`).
    Complete,
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
    /// For a backfill: the batched update.
    pub batches: Option<Update>,
    /// The phase it runs in.
    pub phase: Phase,
}

impl Step {
    pub(crate) fn tx(description: impl Into<String>, table: &str, lock: Lock, sql: Vec<String>) -> Step {
        Step {
            description: description.into(),
            sql,
            lock,
            transaction: true,
            table: table.to_string(),
            also_locks: None,
            guard: Guard::Transaction,
            batches: None,
            phase: Phase::Apply,
        }
    }

    /// The same step, in another phase.
    pub(crate) fn phase(mut self, phase: Phase) -> Step {
        self.phase = phase;
        self
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
    let changes = lower(app, op, before, after)?;
    let model = op.model_name().and_then(|name| after.get(app, name));
    let mut planner = Planner { op, model, steps: Vec::new(), quick: None, new_tables: Vec::new() };
    for l in &changes {
        match planner.change(&l.change, allow_unsafe)? {
            Ok(()) => {}
            Err(reason) => return Ok(Err(Refusal { operation: op.describe(), reason: reason.0, safe_way: reason.1 })),
        }
    }
    planner.flush();
    if planner.steps.is_empty() {
        if let Operation::AlterField { name, .. } = op {
            planner.steps.push(Step::tx(format!("Alter {name}: no database change"), "", Lock::RowExclusive, vec![]));
        }
    }
    Ok(Ok(planner.steps))
}

/// A quick step being gathered: consecutive changes that take a strong lock for a moment only run
/// in one short transaction.
struct Quick {
    table: String,
    lock: Lock,
    sql: Vec<String>,
    rewrites: bool,
}

/// Turns one operation's changes into steps.
struct Planner<'a> {
    op: &'a Operation,
    /// The model the operation is about, as it is after it.
    model: Option<&'a ModelState>,
    steps: Vec<Step>,
    quick: Option<Quick>,
    /// Tables this operation creates: nobody uses them yet, so their changes need no care.
    new_tables: Vec<String>,
}

impl Planner<'_> {
    /// A brief statement under a strong lock, gathered with its neighbours.
    fn quick(&mut self, table: &str, lock: Lock, sql: Vec<String>, rewrites: bool) {
        let q = self.quick.get_or_insert_with(|| Quick { table: table.to_string(), lock, sql: Vec::new(), rewrites: false });
        q.lock = q.lock.max(lock);
        q.rewrites |= rewrites;
        q.sql.extend(sql);
    }

    fn flush(&mut self) {
        let Some(q) = self.quick.take() else { return };
        let description = match self.op {
            Operation::AlterField { name, field, .. } => {
                let col = field.column(name).unwrap_or_else(|| name.clone());
                if q.rewrites {
                    format!("Alter {col} (rewrites the table)")
                } else {
                    format!("Alter {col} (metadata only)")
                }
            }
            op => op.describe(),
        };
        self.steps.push(Step::tx(description, &q.table, q.lock, q.sql));
    }

    fn step(&mut self, step: Step) {
        self.flush();
        self.steps.push(step);
    }

    /// Plans one change; a refusal (the reason and the safe way) when it cannot be online.
    fn change(&mut self, change: &Change, allow_unsafe: bool) -> Result<std::result::Result<(), (String, String)>> {
        use Change::*;
        let table = change.table().to_string();
        if let CreateTable { table, .. } = change {
            self.new_tables.push(table.clone());
        }
        if self.new_tables.contains(&table) {
            // A table made by this very operation: its keys and indexes go in with it.
            self.quick(&table, Lock::ShareRowExclusive, postgres::render_change(change), false);
            return Ok(Ok(()));
        }
        match change {
            CreateTable { .. } => unreachable!("a created table is new"),
            AddColumn(c) => self.add_column(c)?,
            RetypeColumn { from_type, to_type, column, referring, .. } => {
                let rewrites = !binary_compatible(from_type, to_type);
                if rewrites && !allow_unsafe {
                    // A key takes the columns pointing at it along: each is rewritten too.
                    let (with, also) = if referring.is_empty() {
                        (String::new(), String::new())
                    } else {
                        (
                            format!(", and the columns that point at it with it ({})", referring.join(", ")),
                            format!(" (and the same for each column pointing at it: {})", referring.join(", ")),
                        )
                    };
                    return Ok(Err((
                        format!(
                            "changing {table}.{column} from {from_type} to {to_type} rewrites the table{with} under an ACCESS EXCLUSIVE lock"
                        ),
                        format!(
                            "add a new {to_type} column, write both from the application, backfill it with a `backfill` operation, \
                             switch reads, then drop {column}{also} (or run with --allow-unsafe in a maintenance window)"
                        ),
                    )));
                }
                self.quick(&table, Lock::AccessExclusive, postgres::render_change(change), rewrites);
            }
            DropTable { .. }
            | RenameTable { .. }
            | DropColumn { .. }
            | RenameColumn { .. }
            | SetDefault { .. }
            | DropNotNull { .. }
            | RenameIndex { .. }
            | DropConstraint { .. }
            | RenameConstraint { .. } => self.quick(&table, Lock::AccessExclusive, postgres::render_change(change), false),
            Update(u) => self.step(backfill_step(u)),
            SetNotNull { column, .. } => {
                self.flush();
                self.steps.extend(not_null_steps(&table, column));
            }
            AddIndex { name, columns, options, .. } => self.step(index_step(&table, name, columns, options)),
            DropIndex { name, .. } => self.step(drop_index_step(&table, name)),
            AddUnique { name, columns, .. } => {
                self.flush();
                self.steps.extend(unique_steps(&table, name, columns));
            }
            AddForeignKey { name, column, references, referenced_table, .. } => {
                self.flush();
                self.steps.extend(fk_steps(&table, name, column, references, referenced_table));
            }
            AddCheck { name, check, .. } => {
                self.flush();
                self.steps.extend(check_steps(&table, name, check));
            }
            RawSql { sql } => self.step(Step::tx("Raw SQL", "", Lock::AccessExclusive, vec![sql.clone()])),
        }
        Ok(Ok(()))
    }

    /// A column added without a table rewrite: a constant default is metadata only (PostgreSQL
    /// 11+); a volatile one is set for new rows and filled in batches for old ones. Its unique
    /// constraint and foreign key come after, the online way.
    fn add_column(&mut self, c: &AddColumn) -> Result<()> {
        // A volatile default (kept, or a one-off such as a callable default's gen_random_uuid())
        // would rewrite the table under its lock: the column is added without it, and the rows
        // are filled in batches with the default set meanwhile for the writers of new rows.
        let volatile = c.default.as_ref().is_some_and(|d| is_volatile(&d.sql));
        let mut plain = c.clone();
        plain.foreign_key = None;
        if volatile {
            plain.default = None;
            plain.null = true;
        }
        let mut sql = vec![format!("ALTER TABLE {} ADD COLUMN {};", quote(&c.table), postgres::column_definition(&plain, false))];
        let fill = c.default.as_ref().filter(|_| volatile);
        if let Some(d) = fill {
            sql.push(postgres::set_default(&c.table, &c.column, Some(&d.sql)));
        }
        let one_off = c.default.as_ref().is_some_and(|d| !d.kept);
        if one_off && !volatile {
            // A one-off value filled the rows that exist; it is no default of the model.
            sql.push(postgres::set_default(&c.table, &c.column, None));
        }
        self.step(Step::tx(format!("Add column {} (metadata only)", c.column), &c.table, Lock::AccessExclusive, sql));
        if let Some(d) = fill {
            let model = self.model.ok_or_else(|| Error::new(ErrorKind::MigrationFile, format!("no model owns {}", c.table)))?;
            let set = format!("{} = {}", quote(&c.column), d.sql);
            self.steps.push(backfill_step(&update(model, set, Some(format!("{} IS NULL", quote(&c.column))), 1000, 0)?));
            if !c.null {
                self.steps.extend(not_null_steps(&c.table, &c.column));
            }
            if one_off {
                self.step(Step::tx(
                    format!("Drop the one-off default of {}", c.column),
                    &c.table,
                    Lock::AccessExclusive,
                    vec![postgres::set_default(&c.table, &c.column, None)],
                ));
            }
        }
        if c.unique {
            self.steps.extend(unique_steps(&c.table, &pg_default_name(&c.table, Some(&c.column), "key"), &quote(&c.column)));
        }
        if let Some(fk) = &c.foreign_key {
            self.steps.extend(fk_steps(&c.table, &fk.name, &c.column, &fk.references, &fk.referenced_table));
        }
        Ok(())
    }
}

pub(crate) fn index_step(table: &str, name: &str, columns: &str, options: &IndexOptions) -> Step {
    Step {
        description: format!("Build {}index {name} concurrently", if options.unique { "unique " } else { "" }),
        sql: vec![postgres::create_index(table, name, columns, options, true)],
        lock: Lock::ShareUpdateExclusive,
        transaction: false,
        table: table.to_string(),
        also_locks: None,
        guard: Guard::Index(name.to_string()),
        batches: None,
        phase: Phase::Apply,
    }
}

fn drop_index_step(table: &str, name: &str) -> Step {
    Step {
        description: format!("Drop index {name} concurrently"),
        sql: vec![postgres::drop_index(name, true)],
        lock: Lock::ShareUpdateExclusive,
        transaction: false,
        table: table.to_string(),
        also_locks: None,
        guard: Guard::Idempotent,
        batches: None,
        phase: Phase::Apply,
    }
}

fn unique_steps(table: &str, name: &str, columns: &str) -> Vec<Step> {
    vec![
        index_step(table, name, columns, &IndexOptions { unique: true, ..IndexOptions::default() }),
        Step::tx(format!("Attach {name} as a unique constraint"), table, Lock::AccessExclusive, vec![postgres::attach_unique(table, name)]),
    ]
}

fn check_steps(table: &str, name: &str, check: &str) -> Vec<Step> {
    vec![
        Step::tx(format!("Add check {name} NOT VALID"), table, Lock::AccessExclusive, vec![postgres::add_check(table, name, check, true)]),
        Step::tx(format!("Validate check {name}"), table, Lock::ShareUpdateExclusive, vec![postgres::validate_constraint(table, name)]),
    ]
}

fn fk_steps(table: &str, name: &str, column: &str, references: &str, referenced_table: &str) -> Vec<Step> {
    // ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on the referenced table too: its writers block it.
    let mut add = Step::tx(
        format!("Add foreign key {name} NOT VALID"),
        table,
        Lock::ShareRowExclusive,
        vec![postgres::add_foreign_key(table, name, column, references, true)],
    );
    add.also_locks = Some(referenced_table.to_string()).filter(|t| t != table);
    vec![
        add,
        Step::tx(
            format!("Validate foreign key {name}"),
            table,
            Lock::ShareUpdateExclusive,
            vec![postgres::validate_constraint(table, name)],
        ),
    ]
}

/// SET NOT NULL without a long ACCESS EXCLUSIVE scan: a validated CHECK proves it first.
fn not_null_steps(table: &str, col: &str) -> Vec<Step> {
    let check = pg_default_name(table, Some(col), "notnull");
    let mut steps = check_steps(table, &check, &format!("{} IS NOT NULL", quote(col)));
    steps.push(Step::tx(
        format!("Set {col} NOT NULL (the validated check spares the scan) and drop the check"),
        table,
        Lock::AccessExclusive,
        vec![postgres::set_not_null(table, col), postgres::drop_constraint(table, &check, false)],
    ));
    steps
}

pub(crate) fn backfill_step(u: &Update) -> Step {
    Step {
        description: format!("Backfill {} in batches of {}: SET {}", u.table, u.batch_size, u.set),
        sql: vec![],
        lock: Lock::RowExclusive,
        transaction: true,
        table: u.table.clone(),
        also_locks: None,
        guard: Guard::Transaction,
        batches: Some(u.clone()),
        phase: Phase::Apply,
    }
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

/// Whether a PostgreSQL type change keeps the bytes on disk (no rewrite, no scan).
pub fn binary_compatible(old: &str, new: &str) -> bool {
    let len = |t: &str| t.strip_prefix("varchar(").and_then(|r| r.strip_suffix(')')).and_then(|n| n.parse::<u32>().ok());
    match (len(old), len(new)) {
        (Some(a), Some(b)) => b >= a,
        (Some(_), None) => new == "text",
        _ => false,
    }
}

/// Every step of every operation of a migration; refusals are collected and returned as one error.
///
/// A migration that expands (renames, rewriting type changes: see [`super::expand`]) is planned
/// as its expand steps then its complete steps; `previous` is the app's migration before it.
pub fn plan_migration(
    app: &str,
    key: &str,
    previous: Option<&str>,
    ops: &[Operation],
    state: &mut ProjectState,
    allow_unsafe: bool,
) -> Result<Vec<(usize, Step)>> {
    let name = key.split_once('/').map_or(key, |(_, n)| n);
    if let Some(x) = super::expand::plan(app, name, previous, ops, state)? {
        for (i, op) in ops.iter().enumerate() {
            op.apply(app, state).map_err(|e| Error::new(ErrorKind::MigrationFile, format!("{key} operation {}: {e}", i + 1)))?;
        }
        return Ok(x.expand.into_iter().chain(x.complete).map(|s| (0, s)).collect());
    }
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
