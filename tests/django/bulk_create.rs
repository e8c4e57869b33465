//! Django's `bulk_create` tests. teapot's `bulk_create(db, &mut rows)` fills the keys in place
//! (Django returns the list it was given); what Django asserts of the returned list is asserted
//! of the rows.

use crate::common::db::TestDb;
use teapot::orm::instance::{bulk_create, bulk_create_with, BulkOptions, OnConflict};
use teapot::prelude::*;
use teapot::ErrorKind;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create", unique(fields = ["iso_two_letter", "name"], name = "country_name_iso_unique"))]
    pub struct Country {
        pub id: i64,
        #[teapot(max_length = 255)]
        pub name: String,
        #[teapot(max_length = 2)]
        pub iso_two_letter: String,
        pub description: String,
    }

    /// Django's Restaurant inherits `name` from an abstract Place.
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create")]
    pub struct Restaurant {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create")]
    pub struct State {
        #[teapot(primary_key, max_length = 2)]
        pub two_letter_code: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create")]
    pub struct TwoFields {
        pub id: i64,
        #[teapot(unique)]
        pub f1: i32,
        #[teapot(unique)]
        pub f2: i32,
        #[teapot(max_length = 15)]
        pub name: Option<String>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create")]
    pub struct NoFields {
        pub id: i64,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create")]
    pub struct SmallAutoFieldModel {
        pub id: i16,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create")]
    pub struct BigAutoFieldModel {
        pub id: i64,
    }

    /// Django's NullableFields, with the field types teapot has and their literal defaults
    /// (`timezone.now` and `uuid.uuid4` are callables teapot lacks: those fields have none).
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create")]
    pub struct NullableFields {
        pub id: i64,
        #[teapot(default = 1)]
        pub big_int_filed: Option<i64>,
        pub binary_field: Option<Vec<u8>>,
        pub date_field: Option<NaiveDate>,
        pub datetime_field: Option<DateTime<Utc>>,
        #[teapot(max_digits = 2, decimal_places = 1, default = "1.1")]
        pub decimal_field: Option<Decimal>,
        #[teapot(default = 3.2)]
        pub float_field: Option<f64>,
        #[teapot(default = 2)]
        pub integer_field: Option<i32>,
        #[teapot(default = false)]
        pub null_boolean_field: Option<bool>,
        #[teapot(default = 5)]
        pub small_integer_field: Option<i16>,
        pub time_field: Option<NaiveTime>,
        #[teapot(on_delete = "cascade")]
        pub auto_field: Option<ForeignKey<NoFields>>,
        #[teapot(on_delete = "cascade")]
        pub small_auto_field: Option<ForeignKey<SmallAutoFieldModel>>,
        #[teapot(on_delete = "cascade")]
        pub big_auto_field: Option<ForeignKey<BigAutoFieldModel>>,
        #[teapot(max_length = 4, default = "char")]
        pub char_field: Option<String>,
        #[teapot(default = "text")]
        pub text_field: Option<String>,
        pub uuid_field: Option<Uuid>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create")]
    pub struct FieldsWithDbColumns {
        pub id: i64,
        #[teapot(unique, db_column = "rAnK")]
        pub rank: i32,
        #[teapot(max_length = 15, db_column = "oTheRNaMe")]
        pub name: Option<String>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create")]
    pub struct UpsertConflict {
        pub id: i64,
        #[teapot(unique)]
        pub number: i32,
        pub rank: i32,
        #[teapot(max_length = 15)]
        pub name: String,
    }

    /// Django's RelatedModel has its one-to-one to Country as primary key; here it is a unique
    /// one-to-one beside an `id` (the ported tests only name its fields).
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "bulk_create")]
    pub struct RelatedModel {
        pub id: i64,
        #[teapot(max_length = 15)]
        pub name: Option<String>,
        #[teapot(one_to_one, on_delete = "cascade")]
        pub country: ForeignKey<Country>,
        pub big_auto_fields: ManyToMany<BigAutoFieldModel>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "bulk_create", MODELS_SRC).await
}

suite!(
    test_update_conflicts_pk_in_update_fields,
    test_invalid_batch_size_exception,
    test_simple,
    test_efficiency,
    test_long_non_ascii_text,
    test_long_and_short_text,
    test_non_auto_increment_pk,
    test_non_auto_increment_pk_efficiency,
    test_batch_same_vals,
    test_large_batch,
    test_large_single_field_batch,
    test_large_batch_efficiency,
    test_large_batch_mixed,
    test_empty_model,
    test_set_pk_and_insert_single_item,
    test_set_pk_and_query_efficiency,
    test_nullable_fk_after_parent,
    test_nullable_fk_after_parent_bulk_create,
    test_large_batch_mixed_efficiency,
    test_explicit_batch_size,
    test_explicit_batch_size_efficiency,
    test_explicit_batch_size_respects_max_batch_size,
    test_ignore_conflicts_ignore,
    test_update_conflicts_no_update_fields,
    test_update_conflicts_nonexistent_update_fields,
    test_update_conflicts_unique_fields_required,
    test_update_conflicts_invalid_update_fields,
    test_update_conflicts_invalid_unique_fields,
    test_update_conflicts_two_fields_unique_fields_first,
    test_update_conflicts_two_fields_unique_fields_second,
    test_update_conflicts_unique_fields_pk,
    test_update_conflicts_two_fields_unique_fields_both,
    test_update_conflicts_unique_two_fields_unique_fields_both,
    test_update_conflicts_unique_two_fields_unique_fields_one,
    test_update_conflicts_unique_fields,
    test_update_conflicts_unique_fields_update_fields_db_column,
);

/// BulkCreateTests.setUp.
fn data() -> Vec<Country> {
    [("United States of America", "US"), ("The Netherlands", "NL"), ("Germany", "DE"), ("Czech Republic", "CZ")]
        .iter()
        .map(|(n, iso)| Country { name: n.to_string(), iso_two_letter: iso.to_string(), ..Country::defaults() })
        .collect()
}

fn desc(description: String, iso: &str) -> Country {
    Country { description, iso_two_letter: iso.into(), ..Country::defaults() }
}

async fn country_names(db: &Db) -> teapot::Result<Vec<String>> {
    Ok(Country::objects().order_by(Country::name().desc()).values_list(db, (Country::name(),)).await?.into_iter().map(|(n,)| n).collect())
}

async fn states(db: &Db) -> teapot::Result<Vec<String>> {
    Ok(State::objects().order_by(State::two_letter_code().asc()).all(db).await?.into_iter().map(|s| s.two_letter_code).collect())
}

fn state_rows() -> Vec<State> {
    ["IL", "NY", "CA", "ME"].iter().map(|s| State { two_letter_code: s.to_string() }).collect()
}

/// Django: bulk_create.tests.BulkCreateTests.test_simple
async fn test_simple(db: Db) -> R {
    let mut rows = data();
    bulk_create(&db, &mut rows).await?;
    assert_eq!(rows.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), data().iter().map(|c| c.name.as_str()).collect::<Vec<_>>());
    assert_eq!(country_names(&db).await?, ["United States of America", "The Netherlands", "Germany", "Czech Republic"]);
    let mut none: Vec<Country> = Vec::new();
    bulk_create(&db, &mut none).await?;
    assert!(none.is_empty());
    assert_eq!(Country::objects().count(&db).await?, 4);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_efficiency
async fn test_efficiency(db: Db) -> R {
    let before = db.query_count();
    bulk_create(&db, &mut data()).await?;
    assert_eq!(db.query_count() - before, 1);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_long_non_ascii_text
async fn test_long_non_ascii_text(db: Db) -> R {
    bulk_create(&db, &mut [Country { description: "Ж".repeat(3000), ..Country::defaults() }]).await?;
    assert_eq!(Country::objects().count(&db).await?, 1);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_long_and_short_text
async fn test_long_and_short_text(db: Db) -> R {
    let mut rows = [desc("a".repeat(4001), "A"), desc("a".into(), "B"), desc("Ж".repeat(2001), "C"), desc("Ж".into(), "D")];
    bulk_create(&db, &mut rows).await?;
    assert_eq!(Country::objects().count(&db).await?, 4);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_non_auto_increment_pk
async fn test_non_auto_increment_pk(db: Db) -> R {
    bulk_create(&db, &mut state_rows()).await?;
    assert_eq!(states(&db).await?, ["CA", "IL", "ME", "NY"]);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_non_auto_increment_pk_efficiency
async fn test_non_auto_increment_pk_efficiency(db: Db) -> R {
    let before = db.query_count();
    bulk_create(&db, &mut state_rows()).await?;
    assert_eq!(db.query_count() - before, 1);
    assert_eq!(states(&db).await?, ["CA", "IL", "ME", "NY"]);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_batch_same_vals
async fn test_batch_same_vals(db: Db) -> R {
    let mut rows: Vec<Restaurant> = (0..2).map(|_| Restaurant { name: "foo".into(), ..Restaurant::defaults() }).collect();
    bulk_create(&db, &mut rows).await?;
    assert_eq!(Restaurant::objects().count(&db).await?, 2);
    Ok(())
}

fn two_fields(range: std::ops::Range<i32>) -> Vec<TwoFields> {
    range.map(|i| TwoFields { f1: i, f2: i + 1, ..TwoFields::defaults() }).collect()
}

/// Django: bulk_create.tests.BulkCreateTests.test_large_batch
async fn test_large_batch(db: Db) -> R {
    bulk_create(&db, &mut two_fields(0..1001)).await?;
    assert_eq!(TwoFields::objects().count(&db).await?, 1001);
    assert_eq!(TwoFields::objects().filter(TwoFields::f1().gte(450) & TwoFields::f1().lte(550)).count(&db).await?, 101);
    assert_eq!(TwoFields::objects().filter(TwoFields::f2().gte(901)).count(&db).await?, 101);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_large_single_field_batch
async fn test_large_single_field_batch(db: Db) -> R {
    let mut rows: Vec<Restaurant> = (0..501).map(|_| Restaurant::defaults()).collect();
    bulk_create(&db, &mut rows).await?;
    // (Django checks that it does not fail.)
    assert_eq!(Restaurant::objects().count(&db).await?, 501);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_large_batch_efficiency
async fn test_large_batch_efficiency(db: Db) -> R {
    let before = db.query_count();
    bulk_create(&db, &mut two_fields(0..1001)).await?;
    let n = db.query_count() - before;
    assert!(n < 10, "{n} queries");
    Ok(())
}

fn mixed() -> Vec<TwoFields> {
    (100000..101000)
        .map(|i| TwoFields { id: if i % 2 == 0 { i64::from(i) } else { 0 }, f1: i, f2: i + 1, ..TwoFields::defaults() })
        .collect()
}

/// Django: bulk_create.tests.BulkCreateTests.test_large_batch_mixed
async fn test_large_batch_mixed(db: Db) -> R {
    bulk_create(&db, &mut mixed()).await?;
    assert_eq!(TwoFields::objects().count(&db).await?, 1000);
    let id_range: Vec<i64> = (100000..101000).step_by(2).collect();
    assert_eq!(TwoFields::objects().filter(TwoFields::id().is_in(id_range.clone())).count(&db).await?, 500);
    assert_eq!(TwoFields::objects().exclude(TwoFields::id().is_in(id_range)).count(&db).await?, 500);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_large_batch_mixed_efficiency
async fn test_large_batch_mixed_efficiency(db: Db) -> R {
    let before = db.query_count();
    bulk_create(&db, &mut mixed()).await?;
    let n = db.query_count() - before;
    assert!(n < 10, "{n} queries");
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_empty_model
async fn test_empty_model(db: Db) -> R {
    bulk_create(&db, &mut [NoFields::defaults(), NoFields::defaults()]).await?;
    assert_eq!(NoFields::objects().count(&db).await?, 2);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_set_pk_and_insert_single_item
async fn test_set_pk_and_insert_single_item(db: Db) -> R {
    let mut countries = vec![data().remove(0)];
    let before = db.query_count();
    bulk_create(&db, &mut countries).await?;
    assert_eq!(db.query_count() - before, 1);
    assert_eq!(countries.len(), 1);
    let got = Country::objects().filter(Country::id().eq(countries[0].id)).get(&db).await?;
    assert_eq!((got.id, got.name.as_str()), (countries[0].id, "United States of America"));
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_set_pk_and_query_efficiency
async fn test_set_pk_and_query_efficiency(db: Db) -> R {
    let mut countries = data();
    let before = db.query_count();
    bulk_create(&db, &mut countries).await?;
    assert_eq!(db.query_count() - before, 1);
    assert_eq!(countries.len(), 4);
    for c in &countries {
        let got = Country::objects().filter(Country::id().eq(c.id)).get(&db).await?;
        assert_eq!((got.id, &got.name), (c.id, &c.name));
    }
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_nullable_fk_after_parent
async fn test_nullable_fk_after_parent(db: Db) -> R {
    let mut parent = NoFields::defaults();
    parent.save(&db).await?;
    // Django builds the child before the parent has a key; a teapot ForeignKey holds the key.
    let child = NullableFields { auto_field: Some(ForeignKey::from(&parent)), integer_field: Some(88), ..NullableFields::defaults() };
    bulk_create(&db, &mut [child]).await?;
    let child = NullableFields::objects().filter(NullableFields::integer_field().eq(88)).get(&db).await?;
    assert_eq!(child.auto_field.map(|f| *f.key()), Some(parent.id));
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_nullable_fk_after_parent_bulk_create
async fn test_nullable_fk_after_parent_bulk_create(db: Db) -> R {
    let mut parents = [NoFields::defaults()];
    bulk_create(&db, &mut parents).await?;
    let child = NullableFields { auto_field: Some(ForeignKey::from(&parents[0])), integer_field: Some(88), ..NullableFields::defaults() };
    bulk_create(&db, &mut [child]).await?;
    let child = NullableFields::objects().filter(NullableFields::integer_field().eq(88)).get(&db).await?;
    assert_eq!(child.auto_field.map(|f| *f.key()), Some(parents[0].id));
    // The literal defaults were stored.
    assert_eq!((child.big_int_filed, child.char_field.as_deref(), child.small_integer_field), (Some(1), Some("char"), Some(5)));
    Ok(())
}

fn with(batch_size: Option<usize>, on_conflict: OnConflict) -> BulkOptions {
    BulkOptions { batch_size, on_conflict }
}

fn upsert(unique: &[&'static str], update: &[&'static str]) -> BulkOptions {
    with(None, OnConflict::Update { unique: unique.to_vec(), update: update.to_vec() })
}

/// Django: bulk_create.tests.BulkCreateTests.test_explicit_batch_size
async fn test_explicit_batch_size(db: Db) -> R {
    let objs = || (0..4).map(|i| TwoFields { f1: i, f2: i, ..TwoFields::defaults() }).collect::<Vec<_>>();
    let num_objs = 4;
    for batch_size in [1, 2, 3, num_objs] {
        bulk_create_with(&db, &mut objs(), &with(Some(batch_size), OnConflict::Fail)).await?;
        assert_eq!(TwoFields::objects().count(&db).await?, num_objs as i64, "batch_size={batch_size}");
        TwoFields::objects().delete(&db).await?;
    }
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_explicit_batch_size_efficiency
async fn test_explicit_batch_size_efficiency(db: Db) -> R {
    let objs = || (0..100).map(|i| TwoFields { f1: i, f2: i, ..TwoFields::defaults() }).collect::<Vec<_>>();
    let before = db.query_count();
    bulk_create_with(&db, &mut objs(), &with(Some(50), OnConflict::Fail)).await?;
    // Two INSERTs, in a transaction: teapot counts its BEGIN and COMMIT too, Django's
    // assertNumQueries does not.
    assert_eq!(db.query_count() - before, 2 + 2);
    TwoFields::objects().delete(&db).await?;
    let before = db.query_count();
    bulk_create_with(&db, &mut objs(), &with(Some(100), OnConflict::Fail)).await?;
    assert_eq!(db.query_count() - before, 1);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_explicit_batch_size_respects_max_batch_size
async fn test_explicit_batch_size_respects_max_batch_size(db: Db) -> R {
    let mut objs: Vec<Country> = (0..1000).map(|i| Country { name: format!("Country {i}"), ..Country::defaults() }).collect();
    // Django's connection.ops.bulk_batch_size: teapot puts at most 1000 rows in one INSERT, and
    // fewer when the database's bind-parameter limit would be passed (not for 4 columns).
    let max_batch_size = (db.max_binds() / Country::COLUMNS.len()).clamp(1, 1000);
    let before = db.query_count();
    bulk_create_with(&db, &mut objs, &with(Some(max_batch_size + 1), OnConflict::Fail)).await?;
    assert_eq!(db.query_count() - before, 1000_u64.div_ceil(max_batch_size as u64));
    assert_eq!(Country::objects().count(&db).await?, 1000);
    Ok(())
}

fn tf(f1: i32, f2: i32) -> TwoFields {
    TwoFields { f1, f2, ..TwoFields::defaults() }
}

/// Django: bulk_create.tests.BulkCreateTests.test_ignore_conflicts_ignore
async fn test_ignore_conflicts_ignore(db: Db) -> R {
    bulk_create(&db, &mut [tf(1, 1), tf(2, 2), tf(3, 3)]).await?;
    assert_eq!(TwoFields::objects().count(&db).await?, 3);
    // With OnConflict::Ignore, conflicts are ignored.
    let ignore = with(None, OnConflict::Ignore);
    let mut conflicting_objects = vec![tf(2, 2), tf(3, 3)];
    bulk_create_with(&db, &mut conflicting_objects[..1], &ignore).await?;
    bulk_create_with(&db, &mut conflicting_objects, &ignore).await?;
    assert_eq!(TwoFields::objects().count(&db).await?, 3);
    // Django: the pk stays None (teapot: the unset key, 0).
    assert_eq!(conflicting_objects[0].id, 0);
    assert_eq!(conflicting_objects[1].id, 0);
    // New objects are created and conflicts are ignored.
    let mut all = vec![tf(2, 2), tf(3, 3), tf(4, 4)];
    bulk_create_with(&db, &mut all, &ignore).await?;
    assert_eq!(TwoFields::objects().count(&db).await?, 4);
    assert_eq!(all[2].id, 0);
    // Without OnConflict::Ignore, there's a problem.
    let e = bulk_create(&db, &mut [tf(2, 2), tf(3, 3)]).await.expect_err("conflicts");
    assert_eq!(e.kind, ErrorKind::UniqueViolation, "{e}");
    Ok(())
}

fn assert_usage(r: teapot::Result<()>, names: &str) {
    let e = r.expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Usage, "{e}");
    assert!(e.to_string().contains(names), "{e}");
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_no_update_fields
async fn test_update_conflicts_no_update_fields(db: Db) -> R {
    // Django: update_conflicts=True without update_fields.
    assert_usage(bulk_create_with(&db, &mut data(), &upsert(&["iso_two_letter", "name"], &[])).await, "update");
    assert_eq!(Country::objects().count(&db).await?, 0);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_nonexistent_update_fields
async fn test_update_conflicts_nonexistent_update_fields(db: Db) -> R {
    assert_usage(bulk_create_with(&db, &mut [tf(1, 1), tf(2, 2)], &upsert(&["f1"], &["nonexistent"])).await, "nonexistent");
    assert_eq!(TwoFields::objects().count(&db).await?, 0);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_unique_fields_required
async fn test_update_conflicts_unique_fields_required(db: Db) -> R {
    assert_usage(bulk_create_with(&db, &mut [tf(1, 1), tf(2, 2)], &upsert(&[], &["f1"])).await, "unique");
    assert_eq!(TwoFields::objects().count(&db).await?, 0);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_invalid_update_fields
async fn test_update_conflicts_invalid_update_fields(db: Db) -> R {
    // Reverse one-to-one relationship.
    assert_usage(bulk_create_with(&db, &mut data(), &upsert(&["id"], &["relatedmodel"])).await, "relatedmodel");
    // Many-to-many relationship.
    let mut country = data().remove(0);
    country.create(&db).await?;
    let mut rows = [RelatedModel { country: ForeignKey::from(&country), ..RelatedModel::defaults() }];
    assert_usage(bulk_create_with(&db, &mut rows, &upsert(&["country_id"], &["big_auto_fields"])).await, "big_auto_fields");
    assert_eq!(RelatedModel::objects().count(&db).await?, 0);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_invalid_unique_fields
async fn test_update_conflicts_invalid_unique_fields(db: Db) -> R {
    // Reverse one-to-one relationship.
    assert_usage(bulk_create_with(&db, &mut data(), &upsert(&["relatedmodel"], &["name"])).await, "relatedmodel");
    // Many-to-many relationship.
    let mut country = data().remove(0);
    country.create(&db).await?;
    let mut rows = [RelatedModel { country: ForeignKey::from(&country), ..RelatedModel::defaults() }];
    assert_usage(bulk_create_with(&db, &mut rows, &upsert(&["big_auto_fields"], &["name"])).await, "big_auto_fields");
    assert_eq!(RelatedModel::objects().count(&db).await?, 0);
    Ok(())
}

fn named(f1: i32, f2: i32, name: &str) -> TwoFields {
    TwoFields { f1, f2, name: Some(name.into()), ..TwoFields::defaults() }
}

async fn two_fields_values(db: &Db) -> teapot::Result<Vec<(i32, i32, Option<String>)>> {
    let mut v = TwoFields::objects().values_list(db, (TwoFields::f1(), TwoFields::f2(), TwoFields::name())).await?;
    v.sort();
    Ok(v)
}

/// BulkCreateTests._test_update_conflicts_two_fields.
async fn update_conflicts_two_fields(db: &Db, unique_fields: &[&'static str]) -> R {
    bulk_create(db, &mut [named(1, 1, "a"), named(2, 2, "b")]).await?;
    assert_eq!(TwoFields::objects().count(db).await?, 2);
    let mut conflicting_objects = [named(1, 1, "c"), named(2, 2, "d")];
    bulk_create_with(db, &mut conflicting_objects, &upsert(unique_fields, &["name"])).await?;
    for instance in &conflicting_objects {
        assert_ne!(instance.id, 0);
    }
    assert_eq!(TwoFields::objects().count(db).await?, 2);
    assert_eq!(two_fields_values(db).await?, [(1, 1, Some("c".into())), (2, 2, Some("d".into()))]);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_two_fields_unique_fields_first
async fn test_update_conflicts_two_fields_unique_fields_first(db: Db) -> R {
    update_conflicts_two_fields(&db, &["f1"]).await
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_two_fields_unique_fields_second
async fn test_update_conflicts_two_fields_unique_fields_second(db: Db) -> R {
    update_conflicts_two_fields(&db, &["f2"]).await
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_unique_fields_pk
async fn test_update_conflicts_unique_fields_pk(db: Db) -> R {
    bulk_create(&db, &mut [named(1, 1, "a"), named(2, 2, "b")]).await?;
    let obj1 = TwoFields::objects().filter(TwoFields::f1().eq(1)).get(&db).await?;
    let obj2 = TwoFields::objects().filter(TwoFields::f1().eq(2)).get(&db).await?;
    let mut conflicting_objects = [TwoFields { id: obj1.id, ..named(3, 3, "c") }, TwoFields { id: obj2.id, ..named(4, 4, "d") }];
    bulk_create_with(&db, &mut conflicting_objects, &upsert(&["id"], &["name"])).await?;
    for instance in &conflicting_objects {
        assert_ne!(instance.id, 0);
    }
    assert_eq!(TwoFields::objects().count(&db).await?, 2);
    assert_eq!(two_fields_values(&db).await?, [(1, 1, Some("c".into())), (2, 2, Some("d".into()))]);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_two_fields_unique_fields_both
async fn test_update_conflicts_two_fields_unique_fields_both(db: Db) -> R {
    // No unique constraint covers (f1, f2): the database refuses the ON CONFLICT target.
    let e = update_conflicts_two_fields(&db, &["f1", "f2"]).await.expect_err("no constraint on (f1, f2)");
    assert_eq!(e.kind, ErrorKind::Database, "{e}");
    Ok(())
}

/// BulkCreateTests._test_update_conflicts_unique_two_fields.
async fn update_conflicts_unique_two_fields(db: &Db, unique_fields: &[&'static str]) -> R {
    bulk_create(db, &mut data()).await?;
    assert_eq!(Country::objects().count(db).await?, 4);
    let c = |name: &str, iso: &str, description: &str| Country {
        name: name.into(),
        iso_two_letter: iso.into(),
        description: description.into(),
        ..Country::defaults()
    };
    let mut new_data = [
        // Conflicting countries.
        c("Germany", "DE", "Germany is a country in Central Europe."),
        c("Czech Republic", "CZ", "The Czech Republic is a landlocked country in Central Europe."),
        // New countries.
        c("Australia", "AU", ""),
        c("Japan", "JP", "Japan is an island country in East Asia."),
    ];
    bulk_create_with(db, &mut new_data, &upsert(unique_fields, &["description"])).await?;
    for instance in &new_data {
        assert_ne!(instance.id, 0);
    }
    assert_eq!(Country::objects().count(db).await?, 6);
    let mut got = Country::objects().values_list(db, (Country::iso_two_letter(), Country::description())).await?;
    got.sort();
    let mut expected: Vec<(String, String)> = [
        ("US", ""),
        ("NL", ""),
        ("DE", "Germany is a country in Central Europe."),
        ("CZ", "The Czech Republic is a landlocked country in Central Europe."),
        ("AU", ""),
        ("JP", "Japan is an island country in East Asia."),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    expected.sort();
    assert_eq!(got, expected);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_unique_two_fields_unique_fields_both
async fn test_update_conflicts_unique_two_fields_unique_fields_both(db: Db) -> R {
    update_conflicts_unique_two_fields(&db, &["iso_two_letter", "name"]).await
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_unique_two_fields_unique_fields_one
async fn test_update_conflicts_unique_two_fields_unique_fields_one(db: Db) -> R {
    let e = update_conflicts_unique_two_fields(&db, &["iso_two_letter"]).await.expect_err("no constraint on iso_two_letter alone");
    assert_eq!(e.kind, ErrorKind::Database, "{e}");
    Ok(())
}

fn uc(number: i32, rank: i32, name: &str) -> UpsertConflict {
    UpsertConflict { number, rank, name: name.into(), ..UpsertConflict::defaults() }
}

async fn upsert_values(db: &Db) -> teapot::Result<Vec<(i32, i32, String)>> {
    let mut v =
        UpsertConflict::objects().values_list(db, (UpsertConflict::number(), UpsertConflict::rank(), UpsertConflict::name())).await?;
    v.sort();
    Ok(v)
}

fn triples(v: &[(i32, i32, &str)]) -> Vec<(i32, i32, String)> {
    v.iter().map(|(a, b, c)| (*a, *b, c.to_string())).collect()
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_unique_fields
async fn test_update_conflicts_unique_fields(db: Db) -> R {
    let unique_fields = ["number"];
    bulk_create(&db, &mut [uc(1, 1, "John"), uc(2, 2, "Mary"), uc(3, 3, "Hannah")]).await?;
    assert_eq!(UpsertConflict::objects().count(&db).await?, 3);
    let conflicting_objects = || vec![uc(1, 4, "Steve"), uc(2, 2, "Olivia"), uc(3, 1, "Hannah")];
    let mut results = conflicting_objects();
    bulk_create_with(&db, &mut results, &upsert(&unique_fields, &["name", "rank"])).await?;
    assert_eq!(results.len(), 3);
    for instance in &results {
        assert_ne!(instance.id, 0);
    }
    assert_eq!(UpsertConflict::objects().count(&db).await?, 3);
    assert_eq!(upsert_values(&db).await?, triples(&[(1, 4, "Steve"), (2, 2, "Olivia"), (3, 1, "Hannah")]));
    let mut results = conflicting_objects();
    results.push(uc(4, 4, "Mark"));
    bulk_create_with(&db, &mut results, &upsert(&unique_fields, &["name", "rank"])).await?;
    assert_eq!(results.len(), 4);
    for instance in &results {
        assert_ne!(instance.id, 0);
    }
    assert_eq!(UpsertConflict::objects().count(&db).await?, 4);
    assert_eq!(upsert_values(&db).await?, triples(&[(1, 4, "Steve"), (2, 2, "Olivia"), (3, 1, "Hannah"), (4, 4, "Mark")]));
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_unique_fields_update_fields_db_column
async fn test_update_conflicts_unique_fields_update_fields_db_column(db: Db) -> R {
    let f = |rank: i32, name: &str| FieldsWithDbColumns { rank, name: Some(name.into()), ..FieldsWithDbColumns::defaults() };
    bulk_create(&db, &mut [f(1, "a"), f(2, "b")]).await?;
    assert_eq!(FieldsWithDbColumns::objects().count(&db).await?, 2);
    let mut conflicting_objects = [f(1, "c"), f(2, "d")];
    // teapot names columns: the db_columns rAnK and oTheRNaMe.
    bulk_create_with(&db, &mut conflicting_objects, &upsert(&["rAnK"], &["oTheRNaMe"])).await?;
    for instance in &conflicting_objects {
        assert_ne!(instance.id, 0);
    }
    assert_eq!(FieldsWithDbColumns::objects().count(&db).await?, 2);
    let mut got = FieldsWithDbColumns::objects().values_list(&db, (FieldsWithDbColumns::rank(), FieldsWithDbColumns::name())).await?;
    got.sort();
    assert_eq!(got, [(1, Some("c".into())), (2, Some("d".into()))]);
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_invalid_batch_size_exception
async fn test_invalid_batch_size_exception(db: Db) -> R {
    let mut none: Vec<Country> = Vec::new();
    assert_usage(bulk_create_with(&db, &mut none, &with(Some(0), OnConflict::Fail)).await, "batch");
    Ok(())
}

/// Django: bulk_create.tests.BulkCreateTests.test_update_conflicts_pk_in_update_fields
async fn test_update_conflicts_pk_in_update_fields(db: Db) -> R {
    // Django: "bulk_create() cannot be used with primary keys in update_fields."
    assert_usage(bulk_create_with(&db, &mut [BigAutoFieldModel::defaults()], &upsert(&["id"], &["id"])).await, "id");
    assert_eq!(BigAutoFieldModel::objects().count(&db).await?, 0);
    Ok(())
}
