//! Benchmark: teapot's ORM against hand-written sqlx (`sqlx::query` and manual row mapping into
//! plain structs) on the same PostgreSQL database, in one run.
//!
//!     cargo run --release --example orm_bench -- [--database-url postgres://...] [--runs 5]
//!
//! The database `teapot_orm_bench` is created on the server the URL names (default:
//! TEAPOT_TEST_PG), migrated from the models below with teapot's own makemigrations and migrate,
//! and dropped at the end. Each figure is the median of `--runs` runs, after one warm-up run; teapot's and sqlx's runs
//! alternate, so that drift on a busy machine falls on both alike.
//!
//! - get by key: 10,000 single-row fetches by primary key, one after the other.
//! - fetch rows: 10,000 rows into structs, one query.
//! - bulk insert: 10,000 rows, keys read back (teapot: `bulk_create`; sqlx: `QueryBuilder`
//!   multi-row INSERT ... RETURNING id, in batches of 1,000 as teapot does).
//! - prefetch: 10,000 comments, each with its post and the post's user (100 users x 10 posts x 10
//!   comments), one query per level, from the comments' side: teapot runs
//!   `Comment::objects().prefetch_related(&["post"])` and then the users by key with `is_in`; sqlx
//!   runs the same three queries with `= ANY($1)`.
//! - nested reverse prefetch: the 100 users with their posts and the posts' comments, one query
//!   per level (`User::objects().prefetch_related(&["posts__comments"])`); sqlx runs the same three
//!   queries with `= ANY($1)` and groups the rows into nested structs.
//! - select_related: the comments with their post in one JOIN query.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Row as _;
use teapot::migrate::config::Config;
use teapot::migrate::executor::{execute, plan, Target};
use teapot::migrate::loader::load_graph;
use teapot::migrate::make::{make_migrations, MakeOptions};
use teapot::migrate::questioner::FlagQuestioner;
use teapot::orm::instance::bulk_create;
use teapot::prelude::*;
use teapot::Connection as Conn;

macro_rules! models {
    ($($item:item)*) => {
        $($item)*
        const MODELS_SRC: &str = stringify!($($item)*);
    };
}

models! {
    #[derive(Debug, Clone, Model)]
    #[teapot(app = "bench")]
    pub struct User {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
        #[teapot(max_length = 200)]
        pub email: String,
        pub posts: Reverse<Post>,
    }

    #[derive(Debug, Clone, Model)]
    #[teapot(app = "bench")]
    pub struct Post {
        pub id: i64,
        #[teapot(on_delete = "cascade", related_name = "posts")]
        pub user: ForeignKey<User>,
        #[teapot(max_length = 200)]
        pub title: String,
        pub body: String,
        pub comments: Reverse<Comment>,
    }

    #[derive(Debug, Clone, Model)]
    #[teapot(app = "bench")]
    pub struct Comment {
        pub id: i64,
        #[teapot(on_delete = "cascade", related_name = "comments")]
        pub post: ForeignKey<Post>,
        pub body: String,
        pub score: i32,
    }

    #[derive(Debug, Clone, Model)]
    #[teapot(app = "bench")]
    pub struct Record {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
        pub value: i64,
        pub score: f64,
        pub active: bool,
    }

    #[derive(Debug, Clone, Model)]
    #[teapot(app = "bench")]
    pub struct Entry {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
        pub value: i64,
        pub score: f64,
        pub active: bool,
    }
}

// The plain structs the hand-written side maps rows into.
#[allow(dead_code)]
struct PlainRecord {
    id: i64,
    name: String,
    value: i64,
    score: f64,
    active: bool,
}

#[allow(dead_code)]
struct PlainUser {
    id: i64,
    name: String,
    email: String,
}

#[allow(dead_code)]
struct PlainPost {
    id: i64,
    user_id: i64,
    title: String,
    body: String,
}

#[allow(dead_code)]
struct PlainComment {
    id: i64,
    post_id: i64,
    body: String,
    score: i32,
}

