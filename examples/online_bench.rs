//! Benchmark: how long the application's writes stall while a migration runs, plain and online.
//!
//!     cargo run --release --example online_bench -- [--rows 1000000] [--database-url postgres://...]
//!
//! For each recipe (add index, add unique, add foreign key, set NOT NULL, add column with a
//! default, add check) it fills a table with `--rows` rows, keeps a writer busy on it (an insert
//! and an update in a tight loop, on its own connection), applies the migration once plainly and
//! once with `--online`, and prints the longest gap between two successful writes while the
//! migration ran. The database is created fresh (`teapot_online_bench`) and dropped at the end.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use teapot::migrate::config::Config;
use teapot::migrate::loader::load_graph;
use teapot::migrate::make::{make_migrations, MakeOptions};
use teapot::migrate::questioner::FlagQuestioner;
use teapot::{Connection as Conn, Migrator};

const V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "bench")]
pub struct Parent {
    pub id: i64,
    pub name: String,
}

#[derive(Model)]
#[teapot(app = "bench")]
pub struct Item {
    pub id: i64,
    #[teapot(max_length = 40)]
    pub code: String,
    pub score: i32,
    pub note: Option<String>,
    #[teapot(db_column = "parent_id")]
    pub parent: Option<i64>,
}
"#;

fn recipes() -> Vec<(&'static str, String)> {
    vec![
        ("add index", V1.replace("    pub score: i32,", "    #[teapot(db_index)]\n    pub score: i32,")),
        ("add unique", V1.replace("#[teapot(max_length = 40)]", "#[teapot(max_length = 40, unique)]")),
        (
            "add foreign key",
            V1.replace(
                "    #[teapot(db_column = \"parent_id\")]\n    pub parent: Option<i64>,",
                "    #[teapot(on_delete = \"set_null\", related_name = \"items\")]\n    pub parent: Option<ForeignKey<Parent>>,",
            ),
        ),
        ("set NOT NULL", V1.replace("    pub note: Option<String>,", "    #[teapot(default = \"\")]\n    pub note: String,")),
        (
            "add column with a default",
            V1.replace("    pub score: i32,", "    pub score: i32,\n    #[teapot(default = false)]\n    pub flagged: bool,"),
        ),
        (
            "add check",
            V1.replace(
                "#[teapot(app = \"bench\")]\npub struct Item",
                "#[teapot(app = \"bench\", check(name = \"item_score_gte_0\", expr = \"score >= 0\"))]\npub struct Item",
            ),
        ),
    ]
}

fn project(dir: &Path, models: &str) -> Config {
    std::fs::create_dir_all(dir.join("models")).expect("mkdir");
    std::fs::write(dir.join("models/bench.rs"), models).expect("write models");
    std::fs::write(dir.join("teapot.toml"), "[apps.bench]\nmodels = [\"models/bench.rs\"]\n").expect("write toml");
    Config::load(Some(&dir.join("teapot.toml"))).expect("config")
}

struct Writer {
    stop: Arc<AtomicBool>,
    handle: tokio::task::JoinHandle<(Vec<Instant>, Vec<Instant>)>,
}

/// Inserts and updates in a tight loop; returns the times of successful and of failed writes.
fn start_writer(url: String) -> Writer {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = tokio::spawn(async move {
        let mut conn = Conn::open(&url).await.expect("writer connects");
        let mut times = Vec::with_capacity(1 << 16);
        let mut failures = Vec::new();
        let mut i = 0u64;
        while !flag.load(Ordering::Relaxed) {
            i += 1;
            let sql = if i.is_multiple_of(2) {
                format!("INSERT INTO bench_item (code, score, note, parent_id) VALUES ('w{i}-{}', 1, 'n', 1)", std::process::id())
            } else {
                format!("UPDATE bench_item SET score = score + 1 WHERE id = {}", 1 + (i * 7919) % 1000)
            };
            match conn.run(&sql).await {
                Ok(_) => times.push(Instant::now()),
                Err(_) => failures.push(Instant::now()),
            }
        }
        conn.close().await;
        (times, failures)
    });
    Writer { stop, handle }
}

