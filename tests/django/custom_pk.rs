//! Django's `custom_pk` tests. Employee's Meta.ordering (`last_name, first_name`) is spelled out.

use crate::common::db::TestDb;
use teapot::orm::QuerySet;
use teapot::prelude::*;
use teapot::ErrorKind;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "custom_pk")]
    pub struct Employee {
        #[teapot(primary_key, db_column = "code")]
        pub employee_code: i32,
        #[teapot(max_length = 20)]
        pub first_name: String,
        #[teapot(max_length = 20)]
        pub last_name: String,
        pub business_set: Reverse<Business>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "custom_pk")]
    pub struct Business {
        #[teapot(primary_key, max_length = 20)]
        pub name: String,
        pub employees: ManyToMany<Employee>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "custom_pk", MODELS_SRC).await
}

suite!(
    test_querysets,
    test_querysets_related_name,
    test_get,
    test_save,
    test_custom_pk_create,
    test_unicode_pk,
    test_unique_pk,
    test_zero_non_autoincrement_pk,
    test_querysets_relational,
    test_in_bulk,
);

fn employee(code: i32, first: &str, last: &str) -> Employee {
    Employee { employee_code: code, first_name: first.into(), last_name: last.into(), ..Employee::defaults() }
}

/// BasicCustomPKTests.setUpTestData: dan (123), fran (456), and Sears employing both.
async fn data(db: &Db) -> R {
    let mut dan = employee(123, "Dan", "Jones");
    dan.create(db).await?;
    let mut fran = employee(456, "Fran", "Bones");
    fran.create(db).await?;
    let mut business = Business { name: "Sears".into(), ..Business::defaults() };
    business.create(db).await?;
    business.employees_add(db, &[&dan, &fran]).await
}

async fn codes(q: QuerySet<Employee>, db: &Db) -> teapot::Result<Vec<i32>> {
    let q = q.order_by(Employee::last_name().asc()).order_by(Employee::first_name().asc());
    Ok(q.all(db).await?.iter().map(|e| e.employee_code).collect())
}

/// Django: custom_pk.tests.BasicCustomPKTests.test_querysets
async fn test_querysets(db: Db) -> R {
    data(&db).await?;
    // `pk=` and `employee_code=` are the same column.
    assert_eq!(codes(Employee::objects().filter(Employee::employee_code().eq(123)), &db).await?, [123]);
    assert_eq!(codes(Employee::objects().filter(Employee::employee_code().is_in([123, 456])), &db).await?, [456, 123]);
    assert_eq!(codes(Employee::objects(), &db).await?, [456, 123]);
    let names: Vec<String> = Business::objects().filter(Business::name().eq("Sears")).all(&db).await?.into_iter().map(|b| b.name).collect();
    assert_eq!(names, ["Sears"]);
    Ok(())
}

/// Django: custom_pk.tests.BasicCustomPKTests.test_querysets_related_name
async fn test_querysets_related_name(db: Db) -> R {
    data(&db).await?;
    let business = Business::objects().filter(Business::name().eq("Sears")).prefetch_related(&["employees"]).get(&db).await?;
    let mut employees: Vec<(String, String, i32)> =
        business.employees.get()?.iter().map(|e| (e.last_name.clone(), e.first_name.clone(), e.employee_code)).collect();
    employees.sort();
    assert_eq!(employees.iter().map(|e| e.2).collect::<Vec<_>>(), [456, 123]);
    // `fran.business_set.all()` (the reverse side of the many-to-many) needs reverse-m2m.
    Ok(())
}

/// Django: custom_pk.tests.BasicCustomPKTests.test_get
async fn test_get(db: Db) -> R {
    data(&db).await?;
    let get = |code: i32| Employee::objects().filter(Employee::employee_code().eq(code));
    assert_eq!(get(123).get(&db).await?.first_name, "Dan");
    assert_eq!(get(456).get(&db).await?.first_name, "Fran");
    assert_eq!(get(42).get(&db).await.expect_err("no 42").kind, ErrorKind::NotFound);
    Ok(())
}

