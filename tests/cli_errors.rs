//! Bad input to the real `teapot` binary: a database that is down, a malformed teapot.toml, a
//! broken migration file, a declaration the reader does not accept, questions nobody answers.
//! Each gets an exit code, a message that says what and where, and nothing on disk changes.

mod common;

use std::path::Path;

use common::cli::teapot;
use common::db::{applied, TestDb};
use common::Project;

const SHOP: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
pub struct Customer {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub name: String,
}
"#;

/// A shop project with its 0001_initial written.
fn shop() -> Project {
    let p = Project::new(&[("shop", SHOP)]);
    teapot(p.root(), &["makemigrations"]).ok();
    assert_eq!(p.names("shop"), ["0001_initial"]);
    p
}

/// Every file of the project (teapot.toml, models, migrations, teapot.sum) with its bytes.
fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).expect("list").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.push((p.strip_prefix(root).expect("under root").display().to_string(), std::fs::read(&p).expect("read")));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn unreachable_database_says_it_cannot_connect_and_where_the_url_comes_from() {
    let p = shop();
    let before = files(p.root());
    let url = "postgres://postgres:s3cret@127.0.0.1:1/x";
    for cmd in ["migrate", "showmigrations"] {
        let out = teapot(p.root(), &[cmd, "--database-url", url]);
        out.fails_with(1);
        out.says(&[
            "cannot connect to postgres://postgres:***@127.0.0.1:1/x",
            "teapot.toml [database] url",
            "DATABASE_URL",
            "--database-url",
        ]);
        assert!(!out.stderr.contains("s3cret"), "the password is shown\n{out}");
        assert!(!out.stdout.contains("Applying"), "{out}");
    }
    assert_eq!(files(p.root()), before);
}

#[test]
fn missing_teapot_toml_is_a_usage_error_pointing_at_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = teapot(dir.path(), &["makemigrations"]);
    out.fails_with(2);
    out.says(&["cannot read teapot.toml", "--config PATH"]);
}

#[test]
fn malformed_teapot_toml_is_exit_2_naming_file_and_line() {
    let p = shop();
    let cases: [(&str, &[&str]); 2] = [
        ("[apps.shop\nmodels = [\"models/shop.rs\"]\n", &["teapot.toml:1:11: invalid table header"]),
        (
            "[apps.shop]\nmodels = [\"models/shop.rs\"]\ncolour = \"red\"\n",
            &["teapot.toml:3:1: unknown field `colour`", "expected one of `models`, `migrations`"],
        ),
    ];
    for (toml, says) in cases {
        std::fs::write(p.root().join("teapot.toml"), toml).expect("write teapot.toml");
        let before = files(p.root());
        for args in [
            &["makemigrations"][..],
            &["migrate", "--database-url", "sqlite://never.db"],
            &["showmigrations", "--database-url", "sqlite://never.db"],
        ] {
            let out = teapot(p.root(), args);
            out.fails_with(2);
            out.says(says);
        }
        assert_eq!(files(p.root()), before, "a run with a bad teapot.toml changed files");
    }
}

#[test]
fn app_whose_model_file_does_not_exist_is_exit_2() {
    let p = shop();
    std::fs::write(p.root().join("teapot.toml"), "[apps.shop]\nmodels = [\"models/nope.rs\"]\n").expect("write");
    let before = files(p.root());
    for args in [&["makemigrations"][..], &["makemigrations", "--check"]] {
        let out = teapot(p.root(), args);
        out.fails_with(2);
        out.says(&["teapot.toml: [apps.shop] lists models/nope.rs, which does not exist"]);
    }
    assert_eq!(files(p.root()), before);
}

