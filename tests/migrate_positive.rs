//! Positive integer fields (`#[teapot(positive)]` on i16 / i32 / i64), against what Django 5.2.19
//! does for PositiveSmallIntegerField / PositiveIntegerField / PositiveBigIntegerField
//! (fixtures/django-positive/): the column's `CHECK ("col" >= 0)` on create, add, alter and
//! remove, on PostgreSQL and SQLite, the migration files, and the ORM refusing a negative value.

#[macro_use]
mod common;

use std::path::Path;

use common::db::{migrate, TestDb};
use common::Project;
use teapot::migrate::config::Config;
use teapot::migrate::executor::{ancestors, migration_sql, Direction};
use teapot::migrate::loader::load_graph;
use teapot::migrate::make::MakeOptions;
use teapot::migrate::Operation;
use teapot::prelude::*;
use teapot::{Dialect, ErrorKind};

const V1: &str = "use teapot::prelude::*;\n\n#[derive(Model)]\npub struct Item {\n    pub id: i64,\n    #[teapot(positive)]\n    pub qty: i32,\n    #[teapot(positive)]\n    pub rank: Option<i16>,\n    #[teapot(positive)]\n    pub big: i64,\n    pub plain: i32,\n    #[teapot(positive)]\n    pub gone: Option<i32>,\n}\n";
const V2: &str = "use teapot::prelude::*;\n\n#[derive(Model)]\npub struct Item {\n    pub id: i64,\n    #[teapot(positive)]\n    pub qty: i32,\n    pub rank: Option<i16>,\n    #[teapot(positive)]\n    pub big: i64,\n    #[teapot(positive)]\n    pub plain: i32,\n    #[teapot(positive)]\n    pub added: Option<i32>,\n}\n";
const SECOND: &str = "0002_remove_item_gone_item_added_alter_item_plain_and_more";

fn reference(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/django-positive").join(file)).expect("fixture")
}

fn statements(sql: &str) -> Vec<String> {
    sql.lines().filter(|l| !l.starts_with("--") && *l != "BEGIN;" && *l != "COMMIT;" && !l.trim().is_empty()).map(str::to_string).collect()
}

/// The project at v2 with both migrations made (the second refusing the gone -> added rename,
/// as Django's answer N).
fn project() -> Project {
    let p = Project::new(&[("inv", V1)]);
    p.make();
    p.set("inv", V2);
    p.try_make(&MakeOptions::default(), &[], true, &[]).expect("second makemigrations");
    p
}

fn teapot_sql(config: &Config, dialect: Dialect, name: &str, direction: Direction) -> Vec<String> {
    let graph = load_graph(config).expect("graph");
    let key = format!("inv/{name}");
    let before = ancestors(&graph, &key);
    let mut state = graph.state_until(|m| before.contains(&m.key()) && m.key() != key).expect("state");
    let m = graph.get(&key).expect("migration");
    let teapot::migrate::executor::MigrationSql { operations, deferred, .. } =
        migration_sql(dialect, m, &mut state, direction).expect("render");
    operations.into_iter().flat_map(|(_, s)| s).chain(deferred).collect()
}

#[test]
fn the_migrations_record_positive_where_django_records_positive_fields() {
    let p = project();
    assert_eq!(p.names("inv"), ["0001_initial".to_string(), SECOND.to_string()]);
    let text = std::fs::read_to_string(p.migrations_dir("inv").join("0001_initial.toml")).expect("read");
    assert!(text.contains("{ name = \"qty\", type = \"integer\", positive = true }"), "{text}");
    assert!(text.contains("{ name = \"plain\", type = \"integer\" }"), "{text}");
    let m = p.read("inv", SECOND);
    let described: Vec<String> = m.operations.iter().map(Operation::describe).collect();
    // Django: Remove field gone, Add field added, Alter field plain, Alter field rank.
    assert_eq!(
        described,
        ["Remove field gone from Item", "Add field added to Item", "Alter field plain on Item", "Alter field rank on Item"]
    );
}

#[test]
fn create_table_is_djangos_on_both_backends() {
    let p = project();
    assert_eq!(teapot_sql(&p.config, Dialect::Postgres, "0001_initial", Direction::Forwards), statements(&reference("0001.postgres.sql")));
    assert_eq!(teapot_sql(&p.config, Dialect::Sqlite, "0001_initial", Direction::Forwards), statements(&reference("0001.sqlite.sql")));
}

