//! Relation fields. A relation holds the key and a slot that is filled only when the related rows
//! were fetched on purpose (`select_related`, `prefetch_related`); reading an empty slot is an
//! error that says how to fetch it, never a hidden query.

use std::fmt;
use std::sync::Arc;

use super::Model;
use teapot_core::{Error, ErrorKind, Result};

/// How a relation is fetched: `select_related` joins a foreign key into the same query, but
/// refuses a many-to-many or a reverse relation (many rows per row), which only
/// `prefetch_related` fills; the hint must name a call that works.
#[derive(Clone, Copy)]
enum Fetch {
    JoinOrPrefetch,
    PrefetchOnly,
}

fn not_loaded(owner: &str, kind: &str, fetch: Fetch) -> Error {
    let (model, field) = owner.split_once('.').unwrap_or(("the model", owner));
    let field_shown = if owner.is_empty() { "<field>" } else { field };
    let how = match fetch {
        Fetch::JoinOrPrefetch => format!(".select_related(&[\"{field_shown}\"]) or .prefetch_related(&[\"{field_shown}\"])"),
        Fetch::PrefetchOnly => {
            format!(".prefetch_related(&[\"{field_shown}\"]) (select_related follows foreign keys only, not {kind})")
        }
    };
    if owner.is_empty() {
        // Built by hand rather than read from a row: the owning field is unknown.
        return Error::new(ErrorKind::NotLoaded, format!("{kind} was not fetched; teapot never fetches it behind your back"))
            .hint(format!("read the row with {how} to fill it"));
    }
    Error::new(ErrorKind::NotLoaded, format!("{model}.{field} ({kind}) was not fetched; teapot never fetches it behind your back"))
        .hint(format!("add {how} to the query that loaded the {model}"))
}

/// A foreign key to `T`: the key, and the related row once fetched.
pub struct ForeignKey<T: Model> {
    key: T::Key,
    loaded: Option<Arc<T>>,
    owner: &'static str,
}

impl<T: Model> ForeignKey<T> {
    /// A reference to the row with this key (not fetched).
    pub fn new(key: T::Key) -> Self {
        ForeignKey { key, loaded: None, owner: "" }
    }

    /// The same, saying which model field it is (for the not-loaded error).
    pub fn of(key: T::Key, owner: &'static str) -> Self {
        ForeignKey { key, loaded: None, owner }
    }

    /// The key of the related row.
    pub fn key(&self) -> &T::Key {
        &self.key
    }

    /// The related row: an error of kind NotLoaded if it was not fetched.
    pub fn get(&self) -> Result<&T> {
        self.loaded.as_deref().ok_or_else(|| not_loaded(self.owner, &format!("a foreign key to {}", T::NAME), Fetch::JoinOrPrefetch))
    }

    /// Whether the related row was fetched.
    pub fn is_loaded(&self) -> bool {
        self.loaded.is_some()
    }

    /// Fills the slot with a fetched row.
    pub fn set_loaded(&mut self, row: Arc<T>) {
        self.loaded = Some(row);
    }

    #[doc(hidden)]
    /// Empties the slot, giving what it held (a prefetch below a joined row takes the row to
    /// fill its relations, then puts it back).
    pub fn take_loaded(&mut self) -> Option<Arc<T>> {
        self.loaded.take()
    }
}

impl<T: Model> From<&T> for ForeignKey<T> {
    fn from(t: &T) -> Self {
        ForeignKey::new(t.key())
    }
}

impl<T: Model> Default for ForeignKey<T>
where
    T::Key: Default,
{
    fn default() -> Self {
        ForeignKey::new(T::Key::default())
    }
}

impl<T: Model> fmt::Debug for ForeignKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ForeignKey<{}>({:?}{})", T::NAME, self.key, if self.loaded.is_some() { ", loaded" } else { "" })
    }
}

impl<T: Model> Clone for ForeignKey<T> {
    fn clone(&self) -> Self {
        ForeignKey { key: self.key.clone(), loaded: self.loaded.clone(), owner: self.owner }
    }
}

