//! Every operation, applied, introspected, unapplied and re-applied on PostgreSQL and SQLite,
//! with rows in the tables: a chain of model versions, each made into a migration by
//! makemigrations. At each step the schema after unapplying is the schema before, and at the end
//! the schema built step by step equals the schema of the final models built in one migration.

mod common;

use common::db::{applied, migrate, TestDb};
use common::Project;
use teapot::migrate::make::MakeOptions;

const V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "lib")]
pub struct Author {
    pub id: i64,
    #[teapot(max_length = 100, unique)]
    pub name: String,
    pub bio: Option<String>,
}

#[derive(Model)]
#[teapot(app = "lib")]
pub struct Tag {
    pub id: i64,
    #[teapot(max_length = 50)]
    pub name: String,
}

#[derive(Model)]
#[teapot(app = "lib",
         index(fields = ["title", "-price"], name = "book_tp_idx"),
         unique(fields = ["title", "author"], name = "book_title_author_uniq"),
         check(name = "book_price_gte_0", expr = "price >= 0"))]
pub struct Book {
    pub id: i64,
    #[teapot(max_length = 200, db_index)]
    pub title: String,
    #[teapot(on_delete = "cascade", related_name = "books")]
    pub author: ForeignKey<Author>,
    #[teapot(max_digits = 8, decimal_places = 2)]
    pub price: Decimal,
    #[teapot(related_name = "books")]
    pub tags: ManyToMany<Tag>,
}
"#;

/// Fields added (nullable, with a default, indexed), a varchar widened, NULL to NOT NULL.
fn v2() -> String {
    V1.replace("    pub bio: Option<String>,", "    #[teapot(default = \"\")]\n    pub bio: String,")
        .replace("#[teapot(max_length = 200, db_index)]", "#[teapot(max_length = 250, db_index)]")
        .replace(
            "    pub tags: ManyToMany<Tag>,\n}",
            "    pub tags: ManyToMany<Tag>,\n    #[teapot(db_index)]\n    pub pages: Option<i32>,\n    #[teapot(default = true)]\n    pub in_print: bool,\n}",
        )
}

/// Renames (field, model, index), a check swapped, unique to indexed, on_delete changed.
fn v3() -> String {
    v2().replace(
        "    #[teapot(db_index)]\n    pub pages: Option<i32>,",
        "    #[teapot(db_index, renamed_from = \"pages\")]\n    pub page_count: Option<i32>,",
    )
    .replace("#[teapot(app = \"lib\")]\npub struct Tag", "#[teapot(app = \"lib\", renamed_from = \"Tag\")]\npub struct Label")
    .replace("ManyToMany<Tag>", "ManyToMany<Label>")
    .replace("name = \"book_tp_idx\"", "name = \"book_title_price_idx\"")
    .replace("check(name = \"book_price_gte_0\", expr = \"price >= 0\")", "check(name = \"book_pages_gte_0\", expr = \"page_count >= 0\")")
    .replace("#[teapot(max_length = 100, unique)]", "#[teapot(max_length = 100, db_index)]")
    .replace(
        "#[teapot(on_delete = \"cascade\", related_name = \"books\")]",
        "#[teapot(on_delete = \"restrict\", related_name = \"books\")]",
    )
}

/// Removals (field, many-to-many, index, model), a new model with a key to it, a table and a
/// column renamed by option.
fn v4() -> String {
    let s = v3()
        .replace("    #[teapot(default = true)]\n    pub in_print: bool,\n", "")
        .replace(
            "    #[teapot(related_name = \"books\")]\n    pub tags: ManyToMany<Label>,\n",
            "    #[teapot(on_delete = \"set_null\", related_name = \"books\")]\n    pub publisher: Option<ForeignKey<Publisher>>,\n",
        )
        .replace("         index(fields = [\"title\", \"-price\"], name = \"book_title_price_idx\"),\n", "")
        .replace("#[teapot(app = \"lib\",\n         unique(", "#[teapot(app = \"lib\", table = \"books\",\n         unique(")
        .replace("#[teapot(max_length = 100, db_index)]", "#[teapot(max_length = 100, db_index, db_column = \"full_name\")]");
    let start = s.find("#[derive(Model)]\n#[teapot(app = \"lib\", renamed_from = \"Tag\")]").expect("Label in v3");
    let end = s[start..].find("}\n").map(|i| start + i + 2).expect("end of Label");
    let mut s = format!("{}{}", &s[..start], &s[end..]);
    s.push_str("\n#[derive(Model)]\n#[teapot(app = \"lib\")]\npub struct Publisher {\n    pub id: i64,\n    pub name: String,\n}\n");
    s
}

