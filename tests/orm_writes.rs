//! Writes that must be all or nothing, and values that must come back as they were written: the
//! transaction rules (dropped guards, broken transactions, BEGIN IMMEDIATE), bulk_create,
//! get_or_create under a race, and what SQLite stores for datetimes and decimals (issue 12). The
//! same tests on PostgreSQL and SQLite (`postgres::<name>` and `sqlite::<name>`).

#[macro_use]
mod common;

use std::sync::Arc;

use common::db::TestDb;
use teapot::orm::instance::{bulk_create, get_or_create};
use teapot::prelude::*;
use teapot::Dialect;
use teapot::{Error, ErrorKind};

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "wr")]
    pub struct Member {
        pub id: i64,
        #[teapot(max_length = 100, unique)]
        pub name: String,
        #[teapot(default = 0)]
        pub visits: i32,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "wr")]
    pub struct Greeting {
        pub id: i64,
        #[teapot(max_length = 50, db_default = "'hello'")]
        pub text: String,
        pub note: Option<String>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "wr")]
    pub struct Shelf {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        pub slots: Reverse<Slot>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "wr")]
    pub struct Slot {
        pub id: i64,
        #[teapot(on_delete = "restrict", related_name = "slots")]
        pub shelf: ForeignKey<Shelf>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "wr")]
    pub struct Stamp {
        pub id: i64,
        #[teapot(max_length = 20)]
        pub label: String,
        #[teapot(db_default = "CURRENT_TIMESTAMP")]
        pub at: DateTime<Utc>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "wr")]
    pub struct Price {
        pub id: i64,
        #[teapot(max_digits = 10, decimal_places = 2)]
        pub amount: Decimal,
        #[teapot(max_digits = 12, decimal_places = 4)]
        pub rate: Option<Decimal>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "wr")]
    pub struct Label {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "wr")]
    pub struct Parcel {
        pub id: i64,
        #[teapot(related_name = "parcels")]
        pub labels: ManyToMany<Label>,
    }
}

async fn setup(t: &TestDb) -> Db {
    common::db::orm_db(t, "wr", MODELS_SRC).await
}

suite!(
    dropped_guards_roll_back,
    failed_statement_breaks_the_transaction,
    failure_in_a_rolled_back_savepoint_keeps_the_transaction,
    immediate_transactions_let_concurrent_writers_wait,
    bulk_create_is_all_or_nothing,
    bulk_create_stores_db_defaults_and_explicit_empty_strings,
    get_or_create_under_a_race_creates_once,
    restrict_refusal_is_a_foreign_key_violation,
    datetimes_order_with_current_timestamp,
    decimals_keep_their_scale,
    many_to_many_not_loaded_hint_says_prefetch_related,
    atomic_blocks_borrow_what_the_caller_has,
    on_commit_runs_after_the_commit_only,
    bulk_create_upserts_and_batches,
    save_fields_writes_only_those_columns,
);

fn kind<T: std::fmt::Debug>(r: teapot::Result<T>) -> ErrorKind {
    r.expect_err("expected an error").kind
}

fn member(name: &str) -> Member {
    Member { name: name.into(), ..Member::defaults() }
}

async fn names(db: &Db) -> teapot::Result<Vec<String>> {
    Member::objects().order_by(Member::name().asc()).values_list(db, (Member::name(),)).await.map(|v| v.into_iter().map(|(n,)| n).collect())
}

async fn dropped_guards_roll_back(db: Db) -> R {
    let tx = db.begin().await?;
    member("outer").create(&tx).await?;
    {
        let sp = tx.begin().await?;
        member("in the dropped savepoint").create(&sp).await?;
        // A clone of the guard is the same savepoint: dropping both ends it.
        let again = sp.clone();
        member("through a clone").create(&again).await?;
    }
    assert_eq!(names(&tx).await?, ["outer"], "the dropped savepoint's writes are gone inside");
    // The next savepoint is a fresh one, and commits.
    let sp = tx.begin().await?;
    member("kept").create(&sp).await?;
    sp.commit().await?;
    tx.commit().await?;
    assert_eq!(names(&db).await?, ["kept", "outer"]);

    let tx = db.begin().await?;
    member("in the dropped transaction").create(&tx).await?;
    drop(tx);
    assert_eq!(names(&db).await?, ["kept", "outer"]);
    Ok(())
}