#[tokio::test]
async fn broken_migration_file_is_named_with_its_line_and_nothing_changes() {
    let p = shop();
    let db = TestDb::sqlite();
    teapot(p.root(), &["migrate", "--database-url", &db.url]).ok();
    let head = "dependencies = [\"shop/0001_initial\"]\n\n[[operations]]\n";
    let cases = [
        // An unterminated string.
        (format!("{head}op = \"run_sql\"\nsql = \"SELECT 1\n"), ":5:16: this migration file cannot be read: invalid basic string"),
        (format!("{head}op = \"drop_everything\"\nmodel = \"Customer\"\n"), ":4:6: this migration file cannot be read: unknown variant `drop_everything`"),
        // An unknown key in an operation: the line of the key, not of [[operations]].
        (format!("{head}op = \"run_sql\"\nsql = \"SELECT 1\"\nreverse = \"SELECT 1\"\n"), ":6:1: this migration file cannot be read: unknown field `reverse`"),
        // An unknown key in a field of create_model (it used to be dropped without a word).
        (
            format!("{head}op = \"create_model\"\nname = \"Coupon\"\nfields = [\n    {{ name = \"id\", type = \"bigint\", primary_key = true, auto = true }},\n    {{ name = \"code\", type = \"string\", colour = \"red\" }},\n]\n"),
            ":8:39: this migration file cannot be read: unknown field `colour`",
        ),
    ];
    for (text, says) in cases {
        p.write_migration("shop", "0002_broken", &text);
        let before = files(p.root());
        for args in [&["makemigrations"][..], &["migrate", "--database-url", &db.url], &["showmigrations", "--database-url", &db.url]] {
            let out = teapot(p.root(), args);
            out.fails_with(1);
            out.says(&[&format!("migrations/shop/0002_broken.toml{says}"), "restore it from version control"]);
        }
        assert_eq!(files(p.root()), before, "files changed after:\n{text}");
        assert_eq!(applied(&db.url).await, ["shop/0001_initial"]);
    }
}

/// (what to declare in a model, what the error says)
const UNSUPPORTED: [(&str, &[&str]); 5] = [
    ("    pub qty: u32,\n", &["models/shop.rs:14:14: `u32` has no column type", "expected: i16, i32, i64, bool"]),
    ("    #[teapot(max_length = 10, colour = \"red\")]\n    pub code: String,\n", &["models/shop.rs:14:31: unknown field option `colour`", "expected: primary_key, max_length = N"]),
    ("    #[teapot(on_delete = \"cascade\")]\n    pub owner: ForeignKey<Ghost>,\n", &["models/shop.rs:15:9: field `owner` of Item points at model `Ghost`", "expected: a model declared with #[derive(Model)]"]),
    (
        "    #[teapot(db_column = \"x\")]\n    pub a: i32,\n    #[teapot(db_column = \"x\")]\n    pub b: i32,\n",
        &["models/shop.rs:17:9: fields `a` and `b` of Item both use column \"x\"", "expected: a distinct db_column"],
    ),
    (
        "    #[teapot(on_delete = \"cascade\", related_name = \"things\")]\n    pub a: ForeignKey<Customer>,\n    #[teapot(on_delete = \"cascade\", related_name = \"things\")]\n    pub b: ForeignKey<Customer>,\n",
        &["models/shop.rs:17:9: the reverse accessor `things` on shop.Customer is claimed by both shop.Item.a and shop.Item.b", "expected: #[teapot(related_name = \"...\")] on `b`"],
    ),
];

#[test]
fn unsupported_declaration_is_an_error_at_file_line_column_and_writes_nothing() {
    let p = shop();
    for (fields, says) in UNSUPPORTED {
        // SHOP and a blank line are lines 1-10: Item is declared on 11-12, its id on 13, the fields from 14.
        p.set("shop", &format!("{SHOP}\n#[derive(Model)]\npub struct Item {{\n    pub id: i64,\n{fields}}}\n"));
        let before = files(p.root());
        for args in [&["makemigrations"][..], &["makemigrations", "--check"], &["makemigrations", "--dry-run"]] {
            let out = teapot(p.root(), args);
            out.fails_with(1);
            out.says(says);
        }
        assert_eq!(files(p.root()), before, "files changed for:\n{fields}");
    }
}