/// Django: custom_pk.tests.BasicCustomPKTests.test_save
async fn test_save(db: Db) -> R {
    data(&db).await?;
    let mut fran = Employee::objects().filter(Employee::employee_code().eq(456)).get(&db).await?;
    fran.last_name = "Jones".into();
    fran.save(&db).await?;
    assert_eq!(codes(Employee::objects().filter(Employee::last_name().eq("Jones")), &db).await?, [123, 456]);
    assert_eq!(Employee::objects().count(&db).await?, 2);
    Ok(())
}

/// Django: custom_pk.tests.CustomPKTests.test_custom_pk_create
async fn test_custom_pk_create(db: Db) -> R {
    employee(1234, "Foo", "Bar").create(&db).await?;
    employee(1235, "Foo", "Baz").create(&db).await?;
    Business { name: "Bears".into(), ..Business::defaults() }.create(&db).await?;
    Business { name: "Tears".into(), ..Business::defaults() }.create(&db).await?;
    // (Django checks that they are created.)
    assert_eq!(codes(Employee::objects(), &db).await?, [1234, 1235]);
    assert_eq!(Business::objects().count(&db).await?, 2);
    Ok(())
}

/// Django: custom_pk.tests.CustomPKTests.test_unicode_pk
async fn test_unicode_pk(db: Db) -> R {
    Business { name: "jaźń".into(), ..Business::defaults() }.create(&db).await?;
    assert_eq!(Business::objects().get(&db).await?.name, "jaźń");
    Ok(())
}

/// Django: custom_pk.tests.CustomPKTests.test_unique_pk
async fn test_unique_pk(db: Db) -> R {
    employee(123, "Frank", "Jones").create(&db).await?;
    let r = db.atomic(|tx| async move { employee(123, "Fred", "Jones").create(&tx).await }).await;
    assert!(r.expect_err("duplicate key").is_unique_violation());
    Ok(())
}

/// Django: custom_pk.tests.CustomPKTests.test_zero_non_autoincrement_pk
async fn test_zero_non_autoincrement_pk(db: Db) -> R {
    employee(0, "Frank", "Jones").create(&db).await?;
    let e = Employee::objects().filter(Employee::employee_code().eq(0)).get(&db).await?;
    assert_eq!(e.employee_code, 0);
    Ok(())
}

async fn business_names(q: QuerySet<Business>, db: &Db) -> teapot::Result<Vec<String>> {
    Ok(q.all(db).await?.into_iter().map(|b| b.name).collect())
}

/// Django: custom_pk.tests.BasicCustomPKTests.test_querysets_relational
async fn test_querysets_relational(db: Db) -> R {
    data(&db).await?;
    // Queries across tables, involving primary key: business__name and business__pk are the
    // same column.
    assert_eq!(codes(Employee::objects().filter(Employee::business_set().name().eq("Sears")), &db).await?, [456, 123]);
    let q = |c: Cond| Business::objects().filter(c);
    // employees__employee_code and employees__pk are the same column.
    assert_eq!(business_names(q(Business::employees().employee_code().eq(123)), &db).await?, ["Sears"]);
    assert_eq!(business_names(q(Business::employees().first_name().startswith("Fran")), &db).await?, ["Sears"]);
    Ok(())
}

/// Django: custom_pk.tests.BasicCustomPKTests.test_in_bulk
async fn test_in_bulk(db: Db) -> R {
    data(&db).await?;
    // Custom pks work with in_bulk, both for integer and non-integer types.
    let emps = Employee::objects().in_bulk(&db, [123, 456]).await?;
    assert_eq!((emps[&123].employee_code, emps[&123].first_name.as_str()), (123, "Dan"));
    assert_eq!(emps.len(), 2);
    let businesses = Business::objects().in_bulk(&db, ["Sears".to_string()]).await?;
    assert_eq!(businesses.keys().collect::<Vec<_>>(), ["Sears"]);
    assert_eq!(businesses["Sears"].name, "Sears");
    Ok(())
}
