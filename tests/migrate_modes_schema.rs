//! Plain `migrate` and `migrate --online` build the same schema for every kind of operation: a
//! project is taken through four versions (additions, alterations and renames, removals, then
//! raw SQL and a backfill), each made by makemigrations, and after every migration the schema of a
//! database migrated plainly is compared with that of one migrated online, index and constraint
//! names included.

mod common;

use common::db::TestDb;
use common::Project;

const V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "lib")]
pub struct Author {
    pub id: i64,
    #[teapot(max_length = 50)]
    pub name: String,
    pub bio: Option<String>,
}

#[derive(Model)]
#[teapot(app = "lib")]
pub struct Tag {
    pub id: i64,
    #[teapot(max_length = 30)]
    pub name: String,
}

#[derive(Model)]
#[teapot(app = "lib")]
pub struct Book {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub title: String,
    #[teapot(on_delete = "cascade")]
    pub author: ForeignKey<Author>,
    pub pages: Option<i32>,
}
"#;

/// Additions: a model, fields of every shape (unique, indexed, defaults, a volatile database
/// default, a foreign key, a many-to-many), an index, a unique pair, a check.
fn v2() -> String {
    V1.replace(
        "#[derive(Model)]\n#[teapot(app = \"lib\")]\npub struct Book {",
        "#[derive(Model)]\n#[teapot(app = \"lib\")]\npub struct Publisher {\n    pub id: i64,\n    #[teapot(max_length = 80, unique)]\n    pub name: String,\n}\n\n\
         #[derive(Model)]\n#[teapot(app = \"lib\", index(fields = [\"author\", \"-pages\"], name = \"book_author_pages_idx\"), \
         unique(fields = [\"title\", \"author\"], name = \"book_title_author_uniq\"), check(name = \"book_pages_gte_0\", expr = \"pages >= 0\"))]\npub struct Book {",
    )
    .replace(
        "    pub pages: Option<i32>,\n}",
        "    pub pages: Option<i32>,\n    #[teapot(max_length = 13, unique)]\n    pub isbn: Option<String>,\n    #[teapot(default = 0)]\n    pub rating: i32,\n    \
         #[teapot(db_default = \"gen_random_uuid()\")]\n    pub uid: Uuid,\n    #[teapot(db_index)]\n    pub published: Option<NaiveDate>,\n    \
         #[teapot(on_delete = \"set_null\")]\n    pub publisher: Option<ForeignKey<Publisher>>,\n    pub tags: ManyToMany<Tag>,\n}",
    )
}

/// Alterations and renames: widen a varchar, NULL to NOT NULL with a default, unique to indexed,
/// a foreign key's on_delete, a field and a model renamed, a field removed.
fn v3() -> String {
    v2().replace(
        "#[teapot(max_length = 50)]\n    pub name: String,\n    pub bio: Option<String>,",
        "#[teapot(max_length = 120)]\n    pub name: String,",
    )
    .replace(
        "    pub pages: Option<i32>,\n    #[teapot(max_length = 13, unique)]",
        "    #[teapot(default = 1)]\n    pub pages: i32,\n    #[teapot(max_length = 13, db_index)]",
    )
    .replace(
        "#[teapot(max_length = 100)]\n    pub title: String,",
        "#[teapot(max_length = 100, renamed_from = \"title\")]\n    pub headline: String,",
    )
    .replace("unique(fields = [\"title\", \"author\"]", "unique(fields = [\"headline\", \"author\"]")
    .replace("#[teapot(on_delete = \"set_null\")]\n    pub publisher", "#[teapot(on_delete = \"do_nothing\")]\n    pub publisher")
    .replace("#[teapot(app = \"lib\")]\npub struct Tag {", "#[teapot(app = \"lib\", renamed_from = \"Tag\")]\npub struct Label {")
    .replace("pub tags: ManyToMany<Tag>,", "pub tags: ManyToMany<Label>,")
}