#[test]
fn makemigrations_check_exits_1_on_changes_0_without_and_writes_nothing() {
    let p = shop();
    let clean = teapot(p.root(), &["makemigrations", "--check"]);
    assert!(clean.ok().contains("No changes detected"), "{clean}");

    p.set("shop", &SHOP.replace("    pub name: String,\n", "    pub name: String,\n    pub age: Option<i32>,\n"));
    let before = files(p.root());
    let out = teapot(p.root(), &["makemigrations", "--check"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("+ Add field age to Customer"), "{out}");
    assert_eq!(files(p.root()), before, "--check wrote a file");
    assert_eq!(p.names("shop"), ["0001_initial"]);
}

#[test]
fn noinput_with_an_unanswered_rename_lists_the_flags_and_writes_nothing() {
    let p = shop();
    p.set("shop", &SHOP.replace("pub name: String", "pub full_name: String"));
    let before = files(p.root());
    let out = teapot(p.root(), &["makemigrations", "--noinput"]);
    out.fails_with(1);
    out.says(&["--rename shop.Customer.name=full_name", "--no-rename", "--default shop.Customer.full_name=<value>"]);
    assert_eq!(files(p.root()), before);

    // The flag it names answers the question.
    let out = teapot(p.root(), &["makemigrations", "--noinput", "--rename", "shop.Customer.name=full_name"]);
    assert!(out.ok().contains("~ Rename field name on Customer to full_name"), "{out}");
}

#[test]
fn every_subcommand_answers_help_with_exit_0_without_a_project() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (cmd, says) in [
        ("", "makemigrations"),
        ("makemigrations", "--check"),
        ("migrate", "--fake"),
        ("sqlmigrate", "--backwards"),
        ("showmigrations", "--plan"),
    ] {
        let args: Vec<&str> = [cmd, "--help"].into_iter().filter(|a| !a.is_empty()).collect();
        let out = teapot(dir.path(), &args);
        assert!(out.ok().contains(says), "teapot {cmd} --help\n{out}");
    }
}

