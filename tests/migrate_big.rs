//! A big project against a default-configured PostgreSQL (max_locks_per_transaction = 64): 2000
//! models in one initial migration take more locks than one transaction may hold (in one
//! transaction it fails with "out of shared memory" past about 1800 of these models on this
//! machine's server), so the migration runs in several transactions, each recorded; a run stopped
//! half way goes on from there. `sqlmigrate` prints the same transactions.

mod common;

use common::cli::teapot;
use common::db::TestDb;
use common::generated::generate;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_models_migrate_on_a_default_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(dir.path(), 2000);
    teapot(dir.path(), &["makemigrations", "--noinput"]).ok();
    let db = TestDb::postgres().await;
    let printed = teapot(dir.path(), &["sqlmigrate", "bench", "0001", "--database-url", &db.url]);
    let sql = printed.ok();
    assert!(sql.contains("it runs in") && sql.matches("BEGIN;").count() > 1, "sqlmigrate prints the transactions");

    // Stopped half way: the first transactions are kept, the rerun goes on from there.
    db.exec("CREATE TABLE bench_model600 (id integer)").await; // in the way of transaction 2 or later
    let out = teapot(dir.path(), &["migrate", "--database-url", &db.url]);
    out.fails_with(1);
    out.says(&["bench_model600", "already exists", "transactions before it are kept"]);
    let kept = db.column("SELECT count(*)::text FROM pg_tables WHERE tablename LIKE 'bench_model%'").await;
    let kept: usize = kept[0].as_deref().unwrap_or("0").parse().expect("count");
    assert!(kept > 1, "the transactions before the failure are kept ({kept} tables)");
    db.exec("DROP TABLE bench_model600").await;

    let out = teapot(dir.path(), &["migrate", "--database-url", &db.url]);
    let text = out.ok();
    assert!(text.contains("transactions of at most"), "{out}");
    let tables = db.column("SELECT count(*)::text FROM pg_tables WHERE tablename LIKE 'bench_model%'").await;
    assert_eq!(tables, [Some("2000".to_string())]);
    let fks = db.column("SELECT count(*)::text FROM pg_constraint WHERE contype = 'f'").await;
    assert_eq!(fks, [Some("2000".to_string())], "every model's foreign key (the first points at itself)");
    let shown = teapot(dir.path(), &["showmigrations", "--database-url", &db.url]);
    assert!(shown.ok().contains("[X] 0001_initial"), "{shown}");
    assert!(
        db.column("SELECT count(*)::text FROM teapot_online_progress").await == [Some("0".to_string())],
        "no progress left once applied"
    );
}
