//! The executor: a plan from the graph and what is applied, then each migration in one
//! transaction, recorded in `teapot_migrations`. A migration that fails rolls back whole.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use teapot_schema::ProjectState;

use crate::backend::{self, Rendered};
use crate::carry;
use crate::checksum::checksum;
use crate::file::Migration;
use crate::graph::Graph;
use crate::migrator::Source;
use crate::online_executor::{backoff, is_lock_timeout, lock_holders, Watcher};
use crate::progress::{self, Mode};
use crate::recorder;
use teapot_core::{Connection as Conn, Dialect, Error, ErrorKind, Result};
use teapot_schema::sql_lexer::split_statements;

/// Which way a migration runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Apply.
    Forwards,
    /// Unapply.
    Backwards,
}

/// Where to migrate to.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// Only this app (and what it depends on); all apps when None.
    pub app: Option<String>,
    /// A migration of that app (a prefix such as `0003` is enough), or `zero`.
    pub name: Option<String>,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStep {
    /// `app/name`.
    pub key: String,
    /// Apply or unapply.
    pub direction: Direction,
}

fn dependents(graph: &Graph) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in graph.migrations() {
        for d in &m.dependencies {
            out.entry(d.clone()).or_default().push(m.key());
        }
    }
    out
}

/// The migration `key` and everything it depends on, transitively.
pub fn ancestors(graph: &Graph, key: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![key.to_string()];
    while let Some(k) = stack.pop() {
        if seen.insert(k.clone()) {
            if let Some(m) = graph.get(&k) {
                stack.extend(m.dependencies.iter().cloned());
            }
        }
    }
    seen
}

fn descendants(deps: &BTreeMap<String, Vec<String>>, key: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![key.to_string()];
    while let Some(k) = stack.pop() {
        if seen.insert(k.clone()) {
            stack.extend(deps.get(&k).cloned().unwrap_or_default());
        }
    }
    seen
}

/// Finds a migration of an app by full name or unique prefix.
pub fn find_migration(graph: &Graph, app: &str, name: &str) -> Result<String> {
    let matches: Vec<String> = graph.app_migrations(app).filter(|m| m.name.starts_with(name)).map(|m| m.key()).collect();
    match matches.len() {
        1 => Ok(matches.into_iter().next().expect("one")),
        0 => Err(Error::new(ErrorKind::Usage, format!("app {app} has no migration {name}")).hint("`teapot showmigrations` lists them")),
        _ => Err(Error::new(ErrorKind::Usage, format!("{name} matches several migrations of {app}: {}", matches.join(", ")))
            .hint("give more of the name")),
    }
}

/// The steps that take the database from `applied` to `target`.
pub fn plan(graph: &Graph, applied: &BTreeSet<String>, target: &Target) -> Result<Vec<PlanStep>> {
    let order: Vec<String> = graph.order()?.into_iter().map(|m| m.key()).collect();
    let deps = dependents(graph);
    let forwards = |wanted: BTreeSet<String>| -> Vec<PlanStep> {
        order
            .iter()
            .filter(|k| wanted.contains(*k) && !applied.contains(*k))
            .map(|k| PlanStep { key: k.clone(), direction: Direction::Forwards })
            .collect()
    };
    let backwards = |undo: BTreeSet<String>| -> Vec<PlanStep> {
        order
            .iter()
            .rev()
            .filter(|k| undo.contains(*k) && applied.contains(*k))
            .map(|k| PlanStep { key: k.clone(), direction: Direction::Backwards })
            .collect()
    };
    match (&target.app, &target.name) {
        (None, _) => Ok(forwards(order.iter().cloned().collect())),
        (Some(app), None) => {
            let mut wanted = BTreeSet::new();
            for leaf in graph.leaves(app) {
                wanted.extend(ancestors(graph, &leaf));
            }
            Ok(forwards(wanted))
        }
        (Some(app), Some(name)) if name == "zero" => {
            let mut undo = BTreeSet::new();
            for m in graph.app_migrations(app) {
                undo.extend(descendants(&deps, &m.key()));
            }
            Ok(backwards(undo))
        }
        (Some(app), Some(name)) => {
            let key = find_migration(graph, app, name)?;
            if applied.contains(&key) {
                // Unapply what came after it in this app, and everything that depends on that.
                let mut undo = BTreeSet::new();
                for child in deps.get(&key).cloned().unwrap_or_default() {
                    if child.starts_with(&format!("{app}/")) {
                        undo.extend(descendants(&deps, &child));
                    }
                }
                Ok(backwards(undo))
            } else {
                Ok(forwards(ancestors(graph, &key)))
            }
        }
    }
}

