//! SQLite as correct as PostgreSQL: a field added with a default, a database default, NOT NULL or
//! unique rebuilds the table, and every existing row must get the default (not the column's name,
//! which SQLite reads as a string when the old table has no such column).

mod common;

use common::db::{migrate, TestDb};
use common::Project;

const V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "shop")]
pub struct Item {
    pub id: i64,
    #[teapot(max_length = 20)]
    pub name: String,
}
"#;

#[tokio::test]
async fn fields_added_to_a_table_with_rows_get_their_defaults() {
    let p = Project::new(&[("shop", V1)]);
    p.make();
    let db = TestDb::sqlite();
    migrate(&p.config, &db.url, None, None).await.expect("v1");
    db.exec("INSERT INTO shop_item (name) VALUES ('a'), ('b')").await;
    p.set(
        "shop",
        &V1.replace(
            "    pub name: String,\n",
            "    pub name: String,\n    #[teapot(default = 7)]\n    pub score: i32,\n    #[teapot(db_default = \"'new'\")]\n    pub state: String,\n    \
             #[teapot(max_length = 10, unique)]\n    pub code: Option<String>,\n    pub flag: Option<bool>,\n",
        ),
    );
    p.make();
    migrate(&p.config, &db.url, None, None).await.expect("v2");
    let rows = db.column("SELECT name || '/' || score || '/' || state || '/' || coalesce(code, '-') || '/' || coalesce(flag, '-') FROM shop_item ORDER BY id").await;
    assert_eq!(rows, [Some("a/7/new/-/-".to_string()), Some("b/7/new/-/-".to_string())]);
    // And the database keeps the declared defaults for new rows.
    db.exec("INSERT INTO shop_item (name) VALUES ('c')").await;
    let c = db.column("SELECT score || '/' || state FROM shop_item WHERE name = 'c'").await;
    assert_eq!(c, [Some("7/new".to_string())]);
}

/// One migrator at a time on SQLite too: a file lock beside the database, held for the run.
/// `--no-wait` fails at once; otherwise the second migrator says it waits, and goes on when the
/// first is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_migrator_at_a_time_on_sqlite() {
    let p = Project::new(&[("shop", V1)]);
    p.make();
    let db = TestDb::sqlite();
    let file = db.url.trim_start_matches("sqlite://").to_string();
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(format!("{file}.teapot-lock")).expect("lock file");
    lock.try_lock().expect("take the lock as another migrator would");

    let out = common::cli::teapot(p.root(), &["migrate", "--no-wait", "--database-url", &db.url]);
    out.fails_with(1);
    out.says(&["another migrator holds the migration lock", ".teapot-lock"]);
    assert!(common::db::applied(&db.url).await.is_empty(), "nothing applied");

    let mut child = std::process::Command::new(common::cli::teapot_bin())
        .args(["migrate", "--database-url", &db.url])
        .current_dir(p.root())
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut all = String::new();
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("waiting for the migration lock") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    tokio::task::spawn_blocking(move || rx.recv_timeout(std::time::Duration::from_secs(60)))
        .await
        .expect("join")
        .expect("the second migrator says it waits");
    assert!(common::db::applied(&db.url).await.is_empty(), "it waits while the lock is held");
    drop(lock);
    let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("join").expect("wait");
    let printed = reader.join().expect("reader");
    assert!(status.success(), "{printed}");
    assert_eq!(common::db::applied(&db.url).await.len(), 1, "{printed}");
}

