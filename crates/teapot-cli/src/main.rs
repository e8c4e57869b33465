//! The `teapot` command: parses arguments, calls the migration engine, prints. No SQL is built here.

mod check;
mod inspectdb;
mod makemigrations;
mod migrate;
mod prompt;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use teapot_core::Error;
use teapot_migrate::config::Config;

/// teapot: Django-style models and migrations for Rust, zero-downtime on PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "teapot", version, about, long_about = None)]
struct Cli {
    /// The configuration file (default: ./teapot.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Diff the declared models against the migration history and write a migration.
    Makemigrations(makemigrations::Args),
    /// Apply (or unapply) migrations, each in one transaction.
    Migrate(migrate::MigrateArgs),
    /// Print the SQL of a migration, forwards or backwards.
    Sqlmigrate(migrate::SqlMigrateArgs),
    /// List migrations and whether each is applied.
    Showmigrations(migrate::ShowArgs),
    /// In CI: models and migrations agree, nothing unsafe, files untouched, no drift.
    Check(check::Args),
    /// Write model declarations for the tables of an existing database (to adopt it).
    Inspectdb(inspectdb::Args),
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Output piped into `head` and closed early is not an error worth a panic message.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).or_else(|| info.payload().downcast_ref::<&str>().copied());
        if msg.is_some_and(|m| m.contains("Broken pipe")) {
            std::process::exit(0);
        }
        default(info);
    }));
    std::process::exit(exit_code(Cli::parse()));
}

/// Runs the command line and returns the process exit code.
fn exit_code(cli: Cli) -> i32 {
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if e.is_usage() {
                2
            } else {
                1
            }
        }
    }
}

fn run(cli: Cli) -> Result<i32, Error> {
    // inspectdb is often the first command of a project: it needs no teapot.toml.
    let command = match cli.command {
        Command::Inspectdb(args) => return inspectdb::run(cli.config.as_deref(), args),
        other => other,
    };
    let config = Config::load(cli.config.as_deref())?;
    match command {
        Command::Makemigrations(args) => makemigrations::run(&config, args),
        Command::Migrate(args) => migrate::migrate(&config, args),
        Command::Sqlmigrate(args) => migrate::sqlmigrate(&config, args),
        Command::Showmigrations(args) => migrate::showmigrations(&config, args),
        Command::Check(args) => check::run(&config, args),
        Command::Inspectdb(_) => unreachable!("handled above"),
    }
}
