//! Keys and the columns pointing at them against Django 5.2 (fixtures/keys/django: what Django
//! emitted for fixtures/keys' models on PostgreSQL 15; issue 14's schema bugs 1-3):
//! - a foreign key (and a join table column) pointing at a varchar key gets Django's `_like` index;
//! - a field made unique later gets Django's `{table}_{col}_{hash}_uniq` constraint (a field
//!   created unique keeps PostgreSQL's `_key`), dropped by that name, and checked before the drop;
//! - a key's type change retypes every column pointing at it, foreign keys dropped and re-added.
//!
//! The foreign keys re-added around a key's type change get Django's `{table}_{col}_{hash}_fk`
//! names (the state records them, so a later migration drops them by that name).
//!
//! One intended difference in the backwards SQL: undoing a key's type change re-adds those
//! foreign keys under the names they had before, where Django re-adds them as `_fk` again. The
//! state after an undo is the earlier migration's, whose names those are, so the live schema back
//! at 0001 is Django's schema after 0001 and a later migration still finds every constraint.
//!
//! Intended differences, taken out before comparing: teapot's ON DELETE clauses; Django's `SET CONSTRAINTS ... IMMEDIATE` before dropping a foreign key and its `ALTER SEQUENCE
//! IF EXISTS` after retyping an identity key (PostgreSQL retypes an identity's sequence with its
//! column); teapot's check (`DO $teapot$ ...`) that a unique constraint is there before dropping it.

mod common;

use common::db::{migrate, TestDb};
use common::reference::{no_drift, Fixture};
use teapot::migrate::executor::Direction;
use teapot::migrate::loader::load_graph;
use teapot::Dialect;

const FIXTURE: Fixture = Fixture { name: "keys", app: "shop", models: "shop.rs" };

/// The statements of a script, comments and the intended differences taken out (module doc).
fn statements(sql: &str) -> Vec<String> {
    sql.lines()
        .filter(|l| !l.starts_with("--") && *l != "BEGIN;" && *l != "COMMIT;" && !l.trim().is_empty())
        .filter(|l| !l.starts_with("ALTER SEQUENCE IF EXISTS ") && !l.starts_with("DO $teapot$"))
        .map(|l| {
            let mut l = match l.split_once(" IMMEDIATE; ") {
                Some((set, rest)) if set.starts_with("SET CONSTRAINTS ") => rest.to_string(),
                _ => l.to_string(),
            };
            for action in [" ON DELETE CASCADE", " ON DELETE SET NULL"] {
                l = l.replace(action, "");
            }
            l
        })
        .collect()
}

/// The statements as a set, the intended differences taken out.
fn as_set(sql: &str) -> Vec<String> {
    let mut all = statements(sql);
    all.sort();
    all
}

