//! Django's way of doing `on_delete` (`[project] on_delete = "orm"`) against what Django 5.2 does
//! for a model with a foreign key of every kind (fixtures/django-on-delete/django/): NO ACTION on
//! every foreign key in the database (join tables' too), the DDL Django prints, Django's live
//! schema after plain and `--online` migrate, no drift, `check` content on a database Django's own
//! DDL built, and a change of the setting later re-creating the constraints (online: NOT VALID,
//! then VALIDATE) without losing a join table's rows.
//!
//! Intended difference, taken out before comparing: Django puts a self-referencing foreign key
//! (`parent_id`) first among the relations of a new table; teapot orders them by name (the column
//! order is tracked with the other column-order cases).

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::db::{migrate, TestDb};
use common::Project;
use teapot::migrate::config::Config;
use teapot::migrate::executor::{ancestors, migration_sql, Direction};
use teapot::migrate::loader::load_graph;
use teapot::Dialect;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/django-on-delete")
}

fn reference(file: &str) -> String {
    let path = fixture().join("django").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn models() -> String {
    std::fs::read_to_string(fixture().join("od.rs")).expect("fixture models")
}

/// A project with the fixture's models under `toml` (an `[apps.od]` is added), its migrations made.
fn project(project_table: &str) -> Project {
    let p = Project::new(&[("od", &models())]);
    let path = p.root().join("teapot.toml");
    let toml = format!("{project_table}\n{}", std::fs::read_to_string(&path).expect("toml"));
    std::fs::write(&path, toml).expect("write toml");
    let p = Project { config: Config::load(Some(&path)).expect("config"), dir: p.dir };
    p.make();
    p
}

const ORM: &str = "[project]\non_delete = \"orm\"\n";

fn statements(sql: &str) -> Vec<String> {
    let mut v: Vec<String> = sql
        .lines()
        .filter(|l| !l.starts_with("--") && *l != "BEGIN;" && *l != "COMMIT;" && !l.trim().is_empty())
        .map(|l| l.replace("\"parent_id\" bigint NULL, ", ""))
        .collect();
    v.sort();
    v
}

fn teapot_sql(config: &Config, dialect: Dialect, name: &str, direction: Direction) -> String {
    let graph = load_graph(config).expect("graph");
    let key = graph.app_migrations("od").find(|m| m.name.starts_with(name)).map(|m| m.key()).expect("migration");
    let before = ancestors(&graph, &key);
    let mut state = graph.state_until(|m| before.contains(&m.key()) && m.key() != key).expect("state");
    let m = graph.get(&key).expect("migration");
    let teapot::migrate::executor::MigrationSql { operations, deferred, .. } =
        migration_sql(dialect, m, &mut state, direction).expect("render");
    let mut out: Vec<String> = operations.into_iter().flat_map(|(_, s)| s).collect();
    out.extend(deferred);
    out.join("\n")
}

#[test]
fn the_migration_records_who_does_on_delete_where_it_matters() {
    let p = project(ORM);
    let text = std::fs::read_to_string(p.migrations_dir("od").join("0001_initial.toml")).expect("read");
    assert!(text.contains("on_delete = \"cascade\", orm_on_delete = true"), "{text}");
    assert!(text.contains("{ name = \"tags\", type = \"many_to_many\", to = \"od.Owner\", orm_on_delete = true"), "{text}");
    // PROTECT and DO_NOTHING have NO ACTION whoever does on_delete: nothing to record.
    assert!(text.contains("on_delete = \"protect\", related_name"), "{text}");
    assert!(text.contains("on_delete = \"do_nothing\", related_name"), "{text}");
    // The default (the database does it) records nothing.
    let p = project("");
    let text = std::fs::read_to_string(p.migrations_dir("od").join("0001_initial.toml")).expect("read");
    assert!(!text.contains("orm_on_delete"), "{text}");
}

#[test]
fn create_model_is_djangos_ddl_on_postgres() {
    let p = project(ORM);
    let ours = teapot_sql(&p.config, Dialect::Postgres, "0001", Direction::Forwards);
    assert!(!ours.contains("ON DELETE"), "{ours}");
    assert_eq!(statements(&ours), statements(&reference("0001_initial.sql")));
}

#[test]
fn create_model_has_no_on_delete_on_sqlite_as_django() {
    let p = project(ORM);
    let ours = teapot_sql(&p.config, Dialect::Sqlite, "0001", Direction::Forwards);
    assert!(!ours.contains("ON DELETE"), "{ours}");
    // Django types SQLite's foreign key columns `bigint`; teapot `integer` (the same affinity).
    let theirs = reference("0001_initial.sqlite.sql").replace("_id\" bigint N", "_id\" integer N");
    assert_eq!(statements(&ours), statements(&theirs));
}

#[test]
fn the_database_mode_keeps_the_actions_in_the_constraints() {
    let p = project("");
    let ours = teapot_sql(&p.config, Dialect::Postgres, "0001", Direction::Forwards);
    for (col, action) in [("cascade", " ON DELETE CASCADE"), ("restrict", " ON DELETE RESTRICT"), ("set_null", " ON DELETE SET NULL")] {
        assert!(ours.contains(&format!("FOREIGN KEY (\"{col}_id\") REFERENCES \"od_owner\" (\"id\"){action} DEFERRABLE")), "{col}: {ours}");
    }
    // PROTECT is the ORM's in both modes: NO ACTION, as Django leaves it.
    assert!(ours.contains("FOREIGN KEY (\"protect_id\") REFERENCES \"od_owner\" (\"id\") DEFERRABLE"), "{ours}");
}

fn theirs() -> Vec<String> {
    reference("schema.txt").lines().map(str::to_string).collect()
}

async fn ours(db: &TestDb) -> Vec<String> {
    db.schema().await
}

async fn drift(config: &Config, db: &TestDb, applied: &BTreeSet<String>) -> Vec<teapot::migrate::check::drift::Difference> {
    use teapot::migrate::check::drift::{drift_report, DriftOptions};
    let graph = load_graph(config).expect("graph");
    let mut conn = db.conn().await;
    let out = drift_report(&mut conn, &graph, applied, &DriftOptions::default()).await.expect("drift");
    conn.close().await;
    out
}

async fn applied(db: &TestDb) -> BTreeSet<String> {
    common::db::applied(&db.url).await.into_iter().collect()
}

#[tokio::test]
async fn live_schema_is_djangos_after_plain_and_online_migrate_with_no_drift() {
    for online in [false, true] {
        let p = project(ORM);
        let db = TestDb::postgres().await;
        if online {
            let out = common::cli::teapot(p.root(), &["migrate", "--online", "--database-url", &db.url]);
            assert_eq!(out.code, 0, "{out}");
        } else {
            migrate(&p.config, &db.url, None, None).await.expect("migrate");
        }
        assert_eq!(ours(&db).await, theirs(), "online: {online}");
        assert!(drift(&p.config, &db, &applied(&db).await).await.is_empty());
    }
}

/// A database built by Django's own DDL (the vendored `sqlmigrate`): drift finds nothing against
/// teapot's migrations of the same models under `on_delete = "orm"`, and finds every action
/// under the default.
#[tokio::test]
async fn drift_is_empty_on_a_database_django_built() {
    let db = TestDb::postgres().await;
    db.exec(&reference("0001_initial.sql")).await;
    assert_eq!(ours(&db).await, theirs());
    let p = project(ORM);
    let all: BTreeSet<String> = load_graph(&p.config).expect("graph").order().expect("order").iter().map(|m| m.key()).collect();
    let out = drift(&p.config, &db, &all).await;
    assert!(out.is_empty(), "{out:?}");
    let p = project("");
    let out = drift(&p.config, &db, &all).await;
    let objects: Vec<String> = out.iter().map(|d| format!("{} {}", d.table, d.live)).collect();
    // cascade, one, parent, restrict, set_default, set_null and the join table's two: NO ACTION
    // where the default expects the action.
    assert_eq!(out.len(), 8, "{objects:#?}");
    assert!(out.iter().all(|d| d.live.contains("ON DELETE NO ACTION") && !d.expected.contains("NO ACTION")), "{out:#?}");
}

/// `teapot check --database-url` on the database Django built passes.
#[tokio::test]
async fn check_passes_on_a_database_django_built() {
    let db = TestDb::postgres().await;
    db.exec(&reference("0001_initial.sql")).await;
    let p = project(ORM);
    // The migrations are recorded as applied (a project that moved from Django fakes its initial
    // migrations so).
    migrate_fake(&p, &db).await;
    let out = common::cli::teapot(p.root(), &["check", "--database-url", &db.url]);
    assert_eq!(out.code, 0, "{out}");
}

async fn migrate_fake(p: &Project, db: &TestDb) {
    let out = common::cli::teapot(p.root(), &["migrate", "--fake", "--database-url", &db.url]);
    assert_eq!(out.code, 0, "{out}");
}

/// A project made under the default, then moved to `on_delete = "orm"`: makemigrations writes an
/// AlterField per foreign key whose constraint changes (none for PROTECT and DO_NOTHING), and
/// migrate (plain and online) re-creates the constraints to Django's, keeping the join table
/// and its rows; backwards puts the actions back.
#[tokio::test]
async fn changing_the_setting_recreates_the_constraints() {
    for online in [false, true] {
        let p = project("");
        let db = TestDb::postgres().await;
        migrate(&p.config, &db.url, None, None).await.expect("migrate 0001");
        db.exec("INSERT INTO od_owner (name) VALUES ('o'); INSERT INTO od_item (name, cascade_id) VALUES ('i', 1); INSERT INTO od_item_tags (item_id, owner_id) VALUES (1, 1)").await;
        let database_mode = ours(&db).await;
        let path = p.root().join("teapot.toml");
        let toml = format!("{ORM}\n{}", std::fs::read_to_string(&path).expect("toml"));
        std::fs::write(&path, toml).expect("write toml");
        let p = Project { config: Config::load(Some(&path)).expect("config"), dir: p.dir };
        let made = p.make();
        let m = common::only(&made);
        assert_eq!(
            common::described(&m.operations),
            [
                "Alter field cascade on Item",
                "Alter field one on Item",
                "Alter field parent on Item",
                "Alter field restrict on Item",
                "Alter field set_default on Item",
                "Alter field set_null on Item",
                "Alter field tags on Item",
            ]
        );
        let name = m.name.clone();
        let sql = teapot_sql(&p.config, Dialect::Postgres, &name, Direction::Forwards);
        assert!(sql.contains("ALTER TABLE \"od_item_tags\" DROP CONSTRAINT \"od_item_tags_owner_id_63b25782_fk_od_owner_id\";"), "{sql}");
        assert!(!sql.contains("DROP TABLE"), "{sql}");
        if online {
            let steps = common::cli::teapot(p.root(), &["sqlmigrate", "od", &name, "--online", "--database-url", &db.url]);
            assert!(steps.stdout.contains("NOT VALID") && steps.stdout.contains("VALIDATE CONSTRAINT"), "{steps}");
            let out = common::cli::teapot(p.root(), &["migrate", "--online", "--database-url", &db.url]);
            assert_eq!(out.code, 0, "{out}");
        } else {
            migrate(&p.config, &db.url, None, None).await.expect("migrate 0002");
        }
        // Django's schema, plus the data.
        assert_eq!(ours(&db).await, theirs(), "online: {online}");
        assert_eq!(db.column("SELECT CAST(COUNT(*) AS TEXT) FROM od_item_tags").await, [Some("1".to_string())]);
        assert!(drift(&p.config, &db, &applied(&db).await).await.is_empty());
        migrate(&p.config, &db.url, Some("od"), Some("0001_initial")).await.expect("back to 0001");
        assert_eq!(ours(&db).await, database_mode, "back (online: {online})");
    }
}

/// On SQLite the change rebuilds the tables (the join table with its rows) and drift is empty.
#[tokio::test]
async fn changing_the_setting_on_sqlite_rebuilds_with_the_rows() {
    let p = project("");
    let db = TestDb::sqlite();
    migrate(&p.config, &db.url, None, None).await.expect("migrate 0001");
    db.exec("INSERT INTO od_owner (name) VALUES ('o'); INSERT INTO od_item (name, cascade_id) VALUES ('i', 1); INSERT INTO od_item_tags (item_id, owner_id) VALUES (1, 1)").await;
    let path = p.root().join("teapot.toml");
    std::fs::write(&path, format!("{ORM}\n{}", std::fs::read_to_string(&path).expect("toml"))).expect("write toml");
    let p = Project { config: Config::load(Some(&path)).expect("config"), dir: p.dir };
    p.make();
    migrate(&p.config, &db.url, None, None).await.expect("migrate 0002");
    let sql: Vec<String> =
        db.column("SELECT sql FROM sqlite_master WHERE name IN ('od_item', 'od_item_tags')").await.into_iter().flatten().collect();
    assert!(sql.iter().all(|s| !s.contains("ON DELETE")), "{sql:?}");
    assert_eq!(db.column("SELECT CAST(COUNT(*) AS TEXT) FROM od_item_tags").await, [Some("1".to_string())]);
    assert!(drift(&p.config, &db, &applied(&db).await).await.is_empty());
}

/// Writes fixtures/django-on-delete/django/schema.txt from the database Django migrated
/// (`TEAPOT_DJANGO_ON_DELETE_URL`; django/make.py leaves it). Run by hand when the fixture is remade.
#[tokio::test]
#[ignore]
async fn dump_django_schema() {
    let Ok(url) = std::env::var("TEAPOT_DJANGO_ON_DELETE_URL") else { return };
    let mut c = teapot::Connection::open(&url).await.expect("connect");
    let lines = teapot::migrate::backend::introspect::schema_lines(&mut c).await.expect("introspect");
    let lines: Vec<String> = lines.into_iter().filter(|l| !l.starts_with("django_migrations ")).collect();
    std::fs::write(fixture().join("django/schema.txt"), lines.join("\n") + "\n").expect("write");
}
