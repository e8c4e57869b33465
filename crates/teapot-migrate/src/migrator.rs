//! [`Migrator`]: the one way migrations get applied. It owns the sequence every caller needs —
//! connect, take the migration lock, read what is applied, plan, run (plainly or online), release —
//! and reports progress as [`Event`]s. The `teapot migrate` command and a program of yours call
//! the same code:
//!
//! ```no_run
//! # async fn demo() -> teapot_core::Result<()> {
//! let db = teapot_core::Db::connect("sqlite://app.db").await?;
//! let ran = teapot_migrate::Migrator::new(&db).run().await?;   // ./teapot.toml's project
//! println!("{} migration(s) applied", ran.len());
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use teapot_core::{Connection, Db, Dialect, Error, ErrorKind, Result};

use crate::config::Config;
use crate::executor::{self, file_checksum, plan, Event, LockOptions, PlanStep, Target};
use crate::fake_initial;
use crate::graph::Graph;
use crate::loader::load_graph;
use crate::online_executor::{self, OnlineOptions};
use crate::progress::{self, Mode};
use crate::recorder;

/// The steps of a migration's online plan (for "2 of 5 steps done").
pub fn online_step_count(graph: &Graph, applied: &std::collections::BTreeSet<String>, key: &str, mode: Mode) -> Option<usize> {
    (mode == Mode::Online).then(|| online_executor::online_steps(graph, key, |m| applied.contains(&m.key()), true).ok().map(|s| s.len()))?
}

/// Where the migrator's connections come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Opened from a URL.
    Url(String),
    /// Taken out of an application's pool.
    Db(Db),
}

impl Source {
    /// A connection of its own (the migrator's, or a watcher's beside it).
    pub async fn open(&self) -> Result<Connection> {
        match self {
            Source::Url(url) => Connection::open(url).await,
            Source::Db(db) => {
                let mut conn = db.acquire().await?;
                // The migrator works on the tables themselves, never on a version's views.
                if conn.dialect() == Dialect::Postgres {
                    conn.run("RESET search_path").await.map_err(|e| e.context("cannot reset search_path"))?;
                }
                Ok(conn)
            }
        }
    }
}

#[derive(Debug)]
enum Project {
    ConfigFile(PathBuf),
    Config(Box<Config>),
    Graph(Graph),
}

/// Applies a project's migrations to one database.
pub struct Migrator<'a> {
    source: Source,
    project: Project,
    online: Option<OnlineOptions>,
    locks: LockOptions,
    fake: bool,
    fake_initial: bool,
    no_wait: bool,
    target: Target,
    on_event: Box<dyn FnMut(Event) + Send + 'a>,
}