#[test]
fn foreign_keys_to_a_varchar_key_get_djangos_like_index() {
    let (_dir, config) = FIXTURE.project("v3");
    let ours = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0001", Direction::Forwards);
    assert!(
        ours.contains(r#"CREATE INDEX "shop_project_code_id_47d4e2f2_like" ON "shop_project" ("code_id" varchar_pattern_ops);"#),
        "{ours}"
    );
    assert_eq!(as_set(&ours), as_set(&FIXTURE.reference("0001_initial.sql")));
}

#[test]
fn key_type_changes_retype_the_columns_pointing_at_them_as_django_does() {
    let (_dir, config) = FIXTURE.project("v3");
    let fwd = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0002", Direction::Forwards);
    assert!(
        fwd.contains(r#"ALTER TABLE "shop_task_codes" ALTER COLUMN "code_id" TYPE varchar(32) USING "code_id"::varchar(32);"#),
        "{fwd}"
    );
    assert!(fwd.contains(r#"ALTER TABLE "shop_task" ALTER COLUMN "project_id" TYPE bigint USING "project_id"::bigint;"#), "{fwd}");
    assert_eq!(as_set(&fwd), as_set(&FIXTURE.reference("0002_v2.sql")));
    let back = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0002", Direction::Backwards);
    let readded_as_before = |l: &String| -> String {
        if l.contains(" ADD CONSTRAINT ") {
            l.replace("_fk_shop_code_code\"", "_fk\"").replace("_fk_shop_project_id\"", "_fk\"")
        } else {
            l.clone()
        }
    };
    assert!(back.contains(r#"ADD CONSTRAINT "shop_task_code_id_e9e3e7c4_fk_shop_code_code""#), "{back}");
    let mut back: Vec<String> = as_set(&back).iter().map(readded_as_before).collect();
    back.sort();
    assert_eq!(back, as_set(&FIXTURE.reference("0002_v2.backwards.sql")));
}

#[test]
fn a_field_made_unique_later_gets_djangos_uniq_name_and_loses_it_by_that_name() {
    let (_dir, config) = FIXTURE.project("v3");
    let fwd = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0002", Direction::Forwards);
    assert!(fwd.contains(r#"ALTER TABLE "shop_task" ADD CONSTRAINT "shop_task_title_26188101_uniq" UNIQUE ("title");"#), "{fwd}");
    assert!(!fwd.contains("shop_task_title_key"), "{fwd}");
    let third = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0003", Direction::Forwards);
    assert_eq!(statements(&third), statements(&FIXTURE.reference("0003_v3.sql")));
    assert!(!third.contains("DROP CONSTRAINT IF EXISTS"), "never dropped if it exists: {third}");
    assert!(third.contains("DO $teapot$"), "checked before the drop: {third}");
}

/// teapot's live schema, with the intended differences (module doc) taken out.
async fn ours(db: &TestDb) -> Vec<String> {
    let mut lines: Vec<String> = db
        .schema()
        .await
        .into_iter()
        .filter(|l| !l.contains(" default "))
        .map(|l| l.replace(" on delete c ", " on delete a ").replace(" on delete n ", " on delete a "))
        .collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn live_schema_after_each_migration_is_djangos() {
    let (_dir, config) = FIXTURE.project("v3");
    let db = TestDb::postgres().await;
    for (step, name) in [(1, "0001_initial"), (2, "0002_alter_code_code_alter_project_id_alter_task_title"), (3, "0003_alter_task_title")] {
        migrate(&config, &db.url, Some("shop"), Some(name)).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ours(&db).await, FIXTURE.theirs(step), "after {name}");
        no_drift(&config, &db).await;
    }
    // Back to 0001 gives Django's first schema again.
    migrate(&config, &db.url, Some("shop"), Some("0001_initial")).await.expect("unapply");
    assert_eq!(ours(&db).await, FIXTURE.theirs(1), "back at 0001");
    no_drift(&config, &db).await;
}

/// A foreign key re-created around its key's type change has Django's `_fk` name, and a later
/// migration that removes the field, or changes what it points at, drops it by that name.
#[tokio::test]
async fn a_foreign_key_readded_as_fk_is_dropped_later_by_that_name() {
    use teapot::migrate::backend::render;
    let (_dir, config) = FIXTURE.project("v3");
    let graph = load_graph(&config).expect("graph");
    let state = graph.state_until(|_| true).expect("state");
    let remove = teapot::migrate::Operation::RemoveField { model: "Task".into(), name: "code".into() };
    let mut after = state.clone();
    remove.apply("shop", &mut after).expect("apply");
    let rendered = render(Dialect::Postgres, "shop", &remove, &state, &after).expect("render");
    let sql = rendered.now.iter().chain(&rendered.deferred).cloned().collect::<Vec<_>>().join("\n");
    assert!(sql.contains(r#"DROP CONSTRAINT IF EXISTS "shop_task_code_id_e9e3e7c4_fk";"#), "{sql}");
    // And on a database: the constraint is gone, not left behind under the name teapot missed.
    let db = TestDb::postgres().await;
    migrate(&config, &db.url, None, None).await.expect("migrate");
    for s in sql.lines() {
        db.exec(s).await;
    }
    let left = db.column("SELECT conname::text FROM pg_constraint WHERE conname LIKE 'shop_task_code_id%'").await;
    assert!(left.is_empty(), "{left:?}");
}

/// A 17-character code, and a key past 2^31, pointed at from every referring column.
async fn point_at_wide_keys(db: &TestDb, pg: bool) {
    let code = "ABCDEFGHIJKLMNOPQ";
    db.exec(&format!("INSERT INTO shop_code (code, label) VALUES ('{code}', 'wide')")).await;
    db.exec(&format!("INSERT INTO shop_project (id, name, code_id) VALUES (3000000000, 'big', '{code}')")).await;
    db.exec(&format!("INSERT INTO shop_task (id, project_id, code_id, title) VALUES (1, 3000000000, '{code}', 't')")).await;
    db.exec(&format!("INSERT INTO shop_task_codes (task_id, code_id) VALUES (1, '{code}')")).await;
    db.exec("INSERT INTO shop_task_projects (task_id, project_id) VALUES (1, 3000000000)").await;
    if pg {
        let types = db
            .column(
                "SELECT table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') \
                 FROM information_schema.columns WHERE column_name IN ('code_id', 'project_id') ORDER BY 1",
            )
            .await;
        let types: Vec<String> = types.into_iter().flatten().collect();
        assert_eq!(
            types,
            [
                "shop_project.code_id character varying(32)",
                "shop_task.code_id character varying(32)",
                "shop_task.project_id bigint",
                "shop_task_codes.code_id character varying(32)",
                "shop_task_projects.project_id bigint",
            ]
        );
    }
}

#[tokio::test]
async fn wider_keys_can_be_pointed_at_after_migrate_on_postgres() {
    let (_dir, config) = FIXTURE.project("v3");
    let db = TestDb::postgres().await;
    migrate(&config, &db.url, None, None).await.expect("migrate");
    point_at_wide_keys(&db, true).await;
}

#[tokio::test]
async fn wider_keys_can_be_pointed_at_after_migrate_on_sqlite() {
    let (_dir, config) = FIXTURE.project("v3");
    let db = TestDb::sqlite();
    migrate(&config, &db.url, None, None).await.expect("migrate");
    point_at_wide_keys(&db, false).await;
    let ddl = db.column("SELECT sql FROM sqlite_master WHERE name IN ('shop_task', 'shop_project')").await;
    for sql in ddl.into_iter().flatten() {
        assert!(sql.contains("\"code_id\" varchar(32)"), "{sql}");
    }
}

/// Removing `unique` checks that the constraint the history names is there: a database whose
/// constraint has another name stops the migration with an error naming what is there.
#[tokio::test]
async fn removing_unique_whose_constraint_is_not_there_is_an_error_naming_what_is() {
    let (_dir, config) = FIXTURE.project("v3");
    let db = TestDb::postgres().await;
    migrate(&config, &db.url, Some("shop"), Some("0002_alter_code_code_alter_project_id_alter_task_title")).await.expect("to 0002");
    db.exec(r#"ALTER TABLE shop_task RENAME CONSTRAINT shop_task_title_26188101_uniq TO shop_task_title_key"#).await;
    let err = migrate(&config, &db.url, None, None).await.expect_err("the constraint is not where the history says").to_string();
    assert!(err.contains("shop_task_title_26188101_uniq") && err.contains("shop_task_title_key"), "{err}");
    let left = db.column("SELECT conname::text FROM pg_constraint WHERE conrelid = 'shop_task'::regclass AND contype = 'u'").await;
    assert_eq!(left, [Some("shop_task_title_key".to_string())], "nothing dropped");
}

/// Writes fixtures/keys/django/schema_after_000N.txt from databases Django migrated to 000N
/// (`TEAPOT_DJANGO_KEYS_URL` with `{n}` for the step). Run by hand when the fixture is remade.
#[tokio::test]
#[ignore]
async fn dump_django_schemas() {
    FIXTURE.dump_django_schemas("TEAPOT_DJANGO_KEYS_URL", 3).await;
}

/// `--online` refuses a key's type change (it rewrites the table and every table pointing at
/// it); the reason and the safe way name the columns that point at the key, not only the key.
#[tokio::test]
async fn online_refuses_a_key_type_change_naming_the_columns_pointing_at_it() {
    let (dir, _config) = FIXTURE.project("v3");
    let db = TestDb::postgres().await;
    let name = "0002_alter_code_code_alter_project_id_alter_task_title";
    let out = common::cli::teapot(dir.path(), &["sqlmigrate", "shop", name, "--online", "--database-url", &db.url]);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert_ne!(out.code, 0, "{all}");
    assert!(all.contains("cannot run online") || all.contains("rewrites the table"), "{all}");
    assert!(all.contains("shop_task.project_id"), "the referring column is named: {all}");
}