/// A literal default that does not parse as its field's type is refused where it is declared
/// (it used to become the type's zero value: `default = "now"` on a timestamp stored 1970-01-01),
/// and so is a `--default` answer that does not fit; nothing is written either way.
#[test]
fn defaults_that_do_not_parse_as_their_type_are_refused() {
    let cases = [
        ("pub at: DateTime<Utc>,", r#"default = "now""#, "RFC 3339 timestamp", "db_default = \"CURRENT_TIMESTAMP\""),
        ("pub on: NaiveDate,", r#"default = "31/01/2024""#, "a date, e.g. default = \"2024-01-31\"", ""),
        ("pub key: Uuid,", r#"default = "not-a-uuid""#, "a UUID", "gen_random_uuid()"),
        ("pub doc: serde_json::Value,", r#"default = "{oops""#, "a JSON document", ""),
        ("pub small: i16,", "default = 40000", "-32768 to 32767", ""),
        ("pub price: Decimal,", r#"max_digits = 8, decimal_places = 2, default = "ten""#, "a number", ""),
    ];
    for (field, attr, expected, alternative) in cases {
        let p = shop();
        let src = SHOP.replace("    pub name: String,\n", &format!("    pub name: String,\n    #[teapot({attr})]\n    {field}\n"));
        p.set("shop", &src);
        let before_models = files(p.root());
        let out = teapot(p.root(), &["makemigrations"]);
        out.fails_with(1);
        out.says(&["does not fit field", expected, alternative, "shop.rs:"]);
        assert_eq!(files(p.root()), before_models, "{attr}: nothing written");
    }

    // The one-off value for existing rows is held to the same rule.
    let p = shop();
    p.set("shop", &SHOP.replace("    pub name: String,\n", "    pub name: String,\n    pub seen_at: DateTime<Utc>,\n"));
    let before = files(p.root());
    let out = teapot(p.root(), &["makemigrations", "--noinput", "--default", "shop.Customer.seen_at=now"]);
    out.fails_with(2);
    out.says(&["--default shop.Customer.seen_at=", "not a value of Customer.seen_at (datetime)", "RFC 3339"]);
    assert_eq!(files(p.root()), before, "nothing written");
    let out = teapot(p.root(), &["makemigrations", "--noinput", "--default", "shop.Customer.seen_at=\"2024-01-31T09:30:00Z\""]);
    out.ok();
}

/// Two apps sharing a migrations folder (a copied [apps.X] block) would each read the other's
/// migrations as their own — makemigrations then "deletes" the other app's models. So would a
/// model file listed by two apps. Both are configuration errors, and nothing is written.
#[test]
fn apps_sharing_a_migrations_folder_or_a_model_file_are_refused() {
    let p = Project::new(&[("shop", SHOP), ("crm", &SHOP.replace("Customer", "Lead"))]);
    teapot(p.root(), &["makemigrations"]).ok();
    let toml = p.root().join("teapot.toml");
    let original = std::fs::read_to_string(&toml).expect("read");
    std::fs::write(&toml, original.replace("[apps.crm]\n", "[apps.crm]\nmigrations = \"migrations/./shop\"\n")).expect("write");
    let before = files(p.root());
    for cmd in [&["makemigrations"][..], &["check"], &["showmigrations", "--database-url", "sqlite::memory:"]] {
        let out = teapot(p.root(), cmd);
        out.fails_with(2);
        out.says(&["apps crm and shop share the migrations folder", "a folder of its own"]);
    }
    assert_eq!(files(p.root()), before, "nothing written");

    std::fs::write(&toml, original.replace("models = [\"models/crm.rs\"]", "models = [\"models/crm.rs\", \"models/shop.rs\"]"))
        .expect("write");
    let out = teapot(p.root(), &["makemigrations"]);
    out.fails_with(2);
    out.says(&["models/shop.rs is listed by both", "[apps.crm]", "[apps.shop]"]);
}

/// A history that cannot be replayed stops migrate before anything is applied (the migrations
/// ahead of the broken one included), and no message carries an empty hint.
#[test]
fn migrate_replays_the_whole_plan_before_applying_anything() {
    let p = shop();
    p.write_migration(
        "shop",
        "0002_broken",
        "dependencies = [\"shop/0001_initial\"]\n\n[[operations]]\nop = \"remove_field\"\nmodel = \"Customer\"\nname = \"no_such_field\"\n",
    );
    let db = p.root().join("shop.db");
    let url = format!("sqlite://{}", db.display());
    let out = teapot(p.root(), &["migrate", "--database-url", &url]);
    out.fails_with(1);
    out.says(&["shop/0002_broken", "no_such_field"]);
    assert!(!out.stderr.contains("hint: \n") && !out.stderr.trim_end().ends_with("hint:"), "an empty hint:\n{out}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    assert!(rt.block_on(applied(&url)).is_empty(), "0001 was applied before the broken 0002 was found");
}

/// Values the database would refuse or cut later are refused where they are declared, with the
/// file and the allowed range; nothing is written.
#[test]
fn declarations_the_database_would_refuse_or_cut_are_refused_on_read() {
    let long = "x".repeat(64);
    let cases: Vec<(String, &str)> = vec![
        (
            "    #[teapot(max_digits = 1001, decimal_places = 2)]\n    pub price: Decimal,\n".into(),
            "max_digits = 1001 on Customer.price is out of range: 1 to 1000",
        ),
        ("    #[teapot(max_length = 10485761)]\n    pub code: String,\n".into(), "out of range: 1 to 10485760"),
        ("    #[teapot(primary_key)]\n    pub code: i64,\n".into(), "declares two primary keys"),
        (format!("    #[teapot(db_column = \"{long}\")]\n    pub code: i32,\n"), "PostgreSQL keeps 63"),
    ];
    for (field, expected) in cases {
        let p = shop();
        // (the key is declared too, so that `code` makes a second one)
        let src = SHOP.replace("    pub id: i64,", "    #[teapot(primary_key)]\n    pub id: i64,");
        p.set("shop", &src.replace("    pub name: String,\n", &format!("    pub name: String,\n{field}")));
        let after_set = files(p.root());
        let out = teapot(p.root(), &["makemigrations"]);
        assert_ne!(out.code, 0, "{field}\n{out}");
        out.says(&[expected, "shop.rs:"]);
        assert_eq!(files(p.root()), after_set, "{field}: nothing written");
    }
    // A table in teapot's own namespace, and one index name on two models.
    for (src, expected) in [
        (SHOP.replace("#[derive(Model)]\npub struct Customer", "#[derive(Model)]\n#[teapot(table = \"teapot_migrations\")]\npub struct Customer"), "teapot's own namespace"),
        (
            format!(
                "{}\n#[derive(Model)]\n#[teapot(index(fields = [\"name\"], name = \"by_name\"))]\npub struct Lead {{\n    pub id: i64,\n    pub name: String,\n}}\n",
                SHOP.replace("#[derive(Model)]\npub struct Customer", "#[derive(Model)]\n#[teapot(index(fields = [\"name\"], name = \"by_name\"))]\npub struct Customer")
            ),
            "\"by_name\" of shop.Lead is used by shop.Customer too",
        ),
    ] {
        let p = Project::new(&[("shop", &src)]);
        let out = teapot(p.root(), &["makemigrations"]);
        assert_ne!(out.code, 0, "{out}");
        out.says(&[expected]);
        assert!(p.names("shop").is_empty());
    }
    // --name cannot leave the app's folder.
    let p = shop();
    p.set("shop", &SHOP.replace("    pub name: String,\n", "    pub name: String,\n    pub note: Option<String>,\n"));
    let out = teapot(p.root(), &["makemigrations", "--name", "../../../x"]);
    out.fails_with(2);
    out.says(&["--name \"../../../x\": a migration name is letters, digits and _"]);
}

/// A migration file that would be left out of the history without a word is an error instead: a
/// `.TOML` extension, an empty file.
#[test]
fn migration_files_that_would_be_passed_over_are_errors() {
    for (name, text, expected) in [
        ("0002_more.TOML", "dependencies = [\"shop/0001_initial\"]\n", "end in .toml (lower case)"),
        ("0002_more.toml", "", "the migration file is empty"),
    ] {
        let p = shop();
        std::fs::write(p.migrations_dir("shop").join(name), text).expect("write");
        let out = teapot(p.root(), &["showmigrations", "--database-url", "sqlite::memory:"]);
        out.fails_with(1);
        out.says(&[name, expected]);
    }
}

/// `migrate` into an in-memory SQLite database would report success and keep nothing.
#[test]
fn migrate_refuses_an_in_memory_sqlite_database() {
    let p = shop();
    for url in ["sqlite:", "sqlite::memory:", "sqlite://:memory:", "sqlite://x.db?mode=memory"] {
        let out = teapot(p.root(), &["migrate", "--database-url", url]);
        out.fails_with(2);
        out.says(&["in-memory SQLite database", "gone when teapot exits"]);
    }
}

const BASE: &str = "use teapot::prelude::*;

#[derive(Model)]
#[teapot(abstract)]
pub struct Stamped {
    #[teapot(auto_now_add)]
    pub created: DateTime<Utc>,
    #[teapot(max_length = 100)]
    pub name: String,
}
";

/// Abstract bases, through models and related_query_name that cannot work are refused on read,
/// naming the model, the field and what to write instead; nothing is written. A base declared in
/// another file (here another app's) is found by name.
#[test]
fn bad_bases_through_models_and_query_names_are_refused_on_read() {
    let model = |body: &str| format!("use teapot::prelude::*;\n\n{body}");
    let club = "#[derive(Model)]\npub struct Club {\n    pub id: i64,\n}\n";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            model("#[derive(Model)]\npub struct Post {\n    pub id: i64,\n    #[teapot(flatten)]\n    pub base: Nothing,\n}\n"),
            vec!["shop.rs:", "`Nothing` is not an abstract base", "#[teapot(abstract)]"],
        ),
        (
            model(&format!("{club}\n#[derive(Model)]\npub struct Post {{\n    pub id: i64,\n    #[teapot(flatten)]\n    pub base: Club,\n}}\n")),
            vec!["`Club` is a model, not an abstract base"],
        ),
        (
            model("#[derive(Model)]\npub struct Post {\n    pub id: i64,\n    #[teapot(flatten)]\n    pub base: Stamped,\n    pub name: String,\n}\n"),
            vec!["field `name` of Post comes from base Stamped and from Post"],
        ),
        (
            model(&format!(
                "{club}\n#[derive(Model)]\npub struct Person {{\n    pub id: i64,\n    #[teapot(through = \"Link\")]\n    pub clubs: ManyToMany<Club>,\n}}\n\n#[derive(Model)]\npub struct Link {{\n    pub id: i64,\n    #[teapot(on_delete = \"cascade\")]\n    pub person: ForeignKey<Person>,\n}}\n"
            )),
            vec!["many-to-many `clubs` of Person", "the through model shop.Link has no foreign key to shop.Club"],
        ),
        (
            model(&format!(
                "{club}\n#[derive(Model)]\npub struct Person {{\n    pub id: i64,\n    #[teapot(through = \"Link\")]\n    pub clubs: ManyToMany<Club>,\n}}\n\n#[derive(Model)]\npub struct Link {{\n    pub id: i64,\n    #[teapot(on_delete = \"cascade\", related_name = \"a\")]\n    pub a: ForeignKey<Person>,\n    #[teapot(on_delete = \"cascade\", related_name = \"b\")]\n    pub b: ForeignKey<Person>,\n    #[teapot(on_delete = \"cascade\")]\n    pub club: ForeignKey<Club>,\n}}\n"
            )),
            vec!["several foreign keys to shop.Person (a, b)", "through_fields"],
        ),
        (
            model(&format!(
                "{club}\n#[derive(Model)]\npub struct Post {{\n    pub id: i64,\n    #[teapot(on_delete = \"cascade\", related_query_name = \"in__club\")]\n    pub club: ForeignKey<Club>,\n}}\n"
            )),
            vec!["related_query_name \"in__club\" of `club` cannot be a name in a filter"],
        ),
        (
            "use teapot::prelude::*;\n\n#[derive(Model)]\n#[teapot(abstract, index(fields = [\"x\"], name = \"x_idx\"))]\npub struct Base {\n    pub x: i32,\n}\n".to_string(),
            vec!["abstract base Base declares an index or a constraint"],
        ),
    ];
    for (src, expected) in cases {
        let p = Project::new(&[("core", BASE), ("shop", &src)]);
        let out = teapot(p.root(), &["makemigrations"]);
        assert_ne!(out.code, 0, "{src}\n{out}");
        out.says(&expected);
        assert!(p.names("shop").is_empty() && p.names("core").is_empty(), "nothing written:\n{src}");
    }
    // The base of another file, found by name: its fields are the model's first columns.
    let ok = model(
        "#[derive(Model)]\npub struct Post {\n    pub id: i64,\n    pub body: String,\n    #[teapot(flatten)]\n    pub base: Stamped,\n}\n",
    );
    let p = Project::new(&[("core", BASE), ("shop", &ok)]);
    let out = teapot(p.root(), &["makemigrations"]);
    assert_eq!(out.code, 0, "{out}");
    let made = std::fs::read_to_string(p.migrations_dir("shop").join("0001_initial.toml")).expect("0001");
    let at = |s: &str| made.find(s).unwrap_or_else(|| panic!("{s} in\n{made}"));
    assert!(
        at("name = \"id\"") < at("name = \"created\"")
            && at("name = \"created\"") < at("name = \"name\"")
            && at("name = \"name\"") < at("name = \"body\""),
        "{made}"
    );
}
