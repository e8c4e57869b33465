//! Relation fields. A relation holds the key and a slot that is filled only when the related rows
//! were fetched on purpose; reading an empty slot is an error, never a hidden query.

use std::fmt;

use super::Model;

/// A foreign key to `T`: the key, and the related row once fetched.
pub struct ForeignKey<T: Model> {
    key: T::Key,
    loaded: Option<Box<T>>,
}

impl<T: Model> ForeignKey<T> {
    /// A reference to the row with this key (not fetched).
    pub fn new(key: T::Key) -> Self {
        ForeignKey { key, loaded: None }
    }

    /// The key of the related row.
    pub fn key(&self) -> &T::Key {
        &self.key
    }

    /// The related row, if it was fetched.
    pub fn get(&self) -> Option<&T> {
        self.loaded.as_deref()
    }

    /// Fills the slot with a fetched row.
    pub fn set_loaded(&mut self, row: T) {
        self.loaded = Some(Box::new(row));
    }
}

impl<T: Model> fmt::Debug for ForeignKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ForeignKey<{}>({:?}{})", T::NAME, self.key, if self.loaded.is_some() { ", loaded" } else { "" })
    }
}

impl<T: Model> Clone for ForeignKey<T>
where
    T: Clone,
{
    fn clone(&self) -> Self {
        ForeignKey { key: self.key.clone(), loaded: self.loaded.clone() }
    }
}

/// A many-to-many relation to `T`: the related rows once fetched.
pub struct ManyToMany<T: Model> {
    loaded: Option<Vec<T>>,
}

impl<T: Model> ManyToMany<T> {
    /// A relation whose rows were not fetched.
    pub fn new() -> Self {
        ManyToMany { loaded: None }
    }

    /// The related rows, if they were fetched.
    pub fn get(&self) -> Option<&[T]> {
        self.loaded.as_deref()
    }

    /// Fills the slot with fetched rows.
    pub fn set_loaded(&mut self, rows: Vec<T>) {
        self.loaded = Some(rows);
    }
}

impl<T: Model> Default for ManyToMany<T> {
    fn default() -> Self {
        ManyToMany::new()
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