/// SQLite reads a double-quoted name that resolves to nothing as a string; teapot's connections
/// turn that off, so a misspelt or missing column is an error wherever teapot's SQL (or yours,
/// through teapot) names it: in the ORM's pool, in the migrator's connection and in a migration.
#[tokio::test]
async fn double_quoted_names_are_names_only_on_sqlite() {
    let db = TestDb::sqlite();
    let pool = teapot::Db::connect(&db.url).await.expect("connect");
    pool.execute("CREATE TABLE t (a INTEGER)", &[]).await.expect("create");
    for sql in ["CREATE INDEX t_missing ON t (\"missing\")", "SELECT \"missing\" FROM t", "INSERT INTO t (a) SELECT \"missing\""] {
        let e = pool.execute(sql, &[]).await.expect_err(sql);
        assert!(e.to_string().contains("no such column: \"missing\""), "{sql}: {e}");
    }
    let mut conn = pool.acquire().await.expect("acquire");
    let e = conn.run("CREATE INDEX t_missing ON t (\"missing\")").await.expect_err("the migrator's connection too");
    assert!(e.to_string().contains("no such column"), "{e}");
    // Strings in single quotes and names that exist are untouched.
    pool.execute("INSERT INTO t (\"a\") SELECT length('missing')", &[]).await.expect("insert");
    assert_eq!(db.column("SELECT CAST(\"a\" AS TEXT) FROM \"t\"").await, [Some("7".to_string())]);

    // A migration whose SQL names a missing column fails and keeps nothing.
    let p = Project::new(&[("shop", V1)]);
    p.make();
    p.write_migration(
        "shop",
        "0002_index",
        "dependencies = [\"shop/0001_initial\"]\n\n[[operations]]\nop = \"run_sql\"\nsql = \"CREATE INDEX shop_item_x ON shop_item (\\\"nmae\\\")\"\n",
    );
    let e = migrate(&p.config, &db.url, None, None).await.expect_err("no such column");
    assert!(e.to_string().contains("no such column: \"nmae\""), "{e}");
    assert_eq!(common::db::applied(&db.url).await, ["shop/0001_initial"]);
}

/// A SQLite rebuild (here: adding a field with a default) drops the old table with its indexes
/// and triggers; those the models declare are re-created from the state, the others (made by
/// run_sql) are carried over. One that names a column the rebuild removes fails the migration,
/// naming it, and nothing of the migration is kept.
#[tokio::test]
async fn a_rebuild_keeps_indexes_and_triggers_no_model_declares() {
    let p = Project::new(&[("shop", V1)]);
    p.make();
    p.write_migration(
        "shop",
        "0002_extras",
        "dependencies = [\"shop/0001_initial\"]\n\n[[operations]]\nop = \"run_sql\"\nsql = \"\"\"\n\
         CREATE INDEX shop_item_lower_name ON shop_item (lower(name));\n\
         CREATE TABLE shop_log (line TEXT);\n\
         CREATE TRIGGER shop_item_logged AFTER INSERT ON shop_item BEGIN INSERT INTO shop_log VALUES (new.name); END;\n\"\"\"\n",
    );
    let db = TestDb::sqlite();
    migrate(&p.config, &db.url, None, None).await.expect("v1 and the extras");
    let with_score = V1.replace("    pub name: String,\n", "    pub name: String,\n    #[teapot(default = 7)]\n    pub score: i32,\n");
    p.set("shop", &with_score);
    p.make();
    migrate(&p.config, &db.url, None, None).await.expect("the rebuild");
    let extras = db.column("SELECT name FROM sqlite_master WHERE tbl_name = 'shop_item' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY name").await;
    assert_eq!(extras, [Some("shop_item_logged".to_string()), Some("shop_item_lower_name".to_string())]);
    db.exec("INSERT INTO shop_item (name) VALUES ('after')").await;
    assert_eq!(db.column("SELECT line FROM shop_log").await, [Some("after".to_string())], "the trigger still fires");

    // Removing `name` rebuilds the table again, and the index on lower(name) cannot follow.
    let before = db.schema().await;
    p.set("shop", &with_score.replace("    #[teapot(max_length = 20)]\n    pub name: String,\n", ""));
    p.make();
    let e = migrate(&p.config, &db.url, None, None).await.expect_err("the index names a removed column");
    let text = format!("{e}");
    assert!(text.contains("shop_item_lower_name") && text.contains("no model declares") && text.contains("rolled back whole"), "{text}");
    assert!(e.hint.as_deref().unwrap_or_default().contains("run_sql"), "{e:?}");
    assert_eq!(db.schema().await, before, "nothing of the failed migration is kept");
}
