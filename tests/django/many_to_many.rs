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
        pub article_set: Reverse<Article>,
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
    test_bulk_delete,
    test_delete,
    test_forward_assign_with_queryset,
    test_related_sets,
    test_reverse_selects,
    test_set_after_prefetch,
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

/// Publication titles, in Publication's Meta.ordering (title).
async fn pub_titles(q: QuerySet<Publication>, db: &Db) -> teapot::Result<Vec<String>> {
    Ok(q.order_by(Publication::title().asc()).all(db).await?.into_iter().map(|p| p.title).collect())
}

/// An article's publications (a.publications.all()), read with a prefetch, in title order.
async fn pubs_of(db: &Db, a: &Article) -> teapot::Result<Vec<String>> {
    let a = Article::objects().filter(Article::id().eq(a.id)).prefetch_related(&["publications"]).get(db).await?;
    let mut t: Vec<String> = a.publications.get()?.iter().map(|p| p.title.clone()).collect();
    t.sort();
    Ok(t)
}

/// A publication's articles (p.article_set.all()), read with a prefetch of the reverse side, in
/// headline order.
async fn articles_of(db: &Db, p: &Publication) -> teapot::Result<Vec<i64>> {
    let p = Publication::objects().filter(Publication::id().eq(p.id)).prefetch_related(&["article_set"]).get(db).await?;
    let mut a: Vec<(String, i64)> = p.article_set.get()?.iter().map(|a| (a.headline.clone(), a.id)).collect();
    a.sort();
    Ok(a.into_iter().map(|(_, id)| id).collect())
}

/// Django: many_to_many.tests.ManyToManyTests.test_bulk_delete
async fn test_bulk_delete(db: Db) -> R {
    let d = data(&db).await?;
    let [a1, a2, a3, a4] = d.a.each_ref().map(|a| a.id);
    // Bulk delete some Publications - references to deleted publications should go.
    Publication::objects().filter(Publication::title().startswith("Science")).delete(&db).await?;
    assert_eq!(pub_titles(Publication::objects(), &db).await?, ["Highlights for Children", "The Python Journal"]);
    assert_eq!(ids(Article::objects(), &db).await?, [a1, a3, a2, a4]);
    assert_eq!(pubs_of(&db, &d.a[1]).await?, ["Highlights for Children", "The Python Journal"]);
    // Bulk delete some articles - references to deleted objects should go.
    let q = || Article::objects().filter(Article::headline().startswith("Django"));
    assert_eq!(ids(q(), &db).await?, [a1]);
    q().delete(&db).await?;
    assert!(ids(q(), &db).await?.is_empty());
    assert_eq!(articles_of(&db, &d.p[0]).await?, [a2]);
    Ok(())
}

/// Django: many_to_many.tests.ManyToManyTests.test_delete
async fn test_delete(db: Db) -> R {
    let d = data(&db).await?;
    let [a1, _, a3, a4] = d.a.each_ref().map(|a| a.id);
    // If we delete a Publication, its Articles won't be able to access it.
    d.p[0].delete(&db).await?;
    assert_eq!(pub_titles(Publication::objects(), &db).await?, ["Highlights for Children", "Science News", "Science Weekly"]);
    assert!(pubs_of(&db, &d.a[0]).await?.is_empty());
    // If we delete an Article, its Publications won't be able to access it.
    d.a[1].delete(&db).await?;
    assert_eq!(ids(Article::objects(), &db).await?, [a1, a3, a4]);
    assert_eq!(articles_of(&db, &d.p[1]).await?, [a3, a4]);
    Ok(())
}

/// Django: many_to_many.tests.ManyToManyTests.test_forward_assign_with_queryset
async fn test_forward_assign_with_queryset(db: Db) -> R {
    let d = data(&db).await?;
    let mut a1 = d.a[0].clone();
    a1.publications_set(&db, &[&d.p[0], &d.p[1]]).await?;
    // a1.publications.filter(title="The Python Journal"): a1's publications with that title.
    let a1_id = a1.id;
    let qs =
        || Publication::objects().filter(Publication::article_set().id().eq(a1_id)).filter(Publication::title().eq("The Python Journal"));
    // A query given to set() is read first (Django evaluates it before clearing).
    let rows = qs().all(&db).await?;
    a1.publications_set(&db, &rows.iter().collect::<Vec<_>>()).await?;
    assert_eq!(Publication::objects().filter(Publication::article_set().id().eq(a1.id)).count(&db).await?, 1);
    assert_eq!(qs().count(&db).await?, 1);
    Ok(())
}