const N: usize = 10_000;

fn record_of(r: &sqlx::postgres::PgRow) -> PlainRecord {
    PlainRecord { id: r.get(0), name: r.get(1), value: r.get(2), score: r.get(3), active: r.get(4) }
}

fn new_records(prefix: &str) -> Vec<Record> {
    (0..N)
        .map(|i| Record {
            name: format!("{prefix}{i}"),
            value: i as i64 * 7,
            score: i as f64 / 3.0,
            active: i % 2 == 0,
            ..Record::defaults()
        })
        .collect()
}

/// Runs both once to warm up, then `runs` times each, alternating which goes first, so that drift
/// on a busy machine falls on both alike; the two medians.
async fn paired<A, FA, B, FB>(runs: usize, mut a: A, mut b: B) -> (Duration, Duration)
where
    A: FnMut() -> FA,
    FA: std::future::Future<Output = Duration>,
    B: FnMut() -> FB,
    FB: std::future::Future<Output = Duration>,
{
    a().await;
    b().await;
    let (mut ta, mut tb) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for i in 0..runs {
        if i % 2 == 0 {
            ta.push(a().await);
            tb.push(b().await);
        } else {
            tb.push(b().await);
            ta.push(a().await);
        }
    }
    ta.sort();
    tb.sort();
    (ta[ta.len() / 2], tb[tb.len() / 2])
}

async fn timed<T>(fut: impl std::future::Future<Output = T>) -> (Duration, T) {
    let start = Instant::now();
    let out = fut.await;
    (start.elapsed(), out)
}

struct Bench {
    db: Db,
    pool: sqlx::PgPool,
    keys: Vec<i64>,
    runs: usize,
}

impl Bench {
    async fn get_by_key_teapot(&self) -> Duration {
        timed(async {
            for &k in &self.keys {
                let r = Record::objects().filter(Record::id().eq(k)).get(&self.db).await.expect("get");
                assert_eq!(r.id, k);
            }
        })
        .await
        .0
    }

    async fn get_by_key_sqlx(&self) -> Duration {
        timed(async {
            for &k in &self.keys {
                let row = sqlx::query("SELECT id, name, value, score, active FROM bench_record WHERE id = $1")
                    .bind(k)
                    .fetch_one(&self.pool)
                    .await
                    .expect("get");
                let r = record_of(&row);
                assert_eq!(r.id, k);
            }
        })
        .await
        .0
    }

    async fn fetch_teapot(&self) -> Duration {
        let (t, rows) = timed(Record::objects().all(&self.db)).await;
        assert_eq!(rows.expect("fetch").len(), N);
        t
    }

    async fn fetch_sqlx(&self) -> Duration {
        let (t, rows) = timed(async {
            let rows = sqlx::query("SELECT id, name, value, score, active FROM bench_record").fetch_all(&self.pool).await.expect("fetch");
            rows.iter().map(record_of).collect::<Vec<_>>()
        })
        .await;
        assert_eq!(rows.len(), N);
        t
    }

    async fn truncate_entries(&self) {
        sqlx::query("TRUNCATE bench_entry").execute(&self.pool).await.expect("truncate");
    }

    async fn insert_teapot(&self) -> Duration {
        self.truncate_entries().await;
        let mut rows: Vec<Entry> =
            new_records("t").into_iter().map(|r| Entry { id: 0, name: r.name, value: r.value, score: r.score, active: r.active }).collect();
        let (t, res) = timed(bulk_create(&self.db, &mut rows)).await;
        res.expect("bulk_create");
        assert!(rows.iter().all(|r| r.id > 0));
        t
    }