async fn failed_statement_breaks_the_transaction(db: Db) -> R {
    member("taken").create(&db).await?;

    let tx = db.begin().await?;
    member("before").create(&tx).await?;
    let e = member("taken").create(&tx).await.expect_err("duplicate");
    assert!(e.is_unique_violation(), "{e}");
    let after = member("after").create(&tx).await.expect_err("the transaction is broken");
    assert_eq!(after.kind, ErrorKind::TransactionBroken, "{after}");
    assert!(after.message.contains("taken") || after.message.contains("unique") || after.message.contains("UNIQUE"), "{after}");
    let e = tx.commit().await.expect_err("commit of a broken transaction");
    assert_eq!(e.kind, ErrorKind::TransactionBroken, "{e}");
    assert!(e.hint.is_some(), "{e:?}");
    assert_eq!(names(&db).await?, ["taken"], "nothing of the broken transaction is kept");

    // atomic: the closure swallows the error and returns Ok; atomic still refuses.
    let r = db
        .atomic(|tx| async move {
            member("swallowed").create(&tx).await?;
            let _ = member("taken").create(&tx).await;
            Ok(())
        })
        .await;
    assert_eq!(kind(r), ErrorKind::TransactionBroken);
    assert_eq!(names(&db).await?, ["taken"]);

    // The pool is fine afterwards.
    member("later").create(&db).await?;
    assert_eq!(names(&db).await?, ["later", "taken"]);
    Ok(())
}

async fn failure_in_a_rolled_back_savepoint_keeps_the_transaction(db: Db) -> R {
    member("taken").create(&db).await?;
    let tx = db.begin().await?;
    member("a").create(&tx).await?;
    let sp = tx.begin().await?;
    member("in the savepoint").create(&sp).await?;
    assert!(member("taken").create(&sp).await.expect_err("duplicate").is_unique_violation());
    sp.rollback().await?;
    member("b").create(&tx).await?;

    // A savepoint that failed and is then committed refuses, rolls itself back, and the
    // transaction goes on.
    let sp = tx.begin().await?;
    member("lost").create(&sp).await?;
    let _ = member("taken").create(&sp).await.expect_err("duplicate");
    assert_eq!(kind(sp.commit().await), ErrorKind::TransactionBroken);
    member("c").create(&tx).await?;

    // Nested atomic: the inner error rolls the savepoint back; the outer commits.
    tx.atomic(|sp| async move { member("taken").create(&sp).await }).await.expect_err("duplicate");
    member("d").create(&tx).await?;
    tx.commit().await?;
    assert_eq!(names(&db).await?, ["a", "b", "c", "d", "taken"]);
    Ok(())
}

async fn immediate_transactions_let_concurrent_writers_wait(db: Db) -> R {
    // Read, then write: a deferred SQLite transaction holds a read snapshot when it asks to write,
    // and a concurrent writer makes that fail at once ("database is locked") whatever the
    // busy_timeout. BEGIN IMMEDIATE takes the write lock first, so the others wait their turn.
    member("counter").create(&db).await?;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.atomic_immediate(|tx| async move {
                let mut m = Member::objects().filter(Member::name().eq("counter")).get(&tx).await?;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                m.visits += 1;
                m.save(&tx).await
            })
            .await
        }));
    }
    for t in tasks {
        t.await.expect("task")?;
    }
    let m = Member::objects().filter(Member::name().eq("counter")).get(&db).await?;
    if db.dialect() == Dialect::Sqlite {
        // One writer at a time: no update is lost.
        assert_eq!(m.visits, 8);
    } else {
        // PostgreSQL has no BEGIN IMMEDIATE: an ordinary transaction, which does not serialize
        // read-then-write (use select_for_update for that); every task still succeeds.
        assert!((1..=8).contains(&m.visits));
    }
    // Nested, it is a savepoint like any other.
    db.atomic(|tx| async move { tx.atomic_immediate(|sp| async move { member("nested").create(&sp).await }).await }).await?;
    assert_eq!(names(&db).await?, ["counter", "nested"]);
    Ok(())
}

