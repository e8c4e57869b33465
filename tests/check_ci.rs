//! `teapot check` in CI, through the binary: the database it reads (--database-url, else
//! DATABASE_URL, else teapot.toml; --no-database for none), exit 2 when it cannot run (an
//! unreachable database, a teapot.toml value migrate would refuse), and the baseline and allows of
//! teapot.toml that keep an applied unsafe migration from failing check forever.

mod common;

use std::process::Command;

use common::cli::{teapot, teapot_bin, Out};
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

const INITIAL: &str = "migrations/shop/0001_initial.toml";

fn project() -> Project {
    let p = Project::new(&[("shop", SHOP)]);
    teapot(p.root(), &["makemigrations"]).ok();
    p
}

/// `teapot check ARGS` with DATABASE_URL set (or removed).
fn check_env(p: &Project, database_url: Option<&str>, args: &[&str]) -> Out {
    let mut cmd = Command::new(teapot_bin());
    cmd.arg("check").args(args).current_dir(p.root()).stdin(std::process::Stdio::null());
    match database_url {
        Some(u) => cmd.env("DATABASE_URL", u),
        None => cmd.env_remove("DATABASE_URL"),
    };
    let out = cmd.output().expect("run the teapot binary");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn append_toml(p: &Project, extra: &str) {
    let path = p.root().join("teapot.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}{extra}")).unwrap();
}

/// Applies 0001, then edits the applied file (and accepts the edit in teapot.sum): only a check
/// that reads the database sees `edited-applied-migration`.
async fn reads_the_database_every_command_reads(db: TestDb) {
    let p = project();
    teapot(p.root(), &["migrate", "--database-url", &db.url]).ok();
    let path = p.root().join(INITIAL);
    std::fs::write(&path, format!("{}# edited after it was applied\n", std::fs::read_to_string(&path).unwrap())).unwrap();
    check_env(&p, None, &["--update-sums"]).ok();
    // no database named anywhere: offline, clean
    assert!(check_env(&p, None, &[]).ok().contains("no findings"));
    // DATABASE_URL
    let out = check_env(&p, Some(&db.url), &[]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("edited-applied-migration"), "{out}");
    // --no-database keeps the offline run
    assert!(check_env(&p, Some(&db.url), &["--no-database"]).ok().contains("no findings"));
    // [database] url in teapot.toml
    append_toml(&p, &format!("\n[database]\nurl = \"{}\"\n", db.url));
    let out = check_env(&p, None, &[]);
    assert!(out.code == 1 && out.stdout.contains("edited-applied-migration"), "{out}");
    // --database-url wins over both
    let out = check_env(&p, Some("postgres://postgres@127.0.0.1:1/nowhere"), &["--database-url", &db.url]);
    assert!(out.code == 1 && out.stdout.contains("edited-applied-migration"), "{out}");
    // the two flags together are a usage error
    check_env(&p, None, &["--no-database", "--database-url", &db.url]).fails_with(2);
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

on_both_backends!(reads_the_database_every_command_reads);

#[test]
fn an_unreachable_database_exits_2_not_1() {
    let p = project();
    let out = check_env(&p, Some("postgres://postgres@127.0.0.1:1/nowhere"), &[]);
    let err = out.fails_with(2);
    assert!(err.contains("cannot connect") && err.contains("127.0.0.1:1"), "{out}");
    assert!(err.contains("the URL came from DATABASE_URL") && err.contains("--no-database"), "{out}");
    // The project's SQLite file not made yet (a fresh clone): check runs without it, says so,
    // and does not create it.
    append_toml(&p, "\n[database]\nurl = \"sqlite://missing.db\"\n");
    let out = check_env(&p, None, &[]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("missing.db") && out.stderr.contains("does not exist yet"), "{out}");
    assert!(!p.root().join("missing.db").exists());
    // Named on the command line, it must be there: exit 2.
    let out = check_env(&p, None, &["--database-url", "sqlite://missing.db"]);
    let err = out.fails_with(2);
    assert!(err.contains("missing.db") && err.contains("does not exist") && err.contains("--database-url"), "{out}");
    assert!(!p.root().join("missing.db").exists());
    check_env(&p, None, &["--no-database"]).ok();
}

#[test]
fn a_value_migrate_would_refuse_fails_check_with_file_line_and_key() {
    let p = project();
    append_toml(&p, "\n[online]\nlock_timeout = \"2 seconds\"\n");
    let out = check_env(&p, None, &[]);
    let err = out.fails_with(2);
    assert!(err.contains("teapot.toml:6: [online] lock_timeout = \"2 seconds\" is not a duration"), "{out}");
    assert!(err.contains("\"2s\""), "{out}");
    // migrate reads it with the same parser: the same message, before it touches a database
    let out = teapot(p.root(), &["migrate", "--database-url", "sqlite://never.db"]);
    assert!(out.fails_with(2).contains("teapot.toml:6: [online] lock_timeout"), "{out}");
    assert!(!p.root().join("never.db").exists());
}

#[test]
fn help_documents_the_database_and_the_exit_codes() {
    let p = project();
    let help = check_env(&p, None, &["--help"]);
    let text = help.ok();
    for piece in ["--no-database", "DATABASE_URL", "Exit codes", "0 no finding", "1 findings", "2 check could not run"] {
        assert!(text.contains(piece), "--help lacks {piece:?}\n{text}");
    }
}

/// The story of the issue: a drop-column migration applied with a reviewed exception; without
/// a database, check lints it forever, and editing it to add `allow` is an edited migration.
#[test]
fn an_applied_unsafe_migration_is_baselined_or_allowed_in_teapot_toml() {
    let p = project();
    p.set("shop", &SHOP.replace("    pub pages: Option<i32>,\n", ""));
    teapot(p.root(), &["makemigrations"]).ok();
    let second = p.names("shop")[1].clone();
    let out = check_env(&p, None, &["--online"]);
    assert!(out.code == 1 && out.stdout.contains("TP002"), "{out}");
    // allowed in teapot.toml: the migration file is untouched, teapot.sum still matches
    append_toml(&p, &format!("\n[check.allow]\n\"shop/{second}\" = {{ rules = [\"TP002\"], reason = \"1.4 stopped reading pages\" }}\n"));
    assert!(check_env(&p, None, &["--online"]).ok().contains("no findings"));
    // or a baseline: lint from the next migration on
    let toml = std::fs::read_to_string(p.root().join("teapot.toml")).unwrap();
    std::fs::write(p.root().join("teapot.toml"), toml.split("\n[check.allow]").next().unwrap()).unwrap();
    check_env(&p, None, &[]).fails_with(1);
    append_toml(&p, "\n[check]\nsince = { shop = \"0003\" }\n");
    assert!(check_env(&p, None, &["--online"]).ok().contains("no findings"));
    // a later unsafe migration is still caught
    p.set(
        "shop",
        &SHOP.replace("    pub pages: Option<i32>,\n", "").replace("    #[teapot(max_length = 100)]\n    pub title: String,\n", ""),
    );
    teapot(p.root(), &["makemigrations"]).ok();
    let out = check_env(&p, None, &[]);
    assert!(out.code == 1 && out.stdout.contains("TP002") && out.stdout.contains("0003_"), "{out}");
}
