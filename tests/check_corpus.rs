//! A corpus of 32 model changes, as the migration files makemigrations (or a hand-written
//! run_sql) gives for them: 21 dangerous on a table with rows under a plain `migrate`, 3 latent
//! (nothing fails today; the schema holds a trap), 8 safe. `teapot check` must catch every
//! dangerous and latent one (with the rule named here) and stay silent on every safe one. The
//! counts are printed (`cargo test --test check_corpus -- --nocapture`).

mod common;

use common::Project;
use teapot::migrate::check::{run_offline, CheckOptions};

const SHOP: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
pub struct Author {
    pub id: i64,
    pub name: String,
}

#[derive(Model)]
#[teapot(index(fields = ["pages"], name = "book_pages_idx"))]
pub struct Book {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub title: String,
    #[teapot(max_length = 20, db_index)]
    pub code: String,
    pub pages: Option<i32>,
    pub legacy_code: String,
}
"#;

#[derive(PartialEq)]
enum Kind {
    Dangerous,
    Latent,
    Safe,
}
use Kind::*;

fn op(body: &str) -> String {
    format!("\n[[operations]]\n{body}\n")
}

fn sql(s: &str) -> String {
    op(&format!("op = \"run_sql\"\nsql = \"{s}\""))
}

fn add(name: &str, field: &str) -> String {
    op(&format!("op = \"add_field\"\nmodel = \"Book\"\nname = \"{name}\"\nfield = {field}"))
}

fn alter(name: &str, field: &str) -> String {
    op(&format!("op = \"alter_field\"\nmodel = \"Book\"\nname = \"{name}\"\nfield = {field}"))
}

