//! The ORM's `on_delete` on a database Django built: the tables are made by Django's own DDL
//! (fixtures/django-on-delete/django, NO ACTION on every foreign key) and the models are the
//! fixture's (`fixtures/django-on-delete/od.rs`), so every action is the ORM's, as Django's
//! collector does it: CASCADE (three levels deep, a self-referencing tree, a cycle, a one-to-one,
//! a join table's rows), SET NULL, SET DEFAULT, RESTRICT, PROTECT, DO NOTHING, all in one
//! transaction, a savepoint inside a caller's; on PostgreSQL and SQLite.

#[macro_use]
mod common;

use common::db::TestDb;
use teapot::prelude::*;
use teapot::ErrorKind;

#[allow(dead_code)]
mod od {
    include!("../fixtures/django-on-delete/od.rs");
}
use od::{Item, Owner};

type Res = teapot::Result<()>;

async fn setup(t: &TestDb) -> Db {
    let file = if t.url.starts_with("postgres") { "0001_initial.sql" } else { "0001_initial.sqlite.sql" };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/django-on-delete/django").join(file);
    t.exec(&std::fs::read_to_string(&path).expect("Django's DDL")).await;
    Db::connect(&t.url).await.expect("connect")
}

suite!(
    protect_refuses_and_deletes_nothing,
    each_action_is_djangos,
    restrict_refuses_unless_the_same_delete_cascades_to_the_rows,
    cascade_three_levels_deep_through_a_self_referencing_tree_and_a_cycle,
    do_nothing_leaves_the_constraint_to_refuse,
    a_refusal_inside_a_transaction_rolls_back_to_its_savepoint,
    the_catalog_is_read_once_per_db,
);

async fn owner(db: &Db, name: &str) -> teapot::Result<Owner> {
    let mut o = Owner { id: 0, name: name.into() };
    o.create(db).await?;
    Ok(o)
}

/// An item of `cascade`, its other relations set by `f`.
async fn item(db: &Db, name: &str, cascade: &Owner, f: impl FnOnce(&mut Item)) -> teapot::Result<Item> {
    let mut i = Item { name: name.into(), cascade: ForeignKey::from(cascade), ..Item::defaults() };
    f(&mut i);
    i.create(db).await?;
    Ok(i)
}

async fn exists(db: &Db, id: i64) -> teapot::Result<bool> {
    Item::objects().filter(Item::id().eq(id)).exists(db).await
}

async fn get(db: &Db, id: i64) -> teapot::Result<Item> {
    Item::objects().filter(Item::id().eq(id)).get(db).await
}

async fn protect_refuses_and_deletes_nothing(db: Db) -> Res {
    let (o, keep) = (owner(&db, "o").await?, owner(&db, "keep").await?);
    let i = item(&db, "p", &keep, |i| i.protect = Some(ForeignKey::from(&o))).await?;
    let c = item(&db, "c", &o, |_| {}).await?;
    for attempt in [o.delete(&db).await, Owner::objects().filter(Owner::name().eq("o")).delete(&db).await] {
        let e = attempt.expect_err("protected");
        assert_eq!(e.kind, ErrorKind::Protected, "{e}");
        assert!(e.is_protected());
        assert!(
            e.message.starts_with(
                "Cannot delete some instances of model 'Owner' because they are referenced through protected foreign keys: 'Item.protect'."
            ),
            "{e}"
        );
        assert!(e.message.contains(&format!("1 protecting row(s): Item {}", i.id)), "{e}");
    }
    // Nothing deleted: not the owner, not the item its cascade would have taken.
    assert!(Owner::objects().filter(Owner::id().eq(o.id)).exists(&db).await?);
    assert!(exists(&db, c.id).await?);
    Ok(())
}

async fn each_action_is_djangos(db: Db) -> Res {
    let (o, keep) = (owner(&db, "o").await?, owner(&db, "keep").await?);
    let cascade = item(&db, "cascade", &o, |_| {}).await?;
    let one = item(&db, "one", &keep, |i| i.one = Some(ForeignKey::from(&o))).await?;
    let set_null = item(&db, "set_null", &keep, |i| i.set_null = Some(ForeignKey::from(&o))).await?;
    // Its default is None (Django's `default=None`): SET_DEFAULT writes NULL.
    let set_default = item(&db, "set_default", &keep, |i| i.set_default = Some(ForeignKey::from(&o))).await?;
    let mut tagged = item(&db, "tagged", &keep, |_| {}).await?;
    tagged.tags_add(&db, &[&o, &keep]).await?;
    assert_eq!(o.delete(&db).await?, 1);
    assert!(!exists(&db, cascade.id).await?);
    assert!(!exists(&db, one.id).await?);
    assert!(get(&db, set_null.id).await?.set_null.is_none());
    assert!(get(&db, set_default.id).await?.set_default.is_none());
    let links = db.fetch_all("SELECT owner_id FROM od_item_tags", &[]).await?;
    assert_eq!(links.iter().map(|r| r.get::<i64>(0)).collect::<teapot::Result<Vec<_>>>()?, [keep.id], "the link to o went with it");
    assert!(exists(&db, tagged.id).await?);
    // Deleting the item takes its links along too.
    tagged.delete(&db).await?;
    assert!(db.fetch_all("SELECT owner_id FROM od_item_tags", &[]).await?.is_empty());
    Ok(())
}

