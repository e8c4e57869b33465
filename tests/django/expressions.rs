//! Django's `expressions` tests that teapot's column comparisons (`cmp_col`) and update
//! assignments (`set`, `add`) express.

// Django's test names (test_F_reuse, test_update_TimeField_using_Value) are kept as they are.
#![allow(non_snake_case)]

use crate::common::db::TestDb;
use teapot::orm::Op;
use teapot::prelude::*;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "expressions")]
    pub struct Manager {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "cascade", related_name = "managers")]
        pub secretary: Option<ForeignKey<Employee>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "expressions")]
    pub struct Employee {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub firstname: String,
        #[teapot(max_length = 50)]
        pub lastname: String,
        pub salary: Option<i32>,
        #[teapot(on_delete = "cascade")]
        pub manager: Option<ForeignKey<Manager>>,
        #[teapot(default = false)]
        pub based_in_eu: bool,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "expressions")]
    pub struct Company {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
        pub num_employees: i32,
        pub num_chairs: i32,
        #[teapot(on_delete = "cascade", related_name = "company_ceo_set")]
        pub ceo: ForeignKey<Employee>,
        #[teapot(on_delete = "set_null", related_name = "company_point_of_contact_set")]
        pub point_of_contact: Option<ForeignKey<Employee>>,
        #[teapot(default = false)]
        pub based_in_eu: bool,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "expressions")]
    pub struct Number {
        pub id: i64,
        #[teapot(db_column = "the_integer")]
        pub integer: i64,
        #[teapot(db_column = "the_float")]
        pub float: Option<f64>,
        #[teapot(max_digits = 20, decimal_places = 17)]
        pub decimal_value: Option<Decimal>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "expressions")]
    pub struct Time {
        pub id: i64,
        pub time: Option<NaiveTime>,
    }

    /// Django's `UUID` (renamed for Rust's naming lints; its table kept).
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "expressions", table = "expressions_uuid")]
    pub struct UuidModel {
        pub id: i64,
        pub uuid: Option<Uuid>,
        #[teapot(on_delete = "cascade")]
        pub uuid_fk: Option<ForeignKey<UuidPk>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "expressions", table = "expressions_uuidpk")]
    pub struct UuidPk {
        #[teapot(primary_key)]
        pub id: Uuid,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "expressions", MODELS_SRC).await
}

suite!(
    test_filter_inter_attribute,
    test_range_lookup_namedtuple,
    test_F_reuse,
    test_increment_value,
    test_lefthand_addition,
    test_lefthand_subtraction,
    test_update_TimeField_using_Value,
    test_update_UUIDField_using_Value,
    test_update,
    test_arithmetic,
    test_parenthesis_priority,
    test_update_with_none,
    test_decimal_expression,
    test_lefthand_multiplication,
    test_lefthand_division,
    test_boolean_expression_combined,
    test_boolean_expression_combined_with_empty_Q,
    test_boolean_expression_in_Q,
    test_in_subquery,
    test_negated_empty_exists,
    test_uuid_pk_subquery,
    test_filter_with_join,
    test_order_of_operations,
    test_order_by_exists,
    test_right_hand_addition,
    test_right_hand_subtraction,
    test_right_hand_multiplication,
    test_right_hand_division,
    test_right_hand_modulo,
);

async fn employee(db: &Db, first: &str, last: &str, salary: Option<i32>) -> teapot::Result<Employee> {
    let mut e = Employee { firstname: first.into(), lastname: last.into(), salary, ..Employee::defaults() };
    e.create(db).await?;
    Ok(e)
}

async fn company(db: &Db, name: &str, num_employees: i32, num_chairs: i32, ceo: &Employee) -> teapot::Result<Company> {
    let mut c = Company { name: name.into(), num_employees, num_chairs, ceo: ForeignKey::from(ceo), ..Company::defaults() };
    c.create(db).await?;
    Ok(c)
}