async fn roundtrip(db: TestDb) {
    let project = Project::new(&[("lib", V1)]);
    let versions = [v2(), v3(), v4()];
    let mut names = Vec::new();
    let first = project.make();
    names.push(first.made[0].migration.name.clone());
    for v in &versions {
        project.set("lib", v);
        let made = project.make_opts(&MakeOptions::default());
        assert_eq!(made.made.len(), 1, "one migration per version");
        names.push(made.made[0].migration.name.clone());
    }
    let config = &project.config;

    // Step by step, with rows in the tables.
    let mut schemas = vec![db.schema().await];
    for (i, name) in names.iter().enumerate() {
        migrate(config, &db.url, Some("lib"), Some(name)).await.unwrap_or_else(|e| panic!("forwards to {name}: {e}"));
        if i == 0 {
            db.exec("INSERT INTO lib_author (name, bio) VALUES ('Ann', NULL), ('Bob', 'writes')").await;
            db.exec("INSERT INTO lib_book (title, author_id, price) SELECT 'Book of ' || name, id, 9.5 FROM lib_author").await;
        }
        let schema = db.schema().await;
        assert_ne!(&schema, schemas.last().expect("previous"), "{name} changed nothing");
        // Undo and redo this step: the schema goes back exactly, and comes again exactly.
        let prev = if i == 0 { "zero".to_string() } else { names[i - 1].clone() };
        if i > 0 {
            migrate(config, &db.url, Some("lib"), Some(&prev)).await.unwrap_or_else(|e| panic!("backwards from {name}: {e}"));
            assert_eq!(&db.schema().await, schemas.last().expect("previous"), "unapplying {name}");
            migrate(config, &db.url, Some("lib"), Some(name)).await.unwrap_or_else(|e| panic!("re-applying {name}: {e}"));
            assert_eq!(db.schema().await, schema, "re-applying {name}");
        }
        schemas.push(schema);
    }
    assert_eq!(applied(&db.url).await.len(), names.len());

    // No row was lost on the way, and the values came along.
    let table = "books";
    let titles = db.column(&format!("SELECT title FROM {table} ORDER BY title")).await;
    assert_eq!(titles, vec![Some("Book of Ann".to_string()), Some("Book of Bob".to_string())]);
    let bios = db.column("SELECT bio FROM lib_author ORDER BY full_name").await;
    assert_eq!(bios, vec![Some(String::new()), Some("writes".to_string())], "NULL bio filled with the default");

    // The final models built in one migration give the schema built step by step.
    let fresh = Project::new(&[("lib", &v4())]);
    fresh.make();
    let other = if db.url.starts_with("sqlite") { TestDb::sqlite() } else { TestDb::postgres().await };
    migrate(&fresh.config, &other.url, None, None).await.expect("fresh migrate");
    assert_eq!(other.schema().await, *schemas.last().expect("final"), "incremental and from-scratch schemas differ");

    // Everything unapplied leaves nothing behind.
    migrate(config, &db.url, Some("lib"), Some("zero")).await.expect("zero");
    assert!(db.schema().await.is_empty(), "left after zero: {:?}", db.schema().await);
    assert!(applied(&db.url).await.is_empty());
}

#[tokio::test]
async fn every_operation_roundtrips_on_postgres() {
    roundtrip(TestDb::postgres().await).await;
}

#[tokio::test]
async fn every_operation_roundtrips_on_sqlite() {
    roundtrip(TestDb::sqlite()).await;
}
