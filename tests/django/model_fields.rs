//! Django's `model_fields` tests: values of each field type stored and read back, and lookups
//! on them. Django's field subclasses (SlugField, EmailField, TextField) are `String` columns.

// Django's test names (test_get_FIELD_display_translated) are kept as they are.
#![allow(non_snake_case)]

use crate::common::db::TestDb;
use serde_json::json;
use teapot::prelude::*;

type R = teapot::Result<()>;

models! {
    /// Django's DataModel without `short_data`'s default (b"\x08": teapot has no default for a
    /// bytes field).
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct DataModel {
        pub id: i64,
        pub short_data: Option<Vec<u8>>,
        pub data: Vec<u8>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct BooleanModel {
        pub id: i64,
        pub bfield: bool,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct NullBooleanModel {
        pub id: i64,
        pub nbfield: Option<bool>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct Post {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub title: String,
        pub body: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct DateTimeModel {
        pub id: i64,
        pub d: NaiveDate,
        pub dt: DateTime<Utc>,
        pub t: NaiveTime,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct Foo {
        pub id: i64,
        #[teapot(max_length = 10)]
        pub a: String,
        #[teapot(max_digits = 5, decimal_places = 3)]
        pub d: Decimal,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct BigD {
        pub id: i64,
        #[teapot(max_digits = 32, decimal_places = 30)]
        pub d: Decimal,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct PrimaryKeyCharModel {
        #[teapot(primary_key, max_length = 10)]
        pub string: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct FkToChar {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub out: ForeignKey<PrimaryKeyCharModel>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct IntegerModel {
        pub id: i64,
        pub value: i32,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct BigIntegerModel {
        pub id: i64,
        pub value: i64,
        pub null_value: Option<i64>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct SmallIntegerModel {
        pub id: i64,
        pub value: i16,
    }

    /// Django's PositiveIntegerField: an integer with the CHECK Django gives it.
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields", check(name = "model_fields_positiveintegermodel_value_check", expr = "value >= 0"))]
    pub struct PositiveIntegerModel {
        pub id: i64,
        pub value: i32,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct JSONModel {
        pub id: i64,
        pub value: serde_json::Value,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct NullableJSONModel {
        pub id: i64,
        pub value: Option<serde_json::Value>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct BigS {
        pub id: i64,
        #[teapot(max_length = 255)]
        pub s: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct UnicodeSlugField {
        pub id: i64,
        #[teapot(max_length = 255)]
        pub s: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct UUIDModel {
        pub id: i64,
        pub field: Uuid,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct NullableUUIDModel {
        pub id: i64,
        pub field: Option<Uuid>,
    }

    /// Django's key default is uuid.uuid4 (a callable default teapot lacks): the tests give keys.
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct PrimaryKeyUUIDModel {
        #[teapot(primary_key)]
        pub id: Uuid,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct RelatedToUUIDModel {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub uuid_fk: ForeignKey<PrimaryKeyUUIDModel>,
    }
    /// Whiz.CHOICES, its groups ("Group 1": 1, 2; "Group 2": 3, 4) flattened: teapot's choices
    /// have no groups.
    #[derive(Debug, Clone, Copy, PartialEq, Choices)]
    pub enum WhizChoice {
        #[teapot(value = 1, label = "First")]
        First,
        #[teapot(value = 2, label = "Second")]
        Second,
        #[teapot(value = 3, label = "Third")]
        Third,
        #[teapot(value = 4, label = "Fourth")]
        Fourth,
        #[teapot(value = 0, label = "Other")]
        Other,
        #[teapot(value = 5, label = "translated")]
        Translated,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct Whiz {
        pub id: i64,
        pub c: Option<WhizChoice>,
    }

    /// Django's WhizIter: its choices an iterator over Whiz.CHOICES, the same choices here.
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct WhizIter {
        pub id: i64,
        pub c: Option<WhizChoice>,
    }

    /// Django's WhizIterEmpty: choices=iter(()), no choices at all, a plain text field.
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct WhizIterEmpty {
        pub id: i64,
        #[teapot(max_length = 1)]
        pub c: String,
    }

    /// GetFieldDisplayTests.test_overriding_FIELD_display's FooBar.
    #[derive(Debug, Clone, Copy, PartialEq, Choices)]
    pub enum FooBarChoice {
        #[teapot(value = 1, label = "foo")]
        Foo,
        #[teapot(value = 2, label = "bar")]
        Bar,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct FooBar {
        pub id: i64,
        pub foo_bar: FooBarChoice,
    }

    /// GetFieldDisplayTests.test_overriding_inherited_FIELD_display's Child, its field's choices
    /// overriding the abstract Base's [("A", "Base A")].
    #[derive(Debug, Clone, Copy, PartialEq, Choices)]
    pub enum ChildFoo {
        #[teapot(value = "A", label = "Child A")]
        A,
        #[teapot(value = "B", label = "Child B")]
        B,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "model_fields")]
    pub struct Child {
        pub id: i64,
        #[teapot(max_length = 254)]
        pub foo: ChildFoo,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "model_fields", MODELS_SRC).await
}

suite!(
    test_choices_and_field_display,
    test_get_FIELD_display_translated,
    test_overriding_FIELD_display,
    test_overriding_inherited_FIELD_display,
    test_iterator_choices,
    test_empty_iterator_choices,
    test_assignment_from_choice_enum,
    test_lookup_exclude_nonexistent_key,
    test_lookup_exclude,
    test_has_key,
    test_has_key_null_value,
    test_isnull_key,
    test_isnull_key_or_none,
    test_none_key,
    test_shallow_obj_lookup,
    test_deep_lookup_objs,
    test_shallow_lookup_obj_target,
    test_key_values,
    test_key_values_boolean,
    test_none_key_and_exact_lookup,
    test_deep_values,
    test_lookup_date_without_use_tz,
    test_set_and_retrieve,
    test_filter,
    test_return_type,
    test_emoji,
    test_datetimes_save_completely,
    test_save_without_float_conversion,
    test_lookup_really_big_value,
    test_lookup_decimal_larger_than_max_digits,
    test_roundtrip_with_trailing_zeros,
    test_empty_string_fk,
    test_backend_range_save,
    test_types,
    test_negative_values,
    test_null,
    test_json_null_different_from_sql_null,
    test_primitives,
    test_dict,
    test_list,
    test_realistic_object,
    test_exact,
    test_exact_complex,
    test_isnull,
    test_slugfield_max_length,
    test_slugfield_unicode_max_length,
    test_textfield_emoji,
    test_uuid_instance,
    test_null_handling,
    test_uuid_exact,
    test_uuid_isnull,
    test_underlying_field,
    test_update_with_related_model_instance,
    test_update_with_related_model_id,
    test_unsaved_fk,
);

const BINARY_DATA: &[u8] = b"\x00\x46\xfe";

/// Django: model_fields.test_binaryfield.BinaryFieldTests.test_set_and_retrieve
async fn test_set_and_retrieve(db: Db) -> R {
    // Django tries bytes, bytearray and memoryview: one Vec<u8> here.
    let mut dm = DataModel { data: BINARY_DATA.to_vec(), ..DataModel::defaults() };
    dm.save(&db).await?;
    let get = |id: i64| DataModel::objects().filter(DataModel::id().eq(id));
    let mut dm = get(dm.id).get(&db).await?;
    assert_eq!(dm.data, BINARY_DATA);
    // Saved again (an update).
    dm.save(&db).await?;
    assert_eq!(get(dm.id).get(&db).await?.data, BINARY_DATA);
    // (The default short_data, b"\x08", is not declared: see the model.)
    Ok(())
}

/// Django: model_fields.test_binaryfield.BinaryFieldTests.test_filter
async fn test_filter(db: Db) -> R {
    let mut dm = DataModel { data: BINARY_DATA.to_vec(), ..DataModel::defaults() };
    dm.create(&db).await?;
    DataModel { data: b"\xef\xbb\xbf".to_vec(), ..DataModel::defaults() }.create(&db).await?;
    let got = DataModel::objects().filter(DataModel::data().eq(BINARY_DATA.to_vec())).all(&db).await?;
    assert_eq!(got.iter().map(|d| d.id).collect::<Vec<_>>(), [dm.id]);
    Ok(())
}

/// Django: model_fields.test_booleanfield.BooleanFieldTests.test_return_type
async fn test_return_type(db: Db) -> R {
    for v in [true, false] {
        let mut b = BooleanModel { id: 0, bfield: v };
        b.create(&db).await?;
        b.refresh(&db).await?;
        assert_eq!(b.bfield, v);
        let mut nb = NullBooleanModel { id: 0, nbfield: Some(v) };
        nb.create(&db).await?;
        nb.refresh(&db).await?;
        assert_eq!(nb.nbfield, Some(v));
    }
    Ok(())
}

/// Django: model_fields.test_charfield.TestCharField.test_emoji
async fn test_emoji(db: Db) -> R {
    let mut p = Post { id: 0, title: "Smile 😀".into(), body: "Whatever.".into() };
    p.create(&db).await?;
    p.refresh(&db).await?;
    assert_eq!(p.title, "Smile 😀");
    Ok(())
}

/// Django: model_fields.test_datetimefield.DateTimeFieldTests.test_datetimes_save_completely
async fn test_datetimes_save_completely(db: Db) -> R {
    let dat = NaiveDate::from_ymd_opt(2014, 3, 12).expect("date");
    let tim = NaiveTime::from_hms_micro_opt(21, 22, 23, 240000).expect("time");
    let datetim = dat.and_time(tim).and_utc();
    DateTimeModel { id: 0, d: dat, dt: datetim, t: tim }.create(&db).await?;
    let obj = DateTimeModel::objects().first(&db).await?.expect("a row");
    assert_eq!((obj.d, obj.dt, obj.t), (dat, datetim, tim));
    Ok(())
}

/// Django: model_fields.test_decimalfield.DecimalFieldTests.test_save_without_float_conversion
async fn test_save_without_float_conversion(db: Db) -> R {
    let mut bd = BigD { id: 0, d: "12.9".parse().expect("decimal") };
    bd.save(&db).await?;
    let bd = BigD::objects().filter(BigD::id().eq(bd.id)).get(&db).await?;
    assert_eq!(bd.d, "12.9".parse::<Decimal>().expect("decimal"));
    Ok(())
}

/// Django: model_fields.test_decimalfield.DecimalFieldTests.test_lookup_really_big_value
async fn test_lookup_really_big_value(db: Db) -> R {
    assert!(Foo::objects().filter(Foo::d().gte(Decimal::from(100000000000i64))).all(&db).await?.is_empty());
    Ok(())
}

/// Django: model_fields.test_decimalfield.DecimalFieldTests.test_lookup_decimal_larger_than_max_digits
async fn test_lookup_decimal_larger_than_max_digits(db: Db) -> R {
    assert!(Foo::objects().filter(Foo::d().lte(Decimal::from(123456))).all(&db).await?.is_empty());
    Ok(())
}

/// Django: model_fields.test_decimalfield.DecimalFieldTests.test_roundtrip_with_trailing_zeros
async fn test_roundtrip_with_trailing_zeros(db: Db) -> R {
    let mut obj = Foo { id: 0, a: "bar".into(), d: "8.320".parse().expect("decimal") };
    obj.create(&db).await?;
    obj.refresh(&db).await?;
    // compare_total == 0: the same value with the same exponent.
    assert_eq!((obj.d.to_string().as_str(), obj.d.scale()), ("8.320", 3));
    Ok(())
}

/// Django: model_fields.test_foreignkey.ForeignKeyTests.test_empty_string_fk
async fn test_empty_string_fk(db: Db) -> R {
    let mut char_model_empty = PrimaryKeyCharModel { string: String::new() };
    char_model_empty.create(&db).await?;
    let mut fk_model_empty = FkToChar { id: 0, out: ForeignKey::from(&char_model_empty) };
    fk_model_empty.create(&db).await?;
    let got = FkToChar::objects().select_related(&["out"]).filter(FkToChar::id().eq(fk_model_empty.id)).get(&db).await?;
    assert_eq!(got.out.get()?.string, "");
    Ok(())
}

/// Django: model_fields.test_integerfield.IntegerFieldTests.test_backend_range_save
async fn test_backend_range_save(db: Db) -> R {
    // Django runs it for each integer field class (IntegerFieldTests and its subclasses): the
    // three sizes teapot has.
    for v in [i32::MIN, i32::MAX] {
        IntegerModel { id: 0, value: v }.save(&db).await?;
        let q = if v < 0 { IntegerModel::value().lte(v) } else { IntegerModel::value().gte(v) };
        let got = IntegerModel::objects().filter(q).all(&db).await?;
        assert_eq!(got.iter().map(|m| m.value).collect::<Vec<_>>(), [v]);
    }
    for v in [i64::MIN, i64::MAX] {
        BigIntegerModel { value: v, ..BigIntegerModel::defaults() }.save(&db).await?;
        let q = if v < 0 { BigIntegerModel::value().lte(v) } else { BigIntegerModel::value().gte(v) };
        let got = BigIntegerModel::objects().filter(q).all(&db).await?;
        assert_eq!(got.iter().map(|m| m.value).collect::<Vec<_>>(), [v]);
    }
    for v in [i16::MIN, i16::MAX] {
        SmallIntegerModel { id: 0, value: v }.save(&db).await?;
        let q = if v < 0 { SmallIntegerModel::value().lte(v) } else { SmallIntegerModel::value().gte(v) };
        let got = SmallIntegerModel::objects().filter(q).all(&db).await?;
        assert_eq!(got.iter().map(|m| m.value).collect::<Vec<_>>(), [v]);
    }
    Ok(())
}

/// Django: model_fields.test_integerfield.IntegerFieldTests.test_types
async fn test_types(db: Db) -> R {
    // Django checks isinstance(int); here the type is i32 by construction: the value is checked.
    let mut instance = IntegerModel { id: 0, value: 1 };
    instance.save(&db).await?;
    assert_eq!(instance.value, 1);
    assert_eq!(IntegerModel::objects().get(&db).await?.value, 1);
    Ok(())
}

/// Django: model_fields.test_integerfield.PositiveIntegerFieldTests.test_negative_values
async fn test_negative_values(db: Db) -> R {
    let mut p = PositiveIntegerModel { id: 0, value: 0 };
    p.create(&db).await?;
    // p.value = F("value") - 1; p.save(): the update of that row.
    let e = PositiveIntegerModel::objects()
        .filter(PositiveIntegerModel::id().eq(p.id))
        .update(&db, vec![PositiveIntegerModel::value().add(-1)])
        .await
        .expect_err("the CHECK refuses it");
    assert!(e.is_check_violation(), "{e}");
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestSaveLoad.test_null
async fn test_null(db: Db) -> R {
    let mut obj = NullableJSONModel { id: 0, value: None };
    obj.save(&db).await?;
    obj.refresh(&db).await?;
    assert!(obj.value.is_none());
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestSaveLoad.test_json_null_different_from_sql_null
async fn test_json_null_different_from_sql_null(db: Db) -> R {
    // Value(None, JSONField()) is JSON's null: Some(Value::Null); Python's None is SQL NULL.
    let mut json_null = NullableJSONModel { id: 0, value: Some(serde_json::Value::Null) };
    json_null.create(&db).await?;
    NullableJSONModel::objects().update(&db, vec![NullableJSONModel::value().set(serde_json::Value::Null)]).await?;
    json_null.refresh(&db).await?;
    let mut sql_null = NullableJSONModel { id: 0, value: None };
    sql_null.create(&db).await?;
    sql_null.refresh(&db).await?;
    let ids = |v: Vec<NullableJSONModel>| v.iter().map(|m| m.id).collect::<Vec<_>>();
    // 'null' is not NULL in the database.
    assert_eq!(
        ids(NullableJSONModel::objects().filter(NullableJSONModel::value().eq(serde_json::Value::Null)).all(&db).await?),
        [json_null.id]
    );
    assert_eq!(ids(NullableJSONModel::objects().filter(NullableJSONModel::value().is_null(true)).all(&db).await?), [sql_null.id]);
    // Django reads both as None; teapot keeps them apart: JSON null and no value.
    assert_eq!(json_null.value, Some(serde_json::Value::Null));
    assert_eq!(sql_null.value, None);
    Ok(())
}

async fn roundtrip(db: &Db, value: serde_json::Value) -> R {
    let mut obj = JSONModel { id: 0, value: value.clone() };
    obj.save(db).await?;
    obj.refresh(db).await?;
    assert_eq!(obj.value, value);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestSaveLoad.test_primitives
async fn test_primitives(db: Db) -> R {
    for value in [json!(true), json!(1), json!(1.45), json!("String"), json!("")] {
        roundtrip(&db, value).await?;
    }
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestSaveLoad.test_dict
async fn test_dict(db: Db) -> R {
    for value in [json!({}), json!({"name": "John", "age": 20, "height": 180.3}), json!({"a": true, "b": {"b1": false, "b2": null}})] {
        roundtrip(&db, value).await?;
    }
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestSaveLoad.test_list
async fn test_list(db: Db) -> R {
    for value in [json!([]), json!(["John", 20, 180.3]), json!([true, [false, null]])] {
        roundtrip(&db, value).await?;
    }
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestSaveLoad.test_realistic_object
async fn test_realistic_object(db: Db) -> R {
    roundtrip(
        &db,
        json!({
            "name": "John",
            "age": 20,
            "pets": [{"name": "Kit", "type": "cat", "age": 2}, {"name": "Max", "type": "dog", "age": 1}],
            "courses": [["A1", "A2", "A3"], ["B1", "B2"], ["C1"]],
        }),
    )
    .await
}

/// TestQuerying.setUpTestData (test_jsonfield): the keys of the rows, in order.
async fn json_rows(db: &Db) -> teapot::Result<Vec<i64>> {
    let values = [
        None,
        Some(json!([])),
        Some(json!({})),
        Some(json!({"a": "b", "c": 14})),
        Some(json!({
            "a": "b", "c": 14, "d": ["e", {"f": "g"}], "h": true, "i": false, "j": null, "k": {"l": "m"},
            "n": [null, true, false], "o": "\"quoted\"", "p": 4.2, "r": {"s": true, "t": false},
        })),
        Some(json!([1, [2]])),
        Some(json!({"k": true, "l": false, "foo": "bax"})),
        Some(json!({"foo": "bar", "baz": {"a": "b", "c": "d"}, "bar": ["foo", "bar"], "bax": {"foo": "bar"}})),
        Some(json!(true)),
        Some(json!(false)),
        Some(json!("yes")),
        Some(json!(7)),
        Some(json!(9.6)),
    ];
    let mut ids = Vec::new();
    for value in values {
        let mut m = NullableJSONModel { id: 0, value };
        m.create(db).await?;
        ids.push(m.id);
    }
    Ok(ids)
}

async fn json_ids(db: &Db, c: Cond) -> teapot::Result<Vec<i64>> {
    Ok(NullableJSONModel::objects().filter(c).order_by(NullableJSONModel::id().asc()).all(db).await?.iter().map(|m| m.id).collect())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_exact
async fn test_exact(db: Db) -> R {
    let objs = json_rows(&db).await?;
    assert_eq!(json_ids(&db, NullableJSONModel::value().eq(json!({}))).await?, [objs[2]]);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_exact_complex
async fn test_exact_complex(db: Db) -> R {
    let objs = json_rows(&db).await?;
    assert_eq!(json_ids(&db, NullableJSONModel::value().eq(json!({"a": "b", "c": 14}))).await?, [objs[3]]);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_isnull
async fn test_isnull(db: Db) -> R {
    let objs = json_rows(&db).await?;
    assert_eq!(json_ids(&db, NullableJSONModel::value().is_null(true)).await?, [objs[0]]);
    Ok(())
}

/// Django: model_fields.test_slugfield.SlugFieldTests.test_slugfield_max_length
async fn test_slugfield_max_length(db: Db) -> R {
    let mut bs = BigS { id: 0, s: "slug".repeat(50) };
    bs.create(&db).await?;
    assert_eq!(BigS::objects().filter(BigS::id().eq(bs.id)).get(&db).await?.s, "slug".repeat(50));
    Ok(())
}

/// Django: model_fields.test_slugfield.SlugFieldTests.test_slugfield_unicode_max_length
async fn test_slugfield_unicode_max_length(db: Db) -> R {
    let mut bs = UnicodeSlugField { id: 0, s: "你好你好".repeat(50) };
    bs.create(&db).await?;
    assert_eq!(UnicodeSlugField::objects().filter(UnicodeSlugField::id().eq(bs.id)).get(&db).await?.s, "你好你好".repeat(50));
    Ok(())
}

/// Django: model_fields.test_textfield.TextFieldTests.test_emoji
async fn test_textfield_emoji(db: Db) -> R {
    let mut p = Post { id: 0, title: "Whatever".into(), body: "Smile 😀.".into() };
    p.create(&db).await?;
    p.refresh(&db).await?;
    assert_eq!(p.body, "Smile 😀.");
    Ok(())
}

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// Django: model_fields.test_uuid.TestSaveLoad.test_uuid_instance
async fn test_uuid_instance(db: Db) -> R {
    // uuid.uuid4(): any UUID (the uuid crate here has no random generator enabled).
    let mut instance = UUIDModel { id: 0, field: uuid(0x2f1c_0e4a_9b7d_4e21_8c3f_5a6b_7c8d_9e0f) };
    instance.create(&db).await?;
    assert_eq!(UUIDModel::objects().get(&db).await?.field, instance.field);
    Ok(())
}

/// Django: model_fields.test_uuid.TestSaveLoad.test_null_handling
async fn test_null_handling(db: Db) -> R {
    NullableUUIDModel { id: 0, field: None }.create(&db).await?;
    assert!(NullableUUIDModel::objects().get(&db).await?.field.is_none());
    Ok(())
}

/// TestQuerying.setUpTestData (test_uuid).
async fn uuid_rows(db: &Db) -> teapot::Result<Vec<i64>> {
    let mut ids = Vec::new();
    for field in [Some("25d405be-4895-4d50-9b2e-d6695359ce47"), Some("550e8400e29b41d4a716446655440000"), None] {
        let mut m = NullableUUIDModel { id: 0, field: field.map(|f| f.parse().expect("uuid")) };
        m.create(db).await?;
        ids.push(m.id);
    }
    Ok(ids)
}

/// Django: model_fields.test_uuid.TestQuerying.test_exact
async fn test_uuid_exact(db: Db) -> R {
    let objs = uuid_rows(&db).await?;
    for s in ["550e8400e29b41d4a716446655440000", "550e8400-e29b-41d4-a716-446655440000"] {
        let u: Uuid = s.parse().expect("uuid");
        let got = NullableUUIDModel::objects().filter(NullableUUIDModel::field().eq(u)).all(&db).await?;
        assert_eq!(got.iter().map(|m| m.id).collect::<Vec<_>>(), [objs[1]]);
    }
    Ok(())
}

/// Django: model_fields.test_uuid.TestQuerying.test_isnull
async fn test_uuid_isnull(db: Db) -> R {
    let objs = uuid_rows(&db).await?;
    let got = NullableUUIDModel::objects().filter(NullableUUIDModel::field().is_null(true)).all(&db).await?;
    assert_eq!(got.iter().map(|m| m.id).collect::<Vec<_>>(), [objs[2]]);
    Ok(())
}

async fn pk_model(db: &Db, n: u128) -> teapot::Result<PrimaryKeyUUIDModel> {
    let mut m = PrimaryKeyUUIDModel { id: uuid(n) };
    m.create(db).await?;
    Ok(m)
}

/// Django: model_fields.test_uuid.TestAsPrimaryKey.test_underlying_field
async fn test_underlying_field(db: Db) -> R {
    let pk = pk_model(&db, 1).await?;
    RelatedToUUIDModel { id: 0, uuid_fk: ForeignKey::from(&pk) }.create(&db).await?;
    let related = RelatedToUUIDModel::objects().select_related(&["uuid_fk"]).get(&db).await?;
    assert_eq!(related.uuid_fk.get()?.id, *related.uuid_fk.key());
    Ok(())
}

/// Django: model_fields.test_uuid.TestAsPrimaryKey.test_update_with_related_model_instance
async fn test_update_with_related_model_instance(db: Db) -> R {
    let u1 = pk_model(&db, 1).await?;
    let u2 = pk_model(&db, 2).await?;
    let mut r = RelatedToUUIDModel { id: 0, uuid_fk: ForeignKey::from(&u1) };
    r.create(&db).await?;
    RelatedToUUIDModel::objects().update(&db, vec![RelatedToUUIDModel::uuid_fk().key.set(u2.id)]).await?;
    r.refresh(&db).await?;
    assert_eq!(*r.uuid_fk.key(), u2.id);
    Ok(())
}

/// Django: model_fields.test_uuid.TestAsPrimaryKey.test_update_with_related_model_id
async fn test_update_with_related_model_id(db: Db) -> R {
    let u1 = pk_model(&db, 1).await?;
    let u2 = pk_model(&db, 2).await?;
    let mut r = RelatedToUUIDModel { id: 0, uuid_fk: ForeignKey::new(u1.id) };
    r.create(&db).await?;
    RelatedToUUIDModel::objects().update(&db, vec![RelatedToUUIDModel::uuid_fk().key.set(u2.id)]).await?;
    r.refresh(&db).await?;
    assert_eq!(*r.uuid_fk.key(), u2.id);
    Ok(())
}

/// Django: model_fields.test_uuid.TestAsPrimaryKeyTransactionTests.test_unsaved_fk
async fn test_unsaved_fk(db: Db) -> R {
    let u1 = PrimaryKeyUUIDModel { id: uuid(1) };
    let e = RelatedToUUIDModel { id: 0, uuid_fk: ForeignKey::from(&u1) }.create(&db).await.expect_err("u1 is not saved");
    assert!(e.is_foreign_key_violation(), "{e}");
    Ok(())
}

/// Django: model_fields.test_datetimefield.DateTimeFieldTests.test_lookup_date_without_use_tz
async fn test_lookup_date_without_use_tz(db: Db) -> R {
    // (USE_TZ=False: naive datetimes; teapot's are UTC, which the lookup reads as they are.)
    let d = NaiveDate::from_ymd_opt(2014, 3, 12).expect("date");
    let t = NaiveTime::from_hms_micro_opt(21, 22, 23, 240000).expect("time");
    let dt1 = d.and_time(t).and_utc();
    let dt2 = NaiveDate::from_ymd_opt(2014, 3, 11).expect("date").and_time(t).and_utc();
    let mut m = DateTimeModel { id: 0, d, dt: dt1, t };
    m.create(&db).await?;
    // Other model with different datetime.
    DateTimeModel { id: 0, d, dt: dt2, t }.create(&db).await?;
    assert_eq!(DateTimeModel::objects().filter(DateTimeModel::dt().date().eq(d)).get(&db).await?.id, m.id);
    Ok(())
}

/// The keys of the rows a condition keeps (sorted: assertCountEqual; in key order:
/// assertSequenceEqual on a model with no ordering, whose rows come in key order here).
async fn json_set(db: &Db, q: teapot::orm::QuerySet<NullableJSONModel>) -> teapot::Result<Vec<i64>> {
    let mut v: Vec<i64> = q.all(db).await?.iter().map(|o| o.id).collect();
    v.sort();
    Ok(v)
}

fn pick(objs: &[i64], idx: &[usize]) -> Vec<i64> {
    let mut v: Vec<i64> = idx.iter().map(|&i| objs[i]).collect();
    v.sort();
    v
}

type J = NullableJSONModel;

/// Django: model_fields.test_jsonfield.TestQuerying.test_has_key
async fn test_has_key(db: Db) -> R {
    let objs = json_rows(&db).await?;
    assert_eq!(json_set(&db, J::objects().filter(J::value().has_key("a"))).await?, pick(&objs, &[3, 4]));
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_has_key_null_value
async fn test_has_key_null_value(db: Db) -> R {
    let objs = json_rows(&db).await?;
    assert_eq!(json_set(&db, J::objects().filter(J::value().has_key("j"))).await?, [objs[4]]);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_isnull_key
async fn test_isnull_key(db: Db) -> R {
    let objs = json_rows(&db).await?;
    let all_but = |skip: &[usize]| pick(&objs, &(0..objs.len()).filter(|i| !skip.contains(i)).collect::<Vec<_>>());
    // key__isnull=False works the same as has_key='key'.
    assert_eq!(json_set(&db, J::objects().filter(J::value().key("a").is_null(true))).await?, all_but(&[3, 4]));
    assert_eq!(json_set(&db, J::objects().filter(J::value().key("j").is_null(true))).await?, all_but(&[4]));
    assert_eq!(json_set(&db, J::objects().filter(J::value().key("a").is_null(false))).await?, pick(&objs, &[3, 4]));
    assert_eq!(json_set(&db, J::objects().filter(J::value().key("j").is_null(false))).await?, [objs[4]]);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_isnull_key_or_none
async fn test_isnull_key_or_none(db: Db) -> R {
    let objs = json_rows(&db).await?;
    let mut obj = NullableJSONModel { id: 0, value: Some(json!({"a": null})) };
    obj.create(&db).await?;
    let c = J::value().key("a").is_null(true) | J::value().key("a").eq(serde_json::Value::Null);
    let mut expected: Vec<i64> = objs.iter().enumerate().filter(|(i, _)| ![3, 4].contains(i)).map(|(_, id)| *id).collect();
    expected.push(obj.id);
    expected.sort();
    assert_eq!(json_set(&db, J::objects().filter(c)).await?, expected);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_none_key
async fn test_none_key(db: Db) -> R {
    let objs = json_rows(&db).await?;
    // value__j=None: the key holds JSON null.
    assert_eq!(json_set(&db, J::objects().filter(J::value().key("j").eq(serde_json::Value::Null))).await?, [objs[4]]);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_shallow_obj_lookup
async fn test_shallow_obj_lookup(db: Db) -> R {
    let objs = json_rows(&db).await?;
    assert_eq!(json_set(&db, J::objects().filter(J::value().key("a").eq(json!("b")))).await?, pick(&objs, &[3, 4]));
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_deep_lookup_objs
async fn test_deep_lookup_objs(db: Db) -> R {
    let objs = json_rows(&db).await?;
    assert_eq!(json_set(&db, J::objects().filter(J::value().key("k").key("l").eq(json!("m")))).await?, [objs[4]]);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_shallow_lookup_obj_target
async fn test_shallow_lookup_obj_target(db: Db) -> R {
    let objs = json_rows(&db).await?;
    assert_eq!(json_set(&db, J::objects().filter(J::value().key("k").eq(json!({"l": "m"})))).await?, [objs[4]]);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_lookup_exclude
async fn test_lookup_exclude(db: Db) -> R {
    let objs = json_rows(&db).await?;
    let tests = [(J::value().key("a").eq(json!("b")), pick(&objs, &[0])), (J::value().key("foo").eq(json!("bax")), pick(&objs, &[0, 7]))];
    for (condition, expected) in tests {
        assert_eq!(json_set(&db, J::objects().exclude(condition.clone())).await?, expected, "{condition:?}");
        assert_eq!(json_set(&db, J::objects().filter(!condition.clone())).await?, expected, "~{condition:?}");
    }
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_lookup_exclude_nonexistent_key
async fn test_lookup_exclude_nonexistent_key(db: Db) -> R {
    let objs = json_rows(&db).await?;
    // Values without the key are ignored.
    let condition = || J::value().key("foo").eq(json!("bax"));
    let objs_with_value = pick(&objs, &[6]);
    let objs_with_different_value = pick(&objs, &[0, 7]);
    assert_eq!(json_set(&db, J::objects().exclude(condition())).await?, objs_with_different_value);
    assert_eq!(json_set(&db, J::objects().exclude(!condition())).await?, objs_with_value);
    let both = pick(&objs, &[0, 6, 7]);
    assert_eq!(json_set(&db, J::objects().filter(condition() | !condition())).await?, both);
    assert_eq!(json_set(&db, J::objects().exclude(condition() & !condition())).await?, both);
    // Add the __isnull lookup to get an exhaustive set.
    let with_foo = || condition() & J::value().key("foo").is_null(false);
    let all_but_6 = pick(&objs, &(0..objs.len()).filter(|&i| i != 6).collect::<Vec<_>>());
    assert_eq!(json_set(&db, J::objects().exclude(with_foo())).await?, all_but_6);
    assert_eq!(json_set(&db, J::objects().filter(with_foo())).await?, objs_with_value);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_key_values
async fn test_key_values(db: Db) -> R {
    json_rows(&db).await?;
    let qs = || J::objects().filter(J::value().key("h").eq(json!(true)));
    let tests = [
        ("a", json!("b")),
        ("c", json!(14)),
        ("d", json!(["e", {"f": "g"}])),
        ("h", json!(true)),
        ("i", json!(false)),
        ("j", serde_json::Value::Null),
        ("k", json!({"l": "m"})),
        ("n", json!([null, true, false])),
        ("p", json!(4.2)),
        ("r", json!({"s": true, "t": false})),
    ];
    for (lookup, expected) in tests {
        // values_list("value__<key>", flat=True).get(): exactly one row.
        let got = qs().values_list(&db, (J::value().key(lookup),)).await?;
        assert_eq!(got, [(Some(expected),)], "value__{lookup}");
    }
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_key_values_boolean
async fn test_key_values_boolean(db: Db) -> R {
    json_rows(&db).await?;
    let qs = || J::objects().filter(J::value().key("h").eq(json!(true)) & J::value().key("i").eq(json!(false)));
    for (lookup, expected) in [("h", true), ("i", false)] {
        let got = qs().values_list(&db, (J::value().key(lookup),)).await?;
        assert_eq!(got, [(Some(json!(expected)),)], "value__{lookup}");
    }
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_none_key_and_exact_lookup
async fn test_none_key_and_exact_lookup(db: Db) -> R {
    let objs = json_rows(&db).await?;
    let c = J::value().key("a").eq(json!("b")) & J::value().key("j").eq(serde_json::Value::Null);
    assert_eq!(json_set(&db, J::objects().filter(c)).await?, [objs[4]]);
    Ok(())
}

/// Django: model_fields.test_jsonfield.TestQuerying.test_deep_values
async fn test_deep_values(db: Db) -> R {
    let objs = json_rows(&db).await?;
    let qs = J::objects().order_by(J::id().asc()).values_list(&db, (J::value().key("k").key("l"),)).await?;
    let mut expected_objs = vec![(None,); objs.len()];
    expected_objs[4] = (Some(json!("m")),);
    assert_eq!(qs, expected_objs);
    Ok(())
}

/// Django: model_fields.tests.GetFieldDisplayTests.test_choices_and_field_display
async fn test_choices_and_field_display(_db: Db) -> R {
    let display = |w: Whiz| w.c.map(|c| c.label());
    assert_eq!(display(Whiz { c: Some(WhizChoice::First), ..Whiz::defaults() }), Some("First")); // A nested value
    assert_eq!(display(Whiz { c: Some(WhizChoice::Other), ..Whiz::defaults() }), Some("Other")); // A top level value
    assert_eq!(display(Whiz { c: None, ..Whiz::defaults() }), None); // Blank value
                                                                     // An invalid value (9) or an empty one ("") is no WhizChoice: it does not compile. Django's
                                                                     // WhizDelayed gets its choices after the class is made, which a Rust type cannot.
    assert_eq!(WhizChoice::CHOICES.iter().find(|(v, _)| *v == 0).map(|(_, l)| *l), Some("Other"));
    Ok(())
}

/// Django: model_fields.tests.GetFieldDisplayTests.test_get_FIELD_display_translated
async fn test_get_FIELD_display_translated(_db: Db) -> R {
    // A translated display value is coerced to str: label() is a &str.
    let val: &str = Whiz { c: Some(WhizChoice::Translated), ..Whiz::defaults() }.c.expect("a choice").label();
    assert_eq!(val, "translated");
    Ok(())
}

/// A display method of FooBar's own, in place of the choice's label.
impl FooBar {
    fn get_foo_bar_display(&self) -> &str {
        "something"
    }
}

/// Django: model_fields.tests.GetFieldDisplayTests.test_overriding_FIELD_display
async fn test_overriding_FIELD_display(_db: Db) -> R {
    let f = FooBar { foo_bar: FooBarChoice::Foo, ..FooBar::defaults() };
    assert_eq!(f.get_foo_bar_display(), "something");
    assert_eq!(f.foo_bar.label(), "foo");
    Ok(())
}

/// Django: model_fields.tests.GetFieldDisplayTests.test_overriding_inherited_FIELD_display
async fn test_overriding_inherited_FIELD_display(db: Db) -> R {
    // Child's field, with its own choices, displays its own labels (teapot has no abstract
    // models: Child declares the field).
    assert_eq!(Child { foo: ChildFoo::A, ..Child::defaults() }.foo.label(), "Child A");
    assert_eq!(Child { foo: ChildFoo::B, ..Child::defaults() }.foo.label(), "Child B");
    // The same read back.
    let mut c = Child { foo: ChildFoo::B, ..Child::defaults() };
    c.create(&db).await?;
    assert_eq!(Child::objects().get(&db).await?.foo.label(), "Child B");
    Ok(())
}

/// Django: model_fields.tests.GetFieldDisplayTests.test_iterator_choices
async fn test_iterator_choices(_db: Db) -> R {
    assert_eq!(WhizIter { c: Some(WhizChoice::First), ..WhizIter::defaults() }.c.map(|c| c.value()), Some(1)); // A nested value
    assert_eq!(WhizIter { c: None, ..WhizIter::defaults() }.c, None); // Blank value
                                                                      // An invalid value (9) or an empty one ("") is no WhizChoice: it does not compile.
    Ok(())
}

/// Django: model_fields.tests.GetFieldDisplayTests.test_empty_iterator_choices
async fn test_empty_iterator_choices(db: Db) -> R {
    assert_eq!(WhizIterEmpty { c: "a".into(), ..WhizIterEmpty::defaults() }.c, "a"); // A nested value
    assert_eq!(WhizIterEmpty { c: "b".into(), ..WhizIterEmpty::defaults() }.c, "b"); // Invalid value
    assert_eq!(WhizIterEmpty { c: "".into(), ..WhizIterEmpty::defaults() }.c, ""); // Empty value
                                                                                   // c=None: the field is not nullable, a String (Django keeps None on the unsaved instance).
    let mut w = WhizIterEmpty { c: "b".into(), ..WhizIterEmpty::defaults() };
    w.create(&db).await?;
    assert_eq!(WhizIterEmpty::objects().get(&db).await?.c, "b");
    Ok(())
}

/// Django's test_assignment_from_choice_enum's Event (a TextChoices).
#[derive(Debug, Clone, Copy, PartialEq, Choices)]
pub enum Event {
    #[teapot(value = "Carnival!")]
    C,
    #[teapot(value = "Festival!")]
    F,
}

/// Django: model_fields.test_charfield.TestCharField.test_assignment_from_choice_enum
async fn test_assignment_from_choice_enum(db: Db) -> R {
    let mut p1 = Post { id: 0, title: Event::C.value().into(), body: Event::F.value().into() };
    p1.create(&db).await?;
    p1.refresh(&db).await?;
    assert_eq!(p1.title, "Carnival!");
    assert_eq!(p1.body, "Festival!");
    assert_eq!(p1.title, Event::C.value());
    assert_eq!(p1.body, Event::F.value());
    let p2 = Post::objects().filter(Post::title().eq("Carnival!")).get(&db).await?;
    assert_eq!(p1.id, p2.id);
    assert_eq!(p2.title, Event::C.value());
    Ok(())
}
