//! Zero downtime as the default: `[migrate] online = true` in teapot.toml makes `teapot migrate`
//! on PostgreSQL run online without the flag (and sqlmigrate print, and check lint for, that mode);
//! `--plain` opts out for one run; where online has nothing to do (SQLite, --fake, unapplying) the
//! run is plain and says why under -v.

mod common;

use common::cli::teapot;
use common::db::TestDb;
use common::Project;

const V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
pub struct Customer {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub name: String,
}
"#;

/// V1 plus an indexed column: plain migrate builds the index with a write-blocking lock (TP007).
const V2: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
pub struct Customer {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub name: String,
    #[teapot(max_length = 100, db_index)]
    pub city: Option<String>,
}
"#;

/// A shop project at V2 with both migrations written; `online` sets `[migrate] online = true`.
fn project(online: bool) -> Project {
    let p = Project::new(&[("shop", V1)]);
    if online {
        let path = p.root().join("teapot.toml");
        let toml = std::fs::read_to_string(&path).expect("read") + "[migrate]\nonline = true\n";
        std::fs::write(path, toml).expect("write");
    }
    teapot(p.root(), &["makemigrations"]).ok();
    p.set("shop", V2);
    teapot(p.root(), &["makemigrations", "-n", "city"]).ok();
    assert_eq!(p.names("shop"), ["0001_initial", "0002_city"]);
    p
}

async fn city_indexes(db: &TestDb) -> Vec<Option<String>> {
    db.column("SELECT indexname::text FROM pg_indexes WHERE tablename = 'shop_customer' AND indexname LIKE '%city%' ORDER BY 1").await
}

#[tokio::test]
async fn on_postgres_migrate_runs_online_without_the_flag_and_plain_opts_out() {
    let db = TestDb::postgres().await;
    let p = project(true);
    let url = db.url.as_str();

    // sqlmigrate prints what migrate will run: the online steps; --plain the plain SQL.
    let sql = teapot(p.root(), &["sqlmigrate", "shop", "0002", "--database-url", url]);
    assert!(sql.ok().contains("online:") && sql.stdout.contains("CREATE INDEX CONCURRENTLY"), "{sql}");
    let sql = teapot(p.root(), &["sqlmigrate", "shop", "0002", "--database-url", url, "--plain"]);
    assert!(sql.ok().contains("BEGIN;") && !sql.stdout.contains("CONCURRENTLY"), "{sql}");

    let out = teapot(p.root(), &["migrate", "-v", "--database-url", url]);
    let said = out.ok();
    assert!(said.contains("Mode: online ([migrate] online = true in "), "{out}");
    assert!(said.contains("step 1/"), "online migrate prints its steps\n{out}");
    assert_eq!(city_indexes(&db).await.len(), 2, "the index and its _like twin");

    // Unapplying runs plainly (online migrate only applies), saying so, with no flag needed.
    let out = teapot(p.root(), &["migrate", "shop", "0001", "--database-url", url]);
    assert!(out.ok().contains("Mode: plain (online migrate only applies: migrations are unapplied plainly)"), "{out}");
    assert!(city_indexes(&db).await.is_empty());

    // --plain: this run only, one transaction per migration, no steps.
    let out = teapot(p.root(), &["migrate", "-v", "--plain", "--database-url", url]);
    let said = out.ok();
    assert!(said.contains("Mode: plain (--plain)") && !said.contains("step 1/"), "{out}");
    assert_eq!(city_indexes(&db).await.len(), 2);

    // --fake runs nothing: the setting does not make it an online run (which would refuse it).
    teapot(p.root(), &["migrate", "shop", "zero", "--fake", "--database-url", url]).ok();
    let out = teapot(p.root(), &["migrate", "--fake", "-v", "--database-url", url]);
    assert!(out.ok().contains("Mode: plain (--fake runs nothing)") && out.stdout.contains("Faking"), "{out}");

    // Flags that contradict each other, or mean nothing on a plain run, are usage errors.
    teapot(p.root(), &["migrate", "--plain", "--online", "--database-url", url]).fails_with(2);
    teapot(p.root(), &["migrate", "--plain", "--allow-unsafe", "--database-url", url]).fails_with(2);
    teapot(p.root(), &["sqlmigrate", "shop", "0002", "--plain", "--allow-unsafe", "--database-url", url]).fails_with(2);
}