/// A many-to-many relation to `T`: the related rows once fetched.
///
/// With `through = "Model"` the links are that model's rows, which need a foreign key to each
/// side (docs/models.md, "Many-to-many through a model"). One that lacks them is refused when the
/// crate compiles, with the message the CLI gives:
///
/// ```compile_fail,E0080
/// use teapot::prelude::*;
///
/// #[derive(Model)]
/// #[teapot(app = "docs")]
/// pub struct Person { pub id: i64 }
///
/// #[derive(Model)]
/// #[teapot(app = "docs")]
/// pub struct Note { pub id: i64, pub text: String }
///
/// #[derive(Model)]
/// #[teapot(app = "docs")]
/// pub struct Club {
///     pub id: i64,
///     #[teapot(through = "Note")]
///     pub members: ManyToMany<Person>,
/// }
/// # fn main() {}
/// ```
///
/// The same with a through model that has both foreign keys compiles:
///
/// ```
/// use teapot::prelude::*;
///
/// #[derive(Model)]
/// #[teapot(app = "docs")]
/// pub struct Person { pub id: i64 }
///
/// #[derive(Model)]
/// #[teapot(app = "docs")]
/// pub struct Membership {
///     pub id: i64,
///     #[teapot(on_delete = "cascade")]
///     pub club: ForeignKey<Club>,
///     #[teapot(on_delete = "cascade")]
///     pub person: ForeignKey<Person>,
/// }
///
/// #[derive(Model)]
/// #[teapot(app = "docs")]
/// pub struct Club {
///     pub id: i64,
///     #[teapot(through = "Membership")]
///     pub members: ManyToMany<Person>,
/// }
/// # fn main() {}
/// ```
pub struct ManyToMany<T: Model> {
    loaded: Option<Vec<Arc<T>>>,
    owner: &'static str,
}

impl<T: Model> ManyToMany<T> {
    /// A relation whose rows were not fetched.
    pub fn new() -> Self {
        ManyToMany { loaded: None, owner: "" }
    }

    /// The same, saying which model field it is.
    pub fn of(owner: &'static str) -> Self {
        ManyToMany { loaded: None, owner }
    }

    /// The related rows: an error of kind NotLoaded if they were not fetched.
    pub fn get(&self) -> Result<&[Arc<T>]> {
        self.loaded.as_deref().ok_or_else(|| not_loaded(self.owner, &format!("a many-to-many to {}", T::NAME), Fetch::PrefetchOnly))
    }

    /// Fills the slot with fetched rows.
    pub fn set_loaded(&mut self, rows: Vec<Arc<T>>) {
        self.loaded = Some(rows);
    }

    /// Forgets the fetched rows (after the links changed, they would be stale).
    pub fn unload(&mut self) {
        self.loaded = None;
    }
}

impl<T: Model> Default for ManyToMany<T> {
    fn default() -> Self {
        ManyToMany::new()
    }
}

impl<T: Model> Clone for ManyToMany<T> {
    fn clone(&self) -> Self {
        ManyToMany { loaded: self.loaded.clone(), owner: self.owner }
    }
}

impl<T: Model> fmt::Debug for ManyToMany<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.loaded {
            Some(rows) => write!(f, "ManyToMany<{}>({} loaded)", T::NAME, rows.len()),
            None => write!(f, "ManyToMany<{}>(not loaded)", T::NAME),
        }
    }
}

/// The rows of `T` whose foreign key points here (the reverse side of a `related_name`), once
/// fetched with `prefetch_related(&["<this field>"])`. It has no column.
pub struct Reverse<T: Model> {
    loaded: Option<Vec<T>>,
    owner: &'static str,
}

impl<T: Model> Reverse<T> {
    /// A relation whose rows were not fetched.
    pub fn new() -> Self {
        Reverse { loaded: None, owner: "" }
    }

    /// The same, saying which model field it is.
    pub fn of(owner: &'static str) -> Self {
        Reverse { loaded: None, owner }
    }

    /// The related rows: an error of kind NotLoaded if they were not fetched.
    pub fn get(&self) -> Result<&[T]> {
        self.loaded.as_deref().ok_or_else(|| not_loaded(self.owner, "a reverse relation", Fetch::PrefetchOnly))
    }

    /// Fills the slot with fetched rows.
    pub fn set_loaded(&mut self, rows: Vec<T>) {
        self.loaded = Some(rows);
    }
}

impl<T: Model> Default for Reverse<T> {
    fn default() -> Self {
        Reverse::new()
    }
}

impl<T: Model> fmt::Debug for Reverse<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.loaded {
            Some(rows) => write!(f, "Reverse<{}>({} loaded)", T::NAME, rows.len()),
            None => write!(f, "Reverse<{}>(not loaded)", T::NAME),
        }
    }
}

impl<T: Model + Clone> Clone for Reverse<T> {
    fn clone(&self) -> Self {
        Reverse { loaded: self.loaded.clone(), owner: self.owner }
    }
}

impl<T: crate::Model> teapot_core::FieldValue for ForeignKey<T> {
    type Arg = T::Key;
    fn null() -> teapot_core::Value {
        <T::Key as teapot_core::FieldValue>::null()
    }
    fn to_value(&self) -> teapot_core::Value {
        self.key().to_value()
    }
    fn decode(row: &teapot_core::DbRow, idx: usize) -> teapot_core::Result<Self> {
        <T::Key as teapot_core::FieldValue>::decode(row, idx).map(ForeignKey::new)
    }
}
