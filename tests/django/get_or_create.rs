//! Django's `get_or_create` tests. teapot's `get_or_create(db, cond, row)` takes the condition
//! (Django's lookup kwargs) and the whole row to create (Django builds it from the kwargs and
//! `defaults`); `update_or_create(db, cond, row, change)` applies `change` to the row found, or to
//! the new row before it is created.

use crate::common::db::TestDb;
use teapot::orm::instance::{get_or_create, update_or_create};
use teapot::prelude::*;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "get_or_create")]
    pub struct Person {
        pub id: i64,
        #[teapot(max_length = 100, unique)]
        pub first_name: String,
        #[teapot(max_length = 100)]
        pub last_name: String,
        pub birthday: NaiveDate,
        /// Django's field `defaults`: a field of that name would clash with the derive's
        /// `Person::defaults()` (and its column handle), so it is renamed, its column kept.
        #[teapot(db_column = "defaults")]
        pub defaults_text: String,
        pub create_defaults: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "get_or_create")]
    pub struct DefaultPerson {
        pub id: i64,
        #[teapot(max_length = 100, default = "Anonymous")]
        pub first_name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "get_or_create")]
    pub struct ManualPrimaryKeyTest {
        #[teapot(primary_key)]
        pub id: i32,
        #[teapot(max_length = 100)]
        pub data: String,
    }

    /// Django's Profile has its foreign key as primary key; here it is a unique foreign key
    /// beside an `id` (what the ported test needs: an insert whose target row is missing).
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "get_or_create")]
    pub struct Profile {
        pub id: i64,
        #[teapot(on_delete = "cascade", unique)]
        pub person: ForeignKey<Person>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "get_or_create")]
    pub struct Tag {
        pub id: i64,
        #[teapot(max_length = 255, unique)]
        pub text: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "get_or_create")]
    pub struct Thing {
        pub id: i64,
        #[teapot(max_length = 255)]
        pub name: String,
        pub tags: ManyToMany<Tag>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "get_or_create", MODELS_SRC).await
}

suite!(
    test_get_or_create_method_with_get,
    test_get_or_create_method_with_create,
    test_get_or_create_redundant_instance,
    test_get_or_create_with_pk_property,
    test_callable_defaults,
    test_create_with_duplicate_primary_key,
    test_savepoint_rollback,
    test_get_or_create_integrityerror,
    test_update,
    test_create,
    test_create_twice,
    test_manual_primary_key_test,
    test_with_pk_property,
    test_create_callable_default,
    test_create_callable_create_defaults,
    test_update_callable_default,
    test_create_with_duplicate_primary_key_update_or_create,
    test_get_or_create_empty,
);

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn person(first: &str, last: &str, birthday: NaiveDate) -> Person {
    Person { first_name: first.into(), last_name: last.into(), birthday, ..Person::defaults() }
}

fn named(first: &str, last: &str) -> Cond {
    Person::first_name().eq(first) & Person::last_name().eq(last)
}

/// GetOrCreateTests.setUpTestData.
async fn lennon(db: &Db) -> R {
    person("John", "Lennon", date(1940, 10, 9)).create(db).await
}

/// Django: get_or_create.tests.GetOrCreateTests.test_get_or_create_method_with_get
async fn test_get_or_create_method_with_get(db: Db) -> R {
    lennon(&db).await?;
    let (_, created) = get_or_create(&db, named("John", "Lennon"), person("John", "Lennon", date(1940, 10, 9))).await?;
    assert!(!created);
    assert_eq!(Person::objects().count(&db).await?, 1);
    Ok(())
}

/// Django: get_or_create.tests.GetOrCreateTests.test_get_or_create_method_with_create
async fn test_get_or_create_method_with_create(db: Db) -> R {
    lennon(&db).await?;
    let (_, created) = get_or_create(&db, named("George", "Harrison"), person("George", "Harrison", date(1943, 2, 25))).await?;
    assert!(created);
    assert_eq!(Person::objects().count(&db).await?, 2);
    Ok(())
}

/// Django: get_or_create.tests.GetOrCreateTests.test_get_or_create_redundant_instance
async fn test_get_or_create_redundant_instance(db: Db) -> R {
    lennon(&db).await?;
    get_or_create(&db, named("George", "Harrison"), person("George", "Harrison", date(1943, 2, 25))).await?;
    let (_, created) = get_or_create(&db, named("George", "Harrison"), person("George", "Harrison", date(1943, 2, 25))).await?;
    assert!(!created);
    assert_eq!(Person::objects().count(&db).await?, 2);
    Ok(())
}

