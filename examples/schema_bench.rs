//! Benchmark: makemigrations on a generated project.
//!
//!     cargo run --release --example schema_bench -- --models 1000,5000,10000
//!
//! Generates `--models` models of 10 fields plus a foreign key each, with an index on every tenth
//! model, in files of 100 models, then times `makemigrations` from nothing and
//! `makemigrations --check` with no change (each through the `teapot` binary when `--bin` is
//! given, else in process), and prints the figures.
//!
//! It also times `teapot check` without a database.
//!
//! With `--database-url URL` (an empty PostgreSQL or SQLite database, and one `--models` size) it
//! then times `migrate` of the generated project into it, and `migrate` again with nothing to do.

use std::time::Instant;

use teapot::migrate::config::Config;
use teapot::migrate::make::{make_migrations, MakeOptions};
use teapot::migrate::questioner::FlagQuestioner;

#[path = "../tests/common/generated.rs"]
mod generated;
use generated::generate;

fn main() {
    let mut sizes = vec![1000usize];
    let mut bin: Option<String> = None;
    let mut database_url: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--models" => {
                sizes = args
                    .next()
                    .and_then(|v| v.split(',').map(|n| n.trim().parse().ok()).collect::<Option<Vec<usize>>>())
                    .expect("--models N[,N...]")
            }
            "--bin" => bin = Some(args.next().expect("--bin PATH")),
            "--database-url" => database_url = Some(args.next().expect("--database-url URL")),
            other => panic!("unknown argument {other}; usage: schema_bench [--models N] [--bin PATH/TO/teapot] [--database-url URL]"),
        }
    }
    assert!(database_url.is_none() || sizes.len() == 1, "--database-url takes one --models size (the database must be empty)");
    for models in sizes {
        bench(models, bin.as_deref(), database_url.as_deref());
    }
}

fn bench(models: usize, bin: Option<&str>, database_url: Option<&str>) {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(dir.path(), models);
    let config_path = dir.path().join("teapot.toml");

    let run = |check: bool| -> f64 {
        let start = Instant::now();
        match bin {
            Some(b) => {
                let mut cmd = std::process::Command::new(b);
                cmd.current_dir(dir.path()).arg("makemigrations").arg("--noinput");
                if check {
                    cmd.arg("--check");
                }
                let out = cmd.output().expect("run teapot");
                assert!(out.status.code() == Some(0), "teapot failed: {}", String::from_utf8_lossy(&out.stderr));
            }
            None => {
                let config = Config::load(Some(&config_path)).expect("config");
                let mut q = FlagQuestioner::default();
                let opts = MakeOptions { dry_run: check, ..Default::default() };
                let outcome = make_migrations(&config, &opts, &mut q).expect("makemigrations");
                assert_eq!(outcome.made.is_empty(), check, "unexpected outcome");
            }
        }
        start.elapsed().as_secs_f64()
    };
    let first = run(false);
    let check = run(true);
    let size = std::fs::read_dir(dir.path().join("migrations/bench"))
        .map(|d| d.flatten().map(|e| e.metadata().map(|m| m.len()).unwrap_or(0)).sum::<u64>())
        .unwrap_or(0);
    println!(
        "schema_bench: {models} models x 10 fields + 1 foreign key, an index on every tenth ({})",
        if bin.is_some() { "teapot binary" } else { "in process" }
    );
    println!("  makemigrations from nothing      {:>8.3} s   ({} KiB of migrations)", first, size / 1024);
    println!("  makemigrations --check, no change {:>8.3} s", check);
    let start = Instant::now();
    match bin {
        Some(b) => {
            let out = std::process::Command::new(b).current_dir(dir.path()).arg("check").output().expect("run teapot check");
            assert!(out.status.success(), "teapot check failed: {}", String::from_utf8_lossy(&out.stdout));
        }
        None => {
            let config = Config::load(Some(&config_path)).expect("config");
            let findings = teapot::migrate::check::run_offline(&config, &Default::default(), None).expect("check");
            assert!(findings.is_empty(), "unexpected findings: {findings:?}");
        }
    }
    println!("  check (no database)               {:>8.3} s", start.elapsed().as_secs_f64());

    if let Some(url) = database_url {
        let migrate = || -> f64 {
            let start = Instant::now();
            match bin {
                Some(b) => {
                    let out = std::process::Command::new(b)
                        .current_dir(dir.path())
                        .args(["migrate", "--database-url", url])
                        .output()
                        .expect("run teapot");
                    assert!(out.status.success(), "teapot migrate failed: {}", String::from_utf8_lossy(&out.stderr));
                }
                None => {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    rt.block_on(async {
                        let config = Config::load(Some(&config_path)).expect("config");
                        teapot::Migrator::connect(url).config(config).run().await.expect("migrate");
                    });
                }
            }
            start.elapsed().as_secs_f64()
        };
        let first = migrate();
        let again = migrate();
        println!("  migrate into an empty database   {:>8.3} s   ({})", first, teapot::migrate::backend::redact(url));
        println!("  migrate with nothing to do       {:>8.3} s", again);
    }
}
