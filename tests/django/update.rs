//! Django's `update` tests. A reverse manager's update (`a1.b_set.update(...)`) is the query
//! filtered by the foreign key.

use crate::common::db::TestDb;
use teapot::prelude::*;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "update")]
    pub struct DataPoint {
        pub id: i64,
        #[teapot(max_length = 20)]
        pub name: String,
        #[teapot(max_length = 20)]
        pub value: String,
        #[teapot(max_length = 20)]
        pub another_value: String,
        #[teapot(default = true)]
        pub is_active: bool,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "update")]
    pub struct RelatedPoint {
        pub id: i64,
        #[teapot(max_length = 20)]
        pub name: String,
        #[teapot(on_delete = "cascade")]
        pub data: ForeignKey<DataPoint>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "update")]
    pub struct A {
        pub id: i64,
        #[teapot(default = 10)]
        pub x: i32,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "update")]
    pub struct B {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub a: ForeignKey<A>,
        #[teapot(default = 10)]
        pub y: i32,
    }

    /// Django's D inherits `y` from C (multi-table inheritance, which teapot lacks): here D
    /// declares it itself.
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "update")]
    pub struct D {
        pub id: i64,
        #[teapot(default = 10)]
        pub y: i32,
        #[teapot(on_delete = "cascade")]
        pub a: ForeignKey<A>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "update", MODELS_SRC).await
}

suite!(
    test_nonempty_update,
    test_empty_update,
    test_foreign_key_update_with_id,
    test_update,
    test_update_multiple_objects,
    test_update_fk,
    test_update_multiple_fields,
    test_update_all,
);

/// SimpleTest.setUpTestData: a1 with 20 B and 20 D, a2 with none.
async fn simple(db: &Db) -> teapot::Result<(A, A)> {
    let mut a1 = A::defaults();
    a1.create(db).await?;
    let mut a2 = A::defaults();
    a2.create(db).await?;
    for _ in 0..20 {
        B { a: ForeignKey::from(&a1), ..B::defaults() }.create(db).await?;
        D { a: ForeignKey::from(&a1), ..D::defaults() }.create(db).await?;
    }
    Ok((a1, a2))
}

/// Django: update.tests.SimpleTest.test_nonempty_update
async fn test_nonempty_update(db: Db) -> R {
    let (a1, _) = simple(&db).await?;
    let num_updated = B::objects().filter(B::a().eq(a1.id)).update(&db, vec![B::y().set(100)]).await?;
    assert_eq!(num_updated, 20);
    assert_eq!(B::objects().filter(B::y().eq(100)).count(&db).await?, 20);
    Ok(())
}

/// Django: update.tests.SimpleTest.test_empty_update
async fn test_empty_update(db: Db) -> R {
    let (_, a2) = simple(&db).await?;
    let num_updated = B::objects().filter(B::a().eq(a2.id)).update(&db, vec![B::y().set(100)]).await?;
    assert_eq!(num_updated, 0);
    assert_eq!(B::objects().filter(B::y().eq(100)).count(&db).await?, 0);
    Ok(())
}

/// Django: update.tests.SimpleTest.test_foreign_key_update_with_id
async fn test_foreign_key_update_with_id(db: Db) -> R {
    let (a1, a2) = simple(&db).await?;
    let num_updated = D::objects().filter(D::a().eq(a1.id)).update(&db, vec![D::a().key.set(a2.id)]).await?;
    assert_eq!(num_updated, 20);
    assert_eq!(D::objects().filter(D::a().eq(a2.id)).count(&db).await?, 20);
    Ok(())
}

/// AdvancedTests.setUpTestData: d0, d2, d3 and r1 (pointing at d3).
async fn advanced(db: &Db) -> teapot::Result<(DataPoint, RelatedPoint)> {
    let point =
        |name: &str, value: &str, is_active: bool| DataPoint { name: name.into(), value: value.into(), is_active, ..DataPoint::defaults() };
    let mut d0 = point("d0", "apple", true);
    d0.create(db).await?;
    point("d2", "banana", true).create(db).await?;
    let mut d3 = point("d3", "banana", false);
    d3.create(db).await?;
    let mut r1 = RelatedPoint { name: "r1".into(), data: ForeignKey::from(&d3), ..RelatedPoint::defaults() };
    r1.create(db).await?;
    Ok((d0, r1))
}

/// Django: update.tests.AdvancedTests.test_update
async fn test_update(db: Db) -> R {
    let (d0, _) = advanced(&db).await?;
    let resp = DataPoint::objects().filter(DataPoint::value().eq("apple")).update(&db, vec![DataPoint::name().set("d1")]).await?;
    assert_eq!(resp, 1);
    let rows = DataPoint::objects().filter(DataPoint::value().eq("apple")).all(&db).await?;
    assert_eq!(rows.iter().map(|d| (d.id, d.name.as_str())).collect::<Vec<_>>(), [(d0.id, "d1")]);
    Ok(())
}

/// Django: update.tests.AdvancedTests.test_update_multiple_objects
async fn test_update_multiple_objects(db: Db) -> R {
    advanced(&db).await?;
    let resp = DataPoint::objects().filter(DataPoint::value().eq("banana")).update(&db, vec![DataPoint::value().set("pineapple")]).await?;
    assert_eq!(resp, 2);
    assert_eq!(DataPoint::objects().filter(DataPoint::name().eq("d2")).get(&db).await?.value, "pineapple");
    Ok(())
}

/// Django: update.tests.AdvancedTests.test_update_fk
async fn test_update_fk(db: Db) -> R {
    let (d0, r1) = advanced(&db).await?;
    let resp = RelatedPoint::objects().filter(RelatedPoint::name().eq("r1")).update(&db, vec![RelatedPoint::data().key.set(d0.id)]).await?;
    assert_eq!(resp, 1);
    let rows = RelatedPoint::objects().filter(RelatedPoint::data().name().eq("d0")).all(&db).await?;
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [r1.id]);
    Ok(())
}

/// Django: update.tests.AdvancedTests.test_update_multiple_fields
async fn test_update_multiple_fields(db: Db) -> R {
    advanced(&db).await?;
    let resp = DataPoint::objects()
        .filter(DataPoint::value().eq("apple"))
        .update(&db, vec![DataPoint::value().set("fruit"), DataPoint::another_value().set("peach")])
        .await?;
    assert_eq!(resp, 1);
    let d = DataPoint::objects().filter(DataPoint::name().eq("d0")).get(&db).await?;
    assert_eq!((d.value.as_str(), d.another_value.as_str()), ("fruit", "peach"));
    Ok(())
}

/// Django: update.tests.AdvancedTests.test_update_all
async fn test_update_all(db: Db) -> R {
    advanced(&db).await?;
    assert_eq!(DataPoint::objects().update(&db, vec![DataPoint::value().set("thing")]).await?, 3);
    let resp = DataPoint::objects().distinct().values_list(&db, (DataPoint::value(),)).await?;
    assert_eq!(resp, [("thing".to_string(),)]);
    Ok(())
}