/// What the migrator reports as it goes, for the CLI (or a program of yours) to show.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// The plan is made (the migration lock is held): this many migrations will run.
    Planned {
        /// How many.
        migrations: usize,
    },
    /// A migration starts.
    Start {
        /// `app/name`.
        key: String,
        /// Apply or unapply.
        direction: Direction,
        /// Number of operations.
        operations: usize,
    },
    /// An operation finished.
    Operation {
        /// 1-based index.
        index: usize,
        /// What it was.
        description: String,
    },
    /// A line for people (a step, a retry, a warning).
    Message(String),
    /// Progress of a long step (an index build's blocks, a backfill's rows).
    Progress {
        /// The phase, as PostgreSQL or the backfill names it.
        phase: String,
        /// Done so far.
        done: u64,
        /// In all (0 when unknown).
        total: u64,
    },
    /// A migration finished.
    Done {
        /// `app/name`.
        key: String,
        /// How long it took.
        elapsed: Duration,
    },
}

/// The SQL of one migration, in the order it runs.
#[derive(Debug, Clone, Default)]
pub struct MigrationSql {
    /// Each operation's description and statements.
    pub operations: Vec<(String, Vec<String>)>,
    /// The statements deferred to the end (foreign keys and indexes, as Django defers them).
    pub deferred: Vec<String>,
    /// The tables SQLite rebuilds, with the index of the operation (in `operations`) that does.
    pub rebuilt: Vec<(usize, backend::Rebuild)>,
}

/// The SQL of one migration, in the order it runs: each operation's statements (with its
/// description), then the deferred statements.
pub fn migration_sql(dialect: Dialect, m: &Migration, state: &mut ProjectState, direction: Direction) -> Result<MigrationSql> {
    let mut per_op = Vec::new();
    let mut deferred = Vec::new();
    let mut rebuilt = Vec::new();
    let fail = |i: usize, op: &crate::Operation, e: Error| {
        let message = format!("{} operation {} ({}): {}", m.key(), i + 1, op.describe(), e.message);
        e.with_message(message)
    };
    match direction {
        Direction::Forwards => {
            for (i, op) in m.operations.iter().enumerate() {
                if moves_names(op) && !deferred.is_empty() {
                    // Indexes and keys still deferred would be looked for under old names.
                    per_op.push(("Deferred statements of the operations above".to_string(), std::mem::take(&mut deferred)));
                }
                let rendered: Rendered = if needs_before(op, dialect) {
                    let before = state.clone();
                    op.apply(&m.app, state).map_err(|e| fail(i, op, Error::new(ErrorKind::MigrationFile, e.0)))?;
                    backend::render(dialect, &m.app, op, &before, state)
                } else {
                    op.apply(&m.app, state).map_err(|e| fail(i, op, Error::new(ErrorKind::MigrationFile, e.0)))?;
                    backend::render(dialect, &m.app, op, state, state)
                }
                .map_err(|e| fail(i, op, e))?;
                rebuilt.extend(rendered.rebuilt.into_iter().map(|r| (per_op.len(), r)));
                per_op.push((op.describe(), rendered.now));
                deferred.extend(rendered.deferred);
            }
        }
        Direction::Backwards => {
            // The state before each operation, then undo them last to first.
            let mut states = Vec::with_capacity(m.operations.len());
            let mut s = state.clone();
            for (i, op) in m.operations.iter().enumerate() {
                states.push(s.clone());
                op.apply(&m.app, &mut s).map_err(|e| fail(i, op, Error::new(ErrorKind::MigrationFile, e.0)))?;
            }
            for (i, op) in m.operations.iter().enumerate().rev() {
                let rendered = backend::render_backwards(dialect, &m.app, op, &states[i]).map_err(|e| fail(i, op, e))?;
                rebuilt.extend(rendered.rebuilt.into_iter().map(|r| (per_op.len(), r)));
                per_op.push((format!("Undo: {}", op.describe()), rendered.now));
                deferred.extend(rendered.deferred);
            }
        }
    }
    Ok(MigrationSql { operations: per_op, deferred, rebuilt })
}