    async fn insert_sqlx(&self) -> Duration {
        self.truncate_entries().await;
        let mut rows: Vec<PlainRecord> = new_records("s")
            .into_iter()
            .map(|r| PlainRecord { id: 0, name: r.name, value: r.value, score: r.score, active: r.active })
            .collect();
        let (t, _) = timed(async {
            for batch in rows.chunks_mut(1000) {
                let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("INSERT INTO bench_entry (name, value, score, active) ");
                qb.push_values(batch.iter(), |mut b, r| {
                    b.push_bind(r.name.clone()).push_bind(r.value).push_bind(r.score).push_bind(r.active);
                });
                qb.push(" RETURNING id");
                let ids = qb.build().fetch_all(&self.pool).await.expect("insert");
                for (r, row) in batch.iter_mut().zip(ids.iter()) {
                    r.id = row.get(0);
                }
            }
        })
        .await;
        assert!(rows.iter().all(|r| r.id > 0));
        t
    }

    async fn prefetch_teapot(&self) -> Duration {
        let (t, n) = timed(async {
            let comments = Comment::objects().prefetch_related(&["post"]).all(&self.db).await.expect("comments");
            let mut user_keys: Vec<i64> = comments.iter().map(|c| *c.post.get().expect("post").user.key()).collect();
            user_keys.sort_unstable();
            user_keys.dedup();
            let users: HashMap<i64, User> = User::objects()
                .filter(User::id().is_in(user_keys))
                .all(&self.db)
                .await
                .expect("users")
                .into_iter()
                .map(|u| (u.id, u))
                .collect();
            comments.iter().map(|c| users[c.post.get().expect("post").user.key()].name.len()).sum::<usize>()
        })
        .await;
        assert!(n > 0);
        t
    }

    async fn prefetch_sqlx(&self) -> Duration {
        let (t, n) = timed(async {
            let comments: Vec<PlainComment> = sqlx::query("SELECT id, post_id, body, score FROM bench_comment")
                .fetch_all(&self.pool)
                .await
                .expect("comments")
                .iter()
                .map(|r| PlainComment { id: r.get(0), post_id: r.get(1), body: r.get(2), score: r.get(3) })
                .collect();
            let mut post_ids: Vec<i64> = comments.iter().map(|c| c.post_id).collect();
            post_ids.sort_unstable();
            post_ids.dedup();
            let posts: HashMap<i64, Arc<PlainPost>> = sqlx::query("SELECT id, user_id, title, body FROM bench_post WHERE id = ANY($1)")
                .bind(&post_ids)
                .fetch_all(&self.pool)
                .await
                .expect("posts")
                .iter()
                .map(|r| (r.get(0), Arc::new(PlainPost { id: r.get(0), user_id: r.get(1), title: r.get(2), body: r.get(3) })))
                .collect();
            let mut user_ids: Vec<i64> = posts.values().map(|p| p.user_id).collect();
            user_ids.sort_unstable();
            user_ids.dedup();
            let users: HashMap<i64, PlainUser> = sqlx::query("SELECT id, name, email FROM bench_user WHERE id = ANY($1)")
                .bind(&user_ids)
                .fetch_all(&self.pool)
                .await
                .expect("users")
                .iter()
                .map(|r| (r.get(0), PlainUser { id: r.get(0), name: r.get(1), email: r.get(2) }))
                .collect();
            comments.iter().map(|c| users[&posts[&c.post_id].user_id].name.len()).sum::<usize>()
        })
        .await;
        assert!(n > 0);
        t
    }

    async fn nested_teapot(&self) -> Duration {
        let (t, n) = timed(async {
            let users = User::objects().prefetch_related(&["posts__comments"]).all(&self.db).await.expect("users");
            users
                .iter()
                .map(|u| u.posts.get().expect("posts").iter().map(|p| p.comments.get().expect("comments").len()).sum::<usize>())
                .sum::<usize>()
        })
        .await;
        assert_eq!(n, N);
        t
    }

