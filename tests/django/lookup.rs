//! Django's `lookup` tests. Django's `Meta.ordering` (Article: `-pub_date, headline`) is spelled
//! out as an explicit `order_by` where a test relies on it (teapot has no meta-ordering).

use crate::common::db::TestDb;
use teapot::orm::QuerySet;
use teapot::prelude::*;
use teapot::{Dialect, ErrorKind};

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lookup")]
    pub struct Alarm {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub desc: String,
        pub time: NaiveTime,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lookup")]
    pub struct Author {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
        #[teapot(max_length = 50)]
        pub alias: Option<String>,
        pub bio: Option<String>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lookup")]
    pub struct Article {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub headline: String,
        pub pub_date: DateTime<Utc>,
        #[teapot(on_delete = "set_null")]
        pub author: Option<ForeignKey<Author>>,
        #[teapot(max_length = 50, unique)]
        pub slug: Option<String>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lookup")]
    pub struct Tag {
        pub id: i64,
        pub articles: ManyToMany<Article>,
        #[teapot(max_length = 100)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lookup", unique(fields = ["year"], name = "season_year_unique"))]
    pub struct Season {
        pub id: i64,
        pub year: i16,
        pub gt: Option<i32>,
        pub nulled_text_field: Option<String>,
        pub games: Reverse<Game>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lookup")]
    pub struct Game {
        pub id: i64,
        #[teapot(on_delete = "cascade", related_name = "games")]
        pub season: ForeignKey<Season>,
        #[teapot(max_length = 100)]
        pub home: String,
        #[teapot(max_length = 100)]
        pub away: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lookup")]
    pub struct Player {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
        #[teapot(related_name = "players")]
        pub games: ManyToMany<Game>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "lookup", MODELS_SRC).await
}

suite!(
    test_lookup_in_order_by,
    test_in_bulk_sliced_queryset,
    test_exists,
    test_iterator,
    test_count,
    test_escaping,
    test_exclude,
    test_in,
    test_in_empty_list,
    test_regex_backreferencing,
    test_regex_non_ascii,
    test_lookup_collision,
    test_isnull_textfield,
    test_lookup_in_filter,
    test_isnull_lookup_in_filter,
    test_in_lookup_in_filter,
    test_combined_lookups_in_filter,
    test_in_bulk,
    test_in_bulk_lots_of_ids,
    test_none,
    test_exact_sliced_queryset_limit_one,
    test_exact_sliced_queryset_limit_one_offset,
    test_multivalued_join_reuse,
);

fn dt(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d).and_then(|x| x.and_hms_opt(h, mi, 0)).expect("datetime").and_utc()
}

/// Article's Meta.ordering: `-pub_date`, `headline`.
fn ordered(q: QuerySet<Article>) -> QuerySet<Article> {
    q.order_by(Article::pub_date().desc()).order_by(Article::headline().asc())
}

async fn headlines(q: QuerySet<Article>, db: &Db) -> teapot::Result<Vec<String>> {
    Ok(ordered(q).all(db).await?.into_iter().map(|a| a.headline).collect())
}

/// LookupTests.setUpTestData.
struct Data {
    au1: Author,
    au2: Author,
}

async fn lookup_data(db: &Db) -> teapot::Result<Data> {
    let mut au1 = Author { name: "Author 1".into(), alias: Some("a1".into()), bio: Some("x".repeat(4001)), ..Author::defaults() };
    au1.create(db).await?;
    let mut au2 = Author { name: "Author 2".into(), alias: Some("a2".into()), ..Author::defaults() };
    au2.create(db).await?;
    let specs = [
        ("Article 1", dt(2005, 7, 26, 0, 0), &au1, "a1"),
        ("Article 2", dt(2005, 7, 27, 0, 0), &au1, "a2"),
        ("Article 3", dt(2005, 7, 27, 0, 0), &au1, "a3"),
        ("Article 4", dt(2005, 7, 28, 0, 0), &au1, "a4"),
        ("Article 5", dt(2005, 8, 1, 9, 0), &au2, "a5"),
        ("Article 6", dt(2005, 8, 1, 8, 0), &au2, "a6"),
        ("Article 7", dt(2005, 7, 27, 0, 0), &au2, "a7"),
    ];
    let mut a = Vec::new();
    for (headline, pub_date, author, slug) in specs {
        let mut art = Article {
            headline: headline.into(),
            pub_date,
            author: Some(ForeignKey::from(author)),
            slug: Some(slug.into()),
            ..Article::defaults()
        };
        art.create(db).await?;
        a.push(art);
    }
    let mut t1 = Tag { name: "Tag 1".into(), ..Tag::defaults() };
    t1.create(db).await?;
    t1.articles_add(db, &[&a[0], &a[1], &a[2]]).await?;
    let mut t2 = Tag { name: "Tag 2".into(), ..Tag::defaults() };
    t2.create(db).await?;
    t2.articles_add(db, &[&a[2], &a[3], &a[4]]).await?;
    let mut t3 = Tag { name: "Tag 3".into(), ..Tag::defaults() };
    t3.create(db).await?;
    t3.articles_add(db, &[&a[4], &a[5], &a[6]]).await?;
    Ok(Data { au1, au2 })
}

async fn article(db: &Db, headline: &str, pub_date: DateTime<Utc>) -> teapot::Result<Article> {
    let mut a = Article { headline: headline.into(), pub_date, ..Article::defaults() };
    a.create(db).await?;
    Ok(a)
}

const ALL7: [&str; 7] = ["Article 5", "Article 6", "Article 4", "Article 2", "Article 3", "Article 7", "Article 1"];

fn with<const N: usize>(first: [&str; N]) -> Vec<String> {
    first.iter().chain(ALL7.iter()).map(|s| s.to_string()).collect()
}

/// Django: lookup.tests.LookupTests.test_exists
async fn test_exists(db: Db) -> R {
    lookup_data(&db).await?;
    assert!(Article::objects().exists(&db).await?);
    for a in Article::objects().all(&db).await? {
        a.delete(&db).await?;
    }
    assert!(!Article::objects().exists(&db).await?);
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_iterator
async fn test_iterator(db: Db) -> R {
    use futures_util::TryStreamExt;
    lookup_data(&db).await?;
    let all: Vec<String> = ordered(Article::objects()).stream(&db).map_ok(|a| a.headline).try_collect().await?;
    assert_eq!(all, ALL7);
    let q = ordered(Article::objects().filter(Article::headline().endswith("4")));
    let four: Vec<String> = q.stream(&db).map_ok(|a| a.headline).try_collect().await?;
    assert_eq!(four, ["Article 4"]);
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_count
async fn test_count(db: Db) -> R {
    lookup_data(&db).await?;
    assert_eq!(Article::objects().count(&db).await?, 7);
    assert_eq!(Article::objects().filter(Article::pub_date().eq(dt(2005, 7, 27, 0, 0))).count(&db).await?, 3);
    assert_eq!(Article::objects().filter(Article::headline().startswith("Blah blah")).count(&db).await?, 0);
    // count() respects sliced querysets.
    let articles = ordered(Article::objects());
    assert_eq!(articles.clone().count(&db).await?, 7);
    assert_eq!(articles.clone().limit(4).count(&db).await?, 4);
    assert_eq!(articles.clone().offset(1).limit(99).count(&db).await?, 6);
    assert_eq!(articles.clone().offset(10).limit(90).count(&db).await?, 0);
    // `pub_date__exact="2005-07-27 00:00:00"` (a string for a datetime) does not compile in teapot.
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_escaping
async fn test_escaping(db: Db) -> R {
    lookup_data(&db).await?;
    article(&db, "Article_ with underscore", dt(2005, 11, 20, 0, 0)).await?;
    assert_eq!(
        headlines(Article::objects().filter(Article::headline().startswith("Article")), &db).await?,
        with(["Article_ with underscore"])
    );
    assert_eq!(headlines(Article::objects().filter(Article::headline().startswith("Article_")), &db).await?, ["Article_ with underscore"]);
    article(&db, "Article% with percent sign", dt(2005, 11, 21, 0, 0)).await?;
    assert_eq!(
        headlines(Article::objects().filter(Article::headline().startswith("Article")), &db).await?,
        with(["Article% with percent sign", "Article_ with underscore"])
    );
    assert_eq!(
        headlines(Article::objects().filter(Article::headline().startswith("Article%")), &db).await?,
        ["Article% with percent sign"]
    );
    article(&db, "Article with \\ backslash", dt(2005, 11, 22, 0, 0)).await?;
    assert_eq!(headlines(Article::objects().filter(Article::headline().contains("\\")), &db).await?, ["Article with \\ backslash"]);
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_exclude
async fn test_exclude(db: Db) -> R {
    lookup_data(&db).await?;
    article(&db, "Article_ with underscore", dt(2005, 11, 20, 0, 0)).await?;
    article(&db, "Article% with percent sign", dt(2005, 11, 21, 0, 0)).await?;
    article(&db, "Article with \\ backslash", dt(2005, 11, 22, 0, 0)).await?;
    let q = Article::objects().filter(Article::headline().contains("Article")).exclude(Article::headline().contains("with"));
    assert_eq!(headlines(q, &db).await?, ALL7);
    assert_eq!(
        headlines(Article::objects().exclude(Article::headline().startswith("Article_")), &db).await?,
        with(["Article with \\ backslash", "Article% with percent sign"])
    );
    assert_eq!(
        headlines(Article::objects().exclude(Article::headline().eq("Article 7")), &db).await?,
        [
            "Article with \\ backslash",
            "Article% with percent sign",
            "Article_ with underscore",
            "Article 5",
            "Article 6",
            "Article 4",
            "Article 2",
            "Article 3",
            "Article 1"
        ]
    );
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_in
async fn test_in(db: Db) -> R {
    lookup_data(&db).await?;
    assert_eq!(headlines(Article::objects().exclude(Article::id().is_in(Vec::<i64>::new())), &db).await?, ALL7);
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_in_empty_list
async fn test_in_empty_list(db: Db) -> R {
    lookup_data(&db).await?;
    assert!(Article::objects().filter(Article::id().is_in(Vec::<i64>::new())).all(&db).await?.is_empty());
    Ok(())
}

/// Regex lookups are PostgreSQL-only in teapot (Django has them on SQLite too, through a Python
/// function): on SQLite the lookup must be refused, not answered wrongly.
async fn regex_refused_on_sqlite<T: std::fmt::Debug>(db: &Db, r: teapot::Result<T>) -> bool {
    if db.dialect() == Dialect::Sqlite {
        assert_eq!(r.expect_err("regex on SQLite").kind, ErrorKind::Usage);
        return true;
    }
    false
}

/// Django: lookup.tests.LookupTests.test_regex_backreferencing
async fn test_regex_backreferencing(db: Db) -> R {
    lookup_data(&db).await?;
    let now = Utc::now();
    let mut rows: Vec<Article> = ["foobar", "foobaz", "ooF", "foobarbaz", "zoocarfaz", "barfoobaz", "bazbaRFOO"]
        .iter()
        .map(|h| Article { headline: h.to_string(), pub_date: now, ..Article::defaults() })
        .collect();
    teapot::orm::instance::bulk_create(&db, &mut rows).await?;
    let r = Article::objects()
        .filter(Article::headline().regex(r"b(.).*b\1"))
        .order_by(Article::headline().asc())
        .values_list(&db, (Article::headline(),))
        .await;
    if regex_refused_on_sqlite(&db, r.clone()).await {
        return Ok(());
    }
    let got: Vec<String> = r?.into_iter().map(|(h,)| h).collect();
    assert_eq!(got, ["barfoobaz", "bazbaRFOO", "foobarbaz"]);
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_regex_non_ascii
async fn test_regex_non_ascii(db: Db) -> R {
    lookup_data(&db).await?;
    Player { name: "\u{2660}".into(), ..Player::defaults() }.create(&db).await?;
    let r = Player::objects().filter(Player::name().regex("\u{2660}")).get(&db).await;
    if regex_refused_on_sqlite(&db, r.as_ref().map(|p| p.id).map_err(|e| e.clone())).await {
        return Ok(());
    }
    assert_eq!(r?.name, "\u{2660}");
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_lookup_collision
async fn test_lookup_collision(db: Db) -> R {
    lookup_data(&db).await?;
    let mut seasons = Vec::new();
    for (year, gt, aways) in [
        (2009, 111, &["St. Louis Cardinals"][..]),
        (2010, 222, &["Chicago Cubs", "Milwaukee Brewers", "St. Louis Cardinals"][..]),
        (2011, 333, &["St. Louis Cardinals", "Milwaukee Brewers"][..]),
    ] {
        let mut s = Season { year, gt: Some(gt), ..Season::defaults() };
        s.create(&db).await?;
        for away in aways {
            Game { season: ForeignKey::from(&s), home: "Houston Astros".into(), away: away.to_string(), ..Game::defaults() }
                .create(&db)
                .await?;
        }
        seasons.push(s);
    }
    // `games.set(queryset)`: the games fetched, then added.
    for (name, years) in
        [("Hunter Pence", &[2009i16, 2010][..]), ("Ivan Rodriquez", &[2009][..]), ("Pedro Feliz", &[2011][..]), ("Johnson", &[2011][..])]
    {
        let mut p = Player { name: name.into(), ..Player::defaults() };
        p.create(&db).await?;
        let games = Game::objects().filter(Game::season().year().is_in(years.iter().copied())).all(&db).await?;
        p.games_add(&db, &games.iter().collect::<Vec<_>>()).await?;
    }

    let games = |c: Cond| Game::objects().filter(c);
    // Games in 2010
    assert_eq!(games(Game::season().year().eq(2010)).count(&db).await?, 3);
    assert_eq!(games(Game::season().gt().eq(222)).count(&db).await?, 3);
    // Games in 2011
    assert_eq!(games(Game::season().year().eq(2011)).count(&db).await?, 2);
    assert_eq!(games(Game::season().gt().eq(333)).count(&db).await?, 2);
    assert_eq!(games(Game::season().year().gt(2010)).count(&db).await?, 2);
    assert_eq!(games(Game::season().gt().gt(222)).count(&db).await?, 2);
    // Games played in 2010 and 2011
    assert_eq!(games(Game::season().year().is_in([2010, 2011])).count(&db).await?, 5);
    assert_eq!(games(Game::season().year().gt(2009)).count(&db).await?, 5);
    assert_eq!(games(Game::season().gt().is_in([222, 333])).count(&db).await?, 5);
    assert_eq!(games(Game::season().gt().gt(111)).count(&db).await?, 5);

    let players = |c: Cond| Player::objects().filter(c).distinct();
    // Players who played in 2009
    assert_eq!(players(Player::games().season().year().eq(2009)).count(&db).await?, 2);
    assert_eq!(players(Player::games().season().gt().eq(111)).count(&db).await?, 2);
    // Players who played in 2010
    assert_eq!(players(Player::games().season().year().eq(2010)).count(&db).await?, 1);
    assert_eq!(players(Player::games().season().gt().eq(222)).count(&db).await?, 1);
    // Players who played in 2011
    assert_eq!(players(Player::games().season().year().eq(2011)).count(&db).await?, 2);
    assert_eq!(players(Player::games().season().gt().eq(333)).count(&db).await?, 2);
    assert_eq!(players(Player::games().season().year().gt(2010)).count(&db).await?, 2);
    assert_eq!(players(Player::games().season().gt().gt(222)).count(&db).await?, 2);
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_isnull_textfield
async fn test_isnull_textfield(db: Db) -> R {
    let d = lookup_data(&db).await?;
    let ids = |v: Vec<Author>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(ids(Author::objects().filter(Author::bio().is_null(true)).all(&db).await?), [d.au2.id]);
    assert_eq!(ids(Author::objects().filter(Author::bio().is_null(false)).all(&db).await?), [d.au1.id]);
    Ok(())
}

/// LookupQueryingTests.setUpTestData: s1, s2, s3.
async fn querying_data(db: &Db) -> teapot::Result<[i64; 3]> {
    let mut s1 = Season { year: 1942, gt: Some(1942), ..Season::defaults() };
    s1.create(db).await?;
    let mut s2 = Season { year: 1842, gt: Some(1942), nulled_text_field: Some("text".into()), ..Season::defaults() };
    s2.create(db).await?;
    let mut s3 = Season { year: 2042, gt: Some(1942), ..Season::defaults() };
    s3.create(db).await?;
    for (s, home, away) in [(&s1, "NY", "Boston"), (&s1, "NY", "Tampa"), (&s3, "Boston", "Tampa")] {
        Game { season: ForeignKey::from(s), home: home.into(), away: away.into(), ..Game::defaults() }.create(db).await?;
    }
    Ok([s1.id, s2.id, s3.id])
}

async fn season_ids(db: &Db, c: Cond) -> teapot::Result<Vec<i64>> {
    Ok(Season::objects().filter(c).order_by(Season::id().asc()).all(db).await?.into_iter().map(|s| s.id).collect())
}

/// Django: lookup.tests.LookupQueryingTests.test_lookup_in_filter
async fn test_lookup_in_filter(db: Db) -> R {
    let [s1, _, s3] = querying_data(&db).await?;
    assert_eq!(season_ids(&db, Season::year().gt(1910)).await?, [s1, s3]);
    Ok(())
}

/// Django: lookup.tests.LookupQueryingTests.test_isnull_lookup_in_filter
async fn test_isnull_lookup_in_filter(db: Db) -> R {
    let [s1, s2, s3] = querying_data(&db).await?;
    assert_eq!(season_ids(&db, Season::nulled_text_field().is_null(false)).await?, [s2]);
    assert_eq!(season_ids(&db, Season::nulled_text_field().is_null(true)).await?, [s1, s3]);
    Ok(())
}

/// Django: lookup.tests.LookupQueryingTests.test_in_lookup_in_filter
async fn test_in_lookup_in_filter(db: Db) -> R {
    let [s1, s2, s3] = querying_data(&db).await?;
    let cases: [(&[i16], Vec<i64>); 9] = [
        (&[], vec![]),
        (&[1942], vec![s1]),
        (&[1842], vec![s2]),
        (&[2042], vec![s3]),
        (&[1942, 1842], vec![s1, s2]),
        (&[1942, 2042], vec![s1, s3]),
        (&[1842, 2042], vec![s2, s3]),
        (&[1942, 1942, 1942], vec![s1]),
        (&[1942, 2042, 1842], vec![s1, s2, s3]),
    ];
    for (years, seasons) in cases {
        assert_eq!(season_ids(&db, Season::year().is_in(years.iter().copied())).await?, seasons, "years {years:?}");
    }
    Ok(())
}

/// Django: lookup.tests.LookupQueryingTests.test_combined_lookups_in_filter
async fn test_combined_lookups_in_filter(db: Db) -> R {
    let [s1, _, s3] = querying_data(&db).await?;
    assert_eq!(season_ids(&db, Season::year().eq(1942) | Season::year().gt(1942)).await?, [s1, s3]);
    Ok(())
}

/// The seven articles of LookupTests, a1..a7 (by headline).
async fn articles(db: &Db) -> teapot::Result<Vec<Article>> {
    Article::objects().order_by(Article::headline().asc()).all(db).await
}

/// An in_bulk map as (key, headline) pairs, sorted.
fn bulk(m: &std::collections::HashMap<i64, Article>) -> Vec<(i64, String)> {
    let mut v: Vec<(i64, String)> = m.iter().map(|(k, a)| (*k, a.headline.clone())).collect();
    v.sort();
    v
}

fn pairs(arts: &[&Article]) -> Vec<(i64, String)> {
    let mut v: Vec<(i64, String)> = arts.iter().map(|a| (a.id, a.headline.clone())).collect();
    v.sort();
    v
}

/// Django: lookup.tests.LookupTests.test_in_bulk
async fn test_in_bulk(db: Db) -> R {
    lookup_data(&db).await?;
    let a = articles(&db).await?;
    let all = || Article::objects();
    let arts = all().in_bulk(&db, [a[0].id, a[1].id]).await?;
    assert_eq!(arts[&a[0].id].headline, a[0].headline);
    assert_eq!(arts[&a[1].id].headline, a[1].headline);
    assert_eq!(arts.len(), 2);
    // Django's in_bulk() without keys gives every row: teapot always takes the keys.
    assert_eq!(bulk(&all().in_bulk(&db, a.iter().map(|x| x.id)).await?), pairs(&a.iter().collect::<Vec<_>>()));
    assert_eq!(bulk(&all().in_bulk(&db, [a[2].id]).await?), pairs(&[&a[2]]));
    assert_eq!(bulk(&all().in_bulk(&db, std::collections::HashSet::from([a[2].id])).await?), pairs(&[&a[2]]));
    assert_eq!(bulk(&all().in_bulk(&db, std::collections::BTreeSet::from([a[2].id])).await?), pairs(&[&a[2]]));
    assert_eq!(bulk(&all().in_bulk(&db, vec![a[2].id]).await?), pairs(&[&a[2]]));
    assert!(all().in_bulk(&db, [1000]).await?.is_empty());
    assert!(all().in_bulk(&db, Vec::<i64>::new()).await?.is_empty());
    assert_eq!(bulk(&all().in_bulk(&db, std::iter::once(a[0].id)).await?), pairs(&[&a[0]]));
    assert!(all().in_bulk(&db, std::iter::empty()).await?.is_empty());
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_in_bulk_lots_of_ids
async fn test_in_bulk_lots_of_ids(db: Db) -> R {
    lookup_data(&db).await?;
    let test_range = 2000;
    // Django makes a query per max_query_params keys; teapot binds up to max_binds() values in one.
    let expected_num_queries = (test_range as u64).div_ceil(db.max_binds() as u64);
    let existing = Author::objects().count(&db).await?;
    let mut rows: Vec<Author> = (existing..test_range).map(|_| Author::defaults()).collect();
    teapot::orm::instance::bulk_create(&db, &mut rows).await?;
    let authors: std::collections::HashMap<i64, String> = Author::objects().all(&db).await?.into_iter().map(|a| (a.id, a.name)).collect();
    assert_eq!(authors.len(), test_range as usize);
    let before = db.query_count();
    let got = Author::objects().in_bulk(&db, authors.keys().copied()).await?;
    assert_eq!(db.query_count() - before, expected_num_queries);
    let got: std::collections::HashMap<i64, String> = got.into_iter().map(|(k, a)| (k, a.name)).collect();
    assert_eq!(got, authors);
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_none
async fn test_none(db: Db) -> R {
    use futures_util::TryStreamExt;
    lookup_data(&db).await?;
    assert!(Article::objects().none().all(&db).await?.is_empty());
    assert!(Article::objects().none().filter(Article::headline().startswith("Article")).all(&db).await?.is_empty());
    assert!(Article::objects().filter(Article::headline().startswith("Article")).none().all(&db).await?.is_empty());
    assert_eq!(Article::objects().none().count(&db).await?, 0);
    assert_eq!(Article::objects().none().update(&db, vec![Article::headline().set("This should not take effect")]).await?, 0);
    let streamed: Vec<Article> = Article::objects().none().stream(&db).try_collect().await?;
    assert!(streamed.is_empty());
    // Nothing was updated.
    assert_eq!(Article::objects().filter(Article::headline().startswith("Article")).count(&db).await?, 7);
    Ok(())
}

/// Article headlines, sorted (assertCountEqual).
async fn headline_set(q: QuerySet<Article>, db: &Db) -> teapot::Result<Vec<String>> {
    let mut v: Vec<String> = q.all(db).await?.into_iter().map(|a| a.headline).collect();
    v.sort();
    Ok(v)
}

/// Django: lookup.tests.LookupTests.test_exact_sliced_queryset_limit_one
async fn test_exact_sliced_queryset_limit_one(db: Db) -> R {
    lookup_data(&db).await?;
    // author=Author.objects.all()[:1] (Author's Meta.ordering: name): the one key the slice gives.
    let first = Author::objects().order_by(Author::name().asc()).limit(1).values_of(Author::id());
    let got = headline_set(Article::objects().filter(Article::author().is_in_query(first)), &db).await?;
    assert_eq!(got, ["Article 1", "Article 2", "Article 3", "Article 4"]);
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_exact_sliced_queryset_limit_one_offset
async fn test_exact_sliced_queryset_limit_one_offset(db: Db) -> R {
    lookup_data(&db).await?;
    let second = Author::objects().order_by(Author::name().asc()).offset(1).limit(1).values_of(Author::id());
    let got = headline_set(Article::objects().filter(Article::author().is_in_query(second)), &db).await?;
    assert_eq!(got, ["Article 5", "Article 6", "Article 7"]);
    Ok(())
}

/// Django: lookup.tests.LookupQueryingTests.test_multivalued_join_reuse
async fn test_multivalued_join_reuse(db: Db) -> R {
    let [s1, _, _] = querying_data(&db).await?;
    // Exact(F("games__home"), "NY") with games__away="Boston", as two arguments of one filter and
    // as one Q: both conditions are on the same game.
    let home = || Season::games().home().eq("NY");
    let away = || Season::games().away().eq("Boston");
    assert_eq!(Season::objects().filter(home() & away()).get(&db).await?.id, s1);
    assert_eq!(Season::objects().filter(Cond::And(vec![home(), away()])).get(&db).await?.id, s1);
    Ok(())
}

/// Django: lookup.tests.LookupTests.test_in_bulk_sliced_queryset
async fn test_in_bulk_sliced_queryset(db: Db) -> R {
    lookup_data(&db).await?;
    let a = articles(&db).await?;
    // Django: "Cannot use 'limit' or 'offset' with in_bulk()."
    let e = ordered(Article::objects()).limit(5).in_bulk(&db, [a[0].id, a[1].id]).await.expect_err("a sliced query");
    assert_eq!(e.kind, ErrorKind::Usage, "{e}");
    Ok(())
}

/// Django: lookup.tests.LookupQueryingTests.test_lookup_in_order_by
async fn test_lookup_in_order_by(db: Db) -> R {
    let [s1, s2, s3] = querying_data(&db).await?;
    // order_by(LessThan(F("year"), 1910), F("year")): the lookup's truth as a CASE of it.
    let qs = Season::objects()
        .order_by(Case::when(Season::year().lt(1910), true).otherwise(false).asc())
        .order_by(Season::year().asc())
        .all(&db)
        .await?;
    assert_eq!(qs.iter().map(|s| s.id).collect::<Vec<_>>(), [s1, s3, s2]);
    Ok(())
}
