//! Expand / contract on a real PostgreSQL: a column rename and an integer -> bigint change run by
//! `migrate --online` (expand), then `--complete` or `--abort`, while two writers write: one with
//! the old shape through the old version's views, one with the new shape through the new
//! version's views. No write may fail, both shapes must show the same data at every moment, the
//! schema after complete must be a plain migrate's, `--abort` must give back the old schema with
//! every row, and a run killed in the middle of expand or complete must converge when run again.

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::cli::{teapot, teapot_bin};
use common::db::{applied, migrate, TestDb};
use common::Project;
use teapot::migrate::online_executor::{Finish, OnlineOptions};
use teapot::Connection as Conn;

const APP: &str = "shop";
const ROWS: i64 = 30_000;

const V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "shop")]
pub struct Item {
    pub id: i64,
    #[teapot(max_length = 50)]
    pub name: String,
    pub qty: i32,
    pub note: Option<String>,
}
"#;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// qty renamed quantity.
    Rename,
    /// qty from integer to bigint.
    Widen,
    /// qty, indexed, from integer to bigint: the index is built again on the new column.
    WidenIndexed,
    /// qty, unique, from integer to bigint: the constraint is built again on the new column.
    WidenUnique,
}

impl Kind {
    /// The column's name in the new shape.
    fn new_column(self) -> &'static str {
        match self {
            Kind::Rename => "quantity",
            _ => "qty",
        }
    }

    /// The models before the change.
    fn v1(self) -> String {
        match self {
            Kind::WidenIndexed => V1.replace("pub qty: i32", "#[teapot(db_index)]\n    pub qty: i32"),
            Kind::WidenUnique => V1.replace("pub qty: i32", "#[teapot(unique)]\n    pub qty: i32"),
            _ => V1.to_string(),
        }
    }
}

/// v1 with its initial migration, and the change as a second migration.
fn project(kind: Kind) -> (Project, String, String) {
    let v1 = kind.v1();
    let p = Project::new(&[(APP, v1.as_str())]);
    p.make();
    let first = p.names(APP)[0].clone();
    match kind {
        Kind::Rename => p.write_migration(
            APP,
            "0002_rename_qty",
            &format!(
                "dependencies = [\"{APP}/{first}\"]\n\n[[operations]]\nop = \"rename_field\"\nmodel = \"Item\"\n\
                 old_name = \"qty\"\nnew_name = \"quantity\"\n"
            ),
        ),
        _ => {
            p.set(APP, &v1.replace("pub qty: i32", "pub qty: i64"));
            p.make();
        }
    }
    let names = p.names(APP);
    assert_eq!(names.len(), 2, "{names:?}");
    (p, first, names[1].clone())
}

fn schema_name(migration: &str) -> String {
    format!("teapot_v_{APP}_{migration}")
}

async fn plain_schema(p: &Project, to: Option<&str>) -> Vec<String> {
    let db = TestDb::postgres().await;
    migrate(&p.config, &db.url, Some(APP), to).await.expect("plain migrate");
    db.schema().await
}

async fn at_v1(p: &Project, first: &str) -> TestDb {
    let db = TestDb::postgres().await;
    migrate(&p.config, &db.url, Some(APP), Some(first)).await.expect("v1");
    db.exec(&format!("INSERT INTO shop_item (name, qty, note) SELECT 'i' || g, g % 1000, NULL FROM generate_series(1, {ROWS}) g")).await;
    db
}

fn options(finish: Option<Finish>) -> OnlineOptions {
    OnlineOptions { lock_timeout: Duration::from_millis(200), lock_attempts: 30, finish, ..OnlineOptions::default() }
}

