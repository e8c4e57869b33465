//! Column order of the tables teapot makes, against Django 5.2.19's for the same models
//! (fixtures/django-columns/): declaration order, the implicit `id` first, an explicit key where
//! it is declared, a new model's relations last by name (or added after, where Django adds them).

mod common;

use std::path::Path;

use common::db::{migrate, TestDb};
use common::{described, Project};

fn fixture(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/django-columns").join(file)).expect("fixture")
}

fn project() -> Project {
    let p = Project::new(&[("shop", &fixture("models/shop.rs"))]);
    p.make();
    p
}

/// `table: col, col, ...` per table, in table order, from Django's columns.txt.
fn djangos() -> Vec<String> {
    fixture("columns.txt").lines().map(str::to_string).collect()
}

async fn columns(db: &TestDb, sql: impl Fn(&str) -> String) -> Vec<String> {
    let mut out = Vec::new();
    for line in djangos() {
        let table = line.split_once(':').expect("table: columns").0;
        let cols: Vec<String> = db.column(&sql(table)).await.into_iter().map(|c| c.expect("name")).collect();
        out.push(format!("{table}: {}", cols.join(", ")));
    }
    out
}

#[test]
fn the_initial_migration_has_djangos_operations() {
    let p = project();
    let m = p.read("shop", "0001_initial");
    let ours: Vec<String> = described(&m.operations).iter().map(|d| d.to_lowercase()).collect();
    let theirs: Vec<String> = fixture("0001_initial.py")
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("migrations.") || l.starts_with("name=") || l.starts_with("model_name="))
        .collect::<Vec<_>>()
        .join(" ")
        .split("migrations.")
        .filter(|s| !s.is_empty() && !s.starts_with("Migration"))
        .map(|s| {
            let q: Vec<&str> = s.split('\'').skip(1).step_by(2).collect();
            if s.starts_with("CreateModel") {
                format!("create model {}", q[0])
            } else {
                format!("add field {} to {}", q[1], q[0])
            }
        })
        .map(|s| s.to_lowercase())
        .collect();
    assert_eq!(ours, theirs);
}

#[tokio::test]
async fn postgres_columns_are_in_djangos_order() {
    let p = project();
    let db = TestDb::postgres().await;
    migrate(&p.config, &db.url, None, None).await.expect("migrate");
    let ours = columns(&db, |t| {
        format!("SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{t}' ORDER BY ordinal_position")
    })
    .await;
    assert_eq!(ours, djangos());
}

#[tokio::test]
async fn sqlite_columns_are_in_djangos_order() {
    let p = project();
    let db = TestDb::sqlite();
    migrate(&p.config, &db.url, None, None).await.expect("migrate");
    let ours = columns(&db, |t| format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid")).await;
    assert_eq!(ours, djangos());
}