/// Django: expressions.tests.BasicExpressionsTests.test_filter_inter_attribute
async fn test_filter_inter_attribute(db: Db) -> R {
    // BasicExpressionsTests.setUpTestData.
    company(&db, "Example Inc.", 2300, 5, &employee(&db, "Joe", "Smith", Some(10)).await?).await?;
    let mut foobar = company(&db, "Foobar Ltd.", 3, 4, &employee(&db, "Frank", "Meyer", Some(20)).await?).await?;
    foobar.based_in_eu = true;
    foobar.save(&db).await?;
    company(&db, "Test GmbH", 32, 1, &employee(&db, "Max", "Mustermann", Some(30)).await?).await?;
    // Companies with more employees than chairs.
    let got = Company::objects()
        .filter(Company::num_employees().cmp_col(Op::Gt, Company::num_chairs()))
        .order_by(Company::name().asc())
        .order_by(Company::num_employees().asc())
        .order_by(Company::num_chairs().asc())
        .values_list(&db, (Company::name(), Company::num_employees(), Company::num_chairs()))
        .await?;
    assert_eq!(got, [("Example Inc.".to_string(), 2300, 5), ("Test GmbH".to_string(), 32, 1)]);
    Ok(())
}

/// Django: expressions.tests.IterableLookupInnerExpressionsTests.test_range_lookup_namedtuple
async fn test_range_lookup_namedtuple(db: Db) -> R {
    let ceo = employee(&db, "Just", "Doit", Some(30)).await?;
    for (name, e, c) in [("5020 Ltd", 50, 20), ("5040 Ltd", 50, 40), ("5050 Ltd", 50, 50), ("5060 Ltd", 50, 60)] {
        company(&db, name, e, c, &ceo).await?;
    }
    let c99300 = company(&db, "99300 Ltd", 99, 300, &ceo).await?;
    // EmployeeRange(minimum=51, maximum=100): the range's two ends.
    let (minimum, maximum) = (51, 100);
    let qs = Company::objects().filter(Company::num_employees().range(minimum, maximum)).all(&db).await?;
    assert_eq!(qs.iter().map(|c| c.id).collect::<Vec<_>>(), [c99300.id]);
    Ok(())
}

/// Django: expressions.tests.ExpressionsTests.test_F_reuse
async fn test_F_reuse(db: Db) -> R {
    let mut n = Number { integer: -1, ..Number::defaults() };
    n.create(&db).await?;
    let c = company(&db, "Example Inc.", 2300, 5, &employee(&db, "Joe", "Smith", None).await?).await?;
    let c_qs = Company::objects().filter(Company::id().cmp_col(Op::Eq, Company::id()));
    assert_eq!(c_qs.get(&db).await?.id, c.id);
    // The same comparison on another model.
    let n_qs = Number::objects().filter(Number::id().cmp_col(Op::Eq, Number::id()));
    assert_eq!(n_qs.get(&db).await?.id, n.id);
    // The first query still works.
    assert_eq!(c_qs.get(&db).await?.id, c.id);
    Ok(())
}

/// Django: expressions.tests.ExpressionsNumericTests.test_increment_value
async fn test_increment_value(db: Db) -> R {
    // ExpressionsNumericTests.setUpTestData, whose `update(float=F("integer"))` (a column copied
    // into another) teapot lacks: the floats are given.
    for i in [-1i64, 42, 1337] {
        Number { integer: i, float: Some(i as f64), ..Number::defaults() }.save(&db).await?;
    }
    assert_eq!(Number::objects().filter(Number::integer().gt(0)).update(&db, vec![Number::integer().add(1)]).await?, 2);
    let mut got: Vec<(i64, i64)> =
        Number::objects().all(&db).await?.iter().map(|n| (n.integer, n.float.expect("a float").round() as i64)).collect();
    got.sort();
    assert_eq!(got, [(-1, -1), (43, 42), (1338, 1337)]);
    Ok(())
}

