//! Real databases for tests: a fresh PostgreSQL database per test (made on the server that
//! TEAPOT_TEST_PG names and dropped afterwards), or a SQLite file in a temp dir.

use std::sync::atomic::{AtomicUsize, Ordering};

use teapot::migrate::backend::introspect::schema_lines;
use teapot::Connection as Conn;

/// The PostgreSQL server tests use.
pub fn pg_admin_url() -> String {
    std::env::var("TEAPOT_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database that exists for one test.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

fn with_db(url: &str, db: &str) -> String {
    match url.rfind('/') {
        Some(i) if url[..i].contains("://") && i > url.find("://").unwrap_or(0) + 2 => format!("{}/{db}", &url[..i]),
        _ => format!("{url}/{db}"),
    }
}

impl TestDb {
    /// A new, empty PostgreSQL database.
    pub async fn postgres() -> TestDb {
        let name = format!(
            "teapot_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
        );
        let admin = pg_admin_url();
        let mut conn = Conn::open(&admin).await.unwrap_or_else(|e| panic!("PostgreSQL for tests ({admin}) is not reachable: {e}"));
        conn.run(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
        conn.close().await;
        TestDb { url: with_db(&admin, &name), name: Some(name), _dir: None }
    }

    /// A new SQLite file.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        TestDb { url, name: None, _dir: Some(dir) }
    }

    /// A connection to it.
    pub async fn conn(&self) -> Conn {
        Conn::open(&self.url).await.expect("connect to the test database")
    }

    /// Its schema, one fact per line.
    pub async fn schema(&self) -> Vec<String> {
        let mut c = self.conn().await;
        let lines = schema_lines(&mut c).await.expect("introspect");
        c.close().await;
        lines
    }

    /// Runs a query and returns the first column of every row.
    pub async fn column(&self, sql: &str) -> Vec<Option<String>> {
        let mut c = self.conn().await;
        let rows = c.fetch_all(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        c.close().await;
        rows.iter().map(|r| r.get::<Option<String>>(0).unwrap_or_else(|e| panic!("{sql}: the column is not text: {e}"))).collect()
    }

    /// Runs SQL.
    pub async fn exec(&self, sql: &str) {
        let mut c = self.conn().await;
        c.run(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        c.close().await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.name.take() else { return };
        let admin = pg_admin_url();
        // Dropped from a thread of its own: Drop may run inside a runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(mut c) = Conn::open(&admin).await {
                    let _ = c.run(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                    c.close().await;
                }
            });
        })
        .join();
    }
}

/// Migrates a project's database to a target (`None`: everything), as `teapot migrate` does.
pub async fn migrate(config: &teapot::migrate::config::Config, url: &str, app: Option<&str>, name: Option<&str>) -> teapot::Result<()> {
    use teapot::migrate::executor::Target;
    teapot::Migrator::connect(url)
        .config(config.clone())
        .target(Target { app: app.map(str::to_string), name: name.map(str::to_string) })
        .run()
        .await
        .map(|_| ())
}

/// The keys of the applied migrations.
pub async fn applied(url: &str) -> Vec<String> {
    let mut conn = Conn::open(url).await.expect("connect");
    let rows = teapot::migrate::recorder::applied(&mut conn).await.expect("read teapot_migrations");
    conn.close().await;
    rows.into_iter().map(|a| a.key()).collect()
}

/// A database with the schema of `models_src` (the declarations of one app), made by teapot's
/// own makemigrations and migrate, and a `Db` on it: what the ORM suites run on.
pub async fn orm_db(t: &TestDb, app: &str, models_src: &str) -> teapot::Db {
    orm_db_with(t, app, models_src, "").await
}

/// [`orm_db`] with more teapot.toml (a `[project]` table) before the app's.
pub async fn orm_db_with(t: &TestDb, app: &str, models_src: &str, toml: &str) -> teapot::Db {
    let mut project = super::Project::new(&[(app, &format!("use teapot::prelude::*;\n\n{models_src}\n"))]);
    if !toml.is_empty() {
        let path = project.root().join("teapot.toml");
        let text = format!("{toml}\n{}", std::fs::read_to_string(&path).expect("read teapot.toml"));
        std::fs::write(&path, text).expect("write teapot.toml");
        project.config = teapot::migrate::config::Config::load(Some(&path)).expect("load teapot.toml");
    }
    project.make();
    migrate(&project.config, &t.url, None, None).await.unwrap_or_else(|e| panic!("migrate: {e}"));
    teapot::Db::connect(&t.url).await.expect("connect")
}
