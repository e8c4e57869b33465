//! Plain `migrate` and `migrate --online` share one progress record: a migration that one mode
//! left half done is never run again from the start by the other, and showmigrations says how far
//! it got. Runs the real binary against a real PostgreSQL.

mod common;

use common::cli::{teapot, Out};
use common::db::TestDb;
use common::Project;

const MODELS: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "shop")]
pub struct Counter {
    pub id: i64,
    pub n: i32,
}
"#;

fn run(p: &Project, db: &TestDb, args: &[&str]) -> Out {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--database-url", db.url.as_str()]);
    teapot(p.root(), &all)
}

async fn sum(db: &TestDb) -> i64 {
    db.column("SELECT sum(n)::text FROM shop_counter").await[0].as_deref().unwrap_or("0").parse().expect("a number")
}

/// 0001 makes the table; 0002 backfills n = n + 1 (not idempotent: run twice, it doubles), then
/// runs SQL that fails until it is fixed.
fn project(failing_sql: &str) -> (Project, String) {
    let p = Project::new(&[("shop", MODELS)]);
    p.make();
    let first = p.names("shop")[0].clone();
    p.write_migration(
        "shop",
        "0002_bump",
        &format!(
            "dependencies = [\"shop/{first}\"]\n\n\
             [[operations]]\nop = \"backfill\"\nmodel = \"Counter\"\nset = \"n = n + 1\"\nbatch_size = 10\n\n\
             [[operations]]\nop = \"run_sql\"\nsql = \"{failing_sql}\"\nreverse_sql = \"SELECT 1\"\n"
        ),
    );
    (p, first)
}

#[tokio::test]
async fn plain_migrate_refuses_to_rerun_what_online_began() {
    let (p, first) = project("SELECT teapot_test_fn()");
    let db = TestDb::postgres().await;
    run(&p, &db, &["migrate", "shop", &first]).ok();
    db.exec("INSERT INTO shop_counter (n) SELECT 0 FROM generate_series(1, 25)").await;

    let out = run(&p, &db, &["migrate", "--online"]);
    out.fails_with(1);
    out.says(&["step 2", "teapot_test_fn"]);
    assert_eq!(sum(&db).await, 25, "the backfill (step 1) ran once and is kept");

    // The cause goes away (the function now exists) and the user reaches for plain migrate: it
    // would run 0002 from the start, the backfill again with it. It must refuse instead.
    db.exec("CREATE FUNCTION teapot_test_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'").await;
    let out = run(&p, &db, &["migrate"]);
    let err = out.fails_with(1);
    assert!(err.contains("shop/0002_bump") && err.contains("migrate --online"), "names the migration and what to run:\n{out}");
    assert!(err.contains("1 of 2 steps"), "says how far it got:\n{out}");
    assert_eq!(sum(&db).await, 25, "nothing ran twice");

    let shown = run(&p, &db, &["showmigrations"]);
    let text = shown.ok();
    assert!(text.contains("[~] 0002_bump") && text.contains("1 of 2 steps"), "showmigrations marks it partly applied:\n{shown}");

    // The mode that began it finishes it.
    run(&p, &db, &["migrate", "--online"]).ok();
    assert_eq!(sum(&db).await, 25, "n was incremented once");
    assert!(run(&p, &db, &["showmigrations"]).ok().contains("[X] 0002_bump"));
}

/// A fake (record-only) plain run of a half-done online migration is refused too: it would
/// record as applied a migration whose remaining steps never ran.
#[tokio::test]
async fn fake_refuses_a_partly_applied_migration() {
    let (p, first) = project("SELECT teapot_test_fn()");
    let db = TestDb::postgres().await;
    run(&p, &db, &["migrate", "shop", &first]).ok();
    run(&p, &db, &["migrate", "--online"]).fails_with(1);
    let out = run(&p, &db, &["migrate", "--fake"]);
    assert!(out.fails_with(1).contains("migrate --online"), "{out}");
    assert!(!run(&p, &db, &["showmigrations"]).ok().contains("[X] 0002_bump"));
}

