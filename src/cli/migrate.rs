//! `teapot migrate`, `teapot sqlmigrate`, `teapot showmigrations`.

use std::collections::BTreeSet;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::backend::{redact, Dialect};
use crate::config::Config;
use crate::db::Conn;
use crate::error::{Error, ErrorKind, Result};
use crate::migrations::executor::{self, ancestors, find_migration, plan, Direction, Event, Target};
use crate::migrations::loader::load_graph;
use crate::migrations::online::{self, OnlineOptions};
use crate::migrations::recorder;

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
    /// The database (overrides DATABASE_URL and teapot.toml).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// PostgreSQL: apply with non-blocking steps (CONCURRENTLY, NOT VALID + VALIDATE, batched
    /// backfills), recording each step so a rerun resumes.
    #[arg(long)]
    online: bool,
    /// lock_timeout for steps that take a strong lock (default: [online] lock_timeout, else 2s).
    #[arg(long, value_name = "DURATION", requires = "online")]
    lock_timeout: Option<String>,
    /// Attempts at a strong lock before giving up (default: [online] lock_attempts, else 10).
    #[arg(long, value_name = "N", requires = "online")]
    lock_attempts: Option<u32>,
    /// statement_timeout for the steps that hold a strong lock (default: [online] statement_timeout, else 30s).
    #[arg(long, value_name = "DURATION", requires = "online")]
    statement_timeout: Option<String>,
    /// Run changes --online refuses (table rewrites), with their blocking locks.
    #[arg(long, requires = "online")]
    allow_unsafe: bool,
    /// Fail at once if another migrator holds the migration lock, instead of waiting.
    #[arg(long)]
    no_wait: bool,
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
    #[arg(long, conflicts_with = "backwards")]
    online: bool,
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

fn dotted(key: &str) -> String {
    key.replacen('/', ".", 1)
}

