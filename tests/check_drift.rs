//! Drift without a scratch database: the schema the migration state describes, rendered and
//! applied nowhere, against the live one. A plain migrate of a rich set of models (foreign keys,
//! a join table, unique and unique-together, db_index, a varchar key with its `_like` index,
//! decimals, defaults and db_default, NaiveDateTime, choices, long names Django shortens) is the
//! oracle: drift on it must be empty. Then the schema is changed by hand, and each change must be
//! reported, naming table and object. On PostgreSQL and SQLite; neither creates a database, and
//! PostgreSQL needs no CREATEDB.

mod common;

use std::collections::BTreeSet;

use common::cli::teapot;
use common::db::{migrate, pg_admin_url, TestDb};
use common::Project;
use teapot::migrate::check::drift::{drift_report, Difference, DriftOptions};
use teapot::migrate::loader::load_graph;
use teapot::schema::naming::{foreign_key_name, index_name, unique_together_name};
use teapot::Connection as Conn;

const SHOP: &str = r#"
use teapot::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Choices)]
pub enum Status {
    #[teapot(value = "d")]
    Draft,
    #[teapot(value = "p", label = "Published")]
    Published,
}

#[derive(Model)]
pub struct Publisher {
    #[teapot(primary_key, max_length = 20)]
    pub code: String,
    #[teapot(max_length = 100, unique)]
    pub name: String,
}

#[derive(Model)]
pub struct Author {
    pub id: i64,
    #[teapot(max_length = 100, db_index)]
    pub name: String,
    pub bio: Option<String>,
    #[teapot(default = 0)]
    pub rating: i32,
    #[teapot(unique)]
    pub email: String,
}

#[derive(Model)]
pub struct Tag {
    pub id: i64,
    #[teapot(max_length = 50, unique)]
    pub slug: String,
}

#[derive(Model)]
#[teapot(index(fields = ["author", "-published"], name = "book_author_pub_idx"),
         unique(fields = ["title", "author"]),
         unique(fields = ["isbn", "publisher"], name = "book_isbn_pub_uniq"),
         check(name = "book_price_positive", expr = "price >= 0"),
         check(name = "book_status_known", expr = "status IN ('d', 'p')"))]
pub struct Book {
    pub id: i64,
    #[teapot(max_length = 200, db_index)]
    pub title: String,
    #[teapot(max_length = 13, unique, db_column = "isbn_code")]
    pub isbn: Option<String>,
    #[teapot(on_delete = "cascade", related_name = "books")]
    pub author: ForeignKey<Author>,
    #[teapot(on_delete = "set_null")]
    pub publisher: Option<ForeignKey<Publisher>>,
    #[teapot(max_digits = 8, decimal_places = 2, default = "9.99")]
    pub price: Decimal,
    #[teapot(max_length = 1, default = "d")]
    pub status: Status,
    pub published: Option<NaiveDate>,
    pub printed_at: NaiveDateTime,
    #[teapot(db_default = "CURRENT_TIMESTAMP")]
    pub created: DateTime<Utc>,
    #[teapot(default = 0.5)]
    pub weight: f64,
    pub flags: Option<i16>,
    #[teapot(default = true)]
    pub in_print: bool,
    #[teapot(max_length = 20, default = "it's")]
    pub motto: String,
    pub meta: Option<serde_json::Value>,
    pub cover: Option<Vec<u8>>,
    pub uid: Option<Uuid>,
    #[teapot(related_name = "books")]
    pub tags: ManyToMany<Tag>,
}

#[derive(Model)]
pub struct Profile {
    pub id: i64,
    #[teapot(one_to_one, on_delete = "cascade")]
    pub author: ForeignKey<Author>,
    #[teapot(on_delete = "restrict")]
    pub publisher: ForeignKey<Publisher>,
}

#[derive(Model)]
pub struct WarehouseLocationAssignment {
    pub id: i64,
    #[teapot(on_delete = "cascade", related_name = "assignments")]
    pub storage_bin_identifier_reference: ForeignKey<Publisher>,
    #[teapot(max_length = 40, db_index)]
    pub a_rather_long_column_name_for_an_index_name: String,
    #[teapot(related_name = "assigned")]
    pub tags_attached_to_this_location_assignment: ManyToMany<Tag>,
}
"#;