/// Plain migrate takes its locks under lock_timeout too: behind a long transaction it gives up
/// after the attempts, rolled back whole, naming the session in the way, instead of queueing every
/// writer behind it for as long as that transaction lives.
#[tokio::test]
async fn plain_migrate_waits_for_locks_under_lock_timeout_and_names_the_blocker() {
    let p = Project::new(&[("shop", MODELS)]);
    p.make();
    let first = p.names("shop")[0].clone();
    p.set("shop", &MODELS.replace("pub n: i32,", "pub n: i32,\n    pub note: Option<String>,"));
    p.make();
    let db = TestDb::postgres().await;
    run(&p, &db, &["migrate", "shop", &first]).ok();

    let mut blocker = db.conn().await;
    let pid = blocker.fetch_scalar::<i32>("SELECT pg_backend_pid()", &[]).await.expect("pid").expect("pid");
    blocker.run("SET application_name = 'long_report'").await.expect("set");
    blocker.run("BEGIN").await.expect("begin");
    blocker.run("SELECT count(*) FROM shop_counter").await.expect("read");

    let started = std::time::Instant::now();
    let out = run(&p, &db, &["migrate", "--lock-timeout", "100ms", "--lock-attempts", "3"]);
    let err = out.fails_with(1);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "it gives up instead of waiting for the reader");
    for piece in [
        "not granted within 100ms, 3 times",
        "rolled back whole",
        &format!("pid {pid}"),
        "long_report",
        "SELECT count(*) FROM shop_counter",
    ] {
        assert!(err.contains(piece), "{piece}:\n{out}");
    }
    assert!(out.stdout.contains("attempt 1/3"), "each retry is said:\n{out}");
    assert_eq!(common::db::applied(&db.url).await.len(), 1, "nothing of 0002 kept");

    blocker.run("COMMIT").await.expect("commit");
    blocker.close().await;
    run(&p, &db, &["migrate", "--lock-timeout", "100ms"]).ok();
    assert_eq!(common::db::applied(&db.url).await.len(), 2);
}

/// `atomic = false`: statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY) run
/// each on its own; a failure keeps what finished, and the rerun goes on from the failed
/// statement without running a finished one again. sqlmigrate prints it as it runs.
#[tokio::test]
async fn a_non_atomic_migration_runs_statement_by_statement_and_resumes() {
    let p = Project::new(&[("shop", MODELS)]);
    p.make();
    let first = p.names("shop")[0].clone();
    p.write_migration(
        "shop",
        "0002_index_concurrently",
        &format!(
            "dependencies = [\"shop/{first}\"]\natomic = false\n\n\
             [[operations]]\nop = \"run_sql\"\n\
             sql = \"CREATE INDEX CONCURRENTLY counter_n ON shop_counter (n); UPDATE shop_counter SET n = n + 1; SELECT teapot_later_fn()\"\n\
             reverse_sql = \"DROP INDEX CONCURRENTLY counter_n\"\n"
        ),
    );
    let db = TestDb::postgres().await;
    run(&p, &db, &["migrate", "shop", &first]).ok();
    db.exec("INSERT INTO shop_counter (n) SELECT 0 FROM generate_series(1, 10)").await;

    let printed = run(&p, &db, &["sqlmigrate", "shop", "0002"]);
    let sql = printed.ok();
    assert!(!sql.contains("BEGIN;") && sql.contains("is not atomic"), "{printed}");
    assert!(sql.contains("SELECT teapot_later_fn();"), "every statement ends with ;\n{printed}");

    let out = run(&p, &db, &["migrate"]);
    out.fails_with(1);
    out.says(&["statement 3 of 3", "teapot_later_fn", "2 statement(s) before it are kept"]);
    assert_eq!(db.column("SELECT indexname::text FROM pg_indexes WHERE indexname = 'counter_n'").await.len(), 1, "built concurrently");
    assert_eq!(sum(&db).await, 10);
    let shown = run(&p, &db, &["showmigrations"]);
    assert!(shown.ok().contains("[~] 0002_index_concurrently"), "{shown}");
    // --online does not take over what a plain run began.
    let out = run(&p, &db, &["migrate", "--online"]);
    assert!(out.fails_with(1).contains("finish it the way it began: teapot migrate"), "{out}");

    db.exec("CREATE FUNCTION teapot_later_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'").await;
    run(&p, &db, &["migrate"]).ok();
    assert_eq!(sum(&db).await, 10, "the UPDATE (statement 2) did not run again");
    assert!(run(&p, &db, &["showmigrations"]).ok().contains("[X] 0002_index_concurrently"));

    // Backwards, also statement by statement (DROP INDEX CONCURRENTLY).
    run(&p, &db, &["migrate", "shop", &first]).ok();
    assert!(db.column("SELECT indexname::text FROM pg_indexes WHERE indexname = 'counter_n'").await.is_empty());
}

/// Progress is tied to what each step ran, not only to its number: a migration edited after it
/// was partly applied is refused instead of being resumed past a step that did something else.
#[tokio::test]
async fn a_migration_edited_after_it_was_partly_applied_is_not_resumed() {
    let (p, first) = project("SELECT teapot_test_fn()");
    let db = TestDb::postgres().await;
    run(&p, &db, &["migrate", "shop", &first]).ok();
    db.exec("INSERT INTO shop_counter (n) SELECT 0 FROM generate_series(1, 5)").await;
    run(&p, &db, &["migrate", "--online"]).fails_with(1);
    assert_eq!(sum(&db).await, 5);
    // Edited: step 1 now adds 10. Resuming by number would skip it as "done" and record the
    // migration as applied with n = 1 in every row.
    let (p, _) = project("SELECT 1");
    let path = p.migrations_dir("shop").join("0002_bump.toml");
    std::fs::write(&path, std::fs::read_to_string(&path).expect("read").replace("n = n + 1", "n = n + 10")).expect("edit");
    let out = run(&p, &db, &["migrate", "--online"]);
    let err = out.fails_with(1);
    assert!(err.contains("changed after it was partly applied") && err.contains("step 1"), "{out}");
    assert_eq!(sum(&db).await, 5, "nothing ran");
    assert_eq!(common::db::applied(&db.url).await.len(), 1, "not recorded as applied");
}

