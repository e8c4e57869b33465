//! Every field kind and option of issue 14 in one project, against Django 5.2
//! (fixtures/every-field/django: what Django emitted for the same models on PostgreSQL 15, with
//! DEFAULT_AUTO_FIELD = AutoField): choices, callable defaults, auto_now, an abstract base,
//! positive integers, interval, inet, a stored generated column, partial / covering / operator
//! class / GIN / BRIN indexes, conditional and expression unique constraints, a many-to-many with
//! `through` and one without (integer join key), `related_query_name`, every `on_delete` with
//! Django's ON DELETE mode (NO ACTION in the database), a foreign key to a varchar key. v2 widens
//! that key (the columns pointing at it follow), makes a field unique, adds fields with callable
//! defaults to a table with rows and removes an index.
//!
//! The live schema after each migration equals Django's fact for fact (tables, columns, types,
//! nullability, keys, foreign keys, uniques, checks, indexes with names and definitions), built
//! by a plain and by an `--online` migrate, and drift is empty after each.
//! teapot.toml asks for Django's ways where teapot's differ: `on_delete = "orm"` and
//! `defaults = "orm"` (no DEFAULT in the database for a declared `default`).

mod common;

use std::path::PathBuf;

use common::db::{migrate, TestDb};
use teapot::migrate::config::Config;
use teapot::migrate::loader::load_graph;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/every-field")
}

fn reference(file: &str) -> String {
    let path = fixture().join("django").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A project holding the fixture's golden migrations and the models of `version`.
fn project(version: &str) -> (tempfile::TempDir, Config) {
    let root = fixture();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(root.join("teapot.toml"), dir.path().join("teapot.toml")).expect("copy toml");
    std::fs::create_dir_all(dir.path().join("models")).expect("mkdir");
    std::fs::copy(root.join(version).join("shop.rs"), dir.path().join("models/shop.rs")).expect("copy models");
    let mig = dir.path().join("migrations/shop");
    std::fs::create_dir_all(&mig).expect("mkdir");
    for e in std::fs::read_dir(root.join("expected/shop")).expect("golden migrations") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, mig.join(p.file_name().expect("name"))).expect("copy migration");
    }
    let config = Config::load(Some(&dir.path().join("teapot.toml"))).expect("config");
    (dir, config)
}

fn theirs(step: usize) -> Vec<String> {
    let mut lines: Vec<String> = reference(&format!("schema_after_000{step}.txt")).lines().map(str::to_string).collect();
    lines.sort();
    lines
}

async fn ours(db: &TestDb) -> Vec<String> {
    let mut lines: Vec<String> =
        db.schema().await.into_iter().filter(|l| !l.contains(" default ") || l.contains(" default total ")).collect();
    lines.sort();
    lines
}

/// Asserts two schemas are equal, naming the facts only one side has.
fn assert_same(ours: &[String], theirs: &[String], when: &str) {
    let only_ours: Vec<&String> = ours.iter().filter(|l| !theirs.contains(l)).collect();
    let only_theirs: Vec<&String> = theirs.iter().filter(|l| !ours.contains(l)).collect();
    assert!(only_ours.is_empty() && only_theirs.is_empty(), "{when}: only teapot's: {only_ours:#?}\nonly Django's: {only_theirs:#?}");
    assert_eq!(ours, theirs, "{when}");
}

async fn no_drift(config: &Config, db: &TestDb) {
    use teapot::migrate::check::drift::{drift_report, DriftOptions};
    let graph = load_graph(config).expect("graph");
    let applied: std::collections::BTreeSet<String> = common::db::applied(&db.url).await.into_iter().collect();
    let mut conn = db.conn().await;
    let out = drift_report(&mut conn, &graph, &applied, &DriftOptions::default()).await.expect("drift");
    conn.close().await;
    assert!(out.is_empty(), "drift after migrate: {out:?}");
}

/// Writes fixtures/every-field/django/schema_after_000N.txt from the databases make.py left
/// migrated to 000N (`TEAPOT_DJANGO_EVERY_FIELD_URL` with `{n}` for the step). Run by hand when
/// the fixture is remade.
#[tokio::test]
#[ignore]
async fn dump_django_schemas() {
    let Ok(template) = std::env::var("TEAPOT_DJANGO_EVERY_FIELD_URL") else { return };
    for n in 1..=2 {
        let mut c = teapot::Connection::open(&template.replace("{n}", &n.to_string())).await.expect("connect");
        let lines = teapot::migrate::backend::introspect::schema_lines(&mut c).await.expect("introspect");
        let lines: Vec<String> = lines.into_iter().filter(|l| !l.starts_with("django_migrations ")).collect();
        std::fs::write(fixture().join(format!("django/schema_after_000{n}.txt")), lines.join("\n") + "\n").expect("write");
    }
}

const FIRST: &str = "0001_initial";
const SECOND: &str = "0002_remove_product_product_seen_brin_product_code_and_more";

#[tokio::test]
async fn live_schema_is_djangos_after_plain_and_online_migrate_with_no_drift() {
    for online in [false, true] {
        let (dir, config) = project("v2");
        let db = TestDb::postgres().await;
        for (step, name) in [(1, FIRST), (2, SECOND)] {
            if online {
                let out = common::cli::teapot(dir.path(), &["migrate", "shop", name, "--online", "--database-url", &db.url]);
                assert_eq!(out.code, 0, "{out}");
            } else {
                migrate(&config, &db.url, Some("shop"), Some(name)).await.unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            assert_same(&ours(&db).await, &theirs(step), &format!("after {name} (online: {online})"));
            no_drift(&config, &db).await;
        }
        migrate(&config, &db.url, Some("shop"), Some(FIRST)).await.expect("unapply");
        assert_same(&ours(&db).await, &theirs(1), "back at 0001");
        no_drift(&config, &db).await;
    }
}

/// The declarations give the golden migrations, named and ordered as Django's: makemigrations has
/// nothing to add.
#[test]
fn makemigrations_agrees_with_the_golden_migrations() {
    let (dir, _config) = project("v2");
    let out = common::cli::teapot(dir.path(), &["makemigrations", "--check", "--noinput"]);
    assert_eq!(out.code, 0, "{out}");
    let names: Vec<String> = std::fs::read_dir(fixture().join("expected/shop"))
        .expect("golden")
        .map(|e| e.expect("entry").file_name().to_string_lossy().trim_end_matches(".toml").to_string())
        .collect();
    assert!(names.contains(&SECOND.to_string()), "Django's name for the second migration: {names:?}");
}