    async fn nested_sqlx(&self) -> Duration {
        struct U {
            _id: i64,
            _name: String,
            _email: String,
            posts: Vec<P>,
        }
        struct P {
            _id: i64,
            _title: String,
            _body: String,
            comments: Vec<PlainComment>,
        }
        let (t, n) = timed(async {
            let rows = sqlx::query("SELECT id, name, email FROM bench_user ORDER BY id").fetch_all(&self.pool).await.expect("users");
            let user_ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
            let posts = sqlx::query("SELECT id, user_id, title, body FROM bench_post WHERE user_id = ANY($1) ORDER BY id")
                .bind(&user_ids)
                .fetch_all(&self.pool)
                .await
                .expect("posts");
            let post_ids: Vec<i64> = posts.iter().map(|r| r.get(0)).collect();
            let comments = sqlx::query("SELECT id, post_id, body, score FROM bench_comment WHERE post_id = ANY($1) ORDER BY id")
                .bind(&post_ids)
                .fetch_all(&self.pool)
                .await
                .expect("comments");
            let mut by_post: HashMap<i64, Vec<PlainComment>> = HashMap::new();
            for r in &comments {
                let c = PlainComment { id: r.get(0), post_id: r.get(1), body: r.get(2), score: r.get(3) };
                by_post.entry(c.post_id).or_default().push(c);
            }
            let mut by_user: HashMap<i64, Vec<P>> = HashMap::new();
            for r in &posts {
                let id: i64 = r.get(0);
                by_user.entry(r.get(1)).or_default().push(P {
                    _id: id,
                    _title: r.get(2),
                    _body: r.get(3),
                    comments: by_post.remove(&id).unwrap_or_default(),
                });
            }
            let users: Vec<U> = rows
                .iter()
                .map(|r| {
                    let id: i64 = r.get(0);
                    U { _id: id, _name: r.get(1), _email: r.get(2), posts: by_user.remove(&id).unwrap_or_default() }
                })
                .collect();
            users.iter().map(|u| u.posts.iter().map(|p| p.comments.len()).sum::<usize>()).sum::<usize>()
        })
        .await;
        assert_eq!(n, N);
        t
    }

    async fn select_related_teapot(&self) -> Duration {
        let (t, rows) = timed(Comment::objects().select_related(&["post"]).all(&self.db)).await;
        let rows = rows.expect("comments");
        assert!(rows.len() == N && rows[0].post.is_loaded());
        t
    }

    async fn select_related_sqlx(&self) -> Duration {
        let (t, rows) = timed(async {
            sqlx::query("SELECT c.id, c.post_id, c.body, c.score, p.id, p.user_id, p.title, p.body FROM bench_comment c JOIN bench_post p ON p.id = c.post_id")
                .fetch_all(&self.pool)
                .await
                .expect("comments")
                .iter()
                .map(|r| {
                    let c = PlainComment { id: r.get(0), post_id: r.get(1), body: r.get(2), score: r.get(3) };
                    (c, Arc::new(PlainPost { id: r.get(4), user_id: r.get(5), title: r.get(6), body: r.get(7) }))
                })
                .collect::<Vec<_>>()
        })
        .await;
        assert_eq!(rows.len(), N);
        t
    }
}

async fn migrate(url: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("models")).expect("mkdir");
    std::fs::write(dir.path().join("models/bench.rs"), format!("use teapot::prelude::*;\n\n{MODELS_SRC}\n")).expect("write models");
    std::fs::write(dir.path().join("teapot.toml"), "[apps.bench]\nmodels = [\"models/bench.rs\"]\n").expect("write toml");
    let config = Config::load(Some(&dir.path().join("teapot.toml"))).expect("config");
    make_migrations(&config, &MakeOptions::default(), &mut FlagQuestioner::default()).expect("makemigrations");
    let graph = load_graph(&config).expect("graph");
    let steps = plan(&graph, &Default::default(), &Target::default()).expect("plan");
    let mut conn = Conn::open(url).await.expect("connect");
    execute(&mut conn, &graph, &steps, false, &mut |_| {}).await.expect("migrate");
    conn.close().await;
}

