//! The ORM end to end, the same tests on PostgreSQL and SQLite (`postgres::<name>` and
//! `sqlite::<name>`). The models are declared here once: compiled with `#[derive(Model)]` and,
//! as the same source text, written into a temp project where makemigrations and migrate build
//! the schema, so the tables are the ones teapot's own migrations make.

#[macro_use]
mod common;

use common::db::TestDb;
use teapot::orm::instance::{bulk_create, bulk_update, get_or_create, update_or_create};
use teapot::prelude::*;
use teapot::Dialect;
use teapot::{Error, ErrorKind};

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lib")]
    pub struct Author {
        pub id: i64,
        #[teapot(max_length = 100, unique)]
        pub name: String,
        pub bio: Option<String>,
        #[teapot(default = 3)]
        pub rating: i32,
        pub books: Reverse<Book>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lib")]
    pub struct Publisher {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lib")]
    pub struct Tag {
        pub id: i64,
        #[teapot(max_length = 50, unique)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lib")]
    pub struct Book {
        pub id: i64,
        #[teapot(max_length = 200)]
        pub title: String,
        #[teapot(on_delete = "cascade", related_name = "books")]
        pub author: ForeignKey<Author>,
        #[teapot(on_delete = "set_null", related_name = "books")]
        pub publisher: Option<ForeignKey<Publisher>>,
        #[teapot(max_digits = 8, decimal_places = 2, default = "9.99")]
        pub price: Decimal,
        #[teapot(default = 100)]
        pub pages: i32,
        #[teapot(default = true)]
        pub in_print: bool,
        #[teapot(related_name = "books")]
        pub tags: ManyToMany<Tag>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lib")]
    pub struct Item {
        pub id: i64,
        pub a: i32,
        pub b: String,
        pub c: i64,
        pub d: bool,
        pub e: Option<String>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lib")]
    pub struct Event {
        pub id: i64,
        #[teapot(db_default = "42")]
        pub answer: i32,
        #[teapot(db_default = "'hello'")]
        pub greeting: String,
        pub note: Option<String>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "lib")]
    pub struct Review {
        pub id: i64,
        #[teapot(on_delete = "cascade", related_name = "reviews")]
        pub book: ForeignKey<Book>,
        pub stars: i16,
    }
}

async fn setup(t: &TestDb) -> Db {
    common::db::orm_db(t, "lib", MODELS_SRC).await
}

suite!(
    crud_and_defaults,
    lookups,
    ordering_slicing_and_get,
    values_aggregates_and_groups,
    queryset_update_and_delete,
    bulk_create_and_update,
    get_or_create_and_update_or_create,
    select_related_one_query,
    prefetch_related_one_query_per_relation,
    not_loaded_is_an_error_and_no_query,
    atomic_commits_and_rolls_back,
    nested_atomic_uses_savepoints,
    explicit_transactions,
    error_kinds,
    hostile_strings_round_trip,
    concurrent_tasks_share_a_db,
    reverse_and_nested_prefetch_one_query_per_level,
    nested_select_related_one_query,
    annotate_per_row,
    db_default_applies_when_a_value_is_left_unset,
    many_to_many_filter_remove_and_clear,
    stream_yields_every_row,
);

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn kind<T: std::fmt::Debug>(r: teapot::Result<T>) -> ErrorKind {
    r.expect_err("expected an error").kind
}

struct Seed {
    ann: Author,
    becky: Author,
    orbit: Publisher,
    sf: Tag,
    space: Tag,
}

/// Three authors, one publisher, two tags, five books.
async fn seed(db: &Db) -> teapot::Result<Seed> {
    let mut authors = vec![
        Author { name: "Ann Leckie".into(), rating: 5, ..Author::defaults() },
        Author { name: "Becky Chambers".into(), rating: 4, bio: Some("Hopepunk".into()), ..Author::defaults() },
        Author { name: "Cixin Liu".into(), ..Author::defaults() },
    ];
    bulk_create(db, &mut authors).await?;
    let mut orbit = Publisher { name: "Orbit".into(), ..Publisher::defaults() };
    orbit.create(db).await?;
    let (mut sf, mut space) = (Tag { name: "sf".into(), ..Tag::defaults() }, Tag { name: "space".into(), ..Tag::defaults() });
    sf.create(db).await?;
    space.create(db).await?;
    let [ann, becky, cixin] = [&authors[0], &authors[1], &authors[2]];
    let book = |title: &str, a: &Author, p: bool, price: &str, pages: i32| Book {
        title: title.into(),
        author: ForeignKey::from(a),
        publisher: p.then(|| ForeignKey::from(&orbit)),
        price: dec(price),
        pages,
        ..Book::defaults()
    };
    let mut books = vec![
        book("Ancillary Justice", ann, true, "15.99", 386),
        book("Ancillary Sword", ann, true, "16.99", 356),
        Book { in_print: false, ..book("Ancillary Mercy", ann, false, "17.99", 330) },
        book("The Long Way", becky, true, "10.00", 404),
        book("The Three-Body Problem", cixin, false, "12.50", 400),
    ];
    bulk_create(db, &mut books).await?;
    books[0].tags_add(db, &[&sf, &space]).await?;
    books[1].tags_add(db, &[&sf]).await?;
    books[3].tags_add(db, &[&space, &sf]).await?;
    Ok(Seed { ann: ann.clone(), becky: becky.clone(), orbit, sf, space })
}

async fn titles(db: &Db, c: Cond) -> teapot::Result<Vec<String>> {
    let mut t: Vec<String> = Book::objects().filter(c).all(db).await?.into_iter().map(|b| b.title).collect();
    t.sort();
    Ok(t)
}

async fn crud_and_defaults(db: Db) -> R {
    let mut a = Author { name: "Ann".into(), ..Author::defaults() };
    assert_eq!((a.id, a.rating, a.bio.clone()), (0, 3, None), "declared default");
    a.save(&db).await?;
    assert!(a.id > 0, "save() inserts and sets the key");
    a.rating = 5;
    a.bio = Some("bio".into());
    a.save(&db).await?;
    assert_eq!(Author::objects().count(&db).await?, 1, "the second save() updates");
    let mut again = Author::objects().get(&db).await?;
    assert_eq!((again.id, again.rating, again.bio.as_deref()), (a.id, 5, Some("bio")));

    Author::objects().filter(Author::id().eq(a.id)).update(&db, vec![Author::bio().set("changed")]).await?;
    again.refresh(&db).await?;
    assert_eq!(again.bio.as_deref(), Some("changed"));

    let d = Book::defaults();
    assert_eq!((d.price, d.pages, d.in_print), (dec("9.99"), 100, true), "Book::defaults()");
    let mut b = Book { title: "T".into(), author: ForeignKey::from(&a), ..Book::defaults() };
    b.create(&db).await?;
    let back = Book::objects().get(&db).await?;
    assert_eq!((back.price, back.pages, back.in_print, back.publisher.is_none()), (dec("9.99"), 100, true, true));
    assert_eq!(*back.author.key(), a.id);

    // A whole-number decimal comes back from both backends.
    b.price = dec("10.00");
    b.save(&db).await?;
    b.refresh(&db).await?;
    assert_eq!(b.price, dec("10"));

    assert_eq!(a.delete(&db).await?, 1);
    assert_eq!(kind(again.refresh(&db).await), ErrorKind::NotFound);
    assert_eq!(Book::objects().count(&db).await?, 0, "on_delete cascade");
    Ok(())
}

async fn lookups(db: Db) -> R {
    let s = seed(&db).await?;
    let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(titles(&db, Book::pages().eq(386)).await?, p(&["Ancillary Justice"]));
    assert_eq!(titles(&db, Book::title().ne("Ancillary Justice")).await?.len(), 4);
    assert_eq!(titles(&db, Book::pages().lt(356)).await?, p(&["Ancillary Mercy"]));
    assert_eq!(titles(&db, Book::pages().lte(356)).await?, p(&["Ancillary Mercy", "Ancillary Sword"]));
    assert_eq!(titles(&db, Book::pages().gt(400)).await?, p(&["The Long Way"]));
    assert_eq!(titles(&db, Book::pages().gte(400)).await?, p(&["The Long Way", "The Three-Body Problem"]));
    assert_eq!(titles(&db, Book::price().lt(dec("12.50"))).await?, p(&["The Long Way"]));
    assert_eq!(titles(&db, Book::pages().is_in([386, 404, 1])).await?, p(&["Ancillary Justice", "The Long Way"]));
    assert_eq!(titles(&db, Book::title().is_in(Vec::<String>::new())).await?.len(), 0);
    assert_eq!(Book::objects().exclude(Book::pages().is_in(Vec::<i32>::new())).count(&db).await?, 5);
    assert_eq!(
        titles(&db, Book::price().range(dec("10.00"), dec("15.99"))).await?,
        p(&["Ancillary Justice", "The Long Way", "The Three-Body Problem"])
    );
    assert_eq!(titles(&db, Book::publisher().is_null(true)).await?, p(&["Ancillary Mercy", "The Three-Body Problem"]));
    assert_eq!(titles(&db, Book::publisher().is_null(false)).await?.len(), 3);
    assert_eq!(titles(&db, Book::publisher().eq(s.orbit.id)).await?.len(), 3);
    assert_eq!(titles(&db, Book::author().eq(s.becky.id)).await?, p(&["The Long Way"]));
    assert_eq!(Author::objects().filter(Author::bio().is_null(true)).count(&db).await?, 2);

    assert_eq!(titles(&db, Book::title().iexact("the long WAY")).await?, p(&["The Long Way"]));
    assert_eq!(titles(&db, Book::title().contains("Way")).await?, p(&["The Long Way"]));
    assert!(titles(&db, Book::title().contains("way")).await?.is_empty(), "contains is case-sensitive");
    assert_eq!(titles(&db, Book::title().icontains("WAY")).await?, p(&["The Long Way"]));
    assert_eq!(titles(&db, Book::title().startswith("Ancillary")).await?.len(), 3);
    assert!(titles(&db, Book::title().startswith("ancillary")).await?.is_empty());
    assert_eq!(titles(&db, Book::title().istartswith("ancillary")).await?.len(), 3);
    assert_eq!(titles(&db, Book::title().endswith("Problem")).await?, p(&["The Three-Body Problem"]));
    assert!(titles(&db, Book::title().endswith("problem")).await?.is_empty());
    assert_eq!(titles(&db, Book::title().iendswith("PROBLEM")).await?, p(&["The Three-Body Problem"]));
    assert_eq!(Author::objects().filter(Author::bio().icontains("HOPE")).count(&db).await?, 1);

    let re = Book::objects().filter(Book::title().regex("^Ancillary (Sword|Mercy)$")).count(&db).await;
    match db.dialect() {
        Dialect::Postgres => assert_eq!(re?, 2),
        Dialect::Sqlite => assert_eq!(kind(re), ErrorKind::Usage),
    }

    // Across relations.
    assert_eq!(titles(&db, Book::author().name().icontains("LECKIE")).await?.len(), 3);
    assert_eq!(titles(&db, Book::publisher().name().eq("Orbit")).await?.len(), 3);
    assert_eq!(
        titles(&db, Book::author().rating().gte(4) & Book::price().gt(dec("16"))).await?,
        p(&["Ancillary Mercy", "Ancillary Sword"])
    );

    // and / or / not, filter / exclude.
    assert_eq!(titles(&db, Book::pages().eq(386) | Book::pages().eq(404)).await?, p(&["Ancillary Justice", "The Long Way"]));
    assert_eq!(titles(&db, !Book::author().eq(s.ann.id)).await?, p(&["The Long Way", "The Three-Body Problem"]));
    let q = Book::objects().filter(Book::author().eq(s.ann.id)).exclude(Book::in_print().eq(false) | Book::pages().gt(380));
    assert_eq!(q.all(&db).await?.into_iter().map(|b| b.title).collect::<Vec<_>>(), p(&["Ancillary Sword"]));
    assert_eq!(Book::objects().filter(Book::in_print().eq(true)).filter(Book::pages().lt(390)).count(&db).await?, 2);
    Ok(())
}

async fn ordering_slicing_and_get(db: Db) -> R {
    let s = seed(&db).await?;
    let t = |v: Vec<Book>| v.into_iter().map(|b| b.title).collect::<Vec<_>>();
    let by_price = t(Book::objects().order_by(Book::price().desc()).all(&db).await?);
    assert_eq!(by_price, ["Ancillary Mercy", "Ancillary Sword", "Ancillary Justice", "The Three-Body Problem", "The Long Way"]);
    let two_keys = t(Book::objects().order_by(Book::author().name().desc()).order_by(Book::title().asc()).all(&db).await?);
    assert_eq!(two_keys, ["The Three-Body Problem", "The Long Way", "Ancillary Justice", "Ancillary Mercy", "Ancillary Sword"]);
    let page = t(Book::objects().order_by(Book::pages().asc()).limit(2).offset(1).all(&db).await?);
    assert_eq!(page, ["Ancillary Sword", "Ancillary Justice"]);
    let rest = t(Book::objects().order_by(Book::pages().asc()).offset(3).all(&db).await?);
    assert_eq!(rest, ["The Three-Body Problem", "The Long Way"], "offset without limit");
    assert_eq!(Book::objects().limit(2).count(&db).await?, 2);
    assert_eq!(Book::objects().offset(4).count(&db).await?, 1);

    let names = Book::objects().distinct().order_by(Book::author().name().asc()).values_list(&db, (Book::author().name(),)).await?;
    assert_eq!(names, [("Ann Leckie".to_string(),), ("Becky Chambers".to_string(),), ("Cixin Liu".to_string(),)]);
    assert_eq!(Book::objects().distinct().count(&db).await?, 5);

    let first = Book::objects().first(&db).await?.expect("a first book");
    assert_eq!(first.title, "Ancillary Justice", "key order");
    assert_eq!(Book::objects().last(&db).await?.expect("a last book").title, "The Three-Body Problem");
    assert_eq!(Book::objects().order_by(Book::price().asc()).first(&db).await?.map(|b| b.title).as_deref(), Some("The Long Way"));
    assert_eq!(Book::objects().order_by(Book::price().asc()).last(&db).await?.map(|b| b.title).as_deref(), Some("Ancillary Mercy"));
    assert!(Book::objects().filter(Book::pages().gt(10_000)).first(&db).await?.is_none());

    assert_eq!(Book::objects().filter(Book::title().eq("The Long Way")).get(&db).await?.pages, 404);
    let none = Book::objects().filter(Book::title().eq("Missing")).get(&db).await;
    assert_eq!(kind(none), ErrorKind::NotFound);
    let many = Book::objects().filter(Book::author().eq(s.ann.id)).get(&db).await;
    assert_eq!(kind(many), ErrorKind::MultipleObjects);

    assert!(Book::objects().filter(Book::author().name().eq("Cixin Liu")).exists(&db).await?);
    assert!(!Book::objects().filter(Book::pages().lt(0)).exists(&db).await?);
    assert_eq!(Book::objects().count(&db).await?, 5);
    assert_eq!(Book::objects().filter(Book::author().eq(s.ann.id)).count(&db).await?, 3);
    Ok(())
}

async fn values_aggregates_and_groups(db: Db) -> R {
    seed(&db).await?;
    let rows = Book::objects()
        .filter(Book::pages().gt(380))
        .order_by(Book::pages().asc())
        .values_list(&db, (Book::title(), Book::pages(), Book::price(), Book::in_print()))
        .await?;
    assert_eq!(
        rows,
        [
            ("Ancillary Justice".to_string(), 386, dec("15.99"), true),
            ("The Three-Body Problem".to_string(), 400, dec("12.50"), true),
            ("The Long Way".to_string(), 404, dec("10.00"), true)
        ]
    );
    let q = Book::objects();
    assert_eq!(q.aggregate(&db, Agg::count()).await?, 5);
    assert_eq!(q.aggregate(&db, Agg::sum(Book::pages())).await?, Some(1876));
    assert_eq!(q.aggregate(&db, Agg::min(Book::price())).await?, Some(dec("10.00")));
    assert_eq!(q.aggregate(&db, Agg::max(Book::price())).await?, Some(dec("17.99")));
    let avg = q.aggregate(&db, Agg::avg(Book::price())).await?.expect("an average");
    assert!((avg - 14.694).abs() < 1e-9, "avg {avg}");
    let empty = Book::objects().filter(Book::pages().lt(0));
    assert_eq!(empty.aggregate(&db, Agg::sum(Book::pages())).await?, None);
    assert_eq!(empty.aggregate(&db, Agg::count()).await?, 0);

    let per_author = Book::objects().group_by(&db, Book::author().name(), Agg::count()).await?;
    assert_eq!(per_author, [("Ann Leckie".to_string(), 3), ("Becky Chambers".to_string(), 1), ("Cixin Liu".to_string(), 1)]);
    let pages =
        Book::objects().filter(Book::author().name().startswith("A")).group_by(&db, Book::in_print(), Agg::sum(Book::pages())).await?;
    assert_eq!(pages, [(false, Some(330)), (true, Some(742))]);
    Ok(())
}

async fn queryset_update_and_delete(db: Db) -> R {
    let s = seed(&db).await?;
    // A limited update takes the rows in the query's order.
    assert_eq!(Book::objects().order_by(Book::pages().asc()).limit(1).update(&db, vec![Book::pages().set(331)]).await?, 1);
    assert_eq!(Book::objects().filter(Book::pages().eq(331)).get(&db).await?.title, "Ancillary Mercy");
    let n = Book::objects()
        .filter(Book::author().name().eq("Ann Leckie"))
        .update(&db, vec![Book::pages().add(10), Book::in_print().set(false)])
        .await?;
    assert_eq!(n, 3);
    let ann = Book::objects()
        .filter(Book::author().eq(s.ann.id))
        .order_by(Book::title().asc())
        .values_list(&db, (Book::pages(), Book::in_print()))
        .await?;
    assert_eq!(ann, [(396, false), (341, false), (366, false)]);
    assert_eq!(Book::objects().filter(Book::in_print().eq(true)).count(&db).await?, 2, "other rows untouched");
    Book::objects().update(&db, vec![Book::price().add(dec("1.01"))]).await?;
    assert_eq!(Book::objects().filter(Book::title().eq("The Long Way")).get(&db).await?.price, dec("11.01"));

    assert_eq!(Book::objects().filter(Book::publisher().is_null(true)).delete(&db).await?, 2);
    assert_eq!(Book::objects().count(&db).await?, 3);
    assert_eq!(Book::objects().order_by(Book::pages().desc()).limit(1).delete(&db).await?, 1);
    assert_eq!(Book::objects().filter(Book::author().name().icontains("becky")).count(&db).await?, 0, "the longest went");
    assert_eq!(Book::objects().filter(Book::author().name().icontains("leckie")).delete(&db).await?, 2);
    assert_eq!(Book::objects().count(&db).await?, 0);
    Ok(())
}

async fn bulk_create_and_update(db: Db) -> R {
    // 14,000 rows x 5 columns is 70,000 values: more than one statement may bind on either backend.
    const N: usize = 14_000;
    let mut items: Vec<Item> = (0..N)
        .map(|i| Item {
            a: i as i32,
            b: format!("item-{i}"),
            c: i as i64 * 1_000_000_007,
            d: i % 2 == 0,
            e: (i % 3 == 0).then(|| format!("e{i}")),
            ..Item::defaults()
        })
        .collect();
    assert!(N * 5 > db.max_binds());
    let before = db.query_count();
    bulk_create(&db, &mut items).await?;
    let statements = db.query_count() - before;
    assert!(statements > 1, "{statements} statement(s)");
    let mut keys: Vec<i64> = items.iter().map(|i| i.id).collect();
    assert!(keys.iter().all(|&k| k > 0), "every key set");
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), N, "keys distinct");
    assert_eq!(Item::objects().count(&db).await?, N as i64);
    // Each key was given to the right row.
    let stored: std::collections::HashMap<i64, Item> = Item::objects().all(&db).await?.into_iter().map(|i| (i.id, i)).collect();
    for it in &items {
        let s = &stored[&it.id];
        assert_eq!((s.a, &s.b, s.c, s.d, &s.e), (it.a, &it.b, it.c, it.d, &it.e));
    }

    for it in items.iter_mut().take(3_000) {
        it.b = format!("changed-{}", it.a);
        it.e = None;
    }
    let before = db.query_count();
    assert_eq!(bulk_update(&db, &items[..3_000], &["b", "e"]).await?, 3_000);
    assert!(db.query_count() - before > 1);
    assert_eq!(Item::objects().filter(Item::b().startswith("changed-")).count(&db).await?, 3_000);
    assert_eq!(Item::objects().filter(Item::e().is_null(true)).count(&db).await?, items.iter().filter(|i| i.e.is_none()).count() as i64);
    let one = Item::objects().filter(Item::id().eq(items[42].id)).get(&db).await?;
    assert_eq!((one.b.as_str(), one.e.as_deref(), one.c), ("changed-42", None, 42 * 1_000_000_007));
    assert_eq!(kind(bulk_update(&db, &items[..1], &["nope"]).await), ErrorKind::Usage);
    Ok(())
}

async fn get_or_create_and_update_or_create(db: Db) -> R {
    let (t, created) = get_or_create(&db, Tag::name().eq("sf"), Tag { name: "sf".into(), ..Tag::defaults() }).await?;
    assert!(created && t.id > 0);
    let (t2, created) = get_or_create(&db, Tag::name().eq("sf"), Tag { name: "sf".into(), ..Tag::defaults() }).await?;
    assert!(!created);
    assert_eq!(t2.id, t.id);

    let mk = || Author { name: "Ann".into(), ..Author::defaults() };
    let (a, created) = update_or_create(&db, Author::name().eq("Ann"), mk(), |a| a.rating = 1).await?;
    assert!(created);
    assert_eq!(a.rating, 1);
    let (b, created) = update_or_create(&db, Author::name().eq("Ann"), mk(), |a| a.rating = 2).await?;
    assert!(!created);
    assert_eq!(b.id, a.id);
    let stored = Author::objects().get(&db).await?;
    assert_eq!((stored.id, stored.rating), (a.id, 2));
    assert_eq!(Tag::objects().count(&db).await? + Author::objects().count(&db).await?, 2);
    Ok(())
}

async fn select_related_one_query(db: Db) -> R {
    seed(&db).await?;
    let before = db.query_count();
    let books = Book::objects()
        .select_related(&["author", "publisher"])
        .filter(Book::author().rating().gte(0))
        .order_by(Book::id().asc())
        .all(&db)
        .await?;
    assert_eq!(db.query_count() - before, 1, "one query with joins");
    assert_eq!(books.len(), 5);
    for b in &books {
        assert_eq!(b.author.get()?.id, *b.author.key());
        match &b.publisher {
            Some(p) => assert_eq!(p.get()?.name, "Orbit"),
            None => assert!(b.title == "Ancillary Mercy" || b.title.starts_with("The Three")),
        }
    }
    assert_eq!(books[3].author.get()?.name, "Becky Chambers");
    let one = Book::objects().select_related(&["author"]).filter(Book::title().eq("The Long Way")).get(&db).await?;
    assert_eq!(one.author.get()?.bio.as_deref(), Some("Hopepunk"));
    assert_eq!(kind(Book::objects().select_related(&["tags"]).all(&db).await), ErrorKind::Usage);
    Ok(())
}

async fn prefetch_related_one_query_per_relation(db: Db) -> R {
    let s = seed(&db).await?;
    let before = db.query_count();
    let books = Book::objects().order_by(Book::id().asc()).prefetch_related(&["author", "publisher", "tags"]).all(&db).await?;
    assert_eq!(db.query_count() - before, 4, "1 + 1 per relation");
    let names: Vec<&str> = books.iter().map(|b| b.author.get().map(|a| a.name.as_str())).collect::<teapot::Result<_>>()?;
    assert_eq!(names, ["Ann Leckie", "Ann Leckie", "Ann Leckie", "Becky Chambers", "Cixin Liu"]);
    let pubs: Vec<bool> = books.iter().map(|b| b.publisher.as_ref().map(|p| p.get().is_ok()).unwrap_or(false)).collect();
    assert_eq!(pubs, [true, true, false, true, false]);
    let tags: Vec<Vec<String>> =
        books.iter().map(|b| b.tags.get().map(|t| t.iter().map(|t| t.name.clone()).collect())).collect::<teapot::Result<_>>()?;
    assert_eq!(tags, [vec!["sf", "space"], vec!["sf"], vec![], vec!["space", "sf"], vec![]]);
    assert_eq!(books[0].tags.get()?[1].id, s.space.id);
    assert_eq!(books[1].tags.get()?[0].id, s.sf.id);

    // Only the FK, on a filtered query; and nothing to prefetch makes no extra query.
    let before = db.query_count();
    let some = Book::objects().filter(Book::author().eq(s.ann.id)).prefetch_related(&["author"]).all(&db).await?;
    assert_eq!(db.query_count() - before, 2);
    assert!(some.iter().all(|b| b.author.get().map(|a| a.id == s.ann.id).unwrap_or(false)));
    let before = db.query_count();
    assert!(Book::objects().filter(Book::pages().lt(0)).prefetch_related(&["author", "tags"]).all(&db).await?.is_empty());
    assert_eq!(db.query_count() - before, 1);
    assert_eq!(kind(Book::objects().prefetch_related(&["nope"]).all(&db).await), ErrorKind::Usage);
    Ok(())
}

fn assert_not_loaded(e: Error, model: &str, field: &str) {
    assert_eq!(e.kind, ErrorKind::NotLoaded);
    let text = format!("{} {}", e.message, e.hint.clone().unwrap_or_default());
    for needle in [model, field, "select_related", "prefetch_related"] {
        assert!(text.contains(needle), "{needle:?} missing from: {text}");
    }
}

async fn not_loaded_is_an_error_and_no_query(db: Db) -> R {
    seed(&db).await?;
    let book = Book::objects().filter(Book::title().eq("Ancillary Justice")).get(&db).await?;
    let partial = Book::objects().select_related(&["author"]).filter(Book::title().eq("Ancillary Justice")).get(&db).await?;
    let before = db.query_count();
    assert_not_loaded(book.author.get().expect_err("author not fetched"), "Book", "author");
    assert_not_loaded(book.publisher.as_ref().expect("has a publisher").get().expect_err("not fetched"), "Book", "publisher");
    assert_not_loaded(book.tags.get().expect_err("tags not fetched"), "Book", "tags");
    assert!(!book.author.is_loaded());
    assert!(partial.author.get().is_ok());
    assert_not_loaded(partial.tags.get().expect_err("tags not fetched"), "Book", "tags");
    // A relation built by hand (not read from a row) still says what it points at.
    let by_hand = Book { author: ForeignKey::new(1), ..Book::defaults() };
    let e = by_hand.author.get().expect_err("not loaded");
    assert_eq!(e.kind, ErrorKind::NotLoaded);
    assert!(e.message.contains("Author"), "{}", e.message);
    assert_eq!(db.query_count(), before, "reading an unfetched relation makes no query");
    Ok(())
}

async fn author_names(db: &Db) -> teapot::Result<Vec<String>> {
    Author::objects().order_by(Author::name().asc()).values_list(db, (Author::name(),)).await.map(|v| v.into_iter().map(|(n,)| n).collect())
}

fn author(name: &str) -> Author {
    Author { name: name.into(), ..Author::defaults() }
}

async fn atomic_commits_and_rolls_back(db: Db) -> R {
    let id = db
        .atomic(|tx| async move {
            let mut a = author("committed");
            a.create(&tx).await?;
            Ok(a.id)
        })
        .await?;
    assert!(id > 0);

    let r: teapot::Result<()> = db
        .atomic(|tx| async move {
            author("rolled back").create(&tx).await?;
            Err(Error::new(ErrorKind::Usage, "changed my mind"))
        })
        .await;
    assert_eq!(kind(r), ErrorKind::Usage);

    let d = db.clone();
    let panicked = tokio::spawn(async move {
        d.atomic(|tx| async move {
            author("panicked").create(&tx).await?;
            if tx.query_count() > 0 {
                panic!("boom inside atomic");
            }
            Ok(())
        })
        .await
    })
    .await;
    assert!(panicked.expect_err("the panic goes on").is_panic());
    assert_eq!(author_names(&db).await?, ["committed"]);

    // A deferred foreign key fails at commit, and the kind says so.
    let r = db
        .atomic(|tx| async move {
            author("fk").create(&tx).await?;
            Book { title: "orphan".into(), author: ForeignKey::new(987_654), ..Book::defaults() }.create(&tx).await
        })
        .await;
    assert_eq!(kind(r), ErrorKind::ForeignKeyViolation);
    assert_eq!(author_names(&db).await?, ["committed"]);
    Ok(())
}

async fn nested_atomic_uses_savepoints(db: Db) -> R {
    db.atomic(|tx| async move {
        author("outer").create(&tx).await?;
        let inner: teapot::Result<()> = tx
            .atomic(|sp| async move {
                author("inner, rolled back").create(&sp).await?;
                author("outer").create(&sp).await // unique violation
            })
            .await;
        assert!(inner.expect_err("duplicate").is_unique_violation());
        tx.atomic(|sp| async move { author("inner, kept").create(&sp).await }).await?;
        author("after").create(&tx).await?;
        Ok(())
    })
    .await?;
    assert_eq!(author_names(&db).await?, ["after", "inner, kept", "outer"]);

    // The outer rollback takes the released savepoint's work with it.
    let r: teapot::Result<()> = db
        .atomic(|tx| async move {
            tx.atomic(|sp| async move { author("gone").create(&sp).await }).await?;
            Err(Error::new(ErrorKind::Usage, "outer fails"))
        })
        .await;
    assert!(r.is_err());
    assert_eq!(author_names(&db).await?.len(), 3);
    Ok(())
}

async fn explicit_transactions(db: Db) -> R {
    let tx = db.begin().await?;
    author("kept").create(&tx).await?;
    assert_eq!(author_names(&tx).await?, ["kept"], "visible inside");
    tx.commit().await?;

    let tx = db.begin().await?;
    author("dropped").create(&tx).await?;
    let sp = tx.begin().await?;
    author("savepoint").create(&sp).await?;
    sp.rollback().await?;
    assert_eq!(author_names(&tx).await?, ["dropped", "kept"]);
    tx.rollback().await?;
    assert_eq!(author_names(&db).await?, ["kept"]);
    assert_eq!(kind(db.clone().commit().await), ErrorKind::Usage, "commit outside a transaction");
    Ok(())
}

async fn error_kinds(db: Db) -> R {
    let mut t = Tag { name: "dup".into(), ..Tag::defaults() };
    t.create(&db).await?;
    let e = Tag { name: "dup".into(), ..Tag::defaults() }.create(&db).await.expect_err("unique");
    assert!(e.is_unique_violation(), "{e}");
    // The driver's error stays reachable, with what the database said.
    let source = std::error::Error::source(&e).expect("the driver error is the source");
    let driver = source.downcast_ref::<teapot::DriverError>().map(|d| d.driver());
    assert!(matches!(driver, Some(sqlx::Error::Database(_))), "{source:?}");
    match db.dialect() {
        Dialect::Postgres => {
            assert_eq!(e.code(), Some("23505"), "{e:?}");
            assert_eq!(e.constraint(), Some(format!("{}_name_key", <Tag as Model>::TABLE).as_str()), "{e:?}");
            let detail = e.database.as_ref().and_then(|d| d.detail.clone()).unwrap_or_default();
            assert!(detail.contains("(name)=(dup)"), "PostgreSQL's DETAIL names the key: {e:?}");
        }
        Dialect::Sqlite => assert_eq!(e.code(), Some("2067"), "SQLITE_CONSTRAINT_UNIQUE: {e:?}"),
    }
    let tag_table = <Tag as Model>::TABLE;
    let e = db.execute(&format!("INSERT INTO \"{tag_table}\" (name) VALUES (NULL)"), &[]).await.expect_err("not null");
    assert!(e.is_not_null_violation(), "{e:?}");
    db.execute("CREATE TABLE suite_checked (n integer CONSTRAINT suite_n_positive CHECK (n > 0))", &[]).await?;
    let e = db.execute("INSERT INTO suite_checked (n) VALUES (-1)", &[]).await.expect_err("check");
    assert!(e.is_check_violation(), "{e:?}");
    if db.dialect() == Dialect::Postgres {
        assert_eq!(e.constraint(), Some("suite_n_positive"), "{e:?}");
    }
    let mut orphan = Book { title: "x".into(), author: ForeignKey::new(424_242), ..Book::defaults() };
    let e = orphan.create(&db).await.expect_err("foreign key");
    assert!(e.is_foreign_key_violation(), "{e}");
    assert_eq!(kind(Tag::objects().filter(Tag::name().eq("nope")).get(&db).await), ErrorKind::NotFound);
    Tag { name: "dup2".into(), ..Tag::defaults() }.create(&db).await?;
    assert_eq!(kind(Tag::objects().filter(Tag::name().startswith("dup")).get(&db).await), ErrorKind::MultipleObjects);
    let bad = match db.dialect() {
        Dialect::Postgres => "postgres://postgres@127.0.0.1:1/nothing".to_string(),
        Dialect::Sqlite => "sqlite:///nonexistent-teapot-dir/sub/x.db".to_string(),
    };
    assert_eq!(kind(Db::connect(&bad).await), ErrorKind::Connection);
    assert_eq!(Tag::objects().count(&db).await?, 2, "the pool works after errors");
    Ok(())
}

async fn hostile_strings_round_trip(db: Db) -> R {
    let names = [
        "O'Brien",
        "\"double\" and 'single'",
        "'); DROP TABLE lib_author; --",
        "back\\slash \\' \\\\",
        "100% pure",
        "100X pure",
        "a_b",
        "axb",
        "star*?[glob]",
        "日本語 ✓ café 🚀",
        "tab\tnew\nline",
        "$1 ?1 :name",
    ];
    let big: String = "ab'c\\%_é".repeat(12_500);
    assert_eq!(big.chars().count(), 100_000);
    for n in names {
        Author { name: n.into(), bio: Some(format!("bio of {n}")), ..Author::defaults() }.create(&db).await?;
    }
    let mut holder = Author { name: "big".into(), bio: Some(big.clone()), ..Author::defaults() };
    holder.create(&db).await?;

    for n in names {
        let a = Author::objects().filter(Author::name().eq(n)).get(&db).await?;
        assert_eq!((a.name.as_str(), a.bio.as_deref()), (n, Some(format!("bio of {n}").as_str())));
        assert_eq!(Author::objects().filter(Author::name().contains(n)).count(&db).await?, 1, "contains {n:?}");
        assert_eq!(Author::objects().filter(Author::name().iexact(n)).count(&db).await?, 1, "iexact {n:?}");
    }
    let one = |c: Cond| async {
        Author::objects()
            .filter(c)
            .order_by(Author::name().asc())
            .values_list(&db, (Author::name(),))
            .await
            .map(|v| v.into_iter().map(|(n,)| n).collect::<Vec<_>>())
    };
    assert_eq!(one(Author::name().contains("%")).await?, ["100% pure"]);
    assert_eq!(one(Author::name().icontains("0% P")).await?, ["100% pure"]);
    assert_eq!(one(Author::name().contains("_")).await?, ["'); DROP TABLE lib_author; --", "a_b"], "not axb");
    assert_eq!(one(Author::name().iendswith("A_B")).await?, ["a_b"]);
    assert_eq!(one(Author::name().startswith("back\\")).await?, ["back\\slash \\' \\\\"]);
    assert_eq!(one(Author::name().istartswith("BACK\\SLASH \\'")).await?, ["back\\slash \\' \\\\"]);
    assert_eq!(one(Author::name().endswith("--")).await?, ["'); DROP TABLE lib_author; --"]);
    assert_eq!(one(Author::name().contains("*?[")).await?, ["star*?[glob]"]);
    assert_eq!(one(Author::name().contains("✓ café")).await?, ["日本語 ✓ café 🚀"]);

    let back = Author::objects().filter(Author::bio().eq(big.as_str())).get(&db).await?;
    assert_eq!(back.id, holder.id);
    assert_eq!(back.bio.as_deref(), Some(big.as_str()));
    holder.refresh(&db).await?;
    assert_eq!(holder.bio.as_ref().map(|b| b.len()), Some(big.len()));
    assert_eq!(Author::objects().filter(Author::bio().contains("c\\%_éab'")).count(&db).await?, 1);
    assert_eq!(Author::objects().count(&db).await?, names.len() as i64 + 1, "the table is still there");
    Ok(())
}

async fn concurrent_tasks_share_a_db(db: Db) -> R {
    let s = seed(&db).await?;
    let before = db.query_count();
    let mut handles = Vec::new();
    for task in 0..8 {
        let db = db.clone();
        let ann = s.ann.id;
        handles.push(tokio::spawn(async move {
            for j in 0..10 {
                let mut a = author(&format!("task{task}-{j}"));
                a.create(&db).await?;
                let got = Author::objects().filter(Author::name().eq(a.name.as_str())).get(&db).await?;
                assert_eq!(got.id, a.id);
                assert_eq!(Book::objects().filter(Book::author().eq(ann)).count(&db).await?, 3);
            }
            Author::objects().filter(Author::name().startswith(&format!("task{task}-"))).count(&db).await
        }));
    }
    for h in handles {
        assert_eq!(h.await.expect("task")?, 10);
    }
    assert_eq!(db.query_count() - before, 8 * 31, "clones share one counter");
    assert_eq!(Author::objects().count(&db).await?, 83);
    Ok(())
}

async fn reverse_and_nested_prefetch_one_query_per_level(db: Db) -> R {
    seed(&db).await?;
    let before = db.query_count();
    let authors = Author::objects().order_by(Author::name().asc()).prefetch_related(&["books__tags", "books__publisher"]).all(&db).await?;
    assert_eq!(db.query_count() - before, 4, "authors, books (fetched once for both paths), tags, publishers");
    #[allow(clippy::type_complexity)] // author, then (title, tag count, loaded) per book
    let shape: Vec<(String, Vec<(String, usize, bool)>)> = authors
        .iter()
        .map(|a| {
            let books = a.books.get().expect("books fetched");
            (
                a.name.clone(),
                books.iter().map(|b| (b.title.clone(), b.tags.get().map(|t| t.len()).unwrap_or(99), b.publisher.is_some())).collect(),
            )
        })
        .collect();
    assert_eq!(shape[0].0, "Ann Leckie");
    assert_eq!(shape[0].1.len(), 3);
    assert_eq!(shape[0].1[0], ("Ancillary Justice".to_string(), 2, true));
    assert_eq!(shape[1].1, vec![("The Long Way".to_string(), 2, true)]);
    assert_eq!(shape[2].1, vec![("The Three-Body Problem".to_string(), 0, false)]);
    // Both paths below books were followed on the same books.
    assert!(authors[0].books.get()?[0].publisher.as_ref().is_some_and(|p| p.is_loaded()));
    // A reverse relation not fetched is an error, not a query.
    let plain = Author::objects().first(&db).await?.expect("an author");
    let before = db.query_count();
    assert_not_loaded(plain.books.get().map(|_| ()).expect_err("not fetched"), "Author", "books");
    assert_eq!(db.query_count(), before);
    Ok(())
}

async fn stream_yields_every_row(db: Db) -> R {
    use futures_util::StreamExt;
    seed(&db).await?;
    let before = db.query_count();
    let mut stream = Book::objects().filter(Book::pages().gt(350)).order_by(Book::pages().desc()).select_related(&["author"]).stream(&db);
    let mut seen = Vec::new();
    while let Some(b) = stream.next().await {
        let b = b?;
        seen.push((b.pages, b.author.get()?.name.clone()));
    }
    assert_eq!(db.query_count() - before, 1);
    assert_eq!(seen.iter().map(|(p, _)| *p).collect::<Vec<_>>(), vec![404, 400, 386, 356]);
    assert_eq!(seen[0].1, "Becky Chambers");
    Ok(())
}

async fn nested_select_related_one_query(db: Db) -> R {
    seed(&db).await?;
    let books = Book::objects().order_by(Book::id().asc()).all(&db).await?;
    for (i, b) in books.iter().enumerate() {
        Review { book: ForeignKey::from(b), stars: i as i16, ..Review::defaults() }.create(&db).await?;
    }
    let before = db.query_count();
    let reviews = Review::objects()
        .select_related(&["book__author", "book__publisher", "book"])
        .filter(Review::book().author().name().startswith("Ann"))
        .order_by(Review::stars().asc())
        .all(&db)
        .await?;
    assert_eq!(db.query_count() - before, 1, "one query, however deep");
    assert_eq!(reviews.len(), 3);
    let book = reviews[0].book.get()?;
    assert_eq!(book.title, "Ancillary Justice");
    assert_eq!(book.author.get()?.name, "Ann Leckie");
    assert_eq!(book.publisher.as_ref().expect("a publisher").get()?.name, "Orbit");
    assert!(reviews[2].book.get()?.publisher.is_none(), "Ancillary Mercy has no publisher");
    assert_eq!(kind(Review::objects().select_related(&["book__nope"]).all(&db).await), ErrorKind::Usage);
    Ok(())
}

async fn annotate_per_row(db: Db) -> R {
    seed(&db).await?;
    let before = db.query_count();
    let rows = Author::objects()
        .order_by(Author::name().asc())
        .annotate(&db, (Agg::count_of(Author::books().id()), Agg::max(Author::books().pages())))
        .await?;
    assert_eq!(db.query_count() - before, 1);
    let got: Vec<(String, i64, Option<i32>)> = rows.into_iter().map(|(a, (n, longest))| (a.name, n, longest)).collect();
    assert_eq!(
        got,
        vec![
            ("Ann Leckie".to_string(), 3, Some(386)),
            ("Becky Chambers".to_string(), 1, Some(404)),
            ("Cixin Liu".to_string(), 1, Some(400)),
        ]
    );
    // An author with no book counts 0 (the join keeps it), and a filter before narrows what is counted.
    Author { name: "Nobody Yet".into(), ..Author::defaults() }.create(&db).await?;
    let long = Author::objects()
        .filter(Author::books().pages().gt(390))
        .order_by(Author::name().asc())
        .annotate(&db, Agg::count_of(Author::books().id()))
        .await?;
    let got: Vec<(String, i64)> = long.into_iter().map(|(a, n)| (a.name, n)).collect();
    assert_eq!(got, [("Becky Chambers".to_string(), 1), ("Cixin Liu".to_string(), 1)]);
    let all = Author::objects().order_by(Author::name().asc()).annotate(&db, Agg::count()).await?;
    assert_eq!(all.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [1, 1, 1, 1], "COUNT(*) without a relation counts the row itself");
    let none = Author::objects().filter(Author::name().eq("Nobody Yet")).annotate(&db, Agg::count_of(Author::books().id())).await?;
    assert_eq!(none[0].1, 0);

    // having(): rows by an aggregate of their related rows (Django: annotate, then filter on it).
    let prolific = || Author::objects().having(Agg::count_of(Author::books().id()).gte(2));
    let names: Vec<String> = prolific().all(&db).await?.into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["Ann Leckie"]);
    assert_eq!(prolific().count(&db).await?, 1);
    assert!(prolific().exists(&db).await?);
    assert_eq!(prolific().aggregate(&db, Agg::count()).await?, 1);
    let quiet = Author::objects().having(Agg::count_of(Author::books().id()).eq(0)).values_list(&db, (Author::name(),)).await?;
    assert_eq!(quiet, [("Nobody Yet".to_string(),)]);
    let with_counts = Author::objects()
        .having(Agg::max(Author::books().pages()).lt(401))
        .order_by(Author::name().asc())
        .annotate(&db, Agg::count_of(Author::books().id()))
        .await?;
    assert_eq!(
        with_counts.into_iter().map(|(a, n)| (a.name, n)).collect::<Vec<_>>(),
        [("Ann Leckie".to_string(), 3), ("Cixin Liu".to_string(), 1)]
    );
    // Filtered first: only the long books count.
    let long_twice = Author::objects().filter(Author::books().pages().gt(380)).having(Agg::count_of(Author::books().id()).gte(2));
    assert_eq!(long_twice.count(&db).await?, 0);
    assert_eq!(Author::objects().having(Agg::count_of(Author::books().id()).eq(0)).delete(&db).await?, 1);
    Ok(())
}