async fn restrict_refuses_unless_the_same_delete_cascades_to_the_rows(db: Db) -> Res {
    let (o, keep) = (owner(&db, "o").await?, owner(&db, "keep").await?);
    let r = item(&db, "r", &keep, |i| i.restrict = Some(ForeignKey::from(&o))).await?;
    let e = o.delete(&db).await.expect_err("restricted");
    assert_eq!(e.kind, ErrorKind::ForeignKeyViolation, "{e}");
    assert!(
        e.message.starts_with(
            "Cannot delete some instances of model 'Owner' because they are referenced through restricted foreign keys: 'Item.restrict'."
        ),
        "{e}"
    );
    assert!(e.message.contains(&format!("1 restricting row(s): Item {}", r.id)), "{e}");
    // The same item is also the owner's by CASCADE: the delete takes it, RESTRICT allows it.
    let mut r = get(&db, r.id).await?;
    r.cascade = ForeignKey::from(&o);
    r.save(&db).await?;
    o.delete(&db).await?;
    assert!(!exists(&db, r.id).await?);
    Ok(())
}

async fn cascade_three_levels_deep_through_a_self_referencing_tree_and_a_cycle(db: Db) -> Res {
    let (o, keep) = (owner(&db, "o").await?, owner(&db, "keep").await?);
    let root = item(&db, "root", &o, |_| {}).await?;
    let child = item(&db, "child", &keep, |i| i.parent = Some(ForeignKey::from(&root))).await?;
    let grandchild = item(&db, "grandchild", &keep, |i| i.parent = Some(ForeignKey::from(&child))).await?;
    let mut grandchild_tags = get(&db, grandchild.id).await?;
    grandchild_tags.tags_add(&db, &[&keep]).await?;
    // x and y point at each other; x is o's.
    let mut x = item(&db, "x", &o, |_| {}).await?;
    let y = item(&db, "y", &keep, |i| i.parent = Some(ForeignKey::from(&x))).await?;
    x.parent = Some(ForeignKey::from(&y));
    x.save(&db).await?;
    let other = item(&db, "other", &keep, |_| {}).await?;
    o.delete(&db).await?;
    for gone in [root.id, child.id, grandchild.id, x.id, y.id] {
        assert!(!exists(&db, gone).await?, "item {gone}");
    }
    assert!(exists(&db, other.id).await?);
    assert!(db.fetch_all("SELECT id FROM od_item_tags", &[]).await?.is_empty());
    Ok(())
}

async fn do_nothing_leaves_the_constraint_to_refuse(db: Db) -> Res {
    let (o, keep) = (owner(&db, "o").await?, owner(&db, "keep").await?);
    let i = item(&db, "d", &keep, |i| i.do_nothing = Some(ForeignKey::from(&o))).await?;
    // Django: an IntegrityError from the database; nothing is deleted.
    let e = o.delete(&db).await.expect_err("the constraint refuses");
    assert!(matches!(e.kind, ErrorKind::ForeignKeyViolation | ErrorKind::TransactionBroken), "{e}");
    assert!(Owner::objects().filter(Owner::id().eq(o.id)).exists(&db).await?);
    assert!(exists(&db, i.id).await?);
    Ok(())
}

async fn a_refusal_inside_a_transaction_rolls_back_to_its_savepoint(db: Db) -> Res {
    let (o, keep) = (owner(&db, "o").await?, owner(&db, "keep").await?);
    item(&db, "p", &keep, |i| i.protect = Some(ForeignKey::from(&o))).await?;
    let c = item(&db, "c", &keep, |_| {}).await?;
    let tx = db.begin().await?;
    let e = o.delete(&tx).await.expect_err("protected");
    assert_eq!(e.kind, ErrorKind::Protected);
    // The caller's transaction goes on.
    keep.delete(&tx).await?;
    assert!(!exists(&tx, c.id).await?);
    tx.rollback().await?;
    assert!(exists(&db, c.id).await?, "rolled back with the caller's transaction");
    Ok(())
}

/// The catalog is read once per `Db` (and its clones): the first delete costs one query more
/// than the same delete after it.
async fn the_catalog_is_read_once_per_db(db: Db) -> Res {
    let (a, b) = (owner(&db, "a").await?, owner(&db, "b").await?);
    let before = db.query_count();
    a.delete(&db).await?;
    let first = db.query_count() - before;
    let before = db.query_count();
    b.delete(&db.clone()).await?;
    assert_eq!(first, db.query_count() - before + 1);
    Ok(())
}
