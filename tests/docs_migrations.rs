//! docs/migrations.md's examples work: every `toml` block in it is a whole migration file of one
//! history. Each is read as a migration, and the history is applied to PostgreSQL (plainly, and
//! online, the `atomic = false` one included; with rows for its
//! backfill and view to act on) and to SQLite (all but the last, which is PostgreSQL's own
//! `CREATE INDEX CONCURRENTLY`), then unapplied to zero.

mod common;

use std::path::Path;

use common::cli::teapot;
use common::db::TestDb;

/// The doc's migrations: (app, name, text), in the doc's order.
fn doc_migrations() -> Vec<(String, String, String)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/migrations.md")).expect("read docs/migrations.md");
    let mut out = Vec::new();
    let mut rest = doc.as_str();
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + "```toml\n".len()..];
        let end = body.find("\n```").expect("a closed toml block");
        let text = format!("{}\n", &body[..end]);
        let header = text.lines().next().unwrap_or_default();
        let key = header
            .strip_prefix("# teapot migration ")
            .unwrap_or_else(|| panic!("a toml block of docs/migrations.md does not start with `# teapot migration app/name`: {header}"));
        let (app, name) = key.split_once('/').expect("app/name");
        out.push((app.to_string(), name.to_string(), text.clone()));
        rest = &body[end..];
    }
    out
}

/// A project holding the doc's migrations.
fn project(migrations: &[(String, String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(root.join("teapot.toml"), "[apps.library]\nmodels = [\"models.rs\"]\n").expect("write");
    std::fs::write(root.join("models.rs"), "// migrate reads the migrations only\n").expect("write");
    for (app, name, text) in migrations {
        let folder = root.join("migrations").join(app);
        std::fs::create_dir_all(&folder).expect("mkdir");
        std::fs::write(folder.join(format!("{name}.toml")), text).expect("write");
    }
    dir
}

fn migrate(root: &Path, url: &str, args: &[&str]) {
    let mut all = vec!["migrate", "--database-url", url];
    all.extend_from_slice(args);
    teapot(root, &all).ok();
}

#[test]
fn every_example_is_a_migration_file_teapot_reads() {
    let migrations = doc_migrations();
    let names: Vec<&str> = migrations.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(names, ["0001_initial", "0002_book_pages", "0003_book_status", "0004_long_books_view", "0005_title_search"]);
    let kinds: Vec<String> = migrations
        .iter()
        .map(|(app, name, text)| {
            let m = teapot::migrate::Migration::parse(app, name, text, None).unwrap_or_else(|e| panic!("docs/migrations.md, {name}: {e}"));
            m.operations.iter().map(|o| o.kind()).collect::<Vec<_>>().join(",")
        })
        .collect();
    assert_eq!(kinds, ["create_model,create_model", "add_field,add_index", "add_field,backfill", "run_sql", "run_sql"]);
    // The examples are one history: sqlmigrate renders each for both databases.
    let dir = project(&migrations);
    for (_, name, _) in &migrations {
        for url in ["postgres://nobody@127.0.0.1:1/none", "sqlite://x.db"] {
            teapot(dir.path(), &["sqlmigrate", "library", name, "--database-url", url]).ok();
        }
    }
}

/// Applies up to 0002, adds rows, applies the rest (`how`), checks what the backfill and the
/// view did, and unapplies everything.
async fn apply_with_rows(db: &TestDb, last: &str, how: &[&str]) {
    let dir = project(&doc_migrations());
    let root = dir.path();
    migrate(root, &db.url, &["library", "0002"]);
    db.exec("INSERT INTO library_author (name) VALUES ('Ann')").await;
    db.exec("INSERT INTO library_book (title, author_id, pages) VALUES ('Short', 1, NULL), ('Long', 1, 600)").await;
    let mut args = vec!["library", last];
    args.extend_from_slice(how);
    migrate(root, &db.url, &args);
    assert_eq!(
        db.column("SELECT title || ':' || status FROM library_book ORDER BY id").await,
        [Some("Short:draft".to_string()), Some("Long:published".to_string())]
    );
    assert_eq!(db.column("SELECT title FROM library_long_book").await, [Some("Long".to_string())]);
    migrate(root, &db.url, &["library", "zero"]);
    let left = db.schema().await.into_iter().filter(|l| l.contains("library_")).collect::<Vec<_>>();
    assert!(left.is_empty(), "unapplied to zero, yet left: {left:?}");
}

#[tokio::test]
async fn the_examples_apply_and_unapply_on_postgres_plainly() {
    let db = TestDb::postgres().await;
    apply_with_rows(&db, "0005", &[]).await;
}

/// Online too, `atomic = false` included: 0005's `CREATE INDEX CONCURRENTLY` runs outside a
/// transaction, as a plain migrate runs it, and the index is there and valid.
#[tokio::test]
async fn the_examples_apply_and_unapply_on_postgres_online() {
    let db = TestDb::postgres().await;
    apply_with_rows(&db, "0004", &["--online"]).await;
    let dir = project(&doc_migrations());
    migrate(dir.path(), &db.url, &["library", "0004", "--online"]);
    migrate(dir.path(), &db.url, &["--online"]);
    let valid = db
        .column("SELECT i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'library_book_title_lower'")
        .await;
    assert_eq!(valid, [Some("true".to_string())]);
}

#[tokio::test]
async fn the_examples_apply_and_unapply_on_sqlite() {
    let db = TestDb::sqlite();
    apply_with_rows(&db, "0004", &[]).await;
}
