//! Django's `transactions` tests. `transaction.atomic` (decorator or context manager) is
//! `db.atomic(|tx| async move { ... })`; an exception raised in the block is an `Err` returned
//! from it; a nested block is `tx.atomic(...)` (a savepoint). Django's "reuse" tests enter one
//! atomic object twice, nested: teapot has no atomic object, so they nest one helper twice.
//! Reporter's Meta.ordering (`first_name, last_name`) is spelled out.

use std::future::Future;

use crate::common::db::TestDb;
use teapot::prelude::*;
use teapot::{Error, ErrorKind};

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "transactions")]
    pub struct Reporter {
        pub id: i64,
        #[teapot(max_length = 30)]
        pub first_name: String,
        #[teapot(max_length = 30)]
        pub last_name: String,
        #[teapot(max_length = 254)]
        pub email: String,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "transactions", MODELS_SRC).await
}

suite!(
    test_decorator_syntax_commit,
    test_decorator_syntax_rollback,
    test_alternate_decorator_syntax_commit,
    test_alternate_decorator_syntax_rollback,
    test_commit,
    test_rollback,
    test_nested_commit_commit,
    test_nested_commit_rollback,
    test_nested_rollback_commit,
    test_nested_rollback_rollback,
    test_reuse_commit_commit,
    test_reuse_commit_rollback,
    test_reuse_rollback_commit,
    test_reuse_rollback_rollback,
    test_atomic_prevents_queries_in_broken_transaction,
);

async fn create(db: &Db, first: &str, last: &str) -> teapot::Result<Reporter> {
    let mut r = Reporter { first_name: first.into(), last_name: last.into(), ..Reporter::defaults() };
    r.create(db).await?;
    Ok(r)
}

fn oops(whose: &str) -> Error {
    Error::new(ErrorKind::Usage, format!("Oops, that's his {whose}"))
}

fn assert_oops<T: std::fmt::Debug>(r: teapot::Result<T>) {
    let e = r.expect_err("the block failed");
    assert!(e.message.contains("Oops"), "{e}");
}

/// The reporters' keys, in Meta.ordering.
async fn all(db: &Db) -> teapot::Result<Vec<i64>> {
    let q = Reporter::objects().order_by(Reporter::first_name().asc()).order_by(Reporter::last_name().asc());
    Ok(q.all(db).await?.iter().map(|r| r.id).collect())
}

/// The one atomic "object" the reuse tests enter twice.
async fn atomic<T, F, Fut>(db: &Db, f: F) -> teapot::Result<T>
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = teapot::Result<T>>,
{
    db.atomic(f).await
}

