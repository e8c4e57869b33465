//! The `teapot` command: parses arguments, calls the library, prints. No SQL is built here.

mod check;
mod makemigrations;
mod migrate;
mod prompt;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::error::Error;

/// teapot: Django-style models and migrations for Rust, zero-downtime on PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "teapot", version, about, long_about = None)]
pub struct Cli {
    /// The configuration file (default: ./teapot.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
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
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
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
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Makemigrations(args) => makemigrations::run(&config, args),
        Command::Migrate(args) => migrate::migrate(&config, args),
        Command::Sqlmigrate(args) => migrate::sqlmigrate(&config, args),
        Command::Showmigrations(args) => migrate::showmigrations(&config, args),
        Command::Check(args) => check::run(&config, args),
    }
}
