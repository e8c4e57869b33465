//! `teapot check` through the binary on a temp project: agreement, teapot.sum integrity, applied
//! checksums and schema drift (SQLite and PostgreSQL), the graph, the three output formats and the
//! exit codes.

mod common;

use common::cli::{teapot, Out};
use common::db::TestDb;
use common::Project;

const SHOP: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub title: String,
    pub pages: Option<i32>,
}
"#;

const SUM: &str = "migrations/teapot.sum";
const INITIAL: &str = "migrations/shop/0001_initial.toml";

/// A project whose 0001_initial was made by `teapot makemigrations`; `check` is clean.
fn project() -> Project {
    let p = Project::new(&[("shop", SHOP)]);
    teapot(p.root(), &["makemigrations"]).ok();
    check(&p, &[]).ok();
    p
}

fn check(p: &Project, args: &[&str]) -> Out {
    let mut all = vec!["check"];
    all.extend(args);
    teapot(p.root(), &all)
}

/// Asserts exit 1 and that stdout holds every piece.
fn finds(out: &Out, pieces: &[&str]) {
    assert_eq!(out.code, 1, "expected findings\n{out}");
    for piece in pieces {
        assert!(out.stdout.contains(piece), "stdout lacks {piece:?}\n{out}");
    }
}

fn edit(p: &Project, file: &str, f: impl FnOnce(String) -> String) {
    let path = p.root().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, f(text)).unwrap();
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines().position(|l| l.contains(needle)).expect("needle in source") + 1
}

#[test]
fn agreement_model_change_without_migration() {
    let p = project();
    let v2 = SHOP.replace("    pub pages: Option<i32>,\n", "    pub pages: Option<i32>,\n    pub subtitle: Option<String>,\n");
    p.set("shop", &v2);
    let out = check(&p, &[]);
    let place = format!("models/shop.rs:{}: agreement model-without-migration", line_of(&v2, "subtitle"));
    finds(&out, &[&place, "shop.Book", "subtitle", "teapot makemigrations"]);
    // a new model points at its declaration
    let v3 = format!("{v2}\n#[derive(Model)]\npub struct Shelf {{\n    pub id: i64,\n}}\n");
    p.set("shop", &v3);
    let out = check(&p, &[]);
    finds(&out, &[&format!("models/shop.rs:{}: agreement", line_of(&v3, "pub struct Shelf")), "Shelf"]);
    teapot(p.root(), &["makemigrations"]).ok();
    assert!(check(&p, &[]).ok().contains("no findings"));
}

#[test]
fn edited_migration() {
    let p = project();
    edit(&p, INITIAL, |t| t.replace("max_length = 100", "max_length = 120"));
    finds(&check(&p, &[]), &[&format!("{INITIAL}: integrity edited-migration"), "--update-sums"]);
}

#[test]
fn update_sums_accepts_an_edit() {
    let p = project();
    edit(&p, INITIAL, |t| format!("{t}# reviewed\n"));
    check(&p, &[]).fails_with(1);
    let out = check(&p, &["--update-sums"]);
    out.ok();
    out.says(&[&format!("teapot.sum: updated {INITIAL}")]);
    check(&p, &[]).ok();
}

#[test]
fn unlisted_migration() {
    let p = project();
    p.write_migration(
        "shop",
        "0002_comment",
        "dependencies = [\"shop/0001_initial\"]\n\n[[operations]]\nop = \"run_sql\"\nsql = \"COMMENT ON TABLE shop_book IS 'books'\"\n",
    );
    finds(&check(&p, &[]), &["migrations/shop/0002_comment.toml: integrity unlisted-migration"]);
    check(&p, &["--update-sums"]).ok();
}

