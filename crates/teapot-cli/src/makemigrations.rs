//! `teapot makemigrations`.

use std::io::IsTerminal;

use teapot_core::Result;
use teapot_migrate::config::Config;
use teapot_migrate::make::{make_migrations, MakeOptions};
use teapot_migrate::questioner::{FlagQuestioner, Questioner};
use teapot_migrate::Operation;

use super::prompt::TerminalQuestioner;
use super::verbosity;

/// Diff the declared models against the migration history and write a migration.
///
/// With the global -v each migration's file is printed in full; with -q nothing is printed (the
/// files are still written, and --check still exits 1 when one would be).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these apps (default: every app in teapot.toml).
    #[arg(value_name = "APP")]
    apps: Vec<String>,
    /// Use this name instead of the one made from the operations.
    #[arg(long, short = 'n')]
    name: Option<String>,
    /// Write an empty migration for each named app (for run_sql or backfill by hand).
    #[arg(long)]
    empty: bool,
    /// Print the operations; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Exit 1 when a migration would be written, 0 when not; write nothing.
    #[arg(long)]
    check: bool,
    /// Write a merge migration for an app with two leaf migrations.
    #[arg(long)]
    merge: bool,
    /// Never ask: questions no flag answers are an error that lists them.
    #[arg(long, alias = "no-input")]
    noinput: bool,
    /// Decide a rename: `library.Book.title=name` (field) or `library.Book=Volume` (model).
    #[arg(long, value_name = "FROM=TO")]
    rename: Vec<String>,
    /// Treat every rename candidate as a removal and an addition.
    #[arg(long)]
    no_rename: bool,
    /// A one-off value for existing rows: `library.Book.pages=0`.
    #[arg(long = "default", value_name = "FIELD=VALUE")]
    defaults: Vec<String>,
}

fn symbol(op: &Operation) -> char {
    match op.kind() {
        "create_model" | "add_field" | "add_index" | "add_constraint" => '+',
        "delete_model" | "remove_field" | "remove_index" | "remove_constraint" => '-',
        "alter_field" | "alter_model_table" | "rename_model" | "rename_field" | "rename_index" => '~',
        _ => '*',
    }
}

pub(super) fn run(config: &Config, a: Args) -> Result<i32> {
    let flags = FlagQuestioner::new(&a.rename, a.no_rename, &a.defaults)?;
    let interactive = !a.noinput && !a.check && std::io::stdin().is_terminal();
    let mut terminal;
    let mut flags_only;
    let q: &mut dyn Questioner = if interactive {
        terminal = TerminalQuestioner::new(flags);
        &mut terminal
    } else {
        flags_only = flags;
        &mut flags_only
    };
    let opts = MakeOptions { apps: a.apps, name: a.name, empty: a.empty, merge: a.merge, dry_run: a.dry_run || a.check };
    let outcome = make_migrations(config, &opts, q)?;
    let code = if a.check && !outcome.made.is_empty() { 1 } else { 0 };
    if verbosity::quiet() {
        return Ok(code);
    }
    if outcome.made.is_empty() {
        if a.merge {
            println!("No conflicts detected to merge.");
        } else {
            println!("No changes detected");
        }
        return Ok(0);
    }
    let mut last_app = String::new();
    for m in &outcome.made {
        if m.migration.app != last_app {
            println!("Migrations for '{}':", m.migration.app);
            last_app = m.migration.app.clone();
        }
        let shown = m.path.strip_prefix(&config.root).unwrap_or(&m.path);
        println!("  {}", shown.display());
        for op in &m.migration.operations {
            println!("    {} {}", symbol(op), op.describe());
        }
        if m.migration.operations.is_empty() {
            println!("    (no operations)");
        }
        if verbosity::verbose() {
            println!("{}", m.text);
        }
    }
    Ok(code)
}
