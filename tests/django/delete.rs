//! Django's `delete` tests, run twice on each database: with teapot's default, where the database's
//! foreign keys do CASCADE, SET NULL and SET DEFAULT (declared `ON DELETE`) and a delete is one
//! statement; and under `[project] on_delete = "orm"` (module `orm`), where the constraints have
//! NO ACTION as Django makes them and the ORM does the actions as Django's collector does. PROTECT
//! is the ORM's in both. Where Django counts its collector's queries, the count here is teapot's
//! in each mode (noted at each one), after the one read of the catalog a `Db` makes to know what
//! its foreign keys do ([`warm`]).

use crate::common::db::TestDb;
use teapot::orm::instance::bulk_create;
use teapot::prelude::*;

type Res = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct P {
        pub id: i64,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct R {
        pub id: i64,
        #[teapot(default = false)]
        pub is_default: bool,
        #[teapot(on_delete = "cascade")]
        pub p: Option<ForeignKey<P>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct S {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub r: ForeignKey<R>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct T {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub s: ForeignKey<S>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct U {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub t: ForeignKey<T>,
    }

    /// Django's RChild is a multi-table child of R (teapot has no model inheritance): a model
    /// of its own here.
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct RChild {
        pub id: i64,
    }

    /// Django's A without `setvalue` (on_delete=SET(callable)), which teapot lacks. `setdefault`'s default is Django's `get_default_r`, a callable: here the
    /// literal key 1, the default R every test makes first.
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct A {
        pub id: i64,
        #[teapot(max_length = 30)]
        pub name: String,
        #[teapot(on_delete = "cascade", related_name = "auto_set")]
        pub auto: ForeignKey<R>,
        #[teapot(on_delete = "cascade", related_name = "auto_nullable_set")]
        pub auto_nullable: Option<ForeignKey<R>>,
        #[teapot(on_delete = "set_null", related_name = "setnull_set")]
        pub setnull: Option<ForeignKey<R>>,
        #[teapot(on_delete = "set_default", default = 1, related_name = "setdefault_set")]
        pub setdefault: ForeignKey<R>,
        #[teapot(on_delete = "set_default", related_name = "setnull_nullable_set")]
        pub setdefault_none: Option<ForeignKey<R>>,
        #[teapot(on_delete = "cascade", related_name = "cascade_set")]
        pub cascade: ForeignKey<R>,
        #[teapot(on_delete = "cascade", related_name = "cascade_nullable_set")]
        pub cascade_nullable: Option<ForeignKey<R>>,
        #[teapot(on_delete = "protect", related_name = "protect_set")]
        pub protect: Option<ForeignKey<R>>,
        #[teapot(on_delete = "restrict", related_name = "restrict_set")]
        pub restrict: Option<ForeignKey<R>>,
        #[teapot(on_delete = "do_nothing", related_name = "donothing_set")]
        pub donothing: Option<ForeignKey<R>>,
        #[teapot(on_delete = "cascade", related_name = "child")]
        pub child: ForeignKey<RChild>,
        #[teapot(on_delete = "set_null", related_name = "child_setnull")]
        pub child_setnull: Option<ForeignKey<RChild>>,
        #[teapot(on_delete = "cascade", related_name = "cascade_p_set")]
        pub cascade_p: Option<ForeignKey<P>>,
        #[teapot(on_delete = "set_null", related_name = "o2o_nullable_set")]
        pub o2o_setnull: Option<ForeignKey<R>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct B {
        pub id: i64,
        #[teapot(on_delete = "protect")]
        pub protect: ForeignKey<R>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct B3 {
        pub id: i64,
        #[teapot(on_delete = "restrict")]
        pub restrict: ForeignKey<R>,
    }

    /// Django's DeleteTop without its generic relations (teapot has no GenericForeignKey).
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct DeleteTop {
        pub id: i64,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct B1 {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub delete_top: ForeignKey<DeleteTop>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct B2 {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub delete_top: ForeignKey<DeleteTop>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct DeleteBottom {
        pub id: i64,
        #[teapot(on_delete = "restrict")]
        pub b1: ForeignKey<B1>,
        #[teapot(on_delete = "cascade")]
        pub b2: ForeignKey<B2>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct M {
        pub id: i64,
        #[teapot(related_name = "m_set")]
        pub m2m: ManyToMany<R>,
    }

    /// The through model of Django's `M.m2m_through`, used directly by the ported test.
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct MR {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub m: ForeignKey<M>,
        #[teapot(on_delete = "cascade")]
        pub r: ForeignKey<R>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct MRNull {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub m: ForeignKey<M>,
        #[teapot(on_delete = "set_null")]
        pub r: Option<ForeignKey<R>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct Avatar {
        pub id: i64,
        pub desc: Option<String>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct User {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub avatar: Option<ForeignKey<Avatar>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct HiddenUser {
        pub id: i64,
        #[teapot(on_delete = "cascade", related_name = "+")]
        pub r: ForeignKey<R>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct HiddenUserProfile {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub user: ForeignKey<HiddenUser>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct M2MTo {
        pub id: i64,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct M2MFrom {
        pub id: i64,
        pub m2m: ManyToMany<M2MTo>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct Base {
        pub id: i64,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "delete")]
    pub struct RelToBase {
        pub id: i64,
        #[teapot(on_delete = "do_nothing", related_name = "rels")]
        pub base: ForeignKey<Base>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "delete", MODELS_SRC).await
}

macro_rules! all_tests {
    () => {
        suite!(
            test_auto,
            test_auto_nullable,
            test_setnull,
            test_setdefault,
            test_setdefault_none,
            test_cascade,
            test_cascade_nullable,
            test_do_nothing_qscount,
            test_cascade_from_child,
            test_setnull_from_child,
            test_o2o_setnull,
            test_m2m,
            test_bulk,
            test_hidden_related,
            test_large_delete,
            test_large_delete_related,
            test_fast_delete_fk,
            test_fast_delete_m2m,
            test_fast_delete_revm2m,
            test_fast_delete_qs,
            test_fast_delete_joined_qs,
            test_fast_delete_large_batch,
            test_fast_delete_full_match,
            test_protect,
            test_protect_multiple,
            test_protect_path,
            test_restrict,
            test_restrict_multiple,
            test_restrict_path_cascade_indirect,
            test_restrict_path_cascade_direct,
            test_restrict_path_cascade_indirect_diamond,
            test_queryset_delete_returns_num_rows,
        );
    };
}

all_tests!();

/// The same tests with Django's constraints (NO ACTION) and the ORM doing the actions.
mod orm {
    use super::*;

    async fn setup(t: &TestDb) -> Db {
        crate::common::db::orm_db_with(t, "delete", MODELS_SRC, "[project]\non_delete = \"orm\"\n").await
    }

    all_tests!();
}

/// Reads what the foreign keys do (once per `Db`, one query) before a test counts queries.
async fn warm(db: &Db) -> teapot::Result<()> {
    db.delete_actions().await.map(|_| ())
}

/// Whether the constraints have NO ACTION and the ORM does the actions.
async fn orm_mode(db: &Db) -> teapot::Result<bool> {
    Ok(db.delete_actions().await?.action("delete_s", "r_id") == Some(teapot::orm::deletion::DbAction::NoAction))
}

/// The queries a test expects: in the database mode, and in the ORM's.
async fn expect_queries(db: &Db, before: u64, database: u64, orm: u64) -> Res {
    let expected = if orm_mode(db).await? { orm } else { database };
    assert_eq!(db.query_count() - before, expected);
    Ok(())
}

async fn new_r(db: &Db) -> teapot::Result<R> {
    let mut r = R::defaults();
    r.create(db).await?;
    Ok(r)
}

/// OnDeleteTests.setUp: `get_default_r()`, the R with is_default (key 1: the first R made).
async fn get_default_r(db: &Db) -> teapot::Result<i64> {
    let (r, _) = teapot::orm::instance::get_or_create(db, R::is_default().eq(true), R { is_default: true, ..R::defaults() }).await?;
    assert_eq!(r.id, 1, "A.setdefault's declared default");
    Ok(r.id)
}

/// Django's create_a: an A whose every relation points at a new row.
async fn create_a(db: &Db, name: &str) -> teapot::Result<A> {
    let mut rs = Vec::new();
    for _ in 0..11 {
        rs.push(new_r(db).await?);
    }
    let fk = |i: usize| ForeignKey::from(&rs[i]);
    let mut child = RChild::defaults();
    child.create(db).await?;
    let mut child_setnull = RChild::defaults();
    child_setnull.create(db).await?;
    let mut a = A {
        id: 0,
        name: name.into(),
        auto: fk(0),
        auto_nullable: Some(fk(1)),
        setnull: Some(fk(2)),
        setdefault: fk(3),
        setdefault_none: Some(fk(4)),
        cascade: fk(5),
        cascade_nullable: Some(fk(6)),
        protect: Some(fk(10)),
        restrict: Some(fk(7)),
        donothing: Some(fk(8)),
        child: ForeignKey::from(&child),
        child_setnull: Some(ForeignKey::from(&child_setnull)),
        cascade_p: None,
        o2o_setnull: Some(fk(9)),
    };
    a.save(db).await?;
    Ok(a)
}

async fn delete_r(db: &Db, id: i64) -> teapot::Result<u64> {
    R::objects().filter(R::id().eq(id)).delete(db).await
}

async fn a_exists(db: &Db, name: &str) -> teapot::Result<bool> {
    A::objects().filter(A::name().eq(name)).exists(db).await
}

async fn get_a(db: &Db, id: i64) -> teapot::Result<A> {
    A::objects().filter(A::id().eq(id)).get(db).await
}

/// Django: delete.tests.OnDeleteTests.test_auto
async fn test_auto(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "auto").await?;
    delete_r(&db, *a.auto.key()).await?;
    assert!(!a_exists(&db, "auto").await?);
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_auto_nullable
async fn test_auto_nullable(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "auto_nullable").await?;
    delete_r(&db, *a.auto_nullable.as_ref().expect("set").key()).await?;
    assert!(!a_exists(&db, "auto_nullable").await?);
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_setnull
async fn test_setnull(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "setnull").await?;
    delete_r(&db, *a.setnull.as_ref().expect("set").key()).await?;
    assert!(get_a(&db, a.id).await?.setnull.is_none());
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_setdefault
async fn test_setdefault(db: Db) -> Res {
    let default = get_default_r(&db).await?;
    let a = create_a(&db, "setdefault").await?;
    delete_r(&db, *a.setdefault.key()).await?;
    assert_eq!(*get_a(&db, a.id).await?.setdefault.key(), default);
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_setdefault_none
async fn test_setdefault_none(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "setdefault_none").await?;
    delete_r(&db, *a.setdefault_none.as_ref().expect("set").key()).await?;
    assert!(get_a(&db, a.id).await?.setdefault_none.is_none());
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_cascade
async fn test_cascade(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "cascade").await?;
    delete_r(&db, *a.cascade.key()).await?;
    assert!(!a_exists(&db, "cascade").await?);
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_cascade_nullable
async fn test_cascade_nullable(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "cascade_nullable").await?;
    delete_r(&db, *a.cascade_nullable.as_ref().expect("set").key()).await?;
    assert!(!a_exists(&db, "cascade_nullable").await?);
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_do_nothing_qscount
async fn test_do_nothing_qscount(db: Db) -> Res {
    get_default_r(&db).await?;
    let mut b = Base::defaults();
    b.create(&db).await?;
    let before = db.query_count();
    b.delete(&db).await?;
    assert_eq!(db.query_count() - before, 1, "RelToBase is not queried");
    assert_eq!(Base::objects().count(&db).await?, 0);
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_cascade_from_child
async fn test_cascade_from_child(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "child").await?;
    RChild::objects().filter(RChild::id().eq(*a.child.key())).delete(&db).await?;
    assert!(!a_exists(&db, "child").await?);
    // `R.objects.filter(pk=a.child_id).exists()` is false in Django because RChild's row is an R
    // too (model-inheritance): not checked.
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_setnull_from_child
async fn test_setnull_from_child(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "child_setnull").await?;
    let child = *a.child_setnull.as_ref().expect("set").key();
    RChild::objects().filter(RChild::id().eq(child)).delete(&db).await?;
    // (The parent R row of Django's RChild: model-inheritance, not checked.)
    assert!(!RChild::objects().filter(RChild::id().eq(child)).exists(&db).await?);
    assert!(get_a(&db, a.id).await?.child_setnull.is_none());
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_o2o_setnull
async fn test_o2o_setnull(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "o2o_setnull").await?;
    delete_r(&db, *a.o2o_setnull.as_ref().expect("set").key()).await?;
    assert!(get_a(&db, a.id).await?.o2o_setnull.is_none());
    Ok(())
}

/// The rows of M.m2m's join table.
async fn join_rows(db: &Db) -> teapot::Result<i64> {
    db.fetch_all("SELECT COUNT(*) FROM delete_m_m2m", &[]).await?[0].get::<i64>(0)
}

/// Django: delete.tests.DeletionTests.test_m2m
async fn test_m2m(db: Db) -> Res {
    let mr = |m: &M, r: &R| MR { id: 0, m: ForeignKey::from(m), r: ForeignKey::from(r) };
    let mut m = M::defaults();
    m.create(&db).await?;
    let r = new_r(&db).await?;
    mr(&m, &r).create(&db).await?;
    r.delete(&db).await?;
    assert!(!MR::objects().exists(&db).await?);

    let r = new_r(&db).await?;
    mr(&m, &r).create(&db).await?;
    m.delete(&db).await?;
    assert!(!MR::objects().exists(&db).await?);

    // The auto-created join table (Django's `through.objects.exists()`): rows go with either side.
    let mut m = M::defaults();
    m.create(&db).await?;
    let r = new_r(&db).await?;
    m.m2m_add(&db, &[&r]).await?;
    assert_eq!(join_rows(&db).await?, 1);
    r.delete(&db).await?;
    assert_eq!(join_rows(&db).await?, 0);
    let r = new_r(&db).await?;
    m.m2m_add(&db, &[&r]).await?;
    m.delete(&db).await?;
    assert_eq!(join_rows(&db).await?, 0);

    let mut m = M::defaults();
    m.create(&db).await?;
    let r = new_r(&db).await?;
    MRNull { id: 0, m: ForeignKey::from(&m), r: Some(ForeignKey::from(&r)) }.create(&db).await?;
    r.delete(&db).await?;
    assert!(MRNull::objects().exists(&db).await?);
    // `m.m2m_through_null.exists()` needs m2m-through: not checked.
    Ok(())
}

/// Django: delete.tests.DeletionTests.test_bulk
async fn test_bulk(db: Db) -> Res {
    let r = new_r(&db).await?;
    let mut s = S { id: 0, r: ForeignKey::from(&r) };
    s.create(&db).await?;
    // 2 * GET_ITERATOR_CHUNK_SIZE (100).
    let mut ts: Vec<T> = (0..200).map(|_| T { id: 0, s: ForeignKey::from(&s) }).collect();
    bulk_create(&db, &mut ts).await?;
    // Django: 5 queries (its collector fetches T and U, deletes T in batches, then s); teapot:
    // one DELETE, the database cascades; the ORM's cascade: BEGIN, T's keys, U by t_id, T, s,
    // COMMIT (Django counts neither BEGIN nor COMMIT).
    warm(&db).await?;
    let before = db.query_count();
    s.delete(&db).await?;
    expect_queries(&db, before, 1, 6).await?;
    assert!(!S::objects().exists(&db).await?);
    assert!(!T::objects().exists(&db).await?);
    Ok(())
}

/// Django: delete.tests.DeletionTests.test_hidden_related
async fn test_hidden_related(db: Db) -> Res {
    let r = new_r(&db).await?;
    let mut h = HiddenUser { id: 0, r: ForeignKey::from(&r) };
    h.create(&db).await?;
    HiddenUserProfile { id: 0, user: ForeignKey::from(&h) }.create(&db).await?;
    r.delete(&db).await?;
    assert_eq!(HiddenUserProfile::objects().count(&db).await?, 0);
    Ok(())
}

/// Django: delete.tests.DeletionTests.test_large_delete
async fn test_large_delete(db: Db) -> Res {
    let mut objs: Vec<Avatar> = (0..2000).map(|_| Avatar::defaults()).collect();
    bulk_create(&db, &mut objs).await?;
    // Django: 1 + batches of related fetches + 2000 / 100 deletes; teapot: one DELETE; the
    // ORM's cascade: BEGIN, the keys, the users by avatar_id, the avatars, COMMIT.
    warm(&db).await?;
    let before = db.query_count();
    Avatar::objects().delete(&db).await?;
    expect_queries(&db, before, 1, 5).await?;
    assert!(!Avatar::objects().exists(&db).await?);
    Ok(())
}

/// Django: delete.tests.DeletionTests.test_large_delete_related
async fn test_large_delete_related(db: Db) -> Res {
    let r = new_r(&db).await?;
    let mut s = S { id: 0, r: ForeignKey::from(&r) };
    s.create(&db).await?;
    let mut ts: Vec<T> = (0..2000).map(|_| T { id: 0, s: ForeignKey::from(&s) }).collect();
    bulk_create(&db, &mut ts).await?;
    // Django: 2000 / batch_size + 2000 / 100 + 2 queries; teapot: one DELETE, the database
    // cascades; the ORM's cascade: BEGIN, T's keys, U by t_id, T, s, COMMIT.
    warm(&db).await?;
    let before = db.query_count();
    s.delete(&db).await?;
    expect_queries(&db, before, 1, 6).await?;
    assert!(!S::objects().exists(&db).await?);
    assert!(!T::objects().exists(&db).await?);
    Ok(())
}

/// Django: delete.tests.FastDeleteTests.test_fast_delete_fk
async fn test_fast_delete_fk(db: Db) -> Res {
    let mut avatar = Avatar::defaults();
    avatar.create(&db).await?;
    let mut u = User { id: 0, avatar: Some(ForeignKey::from(&avatar)) };
    u.create(&db).await?;
    let a = Avatar::objects().filter(Avatar::id().eq(*u.avatar.as_ref().expect("set").key())).get(&db).await?;
    // Django: 2 (fast-delete the user, delete the avatar); teapot: 1, the database cascades;
    // the ORM's cascade: BEGIN, the users by avatar_id, the avatar, COMMIT.
    warm(&db).await?;
    let before = db.query_count();
    a.delete(&db).await?;
    expect_queries(&db, before, 1, 4).await?;
    assert!(!User::objects().exists(&db).await?);
    assert!(!Avatar::objects().exists(&db).await?);
    Ok(())
}

async fn m2m_pair(db: &Db) -> teapot::Result<(M2MTo, M2MFrom)> {
    let mut t = M2MTo::defaults();
    t.create(db).await?;
    let mut f = M2MFrom::defaults();
    f.create(db).await?;
    f.m2m_add(db, &[&t]).await?;
    Ok((t, f))
}

/// Django: delete.tests.FastDeleteTests.test_fast_delete_m2m
async fn test_fast_delete_m2m(db: Db) -> Res {
    let (t, f) = m2m_pair(&db).await?;
    // Django: 2 (delete f, fast-delete its links); teapot: 1, the links cascade; the ORM's
    // cascade: BEGIN, the links, f, COMMIT.
    warm(&db).await?;
    let before = db.query_count();
    f.delete(&db).await?;
    expect_queries(&db, before, 1, 4).await?;
    assert!(M2MTo::objects().filter(M2MTo::id().eq(t.id)).exists(&db).await?);
    Ok(())
}

/// Django: delete.tests.FastDeleteTests.test_fast_delete_revm2m
async fn test_fast_delete_revm2m(db: Db) -> Res {
    // (Django's test deletes `f` here too, as test_fast_delete_m2m does.)
    let (_, f) = m2m_pair(&db).await?;
    warm(&db).await?;
    let before = db.query_count();
    f.delete(&db).await?;
    expect_queries(&db, before, 1, 4).await?;
    Ok(())
}

/// Django: delete.tests.FastDeleteTests.test_fast_delete_qs
async fn test_fast_delete_qs(db: Db) -> Res {
    let mut u1 = User::defaults();
    u1.create(&db).await?;
    let mut u2 = User::defaults();
    u2.create(&db).await?;
    warm(&db).await?;
    let before = db.query_count();
    User::objects().filter(User::id().eq(u1.id)).delete(&db).await?;
    expect_queries(&db, before, 1, 1).await?;
    assert_eq!(User::objects().count(&db).await?, 1);
    assert!(User::objects().filter(User::id().eq(u2.id)).exists(&db).await?);
    Ok(())
}

/// Django: delete.tests.FastDeleteTests.test_fast_delete_joined_qs
async fn test_fast_delete_joined_qs(db: Db) -> Res {
    let mut a = Avatar { id: 0, desc: Some("a".into()) };
    a.create(&db).await?;
    User { id: 0, avatar: Some(ForeignKey::from(&a)) }.create(&db).await?;
    let mut u2 = User::defaults();
    u2.create(&db).await?;
    warm(&db).await?;
    let before = db.query_count();
    User::objects().filter(User::avatar().desc().eq("a")).delete(&db).await?;
    expect_queries(&db, before, 1, 1).await?;
    assert_eq!(User::objects().count(&db).await?, 1);
    assert!(User::objects().filter(User::id().eq(u2.id)).exists(&db).await?);
    Ok(())
}

/// Django: delete.tests.FastDeleteTests.test_fast_delete_large_batch
async fn test_fast_delete_large_batch(db: Db) -> Res {
    let mut users: Vec<User> = (0..2000).map(|_| User::defaults()).collect();
    bulk_create(&db, &mut users).await?;
    warm(&db).await?;
    let before = db.query_count();
    User::objects().delete(&db).await?;
    expect_queries(&db, before, 1, 1).await?;
    let mut a = Avatar { id: 0, desc: Some("a".into()) };
    a.create(&db).await?;
    let mut users: Vec<User> = (0..2000).map(|_| User { id: 0, avatar: Some(ForeignKey::from(&a)) }).collect();
    bulk_create(&db, &mut users).await?;
    // Django: 2 (the avatar, then a fast delete of its users); teapot: 1, the database cascades;
    // the ORM's cascade: BEGIN, the users, the avatar, COMMIT.
    warm(&db).await?;
    let before = db.query_count();
    a.delete(&db).await?;
    expect_queries(&db, before, 1, 4).await?;
    assert_eq!(User::objects().count(&db).await?, 0);
    Ok(())
}

/// Django: delete.tests.FastDeleteTests.test_fast_delete_full_match
async fn test_fast_delete_full_match(db: Db) -> Res {
    let mut avatar = Avatar { id: 0, desc: Some("bar".into()) };
    avatar.create(&db).await?;
    User { id: 0, avatar: Some(ForeignKey::from(&avatar)) }.create(&db).await?;
    warm(&db).await?;
    let before = db.query_count();
    User::objects().filter(!User::id().is_in(Vec::<i64>::new()) | User::avatar().desc().eq("foo")).delete(&db).await?;
    expect_queries(&db, before, 1, 1).await?;
    assert!(!User::objects().exists(&db).await?);
    Ok(())
}

/// The error of a refused delete, and that it is of `kind`.
fn refused<T: std::fmt::Debug>(r: teapot::Result<T>, kind: teapot::ErrorKind) -> teapot::Error {
    let e = r.expect_err("the delete is refused");
    assert_eq!(e.kind, kind, "{e}");
    e
}

async fn r_of(db: &Db, id: i64) -> teapot::Result<R> {
    R::objects().filter(R::id().eq(id)).get(db).await
}

/// Django: delete.tests.OnDeleteTests.test_protect
async fn test_protect(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "protect").await?;
    let protect = r_of(&db, *a.protect.as_ref().expect("set").key()).await?;
    let e = refused(protect.delete(&db).await, teapot::ErrorKind::Protected);
    let msg = "Cannot delete some instances of model 'R' because they are referenced through protected foreign keys: 'A.protect'.";
    assert!(e.message.starts_with(msg), "{e}");
    // Django's `protected_objects == {a}`: how many, and which.
    assert!(e.message.contains(&format!("1 protecting row(s): A {}", a.id)), "{e}");
    assert!(a_exists(&db, "protect").await?, "nothing was deleted");
    assert!(r_of(&db, protect.id).await.is_ok());
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_protect_multiple
async fn test_protect_multiple(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "protect").await?;
    let protect = r_of(&db, *a.protect.as_ref().expect("set").key()).await?;
    let mut b = B { id: 0, protect: ForeignKey::from(&protect) };
    b.create(&db).await?;
    let e = refused(protect.delete(&db).await, teapot::ErrorKind::Protected);
    let msg =
        "Cannot delete some instances of model 'R' because they are referenced through protected foreign keys: 'A.protect', 'B.protect'.";
    assert!(e.message.starts_with(msg), "{e}");
    assert!(e.message.contains(&format!("2 protecting row(s): A {}, B {}", a.id, b.id)), "{e}");
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_protect_path
async fn test_protect_path(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "protect").await?;
    let mut p = P::defaults();
    p.create(&db).await?;
    let mut protect = r_of(&db, *a.protect.as_ref().expect("set").key()).await?;
    protect.p = Some(ForeignKey::from(&p));
    protect.save(&db).await?;
    // A query set's delete refuses the same way.
    let e = refused(P::objects().filter(P::id().eq(p.id)).delete(&db).await, teapot::ErrorKind::Protected);
    let msg = "Cannot delete some instances of model 'P' because they are referenced through protected foreign keys: 'R.p'.";
    assert!(e.message.starts_with(msg), "{e}");
    assert!(e.message.contains(&format!("1 protecting row(s): A {}", a.id)), "{e}");
    assert!(P::objects().filter(P::id().eq(p.id)).exists(&db).await?);
    assert!(r_of(&db, protect.id).await.is_ok(), "the cascade was rolled back");
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_restrict
async fn test_restrict(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "restrict").await?;
    let restrict = r_of(&db, *a.restrict.as_ref().expect("set").key()).await?;
    let e = refused(restrict.delete(&db).await, teapot::ErrorKind::ForeignKeyViolation);
    if orm_mode(&db).await? {
        let msg = "Cannot delete some instances of model 'R' because they are referenced through restricted foreign keys: 'A.restrict'.";
        assert!(e.message.starts_with(msg), "{e}");
        assert!(e.message.contains(&format!("1 restricting row(s): A {}", a.id)), "{e}");
    }
    assert!(a_exists(&db, "restrict").await?);
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_restrict_multiple
async fn test_restrict_multiple(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "restrict").await?;
    let restrict = r_of(&db, *a.restrict.as_ref().expect("set").key()).await?;
    let mut b3 = B3 { id: 0, restrict: ForeignKey::from(&restrict) };
    b3.create(&db).await?;
    let e = refused(restrict.delete(&db).await, teapot::ErrorKind::ForeignKeyViolation);
    if orm_mode(&db).await? {
        let msg = "Cannot delete some instances of model 'R' because they are referenced through restricted foreign keys: 'A.restrict', 'B3.restrict'.";
        assert!(e.message.starts_with(msg), "{e}");
        assert!(e.message.contains(&format!("2 restricting row(s): A {}, B3 {}", a.id, b3.id)), "{e}");
    }
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_restrict_path_cascade_indirect
async fn test_restrict_path_cascade_indirect(db: Db) -> Res {
    get_default_r(&db).await?;
    let a = create_a(&db, "restrict").await?;
    let mut p = P::defaults();
    p.create(&db).await?;
    let mut restrict = r_of(&db, *a.restrict.as_ref().expect("set").key()).await?;
    restrict.p = Some(ForeignKey::from(&p));
    restrict.save(&db).await?;
    let e = refused(p.delete(&db).await, teapot::ErrorKind::ForeignKeyViolation);
    if orm_mode(&db).await? {
        let msg = "Cannot delete some instances of model 'P' because they are referenced through restricted foreign keys: 'A.restrict'.";
        assert!(e.message.starts_with(msg), "{e}");
    }
    // Object referenced also with CASCADE relationship can be deleted.
    let mut cascade = r_of(&db, *a.cascade.key()).await?;
    cascade.p = Some(ForeignKey::from(&p));
    cascade.save(&db).await?;
    p.delete(&db).await?;
    assert!(!a_exists(&db, "restrict").await?);
    assert!(r_of(&db, restrict.id).await.is_err());
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_restrict_path_cascade_direct
async fn test_restrict_path_cascade_direct(db: Db) -> Res {
    get_default_r(&db).await?;
    let mut a = create_a(&db, "restrict").await?;
    let mut p = P::defaults();
    p.create(&db).await?;
    let mut restrict = r_of(&db, *a.restrict.as_ref().expect("set").key()).await?;
    restrict.p = Some(ForeignKey::from(&p));
    restrict.save(&db).await?;
    a.cascade_p = Some(ForeignKey::from(&p));
    a.save(&db).await?;
    p.delete(&db).await?;
    assert!(!a_exists(&db, "restrict").await?);
    assert!(r_of(&db, restrict.id).await.is_err());
    Ok(())
}

/// Django: delete.tests.OnDeleteTests.test_restrict_path_cascade_indirect_diamond
async fn test_restrict_path_cascade_indirect_diamond(db: Db) -> Res {
    let mut delete_top = DeleteTop::defaults();
    delete_top.create(&db).await?;
    let mut b1 = B1 { id: 0, delete_top: ForeignKey::from(&delete_top) };
    b1.create(&db).await?;
    let mut b2 = B2 { id: 0, delete_top: ForeignKey::from(&delete_top) };
    b2.create(&db).await?;
    let mut delete_bottom = DeleteBottom { id: 0, b1: ForeignKey::from(&b1), b2: ForeignKey::from(&b2) };
    delete_bottom.create(&db).await?;
    let e = refused(b1.delete(&db).await, teapot::ErrorKind::ForeignKeyViolation);
    if orm_mode(&db).await? {
        let msg =
            "Cannot delete some instances of model 'B1' because they are referenced through restricted foreign keys: 'DeleteBottom.b1'.";
        assert!(e.message.starts_with(msg), "{e}");
        assert!(e.message.contains(&format!("DeleteBottom {}", delete_bottom.id)), "{e}");
    }
    assert!(DeleteTop::objects().exists(&db).await?);
    assert!(B1::objects().exists(&db).await?);
    assert!(B2::objects().exists(&db).await?);
    assert!(DeleteBottom::objects().exists(&db).await?);
    // Object referenced also with CASCADE relationship can be deleted.
    delete_top.delete(&db).await?;
    assert!(!DeleteTop::objects().exists(&db).await?);
    assert!(!B1::objects().exists(&db).await?);
    assert!(!B2::objects().exists(&db).await?);
    assert!(!DeleteBottom::objects().exists(&db).await?);
    Ok(())
}

/// Django: delete.tests.DeletionTests.test_queryset_delete_returns_num_rows (the first half:
/// teapot returns the number of the model's own rows, not Django's per-model counts).
async fn test_queryset_delete_returns_num_rows(db: Db) -> Res {
    let mut avatars =
        vec![Avatar { id: 0, desc: Some("a".into()) }, Avatar { id: 0, desc: Some("b".into()) }, Avatar { id: 0, desc: Some("c".into()) }];
    bulk_create(&db, &mut avatars).await?;
    let count = Avatar::objects().count(&db).await?;
    assert_eq!(Avatar::objects().delete(&db).await?, count as u64);
    let r = new_r(&db).await?;
    let mut h1 = HiddenUser { id: 0, r: ForeignKey::from(&r) };
    h1.create(&db).await?;
    HiddenUser { id: 0, r: ForeignKey::from(&r) }.create(&db).await?;
    HiddenUserProfile { id: 0, user: ForeignKey::from(&h1) }.create(&db).await?;
    let rs = R::objects().count(&db).await?;
    assert_eq!(R::objects().delete(&db).await?, rs as u64);
    assert_eq!(HiddenUser::objects().count(&db).await?, 0);
    assert_eq!(HiddenUserProfile::objects().count(&db).await?, 0);
    Ok(())
}