pub(super) fn migrate(config: &Config, a: MigrateArgs) -> Result<i32> {
    if let Some(app) = &a.app {
        check_app(config, app)?;
    }
    let url = config.resolve_database_url(a.database_url.as_deref())?;
    let graph = load_graph(config)?;
    runtime()?.block_on(async {
        let mut conn = Conn::connect(&url).await?;
        let pg = conn.dialect() == Dialect::Postgres;
        if a.online && !pg {
            return Err(Error::new(ErrorKind::Usage, "--online is for PostgreSQL; SQLite has no concurrent schema changes")
                .hint("run migrate without --online on SQLite"));
        }
        let tty = std::io::stdout().is_terminal();
        if pg && !a.plan {
            online::acquire_migration_lock(&mut conn, a.no_wait, &mut |e| {
                if let Event::Message(m) = e {
                    eprintln!("{m}");
                }
            })
            .await?;
        }
        // Read what is applied only once the lock is held: never apply anything twice.
        let applied: BTreeSet<String> = recorder::applied(&mut conn).await?.into_iter().map(|x| x.key()).collect();
        let steps = plan(&graph, &applied, &Target { app: a.app.clone(), name: a.name.clone() })?;
        if a.plan {
            println!("Planned operations:");
            if steps.is_empty() {
                println!("  No planned migration operations.");
            }
            for s in &steps {
                let m = graph.get(&s.key).expect("planned from the graph");
                println!("{}{}", dotted(&s.key), if s.direction == Direction::Backwards { " (undo)" } else { "" });
                for op in &m.operations {
                    println!("    {}", op.describe());
                }
            }
            conn.close().await;
            return Ok(0);
        }
        println!(
            "Operations to perform: {} on {}",
            if steps.is_empty() { "none".to_string() } else { format!("{} migration(s)", steps.len()) },
            redact(&url)
        );
        if steps.is_empty() {
            println!("  No migrations to apply.");
            conn.close().await;
            return Ok(0);
        }
        let mut bar: Option<ProgressBar> = None;
        let mut on_event = |e: Event| match e {
            Event::Start { key, direction, operations } => {
                let verb = match (direction, a.fake) {
                    (Direction::Forwards, false) => "Applying",
                    (Direction::Backwards, false) => "Unapplying",
                    (Direction::Forwards, true) => "Faking",
                    (Direction::Backwards, true) => "Faking undo of",
                };
                if tty && operations > 20 {
                    let b = ProgressBar::new(operations as u64);
                    b.set_style(
                        ProgressStyle::with_template("  {msg} [{bar:30}] {pos}/{len} operations")
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    b.set_message(format!("{verb} {}", dotted(&key)));
                    bar = Some(b);
                } else if tty {
                    print!("  {verb} {}...", dotted(&key));
                } else {
                    println!("[{}] {verb} {} ({operations} operations)", chrono::Local::now().format("%H:%M:%S"), dotted(&key));
                }
            }
            Event::Operation { .. } => {
                if let Some(b) = &bar {
                    b.inc(1);
                }
            }
            Event::Message(m) => {
                if let Some(b) = &bar {
                    b.println(&m);
                } else if tty {
                    println!("{m}");
                } else {
                    println!("[{}] {}", chrono::Local::now().format("%H:%M:%S"), m.trim_start());
                }
            }
            Event::Progress { phase, done, total } => {
                if tty {
                    let b = bar.get_or_insert_with(|| {
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
                    println!("[{}]     {phase}: {done}/{total}", chrono::Local::now().format("%H:%M:%S"));
                }
            }
            Event::Done { key, elapsed } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                    println!("  {} OK ({:.2}s)", dotted(&key), elapsed.as_secs_f64());
                } else if tty {
                    println!(" OK ({:.2}s)", elapsed.as_secs_f64());
                } else {
                    println!("[{}] {} OK ({:.2}s)", chrono::Local::now().format("%H:%M:%S"), dotted(&key), elapsed.as_secs_f64());
                }
            }
        };
        let result = if a.online {
            let mut opts = OnlineOptions {
                lock_timeout: online::parse_duration(a.lock_timeout.as_deref().unwrap_or(&config.online.lock_timeout))?,
                lock_attempts: a.lock_attempts.unwrap_or(config.online.lock_attempts).max(1),
                allow_unsafe: a.allow_unsafe,
                ..OnlineOptions::default()
            };
            opts.long_transaction = online::parse_duration(&config.online.long_transaction)?;
            opts.statement_timeout = online::parse_duration(a.statement_timeout.as_deref().unwrap_or(&config.online.statement_timeout))?;
            online::execute_online(&mut conn, &url, &graph, &steps, &opts, &mut on_event).await
        } else {
            executor::execute(&mut conn, &graph, &steps, a.fake, &mut on_event).await
        };
        if pg {
            online::release_migration_lock(&mut conn).await;
        }
        if let Some(b) = bar.take() {
            b.abandon();
        }
        if result.is_err() && tty {
            println!(" FAILED");
        }
        conn.close().await;
        result.map(|_| 0)
    })
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
    if a.online {
        let before = ancestors(&graph, &key);
        let steps = online::online_steps(&graph, &key, |x| before.contains(&x.key()), false)?;
        println!("-- {} online: {} step(s)", dotted(&key), steps.len());
        for (n, (op, s)) in steps.iter().enumerate() {
            println!(
                "--\n-- step {}: {} (operation {})\n--   lock: {}; {}\n--",
                n + 1,
                s.description,
                op + 1,
                s.lock.name(),
                if s.transaction { "in its own transaction" } else { "no transaction" }
            );
            for q in &s.sql {
                println!("{q}");
            }
            if let Some(b) = &s.batches {
                println!(
                    "UPDATE {} SET {} WHERE {} IN (next {} keys{}) -- repeated until no row is left",
                    b.table,
                    b.set,
                    b.key,
                    b.batch_size,
                    b.filter.as_ref().map(|f| format!(" WHERE {f}")).unwrap_or_default()
                );
            }
        }
        return Ok(0);
    }
    let before = ancestors(&graph, &key);
    let mut state = graph.state_until(|x| before.contains(&x.key()) && x.key() != key)?;
    let direction = if a.backwards { Direction::Backwards } else { Direction::Forwards };
    let (per_op, deferred) = executor::migration_sql(dialect, m, &mut state, direction)?;
    println!("BEGIN;");
    for (desc, stmts) in per_op {
        println!("--\n-- {desc}\n--");
        for s in stmts {
            println!("{s}");
        }
    }
    for s in deferred {
        println!("{s}");
    }
    println!("COMMIT;");
    Ok(0)
}

pub(super) fn showmigrations(config: &Config, a: ShowArgs) -> Result<i32> {
    for app in &a.apps {
        check_app(config, app)?;
    }
    let url = config.resolve_database_url(a.database_url.as_deref())?;
    let graph = load_graph(config)?;
    let applied: BTreeSet<String> = runtime()?.block_on(async {
        let mut conn = Conn::connect(&url).await?;
        let rows = recorder::applied(&mut conn).await?;
        conn.close().await;
        Ok::<_, Error>(rows.into_iter().map(|x| x.key()).collect())
    })?;
    let mark = |k: &str| if applied.contains(k) { "[X]" } else { "[ ]" };
    if a.plan {
        for m in graph.order()? {
            if a.apps.is_empty() || a.apps.contains(&m.app) {
                println!("{}  {}", mark(&m.key()), dotted(&m.key()));
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
            println!(" {} {}", mark(&m.key()), m.name);
            any = true;
        }
        if !any {
            println!(" (no migrations)");
        }
    }
    Ok(0)
}