/// ExpressionOperatorTests.setUpTestData: n (42, 15.5) and n1 (-42, -15.5).
async fn operands(db: &Db) -> teapot::Result<Number> {
    let mut n = Number { integer: 42, float: Some(15.5), ..Number::defaults() };
    n.create(db).await?;
    Number { integer: -42, float: Some(-15.5), ..Number::defaults() }.create(db).await?;
    Ok(n)
}

fn approx(got: Option<f64>, want: f64) {
    let got = got.expect("a float");
    assert!((got - want).abs() < 0.0005, "{got} is not {want} to 3 places");
}

/// Django: expressions.tests.ExpressionOperatorTests.test_lefthand_addition
async fn test_lefthand_addition(db: Db) -> R {
    let n = operands(&db).await?;
    let this = || Number::objects().filter(Number::id().eq(n.id));
    this().update(&db, vec![Number::integer().add(15), Number::float().add(42.7)]).await?;
    let got = this().get(&db).await?;
    assert_eq!(got.integer, 57);
    approx(got.float, 58.2);
    Ok(())
}

/// Django: expressions.tests.ExpressionOperatorTests.test_lefthand_subtraction
async fn test_lefthand_subtraction(db: Db) -> R {
    let n = operands(&db).await?;
    let this = || Number::objects().filter(Number::id().eq(n.id));
    // F("integer") - 15: teapot's `add` of the negated amount.
    this().update(&db, vec![Number::integer().add(-15), Number::float().add(-42.7)]).await?;
    let got = this().get(&db).await?;
    assert_eq!(got.integer, 27);
    approx(got.float, -27.2);
    Ok(())
}

/// Django: expressions.tests.ValueTests.test_update_TimeField_using_Value
async fn test_update_TimeField_using_Value(db: Db) -> R {
    Time::defaults().create(&db).await?;
    let one = NaiveTime::from_hms_opt(1, 0, 0).expect("time");
    Time::objects().update(&db, vec![Time::time().set(one)]).await?;
    assert_eq!(Time::objects().get(&db).await?.time, Some(one));
    Ok(())
}

/// Django: expressions.tests.ValueTests.test_update_UUIDField_using_Value
async fn test_update_UUIDField_using_Value(db: Db) -> R {
    UuidModel::defaults().create(&db).await?;
    let u: Uuid = "12345678901234567890123456789012".parse().expect("uuid");
    UuidModel::objects().update(&db, vec![UuidModel::uuid().set(u)]).await?;
    assert_eq!(UuidModel::objects().get(&db).await?.uuid, Some(u));
    Ok(())
}

/// BasicExpressionsTests.setUpTestData.
async fn companies(db: &Db) -> R {
    company(db, "Example Inc.", 2300, 5, &employee(db, "Joe", "Smith", Some(10)).await?).await?;
    let mut foobar = company(db, "Foobar Ltd.", 3, 4, &employee(db, "Frank", "Meyer", Some(20)).await?).await?;
    foobar.based_in_eu = true;
    foobar.save(db).await?;
    company(db, "Test GmbH", 32, 1, &employee(db, "Max", "Mustermann", Some(30)).await?).await?;
    Ok(())
}

/// BasicExpressionsTests.setUp's company_query: (name, num_employees, num_chairs) in that order.
async fn company_query(db: &Db) -> teapot::Result<Vec<(String, i32, i32)>> {
    Company::objects()
        .order_by(Company::name().asc())
        .order_by(Company::num_employees().asc())
        .order_by(Company::num_chairs().asc())
        .values_list(db, (Company::name(), Company::num_employees(), Company::num_chairs()))
        .await
}

fn rows(r: [(&str, i32, i32); 3]) -> Vec<(String, i32, i32)> {
    r.iter().map(|&(n, e, c)| (n.to_string(), e, c)).collect()
}

/// Django: expressions.tests.BasicExpressionsTests.test_update
async fn test_update(db: Db) -> R {
    companies(&db).await?;
    Company::objects().update(&db, vec![Company::num_chairs().set_expr(Company::num_employees())]).await?;
    assert_eq!(company_query(&db).await?, rows([("Example Inc.", 2300, 2300), ("Foobar Ltd.", 3, 3), ("Test GmbH", 32, 32)]));
    Ok(())
}