#[test]
fn missing_migration() {
    let p = project();
    p.set("shop", &SHOP.replace("    pub pages: Option<i32>,\n", "    pub pages: Option<i32>,\n    pub isbn: Option<String>,\n"));
    teapot(p.root(), &["makemigrations"]).ok();
    let second = format!("migrations/shop/{}.toml", p.names("shop")[1]);
    std::fs::remove_file(p.root().join(&second)).unwrap();
    finds(&check(&p, &[]), &[&format!("{SUM}: integrity missing-migration: {second} is listed")]);
}

#[test]
fn crlf_line_endings_keep_the_checksum() {
    let p = project();
    edit(&p, INITIAL, |t| t.replace('\n', "\r\n"));
    assert!(std::fs::read(p.root().join(INITIAL)).unwrap().windows(2).any(|w| w == b"\r\n"));
    check(&p, &[]).ok();
}

#[test]
fn two_leaves_name_the_merge() {
    let p = project();
    for name in ["0002_a", "0002_b"] {
        p.write_migration("shop", name, "dependencies = [\"shop/0001_initial\"]\n");
    }
    check(&p, &["--update-sums"]).fails_with(1);
    let out = check(&p, &[]);
    finds(&out, &["graph two-leaves", "0002_a", "0002_b", "makemigrations --merge"]);
    assert!(!out.stdout.contains("integrity"), "--update-sums listed them\n{out}");
}

#[test]
fn missing_dependency_is_a_broken_graph() {
    let p = project();
    p.write_migration("shop", "0002_x", "dependencies = [\"shop/0009_nope\"]\n");
    finds(&check(&p, &[]), &["graph broken-graph", "0009_nope"]);
}

/// A project with a TP002 finding: 0002 removes Book.pages (made by makemigrations).
fn with_drop_column() -> (Project, String) {
    let p = project();
    p.set("shop", &SHOP.replace("    pub pages: Option<i32>,\n", ""));
    teapot(p.root(), &["makemigrations"]).ok();
    let file = format!("migrations/shop/{}.toml", p.names("shop")[1]);
    (p, file)
}

