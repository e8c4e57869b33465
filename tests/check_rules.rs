//! The safety lint of `teapot check`: for every rule TP001..TP017 a migration file that breaks it
//! and its safe version, in a real temp project (0001_initial made by makemigrations, then a
//! hand-written 0002), checked through `teapot::migrate::check::run_offline` and `teapot::migrate::check::lint`.

mod common;

use common::Project;
use teapot::migrate::check::{lint, run_offline, CheckOptions, Finding};
use teapot::migrate::loader::load_graph;

const SHOP: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
pub struct Author {
    pub id: i64,
    pub name: String,
}

#[derive(Model)]
pub struct Book {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub title: String,
    pub pages: Option<i32>,
    pub legacy_code: String,
}
"#;

const M2: &str = "shop/0002_change";

fn project() -> Project {
    let p = Project::new(&[("shop", SHOP)]);
    p.make();
    p
}

/// Writes `shop/0002_change` with these `[[operations]]` and returns the lint findings in it.
fn check_with(p: &Project, ops: &str, online: bool) -> Vec<Finding> {
    p.write_migration("shop", "0002_change", &format!("dependencies = [\"shop/0001_initial\"]\n{ops}"));
    let opts = CheckOptions { online, ..CheckOptions::default() };
    let all = run_offline(&p.config, &opts, None).expect("check runs");
    all.into_iter().filter(|f| f.migration.as_deref() == Some(M2)).collect()
}

fn rules_of(p: &Project, ops: &str, online: bool) -> Vec<String> {
    check_with(p, ops, online).into_iter().map(|f| f.rule).collect()
}

/// `ops` breaks exactly `rule`; `safe` breaks nothing.
fn case(rule: &str, ops: &str, safe: &str) {
    let p = project();
    assert_eq!(rules_of(&p, ops, false), vec![rule.to_string()], "{rule} expected for\n{ops}");
    assert_eq!(rules_of(&p, safe, false), Vec::<String>::new(), "no finding expected for\n{safe}");
}

fn allowed(ops: &str, rule: &str) -> String {
    format!("{ops}allow = [\"{rule}\"]\nallow_reason = \"reviewed: no deployed release reads it\"\n")
}

#[test]
fn tp001_not_null_without_default() {
    let add = |field: &str| format!("\n[[operations]]\nop = \"add_field\"\nmodel = \"Book\"\nname = \"stock\"\nfield = {field}\n");
    case("TP001", &add("{ type = \"integer\" }"), &add("{ type = \"integer\", default = 0 }"));
    case("TP001", &add("{ type = \"integer\" }"), &add("{ type = \"integer\", null = true }"));
}

const REMOVE_LEGACY: &str = "\n[[operations]]\nop = \"remove_field\"\nmodel = \"Book\"\nname = \"legacy_code\"\n";

#[test]
fn tp002_drop_column_and_allow_with_reason() {
    case("TP002", REMOVE_LEGACY, &allowed(REMOVE_LEGACY, "TP002"));
    // by name as well as by id
    case("TP002", REMOVE_LEGACY, &allowed(REMOVE_LEGACY, "drop-column"));
}

#[test]
fn allow_without_reason_is_a_finding() {
    let p = project();
    let ops = format!("{REMOVE_LEGACY}allow = [\"TP002\"]\n");
    let f = check_with(&p, &ops, false);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].rule, "TP002");
    assert!(f[0].message.contains("allow_reason"), "{f:#?}");
    assert_eq!(f[0].file.as_deref(), Some("migrations/shop/0002_change.toml"));
    assert_eq!(f[0].line, Some(3));
    assert!(f[0].operation.as_deref().is_some_and(|o| o.contains("legacy_code")), "{f:#?}");
    assert!(f[0].fix.as_deref().is_some_and(|x| x.contains("allow_reason")), "{f:#?}");
    // an empty reason is no reason
    let f = check_with(&p, &format!("{ops}allow_reason = \"  \"\n"), false);
    assert_eq!(f.len(), 1, "{f:#?}");
    // allowing another rule does not silence this one
    let f = check_with(&p, &allowed(REMOVE_LEGACY, "TP003"), false);
    assert_eq!(f.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), ["TP002"]);
}

