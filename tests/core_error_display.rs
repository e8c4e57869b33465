//! What a database error prints: the database's message and what to do, never the server's own
//! source position (PostgreSQL names the C file and line that raised an error, which the driver's
//! Display appends as `at line 948`). Checked through every way an error is printed: Display,
//! Debug (what `main() -> Result` prints), the chain of sources an error reporter walks, and the
//! `teapot` command's output.

mod common;

use common::cli::teapot;
use common::db::TestDb;
use common::Project;
use teapot::{Db, DriverError};

/// Everything a program can print of an error: Display, Debug, and each source in the chain.
fn printed(e: &teapot::Error) -> String {
    let mut out = format!("{e}\n{e:?}\n");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(&format!("caused by: {s}\n{s:?}\n"));
        source = s.source();
    }
    out
}

/// Whether the text carries a server source position.
fn leaks(text: &str) -> bool {
    text.contains(" at line ") || text.contains("line: Some") || text.contains(".c\"")
}

#[tokio::test]
async fn a_postgres_error_prints_without_the_servers_source_line() {
    let t = TestDb::postgres().await;
    let db = Db::connect(&t.url).await.expect("connect");
    let e = db.execute("SELECT * FROM no_such_table", &[]).await.expect_err("no such table");
    let driver = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<DriverError>()).expect("the driver's error is the source");
    // The driver's own Display does carry it: what this test guards against is real.
    assert!(driver.driver().to_string().contains(" at line "), "{:?}", driver.driver());
    let text = printed(&e);
    assert!(!leaks(&text), "the server's source position is printed:\n{text}");
    assert!(text.contains("relation \"no_such_table\" does not exist"), "{text}");
    assert!(text.contains("42P01"), "the SQLSTATE is kept: {text}");
    assert_eq!(e.code(), Some("42P01"));
    // A failed connection, too.
    let e = Db::connect(&format!("{}_not_there", t.url)).await.expect_err("no such database");
    let text = printed(&e);
    assert!(!leaks(&text) && text.contains("does not exist"), "{text}");
}

#[tokio::test]
async fn a_failed_migration_on_postgres_prints_without_the_servers_source_line() {
    let t = TestDb::postgres().await;
    let p = Project::new(&[("shop", "use teapot::prelude::*;\n#[derive(Model)]\npub struct Customer { pub id: i64 }\n")]);
    teapot(p.root(), &["makemigrations"]).ok();
    teapot(p.root(), &["makemigrations", "--empty", "shop", "-n", "broken"]).ok();
    let file = p.root().join("migrations/shop/0002_broken.toml");
    let text = std::fs::read_to_string(&file).expect("read")
        + "\n[[operations]]\nop = \"run_sql\"\nsql = \"SELECT * FROM nothere\"\nreverse_sql = \"\"\n";
    std::fs::write(&file, text).expect("write");
    teapot(p.root(), &["check", "--update-sums", "--no-database"]);
    for online in [false, true] {
        let mut args = vec!["migrate", "--database-url", t.url.as_str()];
        if online {
            args.push("--online");
        }
        let out = teapot(p.root(), &args);
        let err = out.fails_with(1);
        assert!(err.contains("relation \"nothere\" does not exist"), "{out}");
        assert!(!leaks(&out.stderr) && !leaks(&out.stdout), "{out}");
    }
}