async fn bulk_create_is_all_or_nothing(db: Db) -> R {
    let mut rows: Vec<Member> = (0..1500).map(|i| member(&format!("m{i:04}"))).collect();
    rows[1400].name = "m0001".into();
    let e = bulk_create(&db, &mut rows).await.expect_err("duplicate in the second batch");
    assert!(e.is_unique_violation(), "{e}");
    assert_eq!(Member::objects().count(&db).await?, 0, "the first batch is rolled back too");

    // Inside a transaction: a savepoint, so the transaction goes on.
    let tx = db.begin().await?;
    member("kept").create(&tx).await?;
    let mut rows: Vec<Member> = (0..1500).map(|i| member(&format!("m{i:04}"))).collect();
    rows[1400].name = "m0001".into();
    assert!(bulk_create(&tx, &mut rows).await.expect_err("duplicate").is_unique_violation());
    member("after").create(&tx).await?;
    tx.commit().await?;
    assert_eq!(names(&db).await?, ["after", "kept"]);

    // And when it works, every row is there with its key.
    let mut rows: Vec<Member> = (0..1500).map(|i| member(&format!("m{i:04}"))).collect();
    bulk_create(&db, &mut rows).await?;
    assert!(rows.iter().all(|m| m.id > 0));
    assert_eq!(Member::objects().count(&db).await?, 1502);
    Ok(())
}

async fn bulk_create_stores_db_defaults_and_explicit_empty_strings(db: Db) -> R {
    let mut batch = vec![
        Greeting { note: Some("unset".into()), ..Greeting::defaults() },
        Greeting { text: "yo".into(), note: Some("set".into()), ..Greeting::defaults() },
        Greeting { text: String::new(), note: Some("empty".into()), ..Greeting::defaults() },
        Greeting { note: Some("unset again".into()), ..Greeting::defaults() },
    ];
    bulk_create(&db, &mut batch).await?;
    let got: Vec<&str> = batch.iter().map(|g| g.text.as_str()).collect();
    assert_eq!(got, ["hello", "yo", "", "hello"], "read back into the rows");
    let mut one = Greeting { text: String::new(), note: Some("single empty".into()), ..Greeting::defaults() };
    one.create(&db).await?;
    assert_eq!(one.text, "");
    let mut unset = Greeting { note: Some("single unset".into()), ..Greeting::defaults() };
    unset.create(&db).await?;
    assert_eq!(unset.text, "hello");
    let stored: Vec<(String, Option<String>)> =
        Greeting::objects().order_by(Greeting::id().asc()).values_list(&db, (Greeting::text(), Greeting::note())).await?;
    let stored: Vec<(&str, &str)> = stored.iter().map(|(t, n)| (t.as_str(), n.as_deref().unwrap_or(""))).collect();
    assert_eq!(
        stored,
        [("hello", "unset"), ("yo", "set"), ("", "empty"), ("hello", "unset again"), ("", "single empty"), ("hello", "single unset")]
    );
    Ok(())
}