#[test]
fn finding_names_rule_file_line_operation_reason_and_fix() {
    let p = project();
    let ops = format!("\n# a comment\n[[operations]]\nop = \"run_sql\"\nsql = \"COMMENT ON TABLE shop_book IS 'books'\"\n{REMOVE_LEGACY}");
    let f = check_with(&p, &ops, false);
    assert_eq!(f.len(), 1, "{f:#?}");
    let f = &f[0];
    assert_eq!((f.rule.as_str(), f.name.as_str()), ("TP002", "drop-column"));
    assert_eq!(f.file.as_deref(), Some("migrations/shop/0002_change.toml"));
    let text = std::fs::read_to_string(p.migrations_dir("shop").join("0002_change.toml")).unwrap();
    assert_eq!(text.lines().nth(f.line.unwrap() - 1), Some("[[operations]]"));
    assert_eq!(f.line, Some(8));
    assert_eq!(f.operation.as_deref(), Some("2: Remove field legacy_code from Book"));
    assert!(f.message.contains("shop_book.legacy_code") && f.message.contains("still reads the column"), "{}", f.message);
    assert!(f.fix.as_deref().unwrap().contains("deploy code that no longer uses the field first"));
    assert_eq!(f.online_safe, Some(false));
}

#[test]
fn tp003_drop_table() {
    let del = "\n[[operations]]\nop = \"delete_model\"\nname = \"Author\"\n";
    case("TP003", del, &allowed(del, "TP003"));
}

#[test]
fn tp004_rename_column() {
    let rename = "\n[[operations]]\nop = \"rename_field\"\nmodel = \"Book\"\nold_name = \"title\"\nnew_name = \"heading\"\n";
    // the safe way: keep the column with db_column, then rename only the field
    let keep = format!(
        "\n[[operations]]\nop = \"alter_field\"\nmodel = \"Book\"\nname = \"title\"\nfield = {{ type = \"string\", max_length = 100, db_column = \"title\" }}\n{rename}"
    );
    case("TP004", rename, &keep);
}

#[test]
fn tp005_rename_table() {
    let rename = "\n[[operations]]\nop = \"rename_model\"\nold_name = \"Author\"\nnew_name = \"Writer\"\n";
    // the safe way: pin the table name first (no rename in the database), then rename the model
    let keep = format!("\n[[operations]]\nop = \"alter_model_table\"\nname = \"Author\"\ntable = \"shop_author\"\n{rename}");
    case("TP005", rename, &keep);
    // as makemigrations writes a rename with `#[teapot(table = "shop_author")]`: renamed, then back
    let back = format!("{rename}\n[[operations]]\nop = \"alter_model_table\"\nname = \"Writer\"\ntable = \"shop_author\"\n");
    case("TP005", rename, &back);
    let p = project();
    let moved = "\n[[operations]]\nop = \"alter_model_table\"\nname = \"Author\"\ntable = \"writers\"\n";
    assert_eq!(rules_of(&p, moved, false), ["TP005"]);
}

#[test]
fn tp006_type_rewrite() {
    let alter = |field: &str| format!("\n[[operations]]\nop = \"alter_field\"\nmodel = \"Book\"\nname = \"title\"\nfield = {field}\n");
    // varchar(100) -> varchar(200) is binary compatible; -> integer rewrites the table
    case("TP006", &alter("{ type = \"integer\" }"), &alter("{ type = \"string\", max_length = 200 }"));
}

const ADD_INDEX: &str =
    "\n[[operations]]\nop = \"add_index\"\nmodel = \"Book\"\nindex = { name = \"book_title_idx\", fields = [\"title\"] }\n";

#[test]
fn tp007_blocking_index() {
    let p = project();
    assert_eq!(rules_of(&p, ADD_INDEX, false), ["TP007"]);
    assert_eq!(rules_of(&p, ADD_INDEX, true), Vec::<String>::new(), "--online builds it CONCURRENTLY");
    // on a table created earlier in the same migration: it is empty
    let fresh = "\n[[operations]]\nop = \"create_model\"\nname = \"Shelf\"\nfields = [\n    { name = \"id\", type = \"bigint\", primary_key = true, auto = true },\n    { name = \"label\", type = \"string\" },\n]\n\n[[operations]]\nop = \"add_index\"\nmodel = \"Shelf\"\nindex = { name = \"shelf_label_idx\", fields = [\"label\"] }\n";
    assert_eq!(rules_of(&p, fresh, false), Vec::<String>::new());
    // and through run_sql: CONCURRENTLY, in a migration that is not atomic, is the safe version
    let sql = |s: &str| format!("\n[[operations]]\nop = \"run_sql\"\nsql = \"{s}\"\n");
    case(
        "TP007",
        &sql("CREATE INDEX book_t ON shop_book (title)"),
        &format!("\natomic = false{}", sql("CREATE INDEX CONCURRENTLY book_t ON shop_book (title)")),
    );
}

