//! Django's `many_to_many` tests. Django's `a.publications.all()` queries again after the links
//! change; teapot forgets the prefetched rows instead (reading them is a NotLoaded error) and the
//! test prefetches again. Meta.ordering (Article: headline, Publication: title) is spelled out.

use crate::common::db::TestDb;
use teapot::orm::QuerySet;
use teapot::prelude::*;
use teapot::ErrorKind;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_many")]
    pub struct Publication {
        pub id: i64,
        #[teapot(max_length = 30)]
        pub title: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_many")]
    pub struct Tag {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_many")]
    pub struct Article {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub headline: String,
        pub publications: ManyToMany<Publication>,
        #[teapot(related_name = "tags")]
        pub tags: ManyToMany<Tag>,
    }

    /// Django's InheritedArticleA/B inherit `publications` (related_name "+") from an abstract
    /// model: here each declares it.
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_many")]
    pub struct InheritedArticleA {
        pub id: i64,
        #[teapot(related_name = "+")]
        pub publications: ManyToMany<Publication>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "many_to_many")]
    pub struct InheritedArticleB {
        pub id: i64,
        #[teapot(related_name = "+")]
        pub publications: ManyToMany<Publication>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "many_to_many", MODELS_SRC).await
}

suite!(
    test_fast_add_ignore_conflicts,
    test_selects,
    test_clear_after_prefetch,
    test_remove_after_prefetch,
    test_add_after_prefetch,
    test_add_then_remove_after_prefetch,
    test_inherited_models_selects,
    test_prefetch_related_no_queries_optimization_disabled,
);

/// ManyToManyTests.setUpTestData.
struct Data {
    p: [Publication; 4],
    a: [Article; 4],
}

async fn data(db: &Db) -> teapot::Result<Data> {
    let mut p = ["The Python Journal", "Science News", "Science Weekly", "Highlights for Children"]
        .map(|t| Publication { title: t.into(), ..Publication::defaults() });
    for x in &mut p {
        x.create(db).await?;
    }
    let mut a = [
        "Django lets you build web apps easily",
        "NASA uses Python",
        "NASA finds intelligent life on Earth",
        "Oxygen-free diet works wonders",
    ]
    .map(|h| Article { headline: h.into(), ..Article::defaults() });
    for x in &mut a {
        x.create(db).await?;
    }
    let [p1, p2, p3, p4] = &p;
    a[0].publications_add(db, &[p1]).await?;
    a[1].publications_add(db, &[p1, p2, p3, p4]).await?;
    a[2].publications_add(db, &[p2]).await?;
    a[3].publications_add(db, &[p2]).await?;
    Ok(Data { p, a })
}

async fn ids(q: QuerySet<Article>, db: &Db) -> teapot::Result<Vec<i64>> {
    Ok(q.order_by(Article::headline().asc()).all(db).await?.iter().map(|a| a.id).collect())
}

fn titles(a: &Article) -> teapot::Result<Vec<String>> {
    let mut t: Vec<String> = a.publications.get()?.iter().map(|p| p.title.clone()).collect();
    t.sort();
    Ok(t)
}

async fn a4_prefetched(db: &Db, d: &Data) -> teapot::Result<Article> {
    Article::objects().filter(Article::id().eq(d.a[3].id)).prefetch_related(&["publications"]).get(db).await
}

/// Django: many_to_many.tests.ManyToManyTests.test_fast_add_ignore_conflicts
async fn test_fast_add_ignore_conflicts(db: Db) -> R {
    let d = data(&db).await?;
    let mut a1 = d.a[0].clone();
    let before = db.query_count();
    a1.publications_add(&db, &[&d.p[0], &d.p[1]]).await?;
    assert_eq!(db.query_count() - before, 1);
    Ok(())
}

/// Django: many_to_many.tests.ManyToManyTests.test_selects
async fn test_selects(db: Db) -> R {
    let d = data(&db).await?;
    let [a1, a2, a3, a4] = d.a.each_ref().map(|a| a.id);
    let (p1, p2) = (d.p[0].id, d.p[1].id);
    let q = |c: Cond| Article::objects().filter(c);
    // publications__id__exact, publications__pk, publications=<key>, publications=<row>: the key.
    assert_eq!(ids(q(Article::publications().id().eq(p1)), &db).await?, [a1, a2]);
    let science = || q(Article::publications().title().startswith("Science"));
    assert_eq!(ids(science(), &db).await?, [a3, a2, a2, a4]);
    assert_eq!(ids(science().distinct(), &db).await?, [a3, a2, a4]);
    // count() respects distinct() as well.
    assert_eq!(science().count(&db).await?, 4);
    assert_eq!(science().distinct().count(&db).await?, 3);
    assert_eq!(ids(q(Article::publications().id().is_in([p1, p2])).distinct(), &db).await?, [a1, a3, a2, a4]);
    // Excluding a related item.
    assert_eq!(ids(Article::objects().exclude(Article::publications().id().eq(p2)), &db).await?, [a1]);
    Ok(())
}