async fn online(p: &Project, url: &str, finish: Option<Finish>) -> teapot::Result<Vec<String>> {
    let mut msgs = Vec::new();
    teapot::Migrator::connect(url)
        .config(p.config.clone())
        .online_options(options(finish))
        .on_event(|e| {
            if let teapot::migrate::executor::Event::Message(m) = e {
                msgs.push(m)
            }
        })
        .run()
        .await?;
    Ok(msgs)
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let text = format!("SELECT ({sql})::text");
    db.column(&text).await[0].as_deref().unwrap_or("0").parse().unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// What a writer did: writes that succeeded, the ones that failed, the longest time between two
/// successful writes, and the value it last wrote in each of its rows.
struct Report {
    ok: u64,
    errors: Vec<String>,
    gap: Duration,
    values: BTreeMap<i64, i64>,
}

/// A writer: inserts rows with its own keys (from `base`) and increments one of them on every
/// other turn, with the column named `column`, in sessions whose search_path is `schema` first.
/// Every statement is sent as text, so each one finds its table by the search_path as it is now.
struct Writer {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Report>,
}

impl Writer {
    fn start(url: &str, schema: String, column: &'static str, base: i64, wait_for_schema: bool) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let (url, flag) = (url.to_string(), stop.clone());
        let task = tokio::spawn(async move {
            let mut c = Conn::open(&url).await.expect("writer connects");
            if wait_for_schema {
                while !c
                    .fetch_scalar::<bool>(&format!("SELECT to_regnamespace('{schema}') IS NOT NULL"), &[])
                    .await
                    .expect("poll")
                    .unwrap_or(false)
                {
                    if flag.load(Ordering::SeqCst) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            c.run(&format!("SET search_path = \"{schema}\", public")).await.expect("search_path");
            let mut r = Report { ok: 0, errors: Vec::new(), gap: Duration::ZERO, values: BTreeMap::new() };
            let mut last = Instant::now();
            let mut i = 0i64;
            let mut inserted: Vec<i64> = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                i += 1;
                // Inserts on odd turns (and until one succeeded), updates of an own row on even ones.
                let inserting = i % 2 == 1 || inserted.is_empty();
                let (sql, id, value) = if inserting {
                    let id = base + i;
                    (format!("INSERT INTO shop_item (id, name, {column}, note) VALUES ({id}, 'w{id}', {i}, 'x')"), id, i)
                } else {
                    let id = inserted[(i as usize / 2) % inserted.len()];
                    let v = r.values[&id] + 1;
                    (format!("UPDATE shop_item SET {column} = {column} + 1 WHERE id = {id}"), id, v)
                };
                match c.run(&sql).await {
                    Ok(1) => {
                        if inserting {
                            inserted.push(id);
                        }
                        r.ok += 1;
                        r.values.insert(id, value);
                        r.gap = r.gap.max(last.elapsed());
                        last = Instant::now();
                    }
                    Ok(n) => r.errors.push(format!("{sql}: {n} rows instead of 1")),
                    Err(e) => r.errors.push(format!("{sql}: {e}")),
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            c.close().await;
            r
        });
        Writer { stop, task }
    }

    async fn finish(self) -> Report {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.expect("writer task")
    }
}

/// Compares the two versions' views row by row while they exist: a row whose new column is
/// filled (by the trigger or the backfill) must show the same value both ways. Returns the
/// mismatches seen and how many comparisons ran.
fn start_checker(
    url: &str,
    old: String,
    new: String,
    column: &'static str,
) -> (Arc<AtomicBool>, tokio::task::JoinHandle<(Vec<String>, u64)>) {
    let stop = Arc::new(AtomicBool::new(false));
    let (url, flag) = (url.to_string(), stop.clone());
    let task = tokio::spawn(async move {
        let mut c = Conn::open(&url).await.expect("checker connects");
        let (mut bad, mut runs) = (Vec::new(), 0u64);
        let sql = format!(
            "SELECT count(*) FROM \"{old}\".shop_item o JOIN \"{new}\".shop_item n USING (id) \
             WHERE n.{column} IS NOT NULL AND o.qty::bigint IS DISTINCT FROM n.{column}::bigint"
        );
        while !flag.load(Ordering::SeqCst) {
            // Only while both views exist (between expand and complete).
            if let Ok(Some(n)) = c.fetch_scalar::<i64>(&sql, &[]).await {
                runs += 1;
                if n != 0 {
                    bad.push(format!("{n} rows differ between the two versions"));
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        c.close().await;
        (bad, runs)
    });
    (stop, task)
}

fn assert_clean(kind: Kind, who: &str, r: &Report) {
    assert!(
        r.errors.is_empty(),
        "{kind:?}: {} writes of the {who} writer failed, first: {:?}",
        r.errors.len(),
        &r.errors[..r.errors.len().min(3)]
    );
    assert!(r.ok > 20, "{kind:?}: the {who} writer made no progress ({} writes)", r.ok);
}

/// Every value a writer last wrote is in the table, under the column's final name.
async fn assert_values(db: &TestDb, column: &str, r: &Report) {
    let ids: Vec<String> = r.values.keys().map(i64::to_string).collect();
    let rows = db.column(&format!("SELECT id || '=' || {column} FROM shop_item WHERE id IN ({}) ORDER BY id", ids.join(","))).await;
    let found: BTreeMap<i64, i64> = rows
        .into_iter()
        .flatten()
        .map(|s| {
            let (k, v) = s.split_once('=').expect("id=value");
            (k.parse().expect("id"), v.parse().expect("value"))
        })
        .collect();
    assert_eq!(found, r.values, "the rows a writer wrote are not all there with its values");
}

/// Expand, both writers, complete: the scenario the issue asks for.
async fn expand_and_complete(kind: Kind) {
    let (p, first, second) = project(kind);
    let expected = plain_schema(&p, None).await;
    let db = at_v1(&p, &first).await;
    let (old, new) = (schema_name(&first), schema_name(&second));
    let old_writer = Writer::start(&db.url, old.clone(), "qty", 10_000_000, false);
    let new_writer = Writer::start(&db.url, new.clone(), kind.new_column(), 20_000_000, true);
    let (check_stop, checker) = start_checker(&db.url, old.clone(), new.clone(), kind.new_column());
    tokio::time::sleep(Duration::from_millis(100)).await;

    let msgs = online(&p, &db.url, None).await.unwrap_or_else(|e| panic!("{kind:?}: expand failed: {e}"));
    assert!(msgs.iter().any(|m| m.contains("is expanded")), "{kind:?}: {msgs:#?}");
    assert!(!applied(&db.url).await.contains(&format!("{APP}/{second}")), "an expanded migration is not applied yet");
    // Run again: nothing more to do, still expanded.
    online(&p, &db.url, None).await.expect("expand again");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Expanded, every row is the same both ways, backfilled ones included.
    let differ = count(
        &db,
        &format!(
            "SELECT count(*) FROM \"{old}\".shop_item o JOIN \"{new}\".shop_item n USING (id) WHERE o.qty::bigint IS DISTINCT FROM n.{}::bigint",
            kind.new_column()
        ),
    )
    .await;
    assert_eq!(differ, 0, "{kind:?}: the two versions disagree after the expand");
    assert_eq!(count(&db, &format!("SELECT (SELECT count(*) FROM \"{new}\".shop_item) - (SELECT count(*) FROM shop_item)")).await, 0);

    // The old code is gone: complete while the new code writes.
    let old_report = old_writer.finish().await;
    check_stop.store(true, Ordering::SeqCst);
    let (bad, runs) = checker.await.expect("checker");
    assert!(bad.is_empty(), "{kind:?}: {bad:?}");
    assert!(runs > 3, "{kind:?}: the views were compared only {runs} times");
    online(&p, &db.url, Some(Finish::Complete)).await.unwrap_or_else(|e| panic!("{kind:?}: complete failed: {e}"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let new_report = new_writer.finish().await;
    assert_clean(kind, "old", &old_report);
    assert_clean(kind, "new", &new_report);

    assert_eq!(db.schema().await, expected, "{kind:?}: the schema after complete is not a plain migrate's");
    assert!(applied(&db.url).await.contains(&format!("{APP}/{second}")));
    assert_eq!(count(&db, "SELECT count(*) FROM teapot_online_progress").await, 0, "progress left behind");
    assert_eq!(count(&db, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'teapot\\_v\\_%'").await, 0, "view schemas left behind");
    assert_eq!(count(&db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'teapot\\_x\\_%'").await, 0, "triggers left behind");
    assert_values(&db, kind.new_column(), &old_report).await;
    assert_values(&db, kind.new_column(), &new_report).await;
    assert_eq!(count(&db, &format!("SELECT count(*) FROM shop_item WHERE id <= {ROWS} AND {} = id % 1000", kind.new_column())).await, ROWS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_column_expand_complete_under_two_writers() {
    expand_and_complete(Kind::Rename).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integer_to_bigint_expand_complete_under_two_writers() {
    expand_and_complete(Kind::Widen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexed_integer_to_bigint_expand_complete_under_two_writers() {
    expand_and_complete(Kind::WidenIndexed).await;
}

/// A unique column: its constraint is a unique index on the new column, built concurrently in the
/// expand and attached under the old name at the swap; a duplicate written through either
/// version is refused meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_integer_to_bigint_keeps_its_constraint() {
    let (p, first, second) = project(Kind::WidenUnique);
    let expected = plain_schema(&p, None).await;
    let original = plain_schema(&p, Some(&first)).await;
    assert!(expected.iter().any(|l| l.contains("unique (qty)")), "{expected:#?}");
    for abort in [false, true] {
        let db = TestDb::postgres().await;
        migrate(&p.config, &db.url, Some(APP), Some(&first)).await.expect("v1");
        db.exec("INSERT INTO shop_item (name, qty) SELECT 'i' || g, g FROM generate_series(1, 5000) g").await;
        online(&p, &db.url, None).await.expect("expand");
        let (old, new) = (schema_name(&first), schema_name(&second));
        let mut c = Conn::open(&db.url).await.expect("connect");
        let dup = c.run(&format!("INSERT INTO \"{new}\".shop_item (name, qty) VALUES ('dup', 7)")).await.expect_err("a duplicate");
        assert_eq!(dup.code(), Some("23505"), "{dup}");
        c.run(&format!("INSERT INTO \"{old}\".shop_item (name, qty) VALUES ('old', 5001)")).await.expect("old version writes");
        c.run(&format!("INSERT INTO \"{new}\".shop_item (name, qty) VALUES ('new', 5002)")).await.expect("new version writes");
        c.close().await;
        if abort {
            online(&p, &db.url, Some(Finish::Abort)).await.expect("abort");
            assert_eq!(db.schema().await, original);
        } else {
            online(&p, &db.url, Some(Finish::Complete)).await.expect("complete");
            assert_eq!(db.schema().await, expected);
        }
        assert_eq!(count(&db, "SELECT count(DISTINCT qty) FROM shop_item WHERE qty BETWEEN 1 AND 5002").await, 5002);
    }
}

/// Expand, both writers, abort: the old schema, with every row either writer wrote.
async fn expand_and_abort(kind: Kind) {
    let (p, first, second) = project(kind);
    let original = plain_schema(&p, Some(&first)).await;
    let (old, new) = (schema_name(&first), schema_name(&second));
    let db = at_v1(&p, &first).await;
    let old_writer = Writer::start(&db.url, old.clone(), "qty", 10_000_000, false);
    let new_writer = Writer::start(&db.url, new.clone(), kind.new_column(), 20_000_000, true);
    online(&p, &db.url, None).await.unwrap_or_else(|e| panic!("{kind:?}: expand failed: {e}"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The new code is rolled back first; the old code goes on writing through the abort.
    let new_report = new_writer.finish().await;
    online(&p, &db.url, Some(Finish::Abort)).await.unwrap_or_else(|e| panic!("{kind:?}: abort failed: {e}"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let old_report = old_writer.finish().await;
    assert_clean(kind, "old", &old_report);
    assert_clean(kind, "new", &new_report);
    assert_eq!(db.schema().await, original, "{kind:?}: abort did not give back the original schema");
    assert_eq!(count(&db, "SELECT count(*) FROM teapot_online_progress").await, 0, "progress left behind");
    assert_eq!(count(&db, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'teapot\\_v\\_%'").await, 0);
    assert_values(&db, "qty", &old_report).await;
    assert_values(&db, "qty", &new_report).await;
    // And the migration can be expanded again from there.
    online(&p, &db.url, None).await.expect("expand after abort");
    online(&p, &db.url, Some(Finish::Complete)).await.expect("complete after abort");
    assert_eq!(db.schema().await, plain_schema(&p, None).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_column_abort_keeps_every_row() {
    expand_and_abort(Kind::Rename).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integer_to_bigint_abort_keeps_every_row() {
    expand_and_abort(Kind::Widen).await;
}

/// `--complete` with nothing expanded refuses (expand and complete in one command would break
/// the old code), and `--abort` with nothing expanded too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_and_abort_refuse_without_an_expand() {
    let (p, first, _) = project(Kind::Widen);
    let db = at_v1(&p, &first).await;
    let err = online(&p, &db.url, Some(Finish::Complete)).await.expect_err("nothing to complete").to_string();
    assert!(err.contains("no migration is expanded") && err.contains("migrate --online first"), "{err}");
    let err = online(&p, &db.url, Some(Finish::Abort)).await.expect_err("nothing to abort").to_string();
    assert!(err.contains("no migration is expanded, so --abort has nothing to undo"), "{err}");
    assert_eq!(db.schema().await, plain_schema(&p, Some(&first)).await, "nothing changed");
}

fn cli(p: &Project, url: &str, extra: &[&str], kill_after: Option<usize>) -> std::process::Output {
    let mut c = Command::new(teapot_bin());
    c.args(["migrate", "--online", "--database-url", url]).args(extra).current_dir(p.root()).env_remove("DATABASE_URL");
    if let Some(k) = kill_after {
        c.env("TEAPOT_TEST_KILL_AFTER_STEP", k.to_string());
    }
    c.stdin(Stdio::null()).output().expect("run teapot")
}

/// The CLI killed (SIGKILL) after each step of the expand, and after each step of the complete,
/// then run again: it converges to the plain migrate's schema with every row, and
/// `showmigrations` says the migration is expanded in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_expand_and_complete_reruns_converge() {
    let (p, first, second) = project(Kind::Widen);
    let expected = plain_schema(&p, None).await;
    // Expand: add column + trigger, views, backfill (3 steps); complete: check, validate, swap.
    for kill_expand in 1..=2 {
        for kill_complete in 1..=2 {
            let db = at_v1(&p, &first).await;
            let out = cli(&p, &db.url, &[], Some(kill_expand));
            assert!(!out.status.success(), "killed after expand step {kill_expand}");
            let out = cli(&p, &db.url, &[], None);
            assert!(out.status.success(), "rerun of the expand: {}", String::from_utf8_lossy(&out.stderr));
            if kill_expand == 1 && kill_complete == 1 {
                // A plain migrate refuses to take over, and says how to finish.
                let out = teapot(p.root(), &["migrate", "--database-url", &db.url]);
                let err = out.fails_with(1);
                assert!(err.contains("is expanded by migrate --online") && err.contains("--complete") && err.contains("--abort"), "{err}");
            }
            let show = teapot(p.root(), &["showmigrations", "--database-url", &db.url]);
            let shown = show.ok();
            assert!(shown.contains(&format!("[~] {second}")) && shown.contains("expanded") && shown.contains("--complete"), "{shown}");
            let out = cli(&p, &db.url, &["--complete"], Some(kill_complete));
            assert!(!out.status.success(), "killed after complete step {kill_complete}");
            let out = cli(&p, &db.url, &["--complete"], None);
            assert!(out.status.success(), "rerun of the complete: {}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(db.schema().await, expected, "killed after expand step {kill_expand} and complete step {kill_complete}");
            assert_eq!(count(&db, "SELECT count(*) FROM shop_item WHERE qty = id % 1000").await, ROWS);
            assert_eq!(count(&db, "SELECT count(*) FROM teapot_online_progress").await, 0);
        }
    }
    // Killed in the middle of the expand, then aborted: the original schema.
    let db = at_v1(&p, &first).await;
    assert!(!cli(&p, &db.url, &[], Some(1)).status.success());
    let out = cli(&p, &db.url, &["--abort"], None);
    assert!(out.status.success(), "abort of a half expand: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(db.schema().await, plain_schema(&p, Some(&first)).await);
}

/// `sqlmigrate --online` shows both phases with their locks.
#[test]
fn sqlmigrate_online_shows_expand_and_complete() {
    let (p, _, second) = project(Kind::Widen);
    let out = teapot(p.root(), &["sqlmigrate", APP, &second, "--online", "--database-url", "postgres://localhost/x"]);
    let text = out.ok();
    for piece in [
        "expand, migrate --online: Add qty__teapot_new bigint",
        "CREATE TRIGGER \"teapot_x_shop_item_qty\" BEFORE INSERT OR UPDATE",
        &format!("CREATE VIEW \"{}\".\"shop_item\"", schema_name(&second)),
        "complete, migrate --online --complete: Swap in the new shape",
        "lock: ACCESS EXCLUSIVE",
        "ALTER TABLE \"shop_item\" RENAME COLUMN \"qty__teapot_new\" TO \"qty\"",
        "abort, migrate --online --abort: Undo the expand of shop_item",
        "ALTER TABLE \"shop_item\" DROP COLUMN IF EXISTS \"qty__teapot_new\"",
    ] {
        assert!(text.contains(piece), "missing {piece:?} in:\n{text}");
    }
}

/// `teapot check`: the rename and the type change are TP004 / TP006, which `--online` makes safe
/// when the migration expands (and says so); in a migration that does not expand they stay unsafe.
#[test]
fn check_says_online_expands_renames_and_type_changes() {
    use teapot::migrate::check::lint;
    use teapot::migrate::loader::load_graph;
    for (kind, rule) in [(Kind::Rename, "TP004"), (Kind::Widen, "TP006")] {
        let (p, _, _) = project(kind);
        let graph = load_graph(&p.config).expect("graph");
        let all = lint(&p.config, &graph, &|_| true, false).expect("lint");
        let hit = all.iter().find(|f| f.rule == rule).unwrap_or_else(|| panic!("{kind:?}: no {rule} in {all:#?}"));
        assert_eq!(hit.online_safe, Some(true), "{kind:?}: {hit:#?}");
        assert!(hit.message.contains("migrate --online expands it"), "{kind:?}: {}", hit.message);
        let online = lint(&p.config, &graph, &|_| true, true).expect("lint");
        assert!(online.iter().all(|f| f.rule != rule), "{kind:?}: {online:#?}");
    }
    // A rename beside an index in one migration does not expand: still unsafe online.
    let (p, first, _) = project(Kind::Rename);
    p.write_migration(
        APP,
        "0002_rename_qty",
        &format!(
            "dependencies = [\"{APP}/{first}\"]\n\n[[operations]]\nop = \"rename_field\"\nmodel = \"Item\"\n\
             old_name = \"qty\"\nnew_name = \"quantity\"\n\n[[operations]]\nop = \"add_index\"\nmodel = \"Item\"\n\
             index = {{ name = \"item_note_idx\", fields = [\"note\"] }}\n"
        ),
    );
    let graph = load_graph(&p.config).expect("graph");
    let online = lint(&p.config, &graph, &|_| true, true).expect("lint");
    assert!(online.iter().any(|f| f.rule == "TP004" && f.online_safe == Some(false)), "{online:#?}");
}

/// The code built before the rename: its model knows the column as `qty`.
mod old_code {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "shop")]
    pub struct Item {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        pub qty: i32,
        pub note: Option<String>,
    }
}

/// The code built after it: the same model with the field renamed `quantity`.
mod new_code {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "shop")]
    pub struct Item {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        pub quantity: i32,
        pub note: Option<String>,
    }
}

/// The derive registers the version its app's models were compiled at: the schema of the app's
/// latest migration in the project above the crate (here the repository's example project).
#[test]
fn the_derive_registers_the_version_it_was_built_at() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let latest = teapot::schema::version::latest_migration(&root.join("teapot.toml"), "shop").expect("the example's shop has migrations");
    let versions = teapot::version::compiled_versions();
    assert!(versions.contains(&format!("teapot_v_shop_{latest}")), "{versions:?}");
}

/// The ORM of each version, through the whole expand / contract of a rename: the model built
/// before it writes and reads `qty`, the one built after it `quantity`, on the same table at the
/// same time; after --complete the new one works on the plain table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orm_of_each_version_works_during_an_expand() -> teapot::Result<()> {
    use teapot::prelude::*;
    let (p, first, second) = project(Kind::Rename);
    let db = at_v1(&p, &first).await;
    let old_db = teapot::Db::connect_as(&db.url, vec![schema_name(&first)]).await?;
    let new_db = teapot::Db::connect_as(&db.url, vec![schema_name(&second)]).await?;
    // Before the expand, the old code uses the plain table.
    let mut a = old_code::Item { name: "before".into(), qty: 1, ..old_code::Item::defaults() };
    a.create(&old_db).await?;
    online(&p, &db.url, None).await?;
    let mut b = old_code::Item { name: "old code".into(), qty: 2, ..old_code::Item::defaults() };
    b.create(&old_db).await?;
    let mut c = new_code::Item { name: "new code".into(), quantity: 3, ..new_code::Item::defaults() };
    c.create(&new_db).await?;
    new_code::Item::objects().filter(new_code::Item::id().eq(a.id)).update(&new_db, vec![new_code::Item::quantity().set(10)]).await?;
    let old_view: Vec<(String, i32)> = old_code::Item::objects()
        .filter(old_code::Item::id().gt(ROWS))
        .order_by(old_code::Item::id().asc())
        .all(&old_db)
        .await?
        .into_iter()
        .map(|i| (i.name, i.qty))
        .collect();
    let new_view: Vec<(String, i32)> = new_code::Item::objects()
        .filter(new_code::Item::id().gt(ROWS))
        .order_by(new_code::Item::id().asc())
        .all(&new_db)
        .await?
        .into_iter()
        .map(|i| (i.name, i.quantity))
        .collect();
    let want = vec![("before".to_string(), 10), ("old code".to_string(), 2), ("new code".to_string(), 3)];
    assert_eq!(old_view, want);
    assert_eq!(new_view, want);
    // The migrator on an application's pool works on the tables, not on the version's views.
    teapot::Migrator::new(&new_db).config(p.config.clone()).online_options(options(Some(Finish::Complete))).run().await?;
    let after: Vec<i32> =
        new_code::Item::objects().filter(new_code::Item::id().eq(c.id)).all(&new_db).await?.into_iter().map(|i| i.quantity).collect();
    assert_eq!(after, vec![3]);
    assert_eq!(db.schema().await, plain_schema(&p, None).await);
    Ok(())
}

/// A small deterministic generator (xorshift), seeded from the clock; the seed is printed so a
/// failing run can be repeated with TEAPOT_CRASH_SEED.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Runs `migrate --online EXTRA` killed (SIGKILL) at a random moment within `within`, up to three
/// times, then to the end; returns how many kills fell inside a run.
async fn kill_at_random_then_finish(p: &Project, url: &str, extra: &[&str], within: Duration, rng: &mut Rng) -> usize {
    let mut inside = 0;
    for attempt in 1.. {
        let mut c = Command::new(teapot_bin());
        c.args(["migrate", "--online", "--database-url", url]).args(extra).current_dir(p.root()).env_remove("DATABASE_URL");
        let mut child = c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn");
        if attempt <= 3 {
            tokio::time::sleep(Duration::from_micros(rng.next() % (within.as_micros() as u64).max(1))).await;
            if child.try_wait().expect("wait").is_none() {
                child.kill().expect("kill -9");
                inside += 1;
            }
            let _ = child.wait();
            continue;
        }
        let out = child.wait_with_output().expect("run");
        assert!(out.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
        break;
    }
    inside
}

/// Killed at random moments (inside statements: the backfill's batches, the index build, the
/// swap) during the expand and then during the complete of an indexed integer -> bigint change,
/// each rerun converges: the plain migrate's schema, every row with its value, nothing left over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_during_expand_and_complete_converges() {
    let (p, first, _) = project(Kind::WidenIndexed);
    let expected = plain_schema(&p, None).await;
    let (expand_time, complete_time) = {
        let db = at_v1(&p, &first).await;
        let t = Instant::now();
        assert!(cli(&p, &db.url, &[], None).status.success());
        let e = t.elapsed();
        let t = Instant::now();
        assert!(cli(&p, &db.url, &["--complete"], None).status.success());
        (e, t.elapsed())
    };
    let seed = std::env::var("TEAPOT_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1) | 1
    });
    println!("TEAPOT_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let mut inside = 0;
    for round in 0..4 {
        let db = at_v1(&p, &first).await;
        inside += kill_at_random_then_finish(&p, &db.url, &[], expand_time, &mut rng).await;
        inside += kill_at_random_then_finish(&p, &db.url, &["--complete"], complete_time, &mut rng).await;
        assert_eq!(db.schema().await, expected, "round {round} (TEAPOT_CRASH_SEED={seed})");
        assert_eq!(count(&db, "SELECT count(*) FROM shop_item WHERE qty = id % 1000").await, ROWS, "round {round}");
        assert_eq!(count(&db, "SELECT count(*) FROM teapot_online_progress").await, 0, "round {round}");
        assert_eq!(count(&db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid").await, 0, "round {round}");
    }
    assert!(inside >= 4, "only {inside} kills fell inside a run (TEAPOT_CRASH_SEED={seed})");
}

/// `--complete` and `--abort` find the expanded migration when another app's migration comes
/// before it in the order of the plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_and_abort_find_the_expanded_migration_behind_another_apps() {
    use teapot::migrate::loader::load_graph;
    const AAA: &str = "use teapot::prelude::*;\n\n#[derive(Model)]\n#[teapot(app = \"aaa\")]\npub struct Tag {\n    pub id: i64,\n}\n";
    for abort in [false, true] {
        let p = Project::new(&[("aaa", AAA), (APP, V1)]);
        p.make();
        let first = p.names(APP)[0].clone();
        p.set(APP, &V1.replace("pub qty: i32", "pub qty: i64"));
        p.make();
        let db = TestDb::postgres().await;
        migrate(&p.config, &db.url, Some(APP), Some(&first)).await.expect("shop v1");
        migrate(&p.config, &db.url, Some("aaa"), None).await.expect("aaa");
        online(&p, &db.url, None).await.expect("expand");
        p.set("aaa", &AAA.replace("    pub id: i64,\n", "    pub id: i64,\n    pub label: Option<String>,\n"));
        p.make();
        let order: Vec<String> = load_graph(&p.config).expect("graph").order().expect("order").iter().map(|m| m.key()).collect();
        let (aaa2, shop2) = (p.names("aaa")[1].clone(), p.names(APP)[1].clone());
        let pos = |k: String| order.iter().position(|o| *o == k).expect("in the graph");
        assert!(pos(format!("aaa/{aaa2}")) < pos(format!("{APP}/{shop2}")), "the other app's migration comes first: {order:?}");
        if abort {
            online(&p, &db.url, Some(Finish::Abort)).await.expect("abort");
            assert_eq!(count(&db, "SELECT count(*) FROM teapot_online_progress").await, 0);
            assert!(!applied(&db.url).await.contains(&format!("{APP}/{shop2}")));
        } else {
            online(&p, &db.url, Some(Finish::Complete)).await.expect("complete");
            let done = applied(&db.url).await;
            assert!(done.contains(&format!("aaa/{aaa2}")) && done.contains(&format!("{APP}/{shop2}")), "{done:?}");
        }
    }
}

/// An application that connects as a role of its own (not the migrator's) can use both
/// versions: the table's privileges are granted on its views and their schemas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_role_can_use_both_versions() {
    let (p, first, second) = project(Kind::Widen);
    let db = at_v1(&p, &first).await;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let role = format!("teapot_app_{}_{nanos}", std::process::id());
    db.exec(&format!("CREATE ROLE {role} LOGIN; GRANT SELECT, INSERT, UPDATE ON shop_item TO {role}")).await;
    online(&p, &db.url, None).await.expect("expand");
    let url = db.url.replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    assert_ne!(url, db.url, "the test URL names the postgres user");
    let result = async {
        let mut c = Conn::open(&url).await?;
        for (schema, column) in [(schema_name(&first), "qty"), (schema_name(&second), "qty")] {
            c.run(&format!("INSERT INTO \"{schema}\".shop_item (name, {column}) VALUES ('as app', 5)")).await?;
            c.run(&format!("UPDATE \"{schema}\".shop_item SET {column} = {column} + 1 WHERE name = 'as app'")).await?;
        }
        let denied = c.run(&format!("DELETE FROM \"{}\".shop_item", schema_name(&second))).await.expect_err("no DELETE granted");
        c.close().await;
        Ok::<_, teapot::Error>(denied)
    }
    .await;
    online(&p, &db.url, Some(Finish::Abort)).await.expect("abort");
    db.exec(&format!("REVOKE ALL ON shop_item FROM {role}")).await;
    let admin = common::db::pg_admin_url();
    let mut a = Conn::open(&admin).await.expect("admin");
    let _ = a.run(&format!("DROP ROLE IF EXISTS {role}")).await;
    a.close().await;
    let denied = result.expect("the application role writes through both versions");
    assert_eq!(denied.code(), Some("42501"), "{denied}");
    // Inserted at 5 through each version; the second update reaches both rows: 7 and 6.
    assert_eq!(count(&db, "SELECT sum(qty) FROM shop_item WHERE name = 'as app'").await, 13);
}

/// While a migration is expanded, `check`'s drift sees the database as the applied migrations
/// say (the expanded one is not applied yet): the new column, its indexes and its NOT NULL check
/// are the expand's work in progress, not drift. After complete, the state has caught up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_empty_while_expanded_and_after_complete() {
    use teapot::migrate::check::drift::{drift_report, DriftOptions};
    for kind in [Kind::Rename, Kind::WidenIndexed, Kind::WidenUnique] {
        let (p, first, _) = project(kind);
        let db = TestDb::postgres().await;
        migrate(&p.config, &db.url, Some(APP), Some(&first)).await.expect("v1");
        db.exec("INSERT INTO shop_item (name, qty) SELECT 'i' || g, g FROM generate_series(1, 100) g").await;
        online(&p, &db.url, None).await.expect("expand");
        for phase in ["expanded", "completed"] {
            let graph = teapot::migrate::loader::load_graph(&p.config).expect("graph");
            let applied: std::collections::BTreeSet<String> = common::db::applied(&db.url).await.into_iter().collect();
            let mut c = db.conn().await;
            let out = drift_report(&mut c, &graph, &applied, &DriftOptions::default()).await.expect("drift");
            c.close().await;
            assert!(out.is_empty(), "{kind:?} {phase}: {out:#?}");
            if phase == "expanded" {
                online(&p, &db.url, Some(Finish::Complete)).await.expect("complete");
            }
        }
    }
}
