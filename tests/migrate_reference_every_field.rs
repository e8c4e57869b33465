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

use common::db::{migrate, TestDb};
use common::reference::{assert_same_schema, no_drift, schema, Fixture};

const FIXTURE: Fixture = Fixture { name: "every-field", app: "shop", models: "shop.rs" };

/// Writes fixtures/every-field/django/schema_after_000N.txt from the databases make.py left
/// migrated to 000N (`TEAPOT_DJANGO_EVERY_FIELD_URL` with `{n}` for the step). Run by hand when
/// the fixture is remade.
#[tokio::test]
#[ignore]
async fn dump_django_schemas() {
    FIXTURE.dump_django_schemas("TEAPOT_DJANGO_EVERY_FIELD_URL", 2).await;
}

const FIRST: &str = "0001_initial";
const SECOND: &str = "0002_remove_product_product_seen_brin_product_code_and_more";

#[tokio::test]
async fn live_schema_is_djangos_after_plain_and_online_migrate_with_no_drift() {
    for online in [false, true] {
        let (dir, config) = FIXTURE.project("v2");
        let db = TestDb::postgres().await;
        for (step, name) in [(1, FIRST), (2, SECOND)] {
            FIXTURE.migrate_to(dir.path(), &config, &db, name, online).await;
            assert_same_schema(&schema(&db).await, &FIXTURE.theirs(step), &format!("after {name} (online: {online})"));
            no_drift(&config, &db).await;
        }
        migrate(&config, &db.url, Some("shop"), Some(FIRST)).await.expect("unapply");
        assert_same_schema(&schema(&db).await, &FIXTURE.theirs(1), "back at 0001");
        no_drift(&config, &db).await;
    }
}

/// The declarations give the golden migrations, named and ordered as Django's: makemigrations has
/// nothing to add.
#[test]
fn makemigrations_agrees_with_the_golden_migrations() {
    let (dir, _config) = FIXTURE.project("v2");
    let out = common::cli::teapot(dir.path(), &["makemigrations", "--check", "--noinput"]);
    assert_eq!(out.code, 0, "{out}");
    let names: Vec<String> = std::fs::read_dir(FIXTURE.root().join("expected/shop"))
        .expect("golden")
        .map(|e| e.expect("entry").file_name().to_string_lossy().trim_end_matches(".toml").to_string())
        .collect();
    assert!(names.contains(&SECOND.to_string()), "Django's name for the second migration: {names:?}");
}
