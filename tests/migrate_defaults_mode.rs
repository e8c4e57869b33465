//! `[project] defaults = "orm"`: Django's way with a field's literal `default`, the ORM's alone
//! and no DEFAULT in the database. A migration adding such a field sets the default for the
//! statement that adds the column (filling the rows there) and drops it right after, Django's text
//! (fixtures/every-field/django/0002.sql has the same two statements for a callable default);
//! switching the setting is an AlterField that drops or sets the column's DEFAULT.

mod common;

use common::db::{migrate, TestDb};
use common::Project;
use teapot::migrate::config::Config;
use teapot::migrate::executor::{ancestors, migration_sql, Direction};
use teapot::migrate::loader::load_graph;
use teapot::Dialect;

const V1: &str = "use teapot::prelude::*;\n\n#[derive(Model)]\npub struct Item {\n    pub id: i64,\n    #[teapot(max_length = 20)]\n    pub name: String,\n}\n";
const V2: &str = "use teapot::prelude::*;\n\n#[derive(Model)]\npub struct Item {\n    pub id: i64,\n    #[teapot(max_length = 20)]\n    pub name: String,\n    #[teapot(default = 7)]\n    pub qty: i32,\n    #[teapot(max_length = 5, default = \"x\")]\n    pub tag: String,\n}\n";

/// A project at V1 under `project_table`, its first migration made.
fn project(project_table: &str) -> Project {
    let p = Project::new(&[("d", V1)]);
    set_toml(p, project_table)
}

fn set_toml(p: Project, project_table: &str) -> Project {
    let path = p.root().join("teapot.toml");
    let apps: String = std::fs::read_to_string(&path).expect("toml").split("[apps.").skip(1).map(|a| format!("[apps.{a}")).collect();
    std::fs::write(&path, format!("{project_table}\n{apps}")).expect("write toml");
    Project { config: Config::load(Some(&path)).expect("config"), dir: p.dir }
}

const ORM: &str = "[project]\ndefaults = \"orm\"\n";

fn sql(config: &Config, name: &str) -> Vec<String> {
    let graph = load_graph(config).expect("graph");
    let key = graph.app_migrations("d").find(|m| m.name.starts_with(name)).map(|m| m.key()).expect("migration");
    let before = ancestors(&graph, &key);
    let mut state = graph.state_until(|m| before.contains(&m.key()) && m.key() != key).expect("state");
    let m = graph.get(&key).expect("migration");
    let out = migration_sql(Dialect::Postgres, m, &mut state, Direction::Forwards).expect("render");
    out.operations.into_iter().flat_map(|(_, s)| s).chain(out.deferred).collect()
}

async fn pg_default(db: &TestDb, column: &str) -> Option<String> {
    db.column(&format!(
        "SELECT column_default::text FROM information_schema.columns WHERE table_name = 'd_item' AND column_name = '{column}'"
    ))
    .await
    .into_iter()
    .next()
    .flatten()
}

#[tokio::test]
async fn an_added_field_fills_the_rows_and_keeps_no_default_as_django() {
    let p = project(ORM);
    p.make();
    p.set("d", V2);
    p.make();
    let second = p.names("d").pop().expect("0002");
    let text = std::fs::read_to_string(p.migrations_dir("d").join(format!("{second}.toml"))).expect("read");
    assert!(text.contains("orm_default = true"), "recorded on the field: {text}");
    assert_eq!(
        sql(&p.config, "0002"),
        [
            r#"ALTER TABLE "d_item" ADD COLUMN "qty" integer DEFAULT 7 NOT NULL;"#,
            r#"ALTER TABLE "d_item" ALTER COLUMN "qty" DROP DEFAULT;"#,
            r#"ALTER TABLE "d_item" ADD COLUMN "tag" varchar(5) DEFAULT 'x' NOT NULL;"#,
            r#"ALTER TABLE "d_item" ALTER COLUMN "tag" DROP DEFAULT;"#,
        ]
    );
    for db in [TestDb::postgres().await, TestDb::sqlite()] {
        migrate(&p.config, &db.url, Some("d"), Some("0001_initial")).await.expect("0001");
        db.exec("INSERT INTO d_item (name) VALUES ('a')").await;
        db.exec("INSERT INTO d_item (name) VALUES ('b')").await;
        migrate(&p.config, &db.url, None, None).await.expect("0002");
        let filled = db.column("SELECT CAST(qty AS text) || tag FROM d_item ORDER BY id").await;
        assert_eq!(filled, [Some("7x".to_string()), Some("7x".to_string())], "{}", db.url);
        // No default is left: a writer that leaves the column out is refused, as on Django's.
        let mut conn = db.conn().await;
        let err = conn.execute("INSERT INTO d_item (name, tag) VALUES ('c', 'y')", &[]).await.expect_err("qty has no default");
        assert_eq!(err.kind, teapot::ErrorKind::NotNullViolation, "{}: {err}", db.url);
        conn.close().await;
        if db.url.starts_with("postgres") {
            assert_eq!(pg_default(&db, "qty").await, None);
        } else {
            let dflt = db.column("SELECT dflt_value FROM pragma_table_info('d_item') WHERE name = 'qty'").await;
            assert_eq!(dflt, [None], "SQLite keeps no default either");
        }
        let out = common::cli::teapot(p.root(), &["check", "--database-url", &db.url]);
        assert_eq!(out.code, 0, "no drift: {out}");
    }
}

/// The setting switched either way is an AlterField per field with a default: the column loses,
/// then gets back, its DEFAULT; the rows are untouched.
#[tokio::test]
async fn switching_the_setting_drops_and_restores_the_column_default() {
    let p = project("");
    p.set("d", V2);
    p.make();
    let db = TestDb::postgres().await;
    migrate(&p.config, &db.url, None, None).await.expect("database mode");
    assert_eq!(pg_default(&db, "qty").await.as_deref(), Some("7"));
    db.exec("INSERT INTO d_item (name) VALUES ('a')").await;
    let p = set_toml(p, ORM);
    let made = p.make();
    assert_eq!(common::described(&common::only(&made).operations), ["Alter field qty on Item", "Alter field tag on Item"]);
    migrate(&p.config, &db.url, None, None).await.expect("orm mode");
    assert_eq!(pg_default(&db, "qty").await, None);
    let p = set_toml(p, "");
    p.make();
    migrate(&p.config, &db.url, None, None).await.expect("database mode again");
    assert_eq!(pg_default(&db, "qty").await.as_deref(), Some("7"));
    assert_eq!(db.column("SELECT name FROM d_item").await, [Some("a".to_string())]);
}

#[test]
fn a_bad_value_is_an_error_naming_file_line_and_the_values() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("teapot.toml");
    std::fs::write(&path, "[project]\ndefaults = \"python\"\n\n[apps.d]\nmodels = [\"m.rs\"]\n").expect("write");
    let err = Config::load(Some(&path)).expect_err("refused");
    let text = format!("{err} {}", err.hint.clone().unwrap_or_default());
    assert!(
        text.contains("teapot.toml:2") && text.contains("\"python\"") && text.contains("\"orm\"") && text.contains("\"database\""),
        "{text}"
    );
}