/// More statements than this in one migration run in several transactions on PostgreSQL: a big
/// initial migration (1000 models) takes more locks than one transaction may hold on a server
/// with the default max_locks_per_transaction (64), and fails with "out of shared memory".
pub const MAX_STATEMENTS_PER_TRANSACTION: usize = 400;

/// How a migration's statements are grouped into transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One transaction: it applies whole or not at all.
    Atomic,
    /// Transactions of at most this many statements, each recorded as it commits (too big for one).
    Chunked(usize),
    /// Each statement on its own, outside any transaction (`atomic = false`).
    StatementByStatement,
}

/// Every statement of a migration, in order, with the operation it belongs to (None: deferred).
pub fn statements(sql: &MigrationSql) -> Vec<(Option<(usize, &String)>, String)> {
    let mut out: Vec<(Option<(usize, &String)>, String)> = Vec::new();
    for (i, (desc, stmts)) in sql.operations.iter().enumerate() {
        for s in stmts {
            out.extend(split_statements(s).into_iter().map(|one| (Some((i, desc)), one)));
        }
    }
    for s in &sql.deferred {
        out.extend(split_statements(s).into_iter().map(|one| (None, one)));
    }
    out
}

/// How a migration runs on a dialect.
pub fn shape(m: &Migration, dialect: Dialect, sql: &MigrationSql) -> Shape {
    if dialect != Dialect::Postgres {
        // SQLite has no statement that cannot run in a transaction, and no lock table to fill.
        return Shape::Atomic;
    }
    if !m.atomic {
        return Shape::StatementByStatement;
    }
    let n: usize = sql.operations.iter().map(|(_, s)| s.len()).sum::<usize>() + sql.deferred.len();
    if n > MAX_STATEMENTS_PER_TRANSACTION {
        Shape::Chunked(MAX_STATEMENTS_PER_TRANSACTION)
    } else {
        Shape::Atomic
    }
}

