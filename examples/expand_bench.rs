//! Benchmark: a column renamed and another widened from integer to bigint on a big table, by
//! expand / contract (`migrate --online`, then `--complete`) while two writers write, and the same
//! migration by a plain migrate for contrast.
//!
//!     cargo run --release --example expand_bench -- [--rows 1000000] [--database-url postgres://...]
//!
//! Online: one writer writes the old shape (`name`, `qty`) through the old version's views from
//! before the expand until the complete; the other writes the new shape (`title`, `qty` bigint)
//! through the new version's views from the moment they exist until after the complete. Each
//! inserts a row and updates one of its own in turn. Printed: the longest gap between two
//! successful writes of each writer, how many writes failed, and the wall time of the expand and
//! of the complete. Plain: one writer of the old shape while the plain migrate runs (its writes
//! fail once the column is renamed: that is the downtime expand / contract avoids).
//! The database `teapot_expand_bench` is created fresh and dropped at the end.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use teapot::migrate::config::Config;
use teapot::migrate::loader::load_graph;
use teapot::migrate::make::{make_migrations, MakeOptions};
use teapot::migrate::online_executor::{Finish, OnlineOptions};
use teapot::migrate::questioner::FlagQuestioner;
use teapot::{Connection as Conn, Migrator};

const V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "bench")]
pub struct Item {
    pub id: i64,
    #[teapot(max_length = 40)]
    pub name: String,
    pub qty: i32,
    pub note: Option<String>,
}
"#;

fn project(dir: &Path, models: &str) -> Config {
    std::fs::create_dir_all(dir.join("models")).expect("mkdir");
    std::fs::write(dir.join("models/bench.rs"), models).expect("write models");
    std::fs::write(dir.join("teapot.toml"), "[apps.bench]\nmodels = [\"models/bench.rs\"]\n").expect("write toml");
    Config::load(Some(&dir.join("teapot.toml"))).expect("config")
}

/// What a writer saw: the times of its successful writes, and how many failed.
struct Seen {
    times: Vec<Instant>,
    failed: u64,
}

struct Writer {
    stop: Arc<AtomicBool>,
    handle: tokio::task::JoinHandle<Seen>,
}

/// Writes `name_col` / qty through `schema` (waiting for it to exist when `wait`): an insert and
/// an update of one of its own rows in turn, as plain text statements.
fn start_writer(url: String, schema: String, name_col: &'static str, base: i64, wait: bool) -> Writer {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = tokio::spawn(async move {
        let mut conn = Conn::open(&url).await.expect("writer connects");
        while wait && !flag.load(Ordering::Relaxed) {
            let there: Option<bool> =
                conn.fetch_scalar(&format!("SELECT to_regnamespace('{schema}') IS NOT NULL"), &[]).await.expect("poll");
            if there == Some(true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        conn.run(&format!("SET search_path = \"{schema}\", public")).await.expect("search_path");
        let mut seen = Seen { times: Vec::with_capacity(1 << 16), failed: 0 };
        let mut i = 0i64;
        let mut last_insert = None;
        while !flag.load(Ordering::Relaxed) {
            i += 1;
            let sql = match last_insert {
                Some(id) if i % 2 == 0 => format!("UPDATE bench_item SET qty = qty + 1 WHERE id = {id}"),
                _ => format!("INSERT INTO bench_item (id, {name_col}, qty) VALUES ({}, 'w', 1)", base + i),
            };
            match conn.run(&sql).await {
                Ok(_) => {
                    if sql.starts_with("INSERT") {
                        last_insert = Some(base + i);
                    }
                    seen.times.push(Instant::now());
                }
                Err(_) => seen.failed += 1,
            }
        }
        conn.close().await;
        seen
    });
    Writer { stop, handle }
}

impl Writer {
    async fn finish(self) -> Seen {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.await.expect("writer")
    }
}

/// The longest time without a successful write between `from` and `to`.
fn max_gap(times: &[Instant], from: Instant, to: Instant) -> Duration {
    let mut last = from;
    let mut gap = Duration::ZERO;
    for &t in times.iter().filter(|&&t| t >= from && t <= to) {
        gap = gap.max(t - last);
        last = t;
    }
    gap.max(to.saturating_duration_since(last))
}

