//! The real `teapot` binary on a temp project, against SQLite and PostgreSQL: migrate forwards and
//! backwards, --plan, --fake, sqlmigrate, a migration that fails half way, and raw SQL that cannot
//! be undone. Each scenario checks the exit code, what was printed and the database afterwards.

mod common;

use common::cli::{teapot, Out};
use common::db::{applied, TestDb};
use common::Project;

const SHOP_V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
pub struct Customer {
    pub id: i64,
    #[teapot(max_length = 100)]
    pub name: String,
}
"#;

const ORDER: &str = r#"
#[derive(Model)]
pub struct Order {
    pub id: i64,
    #[teapot(on_delete = "cascade")]
    pub customer: ForeignKey<Customer>,
}
"#;

const CRM: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
pub struct Note {
    pub id: i64,
    pub text: String,
}
"#;

const ALL: [&str; 3] = ["crm/0001_initial", "shop/0001_initial", "shop/0002_order"];

/// A project with two apps: shop (0001_initial: Customer, 0002_order: Order -> Customer) and crm
/// (0001_initial: Note), its migrations made by `teapot makemigrations`.
struct Case {
    p: Project,
    db: TestDb,
}

impl Case {
    fn new(db: TestDb) -> Case {
        let p = Project::new(&[("shop", SHOP_V1), ("crm", CRM)]);
        teapot(p.root(), &["makemigrations"]).ok();
        p.set("shop", &format!("{SHOP_V1}{ORDER}"));
        let out = teapot(p.root(), &["makemigrations"]);
        assert!(out.ok().contains("migrations/shop/0002_order.toml"), "{out}");
        Case { p, db }
    }

    /// `teapot ARGS --database-url <the test database>`.
    fn run(&self, args: &[&str]) -> Out {
        let mut all = args.to_vec();
        all.extend(["--database-url", &self.db.url]);
        teapot(self.p.root(), &all)
    }

    fn sqlite(&self) -> bool {
        self.db.url.starts_with("sqlite:")
    }

    /// The tables in the database, sorted.
    async fn tables(&self) -> Vec<String> {
        let sql = if self.sqlite() {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        } else {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        };
        self.db.column(sql).await.into_iter().flatten().collect()
    }

    async fn applied(&self) -> Vec<String> {
        let mut keys = applied(&self.db.url).await;
        keys.sort();
        keys
    }
}

fn lines_with<'a>(text: &'a str, piece: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(piece)).collect()
}

async fn migrate_applies_everything_and_a_second_run_changes_nothing(db: TestDb) {
    let c = Case::new(db);
    let before = c.run(&["showmigrations"]);
    assert_eq!(lines_with(before.ok(), "[ ]").len(), 3, "{before}");

    let out = c.run(&["migrate"]);
    for key in ["shop.0001_initial", "shop.0002_order", "crm.0001_initial"] {
        assert!(out.ok().contains(&format!("Applying {key}")), "{out}");
    }
    assert_eq!(c.tables().await, ["crm_note", "shop_customer", "shop_order", "teapot_migrations"]);
    assert_eq!(c.applied().await, ALL);

    let shown = c.run(&["showmigrations"]);
    assert_eq!(shown.ok(), "crm\n [X] 0001_initial\nshop\n [X] 0001_initial\n [X] 0002_order\n");

    c.db.exec("INSERT INTO shop_customer (name) VALUES ('Ada')").await;
    let again = c.run(&["migrate"]);
    assert!(again.ok().contains("No migrations to apply."), "{again}");
    assert!(!again.stdout.contains("Applying"), "{again}");
    assert_eq!(c.applied().await, ALL);
    assert_eq!(c.db.column("SELECT name FROM shop_customer").await, [Some("Ada".to_string())]);
}

async fn plan_prints_the_plan_and_changes_nothing(db: TestDb) {
    let c = Case::new(db);
    let out = c.run(&["migrate", "--plan"]);
    let plan = out.ok();
    for piece in [
        "shop.0001_initial\n    Create model Customer",
        "shop.0002_order\n    Create model Order",
        "crm.0001_initial\n    Create model Note",
    ] {
        assert!(plan.contains(piece), "{out}");
    }
    assert!(!plan.contains("Applying"), "{out}");
    assert_eq!(c.tables().await, Vec::<String>::new(), "--plan created tables");

    c.run(&["migrate"]).ok();
    let undo = c.run(&["migrate", "shop", "zero", "--plan"]);
    assert!(undo.ok().contains("shop.0002_order (undo)\n    Create model Order\nshop.0001_initial (undo)"), "{undo}");
    assert!(!undo.stdout.contains("crm."), "{undo}");
    assert_eq!(c.tables().await, ["crm_note", "shop_customer", "shop_order", "teapot_migrations"]);
    assert_eq!(c.applied().await, ALL);
}

