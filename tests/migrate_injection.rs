//! Nothing a migration or a declaration holds reaches SQL as anything but what it is: names with
//! control characters are refused on read (a line break would end a `--` comment in printed SQL),
//! raw expressions are one expression each, and string literals cannot escape their quotes even on a
//! server with standard_conforming_strings off.

mod common;

use common::cli::teapot;
use common::db::TestDb;
use common::Project;

const MODELS: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "shop")]
pub struct Item {
    pub id: i64,
    pub n: i32,
}
"#;

#[test]
fn a_line_break_in_a_name_is_refused_where_it_is_written() {
    let p = Project::new(&[("shop", MODELS)]);
    p.make();
    let first = p.names("shop")[0].clone();
    p.write_migration(
        "shop",
        "0002_index",
        &format!(
            "dependencies = [\"shop/{first}\"]\n\n[[operations]]\nop = \"add_index\"\nmodel = \"Item\"\n\
             index = {{ name = \"idx\\nDROP TABLE shop_item; --\", fields = [\"n\"] }}\n"
        ),
    );
    let url = format!("sqlite://{}", p.root().join("t.db").display());
    for cmd in [&["sqlmigrate", "shop", "0002"][..], &["migrate", "--database-url", &url], &["check"]] {
        let out = teapot(p.root(), cmd);
        assert_ne!(out.code, 0, "{cmd:?}\n{out}");
        // check reports it as a finding (stdout), the others as an error (stderr).
        let said = format!("{}{}", out.stdout, out.stderr);
        for piece in ["0002_index.toml:3", "operation 1", "an index name of Item", "control character"] {
            assert!(said.contains(piece), "{cmd:?} lacks {piece:?}\n{out}");
        }
        assert!(!out.stdout.lines().any(|l| l.trim_start().starts_with("DROP TABLE")), "{cmd:?} printed the injected text as SQL:\n{out}");
    }
}

#[test]
fn raw_expressions_are_one_expression() {
    for (attr, what) in
        [(r#"check(name = "n_pos", expr = "n > 0); DROP TABLE shop_item; --")"#, "check n_pos of Item"), ("", "the db_default of Item.n")]
    {
        let src = if attr.is_empty() {
            MODELS.replace("    pub n: i32,", "    #[teapot(db_default = \"0; DROP TABLE shop_item\")]\n    pub n: i32,")
        } else {
            MODELS.replace("#[teapot(app = \"shop\")]", &format!("#[teapot(app = \"shop\", {attr})]"))
        };
        let p = Project::new(&[("shop", &src)]);
        let out = teapot(p.root(), &["makemigrations"]);
        out.fails_with(1);
        out.says(&[what, "holds a `;` outside quotes", "shop.rs:"]);
        assert!(p.names("shop").is_empty(), "nothing written");
    }
    // A backfill's set and where, in a migration file.
    let p = Project::new(&[("shop", MODELS)]);
    p.make();
    let first = p.names("shop")[0].clone();
    p.write_migration(
        "shop",
        "0002_fill",
        &format!(
            "dependencies = [\"shop/{first}\"]\n\n[[operations]]\nop = \"backfill\"\nmodel = \"Item\"\n\
             set = \"n = E'\\\\''; DROP TABLE shop_item; --'\"\nbatch_size = 10\n"
        ),
    );
    let out = teapot(p.root(), &["sqlmigrate", "shop", "0002"]);
    out.fails_with(1);
    out.says(&["the set of the backfill of Item", "outside quotes"]);
}

/// Found by the fuzz suite: an expression with no `;` of its own but an unclosed `"` swallowed the
/// SQL written after it, up to a quote in a later name, and what followed that quote was outside
/// quotes again: `DEFAULT (to = ") NOT NULL, CONSTRAINT "; DROP TABLE ...`. An expression must
/// leave no quote, comment or parenthesis open.
#[test]
fn raw_expressions_leave_nothing_open() {
    for (expr, open) in [
        ("to = \\\"", "a \"...\" name open"),
        ("'abc", "a '...' string open"),
        ("1 --", "a -- comment"),
        ("1) , CHECK (1", "a `)` with no `(`"),
        ("$$x", "a dollar-quoted string open"),
    ] {
        let src = MODELS
            .replace(
                "#[teapot(app = \"shop\")]",
                "#[teapot(app = \"shop\", unique(fields = [\"n\"], name = \"; DROP TABLE shop_item; --\"))]",
            )
            .replace("    pub n: i32,", &format!("    #[teapot(db_default = \"{expr}\")]\n    pub n: i32,"));
        let p = Project::new(&[("shop", &src)]);
        let out = teapot(p.root(), &["makemigrations"]);
        out.fails_with(1);
        out.says(&["the db_default of Item.n", open, "shop.rs:"]);
        assert!(p.names("shop").is_empty(), "nothing written");
    }
}

/// With standard_conforming_strings off, a backslash in '...' escapes the quote: teapot's own
/// sessions turn it on, and sqlmigrate's output does too.
#[tokio::test]
async fn literal_defaults_stay_literals_with_standard_conforming_strings_off() {
    let p = Project::new(&[("shop", MODELS)]);
    p.make();
    let hostile = r"\'; CREATE TABLE pwned (id int); --";
    let src =
        MODELS.replace("    pub n: i32,\n", &format!("    pub n: i32,\n    #[teapot(default = {hostile:?})]\n    pub note: String,\n"));
    for online in [false, true] {
        let db = TestDb::postgres().await;
        let name = db.url.rsplit('/').next().expect("a database name").to_string();
        db.exec(&format!("ALTER DATABASE \"{name}\" SET standard_conforming_strings = off")).await;
        p.set("shop", MODELS);
        teapot(p.root(), &["migrate", "--database-url", &db.url]).ok();
        db.exec("INSERT INTO shop_item (n) VALUES (1)").await;
        if p.names("shop").len() == 1 {
            p.set("shop", &src);
            p.make();
        }
        let args: Vec<&str> =
            if online { vec!["migrate", "--online", "--database-url", &db.url] } else { vec!["migrate", "--database-url", &db.url] };
        teapot(p.root(), &args).ok();
        assert!(db.column("SELECT to_regclass('pwned')::text").await == [None], "online={online}: the default escaped its quotes");
        assert_eq!(db.column("SELECT note FROM shop_item").await, [Some(hostile.to_string())], "online={online}");
    }
    let printed = teapot(p.root(), &["sqlmigrate", "shop", &p.names("shop")[1], "--database-url", "postgres://x@h/y"]);
    assert!(printed.ok().starts_with("SET standard_conforming_strings = on;"), "{printed}");
}
