//! A Django reference fixture, `fixtures/<name>/`: a teapot.toml, the models of each step in
//! `v1/`, `v2/`, ..., teapot's golden migrations in `expected/<app>/`, and in `django/` what
//! Django 5.2 printed for the same models (sqlmigrate output, the live schema after each step).
//! The tests that hold teapot to one compare the SQL teapot renders for a migration, the live
//! schema after migrating, and drift, the same way for every fixture.

use std::path::PathBuf;

use super::db::TestDb;
use teapot::migrate::config::Config;
use teapot::migrate::executor::{ancestors, migration_sql, Direction, MigrationSql};
use teapot::migrate::loader::load_graph;
use teapot::Dialect;

/// One fixture: its folder under fixtures/, its app and the model file each step holds.
pub struct Fixture {
    /// The folder under fixtures/.
    pub name: &'static str,
    /// The app its teapot.toml declares.
    pub app: &'static str,
    /// The model file in each step's folder (copied to `models/`).
    pub models: &'static str,
}

impl Fixture {
    pub fn root(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(self.name)
    }

    /// A file of what Django printed (`django/<file>`).
    pub fn reference(&self, file: &str) -> String {
        let path = self.root().join("django").join(file);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// A project in a temp dir holding the golden migrations and the models of `version`.
    pub fn project(&self, version: &str) -> (tempfile::TempDir, Config) {
        let root = self.root();
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(root.join("teapot.toml"), dir.path().join("teapot.toml")).expect("copy toml");
        std::fs::create_dir_all(dir.path().join("models")).expect("mkdir");
        std::fs::copy(root.join(version).join(self.models), dir.path().join("models").join(self.models)).expect("copy models");
        let mig = dir.path().join("migrations").join(self.app);
        std::fs::create_dir_all(&mig).expect("mkdir");
        for e in std::fs::read_dir(root.join("expected").join(self.app)).expect("golden migrations") {
            let p = e.expect("entry").path();
            std::fs::copy(&p, mig.join(p.file_name().expect("name"))).expect("copy migration");
        }
        let config = Config::load(Some(&dir.path().join("teapot.toml"))).expect("config");
        (dir, config)
    }

    /// The SQL teapot renders for the app's migration whose name starts with `name`, from the
    /// state before it (forwards) or at it (backwards), one statement per line.
    pub fn teapot_sql(&self, config: &Config, dialect: Dialect, name: &str, direction: Direction) -> String {
        let graph = load_graph(config).expect("graph");
        let key = graph.app_migrations(self.app).find(|m| m.name.starts_with(name)).map(|m| m.key()).expect("migration");
        let before = ancestors(&graph, &key);
        let mut state = graph.state_until(|m| before.contains(&m.key()) && m.key() != key).expect("state");
        let m = graph.get(&key).expect("migration");
        let MigrationSql { operations, deferred, .. } = migration_sql(dialect, m, &mut state, direction).expect("render");
        let mut out: Vec<String> = operations.into_iter().flat_map(|(_, s)| s).collect();
        out.extend(deferred);
        out.join("\n")
    }

    /// Migrates `db` to the app's migration `name` (forwards or back): by a plain migrate through
    /// the library, or `online`, by the CLI's `migrate --online` in the project `dir`.
    pub async fn migrate_to(&self, dir: &std::path::Path, config: &Config, db: &TestDb, name: &str, online: bool) {
        if online {
            let out = super::cli::teapot(dir, &["migrate", self.app, name, "--online", "--database-url", &db.url]);
            assert_eq!(out.code, 0, "{out}");
        } else {
            super::db::migrate(config, &db.url, Some(self.app), Some(name)).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    /// Django's live schema after step `n` (`django/schema_after_000N.txt`), sorted.
    pub fn theirs(&self, n: usize) -> Vec<String> {
        let mut lines: Vec<String> = self.reference(&format!("schema_after_000{n}.txt")).lines().map(str::to_string).collect();
        lines.sort();
        lines
    }

    /// Writes `django/schema_after_000N.txt` for steps 1..=`steps` from the databases Django
    /// migrated to each (the URL in `env` with `{n}` for the step). Run by hand when the fixture
    /// is remade; does nothing when `env` is unset.
    pub async fn dump_django_schemas(&self, env: &str, steps: usize) {
        let Ok(template) = std::env::var(env) else { return };
        for n in 1..=steps {
            let mut c = teapot::Connection::open(&template.replace("{n}", &n.to_string())).await.expect("connect");
            let lines = teapot::migrate::backend::introspect::schema_lines(&mut c).await.expect("introspect");
            let lines: Vec<String> = lines.into_iter().filter(|l| !l.starts_with("django_migrations ")).collect();
            std::fs::write(self.root().join(format!("django/schema_after_000{n}.txt")), lines.join("\n") + "\n").expect("write");
        }
    }
}

/// The statements of a script: no comments, no BEGIN / COMMIT, no blank lines.
pub fn statements(sql: &str) -> Vec<String> {
    sql.lines().filter(|l| !l.starts_with("--") && *l != "BEGIN;" && *l != "COMMIT;" && !l.trim().is_empty()).map(str::to_string).collect()
}

/// The statements of a script, sorted: for comparing what two tools emit in different orders.
pub fn as_set(sql: &str) -> Vec<String> {
    let mut all = statements(sql);
    all.sort();
    all
}

/// A live schema, one fact per line, sorted.
pub async fn schema(db: &TestDb) -> Vec<String> {
    let mut lines = db.schema().await;
    lines.sort();
    lines
}

/// Asserts two schemas are equal, naming the facts only one side has.
pub fn assert_same_schema(ours: &[String], theirs: &[String], when: &str) {
    let only_ours: Vec<&String> = ours.iter().filter(|l| !theirs.contains(l)).collect();
    let only_theirs: Vec<&String> = theirs.iter().filter(|l| !ours.contains(l)).collect();
    assert!(only_ours.is_empty() && only_theirs.is_empty(), "{when}: only teapot's: {only_ours:#?}\nonly Django's: {only_theirs:#?}");
    assert_eq!(ours, theirs, "{when}");
}

/// Asserts `check`'s drift finds nothing between the applied migrations and the database.
pub async fn no_drift(config: &Config, db: &TestDb) {
    use teapot::migrate::check::drift::{drift_report, DriftOptions};
    let graph = load_graph(config).expect("graph");
    let applied: std::collections::BTreeSet<String> = super::db::applied(&db.url).await.into_iter().collect();
    let mut conn = db.conn().await;
    let out = drift_report(&mut conn, &graph, &applied, &DriftOptions::default()).await.expect("drift");
    conn.close().await;
    assert!(out.is_empty(), "drift after migrate: {out:?}");
}
