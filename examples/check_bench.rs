//! Benchmark: `teapot check` on a generated project, without and with a database.
//!
//!     cargo run --release --example check_bench -- --models 1000 [--pg postgres://postgres@127.0.0.1:5432/postgres]
//!
//! Generates `--models` models (10 fields and a foreign key each, an index on every tenth: the
//! project of `schema_bench`), makes the migrations, then times what `teapot check` runs: without
//! a database (agreement, integrity, graph, lint), and with one — a SQLite file, and a PostgreSQL
//! database made on the `--pg` server when given — migrated first: reading what is applied, the
//! same offline checks, and drift (the expected schema rendered from the state, the live one read
//! from the catalogs). Drift itself is timed apart, split into its two halves. The databases are
//! dropped at the end. Prints the figures; asserts only that a freshly migrated database has no
//! drift and no finding.

use std::collections::BTreeSet;
use std::time::Instant;

use teapot::migrate::check::drift::{drift_report, DriftOptions};
use teapot::migrate::check::expected::expected_schema;
use teapot::migrate::check::{run_offline, CheckOptions};
use teapot::migrate::config::Config;
use teapot::migrate::loader::load_graph;
use teapot::migrate::make::{make_migrations, MakeOptions};
use teapot::migrate::questioner::FlagQuestioner;
use teapot::Connection as Conn;

#[path = "../tests/common/generated.rs"]
mod generated;
use generated::generate;

fn main() {
    let mut models = 1000usize;
    let mut pg: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--models" => models = args.next().and_then(|v| v.parse().ok()).expect("--models N"),
            "--pg" => pg = Some(args.next().expect("--pg URL")),
            other => panic!("unknown argument {other}; usage: check_bench [--models N] [--pg ADMIN_URL]"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(bench(models, pg));
}

async fn bench(models: usize, pg: Option<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(dir.path(), models);
    let config = Config::load(Some(&dir.path().join("teapot.toml"))).expect("config");
    make_migrations(&config, &MakeOptions::default(), &mut FlagQuestioner::default()).expect("makemigrations");
    println!("check_bench: {models} models x 10 fields + 1 foreign key, an index on every tenth");

    let start = Instant::now();
    let findings = run_offline(&config, &CheckOptions::default(), None).expect("check");
    assert!(findings.is_empty(), "unexpected findings: {findings:?}");
    println!("  check without a database               {:>8.3} s", start.elapsed().as_secs_f64());

    let mut urls = vec![("SQLite", format!("sqlite://{}", dir.path().join("bench.db").display()), None)];
    if let Some(admin) = &pg {
        let name = format!("teapot_check_bench_{}", std::process::id());
        let mut c = Conn::open(admin).await.expect("connect to --pg");
        c.run(&format!("CREATE DATABASE \"{name}\"")).await.expect("create the bench database");
        c.close().await;
        let (head, _) = admin.rsplit_once('/').expect("--pg names a database");
        urls.push(("PostgreSQL", format!("{head}/{name}"), Some(name)));
    }
    for (label, url, made) in &urls {
        let start = Instant::now();
        teapot::Migrator::connect(url).config(config.clone()).run().await.expect("migrate");
        let migrate = start.elapsed().as_secs_f64();

        let start = Instant::now();
        let mut conn = Conn::open(url).await.expect("connect");
        let applied = teapot::migrate::recorder::applied(&mut conn).await.expect("applied");
        let opts = CheckOptions { database_url: Some(url.clone()), ..Default::default() };
        let findings = run_offline(&config, &opts, Some(&applied)).expect("check");
        let graph = load_graph(&config).expect("graph");
        let keys: BTreeSet<String> = applied.iter().map(|a| a.key()).collect();
        let diffs = drift_report(&mut conn, &graph, &keys, &DriftOptions::default()).await.expect("drift");
        let whole = start.elapsed().as_secs_f64();
        assert!(findings.is_empty() && diffs.is_empty(), "a fresh migrate drifted: {findings:?} {diffs:?}");

        let start = Instant::now();
        let state = graph.state_until(|m| keys.contains(&m.key())).expect("state");
        let expected = expected_schema(&state, conn.dialect()).expect("expected");
        let render = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let live = teapot::migrate::backend::introspect::schema(&mut conn).await.expect("introspect");
        let introspect = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let diffs = drift_report(&mut conn, &graph, &keys, &DriftOptions::default()).await.expect("drift");
        let drift = start.elapsed().as_secs_f64();
        assert!(diffs.is_empty());
        conn.close().await;
        println!("  {label}: {} tables declared, {} in the database", expected.tables.len(), live.tables.len());
        println!(
            "    migrate into an empty database        {:>8.3} s   (what the old scratch-database drift rebuilt on every check)",
            migrate
        );
        println!("    check with the database               {:>8.3} s", whole);
        println!("      of which drift                      {:>8.3} s", drift);
        println!("        replay + render the expected     {:>8.3} s", render);
        println!("        read the live catalogs           {:>8.3} s", introspect);
        if let (Some(name), Some(admin)) = (made, &pg) {
            let mut c = Conn::open(admin).await.expect("connect to --pg");
            c.run(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await.expect("drop the bench database");
            c.close().await;
        }
    }
}