/// A project with the models above, made and migrated into `db`.
async fn migrated(db: &TestDb) -> Project {
    let p = Project::new(&[("shop", SHOP)]);
    p.make();
    migrate(&p.config, &db.url, None, None).await.unwrap_or_else(|e| panic!("migrate: {e}"));
    p
}

async fn differences(p: &Project, db: &TestDb) -> Vec<Difference> {
    let graph = load_graph(&p.config).expect("graph");
    let applied: BTreeSet<String> = common::db::applied(&db.url).await.into_iter().collect();
    assert!(!applied.is_empty());
    let mut conn = db.conn().await;
    let out = drift_report(&mut conn, &graph, &applied, &DriftOptions::default()).await.expect("drift");
    conn.close().await;
    out
}

fn d(table: &str, object: &str, expected: &str, live: &str) -> Difference {
    Difference { table: table.into(), object: object.into(), expected: expected.into(), live: live.into() }
}

fn show(diffs: &[Difference]) -> String {
    diffs.iter().map(|d| format!("  {d}\n")).collect()
}

fn assert_same(got: &[Difference], mut want: Vec<Difference>) {
    want.sort();
    assert_eq!(got, want.as_slice(), "\ngot:\n{}want:\n{}", show(got), show(&want));
}

#[tokio::test]
async fn postgres_plain_migrate_has_no_drift_and_hand_changes_are_named() {
    let db = TestDb::postgres().await;
    let p = migrated(&db).await;
    assert_same(&differences(&p, &db).await, vec![]);
    // The long names really are Django's shortened ones, and they are in the database.
    let fk = foreign_key_name("shop_warehouselocationassignment", "storage_bin_identifier_reference_id", "shop_publisher", "code");
    assert!(fk.len() <= 63 && !fk.contains("_fk_shop_publisher_code"), "{fk}");
    let names = db.column("SELECT conname::text FROM pg_constraint UNION ALL SELECT relname::text FROM pg_class").await;
    assert!(names.contains(&Some(fk.clone())), "{fk} not in the database");
    let like = index_name("shop_publisher", &["code"], "_like");
    assert!(names.contains(&Some(like.clone())), "{like} not in the database");
    let together = unique_together_name("shop_book", &["title", "author_id"]);
    assert!(names.contains(&Some(together.clone())), "{together} not in the database");

    let title_idx = index_name("shop_book", &["title"], "");
    let fk_profile = foreign_key_name("shop_profile", "publisher_id", "shop_publisher", "code");
    db.exec(&format!("DROP INDEX \"{title_idx}\"")).await;
    db.exec("ALTER TABLE shop_author ALTER COLUMN rating SET DEFAULT 5").await;
    db.exec("ALTER TABLE shop_book ADD COLUMN extra integer").await;
    db.exec("ALTER TABLE shop_book ALTER COLUMN flags TYPE integer").await;
    db.exec("ALTER TABLE shop_author ALTER COLUMN name DROP NOT NULL").await;
    db.exec("ALTER TABLE shop_book RENAME CONSTRAINT book_isbn_pub_uniq TO book_isbn_publisher_key").await;
    db.exec(&format!("ALTER TABLE shop_profile DROP CONSTRAINT \"{fk_profile}\"")).await;
    db.exec(&format!(
        "ALTER TABLE shop_profile ADD CONSTRAINT \"{fk_profile}\" FOREIGN KEY (publisher_id) REFERENCES shop_publisher (code) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
    ))
    .await;
    db.exec("ALTER TABLE shop_book DROP CONSTRAINT book_price_positive").await;
    db.exec("ALTER TABLE shop_book ALTER COLUMN motto SET DEFAULT 'its'").await;
    db.exec("CREATE TABLE someone_elses (id integer)").await;
    assert_same(
        &differences(&p, &db).await,
        vec![
            d("shop_book", &format!("index {title_idx}"), "INDEX USING btree (title)", "nothing"),
            d("shop_author", "column rating", "DEFAULT 0", "DEFAULT 5"),
            d("shop_book", "column extra", "nothing", "integer NULL"),
            d("shop_book", "column flags", "type smallint", "type integer"),
            d("shop_author", "column name", "NOT NULL", "NULL"),
            d(
                "shop_book",
                "unique constraint book_isbn_pub_uniq",
                "UNIQUE (isbn_code, publisher_id) named book_isbn_pub_uniq",
                "it named book_isbn_publisher_key",
            ),
            d(
                "shop_profile",
                &format!("foreign key {fk_profile}"),
                "FOREIGN KEY (publisher_id) REFERENCES shop_publisher (code) ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED",
                "FOREIGN KEY (publisher_id) REFERENCES shop_publisher (code) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED",
            ),
            d("shop_book", "check constraint book_price_positive", "CHECK (price >= 0)", "nothing"),
            d("shop_book", "column motto", "DEFAULT 'it''s'", "DEFAULT 'its'::character varying"),
        ],
    );
    // A table no model declares is compared only when asked.
    let graph = load_graph(&p.config).expect("graph");
    let applied: BTreeSet<String> = common::db::applied(&db.url).await.into_iter().collect();
    let mut conn = db.conn().await;
    let all = drift_report(&mut conn, &graph, &applied, &DriftOptions { undeclared_tables: true }).await.expect("drift");
    conn.close().await;
    assert!(all.contains(&d("someone_elses", "table", "nothing", "a table no model declares (id)")), "{}", show(&all));
}

