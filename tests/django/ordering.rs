//! Django's `ordering` tests (those that need no Meta.ordering).

use crate::common::db::TestDb;
use teapot::orm::QuerySet;
use teapot::prelude::*;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "ordering")]
    pub struct Author {
        pub id: i64,
        #[teapot(max_length = 63)]
        pub name: Option<String>,
        #[teapot(on_delete = "cascade")]
        pub editor: Option<ForeignKey<Author>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "ordering")]
    pub struct Article {
        pub id: i64,
        #[teapot(on_delete = "set_null")]
        pub author: Option<ForeignKey<Author>>,
        #[teapot(on_delete = "set_null", related_name = "+")]
        pub second_author: Option<ForeignKey<Author>>,
        #[teapot(max_length = 100)]
        pub headline: String,
        pub pub_date: DateTime<Utc>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "ordering", MODELS_SRC).await
}

suite!(
    test_default_ordering_override,
    test_stop_slicing,
    test_stop_start_slicing,
    test_order_by_f_expression,
    test_default_ordering_does_not_affect_group_by,
);

fn day(d: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2005, 7, d).and_then(|x| x.and_hms_opt(0, 0, 0)).expect("date").and_utc()
}

/// OrderingTests.setUpTestData: a1..a4, author_1, author_2 and two nameless authors.
async fn data(db: &Db) -> teapot::Result<(Author, Author)> {
    for (h, d) in [("Article 1", 26), ("Article 2", 27), ("Article 3", 27), ("Article 4", 28)] {
        Article { headline: h.into(), pub_date: day(d), ..Article::defaults() }.create(db).await?;
    }
    let mut author_1 = Author { name: Some("Name 1".into()), ..Author::defaults() };
    author_1.create(db).await?;
    let mut author_2 = Author { name: Some("Name 2".into()), ..Author::defaults() };
    author_2.create(db).await?;
    for _ in 0..2 {
        Author::defaults().create(db).await?;
    }
    Ok((author_1, author_2))
}

async fn headlines(q: QuerySet<Article>, db: &Db) -> teapot::Result<Vec<String>> {
    Ok(q.all(db).await?.into_iter().map(|a| a.headline).collect())
}

/// Django: ordering.tests.OrderingTests.test_default_ordering_override
async fn test_default_ordering_override(db: Db) -> R {
    data(&db).await?;
    assert_eq!(
        headlines(Article::objects().order_by(Article::headline().asc()), &db).await?,
        ["Article 1", "Article 2", "Article 3", "Article 4"]
    );
    assert_eq!(
        headlines(Article::objects().order_by(Article::pub_date().asc()).order_by(Article::headline().desc()), &db).await?,
        ["Article 1", "Article 3", "Article 2", "Article 4"]
    );
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_stop_slicing
async fn test_stop_slicing(db: Db) -> R {
    data(&db).await?;
    assert_eq!(headlines(Article::objects().order_by(Article::headline().asc()).limit(2), &db).await?, ["Article 1", "Article 2"]);
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_stop_start_slicing
async fn test_stop_start_slicing(db: Db) -> R {
    data(&db).await?;
    assert_eq!(
        headlines(Article::objects().order_by(Article::headline().asc()).offset(1).limit(2), &db).await?,
        ["Article 2", "Article 3"]
    );
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_order_by_f_expression
async fn test_order_by_f_expression(db: Db) -> R {
    data(&db).await?;
    // F("headline") and F("headline").asc() are the ascending order on the column.
    assert_eq!(
        headlines(Article::objects().order_by(Article::headline().asc()), &db).await?,
        ["Article 1", "Article 2", "Article 3", "Article 4"]
    );
    assert_eq!(
        headlines(Article::objects().order_by(Article::headline().desc()), &db).await?,
        ["Article 4", "Article 3", "Article 2", "Article 1"]
    );
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_default_ordering_does_not_affect_group_by
async fn test_default_ordering_does_not_affect_group_by(db: Db) -> R {
    let (author_1, author_2) = data(&db).await?;
    Article::objects().exclude(Article::headline().eq("Article 4")).update(&db, vec![Article::author().key.set(author_1.id)]).await?;
    Article::objects().filter(Article::headline().eq("Article 4")).update(&db, vec![Article::author().key.set(author_2.id)]).await?;
    // values("author").annotate(count=Count("author")): one row per author key.
    let articles = Article::objects().group_by(&db, Article::author().key, Agg::count_of(Article::author().key)).await?;
    let articles: Vec<(Option<i64>, i64)> = articles.into_iter().map(|(a, n)| (a.map(|a| *a.key()), n)).collect();
    assert_eq!(articles, [(Some(author_1.id), 3), (Some(author_2.id), 1)]);
    Ok(())
}