/// Django: many_to_many.tests.ManyToManyTests.test_related_sets
async fn test_related_sets(db: Db) -> R {
    let d = data(&db).await?;
    let [a1, a2, a3, a4] = d.a.each_ref().map(|a| a.id);
    // Article objects have access to their related Publication objects.
    assert_eq!(pubs_of(&db, &d.a[0]).await?, ["The Python Journal"]);
    assert_eq!(pubs_of(&db, &d.a[1]).await?, ["Highlights for Children", "Science News", "Science Weekly", "The Python Journal"]);
    // Publication objects have access to their related Article objects.
    assert_eq!(articles_of(&db, &d.p[1]).await?, [a3, a2, a4]);
    assert_eq!(articles_of(&db, &d.p[0]).await?, [a1, a2]);
    let p4 = Publication::objects().filter(Publication::id().eq(d.p[3].id)).get(&db).await?;
    assert_eq!(articles_of(&db, &p4).await?, [a2]);
    Ok(())
}

async fn pub_ids(q: QuerySet<Publication>, db: &Db) -> teapot::Result<Vec<i64>> {
    Ok(q.order_by(Publication::title().asc()).all(db).await?.into_iter().map(|p| p.id).collect())
}

/// Django: many_to_many.tests.ManyToManyTests.test_reverse_selects
async fn test_reverse_selects(db: Db) -> R {
    let d = data(&db).await?;
    let [p1, p2, p3, p4] = d.p.each_ref().map(|p| p.id);
    let (a1, a2) = (d.a[0].id, d.a[1].id);
    let q = |c: Cond| Publication::objects().filter(c);
    // Reverse m2m queries are supported (i.e., starting at the table that doesn't have a
    // ManyToManyField).
    assert_eq!(pub_ids(q(Publication::id().eq(p1)), &db).await?, [p1]);
    assert_eq!(pub_ids(q(Publication::article_set().headline().startswith("NASA")), &db).await?, [p4, p2, p2, p3, p1]);
    // article__id__exact, article__pk, article=<key>, article=<row>: the key.
    assert_eq!(pub_ids(q(Publication::article_set().id().eq(a1)), &db).await?, [p1]);
    assert_eq!(pub_ids(q(Publication::article_set().id().eq(d.a[0].key())), &db).await?, [p1]);
    // article__in=[keys or rows]: the keys.
    assert_eq!(pub_ids(q(Publication::article_set().id().is_in([a1, a2])).distinct(), &db).await?, [p4, p2, p3, p1]);
    assert_eq!(pub_ids(q(Publication::article_set().id().is_in([d.a[0].key(), d.a[1].key()])).distinct(), &db).await?, [p4, p2, p3, p1]);
    Ok(())
}

/// a4.publications.count(): one query.
async fn count_pubs(db: &Db, a: &Article) -> teapot::Result<i64> {
    Publication::objects().filter(Publication::article_set().id().eq(a.id)).count(db).await
}

/// Django: many_to_many.tests.ManyToManyTests.test_set_after_prefetch
async fn test_set_after_prefetch(db: Db) -> R {
    let d = data(&db).await?;
    let mut a4 = a4_prefetched(&db, &d).await?;
    // Django counts the prefetched rows without a query.
    let before = db.query_count();
    assert_eq!(a4.publications.get()?.len(), 1);
    assert_eq!(db.query_count() - before, 0);
    a4.publications_set(&db, &[&d.p[1], &d.p[0]]).await?;
    assert_eq!(count_pubs(&db, &a4).await?, 2);
    a4.publications_set(&db, &[&d.p[0]]).await?;
    assert_eq!(count_pubs(&db, &a4).await?, 1);
    Ok(())
}
