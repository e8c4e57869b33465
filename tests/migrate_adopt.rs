//! Adopting a database teapot did not build: `teapot inspectdb` writes the models, makemigrations
//! the initial migrations, `migrate --fake-initial` records them without running (after checking
//! the tables match), `check --database-url` then finds no drift, and the next model change
//! migrates as usual. On a database Django 5.2 built (fixtures/django-adopt: contrib.auth,
//! contenttypes and two apps of its own, loaded from its schema dump) and on teapot-shaped
//! databases of every field kind (fixtures/every-field) on PostgreSQL and SQLite, their history
//! thrown away. Also: what --fake-initial refuses.

mod common;

use std::path::{Path, PathBuf};

use common::cli::{teapot, Out};
use common::db::TestDb;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(path)
}

/// `teapot inspectdb --output models` in a new project dir, whose teapot.toml is what it printed.
fn inspect_into(db: &TestDb) -> (tempfile::TempDir, Out) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = teapot(dir.path(), &["inspectdb", "--database-url", &db.url, "--output", "models"]);
    assert_eq!(out.code, 0, "inspectdb failed\n{out}");
    std::fs::write(dir.path().join("teapot.toml"), &out.stdout).expect("write teapot.toml");
    (dir, out)
}

fn run(dir: &Path, db: &TestDb, args: &[&str]) -> Out {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--database-url", db.url.as_str()]);
    teapot(dir, &all)
}

/// inspectdb -> makemigrations -> migrate --fake-initial -> check: nothing run, nothing drifts.
async fn adopt(db: &TestDb) -> tempfile::TempDir {
    let before = db.schema().await;
    let (dir, out) = inspect_into(db);
    assert!(out.stderr.contains("check --database-url will report no drift"), "{out}");
    teapot(dir.path(), &["makemigrations"]).ok();
    let out = run(dir.path(), db, &["migrate", "--fake-initial"]);
    out.ok();
    assert!(out.stdout.contains("recorded as applied without running (--fake-initial)"), "{out}");
    assert_eq!(db.schema().await, before, "--fake-initial changed the schema");
    let out = run(dir.path(), db, &["check"]);
    assert!(out.ok().contains("no findings"), "{out}");
    dir
}

/// A model change after adoption migrates normally and leaves no drift.
async fn next_change_migrates(dir: &Path, db: &TestDb, file: &str, model: &str, table: &str) {
    let path = dir.join("models").join(file);
    let src = std::fs::read_to_string(&path).expect("models");
    let head = format!("pub struct {model} {{\n");
    assert!(src.contains(&head), "{model} in {file}");
    std::fs::write(&path, src.replacen(&head, &format!("{head}    pub subtitle: Option<String>,\n"), 1)).expect("write models");
    let out = teapot(dir, &["makemigrations"]);
    assert!(out.ok().contains("Add field subtitle"), "{out}");
    run(dir, db, &["migrate"]).ok();
    assert!(db.schema().await.iter().any(|l| l.starts_with(&format!("{table} column subtitle text NULL"))));
    assert!(run(dir, db, &["check"]).ok().contains("no findings"));
}