/// Removals: a model (and the foreign key to it), a many-to-many, an index, a check.
fn v4() -> String {
    v3().replace("\n    #[teapot(on_delete = \"do_nothing\")]\n    pub publisher: Option<ForeignKey<Publisher>>,", "")
        .replace("\n    pub tags: ManyToMany<Label>,", "")
        .replace("index(fields = [\"author\", \"-pages\"], name = \"book_author_pages_idx\"), ", "")
        .replace(", check(name = \"book_pages_gte_0\", expr = \"pages >= 0\")", "")
        .replace("#[derive(Model)]\n#[teapot(app = \"lib\")]\npub struct Publisher {\n    pub id: i64,\n    #[teapot(max_length = 80, unique)]\n    pub name: String,\n}\n\n", "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_and_online_build_the_same_schema_for_every_operation() {
    let p = Project::new(&[("lib", V1)]);
    p.make();
    p.set("lib", &v2());
    p.make();
    p.set("lib", &v3());
    p.make();
    p.set("lib", &v4());
    p.make();
    let made = p.names("lib");
    assert_eq!(made.len(), 4, "{made:?}");
    p.write_migration(
        "lib",
        "0005_data",
        &format!(
            "dependencies = [\"lib/{}\"]\n\n[[operations]]\nop = \"run_sql\"\nsql = \"CREATE INDEX book_headline_lower ON lib_book (lower(headline))\"\n\
             reverse_sql = \"DROP INDEX book_headline_lower\"\n\n[[operations]]\nop = \"backfill\"\nmodel = \"Book\"\nset = \"rating = 5\"\nwhere = \"rating = 0\"\nbatch_size = 7\n",
            made[3]
        ),
    );
    let names = p.names("lib");
    let (plain, online) = (TestDb::postgres().await, TestDb::postgres().await);
    let mut kinds = std::collections::BTreeSet::new();
    for (i, name) in names.iter().enumerate() {
        for op in &p.read("lib", name).operations {
            kinds.insert(op.describe().split_whitespace().take(2).collect::<Vec<_>>().join(" "));
        }
        common::db::migrate(&p.config, &plain.url, Some("lib"), Some(name)).await.unwrap_or_else(|e| panic!("plain {name}: {e}"));
        teapot::Migrator::connect(online.url.as_str())
            .config(p.config.clone())
            .target(teapot::migrate::executor::Target { app: Some("lib".into()), name: Some(name.clone()) })
            .online(true)
            .run()
            .await
            .unwrap_or_else(|e| panic!("online {name}: {e}"));
        if i == 0 {
            // Rows, so that fills and backfills have work to do.
            for db in [&plain, &online] {
                db.exec("INSERT INTO lib_author (name) VALUES ('a'), ('b')").await;
                db.exec("INSERT INTO lib_book (title, author_id, pages) SELECT 't' || g, 1 + g % 2, CASE WHEN g % 4 = 0 THEN NULL ELSE g END FROM generate_series(1, 40) g").await;
            }
        }
        let (a, b) = (plain.schema().await, online.schema().await);
        assert_eq!(a, b, "after {name}: plain (left) and online (right) schemas differ");
        assert!(!b.iter().any(|l| l.contains("INVALID") || l.contains("NOT VALID")), "after {name}: {b:#?}");
    }
    for (db, mode) in [(&plain, "plain"), (&online, "online")] {
        let rows = db.column("SELECT count(*)::text FROM lib_book WHERE rating = 5 AND pages >= 1").await;
        assert_eq!(rows, [Some("40".to_string())], "{mode}: data ends the same");
    }
    // The walk covered every kind of operation makemigrations writes, and raw SQL and backfills.
    for kind in [
        "Create model",
        "Delete model",
        "Rename model",
        "Add field",
        "Remove field",
        "Alter field",
        "Rename field",
        "Create index",
        "Remove index",
        "Create constraint",
        "Remove constraint",
        "Raw SQL",
        "Backfill Book",
    ] {
        assert!(kinds.iter().any(|k| k.starts_with(kind)), "no {kind:?} operation in the walk: {kinds:?}");
    }
}
