//! The bookshop's catalogue: authors, publishers, books and tags.

use teapot::prelude::*;

#[derive(Debug, Model)]
#[teapot(app = "library")]
pub struct Author {
    pub id: i64,
    #[teapot(max_length = 100, unique)]
    pub name: String,
    pub bio: Option<String>,
    #[teapot(default = 0)]
    pub rating: i32,
    pub born: Option<NaiveDate>,
    /// The books whose `author` points here (related_name = "books"); no column.
    pub books: Reverse<Book>,
}

#[derive(Debug, Model)]
#[teapot(app = "library")]
pub struct Publisher {
    pub id: i64,
    #[teapot(max_length = 120)]
    pub name: String,
    pub website: Option<String>,
}

#[derive(Debug, Model)]
#[teapot(app = "library")]
pub struct Tag {
    pub id: i64,
    #[teapot(max_length = 50, unique)]
    pub name: String,
}

#[derive(Debug, Model)]
#[teapot(app = "library",
         index(fields = ["author", "-published"], name = "book_author_pub_idx"),
         unique(fields = ["title", "author"], name = "book_title_author_uniq"),
         check(name = "book_price_gte_0", expr = "price >= 0"))]
pub struct Book {
    pub id: i64,
    #[teapot(max_length = 200, db_index)]
    pub title: String,
    #[teapot(max_length = 13, unique, db_column = "isbn_code")]
    pub isbn: Option<String>,
    #[teapot(on_delete = "cascade", related_name = "books")]
    pub author: ForeignKey<Author>,
    #[teapot(on_delete = "set_null", related_name = "books")]
    pub publisher: Option<ForeignKey<Publisher>>,
    #[teapot(max_digits = 8, decimal_places = 2)]
    pub price: Decimal,
    pub published: Option<NaiveDate>,
    #[teapot(default = true)]
    pub in_print: bool,
    pub pages: Option<i32>,
    #[teapot(related_name = "books")]
    pub tags: ManyToMany<Tag>,
}
