//! `migrate --online` on PostgreSQL: runs the online planner's steps, records every finished step
//! (so running the command again after a crash resumes where it stopped), holds strong locks only
//! under a short lock_timeout with retries, and names the sessions that block a lock.

use std::time::{Duration, Instant};

use teapot_core::{quote, Connection as Conn, DbRow, Error, ErrorKind, Result, Value};

use crate::backend::expand;
use crate::backend::lower::Update;
use crate::backend::online::{plan_migration, Guard, Phase, Step};
use crate::executor::{file_checksum, Event, PlanStep};
use crate::graph::Graph;
use crate::migrator::Source;
use crate::progress::{self, Mode};
use crate::recorder;

/// Column `i` as text, NULL as "".
fn text(r: &DbRow, i: usize) -> String {
    r.get::<Option<String>>(i).ok().flatten().unwrap_or_default()
}

/// How `--online` runs.
#[derive(Debug, Clone)]
pub struct OnlineOptions {
    /// lock_timeout for steps that take a strong lock.
    pub lock_timeout: Duration,
    /// Attempts at a strong lock before giving up.
    pub lock_attempts: u32,
    /// Run changes the planner refuses, with their blocking locks.
    pub allow_unsafe: bool,
    /// A transaction older than this holding a lock on a table the migration touches is reported
    /// before starting.
    pub long_transaction: Duration,
    /// statement_timeout for the steps that hold a strong lock (they should be quick).
    pub statement_timeout: Duration,
    /// Finish an expanded migration (`--complete`) or undo it (`--abort`) instead of applying.
    pub finish: Option<Finish>,
}

/// What to do with a migration an earlier `migrate --online` left expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// Remove the old shape and record the migration applied, then go on with the rest.
    Complete,
    /// Undo the expand: the old shape alone again, every row kept.
    Abort,
}

impl Default for OnlineOptions {
    fn default() -> Self {
        OnlineOptions {
            lock_timeout: Duration::from_secs(2),
            lock_attempts: 10,
            allow_unsafe: false,
            long_transaction: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
            finish: None,
        }
    }
}

/// Parses `2s`, `500ms`, `1m`, or a number of milliseconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let t = s.trim();
    let (num, unit) = t.find(|c: char| !c.is_ascii_digit() && c != '.').map(|i| t.split_at(i)).unwrap_or((t, "ms"));
    let n: f64 = num.parse().map_err(|_| bad_duration(s))?;
    let ms = match unit.trim() {
        "ms" => n,
        "s" => n * 1000.0,
        "m" | "min" => n * 60_000.0,
        _ => return Err(bad_duration(s)),
    };
    Ok(Duration::from_millis(ms as u64))
}

fn bad_duration(s: &str) -> Error {
    Error::new(ErrorKind::Config, format!("\"{s}\" is not a duration")).hint("write it as 500ms, 2s or 1m")
}

/// A session that holds a lock someone waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocker {
    /// Backend pid.
    pub pid: String,
    /// application_name.
    pub application: String,
    /// state (idle in transaction, active, ...).
    pub state: String,
    /// Seconds since its transaction began.
    pub transaction_age: String,
    /// The first 200 characters of its query.
    pub query: String,
    /// The table it holds a lock on.
    pub table: String,
}

impl Blocker {
    /// A row of (pid, application_name, state, transaction age, query, table), all text.
    fn from_row(r: &DbRow) -> Blocker {
        Blocker {
            pid: text(r, 0),
            application: text(r, 1),
            state: text(r, 2),
            transaction_age: text(r, 3),
            query: text(r, 4),
            table: text(r, 5),
        }
    }
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} ({}) {}, transaction open {}s, on {}: {}",
            self.pid,
            if self.application.is_empty() { "no application_name" } else { &self.application },
            self.state,
            self.transaction_age,
            self.table,
            self.query
        )
    }
}

/// The key of the PostgreSQL advisory lock that lets one migrator run at a time.
pub const MIGRATION_LOCK_KEY: i64 = 0x7ea9_075a;