/// A migration run in parts on PostgreSQL — each statement on its own (`atomic = false`, so
/// CREATE INDEX CONCURRENTLY can run), or in transactions of `group` statements (a migration too
/// big for one). Each finished statement is recorded in the progress record (a group's records
/// commit with its statements), so a rerun after a failure or a crash goes on from where it
/// stopped and never runs a statement twice.
async fn run_in_parts(
    conn: &mut Conn,
    m: &Migration,
    direction: Direction,
    sql: &MigrationSql,
    group: Option<usize>,
    lock_timeout_ms: Option<u128>,
    on_event: &mut dyn FnMut(Event),
) -> Result<()> {
    progress::ensure(conn).await?;
    let done = progress::read(conn, &m.app, &m.name).await?;
    progress::refuse_other_mode(&m.key(), &done, Mode::Plain)?;
    let statements = statements(sql);
    let size = group.unwrap_or(1).max(1);
    let parts = statements.len().div_ceil(size).max(1);
    if let Some(g) = group {
        on_event(Event::Message(format!(
            "  {} has {} statements, more locks than one transaction can take on a default server: \
             it runs in {parts} transactions of at most {g}, each recorded as it commits",
            m.key(),
            statements.len()
        )));
    }
    if let (Some(ms), None) = (lock_timeout_ms, group) {
        conn.run(&format!("SET lock_timeout = {ms}")).await.map_err(|e| e.context("cannot set lock_timeout"))?;
    }
    let result = async {
        let mut last_op = None;
        for part in 0..parts {
            let range = (part * size)..((part + 1) * size).min(statements.len());
            let mut todo = Vec::new();
            for n in range.clone() {
                let fingerprint = progress::fingerprint(&[&statements[n].1]);
                match done.get(&(n + 1)) {
                    Some(r) => {
                        progress::check_unchanged(&m.key(), n + 1, statements[n].1.trim(), r, &fingerprint)?;
                        if !r.finished {
                            todo.push((n, fingerprint));
                        }
                    }
                    None => todo.push((n, fingerprint)),
                }
            }
            if todo.is_empty() {
                continue;
            }
            if group.is_some() {
                conn.run("BEGIN").await.map_err(|e| e.context("cannot begin a transaction"))?;
                if let Some(ms) = lock_timeout_ms {
                    conn.run(&format!("SET LOCAL lock_timeout = {ms}")).await.map_err(|e| e.context("cannot set lock_timeout"))?;
                }
            }
            let work = async {
                for (n, fingerprint) in &todo {
                    let (op, statement) = &statements[*n];
                    conn.run(statement).await.map_err(|e| {
                        let at = match op {
                            Some((i, desc)) => format!("operation {} ({desc})", i + 1),
                            None => "the deferred statements (foreign keys and indexes)".to_string(),
                        };
                        let db = e.database_message();
                        let shown: String = statement.trim().chars().take(300).collect();
                        let kept = match group {
                            None => format!("the migration is not atomic: the {n} statement(s) before it are kept"),
                            Some(_) => format!(
                                "transaction {} of {parts} rolled back; the {} statement(s) of the transactions before it are kept",
                                part + 1,
                                range.start
                            ),
                        };
                        e.with_kind(ErrorKind::MigrationFailed)
                            .with_message(format!(
                                "{} failed at {at}, statement {} of {}: {db}\n  statement: {shown}\n  ({kept})",
                                m.key(),
                                n + 1,
                                statements.len()
                            ))
                            .hint("fix the cause and run migrate again: it goes on from where it stopped")
                    })?;
                    if group.is_none() {
                        // Each statement commits on its own: so does its record.
                        progress::save(conn, &m.app, &m.name, n + 1, true, "", Mode::Plain, fingerprint).await?;
                    }
                    if let Some((i, desc)) = op {
                        if last_op != Some(*i) {
                            last_op = Some(*i);
                            on_event(Event::Operation { index: i + 1, description: (*desc).clone() });
                        }
                    }
                }
                if group.is_some() {
                    // The transaction's statements are recorded with them, in one round trip.
                    let finished: Vec<(usize, String)> = todo.iter().map(|(n, f)| (n + 1, f.clone())).collect();
                    progress::save_finished(conn, &m.app, &m.name, &finished, Mode::Plain).await?;
                }
                Ok::<(), Error>(())
            }
            .await;
            if group.is_some() {
                match work {
                    Ok(()) => conn.run("COMMIT").await.map(|_| ()).map_err(|e| e.context("cannot commit"))?,
                    Err(e) => {
                        let _ = conn.run("ROLLBACK").await;
                        return Err(e);
                    }
                }
            } else {
                work?;
            }
        }
        conn.run("BEGIN").await.map_err(|e| e.context("cannot begin a transaction"))?;
        let recorded = async {
            match direction {
                Direction::Forwards => recorder::record(conn, &m.app, &m.name, &file_checksum(m)).await?,
                Direction::Backwards => recorder::unrecord(conn, &m.app, &m.name).await?,
            }
            progress::clear(conn, &m.app, &m.name).await
        }
        .await;
        match recorded {
            Ok(()) => conn.run("COMMIT").await.map(|_| ()).map_err(|e| e.context("cannot commit")),
            Err(e) => {
                let _ = conn.run("ROLLBACK").await;
                Err(e)
            }
        }
    }
    .await;
    if lock_timeout_ms.is_some() && group.is_none() {
        let _ = conn.run("RESET lock_timeout").await;
    }
    result
}

