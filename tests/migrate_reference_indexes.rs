//! Index options and unique constraints with a condition or expressions against Django 5.2
//! (fixtures/indexes/django: what Django emitted for fixtures/indexes' models on PostgreSQL):
//! a partial index (`condition`), a covering one (`include`), operator classes, GIN and BRIN
//! (`type`), a unique constraint with a condition and one on `LOWER("email")` (unique indexes, as
//! Django makes them); v2 changes each option (a removal and an addition, as Django's
//! autodetector decides), renames the GIN index and turns the BRIN one into a btree.
//!
//! Intended difference, taken out before comparing: Django's CreateModel lists the model's
//! constraints before its indexes; teapot adds the indexes first (the statements are the same).

mod common;

use common::db::{migrate, TestDb};
use common::reference::{as_set, no_drift, statements, Fixture};
use teapot::migrate::executor::Direction;
use teapot::migrate::loader::load_graph;
use teapot::Dialect;

const FIXTURE: Fixture = Fixture { name: "indexes", app: "library", models: "library.rs" };

const FIRST: &str = "0001_initial";
const SECOND: &str = "0002_remove_book_book_live_title_uniq_and_more";

#[test]
fn create_model_with_every_index_option_is_djangos_ddl() {
    let (_dir, config) = FIXTURE.project("v2");
    let ours = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0001", Direction::Forwards);
    for line in [
        r#"CREATE INDEX "book_long_idx" ON "library_book" ("title") WHERE "pages" > 100;"#,
        r#"CREATE INDEX "book_title_cover_idx" ON "library_book" ("title") INCLUDE ("price");"#,
        r#"CREATE INDEX "book_title_pattern_idx" ON "library_book" ("title" varchar_pattern_ops DESC);"#,
        r#"CREATE INDEX "book_tags_gin" ON "library_book" USING gin ("tags");"#,
        r#"CREATE UNIQUE INDEX "book_live_title_uniq" ON "library_book" ("title") WHERE "deleted" IS NULL;"#,
        r#"CREATE UNIQUE INDEX "book_email_ci_uniq" ON "library_book" ((LOWER("email")));"#,
    ] {
        assert!(ours.contains(line), "{line} in\n{ours}");
    }
    assert_eq!(as_set(&ours), as_set(&FIXTURE.reference("0001_initial.sql")));
}

/// A changed condition, include, operator class or type is a removal and an addition, a new name
/// alone a rename: Django's operations in Django's order, with Django's text.
#[test]
fn changed_options_are_removed_and_added_as_django_does() {
    let (_dir, config) = FIXTURE.project("v2");
    let fwd = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0002", Direction::Forwards);
    assert_eq!(statements(&fwd), statements(&FIXTURE.reference("0002_v2.sql")));
    let back = FIXTURE.teapot_sql(&config, Dialect::Postgres, "0002", Direction::Backwards);
    assert_eq!(as_set(&back), as_set(&FIXTURE.reference("0002_v2.backwards.sql")));
}

/// The declarations give the golden migrations: makemigrations has nothing to add.
#[test]
fn makemigrations_agrees_with_the_golden_migrations() {
    let (dir, _config) = FIXTURE.project("v2");
    let out = common::cli::teapot(dir.path(), &["makemigrations", "--check", "--noinput"]);
    assert_eq!(out.code, 0, "{out}");
}

async fn ours(db: &TestDb) -> Vec<String> {
    let mut lines: Vec<String> = db.schema().await.into_iter().filter(|l| !l.contains(" default ")).collect();
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
        migrate(&config, &db.url, Some("library"), Some(FIRST)).await.expect("unapply");
        assert_eq!(ours(&db).await, FIXTURE.theirs(1), "back at 0001");
    }
}

/// The partial unique index holds only where its condition does; the expression one ignores case.
#[tokio::test]
async fn a_conditional_unique_constraint_enforces_only_where_its_condition_holds() {
    let (_dir, config) = FIXTURE.project("v2");
    let db = TestDb::postgres().await;
    migrate(&config, &db.url, None, None).await.expect("migrate");
    let insert = |title: &str, pages: i32, email: &str, deleted: bool| {
        format!(
            "INSERT INTO library_book (title, pages, price, email, tags, deleted) VALUES ('{title}', {pages}, 1, '{email}', '{{}}', {})",
            if deleted { "now()" } else { "NULL" }
        )
    };
    db.exec(&insert("t", 10, "a@x", false)).await;
    // Deleted rows, and rows with pages = 0, are outside the condition: duplicates are fine.
    db.exec(&insert("t", 10, "b@x", true)).await;
    db.exec(&insert("t", 0, "c@x", false)).await;
    let mut conn = db.conn().await;
    let dup = conn.execute(&insert("t", 5, "d@x", false), &[]).await.expect_err("a second live title");
    assert_eq!(dup.kind, teapot::ErrorKind::UniqueViolation, "{dup}");
    let email = conn.execute(&insert("u", 5, "A@X", false), &[]).await.expect_err("the same email in other case");
    assert_eq!(email.kind, teapot::ErrorKind::UniqueViolation, "{email}");
    conn.close().await;
}