impl std::fmt::Debug for Migrator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("source", &self.source)
            .field("project", &self.project)
            .field("online", &self.online)
            .field("fake", &self.fake)
            .field("fake_initial", &self.fake_initial)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl<'a> Migrator<'a> {
    /// A migrator on an application's database (it takes one connection out of the pool while it
    /// runs), for the project that `./teapot.toml` describes.
    pub fn new(db: &Db) -> Migrator<'a> {
        Migrator::from_source(Source::Db(db.clone()))
    }

    /// A migrator that opens its own connections to `url`.
    pub fn connect(url: impl Into<String>) -> Migrator<'a> {
        Migrator::from_source(Source::Url(url.into()))
    }

    fn from_source(source: Source) -> Migrator<'a> {
        Migrator {
            source,
            project: Project::ConfigFile(PathBuf::from("teapot.toml")),
            online: None,
            locks: LockOptions::default(),
            fake: false,
            fake_initial: false,
            no_wait: false,
            target: Target::default(),
            on_event: Box::new(|_| {}),
        }
    }

    /// The project described by another teapot.toml.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.project = Project::ConfigFile(path.into());
        self
    }

    /// The project described by a loaded configuration.
    pub fn config(mut self, config: Config) -> Self {
        self.project = Project::Config(Box::new(config));
        self
    }

    /// These migrations (already loaded), instead of reading a project's files.
    pub fn graph(mut self, graph: Graph) -> Self {
        self.project = Project::Graph(graph);
        self
    }

    /// PostgreSQL: apply with non-blocking steps (`migrate --online`), with the default options.
    pub fn online(mut self, on: bool) -> Self {
        self.online = on.then(|| self.online.take().unwrap_or_default());
        self
    }

    /// Apply online, with these options.
    pub fn online_options(mut self, options: OnlineOptions) -> Self {
        self.online = Some(options);
        self
    }

    /// A plain migrate's lock_timeout and attempts (PostgreSQL; `--online` has its own options).
    pub fn locks(mut self, locks: LockOptions) -> Self {
        self.locks = locks;
        self
    }

    /// Record migrations as applied (or unapplied) without running them.
    pub fn fake(mut self, fake: bool) -> Self {
        self.fake = fake;
        self
    }

    /// Record an app's initial migration as applied without running it when every table it
    /// creates exists already and matches what it would create (Django's `--fake-initial`); a
    /// mismatch is an error listing the differences, and nothing is recorded.
    pub fn fake_initial(mut self, fake_initial: bool) -> Self {
        self.fake_initial = fake_initial;
        self
    }

    /// Fail at once if another migrator holds the lock, instead of waiting for it.
    pub fn no_wait(mut self, no_wait: bool) -> Self {
        self.no_wait = no_wait;
        self
    }

    /// Migrate one app, or to one migration (forwards or backwards); everything when not set.
    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// Receives progress as it happens (migrations started and done, steps, waits, progress bars).
    pub fn on_event(mut self, f: impl FnMut(Event) + Send + 'a) -> Self {
        self.on_event = Box::new(f);
        self
    }

    fn load(&self) -> Result<Graph> {
        match &self.project {
            Project::ConfigFile(path) => load_graph(&Config::load(Some(path.as_path()))?),
            Project::Config(config) => load_graph(config),
            Project::Graph(graph) => Ok(graph.clone()),
        }
    }

    /// What `run` would do now, without taking the lock or changing anything.
    pub async fn plan(&self) -> Result<Vec<PlanStep>> {
        let graph = self.load()?;
        let mut conn = self.source.open().await?;
        let applied = recorder::applied(&mut conn).await;
        conn.close().await;
        let applied = applied?.into_iter().map(|a| a.key()).collect();
        plan(&graph, &applied, &self.target)
    }

    /// Takes the migration lock, plans from what is applied once the lock is held (so nothing is
    /// ever applied twice), runs the plan, and releases the lock, also on failure. Returns the
    /// steps that ran.
    pub async fn run(mut self) -> Result<Vec<PlanStep>> {
        let graph = self.load()?;
        let mut conn = self.source.open().await?;
        let pg = conn.dialect() == Dialect::Postgres;
        if self.online.is_some() && !pg {
            conn.close().await;
            return Err(Error::new(ErrorKind::Usage, "--online is for PostgreSQL; SQLite has no concurrent schema changes")
                .hint("run migrate without --online on SQLite"));
        }
        if pg {
            if let Err(e) = online_executor::acquire_migration_lock(&mut conn, self.no_wait, &mut *self.on_event).await {
                conn.close().await;
                return Err(e);
            }
        }
        // SQLite: an OS lock on a file beside the database, held for the run (released however the
        // process ends). None for an in-memory database, which nobody else can reach.
        let _sqlite_lock = match conn.sqlite_file().map(Path::to_path_buf) {
            Some(db) => match lock_sqlite(&db, self.no_wait, &mut *self.on_event).await {
                Ok(lock) => Some(lock),
                Err(e) => {
                    conn.close().await;
                    return Err(e);
                }
            },
            None => None,
        };
        let result = self.run_locked(&mut conn, &graph).await;
        if pg {
            online_executor::release_migration_lock(&mut conn).await;
        }
        conn.close().await;
        result
    }

    async fn run_locked(&mut self, conn: &mut Connection, graph: &Graph) -> Result<Vec<PlanStep>> {
        let rows = recorder::applied(conn).await?;
        // The state of the database is the replay of the files as they were applied: an applied
        // file edited since makes every plan on top of it wrong.
        for a in &rows {
            if let Some(m) = graph.get(&a.key()) {
                if file_checksum(m) != a.checksum {
                    let file = m.path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| a.key());
                    return Err(Error::new(
                        ErrorKind::MigrationFile,
                        format!("{file} differs from the file applied to the database on {} (edited-applied-migration)", a.applied_at),
                    )
                    .hint("restore the file as it was applied (e.g. from version control), and put the change in a new migration; `teapot check` reports the same finding"));
                }
            }
        }
        let applied = rows.into_iter().map(|a| a.key()).collect();
        let steps = plan(graph, &applied, &self.target)?;
        // What one mode began, only that mode finishes: the other would start it over. A fake run
        // would record as applied what never finished.
        let partial = progress::partial(conn, graph, &applied, |key, mode| online_step_count(graph, &applied, key, mode)).await?;
        let this_mode = if self.online.is_some() { Mode::Online } else { Mode::Plain };
        if let Some(p) = steps.iter().filter_map(|s| partial.get(&s.key)).find(|p| self.fake || p.mode != this_mode) {
            return Err(progress::begun_in_another_mode(p));
        }
        (self.on_event)(Event::Planned { migrations: steps.len() });
        if steps.is_empty() {
            return Ok(steps);
        }
        let soft = if self.fake_initial && !self.fake {
            fake_initial::soft_applied(conn, graph, &applied, &steps).await?
        } else {
            Default::default()
        };
        // Runs of steps alike (recorded only, or run), in plan order.
        let mut at = 0;
        while at < steps.len() {
            let faked = soft.contains(&steps[at].key);
            let len = steps[at..].iter().take_while(|s| soft.contains(&s.key) == faked).count();
            let run = &steps[at..at + len];
            at += len;
            if faked {
                for s in run {
                    (self.on_event)(Event::Message(format!(
                        "  {}: its tables exist and match it: recorded as applied without running (--fake-initial)",
                        s.key
                    )));
                }
                executor::execute_with(conn, Some(&self.source), graph, run, true, None, &mut *self.on_event).await?;
            } else {
                self.execute(conn, graph, run).await?;
            }
        }
        Ok(steps)
    }

    async fn execute(&mut self, conn: &mut Connection, graph: &Graph, steps: &[PlanStep]) -> Result<()> {
        match &self.online {
            Some(options) => {
                if self.fake {
                    return Err(Error::new(ErrorKind::Usage, "--fake records migrations without running them; --online runs them")
                        .hint("use one or the other"));
                }
                online_executor::execute_online(conn, &self.source, graph, steps, options, &mut *self.on_event).await
            }
            None => executor::execute_with(conn, Some(&self.source), graph, steps, self.fake, Some(&self.locks), &mut *self.on_event).await,
        }
    }
}

/// Takes the migration lock of a SQLite database: an exclusive OS lock on `<database>.teapot-lock`.
/// Waits (saying so once) unless `no_wait`.
async fn lock_sqlite(db: &Path, no_wait: bool, on_event: &mut (dyn FnMut(Event) + Send + '_)) -> Result<std::fs::File> {
    let mut name = db.as_os_str().to_owned();
    name.push(".teapot-lock");
    let path = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot open the migration lock file {}: {e}", path.display())))?;
    let mut said = false;
    let mut attempt = 0u32;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                if no_wait {
                    return Err(Error::new(
                        ErrorKind::Busy,
                        format!("another migrator holds the migration lock of {} (the lock on {})", db.display(), path.display()),
                    )
                    .hint("wait for it to finish, or run without --no-wait to wait"));
                }
                if !said {
                    on_event(Event::Message(format!("waiting for the migration lock: another migrator runs on {}", db.display())));
                    said = true;
                }
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis((50u64 << attempt.min(5)).min(1000))).await;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::new(ErrorKind::Io, format!("cannot lock {}: {e}", path.display())));
            }
        }
    }
}
