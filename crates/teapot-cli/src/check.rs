//! `teapot check`: findings for people (text), machines (`--format json`) and GitHub Actions
//! (`--format github`). Exit 0 clean, 1 findings, 2 check could not run (usage, configuration,
//! the database cannot be reached or read).

use std::collections::BTreeSet;
use std::io::IsTerminal;

use teapot_core::{Error, ErrorKind, Result};
use teapot_migrate::check::{drift::drift_report, drift::DriftOptions, run_offline, update_sums, CheckOptions, Finding};
use teapot_migrate::config::Config;
use teapot_migrate::loader::load_graph;
use teapot_migrate::recorder;

use super::verbosity;

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Format {
    /// For people.
    Text,
    /// One JSON document (see docs/check.md).
    Json,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Check that models and migrations agree, that nothing unsafe is about to run, that no migration
/// file changed, and (with a database) that the live schema has not drifted.
///
/// The database is the one every command uses: --database-url, else DATABASE_URL, else [database]
/// url in teapot.toml; with none of them, or with --no-database, check runs without one (every
/// migration after the [check] since baseline is linted).
///
/// Exit codes: 0 no finding; 1 findings; 2 check could not run: a usage error, a teapot.toml that
/// cannot be read or holds a value migrate would refuse (file, line and key are named), or a
/// database that cannot be reached or read.
#[derive(Debug, clap::Args)]
#[command(after_help = "Exit codes: 0 no finding, 1 findings, 2 check could not run (usage, teapot.toml, database). See docs/check.md.")]
pub struct Args {
    /// Lint every migration: also those applied and those before the [check] since baseline.
    #[arg(long)]
    all: bool,
    /// Deploys use `migrate --online`: rules it makes safe are not reported. The default when
    /// teapot.toml says `[migrate] online = true`.
    #[arg(long)]
    online: bool,
    /// Lint for plain `migrate` although teapot.toml says `[migrate] online = true`: report the
    /// rules online migrate makes safe too.
    #[arg(long, conflicts_with = "online")]
    plain: bool,
    /// A database to compare with: what is applied, the checksums applied, and drift (default:
    /// DATABASE_URL, else [database] url in teapot.toml).
    #[arg(long, value_name = "URL", conflicts_with = "no_database")]
    database_url: Option<String>,
    /// Check without a database, even when DATABASE_URL or teapot.toml names one.
    #[arg(long)]
    no_database: bool,
    /// Drift: also report tables in the database that no model declares (teapot's own tables
    /// never are).
    #[arg(long, conflicts_with = "no_database")]
    undeclared_tables: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Rewrite migrations/teapot.sum from the files as they are (accepting hand edits), then check.
    #[arg(long)]
    update_sums: bool,
}

/// Runs check; an error means check could not run, exit 2 (1 is for findings only).
pub(super) fn run(config: &Config, a: Args) -> Result<i32> {
    match run_check(config, a) {
        Err(e) if !e.is_usage() => {
            eprintln!("error: {e}");
            Ok(2)
        }
        other => other,
    }
}

/// The database check uses, and where its URL came from; None to check without one.
fn database(config: &Config, a: &Args) -> Result<Option<(String, String)>> {
    if a.no_database {
        return Ok(None);
    }
    let (url, from) = if let Some(u) = &a.database_url {
        (u.clone(), "--database-url".to_string())
    } else if let Some(u) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        (u, "DATABASE_URL".to_string())
    } else if let Some(u) = &config.database_url {
        (u.clone(), format!("[database] url in {}", config.path.display()))
    } else {
        return Ok(None);
    };
    teapot_core::Dialect::of_url(&url)
        .map_err(|e| Error::new(ErrorKind::Config, format!("{from}: {}", e.message)).hint(e.hint.clone().unwrap_or_default()))?;
    // check only reads: it does not create a SQLite file that is not there (opening one would).
    // The project's own embedded database not made yet (a fresh clone, CI before migrate) is no
    // error: nothing is applied, so there is nothing to compare, and check runs without it. A
    // file named on the command line must be there.
    if let Some(file) = sqlite_file(&url) {
        if !std::path::Path::new(&file).exists() {
            if a.database_url.is_none() {
                if !verbosity::quiet() {
                    eprintln!("note: the SQLite database {file} (from {from}) does not exist yet: checked without a database");
                }
                return Ok(None);
            }
            return Err(Error::new(ErrorKind::Connection, format!("the SQLite database {file} (from {from}) does not exist"))
                .hint("run teapot migrate to create it, or pass --no-database to check without a database"));
        }
    }
    Ok(Some((url, from)))
}

/// The file of a SQLite URL; None for PostgreSQL or an in-memory database.
pub(super) fn sqlite_file(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        return None;
    }
    Some(path.to_string())
}

