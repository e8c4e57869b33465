//! Django's `prefetch_related` tests. Django compares prefetched relations with the same
//! relations read lazily (a query per row); teapot never reads lazily, so the comparison is with
//! a query per row made on purpose. Meta.ordering (`id`) is spelled out.

use crate::common::db::TestDb;
use teapot::prelude::*;
use teapot::ErrorKind;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "prefetch_related", ordering = ["id"])]
    pub struct Author {
        pub id: i64,
        #[teapot(max_length = 50, unique)]
        pub name: String,
        #[teapot(on_delete = "cascade", related_name = "first_time_authors")]
        pub first_book: ForeignKey<Book>,
        pub books: Reverse<Book>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "prefetch_related", ordering = ["id"])]
    pub struct Book {
        pub id: i64,
        #[teapot(max_length = 255)]
        pub title: String,
        #[teapot(related_name = "books")]
        pub authors: ManyToMany<Author>,
        pub first_time_authors: Reverse<Author>,
        pub read_by: Reverse<Reader>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "prefetch_related", ordering = ["id"])]
    pub struct Reader {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(related_name = "read_by")]
        pub books_read: ManyToMany<Book>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "prefetch_related", ordering = ["id"])]
    pub struct Employee {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "set_null", related_name = "serfs")]
        pub boss: Option<ForeignKey<Employee>>,
        pub serfs: Reverse<Employee>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "prefetch_related")]
    pub struct LessonEntry {
        pub id: i64,
        #[teapot(max_length = 200)]
        pub name1: String,
        #[teapot(max_length = 200)]
        pub name2: String,
        pub wordentry_set: Reverse<WordEntry>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "prefetch_related")]
    pub struct WordEntry {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub lesson_entry: ForeignKey<LessonEntry>,
        #[teapot(max_length = 200)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "prefetch_related")]
    pub struct Author2 {
        pub id: i64,
        #[teapot(max_length = 50, unique)]
        pub name: String,
        #[teapot(on_delete = "cascade", related_name = "first_time_authors+")]
        pub first_book: ForeignKey<Book>,
        #[teapot(related_name = "+")]
        pub favorite_books: ManyToMany<Book>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "prefetch_related", ordering = ["id"])]
    pub struct House {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(max_length = 255)]
        pub address: String,
        #[teapot(on_delete = "set_null")]
        pub owner: Option<ForeignKey<Person>>,
        #[teapot(one_to_one, on_delete = "set_null", related_name = "main_room_of")]
        pub main_room: Option<ForeignKey<Room>>,
        pub rooms: Reverse<Room>,
        pub occupants: Reverse<Person>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "prefetch_related", ordering = ["id"])]
    pub struct Room {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "cascade", related_name = "rooms")]
        pub house: ForeignKey<House>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "prefetch_related", ordering = ["id"])]
    pub struct Person {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(related_name = "occupants")]
        pub houses: ManyToMany<House>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "prefetch_related", MODELS_SRC).await
}

suite!(
    test_nested_prefetch_is_not_overwritten_by_related_object,
    test_nested_prefetch_related_are_not_overwritten,
    test_overriding_prefetch,
    test_m2m_then_m2m,
    test_foreign_key_then_m2m,
    test_traverse_nullable,
    test_m2m_forward,
    test_foreignkey_forward,
    test_foreignkey_reverse,
    test_survives_clone,
    test_len,
    test_bool,
    test_count,
    test_exists,
    test_attribute_error,
    test_invalid_final_lookup,
    test_prefetch_nullable,
    test_bug,
    test_bug_21410,
    test_m2m_reverse,
    test_get,
    test_in_bulk,
    test_traverse_qs,
);