#[tokio::test]
async fn django_built_database_is_adopted() {
    let db = TestDb::postgres().await;
    db.exec(&std::fs::read_to_string(fixture("django-adopt/django/schema.sql")).expect("schema.sql")).await;
    let django_rows = db.column("SELECT app || '.' || name FROM django_migrations ORDER BY id").await;
    let dir = adopt(&db).await;
    // The declarations inspectdb wrote are the vendored ones (fixtures/django-adopt/expected).
    let expected = fixture("django-adopt/expected");
    for app in ["auth", "django", "library", "shop"] {
        let got = std::fs::read_to_string(dir.path().join(format!("models/{app}.rs"))).expect("written");
        let want_path = expected.join(format!("{app}.rs"));
        if std::env::var("TEAPOT_BLESS").is_ok() {
            std::fs::write(&want_path, &got).expect("bless");
        }
        let want = std::fs::read_to_string(&want_path).expect("expected file");
        assert_eq!(got, want, "models/{app}.rs differs from {}", want_path.display());
    }
    let toml = std::fs::read_to_string(dir.path().join("teapot.toml")).expect("toml");
    assert!(toml.contains("[project]\non_delete = \"orm\"\ndefaults = \"orm\""), "{toml}");
    // Django's record is untouched; teapot's has the four initial migrations.
    assert_eq!(db.column("SELECT app || '.' || name FROM django_migrations ORDER BY id").await, django_rows);
    let teapot_rows = db.column("SELECT app || '.' || name FROM teapot_migrations ORDER BY app").await;
    let teapot_rows: Vec<String> = teapot_rows.into_iter().flatten().collect();
    assert_eq!(teapot_rows, ["auth.0001_initial", "django.0001_initial", "library.0001_initial", "shop.0001_initial"]);
    next_change_migrates(dir.path(), &db, "library.rs", "Book", "library_book").await;
    // Rows written by the ORM's neighbour (Django) and by teapot's migration live side by side.
    db.exec("INSERT INTO library_author (name) VALUES ('Ann')").await;
    assert_eq!(db.column("SELECT CAST(rating AS text) FROM library_author").await, [Some("0".to_string())]);
}

/// A database whose history is lost: built by teapot's migrations, teapot's tables dropped.
async fn every_field_without_history(db: &TestDb, models: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("models")).expect("mkdir");
    std::fs::copy(fixture("every-field/teapot.toml"), dir.path().join("teapot.toml")).expect("toml");
    std::fs::write(dir.path().join("models/shop.rs"), models).expect("models");
    teapot(dir.path(), &["makemigrations"]).ok();
    run(dir.path(), db, &["migrate"]).ok();
    db.exec("DROP TABLE teapot_migrations").await;
    let adopted = adopt(db).await;
    next_change_migrates(adopted.path(), db, "shop.rs", "Tag", "shop_tag").await;
}

#[tokio::test]
async fn every_field_round_trip_postgres() {
    let db = TestDb::postgres().await;
    let models = std::fs::read_to_string(fixture("every-field/v1/shop.rs")).expect("models");
    every_field_without_history(&db, &models).await;
}

#[tokio::test]
async fn every_field_round_trip_sqlite() {
    let db = TestDb::sqlite();
    // SQLite has no GIN or BRIN; the expression of a unique index is not in its catalog, and a
    // duration and an i64 cannot be told apart there (inspectdb says so): those three left out.
    let models: String = std::fs::read_to_string(fixture("every-field/v1/shop.rs"))
        .expect("models")
        .lines()
        .filter(|l| !l.contains("type = \"gin\"") && !l.contains("type = \"brin\"") && !l.contains("LOWER(") && !l.contains("lead_time"))
        .map(|l| format!("{l}\n"))
        .collect();
    every_field_without_history(&db, &models).await;
}

#[tokio::test]
async fn sqlite_written_by_hand_is_adopted() {
    let db = TestDb::sqlite();
    db.exec(
        "CREATE TABLE \"crm_company\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"name\" varchar(80) NOT NULL UNIQUE, \
         \"founded\" date NULL, \"score\" integer unsigned NOT NULL CHECK (\"score\" >= 0), \"active\" bool NOT NULL DEFAULT 1);
         CREATE TABLE \"crm_contact\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"email\" varchar(254) NOT NULL, \
         \"company_id\" integer NOT NULL REFERENCES \"crm_company\" (\"id\") DEFERRABLE INITIALLY DEFERRED, \
         \"seen\" datetime NULL, CONSTRAINT \"contact_email_ok\" CHECK (\"email\" LIKE '%@%'));
         CREATE INDEX \"crm_contact_company_id_4a1d3b21\" ON \"crm_contact\" (\"company_id\");
         CREATE UNIQUE INDEX \"contact_company_email\" ON \"crm_contact\" (\"company_id\", \"email\") WHERE \"seen\" IS NOT NULL;",
    )
    .await;
    let (dir, out) = inspect_into(&db);
    let src = std::fs::read_to_string(dir.path().join("models/crm.rs")).expect("written");
    for piece in [
        "#[teapot(max_length = 80, unique)]\n    pub name: String,",
        "#[teapot(positive)]\n    pub score: i32,",
        "#[teapot(db_default = \"1\")]\n    pub active: bool,",
        "pub company: ForeignKey<Company>,",
        "check(name = \"contact_email_ok\"",
        "unique(fields = [\"company\", \"email\"], name = \"contact_company_email\", condition = \"\\\"seen\\\" IS NOT NULL\")",
    ] {
        assert!(src.contains(piece), "lacks {piece:?}\n{src}");
    }
    // The index on company_id is not the name teapot gives a foreign key's: said, not hidden.
    assert!(out.stderr.contains("crm_contact_company_id_4a1d3b21"), "{out}");
}