/// Django: get_or_create.tests.GetOrCreateTests.test_get_or_create_with_pk_property
async fn test_get_or_create_with_pk_property(db: Db) -> R {
    lennon(&db).await?;
    let (t, created) = get_or_create(&db, Thing::id().eq(1), Thing { id: 1, ..Thing::defaults() }).await?;
    assert!(created);
    assert_eq!(t.id, 1);
    assert_eq!(Thing::objects().filter(Thing::id().eq(1)).count(&db).await?, 1);
    Ok(())
}

/// Django: get_or_create.tests.GetOrCreateTests.test_callable_defaults
async fn test_callable_defaults(db: Db) -> R {
    lennon(&db).await?;
    // Django calls `lambda: date(1943, 2, 25)` when it creates; the caller computes it here.
    let birthday = || date(1943, 2, 25);
    let (obj, created) = get_or_create(&db, Person::first_name().eq("George"), person("George", "Harrison", birthday())).await?;
    assert!(created);
    assert_eq!(obj.birthday, date(1943, 2, 25));
    Ok(())
}

/// GetOrCreateTestsWithManualPKs.setUpTestData.
async fn original(db: &Db) -> R {
    ManualPrimaryKeyTest { id: 1, data: "Original".into() }.create(db).await
}

/// Django: get_or_create.tests.GetOrCreateTestsWithManualPKs.test_create_with_duplicate_primary_key
async fn test_create_with_duplicate_primary_key(db: Db) -> R {
    original(&db).await?;
    let cond = ManualPrimaryKeyTest::id().eq(1) & ManualPrimaryKeyTest::data().eq("Different");
    let e = get_or_create(&db, cond, ManualPrimaryKeyTest { id: 1, data: "Different".into() }).await.expect_err("duplicate key");
    assert!(e.is_unique_violation(), "{e}");
    assert_eq!(ManualPrimaryKeyTest::objects().filter(ManualPrimaryKeyTest::id().eq(1)).get(&db).await?.data, "Original");
    Ok(())
}

/// Django: get_or_create.tests.GetOrCreateTestsWithManualPKs.test_savepoint_rollback
async fn test_savepoint_rollback(db: Db) -> R {
    original(&db).await?;
    Tag { text: "foo".into(), ..Tag::defaults() }.create(&db).await?;
    // pk 123456789 does not exist, so the tag is created: its text violates the unique constraint.
    let e = get_or_create(&db, Tag::id().eq(123456789), Tag { id: 123456789, text: "foo".into() }).await.expect_err("unique text");
    assert!(e.is_unique_violation(), "{e}");
    // Tags can be created after the error.
    Tag { text: "bar".into(), ..Tag::defaults() }.create(&db).await?;
    assert_eq!(Tag::objects().count(&db).await?, 2);
    Ok(())
}

/// Django: get_or_create.tests.GetOrCreateTestsWithManualPKs.test_get_or_create_empty
async fn test_get_or_create_empty(db: Db) -> R {
    original(&db).await?;
    // No lookup at all: an empty condition (every row matches).
    let (p, created) = get_or_create(&db, Cond::And(vec![]), DefaultPerson::defaults()).await?;
    assert!(created);
    assert_eq!(p.first_name, "Anonymous");
    Ok(())
}

/// Django: get_or_create.tests.GetOrCreateTransactionTests.test_get_or_create_integrityerror
async fn test_get_or_create_integrityerror(db: Db) -> R {
    let e = get_or_create(&db, Profile::person().eq(1), Profile { person: ForeignKey::new(1), ..Profile::defaults() })
        .await
        .expect_err("no person 1");
    assert!(e.is_foreign_key_violation(), "{e}");
    Ok(())
}

/// Django: get_or_create.tests.UpdateOrCreateTests.test_update
async fn test_update(db: Db) -> R {
    person("John", "Lennon", date(1940, 10, 9)).create(&db).await?;
    let (p, created) =
        update_or_create(&db, named("John", "Lennon"), person("John", "Lennon", date(1940, 10, 10)), |p| p.birthday = date(1940, 10, 10))
            .await?;
    assert!(!created);
    assert_eq!((p.first_name.as_str(), p.last_name.as_str(), p.birthday), ("John", "Lennon", date(1940, 10, 10)));
    let stored = Person::objects().get(&db).await?;
    assert_eq!(stored.birthday, date(1940, 10, 10));
    Ok(())
}

/// Django: get_or_create.tests.UpdateOrCreateTests.test_create
async fn test_create(db: Db) -> R {
    let (p, created) =
        update_or_create(&db, named("John", "Lennon"), person("John", "Lennon", date(1940, 10, 10)), |p| p.birthday = date(1940, 10, 10))
            .await?;
    assert!(created);
    assert_eq!((p.first_name.as_str(), p.last_name.as_str(), p.birthday), ("John", "Lennon", date(1940, 10, 10)));
    Ok(())
}