#[test]
fn tp008_validating_constraint() {
    let p = project();
    let fk = "\n[[operations]]\nop = \"add_field\"\nmodel = \"Book\"\nname = \"author\"\nfield = { type = \"foreign_key\", to = \"shop.Author\", on_delete = \"cascade\", null = true }\n";
    let rules = rules_of(&p, fk, false);
    assert!(rules.contains(&"TP008".to_string()), "{rules:?}");
    assert_eq!(rules_of(&p, fk, true), Vec::<String>::new());
    let check = "\n[[operations]]\nop = \"add_constraint\"\nmodel = \"Book\"\nconstraint = { name = \"pages_gte_0\", kind = \"check\", check = \"pages >= 0\" }\n";
    assert_eq!(rules_of(&p, check, false), ["TP008"]);
    assert_eq!(rules_of(&p, check, true), Vec::<String>::new());
    let sql = |s: &str| format!("\n[[operations]]\nop = \"run_sql\"\nsql = \"{s}\"\n");
    let add = "ALTER TABLE shop_book ADD CONSTRAINT p CHECK (pages >= 0)";
    case("TP008", &sql(add), &sql(&format!("{add} NOT VALID")));
}

#[test]
fn tp009_set_not_null() {
    let p = project();
    let alter = "\n[[operations]]\nop = \"alter_field\"\nmodel = \"Book\"\nname = \"pages\"\nfield = { type = \"integer\", default = 0 }\n";
    assert_eq!(rules_of(&p, alter, false), ["TP009"]);
    assert_eq!(rules_of(&p, alter, true), Vec::<String>::new());
}

#[test]
fn tp010_volatile_default() {
    let p = project();
    let add = |d: &str| {
        format!("\n[[operations]]\nop = \"add_field\"\nmodel = \"Book\"\nname = \"added_at\"\nfield = {{ type = \"datetime\", db_default = \"{d}\" }}\n")
    };
    assert_eq!(rules_of(&p, &add("clock_timestamp()"), false), ["TP010"]);
    assert_eq!(rules_of(&p, &add("clock_timestamp()"), true), Vec::<String>::new());
    assert_eq!(rules_of(&p, &add("'2024-01-01 00:00:00'"), false), Vec::<String>::new());
    // A NOT NULL field filled by its callable default is no TP001; a uuid per row, and a stored
    // generated column, rewrite the table.
    let field = |f: &str| format!("\n[[operations]]\nop = \"add_field\"\nmodel = \"Book\"\nname = \"added\"\nfield = {{ {f} }}\n");
    assert_eq!(rules_of(&p, &field("type = \"uuid\", default_fn = \"uuid4\""), false), ["TP010"]);
    assert_eq!(rules_of(&p, &field("type = \"datetime\", default_fn = \"now\""), false), Vec::<String>::new());
    assert_eq!(rules_of(&p, &field("type = \"integer\", null = true, generated = '(\"pages\" * 2)'"), false), ["TP010"]);
}

#[test]
fn tp011_integer_primary_key() {
    let create = |ty: &str| {
        format!("\n[[operations]]\nop = \"create_model\"\nname = \"Shelf\"\nfields = [\n    {{ name = \"id\", type = \"{ty}\", primary_key = true, auto = true }},\n]\n")
    };
    case("TP011", &create("integer"), &create("bigint"));
}

#[test]
fn tp012_run_sql_review() {
    let sql = |s: &str| format!("\n[[operations]]\nop = \"run_sql\"\nsql = \"{s}\"\n");
    case("TP012", &sql("VACUUM FULL shop_book"), &sql("COMMENT ON TABLE shop_book IS 'books'"));
    case("TP012", &sql("VACUUM FULL shop_book"), &allowed(&sql("VACUUM FULL shop_book"), "TP012"));
}