#[test]
fn add_and_alter_are_djangos_on_postgres() {
    let p = project();
    let ours = teapot_sql(&p.config, Dialect::Postgres, SECOND, Direction::Forwards);
    let theirs = statements(&reference("0002.postgres.after_0001.sql"));
    // Django drops the CHECK its introspection finds (PostgreSQL's name for an inline one);
    // teapot finds it the same way when the statement runs: every other statement is Django's.
    assert_eq!(ours.len(), theirs.len());
    for (o, t) in ours.iter().zip(&theirs) {
        if t.contains("DROP CONSTRAINT \"inv_item_rank_check\"") {
            assert!(o.starts_with("DO $teapot$") && o.contains("'rank'") && o.contains("CHECK ((rank >= 0))"), "{o}");
        } else {
            assert_eq!(o, t);
        }
    }
    let back = teapot_sql(&p.config, Dialect::Postgres, SECOND, Direction::Backwards);
    let theirs_back = statements(&reference("0002.backwards.postgres.sql"));
    // Backwards, Django's text on an empty database: no DROP for plain's CHECK (its introspection
    // found none); teapot drops it by finding it. One intended difference: rank's CHECK comes back
    // under the name it had at 0001 (PostgreSQL's), where Django adds it under its hashed one: the
    // state back at 0001 is 0001's, so drift and later migrations know the name.
    let ours_back: Vec<&String> = back.iter().filter(|s| !s.starts_with("DO $teapot$")).collect();
    let theirs_back: Vec<String> =
        theirs_back.iter().map(|s| s.replace("\"inv_item_rank_f0a129f6_check\"", "\"inv_item_rank_check\"")).collect();
    assert_eq!(ours_back, theirs_back.iter().collect::<Vec<_>>());
    assert!(back.iter().any(|s| s.starts_with("DO $teapot$") && s.contains("'plain'")));
}

async fn checks(db: &TestDb) -> Vec<String> {
    db.column("SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'inv_item'::regclass AND contype = 'c' ORDER BY 1")
        .await
        .into_iter()
        .map(|c| c.expect("text"))
        .collect()
}

#[tokio::test]
async fn postgres_has_djangos_checks_after_each_step_and_back() {
    let p = project();
    let db = TestDb::postgres().await;
    migrate(&p.config, &db.url, Some("inv"), Some("0001_initial")).await.expect("to 0001");
    assert_eq!(
        checks(&db).await,
        [
            "inv_item_big_check CHECK ((big >= 0))",
            "inv_item_gone_check CHECK ((gone >= 0))",
            "inv_item_qty_check CHECK ((qty >= 0))",
            "inv_item_rank_check CHECK ((rank >= 0))"
        ]
    );
    migrate(&p.config, &db.url, None, None).await.expect("to 0002");
    let theirs: Vec<String> = reference("checks_after_0002.txt").lines().map(str::to_string).collect();
    assert_eq!(checks(&db).await, theirs);
    // Back to 0001 gives 0001's names again (rank's CHECK re-added under PostgreSQL's name, as the
    // state at 0001 has it), and forwards again the CHECKs an alter added (Django's names) are found.
    migrate(&p.config, &db.url, Some("inv"), Some("0001_initial")).await.expect("back to 0001");
    assert!(checks(&db).await.contains(&"inv_item_rank_check CHECK ((rank >= 0))".to_string()));
    migrate(&p.config, &db.url, None, None).await.expect("to 0002 again");
    assert_eq!(checks(&db).await, theirs);
}

#[tokio::test]
async fn a_check_that_is_not_there_is_an_error_naming_table_and_column() {
    let p = project();
    let db = TestDb::postgres().await;
    migrate(&p.config, &db.url, Some("inv"), Some("0001_initial")).await.expect("to 0001");
    db.exec("ALTER TABLE inv_item DROP CONSTRAINT inv_item_rank_check").await;
    let e = migrate(&p.config, &db.url, None, None).await.expect_err("no CHECK to drop");
    let msg = format!("{e} {e:?}");
    assert!(msg.contains("expected one CHECK (rank >= 0) on \"inv_item\", found none"), "{msg}");
}

