//! The `teapot` command: parses arguments, calls the migration engine, prints. No SQL is built here.

mod check;
mod completions;
mod init;
mod inspectdb;
mod makemigrations;
mod migrate;
mod prompt;
mod verbosity;

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
    /// Say more: the files makemigrations writes, the mode migrate and check use and why.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    verbose: u8,
    /// Say less: only errors and what the command is run for (sqlmigrate's SQL, showmigrations'
    /// list, check's findings), no progress or summary.
    #[arg(short, long, global = true)]
    quiet: bool,
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
    /// Start a project: teapot.toml, an app with a model, the migrations folder, a small main.
    Init(init::Args),
    /// Print a shell completion script (bash, zsh or fish).
    Completions(completions::Args),
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
    verbosity::set(cli.verbose, cli.quiet);
    // init (which writes teapot.toml), completions (which describes the CLI) and inspectdb (often
    // a project's first command) need none.
    let config = || Config::load(cli.config.as_deref());
    match cli.command {
        Command::Init(args) => init::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Inspectdb(args) => inspectdb::run(cli.config.as_deref(), args),
        Command::Makemigrations(args) => makemigrations::run(&config()?, args),
        Command::Migrate(args) => migrate::migrate(&config()?, args),
        Command::Sqlmigrate(args) => migrate::sqlmigrate(&config()?, args),
        Command::Showmigrations(args) => migrate::showmigrations(&config()?, args),
        Command::Check(args) => check::run(&config()?, args),
    }
}