/// The tables a migration's operations are about (in the states before and after it): where to
/// look for the sessions in its way.
fn migration_tables(m: &Migration, before: &ProjectState, after: &ProjectState) -> Vec<String> {
    let mut tables: Vec<String> = m
        .operations
        .iter()
        .filter_map(|op| op.model_name())
        .flat_map(|name| [before.get(&m.app, name), after.get(&m.app, name)])
        .flatten()
        .map(|model| model.table_name())
        .collect();
    tables.sort();
    tables.dedup();
    tables
}

/// Operations that rename or drop what earlier operations' deferred statements refer to.
fn moves_names(op: &crate::Operation) -> bool {
    use crate::Operation::*;
    matches!(op, RenameModel { .. } | AlterModelTable { .. } | RenameField { .. } | DeleteModel { .. } | RemoveField { .. })
        || matches!(op, AlterField { field, .. } if field.db_column.is_some())
}

/// Operations whose SQL on a dialect needs the state before them (the rest render from the state
/// after). SQLite rebuilds the table for most added fields, copying the rows from the table as it
/// was: there an added field needs the state before it too.
pub fn needs_before(op: &crate::Operation, dialect: Dialect) -> bool {
    use crate::Operation::*;
    match op {
        AddField { .. } => dialect == Dialect::Sqlite,
        CreateModel { .. } | AddIndex { .. } | AddConstraint { .. } | RunSql { .. } | Backfill { .. } => false,
        _ => true,
    }
}

/// The checksum of a migration's file as it is now.
pub fn file_checksum(m: &Migration) -> String {
    match m.path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) {
        Some(text) => checksum(&text),
        None => checksum(&m.to_toml()),
    }
}

/// How a plain migrate waits for locks on PostgreSQL. Each migration is one transaction run
/// under `lock_timeout`: when a lock is not granted in time the whole migration rolls back and is
/// tried again after a backoff, and the sessions in the way are named.
#[derive(Debug, Clone)]
pub struct LockOptions {
    /// How long one statement may wait for a lock.
    pub lock_timeout: Duration,
    /// Attempts at a migration before giving up.
    pub lock_attempts: u32,
}

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions { lock_timeout: Duration::from_secs(2), lock_attempts: 10 }
    }
}

/// Runs a plan: each migration in its own transaction. `fake` records without running. No
/// lock_timeout: see [`execute_with`].
pub async fn execute(conn: &mut Conn, graph: &Graph, steps: &[PlanStep], fake: bool, on_event: &mut dyn FnMut(Event)) -> Result<()> {
    execute_with(conn, None, graph, steps, fake, None, on_event).await
}

