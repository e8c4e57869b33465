//! Benchmark: `teapot inspectdb` on a PostgreSQL database of many tables.
//!
//!     cargo run --release --example inspect_bench -- [--models 1000] [--pg postgres://postgres@127.0.0.1:5432/postgres]
//!
//! Builds the project of `schema_bench` (`--models` models of 10 fields and a foreign key each, an
//! index on every tenth), migrates a database made for it on the `--pg` server, then times
//! inspectdb on it: reading the catalogs, and writing the declarations (which includes reading
//! them back and comparing the schema they imply with the live one). The database is dropped at
//! the end. Prints the figures; asserts only that the declarations describe every table as it is.

use std::time::Instant;

use teapot::migrate::backend::introspect;
use teapot::migrate::config::Config;
use teapot::migrate::inspect::{inspect_schema, InspectOptions};
use teapot::migrate::make::{make_migrations, MakeOptions};
use teapot::migrate::questioner::FlagQuestioner;
use teapot::Connection as Conn;

#[path = "../tests/common/generated.rs"]
mod generated;
use generated::generate;

fn main() {
    let mut models = 1000usize;
    let mut admin = "postgres://postgres@127.0.0.1:5432/postgres".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--models" => models = args.next().and_then(|v| v.parse().ok()).expect("--models N"),
            "--pg" => admin = args.next().expect("--pg URL"),
            other => panic!("unknown argument {other}; usage: inspect_bench [--models N] [--pg ADMIN_URL]"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(bench(models, admin));
}

async fn bench(models: usize, admin: String) {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(dir.path(), models);
    let config = Config::load(Some(&dir.path().join("teapot.toml"))).expect("config");
    make_migrations(&config, &MakeOptions::default(), &mut FlagQuestioner::default()).expect("makemigrations");
    let name = format!("teapot_inspect_bench_{}", std::process::id());
    let mut c = Conn::open(&admin).await.expect("connect to --pg");
    c.run(&format!("CREATE DATABASE \"{name}\"")).await.expect("create the bench database");
    c.close().await;
    let (head, _) = admin.rsplit_once('/').expect("--pg names a database");
    let url = format!("{head}/{name}");
    teapot::Migrator::connect(&url).config(config).run().await.expect("migrate");

    let mut conn = Conn::open(&url).await.expect("connect");
    let start = Instant::now();
    let live = introspect::schema(&mut conn).await.expect("introspect");
    let read = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let out = inspect_schema(&live, conn.dialect(), &InspectOptions::default()).expect("inspect");
    let write = start.elapsed().as_secs_f64();
    conn.close().await;
    assert!(out.remaining.is_empty(), "the declarations differ from the database: {:#?}", out.remaining);
    let declared: usize = out.apps.iter().map(|a| a.models).sum();
    let bytes: usize = out.apps.iter().map(|a| a.source.len()).sum();
    println!(
        "inspect_bench: PostgreSQL, {} tables ({models} models x 10 fields + 1 foreign key, an index on every tenth)",
        live.tables.len()
    );
    println!("  read the catalogs                       {read:>8.3} s");
    println!("  write + read back + compare             {write:>8.3} s   ({declared} models, {} KiB of Rust)", bytes / 1024);
    println!("  inspectdb in all                        {:>8.3} s", read + write);

    let mut c = Conn::open(&admin).await.expect("connect to --pg");
    c.run(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await.expect("drop the bench database");
    c.close().await;
}