const FAMILY_V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "shop")]
pub struct Parent {
    pub id: i64,
}

#[derive(Model)]
#[teapot(app = "shop")]
pub struct Child {
    pub id: i64,
    #[teapot(on_delete = "cascade")]
    pub parent: ForeignKey<Parent>,
    pub note: Option<String>,
}
"#;

/// What makemigrations writes, both modes apply: a column with a volatile database default
/// (the table is rewritten, so every row counts as new to the deferred foreign-key checks) next to
/// a column made NOT NULL with a one-off value (an UPDATE, then ALTER TABLE). Without Django's
/// `SET CONSTRAINTS ALL IMMEDIATE` after the UPDATE, PostgreSQL refuses the ALTER: "pending
/// trigger events".
#[tokio::test]
async fn a_rewrite_then_a_not_null_fill_applies_in_both_modes() {
    let p = Project::new(&[("shop", FAMILY_V1)]);
    p.make();
    let first = p.names("shop")[0].clone();
    let v2 = FAMILY_V1.replace(
        "    pub note: Option<String>,\n",
        "    pub note: String,\n    #[teapot(db_default = \"gen_random_uuid()\")]\n    pub key: Uuid,\n",
    );
    p.set("shop", &v2);
    let out = teapot(p.root(), &["makemigrations", "--noinput", "--default", "shop.Child.note=\"none\""]);
    out.ok();
    for online in [false, true] {
        let db = TestDb::postgres().await;
        run(&p, &db, &["migrate", "shop", &first]).ok();
        db.exec("INSERT INTO shop_parent (id) VALUES (1), (2)").await;
        db.exec(
            "INSERT INTO shop_child (parent_id, note) SELECT 1 + g % 2, CASE WHEN g % 3 = 0 THEN 'n' END FROM generate_series(1, 30) g",
        )
        .await;
        let args: &[&str] = if online { &["migrate", "--online"] } else { &["migrate"] };
        let out = run(&p, &db, args);
        assert_eq!(out.code, 0, "online={online}\n{out}");
        let nulls = db.column("SELECT count(*)::text FROM shop_child WHERE note IS NULL OR key IS NULL").await;
        assert_eq!(nulls, [Some("0".to_string())], "online={online}");
        let filled = db.column("SELECT count(*)::text FROM shop_child WHERE note = 'none'").await;
        assert_eq!(filled, [Some("20".to_string())], "online={online}: the NULL notes got the one-off value");
    }
}

/// One truth for defaults, in both modes: a field's declared `default` stays in the database (a
/// writer that does not set the column — code still deployed — gets it); a one-off value given to
/// makemigrations only fills the rows that exist. Drift compares defaults.
#[tokio::test]
async fn both_modes_keep_declared_defaults_and_drop_one_off_values() {
    let p = Project::new(&[("shop", MODELS)]);
    p.make();
    let first = p.names("shop")[0].clone();
    p.set(
        "shop",
        &MODELS
            .replace("    pub n: i32,\n", "    pub n: i32,\n    #[teapot(default = 7)]\n    pub declared: i32,\n    pub one_off: i32,\n"),
    );
    teapot(p.root(), &["makemigrations", "--noinput", "--default", "shop.Counter.one_off=3"]).ok();
    let mut schemas = Vec::new();
    for online in [false, true] {
        let db = TestDb::postgres().await;
        run(&p, &db, &["migrate", "shop", &first]).ok();
        db.exec("INSERT INTO shop_counter (n) VALUES (1), (2)").await;
        let args: &[&str] = if online { &["migrate", "--online"] } else { &["migrate"] };
        run(&p, &db, args).ok();
        let schema = db.schema().await;
        assert!(schema.contains(&"shop_counter default declared 7".to_string()), "online={online}: {schema:#?}");
        assert!(!schema.iter().any(|l| l.contains("default one_off")), "online={online}: the one-off value is no default: {schema:#?}");
        let rows = db.column("SELECT declared || '/' || one_off FROM shop_counter ORDER BY id").await;
        assert_eq!(rows, [Some("7/3".to_string()), Some("7/3".to_string())], "online={online}: old rows filled");
        // Code that does not know `declared` can still insert (it does have to set one_off).
        db.exec("INSERT INTO shop_counter (n, one_off) VALUES (3, 0)").await;
        schemas.push(schema);

        // A default changed behind the migrations' back is drift.
        db.exec("ALTER TABLE shop_counter ALTER COLUMN declared SET DEFAULT 9").await;
        let out = run(&p, &db, &["check"]);
        out.fails_with(1);
        assert!(
            out.stdout.contains("shop_counter: column declared: the migrations have DEFAULT 7; the database has DEFAULT 9"),
            "online={online}: drift names the default:\n{out}"
        );
    }
    assert_eq!(schemas[0], schemas[1], "plain and online agree on defaults");
}
