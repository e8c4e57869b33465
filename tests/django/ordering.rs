//! Django's `ordering` tests. Author's Meta.ordering (`-pk`) is declared; of Article's
//! (`-pub_date`, `headline`, `author__name`, `second_author__name`) teapot declares the model's
//! own columns: the ported tests that rely on it have no authors, or none with a name.

use crate::common::db::TestDb;
use teapot::orm::QuerySet;
use teapot::prelude::*;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "ordering", ordering = ["-id"])]
    pub struct Author {
        pub id: i64,
        #[teapot(max_length = 63)]
        pub name: Option<String>,
        #[teapot(on_delete = "cascade")]
        pub editor: Option<ForeignKey<Author>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "ordering", ordering = ["-pub_date", "headline"])]
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
    test_order_by_nulls_first,
    test_order_by_nulls_last,
    test_default_ordering_override,
    test_stop_slicing,
    test_stop_start_slicing,
    test_order_by_f_expression,
    test_default_ordering_does_not_affect_group_by,
    test_default_ordering,
    test_order_by_override,
    test_reversed_ordering,
    test_reverse_ordering_pure,
    test_order_by_pk,
    test_order_by_fk_attname,
    test_order_by_self_referential_fk,
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

/// The articles a1..a4 (by headline).
async fn articles(db: &Db) -> teapot::Result<Vec<Article>> {
    Article::objects().order_by(Article::headline().asc()).all(db).await
}

