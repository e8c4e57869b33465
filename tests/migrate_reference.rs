//! The Django reference blog app (fixtures/blog/django: what Django 5.2 emits): teapot's PostgreSQL DDL for
//! the same models is Django's, statement for statement, and the live schema after both
//! migrations is the one Django builds. Two intended differences: foreign keys carry their
//! on_delete (teapot enforces it), and a field's literal `default` stays in the database as the
//! column's default (Django drops it right after adding the column), so that code still deployed
//! during a migration can insert rows without the new column.

mod common;

use std::path::PathBuf;

use common::db::{migrate, TestDb};
use teapot::migrate::config::Config;
use teapot::migrate::executor::{ancestors, migration_sql, Direction};
use teapot::migrate::loader::load_graph;
use teapot::Dialect;

fn reference(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/blog/django").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A project holding the blog fixture's golden migrations.
fn blog_project() -> (tempfile::TempDir, Config) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/blog");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(root.join("teapot.toml"), dir.path().join("teapot.toml")).expect("copy toml");
    std::fs::create_dir_all(dir.path().join("models")).expect("mkdir");
    std::fs::copy(root.join("v2/blog.rs"), dir.path().join("models/blog.rs")).expect("copy models");
    let mig = dir.path().join("migrations/blog");
    std::fs::create_dir_all(&mig).expect("mkdir");
    for e in std::fs::read_dir(root.join("expected/blog")).expect("golden migrations") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, mig.join(p.file_name().expect("name"))).expect("copy migration");
    }
    let config = Config::load(Some(&dir.path().join("teapot.toml"))).expect("config");
    (dir, config)
}

/// The statements of a SQL script, without comments and BEGIN/COMMIT, with the intended
/// differences taken out: teapot's ON DELETE clauses, the literal defaults teapot keeps in column
/// definitions, and the `DROP DEFAULT` Django runs right after adding such a column.
fn statements(sql: &str) -> Vec<String> {
    sql.lines()
        .filter(|l| !l.starts_with("--") && *l != "BEGIN;" && *l != "COMMIT;" && !l.trim().is_empty())
        .filter(|l| !(l.contains(" ALTER COLUMN ") && l.ends_with(" DROP DEFAULT;")))
        .map(|l| {
            let mut l = without_literal_defaults(l);
            for action in [" ON DELETE CASCADE", " ON DELETE SET NULL", " ON DELETE RESTRICT", " ON DELETE SET DEFAULT"] {
                l = l.replace(action, "");
            }
            l
        })
        .collect()
}

/// A column definition's ` DEFAULT <literal>` (a number, true/false or a quoted string) taken out.
fn without_literal_defaults(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(" DEFAULT ") {
        out.push_str(&rest[..at]);
        let value = &rest[at + " DEFAULT ".len()..];
        let len = if let Some(quoted) = value.strip_prefix('\'') {
            quoted.find('\'').map(|end| end + 2)
        } else {
            let token = value.split([' ', ',', ')', ';']).next().unwrap_or("");
            let literal = token == "true" || token == "false" || token.parse::<f64>().is_ok();
            literal.then_some(token.len())
        };
        match len {
            Some(n) => rest = &value[n..],
            None => {
                out.push_str(" DEFAULT ");
                rest = value;
            }
        }
    }
    out.push_str(rest);
    out
}

fn teapot_sql(config: &Config, name: &str, direction: Direction) -> String {
    let graph = load_graph(config).expect("graph");
    let key = graph.app_migrations("blog").find(|m| m.name.starts_with(name)).map(|m| m.key()).expect("migration");
    let before = ancestors(&graph, &key);
    let mut state = graph.state_until(|m| before.contains(&m.key()) && m.key() != key).expect("state");
    let m = graph.get(&key).expect("migration");
    let teapot::migrate::executor::MigrationSql { operations: per_op, deferred, .. } =
        migration_sql(Dialect::Postgres, m, &mut state, direction).expect("render");
    let mut out: Vec<String> = per_op.into_iter().flat_map(|(_, s)| s).collect();
    out.extend(deferred);
    out.join("\n")
}

#[test]
fn initial_migration_ddl_is_djangos_statement_for_statement() {
    let (_dir, config) = blog_project();
    assert_eq!(statements(&teapot_sql(&config, "0001", Direction::Forwards)), statements(&reference("0001_initial.sql")));
}

#[test]
fn second_migration_ddl_is_djangos_forwards_and_backwards() {
    let (_dir, config) = blog_project();
    assert_eq!(statements(&teapot_sql(&config, "0002", Direction::Forwards)), statements(&reference("0002_site_language_and_more.sql")));
    assert_eq!(
        statements(&teapot_sql(&config, "0002", Direction::Backwards)),
        statements(&reference("0002_site_language_and_more.backwards.sql"))
    );
}

#[tokio::test]
async fn live_schema_after_both_migrations_is_djangos() {
    let (_dir, config) = blog_project();
    let db = TestDb::postgres().await;
    migrate(&config, &db.url, None, None).await.expect("migrate");
    // Django's dump has no column defaults: teapot keeps the declared ones (see the module doc).
    let ours: Vec<String> = db
        .schema()
        .await
        .into_iter()
        .filter(|l| !l.contains(" default "))
        .map(|l| l.replace(" on delete c ", " on delete a ").replace(" on delete n ", " on delete a "))
        .collect();
    let mut theirs: Vec<String> = reference("schema_after_0002.txt").lines().map(str::to_string).collect();
    theirs.sort();
    assert_eq!(ours, theirs);

    // Back to zero leaves no table; forwards again gives the same schema.
    migrate(&config, &db.url, Some("blog"), Some("zero")).await.expect("unapply");
    assert!(db.schema().await.is_empty(), "tables left after migrate blog zero: {:?}", db.schema().await);
    migrate(&config, &db.url, None, None).await.expect("re-apply");
    let again: Vec<String> = db
        .schema()
        .await
        .into_iter()
        .filter(|l| !l.contains(" default "))
        .map(|l| l.replace(" on delete c ", " on delete a ").replace(" on delete n ", " on delete a "))
        .collect();
    assert_eq!(again, theirs);
}