fn corpus() -> Vec<(Kind, &'static str, &'static str, String)> {
    vec![
        (Dangerous, "TP001", "add a NOT NULL column without a default", add("stock", "{ type = \"integer\" }")),
        (Dangerous, "TP002", "remove a field", op("op = \"remove_field\"\nmodel = \"Book\"\nname = \"legacy_code\"")),
        (Dangerous, "TP003", "delete a model", op("op = \"delete_model\"\nname = \"Author\"")),
        (Dangerous, "TP004", "rename a field", op("op = \"rename_field\"\nmodel = \"Book\"\nold_name = \"title\"\nnew_name = \"heading\"")),
        (Dangerous, "TP005", "rename a model", op("op = \"rename_model\"\nold_name = \"Author\"\nnew_name = \"Writer\"")),
        (Dangerous, "TP006", "integer to bigint", alter("pages", "{ type = \"bigint\", null = true }")),
        (Dangerous, "TP006", "varchar to integer", alter("title", "{ type = \"integer\" }")),
        (Dangerous, "TP007", "add an index", op("op = \"add_index\"\nmodel = \"Book\"\nindex = { name = \"book_title_idx\", fields = [\"title\"] }")),
        (Dangerous, "TP007", "make a field unique", alter("title", "{ type = \"string\", max_length = 100, unique = true }")),
        (Dangerous, "TP008", "add a foreign key", add("author", "{ type = \"foreign_key\", to = \"shop.Author\", on_delete = \"cascade\", null = true }")),
        (Dangerous, "TP008", "add a check constraint", op("op = \"add_constraint\"\nmodel = \"Book\"\nconstraint = { name = \"pages_gte_0\", kind = \"check\", check = \"pages >= 0\" }")),
        (Dangerous, "TP009", "make a nullable field NOT NULL", alter("pages", "{ type = \"integer\", default = 0 }")),
        (Dangerous, "TP010", "add a column with a volatile default", add("token", "{ type = \"uuid\", db_default = \"gen_random_uuid()\" }")),
        (Dangerous, "TP013", "an unbatched UPDATE in run_sql", sql("UPDATE shop_book SET pages = 0 WHERE pages IS NULL")),
        (Dangerous, "TP012", "DISABLE TRIGGER in run_sql", sql("ALTER TABLE shop_book DISABLE TRIGGER ALL")),
        (Dangerous, "TP015", "remove an index", op("op = \"remove_index\"\nmodel = \"Book\"\nname = \"book_pages_idx\"")),
        (Dangerous, "TP015", "a field loses db_index", alter("code", "{ type = \"string\", max_length = 20 }")),
        (Dangerous, "TP016", "ADD COLUMN ... GENERATED ALWAYS AS IDENTITY", sql("ALTER TABLE shop_book ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY")),
        (Dangerous, "TP016", "a stored generated column", sql("ALTER TABLE shop_book ADD COLUMN double_pages integer GENERATED ALWAYS AS (pages * 2) STORED")),
        (Dangerous, "TP016", "a serial column", sql("ALTER TABLE shop_book ADD COLUMN seq bigserial")),
        (Dangerous, "TP014", "CREATE INDEX CONCURRENTLY in an atomic migration", sql("CREATE INDEX CONCURRENTLY book_t ON shop_book (title)")),
        (Latent, "TP011", "an integer primary key", op("op = \"create_model\"\nname = \"Shelf\"\nfields = [\n    { name = \"id\", type = \"integer\", primary_key = true, auto = true },\n]")),
        (Latent, "TP017", "a NaiveDateTime field", add("read_at", "{ type = \"naive_datetime\", null = true }")),
        (Latent, "TP017", "a timestamp column in run_sql", sql("CREATE TABLE shop_visit (id bigint PRIMARY KEY, at timestamp NOT NULL)")),
        (Safe, "", "widen a varchar", alter("title", "{ type = \"string\", max_length = 200 }")),
        (Safe, "", "varchar to text", alter("title", "{ type = \"string\" }")),
        (Safe, "", "drop NOT NULL", alter("legacy_code", "{ type = \"string\", null = true }")),
        (Safe, "", "add a nullable column", add("isbn", "{ type = \"string\", max_length = 13, null = true }")),
        (Safe, "", "add a column with a constant default", add("stock", "{ type = \"integer\", default = 0 }")),
        (Safe, "", "add a column defaulting to now()", add("added", "{ type = \"datetime\", db_default = \"now()\" }")),
        (Safe, "", "CREATE INDEX CONCURRENTLY, atomic = false", format!("\natomic = false{}", sql("CREATE INDEX CONCURRENTLY book_t ON shop_book (title)"))),
        (
            Safe,
            "",
            "a check added NOT VALID, then validated",
            format!(
                "{}{}",
                sql("ALTER TABLE shop_book ADD CONSTRAINT pages_gte_0 CHECK (pages >= 0) NOT VALID"),
                sql("ALTER TABLE shop_book VALIDATE CONSTRAINT pages_gte_0")
            ),
        ),
    ]
}

#[test]
fn every_dangerous_and_latent_change_caught_no_safe_one_flagged() {
    let p = Project::new(&[("shop", SHOP)]);
    p.make();
    let cases = corpus();
    assert_eq!(cases.len(), 32);
    let (mut caught, mut latent, mut false_positives, mut misses) = (0, 0, 0, Vec::new());
    for (kind, rule, what, ops) in &cases {
        p.write_migration("shop", "0002_change", &format!("dependencies = [\"shop/0001_initial\"]\n{ops}"));
        let found: Vec<String> = run_offline(&p.config, &CheckOptions::default(), None)
            .expect("check runs")
            .into_iter()
            .filter(|f| f.migration.as_deref() == Some("shop/0002_change"))
            .map(|f| f.rule)
            .collect();
        match kind {
            Safe if found.is_empty() => {}
            Safe => {
                false_positives += 1;
                misses.push(format!("safe, flagged {found:?}: {what}"));
            }
            _ if found.iter().any(|r| r == rule) => {
                if *kind == Latent {
                    latent += 1;
                } else {
                    caught += 1;
                }
            }
            _ => misses.push(format!("{rule} expected, found {found:?}: {what}")),
        }
    }
    let count = |k: Kind| cases.iter().filter(|c| c.0 == k).count();
    println!(
        "check corpus: dangerous {caught}/{}, latent {latent}/{}, false positives {false_positives}/{} safe",
        count(Dangerous),
        count(Latent),
        count(Safe)
    );
    assert!(misses.is_empty(), "{misses:#?}");
    assert_eq!((caught, latent, false_positives), (21, 3, 0));
}