/// Django: expressions.tests.BasicExpressionsTests.test_arithmetic
async fn test_arithmetic(db: Db) -> R {
    companies(&db).await?;
    Company::objects().update(&db, vec![Company::num_chairs().set_expr(Company::num_employees() + 2)]).await?;
    assert_eq!(company_query(&db).await?, rows([("Example Inc.", 2300, 2302), ("Foobar Ltd.", 3, 5), ("Test GmbH", 32, 34)]));
    Ok(())
}

/// Django: expressions.tests.BasicExpressionsTests.test_parenthesis_priority
async fn test_parenthesis_priority(db: Db) -> R {
    companies(&db).await?;
    Company::objects().update(&db, vec![Company::num_chairs().set_expr((Company::num_employees() + 2) * Company::num_employees())]).await?;
    assert_eq!(company_query(&db).await?, rows([("Example Inc.", 2300, 5294600), ("Foobar Ltd.", 3, 15), ("Test GmbH", 32, 1088)]));
    Ok(())
}

/// Django: expressions.tests.BasicExpressionsTests.test_update_with_none
async fn test_update_with_none(db: Db) -> R {
    Number { integer: 1, float: Some(1.0), ..Number::defaults() }.create(&db).await?;
    Number { integer: 2, ..Number::defaults() }.create(&db).await?;
    Number::objects().filter(Number::float().is_null(false)).update(&db, vec![Number::float().set_null()]).await?;
    let floats: Vec<Option<f64>> = Number::objects().all(&db).await?.into_iter().map(|n| n.float).collect();
    assert_eq!(floats, [None, None]);
    Ok(())
}

/// Django: expressions.tests.ExpressionsNumericTests.test_decimal_expression
async fn test_decimal_expression(db: Db) -> R {
    let mut n = Number { integer: 1, decimal_value: Some("0.5".parse().expect("decimal")), ..Number::defaults() };
    n.create(&db).await?;
    // `n.decimal_value = F("decimal_value") - Decimal("0.4"); n.save()`: the same UPDATE of n's row.
    let d: Decimal = "0.4".parse().expect("decimal");
    Number::objects()
        .filter(Number::id().eq(n.id))
        .update(&db, vec![Number::decimal_value().set_expr(Number::decimal_value() - d)])
        .await?;
    n.refresh(&db).await?;
    assert_eq!(n.decimal_value, Some("0.1".parse().expect("decimal")));
    Ok(())
}

/// Django: expressions.tests.ExpressionOperatorTests.test_lefthand_multiplication
async fn test_lefthand_multiplication(db: Db) -> R {
    let n = operands(&db).await?;
    let this = || Number::objects().filter(Number::id().eq(n.id));
    this().update(&db, vec![Number::integer().set_expr(Number::integer() * 15), Number::float().set_expr(Number::float() * 42.7)]).await?;
    let got = this().get(&db).await?;
    assert_eq!(got.integer, 630);
    approx(got.float, 661.850);
    Ok(())
}

/// Django: expressions.tests.ExpressionOperatorTests.test_lefthand_division
async fn test_lefthand_division(db: Db) -> R {
    let n = operands(&db).await?;
    let this = || Number::objects().filter(Number::id().eq(n.id));
    this().update(&db, vec![Number::integer().set_expr(Number::integer() / 2), Number::float().set_expr(Number::float() / 42.7)]).await?;
    let got = this().get(&db).await?;
    assert_eq!(got.integer, 21);
    approx(got.float, 0.363);
    Ok(())
}

/// BasicExpressionsTests.setUpTestData: example_inc (ceo Joe), foobar_ltd (ceo Frank), gmbh
/// (ceo Max).
struct Basic {
    example_inc: Company,
    foobar_ltd: Company,
    gmbh: Company,
    max: Employee,
}

