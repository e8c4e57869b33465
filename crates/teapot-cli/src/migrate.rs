//! `teapot migrate`, `teapot sqlmigrate`, `teapot showmigrations`.

use std::collections::BTreeSet;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use teapot_core::{redact, Connection, Dialect, Error, ErrorKind, Result};
use teapot_migrate::backend::online::Phase;
use teapot_migrate::config::Config;
use teapot_migrate::executor::{self, ancestors, find_migration, Direction, Event, LockOptions, Target};
use teapot_migrate::graph::Graph;
use teapot_migrate::loader::load_graph;
use teapot_migrate::migrator::online_step_count;
use teapot_migrate::online_executor::{self as online, Finish, OnlineOptions};
use teapot_migrate::{progress, recorder, Migrator};

use super::verbosity;

/// Apply (or unapply) migrations.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// Only this app (and what it depends on).
    #[arg(value_name = "APP")]
    app: Option<String>,
    /// Migrate the app forwards or backwards to this migration (a prefix is enough), or `zero`.
    #[arg(value_name = "MIGRATION", requires = "app")]
    name: Option<String>,
    /// Print the plan; change nothing.
    #[arg(long)]
    plan: bool,
    /// Record the migrations as applied (or unapplied) without running them.
    #[arg(long)]
    fake: bool,
    /// Record an app's initial migration as applied without running it when all the tables it
    /// creates exist and match it (a database made before its migrations: see inspectdb); a
    /// mismatch is an error listing the differences.
    #[arg(long, conflicts_with = "fake")]
    fake_initial: bool,
    /// The database (overrides DATABASE_URL and teapot.toml).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// PostgreSQL: apply with non-blocking steps (CONCURRENTLY, NOT VALID + VALIDATE, batched
    /// backfills), recording each step so a rerun resumes. The default when teapot.toml says
    /// `[migrate] online = true`.
    #[arg(long)]
    online: bool,
    /// Apply plainly (each migration in one transaction) although teapot.toml says `[migrate]
    /// online = true`: for this run only.
    #[arg(long, conflicts_with = "online")]
    plain: bool,
    /// PostgreSQL: how long a statement waits for a lock before the step (plain: the whole
    /// migration) is rolled back and tried again (default: [online] lock_timeout, else 2s).
    #[arg(long, value_name = "DURATION")]
    lock_timeout: Option<String>,
    /// Attempts at a lock before giving up (default: [online] lock_attempts, else 10).
    #[arg(long, value_name = "N")]
    lock_attempts: Option<u32>,
    /// Online: statement_timeout for the steps that hold a strong lock (default: [online]
    /// statement_timeout, else 30s).
    #[arg(long, value_name = "DURATION", conflicts_with = "plain")]
    statement_timeout: Option<String>,
    /// Online: run changes online migrate refuses (table rewrites), with their blocking locks.
    #[arg(long, conflicts_with = "plain")]
    allow_unsafe: bool,
    /// Fail at once if another migrator holds the migration lock, instead of waiting.
    #[arg(long)]
    no_wait: bool,
    /// Finish a migration an earlier `migrate --online` expanded (a rename or a type change
    /// applied in two phases), once the new code is deployed: drop the old shape.
    /// Online mode: `--online`, or `[migrate] online = true` in teapot.toml.
    #[arg(long, conflicts_with_all = ["abort", "plain"])]
    complete: bool,
    /// Undo a migration an earlier `migrate --online` expanded: the old shape alone again, with
    /// every row written meanwhile. Online mode, as `--complete`.
    #[arg(long, conflicts_with = "plain")]
    abort: bool,
}

/// Print the SQL of a migration.
#[derive(Debug, clap::Args)]
pub struct SqlMigrateArgs {
    /// The app.
    app: String,
    /// The migration (a prefix is enough).
    name: String,
    /// The SQL that unapplies it.
    #[arg(long)]
    backwards: bool,
    /// The steps `migrate --online` runs, with their lock level and transaction mode (PostgreSQL).
    /// The default on PostgreSQL when teapot.toml says `[migrate] online = true`.
    #[arg(long, conflicts_with = "backwards")]
    online: bool,
    /// The SQL plain `migrate` runs, although teapot.toml says `[migrate] online = true`.
    #[arg(long, conflicts_with = "online")]
    plain: bool,
    /// Online: show the steps of changes online migrate refuses (table rewrites) as
    /// `migrate --online --allow-unsafe` would run them, instead of the refusal.
    #[arg(long, conflicts_with_all = ["plain", "backwards"])]
    allow_unsafe: bool,
    /// The database whose dialect to print (overrides DATABASE_URL and teapot.toml; not connected to).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

/// List migrations and whether each is applied.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Only these apps.
    #[arg(value_name = "APP")]
    apps: Vec<String>,
    /// One list in the order migrate would apply them.
    #[arg(long)]
    plan: bool,
    /// The database (overrides DATABASE_URL and teapot.toml).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start the async runtime: {e}")))
}

