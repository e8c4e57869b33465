//! Django's `annotations` tests (those teapot's per-row aggregates and having() express).

use crate::common::db::TestDb;
use teapot::prelude::*;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "annotations")]
    pub struct Author {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
        pub age: i32,
        pub friends: ManyToMany<Self>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "annotations")]
    pub struct Publisher {
        pub id: i64,
        #[teapot(max_length = 255)]
        pub name: String,
        pub num_awards: i32,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "annotations")]
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
    #[teapot(app = "annotations")]
    pub struct Store {
        pub id: i64,
        #[teapot(max_length = 255)]
        pub name: String,
        pub books: ManyToMany<Book>,
        pub original_opening: DateTime<Utc>,
        pub friday_night_closing: NaiveTime,
        #[teapot(db_column = "surface")]
        pub area: Option<i32>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "annotations", MODELS_SRC).await
}

suite!(test_annotate_exists);

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// NonAggregateAnnotationTestCase.setUpTestData.
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
        ("159059725", "The Definitive Guide to Django: Web Development Done Right", 447, 4.5, "30.00", 0, 0, date(2007, 12, 6)),
        ("067232959", "Sams Teach Yourself Django in 24 Hours", 528, 3.0, "23.09", 2, 1, date(2008, 3, 3)),
        ("159059996", "Practical Django Projects", 300, 4.0, "29.69", 3, 0, date(2008, 6, 23)),
        ("013235613", "Python Web Development with Django", 350, 4.0, "29.69", 4, 2, date(2008, 11, 3)),
        ("013790395", "Artificial Intelligence: A Modern Approach", 1132, 4.0, "82.80", 7, 2, date(1995, 1, 15)),
        (
            "155860191",
            "Paradigms of Artificial Intelligence Programming: Case Studies in Common Lisp",
            946,
            5.0,
            "75.00",
            7,
            3,
            date(1991, 10, 15),
        ),
    ] {
        let mut x = Book {
            isbn: isbn.into(),
            name: name.into(),
            pages,
            rating,
            price: price.parse().expect("decimal"),
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

/// Django: annotations.tests.NonAggregateAnnotationTestCase.test_annotate_exists
async fn test_annotate_exists(db: Db) -> R {
    data(&db).await?;
    // annotate(c=Count("id")).filter(c__gt=1): each author counts its own row once.
    let authors = Author::objects().having(Agg::count_of(Author::id()).gt(1));
    assert!(!authors.exists(&db).await?);
    // (The same query without the HAVING finds the authors: the condition is what empties it.)
    assert!(Author::objects().having(Agg::count_of(Author::id()).gte(1)).exists(&db).await?);
    Ok(())
}
