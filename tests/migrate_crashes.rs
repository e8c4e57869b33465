//! `migrate --online` killed (SIGKILL) at random moments — inside statements, not only between
//! steps — over a plan with an index, a unique constraint, a foreign key, a NOT NULL with a value
//! for old rows and a batched backfill. After each kill the command is run again (and killed again,
//! at random, up to three times) until it finishes: the schema must then be the one a plain migrate
//! builds, with no INVALID index, nothing left in the progress record, and every row updated by the
//! backfill exactly once.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::cli::teapot_bin;
use common::db::{migrate, TestDb};
use common::Project;

const V1: &str = r#"
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "shop")]
pub struct Owner {
    pub id: i64,
    #[teapot(max_length = 50)]
    pub name: String,
}

#[derive(Model)]
#[teapot(app = "shop")]
pub struct Item {
    pub id: i64,
    #[teapot(max_length = 50)]
    pub name: String,
    pub qty: i32,
    #[teapot(max_length = 30)]
    pub code: String,
    pub note: Option<String>,
}
"#;

const ROWS: i64 = 20_000;

/// v1, then v2: an index, a unique constraint, a foreign key, note made NOT NULL with a default;
/// then a backfill that adds 1000 to every qty (run twice on a row, it would show).
fn project() -> (Project, Vec<String>) {
    let p = Project::new(&[("shop", V1)]);
    p.make();
    let v2 = V1
        .replace(
            "#[teapot(app = \"shop\")]\npub struct Item {",
            "#[teapot(app = \"shop\", index(fields = [\"qty\", \"name\"], name = \"item_qty_name_idx\"), \
             unique(fields = [\"code\"], name = \"item_code_uniq\"))]\npub struct Item {",
        )
        .replace(
            "    pub note: Option<String>,\n}",
            "    #[teapot(default = \"none\")]\n    pub note: String,\n    #[teapot(on_delete = \"set_null\")]\n    pub owner: Option<ForeignKey<Owner>>,\n}",
        );
    p.set("shop", &v2);
    p.make();
    let names = p.names("shop");
    p.write_migration(
        "shop",
        "0003_bump_qty",
        &format!(
            "dependencies = [\"shop/{}\"]\n\n[[operations]]\nop = \"backfill\"\nmodel = \"Item\"\nset = \"qty = qty + 1000\"\nbatch_size = 500\n",
            names[1]
        ),
    );
    let names = p.names("shop");
    assert_eq!(names.len(), 3, "{names:?}");
    (p, names)
}

async fn at_v1(p: &Project, first: &str) -> TestDb {
    let db = TestDb::postgres().await;
    migrate(&p.config, &db.url, Some("shop"), Some(first)).await.expect("v1");
    db.exec("INSERT INTO shop_owner (name) SELECT 'o' || g FROM generate_series(1, 10) g").await;
    db.exec(&format!(
        "INSERT INTO shop_item (name, qty, code, note) SELECT 'i' || g, g % 100, 'c' || g, \
         CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' END FROM generate_series(1, {ROWS}) g"
    ))
    .await;
    db
}

fn online(p: &Project, url: &str) -> Command {
    let mut c = Command::new(teapot_bin());
    c.args(["migrate", "--online", "--database-url", url]).current_dir(p.root()).env_remove("DATABASE_URL");
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

/// A small deterministic generator (xorshift), seeded from the clock; the seed is printed so a
/// failing run can be repeated with TEAPOT_CRASH_SEED.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    db.column(sql).await[0].as_deref().unwrap_or("0").parse().expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_every_rerun_converges() {
    let (p, names) = project();
    let expected = {
        let db = TestDb::postgres().await;
        migrate(&p.config, &db.url, None, None).await.expect("plain migrate");
        db.schema().await
    };
    // How long an uninterrupted run takes: the kills fall anywhere inside it.
    let whole = {
        let db = at_v1(&p, &names[0]).await;
        let start = Instant::now();
        let out = online(&p, &db.url).output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        start.elapsed()
    };
    let seed = std::env::var("TEAPOT_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1) | 1
    });
    let mut rng = Rng(seed);
    let mut kills_inside = 0;
    for round in 0..20 {
        let db = at_v1(&p, &names[0]).await;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut child = online(&p, &db.url).spawn().expect("spawn");
            let mut killed = false;
            if attempts <= 3 {
                let at = Duration::from_micros(rng.next() % (whole.as_micros() as u64).max(1));
                tokio::time::sleep(at).await;
                if child.try_wait().expect("poll").is_none() {
                    child.kill().expect("SIGKILL");
                    kills_inside += 1;
                    killed = true;
                }
            }
            let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await.expect("join").expect("wait");
            if out.status.success() {
                break;
            }
            assert!(killed, "seed {seed} round {round}: a run that was not killed failed: {}", String::from_utf8_lossy(&out.stderr));
            assert!(attempts < 10, "seed {seed} round {round}: no convergence");
        }
        let schema = db.schema().await;
        assert!(!schema.iter().any(|l| l.contains("INVALID")), "seed {seed} round {round}: an INVALID index is left: {schema:#?}");
        assert_eq!(schema, expected, "seed {seed} round {round}: the schema differs from a plain migrate's");
        assert_eq!(count(&db, "SELECT count(*)::text FROM teapot_online_progress").await, 0, "seed {seed} round {round}");
        assert_eq!(count(&db, "SELECT count(*)::text FROM teapot_migrations").await, 3, "seed {seed} round {round}");
        assert_eq!(
            count(&db, "SELECT count(*)::text FROM shop_item WHERE qty <> (substr(name, 2)::int % 100) + 1000").await,
            0,
            "seed {seed} round {round}: a row was updated twice (or not at all) by the backfill"
        );
        assert_eq!(count(&db, "SELECT count(*)::text FROM shop_item WHERE note IS NULL").await, 0, "seed {seed} round {round}");
    }
    eprintln!("seed {seed}: {kills_inside} kills landed while a run was going, every rerun converged");
    assert!(kills_inside >= 20, "seed {seed}: only {kills_inside} kills landed while a run was going");
}