fn check_app(config: &Config, app: &str) -> Result<()> {
    if config.apps.contains_key(app) {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Usage, format!("no app \"{app}\" in {}", config.path.display()))
            .hint(format!("the apps are: {}", config.apps.keys().cloned().collect::<Vec<_>>().join(", "))))
    }
}

/// Whether a URL names a SQLite database that lives in memory (nothing migrated into it lasts).
fn in_memory_sqlite(url: &str) -> bool {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"));
    rest.is_some_and(|r| r.is_empty() || r.starts_with(":memory:") || r.contains("mode=memory"))
}

/// Text for a `--` comment line: a line break in a name would end the comment, and what follows
/// would run when the output is piped into psql.
fn comment(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn dotted(key: &str) -> String {
    key.replacen('/', ".", 1)
}

pub(super) fn migrate(config: &Config, a: MigrateArgs) -> Result<i32> {
    if let Some(app) = &a.app {
        check_app(config, app)?;
    }
    let url = config.resolve_database_url(a.database_url.as_deref())?;
    if in_memory_sqlite(&url) {
        return Err(Error::new(ErrorKind::Usage, format!("{url} is an in-memory SQLite database: it is gone when teapot exits")).hint(
            "give a file, e.g. --database-url sqlite://app.db (a program of yours can migrate its own in-memory database with Migrator)",
        ));
    }
    let graph = load_graph(config)?;
    let target = Target { app: a.app.clone(), name: a.name.clone() };
    let locks = LockOptions {
        lock_timeout: online::parse_duration(a.lock_timeout.as_deref().unwrap_or(&config.online.lock_timeout))?,
        lock_attempts: a.lock_attempts.unwrap_or(config.online.lock_attempts).max(1),
    };
    let online = if online_mode(config, &a, &url, &graph, &target)? {
        Some(OnlineOptions {
            lock_timeout: locks.lock_timeout,
            lock_attempts: locks.lock_attempts,
            allow_unsafe: a.allow_unsafe,
            long_transaction: online::parse_duration(&config.online.long_transaction)?,
            statement_timeout: online::parse_duration(a.statement_timeout.as_deref().unwrap_or(&config.online.statement_timeout))?,
            finish: if a.complete {
                Some(Finish::Complete)
            } else if a.abort {
                Some(Finish::Abort)
            } else {
                None
            },
        })
    } else {
        None
    };
    runtime()?.block_on(async {
        if a.plan {
            let steps = Migrator::connect(url.as_str()).graph(graph.clone()).target(target).plan().await?;
            println!("Planned operations:");
            if steps.is_empty() {
                println!("  No planned migration operations.");
            }
            for s in &steps {
                let Some(m) = graph.get(&s.key) else { continue };
                println!("{}{}", dotted(&s.key), if s.direction == Direction::Backwards { " (undo)" } else { "" });
                for op in &m.operations {
                    println!("    {}", op.describe());
                }
            }
            return Ok(0);
        }
        let tty = std::io::stdout().is_terminal();
        let mut view = Progress { tty, fake: a.fake, url: redact(&url), bar: None, step_bar: None, last_line: None };
        let mut migrator = Migrator::connect(url.as_str())
            .graph(graph)
            .target(target)
            .fake(a.fake)
            .fake_initial(a.fake_initial)
            .no_wait(a.no_wait)
            .locks(locks);
        if let Some(options) = online {
            migrator = migrator.online_options(options);
        }
        let result = migrator.on_event(|e| view.show(e)).run().await;
        for b in [view.step_bar.take(), view.bar.take()].into_iter().flatten() {
            b.abandon();
        }
        if result.is_err() && tty && !verbosity::quiet() {
            println!(" FAILED");
        }
        result.map(|_| 0)
    })
}

/// Whether this migrate runs online: `--online`; else `[migrate] online = true` on PostgreSQL
/// unless `--plain`. The setting does not apply where online has nothing to do: on SQLite (no
/// concurrent schema changes), to `--fake` (nothing runs) and to a run that unapplies (online
/// migrate only applies). The flags that only mean something online are refused on a plain run.
fn online_mode(config: &Config, a: &MigrateArgs, url: &str, graph: &Graph, target: &Target) -> Result<bool> {
    let postgres = Dialect::of_url(url)? == Dialect::Postgres;
    let mut from_config = config.migrate.online && !a.plain && !a.online && postgres && !a.fake && !a.plan;
    let mut unapplies = false;
    if from_config && a.name.is_some() {
        // Only a named target can go backwards: look at the plan first.
        let steps = runtime()?.block_on(Migrator::connect(url).graph(graph.clone()).target(target.clone()).plan())?;
        unapplies = steps.iter().any(|s| s.direction == Direction::Backwards);
        from_config = !unapplies;
    }
    let online = a.online || from_config;
    if !online && (a.allow_unsafe || a.statement_timeout.is_some() || a.complete || a.abort) {
        let flag = if a.allow_unsafe {
            "--allow-unsafe"
        } else if a.complete {
            "--complete"
        } else if a.abort {
            "--abort"
        } else {
            "--statement-timeout"
        };
        let why = if a.plain {
            "with --plain"
        } else if unapplies {
            "it unapplies migrations"
        } else if !postgres && config.migrate.online {
            "on SQLite"
        } else {
            "without --online"
        };
        return Err(Error::new(ErrorKind::Usage, format!("{flag} applies to online migrate only, and this run is plain ({why})"))
            .hint("pass --online (or set [migrate] online = true in teapot.toml for PostgreSQL), or drop the flag"));
    }
    if !a.plan && !verbosity::quiet() && (verbosity::verbose() || unapplies) {
        let why = if a.online {
            "--online".to_string()
        } else if from_config {
            format!("[migrate] online = true in {}; --plain opts out", config.path.display())
        } else if a.plain {
            "--plain".to_string()
        } else if unapplies {
            "online migrate only applies: migrations are unapplied plainly".to_string()
        } else if config.migrate.online && !postgres {
            "[migrate] online applies to PostgreSQL only".to_string()
        } else if config.migrate.online && a.fake {
            "--fake runs nothing".to_string()
        } else {
            format!("the default; --online, or [migrate] online = true in {}, runs online", config.path.display())
        };
        println!("Mode: {} ({why})", if online { "online" } else { "plain" });
    }
    Ok(online)
}

/// How migrate's progress looks: a bar per long migration and one per long step on a terminal;
/// timestamped lines otherwise, a step's progress at most every few seconds.
struct Progress {
    tty: bool,
    fake: bool,
    url: String,
    /// Operations of a long migration.
    bar: Option<ProgressBar>,
    /// Progress of the current step (an index build's blocks, a backfill's rows): its own bar, so
    /// totals of different steps never mix.
    step_bar: Option<ProgressBar>,
    /// When the last progress line was printed (no terminal).
    last_line: Option<(std::time::Instant, String)>,
}

/// Without a terminal, a step's progress is printed at most this often.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

impl Progress {
    fn line(&mut self, text: &str) {
        // A new step ends the progress of the one before it.
        if text.trim_start().starts_with("step ") {
            if let Some(b) = self.step_bar.take() {
                b.finish_and_clear();
            }
            self.last_line = None;
        }
        if let Some(b) = self.step_bar.as_ref().or(self.bar.as_ref()) {
            b.println(text);
        } else if self.tty {
            println!("{text}");
        } else {
            println!("[{}] {}", chrono::Local::now().format("%H:%M:%S"), text.trim_start());
        }
    }

    fn show(&mut self, e: Event) {
        if verbosity::quiet() {
            return;
        }
        match e {
            Event::Planned { migrations } => {
                println!(
                    "Operations to perform: {} on {}",
                    if migrations == 0 { "none".to_string() } else { format!("{migrations} migration(s)") },
                    self.url
                );
                if migrations == 0 {
                    println!("  No migrations to apply.");
                }
            }
            Event::Start { key, direction, operations } => {
                let verb = match (direction, self.fake) {
                    (Direction::Forwards, false) => "Applying",
                    (Direction::Backwards, false) => "Unapplying",
                    (Direction::Forwards, true) => "Faking",
                    (Direction::Backwards, true) => "Faking undo of",
                };
                if self.tty && operations > 20 {
                    let b = ProgressBar::new(operations as u64);
                    b.set_style(
                        ProgressStyle::with_template("  {msg} [{bar:30}] {pos}/{len} operations")
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    b.set_message(format!("{verb} {}", dotted(&key)));
                    self.bar = Some(b);
                } else if self.tty {
                    print!("  {verb} {}...", dotted(&key));
                } else {
                    println!("[{}] {verb} {} ({operations} operations)", chrono::Local::now().format("%H:%M:%S"), dotted(&key));
                }
            }
            Event::Operation { .. } => {
                if let Some(b) = &self.bar {
                    b.inc(1);
                }
            }
            Event::Message(m) => self.line(&m),
            Event::Progress { phase, done, total } => {
                if self.tty {
                    let b = self.step_bar.get_or_insert_with(|| {
                        let b = ProgressBar::new(total.max(1));
                        b.set_style(
                            ProgressStyle::with_template("    {msg} [{bar:30}] {pos}/{len}")
                                .unwrap_or_else(|_| ProgressStyle::default_bar()),
                        );
                        b
                    });
                    b.set_length(total.max(done).max(1));
                    b.set_position(done);
                    b.set_message(phase);
                } else {
                    let due = match &self.last_line {
                        Some((at, last_phase)) => at.elapsed() >= PROGRESS_EVERY || *last_phase != phase || (total > 0 && done >= total),
                        None => true,
                    };
                    if due {
                        let of = if total > 0 { format!("{done}/{total}") } else { done.to_string() };
                        println!("[{}]     {phase}: {of}", chrono::Local::now().format("%H:%M:%S"));
                        self.last_line = Some((std::time::Instant::now(), phase));
                    }
                }
            }
            Event::Done { key, elapsed } => {
                if let Some(b) = self.step_bar.take() {
                    b.finish_and_clear();
                }
                if let Some(b) = self.bar.take() {
                    b.finish_and_clear();
                    println!("  {} OK ({:.2}s)", dotted(&key), elapsed.as_secs_f64());
                } else if self.tty {
                    println!(" OK ({:.2}s)", elapsed.as_secs_f64());
                } else {
                    println!("[{}] {} OK ({:.2}s)", chrono::Local::now().format("%H:%M:%S"), dotted(&key), elapsed.as_secs_f64());
                }
            }
            _ => {}
        }
    }
}

pub(super) fn sqlmigrate(config: &Config, a: SqlMigrateArgs) -> Result<i32> {
    check_app(config, &a.app)?;
    let dialect = match config.resolve_database_url(a.database_url.as_deref()) {
        Ok(url) => Dialect::of_url(&url)?,
        Err(_) => Dialect::Sqlite,
    };
    let graph = load_graph(config)?;
    let key = find_migration(&graph, &a.app, &a.name)?;
    let m = graph.get(&key).expect("found in the graph");
    // What migrate would run: online where teapot.toml makes it the default on PostgreSQL.
    let online = a.online || (config.migrate.online && dialect == Dialect::Postgres && !a.plain && !a.backwards);
    if a.allow_unsafe && !online {
        return Err(Error::new(ErrorKind::Usage, "--allow-unsafe shows online steps, and this sqlmigrate prints plain SQL")
            .hint("pass --online (or set [migrate] online = true in teapot.toml and give a PostgreSQL --database-url)"));
    }
    if online {
        let before = ancestors(&graph, &key);
        let steps = online::online_steps(&graph, &key, |x| before.contains(&x.key()), a.allow_unsafe)?;
        println!("-- {} online: {} step(s)", comment(&dotted(&key)), steps.len());
        println!("SET standard_conforming_strings = on;");
        for (n, (op, s)) in steps.iter().enumerate() {
            let phase = match s.phase {
                Phase::Apply => "",
                Phase::Expand => "expand, migrate --online: ",
                Phase::Complete => "complete, migrate --online --complete: ",
            };
            println!(
                "--\n-- step {}: {phase}{} (operation {})\n--   lock: {}; {}\n--",
                n + 1,
                comment(&s.description),
                op + 1,
                s.lock.name(),
                if s.transaction { "in its own transaction" } else { "no transaction" }
            );
            for q in &s.sql {
                println!("{q}");
            }
            if let Some(b) = &s.batches {
                println!("-- the first batch (each batch commits on its own):");
                println!("{};", b.batch_sql(false));
                println!("-- every next batch, $1 being the last key the batch before it returned, until one updates no row:");
                println!("{};", b.batch_sql(true));
            }
        }
        if let Some(abort) = online::abort_step(&graph, &key, |x| before.contains(&x.key()))? {
            println!(
                "--\n-- abort, migrate --online --abort: {}\n--   lock: {}; in its own transaction\n--",
                comment(&abort.description),
                abort.lock.name()
            );
            for q in &abort.sql {
                println!("{q}");
            }
        }
        return Ok(0);
    }
    let before = ancestors(&graph, &key);
    let mut state = graph.state_until(|x| before.contains(&x.key()) && x.key() != key)?;
    let direction = if a.backwards { Direction::Backwards } else { Direction::Forwards };
    let sql = executor::migration_sql(dialect, m, &mut state, direction)?;
    // Every statement ends with `;`, so the output runs as it is in psql or sqlite3.
    let terminated = |s: &str| if s.trim_end().ends_with(';') { s.to_string() } else { format!("{};", s.trim_end()) };
    if dialect == Dialect::Postgres {
        // The literals below are written for standard_conforming_strings = on (as teapot's own
        // sessions run): a server with it off must not read a backslash in them as an escape.
        println!("SET standard_conforming_strings = on;");
    }
    let how = executor::shape(m, dialect, &sql);
    match how {
        executor::Shape::Chunked(size) => {
            let all = executor::statements(&sql);
            let parts = all.len().div_ceil(size);
            println!("-- {} has {} statements: it runs in {parts} transactions of at most {size}", comment(&dotted(&key)), all.len());
            for (part, chunk) in all.chunks(size).enumerate() {
                println!("--\n-- transaction {} of {parts}\n--\nBEGIN;", part + 1);
                for (_, s) in chunk {
                    println!("{}", terminated(s));
                }
                println!("COMMIT;");
            }
            return Ok(0);
        }
        executor::Shape::StatementByStatement => {
            println!("-- {} is not atomic: each statement runs on its own (no transaction)", comment(&dotted(&key)))
        }
        executor::Shape::Atomic => println!("BEGIN;"),
    }
    let atomic = how == executor::Shape::Atomic;
    for (desc, stmts) in sql.operations {
        println!("--\n-- {}\n--", comment(&desc));
        for s in stmts {
            println!("{}", terminated(&s));
        }
    }
    for s in sql.deferred {
        println!("{}", terminated(&s));
    }
    if atomic {
        println!("COMMIT;");
    }
    Ok(0)
}

pub(super) fn showmigrations(config: &Config, a: ShowArgs) -> Result<i32> {
    for app in &a.apps {
        check_app(config, app)?;
    }
    let url = config.resolve_database_url(a.database_url.as_deref())?;
    let graph = load_graph(config)?;
    // Only looks: a SQLite database not made yet (opening it would make it) has nothing applied.
    let missing = super::check::sqlite_file(&url).filter(|f| !std::path::Path::new(f).exists());
    if let Some(file) = &missing {
        if !verbosity::quiet() {
            eprintln!("note: the SQLite database {file} does not exist yet: nothing is applied (teapot migrate makes it)");
        }
    }
    let (applied, partial) = if missing.is_some() { Default::default() } else { read_applied(&url, &graph)? };

    let mark = |k: &str| match (applied.contains(k), partial.get(k)) {
        (true, _) => "[X]".to_string(),
        (false, Some(_)) => "[~]".to_string(),
        (false, None) => "[ ]".to_string(),
    };
    // A migration --online began and did not finish says how far it got.
    let note = |k: &str| {
        partial
            .get(k)
            .map(|p| {
                if p.expanded {
                    format!("  ({p}; finish with teapot migrate --online --complete once the new code is deployed, or undo with --abort)")
                } else {
                    format!("  (partly applied: {p}; finish with teapot migrate --online)")
                }
            })
            .unwrap_or_default()
    };
    if a.plan {
        for m in graph.order()? {
            if a.apps.is_empty() || a.apps.contains(&m.app) {
                println!("{}  {}{}", mark(&m.key()), dotted(&m.key()), note(&m.key()));
            }
        }
        return Ok(0);
    }
    for app in config.apps.keys() {
        if !a.apps.is_empty() && !a.apps.contains(app) {
            continue;
        }
        println!("{app}");
        let mut any = false;
        for m in graph.app_migrations(app) {
            println!(" {} {}{}", mark(&m.key()), m.name, note(&m.key()));
            any = true;
        }
        if !any {
            println!(" (no migrations)");
        }
    }
    Ok(0)
}

/// What is applied, and how far each partly applied migration got.
fn read_applied(url: &str, graph: &Graph) -> Result<(BTreeSet<String>, std::collections::BTreeMap<String, progress::Partial>)> {
    runtime()?.block_on(async {
        let mut conn = Connection::open(url).await?;
        let applied: BTreeSet<String> = recorder::applied(&mut conn).await?.into_iter().map(|x| x.key()).collect();
        let partial = progress::partial(&mut conn, graph, &applied, |key, mode| online_step_count(graph, &applied, key, mode)).await;
        conn.close().await;
        Ok::<_, Error>((applied, partial?))
    })
}
