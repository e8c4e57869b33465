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