async fn db_default_applies_when_a_value_is_left_unset(db: Db) -> R {
    let mut e = Event::defaults();
    e.create(&db).await?;
    assert_eq!((e.answer, e.greeting.as_str()), (42, "hello"), "read back from the database");
    let mut set = Event { answer: 7, greeting: "hi".into(), ..Event::defaults() };
    set.create(&db).await?;
    assert_eq!((set.answer, set.greeting.as_str()), (7, "hi"));
    // In a batch, a column left unset gets the database's default in that row, whatever the others do.
    let mut batch = vec![Event { note: Some("a".into()), ..Event::defaults() }, Event { greeting: "yo".into(), ..Event::defaults() }];
    bulk_create(&db, &mut batch).await?;
    assert_eq!(batch.iter().map(|e| e.answer).collect::<Vec<_>>(), vec![42, 42]);
    assert_eq!(batch.iter().map(|e| e.greeting.as_str()).collect::<Vec<_>>(), vec!["hello", "yo"]);
    let stored: Vec<(i32, String)> =
        Event::objects().order_by(Event::id().asc()).values_list(&db, (Event::answer(), Event::greeting())).await?;
    assert_eq!(stored, vec![(42, "hello".into()), (7, "hi".into()), (42, "hello".into()), (42, "yo".into())]);
    Ok(())
}

async fn many_to_many_filter_remove_and_clear(db: Db) -> R {
    let s = seed(&db).await?;
    // Books 0 (sf, space), 1 (sf) and 3 (space, sf) are tagged.
    assert_eq!(titles(&db, Book::tags().name().eq("space")).await?, vec!["Ancillary Justice", "The Long Way"]);
    let both = Book::objects().filter(Book::tags().name().is_in(["sf", "space"])).distinct().count(&db).await?;
    assert_eq!(both, 3, "distinct books, not join rows");
    let mut justice = Book::objects().filter(Book::title().eq("Ancillary Justice")).get(&db).await?;
    assert_eq!(justice.tags_remove(&db, &[&s.space]).await?, 1);
    assert_eq!(titles(&db, Book::tags().name().eq("space")).await?, vec!["The Long Way"]);
    assert_eq!(justice.tags_clear(&db).await?, 1);
    let again = Book::objects().filter(Book::id().eq(justice.id)).prefetch_related(&["tags"]).get(&db).await?;
    assert!(again.tags.get()?.is_empty());
    assert_eq!(justice.tags_remove(&db, &[]).await?, 0);
    Ok(())
}
