//! The bookshop example, end to end: the example project's models (teapot.toml), migrated into a
//! SQLite file (or the database given as the first argument), then used through the async ORM.
//!
//!     cargo run --example bookshop [-- postgres://postgres@127.0.0.1:5432/bookshop]
#![allow(dead_code)]

mod library;
mod shop;

use library::{Author, Book, Publisher, Tag};
use shop::{Customer, Order, OrderLine};
use teapot::orm::instance::bulk_create;
use teapot::prelude::*;

#[tokio::main]
async fn main() -> teapot::Result<()> {
    let dir = tempfile::tempdir().map_err(|e| teapot::Error::new(teapot::ErrorKind::Io, e.to_string()))?;
    let url = std::env::args().nth(1).unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bookshop.db").display()));

    // The schema, from the project's migrations (teapot.toml), applied as `teapot migrate` would.
    let db = Db::connect(&url).await?;
    let ran = Migrator::new(&db).config_file(concat!(env!("CARGO_MANIFEST_DIR"), "/teapot.toml")).run().await?;
    println!("migrated {} ({} migrations)", teapot::migrate::backend::redact(&url), ran.len());

    let mut ann = Author { name: "Ann Leckie".into(), rating: 5, ..Author::defaults() };
    ann.create(&db).await?;
    let mut orbit = Publisher { name: "Orbit".into(), ..Publisher::defaults() };
    orbit.create(&db).await?;
    let mut sf = Tag { name: "science fiction".into(), ..Tag::defaults() };
    sf.create(&db).await?;

    let mut books: Vec<Book> = ["Ancillary Justice", "Ancillary Sword", "Ancillary Mercy"]
        .iter()
        .enumerate()
        .map(|(i, t)| Book {
            title: t.to_string(),
            author: ForeignKey::from(&ann),
            publisher: Some(ForeignKey::from(&orbit)),
            price: Decimal::new(1599 + i as i64 * 100, 2),
            ..Book::defaults()
        })
        .collect();
    bulk_create(&db, &mut books).await?;
    for b in &mut books {
        b.tags_add(&db, &[&sf]).await?;
    }
    println!("created {} books (in_print defaults to {})", books.len(), books[0].in_print);

    let before = db.query_count();
    let found = Book::objects()
        .filter(Book::author().name().icontains("leckie") & Book::price().lt(Decimal::new(1800, 2)))
        .order_by(Book::title().asc())
        .select_related(&["author"])
        .prefetch_related(&["tags"])
        .all(&db)
        .await?;
    println!("{} queries for {} books with their author and tags:", db.query_count() - before, found.len());
    for b in &found {
        let tags: Vec<&str> = b.tags.get()?.iter().map(|t| t.name.as_str()).collect();
        println!("  {} by {} ({}), tags: {}", b.title, b.author.get()?.name, b.price, tags.join(", "));
    }

    let before = db.query_count();
    let authors = Author::objects().prefetch_related(&["books__tags"]).all(&db).await?;
    for a in &authors {
        let titles: Vec<String> =
            a.books.get()?.iter().map(|b| format!("{} [{} tag(s)]", b.title, b.tags.get().map(|t| t.len()).unwrap_or(0))).collect();
        println!("{} wrote {} ({} queries: authors, their books, the books' tags)", a.name, titles.join(", "), db.query_count() - before);
    }

    let plain = Book::objects().first(&db).await?.expect("a book");
    match plain.author.get() {
        Err(e) => println!("reading a relation not fetched is an error, not a query: {e}"),
        Ok(_) => println!("unexpected: loaded"),
    }

    // A transaction that fails rolls back.
    let res: teapot::Result<()> = db
        .atomic(|tx| async move {
            let mut c = Customer { email: "reader@example.com".into(), name: "Reader".into(), ..Customer::defaults() };
            c.create(&tx).await?;
            let mut o = Order { customer: ForeignKey::from(&c), placed_at: chrono::Utc::now(), ..Order::defaults() };
            o.create(&tx).await?;
            let mut line = OrderLine { order: ForeignKey::from(&o), book: ForeignKey::new(-1), ..OrderLine::defaults() };
            line.create(&tx).await?;
            Ok(())
        })
        .await;
    println!(
        "an order line for a missing book: {} -> customers after rollback: {}",
        res.as_ref().err().map(|e| format!("{:?}", e.kind)).unwrap_or_default(),
        Customer::objects().count(&db).await?
    );
    let avg = Book::objects().aggregate(&db, Agg::avg(Book::price())).await?;
    println!("average price: {:.2}", avg.unwrap_or_default());
    Ok(())
}