/// Runs a plan, each migration in its own transaction; on PostgreSQL with `locks`, under
/// lock_timeout with retries, the blockers looked up on a second connection from `source`.
pub(crate) async fn execute_with(
    conn: &mut Conn,
    source: Option<&Source>,
    graph: &Graph,
    steps: &[PlanStep],
    fake: bool,
    locks: Option<&LockOptions>,
    on_event: &mut dyn FnMut(Event),
) -> Result<()> {
    recorder::ensure_table(conn).await?;
    let applied: BTreeSet<String> = recorder::applied(conn).await?.into_iter().map(|a| a.key()).collect();
    let dialect = conn.dialect();
    // Every migration is rendered before anything runs: a history that cannot be replayed stops
    // the run before the migrations ahead of the broken one are applied.
    let mut rendered = Vec::with_capacity(steps.len());
    {
        let mut applied = applied;
        let mut state = graph.state_until(|m| applied.contains(&m.key()))?;
        for step in steps {
            let m = graph.get(&step.key).ok_or_else(|| Error::new(ErrorKind::Graph, format!("{} is not in the graph", step.key)))?;
            if step.direction == Direction::Backwards {
                // Its dependents were unapplied before it: the state before it is the rest.
                state = graph.state_until(|x| applied.contains(&x.key()) && x.key() != m.key())?;
            }
            let mut next_state = state.clone();
            let sql = migration_sql(dialect, m, &mut next_state, step.direction)?;
            let tables = migration_tables(m, &state, &next_state);
            match step.direction {
                Direction::Forwards => {
                    applied.insert(m.key());
                    state = next_state;
                }
                Direction::Backwards => {
                    applied.remove(&m.key());
                }
            }
            rendered.push((m, sql, tables));
        }
    }
    let locks = locks.filter(|_| dialect == Dialect::Postgres && !fake);
    let mut watcher = match (locks, source) {
        (Some(_), Some(source)) => Some(Watcher::new(source, conn).await),
        _ => None,
    };
    let result = async {
        for (step, (m, sql, tables)) in steps.iter().zip(&rendered) {
            let (m, sql) = (*m, sql);
            let start = Instant::now();
            on_event(Event::Start { key: m.key(), direction: step.direction, operations: m.operations.len() });
            let mut attempt = 0;
            loop {
                attempt += 1;
                let lock_ms = locks.map(|l| l.lock_timeout.as_millis());
                let how = if fake { Shape::Atomic } else { shape(m, dialect, sql) };
                let work = async {
                    match how {
                        Shape::Atomic => run_in_transaction(conn, m, step.direction, sql, fake, lock_ms, on_event).await,
                        Shape::Chunked(g) => run_in_parts(conn, m, step.direction, sql, Some(g), lock_ms, on_event).await,
                        Shape::StatementByStatement => run_in_parts(conn, m, step.direction, sql, None, lock_ms, on_event).await,
                    }
                };
                let (res, seen) = match watcher.as_mut() {
                    Some(w) => w.watch(work).await,
                    None => (work.await, Vec::new()),
                };
                let e = match res {
                    Ok(()) => break,
                    Err(e) => e,
                };
                let Some(l) = locks.filter(|_| is_lock_timeout(&e)) else { return Err(e) };
                let seen = if seen.is_empty() { lock_holders(conn, tables, 0.0).await.unwrap_or_default() } else { seen };
                let named: Vec<String> = seen.iter().map(|b| b.to_string()).collect();
                let blockers = if named.is_empty() { "(the blocker had finished by the time it was looked up)".to_string() } else { named.join("\n    ") };
                if attempt >= l.lock_attempts {
                    return Err(e.with_kind(ErrorKind::LockTimeout).with_message(format!(
                        "{}: a lock was not granted within {:?}, {attempt} times; the migration was rolled back whole each time; blocked by:\n    {blockers}",
                        m.key(),
                        l.lock_timeout
                    ))
                    .hint("end or wait out the blocking transactions, then run migrate again (nothing of this migration was kept); --lock-timeout sets the wait"));
                }
                let wait = backoff(attempt);
                on_event(Event::Message(format!(
                    "  a lock was not granted within {:?} (attempt {attempt}/{}): {} rolled back, tried again in {wait:?}; blocked by: {}",
                    l.lock_timeout,
                    l.lock_attempts,
                    m.key(),
                    blockers.replace("\n    ", "; ")
                )));
                tokio::time::sleep(wait).await;
            }
            on_event(Event::Done { key: m.key(), elapsed: start.elapsed() });
        }
        Ok(())
    }
    .await;
    if let Some(w) = watcher {
        w.close().await;
    }
    result
}

