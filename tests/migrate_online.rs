//! `migrate --online` on a real PostgreSQL: every recipe runs while another connection writes to
//! the table (no write may fail), a run killed at any step boundary resumes to the same schema, an
//! INVALID index left by a failed build is rebuilt, blockers are named, one migrator runs at a
//! time, table rewrites are refused, and `sqlmigrate --online` shows each step's lock.
//!
//! Every final schema is compared with the one a plain `migrate` of the same migrations builds on
//! a fresh database.

mod common;

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::db::{applied, migrate, TestDb};
use common::Project;
use teapot::migrate::executor::Event;
use teapot::migrate::loader::load_graph;
use teapot::migrate::online_executor::{self as online, OnlineOptions};
use teapot::Connection as Conn;

const APP: &str = "shop";

const V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "shop")]
pub struct Owner {
    pub id: i64,
    #[teapot(max_length = 50)]
    pub name: String,
}

#[derive(Model)]
#[teapot(app = "shop")]
pub struct Item {
    pub id: i64,
    #[teapot(max_length = 50)]
    pub name: String,
    pub qty: i32,
    #[teapot(max_length = 30)]
    pub code: String,
    pub note: Option<String>,
}
"#;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Recipe {
    Index,
    Unique,
    ForeignKey,
    NotNull,
    AddColumn,
    Check,
    Backfill,
    Widen,
    FieldUnique,
    FieldIndex,
    VolatileDefault,
}

fn item_attrs(extra: &str) -> String {
    V1.replace("#[teapot(app = \"shop\")]\npub struct Item", &format!("#[teapot(app = \"shop\", {extra})]\npub struct Item"))
}

/// The models after the change (the backfill is a hand-written migration on unchanged models).
fn v2(r: Recipe) -> String {
    match r {
        Recipe::Index => item_attrs("index(fields = [\"qty\", \"name\"], name = \"item_qty_name_idx\")"),
        Recipe::Unique => item_attrs("unique(fields = [\"code\"], name = \"item_code_uniq\")"),
        Recipe::Check => item_attrs("check(name = \"item_qty_gte_0\", expr = \"qty >= 0\")"),
        Recipe::ForeignKey => V1.replace(
            "    pub note: Option<String>,\n}",
            "    pub note: Option<String>,\n    #[teapot(on_delete = \"set_null\")]\n    pub owner: Option<ForeignKey<Owner>>,\n}",
        ),
        Recipe::NotNull => V1.replace("    pub note: Option<String>,", "    #[teapot(default = \"none\")]\n    pub note: String,"),
        Recipe::AddColumn => V1.replace(
            "    pub note: Option<String>,\n}",
            "    pub note: Option<String>,\n    #[teapot(db_default = \"0\")]\n    pub score: i32,\n}",
        ),
        Recipe::Widen => V1.replacen(
            "#[teapot(max_length = 50)]\n    pub name: String,\n    pub qty",
            "#[teapot(max_length = 100)]\n    pub name: String,\n    pub qty",
            1,
        ),
        Recipe::FieldUnique => V1.replace("#[teapot(max_length = 30)]", "#[teapot(max_length = 30, unique)]"),
        Recipe::FieldIndex => V1.replace("#[teapot(max_length = 30)]", "#[teapot(max_length = 30, db_index)]"),
        Recipe::VolatileDefault => V1.replace(
            "    pub note: Option<String>,\n}",
            "    pub note: Option<String>,\n    #[teapot(db_default = \"floor(random() * 10)::int\")]\n    pub rank: i32,\n}",
        ),
        Recipe::Backfill => V1.to_string(),
    }
}

/// A project at v1 with its initial migration, and v2 made into a second migration.
fn project(r: Recipe) -> (Project, String, String) {
    let p = Project::new(&[(APP, V1)]);
    p.make();
    let first = p.names(APP)[0].clone();
    if r == Recipe::Backfill {
        p.write_migration(
            APP,
            "0002_fill_note",
            &format!(
                "dependencies = [\"{APP}/{first}\"]\n\n[[operations]]\nop = \"backfill\"\nmodel = \"Item\"\n\
                 set = \"note = 'filled'\"\nwhere = \"note IS NULL\"\nbatch_size = 700\npause_ms = 1\n"
            ),
        );
    } else {
        p.set(APP, &v2(r));
        p.make();
    }
    let names = p.names(APP);
    assert_eq!(names.len(), 2, "{r:?}: one migration for v2, got {names:?}");
    (p, first, names[1].clone())
}

