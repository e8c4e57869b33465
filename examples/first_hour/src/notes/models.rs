//! The notes app's models. `teapot makemigrations` reads this file (teapot.toml lists it) and
//! writes a migration for every change you make here; `#[derive(Model)]` reads the very same
//! declarations, so the program and its migrations never disagree. Every type and option, with
//! the Django field each one matches, is in teapot's docs/models.md.

use teapot::prelude::*;

/// A note. Its table is `notes_note`: the app's label, then the struct's name in lower case.
#[derive(Debug, Model)]
#[teapot(app = "notes")]
pub struct Note {
    /// A field named `id`: the primary key, a `bigint` the database generates (BigAutoField).
    pub id: i64,
    /// `String` with a max_length: `varchar(200) NOT NULL` (CharField).
    #[teapot(max_length = 200)]
    pub title: String,
    /// `String` alone: `text` (TextField). `Option<String>` would allow NULL.
    pub body: String,
    /// A literal default: used by the ORM on create, and to fill the rows that exist when a
    /// migration adds the column.
    #[teapot(default = false)]
    pub pinned: bool,
    /// Set by the ORM when the row is inserted (auto_now_add).
    #[teapot(auto_now_add)]
    pub created: DateTime<Utc>,
}