async fn run_in_transaction(
    conn: &mut Conn,
    m: &Migration,
    direction: Direction,
    sql: &MigrationSql,
    fake: bool,
    lock_timeout_ms: Option<u128>,
    on_event: &mut dyn FnMut(Event),
) -> Result<()> {
    let sqlite = conn.dialect() == Dialect::Sqlite;
    if sqlite {
        // Foreign keys cannot be switched inside a transaction; they are checked before commit.
        conn.run("PRAGMA foreign_keys = OFF").await.map_err(|e| e.context("cannot prepare SQLite"))?;
    }
    conn.run("BEGIN").await.map_err(|e| e.context("cannot begin a transaction"))?;
    let result = async {
        if let Some(ms) = lock_timeout_ms {
            conn.run(&format!("SET LOCAL lock_timeout = {ms}")).await.map_err(|e| e.context("cannot set lock_timeout"))?;
        }
        if !fake {
            for (i, (desc, stmts)) in sql.operations.iter().enumerate() {
                let rebuilds: Vec<&backend::Rebuild> = sql.rebuilt.iter().filter(|(op, _)| *op == i).map(|(_, r)| r).collect();
                let carried = carry::undeclared(conn, &rebuilds).await?;
                for s in stmts {
                    conn.run(s).await.map_err(|e| failed(m, Some((i, desc)), s, e))?;
                }
                carry::recreate(conn, &m.key(), (i, desc), &carried, on_event).await?;
                on_event(Event::Operation { index: i + 1, description: desc.clone() });
            }
            for s in &sql.deferred {
                conn.run(s).await.map_err(|e| failed(m, None, s, e))?;
            }
            if sqlite {
                let bad = conn
                    .fetch_all("SELECT \"table\", CAST(rowid AS TEXT), parent FROM pragma_foreign_key_check", &[])
                    .await
                    .map_err(|e| e.context("cannot check foreign keys"))?;
                if let Some(row) = bad.first() {
                    let s = |i: usize| row.get::<Option<String>>(i).ok().flatten().unwrap_or_default();
                    return Err(Error::new(
                        ErrorKind::MigrationFailed,
                        format!(
                            "{}: rolled back: row {} of {} points at a missing row of {} ({} rows in all break a foreign key)",
                            m.key(),
                            s(1),
                            s(0),
                            s(2),
                            bad.len()
                        ),
                    )
                    .hint("delete or fix the rows that point nowhere (a run_sql operation before this one can), then run migrate again"));
                }
            }
        }
        match direction {
            Direction::Forwards => recorder::record(conn, &m.app, &m.name, &file_checksum(m)).await,
            Direction::Backwards => recorder::unrecord(conn, &m.app, &m.name).await,
        }
    }
    .await;
    let out = match result {
        Ok(()) => conn.run("COMMIT").await.map(|_| ()).map_err(|e| failed(m, None, "COMMIT", e)),
        Err(e) => {
            let _ = conn.run("ROLLBACK").await;
            Err(e)
        }
    };
    if sqlite {
        let _ = conn.run("PRAGMA foreign_keys = ON").await;
    }
    out
}

fn failed(m: &Migration, op: Option<(usize, &String)>, sql: &str, e: Error) -> Error {
    let db = e.database_message();
    let at = match op {
        Some((i, desc)) => format!("operation {} ({desc})", i + 1),
        None => "the deferred statements (foreign keys and indexes)".to_string(),
    };
    let shown: String = sql.chars().take(300).collect();
    e.with_kind(ErrorKind::MigrationFailed)
        .with_message(format!("{} failed at {at}, and was rolled back whole: {db}\n  statement: {shown}", m.key()))
        .hint("fix the cause (or the migration) and run migrate again; nothing of this migration was kept")
}