#[test]
fn tp013_unbatched_data_change() {
    let update = "\n[[operations]]\nop = \"run_sql\"\nsql = \"UPDATE shop_book SET pages = 0 WHERE pages IS NULL\"\n";
    let backfill = |n: u32| {
        format!("\n[[operations]]\nop = \"backfill\"\nmodel = \"Book\"\nset = \"pages = 0\"\nwhere = \"pages IS NULL\"\nbatch_size = {n}\n")
    };
    case("TP013", update, &backfill(1000));
    case("TP013", &backfill(500_000), &backfill(100_000));
}

#[test]
fn tp014_concurrently_in_an_atomic_migration() {
    let sql =
        |s: &str| format!("\n[[operations]]\nop = \"run_sql\"\nsql = \"{s}\"\nreverse_sql = \"DROP INDEX CONCURRENTLY book_pages\"\n");
    let build = sql("CREATE INDEX CONCURRENTLY book_pages ON shop_book (pages)");
    case("TP014", &build, &format!("\natomic = false{build}"));
}

#[test]
fn lint_only_what_is_included() {
    // `lint` directly: the initial migration is excluded as if applied; TP011 in it is not reported
    let p = Project::new(&[("shop", "use teapot::prelude::*;\n#[derive(Model)]\npub struct Tag {\n    pub id: i32,\n}\n")]);
    p.make();
    let graph = load_graph(&p.config).unwrap();
    let all = lint(&p.config, &graph, &|_| true, false).unwrap();
    assert_eq!(all.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), ["TP011"]);
    assert_eq!(all[0].line, Some(4));
    assert!(lint(&p.config, &graph, &|m| m.name != "0001_initial", false).unwrap().is_empty());
}

#[test]
fn run_sql_is_split_past_comments_and_dollar_quotes() {
    let p = project();
    let sql = |s: &str| format!("\n[[operations]]\nop = \"run_sql\"\nsql = '''\n{s}\n'''\n");
    // an apostrophe in a comment does not hide the statements after it
    let hidden = "-- don't lock the table\nCREATE INDEX CONCURRENTLY book_t ON shop_book (title);\nUPDATE shop_book SET pages = 0;";
    // (TP014: the CONCURRENTLY build is in an atomic migration)
    assert_eq!(rules_of(&p, &sql(hidden), false), ["TP013", "TP014"]);
    let hidden = "/* it's safe */ COMMENT ON TABLE shop_book IS 'a;b'; DROP TABLE shop_author;";
    assert_eq!(rules_of(&p, &sql(hidden), false), ["TP003"]);
    // a function body in tagged dollar quotes is one statement
    let body = "CREATE FUNCTION touch() RETURNS trigger AS $fn$ BEGIN NEW.pages := 0; RETURN NEW; END $fn$ LANGUAGE plpgsql;";
    assert_eq!(rules_of(&p, &sql(body), false), Vec::<String>::new());
    // CHECK( without a space, and a unique constraint (an index built under the lock)
    assert_eq!(rules_of(&p, &sql("ALTER TABLE shop_book ADD CONSTRAINT p CHECK(pages >= 0)"), false), ["TP008"]);
    assert_eq!(rules_of(&p, &sql("ALTER TABLE shop_book ADD CONSTRAINT u UNIQUE (title)"), false), ["TP007"]);
    assert_eq!(rules_of(&p, &sql("ALTER TABLE shop_book ADD CONSTRAINT u UNIQUE USING INDEX book_t"), false), Vec::<String>::new());
    assert_eq!(rules_of(&p, &sql("ALTER TABLE shop_book ADD COLUMN unique_code text"), false), Vec::<String>::new());
    // `--` inside a string is no comment
    assert_eq!(rules_of(&p, &sql("COMMENT ON TABLE shop_book IS 'a -- b'; UPDATE shop_book SET pages = 1"), false), ["TP013"]);
}

/// A shop whose Book has an indexed field and a named index, for the rules about dropping them.
const INDEXED: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(index(fields = ["pages"], name = "book_pages_idx"))]
pub struct Book {
    pub id: i64,
    #[teapot(max_length = 100, db_index)]
    pub title: String,
    pub pages: Option<i32>,
}
"#;