/// Django: many_to_many.tests.ManyToManyTests.test_clear_after_prefetch
async fn test_clear_after_prefetch(db: Db) -> R {
    let d = data(&db).await?;
    let mut a4 = a4_prefetched(&db, &d).await?;
    assert_eq!(titles(&a4)?, ["Science News"]);
    a4.publications_clear(&db).await?;
    assert_eq!(a4.publications.get().expect_err("forgotten").kind, ErrorKind::NotLoaded);
    assert!(titles(&a4_prefetched(&db, &d).await?)?.is_empty());
    Ok(())
}

/// Django: many_to_many.tests.ManyToManyTests.test_remove_after_prefetch
async fn test_remove_after_prefetch(db: Db) -> R {
    let d = data(&db).await?;
    let mut a4 = a4_prefetched(&db, &d).await?;
    assert_eq!(titles(&a4)?, ["Science News"]);
    a4.publications_remove(&db, &[&d.p[1]]).await?;
    assert_eq!(a4.publications.get().expect_err("forgotten").kind, ErrorKind::NotLoaded);
    assert!(titles(&a4_prefetched(&db, &d).await?)?.is_empty());
    Ok(())
}

/// Django: many_to_many.tests.ManyToManyTests.test_add_after_prefetch
async fn test_add_after_prefetch(db: Db) -> R {
    let d = data(&db).await?;
    let mut a4 = a4_prefetched(&db, &d).await?;
    assert_eq!(a4.publications.get()?.len(), 1);
    a4.publications_add(&db, &[&d.p[0]]).await?;
    assert_eq!(a4.publications.get().expect_err("forgotten").kind, ErrorKind::NotLoaded);
    assert_eq!(a4_prefetched(&db, &d).await?.publications.get()?.len(), 2);
    Ok(())
}

/// Django: many_to_many.tests.ManyToManyTests.test_add_then_remove_after_prefetch
async fn test_add_then_remove_after_prefetch(db: Db) -> R {
    let d = data(&db).await?;
    let mut a4 = a4_prefetched(&db, &d).await?;
    assert_eq!(a4.publications.get()?.len(), 1);
    a4.publications_add(&db, &[&d.p[0]]).await?;
    assert_eq!(a4_prefetched(&db, &d).await?.publications.get()?.len(), 2);
    a4.publications_remove(&db, &[&d.p[0]]).await?;
    assert_eq!(a4.publications.get().expect_err("forgotten").kind, ErrorKind::NotLoaded);
    assert_eq!(titles(&a4_prefetched(&db, &d).await?)?, ["Science News"]);
    Ok(())
}

/// Django: many_to_many.tests.ManyToManyTests.test_inherited_models_selects
async fn test_inherited_models_selects(db: Db) -> R {
    let d = data(&db).await?;
    let mut a = InheritedArticleA::defaults();
    a.create(&db).await?;
    let mut b = InheritedArticleB::defaults();
    b.create(&db).await?;
    async fn pubs_a(db: &Db) -> teapot::Result<Vec<String>> {
        let a = InheritedArticleA::objects().prefetch_related(&["publications"]).get(db).await?;
        let mut t: Vec<String> = a.publications.get()?.iter().map(|p| p.title.clone()).collect();
        t.sort();
        Ok(t)
    }
    async fn pubs_b(db: &Db) -> teapot::Result<Vec<String>> {
        let b = InheritedArticleB::objects().prefetch_related(&["publications"]).get(db).await?;
        let mut t: Vec<String> = b.publications.get()?.iter().map(|p| p.title.clone()).collect();
        t.sort();
        Ok(t)
    }
    a.publications_add(&db, &[&d.p[0], &d.p[1]]).await?;
    assert_eq!(pubs_a(&db).await?, ["Science News", "The Python Journal"]);
    assert!(pubs_b(&db).await?.is_empty());
    b.publications_add(&db, &[&d.p[2]]).await?;
    assert_eq!(pubs_a(&db).await?, ["Science News", "The Python Journal"]);
    assert_eq!(pubs_b(&db).await?, ["Science Weekly"]);
    Ok(())
}

/// Django: many_to_many.tests.ManyToManyQueryTests.test_prefetch_related_no_queries_optimization_disabled
async fn test_prefetch_related_no_queries_optimization_disabled(db: Db) -> R {
    // ManyToManyQueryTests.setUpTestData (its NullableTargetArticle needs m2m-through: left out).
    Article { headline: "Django lets you build Web apps easily".into(), ..Article::defaults() }.create(&db).await?;
    let article = Article::objects().prefetch_related(&["publications"]).get(&db).await?;
    let before = db.query_count();
    assert_eq!(article.publications.get()?.len(), 0);
    assert!(article.publications.get()?.is_empty());
    assert_eq!(db.query_count() - before, 0);
    Ok(())
}
