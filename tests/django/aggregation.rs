//! Django's `aggregation` tests (those teapot's typed aggregates can express).

use crate::common::db::TestDb;
use teapot::prelude::*;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "aggregation")]
    pub struct Author {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
        pub age: i32,
        pub friends: ManyToMany<Self>,
        pub rating: Option<f64>,
        pub book_set: Reverse<Book>,
    }

    /// Django's Publisher without `duration` (a DurationField, which teapot lacks).
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "aggregation")]
    pub struct Publisher {
        pub id: i64,
        #[teapot(max_length = 255)]
        pub name: String,
        pub num_awards: i32,
        pub book_set: Reverse<Book>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "aggregation")]
    pub struct Book {
        pub id: i64,
        #[teapot(max_length = 9)]
        pub isbn: String,
        #[teapot(max_length = 255)]
        pub name: String,
        pub pages: i32,
        pub rating: f64,
        #[teapot(max_digits = 6, decimal_places = 2)]
        pub price: Decimal,
        pub authors: ManyToMany<Author>,
        #[teapot(on_delete = "cascade", related_name = "book_contact_set")]
        pub contact: ForeignKey<Author>,
        #[teapot(on_delete = "cascade")]
        pub publisher: ForeignKey<Publisher>,
        pub pubdate: NaiveDate,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "aggregation")]
    pub struct Store {
        pub id: i64,
        #[teapot(max_length = 255)]
        pub name: String,
        pub books: ManyToMany<Book>,
        pub original_opening: DateTime<Utc>,
        pub friday_night_closing: NaiveTime,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "aggregation", MODELS_SRC).await
}

suite!(
    test_count_distinct_expression,
    test_sum_distinct_aggregate,
    test_single_aggregate,
    test_multiple_aggregates,
    test_filter_aggregate,
    test_aggregate_alias,
    test_annotate_basic,
    test_count,
    test_ticket12886,
    test_decimal_max_digits_has_no_effect,
    test_aggregation_default_using_decimal_from_python,
    test_related_aggregate,
    test_aggregate_multi_join,
    test_aggregate_transform,
    test_aggregate_join_transform,
);

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

const B1: &str = "The Definitive Guide to Django: Web Development Done Right";
const B6: &str = "Paradigms of Artificial Intelligence Programming: Case Studies in Common Lisp";

/// AggregateTestCase.setUpTestData.
async fn data(db: &Db) -> R {
    let mut a = Vec::new();
    for (name, age) in [
        ("Adrian Holovaty", 34),
        ("Jacob Kaplan-Moss", 35),
        ("Brad Dayley", 45),
        ("James Bennett", 29),
        ("Jeffrey Forcier", 37),
        ("Paul Bissex", 29),
        ("Wesley J. Chun", 25),
        ("Peter Norvig", 57),
        ("Stuart Russell", 46),
    ] {
        let mut x = Author { name: name.into(), age, ..Author::defaults() };
        x.create(db).await?;
        a.push(x);
    }
    for (i, friends) in [
        (0, &[1, 3][..]),
        (1, &[0, 6][..]),
        (3, &[0][..]),
        (4, &[5, 6][..]),
        (5, &[4, 6][..]),
        (6, &[1, 4, 5][..]),
        (7, &[8][..]),
        (8, &[7][..]),
    ] {
        let targets: Vec<Author> = friends.iter().map(|&j| a[j].clone()).collect();
        a[i].clone().friends_add(db, &targets.iter().collect::<Vec<_>>()).await?;
    }
    let mut p = Vec::new();
    for (name, num_awards) in [("Apress", 3), ("Sams", 1), ("Prentice Hall", 7), ("Morgan Kaufmann", 9), ("Jonno's House of Books", 0)] {
        let mut x = Publisher { name: name.into(), num_awards, ..Publisher::defaults() };
        x.create(db).await?;
        p.push(x);
    }
    let mut b = Vec::new();
    for (isbn, name, pages, rating, price, contact, publisher, pubdate) in [
        ("159059725", B1, 447, 4.5, "30.00", 0, 0, date(2007, 12, 6)),
        ("067232959", "Sams Teach Yourself Django in 24 Hours", 528, 3.0, "23.09", 2, 1, date(2008, 3, 3)),
        ("159059996", "Practical Django Projects", 300, 4.0, "29.69", 3, 0, date(2008, 6, 23)),
        ("013235613", "Python Web Development with Django", 350, 4.0, "29.69", 4, 2, date(2008, 11, 3)),
        ("013790395", "Artificial Intelligence: A Modern Approach", 1132, 4.0, "82.80", 7, 2, date(1995, 1, 15)),
        ("155860191", B6, 946, 5.0, "75.00", 7, 3, date(1991, 10, 15)),
    ] {
        let mut x = Book {
            isbn: isbn.into(),
            name: name.into(),
            pages,
            rating,
            price: dec(price),
            contact: ForeignKey::from(&a[contact]),
            publisher: ForeignKey::from(&p[publisher]),
            pubdate,
            ..Book::defaults()
        };
        x.create(db).await?;
        b.push(x);
    }
    for (i, authors) in [(0, &[0, 1][..]), (1, &[2][..]), (2, &[3][..]), (3, &[4, 5, 6][..]), (4, &[7, 8][..]), (5, &[7][..])] {
        let targets: Vec<&Author> = authors.iter().map(|&j| &a[j]).collect();
        b[i].clone().authors_add(db, &targets).await?;
    }
    let at = |y, m, d, h, mi, s| date(y, m, d).and_hms_opt(h, mi, s).expect("time").and_utc();
    let time = |h, m, s| NaiveTime::from_hms_opt(h, m, s).expect("time");
    for (name, opening, closing, books) in [
        ("Amazon.com", at(1994, 4, 23, 9, 17, 42), time(23, 59, 59), &[0, 1, 2, 3, 4, 5][..]),
        ("Books.com", at(2001, 3, 15, 11, 23, 37), time(23, 59, 59), &[0, 2, 4, 5][..]),
        ("Mamma and Pappa's Books", at(1945, 4, 25, 16, 24, 14), time(21, 30, 0), &[2, 3, 5][..]),
    ] {
        let mut s = Store { name: name.into(), original_opening: opening, friday_night_closing: closing, ..Store::defaults() };
        s.create(db).await?;
        let targets: Vec<&Book> = books.iter().map(|&j| &b[j]).collect();
        s.books_add(db, &targets).await?;
    }
    Ok(())
}