fn sql_op(s: &str) -> String {
    format!("\n[[operations]]\nop = \"run_sql\"\nsql = \"{s}\"\n")
}

#[test]
fn tp015_drop_index_without_concurrently() {
    let p = Project::new(&[("shop", INDEXED)]);
    p.make();
    let remove = "\n[[operations]]\nop = \"remove_index\"\nmodel = \"Book\"\nname = \"book_pages_idx\"\n";
    let f = check_with(&p, remove, false);
    assert_eq!(f.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), ["TP015"], "{f:#?}");
    assert!(f[0].message.contains("book_pages_idx on shop_book"), "{f:#?}");
    assert!(f[0].fix.as_deref().is_some_and(|x| x.contains("DROP INDEX CONCURRENTLY")), "{f:#?}");
    assert!(f[0].message.contains("plain migrate") && f[0].message.contains("--online drops it CONCURRENTLY"), "{f:#?}");
    assert_eq!(f[0].online_safe, Some(true), "--online drops it concurrently: the finding says so");
    assert_eq!(rules_of(&p, remove, true), Vec::<String>::new(), "--online drops it CONCURRENTLY");
    // a field that loses db_index drops its index and its varchar_pattern_ops (_like) index
    let unindex =
        "\n[[operations]]\nop = \"alter_field\"\nmodel = \"Book\"\nname = \"title\"\nfield = { type = \"string\", max_length = 100 }\n";
    assert_eq!(rules_of(&p, unindex, false), ["TP015", "TP015"]);
    assert_eq!(rules_of(&p, unindex, true), Vec::<String>::new());
    // in run_sql: --online runs the SQL as written, so it does not make it safe
    let drop = sql_op("DROP INDEX book_pages_idx");
    assert_eq!(rules_of(&p, &drop, false), ["TP015"]);
    assert_eq!(rules_of(&p, &drop, true), ["TP015"]);
    // the safe way: CONCURRENTLY in a migration that is not atomic
    assert_eq!(rules_of(&p, &format!("\natomic = false{}", sql_op("DROP INDEX CONCURRENTLY book_pages_idx")), false), Vec::<String>::new());
    // and TP014 when it is atomic
    assert_eq!(rules_of(&p, &sql_op("DROP INDEX CONCURRENTLY book_pages_idx"), false), ["TP014"]);
}

#[test]
fn run_sql_findings_are_not_made_safe_by_online() {
    let p = project();
    for sql in [
        "CREATE INDEX book_t ON shop_book (title)",
        "ALTER TABLE shop_book ADD CONSTRAINT p CHECK (pages >= 0)",
        "ALTER TABLE shop_book ALTER COLUMN pages SET NOT NULL",
        "ALTER TABLE shop_book ADD COLUMN u uuid DEFAULT gen_random_uuid()",
    ] {
        let f = check_with(&p, &sql_op(sql), true);
        assert_eq!(f.len(), 1, "{sql}: {f:#?}");
        assert_eq!(f[0].online_safe, Some(false), "{sql}");
    }
}

#[test]
fn tp016_add_column_that_rewrites_the_table() {
    for sql in [
        "ALTER TABLE shop_book ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY",
        "ALTER TABLE shop_book ADD COLUMN seq bigint GENERATED BY DEFAULT AS IDENTITY",
        "ALTER TABLE shop_book ADD COLUMN double_pages integer GENERATED ALWAYS AS (pages * 2) STORED",
        "ALTER TABLE shop_book ADD COLUMN seq serial",
        "ALTER TABLE shop_book ADD COLUMN seq bigserial",
        "ALTER TABLE shop_book ADD COLUMN seq smallserial NOT NULL",
    ] {
        // the safe way: a plain nullable column, then a batched backfill
        let safe = format!(
            "{}\n[[operations]]\nop = \"backfill\"\nmodel = \"Book\"\nset = \"seq = id\"\nwhere = \"seq IS NULL\"\nbatch_size = 1000\n",
            sql_op("ALTER TABLE shop_book ADD COLUMN seq bigint")
        );
        case("TP016", &sql_op(sql), &safe);
        let p = project();
        assert_eq!(rules_of(&p, &sql_op(sql), true), ["TP016"], "{sql}: --online runs run_sql as written");
    }
}