async fn basic(db: &Db) -> teapot::Result<Basic> {
    let example_inc = company(db, "Example Inc.", 2300, 5, &employee(db, "Joe", "Smith", Some(10)).await?).await?;
    let mut foobar_ltd = company(db, "Foobar Ltd.", 3, 4, &employee(db, "Frank", "Meyer", Some(20)).await?).await?;
    foobar_ltd.based_in_eu = true;
    foobar_ltd.save(db).await?;
    let max = employee(db, "Max", "Mustermann", Some(30)).await?;
    let gmbh = company(db, "Test GmbH", 32, 1, &max).await?;
    Ok(Basic { example_inc, foobar_ltd, gmbh, max })
}

/// The employees a condition keeps, by key, sorted (assertCountEqual).
async fn employee_ids(db: &Db, c: Cond) -> teapot::Result<Vec<i64>> {
    let mut v: Vec<i64> = Employee::objects().filter(c).all(db).await?.iter().map(|e| e.id).collect();
    v.sort();
    Ok(v)
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort();
    v
}

/// Exists(Company.objects.filter(ceo=OuterRef("pk"))) and the same for point_of_contact.
fn is_ceo() -> Cond {
    Company::objects().filter(Company::ceo().eq_outer(Employee::id())).exists_cond()
}

fn is_poc() -> Cond {
    Company::objects().filter(Company::point_of_contact().eq_outer(Employee::id())).exists_cond()
}

/// gmbh.point_of_contact = max.
async fn max_is_poc(db: &Db, d: &mut Basic) -> R {
    d.gmbh.point_of_contact = Some(ForeignKey::from(&d.max));
    d.gmbh.save(db).await
}

/// Django: expressions.tests.BasicExpressionsTests.test_boolean_expression_combined
async fn test_boolean_expression_combined(db: Db) -> R {
    let mut d = basic(&db).await?;
    max_is_poc(&db, &mut d).await?;
    let (joe, frank, max) = (*d.example_inc.ceo.key(), *d.foobar_ltd.ceo.key(), d.max.id);
    assert_eq!(employee_ids(&db, is_ceo() | is_poc()).await?, sorted(vec![joe, frank, max]));
    assert_eq!(employee_ids(&db, is_ceo() & is_poc()).await?, [max]);
    assert_eq!(employee_ids(&db, is_ceo() & Employee::salary().gte(30)).await?, [max]);
    assert_eq!(employee_ids(&db, is_poc() | Employee::salary().lt(15)).await?, sorted(vec![joe, max]));
    assert_eq!(employee_ids(&db, Employee::salary().gte(30) & is_ceo()).await?, [max]);
    assert_eq!(employee_ids(&db, Employee::salary().lt(15) | is_poc()).await?, sorted(vec![joe, max]));
    Ok(())
}

/// Django: expressions.tests.BasicExpressionsTests.test_boolean_expression_combined_with_empty_Q
async fn test_boolean_expression_combined_with_empty_Q(db: Db) -> R {
    let mut d = basic(&db).await?;
    max_is_poc(&db, &mut d).await?;
    // Q() is the empty condition; Q(Exists(...)) the condition itself.
    let q = || Cond::And(vec![]);
    let tests = [
        is_poc() & q(),
        q() & is_poc(),
        is_poc() | q(),
        q() | is_poc(),
        Cond::And(vec![is_poc()]) & q(),
        q() & Cond::And(vec![is_poc()]),
        Cond::And(vec![is_poc()]) | q(),
        q() | Cond::And(vec![is_poc()]),
    ];
    for conditions in tests {
        let label = format!("{conditions:?}");
        assert_eq!(employee_ids(&db, conditions).await?, [d.max.id], "{label}");
    }
    Ok(())
}

/// Django: expressions.tests.BasicExpressionsTests.test_boolean_expression_in_Q
async fn test_boolean_expression_in_Q(db: Db) -> R {
    let mut d = basic(&db).await?;
    max_is_poc(&db, &mut d).await?;
    assert_eq!(employee_ids(&db, Cond::And(vec![is_poc()])).await?, [d.max.id]);
    Ok(())
}