/// Rebuilds a SQLite table with its CREATE TABLE text edited (each `(from, to)` must occur), as
/// someone changing a column or a constraint by hand must: the rows and indexes kept.
async fn sqlite_rebuild(db: &TestDb, table: &str, edits: &[(&str, &str)]) {
    let mut c = db.conn().await;
    let row = c.fetch_all("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", &[table.into()]).await.expect("sql");
    let mut sql: String = row[0].get(0).expect("text");
    for (from, to) in edits {
        assert!(sql.contains(from), "{from:?} is not in {sql}");
        sql = sql.replacen(from, to, 1);
    }
    let indexes: Vec<String> = c
        .fetch_all("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL", &[table.into()])
        .await
        .expect("indexes")
        .iter()
        .map(|r| r.get(0).expect("text"))
        .collect();
    let temp = format!("new__{table}");
    let create = sql.replacen(&format!("\"{table}\""), &format!("\"{temp}\""), 1);
    for stmt in [
        "PRAGMA foreign_keys = OFF".to_string(),
        create,
        format!("INSERT INTO \"{temp}\" SELECT * FROM \"{table}\""),
        format!("DROP TABLE \"{table}\""),
        format!("ALTER TABLE \"{temp}\" RENAME TO \"{table}\""),
    ]
    .into_iter()
    .chain(indexes)
    {
        c.run(&stmt).await.unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    c.close().await;
}

#[tokio::test]
async fn sqlite_plain_migrate_has_no_drift_and_hand_changes_are_named() {
    let db = TestDb::sqlite();
    let p = migrated(&db).await;
    assert_same(&differences(&p, &db).await, vec![]);

    let title_idx = index_name("shop_book", &["title"], "");
    db.exec(&format!("DROP INDEX \"{title_idx}\"")).await;
    db.exec("ALTER TABLE shop_book ADD COLUMN extra integer").await;
    sqlite_rebuild(
        &db,
        "shop_author",
        &[
            ("\"rating\" integer DEFAULT (0)", "\"rating\" integer DEFAULT (5)"),
            ("\"name\" varchar(100) NOT NULL", "\"name\" varchar(100) NULL"),
        ],
    )
    .await;
    sqlite_rebuild(
        &db,
        "shop_book",
        &[
            ("\"title\" varchar(200) NOT NULL", "\"title\" text NOT NULL"),
            ("CONSTRAINT \"book_isbn_pub_uniq\"", "CONSTRAINT \"book_isbn_publisher_key\""),
            ("CONSTRAINT \"book_price_positive\" CHECK (price >= 0)", "CONSTRAINT \"book_price_positive\" CHECK (price > 0)"),
        ],
    )
    .await;
    sqlite_rebuild(
        &db,
        "shop_profile",
        &[("REFERENCES \"shop_publisher\" (\"code\") ON DELETE RESTRICT", "REFERENCES \"shop_publisher\" (\"code\") ON DELETE CASCADE")],
    )
    .await;
    assert_same(
        &differences(&p, &db).await,
        vec![
            d("shop_book", &format!("index {title_idx}"), "INDEX (title)", "nothing"),
            d("shop_author", "column rating", "DEFAULT 0", "DEFAULT 5"),
            d("shop_book", "column extra", "nothing", "integer NULL"),
            d("shop_book", "column title", "type varchar(200)", "type text"),
            d("shop_author", "column name", "NOT NULL", "NULL"),
            d(
                "shop_book",
                "unique constraint book_isbn_pub_uniq",
                "UNIQUE (isbn_code, publisher_id) named book_isbn_pub_uniq",
                "it named book_isbn_publisher_key",
            ),
            d("shop_book", "check constraint book_price_positive", "CHECK (price >= 0)", "CHECK (price > 0)"),
            d(
                "shop_profile",
                "foreign key FOREIGN KEY (publisher_id) REFERENCES shop_publisher (code) ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED",
                "FOREIGN KEY (publisher_id) REFERENCES shop_publisher (code) ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED",
                "nothing",
            ),
            d(
                "shop_profile",
                "foreign key FOREIGN KEY (publisher_id) REFERENCES shop_publisher (code) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED",
                "nothing",
                "FOREIGN KEY (publisher_id) REFERENCES shop_publisher (code) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED",
            ),
        ],
    );
}

/// What a `run_sql` made is not drift: the state cannot know it.
#[tokio::test]
async fn objects_run_sql_made_are_not_drift() {
    for db in [TestDb::sqlite(), TestDb::postgres().await] {
        let p = migrated(&db).await;
        let dir = p.migrations_dir("shop");
        std::fs::write(
            dir.join("0002_search.toml"),
            "dependencies = [\"shop/0001_initial\"]\n\n[[operations]]\nop = \"run_sql\"\nsql = \"CREATE INDEX book_title_lower ON shop_book (title DESC); ALTER TABLE shop_tag ADD COLUMN hits integer\"\nreverse_sql = \"DROP INDEX book_title_lower\"\n",
        )
        .expect("write migration");
        migrate(&p.config, &db.url, None, None).await.unwrap_or_else(|e| panic!("migrate: {e}"));
        assert_same(&differences(&p, &db).await, vec![]);
        // Not a blanket pass: the same objects made by hand elsewhere are reported.
        db.exec("ALTER TABLE shop_author ADD COLUMN hits integer").await;
        assert_same(&differences(&p, &db).await, vec![d("shop_author", "column hits", "nothing", "integer NULL")]);
    }
}

async fn database_names() -> BTreeSet<String> {
    let mut c = Conn::open(&pg_admin_url()).await.expect("connect");
    let rows = c.fetch_all("SELECT datname::text FROM pg_database", &[]).await.expect("pg_database");
    c.close().await;
    rows.iter().map(|r| r.get::<String>(0).expect("text")).collect()
}

/// `teapot check --database-url` as a role without CREATEDB: it works, reports drift, and no
/// database appears on the server while it runs.
#[tokio::test]
async fn postgres_check_creates_no_database_and_needs_no_createdb() {
    let db = TestDb::postgres().await;
    let p = Project::new(&[("shop", SHOP)]);
    teapot(p.root(), &["makemigrations"]).ok();
    teapot(p.root(), &["migrate", "--database-url", &db.url]).ok();
    let role = format!("teapot_drift_{}", std::process::id());
    let mut admin = Conn::open(&pg_admin_url()).await.expect("connect");
    admin.run(&format!("DROP ROLE IF EXISTS {role}")).await.expect("drop role");
    admin.run(&format!("CREATE ROLE {role} LOGIN NOCREATEDB")).await.expect("create role");
    admin.close().await;
    db.exec(&format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")).await;
    let url = db.url.replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    assert_ne!(url, db.url, "the test database url names the postgres user");

    let before = database_names().await;
    let clean = teapot(p.root(), &["check", "--database-url", &url]);
    let after_clean = database_names().await;
    db.exec("ALTER TABLE shop_book ADD COLUMN extra integer").await;
    let drifted = teapot(p.root(), &["check", "--database-url", &url]);
    let after = database_names().await;

    db.exec(&format!("DROP OWNED BY {role}")).await;
    let mut admin = Conn::open(&pg_admin_url()).await.expect("connect");
    admin.run(&format!("DROP ROLE {role}")).await.expect("drop role");
    admin.close().await;

    assert!(clean.ok().contains("no findings"), "{clean}");
    assert!(drifted.stdout.contains("shop_book: column extra: the migrations have nothing; the database has integer NULL"), "{drifted}");
    assert_eq!(drifted.code, 1, "{drifted}");
    // Other tests make their own databases meanwhile: only a database check made would be new and
    // not a test's.
    for after in [after_clean, after] {
        let new: Vec<&String> = after.difference(&before).filter(|n| !n.starts_with("teapot_test_")).collect();
        assert!(new.is_empty(), "check made databases: {new:?}");
    }
}

/// On SQLite too nothing is made: the folder holds the same files before and after.
#[tokio::test]
async fn sqlite_check_creates_no_database() {
    let db = TestDb::sqlite();
    let p = Project::new(&[("shop", SHOP)]);
    teapot(p.root(), &["makemigrations"]).ok();
    teapot(p.root(), &["migrate", "--database-url", &db.url]).ok();
    let folder = std::path::PathBuf::from(db.url.trim_start_matches("sqlite://")).parent().expect("dir").to_path_buf();
    let files = || -> BTreeSet<String> {
        std::fs::read_dir(&folder).expect("dir").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
    };
    let before = files();
    db.exec("ALTER TABLE shop_book ADD COLUMN extra integer").await;
    let out = teapot(p.root(), &["check", "--database-url", &db.url]);
    assert!(out.stdout.contains("shop_book: column extra: the migrations have nothing; the database has integer NULL"), "{out}");
    assert_eq!(files(), before);
}

const V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
pub struct Author {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub name: String,
}

#[derive(Model)]
pub struct Tag {
    pub id: i64,
    #[teapot(max_length = 50)]
    pub slug: String,
}

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub title: String,
    #[teapot(on_delete = "cascade")]
    pub author: ForeignKey<Author>,
    pub pages: Option<i32>,
    pub tags: ManyToMany<Tag>,
}
"#;

const V2: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
pub struct Author {
    pub id: i64,
    #[teapot(max_length = 150, unique)]
    pub name: String,
}

#[derive(Model)]
pub struct Tag {
    pub id: i64,
    #[teapot(max_length = 50, db_index)]
    pub slug: String,
}

#[derive(Model)]
#[teapot(renamed_from = "Book", index(fields = ["heading", "-copies"], name = "volume_heading_copies_idx"))]
pub struct Volume {
    pub id: i64,
    #[teapot(max_length = 100, db_index, renamed_from = "title")]
    pub heading: String,
    #[teapot(on_delete = "restrict")]
    pub author: ForeignKey<Author>,
    pub copies: i32,
    #[teapot(default = 1)]
    pub edition: i16,
    pub tags: ManyToMany<Tag>,
}
"#;

/// A history that renames a model and a field, retypes, adds unique and db_index, changes ON
/// DELETE, drops a column and adds one with a one-off value: whatever path each mode took, the
/// database ends as the state says (plain and online on PostgreSQL, plain on SQLite).
#[tokio::test]
async fn a_history_of_renames_and_alterations_leaves_no_drift() {
    let p = Project::new(&[("shop", V1)]);
    p.make();
    p.set("shop", V2);
    p.try_make(&Default::default(), &[], false, &["shop.Volume.copies=3"]).unwrap_or_else(|e| panic!("makemigrations: {e}"));
    for (db, online) in [(TestDb::sqlite(), false), (TestDb::postgres().await, false), (TestDb::postgres().await, true)] {
        let first = p.names("shop")[0].clone();
        migrate(&p.config, &db.url, Some("shop"), Some(&first)).await.unwrap_or_else(|e| panic!("migrate: {e}"));
        db.exec("INSERT INTO shop_author (name) VALUES ('a')").await;
        let args: &[&str] =
            if online { &["migrate", "--online", "--database-url", &db.url] } else { &["migrate", "--database-url", &db.url] };
        teapot(p.root(), args).ok();
        assert_same(&differences(&p, &db).await, vec![]);
        // The renamed objects carry the new names: a rename left undone would be reported.
        db.exec("ALTER TABLE shop_volume ADD COLUMN pages integer").await;
        assert_same(&differences(&p, &db).await, vec![d("shop_volume", "column pages", "nothing", "integer NULL")]);
    }
}
