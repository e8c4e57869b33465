//! `teapot inspectdb`: model declarations written from a live database (the engine is
//! `teapot_migrate::inspect`); this file parses the arguments and writes the files.

use std::path::{Path, PathBuf};

use teapot_core::{Connection, Error, ErrorKind, Result};
use teapot_migrate::config::Config;
use teapot_migrate::inspect::{inspect, InspectOptions, Inspected};

/// Write model declarations for the tables of an existing database.
#[derive(Debug, clap::Args)]
#[command(after_help = "Adopting a database (one Django built, say):
  teapot inspectdb --database-url URL --output src/models > teapot.toml
  teapot makemigrations
  teapot migrate --database-url URL --fake-initial   # records the initial migrations: the tables exist
  teapot check --database-url URL                    # no drift")]
pub struct Args {
    /// Only these tables (default: every table but teapot's and django_migrations).
    #[arg(value_name = "TABLE")]
    tables: Vec<String>,
    /// The database (overrides DATABASE_URL and teapot.toml).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Put every model in this app, instead of grouping tables named `app_model` by their prefix.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,
    /// Write one file per app, DIR/<app>.rs, and print the teapot.toml that lists them (without
    /// it, the files are printed).
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
}

/// The database URL: the flag, else DATABASE_URL, else teapot.toml if there is one (inspectdb is
/// often the first command of a project that has none yet).
fn database_url(config: Option<&Path>, flag: Option<&str>) -> Result<String> {
    if let Some(u) = flag {
        return Ok(u.to_string());
    }
    let path = config.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("teapot.toml"));
    if path.exists() {
        return Config::load(Some(&path))?.resolve_database_url(None);
    }
    match std::env::var("DATABASE_URL") {
        Ok(u) if !u.is_empty() => Ok(u),
        _ => Err(Error::new(ErrorKind::Usage, "no database to inspect").hint("pass --database-url URL, or set DATABASE_URL")),
    }
}

pub(super) fn run(config: Option<&Path>, a: Args) -> Result<i32> {
    let url = database_url(config, a.database_url.as_deref())?;
    let opts = InspectOptions { tables: a.tables, app: a.app };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start the async runtime: {e}")))?;
    let inspected = rt.block_on(async {
        let mut conn = Connection::open(&url).await?;
        let out = inspect(&mut conn, &opts).await;
        conn.close().await;
        out
    })?;
    match &a.output {
        Some(dir) => write_files(dir, &inspected)?,
        None => {
            for app in &inspected.apps {
                println!("// ---- {}.rs ----", app.label);
                print!("{}", app.source);
                println!();
            }
            println!("// ---- teapot.toml ----");
            for line in toml(Path::new("models"), &inspected).lines() {
                println!("// {line}");
            }
        }
    }
    report(&inspected);
    Ok(0)
}

/// The teapot.toml that lists the apps' files in `dir`.
fn toml(dir: &Path, inspected: &Inspected) -> String {
    let mut s = String::new();
    if inspected.django {
        s.push_str("# Django built this database: it leaves ON DELETE to its collector (NO ACTION in the database)\n");
        s.push_str("# and keeps no defaults there. The ORM does both, as Django does:\n");
        s.push_str("[project]\non_delete = \"orm\"\ndefaults = \"orm\"\n\n");
    }
    for app in &inspected.apps {
        let file = dir.join(format!("{}.rs", app.label));
        s.push_str(&format!("[apps.{}]\nmodels = [{:?}]\n", app.label, file.to_string_lossy().replace('\\', "/")));
        if app.on_delete_orm && !inspected.django {
            s.push_str("# its join tables' foreign keys have NO ACTION: the ORM does their cascade\non_delete = \"orm\"\n");
        }
        if !app.on_delete_orm && inspected.django {
            s.push_str("# its foreign keys have ON DELETE actions in the database\non_delete = \"database\"\n");
        }
        if let Some(key) = &app.default_auto_field {
            s.push_str(&format!("# its join tables have {key} keys\ndefault_auto_field = {key:?}\n"));
        }
        s.push('\n');
    }
    s
}

fn write_files(dir: &Path, inspected: &Inspected) -> Result<()> {
    let io = |e: std::io::Error, p: &Path| Error::new(ErrorKind::Io, format!("cannot write {}: {e}", p.display()));
    for app in &inspected.apps {
        let file = dir.join(format!("{}.rs", app.label));
        if file.exists() {
            return Err(Error::new(ErrorKind::Usage, format!("{} exists already; inspectdb writes new files only", file.display()))
                .hint("move it away, or pass another --output DIR"));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| io(e, dir))?;
    for app in &inspected.apps {
        let file = dir.join(format!("{}.rs", app.label));
        std::fs::write(&file, &app.source).map_err(|e| io(e, &file))?;
        eprintln!("wrote {} ({} models)", file.display(), app.models);
    }
    print!("{}", toml(dir, inspected));
    Ok(())
}

/// What was left out and what check will still report, on stderr.
fn report(inspected: &Inspected) {
    for n in &inspected.notes {
        eprintln!("note: {n}");
    }
    if inspected.remaining.is_empty() {
        eprintln!("the declarations describe every inspected table as it is: check --database-url will report no drift on them");
    } else {
        eprintln!(
            "{} difference(s) remain between the declarations and the database; check --database-url reports them until they are settled:",
            inspected.remaining.len()
        );
        for d in &inspected.remaining {
            eprintln!("  {d}");
        }
    }
}