async fn fill(db: &Db) -> Vec<i64> {
    let mut records = new_records("r");
    bulk_create(db, &mut records).await.expect("records");
    let mut users: Vec<User> =
        (0..100).map(|i| User { name: format!("user {i}"), email: format!("u{i}@example.com"), ..User::defaults() }).collect();
    bulk_create(db, &mut users).await.expect("users");
    let mut posts: Vec<Post> = users
        .iter()
        .flat_map(|u| {
            (0..10).map(move |j| Post {
                user: ForeignKey::from(u),
                title: format!("post {j} of {}", u.id),
                body: "lorem ipsum ".repeat(10),
                ..Post::defaults()
            })
        })
        .collect();
    bulk_create(db, &mut posts).await.expect("posts");
    let mut comments: Vec<Comment> = posts
        .iter()
        .flat_map(|p| {
            (0..10).map(move |j| Comment {
                post: ForeignKey::from(p),
                body: format!("comment {j} on {}", p.id),
                score: j,
                ..Comment::defaults()
            })
        })
        .collect();
    bulk_create(db, &mut comments).await.expect("comments");
    records.iter().map(|r| r.id).collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut url = std::env::var("TEAPOT_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut runs = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--database-url" => url = args.next().expect("--database-url URL"),
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            other => panic!("unknown argument {other}; usage: orm_bench [--database-url URL] [--runs N]"),
        }
    }
    let base = url.rsplit_once('/').map(|(b, _)| b.to_string()).expect("a URL with a database");
    let bench_url = format!("{base}/teapot_orm_bench");
    let mut admin = Conn::open(&url).await.expect("connect");
    let _ = admin.run("DROP DATABASE IF EXISTS teapot_orm_bench WITH (FORCE)").await;
    admin.run("CREATE DATABASE teapot_orm_bench").await.expect("create bench database");

    migrate(&bench_url).await;
    let db = Db::connect(&bench_url).await.expect("teapot connects");
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(10).connect(&bench_url).await.expect("sqlx connects");
    let keys = fill(&db).await;
    sqlx::query("ANALYZE").execute(&pool).await.expect("analyze");
    let b = Bench { db, pool, keys, runs };

    println!("orm_bench: teapot vs hand-written sqlx, PostgreSQL, median of {} runs (after a warm-up)", b.runs);
    println!("{:<52} {:>12} {:>12} {:>13}", "operation", "teapot ms", "sqlx ms", "teapot/sqlx");
    let row = |name: &str, t: Duration, s: Duration| {
        let (t, s) = (t.as_secs_f64() * 1e3, s.as_secs_f64() * 1e3);
        println!("{name:<52} {t:>12.2} {s:>12.2} {:>12.2}x", t / s);
    };
    let (t, x) = paired(b.runs, || b.get_by_key_teapot(), || b.get_by_key_sqlx()).await;
    row("get one row by key, 10,000 times", t, x);
    let (t, x) = paired(b.runs, || b.fetch_teapot(), || b.fetch_sqlx()).await;
    row("fetch 10,000 rows into structs", t, x);
    let (t, x) = paired(b.runs, || b.insert_teapot(), || b.insert_sqlx()).await;
    row("bulk insert 10,000 rows (keys read back)", t, x);
    let (t, x) = paired(b.runs, || b.prefetch_teapot(), || b.prefetch_sqlx()).await;
    row("10,000 comments + post + user, 3 queries (prefetch)", t, x);
    let (t, x) = paired(b.runs, || b.nested_teapot(), || b.nested_sqlx()).await;
    row("users -> posts -> comments, nested prefetch (3 queries)", t, x);
    let (t, x) = paired(b.runs, || b.select_related_teapot(), || b.select_related_sqlx()).await;
    row("10,000 comments + post, 1 JOIN (select_related)", t, x);

    drop(b);
    let _ = admin.run("DROP DATABASE IF EXISTS teapot_orm_bench WITH (FORCE)").await;
    admin.close().await;
}