#[tokio::test]
async fn on_sqlite_the_setting_does_not_apply() {
    let db = TestDb::sqlite();
    let p = project(true);
    let out = teapot(p.root(), &["migrate", "-v", "--database-url", &db.url]);
    let said = out.ok();
    assert!(said.contains("Mode: plain ([migrate] online applies to PostgreSQL only)"), "{out}");
    assert!(said.contains("shop.0002_city") && !said.contains("step 1/"), "{out}");
    let out = teapot(p.root(), &["migrate", "--allow-unsafe", "--database-url", &db.url]);
    out.fails_with(2);
    out.says(&["--allow-unsafe applies to online migrate only", "(on SQLite)"]);
    // sqlmigrate for SQLite prints SQLite's plain SQL.
    let sql = teapot(p.root(), &["sqlmigrate", "shop", "0002", "--database-url", &db.url]);
    assert!(sql.ok().contains("BEGIN;") && !sql.stdout.contains("CONCURRENTLY"), "{sql}");
}

#[test]
fn check_lints_for_the_mode_the_project_uses() {
    // Plain by default: the index build that blocks writes is reported, with how to make it safe.
    let plain = project(false);
    let out = teapot(plain.root(), &["check", "--no-database"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("blocking-index"), "{out}");
    assert!(out.stdout.contains("set [migrate] online = true in teapot.toml"), "{out}");
    assert!(teapot(plain.root(), &["check", "--no-database", "--online"]).ok().contains("no findings"));

    // [migrate] online = true: migrate builds it CONCURRENTLY, so check does not report it...
    let online = project(true);
    let out = teapot(online.root(), &["check", "--no-database", "-v"]);
    assert!(out.ok().contains("no findings"), "{out}");
    assert!(out.stderr.contains("linting for online migrate ([migrate] online = true in "), "{out}");
    // ...unless asked to lint for a plain run.
    let out = teapot(online.root(), &["check", "--no-database", "--plain"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("blocking-index"), "{out}");
    teapot(online.root(), &["check", "--plain", "--online"]).fails_with(2);
}

/// Under `[migrate] online = true` a rename expands, and `--complete` / `--abort` need no
/// `--online` either; with `--plain`, or on SQLite, they are refused saying why.
#[tokio::test]
async fn complete_and_abort_follow_the_projects_online_mode() {
    let db = TestDb::postgres().await;
    let p = project(true);
    let url = db.url.as_str();
    teapot(p.root(), &["migrate", "--database-url", url]).ok();
    p.set("shop", &V2.replace("pub name: String", "pub full_name: String"));
    teapot(p.root(), &["makemigrations", "--rename", "shop.Customer.name=full_name"]).ok();
    let out = teapot(p.root(), &["migrate", "--database-url", url]);
    assert!(out.code == 0 && out.stdout.contains("is expanded"), "{out}");
    let refused = teapot(p.root(), &["migrate", "--complete", "--plain", "--database-url", url]);
    assert_eq!(refused.code, 2, "{refused}");
    let sqlite = teapot(p.root(), &["migrate", "--abort", "--database-url", "sqlite://other.db"]);
    assert!(sqlite.code == 2 && sqlite.stderr.contains("--abort applies to online migrate only"), "{sqlite}");
    assert!(!p.root().join("other.db").exists(), "nothing made on SQLite");
    teapot(p.root(), &["migrate", "--complete", "--database-url", url]).ok();
    let cols = db.column("SELECT column_name::text FROM information_schema.columns WHERE table_name = 'shop_customer' ORDER BY 1").await;
    assert!(cols.contains(&Some("full_name".to_string())) && !cols.contains(&Some("name".to_string())), "{cols:?}");
}