#[test]
fn tp017_timestamp_without_time_zone() {
    let add = |ty: &str| {
        format!("\n[[operations]]\nop = \"add_field\"\nmodel = \"Book\"\nname = \"read_at\"\nfield = {{ type = \"{ty}\", null = true }}\n")
    };
    case("TP017", &add("naive_datetime"), &add("datetime"));
    let p = project();
    assert_eq!(rules_of(&p, &add("naive_datetime"), true), ["TP017"], "latent: --online changes nothing");
    // a new model with one, and a field changed to one
    let create = |ty: &str| {
        format!("\n[[operations]]\nop = \"create_model\"\nname = \"Visit\"\nfields = [\n    {{ name = \"id\", type = \"bigint\", primary_key = true, auto = true }},\n    {{ name = \"at\", type = \"{ty}\" }},\n]\n")
    };
    case("TP017", &create("naive_datetime"), &create("datetime"));
    // in run_sql
    case(
        "TP017",
        &sql_op("CREATE TABLE shop_visit (id bigint PRIMARY KEY, at timestamp NOT NULL)"),
        &sql_op("CREATE TABLE shop_visit (id bigint PRIMARY KEY, at timestamptz NOT NULL)"),
    );
    // allowed on purpose (a wall-clock time), with a reason
    assert_eq!(rules_of(&p, &allowed(&add("naive_datetime"), "TP017"), false), Vec::<String>::new());
}

#[test]
fn safe_changes_stay_silent() {
    let p = project();
    let alter = |field: &str| format!("\n[[operations]]\nop = \"alter_field\"\nmodel = \"Book\"\nname = \"{field}\n");
    for ops in [
        // varchar(100) -> varchar(200), varchar -> text: metadata only (no rewrite)
        alter("title\"\nfield = { type = \"string\", max_length = 200 }"),
        alter("title\"\nfield = { type = \"string\" }"),
        // dropping NOT NULL
        alter("legacy_code\"\nfield = { type = \"string\", null = true }"),
        // a nullable column, a column with a constant default, one with now()
        "\n[[operations]]\nop = \"add_field\"\nmodel = \"Book\"\nname = \"isbn\"\nfield = { type = \"string\", max_length = 13, null = true }\n".into(),
        "\n[[operations]]\nop = \"add_field\"\nmodel = \"Book\"\nname = \"stock\"\nfield = { type = \"integer\", default = 0 }\n".into(),
        "\n[[operations]]\nop = \"add_field\"\nmodel = \"Book\"\nname = \"added\"\nfield = { type = \"datetime\", db_default = \"now()\" }\n".into(),
        sql_op("ALTER TABLE shop_book ADD COLUMN added timestamptz NOT NULL DEFAULT now()"),
        sql_op("ALTER TABLE shop_book ALTER COLUMN legacy_code DROP NOT NULL"),
        // the same in run_sql: the column's type before it is known from the migrations
        sql_op("ALTER TABLE shop_book ALTER COLUMN title TYPE varchar(200)"),
        sql_op("ALTER TABLE \\\"shop_book\\\" ALTER title SET DATA TYPE character varying(100)"),
        sql_op("ALTER TABLE shop_book ALTER COLUMN title TYPE text"),
        sql_op("ALTER TABLE shop_book ALTER COLUMN legacy_code TYPE text"),
        format!("\natomic = false{}", sql_op("CREATE INDEX CONCURRENTLY book_t ON shop_book (title)")),
    ] {
        assert_eq!(rules_of(&p, &ops, false), Vec::<String>::new(), "no finding expected for\n{ops}");
    }
}

#[test]
fn what_stays_flagged() {
    let p = project();
    // an unbatched UPDATE, even with a WHERE
    assert_eq!(rules_of(&p, &sql_op("UPDATE shop_book SET pages = 0 WHERE pages IS NULL"), true), ["TP013"]);
    // disabling triggers (foreign keys are triggers) is for review
    assert_eq!(rules_of(&p, &sql_op("ALTER TABLE shop_book DISABLE TRIGGER ALL"), false), ["TP012"]);
    // a retype through run_sql
    assert_eq!(rules_of(&p, &sql_op("ALTER TABLE shop_book ALTER COLUMN pages TYPE bigint"), false), ["TP006"]);
    // a narrower varchar checks every row; a USING rewrites; a column teapot does not know is a rewrite to it
    for retype in ["title TYPE varchar(50)", "title TYPE text USING upper(title)", "legacy_code TYPE varchar(10)", "nope TYPE text"] {
        assert_eq!(rules_of(&p, &sql_op(&format!("ALTER TABLE shop_book ALTER COLUMN {retype}")), false), ["TP006"], "{retype}");
    }
}

