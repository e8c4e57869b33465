//! Abstract bases, a many-to-many through a model and related_query_name against Django 5.2
//! (fixtures/django-model-shape/django: what Django emitted for the same models on PostgreSQL):
//! the bases' fields are each model's own columns, first after `id` (a base of a base, a foreign
//! key in a base with a per-model related_name); the many-to-many through Membership makes no
//! table, and its add_field comes after Membership's create_model, as Django orders it; v2 adds a
//! field to the base Stamped: an add_field on every model built on it.
//!
//! Intended differences, taken out before comparing: teapot's ON DELETE clauses, and the declared
//! defaults teapot keeps in the database (`DEFAULT 'd'`; DESIGN.md).

mod common;

use common::db::{migrate, TestDb};
use common::reference::{no_drift, Fixture};
use teapot::migrate::executor::Direction;
use teapot::Dialect;

const FIXTURE: Fixture = Fixture { name: "django-model-shape", app: "club", models: "club.rs" };

const FIRST: &str = "0001_initial";
const SECOND: &str = "0002_club_note_membership_note_person_note";

/// The statements of a script, comments and the intended differences taken out.
fn statements(sql: &str) -> Vec<String> {
    sql.lines()
        .filter(|l| !l.starts_with("--") && *l != "BEGIN;" && *l != "COMMIT;" && !l.trim().is_empty())
        .map(|l| l.replace(" ON DELETE CASCADE", "").replace(" DEFAULT 'd'", "").replace(" DEFAULT 'member'", ""))
        .collect()
}

/// The statements as a set, the intended differences taken out.
fn as_set(sql: &str) -> Vec<String> {
    let mut all = statements(sql);
    all.sort();
    all
}

/// The bases' columns come first, in Django's order; the through many-to-many makes no table.
#[test]
fn create_models_with_abstract_bases_and_a_through_is_djangos_ddl() {
    let (_dir, config) = FIXTURE.project("v2");
    let ours = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0001", Direction::Forwards);
    assert!(!ours.contains("club_club_members"), "no join table for a many-to-many through a model:\n{ours}");
    assert_eq!(as_set(&ours), as_set(&FIXTURE.reference("0001_initial.sql")));
    // Column order, statement for statement (a set would not see it).
    let create = |sql: &str, table: &str| statements(sql).into_iter().find(|l| l.starts_with(&format!("CREATE TABLE \"{table}\"")));
    for table in ["club_club", "club_person", "club_membership"] {
        assert_eq!(create(&ours, table), create(&FIXTURE.reference("0001_initial.sql"), table), "{table}");
    }
}

/// A field added to a base is an add_field on each model built on it, in Django's order.
#[test]
fn a_field_added_to_a_base_is_added_to_every_model_as_django_does() {
    let (_dir, config) = FIXTURE.project("v2");
    let fwd = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0002", Direction::Forwards);
    assert_eq!(statements(&fwd), statements(&FIXTURE.reference("0002.sql")));
    let back = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0002", Direction::Backwards);
    assert_eq!(as_set(&back), as_set(&FIXTURE.reference("0002.backwards.sql")));
}

/// The declarations give the golden migrations: makemigrations has nothing to add.
#[test]
fn makemigrations_agrees_with_the_golden_migrations() {
    let (dir, _config) = FIXTURE.project("v2");
    let out = common::cli::teapot(dir.path(), &["makemigrations", "--check", "--noinput"]);
    assert_eq!(out.code, 0, "{out}");
}

/// Django records `through` and `related_query_name` on the fields: so does teapot.
#[test]
fn the_migration_records_through_and_related_query_name() {
    let text = std::fs::read_to_string(FIXTURE.root().join("expected/club/0001_initial.toml")).expect("golden");
    assert!(text.contains(r#"through = "club.Membership""#), "{text}");
    assert!(text.contains(r#"related_query_name = "club""#), "{text}");
    let django = FIXTURE.reference("0001_initial.py");
    assert!(django.contains("through='club.Membership'") && django.contains("related_query_name='club'"), "{django}");
}

async fn ours(db: &TestDb) -> Vec<String> {
    let mut lines: Vec<String> =
        db.schema().await.into_iter().filter(|l| !l.contains(" default ")).map(|l| l.replace(" on delete c ", " on delete a ")).collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn live_schema_is_djangos_after_plain_and_online_migrate_with_no_drift() {
    for online in [false, true] {
        let (dir, config) = FIXTURE.project("v2");
        let db = TestDb::postgres().await;
        for (step, name) in [(1, FIRST), (2, SECOND)] {
            FIXTURE.migrate_to(dir.path(), &config, &db, name, online).await;
            assert_eq!(ours(&db).await, FIXTURE.theirs(step), "after {name} (online: {online})");
            no_drift(&config, &db).await;
        }
        migrate(&config, &db.url, Some("club"), Some(FIRST)).await.expect("unapply");
        assert_eq!(ours(&db).await, FIXTURE.theirs(1), "back at 0001");
    }
}

/// On SQLite too: the models migrate, and no join table is made for the through many-to-many.
#[tokio::test]
async fn sqlite_makes_no_join_table_for_a_through_many_to_many() {
    let (_dir, config) = FIXTURE.project("v2");
    let db = TestDb::sqlite();
    migrate(&config, &db.url, None, None).await.unwrap_or_else(|e| panic!("migrate: {e}"));
    let tables: Vec<String> = db
        .column("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'club_%' ORDER BY name")
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(tables, ["club_club", "club_country", "club_membership", "club_person"]);
    let cols: Vec<String> = db.column("SELECT name FROM pragma_table_info('club_club') ORDER BY cid").await.into_iter().flatten().collect();
    assert_eq!(cols, ["id", "created", "updated", "name", "status", "country_id", "home_id", "note"]);
}

/// Writes fixtures/django-model-shape/django/schema_after_000N.txt from databases Django migrated
/// to 000N (`TEAPOT_DJANGO_MODEL_SHAPE_URL` with `{n}` for the step; make.py leaves them). Run by
/// hand when the fixture is remade.
#[tokio::test]
#[ignore]
async fn dump_django_schemas() {
    FIXTURE.dump_django_schemas("TEAPOT_DJANGO_MODEL_SHAPE_URL", 2).await;
}