/// Sessions other than this one holding locks on the given tables, in transactions older than
/// `min_age_secs`.
pub async fn lock_holders(conn: &mut Conn, tables: &[String], min_age_secs: f64) -> Result<Vec<Blocker>> {
    let sql = "SELECT DISTINCT a.pid::text, coalesce(a.application_name, ''), coalesce(a.state, ''), \
        coalesce(round(extract(epoch FROM now() - a.xact_start)::numeric, 1)::text, '?'), left(coalesce(a.query, ''), 200), c.relname::text \
        FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_class c ON c.oid = l.relation \
        WHERE l.granted AND c.relname = ANY(string_to_array($1, ',')) AND a.pid <> pg_backend_pid() \
        AND a.xact_start IS NOT NULL AND extract(epoch FROM now() - a.xact_start) >= $2::float8";
    let rows = conn
        .fetch_all(sql, &[Value::from(tables.join(",")), Value::from(min_age_secs)])
        .await
        .map_err(|e| e.context("cannot read pg_locks"))?;
    Ok(rows.iter().map(Blocker::from_row).collect())
}

/// Takes the migration lock (a PostgreSQL advisory lock): one migrator at a time.
///
/// Waiting polls `pg_try_advisory_lock` with a backoff instead of blocking in `pg_advisory_lock`:
/// a blocked statement holds a snapshot, and a `CREATE INDEX CONCURRENTLY` left running by a killed
/// migrator (whose session still holds the lock) waits for every snapshot to end, so the two
/// would wait for each other. While it waits it says who holds the lock and what that session runs.
pub async fn acquire_migration_lock(conn: &mut Conn, no_wait: bool, on_event: &mut dyn FnMut(Event)) -> Result<()> {
    let mut attempt = 0u32;
    let mut last_said = String::new();
    loop {
        let got: Option<bool> = conn
            .fetch_scalar(&format!("SELECT pg_try_advisory_lock({MIGRATION_LOCK_KEY})"), &[])
            .await
            .map_err(|e| e.context("cannot take the migration lock"))?;
        if got == Some(true) {
            return Ok(());
        }
        let holder = conn
            .fetch_optional(
                &format!(
                    "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), \
                     coalesce(round(extract(epoch FROM now() - coalesce(a.query_start, a.backend_start)))::bigint, 0), \
                     left(coalesce(a.query, ''), 200) \
                     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                     WHERE l.locktype = 'advisory' AND l.granted AND l.objid = ({MIGRATION_LOCK_KEY} & 4294967295)::oid \
                     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                &[],
            )
            .await
            .map_err(|e| e.context("cannot read pg_locks"))?;
        let (who, what) = match &holder {
            Some(r) => {
                let app = text(r, 1);
                (
                    format!(
                        "pid {} ({})",
                        r.get::<i32>(0).unwrap_or_default(),
                        if app.is_empty() { "no application_name".into() } else { app }
                    ),
                    format!("{} for {}s: {}", text(r, 2), r.get::<i64>(3).unwrap_or_default(), text(r, 4)),
                )
            }
            None => ("another session".to_string(), "(it may just have released it)".to_string()),
        };
        if no_wait {
            return Err(Error::new(ErrorKind::Busy, format!("another migrator holds the migration lock: {who}, {what}"))
                .hint("wait for it to finish, or run without --no-wait to wait"));
        }
        // Said again only when the holder changes, not on every poll.
        if who != last_said {
            on_event(Event::Message(format!("waiting for the migration lock, held by {who}, {what}")));
            last_said = who;
        }
        attempt += 1;
        tokio::time::sleep(Duration::from_millis((50u64 << attempt.min(5)).min(1000))).await;
    }
}

/// Releases the migration lock.
pub async fn release_migration_lock(conn: &mut Conn) {
    let _ = conn.run(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).await;
}

/// A lock not granted in time (55P03), or a deadlock with the application (40P01, where
/// PostgreSQL cancelled our side): both are retried after a backoff.
pub(crate) fn is_lock_timeout(e: &Error) -> bool {
    matches!(e.code(), Some("55P03") | Some("40P01"))
}

/// The steps of a migration, numbered from 1, as `sqlmigrate --online` prints them.
pub fn online_steps(
    graph: &Graph,
    key: &str,
    applied: impl Fn(&crate::Migration) -> bool,
    allow_unsafe: bool,
) -> Result<Vec<(usize, Step)>> {
    let m = graph.get(key).ok_or_else(|| Error::new(ErrorKind::Graph, format!("{key} is not in the graph")))?;
    let mut state = graph.state_until(|x| applied(x) && x.key() != key)?;
    let steps = plan_migration(&m.app, key, previous(m).as_deref(), &m.operations, &mut state, allow_unsafe)?;
    Ok(if m.atomic { steps } else { outside_transactions(&m.operations, steps) })
}

/// `atomic = false`: each statement of a `run_sql` runs on its own outside any transaction, as a
/// plain migrate runs it (PostgreSQL refuses `CREATE INDEX CONCURRENTLY` and friends inside
/// one), and is recorded finished when it is; the migration's statements are written to run
/// again after a crash (docs/migrations.md), so a rerun repeats the one that was cut off.
fn outside_transactions(ops: &[crate::Operation], steps: Vec<(usize, Step)>) -> Vec<(usize, Step)> {
    let mut out = Vec::new();
    for (i, step) in steps {
        if !matches!(ops.get(i), Some(crate::Operation::RunSql { .. })) || step.batches.is_some() {
            out.push((i, step));
            continue;
        }
        for one in step.sql.iter().flat_map(|s| teapot_schema::sql_lexer::split_statements(s)) {
            let description = format!("Raw SQL, on its own (atomic = false): {}", one.chars().take(60).collect::<String>());
            out.push((i, Step { description, sql: vec![one], transaction: false, guard: Guard::Idempotent, ..step.clone() }));
        }
    }
    out
}

/// The migration of the same app a migration follows (the old version of an expand).
pub(crate) fn previous(m: &crate::Migration) -> Option<String> {
    let prefix = format!("{}/", m.app);
    m.dependencies.iter().filter_map(|d| d.strip_prefix(&prefix)).max().map(str::to_string)
}

/// The step that undoes the expand of a migration (None when it does not expand).
pub fn abort_step(graph: &Graph, key: &str, applied: impl Fn(&crate::Migration) -> bool) -> Result<Option<Step>> {
    let m = graph.get(key).ok_or_else(|| Error::new(ErrorKind::Graph, format!("{key} is not in the graph")))?;
    let state = graph.state_until(|x| applied(x) && x.key() != key)?;
    Ok(expand::plan(&m.app, &m.name, previous(m).as_deref(), &m.operations, &state)?.map(|x| x.abort))
}

/// The progress mark of a migration whose expand is done (step 0 of its progress record).
const EXPANDED: &str = "expanded";

/// Runs a forwards plan online. Each migration's steps run one by one; a finished step is
/// recorded; the migration is recorded as applied when all are done.
pub async fn execute_online(
    conn: &mut Conn,
    source: &Source,
    graph: &Graph,
    steps: &[PlanStep],
    opts: &OnlineOptions,
    on_event: &mut dyn FnMut(Event),
) -> Result<()> {
    if steps.iter().any(|s| s.direction == crate::executor::Direction::Backwards) {
        return Err(Error::new(ErrorKind::Usage, "--online applies migrations; it does not unapply them")
            .hint("run the backwards migration without --online"));
    }
    recorder::ensure_table(conn).await?;
    progress::ensure(conn).await?;
    let mut applied: std::collections::BTreeSet<String> = recorder::applied(conn).await?.into_iter().map(|a| a.key()).collect();
    let mut killed_after: Option<usize> = test_hooks::kill_after_step();
    let mut counter = 0usize;
    let mut watcher = Watcher::new(source, conn).await;
    let result = run_plans(conn, source, graph, steps, opts, on_event, &mut applied, &mut watcher, &mut killed_after, &mut counter).await;
    watcher.close().await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn run_plans(
    conn: &mut Conn,
    source: &Source,
    graph: &Graph,
    steps: &[PlanStep],
    opts: &OnlineOptions,
    on_event: &mut dyn FnMut(Event),
    applied: &mut std::collections::BTreeSet<String>,
    watcher: &mut Watcher,
    killed_after: &mut Option<usize>,
    counter: &mut usize,
) -> Result<()> {
    // Every migration is planned before anything runs: a refused one stops the run before the
    // migrations ahead of it are applied, not halfway through.
    let mut plans = Vec::with_capacity(steps.len());
    let mut will_apply = applied.clone();
    for ps in steps {
        plans.push(online_steps(graph, &ps.key, |x| will_apply.contains(&x.key()), opts.allow_unsafe)?);
        will_apply.insert(ps.key.clone());
    }
    match opts.finish {
        Some(Finish::Abort) => return abort(conn, graph, steps, opts, on_event, applied).await,
        Some(Finish::Complete) => {
            // Only what an earlier run expanded is completed: expanding and completing in one
            // command would break the old code that still runs.
            // (In another app's order the expanded migration need not be the first to apply.)
            let mut expanded = false;
            for ps in steps {
                if let Some(m) = graph.get(&ps.key) {
                    let done = progress::read(conn, &m.app, &m.name).await?;
                    expanded |= done.get(&0).is_some_and(|r| r.progress.as_deref() == Some(EXPANDED));
                }
            }
            if !expanded {
                let first = steps.first().map(|s| s.key.clone()).unwrap_or_default();
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!("no migration is expanded, so --complete has nothing to finish (the next migration to apply is {first})"),
                )
                .hint("run migrate --online first; deploy the new code; then migrate --online --complete"));
            }
        }
        None => {}
    }
    for (ps, plan) in steps.iter().zip(plans) {
        let m = graph.get(&ps.key).ok_or_else(|| Error::new(ErrorKind::Graph, format!("{} is not in the graph", ps.key)))?;
        let start = Instant::now();
        on_event(Event::Start { key: m.key(), direction: ps.direction, operations: m.operations.len() });
        let tables: Vec<String> = plan.iter().flat_map(|(_, s)| step_tables(s)).collect();
        let old = lock_holders(conn, &tables, opts.long_transaction.as_secs_f64()).await?;
        for b in old {
            on_event(Event::Message(format!("warning: a long transaction holds a lock on a table this migration touches: {b}")));
        }
        let done = progress::read(conn, &m.app, &m.name).await?;
        progress::refuse_other_mode(&m.key(), &done, Mode::Online)?;
        let expanded_before = done.get(&0).is_some_and(|r| r.progress.as_deref() == Some(EXPANDED));
        for (n, (op_index, step)) in plan.iter().enumerate() {
            let n = n + 1;
            if step.phase == Phase::Complete && !(expanded_before && opts.finish == Some(Finish::Complete)) {
                // The expand is done: old and new code both work until --complete.
                progress::save(conn, &m.app, &m.name, 0, false, EXPANDED, Mode::Online, "").await?;
                on_event(Event::Message(format!(
                    "  {} is expanded: code built for the migration before it and code built for it both work now. \
                     Deploy the new code, then run teapot migrate --online --complete (or --abort to undo); \
                     the migrations after it wait until then",
                    m.key()
                )));
                return Ok(());
            }
            let rec = StepRecord { app: &m.app, name: &m.name, n, fingerprint: step_fingerprint(step) };
            let (finished, resume_after) = match done.get(&n) {
                Some(r) => {
                    progress::check_unchanged(&m.key(), n, &step.description, r, &rec.fingerprint)?;
                    (r.finished, r.progress.clone())
                }
                None => (false, None),
            };
            if finished {
                on_event(Event::Message(format!("  step {n}/{}: {} (done before)", plan.len(), step.description)));
                continue;
            }
            on_event(Event::Message(format!(
                "  step {n}/{}: {}  [{}, {}]",
                plan.len(),
                step.description,
                step.lock.name(),
                if step.transaction { "in a transaction" } else { "no transaction" }
            )));
            let ctx = format!("{} operation {} step {n} ({})", m.key(), op_index + 1, step.description);
            if let Some(b) = &step.batches {
                run_backfill(conn, &rec, b, resume_after, opts, &ctx, on_event).await?;
            } else if step.transaction {
                run_transactional(conn, watcher, &rec, step, opts, &ctx, on_event).await?;
            } else {
                run_concurrent(conn, source, &rec, step, &ctx, on_event).await?;
            }
            *counter += 1;
            if *killed_after == Some(*counter) {
                *killed_after = None;
                test_hooks::kill_self();
            }
        }
        conn.run("BEGIN").await.map_err(|e| e.context("cannot begin"))?;
        let rec = async {
            recorder::record(conn, &m.app, &m.name, &file_checksum(m)).await?;
            progress::clear(conn, &m.app, &m.name).await?;
            Ok::<_, Error>(())
        }
        .await;
        match rec {
            Ok(()) => {
                conn.run("COMMIT").await.map_err(|e| e.context("cannot commit"))?;
            }
            Err(e) => {
                let _ = conn.run("ROLLBACK").await;
                return Err(e);
            }
        }
        applied.insert(m.key());
        on_event(Event::Done { key: m.key(), elapsed: start.elapsed() });
    }
    Ok(())
}