// [check] in teapot.toml: the baseline and the findings allowed without editing a migration.

/// 0002 drops a column (TP002, as if applied after review), 0003 deletes a model (TP003, new);
/// `extra` is appended to teapot.toml. Returns the config read from it, or its error.
fn with_toml(p: &Project, extra: &str) -> teapot::Result<teapot::migrate::config::Config> {
    let path = p.root().join("teapot.toml");
    std::fs::write(&path, format!("[apps.shop]\nmodels = [\"models/shop.rs\"]\n{extra}")).unwrap();
    teapot::migrate::config::Config::load(Some(&path))
}

fn two_migrations() -> Project {
    let p = project();
    p.write_migration("shop", "0002_change", &format!("dependencies = [\"shop/0001_initial\"]\n{REMOVE_LEGACY}"));
    p.write_migration(
        "shop",
        "0003_more",
        "dependencies = [\"shop/0002_change\"]\n\n[[operations]]\nop = \"delete_model\"\nname = \"Author\"\n",
    );
    p
}

fn found(config: &teapot::migrate::config::Config, all: bool) -> Vec<(String, Option<String>)> {
    let opts = CheckOptions { all, ..CheckOptions::default() };
    run_offline(config, &opts, None)
        .expect("check runs")
        .into_iter()
        .filter(|f| f.rule.starts_with("TP") || f.rule == "config")
        .map(|f| (f.rule, f.migration))
        .collect()
}

fn tp(rule: &str, m: &str) -> (String, Option<String>) {
    (rule.to_string(), Some(m.to_string()))
}

#[test]
fn baseline_since_skips_what_was_reviewed_before_it() {
    let p = two_migrations();
    assert_eq!(found(&with_toml(&p, "").unwrap(), false), [tp("TP002", "shop/0002_change"), tp("TP003", "shop/0003_more")]);
    // lint from 0003 on (by number, or by full name)
    for since in ["0003", "0003_more", "3"] {
        let c = with_toml(&p, &format!("\n[check]\nsince = {{ shop = \"{since}\" }}\n")).unwrap();
        assert_eq!(found(&c, false), [tp("TP003", "shop/0003_more")], "since = {since}");
        // --all lints every migration still
        assert_eq!(found(&c, true).len(), 2);
    }
    // the next migration, not written yet: everything there is was reviewed
    let c = with_toml(&p, "\n[check]\nsince = { shop = \"0004\" }\n").unwrap();
    assert_eq!(found(&c, false), []);
    // a baseline past the next migration is a typo that would hide migrations: a finding in teapot.toml
    let c = with_toml(&p, "\n[check]\nsince = { shop = \"0030\" }\n").unwrap();
    let f = run_offline(&c, &CheckOptions::default(), None).unwrap();
    let f = f.iter().find(|f| f.rule == "config").expect("a config finding");
    assert_eq!((f.name.as_str(), f.file.as_deref(), f.line), ("unknown-baseline", Some("teapot.toml"), Some(5)), "{f:#?}");
    assert!(f.message.contains("0003") && f.fix.as_deref().unwrap().contains("0004"), "{f:#?}");
    // a full name whose number belongs to another migration
    let c = with_toml(&p, "\n[check]\nsince = { shop = \"0003_other\" }\n").unwrap();
    assert!(found(&c, false).iter().any(|(r, _)| r == "config"));
    // an app that is not configured, or no number: teapot.toml is refused, with the line
    let e = with_toml(&p, "\n[check]\nsince = { library = \"0003\" }\n").unwrap_err();
    assert!(e.message.contains("teapot.toml:5: [check] since names app \"library\""), "{e}");
    let e = with_toml(&p, "\n[check]\nsince = { shop = \"latest\" }\n").unwrap_err();
    assert!(e.message.contains("teapot.toml:5:") && e.message.contains("migration number"), "{e}");
}