#[tokio::test]
async fn sqlite_rebuilds_with_djangos_columns() {
    let p = project();
    let db = TestDb::sqlite();
    migrate(&p.config, &db.url, None, None).await.expect("migrate");
    let sql = db.column("SELECT sql FROM sqlite_master WHERE name = 'inv_item'").await;
    let sql = sql[0].clone().expect("sql");
    for piece in [
        "\"qty\" integer unsigned NOT NULL CHECK (\"qty\" >= 0)",
        "\"big\" bigint unsigned NOT NULL CHECK (\"big\" >= 0)",
        "\"plain\" integer unsigned NOT NULL CHECK (\"plain\" >= 0)",
        "\"added\" integer unsigned NULL CHECK (\"added\" >= 0)",
        "\"rank\" integer NULL",
    ] {
        assert!(sql.contains(piece), "{piece} not in {sql}");
    }
    assert!(!sql.contains("\"rank\" >= 0"), "{sql}");
}

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "inv")]
    pub struct Stock {
        pub id: i64,
        #[teapot(positive)]
        pub qty: i32,
        #[teapot(positive)]
        pub rank: Option<i16>,
    }
}

async fn negative_is_refused(t: &TestDb) {
    let db = common::db::orm_db(t, "inv", MODELS_SRC).await;
    Stock { qty: 3, rank: Some(0), ..Stock::defaults() }.create(&db).await.expect("0 and more are kept");
    let e = Stock { qty: -1, rank: None, ..Stock::defaults() }.create(&db).await.expect_err("-1 is refused");
    assert_eq!(e.kind, ErrorKind::CheckViolation, "{e}");
    let e = Stock { qty: 1, rank: Some(-5), ..Stock::defaults() }.create(&db).await.expect_err("-5 is refused");
    assert_eq!(e.kind, ErrorKind::CheckViolation, "{e}");
}

#[tokio::test]
async fn the_orm_gets_a_check_violation_for_a_negative_value_on_postgres() {
    negative_is_refused(&TestDb::postgres().await).await;
}

#[tokio::test]
async fn the_orm_gets_a_check_violation_for_a_negative_value_on_sqlite() {
    negative_is_refused(&TestDb::sqlite()).await;
}

#[test]
fn positive_on_what_is_not_an_integer_is_an_error() {
    let src = "use teapot::prelude::*;\n\n#[derive(Model)]\npub struct Item {\n    pub id: i64,\n    #[teapot(positive)]\n    pub name: String,\n}\n";
    let p = Project::new(&[("inv", src)]);
    let e = p.try_make(&MakeOptions::default(), &[], false, &[]).expect_err("refused");
    assert!(e.to_string().contains("`positive` does not apply to field `name`: it is not an integer"), "{e}");
    let src = "use teapot::prelude::*;\n\n#[derive(Model)]\npub struct Item {\n    pub id: i64,\n    #[teapot(positive, default = -1)]\n    pub n: i32,\n}\n";
    p.set("inv", src);
    let e = p.try_make(&MakeOptions::default(), &[], false, &[]).expect_err("refused");
    assert!(e.to_string().contains("positive field `n` has the default -1"), "{e}");
}

async fn drift_of(p: &Project, db: &TestDb) -> Vec<String> {
    let graph = load_graph(&p.config).expect("graph");
    let applied: std::collections::BTreeSet<String> = common::db::applied(&db.url).await.into_iter().collect();
    let mut conn = db.conn().await;
    let out = teapot::migrate::check::drift::drift_report(&mut conn, &graph, &applied, &Default::default()).await.expect("drift");
    conn.close().await;
    out.iter().map(|d| d.to_string()).collect()
}

#[tokio::test]
async fn drift_expects_the_checks_of_positive_columns() {
    let p = project();
    for db in [TestDb::postgres().await, TestDb::sqlite()] {
        migrate(&p.config, &db.url, Some("inv"), Some("0001_initial")).await.expect("to 0001");
        assert_eq!(drift_of(&p, &db).await, Vec::<String>::new(), "{}", db.url);
        // 0002 makes `plain` positive: its CHECK has Django's alter-time name, and drift knows it.
        migrate(&p.config, &db.url, None, None).await.expect("to 0002");
        assert_eq!(drift_of(&p, &db).await, Vec::<String>::new(), "after 0002: {}", db.url);
        migrate(&p.config, &db.url, Some("inv"), Some("0001_initial")).await.expect("back to 0001");
        assert_eq!(drift_of(&p, &db).await, Vec::<String>::new(), "back at 0001: {}", db.url);
    }
}