/// Django: get_or_create.tests.UpdateOrCreateTests.test_create_twice
async fn test_create_twice(db: Db) -> R {
    // create_defaults: the row to create; defaults: the change to a row found. teapot's change
    // also runs on the new row (before its insert), so it leaves a row without a key alone.
    let run = || {
        update_or_create(&db, named("John", "Lennon"), person("John", "Lennon", date(1940, 10, 10)), |p| {
            if p.id != 0 {
                p.birthday = date(1950, 2, 2)
            }
        })
    };
    let (p, created) = run().await?;
    assert!(created);
    assert_eq!(p.birthday, date(1940, 10, 10));
    // The same again: no new Person, the birthday updated.
    let (p, created) = run().await?;
    assert!(!created);
    assert_eq!(p.birthday, date(1950, 2, 2));
    Ok(())
}

/// Django: get_or_create.tests.UpdateOrCreateTests.test_manual_primary_key_test
async fn test_manual_primary_key_test(db: Db) -> R {
    original(&db).await?;
    let cond = ManualPrimaryKeyTest::id().eq(1) & ManualPrimaryKeyTest::data().eq("Different");
    let e = update_or_create(&db, cond, ManualPrimaryKeyTest { id: 1, data: "Different".into() }, |_| {}).await.expect_err("duplicate key");
    assert!(e.is_unique_violation(), "{e}");
    assert_eq!(ManualPrimaryKeyTest::objects().filter(ManualPrimaryKeyTest::id().eq(1)).get(&db).await?.data, "Original");
    Ok(())
}

/// Django: get_or_create.tests.UpdateOrCreateTests.test_with_pk_property
async fn test_with_pk_property(db: Db) -> R {
    let (t, created) = update_or_create(&db, Thing::id().eq(1), Thing { id: 1, ..Thing::defaults() }, |_| {}).await?;
    assert!(created);
    assert_eq!(t.id, 1);
    Ok(())
}

/// Django: get_or_create.tests.UpdateOrCreateTests.test_create_callable_default
async fn test_create_callable_default(db: Db) -> R {
    let (obj, created) = update_or_create(&db, named("George", "Harrison"), person("George", "Harrison", NaiveDate::default()), |p| {
        p.birthday = date(1943, 2, 25)
    })
    .await?;
    assert!(created);
    assert_eq!(obj.birthday, date(1943, 2, 25));
    Ok(())
}

/// Django: get_or_create.tests.UpdateOrCreateTests.test_create_callable_create_defaults
async fn test_create_callable_create_defaults(db: Db) -> R {
    let birthday = || date(1943, 2, 25);
    let (obj, created) = update_or_create(&db, named("George", "Harrison"), person("George", "Harrison", birthday()), |_| {}).await?;
    assert!(created);
    assert_eq!(obj.birthday, date(1943, 2, 25));
    Ok(())
}

/// Django: get_or_create.tests.UpdateOrCreateTests.test_update_callable_default
async fn test_update_callable_default(db: Db) -> R {
    update_or_create(
        &db,
        named("George", "Harrison") & Person::birthday().eq(date(1942, 2, 25)),
        person("George", "Harrison", date(1942, 2, 25)),
        |_| {},
    )
    .await?;
    let (obj, created) = update_or_create(&db, Person::first_name().eq("George"), person("George", "", NaiveDate::default()), |p| {
        p.last_name = "NotHarrison".into()
    })
    .await?;
    assert!(!created);
    assert_eq!(obj.last_name, "NotHarrison");
    assert_eq!(Person::objects().get(&db).await?.last_name, "NotHarrison");
    Ok(())
}

// Named apart from GetOrCreateTestsWithManualPKs' test of the same name.
/// Django: get_or_create.tests.UpdateOrCreateTestsWithManualPKs.test_create_with_duplicate_primary_key
async fn test_create_with_duplicate_primary_key_update_or_create(db: Db) -> R {
    ManualPrimaryKeyTest { id: 1, data: "Original".into() }.create(&db).await?;
    let cond = ManualPrimaryKeyTest::id().eq(1) & ManualPrimaryKeyTest::data().eq("Different");
    let e = update_or_create(&db, cond, ManualPrimaryKeyTest { id: 1, data: "Different".into() }, |_| {}).await.expect_err("duplicate key");
    assert!(e.is_unique_violation(), "{e}");
    assert_eq!(ManualPrimaryKeyTest::objects().filter(ManualPrimaryKeyTest::id().eq(1)).get(&db).await?.data, "Original");
    Ok(())
}