fn approx(got: Option<f64>, want: f64, places: i32) {
    let got = got.expect("a value");
    assert!((got - want).abs() < 0.5 * 10f64.powi(-places), "{got} is not {want} to {places} places");
}

/// Django: aggregation.tests.AggregateTestCase.test_single_aggregate
async fn test_single_aggregate(db: Db) -> R {
    data(&db).await?;
    approx(Author::objects().aggregate(&db, Agg::avg(Author::age())).await?, 37.4, 1);
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_multiple_aggregates
async fn test_multiple_aggregates(db: Db) -> R {
    data(&db).await?;
    let (sum, avg) = Author::objects().aggregate(&db, (Agg::sum(Author::age()), Agg::avg(Author::age()))).await?;
    assert_eq!(sum, Some(337));
    approx(avg, 37.4, 1);
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_filter_aggregate
async fn test_filter_aggregate(db: Db) -> R {
    data(&db).await?;
    assert_eq!(Author::objects().filter(Author::age().gt(29)).aggregate(&db, Agg::sum(Author::age())).await?, Some(254));
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_aggregate_alias
async fn test_aggregate_alias(db: Db) -> R {
    data(&db).await?;
    let amazon_mean = Store::objects().filter(Store::name().eq("Amazon.com")).aggregate(&db, Agg::avg(Store::books().rating())).await?;
    approx(amazon_mean, 4.08, 2);
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_annotate_basic
async fn test_annotate_basic(db: Db) -> R {
    data(&db).await?;
    // `annotate()` with no annotation: the rows as they are.
    let names: Vec<String> = Book::objects().order_by(Book::id().asc()).all(&db).await?.into_iter().map(|b| b.name).collect();
    assert_eq!(
        names,
        [
            B1,
            "Sams Teach Yourself Django in 24 Hours",
            "Practical Django Projects",
            "Python Web Development with Django",
            "Artificial Intelligence: A Modern Approach",
            B6
        ]
    );
    // `annotate(mean_age=Avg("authors__age"))` (an aggregate through a many-to-many) needs
    // annotate-general.
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_count
async fn test_count(db: Db) -> R {
    data(&db).await?;
    assert_eq!(Book::objects().aggregate(&db, Agg::count_of(Book::rating())).await?, 6);
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_ticket12886
async fn test_ticket12886(db: Db) -> R {
    data(&db).await?;
    let qs = Book::objects().order_by(Book::rating().desc()).limit(3);
    approx(qs.aggregate(&db, Agg::avg(Book::rating())).await?, 4.5, 2);
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_decimal_max_digits_has_no_effect
async fn test_decimal_max_digits_has_no_effect(db: Db) -> R {
    data(&db).await?;
    Book::objects().delete(&db).await?;
    let a1 = Author::objects().first(&db).await?.expect("an author");
    let p1 = Publisher::objects().first(&db).await?.expect("a publisher");
    let thedate = Utc::now().date_naive();
    for i in 0..10 {
        Book {
            isbn: format!("abcde{i}"),
            name: "none".into(),
            pages: 10,
            rating: 4.0,
            price: dec("9999.98"),
            contact: ForeignKey::from(&a1),
            publisher: ForeignKey::from(&p1),
            pubdate: thedate,
            ..Book::defaults()
        }
        .create(&db)
        .await?;
    }
    let price_sum = Book::objects().aggregate(&db, Agg::sum(Book::price())).await?;
    assert_eq!(price_sum, Some(dec("99999.80")));
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_aggregation_default_using_decimal_from_python
async fn test_aggregation_default_using_decimal_from_python(db: Db) -> R {
    data(&db).await?;
    let value = Book::objects().filter(Book::rating().lt(3.0)).aggregate(&db, Agg::sum(Book::price()).or(dec("0.00"))).await?;
    assert_eq!(value, dec("0.00"));
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_related_aggregate
async fn test_related_aggregate(db: Db) -> R {
    data(&db).await?;
    approx(Author::objects().aggregate(&db, Agg::avg(Author::friends().age())).await?, 34.07, 2);
    approx(Book::objects().filter(Book::rating().lt(4.5)).aggregate(&db, Agg::avg(Book::authors().age())).await?, 38.2857, 2);
    assert_eq!(
        Author::objects().filter(Author::name().contains("a")).aggregate(&db, Agg::avg(Author::book_set().rating())).await?,
        Some(4.0)
    );
    assert_eq!(Book::objects().aggregate(&db, Agg::sum(Book::publisher().num_awards())).await?, Some(30));
    assert_eq!(Publisher::objects().aggregate(&db, Agg::sum(Publisher::book_set().price())).await?, Some(dec("270.27")));
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_aggregate_multi_join
async fn test_aggregate_multi_join(db: Db) -> R {
    data(&db).await?;
    assert_eq!(Store::objects().aggregate(&db, Agg::max(Store::books().authors().age())).await?, Some(57));
    assert_eq!(Author::objects().aggregate(&db, Agg::min(Author::book_set().publisher().num_awards())).await?, Some(1));
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_aggregate_transform
async fn test_aggregate_transform(db: Db) -> R {
    data(&db).await?;
    assert_eq!(Store::objects().aggregate(&db, Agg::min(Store::original_opening().month())).await?, Some(3));
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_aggregate_join_transform
async fn test_aggregate_join_transform(db: Db) -> R {
    data(&db).await?;
    assert_eq!(Publisher::objects().aggregate(&db, Agg::min(Publisher::book_set().pubdate().year())).await?, Some(1991));
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_sum_distinct_aggregate
async fn test_sum_distinct_aggregate(db: Db) -> R {
    data(&db).await?;
    // Sum on a distinct() QuerySet should aggregate only the distinct items.
    let b5_b6 = Book::objects().filter(Book::name().is_in(["Artificial Intelligence: A Modern Approach", B6])).all(&db).await?;
    let authors = Author::objects().filter(Author::book_set().id().is_in(b5_b6.iter().map(|b| b.id)));
    assert_eq!(authors.count(&db).await?, 3);
    let distinct_authors = authors.distinct();
    assert_eq!(distinct_authors.count(&db).await?, 2);
    // Selected author ages are 57 and 46.
    let age_sum = distinct_authors.aggregate(&db, Agg::sum(Author::age())).await?;
    assert_eq!(age_sum, Some(103));
    Ok(())
}

/// Django: aggregation.tests.AggregateTestCase.test_count_distinct_expression
async fn test_count_distinct_expression(db: Db) -> R {
    data(&db).await?;
    // Count(Case(When(pages__gt=300, then="rating")), distinct=True).
    let distinct_ratings =
        Book::objects().aggregate(&db, Agg::count_distinct(Case::when(Book::pages().gt(300), Book::rating()).end())).await?;
    assert_eq!(distinct_ratings, 4);
    Ok(())
}