fn max_gap(times: &[Instant], from: Instant, to: Instant) -> Duration {
    let mut last = from;
    let mut gap = Duration::ZERO;
    for &t in times.iter().filter(|&&t| t >= from && t <= to) {
        gap = gap.max(t - last);
        last = t;
    }
    gap.max(to.saturating_duration_since(last))
}

async fn run(url: &str, rows: u64, models: &str, online: bool) -> (Duration, u64, Duration) {
    let mut admin = Conn::open(url).await.expect("connect");
    admin.run("DROP SCHEMA public CASCADE; CREATE SCHEMA public;").await.expect("reset schema");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = project(dir.path(), V1);
    let mut q = FlagQuestioner::default();
    make_migrations(&config, &MakeOptions::default(), &mut q).expect("makemigrations v1");
    let graph = load_graph(&config).expect("graph");
    Migrator::connect(url).graph(graph).run().await.expect("migrate v1");
    admin.run("INSERT INTO bench_parent (name) VALUES ('p')").await.expect("parent");
    admin
        .run(&format!(
            "INSERT INTO bench_item (code, score, note, parent_id) SELECT 'c' || g, g % 1000, 'note ' || g, 1 FROM generate_series(1, {rows}) g; ANALYZE bench_item;"
        ))
        .await
        .expect("fill");
    let config = project(dir.path(), models);
    let mut q = FlagQuestioner::new(&[], true, &[]).expect("questioner");
    make_migrations(&config, &MakeOptions::default(), &mut q).expect("makemigrations v2");
    let graph = load_graph(&config).expect("graph");

    let writer = start_writer(url.to_string());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    Migrator::connect(url).graph(graph).online(online).run().await.expect("migrate v2");
    let end = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    writer.stop.store(true, Ordering::Relaxed);
    let (times, failures) = writer.handle.await.expect("writer");
    admin.close().await;
    // Only failures while the migration ran count: afterwards the writer is old code that does
    // not know the new schema (an insert without a new NOT NULL column fails, as it would with
    // Django, whose migrations also drop the default once the column is filled).
    let failed = failures.iter().filter(|&&t| t >= start && t <= end).count() as u64;
    (max_gap(&times, start, end), failed, end - start)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut rows = 1_000_000u64;
    let mut url = std::env::var("TEAPOT_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rows" => rows = args.next().and_then(|v| v.parse().ok()).expect("--rows N"),
            "--database-url" => url = args.next().expect("--database-url URL"),
            other => panic!("unknown argument {other}; usage: online_bench [--rows N] [--database-url URL]"),
        }
    }
    let base = url.rsplit_once('/').map(|(b, _)| b.to_string()).expect("a URL with a database");
    let bench_url = format!("{base}/teapot_online_bench");
    let mut admin = Conn::open(&url).await.expect("connect");
    let _ = admin.run("DROP DATABASE IF EXISTS teapot_online_bench WITH (FORCE)").await;
    admin.run("CREATE DATABASE teapot_online_bench").await.expect("create bench database");

    println!("online_bench: {rows} rows, a writer inserting and updating in a tight loop; longest gap between two successful writes");
    println!("{:<28} {:>14} {:>14} {:>10} {:>10}", "recipe", "plain", "online", "plain s", "online s");
    for (name, models) in recipes() {
        let (plain_gap, plain_failed, plain_t) = run(&bench_url, rows, &models, false).await;
        let (online_gap, online_failed, online_t) = run(&bench_url, rows, &models, true).await;
        println!(
            "{:<28} {:>11} ms {:>11} ms {:>10.2} {:>10.2}{}",
            name,
            plain_gap.as_millis(),
            online_gap.as_millis(),
            plain_t.as_secs_f64(),
            online_t.as_secs_f64(),
            if plain_failed + online_failed > 0 {
                format!("   writes failed during the migration: plain {plain_failed}, online {online_failed}")
            } else {
                String::new()
            }
        );
    }
    let _ = admin.run("DROP DATABASE IF EXISTS teapot_online_bench WITH (FORCE)").await;
    admin.close().await;
}