/// Django: ordering.tests.OrderingTests.test_default_ordering
async fn test_default_ordering(db: Db) -> R {
    data(&db).await?;
    // By default, Article.objects.all() orders by pub_date descending, then headline ascending.
    assert_eq!(headlines(Article::objects(), &db).await?, ["Article 4", "Article 2", "Article 3", "Article 1"]);
    // Getting a single item should work too.
    let a = articles(&db).await?;
    assert_eq!(Article::objects().limit(1).all(&db).await?[0].id, a[3].id);
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_order_by_override
async fn test_order_by_override(db: Db) -> R {
    data(&db).await?;
    // Only the last order_by has any effect: teapot's order_by() adds to the order, so the one
    // given before is cleared (Django's order_by() replaces it).
    assert_eq!(
        headlines(Article::objects().order_by(Article::id().asc()), &db).await?,
        ["Article 1", "Article 2", "Article 3", "Article 4"]
    );
    assert_eq!(
        headlines(Article::objects().order_by(Article::id().asc()).clear_ordering().order_by(Article::headline().desc()), &db).await?,
        ["Article 4", "Article 3", "Article 2", "Article 1"]
    );
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_reversed_ordering
async fn test_reversed_ordering(db: Db) -> R {
    data(&db).await?;
    // reverse() then the first two: the last two items.
    assert_eq!(headlines(Article::objects().reverse().limit(2), &db).await?, ["Article 1", "Article 3"]);
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_reverse_ordering_pure
async fn test_reverse_ordering_pure(db: Db) -> R {
    data(&db).await?;
    let qs1 = Article::objects().order_by(Article::headline().asc());
    let qs2 = qs1.clone().reverse();
    assert_eq!(headlines(qs2, &db).await?, ["Article 4", "Article 3", "Article 2", "Article 1"]);
    assert_eq!(headlines(qs1, &db).await?, ["Article 1", "Article 2", "Article 3", "Article 4"]);
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_order_by_pk
async fn test_order_by_pk(db: Db) -> R {
    data(&db).await?;
    // 'pk' works as an ordering option in Meta.
    let ids = |v: Vec<Author>| v.iter().map(|a| a.id).collect::<Vec<_>>();
    let by_meta = ids(Author::objects().all(&db).await?);
    assert_eq!(by_meta, ids(Author::objects().order_by(Author::id().desc()).all(&db).await?));
    assert_eq!(by_meta.len(), 4);
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_order_by_fk_attname
async fn test_order_by_fk_attname(db: Db) -> R {
    data(&db).await?;
    // Ordering by a foreign key by its attribute name prevents the query from inheriting its
    // related model ordering option (#19195).
    let authors = Author::objects().order_by(Author::id().asc()).all(&db).await?;
    let a = articles(&db).await?;
    for i in 1..5 {
        let mut article = a[4 - i].clone();
        article.author = Some(ForeignKey::from(&authors[i - 1]));
        article.save_fields(&db, &["author_id"]).await?;
    }
    assert_eq!(
        headlines(Article::objects().order_by(Article::author().key.asc()), &db).await?,
        ["Article 4", "Article 3", "Article 2", "Article 1"]
    );
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_order_by_self_referential_fk
async fn test_order_by_self_referential_fk(db: Db) -> R {
    let (author_1, author_2) = data(&db).await?;
    let a = articles(&db).await?;
    for (article, editor) in [(&a[0], &author_1), (&a[1], &author_2)] {
        let mut author = Author { editor: Some(ForeignKey::from(editor)), ..Author::defaults() };
        author.create(&db).await?;
        let mut article = article.clone();
        article.author = Some(ForeignKey::from(&author));
        article.save(&db).await?;
    }
    let with_author = || Article::objects().filter(Article::author().is_null(false));
    // order_by("author__editor"): the editor's own Meta.ordering (-pk).
    assert_eq!(headlines(with_author().order_by(Article::author().editor().id().desc()), &db).await?, ["Article 2", "Article 1"]);
    assert_eq!(headlines(with_author().order_by(Article::author().editor().key.asc()), &db).await?, ["Article 1", "Article 2"]);
    Ok(())
}

/// assertQuerySetEqualReversible: the query gives `expected`, and reversed, `expected` reversed.
async fn reversible(q: QuerySet<Article>, db: &Db, expected: [&Article; 4]) -> R {
    let ids = |v: Vec<Article>| v.iter().map(|a| a.id).collect::<Vec<_>>();
    let mut want: Vec<i64> = expected.iter().map(|a| a.id).collect();
    assert_eq!(ids(q.clone().all(db).await?), want);
    want.reverse();
    assert_eq!(ids(q.reverse().all(db).await?), want, "reversed");
    Ok(())
}

async fn nulls_data(db: &Db) -> teapot::Result<Vec<Article>> {
    let (author_1, author_2) = data(db).await?;
    Article::objects().filter(Article::headline().eq("Article 3")).update(db, vec![Article::author().key.set(author_1.id)]).await?;
    Article::objects().filter(Article::headline().eq("Article 4")).update(db, vec![Article::author().key.set(author_2.id)]).await?;
    articles(db).await
}

/// Django: ordering.tests.OrderingTests.test_order_by_nulls_last
async fn test_order_by_nulls_last(db: Db) -> R {
    let a = nulls_data(&db).await?;
    let (a1, a2, a3, a4) = (&a[0], &a[1], &a[2], &a[3]);
    let headline = || Article::headline().asc();
    // asc and desc are chainable with nulls_last.
    let author = || Article::author().key;
    reversible(Article::objects().order_by(author().desc().nulls_last()).order_by(headline()), &db, [a4, a3, a1, a2]).await?;
    reversible(Article::objects().order_by(author().asc().nulls_last()).order_by(headline()), &db, [a3, a4, a1, a2]).await?;
    let upper = || Article::author().name().upper();
    reversible(Article::objects().order_by(upper().desc().nulls_last()).order_by(headline()), &db, [a4, a3, a1, a2]).await?;
    reversible(Article::objects().order_by(upper().asc().nulls_last()).order_by(headline()), &db, [a3, a4, a1, a2]).await?;
    // annotate(upper_name=Upper("author__name")).order_by(F("upper_name")...): the same expression.
    reversible(Article::objects().order_by(upper().asc().nulls_last()).order_by(headline()), &db, [a3, a4, a1, a2]).await?;
    Ok(())
}

/// Django: ordering.tests.OrderingTests.test_order_by_nulls_first
async fn test_order_by_nulls_first(db: Db) -> R {
    let a = nulls_data(&db).await?;
    let (a1, a2, a3, a4) = (&a[0], &a[1], &a[2], &a[3]);
    let headline = || Article::headline().asc();
    // asc and desc are chainable with nulls_first.
    let author = || Article::author().key;
    reversible(Article::objects().order_by(author().asc().nulls_first()).order_by(headline()), &db, [a1, a2, a3, a4]).await?;
    reversible(Article::objects().order_by(author().desc().nulls_first()).order_by(headline()), &db, [a1, a2, a4, a3]).await?;
    let upper = || Article::author().name().upper();
    reversible(Article::objects().order_by(upper().asc().nulls_first()).order_by(headline()), &db, [a1, a2, a3, a4]).await?;
    reversible(Article::objects().order_by(upper().desc().nulls_first()).order_by(headline()), &db, [a1, a2, a4, a3]).await?;
    // annotate(upper_name=Upper("author__name")).order_by(F("upper_name")...): the same expression.
    reversible(Article::objects().order_by(upper().desc().nulls_first()).order_by(headline()), &db, [a1, a2, a4, a3]).await?;
    Ok(())
}
