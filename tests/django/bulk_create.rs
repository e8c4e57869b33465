//! Django's `bulk_create` tests. teapot's `bulk_create(db, &mut rows)` fills the keys in place
//! (Django returns the list it was given); what Django asserts of the returned list is asserted
//! of the rows.

use crate::common::db::TestDb;
use teapot::orm::instance::bulk_create;
use teapot::prelude::*;

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
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "bulk_create", MODELS_SRC).await
}

suite!(
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
