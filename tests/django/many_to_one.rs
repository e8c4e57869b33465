//! Django's `many_to_one` tests. Django compares instances by key; here the keys are compared.
//! Where Django reads a foreign key lazily (`a.reporter`), the row is fetched on purpose with
//! select_related: teapot never queries behind a field access.

use crate::common::db::TestDb;
use teapot::orm::instance::get_or_create;
use teapot::prelude::*;
use teapot::ErrorKind;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct Reporter {
        pub id: i64,
        #[teapot(max_length = 30)]
        pub first_name: String,
        #[teapot(max_length = 30)]
        pub last_name: String,
        #[teapot(max_length = 254)]
        pub email: String,
        pub article_set: Reverse<Article>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct Article {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub headline: String,
        pub pub_date: NaiveDate,
        #[teapot(on_delete = "cascade")]
        pub reporter: ForeignKey<Reporter>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct Country {
        pub id: i16,
        #[teapot(max_length = 50)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct City {
        pub id: i64,
        #[teapot(on_delete = "cascade", related_name = "cities")]
        pub country: Option<ForeignKey<Country>>,
        #[teapot(max_length = 50)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct District {
        pub id: i64,
        #[teapot(on_delete = "cascade", related_name = "districts")]
        pub city: Option<ForeignKey<City>>,
        #[teapot(max_length = 50)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct Parent {
        pub id: i64,
        #[teapot(max_length = 20, unique)]
        pub name: String,
        #[teapot(on_delete = "set_null", related_name = "favored_by")]
        pub bestchild: Option<ForeignKey<Child>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct ParentStringPrimaryKey {
        #[teapot(primary_key, max_length = 15)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct Child {
        pub id: i64,
        #[teapot(max_length = 20)]
        pub name: String,
        #[teapot(on_delete = "cascade")]
        pub parent: ForeignKey<Parent>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct ChildNullableParent {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub parent: Option<ForeignKey<Parent>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct ChildStringPrimaryKeyParent {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub parent: ForeignKey<ParentStringPrimaryKey>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct Category {
        pub id: i64,
        #[teapot(max_length = 20)]
        pub name: String,
        pub record_set: Reverse<Record>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct Record {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub category: ForeignKey<Category>,
        pub left_set: Reverse<Relation>,
        pub right_set: Reverse<Relation>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_one")]
    pub struct Relation {
        pub id: i64,
        #[teapot(on_delete = "cascade", related_name = "left_set")]
        pub left: ForeignKey<Record>,
        #[teapot(on_delete = "cascade", related_name = "right_set")]
        pub right: ForeignKey<Record>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "many_to_one", MODELS_SRC).await
}

suite!(
    test_multiple_foreignkeys,
    test_reverse_selects,
    test_get,
    test_create,
    test_assign_fk_id_value,
    test_assign_fk_id_none,
    test_explicit_fk,
    test_save_nullable_fk_after_parent,
    test_fk_to_bigautofield,
    test_fk_to_smallautofield,
    test_cached_relation_invalidated_on_save,
    test_save_fk_after_parent_with_non_numeric_pk_set_on_child,
);

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// ManyToOneTests.setUpTestData: r, r2, a.
struct Data {
    r: Reporter,
    r2: Reporter,
    a: Article,
}

async fn data(db: &Db) -> teapot::Result<Data> {
    let mut r = Reporter { first_name: "John".into(), last_name: "Smith".into(), email: "john@example.com".into(), ..Reporter::defaults() };
    r.save(db).await?;
    let mut r2 =
        Reporter { first_name: "Paul".into(), last_name: "Jones".into(), email: "paul@example.com".into(), ..Reporter::defaults() };
    r2.save(db).await?;
    let mut a =
        Article { headline: "This is a test".into(), pub_date: date(2005, 7, 27), reporter: ForeignKey::from(&r), ..Article::defaults() };
    a.save(db).await?;
    Ok(Data { r, r2, a })
}

async fn with_reporter(db: &Db, id: i64) -> teapot::Result<Article> {
    Article::objects().filter(Article::id().eq(id)).select_related(&["reporter"]).get(db).await
}

/// Django: many_to_one.tests.ManyToOneTests.test_get
async fn test_get(db: Db) -> R {
    let d = data(&db).await?;
    let a = with_reporter(&db, d.a.id).await?;
    let r = a.reporter.get()?;
    assert_eq!(r.id, d.r.id);
    assert_eq!((r.first_name.as_str(), d.r.last_name.as_str()), ("John", "Smith"));
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_create
async fn test_create(db: Db) -> R {
    let d = data(&db).await?;
    // An Article made with the Reporter's key rather than the Reporter.
    let mut a3 =
        Article { headline: "Third article".into(), pub_date: date(2005, 7, 27), reporter: ForeignKey::new(d.r.id), ..Article::defaults() };
    a3.save(&db).await?;
    assert_eq!(with_reporter(&db, a3.id).await?.reporter.get()?.id, d.r.id);
    // `reporter_id=str(self.r.id)` (a string key) does not compile in teapot.
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_assign_fk_id_value
async fn test_assign_fk_id_value(db: Db) -> R {
    let mut parent = Parent { name: "jeff".into(), ..Parent::defaults() };
    parent.create(&db).await?;
    let mut child1 = Child { name: "frank".into(), parent: ForeignKey::from(&parent), ..Child::defaults() };
    child1.create(&db).await?;
    let mut child2 = Child { name: "randy".into(), parent: ForeignKey::from(&parent), ..Child::defaults() };
    child2.create(&db).await?;
    parent.bestchild = Some(ForeignKey::from(&child1));
    parent.save(&db).await?;
    parent.bestchild = Some(ForeignKey::new(child2.id));
    parent.save(&db).await?;
    let best = parent.bestchild.as_ref().expect("set");
    assert_eq!(*best.key(), child2.id);
    assert!(!best.is_loaded());
    let again = Parent::objects().filter(Parent::id().eq(parent.id)).select_related(&["bestchild"]).get(&db).await?;
    let best = again.bestchild.as_ref().expect("set");
    assert_eq!(best.get()?.id, child2.id);
    assert!(best.is_loaded());
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_assign_fk_id_none
async fn test_assign_fk_id_none(db: Db) -> R {
    let mut parent = Parent { name: "jeff".into(), ..Parent::defaults() };
    parent.create(&db).await?;
    let mut child = Child { name: "frank".into(), parent: ForeignKey::from(&parent), ..Child::defaults() };
    child.create(&db).await?;
    parent.bestchild = Some(ForeignKey::from(&child));
    parent.save(&db).await?;
    parent.bestchild = None;
    parent.save(&db).await?;
    assert!(parent.bestchild.is_none());
    let again = Parent::objects().filter(Parent::id().eq(parent.id)).select_related(&["bestchild"]).get(&db).await?;
    assert!(again.bestchild.is_none());
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_explicit_fk
async fn test_explicit_fk(db: Db) -> R {
    let d = data(&db).await?;
    let new = Article {
        headline: "John's second test".into(),
        pub_date: date(2011, 5, 7),
        reporter: ForeignKey::new(d.r.id),
        ..Article::defaults()
    };
    let cond = Article::headline().eq("John's second test") & Article::pub_date().eq(date(2011, 5, 7)) & Article::reporter().eq(d.r.id);
    let (a2, created) = get_or_create(&db, cond, new).await?;
    assert!(created);
    assert_eq!(*a2.reporter.key(), d.r.id);
    // Filters with the explicit key (Meta.ordering: headline).
    let ids: Vec<i64> = Article::objects()
        .filter(Article::reporter().eq(d.r.id))
        .order_by(Article::headline().asc())
        .all(&db)
        .await?
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, [a2.id, d.a.id]);
    let mut a3 = Article {
        headline: "Paul's commentary".into(),
        pub_date: date(2011, 5, 7),
        reporter: ForeignKey::new(d.r2.id),
        ..Article::defaults()
    };
    a3.create(&db).await?;
    assert_eq!(*a3.reporter.key(), d.r2.id);
    // get() respects explicit foreign keys as well (Django's message counts the rows).
    let e = Article::objects().filter(Article::reporter().eq(d.r.id)).get(&db).await.expect_err("two");
    assert_eq!(e.kind, ErrorKind::MultipleObjects);
    let got = Article::objects().filter(Article::reporter().eq(d.r2.id) & Article::pub_date().eq(date(2011, 5, 7))).get(&db).await?;
    assert_eq!((got.id, got.headline.as_str()), (a3.id, "Paul's commentary"));
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_save_nullable_fk_after_parent
async fn test_save_nullable_fk_after_parent(db: Db) -> R {
    let mut parent = Parent::defaults();
    parent.save(&db).await?;
    // Django builds the child before the parent is saved and reads the parent's new key at
    // save(); a teapot ForeignKey holds a key, so the child is built once the parent has one.
    let mut child = ChildNullableParent { parent: Some(ForeignKey::from(&parent)), ..ChildNullableParent::defaults() };
    child.save(&db).await?;
    child.refresh(&db).await?;
    assert_eq!(child.parent.as_ref().map(|p| *p.key()), Some(parent.id));
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_save_fk_after_parent_with_non_numeric_pk_set_on_child
async fn test_save_fk_after_parent_with_non_numeric_pk_set_on_child(db: Db) -> R {
    let mut child = ChildStringPrimaryKeyParent { parent: ForeignKey::new("jeff".to_string()), ..ChildStringPrimaryKeyParent::defaults() };
    let mut parent = ParentStringPrimaryKey { name: child.parent.key().clone() };
    parent.save(&db).await?;
    child.save(&db).await?;
    child.refresh(&db).await?;
    assert_eq!(child.parent.key(), &parent.name);
    assert_eq!(child.parent.key(), "jeff");
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_fk_to_bigautofield
async fn test_fk_to_bigautofield(db: Db) -> R {
    let mut ch = City { name: "Chicago".into(), ..City::defaults() };
    ch.create(&db).await?;
    for name in ["Far South", "North"] {
        District { city: Some(ForeignKey::from(&ch)), name: name.into(), ..District::defaults() }.create(&db).await?;
    }
    let mut ny = City { id: 1 << 33, name: "New York".into(), ..City::defaults() };
    ny.create(&db).await?;
    for name in ["Brooklyn", "Manhattan"] {
        District { city: Some(ForeignKey::from(&ny)), name: name.into(), ..District::defaults() }.create(&db).await?;
    }
    // (Django only creates them.) They read back through the 2**33 key.
    let names: Vec<(String,)> = District::objects()
        .filter(District::city().eq(1i64 << 33))
        .order_by(District::name().asc())
        .values_list(&db, (District::name(),))
        .await?;
    assert_eq!(names, [("Brooklyn".to_string(),), ("Manhattan".to_string(),)]);
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_fk_to_smallautofield
async fn test_fk_to_smallautofield(db: Db) -> R {
    let mut us = Country { name: "United States".into(), ..Country::defaults() };
    us.create(&db).await?;
    for name in ["Chicago", "New York"] {
        City { country: Some(ForeignKey::from(&us)), name: name.into(), ..City::defaults() }.create(&db).await?;
    }
    let mut uk = Country { id: 1 << 11, name: "United Kingdom".into() };
    uk.create(&db).await?;
    for name in ["London", "Edinburgh"] {
        City { country: Some(ForeignKey::from(&uk)), name: name.into(), ..City::defaults() }.create(&db).await?;
    }
    assert_eq!(City::objects().filter(City::country().eq(1i16 << 11)).count(&db).await?, 2);
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_cached_relation_invalidated_on_save
async fn test_cached_relation_invalidated_on_save(db: Db) -> R {
    let d = data(&db).await?;
    let mut a = with_reporter(&db, d.a.id).await?;
    assert_eq!(a.reporter.get()?.id, d.r.id);
    a.reporter = ForeignKey::new(d.r2.id);
    a.save(&db).await?;
    // The stale row is gone with the old key (not loaded, rather than r).
    assert_eq!(a.reporter.get().expect_err("not r any more").kind, ErrorKind::NotLoaded);
    assert_eq!(with_reporter(&db, a.id).await?.reporter.get()?.id, d.r2.id);
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_multiple_foreignkeys
async fn test_multiple_foreignkeys(db: Db) -> R {
    data(&db).await?;
    // Test of multiple ForeignKeys to the same model (bug #7125).
    let mut c = Vec::new();
    for name in ["First", "Second", "Third"] {
        let mut x = Category { name: name.into(), ..Category::defaults() };
        x.create(&db).await?;
        c.push(x);
    }
    let mut r = Vec::new();
    for cat in [0, 0, 1, 1, 2] {
        let mut x = Record { category: ForeignKey::from(&c[cat]), ..Record::defaults() };
        x.create(&db).await?;
        r.push(x);
    }
    let mut rel_id = 0;
    for (left, right) in [(0, 1), (2, 3), (0, 2), (4, 1), (2, 1)] {
        let mut x = Relation { left: ForeignKey::from(&r[left]), right: ForeignKey::from(&r[right]), ..Relation::defaults() };
        x.create(&db).await?;
        if (left, right) == (0, 2) {
            rel_id = x.id;
        }
    }
    let q1 = Relation::objects()
        .filter(Relation::left().category().name().is_in(["First"]) & Relation::right().category().name().is_in(["Second"]));
    assert_eq!(q1.all(&db).await?.iter().map(|x| x.id).collect::<Vec<_>>(), [rel_id]);
    let q2 = Category::objects()
        .filter(Category::record_set().left_set().right().category().name().eq("Second"))
        .order_by(Category::name().asc());
    assert_eq!(q2.all(&db).await?.iter().map(|x| x.id).collect::<Vec<_>>(), [c[0].id, c[1].id]);
    // Django refuses a Child as a Child's parent (ValueError): a ForeignKey<Parent> holds a
    // Parent's key, the type rejects a Child.
    Ok(())
}

/// Django: many_to_one.tests.ManyToOneTests.test_reverse_selects
async fn test_reverse_selects(db: Db) -> R {
    let d = data(&db).await?;
    let mut a3 =
        Article { headline: "Third article".into(), pub_date: date(2005, 7, 27), reporter: ForeignKey::new(d.r.id), ..Article::defaults() };
    a3.create(&db).await?;
    Article { headline: "Fourth article".into(), pub_date: date(2005, 7, 27), reporter: ForeignKey::new(d.r.id), ..Article::defaults() }
        .create(&db)
        .await?;
    let john_smith = [d.r.id];
    let ids = |v: Vec<Reporter>| v.iter().map(|x| x.id).collect::<Vec<_>>();
    let q = |c: Cond| Reporter::objects().filter(c);
    // Reporters can be queried (id__exact and pk are the same column).
    assert_eq!(ids(q(Reporter::id().eq(d.r.id)).all(&db).await?), john_smith);
    assert_eq!(ids(q(Reporter::first_name().startswith("John")).all(&db).await?), john_smith);
    // Reporters can query in opposite direction of ForeignKey definition (article__id__exact,
    // article__pk, article=<key>, article=<row>: the key).
    assert_eq!(ids(q(Reporter::article_set().id().eq(d.a.id)).all(&db).await?), john_smith);
    assert_eq!(ids(q(Reporter::article_set().id().eq(d.a.key())).all(&db).await?), john_smith);
    assert_eq!(ids(q(Reporter::article_set().id().is_in([d.a.id, a3.id])).distinct().all(&db).await?), john_smith);
    assert_eq!(ids(q(Reporter::article_set().id().is_in([d.a.key(), a3.key()])).distinct().all(&db).await?), john_smith);
    let t = || q(Reporter::article_set().headline().startswith("T"));
    assert_eq!(ids(t().all(&db).await?), [d.r.id, d.r.id]);
    assert_eq!(ids(t().distinct().all(&db).await?), john_smith);
    // Counting in the opposite direction works in conjunction with distinct().
    assert_eq!(t().count(&db).await?, 2);
    assert_eq!(t().distinct().count(&db).await?, 1);
    // Queries can go round in circles.
    let circle = || q(Reporter::article_set().reporter().first_name().startswith("John"));
    assert_eq!(ids(circle().all(&db).await?), [d.r.id, d.r.id, d.r.id]);
    assert_eq!(ids(circle().distinct().all(&db).await?), john_smith);
    assert_eq!(ids(q(Reporter::article_set().reporter().eq(d.r.id)).distinct().all(&db).await?), john_smith);
    // It's possible to use values() calls across many-to-one relations (with the ordering
    // cleared, so as not to drag the headline into the distinct columns).
    let qs = Article::objects()
        .filter(Article::reporter().eq(d.r.id))
        .distinct()
        .clear_ordering()
        .values(&db, (Article::reporter().first_name(), Article::reporter().last_name()))
        .await?;
    let expected: std::collections::BTreeMap<String, teapot::orm::Value> = [
        ("reporter__first_name".to_string(), teapot::orm::Value::from("John")),
        ("reporter__last_name".to_string(), teapot::orm::Value::from("Smith")),
    ]
    .into_iter()
    .collect();
    assert_eq!(qs, [expected]);
    Ok(())
}