/// A fresh database at v1 with `rows` items (a third of them with a NULL note) and 10 owners.
async fn db_at_v1(p: &Project, first: &str, rows: u32) -> TestDb {
    let db = TestDb::postgres().await;
    migrate(&p.config, &db.url, Some(APP), Some(first)).await.expect("plain migrate to v1");
    db.exec("INSERT INTO shop_owner (name) SELECT 'owner ' || g FROM generate_series(1, 10) g").await;
    db.exec(&format!(
        "INSERT INTO shop_item (name, qty, code, note) SELECT 'item ' || g, g % 100, 'c' || g, \
         CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' END FROM generate_series(1, {rows}) g"
    ))
    .await;
    db
}

/// The schema a plain `migrate` of all the migrations builds on a fresh database.
async fn plain_schema(p: &Project) -> Vec<String> {
    let db = TestDb::postgres().await;
    migrate(&p.config, &db.url, None, None).await.expect("plain migrate");
    db.schema().await
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    db.column(&format!("SELECT ({sql})::text")).await[0].as_deref().unwrap_or("0").parse().expect("a count")
}

async fn progress_rows(db: &TestDb) -> i64 {
    count(db, "SELECT count(*) FROM teapot_online_progress").await
}

/// What `migrate --online` does, in process: the migration lock, the plan, the online runner.
/// Returns the messages it printed.
async fn run_online(p: &Project, url: &str, opts: &OnlineOptions) -> teapot::Result<Vec<String>> {
    let mut msgs = Vec::new();
    teapot::Migrator::connect(url)
        .config(p.config.clone())
        .online_options(opts.clone())
        .on_event(|e| {
            if let Event::Message(m) = e {
                msgs.push(m);
            }
        })
        .run()
        .await?;
    Ok(msgs)
}

/// Reads a child's output in a thread: returns the first line holding `needle` (waiting at most
/// a minute, so the test waits on the event, not a sleep) and, joined, everything it printed.
fn watch_output(
    stdout: std::process::ChildStdout,
    needle: impl Into<String>,
) -> (std::sync::mpsc::Receiver<String>, std::thread::JoinHandle<String>) {
    let needle: String = needle.into();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut all = String::new();
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains(&needle) {
                let _ = tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    (rx, reader)
}

async fn first_line(rx: std::sync::mpsc::Receiver<String>, what: &str) -> String {
    let what = what.to_string();
    tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60))).await.expect("join").unwrap_or_else(|_| panic!("{what}"))
}