/// `--abort`: undoes the expand of the first migration to apply, in one transaction (retried when
/// its lock is not granted in time) that also forgets its progress.
async fn abort(
    conn: &mut Conn,
    graph: &Graph,
    steps: &[PlanStep],
    opts: &OnlineOptions,
    on_event: &mut dyn FnMut(Event),
    applied: &std::collections::BTreeSet<String>,
) -> Result<()> {
    // The migration to undo: the first to apply that expands and that a run began.
    let mut target = None;
    for ps in steps {
        let m = graph.get(&ps.key).ok_or_else(|| Error::new(ErrorKind::Graph, format!("{} is not in the graph", ps.key)))?;
        let done = progress::read(conn, &m.app, &m.name).await?;
        if done.is_empty() {
            continue;
        }
        if let Some(step) = abort_step(graph, &ps.key, |x| applied.contains(&x.key()))? {
            target = Some((m, done, step));
            break;
        }
    }
    let Some((m, done, step)) = target else {
        let first = steps.first().map(|s| s.key.clone()).unwrap_or_default();
        return Err(Error::new(
            ErrorKind::Usage,
            format!("no migration is expanded, so --abort has nothing to undo (the next migration to apply is {first})"),
        )
        .hint("--abort undoes what migrate --online expanded and --complete did not finish"));
    };
    let plan = online_steps(graph, &m.key(), |x| applied.contains(&x.key()), opts.allow_unsafe)?;
    // Once the swap ran, the old columns are gone: only --complete can finish it.
    if done.get(&plan.len()).is_some_and(|r| r.finished) {
        return Err(Error::new(ErrorKind::Usage, format!("{} was completed up to its last step: the old shape is gone", m.key()))
            .hint("run migrate --online --complete to record it"));
    }
    on_event(Event::Message(format!("  {}: {}  [{}, in a transaction]", m.key(), step.description, step.lock.name())));
    let mut attempt = 0;
    loop {
        attempt += 1;
        let res = async {
            conn.run("BEGIN").await?;
            conn.run(&format!("SET LOCAL lock_timeout = {}", opts.lock_timeout.as_millis())).await?;
            for s in &step.sql {
                conn.run(s).await?;
            }
            progress::clear(conn, &m.app, &m.name).await?;
            conn.run("COMMIT").await?;
            Ok::<(), Error>(())
        }
        .await;
        match res {
            Ok(()) => break,
            Err(e) => {
                let _ = conn.run("ROLLBACK").await;
                if !is_lock_timeout(&e) || attempt >= opts.lock_attempts {
                    return Err(step_failed(&format!("{} abort", m.key()), e));
                }
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
    }
    on_event(Event::Message(format!("  {} aborted: the schema is as before it, with every row written meanwhile", m.key())));
    Ok(())
}

pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = 200u64.saturating_mul(1 << attempt.min(6));
    let capped = base.min(10_000);
    // Jitter from the clock's nanoseconds: enough to keep two migrators from retrying in step.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0) as u64;
    Duration::from_millis(capped / 2 + nanos % (capped / 2 + 1))
}

#[allow(clippy::too_many_arguments)]
async fn run_transactional(
    conn: &mut Conn,
    watcher: &mut Watcher,
    rec: &StepRecord<'_>,
    step: &Step,
    opts: &OnlineOptions,
    ctx: &str,
    on_event: &mut dyn FnMut(Event),
) -> Result<()> {
    let timeout_ms = if step.lock.is_strong() { opts.lock_timeout.as_millis() } else { 0 };
    // Quick steps (those holding a strong lock) are also cut if they run long.
    let statement_ms = if step.lock.is_strong() { opts.statement_timeout.as_millis() } else { 0 };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let work = async {
            conn.run("BEGIN").await?;
            conn.run(&format!("SET LOCAL lock_timeout = {timeout_ms}")).await?;
            conn.run(&format!("SET LOCAL statement_timeout = {statement_ms}")).await?;
            for s in &step.sql {
                conn.run(s).await?;
            }
            rec.save(conn, true, "").await?;
            conn.run("COMMIT").await?;
            Ok::<(), Error>(())
        };
        // While the step waits for its lock, the sessions in its way are looked up as they are.
        let (res, seen) = watcher.watch(work).await;
        match res {
            Ok(()) => return Ok(()),
            Err(e) => {
                let _ = conn.run("ROLLBACK").await;
                if !is_lock_timeout(&e) {
                    return Err(step_failed(ctx, e));
                }
                let tables = step_tables(step);
                let blockers = if seen.is_empty() { lock_holders(conn, &tables, 0.0).await.unwrap_or_default() } else { seen };
                let named: Vec<String> = blockers.iter().map(|b| b.to_string()).collect();
                if attempt >= opts.lock_attempts {
                    return Err(Error::new(
                        ErrorKind::LockTimeout,
                        format!(
                            "{ctx}: the {} lock on {} was not granted within {:?}, {attempt} times; blocked by:\n    {}",
                            step.lock.name(),
                            tables.join(" and "),
                            opts.lock_timeout,
                            if named.is_empty() {
                                "(the blocker had finished by the time it was looked up)".to_string()
                            } else {
                                named.join("\n    ")
                            }
                        ),
                    )
                    .hint("end or wait out the blocking transactions, then run migrate --online again: finished steps are kept"));
                }
                let wait = backoff(attempt);
                on_event(Event::Message(format!(
                    "    lock on {} not granted within {:?} (attempt {attempt}/{}); retrying in {:?}; blocked by: {}",
                    tables.join(" and "),
                    opts.lock_timeout,
                    opts.lock_attempts,
                    wait,
                    if named.is_empty() { "(already gone)".to_string() } else { named.join("; ") }
                )));
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// A second connection that names, while a step waits for a lock, the sessions blocking it
/// (`pg_blocking_pids`, `pg_stat_activity`).
pub(crate) struct Watcher {
    conn: Option<Conn>,
    pid: i32,
}

impl Watcher {
    pub(crate) async fn new(source: &Source, migrator: &mut Conn) -> Watcher {
        let pid = backend_pid(migrator).await.unwrap_or_default();
        Watcher { conn: source.open().await.ok(), pid }
    }

    async fn blockers(&mut self) -> Vec<Blocker> {
        let Some(c) = self.conn.as_mut() else { return Vec::new() };
        let sql = "SELECT a.pid::text, coalesce(a.application_name, ''), coalesce(a.state, ''), \
            coalesce(round(extract(epoch FROM now() - a.xact_start)::numeric, 1)::text, '?'), left(coalesce(a.query, ''), 200), \
            coalesce((SELECT string_agg(DISTINCT c.relname::text, ',') FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                      WHERE l.pid = a.pid AND l.granted AND c.relkind = 'r'), '') \
            FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids($1))";
        match c.fetch_all(sql, &[Value::from(self.pid)]).await {
            Ok(rows) => rows.iter().map(Blocker::from_row).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Runs `work`, polling for blockers while it runs; returns its result and the blockers seen.
    pub(crate) async fn watch<F: std::future::Future<Output = Result<()>>>(&mut self, work: F) -> (Result<()>, Vec<Blocker>) {
        tokio::pin!(work);
        let mut seen = Vec::new();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.tick().await;
        loop {
            tokio::select! {
                r = &mut work => return (r, seen),
                _ = tick.tick() => {
                    let b = self.blockers().await;
                    if !b.is_empty() {
                        seen = b;
                    }
                }
            }
        }
    }

    pub(crate) async fn close(self) {
        if let Some(c) = self.conn {
            c.close().await;
        }
    }
}

async fn backend_pid(conn: &mut Conn) -> Result<i32> {
    Ok(conn.fetch_scalar::<i32>("SELECT pg_backend_pid()", &[]).await?.unwrap_or_default())
}

/// Where a step's progress is recorded.
struct StepRecord<'a> {
    app: &'a str,
    name: &'a str,
    n: usize,
    fingerprint: String,
}

impl StepRecord<'_> {
    async fn save(&self, conn: &mut Conn, finished: bool, progress: &str) -> Result<()> {
        progress::save(conn, self.app, self.name, self.n, finished, progress, Mode::Online, &self.fingerprint).await
    }
}

/// What a step runs, as its progress record remembers it.
fn step_fingerprint(step: &Step) -> String {
    let batches = step.batches.as_ref().map(|b| b.batch_sql(true)).unwrap_or_default();
    progress::fingerprint(&[&step.description, &step.sql.join("\n"), &batches])
}

/// The tables a step locks, whose holders can block it.
fn step_tables(step: &Step) -> Vec<String> {
    std::iter::once(step.table.clone()).chain(step.also_locks.clone()).filter(|t| !t.is_empty()).collect()
}

fn step_failed(ctx: &str, e: Error) -> Error {
    let msg = e.database_message();
    e.with_kind(ErrorKind::MigrationFailed)
        .with_message(format!("{ctx} failed: {msg}"))
        .hint("the steps finished before it are kept; fix the cause and run migrate --online again to resume")
}

#[allow(clippy::too_many_arguments)]
async fn run_concurrent(
    conn: &mut Conn,
    source: &Source,
    rec: &StepRecord<'_>,
    step: &Step,
    ctx: &str,
    on_event: &mut dyn FnMut(Event),
) -> Result<()> {
    // A CONCURRENTLY build waits for old snapshots by design: no short lock_timeout here.
    conn.run("SET lock_timeout = 0").await.map_err(|e| step_failed(ctx, e))?;
    if let Guard::Index(index) = &step.guard {
        let valid: Option<bool> = conn
            .fetch_scalar(
                "SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid \
                 WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace",
                &[Value::from(index)],
            )
            .await
            .map_err(|e| step_failed(ctx, e))?;
        match valid {
            Some(true) => {
                on_event(Event::Message(format!("    index {index} exists and is valid: kept")));
                return mark_done(conn, rec, ctx).await;
            }
            Some(false) => {
                on_event(Event::Message(format!("    index {index} was left INVALID by an interrupted build: dropped and built again")));
                conn.run(&format!("DROP INDEX CONCURRENTLY IF EXISTS {}", quote(index))).await.map_err(|e| step_failed(ctx, e))?;
            }
            None => {}
        }
    }
    let pid = backend_pid(conn).await.map_err(|e| step_failed(ctx, e))?;
    let mut watcher = source.open().await.ok();
    // The watcher's own progress queries are transactions the build may wait for, for a moment:
    // they are not what a user needs named.
    let watcher_pid = match watcher.as_mut() {
        Some(w) => backend_pid(w).await.unwrap_or_default() as u64,
        None => 0,
    };
    for s in &step.sql {
        let build = conn.run(s);
        tokio::pin!(build);
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut last_locker = 0u64;
        let res = loop {
            tokio::select! {
                r = &mut build => break r,
                _ = tick.tick() => {
                    if let Some(w) = watcher.as_mut() {
                        if let Ok(Some(r)) = w.fetch_optional(
                            "SELECT p.phase, p.blocks_done, p.blocks_total, p.current_locker_pid, \
                             coalesce(a.application_name, ''), coalesce(a.state, ''), \
                             coalesce(round(extract(epoch FROM now() - a.xact_start)::numeric, 1)::text, '?'), left(coalesce(a.query, ''), 200) \
                             FROM pg_stat_progress_create_index p LEFT JOIN pg_stat_activity a ON a.pid = p.current_locker_pid AND p.current_locker_pid <> 0 \
                             WHERE p.pid = $1",
                            &[Value::from(pid)],
                        ).await {
                            let count = |i: usize| r.get::<Option<i64>>(i).ok().flatten().unwrap_or(0).max(0) as u64;
                            // While the build waits for a transaction (writers before the build, old
                            // snapshots after it), that transaction is named, once.
                            let locker = count(3);
                            if locker != 0 && locker != last_locker && locker != watcher_pid {
                                last_locker = locker;
                                on_event(Event::Message(format!(
                                    "    {}: waiting for pid {locker} ({}) {}, transaction open {}s: {}",
                                    text(&r, 0),
                                    match text(&r, 4) { a if a.is_empty() => "no application_name".to_string(), a => a },
                                    text(&r, 5),
                                    text(&r, 6),
                                    text(&r, 7)
                                )));
                            }
                            on_event(Event::Progress { phase: text(&r, 0), done: count(1), total: count(2) });
                        }
                    }
                }
            }
        };
        res.map_err(|e| step_failed(ctx, e))?;
    }
    if let Some(w) = watcher {
        w.close().await;
    }
    mark_done(conn, rec, ctx).await
}

async fn mark_done(conn: &mut Conn, rec: &StepRecord<'_>, ctx: &str) -> Result<()> {
    rec.save(conn, true, "").await.map_err(|e| step_failed(ctx, e))?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn run_backfill(
    conn: &mut Conn,
    rec: &StepRecord<'_>,
    b: &Update,
    resume_after: Option<String>,
    opts: &OnlineOptions,
    ctx: &str,
    on_event: &mut dyn FnMut(Event),
) -> Result<()> {
    let total: u64 = conn.fetch_scalar::<i64>(&b.count_sql(), &[]).await.map_err(|e| step_failed(ctx, e))?.unwrap_or(0).max(0) as u64;
    let mut last = resume_after.filter(|p| !p.is_empty());
    if let Some(l) = &last {
        on_event(Event::Message(format!("    resuming after key {l}")));
    }
    let mut done_rows = 0u64;
    loop {
        let sql = b.batch_sql(last.is_some());
        let mut attempt = 0;
        let (max_key, count) = loop {
            attempt += 1;
            let res: Result<(Option<String>, u64)> = async {
                conn.run("BEGIN").await?;
                conn.run(&format!("SET LOCAL lock_timeout = {}", opts.lock_timeout.as_millis())).await?;
                let params: Vec<Value> = last.iter().map(Value::from).collect();
                let row = conn.fetch_optional(&sql, &params).await?;
                let (max_key, count) = match row {
                    Some(r) => (r.get::<Option<String>>(0)?, r.get::<i64>(1)?.max(0) as u64),
                    None => (None, 0),
                };
                let saved = max_key.clone().or_else(|| last.clone()).unwrap_or_default();
                rec.save(conn, count == 0, &saved).await?;
                conn.run("COMMIT").await?;
                Ok((max_key, count))
            }
            .await;
            match res {
                Ok(v) => break v,
                Err(e) => {
                    let _ = conn.run("ROLLBACK").await;
                    if !is_lock_timeout(&e) || attempt >= opts.lock_attempts {
                        return Err(step_failed(ctx, e));
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        };
        if count == 0 {
            return Ok(());
        }
        done_rows += count;
        last = max_key;
        on_event(Event::Progress { phase: "backfill".into(), done: done_rows, total });
        if b.pause_ms > 0 {
            tokio::time::sleep(Duration::from_millis(b.pause_ms)).await;
        }
    }
}

/// Hooks for the crash-recovery tests: compiled only with the `test-hooks` feature, which only the
/// test build turns on, so a release binary never reads these variables.
mod test_hooks {
    /// `TEAPOT_TEST_KILL_AFTER_STEP=N`: the process dies as SIGKILL kills it after the N-th step.
    #[cfg(feature = "test-hooks")]
    pub(super) fn kill_after_step() -> Option<usize> {
        std::env::var("TEAPOT_TEST_KILL_AFTER_STEP").ok().and_then(|v| v.parse().ok())
    }

    #[cfg(not(feature = "test-hooks"))]
    pub(super) fn kill_after_step() -> Option<usize> {
        None
    }

    /// Ends the process as SIGKILL ends it, with no cleanup.
    pub(super) fn kill_self() {
        let pid = std::process::id().to_string();
        let _ = std::process::Command::new("kill").args(["-9", &pid]).status();
        std::process::abort();
    }
}