/// Django: expressions.tests.BasicExpressionsTests.test_in_subquery
async fn test_in_subquery(db: Db) -> R {
    let d = basic(&db).await?;
    let ids = |v: Vec<Company>| sorted(v.iter().map(|c| c.id).collect());
    // A contrived test, but a succinct way to test pk__in=Subquery().
    let small_companies = || Company::objects().filter(Company::num_employees().lt(200));
    let subquery_test = Company::objects().filter(Company::id().is_in_query(small_companies().values_of(Company::id())));
    assert_eq!(ids(subquery_test.all(&db).await?), sorted(vec![d.foobar_ltd.id, d.gmbh.id]));
    // pk=Subquery(...) of one row: teapot has the IN form only.
    let one = small_companies().filter(Company::num_employees().eq(3)).values_of(Company::id());
    let subquery_test2 = Company::objects().filter(Company::id().is_in_query(one));
    assert_eq!(ids(subquery_test2.all(&db).await?), [d.foobar_ltd.id]);
    Ok(())
}

/// Django: expressions.tests.ExistsTests.test_negated_empty_exists
async fn test_negated_empty_exists(db: Db) -> R {
    let mut manager = Manager::defaults();
    manager.create(&db).await?;
    let qs = Manager::objects().filter(!Manager::objects().none().exists_cond() & Manager::id().eq(manager.id));
    assert_eq!(qs.all(&db).await?.iter().map(|m| m.id).collect::<Vec<_>>(), [manager.id]);
    Ok(())
}

/// Django: expressions.tests.BasicExpressionsTests.test_uuid_pk_subquery
async fn test_uuid_pk_subquery(db: Db) -> R {
    basic(&db).await?;
    // Django's UUIDPK defaults its key to uuid4(): a fixed random-looking key here.
    let mut u = UuidPk { id: Uuid::from_u128(0x6f1c_58a2_93d4_4e7b_a1c2_5d3e_8f90_b1a4) };
    u.create(&db).await?;
    UuidModel { uuid_fk: Some(ForeignKey::from(&u)), ..UuidModel::defaults() }.create(&db).await?;
    let fks = UuidModel::objects().values_of(UuidModel::uuid_fk().id());
    let qs = UuidPk::objects().filter(UuidPk::id().is_in_query(fks)).all(&db).await?;
    assert_eq!(qs.iter().map(|x| x.id).collect::<Vec<_>>(), [u.id]);
    Ok(())
}

/// Django: expressions.tests.BasicExpressionsTests.test_filter_with_join
async fn test_filter_with_join(db: Db) -> R {
    basic(&db).await?;
    // Company.objects.update(point_of_contact=F("ceo")): teapot's update cannot set a nullable
    // key from a key (the types differ), so each company is saved with it.
    for mut c in Company::objects().all(&db).await? {
        c.point_of_contact = Some(c.ceo.clone());
        c.save(&db).await?;
    }
    let mut c = Company::objects().order_by(Company::id().asc()).first(&db).await?.expect("a company");
    let guido = employee(&db, "Guido", "van Rossum", None).await?;
    c.point_of_contact = Some(ForeignKey::from(&guido));
    c.save(&db).await?;
    // F expressions can also span joins.
    let same = || Company::ceo().firstname().cmp_col(Op::Eq, Company::point_of_contact().firstname());
    let mut names: Vec<String> = Company::objects().filter(same()).all(&db).await?.into_iter().map(|c| c.name).collect();
    names.sort();
    assert_eq!(names, ["Foobar Ltd.", "Test GmbH"]);
    Company::objects().exclude(same()).update(&db, vec![Company::name().set("foo")]).await?;
    assert_eq!(Company::objects().exclude(same()).get(&db).await?.name, "foo");
    // Django refuses a joined column as an update's value ("Joined field references are not
    // permitted in this query").
    let e = Company::objects()
        .exclude(same())
        .update(&db, vec![Company::name().set_expr(Company::point_of_contact().lastname())])
        .await
        .expect_err("a joined column as an update's value");
    assert_eq!(e.kind, teapot::ErrorKind::Usage, "{e}");
    Ok(())
}

