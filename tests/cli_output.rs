//! What the `teapot` command says: the one global -v/-q on every command, the shell completion
//! scripts, and showmigrations, which only looks (it never creates a SQLite database file).

mod common;

use common::cli::teapot;
use common::db::TestDb;
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

#[test]
fn quiet_and_verbose_on_every_command() {
    let p = Project::new(&[("shop", SHOP)]);
    let db = TestDb::sqlite();
    let url = db.url.as_str();

    // makemigrations: -v prints the file written, -q nothing (the file is still written).
    let out = teapot(p.root(), &["makemigrations", "--dry-run", "-v"]);
    assert!(out.ok().contains("op = \"create_model\""), "-v prints the migration's file\n{out}");
    let out = teapot(p.root(), &["-q", "makemigrations"]);
    assert_eq!(out.ok(), "", "{out}");
    assert_eq!(p.names("shop"), ["0001_initial"]);
    let out = teapot(p.root(), &["makemigrations", "--quiet"]);
    assert_eq!(out.ok(), "", "{out}");

    // migrate: -q says nothing on success; -v says which mode and why.
    let out = teapot(p.root(), &["migrate", "-q", "--database-url", url]);
    assert_eq!((out.ok(), out.stderr.as_str()), ("", ""), "{out}");
    let out = teapot(p.root(), &["migrate", "--verbose", "--database-url", url]);
    assert!(out.ok().contains("Mode: plain (the default;") && out.stdout.contains("No migrations to apply"), "{out}");

    // What a command is run for is printed whatever the level.
    let out = teapot(p.root(), &["-q", "showmigrations", "--database-url", url]);
    assert!(out.ok().contains("[X] 0001_initial"), "{out}");
    let out = teapot(p.root(), &["-q", "sqlmigrate", "shop", "0001", "--database-url", url]);
    assert!(out.ok().contains("CREATE TABLE"), "{out}");

    // check: -q keeps the findings and drops the summary; -v names the mode and the database.
    let out = teapot(p.root(), &["check", "-q", "--database-url", url]);
    assert_eq!(out.ok(), "", "{out}");
    let out = teapot(p.root(), &["check", "-v", "--database-url", url]);
    assert!(out.ok().contains("no findings"), "{out}");
    assert!(out.stderr.contains("linting for plain migrate") && out.stderr.contains("(from --database-url)"), "{out}");
    std::fs::write(p.root().join("models/shop.rs"), SHOP.replace("pub name: String,", "pub name: String,\n    pub note: Option<String>,"))
        .expect("write");
    let out = teapot(p.root(), &["check", "-q", "--no-database"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("shop") && !out.stdout.contains("finding(s)"), "{out}");

    // An error is printed whatever the level; -v and -q together are a usage error.
    let out = teapot(p.root(), &["-q", "migrate", "--database-url", "postgres://nobody@127.0.0.1:1/none"]);
    out.fails_with(1);
    out.says(&["cannot connect"]);
    teapot(p.root(), &["-v", "-q", "showmigrations"]).fails_with(2);
}

#[test]
fn completions_for_bash_zsh_and_fish_list_the_commands_and_flags() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (shell, marker) in [("bash", "complete -F _teapot"), ("zsh", "#compdef teapot"), ("fish", "complete -c teapot")] {
        // No teapot.toml is needed to print one.
        let out = teapot(dir.path(), &["completions", shell]);
        let script = out.ok();
        assert!(script.contains(marker), "{shell}: {out}");
        for word in ["makemigrations", "showmigrations", "init", "database-url", "plain", "verbose"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = teapot(dir.path(), &["completions", "powershell"]);
    out.fails_with(2);
    out.says(&["bash", "zsh", "fish"]);
}

#[test]
fn showmigrations_never_creates_a_sqlite_file() {
    let p = Project::new(&[("shop", SHOP)]);
    teapot(p.root(), &["makemigrations"]).ok();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("not-yet.db");
    let url = format!("sqlite://{}", file.display());
    for args in [&["showmigrations", "--database-url", &url][..], &["showmigrations", "--plan", "--database-url", &url]] {
        let out = teapot(p.root(), args);
        assert!(out.ok().contains("[ ]") && out.stdout.contains("0001_initial"), "{out}");
        out.says(&["not-yet.db does not exist yet", "teapot migrate"]);
        assert!(!file.exists(), "showmigrations created {}", file.display());
    }
    assert!(std::fs::read_dir(dir.path()).expect("list").next().is_none(), "showmigrations left files behind");
    // Once migrate made it, showmigrations reads it.
    teapot(p.root(), &["migrate", "--database-url", &url]).ok();
    assert!(teapot(p.root(), &["showmigrations", "--database-url", &url]).ok().contains("[X] 0001_initial"));
}