#[test]
fn allow_in_teapot_toml_without_editing_the_migration() {
    let p = two_migrations();
    let before = std::fs::read(p.migrations_dir("shop").join("0002_change.toml")).unwrap();
    let allow =
        |rules: &str, reason: &str| format!("\n[check.allow]\n\"shop/0002_change\" = {{ rules = [{rules}], reason = \"{reason}\" }}\n");
    let c = with_toml(&p, &allow("\"TP002\"", "no release since 1.4 reads legacy_code")).unwrap();
    assert_eq!(found(&c, false), [tp("TP003", "shop/0003_more")]);
    assert_eq!(c.check.allow["shop/0002_change"].reason, "no release since 1.4 reads legacy_code");
    // by name too; another rule does not silence it
    assert_eq!(found(&with_toml(&p, &allow("\"drop-column\"", "reviewed")).unwrap(), false).len(), 1);
    assert_eq!(found(&with_toml(&p, &allow("\"TP003\"", "reviewed")).unwrap(), false).len(), 2);
    assert_eq!(std::fs::read(p.migrations_dir("shop").join("0002_change.toml")).unwrap(), before);
    // a reason is required, and not blank
    let e = with_toml(&p, "\n[check.allow]\n\"shop/0002_change\" = { rules = [\"TP002\"] }\n").unwrap_err();
    assert!(e.message.contains("teapot.toml:5") && e.message.contains("reason"), "{e}");
    let e = with_toml(&p, &allow("\"TP002\"", " ")).unwrap_err();
    assert!(e.message.contains("teapot.toml:5: [check.allow] \"shop/0002_change\" gives no reason"), "{e}");
    // rules that exist, a migration as app/name, in a configured app
    let e = with_toml(&p, &allow("\"TP099\"", "x")).unwrap_err();
    assert!(e.message.contains("no rule is called TP099") && e.hint.as_deref().unwrap().contains("TP017"), "{e}");
    let e = with_toml(&p, "\n[check.allow]\n\"0002_change\" = { rules = [\"TP002\"], reason = \"x\" }\n").unwrap_err();
    assert!(e.message.contains("is not a migration (app/name)"), "{e}");
    // a migration no file holds: a finding pointing at the line
    let c = with_toml(&p, "\n[check.allow]\n\"shop/0002_chnage\" = { rules = [\"TP002\"], reason = \"x\" }\n").unwrap();
    let f = run_offline(&c, &CheckOptions::default(), None).unwrap();
    let f = f.iter().find(|f| f.rule == "config").expect("a config finding");
    assert_eq!((f.name.as_str(), f.line), ("unknown-allowed-migration", Some(5)), "{f:#?}");
}

#[test]
fn teapot_toml_values_migrate_would_refuse_are_refused_when_read() {
    let p = project();
    let e = with_toml(&p, "\n[online]\nlock_timeout = \"2 seconds\"\n").unwrap_err();
    assert!(e.message.contains("teapot.toml:5: [online] lock_timeout = \"2 seconds\" is not a duration"), "{e}");
    assert!(e.hint.as_deref().unwrap().contains("\"2s\""), "{e}");
    for (key, bad) in [("statement_timeout", "\"soon\""), ("long_transaction", "\"ten seconds\""), ("lock_timeout", "\"0s\"")] {
        let e = with_toml(&p, &format!("\n[online]\n{key} = {bad}\n")).unwrap_err();
        assert!(e.message.contains(&format!("teapot.toml:5: [online] {key}")), "{e}");
    }
    let e = with_toml(&p, "\n[online]\nlock_attempts = 0\n").unwrap_err();
    assert!(e.message.contains("teapot.toml:5: [online] lock_attempts"), "{e}");
    let e = with_toml(&p, "\n[database]\nurl = \"mysql://db/app\"\n").unwrap_err();
    assert!(e.message.contains("teapot.toml:5: [database] url") && e.message.contains("unsupported"), "{e}");
    // what migrate accepts is accepted
    let c = with_toml(&p, "\n[online]\nlock_timeout = \"500ms\"\nstatement_timeout = \"1m\"\nlong_transaction = \"0s\"\n").unwrap();
    assert_eq!((c.online.lock_timeout.as_str(), c.online.statement_timeout.as_str()), ("500ms", "1m"));
}