async fn migrate_backwards_to_a_migration_and_to_zero_then_forwards_again(db: TestDb) {
    let c = Case::new(db);
    c.run(&["migrate"]).ok();
    c.db.exec("INSERT INTO shop_customer (name) VALUES ('Ada')").await;

    let out = c.run(&["migrate", "shop", "0001"]);
    assert!(out.ok().contains("Unapplying shop.0002_order"), "{out}");
    assert!(!out.stdout.contains("Unapplying shop.0001_initial"), "{out}");
    assert_eq!(c.tables().await, ["crm_note", "shop_customer", "teapot_migrations"]);
    assert_eq!(c.applied().await, ["crm/0001_initial", "shop/0001_initial"]);
    assert_eq!(c.db.column("SELECT name FROM shop_customer").await, [Some("Ada".to_string())]);
    assert!(c.run(&["showmigrations", "shop"]).ok().contains(" [X] 0001_initial\n [ ] 0002_order"));

    let out = c.run(&["migrate", "shop", "zero"]);
    assert!(out.ok().contains("Unapplying shop.0001_initial"), "{out}");
    assert_eq!(c.tables().await, ["crm_note", "teapot_migrations"], "only the shop tables go");
    assert_eq!(c.applied().await, ["crm/0001_initial"]);

    let out = c.run(&["migrate"]);
    assert!(out.ok().contains("Applying shop.0002_order"), "{out}");
    assert_eq!(c.tables().await, ["crm_note", "shop_customer", "shop_order", "teapot_migrations"]);
    assert_eq!(c.applied().await, ALL);
}

async fn fake_records_without_running(db: TestDb) {
    let c = Case::new(db);
    let out = c.run(&["migrate", "shop", "0001", "--fake"]);
    assert!(out.ok().contains("Faking shop.0001_initial"), "{out}");
    assert_eq!(c.tables().await, ["teapot_migrations"], "--fake ran the SQL");
    assert_eq!(c.applied().await, ["shop/0001_initial"]);
    let shown = c.run(&["showmigrations", "shop"]);
    assert_eq!(shown.ok(), "shop\n [X] 0001_initial\n [ ] 0002_order\n");

    let out = c.run(&["migrate", "shop", "zero", "--fake"]);
    assert!(out.ok().contains("Faking undo of shop.0001_initial"), "{out}");
    assert_eq!(c.applied().await, Vec::<String>::new());

    c.run(&["migrate"]).ok();
    assert_eq!(c.tables().await, ["crm_note", "shop_customer", "shop_order", "teapot_migrations"]);
}

const BROKEN: &str = r#"dependencies = ["shop/0002_order"]

[[operations]]
op = "create_model"
name = "Coupon"
fields = [
    { name = "id", type = "bigint", primary_key = true, auto = true },
    { name = "code", type = "string", max_length = 20 },
]

[[operations]]
op = "run_sql"
sql = "THIS IS NOT SQL"
"#;

async fn failing_migration_names_the_operation_and_keeps_nothing(db: TestDb) {
    let c = Case::new(db);
    c.p.write_migration("shop", "0003_coupon", BROKEN);
    let out = c.run(&["migrate"]);
    out.fails_with(1);
    let db_message = if c.sqlite() { "near \"THIS\": syntax error" } else { "syntax error at or near \"THIS\"" };
    out.says(&["shop/0003_coupon", "operation 2 (Raw SQL operation)", db_message, "rolled back", "statement: THIS IS NOT SQL"]);
    // The migrations before it ran in transactions of their own and are kept.
    assert!(out.stdout.contains("shop.0002_order OK"), "{out}");
    assert_eq!(c.tables().await, ["crm_note", "shop_customer", "shop_order", "teapot_migrations"], "shop_coupon was kept");
    assert_eq!(c.applied().await, ALL);

    // Fixed, it applies: the hint "run migrate again" holds.
    c.p.write_migration("shop", "0003_coupon", &BROKEN.replace("THIS IS NOT SQL", "SELECT 1"));
    c.run(&["migrate"]).ok();
    assert!(c.tables().await.contains(&"shop_coupon".to_string()));
    assert_eq!(c.applied().await.len(), 4);
}