/// Django: transactions.tests.AtomicTests.test_decorator_syntax_commit
async fn test_decorator_syntax_commit(db: Db) -> R {
    async fn make_reporter(db: &Db) -> teapot::Result<Reporter> {
        db.atomic(|tx| async move { create(&tx, "Tintin", "").await }).await
    }
    let reporter = make_reporter(&db).await?;
    assert_eq!(all(&db).await?, [reporter.id]);
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_decorator_syntax_rollback
async fn test_decorator_syntax_rollback(db: Db) -> R {
    async fn make_reporter(db: &Db) -> teapot::Result<Reporter> {
        db.atomic(|tx| async move {
            create(&tx, "Haddock", "").await?;
            Err(oops("last name"))
        })
        .await
    }
    assert_oops(make_reporter(&db).await);
    assert!(all(&db).await?.is_empty());
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_alternate_decorator_syntax_commit
async fn test_alternate_decorator_syntax_commit(db: Db) -> R {
    // `@transaction.atomic()` and `@transaction.atomic` are one thing in teapot: the same call.
    let reporter = db.atomic(|tx| async move { create(&tx, "Tintin", "").await }).await?;
    assert_eq!(all(&db).await?, [reporter.id]);
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_alternate_decorator_syntax_rollback
async fn test_alternate_decorator_syntax_rollback(db: Db) -> R {
    let r: teapot::Result<Reporter> = db
        .atomic(|tx| async move {
            create(&tx, "Haddock", "").await?;
            Err(oops("last name"))
        })
        .await;
    assert_oops(r);
    assert!(all(&db).await?.is_empty());
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_commit
async fn test_commit(db: Db) -> R {
    let reporter = db.atomic(|tx| async move { create(&tx, "Tintin", "").await }).await?;
    assert_eq!(all(&db).await?, [reporter.id]);
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_rollback
async fn test_rollback(db: Db) -> R {
    let r: teapot::Result<()> = db
        .atomic(|tx| async move {
            create(&tx, "Haddock", "").await?;
            Err(oops("last name"))
        })
        .await;
    assert_oops(r);
    assert!(all(&db).await?.is_empty());
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_nested_commit_commit
async fn test_nested_commit_commit(db: Db) -> R {
    let (r1, r2) = db
        .atomic(|tx| async move {
            let r1 = create(&tx, "Tintin", "").await?;
            let r2 = tx.atomic(|sp| async move { create(&sp, "Archibald", "Haddock").await }).await?;
            Ok((r1, r2))
        })
        .await?;
    assert_eq!(all(&db).await?, [r2.id, r1.id]);
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_nested_commit_rollback
async fn test_nested_commit_rollback(db: Db) -> R {
    let reporter = db
        .atomic(|tx| async move {
            let reporter = create(&tx, "Tintin", "").await?;
            let inner: teapot::Result<()> = tx
                .atomic(|sp| async move {
                    create(&sp, "Haddock", "").await?;
                    Err(oops("last name"))
                })
                .await;
            assert_oops(inner);
            Ok(reporter)
        })
        .await?;
    assert_eq!(all(&db).await?, [reporter.id]);
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_nested_rollback_commit
async fn test_nested_rollback_commit(db: Db) -> R {
    let r: teapot::Result<()> = db
        .atomic(|tx| async move {
            create(&tx, "", "Tintin").await?;
            tx.atomic(|sp| async move { create(&sp, "", "Haddock").await }).await?;
            Err(oops("first name"))
        })
        .await;
    assert_oops(r);
    assert!(all(&db).await?.is_empty());
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_nested_rollback_rollback
async fn test_nested_rollback_rollback(db: Db) -> R {
    let r: teapot::Result<()> = db
        .atomic(|tx| async move {
            create(&tx, "", "Tintin").await?;
            let inner: teapot::Result<()> = tx
                .atomic(|sp| async move {
                    create(&sp, "Haddock", "").await?;
                    Err(oops("last name"))
                })
                .await;
            assert_oops(inner);
            Err(oops("first name"))
        })
        .await;
    assert_oops(r);
    assert!(all(&db).await?.is_empty());
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_reuse_commit_commit
async fn test_reuse_commit_commit(db: Db) -> R {
    let (r1, r2) = atomic(&db, |tx| async move {
        let r1 = create(&tx, "Tintin", "").await?;
        let r2 = atomic(&tx, |sp| async move { create(&sp, "Archibald", "Haddock").await }).await?;
        Ok((r1, r2))
    })
    .await?;
    assert_eq!(all(&db).await?, [r2.id, r1.id]);
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_reuse_commit_rollback
async fn test_reuse_commit_rollback(db: Db) -> R {
    let reporter = atomic(&db, |tx| async move {
        let reporter = create(&tx, "Tintin", "").await?;
        let inner: teapot::Result<()> = atomic(&tx, |sp| async move {
            create(&sp, "Haddock", "").await?;
            Err(oops("last name"))
        })
        .await;
        assert_oops(inner);
        Ok(reporter)
    })
    .await?;
    assert_eq!(all(&db).await?, [reporter.id]);
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_reuse_rollback_commit
async fn test_reuse_rollback_commit(db: Db) -> R {
    let r: teapot::Result<()> = atomic(&db, |tx| async move {
        create(&tx, "", "Tintin").await?;
        atomic(&tx, |sp| async move { create(&sp, "", "Haddock").await }).await?;
        Err(oops("first name"))
    })
    .await;
    assert_oops(r);
    assert!(all(&db).await?.is_empty());
    Ok(())
}

/// Django: transactions.tests.AtomicTests.test_reuse_rollback_rollback
async fn test_reuse_rollback_rollback(db: Db) -> R {
    let r: teapot::Result<()> = atomic(&db, |tx| async move {
        create(&tx, "", "Tintin").await?;
        let inner: teapot::Result<()> = atomic(&tx, |sp| async move {
            create(&sp, "Haddock", "").await?;
            Err(oops("last name"))
        })
        .await;
        assert_oops(inner);
        Err(oops("first name"))
    })
    .await;
    assert_oops(r);
    assert!(all(&db).await?.is_empty());
    Ok(())
}

/// Django: transactions.tests.AtomicErrorsTests.test_atomic_prevents_queries_in_broken_transaction
async fn test_atomic_prevents_queries_in_broken_transaction(db: Db) -> R {
    let r1 = create(&db, "Archibald", "Haddock").await?;
    let id = r1.id;
    let r: teapot::Result<()> = db
        .atomic(|tx| async move {
            let mut r2 = Reporter { id, first_name: "Cuthbert".into(), last_name: "Calculus".into(), ..Reporter::defaults() };
            // save(force_insert=True): create().
            let e = r2.create(&tx).await.expect_err("duplicate key");
            assert!(e.is_unique_violation(), "{e}");
            // The transaction is marked as needing rollback: save(force_update=True) is refused,
            // saying what broke it.
            let e = r2.save(&tx).await.expect_err("broken transaction");
            assert_eq!(e.kind, ErrorKind::TransactionBroken, "{e}");
            Err(e)
        })
        .await;
    assert_eq!(r.expect_err("rolled back").kind, ErrorKind::TransactionBroken);
    assert_eq!(Reporter::objects().filter(Reporter::id().eq(r1.id)).get(&db).await?.last_name, "Haddock");
    Ok(())
}