/// The `teapot` binary, run in the project with `--database-url`.
fn teapot_cmd(p: &Project, url: &str, args: &[&str]) -> Command {
    let mut c = Command::new(common::cli::teapot_bin());
    c.args(args).args(["--database-url", url]).current_dir(p.root()).env_remove("TEAPOT_TEST_KILL_AFTER_STEP").env_remove("DATABASE_URL");
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Asserts the end state of an online run: the plain schema, nothing INVALID, no progress left,
/// each migration recorded exactly once.
async fn assert_finished(db: &TestDb, first: &str, second: &str, expected: &[String]) {
    let schema = db.schema().await;
    assert!(!schema.iter().any(|l| l.contains("INVALID")), "an INVALID index is left: {schema:#?}");
    assert_eq!(schema, expected, "online schema != plain schema");
    assert_eq!(progress_rows(db).await, 0, "teapot_online_progress is not empty");
    assert_eq!(applied(&db.url).await, vec![format!("{APP}/{first}"), format!("{APP}/{second}")]);
    assert_eq!(count(db, &format!("SELECT count(*) FROM teapot_migrations WHERE name = '{second}'")).await, 1);
}

/// A session that inserts and updates items in a tight loop, each statement in its own
/// transaction, as the application would while the migration runs. It measures the longest gap
/// between two successful writes: a write blocked behind the migration's lock shows as a gap.
struct Writer {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<(Vec<String>, Duration)>,
}

impl Writer {
    async fn start(url: &str, rows: u32) -> Writer {
        let (stop, ok) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
        let mut conn = Conn::open(url).await.expect("writer connects");
        let (s, o) = (stop.clone(), ok.clone());
        let task = tokio::spawn(async move {
            let mut errors = Vec::new();
            let mut i = 0u64;
            let (mut last_ok, mut longest) = (Instant::now(), Duration::ZERO);
            while !s.load(Ordering::SeqCst) {
                i += 1;
                let id = 1 + (i * 7919) % rows as u64;
                let ins = conn
                    .execute(
                        "INSERT INTO shop_item (name, qty, code, note) VALUES ('writer', $1 % 100, 'w' || $1, 'w')",
                        &[teapot::orm::Value::I32(i as i32)],
                    )
                    .await;
                let upd = conn
                    .execute("UPDATE shop_item SET qty = qty + 1, name = 'updated' WHERE id = $1", &[teapot::orm::Value::I64(id as i64)])
                    .await;
                for r in [ins, upd] {
                    match r {
                        Ok(_) => {
                            o.fetch_add(1, Ordering::SeqCst);
                            longest = longest.max(last_ok.elapsed());
                            last_ok = Instant::now();
                        }
                        Err(e) => errors.push(e.to_string()),
                    }
                }
            }
            conn.close().await;
            (errors, longest)
        });
        let w = Writer { stop, ok, task };
        w.wait_for(20).await;
        w
    }

    /// Waits until `n` more writes have succeeded (no timing asserted: it only waits).
    async fn wait_for(&self, n: u64) {
        let target = self.ok.load(Ordering::SeqCst) + n;
        while self.ok.load(Ordering::SeqCst) < target && !self.task.is_finished() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops; returns the writes done, the errors, and the longest gap between two writes.
    async fn finish(self) -> (u64, Vec<String>, Duration) {
        self.wait_for(20).await;
        self.stop.store(true, Ordering::SeqCst);
        let (errors, longest) = self.task.await.expect("writer task");
        (self.ok.load(Ordering::SeqCst), errors, longest)
    }
}

/// A transaction of the application's that is in flight when the migration starts: it has
/// written to shop_item (so it holds ROW EXCLUSIVE on it) and commits after `STRAGGLER`. A
/// migration that takes a lock conflicting with writes queues behind it, and every write queues
/// behind the migration: the writer stalls for the straggler's whole life, unless the lock is
/// taken CONCURRENTLY or under a short lock_timeout. That is what makes the writer's gap a
/// measure that can fail.
const STRAGGLER: Duration = Duration::from_secs(3);

/// The longest a write may wait during an online migration: far above the 100 ms lock_timeout the
/// tests use (plus a backoff), far below the straggler's 3 s a blocking migration waits out.
const MAX_WRITE_GAP: Duration = Duration::from_secs(1);

async fn start_straggler(db: &TestDb) -> tokio::task::JoinHandle<()> {
    let mut c = db.conn().await;
    c.run("BEGIN").await.expect("begin");
    c.run("INSERT INTO shop_item (name, qty, code, note) VALUES ('straggler', 0, 'straggler', 's')").await.expect("write");
    tokio::spawn(async move {
        tokio::time::sleep(STRAGGLER).await;
        c.run("COMMIT").await.expect("commit");
        c.close().await;
    })
}

/// Online options for the tests: a short lock_timeout, and attempts enough to outlast the straggler.
fn test_options() -> OnlineOptions {
    OnlineOptions { lock_timeout: Duration::from_millis(100), lock_attempts: 30, ..OnlineOptions::default() }
}

async fn relfilenode(db: &TestDb, table: &str) -> String {
    db.column(&format!("SELECT relfilenode::text FROM pg_class WHERE relname = '{table}'")).await[0].clone().expect("table")
}

/// v1 with 20k rows, then v2 online while a writer writes; the result must be what a plain
/// migrate builds, with every write done.
async fn recipe_under_writes(r: Recipe) {
    let (p, first, second) = project(r);
    let expected = plain_schema(&p).await;
    let db = db_at_v1(&p, &first, 20_000).await;
    let nulls = count(&db, "SELECT count(*) FROM shop_item WHERE note IS NULL").await;
    let file_before = relfilenode(&db, "shop_item").await;
    let writer = Writer::start(&db.url, 20_000).await;
    let before = writer.ok.load(Ordering::SeqCst);
    let straggler = start_straggler(&db).await;
    let res = run_online(&p, &db.url, &test_options()).await;
    let (ok, errors, gap) = writer.finish().await;
    straggler.await.expect("straggler");
    let msgs = res.unwrap_or_else(|e| panic!("{r:?}: online migrate failed: {e}"));
    assert!(
        errors.is_empty(),
        "{r:?}: {} writes failed during the migration, first: {:?}\nsteps: {msgs:#?}",
        errors.len(),
        &errors[..errors.len().min(3)]
    );
    assert!(ok > before + 20, "{r:?}: the writer made no progress");
    assert!(
        gap < MAX_WRITE_GAP,
        "{r:?}: writes stalled for {gap:?} during the online migration (bound {MAX_WRITE_GAP:?})\nsteps: {msgs:#?}"
    );
    assert_finished(&db, &first, &second, &expected).await;
    match r {
        Recipe::NotNull => {
            assert_eq!(count(&db, "SELECT count(*) FROM shop_item WHERE note = 'none'").await, nulls, "NULLs backfilled with the default");
        }
        Recipe::Backfill => {
            assert_eq!(count(&db, "SELECT count(*) FROM shop_item WHERE note IS NULL").await, 0);
            assert_eq!(count(&db, "SELECT count(*) FROM shop_item WHERE note = 'filled'").await, nulls);
        }
        Recipe::AddColumn => {
            assert_eq!(count(&db, "SELECT count(*) FROM shop_item WHERE score <> 0").await, 0);
            assert_eq!(relfilenode(&db, "shop_item").await, file_before, "a constant default must not rewrite the table");
        }
        Recipe::Unique => assert!(db.schema().await.iter().any(|l| l.contains("unique (code) [item_code_uniq]"))),
        Recipe::Check => assert!(db.schema().await.iter().any(|l| l.contains("[item_qty_gte_0]") && !l.contains("NOT VALID"))),
        _ => {}
    }
}

/// The control for the measure above: the same index added by a plain migrate, behind the same
/// straggler, stalls the writer for longer than the bound. (If this fails, the bound no longer
/// tells a blocking migration from an online one.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_migrate_stalls_writers_past_the_bound() {
    let (p, first, _second) = project(Recipe::Index);
    let db = db_at_v1(&p, &first, 20_000).await;
    let writer = Writer::start(&db.url, 20_000).await;
    let straggler = start_straggler(&db).await;
    migrate(&p.config, &db.url, None, None).await.expect("plain migrate");
    let (_, errors, gap) = writer.finish().await;
    straggler.await.expect("straggler");
    assert!(errors.is_empty(), "{errors:?}");
    assert!(gap >= MAX_WRITE_GAP, "a plain CREATE INDEX behind a 3 s transaction stalled writes only {gap:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_index_under_writes() {
    recipe_under_writes(Recipe::Index).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_unique_constraint_under_writes() {
    recipe_under_writes(Recipe::Unique).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_foreign_key_under_writes() {
    recipe_under_writes(Recipe::ForeignKey).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_not_null_with_default_under_writes() {
    recipe_under_writes(Recipe::NotNull).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_not_null_column_with_constant_default_under_writes() {
    recipe_under_writes(Recipe::AddColumn).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_check_constraint_under_writes() {
    recipe_under_writes(Recipe::Check).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_under_writes() {
    recipe_under_writes(Recipe::Backfill).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_unique_under_writes() {
    recipe_under_writes(Recipe::FieldUnique).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_index_with_like_index_under_writes() {
    recipe_under_writes(Recipe::FieldIndex).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_column_with_volatile_default_under_writes() {
    recipe_under_writes(Recipe::VolatileDefault).await;
}

/// Kills the binary after each step in turn, then runs it again: same schema as uninterrupted.
/// A concurrent index step is also made to look as if the crash came after the build and before
/// its record (the record is deleted): the rerun must keep the index, not fail on it.
async fn resume_after_every_step(r: Recipe) {
    let (p, first, second) = project(r);
    let expected = plain_schema(&p).await;
    let graph = load_graph(&p.config).expect("graph");
    let key = format!("{APP}/{second}");
    let steps = online::online_steps(&graph, &key, |m| m.key() != key, false).expect("steps");
    assert!(steps.len() >= 2, "{r:?}: expected several steps, got {steps:#?}");
    for k in 1..=steps.len() {
        for lose_record in [false, true] {
            let step = &steps[k - 1].1;
            if lose_record && step.transaction {
                continue; // a transactional step is recorded in its own transaction
            }
            let db = db_at_v1(&p, &first, 3_000).await;
            let out = teapot_cmd(&p, &db.url, &["migrate", "--online"])
                .env("TEAPOT_TEST_KILL_AFTER_STEP", k.to_string())
                .output()
                .expect("run teapot");
            assert!(
                !out.status.success(),
                "{r:?} k={k}: the run must be killed (is the binary built with the test hooks? scripts/test.sh passes \
                 --features teapot-cli/test-hooks)\n{}",
                text(&out)
            );
            {
                use std::os::unix::process::ExitStatusExt;
                assert_eq!(out.status.signal(), Some(9), "{r:?} k={k}: killed by SIGKILL\n{}", text(&out));
            }
            assert_eq!(progress_rows(&db).await, k as i64, "{r:?} k={k}: steps recorded before the kill");
            assert_eq!(applied(&db.url).await.len(), 1, "{r:?} k={k}: not recorded as applied yet");
            if lose_record {
                db.exec(&format!("DELETE FROM teapot_online_progress WHERE step = {k}")).await;
            }
            let out = teapot_cmd(&p, &db.url, &["migrate", "--online"]).output().expect("run teapot");
            assert!(out.status.success(), "{r:?} k={k} lose_record={lose_record}: the rerun failed\n{}", text(&out));
            let t = text(&out);
            assert_eq!(t.matches("(done before)").count(), if lose_record { k - 1 } else { k }, "{r:?} k={k}: finished steps skipped\n{t}");
            assert_finished(&db, &first, &second, &expected).await;
        }
    }
}

#[tokio::test]
async fn unique_resumes_after_kill_at_every_step() {
    resume_after_every_step(Recipe::Unique).await;
}

#[tokio::test]
async fn foreign_key_resumes_after_kill_at_every_step() {
    resume_after_every_step(Recipe::ForeignKey).await;
}

#[tokio::test]
async fn not_null_resumes_after_kill_at_every_step() {
    resume_after_every_step(Recipe::NotNull).await;
}

#[tokio::test]
async fn invalid_unique_index_is_rebuilt_after_the_data_is_fixed() {
    let (p, first, second) = project(Recipe::Unique);
    let expected = plain_schema(&p).await;
    let db = db_at_v1(&p, &first, 5_000).await;
    db.exec("UPDATE shop_item SET code = 'dup' WHERE id IN (10, 20)").await;
    let err = run_online(&p, &db.url, &OnlineOptions::default()).await.expect_err("duplicates must fail the unique build");
    let msg = err.to_string();
    assert!(msg.contains("step 1") && msg.contains("item_code_uniq") && msg.contains("could not create unique index"), "{msg}");
    assert!(msg.contains("Key (code)=(dup) is duplicated"), "PostgreSQL's DETAIL says which key: {msg}");
    let schema = db.schema().await;
    assert!(schema.iter().any(|l| l.contains("INVALID [item_code_uniq]")), "PostgreSQL leaves an INVALID index: {schema:#?}");
    assert_eq!(applied(&db.url).await.len(), 1);

    db.exec("UPDATE shop_item SET code = 'fixed' || id WHERE code = 'dup'").await;
    let msgs = run_online(&p, &db.url, &OnlineOptions::default()).await.expect("the rerun succeeds");
    assert!(msgs.iter().any(|m| m.contains("INVALID") && m.contains("built again")), "{msgs:#?}");
    assert_finished(&db, &first, &second, &expected).await;
    assert!(db.schema().await.iter().any(|l| l == "shop_item unique (code) [item_code_uniq]"), "{:#?}", db.schema().await);
}

/// A migrator killed (SIGKILL) while its CREATE UNIQUE INDEX CONCURRENTLY runs leaves its backend
/// running the build and holding the migration lock. A rerun started at once must wait for that
/// backend without holding a snapshot the build waits for (a blocking pg_advisory_lock would: the
/// two then deadlock), say what it waits for, and go on when the orphaned build ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_waits_out_an_orphaned_index_build_without_deadlock() {
    let (p, first, second) = project(Recipe::Unique);
    let expected = plain_schema(&p).await;
    let db = db_at_v1(&p, &first, 2_000).await;
    // A transaction with a snapshot older than the build: the build waits for it to end.
    let mut old = db.conn().await;
    let old_pid = old.fetch_scalar::<i32>("SELECT pg_backend_pid()", &[]).await.expect("pid").expect("pid");
    old.run("BEGIN ISOLATION LEVEL REPEATABLE READ").await.expect("begin");
    old.run("SELECT count(*) FROM shop_item").await.expect("take a snapshot");

    let mut first_run = teapot_cmd(&p, &db.url, &["migrate", "--online"]).spawn().expect("spawn teapot");
    // The build says which transaction it waits for (pg_stat_progress_create_index.current_locker_pid).
    let (rx, _) = watch_output(first_run.stdout.take().expect("stdout"), format!("waiting for pid {old_pid} "));
    let waiting = first_line(rx, "the build names the transaction it waits for").await;
    assert!(waiting.contains(&format!("pid {old_pid}")) && waiting.contains("SELECT count(*) FROM shop_item"), "{waiting}");
    first_run.kill().expect("SIGKILL the migrator");
    first_run.wait().expect("reap it");
    assert_eq!(
        count(&db, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE UNIQUE INDEX CONCURRENTLY%'").await,
        1,
        "the killed migrator's backend goes on building"
    );

    let mut rerun = teapot_cmd(&p, &db.url, &["migrate", "--online"]).spawn().expect("spawn the rerun");
    let (rx, reader) = watch_output(rerun.stdout.take().expect("stdout"), "waiting for the migration lock");
    let said = first_line(rx, "the rerun says what it waits for").await;
    assert!(said.contains("CREATE UNIQUE INDEX CONCURRENTLY"), "it names the orphaned build: {said}");
    // Still waiting, and nothing in a deadlock: the old transaction ends, the build finishes, its
    // backend finds its client gone and exits, the lock is free.
    old.run("COMMIT").await.expect("end the old transaction");
    old.close().await;
    let mut stderr_pipe = rerun.stderr.take().expect("stderr");
    let status = tokio::task::spawn_blocking(move || rerun.wait()).await.expect("join").expect("wait");
    let printed = reader.join().expect("reader");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut stderr_pipe, &mut stderr).expect("read stderr");
    assert!(status.success(), "{printed}{stderr}");
    assert!(!printed.contains("deadlock"), "{printed}");
    assert_finished(&db, &first, &second, &expected).await;
}

#[tokio::test]
async fn blockers_are_named_and_finished_steps_are_kept() {
    let (p, first, second) = project(Recipe::Unique);
    let expected = plain_schema(&p).await;
    let db = db_at_v1(&p, &first, 2_000).await;
    let mut blocker = db.conn().await;
    let pid = blocker.fetch_scalar::<i32>("SELECT pg_backend_pid()", &[]).await.expect("pid").expect("pid");
    blocker.run("SET application_name = 'blocker_test'").await.expect("set");
    blocker.run("BEGIN").await.expect("begin");
    blocker.run("SELECT count(*) FROM shop_item").await.expect("read");

    let args = ["migrate", "--online", "--lock-timeout", "100ms", "--lock-attempts", "2"];
    let out = teapot_cmd(&p, &db.url, &args).output().expect("run teapot");
    let t = text(&out);
    assert!(!out.status.success(), "the ACCESS EXCLUSIVE step must give up\n{t}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ACCESS EXCLUSIVE") && err.contains("2 times"), "{err}");
    assert!(err.contains(&format!("pid {pid}")), "the blocker's pid {pid} is named: {err}");
    assert!(err.contains("blocker_test"), "the blocker's application_name is named: {err}");
    assert!(err.contains("SELECT count(*) FROM shop_item"), "the blocker's query is named: {err}");
    assert!(err.contains("idle in transaction"), "{err}");
    assert_eq!(applied(&db.url).await.len(), 1, "nothing recorded as applied");
    assert_eq!(count(&db, "SELECT count(*) FROM teapot_online_progress WHERE finished").await, 1, "the index build is kept");
    let index_oid = db.column("SELECT 'item_code_uniq'::regclass::oid::text").await;

    blocker.run("COMMIT").await.expect("commit");
    blocker.close().await;
    let out = teapot_cmd(&p, &db.url, &args).output().expect("run teapot");
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("step 1/2: Build unique index item_code_uniq concurrently (done before)"), "{t}");
    assert!(!t.contains("index item_code_uniq exists"), "step 1 is not run again: {t}");
    assert_eq!(db.column("SELECT 'item_code_uniq'::regclass::oid::text").await, index_oid, "the index built before is the one attached");
    assert_finished(&db, &first, &second, &expected).await;
}

/// A foreign key's NOT VALID step also locks the referenced table: a session writing to it is
/// named as the blocker.
#[tokio::test]
async fn a_blocker_on_the_referenced_table_is_named() {
    let (p, first, second) = project(Recipe::ForeignKey);
    let expected = plain_schema(&p).await;
    let db = db_at_v1(&p, &first, 1_000).await;
    let mut blocker = db.conn().await;
    let pid = blocker.fetch_scalar::<i32>("SELECT pg_backend_pid()", &[]).await.expect("pid").expect("pid");
    blocker.run("SET application_name = 'owner_writer'").await.expect("set");
    blocker.run("BEGIN").await.expect("begin");
    blocker.run("UPDATE shop_owner SET name = 'renamed' WHERE id = 1").await.expect("write");
    let args = ["migrate", "--online", "--lock-timeout", "100ms", "--lock-attempts", "2"];
    let out = teapot_cmd(&p, &db.url, &args).output().expect("run teapot");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(err.contains("SHARE ROW EXCLUSIVE") && err.contains(&format!("pid {pid}")) && err.contains("owner_writer"), "{err}");
    assert!(err.contains("on shop_owner: UPDATE shop_owner SET name = 'renamed' WHERE id = 1"), "{err}");
    blocker.run("COMMIT").await.expect("commit");
    blocker.close().await;
    let out = teapot_cmd(&p, &db.url, &args).output().expect("run teapot");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("step 1/4: Add column owner_id (metadata only) (done before)"), "{}", text(&out));
    assert_finished(&db, &first, &second, &expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_migrator_at_a_time() {
    let (p, first, second) = project(Recipe::Index);
    let expected = plain_schema(&p).await;
    let db = db_at_v1(&p, &first, 1_000).await;
    let mut holder = db.conn().await;
    let pid = holder.fetch_scalar::<i32>("SELECT pg_backend_pid()", &[]).await.expect("pid").expect("pid");
    holder.run(&format!("SELECT pg_advisory_lock({})", online::MIGRATION_LOCK_KEY)).await.expect("take the lock");

    let out = teapot_cmd(&p, &db.url, &["migrate", "--online", "--no-wait"]).output().expect("run teapot");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(err.contains("another migrator holds the migration lock") && err.contains(&format!("pid {pid}")), "{err}");
    assert_eq!(applied(&db.url).await.len(), 1, "nothing applied");

    // The second migrator says it waits (the event), and is waiting then: nothing is applied.
    let mut child = teapot_cmd(&p, &db.url, &["migrate", "--online"]).stdout(Stdio::piped()).spawn().expect("spawn teapot");
    let (rx, reader) = watch_output(child.stdout.take().expect("stdout"), "waiting for the migration lock");
    let said = first_line(rx, "the second migrator says that it waits for the lock").await;
    assert!(said.contains(&format!("pid {pid}")), "the holder is named: {said}");
    assert_eq!(applied(&db.url).await.len(), 1, "it waits while the lock is held");
    holder.run(&format!("SELECT pg_advisory_unlock({})", online::MIGRATION_LOCK_KEY)).await.expect("release");
    let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("join").expect("wait");
    let printed = reader.join().expect("reader");
    assert!(status.success(), "{printed}");
    holder.close().await;
    assert_finished(&db, &first, &second, &expected).await;
}

/// v2 widens a varchar (online), v3 changes an integer to bigint (a rewrite): the whole run is
/// refused before anything is applied, with the reason and the safe way; --allow-unsafe runs both.
#[tokio::test]
async fn a_table_rewrite_is_refused_unless_allowed() {
    let (p, first, second) = project(Recipe::Widen);
    // Indexed, the column is not expanded (tests/migrate_expand.rs has the plain one): the
    // rewrite is refused.
    p.set(APP, &v2(Recipe::Widen).replace("pub qty: i32,", "#[teapot(db_index)]\n    pub qty: i64,"));
    p.make();
    let third = p.names(APP)[2].clone();
    let expected = plain_schema(&p).await;
    let db = db_at_v1(&p, &first, 1_000).await;
    let v1_schema = db.schema().await;
    let out = teapot_cmd(&p, &db.url, &["migrate", "--online"]).output().expect("run teapot");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        err.contains(&format!("{third} cannot run online")) && err.contains("from integer to bigint rewrites the table"),
        "the reason: {err}"
    );
    assert!(err.contains("safe way: add a new bigint column") && err.contains("--allow-unsafe"), "the safe way: {err}");
    assert_eq!(db.schema().await, v1_schema, "nothing applied, not even the migration before the refused one");
    assert_eq!(applied(&db.url).await.len(), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM teapot_online_progress").await, 0);

    // sqlmigrate --online previews what --allow-unsafe would run, labelled for what it is.
    let out = teapot_cmd(&p, &db.url, &["sqlmigrate", APP, &third, "--online"]).output().expect("run teapot");
    assert!(!out.status.success() && text(&out).contains("rewrites the table"), "{}", text(&out));
    let out = teapot_cmd(&p, &db.url, &["sqlmigrate", APP, &third, "--online", "--allow-unsafe"]).output().expect("run teapot");
    let preview = text(&out);
    assert!(out.status.success() && preview.contains("Alter qty (rewrites the table)") && preview.contains("TYPE bigint"), "{preview}");

    let out = teapot_cmd(&p, &db.url, &["migrate", "--online", "--allow-unsafe"]).output().expect("run teapot");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Alter qty (rewrites the table)"), "not labelled metadata only: {}", text(&out));
    let schema = db.schema().await;
    assert_eq!(schema, expected);
    assert!(schema.iter().any(|l| l.starts_with("shop_item column qty bigint")), "{schema:#?}");
    assert_eq!(applied(&db.url).await, vec![format!("{APP}/{first}"), format!("{APP}/{second}"), format!("{APP}/{third}")]);
    assert_eq!(progress_rows(&db).await, 0);
}

#[tokio::test]
async fn widening_a_varchar_is_online_and_metadata_only() {
    let (p, first, second) = project(Recipe::Widen);
    let expected = plain_schema(&p).await;
    let db = db_at_v1(&p, &first, 1_000).await;
    let file_before = relfilenode(&db, "shop_item").await;
    let out = teapot_cmd(&p, &db.url, &["migrate", "--online"]).output().expect("run teapot");
    assert!(out.status.success(), "{}", text(&out));
    assert_finished(&db, &first, &second, &expected).await;
    assert!(db.schema().await.iter().any(|l| l.starts_with("shop_item column name character varying(100)")));
    assert_eq!(relfilenode(&db, "shop_item").await, file_before, "varchar(50) -> varchar(100) must not rewrite the table");
}

#[tokio::test]
async fn sqlmigrate_online_shows_locks_and_transaction_modes() {
    let (p, _, second) = project(Recipe::Unique);
    let url = common::db::pg_admin_url();
    let out = teapot_cmd(&p, &url, &["sqlmigrate", APP, &second, "--online"]).output().expect("run teapot");
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", text(&out));
    assert!(t.contains("2 step(s)"), "{t}");
    assert!(
        t.contains(
            "-- step 1: Build unique index item_code_uniq concurrently (operation 1)\n--   lock: SHARE UPDATE EXCLUSIVE; no transaction"
        ),
        "{t}"
    );
    assert!(t.contains("CREATE UNIQUE INDEX CONCURRENTLY \"item_code_uniq\" ON \"shop_item\" (\"code\");"), "{t}");
    assert!(
        t.contains(
            "-- step 2: Attach item_code_uniq as a unique constraint (operation 1)\n--   lock: ACCESS EXCLUSIVE; in its own transaction"
        ),
        "{t}"
    );
    assert!(t.contains("UNIQUE USING INDEX \"item_code_uniq\""), "{t}");

    let (p, _, second) = project(Recipe::NotNull);
    let out = teapot_cmd(&p, &url, &["sqlmigrate", APP, &second, "--online"]).output().expect("run teapot");
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", text(&out));
    for expect in [
        "lock: ROW EXCLUSIVE; in its own transaction",
        "NOT VALID;",
        "VALIDATE CONSTRAINT",
        "lock: SHARE UPDATE EXCLUSIVE; in its own transaction",
        "SET NOT NULL;",
    ] {
        assert!(t.contains(expect), "{expect}: {t}");
    }
    // The backfill is printed as the statements that run, batch by batch, not as a sketch.
    let first = "WITH batch AS (SELECT \"id\" FROM \"shop_item\" WHERE (\"note\" IS NULL) ORDER BY \"id\" LIMIT 1000), \
                 upd AS (UPDATE \"shop_item\" SET \"note\" = 'none' WHERE \"id\" IN (SELECT \"id\" FROM batch) RETURNING \"id\") \
                 SELECT max(\"id\")::text, count(*) FROM upd;";
    assert!(t.contains(first), "{t}");
    assert!(t.contains("WHERE \"id\" > $1::bigint AND (\"note\" IS NULL)"), "{t}");
}

/// A backfill interrupted between batches resumes after the last key its progress records: the
/// rows before it (done by the interrupted run) are not touched again.
#[tokio::test]
async fn an_interrupted_backfill_resumes_after_its_last_key() {
    let (p, first, second) = project(Recipe::Backfill);
    let expected = plain_schema(&p).await;
    let db = db_at_v1(&p, &first, 3_000).await;
    // As the interrupted run leaves it: rows up to id 1500 done in batches, the step unfinished.
    db.exec("UPDATE shop_item SET note = 'earlier run' WHERE note IS NULL AND id <= 1500").await;
    db.exec(&format!(
        "CREATE TABLE teapot_online_progress (app varchar(255) NOT NULL, name varchar(255) NOT NULL, step integer NOT NULL, \
         finished boolean NOT NULL, progress text NULL, PRIMARY KEY (app, name, step)); \
         INSERT INTO teapot_online_progress VALUES ('{APP}', '{second}', 1, false, '1500')"
    ))
    .await;
    let msgs = run_online(&p, &db.url, &OnlineOptions::default()).await.expect("resumed backfill");
    assert!(msgs.iter().any(|m| m.contains("resuming after key 1500")), "{msgs:#?}");
    assert_eq!(count(&db, "SELECT count(*) FROM shop_item WHERE note IS NULL").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM shop_item WHERE note = 'filled' AND id <= 1500").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM shop_item WHERE note = 'filled'").await, 500, "ids 1503, 1506, ... 3000");
    assert_finished(&db, &first, &second, &expected).await;
}

/// Without a terminal, a step's progress is a line every few seconds, not a line per batch.
#[tokio::test]
async fn progress_without_a_terminal_is_a_line_every_few_seconds() {
    let (p, first, _) = project(Recipe::Backfill);
    let db = db_at_v1(&p, &first, 20_000).await;
    let out = teapot_cmd(&p, &db.url, &["migrate", "--online"]).output().expect("run teapot");
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    let lines = printed.lines().filter(|l| l.contains("backfill:")).count();
    // 6666 rows to fill in batches of 700: 10 batches, done in well under the 5 s between lines.
    assert!((1..=2).contains(&lines), "{lines} progress lines for 10 batches:\n{printed}");
    assert!(printed.contains("backfill: 6666/6666"), "the last line says it finished:\n{printed}");
}
