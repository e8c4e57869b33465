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