fn run_check(config: &Config, a: Args) -> Result<i32> {
    if a.update_sums {
        for c in update_sums(config)? {
            if !verbosity::quiet() {
                eprintln!("teapot.sum: updated {c}");
            }
        }
    }
    let db = database(config, &a)?;
    // The mode deploys use: the flag, else teapot.toml's [migrate] online.
    let online = a.online || (config.migrate.online && !a.plain);
    if verbosity::verbose() {
        let why = if a.online {
            "--online".to_string()
        } else if a.plain {
            "--plain".to_string()
        } else if online {
            format!("[migrate] online = true in {}; --plain lints for plain migrate", config.path.display())
        } else {
            format!("no [migrate] online in {}", config.path.display())
        };
        eprintln!("linting for {} migrate ({why})", if online { "online" } else { "plain" });
        match &db {
            Some((url, from)) => eprintln!("database: {} (from {from})", teapot_core::redact(url)),
            None => eprintln!("database: none (checked without one)"),
        }
    }
    let opts = CheckOptions { all: a.all, online, database_url: db.as_ref().map(|(u, _)| u.clone()) };
    let mut findings: Vec<Finding>;
    if let Some((url, from)) = &db {
        let unreachable = |e: Error| {
            let hint = format!(
                "{}the URL came from {from}; pass --no-database to check without a database",
                e.hint.as_deref().map(|h| format!("{h}; ")).unwrap_or_default()
            );
            e.hint(hint)
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start the async runtime: {e}")))?;
        findings = rt.block_on(async {
            let mut conn = teapot_core::Connection::open(url).await.map_err(unreachable)?;
            let applied = recorder::applied(&mut conn).await.map_err(unreachable)?;
            let mut out = run_offline(config, &opts, Some(&applied))?;
            if let Ok(graph) = load_graph(config) {
                let keys: BTreeSet<String> = applied.iter().map(|x| x.key()).collect();
                let drift_opts = DriftOptions { undeclared_tables: a.undeclared_tables };
                // One finding per difference, each naming its table and object.
                for d in drift_report(&mut conn, &graph, &keys, &drift_opts).await? {
                    out.push(Finding {
                        rule: "drift".into(),
                        name: "schema-drift".into(),
                        file: None,
                        line: None,
                        migration: None,
                        operation: None,
                        message: format!("the live schema differs from what the applied migrations describe: {d}"),
                        fix: Some("find who changed the database by hand; put the change in a migration, or undo it".into()),
                        online_safe: None,
                    });
                }
            }
            conn.close().await;
            Ok::<_, Error>(out)
        })?;
    } else {
        findings = run_offline(config, &opts, None)?;
    }
    findings.sort_by_key(|f| (f.file.clone(), f.line, f.rule.clone()));
    match a.format {
        Format::Json => {
            let doc = serde_json::json!({ "version": 1, "findings": findings, "count": findings.len() });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        Format::Github => {
            for f in &findings {
                let mut props = Vec::new();
                if let Some(file) = &f.file {
                    props.push(format!("file={file}"));
                }
                if let Some(l) = f.line {
                    props.push(format!("line={l}"));
                }
                props.push(format!("title={} {}", f.rule, f.name));
                let msg = format!("{}{}", f.message, f.fix.as_ref().map(|x| format!(" Fix: {x}")).unwrap_or_default());
                println!("::error {}::{}", props.join(","), escape_github(&msg));
            }
        }
        Format::Text => print_text(&findings, online),
    }
    Ok(if findings.is_empty() { 0 } else { 1 })
}

fn escape_github(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn print_text(findings: &[Finding], online: bool) {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let (red, bold, dim, reset) = if colour { ("\x1b[31m", "\x1b[1m", "\x1b[2m", "\x1b[0m") } else { ("", "", "", "") };
    if findings.is_empty() {
        if !verbosity::quiet() {
            println!("teapot check: no findings");
        }
        return;
    }
    for f in findings {
        let place = match (&f.file, f.line) {
            (Some(file), Some(l)) => format!("{file}:{l}: "),
            (Some(file), None) => format!("{file}: "),
            _ => String::new(),
        };
        println!("{place}{red}{bold}{} {}{reset}: {}", f.rule, f.name, f.message);
        if let Some(op) = &f.operation {
            println!("  {dim}operation {op}{reset}");
        }
        if let Some(fix) = &f.fix {
            println!("  fix: {fix}");
        }
        if f.online_safe == Some(true) && !online {
            println!(
                "  {dim}`migrate --online` makes this safe (if you deploy with it, set [migrate] online = true in teapot.toml, or pass --online to check){reset}"
            );
        }
    }
    if !verbosity::quiet() {
        println!("teapot check: {} finding(s)", findings.len());
    }
}