/// Django: expressions.tests.BasicExpressionsTests.test_order_of_operations
async fn test_order_of_operations(db: Db) -> R {
    companies(&db).await?;
    // Law of order of operations is followed.
    Company::objects().update(&db, vec![Company::num_chairs().set_expr(Company::num_employees() + 2 * Company::num_employees())]).await?;
    assert_eq!(company_query(&db).await?, rows([("Example Inc.", 2300, 6900), ("Foobar Ltd.", 3, 9), ("Test GmbH", 32, 96)]));
    Ok(())
}

/// Django: expressions.tests.BasicExpressionsTests.test_order_by_exists
async fn test_order_by_exists(db: Db) -> R {
    let d = basic(&db).await?;
    let mary = employee(&db, "Mary", "Mustermann", Some(20)).await?;
    // Order by whether the employee is the CEO of a company: Exists(...).desc() as the CASE of
    // the condition (1 when it holds, else 0), which orders alike.
    let mustermanns_by_seniority = Employee::objects()
        .filter(Employee::lastname().eq("Mustermann"))
        .order_by(Case::when(is_ceo(), 1i32).otherwise(0i32).desc())
        .all(&db)
        .await?;
    assert_eq!(mustermanns_by_seniority.iter().map(|e| e.id).collect::<Vec<_>>(), [d.max.id, mary.id]);
    Ok(())
}

/// Django: expressions.tests.ExpressionOperatorTests.test_right_hand_addition
async fn test_right_hand_addition(db: Db) -> R {
    let n = operands(&db).await?;
    let this = || Number::objects().filter(Number::id().eq(n.id));
    this().update(&db, vec![Number::integer().set_expr(15 + Number::integer()), Number::float().set_expr(42.7 + Number::float())]).await?;
    let got = this().get(&db).await?;
    assert_eq!(got.integer, 57);
    approx(got.float, 58.2);
    Ok(())
}

/// Django: expressions.tests.ExpressionOperatorTests.test_right_hand_subtraction
async fn test_right_hand_subtraction(db: Db) -> R {
    let n = operands(&db).await?;
    let this = || Number::objects().filter(Number::id().eq(n.id));
    this().update(&db, vec![Number::integer().set_expr(15 - Number::integer()), Number::float().set_expr(42.7 - Number::float())]).await?;
    let got = this().get(&db).await?;
    assert_eq!(got.integer, -27);
    approx(got.float, 27.2);
    Ok(())
}

/// Django: expressions.tests.ExpressionOperatorTests.test_right_hand_multiplication
async fn test_right_hand_multiplication(db: Db) -> R {
    let n = operands(&db).await?;
    let this = || Number::objects().filter(Number::id().eq(n.id));
    this().update(&db, vec![Number::integer().set_expr(15 * Number::integer()), Number::float().set_expr(42.7 * Number::float())]).await?;
    let got = this().get(&db).await?;
    assert_eq!(got.integer, 630);
    approx(got.float, 661.850);
    Ok(())
}

/// Django: expressions.tests.ExpressionOperatorTests.test_right_hand_division
async fn test_right_hand_division(db: Db) -> R {
    let n = operands(&db).await?;
    let this = || Number::objects().filter(Number::id().eq(n.id));
    this().update(&db, vec![Number::integer().set_expr(640 / Number::integer()), Number::float().set_expr(42.7 / Number::float())]).await?;
    let got = this().get(&db).await?;
    assert_eq!(got.integer, 15);
    approx(got.float, 2.755);
    Ok(())
}

/// Django: expressions.tests.ExpressionOperatorTests.test_right_hand_modulo
async fn test_right_hand_modulo(db: Db) -> R {
    let n = operands(&db).await?;
    let this = || Number::objects().filter(Number::id().eq(n.id));
    this().update(&db, vec![Number::integer().set_expr(69 % Number::integer())]).await?;
    assert_eq!(this().get(&db).await?.integer, 27);
    Ok(())
}
