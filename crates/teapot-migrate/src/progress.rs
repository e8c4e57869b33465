//! The progress record (`teapot_online_progress`, PostgreSQL): the finished steps of a migration
//! that is applied step by step rather than in one transaction — by `migrate --online`, or by a
//! plain migrate when the migration is not atomic (`atomic = false`). Both modes read it before
//! they run anything, so neither ever runs again what the other (or an interrupted run) finished.
//!
//! Each step is recorded with the mode that ran it and a fingerprint of what it ran: a migration
//! edited after it was partly applied is caught instead of being resumed by step number.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};
use teapot_core::{Connection as Conn, Dialect, Error, ErrorKind, Result, Value};

use crate::graph::Graph;

/// Which mode recorded a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `migrate --online`: the online planner's steps.
    Online,
    /// A plain migrate of a non-atomic migration: one statement per step.
    Plain,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Online => "online",
            Mode::Plain => "plain",
        }
    }

    /// The command that finishes a migration this mode began.
    pub fn command(self) -> &'static str {
        match self {
            Mode::Online => "teapot migrate --online",
            Mode::Plain => "teapot migrate",
        }
    }
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Finished (a backfill in progress is recorded unfinished, with its last key).
    pub finished: bool,
    /// A backfill's last key done.
    pub progress: Option<String>,
    /// The mode that ran it.
    pub mode: Mode,
    /// What it ran (None for records older than fingerprints).
    pub fingerprint: Option<String>,
}

/// A short fingerprint of what a step runs.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Creates the table (or adds the columns a table made by an older teapot lacks).
pub async fn ensure(conn: &mut Conn) -> Result<()> {
    conn.run(
        "CREATE TABLE IF NOT EXISTS \"teapot_online_progress\" (\"app\" varchar(255) NOT NULL, \"name\" varchar(255) NOT NULL, \
         \"step\" integer NOT NULL, \"finished\" boolean NOT NULL, \"progress\" text NULL, PRIMARY KEY (\"app\", \"name\", \"step\")); \
         ALTER TABLE \"teapot_online_progress\" ADD COLUMN IF NOT EXISTS \"mode\" varchar(16) NOT NULL DEFAULT 'online'; \
         ALTER TABLE \"teapot_online_progress\" ADD COLUMN IF NOT EXISTS \"fingerprint\" varchar(64) NULL",
    )
    .await
    .map_err(|e| e.context("cannot create teapot_online_progress"))?;
    Ok(())
}

/// Whether the table exists (brought up to date when it is one an older teapot made: such a table
/// lacks the mode and fingerprint columns; an up-to-date one is only read, never altered).
async fn exists(conn: &mut Conn) -> Result<bool> {
    if conn.dialect() != Dialect::Postgres {
        return Ok(false);
    }
    let row = conn
        .fetch_optional(
            "SELECT to_regclass('teapot_online_progress') IS NOT NULL, \
             EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('teapot_online_progress') AND attname = 'fingerprint')",
            &[],
        )
        .await
        .map_err(|e| e.context("cannot read the catalog"))?;
    let (found, current) = match row {
        Some(r) => (r.get::<bool>(0)?, r.get::<bool>(1)?),
        None => (false, false),
    };
    if found && !current {
        ensure(conn).await?;
    }
    Ok(found)
}

/// The recorded steps of a migration, by step number (from 1).
pub async fn read(conn: &mut Conn, app: &str, name: &str) -> Result<BTreeMap<usize, Recorded>> {
    if !exists(conn).await? {
        return Ok(BTreeMap::new());
    }
    let rows = conn
        .fetch_all(
            "SELECT step, finished, progress, mode, fingerprint FROM teapot_online_progress WHERE app = $1 AND name = $2",
            &[Value::from(app), Value::from(name)],
        )
        .await
        .map_err(|e| e.context("cannot read teapot_online_progress"))?;
    rows.iter()
        .map(|r| {
            let mode = if r.get::<String>(3)? == "plain" { Mode::Plain } else { Mode::Online };
            Ok((r.get::<i32>(0)? as usize, Recorded { finished: r.get(1)?, progress: r.get(2)?, mode, fingerprint: r.get(4)? }))
        })
        .collect::<Result<_>>()
        .map_err(|e| e.context("cannot read teapot_online_progress"))
}

/// Records a step (or a backfill's progress within it).
#[allow(clippy::too_many_arguments)]
pub async fn save(
    conn: &mut Conn,
    app: &str,
    name: &str,
    step: usize,
    finished: bool,
    progress: &str,
    mode: Mode,
    fingerprint: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO teapot_online_progress (app, name, step, finished, progress, mode, fingerprint) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (app, name, step) DO UPDATE SET finished = EXCLUDED.finished, progress = EXCLUDED.progress, \
         mode = EXCLUDED.mode, fingerprint = EXCLUDED.fingerprint",
        &[
            Value::from(app),
            Value::from(name),
            Value::I32(step as i32),
            Value::Bool(finished),
            Value::from(progress),
            Value::from(mode.as_str()),
            Value::from(fingerprint),
        ],
    )
    .await?;
    Ok(())
}