#[test]
fn json_output_is_one_versioned_document() {
    let (p, file) = with_drop_column();
    let out = check(&p, &["--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["count"], 1);
    let f = &doc["findings"][0];
    assert_eq!(f["rule"], "TP002");
    assert_eq!(f["name"], "drop-column");
    assert_eq!(f["file"], file.as_str());
    let text = std::fs::read_to_string(p.root().join(&file)).unwrap();
    assert_eq!(f["line"].as_u64(), Some(line_of(&text, "[[operations]]") as u64));
    assert_eq!(f["migration"], format!("shop/{}", p.names("shop")[1]));
    assert_eq!(f["operation"], "1: Remove field pages from Book");
    assert!(f["message"].as_str().unwrap().starts_with("shop_book.pages: "));
    assert!(f["fix"].is_string());
    assert_eq!(f["online_safe"], false);
    // fields that do not apply are left out
    edit(&p, SUM, |t| t.lines().filter(|l| !l.contains("0002")).map(|l| format!("{l}\n")).collect());
    let doc: serde_json::Value = serde_json::from_str(&check(&p, &["--format", "json"]).stdout).unwrap();
    let unlisted = doc["findings"].as_array().unwrap().iter().find(|f| f["name"] == "unlisted-migration").expect("unlisted");
    assert!(unlisted.get("line").is_none() && unlisted.get("online_safe").is_none(), "{unlisted}");
    // clean: version 1, no findings
    let p = project();
    let doc: serde_json::Value = serde_json::from_str(check(&p, &["--format", "json"]).ok()).unwrap();
    assert_eq!((doc["version"].clone(), doc["count"].clone()), (1.into(), 0.into()));
}

#[test]
fn github_output_is_workflow_commands() {
    let (p, file) = with_drop_column();
    let out = check(&p, &["--format", "github"]);
    assert_eq!(out.code, 1, "{out}");
    let text = std::fs::read_to_string(p.root().join(&file)).unwrap();
    let head = format!("::error file={file},line={},title=TP002 drop-column::shop_book.pages: ", line_of(&text, "[[operations]]"));
    assert_eq!(out.stdout.lines().count(), 1, "{out}");
    assert!(out.stdout.starts_with(&head) && out.stdout.contains(" Fix: deploy code"), "{out}");
}

#[test]
fn text_output_has_no_colour_when_piped_or_no_color() {
    let (p, file) = with_drop_column();
    let out = check(&p, &[]);
    finds(
        &out,
        &[
            &format!("{file}:"),
            "TP002 drop-column: shop_book.pages",
            "  operation 1: Remove field pages from Book",
            "  fix: ",
            "1 finding(s)",
        ],
    );
    assert!(!out.stdout.contains('\x1b'), "{out}");
    let out =
        std::process::Command::new(common::cli::teapot_bin()).arg("check").current_dir(p.root()).env("NO_COLOR", "1").output().unwrap();
    assert!(!out.stdout.contains(&0x1b) && !out.stdout.is_empty());
    // --online does not hide a rule --online does not make safe
    finds(&check(&p, &["--online"]), &["TP002"]);
}

#[test]
fn malformed_config_exits_2() {
    let p = project();
    std::fs::write(p.root().join("teapot.toml"), "[apps.shop\nmodels = 3\n").unwrap();
    let out = check(&p, &[]);
    assert!(out.fails_with(2).contains("teapot.toml"), "{out}");
    check(&project(), &["--no-such-flag"]).fails_with(2);
}

// With a database.

fn with_db(p: &Project, db: &TestDb, args: &[&str]) -> Out {
    let mut all = vec!["check", "--database-url", &db.url];
    all.extend(args);
    teapot(p.root(), &all)
}

async fn edited_applied_migration(db: TestDb) {
    let p = project();
    teapot(p.root(), &["migrate", "--database-url", &db.url]).ok();
    with_db(&p, &db, &[]).ok();
    edit(&p, INITIAL, |t| format!("{t}# edited after it was applied\n"));
    check(&p, &["--update-sums"]).ok();
    finds(&with_db(&p, &db, &[]), &[&format!("{INITIAL}: integrity edited-applied-migration")]);
}

async fn drift_names_each_difference(db: TestDb) {
    let p = project();
    teapot(p.root(), &["migrate", "--database-url", &db.url]).ok();
    assert!(with_db(&p, &db, &[]).ok().contains("no findings"));
    db.exec("ALTER TABLE shop_book ADD COLUMN extra integer").await;
    let out = with_db(&p, &db, &[]);
    finds(&out, &["drift schema-drift", "shop_book: column extra: the migrations have nothing; the database has integer NULL"]);
    db.exec("CREATE INDEX book_title_hand ON shop_book (title)").await;
    let out = with_db(&p, &db, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    // One finding per difference, each naming its table and object.
    let msgs: Vec<String> = doc["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap().to_string()).collect();
    assert_eq!(msgs.len(), 2, "{msgs:#?}");
    assert!(
        msgs.iter().any(|m| m.contains("shop_book: index book_title_hand: the migrations have nothing; the database has")),
        "{msgs:#?}"
    );
    assert!(msgs.iter().any(|m| m.contains("shop_book: column extra:")), "{msgs:#?}");
    // A table no model declares is compared only when asked.
    db.exec("CREATE TABLE hand_made (id integer)").await;
    let plain = with_db(&p, &db, &["--format", "json"]);
    let n = serde_json::from_str::<serde_json::Value>(&plain.stdout).unwrap()["findings"].as_array().unwrap().len();
    assert_eq!(n, 2);
    let asked = with_db(&p, &db, &["--undeclared-tables"]);
    assert!(asked.stdout.contains("hand_made"), "{}", asked.stdout);
}

macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::TestDb::sqlite()).await
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::TestDb::postgres().await).await
            })*
        }
    };
}

on_both_backends!(edited_applied_migration, drift_names_each_difference);