/// A fresh schema with v1, `rows` rows, and the migration (rename + widen) written.
async fn prepare(url: &str, rows: u64, dir: &Path) -> Config {
    let mut admin = Conn::open(url).await.expect("connect");
    admin.run("DROP SCHEMA public CASCADE; CREATE SCHEMA public;").await.expect("reset schema");
    let _ = std::fs::remove_dir_all(dir.join("migrations"));
    let config = project(dir, V1);
    make_migrations(&config, &MakeOptions::default(), &mut FlagQuestioner::default()).expect("makemigrations v1");
    Migrator::connect(url).graph(load_graph(&config).expect("graph")).run().await.expect("migrate v1");
    admin
        .run(&format!(
            "INSERT INTO bench_item (name, qty, note) SELECT 'n' || g, g % 1000, 'note ' || g FROM generate_series(1, {rows}) g; ANALYZE bench_item;"
        ))
        .await
        .expect("fill");
    admin.close().await;
    let v2 = V1.replace("pub name: String", "pub title: String").replace("pub qty: i32", "pub qty: i64");
    let config = project(dir, &v2);
    let mut q = FlagQuestioner::new(&["bench.Item.name=title".to_string()], false, &[]).expect("questioner");
    make_migrations(&config, &MakeOptions::default(), &mut q).expect("makemigrations v2");
    config
}

fn names(config: &Config) -> (String, String) {
    let graph = load_graph(config).expect("graph");
    let mut keys: Vec<String> = graph.order().expect("order").iter().map(|m| m.name.clone()).collect();
    let second = keys.pop().expect("two migrations");
    (keys.pop().expect("two migrations"), second)
}

fn options(finish: Option<Finish>) -> OnlineOptions {
    OnlineOptions { finish, ..OnlineOptions::default() }
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
            other => panic!("unknown argument {other}; usage: expand_bench [--rows N] [--database-url URL]"),
        }
    }
    let base = url.rsplit_once('/').map(|(b, _)| b.to_string()).expect("a URL with a database");
    let bench_url = format!("{base}/teapot_expand_bench");
    let mut admin = Conn::open(&url).await.expect("connect");
    let _ = admin.run("DROP DATABASE IF EXISTS teapot_expand_bench WITH (FORCE)").await;
    admin.run("CREATE DATABASE teapot_expand_bench").await.expect("create bench database");
    let dir = tempfile::tempdir().expect("temp dir");
    println!("expand_bench: {rows} rows; rename name -> title and widen qty integer -> bigint in one migration");

    // Online: expand, both writers, complete.
    let config = prepare(&bench_url, rows, dir.path()).await;
    let (first, second) = names(&config);
    let (old, new) = (format!("teapot_v_bench_{first}"), format!("teapot_v_bench_{second}"));
    let old_writer = start_writer(bench_url.clone(), old, "name", 100_000_000, false);
    let new_writer = start_writer(bench_url.clone(), new, "title", 200_000_000, true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = Instant::now();
    Migrator::connect(&bench_url).config(config.clone()).online_options(options(None)).run().await.expect("expand");
    let t1 = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let old_seen = old_writer.finish().await;
    let t2 = Instant::now();
    Migrator::connect(&bench_url).config(config.clone()).online_options(options(Some(Finish::Complete))).run().await.expect("complete");
    let t3 = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let new_seen = new_writer.finish().await;
    let new_from = new_seen.times.first().copied().unwrap_or(t1);
    println!("online   expand {:.2}s, complete {:.2}s", (t1 - t0).as_secs_f64(), (t3 - t2).as_secs_f64());
    println!(
        "  old-shape writer: longest gap {} ms over the expand, {} writes failed",
        max_gap(&old_seen.times, t0, t1).as_millis(),
        old_seen.failed
    );
    println!(
        "  new-shape writer: longest gap {} ms from its first write through the complete, {} writes failed",
        max_gap(&new_seen.times, new_from, t3).as_millis(),
        new_seen.failed
    );

    // Plain: the same migration, an old-shape writer on the table.
    let config = prepare(&bench_url, rows, dir.path()).await;
    let (first, _) = names(&config);
    let writer = start_writer(bench_url.clone(), format!("teapot_v_bench_{first}"), "name", 100_000_000, false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = Instant::now();
    Migrator::connect(&bench_url).config(config).run().await.expect("plain migrate");
    let t1 = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = writer.finish().await;
    println!(
        "plain    migrate {:.2}s; old-shape writer: longest gap {} ms, {} writes failed (every write after the rename)",
        (t1 - t0).as_secs_f64(),
        max_gap(&seen.times, t0, t1).as_millis(),
        seen.failed
    );
    let _ = admin.run("DROP DATABASE IF EXISTS teapot_expand_bench WITH (FORCE)").await;
    admin.close().await;
}