async fn run_sql_without_reverse_sql_cannot_be_unapplied(db: TestDb) {
    let c = Case::new(db);
    c.p.write_migration(
        "shop",
        "0003_audit",
        "dependencies = [\"shop/0002_order\"]\n\n[[operations]]\nop = \"run_sql\"\nsql = \"CREATE TABLE shop_audit (id integer)\"\n",
    );
    c.run(&["migrate"]).ok();
    let tables = c.tables().await;
    assert_eq!(tables, ["crm_note", "shop_audit", "shop_customer", "shop_order", "teapot_migrations"]);

    let out = c.run(&["migrate", "shop", "zero"]);
    out.fails_with(1);
    out.says(&["shop/0003_audit operation 1 (Raw SQL operation)", "cannot be undone", "without reverse_sql", "add reverse_sql"]);
    assert_eq!(c.tables().await, tables, "nothing is unapplied");
    assert_eq!(c.applied().await.len(), 4);
}

/// An applied migration whose file was edited since stops migrate before anything runs, with the
/// finding `teapot check` gives; restoring the file lets it go on.
async fn an_edited_applied_migration_stops_migrate(db: TestDb) {
    let c = Case::new(db);
    c.run(&["migrate", "shop", "0001"]).ok();
    let path = c.p.migrations_dir("shop").join("0001_initial.toml");
    let original = std::fs::read_to_string(&path).expect("read 0001");
    std::fs::write(&path, original.replace("max_length = 100", "max_length = 120")).expect("edit 0001");
    let out = c.run(&["migrate"]);
    out.fails_with(1);
    out.says(&["0001_initial.toml", "differs from the file applied", "edited-applied-migration", "new migration"]);
    assert_eq!(c.applied().await, ["shop/0001_initial"], "nothing more applied");
    std::fs::write(&path, original).expect("restore 0001");
    c.run(&["migrate"]).ok();
    assert_eq!(c.applied().await, ALL);
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

on_both_backends!(
    migrate_applies_everything_and_a_second_run_changes_nothing,
    plan_prints_the_plan_and_changes_nothing,
    migrate_backwards_to_a_migration_and_to_zero_then_forwards_again,
    fake_records_without_running,
    failing_migration_names_the_operation_and_keeps_nothing,
    run_sql_without_reverse_sql_cannot_be_unapplied,
    an_edited_applied_migration_stops_migrate,
);

/// sqlmigrate renders for the dialect of the URL and never connects (port 1 has no server).
#[test]
fn sqlmigrate_prints_the_sql_of_the_urls_dialect_forwards_and_backwards() {
    let c = Case::new(TestDb::sqlite());
    let sql = |url: &str, name: &str, back: bool| {
        let mut args = vec!["sqlmigrate", "shop", name, "--database-url", url];
        if back {
            args.push("--backwards");
        }
        let out = teapot(c.p.root(), &args);
        out.ok().to_string()
    };
    let pg = sql("postgres://nobody@127.0.0.1:1/none", "0001", false);
    // A string literal is written for standard_conforming_strings = on: the output says so first.
    assert!(pg.starts_with("SET standard_conforming_strings = on;\nBEGIN;\n") && pg.ends_with("COMMIT;\n"), "{pg}");
    assert!(pg.contains("CREATE TABLE \"shop_customer\" (\"id\" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY"), "{pg}");
    assert!(!pg.contains("AUTOINCREMENT"), "{pg}");

    let lite = sql(&c.db.url, "0001", false);
    assert!(lite.starts_with("BEGIN;\n") && lite.ends_with("COMMIT;\n"), "{lite}");
    assert!(lite.contains("CREATE TABLE \"shop_customer\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT"), "{lite}");
    assert!(!lite.contains("GENERATED"), "{lite}");

    let pg_order = sql("postgres://nobody@127.0.0.1:1/none", "0002_order", false);
    assert!(
        pg_order.contains(
            "FOREIGN KEY (\"customer_id\") REFERENCES \"shop_customer\" (\"id\") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
        ),
        "{pg_order}"
    );

    for url in ["postgres://nobody@127.0.0.1:1/none", c.db.url.as_str()] {
        let back = sql(url, "0002", true);
        let body = back.strip_prefix("SET standard_conforming_strings = on;\n").unwrap_or(&back);
        assert!(body.starts_with("BEGIN;\n") && back.ends_with("COMMIT;\n"), "{back}");
        assert!(back.contains("-- Undo: Create model Order\n--\nDROP TABLE \"shop_order\""), "{back}");
        assert!(!back.contains("CREATE"), "{back}");
    }
    assert!(!std::path::Path::new(c.db.url.trim_start_matches("sqlite://")).exists(), "sqlmigrate connected to the database");
}