/// Records several finished steps in one statement (a transaction's worth of a migration run in
/// parts: one row per statement, written with one round trip).
pub async fn save_finished(conn: &mut Conn, app: &str, name: &str, steps: &[(usize, String)], mode: Mode) -> Result<()> {
    if steps.is_empty() {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO teapot_online_progress (app, name, step, finished, progress, mode, fingerprint) \
         SELECT $1, $2, u.step, true, '', $3, u.fingerprint FROM unnest($4::int[], $5::text[]) AS u(step, fingerprint) \
         ON CONFLICT (app, name, step) DO UPDATE SET finished = true, progress = '', mode = EXCLUDED.mode, fingerprint = EXCLUDED.fingerprint",
        &[
            Value::from(app),
            Value::from(name),
            Value::from(mode.as_str()),
            Value::I32List(steps.iter().map(|(n, _)| *n as i32).collect()),
            Value::StringList(steps.iter().map(|(_, f)| f.clone()).collect()),
        ],
    )
    .await?;
    Ok(())
}

/// Forgets a migration's steps (it is recorded as applied in the same transaction).
pub async fn clear(conn: &mut Conn, app: &str, name: &str) -> Result<()> {
    if !exists(conn).await? {
        return Ok(());
    }
    conn.execute("DELETE FROM teapot_online_progress WHERE app = $1 AND name = $2", &[Value::from(app), Value::from(name)])
        .await
        .map_err(|e| e.context("cannot clear teapot_online_progress"))?;
    Ok(())
}

/// Refuses to resume step `step` when what it ran is not what the migration plans there now.
pub fn check_unchanged(key: &str, step: usize, description: &str, recorded: &Recorded, planned: &str) -> Result<()> {
    match &recorded.fingerprint {
        Some(f) if f != planned => Err(Error::new(
            ErrorKind::MigrationFile,
            format!(
                "{key} changed after it was partly applied: step {step} ({description}) is not what ran as step {step} before; \
                 resuming by step number would skip or repeat work"
            ),
        )
        .hint(format!(
            "restore the migration file as it was when it was partly applied and finish it ({}); put the change in a new migration",
            recorded.mode.command()
        ))),
        _ => Ok(()),
    }
}

/// How far a run got with a migration it began and did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partial {
    /// `app/name`.
    pub key: String,
    /// The mode that began it.
    pub mode: Mode,
    /// Steps finished.
    pub done: usize,
    /// Steps in all (None when it cannot be planned any more).
    pub total: Option<usize>,
    /// Its expand is done (expand / contract): old and new code both work until it is completed.
    pub expanded: bool,
}

impl std::fmt::Display for Partial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let by = match self.mode {
            Mode::Online => "migrate --online",
            Mode::Plain => "a plain migrate, statement by statement",
        };
        if self.expanded {
            write!(f, "expanded: old and new code both work; ")?;
        }
        match self.total {
            Some(t) => write!(f, "{} of {t} steps done by {by}", self.done),
            None => write!(f, "{} steps done by {by}", self.done),
        }
    }
}

/// The migrations begun and not finished, with how far each got. `total` counts a migration's
/// steps in the mode that began it.
pub async fn partial(
    conn: &mut Conn,
    graph: &Graph,
    applied: &BTreeSet<String>,
    total: impl Fn(&str, Mode) -> Option<usize>,
) -> Result<BTreeMap<String, Partial>> {
    if !exists(conn).await? {
        return Ok(BTreeMap::new());
    }
    let rows = conn
        .fetch_all(
            "SELECT app, name, count(*) FILTER (WHERE finished AND step > 0), bool_or(mode = 'plain'), \
             bool_or(step = 0 AND progress = 'expanded') FROM teapot_online_progress GROUP BY app, name",
            &[],
        )
        .await
        .map_err(|e| e.context("cannot read teapot_online_progress"))?;
    let mut out = BTreeMap::new();
    for r in rows {
        let key = format!("{}/{}", r.get::<String>(0)?, r.get::<String>(1)?);
        if applied.contains(&key) || graph.get(&key).is_none() {
            continue;
        }
        let mode = if r.get::<bool>(3)? { Mode::Plain } else { Mode::Online };
        let expanded = r.get::<bool>(4)?;
        out.insert(key.clone(), Partial { total: total(&key, mode), key, mode, done: r.get::<i64>(2)?.max(0) as usize, expanded });
    }
    Ok(out)
}

/// Refuses to go on with a migration whose recorded steps another mode ran (`mode` is the mode
/// about to run it).
pub fn refuse_other_mode(key: &str, done: &BTreeMap<usize, Recorded>, mode: Mode) -> Result<()> {
    match done.values().find(|r| r.mode != mode) {
        Some(other) => {
            let finished = done.values().filter(|r| r.finished).count();
            Err(begun_in_another_mode(&Partial { key: key.to_string(), mode: other.mode, done: finished, total: None, expanded: false }))
        }
        None => Ok(()),
    }
}

/// The error for running a migration in the mode that did not begin it.
pub fn begun_in_another_mode(p: &Partial) -> Error {
    if p.expanded {
        return Error::new(
            ErrorKind::PartiallyApplied,
            format!("{} is expanded by migrate --online ({p}); any other way would run it again from the start", p.key),
        )
        .hint("once the new code is deployed, finish it with teapot migrate --online --complete; or undo it with teapot migrate --online --abort");
    }
    Error::new(
        ErrorKind::PartiallyApplied,
        format!("{} was partly applied ({p}); running it the other way would run it again from the start", p.key),
    )
    .hint(format!("finish it the way it began: {} (finished steps are not run again)", p.mode.command()))
}