async fn get_or_create_under_a_race_creates_once(db: Db) -> R {
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (db, start) = (db.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            get_or_create(&db, Member::name().eq("racer"), member("racer")).await
        }));
    }
    let mut created = 0;
    let mut ids = Vec::new();
    for t in tasks {
        let (m, c) = t.await.expect("task")?;
        created += usize::from(c);
        ids.push(m.id);
    }
    assert_eq!(created, 1, "exactly one task creates the row");
    assert!(ids.iter().all(|&i| i == ids[0]), "every task has the same row: {ids:?}");
    assert_eq!(Member::objects().count(&db).await?, 1);

    if db.dialect() == Dialect::Sqlite {
        // SQLite has one writer at a time: a second transaction cannot insert the contested row
        // while the first one holds the file, so there is no race inside a transaction to lose.
        return Ok(());
    }
    // Inside a transaction the lost race must not break it: another transaction inserts the row
    // first; our insert waits for it, fails when it commits, and the retried get finds the row.
    let tx = db.begin().await?;
    member("tx").create(&tx).await?;
    let other = db.begin().await?;
    member("contested").create(&other).await?;
    let tx2 = tx.clone();
    let waiting = tokio::spawn(async move { get_or_create(&tx2, Member::name().eq("contested"), member("contested")).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    other.commit().await?;
    let (m, created) = waiting.await.expect("task")?;
    assert!(!created);
    assert_eq!(m.name, "contested");
    member("after").create(&tx).await?;
    tx.commit().await?;
    assert_eq!(names(&db).await?, ["after", "contested", "racer", "tx"]);
    Ok(())
}

async fn restrict_refusal_is_a_foreign_key_violation(db: Db) -> R {
    let mut shelf = Shelf { name: "top".into(), ..Shelf::defaults() };
    shelf.create(&db).await?;
    Slot { shelf: ForeignKey::from(&shelf), ..Slot::defaults() }.create(&db).await?;
    let e = shelf.delete(&db).await.expect_err("restricted");
    assert_eq!(e.kind, ErrorKind::ForeignKeyViolation, "{e:?}");
    assert!(e.is_foreign_key_violation());
    assert_eq!(Shelf::objects().count(&db).await?, 1);
    Ok(())
}

async fn datetimes_order_with_current_timestamp(db: Db) -> R {
    use chrono::Duration;
    let mut by_db = Stamp { label: "by the database".into(), ..Stamp::defaults() };
    by_db.create(&db).await?;
    let t = by_db.at;
    let mut rows = vec![
        Stamp { label: "earlier".into(), at: t - Duration::milliseconds(500), ..Stamp::defaults() },
        Stamp { label: "later".into(), at: t + Duration::milliseconds(250), ..Stamp::defaults() },
        Stamp { label: "same second".into(), at: t, ..Stamp::defaults() },
        Stamp { label: "next day".into(), at: t + Duration::hours(25), ..Stamp::defaults() },
    ];
    bulk_create(&db, &mut rows).await?;
    let order: Vec<String> = Stamp::objects()
        .order_by(Stamp::at().asc())
        .order_by(Stamp::id().asc())
        .values_list(&db, (Stamp::label(),))
        .await?
        .into_iter()
        .map(|(l,)| l)
        .collect();
    assert_eq!(order, ["earlier", "by the database", "same second", "later", "next day"]);
    let after: Vec<String> = Stamp::objects()
        .filter(Stamp::at().gt(t))
        .order_by(Stamp::at().asc())
        .values_list(&db, (Stamp::label(),))
        .await?
        .into_iter()
        .map(|(l,)| l)
        .collect();
    assert_eq!(after, ["later", "next day"]);
    assert_eq!(Stamp::objects().filter(Stamp::at().eq(t)).count(&db).await?, 2, "the same instant is equal in both forms");
    // Both forms read back to the instant written.
    let back = Stamp::objects().order_by(Stamp::id().asc()).all(&db).await?;
    let instants: Vec<DateTime<Utc>> = back.iter().map(|s| s.at).collect();
    assert_eq!(instants, [t, t - Duration::milliseconds(500), t + Duration::milliseconds(250), t, t + Duration::hours(25)]);
    if db.dialect() == Dialect::Sqlite {
        let stored: Vec<(String,)> = db
            .fetch_all(&format!("SELECT at FROM \"{}\" ORDER BY id", <Stamp as Model>::TABLE), &[])
            .await?
            .iter()
            .map(|r| r.get::<String>(0).map(|s| (s,)))
            .collect::<teapot::Result<_>>()?;
        let text = t.format("%Y-%m-%d %H:%M:%S").to_string();
        assert_eq!(stored[0].0, text, "CURRENT_TIMESTAMP's own form");
        assert_eq!(stored[3].0, text, "no fraction when there is none");
        assert_eq!(stored[2].0, format!("{text}.250000"));
    }
    Ok(())
}

async fn decimals_keep_their_scale(db: Db) -> R {
    let mut rows = vec![
        Price { amount: "12345.50".parse().expect("decimal"), rate: Some("1.5".parse().expect("decimal")), ..Price::defaults() },
        Price { amount: "10.00".parse().expect("decimal"), rate: None, ..Price::defaults() },
        Price { amount: "7".parse().expect("decimal"), rate: Some("0.0001".parse().expect("decimal")), ..Price::defaults() },
    ];
    bulk_create(&db, &mut rows).await?;
    let back = Price::objects().order_by(Price::id().asc()).all(&db).await?;
    let shown: Vec<(String, Option<String>)> = back.iter().map(|p| (p.amount.to_string(), p.rate.map(|r| r.to_string()))).collect();
    assert_eq!(
        shown,
        [
            ("12345.50".to_string(), Some("1.5000".to_string())),
            ("10.00".to_string(), None),
            ("7.00".to_string(), Some("0.0001".to_string()))
        ]
    );
    assert!(back.iter().all(|p| p.amount.scale() == 2));
    Ok(())
}

async fn many_to_many_not_loaded_hint_says_prefetch_related(db: Db) -> R {
    let mut p = Parcel::defaults();
    p.create(&db).await?;
    let got = Parcel::objects().get(&db).await?;
    let e: Error = got.labels.get().expect_err("not fetched");
    assert_eq!(e.kind, ErrorKind::NotLoaded);
    let hint = e.hint.clone().unwrap_or_default();
    assert!(hint.contains(".prefetch_related(&[\"labels\"])"), "{hint}");
    assert!(!hint.contains(".select_related(&[\"labels\"])"), "select_related refuses a many-to-many: {hint}");
    // And what it suggests works.
    let fetched = Parcel::objects().prefetch_related(&["labels"]).get(&db).await?;
    assert!(fetched.labels.get()?.is_empty());
    Ok(())
}

/// An atomic block runs where it is called, so it may borrow the caller's values (no 'static
/// closure, no clone to move in), and what it changed in them stays changed.
async fn atomic_blocks_borrow_what_the_caller_has(db: Db) -> R {
    let mut alice = member("alice");
    let guests = vec![member("bob"), member("carol")];
    let (me, them) = (&mut alice, &guests);
    let created = db
        .atomic(|tx| async move {
            me.create(&tx).await?;
            for g in them {
                g.clone().create(&tx).await?;
            }
            Ok(them.len())
        })
        .await?;
    assert_eq!(created, 2);
    assert!(alice.id > 0, "the borrowed row got its key");
    assert_eq!(names(&db).await?, ["alice", "bob", "carol"]);
    // Rolled back: the borrowed row keeps what the block did to it, the database does not.
    let me = &mut alice;
    let r: teapot::Result<()> = db
        .atomic(|tx| async move {
            me.visits = 5;
            me.save(&tx).await?;
            Err(Error::new(ErrorKind::Usage, "changed my mind"))
        })
        .await;
    assert_eq!(kind(r), ErrorKind::Usage);
    assert_eq!(Member::objects().filter(Member::name().eq("alice")).get(&db).await?.visits, 0);
    Ok(())
}

/// Django: transaction_hooks.tests (test_executes_immediately_if_no_transaction,
/// test_delays_execution_until_after_transaction_commit, test_does_not_execute_if_transaction_rolled_back,
/// test_inner_savepoint_rolled_back_with_outer, test_discards_hooks_from_rolled_back_savepoint).
async fn on_commit_runs_after_the_commit_only(db: Db) -> R {
    let ran = Arc::new(std::sync::Mutex::new(Vec::<&'static str>::new()));
    let hook = |name: &'static str| {
        let ran = ran.clone();
        move || ran.lock().expect("lock").push(name)
    };
    let seen = || ran.lock().expect("lock").clone();
    db.on_commit(hook("no transaction")).await;
    assert_eq!(seen(), ["no transaction"], "outside a transaction it runs at once");

    let tx = db.begin().await?;
    member("a").create(&tx).await?;
    tx.on_commit(hook("committed")).await;
    let sp = tx.begin().await?;
    sp.on_commit(hook("in a rolled-back savepoint")).await;
    sp.rollback().await?;
    let sp = tx.begin().await?;
    sp.on_commit(hook("in a released savepoint")).await;
    sp.commit().await?;
    assert_eq!(seen(), ["no transaction"], "nothing before the commit");
    tx.commit().await?;
    assert_eq!(seen(), ["no transaction", "committed", "in a released savepoint"]);

    let tx = db.begin().await?;
    tx.on_commit(hook("rolled back")).await;
    tx.rollback().await?;
    let r: teapot::Result<()> = db
        .atomic(|tx| async move {
            tx.on_commit(|| panic!("an atomic block that failed must not run its hooks")).await;
            Err(Error::new(ErrorKind::Usage, "no"))
        })
        .await;
    assert_eq!(kind(r), ErrorKind::Usage);
    // A broken transaction rolls back at commit: its hooks do not run either.
    let tx = db.begin().await?;
    tx.on_commit(hook("broken")).await;
    let _ = member("a").create(&tx).await.expect_err("a duplicate name breaks the transaction");
    assert_eq!(kind(tx.commit().await), ErrorKind::TransactionBroken);
    assert_eq!(seen(), ["no transaction", "committed", "in a released savepoint"]);
    Ok(())
}

/// Django: bulk_create.tests (test_ignore_conflicts_ignore, test_update_conflicts_unique_fields_update_fields,
/// test_explicit_batch_size).
async fn bulk_create_upserts_and_batches(db: Db) -> R {
    use teapot::orm::instance::{bulk_create_with, BulkOptions, OnConflict};
    let mut first = member("ann");
    first.create(&db).await?;
    let ignore = BulkOptions { on_conflict: OnConflict::Ignore, ..BulkOptions::default() };
    let mut rows = vec![member("ann"), member("bob")];
    bulk_create_with(&db, &mut rows, &ignore).await?;
    assert_eq!(names(&db).await?, ["ann", "bob"], "the duplicate was skipped, the rest inserted");

    let upsert = BulkOptions { on_conflict: OnConflict::Update { unique: vec!["name"], update: vec!["visits"] }, ..BulkOptions::default() };
    let mut rows = vec![Member { visits: 5, ..member("ann") }, Member { visits: 1, ..member("cy") }];
    bulk_create_with(&db, &mut rows, &upsert).await?;
    assert_eq!(rows[0].id, first.id, "the key of the row that was there");
    assert!(rows[1].id > 0);
    let visits = Member::objects().order_by(Member::name().asc()).values_list(&db, (Member::name(), Member::visits())).await?;
    assert_eq!(visits, [("ann".to_string(), 5), ("bob".to_string(), 0), ("cy".to_string(), 1)]);
    let bad = BulkOptions { on_conflict: OnConflict::Update { unique: vec!["nmae"], update: vec!["visits"] }, ..BulkOptions::default() };
    assert_eq!(kind(bulk_create_with(&db, &mut [member("dee")], &bad).await), ErrorKind::Usage);

    let mut many: Vec<Member> = (0..10).map(|i| member(&format!("m{i:02}"))).collect();
    let before = db.query_count();
    bulk_create_with(&db, &mut many, &BulkOptions { batch_size: Some(3), ..BulkOptions::default() }).await?;
    assert_eq!(db.query_count() - before, 6, "BEGIN, 4 INSERTs of at most 3 rows, COMMIT");
    assert!(many.iter().all(|m| m.id > 0));
    assert_eq!(Member::objects().count(&db).await?, 13);
    Ok(())
}

/// Django: basic.tests (test_update_fields-style save(update_fields=...), and
/// update_only_fields.tests.test_update_fields_basic / _nonexistent row).
async fn save_fields_writes_only_those_columns(db: Db) -> R {
    let mut a = member("ann");
    a.create(&db).await?;
    // Another task changes the name meanwhile.
    Member::objects().filter(Member::id().eq(a.id)).update(&db, vec![Member::name().set("ann b")]).await?;
    a.visits = 3;
    a.save_fields(&db, &["visits"]).await?;
    let again = Member::objects().filter(Member::id().eq(a.id)).get(&db).await?;
    assert_eq!((again.name.as_str(), again.visits), ("ann b", 3), "the name another task wrote stays");
    assert_eq!(kind(a.save_fields(&db, &["vists"]).await), ErrorKind::Usage);
    a.delete(&db).await?;
    assert_eq!(kind(a.save_fields(&db, &["visits"]).await), ErrorKind::NotFound);
    assert_eq!(Member::objects().count(&db).await?, 0, "never an insert");
    Ok(())
}