/// Drift sees a changed condition, INCLUDE list, operator class, method or expression.
#[tokio::test]
async fn drift_names_an_index_whose_options_changed_by_hand() {
    use teapot::migrate::check::drift::{drift_report, DriftOptions};
    let (_dir, config) = FIXTURE.project("v2");
    let db = TestDb::postgres().await;
    migrate(&config, &db.url, None, None).await.expect("migrate");
    no_drift(&config, &db).await;
    for (name, sql) in [
        ("book_long_idx", r#"CREATE INDEX "book_long_idx" ON "library_book" ("title") WHERE "pages" > 300"#),
        ("book_title_cover_idx", r#"CREATE INDEX "book_title_cover_idx" ON "library_book" ("title") INCLUDE ("price")"#),
        ("book_title_pattern_idx", r#"CREATE INDEX "book_title_pattern_idx" ON "library_book" ("title" varchar_pattern_ops DESC)"#),
        ("book_tags_gin_renamed", r#"CREATE INDEX "book_tags_gin_renamed" ON "library_book" USING btree ("tags")"#),
        ("book_email_ci_uniq", r#"CREATE UNIQUE INDEX "book_email_ci_uniq" ON "library_book" ((UPPER("email")))"#),
    ] {
        db.exec(&format!("ALTER INDEX \"{name}\" RENAME TO keep_me")).await;
        db.exec(sql).await;
        let graph = load_graph(&config).expect("graph");
        let applied: std::collections::BTreeSet<String> = common::db::applied(&db.url).await.into_iter().collect();
        let mut conn = db.conn().await;
        let out = drift_report(&mut conn, &graph, &applied, &DriftOptions::default()).await.expect("drift");
        conn.close().await;
        assert!(out.iter().any(|d| d.object.contains(name)), "{name}: {out:?}");
        db.exec(&format!("DROP INDEX \"{name}\"")).await;
        db.exec(&format!("ALTER INDEX keep_me RENAME TO \"{name}\"")).await;
        no_drift(&config, &db).await;
    }
}

/// Writes fixtures/indexes/django/schema_after_000N.txt from databases Django migrated to 000N
/// (`TEAPOT_DJANGO_INDEXES_URL` with `{n}` for the step). Run by hand when the fixture is remade.
#[tokio::test]
#[ignore]
async fn dump_django_schemas() {
    FIXTURE.dump_django_schemas("TEAPOT_DJANGO_INDEXES_URL", 2).await;
}

/// SQLite has no GIN, GiST or BRIN (Django's GinIndex fails there with a syntax error): migrate
/// refuses before running anything, naming the model and the index.
#[tokio::test]
async fn sqlite_refuses_an_index_type_it_does_not_have_naming_model_and_index() {
    let (_dir, config) = FIXTURE.project("v2");
    let db = TestDb::sqlite();
    let err = migrate(&config, &db.url, None, None).await.expect_err("gin on SQLite");
    let msg = err.to_string();
    assert!(msg.contains("book_tags_gin") && msg.contains("library.Book") && msg.contains("gin"), "{msg}");
    let tables = db.column("SELECT name FROM sqlite_master WHERE name = 'library_book'").await;
    assert!(tables.is_empty(), "nothing ran: {tables:?}");
}

const SQLITE_MODELS: &str = r#"use teapot::prelude::*;

#[derive(Model)]
#[teapot(
    app = "library",
    index(fields = ["title"], name = "book_long_idx", condition = "\"pages\" > 100"),
    index(fields = ["title"], name = "book_title_cover_idx", include = ["pages"]),
    index(fields = ["-title"], name = "book_title_pattern_idx", opclasses = ["varchar_pattern_ops"]),
    unique(fields = ["title"], name = "book_live_title_uniq", condition = "\"deleted\" IS NULL"),
    unique(expressions = ["LOWER(\"email\")"], name = "book_email_ci_uniq")
)]
pub struct Book {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub title: String,
    pub pages: i32,
    #[teapot(max_length = 100)]
    pub email: String,
    pub deleted: Option<bool>,
}
"#;

/// On SQLite, as Django does there: partial indexes and unique indexes with a condition or on an
/// expression are built; INCLUDE and operator classes are left out (SQLite has neither). A table
/// rebuild keeps them, drift is clean, and the partial unique index holds only where its
/// condition does.
#[tokio::test]
async fn sqlite_builds_partial_and_expression_unique_indexes_as_django_does() {
    let p = common::Project::new(&[("library", SQLITE_MODELS)]);
    p.make();
    let db = TestDb::sqlite();
    migrate(&p.config, &db.url, None, None).await.unwrap_or_else(|e| panic!("migrate: {e}"));
    let sql = db.column("SELECT sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'book_%' ORDER BY name").await;
    let sql: Vec<String> = sql.into_iter().flatten().collect();
    assert_eq!(
        sql,
        [
            r#"CREATE UNIQUE INDEX "book_email_ci_uniq" ON "library_book" ((LOWER("email")))"#,
            r#"CREATE UNIQUE INDEX "book_live_title_uniq" ON "library_book" ("title") WHERE "deleted" IS NULL"#,
            r#"CREATE INDEX "book_long_idx" ON "library_book" ("title") WHERE "pages" > 100"#,
            r#"CREATE INDEX "book_title_cover_idx" ON "library_book" ("title")"#,
            r#"CREATE INDEX "book_title_pattern_idx" ON "library_book" ("title" DESC)"#,
        ]
    );
    no_drift(&p.config, &db).await;
    // A change SQLite makes by rebuilding the table keeps every index.
    p.set("library", &SQLITE_MODELS.replace("    pub pages: i32,", "    pub pages: i64,"));
    p.make();
    migrate(&p.config, &db.url, None, None).await.unwrap_or_else(|e| panic!("migrate the rebuild: {e}"));
    let after = db.column("SELECT sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'book_%' ORDER BY name").await;
    assert_eq!(after.into_iter().flatten().collect::<Vec<_>>(), sql, "the rebuild keeps the indexes");
    no_drift(&p.config, &db).await;

    let insert = |title: &str, email: &str, deleted: &str| {
        format!("INSERT INTO library_book (title, pages, email, deleted) VALUES ('{title}', 1, '{email}', {deleted})")
    };
    db.exec(&insert("t", "a@x", "NULL")).await;
    db.exec(&insert("t", "b@x", "1")).await;
    let mut conn = db.conn().await;
    let dup = conn.execute(&insert("t", "c@x", "NULL"), &[]).await.expect_err("a second live title");
    assert_eq!(dup.kind, teapot::ErrorKind::UniqueViolation, "{dup}");
    let email = conn.execute(&insert("u", "A@X", "NULL"), &[]).await.expect_err("the same email in other case");
    assert_eq!(email.kind, teapot::ErrorKind::UniqueViolation, "{email}");
    conn.close().await;
}

/// A condition or expression is one SQL expression (the text checks of `check` and `db_default`);
/// operator classes and the type are plain names; the reader says what it expected.
#[test]
fn index_and_unique_declarations_are_checked_when_read() {
    let model = |opts: &str| {
        format!(
            "use teapot::prelude::*;\n\n#[derive(Model)]\n#[teapot(app = \"library\", {opts})]\npub struct Book {{\n    pub id: i64,\n    pub title: String,\n    pub pages: i32,\n}}\n"
        )
    };
    for (opts, expected) in [
        (r#"index(fields = ["title"], name = "i", condition = "pages > 1; DROP TABLE x")"#, "holds a `;`"),
        (r#"unique(fields = ["title"], name = "u", condition = "pages > 1)")"#, "the condition of unique constraint u"),
        (r#"unique(expressions = ["lower(title); --"], name = "u")"#, "holds a `;`"),
        (r#"index(fields = ["title"], name = "i", opclasses = ["a b"])"#, "operator class"),
        (r#"index(fields = ["title", "pages"], name = "i", opclasses = ["text_pattern_ops"])"#, "one operator class per field"),
        (r#"index(fields = ["title"], name = "i", type = "fulltext")"#, "expected one of btree, hash, gin, gist, brin, spgist"),
        (r#"index(fields = ["title"], name = "i", include = ["nope"])"#, "nope"),
        (r#"unique(fields = ["title"], expressions = ["lower(title)"], name = "u")"#, "one of the two"),
        (r#"unique(fields = ["title"], condition = "pages > 0")"#, "needs a name"),
        (r#"unique(expressions = ["lower(title)"], name = "u", type = "gin")"#, "unknown option `type`"),
    ] {
        let p = common::Project::new(&[("library", &model(opts))]);
        let err = p.try_make(&Default::default(), &[], false, &[]).map(|_| ()).expect_err(opts).to_string();
        assert!(err.contains(expected), "{opts}: {err}");
    }
}