/// TestDataMixin.setUpTestData: book1..book4 (keys returned), author1..author4, readers.
async fn data(db: &Db) -> teapot::Result<(Vec<Book>, Vec<Author>)> {
    let mut books = Vec::new();
    for title in ["Poems", "Jane Eyre", "Wuthering Heights", "Sense and Sensibility"] {
        let mut b = Book { title: title.into(), ..Book::defaults() };
        b.create(db).await?;
        books.push(b);
    }
    let mut authors = Vec::new();
    for (name, first) in [("Charlotte", 0), ("Anne", 0), ("Emily", 0), ("Jane", 3)] {
        let mut a = Author { name: name.into(), first_book: ForeignKey::from(&books[first]), ..Author::defaults() };
        a.create(db).await?;
        authors.push(a);
    }
    let [a1, a2, a3, a4] = [&authors[0], &authors[1], &authors[2], &authors[3]];
    books[0].authors_add(db, &[a1, a2, a3]).await?;
    books[1].authors_add(db, &[a1]).await?;
    books[2].authors_add(db, &[a3]).await?;
    books[3].authors_add(db, &[a4]).await?;
    for (name, read) in [("Amy", [0, 3]), ("Belinda", [1, 3])] {
        let mut r = Reader { name: name.into(), ..Reader::defaults() };
        r.create(db).await?;
        r.books_read_add(db, &[&books[read[0]], &books[read[1]]]).await?;
    }
    Ok((books, authors))
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort();
    v
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_m2m_forward
async fn test_m2m_forward(db: Db) -> R {
    data(&db).await?;
    let before = db.query_count();
    let books = Book::objects().order_by(Book::id().asc()).prefetch_related(&["authors"]).all(&db).await?;
    let lists: Vec<Vec<i64>> =
        books.iter().map(|b| b.authors.get().map(|a| sorted(a.iter().map(|x| x.id).collect()))).collect::<teapot::Result<_>>()?;
    assert_eq!(db.query_count() - before, 2);
    let mut normal_lists = Vec::new();
    for b in &books {
        let ids = Book::objects().filter(Book::id().eq(b.id)).values_list(&db, (Book::authors().id(),)).await?;
        normal_lists.push(sorted(ids.into_iter().map(|(i,)| i).collect()));
    }
    assert_eq!(lists, normal_lists);
    Ok(())
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_foreignkey_forward
async fn test_foreignkey_forward(db: Db) -> R {
    data(&db).await?;
    let before = db.query_count();
    let authors = Author::objects().order_by(Author::id().asc()).prefetch_related(&["first_book"]).all(&db).await?;
    let books: Vec<(i64, String)> =
        authors.iter().map(|a| a.first_book.get().map(|b| (b.id, b.title.clone()))).collect::<teapot::Result<_>>()?;
    assert_eq!(db.query_count() - before, 2);
    let normal: Vec<(i64, String)> =
        Author::objects().order_by(Author::id().asc()).values_list(&db, (Author::first_book().id(), Author::first_book().title())).await?;
    assert_eq!(books, normal);
    Ok(())
}

/// The authors whose first book each book is, prefetched: two queries.
async fn first_time_authors(db: &Db, q: teapot::orm::QuerySet<Book>) -> teapot::Result<Vec<Vec<i64>>> {
    let before = db.query_count();
    let books = q.order_by(Book::id().asc()).prefetch_related(&["first_time_authors"]).all(db).await?;
    let out = books
        .iter()
        .map(|b| b.first_time_authors.get().map(|a| sorted(a.iter().map(|x| x.id).collect())))
        .collect::<teapot::Result<_>>()?;
    assert_eq!(db.query_count() - before, 2);
    Ok(out)
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_foreignkey_reverse
async fn test_foreignkey_reverse(db: Db) -> R {
    let (books, authors) = data(&db).await?;
    let lists = first_time_authors(&db, Book::objects()).await?;
    assert_eq!(lists, [vec![authors[0].id, authors[1].id, authors[2].id], vec![], vec![], vec![authors[3].id]]);
    let book2 = Book::objects().filter(Book::id().eq(books[1].id)).prefetch_related(&["authors"]).get(&db).await?;
    assert_eq!(book2.authors.get()?.iter().map(|a| a.id).collect::<Vec<_>>(), [authors[0].id]);
    Ok(())
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_survives_clone
async fn test_survives_clone(db: Db) -> R {
    data(&db).await?;
    first_time_authors(&db, Book::objects().exclude(Book::id().eq(1000))).await?;
    Ok(())
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_len
async fn test_len(db: Db) -> R {
    data(&db).await?;
    // len(qs) then iterating it: the rows are read once.
    let before = db.query_count();
    let qs = Book::objects().prefetch_related(&["first_time_authors"]).all(&db).await?;
    assert_eq!(qs.len(), 4);
    for b in &qs {
        b.first_time_authors.get()?;
    }
    assert_eq!(db.query_count() - before, 2);
    Ok(())
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_bool
async fn test_bool(db: Db) -> R {
    data(&db).await?;
    let before = db.query_count();
    let qs = Book::objects().prefetch_related(&["first_time_authors"]).all(&db).await?;
    assert!(!qs.is_empty());
    for b in &qs {
        b.first_time_authors.get()?;
    }
    assert_eq!(db.query_count() - before, 2);
    Ok(())
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_count
async fn test_count(db: Db) -> R {
    data(&db).await?;
    let before = db.query_count();
    let qs = Book::objects().order_by(Book::id().asc()).prefetch_related(&["first_time_authors"]).all(&db).await?;
    let counts: Vec<usize> = qs.iter().map(|b| b.first_time_authors.get().map(|a| a.len())).collect::<teapot::Result<_>>()?;
    assert_eq!(counts, [3, 0, 0, 1]);
    assert_eq!(db.query_count() - before, 2);
    Ok(())
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_exists
async fn test_exists(db: Db) -> R {
    data(&db).await?;
    let before = db.query_count();
    let qs = Book::objects().order_by(Book::id().asc()).prefetch_related(&["first_time_authors"]).all(&db).await?;
    let exists: Vec<bool> = qs.iter().map(|b| b.first_time_authors.get().map(|a| !a.is_empty())).collect::<teapot::Result<_>>()?;
    assert_eq!(exists, [true, false, false, true]);
    assert_eq!(db.query_count() - before, 2);
    Ok(())
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_attribute_error
async fn test_attribute_error(db: Db) -> R {
    data(&db).await?;
    let e = Reader::objects().prefetch_related(&["books_read__xyz"]).all(&db).await.expect_err("no xyz on Book");
    assert_eq!(e.kind, ErrorKind::Usage, "{e}");
    assert!(e.to_string().contains("xyz"), "{e}");
    Ok(())
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_invalid_final_lookup
async fn test_invalid_final_lookup(db: Db) -> R {
    data(&db).await?;
    let e = Book::objects().prefetch_related(&["authors__name"]).all(&db).await.expect_err("name is no relation");
    assert_eq!(e.kind, ErrorKind::Usage, "{e}");
    assert!(e.to_string().contains("name"), "{e}");
    Ok(())
}

/// NullableTest.setUpTestData: Peter, and Joe and Angela whose boss he is.
async fn employees(db: &Db) -> R {
    let mut boss = Employee { name: "Peter".into(), ..Employee::defaults() };
    boss.create(db).await?;
    for name in ["Joe", "Angela"] {
        Employee { name: name.into(), boss: Some(ForeignKey::from(&boss)), ..Employee::defaults() }.create(db).await?;
    }
    Ok(())
}

/// Each employee's boss's serfs (none for an employee without a boss), as read on `qs`.
fn co_serfs(qs: &[Employee]) -> teapot::Result<Vec<Vec<i64>>> {
    qs.iter()
        .map(|e| match &e.boss {
            Some(b) => b.get().and_then(|b| b.serfs.get()).map(|s| sorted(s.iter().map(|x| x.id).collect())),
            None => Ok(vec![]),
        })
        .collect()
}

/// The same, a query per boss made on purpose.
async fn co_serfs_queried(db: &Db) -> teapot::Result<Vec<Vec<i64>>> {
    let mut out = Vec::new();
    for e in Employee::objects().order_by(Employee::id().asc()).all(db).await? {
        out.push(match e.boss {
            Some(b) => sorted(Employee::objects().filter(Employee::boss().eq(*b.key())).all(db).await?.iter().map(|x| x.id).collect()),
            None => vec![],
        });
    }
    Ok(out)
}

/// Django: prefetch_related.tests.NullableTest.test_traverse_nullable
async fn test_traverse_nullable(db: Db) -> R {
    employees(&db).await?;
    let before = db.query_count();
    let qs =
        Employee::objects().order_by(Employee::id().asc()).select_related(&["boss"]).prefetch_related(&["boss__serfs"]).all(&db).await?;
    let got = co_serfs(&qs)?;
    assert_eq!(db.query_count() - before, 2);
    assert_eq!(got, co_serfs_queried(&db).await?);
    Ok(())
}

/// Django: prefetch_related.tests.NullableTest.test_prefetch_nullable
async fn test_prefetch_nullable(db: Db) -> R {
    employees(&db).await?;
    // One for the employees, one for the bosses, one for the serfs.
    let before = db.query_count();
    let qs = Employee::objects().order_by(Employee::id().asc()).prefetch_related(&["boss__serfs"]).all(&db).await?;
    let got = co_serfs(&qs)?;
    assert_eq!(db.query_count() - before, 3);
    assert_eq!(got, co_serfs_queried(&db).await?);
    Ok(())
}

/// Django: prefetch_related.tests.Ticket19607Tests.test_bug
async fn test_bug(db: Db) -> R {
    let mut lessons = vec![
        LessonEntry { id: 1, name1: "einfach".into(), name2: "simple".into(), ..LessonEntry::defaults() },
        LessonEntry { id: 2, name1: "schwierig".into(), name2: "difficult".into(), ..LessonEntry::defaults() },
    ];
    teapot::orm::instance::bulk_create(&db, &mut lessons).await?;
    let mut words: Vec<WordEntry> = [(1, 1, "einfach"), (2, 1, "simple"), (3, 2, "schwierig"), (4, 2, "difficult")]
        .iter()
        .map(|&(id, lesson, name)| WordEntry { id, lesson_entry: ForeignKey::new(lesson), name: name.into() })
        .collect();
    teapot::orm::instance::bulk_create(&db, &mut words).await?;
    let got = WordEntry::objects()
        .order_by(WordEntry::id().asc())
        .prefetch_related(&["lesson_entry", "lesson_entry__wordentry_set"])
        .all(&db)
        .await?;
    // (Django checks that it does not fail.) Each word's lesson has its two words.
    for w in &got {
        assert_eq!(w.lesson_entry.get()?.wordentry_set.get()?.len(), 2);
    }
    Ok(())
}

/// Django: prefetch_related.tests.Ticket21410Tests.test_bug
async fn test_bug_21410(db: Db) -> R {
    let mut books = Vec::new();
    for title in ["Poems", "Jane Eyre", "Wuthering Heights", "Sense and Sensibility"] {
        let mut b = Book { title: title.into(), ..Book::defaults() };
        b.create(&db).await?;
        books.push(b);
    }
    for (name, first, favorites) in [("Charlotte", 0, &[0, 1, 2][..]), ("Anne", 0, &[0][..]), ("Emily", 0, &[1][..]), ("Jane", 3, &[2][..])]
    {
        let mut a = Author2 { name: name.into(), first_book: ForeignKey::from(&books[first]), ..Author2::defaults() };
        a.create(&db).await?;
        let fav: Vec<&Book> = favorites.iter().map(|&i| &books[i]).collect();
        a.favorite_books_add(&db, &fav).await?;
    }
    let got = Author2::objects().order_by(Author2::id().asc()).prefetch_related(&["first_book", "favorite_books"]).all(&db).await?;
    // (Django checks that it does not fail.)
    let counts: Vec<usize> = got.iter().map(|a| a.favorite_books.get().map(|f| f.len())).collect::<teapot::Result<_>>()?;
    assert_eq!(counts, [3, 1, 1, 1]);
    assert_eq!(got[3].first_book.get()?.title, "Sense and Sensibility");
    Ok(())
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_m2m_reverse
async fn test_m2m_reverse(db: Db) -> R {
    data(&db).await?;
    let before = db.query_count();
    let authors = Author::objects().prefetch_related(&["books"]).all(&db).await?;
    let lists: Vec<Vec<i64>> =
        authors.iter().map(|a| a.books.get().map(|b| b.iter().map(|x| x.id).collect())).collect::<teapot::Result<_>>()?;
    assert_eq!(db.query_count() - before, 2);
    // a.books.all() read with a query per author (Book's Meta.ordering: id).
    let mut normal_lists = Vec::new();
    for a in Author::objects().all(&db).await? {
        let books = Book::objects().filter(Book::authors().id().eq(a.id)).all(&db).await?;
        normal_lists.push(books.iter().map(|b| b.id).collect::<Vec<_>>());
    }
    assert_eq!(lists, normal_lists);
    Ok(())
}

fn names(rs: &[Reader]) -> Vec<String> {
    rs.iter().map(|r| r.name.clone()).collect()
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_foreign_key_then_m2m
async fn test_foreign_key_then_m2m(db: Db) -> R {
    data(&db).await?;
    let before = db.query_count();
    let qs = Author::objects().select_related(&["first_book"]).prefetch_related(&["first_book__read_by"]).all(&db).await?;
    let lists: Vec<Vec<String>> = qs.iter().map(|a| Ok(names(a.first_book.get()?.read_by.get()?))).collect::<teapot::Result<_>>()?;
    assert_eq!(lists, [vec!["Amy"], vec!["Amy"], vec!["Amy"], vec!["Amy", "Belinda"]]);
    assert_eq!(db.query_count() - before, 2);
    Ok(())
}

/// Each of an author's books' readers, as names.
fn readers_by_book(a: &Author) -> teapot::Result<Vec<Vec<String>>> {
    a.books.get()?.iter().map(|b| Ok(names(b.read_by.get()?))).collect()
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_get
async fn test_get(db: Db) -> R {
    data(&db).await?;
    // Objects retrieved with get() get the prefetch behavior.
    let before = db.query_count();
    let author = Author::objects().prefetch_related(&["books__read_by"]).filter(Author::name().eq("Charlotte")).get(&db).await?;
    let lists = readers_by_book(&author)?;
    assert_eq!(db.query_count() - before, 3);
    assert_eq!(lists, [vec!["Amy"], vec!["Belinda"]]); // Poems, Jane Eyre
    Ok(())
}

const BOOKS_READ_BY: [&[&[&str]]; 4] = [
    &[&["Amy"], &["Belinda"]], // Charlotte - Poems, Jane Eyre
    &[&["Amy"]],               // Anne - Poems
    &[&["Amy"], &[]],          // Emily - Poems, Wuthering Heights
    &[&["Amy", "Belinda"]],    // Jane - Sense and Sense
];

async fn books_read_by(db: &Db, paths: &[&str]) -> R {
    let before = db.query_count();
    let qs = Author::objects().prefetch_related(paths).all(db).await?;
    let lists: Vec<Vec<Vec<String>>> = qs.iter().map(readers_by_book).collect::<teapot::Result<_>>()?;
    assert_eq!(db.query_count() - before, 3, "{paths:?}");
    let expected: Vec<Vec<Vec<String>>> =
        BOOKS_READ_BY.iter().map(|a| a.iter().map(|b| b.iter().map(|s| s.to_string()).collect()).collect()).collect();
    assert_eq!(lists, expected, "{paths:?}");
    Ok(())
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_m2m_then_m2m
async fn test_m2m_then_m2m(db: Db) -> R {
    data(&db).await?;
    // A m2m can be followed through another m2m.
    books_read_by(&db, &["books__read_by"]).await
}

/// Django: prefetch_related.tests.PrefetchRelatedTests.test_overriding_prefetch
async fn test_overriding_prefetch(db: Db) -> R {
    data(&db).await?;
    books_read_by(&db, &["books", "books__read_by"]).await?;
    books_read_by(&db, &["books__read_by", "books"]).await
}

/// Django: prefetch_related.tests.NullableTest.test_in_bulk
async fn test_in_bulk(db: Db) -> R {
    employees(&db).await?;
    // In-bulk does prefetch (NullableTest's own data first, then the two bosses of the test).
    let mut boss1 = Employee { name: "Peter".into(), ..Employee::defaults() };
    boss1.create(&db).await?;
    let mut boss2 = Employee { name: "Jack".into(), ..Employee::defaults() };
    boss2.create(&db).await?;
    let before = db.query_count();
    let bulk = Employee::objects().prefetch_related(&["serfs"]).in_bulk(&db, [boss1.id, boss2.id]).await?;
    for b in bulk.values() {
        assert!(b.serfs.get()?.is_empty());
    }
    assert_eq!(db.query_count() - before, 2);
    assert_eq!(bulk.len(), 2);
    Ok(())
}

/// CustomPrefetchTests.setUpTestData: two people, four houses of three rooms each.
struct Houses {
    person1: Person,
    person2: Person,
    houses: Vec<House>,
    rooms: Vec<Vec<Room>>,
}

async fn houses(db: &Db) -> teapot::Result<Houses> {
    let mut person1 = Person { name: "Joe".into(), ..Person::defaults() };
    person1.create(db).await?;
    let mut person2 = Person { name: "Mary".into(), ..Person::defaults() };
    person2.create(db).await?;
    let mut houses = Vec::new();
    let mut rooms = Vec::new();
    for (name, address, owner) in
        [("House 1", "123 Main St", 0), ("House 2", "45 Side St", 0), ("House 3", "6 Downing St", 1), ("house 4", "7 Regents St", 1)]
    {
        let person = if owner == 0 { &mut person1 } else { &mut person2 };
        let mut house = House { name: name.into(), address: address.into(), owner: Some(ForeignKey::from(&*person)), ..House::defaults() };
        house.create(db).await?;
        let mut rs = Vec::new();
        for room in ["Dining room", "Lounge", "Kitchen"] {
            let mut r = Room { name: room.into(), house: ForeignKey::from(&house), ..Room::defaults() };
            r.create(db).await?;
            rs.push(r);
        }
        house.main_room = Some(ForeignKey::from(&rs[0]));
        house.save(db).await?;
        person.houses_add(db, &[&house]).await?;
        houses.push(house);
        rooms.push(rs);
    }
    Ok(Houses { person1, person2, houses, rooms })
}

/// Django: prefetch_related.tests.CustomPrefetchTests.test_traverse_qs
async fn test_traverse_qs(db: Db) -> R {
    let h = houses(&db).await?;
    let qs = Person::objects().prefetch_related(&["houses"]).all(&db).await?;
    let related_objs_normal: Vec<Vec<i64>> =
        qs.iter().map(|p| p.houses.get().map(|hs| hs.iter().map(|x| x.id).collect())).collect::<teapot::Result<_>>()?;
    // Django's traverse_qs helper reads the same relation again: here, a query per person.
    let mut related_objs_from_traverse = Vec::new();
    for p in &qs {
        let hs = House::objects().filter(House::occupants().id().eq(p.id)).all(&db).await?;
        related_objs_from_traverse.push(hs.iter().map(|x| x.id).collect::<Vec<_>>());
    }
    assert_eq!(related_objs_normal, related_objs_from_traverse);
    let ids = |v: &[House]| v.iter().map(|x| x.id).collect::<Vec<_>>();
    assert_eq!(related_objs_normal, [ids(&h.houses[..2]), ids(&h.houses[2..])]);
    assert_eq!((qs[0].id, qs[1].id), (h.person1.id, h.person2.id));
    Ok(())
}

/// Django: prefetch_related.tests.CustomPrefetchTests.test_nested_prefetch_related_are_not_overwritten
async fn test_nested_prefetch_related_are_not_overwritten(db: Db) -> R {
    let h = houses(&db).await?;
    // Regression test for #24873: prefetches inside a Prefetch's queryset.
    let houses_2 = House::objects().prefetch(House::rooms());
    let persons = Person::objects().prefetch_with(Person::houses(), houses_2);
    let houses = House::objects().prefetch_with(House::occupants(), persons);
    houses.all(&db).await?;
    let got = houses.all(&db).await?;
    let room = &got[0].occupants.get()?[0].houses.get()?[1].rooms.get()?[0];
    assert_eq!(room.id, h.rooms[1][0].id);
    Ok(())
}

/// Django: prefetch_related.tests.NestedPrefetchTests.test_nested_prefetch_is_not_overwritten_by_related_object
async fn test_nested_prefetch_is_not_overwritten_by_related_object(db: Db) -> R {
    // NestedPrefetchTests.setUpTestData.
    let mut house = House { name: "Big house".into(), address: "123 Main St".into(), ..House::defaults() };
    house.create(&db).await?;
    let mut room = Room { name: "Kitchen".into(), house: ForeignKey::from(&house), ..Room::defaults() };
    room.create(&db).await?;
    // The inner Prefetch("house", queryset=House.objects.only("address")) reads the whole house:
    // prefetch_with takes a QuerySet, not an only() query. The check is the same: the outer
    // houses are read without their address, so an address on the room's house comes from the
    // nested prefetch, not from the parent row.
    let queryset = House::objects()
        .prefetch_with(House::rooms(), Room::objects().prefetch_with(Room::house(), House::objects()))
        .only((House::name(),))?;
    let before = db.query_count();
    let got = queryset.first(&db).await?.expect("a house");
    assert_eq!(db.query_count() - before, 3);
    assert!(got.is_deferred("address"));
    let rooms = got.rooms.get()?;
    assert_eq!(rooms[0].id, room.id);
    assert!(rooms[0].house.is_loaded());
    assert_eq!(rooms[0].house.get()?.address, "123 Main St");
    Ok(())
}