/// The migrations of `app` recorded as applied (none when teapot's table was never made).
async fn recorded(db: &TestDb, app: &str) -> Vec<Option<String>> {
    if db.column("SELECT CAST(to_regclass('teapot_migrations') AS text)").await != [None] {
        return db.column(&format!("SELECT name FROM teapot_migrations WHERE app = '{app}'")).await;
    }
    Vec::new()
}

#[tokio::test]
async fn fake_initial_refuses_tables_that_differ() {
    let db = TestDb::postgres().await;
    db.exec(&std::fs::read_to_string(fixture("django-adopt/django/schema.sql")).expect("schema.sql")).await;
    let (dir, _) = inspect_into(&db);
    teapot(dir.path(), &["makemigrations"]).ok();
    // Changed by hand after the models were written: a column and an index.
    db.exec("ALTER TABLE library_author ALTER COLUMN bio SET NOT NULL; DROP INDEX book_author_pub_idx").await;
    let out = run(dir.path(), &db, &["migrate", "--fake-initial"]);
    let err = out.fails_with(1);
    for piece in [
        "library/0001_initial: --fake-initial: its tables exist but differ from what it creates; nothing was recorded",
        "library_author: column bio: the migrations have NULL; the database has NOT NULL",
        "library_book: index book_author_pub_idx: the migrations have INDEX USING btree (author_id, published DESC); the database has nothing",
    ] {
        assert!(err.contains(piece), "lacks {piece:?}\n{out}");
    }
    assert!(recorded(&db, "library").await.is_empty());
    // Some tables of a migration there and others not: neither run nor recorded.
    db.exec("ALTER TABLE library_author ALTER COLUMN bio DROP NOT NULL; CREATE INDEX book_author_pub_idx ON library_book (author_id, published DESC)")
        .await;
    db.exec("DROP TABLE shop_order").await;
    let out = run(dir.path(), &db, &["migrate", "--fake-initial"]);
    let err = out.fails_with(1);
    assert!(
        err.contains(
            "shop/0001_initial: --fake-initial: some of the tables it creates exist (shop_customer) and others do not (shop_order)"
        ),
        "{out}"
    );
    assert!(recorded(&db, "shop").await.is_empty());
}

#[tokio::test]
async fn fake_initial_runs_what_does_not_exist() {
    // A new database: --fake-initial finds no table and runs the migrations.
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("models")).expect("mkdir");
    std::fs::write(dir.path().join("teapot.toml"), "[apps.shop]\nmodels = [\"models/shop.rs\"]\n").expect("toml");
    std::fs::write(
        dir.path().join("models/shop.rs"),
        "use teapot::prelude::*;\n#[derive(Model)]\npub struct Item {\n    pub id: i64,\n    #[teapot(max_length = 10)]\n    pub name: String,\n}\n",
    )
    .expect("models");
    teapot(dir.path(), &["makemigrations"]).ok();
    let out = run(dir.path(), &db, &["migrate", "--fake-initial"]);
    assert!(!out.ok().contains("--fake-initial)"), "{out}");
    assert!(db.schema().await.iter().any(|l| l.starts_with("shop_item column name varchar(10)")));
}

#[test]
fn inspectdb_needs_a_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = teapot(dir.path(), &["inspectdb"]);
    assert!(out.fails_with(2).contains("no database to inspect"), "{out}");
    let out = teapot(dir.path(), &["inspectdb", "--database-url", "sqlite::memory:", "nope"]);
    assert!(out.fails_with(2).contains("the database has no table \"nope\""), "{out}");
}
